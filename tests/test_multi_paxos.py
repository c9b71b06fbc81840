"""Multi-Paxos: pinned counts, the new leader that skips phase 1, and the one that adopts
any reported vote."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck.mutate import load_mutant, mutants_of, select
from modelcheck.render.labels import step_label
from modelcheck_specs import multi_paxos as mp


@pytest.mark.parametrize(("variant", "distinct", "generated", "depth"), [
    pytest.param(None, 16_857, 100_580, 21, marks=pytest.mark.slow),
    pytest.param("two-slots", 31_113, 229_150, 21, marks=pytest.mark.slow),
])
def test_slot_agreement_holds_with_pinned_counts(variant: str | None, distinct: int,
                                                 generated: int, depth: int) -> None:
    r = check(mp.spec, variant=variant)
    assert r.status == "ok" and r.exhaustive  # log_chosen (sometimes) is met too
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)


def test_default_with_symmetry() -> None:
    r = check(mp.spec, symmetry=True)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (3_313, 19_705)


def test_one_slot_two_ballots_with_symmetry() -> None:
    r = check(mp.spec, params={"max_ballot": 1}, symmetry=True)
    assert r.status == "ok" and r.exhaustive
    assert r.stats.distinct_states == 105


def test_new_leader_skipping_phase1_proposes_what_no_majority_shows_safe() -> None:
    r = check(mp.spec, variant="new-leader-skips-phase1")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("messages_sound", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 1
    assert [step_label(s) for s in trace.steps][-1].startswith("propose(b=1")


def test_the_default_run_kills_a_new_leader_that_adopts_any_reported_vote() -> None:
    """No automatic mutant adopts a vote other than the highest reported (``safe`` is not
    a step): the shipped variant ``adopt-any-vote`` is that bug, at the default bounds.
    Ballot 2's leader hears of votes of ballots 0 and 1 for different commands and
    proposes the older one."""
    r = check(mp.spec, variant="adopt-any-vote")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("messages_sound", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 11
    assert step_label(trace.steps[-1]).startswith("propose(b=2, slot=0, v=0)")


@pytest.mark.parametrize(("mutant", "prop", "length"), [
    ("propose:drop-conjunct:3", "stable_leader_fills_log", None),  # one proposal per ballot
    ("accept:field-constant:3", "votes_announced", 2),  # every Accepted names slot 0
])
def test_two_slots_kill_the_mutants_that_mix_up_slots(mutant: str, prop: str,
                                                       length: int | None) -> None:
    """At the default single slot these mutants are equivalent; the variant ``two-slots``
    kills them."""
    (m,) = select(mutants_of(mp.spec), [mutant])
    r = check(load_mutant(mp.spec, m), variant="two-slots")
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == prop
    assert (r.violation.trace.length if r.violation.trace else None) == length


def test_a_new_leader_proposes_the_value_reported_for_the_slot() -> None:
    cfg = mp.Config(slots=2)
    s = mp.init(cfg).replace(msgs=frozenset({
        mp.Promise(0, 1, ((0, 0), mp.NO_VOTE)), mp.Promise(1, 1, (mp.NO_VOTE, mp.NO_VOTE))}))
    assert mp.propose(cfg, s, 1, 0, 1) is None  # slot 0 holds a vote for 0
    assert mp.propose(cfg, s, 1, 0, 0) is not None
    assert mp.propose(cfg, s, 1, 1, 1) is not None  # slot 1 is free: its own command
    assert mp.propose(cfg, s, 1, 1, 0) is None


def test_a_crashed_leader_ends_the_model_without_deadlock() -> None:
    r = check(mp.spec, params={"max_ballot": 1, "faults": "crash=1"})
    assert r.status == "ok" and r.exhaustive
    assert r.stats.distinct_states == 2_751
