"""Seen-sets of state fingerprints with parent links, as in TLC.

Full states live only in the explorers' frontier; a store keeps, for each distinct state
in the order it was discovered, the index of its parent and the index of the action that
led to it (for an initial state: no parent, and the index of its init). That is 8 bytes a
state, and a counterexample is rebuilt by walking the parents and re-executing the
actions from the initial state.

Membership is answered in two ways, one per kind of explorer:

* :class:`FingerprintStore` (breadth-first) tests a whole batch of fingerprints at once
  against sorted runs of 8-byte fingerprints, merged geometrically like a log-structured
  merge tree: 16 bytes a state in all, with no Python object per state.
* :class:`DictStore` (depth-first) answers one fingerprint at a time from a dict.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["NO_PARENT", "DictStore", "FingerprintStore"]

NO_PARENT = 0xFFFFFFFF
Fingerprints = npt.NDArray[np.int64]


class _Links:
    """Parent and action index of every state, in discovery order (uint32 each)."""

    def __init__(self) -> None:
        self.parents = array("I")
        self.actions = array("I")

    def __len__(self) -> int:
        return len(self.parents)

    def path(self, index: int) -> tuple[int, list[int]]:
        """The init index and the action indices leading to state ``index``."""
        actions: list[int] = []
        parents, acts = self.parents, self.actions
        while parents[index] != NO_PARENT:
            actions.append(acts[index])
            index = parents[index]
        actions.reverse()
        return acts[index], actions

    def nbytes(self) -> int:
        return self.parents.itemsize * len(self.parents) * 2


class FingerprintStore(_Links):
    """Batch membership over sorted fingerprint runs; for breadth-first search."""

    def __init__(self) -> None:
        super().__init__()
        self._runs: list[Fingerprints] = []

    def missing(self, fps: Fingerprints) -> npt.NDArray[np.bool_]:
        """For sorted, distinct ``fps``: True where the fingerprint is not stored."""
        found = np.zeros(len(fps), dtype=np.bool_)
        for run in self._runs:
            pos = np.searchsorted(run, fps)
            np.minimum(pos, len(run) - 1, out=pos)
            found |= run[pos] == fps
        return ~found

    def __contains__(self, fp: int) -> bool:
        return not bool(self.missing(np.array([fp], dtype=np.int64))[0])

    def add(self, sorted_fps: Fingerprints, parents: npt.NDArray[Any],
            actions: npt.NDArray[Any]) -> None:
        """Store new fingerprints (sorted) and their links (in discovery order)."""
        if len(sorted_fps) == 0:
            return
        self.parents.frombytes(parents.astype(np.uint32).tobytes())
        self.actions.frombytes(actions.astype(np.uint32).tobytes())
        runs = self._runs
        runs.append(sorted_fps)
        # Keep run sizes geometric, so a look-up touches O(log n) runs and each
        # fingerprint is copied O(log n) times in all.
        while len(runs) > 1 and len(runs[-2]) <= 4 * len(runs[-1]):
            top = runs.pop()
            merged = np.concatenate((runs.pop(), top))
            merged.sort(kind="stable")  # timsort: a linear merge of the two sorted runs
            runs.append(merged)

    def nbytes(self) -> int:
        """Bytes held by the store: fingerprints plus links."""
        return super().nbytes() + sum(r.nbytes for r in self._runs)

    def snapshot(self) -> tuple[Fingerprints, npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
        """Every fingerprint (sorted), and the parents and actions in discovery order."""
        fps = (np.sort(np.concatenate(self._runs)) if self._runs
               else np.zeros(0, dtype=np.int64))
        return (fps, np.frombuffer(self.parents, dtype=np.uint32).copy(),
                np.frombuffer(self.actions, dtype=np.uint32).copy())

    @classmethod
    def restore(cls, fps: Fingerprints, parents: npt.NDArray[Any],
                actions: npt.NDArray[Any]) -> FingerprintStore:
        """A store holding what :meth:`snapshot` returned."""
        store = cls()
        store.parents.frombytes(parents.astype(np.uint32).tobytes())
        store.actions.frombytes(actions.astype(np.uint32).tobytes())
        if len(fps):
            store._runs.append(np.sort(fps.astype(np.int64)))
        return store


class DictStore(_Links):
    """One-at-a-time membership; for depth-first search, which also tracks depths."""

    def __init__(self) -> None:
        super().__init__()
        self.index: dict[int, int] = {}
        self.depths = array("I")

    def __contains__(self, fp: int) -> bool:
        return fp in self.index

    def add_one(self, fp: int, parent: int, action: int, depth: int) -> int:
        """Store a new fingerprint; returns its index."""
        i = len(self.parents)
        self.index[fp] = i
        self.parents.append(parent)
        self.actions.append(action)
        self.depths.append(depth)
        return i
