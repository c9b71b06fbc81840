"""Random search: seeded walks, swarm configurations, shrunk counterexamples, coverage.

Where exhaustive search stops (state spaces of millions of states), random walks still go
deep. Each walk starts in an initial state and, up to ``depth`` states, generates *every*
successor of the state it is in, checks the invariants and action properties on each (as
TLC's simulation mode does, which finds more than checking the walked states alone), and
moves to one of them chosen at random. A state with no successor that is not terminal is
a deadlock. A walk ends at a state outside the spec's state constraints, which it checks
but does not expand (as an exhaustive search does not). A violation is shrunk
(:mod:`modelcheck.shrink`) before it is shown.

**Choosing a step.** The walk picks an action first, uniformly among the actions enabled,
then one of its enabled instances: an action with many instances (``deliver`` of each
message in flight) does not crowd out a rare one (``timeout``). Each successor a generator
action yields is a step of its own (every one is generated and checked, and any may be
walked to); the walk records which one it took, so that its trace is the execution walked.

**Swarm testing** (Groce et al., "Swarm Testing", ISSTA 2012; Hypothesis's feature
flags): each walk draws its own configuration, leaving out each action with probability
1/2 and capping each fault (``--faults``) at a budget drawn between 0 and the one given.
A walk that never drops a message may reach what a walk dropping half of them cannot. A
left-out action is still taken when no other is enabled, so configurations do not end
walks early; only a fault over its cap is never taken. Deadlocks are judged on every
action, whatever the configuration.

**Guided walks** prefer, among the steps allowed, those leading to a state no earlier walk
of the same worker has met (novelty search); they fall back to any step when every
successor has been met.

**Reproducibility.** Walk ``i`` draws from its own generator, seeded from the string
``"{seed}:{i}"`` (``random.Random`` hashes strings with SHA-512, not with ``hash``), and
every choice is made over lists in the spec's deterministic enumeration order, never over
a hash-ordered set. So a seed gives the same walks in every process. Workers take walks
round-robin (worker ``w`` of ``W`` runs walks ``w, w + W, ...``) and stop once a walk with
a smaller number has found a violation; the violation reported is that of the
lowest-numbered violating walk, which is the same for any number of workers (unless the
walks are guided: a guided walk depends on the earlier walks of its worker). Statistics
and coverage count the walks each worker finished, so they repeat exactly with one worker.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import pickle
import random as _random
import signal
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from modelcheck import _watchdog as watchdog
from modelcheck import semantics
from modelcheck._watchdog import Watchdog, memory_limit
from modelcheck.coverage import ActionCount, Coverage, estimate_states
from modelcheck.errors import NondeterminismError, SpecRuntimeError, UsageError
from modelcheck.explore._base import OVERRUN, Options, Progress, source_line, view_name
from modelcheck.fingerprint import collision_probability, fingerprint
from modelcheck.model import BindStopped, Model, Successors, bind
from modelcheck.result import ErrorSite, Result, Stats, Status, Violation, ViolationKind
from modelcheck.shrink import Failure
from modelcheck.shrink import shrink as shrink_path
from modelcheck.spec import Spec
from modelcheck.trace import Trace

__all__ = ["DEFAULT_DEPTH", "DEFAULT_RUNS", "Walks", "explore", "new_seed", "simulate"]

DEFAULT_RUNS = 1000
"""Walks of a random search given neither ``runs`` nor a time limit."""
DEFAULT_DEPTH = 100
"""States along a walk (the initial state counts as one), as TLC's simulation default."""

_CHECK_CLOCK_EVERY = 512
"""Steps between two looks at the clock (time limit, progress)."""

_NONE_FOUND = 1 << 62
"""The lowest violating walk number, while none has been found."""


@dataclass(frozen=True)
class Walks:
    """How a random search walks: ``runs`` walks (None: until the time limit) of at most
    ``depth`` states, from ``seed`` (None: a fresh one, reported in the result)."""

    runs: int | None = DEFAULT_RUNS
    depth: int = DEFAULT_DEPTH
    seed: int | None = None
    swarm: bool = True
    """Each walk draws its own subset of actions and fault budgets."""
    guided: bool = False
    """Prefer steps to states not met before (novelty)."""
    shrink: bool = True
    """Shrink a counterexample before it is reported."""


