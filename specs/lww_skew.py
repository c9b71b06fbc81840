"""Last-writer-wins under clock skew: a causally later write lost to a drifting clock.

Sources: Martin Kleppmann, "Designing Data-Intensive Applications" (2017), chapter 5
("Last write wins") and chapter 8 ("Timestamps for ordering events"), for replicas that
resolve concurrent writes by wall-clock timestamp and the skewed clock that makes a
causally later write lose; Kyle Kingsbury's Jepsen analyses of Cassandra (2013), for the
same failure in a deployed store; Sandeep Kulkarni et al., "Logical Physical Clocks"
(OPODIS 2014), for hybrid logical clocks (HLC), whose update rules are followed line by
line; Leslie Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System"
(CACM 1978), for happened-before.

``replicas`` replicas hold one register. Each replica takes ``writes`` writes (a client
writes there after reading that replica's value, so the write happens after every write
the replica has seen); real time advances one tick with each write. A replica applies
its own write and sends it to every other replica (``Replicate`` messages on a ``bag``
network: any order, delayed without limit). Every replica resolves
the writes it holds by last-writer-wins: it keeps the write with the largest timestamp,
ties broken by the replica that made it. ``resolution`` picks the timestamp: ``hlc`` (the
default) stamps a write with the replica's hybrid logical clock, updated on every write
and every receipt; ``wall`` with the replica's physical clock, kept monotonic at each
replica as a timestamp generator keeps it (a write is stamped at least one tick past the
replica's previous one), but blind to the timestamps it receives. A physical clock reads
real time plus its skew, moved one tick at a time by the ``drift`` fault (one tick by
default, ``--faults drift=1``). With the defaults (2 replicas, two writes each, one tick
of drift) the search finds 9,917 distinct and 17,315 generated states in about a second.

**Properties.** Write a → b for "a happened before b". ``no_causal_overwrite``: a replica
never holds a write a once it has seen a write b with a → b ("a write that happens after
another is never overwritten by it"). ``timestamps_follow_causality``: a → b implies
ts(a) < ts(b), which is what makes last-writer-wins keep the later write.
``last_writer_wins``: each replica holds the write with the largest timestamp among those
it has seen, so replicas that have seen the same writes hold the same value
(convergence). ``hlc_within_drift``: an HLC timestamp's physical part is never behind the
replica's physical clock, nor more than ε, the drift budget, ahead of it (Theorem 2 of
Kulkarni et al.). ``hlc_covers_seen``: a replica's HLC is at least the timestamp of every
write it has seen, and past that of every write it has received, so that its next write
is stamped later; ``hlc_advances`` (an action property): the HLC never goes back, and
moves forward with every event that shows the replica a new write.
``concurrent_writes_resolved`` and ``causal_write_wins`` (sometimes) make sure both kinds
of conflict are reached: two concurrent writes at one replica, and a write made after
another has been received. ``modelcheck mutate lww-skew`` kills every mutant but the
equivalent ones and the accepted survivors, each declared with its reason (the bound on
writes, clocks that start elsewhere, HLC counters that count higher than they must, and
two receipt rules whose error needs two ticks of drift to show).

**Variant ``wall-clock``.** Timestamps are the physical clock, monotonic per replica.
Shortest counterexample (4 steps): replica 0's clock drifts a tick behind; replica 1
writes at time 1 (timestamp 1); replica 0 receives the write, and then writes at time 2,
its clock reading 1: the new write's timestamp ties with the one it follows, the tie goes
to replica 1, and replica 0 keeps the older write: its client's write is lost, although
it was made after reading the one that wins. Without drift (``--faults none``) the variant
holds: the clocks then follow real time, which follows happened-before.

**Faults.** ``drift`` moves a replica's clock (its budget is ε); ``loss`` and ``dup``
lose and duplicate ``Replicate`` messages; ``crash`` stops a replica.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network

ONE_TICK_OF_DRIFT = Faults("drift=1")
"""One tick of clock drift in all (ε = 1): the default fault budget."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    replicas: Annotated[int, Between(2)] = 2
    """Number of replicas."""
    writes: Annotated[int, Between(1)] = 2
    """Writes each replica makes."""
    resolution: Literal["hlc", "wall"] = "hlc"
    """Timestamps: the hybrid logical clock (``hlc``) or the physical clock (``wall``)."""
    faults: Faults = ONE_TICK_OF_DRIFT
    """Fault budgets; the drift budget is the clocks' largest offset ε (default 1)."""


class Write(Record):
    """A write: the replica that made it, its timestamp ``ts`` (l, c), the reading ``pt``
    of that replica's physical clock, and ``past``, the writes that happened before it
    (numbered from 1)."""

    origin: int
    ts: tuple[int, int]
    pt: int
    past: frozenset[int]


class Replicate(Record):
    """Replica ``src`` sends write number ``write`` to replica ``dst``."""

    src: int
    dst: int
    write: int


class ReplicaFaults(FaultState, node=int):
    """Fault budgets left, replicas down, clock skews."""


