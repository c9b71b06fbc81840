"""State constraints (``@spec.constraint``) have TLC's semantics in every explorer.

The expected figures are TLC 2.15's (``-workers 1``) on the same models written in TLA+:

    VARIABLE x
    Init == x \\in {0, 7}
    Next == x' = x + 1 \\/ x' = x + 2        (A)    Next == x < 4 /\\ x' = x + 1    (B)
    CONSTRAINT x <= 3

A: 10 states generated, 4 distinct (x = 0..3): the initial state 7 and the successors 4
and 5 lie outside, are counted as generated, not as distinct, and are not expanded. With
the invariant ``x /= 4``, TLC reports it violated after 0 -> 2 -> 4 (8 generated, 4
distinct): invariants are checked on states outside. With ``x /= 7``, the initial state 7
violates it. B: 6 generated, 4 distinct and no deadlock, though the only successor of 3 is
outside and 4 has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelcheck import Record, Spec, SpecDefinitionError, bind, check, replay
from modelcheck.catalogue import load
from modelcheck.properties.verdict import judge
from modelcheck.render.text import render_result
from modelcheck.result import Result
from modelcheck.statespace import reachable_graph


@dataclass(frozen=True)
class Config:
    step2: bool = True
    cap: int = 100
    forbidden: int = -1
    """An invariant rejects this value (-1: none)."""
    broken_constraint: bool = False


class S(Record):
    x: int


spec = Spec("counter", Config, S)


@spec.init(x=(0, 7))
def init(cfg: Config, x: int) -> S:
    return S(x=x)


@spec.action
def inc(cfg: Config, s: S) -> S | None:
    return S(x=s.x + 1) if s.x < cfg.cap else None


@spec.action
def inc2(cfg: Config, s: S) -> S | None:
    return S(x=s.x + 2) if cfg.step2 else None


@spec.constraint
def small(cfg: Config, s: S) -> bool:
    if cfg.broken_constraint and s.x == 2:
        raise ValueError("no 2")
    return s.x <= 3


@spec.always
def allowed(cfg: Config, s: S) -> bool:
    return s.x != cfg.forbidden


A = {"cap": 100}
B = {"cap": 4, "step2": False}
EXACT = [("bfs", 1), ("dfs", 1), ("bfs", 2)]


def run(params: dict[str, Any], strategy: str, workers: int, **kw: Any) -> Result:
    return check(spec, params=params, strategy=strategy, workers=workers, **kw)


def counts(r: Result) -> tuple[str, int, int]:
    return r.status, r.stats.distinct_states, r.stats.generated_states


@pytest.mark.parametrize(("strategy", "workers"), EXACT)
def test_counts_match_tlc(strategy: str, workers: int) -> None:
    assert counts(run(A, strategy, workers)) == ("ok", 4, 10)
    # No deadlock: 3's only successor is outside, and 4 (outside) is not expanded.
    assert counts(run(B, strategy, workers)) == ("ok", 4, 6)


@pytest.mark.parametrize(("strategy", "workers"), EXACT)
def test_invariants_are_checked_on_states_outside(strategy: str, workers: int) -> None:
    r = run({**A, "forbidden": 4}, strategy, workers)
    assert r.violation is not None and r.violation.property == "allowed"
    trace = r.violation.trace
    assert trace is not None
    assert [s.state["x"] for s in trace.steps][-1] == 4
    replay(bind(spec, params={**A, "forbidden": 4}), trace)
    if strategy == "bfs":
        assert [s.state["x"] for s in trace.steps] == [0, 2, 4]
    if (strategy, workers) == ("bfs", 1):
        assert counts(r)[1:] == (4, 8)  # as TLC


@pytest.mark.parametrize(("strategy", "workers"), EXACT)
def test_an_initial_state_outside_is_checked(strategy: str, workers: int) -> None:
    r = run({**A, "forbidden": 7}, strategy, workers)
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.trace.length == 0
    assert r.violation.trace.steps[0].state["x"] == 7


@pytest.mark.parametrize(("strategy", "workers"), EXACT)
def test_a_deadlock_inside_is_still_one(strategy: str, workers: int) -> None:
    r = run({"cap": 2, "step2": False}, strategy, workers)
    assert r.violation is not None and r.violation.kind == "deadlock"
    assert r.violation.trace is not None and r.violation.trace.steps[-1].state["x"] == 2


@pytest.mark.parametrize(("strategy", "workers"), EXACT)
def test_a_constraint_that_raises_is_a_spec_error(strategy: str, workers: int) -> None:
    r = run({**A, "broken_constraint": True}, strategy, workers)
    assert r.status == "error" and r.error is not None
    assert r.error.startswith("state constraint small raised ValueError: no 2"), r.error


def test_the_result_says_the_constraint_bounded_the_search() -> None:
    r = run(A, "bfs", 1)
    assert r.status == "ok" and not r.exhaustive
    assert r.stopped == "bounded by the state constraint small"
    assert r.checked is not None and r.checked.constraints == ("small",)
    assert r.to_json()["checked"]["constraints"] == ["small"]  # type: ignore[index]
    assert {c.name: c.outcome for c in r.checked.properties} == {
        "allowed": "no violation found"}


def test_temporal_properties_are_not_checked_under_a_constraint() -> None:
    s = load("alternating-bit")
    local = Spec("with-temporal", s.config, s.state)
    local.inits, local.actions, local.constraints = s.inits, s.actions, s.constraints

    @local.eventually
    def never(cfg: Any, st: Any) -> bool:
        return False

    r = check(local)
    assert r.status == "ok" and r.stopped is not None
    assert r.stopped.startswith("bounded by the state constraint seq_constraint; temporal")
    assert r.checked is not None and r.checked.properties[0].outcome == "not checked"


def test_checkpoints_resume_a_constrained_search(tmp_path: Path) -> None:
    s = load("alternating-bit")
    full = check(s)
    stopped = check(s, max_states=100, checkpoint=str(tmp_path / "cp"))
    assert stopped.status == "incomplete"
    resumed = check(s, resume=str(tmp_path / "cp"))
    assert counts(resumed) == counts(full) == ("ok", 240, 1392)


def test_random_walks_stop_outside() -> None:
    r = check(spec, params=A, strategy="random", seed=1, runs=20)
    assert r.status == "ok" and r.coverage is not None
    # Every walk ends outside, at 4, 5 or at the initial state 7.
    assert r.coverage.ends == {"constraint": 20}
    bad = check(spec, params={**A, "forbidden": 5}, strategy="random", seed=1, runs=50)
    assert bad.violation is not None and bad.violation.property == "allowed"


def test_the_state_graph_marks_states_outside() -> None:
    space = reachable_graph(bind(spec, params=A), limit=None)
    xs = [s.x for s in space.states]
    assert sorted(xs) == [0, 1, 2, 3, 4, 5, 7]
    assert {xs[n] for n in space.outside} == {4, 5, 7}
    assert not space.deadlocks
    assert all(xs[src] <= 3 for src, _, _ in space.edges)


def test_replay_accepts_a_trace_that_leaves_the_constraint() -> None:
    """A trace through a state outside is a real execution of the spec: replay runs it,
    and judges it (a state outside is no deadlock, as in a search)."""
    model = bind(spec, params=B)
    r = check(spec, params={**B, "forbidden": 4})
    assert r.violation is not None and r.violation.trace is not None
    trace = r.violation.trace
    assert [s.state["x"] for s in trace.steps] == [0, 1, 2, 3, 4]
    states = replay(model, trace)
    assert judge(model, trace, states).property is None  # 4 has no successor, but is outside


def test_declaring_a_constraint_is_checked() -> None:
    local = Spec("bad", Config, S)
    with pytest.raises(SpecDefinitionError, match=r"@spec\.constraint"):
        local.constraint(lambda cfg: True)

    @local.constraint
    def c(cfg: Config, s: S) -> bool:
        return True
    with pytest.raises(SpecDefinitionError, match="already a state constraint"):
        local.always(c)


@pytest.mark.parametrize(("variant", "params"), [
    (None, {}), (None, {"msg_q_len": 3, "ack_q_len": 1}), ("receiver-flips-bit", {})])
def test_explorers_agree_with_constraints(variant: str | None, params: dict[str, Any]) -> None:
    s = load("alternating-bit")
    results = [check(s, variant=variant, params=params, strategy=st, workers=w)
               for st, w in EXACT]
    verdicts = {(r.status, r.violation.property if r.violation else None) for r in results}
    assert len(verdicts) == 1
    if results[0].status == "ok":
        assert len({counts(r) for r in results}) == 1
    else:
        bfs, _, par = results
        assert bfs.violation is not None and par.violation is not None
        assert bfs.violation.trace is not None and par.violation.trace is not None
        assert bfs.violation.trace.length == par.violation.trace.length


goals = Spec("counter-goal", Config, S)
goals.inits, goals.actions, goals.constraints = spec.inits, spec.actions, spec.constraints


@goals.sometimes
def six(cfg: Config, s: S) -> bool:
    return s.x == 6


@goals.sometimes
def five(cfg: Config, s: S) -> bool:
    return s.x == 5


NEVER_SIX = ("no reachable state satisfies six (@spec.sometimes; bounded by the state "
             "constraint small)")


@pytest.mark.parametrize(("strategy", "workers"), EXACT)
def test_a_goal_never_met_within_the_constraints_is_violated(strategy: str,
                                                              workers: int) -> None:
    """The constrained search is complete: 6 is never reached (4 and 5 are not expanded),
    and 5, outside, is generated and meets its goal."""
    r = run(A, strategy, workers)  # the counter spec has no goal
    assert r.status == "ok"
    r = check(goals, params=A, strategy=strategy, workers=workers)
    assert (r.status, r.exhaustive, counts(r)[1:]) == ("violation", False, (4, 10))
    assert r.violation is not None and r.violation.kind == "sometimes"
    assert r.violation.message == NEVER_SIX and r.violation.trace is None
    assert r.stopped == "bounded by the state constraint small"
    assert r.checked is not None
    assert [(c.name, c.outcome, c.note) for c in r.checked.properties] == [
        ("six", "violated", "no reachable state satisfies it; bounded by the state "
                            "constraint small"),
        ("five", "met", "")]
    assert (r.checked.deadlock.outcome, r.checked.deadlock.note) == (
        "no violation found", "bounded by the state constraint small")
    assert render_result(r).splitlines()[1:3] == [
        f"✗ {NEVER_SIX}",
        "checked: six (sometimes): violated (no reachable state satisfies it; bounded by "
        "the state constraint small); five (sometimes): met; deadlock freedom: no violation "
        "found (bounded by the state constraint small)"]


def test_every_goal_never_met_is_reported_with_continue() -> None:
    r = check(goals, params={**A, "step2": False}, max_violations=None)
    assert r.status == "violation"
    assert [(v.property, v.message) for v in r.violations] == [
        ("six", NEVER_SIX), ("five", NEVER_SIX.replace("six", "five"))]


def test_a_goal_met_within_the_constraints_passes() -> None:
    met = Spec("counter-met", Config, S)
    met.inits, met.actions, met.constraints = spec.inits, spec.actions, spec.constraints
    met.sometimes(five)
    r = check(met, params=A)
    assert r.status == "ok" and r.stopped == "bounded by the state constraint small"
    assert r.checked is not None
    assert [(c.name, c.outcome) for c in r.checked.properties] == [("five", "met")]


def test_a_depth_bound_leaves_a_constrained_goal_not_concluded() -> None:
    r = check(goals, params=A, max_depth=2)
    assert r.status == "ok" and not r.exhaustive
    bound = "depth limit of 2 reached; bounded by the state constraint small"
    assert r.stopped == bound
    assert r.checked is not None
    assert [(c.name, c.outcome, c.note) for c in r.checked.properties] == [
        ("six", "not concluded", bound), ("five", "not concluded", bound)]
    r = check(goals, params=A, max_states=2)
    assert r.status == "incomplete"
    assert r.checked is not None and r.checked.properties[0].outcome == "not concluded"
