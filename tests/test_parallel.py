"""``--workers N``: breadth-first search in forked processes agrees with one process.

Counts and depths must be identical (levels are synchronised); a violation must be the
same property with a trace of the same length, and the trace must replay. Errors found by
a worker are re-raised by the coordinator, so their messages are those of single-process
search, word for word.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import TYPE_CHECKING
from unittest import mock

import pytest
from interrupt import interrupt

import modelcheck.explore.parallel
from modelcheck import bind, check, load_spec, replay
from modelcheck.result import Result

if TYPE_CHECKING:
    from conftest import CliResult


def same_search(a: Result, b: Result) -> None:
    """``a`` (one process) and ``b`` (workers) found the same thing."""
    assert (b.status, b.exhaustive, b.stopped) == (a.status, a.exhaustive, a.stopped)
    if a.violation is None:
        assert b.violation is None
        assert (b.stats.distinct_states, b.stats.generated_states, b.stats.depth) == (
            a.stats.distinct_states, a.stats.generated_states, a.stats.depth)
        return
    assert b.violation is not None
    assert (b.violation.property, b.violation.kind) == (a.violation.property,
                                                         a.violation.kind)
    if a.violation.trace is None:
        assert b.violation.trace is None
        return
    assert b.violation.trace is not None
    assert b.violation.trace.length == a.violation.trace.length


@pytest.mark.parametrize(("rms", "distinct", "generated", "depth"), [
    (3, 288, 1_146, 11), (4, 1_568, 8_258, 14), (5, 8_832, 58_146, 17)])
@pytest.mark.parametrize("workers", [2, 3])
def test_two_phase_counts_match_tlc(workers: int, rms: int, distinct: int, generated: int,
                                    depth: int) -> None:
    r = check(load_spec("two-phase-commit"), params={"rms": rms}, workers=workers,
              temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)
    assert r.details["workers"] == workers


@pytest.mark.slow
def test_raft_counts_match_one_process() -> None:
    r = check(load_spec("raft"), params={"timeouts": "randomised"}, workers=2, temporal=False)
    assert (r.status, r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        "ok", 9_064, 31_042, 26)


def test_shares_are_rebalanced_between_levels() -> None:
    calls: list[list[int]] = []
    real = modelcheck.explore.parallel._rebalance

    def spy(conns: list[object], sizes: list[int]) -> None:
        real(conns, sizes)  # type: ignore[arg-type]
        calls.append(list(sizes))

    with mock.patch.object(modelcheck.explore.parallel, "_rebalance", spy), \
            mock.patch.object(modelcheck.explore.parallel, "CHUNK", 64):
        r = check(load_spec("two-phase-commit"), params={"rms": 5}, workers=2, temporal=False)
    assert (r.stats.distinct_states, r.stats.generated_states) == (8_832, 58_146)
    bound = modelcheck.explore.parallel.REBALANCE
    big = [s for s in calls if sum(s) >= 2 * 64]
    assert big and all(max(s) <= bound * sum(s) / len(s) + 1 for s in big)
    assert any(max(s) - min(s) <= 1 for s in big)


@pytest.mark.parametrize(("spec", "variant"), [
    ("two-phase-commit", "tm-commits-early"),
    pytest.param("raft", "vote-twice", marks=pytest.mark.slow),
    ("raft", "minority-leader"), ("transaction-commit", "abort-after-commit")])
def test_violations_agree_and_replay(spec: str, variant: str) -> None:
    s = load_spec(spec)
    one = check(s, variant=variant, temporal=False)
    two = check(s, variant=variant, workers=2, temporal=False)
    same_search(one, two)
    assert two.violation is not None and two.violation.trace is not None
    replay(bind(s, variant), two.violation.trace)


@pytest.mark.parametrize("params", [
    {"raise_at": 2}, {"list_at": 1}, {"property_raises_at": 2}, {"bad_property": True},
    {"nondeterministic": True, "bound": 1}])
def test_spec_errors_read_as_in_one_process(counter_spec: str, params: dict[str, object]) -> None:
    spec = load_spec(counter_spec)
    one = check(spec, params=params)
    two = check(spec, params=params, workers=2)
    assert one.status == two.status == "error"
    assert two.error == one.error
    assert type(two.details["exception"]) is type(one.details["exception"])


@pytest.mark.parametrize("params", [{"stuck_at": 2}, {"bound": 2}, {"limit": 30}])
@pytest.mark.parametrize("deadlock", [True, False])
def test_counter_verdicts_agree(counter_spec: str, params: dict[str, object],
                                deadlock: bool) -> None:
    spec = load_spec(counter_spec)
    same_search(check(spec, params=params, deadlock=deadlock),
                check(spec, params=params, deadlock=deadlock, workers=2))


@pytest.mark.parametrize("max_depth", [1, 5, 11, 12])
def test_depth_bound_agrees(max_depth: int) -> None:
    spec = load_spec("two-phase-commit")
    same_search(check(spec, max_depth=max_depth, temporal=False),
                check(spec, max_depth=max_depth, workers=2, temporal=False))


def test_state_limit_stops_incomplete() -> None:
    r = check(load_spec("two-phase-commit"), params={"rms": 5}, max_states=1000, workers=2,
              temporal=False)
    assert r.status == "incomplete" and r.exit_code == 3 and not r.exhaustive
    assert r.stopped == "state limit of 1,000 distinct states reached"
    assert 1000 <= r.stats.distinct_states < 8_832


def test_cli_workers_json(cli_result: CliResult) -> None:
    res = cli_result(["verify", "two-phase-commit", "--param", "rms=4",
                      "--workers", "2", "--json", "--no-temporal"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["status"] == "ok"
    assert out["stats"]["distinct_states"] == 1_568
    assert out["stats"]["generated_states"] == 8_258


def test_workers_need_bfs(cli_result: CliResult) -> None:
    res = cli_result(["verify", "raft", "--workers", "2", "--strategy", "dfs"])
    assert res.exit_code == 2
    assert "need --strategy bfs" in res.output


@pytest.mark.slow
def test_symmetry_in_workers_gives_tlc_orbits() -> None:
    r = check(load_spec("two-phase-commit"), params={"rms": 5}, symmetry=True, workers=2,
              temporal=False)
    assert (r.status, r.stats.distinct_states, r.stats.generated_states) == ("ok", 314, 2_048)
    v = check(load_spec("raft"), variant="vote-twice", symmetry=True, workers=2,
              temporal=False)
    one = check(load_spec("raft"), variant="vote-twice", temporal=False)
    same_search(one, v)
    assert v.violation is not None and v.violation.trace is not None
    replay(bind(load_spec("raft"), "vote-twice"), v.violation.trace)


@pytest.mark.slow
def test_ctrl_c_stops_the_workers_and_reports_what_was_explored() -> None:
    r = interrupt("verify", "two-phase-commit", "--param", "rms=8", "--workers", "2",
                  "--no-temporal")
    assert r.returncode == 3, r.out
    assert "stopped: interrupted; no violation found so far" in r.out
    distinct = int(r.out.splitlines()[-1].split(" distinct")[0].replace(",", ""))
    assert 0 < distinct < 1_745_408
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-eo", "ppid"], capture_output=True, text=True).stdout.split()
    assert str(r.pid) not in ps  # no worker outlived its coordinator
