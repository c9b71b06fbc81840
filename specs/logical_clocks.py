"""Logical clocks: Lamport clocks, vector clocks and hybrid logical clocks side by side.

Sources: Leslie Lamport, "Time, Clocks, and the Ordering of Events in a Distributed
System" (CACM 1978), for happened-before and the clock condition; Colin Fidge,
"Timestamps in Message-Passing Systems That Preserve the Partial Ordering" (1988), and
Friedemann Mattern, "Virtual Time and Global States of Distributed Systems" (1989), for
vector clocks; Sandeep Kulkarni et al., "Logical Physical Clocks" (OPODIS 2014), for
hybrid logical clocks (HLC), whose update rules are followed line by line.

``processes`` processes each take up to ``max_events`` events: a local event, a send to
another process, or the receipt of a message (a ``bag`` network: any order, or never).
Every event is recorded with the timestamps of the three clocks, which all run at once,
the reading of its process's physical clock, and the true happened-before relation: the
set of events that precede it (the events before it on its process and, for a receipt,
the send and everything before that). Physical time advances in ``tick`` steps up to
``max_time``; a process's physical clock reads that time plus its skew, which the
``drift`` fault moves one tick at a time. With the defaults (2 processes, 3 events each,
physical time standing still) the search finds 1,178 distinct and 1,857 generated states.

**Properties.** Write a → b for "a happened before b". ``lamport_clock_condition``: a → b
implies L(a) < L(b), Lamport's clock condition. ``vector_clock_condition``: a → b if and
only if V(a) < V(b) (every entry ≤, one <): vector clocks characterise causality.
``vector_concurrency``: a and b are concurrent (neither happened before the other) exactly
when their vectors are incomparable. ``hlc_monotonic``: a → b implies hlc(a) < hlc(b), the
HLC timestamps (l, c) ordered lexicographically: successive events of a process, and a
receipt after its send, have increasing timestamps, even when a physical clock is set
back. ``hlc_drift_bound``: an event's l is never behind its process's physical clock, and
at most ε ahead of it, where ε, the largest offset between two clocks, is the drift budget
(Theorem 2 of the paper). ``concurrent_events_ordered`` (sometimes) is a reachable pair of
concurrent events with ordered Lamport timestamps: the reason the converse of the clock
condition fails. ``lamport_converse`` holds vacuously unless a variant claims it.

**Variant ``hlc-drift``** holds: physical time advances to 1, and one clock may drift a
tick ahead or behind (``--faults drift=1``, so ε = 1), with 2 events per process (7,108
distinct states). HLC stays monotonic, consistent with causality, and within ε of the
physical clocks.

**Variant ``lamport-converse``** claims the converse of the clock condition, L(a) < L(b)
implies a → b. The shortest counterexample (3 steps): process 0 takes two local events
(L = 1, 2), then process 1 one (L = 1): process 1's event and process 0's second are
concurrent, yet 1 < 2.

**Variant ``vector-merge-sum``.** A receipt merges the vectors by adding them entry by
entry instead of taking the maximum, so entries count events that never happened. The
shortest counterexample (5 steps): process 0 sends twice and process 1 receives both,
its vector growing to [3, 2] although process 0 has taken 2 events; process 0's third
event, [3, 0], then compares below [3, 2] although the two events are concurrent.

**Variant ``vector-forget-increment``.** A receipt merges with the maximum but does not
increment the receiver's own entry. Shortest counterexample (2 steps): process 0 sends
([1, 0]) and process 1 receives, getting [1, 0] too: the send happened before the
receipt, but their vectors are equal, not ordered.

**Variant ``hlc-physical-only``.** Events are stamped with the physical clock alone, as
a wall-clock timestamp would be: two events of a process within one tick get equal
timestamps (2 steps), and a clock set back by drift would make them go backwards.

**Faults.** ``drift`` moves physical clocks (its budget is ε), ``loss`` and ``dup`` lose
and duplicate messages, ``crash`` stops a process. Processes are a symmetric set
(``--symmetry``: 600 distinct states with the defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    processes: Annotated[int, Between(2)] = 2
    """Number of processes."""
    max_events: Annotated[int, Between(1)] = 3
    """Events each process takes at most."""
    max_time: Annotated[int, Between(0)] = 0
    """Physical time runs from 0 to ``max_time`` (0: it stands still)."""
    claim_lamport_converse: bool = False
    """Flaw: also claim that L(a) < L(b) implies a → b."""
    vector_merge_sum: bool = False
    """Flaw: a receipt adds the vectors instead of taking the entry-wise maximum."""
    vector_forget_increment: bool = False
    """Flaw: a receipt does not increment the receiver's own vector entry."""
    hlc_physical_only: bool = False
    """Flaw: timestamps are the physical clock alone, (pt, 0)."""
    faults: Faults = NO_FAULTS
    """Fault budgets; the drift budget is the clocks' largest offset ε."""


