"""Lamport, vector and hybrid logical clocks against the true happened-before relation."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck_specs import logical_clocks as lc


def test_default_counts() -> None:
    r = check(lc.spec)
    assert r.status == "ok" and r.exhaustive  # concurrent_events_ordered is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (1_178, 1_857, 7)
    assert check(lc.spec, symmetry=True).stats.distinct_states == 600


def test_hlc_holds_under_drift() -> None:
    r = check(lc.spec, variant="hlc-drift")
    assert r.status == "ok" and r.stats.distinct_states == 7_108


@pytest.mark.parametrize(("variant", "prop", "length"), [
    ("lamport-converse", "lamport_converse", 3),
    ("vector-merge-sum", "vector_clock_condition", 5),
    ("vector-forget-increment", "vector_clock_condition", 2),
    ("hlc-physical-only", "hlc_monotonic", 2),
])
def test_flawed_variants_have_shortest_traces(variant: str, prop: str, length: int) -> None:
    r = check(lc.spec, variant=variant)
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == prop
    assert r.violation.trace is not None and r.violation.trace.length == length


def test_vector_merge_sum_counts_events_that_never_happened() -> None:
    r = check(lc.spec, variant="vector-merge-sum")
    assert r.violation is not None and r.violation.trace is not None
    last = r.violation.trace.steps[-1].state["events"]
    assert [e["vector"] for e in last[1]] == [[1, 1], [3, 2]]
    assert last[0][-1]["vector"] == [3, 0]


def test_hlc_rules_follow_the_paper() -> None:
    assert lc._hlc_local(3, 2, 3) == (3, 3)      # same l: count up
    assert lc._hlc_local(3, 2, 5) == (5, 0)      # physical clock ahead: adopt it
    assert lc._hlc_receive(3, 1, 3, 4, 2) == (3, 5)
    assert lc._hlc_receive(4, 1, 3, 4, 2) == (4, 2)
    assert lc._hlc_receive(2, 1, 3, 4, 2) == (3, 5)
    assert lc._hlc_receive(2, 1, 3, 4, 6) == (6, 0)
