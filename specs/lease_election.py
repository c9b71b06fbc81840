"""Leader election with leases: one leader at a time, while clocks drift less than the guard.

Source: Cary Gray and David Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism for
Distributed File Cache Consistency" (SOSP 1989), on leases and clock drift; the lease
election of Chubby (Mike Burrows, OSDI 2006) and of Raft's leader leases (Ongaro's thesis,
§6.4.1), where a majority grants a node a lease and promises, by its own clock, not to
grant another before the lease has run out plus a guard for drift. A node that is not
leader asks a majority for a lease; each of them grants it if any promise it made has run
out by its own clock, and then promises not to grant again until its clock reads
``lease + guard`` ticks past the grant; with the grants the node believes itself leader
until its clock reads ``lease`` ticks past its request. The request-and-grant round is one
atomic step: a message delay would only make a grant, and so the grantor's promise, start
later than the request from which the holder counts its lease, so the round without
delay is the one that tests the guard. Time is a global tick (``tick``, up to
``horizon``); each node reads it through its clock, which modelcheck.network's ``drift``
fault moves one tick ahead or behind (``--faults drift=N``: N ticks in all along a
behaviour, so no two clocks ever differ by more than N). The network carries no message
here; it brings the faults, and a node that is down or cut off by a partition grants
nothing. With the defaults (3 nodes, lease 2, guard 1, ``drift=1``, horizon 4) the search
finds 4,388 distinct and 6,884 generated states (depth 8); without drift, 320. Nodes are a
symmetric set: with ``--symmetry``, 791 distinct states.

**Property.** ``one_leader``: at no instant do two nodes believe they are leader, each by
its own clock. It holds while drift is within the guard: a new leader needs a grant from
some node of the old leader's majority, which grants again only once its clock is
``lease + guard`` past its grant, made no earlier than the old leader's request; the old
leader's clock lags it by at most the drift, so it reads at least ``lease`` past its
request, and the old lease is over.

**Variant ``drift-beyond-guard``** (``drift=2`` against a guard of 1). The shortest
counterexample (5 steps): node 0 gets a lease from nodes 0 and 1 at time 0, to last
until its clock reads 2; node 1's clock runs two ticks ahead; at time 1 it reads 3, so
its promise has run out, and node 1 gets a lease from nodes 1 and 2 while node 0's clock
reads 1: two leaders at once. **Variant ``no-guard``** (guard 0, ``drift=1``) fails the
same way with one tick of drift, in 4 steps.

**Faults.** ``crash`` and ``partition`` cannot break ``one_leader`` while drift stays
within the guard (with ``drift=1,partition=1``, 21,940 states): a node that cannot be
reached only delays an election.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Annotated, TypeVar

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import Faults, FaultState, Net, Network

CLOCK_DRIFT = Faults("drift=1")
"""One tick of clock drift in all: the default fault budget."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    nodes: Annotated[int, Between(1, 16)] = 3
    """Number of nodes; each may ask for the lease and each grants it. At most 16: every
    majority is an instance of ``acquire_lease`` (C(20, 11) · 20 = 3.4 million at 20)."""
    lease: Annotated[int, Between(1)] = 2
    """Length of a lease, in ticks of the holder's clock from its request."""
    guard: Annotated[int, Between(0)] = 1
    """Extra ticks a granting node waits before it grants again, to cover clock drift."""
    horizon: Annotated[int, Between(0)] = 4
    """The last instant of the model: time stops at this tick."""
    faults: Faults = CLOCK_DRIFT
    """Fault budgets: by default clocks drift by one tick in all (see modelcheck.network)."""


Node = Annotated[int, Symmetric("Node", size="nodes")]
"""A node, ``0 .. nodes - 1``; nodes are interchangeable (``--symmetry``)."""

T = TypeVar("T")
PerNode = Annotated[tuple[T, ...], IndexedBy(Node)]
"""A tuple with one item per node."""


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, and each node's clock skew (modelcheck.network)."""


