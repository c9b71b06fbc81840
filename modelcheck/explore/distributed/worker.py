"""The worker's side of a distributed search: :class:`Partition`, the Dask actor that holds
one partition's store, frontier and inbox and runs the rounds described in
:mod:`modelcheck.explore.distributed`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import pickle
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from modelcheck import semantics
from modelcheck._watchdog import resident_memory
from modelcheck.explore._codegen import expander
from modelcheck.explore.distributed.messages import Finding, action_bits, pack, unpack
from modelcheck.explore.distributed.shipping import SpecRef, load_model
from modelcheck.fingerprint import fingerprint, fingerprints_into
from modelcheck.model import Successors
from modelcheck.store import NO_PARENT, FingerprintStore

__all__ = ["CHUNK", "IN_FLIGHT", "SEND_BATCH", "Partition"]

CHUNK = 256
"""Frontier states expanded at a time (as in :mod:`~modelcheck.explore.bfs`)."""

SEND_BATCH = 4096
"""Successors per message to another partition: enough to amortise pickling and the
cost of a Dask call, few enough that sending overlaps with expanding."""

IN_FLIGHT = 8
"""Unacknowledged messages a partition lets pile up before it waits for the oldest."""


_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(32)


def _owners(fps: npt.NDArray[np.int64], count: int) -> npt.NDArray[np.int64]:
    """The partition of each fingerprint: Fibonacci-mixed, then scaled to ``count``.

    Mixing makes the split independent of structure in the low bits of ``hash`` (small
    integers hash to themselves); the top 32 bits times ``count`` avoid a modulo.
    """
    mixed = fps.view(np.uint64) * _MIX
    return (((mixed >> _SHIFT) * np.uint64(count)) >> _SHIFT).astype(np.int64)


class _FingerprintSet:
    """Fingerprints emitted in this level: sorted runs merged geometrically, as in the store."""

    def __init__(self) -> None:
        self._runs: list[npt.NDArray[np.int64]] = []

    def missing(self, fps: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        found = np.zeros(len(fps), dtype=np.bool_)
        for run in self._runs:
            pos = np.minimum(np.searchsorted(run, fps), len(run) - 1)
            found |= run[pos] == fps
        return ~found

    def add(self, sorted_fps: npt.NDArray[np.int64]) -> None:
        if len(sorted_fps) == 0:
            return
        runs = self._runs
        runs.append(sorted_fps)
        while len(runs) > 1 and len(runs[-2]) <= 4 * len(runs[-1]):
            top = runs.pop()
            merged = np.concatenate((runs.pop(), top))
            merged.sort(kind="stable")
            runs.append(merged)


@dataclass
class _Batch:
    """Successors bound for one partition, in discovery order."""

    fps: list[npt.NDArray[np.int64]] = dataclasses.field(default_factory=list)
    parents: list[npt.NDArray[np.uint32]] = dataclasses.field(default_factory=list)
    actions: list[npt.NDArray[np.uint32]] = dataclasses.field(default_factory=list)
    states: list[Any] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.states)


class _Broken(Exception):
    """An action property failed on a transition (raised out of the generated expander)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding["kind"])
        self.finding = finding


_Entry = tuple[int, int, Any]
"""An inbox entry: sender, sender's message number, and the batch (see ``admit``)."""


