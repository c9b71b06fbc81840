"""Leader election with leases: one leader at a time, while clocks drift less than the guard.

Source: Cary Gray and David Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism for
Distributed File Cache Consistency" (SOSP 1989), on leases and clock drift; the lease
election of Chubby (Mike Burrows, OSDI 2006) and of Raft's leader leases (Ongaro's thesis,
§6.4.1), where a majority grants a node a lease and promises, by its own clock, not to
grant another before the lease has run out plus a guard for drift. The lease round is
message steps: a node opens a round at its clock's reading and sends a request to every
node; a node whose earlier promise has run out by its own clock grants it and promises not
to grant again until its clock reads ``lease + guard`` ticks past the grant; the requester
counts the grants of its round (a grant of an older round is stale) and, with a majority,
is leader until its clock reads ``lease`` ticks past its request. Requests and grants are
delayed without bound (a ``bag`` network), and each node opens one round (the model's
bound). Time is a global tick (``tick``, up to ``horizon``); each node reads it through its
clock, which modelcheck.network's ``drift`` fault moves one tick ahead or behind
(``--faults drift=N``: N ticks in all along a behaviour). A node that is down or cut off
by a partition neither grants nor hears. With the defaults (2 nodes, lease 2, guard 1,
``drift=1``, horizon 3) the search finds 41,226 distinct and 97,336 generated states
(depth 15, about 1.5 s); without drift, 4,742. With 3 nodes the delays' interleavings
pass several million states. Nodes are a symmetric set: with ``--symmetry``, 20,664.

**Properties.** ``one_leader``: at no instant do two nodes believe they are leader, each by
its own clock. It holds while drift is within the guard: a new leader needs a grant from
some node of the old leader's majority, which grants again only once its clock is
``lease + guard`` past its grant, made no earlier than the old leader's request; the old
leader's clock lags it by at most the drift, so it reads at least ``lease`` past its
request, and the old lease is over.
``within_horizon``: time runs from 0 to ``horizon`` and stops there.
``leadership_passes`` (sometimes): a node becomes leader after another node's lease has
run out, so the grantors' promises do run out within the horizon and a new round wins.

**Variant ``lease-from-grant``** (flag ``lease_from_grant``). The holder counts its lease
from when the grants arrive instead of from its request. The shortest counterexample (13
steps): node 0 asks for the lease at time 0 and both nodes grant it, promising until 3;
node 1's grant is delayed until time 3, and node 0 counts its lease from then; at time 3
both promises have run out and node 1 is elected: two leaders at once.
**Variant ``drift-beyond-guard``** (``drift=2`` against a guard of 1) and **variant
``no-guard``** (guard 0) fail the same way through clock drift, in 15 and 13 steps.
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

    nodes: Annotated[int, Between(1, 16)] = 2
    """Number of nodes; each may ask for the lease and each grants it."""
    lease: Annotated[int, Between(1)] = 2
    """Length of a lease, in ticks of the holder's clock from its request."""
    guard: Annotated[int, Between(0)] = 1
    """Extra ticks a granting node waits before it grants again, to cover clock drift."""
    horizon: Annotated[int, Between(0)] = 3
    """The last instant of the model: time stops at this tick."""
    lease_from_grant: bool = False
    """Flaw: the holder counts its lease from when the grants arrive, not from its request."""
    faults: Faults = CLOCK_DRIFT
    """Fault budgets: by default clocks drift by one tick in all (see modelcheck.network)."""


Node = Annotated[int, Symmetric("Node", size="nodes")]
"""A node, ``0 .. nodes - 1``; nodes are interchangeable (``--symmetry``)."""

T = TypeVar("T")
PerNode = Annotated[tuple[T, ...], IndexedBy(Node)]
"""A tuple with one item per node."""


class LeaseReq(Record):
    """``src`` asks ``dst`` for a lease, in the round it opened when its clock read ``at``."""

    src: Node
    dst: Node
    at: int


class Grant(Record):
    """``src`` grants ``dst`` the lease of its round ``at``."""

    src: Node
    dst: Node
    at: int


Message = LeaseReq | Grant
"""A message in flight."""


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, and each node's clock skew (modelcheck.network)."""


class State(Record):
    """Time, each node's promise, open request, grants and lease, and the messages."""

    now: int
    """Global time; node ``i`` reads ``now`` plus its skew."""
    promised: PerNode[tuple[Node, int] | None]
    """``(holder, until)``: the node granted ``holder`` a lease and grants no other until
    its clock reads ``until``."""
    rounds: frozenset[Node]
    """The nodes that have opened their round."""
    requested: PerNode[int | None]
    """The clock reading at which the node opened its round, while it waits for grants."""
    granted: PerNode[frozenset[Node]]
    """The nodes that have granted the node's open round."""
    lease_until: PerNode[int | None]
    """The node is leader while its clock reads less than this."""
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("lease-election", Config, State)


def _nodes(cfg: Config) -> range:
    return range(cfg.nodes)


def _readings(cfg: Config) -> range:
    """Every reading of a clock: global time skewed by at most the drift budget."""
    drift = cfg.faults.budget("drift")
    return range(-drift, cfg.horizon + drift + 1)


