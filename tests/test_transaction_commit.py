"""TCommit, pinned to TLC's published counts (34 distinct, 94 generated, depth 7).

With more resource managers (TLC 2.15 on TCommit.tla, invariants TCTypeOK and TCConsistent,
``-deadlock``): 10 RMs, 60,072 distinct and 595,611 generated, depth 21; 11 RMs, 179,194 and
1,959,882, depth 23; 12 RMs, 535,536 and 6,401,869, depth 25 (``benchmarks/tlc_ports.py``
runs 12 against TLC).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import check
from modelcheck_specs import transaction_commit as tc

if TYPE_CHECKING:
    from conftest import Invoke


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_counts_match_tlc(strategy: str) -> None:
    r = check(tc.spec, strategy=strategy)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (34, 94, 7)


@pytest.mark.parametrize(("rms", "distinct", "generated", "depth"), [
    (10, 60_072, 595_611, 21),
    pytest.param(11, 179_194, 1_959_882, 23, marks=pytest.mark.slow),
    pytest.param(12, 535_536, 6_401_869, 25, marks=pytest.mark.slow),
])
def test_counts_match_tlc_with_more_rms(rms: int, distinct: int, generated: int,
                                        depth: int) -> None:
    r = check(tc.spec, params={"rms": rms}, temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)


def test_without_terminal_states_the_decided_states_are_deadlocks() -> None:
    # TLC reports "Deadlock reached" on TCommit unless deadlock checking is off.
    r = check(tc.spec, deadlock=False)
    assert (r.status, r.stats.distinct_states) == ("ok", 34)


def test_abort_after_commit_violates_consistency_in_five_steps() -> None:
    r = check(tc.spec, variant="abort-after-commit")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "consistent"
    assert r.violation.trace.length == 5


@pytest.mark.slow
def test_mutation_score_at_the_default_bounds(invoke: Invoke) -> None:
    code, out, _ = invoke("mutate", "transaction-commit", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"mutants": 13, "killed": 11, "error": 0, "survived": 0,
                              "equivalent": 0, "accepted": 2, "timeout": 0}
    assert data["score"] == 1.0 and data["stale_acceptances"] == []
    by = {m["id"]: (m["status"], m["property"]) for m in data["mutants"]}
    # An RM that prepares again after deciding; one that can never abort, or whose abort
    # changes nothing; the shipped abort-after-commit bug, planted as a mutant.
    assert by["prepare:drop-guard:1"] == ("killed", "decisions_final")
    assert by["prepare:flip-comparison:1"] == ("killed", "decisions_final")
    assert by["decide_abort:and-or:2"] == ("killed", "all_aborted")
    assert by["decide_abort:drop-update:1"] == ("killed", "all_aborted")
    assert by["decide_abort:drop-conjunct:2"] == ("killed", "consistent")
