"""Breadth-first search: the default explorer, and the first violation has a shortest trace.

The frontier is expanded in chunks. For each chunk the hot loop only calls action
functions and collects successors; fingerprinting (``map(hash, ...)`` in C), removing
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
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from modelcheck import checkpoint
from modelcheck.errors import UsageError
from modelcheck.explore._base import Found, Options, Run, StepFailure
from modelcheck.explore._codegen import expander
from modelcheck.fingerprint import fingerprint
from modelcheck.model import ActionTable, Model
from modelcheck.properties import temporal
from modelcheck.result import Result
from modelcheck.store import NO_PARENT, FingerprintStore, narrow_links

__all__ = ["explore"]

CHUNK = 256
"""Frontier states expanded per batch: large enough to amortise numpy's per-call cost,
small enough that the successors of one batch stay in cache-friendly memory."""

_UNCHECKED = "; temporal properties were not checked, as they need the whole state graph"


def _expand_checked(run: Run, cfg: Any, table: ActionTable, chunk: list[Any], base: int,
                    succs: list[Any], actions: list[int], counts: list[int]) -> None:
    """Expand ``chunk`` one call at a time, checking action properties on each transition.

    Also used to find which state and action raised when the generated expander fails.
    """
    for i, s in enumerate(chunk):
        n = len(succs)
        for aid, fn, args in table:
            try:
                t = fn(cfg, s, *args)
            except Exception as e:
                raise StepFailure(s, aid, e) from e
            if t is not None:
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
        _check_resumable(model, resumed, options.resume or "")
        store = FingerprintStore.restore(resumed.fingerprints, resumed.parents,
                                         resumed.actions, narrow=narrow_links(model))
    else:
        store = FingerprintStore(narrow=narrow_links(model))
    run = Run(model, options, store, "bfs")
    saver = _Saver(run, options) if options.checkpoint else None
    with _interrupts_deferred(saver is not None) as interrupted:
        return run.outcome(
            lambda: _search(run, model, options, store, resumed, saver, interrupted))


def _admit(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int],
           parents: Any, graph: temporal.GraphRecorder | None = None,
           transitions: bool = True) -> list[Any]:
    """Store the successors not seen before, check them, and return them in order.

    With a ``graph`` (temporal properties), also record the new states and, when
    ``succs`` are ``transitions`` (not initial states), every edge to them.
    """
    if not succs:
        return []
    fps = _fingerprints(run, succs, actions)
    if graph is not None and transitions:
        graph.edges(fps, actions)
    uniq, first = np.unique(fps, return_index=True)
    missing = store.missing(uniq)
    if not missing.any():
        return []
    pos = np.sort(first[missing])
    first_index = len(store)
    positions = pos.tolist()
    store.add(uniq[missing], parents[pos],
              np.array([actions[p] for p in positions], dtype=np.uint32))
    new = [succs[p] for p in positions]
    run.check_new(new, first_index)
    if graph is not None:
        graph.states(fps[pos], new, first_index)
    return new


def _search(run: Run, model: Model, options: Options, store: FingerprintStore,
            resumed: checkpoint.Checkpoint | None, saver: _Saver | None,
            interrupted: list[bool]) -> Result:
    cfg = model.config
    table = model.table()
    cut = False
    # Temporal properties need the state graph: recorded per chunk, never per successor.
    graph = temporal.GraphRecorder(run) if model.temporal else None
    if resumed is None:
        inits = run.initial_states()
        init_states = [s for _, s in inits]
        run.generated = len(init_states)
        frontier = _admit(run, store, init_states, [i for i, _ in inits],
                          np.full(len(inits), NO_PARENT, dtype=np.uint32), graph,
                          transitions=False)
        next_frontier: list[Any] = []
        level_start = 0
        run.depth = 1 if frontier else 0
    else:
        meta = resumed.meta
        frontier, next_frontier = resumed.frontier, resumed.next_frontier
        level_start = int(meta["level_start"])
        run.depth = int(meta["depth"])
        run.generated = int(meta["generated"])
        run.started -= float(meta["seconds"])
        cut = bool(meta["cut"])
        pending = set(meta["pending_sometimes"])
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
        for start in range(0, len(frontier), CHUNK):
            chunk = frontier[start:start + CHUNK]
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
                    # of it: look for one before reporting.
                    if options.deadlock:
                        _scan_deadlocks(run, cfg, table, frontier, start, level_start)
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
                    if options.deadlock:
                        _scan_deadlocks(run, cfg, table, frontier, start + len(chunk),
                                        level_start)
                    raise
            done = start + len(chunk)
            run.queue = len(frontier) - done + len(next_frontier)
            run.report()
            stop = "interrupted" if interrupted[0] else run.limit_reached()
            if saver is not None and (stop is not None or saver.due()):
                saver.save(frontier[done:], next_frontier, level_start + done, cut)
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
        saver.save([], [], level_start, cut)
    bounded = f"depth limit of {options.max_depth} reached" if cut else None
    if graph is not None:
        if bounded is not None:
            bounded += _UNCHECKED
        else:
            violation = temporal.check(run, graph.build(store.parents, store.actions))
            if violation is not None:
                raise Found(violation)
    return run.finish(bounded=bounded)


class _Saver:
    """Writes a checkpoint every ``checkpoint_every`` seconds, and when the search stops."""

    def __init__(self, run: Run, options: Options) -> None:
        self.run = run
        self.directory = options.checkpoint or ""
        self.every = options.checkpoint_every
        self.last = time.monotonic()
        run.details["checkpoint"] = self.directory

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def save(self, frontier: list[Any], next_frontier: list[Any], level_start: int,
             cut: bool) -> None:
        run = self.run
        store = run.store
        assert isinstance(store, FingerprintStore)
        fps, parents, actions = store.snapshot()
        model = run.model
        meta: dict[str, Any] = {
            "spec": model.spec.name, "variant": model.variant, "params": model.params,
            "symmetry": model.canonical is not None, "depth": run.depth,
            "level_start": level_start, "generated": run.generated,
            "distinct": len(store), "seconds": run.elapsed(), "cut": cut,
            "pending_sometimes": [p.name for p in run.pending_sometimes],
        }
        checkpoint.save(self.directory, checkpoint.Checkpoint(
            meta, fps, parents, actions, frontier, next_frontier))
        self.last = time.monotonic()


def _check_resumable(model: Model, cp: checkpoint.Checkpoint, directory: str) -> None:
    """Refuse a checkpoint of another model, or one whose fingerprints do not match."""
    meta = cp.meta
    mine = {"spec": model.spec.name, "variant": model.variant, "params": model.params,
            "symmetry": model.canonical is not None}
    theirs = {k: meta.get(k) for k in mine}
    if theirs != mine:
        raise UsageError(f"checkpoint {directory} is of another model: {theirs}, not {mine}")
    # The states it holds must fingerprint to stored values in this process.
    sample = (cp.frontier + cp.next_frontier)[:1000]
    if sample:
        canon = model.canonical
        fps = np.fromiter((fingerprint(s if canon is None else canon(s)) for s in sample),
                          dtype=np.int64, count=len(sample))
        store = FingerprintStore.restore(cp.fingerprints, cp.parents, cp.actions)
        if store.missing(fps).any():
            raise UsageError(
                f"checkpoint {directory}: its states fingerprint differently in this "
                "process, so it cannot be resumed here (the hash seed or Python version "
                "differs from the run that wrote it)")


@contextlib.contextmanager
def _interrupts_deferred(defer: bool) -> Iterator[list[bool]]:
    """While checkpointing, Ctrl-C asks the search to stop at the next chunk boundary
    (where a consistent checkpoint can be written); a second Ctrl-C stops at once."""
    flag = [False]
    if not defer or threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        if flag[0]:
            raise KeyboardInterrupt
        flag[0] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _any_new(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int],
             graph: temporal.GraphRecorder | None = None) -> bool:
    """Whether any of ``succs`` is not stored yet (without storing it)."""
    if not succs:
        return False
    fps = _fingerprints(run, succs, actions)
    if graph is not None:
        graph.edges(fps, actions)
    return bool(store.missing(np.unique(fps)).any())


def _fingerprints(run: Run, succs: list[Any], actions: list[int]) -> npt.NDArray[np.int64]:
    """The fingerprints of ``succs``, computed in C; a spec error names an unhashable one.

    Under symmetry reduction a state's fingerprint is that of its orbit's representative;
    the frontier keeps the successors themselves, so stored paths replay exactly.
    """
    canonical = run.model.canonical
    states = succs if canonical is None else map(canonical, succs)
    try:
        return np.fromiter(map(fingerprint, states), dtype=np.int64, count=len(succs))
    except TypeError as e:
        raise run.unhashable(succs, actions, e) from e
