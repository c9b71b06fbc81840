"""Small specs whose counterexamples the shrinker tests take apart.

``Config.kind`` chooses the flaw. ``"invariant"``: ``set`` writes any of ``values`` into
``x``, and ``x`` must stay below ``limit`` (the smallest counterexample sets ``limit``).
``"action"``: a step may not raise ``x`` by more than ``limit`` (an action property).
``"deadlock"``: ``x`` at ``values - 1`` enables nothing. ``noise`` counts up a field that
no property reads, a step a shrinker should drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    kind: Literal["invariant", "action", "deadlock", "none"] = "invariant"
    values: Annotated[int, Between(1)] = 8
    limit: Annotated[int, Between(0)] = 5
    noise: Annotated[int, Between(0)] = 3


class State(Record):
    """The value and the noise counter."""

    x: int
    n: int


spec = Spec("shrinkable", Config, State)


@spec.init
def init(cfg: Config) -> State:
    """Both at zero."""
    return State(0, 0)


@spec.action(v=lambda cfg: range(cfg.values))
def set_x(cfg: Config, s: State, v: int) -> State | None:
    """Write ``v`` into ``x`` (nothing is enabled once ``x`` is stuck, in ``deadlock``)."""
    if cfg.kind == "deadlock" and s.x == cfg.values - 1:
        return None
    if v == s.x:
        return None
    return s.replace(x=v)


@spec.action
def noise(cfg: Config, s: State) -> State | None:
    """Count up ``n``, which no property reads."""
    if s.n >= cfg.noise or (cfg.kind == "deadlock" and s.x == cfg.values - 1):
        return None
    return s.replace(n=s.n + 1)


@spec.always
def below_limit(cfg: Config, s: State) -> bool:
    """``x`` stays below ``limit`` (checked in ``invariant``)."""
    return cfg.kind != "invariant" or s.x < cfg.limit


@spec.action_property
def small_steps(cfg: Config, before: State, after: State) -> bool:
    """No step raises ``x`` by more than ``limit`` (checked in ``action``)."""
    return cfg.kind != "action" or after.x - before.x <= cfg.limit
