"""A distributed lock with leases, guarding writes to a storage service: fencing tokens.

Sources: Martin Kleppmann, "How to do distributed locking" (2016) and "Designing
Data-Intensive Applications" (2017), §8.4, for the client that pauses past its lease and
the fencing token that storage checks; Cary Gray and David Cheriton, "Leases" (SOSP
1989), for leases; Mike Burrows, "The Chubby lock service" (OSDI 2006), for sequencers.

A lock service grants the lock to one of ``clients`` clients at a time, for a lease of
``lease`` ticks of a global clock, with a token that increases with every grant; once the
lease has expired it may grant the lock to another client. A client that holds the lock
checks, by its own clock, that its lease is still valid, then sends its write to the
storage service. Between the check and the storage receiving the write, time may pass
without limit: the message is delayed in the network, or the client pauses (a garbage
collector's stop-the-world pause after the check is the same thing to the storage).
Each client acquires the lock once; time runs to ``max_time``. With ``fencing`` (the
default), storage rejects a write whose token is lower than one it has accepted. With the
defaults (3 clients, a lease of 1 tick, time 0 .. 3) the search finds 1,774 distinct and
2,524 generated states.

**Properties.** ``no_stale_write``: storage accepts writes only from clients the lock was
granted to, and in the order it granted it to them (``grants`` records that order), as
mutual exclusion promises; a write from a holder whose lease has been superseded is the
"two clients write under the same lock" failure. It is stated over the grants, not the
tokens, so a lock service that reissues a token, or issues a smaller one, is caught.
``one_valid_lease``: the lock service itself never has two clients holding unexpired
leases, which holds in every variant: the lock is sound, what breaks is the assumption
that a client still holds it when its write lands. ``write_accepted`` (sometimes) makes
sure writes get through, one holder after another. ``modelcheck mutate
distributed-lock`` kills every mutant but the equivalent ones and the accepted survivors,
each declared with its reason (initial values nothing reads, the model's bounds on time
and writes, a client that checks its lease late, which fencing exists for); about two
minutes here, most of it the time limit of the mutants that lift a bound.

**Variant ``no-fencing``.** Storage accepts every write (the lock alone, as with a plain
``SET NX`` lock). Shortest counterexample (7 steps): client 0 acquires the lock (token
1), checks its lease and sends its write, which is delayed; the lease expires; client 1
acquires the lock (token 2) and writes, and storage accepts; then client 0's write
arrives and storage accepts it too, overwriting the newer holder's write.

**Faults.** ``drift`` lets a client's clock run behind, so it believes in an expired
lease (fencing still protects storage); ``crash`` stops a client; ``loss`` and ``dup``
lose and duplicate writes in flight (a duplicate of an accepted write has the same
token, which fencing accepts: the write is idempotent). Clients are a symmetric set.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    clients: Annotated[int, Between(2)] = 3
    """Clients competing for the lock."""
    lease: Annotated[int, Between(1)] = 1
    """Ticks a lease lasts."""
    max_time: Annotated[int, Between(0)] = 3
    """Time runs from 0 to ``max_time``."""
    fencing: bool = True
    """Storage rejects writes with a token older than one it has accepted."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults drift=1``; see modelcheck.network)."""


Client = Annotated[int, Symmetric("Client", size="clients")]
"""A client, ``0 .. clients - 1``."""


class WriteRequest(Record):
    """Client ``src`` asks storage (node ``dst``) to write, under lock token ``token``."""

    src: Client
    dst: int
    token: int


class Lease(Record):
    """What a client knows of its lease: ``phase`` is ``idle`` (never held it),
    ``holding`` (granted ``token`` until ``expires``) or ``done`` (its write is sent)."""

    phase: str
    token: int
    expires: int


class NodeFaults(FaultState, node=Client):
    """Fault budgets left, clients down, clock skews."""


class State(Record):
    """The time; the lock service's holder, lease end and last token, and the clients in
    the order it granted them the lock; each client's lease; the highest token storage has
    accepted and its log of accepted writes (writer, token); the network."""

    now: int
    holder: Client | None
    expires: int
    tokens: int
    grants: tuple[Client, ...]
    leases: Annotated[tuple[Lease, ...], IndexedBy(Client)]
    max_token: int
    accepted: tuple[tuple[Client, int], ...]
    msgs: Net[WriteRequest]
    faults: NodeFaults


spec = Spec("distributed-lock", Config, State)

IDLE, HOLDING, DONE = "idle", "holding", "done"


def _clients(cfg: Config) -> range:
    return range(cfg.clients)


def _storage(cfg: Config) -> int:
    """The storage service's node: the one after the clients."""
    return cfg.clients


def _messages(cfg: Config) -> list[WriteRequest]:
    """Every write a client could send: under a token the service issues, 1 .. ``clients``,
    or 0, the token of a client that holds no lease (storage must be able to see such a
    write to judge it)."""
    return [WriteRequest(c, _storage(cfg), t) for c in _clients(cfg)
            for t in range(cfg.clients + 1)]


net = Network(spec, messages=_messages, nodes=lambda cfg: (*_clients(cfg), _storage(cfg)),
              kind="bag", crashable=_clients)
"""Writes travel on a bag, delayed without limit; clients may crash."""


