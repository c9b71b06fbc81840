"""Symmetry reduction: explore one state per orbit of the permutations of symmetric sets.

Resource managers, servers and acceptors are usually interchangeable: renaming them maps
every behaviour of the protocol to another behaviour, and every state to one that
satisfies the same properties. A spec declares such a set once, as an annotated ``int``,
and uses it in the annotations of its state records::

    RM = Annotated[int, Symmetric("RM", size="rms")]    # the ints 0 .. cfg.rms - 1

    class Prepared(Record):
        rm: RM

    class State(Record):
        rm_state: Annotated[tuple[str, ...], IndexedBy(RM)]   # one item per RM
        tm_prepared: frozenset[RM]
        msgs: frozenset[Prepared | Commit | Abort]

For a type checker ``RM`` is just ``int`` and ``rm_state`` just ``tuple[str, ...]``. With
``--symmetry`` (``check(spec, symmetry=True)``) the engine reads these annotations and
permutes states itself: elements are renamed, tuples indexed by the set are reordered,
and ``tuple[X, ...]``, ``frozenset[X]``, ``X | None``, fixed tuples, unions and nested
records are followed. Any other value is left as it is.

The reduction is sound only if the spec is symmetric in the set: every field that holds
an element says so in its annotation (an ``int`` field holding an RM would not be
renamed), and actions, invariants, ``sometimes`` properties and the terminal predicate
treat all elements alike (no ``if rm == 0``).

**Canonical form.** Each state is mapped to one representative of its orbit, exactly
(two states get the same representative iff a permutation maps one to the other), and
without trying all ``n!`` permutations when the state tells its elements apart. A state
is cut into *units*: the items of its collections (an item of a tuple indexed by the set
together with its index) and its other fields. The *signature* of an element is the
multiset of the units it occurs in, each relabelled with the element as ★ and every
other element as ·; renaming elements does not change signatures, so sorting the
elements by signature orders them the same way in every member of an orbit. Elements with
distinct signatures are thereby ranked uniquely. Elements with equal signatures are often
interchangeable (swapping them leaves the sorted state unchanged: always so when no unit
holds two elements, and otherwise checked with adjacent swaps); for the rest, every
order within the ties is tried and the image with the least fingerprint is taken. The set of
images tried is the same for every member of an orbit, so the choice is too.

**Remembered work.** A search generates most states several times (from sibling parents,
or by a step that changes nothing), and a successor shares most items of its sets with its
parent as the very same objects. A canonicalizer therefore remembers the representatives of
the last few thousand states it met (by fingerprint, confirmed by equality, so ``1`` and
``True`` never share one), and for each field that is a set, what each item adds to the
signatures and its image under each renaming (by the item's identity, the entry holding the
item). Remembering changes no result: the representative is the same function of the state.
"""

from __future__ import annotations

import dataclasses
import itertools
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import add
from typing import Any, Literal, Union

from modelcheck.errors import SpecDefinitionError, SpecRuntimeError, UsageError
from modelcheck.fingerprint import fingerprint
from modelcheck.spec import Spec
from modelcheck.state import Map, ModelValue, Record, model_values

__all__ = ["Canonicalizer", "IndexedBy", "Symmetric", "canonicalizer", "symmetric_sets"]


