"""Every catalogue entry and variant gives its recorded verdict, with BFS and DFS agreeing.

A flawed variant's counterexample must replay and be a shortest one: a search bounded to
one step less finds nothing.
"""

from __future__ import annotations

import pytest

from modelcheck import Spec, bind, check, replay
from modelcheck.catalogue import entries

CASES = [(name, variant) for name, spec in entries().items()
         for variant in (None, *spec.variants)]


def test_catalogue_has_the_first_entries() -> None:
    assert {"transaction-commit", "two-phase-commit", "raft"} <= set(entries())


@pytest.mark.parametrize(("name", "variant"), CASES,
                         ids=[f"{n}:{v or 'default'}" for n, v in CASES])
def test_entry_gives_expected_verdict_and_strategies_agree(name: str, variant: str | None) -> None:
    spec: Spec = entries()[name]
    expect = spec.expectation(variant)
    bfs = check(spec, variant=variant)
    dfs = check(spec, variant=variant, strategy="dfs")
    assert bfs.status == dfs.status == ("ok" if expect.status == "ok" else "violation")
    if expect.status == "ok":
        assert bfs.exhaustive and dfs.exhaustive
        assert bfs.stats.distinct_states == dfs.stats.distinct_states
        assert bfs.stats.generated_states == dfs.stats.generated_states
        return
    assert bfs.violation is not None and dfs.violation is not None
    assert bfs.violation.property == dfs.violation.property == expect.property
    model = bind(spec, variant)
    for result in (bfs, dfs):
        trace = result.violation.trace if result.violation else None
        assert trace is not None
        states = replay(model, trace)
        assert len(states) == trace.length + 1
    shortest = bfs.violation.trace
    assert shortest is not None
    assert shortest.length <= dfs.violation.trace.length  # type: ignore[union-attr]
    bounded = check(spec, variant=variant, max_depth=shortest.length)
    assert bounded.status == "ok", "a shorter counterexample exists"
