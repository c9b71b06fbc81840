"""Test generation: a small set of spec traces that together cover a criterion.

Each criterion names *targets* in the reachable state graph (:mod:`modelcheck.statespace`):

* ``actions``: every action (by name, whatever its arguments) enabled in some reachable
  state; a trace covers an action when it takes it.
* ``properties``: every invariant's and action property's violation, and every
  ``sometimes`` property's witness (a state where it holds); a trace covers one when it
  ends in (or, for a witness, passes through) such a state or step. A property never
  violated, or never met, has no target: it is listed as not coverable.
* ``transitions``: every pair (action, enabled set) such that the action is taken from a
  reachable state in which exactly that set of actions is enabled (the state's *class*:
  the actions a test can choose from there). It tells apart, for instance, a commit taken
  while an abort was still possible from one taken when it was not.

For every target, the breadth-first shortest trace reaching it is a candidate; states that
violate an invariant end a trace (they are not expanded), so a trace shows at most one
violation, at its end. A greedy set cover then picks candidates: repeatedly the one
covering the most targets not yet covered (ties: the shorter, then the first found),
until every target is covered. The result is deterministic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from modelcheck import semantics
from modelcheck.errors import UsageError
from modelcheck.model import Model
from modelcheck.statespace import StateSpace, reachable_graph
from modelcheck.trace import Trace

__all__ = ["CRITERIA", "Criterion", "Suite", "generate", "pytest_module"]

Criterion = Literal["actions", "properties", "transitions"]
CRITERIA: tuple[Criterion, ...] = ("actions", "properties", "transitions")


@dataclass(frozen=True)
class Suite:
    """Traces covering a criterion: ``covers[i]`` lists the targets ``traces[i]`` covers
    (first covered by it, in the order the greedy cover met them)."""

    criterion: Criterion
    targets: tuple[str, ...]
    traces: tuple[Trace, ...]
    covers: tuple[tuple[str, ...], ...]
    uncoverable: tuple[str, ...]
    """What the criterion names but no reachable state or step witnesses."""
    states: int


def generate(model: Model, criterion: Criterion, *, limit: int | None = 100_000) -> Suite:
    """The traces of ``model`` covering ``criterion``; a UsageError when the reachable
    graph has more than ``limit`` states."""
    if criterion not in CRITERIA:
        raise UsageError(f"unknown coverage criterion {criterion!r}; choose one of "
                         f"{', '.join(CRITERIA)}")
    try:
        graph = reachable_graph(model, limit=limit)
    except UsageError:
        raise UsageError(
            f"the state graph of {model.spec.name!r} has more than {limit:,} states; test "
            "generation explores it in full: raise --max-states, or make the model smaller "
            "with --param") from None
    out: list[list[tuple[int, int]]] = [[] for _ in graph.states]
    for src, dst, aid in graph.edges:
        out[src].append((dst, aid))
    ends = set(graph.violates) | set(graph.outside)
    parent = _bfs(graph, out, ends)
    name = [inst.name for inst in model.instances]

    # Targets, each with where it is met: a state (n, None) or a step (n, aid) from n.
    met: dict[str, list[tuple[int, int | None]]] = {}
    uncoverable: list[str] = []
    reached = [n for n in range(len(graph.states)) if n in parent]
    if criterion == "actions":
        for n in reached:
            if n in ends:
                continue
            for _, aid in out[n]:
                met.setdefault(f"action {name[aid]}", []).append((n, aid))
        for fam in dict.fromkeys(name):
            if f"action {fam}" not in met:
                uncoverable.append(f"action {fam}")
    elif criterion == "transitions":
        for n in reached:
            if n in ends:
                continue
            enabled = sorted({name[aid] for _, aid in out[n]})
            for _, aid in out[n]:
                met.setdefault(f"{name[aid]} from {{{', '.join(enabled)}}}", []).append(
                    (n, aid))
    else:
        try:
            _properties(model, graph, out, ends, reached, met, uncoverable)
        except semantics.Misbehaved as m:
            raise semantics.spec_error(m.function, m.error) from m.error

    targets = tuple(met)
    candidates: dict[tuple[int, int | None], list[tuple[int, int | None]]] = {}
    for target in targets:
        # The shortest way to the target: the shallowest state it is met at.
        best = min(met[target], key=lambda w: (_depth(parent, w[0]), w[0], w[1] or 0))
        candidates.setdefault(best, _path(parent, best))
    chosen: list[tuple[tuple[int, int | None], list[str]]] = []
    left = set(targets)
    covered_by = {end: _covered(path, met) for end, path in candidates.items()}
    while left:
        end = min(candidates, key=lambda e: (-len(covered_by[e] & left),
                                             len(candidates[e]), e[0], e[1] or 0))
        newly = [t for t in targets if t in covered_by[end] and t in left]
        left -= set(newly)
        chosen.append((end, newly))
    inits = dict(_init_of(model, graph))
    traces = tuple(_trace(model, graph, inits, candidates[end]) for end, _ in chosen)
    return Suite(criterion, targets, traces, tuple(tuple(c) for _, c in chosen),
                 tuple(uncoverable), len(graph.states))


def _properties(model: Model, graph: StateSpace, out: list[list[tuple[int, int]]],
                ends: set[int], reached: list[int],
                met: dict[str, list[tuple[int, int | None]]], uncoverable: list[str]) -> None:
    """The targets of the ``properties`` criterion."""
    cfg = model.config
    for p in model.invariants:
        at = [(n, None) for n in reached if p.name in graph.violates.get(n, ())]
        _target(met, uncoverable, f"invariant {p.name} violated", at)
    for p in model.action_properties:
        at_steps: list[tuple[int, int | None]] = []
        for n in reached:
            if n in ends:
                continue
            for dst, aid in out[n]:
                broken = semantics.broken_step((p,), cfg, graph.states[n],
                                               graph.states[dst])
                if broken is not None:
                    at_steps.append((n, aid))
        _target(met, uncoverable, f"action property {p.name} violated", at_steps)
    for p in model.sometimes:
        at = [(n, None) for n in reached
              if semantics.holds(semantics.describe(p), p.fn, cfg, graph.states[n])]
        _target(met, uncoverable, f"sometimes {p.name} met", at)


def _target(met: dict[str, list[tuple[int, int | None]]], uncoverable: list[str],
            name: str, at: Sequence[tuple[int, int | None]]) -> None:
    if at:
        met[name] = list(at)
    else:
        uncoverable.append(name)


def _bfs(graph: StateSpace, out: list[list[tuple[int, int]]], ends: set[int]
         ) -> dict[int, tuple[int, int] | None]:
    """Breadth-first parents (state, action) of every state reachable without passing
    through a state in ``ends``; None for the initial states."""
    parent: dict[int, tuple[int, int] | None] = {n: None for n in sorted(graph.initial)}
    queue = deque(sorted(graph.initial))
    while queue:
        n = queue.popleft()
        if n in ends:
            continue
        for dst, aid in out[n]:
            if dst not in parent:
                parent[dst] = (n, aid)
                queue.append(dst)
    return parent


def _depth(parent: dict[int, tuple[int, int] | None], n: int) -> int:
    d = 0
    link = parent[n]
    while link is not None:
        d += 1
        link = parent[link[0]]
    return d


def _path(parent: dict[int, tuple[int, int] | None], end: tuple[int, int | None]
          ) -> list[tuple[int, int | None]]:
    """The steps from an initial state to ``end``: (state, action taken from it, or None
    for the last state)."""
    n, last = end
    path: list[tuple[int, int | None]] = [(n, last)]
    link = parent[n]
    while link is not None:
        path.append(link)
        link = parent[link[0]]
    path.reverse()
    return path


def _covered(path: Sequence[tuple[int, int | None]],
             met: dict[str, list[tuple[int, int | None]]]) -> set[str]:
    """The targets met along ``path``: at one of its states, or one of its steps."""
    states = {n for n, _ in path}
    steps = {(n, aid) for n, aid in path if aid is not None}
    return {t for t, where in met.items()
            if any((aid is None and n in states) or (n, aid) in steps for n, aid in where)}


def _init_of(model: Model, graph: StateSpace) -> list[tuple[int, int]]:
    """(state number, init instance index) of every initial state."""
    index = {s: n for n, s in enumerate(graph.states) if n in graph.initial}
    found: dict[int, int] = {}
    for i, s in semantics.initial_states(model):
        found.setdefault(index[s], i)
    return list(found.items())


def _trace(model: Model, graph: StateSpace, inits: dict[int, int],
           path: Sequence[tuple[int, int | None]]) -> Trace:
    nodes = [n for n, _ in path]
    actions = [aid for _, aid in path if aid is not None]
    states: list[Any] = [graph.states[n] for n in nodes]
    if path[-1][1] is not None:  # the target is a step: take it
        last = path[-1][1]
        after = model.apply(last, states[-1])
        assert after is not None
        states.append(after)
    return Trace.from_states(model, inits[nodes[0]], actions, states)


def pytest_module(model: Model, suite: Suite, spec_ref: str, files: Sequence[str]) -> str:
    """The text of a pytest module that drives a user's :class:`~modelcheck.testing.Adapter`
    through each trace of ``suite`` (saved next to it as ``files``): one test per trace,
    and an adapter skeleton with one method per action, to fill in."""
    families: dict[str, list[str]] = {}
    for inst in model.instances:
        families.setdefault(inst.name, list(inst.kwargs))
    methods = "".join(
        f"\n    def {name}(self{''.join(f', {a}: Any' for a in args)}) -> None:\n"
        f"        raise NotImplementedError(\"perform {name} on the implementation\")\n"
        for name, args in families.items())
    cases = "".join(f"    pytest.param({f!r}, id={f'trace{i + 1}'!r}),  # covers "
                    f"{len(c)}\n" for i, (f, c) in enumerate(zip(files, suite.covers)))
    title = (f"Model-based tests of {model.spec.name}: {len(suite.traces)} traces covering its "
             f"{suite.criterion}.")
    return f'''"""{title}

Generated by `modelcheck tests {spec_ref} --cover {suite.criterion}`. Each test replays one
trace against the spec and drives the implementation through the same steps with
ImplementationAdapter, comparing what it shows with what the spec expects after every
step (modelcheck.testing.drive). Fill in the adapter, or make make_adapter return yours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelcheck import Trace
from modelcheck.testing import Adapter, drive

HERE = Path(__file__).resolve().parent
SPEC = {spec_ref!r}


class ImplementationAdapter(Adapter):
    """Connects the spec's actions to the implementation under test."""

    internal: tuple[str, ...] = ()
    """Actions of the spec's environment that the implementation does not take."""

    def reset(self, cfg: Any, state: Any) -> None:
        raise NotImplementedError("build a fresh implementation in the spec's initial state")
{methods}
    def observe(self) -> Any:
        raise NotImplementedError("return what the implementation shows")

    def expect(self, cfg: Any, state: Any) -> Any:
        raise NotImplementedError("return what the spec's state says it should show")


def make_adapter() -> Adapter:
    return ImplementationAdapter()


@pytest.mark.parametrize("name", [
{cases}])
def test_trace(name: str) -> None:
    drive(make_adapter(), Trace.load(HERE / name), SPEC)
'''
