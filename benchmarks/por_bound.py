"""Partial-order reduction: the most a persistent-set method could save, measured exactly.

    python benchmarks/por_bound.py              # every catalogue spec on a network, raft rows
    python benchmarks/por_bound.py --quick      # the small rows only (under a minute)
    python benchmarks/por_bound.py SPEC [NAME=VALUE ...] [faults=loss=1,...]

Partial-order reduction (Godefroid's persistent sets, Valmari's stubborn sets, Peled's
ample sets) expands, in a state, only a subset of the enabled transitions that no
behaviour of the other transitions can interfere with: every transition outside the set,
and every sequence of them, commutes with the set's transitions and neither enables nor
disables one of them. A tool decides this from static information (which variables a
transition reads and writes, which process it belongs to), so it finds such sets less
often than they exist. This benchmark gives the method every advantage instead: it builds
the whole reachable graph and decides exactly, for each state and each candidate set,
whether the set's enabled steps form a persistent set: no path of steps outside it changes
which of its steps are enabled, and each of them commutes, as an action instance, with
every step along the way (a backward fixpoint over the graph). Candidate sets come in two
granularities:

* by node — a node's enabled steps (``deliver`` of a message to it, its timers, its crash:
  the node ``Spec.step_node`` names; a step of no node is a set of its own), two steps of
  one node being taken as always dependent, as a tool that knows processes but not what
  their steps touch must;
* by step — a single enabled step, which must then commute with every other step, its own
  node's included.

A step that leaves the state as it is (a message of a ``set`` network delivered again) is
left out: it can change nothing. Each granularity then runs a reduced breadth-first search
over the graph that expands, in each state, the smallest persistent candidate set (every
enabled step where there is none), and counts the states it reaches:

* ``bound`` — with no cycle proviso and no visibility condition: an upper bound on the
  reduction of any persistent-set method with such sets, sound or not (without a proviso
  a reduced search may ignore a transition forever; without visibility it may skip the
  state that breaks an invariant);
* ``with proviso`` — adding the cycle proviso a breadth-first search can use (expand a
  state in full when one of the set's successors was reached at its own level or
  earlier: every cycle then holds a fully expanded state), still without visibility.

The visibility condition would cut the reduction further: the catalogue's invariants read
every node, so a step that changes a node is visible to some invariant. The table shows
how large the reduction could be at most, which is why modelcheck does not ship one (see
*Partial-order reduction* in docs/guides/big-state-spaces.md).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from modelcheck import catalogue
from modelcheck.model import Model, bind
from modelcheck.statespace import reachable_graph

NETWORK_SPECS = ("two-phase-commit", "three-phase-commit", "paxos", "multi-paxos",
                 "bully-election", "byzantine-generals", "distributed-lock", "gossip",
                 "lease-election", "logical-clocks", "lww-skew", "outbox",
                 "reliable-broadcast", "replication", "saga", "split-brain", "stale-reads",
                 "two-generals", "zk-lock")

RAFT_ROWS: tuple[dict[str, str], ...] = (
    {"max_log_len": "0"},
    {"max_log_len": "0", "faults": "loss=1"},
    {"max_log_len": "0", "faults": "dup=1"},
    {"max_log_len": "0", "faults": "crash=1"},
    {"timeouts": "randomised"},
    {},
)
SLOW: tuple[dict[str, str], ...] = ({"timeouts": "randomised"}, {})
"""Raft rows left out by --quick (the default bounds: 593,716 states, a few GB)."""


@dataclass(frozen=True)
class Bound:
    """What the reduced searches over one graph reached, with sets of one granularity."""

    persistent: int
    """States where some candidate set is persistent (and not every enabled step)."""
    bound: int
    with_proviso: int


def classes(model: Model, by: str) -> list[int]:
    """For each action instance, the number of its class: the node it is a step of
    (``by="node"``; a step of no node is a class of its own), or itself (``"step"``)."""
    spec, cfg = model.spec, model.config
    names: dict[tuple[str, object], int] = {}
    out = []
    for inst in model.instances:
        node = (spec.step_node(cfg, inst.name, inst.args_json())
                if by == "node" and spec.step_node is not None else None)
        key = ("node", json.dumps(node)) if node is not None else ("step", inst.index)
        out.append(names.setdefault(key, len(names)))
    return out


@dataclass(frozen=True)
class Graph:
    """The reachable graph without the steps that change nothing."""

    initial: frozenset[int]
    succ: list[dict[int, int]]
    """``succ[s][instance] = target``."""
    into: list[list[tuple[int, int]]]
    """``into[t] = [(source, instance), ...]``."""


def _interfered(g: Graph, enabled: list[dict[int, tuple[int, ...]]], cls: list[int],
                c: int, where: list[int]) -> set[int]:
    """The states (of ``where``, those where class ``c`` has an enabled step) in which
    ``c``'s enabled steps are not a persistent set."""
    succ = g.succ
    bad: set[int] = set()
    for s in where:
        mine = enabled[s][c]
        for b, t in succ[s].items():
            if cls[b] != c and (enabled[t].get(c) != mine or any(
                    succ[succ[s][a]].get(b) != succ[t][a] for a in mine)):
                bad.add(s)
                break
    work = deque(bad)
    while work:
        for s, b in g.into[work.popleft()]:
            if cls[b] != c and s not in bad and c in enabled[s]:
                bad.add(s)
                work.append(s)
    return bad


