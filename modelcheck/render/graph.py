"""The reachable state graph as DOT, GraphML or JSON, via networkx.

Every reachable state (:mod:`modelcheck.statespace`) is a node (``s0``, ``s1`` ... in
breadth-first order) labelled with the fields that differ between states (``state`` holds
its whole JSON encoding); every transition is an edge labelled with its action. Initial
states are marked ``initial``, states that violate an invariant carry the names in
``violates``, states with no enabled action that are not terminal ``deadlock``, and states
outside the state constraints (checked, not expanded) ``outside``.

networkx is imported only here and is an optional dependency (the ``graph`` extra):
nothing else in modelcheck needs it, and a clear message says how to install it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from modelcheck.errors import UsageError
from modelcheck.model import Model
from modelcheck.render.labels import step_label
from modelcheck.render.text import render_value
from modelcheck.state import to_json
from modelcheck.statespace import StateSpace
from modelcheck.trace import Step

__all__ = ["GRAPH_FORMATS", "render_graph", "to_networkx"]

GRAPH_FORMATS = ("dot", "graphml", "json")
"""The formats ``modelcheck graph`` writes."""


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
                   violates=",".join(space.violates.get(n, ())), deadlock=n in space.deadlocks,
                   outside=n in space.outside)
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
        elif attrs["outside"]:
            style.append("style=dashed")
        label = attrs["label"] + "\n" + (f"violates: {attrs['violates']}\n"
                                         if attrs["violates"] else "") \
            + ("deadlock\n" if attrs["deadlock"] else "") \
            + ("outside the state constraints\n" if attrs["outside"] else "")
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
