"""Gossip: epidemic dissemination of updates by anti-entropy, with a version per value.

Sources: Alan Demers et al., "Epidemic Algorithms for Replicated Database Maintenance"
(PODC 1987), for anti-entropy (each node repeatedly sends its state to a peer, which keeps
the newer of the two) and its convergence in O(log n) rounds; Robbert van Renesse et
al., "Efficient Reconciliation and Flow Control for Anti-Entropy Protocols" (LADIS
2008), for versioned reconciliation.

``nodes`` nodes replicate one value. An ``update`` at any node writes a new version of
it, ``1 .. updates`` in order (timestamps). In a ``gossip`` step a node pushes its version
to a peer; the push travels on a ``bag`` network and, on delivery, the peer merges it:
it keeps the newer version. A node has at most one push to each peer in flight, and
pushes only once it holds some update, which keeps the model finite without removing a
behaviour that matters (a second push to the same peer carries nothing the first does
not, once both are delivered). Gossip steps and deliveries are weakly fair (each
instance): a node keeps gossiping with every peer, and every push in flight is
eventually delivered; a partition eventually heals. With the defaults (3 nodes, 2 updates)
the search finds 2,572 distinct and 14,686 generated states.

**Properties.** ``versions_never_go_back`` (an action property): no step lowers a node's
version. ``every_node_learns_every_update`` (always eventually, under the fairness
above): every fair behaviour reaches, again and again, a state where every node holds
the newest version; as updates are finitely many, every node ends up knowing every
update. ``type_ok``: at most ``updates`` versions are written, no node holds one not yet
written, and each push in flight goes to a peer with an update. ``updates_meet``
(sometimes): two nodes hold different updates, so that a merge has a choice to make;
``update_spread`` (sometimes): a state where an update has reached every node.

**Rounds to convergence.** ``python benchmarks/gossip_rounds.py`` drives this spec's
actions in synchronous rounds (every node holding the update pushes to a random peer)
from 8 to 256 nodes: the mean number of rounds until every node knows an update grows as
log2(N) + ln(N) (Pittel's asymptotic for push gossip), 5.3 rounds for 8 nodes and 14.7
for 256 (99th percentile 9 and 19; 300 runs each, seed 1).

**Variant ``crashed-node``** (``--faults crash=1``) shows that the liveness property is
not vacuous: node 0 takes update 1 and crashes before pushing it, and the other nodes
never learn it (2 steps, then the behaviour stays there).

**Variant ``merge-overwrites``.** The merge takes the incoming version even when it is
older (last arrival wins instead of newest version wins). Shortest counterexample (4
steps): node 0 takes update 1 and pushes it to node 1; node 1 takes update 2; the push
arrives and sets node 1 back from version 2 to 1.

**Faults.** ``loss`` and ``dup`` lose and duplicate pushes (a lost push is sent again:
liveness survives a bounded loss), ``crash`` stops a node, after which it never learns
later updates: ``every_node_learns_every_update`` fails, as it must. ``partition``
separates nodes until the heal (liveness holds: 12,860 states). Nodes are a symmetric set;
``--symmetry`` applies to the safety properties (liveness under symmetry is refused). """

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    nodes: Annotated[int, Between(2)] = 3
    """Number of nodes."""
    updates: Annotated[int, Between(1)] = 2
    """Updates written, versions ``1 .. updates``."""
    merge_overwrites: bool = False
    """Flaw: a node takes an incoming version even when it is older than its own."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults loss=1``; see modelcheck.network)."""


Node = Annotated[int, Symmetric("Node", size="nodes")]
"""A node, ``0 .. nodes - 1``."""


class Push(Record):
    """``src`` tells ``dst`` the version it holds."""

    src: Node
    dst: Node
    version: int


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, nodes down, partitions."""


class State(Record):
    """Each node's version, the newest version written, pushes in flight, faults."""

    version: Annotated[tuple[int, ...], IndexedBy(Node)]
    latest: int
    msgs: Net[Push]
    faults: NodeFaults


spec = Spec("gossip", Config, State)


def _nodes(cfg: Config) -> range:
    return range(cfg.nodes)


def _messages(cfg: Config) -> list[Push]:
    return [Push(i, j, v) for i in _nodes(cfg) for j in _nodes(cfg) if i != j
            for v in range(1, cfg.updates + 1)]


net = Network(spec, messages=_messages, nodes=_nodes, kind="bag")
"""Pushes travel on a bag: any order; each is delivered once unless duplicated."""

spec.fair("delivery", "weak", actions=("deliver",), per_instance=True,
          doc="Every push in flight is eventually delivered (while its receiver is up).")
spec.fair("healing", "weak", actions=("heal",),
          doc="A partition eventually heals (``--faults partition=1``).")


@spec.init
def init(cfg: Config) -> State:
    """No update yet: every node holds version 0."""
    return State((0,) * cfg.nodes, 0, frozenset(), net.initial(cfg))


