"""Transactional outbox against dual write: publishing an event for each committed order.

Sources: Chris Richardson, "Microservices Patterns" (2018), §3.3.7, for the transactional
outbox (the event is inserted into an outbox table in the transaction that commits the
order, and a relay publishes the table's rows) and the failure of dual writes; Gregor
Hohpe and Bobby Woolf, "Enterprise Integration Patterns" (2003), for at-least-once
delivery and idempotent receivers.

An order service (node 0) takes ``orders`` orders; a consumer (node 1) applies the event
of each order it receives (on a ``bag`` network; the broker is abstracted as the
network). The service may crash and restart (``--faults crash=1,restart=1``, the
default): its database (``committed``, ``outbox``) survives, its memory (``pending``)
does not, and a crashed service is eventually restarted (weak fairness of ``restart``,
its supervisor). ``design`` picks how the service publishes:

* ``outbox`` (the default): placing an order commits it and its outbox row in one
  transaction. The relay publishes a row's event, then marks the row sent; a crash
  between the two makes it publish again after the restart (at least once), and the
  consumer drops an event it has already applied (idempotent).
* ``dual-write``: the service commits the order, then publishes its event.
* ``dual-write-publish-first``: the service publishes the event, then commits the order.

Publishing, committing, the relay's steps and deliveries are weakly fair. With the
defaults (2 orders, outbox, one crash and restart) the search finds 216 distinct and 529
generated states.

**Properties.** ``events_match_orders`` (always eventually): again and again, the orders
whose event the consumer has applied are exactly the committed orders: "an event is
published if and only if its order is committed", eventually. ``applied_at_most_once``:
the consumer never applies an order's event twice. ``republished_only_after_faults``:
each order's event has at most one copy in flight, plus one per crash of the service and
per duplication by the network so far; at least once, but duplicates only from faults (it
also bounds a service that publishes again and again, whose states would never end).
``relay_holds_unsent_rows``: the rows the relay is publishing are unsent outbox rows.
``event_applied`` (sometimes) makes sure an event gets through.

**Variant ``dual-write``** loses an event: the shortest counterexample (3 steps) commits
order 0, then the service crashes before publishing and restarts without the memory of
what it had to publish; the behaviour stays there forever with order 0 committed and no
event (a lasso whose cycle is its last state). **Variant ``dual-write-publish-first``**
invents one (4 steps): the service publishes order 0's event, the consumer applies it,
and the service crashes before committing the order, for good.

**Variant ``consumer-not-idempotent``.** The outbox with a consumer that applies every
event it receives. Shortest counterexample (7 steps): the relay publishes order 0's
event; the service crashes before marking the row sent, restarts, and the relay publishes
it again; the consumer applies both copies.

**Faults.** Besides the default crash and restart of the service, ``dup`` duplicates an
event in flight (the broker's at-least-once delivery; the idempotent consumer absorbs
it; 615 states). ``loss`` is not at-least-once delivery and breaks
``events_match_orders``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    orders: Annotated[int, Between(1, 12)] = 2
    """Orders placed; at most 12, as orders are not interchangeable and the states grow
    tenfold with each one (23,328 with 4 orders)."""
    design: Literal["outbox", "dual-write", "dual-write-publish-first"] = "outbox"
    """``outbox``, ``dual-write`` or ``dual-write-publish-first``."""
    idempotent_consumer: bool = True
    """The consumer drops an event it has already applied."""
    faults: Faults = Faults("crash=1,restart=1")  # noqa: RUF009 - a Faults is an immutable str
    """Fault budgets: by default the service may crash and restart once."""


SERVICE = 0
"""The order service, with its database and the relay."""
CONSUMER = 1
"""The consumer of the events."""


class Event(Record):
    """The event of order ``order``, from the service to the consumer."""

    src: int
    dst: int
    order: int


class NodeFaults(FaultState, node=int):
    """Fault budgets left, nodes down."""


class State(Record):
    """The service's database (``committed`` orders, unsent ``outbox`` rows), each node's
    memory (``pending``: the service's orders between its two writes), the orders
    placed, how many times the consumer applied each order's event, the network."""

    committed: frozenset[int]
    outbox: frozenset[int]
    pending: tuple[frozenset[int], ...]
    placed: frozenset[int]
    applied: tuple[int, ...]
    msgs: Net[Event]
    faults: NodeFaults


spec = Spec("outbox", Config, State)


def _orders(cfg: Config) -> range:
    return range(cfg.orders)


net = Network(spec, messages=lambda cfg: [Event(SERVICE, CONSUMER, o) for o in _orders(cfg)],
              nodes=lambda cfg: (SERVICE, CONSUMER), kind="bag",
              crashable=lambda cfg: (SERVICE,), durable=("committed", "outbox", "applied"),
              volatile=("pending",))
"""Events travel on a bag; the service may crash, losing ``pending`` and keeping its
database."""

spec.fair("supervisor", "weak", actions=("restart",),
          doc="A crashed service is eventually restarted.")
spec.fair("delivery", "weak", actions=("deliver",), per_instance=True,
          doc="Every event in flight is eventually delivered.")


def _event(o: int) -> Event:
    return Event(SERVICE, CONSUMER, o)


@spec.init
def init(cfg: Config) -> State:
    """No order placed, nothing in flight."""
    return State(frozenset(), frozenset(), (frozenset(), frozenset()), frozenset(),
                 (0,) * cfg.orders, frozenset(), net.initial(cfg))


def _pending(s: State) -> frozenset[int]:
    return s.pending[SERVICE]


def _set_pending(s: State, orders: frozenset[int]) -> tuple[frozenset[int], ...]:
    return set_at(s.pending, SERVICE, orders)


# -- the order service --------------------------------------------------------------------


@net.action(node=SERVICE, o=_orders)
def place_order(cfg: Config, s: State, o: int) -> State | None:
    """The service takes order ``o``: its first write (the only one with an outbox)."""
    if o in s.placed:
        return None
    placed = s.placed | {o}
    if cfg.design == "outbox":
        return s.replace(committed=s.committed | {o}, outbox=s.outbox | {o}, placed=placed)
    if cfg.design == "dual-write":
        return s.replace(committed=s.committed | {o}, pending=_set_pending(s, _pending(s) | {o}),
                         placed=placed)
    return s.replace(msgs=net.send(cfg, s.msgs, _event(o)),
                     pending=_set_pending(s, _pending(s) | {o}), placed=placed)


@net.action(node=SERVICE, o=_orders)
def publish(cfg: Config, s: State, o: int) -> State | None:
    """Dual write: the service publishes the event of the order it committed."""
    if cfg.design != "dual-write" or o not in _pending(s):
        return None
    return s.replace(msgs=net.send(cfg, s.msgs, _event(o)),
                     pending=_set_pending(s, _pending(s) - {o}))


@net.action(node=SERVICE, o=_orders)
def commit(cfg: Config, s: State, o: int) -> State | None:
    """Dual write, publish first: the service commits the order it published."""
    if cfg.design != "dual-write-publish-first" or o not in _pending(s):
        return None
    return s.replace(committed=s.committed | {o}, pending=_set_pending(s, _pending(s) - {o}))


@net.action(node=SERVICE, o=_orders)
def relay_publish(cfg: Config, s: State, o: int) -> State | None:
    """The relay publishes the event of an unsent outbox row."""
    if o not in s.outbox or o in _pending(s):
        return None
    return s.replace(msgs=net.send(cfg, s.msgs, _event(o)),
                     pending=_set_pending(s, _pending(s) | {o}))


@net.action(node=SERVICE, o=_orders)
def relay_mark_sent(cfg: Config, s: State, o: int) -> State | None:
    """The relay marks the row whose event it published as sent."""
    if cfg.design != "outbox" or o not in _pending(s):
        return None
    return s.replace(outbox=s.outbox - {o}, pending=_set_pending(s, _pending(s) - {o}))


spec.fair("service", "weak", actions=("publish", "commit", "relay_publish", "relay_mark_sent"),
          per_instance=True, doc="The service and its relay finish what they started.")


# -- the consumer ---------------------------------------------------------------------------


@net.handler(Event)
def consumer_rcv_event(cfg: Config, s: State, m: Event) -> State:
    """The consumer applies the event; an idempotent one drops an event already applied."""
    if cfg.idempotent_consumer and s.applied[m.order]:
        return s
    return s.replace(applied=set_at(s.applied, m.order, s.applied[m.order] + 1))


# -- properties ---------------------------------------------------------------------------


@spec.terminal
def quiescent(cfg: Config, s: State) -> bool:
    """Every order placed, nothing pending or unsent, nothing in flight."""
    return (len(s.placed) == cfg.orders and not any(s.pending) and not s.outbox
            and not s.msgs)


def _applied(s: State) -> frozenset[int]:
    return frozenset(o for o, n in enumerate(s.applied) if n)


@spec.always_eventually
def events_match_orders(cfg: Config, s: State) -> bool:
    """The orders whose event was applied are the committed orders."""
    return _applied(s) == s.committed


@spec.always
def applied_at_most_once(cfg: Config, s: State) -> bool:
    """No order's event is applied twice."""
    return all(n <= 1 for n in s.applied)


def _copies(cfg: Config, s: State, o: int) -> int:
    return sum(1 for m in net.in_flight(cfg, s.msgs) if m.order == o)


@spec.always
def republished_only_after_faults(cfg: Config, s: State) -> bool:
    """Each order's event has at most one copy in flight, plus one for each crash of the
    service and each duplication by the network so far: the service publishes an event
    again only when a crash made it forget that it had."""
    budget = net.initial(cfg)
    extra = 1 + budget.crash - s.faults.crash + budget.dup - s.faults.dup
    return all(_copies(cfg, s, o) <= extra for o in _orders(cfg))


@spec.always
def relay_holds_unsent_rows(cfg: Config, s: State) -> bool:
    """In the outbox design, the rows the relay is publishing are unsent outbox rows."""
    return cfg.design != "outbox" or _pending(s) <= s.outbox


@spec.sometimes
def event_applied(cfg: Config, s: State) -> bool:
    """Some order's event was applied."""
    return any(s.applied)


spec.variant(
    "dual-write", params={"design": "dual-write"}, violates="events_match_orders",
    doc="Commit, then publish: a crash in between loses the event.")

spec.variant(
    "dual-write-publish-first", params={"design": "dual-write-publish-first"},
    violates="events_match_orders",
    doc="Publish, then commit: a crash in between invents an event for no order.")

spec.variant(
    "consumer-not-idempotent", params={"idempotent_consumer": False},
    violates="applied_at_most_once",
    doc="The relay publishes again after a crash and the consumer applies both copies.")
