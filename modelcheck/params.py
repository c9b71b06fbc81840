"""Config parameters: the domain of each field, read from its annotation, and one parser.

A spec's ``Config`` says what each parameter may be by annotating its fields; modelcheck
then refuses any other value, wherever it comes from (``--param``, ``--faults``,
``check(params=...)``, a variant, a trace), before anything runs::

    @dataclass(frozen=True)
    class Config:
        replicas: Annotated[int, Between(1, 9)] = 3
        mode: Literal["quorum", "sync", "async"] = "quorum"
        read_repair: bool = True
        faults: Faults = NO_FAULTS

What each annotation admits, and how it is written on the command line:

* ``Literal[...]``: one of its values (``--param mode=sync``);
* an :class:`enum.Enum` subclass: one of its members, by name (also in JSON);
* ``int`` and ``float``: a number, within every :class:`Between` in ``Annotated``;
  an ``int`` is never a bool nor a number with a fraction;
* ``bool``: ``true``/``false``, ``yes``/``no`` or ``1``/``0``;
* ``tuple[X, ...]`` (or ``tuple[X, Y]``): comma-separated items, each checked as ``X``;
* a class with a ``from_param`` classmethod (:class:`modelcheck.network.Faults`): what
  that method returns, given the text or an instance; it raises to refuse a value;
* ``X | None``: a value of ``X``, or None (``none`` on the command line);
* ``str``: any text; ``Any`` or ``object``: any value;
* any other class: an instance of it, from Python only.

A Python value of the wrong type is an error; text given from Python is parsed as on the
command line. Constraints between fields belong in the Config's ``__post_init__``, which
raises ValueError (also a usage error, naming the spec).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from modelcheck.errors import ModelcheckError, SpecDefinitionError, UsageError

__all__ = ["Between", "Param", "parameters"]


@dataclass(frozen=True)
class Between:
    """The range of an ``int`` or ``float`` config field: ``min <= value <= max``.

    Attach it with :data:`typing.Annotated`; both bounds are inclusive and ``max=None``
    leaves the range open above::

        servers: Annotated[int, Between(1, 9)] = 3
        drift: Annotated[float, Between(0.0, 0.5)] = 0.1

    Any value outside the range is refused with a usage error naming the field and the
    range, and so is a default outside it, when the :class:`~modelcheck.Spec` is created.
    """

    min: int | float
    max: int | float | None = None

    def __post_init__(self) -> None:
        for bound in (self.min,) if self.max is None else (self.min, self.max):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) \
                    or math.isnan(bound):
                raise SpecDefinitionError(
                    f"{self!r}: the bounds must be numbers, e.g. Between(1, 9) or Between(0)")
        if self.max is not None and self.max < self.min:
            raise SpecDefinitionError(f"{self!r}: min is above max")

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, (int, float)):
            return False
        return self.min <= value and (self.max is None or value <= self.max)

    def __str__(self) -> str:
        return f">= {self.min}" if self.max is None else f"{self.min} .. {self.max}"


def _a(value: object) -> str:
    """``a bool``, ``an int``: the type of ``value`` with its article."""
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


class _Invalid(Exception):
    """A value outside its domain; ``problem`` says why (``is not a whole number``)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _Domain:
    """What one annotation admits: text is parsed, Python values are checked."""

    type_name: str = "value"
    declared: bool = True
    """Whether the annotation restricts the value (not ``str``, ``Any`` or a bare number)."""

    def describe(self) -> str | None:
        """The valid values, as errors and ``modelcheck show`` print them."""
        return None

    def convert(self, value: Any, as_json: bool = False) -> Any:
        """``value`` as the field holds it; ``as_json``: it was read from JSON."""
        if type(value) is str:
            return self.from_text(value)
        return self.from_value(value, as_json)

    def from_text(self, text: str) -> Any:
        raise NotImplementedError

    def from_value(self, value: Any, as_json: bool) -> Any:
        raise NotImplementedError


class _AnyValue(_Domain):
    declared = False

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def from_text(self, text: str) -> Any:
        return text

    def from_value(self, value: Any, as_json: bool) -> Any:
        return value


class _Text(_Domain):
    type_name = "str"
    declared = False

    def from_text(self, text: str) -> Any:
        return text

    def from_value(self, value: Any, as_json: bool) -> Any:
        if not isinstance(value, str):
            raise _Invalid(f"is {_a(value)}, not text")
        return value


def _label(choice: object) -> str:
    """How a choice is written on the command line."""
    if isinstance(choice, enum.Enum):
        return choice.name
    if choice is None or isinstance(choice, bool):
        return str(choice).lower()
    return str(choice)