class State(Record):
    """The writes made; each replica's value (a write's number, 0 for the initial value),
    its clock (the hybrid logical clock (l, c); with ``wall``, its last write's
    timestamp) and the writes it has seen; the network; the faults."""

    writes: tuple[Write, ...]
    value: tuple[int, ...]
    clock: tuple[tuple[int, int], ...]
    seen: tuple[frozenset[int], ...]
    msgs: Net[Replicate]
    faults: ReplicaFaults


spec = Spec("lww-skew", Config, State)

INITIAL = Write(-1, (0, 0), 0, frozenset())
"""The register's initial value: every timestamp is larger."""


def _replicas(cfg: Config) -> range:
    return range(cfg.replicas)


def _messages(cfg: Config) -> list[Replicate]:
    return [Replicate(r, b, w) for r in _replicas(cfg) for b in _replicas(cfg) if r != b
            for w in range(1, cfg.writes * cfg.replicas + 1)]


net = Network(spec, messages=_messages, nodes=_replicas, kind="bag")
"""``Replicate`` messages travel on a bag: delivered in any order, or never."""


def _write(s: State, w: int) -> Write:
    """Write number ``w`` (0: the initial value)."""
    return s.writes[w - 1] if w else INITIAL


def _key(s: State, w: int) -> tuple[int, int, int]:
    """What last-writer-wins compares: the timestamp, then the replica that wrote."""
    x = _write(s, w)
    return x.ts[0], x.ts[1], x.origin


def _pt(s: State, r: int, now: int) -> int:
    """Replica ``r``'s physical clock at real time ``now``: the time plus its skew."""
    return now + net.skew(s, r)


@spec.init
def init(cfg: Config) -> State:
    """No write yet: every replica holds the initial value, its clock at (0, 0)."""
    n = cfg.replicas
    return State((), (0,) * n, ((0, 0),) * n, (frozenset(),) * n, frozenset(),
                 net.initial(cfg))


@net.action(node="r", r=_replicas)
def write(cfg: Config, s: State, r: int) -> State | None:
    """A client writes at replica ``r``, after every write ``r`` has seen, at the next tick
    of real time. The write is stamped: with ``hlc``, l' = max(l, pt) and c counts events
    within one l; with ``wall``, (pt, 0), or one past the replica's previous write if
    its clock has not moved past it. ``r`` applies it by last-writer-wins and sends it to
    every other replica."""
    if sum(1 for x in s.writes if x.origin == r) >= cfg.writes:
        return None
    w = len(s.writes) + 1
    pt = _pt(s, r, w)
    lj, cj = s.clock[r]
    ln = max(lj, pt)
    cn = cj + 1 if ln == lj else 0
    ts = (ln, cn) if cfg.resolution == "hlc" else (max(pt, lj + 1), 0)
    t = s.replace(writes=(*s.writes, Write(r, ts, pt, s.seen[r])))
    value = w if _key(t, w) > _key(t, s.value[r]) else s.value[r]
    return t.replace(value=set_at(s.value, r, value), clock=set_at(s.clock, r, ts),
                     seen=set_at(s.seen, r, s.seen[r] | {w}),
                     msgs=net.broadcast(cfg, s.msgs, [Replicate(r, b, w)
                                                      for b in _replicas(cfg) if b != r]))


@net.handler(Replicate)
def receive(cfg: Config, s: State, m: Replicate) -> State:
    """Replica ``dst`` receives a write: its HLC takes l' = max(l, l.m, pt), c counting up
    from the counter of each clock whose l it keeps (from 0 when the physical clock is
    ahead of both); it applies the write by last-writer-wins, and has now seen it and
    every write before it."""
    r, w = m.dst, m.write
    pt = _pt(s, r, len(s.writes))
    lj, cj = s.clock[r]
    lm, cm = _write(s, w).ts
    ln = max(lj, lm, pt)
    if ln == lj and ln == lm:
        cn = max(cj, cm) + 1
    elif ln == lj:
        cn = cj + 1
    elif ln == lm:
        cn = cm + 1
    else:
        cn = 0
    value = w if _key(s, w) > _key(s, s.value[r]) else s.value[r]
    clock = set_at(s.clock, r, (ln, cn)) if cfg.resolution == "hlc" else s.clock
    return s.replace(value=set_at(s.value, r, value), clock=clock,
                     seen=set_at(s.seen, r, s.seen[r] | _write(s, w).past | {w}))


@spec.terminal
def all_written(cfg: Config, s: State) -> bool:
    """Every write is made and no write is in flight."""
    return len(s.writes) >= cfg.writes * cfg.replicas and not s.msgs


# -- properties ---------------------------------------------------------------------------


@spec.always
def no_causal_overwrite(cfg: Config, s: State) -> bool:
    """No replica holds a write that happened before another write it has seen."""
    return all(v not in s.writes[b - 1].past for v, seen in zip(s.value, s.seen) for b in seen)


