"""Explorers: one search strategy per module behind one small interface.

Each strategy module exposes ``explore(model, options) -> Result``; :func:`check` binds a
spec to a configuration and hands it to the chosen strategy.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from typing import Any

from modelcheck.errors import UsageError
from modelcheck.explore import bfs, dfs
from modelcheck.explore._base import Options, Progress
from modelcheck.model import Model, bind
from modelcheck.result import Result
from modelcheck.spec import Spec

__all__ = ["STRATEGIES", "Options", "Progress", "check"]

STRATEGIES: dict[str, Callable[[Model, Options], Result]] = {
    "bfs": bfs.explore,
    "dfs": dfs.explore,
}


def check(spec: Spec | Model, *, variant: str | None = None,
          params: Mapping[str, Any] | None = None, strategy: str = "bfs",
          max_depth: int | None = None, max_states: int | None = None,
          time_limit: float | None = None, deadlock: bool = True,
          progress: Callable[[Progress], None] | None = None) -> Result:
    """Check ``spec`` (or an already bound model) and return the :class:`Result`.

    ``variant`` and ``params`` choose the configuration; ``strategy`` is ``"bfs"``
    (shortest counterexamples) or ``"dfs"``. Bounds: ``max_depth`` (states along a path,
    an initial state being depth 1), ``max_states`` (distinct states) and ``time_limit``
    (seconds). ``deadlock=False`` accepts states with no enabled action.
    """
    if strategy not in STRATEGIES:
        raise UsageError(
            f"unknown strategy {strategy!r}; valid strategies: {', '.join(STRATEGIES)}")
    for name, bound in (("max_depth", max_depth), ("max_states", max_states),
                        ("time_limit", time_limit)):
        if bound is not None and bound <= 0:
            raise UsageError(f"{name} must be positive, got {bound}")
    model = spec if isinstance(spec, Model) else bind(spec, variant, params)
    options = Options(max_depth=max_depth, max_states=max_states, time_limit=time_limit,
                      deadlock=deadlock, progress=progress)
    # States are immutable tuples: the search creates no reference cycles, and the cyclic
    # collector's full passes over millions of live states would dominate the run time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return STRATEGIES[strategy](model, options)
    finally:
        if enabled:
            gc.enable()
