"""Temporal properties on the complete state graph: liveness under fairness, always-possible.

A breadth-first search (:mod:`~modelcheck.explore.bfs`) with temporal properties records
its state graph as it goes (a :class:`GraphRecorder`: the fingerprint of every state, the
target state of every transition, its action when a liveness property needs it, and the
value of each temporal predicate in each state), and once the search has explored
everything, :func:`check` decides each property on that graph.
Everything here is numpy arrays indexed by the store's state indices (compressed sparse
rows of edges, one bool array per predicate), with no Python object per state or edge.
A transition costs 4 bytes (the store resolves its target to an index as the search
admits it), 6 with its action; the algorithms below go over the edges in blocks, so their
temporaries stay within a few bytes an edge: the graph of two-phase commit with 8
resource managers (1.7 million states, 18.5 million transitions) and its
always-possible check take about 150 MB on top of the search.

**Semantics (TLA+'s).** A behaviour is an infinite sequence of states from an initial
state in which each step is an action or a stutter (the state unchanged). Any behaviour
may stop and stutter forever, unless fairness forbids it: weak fairness of a group of
actions rules out behaviours in which the group is enabled in every state from some point
on but never taken; strong fairness rules out those in which it is enabled infinitely
often but taken only finitely often. As in TLA+, a step that leaves the state unchanged
neither takes nor enables an action. Liveness properties (``eventually``,
``always_eventually``, ``leads_to``) must hold of every fair behaviour.

**Liveness by fair cycles.** A violating behaviour ends up cycling forever within a set
of states where the property's goal is false. The strongly connected components of the
subgraph of those states are computed (an iterative Tarjan after numpy trimming of the
acyclic parts), and a component admits a fair cycle iff, for the cycle through all its
states and transitions, every weak group is taken inside it or disabled somewhere in it,
and every strong group is taken inside it or disabled everywhere in it. A strong group
enabled in some of the component's states but never taken inside it cannot be satisfied
by a cycle through those states, so they are removed and the rest decomposed again
(the classic Streett-emptiness refinement). The counterexample is a lasso: a shortest stem
(breadth-first over the graph) to the nearest state of a fair component, then a cycle
from that state through the component that takes or avoids each fair group as needed,
back to it; when no fair group is enabled there the cycle is the stutter of that state.
The cycle is built greedily: from where it stands, it walks (breadth-first, within the
component) to the nearest state where a group not yet satisfied is disabled, or that
takes such a group, until every group is satisfied. The stem is shortest; the cycle is
short but not always the shortest (finding that is NP-hard with several groups).

**Always-possible** (CTL's ``AG EF p``) is backward reachability from the ``p`` states over
the reversed graph. A reachable state outside that set violates it; the one found first
by the breadth-first search has a shortest trace. Fairness plays no part.

**Conditioned on the initial state.** A property declared with ``when`` (``P ⇒ ◇Q``,
``P ⇒ □Q``) is checked on the behaviours starting in an initial state that satisfies P:
the stems of its lassos start there, and an invariant with ``when`` is a breadth-first
search from those states to one where it fails (a shortest counterexample from them).

**Symmetry.** Under symmetry reduction the graph is the quotient by the spec's
symmetric sets. For a predicate that treats symmetric elements alike, the quotient is
bisimilar to the full graph (each state's successors are, up to renaming, those of any
state in its orbit), so ``AG EF p`` has the same truth value on both, and always-possible
is checked under ``--symmetry``. Fairness is not preserved: an action instance is
renamed by the permutation that canonicalises a state, so one instance taken forever in
the quotient may be a different instance at every step of the real behaviour. Liveness
with symmetry reduction is therefore refused (:func:`unsupported`).
"""

from __future__ import annotations

import functools
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from modelcheck import semantics
from modelcheck.errors import NondeterminismError, SpecRuntimeError
from modelcheck.fingerprint import fingerprint
from modelcheck.result import Violation
from modelcheck.spec import Property
from modelcheck.store import NO_PARENT
from modelcheck.trace import Trace

if TYPE_CHECKING:
    from modelcheck.explore._base import Run
    from modelcheck.model import FairGroup, Model

__all__ = ["LIVENESS_KINDS", "GraphRecorder", "StateGraph", "check", "unsupported"]