def new_seed() -> int:
    """A fresh seed from the operating system's entropy, small enough to type."""
    return int.from_bytes(os.urandom(4), "big")


def explore(model: Model, options: Options, walks: Walks | None = None) -> Result:
    """Search ``model`` by random walks; ``walks`` defaults to what ``options`` asks
    (``runs``, ``max_depth`` as the walk depth, ``seed``)."""
    if walks is None:
        runs = options.runs
        if runs is None and options.time_limit is None:
            runs = DEFAULT_RUNS
        walks = Walks(runs=runs, depth=options.max_depth or DEFAULT_DEPTH, seed=options.seed)
    if walks.runs is not None and walks.runs <= 0:
        raise UsageError(f"runs must be positive, got {walks.runs}")
    if walks.depth <= 0:
        raise UsageError(f"the walk depth must be positive, got {walks.depth}")
    if walks.runs is None and options.time_limit is None:
        raise UsageError("give a number of runs, a time limit, or both")
    if walks.seed is None:
        walks = Walks(walks.runs, walks.depth, new_seed(), walks.swarm, walks.guided,
                      walks.shrink)
    started = time.perf_counter()
    deadline = started + options.time_limit if options.time_limit is not None else None
    # A walk looks at the clock between steps; one state whose successors take minutes
    # and fill memory (two-phase-commit --param rms=40000: 80,000 successors of 40,000
    # RMs each) is stopped by the run's watchdog, OVERRUN seconds past the deadline, as
    # an exhaustive search is (modelcheck.explore._base.Run.overrun).
    late = (f"time limit of {options.time_limit:g} s reached"
            if options.time_limit is not None else None)

    def overrun() -> str | None:
        if deadline is not None and time.perf_counter() >= deadline + OVERRUN:
            return late
        return None

    dog = watchdog.active()
    if dog is not None and deadline is not None:
        dog.add(overrun)
    interrupted: str | None = None
    try:
        if options.workers > 1:
            lanes, interrupted = _fork_lanes(model, options, walks, deadline)
        else:
            lane = _Lane(model, options, walks, deadline, 0, 1, _Lowest())
            try:
                lanes = [lane.run()]
            except KeyboardInterrupt:
                lanes, interrupted = [lane.out], _interrupted()
        if dog is not None and interrupted is None:
            # The walks are over, maybe at the time limit just as the watchdog acted:
            # its interrupt must not land in the shrinking of a counterexample.
            dog.stand_down()
    finally:
        if dog is not None:
            dog.remove(overrun)
    # The watchdog's interrupt at the time limit ends the walks as the clock between two
    # steps does: the walk under way is left out, and the result is the same.
    timed_out = late is not None and interrupted == late
    return _result(model, options, walks, lanes, started, deadline,
                   None if timed_out else interrupted, timed_out)


def _interrupted() -> str:
    """Why the walks were interrupted: the reason of the run's watchdog when the
    ``KeyboardInterrupt`` just caught came from it (which tells the watchdog it has
    arrived), otherwise ``interrupted`` (Ctrl-C, SIGTERM)."""
    dog = watchdog.active()
    if dog is not None and dog.interrupted() and dog.reason is not None:
        return dog.reason
    return "interrupted"


