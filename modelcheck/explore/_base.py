"""What every exhaustive explorer shares: options, property checks on new states, traces.

An explorer owns its hot loop and its store; everything that happens once per *new*
state or once per violation lives here, so the loops stay small and the strategies agree
on what a violation, a deadlock or a spec error is.
"""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modelcheck import _watchdog as watchdog
from modelcheck import semantics
from modelcheck._watchdog import resident_memory
from modelcheck._watchdog import size as _size
from modelcheck.coverage import SearchCoverage
from modelcheck.errors import NondeterminismError, SpecRuntimeError
from modelcheck.fingerprint import Audit, collision_probability, deepest_nesting, fingerprint
from modelcheck.model import Model
from modelcheck.result import ErrorSite, Result, Stats, Status, Violation
from modelcheck.spec import Property, Spec
from modelcheck.store import NO_PARENT, DictStore, FingerprintStore
from modelcheck.trace import Trace

__all__ = ["OVERRUN", "Found", "Options", "Progress", "Run", "StepFailure", "error_site",
           "multi_path", "source_line", "view_name"]

OVERRUN = 1.0
"""Seconds a search may go on past its time limit in work that has not reached a limit
check (the explorers check theirs between chunks) before the run's watchdog interrupts it.
Ordinary chunks end well within it, so a search stops at a chunk boundary, with a
checkpoint if it takes them."""


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running search, handed to the progress callback."""

    distinct_states: int
    generated_states: int
    depth: int
    queue: int
    seconds: float


@dataclass(frozen=True)
class Options:
    """Bounds and switches of an exhaustive search.

    ``max_depth`` counts states along a path as TLC does (an initial state has depth 1).
    """

    max_depth: int | None = None
    max_states: int | None = None
    time_limit: float | None = None
    deadlock: bool = True
    progress: Callable[[Progress], None] | None = None
    workers: int = 1
    """Worker processes (``parallel``) or Dask workers (``distributed``)."""
    scheduler: str | None = None
    """Address of a dask.distributed scheduler, or ``"local"`` for a LocalCluster."""
    checkpoint: str | None = None
    """Directory where a breadth-first search saves its progress."""
    checkpoint_every: float = 60.0
    """Seconds between checkpoints (one is also written when the search is interrupted)."""
    resume: str | None = None
    """Directory of a checkpoint to continue from."""
    max_memory: int | None = None
    """Stop (incomplete) when the process's resident memory exceeds this many bytes."""
    seed: int | None = None
    """Seed of a random search (``random``); None draws one, which the result reports."""
    runs: int | None = None
    """Random walks of a random search; None: 1,000, or as many as ``time_limit`` allows."""
    audit: bool = False
    """Keep every state and check that no two distinct states share a fingerprint."""
    max_violations: int | None = 1
    """Violations to find before the search stops; None: every one (``--continue``). Past
    the first, each property is reported once (its first violation, found at its shortest
    depth by a breadth-first search) and deadlocks once per action leading into them."""
    coverage: bool = False
    """Count, per action, how often it was enabled, taken and led to a new state
    (breadth-first, single process)."""


