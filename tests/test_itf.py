"""ITF traces (Apalache's and Quint's format): written and read back exactly, replayed like
modelcheck's own, and Quint's traces replayed against the catalogue's specs."""

from __future__ import annotations

import enum
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Record, Trace, TraceFormatError, check, load_spec
from modelcheck.catalogue import entries
from modelcheck.itf import decode, encode, encode_json
from modelcheck.properties.verdict import judge
from modelcheck.render.output import render_as
from modelcheck.state import defaults, to_json
from modelcheck.trace import model_for, replay

if TYPE_CHECKING:
    from conftest import InvokeOutput

QUINT = Path(__file__).resolve().parent / "fixtures" / "quint"
SLOW = {("raft", "commit-old-term"), ("raft", "forget-vote")}
COUNTEREXAMPLES = [
    pytest.param(name, v, marks=pytest.mark.slow) if (name, v) in SLOW else (name, v)
    for name, spec in entries().items() for v, var in spec.variants.items()
    if var.expect is not None and var.expect.property is not None]
"""Every variant expected to violate a property (the others have no counterexample)."""


@cache
def counterexample(spec: str, variant: str) -> Trace | None:
    r = check(load_spec(spec), variant=variant)
    return r.violation.trace if r.violation is not None else None


@pytest.mark.parametrize(("name", "variant"), COUNTEREXAMPLES)
def test_every_catalogue_counterexample_round_trips_through_itf(name: str, variant: str
                                                                ) -> None:
    trace = counterexample(name, variant)
    assert trace is not None
    back = Trace.loads(render_as(trace, "itf"))
    assert back == trace
    spec = load_spec(name)
    model = model_for(spec, back)
    states = replay(model, back)
    assert states == list(trace.states or ())
    assert judge(model, back, states) == judge(model, trace, replay(model, trace))
    # From a trace file (no Python states: tuples and sets written as lists) too.
    assert Trace.loads(render_as(Trace.loads(trace.dumps()), "itf")) == trace


def test_the_itf_values_of_a_two_phase_commit_counterexample() -> None:
    trace = counterexample("two-phase-commit", "tm-commits-early")
    assert trace is not None
    data = json.loads(render_as(trace, "itf"))
    assert data["#meta"]["format"] == "ITF"
    assert data["#meta"]["modelcheck"] == {
        "spec": "two-phase-commit", "variant": "tm-commits-early",
        "params": {"rms": 3, "tm_commit_early": True, "faults": "none"}, "state": "State"}
    assert data["vars"] == ["rm_state", "tm_state", "tm_prepared", "msgs", "faults",
                            "mbt::actionTaken", "mbt::nondetPicks"]
    third = data["states"][2]
    assert third["mbt::actionTaken"] == "deliver"
    assert third["mbt::nondetPicks"] == {
        "m": {"tag": "Some", "value": {"tag": "Prepared", "value": {"rm": 0}}}}
    assert third["rm_state"] == {"#tup": ["prepared", "working", "working"]}
    assert third["tm_prepared"] == {"#set": [0]}
    assert third["faults"] == {"tag": "NodeFaults", "value": {"#tup": []}}
    assert "loop" not in data


class Color(enum.Enum):
    RED = 1


class Point(Record):
    x: int
    y: int | None = None


class Empty(Record):
    pass


class Flags(Record):
    on: bool = False


@pytest.mark.parametrize("value", [
    2**80, -(2**53), 2**53 - 1, None, Color.RED, Point(1), Point(1, 2), Empty(), "text",
    defaults(Flags), Flags(True), (1, (2, 3)), [1, [2]], frozenset({Point(2), Point(1)}),
    {1: "a", "b": frozenset({3})}, {Point(1): 2, (1, 2): 3, Color.RED: 4, True: 5},
    {"nested": {"deeper": [None, 1.5]}}, range(3), object,
])
def test_values_read_back_as_modelcheck_encodes_them(value: Any) -> None:
    assert decode(encode(value), "v") == to_json(value)
    assert decode(encode_json(to_json(value)), "v") == to_json(value)


def test_big_integers_are_tagged_and_every_int_reads_from_a_bigint() -> None:
    assert encode(2**53) == {"#bigint": str(2**53)}
    assert encode(2**53 - 1) == 2**53 - 1
    assert decode({"#bigint": "-7"}, "v") == -7
    assert decode({"tag": "Some", "value": {"#bigint": "3"}}, "v") == 3


