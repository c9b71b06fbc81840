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
``drift`` fault moves one tick at a time. With the defaults (2 processes, 2 events each,
physical time from 0 to 1, and one tick of drift, ``--faults drift=1``, so that the HLC
rules meet a physical clock ahead of, level with and behind the logical one) the search
finds 7,108 distinct and 11,249 generated states in under a second; 3 events each would
take 163,654 states and about a minute.

**Properties.** Write a → b for "a happened before b". ``lamport_clock_condition``: a → b
implies L(a) < L(b), Lamport's clock condition. ``vector_clock_condition``: a → b if and
only if V(a) < V(b) (every entry ≤, one <): vector clocks characterise causality.
``vector_concurrency``: a and b are concurrent (neither happened before the other) exactly
when their vectors are incomparable. ``hlc_monotonic``: a → b implies hlc(a) < hlc(b), the
HLC timestamps (l, c) ordered lexicographically: successive events of a process, and a
receipt after its send, have increasing timestamps, even when a physical clock is set
back. ``hlc_drift_bound``: an event's l is never behind its process's physical clock, and
at most ε ahead of it, where ε, the largest offset between two clocks, is the drift budget
(Theorem 2 of the paper). ``hlc_counter_bound``: c is a count, at most the number of
events before it with the same l (Theorem 3). ``vector_counts_events``: V(e)[q] is the
number of q's events up to e. ``concurrent_events_ordered`` (sometimes) is a reachable
pair of concurrent events with ordered Lamport timestamps: the reason the converse of the
clock condition fails; ``time_passes`` and ``message_received`` (sometimes) keep the run
from standing still. ``lamport_converse`` holds vacuously unless a variant claims it.

The clock rules are written out in the steps, so that ``modelcheck mutate logical-clocks``
plants bugs in them: it kills every mutant (an HLC receipt that does not count up, a
counter that runs ahead, time standing still...) but the equivalent ones and the accepted
survivors, each declared with its reason (bounds lifted, a Lamport clock counting by two,
a message naming another event).

**Variant ``hlc-drift``** holds: physical time advances to 2 (24,379 distinct states).
HLC stays monotonic, a count, and within ε of the physical clocks.

**Variant ``lamport-converse``** claims the converse of the clock condition, L(a) < L(b)
implies a → b. The shortest counterexample (3 steps): process 0 takes two local events
(L = 1, 2), then process 1 one (L = 1): process 1's event and process 0's second are
concurrent, yet 1 < 2.

**Variant ``vector-merge-sum``.** A receipt merges the vectors by adding them entry by
entry instead of taking the maximum, so entries count events that never happened
(``vector_counts_events``). The shortest counterexample (4 steps): process 0 sends twice
and process 1 receives both, its vector growing to [3, 2] although process 0 has taken 2
events.

**Variant ``vector-forget-increment``.** A receipt merges with the maximum but does not
increment the receiver's own entry. Shortest counterexample (2 steps): process 0 sends
([1, 0]) and process 1 receives, getting [1, 0] too: the send happened before the
receipt, but their vectors are equal, not ordered.

**Variant ``hlc-physical-only``.** Events are stamped with the physical clock alone, as
a wall-clock timestamp would be: two events of a process within one tick get equal
timestamps (2 steps), and a clock set back by drift would make them go backwards.