LIVENESS_KINDS = frozenset({"eventually", "always_eventually", "leads_to"})
"""Temporal kinds whose violations are infinite behaviours (lassos) under fairness."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def unsupported(model: Model, *, strategy: str, parallel: bool, checkpoint: bool) -> str | None:
    """Why this search cannot check ``model``'s temporal properties, or None if it can."""
    if not model.temporal:
        return None
    names = ", ".join(p.name for p in model.temporal)
    fix = ("; or keep them and add --no-temporal (check(..., temporal=False)) to check "
           "every other property")
    if strategy != "bfs" or parallel:
        return (f"temporal properties ({names}) are checked on the complete state graph, "
                "which only the single-process breadth-first search records: drop "
                "--strategy dfs, --workers and --scheduler" + fix)
    if checkpoint:
        return (f"temporal properties ({names}) need the state graph, which checkpoints do "
                "not hold: drop --checkpoint and --resume" + fix)
    if model.view is not None:
        return (f"temporal properties ({names}) are checked on the state graph, which the "
                "spec's view would join states that differ in; drop the view "
                "(--no-view)" + fix)
    live = [p.name for p in model.temporal if p.kind in LIVENESS_KINDS and p.when is None]
    if live and model.canonical is not None:
        return (f"liveness properties ({', '.join(live)}) cannot be checked under symmetry "
                "reduction: fairness of an action instance is not preserved when states "
                "are renamed, so a fair cycle of the reduced graph need not be a fair "
                "behaviour (always-possible properties are sound under --symmetry); drop "
                "--symmetry" + fix)
    conditioned = [p.name for p in model.temporal if p.when is not None]
    if conditioned and model.canonical is not None:
        return (f"properties conditioned on the initial state ({', '.join(conditioned)}) "
                "are not checked under symmetry reduction; drop --symmetry" + fix)
    return None


# -- recording the graph during the search -----------------------------------------------


class GraphRecorder:
    """What the breadth-first search hands over for the temporal check, chunk by chunk.

    States are recorded in the store's discovery order, and expanded in that same order,
    so the successor counts of the expanded states are the rows of the edge table. An
    edge is recorded as the index of its target state (4 bytes, resolved by the store as
    the chunk is admitted) and, only when a liveness property asks for the fair cycles
    and the path of a lasso, its action instance (2 more bytes): no fingerprint or
    Python object per edge, in buffers that grow in place.
    """

    def __init__(self, run: Run) -> None:
        self.run = run
        preds: list[Callable[..., Any]] = []
        for p in run.model.temporal:
            for fn in (p.fn, p.goal, p.when):
                if fn is not None and fn not in preds:
                    preds.append(fn)
        self.predicates = preds
        self.names = {id(p.fn): semantics.describe(p, p.fn) for p in run.model.temporal}
        self.names.update({id(p.goal): semantics.describe(p, p.goal)
                           for p in run.model.temporal if p.goal})
        self.names.update({id(p.when): semantics.describe(p, p.when)
                           for p in run.model.temporal if p.when})
        self.labels = [bytearray() for _ in preds]
        self.node_fps: list[npt.NDArray[np.int64]] = []
        self.dst = array("I")
        narrow = max(len(run.model.instances), 1) < 0xFFFF
        self.act: array[int] | None = (
            array("H" if narrow else "I")
            if any(p.kind in LIVENESS_KINDS or p.when is not None for p in run.model.temporal)
            else None)
        self.counts = array("I")

    def states(self, fps: npt.NDArray[np.int64], states: Sequence[Any], first_index: int) -> None:
        """New states (stored from ``first_index`` on) and their fingerprints, in order."""
        self.node_fps.append(fps)
        cfg = self.run.cfg
        for fn, out in zip(self.predicates, self.labels):
            try:
                out.extend(semantics.labels(self._name(fn), fn, cfg, states))
            except semantics.Misbehaved as m:
                raise self.run.spec_error(m.function, m.error, first_index + m.at) from m.error

    def _name(self, fn: Callable[..., Any]) -> str:
        """The predicate as errors name it (``temporal property p_leads_to_q (p)``)."""
        return self.names.get(id(fn), fn.__name__)

    def edges(self, targets: IntArray, actions: Sequence[int]) -> None:
        """The successors of expanded states, in order: the store index of each (-1 for
        one a limit kept out of the store, which leaves the graph unchecked) and its
        action instance."""
        self.dst.frombytes(targets.astype(np.uint32).tobytes())
        if self.act is not None:
            self.act.extend(actions)

    def expanded(self, counts: Sequence[int]) -> None:
        """How many successors each expanded state has, in expansion order."""
        self.counts.extend(counts)

    def build(self, parents: Any, links: Any) -> StateGraph:
        """The graph as compressed rows over the recorded buffers (not copied).

        ``parents`` and ``links`` are the store's parent and action links (an initial
        state has no parent and links to its init).
        """
        node_fps = (np.concatenate(self.node_fps) if self.node_fps
                    else np.zeros(0, dtype=np.int64))
        self.node_fps = []
        n = len(node_fps)
        counts = np.frombuffer(self.counts, dtype=np.uint32)
        if len(counts) != n:
            raise AssertionError(f"{len(counts)} states expanded of {n} recorded")
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        dst = np.frombuffer(self.dst, dtype=np.uint32)
        if len(dst) != offsets[-1] or (len(dst) and int(np.max(dst)) >= n):
            raise AssertionError("a recorded transition leads to a state that is not stored")
        act = (None if self.act is None
               else np.frombuffer(self.act, dtype=np.uint16 if self.act.typecode == "H"
                                  else np.uint32))
        parent_arr = np.frombuffer(parents, dtype=np.uint32)[:n]
        inits = np.flatnonzero(parent_arr == NO_PARENT)
        labels = {id(fn): np.frombuffer(bytes(out), dtype=np.bool_)
                  for fn, out in zip(self.predicates, self.labels)}
        link_type = np.uint16 if getattr(links, "typecode", "I") == "H" else np.uint32
        return StateGraph(n, offsets, dst, act, inits, labels, node_fps,
                          np.frombuffer(links, dtype=link_type)[:n])


