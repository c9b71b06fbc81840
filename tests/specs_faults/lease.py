"""A lease read against local clocks (clock drift): the holder and the server disagree.

Node 0 holds a lease until time 2 by its own clock; the server, node 1, grants it again
once its own clock reaches 2. With synchronised clocks the two never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelcheck import Record, Spec
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network

EXPIRY = 2
"""When the lease ends."""
HORIZON = 3
"""The last instant of the model."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    faults: Faults = NO_FAULTS
    """Fault budgets."""


class Unused(Record):
    """No message is sent."""

    src: int
    dst: int


class Faults_(FaultState, node=int):
    """Fault budgets and effects."""


class State(Record):
    """Global time and whether the server has granted the lease to someone else."""

    now: int
    regranted: bool
    msgs: Net[Unused]
    faults: Faults_


spec = Spec("lease", Config, State)
net = Network(spec, messages=lambda cfg: (), nodes=lambda cfg: (0, 1))


@net.handler(Unused)
def on_unused(cfg: Config, s: State, m: Unused) -> State:
    """Never called."""
    return s


@spec.init
def init(cfg: Config) -> State:
    """Time 0, the lease held by node 0."""
    return State(0, False, frozenset(), net.initial(cfg))


@spec.action
def tick(cfg: Config, s: State) -> State | None:
    """Time passes."""
    if s.now >= HORIZON:
        return None
    return s.replace(now=s.now + 1)


@net.action(node=1)
def regrant(cfg: Config, s: State) -> State | None:
    """The server sees the lease expired on its clock and grants it to another client."""
    if s.regranted or s.now + net.skew(s, 1) < EXPIRY:
        return None
    return s.replace(regranted=True)


@spec.always
def exclusive(cfg: Config, s: State) -> bool:
    """The lease is not granted again while its holder, by its clock, still holds it."""
    return not (s.regranted and s.now + net.skew(s, 0) < EXPIRY)


@spec.terminal
def quiet(cfg: Config, s: State) -> bool:
    """Every state may stop."""
    return True
