"""Consistent hashing with virtual nodes: which node stores each key as nodes come and go.

Sources: David Karger et al., "Consistent Hashing and Random Trees" (STOC 1997), for the
ring and its monotonicity (a key moves only to a node that joins); Ion Stoica et al.,
"Chord" (SIGCOMM 2001), for successor ownership on the ring; Giuseppe DeCandia et al.,
"Dynamo" (SOSP 2007), §4.2, for virtual nodes.

A ring of ``ring_size`` positions holds ``keys`` keys and ``vnodes`` virtual nodes per
node, each at a position given by a deterministic hash (SHA-256 of its name salted with
the ring's ``seed``; Python's ``hash`` would change from run to run). A key belongs to
the first virtual node at or after its position, going round the ring, and so to that
virtual node's node. The members start as node 0 alone; any other of ``nodes`` nodes may
``join``, and any member may ``leave`` while another remains. Each step moves every key
whose owner changes from the old owner's store to the new one's. The initial states
range over ``seeds`` salts, so the search covers that many rings, exhaustively: every
set of members, reached by every sequence of joins and leaves. With the defaults (4 nodes,
2 virtual nodes each, 12 keys, a ring of 64 positions, 32 rings) the search finds 480
distinct states, every non-empty set of members on each ring, and 1,824 transitions.

**Properties.** ``single_owner``: every key is stored by exactly one node, a member.
``minimal_movement`` (an action property): when a node joins, the only keys that move are
those that move to it (the keys in its arcs); when a node leaves, the only keys that move
are its own. Every other key stays where it was: the property that makes the ring worth
having, since moving a key means copying its data. ``stored_at_successor``: every key is
stored at its successor, the node of the first member's virtual node at or after it going
round the ring (Chord's ``successor(k)``), which is where a lookup that follows successor
pointers looks for it. The first two hold for many a placement that is no ring: one that
clamps at the end of the ring (keys past the last virtual node go to the last), takes the
predecessor, or ignores all but one virtual node per node; this one does not.

**Variant ``modulo``.** Keys are placed by ``hash(key) % n`` over the sorted members,
the naive scheme. A change of ``n`` reshuffles keys among nodes that stayed: the
shortest counterexample (2 steps) is node 1 joining (a change of ``n`` from 1 to 2, where
every moving key goes to the newcomer) and then node 2 joining, which moves keys between
nodes 0 and 1.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    nodes: Annotated[int, Between(1, 32)] = 4
    """Nodes that may be members; at most 32, as every set of members is a state of
    each ring (``2 ** nodes - 1`` per ring)."""
    vnodes: Annotated[int, Between(1)] = 2
    """Virtual nodes (ring positions) per node."""
    keys: Annotated[int, Between(1)] = 12
    """Keys stored."""
    ring_size: Annotated[int, Between(1)] = 64
    """Positions on the ring."""
    seeds: Annotated[int, Between(1)] = 32
    """Rings checked: each salt of the hash gives other positions."""
    modulo: bool = False
    """Flaw: place keys by ``hash(key) % n`` instead of on the ring."""


class State(Record):
    """The ring's salt, the member nodes, and the keys each node stores."""

    seed: int
    members: frozenset[int]
    stores: tuple[frozenset[int], ...]


spec = Spec("consistent-hashing", Config, State)


