"""Breadth-first search: the default explorer, and the first violation has a shortest trace.

The frontier is expanded in chunks. For each chunk the hot loop only calls action
functions and collects successors; fingerprinting (in C), removing
duplicates and testing membership in the store are then done for the whole chunk at once
with numpy, and only the new states come back to Python for property checks. States are
discovered in exactly the order of a textbook queue-based BFS, so counts, depths and
traces are deterministic.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from modelcheck import checkpoint, semantics
from modelcheck._signals import note_terminate
from modelcheck.coverage import ActionCoverage, SearchCoverage
from modelcheck.errors import UsageError
from modelcheck.explore import temporal
from modelcheck.explore._base import Found, Options, Run, StepFailure, view_name
from modelcheck.explore._codegen import expander
from modelcheck.fingerprint import fingerprint, fingerprints_into
from modelcheck.model import ActionTable, Model, Successors
from modelcheck.result import Result
from modelcheck.store import NO_PARENT, FingerprintStore, narrow_links

__all__ = ["explore"]

CHUNK = 256
"""Frontier states expanded per batch: large enough to amortise numpy's per-call cost,
small enough that the successors of one batch stay in cache-friendly memory."""

CHUNK_CALLS = 1 << 18
"""Most action calls per batch: a model with very many action instances expands fewer
states per batch, so the limits are still checked often and a batch's successors fit in
memory."""


def chunk_size(model: Model) -> int:
    """Frontier states per batch for ``model``: :data:`CHUNK`, fewer for a wide model."""
    return max(1, min(CHUNK, CHUNK_CALLS // max(1, len(model.instances))))

_UNCHECKED = "; temporal properties were not checked, as they need the whole state graph"


def _records_graph(model: Model) -> bool:
    """Whether the search records the state graph: for temporal properties, and not under
    state constraints, which bound the search as a depth limit does."""
    return bool(model.temporal) and not model.constraints


def _expand_checked(run: Run, cfg: Any, table: ActionTable, chunk: list[Any], base: int,
                    succs: list[Any], actions: list[int], counts: list[int]) -> None:
    """Expand ``chunk`` one call at a time, checking action properties on each transition.

    Also used to find which state and action raised when the generated expander fails.
    """
    for i, s in enumerate(chunk):
        n = len(succs)
        for aid, fn, args in table:
            try:
                r = fn(cfg, s, *args)
            except Exception as e:
                raise StepFailure(s, aid, e) from e
            if r is not None:
                for t in r if r.__class__ is Successors else (r,):
                    run.check_transition(s, base + i, aid, t)
                    succs.append(t)
                    actions.append(aid)
        counts.append(len(succs) - n)


def _scan_deadlocks(run: Run, cfg: Any, table: ActionTable, frontier: list[Any], start: int,
                    level_start: int) -> None:
    """Report the first state of ``frontier[start:]`` in which no action is enabled."""
    for i in range(start, len(frontier)):
        s = frontier[i]
        try:
            enabled = any(fn(cfg, s, *args) is not None for _, fn, args in table)
        except Exception:
            continue  # the search reports the violation it already has
        if not enabled:
            run.deadlock(level_start + i, s)


def explore(model: Model, options: Options) -> Result:
    """Explore ``model`` breadth-first within ``options``' bounds."""
    resumed = checkpoint.load(options.resume) if options.resume else None
    if resumed is not None:
        _check_resumable(model, options, resumed, options.resume or "")
        store = FingerprintStore.restore(resumed.fingerprints, resumed.parents,
                                         resumed.actions, narrow=narrow_links(model))
    else:
        store = FingerprintStore(narrow=narrow_links(model),
                                 indexed=_records_graph(model) or model.multi)
    run = Run(model, options, store, "bfs")
    tally = _Tally(model, store) if options.coverage else None
    if tally is not None:
        run.coverage = tally.coverage
    saver = _Saver(run, options) if options.checkpoint else None
    with _interrupts_deferred(saver is not None) as interrupted:
        return run.outcome(
            lambda: _search(run, model, options, store, resumed, saver, interrupted, tally))


