"""Gossip: fair anti-entropy spreads every update; an overwriting merge goes backwards."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck.mutate import Settings, run
from modelcheck.render.labels import step_label
from modelcheck_specs import gossip


def test_default_counts() -> None:
    r = check(gossip.spec)
    assert r.status == "ok" and r.exhaustive  # update_spread is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (2_572, 14_686, 17)


def test_merge_overwrites_goes_backwards_in_four_steps() -> None:
    r = check(gossip.spec, variant="merge-overwrites")
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.kind) == ("versions_never_go_back", "action")
    assert [step_label(s) for s in r.violation.trace.steps] == [
        "init", "update(n=0)", "gossip(i=0, j=1)", "update(n=1)",
        "deliver Push(0→1, version=1)"]


@pytest.mark.slow
def test_liveness_needs_fair_gossip_and_live_nodes() -> None:
    r = check(gossip.spec, variant="crashed-node")
    assert r.violation is not None and r.violation.kind == "liveness"
    assert r.violation.trace is not None and r.violation.trace.length == 2
    r = check(gossip.spec, fairness={"gossip": None})
    assert r.violation is not None
    assert r.violation.property == "every_node_learns_every_update"


def test_liveness_survives_loss_and_healed_partitions() -> None:
    r = check(gossip.spec, params={"faults": "loss=1"})
    assert r.status == "ok" and r.stats.distinct_states == 5_143
    r = check(gossip.spec, params={"nodes": 2, "faults": "partition=1"})
    assert r.status == "ok" and r.stats.distinct_states == 105


def test_mutants_caught_at_the_default_bounds() -> None:
    only = {
        # Updates without the bound of ``updates``, or skipping a version: one update alone
        # never meets another, which the overwriting merge needs to show.
        "update:drop-guard:1": "type_ok", "update:off-by-one:2": "updates_meet",
        # A push to the node itself, or of version 0, which nothing delivers.
        "gossip:drop-guard:1": "type_ok",
        # Every push addressed to node 0: node 0's own go to itself.
        "gossip:field-constant:2": "type_ok",
    }
    report = run(gossip.spec, Settings(jobs=2, timeout=30), only=[*only])
    assert {o.mutant.id: (o.status, o.killed_by) for o in report.outcomes} == {
        mutant: ("killed", prop) for mutant, prop in only.items()}
