"""Property-based tests of the explorers on random finite transition systems.

Hypothesis draws a small directed graph whose edges are labelled by actions (each action
is a partial function node -> node), a set of initial nodes, a "bad" set (the invariant
is "the node is not bad"), and optionally a terminal set, a goal set (a ``sometimes``
property) and forbidden transitions (an action property). The test turns the graph into
a :class:`~modelcheck.Spec` and compares what the engine reports with an independent
textbook breadth-first search over the same graph, done here in plain Python:

* counts (TLC-style: ``generated`` = initial states + enabled (state, action instance)
  pairs over the expanded states), depth (states along a path) and exhaustiveness;
* the verdict, and for breadth-first search a *shortest* counterexample among all the
  violations the search can see (invariants, deadlocks, action properties), rebuilt
  along the textbook BFS tree;
* depth-first search agrees with breadth-first search on the verdict and the counts;
* every trace replays against the spec, ends in a violating state or transition, and
  survives a JSON round trip;
* ``max_depth=d`` explores exactly the states within ``d - 1`` steps of an initial state.

A second system adds a frozenset field to the state (each action toggles its own tag),
so states are non-trivial values.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import modelcheck.explore.bfs
import modelcheck.explore.parallel
from modelcheck import Record, Spec, SpecRuntimeError, Trace, bind, check, load_spec, replay
from modelcheck.properties.verdict import judge
from modelcheck.result import Result

if TYPE_CHECKING:
    from conftest import CliResult

SCALE = int(os.environ.get("MODELCHECK_RANDOM_SCALE", "1"))
"""Multiplies every ``max_examples``: ``MODELCHECK_RANDOM_SCALE=50`` for a long soak."""


# -- random graphs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Graph:
    """A random labelled graph and the properties checked on it.

    ``init_args`` is the domain of the init's parameter: a non-negative value is the
    initial node, a negative one makes the init return None (no initial state); values
    may repeat (the same initial state generated twice).
    """

    n: int
    actions: tuple[dict[int, int], ...]
    init_args: tuple[int, ...]
    bad: frozenset[int]
    terminal: frozenset[int] | None = None
    goal: frozenset[int] | None = None
    forbidden: frozenset[tuple[int, int]] | None = None
    parameterised: bool = False
    tagged: bool = False
    """The state also holds a frozenset of action tags; action ``i`` toggles tag ``i``."""
    bad_tags: frozenset[int] = frozenset()
    """With ``tagged``: a state is bad when its node is bad and its tags equal these."""


@st.composite
def graphs(draw: st.DrawFn, *, max_nodes: int = 30, max_actions: int = 4,
           tagged: bool = False, forbidden: bool = False) -> Graph:
    n = draw(st.integers(1, max_nodes))
    node = st.integers(0, n - 1)
    k = draw(st.integers(1, max_actions))
    if draw(st.booleans()):  # sparse: a few edges per action
        actions = tuple(draw(st.dictionaries(node, node, max_size=n)) for _ in range(k))
    else:  # dense: each node has a successor or none, so reachable sets are larger
        actions = tuple(
            {a: b for a, b in enumerate(draw(st.lists(st.none() | node, min_size=n,
                                                      max_size=n))) if b is not None}
            for _ in range(k))
    init_args = tuple(draw(st.lists(st.integers(-1, n - 1), min_size=1, max_size=4)))
    bad = frozenset(draw(st.sets(node, max_size=max(1, n // 4))))
    terminal = draw(st.none() | st.frozensets(node, max_size=n))
    goal = draw(st.none() | st.frozensets(node, min_size=1, max_size=3))
    forb = None
    if forbidden:
        forb = draw(st.frozensets(st.tuples(node, node), max_size=2 * n))
        # Also forbid a few transitions that exist, so violations are common.
        edges = sorted({(a, b) for t in actions for a, b in t.items()})
        if edges:
            forb |= frozenset(draw(st.lists(st.sampled_from(edges), max_size=3)))
    bad_tags = frozenset(draw(st.sets(st.integers(0, k - 1)))) if tagged else frozenset()
    return Graph(n, actions, init_args, bad, terminal, goal, forb,
                 parameterised=draw(st.booleans()), tagged=tagged, bad_tags=bad_tags)


# -- the spec built from a graph ------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The random specs have no real parameter; a config needs one defaulted field."""

    k: int = 0


class Node(Record):
    """The state of a plain graph: the current node."""

    node: int


class Tagged(Record):
    """The state of a tagged graph: the current node and the set of toggled tags."""

    node: int
    tags: frozenset[int]


X = Hashable
"""An abstract state of the oracle: a node, or (node, tags) for a tagged graph."""


def _plain_action(table: dict[int, int]) -> Callable[[Config, Node], Node | None]:
    def fn(cfg: Config, s: Node) -> Node | None:
        t = table.get(s.node)
        return None if t is None else Node(t)
    return fn


def _tagged_action(table: dict[int, int], tag: int) -> Callable[[Config, Tagged], Tagged | None]:
    def fn(cfg: Config, s: Tagged) -> Tagged | None:
        t = table.get(s.node)
        return None if t is None else Tagged(t, s.tags ^ {tag})
    return fn


