"""What a replayed trace shows: which property it violates, and at which step.

A saved counterexample is a regression test only if replaying it says whether the
violation is still there. :func:`judge` evaluates the model's properties along the states
of a trace that replayed: invariants in every state, action properties on every
transition, a deadlock in the last state, liveness on the lasso (under the model's
fairness: an unfair lasso is no counterexample) and always-possible from the last state.
It reports the first violation, the one a search would have stopped at.
"""

from __future__ import annotations

import builtins
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
          deadlock: bool = True) -> Verdict:
    """The first violation the replayed ``trace`` (whose states are ``states``) shows."""
    cfg = model.config
    last = len(states) - 1
    for i, s in enumerate(states):
        for p in model.invariants:
            if not _holds(p, p.fn, cfg, s):
                return Verdict(p.name, "invariant", i,
                               f"invariant {p.name} is violated at step {i}")
        if i == 0:
            continue
        for p in model.action_properties:
            if not _holds(p, p.fn, cfg, states[i - 1], s):
                return Verdict(p.name, "action", i,
                               f"action property {p.name} is violated by step {i}")
    if trace.loop_start is None:
        if deadlock and _deadlocked(model, states[last]):
            return Verdict("deadlock", "deadlock", last,
                           f"deadlock at step {last}: no action is enabled and the state "
                           "is not terminal")
        for p in model.temporal:
            if p.kind == "always_possible" and not _possible(model, p, states[last]):
                return Verdict(p.name, "possibility", last,
                               f"always-possible {p.name} is violated: from step {last} no "
                               "state where it holds can be reached")
        return Verdict(None, None, None, "the trace violates no property")
    return _judge_lasso(model, trace, states, trace.loop_start)


def _holds(p: Property, fn: Callable[..., Any], *args: Any) -> bool:
    try:
        return bool(fn(*args))
    except Exception as e:
        raise SpecRuntimeError(f"property {p.name} raised {type(e).__name__}: {e}",
                               function=fn.__name__) from e


def _successors(model: Model, s: Any) -> list[tuple[int, Any]]:
    out = []
    for inst in model.instances:
        try:
            t = model.apply(inst.index, s)
        except Exception as e:
            raise SpecRuntimeError(f"action {inst.label()} raised {type(e).__name__}: {e}",
                                   function=inst.name) from e
        if t is not None:
            out.append((inst.index, t))
    return out


def _deadlocked(model: Model, s: Any) -> bool:
    if _successors(model, s):
        return False
    return model.terminal is None or not model.terminal(model.config, s)


def _possible(model: Model, p: Property, start: Any) -> bool:
    """Whether a state satisfying ``p`` is reachable from ``start`` (a breadth-first
    search over the states reachable from it, which the model bounds)."""
    seen = {start}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        if _holds(p, p.fn, model.config, s):
            return True
        for _, t in _successors(model, s):
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
    unfair = _unfair_group(model, [states[i] for i in cycle], taken)
    if unfair is not None:
        return Verdict(None, None, None,
                       f"the loop from step {start} is not a fair behaviour: {unfair}")
    cfg = model.config
    for p in model.temporal:
        def at(i: int, fn: Callable[..., Any] = p.fn, p: Property = p) -> bool:
            return _holds(p, fn, cfg, states[i])
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


def _unfair_group(model: Model, cycle: Sequence[Any], taken: set[int]) -> str | None:
    """Why a behaviour cycling through ``cycle`` forever, taking the instances ``taken``,
    is not fair (TLA+'s WF and SF; a stutter neither takes nor enables), or None."""
    enabled: list[set[int]] = [{a for a, t in _successors(model, s) if t != s} for s in cycle]
    for group in model.fairness:
        units = [(i,) for i in group.instances] if group.per_instance else [group.instances]
        for unit in units:
            if taken.intersection(unit):
                continue
            on = [bool(e.intersection(unit)) for e in enabled]
            if (group.kind == "weak" and all(on)) or (group.kind == "strong" and any(on)):
                what = model.instances[unit[0]].label() if group.per_instance else group.name
                return (f"{what} is {group.kind}ly fair, enabled "
                        f"{'throughout' if group.kind == 'weak' else 'in'} the loop and "
                        "never taken in it")
    return None
