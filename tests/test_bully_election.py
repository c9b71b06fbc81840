"""The bully algorithm: the highest live id leads once elections settle, through crashes and
recoveries, and every election ends; a recovering node that skips its election, or a node
that does not await answers, leaves two leaders."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck.mutate import Settings, run
from modelcheck.render.labels import step_label
from modelcheck_specs import bully_election as be


def test_the_highest_live_id_leads_once_settled() -> None:
    r = check(be.spec)
    assert r.status == "ok" and r.exhaustive  # settled_under_highest is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (5_716, 12_910, 28)
    for faults, states in (("crash=1,restart=1", 1_155), ("crash=2,restart=2", 7_864)):
        r = check(be.spec, params={"faults": faults})
        assert r.status == "ok" and r.stats.distinct_states == states
    r = check(be.spec, params={"nodes": 2})  # both nodes may crash for good
    assert r.status == "ok" and r.stats.distinct_states == 205


STEP_PROPERTIES = ("winner_outranks_listeners", "only_leaders_claim",
                   "waits_while_a_coordinator_can_come")


@pytest.mark.parametrize("skip", [(), STEP_PROPERTIES])
def test_a_restarted_leader_that_skips_its_election_keeps_leading(
        skip: tuple[str, ...]) -> None:
    r = check(be.spec, variant="no-recovery-election", skip=skip)
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == ("one_leader" if skip else "winner_outranks_listeners")
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "⚡ crash 0", "boot(i=1)", "deliver Election(1→2)", "win(i=1)", "⚡ crash 1",
        "boot(i=2)", "win(i=2)", "↺ restart 1", "boot(i=1)"]
    assert trace.steps[-1].state["leader"] == [None, 1, 2]


def test_a_node_that_does_not_await_answers_wins_while_a_higher_node_leads() -> None:
    r = check(be.spec, variant="no-await-answers")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "winner_outranks_listeners"
    assert [step_label(s) for s in r.violation.trace.steps] == [
        "init", "⚡ crash 0", "boot(i=2)", "win(i=2)", "deliver Coordinator(2→1)", "boot(i=1)",
        "win(i=1)"]


def test_a_node_that_does_not_await_answers_leaves_two_leaders() -> None:
    r = check(be.spec, variant="no-await-answers", skip=STEP_PROPERTIES)
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "one_leader"
    trace = r.violation.trace
    assert trace.length == 13
    assert [step_label(s) for s in trace.steps][-4:] == [
        "win(i=1)", "deliver Election(1→2)", "deliver Coordinator(1→0)",
        "deliver Coordinator(2→1)"]
    assert trace.steps[-1].state["leader"] == [1, 2, 2]


@pytest.mark.slow
def test_four_nodes_show_the_race_the_model_does_not_bound() -> None:
    r = check(be.spec, params={"nodes": 4, "faults": "crash=1,restart=1"})
    assert r.violation is not None and r.violation.property == "one_leader"
    assert r.violation.trace is not None and r.violation.trace.length == 28


def test_each_variant_changes_one_parameter() -> None:
    assert {v.name: v.params for v in be.spec.variants.values()} == {
        "no-recovery-election": {"recovery_election": False},
        "no-await-answers": {"await_answers": False}}


def test_the_step_properties_catch_at_3_nodes_what_shows_as_two_leaders_only_at_more() -> None:
    report = run(be.spec, Settings(timeout=60, jobs=2), only=[
        "receive_answer:drop-update:1",  # a node answered stays in its election, and wins
        "receive_election:drop-conjunct:1",  # a node in an election claims from its disk
        "give_up_waiting:drop-guard:2",  # stops waiting while a higher node is electing
    ])
    by = {o.mutant.id: (o.status, o.killed_by, o.trace_length) for o in report.outcomes}
    assert by == {
        "receive_answer:drop-update:1": ("killed", "winner_outranks_listeners", 12),
        "receive_election:drop-conjunct:1": ("killed", "only_leaders_claim", 16),
        "give_up_waiting:drop-guard:2": ("killed", "waits_while_a_coordinator_can_come", 12)}


def test_an_idle_node_that_answers_without_taking_over_leaves_an_election_without_end() -> None:
    report = run(be.spec, Settings(timeout=60, jobs=1),
                 only=["receive_election:flip-comparison:4"])
    (o,) = report.outcomes
    assert (o.status, o.killed_by, o.trace_length) == ("killed", "elections_end", 14)
