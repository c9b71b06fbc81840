"""Generator actions: one action yielding several successors (TLA+'s ``\\E`` inside an
action) explores exactly the state space of one action instance per witness, in every
explorer, with counterexamples that replay."""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modelcheck import Record, Spec, bind, check, replay
from modelcheck.cli import main
from modelcheck.errors import SpecDefinitionError, TraceFormatError, UsageError
from modelcheck.spec import Action
from modelcheck.trace import ReplayError, Trace
from modelcheck_specs import paxos, two_phase_commit


def fresh(module: ModuleType) -> ModuleType:
    """A second copy of a catalogue module, with a spec of its own to rewrite."""
    origin = inspect.getfile(module)
    loader = importlib.util.spec_from_file_location(f"{module.__name__}_multi", origin)
    assert loader is not None and loader.loader is not None
    copy = importlib.util.module_from_spec(loader)
    sys.modules[loader.name] = copy
    loader.loader.exec_module(copy)
    return copy


def as_generator(spec: Spec, name: str, witnesses: tuple[str, ...]) -> None:
    """Make action ``name`` of ``spec`` a generator over its parameters ``witnesses``,
    yielding what each former instance returned, in the same place among the actions."""
    at = next(k for k, a in enumerate(spec.actions) if a.name == name)
    old: Action = spec.actions.pop(at)
    kept = [p for p in old.params if p not in witnesses]

    def gen(cfg: Any, state: Any, *args: Any) -> Iterator[Any]:
        domains = [old.domain(p, cfg) for p in witnesses]
        for combo in itertools.product(*domains):
            full = {**dict(zip(kept, args)), **dict(zip(witnesses, combo))}
            yield old.fn(cfg, state, *(full[p] for p in old.params))

    params = [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD)
              for p in ("cfg", "state", *kept)]
    gen.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    gen.__name__ = name
    domains: dict[str, Any] = {p: old.domains[p] for p in kept}
    spec.action(name=name, **domains)(gen)
    spec.actions.insert(at, spec.actions.pop())


BALLOTS_0_1 = {"max_ballot": 1}
"""Paxos at ballots 0..1, TLC's MCPaxos count with 3 acceptors and 2 values."""


def paxos_gen() -> Spec:
    mod = fresh(paxos)
    as_generator(mod.spec, "phase2a", ("q", "w"))
    return mod.spec  # type: ignore[no-any-return]


def tpc_gen() -> Spec:
    mod = fresh(two_phase_commit)
    for name in ("deliver", "rm_prepare", "rm_choose_to_abort"):
        params = next(a.params for a in mod.spec.actions if a.name == name)
        as_generator(mod.spec, name, params)
    return mod.spec  # type: ignore[no-any-return]


def counts(spec: Spec, **kw: Any) -> tuple[str, int, int, int]:
    r = check(spec, **kw)
    return r.status, r.stats.distinct_states, r.stats.generated_states, r.stats.depth


# -- the counts of one instance per witness, and TLC's -------------------------------------


def test_generator_actions_are_detected_and_instances_shrink() -> None:
    spec = paxos_gen()
    assert [a.name for a in spec.actions if a.multi] == ["phase2a"]
    assert len(bind(spec).instances) < len(bind(paxos.spec).instances)


@pytest.mark.parametrize(("params", "distinct", "generated", "depth"), [
    ({"acceptors": 1, "values": 1, "max_ballot": 1}, 25, 82, 9),  # MCPaxos as published
    (BALLOTS_0_1, 3_921, 23_563, 17),  # TLC 2.15, 3 acceptors, 2 values, no SYMMETRY
])
def test_paxos_phase2a_as_a_generator_matches_tlc(params: dict[str, int], distinct: int,
                                                  generated: int, depth: int) -> None:
    want = ("ok", distinct, generated, depth)
    assert counts(paxos.spec, params=params) == want
    spec = paxos_gen()
    assert counts(spec, params=params) == want
    assert counts(spec, params=params, strategy="dfs")[:3] == want[:3]


