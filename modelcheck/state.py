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
import json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, dataclass_transform

__all__ = ["ACCELERATED", "JSON", "Record", "defaults", "format_value", "set_at", "to_json"]

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

_MISSING: Any = object()

try:  # CPython's C descriptor behind namedtuple fields; fall back to a property elsewhere.
    from collections import _tuplegetter  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other interpreters
    from operator import itemgetter

    def _tuplegetter(index: int, doc: str | None) -> Any:
        return property(itemgetter(index), doc=doc)


_RESERVED = frozenset(dir(tuple)) | {"replace"}


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
                    f"names a tuple method); choose another name")
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
    rep_items = "".join(f"self[{i + 1}] if {f} is _M else {f}, " for i, f in enumerate(names))
    unchanged = " and ".join(f"({f} is _M or {f} is self[{i + 1}])" for i, f in enumerate(names))
    if _speedups is not None:
        # replace() is RecordBase's, in C; it finds fields by name in _field_index.
        cls._field_index = {f: i + 1 for i, f in enumerate(names)}  # type: ignore[attr-defined]
        src = (f"def __new__(cls, {', '.join(params)}):\n"
               f"    return _make(cls, _TAG, {items})\n")
    else:
        src = (
            f"def __new__(cls, {', '.join(params)}):\n"
            f"    return _tnew(cls, (_TAG, {items}))\n"
            f"def replace(self, *, {rep_params}):\n"
            f"    if {unchanged}:\n"
            f"        return self\n"
            f"    return _tnew(type(self), (_TAG, {rep_items}))\n"
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


def to_json(value: Any, *, compact: bool = True) -> JSON:
    """Encode a state (or any value inside one) as plain JSON data.

    Records and dataclasses become objects with a ``"$type"`` key, tuples and lists
    become arrays, sets and frozensets become arrays sorted by their JSON text (so the
    encoding does not depend on hash order), enums become their names and dict keys
    become strings. A record in its :func:`defaults` form is encoded without fields, as it
    is shown; with ``compact=False`` with all of them, as the full record would be.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
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