class _Tally:
    """What ``--coverage`` counts, per action instance, a chunk at a time (never in the
    generated expansion code, which is the same with and without it)."""

    def __init__(self, model: Model, store: FingerprintStore) -> None:
        self.model = model
        self.store = store
        n = len(model.instances)
        self.enabled = np.zeros(n, dtype=np.int64)
        self.taken = np.zeros(n, dtype=np.int64)
        self.initial = 0

    def add(self, actions: list[int], counts: list[int]) -> None:
        """Count the transitions of one expanded chunk: ``actions`` holds the instance of
        each successor, state after state (``counts`` successors each), and an instance's
        successors from one state are consecutive."""
        if not actions:
            return
        a = np.array(actions, dtype=np.int64)
        n = len(self.model.instances)
        self.taken += np.bincount(a, minlength=n)
        first = np.ones(len(a), dtype=bool)  # the first successor of an instance and state
        first[1:] = a[1:] != a[:-1]
        starts = np.cumsum(np.array(counts, dtype=np.int64))[:-1]
        first[starts[starts < len(a)]] = True
        self.enabled += np.bincount(a[first], minlength=n)

    def coverage(self) -> SearchCoverage:
        """The counts so far, by action; the new states are read from the store's links."""
        _, parents, acts = self.store.snapshot()
        derived = parents != NO_PARENT
        new = np.bincount(acts[derived].astype(np.int64), minlength=len(self.model.instances))
        out: list[ActionCoverage] = []
        for action in self.model.spec.actions:
            idx = [i.index for i in self.model.instances if i.action is action]
            out.append(ActionCoverage(
                action.name, len(idx), int(np.count_nonzero(self.enabled[idx])),
                int(self.enabled[idx].sum()), int(self.taken[idx].sum()), int(new[idx].sum())))
        return SearchCoverage(self.initial, int(np.count_nonzero(~derived)), tuple(out))


def _admit(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int],
           parents: Any, graph: temporal.GraphRecorder | None = None,
           transitions: bool = True) -> list[Any]:
    """Store the successors not seen before, check them, and return them in order.

    With a ``graph`` (temporal properties), also record the new states and, when
    ``succs`` are ``transitions`` (not initial states), every edge to them. Under a state
    limit, only as many as it leaves room for are stored (the first ones found).
    """
    if not succs:
        return []
    fps = _fingerprints(run, succs, actions)
    if run.audit is not None:
        run.audit.check(fps, _identities(run, succs))
    if not store.indexed:
        uniq, first = np.unique(fps, return_index=True)
        missing = store.missing(uniq)
    else:  # the graph's edges go to the stored states' indices (generator actions' paths too)
        uniq, first, inverse = np.unique(fps, return_index=True, return_inverse=True)
        where = store.indices(uniq)
        missing = where < 0
    if not missing.any():
        if graph is not None and transitions:
            graph.edges(where[inverse], actions)
        return []
    pos = np.sort(first[missing])
    if run.model.constraints:
        return _admit_constrained(run, store, succs, actions, parents, fps, pos)
    new_fps = uniq[missing]
    room = run.room()
    if room is not None and len(pos) > room:
        pos = pos[:room]
        new_fps = np.sort(fps[pos])
        run.cut_short = True
    first_index = len(store)
    positions = pos.tolist()
    indices = None
    if store.indexed:
        where[missing] = temporal.discovery_indices(first[missing], len(pos), first_index)
        indices = where[missing]
        indices = indices[indices >= 0]
        if graph is not None and transitions:
            graph.edges(where[inverse], actions)
    store.add(new_fps, parents[pos],
              np.array([actions[p] for p in positions], dtype=np.uint32), indices)
    new = [succs[p] for p in positions]
    run.check_new(new, first_index)
    if graph is not None:
        graph.states(fps[pos], new, first_index)
    return new


def _admit_met(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int],
               counts: list[int], base: int) -> None:
    """Admit the successors an expansion stopped by an action property had produced
    (``counts`` per state expanded in full, the rest from the state it stopped at), so
    that a new state among them that breaks an invariant is reported first: it comes
    before the broken transition in breadth-first order, with a trace as short. Whatever
    size the batches are, the violation reported is then the first a textbook search
    meets."""
    per_state = [*counts, len(succs) - sum(counts)]
    parents = np.repeat(np.arange(base, base + len(per_state), dtype=np.uint32),
                        np.array(per_state, dtype=np.int64))
    _admit(run, store, succs, actions, parents)


