"""The coordination-service lock recipe: sessions, ephemeral sequential nodes, fencing.

Sources: the ZooKeeper recipe for locks ("ZooKeeper Recipes and Solutions", the Apache
ZooKeeper documentation), for ephemeral sequential nodes, the lowest sequence number
holding the lock and the watch on the predecessor; Patrick Hunt et al., "ZooKeeper:
Wait-free Coordination for Internet-scale Systems" (USENIX ATC 2010), for sessions and
their expiry; Martin Kleppmann, "Designing Data-Intensive Applications" (2017), §8.4,
for the client whose pause outlasts its session and the fencing token (the zxid or the
node's sequence number) that storage checks; Mike Burrows, "The Chubby lock service"
(OSDI 2006), for sequencers.

``clients`` clients each take the lock once, to write to a storage service. A client
opens a session with the coordination service and creates an ephemeral sequential node
under the lock's parent; the service numbers nodes 1, 2, ... in creation order. A client
whose node has the lowest number among the live ones holds the lock (until then it waits
for its watch to fire); it then sends its write to storage, tagged with its node's number
as a fencing token, waits for storage's answer and releases the lock by deleting its
node. A client's session expires when the service stops hearing from it (a pause, such as
a garbage collector's, or a lost link), at most ``expiries`` times: the service deletes
the client's ephemeral node, and the next client acquires the lock. The client learns of
the expiry only when it next talks to the service; until then it may go on believing it
holds the lock, and its write may be anywhere between its decision and storage. With
``fencing`` (the default), storage rejects a write whose token is lower than one it has
accepted. With the defaults (3 clients, one expiry) the search finds 1,363 distinct and
2,563 generated states.

**Properties.** ``no_stale_write``: storage accepts writes only from clients the lock was
granted to, and in the order it granted it (``grants``); a write from a client whose lock
was lost to an expiry is the "two holders write" failure. ``granted_in_creation_order``:
the lock goes to clients in the order of their nodes' numbers. ``one_holder``: at most
one client holds the lock with a live session (the service's view, which holds in every
variant: what breaks is a client's belief). ``ephemeral_nodes_live``: every node belongs
to a client with a live session that is waiting for or holding the lock, one node each.
``clients_can_finish`` (always possible): every client that is up can still release the
lock or learn that its session expired. ``lock_passed_on_expiry`` (sometimes) makes sure the lock
goes to another client after an expiry; ``writes_accepted`` (sometimes) that two holders'
writes get through. ``modelcheck mutate zk-lock`` kills every mutant but the equivalent
ones and the accepted survivors, each declared with its reason (initial values nothing
reads, the model's bounds on writes and expiries).

**Variant ``no-fencing``.** Storage accepts every write. Shortest counterexample (9
steps): clients 0 and 1 create nodes 1 and 2; client 0 holds the lock and sends its
write, which is delayed (or client 0 pauses); client 0's session expires and its node is
deleted; client 1 now holds the lock, writes, and storage accepts; then client 0's write
arrives and storage accepts it too, overwriting the newer holder's write.

**Faults.** ``crash`` stops a client (its session may then expire, beyond the expiry
budget, as a crashed client's does); ``dup`` duplicates writes and answers in flight (a
duplicate of an accepted write carries the same token, which fencing accepts); ``loss``
loses one, and the client that waits for its answer then waits forever, which the check
reports as a deadlock: the model's clients do not retry. Clients are a symmetric set
(``--symmetry``: 234 distinct states with the defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated, Literal

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    clients: Annotated[int, Between(2)] = 3
    """Clients that each take the lock once."""
    expiries: Annotated[int, Between(0)] = 1
    """Sessions that may expire."""
    fencing: bool = True
    """Storage rejects writes with a token older than one it has accepted."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults loss=1``; see modelcheck.network)."""


Client = Annotated[int, Symmetric("Client", size="clients")]
"""A client, ``0 .. clients - 1``."""

ZK: Literal["zk"] = "zk"
"""The coordination service, as a node of the network."""

STORAGE: Literal["storage"] = "storage"
"""The storage service, as a node of the network."""

Node = Client | Literal["zk", "storage"]
"""A node of the network."""


class WriteRequest(Record):
    """Client ``src`` asks storage to write, under fencing token ``token``."""

    src: Node
    dst: Node
    token: int


class WriteAnswer(Record):
    """Storage tells client ``dst`` whether it accepted its write."""

    src: Node
    dst: Node
    accepted: bool


Message = WriteRequest | WriteAnswer
"""A message in flight."""