class Found(Exception):
    """Raised inside an explorer to end the search with a violation."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.property)
        self.violation = violation


class StepFailure(Exception):
    """A spec function raised while expanding ``state`` (``action`` is an instance index)."""

    def __init__(self, state: Any, action: int, error: BaseException) -> None:
        super().__init__(str(error))
        self.state = state
        self.action = action
        self.error = error


class Run:
    """The bookkeeping of one search: counters, limits, property checks, traces."""

    def __init__(self, model: Model, options: Options, store: FingerprintStore | DictStore,
                 strategy: str) -> None:
        self.model = model
        self.options = options
        self.store = store
        self.strategy = strategy
        self.cfg = model.config
        self.generated = 0
        self.depth = 0
        self.queue = 0
        self.started = time.perf_counter()
        self.deadline = (self.started + options.time_limit
                         if options.time_limit is not None else None)
        self.pending_sometimes: list[Property] = list(model.sometimes)
        self.state_type = model.spec.state
        identify = model.identify
        self.fingerprint: Callable[[Any], int] = (
            fingerprint if identify is None else lambda s: fingerprint(identify(s)))
        """The fingerprint a state is stored under: its orbit's under symmetry reduction,
        its view's under a view."""
        self.cut_short = False
        """Whether the state limit kept some new states of the last expansion out."""
        self.audit = Audit() if options.audit else None
        """With ``--audit``: every state kept, to compare with those met again."""
        self.details: dict[str, Any] = {}
        """Explorer-specific facts added to every result (workers, checkpoint...)."""
        self.worker_pids: list[int] = []
        """Processes whose memory counts towards ``max_memory`` besides this one."""
        self.watchdog = watchdog.active()
        """The watchdog of the run (see :mod:`modelcheck._watchdog`), when there is one."""
        if self.watchdog is not None:
            self.watchdog.pids = lambda: self.worker_pids
            if self.deadline is not None:
                self.watchdog.add(self.overrun)
        self.outside = 0
        """Stored states outside the state constraints: checked but neither counted as
        distinct nor expanded (see :meth:`explorable`)."""
        self.table = model.table()
        self.rechecks = 0
        """Chunks whose expansion was executed again (see :meth:`recheck`)."""
        self.coverage: Callable[[], SearchCoverage] | None = None
        """With ``--coverage``: the per-action counts so far, for the result."""
        self.init_nesting: dict[tuple[int, int], int] = {}
        """The :func:`nesting` of the initial states this run enumerated, by range of init
        instances (so that the result's statistics need not enumerate them again)."""
        self.continuing = options.max_violations != 1
        """Whether the search goes on after a violation (see :meth:`found`)."""
        self.violations: list[Violation] = []
        """The violations found so far, when the search goes on after one."""
        self.invariants = list(model.invariants)
        """The invariants still checked: those without a violation yet."""
        self.action_properties = list(model.action_properties)
        """The action properties still checked: those without a violation yet."""
        self.deadlocks: set[str] = set()
        """The deadlock classes reported: the name of the action leading into each (or
        ``init`` for an initial state)."""

    # -- limits and progress ------------------------------------------------------------

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def limit_reached(self) -> str | None:
        """Why the search must stop now (time, state or memory limit), or None.

        A search stops when this says why, so the watchdog is then stood down: its
        interrupt, decided on at the same moment or sent before a checkpointed search's
        handler deferred it, must not cut the checkpoint or the result that follow."""
        why = self._limit()
        if why is not None:
            self.stand_down()
        return why

    def stand_down(self) -> None:
        """The search is stopping on its own: the watchdog interrupts it no more (see
        :meth:`modelcheck._watchdog.Watchdog.stand_down`)."""
        if self.watchdog is not None:
            self.watchdog.stand_down()

    def interrupt_reason(self) -> str | None:
        """Why the ``KeyboardInterrupt`` just caught was raised: the watchdog's reason
        when it came from the watchdog, None for Ctrl-C or SIGTERM. Whoever catches one
        asks this first: it acknowledges the interrupt, which the watchdog otherwise
        sends again (see :mod:`modelcheck._watchdog`)."""
        dog = self.watchdog
        return dog.reason if dog is not None and dog.interrupted() else None

    def _limit(self) -> str | None:
        if self.watchdog is not None and self.watchdog.reason is not None:
            return self.watchdog.reason
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            return self._out_of_time()
        if self.options.max_states is not None and len(self.store) >= self.options.max_states:
            return f"state limit of {self.options.max_states:,} distinct states reached"
        if self.options.max_memory is not None:
            used = resident_memory(self.worker_pids)
            if used > self.options.max_memory:
                return (f"memory limit of {_size(self.options.max_memory)} reached "
                        f"({_size(used)} resident)")
        return None

    def overrun(self) -> str | None:
        """The watchdog's check of the time limit: why to interrupt the search once it has
        run :data:`OVERRUN` seconds past its deadline without reaching a limit check (one
        frontier state whose successors take minutes and fill memory), or None."""
        if self.deadline is not None and time.perf_counter() >= self.deadline + OVERRUN:
            return self._out_of_time()
        return None

    def _out_of_time(self) -> str:
        return f"time limit of {self.options.time_limit:g} s reached"

    def room(self) -> int | None:
        """How many more states the state limit lets the search store (None: no limit).

        An explorer that stores fewer new states than it found, for want of room, sets
        :attr:`cut_short`."""
        cap = self.options.max_states
        return None if cap is None else max(0, cap - len(self.store))

    def report(self) -> None:
        if self.options.progress is not None:
            self.options.progress(Progress(len(self.store) - self.outside, self.generated,
                                           self.depth, self.queue, self.elapsed()))

    # -- checks on new states -----------------------------------------------------------

    def initial_states(self, first: int = 0, stop: int | None = None) -> list[tuple[int, Any]]:
        """The initial states (of the init instances ``first`` to ``stop``), each checked
        to be hashable (a spec error names the init)."""
        states = semantics.initial_states(self.model, self.fingerprint, first, stop)
        self.check_initially(states)
        span = range(len(self.model.inits))[first:stop]
        with contextlib.suppress(RecursionError):
            self.init_nesting[span.start, span.stop] = deepest_nesting(s for _, s in states)
        return states

    def check_initially(self, inits: Sequence[tuple[int, Any]]) -> None:
        """Judge initial states (``(init index, state)`` pairs) by the initial-state
        predicates: a violation or spec error with the one-state trace of the first that
        one does not accept."""
        found = semantics.broken_initially(self.model, inits)
        if found is None:
            return
        init, state, broken = found
        trace = Trace.from_states(self.model, init, [], [state])
        if broken.error is not None:
            raise semantics.spec_error(broken.function, broken.error,
                                       at=" in an initial state", trace=trace, step=0)
        raise Found(semantics.violation("initial", broken.prop.name, trace))

    def check_new(self, states: Sequence[Any], first_index: int,
                  unstored: Mapping[int, tuple[int, int]] | None = None) -> None:
        """Check freshly discovered states (stored from ``first_index`` on, in order):
        the invariants, then the ``sometimes`` goals not met yet (see
        :mod:`modelcheck.semantics`).

        ``unstored`` maps the positions of states that are not stored (outside the state
        constraints) to how they were reached: ``(parent index, action)``, or
        ``(NO_PARENT, init)``; the others are stored in order from ``first_index`` on.
        """
        if self.state_type is not None and set(map(type, states)) != {self.state_type}:
            for j, s in enumerate(states):
                if type(s) is not self.state_type:
                    if unstored is not None and j in unstored:
                        parent, aid = unstored[j]
                        raise self.spec_error(
                            "", TypeError(f"returned a {type(s).__name__}, not a "
                                          f"{self.state_type.__name__}: {s!r}"),
                            None if parent == NO_PARENT else parent,
                            None if parent == NO_PARENT else aid)
                    self._bad_state(s, _stored_index(j, first_index, unstored))
        if self.continuing:
            self._check_every(states, first_index, unstored)
            return
        broken = semantics.first_broken(self.invariants, self.cfg, states)
        if self.pending_sometimes:
            limit = len(states) if broken is None else broken.at
            met, missed = semantics.meet(self.pending_sometimes, self.cfg, states, limit)
            if missed is not None:
                broken = missed
            for prop in met:
                self.pending_sometimes.remove(prop)
        if broken is None:
            return
        self._broken_state(broken, broken.at, states, first_index, unstored)

    def _check_every(self, states: Sequence[Any], first_index: int,
                     unstored: Mapping[int, tuple[int, int]] | None) -> None:
        """:meth:`check_new` for a search that goes on after a violation: every invariant
        still checked is judged on every state (from the first violation of one on, the
        others on the rest), and the ``sometimes`` goals on every state."""
        start = 0
        while self.invariants:
            broken = semantics.first_broken(self.invariants, self.cfg,
                                            states[start:] if start else states)
            if broken is None:
                break
            start += broken.at
            self._broken_state(broken, start, states, first_index, unstored)
        if self.pending_sometimes:
            met, missed = semantics.meet(self.pending_sometimes, self.cfg, states,
                                         len(states))
            if missed is not None:
                self._broken_state(missed, missed.at, states, first_index, unstored)
            for prop in met:
                self.pending_sometimes.remove(prop)

    def _broken_state(self, broken: semantics.Broken, j: int, states: Sequence[Any],
                      first_index: int, unstored: Mapping[int, tuple[int, int]] | None
                      ) -> None:
        """Report what ``broken`` found at ``states[j]`` (see :meth:`check_new`)."""
        if unstored is not None and j in unstored:
            parent, aid = unstored[j]
            trace = self.unstored_trace(parent, aid, states[j])
            if broken.error is not None:
                raise semantics.spec_error(broken.function, broken.error,
                                           at=semantics.where(trace.length), trace=trace,
                                           step=trace.length)
            self.invariants.remove(broken.prop)
            self.found(semantics.violation("invariant", broken.prop.name, trace))
            return
        self._report(broken, _stored_index(j, first_index, unstored), states[j])

    def unstored_trace(self, parent: int, action: int, state: Any) -> Trace:
        """The trace to ``state``, which is not stored: reached from stored state
        ``parent`` by action instance ``action``, or initial (``parent`` is NO_PARENT and
        ``action`` its init)."""
        if parent == NO_PARENT:
            return Trace.from_states(self.model, action, [], [state])
        return self.trace_to(parent, None, then=(action, state))

    def within(self, states: Sequence[Any], links: Sequence[tuple[int, int]]) -> list[bool]:
        """Whether each of ``states``, not stored yet and reached as ``links`` say (as in
        :meth:`check_new`'s ``unstored``), satisfies the state constraints. A constraint
        that raises or returns a non-bool is a spec error with the trace to the state."""
        try:
            return semantics.within(self.model.constraints, self.cfg, states)
        except semantics.Misbehaved as m:
            trace = self.unstored_trace(*links[m.at], states[m.at])
            raise semantics.spec_error(m.function, m.error, at=semantics.where(trace.length),
                                       trace=trace, step=trace.length) from m.error

    def explorable(self, states: list[Any], first_index: int) -> list[Any]:
        """The states of ``states`` (new, checked, and stored from ``first_index`` on, in
        order) that satisfy the state constraints: those the search goes on to expand.
        The others stay stored, so that they are judged once, and are counted in
        :attr:`outside`. Every explorer applies the constraints here and nowhere else."""
        inside = self.inside(states, first_index)
        if inside is None:
            return states
        kept = [s for s, ok in zip(states, inside) if ok]
        self.outside += len(states) - len(kept)
        return kept

    def inside(self, states: Sequence[Any], first_index: int) -> list[bool] | None:
        """Whether each of ``states`` (stored from ``first_index`` on) satisfies the state
        constraints; None when all do (or there are none). A constraint that raises or
        returns a non-bool is a spec error with the trace to the state."""
        constraints = self.model.constraints
        if not constraints or not states:
            return None
        try:
            inside = semantics.within(constraints, self.cfg, states)
        except semantics.Misbehaved as m:
            raise self.spec_error(m.function, m.error, first_index + m.at) from m.error
        return None if all(inside) else inside

    def check_transition(self, before: Any, before_index: int, action: int, after: Any) -> None:
        """Check the action properties on one transition."""
        broken = semantics.broken_step(self.action_properties, self.cfg, before, after)
        if broken is not None:
            self._report(broken, before_index, before, (action, after))

    def _report(self, broken: semantics.Broken, index: int, state: Any,
                then: tuple[int, Any] | None = None) -> None:
        """End the search with what ``broken`` found at stored state ``index``."""
        if broken.error is not None:
            raise self.spec_error(broken.function, broken.error, index)
        trace = self.trace_to(index, state, then=then)
        if then is None:
            self.invariants.remove(broken.prop)
            self.found(semantics.violation("invariant", broken.prop.name, trace))
        else:
            self.action_properties.remove(broken.prop)
            self.found(semantics.violation("action", broken.prop.name, trace,
                                           action=self.model.instances[then[0]].label()))

    def found(self, violation: Violation) -> None:
        """A violation: it ends the search (:class:`Found`), unless the search goes on
        after violations and has found fewer than ``max_violations`` with this one."""
        if not self.continuing:
            raise Found(violation)
        self.violations.append(violation)
        limit = self.options.max_violations
        if limit is not None and len(self.violations) >= limit:
            raise Found(violation)

    def deadlock(self, index: int, state: Any) -> None:
        """``state`` has no successor: a violation unless it is terminal or checks are off."""
        if not self.options.deadlock:
            return
        try:
            dead = semantics.deadlocked(self.model, state)
        except semantics.Misbehaved as m:
            raise self.spec_error(m.function, m.error, index) from m.error
        if not dead:
            return
        if self.continuing:
            _, path = self.store.path(index)
            kind = self.model.instances[path[-1]].name if path else "init"
            if kind in self.deadlocks:
                return
            self.deadlocks.add(kind)
        self.found(semantics.violation("deadlock", "deadlock", self.trace_to(index, state)))

    def recheck(self, chunk: Sequence[Any], base: int, succs: Sequence[Any],
                actions: Sequence[int], counts: Sequence[int]) -> None:
        """Execute one state of an expanded chunk (stored from ``base`` on) again, and
        compare its successors with those the expansion produced (``counts`` per state):
        a spec whose actions are not functions of their state is an error."""
        found = semantics.rerun_sample(self.model, self.rechecks, chunk, succs, actions,
                                       counts, self.table)
        self.rechecks += 1
        if found is not None:
            raise self.nondeterministic(base + found[0], found[1])

    def recheck_state(self, state: Any, index: int, produced: Sequence[tuple[int, Any]]) -> None:
        """Execute the actions on stored state ``index`` again and compare with
        ``produced``, the ``(instance, successor)`` pairs the search got."""
        action = semantics.rerun(self.model, state, produced, self.table)
        if action is not None:
            raise self.nondeterministic(index, action)

    def nondeterministic(self, index: int, action: int) -> SpecRuntimeError:
        """The error for ``action`` giving another result when executed again on state
        ``index``."""
        trace = self._trace_or_none(index)
        at = semantics.where(trace.length) if trace is not None else ""
        return semantics.nondeterminism(self.model, action, at, trace=trace,
                                        step=trace.length if trace is not None else None)

    # -- errors ---------------------------------------------------------------------------

    def _bad_state(self, state: Any, index: int) -> None:
        assert self.state_type is not None
        path = self.store.path(index)
        last = (f"action {self.model.instances[path[1][-1]].label()}" if path[1]
                else "init")
        raise self.spec_error(
            last, TypeError(f"returned a {type(state).__name__}, not a "
                            f"{self.state_type.__name__}: {state!r}"), None)

    def _trace_or_none(self, index: int) -> Trace | None:
        try:
            return self.trace_to(index, None)
        except SpecRuntimeError:
            return None

    def spec_error(self, function: str, error: BaseException, index: int | None,
                   action: int | None = None) -> SpecRuntimeError:
        """A SpecRuntimeError naming ``function`` (or action instance ``action``) and the
        trace to stored state ``index``, the state it was given."""
        trace = self._trace_or_none(index) if index is not None else None
        if action is not None:
            function = f"action {self.model.instances[action].label()}"
        return semantics.spec_error(
            function, error, at=semantics.where(trace.length) if trace is not None else "",
            trace=trace, step=trace.length if trace is not None else None)

    def step_failure(self, failure: StepFailure, index: int) -> SpecRuntimeError:
        return self.spec_error("", failure.error, index, failure.action)

    def unhashable(self, states: Sequence[Any], actions: Sequence[int],
                   error: BaseException) -> SpecRuntimeError:
        """Name the action that returned a state that cannot be fingerprinted (it holds
        a list, a dict or another value a state cannot hold), and the field."""
        for s, a in zip(states, actions):
            try:
                fingerprint(s)
            except (TypeError, RecursionError) as e:
                return semantics.unhashable(f"action {self.model.instances[a].label()}", s, e)
        return SpecRuntimeError(f"a state is not hashable: {error}", function="?")

    # -- traces -----------------------------------------------------------------------------

    def trace_to(self, index: int, state: Any | None,
                 then: tuple[int, Any] | None = None) -> Trace:
        """Rebuild the trace to stored state ``index`` by re-executing from its init.

        ``state`` (when given) is the state the search holds, compared with the
        replayed one; ``then`` appends one more step (an action property's transition).

        Under symmetry reduction a stored action may have been taken from another member
        of its state's orbit (a depth-first search reaches a state again by a shorter
        path and keeps that one). Each step then tries the stored action first and
        otherwise every action, keeping the one that leads to the stored state's orbit,
        so the trace is still a real execution.
        """
        model = self.model
        init_index, actions = self.store.path(index)
        inst = model.inits[init_index]
        s = inst.action.fn(self.cfg, *inst.args)
        states = [s]
        key = self.fingerprint
        targets = self._path_fingerprints(index, len(actions)) \
            if model.identify is not None or model.multi else None
        taken: list[int] = []
        found = (self._multi_path(index, s, actions, state, then)
                 if model.multi and targets is None else None)
        if found is not None:
            taken, states = found
            s = states[-1]
        for step, aid in enumerate(() if found is not None else actions, start=1):
            def reaches(t: Any, step: int = step) -> bool:
                if t is None:
                    return False
                fp = key(t)
                return fp == targets[step] if targets is not None else fp in self.store
            nxt = model.step_to(aid, s, reaches)
            if not reaches(nxt) and model.identify is not None:
                aid, nxt = self._orbit_step(s, reaches, aid)
            if not reaches(nxt):
                label = model.instances[aid].label()
                raise NondeterminismError(
                    f"replaying the path to a state, step {step} ({label}) "
                    f"{'is not enabled' if nxt is None else 'gives a state the search never saw'}"
                    ": the spec is nondeterministic. Usual causes: iterating a set or dict "
                    "of strings (hash order changes between runs), or reading a clock, a "
                    "random number or a global that changes", function=label, step=step)
            s = nxt
            states.append(s)
            taken.append(aid)
        if state is not None and s != state:
            # Under a view another state with the same view need not violate what the
            # held one does: the trace must end in the very state that was checked.
            if model.canonical is None or model.view is not None or key(s) != key(state):
                raise NondeterminismError(
                    f"replaying the path to a state gave a different state after "
                    f"{len(actions)} steps: the spec is nondeterministic", function="?",
                    step=len(actions))
            if then is not None:
                then = self._transported_step(state, s, then)
        if then is not None:
            taken.append(then[0])
            states.append(then[1])
        return Trace.from_states(model, init_index, taken, states)

    def _multi_path(self, index: int, init: Any, actions: list[int], state: Any | None,
                    then: tuple[int, Any] | None) -> tuple[list[int], list[Any]] | None:
        """The actions and states of the path to stored state ``index``, through generator
        actions, or None when it does not replay (the caller then reports the
        nondeterminism). A store that knows each fingerprint's index (a breadth-first
        search of a model with generator actions keeps one) tells which successor of a
        step is the stored one; otherwise the successors stored anywhere are tried, for a
        path that ends in ``state`` (by fingerprint) and from which ``then`` is a step."""
        key = self.fingerprint
        store = self.store
        if isinstance(store, FingerprintStore) and store.indexed:
            chain: list[int] = []
            i = index
            for _ in range(len(actions) + 1):
                chain.append(i)
                i = store.parents[i]
            chain.reverse()

            def stored(step: int, found: Sequence[Any]) -> list[Any]:
                at = store.indices(np.array([key(t) for t in found], dtype=np.int64))
                return [t for t, j in zip(found, at.tolist()) if j == chain[step]]
        else:
            def stored(step: int, found: Sequence[Any]) -> list[Any]:
                return [t for t in found if key(t) in store]
        return multi_path(self.model, key, init, actions, stored, state, then)

    def _path_fingerprints(self, index: int, length: int) -> list[int] | None:
        """The stored fingerprints along the path to ``index`` (init first), if known.

        A depth-first store maps fingerprints to indices; a breadth-first one cannot tell
        them back, but there the stored actions always replay exactly.
        """
        by_fp = getattr(self.store, "index", None)
        if not isinstance(by_fp, dict):
            return None
        wanted: dict[int, int] = {}
        parents = self.store.parents
        i = index
        for _ in range(length + 1):
            wanted[i] = 0
            i = parents[i]
        for fp, i in by_fp.items():
            if i in wanted:
                wanted[i] = fp
        chain = list(wanted.values())
        chain.reverse()
        return chain

    def _orbit_step(self, s: Any, reaches: Callable[[Any], bool], stored: int) -> tuple[int, Any]:
        """The first action instance leading from ``s`` to the wanted orbit, or ``stored``."""
        model = self.model
        for inst in model.instances:
            try:
                found = model.successors(inst.index, s)
            except Exception:
                continue  # the search never took this step from here
            for t in found:
                if reaches(t):
                    return inst.index, t
        return stored, model.step_to(stored, s, reaches)

    def _transported_step(self, held: Any, replayed: Any,
                          then: tuple[int, Any]) -> tuple[int, Any]:
        """The step from ``replayed`` matching ``then``, a step from ``held`` (same orbit)."""
        from modelcheck.symmetry import Canonicalizer
        canonical = self.model.canonical
        assert isinstance(canonical, Canonicalizer)
        model = self.model
        after = canonical.transport(held, replayed, then[1])
        for aid in (then[0], *(i.index for i in model.instances)):
            try:
                if after in model.successors(aid, replayed):
                    return aid, after
            except Exception:
                continue
        label = model.instances[then[0]].label()
        raise SpecRuntimeError(
            f"{label}: the spec is not symmetric in its symmetric sets: no action renames "
            "this step for a renamed state; check that actions treat every element alike",
            function=label)

    # -- results ------------------------------------------------------------------------

    def stats(self) -> Stats:
        n = len(self.store)
        seen = self.store.nbytes() if isinstance(self.store, FingerprintStore) else None
        return Stats(n - self.outside, self.generated, self.depth, self.elapsed(), self.queue,
                     collision_probability(n, self.generated, self._nesting()), seen)

    def _nesting(self) -> int:
        """How deeply fingerprints nest in the model's (initial) states."""
        at, deepest = 0, 1
        for (start, stop), depth in sorted(self.init_nesting.items()):
            if start > at:
                break
            at, deepest = max(at, stop), max(deepest, depth)
        if at >= len(self.model.inits):
            return deepest
        try:
            return deepest_nesting(s for _, s in self.model.initial_states())
        except (SpecRuntimeError, RecursionError):
            return 1

    def result(self, status: Status, *, exhaustive: bool, violation: Violation | None = None,
               error: str | None = None, stopped: str | None = None,
               details: dict[str, Any] | None = None, concluded: bool = False) -> Result:
        model = self.model
        if self.audit is not None and status != "error":
            self.details["audit"] = self.audit.summary()
        details = {**self.details, **(details or {})}
        stats = self.stats()
        exception = details.get("exception")
        spec_error = exception if isinstance(exception, SpecRuntimeError) else None
        violations = tuple(self.violations)
        if status == "incomplete" and violations:
            status = "violation"  # a limit stopped a search that had found violations
        if violation is None and violations:
            violation = violations[0]
        limit = self.options.max_violations
        stopped_at = (limit if self.continuing and limit is not None
                      and len(violations) >= limit else None)
        checked, warnings = semantics.what_was_checked(
            model, strategy=self.strategy, status=status, exhaustive=exhaustive,
            stopped=stopped, violation=violation, error=spec_error,
            deadlock=self.options.deadlock, unmet={p.name for p in self.pending_sometimes},
            temporal_ran="temporal" in details, states=stats.distinct_states,
            violations=violations, continued=self.continuing and stopped_at is None,
            concluded=concluded)
        if status == "violation" and stopped_at is not None and stopped is None:
            stopped = f"--max-violations {stopped_at} reached"
        return Result(model.spec.name, model.variant, model.params, self.strategy, status,
                      exhaustive, stats, violation, error, stopped, details,
                      symmetry=model.canonical is not None, view=view_name(model),
                      checked=checked,
                      warnings=warnings, violations=violations if self.continuing else (),
                      error_site=error_site(model, spec_error) if spec_error else None,
                      coverage=self.coverage() if self.coverage is not None else None)

    def finish(self, *, bounded: str | None) -> Result:
        """The result of a search that ran out of states to explore (maybe within a bound:
        a depth limit, the state constraints).

        The ``sometimes`` goals no state met are violations unless a depth limit bounded
        the search: a search bounded only by the state constraints explored the
        constrained model completely (every state inside, and every state generated
        outside checked), so a goal it never met is met nowhere in that model."""
        constrained = semantics.constrained(self.model)
        judged = bounded is None
        within = constrained.split("; ")[0] if judged and constrained is not None else None
        if constrained is not None:
            bounded = constrained if bounded is None else f"{bounded}; {constrained}"
        exhaustive = bounded is None
        if self.continuing:
            if judged:
                for prop in list(self.pending_sometimes):
                    try:
                        self.found(semantics.violation("sometimes", prop.name, None,
                                                       bounded=within))
                    except Found:
                        break
            if self.violations:
                return self.result("violation", exhaustive=exhaustive, stopped=bounded,
                                   concluded=within is not None)
        elif judged and self.pending_sometimes:
            unmet = semantics.violation("sometimes", self.pending_sometimes[0].name, None,
                                        bounded=within)
            return self.result("violation", exhaustive=exhaustive, violation=unmet,
                               stopped=bounded, concluded=within is not None)
        return self.result("ok", exhaustive=exhaustive, stopped=bounded,
                           concluded=within is not None)

    def outcome(self, search: Callable[[], Result]) -> Result:
        """Run ``search``, turning how it ended (a violation, a spec error, Ctrl-C or the
        watchdog's interrupt, with its reason) into the result, as every explorer does."""
        try:
            result = search()
        except Found as found:
            self.stand_down()  # the violation's traces are built whatever the time
            return self.violation(found)
        except SpecRuntimeError as e:
            self.stand_down()
            return self.failed(e)
        except KeyboardInterrupt:
            why = self.interrupt_reason()
            return self.result("incomplete", exhaustive=False, stopped=why or "interrupted")
        self.stand_down()
        return result

    def violation(self, found: Found, *, exhaustive: bool = False) -> Result:
        for v in self.violations or [found.violation]:
            if v.trace is not None:
                self.depth = max(self.depth, len(v.trace.steps))
        first = self.violations[0] if self.violations else found.violation
        return self.result("violation", exhaustive=exhaustive, violation=first)

    def failed(self, error: SpecRuntimeError) -> Result:
        return self.result("error", exhaustive=False, error=str(error),
                           details={"exception": error})


