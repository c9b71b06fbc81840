"""Byzantine generals with oral messages, OM(1): loyal lieutenants agree despite one traitor.

Source: Leslie Lamport, Robert Shostak and Marshall Pease, "The Byzantine Generals
Problem" (ACM TOPLAS 4(3), 1982), §3, algorithm OM(m) for m = 1.

A commander (general 0) sends its order, attack (1) or retreat (0), to each of the
``generals - 1`` lieutenants; each lieutenant relays the order it received to every other
lieutenant; each lieutenant then decides on the majority of the values it holds (the
commander's and one relayed by each other lieutenant), retreat on a tie. Messages travel
on a bag; the system is synchronous, as OM assumes: a lieutenant relays retreat if no
order has reached it once the orders of a loyal commander have all arrived, and decides
once the relays of the loyal lieutenants have all arrived, taking retreat for each value
still missing. One general is a traitor (``traitor``: the last lieutenant, by default, or
the commander). A traitor takes no step of the protocol: it sends what it likes, through
the network's ``equivocate`` fault (each forged order or relay spends one unit; the
default budget, 3, lets it tell every other general something different). The loyal
commander's order is either value (two initial states). With the defaults (4 generals,
a traitorous lieutenant) the search finds 27,706 distinct and 141,814 generated states;
with a traitorous commander (``--param traitor=commander``) 43,181 and 261,244.

**Properties.** ``agreement`` (IC1): the loyal lieutenants that have decided decided
alike. ``obedience`` (IC2): if the commander is loyal, every loyal lieutenant that has
decided obeyed its order. A state is final once every loyal lieutenant has decided; any
other state without a step is a deadlock, so every loyal lieutenant is also checked to
decide. ``attack_decided`` (sometimes) makes sure the loyal lieutenants do attack, and
``traitor_equivocates`` (sometimes) that the traitor does lie: two loyal lieutenants hold
different values from it.

**Variant ``three-generals``** (``generals=3``): with one traitor among three generals
(n ≤ 3f) OM(1) fails, as the paper's impossibility result says it must. Shortest
counterexample (3 steps): the loyal commander orders attack, and lieutenant 1 receives
it (and relays it); the traitor, lieutenant 2, relays nothing, which reads as retreat
(relaying retreat is the same lie, one step longer); lieutenant 1 holds attack and
retreat, a tie, and retreats, disobeying a loyal commander. It cannot tell this run from
one where the commander is the traitor and lieutenant 2 loyal.

**Variant ``traitorous-commander``** (``traitor=commander``) holds: the commander tells
each lieutenant something else, and the relays still bring every loyal lieutenant the
same three values.

**Faults.** ``equivocate`` is the traitor's (its budget bounds the messages it forges:
below 3 the traitor is weaker). ``loss`` and ``crash`` break the synchrony OM assumes: a
lost relay, or a loyal general that crashes, leaves a loyal lieutenant waiting for a
value forever (a deadlock, in 12 and 7 steps).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Literal

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    generals: Annotated[int, Between(3, 6)] = 4
    """The commander (general 0) and ``generals - 1`` lieutenants."""
    traitor: Literal["lieutenant", "commander"] = "lieutenant"
    """The traitor: the last lieutenant, or the commander."""
    faults: Faults = Faults("equivocate=3")  # noqa: RUF009 - a Faults is an immutable str
    """Fault budgets: ``equivocate`` counts the messages the traitor forges."""


General = Annotated[int, Between(0)]
"""A general, ``0 .. generals - 1``; 0 is the commander."""

RETREAT, ATTACK = 0, 1
COMMANDER = 0


class Order(Record):
    """The commander (``src``) orders lieutenant ``dst`` to ``value``."""

    src: General
    dst: General
    value: int


class Relay(Record):
    """Lieutenant ``src`` tells lieutenant ``dst`` that the commander ordered ``value``."""

    src: General
    dst: General
    value: int


class NodeFaults(FaultState, node=General):
    """Fault budgets left, generals down."""


class State(Record):
    """The loyal commander's order (None when the commander is the traitor) and whether it
    is sent; per general (index 0 unused but for ``heard``): the commander's value as it
    heard it (None until then), the value each other lieutenant relayed to it (None
    until then), its decision (None until then); the network."""

    order: int | None
    commanded: bool
    heard: tuple[int | None, ...]
    relayed: tuple[tuple[int | None, ...], ...]
    decision: tuple[int | None, ...]
    msgs: Net[Order | Relay]
    faults: NodeFaults


spec = Spec("byzantine-generals", Config, State)


def _traitor(cfg: Config) -> int:
    return COMMANDER if cfg.traitor == "commander" else cfg.generals - 1


def _lieutenants(cfg: Config) -> range:
    return range(1, cfg.generals)


def _loyal_lieutenants(cfg: Config) -> list[int]:
    return [i for i in _lieutenants(cfg) if i != _traitor(cfg)]


def _messages(cfg: Config) -> list[Order | Relay]:
    """Every order and relay, of either value."""
    orders: list[Order | Relay] = [Order(COMMANDER, j, v) for j in _lieutenants(cfg)
                                   for v in (RETREAT, ATTACK)]
    return orders + [Relay(i, j, v) for i in _lieutenants(cfg) for j in _lieutenants(cfg)
                     if i != j for v in (RETREAT, ATTACK)]


def _forgeable(cfg: Config) -> list[Order | Relay]:
    """What the traitor may send: any message of its own, of either value."""
    return [m for m in _messages(cfg) if m.src == _traitor(cfg)]


net = Network(spec, messages=_messages, nodes=lambda cfg: range(cfg.generals), kind="bag",
              forgeable=_forgeable)
"""Orders and relays travel on a bag; the traitor forges messages (``equivocate``)."""


def _orders(cfg: Config) -> tuple[int | None, ...]:
    return (None,) if cfg.traitor == "commander" else (RETREAT, ATTACK)


@spec.init(order=_orders)
def init(cfg: Config, order: int | None) -> State:
    """The commander has an order; nothing is sent, heard or decided."""
    n = cfg.generals
    return State(order, False, (None,) * n, ((None,) * n,) * n, (None,) * n, frozenset(),
                 net.initial(cfg))


@net.action(node=COMMANDER)
def command(cfg: Config, s: State) -> State | None:
    """The loyal commander sends its order to every lieutenant."""
    if s.order is None or s.commanded:
        return None
    return s.replace(commanded=True, msgs=net.broadcast(
        cfg, s.msgs, [Order(COMMANDER, j, s.order) for j in _lieutenants(cfg)]))


def _relay(cfg: Config, s: State, i: int, value: int) -> State:
    """``s`` with loyal lieutenant ``i`` holding ``value`` as the commander's, relayed."""
    return s.replace(heard=set_at(s.heard, i, value), msgs=net.broadcast(
        cfg, s.msgs, [Relay(i, j, value) for j in _lieutenants(cfg) if j != i]))


