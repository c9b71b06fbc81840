"""The shrinker: delta debugging over steps, checked by replay, from any strategy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import Trace, UsageError, bind, check, load_spec, replay
from modelcheck.explore.random import simulate
from modelcheck.shrink import Failure, shrink, shrink_trace

if TYPE_CHECKING:
    from conftest import Invoke

HERE = Path(__file__).resolve().parent
SHRINKABLE = str(HERE / "specs_random" / "shrinkable.py")


def _path(model: object, *labels: str) -> list[int]:
    by_label = {i.label(): i.index for i in model.instances}  # type: ignore[attr-defined]
    return [by_label[label] for label in labels]


def _labels(model: object, path: tuple[int, ...]) -> list[str]:
    return [model.instances[a].label() for a in path]  # type: ignore[attr-defined]


def test_drops_steps_and_lowers_arguments_to_a_local_minimum() -> None:
    model = bind(load_spec(SHRINKABLE))
    path = _path(model, "noise", "set_x(v=2)", "noise", "set_x(v=7)")
    shrunk = shrink(model, 0, path, Failure("below_limit", "invariant"))
    assert _labels(model, shrunk.path) == ["set_x(v=5)"]  # 5 is the least value over 4
    assert (shrunk.original_length, shrunk.length) == (4, 1)
    assert shrunk.states[-1].x == 5


def test_action_property_and_deadlock_counterexamples_shrink_too() -> None:
    spec = load_spec(SHRINKABLE)
    action = bind(spec, params={"kind": "action"})
    path = _path(action, "set_x(v=1)", "noise", "set_x(v=0)", "set_x(v=7)")
    assert _labels(action, shrink(action, 0, path, Failure("small_steps", "action")).path) == [
        "set_x(v=6)"]
    stuck = bind(spec, params={"kind": "deadlock"})
    path = _path(stuck, "set_x(v=3)", "noise", "set_x(v=5)", "noise", "set_x(v=7)")
    assert _labels(stuck, shrink(stuck, 0, path, Failure("deadlock", "deadlock")).path) == [
        "set_x(v=7)"]


def test_a_path_that_shows_nothing_is_refused() -> None:
    model = bind(load_spec(SHRINKABLE))
    with pytest.raises(UsageError, match="do not violate below_limit"):
        shrink(model, 0, _path(model, "noise", "set_x(v=1)"), Failure("below_limit",
                                                                     "invariant"))


def test_faults_are_dropped_when_the_bug_does_not_need_them() -> None:
    # vote-twice needs no crash: a walk that crashed a server on the way loses the crash.
    result = simulate(load_spec("raft"), variant="vote-twice",
                      params={"faults": "crash=1,restart=1", "max_term": "1"}, seed=11,
                      runs=300, shrink=False)
    v = result.violation
    assert v is not None and v.trace is not None
    actions = [s.action for s in v.trace.steps]
    assert "crash" in actions
    model = bind(load_spec("raft"), "vote-twice",
                 {"faults": "crash=1,restart=1", "max_term": "1"})
    trace, violation, shrunk = shrink_trace(model, v.trace)
    assert not {"crash", "restart"} & {s.action for s in trace.steps}
    assert violation.property == "election_safety"
    assert (shrunk.original_length, trace.length) == (v.trace.length, 8)
    replay(model, trace)


def test_trace_shrink_command_shrinks_a_saved_walk(invoke: Invoke, tmp_path: Path) -> None:
    walk = tmp_path / "walk.json"
    code, _, _ = invoke("simulate", "two-phase-commit", "--variant", "tm-commits-early",
                        "--param", "rms=4", "--seed", "5", "--runs", "50", "--no-shrink",
                        "--trace-out", str(walk), "--quiet")
    assert code == 1
    long = Trace.load(walk)
    out = tmp_path / "short.json"
    code, text, _ = invoke("trace", "shrink", str(walk), "--out", str(out))
    assert code == 0, text
    short = Trace.load(out)
    bfs = check(load_spec("two-phase-commit"), variant="tm-commits-early", params={"rms": 4})
    assert bfs.violation is not None and bfs.violation.trace is not None
    assert short.length == bfs.violation.trace.length == 5 < long.length
    assert text.startswith(f"✗ invariant consistent is violated after 5 steps, shrunk from "
                           f"{long.length} steps")
    assert f"shrunk trace written to {out}" in text
    code, again, _ = invoke("trace", "shrink", str(out))  # a local minimum stays put
    assert code == 0 and "after 5 steps, shrunk from 5 steps" in again


def test_trace_shrink_refuses_what_it_cannot_shrink(invoke: Invoke, tmp_path: Path) -> None:
    full = tmp_path / "cex.json"
    code, _, _ = invoke("verify", "two-phase-commit", "--variant", "tm-commits-early",
                        "--trace-out", str(full), "--quiet")
    assert code == 1
    data = json.loads(full.read_text())
    data["steps"] = data["steps"][:2]  # a prefix that violates nothing yet
    prefix = tmp_path / "prefix.json"
    prefix.write_text(json.dumps(data))
    code, _, err = invoke("trace", "shrink", str(prefix))
    assert code == 2 and "violates no invariant" in err and "nothing to shrink" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = invoke("trace", "shrink", str(broken))
    assert code == 2 and "not valid JSON" in err
    code, _, err = invoke("trace", "shrink", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read trace file" in err


# -- fewer context switches -----------------------------------------------------------------


@pytest.mark.parametrize(("spec", "variant", "before", "after"), [
    ("gossip", "merge-overwrites", 3, 1),
    ("raft", "minority-leader", 3, 1),
    ("outbox", "consumer-not-idempotent", 3, 1),
])
def test_shortest_counterexamples_switch_between_nodes_less(spec: str, variant: str,
                                                            before: int, after: int) -> None:
    from modelcheck.explore import bfs
    from modelcheck.explore._base import Options
    from modelcheck.properties.verdict import judge
    from modelcheck.shrink import switches

    model = bind(load_spec(spec), variant)
    found = bfs.explore(model, Options()).violation  # as breadth-first search finds it
    shown = check(model).violation  # as it is reported
    assert found is not None and found.trace is not None
    assert shown is not None and shown.trace is not None
    paths = [[model.find_instance(s.action, s.args).index  # type: ignore[union-attr]
              for s in t.steps[1:]] for t in (found.trace, shown.trace)]
    assert [switches(model, p) for p in paths] == [before, after]
    # A real execution of the same length, violating the same property at its last step.
    verdict = judge(model, shown.trace, replay(model, shown.trace))
    assert (verdict.property, verdict.step) == (found.property, found.trace.length)
    assert shown.trace.length == found.trace.length and shown.message == found.message


def test_a_spec_says_who_takes_a_step_with_its_step_node_hook() -> None:
    from modelcheck.errors import SpecRuntimeError

    spec = load_spec("gossip")
    own = spec.step_node
    try:
        spec.step_node = lambda cfg, action, args: None  # one node takes every step
        r = check(spec, variant="merge-overwrites")
        assert r.violation is not None and r.violation.trace is not None
        assert [s.action for s in r.violation.trace.steps] == [
            "init", "update", "update", "gossip", "deliver"]  # as found: nothing to gain
        spec.step_node = lambda cfg, action, args: 1 / 0
        with pytest.raises(SpecRuntimeError, match=r"step_node\('update', ...\) raised"):
            check(spec, variant="merge-overwrites")
    finally:
        spec.step_node = own
