"""A :class:`Model` is a spec bound to one configuration, ready for the explorers.

Binding happens once per run: every action's argument domains are enumerated here, so the
explorers' hot loop iterates a flat tuple of ``(index, function, args)`` and never
recomputes a cartesian product per state; the spec's fairness groups are bound to the
instances they cover (:class:`FairGroup`).

A configuration can make a model absurd (a size parameter set to ``10**20``): binding
measures each domain before it enumerates it and refuses more than
:data:`MAX_INSTANCES` action instances (or initial-state instances), and a watchdog stops
a domain function that fills memory while it runs (:data:`BIND_MEMORY`, or the run's
memory limit), each with an error that names the action.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelcheck._watchdog import Watchdog, resident_memory, size
from modelcheck.errors import ModelcheckError, SpecRuntimeError, UsageError
from modelcheck.spec import (
    MAX_INSTANCES,
    Action,
    Constraint,
    Expect,
    Fairness,
    FairnessKind,
    Property,
    Spec,
)
from modelcheck.state import JSON, format_value, to_json

__all__ = ["BIND_MEMORY", "MAX_INSTANCES", "ActionTable", "BindStopped", "FairGroup", "Instance",
           "Model", "Successors", "bind", "bind_fairness", "choose"]

BIND_MEMORY = 2**30
"""Bytes of memory binding a model may add to the process before it is refused, when the
run sets no memory limit of its own."""


class BindStopped(ModelcheckError):
    """The run's memory limit was reached while the model was being bound."""

    exit_code = 3

ActionTable = tuple[tuple[int, Callable[..., Any], tuple[Any, ...]], ...]
"""``(instance index, function, arguments)`` for every action instance, in order. The
function returns the instance's successor, None, or (for a generator action) its
:class:`Successors`."""


class Successors(tuple[Any, ...]):
    """The successors a generator action yields from one state (never empty, no None), as
    the functions of an :data:`ActionTable` return them: a plain action's function returns
    its one successor itself, so the explorers test ``t.__class__ is Successors`` only on
    the successors they get, never on a disabled instance."""

    __slots__ = ()


def _gathered(action: Action) -> Callable[..., Any]:
    """``action``'s generator function as a table function: its :class:`Successors`, or
    None when it yields none."""
    fn = action.fn

    def gather(cfg: Any, state: Any, *args: Any) -> Successors | None:
        out = Successors(t for t in fn(cfg, state, *args) if t is not None)
        return out if out else None
    gather.__name__ = gather.__qualname__ = action.name
    return gather


@dataclass(frozen=True)
class Instance:
    """One action (or init) applied to one tuple of arguments."""

    index: int
    action: Action
    args: tuple[Any, ...]

    @property
    def name(self) -> str:
        """The action's name."""
        return self.action.name

    @property
    def kwargs(self) -> dict[str, Any]:
        """The arguments by parameter name."""
        return dict(zip(self.action.params, self.args))

    def args_json(self) -> dict[str, JSON]:
        """The arguments encoded as JSON, by parameter name."""
        return {k: to_json(v) for k, v in zip(self.action.params, self.args)}

    def label(self) -> str:
        """``name(a=1, b=2)`` as shown in traces and errors."""
        inner = ", ".join(f"{k}={format_value(to_json(v))}"
                          for k, v in zip(self.action.params, self.args))
        return f"{self.action.name}({inner})" if inner else self.action.name


@dataclass(frozen=True)
class FairGroup:
    """A fairness group in force, bound to the indices of its action instances."""

    name: str
    kind: FairnessKind
    instances: tuple[int, ...]
    per_instance: bool
    by: tuple[str, tuple[tuple[JSON, tuple[int, ...]], ...]] | None = None
    """For a group by a parameter: its name, and each of its values (as JSON) with the
    instances that take it, in order of first appearance."""

    @property
    def units(self) -> tuple[tuple[int, ...], ...]:
        """The instances of each fairness condition of the group: each instance alone
        (per instance), those of each value (by a parameter), or all of them."""
        if self.per_instance:
            return tuple((i,) for i in self.instances)
        if self.by is not None:
            return tuple(members for _, members in self.by[1])
        return (self.instances,)

    def unit_name(self, unit: int) -> str | None:
        """``node[self=1]``: the fairness condition ``unit`` of a group by a parameter
        (None for the others)."""
        if self.by is None:
            return None
        param, values = self.by
        return f"{self.name}[{param}={json.dumps(values[unit][0], ensure_ascii=False)}]"

    def describe(self) -> str:
        """``system (weak)``, ``deliver (strong, each instance)`` or ``node (weak, each
        self)``."""
        each = (", each instance" if self.per_instance
                else f", each {self.by[0]}" if self.by is not None else "")
        return f"{self.name} ({self.kind}{each})"