def test_the_quint_trace_of_two_phase_commit_replays_against_the_catalogue_spec(
        invoke_output: InvokeOutput) -> None:
    path = QUINT / "two_phase.itf.json"
    code, out = invoke_output("trace", "replay", path, "--spec", "two-phase-commit")
    assert code == 0, out
    assert out == ("✓ two_phase.qnt: the trace replays (12 steps) and shows no violation: the "
                   "trace violates no property\n")
    guide = (QUINT.parent.parent.parent / "docs" / "guides" / "traces.md").read_text()
    assert f"$ modelcheck trace replay two_phase.itf.json --spec two-phase-commit\n{out}" in guide
    trace = Trace.load(path)
    assert [s.action for s in trace.steps] == [
        "init", "rm_prepare", "rm_prepare", "deliver", "rm_prepare", "deliver", "deliver",
        "tm_commit", "deliver", "deliver", "deliver", "deliver", "deliver"]
    assert trace.steps[3].args == {"m": {"$type": "Prepared", "rm": 1}}
    assert trace.steps[-1].state["rm_state"] == ["committed"] * 3
    # Every step is a step of the spec: the last state is the one the spec reaches.
    spec = load_spec("two-phase-commit")
    states = replay(model_for(spec, trace), trace)
    assert all(r == "committed" for r in states[-1].rm_state)


def test_a_quint_trace_names_no_catalogue_spec(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("trace", "replay", QUINT / "two_phase.itf.json")
    assert code == 2
    assert out.startswith("error: the trace names spec 'two_phase.qnt', which is not a "
                          "catalogue entry")


def test_a_tampered_quint_trace_no_longer_replays(invoke_output: InvokeOutput,
                                                  tmp_path: Path) -> None:
    data = json.loads((QUINT / "two_phase.itf.json").read_text())
    data["states"][5]["tm_state"] = "aborted"
    path = tmp_path / "t.itf.json"
    path.write_text(json.dumps(data))
    code, out = invoke_output("trace", "replay", path, "--spec", "two-phase-commit")
    assert code == 2
    assert "step 5: " in out and "gives a different state than the trace records" in out


def test_verify_writes_itf_and_show_reads_it(invoke_output: InvokeOutput,
                                             tmp_path: Path) -> None:
    path = tmp_path / "cex.itf.json"
    code, out = invoke_output("verify", "two-phase-commit", "--variant", "tm-commits-early",
                              "--trace-out", path, "-q")
    assert code == 1 and f"trace written to {path}" in out
    assert json.loads(path.read_text())["#meta"]["format"] == "ITF"
    code, out = invoke_output("trace", "replay", path, "--json")
    assert code == 1 and json.loads(out)["status"] == "reproduces"
    code, shown = invoke_output("trace", "show", path)
    assert code == 0 and shown.startswith("two-phase-commit --variant tm-commits-early")
    code, again = invoke_output("trace", "show", path, "--format", "itf")
    assert code == 0 and json.loads(again) == json.loads(path.read_text())


@pytest.mark.parametrize(("data", "message"), [
    ({"states": []}, "'states' must be a non-empty list"),
    ({"#meta": {}, "states": [{"x": 1}]}, "names no action"),
    ({"states": [{"mbt::actionTaken": "init", "x": {"#set": 1}}]}, "#set must hold a list"),
    ({"states": [{"mbt::actionTaken": "init", "x": {"#bigint": "1e3"}}]}, "decimal digits"),
    ({"states": [{"mbt::actionTaken": "init", "x": {"#what": 1}}]}, "unknown ITF value"),
    ({"states": [{"mbt::actionTaken": "init", "x": {"tag": 1, "value": {}}}]},
     "tag must be a string"),
    ({"states": [{"mbt::actionTaken": "init", "x": {"tag": "T", "value": [1]}}]},
     "must carry a record"),
    ({"vars": ["x", "y"], "states": [{"mbt::actionTaken": "init", "x": 1}]},
     r"lacks variables \['y'\]"),
    ({"states": [{"mbt::actionTaken": "init", "mbt::nondetPicks": {"a": 1}}]},
     "must be Some"),
    ({"#meta": [], "states": [{}]}, "'#meta' must be an object"),
])
def test_malformed_itf_traces_are_rejected_with_the_reason(data: Any, message: str) -> None:
    with pytest.raises(TraceFormatError, match=message):
        Trace.loads(json.dumps(data))
