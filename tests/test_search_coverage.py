"""``verify --coverage``: per-action counts of an exhaustive search, which sum to the
search's own totals, and the actions never enabled flagged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from modelcheck import Record, Spec, check
from modelcheck.catalogue import load
from modelcheck.coverage import SearchCoverage
from modelcheck.errors import UsageError
from modelcheck.result import Result

if TYPE_CHECKING:
    from conftest import CliResult


@dataclass(frozen=True)
class Config:
    n: int = 3


class S(Record):
    x: int


spec = Spec("coverage-counter", Config, S)


@spec.init
def init(cfg: Config) -> S:
    return S(x=0)


@spec.action
def step(cfg: Config, s: S) -> Iterator[S]:
    """Up by one or two, to ``n`` at most (from ``n - 1`` both give ``n``)."""
    if s.x < cfg.n:
        yield S(x=s.x + 1)
        yield S(x=min(s.x + 2, cfg.n))


@spec.action(k=range(2))
def never(cfg: Config, s: S, k: int) -> S | None:
    """A guard no state satisfies: the kind of bug coverage shows."""
    return S(x=k) if s.x < 0 else None


@spec.terminal
def done(cfg: Config, s: S) -> bool:
    return s.x == cfg.n


def sums(result: Result) -> tuple[int, int]:
    """Generated and distinct states, as the coverage counts them."""
    cov = result.coverage
    assert isinstance(cov, SearchCoverage)
    return (cov.initial + sum(a.taken for a in cov.actions),
            cov.initial_new + sum(a.new for a in cov.actions))


@pytest.fixture(scope="module")
def two_phase() -> Result:
    return check(load("two-phase-commit"), coverage=True)


def test_two_phase_commit_counts_sum_to_the_totals(two_phase: Result) -> None:
    cov = two_phase.coverage
    assert isinstance(cov, SearchCoverage)
    got = {a.name: (a.instances_enabled, a.instances, a.enabled, a.taken, a.new)
           for a in cov.actions if a.instances}
    assert got == {"deliver": (9, 9, 768, 768, 170), "tm_commit": (1, 1, 1, 1, 1),
                   "tm_abort": (1, 1, 64, 64, 14), "rm_prepare": (3, 3, 156, 156, 65),
                   "rm_choose_to_abort": (3, 3, 156, 156, 37)}
    assert (cov.initial, cov.initial_new) == (1, 1)
    assert (two_phase.stats.generated_states, two_phase.stats.distinct_states) == (1146, 288)
    assert sums(two_phase) == (1146, 288)
    assert cov.never_enabled == ()  # the fault actions have no instances without faults


def test_a_violation_still_reports_coverage() -> None:
    r = check(load("two-phase-commit"), variant="tm-commits-early", coverage=True)
    assert r.status == "violation"
    assert sums(r) == (r.stats.generated_states, r.stats.distinct_states)


def test_generator_actions_and_never_enabled() -> None:
    r = check(spec, coverage=True)
    cov = r.coverage
    assert isinstance(cov, SearchCoverage)
    assert [(a.name, a.instances, a.instances_enabled, a.enabled, a.taken, a.new)
            for a in cov.actions] == [("step", 1, 1, 3, 6, 3), ("never", 2, 0, 0, 0, 0)]
    assert cov.never_enabled == ("never",)
    assert sums(r) == (r.stats.generated_states, r.stats.distinct_states) == (7, 4)


def test_off_by_default_and_refused_where_it_cannot_count() -> None:
    assert check(spec).coverage is None
    for kw in ({"strategy": "dfs"}, {"workers": 2}):
        with pytest.raises(UsageError, match="--coverage"):
            check(spec, coverage=True, **kw)


def test_cli_text_and_json(cli_result: CliResult) -> None:
    ref = __file__
    out = cli_result(["verify", ref, "--coverage"])
    assert out.exit_code == 0
    assert "  step                    1/1        3      6           3\n" in out.output
    assert "⚠ warning: never enabled: never (likely a spec bug" in out.output
    js = json.loads(cli_result(["verify", ref, "--coverage", "--json"]).output)["coverage"]
    assert js["never_enabled"] == ["never"] and js["exhaustive"] is True
    assert js["actions"][0] == {"name": "step", "instances": 1, "instances_enabled": 1,
                                "enabled": 3, "taken": 6, "new": 3}
    assert cli_result(["verify", ref, "--coverage", "--strategy", "dfs"]).exit_code == 2
