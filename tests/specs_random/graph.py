"""A finite transition system given as data, for the differential tests of the explorers.

``Config.graph`` is a JSON object: ``actions`` (one list of ``[node, successor]`` pairs per
action, each a partial function on nodes), ``inits`` (the initial nodes; a negative one
gives no state), ``bad`` (the nodes the invariant rejects), ``terminal``, ``goal`` (the
nodes the ``sometimes`` goal accepts; null: every node) and ``forbidden`` (the
``[node, successor]`` steps the action property rejects). ``odd`` makes predicates
misbehave: ``invariant``, ``terminal`` and ``sometimes`` map a node, ``step`` a
``"node,successor"`` step, to ``raise`` (KeyError), ``int`` (returns 1), ``none`` (None)
or ``str`` ("yes"). Being a module with a plain config, it runs on Dask workers too.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from modelcheck import Record, Spec


@dataclass(frozen=True)
class Config:
    """The system, as JSON."""

    graph: str = '{"actions": [[[0, 1]]], "inits": [0]}'


class Node(Record):
    """The current node."""

    node: int


@dataclass(frozen=True)
class _System:
    actions: tuple[dict[int, int], ...]
    inits: tuple[int, ...]
    bad: frozenset[int]
    terminal: frozenset[int]
    goal: frozenset[int] | None
    forbidden: frozenset[tuple[int, int]]
    odd: dict[str, dict[Any, str]]


@functools.lru_cache(maxsize=64)
def _system(text: str) -> _System:
    g = json.loads(text)
    odd = g.get("odd") or {}
    steps = {tuple(int(x) for x in k.split(",")): v for k, v in odd.get("step", {}).items()}
    return _System(
        tuple({a: b for a, b in pairs} for pairs in g["actions"]), tuple(g["inits"]),
        frozenset(g.get("bad") or ()), frozenset(g.get("terminal") or ()),
        None if g.get("goal") is None else frozenset(g["goal"]),
        frozenset(tuple(e) for e in g.get("forbidden") or ()),
        {"invariant": {int(k): v for k, v in odd.get("invariant", {}).items()},
         "terminal": {int(k): v for k, v in odd.get("terminal", {}).items()},
         "sometimes": {int(k): v for k, v in odd.get("sometimes", {}).items()},
         "step": steps})


def _answer(system: _System, who: str, where: Any, ok: bool) -> Any:
    how = system.odd[who].get(where)
    if how is None:
        return ok
    if how == "raise":
        raise KeyError(f"odd {who} at {where}")
    return {"int": 1, "none": None, "str": "yes"}[how]


spec = Spec("graph", Config, Node)


@spec.init(i=lambda cfg: range(len(_system(cfg.graph).inits)))
def init(cfg: Config, i: int) -> Node | None:
    """The ``i``-th initial node."""
    n = _system(cfg.graph).inits[i]
    return Node(n) if n >= 0 else None


@spec.action(k=lambda cfg: range(len(_system(cfg.graph).actions)))
def step(cfg: Config, s: Node, k: int) -> Node | None:
    """Action ``k`` from the current node, where it is defined."""
    t = _system(cfg.graph).actions[k].get(s.node)
    return None if t is None else Node(t)


@spec.always
def not_bad(cfg: Config, s: Node) -> bool:
    """The node is not bad."""
    g = _system(cfg.graph)
    return _answer(g, "invariant", s.node, s.node not in g.bad)


@spec.terminal
def done(cfg: Config, s: Node) -> bool:
    """The node is terminal."""
    g = _system(cfg.graph)
    return _answer(g, "terminal", s.node, s.node in g.terminal)


@spec.sometimes
def reaches_goal(cfg: Config, s: Node) -> bool:
    """A goal node is reachable."""
    g = _system(cfg.graph)
    return _answer(g, "sometimes", s.node, g.goal is None or s.node in g.goal)


@spec.action_property
def allowed_step(cfg: Config, before: Node, after: Node) -> bool:
    """The step is not forbidden."""
    g = _system(cfg.graph)
    edge = (before.node, after.node)
    return _answer(g, "step", edge, edge not in g.forbidden)