def position(seed: int, name: str, ring_size: int) -> int:
    """Where ``name`` hashes to on a ring of ``ring_size`` positions salted by ``seed``."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % ring_size


@cache
def _vnodes(cfg: Config, seed: int) -> tuple[tuple[int, int, int], ...]:
    """Every virtual node as ``(position, node, replica)``, in ring order."""
    return tuple(sorted((position(seed, f"node{n}#{v}", cfg.ring_size), n, v)
                        for n in range(cfg.nodes) for v in range(cfg.vnodes)))


def _owner_on_ring(cfg: Config, seed: int, members: frozenset[int], key: int) -> int:
    at = position(seed, f"key{key}", cfg.ring_size)
    ring = [vn for vn in _vnodes(cfg, seed) if vn[1] in members]
    for pos, node, _ in ring:
        if pos >= at:
            return node
    return ring[0][1]  # past the last virtual node: round to the first


def _owner_by_modulo(cfg: Config, seed: int, members: frozenset[int], key: int) -> int:
    at = position(seed, f"key{key}", cfg.ring_size)
    return sorted(members)[at % len(members)]


@cache
def placement(cfg: Config, seed: int, members: frozenset[int]) -> tuple[frozenset[int], ...]:
    """The keys each node stores when ``members`` are the members."""
    owner = _owner_by_modulo if cfg.modulo else _owner_on_ring
    stores: list[set[int]] = [set() for _ in range(cfg.nodes)]
    for k in range(cfg.keys):
        stores[owner(cfg, seed, members, k)].add(k)
    return tuple(frozenset(x) for x in stores)


@spec.init(seed=lambda cfg: range(cfg.seeds))
def init(cfg: Config, seed: int) -> State:
    """Ring ``seed``, with node 0 its only member, storing every key."""
    members = frozenset((0,))
    return State(seed, members, placement(cfg, seed, members))


@spec.action(n=lambda cfg: range(cfg.nodes))
def join(cfg: Config, s: State, n: int) -> State | None:
    """Node ``n`` joins; keys move to their new owners."""
    if n in s.members:
        return None
    members = s.members | {n}
    return s.replace(members=members, stores=placement(cfg, s.seed, members))


@spec.action(n=lambda cfg: range(cfg.nodes))
def leave(cfg: Config, s: State, n: int) -> State | None:
    """Member ``n`` leaves while another remains; its keys move to their new owners."""
    if n not in s.members or len(s.members) == 1:
        return None
    members = s.members - {n}
    return s.replace(members=members, stores=placement(cfg, s.seed, members))


# -- properties ---------------------------------------------------------------------------


@spec.always
def single_owner(cfg: Config, s: State) -> bool:
    """Every key is stored by exactly one node, and that node is a member."""
    held = [k for n, keys in enumerate(s.stores) if n in s.members for k in keys]
    stray = any(keys for n, keys in enumerate(s.stores) if n not in s.members)
    return not stray and sorted(held) == list(range(cfg.keys))


@spec.always
def stored_at_successor(cfg: Config, s: State) -> bool:
    """Every key is stored where a lookup looks for it: at its successor, the node of the
    first member's virtual node at or after the key's position, going round the ring (the
    one at the least distance clockwise; ties go to the lower node, then replica)."""
    if cfg.modulo:
        return True  # the naive scheme's lookups compute hash % n, as its placement does
    size = cfg.ring_size
    ring = [(position(s.seed, f"node{n}#{v}", size), n, v)
            for n in s.members for v in range(cfg.vnodes)]
    for n, keys in enumerate(s.stores):
        for k in keys:
            at = position(s.seed, f"key{k}", size)
            if min(((pos - at) % size, m, v) for pos, m, v in ring)[1] != n:
                return False
    return True


def _moved(before: State, after: State) -> list[tuple[int, int]]:
    """``(from, to)`` for each key whose owner changed."""
    def owners(s: State) -> dict[int, int]:
        return {k: n for n, keys in enumerate(s.stores) for k in keys}
    old, new = owners(before), owners(after)
    return [(old[k], new[k]) for k in old if k in new and old[k] != new[k]]


@spec.action_property
def minimal_movement(cfg: Config, before: State, after: State) -> bool:
    """A join moves keys only to the new node; a leave moves only the leaving node's."""
    joined = after.members - before.members
    left = before.members - after.members
    return all(dst in joined or src in left for src, dst in _moved(before, after))


@spec.sometimes
def every_node_stores_keys(cfg: Config, s: State) -> bool:
    """All nodes are members and each stores some key."""
    return len(s.members) == cfg.nodes and all(s.stores)


spec.variant(
    "modulo", params={"modulo": True}, violates="minimal_movement",
    doc="hash(key) % n placement: a change of n moves keys between nodes that stayed.")


# -- mutants that survive, and why that is no gap (``modelcheck mutate consistent-hashing``) -

spec.accept_mutant(
    "init:off-by-one:1",
    """Starting from node 1 alone instead of node 0 reaches the same states (every
    non-empty set of members on each ring) by the same steps: only the initial states
    differ.""")
spec.accept_mutant(
    "init:field-constant:1",
    """Every initial state names ring 0; node 0 alone stores every key on any ring, so the
    initial states are ring 0's and the search covers that ring only: the same protocol
    on one ring instead of ``seeds``, a smaller search rather than another protocol.""")
for _k in (1, 2):
    spec.accept_mutant(
        f"position:off-by-one:{_k}",
        """Another hash: 9 or 7 bytes of the SHA-256 digest instead of 8, as deterministic
        and, taken modulo a ring of 64 positions (which divides ``2 ** 56`` and ``2 **
        72``), as uniform. Single ownership, minimal movement and lookups at the successor
        hold wherever the names land on the ring; the search checks other rings of the same
        protocol, as other seeds would.""")
spec.accept_mutant(
    "join:drop-guard:1",
    """A member that joins again changes nothing (the same members, so the same
    placement): a stuttering step.""")
