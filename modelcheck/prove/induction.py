"""Inductive invariants: prove an invariant for every state, not only the reachable ones.

A spec that ships a *symbolic encoding* of its transitions (a :class:`SymbolicSpec`: its
variables, initial condition, actions as guards and updates, and invariant conjuncts as z3
formulas) can be proved safe for a given configuration by induction: the invariant holds
in every initial state (*initiation*), and every action taken from any state satisfying
it leads to a state satisfying it (*consecution*). Consecution quantifies over all
well-typed states, reachable or not, so an invariant that holds in every reachable state
may still fail it: the answer is then a *counterexample to induction*, a state
satisfying the invariant, an action, and the successor violating it. Such an invariant
needs strengthening with conjuncts that rule out the unreachable state; the proof with
the strengthened invariant implies the original.

An encoding is written like a spec::

    sym = SymbolicSpec("two-phase-commit", variables)

    @sym.init
    def init(cfg, s): return z3.And(...)

    @sym.action(rm=lambda cfg: range(cfg.rms))
    def rm_prepare(cfg, s, rm):
        return Update(s["rm_state", rm] == RM["working"], {("rm_state", rm): RM["prepared"]})

    @sym.invariant()
    def consistent(cfg, s): ...            # the spec's property

    @sym.strengthening
    def prepared_sent(cfg, s): ...         # a conjunct that makes it inductive

Variables not named in an update keep their value. Finite variables (:class:`Finite`) are
z3 integers constrained to their codes, so every state z3 considers is well typed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from modelcheck.errors import SpecDefinitionError, UsageError
from modelcheck.prove.proof import Claim, Proof, Stopwatch, unknown_reason
from modelcheck.render.text import diff, render_value
from modelcheck.state import JSON

__all__ = [
    "BOOL",
    "Finite",
    "SymState",
    "SymbolicAction",
    "SymbolicSpec",
    "Update",
    "evaluate",
    "prove_induction",
    "reachable",
    "step_allowed",
]

Key = str | tuple[Any, ...]
"""A variable: ``"tm_state"``, or ``("rm_state", 2)`` for ``rm_state[2]``."""


@dataclass(frozen=True)
class Finite:
    """A variable ranging over a few named values, coded as the integers ``0 .. k-1``."""

    values: tuple[str, ...]

    def __init__(self, *values: str) -> None:
        object.__setattr__(self, "values", values)

    def __getitem__(self, value: str) -> int:
        """The code of ``value``."""
        return self.values.index(value)


BOOL = "bool"
"""The sort of a Boolean variable."""

Sort = Finite | str

Predicate = Callable[[Any, "SymState"], Any]
"""``(cfg, s) -> z3 Bool``: an initial condition or an invariant conjunct."""


def _name(key: Key) -> str:
    if isinstance(key, str):
        return key
    head, *indices = key
    return str(head) + "".join(f"[{i}]" for i in indices)


class SymState:
    """A symbolic state: one z3 term per variable, looked up by name or ``(name, index)``."""

    def __init__(self, terms: Mapping[str, Any]) -> None:
        self.terms = dict(terms)

    def __getitem__(self, key: Key) -> Any:
        name = _name(key)
        try:
            return self.terms[name]
        except KeyError:
            raise SpecDefinitionError(
                f"symbolic encoding reads variable {name!r}, which its variables() does not "
                f"declare; declared: {', '.join(self.terms)}") from None


@dataclass(frozen=True)
class Update:
    """An action's effect: ``guard`` (when it is enabled) and the new values it assigns."""

    guard: Any
    changes: Mapping[Key, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SymbolicAction:
    """A symbolic action: its name, parameter domains and ``(cfg, s, **args) -> Update``."""

    name: str
    fn: Callable[..., Update]
    domains: Mapping[str, Callable[[Any], Iterable[Any]]]

    def instances(self, cfg: Any) -> list[dict[str, Any]]:
        """Every argument assignment, in the domains' order."""
        combos: list[dict[str, Any]] = [{}]
        for param, dom in self.domains.items():
            combos = [{**c, param: v} for c in combos for v in dom(cfg)]
        return combos


class SymbolicSpec:
    """A spec's transitions and invariant as z3 formulas over one configuration.

    ``variables(cfg)`` maps each variable name (``"rm_state[0]"``) to its sort:
    :data:`BOOL` or a :class:`Finite`.
    """

    def __init__(self, name: str, variables: Callable[[Any], Mapping[str, Sort]], *,
                 models: Sequence[str] | None = None) -> None:
        self.name = name
        self.variables = variables
        self.models = tuple(models) if models is not None else None
        """The config fields the encoding reads; None for all. Proving a configuration
        whose other fields differ from their defaults is refused: it would prove a
        protocol the encoding does not describe."""
        self.init_fn: Predicate | None = None
        self.actions: list[SymbolicAction] = []
        self.invariants: list[tuple[str, Predicate]] = []
        self.strengthenings: list[tuple[str, Predicate]] = []

    def init(self, fn: Predicate) -> Predicate:
        """Declare the initial condition ``(cfg, s) -> z3 Bool``."""
        self.init_fn = fn
        return fn

    def action(self, *, name: str | None = None, **domains: Callable[[Any], Iterable[Any]]
               ) -> Callable[[Callable[..., Update]], Callable[..., Update]]:
        """Declare an action ``(cfg, s, **args) -> Update`` with its parameters' domains.

        ``name`` (by default the function's) should be the spec's action name.
        """
        def register(fn: Callable[..., Update]) -> Callable[..., Update]:
            self.actions.append(SymbolicAction(name or fn.__name__, fn, dict(domains)))
            return fn
        return register

    def invariant(self, *, name: str | None = None) -> Callable[[Predicate], Predicate]:
        """Declare an invariant ``(cfg, s) -> z3 Bool``; ``name`` is the spec's property."""
        def register(fn: Predicate) -> Predicate:
            self.invariants.append((name or fn.__name__, fn))
            return fn
        return register

    def strengthening(self, fn: Predicate) -> Predicate:
        """Declare a conjunct that, with the invariants, makes an inductive invariant."""
        self.strengthenings.append((fn.__name__, fn))
        return fn

    def conjuncts(self, *, bare: bool = False) -> list[tuple[str, Predicate]]:
        """The invariants, followed (unless ``bare``) by the strengthening conjuncts."""
        return self.invariants + ([] if bare else self.strengthenings)


# -- building formulas ------------------------------------------------------------------


@dataclass
class _Vocabulary:
    sorts: dict[str, Sort]

    def state(self, suffix: str) -> SymState:
        return SymState({name: z3.Bool(name + suffix) if sort == BOOL else z3.Int(name + suffix)
                         for name, sort in self.sorts.items()})

    def well_typed(self, s: SymState) -> list[Any]:
        return [z3.And(s.terms[n] >= 0, s.terms[n] < len(sort.values))
                for n, sort in self.sorts.items() if isinstance(sort, Finite)]

    def constant(self, valuation: Mapping[str, Any]) -> SymState:
        """A state of constants, from Python values (bools, and names of finite values)."""
        terms = {}
        for name, sort in self.sorts.items():
            if name not in valuation:
                raise UsageError(f"the state gives no value for variable {name!r}")
            v = valuation[name]
            terms[name] = z3.BoolVal(bool(v)) if sort == BOOL else z3.IntVal(
                sort[v] if isinstance(sort, Finite) else int(v))
        return SymState(terms)

    def decode(self, model: Any, s: SymState) -> dict[str, JSON]:
        """The state as JSON: indexed variables grouped into (nested) arrays."""
        flat: dict[str, JSON] = {}
        for name, sort in self.sorts.items():
            v = model.eval(s.terms[name], model_completion=True)
            flat[name] = z3.is_true(v) if sort == BOOL else (
                sort.values[v.as_long()] if isinstance(sort, Finite) else v.as_long())
        return _group(flat)


_INDEXED = re.compile(r"^([^\[]+)((?:\[\d+\])*)$")


def _group(flat: Mapping[str, JSON]) -> dict[str, JSON]:
    out: dict[str, Any] = {}
    for name, value in flat.items():
        m = _INDEXED.match(name)
        head, tail = (m.group(1), m.group(2)) if m else (name, "")
        indices = [int(i) for i in re.findall(r"\[(\d+)\]", tail)]
        if not indices:
            out[head] = value
            continue
        node = out.setdefault(head, [])
        for k, i in enumerate(indices):
            while len(node) <= i:
                node.append([] if k < len(indices) - 1 else None)
            if k == len(indices) - 1:
                node[i] = value
            else:
                node = node[i]
    return out


def _transition(sym: SymbolicSpec, cfg: Any, action: SymbolicAction, args: Mapping[str, Any],
                s: SymState, t: SymState) -> Any:
    update = _call(sym, action.name, lambda: action.fn(cfg, s, **args))
    changed = {_name(k): v for k, v in update.changes.items()}
    for name in changed:
        s[name]  # an undeclared variable is reported by name
    frame = [t.terms[n] == changed.get(n, s.terms[n]) for n in s.terms]
    return z3.And(update.guard, *frame)


def _call(sym: SymbolicSpec, where: str, thunk: Callable[[], Any]) -> Any:
    try:
        return thunk()
    except (SpecDefinitionError, UsageError):
        raise
    except Exception as e:
        raise SpecDefinitionError(
            f"the symbolic encoding of {sym.name!r} raised {type(e).__name__} in {where}: {e}; "
            "it may no longer match the spec's Config") from e


def _label(action: SymbolicAction, args: Mapping[str, Any]) -> str:
    inner = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"{action.name}({inner})" if inner else action.name


# -- the proof ------------------------------------------------------------------------------


def prove_induction(sym: SymbolicSpec, cfg: Any, *, bare: bool = False,
                    params: Mapping[str, JSON] | None = None, timeout: float = 60.0) -> Proof:
    """Prove the invariant of ``sym`` inductive for the configuration ``cfg``.

    The invariant is the conjunction of the encoding's invariants and, unless ``bare``,
    its strengthening conjuncts. Claims: initiation, then consecution for each action
    (over all its argument instances); a refuted consecution carries a counterexample
    to induction, the least one in the order of the variables.
    """
    watch = Stopwatch()
    _check_modelled(sym, cfg)
    if sym.init_fn is None:
        raise SpecDefinitionError(f"symbolic encoding {sym.name!r} declares no @init")
    init_fn = sym.init_fn
    vocab = _Vocabulary(dict(_call(sym, "variables", lambda: sym.variables(cfg))))
    s, t = vocab.state(""), vocab.state("'")
    conjuncts = sym.conjuncts(bare=bare)
    inv_s = [(n, _call(sym, n, lambda f=f: f(cfg, s))) for n, f in conjuncts]  # type: ignore[misc]
    inv_t = [(n, _call(sym, n, lambda f=f: f(cfg, t))) for n, f in conjuncts]  # type: ignore[misc]
    names = ", ".join(n for n, _ in conjuncts)
    claims: list[Claim] = []

    init = _call(sym, "init", lambda: init_fn(cfg, s))
    claims.append(_check(
        "initiation", f"every initial state satisfies {names}",
        [*vocab.well_typed(s), init, z3.Not(z3.And([f for _, f in inv_s]))],
        timeout, lambda m: _initiation_cex(vocab, m, s, inv_s), vocab, s))
    for action in sym.actions:
        claims.append(_consecution(sym, cfg, vocab, action, s, t, inv_s, inv_t, names, timeout))
    subject = f"inductive invariant of {sym.name}"
    shown: dict[str, JSON] = dict(params or {})
    shown["invariant"] = "bare" if bare else "strengthened"
    notes = (f"invariant: {' ∧ '.join(n for n, _ in conjuncts)}",)
    return Proof("induction", subject, shown, tuple(claims), watch(), notes=notes)


def _check_modelled(sym: SymbolicSpec, cfg: Any) -> None:
    if sym.models is None or not dataclasses.is_dataclass(cfg):
        return
    for f in dataclasses.fields(cfg):
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        if f.name not in sym.models and getattr(cfg, f.name) != default:
            raise UsageError(
                f"the symbolic encoding of {sym.name!r} models only "
                f"{', '.join(sym.models)}; {f.name}={getattr(cfg, f.name)!r} is not its "
                "default, and a proof would be about a protocol the encoding does not "
                "describe. Check that configuration with `modelcheck verify`")


def _consecution(sym: SymbolicSpec, cfg: Any, vocab: _Vocabulary, action: SymbolicAction,
                 s: SymState, t: SymState, inv_s: list[tuple[str, Any]],
                 inv_t: list[tuple[str, Any]], names: str, timeout: float) -> Claim:
    watch = Stopwatch()
    statement = f"every {action.name} step preserves the invariant"
    for args in action.instances(cfg):
        step = _transition(sym, cfg, action, args, s, t)
        claim = _check(
            f"consecution:{action.name}", statement,
            [*vocab.well_typed(s), *[f for _, f in inv_s], step,
             z3.Not(z3.And([f for _, f in inv_t]))],
            timeout, lambda m, a=args: _cti(vocab, m, s, t, inv_t, action, a),  # type: ignore[misc]
            vocab, s)
        if claim.status != "proved":
            return Claim(claim.name, claim.statement, claim.status, watch(),
                         counterexample=claim.counterexample, explanation=claim.explanation,
                         reason=claim.reason)
    return Claim(f"consecution:{action.name}", statement, "proved", watch())


def _check(name: str, statement: str, constraints: list[Any], timeout: float,
           explain: Callable[[Any], tuple[dict[str, JSON], tuple[str, ...]]],
           vocab: _Vocabulary, s: SymState) -> Claim:
    watch = Stopwatch()
    solver = z3.Solver()
    solver.set("timeout", max(int(timeout * 1000), 1))
    solver.add(constraints)
    answer = solver.check()
    if answer == z3.unsat:
        return Claim(name, statement, "proved", watch())
    if answer != z3.sat:
        return Claim(name, statement, "unknown", watch(), reason=unknown_reason(solver))
    # The least counterexample in the order of the variables (false before true, finite
    # values in their declared order), so the answer does not depend on z3's search.
    opt = z3.Optimize()
    opt.set("timeout", max(int(timeout * 1000), 1))
    opt.add(constraints)
    for term in s.terms.values():
        opt.minimize(z3.If(term, 1, 0) if z3.is_bool(term) else term)
    model = opt.model() if opt.check() == z3.sat else solver.model()
    cex, lines = explain(model)
    return Claim(name, statement, "refuted", watch(), counterexample=cex, explanation=lines)


def _violated(model: Any, inv: list[tuple[str, Any]]) -> list[str]:
    return [n for n, f in inv if not z3.is_true(model.eval(f, model_completion=True))]


def _state_lines(state: dict[str, JSON], indent: str = "  ") -> list[str]:
    return [f"{indent}{k}: {render_value(v)}" for k, v in state.items()]


def _initiation_cex(vocab: _Vocabulary, model: Any, s: SymState,
                    inv_s: list[tuple[str, Any]]) -> tuple[dict[str, JSON], tuple[str, ...]]:
    state = vocab.decode(model, s)
    broken = _violated(model, inv_s)
    lines = [f"an initial state violates {', '.join(broken)}:", *_state_lines(state)]
    return {"state": state, "violated": list(broken)}, tuple(lines)


def _cti(vocab: _Vocabulary, model: Any, s: SymState, t: SymState,
         inv_t: list[tuple[str, Any]], action: SymbolicAction,
         args: Mapping[str, Any]) -> tuple[dict[str, JSON], tuple[str, ...]]:
    before, after = vocab.decode(model, s), vocab.decode(model, t)
    broken = _violated(model, inv_t)
    label = _label(action, args)
    lines = ["counterexample to induction: a state satisfying the invariant,",
             *_state_lines(before),
             f"takes {label} to a state violating {', '.join(broken)}:"]
    changes = diff(before, after)
    for path, kind, old, new in changes:
        lines.append(f"  {path}: {render_value(old)} → {render_value(new)}" if kind == "changed"
                     else f"  {path} {'+' if kind == 'added' else '−'} "
                          f"{render_value(new if kind == 'added' else old)}")
    cex: dict[str, JSON] = {"before": before, "action": action.name,
                            "args": {k: v for k, v in args.items()},
                            "after": after, "violated": list(broken)}
    return cex, tuple(lines)


# -- agreement with explicit states --------------------------------------------------------


def evaluate(sym: SymbolicSpec, cfg: Any, valuation: Mapping[str, Any], *,
             bare: bool = False) -> dict[str, bool]:
    """Each invariant conjunct's truth in one concrete state.

    ``valuation`` gives every variable a Python value: a bool, or the name of a finite
    value. This is how an explicit search's states are checked against the encoding.
    """
    vocab = _Vocabulary(dict(sym.variables(cfg)))
    s = vocab.constant(valuation)
    return {n: z3.is_true(z3.simplify(f(cfg, s))) for n, f in sym.conjuncts(bare=bare)}


def step_allowed(sym: SymbolicSpec, cfg: Any, action: str, args: Mapping[str, Any],
                 before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether the encoding's ``action(**args)`` relates two concrete states.

    An explicit trace replayed through this, step by step, shows that the encoding
    allows what the spec does.
    """
    vocab = _Vocabulary(dict(sym.variables(cfg)))
    for a in sym.actions:
        if a.name == action:
            formula = _transition(sym, cfg, a, args, vocab.constant(before),
                                  vocab.constant(after))
            return bool(z3.is_true(z3.simplify(formula)))
    raise UsageError(f"symbolic encoding {sym.name!r} has no action {action!r}")


def reachable(sym: SymbolicSpec, cfg: Any, *, limit: int = 100_000) -> list[dict[str, Any]]:
    """Every state reachable in the encoding, found by explicit breadth-first search.

    The tiny explicit checker that cross-checks a proof on the same transitions: each
    reachable state must satisfy an invariant proved inductive. Initial states are the
    models of the initial condition; successors evaluate each action's guard and updates
    on concrete values. States are valuations (see :func:`evaluate`). ``limit`` bounds
    the states, for encodings meant only for proofs.
    """
    if sym.init_fn is None:
        raise SpecDefinitionError(f"symbolic encoding {sym.name!r} declares no @init")
    vocab = _Vocabulary(dict(sym.variables(cfg)))
    s = vocab.state("")
    solver = z3.Solver()
    solver.add(*vocab.well_typed(s), sym.init_fn(cfg, s))
    frontier: list[dict[str, Any]] = []
    while solver.check() == z3.sat and len(frontier) < limit:
        model = solver.model()
        frontier.append(_flat(vocab, model, s))
        solver.add(z3.Or([t != model.eval(t, model_completion=True) for t in s.terms.values()]))
    instances = [(a, args) for a in sym.actions for args in a.instances(cfg)]
    seen = {_key(v) for v in frontier}
    found = list(frontier)
    while frontier and len(found) < limit:
        nxt: list[dict[str, Any]] = []
        for valuation in frontier:
            state = vocab.constant(valuation)
            for action, args in instances:
                update = action.fn(cfg, state, **args)
                if not z3.is_true(z3.simplify(update.guard)):
                    continue
                succ = dict(valuation)
                for key, value in update.changes.items():
                    name = _name(key)
                    term = z3.simplify(value if z3.is_expr(value) else (
                        z3.BoolVal(value) if isinstance(value, bool) else z3.IntVal(value)))
                    succ[name] = _python(vocab.sorts[name], term)
                k = _key(succ)
                if k not in seen:
                    seen.add(k)
                    nxt.append(succ)
                    found.append(succ)
        frontier = nxt
    return found


def _python(sort: Sort, term: Any) -> Any:
    if sort == BOOL:
        return z3.is_true(term)
    value = term.as_long()
    return sort.values[value] if isinstance(sort, Finite) else value


def _flat(vocab: _Vocabulary, model: Any, s: SymState) -> dict[str, Any]:
    return {n: _python(sort, model.eval(s.terms[n], model_completion=True))
            for n, sort in vocab.sorts.items()}


def _key(valuation: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted(valuation.items()))
