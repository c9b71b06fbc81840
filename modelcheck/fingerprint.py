"""64-bit state fingerprints that never depend on the interpreter, and their collision odds.

A model checker stores a fingerprint per state instead of the state, so two states with the
same fingerprint are silently merged: the fingerprint function decides whether a ✓ can be
trusted. Python's ``hash`` cannot be used for it. It maps ``-1`` and ``-2`` to the same
value, ``2**61 - 1`` to ``0``, ``1``, ``True`` and ``1.0`` to one value, and strings (and,
before Python 3.12, ``None``) to values that change with every process. modelcheck's
fingerprint is instead a 64-bit hash of a *canonical encoding* of the value:

* every value is encoded with its kind (None, False, True, int, float, str, bytes, tuple,
  frozenset, record, named tuple, enum, dataclass ...) and for records, named tuples, enums
  and dataclasses its class's qualified name, so values of different kinds or classes never
  share an encoding (``1``, ``True`` and ``1.0`` differ; so do ``()`` and ``frozenset()``,
  ``"a"`` and ``b"a"``);
* integers by their exact two's-complement value (any size), strings by their UTF-8 bytes,
  floats by their IEEE bits (one NaN), enums by their member name, dataclasses by their
  compared fields in order, containers by their length and their items' fingerprints, a
  frozenset's sorted so that its order never matters;
* the words of the encoding are mixed with xxHash64's round and finished with its
  avalanche.

The encoding depends on nothing but the value, so fingerprints are the same in every
process and on every machine (of either byte order): checkpoints and Dask workers need no
fixed ``PYTHONHASHSEED``. The C version in ``_speedups.c`` computes it for whole batches of
states and remembers the fingerprints of the last few hundred parts it met (states
share most of their parts with their parents); :func:`fingerprint_py` here is the
reference it is tested against, used when the extension is not built.

A state is made of None, bools, ints, floats, strings, bytes, tuples, frozensets, enums,
:class:`~modelcheck.Record` records, :class:`~modelcheck.Map` maps, named tuples and frozen
dataclasses, nested freely; a class of the user's may take part by defining
``__fingerprint__(self)``, returning such a value that identifies it (a map is encoded so:
its class's name, then its keys and values in their canonical order). Anything else (a
list, a dict, an arbitrary object) is refused with a ``TypeError`` that names its type.

As in TLC, distinct states can still share a 64-bit fingerprint by chance; see
:func:`collision_probability`.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import struct
from collections.abc import Callable, Iterable
from typing import Any

from modelcheck.errors import SpecRuntimeError
from modelcheck.state import Map, Record

__all__ = ["ACCELERATED", "ENCODING", "Audit", "FingerprintCollision", "collision_probability",
           "deepest_nesting", "fingerprint", "fingerprint_py", "fingerprints_into", "identical",
           "nesting"]

# -- the encoding ------------------------------------------------------------------------------

ENCODING = "modelcheck-fingerprint/1"
"""The version of the encoding, recorded in checkpoints: a change to it changes every
fingerprint."""

_MASK = (1 << 64) - 1
_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P5 = 0x27D4EB2F165667C5

# Kinds: the first word of every encoding (the same numbers as in _speedups.c).
_NONE, _FALSE, _TRUE, _INT, _BIGINT, _FLOAT, _STR, _BYTES = 1, 2, 3, 4, 5, 6, 7, 8
_TUPLE, _FROZENSET, _RECORD, _NAMED, _ENUM, _DATACLASS, _CUSTOM, _SUBCLASS = (
    9, 10, 11, 12, 13, 14, 15, 16)
_UNSUPPORTED = 0

_NAN_BITS = 0x7FF8000000000000


def _round(acc: int, word: int) -> int:
    acc = (acc + word * _P2) & _MASK
    acc = ((acc << 31) | (acc >> 33)) & _MASK
    return (acc * _P1) & _MASK


def _avalanche(h: int) -> int:
    h ^= h >> 33
    h = (h * _P2) & _MASK
    h ^= h >> 29
    h = (h * _P3) & _MASK
    return h ^ (h >> 32)


def _begin(kind: int) -> int:
    return (kind * _P1 + _P5) & _MASK


def _bytes(kind: int, data: bytes) -> int:
    acc = _round(_begin(kind), len(data))
    for i in range(0, len(data), 8):
        acc = _round(acc, int.from_bytes(data[i:i + 8], "little"))
    return _avalanche(acc)


def _utf8(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _int(v: int) -> int:
    if -(1 << 63) <= v < (1 << 63):
        return _avalanche(_round(_begin(_INT), v & _MASK))
    return _bytes(_BIGINT, v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True))


def _float(v: float) -> int:
    bits = _NAN_BITS if v != v else struct.unpack("<Q", struct.pack("<d", v))[0]
    return _avalanche(_round(_begin(_FLOAT), bits))


def _items(kind: int, items: Iterable[Any], n: int, name: int | None = None) -> int:
    acc = _round(_begin(kind), n)
    if name is not None:
        acc = _round(acc, name)
    for item in items:
        acc = _round(acc, _fp(item))
    return _avalanche(acc)


def _frozenset(v: frozenset[Any]) -> int:
    acc = _round(_begin(_FROZENSET), len(v))
    for h in sorted(_fp(x) for x in v):
        acc = _round(acc, h)
    return _avalanche(acc)


def _base_value(v: Any) -> int:
    """The fingerprint of an instance of a subclass of int, str, float, bytes or
    frozenset, as if it were an instance of that builtin."""
    if isinstance(v, int):
        return _int(int(v))
    if isinstance(v, str):
        return _bytes(_STR, _utf8(str(v)))
    if isinstance(v, float):
        return _float(float(v))
    if isinstance(v, bytes):
        return _bytes(_BYTES, bytes(v))
    return _frozenset(frozenset(v))


_UNHASHABLE = (list, dict, set, bytearray)

_SUPPORTED = ("states are made of None, bools, ints, floats, strings, bytes, tuples, "
              "frozensets, enums, records, Maps, named tuples and frozen dataclasses (a class "
              "of your own may define __fingerprint__(self) returning such a value)")

Plan = tuple[int, int, tuple[str, ...] | None, str | None]
"""How a value of a class that is not a builtin is encoded: its kind, the fingerprint of
the class's name, the names of the fields (dataclasses) and, for a class that cannot be
fingerprinted, the message of the TypeError."""


def plan(cls: type) -> Plan:
    """How values of class ``cls`` are encoded (called once per class by the C version)."""
    name = _bytes(_STR, _utf8(cls.__qualname__))
    if issubclass(cls, Record):
        return (_RECORD, name, None, None)
    if issubclass(cls, enum.Enum):
        return (_ENUM, name, None, None)
    if dataclasses.is_dataclass(cls):
        fields = tuple(f.name for f in dataclasses.fields(cls) if f.compare)
        return (_DATACLASS, name, fields, None)
    if issubclass(cls, Map):
        # The C version reads the map's dict (items in canonical order) rather than call
        # __fingerprint__, whose tuple of keys and values it encodes alike.
        return (_CUSTOM, name, ("_d",), None)
    if callable(getattr(cls, "__fingerprint__", None)):
        return (_CUSTOM, name, None, None)
    if issubclass(cls, tuple):
        return (_NAMED, name, None, None)
    if issubclass(cls, _UNHASHABLE):
        return (_UNSUPPORTED, name, None, f"unhashable type: '{cls.__name__}'")
    if issubclass(cls, (int, str, float, bytes, frozenset)):
        return (_SUBCLASS, name, None, None)
    return (_UNSUPPORTED, name, None,
            f"cannot fingerprint a value of type {cls.__qualname__!r}: {_SUPPORTED}")


_plans: dict[type, Plan] = {}


def _fp(v: Any) -> int:
    t = type(v)
    if t is int:
        return _int(v)
    if t is str:
        return _bytes(_STR, _utf8(v))
    if t is tuple:
        return _items(_TUPLE, v, len(v))
    if t is frozenset:
        return _frozenset(v)
    if v is None:
        return _avalanche(_begin(_NONE))
    if t is bool:
        return _avalanche(_begin(_TRUE if v else _FALSE))
    if t is float:
        return _float(v)
    if t is bytes:
        return _bytes(_BYTES, v)
    p = _plans.get(t)
    if p is None:
        p = _plans[t] = plan(t)
    kind, name, fields, message = p
    if kind == _RECORD:
        return _items(_RECORD, v, len(v))  # item 0 is the record's type tag
    if kind == _NAMED:
        return _items(_NAMED, v, len(v), name)
    if kind == _ENUM:
        return _avalanche(_round(_round(_begin(_ENUM), name), _fp(v._name_)))
    if kind == _DATACLASS:
        assert fields is not None
        return _items(_DATACLASS, (getattr(v, f) for f in fields), len(fields), name)
    if kind == _CUSTOM:
        return _avalanche(_round(_round(_begin(_CUSTOM), name), _fp(v.__fingerprint__())))
    if kind == _SUBCLASS:
        return _avalanche(_round(_round(_begin(_SUBCLASS), name), _base_value(v)))
    raise TypeError(message)


def _signed(h: int) -> int:
    return h - (1 << 64) if h >> 63 else h


def fingerprint_py(value: Any) -> int:
    """The fingerprint of ``value`` as a signed 64-bit int, computed in Python.

    Raises TypeError for a value that cannot be part of a state (see the module's doc),
    and RecursionError for one nested beyond Python's recursion limit.
    """
    return _signed(_fp(value))


def _fill_py(states: list[Any], out: Any) -> None:
    for i, s in enumerate(states):
        out[i] = fingerprint_py(s)


try:
    if os.environ.get("MODELCHECK_PURE_PYTHON"):
        raise ImportError("pure Python asked for")
    from modelcheck import _speedups
except ImportError:
    _speedups = None  # type: ignore[assignment]

ACCELERATED = _speedups is not None and hasattr(_speedups, "fingerprint")
"""Whether fingerprints are computed by the C version."""

fingerprint: Callable[[Any], int]
"""The 64-bit fingerprint of a state, as a signed int (numpy's int64)."""
fingerprints_into: Callable[[list[Any], Any], None]
"""``fingerprints_into(states, out)``: the fingerprint of ``states[i]`` into ``out[i]``,
``out`` being a writable int64 buffer (a numpy array) at least as long as ``states``."""

if ACCELERATED:
    _speedups.set_plan_function(plan)
    fingerprint = _speedups.fingerprint
    fingerprints_into = _speedups.fingerprints_into
else:
    fingerprint = fingerprint_py
    fingerprints_into = _fill_py


# -- what a collision costs ----------------------------------------------------------------------


def nesting(value: Any) -> int:
    """How many fingerprints are nested in ``value``'s: 1 for a value without parts, and
    one more than its deepest part for a tuple, frozenset, record, map or dataclass."""
    return deepest_nesting((value,))


_FLAT = frozenset({type(None), bool, int, float, str, bytes})
"""Types whose values have no parts."""

_MEMO_LIMIT = 1 << 16
"""How many parts :func:`deepest_nesting` remembers at most before starting afresh."""


def deepest_nesting(values: Iterable[Any]) -> int:
    """The largest :func:`nesting` of ``values`` (1 when there are none).

    A part shared by several values (the same object, as states built from common tuples
    share them) is measured once, so that measuring every initial state of a model costs
    little more than reading its top-level fields.
    """
    memo: dict[int, tuple[Any, int]] = {}  # id -> (the part, kept alive; its nesting)

    def measure(value: Any) -> int:
        if isinstance(value, (tuple, frozenset)):
            items: Iterable[Any] = value
        elif isinstance(value, Map):  # encoded through its flat tuple of keys and values
            items = (value.__fingerprint__(),)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            items = [getattr(value, f.name) for f in dataclasses.fields(value)]
        else:
            return 1
        deepest = 0
        for x in items:
            if type(x) in _FLAT:
                depth = 1
            else:
                known = memo.get(id(x))
                if known is None:
                    depth = measure(x)
                    if len(memo) >= _MEMO_LIMIT:
                        memo.clear()
                    memo[id(x)] = (x, depth)
                else:
                    depth = known[1]
            if depth > deepest:
                deepest = depth
        return deepest + 1

    return max((1 if type(v) in _FLAT else measure(v) for v in values), default=1)


def collision_probability(distinct: int, generated: int, depth: int = 1) -> float:
    """An upper estimate of the chance that some new state was taken for a seen one.

    Each of the ``generated - distinct`` look-ups that found a fingerprint could have met
    any of the ``distinct`` stored ones by accident (TLC's estimate, ``distinct *
    (generated - distinct) / 2**64``), assuming the mix behaves as a random function of
    the encoding. A fingerprint is computed from its parts' fingerprints, so two distinct
    states also collide when a part of one collides with the corresponding part of the
    other: that multiplies the chance by at most the ``depth`` of that nesting (see
    :func:`nesting`). Capped at 1.
    """
    return min(1.0, depth * distinct * max(generated - distinct, 0) / 2.0**64)


# -- checking that no two states were merged --------------------------------------------------


def identical(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are the same value in the sense of the fingerprint's
    encoding: equal, and of the same types throughout (``1`` and ``True`` are not, nor
    ``0.0`` and ``-0.0``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(map(identical, a, b))
    if isinstance(a, frozenset):
        if len(a) != len(b):
            return False
        by_value = {y: y for y in b}  # the member of b that equals each member of a
        if all(x in by_value and identical(x, by_value[x]) for x in a):
            return True
        # Python's equality is not the encoding's (a NaN is not equal to itself, 1 is
        # equal to True): pair the members up by ``identical``, an equivalence.
        remaining = list(b)
        for x in a:
            j = next((j for j, y in enumerate(remaining) if identical(x, y)), None)
            if j is None:
                return False
            del remaining[j]
        return True
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (a != a and b != b)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(identical(getattr(a, f.name), getattr(b, f.name))
                   for f in dataclasses.fields(a) if f.compare)
    if isinstance(a, enum.Enum):
        return a is b
    if callable(getattr(a, "__fingerprint__", None)):
        return identical(a.__fingerprint__(), b.__fingerprint__())
    return bool(a == b)


class FingerprintCollision(SpecRuntimeError):
    """Two distinct states share a fingerprint (found by :class:`Audit`): the search
    cannot tell them apart, so its counts and verdict cannot be trusted."""


class Audit:
    """Keeps every state by fingerprint and compares each state met again with the one
    kept: the check a search makes with ``--audit`` that no two states were merged.

    It costs the memory of every distinct state and a comparison per generated state.
    """

    def __init__(self) -> None:
        self.states: dict[int, Any] = {}
        self.compared = 0

    def check(self, fps: Iterable[int], states: Iterable[Any]) -> None:
        """Record ``states`` (those the search stores under ``fps``), comparing each
        with the state kept for its fingerprint; raise FingerprintCollision on a
        mismatch."""
        kept = self.states
        for fp, s in zip(fps, states):
            fp = int(fp)
            old = kept.get(fp)
            if old is None:  # a state is never None (None is a disabled action)
                kept[fp] = s
            else:
                self.compared += 1
                if old is not s and not identical(old, s):
                    raise FingerprintCollision(
                        f"fingerprint collision: the distinct states {old!r} and {s!r} "
                        f"share the fingerprint {fp & _MASK:#018x}, so the search took one "
                        "for the other; its counts and verdict cannot be trusted",
                        function="fingerprint")

    def summary(self) -> dict[str, int]:
        """What the audit checked, for the result's details."""
        return {"states": len(self.states), "compared": self.compared, "collisions": 0}