class Lock(Record):
    """What a client knows: ``phase`` is ``idle``, ``waiting`` (its node ``seq`` exists,
    its watch has not fired), ``holding`` (it holds the lock, it believes), ``writing``
    (its write is sent), ``released`` or ``expired`` (it has learned its session
    expired)."""

    phase: str
    seq: int


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, clients down."""


class State(Record):
    """The service's live ephemeral nodes (number, owner) in creation order, the last
    number it gave and the clients whose sessions expired; each client's view; the
    grants of the lock in order (client, number); the highest token storage accepted and
    its log of accepted writes (writer, token); the network; the faults."""

    znodes: tuple[tuple[int, Client], ...]
    last_seq: int
    expired: frozenset[Client]
    locks: Annotated[tuple[Lock, ...], IndexedBy(Client)]
    grants: tuple[tuple[Client, int], ...]
    max_token: int
    accepted: tuple[tuple[Client, int], ...]
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("zk-lock", Config, State)

IDLE, WAITING, HOLDING, WRITING, RELEASED, EXPIRED = (
    "idle", "waiting", "holding", "writing", "released", "expired")


def _clients(cfg: Config) -> range:
    return range(cfg.clients)


def _messages(cfg: Config) -> list[Message]:
    tokens = range(cfg.clients + 1)
    return [*(WriteRequest(c, STORAGE, t) for c in _clients(cfg) for t in tokens),
            *(WriteAnswer(STORAGE, c, a) for c in _clients(cfg) for a in (False, True))]


net = Network(spec, messages=_messages, nodes=lambda cfg: (*_clients(cfg), ZK, STORAGE),
              kind="bag", crashable=_clients)
"""Writes and answers travel on a bag, delayed without limit; clients may crash."""


@spec.init
def init(cfg: Config) -> State:
    """No node, no session expired, every client idle, storage empty."""
    return State((), 0, frozenset(), (Lock(IDLE, 0),) * cfg.clients, (), 0, (), frozenset(),
                 net.initial(cfg))


# -- the clients and the coordination service -----------------------------------------------


@net.action(node="c", c=_clients)
def create(cfg: Config, s: State, c: int) -> State | None:
    """Client ``c`` creates its ephemeral sequential node: the service gives it the next
    number."""
    if s.locks[c].phase != IDLE or c in s.expired:
        return None
    seq = s.last_seq + 1
    return s.replace(znodes=(*s.znodes, (seq, c)), last_seq=seq,
                     locks=set_at(s.locks, c, Lock(WAITING, seq)))


@net.action(node="c", c=_clients)
def acquire(cfg: Config, s: State, c: int) -> State | None:
    """Client ``c``'s watch fires and its node is the lowest: it holds the lock."""
    lock = s.locks[c]
    if lock.phase != WAITING or not s.znodes or s.znodes[0] != (lock.seq, c):
        return None
    return s.replace(locks=set_at(s.locks, c, lock.replace(phase=HOLDING)),
                     grants=(*s.grants, (c, lock.seq)))


@net.action(node="c", c=_clients)
def write(cfg: Config, s: State, c: int) -> State | None:
    """Client ``c``, believing it holds the lock, sends its write with its fencing token."""
    lock = s.locks[c]
    if lock.phase != HOLDING:
        return None
    return s.replace(locks=set_at(s.locks, c, lock.replace(phase=WRITING)),
                     msgs=net.send(cfg, s.msgs, WriteRequest(c, STORAGE, lock.seq)))


@net.handler(WriteAnswer)
def release(cfg: Config, s: State, m: WriteAnswer) -> State | None:
    """Storage has answered client ``dst``'s write: the client releases the lock,
    deleting its node (already gone if its session expired)."""
    c = m.dst
    assert isinstance(c, int)
    lock = s.locks[c]
    if lock.phase != WRITING:
        return s  # a duplicate answer
    return s.replace(znodes=tuple(z for z in s.znodes if z[1] != c),
                     locks=set_at(s.locks, c, lock.replace(phase=RELEASED)))


@net.action(node=ZK, c=_clients)
def expire(cfg: Config, s: State, c: int) -> State | None:
    """The service has stopped hearing from client ``c`` (it pauses, its link fails, or it
    has crashed): its session expires and its ephemeral node is deleted. Sessions of
    live clients expire at most ``expiries`` times; a crashed client's always may."""
    if c in s.expired or all(o != c for _, o in s.znodes) \
            or (len(s.expired) >= cfg.expiries and net.up(s, c)):
        return None
    return s.replace(expired=s.expired | {c}, znodes=tuple(z for z in s.znodes if z[1] != c))


