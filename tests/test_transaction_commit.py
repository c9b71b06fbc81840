"""TCommit, pinned to TLC's published counts (34 distinct, 94 generated, depth 7)."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck_specs import transaction_commit as tc


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_counts_match_tlc(strategy: str) -> None:
    r = check(tc.spec, strategy=strategy)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (34, 94, 7)


def test_without_terminal_states_the_decided_states_are_deadlocks() -> None:
    # TLC reports "Deadlock reached" on TCommit unless deadlock checking is off.
    r = check(tc.spec, deadlock=False)
    assert (r.status, r.stats.distinct_states) == ("ok", 34)


def test_abort_after_commit_violates_consistency_in_five_steps() -> None:
    r = check(tc.spec, variant="abort-after-commit")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "consistent"
    assert r.violation.trace.length == 5
