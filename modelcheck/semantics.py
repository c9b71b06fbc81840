"""What a violation is: one meaning for every search, replay, the shrinker, graph export,
the explorer page and the Hypothesis bridge.

**Predicates.** An invariant, a ``sometimes`` goal, the terminal predicate, an action
property and the predicates of a temporal property hold when they return ``True`` and
fail when they return ``False``. Any other value (``1``, ``None``, ``"yes"``, a numpy
bool) and any exception is a spec error, never a verdict: a
:class:`~modelcheck.errors.SpecRuntimeError` that names the function (``invariant
bounded``, ``terminal predicate done``) and the state, with the trace to it.

**Order.** Along a path each state is judged in one order: the action properties of the
step into it, then the invariants in declaration order, then the ``sometimes`` goals not
met yet. The first that does not return ``True`` decides: ``False`` is a violation,
anything else a spec error. A batch of states (a chunk of a breadth-first level) is judged
as if state by state, in order, though it is evaluated property by property for speed
(:func:`first_broken`).

**Deadlock.** A state deadlocks when no action is enabled in it, deadlock checks are on,
and the terminal predicate (when the spec declares one) returns ``False`` there; it is
asked only about states without a successor.

**State constraints.** A state outside a state constraint (one of them returns ``False``)
is judged as any other (the step into it, its invariants, the ``sometimes`` goals), and
counted as generated, but a search neither counts it as a distinct state nor expands it:
it is never a deadlock, and a state whose successors all lie outside is not one either,
as in TLC. :func:`within` decides it, the one place every explorer asks. A search bounded
only by state constraints explores the constrained model completely: it judges the
``sometimes`` goals (one never met is a violation), though not the temporal properties.

**Spec errors.** An action that raises is a spec error naming the action instance; a
state that is not hashable names the action or init that returned it, and its fields.
Actions must be functions of their state: the explorers re-execute a sample of their
expansions (:func:`rerun`), so an action that reads a global counter or a clock is a
:class:`~modelcheck.errors.NondeterminismError` even when no violation is found.

**Messages** of violations and spec errors are worded here, once.

**What was checked.** :func:`what_was_checked` lists, for any strategy's result, every
property with its kind and what the search made of it, the deadlock check and the
fairness in force.

The evaluators raise :class:`Misbehaved` (or return a :class:`Broken`) saying which
function failed how; each caller turns that into a spec error with the trace it knows
(a store index, a walk, a step of a replayed trace).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from modelcheck.errors import NondeterminismError, SpecRuntimeError
from modelcheck.fingerprint import fingerprint
from modelcheck.model import ActionTable, Instance, Model, Successors
from modelcheck.result import Check, Checked, Violation, ViolationKind
from modelcheck.spec import Constraint, Property
from modelcheck.state import field_items

if TYPE_CHECKING:
    from modelcheck.trace import Trace

__all__ = [
    "RECHECK_EVERY",
    "Broken",
    "Misbehaved",
    "NotABool",
    "PathViolation",
    "broken_initially",
    "broken_step",
    "conditioned_message",
    "constrained",
    "constraint_name",
    "deadlocked",
    "describe",
    "first_broken",
    "first_violation",
    "holds",
    "initial_states",
    "labels",
    "meet",
    "nondeterminism",
    "recheck_position",
    "rerun",
    "rerun_sample",
    "spec_error",
    "steps",
    "successors",
    "terminal_name",
    "unhashable",
    "violation",
    "violation_message",
    "what_was_checked",
    "where",
    "within",
]

RECHECK_EVERY = 256
"""One expansion in this many is executed again and compared (a depth-first search and
random walks); breadth-first searches re-execute one state of each chunk."""

_DEADLOCK_HINT = "declare @spec.terminal, or pass --no-deadlock"
_NONDETERMINISM_CAUSES = (
    "Usual causes: iterating a set or dict of strings (hash order changes between runs), "
    "or reading a clock, a random number or a global that changes")


# -- naming the user's functions ------------------------------------------------------------


_KIND_NAMES = {"invariant": "invariant", "initially": "initial-state predicate",
               "sometimes": "sometimes goal", "action": "action property"}


def describe(prop: Property, fn: Callable[..., Any] | None = None) -> str:
    """How errors name ``prop`` (``invariant bounded``); for a temporal property, which of
    its predicates ``fn`` is (``temporal property p_leads_to_q (p)``)."""
    if prop.temporal:
        return f"temporal property {prop.name} ({(fn or prop.fn).__name__})"
    return f"{_KIND_NAMES[prop.kind]} {prop.name}"


def terminal_name(fn: Callable[..., Any]) -> str:
    """How errors name the terminal predicate ``fn``."""
    return f"terminal predicate {fn.__name__}"


def constraint_name(constraint: Constraint) -> str:
    """How errors name a state constraint (``state constraint bounded``)."""
    return f"state constraint {constraint.name}"


def _action_name(inst: Instance) -> str:
    return f"action {inst.label()}"


def _init_name(inst: Instance) -> str:
    label = inst.label()
    return label if inst.name == "init" else f"init {label}"


def steps(n: int) -> str:
    """``1 step``, ``3 steps``."""
    return f"{n} step" if n == 1 else f"{n} steps"


def where(n: int) -> str:
    """Where a spec error happened: `` in the state reached after 3 steps``."""
    return f" in the state reached after {steps(n)}"


# -- misbehaviour ---------------------------------------------------------------------------


class NotABool(TypeError):
    """A predicate returned ``value``, which is neither True nor False."""

    def __init__(self, value: object) -> None:
        super().__init__(f"returned {value!r} ({type(value).__name__}), not a bool")
        self.value = value


class Misbehaved(Exception):
    """``function`` (as :func:`describe` names it) raised ``error``, or returned a non-bool
    (``error`` is a :class:`NotABool`); ``at`` is the position in a batch or along a path."""

    def __init__(self, function: str, error: BaseException, at: int = 0) -> None:
        super().__init__(f"{function}: {error}")
        self.function = function
        self.error = error
        self.at = at


def spec_error(function: str, error: BaseException, *, at: str = "",
               trace: Trace | None = None, step: int | None = None,
               cls: type[SpecRuntimeError] = SpecRuntimeError) -> SpecRuntimeError:
    """The spec error for ``function`` having raised ``error`` (or returned a non-bool),
    ``at`` the place it says (:func:`where`), with the trace to that state."""
    if isinstance(error, NotABool):
        value = error.value
        text = (f"{function} returned {value!r} ({type(value).__name__}){at}, not a bool: "
                "a predicate must return True or False")
    else:
        text = f"{function} raised {type(error).__name__}: {error}{at}"
    err = cls(text, function=function, step=step, trace=trace)
    if not isinstance(error, NotABool):
        err.__cause__ = error
    return err


def holds(function: str, fn: Callable[..., Any], *args: Any) -> bool:
    """Whether predicate ``fn`` holds on ``args``; :class:`Misbehaved` when it raises or
    returns anything but a bool."""
    try:
        ok = fn(*args)
    except Exception as e:
        raise Misbehaved(function, e) from e
    if ok is True:
        return True
    if ok is False:
        return False
    raise Misbehaved(function, NotABool(ok))


@dataclass(frozen=True)
class Broken:
    """The first state of a batch (at position ``at``) that ``prop`` does not accept:
    violated when ``error`` is None, otherwise a spec error."""

    at: int
    prop: Property
    error: BaseException | None = None

    @property
    def violated(self) -> bool:
        """Whether the property returned False (rather than misbehaving)."""
        return self.error is None

    @property
    def function(self) -> str:
        """The property, as errors name it."""
        return describe(self.prop)


# -- judging states and transitions ---------------------------------------------------------


def first_broken(invariants: Sequence[Property], cfg: Any,
                 states: Sequence[Any]) -> Broken | None:
    """The first state of ``states`` that some invariant does not accept, and the first
    such invariant in declaration order: exactly what judging state by state would find.

    This is the breadth-first search's hot path, run on every chunk of new states: it
    goes property by property, each over the states before the earliest one found so
    far, with no call per state beyond the predicate's own.
    """
    found: Broken | None = None
    limit = len(states)
    for prop in invariants:
        fn = prop.fn
        j = 0
        try:
            for j in range(limit):
                ok = fn(cfg, states[j])
                if ok is not True:
                    found = Broken(j, prop, None if ok is False else NotABool(ok))
                    limit = j
                    break
        except Exception as e:
            found = Broken(j, prop, e)
            limit = j
    return found


def meet(pending: Sequence[Property], cfg: Any, states: Sequence[Any],
         limit: int) -> tuple[list[Property], Broken | None]:
    """The ``sometimes`` goals of ``pending`` that one of ``states[:limit]`` meets, and the
    first state (and goal) on which a goal still pending misbehaves, if any.

    A goal is asked about states in order until one meets it, never after; ``limit`` is
    the first state an invariant rejected, where judging stops.
    """
    met: list[Property] = []
    broken: Broken | None = None
    for prop in pending:
        fn = prop.fn
        j = 0
        try:
            for j in range(limit):
                ok = fn(cfg, states[j])
                if ok is True:
                    met.append(prop)
                    break
                if ok is not False:
                    broken, limit = Broken(j, prop, NotABool(ok)), j
                    break
        except Exception as e:
            broken, limit = Broken(j, prop, e), j
    return met, broken


def labels(function: str, fn: Callable[..., Any], cfg: Any, states: Sequence[Any]
           ) -> list[bool]:
    """``fn`` on every state of ``states`` (the labels of a temporal property's predicate);
    :class:`Misbehaved` (``at`` the position) at the first state where it misbehaves."""
    try:
        values = [fn(cfg, s) for s in states]
    except Exception as e:
        for j, s in enumerate(states):  # find the state it raised on
            try:
                fn(cfg, s)
            except Exception as again:
                raise Misbehaved(function, again, j) from again
        raise Misbehaved(function, e, len(states) - 1) from e  # raised only once: at the end
    for j, v in enumerate(values):
        if v is not True and v is not False:
            raise Misbehaved(function, NotABool(v), j)
    return values


def broken_step(action_properties: Sequence[Property], cfg: Any, before: Any,
                after: Any) -> Broken | None:
    """The first action property that does not accept the step ``before`` → ``after``."""
    for prop in action_properties:
        try:
            ok = prop.fn(cfg, before, after)
        except Exception as e:
            return Broken(0, prop, e)
        if ok is not True:
            return Broken(0, prop, None if ok is False else NotABool(ok))
    return None


def successors(model: Model, state: Any, table: ActionTable | None = None
               ) -> list[tuple[int, Any]]:
    """``(instance, successor)`` for every action instance enabled in ``state``, in order;
    :class:`Misbehaved` naming the instance that raises."""
    cfg = model.config
    out: list[tuple[int, Any]] = []
    for aid, fn, args in model.table() if table is None else table:
        try:
            t = fn(cfg, state, *args)
        except Exception as e:
            raise Misbehaved(_action_name(model.instances[aid]), e, aid) from e
        if t is not None:
            if t.__class__ is Successors:
                out += ((aid, u) for u in t)
            else:
                out.append((aid, t))
    return out


def within(constraints: Sequence[Constraint], cfg: Any, states: Sequence[Any]) -> list[bool]:
    """Whether each of ``states`` satisfies every state constraint of ``constraints``
    (asked in declaration order, up to the first that rejects it); :class:`Misbehaved`
    (``at`` the position) at the first state where one misbehaves."""
    out = []
    for j, s in enumerate(states):
        inside = True
        for c in constraints:
            try:
                ok = c.fn(cfg, s)
            except Exception as e:
                raise Misbehaved(constraint_name(c), e, j) from e
            if ok is False:
                inside = False
                break
            if ok is not True:
                raise Misbehaved(constraint_name(c), NotABool(ok), j)
        out.append(inside)
    return out


def constrained(model: Model) -> str | None:
    """Why a search of ``model`` that ran out of states was bounded by its state
    constraints (None: it has none), as its result's ``stopped`` says."""
    names = [c.name for c in model.constraints]
    if not names:
        return None
    what = (f"the state constraint {names[0]}" if len(names) == 1
            else f"the state constraints {', '.join(names)}")
    note = ("; temporal properties were not checked, as they need the whole state graph"
            if model.temporal else "")
    return f"bounded by {what}{note}"


def deadlocked(model: Model, state: Any) -> bool:
    """Whether ``state``, in which no action is enabled, is a deadlock: it is unless the
    terminal predicate holds there (:class:`Misbehaved` when that misbehaves)."""
    terminal = model.terminal
    return terminal is None or not holds(terminal_name(terminal), terminal, model.config,
                                         state)


PathKind = Literal["initial", "invariant", "action", "deadlock"]


@dataclass(frozen=True)
class PathViolation:
    """The first violation along a path: its kind, the property, and the index of the
    state where it shows (for an action property, the state after the step)."""

    kind: PathKind
    property: str
    step: int


def first_violation(model: Model, states: Sequence[Any], *,
                    deadlock: bool) -> PathViolation | None:
    """The first violation along the path ``states`` (from an initial state), judged as a
    search would: the initial-state predicates on the first state, then each state's
    incoming step, then its invariants; a deadlock in the last
    state (inside the state constraints). :class:`Misbehaved` (``at`` the index of the
    state) when a predicate misbehaves on the way."""
    cfg = model.config
    b = first_broken(model.initially, cfg, states[:1])
    if b is not None:
        if b.error is not None:
            raise Misbehaved(b.function, b.error, 0)
        return PathViolation("initial", b.prop.name, 0)
    for i, s in enumerate(states):
        if i:
            b = broken_step(model.action_properties, cfg, states[i - 1], s)
            if b is not None:
                if b.error is not None:
                    raise Misbehaved(b.function, b.error, i - 1)
                return PathViolation("action", b.prop.name, i)
        b = first_broken(model.invariants, cfg, (s,))
        if b is not None:
            if b.error is not None:
                raise Misbehaved(b.function, b.error, i)
            return PathViolation("invariant", b.prop.name, i)
    last = len(states) - 1
    if deadlock and states:
        try:
            dead = (within(model.constraints, cfg, states[last:]) == [True]
                    and not successors(model, states[last]) and deadlocked(model, states[last]))
        except Misbehaved as m:
            raise Misbehaved(m.function, m.error, last) from m.error
        if dead:
            return PathViolation("deadlock", "deadlock", last)
    return None


# -- initial states and hashing -------------------------------------------------------------


def broken_initially(model: Model, inits: Sequence[tuple[int, Any]]
                     ) -> tuple[int, Any, Broken] | None:
    """The first of ``inits`` (``(init index, state)`` pairs) that an initial-state
    predicate does not accept: its init, the state and what broke; None when all hold."""
    if not model.initially:
        return None
    broken = first_broken(model.initially, model.config, [s for _, s in inits])
    if broken is None:
        return None
    init, state = inits[broken.at]
    return init, state, broken


def initial_states(model: Model, key: Callable[[Any], int] = fingerprint, first: int = 0,
                   stop: int | None = None) -> list[tuple[int, Any]]:
    """``(init index, state)`` for every initial state (of the init instances ``first``
    to ``stop``), each checked to be hashable (under ``key``, the fingerprint the search
    stores); a spec error names the init otherwise."""
    inits = model.initial_states(first, stop)
    for i, s in inits:
        try:
            key(s)
        except (TypeError, RecursionError) as e:
            raise unhashable(_init_name(model.inits[i]), s, e) from e
    return inits


def unhashable(function: str, state: Any, error: BaseException) -> SpecRuntimeError:
    """The spec error for ``function`` (an action or init, as named in errors) having
    returned ``state``, which cannot be fingerprinted (``error``): which fields hold
    what."""
    items = field_items(state)
    fields = [f for f, v in (items or ()) if not _fingerprintable(v)]
    detail = f"field(s) {fields} hold" if fields else "it holds"
    return SpecRuntimeError(
        f"{function} returned a state that is not hashable ({error}): {detail} a value a "
        "state cannot hold; use tuples, frozensets, records and frozen dataclasses instead "
        "of lists, dicts, sets and mutable objects", function=function)


def _fingerprintable(v: Any) -> bool:
    try:
        fingerprint(v)
    except (TypeError, RecursionError):
        return False
    return True


# -- nondeterminism -------------------------------------------------------------------------


def recheck_position(k: int, n: int) -> int:
    """Which of ``n`` states the ``k``-th sample re-executes: a fixed stride, so that
    successive chunks sample different positions, the same in every run."""
    return (k * 97) % n


def rerun_sample(model: Model, k: int, chunk: Sequence[Any], succs: Sequence[Any],
                 actions: Sequence[int], counts: Sequence[int],
                 table: ActionTable | None = None) -> tuple[int, int] | None:
    """Execute the ``k``-th sampled state of an expanded ``chunk`` again (its position
    from :func:`recheck_position`) and compare with what the expansion produced
    (``counts`` successors per state, in ``succs`` and ``actions``): the position of
    that state and the first instance whose outcome differs, or None."""
    i = recheck_position(k, len(chunk))
    start = sum(counts[:i])
    produced = list(zip(actions[start:start + counts[i]], succs[start:start + counts[i]]))
    action = rerun(model, chunk[i], produced, table)
    return None if action is None else (i, action)


def rerun(model: Model, state: Any, produced: Sequence[tuple[int, Any]],
          table: ActionTable | None = None) -> int | None:
    """Execute every action on ``state`` again and compare with what the search got
    (``produced``: ``(instance, successor)`` pairs in order); the first instance whose
    outcome differs (enabled or not, another successor, an exception), or None."""
    cfg = model.config
    got: dict[int, list[Any]] = {}
    for aid, t in produced:
        got.setdefault(aid, []).append(t)
    for aid, fn, args in model.table() if table is None else table:
        try:
            t = fn(cfg, state, *args)
        except Exception:
            return aid
        now = [] if t is None else list(t) if t.__class__ is Successors else [t]
        want = got.get(aid, [])
        if len(now) != len(want):
            return aid
        for t, w in zip(now, want):
            if t != w:
                try:
                    if fingerprint(t) != fingerprint(w):
                        return aid
                except (TypeError, RecursionError):
                    return aid
    return None


def nondeterminism(model: Model, action: int, at: str, *, trace: Trace | None = None,
                   step: int | None = None) -> NondeterminismError:
    """The error for action instance ``action`` giving another outcome when executed again
    ``at`` a state (:func:`where`)."""
    function = _action_name(model.instances[action])
    return NondeterminismError(
        f"{function} gives another result when it is executed again{at}: the spec is "
        f"nondeterministic. {_NONDETERMINISM_CAUSES}", function=function, step=step,
        trace=trace)


# -- messages -------------------------------------------------------------------------------


def violation_message(kind: ViolationKind, prop: str, length: int,
                      action: str | None = None, bounded: str | None = None) -> str:
    """How every search and replay words a violation of ``kind`` shown by a trace of
    ``length`` steps (``action``: the label of the last step, for an action property;
    ``bounded``: what bounded the search that concluded a ``sometimes`` goal, as
    :func:`constrained` says it)."""
    if kind == "invariant":
        return f"invariant {prop} is violated after {steps(length)}"
    if kind == "initial":
        return f"initial-state predicate {prop} is violated by an initial state"
    if kind == "action":
        return (f"action property {prop} is violated by step {length}"
                + (f" ({action})" if action is not None else ""))
    if kind == "deadlock":
        return (f"deadlock after {steps(length)}: no action is enabled and the state is not "
                f"terminal ({_DEADLOCK_HINT})")
    if kind == "sometimes":
        return (f"no reachable state satisfies {prop} (@spec.sometimes"
                + (f"; {bounded})" if bounded else ")"))
    raise ValueError(f"violation_message does not word {kind} violations")


def conditioned_message(prop: Property, length: int) -> str:
    """How a violation of invariant ``prop``, conditioned on the initial state (its
    ``when``), shown by a trace of ``length`` steps is worded."""
    when = prop.when.__name__ if prop.when is not None else "its condition"
    return (f"{violation_message('invariant', prop.name, length)}, from an initial state "
            f"satisfying {when}")


def violation(kind: ViolationKind, prop: str, trace: Trace | None, *,
              action: str | None = None, bounded: str | None = None) -> Violation:
    """The :class:`Violation` of ``prop``, worded by :func:`violation_message`."""
    length = trace.length if trace is not None else 0
    return Violation(prop, kind, trace, violation_message(kind, prop, length, action, bounded))


# -- what was checked -----------------------------------------------------------------------


_KIND_LABELS = {"invariant": "invariant", "initially": "initially", "sometimes": "sometimes",
                "action": "action property",
                "eventually": "eventually", "always_eventually": "always eventually",
                "leads_to": "leads to", "always_possible": "always possible"}


def what_was_checked(model: Model, *, strategy: str, status: str, exhaustive: bool,
                     stopped: str | None, violation: Violation | None,
                     error: SpecRuntimeError | None, deadlock: bool, unmet: Collection[str],
                     temporal_ran: bool, states: int, violations: Sequence[Violation] = (),
                     continued: bool = False, concluded: bool = False
                     ) -> tuple[Checked, tuple[str, ...]]:
    """Every property of ``model``'s spec with what the search made of it, the deadlock
    check and the fairness in force; and the warnings a user must not miss.

    ``unmet`` names the ``sometimes`` goals no state met; ``temporal_ran`` says whether the
    temporal properties were decided on the whole state graph (in declaration order, up
    to the first violated one); ``error`` is the spec error that ended the search;
    ``stopped`` why the search stopped or was bounded. ``violations`` lists every violation
    of a search that went on after the first (``violation`` is then the first of them);
    ``continued`` says it went on after each (no ``max_violations`` stopped it).
    ``concluded`` says the ``sometimes`` goals were judged on a search bounded only by the
    state constraints, which explored the constrained model completely: ``stopped`` then
    names the constraints, and a goal never met is ``not met`` within them.
    """
    bound = {p.name for p in model.temporal}
    failed = error.function if error is not None else None
    found = list(violations) or ([violation] if violation is not None else [])
    violated = {v.property for v in found}
    complete = exhaustive or (violation is not None and not violations and stopped is None
                              and violation.kind in ("sometimes", "liveness", "possibility"))
    # The breadth-first search says in ``stopped`` that temporal properties were not
    # checked; here each property says it.
    bound_by = (stopped or "").split("; temporal properties were not checked")[0]
    if status == "ok" or (status == "violation" and concluded and not violations):
        why = bound_by
    elif status == "violation":
        why = ("the search stopped at the first violation" if not violations else
               f"the search stopped: {bound_by}" if bound_by else
               f"the search stopped after {len(violations)} violations")
    elif status == "error":
        why = "the search ended with a spec error"
    else:
        why = f"the search stopped: {bound_by}"
    graph = f"it needs the whole state graph; {why}" if status in ("ok", "incomplete") else why
    out: list[Check] = []
    temporal_done = True  # no temporal property violated before this one
    for p in model.spec.properties:
        label = _KIND_LABELS[p.kind]
        mine = p.name in violated
        erred = failed is not None and failed in (describe(p), describe(p, p.goal))
        if p.name in model.skipped:
            out.append(Check(p.name, label, False, "skipped", model.skipped[p.name]))
        elif erred:
            out.append(Check(p.name, label, True, "error"))
        elif p.kind in ("invariant", "action", "initially") and p.when is None:
            if mine:
                out.append(Check(p.name, label, True, "violated"))
            elif complete and status in ("ok", "violation"):
                out.append(Check(p.name, label, True, "holds"))
            else:
                out.append(Check(p.name, label, True, "no violation found", why))
        elif p.kind == "sometimes":
            none = "no reachable state satisfies it" + (f"; {bound_by}" if concluded else "")
            if p.name not in unmet:
                out.append(Check(p.name, label, True, "met"))
            elif mine:
                out.append(Check(p.name, label, True, "violated", none))
            elif complete or concluded:
                out.append(Check(p.name, label, True, "not met", none))
            else:
                out.append(Check(p.name, label, True, "not concluded", why))
        elif p.name not in bound:
            if strategy == "random":
                out.append(Check(p.name, label, False, "not checked",
                                 "random walks cannot check temporal properties"))
            else:
                out.append(Check(p.name, label, False, "skipped", "--no-temporal"))
        elif temporal_ran and temporal_done:
            if mine:
                temporal_done = continued
                out.append(Check(p.name, label, True, "violated"))
            else:
                out.append(Check(p.name, label, True, "holds"))
        elif temporal_ran:
            out.append(Check(p.name, label, False, "not checked", why))
        else:
            out.append(Check(p.name, label, False, "not checked", graph))
    if "deadlock" in model.skipped:
        dead = Check("deadlock", "deadlock", False, "skipped", model.skipped["deadlock"])
    elif not deadlock:
        dead = Check("deadlock", "deadlock", False, "skipped",
                     "--no-deadlock" if model.spec.check_deadlock
                     else "check_deadlock=False")
    elif any(v.kind == "deadlock" for v in found):
        dead = Check("deadlock", "deadlock", True, "violated")
    elif model.terminal is not None and failed == terminal_name(model.terminal):
        dead = Check("deadlock", "deadlock", True, "error")
    elif complete and status in ("ok", "violation"):
        dead = Check("deadlock", "deadlock", True, "holds")
    else:
        dead = Check("deadlock", "deadlock", True, "no violation found", why)
    checked = Checked(tuple(out), dead, tuple(g.describe() for g in model.fairness),
                      tuple(c.name for c in model.constraints), model.chosen)
    warnings: list[str] = []
    if status == "ok" and checked.nothing_checked:
        if not model.spec.properties:
            why = "the spec declares none"
        elif all(p.name in model.skipped for p in model.spec.properties):
            why = "every one was left out by --property or --skip"
        elif any(c.outcome == "skipped" for c in out):
            why = "its temporal properties were skipped by --no-temporal"
        elif strategy == "random":
            why = "random walks cannot check its temporal properties"
        else:
            why = "a bound cut the search short before its temporal properties were checked"
        warnings.append(f"no property was checked: {why}"
                        + ("; only deadlocks were looked for" if deadlock else ""))
    if status == "ok" and states == 0:
        warnings.append("the model has no initial state: nothing was explored")
    return checked, tuple(warnings)
