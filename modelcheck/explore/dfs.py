"""Depth-first search: iterative (no recursion limit), with an optional depth bound.

Useful when a violation is expected deep in a large state space, where breadth-first
search would hold a huge frontier. Traces are not necessarily shortest. With a depth
bound, a state first met deep and cut off is explored again when it is met closer to an
initial state, so the bounded search still covers every state within the bound.
"""

from __future__ import annotations

from typing import Any

from modelcheck.errors import SpecRuntimeError
from modelcheck.explore._base import Found, Options, Run, StepFailure
from modelcheck.fingerprint import fingerprint
from modelcheck.model import Model, Successors
from modelcheck.result import Result
from modelcheck.semantics import RECHECK_EVERY
from modelcheck.store import NO_PARENT, DictStore

__all__ = ["explore"]

REPORT_EVERY = 4096
"""States expanded between two looks at the clock, the limits and the progress callback."""


def explore(model: Model, options: Options) -> Result:
    """Explore ``model`` depth-first within ``options``' bounds."""
    store = DictStore()
    run = Run(model, options, store, "dfs")
    return run.outcome(lambda: _search(run, model, options, store))


def _search(run: Run, model: Model, options: Options, store: DictStore) -> Result:
    cfg = model.config
    table = model.table()
    index, depths = store.index, store.depths
    max_depth = options.max_depth
    cap = options.max_states  # held exactly: checked as each new state is stored
    checked = bool(model.action_properties)
    # Under symmetry reduction the fingerprint of a state is its orbit's, under a view
    # its view's (run.fingerprint).
    key = fingerprint if model.identify is None else run.fingerprint
    audit, canonical = run.audit, model.identify
    stack: list[tuple[Any, int, int]] = []
    outside: set[int] = set()  # stored states outside the state constraints: not expanded
    unbounded = not model.constraints
    inits = run.initial_states()
    run.generated = len(inits)
    for init_index, s in inits:
        fp = key(s)  # run.initial_states() checked that it can be fingerprinted
        if audit is not None:
            audit.check((fp,), (s if canonical is None else canonical(s),))
        if fp not in index:
            i = store.add_one(fp, NO_PARENT, init_index, 1)
            run.check_new([s], i)
            if unbounded or run.explorable([s], i):
                stack.append((s, i, 1))
            else:
                outside.add(i)
            if len(index) == cap:
                run.depth = 1
                return run.result("incomplete", exhaustive=False, stopped=run.limit_reached())
    stack.reverse()  # explore the first initial state first
    run.depth = 1 if stack else 0
    cut: set[int] = set()  # fingerprints met only beyond the depth bound (so far)
    expanded = 0
    while stack:
        s, i, d = stack.pop()
        if depths[i] < d:
            continue  # met again closer to an initial state; that visit covers this one
        if d > run.depth:
            run.depth = d
        # At the depth bound a state is still expanded (deadlocks and action properties
        # are checked there), but its successors are only looked up.
        last = max_depth is not None and d >= max_depth
        enabled = 0
        aid = -1
        # One expansion in RECHECK_EVERY is kept, executed again and compared.
        produced: list[tuple[int, Any]] | None = (
            [] if expanded % RECHECK_EVERY == 0 else None)
        try:
            for aid, fn, args in table:
                r = fn(cfg, s, *args)
                if r is None:
                    continue
                for t in r if r.__class__ is Successors else (r,):
                    enabled += 1
                    if produced is not None:
                        produced.append((aid, t))
                    if checked:
                        run.check_transition(s, i, aid, t)
                    try:
                        fp = key(t)
                    except (TypeError, RecursionError) as e:
                        raise run.unhashable([t], [aid], e) from e
                    if audit is not None:
                        audit.check((fp,), (t if canonical is None else canonical(t),))
                    j = index.get(fp)
                    if last:
                        if j is None:
                            cut.add(fp)
                    elif j is None:
                        j = store.add_one(fp, i, aid, d + 1)
                        run.check_new([t], j)
                        if unbounded or run.explorable([t], j):
                            stack.append((t, j, d + 1))
                        else:
                            outside.add(j)
                        if len(index) == cap:
                            run.generated += enabled
                            return run.result("incomplete", exhaustive=False,
                                              stopped=run.limit_reached())
                    elif max_depth is not None and depths[j] > d + 1:
                        store.parents[j], store.actions[j], depths[j] = i, aid, d + 1
                        if j not in outside:
                            stack.append((t, j, d + 1))
        except (Found, SpecRuntimeError):
            raise
        except Exception as e:
            raise run.step_failure(StepFailure(s, aid, e), i) from e
        if produced is not None:
            run.recheck_state(s, i, produced)
        run.generated += enabled
        if enabled == 0:
            run.deadlock(i, s)
        expanded += 1
        if expanded % REPORT_EVERY == 0:
            run.queue = len(stack)
            run.report()
            stop = run.limit_reached()
            if stop is not None:
                return run.result("incomplete", exhaustive=False, stopped=stop)
    run.queue = 0
    bounded = any(fp not in index for fp in cut)
    return run.finish(bounded=f"depth limit of {max_depth} reached" if bounded else None)
