"""Two writes on a FIFO channel (reordering): the reader must see them in order."""

from __future__ import annotations

from dataclasses import dataclass

from modelcheck import Record, Spec
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    faults: Faults = NO_FAULTS
    """Fault budgets."""


class Write(Record):
    """Set the register to ``value``."""

    src: int
    dst: int
    value: int


class Faults_(FaultState, node=int):
    """Fault budgets and effects."""


class State(Record):
    """Writes sent, and the values the reader applied in order."""

    sent: int
    applied: tuple[int, ...]
    msgs: Net[Write]
    faults: Faults_


spec = Spec("fifo-writes", Config, State)
net = Network(spec, messages=lambda cfg: (Write(0, 1, 1), Write(0, 1, 2)),
              nodes=lambda cfg: (0, 1), kind="fifo")


@spec.init
def init(cfg: Config) -> State:
    """Nothing written."""
    return State(0, (), frozenset(), net.initial(cfg))


@net.action(node=0)
def write(cfg: Config, s: State) -> State | None:
    """The writer sends its next value, 1 then 2."""
    if s.sent >= 2:
        return None
    return s.replace(sent=s.sent + 1, msgs=net.send(cfg, s.msgs, Write(0, 1, s.sent + 1)))


@net.handler(Write)
def on_write(cfg: Config, s: State, m: Write) -> State:
    """The reader applies a write."""
    return s.replace(applied=s.applied + (m.value,))


@spec.always
def in_order(cfg: Config, s: State) -> bool:
    """Writes are applied in the order they were sent."""
    return list(s.applied) == sorted(s.applied)


@spec.terminal
def quiet(cfg: Config, s: State) -> bool:
    """Every state may stop."""
    return True