def _admit_constrained(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int],
                       parents: Any, fps: npt.NDArray[np.int64], pos: Any) -> list[Any]:
    """:func:`_admit` for a model with state constraints, where the search applies them.

    The new states at positions ``pos`` of ``succs`` are all checked, in order; only
    those inside the constraints are stored and returned (to be expanded). The others are
    not stored, as in TLC: met again, they are checked again.
    """
    positions: list[int] = pos.tolist()
    candidates = [succs[p] for p in positions]
    links = [(int(parents[p]), actions[p]) for p in positions]
    inside = run.within(candidates, links)
    keep = [p for p, ok in zip(positions, inside) if ok]
    room = run.room()
    if room is not None and len(keep) > room:
        # The state limit: nothing after the first state it leaves out is checked.
        end = positions.index(keep[room])
        candidates, links, inside = candidates[:end], links[:end], inside[:end]
        keep = keep[:room]
        run.cut_short = True
    first_index = len(store)
    if keep:
        at = np.array(keep, dtype=np.int64)
        order = np.argsort(fps[at], kind="stable")
        store.add(fps[at][order], parents[at],
                  np.array([actions[p] for p in keep], dtype=np.uint32),
                  first_index + order if store.indexed else None)
    run.check_new(candidates, first_index,
                  {j: links[j] for j, ok in enumerate(inside) if not ok})
    return [succs[p] for p in keep]


