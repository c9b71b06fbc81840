"""Network semantics: a network is a frozenset, and a kind is what send and deliver mean on it.

``set``: a message once sent stays and can be received any number of times; ``bag``: each
send is one delivery, in any order, extra copies of a message held as ``Copies(msg,
extra)``; ``fifo``: each channel (sender, receiver) delivers in order, the head of each
channel in the set and ``Behind(first, rest)`` holding the messages queued after it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from modelcheck.state import Record

__all__ = ["KINDS", "Behind", "Copies", "Net"]

KINDS = ("set", "bag", "fifo")
"""Network semantics: re-deliverable set, bag (one delivery per send), FIFO channels."""


class Copies(Record):
    """``extra`` more copies of ``msg`` in flight on a bag network (``msg`` is there too)."""

    msg: Record
    extra: int


class Behind(Record):
    """The messages queued behind ``first``, the head of its channel, on a FIFO network."""

    first: Record
    rest: tuple[Record, ...]


M = TypeVar("M")
Net = frozenset[M | Copies | Behind]
"""The annotation of a network field: ``msgs: Net[Message]``."""


# -- semantics ------------------------------------------------------------------------------


class _Kind:
    """The operations of one network semantics on its frozenset value."""

    consumes = True

    def __init__(self, route: Callable[[Any], tuple[Any, Any]]) -> None:
        self.route = route

    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        raise NotImplementedError

    def put_all(self, net: frozenset[Any], messages: Iterable[Any]) -> frozenset[Any]:
        for m in messages:
            net = self.put(net, m)
        return net

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        """``net`` after delivering ``m`` (which is deliverable: ``m in net``)."""
        raise NotImplementedError

    def drop(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self.take(net, m) if m in net else None

    def dup(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self.put(net, m) if m in net else None

    def reorder(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return None

    def items(self, net: frozenset[Any]) -> Iterator[Any]:
        return iter(net)

    def discard(self, net: frozenset[Any], pred: Callable[[Any], bool]) -> frozenset[Any]:
        return frozenset([x for x in net if not pred(x)])


class _SetKind(_Kind):
    consumes = False

    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        return net | {m}

    def put_all(self, net: frozenset[Any], messages: Iterable[Any]) -> frozenset[Any]:
        return net.union(messages)

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        return net

    def drop(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return net - {m} if m in net else None

    def dup(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return None


def _copies_of(net: frozenset[Any], m: Any) -> Copies | None:
    for x in net:
        if type(x) is Copies and x.msg == m:
            return x
    return None


class _BagKind(_Kind):
    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        if m not in net:
            return net | {m}
        c = _copies_of(net, m)
        if c is None:
            return net | {Copies(m, 1)}
        return (net - {c}) | {Copies(m, c.extra + 1)}

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        c = _copies_of(net, m)
        if c is None:
            return net - {m}
        if c.extra == 1:
            return net - {c}
        return (net - {c}) | {Copies(m, c.extra - 1)}

    def items(self, net: frozenset[Any]) -> Iterator[Any]:
        for x in net:
            if type(x) is Copies:
                yield from itertools.repeat(x.msg, x.extra)
            else:
                yield x

    def discard(self, net: frozenset[Any], pred: Callable[[Any], bool]) -> frozenset[Any]:
        return frozenset([x for x in net if not pred(x.msg if type(x) is Copies else x)])


class _FifoKind(_Kind):
    def queues(self, net: frozenset[Any]) -> dict[Any, tuple[Any, ...]]:
        """Every channel's queue, by its head."""
        out: dict[Any, tuple[Any, ...]] = {x: (x,) for x in net if type(x) is not Behind}
        for x in net:
            if type(x) is Behind:
                out[x.first] = (x.first, *x.rest)
        return out

    @staticmethod
    def _encode(net: frozenset[Any], old: tuple[Any, ...],
                new: tuple[Any, ...]) -> frozenset[Any]:
        """``net`` with one channel's queue ``old`` (maybe empty) replaced by ``new``."""
        drop: list[Any] = []
        if old:
            drop.append(old[0])
            if len(old) > 1:
                drop.append(Behind(old[0], old[1:]))
        add: list[Any] = []
        if new:
            add.append(new[0])
            if len(new) > 1:
                add.append(Behind(new[0], new[1:]))
        return (net - frozenset(drop)) | frozenset(add)

    def _queue(self, net: frozenset[Any], channel: Any) -> tuple[Any, ...]:
        route = self.route
        for x in net:
            if type(x) is not Behind and route(x) == channel:
                b = next((y for y in net if type(y) is Behind and y.first == x), None)
                return (x,) if b is None else (x, *b.rest)
        return ()

    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        q = self._queue(net, self.route(m))
        return self._encode(net, q, (*q, m))

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        q = self._queue(net, self.route(m))
        return self._encode(net, q, q[1:])

    def _edit(self, net: frozenset[Any], m: Any,
              change: Callable[[tuple[Any, ...], int], tuple[Any, ...] | None]
              ) -> frozenset[Any] | None:
        q = self._queue(net, self.route(m))
        if m not in q:
            return None
        new = change(q, q.index(m))
        return None if new is None else self._encode(net, q, new)

    def drop(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self._edit(net, m, lambda q, i: q[:i] + q[i + 1:])

    def dup(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self._edit(net, m, lambda q, i: q[:i + 1] + q[i:])

    def reorder(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        def swap(q: tuple[Any, ...], i: int) -> tuple[Any, ...] | None:
            if i == 0 or q[i - 1] == m:
                return None  # already first, or behind an equal message: no new order
            return q[:i - 1] + (m, q[i - 1]) + q[i + 1:]
        return self._edit(net, m, swap)

    def items(self, net: frozenset[Any]) -> Iterator[Any]:
        for q in self.queues(net).values():
            yield from q

    def discard(self, net: frozenset[Any], pred: Callable[[Any], bool]) -> frozenset[Any]:
        out: list[Any] = []
        for q in self.queues(net).values():
            kept = tuple(x for x in q if not pred(x))
            if kept:
                out.append(kept[0])
                if len(kept) > 1:
                    out.append(Behind(kept[0], kept[1:]))
        return frozenset(out)


_KIND_CLASSES: dict[str, type[_Kind]] = {"set": _SetKind, "bag": _BagKind, "fifo": _FifoKind}
