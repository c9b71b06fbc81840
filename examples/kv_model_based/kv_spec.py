"""Quorum replication of a key-value map: the spec the store in kvstore.py is tested against.

A coordinator stamps each write with the next version and stores it on a majority of
``replicas`` replicas; a read asks a majority and returns the value of the highest
version among the answers. The quorums are the action arguments: every majority is a
possible ``quorum``, so the checker (and a model-based test) explores every way requests
may reach the replicas. ``max_writes`` bounds the model.

**Property.** ``reads_see_latest_write``: a read returns the value of the latest write of
its key (or None before the first), because any two majorities share a replica. The
variant ``minority-quorum`` lets requests reach ``replicas // 2`` replicas, and a read then
misses a write: ``modelcheck verify examples/kv_model_based/kv_spec.py --variant
minority-quorum`` shows it in two steps: a write reaches one replica, a read asks another.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec, set_at


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    replicas: Annotated[int, Between(1)] = 3
    keys: Annotated[int, Between(1)] = 1
    values: Annotated[int, Between(1)] = 2
    max_writes: Annotated[int, Between(0)] = 3
    """Writes a behaviour may make: the bound of the model."""
    quorum: Annotated[int, Between(0)] = 0
    """Replicas a request reaches; 0 means a majority."""


class State(Record):
    """Each replica's entries ``(key, version, value)``, the writes made so far, the latest
    value written to each key, and the last read since the last write, ``(key, value)``."""

    stores: tuple[tuple[tuple[int, int, int], ...], ...]
    version: int
    latest: tuple[int | None, ...]
    last_read: tuple[int, int | None] | None


spec = Spec("quorum-kv", Config, State)


def _quorums(cfg: Config) -> list[tuple[int, ...]]:
    size = cfg.quorum or cfg.replicas // 2 + 1
    return list(itertools.combinations(range(cfg.replicas), size))


def _put(entries: tuple[tuple[int, int, int], ...], key: int, version: int,
         value: int) -> tuple[tuple[int, int, int], ...]:
    return tuple(sorted([e for e in entries if e[0] != key] + [(key, version, value)]))


@spec.init
def init(cfg: Config) -> State:
    """Empty replicas, no write, no read."""
    return State(((),) * cfg.replicas, 0, (None,) * cfg.keys, None)


@spec.action(key=lambda cfg: range(cfg.keys), value=lambda cfg: range(cfg.values),
             quorum=_quorums)
def write(cfg: Config, s: State, key: int, value: int, quorum: tuple[int, ...]) -> State | None:
    """The coordinator writes ``value`` to ``key`` with the next version on ``quorum``
    (the last read is forgotten: it told of the value before this write)."""
    if s.version >= cfg.max_writes:
        return None
    version = s.version + 1
    stores = s.stores
    for r in quorum:
        stores = set_at(stores, r, _put(stores[r], key, version, value))
    return s.replace(stores=stores, version=version, latest=set_at(s.latest, key, value),
                     last_read=None)


@spec.action(key=lambda cfg: range(cfg.keys), quorum=_quorums)
def read(cfg: Config, s: State, key: int, quorum: tuple[int, ...]) -> State | None:
    """A read of ``key`` from ``quorum``: the value with the highest version wins."""
    answers = [(v, x) for r in quorum for k, v, x in s.stores[r] if k == key]
    value = max(answers)[1] if answers else None
    if s.last_read == (key, value):
        return None  # the same read again changes nothing
    return s.replace(last_read=(key, value))


@spec.terminal
def writes_used_up(cfg: Config, s: State) -> bool:
    """Every write of the bound is made (reads may go on, but change nothing new)."""
    return s.version >= cfg.max_writes


@spec.always
def reads_see_latest_write(cfg: Config, s: State) -> bool:
    """A read returns the latest value written to its key."""
    return s.last_read is None or s.last_read[1] == s.latest[s.last_read[0]]


spec.variant("minority-quorum", params={"quorum": 1}, violates="reads_see_latest_write",
             doc="Requests reach a single replica of three: a read can miss the last write.")
