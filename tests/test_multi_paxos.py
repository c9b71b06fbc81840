"""Multi-Paxos: pinned counts, and the new leader that skips phase 1."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import multi_paxos as mp


@pytest.mark.slow
def test_slot_agreement_holds_with_pinned_counts() -> None:
    r = check(mp.spec)
    assert r.status == "ok" and r.exhaustive  # log_chosen (sometimes) is met too
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        31_113, 229_150, 21)


def test_one_slot_with_symmetry() -> None:
    r = check(mp.spec, params={"slots": 1}, symmetry=True)
    assert r.status == "ok" and r.exhaustive
    assert r.stats.distinct_states == 105


def test_new_leader_skipping_phase1_proposes_what_no_majority_shows_safe() -> None:
    r = check(mp.spec, variant="new-leader-skips-phase1")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("messages_sound", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 1
    assert [step_label(s) for s in trace.steps][-1].startswith("propose(b=1")


def test_a_new_leader_proposes_the_value_reported_for_the_slot() -> None:
    cfg = mp.Config()
    s = mp.init(cfg).replace(msgs=frozenset({
        mp.Promise(0, 1, ((0, 0), mp.NO_VOTE)), mp.Promise(1, 1, (mp.NO_VOTE, mp.NO_VOTE))}))
    assert mp.propose(cfg, s, 1, 0, 1) is None  # slot 0 holds a vote for 0
    assert mp.propose(cfg, s, 1, 0, 0) is not None
    assert mp.propose(cfg, s, 1, 1, 1) is not None  # slot 1 is free: its own command
    assert mp.propose(cfg, s, 1, 1, 0) is None


def test_a_crashed_leader_ends_the_model_without_deadlock() -> None:
    r = check(mp.spec, params={"slots": 1, "faults": "crash=1"})
    assert r.status == "ok" and r.exhaustive
    assert r.stats.distinct_states == 2_751