Process = Annotated[int, Symmetric("Process", size="processes")]
"""A process, ``0 .. processes - 1``."""

EventId = tuple[Process, int]
"""``(process, i)``: the ``i``-th event of ``process``."""


class Event(Record):
    """An event and its timestamps: Lamport's L, the vector V, the HLC (l, c), the
    physical clock's reading ``pt``, and ``past``, the events that happened before it."""

    kind: str
    lamport: int
    vector: Annotated[tuple[int, ...], IndexedBy(Process)]
    hlc: tuple[int, int]
    pt: int
    past: frozenset[EventId]


class Message(Record):
    """``src`` sent its event ``event`` to ``dst``; the timestamps travel with it (they are
    read from the send event)."""

    src: Process
    dst: Process
    event: int


class ProcessFaults(FaultState, node=Process):
    """Fault budgets left, processes down, clock skews."""


class State(Record):
    """Each process's events, physical time, the messages in flight and the faults."""

    events: Annotated[tuple[tuple[Event, ...], ...], IndexedBy(Process)]
    now: int
    msgs: Net[Message]
    faults: ProcessFaults


spec = Spec("logical-clocks", Config, State)


def _processes(cfg: Config) -> range:
    return range(cfg.processes)


def _messages(cfg: Config) -> list[Message]:
    return [Message(p, q, i) for p in _processes(cfg) for q in _processes(cfg) if p != q
            for i in range(cfg.max_events)]


net = Network(spec, messages=_messages, nodes=_processes, kind="bag")
"""Messages travel on a bag: delivered in any order, at most once unless duplicated."""


@cache
def _zero(processes: int) -> Event:
    """The clocks of a process before its first event."""
    return Event("start", 0, (0,) * processes, (0, 0), 0, frozenset())


def _last(cfg: Config, s: State, p: int) -> Event:
    events = s.events[p]
    return events[-1] if events else _zero(cfg.processes)


def _pt(s: State, p: int) -> int:
    """Process ``p``'s physical clock: the time, plus its skew."""
    return s.now + net.skew(s, p)


def _hlc_local(lj: int, cj: int, pt: int) -> tuple[int, int]:
    """HLC, send or local event at j: l' = max(l.j, pt.j); c counts events within one l."""
    new = max(lj, pt)
    return (new, cj + 1) if new == lj else (new, 0)


def _hlc_receive(lj: int, cj: int, lm: int, cm: int, pt: int) -> tuple[int, int]:
    """HLC, receipt at j of a message stamped (l.m, c.m)."""
    new = max(lj, lm, pt)
    if new == lj == lm:
        return new, max(cj, cm) + 1
    if new == lj:
        return new, cj + 1
    if new == lm:
        return new, cm + 1
    return new, 0


def _record(cfg: Config, s: State, p: int, kind: str, sent: Event | None,
            sent_id: EventId | None) -> State:
    """``s`` with a new event of ``kind`` at ``p`` (``sent``: the send it receives)."""
    prev = _last(cfg, s, p)
    pt = _pt(s, p)
    lj, cj = prev.hlc
    vector = prev.vector
    past = prev.past | ({(p, len(s.events[p]) - 1)} if s.events[p] else frozenset())
    if sent is None:
        lamport = prev.lamport + 1
        hlc = _hlc_local(lj, cj, pt)
        vector = set_at(vector, p, vector[p] + 1)
    else:
        assert sent_id is not None
        lamport = max(prev.lamport, sent.lamport) + 1
        hlc = _hlc_receive(lj, cj, sent.hlc[0], sent.hlc[1], pt)
        if cfg.vector_merge_sum:
            vector = tuple(a + b for a, b in zip(vector, sent.vector))
        else:
            vector = tuple(max(a, b) for a, b in zip(vector, sent.vector))
        if not cfg.vector_forget_increment:
            vector = set_at(vector, p, vector[p] + 1)
        past = past | sent.past | {sent_id}
    if cfg.hlc_physical_only:
        hlc = (pt, 0)
    event = Event(kind, lamport, vector, hlc, pt, past)
    return s.replace(events=set_at(s.events, p, (*s.events[p], event)))


@spec.init
def init(cfg: Config) -> State:
    """No event yet, time 0."""
    return State(((),) * cfg.processes, 0, frozenset(), net.initial(cfg))


@net.action(node="p", p=_processes)
def local_event(cfg: Config, s: State, p: int) -> State | None:
    """``p`` takes a local event."""
    if len(s.events[p]) >= cfg.max_events:
        return None
    return _record(cfg, s, p, "local", None, None)


