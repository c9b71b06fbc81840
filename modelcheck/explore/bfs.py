"""Breadth-first search: the default explorer, and the first violation has a shortest trace.

The frontier is expanded in chunks. For each chunk the hot loop only calls action
functions and collects successors; fingerprinting (``map(hash, ...)`` in C), removing
duplicates and testing membership in the store are then done for the whole chunk at once
with numpy, and only the new states come back to Python for property checks. States are
discovered in exactly the order of a textbook queue-based BFS, so counts, depths and
traces are deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from modelcheck.errors import SpecRuntimeError
from modelcheck.explore._base import Found, Options, Run, StepFailure
from modelcheck.explore._codegen import expander
from modelcheck.fingerprint import fingerprint
from modelcheck.model import ActionTable, Model
from modelcheck.result import Result
from modelcheck.store import NO_PARENT, FingerprintStore

__all__ = ["explore"]

CHUNK = 2048
"""Frontier states expanded per batch: large enough to amortise numpy's per-call cost,
small enough that the successors of one batch stay in cache-friendly memory."""

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
    store = FingerprintStore()
    run = Run(model, options, store, "bfs")
    try:
        return _search(run, model, options, store)
    except Found as found:
        return run.violation(found)
    except SpecRuntimeError as e:
        return run.failed(e)
    except KeyboardInterrupt:
        return run.result("incomplete", exhaustive=False, stopped="interrupted")


def _admit(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int],
           parents: Any) -> list[Any]:
    """Store the successors not seen before, check them, and return them in order."""
    if not succs:
        return []
    fps = _fingerprints(run, succs, actions)
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
    return new


def _search(run: Run, model: Model, options: Options, store: FingerprintStore) -> Result:
    cfg = model.config
    table = model.table()
    inits = model.initial_states()
    init_states = [s for _, s in inits]
    run.generated = len(init_states)
    frontier = _admit(run, store, init_states, [i for i, _ in inits],
                      np.full(len(inits), NO_PARENT, dtype=np.uint32))
    level_start = 0
    run.depth = 1 if frontier else 0
    checked = bool(model.action_properties)
    expand = expander(model)
    cut = False
    while frontier:
        # At the depth bound the frontier is still expanded (deadlocks and action
        # properties are checked there), but successors are only looked up: a new one
        # means the bound cut the search short.
        last = options.max_depth is not None and run.depth >= options.max_depth
        next_frontier: list[Any] = []
        for start in range(0, len(frontier), CHUNK):
            chunk = frontier[start:start + CHUNK]
            base = level_start + start
            succs: list[Any] = []
            actions: list[int] = []
            counts: list[int] = []
            try:
                if checked:
                    try:
                        _expand_checked(run, cfg, table, chunk, base, succs, actions, counts)
                    except Found:
                        # A deadlock in this level has a shorter trace than a transition
                        # out of it: look for one before reporting.
                        if options.deadlock:
                            _scan_deadlocks(run, cfg, table, frontier, start, level_start)
                        raise
                else:
                    try:
                        expand(chunk, succs, actions, counts)
                    except Exception as e:
                        # Find the state and action that raised, one at a time.
                        _expand_checked(run, cfg, table, chunk, base, [], [], [])
                        raise run.spec_error("an action", e, None) from e
            except StepFailure as failure:
                at = next(i for i, s in enumerate(chunk) if s is failure.state)
                raise run.step_failure(failure, base + at) from failure.error
            run.generated += len(succs)
            if 0 in counts:
                for i, c in enumerate(counts):
                    if c == 0:
                        run.deadlock(base + i, chunk[i])
            if last:
                cut = cut or _any_new(run, store, succs, actions)
            else:
                parents = np.repeat(np.arange(base, base + len(chunk), dtype=np.uint32),
                                    np.array(counts, dtype=np.int64))
                try:
                    next_frontier += _admit(run, store, succs, actions, parents)
                except Found:
                    # A deadlock later in this level has a shorter trace than a violation
                    # found one level deeper: look for one before reporting.
                    if options.deadlock:
                        _scan_deadlocks(run, cfg, table, frontier, start + len(chunk),
                                        level_start)
                    raise
            run.queue = len(frontier) - start - len(chunk) + len(next_frontier)
            run.report()
            stop = run.limit_reached()
            if stop is not None:
                return run.result("incomplete", exhaustive=False, stopped=stop)
        level_start += len(frontier)
        frontier = next_frontier
        if frontier:
            run.depth += 1
    run.queue = 0
    return run.finish(bounded=f"depth limit of {options.max_depth} reached" if cut else None)


def _any_new(run: Run, store: FingerprintStore, succs: list[Any], actions: list[int]) -> bool:
    """Whether any of ``succs`` is not stored yet (without storing it)."""
    if not succs:
        return False
    return bool(store.missing(np.unique(_fingerprints(run, succs, actions))).any())


def _fingerprints(run: Run, succs: list[Any], actions: list[int]) -> npt.NDArray[np.int64]:
    """The fingerprints of ``succs``, computed in C; a spec error names an unhashable one."""
    try:
        return np.fromiter(map(fingerprint, succs), dtype=np.int64, count=len(succs))
    except TypeError as e:
        raise run.unhashable(succs, actions, e) from e
