"""Stale reads after replica promotion: read-your-writes with session tokens.

Sources: Martin Kleppmann, "Designing Data-Intensive Applications" (2017), chapter 5, for
asynchronous leader-based replication, failover ("the new leader may not have received
all the writes from the old leader before it failed") and read-your-writes consistency
with the client remembering the timestamp of its most recent write; Douglas Terry et al.,
"Session Guarantees for Weakly Consistent Replicated Data" (PDIS 1994), for session
guarantees; and Daniel Abadi, "Consistency Tradeoffs in Modern Distributed Database
System Design" (IEEE Computer 2012), for reads served by a replica that lags.

``replicas`` replicas hold one key; replica 0 is the primary at first. One client writes
the values ``1 .. writes`` in turn (its k-th write carries k, which is also its version),
and reads the key after each write. Requests go to the replica the client takes for the
primary, and answers come back, as messages on a ``bag`` network. The primary applies a
write, acknowledges it at once and replicates it to the other replicas asynchronously
(``Replicate`` messages). Once the primary has crashed (``--faults crash=1``, the
default), any live replica may be promoted (failover), and a client whose request went to
the crashed primary sends it again to the new one. A message already sent by a crashed
replica may still arrive.

With ``session_tokens`` (the default) a read carries the version of the client's last
acknowledged write, and a replica answers it only once it has applied that version: a
promoted replica that has not caught up makes the read wait for the old primary's
``Replicate``. With the defaults (2 replicas, one write, one crash) the search finds 110
distinct and 187 generated states.

**Properties.** ``read_your_writes``: every read returns a value at least as new as the
client's last acknowledged write when it read (the session guarantee of Terry et al.).
``values_were_written``: replicas hold, and reads return, only values the client has
sent. ``acknowledged_writes_applied``: the write acknowledged is one the client sent and
some replica has applied. ``client_follows_its_program``: the client starts two
operations per write at most, one at a time, and the reads answered are its reads done.
``operations_can_complete`` (always possible): from every reachable state the client can
still finish its writes and reads; a request that can never be answered violates it
(``--faults crash=1,loss=1`` does: a lost request is never sent again, and a lost
``Replicate`` leaves a read after a failover waiting forever, the price of the
guarantee, while the write itself is lost, as ``replication --variant async-failover``
shows). ``read_after_failover`` (sometimes) makes sure a read is answered by a promoted
replica. ``modelcheck mutate stale-reads`` kills every mutant but the equivalent ones
and the accepted survivors, each declared with its reason (a replica renamed, initial
values nothing reads, a client that resends more often than it must, a promotion on a
false suspicion).

**Variant ``no-session-tokens``.** Reads carry no token, and the new primary answers at
once. Shortest counterexample (8 steps): the client writes 1 through primary 0, which
applies it, acknowledges it and sends its ``Replicate``; the acknowledgement arrives;
primary 0 crashes; replica 1 is promoted; the client reads from replica 1, which has
not received the ``Replicate`` yet and answers 0: the client does not see its own
acknowledged write.

**Faults.** ``crash`` stops a replica (its budget, 1 by default, is what lets a failover
happen); ``loss`` and ``dup`` lose and duplicate any message; ``partition`` cuts links.
Replicas are not a symmetric set: replica 0 starts as the primary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network

CLIENT: Literal["client"] = "client"
"""The client, as a node of the network."""

ONE_CRASH = Faults("crash=1")
"""One crash in all: the default fault budget, which lets a failover happen."""

Node = int | Literal["client"]
"""A node: a replica ``0 .. replicas - 1``, or the client."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    replicas: Annotated[int, Between(2)] = 2
    """Number of replicas; replica 0 is the primary at first."""
    writes: Annotated[int, Between(1)] = 1
    """Writes by the client, of the values 1, 2, ..., each followed by a read."""
    session_tokens: bool = True
    """A read carries the client's last acknowledged version, and waits for it."""
    faults: Faults = ONE_CRASH
    """Fault budgets (default ``crash=1``; see modelcheck.network)."""


class WriteRequest(Record):
    """The client asks replica ``dst`` to write ``value``."""

    src: Node
    dst: Node
    value: int


class WriteAck(Record):
    """Replica ``src`` tells the client it has applied ``value``."""

    src: Node
    dst: Node
    value: int


class ReadRequest(Record):
    """The client asks replica ``dst`` to read, for its ``op``-th operation; ``token`` is
    the version of its last acknowledged write (0 without session tokens)."""

    src: Node
    dst: Node
    op: int
    token: int


class ReadReply(Record):
    """Replica ``src`` answers the client's ``op``-th operation with ``value``."""

    src: Node
    dst: Node
    op: int
    value: int


class Replicate(Record):
    """Replica ``src`` tells replica ``dst`` to apply ``value``."""

    src: Node
    dst: Node
    value: int


