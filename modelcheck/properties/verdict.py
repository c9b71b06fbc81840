"""What a replayed trace shows: which property it violates, and at which step.

A saved counterexample is a regression test only if replaying it says whether the
violation is still there. :func:`judge` evaluates the model's properties along the states
of a trace that replayed: invariants in every state, action properties on every
transition, a deadlock in the last state, liveness on the lasso (under the model's
fairness: an unfair lasso is no counterexample) and always-possible from the last state.
It reports the first violation, the one a search would have stopped at, judged and worded
as every search judges and words it (:mod:`modelcheck.semantics`): a predicate that raises
or returns anything but a bool on the way is a spec error, not a verdict.
"""

from __future__ import annotations

import builtins
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from modelcheck import semantics
from modelcheck.errors import SpecRuntimeError
from modelcheck.model import Model
from modelcheck.spec import Property
from modelcheck.trace import Trace

__all__ = ["Verdict", "judge"]


@dataclass(frozen=True)
class Verdict:
    """The property a trace violates (None: it violates none), its kind and the step."""

    property: str | None
    kind: str | None
    step: int | None
    message: str

    @builtins.property  # the field ``property`` shadows the builtin in the class body
    def violated(self) -> bool:
        """Whether the trace shows a violation."""
        return self.property is not None


def judge(model: Model, trace: Trace, states: Sequence[Any], *,
          deadlock: bool | None = None) -> Verdict:
    """The first violation the replayed ``trace`` (whose states are ``states``) shows;
    ``deadlock`` (None: as the spec says) makes a last state with no enabled action one.

    Raises :class:`SpecRuntimeError` when a predicate or an action misbehaves on the way,
    naming it and the step.
    """
    if deadlock is None:
        deadlock = model.spec.check_deadlock
    try:
        found = semantics.first_violation(model, states, deadlock=deadlock and
                                          trace.loop_start is None)
    except semantics.Misbehaved as m:
        raise _error(m, trace, m.at) from m.error
    if found is not None:
        label = trace.steps[found.step].label(model.spec) if found.kind == "action" else None
        return Verdict(found.property, found.kind, found.step,
                       semantics.violation_message(found.kind, found.property, found.step,
                                                   label))
    for p in model.temporal:
        if p.kind == "invariant" and _starts_in(model, trace, p, states):
            broken = next((i for i, s in enumerate(states)
                           if not _holds(model, trace, i, p, p.fn, s)), None)
            if broken is not None:
                return Verdict(p.name, "invariant", broken,
                               semantics.conditioned_message(p, broken))
    if trace.loop_start is None:
        last = len(states) - 1
        for p in model.temporal:
            if p.kind == "always_possible" and not _possible(model, trace, p, states[last],
                                                             last):
                return Verdict(p.name, "possibility", last,
                               f"always-possible {p.name} is violated: from step {last} no "
                               "state where it holds can be reached")
        return Verdict(None, None, None, "the trace violates no property")
    return _judge_lasso(model, trace, states, trace.loop_start)


def _error(m: semantics.Misbehaved, trace: Trace, at: int) -> SpecRuntimeError:
    """The spec error of ``m`` in the state of step ``at`` of ``trace``."""
    return semantics.spec_error(m.function, m.error, at=semantics.where(at),
                                trace=_prefix(trace, at), step=at)


def _prefix(trace: Trace, at: int) -> Trace:
    return Trace(trace.spec, trace.variant, trace.params, trace.steps[:at + 1], None,
                 trace.states[:at + 1] if trace.states is not None else None)


def _starts_in(model: Model, trace: Trace, p: Property, states: Sequence[Any]) -> bool:
    """Whether the behaviour starts in a state where ``p`` must hold: every state, or one
    satisfying ``p``'s ``when``."""
    return p.when is None or _holds(model, trace, 0, p, p.when, states[0])