def discovery_indices(first: IntArray, stored: int, first_index: int) -> IntArray:
    """Store indices of new states, given (in any order) the position of each one's first
    occurrence among a chunk's successors: they are stored in the order of those
    positions from ``first_index`` on, and only the first ``stored`` of them (-1 for the
    others)."""
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first), dtype=np.int64)
    return np.where(rank < stored, first_index + rank, -1)


BLOCK = 1 << 19
"""Edges handled per numpy pass where a pass over all of them would allocate temporaries
of several bytes an edge."""


@dataclass
class StateGraph:
    """The explored state graph: state ``i``'s transitions are ``dst[offsets[i]:offsets[i+1]]``
    by action instances ``act[...]`` (None when no liveness property needs them);
    ``inits`` are the initial states; ``labels`` maps a predicate (by ``id``) to its value
    in every state."""

    n: int
    offsets: IntArray
    dst: npt.NDArray[Any]
    act: npt.NDArray[Any] | None
    inits: IntArray
    labels: dict[int, BoolArray]
    node_fps: npt.NDArray[np.int64]
    links: npt.NDArray[Any]

    def label(self, fn: Callable[..., Any]) -> BoolArray:
        """The predicate ``fn`` in every state."""
        return self.labels[id(fn)]

    def out_edges(self, nodes: IntArray) -> tuple[IntArray, IntArray]:
        """The edge indices leaving ``nodes``, and the node each leaves from."""
        return (_row_edges(self.offsets, nodes),
                np.repeat(nodes, self.offsets[nodes + 1] - self.offsets[nodes]))

    def actions(self, edges: IntArray) -> IntArray:
        """The action instances of ``edges``."""
        assert self.act is not None, "actions are recorded when a liveness property is asked"
        return self.act[edges].astype(np.int64)

    def nbytes(self) -> int:
        """Bytes held by the graph's arrays."""
        act = 0 if self.act is None else self.act.nbytes
        return int(self.offsets.nbytes + self.dst.nbytes + act + self.inits.nbytes
                   + self.node_fps.nbytes + sum(a.nbytes for a in self.labels.values()))


# -- graph algorithms ----------------------------------------------------------------------


def _bfs(g: StateGraph, start: IntArray, allowed: BoolArray,
         target: BoolArray | None = None) -> tuple[IntArray, IntArray, IntArray, int]:
    """Breadth-first search within ``allowed`` from the states with ``start >= 0``, each
    joining the search at level ``start`` (a state can be a source at a later level, as
    the trigger states of a leads-to are).

    Returns the level of every state (-1 unreached), the edge by which it was reached (-1
    for a source) and its predecessor; with ``target``, stops at the first level that
    reaches one and also returns it (the lowest index of that level), else -1.
    """
    n = g.n
    dist = np.full(n, -1, dtype=np.int64)
    pedge = np.full(n, -1, dtype=np.int64)
    pnode = np.full(n, -1, dtype=np.int64)
    srcs = np.flatnonzero((start >= 0) & allowed)
    order = np.argsort(start[srcs], kind="stable")
    srcs = srcs[order]
    levels = start[srcs]
    k = 0
    frontier = np.zeros(0, dtype=np.int64)
    level = int(levels[0]) if len(srcs) else 0
    while True:
        # Sources joining at this level that no shorter path has reached.
        j = k
        while j < len(srcs) and levels[j] == level:
            j += 1
        joining = srcs[k:j]
        k = j
        joining = joining[dist[joining] < 0]
        dist[joining] = level
        frontier = np.union1d(frontier, joining)
        if len(frontier) == 0:
            if k >= len(srcs):
                return dist, pedge, pnode, -1
            level = int(levels[k])
            continue
        if target is not None:
            hit = frontier[target[frontier]]
            if len(hit):
                return dist, pedge, pnode, int(np.min(hit))
        found = []
        # Block by block, in edge order: a state is reached by its first edge.
        for part in _row_blocks(g.offsets, frontier):
            idx, src = g.out_edges(part)
            d = g.dst[idx]
            ok = allowed[d] & (dist[d] < 0)
            d, idx, src = d[ok], idx[ok], src[ok]
            nxt, first = np.unique(d, return_index=True)
            dist[nxt] = level + 1
            pedge[nxt] = idx[first]
            pnode[nxt] = src[first]
            found.append(nxt.astype(np.int64))
        frontier = np.concatenate(found)
        frontier.sort()
        level += 1


