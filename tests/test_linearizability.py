"""The linearizability checker on its own: the classic register histories, agreement with
a brute-force search over every order, and histories of sequential runs."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.properties.linearizability import (
    Call,
    Operation,
    Read,
    Register,
    Return,
    Write,
    is_linearizable,
    linearize,
    operations,
)

REG = Register(initial=0)


def w(c: int, v: int) -> Call:
    return Call(c, Write(v))


def r(c: int) -> Call:
    return Call(c, Read())


def ok(c: int) -> Return:
    return Return(c, "ok")


def got(c: int, v: int) -> Return:
    return Return(c, v)


# Herlihy and Wing's register examples and the anomalies replication produces.
CLASSIC: list[tuple[str, list[Call | Return], bool]] = [
    ("sequential write then read", [w(0, 1), ok(0), r(1), got(1, 1)], True),
    ("read of the initial value", [r(0), got(0, 0)], True),
    ("stale read after an acknowledged write", [w(0, 1), ok(0), r(1), got(1, 0)], False),
    ("read of a value never written", [r(0), got(0, 7)], False),
    ("read returns a value before its write is called", [r(1), got(1, 1), w(0, 1), ok(0)],
     False),
    ("two reads overlapping a write see old then new",
     [w(0, 1), r(1), r(2), got(1, 0), got(2, 1), ok(0)], True),
    ("new/old inversion: a later read sees the older value",
     [w(0, 1), r(1), got(1, 1), r(2), got(2, 0), ok(0)], False),
    ("a pending write may have taken effect", [w(0, 1), r(1), got(1, 1)], True),
    ("a pending write may not have taken effect", [w(0, 1), r(1), got(1, 0)], True),
    ("a pending write takes effect once: 1 then 0 is impossible",
     [w(0, 1), r(1), got(1, 1), r(1), got(1, 0)], False),
    ("concurrent writes, reads agree on the last", [w(0, 1), w(1, 2), ok(0), ok(1),
                                                   r(2), got(2, 2), r(2), got(2, 2)], True),
    ("concurrent writes, reads disagree after both", [w(0, 1), w(1, 2), ok(0), ok(1),
                                                     r(2), got(2, 1), r(3), got(3, 2)], False),
    ("a write's result must be ok", [w(0, 1), got(0, 1)], False),
    ("empty history", [], True),
]


@pytest.mark.parametrize(("history", "expected"), [(h, e) for _, h, e in CLASSIC],
                         ids=[name for name, _, _ in CLASSIC])
def test_classic_register_histories(history: list[Call | Return], expected: bool) -> None:
    assert is_linearizable(history, REG) is expected
    assert brute_force(history, REG) is expected


def test_the_witness_respects_real_time_and_the_register() -> None:
    history = [w(0, 1), r(1), r(2), got(1, 0), got(2, 1), ok(0)]
    order = linearize(history, REG)
    assert order is not None
    assert [(o.client, o.op) for o in order] == [(1, Read()), (0, Write(1)), (2, Read())]
    assert sequentially_valid(order, REG)


def test_a_pending_operation_that_had_no_effect_is_left_out() -> None:
    order = linearize([w(0, 1), r(1), got(1, 0)], REG)
    assert order is not None and [o.client for o in order] == [1]


def test_operations_pair_calls_with_returns() -> None:
    ops = operations([w(0, 1), r(1), got(1, 0), ok(0), r(0)])
    assert ops == [Operation(0, Write(1), "ok", 0, 3), Operation(1, Read(), 0, 1, 2),
                   Operation(0, Read(), None, 4, None)]
    assert [o.pending for o in ops] == [False, False, True]


@pytest.mark.parametrize(("history", "message"), [
    ([w(0, 1), w(0, 2)], "client 0 calls while its previous operation is pending"),
    ([ok(0)], "client 0 has no pending call to return from"),
    ([("call", 0)], "holds only Call and Return records"),
])
def test_ill_formed_histories_are_refused(history: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        is_linearizable(history, REG)


def test_a_register_refuses_foreign_operations() -> None:
    with pytest.raises(ValueError, match="Read\\(\\) and Write\\(value\\)"):
        is_linearizable([Call(0, "increment"), Return(0, 1)], REG)


def test_a_long_history_needs_no_recursion() -> None:
    history: list[Call | Return] = []
    for i in range(3000):
        history += [w(0, i), ok(0), r(1), got(1, i)]
    assert is_linearizable(history, REG)
    assert not is_linearizable([*history, r(1), got(1, 0)], REG)


@dataclass(frozen=True)
class Counter:
    """Another sequential object: ``"inc"`` returns the new count."""

    def init(self) -> Hashable:
        return 0

    def apply(self, state: Any, op: Any) -> tuple[Hashable, Any]:
        return state + 1, state + 1


def test_other_sequential_objects() -> None:
    inc = [Call(0, "inc"), Call(1, "inc"), Return(1, 1), Return(0, 2)]
    assert is_linearizable(inc, Counter())
    assert not is_linearizable([Call(0, "inc"), Return(0, 2)], Counter())


# -- brute force: every subset of pending operations, every order ---------------------------


def sequentially_valid(order: Sequence[Operation], spec: Any) -> bool:
    state = spec.init()
    for o in order:
        state, result = spec.apply(state, o.op)
        if not o.pending and result != o.value:
            return False
    return True


def respects_real_time(order: Sequence[Operation]) -> bool:
    return not any(b.ret is not None and b.ret < a.call
                   for i, a in enumerate(order) for b in order[i + 1:])


def brute_force(history: Sequence[Call | Return], spec: Any) -> bool:
    ops = operations(history)
    done = [o for o in ops if not o.pending]
    pending = [o for o in ops if o.pending]
    for k in range(len(pending) + 1):
        for extra in itertools.combinations(pending, k):
            for order in itertools.permutations(done + list(extra)):
                if respects_real_time(order) and sequentially_valid(order, spec):
                    return True
    return False


# -- generated histories ----------------------------------------------------------------------


@st.composite
def sequential_runs(draw: st.DrawFn) -> list[Call | Return]:
    """Clients call, take effect on a real register at one instant, and return, in any
    interleaving: a linearizable history by construction, possibly ending with pending
    operations that did or did not take effect."""
    clients = draw(st.integers(1, 4))
    value = 0
    phase = ["idle"] * clients
    op: list[Any] = [None] * clients
    result: list[Any] = [None] * clients
    history: list[Call | Return] = []
    for _ in range(draw(st.integers(0, 40))):
        c = draw(st.integers(0, clients - 1))
        if phase[c] == "idle":
            op[c] = draw(st.sampled_from([Read(), Write(draw(st.integers(0, 3)))]))
            history.append(Call(c, op[c]))
            phase[c] = "called"
        elif phase[c] == "called":
            value, result[c] = REG.apply(value, op[c])
            phase[c] = "effected"
        else:
            history.append(Return(c, result[c]))
            phase[c] = "idle"
    return history


@settings(max_examples=300, deadline=None)
@given(sequential_runs())
@pytest.mark.slow
def test_histories_of_sequential_runs_are_accepted(history: list[Call | Return]) -> None:
    order = linearize(history, REG)
    assert order is not None
    assert respects_real_time(order) and sequentially_valid(order, REG)
    assert {o.call for o in order} >= {o.call for o in operations(history) if not o.pending}


@settings(max_examples=300, deadline=None)
@given(sequential_runs(), st.data())
@pytest.mark.slow
def test_the_search_agrees_with_brute_force(history: list[Call | Return],
                                            data: st.DataObject) -> None:
    """Perturb a read's result: the two checkers agree whichever way it goes."""
    history = history[:9]  # brute force tries every order: keep it to a few operations
    reads = [i for i, e in enumerate(history) if type(e) is Return and e.value != "ok"]
    if reads:
        i = data.draw(st.sampled_from(reads))
        history = [*history[:i], Return(history[i].client, data.draw(st.integers(0, 3))),
                   *history[i + 1:]]
    assert is_linearizable(history, REG) is brute_force(history, REG)
