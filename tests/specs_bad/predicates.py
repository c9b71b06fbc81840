"""A counter whose predicates misbehave on demand, for the tests of what a violation is.

``Config.culprit`` picks the function that misbehaves and ``Config.returns`` how: ``int``
returns 1, ``none`` None, ``str`` "yes", ``raise`` raises KeyError. The terminal
predicate misbehaves in the last state (where a deadlock check asks it), the others in
the state after the first step (the action property on that step). ``inits`` is how many
initial states there are (0, 1, ...), ``unhashable`` makes the last of them hold a list,
and ``global_counter`` makes ``inc`` read a module-level counter, so that it is not a
function of its state.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    """Which function misbehaves, and how."""

    limit: Annotated[int, Between(0)] = 2
    culprit: Literal["nobody", "terminal", "invariant", "sometimes", "step"] = "nobody"
    returns: Literal["int", "none", "str", "raise"] = "int"
    unhashable: bool = False
    inits: Annotated[int, Between(1)] = 1
    global_counter: bool = False


class State(Record):
    """The counter, and a value the knobs put there."""

    n: int
    extra: Any = None


spec = Spec("predicates", Config, State)
_calls = itertools.count()


def _answer(cfg: Config, who: str, here: bool, ok: bool) -> Any:
    if cfg.culprit != who or not here:
        return ok
    if cfg.returns == "raise":
        raise KeyError("boom")
    return {"int": 1, "none": None, "str": "yes"}[cfg.returns]


@spec.init(k=lambda cfg: range(cfg.inits))
def init(cfg: Config, k: int) -> State:
    """Start at ``k``."""
    return State(k, [k] if cfg.unhashable and k == cfg.inits - 1 else None)


@spec.action
def inc(cfg: Config, s: State) -> State | None:
    """Count up to the limit."""
    if s.n >= cfg.limit:
        return None
    if cfg.global_counter:
        return State(s.n + 1, next(_calls))
    return State(s.n + 1)


@spec.terminal
def done(cfg: Config, s: State) -> bool:
    """The limit is reached."""
    return _answer(cfg, "terminal", s.n == cfg.limit, s.n >= cfg.limit)


@spec.always
def bounded(cfg: Config, s: State) -> bool:
    """Never beyond the limit."""
    return _answer(cfg, "invariant", s.n == 1, s.n <= cfg.limit)


@spec.sometimes
def reaches_limit(cfg: Config, s: State) -> bool:
    """The limit is reachable."""
    return _answer(cfg, "sometimes", s.n == 1, s.n >= cfg.limit)


@spec.action_property
def counts_up(cfg: Config, before: State, after: State) -> bool:
    """Each step adds one."""
    return _answer(cfg, "step", after.n == 1, after.n == before.n + 1)
