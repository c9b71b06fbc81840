"""Immutable state values: the :class:`Record` type, update helpers and JSON encoding.

A state is explored millions of times, so its representation decides how fast every spec
runs. A :class:`Record` is a tuple subclass whose fields are declared as class
annotations::

    class State(Record):
        rm_state: tuple[str, ...]
        tm_state: str = "init"

Reading a field is a C-level tuple index, hashing is tuple hashing and ``replace`` is a
generated function that builds the new tuple in one call (a frozen dataclass's
``dataclasses.replace`` costs about four times as much). The record's type name is kept
as the tuple's first item, so two record types with equal fields never compare equal
(``Commit()`` is not ``Abort()``), which a plain ``namedtuple`` gets wrong.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import itertools
import json
import os
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    ValuesView,
)
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, dataclass_transform, overload

__all__ = ["ACCELERATED", "JSON", "Map", "ModelValue", "Record", "defaults", "format_value",
           "model_values", "set_at", "to_json"]

try:  # the C versions of record construction, replace() and set_at(); see _speedups.c
    if os.environ.get("MODELCHECK_PURE_PYTHON"):
        raise ImportError("pure Python asked for")
    from modelcheck import _speedups
except ImportError:
    _speedups = None  # type: ignore[assignment]

ACCELERATED = _speedups is not None
"""Whether records use the compiled helpers (set ``MODELCHECK_PURE_PYTHON=1`` to compare)."""

JSON = Any
"""A value made of dicts, lists, strings, numbers, booleans and None."""

_T = TypeVar("_T")
_R = TypeVar("_R", bound="Record")
_K = TypeVar("_K")
_V = TypeVar("_V")

_MISSING: Any = object()

try:  # CPython's C descriptor behind namedtuple fields; fall back to a property elsewhere.
    from collections import _tuplegetter  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other interpreters
    from operator import itemgetter

    def _tuplegetter(index: int, doc: str | None) -> Any:
        return property(itemgetter(index), doc=doc)


_RESERVED = frozenset({"replace"})
"""Field names a record refuses besides those starting with ``_``: ``replace`` is the
record's own method. Tuple methods (``index``, ``count``) may be field names: a field
hides the method of its name on its record, and modelcheck never calls either on a state."""


class _RecordMeta(type):
    """Turns the annotations of a :class:`Record` subclass into tuple fields."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any],
                **kwargs: Any) -> _RecordMeta:
        if not any(isinstance(b, _RecordMeta) for b in bases):
            return super().__new__(mcls, name, bases, ns, **kwargs)
        inherited: dict[str, Any] = {}
        for base in reversed(bases):
            base_defaults: dict[str, Any] = getattr(base, "_defaults", {})
            for f in getattr(base, "_fields", ()):
                inherited[f] = base_defaults.get(f, _MISSING)
        own = {f: ns.pop(f, _MISSING) for f in ns.get("__annotations__", {})}
        fields = {**inherited, **own}
        for f in fields:
            if f.startswith("_") or f in _RESERVED:
                raise TypeError(
                    f"record {name}: field name {f!r} is reserved (it starts with '_' or "
                    f"is the record's replace method); choose another name")
        names = list(fields)
        seen_default = False
        for f in names:
            if fields[f] is not _MISSING:
                seen_default = True
            elif seen_default:
                raise TypeError(
                    f"record {name}: field {f!r} has no default but follows a field that has "
                    "one; give it a default or move it before the defaulted fields")
        for i, f in enumerate(names):
            ns[f] = _tuplegetter(i + 1, f"Field {f!r} of {name}.")
        ns["__slots__"] = ()
        ns["_fields"] = tuple(names)
        ns["_defaults"] = {f: v for f, v in fields.items() if v is not _MISSING}
        ns["__match_args__"] = tuple(names)
        cls = super().__new__(mcls, name, bases, ns, **kwargs)
        _generate_methods(cls, ns.get("__qualname__", name), names, ns["_defaults"])
        return cls


