"""An id server whose counter is volatile (crash-recover): after a restart it reissues ids."""

from __future__ import annotations

from dataclasses import dataclass

from modelcheck import Record, Spec, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    faults: Faults = NO_FAULTS
    """Fault budgets."""


class Never(Record):
    """No message is ever sent; the network only carries the faults."""

    src: int
    dst: int


class Faults_(FaultState, node=int):
    """Fault budgets and effects."""


class State(Record):
    """The server's next id (volatile), and every id issued (a history)."""

    next_id: tuple[int, ...]
    issued: tuple[int, ...]
    msgs: Net[Never]
    faults: Faults_


spec = Spec("id-server", Config, State)
net = Network(spec, messages=lambda cfg: (), nodes=lambda cfg: (0,),
              durable=(), volatile=("next_id",))


@net.handler(Never)
def on_never(cfg: Config, s: State, m: Never) -> State:
    """Never called."""
    return s


@spec.init
def init(cfg: Config) -> State:
    """The counter at 0, nothing issued."""
    return State((0,), (), frozenset(), net.initial(cfg))


@net.action(node=0)
def issue(cfg: Config, s: State) -> State | None:
    """The server issues its next id (two at most)."""
    if len(s.issued) >= 2:
        return None
    n = s.next_id[0]
    return s.replace(next_id=set_at(s.next_id, 0, n + 1), issued=s.issued + (n,))


@spec.always
def unique_ids(cfg: Config, s: State) -> bool:
    """No id is issued twice."""
    return len(set(s.issued)) == len(s.issued)


@spec.terminal
def quiet(cfg: Config, s: State) -> bool:
    """Every state may stop."""
    return True