@spec.init
def init(cfg: Config) -> State:
    """Time 0, the lock free, no write."""
    return State(0, None, 0, 0, (), (Lease(IDLE, 0, 0),) * cfg.clients, 0, (), frozenset(),
                 net.initial(cfg))


@spec.action
def tick(cfg: Config, s: State) -> State | None:
    """Time advances one tick."""
    if s.now >= cfg.max_time:
        return None
    return s.replace(now=s.now + 1)


@net.action(node="c", c=_clients)
def acquire(cfg: Config, s: State, c: int) -> State | None:
    """The lock service grants client ``c`` the lock, free or with its lease expired,
    with the next token."""
    if s.leases[c].phase != IDLE or (s.holder is not None and s.now < s.expires):
        return None
    token = s.tokens + 1
    expires = s.now + cfg.lease
    return s.replace(holder=c, expires=expires, tokens=token, grants=(*s.grants, c),
                     leases=set_at(s.leases, c, Lease(HOLDING, token, expires)))


@net.action(node="c", c=_clients)
def write(cfg: Config, s: State, c: int) -> State | None:
    """Client ``c`` finds its lease still valid by its own clock, and sends its write."""
    lease = s.leases[c]
    if lease.phase != HOLDING or s.now + net.skew(s, c) >= lease.expires:
        return None
    return s.replace(leases=set_at(s.leases, c, lease.replace(phase=DONE)),
                     msgs=net.send(cfg, s.msgs, WriteRequest(c, _storage(cfg), lease.token)))


@net.handler(WriteRequest)
def storage_rcv_write(cfg: Config, s: State, m: WriteRequest) -> State:
    """Storage accepts the write, unless fencing finds its token older than one it has
    accepted."""
    if cfg.fencing and m.token < s.max_token:
        return s
    return s.replace(max_token=max(s.max_token, m.token), accepted=(*s.accepted, (m.src, m.token)))


@spec.terminal
def time_up(cfg: Config, s: State) -> bool:
    """Time has run out and no write is in flight: the model ends here."""
    return s.now == cfg.max_time and not s.msgs


# -- properties ---------------------------------------------------------------------------


@spec.always
def no_stale_write(cfg: Config, s: State) -> bool:
    """Storage accepts writes in the order the lock was granted to their writers, and only
    from clients it was granted to: never a write from a holder whose lease was superseded
    by that of a writer already accepted. Stated over the grants, not the tokens, so that
    tokens issued out of order are caught too."""
    order = {c: i for i, c in enumerate(s.grants)}
    granted = [order.get(c, -1) for c, _ in s.accepted]
    return all(i >= 0 for i in granted) and all(a <= b for a, b in pairwise(granted))


@spec.always
def one_valid_lease(cfg: Config, s: State) -> bool:
    """At most one client holds a lease that has not expired."""
    return sum(1 for x in s.leases if x.phase != IDLE and s.now < x.expires) <= 1


@spec.sometimes
def write_accepted(cfg: Config, s: State) -> bool:
    """Two holders' writes are accepted, one after the other."""
    return len(s.accepted) >= 2


# -- mutants that survive, and why that is no gap (``modelcheck mutate distributed-lock``) ---

for _k in (1, 2):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """Time starting at 1 (or -1) instead of 0 is the same protocol over one tick less
        (or more) before ``max_time``: nothing reads the clock's absolute value.""")
for _k in (3, 4):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """The lock service's lease end while no client holds the lock is read only once a
        holder is set, and every grant sets it.""")
spec.accept_mutant(
    "init:off-by-one:6",
    """Tokens counted from -1 instead of 0 make the first token 0: the service still issues
    a larger token with every grant, which is all fencing needs.""")
for _k in (7, 8, 9, 10):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """The token and lease end of a client that has never held the lock are read only
        once it holds one, and the grant replaces its whole lease.""")
for _k in (11, 12):
    spec.accept_mutant(
        f"init:off-by-one:{_k}",
        """Storage starting from a highest accepted token of 1 (or -1) instead of 0 fences
        nothing more: every token the service issues is at least 1.""")
spec.accept_mutant(
    "tick:drop-guard:1",
    """The guard is the model's bound on time: without it time never stops, the states never
    end and the check times out; each run is the correct protocol with more time.""")
spec.accept_mutant(
    "acquire:flip-comparison:2",
    """A lock service that waits one tick more than the lease before granting the lock again
    is more cautious, not wrong: fewer behaviours, all of them the correct protocol's.""")
spec.accept_mutant(
    "write:flip-comparison:2",
    """A client that still writes at the tick its lease ends is, to the storage, a client
    that checked a tick earlier and paused: the model already delays a write without limit
    after the check, which is what fencing is there for.""")
spec.accept_mutant(
    "write:and-or:1",
    """A holder that ignores its lease's end (and writes again and again) is the stale
    holder fencing exists for, as ``write:flip-comparison:2``; writing again has no end, so
    the check times out.""")
for _k in (1, 2):
    spec.accept_mutant(
        f"write:drop-update:{_k}",
        """A holder that writes more than once under its lease is a normal client, which
        the model bounds to one write: without the bound the writes never end and the check
        times out. Each write carries the same token, and fencing accepts them as one.""")

spec.variant(
    "no-fencing", params={"fencing": False}, violates="no_stale_write",
    doc="Storage accepts every write: a client whose lease expired overwrites the next "
        "holder's write.")
