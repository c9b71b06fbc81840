"""The bully algorithm: the highest live id leads once elections settle, through crashes and
recoveries; a recovering node that skips its election, or a node that does not await
answers, leaves two leaders."""

from __future__ import annotations

import pytest

from modelcheck import check
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


def test_a_restarted_leader_that_skips_its_election_keeps_leading() -> None:
    r = check(be.spec, variant="no-recovery-election")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "one_leader"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "⚡ crash 0", "boot(i=1)", "deliver Election(1→2)", "win(i=1)", "⚡ crash 1",
        "boot(i=2)", "win(i=2)", "↺ restart 1", "boot(i=1)"]
    assert trace.steps[-1].state["leader"] == [None, 1, 2]


def test_a_node_that_does_not_await_answers_leaves_two_leaders() -> None:
    r = check(be.spec, variant="no-await-answers")
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