Message = WriteRequest | WriteAck | ReadRequest | ReadReply | Replicate
"""A message in flight."""


class Session(Record):
    """The client: ``phase`` is ``idle``, ``writing`` or ``reading``; ``target`` the
    replica its pending request went to; ``done`` the operations finished; ``acked`` the
    version of its last acknowledged write (its session token)."""

    phase: str
    target: int
    done: int
    acked: int


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, replicas down, partitions."""


class State(Record):
    """Each replica's value (its version), the primary, the client, the reads answered
    (token, value, the replica that answered), the network and the faults."""

    store: tuple[int, ...]
    primary: int
    client: Session
    reads: tuple[tuple[int, int, Node], ...]
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("stale-reads", Config, State)

IDLE, WRITING, READING = "idle", "writing", "reading"


def _replicas(cfg: Config) -> range:
    return range(cfg.replicas)


def _messages(cfg: Config) -> list[Message]:
    values = range(cfg.writes + 1)
    ops = range(2 * cfg.writes)
    out: list[Message] = []
    for r in _replicas(cfg):
        out += [WriteRequest(CLIENT, r, v) for v in values[1:]]
        out += [WriteAck(r, CLIENT, v) for v in values[1:]]
        out += [ReadRequest(CLIENT, r, op, t) for op in ops for t in values]
        out += [ReadReply(r, CLIENT, op, v) for op in ops for v in values]
        out += [Replicate(r, b, v) for b in _replicas(cfg) if b != r for v in values[1:]]
    return out


net = Network(spec, messages=_messages, nodes=lambda cfg: (*_replicas(cfg), CLIENT),
              kind="bag", crashable=_replicas)
"""Requests, answers and ``Replicate`` messages travel on a bag; replicas may crash."""


@spec.init
def init(cfg: Config) -> State:
    """Every replica holds 0; replica 0 is the primary; the client is idle."""
    return State((0,) * cfg.replicas, 0, Session(IDLE, 0, 0, 0), (), frozenset(),
                 net.initial(cfg))


def _request(cfg: Config, client: Session, dst: int) -> Message:
    """The client's request for its next operation, to replica ``dst``: the ``k``-th write
    writes ``k``, and each write is followed by a read."""
    if client.phase == WRITING:
        return WriteRequest(CLIENT, dst, client.done // 2 + 1)
    return ReadRequest(CLIENT, dst, client.done, client.acked if cfg.session_tokens else 0)


# -- the client ---------------------------------------------------------------------------------


@spec.action
def invoke(cfg: Config, s: State) -> State | None:
    """The client starts its next operation (a write, then a read) and sends its request
    to the primary."""
    client = s.client
    if client.phase != IDLE or client.done >= 2 * cfg.writes:
        return None
    phase = WRITING if client.done % 2 == 0 else READING
    client = client.replace(phase=phase, target=s.primary)
    return s.replace(client=client, msgs=net.send(cfg, s.msgs, _request(cfg, client, s.primary)))


@spec.action
def retry(cfg: Config, s: State) -> State | None:
    """The replica the client's pending request went to has crashed and another has been
    promoted: the client sends the request again, to the new primary."""
    client = s.client
    if client.phase == IDLE or net.up(s, client.target) or s.primary == client.target:
        return None
    client = client.replace(target=s.primary)
    return s.replace(client=client, msgs=net.send(cfg, s.msgs, _request(cfg, client, s.primary)))


@net.handler(WriteAck)
def client_rcv_ack(cfg: Config, s: State, m: WriteAck) -> State:
    """The client's write is acknowledged: its token becomes the write's version."""
    client = s.client
    if client.phase != WRITING or m.value != client.done // 2 + 1:
        return s  # an answer to a request already answered
    return s.replace(client=client.replace(phase=IDLE, done=client.done + 1, acked=m.value))


@net.handler(ReadReply)
def client_rcv_reply(cfg: Config, s: State, m: ReadReply) -> State:
    """The client's read returns ``value``."""
    client = s.client
    if client.phase != READING or m.op != client.done:
        return s  # an answer to a request already answered
    return s.replace(client=client.replace(phase=IDLE, done=client.done + 1),
                     reads=(*s.reads, (client.acked, m.value, m.src)))


# -- the replicas -------------------------------------------------------------------------------


@net.handler(WriteRequest)
def replica_rcv_write(cfg: Config, s: State, m: WriteRequest) -> State | None:
    """The primary applies the write, acknowledges it at once and replicates it to every
    other replica (asynchronous replication). A replica that is not the primary leaves
    the request until it is."""
    r = m.dst
    assert isinstance(r, int)
    if r != s.primary:
        return None
    store = set_at(s.store, r, max(s.store[r], m.value))
    sent = [WriteAck(r, CLIENT, m.value),
            *(Replicate(r, b, m.value) for b in _replicas(cfg) if b != r)]
    return s.replace(store=store, msgs=net.broadcast(cfg, s.msgs, sent))