@net.action(node="p", p=_processes, q=_processes)
def send(cfg: Config, s: State, p: int, q: int) -> State | None:
    """``p`` sends a message to ``q``: a send event, its timestamps on the message."""
    if p == q or len(s.events[p]) >= cfg.max_events:
        return None
    t = _record(cfg, s, p, "send", None, None)
    return t.replace(msgs=net.send(cfg, t.msgs, Message(p, q, len(s.events[p]))))


@net.handler(Message)
def receive(cfg: Config, s: State, m: Message) -> State | None:
    """``dst`` receives the message: a receive event merging the sender's timestamps."""
    if len(s.events[m.dst]) >= cfg.max_events:
        return None
    return _record(cfg, s, m.dst, "receive", s.events[m.src][m.event], (m.src, m.event))


@spec.action
def tick(cfg: Config, s: State) -> State | None:
    """Physical time advances one tick."""
    if s.now >= cfg.max_time:
        return None
    return s.replace(now=s.now + 1)


@spec.terminal
def all_events_taken(cfg: Config, s: State) -> bool:
    """Every process has taken its events (or crashed)."""
    return all(len(e) >= cfg.max_events or p in s.faults.down for p, e in enumerate(s.events))


# -- properties ---------------------------------------------------------------------------


def _all(s: State) -> list[tuple[EventId, Event]]:
    return [((p, i), e) for p, events in enumerate(s.events) for i, e in enumerate(events)]


def _leq(u: tuple[int, ...], v: tuple[int, ...]) -> bool:
    return all(a <= b for a, b in zip(u, v))


def _lt(u: tuple[int, ...], v: tuple[int, ...]) -> bool:
    return u != v and _leq(u, v)


@spec.always
def lamport_clock_condition(cfg: Config, s: State) -> bool:
    """a → b implies L(a) < L(b)."""
    events = dict(_all(s))
    return all(events[a].lamport < e.lamport for e in events.values() for a in e.past)


@spec.always
def lamport_converse(cfg: Config, s: State) -> bool:
    """Claimed only by the flawed variant: L(a) < L(b) implies a → b."""
    if not cfg.claim_lamport_converse:
        return True
    events = _all(s)
    return all(ea.lamport >= eb.lamport or a in eb.past
               for a, ea in events for _, eb in events)


@spec.always
def vector_clock_condition(cfg: Config, s: State) -> bool:
    """a → b if and only if V(a) < V(b)."""
    events = _all(s)
    return all((a in eb.past) == _lt(ea.vector, eb.vector)
               for a, ea in events for b, eb in events if a != b)


@spec.always
def vector_concurrency(cfg: Config, s: State) -> bool:
    """a and b are concurrent if and only if V(a) and V(b) are incomparable."""
    events = _all(s)
    return all((a not in eb.past and b not in ea.past)
               == (not _leq(ea.vector, eb.vector) and not _leq(eb.vector, ea.vector))
               for a, ea in events for b, eb in events if a != b)


@spec.always
def hlc_monotonic(cfg: Config, s: State) -> bool:
    """a → b implies hlc(a) < hlc(b): successive events of a process, and a receipt
    after its send, have increasing HLC timestamps."""
    events = dict(_all(s))
    return all(events[a].hlc < e.hlc for e in events.values() for a in e.past)


@spec.always
def hlc_drift_bound(cfg: Config, s: State) -> bool:
    """pt(e) <= l(e) <= pt(e) + ε, ε being the drift budget (the largest clock offset)."""
    epsilon = net.plan(cfg).budget("drift")
    return all(0 <= e.hlc[0] - e.pt <= epsilon for _, e in _all(s))


@spec.sometimes
def concurrent_events_ordered(cfg: Config, s: State) -> bool:
    """Two concurrent events whose Lamport timestamps are ordered."""
    events = _all(s)
    return any(ea.lamport < eb.lamport and a not in eb.past and b not in ea.past
               for a, ea in events for b, eb in events)


@spec.sometimes
def message_received(cfg: Config, s: State) -> bool:
    """A message is received."""
    return any(e.kind == "receive" for events in s.events for e in events)


spec.variant(
    "lamport-converse", params={"claim_lamport_converse": True},
    violates="lamport_converse",
    doc="Claims that ordered Lamport timestamps imply happened-before.")

spec.variant(
    "vector-merge-sum", params={"vector_merge_sum": True}, violates="vector_clock_condition",
    doc="A receipt adds the vectors instead of taking their maximum.")

spec.variant(
    "vector-forget-increment", params={"vector_forget_increment": True},
    violates="vector_clock_condition",
    doc="A receipt does not increment the receiver's own entry.")

spec.variant(
    "hlc-drift", params={"max_time": 1, "max_events": 2, "faults": "drift=1"},
    doc="Physical time advances and one clock drifts a tick: HLC stays monotonic and "
        "within the drift bound.")

spec.variant(
    "hlc-physical-only", params={"hlc_physical_only": True}, violates="hlc_monotonic",
    doc="Timestamps are the physical clock alone: not monotonic.")
