"""A spec that fills memory where the explorers have no limit check of their own.

With ``domain`` set, the domain of ``grow``'s argument is a list of that many pairs,
built while the model is bound (as a message domain of a spec whose size parameter is
absurd would be); with ``step`` set, one step builds that many pairs before it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    domain: Annotated[int, Between(0)] = 2
    step: Annotated[int, Between(0)] = 0


class State(Record):
    n: int


spec = Spec("hog", Config, State)


def _pairs(cfg: Config) -> list[tuple[int, int]]:
    return [(i, i) for i in range(cfg.domain)]


@spec.init
def init(cfg: Config) -> State:
    """Zero."""
    return State(0)


@spec.action(k=_pairs)
def grow(cfg: Config, s: State, k: tuple[int, int]) -> State | None:
    """Count up to three, after building ``step`` pairs."""
    if s.n >= 3:
        return None
    built = [(i, i) for i in range(cfg.step)]
    return State(s.n + 1 + 0 * len(built))


@spec.terminal
def done(cfg: Config, s: State) -> bool:
    """Three."""
    return s.n >= 3