@net.handler(Order)
def receive_order(cfg: Config, s: State, m: Order) -> State:
    """A loyal lieutenant takes the first order it receives and relays it; a later order
    (the traitor's, too late) is ignored, as is every order to the traitor."""
    if m.dst == _traitor(cfg) or s.heard[m.dst] is not None:
        return s
    return _relay(cfg, s, m.dst, m.value)


@net.action(node="i", i=_loyal_lieutenants)
def no_order(cfg: Config, s: State, i: int) -> State | None:
    """Lieutenant ``i`` has no order when a loyal commander's would have arrived: it takes
    retreat, and relays it. Only a traitorous commander leaves it so (a loyal one's order
    arrives in time); its order may then come too late, or never."""
    if s.heard[i] is not None or s.order is not None:
        return None
    return _relay(cfg, s, i, RETREAT)


@net.handler(Relay)
def receive_relay(cfg: Config, s: State, m: Relay) -> State:
    """A loyal lieutenant that has not decided records the first relay from each other
    lieutenant."""
    if m.dst == _traitor(cfg) or s.decision[m.dst] is not None \
            or s.relayed[m.dst][m.src] is not None:
        return s
    return s.replace(relayed=set_at(s.relayed, m.dst, set_at(s.relayed[m.dst], m.src, m.value)))


