"""Ping-pong: a client pings a server and waits for its pong (loss and crash-stop).

Without faults every behaviour ends with the pong received. A lost message (``loss``) or a
crashed node (``crash``) leaves the client waiting forever: a deadlock.
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


class Ping(Record):
    """The client asks the server for a pong."""

    src: int
    dst: int


class Pong(Record):
    """The server answers."""

    src: int
    dst: int


class Faults_(FaultState, node=int):
    """Fault budgets and effects."""


class State(Record):
    """Whether the client has sent its ping and received the pong."""

    sent: bool
    done: bool
    msgs: Net[Ping | Pong]
    faults: Faults_


spec = Spec("ping-pong", Config, State)
net = Network(spec, messages=lambda cfg: (Ping(0, 1), Pong(1, 0)), nodes=lambda cfg: (0, 1),
              crashable=lambda cfg: (1,))


@spec.init
def init(cfg: Config) -> State:
    """Nothing sent yet."""
    return State(False, False, frozenset(), net.initial(cfg))


@net.action(node=0)
def ping(cfg: Config, s: State) -> State | None:
    """The client sends its ping."""
    if s.sent:
        return None
    return s.replace(sent=True, msgs=net.send(cfg, s.msgs, Ping(0, 1)))


@net.handler(Ping)
def on_ping(cfg: Config, s: State, m: Ping) -> State:
    """The server replies with a pong."""
    return s.replace(msgs=net.reply(cfg, s.msgs, m, Pong(1, 0)))


@net.handler(Pong)
def on_pong(cfg: Config, s: State, m: Pong) -> State:
    """The client is done."""
    return s.replace(done=True)


@spec.terminal
def finished(cfg: Config, s: State) -> bool:
    """The client has its pong."""
    return s.done