def simulate(spec: Spec | Model, *, variant: str | None = None,
             params: Mapping[str, Any] | None = None, runs: int | None = DEFAULT_RUNS,
             depth: int = DEFAULT_DEPTH, seed: int | None = None,
             time_limit: float | None = None, workers: int = 1, swarm: bool = True,
             guided: bool = False, shrink: bool = True, deadlock: bool | None = None,
             progress: Callable[[Progress], None] | None = None,
             max_memory: int | None = None) -> Result:
    """Search ``spec`` by ``runs`` random walks of at most ``depth`` states.

    ``runs=None`` walks until ``time_limit``; ``seed`` (None: a fresh one) makes the
    search repeatable and is reported in the result; ``workers`` processes share the
    walks. ``swarm`` draws a configuration per walk, ``guided`` prefers unseen states,
    ``shrink`` shrinks a counterexample. Temporal properties are not checked (a walk
    shows no infinite behaviour); invariants, action properties and deadlocks are
    (``deadlock=False`` accepts states with no enabled action; None: as the spec says).
    ``max_memory`` (bytes of resident memory, the walkers' included) stops the search,
    incomplete, when it is exceeded.

    The walks run under a watchdog (:mod:`modelcheck._watchdog`), as
    :func:`~modelcheck.check` runs a search: the time limit and ``max_memory`` hold even
    inside the expansion of one state, which the walks' own look at the clock (between
    steps) cannot stop.
    """
    for name, bound in (("runs", runs), ("depth", depth), ("time_limit", time_limit),
                        ("workers", workers), ("max_memory", max_memory)):
        if bound is not None and bound <= 0:
            raise UsageError(f"{name} must be positive, got {bound}")
    if isinstance(spec, Model):
        model = spec
    else:
        try:
            model = bind(spec, variant, params, temporal=False, max_memory=max_memory)
        except BindStopped as stop:
            from modelcheck.explore import _stopped_binding
            return _stopped_binding(spec, variant, params, "random", stop.message)
    if deadlock is None:
        deadlock = model.spec.check_deadlock
    options = Options(time_limit=time_limit, deadlock=deadlock, progress=progress,
                      workers=workers, max_memory=max_memory)
    # As check() does: states are immutable tuples, the walks create no reference cycles,
    # and the cyclic collector's passes (and the callbacks a test harness hangs on them,
    # where an interrupt is swallowed) are only overhead.
    enabled = gc.isenabled()
    gc.disable()
    try:
        with Watchdog() as dog:
            if max_memory is not None:
                dog.add(memory_limit(max_memory, lambda: dog.pids()))
            try:
                return explore(model, options,
                               Walks(runs, depth, seed, swarm, guided, shrink))
            except KeyboardInterrupt:
                if not dog.interrupted() or dog.reason is None:
                    raise
                # The watchdog's interrupt arrived just as the walks ended by themselves.
    finally:
        if enabled:
            gc.enable()
    from modelcheck.explore import _stopped
    return _stopped(model.spec, model.variant, model.params, "random",
                    dog.reason or "interrupted")


# -- one worker's walks ----------------------------------------------------------------------


class _Lowest:
    """The lowest violating walk number found so far, in one process."""

    def __init__(self) -> None:
        self.value = _NONE_FOUND


@dataclass
class _Finding:
    """A violation found by walk ``run``: the path to it and what it violates."""

    run: int
    init: int
    path: list[int]
    failure: Failure
    choices: list[int] = field(default_factory=list)
    """For each step of ``path``: which successor of its action it is (0 for a plain
    action)."""


@dataclass
class _LaneResult:
    """What one worker's walks found and covered, sent back to the coordinator."""

    runs: int = 0
    steps: int = 0
    generated: int = 0
    depth: int = 0
    incidence: dict[int, int] = field(default_factory=dict)
    """Fingerprint of each state met → the number of walks that met it."""
    expanded: set[int] = field(default_factory=set)
    """Fingerprints of the states walked to, whose successors were all generated."""
    enabled: list[int] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)
    lengths: Counter[int] = field(default_factory=Counter)
    ends: Counter[str] = field(default_factory=Counter)
    sometimes: set[str] = field(default_factory=set)
    finding: _Finding | None = None
    error: _Error | None = None
    timed_out: bool = False


@dataclass(frozen=True)
class _Error:
    """A spec error a worker met, in a form that crosses processes (the trace as JSON)."""

    message: str
    function: str
    step: int | None
    trace: dict[str, Any] | None
    nondeterministic: bool
    source: str | None
    """The spec's source line that raised (see :func:`~modelcheck.explore._base.source_line`)."""

    @classmethod
    def of(cls, e: SpecRuntimeError, spec: Spec) -> _Error:
        trace = e.trace.to_json() if isinstance(e.trace, Trace) else None
        return cls(e.message, e.function, e.step, trace, isinstance(e, NondeterminismError),
                   source_line(spec, e.__cause__))

    def site(self) -> ErrorSite:
        """Where the error happened, as a result reports it."""
        trace = Trace.from_json(self.trace) if self.trace is not None else None
        return ErrorSite(self.function, self.source, self.step, trace)

    def exception(self) -> SpecRuntimeError:
        kind = NondeterminismError if self.nondeterministic else SpecRuntimeError
        trace = Trace.from_json(self.trace) if self.trace is not None else None
        return kind(self.message, function=self.function, step=self.step, trace=trace)


