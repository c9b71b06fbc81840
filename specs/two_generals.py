"""Two Generals: no protocol over a lossy channel guarantees that both attack or neither.

Source: Jim Gray, "Notes on Data Base Operating Systems" (1978), §5.8.3.3 (the generals
paradox), after Akkoyunlu, Ekanadham and Huber (1975). General A plans an attack and sends
a messenger to general B; each messenger that arrives is answered by one more, up to
``messengers`` in all (A sends the odd ones, B the even ones), and each may be captured
on the way: a ``bag`` network with the ``loss`` fault (``--faults loss=N``, N captures in
all; by default one). At dawn, once no messenger is on the way, each general attacks iff
it has received every messenger the protocol sends it (A also needs to have planned the
attack): the most cautious rule a protocol of this depth can have. This entry exists to
show an impossibility: **its default configuration is expected to violate**
``coordinated`` (``Spec(..., violates="coordinated")``, shown as such by ``modelcheck
list`` and checked by ``modelcheck verify --all``), for every depth: ``--param
messengers=N`` chooses the protocol, and each N fails the same way. With the defaults (3
messengers, one capture) the search explores 13 distinct states before the violation.

**Property.** ``coordinated``: at dawn, both generals attack or neither does.
``both_attack`` (a ``sometimes`` property) asks that an attack be possible at all, so the
protocol in which nobody ever attacks, which trivially coordinates, does not count.

**The counterexample** (``messengers + 2`` steps, 5 by default): A plans the attack, each
messenger but the last arrives and is answered, the last is captured, and dawn comes.
The general who sent the last messenger has received everything it was to receive and
attacks; the other has not and holds back. It is the last message that matters, and for
any bound on the messengers there is a last one: that is the proof of impossibility,
which the search replays for each depth. Capturing an earlier messenger is harmless
here, since then neither general has heard all it waits for.

**Variant ``reliable-messengers``** (``--faults none``): with no messenger captured, both
attack whenever A plans to, and ``coordinated`` holds (``messengers + 4`` states).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network

LOSSY = Faults("loss=1")
"""One messenger may be captured: the default fault budget."""

A = 0
"""General A, who plans the attack and sends the odd messengers."""
B = 1
"""General B, who sends the even messengers."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    messengers: Annotated[int, Between(1)] = 3
    """The protocol's depth: messengers sent in all when none is captured (at least one:
    without one, B never hears of the attack)."""
    faults: Faults = LOSSY
    """Fault budgets: ``loss=N`` lets N messengers be captured (see modelcheck.network)."""


class Messenger(Record):
    """Messenger number ``seq`` from general ``src`` to general ``dst``."""

    src: int
    dst: int
    seq: int


class GeneralFaults(FaultState, node=int):
    """Fault budgets left (modelcheck.network)."""


class State(Record):
    """Whether A planned the attack, the last messenger each general received, whether
    dawn has come, and the messengers on the way."""

    planned: bool
    received: tuple[int, int]
    """``received[g]``: the number of the last messenger general ``g`` received (0: none)."""
    dawn: bool
    msgs: Net[Messenger]
    faults: GeneralFaults


spec = Spec("two-generals", Config, State, violates="coordinated")


def _sender(seq: int) -> int:
    return A if seq % 2 else B


def _messenger(seq: int) -> Messenger:
    src = _sender(seq)
    return Messenger(src, 1 - src, seq)


def _messages(cfg: Config) -> list[Messenger]:
    """Every messenger of the protocol."""
    return [_messenger(seq) for seq in range(1, cfg.messengers + 1)]


net = Network(spec, messages=_messages, nodes=lambda cfg: (A, B), kind="bag")
"""A lossy channel: each messenger arrives at most once, or is captured (``loss``)."""


def awaited(cfg: Config, general: int) -> int:
    """The number of the last messenger the protocol sends ``general`` (0: none)."""
    last = cfg.messengers
    return last if _sender(last) != general else last - 1


def attacks(cfg: Config, s: State, general: int) -> bool:
    """Whether ``general`` attacks at dawn: it received every messenger it awaits (and,
    for A, it planned the attack)."""
    if general == A and not s.planned:
        return False
    return s.received[general] >= awaited(cfg, general)


@spec.init
def init(cfg: Config) -> State:
    """Night: no plan, no messenger."""
    return State(False, (0, 0), False, frozenset(), net.initial(cfg))


@spec.action
def a_plans_attack(cfg: Config, s: State) -> State | None:
    """A plans to attack at dawn and sends the first messenger."""
    if s.planned or s.dawn:
        return None
    return s.replace(planned=True, msgs=net.send(cfg, s.msgs, _messenger(1)))


@net.handler(Messenger)
def receive_messenger(cfg: Config, s: State, m: Messenger) -> State | None:
    """General ``dst`` receives messenger ``seq`` and, unless it was the last, sends the
    next one back."""
    if s.dawn:
        return None
    s = s.replace(received=set_at(s.received, m.dst, m.seq))
    if m.seq < cfg.messengers:
        s = s.replace(msgs=net.send(cfg, s.msgs, _messenger(m.seq + 1)))
    return s


@spec.action
def dawn(cfg: Config, s: State) -> State | None:
    """Dawn comes once no messenger is on the way: each general decides."""
    if s.dawn or s.msgs:
        return None
    return s.replace(dawn=True)


@spec.terminal
def after_dawn(cfg: Config, s: State) -> bool:
    """The battle is decided: nothing more happens."""
    return s.dawn


# -- properties ---------------------------------------------------------------------------


@spec.always
def coordinated(cfg: Config, s: State) -> bool:
    """At dawn, both generals attack or neither does."""
    return not s.dawn or attacks(cfg, s, A) == attacks(cfg, s, B)


@spec.sometimes
def both_attack(cfg: Config, s: State) -> bool:
    """An attack is possible: some run has both generals attack at dawn."""
    return s.dawn and attacks(cfg, s, A) and attacks(cfg, s, B)


spec.variant(
    "reliable-messengers", params={"faults": "none"},
    doc="No messenger is captured: both generals attack whenever A plans to.")