def reduce(g: Graph, cls: list[int]) -> Bound:
    """The two reduced searches over ``g`` with the classes ``cls`` as candidate sets."""
    n = len(g.succ)
    enabled: list[dict[int, tuple[int, ...]]] = []
    where: dict[int, list[int]] = {}
    for s in range(n):
        mine: dict[int, list[int]] = {}
        for i in sorted(g.succ[s]):
            mine.setdefault(cls[i], []).append(i)
        enabled.append({c: tuple(v) for c, v in mine.items()})
        for c in mine:
            where.setdefault(c, []).append(s)
    bad = {c: _interfered(g, enabled, cls, c, states) for c, states in where.items()}

    def chosen(s: int) -> tuple[int, ...] | None:
        best: tuple[int, ...] | None = None
        for c, mine in enabled[s].items():
            if s not in bad[c] and len(mine) < len(g.succ[s]) and (
                    best is None or len(mine) < len(best)):
                best = mine
        return best

    def search(proviso: bool) -> int:
        level = dict.fromkeys(g.initial, 0)
        work = deque(sorted(g.initial))
        while work:
            s = work.popleft()
            steps = chosen(s)
            targets = [g.succ[s][i] for i in steps] if steps is not None else list(
                g.succ[s].values())
            if steps is not None and proviso and any(
                    level.get(t, n + 1) <= level[s] for t in targets):
                targets = list(g.succ[s].values())
            for t in targets:
                if t not in level:
                    level[t] = level[s] + 1
                    work.append(t)
        return len(level)

    persistent = sum(1 for s in range(n) if chosen(s) is not None)
    return Bound(persistent, search(False), search(True))


def graph(model: Model) -> tuple[Graph, int]:
    """``model``'s reachable graph without the steps that change nothing, and the number of
    its transitions (those included)."""
    if model.multi:
        raise SystemExit(f"{model.spec.name}: actions that yield several successors are "
                         "not supported here (one target per action instance)")
    space = reachable_graph(model, limit=None)
    n = len(space.states)
    succ: list[dict[int, int]] = [{} for _ in range(n)]
    into: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for a, b, i in space.edges:
        if a != b:  # a step that changes nothing (a set network's message again) is left out
            succ[a][i] = b
            into[b].append((a, i))
    return Graph(space.initial, succ, into), len(space.edges)


def row(name: str, params: Mapping[str, str]) -> None:
    """Measure one spec and print its line of the table."""
    start = time.perf_counter()
    model = bind(catalogue.load(name), None, dict(params), temporal=False)
    g, transitions = graph(model)
    n = len(g.succ)
    cells = []
    for by in ("node", "step"):
        r = reduce(g, classes(model, by))
        cells.append(f"{r.persistent / n:.1%} | {r.bound:,} ({n / r.bound:.2f}×) "
                     f"| {r.with_proviso:,} ({n / r.with_proviso:.2f}×)")
    label = " ".join([name, *(f"{k}={v}" for k, v in params.items())])
    print(f"| {label} | {n:,} | {transitions:,} | {' | '.join(cells)} "
          f"| {time.perf_counter() - start:.0f} |", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small rows only")
    parser.add_argument("spec", nargs="?", help="one spec (catalogue name or file)")
    parser.add_argument("params", nargs="*", help="NAME=VALUE, faults=loss=1,...")
    args = parser.parse_args(argv)
    print("| model | states | transitions | by node: states with a persistent set | bound "
          "| with proviso | by step: states with a persistent set | bound | with proviso "
          "| s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if args.spec:
        row(args.spec, dict(p.split("=", 1) for p in args.params))
        return
    for name in NETWORK_SPECS:
        row(name, {})
    for params in RAFT_ROWS:
        if not (args.quick and params in SLOW):
            row("raft", params)


if __name__ == "__main__":
    main()