def build_spec(g: Graph) -> Spec:
    """The spec of ``g``: one init, one action per table (or one parameterised action)."""
    state: type = Tagged if g.tagged else Node
    spec = Spec("random-graph", Config, state, doc="A random graph.")
    tables = g.actions

    @spec.init(n=g.init_args)
    def init(cfg: Config, n: int) -> Any:
        if n < 0:
            return None
        return Tagged(n, frozenset()) if g.tagged else Node(n)

    if g.parameterised:
        if g.tagged:
            @spec.action(k=range(len(tables)))
            def step(cfg: Config, s: Any, k: int) -> Any:
                t = tables[k].get(s.node)
                return None if t is None else Tagged(t, s.tags ^ {k})
        else:
            @spec.action(k=range(len(tables)))
            def step(cfg: Config, s: Any, k: int) -> Any:
                t = tables[k].get(s.node)
                return None if t is None else Node(t)
    else:
        for i, table in enumerate(tables):
            fn = _tagged_action(table, i) if g.tagged else _plain_action(table)
            spec.action(name=f"a{i}")(fn)

    bad, bad_tags = g.bad, g.bad_tags

    if g.tagged:
        @spec.always
        def not_bad(cfg: Config, s: Any) -> bool:
            return not (s.node in bad and s.tags == bad_tags)
    else:
        @spec.always
        def not_bad(cfg: Config, s: Any) -> bool:
            return s.node not in bad

    if g.terminal is not None:
        terminal = g.terminal

        @spec.terminal
        def done(cfg: Config, s: Any) -> bool:
            return s.node in terminal

    if g.goal is not None:
        goal = g.goal

        @spec.sometimes
        def reaches_goal(cfg: Config, s: Any) -> bool:
            return s.node in goal

    if g.forbidden is not None:
        forbidden = g.forbidden

        @spec.action_property
        def allowed_step(cfg: Config, before: Any, after: Any) -> bool:
            return (before.node, after.node) not in forbidden

    return spec


def abstract(g: Graph, s: Any) -> X:
    """The oracle's view of an engine state."""
    return (s.node, s.tags) if g.tagged else s.node


def node_of(g: Graph, x: X) -> int:
    return x[0] if g.tagged else x  # type: ignore[index,return-value]


# -- the independent oracle -----------------------------------------------------------------


def initial(g: Graph) -> list[X]:
    """The initial states in init-instance order, repeats included."""
    return [(a, frozenset()) if g.tagged else a for a in g.init_args if a >= 0]


def successors(g: Graph, x: X) -> list[tuple[int, X]]:
    """(action instance index, successor) in instance order."""
    out: list[tuple[int, X]] = []
    n = node_of(g, x)
    for i, table in enumerate(g.actions):
        if n in table:
            y = (table[n], x[1] ^ {i}) if g.tagged else table[n]  # type: ignore[index]
            out.append((i, y))
    return out


def is_bad(g: Graph, x: X) -> bool:
    n = node_of(g, x)
    if g.tagged:
        return n in g.bad and x[1] == g.bad_tags  # type: ignore[index]
    return n in g.bad


