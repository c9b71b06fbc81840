"""benchmarks/por_bound.py, on which the decision not to ship partial-order reduction rests,
finds the persistent sets the theory says a model has, and no others."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modelcheck import Record, Spec, set_at
from modelcheck.model import bind

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "por_bound.py"


@pytest.fixture(scope="module")
def por() -> ModuleType:
    spec = importlib.util.spec_from_file_location("por_bound", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["por_bound"] = module
    spec.loader.exec_module(module)
    return module


class Counters(Record):
    c: tuple[int, ...]


def counters(n: int, top: int) -> Spec:
    """``n`` processes, each counting to ``top`` on its own: every step commutes with every
    step of another process."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Config:
        pass

    spec = Spec("counters", Config, Counters, check_deadlock=False)
    spec.init(lambda cfg: Counters((0,) * n))

    @spec.action(i=range(n))
    def inc(cfg: Any, s: Counters, i: int) -> Counters | None:
        return None if s.c[i] >= top else s.replace(c=set_at(s.c, i, s.c[i] + 1))

    return spec


class Pair(Record):
    x: int
    y: int
    pc: int


def reader() -> Spec:
    """Process A sets x once; process B takes a step b1 that touches nothing of A's, then a
    step b2 that copies x into y. From the initial state {b1} is persistent (A's step
    commutes with it) but {a} is not (b1 then b2, which reads x, is a path outside it)."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Config:
        pass

    spec = Spec("reader", Config, Pair, check_deadlock=False)
    spec.init(lambda cfg: Pair(0, 0, 0))

    @spec.action()
    def a(cfg: Any, s: Pair) -> Pair | None:
        return s.replace(x=1) if s.x == 0 else None

    @spec.action()
    def b1(cfg: Any, s: Pair) -> Pair | None:
        return s.replace(pc=1) if s.pc == 0 else None

    @spec.action()
    def b2(cfg: Any, s: Pair) -> Pair | None:
        return s.replace(y=s.x, pc=2) if s.pc == 1 else None

    return spec


@pytest.mark.parametrize(("n", "top", "full", "reduced"), [(2, 3, 16, 7), (3, 3, 64, 10)])
def test_independent_processes_reduce_to_one_interleaving(
        por: ModuleType, n: int, top: int, full: int, reduced: int) -> None:
    model = bind(counters(n, top), temporal=False)
    g, _ = por.graph(model)
    assert len(g.succ) == full
    r = por.reduce(g, por.classes(model, "step"))
    # One process runs to its end, then the next: n * top + 1 states.
    assert (r.bound, r.with_proviso) == (reduced, reduced)


def test_a_step_whose_future_reads_another_is_not_persistent(por: ModuleType) -> None:
    model = bind(reader(), temporal=False)
    g, transitions = por.graph(model)
    # (x, y, pc): S0 0,0,0; S1 1,0,0 (a); S2 0,0,1 (b1); S3 1,0,1; S4 0,0,2 (b2 reads 0);
    # S5 1,1,2 (b2 after a); S6 1,0,2 (a after b2).
    assert (len(g.succ), transitions) == (7, 7)
    r = por.reduce(g, por.classes(model, "step"))
    # Only S0 has a persistent proper subset, {b1}: a commutes with it. {a} is not (b1
    # then b2, which reads x, is a path outside it), and at S2 neither a nor b2 is (they
    # do not commute). So S1 alone is skipped.
    assert (r.persistent, r.bound, r.with_proviso) == (1, 6, 6)


class Lock(Record):
    holder: str


def test_steps_that_disable_each_other_are_not_persistent(por: ModuleType) -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Config:
        pass

    spec = Spec("lock", Config, Lock, check_deadlock=False)
    spec.init(lambda cfg: Lock(""))

    @spec.action(who=("a", "b"))
    def take(cfg: Any, s: Lock, who: str) -> Lock | None:
        return s.replace(holder=who) if s.holder == "" else None

    model = bind(spec, temporal=False)
    g, _ = por.graph(model)
    r = por.reduce(g, por.classes(model, "step"))
    assert (len(g.succ), r.persistent, r.bound) == (3, 0, 3)


def test_two_phase_commits_bounds_by_node_and_by_step(por: ModuleType) -> None:
    from modelcheck import load_spec

    model = bind(load_spec("two-phase-commit"), temporal=False)
    g, transitions = por.graph(model)
    assert (len(g.succ), transitions) == (288, 1145)
    by_node = por.reduce(g, por.classes(model, "node"))
    by_step = por.reduce(g, por.classes(model, "step"))
    assert (by_node.persistent, by_node.bound, by_node.with_proviso) == (112, 246, 246)
    assert (by_step.persistent, by_step.bound, by_step.with_proviso) == (102, 248, 248)


def test_the_cycle_proviso_keeps_a_step_from_being_ignored(por: ModuleType) -> None:
    """A toggles x forever, B sets y once; the two initial states differ in x. Toggling
    alone is persistent everywhere, so a search without the proviso goes round the
    toggle's cycle and never takes B's step; with it, a state whose toggle leads to a
    state of its own level or earlier (here the other initial state) is expanded in full."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Config:
        pass

    spec = Spec("toggle", Config, Pair, check_deadlock=False)

    @spec.init(x=(0, 1))
    def init(cfg: Any, x: int) -> Pair:
        return Pair(x, 0, 0)

    @spec.action()
    def toggle(cfg: Any, s: Pair) -> Pair:
        return s.replace(x=1 - s.x)

    @spec.action()
    def set_y(cfg: Any, s: Pair) -> Pair | None:
        return s.replace(y=1) if s.y == 0 else None

    model = bind(spec, temporal=False)
    g, _ = por.graph(model)
    r = por.reduce(g, por.classes(model, "step"))
    assert (len(g.succ), r.bound, r.with_proviso) == (4, 2, 4)
