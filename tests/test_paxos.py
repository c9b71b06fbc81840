"""Paxos: the port of Paxos.tla pinned to TLC's counts, Flexible Paxos's quorum condition
on both sides, and the shortest trace of each flawed variant."""

from __future__ import annotations

import pytest

from modelcheck import bind, check, replay
from modelcheck.render.labels import step_label
from modelcheck_specs import paxos


@pytest.mark.parametrize(("params", "distinct", "generated", "depth"), [
    # MCPaxos.cfg as published in tlaplus/Examples (manifest.json): 25 / 82, depth 9.
    ({"acceptors": 1, "values": 1}, 25, 82, 9),
    # MCPaxos with 3 acceptors, 2 values, ballots 0..1, no SYMMETRY: TLC 2.15 run here.
    ({}, 3_921, 23_563, 17),
])
def test_counts_match_tlc(params: dict[str, int], distinct: int, generated: int,
                          depth: int) -> None:
    r = check(paxos.spec, params=params)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)


def test_symmetry_reduces_acceptors_and_values() -> None:
    r = check(paxos.spec, symmetry=True)
    assert r.status == "ok"
    assert (r.stats.distinct_states, r.stats.generated_states) == (443, 2_697)


@pytest.mark.parametrize(("acceptors", "q1", "q2"), [
    pytest.param(*case, marks=pytest.mark.slow) if case in [(3, 1, 3), (4, 2, 3), (4, 2, 2)]
    else case
    for case in [(3, q1, q2) for q1 in (1, 2, 3) for q2 in (1, 2, 3)] + [(4, 2, 3), (4, 2, 2)]])
def test_flexible_paxos_agreement_iff_phase1_and_phase2_quorums_intersect(
        acceptors: int, q1: int, q2: int) -> None:
    r = check(paxos.spec, params={"acceptors": acceptors, "phase1_quorum": q1,
                                  "phase2_quorum": q2}, symmetry=acceptors == 4)
    if q1 + q2 > acceptors:
        assert r.status == "ok" and r.exhaustive
    else:
        assert r.status == "violation" and r.violation is not None
        assert r.violation.property == "agreement"


@pytest.mark.parametrize(("variant", "length", "distinct"), [
    ("accept-lower-ballot", 12, None),
    ("ignore-accepted-value", 12, None),
    ("flexible-disjoint-quorums", 10, None),
    ("flexible-quorums", None, 513),
])
def test_variants(variant: str, length: int | None, distinct: int | None) -> None:
    r = check(paxos.spec, variant=variant)
    if length is None:
        assert r.status == "ok" and r.stats.distinct_states == distinct
        return
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("agreement", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == length
    model = bind(paxos.spec, variant)
    last = replay(model, trace)[-1]
    assert paxos.chosen(model.config, last) == {0, 1}


def test_accept_lower_ballot_votes_below_its_promise() -> None:
    r = check(paxos.spec, variant="accept-lower-ballot")
    assert r.violation is not None and r.violation.trace is not None
    labels = [step_label(s) for s in r.violation.trace.steps]
    assert labels[7] == "phase2a(b=0, v=0, q=[0, 1], w=None)"
    assert labels[10] == "phase2a(b=1, v=1, q=[0, 1], w=None)"
    before_vote = r.violation.trace.steps[7].state
    assert before_vote["max_bal"][:2] == [1, 1]  # both promised ballot 1 before voting in 0


def test_a_proposer_must_propose_the_highest_vote_reported() -> None:
    cfg = paxos.Config()
    s = paxos.init(cfg).replace(msgs=frozenset({
        paxos.Phase1b(0, 1, -1, None), paxos.Phase1b(1, 1, 0, 0)}))
    assert paxos.phase2a(cfg, s, 1, 1, (0, 1), None) is None  # acceptor 1 voted
    assert paxos.phase2a(cfg, s, 1, 1, (0, 1), 1) is None  # its vote was for 0
    assert paxos.phase2a(cfg, s, 1, 0, (0, 1), 1) is not None
    assert paxos.phase2a(cfg, s, 1, 0, (0, 2), None) is None  # no 1b from acceptor 2


@pytest.mark.parametrize("faults", ["crash=1", "crash=1,restart=1"])
@pytest.mark.slow
def test_agreement_holds_under_faults(faults: str) -> None:
    r = check(paxos.spec, params={"faults": faults}, symmetry=True)
    assert r.status == "ok" and r.exhaustive
