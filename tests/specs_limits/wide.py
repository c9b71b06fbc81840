"""Counters whose domains grow with unbounded config ints, for the model-size tests.

``values`` sizes the domain of ``set_to``'s argument, ``width`` the number of counters
(and so the arguments of ``bump``), ``starts`` the initial states: a large value makes
the model absurd, and binding it must say so instead of enumerating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    values: Annotated[int, Between(1)] = 3
    width: Annotated[int, Between(1)] = 2
    starts: Annotated[int, Between(1)] = 1
    generated: bool = False
    """Give ``set_to`` its domain as a generator instead of a range."""


class State(Record):
    counters: tuple[int, ...]


spec = Spec("wide", Config, State)


def _values(cfg: Config) -> object:
    if cfg.generated:
        return (v for v in range(cfg.values))
    return range(cfg.values)


@spec.init(start=lambda cfg: range(cfg.starts))
def init(cfg: Config, start: int) -> State:
    """Every counter at ``start``."""
    return State((start % cfg.values,) * min(cfg.width, 4))


@spec.action(i=lambda cfg: range(cfg.width), v=_values)
def set_to(cfg: Config, s: State, i: int, v: int) -> State | None:
    """Set counter ``i`` to ``v``."""
    if i >= len(s.counters) or s.counters[i] == v:
        return None
    return s.replace(counters=s.counters[:i] + (v,) + s.counters[i + 1:])


@spec.always
def in_range(cfg: Config, s: State) -> bool:
    """Every counter holds a value of the domain."""
    return all(0 <= c < cfg.values for c in s.counters)
