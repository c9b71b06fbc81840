"""Last-writer-wins under clock skew: with wall-clock timestamps a write made after another
loses to it; hybrid logical clocks keep the later write."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import lww_skew as lww

if TYPE_CHECKING:
    from conftest import Invoke, InvokeOutput

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def test_hlc_timestamps_never_let_an_earlier_write_win() -> None:
    r = check(lww.spec)
    assert r.status == "ok" and r.exhaustive  # both kinds of conflict are reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (9_917, 17_315, 10)


def test_hlc_holds_with_duplicates() -> None:
    r = check(lww.spec, params={"writes": 1, "faults": "drift=1,dup=1"})
    assert r.status == "ok" and r.stats.distinct_states == 629


def test_with_wall_clocks_a_causally_later_write_loses() -> None:
    assert {v.name: dict(v.params) for v in lww.spec.variants.values()} == {
        "wall-clock": {"resolution": "wall"}}
    r = check(lww.spec, variant="wall-clock")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "no_causal_overwrite"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "write(r=1)", "⌚ drift 0 -1", "deliver Replicate(1→0, write=1)", "write(r=0)"]
    last = trace.steps[-1].state
    assert [w["ts"] for w in last["writes"]] == [[1, 0], [1, 0]]
    assert last["value"] == [1, 1] and last["seen"] == [[1, 2], [1]]


def test_without_drift_wall_clocks_keep_the_later_write() -> None:
    r = check(lww.spec, variant="wall-clock", params={"faults": "none"})
    assert r.status == "ok"


def test_the_sequence_diagram_tells_the_story(invoke_output: InvokeOutput,
                                               tmp_path: Path) -> None:
    r = check(lww.spec, variant="wall-clock")
    assert r.violation is not None and r.violation.trace is not None
    path = tmp_path / "trace.json"
    r.violation.trace.save(path)
    code, out = invoke_output("trace", "diagram", path)
    assert code == 0
    snapshot = SNAPSHOTS / "lww-skew-wall-clock.mmd"
    if os.environ.get("MODELCHECK_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(out, encoding="utf-8")
    assert out == snapshot.read_text(encoding="utf-8")


def test_two_ticks_of_drift_kill_the_accepted_receipt_mutants(invoke: Invoke) -> None:
    code, out, _ = invoke("mutate", "lww-skew", "--faults", "drift=2", "--param", "writes=1",
                          "--show", "receive:flip-comparison:1",
                          "--show", "receive:flip-comparison:2", "--json")
    assert code == 0
    data = json.loads(out)
    assert [(m["id"], m["status"], m["property"], m["trace_length"]) for m in data["mutants"]] \
        == [("receive:flip-comparison:1", "killed", "hlc_covers_seen", 4),
            ("receive:flip-comparison:2", "killed", "hlc_covers_seen", 4)]