def _generate_methods(cls: type, tag: str, names: list[str], defaults: dict[str, Any]) -> None:
    # Generated source, as namedtuple and dataclasses do: one straight-line function per
    # record type is several times faster than a generic loop over keyword arguments.
    env: dict[str, Any] = {"_tnew": tuple.__new__, "_TAG": tag, "_M": _MISSING,
                           "_make": _speedups.make if _speedups is not None else None}
    params = []
    for i, f in enumerate(names):
        if f in defaults:
            env[f"_d{i}"] = defaults[f]
            params.append(f"{f}=_d{i}")
        else:
            params.append(f)
    items = "".join(f"{f}, " for f in names)
    rep_params = ", ".join(f"{f}=_M" for f in names)
    rep_items = "".join(f"_self[{i + 1}] if {f} is _M else {f}, " for i, f in enumerate(names))
    unchanged = " and ".join(f"({f} is _M or {f} is _self[{i + 1}])"
                             for i, f in enumerate(names))
    if _speedups is not None:
        # replace() is RecordBase's, in C; it finds fields by name in _field_index.
        cls._field_index = {f: i + 1 for i, f in enumerate(names)}  # type: ignore[attr-defined]
        src = (f"def __new__(_cls, {', '.join(params)}):\n"
               f"    return _make(_cls, _TAG, {items})\n")
    else:
        src = (
            f"def __new__(_cls, {', '.join(params)}):\n"
            f"    return _tnew(_cls, (_TAG, {items}))\n"
            f"def replace(_self, *, {rep_params}):\n"
            f"    if {unchanged}:\n"
            f"        return _self\n"
            f"    return _tnew(_self.__class__, (_TAG, {rep_items}))\n"
        ) if names else (
            "def __new__(cls):\n    return _tnew(cls, (_TAG,))\n"
            "def replace(self):\n    return self\n"
        )
    exec(src, env)
    new = env["__new__"]
    new.__qualname__ = f"{cls.__qualname__}.__new__"
    cls.__new__ = new  # type: ignore[method-assign]
    if "replace" in env:
        replace = env["replace"]
        replace.__qualname__ = f"{cls.__qualname__}.replace"
        replace.__doc__ = "Return a copy with the given fields changed (itself if none changes)."
        cls.replace = replace  # type: ignore[attr-defined]


if TYPE_CHECKING:
    _RecordBase = tuple[Any, ...]
else:
    _RecordBase = _speedups.RecordBase if _speedups is not None else tuple


