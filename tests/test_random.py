"""Random search: seeded walks find deep bugs, shrink them, and repeat exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import bind, check, load_spec, replay
from modelcheck.explore.random import simulate

if TYPE_CHECKING:
    from conftest import Invoke

HERE = Path(__file__).resolve().parent
RESET = str(HERE / "specs_random" / "reset_hides_bug.py")
BAD = str(HERE / "specs_bad" / "counter.py")


FORGET_VOTE_SHORTEST = 10
"""`modelcheck verify raft --variant forget-vote` (breadth-first, 63,658 states, too slow to
repeat here) finds election safety violated after 10 steps, a crash and a restart among
them: raft's deepest flawed variant."""


@pytest.mark.slow
def test_forget_vote_is_found_and_shrunk_to_its_shortest_length() -> None:
    spec = load_spec("raft")
    result = simulate(spec, variant="forget-vote", seed=1, runs=300)
    v = result.violation
    assert result.status == "violation" and v is not None and v.trace is not None
    assert v.message == ("invariant election_safety is violated after 10 steps "
                         "(walk 88 of seed 1, shrunk from 14 steps)")
    assert (v.shrunk_from, v.trace.length) == (14, FORGET_VOTE_SHORTEST)
    assert v.trace.length <= 1.5 * FORGET_VOTE_SHORTEST
    assert {"crash", "restart"} <= {s.action for s in v.trace.steps}
    assert len(replay(bind(spec, "forget-vote"), v.trace)) == 11  # the shrunk trace replays


COMMIT_OLD_TERM_SHORTEST = 27
"""`modelcheck verify raft --variant commit-old-term --no-temporal` (breadth-first, 63,500
states, 46 s) finds leader completeness violated after 27 steps: a leader commits an entry
of an earlier term, and a later leader lacks it."""


@pytest.mark.slow
def test_previous_term_commit_is_found_and_shrunk_to_its_shortest_length() -> None:
    result = simulate(load_spec("raft"), variant="commit-old-term", seed=4, runs=300)
    v = result.violation
    assert v is not None and v.trace is not None
    assert v.message == ("invariant leader_completeness is violated after 27 steps "
                         "(walk 44 of seed 4, shrunk from 33 steps)")
    assert v.trace.length == COMMIT_OLD_TERM_SHORTEST


@pytest.mark.slow
def test_swarm_finds_what_uniform_walks_miss_and_shrinks_the_detours() -> None:
    spec = load_spec(RESET)
    shortest = check(spec).violation
    assert shortest is not None and shortest.trace is not None
    assert shortest.trace.length == 16
    swarm = simulate(spec, seed=2, runs=1000)
    v = swarm.violation
    assert v is not None and v.trace is not None
    assert v.message.endswith("(walk 7 of seed 2, shrunk from 16 steps)")
    assert [s.action for s in v.trace.steps[1:]] == ["advance"] * 16
    detour = simulate(spec, seed=4, runs=1000).violation
    assert detour is not None and detour.trace is not None
    assert (detour.shrunk_from, detour.trace.length) == (37, 16)
    uniform = simulate(spec, seed=2, runs=1000, swarm=False)
    assert uniform.status == "ok" and uniform.stopped == "1,000 random walks of up to 100 states"
    assert uniform.exit_code == 0 and not uniform.exhaustive


def test_invariants_are_checked_on_every_successor_generated() -> None:
    # A walk of two states (depth 2) still sees the violation two steps away: the
    # successors of its last state are generated and checked.
    result = simulate(load_spec(RESET), params={"steps": 2, "bits": 0}, seed=1, runs=1,
                      depth=2)
    assert result.violation is not None and result.violation.trace is not None
    assert result.violation.trace.length == 2
    assert result.coverage is not None and result.coverage.lengths == {}


def _stable(out: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(out)
    for key in ("seconds", "states_per_second"):
        data["stats"].pop(key)
    return data


@pytest.mark.slow
def test_same_seed_same_output_twice_and_in_another_process(invoke: Invoke) -> None:
    # Two-phase commit's states hold strings and frozensets, whose hashes (and set
    # iteration order) differ between processes: the walks must not depend on them.
    args = ["simulate", "two-phase-commit", "--variant", "tm-commits-early", "--param",
            "rms=4", "--seed", "7", "--runs", "100", "--json"]
    code, first, _ = invoke(*args)
    assert code == 1
    code, second, _ = invoke(*args)
    assert _stable(first) == _stable(second)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-m", "modelcheck", *args], capture_output=True,
                           text=True, env=env, timeout=120, check=False)
    assert other.returncode == 1, other.stderr
    assert _stable(other.stdout) == _stable(first)
    data = _stable(first)
    assert data["seed"] == 7 and data["strategy"] == "random"
    assert data["violation"]["message"] == ("invariant consistent is violated after 5 steps "
                                            "(walk 32 of seed 7, shrunk from 7 steps)")
    assert data["violation"]["shrunk_from"] == 7
    assert len(data["violation"]["trace"]["steps"]) == 6