def error_site(model: Model, error: SpecRuntimeError) -> ErrorSite:
    """Where ``error`` happened: its function, the spec's source line that raised, and the
    trace to the state the function was given."""
    trace = error.trace if isinstance(error.trace, Trace) else None
    return ErrorSite(error.function, source_line(model.spec, error.__cause__), error.step,
                     trace)


def source_line(spec: Spec, error: BaseException | None) -> str | None:
    """``file:line`` of the innermost frame of ``error``'s traceback in ``spec``'s source
    files (the module that created it, and those defining its functions), or None."""
    if error is None or error.__traceback__ is None:
        return None
    files = _spec_files(spec)
    last = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename in files:
            last = frame
    if last is None:
        return None
    name = Path(last.filename)
    with contextlib.suppress(ValueError):
        name = name.relative_to(Path.cwd())
    return f"{name}:{last.lineno}"


_ENGINE = str(Path(__file__).resolve().parent.parent)


def _spec_files(spec: Spec) -> set[str]:
    """The source files of ``spec``'s module and functions, modelcheck's own left out (the
    actions a network library makes)."""
    module = sys.modules.get(spec.module)
    named = [getattr(module, "__file__", None)]
    fns: list[Any] = [a.fn for a in (*spec.inits, *spec.actions)]
    fns += [p.fn for p in spec.properties]
    named += [getattr(getattr(fn, "__code__", None), "co_filename", None) for fn in fns]
    return {f for f in named
            if isinstance(f, str) and not str(Path(f).resolve()).startswith(_ENGINE)}


