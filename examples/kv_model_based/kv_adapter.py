"""The adapter that runs kvstore.KVStore in lockstep with the quorum-kv spec.

Each spec action becomes a call on the store, with the spec's quorum as the replicas the
request reaches; after every step, the store's replicas and the value of the last read
must be what the spec's state says.
"""

from __future__ import annotations

from typing import Any

from kvstore import KVStore

from modelcheck.testing import Adapter


class KVAdapter(Adapter):
    """Drives a :class:`KVStore` (with the planted ``bug`` or without) like the spec."""

    bug = False

    def reset(self, cfg: Any, state: Any) -> None:
        self.store = KVStore(cfg.replicas, bug=self.bug)
        self.last_read: tuple[int, int | None] | None = None

    def write(self, key: int, value: int, quorum: tuple[int, ...]) -> None:
        self.store.put(key, value, reach=quorum)
        self.last_read = None

    def read(self, key: int, quorum: tuple[int, ...]) -> None:
        self.last_read = (key, self.store.get(key, reach=quorum))

    def observe(self) -> Any:
        return self.store.snapshot(), self.last_read

    def expect(self, cfg: Any, state: Any) -> Any:
        return state.stores, state.last_read


class BuggyKVAdapter(KVAdapter):
    """The same, on a store whose reads return the first answer."""

    bug = True