@dataclass
class Oracle:
    """A textbook queue-based BFS of the whole reachable graph."""

    g: Graph
    order: list[X] = field(default_factory=list)
    dist: dict[X, int] = field(default_factory=dict)
    parent: dict[X, tuple[X, int] | None] = field(default_factory=dict)
    succ: dict[X, list[tuple[int, X]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        g = self.g
        for x in initial(g):
            if x not in self.dist:
                self.dist[x], self.parent[x] = 0, None
                self.order.append(x)
        i = 0
        while i < len(self.order):
            x = self.order[i]
            i += 1
            self.succ[x] = successors(g, x)
            for a, y in self.succ[x]:
                if y not in self.dist:
                    self.dist[y], self.parent[y] = self.dist[x] + 1, (x, a)
                    self.order.append(y)

    def path(self, x: X) -> list[tuple[int | None, X]]:
        """(instance that led here, state) from an initial state to ``x`` along the tree."""
        out: list[tuple[int | None, X]] = []
        link: tuple[X, int] | None
        while (link := self.parent[x]) is not None:
            out.append((link[1], x))
            x = link[0]
        out.append((None, x))
        return out[::-1]

    @property
    def max_dist(self) -> int:
        return max(self.dist.values(), default=-1)


@dataclass(frozen=True)
class Candidate:
    """A violation the search can see: its trace length, kind, and where it is."""

    length: int
    kind: str
    state: X
    """The violating state (for an action property: the state before the step)."""
    step: tuple[int, X] | None = None
    """For an action property: the instance and the state after the step."""


PROPERTY = {"invariant": "not_bad", "deadlock": "deadlock", "action": "allowed_step",
            "sometimes": "reaches_goal"}


@dataclass(frozen=True)
class Expected:
    """What a search with a given depth bound and deadlock switch must report."""

    candidates: list[Candidate]
    """Every visible violation, each kind in BFS discovery order."""
    status: str
    kind: str | None
    length: int | None
    distinct: int
    generated: int
    depth: int
    exhaustive: bool

    def kinds_at_min(self) -> set[str]:
        return {c.kind for c in self.candidates if c.length == self.length}

    def first(self, o: Oracle) -> Candidate:
        """The violation of minimal length that a textbook search meets first: it expands
        the states in discovery order and, for each successor in turn, checks the action
        property on the transition, then the invariant on the successor if it is new; a
        deadlock when it expands a state with no successor (so after the states one step
        nearer the initial ones, which are as far from them as its own violations are)."""
        rank = {x: i for i, x in enumerate(o.order)}

        def met(c: Candidate) -> tuple[int, int, int]:
            if c.kind == "action":
                assert c.step is not None
                return rank[c.state], o.succ[c.state].index(c.step), 0
            if c.kind == "deadlock":
                return rank[c.state], 0, 0
            link = o.parent[c.state]
            if link is None:  # an initial state: checked as the search starts
                return -1, rank[c.state], 1
            before = link[0]
            return rank[before], [y for _, y in o.succ[before]].index(c.state), 1

        return min((c for c in self.candidates if c.length == self.length), key=met)


def expect(o: Oracle, *, deadlock: bool, max_depth: int | None = None) -> Expected:
    """The semantics: the states within ``max_depth - 1`` steps are stored, their
    invariants checked, and they are all expanded (the last level too, so its deadlocks
    and outgoing transitions are checked); the bound cut the search short only when some
    state lies ``max_depth`` steps away. A violation is reported with a shortest trace."""
    g = o.g
    limit = None if max_depth is None else max_depth - 1
    within = [x for x in o.order if limit is None or o.dist[x] <= limit]
    expanded = within
    cands = [Candidate(o.dist[x], "invariant", x) for x in within if is_bad(g, x)]
    if g.forbidden is not None:
        cands += [Candidate(o.dist[x] + 1, "action", x, (a, y))
                  for x in expanded for a, y in o.succ[x]
                  if (node_of(g, x), node_of(g, y)) in g.forbidden]
    if deadlock:
        cands += [Candidate(o.dist[x], "deadlock", x) for x in expanded
                  if not o.succ[x] and not (g.terminal is not None
                                            and node_of(g, x) in g.terminal)]
    cut = limit is not None and o.max_dist > limit
    distinct = len(within)
    generated = len(initial(g)) + sum(len(o.succ[x]) for x in expanded)
    depth = max((o.dist[x] + 1 for x in within), default=0)
    if cands:
        length = min(c.length for c in cands)
        kind = None
        status = "violation"
    elif not cut and g.goal is not None and not any(node_of(g, x) in g.goal for x in within):
        length, kind, status = None, "sometimes", "violation"
    else:
        length, kind, status = None, None, "ok"
    return Expected(cands, status, kind, length, distinct, generated, depth, not cut)


# -- checks on results and traces -----------------------------------------------------------


def instance_step(g: Graph, a: int) -> tuple[str, dict[str, Any]]:
    """The trace step (action name, args) of action instance ``a``."""
    return ("step", {"k": a}) if g.parameterised else (f"a{a}", {})


def check_trace(g: Graph, spec: Spec, result: Result) -> list[Any]:
    """The trace replays, ends in a violation of the reported property, and round-trips."""
    v = result.violation
    assert v is not None
    trace = v.trace
    assert trace is not None
    assert trace.length == len(trace.steps) - 1
    model = bind(spec)
    states = replay(model, trace)
    assert trace.states is not None
    assert list(trace.states) == states
    assert len(states) == trace.length + 1
    again = Trace.from_json(json.loads(json.dumps(trace.to_json())))
    assert again == trace
    assert again.to_json() == trace.to_json()
    assert replay(model, again) == states
    assert trace.steps[0].action == "init"
    assert trace.steps[0].args == {"n": node_of(g, abstract(g, states[0]))}
    cfg = model.config
    last = states[-1]
    if v.kind == "invariant":
        assert spec.property("not_bad").fn(cfg, last) is False
    elif v.kind == "deadlock":
        assert all(model.apply(i.index, last) is None for i in model.instances)
        assert spec.terminal_fn is None or spec.terminal_fn(cfg, last) is False
    elif v.kind == "action":
        assert trace.length >= 1
        assert spec.property("allowed_step").fn(cfg, states[-2], last) is False
    else:  # pragma: no cover - a sometimes violation has no trace
        raise AssertionError(v.kind)
    return states


def check_bfs(g: Graph, spec: Spec, o: Oracle, r: Result, e: Expected) -> None:
    """The BFS result matches the oracle exactly."""
    assert r.strategy == "bfs"
    assert r.status == e.status, (r.status, r.violation, e)
    if e.status == "ok" or e.kind == "sometimes":
        assert r.exhaustive == e.exhaustive
        assert (r.stopped is None) == e.exhaustive
        assert r.stats.distinct_states == e.distinct
        assert r.stats.generated_states == e.generated
        assert r.stats.depth == e.depth
        if e.kind == "sometimes":
            assert r.violation is not None
            assert (r.violation.kind, r.violation.property) == ("sometimes", "reaches_goal")
            assert r.violation.trace is None
        else:
            assert r.violation is None
        return
    v = r.violation
    assert v is not None
    assert r.exhaustive is False
    assert v.trace is not None
    assert v.property == PROPERTY[v.kind]
    states = check_trace(g, spec, r)
    # The rule: the reported trace is a shortest one among all the violations.
    assert v.trace.length == e.length, (v.kind, v.trace.length, e.length, e.candidates)
    c = e.first(o)
    assert v.kind == c.kind, (v.kind, c)
    # States are discovered in textbook BFS order: the trace leads along the BFS tree to
    # the first violation a textbook search meets, whatever the size of the batches.
    want = o.path(c.state)
    if c.step is not None:
        want.append(c.step)
    assert [abstract(g, s) for s in states] == [x for _, x in want]
    for step, (a, _) in zip(v.trace.steps[1:], want[1:]):
        assert a is not None
        assert (step.action, dict(step.args)) == instance_step(g, a)
    assert v.trace.steps[0].args == {"n": node_of(g, want[0][1])}


def check_dfs(g: Graph, spec: Spec, bfs: Result, r: Result, e: Expected,
              max_depth: int | None = None) -> None:
    """DFS agrees with BFS on the verdict, and its counterexamples are genuine."""
    assert r.strategy == "dfs"
    assert r.status == bfs.status == e.status, (r.status, r.violation, bfs.status, e)
    if e.status == "ok" or e.kind == "sometimes":
        assert r.stats.distinct_states == bfs.stats.distinct_states
        assert r.exhaustive == bfs.exhaustive
        if max_depth is None:
            assert r.stats.generated_states == bfs.stats.generated_states
        assert (r.violation is None) == (bfs.violation is None)
        if r.violation is not None:
            assert r.violation.property == bfs.violation.property  # type: ignore[union-attr]
        return
    v = r.violation
    assert v is not None and v.trace is not None
    kinds = {c.kind for c in e.candidates}
    assert v.kind in kinds, (v.kind, kinds)
    if len(kinds) == 1:
        assert bfs.violation is not None and v.property == bfs.violation.property
    assert v.property == PROPERTY[v.kind]
    assert v.trace.length >= min(c.length for c in e.candidates if c.kind == v.kind)
    if max_depth is not None:
        assert v.trace.length <= max_depth - (v.kind != "action")
    check_trace(g, spec, r)


def run_both(g: Graph, *, deadlock: bool, max_depth: int | None = None,
             chunk: int | None = None) -> None:
    """Check ``g`` with both strategies; ``chunk`` shrinks BFS's batches so that levels
    span several of them, as they do on large specs."""
    spec = build_spec(g)
    o = Oracle(g)
    e = expect(o, deadlock=deadlock, max_depth=max_depth)
    batches = (mock.patch.object(modelcheck.explore.bfs, "CHUNK", chunk) if chunk
               else contextlib.nullcontext())
    with batches:
        # as found: the oracle knows the textbook BFS order the trace must follow
        bfs = check(spec, strategy="bfs", deadlock=deadlock, max_depth=max_depth,
                    fewer_switches=False)
        # as reported: reordered to switch between nodes less, still a shortest real
        # execution ending in a violation of the same property
        shown = check(spec, strategy="bfs", deadlock=deadlock, max_depth=max_depth)
    check_bfs(g, spec, o, bfs, e)
    if bfs.violation is not None and bfs.violation.trace is not None:
        v, w = bfs.violation, shown.violation
        assert w is not None and w.trace is not None
        assert (w.kind, w.property, w.trace.length) == (v.kind, v.property, v.trace.length)
        check_trace(g, spec, shown)
    dfs = check(spec, strategy="dfs", deadlock=deadlock, max_depth=max_depth)
    check_dfs(g, spec, bfs, dfs, e, max_depth)


CHUNKS = st.sampled_from([None, 1, 2, 3])
"""BFS batch sizes: the real one, or small ones so that a level spans several batches."""

FAST = settings(max_examples=150 * SCALE, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


# -- the properties -------------------------------------------------------------------------


@FAST
@given(graphs(), CHUNKS)
@pytest.mark.slow
def test_counts_and_invariants_without_deadlock_checking(g: Graph, chunk: int | None) -> None:
    run_both(g, deadlock=False, chunk=chunk)


@FAST
@given(graphs(), CHUNKS)
@pytest.mark.slow
def test_deadlocks_and_invariants(g: Graph, chunk: int | None) -> None:
    run_both(g, deadlock=True, chunk=chunk)


@FAST
@given(graphs(), st.booleans(), CHUNKS, st.data())
@pytest.mark.slow
def test_depth_bound(g: Graph, deadlock: bool, chunk: int | None, data: st.DataObject) -> None:
    # A bound around the depth of the graph: cut short, just enough, or not binding.
    depth = Oracle(g).max_dist + 1
    max_depth = data.draw(st.integers(1, max(1, depth + 1)), label="max_depth")
    run_both(g, deadlock=deadlock, max_depth=max_depth, chunk=chunk)


@settings(max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(max_nodes=12, max_actions=3, tagged=True), st.booleans(),
       st.none() | st.integers(1, 10), CHUNKS)
@pytest.mark.slow
def test_frozenset_states(g: Graph, deadlock: bool, max_depth: int | None,
                          chunk: int | None) -> None:
    run_both(g, deadlock=deadlock, max_depth=max_depth, chunk=chunk)


@FAST
@given(graphs(forbidden=True), st.booleans(), CHUNKS)
@pytest.mark.slow
def test_action_property(g: Graph, deadlock: bool, chunk: int | None) -> None:
    run_both(g, deadlock=deadlock, chunk=chunk)


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(forbidden=True, tagged=True, max_nodes=10, max_actions=3), st.booleans(),
       st.none() | st.integers(1, 8), CHUNKS)
@pytest.mark.slow
def test_action_property_tagged_and_bounded(g: Graph, deadlock: bool, max_depth: int | None,
                                            chunk: int | None) -> None:
    run_both(g, deadlock=deadlock, max_depth=max_depth, chunk=chunk)


def check_parallel(g: Graph, spec: Spec, r: Result, e: Expected) -> None:
    """Search in worker processes matches the oracle: the same counts, or a shortest
    counterexample (its discovery order, and so which one of equal length, may differ)."""
    assert r.status == e.status, (r.status, r.violation, e)
    if e.status == "ok" or e.kind == "sometimes":
        assert (r.exhaustive, r.stats.distinct_states, r.stats.generated_states,
                r.stats.depth) == (e.exhaustive, e.distinct, e.generated, e.depth)
        assert (r.violation is None) == (e.kind != "sometimes")
        return
    v = r.violation
    assert v is not None and v.trace is not None
    assert v.property == PROPERTY[v.kind]
    assert v.trace.length == e.length, (v.kind, v.trace.length, e.length, e.candidates)
    assert v.kind in e.kinds_at_min(), (v.kind, e.kinds_at_min())
    check_trace(g, spec, r)


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(forbidden=True, tagged=True, max_nodes=16, max_actions=3), st.booleans(),
       st.none() | st.integers(1, 8), st.sampled_from([1, 2, 5]), st.sampled_from([2, 3]))
@pytest.mark.slow
def test_parallel_workers(g: Graph, deadlock: bool, max_depth: int | None, chunk: int,
                          workers: int) -> None:
    spec = build_spec(g)
    e = expect(Oracle(g), deadlock=deadlock, max_depth=max_depth)
    with mock.patch.object(modelcheck.explore.parallel, "CHUNK", chunk):
        r = check(spec, deadlock=deadlock, max_depth=max_depth, workers=workers)
    check_parallel(g, spec, r, e)


# -- the oracle itself, on hand-checked graphs --------------------------------------------


def _line(n: int, bad: Sequence[int] = ()) -> Graph:
    return Graph(n, ({i: i + 1 for i in range(n - 1)},), (0,), frozenset(bad))


def test_oracle_on_a_line() -> None:
    o = Oracle(_line(4))
    assert o.order == [0, 1, 2, 3]
    e = expect(o, deadlock=False)
    assert (e.status, e.distinct, e.generated, e.depth, e.exhaustive) == ("ok", 4, 4, 4, True)
    e = expect(o, deadlock=True)
    assert (e.status, e.length, e.kinds_at_min()) == ("violation", 3, {"deadlock"})
    e = expect(o, deadlock=False, max_depth=2)
    assert (e.status, e.distinct, e.generated, e.depth, e.exhaustive) == ("ok", 2, 3, 2, False)
    e = expect(o, deadlock=False, max_depth=4)
    assert (e.status, e.distinct, e.generated, e.depth, e.exhaustive) == ("ok", 4, 4, 4, True)
    e = expect(o, deadlock=True, max_depth=3)
    assert (e.status, e.distinct, e.exhaustive) == ("ok", 3, False)
    e = expect(o, deadlock=True, max_depth=4)
    assert (e.status, e.length) == ("violation", 3)
    r = check(build_spec(_line(4)), deadlock=False)
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (4, 4, 4)
    r = check(build_spec(_line(4, bad=[2])), deadlock=True)
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.kind, r.violation.trace.length) == ("invariant", 2)


