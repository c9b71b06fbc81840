"""A counter with knobs that make it misbehave, for the error-handling tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec

At = Annotated[int, Between(-1)]
"""A counter value at which a knob acts, or -1 for never."""


@dataclass(frozen=True)
class Config:
    limit: Annotated[int, Between(0)] = 3
    raise_at: At = -1
    """Raise ZeroDivisionError when incrementing from this value."""
    list_at: At = -1
    """Return a state holding a list (not hashable) when incrementing from this value."""
    nondeterministic: bool = False
    """Return a different successor on every call."""
    bad_property: bool = False
    """The invariant returns an int instead of a bool."""
    bound: Annotated[int, Between(0)] = 99
    """The invariant: the counter never exceeds this."""
    stuck_at: At = -1
    """Nothing is enabled at this value (below the limit): a deadlock."""
    property_raises_at: At = -1
    """The invariant raises KeyError at this value."""
    step_property_raises_at: At = -1
    """The action property raises ValueError on the step from this value."""


class State(Record):
    n: int
    extra: object = None


spec = Spec("counter", Config, State)
_calls = itertools.count()


@spec.init
def init(cfg: Config) -> State:
    """Start at zero."""
    return State(0)


@spec.action
def inc(cfg: Config, s: State) -> State | None:
    """Count up to the limit."""
    if s.n >= cfg.limit or s.n == cfg.stuck_at:
        return None
    if s.n == cfg.raise_at:
        return State(s.n + 1 // 0)
    if s.n == cfg.list_at:
        return State(s.n + 1, [1, 2])
    if cfg.nondeterministic:
        return State(s.n + 1, next(_calls))
    return State(s.n + 1)


@spec.terminal
def done(cfg: Config, s: State) -> bool:
    """The limit is reached."""
    return s.n >= cfg.limit


@spec.always
def bounded(cfg: Config, s: State) -> bool:
    """Never beyond the limit."""
    if cfg.bad_property:
        return s.n  # type: ignore[return-value]
    if s.n == cfg.property_raises_at:
        raise KeyError("boom")
    return s.n <= cfg.bound


@spec.action_property
def counts_up(cfg: Config, before: State, after: State) -> bool:
    """Each step adds one."""
    if before.n == cfg.step_property_raises_at:
        raise ValueError("bad step")
    return after.n == before.n + 1