def _search(run: Run, model: Model, options: Options, store: FingerprintStore,
            resumed: checkpoint.Checkpoint | None, saver: _Saver | None,
            interrupted: list[bool], tally: _Tally | None = None) -> Result:
    cfg = model.config
    table = model.table()
    cut = False
    # Temporal properties need the state graph: recorded per chunk, never per successor.
    # (State constraints bound the search, as a depth limit does: no graph then.)
    graph = temporal.GraphRecorder(run) if _records_graph(model) else None
    size = chunk_size(model)
    if resumed is None:
        frontier = []
        for lo in range(0, len(model.inits), size):
            inits = run.initial_states(lo, lo + size)
            init_states = [s for _, s in inits]
            run.generated += len(init_states)
            if tally is not None:
                tally.initial += len(init_states)
            frontier += _admit(run, store, init_states, [i for i, _ in inits],
                               np.full(len(inits), NO_PARENT, dtype=np.uint32), graph,
                               transitions=False)
            run.depth = 1 if frontier else 0
            stop = run.limit_reached()
            if stop is not None:
                return run.result("incomplete", exhaustive=False, stopped=stop)
        next_frontier: list[Any] = []
        level_start = 0
    else:
        frontier, next_frontier = _rebuild(model, resumed, store, options.resume or "")
        level_start = resumed.expand_from
        run.depth = resumed.depth
        run.generated = resumed.generated
        run.started -= resumed.seconds
        cut = resumed.cut
        pending = set(resumed.pending_sometimes)
        run.pending_sometimes = [p for p in model.sometimes if p.name in pending]
        run.details["resumed_from"] = {"distinct_states": len(store),
                                       "generated_states": run.generated}
        if not frontier and next_frontier:  # saved at the end of a level
            frontier, next_frontier = next_frontier, []
            run.depth += 1
    checked = bool(model.action_properties)
    expand = expander(model, checked=checked)
    check_transition = run.check_transition
    while frontier:
        # At the depth bound the frontier is still expanded (deadlocks and action
        # properties are checked there), but successors are only looked up: a new one
        # means the bound cut the search short.
        last = options.max_depth is not None and run.depth >= options.max_depth
        for start in range(0, len(frontier), size):
            chunk = frontier[start:start + size]
            base = level_start + start
            succs: list[Any] = []
            actions: list[int] = []
            counts: list[int] = []
            try:
                try:
                    if checked:
                        expand(chunk, succs, actions, counts, base, check_transition)
                    else:
                        expand(chunk, succs, actions, counts)
                except Found:
                    # A deadlock in this level has a shorter trace than a transition out
                    # of it: look for one before reporting. Then, as a textbook search
                    # would, check the new states met before the broken transition.
                    if not run.continuing:
                        if options.deadlock:
                            _scan_deadlocks(run, cfg, table, frontier, start, level_start)
                        if not last:
                            _admit_met(run, store, succs, actions, counts, base)
                    raise
                except Exception as e:
                    # Find the state and action (or action property) that raised, one
                    # call at a time; that raises the error as it should be reported.
                    _expand_checked(run, cfg, table, chunk, base, [], [], [])
                    raise run.spec_error("an action", e, None) from e
            except StepFailure as failure:
                at = next(i for i, s in enumerate(chunk) if s is failure.state)
                raise run.step_failure(failure, base + at) from failure.error
            run.recheck(chunk, base, succs, actions, counts)
            run.generated += len(succs)
            if tally is not None:
                tally.add(actions, counts)
            if graph is not None:
                graph.expanded(counts)
            if 0 in counts:
                for i, c in enumerate(counts):
                    if c == 0:
                        run.deadlock(base + i, chunk[i])
            if last:
                cut = cut or _any_new(run, store, succs, actions, graph)
            else:
                parents = np.repeat(np.arange(base, base + len(chunk), dtype=np.uint32),
                                    np.array(counts, dtype=np.int64))
                try:
                    next_frontier += _admit(run, store, succs, actions, parents, graph)
                except Found:
                    # A deadlock later in this level has a shorter trace than a violation
                    # found one level deeper: look for one before reporting.
                    if options.deadlock and not run.continuing:
                        _scan_deadlocks(run, cfg, table, frontier, start + len(chunk),
                                        level_start)
                    raise
            done = start + len(chunk)
            run.queue = len(frontier) - done + len(next_frontier)
            run.report()
            stop = run.limit_reached() or ("interrupted" if interrupted[0] else None)
            if stop is not None:
                run.stand_down()  # a deferred Ctrl-C too: the checkpoint is written
            if saver is not None and (stop is not None or saver.due()):
                if run.cut_short and not last:
                    # The state limit left successors of this chunk unstored: a resumed
                    # search expands the chunk again (and counts it once).
                    run.generated -= len(succs)
                    saver.save(base, level_start + len(frontier), cut)
                    run.generated += len(succs)
                else:
                    saver.save(level_start + done, level_start + len(frontier), cut)
            if stop is not None:
                if graph is not None:
                    stop += _UNCHECKED
                return run.result("incomplete", exhaustive=False, stopped=stop)
        level_start += len(frontier)
        frontier, next_frontier = next_frontier, []
        if frontier:
            run.depth += 1
    run.queue = 0
    if saver is not None:
        saver.save(level_start, level_start, cut)
    bounded = f"depth limit of {options.max_depth} reached" if cut else None
    if graph is not None:
        if bounded is not None:
            bounded += _UNCHECKED
        else:
            violation = temporal.check(run, graph.build(store.parents, store.actions),
                                       every=run.continuing)
            if violation is not None:
                run.found(violation)
    return run.finish(bounded=bounded)


class _Saver:
    """Writes a checkpoint every ``checkpoint_every`` seconds, and when the search stops."""

    def __init__(self, run: Run, options: Options) -> None:
        self.run = run
        self.directory = options.checkpoint or ""
        checkpoint.prepare(self.directory)
        self.every = options.checkpoint_every
        self.last = time.monotonic()
        run.details["checkpoint"] = self.directory

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def save(self, expand_from: int, next_level: int, cut: bool) -> None:
        """Save the search, whose states from ``expand_from`` on are still to expand
        (those from ``next_level`` on in the next level)."""
        run = self.run
        store = run.store
        assert isinstance(store, FingerprintStore)
        fps, parents, actions = store.snapshot()
        checkpoint.save(self.directory, checkpoint.Checkpoint(
            _identity(run.model), _shaping(run.options), run.depth, expand_from, next_level,
            run.generated, run.elapsed(), cut, tuple(p.name for p in run.pending_sometimes),
            fps, parents, actions))
        self.last = time.monotonic()