class _Found(Exception):
    def __init__(self, finding: _Finding) -> None:
        super().__init__(finding.failure.property)
        self.finding = finding


class _Lane:
    """Runs walks ``lane, lane + lanes, ...`` and records what they meet."""

    def __init__(self, model: Model, options: Options, walks: Walks, deadline: float | None,
                 lane: int, lanes: int, lowest: Any,
                 progress: Callable[[Progress], None] | None = None) -> None:
        self.model = model
        self.cfg = model.config
        self.walks = walks
        self.deadline = deadline
        self.lane, self.lanes = lane, lanes
        self.lowest = lowest
        self.deadlock_on = options.deadlock
        self.progress = options.progress if lanes == 1 else None
        self.started = time.perf_counter()
        self.table = model.table()
        spec_actions = {a.name: k for k, a in enumerate(model.spec.actions)}
        self.family = [spec_actions[i.name] for i in model.instances]
        self.families = len(model.spec.actions)
        spec = model.spec
        self.fault_budget: dict[int, int] = {}
        """Action (family) → the budget its fault spends, for faults the config allows."""
        if spec.fault_budgets is not None:
            for name, budget in spec.fault_budgets(self.cfg).items():
                if name in spec_actions and name in spec.fault_actions:
                    self.fault_budget[spec_actions[name]] = budget
        self.faults = sorted(self.fault_budget)
        self.inits: list[tuple[int, Any]] = []
        canonical = model.identify
        self.key: Callable[[Any], int] = (
            fingerprint if canonical is None else lambda s: fingerprint(canonical(s)))
        self.out = _LaneResult(enabled=[0] * self.families, taken=[0] * self.families)
        self.pending_sometimes = list(model.sometimes)
        self.clock = 0
        self.expansions = 0
        """States expanded; one in RECHECK_EVERY is executed again and compared."""

    def run(self) -> _LaneResult:
        out = self.out
        runs = self.walks.runs
        try:
            self.inits = semantics.initial_states(self.model, self.key)
            self._check_inits()
            i = self.lane
            while (runs is None or i < runs) and i < self.lowest.value:
                if self.deadline is not None and time.perf_counter() >= self.deadline:
                    out.timed_out = True
                    break
                self.walk(i)
                out.runs += 1
                i += self.lanes
        except _Found as found:
            out.finding = found.finding
            if found.finding.run < self.lowest.value:
                self.lowest.value = found.finding.run
        except SpecRuntimeError as e:
            out.error = _Error.of(e, self.model.spec)
        except _TimeUp:
            out.timed_out = True
        return out

    def _check_inits(self) -> None:
        found = semantics.broken_initially(self.model, self.inits)
        if found is not None:
            init, state, wrong = found
            if wrong.error is not None:
                raise self._error(wrong.function, wrong.error, init, [], [state])
            raise _Found(_Finding(-1, init, [], Failure(wrong.prop.name, "initial"), []))
        seen: set[int] = set()
        for init, s in self.inits:
            fp = self.key(s)
            if fp not in seen:
                seen.add(fp)
                broken = self._check_state(s)
                if broken is not None:
                    self._report(broken, -1, init, [], [s])
        for fp in seen:
            self.out.incidence[fp] = 0

    def _configure(self, rng: _random.Random, run: int) -> tuple[list[bool], dict[int, int]]:
        """This walk's swarm configuration: the actions it takes and its fault caps.

        Every other walk takes every action: a bug that needs every kind of step is found
        at half the pace of plain walks at worst, while a bug that some action hides (a
        reset, a message loss) is found by the walks that leave it out.
        """
        if not self.walks.swarm or run % 2 == 0:
            return [True] * self.families, dict(self.fault_budget)
        # As Hypothesis's feature flags: a probability of leaving out drawn per walk, so
        # that configurations leaving out few actions are as common as ones leaving many.
        p = rng.random()
        allowed = [rng.random() >= p for _ in range(self.families)]
        if not any(allowed[f] for f in range(self.families) if f not in self.fault_budget):
            allowed = [True] * self.families
        caps = {f: rng.randint(1, b) if allowed[f] else 0
                for f, b in sorted(self.fault_budget.items()) if b > 0}
        return allowed, caps

    def walk(self, run: int) -> None:
        """Walk ``run``: up to ``depth`` states from a random initial state."""
        rng = _random.Random(f"{self.walks.seed}:{run}")
        allowed, caps = self._configure(rng, run)
        init, s = self.inits[rng.randrange(len(self.inits))] if self.inits else (0, None)
        out, cfg, table, family, key = self.out, self.cfg, self.table, self.family, self.key
        incidence = out.incidence
        guided = self.walks.guided
        props = self.model.action_properties
        here = key(s) if s is not None else 0
        met = {here} if s is not None else set()
        # Merged into the coverage when the walk completes, so that the states it met and
        # those it expanded always come from the same walks.
        expanded: list[int] = []
        path: list[int] = []
        choices: list[int] = []  # which successor of each step's action (generator actions)
        walked = [s]  # the states along ``path``, for the trace of a spec error
        end = "depth"
        depth = self.walks.depth
        constraints = self.model.constraints
        while s is not None:
            if constraints and not self._inside(s, init, path, walked):
                end = "constraint"  # a state outside the state constraints is not expanded
                break
            expanded.append(here)
            aids: list[int] = []
            succs: list[Any] = []
            aid = -1
            try:
                for aid, fn, args in table:
                    t = fn(cfg, s, *args)
                    if t is not None:
                        if t.__class__ is Successors:
                            aids += [aid] * len(t)
                            succs += t
                        else:
                            aids.append(aid)
                            succs.append(t)
            except Exception as e:
                label = self.model.instances[aid].label()
                raise self._error(f"action {label}", e, init, path, walked) from e
            if self.expansions % semantics.RECHECK_EVERY == 0:
                self._recheck(s, aids, succs, init, path, walked)
            self.expansions += 1
            out.generated += len(aids)
            if not aids:
                self._deadlock(s, run, init, path, walked, choices)
                end = "terminal"
                break
            fps = []
            fresh: list[int] = []
            j = 0
            try:
                for j, (aid, t) in enumerate(zip(aids, succs)):
                    out.enabled[family[aid]] += 1
                    if props:
                        broken = semantics.broken_step(props, cfg, s, t)
                        if broken is not None:
                            self._report(broken, run, init, path, walked, (aid, t),
                                         choices, _choice(aids, j))
                    fp = key(t)
                    fps.append(fp)
                    if fp not in incidence and fp not in met:
                        broken = self._check_state(t)
                        if broken is not None:
                            self._report(broken, run, init, [*path, aid], [*walked, t],
                                         None, [*choices, _choice(aids, j)])
                        met.add(fp)
                        fresh.append(j)
            except (TypeError, RecursionError) as e:
                label = self.model.instances[aids[j]].label()
                raise semantics.unhashable(f"action {label}", succs[j], e) from e
            if len(path) + 1 >= depth:
                break
            choice = self._choose(rng, aids, allowed, caps, fresh if guided else None)
            if choice < 0:
                end = "swarm"
                break
            aid = aids[choice]
            f = family[aid]
            out.taken[f] += 1
            if f in caps:
                caps[f] -= 1
            path.append(aid)
            choices.append(_choice(aids, choice))
            met.add(fps[choice])
            s = succs[choice]
            walked.append(s)
            here = fps[choice]
            self.clock += 1
            if self.clock % _CHECK_CLOCK_EVERY == 0:
                self._tick()
        for fp in met:
            incidence[fp] = incidence.get(fp, 0) + 1
        out.expanded.update(expanded)
        out.steps += len(path)
        out.lengths[len(path)] += 1
        out.ends[end] += 1
        out.depth = max(out.depth, len(path) + 1)

    def _choose(self, rng: _random.Random, aids: Sequence[int], allowed: Sequence[bool],
                caps: dict[int, int], fresh: Sequence[int] | None) -> int:
        """The successor to walk to (an index into ``aids``), or -1 when the swarm
        configuration allows none; ``fresh`` (guided walks) are those never met before."""
        family = self.family
        faults = self.fault_budget
        cands = [j for j, a in enumerate(aids)
                 if allowed[family[a]] and caps.get(family[a], 1) > 0]
        if not cands:  # fall back to every action that is not a fault
            cands = [j for j, a in enumerate(aids) if family[a] not in faults]
        if not cands:
            return -1
        if fresh:
            novel = [j for j in cands if j in fresh]
            if novel:
                cands = novel
        kinds = list(dict.fromkeys(family[aids[j]] for j in cands))
        f = kinds[rng.randrange(len(kinds))] if len(kinds) > 1 else kinds[0]
        of_kind = [j for j in cands if family[aids[j]] == f]
        return of_kind[rng.randrange(len(of_kind))]

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.deadline is not None and now >= self.deadline:
            raise _TimeUp
        if self.progress is not None:
            out = self.out
            self.progress(Progress(len(out.incidence), out.generated, out.depth, 0,
                                   now - self.started))

    # -- checks --------------------------------------------------------------------------------

    def _check_state(self, s: Any) -> semantics.Broken | None:
        """The invariants, then the ``sometimes`` goals not met yet, on a new state."""
        cfg = self.cfg
        broken = semantics.first_broken(self.model.invariants, cfg, (s,))
        if self.pending_sometimes:
            met, missed = semantics.meet(self.pending_sometimes, cfg, (s,),
                                         1 if broken is None else 0)
            if missed is not None:
                broken = missed
            for prop in met:
                self.pending_sometimes.remove(prop)
                self.out.sometimes.add(prop.name)
        return broken

    def _report(self, broken: semantics.Broken, run: int, init: int, path: list[int],
                states: list[Any], step: tuple[int, Any] | None = None,
                choices: list[int] | None = None, choice: int = 0) -> None:
        """End the walk with what ``broken`` found in the last of ``states`` (reached by
        ``path``, taking successors ``choices`` of its actions), or on the ``step`` out of
        it (successor ``choice`` of its action)."""
        if broken.error is not None:
            raise self._error(broken.function, broken.error, init, path, states)
        picks = list(choices or ())
        if step is None:
            raise _Found(_Finding(run, init, list(path), Failure(broken.prop.name, "invariant"),
                                  picks))
        raise _Found(_Finding(run, init, [*path, step[0]], Failure(broken.prop.name, "action"),
                              [*picks, choice]))

    def _deadlock(self, s: Any, run: int, init: int, path: list[int],
                  states: list[Any], choices: list[int]) -> None:
        if not self.deadlock_on:
            return
        try:
            dead = semantics.deadlocked(self.model, s)
        except semantics.Misbehaved as m:
            raise self._error(m.function, m.error, init, path, states) from m.error
        if dead:
            raise _Found(_Finding(run, init, list(path), Failure("deadlock", "deadlock"),
                                  list(choices)))

    def _recheck(self, s: Any, aids: list[int], succs: list[Any], init: int,
                 path: list[int], states: list[Any]) -> None:
        """Execute the actions on ``s`` again; they must give what they gave."""
        action = semantics.rerun(self.model, s, list(zip(aids, succs)), self.table)
        if action is not None:
            trace = self._trace(init, path, states)
            raise semantics.nondeterminism(self.model, action, semantics.where(len(path)),
                                           trace=trace, step=len(path))

    def _inside(self, s: Any, init: int, path: list[int], walked: list[Any]) -> bool:
        """Whether ``s`` (the walk's last state) satisfies the state constraints."""
        try:
            return semantics.within(self.model.constraints, self.cfg, (s,)) == [True]
        except semantics.Misbehaved as m:
            raise self._error(m.function, m.error, init, path, walked) from m.error

    def _trace(self, init: int, path: list[int], states: list[Any]) -> Trace | None:
        try:
            return Trace.from_states(self.model, init, path, states)
        except Exception:  # a state that does not encode (the error says what is wrong)
            return None

    def _error(self, function: str, error: BaseException, init: int, path: list[int],
               states: list[Any]) -> SpecRuntimeError:
        """The spec error of ``function`` in the last of ``states``, reached by ``path``."""
        return semantics.spec_error(function, error, at=semantics.where(len(path)),
                                    trace=self._trace(init, path, states), step=len(path))