def _messages(cfg: Config) -> list[Message]:
    """Every message of the protocol."""
    pairs = list(itertools.product(_nodes(cfg), _nodes(cfg)))
    return ([LeaseReq(i, j, t) for i, j in pairs for t in _readings(cfg)]
            + [Grant(j, i, t) for i, j in pairs for t in _readings(cfg)])


net = Network(spec, messages=_messages, nodes=_nodes, kind="bag")
"""Requests and grants, delayed without bound; the network also brings the faults: clock
drift, and crashes and partitions that keep requests and grants from a node."""


def clock(s: State, i: int) -> int:
    """Node ``i``'s clock: global time plus its skew."""
    return s.now + net.skew(s, i)


def is_leader(s: State, i: int) -> bool:
    """Whether node ``i`` believes it is leader: its lease has not run out by its clock."""
    until = s.lease_until[i]
    return until is not None and clock(s, i) < until


@spec.init
def init(cfg: Config) -> State:
    """Time 0; no promise, no request and no lease."""
    n = cfg.nodes
    return State(0, (None,) * n, frozenset(), (None,) * n, (frozenset(),) * n, (None,) * n,
                 frozenset(), net.initial(cfg))


@spec.action
def tick(cfg: Config, s: State) -> State | None:
    """Time passes, up to the horizon."""
    if s.now >= cfg.horizon:
        return None
    return s.replace(now=s.now + 1)


@net.action(node="i", i=_nodes)
def request_lease(cfg: Config, s: State, i: int) -> State | None:
    """Node ``i`` opens its round at its clock's reading and asks every node for a lease
    (one round per node: the bound of the model)."""
    if i in s.rounds:
        return None
    at = clock(s, i)
    return s.replace(rounds=s.rounds | {i}, requested=set_at(s.requested, i, at),
                     msgs=net.broadcast(cfg, s.msgs, [LeaseReq(i, j, at) for j in _nodes(cfg)]))


@net.handler(LeaseReq)
def grant_lease(cfg: Config, s: State, m: LeaseReq) -> State | None:
    """Node ``j``, once any promise it made has run out by its clock, grants the lease and
    promises not to grant again for ``lease + guard`` ticks of its clock."""
    j = m.dst
    p = s.promised[j]
    if p is not None and clock(s, j) < p[1]:
        return None
    return s.replace(promised=set_at(s.promised, j, (m.src, clock(s, j) + cfg.lease + cfg.guard)),
                     msgs=net.reply(cfg, s.msgs, m, Grant(j, m.src, m.at)))


@net.handler(Grant)
def receive_grant(cfg: Config, s: State, m: Grant) -> State:
    """Node ``i`` counts a grant of its open round (a grant of an older round is stale);
    with a majority it is leader for ``lease`` ticks of its clock from its request."""
    i = m.dst
    if s.requested[i] != m.at:
        return s
    granted = s.granted[i] | {m.src}
    if len(granted) < cfg.nodes // 2 + 1:
        return s.replace(granted=set_at(s.granted, i, granted))
    start = clock(s, i) if cfg.lease_from_grant else m.at
    return s.replace(requested=set_at(s.requested, i, None),
                     granted=set_at(s.granted, i, frozenset()),
                     lease_until=set_at(s.lease_until, i, start + cfg.lease))


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


@spec.sometimes
def leadership_passes(cfg: Config, s: State) -> bool:
    """A node is leader after another node's lease has run out: the lease passes on."""
    return any(is_leader(s, i) and any(
        j != i and s.lease_until[j] is not None and not is_leader(s, j)
        for j in _nodes(cfg)) for i in _nodes(cfg))


@spec.always
def within_horizon(cfg: Config, s: State) -> bool:
    """Time runs from 0 to the horizon and stops there."""
    return 0 <= s.now <= cfg.horizon


spec.variant(
    "drift-beyond-guard", params={"faults": "drift=2"}, violates="one_leader",
    doc="Clocks drift by two ticks against a guard of one: an old leader's slow clock "
        "keeps its lease alive after a new leader is elected.")

spec.variant(
    "no-guard", params={"guard": 0}, violates="one_leader",
    doc="No guard: one tick of drift gives two leaders at once.")

spec.variant(
    "lease-from-grant", params={"lease_from_grant": True}, violates="one_leader",
    doc="The holder counts its lease from when the grants arrive instead of from its "
        "request: a grant delayed in the network outlives the grantor's promise.")


# -- mutants that survive, and why that is no gap (``modelcheck mutate lease-election``) --

for _k in ("request_lease:drop-guard:1", "request_lease:drop-update:1"):
    spec.accept_mutant(
        _k,
        """The guard is the model's bound of one round per node: without it rounds never end,
        the states never end and the check times out; each run is the correct protocol
        with more rounds.""")
spec.accept_mutant(
    "receive_grant:drop-update:2",
    """The round stays open once its holder is leader, but the grants of it still to come
    are fewer than a majority (a majority has granted already), so they never elect it
    again; and an election would give the same lease, counted from the same request.""")
spec.accept_mutant(
    "receive_grant:drop-update:3",
    """The grants counted stay recorded once the holder is leader, but its round is closed
    (``requested`` is cleared) and each node opens one round: every later grant is stale
    and the record is never read again.""")
