"""A lock with leases: a delayed write lands after the next holder's; fencing rejects it."""

from __future__ import annotations

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import distributed_lock as dl


def test_fencing_holds() -> None:
    r = check(dl.spec)
    assert r.status == "ok" and r.exhaustive  # write_accepted is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (1_774, 2_524, 13)
    assert check(dl.spec, symmetry=True).status == "ok"


def test_fencing_holds_under_drift_and_message_faults() -> None:
    r = check(dl.spec, params={"clients": 2, "max_time": 2,
                               "faults": "drift=1,dup=1,loss=1,crash=1"})
    assert r.status == "ok" and r.stats.distinct_states == 11_403


def test_without_fencing_a_stale_write_lands() -> None:
    r = check(dl.spec, variant="no-fencing")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "no_stale_write"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "acquire(c=0)", "write(c=0)", "tick", "acquire(c=1)", "write(c=1)",
        "deliver WriteRequest 1→3 token=2", "deliver WriteRequest 0→3 token=1"]
    assert trace.steps[-1].state["accepted"] == [[1, 2], [0, 1]]
