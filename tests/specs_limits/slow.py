"""A counter whose steps sleep, so that a search runs long enough to be disturbed.

The worker-failure tests kill or stop a worker process mid-run. ``MODELCHECK_TEST_MARK``
names a file the first step taken in each process creates, so a test knows the search is
under way before it strikes.
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
    width: Annotated[int, Between(1)] = 3
    limit: Annotated[int, Between(0)] = 4
    sleep: Annotated[float, Between(0.0)] = 0.02


class State(Record):
    counters: tuple[int, ...]


spec = Spec("slow", Config, State)


def _mark() -> None:
    mark = os.environ.get("MODELCHECK_TEST_MARK")
    if mark:
        Path(f"{mark}.{os.getpid()}").touch()


@spec.init
def init(cfg: Config) -> State:
    """Every counter at zero."""
    return State((0,) * cfg.width)


@spec.action(i=lambda cfg: range(cfg.width))
def bump(cfg: Config, s: State, i: int) -> State | None:
    """Count counter ``i`` up to the limit, slowly."""
    _mark()
    time.sleep(cfg.sleep)
    if s.counters[i] >= cfg.limit:
        return None
    return s.replace(counters=s.counters[:i] + (s.counters[i] + 1,) + s.counters[i + 1:])


@spec.terminal
def done(cfg: Config, s: State) -> bool:
    """Every counter at the limit."""
    return all(c >= cfg.limit for c in s.counters)


@spec.always
def bounded(cfg: Config, s: State) -> bool:
    """No counter beyond the limit."""
    return all(c <= cfg.limit for c in s.counters)
