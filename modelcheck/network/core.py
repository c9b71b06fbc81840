"""What every part of a network reads: its spec's state fields and each configuration's plan.

:class:`NetworkCore` holds what :class:`~modelcheck.network.builder.Network` is given
and declared (the fields holding messages and faults, how to read and replace them, the
message handlers and timers), and makes the plan of each configuration: its semantics
and fault budgets, checked against the spec. The actions
(:mod:`~modelcheck.network.actions`) and the spec's hooks (:mod:`~modelcheck.network.hooks`)
are built on it.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from modelcheck.errors import SpecDefinitionError
from modelcheck.network.faults import FAULTS, FaultError, Faults, FaultState
from modelcheck.network.kinds import _KIND_CLASSES, KINDS, _Kind
from modelcheck.spec import Spec
from modelcheck.state import Record, defaults

__all__ = ["Fields", "Handler", "NetworkCore", "Nodes"]

Handler = Callable[[Any, Any, Any], Any]
Nodes = Callable[[Any], Iterable[Any]]
Fields = Sequence[str] | Callable[[Any], Sequence[str]]


@dataclass
class _Plan:
    """What one configuration asks of the network: its semantics and fault budgets."""

    kind: _Kind
    faults: Faults
    initial: FaultState
    messages: tuple[Any, ...]
    nodes: tuple[Any, ...]
    volatile: tuple[str, ...]
    init_state: Any
    """The spec's first initial state, where a restart finds volatile fields' values
    (computed on the first restart: the init itself asks for the plan)."""

    def budget(self, name: str) -> int:
        return self.faults.budget(name)



class NetworkCore:
    """The spec, fields, declarations and plans of a network (see
    :class:`~modelcheck.network.builder.Network`, which sets them up)."""

    spec: Spec
    record: type[FaultState]
    """The state's :class:`FaultState` class."""
    route: Callable[[Any], tuple[Any, Any]]
    field: str
    faults_field: str
    budgets_field: str
    handlers: dict[type, Handler]
    timers: dict[str, tuple[Handler, Nodes]]
    get_net: Callable[[Any], Any]
    get_faults: Callable[[Any], Any]
    set_net: Callable[..., Any]
    set_faults: Callable[..., Any]
    set_both: Callable[..., Any]
    _messages: Callable[[Any], Iterable[Any]]
    _nodes: Nodes
    _kind: str | Callable[[Any], str]
    _crashable: Nodes | None
    _durable: Fields | None
    _volatile: Fields | None
    _forgeable: Callable[[Any], Iterable[Any]] | None
    _refused: dict[str, str]
    _last: tuple[Any, _Plan] | None
    """The last configuration planned, and its plan."""

    # -- per configuration ------------------------------------------------------------------

    def plan(self, cfg: Any) -> _Plan:
        """The semantics and budgets of configuration ``cfg``, checked against the spec."""
        last = self._last
        if last is not None and last[0] is cfg:
            return last[1]
        plan = self._make_plan(cfg)
        self._last = (cfg, plan)
        return plan

    def _make_plan(self, cfg: Any) -> _Plan:
        name = self.spec.name
        raw = getattr(cfg, self.budgets_field)
        faults = raw if isinstance(raw, Faults) else Faults(raw)
        kind_name = self._kind(cfg) if callable(self._kind) else self._kind
        if kind_name not in KINDS:
            raise FaultError(f"spec {name!r}: network kind {kind_name!r} is not one of "
                             f"{', '.join(KINDS)}")
        b = faults.budgets
        for fault, why in self._refused.items():
            if b[fault]:
                raise FaultError(f"spec {name!r} does not model {fault} faults ({fault}="
                                 f"{b[fault]}): {why}")
        if b["dup"] and kind_name == "set":
            raise FaultError(
                f"spec {name!r} uses a set network, where every message can already be "
                "received again: dup has no effect; drop it from --faults")
        if b["reorder"] and kind_name != "fifo":
            raise FaultError(
                f"spec {name!r} uses a {kind_name} network, which delivers in any order "
                "already: reorder applies to fifo networks only; drop it from --faults")
        if b["restart"] and self._durable is None:
            raise FaultError(
                f"spec {name!r} declares no durable state, so a crashed node cannot "
                f"restart (restart={b['restart']}): declare Network(..., durable=[fields "
                "kept], volatile=[fields reset]), or use crash alone (crash-stop)")
        if b["restart"] and not b["crash"]:
            raise FaultError(f"restart={b['restart']} needs crash >= 1: only a crashed node "
                             "restarts")
        if b["equivocate"] and self._forgeable is None:
            raise FaultError(
                f"spec {name!r} declares no Byzantine message domain: equivocate needs "
                "Network(..., forgeable=lambda cfg: [messages a faulty node may send])")
        if b["timeout"] and not self.timers:
            raise FaultError(f"spec {name!r} declares no timers (@net.timer): timeout has "
                             "nothing to fire")
        messages = _values(self._messages, cfg, "messages")
        missing = sorted({type(m).__name__ for m in messages} -
                         {t.__name__ for t in self.handlers})
        if missing:
            raise SpecDefinitionError(
                f"spec {name!r}: messages of type {missing} have no handler; declare "
                "@net.handler(Type) def handle(cfg, state, m): ...")
        durable = tuple(_fields(self._durable, cfg))
        volatile = tuple(_fields(self._volatile, cfg))
        both = set(durable) & set(volatile)
        if both:
            raise SpecDefinitionError(f"spec {name!r}: fields {sorted(both)} are declared "
                                      "both durable and volatile")
        # Without faults the record never changes: its smallest form hashes in a few
        # nanoseconds instead of one per field, in every state's fingerprint.
        initial = self.record().replace(**b) if faults.any else defaults(self.record)
        return _Plan(_KIND_CLASSES[kind_name](self.route), faults, initial, messages,
                     _values(self._nodes, cfg, "nodes"), volatile, None)

    def _budgeted(self, name: str, values: Callable[[Any], Sequence[Any]]
                  ) -> Callable[[Any], Sequence[Any]]:
        # An action whose fault is not asked for has no instance at all: the search never
        # tries it, and a model without faults keeps its counts and speed.
        def domain(cfg: Any) -> Sequence[Any]:
            return values(cfg) if self.plan(cfg).budget(name) > 0 else ()
        domain.__name__ = f"{name}_domain"
        return domain

    # -- the actions --------------------------------------------------------------------------
    def supported(self, cfg: Any) -> dict[str, str | None]:
        """For each fault: None if configuration ``cfg`` can use it, else why not."""
        out: dict[str, str | None] = {}
        for fault in FAULTS:
            text = f"{fault}=1" if fault != "restart" else "crash=1,restart=1"
            try:
                self._make_plan(dataclasses.replace(cfg, **{self.budgets_field: Faults(text)}))
            except FaultError as e:
                out[fault] = e.message
            else:
                out[fault] = None
        return out


