"""A small replicated in-memory key-value store: the implementation under test.

Every replica holds a map from key to ``(version, value)``. A write is stamped with the
next version by the coordinator (this process) and stored on the replicas it reaches,
which must form a majority; a read asks a majority of replicas and returns the value with
the highest version among their answers. Any two majorities share a replica, so a read
sees the latest acknowledged write.

The network is the caller's: ``put`` and ``get`` take ``reach``, the replicas a request
gets through to, which is how a test drives the store through the interleavings the spec
explores. ``KVStore(bug=True)`` plants a classic flaw: a read returns the first answer it
receives instead of the newest one.
"""

from __future__ import annotations

from collections.abc import Iterable


class QuorumError(Exception):
    """A request reached fewer replicas than a majority."""


class KVStore:
    """``replicas`` replicas behind a coordinator that writes and reads majorities."""

    def __init__(self, replicas: int = 3, *, bug: bool = False) -> None:
        self.replicas: list[dict[int, tuple[int, int]]] = [{} for _ in range(replicas)]
        self.version = 0
        self.bug = bug

    def _majority(self, reach: Iterable[int]) -> list[int]:
        nodes = sorted(set(reach))
        if len(nodes) <= len(self.replicas) // 2:
            raise QuorumError(f"reached {nodes}, not a majority of {len(self.replicas)}")
        return nodes

    def put(self, key: int, value: int, reach: Iterable[int]) -> int:
        """Store ``value`` under ``key`` on the replicas in ``reach``; the version."""
        nodes = self._majority(reach)
        self.version += 1
        for r in nodes:
            self.replicas[r][key] = (self.version, value)
        return self.version

    def get(self, key: int, reach: Iterable[int]) -> int | None:
        """The value of ``key`` as a majority ``reach`` of replicas reports it."""
        answers = [self.replicas[r].get(key) for r in self._majority(reach)]
        found = [a for a in answers if a is not None]
        if not found:
            return None
        if self.bug:
            return found[0][1]  # the first answer, which may be stale
        return max(found)[1]

    def snapshot(self) -> tuple[tuple[tuple[int, int, int], ...], ...]:
        """Every replica's ``(key, version, value)`` entries, sorted: what tests compare."""
        return tuple(tuple(sorted((k, v, x) for k, (v, x) in r.items()))
                     for r in self.replicas)
