"""EWD840 (Dijkstra's termination detection on a ring) matches TLC: counts and liveness verdict.

TLC 2.15 on EWD840.tla with EWD840.cfg (N = 3, invariants and the property Liveness under
``WF_vars(System)``): 2,001 states generated, 302 distinct, depth 9, no error.
"""

from __future__ import annotations

import pytest

from modelcheck import bind, check, replay
from modelcheck.catalogue import load


@pytest.mark.parametrize(("n", "distinct", "generated", "depth"),
                         [(3, 302, 2001, 9), (4, 1566, 15986, 12)])
def test_counts_and_verdict_match_tlc(n: int, distinct: int, generated: int, depth: int) -> None:
    result = check(load("ewd840"), params={"n": n})
    assert result.status == "ok" and result.exhaustive
    stats = result.stats
    assert (stats.distinct_states, stats.generated_states, stats.depth) == (
        distinct, generated, depth)
    assert result.details["temporal"]["states"] == distinct
    # Every generated state but the initial ones (2^n activities, 2^n colourings, n
    # token positions) is a transition of the graph.
    assert result.details["temporal"]["transitions"] == generated - 2 ** n * 2 ** n * n


def test_termination_is_detected_only_under_fairness() -> None:
    result = check(load("ewd840"), fairness={"system": None})
    v = result.violation
    assert v is not None and v.kind == "liveness"
    assert v.property == "termination_eventually_detected"
    # A passive ring that is not yet detected, and nothing forces the token to move.
    assert v.trace is not None and v.trace.length == 0 and v.trace.loop_start == 0
    assert v.trace.steps[0].state["active"] == [False, False, False]


def test_a_node_that_stays_black_spoils_every_round() -> None:
    spec = load("ewd840")
    result = check(spec, variant="pass-keeps-color")
    v = result.violation
    assert v is not None and v.kind == "liveness" and v.trace is not None
    assert v.trace.loop_start == 0 and v.trace.length == 3
    assert [s.action for s in v.trace.steps] == [
        "init", "initiate_probe", "pass_token", "pass_token"]
    assert v.trace.steps[-1].state == v.trace.steps[0].state
    replay(bind(spec, "pass-keeps-color"), v.trace)


def test_safety_alone_agrees_with_every_strategy() -> None:
    spec = load("ewd840")
    for strategy in ("bfs", "dfs"):
        result = check(spec, strategy=strategy, temporal=False)
        assert result.status == "ok"
        assert (result.stats.distinct_states, result.stats.generated_states) == (302, 2001)