@net.handler(ReadRequest)
def replica_rcv_read(cfg: Config, s: State, m: ReadRequest) -> State | None:
    """The primary answers a read with its value, once it has applied the version the
    read's token names; until then the read waits."""
    r = m.dst
    assert isinstance(r, int)
    if r != s.primary or s.store[r] < m.token:
        return None
    return s.replace(msgs=net.send(cfg, s.msgs, ReadReply(r, CLIENT, m.op, s.store[r])))


@net.handler(Replicate)
def replica_rcv_replicate(cfg: Config, s: State, m: Replicate) -> State:
    """A replica applies a replicated value, unless it holds a newer one."""
    r = m.dst
    assert isinstance(r, int)
    if s.store[r] >= m.value:
        return s
    return s.replace(store=set_at(s.store, r, m.value))


@net.action(node="r", r=_replicas)
def failover(cfg: Config, s: State, r: int) -> State | None:
    """The primary has crashed: live replica ``r`` is promoted."""
    if net.up(s, s.primary) or r == s.primary:
        return None
    return s.replace(primary=r)


@spec.terminal
def finished_or_waiting(cfg: Config, s: State) -> bool:
    """The client has finished, or a replica is down.

    A crash may leave a request waiting forever; ``operations_can_complete`` reports the
    first state from which the wait cannot end, which says more than a deadlock would.
    """
    return s.client.done >= 2 * cfg.writes or bool(s.faults.down)


# -- properties ---------------------------------------------------------------------------


@spec.always
def read_your_writes(cfg: Config, s: State) -> bool:
    """Every read returns a value at least as new as the client's last acknowledged write
    when it read."""
    return all(value >= token for token, value, _ in s.reads)


@spec.always
def values_were_written(cfg: Config, s: State) -> bool:
    """Replicas hold, and reads return, only values the client has sent: none newer than
    its current (or last) write."""
    sent = (s.client.done + 1) // 2 + (s.client.phase == WRITING)
    return all(v <= sent for v in s.store) and all(v <= sent for _, v, _ in s.reads)


@spec.always
def acknowledged_writes_applied(cfg: Config, s: State) -> bool:
    """The client's token is the value of its last write once it is acknowledged, and
    some replica holds it."""
    written = (s.client.done + 1) // 2
    return s.client.acked == written and any(v >= written for v in s.store)


@spec.always
def client_follows_its_program(cfg: Config, s: State) -> bool:
    """The client has started at most ``2 × writes`` operations, one at a time, and the
    reads answered are its reads done."""
    started = s.client.done + (s.client.phase != IDLE)
    return started <= 2 * cfg.writes and len(s.reads) == s.client.done // 2


@spec.always_possible
def operations_can_complete(cfg: Config, s: State) -> bool:
    """The client has finished its writes and reads."""
    return s.client.done >= 2 * cfg.writes


@spec.sometimes
def read_after_failover(cfg: Config, s: State) -> bool:
    """A read is answered by a promoted replica."""
    return any(r != 0 for _, _, r in s.reads)


# -- mutants that survive, and why that is no gap (``modelcheck mutate stale-reads``) -------

spec.accept_mutant(
    "init:off-by-one:3",
    """Replica 1 as the first primary instead of replica 0 is the same protocol with the
    replicas renamed.""")
for _k in (5, 6):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """The replica the client's request went to is read only while a request is
        pending, and every request sets it.""")
spec.accept_mutant(
    "invoke:drop-update:2",
    """A client that does not note where its request went takes a crashed replica for its
    target once too often: it resends the request to the primary, which answers each
    operation once (a write is applied by its value, and the client takes the first
    answer), so nothing the client sees changes.""")
spec.accept_mutant(
    "invoke:drop-update:1",
    """A client that never notes that its operation is pending starts it again and again,
    sending requests without end: the states never end and the check times out. Each
    request is answered once per operation, as duplicates are.""")
for _id in ("retry:drop-guard:1", "retry:and-or:1", "retry:flip-comparison:2",
            "retry:drop-update:1", "retry:drop-update:2"):
    spec.accept_mutant(
        _id,
        """A client that resends its request more often than after a failover (to a live
        replica, or to the crashed one again) sends duplicates, which the replicas and the
        client already tolerate (the network may duplicate messages): without the guard
        the resends never end and the check times out.""")
for _id in ("failover:drop-guard:1", "failover:and-or:1"):
    spec.accept_mutant(
        _id,
        """Promoting a replica while the primary is up (a false suspicion of the failure
        detector) is tolerated: a read still waits for its session token, and further
        promotions can always return to the replica a request waits at.""")

spec.variant(
    "no-session-tokens", params={"session_tokens": False}, violates="read_your_writes",
    doc="Reads carry no session token: a promoted replica that has not caught up answers "
        "with the value from before the client's acknowledged write.")
