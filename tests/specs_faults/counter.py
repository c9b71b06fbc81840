"""A counter incremented by one message (duplication): a duplicate counts twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from modelcheck import Record, Spec
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    faults: Faults = NO_FAULTS
    """Fault budgets."""
    network: Literal["bag", "fifo", "set"] = "bag"
    """Network semantics."""


class Inc(Record):
    """Add one to the counter."""

    src: int
    dst: int


class Faults_(FaultState, node=int):
    """Fault budgets and effects."""


class State(Record):
    """Increments sent, and the counter."""

    sent: int
    total: int
    msgs: Net[Inc]
    faults: Faults_


spec = Spec("counter", Config, State)
net = Network(spec, messages=lambda cfg: (Inc(0, 1),), nodes=lambda cfg: (0, 1),
              kind=lambda cfg: cfg.network)


@spec.init
def init(cfg: Config) -> State:
    """Nothing sent, the counter at 0."""
    return State(0, 0, frozenset(), net.initial(cfg))


@net.action(node=0)
def increment(cfg: Config, s: State) -> State | None:
    """Node 0 sends one increment."""
    if s.sent:
        return None
    return s.replace(sent=1, msgs=net.send(cfg, s.msgs, Inc(0, 1)))


@net.handler(Inc)
def on_inc(cfg: Config, s: State, m: Inc) -> State | None:
    """Node 1 counts (up to a bound, so that a set network stays finite)."""
    if s.total >= 2:
        return None
    return s.replace(total=s.total + 1)


@spec.always
def counted_once(cfg: Config, s: State) -> bool:
    """The counter never exceeds the increments sent."""
    return s.total <= s.sent


@spec.terminal
def quiet(cfg: Config, s: State) -> bool:
    """Every state may stop."""
    return True