def _chain(pnode: IntArray, pedge: IntArray, node: int) -> tuple[list[int], list[int]]:
    """States and edges from a BFS source to ``node`` (following predecessors)."""
    nodes = [node]
    edges: list[int] = []
    while pedge[node] >= 0:
        edges.append(int(pedge[node]))
        node = int(pnode[node])
        nodes.append(node)
    nodes.reverse()
    edges.reverse()
    return nodes, edges


def _row_blocks(offsets: IntArray, nodes: IntArray) -> list[IntArray]:
    """``nodes`` split into consecutive runs whose rows hold about :data:`BLOCK` edges
    each (a state with more has a run of its own)."""
    lens = offsets[nodes + 1] - offsets[nodes]
    ends = np.cumsum(lens)
    if len(nodes) == 0 or ends[-1] <= BLOCK:
        return [nodes]
    cuts = np.unique(np.searchsorted(ends, np.arange(BLOCK, int(ends[-1]), BLOCK),
                                     side="right"))
    return [part for part in np.split(nodes, cuts[(cuts > 0) & (cuts < len(nodes))])
            if len(part)]


def _row_edges(offsets: IntArray, nodes: IntArray) -> IntArray:
    """The positions of the entries in the rows of ``nodes``, row after row."""
    starts = offsets[nodes]
    lens = offsets[nodes + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lens)
    idx: IntArray = np.arange(total, dtype=np.int64) - np.repeat(ends - lens - starts, lens)
    return idx


def _moves(g: StateGraph, nodes: IntArray, *, within: BoolArray | None = None,
           actions: bool = False) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32],
                                           npt.NDArray[Any] | None]:
    """The transitions that leave ``nodes`` (sorted) for another state (into ``within``
    only, if given), in graph order: their sources, targets and, with ``actions``, their
    action instances. Gathered block by block, so that beyond the 8 to 10 bytes an edge
    of the result only one block's temporaries are allocated."""
    srcs, dsts, acts = [], [], []
    for part in _row_blocks(g.offsets, nodes):
        idx = _row_edges(g.offsets, part)
        d = g.dst[idx]
        src = np.repeat(part.astype(np.uint32), g.offsets[part + 1] - g.offsets[part])
        keep = d != src
        if within is not None:
            keep &= within[d]
        srcs.append(src[keep])
        dsts.append(d[keep])
        if actions:
            assert g.act is not None, "actions are recorded when a liveness property is asked"
            acts.append(g.act[idx[keep]])
    return (np.concatenate(srcs), np.concatenate(dsts),
            np.concatenate(acts) if actions else None)


def _reversed(g: StateGraph) -> tuple[IntArray, npt.NDArray[np.uint32]]:
    """The predecessor rows: state ``v``'s predecessors are ``pred[off[v]:off[v+1]]``
    (one entry per transition). A counting sort by target, block by block of source
    states, so that beyond the 4 bytes an edge of the result it allocates one block's
    temporaries."""
    n = g.n
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(g.dst, minlength=n), out=off[1:])
    cursor = off[:-1].copy()
    pred = np.empty(len(g.dst), dtype=np.uint32)
    for part in _row_blocks(g.offsets, np.arange(n, dtype=np.int64)):
        lo, hi = int(g.offsets[part[0]]), int(g.offsets[part[-1] + 1])
        if lo == hi:
            continue
        src = np.repeat(part.astype(np.uint32), np.diff(g.offsets[part[0]:part[-1] + 2]))
        order = np.argsort(g.dst[lo:hi])
        targets = g.dst[lo:hi][order]
        starts = np.flatnonzero(np.r_[True, targets[1:] != targets[:-1]])
        sizes = np.diff(np.append(starts, len(targets)))
        rank = np.arange(len(targets), dtype=np.int64) - np.repeat(starts, sizes)
        pred[cursor[targets] + rank] = src[order]
        cursor[targets[starts]] += sizes
    return off, pred


def _reverse_reach(g: StateGraph, goal: BoolArray) -> BoolArray:
    """The states from which some path reaches a ``goal`` state."""
    off, pred = _reversed(g)
    seen = goal.copy()
    frontier = np.flatnonzero(goal)
    while len(frontier):
        found = []
        for part in _row_blocks(off, frontier):
            p = pred[_row_edges(off, part)]
            p = p[~seen[p]]
            seen[p] = True
            found.append(p)
        frontier = np.unique(np.concatenate(found)).astype(np.int64)
    return seen


