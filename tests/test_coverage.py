"""Coverage of random search: counts, flags, and state estimates against exact BFS counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import check, load_spec
from modelcheck.coverage import estimate_states
from modelcheck.explore.random import simulate

if TYPE_CHECKING:
    from conftest import CliResult

ROOT = Path(__file__).resolve().parent.parent
SHRINKABLE = str(ROOT / "tests" / "specs_random" / "shrinkable.py")
KV = str(ROOT / "examples" / "kv_model_based" / "kv_spec.py")


@pytest.mark.parametrize(("ref", "params", "seen", "method"), [
    ("two-phase-commit", {}, 255, "chao2"),
    ("ewd840", {}, 296, "chao2"),
    ("transaction-commit", {}, 34, "exact"),
    (KV, {}, 110, "exact"),
    (SHRINKABLE, {"kind": "none", "noise": 6}, 56, "exact"),
])
def test_estimates_hold_the_exact_count(ref: str, params: dict[str, object], seen: int,
                                        method: str) -> None:
    spec = load_spec(ref)
    exact = check(spec, params=params, temporal=False).stats.distinct_states
    cov = simulate(spec, params=params, seed=1, runs=300, depth=50).coverage
    assert cov is not None
    e = cov.estimate
    assert (cov.distinct_states, e.method) == (seen, method)
    assert e.low <= exact <= e.high
    assert e.low == seen and e.sample_coverage >= 0.97
    if method == "exact":
        assert e.states == e.low == e.high == exact


def test_too_few_walks_are_flagged_by_their_sample_coverage() -> None:
    spec = load_spec("quorum-election")
    exact = check(spec).stats.distinct_states
    cov = simulate(spec, seed=1, runs=300, depth=50).coverage
    assert cov is not None
    assert (exact, cov.distinct_states) == (8836, 5205)
    assert cov.estimate.low <= exact <= cov.estimate.high
    assert cov.estimate.sample_coverage < 0.5  # and the text output says not to trust it


def test_chao_estimate_by_hand() -> None:
    # 10 walks; states seen in 1, 1, 2, 3 walks: q1 = 2, q2 = 1.
    e = estimate_states([1, 1, 2, 3], 10)
    assert e.states == pytest.approx(4 + 0.9 * 4 / 2)
    assert e.low == 4 and e.high > e.states
    assert e.sample_coverage == pytest.approx(1 - 2 / 7 * (9 * 2 / (9 * 2 + 2)))
    closed = estimate_states([1, 1, 2, 3], 10, closed=True)
    assert (closed.states, closed.low, closed.high, closed.method) == (4, 4, 4, "exact")
    assert estimate_states([], 0).states == 0


def test_no_state_met_by_one_or_two_walks_is_full_coverage() -> None:
    # An initial state no finished walk met (a violation ended the walk from it) counts
    # 0, and one met by every walk 3: neither a singleton nor a doubleton.
    e = estimate_states([0, 3], 3)
    assert (e.states, e.low, e.sample_coverage) == (2, 2, 1.0)


def test_actions_lengths_and_never_enabled_actions(cli_result: CliResult) -> None:
    # max_writes=0: no write is ever enabled, the kind of spec bug coverage points at.
    result = simulate(load_spec(KV), params={"max_writes": 0}, seed=3, runs=5, depth=10)
    cov = result.coverage
    assert cov is not None
    assert cov.never_enabled == ("write",)
    counts = {a.name: (a.enabled, a.taken) for a in cov.actions}
    assert counts["write"] == (0, 0)
    assert sum(a.taken for a in cov.actions) == cov.steps
    assert sum(cov.lengths.values()) == cov.runs == 5
    assert sum(cov.ends.values()) == 5
    r = cli_result(["simulate", KV, "--param", "max_writes=0", "--seed", "3",
                    "--runs", "5", "--depth", "10"])
    assert r.exit_code == 0
    assert "  never enabled: write" in r.stdout


def test_json_has_seed_and_coverage_and_bfs_has_neither(cli_result: CliResult) -> None:
    r = cli_result(["simulate", "two-phase-commit", "--seed", "1", "--runs", "10",
                    "--depth", "20", "--json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["seed"] == 1
    cov = data["coverage"]
    assert cov["runs"] == 10 and sum(cov["lengths"].values()) == 10
    assert {a["name"] for a in cov["actions"]} == {
        "deliver", "tm_commit", "tm_abort", "rm_prepare", "rm_choose_to_abort"}
    assert set(cov["estimate"]) == {"states", "low", "high", "sample_coverage", "method"}
    assert cov["sometimes"] == {"all_committed": False, "all_aborted": True,
                                "rm_aborts_alone": True}
    r = cli_result(["verify", "two-phase-commit", "--json", "--no-temporal"])
    data = json.loads(r.stdout)
    assert data["seed"] is None and data["coverage"] is None