def _identity(model: Model) -> dict[str, Any]:
    """What a checkpoint must be of to be resumed with ``model``: the same configuration
    of the same spec, with the same inits and action instances (the stored indices)."""
    out: dict[str, Any] = {
        "spec": model.spec.name, "variant": model.variant, "params": model.params,
        "symmetry": model.canonical is not None, "inits": len(model.inits),
        "instances": len(model.instances)}
    if model.constraints:
        out["constraints"] = [c.name for c in model.constraints]
    # Absent from checkpoints of searches without a view, as from those saved before
    # views existed: None for both.
    out["view"] = view_name(model)
    return out


def _shaping(options: Options) -> dict[str, Any]:
    """The options that decide which states a search stores and expands."""
    return {"max_depth": options.max_depth, "deadlock": options.deadlock}


def _describe(shaping: dict[str, Any]) -> str:
    depth = shaping.get("max_depth")
    return ", ".join((f"--max-depth {depth}" if depth is not None else "no --max-depth",
                      "deadlock checks" if shaping.get("deadlock") else "--no-deadlock"))


def _check_resumable(model: Model, options: Options, cp: checkpoint.Checkpoint,
                     directory: str) -> None:
    """Refuse a checkpoint of another model, or one taken with other search options."""
    mine = _identity(model)
    theirs = {k: cp.model.get(k) for k in mine}
    if theirs != mine:
        raise UsageError(f"checkpoint {directory} is of another model: {theirs}, not {mine}")
    # Expanded states were checked for deadlocks, and the depth bound kept states out
    # of the store, under the options of the run that saved them.
    if {k: cp.options.get(k) for k in _shaping(options)} != _shaping(options):
        raise UsageError(
            f"checkpoint {directory} was saved by a search with {_describe(cp.options)}; "
            f"resume it with the same options (this one has {_describe(_shaping(options))})")
    unknown = set(cp.pending_sometimes) - {p.name for p in model.sometimes}
    if unknown:
        raise UsageError(f"checkpoint {directory} is of another model: it names sometimes "
                         f"properties {sorted(unknown)}, which {model.spec.name!r} lacks")


def _rebuild(model: Model, cp: checkpoint.Checkpoint, store: FingerprintStore,
             directory: str) -> tuple[list[Any], list[Any]]:
    """The frontier and next frontier of ``cp``, rebuilt from the stored links.

    Each state from ``cp.expand_from`` on is re-executed along its stored path from its
    initial state, memoised over the ancestors the paths share (parents precede their
    children, so one pass in store order does it). Under symmetry reduction the store
    links the successors themselves, not their orbits' representatives, so the paths
    replay exactly. Every rebuilt state must fingerprint to a stored value, no two to
    the same one; and the last chunk of states the checkpoint says were expanded is
    expanded again, each successor having to be stored (unless the depth bound cut the
    search, or it lies outside the state constraints). A checkpoint of another version of
    the spec, of a nondeterministic spec, or one that lies about its progress fails these
    checks.
    """
    n = cp.distinct
    recheck = cp.expand_from if cp.cut else max(0, cp.expand_from - CHUNK)
    parents, actions = cp.parents, cp.actions
    wanted = [np.arange(recheck, n, dtype=np.int64)]
    while len(wanted[-1]):
        up = parents[wanted[-1]]
        wanted.append(np.unique(up[up != NO_PARENT]).astype(np.int64))
    order = np.unique(np.concatenate(wanted)).tolist()
    cfg = model.config
    canon = model.identify

    def refuse(what: str) -> UsageError:
        return UsageError(
            f"checkpoint {directory} does not match spec {model.spec.name!r} as it is now: "
            f"re-executing {what}. It was saved with another version of the spec, or the "
            "spec is nondeterministic (iterating a set of strings in hash order, reading a "
            "clock or a global); start the search again")

    states: dict[int, Any] = {}
    for i in order:
        parent, aid = int(parents[i]), int(actions[i])
        inst = model.inits[aid] if parent == NO_PARENT else model.instances[aid]
        try:
            s = (inst.action.fn(cfg, *inst.args) if parent == NO_PARENT
                 else model.apply(aid, states[parent]))
        except Exception as e:
            raise refuse(f"the path to stored state {i} ({inst.label()}) raises "
                         f"{type(e).__name__}: {e}") from None
        if s is None:
            raise refuse(f"the path to stored state {i} ({inst.label()}) finds it not enabled")
        states[i] = s
    fps = _keys(states.values(), canon,
                lambda: refuse("the stored paths gives a state that is not hashable"))
    missing = store.missing(fps)
    if missing.any():
        i = order[int(np.argmax(missing))]
        label = (model.inits if parents[i] == NO_PARENT else model.instances)[actions[i]].label()
        raise refuse(f"the path to stored state {i} ({label}) gives a state the checkpoint "
                     "lacks")
    if len(np.unique(fps)) != len(fps):
        raise refuse("the paths to two stored states gives the same state")
    expanded = range(recheck, cp.expand_from)
    succs: list[tuple[int, int, Any]] = []
    for i in expanded:
        for inst in model.instances:
            try:
                t = model.apply(inst.index, states[i])
            except Exception as e:
                raise refuse(f"the path to stored state {i} and taking {inst.label()} "
                             f"raises {type(e).__name__}: {e}") from None
            if t is not None:
                succs.append((i, inst.index, t))
    if model.constraints:  # a successor outside the state constraints is not stored
        try:
            inside = semantics.within(model.constraints, cfg, [t for _, _, t in succs])
        except semantics.Misbehaved as m:
            raise refuse(f"{m.function} raises or returns a non-bool ({m.error})") from None
        succs = [step for step, ok in zip(succs, inside) if ok]
    missing = store.missing(_keys((t for _, _, t in succs), canon, lambda: refuse(
        "the stored paths and a step from them gives a state that is not hashable")))
    if missing.any():
        i, aid, _ = succs[int(np.argmax(missing))]
        raise refuse(f"the path to stored state {i} and taking {model.instances[aid].label()} "
                     "gives a state the checkpoint lacks, though it says the state was "
                     "expanded")
    return ([states[i] for i in range(cp.expand_from, cp.next_level)],
            [states[i] for i in range(cp.next_level, n)])