def _sccs(g: StateGraph, mask: BoolArray) -> IntArray:
    """Strongly connected components of the subgraph induced by ``mask``.

    Returns a component id for every state (-1 outside ``mask``). States on no cycle of
    the subgraph are first peeled off with numpy, round by round (those with no
    predecessor or no successor left in it), as each is a component of its own; Tarjan's
    algorithm, iterative and over compact arrays, then splits what remains.
    """
    comp = np.full(g.n, -1, dtype=np.int64)
    nodes = np.flatnonzero(mask)
    if len(nodes) == 0:
        return comp
    # Self-loops do not make a cycle of two states.
    src, dst, _ = _moves(g, nodes, within=mask)
    alive = mask.copy()
    next_id = 0
    while len(nodes):
        outdeg = np.bincount(src, minlength=g.n)
        indeg = np.bincount(dst, minlength=g.n)
        dead = nodes[(outdeg[nodes] == 0) | (indeg[nodes] == 0)]
        if len(dead) == 0:
            break
        comp[dead] = np.arange(next_id, next_id + len(dead))
        next_id += len(dead)
        alive[dead] = False
        nodes = nodes[alive[nodes]]
        keep = alive[src] & alive[dst]
        src, dst = src[keep], dst[keep]
        if len(dead) * 64 < len(nodes):
            break  # peeling has slowed down: Tarjan splits the rest in one pass
    if len(nodes) == 0:
        return comp
    # Relabel what is left 0..k-1 and run Tarjan over compact rows.
    # Relabelling keeps the order of states, so the edges (in graph order) stay in rows.
    local: npt.NDArray[np.signedinteger[Any]] = np.full(
        g.n, -1, dtype=np.int32 if g.n < 2**31 else np.int64)
    local[nodes] = np.arange(len(nodes))
    off = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(local[src], minlength=len(nodes)), out=off[1:])
    found = _tarjan(len(nodes), off, local[dst])
    comp[nodes] = np.asarray(found, dtype=np.int64) + next_id
    return comp


def _tarjan(k: int, offsets: IntArray, targets: npt.NDArray[Any]) -> array[int]:
    """Component ids of Tarjan's algorithm over rows ``targets[offsets[v]:offsets[v+1]]``.

    Iterative (no recursion limit), over ``array`` buffers that hold plain machine ints:
    a few bytes per state and per edge rather than a Python object each.
    """
    off = array("q", offsets.astype(np.int64).tobytes())
    tgt = (array("i", targets.astype(np.int32).tobytes()) if k < 2**31
           else array("q", targets.astype(np.int64).tobytes()))
    index = array("q", [-1]) * k
    low = array("q", [0]) * k
    on_stack = bytearray(k)
    comp = array("q", [-1]) * k
    stack: list[int] = []
    counter = 0
    ncomp = 0
    for root in range(k):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        work = [root, off[root]]  # flattened (state, next edge) pairs
        while work:
            v = work[-2]
            i = work[-1]
            end = off[v + 1]
            descended = False
            while i < end:
                w = tgt[i]
                i += 1
                if index[w] < 0:
                    work[-1] = i
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append(w)
                    work.append(off[w])
                    descended = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if descended:
                continue
            del work[-2:]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
            if work:
                u = work[-2]
                if low[v] < low[u]:
                    low[u] = low[v]
    return comp


# -- fairness on components -------------------------------------------------------------


