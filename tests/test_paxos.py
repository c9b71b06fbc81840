"""Paxos: the port of Paxos.tla pinned to TLC's counts, Flexible Paxos's quorum condition
on both sides, and the shortest trace of each flawed variant."""

from __future__ import annotations

import pytest

from modelcheck import bind, check, replay
from modelcheck.mutate import STATUSES, Settings, load_mutant, mutants_of, run, select
from modelcheck.render.labels import step_label
from modelcheck_specs import paxos

BALLOTS_0_1 = {"max_ballot": 1}
"""The smallest configuration with a phase 1 to learn from: enough for what needs no
value selection."""


@pytest.mark.parametrize(("params", "distinct", "generated", "depth"), [
    # MCPaxos.cfg as published in tlaplus/Examples (manifest.json): 25 / 82, depth 9.
    ({"acceptors": 1, "values": 1, "max_ballot": 1}, 25, 82, 9),
    # MCPaxos with 3 acceptors, 2 values, ballots 0..1, no SYMMETRY: TLC 2.15 run here.
    (BALLOTS_0_1, 3_921, 23_563, 17),
    # The defaults, ballots 0..2: TLC 2.15 finds 185,369 / 1,361,380, depth 25.
    pytest.param({}, 185_369, 1_361_380, 25, marks=pytest.mark.slow),
])
def test_counts_match_tlc(params: dict[str, int], distinct: int, generated: int,
                          depth: int) -> None:
    r = check(paxos.spec, params=params)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)


@pytest.mark.parametrize(("params", "distinct", "generated"), [
    (BALLOTS_0_1, 443, 2_697),
    pytest.param({}, 17_153, 127_002, marks=pytest.mark.slow),
])
def test_symmetry_reduces_acceptors_and_values(params: dict[str, int], distinct: int,
                                               generated: int) -> None:
    r = check(paxos.spec, params=params, symmetry=True)
    assert r.status == "ok"
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)


@pytest.mark.parametrize(("acceptors", "q1", "q2"), [
    pytest.param(*case, marks=pytest.mark.slow) if case in [(3, 1, 3), (4, 2, 3), (4, 2, 2)]
    else case
    for case in [(3, q1, q2) for q1 in (1, 2, 3) for q2 in (1, 2, 3)] + [(4, 2, 3), (4, 2, 2)]])
def test_flexible_paxos_agreement_iff_phase1_and_phase2_quorums_intersect(
        acceptors: int, q1: int, q2: int) -> None:
    r = check(paxos.spec, params={**BALLOTS_0_1, "acceptors": acceptors, "phase1_quorum": q1,
                                  "phase2_quorum": q2}, symmetry=acceptors == 4)
    if q1 + q2 > acceptors:
        assert r.status == "ok" and r.exhaustive
    else:
        assert r.status == "violation" and r.violation is not None
        # Voting.tla's VotesSafe may fail a step before two values are chosen.
        assert r.violation.property in ("agreement", "votes_safe")


@pytest.mark.parametrize(("variant", "prop", "length", "distinct"), [
    ("accept-lower-ballot", "refines_voting", 7, None),
    ("ignore-accepted-value", "messages_sound", 9, None),
    pytest.param("adopt-any-vote", "messages_sound", 14, None, marks=pytest.mark.slow),
    ("flexible-disjoint-quorums", "agreement", 10, None),
    pytest.param("flexible-quorums", None, None, 9_689, marks=pytest.mark.slow),
])
def test_variants(variant: str, prop: str | None, length: int | None,
                  distinct: int | None) -> None:
    r = check(paxos.spec, variant=variant)
    if length is None:
        assert r.status == "ok" and r.stats.distinct_states == distinct
        return
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == prop
    trace = r.violation.trace
    assert trace is not None and trace.length == length
    if prop == "agreement":
        model = bind(paxos.spec, variant)
        assert paxos.chosen(model.config, replay(model, trace)[-1]) == {0, 1}


def test_accept_lower_ballot_votes_below_its_promise() -> None:
    r = check(paxos.spec, variant="accept-lower-ballot")
    assert r.violation is not None and r.violation.trace is not None
    steps = r.violation.trace.steps
    assert step_label(steps[-1]).startswith("deliver Phase2a(bal=0,")
    assert steps[-2].state["max_bal"][0] == 1  # it promised ballot 1, then votes in 0


@pytest.mark.slow
def test_mutation_score_at_ballots_0_1() -> None:
    """At ballots 0..1 too every mutant is killed but the equivalent and accepted ones (the
    default run's score, at ballots 0..2, is recorded by tools/mutation_scores.py)."""
    report = run(paxos.spec, Settings(params=BALLOTS_0_1, jobs=2))
    counts = {status: report.count(status) for status in STATUSES}
    assert counts == {"killed": 44, "error": 3, "survived": 0, "equivalent": 6,
                      "accepted": 1, "timeout": 0}
    killed = {o.mutant.id for o in report.outcomes if o.caught}
    assert "phase2b:drop-update:1" in killed  # votes without raising maxBal
    assert "phase2b:max-min:1" in killed


def test_the_default_run_kills_an_acceptor_that_votes_without_raising_its_promise() -> None:
    """The automatic mutant that drops the update of ``maxBal`` in phase 2b: the vote is
    not a step of Voting.tla's VoteFor."""
    (m,) = select(mutants_of(paxos.spec), ["phase2b:drop-update:1"])
    r = check(load_mutant(paxos.spec, m))
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "refines_voting"
    assert r.violation.trace is not None and r.violation.trace.length == 5


def test_the_default_run_kills_a_proposer_that_adopts_any_reported_vote() -> None:
    """No automatic mutant adopts a vote other than the highest reported (dropping the
    comparison leaves a guard that rejects every vote): the shipped variant
    ``adopt-any-vote`` is that bug, at the default bounds. Symmetry keeps this quick and
    finds the same shortest trace as the default run (test_variants, slow)."""
    r = check(paxos.spec, variant="adopt-any-vote", symmetry=True)
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "messages_sound"
    trace = r.violation.trace
    assert trace is not None and trace.length == 14
    last = step_label(trace.steps[-1])
    assert last.startswith("phase2a(b=2,"), last
    assert not check(paxos.spec, variant="adopt-any-vote", params=BALLOTS_0_1).violation


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
    r = check(paxos.spec, params={**BALLOTS_0_1, "faults": faults}, symmetry=True)
    assert r.status == "ok" and r.exhaustive


def test_a_proposer_that_proposes_a_fixed_value_fails_non_triviality() -> None:
    """The helper's mutant that sends value 0 in every 2a message keeps every safety
    property (only one value is ever proposed); ``free_choice`` reports it, at ballots 0..1
    as at the defaults."""
    (m,) = select(mutants_of(paxos.spec, helpers=True), ["_phase2a:field-constant:2"])
    r = check(load_mutant(paxos.spec, m), params=BALLOTS_0_1)
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "free_choice"
    assert r.stats.distinct_states == 1_681
