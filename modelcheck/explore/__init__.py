"""Explorers: one search strategy per module behind one small interface.

Each strategy module exposes ``explore(model, options) -> Result``; :func:`check` binds a
spec to a configuration and hands it to the chosen strategy.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Collection, Mapping
from typing import Any

from modelcheck._signals import terminate_as_interrupt
from modelcheck._watchdog import Watchdog, memory_limit
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.explore import bfs, dfs
from modelcheck.explore import random as random_walks
from modelcheck.explore._base import Options, Progress
from modelcheck.explore._codegen import instance_calls
from modelcheck.explore.temporal import unsupported
from modelcheck.model import BindStopped, Model, bind
from modelcheck.result import Result, Stats
from modelcheck.shrink import readable
from modelcheck.spec import Spec
from modelcheck.state import JSON, to_json

__all__ = ["STRATEGIES", "Options", "Progress", "check", "instance_calls"]

STRATEGIES: dict[str, Callable[[Model, Options], Result]] = {
    "bfs": bfs.explore,
    "dfs": dfs.explore,
    "random": random_walks.explore,
}


def check(spec: Spec | Model, *, variant: str | None = None,
          params: Mapping[str, Any] | None = None, strategy: str = "bfs",
          max_depth: int | None = None, max_states: int | None = None,
          time_limit: float | None = None, deadlock: bool | None = None,
          progress: Callable[[Progress], None] | None = None, symmetry: bool = False,
          workers: int = 1, scheduler: str | None = None, checkpoint: str | None = None,
          checkpoint_every: float = 60.0, resume: str | None = None,
          max_memory: int | None = None, fairness: Mapping[str, str | None] | None = None,
          temporal: bool = True, seed: int | None = None, runs: int | None = None,
          audit: bool = False, max_violations: int | None = 1,
          properties: Collection[str] | None = None, skip: Collection[str] = (),
          coverage: bool = False, view: bool = True, fewer_switches: bool = True) -> Result:
    """Check ``spec`` (or an already bound model) and return the :class:`Result`.

    ``variant`` and ``params`` choose the configuration; ``strategy`` is ``"bfs"``
    (shortest counterexamples) or ``"dfs"``. Bounds: ``max_depth`` (states along a path,
    an initial state being depth 1), ``max_states`` (distinct states), ``time_limit``
    (seconds) and ``max_memory`` (bytes of resident memory). ``deadlock=False`` accepts
    states with no enabled action (None, the default: as the spec's ``check_deadlock``
    says). ``symmetry`` explores one state per orbit of the spec's declared symmetric
    sets. ``workers`` > 1 explores breadth-first in that many
    processes; ``scheduler`` (an address, or ``"local"`` for a LocalCluster of
    ``workers`` processes) on a dask.distributed cluster. ``checkpoint`` saves progress
    to a directory every ``checkpoint_every`` seconds and when interrupted; ``resume``
    continues from one. ``fairness`` overrides the spec's fairness groups by name
    (``"weak"``, ``"strong"`` or None to drop one); ``temporal=False`` skips the temporal
    properties, which only a single-process breadth-first search without checkpoints
    can check (and, for liveness, without symmetry reduction). ``strategy="random"``
    walks ``runs`` random walks of ``max_depth`` states from ``seed`` (see
    :mod:`modelcheck.explore.random`), in ``workers`` processes. ``audit`` keeps every
    state and checks that no two distinct states shared a fingerprint (single-process
    breadth- or depth-first searches; it costs the memory of every state).
    ``max_violations`` > 1 (None: no limit) goes on after a violation until that many are
    found: one per property, one per class of deadlock (single-process bfs or dfs).
    ``properties`` names the only properties to check (None: all) and ``skip`` those not to
    check (either may name ``deadlock``, the deadlock check, which ``deadlock=True`` then
    contradicts); the result's ``checked`` says which were.
    ``coverage`` counts per action how often it was enabled, taken and led to a new state
    (the result's :class:`~modelcheck.coverage.SearchCoverage`; single-process
    breadth-first searches, not resumed; a random search always reports its own
    coverage). ``view=False`` ignores the spec's view (:meth:`~modelcheck.spec.Spec.view`).
    A breadth-first counterexample is reported reordered to switch between nodes less
    (:func:`modelcheck.shrink.readable`); ``fewer_switches=False`` reports it as found.
    """
    if strategy not in STRATEGIES:
        raise UsageError(
            f"unknown strategy {strategy!r}; valid strategies: {', '.join(STRATEGIES)}")
    for name, bound in (("max_depth", max_depth), ("max_states", max_states),
                        ("time_limit", time_limit), ("workers", workers),
                        ("checkpoint_every", checkpoint_every), ("max_memory", max_memory),
                        ("runs", runs)):
        if bound is not None and bound <= 0:
            raise UsageError(f"{name} must be positive, got {bound}")
    parallel = workers > 1 or scheduler is not None
    if strategy == "random" and (scheduler is not None or checkpoint or resume):
        raise UsageError("random walks run in --workers processes on this machine; drop "
                         "--scheduler, --checkpoint and --resume")
    if (seed is not None or runs is not None) and strategy != "random":
        raise UsageError("a seed and a number of runs go with --strategy random")
    if (parallel or checkpoint or resume) and strategy not in ("bfs", "random"):
        raise UsageError("workers, a scheduler and checkpoints need --strategy bfs")
    if parallel and (checkpoint or resume):
        raise UsageError("checkpoints are taken by single-process searches; drop --workers "
                         "and --scheduler to use --checkpoint or --resume")
    if audit and (parallel or strategy == "random" or checkpoint or resume):
        raise UsageError("--audit keeps every state in this process: it goes with a "
                         "single-process --strategy bfs or dfs, without --workers, "
                         "--scheduler, --checkpoint or --resume")
    if max_violations is not None and max_violations < 1:
        raise UsageError(f"max_violations must be at least 1, got {max_violations}")
    if max_violations != 1 and (parallel or strategy == "random" or checkpoint or resume):
        raise UsageError("--continue and --max-violations go with a single-process "
                         "--strategy bfs or dfs, without --workers, --scheduler, "
                         "--checkpoint or --resume")
    if coverage and strategy != "random" and (strategy != "bfs" or parallel or resume):
        raise UsageError("--coverage counts the transitions of a single-process breadth-first "
                         "search: drop --strategy dfs, --workers, --scheduler and --resume")
    if resume and not checkpoint:
        checkpoint = resume  # a resumed search goes on saving where it came from
    if isinstance(spec, Model):
        model = spec
    else:
        try:
            model = bind(spec, variant, params, symmetry=symmetry, fairness=fairness,
                         temporal=temporal, max_memory=max_memory, properties=properties,
                         skip=skip, view=view)
        except BindStopped as stop:
            return _stopped_binding(spec, variant, params, strategy, stop.message)
        except KeyboardInterrupt:
            return _stopped_binding(spec, variant, params, strategy, "interrupted")
    if isinstance(spec, Model) and (properties is not None or skip):
        raise UsageError("choose the properties to check when the model is bound: "
                         "bind(..., properties=..., skip=...)")
    if model.skipped and (checkpoint or resume):
        # A checkpoint holds states judged by the properties of the search that saved it.
        raise UsageError("--property and --skip do not go with --checkpoint and --resume: "
                         "a resumed search must check what the saved one checked")
    if "deadlock" in model.skipped:
        if deadlock:
            raise UsageError(f"deadlocks are asked for (--deadlock), but left out "
                             f"({model.skipped['deadlock']}); drop one of the two")
        deadlock = False
    if deadlock is None:
        deadlock = model.spec.check_deadlock
    if not deadlock and model.chosen is not None and "deadlock" in model.chosen:
        model = dataclasses.replace(model, chosen=tuple(
            n for n in model.chosen if n != "deadlock"))
    if not temporal and model.temporal:
        model = dataclasses.replace(model, temporal=(), fairness=())
    if model.multi and (checkpoint or resume):
        raise UsageError("checkpoints cannot hold the paths to states reached by generator "
                         "actions (a step records its action alone); drop --checkpoint and "
                         "--resume, or make each generator action one action per witness")
    if model.view is not None and strategy == "dfs" and max_depth is not None:
        raise UsageError(
            "a depth-first search with --max-depth stores a shorter path to a state met "
            "again, which under a view may lead to another state than the one explored: "
            "its traces could end in a state that was never checked; use --strategy bfs, "
            "drop --max-depth, or drop the view (--no-view)")
    refused = unsupported(model, strategy=strategy, parallel=parallel,
                          checkpoint=bool(checkpoint or resume))
    if refused is not None:
        raise UsageError(refused)
    options = Options(max_depth=max_depth, max_states=max_states, time_limit=time_limit,
                      deadlock=deadlock, progress=progress, workers=workers,
                      scheduler=scheduler, checkpoint=checkpoint,
                      checkpoint_every=checkpoint_every, resume=resume, max_memory=max_memory,
                      seed=seed, runs=runs, audit=audit, max_violations=max_violations,
                      coverage=coverage)
    explore = STRATEGIES[strategy]
    if scheduler is not None:
        from modelcheck.explore import distributed
        explore = distributed.explore
    elif workers > 1 and strategy == "bfs":
        from modelcheck.explore import parallel as parallel_bfs
        explore = parallel_bfs.explore
    # States are immutable tuples: the search creates no reference cycles, and the cyclic
    # collector's full passes over millions of live states would dominate the run time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        with terminate_as_interrupt(), Watchdog() as dog:
            if max_memory is not None:
                dog.add(memory_limit(max_memory, lambda: dog.pids()))
            try:
                result: Result | None = explore(model, options)
            except KeyboardInterrupt:
                if not dog.interrupted():
                    raise
                result = None  # the watchdog's interrupt arrived as the search ended
    finally:
        if enabled:
            gc.enable()
    if dog.reason is not None and dog.fatal:
        raise ModelcheckError(dog.reason)
    if result is None:
        return _stopped(model.spec, model.variant, model.params, strategy,
                        dog.reason or "interrupted")
    if dog.reason is not None and result.stopped == "interrupted":
        # The watchdog stopped the search as Ctrl-C would; say why.
        result = dataclasses.replace(result, stopped=dog.reason)
    if strategy == "bfs" and fewer_switches and result.violation is not None:
        # Among shortest counterexamples, one that switches between nodes less (for each
        # violation of a search that went on; the same for the first as when it stops).
        result = dataclasses.replace(
            result, violation=readable(model, result.violation),
            violations=tuple(readable(model, v) for v in result.violations))
    return result


def _stopped_binding(spec: Spec, variant: str | None, params: Mapping[str, Any] | None,
                     strategy: str, reason: str) -> Result:
    """The result of a run stopped while its model was being bound: nothing explored."""
    cfg = spec.params_of(variant, params)
    return _stopped(spec, variant,
                    {f.name: to_json(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)},
                    strategy, reason)


def _stopped(spec: Spec, variant: str | None, params: dict[str, JSON], strategy: str,
             reason: str) -> Result:
    """An incomplete result without statistics: the run stopped before it had any."""
    return Result(spec.name, variant, params, strategy, "incomplete", False,
                  Stats(0, 0, 0, 0.0), stopped=reason)