class Partition:
    """A Dask actor: one partition's store, frontier and inbox (see
    :mod:`modelcheck.explore.distributed`).

    Methods run in the worker's actor thread, except the ``async`` ones (``receive``,
    ``progress``, ``stop``), which run on the worker's event loop, so a peer's batch is
    taken in while this partition is busy expanding.
    """

    def __init__(self, index: int, count: int, ref: SpecRef, deadlock: bool) -> None:
        # What an earlier search on this worker left frozen (see _no_gc) is collectable
        # again: a long-lived worker does not keep one search's garbage cycles forever.
        gc.unfreeze()
        gc.collect()
        self.index = index
        self.count = count
        self.model = load_model(ref)
        self.cfg = self.model.config
        self.deadlock = deadlock
        self.table = self.model.table()
        self.expand_fn = expander(self.model, checked=bool(self.model.action_properties))
        canonical = self.model.identify
        self.fingerprint: Callable[[Any], int] = (
            fingerprint if canonical is None else lambda s: fingerprint(canonical(s)))
        self.action_bits = action_bits(self.model)
        self.store = FingerprintStore()
        self.frontier: list[Any] = []
        self.frontier_base = 0
        self.inbox: list[_Entry] = []
        self.peers: list[Any] = []
        self.seq = 0
        self.generated = 0
        self.stopping = False
        self.stats = {"states_sent": 0, "bytes_sent": 0, "messages_sent": 0,
                      "states_received": 0, "bytes_received": 0, "messages_received": 0}
        self.busy = 0.0
        """Seconds spent in rounds (the rest of a search is waiting at the barriers)."""
        self.rechecks = 0
        """Chunks of which one state was executed again (see ``_recheck``)."""
        self.cpu_start = time.process_time()

    # -- set-up ----------------------------------------------------------------------------

    def hello(self) -> list[int]:
        """Fingerprints of the initial states here (every worker must agree)."""
        return [self.fingerprint(s) for _, s in self.model.initial_states()]

    def connect(self, peers: list[Any]) -> None:
        """Keep the actor handles of every partition, indexed by partition."""
        self.peers = peers

    def seed(self, pending: list[str]) -> dict[str, Any]:
        """Admit the initial states this partition owns (all partitions see the same list)."""
        inits = self.model.initial_states()
        fps = np.fromiter((self.fingerprint(s) for _, s in inits), dtype=np.int64,
                          count=len(inits))
        mine = np.flatnonzero(_owners(fps, self.count) == self.index).tolist()
        batch = (fps[mine], np.full(len(mine), NO_PARENT, np.uint32),
                 np.array([inits[i][0] for i in mine], dtype=np.uint32),
                 [inits[i][1] for i in mine], True)
        self.inbox = [(self.index, 0, batch)]
        return self.admit(False, pending)

    # -- round 1: expand -------------------------------------------------------------------

    async def progress(self) -> tuple[int, int]:
        """Successors generated so far in this round, and this worker's resident memory."""
        return self.generated, resident_memory()

    async def stop(self) -> None:
        """Abandon the current round at the next chunk (a limit was reached, or Ctrl-C)."""
        self.stopping = True

    async def receive(self, src: int, seq: int, n: int, blob: bytes) -> None:
        """A batch of ``n`` successors from partition ``src`` (laid out as
        :mod:`~modelcheck.explore.distributed.messages` says)."""
        self.inbox.append((src, seq, (n, blob)))
        self.stats["states_received"] += n
        self.stats["bytes_received"] += len(blob)
        self.stats["messages_received"] += 1

    def expand(self) -> dict[str, Any]:
        """Expand the frontier and send every successor to its owner."""
        started = time.perf_counter()
        with _no_gc():
            try:
                return self._expand()
            finally:
                self.busy += time.perf_counter() - started

    def _expand(self) -> dict[str, Any]:
        self.generated = 0
        self.stopping = False
        self.seq = 0
        emitted = _FingerprintSet()
        batches = [_Batch() for _ in range(self.count)]
        pending: list[Any] = []
        frontier, base = self.frontier, self.frontier_base
        finding: Finding | None = None
        try:
            for start in range(0, len(frontier), CHUNK):
                if self.stopping:
                    break
                chunk = frontier[start:start + CHUNK]
                succs: list[Any] = []
                actions: list[int] = []
                counts: list[int] = []
                finding = self._expand_chunk(chunk, base + start, succs, actions, counts)
                if finding is not None and finding["kind"] == "transition":
                    finding = self._scan_deadlocks(start) or finding
                if finding is None:
                    finding = self._recheck(chunk, base + start, succs, actions, counts)
                if finding is None and 0 in counts:
                    finding = self._deadlock_in(chunk, base + start, counts)
                if finding is not None:
                    break
                self.generated += len(succs)
                finding = self._route(succs, actions, counts, base + start, emitted, batches,
                                      pending)
                if finding is not None:
                    break
            else:
                for dest, batch in enumerate(batches):
                    finding = finding or self._flush(dest, batch, pending)
        finally:
            for fut in pending:
                fut.result()
        return {"generated": self.generated, "finding": finding}

    def _expand_chunk(self, chunk: list[Any], base: int, succs: list[Any], actions: list[int],
                      counts: list[int]) -> Finding | None:
        cfg = self.cfg
        props = self.model.action_properties
        try:
            if props:
                self.expand_fn(chunk, succs, actions, counts, base, self._check)
            else:
                self.expand_fn(chunk, succs, actions, counts)
            return None
        except _Broken as broken:
            return broken.finding
        except Exception:
            del succs[:], actions[:], counts[:]
        # A spec error is pinned to its state and action, one call at a time.
        for i, s in enumerate(chunk):
            n = len(succs)
            for aid, fn, args in self.table:
                try:
                    r = fn(cfg, s, *args)
                except Exception as e:
                    return {"kind": "step", "index": base + i, "action": aid, "state": s,
                            "error": f"{type(e).__name__}: {e}"}
                if r is None:
                    continue
                for t in r if r.__class__ is Successors else (r,):
                    if semantics.broken_step(props, cfg, s, t) is not None:
                        # Violated or misbehaving: the client judges it again, reports it.
                        return {"kind": "transition", "index": base + i, "action": aid,
                                "state": s, "after": t}
                    succs.append(t)
                    actions.append(aid)
            counts.append(len(succs) - n)
        return None

    def _check(self, s: Any, index: int, aid: int, t: Any) -> None:
        """The action properties on one transition; :class:`_Broken` if one fails."""
        if semantics.broken_step(self.model.action_properties, self.cfg, s, t) is not None:
            raise _Broken({"kind": "transition", "index": index, "action": aid,
                           "state": s, "after": t})

    def _recheck(self, chunk: list[Any], base: int, succs: list[Any], actions: list[int],
                 counts: list[int]) -> Finding | None:
        """Execute one state of the chunk again and compare (as ``Run.recheck``)."""
        found = semantics.rerun_sample(self.model, self.rechecks, chunk, succs, actions,
                                       counts, self.table)
        self.rechecks += 1
        if found is None:
            return None
        i, action = found
        return {"kind": "nondeterministic", "index": base + i, "action": action,
                "state": chunk[i]}

    def _deadlock_in(self, chunk: list[Any], base: int, counts: list[int]) -> Finding | None:
        """The first state of ``chunk`` without successors that is not terminal (or whose
        terminal predicate misbehaves: the client judges it again and reports it)."""
        if not self.deadlock:
            return None
        for i, c in enumerate(counts):
            if c:
                continue
            s = chunk[i]
            try:
                dead = semantics.deadlocked(self.model, s)
            except semantics.Misbehaved:
                dead = True
            if dead:
                return {"kind": "deadlock", "index": base + i, "state": s}
        return None

    def _scan_deadlocks(self, start: int) -> Finding | None:
        """A deadlock has a shorter trace than a transition out of the same level."""
        if not self.deadlock:
            return None
        cfg = self.cfg
        for i in range(start, len(self.frontier)):
            s = self.frontier[i]
            try:
                enabled = any(fn(cfg, s, *args) is not None for _, fn, args in self.table)
            except Exception:
                continue  # the search reports the finding it already has
            if not enabled:
                found = self._deadlock_in([s], self.frontier_base + i, [0])
                if found is not None:
                    return found
        return None

    def _route(self, succs: list[Any], actions: list[int], counts: list[int], base: int,
               emitted: _FingerprintSet, batches: list[_Batch], pending: list[Any]
               ) -> Finding | None:
        """Fingerprint ``succs``, drop repeats, and queue the rest for their owners."""
        if not succs:
            return None
        fp = self.fingerprint
        parents = np.repeat(np.arange(base, base + len(counts), dtype=np.uint32),
                            np.array(counts, dtype=np.int64))
        canonical = self.model.identify
        fps = np.empty(len(succs), dtype=np.int64)
        try:
            fingerprints_into(succs if canonical is None else list(map(canonical, succs)), fps)
        except (TypeError, RecursionError):
            for j, t in enumerate(succs):
                try:
                    fp(t)
                except (TypeError, RecursionError) as e:
                    return {"kind": "unhashable", "index": int(parents[j]),
                            "action": actions[j], "after": t, "error": str(e)}
            raise
        uniq, first = np.unique(fps, return_index=True)
        fresh = emitted.missing(uniq)
        emitted.add(uniq[fresh])
        keep = np.sort(first[fresh])
        if len(keep) == 0:
            return None
        parents = parents[keep]
        acts = np.array(actions, dtype=np.uint32)[keep]
        kept_fps = fps[keep]
        owners = _owners(kept_fps, self.count)
        order = np.argsort(owners, kind="stable")
        bounds = np.searchsorted(owners[order], np.arange(self.count + 1))
        for dest in range(self.count):
            sel = order[bounds[dest]:bounds[dest + 1]]
            if dest == self.index and len(sel):
                # States of earlier levels are known here: no need to queue them.
                sel = sel[self.store.missing(kept_fps[sel])]
            if len(sel) == 0:
                continue
            batch = batches[dest]
            batch.fps.append(kept_fps[sel])
            batch.parents.append(parents[sel])
            batch.actions.append(acts[sel])
            batch.states.extend([succs[p] for p in keep[sel].tolist()])
            if len(batch) >= SEND_BATCH:
                found = self._flush(dest, batch, pending)
                if found is not None:
                    return found
        return None

    def _flush(self, dest: int, batch: _Batch, pending: list[Any]) -> Finding | None:
        """Send (or, for this partition, keep) the successors queued for ``dest``."""
        if not batch:
            return None
        fps = np.concatenate(batch.fps)
        parents = np.concatenate(batch.parents)
        actions = np.concatenate(batch.actions)
        states = batch.states
        batch.fps, batch.parents, batch.actions, batch.states = [], [], [], []
        self.seq += 1
        if dest == self.index:
            self.inbox.append((dest, self.seq, (fps, parents, actions, states, False)))
            return None
        try:
            payload = pack(states)
        except Exception:
            for j, s in enumerate(states):
                try:
                    pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as e:
                    return {"kind": "unpicklable", "index": int(parents[j]),
                            "action": int(actions[j]), "error": f"{type(e).__name__}: {e}"}
            raise
        blob = fps.tobytes() + parents.tobytes() + actions.tobytes() + payload
        while len(pending) >= IN_FLIGHT:
            pending.pop(0).result()
        pending.append(self.peers[dest].receive(self.index, self.seq, len(states), blob))
        self.stats["states_sent"] += len(states)
        self.stats["bytes_sent"] += len(blob)
        self.stats["messages_sent"] += 1
        return None

    # -- round 2: admit --------------------------------------------------------------------

    def admit(self, last: bool, pending: list[str]) -> dict[str, Any]:
        """Store the new states of the inbox, check them, and make them the frontier.

        ``pending`` names the ``sometimes`` properties no state has met yet. At the depth
        bound (``last``) only report whether any state is new.
        """
        started = time.perf_counter()
        with _no_gc():
            try:
                return self._admit(last, pending)
            finally:
                self.busy += time.perf_counter() - started

    def _admit(self, last: bool, pending: list[str]) -> dict[str, Any]:
        inbox, self.inbox = sorted(self.inbox, key=lambda e: (e[0], e[1])), []
        fps_parts: list[npt.NDArray[np.int64]] = []
        parent_parts: list[npt.NDArray[np.uint32]] = []
        link_parts: list[npt.NDArray[np.uint32]] = []
        batches: list[list[Any] | bytes] = []
        for src, _seq, body in inbox:
            if len(body) == 5:  # kept here: (fps, parents, actions, states, initial?)
                fps, parents, actions, states, initial = body
                batches.append(states)
            else:  # received: (n, blob) laid out as in _flush
                n, blob = body
                fps = np.frombuffer(blob, dtype=np.int64, count=n)
                parents = np.frombuffer(blob, dtype=np.uint32, count=n, offset=8 * n)
                actions = np.frombuffer(blob, dtype=np.uint32, count=n, offset=12 * n)
                initial = False
                batches.append(blob[16 * n:])
            fps_parts.append(fps)
            parent_parts.append(parents)
            # An initial state's link holds its init index; any other packs the parent's
            # partition above the action index (the parent's own index is in ``parents``).
            link_parts.append(actions if initial else
                              actions | np.uint32(src << self.action_bits))
        self.frontier, self.frontier_base = [], len(self.store)
        if not fps_parts:
            return {"new": 0, "frontier": 0, "cut": False, "finding": None, "satisfied": []}
        fps = np.concatenate(fps_parts)
        uniq, first = np.unique(fps, return_index=True)
        missing = self.store.missing(uniq)
        if last:
            return {"new": 0, "frontier": 0, "cut": bool(missing.any()), "finding": None,
                    "satisfied": []}
        pos = np.sort(first[missing])
        everything: list[Any] = []
        for b in batches:
            everything.extend(unpack(b) if isinstance(b, bytes) else b)
        base = len(self.store)
        new = [everything[p] for p in pos.tolist()]
        inside, finding = self._inside(new, base)
        if inside is not None:
            # States outside the state constraints are stored after the others (in
            # order), and only the others make the frontier.
            order = np.argsort(~np.array(inside, dtype=np.bool_), kind="stable")
            pos = pos[order]
            new = [new[k] for k in order.tolist()]
        self.store.add(uniq[missing], np.concatenate(parent_parts)[pos],
                       np.concatenate(link_parts)[pos])
        kept = len(new) if inside is None else sum(inside)
        self.frontier = new[:kept]
        checked, met = self._check_new(new, base, pending)
        return {"new": len(new), "frontier": kept, "cut": False,
                "finding": checked or finding, "satisfied": met}

    def _inside(self, states: list[Any], base: int) -> tuple[list[bool] | None, Finding | None]:
        """Whether each of ``states`` (to be stored from ``base`` on) satisfies the state
        constraints (None: all do), or the state on which one misbehaves."""
        if not self.model.constraints or not states:
            return None, None
        try:
            inside = semantics.within(self.model.constraints, self.cfg, states)
        except semantics.Misbehaved as m:
            return None, {"kind": "constraint", "index": base + m.at, "state": states[m.at]}
        return (None if all(inside) else inside), None

    def _check_new(self, states: list[Any], base: int,
                   pending: list[str]) -> tuple[Finding | None, list[str]]:
        """The first new state whose type is wrong or that an invariant or a pending
        ``sometimes`` goal does not accept (judged as in ``Run.check_new``; the client
        judges it again and reports it), and the goals met."""
        st = self.model.spec.state
        if st is not None and states and set(map(type, states)) != {st}:
            j = next(j for j, s in enumerate(states) if type(s) is not st)
            return {"kind": "state", "index": base + j, "state": states[j]}, []
        cfg = self.cfg
        broken = semantics.first_broken(self.model.invariants, cfg, states)
        goals = [p for p in self.model.sometimes if p.name in pending]
        met: list[str] = []
        if goals:
            limit = len(states) if broken is None else broken.at
            reached, missed = semantics.meet(goals, cfg, states, limit)
            met = [p.name for p in reached]
            if missed is not None:
                broken = missed
        if broken is None:
            return None, met
        return {"kind": "state", "index": base + broken.at, "state": states[broken.at]}, met

    # -- traces and statistics -------------------------------------------------------------

    def link(self, index: int) -> tuple[int, int, int]:
        """``(parent partition, parent index, action)``; ``(-1, -1, init)`` for an init."""
        parent = self.store.parents[index]
        packed = self.store.actions[index]
        if parent == NO_PARENT:
            return -1, -1, packed
        return packed >> self.action_bits, parent, packed & ((1 << self.action_bits) - 1)

    def summary(self) -> dict[str, Any]:
        """This partition's share of the work, for ``details["partitions"]``."""
        return {"partition": self.index, "states": len(self.store),
                "store_bytes": self.store.nbytes(), "rss": resident_memory(),
                "busy_seconds": round(self.busy, 3),
                "cpu_seconds": round(time.process_time() - self.cpu_start, 3), **self.stats}


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic garbage collection during a round, as in :func:`~modelcheck.check`.

    States are acyclic tuples freed by reference counting; the collector's passes over
    millions of live states would otherwise cost more than the search itself. After the
    round, everything alive is frozen (left out of later collections): re-enabled, the
    collector would otherwise scan the new frontier, and then the store's neighbours, in
    the worker's idle time between rounds. The next search's partitions unfreeze it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
