"""A bug sixteen steps deep, behind an action that keeps undoing the way to it.

A sender ``advance``s through ``steps`` packets; ``reset`` (a connection reset, enabled
whenever some packet is out) starts it over, and ``toggle`` flips one of ``bits``
unrelated flags (noise that multiplies the states and lengthens random walks). The
invariant ``window_not_exhausted`` fails once all ``steps`` packets are out: the shortest
counterexample is ``steps`` advances. A walk choosing uniformly among the actions meets a
reset every few steps and almost never gets there; a swarm walk that leaves ``reset`` out
walks straight to it, and shrinking removes its toggles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec, set_at


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    steps: Annotated[int, Between(1)] = 16
    bits: Annotated[int, Between(0)] = 3


class State(Record):
    """Packets out, and the noise flags."""

    sent: int
    flags: tuple[bool, ...]


spec = Spec("reset-hides-bug", Config, State)


@spec.init
def init(cfg: Config) -> State:
    """Nothing sent, every flag down."""
    return State(0, (False,) * cfg.bits)


@spec.action
def advance(cfg: Config, s: State) -> State | None:
    """The next packet goes out."""
    if s.sent >= cfg.steps:
        return None
    return s.replace(sent=s.sent + 1)


@spec.action
def reset(cfg: Config, s: State) -> State | None:
    """The connection resets: start over."""
    if s.sent == 0:
        return None
    return s.replace(sent=0)


@spec.action(bit=lambda cfg: range(cfg.bits))
def toggle(cfg: Config, s: State, bit: int) -> State | None:
    """Flip an unrelated flag."""
    return s.replace(flags=set_at(s.flags, bit, not s.flags[bit]))


@spec.always
def window_not_exhausted(cfg: Config, s: State) -> bool:
    """Fewer than ``steps`` packets are out."""
    return s.sent < cfg.steps