@spec.always
def timestamps_follow_causality(cfg: Config, s: State) -> bool:
    """a → b implies ts(a) < ts(b), the replica that wrote breaking a tie."""
    return all(_key(s, a) < _key(s, b) for b in range(1, len(s.writes) + 1)
               for a in s.writes[b - 1].past)


@spec.always
def last_writer_wins(cfg: Config, s: State) -> bool:
    """Each replica holds the write with the largest timestamp among those it has seen
    (the initial value when it has seen none)."""
    return all(v == max(seen, key=lambda w: _key(s, w), default=0)
               for v, seen in zip(s.value, s.seen))


@spec.always
def hlc_within_drift(cfg: Config, s: State) -> bool:
    """With ``hlc``: pt <= l <= pt + ε for every write, ε being the drift budget, and no
    counter below 0."""
    if cfg.resolution != "hlc":
        return True
    epsilon = net.plan(cfg).budget("drift")
    return all(0 <= x.ts[0] - x.pt <= epsilon and x.ts[1] >= 0 for x in s.writes) \
        and all(c >= 0 for _, c in s.clock)


@spec.always
def hlc_covers_seen(cfg: Config, s: State) -> bool:
    """With ``hlc``: a replica's clock is at least the timestamp of every write it has
    seen, and past that of every write it has received: its next write is stamped
    later than all of them."""
    if cfg.resolution != "hlc":
        return True
    return all(s.writes[w - 1].ts < clock
               or (s.writes[w - 1].ts == clock and s.writes[w - 1].origin == r)
               for r, (clock, seen) in enumerate(zip(s.clock, s.seen)) for w in seen)


@spec.action_property
def hlc_advances(cfg: Config, before: State, after: State) -> bool:
    """With ``hlc``: a replica's clock never goes back, and moves forward with every
    event that shows it a write it had not seen."""
    if cfg.resolution != "hlc":
        return True
    return all(b <= a and (a > b or sb == sa) for b, a, sb, sa in
               zip(before.clock, after.clock, before.seen, after.seen))


@spec.sometimes
def concurrent_writes_resolved(cfg: Config, s: State) -> bool:
    """A replica has seen two concurrent writes."""
    return any(a not in s.writes[b - 1].past and b not in s.writes[a - 1].past
               for seen in s.seen for a in seen for b in seen if a < b)


@spec.sometimes
def causal_write_wins(cfg: Config, s: State) -> bool:
    """A write made after another was received holds at a replica."""
    return any(v and any(s.writes[a - 1].origin != s.writes[v - 1].origin
                         for a in s.writes[v - 1].past) for v in s.value)


# -- mutants that survive, and why that is no gap (``modelcheck mutate lww-skew``) ---------

for _k in (3, 4, 5):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """A clock that starts at (1, 0), (-1, 0) or (0, 1) instead of (0, 0): the first
        event takes the maximum with the physical clock (or counts up from the start), so
        the timestamps stay ordered along happened-before, which is all the properties ask.""")
for _id in ("write:drop-guard:1", "write:flip-comparison:1", "write:off-by-one:2",
            "write:flip-comparison:2"):
    spec.accept_mutant(
        _id,
        """The guard is the model's bound on writes per replica: without it (or counting
        another replica's writes) the writes never end and the check times out; each run
        is the correct protocol with more writes.""")
for _id in ("write:off-by-one:7", "write:off-by-one:9", "receive:off-by-one:2",
            "receive:off-by-one:5", "receive:off-by-one:8", "receive:off-by-one:10"):
    spec.accept_mutant(
        _id,
        """An HLC counter that counts up by 2, or restarts at 1, still orders the
        timestamps along happened-before: only the counter's bound (Theorem 3 of the
        paper, checked by ``logical-clocks``' ``hlc_counter_bound``) tells it apart.""")
for _id in ("receive:drop-conjunct:1", "receive:drop-conjunct:2", "receive:and-or:1"):
    spec.accept_mutant(
        _id,
        """A receipt that counts up from the larger of both counters whenever it keeps
        either l sets the counter at least as high as the rule does: the timestamps stay
        ordered along happened-before, and only the counter's bound tells it apart.""")
spec.accept_mutant(
    "write:flip-comparison:4",
    """Stamping a write (max(pt, l + 1), 0), the counter folded into l, still orders the
    writes along happened-before, as receipts still advance l. It breaks the drift bound
    only when several events share a tick: at these bounds real time advances a tick with
    every write, so it does not (``logical-clocks`` checks that bound with time standing
    still).""")
for _id in ("receive:flip-comparison:1", "receive:flip-comparison:2"):
    spec.accept_mutant(
        _id,
        """A receipt that takes the counter of the wrong clock falls behind the write it
        receives only when both replicas' clocks stand at one l, which needs two ticks of
        drift: ``--faults drift=2`` kills it (``hlc_covers_seen``, 4 steps); the default
        keeps one tick, for a run of about a second.""")

spec.variant(
    "wall-clock", params={"resolution": "wall"}, violates="no_causal_overwrite",
    doc="Writes are stamped with the physical clock: with one tick of drift, a write made "
        "after another loses to it.")