# -- regression tests for the engine bugs the random tests found ----------------------------


def _spec_from_edges(edges: dict[tuple[int, int], int], inits: Sequence[int],
                     actions: int) -> Spec:
    """A spec whose action ``a{i}`` maps node ``n`` to ``edges[n, i]`` when present."""
    g = Graph(0, tuple({n: t for (n, i), t in edges.items() if i == a} for a in range(actions)),
              tuple(inits), frozenset())
    return build_spec(g)


def test_bfs_reports_a_deadlock_shorter_than_an_action_violation() -> None:
    # Initial states 0 and 1; 0 -a0-> 0 is forbidden (1 step), 1 is a deadlock (0 steps).
    g = Graph(2, ({0: 0},), (0, 1), frozenset(), forbidden=frozenset({(0, 0)}))
    r = check(build_spec(g), strategy="bfs", deadlock=True)
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.kind, r.violation.trace.length) == ("deadlock", 0)


def test_dfs_depth_bound_is_exhaustive_when_nothing_lies_beyond_it() -> None:
    # 0 -a0-> 1 -a0-> 4 and 0 -a1-> 2 -a0-> 3 -a0-> 4: every state is within 2 steps.
    # DFS follows 0, 2, 3 first; at the bound (3 states deep) 3's successor 4 is not
    # stored yet, but it is stored next, from 1, 2 steps away.
    spec = _spec_from_edges({(0, 0): 1, (0, 1): 2, (2, 0): 3, (3, 0): 4, (1, 0): 4},
                            (0,), 2)
    bfs = check(spec, strategy="bfs", max_depth=3, deadlock=False)
    assert (bfs.status, bfs.exhaustive, bfs.stats.distinct_states) == ("ok", True, 5)
    dfs = check(spec, strategy="dfs", max_depth=3, deadlock=False)
    assert (dfs.status, dfs.stats.distinct_states) == ("ok", 5)
    assert dfs.exhaustive is True, dfs.stopped