class _Fairness:
    """Fairness groups expanded to constraints: one per group, one per instance of a
    per-instance group, or one per value of a group by a parameter, each with its
    instances and kind."""

    def __init__(self, groups: Sequence[FairGroup], ninstances: int) -> None:
        pairs: list[tuple[int, int]] = []  # (instance, constraint)
        strong: list[bool] = []
        self.names: list[str] = []
        for group in groups:
            for unit in group.units:
                for inst in unit:
                    pairs.append((inst, len(strong)))
                strong.append(group.kind == "strong")
                self.names.append(group.name)
        self.count = len(strong)
        self.strong = np.array(strong, dtype=np.bool_)
        pairs.sort()
        members = np.array([p[0] for p in pairs], dtype=np.int64)
        self.constraint = np.array([p[1] for p in pairs], dtype=np.int64)
        self.inst_off = np.zeros(ninstances + 1, dtype=np.int64)
        np.cumsum(np.bincount(members, minlength=ninstances), out=self.inst_off[1:])

    def expand(self, acts: IntArray) -> tuple[IntArray, IntArray]:
        """For edges with instances ``acts``: (edge position, constraint) of every
        constraint each edge's instance belongs to."""
        starts = self.inst_off[acts]
        lens = self.inst_off[acts + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ends = np.cumsum(lens)
        idx = np.arange(total, dtype=np.int64) - np.repeat(ends - lens - starts, lens)
        return np.repeat(np.arange(len(acts), dtype=np.int64), lens), self.constraint[idx]


def _fair_components(g: StateGraph, fair: _Fairness, region: BoolArray) -> IntArray:
    """Component ids (-1 elsewhere) of the subsets of ``region`` that hold a fair cycle:
    strongly connected, and satisfying every constraint by the cycle through all their
    states and transitions (stuttering, for a single state)."""
    if fair.count == 0:
        return _sccs(g, region)  # no fairness: stuttering anywhere is a fair behaviour
    result = np.full(g.n, -1, dtype=np.int64)
    next_id = 0
    pending = region
    while pending.any():
        comp = _sccs(g, pending)
        nodes = np.flatnonzero(comp >= 0)
        sizes = np.bincount(comp[nodes])
        ncomp = len(sizes)
        # A stutter neither takes nor enables an action.
        src, dst, acts = _moves(g, nodes, actions=True)
        assert acts is not None
        pos, con = fair.expand(acts.astype(np.int64))
        del acts
        c = comp[src[pos]]
        internal = comp[dst[pos]] == c
        taken = np.zeros(ncomp * fair.count, dtype=np.bool_)
        taken[c[internal] * fair.count + con[internal]] = True
        # Distinct (component, constraint, state) triples: in how many states of its
        # component each constraint is enabled.
        key = np.unique((c * fair.count + con) * g.n + src[pos])
        cc = key // g.n
        enabled = np.bincount(cc, minlength=ncomp * fair.count)
        open_ = (enabled > 0) & ~taken
        cid = np.arange(len(open_)) // fair.count
        strong = np.tile(fair.strong, ncomp)
        weak_broken = open_ & ~strong & (enabled == sizes[cid])
        dead = np.zeros(ncomp, dtype=np.bool_)
        dead[cid[weak_broken]] = True
        strong_open = open_ & strong & ~dead[cid]
        refine = np.zeros(ncomp, dtype=np.bool_)
        refine[cid[strong_open]] = True
        good = ~dead & ~refine
        good_nodes = nodes[good[comp[nodes]]]
        result[good_nodes] = comp[good_nodes] + next_id
        next_id += ncomp
        # In components a strong constraint rules out, drop the states where it is
        # enabled and look for fair cycles among the others.
        drop_keys = key[strong_open[cc]]
        dropped = np.zeros(g.n, dtype=np.bool_)
        dropped[drop_keys % g.n] = True
        pending = np.zeros(g.n, dtype=np.bool_)
        keep = nodes[refine[comp[nodes]]]
        pending[keep[~dropped[keep]]] = True
    return result


def _loop(g: StateGraph, fair: _Fairness, members: BoolArray,
          entry: int) -> tuple[list[int], list[int]]:
    """A cycle from ``entry`` through the fair component ``members`` that satisfies every
    constraint enabled in it: takes one of its transitions, or (a weak constraint) visits
    a state where it is disabled. Built greedily, always walking to the nearest state
    that satisfies a constraint not yet satisfied (or leaves by such a transition), so the
    loop stays short. Returns its states (ending at ``entry``) and edges; no edges means
    stuttering at ``entry``."""
    nodes = np.flatnonzero(members)
    idx, src = g.out_edges(nodes)
    dst = g.dst[idx].astype(np.int64)
    moves = dst != src
    idx, src, dst = idx[moves], src[moves], dst[moves]
    pos, con = fair.expand(g.actions(idx))
    inside = members[dst[pos]]
    weak = ~fair.strong
    # Constraints enabled somewhere in the component (the others need nothing); a strong
    # one enabled there is taken inside it, or the component would not be fair.
    unsat = np.zeros(fair.count, dtype=np.bool_)
    unsat[con] = True
    # The constraints enabled at each state, as runs of a table sorted by state.
    key = np.unique(src[pos] * fair.count + con)
    at_state, at_con = key // fair.count, key % fair.count

    def visit(new_nodes: Sequence[int], new_edges: Sequence[int]) -> None:
        if new_edges:
            _, taken = fair.expand(g.actions(np.array(new_edges, dtype=np.int64)))
            unsat[taken] = False
        for v in new_nodes:
            lo, hi = np.searchsorted(at_state, [v, v + 1])
            disabled = unsat & weak
            disabled[at_con[lo:hi]] = False
            unsat[disabled] = False

    path_nodes = [entry]
    path_edges: list[int] = []
    visit(path_nodes, path_edges)
    cur = entry
    while unsat.any():
        by_edge = unsat[con] & inside
        sources = np.zeros(g.n, dtype=np.bool_)
        sources[src[pos[by_edge]]] = True
        wanted = unsat & weak
        still = np.bincount(at_state[wanted[at_con]], minlength=g.n)
        target = sources | (members & (still < int(wanted.sum())))
        nodes_to, edges_to = _path_within(g, members, cur, target)
        hit = nodes_to[-1]
        if sources[hit] and not (still[hit] < int(wanted.sum())):
            edge = _first_edge_from(g, hit, np.unique(idx[pos[by_edge]]))
            nodes_to = [*nodes_to, int(g.dst[edge])]
            edges_to = [*edges_to, edge]
        visit(nodes_to[1:], edges_to)
        path_nodes += nodes_to[1:]
        path_edges += edges_to
        cur = path_nodes[-1]
    if cur != entry:
        back = np.zeros(g.n, dtype=np.bool_)
        back[entry] = True
        nodes_to, edges_to = _path_within(g, members, cur, back)
        path_nodes += nodes_to[1:]
        path_edges += edges_to
    return path_nodes, path_edges


def _first_edge_from(g: StateGraph, node: int, edges: IntArray) -> int:
    """The first of (sorted) ``edges`` that leaves ``node``."""
    lo, hi = int(g.offsets[node]), int(g.offsets[node + 1])
    return int(np.min(edges[(edges >= lo) & (edges < hi)]))


def _path_within(g: StateGraph, members: BoolArray, start: int,
                 target: BoolArray) -> tuple[list[int], list[int]]:
    """A shortest path inside ``members`` from ``start`` to a ``target`` state."""
    levels = np.full(g.n, -1, dtype=np.int64)
    levels[start] = 0
    _, pedge, pnode, hit = _bfs(g, levels, members, target)
    if hit < 0:
        raise AssertionError("a fair component is not strongly connected")
    return _chain(pnode, pedge, hit)


# -- the check ---------------------------------------------------------------------------


def check(run: Run, graph: StateGraph, *, every: bool = False) -> Violation | None:
    """Decide every temporal property of ``run``'s model on ``graph``; the first violated
    one (in declaration order) with its counterexample, or None. With ``every``, each
    violated one is handed to ``run.found`` in turn (which ends the search at its limit),
    and None is returned."""
    model = run.model
    started = time.perf_counter()
    fair = _Fairness(model.fairness, len(model.instances))
    try:
        for prop in model.temporal:
            if prop.kind == "always_possible":
                violation = _always_possible(run, graph, prop)
            elif prop.kind == "invariant":
                violation = _always_from(run, graph, prop)
            else:
                violation = _liveness(run, graph, fair, prop)
            if violation is not None:
                if not every:
                    return violation
                run.found(violation)
        return None
    finally:
        run.details["temporal"] = {
            "states": graph.n, "transitions": len(graph.dst), "graph_bytes": graph.nbytes(),
            "seconds": round(time.perf_counter() - started, 4)}


def _always_possible(run: Run, graph: StateGraph, prop: Property) -> Violation | None:
    can = _reverse_reach(graph, graph.label(prop.fn))
    stuck = np.flatnonzero(~can)
    if len(stuck) == 0:
        return None
    # Discovery order is breadth-first: the first such state has a shortest trace.
    first = int(stuck[0])
    trace = run.trace_to(first, None)
    assert trace.states is not None
    state = trace.states[-1]
    model = run.model
    enabled = []
    for inst in model.instances:
        try:
            if model.apply(inst.index, state) is not None:
                enabled.append(inst.label())
        except Exception:
            continue  # the search already ran every action in this state
    why = (f"still enabled there: {', '.join(enabled)}, none leading to such a state"
           if enabled else "no action is enabled there")
    return Violation(
        prop.name, "possibility", trace,
        f"always-possible {prop.name} is violated after {trace.length} "
        f"step{'s' if trace.length != 1 else ''}: from this "
        f"state no sequence of actions reaches a state satisfying {prop.fn.__name__}; {why}")


def _starts(g: StateGraph, prop: Property) -> IntArray:
    """Level 0 at the initial states the behaviours checked for ``prop`` start from
    (those satisfying its ``when``), -1 elsewhere."""
    level0 = np.full(g.n, -1, dtype=np.int64)
    inits = g.inits if prop.when is None else g.inits[g.label(prop.when)[g.inits]]
    level0[inits] = 0
    return level0


def _always_from(run: Run, g: StateGraph, prop: Property) -> Violation | None:
    """An invariant conditioned on the initial state (``P ⇒ □Q``): a shortest path from an
    initial state satisfying P to a state where Q fails."""
    assert prop.when is not None
    everywhere = np.ones(g.n, dtype=np.bool_)
    _, pedge, pnode, hit = _bfs(g, _starts(g, prop), everywhere, ~g.label(prop.fn))
    if hit < 0:
        return None
    nodes, edges = _chain(pnode, pedge, hit)
    trace = _replay(run, g, nodes, edges, None)
    return Violation(prop.name, "invariant", trace,
                     semantics.conditioned_message(prop, trace.length))


def _liveness(run: Run, graph: StateGraph, fair: _Fairness, prop: Property) -> Violation | None:
    g = graph
    everywhere = np.ones(g.n, dtype=np.bool_)
    level0 = _starts(g, prop)
    p = g.label(prop.fn)
    trigger: int | None = None
    if prop.kind == "eventually":
        region = ~p
        dist, pedge, pnode, _ = _bfs(g, level0, region)
        reached = dist >= 0
        first_stage: tuple[IntArray, IntArray] | None = None
    elif prop.kind == "always_eventually":
        region = ~p
        dist, pedge, pnode, _ = _bfs(g, level0, everywhere)
        reached = region
        first_stage = None
    else:  # leads_to: a p state, then no q state ever after
        assert prop.goal is not None
        q = g.label(prop.goal)
        region = ~q
        dist1, pedge1, pnode1, _ = _bfs(g, level0, everywhere)
        start = np.where(p & region, dist1, -1)
        dist, pedge, pnode, _ = _bfs(g, start, region)
        reached = dist >= 0
        first_stage = (pedge1, pnode1)
    comps = _fair_components(g, fair, reached)
    candidates = np.flatnonzero((comps >= 0) & (dist >= 0))
    if len(candidates) == 0:
        return None
    # The nearest state of a fair component (lowest index among the nearest) is where
    # the shortest stem ends.
    entry = int(candidates[np.lexsort((candidates, dist[candidates]))[0]])
    nodes, edges = _chain(pnode, pedge, entry)
    if first_stage is not None:
        trigger_nodes, trigger_edges = _chain(first_stage[1], first_stage[0], nodes[0])
        trigger = len(trigger_edges)
        nodes = trigger_nodes + nodes[1:]
        edges = trigger_edges + edges
    loop_nodes, loop_edges = _loop(g, fair, comps == comps[entry], entry)
    loop_start = len(edges)
    nodes += loop_nodes[1:]
    edges += loop_edges
    trace = _replay(run, g, nodes, edges, loop_start)
    return Violation(prop.name, "liveness", trace,
                     _liveness_message(run.model, prop, trace, loop_start, trigger))


def _liveness_message(model: Model, prop: Property, trace: Trace, loop_start: int,
                      trigger: int | None) -> str:
    cycle = len(trace.steps) - 1 - loop_start
    if cycle:
        forever = (f"from step {loop_start} a cycle of {cycle} step{'s' if cycle != 1 else ''}"
                   " repeats forever")
    else:
        forever = (f"from step {loop_start} the behaviour stays in its state forever, as no "
                   "fair action is enabled there")
    fairness = ("; fairness: " + ", ".join(g.describe() for g in model.fairness)
                if model.fairness else "; no fairness assumed, so any behaviour may stop")
    fn = prop.fn.__name__
    if prop.kind == "eventually":
        what = f"a fair behaviour never reaches a state satisfying {fn}"
    elif prop.kind == "always_eventually":
        what = f"a fair behaviour ends up never satisfying {fn} again"
    else:
        assert prop.goal is not None
        what = (f"{fn} holds at step {trigger}, but no later state of a fair behaviour "
                f"satisfies {prop.goal.__name__}")
    if prop.when is not None:
        what += f" from an initial state satisfying {prop.when.__name__}"
    return f"liveness {prop.name} is violated: {what}: {forever}{fairness}"


def _replay(run: Run, g: StateGraph, nodes: list[int], edges: list[int],
            loop_start: int | None) -> Trace:
    """Re-execute a path of the graph from its initial state into a trace, checking each
    state against the fingerprint the search stored for it."""
    model = run.model
    init_index = int(g.links[nodes[0]])
    inst = model.inits[init_index]
    s = inst.action.fn(run.cfg, *inst.args)
    states = [s]
    actions = []
    for step, (e, node) in enumerate(zip(edges, nodes[1:]), start=1):
        aid = int(g.actions(np.array([e]))[0])
        want = int(g.node_fps[node])
        try:
            s = model.step_to(aid, s, functools.partial(_has_fingerprint, want))
        except Exception as err:
            raise SpecRuntimeError(
                f"{model.instances[aid].label()} raised {type(err).__name__}: {err} while "
                "replaying a counterexample", function=model.instances[aid].label(),
                step=step) from err
        if s is None or fingerprint(s) != want:
            label = model.instances[aid].label()
            raise NondeterminismError(
                f"replaying a counterexample, step {step} ({label}) "
                f"{'is not enabled' if s is None else 'gives a state the search never saw'}"
                ": the spec is nondeterministic", function=label, step=step)
        states.append(s)
        actions.append(aid)
    return Trace.from_states(model, init_index, actions, states, loop_start)


def _has_fingerprint(want: int, state: Any) -> bool:
    return fingerprint(state) == want
