"""A ported ``Assert``: every step from a state at depth 3 (2 steps in) fails an ``assert``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    limit: Annotated[int, Between(0)] = 5


class State(Record):
    x: int
    y: int


spec = Spec("asserts", Config, State)


@spec.init
def init(cfg: Config) -> State:
    """Both at zero."""
    return State(0, 0)


@spec.action(by=lambda cfg: (1, 2))
def bump(cfg: Config, s: State, by: int) -> State | None:
    """Add ``by`` to x, up to the limit."""
    if s.x + by > cfg.limit:
        return None
    assert s.y < 2, f"y = {s.y}"  # TLA+: Assert(y < 2, "y too big")
    return State(s.x + by, s.y + 1)


@spec.terminal
def done(cfg: Config, s: State) -> bool:
    """Nothing more to add."""
    return s.x >= cfg.limit - 1
