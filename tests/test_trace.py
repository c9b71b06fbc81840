"""Traces: JSON round-trip, clear errors for corrupt files, replay that names the step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelcheck import ReplayError, Trace, TraceFormatError, bind, check, replay
from modelcheck.render.text import diff, render_trace
from modelcheck_specs import two_phase_commit as tpc


def violation_trace() -> Trace:
    r = check(tpc.spec, variant="tm-commits-early")
    assert r.violation is not None and r.violation.trace is not None
    return r.violation.trace


def test_json_round_trip(tmp_path: Path) -> None:
    trace = violation_trace()
    path = tmp_path / "t.json"
    trace.save(path)
    loaded = Trace.load(path)
    assert loaded == trace
    assert loaded.length == 5 and loaded.loop_start is None
    assert json.loads(path.read_text())["format"] == "modelcheck-trace/1"
    assert loaded.steps[1].state["msgs"] == [{"$type": "Prepared", "rm": 0}]


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"format": "other"}', "unknown trace format"),
    ('{"format": "modelcheck-trace/1", "spec": "x", "params": {}, "steps": []}',
     "at least one step"),
    ('{"format": "modelcheck-trace/1", "spec": "x", "params": {}, "steps": [{"args": {}}]}',
     "step 0 must be an object"),
    ('{"format": "modelcheck-trace/1", "spec": "x", "params": {}, '
     '"steps": [{"action": "init", "state": 1}], "loop_start": 4}', "loop_start 4"),
])
def test_corrupt_traces_are_rejected_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(TraceFormatError, match=message):
        Trace.loads(text)


def test_missing_trace_file() -> None:
    with pytest.raises(TraceFormatError, match="cannot read trace file"):
        Trace.load("/nonexistent/trace.json")


def test_replay_reports_the_first_step_that_no_longer_applies() -> None:
    trace = violation_trace()
    # Against the correct protocol, tm_commit is not enabled after one Prepared message.
    with pytest.raises(ReplayError, match="step 3: tm_commit is not enabled") as e:
        replay(bind(tpc.spec), trace)
    assert e.value.step == 3
    data = trace.to_json()
    data["steps"][2]["state"]["tm_prepared"] = [2]
    with pytest.raises(ReplayError, match=r"step 2: deliver Prepared\(rm=0\)") as e2:
        replay(bind(tpc.spec, "tm-commits-early"), Trace.from_json(data))
    assert e2.value.step == 2


def test_text_rendering_snapshot() -> None:
    assert render_trace(violation_trace()) == "\n".join([
        " 0  init",
        "      rm_state: [working, working, working]",
        "      tm_state: init",
        "      tm_prepared: []",
        "      msgs: []",
        "      unchanged throughout:",
        "        faults: NodeFaults()",
        " 1  rm_prepare(rm=0)",
        "      rm_state[0]: working → prepared",
        "      msgs + Prepared(rm=0)",
        " 2  deliver Prepared(rm=0)",
        "      tm_prepared + 0",
        " 3  tm_commit",
        "      tm_state: init → committed",
        "      msgs + Commit(rm=0)",
        "      msgs + Commit(rm=1)",
        "      msgs + Commit(rm=2)",
        " 4  deliver Commit(rm=0)",
        "      rm_state[0]: prepared → committed",
        " 5  rm_choose_to_abort(rm=1)",
        "      rm_state[1]: working → aborted",
    ])


def test_diff_reads_sets_as_sets_and_tuples_by_item() -> None:
    a = {"$type": "S", "xs": ["a", "b", "c"], "msgs": [1, 2, 3]}
    b = {"$type": "S", "xs": ["a", "z", "c"], "msgs": [0, 2, 3]}
    assert diff(a, b) == [("xs[1]", "changed", "b", "z"), ("msgs[0]", "changed", 1, 0)]
    c = {"$type": "S", "xs": ["a", "b", "c"], "msgs": [2, 3, 4]}
    assert diff(a, c) == [("msgs", "removed", 1, None), ("msgs", "added", None, 4)]