class Symmetric:
    """A set of interchangeable elements: the ints ``0 .. n - 1``, ``n`` set by the config.

    Use it as the metadata of an annotated ``int``, and use that alias wherever an element
    is held::

        Server = Annotated[int, Symmetric("Server", size="servers")]

    ``size`` names the config field that gives ``n`` (or is a function of the config).
    With ``prefix="r"`` the elements are named, TLA+'s model values: ``r1 .. rn``
    (:func:`~modelcheck.model_values`, still the ints ``0 .. n - 1``), shown by name in
    traces and keys of :class:`~modelcheck.Map`; take them from :meth:`elements`::

        RMS = Symmetric("RM", size="rms", prefix="r")
        RM = Annotated[ModelValue, RMS]
        ...
        @spec.action(rm=RMS.elements)

    The state then holds these values, never plain ints, wherever an element is held.
    """

    __slots__ = ("name", "prefix", "size")

    def __init__(self, name: str, *, size: str | Callable[[Any], int],
                 prefix: str | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise SpecDefinitionError(
                f"Symmetric({name!r}, ...): the name must be a non-empty string, e.g. "
                "Symmetric(\"RM\", size=\"rms\")")
        if not (isinstance(size, str) and size) and not callable(size):
            raise SpecDefinitionError(
                f"Symmetric({name!r}, size={size!r}): size must name a config field "
                "(size=\"rms\") or be a function of the config (size=lambda cfg: cfg.rms)")
        if prefix is not None and not (isinstance(prefix, str) and prefix):
            raise SpecDefinitionError(
                f"Symmetric({name!r}, prefix={prefix!r}): the prefix must be a non-empty "
                "string, e.g. prefix=\"r\" for the model values r1, r2, ...")
        self.name = name
        self.size = size
        self.prefix = prefix

    def elements(self, cfg: Any) -> tuple[int, ...]:
        """The elements in configuration ``cfg``: the model values ``r1 .. rn`` of a set
        declared with ``prefix="r"``, else the ints ``0 .. n - 1``."""
        n = self.count(cfg)
        return model_values(self.prefix, n) if self.prefix else tuple(range(n))

    def count(self, cfg: Any) -> int:
        """The number of elements in configuration ``cfg``."""
        where = f"symmetric set {self.name}"
        if isinstance(self.size, str):
            fields = [f.name for f in dataclasses.fields(cfg)]
            if self.size not in fields:
                raise SpecDefinitionError(
                    f"{where}: size={self.size!r} is not a field of {type(cfg).__name__}; "
                    f"valid fields: {fields}")
            n = getattr(cfg, self.size)
        else:
            try:
                n = self.size(cfg)
            except Exception as e:
                raise SpecDefinitionError(
                    f"{where}: its size function raised {type(e).__name__}: {e}") from e
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise UsageError(f"{where} needs a number of elements >= 0, got {n!r}")
        return n

    def __repr__(self) -> str:
        size = self.size if isinstance(self.size, str) else getattr(self.size, "__name__", "?")
        named = f", prefix={self.prefix!r}" if self.prefix else ""
        return f"Symmetric({self.name!r}, size={size!r}{named})"


class IndexedBy:
    """Marks a ``tuple[X, ...]`` holding one item per element of a symmetric set.

    ``t[e]`` belongs to element ``e``, so renaming the elements reorders the tuple::

        rm_state: Annotated[tuple[str, ...], IndexedBy(RM)]

    ``elements`` is the annotated alias (``RM``) or the :class:`Symmetric` itself.
    """

    __slots__ = ("elements",)

    def __init__(self, elements: Any) -> None:
        self.elements = _set_of(elements)

    def __repr__(self) -> str:
        return f"IndexedBy({self.elements.name})"


def _set_of(alias: Any) -> Symmetric:
    if isinstance(alias, Symmetric):
        return alias
    for meta in getattr(alias, "__metadata__", ()):
        if isinstance(meta, Symmetric):
            return meta
    raise SpecDefinitionError(
        f"IndexedBy({alias!r}): give the symmetric set, declared as "
        "RM = Annotated[int, Symmetric(\"RM\", size=\"rms\")], then write IndexedBy(RM)")


# -- the shape of a state, from its annotations -----------------------------------------------
#
# Annotations are read once into a small tree of nodes; a type whose values hold no
# element is None, so it costs nothing per state.


@dataclass(eq=False)
class _Elem:
    set: int


@dataclass(eq=False)
class _Index:
    set: int
    item: _Node | None


@dataclass(eq=False)
class _Seq:
    item: _Node


@dataclass(eq=False)
class _Set:
    item: _Node


@dataclass(eq=False)
class _Fixed:
    items: tuple[_Node | None, ...]


@dataclass(eq=False)
class _Optional:
    item: _Node


@dataclass(eq=False)
class _Map:
    """A :class:`~modelcheck.Map` whose keys or values (or both) hold elements."""

    key: _Node | None
    value: _Node | None


@dataclass(eq=False)
class _Rec:
    cls: type
    fields: tuple[tuple[str, _Node | None], ...]


@dataclass(eq=False)
class _Union:
    """Dispatch on the value's class; ``records``: also records of classes not listed."""

    by_class: dict[type, _Node]
    records: bool


_Node = _Elem | _Index | _Seq | _Set | _Fixed | _Optional | _Map | _Rec | _Union

_NONE_TYPES: tuple[Any, ...] = (None, type(None))
_IN_PROGRESS: Any = object()


class _Shape:
    """Reads state annotations into nodes, collecting the symmetric sets in use."""

    def __init__(self) -> None:
        self.sets: list[Symmetric] = []
        self.records: dict[type, Any] = {}

    def set_index(self, sym: Symmetric, where: str) -> int:
        for k, s in enumerate(self.sets):
            if s is sym:
                return k
            if s.name == sym.name:
                raise SpecDefinitionError(
                    f"{where}: two different symmetric sets are named {sym.name!r}; declare "
                    f"the set once (RM = Annotated[int, Symmetric({sym.name!r}, ...)]) and "
                    "use that alias everywhere")
        self.sets.append(sym)
        return len(self.sets) - 1

    def record(self, cls: type) -> _Rec | None:
        """The node of a record (or dataclass) class; None if it holds no element."""
        if getattr(cls, "_all_defaults", False):  # modelcheck.state.defaults: no fields held
            return None
        known = self.records.get(cls, None)
        if known is _IN_PROGRESS:
            raise SpecDefinitionError(
                f"record {cls.__qualname__} contains itself; symmetry reduction follows "
                "only non-recursive records")
        if cls in self.records:
            return typing.cast("_Rec | None", known)
        self.records[cls] = _IN_PROGRESS
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception as e:
            raise SpecDefinitionError(
                f"cannot resolve the annotations of {cls.__qualname__} for symmetry "
                f"reduction ({type(e).__name__}: {e}); every name an annotation uses must be "
                "importable from the record's module") from e
        if issubclass(cls, Record):
            names: Sequence[str] = cls._fields
        else:
            fields_of: Any = dataclasses.fields
            names = [f.name for f in fields_of(cls)]
            if any(not f.init for f in fields_of(cls)):
                raise SpecDefinitionError(
                    f"dataclass {cls.__qualname__}: symmetry reduction rebuilds it with "
                    "its constructor, so every field must be an init field")
        fields = tuple((f, self.node(hints.get(f, Any), f"{cls.__qualname__}.{f}"))
                       for f in names)
        node = _Rec(cls, fields) if any(n is not None for _, n in fields) else None
        self.records[cls] = node
        return node

    def node(self, tp: Any, where: str) -> _Node | None:
        """The node of annotation ``tp`` of field ``where``; None if it holds no element."""
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return self._annotated(tp, where)
        if isinstance(tp, Symmetric | IndexedBy):
            raise SpecDefinitionError(
                f"{where}: {tp!r} is metadata, not a type; write Annotated[int, "
                f"Symmetric(...)] for an element or Annotated[tuple[X, ...], IndexedBy(...)] "
                "for a tuple indexed by the set")
        if origin in (Union, types.UnionType):
            return self._union(args, where)
        if origin is frozenset:
            item = self.node(args[0], f"{where} (items)") if args else None
            return None if item is None else _Set(item)
        if origin is Map:
            key = self.node(args[0], f"{where} (keys)")
            value = self.node(args[1], f"{where} (values)")
            return None if key is None and value is None else _Map(key, value)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                item = self.node(args[0], f"{where} (items)")
                return None if item is None else _Seq(item)
            if args == ((),):
                return None
            items = tuple(self.node(a, f"{where}[{i}]") for i, a in enumerate(args))
            return _Fixed(items) if any(i is not None for i in items) else None
        if origin is Literal or tp in _NONE_TYPES or tp is Any:
            return None
        if isinstance(tp, type) and origin is None:
            if _is_record_class(tp):
                if tp is Record:  # any record: read each one's class when it is met
                    return _Union({}, records=True)
                rec = self.record(tp)
                return None if rec is None else _Union({tp: rec}, records=True)
            return None
        if self._mentions(tp):
            raise SpecDefinitionError(
                f"{where}: {tp!r} holds elements of a symmetric set inside a type symmetry "
                "reduction cannot rename; use frozenset, tuple[X, ...], Map[K, V], fixed "
                "tuples, X | None, unions and records")
        return None

    def _annotated(self, tp: Any, where: str) -> _Node | None:
        base = tp.__origin__
        marks = [m for m in tp.__metadata__ if isinstance(m, Symmetric | IndexedBy)]
        if not marks:
            return self.node(base, where)
        if len(marks) > 1:
            raise SpecDefinitionError(
                f"{where}: several symmetry markers {marks}; an annotation holds one")
        mark = marks[0]
        if isinstance(mark, Symmetric):
            if base is not int and not (isinstance(base, type) and issubclass(base, ModelValue)):
                raise SpecDefinitionError(
                    f"{where}: the elements of symmetric set {mark.name} are ints 0 .. n-1 "
                    f"(model values with a prefix), but the field is annotated {base!r}; "
                    f"write Annotated[int, {mark!r}] (or Annotated[ModelValue, ...])")
            return _Elem(self.set_index(mark, where))
        sym = mark.elements
        args = typing.get_args(base)
        if typing.get_origin(base) is not tuple or len(args) != 2 or args[1] is not Ellipsis:
            raise SpecDefinitionError(
                f"{where}: IndexedBy({sym.name}) marks a tuple with one item per element, "
                f"but the field is annotated {base!r}; write "
                f"Annotated[tuple[X, ...], IndexedBy({sym.name})]")
        k = self.set_index(sym, where)
        return _Index(k, self.node(args[0], f"{where} (items)"))

    def _union(self, members: tuple[Any, ...], where: str) -> _Node | None:
        by_class: dict[type, _Node] = {}
        plain: dict[type, Any] = {}
        records = False
        optional = False

        def claim(cls: type, node: _Node | None, member: Any) -> None:
            other = by_class.get(cls, plain.get(cls))
            if other is not None and (node is not None or cls in by_class):
                raise SpecDefinitionError(
                    f"{where}: the union cannot tell {member!r} from {other!r} apart (both "
                    f"are {cls.__name__} values) and one of them holds elements of a "
                    "symmetric set; wrap one of them in a record")
            if node is None:
                plain[cls] = member
            else:
                by_class[cls] = node

        for m in members:
            if m in _NONE_TYPES:
                optional = True
                continue
            node = self.node(m, where)
            if isinstance(node, _Union):
                records = records or node.records
                for cls, n in node.by_class.items():
                    claim(cls, n, m)
            elif node is None and _is_record_class(m):
                records = True
            else:
                for cls in _runtime_classes(m, node):
                    claim(cls, node, m)
        if not by_class and Record not in members:
            return None
        if len(by_class) == 1 and not records and optional:
            return _Optional(next(iter(by_class.values())))
        return _Union(by_class, records)

    def _mentions(self, tp: Any) -> bool:
        if isinstance(tp, Symmetric | IndexedBy):
            return True
        if typing.get_origin(tp) is typing.Annotated:
            return any(isinstance(m, Symmetric | IndexedBy) for m in tp.__metadata__) \
                or self._mentions(tp.__origin__)
        if _is_record_class(tp):
            return tp is not Record and self.record(tp) is not None
        return any(self._mentions(a) for a in typing.get_args(tp))


def _is_record_class(tp: Any) -> bool:
    return isinstance(tp, type) and (issubclass(tp, Record) or dataclasses.is_dataclass(tp))


def _runtime_classes(tp: Any, node: _Node | None) -> list[type]:
    """The classes of the values of ``tp``, to dispatch a union on."""
    if isinstance(node, _Elem):
        return [int]
    if isinstance(node, _Index | _Seq | _Fixed):
        return [tuple]
    if isinstance(node, _Set):
        return [frozenset]
    if isinstance(node, _Map):
        return [Map]
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _runtime_classes(tp.__origin__, None)
    if origin is Literal:
        return sorted({type(v) for v in typing.get_args(tp)}, key=lambda c: c.__name__)
    if isinstance(origin, type):
        return [origin]
    if isinstance(tp, type):
        return [tp]
    return []


# -- compiled walks -------------------------------------------------------------------------
#
# Each node becomes four functions, built once per configuration:
#   permute(v, p, q)        the value with elements renamed: p[k][e] is the new name of
#                           element e of set k, and q[k] the inverse (q[k][new] = old);
#   relabel(v, lab)         the value with element e of set k replaced by lab[k][e], and
#                           every collection whose order that would disturb turned into a
#                           tuple sorted by fingerprint (a multiset);
#   collect(v, out)         appends (k, e) for each element the value holds, checking it;
#   unit(v, sig, labs, h)   adds the value, as one unit tagged h, to the signature of each
#                           element it holds; returns whether it holds two or more.

Perms = tuple[tuple[int, ...], ...]
Labels = tuple[tuple[int, ...], ...]
Signatures = list[list[int]]
_Permute = Callable[[Any, Perms, Perms], Any]
_Relabel = Callable[[Any, Labels], Any]
_Collect = Callable[[Any, list[tuple[int, int]]], None]
_AddUnit = Callable[[Any, Signatures, Any, int], bool]
_Walk = tuple[_Permute, _Relabel, _Collect, _AddUnit]

STAR = -3
"""The label of the element whose signature is computed."""
DOT = -4
"""The label of every other element."""


class _ShapeError(ValueError):
    """A value does not fit its annotation (an element out of range, a tuple too short)."""


class _Table(dict[type, Any]):
    """Functions by class, filled on first sight of a class (records met at run time)."""

    def __init__(self, fill: Callable[[type], Any]) -> None:
        super().__init__()
        self.fill = fill

    def __missing__(self, cls: type) -> Any:
        value = self[cls] = self.fill(cls)
        return value


class _Walks:
    """The compiled walks of every node, for one configuration (the sets' sizes)."""

    def __init__(self, shape: _Shape, sizes: tuple[int, ...]) -> None:
        self.shape = shape
        self.sizes = sizes
        self.names = tuple(s.name for s in shape.sets)
        # The class of each set's elements, and for a set of model values the values
        # themselves (a renamed element is the value of its new index).
        self.values: tuple[tuple[ModelValue, ...] | None, ...] = tuple(
            model_values(s.prefix, n) if s.prefix else None for s, n in zip(shape.sets, sizes))
        self.kinds: tuple[type, ...] = tuple(
            int if v is None else type(_first(v, s.prefix))
            for v, s in zip(self.values, shape.sets))
        self._done: dict[int, _Walk] = {}

    def bad(self, v: Any, k: int) -> None:
        """Raise the error for ``v`` met where an element of set ``k`` belongs."""
        values = self.values[k]
        if values is not None:
            shown = f"{values[0]!r} .. {values[-1]!r}" if values else "empty"
            raise _ShapeError(f"{v!r} ({type(v).__name__}) is not an element of "
                              f"{self.names[k]} ({shown})")
        raise _ShapeError(f"{v!r} is not an element of {self.names[k]} "
                          f"(0 .. {self.sizes[k] - 1})")

    def short(self, v: tuple[Any, ...], k: int) -> None:
        """Raise the error for a tuple indexed by set ``k`` of the wrong length."""
        raise _ShapeError(f"a tuple indexed by {self.names[k]} has {len(v)} items, "
                          f"not {self.sizes[k]}")

    def of(self, node: _Node) -> _Walk:
        key = id(node)
        if key not in self._done:
            self._done[key] = self._compile(node)
        return self._done[key]

    def _compile(self, node: _Node) -> _Walk:
        if isinstance(node, _Elem):
            return self._elem(node.set)
        if isinstance(node, _Index):
            return self._index(node)
        if isinstance(node, _Seq | _Set):
            return self._collection(node)
        if isinstance(node, _Optional):
            return self._optional(node)
        if isinstance(node, _Map):
            return self._map(node)
        if isinstance(node, _Rec | _Fixed):
            return self._generated(node)
        return self._union(node)

    def _general_unit(self, relabel: _Relabel, collect: _Collect) -> _AddUnit:
        def unit(v: Any, sig: Signatures, labs: Any, h: int) -> bool:
            out: list[tuple[int, int]] = []
            collect(v, out)
            if not out:
                return False
            owners = set(out)
            for j, e in owners:
                sig[j][e] += fingerprint((h, relabel(v, labs[j][e])))
            return len(owners) > 1
        return unit

    def _elem(self, k: int) -> _Walk:
        n, bad, kind, values = self.sizes[k], self.bad, self.kinds[k], self.values[k]

        def permute(v: int, p: Perms, q: Perms) -> int:
            return p[k][v]

        if values is not None:
            def permute(v: int, p: Perms, q: Perms) -> int:
                return values[p[k][v]]

        def relabel(v: int, lab: Labels) -> int:
            return lab[k][v]

        def collect(v: int, out: list[tuple[int, int]]) -> None:
            if type(v) is not kind or not 0 <= v < n:
                bad(v, k)
            out.append((k, v))

        def unit(v: int, sig: Signatures, labs: Any, h: int) -> bool:
            if type(v) is not kind or not 0 <= v < n:
                bad(v, k)
            sig[k][v] += h
            return False
        return permute, relabel, collect, unit

    def _index(self, node: _Index) -> _Walk:
        k, n, short = node.set, self.sizes[node.set], self.short
        keys = tuple((k, i) for i in range(n))
        if node.item is None:
            def permute(v: tuple[Any, ...], p: Perms, q: Perms) -> tuple[Any, ...]:
                return tuple(map(v.__getitem__, q[k]))

            def relabel(v: tuple[Any, ...], lab: Labels) -> Any:
                return tuple(sorted(zip(lab[k], v), key=fingerprint))

            def collect(v: tuple[Any, ...], out: list[tuple[int, int]]) -> None:
                if len(v) != n:
                    short(v, k)
                out.extend(keys)
            return permute, relabel, collect, self._general_unit(relabel, collect)
        fp, fr, fc, _ = self.of(node.item)

        def permute_items(v: tuple[Any, ...], p: Perms, q: Perms) -> tuple[Any, ...]:
            return tuple([fp(v[j], p, q) for j in q[k]])

        def relabel_items(v: tuple[Any, ...], lab: Labels) -> Any:
            return tuple(sorted(zip(lab[k], [fr(x, lab) for x in v]), key=fingerprint))

        def collect_items(v: tuple[Any, ...], out: list[tuple[int, int]]) -> None:
            if len(v) != n:
                short(v, k)
            out.extend(keys)
            for x in v:
                fc(x, out)
        return (permute_items, relabel_items, collect_items,
                self._general_unit(relabel_items, collect_items))

    def _collection(self, node: _Seq | _Set) -> _Walk:
        fp, fr, fc, _ = self.of(node.item)

        def collect(v: Any, out: list[tuple[int, int]]) -> None:
            for x in v:
                fc(x, out)
        if isinstance(node, _Seq):
            def permute_seq(v: tuple[Any, ...], p: Perms, q: Perms) -> tuple[Any, ...]:
                return tuple([fp(x, p, q) for x in v])

            def relabel_seq(v: tuple[Any, ...], lab: Labels) -> Any:
                return tuple([fr(x, lab) for x in v])
            return permute_seq, relabel_seq, collect, self._general_unit(relabel_seq, collect)
        if isinstance(node.item, _Elem):
            k = node.item.set
            values = self.values[k]

            def permute_elems(v: frozenset[int], p: Perms, q: Perms) -> frozenset[int]:
                return frozenset(map(p[k].__getitem__, v))

            if values is not None:
                def permute_elems(v: frozenset[int], p: Perms,
                                  q: Perms) -> frozenset[int]:
                    return frozenset([values[p[k][e]] for e in v])

            def relabel_elems(v: frozenset[int], lab: Labels) -> Any:
                return tuple(sorted(map(lab[k].__getitem__, v)))
            return (permute_elems, relabel_elems, collect,
                    self._general_unit(relabel_elems, collect))
        permute_one: _Permute = fp
        if isinstance(node.item, _Union):
            table = self.tables(node.item)[0]

            def dispatched(x: Any, p: Perms, q: Perms) -> Any:
                f = table[type(x)]
                return x if f is None else f(x, p, q)
            permute_one = dispatched
        # A successor shares most items of a set (messages, say) with its parent, as the
        # same objects: each item's image under a renaming is remembered by its identity
        # (the entry holds the item, so its identity is not reused while the entry lives).
        by_perm: dict[Perms, dict[int, tuple[Any, Any]]] = {}
        size = [0]

        def permute_set(v: frozenset[Any], p: Perms, q: Perms) -> frozenset[Any]:
            known = by_perm.get(p)
            if known is None:
                known = by_perm[p] = {}
            out = []
            for x in v:
                got = known.get(id(x))
                if got is None:
                    if size[0] >= ITEMS:
                        by_perm.clear()
                        size[0] = 0
                        known = by_perm[p] = {}
                    got = known[id(x)] = (x, permute_one(x, p, q))
                    size[0] += 1
                out.append(got[1])
            return frozenset(out)

        def relabel_set(v: frozenset[Any], lab: Labels) -> Any:
            return tuple(sorted([fr(x, lab) for x in v], key=fingerprint))
        return permute_set, relabel_set, collect, self._general_unit(relabel_set, collect)

    def _optional(self, node: _Optional) -> _Walk:
        fp, fr, fc, fu = self.of(node.item)

        def permute(v: Any, p: Perms, q: Perms) -> Any:
            return None if v is None else fp(v, p, q)

        def relabel(v: Any, lab: Labels) -> Any:
            return None if v is None else fr(v, lab)

        def collect(v: Any, out: list[tuple[int, int]]) -> None:
            if v is not None:
                fc(v, out)

        def unit(v: Any, sig: Signatures, labs: Any, h: int) -> bool:
            return v is not None and fu(v, sig, labs, h)
        return permute, relabel, collect, unit

    def _map(self, node: _Map) -> _Walk:
        kp, kr, kc, _ = _UNCHANGED if node.key is None else self.of(node.key)
        vp, vr, vc, _ = _UNCHANGED if node.value is None else self.of(node.value)

        def permute(v: Map[Any, Any], p: Perms, q: Perms) -> Map[Any, Any]:
            return Map({kp(k, p, q): vp(x, p, q) for k, x in v.items()})

        def relabel(v: Map[Any, Any], lab: Labels) -> Any:
            return tuple(sorted([(kr(k, lab), vr(x, lab)) for k, x in v.items()],
                                key=fingerprint))

        def collect(v: Map[Any, Any], out: list[tuple[int, int]]) -> None:
            if type(v) is not Map:
                raise _ShapeError(f"{v!r} is not a Map")
            for k, x in v.items():
                kc(k, out)
                vc(x, out)
        return permute, relabel, collect, self._general_unit(relabel, collect)

    def tables(self, node: _Union) -> tuple[_Table, _Table, _Table, _Table]:
        """Permute, relabel, collect and unit functions by class (None: nothing to do)."""
        records = node.records

        def walk(cls: type) -> _Walk | None:
            if cls in node.by_class:
                return self.of(node.by_class[cls])
            if not (records and _is_record_class(cls)):
                return None
            rec = self.shape.record(cls)
            if rec is None:
                return None
            if len(self.shape.sets) != len(self.sizes):
                raise SpecDefinitionError(
                    f"record {cls.__qualname__} holds elements of "
                    f"{self.shape.sets[-1].name}, a symmetric set the state's annotations "
                    f"do not otherwise name; annotate the field that holds "
                    f"{cls.__qualname__} values with their class rather than Record")
            return self.of(rec)

        def part(i: int) -> Callable[[type], Any]:
            def fill(cls: type) -> Any:
                w = walk(cls)
                return None if w is None else w[i]
            return fill
        return _Table(part(0)), _Table(part(1)), _Table(part(2)), _Table(part(3))

    def _union(self, node: _Union) -> _Walk:
        tp, tr, tc, tu = self.tables(node)

        def permute(v: Any, p: Perms, q: Perms) -> Any:
            f = tp[type(v)]
            return v if f is None else f(v, p, q)

        def relabel(v: Any, lab: Labels) -> Any:
            f = tr[type(v)]
            return v if f is None else f(v, lab)

        def collect(v: Any, out: list[tuple[int, int]]) -> None:
            f = tc[type(v)]
            if f is not None:
                f(v, out)

        def unit(v: Any, sig: Signatures, labs: Any, h: int) -> bool:
            f = tu[type(v)]
            return f is not None and f(v, sig, labs, h)
        return permute, relabel, collect, unit

    def _generated(self, node: _Rec | _Fixed) -> _Walk:
        # Straight-line source per record type, as state.py generates its constructors,
        # with element fields inlined: a generic loop over the fields, or a call per
        # field, would cost several times as much per state.
        if isinstance(node, _Fixed):
            kind = "tuple"
            fields = [(f"v[{i}]", n) for i, n in enumerate(node.items)]
        else:
            kind = "record" if issubclass(node.cls, Record) else "dataclass"
            fields = [(f"v[{i + 1}]" if kind == "record" else f"v.{name}", n)
                      for i, (name, n) in enumerate(node.fields)]
        env: dict[str, Any] = {"_C": node.cls if isinstance(node, _Rec) else tuple,
                               "_N": node.cls.__qualname__ if isinstance(node, _Rec) else "",
                               "_new": tuple.__new__, "_bad": self.bad,
                               "STAR": STAR, "DOT": DOT, "fingerprint": fingerprint}
        items: list[str] = []
        marks: list[str] = []
        collects: list[str] = []
        elems: list[tuple[str, int, bool]] = []  # getter, set, optional
        for n, (get, sub) in enumerate(fields):
            elem = sub.item if isinstance(sub, _Optional) else sub
            if sub is None:
                items.append(get)
                marks.append(get)
            elif isinstance(elem, _Elem):
                k, opt = elem.set, isinstance(sub, _Optional)
                elems.append((get, k, opt))
                guard = f"None if {get} is None else " if opt else ""
                renamed = (f"p[{k}][{get}]" if self.values[k] is None
                           else f"_V{k}[p[{k}][{get}]]")
                env[f"_V{k}"], env[f"_T{k}"] = self.values[k], self.kinds[k]
                items.append(f"({guard}{renamed})")
                marks.append(f"({guard}lab[{k}][{get}])")
                check = (f"    x = {get}\n"
                         f"    if type(x) is not _T{k} or not 0 <= x < {self.sizes[k]}: "
                         f"_bad(x, {k})\n    out.append(({k}, x))\n")
                if opt:
                    check = (f"    if {get} is not None:\n"
                             + "".join("    " + line + "\n"
                                       for line in check.splitlines()))
                collects.append(check)
            else:
                env[f"_p{n}"], env[f"_r{n}"], env[f"_c{n}"], _ = self.of(sub)
                items.append(f"_p{n}({get}, p, q)")
                marks.append(f"_r{n}({get}, lab)")
                collects.append(f"    _c{n}({get}, out)\n")
        listed = "".join(i + ", " for i in items)
        marked = "".join(m + ", " for m in marks)
        if kind == "record":
            built, marked = f"_new(_C, (v[0], {listed}))", f"(v[0], {marked})"
        elif kind == "dataclass":
            assert isinstance(node, _Rec)
            built = "_C(" + ", ".join(f"{name}={i}" for (name, _), i
                                      in zip(node.fields, items)) + ")"
            marked = f"(_N, {marked})"  # the class's name: a relabelled value is only hashed
        else:
            built, marked = f"({listed})", f"({marked})"
        body = "".join(collects) or "    pass\n"
        src = (f"def permute(v, p, q):\n    return {built}\n"
               f"def relabel(v, lab):\n    return {marked}\n"
               f"def collect(v, out):\n{body}")
        simple = len(elems) == sum(1 for _, sub in fields if sub is not None)
        if simple:
            src += _fused_unit(fields, elems, self.sizes, kind)
        exec(src, env)
        unit = env["unit"] if simple else self._general_unit(env["relabel"], env["collect"])
        return env["permute"], env["relabel"], env["collect"], unit


def _fused_unit(fields: Sequence[tuple[str, _Node | None]], elems: list[tuple[str, int, bool]],
                sizes: tuple[int, ...], kind: str) -> str:
    """Source of ``unit`` for a record whose only elements are in its own fields.

    For each element it holds (once, however many fields hold it), the record relabelled
    with that element as ★ and the others as · is added to the element's signature.
    """
    lines = ["def unit(v, sig, labs, h):"]
    names = {get: f"a{i}" for i, (get, _, _) in enumerate(elems)}
    for get, k, opt in elems:
        a = names[get]
        lines.append(f"    {a} = {get}")
        test = f"type({a}) is not _T{k} or not 0 <= {a} < {sizes[k]}"
        lines.append(f"    if {a} is not None and ({test}): _bad({a}, {k})" if opt
                     else f"    if {test}: _bad({a}, {k})")
    head = "v[0], " if kind == "record" else ("_C, " if kind == "dataclass" else "")
    for i, (get, k, opt) in enumerate(elems):
        a = names[get]
        parts = []
        for fget, _ in fields:
            if fget not in names:
                parts.append(fget)
                continue
            b = names[fget]
            _, kb, optb = next(e for e in elems if e[0] == fget)
            if b == a:
                parts.append("STAR")
                continue
            mark = f"(STAR if {b} == {a} else DOT)" if kb == k else "DOT"
            parts.append(f"(None if {b} is None else {mark})" if optb else mark)
        # An element held by several fields gets one unit, as in the general walk.
        earlier = [names[g] for g, kb, _ in elems[:i] if kb == k]
        conds = ([f"{a} is not None"] if opt else []) + [f"{a} != {b}" for b in earlier]
        indent = "    "
        if conds:
            lines.append(f"    if {' and '.join(conds)}:")
            indent = "        "
        relabelled = "".join(x + ", " for x in parts)
        lines.append(f"{indent}sig[{k}][{a}] += fingerprint((h, {head}{relabelled}))")
    held = ", ".join(f"({k}, {names[g]})" for g, k, _ in elems)
    lines.append(f"    return len({{x for x in ({held},) if x[1] is not None}}) > 1"
                 if len(elems) > 1 else "    return False")
    return "\n".join(lines) + "\n"


# -- the canonicalizer ------------------------------------------------------------------------

_Unit = Callable[[Any, Signatures, Any], bool]
"""Adds a field's units to the signatures; returns whether some unit held two elements."""


MEMO = 4096
"""States a canonicalizer remembers the representatives of, in each of two generations."""


class Canonicalizer:
    """Maps a state to the representative of its orbit; built by :func:`canonicalizer`.

    Calling it returns the representative. :meth:`permute` renames a state's elements and
    :meth:`transport` carries a value along the renaming that maps one state to another.
    """

    def __init__(self, state_type: type, shape: _Shape, node: _Rec, cfg: Any) -> None:
        self.sets: tuple[Symmetric, ...] = tuple(shape.sets)
        self.sizes: tuple[int, ...] = tuple(s.count(cfg) for s in self.sets)
        self.state_type = state_type
        walks = _Walks(shape, self.sizes)
        self._permute = walks.of(node)[0]
        self._record = issubclass(node.cls, Record)
        self._units: list[tuple[int | str, str, _Unit]] = []
        for i, (name, sub) in enumerate(node.fields):
            if sub is not None:
                pos: int | str = i + 1 if self._record else name
                self._units.append((pos, name, _field_units(walks, sub, name)))
        ks = range(len(self.sizes))
        dots = tuple((DOT,) * n for n in self.sizes)
        # labs[k][e]: every element relabelled ·, except element e of set k, which is ★.
        self._labs = tuple(
            tuple(tuple(tuple(STAR if (j == k and x == e) else DOT for x in range(n))
                        if j == k else dots[j] for j, n in enumerate(self.sizes))
                  for e in range(self.sizes[k]))
            for k in ks)
        self._ident = tuple(tuple(range(n)) for n in self.sizes)
        self._active = tuple(k for k in ks if self.sizes[k] > 1)
        self._swaps = {(k, a): self._swap(k, a) for k in self._active
                       for a in range(self.sizes[k] - 1)}
        # The representatives of the states canonicalised last (fingerprint -> state,
        # representative), in two generations: a search meets most successors again soon
        # after the first time (the same state from sibling parents, a step that changes
        # nothing).
        self._recent: dict[int, tuple[Any, Any]] = {}
        self._older: dict[int, tuple[Any, Any]] = {}

    def __call__(self, state: Any) -> Any:
        try:
            key = fingerprint(state)
            hit = self._recent.get(key)
            if hit is None:
                hit = self._older.get(key)
            # Equal fingerprints and equal values: the same state (values Python finds
            # equal but the encoding does not, 1 and True, have different fingerprints).
            if hit is not None and hit[0] == state:
                return hit[1]
            image = self._canonical(state)[0]
        except SpecDefinitionError:
            raise
        except (_ShapeError, IndexError, TypeError, AttributeError, ValueError) as e:
            if type(state) is not self.state_type:
                return state  # not a state at all: the explorer reports it, naming the action
            raise self._explain(state, e) from e
        recent = self._recent
        recent[key] = (state, image)
        if len(recent) >= MEMO:
            self._older, self._recent = recent, {}
        return image

    def permute(self, state: Any, perms: Sequence[Sequence[int]]) -> Any:
        """``state`` with element ``e`` of set ``k`` renamed ``perms[k][e]``."""
        p = tuple(tuple(x) for x in perms)
        q = tuple(_inverse(x) for x in p)
        return self._permute(state, p, q)

    def transport(self, src: Any, dst: Any, value: Any) -> Any:
        """``value`` renamed by a permutation that maps ``src`` to ``dst`` (same orbit)."""
        c1, p1 = self._canonical(src)
        c2, p2 = self._canonical(dst)
        if c1 != c2:
            raise ValueError("the two states are not in the same orbit")
        # p1 maps src to the representative, p2 maps dst to it: p2⁻¹ ∘ p1 maps src to dst.
        g = tuple(tuple(_inverse(b)[a[e]] for e in range(len(a))) for a, b in zip(p1, p2))
        return self.permute(value, g)

    def _swap(self, k: int, a: int) -> tuple[Perms, Perms]:
        t = list(range(self.sizes[k]))
        t[a], t[a + 1] = a + 1, a
        p = tuple(tuple(t) if j == k else self._ident[j] for j in range(len(self.sizes)))
        return p, p

    def _canonical(self, s: Any) -> tuple[Any, Perms]:
        """The representative of ``s``'s orbit and the renaming that maps ``s`` to it."""
        sizes = self.sizes
        sig = [[0] * n for n in sizes]
        shared = False
        labs = self._labs
        if self._record:
            for pos, _, unit in self._units:
                shared = unit(s[pos], sig, labs) or shared
        else:
            for pos, _, unit in self._units:
                shared = unit(getattr(s, pos), sig, labs) or shared  # type: ignore[arg-type]
        ps: list[tuple[int, ...]] = []
        qs: list[tuple[int, ...]] = []
        ties: list[tuple[int, int, int]] = []
        for k, n in enumerate(sizes):
            if n < 2:
                ps.append(self._ident[k])
                qs.append(self._ident[k])
                continue
            keys = sig[k]
            q = tuple(sorted(range(n), key=keys.__getitem__))
            ps.append(tuple(sorted(range(n), key=q.__getitem__)))  # the inverse of q
            qs.append(q)
            if shared:
                _add_ties(ties, k, [keys[e] for e in q])
        p_all, q_all = tuple(ps), tuple(qs)
        image = s if q_all == self._ident else self._permute(s, p_all, q_all)
        if not ties:
            # Without a unit that holds two elements, equal signatures mean equal units up
            # to the renaming of the two elements, so swapping them changes nothing.
            return image, p_all
        permute = self._permute
        swaps = self._swaps
        open_ties = [(k, r, t) for k, r, t in ties
                     if any(permute(image, *swaps[k, a]) != image for a in range(r, t - 1))]
        if not open_ties:
            return image, p_all
        return self._least(image, p_all, open_ties)

    def _least(self, image: Any, p_all: Perms,
               ties: list[tuple[int, int, int]]) -> tuple[Any, Perms]:
        """The image with the least fingerprint over every reordering within the ties."""
        best: Any = None
        best_key = 0
        best_p: Perms = p_all
        choices = [itertools.permutations(range(r, t)) for _, r, t in ties]
        for combo in itertools.product(*choices):
            p = [list(x) for x in self._ident]
            for (k, r, _), order in zip(ties, combo):
                for i, x in enumerate(order):
                    p[k][r + i] = x
            pt = tuple(tuple(x) for x in p)
            candidate = self._permute(image, pt, tuple(_inverse(x) for x in pt))
            key = fingerprint(candidate)
            if best is None or key < best_key:
                best, best_key = candidate, key
                best_p = tuple(tuple(pk[e] for e in pa) for pa, pk in zip(p_all, pt))
        return best, best_p

    def _explain(self, state: Any, error: BaseException) -> BaseException:
        try:
            fingerprint(state)
        except TypeError as e:
            return e  # the explorer names the action and the field
        for pos, name, unit in self._units:
            value = state[pos] if self._record else getattr(state, str(pos))
            sig = [[0] * n for n in self.sizes]
            try:
                unit(value, sig, self._labs)
            except Exception as e:
                return SpecRuntimeError(
                    f"symmetry reduction cannot rename field {name!r} of a "
                    f"{type(state).__name__} ({e}): the field's value does not match its "
                    f"annotation {self._sets_text()}; value: {value!r}", function="?")
        return SpecRuntimeError(
            f"symmetry reduction failed on a {type(state).__name__} "
            f"({type(error).__name__}: {error}) {self._sets_text()}", function="?")

    def _sets_text(self) -> str:
        return "(" + ", ".join(f"{s.name} has {n} elements"
                               for s, n in zip(self.sets, self.sizes)) + ")"


def _field_units(walks: _Walks, node: _Node, tag: str) -> _Unit:
    """The function adding the units of one state field to the element signatures.

    A collection's items are units (an item of a tuple indexed by a set, with its index);
    any other field is one unit.
    """
    h = fingerprint(tag)
    if isinstance(node, _Set) and isinstance(node.item, _Elem):
        k, n = node.item.set, walks.sizes[node.item.set]
        kind = walks.kinds[k]

        def members(v: frozenset[int], sig: Signatures, labs: Any) -> bool:
            sk = sig[k]
            for e in v:
                if type(e) is not kind or not 0 <= e < n:
                    walks.bad(e, k)
                sk[e] += h
            return False
        return members
    if isinstance(node, _Set):
        if isinstance(node.item, _Union):
            table = walks.tables(node.item)[3]

            def dispatched(x: Any, sig: Signatures, labs: Any, h: int) -> bool:
                u = table[type(x)]
                return u is not None and u(x, sig, labs, h)
            return _remembered(walks.sizes, dispatched, h)
        return _remembered(walks.sizes, walks.of(node.item)[3], h)
    if isinstance(node, _Map):
        # A map's items are units, as a set's: the key with its value.
        pair = walks.of(_Fixed((node.key, node.value)))[3]

        def entries(v: Map[Any, Any], sig: Signatures, labs: Any) -> bool:
            if type(v) is not Map:
                raise _ShapeError(f"{v!r} is not a Map")
            shared = False
            for kv in v.items():
                if pair(kv, sig, labs, h):
                    shared = True
            return shared
        return entries
    if isinstance(node, _Seq):
        item_unit = walks.of(node.item)[3]

        def positions(v: tuple[Any, ...], sig: Signatures, labs: Any) -> bool:
            shared = False
            for i, x in enumerate(v):
                if item_unit(x, sig, labs, fingerprint((h, i))):
                    shared = True
            return shared
        return positions
    if isinstance(node, _Index):
        k, n = node.set, walks.sizes[node.set]
        if node.item is None:
            def plain(v: tuple[Any, ...], sig: Signatures, labs: Any) -> bool:
                if len(v) != n:
                    walks.short(v, k)
                # Adds fingerprint((h, v[e])) to element e's signature; map keeps it in C.
                sig[k] = list(map(add, sig[k], map(fingerprint, zip(repeat(h), v))))
                return False
            return plain
        item = node.item.item if isinstance(node.item, _Optional | _Set) else node.item
        if isinstance(item, _Elem) and item.set == k:
            return _pointers(walks, k, h, sets=isinstance(node.item, _Set))
        _, ir, ic, _ = walks.of(node.item)

        def indexed(v: tuple[Any, ...], sig: Signatures, labs: Any) -> bool:
            if len(v) != n:
                walks.short(v, k)
            shared = False
            for i, x in enumerate(v):
                out = [(k, i)]
                ic(x, out)
                if len(out) == 1:
                    sig[k][i] += fingerprint((h, STAR, ir(x, labs[k][i])))
                    continue
                owners = set(out)
                shared = shared or len(owners) > 1
                for j, e in owners:
                    lab = labs[j][e]
                    sig[j][e] += fingerprint((h, lab[k][i], ir(x, lab)))
            return shared
        return indexed
    whole = walks.of(node)[3]

    def field(v: Any, sig: Signatures, labs: Any) -> bool:
        return whole(v, sig, labs, h)
    return field


ITEMS = 1 << 15
"""Items of sets whose units a canonicalizer remembers (per field), before starting over."""


def _remembered(sizes: tuple[int, ...], unit: _AddUnit, h: int) -> _Unit:
    """The units of a frozenset's items (messages, say), each item's computed once.

    A successor shares most of its items with its parent, as the same objects, so what an
    item adds to the signatures is remembered by the item's identity; the entry holds the
    item, so its identity is not reused while the entry lives.
    """
    known: dict[int, tuple[Any, tuple[tuple[int, int, int], ...], bool]] = {}

    def items(v: frozenset[Any], sig: Signatures, labs: Any) -> bool:
        shared = False
        for x in v:
            got = known.get(id(x))
            if got is None:
                scratch = [[0] * n for n in sizes]
                held = unit(x, scratch, labs, h)
                adds = tuple((k, e, d) for k, row in enumerate(scratch)
                             for e, d in enumerate(row) if d)
                if len(known) >= ITEMS:
                    known.clear()
                got = known[id(x)] = (x, adds, held)
            for k, e, d in got[1]:
                sig[k][e] += d
            if got[2]:
                shared = True
        return shared
    return items


def _pointers(walks: _Walks, k: int, h: int, *, sets: bool) -> _Unit:
    """Units of a tuple indexed by set ``k`` whose items are elements of ``k`` (or None),
    or frozensets of them: who voted for whom, who granted a vote to whom.

    Item ``i`` adds to ``i``'s signature what it holds seen from ``i`` (nothing, ``i``
    itself, others, and how many), and to each other element it holds that ``i``'s item
    holds it, so the whole tuple costs one pass instead of a relabelling per element.
    """
    n: int = walks.sizes[k]
    kind: Any = walks.kinds[k]

    def elements(v: tuple[Any, ...], sig: Signatures, labs: Any) -> bool:
        if len(v) != n:
            walks.short(v, k)
        sk = sig[k]
        shared = False
        for i, x in enumerate(v):
            if x is None or x == i:
                sk[i] += fingerprint((h, x is None))
                continue
            if type(x) is not kind or not 0 <= x < n:
                walks.bad(x, k)
            sk[i] += fingerprint((h, DOT))
            sk[x] += fingerprint((h, STAR))
            shared = True
        return shared

    def subsets(v: tuple[Any, ...], sig: Signatures, labs: Any) -> bool:
        if len(v) != n:
            walks.short(v, k)
        sk = sig[k]
        shared = False
        for i, x in enumerate(v):
            if not x:
                sk[i] += h
                continue
            if min(x) < 0 or max(x) >= n:
                walks.bad(min(x) if min(x) < 0 else max(x), k)
            own = i in x
            sk[i] += fingerprint((h, own, len(x)))
            if len(x) > own:
                shared = True
                held = fingerprint((h, DOT, own, len(x)))
                for e in x:
                    if e != i:
                        sk[e] += held
        return shared
    return subsets if sets else elements


def _first(values: tuple[ModelValue, ...], prefix: str | None) -> ModelValue:
    """A model value of the set named by ``prefix`` (its class is the set's)."""
    return values[0] if values else model_values(prefix or "?", 1)[0]


_UNCHANGED: _Walk = (lambda v, p, q: v, lambda v, lab: v, lambda v, out: None,
                     lambda v, sig, labs, h: False)
"""The walk of a part that holds no element."""


def _add_ties(ties: list[tuple[int, int, int]], k: int, ranked: list[int]) -> None:
    """Append ``(k, start, stop)`` for each run of two or more equal keys in ``ranked``."""
    n = len(ranked)
    r = 0
    while r < n:
        t = r + 1
        while t < n and ranked[t] == ranked[r]:
            t += 1
        if t - r > 1:
            ties.append((k, r, t))
        r = t


def _inverse(p: Sequence[int]) -> tuple[int, ...]:
    inv = [0] * len(p)
    for i, x in enumerate(p):
        inv[x] = i
    return tuple(inv)


def _state_type(spec: Spec) -> type:
    if spec.state is not None:
        return spec.state
    for init in spec.inits:
        try:
            ret = typing.get_type_hints(init.fn).get("return")
        except Exception:
            continue
        for t in (ret, *typing.get_args(ret)):
            if isinstance(t, type) and t is not type(None):
                return t
    raise UsageError(
        f"spec {spec.name!r}: symmetry reduction needs the state type; pass it to the spec "
        "as Spec(name, Config, State)")


def _shape(spec: Spec) -> tuple[type, _Shape, _Rec | None]:
    state_type = _state_type(spec)
    if not (issubclass(state_type, Record) or dataclasses.is_dataclass(state_type)):
        raise UsageError(
            f"spec {spec.name!r}: symmetry reduction reads the annotations of the state "
            f"type, a Record or frozen dataclass, not {state_type.__name__}")
    shape = _Shape()
    return state_type, shape, shape.record(state_type)


def symmetric_sets(spec: Spec) -> tuple[Symmetric, ...]:
    """The symmetric sets the annotations of ``spec``'s state use, in order of appearance.

    Raises SpecDefinitionError naming the field when an annotation is malformed.
    """
    _, shape, _ = _shape(spec)
    return tuple(shape.sets)


def canonicalizer(spec: Spec, cfg: Any) -> Canonicalizer:
    """The canonicalizer of ``spec``'s states in configuration ``cfg``.

    Raises UsageError when the spec declares no symmetric set, and SpecDefinitionError
    (naming the field and the fix) when its annotations are malformed.
    """
    state_type, shape, node = _shape(spec)
    if node is None or not shape.sets:
        raise UsageError(
            f"spec {spec.name!r} declares no symmetric set, so --symmetry has nothing to "
            "permute. Declare one in the state's annotations, e.g. RM = Annotated[int, "
            "Symmetric(\"RM\", size=\"rms\")] for fields holding an RM and "
            "Annotated[tuple[X, ...], IndexedBy(RM)] for a tuple with one item per RM")
    return Canonicalizer(state_type, shape, node, cfg)
