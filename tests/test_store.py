"""The breadth-first seen-set answers membership exactly, at 16 bytes a state and a bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.store import NO_PARENT, FingerprintStore

EDGES = [np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0, -2, 1]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 3000), min_size=1, max_size=40),
       st.booleans())
@pytest.mark.slow
def test_membership_matches_a_python_set(seed: int, sizes: list[int], edges: bool) -> None:
    rng = np.random.default_rng(seed)
    store = FingerprintStore()
    seen: set[int] = set()
    for i, size in enumerate(sizes):
        # Fresh random fingerprints, some already stored, and (sometimes) the extremes,
        # including the largest int64, which the main run also uses as its end marker.
        fresh = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=size,
                             dtype=np.int64)
        old = rng.choice(np.array(sorted(seen) or [7], dtype=np.int64), size // 3 + 1)
        extra = np.array(EDGES if edges and i % 3 == 1 else [], dtype=np.int64)
        query = np.unique(np.concatenate((fresh, old, extra)))
        missing = store.missing(query)
        assert missing.tolist() == [q not in seen for q in query.tolist()]
        new = query[missing]
        store.add(new, np.arange(len(new)), np.zeros(len(new)))
        seen.update(new.tolist())
    assert len(store) == len(seen)
    assert all(fp in store for fp in list(seen)[:50])
    assert (EDGES[0] in store) == (EDGES[0] in seen)


@pytest.mark.parametrize("seed", range(4))
def test_an_indexed_store_gives_discovery_indices(seed: int) -> None:
    rng = np.random.default_rng(seed)
    store = FingerprintStore(indexed=True)
    index: dict[int, int] = {}
    for size in rng.integers(1, 6000, size=30):
        query = np.unique(rng.integers(-2**40, 2**40, size=int(size), dtype=np.int64))
        old = np.array(list(index)[:: 7], dtype=np.int64)
        query = np.unique(np.concatenate((query, old, np.array(EDGES, dtype=np.int64))))
        assert store.indices(query).tolist() == [index.get(q, -1) for q in query.tolist()]
        new = query[store.missing(query)]
        order = rng.permutation(len(new))  # discovery order differs from sorted order
        at = np.empty(len(new), dtype=np.int64)
        at[order] = len(store) + np.arange(len(new))
        store.add(new, np.zeros(len(new)), np.zeros(len(new)), at)
        index.update(zip(new.tolist(), at.tolist()))
    assert len(store) == len(index)


def test_sixteen_bytes_a_state_plus_the_bucket_table() -> None:
    store = FingerprintStore()
    rng = np.random.default_rng(1)
    for _ in range(200):
        new = np.unique(rng.integers(-2**63, 2**63 - 1, size=5000, dtype=np.int64))
        store.add(new[store.missing(new)], np.zeros(len(new)), np.zeros(len(new)))
    n = len(store)
    assert n > 900_000
    assert 16 * n <= store.nbytes() <= 16.125 * n


def test_snapshot_and_restore_round_trip() -> None:
    store = FingerprintStore()
    fps = np.unique(np.random.default_rng(2).integers(-2**63, 2**63 - 1, size=10_000,
                                                      dtype=np.int64))
    # State i's parent is state i // 2 (state 0 is an initial state).
    parents = np.concatenate(([NO_PARENT], np.arange(1, len(fps)) // 2)).astype(np.uint32)
    store.add(fps[:6000], parents[:6000], np.arange(6000) % 7)
    store.add(fps[6000:], parents[6000:], np.arange(6000, len(fps)) % 7)
    again = FingerprintStore.restore(*store.snapshot())
    assert len(again) == len(store)
    assert not again.missing(fps).any()
    assert again.path(9000) == store.path(9000) == (
        0, [1, 2, 4, 1, 3, 0, 0, 0, 1, 2, 5, 3, 6, 5])


def test_narrow_links_take_two_bytes_for_the_action() -> None:
    store = FingerprintStore(narrow=True)
    fps = np.unique(np.random.default_rng(3).integers(-2**63, 2**63 - 1, size=50_000,
                                                      dtype=np.int64))
    parents = np.concatenate(([NO_PARENT], np.arange(1, len(fps)) // 2)).astype(np.uint32)
    store.add(fps, parents, np.arange(len(fps)) % 65_000)
    assert 14 * len(fps) <= store.nbytes() <= 14.125 * len(fps)
    assert store.path(len(fps) - 1)[1][-1] == (len(fps) - 1) % 65_000
    again = FingerprintStore.restore(*store.snapshot(), narrow=True)
    assert again.path(777) == store.path(777)
