"""EWD840 (Dijkstra's termination detection on a ring) matches TLC: counts and liveness verdict.

TLC 2.15 on EWD840.tla with EWD840.cfg (N = 3, invariants and the property Liveness under
``WF_vars(System)``): 2,001 states generated, 302 distinct, depth 9, no error. With more nodes
(TLC 2.15, invariants TypeOK, TerminationDetection and Inv, ``-deadlock``): N = 5, 7,742
distinct and 114,211 generated, depth 15; N = 6, 36,990 and 750,020, depth 18; N = 7, 172,286
and 4,615,557, depth 21; N = 8, 786,942 and 26,990,854, depth 24 (``benchmarks/tlc_ports.py``
runs N = 8 against TLC).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import bind, check, replay
from modelcheck.catalogue import load

if TYPE_CHECKING:
    from conftest import Invoke


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


@pytest.mark.parametrize(("n", "distinct", "generated", "depth"), [
    (5, 7_742, 114_211, 15), (6, 36_990, 750_020, 18),
    pytest.param(7, 172_286, 4_615_557, 21, marks=pytest.mark.slow),
    pytest.param(8, 786_942, 26_990_854, 24, marks=pytest.mark.slow),
])
def test_safety_counts_match_tlc_on_larger_rings(n: int, distinct: int, generated: int,
                                                  depth: int) -> None:
    result = check(load("ewd840"), params={"n": n}, temporal=False)
    assert result.status == "ok" and result.exhaustive
    stats = result.stats
    assert (stats.distinct_states, stats.generated_states, stats.depth) == (
        distinct, generated, depth)


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


def test_the_refinement_of_the_abstract_spec_catches_a_probe_that_starts_too_early(
        invoke: Invoke) -> None:
    # `initiate_probe` with `and` for `or`: node 0 starts a probe whenever it holds the
    # token, even once termination is detected, which takes the detection back: a step
    # SyncTerminationDetection does not allow (terminationDetected never falls)
    code, out, _ = invoke("mutate", "ewd840", "--json", "--jobs", "1",
                          "--show", "initiate_probe:and-or:1", "--show", "deactivate:drop-guard:1")
    assert code == 0
    by = {m["id"]: (m["status"], m["property"], m["trace_length"])
          for m in json.loads(out)["mutants"]}
    assert by == {"initiate_probe:and-or:1": ("killed", "refines_td", 4),
                  "deactivate:drop-guard:1": ("accepted", None, None)}


def test_the_added_properties_catch_a_ring_that_only_does_less(invoke: Invoke) -> None:
    killed = {
        # An active black node keeps a white token until it is passive.
        "pass_token:flip-comparison:2": ("spoiled_round_ends", 1),
        # No node is ever activated: the computation never reaches a node behind the probe.
        "send_msg:flip-comparison:1": ("reactivated_behind_probe", None),
        "send_msg:drop-update:3": ("reactivated_behind_probe", None),
        # No node becomes passive: from an active ring, termination is never detected.
        "deactivate:drop-update:1": ("detectable", 0),
    }
    shown = [arg for mutant in [*killed, "init:field-constant:1"] for arg in ("--show", mutant)]
    code, out, _ = invoke("mutate", "ewd840", "--json", "--jobs", "1", *shown)
    assert code == 0
    by = {m["id"]: (m["status"], m["property"], m["trace_length"])
          for m in json.loads(out)["mutants"]}
    assert by == {**{m: ("killed", *p) for m, p in killed.items()},
                  "init:field-constant:1": ("accepted", None, None)}
