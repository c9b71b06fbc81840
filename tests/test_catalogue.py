"""Every catalogue entry and variant gives its recorded verdict, with BFS and DFS agreeing.

A flawed variant's counterexample must replay and be a shortest one: a search bounded to
one step less finds nothing. Temporal properties are checked by breadth-first search
alone (on the whole state graph), so depth-first search checks the other properties of a
spec that has some, and must agree on the counts.
"""

from __future__ import annotations

import pytest

from modelcheck import Result, Spec, bind, check, replay
from modelcheck.catalogue import entries
from modelcheck.spec import TEMPORAL_KINDS

CASES = [(name, variant) for name, spec in entries().items()
         for variant in (None, *spec.variants)]


def test_catalogue_has_the_first_entries() -> None:
    assert {"transaction-commit", "two-phase-commit", "raft"} <= set(entries())


@pytest.mark.parametrize(("name", "variant"), CASES,
                         ids=[f"{n}:{v or 'default'}" for n, v in CASES])
def test_entry_gives_expected_verdict_and_strategies_agree(name: str, variant: str | None) -> None:
    spec: Spec = entries()[name]
    expect = spec.expectation(variant)
    kinds = {p.name: p.kind for p in spec.properties}
    has_temporal = any(k in TEMPORAL_KINDS for k in kinds.values())
    bfs = check(spec, variant=variant)
    dfs = check(spec, variant=variant, strategy="dfs", temporal=not has_temporal)
    if kinds.get(expect.property or "") in TEMPORAL_KINDS:
        _check_temporal_violation(spec, variant, bfs, dfs)
        return
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
    # A bound still checks action properties on the transitions out of its last level,
    # so a shorter violation of one would show up one level less deep.
    depth = shortest.length - (1 if bfs.violation.kind == "action" else 0)
    if depth > 0:
        bounded = check(spec, variant=variant, max_depth=depth)
        assert bounded.status == "ok", "a shorter counterexample exists"


def _check_temporal_violation(spec: Spec, variant: str | None, bfs: Result,
                              dfs: Result) -> None:
    """A temporal violation replays (a lasso closes its loop); the other properties hold."""
    expect = spec.expectation(variant)
    assert bfs.status == "violation" and bfs.violation is not None
    assert bfs.violation.property == expect.property
    trace = bfs.violation.trace
    assert trace is not None
    assert len(replay(bind(spec, variant), trace)) == trace.length + 1
    if bfs.violation.kind == "liveness":
        assert trace.loop_start is not None
        assert trace.steps[-1].state == trace.steps[trace.loop_start].state
    else:
        assert bfs.violation.kind == "possibility" and trace.loop_start is None
    assert dfs.status == "ok" and dfs.exhaustive
