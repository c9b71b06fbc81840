"""Test generation (``modelcheck tests``): exact covers of a catalogue spec, and the
generated pytest module driving an adapter, passing when it agrees and failing when not."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import Trace, bind, load_spec
from modelcheck.testgen import generate
from modelcheck.trace import replay

if TYPE_CHECKING:
    from conftest import InvokeOutput

TPC = bind(load_spec("two-phase-commit"))


def test_actions_are_covered_by_three_traces() -> None:
    suite = generate(TPC, "actions")
    assert suite.states == 288
    assert set(suite.targets) == {"action rm_prepare", "action rm_choose_to_abort",
                                  "action tm_commit", "action tm_abort", "action deliver"}
    assert [t.length for t in suite.traces] == [7, 1, 1]
    assert suite.covers == (("action rm_prepare", "action deliver", "action tm_commit"),
                            ("action tm_abort",), ("action rm_choose_to_abort",))
    assert suite.uncoverable == ()
    for trace in suite.traces:  # each trace is a trace of the spec, as saved
        assert replay(TPC, Trace.loads(trace.dumps())) == list(trace.states or ())


def test_properties_cover_every_witness_and_list_what_has_none() -> None:
    suite = generate(TPC, "properties")
    assert suite.covers == (("sometimes all_aborted met", "sometimes rm_aborts_alone met"),
                            ("sometimes all_committed met",))
    assert [t.length for t in suite.traces] == [3, 10]
    assert suite.uncoverable == ("invariant consistent violated",
                                 "action property commit_final violated")
    flawed = generate(bind(load_spec("two-phase-commit"), "tm-commits-early"), "properties")
    witness = {c: t.length for t, c in zip(flawed.traces, flawed.covers)}
    # The shortest counterexample, as verify finds it.
    assert witness[("invariant consistent violated",)] == 5


def test_transitions_are_actions_by_the_set_enabled_where_they_are_taken() -> None:
    suite = generate(TPC, "transitions")
    assert len(suite.targets) == 17 and len(suite.traces) == 10
    assert [t.length for t in suite.traces] == [7, 5, 4, 2, 2, 2, 2, 4, 7, 7]
    assert "tm_commit from {deliver, tm_abort, tm_commit}" in suite.targets
    assert sorted(t for c in suite.covers for t in c) == sorted(suite.targets)


def test_the_command_prints_the_cover(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("tests", "two-phase-commit")
    assert code == 0
    assert out == (
        "two-phase-commit (rms=3, tm_commit_early=False, faults=none): 5 targets (actions) in "
        "288 states, covered by 3 traces\n"
        "  trace 1 (7 steps): action rm_prepare, action deliver, action tm_commit\n"
        "  trace 2 (1 step): action tm_abort\n"
        "  trace 3 (1 step): action rm_choose_to_abort\n")
    code, out = invoke_output("tests", "two-phase-commit", "--cover", "properties", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["uncoverable"] == ["invariant consistent violated",
                                   "action property commit_final violated"]
    assert [t["length"] for t in data["traces"]] == [3, 10]
    code, out = invoke_output("tests", "two-phase-commit", "--max-states", "10")
    assert code == 2 and "more than 10 states" in out


_ADAPTER = '''

class TwoPhase:
    """A tiny implementation of two-phase commit."""

    def __init__(self, rms: int) -> None:
        self.rms = ["working"] * rms
        self.tm = "init"
        self.prepared: set[int] = set()


class Tiny(Adapter):
    def reset(self, cfg: Any, state: Any) -> None:
        self.impl = TwoPhase(cfg.rms)

    def rm_prepare(self, rm: int) -> None:
        self.impl.rms[rm] = "prepared"

    def rm_choose_to_abort(self, rm: int) -> None:
        self.impl.rms[rm] = "aborted"

    def tm_commit(self) -> None:
        self.impl.tm = "committed"

    def tm_abort(self) -> None:
        self.impl.tm = "aborted"

    def deliver(self, m: Any) -> None:
        kind = type(m).__name__
        if kind == "Prepared":
            self.impl.prepared.add(m.rm)
            BROKEN
        else:
            self.impl.rms[m.rm] = {"Commit": "committed", "Abort": "aborted"}[kind]

    def observe(self) -> Any:
        return (tuple(self.impl.rms), self.impl.tm, frozenset(self.impl.prepared))

    def expect(self, cfg: Any, state: Any) -> Any:
        return (state.rm_state, state.tm_state, state.tm_prepared)


def make_adapter() -> Adapter:
    return Tiny()
'''


@pytest.mark.parametrize(("broken", "itf", "outcome"), [
    ("", False, "3 passed"),
    pytest.param("", True, "3 passed", marks=pytest.mark.slow),
    # The implementation's TM forgets a Prepared it receives: the trace through tm_commit
    # fails.
    ("self.impl.prepared.discard(m.rm)", False, "1 failed, 2 passed"),
])
def test_the_generated_module_drives_an_adapter(invoke_output: InvokeOutput, tmp_path: Path,
                                                broken: str, itf: bool, outcome: str) -> None:
    out = tmp_path / "mbt"
    code, printed = invoke_output("tests", "two-phase-commit", "--out", out,
                                  *(["--itf"] if itf else []))
    assert code == 0
    suffix = ".itf.json" if itf else ".json"
    names = [f"trace{i}{suffix}" for i in (1, 2, 3)]
    assert printed.endswith(f"written to {out}: {', '.join(names)}, test_two_phase_commit.py\n")
    module = out / "test_two_phase_commit.py"
    # The skeleton as generated fails (NotImplementedError) until it is filled in.
    if not broken and not itf:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(module)], capture_output=True, text=True, cwd=tmp_path)
        assert "3 failed" in r.stdout and "NotImplementedError" in r.stdout
    module.write_text(module.read_text() + _ADAPTER.replace("BROKEN", broken or "pass"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(module)], capture_output=True, text=True, cwd=tmp_path)
    assert outcome in r.stdout, r.stdout
    if broken:
        assert re.search(r"after step \d \(deliver\(m=Prepared\(rm=\d\)\)\) the "
                         r"implementation shows", r.stdout), r.stdout


def test_the_guides_example_is_the_output(invoke_output: InvokeOutput, tmp_path: Path) -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "guides" /
             "model-based-testing.md").read_text()
    shown = re.search(r"\$ modelcheck tests two-phase-commit --cover actions --out mbt\n(.*?)```",
                      guide, re.S)
    assert shown is not None
    code, out = invoke_output("tests", "two-phase-commit", "--cover", "actions", "--out",
                              tmp_path / "mbt")
    assert code == 0
    assert out.replace(str(tmp_path / "mbt"), "mbt") == shown.group(1)
