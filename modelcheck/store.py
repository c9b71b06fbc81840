"""Seen-sets of state fingerprints with parent links, as in TLC.

Full states live only in the explorers' frontier; a store keeps, for each distinct state
in the order it was discovered, the index of its parent and the index of the action that
led to it (for an initial state: no parent, and the index of its init). That is 6 bytes a
state (8 for models with 65,535 action instances or more), and a counterexample is
rebuilt by walking the parents and re-executing the actions from the initial state.

Membership is answered in two ways, one per kind of explorer:

* :class:`FingerprintStore` (breadth-first) tests a whole batch of fingerprints at once
  against sorted runs of 8-byte fingerprints with a bucket index: 14 bytes a state in
  all (16 with wide action links) plus at most an eighth of a byte, with no Python
  object per state.
* :class:`DictStore` (depth-first) answers one fingerprint at a time from a dict.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["NO_PARENT", "DictStore", "FingerprintStore", "narrow_links"]

NO_PARENT = 0xFFFFFFFF
Fingerprints = npt.NDArray[np.int64]
Indices = npt.NDArray[np.uint32]


class _Links:
    """Parent and action index of every state, in discovery order: a uint32 parent, and
    a uint16 action when ``narrow`` (models with fewer than 65,535 action instances and
    inits), else a uint32."""

    def __init__(self, *, narrow: bool = False) -> None:
        self.parents = array("I")
        self.actions = array("H" if narrow else "I")
        self._action_type = np.uint16 if narrow else np.uint32

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
        return (self.parents.itemsize + self.actions.itemsize) * len(self.parents)


_SENTINEL = np.array([np.iinfo(np.int64).max], dtype=np.int64)
"""Ends the main run, so a look-up may read one past its last fingerprint."""


def narrow_links(model: Any) -> bool:
    """Whether every action and init index of ``model`` fits the 2-byte action link."""
    return max(len(model.instances), len(model.inits)) < 0xFFFF


class FingerprintStore(_Links):
    """Batch membership over sorted fingerprint runs; for breadth-first search.

    Fingerprints live in one large sorted *main* run and a few small sorted runs of
    recent additions, merged geometrically; when the small runs together reach an
    eighth of the main one they are merged into it. A look-up in the small runs is a
    plain binary search (they stay in cache). In the main run, a binary search over
    millions of entries would miss the cache at almost every step, so the main run is
    indexed by the top bits of the fingerprint (fingerprints are uniformly spread): a
    table of bucket offsets, one 4-byte entry per 32 to 64 fingerprints, narrows each
    look-up to a bucket of a few cache lines, searched by a vectorised binary search.
    The table costs at most an eighth of a byte a state.
    """

    def __init__(self, *, narrow: bool = False, indexed: bool = False) -> None:
        super().__init__(narrow=narrow)
        self._main: Fingerprints = _SENTINEL.copy()
        self._offsets: npt.NDArray[np.int32 | np.int64] = np.zeros(2, dtype=np.int32)
        self._shift = 63
        self._half = 1
        self._steps = 0
        self._runs: list[Fingerprints] = []
        self._recent = 0
        # With ``indexed``, the discovery index of every fingerprint, in the same order as
        # the main run and each small run (4 more bytes a state), for :meth:`indices`.
        self._indexed = indexed
        self._main_index: Indices = np.zeros(1, dtype=np.uint32)
        self._run_indices: list[Indices] = []

    @property
    def indexed(self) -> bool:
        """Whether the store knows the discovery index of each fingerprint
        (:meth:`indices`)."""
        return self._indexed

    def missing(self, fps: Fingerprints) -> npt.NDArray[np.bool_]:
        """For distinct ``fps`` (sorted is fastest): True where it is not stored."""
        found, _ = self._in_main(fps)
        for run in self._runs:
            pos = np.searchsorted(run, fps)
            np.minimum(pos, len(run) - 1, out=pos)
            found |= run[pos] == fps
        return ~found

    def indices(self, fps: Fingerprints) -> npt.NDArray[np.int64]:
        """For distinct ``fps`` (sorted is fastest): the discovery index of each, -1 where it
        is not stored. Only for a store made ``indexed``."""
        if not self._indexed:
            raise AssertionError("indices() of a store not made indexed")
        found, lo = self._in_main(fps)
        out = np.full(len(fps), -1, dtype=np.int64)
        out[found] = self._main_index[lo[found]]
        for run, index in zip(self._runs, self._run_indices):
            pos = np.searchsorted(run, fps)
            np.minimum(pos, len(run) - 1, out=pos)
            hit = run[pos] == fps
            out[hit] = index[pos[hit]]
        return out

    def _in_main(self, fps: Fingerprints) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """Whether each of ``fps`` is in the main run, and where it is (or would be)."""
        main = self._main  # sorted, with a sentinel (the largest int64) at the end
        if len(main) <= 1 or len(fps) == 0:
            return np.zeros(len(fps), dtype=np.bool_), np.zeros(len(fps), dtype=np.int64)
        bucket = (fps >> self._shift) + self._half
        lo = self._offsets[bucket].astype(np.int64)
        size = self._offsets[bucket + 1] - lo
        # Branch-free lower bound of each fingerprint within its bucket, all at once; as
        # many halvings as the largest bucket needs.
        for _ in range(self._steps):
            half = size >> 1
            below = main[lo + half] < fps
            lo += below * (half + 1)
            size = np.where(below, size - half - 1, half)
        found: npt.NDArray[np.bool_] = (main[lo] == fps) & (lo < len(main) - 1)
        return found, lo

    def __contains__(self, fp: int) -> bool:
        return not bool(self.missing(np.array([fp], dtype=np.int64))[0])

    def add(self, sorted_fps: Fingerprints, parents: npt.NDArray[Any],
            actions: npt.NDArray[Any], indices: npt.NDArray[Any] | None = None) -> None:
        """Store new fingerprints (sorted) and their links (in discovery order); an indexed
        store also takes the discovery index of each fingerprint (in sorted order)."""
        if len(sorted_fps) == 0:
            return
        self.parents.frombytes(parents.astype(np.uint32).tobytes())
        self.actions.frombytes(actions.astype(self._action_type).tobytes())
        runs = self._runs
        runs.append(sorted_fps)
        if self._indexed:
            assert indices is not None
            self._run_indices.append(indices.astype(np.uint32))
        self._recent += len(sorted_fps)
        if self._recent * 8 >= len(self._main) - 1 and self._recent >= 4096:
            self._merge_main()
            return
        # Keep the small runs' sizes geometric, so a look-up touches O(log n) of them
        # and each fingerprint is copied O(log n) times before it joins the main run.
        while len(runs) > 1 and len(runs[-2]) <= 16 * len(runs[-1]):
            top = runs.pop()
            merged = np.concatenate((runs.pop(), top))
            if self._indexed:
                top_index = self._run_indices.pop()
                index = np.concatenate((self._run_indices.pop(), top_index))
                order = merged.argsort(kind="stable")
                merged, index = merged[order], index[order]
                self._run_indices.append(index)
            else:
                merged.sort(kind="stable")  # timsort: a linear merge of the two sorted runs
            runs.append(merged)

    def _merge_main(self) -> None:
        main = np.concatenate((self._main[:-1], *self._runs, _SENTINEL))
        if self._indexed:
            index = np.concatenate((self._main_index[:-1], *self._run_indices,
                                    np.zeros(1, dtype=np.uint32)))
            order = main.argsort(kind="stable")  # timsort: linear in the sorted runs
            main, self._main_index = main[order], index[order]
            self._run_indices = []
        else:
            main.sort(kind="stable")  # timsort merges the sorted runs in linear time
        self._main = main
        self._runs = []
        self._recent = 0
        n = len(main) - 1
        bits = max(1, min(40, int(n // 32).bit_length() - 1))
        self._shift = 64 - bits
        self._half = 1 << (bits - 1)
        # Bucket b holds the fingerprints whose top ``bits`` bits, read as a signed
        # number, equal b - half; its entries are main[offsets[b]:offsets[b + 1]].
        starts = (np.arange(1 << bits, dtype=np.int64) - self._half) << self._shift
        offsets = np.append(np.searchsorted(main[:-1], starts), n)
        self._offsets = offsets.astype(np.int32 if n < 2**31 else np.int64)
        self._steps = int(np.diff(offsets).max()).bit_length()

    def nbytes(self) -> int:
        """Bytes held by the store: fingerprints, links and the bucket table."""
        return (super().nbytes() + self._main.nbytes - 8 + self._offsets.nbytes +
                sum(r.nbytes for r in self._runs) + self._main_index.nbytes - 4 +
                sum(r.nbytes for r in self._run_indices))

    def snapshot(self) -> tuple[Fingerprints, npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
        """Every fingerprint (sorted), and the parents and actions in discovery order."""
        fps = np.sort(np.concatenate((self._main[:-1], *self._runs)))
        return (fps, np.frombuffer(self.parents, dtype=np.uint32).copy(),
                np.frombuffer(self.actions, dtype=self._action_type).astype(np.uint32))

    @classmethod
    def restore(cls, fps: Fingerprints, parents: npt.NDArray[Any],
                actions: npt.NDArray[Any], *, narrow: bool = False) -> FingerprintStore:
        """A store holding what :meth:`snapshot` returned."""
        store = cls(narrow=narrow)
        store.parents.frombytes(parents.astype(np.uint32).tobytes())
        store.actions.frombytes(actions.astype(store._action_type).tobytes())
        if len(fps):
            store._runs.append(np.sort(fps.astype(np.int64)))
            store._merge_main()
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