def _holds(model: Model, trace: Trace, at: int, p: Property, fn: Callable[..., Any],
           s: Any) -> bool:
    try:
        return semantics.holds(semantics.describe(p, fn), fn, model.config, s)
    except semantics.Misbehaved as m:
        raise _error(m, trace, at) from m.error


def _successors(model: Model, trace: Trace, at: int, s: Any) -> list[tuple[int, Any]]:
    try:
        return semantics.successors(model, s)
    except semantics.Misbehaved as m:
        raise _error(m, trace, at) from m.error


def _possible(model: Model, trace: Trace, p: Property, start: Any, at: int) -> bool:
    """Whether a state satisfying ``p`` is reachable from ``start``, the state of step
    ``at`` (a breadth-first search over the states reachable from it, which the model
    bounds)."""
    seen = {start}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        if _holds(model, trace, at, p, p.fn, s):
            return True
        for _, t in _successors(model, trace, at, s):
            if t not in seen:
                seen.add(t)
                queue.append(t)
    return False


def _judge_lasso(model: Model, trace: Trace, states: Sequence[Any], start: int) -> Verdict:
    last = len(states) - 1
    if start == last:
        cycle, taken = [last], set()  # the behaviour stutters in the last state forever
    elif states[last] == states[start]:
        cycle = list(range(start, last))
        taken = {_instance(model, trace, i) for i in range(start + 1, last + 1)
                 if states[i] != states[i - 1]}
    else:
        return Verdict(None, None, None,
                       f"the trace's loop does not close: step {last} does not return to "
                       f"the state of step {start}")
    unfair = _unfair_group(model, trace, [(i, states[i]) for i in cycle], taken)
    if unfair is not None:
        return Verdict(None, None, None,
                       f"the loop from step {start} is not a fair behaviour: {unfair}")
    for p in model.temporal:
        def at(i: int, fn: Callable[..., Any] = p.fn, p: Property = p) -> bool:
            return _holds(model, trace, i, p, fn, states[i])
        if not _starts_in(model, trace, p, states):
            continue
        if p.kind == "eventually":
            violated = not any(at(i) for i in range(last + 1))
        elif p.kind == "always_eventually":
            violated = not any(at(i) for i in cycle)
        elif p.kind == "leads_to" and p.goal is not None:
            goal = [at(i, p.goal) for i in range(last + 1)]
            forever = any(goal[i] for i in cycle)
            violated = any(at(i) and not forever and not any(goal[i:])
                           for i in range(last + 1))
        else:
            continue
        if violated:
            return Verdict(p.name, "liveness", start,
                           f"liveness property {p.name} is violated: the behaviour loops "
                           f"forever from step {start}")
    return Verdict(None, None, None, "the loop violates no liveness property")


def _instance(model: Model, trace: Trace, i: int) -> int:
    step = trace.steps[i]
    inst = model.find_instance(step.action, step.args)
    assert inst is not None, "the trace replayed, so its actions exist"
    return inst.index


def _unfair_group(model: Model, trace: Trace, cycle: Sequence[tuple[int, Any]],
                  taken: set[int]) -> str | None:
    """Why a behaviour cycling through ``cycle`` (steps and their states) forever, taking
    the instances ``taken``, is not fair (TLA+'s WF and SF; a stutter neither takes nor
    enables), or None."""
    enabled: list[set[int]] = [{a for a, t in _successors(model, trace, i, s) if t != s}
                               for i, s in cycle]
    for group in model.fairness:
        for k, unit in enumerate(group.units):
            if taken.intersection(unit):
                continue
            on = [bool(e.intersection(unit)) for e in enabled]
            if (group.kind == "weak" and all(on)) or (group.kind == "strong" and any(on)):
                what = (model.instances[unit[0]].label() if group.per_instance
                        else group.unit_name(k) or group.name)
                return (f"{what} is {group.kind}ly fair, enabled "
                        f"{'throughout' if group.kind == 'weak' else 'in'} the loop and "
                        "never taken in it")
    return None
