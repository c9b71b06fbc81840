"""Two-phase commit: a faithful port of TwoPhase.tla, pinned to TLC's published counts."""

from __future__ import annotations

import pytest

from modelcheck import bind, check, replay
from modelcheck.render.labels import step_label
from modelcheck_specs import two_phase_commit as tpc


@pytest.mark.parametrize(("rms", "distinct", "generated", "depth"), [
    (3, 288, 1_146, 11),
    (4, 1_568, 8_258, 14),
    (5, 8_832, 58_146, 17),
])
@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_counts_match_tlc(strategy: str, rms: int, distinct: int, generated: int,
                          depth: int) -> None:
    # all_decide is checked on the state graph, which only the breadth-first search records.
    r = check(tpc.spec, params={"rms": rms}, strategy=strategy, temporal=strategy == "bfs")
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)
    if strategy == "bfs":
        assert r.stats.depth == depth


def test_tm_commits_early_has_a_shortest_trace_of_five_steps() -> None:
    r = check(tpc.spec, variant="tm-commits-early")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("consistent", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 5
    assert [step_label(s) for s in trace.steps] == [
        "init", "rm_prepare(rm=0)", "deliver Prepared(rm=0)", "tm_commit",
        "deliver Commit(rm=0)", "rm_choose_to_abort(rm=1)"]
    assert trace.steps[-1].state["rm_state"] == ["committed", "aborted", "working"]
    states = replay(bind(tpc.spec, "tm-commits-early"), trace)
    assert not tpc.consistent(tpc.Config(tm_commit_early=True), states[-1])


def test_both_outcomes_are_reachable() -> None:
    r = check(tpc.spec)
    assert r.status == "ok"  # an unmet @spec.sometimes would be a violation


def test_all_decide_holds_without_faults_and_with_symmetry() -> None:
    r = check(tpc.spec)
    assert r.status == "ok" and r.details["temporal"] is not None
    reduced = check(tpc.spec, symmetry=True)
    assert (reduced.status, reduced.stats.distinct_states) == ("ok", 80)


@pytest.mark.parametrize("symmetry", [False, True])
def test_a_crashed_tm_blocks_a_prepared_rm_in_two_steps(symmetry: bool) -> None:
    r = check(tpc.spec, variant="tm-crash", symmetry=symmetry)
    assert r.status == "violation" and r.exit_code == 1 and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("all_decide", "possibility")
    trace = r.violation.trace
    assert trace is not None and trace.length == 2
    assert [s.action for s in trace.steps] == ["init", "crash", "rm_prepare"]
    assert trace.steps[-1].state["rm_state"] == ["prepared", "working", "working"]
    assert "none leading to such a state" in r.violation.message
    states = replay(bind(tpc.spec, "tm-crash"), trace)
    assert tpc.TM in states[-1].faults.down and not tpc.all_decide(tpc.Config(), states[-1])


def test_a_blocked_state_is_terminal_not_a_deadlock() -> None:
    r = check(tpc.spec, variant="tm-crash", temporal=False)
    assert r.status == "ok" and r.stats.distinct_states == 576
