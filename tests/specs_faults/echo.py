"""One-shot proposal (Byzantine equivocation): a faulty proposer tells peers different values.

Node 0 proposes value 0 to nodes 1 and 2, which decide on the first proposal they get.
Honest, it sends one value to both; equivocating, it may also send 1 to either of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelcheck import Record, Spec, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    faults: Faults = NO_FAULTS
    """Fault budgets."""


class Propose(Record):
    """Node ``src`` proposes ``value`` to ``dst``."""

    src: int
    dst: int
    value: int


class Faults_(FaultState, node=int):
    """Fault budgets and effects."""


class State(Record):
    """Whether the proposal is out, and each peer's decision (index 0 unused)."""

    proposed: bool
    decided: tuple[int | None, ...]
    msgs: Net[Propose]
    faults: Faults_


spec = Spec("echo", Config, State)
net = Network(spec, messages=lambda cfg: tuple(Propose(0, j, v) for j in (1, 2) for v in (0, 1)),
              nodes=lambda cfg: (0, 1, 2),
              forgeable=lambda cfg: tuple(Propose(0, j, v) for j in (1, 2) for v in (0, 1)))


@spec.init
def init(cfg: Config) -> State:
    """Nothing proposed or decided."""
    return State(False, (None, None, None), frozenset(), net.initial(cfg))


@net.action(node=0)
def propose(cfg: Config, s: State) -> State | None:
    """Node 0 proposes 0 to both peers."""
    if s.proposed:
        return None
    return s.replace(proposed=True,
                     msgs=net.broadcast(cfg, s.msgs, (Propose(0, 1, 0), Propose(0, 2, 0))))


@net.handler(Propose)
def on_propose(cfg: Config, s: State, m: Propose) -> State:
    """A peer decides on the first proposal it receives."""
    if s.decided[m.dst] is not None:
        return s
    return s.replace(decided=set_at(s.decided, m.dst, m.value))


@spec.always
def agreement(cfg: Config, s: State) -> bool:
    """Peers that decided agree."""
    return len({d for d in s.decided if d is not None}) <= 1


@spec.terminal
def quiet(cfg: Config, s: State) -> bool:
    """Every state may stop."""
    return True
