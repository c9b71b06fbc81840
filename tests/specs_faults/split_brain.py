"""Primary-backup with a failure detector (partitions and timeouts): two live primaries.

The backup promotes itself when it cannot reach the primary, or when its timer fires. The
primary never crashes here, so either is a false suspicion: a partition makes the primary
unreachable, and a timeout fires although the primary is alive.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelcheck import Record, Spec
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    faults: Faults = NO_FAULTS
    """Fault budgets."""


class Heartbeat(Record):
    """Unused: the failure detector reads reachability directly."""

    src: int
    dst: int


class Faults_(FaultState, node=int):
    """Fault budgets and effects."""


class State(Record):
    """Which nodes consider themselves primary."""

    primary: tuple[bool, ...]
    msgs: Net[Heartbeat]
    faults: Faults_


spec = Spec("split-brain", Config, State)
net = Network(spec, messages=lambda cfg: (), nodes=lambda cfg: (0, 1))


@net.handler(Heartbeat)
def on_heartbeat(cfg: Config, s: State, m: Heartbeat) -> State:
    """Never called."""
    return s


@spec.init
def init(cfg: Config) -> State:
    """Node 0 is primary, node 1 its backup."""
    return State((True, False), frozenset(), net.initial(cfg))


def _promote(s: State) -> State | None:
    if s.primary[1]:
        return None
    return s.replace(primary=(s.primary[0], True))


@net.action(node=1)
def suspect(cfg: Config, s: State) -> State | None:
    """The backup cannot reach the primary and takes over."""
    if net.reachable(s, 1, 0):
        return None
    return _promote(s)


@net.timer(nodes=lambda cfg: (1,))
def election_timer(cfg: Config, s: State, node: int) -> State | None:
    """The backup's timer fires: it takes over."""
    return _promote(s)


@spec.always
def one_primary(cfg: Config, s: State) -> bool:
    """At most one live node is primary."""
    return sum(p for i, p in enumerate(s.primary) if net.up(s, i)) <= 1


@spec.terminal
def quiet(cfg: Config, s: State) -> bool:
    """Every state may stop."""
    return True