class _Choices(_Domain):
    def __init__(self, choices: tuple[Any, ...], type_name: str) -> None:
        self.choices = choices
        self.labels = tuple(_label(c) for c in choices)
        self.type_name = type_name

    def describe(self) -> str:
        return ", ".join(self.labels)

    def from_text(self, text: str) -> Any:
        for choice, label in zip(self.choices, self.labels):
            if text == label or ((choice is None or isinstance(choice, bool))
                                 and text.strip().lower() == label):
                return choice
        raise _Invalid("is not one of the choices")

    def from_value(self, value: Any, as_json: bool) -> Any:
        for choice in self.choices:
            if type(choice) is type(value) and choice == value:
                return choice
        if isinstance(value, str) and not isinstance(value, enum.Enum):
            return self.from_text(str(value))
        raise _Invalid("is not one of the choices")


class _Bool(_Domain):
    type_name = "bool"
    _TRUE = frozenset({"true", "yes", "1"})
    _FALSE = frozenset({"false", "no", "0"})

    def describe(self) -> str:
        return "true or false"

    def from_text(self, text: str) -> Any:
        low = text.strip().lower()
        if low in self._TRUE:
            return True
        if low in self._FALSE:
            return False
        raise _Invalid("is not a boolean (write true, false, yes, no, 1 or 0)")

    def from_value(self, value: Any, as_json: bool) -> Any:
        if type(value) is not bool:
            raise _Invalid(f"is {_a(value)}, not a bool")
        return value


class _Number(_Domain):
    def __init__(self, kind: type[int] | type[float], ranges: tuple[Between, ...] = ()) -> None:
        self.kind = kind
        self.ranges = ranges
        self.type_name = kind.__name__
        self.declared = bool(ranges)

    def describe(self) -> str | None:
        return " and ".join(str(r) for r in self.ranges) or None

    def _what(self) -> str:
        return "a whole number" if self.kind is int else "a number"

    def from_text(self, text: str) -> Any:
        try:
            value: int | float = int(text) if self.kind is int else float(text)
        except ValueError:
            raise _Invalid(f"is not {self._what()}") from None
        return self._check(value)

    def from_value(self, value: Any, as_json: bool) -> Any:
        allowed = int if self.kind is int else (int, float)
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise _Invalid(f"is {_a(value)}, not {self._what()}")
        return self._check(int(value) if self.kind is int else float(value))

    def _check(self, value: int | float) -> int | float:
        if isinstance(value, float) and math.isnan(value):
            raise _Invalid("is not a number")
        for r in self.ranges:
            if value not in r:
                raise _Invalid("is out of range")
        return value


class _Tuple(_Domain):
    def __init__(self, items: tuple[_Domain, ...], variadic: bool, type_name: str) -> None:
        self.items = items
        self.variadic = variadic
        self.type_name = type_name
        self.declared = all(d.declared for d in items)

    def describe(self) -> str | None:
        if not self.variadic:
            return f"{len(self.items)} comma-separated items"
        inner = self.items[0].describe()
        return f"comma-separated items, each {inner}" if inner else None

    def from_text(self, text: str) -> Any:
        return self._convert([p.strip() for p in text.split(",") if p.strip()], False)

    def from_value(self, value: Any, as_json: bool) -> Any:
        if not (isinstance(value, tuple) or (as_json and isinstance(value, list))):
            raise _Invalid(f"is {_a(value)}, not a tuple")
        return self._convert(list(value), as_json)

    def _convert(self, values: list[Any], as_json: bool) -> tuple[Any, ...]:
        if not self.variadic and len(values) != len(self.items):
            raise _Invalid(f"has {len(values)} items, not {len(self.items)}")
        out = []
        for i, v in enumerate(values):
            try:
                out.append(self.items[0 if self.variadic else i].convert(v, as_json))
            except _Invalid as e:
                raise _Invalid(f"has item {v!r}, which {e.problem}") from None
        return tuple(out)


class _NoneValue(_Domain):
    type_name = "None"

    def describe(self) -> str:
        return "none"

    def from_text(self, text: str) -> Any:
        if text.strip().lower() in ("none", "null"):
            return None
        raise _Invalid("is not none")

    def from_value(self, value: Any, as_json: bool) -> Any:
        if value is not None:
            raise _Invalid("is not None")
        return None


class _Union(_Domain):
    def __init__(self, members: tuple[_Domain, ...]) -> None:
        self.members = members
        self.type_name = " | ".join(m.type_name for m in members)
        self.declared = all(m.declared for m in members)

    def describe(self) -> str:
        return " or ".join(m.describe() or f"a {m.type_name}" for m in self.members)

    def convert(self, value: Any, as_json: bool = False) -> Any:
        for m in self.members:
            try:
                return m.convert(value, as_json)
            except _Invalid:
                continue
        raise _Invalid("is none of them")