# -- helpers ---------------------------------------------------------------------------------


def _field_names(state: Any) -> tuple[str, ...] | None:
    if isinstance(state, type) and issubclass(state, Record):
        return tuple(state._fields)
    if isinstance(state, type) and dataclasses.is_dataclass(state):
        return tuple(f.name for f in dataclasses.fields(state))
    return None


def _fault_record(state: Any, name: str, where: str) -> type[FaultState]:
    try:
        hint = typing.get_type_hints(state).get(name) if state is not None else None
    except Exception:  # an unresolvable annotation: symmetry reports it if it matters
        hint = None
    if hint is None:
        return FaultState
    if isinstance(hint, type) and issubclass(hint, FaultState):
        return hint
    raise SpecDefinitionError(
        f"{where}: state field {name!r} is annotated {hint!r}; annotate it with a "
        "FaultState subclass: class Faults(FaultState, node=YourNodeType): ...")


def _setter(state: Any, *names: str) -> Callable[..., Any]:
    params = ", ".join(f"v{i}" for i in range(len(names)))
    if isinstance(state, type) and issubclass(state, Record):
        body = ", ".join(f"{n}=v{i}" for i, n in enumerate(names))
        env: dict[str, Any] = {}
        exec(f"def set_(s, {params}):\n    return s.replace({body})\n", env)
        fn: Callable[..., Any] = env["set_"]
        return fn

    def set_(s: Any, *values: Any) -> Any:
        return dataclasses.replace(s, **dict(zip(names, values)))
    return set_



def _values(fn: Callable[[Any], Iterable[Any]], cfg: Any, what: str) -> tuple[Any, ...]:
    values = fn(cfg)
    if isinstance(values, (set, frozenset)):
        raise SpecDefinitionError(f"Network {what}: return a sequence in a fixed order, not a "
                                  "set (hash order would make the search nondeterministic)")
    return tuple(values)


def _fields(fields: Fields | None, cfg: Any) -> Sequence[str]:
    if fields is None:
        return ()
    return fields(cfg) if callable(fields) else fields


def _same_side(sides: frozenset[frozenset[Any]], a: Any, b: Any) -> bool:
    if not sides:
        return True
    for side in sides:
        if a in side:
            return b in side
    return True