@net.action(node="c", c=_clients)
def learn_expiry(cfg: Config, s: State, c: int) -> State | None:
    """Client ``c`` talks to the service again and learns that its session expired: it
    gives the lock up, or stops waiting for it."""
    lock = s.locks[c]
    if c not in s.expired or lock.phase not in (WAITING, HOLDING):
        return None
    return s.replace(locks=set_at(s.locks, c, lock.replace(phase=EXPIRED)))


@net.handler(WriteRequest)
def storage_rcv_write(cfg: Config, s: State, m: WriteRequest) -> State:
    """Storage accepts the write, unless fencing finds its token older than one it has
    accepted, and answers."""
    c = m.src
    assert isinstance(c, int)
    ok = not (cfg.fencing and m.token < s.max_token)
    t = s.replace(msgs=net.send(cfg, s.msgs, WriteAnswer(STORAGE, c, ok)))
    if not ok:
        return t
    return t.replace(max_token=max(s.max_token, m.token), accepted=(*s.accepted, (c, m.token)))


def _finished(cfg: Config, s: State) -> bool:
    down = s.faults.down
    return all(x.phase in (RELEASED, EXPIRED) or c in down for c, x in enumerate(s.locks))


@spec.terminal
def all_finished(cfg: Config, s: State) -> bool:
    """Every client has released the lock, learned its session expired, or crashed."""
    return _finished(cfg, s)


# -- properties ---------------------------------------------------------------------------


@spec.always
def no_stale_write(cfg: Config, s: State) -> bool:
    """Storage accepts writes in the order the lock was granted to their writers, and only
    from clients it was granted to."""
    order = {c: i for i, (c, _) in enumerate(s.grants)}
    granted = [order.get(c, -1) for c, _ in s.accepted]
    return all(i >= 0 for i in granted) and all(a <= b for a, b in pairwise(granted))


@spec.always
def granted_in_creation_order(cfg: Config, s: State) -> bool:
    """The lock goes to clients in the order of their nodes' numbers, each the number the
    service gave the client."""
    return all(a[1] < b[1] for a, b in pairwise(s.grants)) \
        and all(s.locks[c].seq == seq for c, seq in s.grants)


@spec.always
def one_holder(cfg: Config, s: State) -> bool:
    """At most one client holds the lock (holding, or writing under it) with a live
    session."""
    return sum(1 for c, x in enumerate(s.locks)
               if x.phase in (HOLDING, WRITING) and c not in s.expired) <= 1


@spec.always
def ephemeral_nodes_live(cfg: Config, s: State) -> bool:
    """Every node belongs to a client with a live session that waits for or holds the
    lock under that node's number, one node each, in creation order."""
    owners = [c for _, c in s.znodes]
    return len(set(owners)) == len(owners) \
        and all(a < b for (a, _), (b, _) in pairwise(s.znodes)) \
        and all(c not in s.expired and s.locks[c].seq == seq
                and s.locks[c].phase in (WAITING, HOLDING, WRITING) for seq, c in s.znodes)


@spec.always_possible
def clients_can_finish(cfg: Config, s: State) -> bool:
    """Every client that is up has released the lock or learned its session expired."""
    return _finished(cfg, s)


@spec.sometimes
def lock_passed_on_expiry(cfg: Config, s: State) -> bool:
    """The lock is granted after a session expired."""
    return any(c in s.expired for c, _ in s.grants[:-1])


@spec.sometimes
def writes_accepted(cfg: Config, s: State) -> bool:
    """Two holders' writes are accepted, one after the other."""
    return len(s.accepted) >= 2


# -- mutants that survive, and why that is no gap (``modelcheck mutate zk-lock``) -----------

spec.accept_mutant(
    "init:off-by-one:2",
    """Node numbers counted from -1 instead of 0 make the first number 0: the service still
    gives a larger number to every node, which is all the lock order and fencing need.""")
for _k in (3, 4):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """The node number of a client that has not created its node is read only once it
        has, and the creation sets it.""")
for _k in (5, 6):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """Storage starting from a highest accepted token of 1 (or -1) instead of 0 fences
        nothing more: every number the service gives is at least 1.""")
for _k in (1, 2):
    spec.accept_mutant(
        f"write:drop-update:{_k}",
        """A holder that writes more than once under the lock is a normal client, which the
        model bounds to one write: without the bound the writes never end and the check
        times out. Each write carries the same token, and fencing accepts them as one.""")
spec.accept_mutant(
    "expire:flip-comparison:2",
    """The guard is the model's bound on expiries: one more is the same protocol at a
    larger bound.""")

spec.variant(
    "no-fencing", params={"fencing": False}, violates="no_stale_write",
    doc="Storage accepts every write: a client whose session expired during a pause "
        "overwrites the next holder's write.")