def test_workers_share_the_walks_and_report_the_same_violation() -> None:
    spec = load_spec("two-phase-commit")
    kwargs: dict[str, Any] = {"variant": "tm-commits-early", "params": {"rms": 4}, "seed": 7,
                              "runs": 100}
    one = simulate(spec, **kwargs)
    two = simulate(spec, workers=2, **kwargs)
    assert one.violation is not None and two.violation is not None
    assert two.violation.message == one.violation.message
    assert two.violation.trace == one.violation.trace


def test_text_output_prints_the_seed_and_the_shrink(invoke: Invoke) -> None:
    code, out, _ = invoke("simulate", RESET, "--seed", "4")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "reset-hides-bug (steps=16, bits=3), random, seed 4"
    assert lines[1] == ("✗ invariant window_not_exhausted is violated after 16 steps (walk 7 "
                        "of seed 4, shrunk from 37 steps)")
    assert "coverage: 7 walks" in out
    code, out, _ = invoke("simulate", "two-phase-commit", "--seed", "3", "--runs", "20",
                          "--depth", "10")
    assert code == 0
    assert "✓ no violation within the bounds (20 random walks of up to 10 states)" in out


def test_verify_strategy_random_takes_a_seed_and_runs(invoke: Invoke) -> None:
    code, out, _ = invoke("verify", "two-phase-commit", "--variant", "tm-commits-early",
                          "--param", "rms=4", "--strategy", "random", "--seed", "7", "--runs",
                          "100", "--no-temporal", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["seed"] == 7 and data["strategy"] == "random"
    assert data["violation"]["message"] == ("invariant consistent is violated after 5 steps "
                                            "(walk 32 of seed 7, shrunk from 7 steps)")
    assert data["exhaustive"] is False
    code, out, _ = invoke("verify", "two-phase-commit", "--seed", "1", "--json")
    assert code == 2
    assert json.loads(out)["error"] == "a seed and a number of runs go with --strategy random"


def test_a_fresh_seed_is_drawn_and_reported() -> None:
    result = simulate(load_spec("two-phase-commit"), runs=2, depth=5)
    assert result.status == "ok" and isinstance(result.seed, int)
    again = simulate(load_spec("two-phase-commit"), runs=2, depth=5, seed=result.seed)
    assert again.coverage == result.coverage


@pytest.mark.slow
def test_time_limit_alone_walks_until_it_and_with_runs_stops_early(invoke: Invoke) -> None:
    spec = load_spec("two-phase-commit")
    timed = simulate(spec, runs=None, time_limit=0.3, seed=1)
    assert timed.status == "ok" and timed.exit_code == 0
    assert timed.coverage is not None and timed.coverage.runs > 0
    code, out, _ = invoke("simulate", "two-phase-commit", "--runs", "100000000",
                          "--time-limit", "0.3", "--seed", "1", "--json")
    assert code == 3
    data = json.loads(out)
    assert data["status"] == "incomplete"
    assert data["stopped"].startswith("time limit of 0.3 s reached after ")


def test_errors_are_usage_errors_with_exit_code_2(invoke: Invoke) -> None:
    code, _, err = invoke("simulate", BAD, "--param", "raise_at=1", "--seed", "1")
    assert code == 2
    assert "action inc raised ZeroDivisionError" in err
    code, _, err = invoke("simulate", "raft", "--param", "nope=1")
    assert code == 2 and "has no parameter 'nope'" in err
    code, _, err = invoke("simulate", "no-such-spec")
    assert code == 2 and "unknown spec" in err


@pytest.mark.click_usage_error  # --runs is a click.IntRange
def test_no_runs_is_refused_by_the_option_itself(invoke: Invoke) -> None:
    code, out, err = invoke("simulate", "raft", "--runs", "0")
    assert code == 2 and out == ""
    assert err.endswith("Error: Invalid value for '--runs': 0 is not in the range x>=1.\n"), err


@pytest.mark.slow
def test_ctrl_c_keeps_what_the_workers_walked() -> None:
    # Each worker ends the walk it is on and reports: the result counts their walks.
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelcheck", "simulate", "two-phase-commit", "--param",
         "rms=7", "--runs", "100000000", "--workers", "2", "--seed", "1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # start-up, then the workers walk
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    data = json.loads(out)
    assert (data["status"], data["stopped"]) == ("incomplete", "interrupted")
    assert data["coverage"]["runs"] > 0
    assert "Traceback" not in err