@dataclass(frozen=True)
class Model:
    """A spec, a variant name and a config, with actions enumerated into instances."""

    spec: Spec
    variant: str | None
    config: Any
    inits: tuple[Instance, ...]
    instances: tuple[Instance, ...]
    invariants: tuple[Property, ...]
    sometimes: tuple[Property, ...]
    action_properties: tuple[Property, ...]
    terminal: Callable[[Any, Any], bool] | None
    expect: Expect
    canonical: Callable[[Any], Any] | None = None
    """With symmetry reduction: maps a state to the representative of its orbit, the
    state the explorers fingerprint. None explores every state."""
    temporal: tuple[Property, ...] = ()
    """Temporal properties (eventually, leads-to, always-possible ..., and invariants
    conditioned on the initial state), checked on the complete state graph; empty when
    the run skips them."""
    fairness: tuple[FairGroup, ...] = ()
    """The fairness groups in force, bound to action instance indices."""
    initially: tuple[Property, ...] = ()
    """The initial-state predicates, checked on the initial states only."""
    skipped: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """The properties (and ``deadlock``) left out of the run, each with why
    (``--skip``, or ``not chosen by --property``)."""
    chosen: tuple[str, ...] | None = None
    """The properties (and ``deadlock``) the run was asked to check, when it was asked for
    some only (by :func:`bind`'s ``properties`` or ``skip``); None: every one."""
    constraints: tuple[Constraint, ...] = ()
    """The state constraints bounding the search: a state outside one is checked but
    neither stored as distinct nor expanded (see :meth:`Spec.constraint`)."""
    view: Callable[[Any], Any] | None = None
    """With the spec's view (see :meth:`Spec.view`): maps a state to its view."""

    @functools.cached_property
    def identify(self) -> Callable[[Any], Any] | None:
        """What the explorers fingerprint a state by: None for the state itself, else its
        orbit's representative (symmetry), its view, or (both) the view of the
        representative."""
        canonical, view = self.canonical, self.view
        if view is None or canonical is None:
            return view if view is not None else canonical
        return lambda s: view(canonical(s))

    @property
    def params(self) -> dict[str, JSON]:
        """Every config field and its value, as recorded in results and traces."""
        return {f.name: to_json(getattr(self.config, f.name))
                for f in dataclasses.fields(self.config)}

    @property
    def multi(self) -> bool:
        """Whether some action is a generator function (yields several successors)."""
        return any(a.multi for a in self.spec.actions)

    def table(self) -> ActionTable:
        """The flat ``(index, fn, args)`` tuple the explorers' hot loop iterates (a generator
        action's function returns :class:`Successors`)."""
        wrapped = {a.name: _gathered(a) for a in self.spec.actions if a.multi}
        return tuple((i.index, wrapped.get(i.name, i.action.fn) if i.action.multi
                      else i.action.fn, i.args) for i in self.instances)

    def initial_states(self, first: int = 0, stop: int | None = None) -> list[tuple[int, Any]]:
        """``(init index, state)`` for every initial state, in declaration order (of the
        init instances ``first`` to ``stop``, when given)."""
        out = []
        for inst in self.inits[first:stop]:
            try:
                s = inst.action.fn(self.config, *inst.args)
            except Exception as e:
                raise SpecRuntimeError(
                    f"init {inst.label()} raised {type(e).__name__}: {e}",
                    function=inst.name, step=0) from e
            if s is not None:
                out.append((inst.index, s))
        return out

    def apply(self, index: int, state: Any) -> Any:
        """Apply action instance ``index`` to ``state``; None when it is not enabled (for
        a generator action: its first successor)."""
        inst = self.instances[index]
        if inst.action.multi:
            return next(iter(self.successors(index, state)), None)
        return inst.action.fn(self.config, state, *inst.args)

    def successors(self, index: int, state: Any) -> tuple[Any, ...]:
        """Every successor action instance ``index`` gives from ``state``, in order."""
        inst = self.instances[index]
        if inst.action.multi:
            return tuple(t for t in inst.action.fn(self.config, state, *inst.args)
                         if t is not None)
        t = inst.action.fn(self.config, state, *inst.args)
        return () if t is None else (t,)

    def step_to(self, index: int, state: Any, wanted: Callable[[Any], bool]) -> Any:
        """The first successor of ``state`` by instance ``index`` that is ``wanted``, else
        its first successor (None when it is not enabled): how a path the search stored
        as actions alone is executed again."""
        inst = self.instances[index]
        if not inst.action.multi:
            return inst.action.fn(self.config, state, *inst.args)
        found = self.successors(index, state)
        return next((t for t in found if wanted(t)), found[0] if found else None)

    def choice(self, index: int, before: Any, after: Any) -> int | None:
        """Which successor of ``before`` by generator action instance ``index`` is
        ``after`` (its position among those yielded); None for a plain action, or when
        none equals it."""
        if not self.instances[index].action.multi:
            return None
        found = self.successors(index, before)
        return next((k for k, t in enumerate(found) if t == after), None)

    def find_instance(self, name: str, args: Mapping[str, JSON],
                      pool: Sequence[Instance] | None = None) -> Instance | None:
        """The instance of action ``name`` whose JSON-encoded arguments equal ``args``."""
        for inst in self.instances if pool is None else pool:
            if inst.name == name and inst.args_json() == dict(args):
                return inst
        return None