**Faults.** ``drift`` moves physical clocks (its budget is ε), ``loss`` and ``dup`` lose
and duplicate messages, ``crash`` stops a process. Processes are a symmetric set
(``--symmetry``: 3,568 distinct states with the defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import Faults, FaultState, Net, Network

CLOCK_DRIFT = Faults("drift=1")
"""One tick of clock drift in all (ε = 1): the default fault budget."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    processes: Annotated[int, Between(2)] = 2
    """Number of processes."""
    max_events: Annotated[int, Between(1)] = 2
    """Events each process takes at most."""
    max_time: Annotated[int, Between(0)] = 1
    """Physical time runs from 0 to ``max_time`` (0: it stands still)."""
    claim_lamport_converse: bool = False
    """Flaw: also claim that L(a) < L(b) implies a → b."""
    vector_merge_sum: bool = False
    """Flaw: a receipt adds the vectors instead of taking the entry-wise maximum."""
    vector_forget_increment: bool = False
    """Flaw: a receipt does not increment the receiver's own vector entry."""
    hlc_physical_only: bool = False
    """Flaw: timestamps are the physical clock alone, (pt, 0)."""
    faults: Faults = CLOCK_DRIFT
    """Fault budgets; the drift budget is the clocks' largest offset ε (default 1)."""


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


def _past(s: State, p: int, sent: EventId | None = None) -> frozenset[EventId]:
    """What happened before ``p``'s next event: ``p``'s events and everything before them,
    and for a receipt the send ``sent`` and everything before it."""
    events = s.events[p]
    past = events[-1].past | {(p, len(events) - 1)} if events else frozenset()
    if sent is not None:
        past = past | s.events[sent[0]][sent[1]].past | {sent}
    return past


def _append(s: State, p: int, event: Event) -> State:
    return s.replace(events=set_at(s.events, p, (*s.events[p], event)))


@spec.init
def init(cfg: Config) -> State:
    """No event yet, time 0."""
    return State(((),) * cfg.processes, 0, frozenset(), net.initial(cfg))


@net.action(node="p", p=_processes)
def local_event(cfg: Config, s: State, p: int) -> State | None:
    """``p`` takes a local event: L and p's vector entry count up; HLC takes
    l' = max(l, pt) (``ln``), and c (``cn``) counts events within one l."""
    if len(s.events[p]) >= cfg.max_events:
        return None
    prev = _last(cfg, s, p)
    pt = _pt(s, p)
    lj, cj = prev.hlc
    ln = max(lj, pt)
    cn = cj + 1 if ln == lj else 0
    hlc = (pt, 0) if cfg.hlc_physical_only else (ln, cn)
    vector = set_at(prev.vector, p, prev.vector[p] + 1)
    return _append(s, p, Event("local", prev.lamport + 1, vector, hlc, pt, _past(s, p)))


@net.action(node="p", p=_processes, q=_processes)
def send(cfg: Config, s: State, p: int, q: int) -> State | None:
    """``p`` sends a message to ``q``: a send event, with the clocks of a local event,
    whose timestamps travel on the message."""
    if p == q or len(s.events[p]) >= cfg.max_events:
        return None
    prev = _last(cfg, s, p)
    pt = _pt(s, p)
    lj, cj = prev.hlc
    ln = max(lj, pt)
    cn = cj + 1 if ln == lj else 0
    hlc = (pt, 0) if cfg.hlc_physical_only else (ln, cn)
    vector = set_at(prev.vector, p, prev.vector[p] + 1)
    t = _append(s, p, Event("send", prev.lamport + 1, vector, hlc, pt, _past(s, p)))
    return t.replace(msgs=net.send(cfg, t.msgs, Message(p, q, len(s.events[p]))))


@net.handler(Message)
def receive(cfg: Config, s: State, m: Message) -> State | None:
    """``dst`` receives the message: a receive event. L is one more than the larger of its
    own and the message's; the vectors merge entry by entry, then ``dst``'s own entry counts
    up; HLC takes l' = max(l, l.m, pt) (``ln``), and c (``cn``) counts up from the counter
    of each clock whose l it keeps (from 0 when the physical clock is ahead of both)."""
    p = m.dst
    if len(s.events[p]) >= cfg.max_events:
        return None
    prev = _last(cfg, s, p)
    sent = s.events[m.src][m.event]
    pt = _pt(s, p)
    lj, cj = prev.hlc
    lm, cm = sent.hlc
    ln = max(lj, lm, pt)
    if ln == lj and ln == lm:
        cn = max(cj, cm) + 1
    elif ln == lj:
        cn = cj + 1
    elif ln == lm:
        cn = cm + 1
    else:
        cn = 0
    hlc = (pt, 0) if cfg.hlc_physical_only else (ln, cn)
    if cfg.vector_merge_sum:
        vector = tuple(a + b for a, b in zip(prev.vector, sent.vector))
    else:
        vector = tuple(max(a, b) for a, b in zip(prev.vector, sent.vector))
    if not cfg.vector_forget_increment:
        vector = set_at(vector, p, vector[p] + 1)
    lamport = max(prev.lamport, sent.lamport) + 1
    return _append(s, p, Event("receive", lamport, vector, hlc, pt,
                               _past(s, p, (m.src, m.event))))


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


@spec.always
def vector_counts_events(cfg: Config, s: State) -> bool:
    """V(e)[q] is the number of q's events that happened before e or are e: a vector
    clock counts events (Mattern's definition)."""
    events = _all(s)
    return all(e.vector[q] == sum(1 for (r, _) in e.past if r == q) + (q == p)
               for (p, _), e in events for q in range(cfg.processes))


@spec.always
def hlc_counter_bound(cfg: Config, s: State) -> bool:
    """c(e) is a count: 0 or more, and at most the number of events that happened before e
    with the same l (Theorem 3 of the paper, the start of the processes, at (0, 0),
    counted as one such event): the counter counts events, it does not run ahead."""
    events = dict(_all(s))
    return all(0 <= e.hlc[1] <= sum(1 for a in e.past if events[a].hlc[0] == e.hlc[0])
               + (e.hlc[0] == 0) for e in events.values())


@spec.sometimes
def time_passes(cfg: Config, s: State) -> bool:
    """Physical time reaches ``max_time``."""
    return s.now == cfg.max_time


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


# -- mutants that survive, and why that is no gap (``modelcheck mutate logical-clocks``) ----

spec.accept_mutant(
    "init:off-by-one:1",
    """Physical time starting at 1 instead of 0: the physical clocks read one more, ahead of
    the logical clocks' start (0, 0) as a clock may be; the run is one tick shorter.""")
for _id in ("local_event:flip-comparison:1", "send:flip-comparison:2",
            "receive:flip-comparison:1", "receive:drop-guard:1", "tick:flip-comparison:1"):
    spec.accept_mutant(
        _id,
        """The guard is the model's bound (events per process, or time): the change lets a
        process take an event more, or time run a tick further, which is the same
        protocol at a larger bound.""")
for _id in ("local_event:drop-guard:1", "send:drop-guard:1", "send:and-or:1",
            "tick:drop-guard:1"):
    spec.accept_mutant(
        _id,
        """The guard is the model's bound on events per process (or on time): without it
        the events never end and the check times out; each run is the correct protocol
        with more events.""")
for _id in ("local_event:off-by-one:12", "send:off-by-one:12", "receive:off-by-one:18"):
    spec.accept_mutant(
        _id,
        """A Lamport clock that counts up by 2 instead of 1 meets the clock condition all
        the same: Lamport's rule IR1 asks only that a process's clock increase between
        its events.""")
for _id in ("send:field-constant:3", "send:field-constant:4", "send:field-constant:5"):
    spec.accept_mutant(
        _id,
        """A message names the send event whose timestamps it carries, and the
        happened-before relation the properties check against is read from that same
        name: a message that names another event (or another sender, or receiver) is, to
        the clocks and to the relation alike, that event's message. The model takes a
        message's identity as given.""")

for _id in ("_zero:off-by-one:1", "_zero:off-by-one:2", "_zero:off-by-one:8"):
    spec.accept_mutant(
        _id,
        """The clocks before a process's first event start one off (``modelcheck mutate
        --helpers``): Lamport's at 1 or -1, or the HLC's counter at -1. Every property
        compares the timestamps of events with each other (the HLC's ``l`` also with
        physical time, which the counter does not enter), and each clock rule needs only
        that its clock increase from one event to the next, which a shifted start keeps.""")

spec.variant(
    "lamport-converse", params={"claim_lamport_converse": True},
    violates="lamport_converse",
    doc="Claims that ordered Lamport timestamps imply happened-before.")

spec.variant(
    "vector-merge-sum", params={"vector_merge_sum": True}, violates="vector_counts_events",
    doc="A receipt adds the vectors instead of taking their maximum.")

spec.variant(
    "vector-forget-increment", params={"vector_forget_increment": True},
    violates="vector_clock_condition",
    doc="A receipt does not increment the receiver's own entry.")

spec.variant(
    "hlc-drift", params={"max_time": 2},
    doc="Physical time advances two ticks while one clock drifts a tick: HLC stays "
        "monotonic, a count, and within the drift bound.")

spec.variant(
    "hlc-physical-only", params={"hlc_physical_only": True}, violates="hlc_monotonic",
    doc="Timestamps are the physical clock alone: not monotonic.")
