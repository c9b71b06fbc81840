"""A step during which a finalizer (``__del__``) sleeps, then the step itself sleeps.

The watchdog's first interrupt lands in the finalizer, where Python swallows the
``KeyboardInterrupt`` as an "unraisable exception" (as in a gc callback: Hypothesis hangs
one on every collection), and the step goes on; only an interrupt sent again stops it.
``MODELCHECK_TEST_MARK`` names a file where the finalizer writes how long it slept.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    finalizer: Annotated[float, Between(0.0)] = 30.0
    sleep: Annotated[float, Between(0.0)] = 3600.0


class State(Record):
    n: int


spec = Spec("finalizer", Config, State)


class _Finalized:
    """An object whose finalizer sleeps ``seconds`` (or until a signal ends the sleep)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __del__(self) -> None:
        started = time.monotonic()
        try:
            time.sleep(self.seconds)
        finally:
            mark = os.environ.get("MODELCHECK_TEST_MARK")
            if mark:
                Path(mark).write_text(f"{time.monotonic() - started:.2f}")


@spec.init
def init(cfg: Config) -> State:
    """Zero."""
    return State(0)


@spec.action
def step(cfg: Config, s: State) -> State | None:
    """Count to one, after a finalizer and a sleep."""
    if s.n >= 1:
        return None
    _Finalized(cfg.finalizer)  # dropped at once: its finalizer runs here
    time.sleep(cfg.sleep)
    return State(s.n + 1)


@spec.terminal
def done(cfg: Config, s: State) -> bool:
    """One."""
    return s.n >= 1
