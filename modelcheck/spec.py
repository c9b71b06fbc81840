"""The user's API: a :class:`Spec` collects a protocol's config, state, actions and properties.

A spec is checked as it is written: each decorator validates the function it receives
and raises :class:`~modelcheck.errors.SpecDefinitionError` naming the function and the fix,
so mistakes surface at import time rather than minutes into a search::

    spec = Spec("two-phase-commit", Config, State)

    @spec.init
    def init(cfg: Config) -> State: ...

    @spec.action(rm=lambda cfg: range(cfg.rms))
    def rm_prepare(cfg: Config, s: State, rm: int) -> State | None: ...

    @spec.always
    def consistent(cfg: Config, s: State) -> bool: ...

    spec.variant("tm-commits-early", params={"tm_commit_early": True},
                 violates="consistent", doc="...")
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, overload

from modelcheck.errors import SpecDefinitionError, UsageError
from modelcheck.params import parameters
from modelcheck.state import JSON

__all__ = [
    "TEMPORAL_KINDS",
    "Action",
    "Constraint",
    "Expect",
    "Fairness",
    "NetworkLayout",
    "Property",
    "Spec",
    "Specialised",
    "Variant",
]

F = TypeVar("F", bound=Callable[..., Any])
Domain = Callable[[Any], Iterable[Any]] | Iterable[Any]
Predicate = Callable[[Any, Any], bool]
PropertyKind = Literal["invariant", "initially", "sometimes", "action", "eventually",
                       "always_eventually", "leads_to", "always_possible"]
FairnessKind = Literal["weak", "strong"]

TEMPORAL_KINDS: frozenset[str] = frozenset(
    {"eventually", "always_eventually", "leads_to", "always_possible"})
"""Property kinds checked on the complete state graph after the search
(:mod:`modelcheck.explore.temporal`)."""

_PROPERTY_ROLES: dict[PropertyKind, tuple[str, str]] = {
    "invariant": ("@spec.always", "(cfg, state) -> bool"),
    "initially": ("@spec.initially", "(cfg, state) -> bool"),
    "sometimes": ("@spec.sometimes", "(cfg, state) -> bool"),
    "action": ("@spec.action_property", "(cfg, before, after) -> bool"),
    "eventually": ("@spec.eventually", "(cfg, state) -> bool"),
    "always_eventually": ("@spec.always_eventually", "(cfg, state) -> bool"),
    "leads_to": ("spec.leads_to", "(cfg, state) -> bool"),
    "always_possible": ("@spec.always_possible", "(cfg, state) -> bool"),
}
_FAIRNESS_KINDS = ("weak", "strong")

MAX_INSTANCES = 1_000_000
"""Most argument tuples of an action (or init) modelcheck enumerates, and most instances a
model may have in all (:mod:`modelcheck.model`). Every state is expanded by calling every
action instance, so a model near this bound is already impractical, and one beyond it is
a configuration mistake that enumerating would only turn into exhausted memory. (The
catalogue's largest model has a few hundred.)"""


@dataclass(frozen=True)
class Action:
    """An action (or init) of a spec: its function and the domains of its parameters.

    A domain that is a function takes the config, then, by name, any of the parameters
    declared before it (``j=lambda cfg, i: range(i + 1, cfg.n)``): ``depends`` names
    them, per parameter.
    """

    name: str
    fn: Callable[..., Any]
    params: tuple[str, ...]
    domains: Mapping[str, Domain]
    doc: str
    depends: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    multi: bool = False
    """Whether ``fn`` is a generator function: each state it yields (but None) is one
    successor, as each witness of TLA+'s ``\\E x \\in S : ...`` inside an action is."""

    def domain(self, param: str, cfg: Any, limit: int | None = MAX_INSTANCES,
               given: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """The values parameter ``param`` ranges over for the configuration ``cfg`` (and
        the earlier parameters ``given``, for a domain that depends on them).

        A domain of more than ``limit`` values is refused (a :class:`UsageError` naming
        the parameter and its size) without enumerating it; None enumerates any.
        """
        return _domain_values(self, param, cfg, limit, given)

    def instances(self, cfg: Any,
                  limit: int | None = MAX_INSTANCES) -> list[tuple[Any, ...]]:
        """Every argument tuple, in the parameters' order, for the configuration ``cfg``.

        More than ``limit`` argument tuples are refused (a :class:`UsageError` naming the
        action, its parameters and their sizes) before any is built.
        """
        if any(self.depends.values()):
            return self._dependent_instances(cfg, limit)
        domains = [self.domain(p, cfg, limit) for p in self.params]
        total = math.prod(len(d) for d in domains)
        if limit is not None and total > limit:
            sizes = ", ".join(f"{p}: {len(d):,}" for p, d in zip(self.params, domains))
            raise UsageError(
                f"{self.name} has {total:,} argument combinations ({sizes} values), and a "
                f"model may enumerate at most {limit:,}: the configuration makes its "
                "domains absurdly large; lower the parameters that size them")
        return list(itertools.product(*domains))

    def _dependent_instances(self, cfg: Any, limit: int | None) -> list[tuple[Any, ...]]:
        """:meth:`instances` when some domains depend on earlier parameters: each such
        domain is enumerated for every combination of the values before it."""
        fixed = {p: self.domain(p, cfg, limit) for p in self.params if not self.depends[p]}
        combos: list[tuple[Any, ...]] = [()]
        for k, p in enumerate(self.params):
            if self.depends[p]:
                combos = [c + (v,) for c in combos
                          for v in self.domain(p, cfg, limit, dict(zip(self.params, c)))]
            else:
                combos = [c + (v,) for c in combos for v in fixed[p]]
            if limit is not None and len(combos) > limit:
                raise UsageError(
                    f"{self.name} has more than {limit:,} argument combinations (of "
                    f"{', '.join(self.params[:k + 1])}), and a model may enumerate at most "
                    f"{limit:,}: the configuration makes its domains absurdly large; lower "
                    "the parameters that size them")
        return combos


@dataclass(frozen=True)
class Specialised:
    """One action instance's step as an action's ``specialise`` hook gives it.

    An action function may carry ``specialise(cfg, *args) -> Specialised``. The explorers'
    generated successor function then makes that instance's step as ``fn(cfg, state,
    *args)``, skipped (the instance is disabled) unless ``requires`` is None or its
    ``item`` is in the state's ``field``. It must behave exactly as ``action(cfg, state,
    *args)`` (see :mod:`modelcheck.explore._codegen`).
    """

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    requires: tuple[str, Any] | None = None
    """``(field, item)``: the step is disabled unless ``item in state.field``."""


@dataclass(frozen=True)
class Property:
    """A named property: an invariant, a reachability goal, an action property or a
    temporal property (``fn`` is its predicate; for ``leads_to``, ``fn`` is p and
    ``goal`` is q)."""

    name: str
    kind: PropertyKind
    fn: Callable[..., Any]
    doc: str
    goal: Callable[..., Any] | None = None
    when: Callable[..., Any] | None = None
    """A predicate ``(cfg, state) -> bool`` on the initial state: only the behaviours
    starting in a state that satisfies it must satisfy the property (``P ⇒ □Q``,
    ``P ⇒ ◇Q``); None: every behaviour must."""

    @property
    def temporal(self) -> bool:
        """Whether the property is checked on the complete state graph after the search:
        a temporal kind, or an invariant conditioned on the initial state."""
        return self.kind in TEMPORAL_KINDS or self.when is not None


@dataclass(frozen=True)
class Constraint:
    """A state constraint (TLA+'s ``CONSTRAINT``): ``fn(cfg, state) -> bool`` bounds the
    search to the states that satisfy it (see :meth:`Spec.constraint`)."""

    name: str
    fn: Callable[..., Any]
    doc: str


@dataclass(frozen=True)
class Fairness:
    """A fairness assumption over actions, as TLA+'s ``WF_vars(A)`` or ``SF_vars(A)``.

    ``kind`` is ``"weak"`` (an action continuously enabled is eventually taken) or
    ``"strong"`` (one enabled infinitely often is taken infinitely often). With
    ``per_instance`` every instance of ``actions`` (each argument tuple: each message,
    each server) is fair on its own; with ``by`` (the name of a parameter every action of
    the group has), the instances with the same value of that parameter are fair as one
    action, one fair group per value (TLA+'s ``\\A self \\in Procs : WF_vars(node(self))``);
    otherwise the group is fair as one action, the union of all their instances (TLA+'s
    ``WF_vars(A ∨ B)``).
    """

    name: str
    kind: FairnessKind
    actions: tuple[str, ...]
    per_instance: bool = False
    doc: str = ""
    by: str | None = None

    def describe(self) -> str:
        """``weak fairness of each instance of deliver`` as shown by ``modelcheck show``."""
        each = "each instance of " if self.per_instance else ""
        joined = " ∨ ".join(self.actions)
        per = f", for each value of {self.by}" if self.by is not None else ""
        return f"{self.kind} fairness of {each}{joined}{per}"


@dataclass(frozen=True)
class Expect:
    """The verdict a configuration must produce: ``ok``, or a violation of ``property``."""

    status: Literal["ok", "violation"] = "ok"
    property: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"status": ..., "property": ...}``."""
        return {"status": self.status, "property": self.property}

    def __str__(self) -> str:
        return "holds" if self.status == "ok" else f"violates {self.property}"


@dataclass(frozen=True)
class Variant:
    """A named configuration of a spec (usually a flawed one) and its expected verdict."""

    name: str
    params: Mapping[str, Any]
    expect: Expect
    doc: str


@dataclass(frozen=True)
class NetworkLayout:
    """Who exchanges a spec's messages in one configuration: what a sequence diagram draws.

    The :attr:`Spec.network_layout` hook returns it.
    """

    nodes: tuple[Any, ...]
    """The nodes, in order: the participants of the diagram."""
    field: str
    """The state field holding the messages in flight."""
    faults_field: str
    """The state field holding the fault state (the crashed nodes are its ``down``)."""
    routes: tuple[tuple[Any, Any, Any], ...]
    """``(message, sender, receiver)`` of every message that can be in flight, in order."""


@dataclass
class Spec:
    """A protocol specification: config type, state type, init, actions and properties.

    ``config`` is a frozen dataclass whose fields all have defaults (TLA+'s CONSTANTS),
    each annotated with the values it admits (``Literal[...]``, ``Annotated[int,
    Between(1, 9)]``, see modelcheck.params): the defaults must lie in those domains;
    ``state`` is the state type (a :class:`~modelcheck.Record` or a frozen dataclass).
    ``doc`` defaults to the docstring of the module that creates the spec. ``violates``
    names the property the default configuration must violate, for a spec that exists to
    show an impossibility (the Two Generals); by default it must hold.
    ``check_deadlock=False`` makes a state with no enabled action acceptable by default
    (TLC's ``CHECK_DEADLOCK FALSE``); ``--deadlock`` and ``--no-deadlock`` (``check(...,
    deadlock=...)``) override it for one run.

    **Hooks.** A library that builds actions on this API (modelcheck.network's ``Network``
    does) tells the engine what its actions mean through a few attributes, each meaning
    "nothing of the kind" by default: :attr:`fault_actions`, :attr:`faults_param`,
    :attr:`fault_budgets` and :attr:`supported_faults` (faults injected as actions),
    :attr:`format_step` (how a step reads), :attr:`network_layout` (how messages are
    drawn), :attr:`display` (how states read) and :attr:`step_node` (who takes a step).
    """

    name: str
    config: type
    state: type | None = None
    doc: str = ""
    violates: str | None = None
    check_deadlock: bool = True
    inits: list[Action] = field(default_factory=list, init=False, repr=False)
    actions: list[Action] = field(default_factory=list, init=False, repr=False)
    properties: list[Property] = field(default_factory=list, init=False, repr=False)
    fairness: list[Fairness] = field(default_factory=list, init=False, repr=False)
    terminal_fn: Callable[[Any, Any], bool] | None = field(default=None, init=False, repr=False)
    constraints: list[Constraint] = field(default_factory=list, init=False, repr=False)
    view_fn: Callable[[Any, Any], Any] | None = field(default=None, init=False, repr=False)
    """The view declared by :meth:`view`, or None: states are told apart in full."""
    variants: dict[str, Variant] = field(default_factory=dict, init=False, repr=False)
    accepted_mutants: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    """Mutant id -> why its surviving is no gap (see :meth:`accept_mutant`)."""
    module: str = field(default="", init=False, repr=False)

    # -- hooks ------------------------------------------------------------------------

    fault_actions: tuple[str, ...] = field(default=(), init=False, repr=False)
    """Names of the actions that inject faults: the shrinker tries dropping their steps
    first, random search caps them, and ``modelcheck show`` lists them apart."""
    faults_param: str | None = field(default=None, init=False, repr=False)
    """The config field ``--faults`` sets; None: the spec has no faults to inject."""
    fault_budgets: Callable[[Any], Mapping[str, int]] | None = field(
        default=None, init=False, repr=False)
    """``(cfg) -> {fault action: budget}``: how many steps of each fault action a
    behaviour may take in configuration ``cfg`` (a fault action not named is uncapped)."""
    supported_faults: Callable[[Any], Mapping[str, str | None]] | None = field(
        default=None, init=False, repr=False)
    """``(cfg) -> {fault: None, or why cfg cannot use it}``: the menu ``modelcheck show``
    lists."""
    format_step: Callable[[str, Mapping[str, JSON]], str | None] | None = field(
        default=None, init=False, repr=False)
    """``(action, args) -> label``: how a step (its arguments as JSON) reads in traces and
    messages, or None for the plain ``action(a=1)``."""
    network_layout: Callable[[Any], NetworkLayout] | None = field(
        default=None, init=False, repr=False)
    """``(cfg) -> NetworkLayout``: the nodes and message routes a sequence diagram of a
    trace draws; None: the spec's traces have no messages to draw."""
    display: Callable[[Any, Sequence[Any]], Sequence[Callable[[Any], Any]]] | None = field(
        default=None, init=False, repr=False)
    """``(cfg, states) -> views``: for each state of a trace, a function from that state, or
    a value a step takes from it (a message in flight), to what a reader should see; None:
    states are shown as they are. A spec that normalises its states (raft's relative
    terms) sets it so that traces show the values a reader expects; the search, trace files
    and replay keep the states as they are."""
    step_node: Callable[[Any, str, Mapping[str, JSON]], JSON] | None = field(
        default=None, init=False, repr=False)
    """``(cfg, action, args) -> node``: the node that takes a step (its arguments as JSON;
    a network's deliveries are taken by their receivers), or None for a step of no one
    node; counterexamples are ordered to switch between nodes less
    (:func:`modelcheck.shrink.fewer_switches`). None: a step's first argument is its node."""

    def __post_init__(self) -> None:
        caller = sys._getframe(2).f_globals if hasattr(sys, "_getframe") else {}
        self.module = caller.get("__name__", "")
        if not self.doc:
            self.doc = inspect.cleandoc(caller.get("__doc__") or "")
        if not self.name or not isinstance(self.name, str):
            raise SpecDefinitionError("Spec(name, ...): the name must be a non-empty string")
        if not (isinstance(self.config, type) and dataclasses.is_dataclass(self.config)):
            raise SpecDefinitionError(
                f"spec {self.name!r}: config must be a frozen dataclass class "
                f"(@dataclass(frozen=True) class Config: ...), got {self.config!r}")
        if not self.config.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            raise SpecDefinitionError(
                f"spec {self.name!r}: config {self.config.__name__} must be frozen; "
                "declare it with @dataclass(frozen=True)")
        missing = [f.name for f in dataclasses.fields(self.config)
                   if f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise SpecDefinitionError(
                f"spec {self.name!r}: config fields {missing} have no default; every "
                "parameter needs a default that checks in seconds")
        self._check_defaults()

    # -- decorators -------------------------------------------------------------------

    @overload
    def init(self, fn: F, /) -> F: ...
    @overload
    def init(self, /, **domains: Domain) -> Callable[[F], F]: ...

    def init(self, fn: F | None = None, /, **domains: Domain) -> F | Callable[[F], F]:
        """Declare the initial state(s): ``(cfg, **args) -> State | None``.

        With parameter domains, every combination of arguments gives an initial state
        (``None`` skips one), as a TLA+ ``Init`` with an existential does.
        """
        def register(f: F) -> F:
            self.inits.append(self._make_action(f, domains, fixed=("cfg",), role="@spec.init"))
            return f
        return register(fn) if fn is not None else register

    @overload
    def action(self, fn: F, /) -> F: ...
    @overload
    def action(self, /, *, name: str | None = None, fairness: FairnessKind | None = None,
               **domains: Domain) -> Callable[[F], F]: ...

    def action(self, fn: F | None = None, /, *, name: str | None = None,
               fairness: FairnessKind | None = None,
               **domains: Domain) -> F | Callable[[F], F]:
        """Declare an action ``(cfg, state, **args) -> State | None``; ``None`` = not enabled.

        An action may also be a generator function that yields its successors (TLA+'s
        ``\\E`` inside an action): each state yielded is one successor, one generated
        state; None yielded is skipped, and yielding nothing means not enabled. It must
        yield the same states in the same order each time it is called on a state.

        Each keyword names a parameter of the function and gives its finite domain: an
        iterable, or a function of the config returning one (``rm=lambda cfg:
        range(cfg.rms)``), which may also take, by name, parameters declared before it
        (``j=lambda cfg, i: range(i + 1, cfg.n)``). Domains are enumerated once per
        configuration, in order.
        ``fairness="weak"`` (or ``"strong"``) makes each instance of the action fair, a
        fairness group named after the action (see :meth:`fair`).
        """
        if fairness is not None:
            _check_fairness_kind(fairness, f"@spec.action(fairness={fairness!r})")

        def register(f: F) -> F:
            action = self._make_action(
                f, domains, fixed=("cfg", "state"), role="@spec.action", name=name)
            self.actions.append(action)
            if fairness is not None:
                self.fair(action.name, fairness, per_instance=True)
            return f
        return register(fn) if fn is not None else register

    def fair(self, name: str, kind: FairnessKind = "weak", *,
             actions: Iterable[str] | None = None, per_instance: bool = False,
             by: str | None = None, doc: str = "") -> Fairness:
        """Assume fairness of ``actions`` (names; by default the action called ``name``).

        ``kind`` is ``"weak"`` or ``"strong"``. The group is fair as one action (the union
        of every instance of ``actions``, TLA+'s ``WF_vars(A ∨ B)``), or with
        ``per_instance`` each instance on its own (every message is eventually delivered),
        or with ``by="self"`` one fair group per value of the actions' parameter ``self``:
        the union of the instances with that value (a process's steps, TLA+'s
        ``\\A self \\in Procs : WF_vars(node(self))``); every action of the group must
        have that parameter. ``name`` is what ``--fairness NAME=weak|strong|none``
        overrides. Liveness properties hold only of behaviours that satisfy every fairness
        group; without fairness a behaviour may stop (stutter) in any state, as in TLA+.
        """
        where = f"spec.fair({name!r})"
        if not name or not isinstance(name, str):
            raise SpecDefinitionError(f"{where}: the name must be a non-empty string")
        _check_fairness_kind(kind, where)
        names = (name,) if actions is None else tuple(actions)
        if not names or not all(isinstance(a, str) for a in names):
            raise SpecDefinitionError(
                f"{where}: actions must be a non-empty list of action names, got {actions!r}")
        if by is not None and (per_instance or not isinstance(by, str) or not by):
            raise SpecDefinitionError(
                f"{where}: by= names a parameter of the actions (by='self'), and goes "
                "without per_instance (which makes each instance fair on its own)")
        if any(f.name == name for f in self.fairness):
            raise SpecDefinitionError(
                f"spec {self.name!r}: fairness group {name!r} is declared twice (by "
                "spec.fair or @spec.action(fairness=...)); give each group a unique name")
        group = Fairness(name, kind, names, per_instance, inspect.cleandoc(doc), by)
        self._check_by(group, {a.name: a for a in self.actions})
        self.fairness.append(group)
        return group

    @overload
    def always(self, fn: F, /) -> F: ...
    @overload
    def always(self, /, *, when: Predicate) -> Callable[[F], F]: ...

    def always(self, fn: F | None = None, /, *,
               when: Predicate | None = None) -> F | Callable[[F], F]:
        """Declare an invariant ``(cfg, state) -> bool`` that must hold in every state.

        With ``when`` (a predicate ``(cfg, state) -> bool`` on the initial state), it must
        hold in every state of the behaviours that start in a state satisfying ``when``
        (``P ⇒ □Q``): it is then checked on the complete state graph after the search, as
        temporal properties are, and the counterexample is a shortest path from such an
        initial state.
        """
        return self._conditioned(fn, "invariant", when)

    def initially(self, fn: F, /) -> F:
        """Declare ``(cfg, state) -> bool`` that must hold in every initial state (TLA+'s
        ``Init ⇒ P``); a violation is a trace of the initial state alone. Initial states
        are judged by these before the invariants."""
        return self._add_property(fn, "initially")

    def sometimes(self, fn: F, /) -> F:
        """Declare ``(cfg, state) -> bool`` that some reachable state must satisfy.

        Guards against vacuous specs: an exhaustive search that never meets it reports a
        violation.
        """
        return self._add_property(fn, "sometimes")

    def action_property(self, fn: F, /) -> F:
        """Declare ``(cfg, before, after) -> bool`` that must hold for every transition."""
        return self._add_property(fn, "action")

    @overload
    def eventually(self, fn: F, /) -> F: ...
    @overload
    def eventually(self, /, *, when: Predicate) -> Callable[[F], F]: ...

    def eventually(self, fn: F | None = None, /, *,
                   when: Predicate | None = None) -> F | Callable[[F], F]:
        """Declare ``(cfg, state) -> bool`` that every fair behaviour eventually satisfies
        (TLA+'s ``<>p``), checked from each initial state (with ``when``, a predicate on
        the initial state: from each initial state satisfying it, ``P ⇒ ◇Q``)."""
        return self._conditioned(fn, "eventually", when)

    @overload
    def always_eventually(self, fn: F, /) -> F: ...
    @overload
    def always_eventually(self, /, *, when: Predicate) -> Callable[[F], F]: ...

    def always_eventually(self, fn: F | None = None, /, *,
                          when: Predicate | None = None) -> F | Callable[[F], F]:
        """Declare ``(cfg, state) -> bool`` that every fair behaviour satisfies again and
        again, forever (TLA+'s ``[]<>p``): no fair behaviour ends up avoiding it (with
        ``when``: no fair behaviour from an initial state satisfying it)."""
        return self._conditioned(fn, "always_eventually", when)

    def leads_to(self, p: Callable[..., Any], q: Callable[..., Any], /, *,
                 name: str | None = None, doc: str = "",
                 when: Predicate | None = None) -> Property:
        """Declare that every state satisfying ``p`` is followed, in every fair behaviour,
        by one satisfying ``q`` (TLA+'s ``p ~> q``). Both are ``(cfg, state) -> bool``;
        the property is named ``name``, by default ``{p}_leads_to_{q}``; with ``when`` (a
        predicate on the initial state) only the behaviours starting in a state that
        satisfies it must satisfy it."""
        for fn in (p, q):
            if not callable(fn):
                raise SpecDefinitionError(f"spec.leads_to(p, q): p and q must be predicates "
                                          f"(cfg, state) -> bool, got {fn!r}")
            _check_params(fn, ("cfg", "state"), "spec.leads_to", "(cfg, state) -> bool")
            _check_predicate_annotation(fn, "spec.leads_to", "(cfg, state) -> bool")
        pname = name or f"{p.__name__}_leads_to_{q.__name__}"
        taken = self._taken(pname)
        if taken:
            raise SpecDefinitionError(
                f"spec {self.name!r}: the name {pname!r} is already {taken}; pass "
                "spec.leads_to(p, q, name=...) a unique name")
        self._check_when(when, "spec.leads_to")
        prop = Property(pname, "leads_to", p, inspect.cleandoc(doc), goal=q, when=when)
        self.properties.append(prop)
        return prop

    def always_possible(self, fn: F, /) -> F:
        """Declare ``(cfg, state) -> bool`` that stays reachable: from every reachable
        state some path leads to a state satisfying it (CTL's ``AG EF p``). A violation is
        a state from which no sequence of actions can reach it, such as a blocked
        participant. Fairness plays no part."""
        return self._add_property(fn, "always_possible")

    def terminal(self, fn: F, /) -> F:
        """Declare ``(cfg, state) -> bool`` marking states where stopping is not a deadlock."""
        _check_params(fn, ("cfg", "state"), "@spec.terminal", "(cfg, state) -> bool")
        _check_predicate_annotation(fn, "@spec.terminal", "(cfg, state) -> bool")
        if self.terminal_fn is not None:
            raise SpecDefinitionError(
                f"spec {self.name!r}: @spec.terminal is declared twice ({self.terminal_fn.__name__}"
                f" and {fn.__name__}); combine them into one predicate")
        self.terminal_fn = fn
        return fn

    def constraint(self, fn: F, /) -> F:
        """Declare a state constraint ``(cfg, state) -> bool``, as TLC's ``CONSTRAINT``.

        A state that does not satisfy it is still generated, counted among the generated
        states and checked (the invariants, the ``sometimes`` goals and the action
        properties of the step into it), but it is not stored as a distinct state and its
        successors are not computed; a state whose successors all lie outside is not a
        deadlock. An initial state outside is checked but not explored. Several
        constraints bound the search by their conjunction. Like a depth bound, a
        constraint makes the search a bounded one: temporal properties are not checked.
        """
        _check_params(fn, ("cfg", "state"), "@spec.constraint", "(cfg, state) -> bool")
        _check_predicate_annotation(fn, "@spec.constraint", "(cfg, state) -> bool")
        taken = self._taken(fn.__name__)
        if taken:
            raise SpecDefinitionError(
                f"spec {self.name!r}: the name {fn.__name__!r} is already {taken}; names of "
                "inits, actions, properties and constraints must be unique")
        self.constraints.append(Constraint(fn.__name__, fn, inspect.getdoc(fn) or ""))
        return fn

    def view(self, fn: F, /) -> F:
        """Declare a view ``(cfg, state) -> value``, as TLA+'s ``VIEW``: what identifies a
        state. Two states with the same view are one state to the search: the first one
        reached is stored and explored, the others are not (auxiliary or history fields
        left out of the view then do not multiply the states). The value must be one a
        state could hold (a tuple, a record, numbers, strings, frozensets ...).

        Properties, deadlocks and traces are still checked on real states, but a view that
        leaves out something that matters for future behaviour makes the search miss
        states, and its verdict unsound. Temporal properties are not checked under a view
        (their graph would join states that differ).
        """
        _check_params(fn, ("cfg", "state"), "@spec.view", "(cfg, state) -> value")
        if self.view_fn is not None:
            raise SpecDefinitionError(
                f"spec {self.name!r}: @spec.view is declared twice ({self.view_fn.__name__} "
                f"and {fn.__name__}); combine them into one function")
        self.view_fn = fn
        return fn

    def accept_mutant(self, mutant: str, why: str) -> None:
        """Declare that mutant ``mutant`` (an id ``modelcheck mutate`` prints, such as
        ``tm_rcv_prepared:drop-guard:1``) may survive, and ``why``: its change is
        out of the model's scope, or no behaviour that matters differs. A mutant whose check
        times out (one that lifts a bound of the model, so that its states never end) may be
        accepted too.

        ``modelcheck mutate`` then reports it as ``accepted``, with the reason, and leaves it
        out of the score; a declaration whose mutant no longer exists or is now killed is
        reported as stale. Accept only what you can argue: each one is a bug the
        properties let through.
        """
        parts = mutant.split(":") if isinstance(mutant, str) else []
        if len(parts) != 3 or not all(parts) or not parts[2].isdigit():
            raise SpecDefinitionError(
                f"spec {self.name!r}: accept_mutant({mutant!r}, ...) needs a mutant id "
                "function:operator:number, as `modelcheck mutate` prints it")
        if not isinstance(why, str) or not why.strip():
            raise SpecDefinitionError(f"spec {self.name!r}: accept_mutant({mutant!r}, why) "
                                      "needs the reason the survivor is no gap")
        if mutant in self.accepted_mutants:
            raise SpecDefinitionError(f"spec {self.name!r}: mutant {mutant!r} is accepted "
                                      "twice")
        self.accepted_mutants[mutant] = inspect.cleandoc(why)

    def variant(self, name: str, *, params: Mapping[str, Any] | None = None,
                violates: str | None = None, doc: str = "") -> Variant:
        """Declare a named configuration and its expected verdict.

        ``params`` override config fields, and are checked against their domains here;
        ``violates`` names the property (or ``"deadlock"``) the variant must violate, or
        is None when it must hold.
        """
        params = dict(params or {})
        if name in self.variants:
            raise SpecDefinitionError(
                f"spec {self.name!r}: variant {name!r} is declared twice; give each a unique name")
        fields = {f.name for f in dataclasses.fields(self.config)}
        unknown = sorted(set(params) - fields)
        if unknown:
            raise SpecDefinitionError(
                f"spec {self.name!r}: variant {name!r} sets {unknown}, which are not fields of "
                f"{self.config.__name__}; valid names: {sorted(fields)}")
        try:
            self._config(params)
        except UsageError as e:
            raise SpecDefinitionError(f"spec {self.name!r}, variant {name!r}: {e}") from None
        expect = Expect("violation", violates) if violates else Expect()
        v = Variant(name, params, expect, inspect.cleandoc(doc))
        self.variants[name] = v
        return v

    # -- queries ----------------------------------------------------------------------

    def property(self, name: str) -> Property:
        """The property called ``name``."""
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(name)

    def params_of(self, variant: str | None = None,
                  params: Mapping[str, Any] | None = None) -> Any:
        """The config for a variant with ``params`` overriding it.

        Every value is checked against its field's declared domain (see modelcheck.params;
        text is parsed as on the command line) and then by the config's ``__post_init__``:
        a UsageError names the field, the value and the valid values.
        """
        overrides: dict[str, Any] = {}
        if variant is not None:
            if variant not in self.variants:
                valid = ", ".join(sorted(self.variants)) or "none"
                raise UsageError(
                    f"spec {self.name!r} has no variant {variant!r}; valid variants: {valid}")
            overrides.update(self.variants[variant].params)
        fields = {f.name: f for f in dataclasses.fields(self.config)}
        for key, value in (params or {}).items():
            if key not in fields:
                raise UsageError(
                    f"spec {self.name!r} has no parameter {key!r}; valid parameters: "
                    f"{', '.join(sorted(fields))}")
            overrides[key] = value
        try:
            return self._config(overrides)
        except UsageError as e:
            raise UsageError(f"spec {self.name!r}: {e}") from None

    def validate(self) -> None:
        """Check the spec as a whole: it has an init and an action, and variants are sound."""
        if not self.inits:
            raise SpecDefinitionError(
                f"spec {self.name!r} has no initial state; declare one with @spec.init")
        if not self.actions:
            raise SpecDefinitionError(
                f"spec {self.name!r} has no actions; declare them with @spec.action")
        actions = {a.name for a in self.actions}
        for group in self.fairness:
            unknown = [a for a in group.actions if a not in actions]
            if unknown:
                raise SpecDefinitionError(
                    f"spec {self.name!r}: fairness group {group.name!r} names {unknown}, "
                    f"which are not actions; actions: {sorted(actions)}")
            self._check_by(group, {a.name: a for a in self.actions})
        names = {p.name for p in self.properties} | {"deadlock"}
        if self.violates is not None and self.violates not in names:
            raise SpecDefinitionError(
                f"spec {self.name!r}: its default configuration expects a violation of "
                f"{self.violates!r} (Spec(..., violates=...)), which is not a property; "
                f"properties: {sorted(names)}")
        for v in self.variants.values():
            if v.expect.property is not None and v.expect.property not in names:
                raise SpecDefinitionError(
                    f"spec {self.name!r}: variant {v.name!r} expects a violation of "
                    f"{v.expect.property!r}, which is not a property; properties: "
                    f"{sorted(names)}")

    def expectation(self, variant: str | None = None) -> Expect:
        """The verdict the default configuration (or ``variant``) must produce."""
        if variant:
            return self.variants[variant].expect
        return Expect("violation", self.violates) if self.violates else Expect()

    # -- internals --------------------------------------------------------------------

    def _config(self, overrides: Mapping[str, Any]) -> Any:
        """The config with ``overrides``, each checked against its field's domain and
        then together by the config's ``__post_init__``: a UsageError otherwise."""
        table = parameters(self.config)
        values = {k: table[k].convert(v) for k, v in overrides.items()}
        try:
            return self.config(**values)
        except (TypeError, ValueError) as e:
            given = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise UsageError(f"{self.config.__name__}({given}) is refused: {e}") from None

    def _check_defaults(self) -> None:
        """Each default lies in its field's domain, and the defaults fit together."""
        try:
            table = parameters(self.config)
        except SpecDefinitionError as e:
            raise SpecDefinitionError(f"spec {self.name!r}: {e}") from None
        for p in table.values():
            try:
                value = p.convert(p.default)
            except UsageError as e:
                raise SpecDefinitionError(
                    f"spec {self.name!r}: the default of {self.config.__name__}.{p.name} is "
                    f"outside its domain: {e}") from None
            if isinstance(p.default, str) and not isinstance(value, str):
                raise SpecDefinitionError(
                    f"spec {self.name!r}: the default of {self.config.__name__}.{p.name} is "
                    f"the text {p.default!r}; write it as a {p.type_name}: {value!r}")
        try:
            self._config({})
        except UsageError as e:
            raise SpecDefinitionError(
                f"spec {self.name!r}: the default configuration is refused: {e}") from None

    def _check_by(self, group: Fairness, actions: Mapping[str, Action]) -> None:
        """Refuse a fairness group ``by`` a parameter that one of its (declared) actions
        does not have."""
        if group.by is None:
            return
        lacking = [a for a in group.actions if a in actions and group.by not in actions[a].params]
        if lacking:
            have = "; ".join(f"{a} has ({', '.join(actions[a].params)})" for a in lacking)
            raise SpecDefinitionError(
                f"spec {self.name!r}: fairness group {group.name!r} is by parameter "
                f"{group.by!r}, which {', '.join(lacking)} does not have ({have}); every "
                "action of a group by a parameter must take it")

    def _taken(self, name: str) -> str | None:
        for a in self.inits:
            if a.name == name:
                return "an init"
        for a in self.actions:
            if a.name == name:
                return "an action"
        for p in self.properties:
            if p.name == name:
                return f"a property ({p.kind})"
        for c in self.constraints:
            if c.name == name:
                return "a state constraint"
        return None

    def _make_action(self, fn: Callable[..., Any], domains: Mapping[str, Domain],
                     *, fixed: tuple[str, ...], role: str, name: str | None = None) -> Action:
        if not callable(fn):
            raise SpecDefinitionError(f"{role} must decorate a function, got {fn!r}")
        aname = name or fn.__name__
        where = f"{role} {aname}"
        sig = _signature(fn, where)
        params = list(sig.parameters.values())
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise SpecDefinitionError(
                    f"{where}: *args and **kwargs are not allowed; name each parameter and "
                    "give it a domain")
        if len(params) < len(fixed):
            raise SpecDefinitionError(
                f"{where} takes ({', '.join(p.name for p in params)}) but must start with "
                f"({', '.join(fixed)}); write def {aname}({', '.join(fixed)}, ...)")
        rest = tuple(p.name for p in params[len(fixed):])
        multi = inspect.isgeneratorfunction(fn)
        if multi and len(fixed) == 1:
            raise SpecDefinitionError(
                f"{where} is a generator function; an init returns one state: give it a "
                "parameter whose domain holds the choices instead (each value is an "
                "initial state)")
        undeclared = [p for p in rest if p not in domains]
        if undeclared:
            example = ", ".join(f"{p}=lambda cfg: range(...)" for p in undeclared)
            raise SpecDefinitionError(
                f"{where}: parameter(s) {undeclared} have no domain; declare them, e.g. "
                f"{role}({example})")
        unused = [d for d in domains if d not in rest]
        if unused:
            raise SpecDefinitionError(
                f"{where}: domains {unused} name no parameter of {aname}; its parameters "
                f"after ({', '.join(fixed)}) are {list(rest)}")
        depends = {p: _domain_depends(domains[p], p, rest[:k], where)
                   for k, p in enumerate(rest)}
        taken = self._taken(aname)
        if taken:
            raise SpecDefinitionError(
                f"spec {self.name!r}: the name {aname!r} is already {taken}; names of inits, "
                "actions and properties must be unique (rename the function or pass name=)")
        return Action(aname, fn, rest, {p: domains[p] for p in rest},
                      inspect.getdoc(fn) or "", depends, multi)

    def _conditioned(self, fn: F | None, kind: PropertyKind,
                     when: Predicate | None) -> F | Callable[[F], F]:
        """``@spec.<kind>`` or ``@spec.<kind>(when=...)``."""
        role = _PROPERTY_ROLES[kind][0]
        if fn is not None and when is not None:
            raise SpecDefinitionError(f"{role}(fn, when=...): write @{role[1:]}(when=...)")
        self._check_when(when, f"{role}(when=...)")
        if fn is not None:
            return self._add_property(fn, kind)
        return lambda f: self._add_property(f, kind, when)

    def _check_when(self, when: Predicate | None, role: str) -> None:
        if when is None:
            return
        if not callable(when):
            raise SpecDefinitionError(
                f"{role}: when must be a predicate (cfg, state) -> bool on the initial "
                f"state, got {when!r}")
        _check_params(when, ("cfg", "state"), role, "(cfg, state) -> bool")
        _check_predicate_annotation(when, role, "(cfg, state) -> bool")

    def _add_property(self, fn: F, kind: PropertyKind,
                      when: Predicate | None = None) -> F:
        role, shape = _PROPERTY_ROLES[kind]
        if not callable(fn):
            raise SpecDefinitionError(f"{role} must decorate a function, got {fn!r}")
        fixed = ("cfg", "before", "after") if kind == "action" else ("cfg", "state")
        _check_params(fn, fixed, role, shape)
        _check_predicate_annotation(fn, role, shape)
        taken = self._taken(fn.__name__)
        if taken:
            raise SpecDefinitionError(
                f"spec {self.name!r}: the name {fn.__name__!r} is already {taken}; names of "
                "inits, actions and properties must be unique")
        self.properties.append(Property(fn.__name__, kind, fn, inspect.getdoc(fn) or "",
                                        when=when))
        return fn


def _signature(fn: Callable[..., Any], where: str) -> inspect.Signature:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError) as e:  # pragma: no cover - builtins without signatures
        raise SpecDefinitionError(f"{where}: cannot read its signature ({e})") from e


def _check_params(fn: Callable[..., Any], fixed: tuple[str, ...], role: str, shape: str) -> None:
    params = list(_signature(fn, f"{role} {getattr(fn, '__name__', fn)}").parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != len(fixed) or len(params) != len(fixed):
        got = ", ".join(p.name for p in params)
        raise SpecDefinitionError(
            f"{role} {fn.__name__} takes ({got}), but a property is a predicate {shape}; "
            f"write def {fn.__name__}({', '.join(fixed)}) -> bool")


def _check_fairness_kind(kind: object, where: str) -> None:
    if kind not in _FAIRNESS_KINDS:
        raise SpecDefinitionError(
            f"{where}: fairness must be 'weak' or 'strong', got {kind!r}")


def _check_predicate_annotation(fn: Callable[..., Any], role: str, shape: str) -> None:
    ret = getattr(fn, "__annotations__", {}).get("return", inspect.Signature.empty)
    if ret in (inspect.Signature.empty, bool, "bool"):
        return
    raise SpecDefinitionError(
        f"{role} {fn.__name__} is annotated to return {ret!r}, but a property is a "
        f"predicate {shape}; return a bool")


def _domain_depends(dom: Domain, param: str, earlier: tuple[str, ...],
                    where: str) -> tuple[str, ...]:
    """The earlier parameters the domain of ``param`` reads: those its function takes
    after the config (none for an iterable); a wrong signature is refused."""
    if not callable(dom):
        return ()
    shape = (f"(cfg) or (cfg, <parameters declared before {param!r}>, by name), e.g. "
             f"{param}=lambda cfg: range(cfg.n)"
             + (f" or {param}=lambda cfg, {earlier[0]}: range({earlier[0]} + 1, cfg.n)"
                if earlier else ""))
    try:
        sig = inspect.signature(dom)
    except (TypeError, ValueError):
        return ()  # a builtin without a signature: called with the config alone
    params = list(sig.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params) \
            or not params or params[0].kind is inspect.Parameter.KEYWORD_ONLY:
        got = f"({', '.join(str(p) for p in params)})"
        raise SpecDefinitionError(
            f"{where}: the domain of parameter {param!r} takes {got}; a domain function "
            f"takes {shape}")
    names = tuple(p.name for p in params[1:])
    unknown = [n for n in names if n not in earlier]
    if unknown:
        before = ", ".join(earlier) or "none"
        raise SpecDefinitionError(
            f"{where}: the domain of parameter {param!r} takes {unknown}, but it may take "
            f"only parameters declared before {param!r} (here: {before}); a domain "
            f"function takes {shape}")
    return names


def _domain_values(action: Action, param: str, cfg: Any, limit: int | None = None,
                   given: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
    dom = action.domains[param]
    needs = action.depends.get(param, ())
    where = f"domain of parameter {param!r} of {action.name}"
    if needs and (given is None or any(n not in given for n in needs)):
        raise UsageError(f"the {where} depends on {list(needs)}: give their values")
    try:
        if needs:
            assert callable(dom) and given is not None
            values = dom(cfg, **{n: given[n] for n in needs})
        else:
            values = dom(cfg) if callable(dom) else dom
        if limit is not None:
            # Measured before it is enumerated: range(10**20) is cheap until iterated.
            _check_size(values, limit, where)
            if not isinstance(values, (set, frozenset)):
                values = tuple(itertools.islice(values, limit + 1))
                _check_size(values, limit, where, taken=True)
        if isinstance(values, (set, frozenset)):
            values = sorted(values)  # hash order would make enumeration nondeterministic
        out = tuple(values)
    except (SpecDefinitionError, UsageError):
        raise
    except Exception as e:
        raise SpecDefinitionError(
            f"the {where} raised {type(e).__name__}: {e}; it must return a finite iterable "
            "(a range or a sorted tuple)") from e
    return out


def _check_size(values: Any, limit: int, where: str, *, taken: bool = False) -> None:
    """Refuse a domain of more than ``limit`` values, when its size is known (``taken``:
    ``values`` are the first ``limit + 1`` of an iterable of unknown size)."""
    if not hasattr(values, "__len__"):
        return
    try:
        n = len(values)
    except OverflowError:  # len(range(10**20)) does not fit a C integer
        n = None
    if n is None or n > limit:
        count = (f"more than {limit:,} values" if taken else
                 f"{n:,} values" if n is not None else "more than 2**63 values")
        raise UsageError(
            f"the {where} has {count}, and a model may enumerate at most {limit:,}: the "
            "configuration makes it absurdly large; lower the parameter that sizes it")

