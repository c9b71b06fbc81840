"""Replication of a register: quorums, synchronous and asynchronous primary-backup.

Sources: Hagit Attiya, Amotz Bar-Noy and Danny Dolev, "Sharing Memory Robustly in
Message-Passing Systems" (JACM 1995), for the quorum register with versioned values and
its read phase that writes back what it read (ABD); Giuseppe DeCandia et al., "Dynamo:
Amazon's Highly Available Key-value Store" (SOSP 2007), for the ``N``, ``W`` and ``R``
parameters and read repair; Maurice Herlihy and Jeannette Wing, "Linearizability"
(TOPLAS 1990), for the property; and Martin Kleppmann, "Designing Data-Intensive
Applications" (2017), chapter 5, for synchronous and asynchronous leader-based
replication and what failover loses.

``replicas`` replicas hold one key. Client 0 writes the values ``1 .. writes`` one after
the other (a single writer: its k-th write carries version k, so a replica keeps the value
with the highest version); clients ``1 .. readers`` read once each. Every operation is
recorded as it happens in ``history``, a :class:`~modelcheck.properties.linearizability.Call`
when the client invokes it and a ``Return`` when it answers, so the property is about
what clients see. A request to a replica and its answer are one step (the replica is up
and reachable; its crash disables the step). ``mode`` picks the protocol:

* ``quorum`` (the default): a write is acknowledged once ``write_quorum`` replicas hold
  it; a read asks ``read_quorum`` replicas, takes the value of highest version and, with
  ``read_repair``, writes it back to ``write_quorum`` replicas before answering.
* ``sync``: the primary (replica 0 at first) applies a write, then every backup, and the
  write is acknowledged once all replicas hold it; reads are served by the primary.
* ``async``: the primary applies a write and acknowledges it at once, sending a
  ``Replicate`` message to each backup on the network; reads are served by the primary.
  When the primary has crashed, any live replica may take over (failover).

With the defaults (3 replicas, ``W = R = 2``, one write, two readers, one crash) the
search finds 71,616 distinct and 269,792 generated states (depth 15); ``--symmetry``
explores 38,440. The crash is in the default run because surviving one is what a quorum
of two out of three is for: a quorum one larger than configured, or a read whose
write-back skips the replicas it read from, shows only when a replica is down.

**Properties.** ``linearizable``: the history is linearizable for a read/write register
holding 0 at first, checked by ``modelcheck.properties.linearizability`` (every operation
appears to take effect at one instant between its call and its return). With ``W + R >
N`` every read quorum meets the quorum of the last acknowledged write, and the version
tells which value is newest; the write-back makes a value a read returned at least as
durable as an acknowledged write, so no later read can see an older one.
``operations_can_complete`` (always possible): from every reachable state, some sequence
of steps lets every pending operation answer; a client that waits forever violates it.
``type_ok``: every field holds a value of its type (versions ``0 .. writes``, at most
a client's operations done). ``clients_follow_history``: each client's count of
operations done is its returns in the history, with one call more while it is busy.
``primary_fails_over_when_down`` (an action property): the primary changes only by an
``async`` failover, once it is down. ``read_sees_a_write`` (sometimes) makes sure a read
can return the written value.

**Variant ``small-quorums``.** ``W = R = 1`` (``W + R <= N``): the shortest counterexample
(5 steps) writes 1 to replica 0 and acknowledges it, then reader 1 asks replica 1 and
returns 0 (its write-back leaves replica 0's newer value alone): a stale read, as the
read quorum misses the write quorum.

**Variant ``no-read-repair``.** ``W + R > N`` without the write-back: a read may return a
value held by a single replica while the write is still in progress, and a later read
that misses that replica returns the older value (new/old inversion). Shortest
counterexample: 8 steps.

**Variant ``async-failover``.** Asynchronous replication (with the default crash): the
writer's value 1 is applied by primary 0 and acknowledged; the primary crashes before
its ``Replicate`` messages are delivered; replica 1 takes over and reader 1 reads 0 from
it. The acknowledged write is lost (6 steps; the trace shows the crash before any
``Replicate`` is delivered).

**Variant ``sync``** (``--faults none``) holds: synchronous replication acknowledges a
write only once every replica has it. **Variant ``sync-replica-down``** (``sync`` with
the default crash) shows its price: once a backup is down, a write can never complete,
and ``operations_can_complete`` fails after 2 steps (replica 0 crashes, then the writer
invokes its write, which needs every replica). The quorum default holds with the crash
(a quorum survives it); without it (``--faults none``) the search finds 17,904 states.

**Faults.** Replicas may crash (crash-stop: ``crash``), or be cut off by ``partition``
(a client's request to a replica does not cross it: clients sit with replica 0); in
``async`` mode the ``Replicate`` messages may also be lost (``loss``) or duplicated
(``dup``). Replicas are a symmetric set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import Faults, FaultState, Net, Network
from modelcheck.properties.linearizability import (
    Call,
    Read,
    Register,
    Return,
    Write,
    is_linearizable,
)


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    replicas: Annotated[int, Between(1)] = 3
    """Number of replicas (Dynamo's N)."""
    write_quorum: Annotated[int, Between(1)] = 2
    """Replicas that must hold a write before it is acknowledged (W; ``quorum`` mode)."""
    read_quorum: Annotated[int, Between(1)] = 2
    """Replicas a read asks (R; ``quorum`` mode)."""
    mode: Literal["quorum", "sync", "async"] = "quorum"
    """``quorum``, ``sync`` (primary-backup, acknowledged when all hold it) or ``async``."""
    read_repair: bool = True
    """A quorum read writes the value it returns back to a write quorum first (ABD)."""
    writes: Annotated[int, Between(1)] = 1
    """Writes by client 0, of the values 1, 2, ..."""
    readers: Annotated[int, Between(1)] = 2
    """Clients that read once each (clients 1 .. readers)."""
    faults: Faults = Faults("crash=1")  # noqa: RUF009 - a Faults is an immutable str
    """Fault budgets: by default one replica may crash (see modelcheck.network)."""

    def __post_init__(self) -> None:
        # Other modes ignore the quorum sizes.
        if self.mode == "quorum" and max(self.write_quorum, self.read_quorum) > self.replicas:
            raise ValueError(
                f"write_quorum={self.write_quorum} and read_quorum={self.read_quorum} must "
                f"each be at most replicas={self.replicas}: a larger quorum is never "
                "assembled, so no operation completes")


Replica = Annotated[int, Symmetric("Replica", size="replicas")]
"""A replica, ``0 .. replicas - 1``."""

WRITER = 0
"""Client 0 writes; the other clients read."""


class Replicate(Record):
    """The primary ``src`` tells backup ``dst`` to apply ``value`` (``async`` mode)."""

    src: Replica
    dst: Replica
    value: int


class Client(Record):
    """A client: ``phase`` is ``idle``, ``query`` (a read collecting values), ``update``
    (a write, or a read writing back); ``value`` is the value being written, or the
    newest value a read has seen; ``contacted`` the replicas that answered this phase;
    ``done`` the operations finished."""

    phase: str
    value: int
    contacted: frozenset[Replica]
    done: int


class ReplicaFaults(FaultState, node=Replica):
    """Fault budgets left, and the replicas that are down or cut off."""


class State(Record):
    """Each replica's value (its version), the primary, the clients, what they saw, the
    ``Replicate`` messages in flight and the faults in force."""

    store: Annotated[tuple[int, ...], IndexedBy(Replica)]
    primary: Replica
    clients: tuple[Client, ...]
    history: tuple[Call | Return, ...]
    msgs: Net[Replicate]
    faults: ReplicaFaults


spec = Spec("replication", Config, State)

REGISTER = Register(initial=0)
"""The sequential object the replicas implement together."""

IDLE, QUERY, UPDATE = "idle", "query", "update"


def _replicas(cfg: Config) -> range:
    return range(cfg.replicas)


def _clients(cfg: Config) -> range:
    return range(cfg.readers + 1)


def _messages(cfg: Config) -> list[Replicate]:
    if cfg.mode != "async":
        return []
    return [Replicate(p, b, v) for p in _replicas(cfg) for b in _replicas(cfg) if p != b
            for v in range(1, cfg.writes + 1)]


net = Network(spec, messages=_messages, nodes=_replicas, kind="bag")
"""``Replicate`` messages (``async`` mode) travel on a bag; any replica may crash."""


def _ops(cfg: Config, client: int) -> int:
    return cfg.writes if client == WRITER else 1


def _needed(cfg: Config, client: Client) -> int:
    """Answers a client's phase waits for."""
    if cfg.mode == "quorum":
        return cfg.read_quorum if client.phase == QUERY else cfg.write_quorum
    if cfg.mode == "sync" and client.phase == UPDATE:
        return cfg.replicas
    return 1


def _may_ask(cfg: Config, s: State, client: Client, r: int) -> bool:
    """Whether the client's current phase may send its request to replica ``r``."""
    if cfg.mode == "quorum":
        return True
    if cfg.mode == "sync" and client.phase == UPDATE:
        # The primary applies the write first, then the backups.
        return r == s.primary or s.primary in client.contacted
    return r == s.primary


@spec.init
def init(cfg: Config) -> State:
    """Every replica holds 0 (version 0); replica 0 is the primary; every client idle."""
    return State((0,) * cfg.replicas, 0, (Client(IDLE, 0, frozenset(), 0),) * len(_clients(cfg)),
                 (), frozenset(), net.initial(cfg))


# -- clients ---------------------------------------------------------------------------------


@spec.action(c=_clients)
def invoke(cfg: Config, s: State, c: int) -> State | None:
    """Client ``c`` invokes its next operation: the writer writes ``done + 1``, a reader
    reads."""
    client = s.clients[c]
    if client.phase != IDLE or client.done >= _ops(cfg, c):
        return None
    if c == WRITER:
        value = client.done + 1
        started = Client(UPDATE, value, frozenset(), client.done)
        call = Call(c, Write(value))
    else:
        started = Client(QUERY, 0, frozenset(), client.done)
        call = Call(c, Read())
    return s.replace(clients=set_at(s.clients, c, started), history=(*s.history, call))


@net.action(node="r", c=_clients, r=_replicas)
def ask_replica(cfg: Config, s: State, c: int, r: int) -> State | None:
    """Client ``c``'s request reaches replica ``r``, which answers: a read learns its
    value, a write (or write-back) raises it. The answer that completes the quorum ends
    the phase: a read moves on to its write-back, or the operation returns."""
    client = s.clients[c]
    if client.phase == IDLE or r in client.contacted or not _may_ask(cfg, s, client, r) \
            or not net.reachable(s, 0, r):
        return None
    store = s.store
    msgs = s.msgs
    if client.phase == QUERY:
        client = client.replace(value=max(client.value, store[r]),
                                contacted=client.contacted | {r})
    else:
        if store[r] < client.value:
            store = set_at(store, r, client.value)
        client = client.replace(contacted=client.contacted | {r})
        if cfg.mode == "async" and c == WRITER:
            msgs = net.broadcast(cfg, msgs, [Replicate(r, b, client.value)
                                             for b in _replicas(cfg) if b != r])
    history = s.history
    if len(client.contacted) >= _needed(cfg, client):
        if client.phase == QUERY and cfg.mode == "quorum" and cfg.read_repair:
            client = client.replace(phase=UPDATE, contacted=frozenset())
        else:
            answer = "ok" if c == WRITER else client.value
            history = (*history, Return(c, answer))
            client = Client(IDLE, 0, frozenset(), client.done + 1)
    return s.replace(store=store, clients=set_at(s.clients, c, client), history=history,
                     msgs=msgs)


# -- replicas ----------------------------------------------------------------------------------


@net.handler(Replicate)
def backup_apply(cfg: Config, s: State, m: Replicate) -> State:
    """Backup ``dst`` applies a replicated value, unless it already holds a newer one."""
    if s.store[m.dst] >= m.value:
        return s
    return s.replace(store=set_at(s.store, m.dst, m.value))


@net.action(node="r", r=_replicas)
def failover(cfg: Config, s: State, r: int) -> State | None:
    """The primary is down: live replica ``r`` becomes primary (``async`` mode)."""
    if cfg.mode != "async" or s.primary not in s.faults.down:
        return None
    return s.replace(primary=r)


# -- properties ---------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _linearizable(history: tuple[Call | Return, ...]) -> bool:
    # Many states share a history: check each once.
    return is_linearizable(history, REGISTER)


@spec.always
def linearizable(cfg: Config, s: State) -> bool:
    """The clients' history is linearizable for a register holding 0 at first."""
    return _linearizable(s.history)


@spec.always
def type_ok(cfg: Config, s: State) -> bool:
    """Every field holds a value of its type: versions ``0 .. writes``, a replica as the
    primary, and per client a phase, a version, replicas, ``0 .. ops`` operations done."""
    return (min(s.store) >= 0 and max(s.store) <= cfg.writes and 0 <= s.primary < cfg.replicas
            and _clients_typed(s.clients, cfg.writes, cfg.replicas))


@lru_cache(maxsize=1 << 16)
def _clients_typed(clients: tuple[Client, ...], writes: int, replicas: int) -> bool:
    # Few combinations of the clients recur in many states: check each once.
    return all(cl.phase in (IDLE, QUERY, UPDATE) and 0 <= cl.value <= writes
               and all(0 <= r < replicas for r in cl.contacted)
               and 0 <= cl.done <= (writes if c == WRITER else 1)
               for c, cl in enumerate(clients))


@spec.always
def clients_follow_history(cfg: Config, s: State) -> bool:
    """Each client has called its operations one at a time: ``done`` of them returned, and
    one more is pending while it is not idle."""
    return _follow(s.history, s.clients)


@lru_cache(maxsize=1 << 16)
def _follow(history: tuple[Call | Return, ...], clients: tuple[Client, ...]) -> bool:
    # Many states share their history and clients: check each pair once.
    calls = [0] * len(clients)
    returns = [0] * len(clients)
    for e in history:
        if type(e) is Call:
            calls[e.client] += 1
        else:
            returns[e.client] += 1
    return all(returns[c] == cl.done and calls[c] == cl.done + (cl.phase != IDLE)
               for c, cl in enumerate(clients))


@spec.action_property
def primary_fails_over_when_down(cfg: Config, before: State, after: State) -> bool:
    """The primary changes only by a failover, which only the ``async`` mode has, and only
    once the primary is down."""
    return after.primary == before.primary or (cfg.mode == "async"
                                               and before.primary in before.faults.down)


def _finished(cfg: Config, s: State) -> bool:
    return all(cl.phase == IDLE and cl.done >= _ops(cfg, c) for c, cl in enumerate(s.clients))


def _idle(cfg: Config, s: State) -> bool:
    return all(cl.phase == IDLE for cl in s.clients)


@spec.always_possible
def operations_can_complete(cfg: Config, s: State) -> bool:
    """No operation is pending: every client that invoked one has its answer."""
    return _idle(cfg, s)


@spec.sometimes
def read_sees_a_write(cfg: Config, s: State) -> bool:
    """A read returns a written value."""
    return any(type(e) is Return and e.client != WRITER and e.value != 0 for e in s.history)


@spec.terminal
def finished_or_waiting(cfg: Config, s: State) -> bool:
    """Every client has finished, or some replica is down.

    A crash may leave a client waiting forever for an answer. Stopping there is what
    ``operations_can_complete`` is about: it reports the first state from which the wait
    cannot end, which is sooner, and says more, than a deadlock would.
    """
    return _finished(cfg, s) or bool(s.faults.down)


# -- mutants that survive, and why that is no gap (``modelcheck mutate replication``) ------

spec.accept_mutant(
    "init:off-by-one:3",
    """Replica 1 as the first primary: the ``quorum`` mode never reads the primary, and in
    the primary-backup modes it is replica 0 renamed (replicas are symmetric), but for the
    clients, which the model places on replica 0's side of a partition.""")
for _k in ("init:off-by-one:5", "ask_replica:off-by-one:3"):
    spec.accept_mutant(
        _k,
        """An idle client's value is never read: invoking an operation sets it (the value
        to write, or 0 for a read).""")
for _k in ("ask_replica:drop-conjunct:1", "ask_replica:and-or:2"):
    spec.accept_mutant(
        _k,
        """The writer's ``Replicate`` messages sent in the ``quorum`` and ``sync`` modes too:
        the network of those modes carries none (its messages are the ``async`` mode's), so
        they are never delivered and change nothing but the messages in flight, which no
        step and no property reads; delivered, they would be background replication (a
        replica takes a value only when its version is newer, as the write itself does).""")
spec.accept_mutant(
    "ask_replica:flip-comparison:4",
    """In the ``quorum`` and ``sync`` modes, the undelivered ``Replicate`` messages of
    ``ask_replica:drop-conjunct:1``; in ``async`` mode, none: there the primary serves every
    operation, so a backup's value is read only after a failover, which can lose an
    acknowledged write with the messages as without them (``async-failover``), and without
    a crash nothing tells the two apart.""")

spec.variant(
    "small-quorums", params={"write_quorum": 1, "read_quorum": 1}, violates="linearizable",
    doc="W + R <= N: a read quorum can miss the last write's quorum, a stale read.")

spec.variant(
    "no-read-repair", params={"read_repair": False}, violates="linearizable",
    doc="Quorum reads without the write-back: a new/old inversion between two reads.")

spec.variant(
    "async-failover", params={"mode": "async"}, violates="linearizable",
    doc="Asynchronous replication: the primary crashes after acknowledging a write, before "
        "replicating it; failover loses the acknowledged write.")

spec.variant(
    "sync", params={"mode": "sync", "faults": "none"},
    doc="Synchronous primary-backup replication without crashes: linearizable.")

spec.variant(
    "sync-replica-down", params={"mode": "sync"},
    violates="operations_can_complete",
    doc="Synchronous replication with a replica down: writes can never complete.")