@net.action(node="n", n=_nodes)
def update(cfg: Config, s: State, n: int) -> State | None:
    """A client writes the next version at node ``n``."""
    if s.latest >= cfg.updates:
        return None
    v = s.latest + 1
    return s.replace(version=set_at(s.version, n, v), latest=v)


def _pushing(cfg: Config, s: State, push: Push) -> bool:
    return any(m.src == push.src and m.dst == push.dst for m in net.in_flight(cfg, s.msgs))


@net.action(node="i", i=_nodes, j=_nodes)
def gossip(cfg: Config, s: State, i: int, j: int) -> State | None:
    """``i`` pushes its version to peer ``j`` (anti-entropy)."""
    v = s.version[i]
    if i == j or v == 0:
        return None
    push = Push(i, j, v)
    if _pushing(cfg, s, push):
        return None
    return s.replace(msgs=net.send(cfg, s.msgs, push))


spec.fair("gossip", "weak", per_instance=True,
          doc="Every node keeps gossiping with every peer.")


@net.handler(Push)
def merge(cfg: Config, s: State, m: Push) -> State:
    """``dst`` merges the pushed version: it keeps the newer one."""
    mine = s.version[m.dst]
    new = m.version if cfg.merge_overwrites else max(mine, m.version)
    if new == mine:
        return s
    return s.replace(version=set_at(s.version, m.dst, new))


@spec.terminal
def nothing_to_tell(cfg: Config, s: State) -> bool:
    """Every update is written and the nodes that are up hold one version: gossip has
    nothing to tell (a node that crashed with the only copy of an update leaves the
    others stuck on an older one, which ``every_node_learns_every_update`` reports)."""
    down = s.faults.down
    return s.latest == cfg.updates and len({v for n, v in enumerate(s.version)
                                            if n not in down}) <= 1


# -- properties ---------------------------------------------------------------------------


@spec.always
def type_ok(cfg: Config, s: State) -> bool:
    """At most ``updates`` versions written, no node holds a version not yet written, and
    each push in flight goes to a peer with an update."""
    return (0 <= s.latest <= cfg.updates and all(0 <= v <= s.latest for v in s.version)
            and all(m.src != m.dst and m.version > 0 for m in net.in_flight(cfg, s.msgs)))


@spec.action_property
def versions_never_go_back(cfg: Config, before: State, after: State) -> bool:
    """No node's version decreases."""
    return all(a >= b for a, b in zip(after.version, before.version))


def converged(cfg: Config, s: State) -> bool:
    """Every node holds the newest version written."""
    return all(v == s.latest for v in s.version)


@spec.always_eventually
def every_node_learns_every_update(cfg: Config, s: State) -> bool:
    """Again and again, every node holds the newest version."""
    return converged(cfg, s)


@spec.sometimes
def updates_meet(cfg: Config, s: State) -> bool:
    """Two nodes hold different updates: a merge has two versions to choose from."""
    return len(set(s.version) - {0}) >= 2


@spec.sometimes
def update_spread(cfg: Config, s: State) -> bool:
    """An update has reached every node."""
    return s.latest > 0 and converged(cfg, s)


# -- mutants that survive, and why that is no gap (``modelcheck mutate gossip``) ------------

spec.accept_mutant(
    "gossip:drop-guard:2",
    """The guard is the model's bound of one push to each peer in flight: without it pushes
    pile up without end, the states never end and the check times out; each run is the
    correct protocol with more pushes in flight, each carrying what its sender holds.""")

spec.accept_mutant(
    "_pushing:flip-comparison:1",
    """With ``m.src != push.src`` the bound of one push to each peer in flight is gone:
    pushes from one node to a peer pile up without end and the states never end (160,874
    states within 16 steps, against 2,572 in all for the original, every safety property
    holding). Each run is the correct protocol with more pushes in flight, each carrying
    what its sender holds; what it refuses, a push to a peer that another node's push is
    on its way to, is flow control: safe (a push carries only a version its sender holds),
    and with peers picked at random, as anti-entropy does, it delays a push without
    starving it. Whether it could starve one under weak fairness alone cannot be asked of
    a state space without end.""")

spec.accept_mutant(
    "_pushing:flip-comparison:2",
    """With ``m.dst != push.dst`` the bound of one push to each peer in flight is gone: a
    node's pushes to one peer pile up without end and the states never end (75,677 states
    within 16 steps, against 2,572 in all for the original, every safety property
    holding). Each run is the correct protocol with more pushes in flight, each carrying
    what its sender holds; what it refuses, a push to a second peer while one is in
    flight, is flow control (one peer at a time): safe, and with peers picked at random,
    as anti-entropy does, it delays a push without starving it. Whether it could starve
    one under weak fairness alone cannot be asked of a state space without end.""")

spec.variant(
    "crashed-node", params={"faults": "crash=1"}, violates="every_node_learns_every_update",
    doc="A node may crash: the updates it alone holds never reach the others.")

spec.variant(
    "merge-overwrites", params={"merge_overwrites": True}, violates="versions_never_go_back",
    doc="The merge takes the incoming version even when it is older.")
