"""Linearizability of a history of operations: Wing and Gong's search, with memoisation.

Source: Maurice Herlihy and Jeannette Wing, "Linearizability: A Correctness Condition for
Concurrent Objects" (TOPLAS 1990), for the definition; Jeannette Wing and Chun Gong,
"Testing and Verifying Concurrent Objects" (JPDC 1993), for the search; Gavin Lowe,
"Testing for Linearizability" (2017), and the Porcupine checker, for the memoisation of
(linearized operations, object state) pairs that makes it practical.

A spec records what its clients see as a *history* in its state: a :class:`Call` when a
client invokes an operation and a :class:`Return` when the client receives the result,
in the order they happen. The history is linearizable when every operation can be given
a point between its call and its return at which it takes effect atomically, so that the
results are those of a sequential object (a :class:`SequentialSpec`, such as
:class:`Register`) applied in that order. An operation still pending (called, never
returned) may take effect at any point after its call, with any result, or not at all.
A spec states the property as an invariant::

    REGISTER = Register(initial=0)

    @spec.always
    def linearizable(cfg: Config, s: State) -> bool:
        return is_linearizable(s.history, REGISTER)

The search tries, at each point, every operation that may come next (one whose call
precedes the return of every operation not yet placed), and remembers each set of placed
operations with the object's state it led to, so a state reached by two orders is explored
once. Histories of a model are short; states along a search share prefixes, so a spec may
memoise its property on the history (it is a hashable tuple).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from modelcheck.state import Record

__all__ = ["Call", "Operation", "Read", "Register", "Return", "SequentialSpec", "Write",
           "is_linearizable", "linearize", "operations"]


class Call(Record):
    """``client`` invokes operation ``op`` (an input of the sequential object)."""

    client: Any
    op: Any


class Return(Record):
    """``client`` receives ``value``, the result of its pending operation."""

    client: Any
    value: Any


class SequentialSpec(Protocol):
    """A sequential object: its initial state, and the effect and result of an operation.

    States must be hashable (they are memoised); ``apply`` must be a pure function.
    """

    def init(self) -> Hashable:
        """The object's initial state."""
        ...

    def apply(self, state: Any, op: Any) -> tuple[Hashable, Any]:
        """The state after ``op`` and its result."""
        ...


class Read(Record):
    """Read a register: the result is its value."""


class Write(Record):
    """Write ``value`` to a register: the result is ``"ok"``."""

    value: Any


@dataclass(frozen=True)
class Register:
    """A read/write register holding ``initial`` at first: :class:`Read` and :class:`Write`."""

    initial: Hashable = None

    def init(self) -> Hashable:
        """The initial value."""
        return self.initial

    def apply(self, state: Any, op: Any) -> tuple[Hashable, Any]:
        """A write replaces the value and returns ``"ok"``; a read returns it."""
        if type(op) is Write:
            return op.value, "ok"
        if type(op) is Read:
            return state, state
        raise ValueError(f"a register has operations Read() and Write(value), not {op!r}")


@dataclass(frozen=True)
class Operation:
    """One client operation of a history: its input, its result (None while ``pending``),
    and the positions in the history of its call and of its return (None if pending)."""

    client: Any
    op: Any
    value: Any
    call: int
    ret: int | None

    @property
    def pending(self) -> bool:
        """Whether the operation was called but has not returned."""
        return self.ret is None


def operations(history: Sequence[Call | Return]) -> list[Operation]:
    """The operations of ``history``, in the order of their calls.

    A well-formed history has at most one pending operation per client, and each
    :class:`Return` answers its client's pending call; anything else is a ValueError
    naming the event.
    """
    open_calls: dict[Any, tuple[int, Call]] = {}
    found: list[Operation] = []
    for i, event in enumerate(history):
        if type(event) is Call:
            if event.client in open_calls:
                raise ValueError(f"history event {i}, {event!r}: client {event.client!r} "
                                 "calls while its previous operation is pending")
            open_calls[event.client] = (i, event)
        elif type(event) is Return:
            if event.client not in open_calls:
                raise ValueError(f"history event {i}, {event!r}: client {event.client!r} "
                                 "has no pending call to return from")
            at, call = open_calls.pop(event.client)
            found.append(Operation(call.client, call.op, event.value, at, i))
        else:
            raise ValueError(f"history event {i} is {event!r}; a history holds only Call "
                             "and Return records")
    found.extend(Operation(c.client, c.op, None, at, None) for at, c in open_calls.values())
    return sorted(found, key=lambda o: o.call)


def linearize(history: Sequence[Call | Return],
              spec: SequentialSpec) -> list[Operation] | None:
    """A linearization of ``history`` against ``spec``, or None if there is none.

    The result lists the operations that take effect, in the order they do: every
    completed one, and those pending operations that must (or may) have taken effect.
    """
    ops = operations(history)
    never = len(history)  # a pending operation returns after every event
    calls = [o.call for o in ops]
    rets = [never if o.ret is None else o.ret for o in ops]
    required = 0
    for i, o in enumerate(ops):
        if not o.pending:
            required |= 1 << i
    seen: set[tuple[int, Hashable]] = set()
    # Depth-first, with an explicit stack: histories of thousands of operations must not
    # hit the recursion limit. Each entry: operations placed, object state, their order.
    stack: list[tuple[int, Hashable, tuple[int, ...]]] = [(0, spec.init(), ())]
    while stack:
        done, state, order = stack.pop()
        if done & required == required:
            return [ops[i] for i in order]
        # The next operation must be called before every operation not yet placed returns.
        # Operations are in call order, so the candidates are a window starting at the
        # first one not placed, ending at the first call after that earliest return.
        first = (~done & (done + 1)).bit_length() - 1
        horizon = never
        window: list[int] = []
        for i in range(first, len(ops)):
            if calls[i] > horizon:
                break
            if not done >> i & 1:
                window.append(i)
                horizon = min(horizon, rets[i])
        for i in reversed(window):  # reversed: the stack pops the first call first
            if calls[i] > horizon:
                continue
            after, result = spec.apply(state, ops[i].op)
            if not ops[i].pending and result != ops[i].value:
                continue
            key = (done | 1 << i, after)
            if key in seen:
                continue
            seen.add(key)
            stack.append((key[0], after, (*order, i)))
    return None


def is_linearizable(history: Sequence[Call | Return], spec: SequentialSpec) -> bool:
    """Whether ``history`` is linearizable with respect to ``spec``."""
    return linearize(history, spec) is not None
