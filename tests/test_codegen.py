"""The generated successor function against the plain action table it is compiled from.

The explorers that use the generated expander (BFS, parallel and distributed workers) and
those that walk the table (DFS, random walks, replay, the checkers' culprit search) must see
the same successors, from the same action instances, in the same order, in every state:
with specialised calls (the network's ``deliver`` and node actions) and the inline
membership tests that skip a message not in flight, under every network kind and fault
configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelcheck import Record, Spec, bind
from modelcheck.catalogue import entries, load
from modelcheck.errors import SpecDefinitionError
from modelcheck.explore._codegen import expander
from modelcheck.model import Model
from modelcheck.spec import Specialised

FAULT_SPECS = Path(__file__).resolve().parent / "specs_faults"


def _reachable(model: Model, limit: int) -> list[Any]:
    """Up to ``limit`` reachable states, breadth-first, by the table alone."""
    cfg, table = model.config, model.table()
    states = [s for _, s in model.initial_states()]
    seen = set(states)
    i = 0
    while i < len(states) and len(states) < limit:
        for _, fn, args in table:
            t = fn(cfg, states[i], *args)
            if t is not None and t not in seen:
                seen.add(t)
                states.append(t)
        i += 1
    return states


def _by_table(model: Model, states: list[Any]) -> tuple[list[Any], list[int], list[int]]:
    cfg, table = model.config, model.table()
    succs: list[Any] = []
    actions: list[int] = []
    counts: list[int] = []
    for s in states:
        n = len(succs)
        for aid, fn, args in table:
            t = fn(cfg, s, *args)
            if t is not None:
                succs.append(t)
                actions.append(aid)
        counts.append(len(succs) - n)
    return succs, actions, counts


def _agree(model: Model, limit: int = 3000) -> int:
    states = _reachable(model, limit)
    expected = _by_table(model, states)
    got: tuple[list[Any], list[int], list[int]] = ([], [], [])
    expander(model)(states, *got)
    assert got[1] == expected[1]  # the same instances fire, in the same order
    assert got[2] == expected[2]
    assert got[0] == expected[0]
    return len(expected[0])


MODELS = [
    ("two-phase-commit", {"rms": 3}),
    ("two-phase-commit", {"rms": 3, "faults": "crash=1"}),
    ("two-phase-commit", {"rms": 3, "faults": "loss=1,partition=1"}),
    ("raft", {}),
    ("raft", {"faults": "loss=1,dup=1,crash=1,restart=1"}),
    ("raft", {"network": "fifo", "faults": "reorder=1,partition=1"}),
    ("raft", {"network": "fifo", "faults": "loss=1"}),
    ("paxos", {"max_ballot": 1}),
    ("three-phase-commit", {"faults": "partition=1"}),
]


@pytest.mark.parametrize(("name", "params"), MODELS,
                         ids=[f"{n}:{p}" for n, p in MODELS])
@pytest.mark.slow
def test_generated_expander_matches_the_table(name: str, params: dict[str, Any]) -> None:
    assert _agree(bind(load(name), None, params)) > 0


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in ("raft", "multi-paxos") else name
    for name in sorted(entries())])
def test_every_catalogue_default_agrees(name: str) -> None:
    _agree(bind(load(name), None, {}), limit=1000)


@pytest.mark.parametrize(("name", "faults"), [
    ("ping_pong", "crash=1"), ("counter", "dup=1"), ("fifo_writes", "reorder=1"),
    ("split_brain", "partition=1"), ("echo", "equivocate=1")])
def test_fault_specs_agree(name: str, faults: str) -> None:
    spec = load(str(FAULT_SPECS / f"{name}.py"))
    assert _agree(bind(spec, None, {"faults": faults})) > 0


# -- the Specialised contract on a spec of its own ---------------------------------------


@dataclass(frozen=True)
class Cfg:
    """No constants."""


class S(Record):
    """A bag of tokens and a counter."""

    tokens: frozenset[int]
    n: int


def _spec(field: str = "tokens") -> tuple[Spec, list[int]]:
    spec = Spec("call-contract", Cfg, S)
    called: list[int] = []

    @spec.init
    def init(cfg: Cfg) -> S:
        return S(frozenset({1, 3}), 0)

    def take(cfg: Cfg, s: S, t: int) -> S | None:
        called.append(t)
        if t not in s.tokens or s.n >= 2:
            return None
        return s.replace(tokens=s.tokens - {t}, n=s.n + 1)

    def take_t(cfg: Cfg, s: S, t: int) -> S | None:
        return take(cfg, s, t)

    take.specialise = lambda cfg, t: Specialised(take_t, (t,), (field, t))  # type: ignore[attr-defined]
    spec.action(t=lambda cfg: (1, 2, 3))(take)
    return spec, called


def test_requires_skips_the_call_when_the_item_is_absent() -> None:
    spec, called = _spec()
    model = bind(spec, None, {})
    init = [s for _, s in model.initial_states()]
    succs: list[Any] = []
    actions: list[int] = []
    counts: list[int] = []
    expander(model)(init, succs, actions, counts)
    assert called == [1, 3]  # token 2 is not there: no call at all
    assert succs == [S(frozenset({3}), 1), S(frozenset({1}), 1)] and counts == [2]
    assert _agree(model) == 4


def test_requires_must_name_a_field() -> None:
    spec, _ = _spec(field="not a field")
    with pytest.raises(SpecDefinitionError, match="take: its specialise hook's requires names "
                       "field 'not a field', not an identifier"):
        expander(bind(spec, None, {}))


@pytest.mark.parametrize(("hook", "said"), [
    (lambda cfg, t: 1 // 0, "its specialise hook raised ZeroDivisionError: integer division"),
    (lambda cfg, t: (print, (t,)), "its specialise hook returned tuple, not a Specialised"),
])
def test_a_specialise_hook_that_fails_is_the_specs_error(hook: Any, said: str) -> None:
    spec, _ = _spec()
    spec.actions[0].fn.specialise = hook  # type: ignore[attr-defined]
    with pytest.raises(SpecDefinitionError, match=f"action take: {said}"):
        expander(bind(spec, None, {}))


def test_large_models_fall_back_to_the_table_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelcheck.explore._codegen as codegen
    model = bind(load("two-phase-commit"), None, {"rms": 3})
    assert len(model.table()) > 2
    assert "table" not in codegen.expander(model).__code__.co_names  # unrolled
    monkeypatch.setattr(codegen, "MAX_UNROLLED", 2)
    assert "table" in codegen.expander(model).__code__.co_names  # the loop over the table
    assert _agree(model) > 0


class Bag(Record):
    """Tokens as a frozenset or as a tuple that may repeat one, and a counter."""

    tokens: Any
    n: int


@pytest.mark.parametrize("start", [frozenset({1, 3, 8}), (8, 1, 1, 3), frozenset()])
def test_a_run_of_membership_tests_is_one_block(start: Any) -> None:
    # Ten instances guarded on one field make a block: a frozenset is walked, any other
    # value tested item by item; either way the instances fire in instance order, once.
    spec = Spec("block", Cfg, Bag)
    called: list[int] = []

    @spec.init
    def init(cfg: Cfg) -> Bag:
        return Bag(start, 0)

    def take(cfg: Cfg, s: Bag, t: int) -> Bag | None:
        called.append(t)
        if t not in s.tokens or s.n >= 2:
            return None
        rest = [x for x in s.tokens if x != t]
        return s.replace(tokens=type(s.tokens)(rest), n=s.n + 1)

    def take_t(cfg: Cfg, s: Bag, t: int) -> Bag | None:
        return take(cfg, s, t)

    take.specialise = lambda cfg, t: Specialised(  # type: ignore[attr-defined]
        lambda cfg, s: take_t(cfg, s, t), (), ("tokens", t))
    spec.action(t=lambda cfg: tuple(range(10)))(take)
    model = bind(spec, None, {})
    expand = expander(model)
    assert "hits" in expand.__code__.co_varnames
    succs: list[Any] = []
    actions: list[int] = []
    counts: list[int] = []
    expand([init(Cfg())], succs, actions, counts)
    assert called == sorted(set(start)) and actions == sorted(set(start))
    _agree(model)
    seen: list[tuple[int, int]] = []
    expander(model, checked=True)([init(Cfg())], [], [], [], 5,
                                  lambda s, k, aid, t: seen.append((k, aid)))
    assert seen == [(5, aid) for aid in sorted(set(start))]