# -- one meaning of a violation: every strategy and replay, with misbehaving predicates -----
#
# The system is tests/specs_random/graph.py, a spec module whose config holds the graph as
# JSON (so the same system runs on Dask workers and from the command line). Predicates may
# misbehave on some nodes or steps: raise, or return 1, None or "yes". An outcome is
# ("ok",), ("violation", kind, property) or ("error", function). The oracle computes
# exactly what single-process BFS reports (a level fits one chunk), and the outcomes each
# other strategy may report: any event of the reachable graph for a depth-first search or
# random walks, the events of the first level that surely has one for a level-synchronous
# search (--workers, Dask). Every strategy must report one of those, with the exit code of
# its kind, and a replay of the trace it reports must judge it alike.

GRAPH_SPEC = str(Path(__file__).parent / "specs_random" / "graph.py")
HOW = st.sampled_from(["raise", "int", "none", "str"])
INVARIANT, TERMINAL = ("error", "invariant not_bad"), ("error", "terminal predicate done")
SOMETIMES, STEP = ("error", "sometimes goal reaches_goal"), ("error",
                                                             "action property allowed_step")
EXIT = {"ok": 0, "violation": 1, "error": 2}

Outcome = tuple[str, ...]


@dataclass(frozen=True)
class Odd:
    """Where predicates misbehave, and how."""

    invariant: dict[int, str] = field(default_factory=dict)
    terminal: dict[int, str] = field(default_factory=dict)
    sometimes: dict[int, str] = field(default_factory=dict)
    step: dict[tuple[int, int], str] = field(default_factory=dict)