@dataclass_transform(frozen_default=True, kw_only_default=False)
class Record(_RecordBase, metaclass=_RecordMeta):
    """Base class for immutable, hashable, fast records; subclass it with annotations.

    >>> class Prepared(Record):
    ...     rm: int
    >>> Prepared(1)
    Prepared(rm=1)
    >>> Prepared(1).replace(rm=2).rm
    2
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    if TYPE_CHECKING:  # in C (RecordBase), or generated per subclass in pure Python
        def replace(self: _R, **changes: Any) -> _R:
            """Return a copy with the given fields changed (itself if none changes)."""

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self[1:]))
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return (type(self), tuple(self[1:]))

    def _asdict(self) -> dict[str, Any]:
        """The fields as a dict, in declaration order."""
        return dict(zip(self._fields, self[1:]))


def defaults(cls: type[_R]) -> _R:
    """The record of class ``cls`` with every field at its default, in its smallest form.

    It is an instance of a subclass of ``cls`` that holds only the type tag, its fields
    being class constants: it reads like ``cls()`` (``defaults(C).x == C().x``) but
    hashes in a few nanoseconds whatever the number of fields, which matters for a record
    kept in every state and rarely changed (modelcheck.network's fault record when no
    fault is configured). It is shown as ``C()`` and encoded in JSON without fields;
    ``replace`` on it returns an ordinary record, or itself when nothing changes. It is
    not equal to ``cls()``: use one form or the other throughout a model. Every field of
    ``cls`` needs a default.
    """
    value: _R = _defaults_of(cls)
    return value


@functools.cache
def _defaults_of(cls: type[_R]) -> _R:
    missing = [f for f in cls._fields if f not in cls._defaults]
    if missing:
        raise TypeError(f"record {cls.__qualname__}: fields {missing} have no default")
    full = cls()

    def replace(self: Any, **changes: Any) -> Any:
        new = full.replace(**changes)
        return self if new == full else new  # unchanged: still the same value

    def __reduce__(self: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return (defaults, (cls,))

    ns: dict[str, Any] = {f: cls._defaults[f] for f in cls._fields}
    ns.update(__slots__=(), __module__=cls.__module__, __doc__=cls.__doc__,
              __qualname__=f"{cls.__qualname__}.defaults", _all_defaults=True,
              replace=replace, __reduce__=__reduce__)
    # type.__new__, not the record metaclass: the fields stay the base's, as constants.
    sub = type.__new__(type(cls), cls.__name__, (cls,), ns)
    value: _R = tuple.__new__(sub, (full[0],))
    return value


def _set_at(t: tuple[_T, ...], index: int, value: _T) -> tuple[_T, ...]:
    """Return ``t`` with item ``index`` replaced by ``value`` (TLA+'s ``EXCEPT ![i] = v``):
    ``t`` itself when it is a plain tuple that holds that very object there already.

    Raises IndexError for an index outside the tuple.
    """
    if type(t) is tuple and t[index] is value:
        return t  # that very object is there already: nothing changes
    # One list copy and one tuple build: about half the cost of slicing and concatenating.
    items = list(t)
    items[index] = value
    return tuple(items)


set_at: Callable[[tuple[_T, ...], int, _T], tuple[_T, ...]] = (
    _speedups.set_at if _speedups is not None else _set_at)


# -- model values and maps ----------------------------------------------------------------------


class ModelValue(int):
    """A named element of a set of interchangeable values: TLA+'s model values.

    ``model_values("r", 3)`` gives ``r1, r2, r3``: ints ``0, 1, 2`` (so they index tuples
    and are the elements a :class:`~modelcheck.Symmetric` set renames) that show, and are
    encoded in JSON and traces, by name. Each prefix has its own class, so ``r1`` and an
    ``s1`` of another set have different fingerprints; compared with ``==`` they are the
    ints they stand for, so keep the values of one set in a collection.
    """

    __slots__ = ()
    prefix: ClassVar[str] = ""

    def __repr__(self) -> str:
        return f"{self.prefix}{int(self) + 1}"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self) if not spec else int.__format__(self, spec)

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return (_model_value, (self.prefix, int(self)))


_value_classes: dict[str, type[ModelValue]] = {}
_values: dict[tuple[str, int], ModelValue] = {}


def _model_value(prefix: str, index: int) -> ModelValue:
    """The model value ``index`` (from 0) of the set named by ``prefix``, one object each."""
    value = _values.get((prefix, index))
    if value is None:
        cls = _value_classes.get(prefix)
        if cls is None:
            cls = _value_classes[prefix] = type(
                "ModelValue", (ModelValue,),
                {"__slots__": (), "prefix": prefix, "__module__": __name__,
                 "__qualname__": f"ModelValue[{prefix}]"})
        value = _values[prefix, index] = cls(index)
    return value


def model_values(prefix: str, n: int) -> tuple[ModelValue, ...]:
    """The model values ``{prefix}1 .. {prefix}n``: the ints ``0 .. n - 1``, named.

    >>> rms = model_values("r", 3)
    >>> rms, rms[1] == 1, Map.fromkeys(rms, "working")[rms[0]]
    ((r1, r2, r3), True, 'working')

    The same prefix and index give the very same object everywhere (and after pickling).
    For a set that symmetry reduction permutes, declare it with
    ``Symmetric(..., prefix="r")`` and take its values from ``Symmetric.elements(cfg)``.
    """
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"model_values({prefix!r}, ...): the prefix must be a non-empty string")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"model_values({prefix!r}, {n!r}): the count must be an int >= 0")
    return tuple(_model_value(prefix, i) for i in range(n))


_chain = itertools.chain.from_iterable

_NATURAL = (int, str)
"""Key types whose own order is total: a map whose keys are all of one of them (or of one
model-value set) iterates in that order."""


def _canonical(d: dict[Any, Any]) -> dict[Any, Any]:
    """``d`` with its keys in the canonical order of its key set (a new dict if need be)."""
    keys = list(d)
    if len(keys) < 2:
        return d
    t = type(keys[0])
    if all(type(k) is t for k in keys) and issubclass(t, _NATURAL) and t is not bool:
        ordered = sorted(keys)
    else:  # mixed or unordered keys: by type, then by JSON text (deterministic)
        ordered = sorted(keys, key=lambda k: (type(k).__qualname__, _sort_key(to_json(k))))
    if ordered == keys:
        return d
    return {k: d[k] for k in ordered}


_new_map = object.__new__


class Map(Mapping[_K, _V], Generic[_K, _V]):
    """An immutable, hashable mapping for states: TLA+'s functions over model values.

    >>> m = Map({"r2": "working", "r1": "working"})
    >>> m2 = m.set("r1", "prepared")
    >>> m2["r1"], m["r1"], list(m2)
    ('prepared', 'working', ['r1', 'r2'])
    >>> m2 == Map({"r1": "prepared", "r2": "working"}), m2 == dict(m2)
    (True, False)

    Keys iterate in a canonical order (sorted when they are all ints, all strings or all
    model values of one set), so two equal maps iterate, fingerprint, show and encode
    alike whatever order they were built in. ``set`` and ``remove`` return a new map (the
    map itself when nothing changes). Keys and values are state values (hashable). A map
    keyed by a symmetric set (``Map[RM, str]``) is permuted key by key under symmetry
    reduction. In JSON a map is an object with its keys as text (``{"r1": "working"}``),
    in traces its items are shown by key (``rm_state[r1]: working → prepared``).
    """

    __slots__ = ("_d", "_flat", "_hash")

    _d: dict[_K, _V]
    _flat: tuple[Any, ...] | None
    _hash: int | None

    def __init__(self, items: Mapping[_K, _V] | Iterable[tuple[_K, _V]] = (), /) -> None:
        self._d = _canonical(dict(items))
        self._flat = None
        self._hash = None

    @classmethod
    def _of(cls, d: dict[Any, Any]) -> Map[Any, Any]:
        m = _new_map(cls)
        m._d = d
        m._flat = None
        m._hash = None
        return m

    @classmethod
    def fromkeys(cls, keys: Iterable[_K], value: _V) -> Map[_K, _V]:
        """The map from each of ``keys`` to ``value``."""
        return cls._of(_canonical(dict.fromkeys(keys, value)))

    def __getitem__(self, key: _K) -> _V:
        return self._d[key]

    def __contains__(self, key: object) -> bool:
        return key in self._d

    def __iter__(self) -> Iterator[_K]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def keys(self) -> KeysView[_K]:
        """The keys, in canonical order."""
        return self._d.keys()

    def values(self) -> ValuesView[_V]:
        """The values, in the canonical order of their keys."""
        return self._d.values()

    def items(self) -> ItemsView[_K, _V]:
        """The ``(key, value)`` pairs, in canonical key order."""
        return self._d.items()

    def set(self, key: _K, value: _V) -> Map[_K, _V]:
        """A map with ``key`` mapped to ``value`` (TLA+'s ``[f EXCEPT ![k] = v]``)."""
        d = self._d
        known = key in d
        if known and d[key] is value:
            return self
        d = d.copy()
        d[key] = value
        m = _new_map(type(self))
        m._d = d if known else _canonical(d)  # a new key may belong before others
        m._flat = m._hash = None
        return m

    def remove(self, key: _K) -> Map[_K, _V]:
        """A map without ``key`` (itself when it has no such key)."""
        if key not in self._d:
            return self
        d = self._d.copy()
        del d[key]
        return self._of(d)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(other) is type(self) and self._d == other._d

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash((Map, frozenset(self._d.items())))
        return h

    def __fingerprint__(self) -> tuple[Any, ...]:
        """The keys and values in canonical order, ``(k1, v1, k2, v2, ...)``: what the
        fingerprint of a map is computed from."""
        flat = self._flat
        if flat is None:
            flat = self._flat = tuple(_chain(self._d.items()))
        return flat

    def __repr__(self) -> str:
        return f"Map({{{', '.join(f'{k!r}: {v!r}' for k, v in self._d.items())}}})"

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return (Map, (tuple(self._d.items()),))

    if TYPE_CHECKING:
        @overload
        def get(self, key: _K, /) -> _V | None: ...
        @overload
        def get(self, key: _K, default: _V | _T, /) -> _V | _T: ...
        def get(self, key: _K, default: Any = None, /) -> Any: ...
    else:
        def get(self, key, default=None, /):
            """The value of ``key``, or ``default`` when the map has no such key."""
            return self._d.get(key, default)


def to_json(value: Any, *, compact: bool = True) -> JSON:
    """Encode a state (or any value inside one) as plain JSON data.

    Records and dataclasses become objects with a ``"$type"`` key, tuples and lists
    become arrays, sets and frozensets become arrays sorted by their JSON text (so the
    encoding does not depend on hash order), enums become their names, dict keys become
    strings, a :class:`Map` becomes an object keyed by its keys' text in its canonical
    order, and a :class:`ModelValue` its name. A record in its :func:`defaults` form is
    encoded without fields, as it is shown; with ``compact=False`` with all of them, as the
    full record would be.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, ModelValue):
            return repr(value)
        if isinstance(value, enum.Enum):
            return value.name
        return value
    if isinstance(value, Record):
        out: dict[str, JSON] = {"$type": type(value).__name__}
        items = zip(value._fields, value[1:]) if compact or len(value) > 1 else (
            (f, getattr(value, f)) for f in value._fields)
        for f, v in items:
            out[f] = to_json(v, compact=compact)
        return out
    if isinstance(value, (tuple, list)):
        return [to_json(v, compact=compact) for v in value]
    if isinstance(value, Map):
        return {str(k): to_json(v, compact=compact) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted((to_json(v, compact=compact) for v in value), key=_sort_key)
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        encoded: dict[str, JSON] = {"$type": type(value).__name__}
        for fld in dataclasses.fields(value):
            encoded[fld.name] = to_json(getattr(value, fld.name), compact=compact)
        return encoded
    if isinstance(value, dict):
        return {str(k): to_json(v, compact=compact) for k, v in value.items()}
    if isinstance(value, range):
        return [to_json(v, compact=compact) for v in value]
    return {"$repr": repr(value)}


def _sort_key(encoded: JSON) -> str:
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"))


def field_items(value: Any) -> Iterable[tuple[str, Any]] | None:
    """The (name, value) pairs of a record or dataclass state, or None for other values."""
    if isinstance(value, Record):
        return zip(value._fields, value[1:])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    return None


def format_value(v: JSON) -> str:
    """A JSON-encoded value as traces show it, the same in step headers, diffs and messages.

    Records read as ``Prepared(rm=1)``, and a record with ``src`` and ``dst`` fields (a
    message) as ``RequestVoteRequest(0→1, term=1)``; arrays as ``[a, b]``, objects as
    ``{k: v}``, text without quotes, ``None``, ``True`` and numbers as in Python.
    """
    if isinstance(v, dict):
        if "$type" in v:
            route = "src" in v and "dst" in v
            parts = [f"{format_value(v['src'])}→{format_value(v['dst'])}"] if route else []
            parts += [f"{k}={format_value(x)}" for k, x in v.items()
                      if k != "$type" and not (route and k in ("src", "dst"))]
            return f"{v['$type']}({', '.join(parts)})"
        if "$repr" in v and len(v) == 1:
            return str(v["$repr"])
        return "{" + ", ".join(f"{k}: {format_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, str):
        return v
    if v is None or isinstance(v, bool):
        return repr(v)
    return json.dumps(v)