@pytest.mark.slow
def test_paxos_generator_in_every_exhaustive_explorer() -> None:
    spec = paxos_gen()
    want = ("ok", 3_921, 23_563, 17)
    assert counts(spec, params=BALLOTS_0_1, workers=2) == want
    sym = check(spec, params=BALLOTS_0_1, symmetry=True)
    assert (sym.status, sym.stats.distinct_states, sym.stats.generated_states) == (
        "ok", 443, 2_697)


@pytest.mark.parametrize(("rms", "distinct", "generated", "depth"), [
    (3, 288, 1_146, 11), (4, 1_568, 8_258, 14)])
def test_two_phase_as_generators_matches_tlc(rms: int, distinct: int, generated: int,
                                             depth: int) -> None:
    spec = tpc_gen()
    assert counts(spec, params={"rms": rms}) == ("ok", distinct, generated, depth)
    assert counts(spec, params={"rms": rms}, strategy="dfs", temporal=False)[:3] == (
        "ok", distinct, generated)


@pytest.mark.slow
def test_two_phase_generators_in_parallel_and_dask() -> None:
    spec = tpc_gen()
    assert counts(spec, params={"rms": 4}, workers=2, temporal=False) == (
        "ok", 1_568, 8_258, 14)



@pytest.mark.slow
def test_generators_on_dask() -> None:
    pytest.importorskip("distributed")
    assert counts(TOY, scheduler="local") == counts(TOY)
    r = check(TOY, params={"bad": True}, scheduler="local")
    assert r.status == "violation" and r.violation is not None
    assert r.violation.trace is not None and r.violation.trace.length == 4
    replay(bind(TOY, params={"bad": True}), r.violation.trace)


# -- a small spec with a generator action ---------------------------------------------------


@dataclass(frozen=True)
class Config:
    n: int = 3
    bad: bool = False
    flaky: bool = False
    fail: bool = False


class S(Record):
    xs: tuple[int, ...]


def toy(*, deadlock_free: bool = True) -> Spec:
    spec = Spec("toy-multi", Config, S)

    @spec.init
    def init(cfg: Config) -> S:
        return S((0,) * cfg.n)

    calls = itertools.count()

    @spec.action
    def bump(cfg: Config, s: S) -> Iterator[S | None]:
        """Raise one counter below 2: one successor per counter."""
        if cfg.fail and any(s.xs):
            raise RuntimeError("boom")
        order = range(cfg.n)
        if cfg.flaky and next(calls) % 2:
            order = range(cfg.n - 1, -1, -1)
        for i in order:
            yield None if s.xs[i] >= 2 else S(s.xs[:i] + (s.xs[i] + 1,) + s.xs[i + 1:])

    @spec.always
    def small(cfg: Config, s: S) -> bool:
        return not cfg.bad or sum(s.xs) < 4

    @spec.action_property
    def one_at_a_time(cfg: Config, before: S, after: S) -> bool:
        return sum(after.xs) == sum(before.xs) + 1

    if deadlock_free:
        @spec.terminal
        def full(cfg: Config, s: S) -> bool:
            return all(x == 2 for x in s.xs)

    return spec


def test_toy_counts_everywhere() -> None:
    spec = toy()
    # 3^3 states; each state has one successor per counter below 2.
    generated = 1 + sum(sum(1 for x in xs if x < 2)
                        for xs in itertools.product(range(3), repeat=3))
    want = ("ok", 27, generated, 7)
    assert counts(spec) == want
    assert counts(spec, strategy="dfs")[:3] == want[:3]
    assert counts(spec, symmetry=False, workers=2) == want


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_violation_through_a_generator_step_replays_from_its_file(
        strategy: str, tmp_path: Path) -> None:
    spec = toy()
    r = check(spec, params={"bad": True}, strategy=strategy)
    assert r.status == "violation" and r.violation is not None
    trace = r.violation.trace
    assert trace is not None
    if strategy == "bfs":
        assert trace.length == 4
    assert all(s.choice is not None for s in trace.steps[1:])
    path = tmp_path / "t.json"
    trace.save(path)
    loaded = Trace.load(path)
    assert loaded == trace
    states = replay(bind(spec, params={"bad": True}), loaded)
    assert states[-1] == trace.states[-1]  # type: ignore[index]