@st.composite
def odd_systems(draw: st.DrawFn, max_nodes: int = 12) -> tuple[Graph, Odd]:
    g = draw(graphs(max_nodes=max_nodes, max_actions=3, forbidden=True))
    node = st.integers(0, g.n - 1)
    edges = sorted({(a, b) for t in g.actions for a, b in t.items()})
    sparse = {"max_size": 2}
    odd = Odd(draw(st.dictionaries(node, HOW, **sparse)),
              draw(st.dictionaries(node, HOW, **sparse)),
              draw(st.dictionaries(node, HOW, **sparse)),
              draw(st.dictionaries(st.sampled_from(edges), HOW, **sparse)) if edges else {})
    return g, odd


def system_json(g: Graph, odd: Odd) -> str:
    return json.dumps({
        "actions": [sorted(t.items()) for t in g.actions], "inits": list(g.init_args),
        "bad": sorted(g.bad), "terminal": sorted(g.terminal or ()),
        "goal": None if g.goal is None else sorted(g.goal),
        "forbidden": sorted(g.forbidden or ()),
        "odd": {"invariant": {str(k): v for k, v in odd.invariant.items()},
                "terminal": {str(k): v for k, v in odd.terminal.items()},
                "sometimes": {str(k): v for k, v in odd.sometimes.items()},
                "step": {f"{a},{b}": v for (a, b), v in odd.step.items()}}})


class _Judge:
    """What each predicate of the system says: True, False or "odd"."""

    def __init__(self, g: Graph, odd: Odd) -> None:
        self.g, self.odd = g, odd

    def inv(self, x: int) -> bool | str:
        return "odd" if x in self.odd.invariant else x not in self.g.bad

    def term(self, x: int) -> bool | str:
        return "odd" if x in self.odd.terminal else x in (self.g.terminal or ())

    def goal(self, x: int) -> bool | str:
        return "odd" if x in self.odd.sometimes else (self.g.goal is None or x in self.g.goal)

    def step(self, x: int, y: int) -> bool | str:
        return "odd" if (x, y) in self.odd.step else (x, y) not in (self.g.forbidden or ())


def _inv_outcome(v: bool | str) -> Outcome:
    return INVARIANT if v == "odd" else ("violation", "invariant", "not_bad")


def _step_outcome(v: bool | str) -> Outcome:
    return STEP if v == "odd" else ("violation", "action", "allowed_step")


def _term_outcome(v: bool | str) -> Outcome:
    return TERMINAL if v == "odd" else ("violation", "deadlock", "deadlock")


def bfs_outcome(g: Graph, odd: Odd, deadlock: bool) -> Outcome:
    """What single-process BFS reports, each level being one chunk: a level's
    transitions are checked as they are generated, then its deadlocks, then the new
    states, state by state. When a transition violates an action property, the level's
    deadlocks come first, then the new states met before that transition."""
    j = _Judge(g, odd)
    pending = [True]

    def admit(states: list[int]) -> Outcome | None:
        limit = next((k for k, x in enumerate(states) if j.inv(x) is not True), len(states))
        if pending[0]:
            for x in states[:limit]:
                v = j.goal(x)
                if v == "odd":
                    return SOMETIMES
                if v is True:
                    pending[0] = False
                    break
        return _inv_outcome(j.inv(states[limit])) if limit < len(states) else None

    def deadlocks(level: list[int]) -> Outcome | None:
        for x in level:
            if deadlock and not successors(g, x) and j.term(x) is not True:
                return _term_outcome(j.term(x))
        return None

    stored: set[int] = set()
    level: list[int] = []
    for x in initial(g):
        if x not in stored:
            stored.add(x)
            level.append(x)  # type: ignore[arg-type]
    found = admit(level)
    while found is None and level:
        for at, x in enumerate(level):
            for k, (_, y) in enumerate(successors(g, x)):
                v = j.step(x, y)  # type: ignore[arg-type]
                if v == "odd":
                    return STEP
                if v is False:
                    met = [z for w in level[:at] for _, z in successors(g, w)]
                    met += [z for _, z in successors(g, x)[:k]]
                    new = [z for z in dict.fromkeys(met) if z not in stored]
                    return deadlocks(level) or admit(new) or _step_outcome(v)
        found = deadlocks(level)
        if found is None:
            new = []
            for x in level:
                for _, y in successors(g, x):
                    if y not in stored:
                        stored.add(y)  # type: ignore[arg-type]
                        new.append(y)
            level = new  # type: ignore[assignment]
            found = admit(level)
    if found is not None:
        return found
    # The spec always has its goal (null accepts every node): no state at all misses it.
    return ("violation", "sometimes", "reaches_goal") if pending[0] else ("ok",)


