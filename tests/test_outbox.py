"""Transactional outbox against dual write, with a crash between the two writes."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck.mutate import Settings, run
from modelcheck.render.labels import step_label
from modelcheck_specs import outbox


def test_outbox_survives_a_crash() -> None:
    r = check(outbox.spec)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (216, 529)
    r = check(outbox.spec, params={"faults": "crash=1,restart=1,dup=1"})
    assert r.status == "ok" and r.stats.distinct_states == 615


@pytest.mark.parametrize(("variant", "labels"), [
    ("dual-write", ["init", "place_order(o=0)", "⚡ crash 0", "↺ restart 0"]),
    ("dual-write-publish-first", ["init", "place_order(o=0)", "deliver Event(0→1, order=0)",
                                  "⚡ crash 0", "↺ restart 0"]),
])
def test_dual_write_loses_or_invents_an_event(variant: str, labels: list[str]) -> None:
    r = check(outbox.spec, variant=variant)
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.kind) == ("events_match_orders", "liveness")
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == labels
    assert trace.loop_start == trace.length  # it stays in the last state forever
    last = trace.steps[-1].state
    assert (last["committed"], last["applied"]) == (
        ([0], [0, 0]) if variant == "dual-write" else ([], [1, 0]))


def test_a_consumer_that_is_not_idempotent_applies_twice() -> None:
    r = check(outbox.spec, variant="consumer-not-idempotent")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "applied_at_most_once"
    assert r.violation.trace.length == 7


def test_loss_is_not_at_least_once() -> None:
    r = check(outbox.spec, params={"faults": "crash=1,restart=1,loss=1"})
    assert r.violation is not None and r.violation.property == "events_match_orders"


def test_mutants_that_publish_again_are_caught() -> None:
    # An order placed again, a dual-write step enabled in the outbox design, a relay that
    # does not remember what it is publishing or does not clear the row: each publishes an
    # event again without a crash, and its states would have no end.
    report = run(outbox.spec, Settings(jobs=1, timeout=30))
    assert (report.count("killed"), report.count("survived"), report.count("equivalent"),
            report.count("timeout")) == (28, 0, 12, 0)
    by = {o.mutant.id: o.killed_by for o in report.outcomes}
    for mutant in ("place_order:drop-guard:1", "place_order:drop-update:3",
                   "publish:drop-guard:1", "commit:drop-guard:1",
                   "relay_publish:drop-update:1", "relay_mark_sent:drop-update:1"):
        assert by[mutant] == "republished_only_after_faults"
    # A relay that marks a row sent but still holds it as being published.
    assert by["relay_mark_sent:drop-update:2"] == "relay_holds_unsent_rows"
