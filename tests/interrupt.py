"""Run ``modelcheck`` in a real process and press Ctrl-C once its search is under way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Interrupted:
    """What an interrupted command printed, how it exited, and its process id."""

    returncode: int
    out: str
    err: str
    pid: int


def interrupt(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
              sig: int = signal.SIGINT) -> Interrupted:
    """Start ``python -m modelcheck ARGS``, wait for its first progress line on stderr
    (the search is under way), send ``sig`` (SIGINT: Ctrl-C) and collect what it prints."""
    proc = subprocess.Popen([sys.executable, "-m", "modelcheck", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**(os.environ if env is None else env),
                                 "PYTHONUNBUFFERED": "1"})
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert "states/s" in first, first
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=timeout)
    return Interrupted(proc.returncode, out, first + err, proc.pid)