@dataclass(frozen=True)
class Allowed:
    """The outcomes a strategy may report: ``events``, and ``quiet`` (what a search that
    meets none of them reports) when it may meet none."""

    events: frozenset[Outcome]
    quiet: Outcome | None


def allowed(g: Graph, odd: Odd, deadlock: bool, *, levels: bool) -> Allowed:
    """The outcomes of an exhaustive search in any order (``levels``: level by level, as
    --workers and Dask search). A ``sometimes`` goal that misbehaves on a node is asked
    there only while no node has met it, which depends on the order: such an event is
    certain only when no node that meets the goal can come first (in any order: none is
    reachable; level by level: none is nearer)."""
    o, j = Oracle(g), _Judge(g, odd)
    reach = o.order
    met_at = min((o.dist[x] for x in reach if j.goal(x) is True), default=None)  # type: ignore[arg-type]
    by_slot: dict[int, set[Outcome]] = {}
    certain: set[int] = set()

    def add(slot: int, outcome: Outcome, sure: bool = True) -> None:
        by_slot.setdefault(slot, set()).add(outcome)
        if sure:
            certain.add(slot)
    for x in reach:
        d = o.dist[x]
        if j.inv(x) is not True:  # type: ignore[arg-type]
            add(d - 1, _inv_outcome(j.inv(x)))  # type: ignore[arg-type]
        if j.goal(x) == "odd":  # type: ignore[arg-type]
            if not levels:  # any order: asked unless a goal node came first
                add(d - 1, SOMETIMES, sure=met_at is None)
            elif met_at is None or met_at >= d:  # level by level: unless one came before
                add(d - 1, SOMETIMES, sure=met_at is None or met_at > d)
        for _, y in o.succ[x]:
            if j.step(x, y) is not True:  # type: ignore[arg-type]
                add(d, _step_outcome(j.step(x, y)))  # type: ignore[arg-type]
        if deadlock and not o.succ[x] and j.term(x) is not True:  # type: ignore[arg-type]
            add(d, _term_outcome(j.term(x)))  # type: ignore[arg-type]
    quiet: Outcome = ("violation", "sometimes", "reaches_goal") if met_at is None else ("ok",)
    if not levels:
        events = frozenset(e for es in by_slot.values() for e in es)
        return Allowed(events, None if certain else quiet)
    first = min(certain, default=None)
    events = frozenset(e for slot, es in by_slot.items() if first is None or slot <= first
                       for e in es)
    return Allowed(events, quiet if first is None else None)


def outcome_of(r: Result) -> Outcome:
    if r.status == "ok":
        return ("ok",)
    if r.status == "error":
        return ("error", r.details["exception"].function)
    assert r.violation is not None
    return ("violation", r.violation.kind, r.violation.property)


def check_agreement(r: Result, model: Any, want: Allowed | Outcome, deadlock: bool) -> None:
    """``r`` is an allowed outcome with its exit code, and its trace replays to it."""
    got = outcome_of(r)
    if isinstance(want, Allowed):
        assert got in want.events or got == want.quiet, (r.strategy, got, want)
    else:
        assert got == want, (r.strategy, got, want)
    assert r.exit_code == EXIT[got[0]]
    if r.violation is not None and r.violation.trace is not None:
        trace = r.violation.trace
        verdict = judge(model, trace, replay(model, trace), deadlock=deadlock)
        assert (verdict.kind, verdict.property) == got[1:], (r.strategy, verdict, got)
    elif got[0] == "error" and got[1] in (INVARIANT[1], TERMINAL[1]):
        # The spec error's trace leads to the state it names; replaying it says so too.
        trace = r.details["exception"].trace
        assert trace is not None
        with pytest.raises(SpecRuntimeError) as caught:
            judge(model, trace, replay(model, trace), deadlock=deadlock)
        assert caught.value.function == got[1]