def test_a_corrupt_choice_is_refused(tmp_path: Path) -> None:
    spec = toy()
    r = check(spec, params={"bad": True})
    assert r.violation is not None and r.violation.trace is not None
    data = r.violation.trace.to_json()
    steps = data["steps"]
    assert isinstance(steps, list) and isinstance(steps[1], dict)
    steps[1]["choice"] = -1
    with pytest.raises(TraceFormatError, match="choice"):
        Trace.from_json(data)
    steps[1]["choice"] = 7
    with pytest.raises(ReplayError, match="successor 7"):
        replay(bind(spec, params={"bad": True}), Trace.from_json(data))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SystemExit) as exited:
        main(["trace", "replay", str(path), "--spec", f"{__file__}:TOY"])
    assert exited.value.code == 2


TOY = toy()
"""The toy spec, for the command line."""


def test_a_step_without_choice_replays_by_its_state() -> None:
    spec = toy()
    r = check(spec, params={"bad": True})
    assert r.violation is not None and r.violation.trace is not None
    data = r.violation.trace.to_json()
    for step in data["steps"]:
        step.pop("choice", None)
    replay(bind(spec, params={"bad": True}), Trace.from_json(data))


def test_action_property_checked_on_each_successor() -> None:
    spec = toy()

    @spec.action_property
    def no_third(cfg: Config, before: S, after: S) -> bool:
        return after.xs[2] == 0

    for strategy in ("bfs", "dfs"):
        r = check(spec, strategy=strategy)
        assert r.status == "violation" and r.violation is not None
        assert r.violation.property == "no_third"
        assert r.violation.trace is not None and r.violation.trace.length == 1


def test_deadlock_when_a_generator_yields_nothing() -> None:
    r = check(toy(deadlock_free=False))
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "deadlock" and r.violation.trace is not None
    assert r.violation.trace.length == 6


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_a_nondeterministic_generator_is_reported(strategy: str) -> None:
    r = check(toy(), params={"flaky": True, "n": 4}, strategy=strategy)
    assert r.status == "error" and r.error is not None
    assert "nondeterministic" in r.error and "bump" in r.error


def test_a_generator_that_raises_is_a_spec_error_naming_it() -> None:
    for strategy in ("bfs", "dfs"):
        r = check(toy(), params={"fail": True}, strategy=strategy)
        assert r.status == "error" and r.error is not None
        assert "bump" in r.error and "boom" in r.error


def test_an_init_may_not_be_a_generator() -> None:
    spec = Spec("gen-init", Config, S)
    with pytest.raises(SpecDefinitionError, match="generator"):
        @spec.init
        def init(cfg: Config) -> Iterator[S]:
            yield S((0,))


def test_checkpoints_refuse_generator_actions(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="generator"):
        check(toy(), checkpoint=str(tmp_path / "cp"))


# -- random walks and shrinking ---------------------------------------------------------------


def climb() -> Spec:
    """Three counters, each raised or lowered by one; the last one may not reach 2. A
    counter at 2 (or 0) yields no successor, so the others are numbered anew."""
    spec = Spec("climb", Config, S)

    @spec.init
    def init(cfg: Config) -> S:
        return S((0,) * cfg.n)

    @spec.action
    def up(cfg: Config, s: S) -> Iterator[S | None]:
        for i in range(cfg.n):
            yield None if s.xs[i] >= 2 else S(s.xs[:i] + (s.xs[i] + 1,) + s.xs[i + 1:])

    @spec.action
    def down(cfg: Config, s: S) -> Iterator[S | None]:
        for i in range(cfg.n):
            yield None if s.xs[i] == 0 else S(s.xs[:i] + (s.xs[i] - 1,) + s.xs[i + 1:])

    @spec.always
    def last_low(cfg: Config, s: S) -> bool:
        return s.xs[-1] < 2

    return spec


CLIMB = climb()
"""The climb spec, for the command line."""