class _Parsed(_Domain):
    """A type with a ``from_param`` classmethod, which parses and checks its values."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.type_name = cls.__name__

    def convert(self, value: Any, as_json: bool = False) -> Any:
        try:
            return self.cls.from_param(value)  # type: ignore[attr-defined]
        except (ModelcheckError, ValueError, TypeError) as e:
            raise _Invalid(f"is not a valid {self.type_name}: {e}") from None


class _Instance(_Domain):
    def __init__(self, cls: type, type_name: str) -> None:
        self.cls = cls
        self.type_name = type_name

    def from_text(self, text: str) -> Any:
        raise _Invalid(f"cannot be given as text: {self.type_name} has no from_param "
                       "classmethod to parse it")

    def from_value(self, value: Any, as_json: bool) -> Any:
        if not isinstance(value, self.cls):
            raise _Invalid(f"is {_a(value)}, not a {self.type_name}")
        return value


class _BadAnnotation(Exception):
    pass


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _domain(hint: Any) -> _Domain:
    """The domain an annotation declares (see the module's docstring)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        inner = _domain(args[0])
        ranges = tuple(m for m in args[1:] if isinstance(m, Between))
        if not ranges:
            return inner
        if not isinstance(inner, _Number):
            raise _BadAnnotation(f"Between applies to int and float fields, not to "
                                 f"{_name(args[0])}")
        return _Number(inner.kind, inner.ranges + ranges)
    if hint in (Any, object):
        return _AnyValue(_name(hint))
    if hint is str:
        return _Text()
    if hint is bool:
        return _Bool()
    if hint in (int, float):
        return _Number(hint)
    if hint is type(None) or hint is None:
        return _NoneValue()
    if origin is Literal:
        if not args:
            raise _BadAnnotation("Literal[] has no choices")
        kinds = {type(a) for a in args}
        return _Choices(args, _name(kinds.pop()) if len(kinds) == 1 else "Literal")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        members = tuple(hint)
        if not members:
            raise _BadAnnotation(f"the enum {hint.__name__} has no members")
        return _Choices(members, hint.__name__)
    if origin is tuple:
        if not args:
            return _Instance(tuple, "tuple")
        if len(args) == 2 and args[1] is Ellipsis:
            return _Tuple((_domain(args[0]),), True, _name(hint))
        return _Tuple(tuple(_domain(a) for a in args), False, _name(hint))
    if origin in (typing.Union, types.UnionType):
        return _Union(tuple(_domain(a) for a in args))
    if isinstance(hint, type) and callable(getattr(hint, "from_param", None)):
        return _Parsed(hint)
    if isinstance(hint, type):
        return _Instance(hint, hint.__name__)
    if isinstance(origin, type):
        return _Instance(origin, _name(hint))
    return _AnyValue(_name(hint))


@dataclass(frozen=True)
class Param:
    """A field of a spec's Config: its name, annotation, default and declared domain."""

    name: str
    hint: Any
    default: Any
    """The field's default (``dataclasses.MISSING`` when it has none)."""
    _domain: _Domain = dataclasses.field(repr=False, compare=False)

    @property
    def type_name(self) -> str:
        """The field's type as ``modelcheck show`` prints it (``int``, ``str``, ``Faults``)."""
        return self._domain.type_name

    @property
    def declared(self) -> bool:
        """Whether the annotation declares a domain: choices, a range, a bool, or a type
        that checks its values; not ``str``, ``Any`` or a number without a range."""
        return self._domain.declared

    def describe(self) -> str | None:
        """The valid values (``quorum, sync, async``, ``1 .. 12``), or None if unlisted."""
        return self._domain.describe()

    def convert(self, value: Any, *, as_json: bool = False) -> Any:
        """``value`` as the field holds it, or a UsageError naming the field, the value and
        the valid values. Text is parsed as on the command line; ``as_json`` reads a value
        a trace recorded (arrays for tuples)."""
        try:
            return self._domain.convert(value, as_json)
        except _Invalid as e:
            valid = self._domain.describe()
            raise UsageError(f"parameter {self.name}={value!r} {e.problem}"
                             + (f"; valid values: {valid}" if valid else "")) from None


@cache
def parameters(config: type) -> dict[str, Param]:
    """Every field of the dataclass ``config``, by name; a SpecDefinitionError names a
    field whose annotation declares no usable domain."""
    try:
        hints = typing.get_type_hints(config, include_extras=True)
    except Exception as e:
        raise SpecDefinitionError(
            f"config {config.__name__}: its annotations cannot be read ({type(e).__name__}: "
            f"{e}); define the types they name before the Config") from e
    out: dict[str, Param] = {}
    for f in dataclasses.fields(config):
        hint = hints.get(f.name, Any)
        try:
            domain = _domain(hint)
        except _BadAnnotation as e:
            raise SpecDefinitionError(f"config field {config.__name__}.{f.name}: {e}") from None
        factory = f.default_factory
        default = factory() if callable(factory) else f.default
        out[f.name] = Param(f.name, hint, default, domain)
    return out
