"""The reachable state graph of a model: every state and transition, breadth-first.

Every reachable state gets a number (``0``, ``1`` ... in breadth-first order) and every
transition is an edge labelled with its action instance. Initial states, states that
violate an invariant (every invariant they violate, not only the first) and states with
no enabled action that are not terminal are recorded, judged as every search judges them
(:mod:`modelcheck.semantics`); a state outside the state constraints is recorded and judged
but not expanded. The graph is explored in full, past violations, with the
states themselves in memory: it is for models small enough to look at, so a graph above
a limit is refused. :mod:`modelcheck.render.graph` draws it; ``modelcheck graph`` is
the command.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from modelcheck import semantics
from modelcheck.errors import UsageError
from modelcheck.model import Model
from modelcheck.trace import Trace

__all__ = ["StateSpace", "reachable_graph"]


@dataclass(frozen=True)
class StateSpace:
    """The reachable states of a model and its transitions, by state number."""

    states: tuple[Any, ...]
    initial: frozenset[int]
    edges: tuple[tuple[int, int, int], ...]
    """``(source, target, action instance index)``."""
    violates: dict[int, tuple[str, ...]]
    deadlocks: frozenset[int]
    outside: frozenset[int] = frozenset()
    """States outside the state constraints: judged, but not expanded (no edges out)."""


def reachable_graph(model: Model, *, limit: int | None) -> StateSpace:
    """Every state reachable in ``model``, breadth-first; a UsageError above ``limit``.

    States are judged as every search judges them (:mod:`modelcheck.semantics`): a
    predicate or an action that misbehaves is a spec error naming it, with the trace to
    the state.
    """
    cfg = model.config
    ids: dict[Any, int] = {}
    states: list[Any] = []
    links: list[tuple[int, int]] = []  # (parent, action), or (-1, init) for an initial state
    queue: deque[int] = deque()

    def add(s: Any, link: tuple[int, int]) -> int:
        found = ids.get(s)
        if found is not None:
            return found
        if limit is not None and len(states) >= limit:
            raise UsageError(
                f"the state graph of {model.spec.name!r} has more than {limit:,} states, "
                "more than a graph viewer lays out legibly; pass --force to export it "
                "anyway, --max-states N to raise the limit, or make the model smaller "
                "with --param")
        ids[s] = len(states)
        states.append(s)
        links.append(link)
        queue.append(ids[s])
        return ids[s]

    initial = frozenset(add(s, (-1, i)) for i, s in semantics.initial_states(model))
    edges: list[tuple[int, int, int]] = []
    violates: dict[int, tuple[str, ...]] = {}
    deadlocks: set[int] = set()
    outside: set[int] = set()
    while queue:
        n = queue.popleft()
        s = states[n]
        try:
            # Every invariant a state violates is marked, not only the first.
            broken = tuple(p.name for p in model.invariants
                           if not semantics.holds(semantics.describe(p), p.fn, cfg, s))
            if semantics.within(model.constraints, cfg, (s,)) == [False]:
                outside.add(n)
                succs = []  # a state outside the state constraints is not expanded
            else:
                succs = semantics.successors(model, s)
                if not succs and semantics.deadlocked(model, s):
                    deadlocks.add(n)
        except semantics.Misbehaved as m:
            trace = _trace_to(model, states, links, n)
            raise semantics.spec_error(m.function, m.error, at=semantics.where(trace.length),
                                       trace=trace, step=trace.length) from m.error
        if broken:
            violates[n] = broken
        for aid, t in succs:
            edges.append((n, add(t, (n, aid)), aid))
    return StateSpace(tuple(states), initial, tuple(edges), violates, frozenset(deadlocks),
                      frozenset(outside))


def _trace_to(model: Model, states: list[Any], links: list[tuple[int, int]], n: int) -> Trace:
    """The trace along the breadth-first tree to state ``n``."""
    path: list[int] = []
    nodes = [n]
    while links[n][0] >= 0:
        path.append(links[n][1])
        n = links[n][0]
        nodes.append(n)
    path.reverse()
    nodes.reverse()
    return Trace.from_states(model, links[n][1], path, [states[k] for k in nodes])
