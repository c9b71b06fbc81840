"""Temporal properties on the complete state graph: liveness under fairness, always-possible.

A breadth-first search (:mod:`~modelcheck.explore.bfs`) with temporal properties records
its state graph as it goes (a :class:`GraphRecorder`: the fingerprint of every state, the
fingerprint and action of every transition, and the value of each temporal predicate in
each state), and once the search has explored everything, :func:`check` decides each
property on that graph.
Everything here is numpy arrays indexed by the store's state indices (compressed sparse
rows of edges, one bool array per predicate), with no Python object per state, so a graph
of a million states and ten million transitions fits in a few hundred megabytes.

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

**Always-possible** (CTL's ``AG EF p``) is backward reachability from the ``p`` states over
the reversed graph. A reachable state outside that set violates it; the one found first
by the breadth-first search has a shortest trace. Fairness plays no part.

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
    live = [p.name for p in model.temporal if p.kind in LIVENESS_KINDS]
    if live and model.canonical is not None:
        return (f"liveness properties ({', '.join(live)}) cannot be checked under symmetry "
                "reduction: fairness of an action instance is not preserved when states "
                "are renamed, so a fair cycle of the reduced graph need not be a fair "
                "behaviour (always-possible properties are sound under --symmetry); drop "
                "--symmetry" + fix)
    return None


# -- recording the graph during the search -----------------------------------------------


class GraphRecorder:
    """What the breadth-first search hands over for the temporal check, chunk by chunk.

    States are recorded in the store's discovery order, and expanded in that same order,
    so the successor counts of the expanded states are the rows of the edge table.
    """

    def __init__(self, run: Run) -> None:
        self.run = run
        preds: list[Callable[..., Any]] = []
        for p in run.model.temporal:
            for fn in (p.fn, p.goal):
                if fn is not None and fn not in preds:
                    preds.append(fn)
        self.predicates = preds
        self.names = {id(p.fn): semantics.describe(p, p.fn) for p in run.model.temporal}
        self.names.update({id(p.goal): semantics.describe(p, p.goal)
                           for p in run.model.temporal if p.goal})
        self.labels = [bytearray() for _ in preds]
        self.node_fps: list[npt.NDArray[np.int64]] = []
        self.edge_fps: list[npt.NDArray[np.int64]] = []
        self.edge_actions: list[npt.NDArray[Any]] = []
        self.counts = array("I")
        narrow = max(len(run.model.instances), 1) < 0xFFFF
        self.action_type = np.uint16 if narrow else np.uint32

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

    def edges(self, fps: npt.NDArray[np.int64], actions: Sequence[int]) -> None:
        """The successors of expanded states: fingerprints and action instances, in order."""
        self.edge_fps.append(fps)
        self.edge_actions.append(np.asarray(actions, dtype=self.action_type))

    def expanded(self, counts: Sequence[int]) -> None:
        """How many successors each expanded state has, in expansion order."""
        self.counts.extend(counts)

    def build(self, parents: Any, links: Any) -> StateGraph:
        """The graph as compressed rows, target fingerprints resolved to state indices.

        ``parents`` and ``links`` are the store's parent and action links (an initial
        state has no parent and links to its init).
        """
        node_fps = (np.concatenate(self.node_fps) if self.node_fps
                    else np.zeros(0, dtype=np.int64))
        n = len(node_fps)
        counts = np.frombuffer(self.counts, dtype=np.uint32)
        if len(counts) != n:
            raise AssertionError(f"{len(counts)} states expanded of {n} recorded")
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        order = np.argsort(node_fps, kind="stable")
        by_fp = node_fps[order]
        dst = np.empty(int(offsets[-1]), dtype=np.int32 if n < 2**31 else np.int64)
        at = 0
        # Resolve chunk by chunk, dropping each chunk's fingerprints, to bound the peak.
        while self.edge_fps:
            fps = self.edge_fps.pop(0)
            pos = np.searchsorted(by_fp, fps)
            np.minimum(pos, max(n - 1, 0), out=pos)
            if len(fps) and not (by_fp[pos] == fps).all():
                raise AssertionError("a successor's fingerprint is not in the store")
            dst[at:at + len(fps)] = order[pos]
            at += len(fps)
        act = (np.concatenate(self.edge_actions) if self.edge_actions
               else np.zeros(0, dtype=self.action_type))
        self.edge_actions = []
        parent_arr = np.frombuffer(parents, dtype=np.uint32)[:n]
        inits = np.flatnonzero(parent_arr == NO_PARENT)
        labels = {id(fn): np.frombuffer(bytes(out), dtype=np.bool_)
                  for fn, out in zip(self.predicates, self.labels)}
        link_type = np.uint16 if getattr(links, "typecode", "I") == "H" else np.uint32
        return StateGraph(n, offsets, dst, act, inits, labels, node_fps,
                          np.frombuffer(links, dtype=link_type)[:n])


@dataclass
class StateGraph:
    """The explored state graph: state ``i``'s transitions are ``dst[offsets[i]:offsets[i+1]]``
    by action instances ``act[...]``; ``inits`` are the initial states; ``labels`` maps a
    predicate (by ``id``) to its value in every state."""

    n: int
    offsets: IntArray
    dst: npt.NDArray[Any]
    act: npt.NDArray[Any]
    inits: IntArray
    labels: dict[int, BoolArray]
    node_fps: npt.NDArray[np.int64]
    links: npt.NDArray[Any]

    def label(self, fn: Callable[..., Any]) -> BoolArray:
        """The predicate ``fn`` in every state."""
        return self.labels[id(fn)]

    def sources(self) -> IntArray:
        """The source state of every edge (the rows expanded)."""
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.offsets))

    def out_edges(self, nodes: IntArray) -> tuple[IntArray, IntArray]:
        """The edge indices leaving ``nodes``, and the node each leaves from."""
        starts = self.offsets[nodes]
        lens = self.offsets[nodes + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ends = np.cumsum(lens)
        idx = np.arange(total, dtype=np.int64) - np.repeat(ends - lens - starts, lens)
        return idx, np.repeat(nodes, lens)

    def nbytes(self) -> int:
        """Bytes held by the graph's arrays."""
        return int(self.offsets.nbytes + self.dst.nbytes + self.act.nbytes + self.inits.nbytes
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
        idx, src = g.out_edges(frontier)
        d = g.dst[idx].astype(np.int64)
        ok = allowed[d] & (dist[d] < 0)
        d, idx, src = d[ok], idx[ok], src[ok]
        nxt, first = np.unique(d, return_index=True)
        dist[nxt] = level + 1
        pedge[nxt] = idx[first]
        pnode[nxt] = src[first]
        frontier = nxt
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


def _reverse_reach(g: StateGraph, goal: BoolArray) -> BoolArray:
    """The states from which some path reaches a ``goal`` state."""
    src = g.sources()
    order = np.argsort(g.dst, kind="stable")
    rsrc = src[order]
    roff = np.zeros(g.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(g.dst, minlength=g.n), out=roff[1:])
    seen = goal.copy()
    frontier = np.flatnonzero(goal)
    while len(frontier):
        starts = roff[frontier]
        lens = roff[frontier + 1] - starts
        total = int(lens.sum())
        if total == 0:
            break
        ends = np.cumsum(lens)
        idx = np.arange(total, dtype=np.int64) - np.repeat(ends - lens - starts, lens)
        pred = np.unique(rsrc[idx])
        frontier = pred[~seen[pred]]
        seen[frontier] = True
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
    idx, src = g.out_edges(nodes)
    dst = g.dst[idx].astype(np.int64)
    keep = mask[dst] & (dst != src)  # self-loops do not make a cycle of two states
    src, dst = src[keep], dst[keep]
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
    local = np.full(g.n, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    ls, ld = local[src], local[dst]
    order = np.argsort(ls, kind="stable")
    off = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(ls, minlength=len(nodes)), out=off[1:])
    found = _tarjan(len(nodes), off, ld[order])
    comp[nodes] = np.asarray(found, dtype=np.int64) + next_id
    return comp


def _tarjan(k: int, offsets: IntArray, targets: IntArray) -> array[int]:
    """Component ids of Tarjan's algorithm over rows ``targets[offsets[v]:offsets[v+1]]``.

    Iterative (no recursion limit), over ``array`` buffers that hold plain machine ints:
    a few bytes per state and per edge rather than a Python object each.
    """
    off = array("q", offsets.astype(np.int64).tobytes())
    tgt = array("q", targets.astype(np.int64).tobytes())
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
    """Fairness groups expanded to constraints: one per group, or one per instance of a
    per-instance group, each with its instances and kind."""

    def __init__(self, groups: Sequence[FairGroup], ninstances: int) -> None:
        pairs: list[tuple[int, int]] = []  # (instance, constraint)
        strong: list[bool] = []
        self.names: list[str] = []
        for group in groups:
            if group.per_instance:
                for inst in group.instances:
                    pairs.append((inst, len(strong)))
                    strong.append(group.kind == "strong")
                    self.names.append(group.name)
            else:
                for inst in group.instances:
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
        idx, src = g.out_edges(nodes)
        dst = g.dst[idx].astype(np.int64)
        moves = dst != src  # a stutter neither takes nor enables an action
        idx, src, dst = idx[moves], src[moves], dst[moves]
        pos, con = fair.expand(g.act[idx].astype(np.int64))
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
    constraint: takes a transition of each constraint taken inside it, or visits a state
    where it is disabled. Returns its states (ending at ``entry``) and edges; no edges
    means stuttering at ``entry``."""
    nodes = np.flatnonzero(members)
    idx, src = g.out_edges(nodes)
    dst = g.dst[idx].astype(np.int64)
    moves = dst != src
    idx, src, dst = idx[moves], src[moves], dst[moves]
    pos, con = fair.expand(g.act[idx].astype(np.int64))
    inside = members[dst[pos]]
    path_nodes = [entry]
    path_edges: list[int] = []
    cur = entry
    for k in range(fair.count):
        mine = con == k
        if not mine.any():
            continue  # disabled in every state of the component
        taking = np.unique(idx[pos[mine & inside]])
        if len(taking):
            if np.isin(path_edges, taking).any():
                continue
            sources = np.zeros(g.n, dtype=np.bool_)
            sources[src[pos[mine & inside]]] = True
            nodes_to, edges_to = _path_within(g, members, cur, sources)
            edge = _first_edge_from(g, nodes_to[-1], taking)
            path_nodes += nodes_to[1:] + [int(g.dst[edge])]
            path_edges += edges_to + [edge]
            cur = path_nodes[-1]
        else:
            enabled_at = np.zeros(g.n, dtype=np.bool_)
            enabled_at[src[pos[mine]]] = True
            disabled = members & ~enabled_at
            if disabled[path_nodes].any():
                continue
            nodes_to, edges_to = _path_within(g, members, cur, disabled)
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


def check(run: Run, graph: StateGraph) -> Violation | None:
    """Decide every temporal property of ``run``'s model on ``graph``; the first violated
    one (in declaration order) with its counterexample, or None."""
    model = run.model
    started = time.perf_counter()
    fair = _Fairness(model.fairness, len(model.instances))
    try:
        for prop in model.temporal:
            if prop.kind == "always_possible":
                violation = _always_possible(run, graph, prop)
            else:
                violation = _liveness(run, graph, fair, prop)
            if violation is not None:
                return violation
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


def _liveness(run: Run, graph: StateGraph, fair: _Fairness, prop: Property) -> Violation | None:
    g = graph
    everywhere = np.ones(g.n, dtype=np.bool_)
    level0 = np.full(g.n, -1, dtype=np.int64)
    level0[g.inits] = 0
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
    return f"liveness {prop.name} is violated: {what}: {forever}{fairness}"


def _replay(run: Run, g: StateGraph, nodes: list[int], edges: list[int],
            loop_start: int) -> Trace:
    """Re-execute a path of the graph from its initial state into a trace, checking each
    state against the fingerprint the search stored for it."""
    model = run.model
    init_index = int(g.links[nodes[0]])
    inst = model.inits[init_index]
    s = inst.action.fn(run.cfg, *inst.args)
    states = [s]
    actions = []
    for step, (e, node) in enumerate(zip(edges, nodes[1:]), start=1):
        aid = int(g.act[e])
        try:
            s = model.apply(aid, s)
        except Exception as err:
            raise SpecRuntimeError(
                f"{model.instances[aid].label()} raised {type(err).__name__}: {err} while "
                "replaying a counterexample", function=model.instances[aid].label(),
                step=step) from err
        if s is None or fingerprint(s) != int(g.node_fps[node]):
            label = model.instances[aid].label()
            raise NondeterminismError(
                f"replaying a counterexample, step {step} ({label}) "
                f"{'is not enabled' if s is None else 'gives a state the search never saw'}"
                ": the spec is nondeterministic", function=label, step=step)
        states.append(s)
        actions.append(aid)
    return Trace.from_states(model, init_index, actions, states, loop_start)