@net.action(node="i", i=_loyal_lieutenants)
def decide(cfg: Config, s: State, i: int) -> State | None:
    """Lieutenant ``i``, holding the commander's value and the relays of every loyal
    lieutenant, decides on the majority (retreat for a missing value, and on a tie)."""
    heard = s.heard[i]
    if s.decision[i] is not None or heard is None:
        return None
    if any(s.relayed[i][j] is None for j in _loyal_lieutenants(cfg) if j != i):
        return None
    values = [heard] + [RETREAT if s.relayed[i][j] is None else s.relayed[i][j]
                        for j in _lieutenants(cfg) if j != i]
    return s.replace(decision=set_at(s.decision, i, _majority(values)))


def _majority(values: list[int | None]) -> int:
    """The value most of ``values`` hold; retreat on a tie."""
    votes = Counter(values)
    return ATTACK if votes[ATTACK] > votes[RETREAT] else RETREAT


@spec.terminal
def all_decided(cfg: Config, s: State) -> bool:
    """Every loyal lieutenant has decided: the model ends here."""
    return all(s.decision[i] is not None for i in _loyal_lieutenants(cfg))


# -- properties ---------------------------------------------------------------------------


@spec.always
def agreement(cfg: Config, s: State) -> bool:
    """IC1: the loyal lieutenants that have decided decided alike."""
    return len({s.decision[i] for i in _loyal_lieutenants(cfg)} - {None}) <= 1


@spec.always
def obedience(cfg: Config, s: State) -> bool:
    """IC2: if the commander is loyal, every loyal lieutenant that has decided obeyed it."""
    return s.order is None or all(s.decision[i] in (None, s.order)
                                  for i in _loyal_lieutenants(cfg))


@spec.sometimes
def attack_decided(cfg: Config, s: State) -> bool:
    """Every loyal lieutenant has decided to attack."""
    return all(s.decision[i] == ATTACK for i in _loyal_lieutenants(cfg))


@spec.sometimes
def traitor_equivocates(cfg: Config, s: State) -> bool:
    """Two loyal lieutenants hold different values from the traitor (as the commander's
    order, or as its relay): the traitor's lies do reach them, so a ✓ is not won against a
    traitor that never acts."""
    t = _traitor(cfg)
    told = {s.heard[i] if t == COMMANDER else s.relayed[i][t] for i in _loyal_lieutenants(cfg)}
    return RETREAT in told and ATTACK in told


# -- mutants that survive, and why that is no gap (``modelcheck mutate byzantine-generals``) --

for _id in ("command:drop-guard:1", "command:and-or:1", "command:drop-update:1"):
    spec.accept_mutant(
        _id,
        """A loyal commander that sends its order again and again: the bag never stops
        growing and the check times out. Each copy carries the one order, and a
        lieutenant takes only the first order it receives.""")
spec.accept_mutant(
    "receive_order:and-or:1",
    """A loyal lieutenant that takes every order it receives, not the first: at the default
    configuration the commander is loyal and all its orders carry one value. With a
    traitorous commander (``--variant traitorous-commander``) it is killed on
    ``agreement`` in 12 steps.""")
spec.accept_mutant(
    "receive_relay:and-or:1",
    """A loyal lieutenant that lets a later relay replace an earlier one from the same
    lieutenant: only the traitor relays more than once, and its last relay counting
    instead of its first is the traitor having sent that one first, which it may. With a
    traitorous commander the mutant's state graph is the original's.""")

spec.accept_mutant(
    "_traitor:off-by-one:2",
    """The traitor is the third lieutenant instead of the last (``modelcheck mutate
    --helpers``): the lieutenants are interchangeable (each relays to every other and
    decides alike), so this is the same model with two lieutenants renamed.""")

spec.variant(
    "three-generals", params={"generals": 3}, violates="obedience",
    doc="Three generals, one of them a traitorous lieutenant (n <= 3f): the loyal "
        "lieutenant holds the commander's attack and the traitor's retreat, and retreats.")

spec.variant(
    "traitorous-commander", params={"traitor": "commander"},
    doc="The commander is the traitor and tells each lieutenant what it likes: the loyal "
        "lieutenants still agree.")