class State(Record):
    """Time, each node's promise, request and lease, and the messages in flight."""

    now: int
    """Global time; node ``i`` reads ``now`` plus its skew."""
    promised: PerNode[tuple[Node, int] | None]
    """``(holder, until)``: the node granted ``holder`` a lease and grants no other until
    its clock reads ``until``."""
    lease_until: PerNode[int | None]
    """The node is leader while its clock reads less than this."""
    msgs: Net[Record]
    """Always empty: the lease round is one atomic step (see the module's docstring)."""
    faults: NodeFaults


spec = Spec("lease-election", Config, State)


def _nodes(cfg: Config) -> range:
    return range(cfg.nodes)


def _majorities(cfg: Config) -> list[tuple[int, ...]]:
    """Every set of a majority of the nodes, as a sorted tuple."""
    return list(itertools.combinations(_nodes(cfg), cfg.nodes // 2 + 1))


net = Network(spec, messages=lambda cfg: (), nodes=_nodes, kind="bag")
"""No message is in flight (the round is atomic); the network brings the faults: clock
drift, and crashes and partitions that keep grants from a node."""


def clock(s: State, i: int) -> int:
    """Node ``i``'s clock: global time plus its skew."""
    return s.now + net.skew(s, i)


def is_leader(s: State, i: int) -> bool:
    """Whether node ``i`` believes it is leader: its lease has not run out by its clock."""
    until = s.lease_until[i]
    return until is not None and clock(s, i) < until


def _free(s: State, j: int) -> bool:
    """Whether node ``j`` may grant a lease: any promise it made has run out by its clock."""
    p = s.promised[j]
    return p is None or clock(s, j) >= p[1]


@spec.init
def init(cfg: Config) -> State:
    """Time 0; no promise and no lease."""
    n = cfg.nodes
    return State(0, (None,) * n, (None,) * n, frozenset(), net.initial(cfg))


@spec.action
def tick(cfg: Config, s: State) -> State | None:
    """Time passes, up to the horizon."""
    if s.now >= cfg.horizon:
        return None
    return s.replace(now=s.now + 1)


@net.action(node="i", i=_nodes, q=_majorities)
def acquire_lease(cfg: Config, s: State, i: int, q: tuple[int, ...]) -> State | None:
    """Node ``i``, not leader, is granted a lease by the majority ``q``, each of which is
    up, reachable from ``i`` and free to grant by its clock; each promises not to grant
    again for ``lease + guard`` ticks of its clock, and ``i`` is leader for ``lease``
    ticks of its own."""
    if is_leader(s, i):
        return None
    promised = s.promised
    for j in q:
        if not (net.up(s, j) and net.reachable(s, i, j) and _free(s, j)):
            return None
        promised = set_at(promised, j, (i, clock(s, j) + cfg.lease + cfg.guard))
    return s.replace(promised=promised,
                     lease_until=set_at(s.lease_until, i, clock(s, i) + cfg.lease))


@spec.terminal
def time_is_up(cfg: Config, s: State) -> bool:
    """The horizon is reached: the model stops here."""
    return s.now >= cfg.horizon


# -- properties ---------------------------------------------------------------------------


@spec.always
def one_leader(cfg: Config, s: State) -> bool:
    """At most one node believes it is leader."""
    return sum(is_leader(s, i) for i in _nodes(cfg)) <= 1


@spec.sometimes
def leader_elected(cfg: Config, s: State) -> bool:
    """A node can become leader."""
    return any(is_leader(s, i) for i in _nodes(cfg))


spec.variant(
    "drift-beyond-guard", params={"faults": "drift=2"}, violates="one_leader",
    doc="Clocks drift by two ticks against a guard of one: an old leader's slow clock "
        "keeps its lease alive after a new leader is elected.")

spec.variant(
    "no-guard", params={"guard": 0}, violates="one_leader",
    doc="No guard: one tick of drift gives two leaders at once.")