def _choice(aids: Sequence[int], j: int) -> int:
    """Which successor of its action instance the ``j``-th of a state's successors is
    (the successors of a generator instance are listed together; 0 for a plain action)."""
    aid, k = aids[j], 0
    while k < j and aids[j - k - 1] == aid:
        k += 1
    return k


class _TimeUp(Exception):
    """The time limit passed in the middle of a walk."""


_REPORT_AFTER_STOP = 10.0
"""Seconds a worker has, after Ctrl-C, to end its walk and report what it met."""


# -- several workers ------------------------------------------------------------------------


def _fork_lanes(model: Model, options: Options, walks: Walks,
                deadline: float | None) -> tuple[list[_LaneResult], str | None]:
    """What each worker's walks met, and why Ctrl-C (or SIGTERM, or the run's watchdog)
    stopped them, if it did: then every worker ends the walk it is on and reports, so
    what was explored is kept."""
    if "fork" not in mp.get_all_start_methods():
        raise UsageError("--workers needs processes started by fork (Linux or macOS); "
                         "run with --workers 1")
    ctx = mp.get_context("fork")
    lowest = ctx.Value("q", _NONE_FOUND, lock=False)
    procs: list[Any] = []
    conns: list[Connection] = []
    interrupted: str | None = None
    dog = watchdog.active()
    if dog is not None:
        # The walkers' memory counts towards a memory limit with this process's.
        dog.pids = lambda: [p.pid for p in procs if p.pid is not None]
    try:
        for w in range(options.workers):
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_lane_main, daemon=True, name=f"modelcheck-walker-{w}",
                               args=(model, options, walks, deadline, w, options.workers,
                                     lowest, send))
            proc.start()
            send.close()
            procs.append(proc)
            conns.append(recv)
        results: list[_LaneResult] = []
        # After the watchdog's interrupt, the walkers' reports are waited for until
        # ``reports_until`` only: a walker that met the time limit has reported already,
        # and one that has not is most likely deep in the expansion that made the
        # watchdog act (filling memory); it is killed.
        reports_until = 0.0

        def left() -> float:
            if interrupted == "interrupted":
                return _REPORT_AFTER_STOP
            return max(reports_until - time.monotonic(), 0.0)

        for proc, conn in zip(procs, conns):
            try:
                if interrupted and not conn.poll(left()):
                    continue  # a worker that does not report in time is left out
                results.append(pickle.loads(conn.recv_bytes()))
            except KeyboardInterrupt:
                interrupted = _interrupted()
                lowest.value = -1  # every worker stops after the walk it is on
                reports_until = time.monotonic() + OVERRUN
                if conn.poll(left()):
                    # The interrupted read may have left half a message: then skip it.
                    with contextlib.suppress(Exception):
                        results.append(pickle.loads(conn.recv_bytes()))
            except EOFError:
                if interrupted:
                    continue  # stopped by the same signal (SIGTERM to the process group)
                raise SpecRuntimeError(f"worker {proc.name} died (exit code "
                                       f"{proc.exitcode})", function="?") from None
        return results, interrupted
    finally:
        lowest.value = -1  # any worker still walking stops after its walk
        for proc in procs:
            proc.join(timeout=5 if interrupted in (None, "interrupted") else 0)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _lane_main(model: Model, options: Options, walks: Walks, deadline: float | None,
               lane: int, lanes: int, lowest: Any, conn: Connection) -> None:
    # Ctrl-C reaches the whole process group; the coordinator ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.closing(conn):
        out = _Lane(model, options, walks, deadline, lane, lanes, lowest).run()
        conn.send_bytes(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))


