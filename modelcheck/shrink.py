"""Shrinking counterexamples: delta debugging over the steps of a trace, checked by replay.

A counterexample found by a random walk holds every detour the walk took. The shrinker
removes them: it proposes smaller step sequences and keeps one whenever replaying it from
the initial state still violates the same property, until no proposal is smaller (a
local minimum, as in Zeller's delta debugging and Hypothesis's shrinker). Proposals, in
the order tried:

* **cut cycles**: a walk that returns to a state it visited before loses the loop;
* **drop faults**: all fault steps at once (a crash, a lost message), then each alone;
* **drop steps**: contiguous runs of steps, halving their length from half the trace
  down to single steps;
* **lower arguments**: a step replaced by the same action with smaller arguments (an
  earlier instance in the deterministic enumeration order), and the initial state by an
  earlier one.

A step of a generator action (one yielding several successors) records which successor
it took. Replaying a proposal takes that successor when there is one, and falls back on
the action's other successors, in the order it yields them, when the rest of the proposal
shows the failure only through another one (a bounded backtracking search, at most
:data:`MAX_DETOURS` other successors per proposal), so a step dropped before a generator
step does not lose the counterexample merely because the successors are numbered anew.

Replay is lenient: a proposed step that is no longer enabled (or raises) is skipped, and
replay stops at the first state (or transition) that a search would report, judged as
:mod:`modelcheck.semantics` judges every path. A proposal is kept only when that is the
same property: one that shows another violation first, or on which a predicate
misbehaves, is no smaller counterexample of this one. So dropping a timeout also drops the
deliveries of the messages it sent, every replayed result is itself a valid trace, and
replaying the shrunk trace reports the violation it was shrunk for. Smaller means fewer
steps, then fewer fault steps, then earlier action instances, an order in which every
proposal accepted makes progress, so shrinking ends.

**Fewer context switches.** Among counterexamples of one length, one that lets a node take
several steps in a row reads more easily than one that jumps between nodes at every step.
:func:`fewer_switches` moves steps of a counterexample next to steps of the same node (the
node of a step is what the spec's :attr:`~modelcheck.spec.Spec.step_node` hook says, by
default its first argument), keeping a move whenever the moved sequence, replayed as above,
still shows the same violation with as many steps and fewer switches between nodes. The
breadth-first explorers pass every shortest counterexample through it.

The same shrinker serves any strategy: ``modelcheck trace shrink FILE`` shrinks a saved
trace of an invariant, action-property or deadlock violation.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelcheck import semantics
from modelcheck.errors import SpecRuntimeError, UsageError
from modelcheck.model import Model
from modelcheck.properties.verdict import judge
from modelcheck.result import Violation, ViolationKind
from modelcheck.trace import ReplayError, Trace, replay

__all__ = ["Failure", "Shrunk", "fewer_switches", "readable", "shrink", "shrink_trace",
           "switches"]

MAX_REPLAYS = 20_000
"""Replays a shrink may spend before it settles for the smallest sequence found so far."""
MAX_SWITCH_REPLAYS = 4_000
"""Replays :func:`fewer_switches` may spend (a count, not a time, so that the result does
not depend on the machine)."""
MAX_DETOURS = 64
"""Other successors of generator steps one replay may try (each counts as a replay) before
it gives the proposal up."""


@dataclass(frozen=True)
class Failure:
    """What a counterexample shows: ``property`` violated, of ``kind`` invariant, action
    (an action property) or deadlock."""

    property: str
    kind: ViolationKind

    def message(self, length: int, model: Model, last: int | None = None) -> str:
        """The violation message, worded as the exhaustive explorers word it."""
        label = model.instances[last].label() if last is not None else None
        return semantics.violation_message(self.kind, self.property, length, label)


@dataclass(frozen=True)
class Shrunk:
    """A shrunk counterexample: the init instance, the action instances and the states."""

    init: int
    path: tuple[int, ...]
    states: tuple[Any, ...]
    original_length: int
    replays: int
    """Replays the shrinker ran."""
    choices: tuple[int, ...] = ()
    """For each step of ``path``: which successor of its action it takes (0 for a plain
    action)."""

    @property
    def length(self) -> int:
        """Transitions in the shrunk counterexample."""
        return len(self.path)

    def trace(self, model: Model) -> Trace:
        """The shrunk counterexample as a :class:`Trace`."""
        return Trace.from_states(model, self.init, self.path, self.states)


_Steps = tuple[tuple[int, int], ...]
"""``(action instance, successor)`` for each step: which successor of the instance's action
the step takes (0 for a plain action)."""
_Best = tuple[int, _Steps, tuple[Any, ...]]
"""(init instance, steps, states) of the smallest counterexample so far."""


class _Budget(Exception):
    """The shrinker ran out of replays or time."""


class _Shrinker:
    def __init__(self, model: Model, failure: Failure, max_replays: int,
                 deadline: float | None) -> None:
        self.model = model
        self.cfg = model.config
        self.failure = failure
        self.max_replays = max_replays
        self.deadline = deadline
        self.replays = 0
        self.inits = dict(model.initial_states())
        self.nodes: dict[int, Any] = {}
        self.switched: _Best | None = None
        """The counterexample with the fewest switches found so far."""
        faults = set(model.spec.fault_actions)
        self.is_fault = [inst.name in faults for inst in model.instances]
        self.table = model.table()
        self.multi = [inst.action.multi for inst in model.instances]
        if failure.kind not in ("invariant", "action", "deadlock"):
            raise UsageError(f"only invariant, action-property and deadlock violations are "
                             f"shrunk, not {failure.kind} ({failure.property})")

    # -- replay ---------------------------------------------------------------------------

    def reproduce(self, init: int, candidate: Sequence[tuple[int, int]], *,
                  strict: bool = False) -> tuple[_Steps, tuple[Any, ...]] | None:
        """Replay ``candidate`` leniently; the steps taken and states up to the failure, or
        None when the replay shows no violation, another one first, or a misbehaving
        predicate (``strict``: a spec error then, naming it).

        A generator step takes its recorded successor first; when the replay shows no
        failure (or another one), it backtracks to the last generator step with a
        successor left to try, up to :data:`MAX_DETOURS` times."""
        self._spend()
        s = self.inits.get(init)
        if s is None:
            return None
        model, cfg, apply = self.model, self.cfg, self.model.apply
        taken: list[tuple[int, int]] = []
        states = [s]
        # Choice points: (position after the step, steps taken before it, the successors,
        # the positions among them still to try).
        forks: list[tuple[int, int, tuple[Any, ...], list[int]]] = []
        detours = 0
        try:
            found = self._judged("invariant", semantics.first_broken(model.invariants, cfg,
                                                                     (s,)))
            if found is not None:
                return ((), tuple(states)) if found else None
            i = 0
            resume: tuple[int, int, Any] | None = None
            while True:
                if resume is not None:  # another successor of a generator step
                    aid, k, t = resume
                    resume = None
                    found = self._step(taken, states, aid, k, t)
                    if found is None:
                        s = t
                while found is None and i < len(candidate):
                    aid, k = candidate[i]
                    i += 1
                    try:
                        if self.multi[aid]:
                            succs = model.successors(aid, s)
                            if not succs:
                                continue
                            order = ([k] if k < len(succs) else []) + [
                                j for j in range(len(succs)) if j != k]
                            k, t = order[0], succs[order[0]]
                            if len(order) > 1:
                                forks.append((i, len(taken), succs, order[1:]))
                        else:
                            k, t = 0, apply(aid, s)
                    except Exception:
                        continue  # a step that raises from here is no step of a smaller trace
                    if t is None:
                        continue
                    found = self._step(taken, states, aid, k, t)
                    if found is None:
                        s = t
                # A deadlocked state enables no step, so the replay skips every step after
                # it and ends there: the last state is the only one to look at.
                if found is None and (
                        self.failure.kind == "deadlock"
                        and not semantics.successors(model, s, self.table)
                        and semantics.deadlocked(model, s)):
                    found = True
                if found:
                    return tuple(taken), tuple(states)
                if not forks or detours >= MAX_DETOURS:
                    return None
                detours += 1
                self._spend()
                i, n, succs, rest = forks[-1]
                k = rest.pop(0)
                if not rest:
                    forks.pop()
                aid = candidate[i - 1][0]
                del taken[n:], states[n + 1:]
                s = states[-1]
                resume, found = (aid, k, succs[k]), None
        except semantics.Misbehaved as m:
            if not strict:
                return None
            # An action property misbehaves on a step: the error is in the state before it.
            at = len(taken) - (1 if m.function.startswith("action property") else 0)
            trace = Trace.from_states(model, init, [a for a, _ in taken[:at]],
                                      states[:at + 1])
            raise semantics.spec_error(m.function, m.error, at=semantics.where(at),
                                       trace=trace, step=at) from m.error

    def _spend(self) -> None:
        """Count a replay; :class:`_Budget` when the replays or the time are spent."""
        self.replays += 1
        if self.replays > self.max_replays or (
                self.deadline is not None and time.perf_counter() > self.deadline):
            raise _Budget

    def _step(self, taken: list[tuple[int, int]], states: list[Any], aid: int, k: int,
              t: Any) -> bool | None:
        """Take step ``aid`` (successor ``k``) from the last of ``states`` to ``t``; what its
        checks found (as :meth:`_judged`)."""
        s = states[-1]
        taken.append((aid, k))
        states.append(t)
        model, cfg = self.model, self.cfg
        found = self._judged("action", semantics.broken_step(model.action_properties, cfg,
                                                             s, t))
        if found is None:
            found = self._judged("invariant", semantics.first_broken(model.invariants, cfg,
                                                                     (t,)))
        return found

    def _judged(self, kind: str, broken: semantics.Broken | None) -> bool | None:
        """What a check on the replay found: None nothing, True the failure shrunk for,
        False another violation."""
        if broken is None:
            return None
        if broken.error is not None:
            raise semantics.Misbehaved(broken.function, broken.error)
        return kind == self.failure.kind and broken.prop.name == self.failure.property

    # -- context switches --------------------------------------------------------------------

    def node(self, aid: int) -> Any:
        """The node that takes a step of instance ``aid`` (as JSON text, so any node value
        compares), from :func:`step_node`."""
        got = self.nodes.get(aid, _UNKNOWN)
        if got is _UNKNOWN:
            got = self.nodes[aid] = step_node(self.model, aid)
        return got

    def switches(self, path: _Steps) -> int:
        """How often consecutive steps of ``path`` are taken by different nodes."""
        nodes = [self.node(a) for a, _ in path]
        return sum(1 for x, y in itertools.pairwise(nodes) if x != y)

    def fewer_switches(self, best: _Best) -> _Best:
        """Move single steps next to steps of the same node while that keeps the failure,
        the length and the fault steps, and lowers the switches; until no move does."""
        init = best[0]
        faults = sum(self.is_fault[a] for a, _ in best[1])
        score = self.switches(best[1])
        improved = True
        while improved and score > 0:
            improved = False
            path = best[1]
            for j, moved in enumerate(path):
                rest = path[:j] + path[j + 1:]
                me = self.node(moved[0])
                for i in range(len(rest) + 1):
                    if i == j or not ((i > 0 and self.node(rest[i - 1][0]) == me)
                                      or (i < len(rest) and self.node(rest[i][0]) == me)):
                        continue
                    candidate = rest[:i] + (moved,) + rest[i:]
                    if self.switches(candidate) >= score:
                        continue
                    got = self.reproduce(init, candidate)
                    if got is None or len(got[0]) != len(path) \
                            or sum(self.is_fault[a] for a, _ in got[0]) != faults:
                        continue
                    new = self.switches(got[0])
                    if new < score:
                        best, score, improved = (init, got[0], got[1]), new, True
                        self.switched = best
                        break
                if improved:
                    break
        return best

    # -- the order ---------------------------------------------------------------------------

    def key(self, init: int, path: _Steps) -> tuple[int, int, _Steps, int]:
        return len(path), sum(self.is_fault[a] for a, _ in path), path, init

    # -- passes --------------------------------------------------------------------------------

    def run(self, init: int, path: _Steps, states: tuple[Any, ...]) -> Shrunk:
        best = (init, path, states)
        original = len(path)
        try:
            changed = True
            while changed:
                changed = False
                for step in (self.cut_cycles, self.drop_faults, self.drop_steps,
                             self.lower_arguments):
                    better = step(best)
                    if better is not None:
                        best, changed = better, True
        except _Budget:
            pass
        return Shrunk(best[0], tuple(a for a, _ in best[1]), best[2], original, self.replays,
                      tuple(k for _, k in best[1]))

    def attempt(self, best: _Best, init: int,
                candidate: Sequence[tuple[int, int]]) -> _Best | None:
        got = self.reproduce(init, candidate)
        if got is None or self.key(init, got[0]) >= self.key(best[0], best[1]):
            return None
        return init, got[0], got[1]

    def cut_cycles(self, best: _Best) -> _Best | None:
        init, path, states = best
        last: dict[Any, int] = {}
        for i, s in enumerate(states):
            last[s] = i
        i, kept = 0, []
        while i < len(path):
            j = last[states[i]]
            if j > i:
                i = j  # the walk comes back to states[i]: skip the loop
                continue
            kept.append(path[i])
            i += 1
        if len(kept) == len(path):
            return None
        return self.attempt(best, init, kept)

    def drop_faults(self, best: _Best) -> _Best | None:
        improved = None
        faults = [i for i, (a, _) in enumerate(best[1]) if self.is_fault[a]]
        if not faults:
            return None
        found = self.attempt(best, best[0], [st for st in best[1] if not self.is_fault[st[0]]])
        if found is not None:
            return found
        i = 0
        while i < len(best[1]):
            if self.is_fault[best[1][i][0]]:
                found = self.attempt(best, best[0], best[1][:i] + best[1][i + 1:])
                if found is not None:
                    best = improved = found
                    continue
            i += 1
        return improved

    def drop_steps(self, best: _Best) -> _Best | None:
        improved = None
        k = max(len(best[1]) // 2, 1)
        while k >= 1:
            i = 0
            while i + k <= len(best[1]):
                path = best[1]
                found = self.attempt(best, best[0], path[:i] + path[i + k:])
                if found is not None:
                    best = improved = found
                    continue
                i += 1
            k //= 2
        return improved

    def lower_arguments(self, best: _Best) -> _Best | None:
        improved = None
        instances = self.model.instances
        for init in sorted(self.inits):
            if init >= best[0]:
                break
            found = self.attempt(best, init, best[1])
            if found is not None:
                best = improved = found
                break
        j = 0
        while j < len(best[1]):
            aid, k = best[1][j]
            action = instances[aid].action
            for other in instances[:aid]:
                if other.action is not action:
                    continue
                path = best[1]
                found = self.attempt(best, best[0], path[:j] + ((other.index, k),) + path[j + 1:])
                if found is not None:
                    best = improved = found
                    break
            j += 1
        return improved


def shrink(model: Model, init: int, path: Sequence[int], failure: Failure, *,
           max_replays: int = MAX_REPLAYS, time_limit: float | None = None,
           choices: Sequence[int] | None = None) -> Shrunk:
    """Shrink the counterexample ``path`` (action instance indices from init instance
    ``init``) of ``failure`` to a local minimum, within ``max_replays`` replays and
    ``time_limit`` seconds (then the smallest found so far). ``choices`` tells, for each
    step, which successor of its action it takes (a generator action's; None: the first).

    Raises :class:`UsageError` when ``path`` does not show ``failure``.
    """
    deadline = time.perf_counter() + time_limit if time_limit is not None else None
    shrinker = _Shrinker(model, failure, max_replays + 1, deadline)
    try:
        picks = [0] * len(path) if choices is None else list(choices)
        got = shrinker.reproduce(init, list(zip(path, picks, strict=True)), strict=True)
    except _Budget:  # pragma: no cover - the first replay is always within the budget
        got = None
    if got is None:
        raise UsageError(f"the steps given do not violate {failure.property} when replayed; "
                         "nothing to shrink")
    return shrinker.run(init, got[0], got[1])


_UNKNOWN = object()


def step_node(model: Model, aid: int) -> str:
    """The node that takes a step of action instance ``aid``, as JSON text: what the spec's
    :attr:`~modelcheck.spec.Spec.step_node` hook says, else the instance's first argument
    (``"null"`` for a step of no one node, or of an action without arguments)."""
    inst = model.instances[aid]
    args = inst.args_json()
    hook = model.spec.step_node
    if hook is None:
        return json.dumps(next(iter(args.values()), None), sort_keys=True)
    try:
        return json.dumps(hook(model.config, inst.name, args), sort_keys=True)
    except Exception as e:
        raise SpecRuntimeError(
            f"spec {model.spec.name!r}: step_node({inst.name!r}, ...) raised "
            f"{type(e).__name__}: {e} (it must return a node as JSON, or None)",
            function="step_node") from e


def switches(model: Model, path: Sequence[int]) -> int:
    """How often consecutive steps of ``path`` (action instance indices) are taken by
    different nodes (:func:`step_node`)."""
    nodes = [step_node(model, a) for a in path]
    return sum(1 for x, y in itertools.pairwise(nodes) if x != y)


def fewer_switches(model: Model, init: int, path: Sequence[int], failure: Failure, *,
                   choices: Sequence[int] | None = None,
                   max_replays: int = MAX_SWITCH_REPLAYS) -> Shrunk:
    """The counterexample ``path`` (action instance indices from init instance ``init``)
    with its steps reordered so that it switches between nodes less: a real execution of
    the same length, with the same fault steps, ending in the same violation of
    ``failure`` (checked by replay), and the counterexample itself when no reordering
    within ``max_replays`` replays switches less. ``choices`` as for :func:`shrink`.

    Raises :class:`UsageError` when ``path`` does not show ``failure``.
    """
    shrinker = _Shrinker(model, failure, max_replays + 1, None)
    picks = [0] * len(path) if choices is None else list(choices)
    got = shrinker.reproduce(init, list(zip(path, picks, strict=True)), strict=True)
    if got is None:
        raise UsageError(f"the steps given do not violate {failure.property} when replayed")
    best: _Best = (init, got[0], got[1])
    shrinker.switched = best
    try:
        best = shrinker.fewer_switches(best)
    except _Budget:
        assert shrinker.switched is not None
        best = shrinker.switched
    return Shrunk(best[0], tuple(a for a, _ in best[1]), best[2], len(path), shrinker.replays,
                  tuple(k for _, k in best[1]))


def readable(model: Model, violation: Violation) -> Violation:
    """``violation`` with its counterexample passed through :func:`fewer_switches`, its
    message worded anew for the steps it now has; ``violation`` itself when it has no
    trace, a lasso, or one that does not replay against ``model``."""
    trace = violation.trace
    if trace is None or trace.loop_start is not None or trace.length < 2 \
            or violation.kind not in ("invariant", "action", "deadlock"):
        return violation
    failure = Failure(violation.property, violation.kind)
    try:
        states = list(trace.states) if trace.states is not None else replay(model, trace)
        init = _find(model, trace, 0, model.inits)
        path = [_find(model, trace, i, model.instances) for i in range(1, len(trace.steps))]
        choices = [model.choice(aid, states[i], states[i + 1]) or 0
                   for i, aid in enumerate(path)]
        better = fewer_switches(model, init, path, failure, choices=choices)
    except (ReplayError, UsageError, AssertionError):
        return violation
    if better.path == tuple(path):
        return violation
    last = better.path[-1] if better.path else None
    return dataclasses.replace(violation, trace=better.trace(model),
                               message=failure.message(better.length, model, last))


def shrink_trace(model: Model, trace: Trace, *, deadlock: bool | None = None,
                 max_replays: int = MAX_REPLAYS,
                 time_limit: float | None = None) -> tuple[Trace, Violation, Shrunk]:
    """Shrink a saved counterexample: replay it, find what it violates, and shrink it.

    ``deadlock`` (None: as the spec says) makes a last state with no enabled action a
    violation. Raises :class:`UsageError` for a liveness trace (a lasso), a trace that no
    longer replays, or one that violates nothing.
    """
    if trace.loop_start is not None:
        raise UsageError("the trace is a liveness counterexample (a lasso); only traces "
                         "ending in an invariant, action-property or deadlock violation "
                         "are shrunk")
    states = replay(model, trace)
    verdict = judge(model, trace, states, deadlock=deadlock)
    if verdict.property is None or verdict.step is None:
        raise UsageError("the trace violates no invariant, action property or deadlock "
                         "check of the spec as it is now: nothing to shrink")
    if verdict.kind not in ("invariant", "action", "deadlock"):
        raise UsageError(f"the trace shows a {verdict.kind} violation of {verdict.property}; "
                         "only invariant, action-property and deadlock violations are shrunk")
    if any(p.name == verdict.property and p.when is not None for p in model.temporal):
        raise UsageError(f"the trace violates {verdict.property}, an invariant conditioned on "
                         "the initial state: the search found it by a shortest path from "
                         "such a state, and such violations are not shrunk")
    kind = typing.cast(ViolationKind, verdict.kind)
    failure = Failure(verdict.property, kind)
    init = _find(model, trace, 0, model.inits)
    path = [_find(model, trace, i, model.instances) for i in range(1, verdict.step + 1)]
    choices = [model.choice(aid, states[i], states[i + 1]) or 0 for i, aid in enumerate(path)]
    shrunk = shrink(model, init, path, failure, max_replays=max_replays, time_limit=time_limit,
                    choices=choices)
    out = shrunk.trace(model)
    last = shrunk.path[-1] if shrunk.path else None
    violation = Violation(failure.property, failure.kind, out,
                          failure.message(shrunk.length, model, last))
    return out, violation, shrunk


def _find(model: Model, trace: Trace, i: int, pool: Sequence[Any]) -> int:
    step = trace.steps[i]
    inst = model.find_instance(step.action, step.args, pool)
    assert inst is not None  # replay found it
    return int(inst.index)