def bind(spec: Spec, variant: str | None = None,
         params: Mapping[str, Any] | None = None, *, symmetry: bool = False,
         fairness: Mapping[str, str | None] | None = None, temporal: bool = True,
         max_memory: int | None = None, properties: Collection[str] | None = None,
         skip: Collection[str] = (), view: bool = True) -> Model:
    """Bind ``spec`` to a configuration: the variant's params, then ``params`` over them.

    ``symmetry`` reduces the search to one state per orbit of the spec's symmetric sets.
    ``fairness`` overrides fairness groups by name (``"weak"``, ``"strong"``, or None to
    drop one); ``temporal=False`` leaves the temporal properties out of the model.
    ``properties`` names the only properties to check (None: all), ``skip`` those not to
    check; either may name ``deadlock``, the deadlock check (see :func:`choose`).
    ``view=False`` ignores the spec's view (see :meth:`Spec.view`).

    A model of more than :data:`MAX_INSTANCES` action (or initial-state) instances is a
    :class:`UsageError`, and so is binding that takes more than :data:`BIND_MEMORY` of
    memory; with ``max_memory`` (bytes of resident memory), going over it while binding
    raises :class:`BindStopped` instead.
    """
    spec.validate()
    skipped = choose(spec, properties, skip)
    cfg = spec.params_of(variant, params)
    doing = ["setting up the model"]
    ceiling = max_memory if max_memory is not None else resident_memory() + BIND_MEMORY

    def over() -> str | None:
        used = resident_memory()
        if used <= ceiling:
            return None
        if max_memory is not None:
            return (f"memory limit of {size(max_memory)} reached ({size(used)} resident) "
                    f"while {doing[0]}")
        return (f"{doing[0]} took more than {size(BIND_MEMORY)} of memory: the "
                "configuration makes the model absurdly large; lower its parameters "
                "(or raise --max-memory above the memory it needs)")

    dog = Watchdog()
    dog.add(over)
    try:
        with dog:
            canonical = None
            if symmetry:
                from modelcheck.symmetry import canonicalizer
                doing[0] = "preparing the symmetry reduction"
                canonical = canonicalizer(spec, cfg)
            inits = _enumerate(spec.inits, cfg, "init", doing)
            instances = _enumerate(spec.actions, cfg, "action", doing)
            doing[0] = "binding the fairness groups"
            props = [p for p in spec.properties if p.name not in skipped]
            groups: tuple[FairGroup, ...] = ()
            if fairness or (temporal and any(p.temporal for p in props)):
                groups = bind_fairness(spec, instances, fairness or {})
    except KeyboardInterrupt:
        if not dog.interrupted() or dog.reason is None:
            raise
        if max_memory is not None:
            raise BindStopped(dog.reason) from None
        raise UsageError(dog.reason) from None
    return Model(
        spec=spec, variant=variant, config=cfg, inits=inits, instances=instances,
        invariants=tuple(p for p in props if p.kind == "invariant" and p.when is None),
        sometimes=tuple(p for p in props if p.kind == "sometimes"),
        action_properties=tuple(p for p in props if p.kind == "action"),
        terminal=spec.terminal_fn, expect=spec.expectation(variant), canonical=canonical,
        temporal=tuple(p for p in props if p.temporal) if temporal else (),
        fairness=groups, constraints=tuple(spec.constraints),
        initially=tuple(p for p in props if p.kind == "initially"), skipped=skipped,
        chosen=None if properties is None and not skip else tuple(
            n for n in [*(p.name for p in spec.properties), "deadlock"] if n not in skipped),
        view=_viewer(spec.view_fn, cfg) if view and spec.view_fn is not None else None)