def run_all_strategies(g: Graph, odd: Odd, deadlock: bool, *, cli_result: CliResult,
                       scheduler: str | None = None) -> None:
    spec = load_spec(GRAPH_SPEC)
    params = {"graph": system_json(g, odd)}
    model = bind(spec, params=params)
    anywhere = allowed(g, odd, deadlock, levels=False)
    bfs = check(spec, params=params, deadlock=deadlock)
    check_agreement(bfs, model, bfs_outcome(g, odd, deadlock), deadlock)
    assert outcome_of(bfs) in anywhere.events or outcome_of(bfs) == anywhere.quiet
    if scheduler is not None:
        dask = check(spec, params=params, deadlock=deadlock, scheduler=scheduler)
        check_agreement(dask, model, allowed(g, odd, deadlock, levels=True), deadlock)
        return
    check_agreement(check(spec, params=params, deadlock=deadlock, strategy="dfs"), model,
                    anywhere, deadlock)
    # Levels spanning several chunks interleave transitions and new states differently.
    with mock.patch.object(modelcheck.explore.bfs, "CHUNK", 2):
        chunked = check(spec, params=params, deadlock=deadlock)
    check_agreement(chunked, model, allowed(g, odd, deadlock, levels=True), deadlock)
    walks = check(spec, params=params, deadlock=deadlock, strategy="random", seed=1, runs=60,
                  max_depth=2 * g.n + 2)
    # Random walks may miss everything; what they report must be possible.
    check_agreement(walks, model, Allowed(anywhere.events, ("ok",)), deadlock)
    # The command line exits with the code of the verdict and reports the same, and
    # `trace replay` of the trace it writes still shows that violation.
    no_deadlock = [] if deadlock else ["--no-deadlock"]
    with tempfile.TemporaryDirectory() as tmp:
        saved = str(Path(tmp) / "cex.json")
        args = ["verify", GRAPH_SPEC, "--param", f"graph={params['graph']}", "--json",
                "--trace-out", saved]
        cli = cli_result(args + no_deadlock)
        assert cli.exit_code == bfs.exit_code, cli.output
        data = json.loads(cli.stdout)
        assert (data["status"], data["error"]) == (bfs.status, bfs.error)
        if bfs.violation is not None and bfs.violation.trace is not None:
            again = cli_result(["trace", "replay", saved, "--spec", GRAPH_SPEC, "--json",
                                *no_deadlock])
            assert again.exit_code == 1, again.output  # it shows the violation
            verdict = json.loads(again.stdout)
            assert (verdict["kind"], verdict["property"]) == outcome_of(bfs)[1:]


@settings(max_examples=300 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(odd_systems(), st.booleans())
@pytest.mark.slow
def test_every_strategy_and_replay_agree_on_misbehaving_systems(cli_result: CliResult,
                                                                 system: tuple[Graph, Odd],
                                                                 deadlock: bool) -> None:
    run_all_strategies(*system, deadlock, cli_result=cli_result)


@settings(max_examples=60 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(odd_systems(max_nodes=10), st.booleans())
@pytest.mark.slow
def test_workers_agree_on_misbehaving_systems(system: tuple[Graph, Odd],
                                              deadlock: bool) -> None:
    g, odd = system
    spec = load_spec(GRAPH_SPEC)
    params = {"graph": system_json(g, odd)}
    with mock.patch.object(modelcheck.explore.parallel, "CHUNK", 2):
        r = check(spec, params=params, deadlock=deadlock, workers=2)
    check_agreement(r, bind(spec, params=params), allowed(g, odd, deadlock, levels=True),
                    deadlock)


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    pytest.importorskip("distributed")
    from modelcheck.explore.distributed import local_cluster
    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_a_dask_cluster_agrees_on_misbehaving_systems(cli_result: CliResult,
                                                      dask_scheduler: str) -> None:
    # One cluster for every example: starting one takes a second or two.
    @settings(max_examples=20 * SCALE, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(odd_systems(max_nodes=8), st.booleans())
    def examples(system: tuple[Graph, Odd], deadlock: bool) -> None:
        run_all_strategies(*system, deadlock, cli_result=cli_result, scheduler=dask_scheduler)
    examples()


def test_the_oracle_on_hand_checked_misbehaving_systems() -> None:
    # 0 -a0-> 1 -a0-> 2, 2 deadlocks and is not terminal.
    line = Graph(3, ({0: 1, 1: 2},), (0,), frozenset())
    assert bfs_outcome(line, Odd(), True) == ("violation", "deadlock", "deadlock")
    assert bfs_outcome(line, Odd(), False) == ("ok",)
    assert bfs_outcome(line, Odd(terminal={2: "int"}), True) == TERMINAL
    assert bfs_outcome(line, Odd(terminal={2: "int"}), False) == ("ok",)
    # The invariant misbehaves on 1, the step into 1 is forbidden: the step comes first.
    forbidden = Graph(3, ({0: 1, 1: 2},), (0,), frozenset(), forbidden=frozenset({(0, 1)}))
    assert bfs_outcome(forbidden, Odd(invariant={1: "none"}), False) == (
        "violation", "action", "allowed_step")
    assert bfs_outcome(line, Odd(invariant={1: "none"}), False) == INVARIANT
    # A goal met in the first state is never asked again.
    goal = Graph(3, ({0: 1, 1: 2},), (0,), frozenset(), goal=frozenset({0}))
    assert bfs_outcome(goal, Odd(sometimes={1: "raise"}), False) == ("ok",)
    assert bfs_outcome(goal, Odd(sometimes={0: "raise"}), False) == SOMETIMES
    a = allowed(goal, Odd(sometimes={1: "raise"}), False, levels=True)
    assert (a.events, a.quiet) == (frozenset(), ("ok",))
    a = allowed(goal, Odd(sometimes={1: "raise"}), False, levels=False)
    assert (a.events, a.quiet) == (frozenset({SOMETIMES}), ("ok",))  # possible, not certain
    unmet = Graph(3, ({0: 1, 1: 2},), (0,), frozenset(), goal=frozenset({2}))
    a = allowed(unmet, Odd(sometimes={1: "raise"}), False, levels=True)
    assert (a.events, a.quiet) == (frozenset({SOMETIMES}), None)
    r = check(load_spec(GRAPH_SPEC), params={"graph": system_json(unmet, Odd(
        sometimes={1: "raise"}))}, deadlock=False)
    assert outcome_of(r) == SOMETIMES and r.exit_code == 2