# -- the result -------------------------------------------------------------------------------


def _result(model: Model, options: Options, walks: Walks, lanes: list[_LaneResult],
            started: float, deadline: float | None, interrupted: str | None,
            timed_out: bool) -> Result:
    """The result of the walks ``lanes`` report; ``interrupted`` says why they were
    interrupted (None: they were not), ``timed_out`` whether the watchdog stopped them
    at the time limit (the lanes say whether they met it themselves)."""
    incidence: dict[int, int] = {}
    expanded: set[int] = set()
    enabled = [0] * len(model.spec.actions)
    taken = [0] * len(model.spec.actions)
    lengths: Counter[int] = Counter()
    ends: Counter[str] = Counter()
    met: set[str] = set()
    runs = steps = generated = depth = 0
    for lane in lanes:
        for fp, k in lane.incidence.items():
            incidence[fp] = incidence.get(fp, 0) + k
        expanded |= lane.expanded
        enabled = [a + b for a, b in zip(enabled, lane.enabled)]
        taken = [a + b for a, b in zip(taken, lane.taken)]
        lengths.update(lane.lengths)
        ends.update(lane.ends)
        met |= lane.sometimes
        runs += lane.runs
        steps += lane.steps
        generated += lane.generated
        depth = max(depth, lane.depth)
    # Actions without an instance in this configuration (faults not asked for) are left
    # out: they are not "never enabled", they do not exist here.
    present = {i.name for i in model.instances}
    coverage = Coverage(
        runs, steps, len(incidence),
        tuple(ActionCount(a.name, e, t) for a, e, t in zip(model.spec.actions, enabled, taken)
              if a.name in present),
        dict(lengths), dict(ends),
        estimate_states(incidence.values(), runs, closed=incidence.keys() <= expanded),
        {p.name: p.name in met for p in model.sometimes})
    findings = [lane.finding for lane in lanes if lane.finding is not None]
    failures = [lane.error for lane in lanes if lane.error is not None]
    errors = [f.exception() for f in failures]
    violation = None
    if findings and not errors:
        first = min(findings, key=lambda f: f.run)
        violation = _violation(model, walks, first, deadline)
        depth = max(depth, (violation.trace.length + 1) if violation.trace else 0)
    stopped: str | None = None
    status: Status
    if errors:
        status = "error"
    elif violation is not None:
        status = "violation"
    elif interrupted is not None:
        status, stopped = "incomplete", interrupted
    elif (timed_out or any(lane.timed_out for lane in lanes)) and walks.runs is not None:
        status = "incomplete"
        stopped = (f"time limit of {options.time_limit:g} s reached after {runs:,} of "
                   f"{walks.runs:,} walks")
    else:
        status = "ok"
        stopped = f"{runs:,} random walks of up to {walks.depth} states"
    seconds = time.perf_counter() - started
    distinct = len(incidence)
    stats = Stats(distinct, generated, depth, seconds, 0,
                  collision_probability(distinct, generated))
    details: dict[str, Any] = {"walks": {"swarm": walks.swarm, "guided": walks.guided,
                                         "workers": options.workers}}
    if errors:
        details["exception"] = errors[0]
    checked, warnings = semantics.what_was_checked(
        model, strategy="random", status=status, exhaustive=False, stopped=stopped,
        violation=violation,
        error=errors[0] if errors else None, deadlock=options.deadlock,
        unmet={p.name for p in model.sometimes if p.name not in met}, temporal_ran=False,
        states=distinct)
    return Result(model.spec.name, model.variant, model.params, "random", status, False,
                  stats, violation, errors[0].message if errors else None, stopped, details,
                  symmetry=model.canonical is not None, view=view_name(model),
                  seed=walks.seed, coverage=coverage,
                  checked=checked, warnings=warnings,
                  error_site=failures[0].site() if failures else None)


def _violation(model: Model, walks: Walks, found: _Finding,
               deadline: float | None) -> Violation:
    states = [dict(model.initial_states())[found.init]]
    for aid, k in zip(found.path, found.choices):
        succs = model.successors(aid, states[-1])
        states.append(succs[k] if k < len(succs) else None)
    original = len(found.path)
    init, path = found.init, list(found.path)
    shrinking = walks.shrink and found.failure.kind != "initial"  # one state: nothing to shrink
    if shrinking:
        left = None if deadline is None else max(deadline - time.perf_counter(), 1.0)
        shrunk = shrink_path(model, init, path, found.failure, time_limit=left,
                             choices=found.choices)
        trace = shrunk.trace(model)
        path = list(shrunk.path)
    else:
        trace = Trace.from_states(model, init, path, states)
    kind: ViolationKind = found.failure.kind
    message = found.failure.message(len(path), model, path[-1] if path else None)
    message += (f" (walk {found.run} of seed {walks.seed}" if found.run >= 0
                else f" (an initial state, seed {walks.seed}")
    message += f", shrunk from {original} steps)" if shrinking else ")"
    return Violation(found.failure.property, kind, trace, message,
                     shrunk_from=original if shrinking else None)