def test_a_walk_through_generator_steps_is_recorded_and_replays() -> None:
    from modelcheck import simulate
    r = simulate(toy(), params={"bad": True}, seed=2, runs=10, shrink=False)
    assert r.status == "violation" and r.violation is not None
    trace = r.violation.trace
    assert trace is not None and trace.length == 4
    assert [s.choice for s in trace.steps] == [None, 1, 2, 1, 0]
    replay(bind(toy(), params={"bad": True}), trace)
    again = simulate(toy(), params={"bad": True}, seed=2, runs=10, shrink=False)
    assert again.violation is not None and again.violation.trace == trace
    # Every successor is generated, as in an exhaustive search.
    ok = simulate(toy(), seed=1, runs=20)
    assert ok.status == "ok" and ok.stats.distinct_states == 27


@pytest.mark.parametrize("seed", [3, 4])
def test_shrinking_picks_the_successor_that_keeps_the_failure(seed: int) -> None:
    from modelcheck import simulate
    r = simulate(CLIMB, seed=seed, runs=10)
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.shrunk_from == 4
    trace = r.violation.trace
    # Once a counter is dropped from the path, the recorded successor of each later step
    # names another counter: the shrinker takes the one that still fails.
    assert trace.length == 2 and [s.choice for s in trace.steps] == [None, 2, 2]
    replay(bind(CLIMB), trace)


def test_trace_shrink_of_a_generator_trace(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from modelcheck import simulate
    r = simulate(CLIMB, seed=1, runs=10, shrink=False)
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.trace.length == 8
    src, out = tmp_path / "walk.json", tmp_path / "shrunk.json"
    r.violation.trace.save(src)
    ref = f"{__file__}:CLIMB"
    with pytest.raises(SystemExit) as exited:
        main(["trace", "shrink", str(src), "--spec", ref, "--out", str(out)])
    assert exited.value.code in (0, None)
    assert "after 2 steps, shrunk from 8" in capsys.readouterr().out
    shrunk = Trace.load(out)
    assert shrunk.length == 2
    replay(bind(CLIMB), shrunk)
    with pytest.raises(SystemExit) as exited:
        main(["trace", "replay", str(out), "--spec", ref])
    assert exited.value.code == 1  # it replays, and shows the violation
    assert "replays (2 steps) and shows a violation" in capsys.readouterr().out


@pytest.mark.slow
def test_simulate_gives_the_walks_of_one_instance_per_witness() -> None:
    """Each successor of a generator instance is a candidate step, as the instance of
    each witness is: the same seed walks the same way, to the same verdicts."""
    from modelcheck import simulate
    for plain, gen, variants in ((paxos.spec, paxos_gen(), ("accept-lower-ballot",)),
                                 (two_phase_commit.spec, tpc_gen(),
                                  (None, "tm-commits-early"))):
        for variant in variants:
            for shrink in (False, True):
                a = simulate(plain, variant=variant, seed=7, runs=100, shrink=shrink)
                b = simulate(gen, variant=variant, seed=7, runs=100, shrink=shrink)
                assert (a.status, a.stats.distinct_states, a.stats.generated_states) == (
                    b.status, b.stats.distinct_states, b.stats.generated_states)
                assert (a.violation is None) == (variant is None)
                if a.violation is None:
                    continue
                assert b.violation is not None and b.violation.trace is not None
                assert a.violation.trace is not None
                assert a.violation.message == b.violation.message
                if not shrink:  # shrunk, they may differ, in as many steps
                    assert [s.state for s in a.violation.trace.steps] == [
                        s.state for s in b.violation.trace.steps]
                replay(bind(gen, variant), b.violation.trace)


def test_a_nondeterministic_generator_is_caught_by_random_walks() -> None:
    from modelcheck import simulate
    r = simulate(toy(), params={"flaky": True, "n": 4}, seed=1, runs=10)
    assert r.status == "error" and r.error is not None
    assert "nondeterministic" in r.error and "bump" in r.error
    r = check(toy(), params={"fail": True}, strategy="random", seed=1, runs=10)
    assert r.status == "error" and r.error is not None and "boom" in r.error


def test_testing_bridge_takes_each_successor() -> None:
    from modelcheck import testing
    from modelcheck.semantics import successors
    model = bind(toy())
    first = model.initial_states()[0][1]
    assert len(successors(model, first)) == 3
    assert testing.state_machine(toy()) is not None
