"""``modelcheck graph SPEC``: the reachable state graph as DOT, GraphML or JSON, via networkx.

Every reachable state is a node (``s0``, ``s1`` ... in breadth-first order) labelled with
the fields that differ between states (``state`` holds its whole JSON encoding); every
transition is an edge labelled with its action. Initial states are marked
``initial``, states that violate an invariant carry the names in ``violates`` and states
with no enabled action that are not terminal ``deadlock``, judged as every search judges
them (:mod:`modelcheck.semantics`). The graph is explored in full,
past violations, with the states themselves in memory: it is for models small enough to
look at, so a graph above ``--max-states`` is refused unless ``--force`` is given.

networkx is imported only by this command and is an optional dependency (the ``graph``
extra): nothing else in modelcheck needs it, and a clear message says how to install it.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from modelcheck import semantics
from modelcheck._cli_util import fail as _fail
from modelcheck._cli_util import write_output
from modelcheck.catalogue import load
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.model import Model, bind
from modelcheck.render.labels import step_label
from modelcheck.render.text import render_value
from modelcheck.state import to_json
from modelcheck.trace import Step, Trace

__all__ = ["GRAPH_FORMATS", "StateSpace", "explore_graph", "graph_cmd", "render_graph"]

GRAPH_FORMATS = ("dot", "graphml", "json")
"""The formats ``modelcheck graph`` writes."""


@dataclass(frozen=True)
class StateSpace:
    """The reachable states of a model and its transitions, by state number."""

    states: tuple[Any, ...]
    initial: frozenset[int]
    edges: tuple[tuple[int, int, int], ...]
    """``(source, target, action instance index)``."""
    violates: dict[int, tuple[str, ...]]
    deadlocks: frozenset[int]


def explore_graph(model: Model, *, limit: int | None) -> StateSpace:
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
    while queue:
        n = queue.popleft()
        s = states[n]
        try:
            # Every invariant a state violates is marked, not only the first.
            broken = tuple(p.name for p in model.invariants
                           if not semantics.holds(semantics.describe(p), p.fn, cfg, s))
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
    return StateSpace(tuple(states), initial, tuple(edges), violates, frozenset(deadlocks))


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


def _state_label(encoded: Any, shown: set[str]) -> str:
    if isinstance(encoded, dict) and "$type" in encoded:
        return "\n".join(f"{k}: {render_value(v)}" for k, v in encoded.items()
                         if k != "$type" and k in shown)
    return render_value(encoded)


def _varying(encoded: Sequence[Any]) -> set[str]:
    """The fields whose value differs between some states: the only ones worth a label."""
    values: dict[str, set[str]] = {}
    for e in encoded:
        if isinstance(e, dict):
            for k, v in e.items():
                values.setdefault(k, set()).add(json.dumps(v, sort_keys=True))
    varying = {k for k, vs in values.items() if len(vs) > 1}
    return varying or set(values)


def _networkx() -> Any:
    try:
        import networkx
    except ImportError:
        raise UsageError("modelcheck graph needs networkx, which is not installed: "
                         "pip install 'modelcheck[graph]' (or pip install networkx)") from None
    return networkx


def to_networkx(model: Model, space: StateSpace) -> Any:
    """The state space as a ``networkx.MultiDiGraph`` with the attributes described above."""
    nx = _networkx()
    g = nx.MultiDiGraph(spec=model.spec.name, variant=model.variant or "")
    encoded = [to_json(s) for s in space.states]
    shown = _varying(encoded)
    for n, e in enumerate(encoded):
        g.add_node(f"s{n}", label=_state_label(e, shown), state=json.dumps(e),
                   initial=n in space.initial,
                   violates=",".join(space.violates.get(n, ())), deadlock=n in space.deadlocks)
    for src, dst, a in space.edges:
        inst = model.instances[a]
        g.add_edge(f"s{src}", f"s{dst}",
                   label=step_label(Step(inst.name, inst.args_json(), None), model.spec))
    return g


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '"'


def _dot(g: Any) -> str:
    lines = [f"digraph {_dot_string(g.graph['spec'])} {{",
             '  node [shape=box, fontname="monospace", fontsize=10];',
             '  edge [fontname="monospace", fontsize=9];']
    for n, attrs in g.nodes(data=True):
        style = []
        if attrs["initial"]:
            style.append("peripheries=2")
        if attrs["violates"] or attrs["deadlock"]:
            style.append('style=filled, fillcolor="#fbdada", color="#b42318"')
        label = attrs["label"] + "\n" + (f"violates: {attrs['violates']}\n"
                                         if attrs["violates"] else "") \
            + ("deadlock\n" if attrs["deadlock"] else "")
        lines.append(f"  {n} [label={_dot_string(label)}" +
                     "".join(f", {x}" for x in style) + "];")
    for a, b, attrs in g.edges(data=True):
        lines.append(f"  {a} -> {b} [label={_dot_string(attrs['label'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graph(model: Model, space: StateSpace, fmt: str) -> str:
    """The state space as ``fmt``: ``dot``, ``graphml`` or ``json`` (node-link data)."""
    nx = _networkx()
    g = to_networkx(model, space)
    if fmt == "dot":
        return _dot(g)
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(g)) + "\n"
    if fmt == "json":
        return json.dumps(nx.node_link_data(g, edges="edges"), ensure_ascii=False,
                          indent=1) + "\n"
    raise UsageError(f"unknown graph format {fmt!r}; valid formats: {', '.join(GRAPH_FORMATS)}")





@click.command("graph")
@click.argument("spec_ref", metavar="SPEC")
@click.option("--variant", help="A named configuration of the spec.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a config parameter; repeatable.")
@click.option("--format", "fmt", type=click.Choice(GRAPH_FORMATS), default="dot",
              show_default=True, help="Graphviz DOT, GraphML, or networkx node-link JSON.")
@click.option("--max-states", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Refuse graphs with more states than this.")
@click.option("--force", is_flag=True, help="Export the graph whatever its size.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of standard output.")
def graph_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...], fmt: str,
              max_states: int, force: bool, output: Path | None) -> None:
    """Export the reachable state graph of SPEC: actions as edge labels, initial and
    violating states marked."""
    from modelcheck.cli import _parse_params  # cli registers this command
    try:
        model = bind(load(spec_ref), variant, _parse_params(params))
        space = explore_graph(model, limit=None if force else max_states)
        text = render_graph(model, space, fmt)
    except ModelcheckError as e:
        _fail(e)
    write_output(text, output, f"{len(space.states):,} states and {len(space.edges):,} "
                               f"transitions written to {output}")
