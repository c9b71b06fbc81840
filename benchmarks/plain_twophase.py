"""A plain, hand-written breadth-first search of TwoPhase on bare tuples.

The yardstick for the engine's overhead: no spec API, no records, a Python set of full
states. ``python benchmarks/plain_twophase.py N`` prints distinct and generated states.
"""

from __future__ import annotations

import gc
import sys
import time
from collections import deque

State = tuple[tuple[str, ...], str, frozenset[int], frozenset[tuple[str, int]]]

COMMIT = ("Commit", -1)
ABORT = ("Abort", -1)


def successors(s: State, n: int) -> list[State]:
    """Every successor of ``s``, one per enabled action instance (duplicates included)."""
    rm, tm, prepared, msgs = s
    out: list[State] = []
    if tm == "init":
        if len(prepared) == n:
            out.append((rm, "committed", prepared, msgs | {COMMIT}))
        out.append((rm, "aborted", prepared, msgs | {ABORT}))
    commit, abort = COMMIT in msgs, ABORT in msgs
    for r in range(n):
        if tm == "init" and ("Prepared", r) in msgs:
            out.append((rm, tm, prepared | {r}, msgs))
        if rm[r] == "working":
            out.append((rm[:r] + ("prepared",) + rm[r + 1:], tm, prepared,
                        msgs | {("Prepared", r)}))
            out.append((rm[:r] + ("aborted",) + rm[r + 1:], tm, prepared, msgs))
        if commit:
            out.append((rm[:r] + ("committed",) + rm[r + 1:], tm, prepared, msgs))
        if abort:
            out.append((rm[:r] + ("aborted",) + rm[r + 1:], tm, prepared, msgs))
    return out


def bfs(n: int) -> tuple[int, int]:
    """Distinct and generated states of TwoPhase with ``n`` RMs."""
    init: State = (("working",) * n, "init", frozenset(), frozenset())
    seen = {init}
    queue = deque([init])
    generated = 1
    while queue:
        for t in successors(queue.popleft(), n):
            generated += 1
            if t not in seen:
                seen.add(t)
                queue.append(t)
    return len(seen), generated


if __name__ == "__main__":
    gc.disable()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    t0 = time.perf_counter()
    distinct, generated = bfs(n)
    print(f"N={n}: {distinct:,} distinct, {generated:,} generated, "
          f"{time.perf_counter() - t0:.3f} s")
