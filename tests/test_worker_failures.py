"""A worker that dies or stops answering ends the search with exit 2, never a hang.

Each test runs ``modelcheck verify`` in a real process on a spec whose steps sleep
(specs_limits/slow.py), waits until a worker process has taken its first step (the spec
touches a file named after its process), then kills (SIGKILL) or stops (SIGSTOP) that
worker. The search must end within a bounded time with exit 2 and a message naming the
worker, no traceback, and no worker process left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SLOW = str(Path(__file__).parent / "specs_limits" / "slow.py")
TIMEOUT = 3
"""MODELCHECK_WORKER_TIMEOUT in these tests: seconds without a sign of life."""


@dataclass(frozen=True)
class Struck:
    returncode: int
    out: str
    err: str
    victim: int
    seconds: float
    """From the signal to the end of the command."""


def strike(tmp_path: Path, sig: signal.Signals, *args: str) -> Struck:
    mark = tmp_path / "step"
    env = {**os.environ, "MODELCHECK_TEST_MARK": str(mark), "PYTHONUNBUFFERED": "1",
           "MODELCHECK_WORKER_TIMEOUT": str(TIMEOUT)}
    proc = subprocess.Popen([sys.executable, "-m", "modelcheck", "verify", SLOW, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL)
    victim = 0
    try:
        deadline = time.monotonic() + 120
        while not victim:
            workers = [int(p.suffix[1:]) for p in tmp_path.glob("step.*")]
            workers = [w for w in workers if w != proc.pid]
            if workers:
                victim = workers[0]
            elif proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate()
                raise AssertionError(f"no worker took a step: {proc.returncode} {out} {err}")
            else:
                time.sleep(0.02)
        os.kill(victim, sig)
        struck = time.monotonic()
        out, err = proc.communicate(timeout=90)
        return Struck(proc.returncode, out, err, victim, time.monotonic() - struck)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def gone(pid: int) -> bool:
    """Whether process ``pid`` has exited (a zombie counts as gone); kills a survivor."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    return False


def test_a_forked_worker_that_is_killed(tmp_path: Path) -> None:
    r = strike(tmp_path, signal.SIGKILL, "--workers", "2")
    assert r.returncode == 2, r
    assert r.err.strip().endswith(
        f"error: worker 0 (pid {r.victim}) was killed by signal SIGKILL during the search; "
        "the search cannot go on without its share of the states"), r.err
    assert "Traceback" not in r.err and "Aborted" not in r.err
    assert r.seconds < 10


def test_a_forked_worker_that_is_stopped(tmp_path: Path) -> None:
    r = strike(tmp_path, signal.SIGSTOP, "--workers", "2")
    assert r.returncode == 2, r
    assert f"error: worker 0 (pid {r.victim}) stopped answering: no sign of life for " in r.err
    assert "(it is stopped, by SIGSTOP or a debugger)" in r.err
    assert "Traceback" not in r.err
    assert TIMEOUT <= r.seconds < TIMEOUT + 10
    assert gone(r.victim), "the stopped worker was left behind"


def test_a_dask_worker_that_is_killed(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    r = strike(tmp_path, signal.SIGKILL, "--scheduler", "local", "--workers", "2")
    assert r.returncode == 2, r
    assert "error: Dask worker tcp://127.0.0.1:" in r.err, r.err
    assert ("left the cluster during the search: it died or was killed, and its share of "
            "the states is lost") in r.err
    assert "Traceback" not in r.err
    assert r.seconds < 30


def test_a_dask_worker_that_is_stopped(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    r = strike(tmp_path, signal.SIGSTOP, "--scheduler", "local", "--workers", "2")
    assert r.returncode == 2, r
    assert "error: Dask worker tcp://127.0.0.1:" in r.err, r.err
    assert "stopped answering: no heartbeat for " in r.err
    assert "Traceback" not in r.err
    assert TIMEOUT <= r.seconds < TIMEOUT + 30
    assert gone(r.victim), "the stopped worker was left behind"


def test_the_slow_spec_completes_when_nothing_strikes() -> None:
    # The reference the tests above depart from: the same search, undisturbed.
    done = subprocess.run([sys.executable, "-m", "modelcheck", "verify", SLOW, "--workers",
                           "2", "--param", "sleep=0.001"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "125 distinct states, 301 generated, depth 13" in done.stdout