def view_name(model: Model) -> str | None:
    """The name of the view the search identified states by, or None."""
    fn = model.spec.view_fn
    return fn.__name__ if model.view is not None and fn is not None else None


def _stored_index(j: int, first_index: int,
                  unstored: Mapping[int, tuple[int, int]] | None) -> int:
    """The store index of the ``j``-th of a batch of new states stored from ``first_index``
    on, but for those in ``unstored``."""
    if unstored is None:
        return first_index + j
    return first_index + j - sum(1 for k in unstored if k < j)


def multi_path(model: Model, key: Callable[[Any], int], init: Any, actions: Sequence[int],
               stored: Callable[[int, Sequence[Any]], list[Any]], state: Any | None,
               then: tuple[int, Any] | None) -> tuple[list[int], list[Any]] | None:
    """A path from ``init`` taking ``actions`` (some of them generator actions, so that a
    step may have several successors), as a backtracking search: at step ``k`` it tries
    the successors ``stored(k, successors)`` keeps, in order, for a path whose last state
    has ``state``'s fingerprint (``key``) and from which ``then`` is a step (each when
    given). The actions and the states, or None when there is no such path."""
    want = key(state) if state is not None else None

    def last(t: Any) -> bool:
        if want is not None and key(t) != want:
            return False
        if then is None or model.identify is not None:
            return True  # under symmetry the step is transported to the state replayed
        try:
            return then[1] in model.successors(then[0], t)
        except Exception:
            return False

    def candidates(step: int, s: Any) -> list[Any]:
        try:
            return stored(step, model.successors(actions[step - 1], s))
        except Exception:
            return []  # the caller reports it, replaying the stored path

    if not actions:
        return None
    states = [init]
    pending = [candidates(1, init)]
    while pending:
        if not pending[-1]:
            pending.pop()
            states.pop()
            continue
        t = pending[-1].pop(0)
        step = len(states)
        if step == len(actions):
            if last(t):
                return list(actions), [*states, t]
            continue
        states.append(t)
        pending.append(candidates(step + 1, t))
    return None