def _keys(states: Iterable[Any], canon: Callable[[Any], Any] | None,
          unhashable: Callable[[], UsageError]) -> npt.NDArray[np.int64]:
    """The fingerprints ``states`` are stored under."""
    try:
        return np.fromiter(map(fingerprint, states if canon is None else map(canon, states)),
                           dtype=np.int64)
    except (TypeError, RecursionError):
        raise unhashable() from None


@contextlib.contextmanager
def _interrupts_deferred(defer: bool) -> Iterator[list[bool]]:
    """While checkpointing, Ctrl-C and SIGTERM ask the search to stop at the next chunk
    boundary (where a consistent checkpoint can be written); a second one stops at once."""
    flag = [False]
    if not defer or threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        if signum == signal.SIGTERM:
            note_terminate()
        if flag[0]:
            raise KeyboardInterrupt
        flag[0] = True

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _any_new(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int],
             graph: temporal.GraphRecorder | None = None) -> bool:
    """Whether any of ``succs`` is not stored yet (without storing it)."""
    if not succs:
        return False
    fps = _fingerprints(run, succs, actions)
    if run.audit is not None:
        run.audit.check(fps, _identities(run, succs))
    if graph is not None:
        uniq, inverse = np.unique(fps, return_inverse=True)
        where = store.indices(uniq)
        graph.edges(where[inverse], actions)
        return bool((where < 0).any())
    return bool(store.missing(np.unique(fps)).any())


def _fingerprints(run: Run, succs: list[Any], actions: list[int]) -> npt.NDArray[np.int64]:
    """The fingerprints of ``succs``, computed in C; a spec error names an unhashable one.

    Under symmetry reduction a state's fingerprint is that of its orbit's representative;
    the frontier keeps the successors themselves, so stored paths replay exactly.
    """
    canonical = run.model.identify
    states = succs if canonical is None else list(map(canonical, succs))
    out = np.empty(len(succs), dtype=np.int64)
    try:
        fingerprints_into(states, out)
    except (TypeError, RecursionError) as e:
        raise run.unhashable(succs, actions, e) from e
    return out


def _identities(run: Run, succs: list[Any]) -> list[Any]:
    """What ``succs`` are stored as: themselves, or their orbits' representatives."""
    canonical = run.model.identify
    return succs if canonical is None else list(map(canonical, succs))