def choose(spec: Spec, properties: Collection[str] | None,
           skip: Collection[str]) -> dict[str, str]:
    """The properties of ``spec`` (and ``deadlock``) left out by choosing only
    ``properties`` (None: all) and skipping ``skip``, each with why; a name that is
    neither a property nor ``deadlock`` is a :class:`UsageError` listing them."""
    known = [p.name for p in spec.properties] + ["deadlock"]
    for option, names in (("--property", properties or ()), ("--skip", skip)):
        unknown = [n for n in names if n not in known]
        if unknown:
            raise UsageError(
                f"{option} {unknown[0]}: spec {spec.name!r} has no property {unknown[0]!r}; "
                f"its properties: {', '.join(known)}")
    out = {n: "--skip" for n in known if n in skip}
    if properties is not None:
        out.update({n: "not chosen by --property" for n in known if n not in properties})
    return out


def _viewer(fn: Callable[[Any, Any], Any], cfg: Any) -> Callable[[Any], Any]:
    """``fn(cfg, state)`` as a function of the state; what it raises becomes a
    :class:`SpecRuntimeError` naming it."""
    name = fn.__name__

    def view(state: Any) -> Any:
        try:
            return fn(cfg, state)
        except Exception as e:
            raise SpecRuntimeError(f"view {name} raised {type(e).__name__}: {e}",
                                   function=name) from e
    return view


def bind_fairness(spec: Spec, instances: Sequence[Instance],
                  overrides: Mapping[str, str | None]) -> tuple[FairGroup, ...]:
    """The spec's fairness groups with ``overrides`` applied, bound to ``instances``.

    An override names a group (or an action, which then becomes a group of its own with
    each instance fair) and gives ``"weak"``, ``"strong"`` or None to drop it.
    """
    declared: dict[str, Fairness] = {f.name: f for f in spec.fairness}
    kinds: dict[str, str | None] = {name: f.kind for name, f in declared.items()}
    actions = {a.name for a in spec.actions}
    for name, kind in overrides.items():
        if kind not in ("weak", "strong", None):
            raise UsageError(f"fairness of {name!r} must be weak, strong or none, got {kind!r}")
        if name not in declared:
            if name not in actions:
                groups = ", ".join(declared) or "none declared"
                raise UsageError(
                    f"spec {spec.name!r} has no fairness group or action {name!r}; fairness "
                    f"groups: {groups}; actions: {', '.join(sorted(actions))}")
            declared[name] = Fairness(name, "weak", (name,), per_instance=True)
        kinds[name] = kind
    out = []
    for name, group in declared.items():
        kind = kinds[name]
        if kind is None:
            continue
        chosen = [i for i in instances if i.action.name in group.actions]
        by = None
        if group.by is not None:
            values: dict[str, tuple[JSON, list[int]]] = {}
            for i in chosen:
                value = to_json(i.kwargs[group.by])
                key = json.dumps(value, sort_keys=True)
                values.setdefault(key, (value, []))[1].append(i.index)
            by = (group.by, tuple((v, tuple(m)) for v, m in values.values()))
        out.append(FairGroup(name, kind, tuple(i.index for i in chosen),  # type: ignore[arg-type]
                             group.per_instance, by))
    return tuple(out)


def _enumerate(actions: Sequence[Action], cfg: Any, kind: str,
               doing: list[str]) -> tuple[Instance, ...]:
    """Every instance of ``actions``, numbered in order; at most :data:`MAX_INSTANCES`."""
    out: list[Instance] = []
    for a in actions:
        doing[0] = f"enumerating the arguments of {kind} {a.name}"
        left = MAX_INSTANCES - len(out)
        try:
            combos = a.instances(cfg, limit=MAX_INSTANCES)
        except UsageError as e:
            if type(e) is UsageError and e.message.startswith(f"{a.name} has "):
                raise UsageError(f"{kind} {e.message}") from None  # say what it is
            raise
        if len(combos) > left:
            raise UsageError(
                f"the {kind}s have more than {MAX_INSTANCES:,} instances in all (with "
                f"{kind} {a.name}'s {len(combos):,}); the configuration makes their domains "
                "absurdly large; lower the parameters that size them")
        base = len(out)
        out += (Instance(base + i, a, args) for i, args in enumerate(combos))
    return tuple(out)
