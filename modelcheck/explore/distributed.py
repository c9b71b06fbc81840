"""Breadth-first search on a dask.distributed cluster (``--scheduler ADDRESS``).

Each Dask worker hosts one *partition*, a Dask actor that owns the states whose
fingerprint maps to it (a multiplicative mix of the 64-bit fingerprint, scaled to the
number of partitions): their fingerprints and parent links in a
:class:`~modelcheck.store.FingerprintStore`, and those of the current level as live
states in its frontier. The search is level-synchronous, so depths, counts and the
length of every counterexample are those of :mod:`~modelcheck.explore.bfs`.

One level is two rounds that the client starts on every partition at once:

1. **expand**: a partition expands its frontier chunk by chunk with the generated
   successor function of :mod:`~modelcheck.explore._codegen`, fingerprints the
   successors, drops those it already emitted in this level (and, of the ones it owns,
   those it has stored), and sends the rest to their owners in batches, *directly to
   the owning worker* (an actor-to-actor call). A batch is one ``bytes`` value:
   fingerprints (int64), parent indices (uint32), action indices (uint32), then the
   states, field by field with each distinct field value once (:func:`_pack`). The
   round ends when every batch is acknowledged.
2. **admit**: a partition takes its inbox in a fixed order (by sender, then batch),
   removes duplicates, tests membership, stores the new states with their parent link
   (sender partition, sender's local index, action) and checks the invariants and
   ``sometimes`` properties on them. They are its next frontier.

The client only ever receives counts and, when something is found, *where* it is: a
partition, a local index and the state. It rebuilds the trace by asking the partitions
for the parent links one step at a time and re-executing the actions from the initial
state, then re-raises the finding with the same :class:`~modelcheck.explore._base.Run`
code as single-process BFS, so violations, spec errors and their messages read alike.

**Fingerprints agree between workers** because they depend on nothing but the state
(:mod:`modelcheck.fingerprint`): no hash seed or address enters them. The search still
checks that every worker runs the same modelcheck and fingerprints a probe value and the
model's initial states alike, and otherwise stops with a :class:`UsageError` that says
what differs. The client never fingerprints.

**A worker that fails ends the search with an error, never a hang.** While it waits for
a round, the client asks the scheduler every second whether each partition's worker is
still connected and still sends its heartbeats; a worker that left the cluster (it died,
or its nanny restarted it without its partition) or has sent none for
:func:`~modelcheck._watchdog.worker_timeout` seconds (it is stopped, or its machine is
gone) ends the search with a :class:`WorkerFailure` naming it. Every other wait on a
worker has a timeout.

**The spec reaches the workers as source.** The client sends the name of the module
that defines the spec, the attribute holding it and the module's source text. A worker
uses its own copy of that module when its source is identical (catalogue specs and
installed packages), and otherwise executes the shipped source as a module of the same
name (a spec loaded from a file path, or edited since the workers started). So classes
pickle by reference, under the same name, on every worker and in the client: a state in
a batch costs a pickled tuple, never a class definition. A spec defined in ``__main__``
(a script run directly, or an interactive session) cannot be shipped this way and is
refused with a message saying what to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import importlib
import logging
import os
import pickle
import signal
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NoReturn, cast

import numpy as np
import numpy.typing as npt

from modelcheck import semantics
from modelcheck._watchdog import resident_memory, worker_timeout
from modelcheck.errors import (
    ModelcheckError,
    NondeterminismError,
    SpecRuntimeError,
    UsageError,
)
from modelcheck.explore._base import Found, Options, Run, StepFailure
from modelcheck.explore._codegen import expander
from modelcheck.fingerprint import fingerprint, fingerprints_into
from modelcheck.model import Model, bind
from modelcheck.result import Result, Stats
from modelcheck.state import Record
from modelcheck.store import NO_PARENT, FingerprintStore
from modelcheck.trace import Trace

__all__ = ["WorkerFailure", "explore", "local_cluster"]

CHUNK = 256
"""Frontier states expanded at a time (as in :mod:`~modelcheck.explore.bfs`)."""

SEND_BATCH = 4096
"""Successors per message to another partition: enough to amortise pickling and the
cost of a Dask call, few enough that sending overlaps with expanding."""

IN_FLIGHT = 8
"""Unacknowledged messages a partition lets pile up before it waits for the oldest."""

POLL = 0.05
"""Seconds between the client's checks of a running round (time limit, progress)."""

HEALTH_EVERY = 1.0
"""Seconds between the client's questions to the scheduler about the workers' health."""

ANSWER = 10.0
"""Seconds the client waits for the partitions' statistics at the end of a search."""


class WorkerFailure(ModelcheckError):
    """A Dask worker died, left the cluster or stopped answering during the search."""


_PROBE = ("modelcheck-probe", None, -1, -2, 2**61 - 1, True, 1.0, frozenset({"a", b"a"}))
"""A value whose fingerprint every worker must agree on."""
_WORKER_HELP = "install the same modelcheck and Python on every machine"


# -- the spec, as the workers see it ------------------------------------------------------


@dataclass(frozen=True)
class _SpecRef:
    """What a worker needs to bind the same model as the client."""

    module: str
    attr: str
    source: str | None
    digest: str | None
    filename: str | None
    variant: str | None
    params: dict[str, Any]
    symmetry: bool
    labels: str
    """Digest of every init and action instance label, in order: indices must agree."""


def _labels_digest(model: Model) -> str:
    text = "\n".join([i.label() for i in model.inits] + ["--"]
                     + [i.label() for i in model.instances])
    return hashlib.sha256(text.encode()).hexdigest()


def _source_of(module: types.ModuleType) -> str | None:
    path = getattr(module, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _digest(source: str | None) -> str | None:
    return hashlib.sha256(source.encode()).hexdigest() if source is not None else None


def _spec_ref(model: Model) -> _SpecRef:
    """Name the spec's module and attribute, and carry the module's source."""
    spec = model.spec
    # The module that holds the Spec object: where its functions or its config live.
    names = [a.fn.__module__ for a in spec.inits] + [spec.config.__module__]
    if "__main__" in names:
        raise UsageError(
            f"spec {spec.name!r} is defined in the __main__ module (a script run directly, "
            "or an interactive session), which Dask workers cannot load; move it to a "
            "module file and pass its path (modelcheck verify spec.py --scheduler ...) or "
            "import it from there")
    found = [(name, k) for name in dict.fromkeys(names) if name in sys.modules
             for k, v in vars(sys.modules[name]).items() if v is spec]
    if not found:
        raise UsageError(
            f"spec {spec.name!r} is not a module-level name of {names[0]}, so Dask workers "
            "cannot find it; assign it to a global (spec = Spec(...))")
    module_name, attr = found[0]
    module = sys.modules[module_name]
    source = _source_of(module)
    cfg = model.config
    params = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    return _SpecRef(module_name, attr, source, _digest(source),
                    getattr(module, "__file__", None), model.variant, params,
                    model.canonical is not None, _labels_digest(model))


_LOADED: dict[str, tuple[str | None, types.ModuleType]] = {}
"""Spec modules this worker process loaded, with the digest of their source."""


def _load_module(ref: _SpecRef) -> types.ModuleType:
    known = _LOADED.get(ref.module)
    if known is not None and known[0] == ref.digest:
        return known[1]
    module: types.ModuleType | None = None
    with contextlib.suppress(ImportError):
        module = importlib.import_module(ref.module)
    if module is not None and (ref.digest is None or _digest(_source_of(module)) == ref.digest):
        _LOADED[ref.module] = (ref.digest, module)
        return module
    if ref.source is None:
        raise UsageError(
            f"module {ref.module!r} (spec {ref.attr}) cannot be imported on a Dask worker, "
            "and its source is not available to send; install it on every worker")
    # The module is absent here, or its source differs from the client's: run the
    # client's source under the same name, so that classes pickle by reference alike.
    module = types.ModuleType(ref.module)
    module.__file__ = ref.filename
    module.__package__ = ref.module.rpartition(".")[0]
    sys.modules[ref.module] = module  # dataclasses and pickle look the module up by name
    try:
        exec(compile(ref.source, ref.filename or ref.module, "exec"), module.__dict__)
    except Exception as e:
        del sys.modules[ref.module]
        raise UsageError(f"loading spec module {ref.module!r} on a Dask worker raised "
                         f"{type(e).__name__}: {e}") from None
    _LOADED[ref.module] = (ref.digest, module)
    return module


def _load_model(ref: _SpecRef) -> Model:
    """Bind, in a worker, the model the client described."""
    spec = getattr(_load_module(ref), ref.attr)
    model = bind(spec, ref.variant, ref.params, symmetry=ref.symmetry)
    if _labels_digest(model) != ref.labels:
        raise UsageError(
            f"spec {spec.name!r} enumerates different actions on a Dask worker than in the "
            "client; install the same versions of the spec and of modelcheck everywhere")
    return model


# -- the hash probe -----------------------------------------------------------------------


def _probe() -> dict[str, Any]:
    """What decides whether this worker fingerprints like the others."""
    import modelcheck
    from modelcheck.fingerprint import fingerprint as worker_fingerprint

    return {"python": sys.version, "modelcheck": modelcheck.__version__, "pid": os.getpid(),
            "fingerprint": worker_fingerprint(_PROBE)}


def _check_probes(probes: dict[str, dict[str, Any]]) -> None:
    """Every worker must run this modelcheck and fingerprint alike; say how to fix it."""
    import modelcheck

    versions = {p["modelcheck"] for p in probes.values()}
    if versions != {modelcheck.__version__}:
        raise UsageError(
            f"the Dask workers run modelcheck {', '.join(sorted(versions))} and this process "
            f"{modelcheck.__version__}; install the same version everywhere")
    if {p.get("fingerprint") for p in probes.values()} != {fingerprint(_PROBE)}:
        rows = "; ".join(f"{addr}: {p.get('fingerprint')} (Python {p['python'].split()[0]})"
                         for addr, p in sorted(probes.items()))
        raise UsageError(
            f"the Dask workers fingerprint a probe value differently from this process "
            f"({fingerprint(_PROBE)}): {rows}; {_WORKER_HELP}")


# -- partitions ---------------------------------------------------------------------------


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


def _pack(states: list[Any]) -> bytes:
    """Encode a batch of states for another worker; :func:`_unpack` decodes it.

    Records of one type, the usual case, go by column: each field's distinct values once,
    and per state one small index per field. Neighbouring states share most field values
    (a successor changes one or two fields), so this is several times smaller and faster
    than pickling every state, and the receiver's states share their field values.
    Values are told apart by type as well (``1`` is not ``True``). Anything else is
    pickled as it is.
    """
    cls = type(states[0])
    if not (issubclass(cls, Record) and set(map(type, states)) == {cls}):
        return pickle.dumps((None, states), protocol=pickle.HIGHEST_PROTOCOL)
    tables: list[list[Any]] = []
    columns: list[npt.NDArray[Any]] = []
    for column in list(zip(*states))[1:]:  # item 0 is the record's type tag
        # A field of one type (the usual case) is keyed by value; mixed types by both.
        mixed = len(set(map(type, column))) > 1
        keys = list(zip(map(type, column), column)) if mixed else column
        seen: dict[Any, int] = {}
        index = [seen.setdefault(k, len(seen)) for k in keys]
        tables.append([v for _, v in seen] if mixed else list(seen))
        dtype = np.uint8 if len(seen) <= 1 << 8 else (
            np.uint16 if len(seen) <= 1 << 16 else np.uint32)
        columns.append(np.array(index, dtype=dtype))
    return pickle.dumps((cls, len(states), tables, columns), protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(payload: bytes) -> list[Any]:
    """The states :func:`_pack` encoded, in order."""
    head, *rest = pickle.loads(payload)
    if head is None:
        return cast(list[Any], rest[0])
    n, tables, columns = rest
    if not tables:  # a record without fields
        return [head() for _ in range(n)]
    fields = [list(map(table.__getitem__, column.tolist()))
              for table, column in zip(tables, columns)]
    return list(map(head, *fields))


Finding = dict[str, Any]
"""Where a partition found something: ``kind``, ``index`` (local), and as the kind needs
``action``, ``state``, ``after`` and ``error``; the client adds ``partition``."""


class _Broken(Exception):
    """An action property failed on a transition (raised out of the generated expander)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding["kind"])
        self.finding = finding


_Entry = tuple[int, int, Any]
"""An inbox entry: sender, sender's message number, and the batch (see ``admit``)."""


class _Partition:
    """A Dask actor: one partition's store, frontier and inbox (see the module docstring).

    Methods run in the worker's actor thread, except the ``async`` ones (``receive``,
    ``progress``, ``stop``), which run on the worker's event loop, so a peer's batch is
    taken in while this partition is busy expanding.
    """

    def __init__(self, index: int, count: int, ref: _SpecRef, deadlock: bool) -> None:
        # What an earlier search on this worker left frozen (see _no_gc) is collectable
        # again: a long-lived worker does not keep one search's garbage cycles forever.
        gc.unfreeze()
        gc.collect()
        self.index = index
        self.count = count
        self.model = _load_model(ref)
        self.cfg = self.model.config
        self.deadlock = deadlock
        self.table = self.model.table()
        self.expand_fn = expander(self.model, checked=bool(self.model.action_properties))
        canonical = self.model.canonical
        self.fingerprint: Callable[[Any], int] = (
            fingerprint if canonical is None else lambda s: fingerprint(canonical(s)))
        self.action_bits = _action_bits(self.model)
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
        """A batch of ``n`` successors from partition ``src`` (see the module docstring)."""
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
                    t = fn(cfg, s, *args)
                except Exception as e:
                    return {"kind": "step", "index": base + i, "action": aid, "state": s,
                            "error": f"{type(e).__name__}: {e}"}
                if t is None:
                    continue
                if semantics.broken_step(props, cfg, s, t) is not None:
                    # Violated or misbehaving: the client judges it again and reports it.
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
        canonical = self.model.canonical
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
            payload = _pack(states)
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
            return {"new": 0, "cut": False, "finding": None, "satisfied": []}
        fps = np.concatenate(fps_parts)
        uniq, first = np.unique(fps, return_index=True)
        missing = self.store.missing(uniq)
        if last:
            return {"new": 0, "cut": bool(missing.any()), "finding": None, "satisfied": []}
        pos = np.sort(first[missing])
        everything: list[Any] = []
        for b in batches:
            everything.extend(_unpack(b) if isinstance(b, bytes) else b)
        base = len(self.store)
        self.store.add(uniq[missing], np.concatenate(parent_parts)[pos],
                       np.concatenate(link_parts)[pos])
        new = [everything[p] for p in pos.tolist()]
        self.frontier = new
        finding, met = self._check_new(new, base, pending)
        return {"new": len(new), "cut": False, "finding": finding, "satisfied": met}

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


def _action_bits(model: Model) -> int:
    """Bits of a link that hold an action (or init) index; the parent's partition is above."""
    return max(1, (max(len(model.instances), len(model.inits)) - 1).bit_length())


# -- the client ---------------------------------------------------------------------------


class _RemoteLinks:
    """The client's view of the partitioned store: its size, and the path to a state.

    A state is named by ``ref = local index * partitions + partition``.
    """

    def __init__(self, actors: list[Any], answer: Callable[[Any], Any]) -> None:
        self.actors = actors
        self.answer = answer
        """Waits for a worker's answer, or raises :class:`WorkerFailure`."""
        self.count = 0
        self.nbytes: int | None = None
        """Bytes of the partitions' stores, once their statistics are in."""

    def __len__(self) -> int:
        return self.count

    def ref(self, partition: int, index: int) -> int:
        return index * len(self.actors) + partition

    def path(self, ref: int) -> tuple[int, list[int]]:
        """The init index and the action indices leading to state ``ref``."""
        index, partition = divmod(ref, len(self.actors))
        actions: list[int] = []
        while True:
            parent_partition, parent, action = self.answer(self.actors[partition].link(index))
            if parent_partition < 0:
                actions.reverse()
                return action, actions
            actions.append(action)
            partition, index = parent_partition, parent


class _ClusterRun(Run):
    """Run's checks and results, with traces rebuilt from the partitions' links."""

    links: _RemoteLinks

    def stats(self) -> Stats:
        """Run's statistics, with the seen-set bytes of all partitions."""
        return dataclasses.replace(super().stats(), seen_set_bytes=self.links.nbytes)

    def trace_to(self, index: int, state: Any | None,
                 then: tuple[int, Any] | None = None) -> Trace:
        """Replay the path to state ``index`` (a ref) from its init.

        The client does not hold the fingerprints (the partitions do), so a
        nondeterministic spec shows as a step that is not enabled, or as a final state
        other than the one the search holds.
        """
        model = self.model
        init_index, actions = self.links.path(index)
        inst = model.inits[init_index]
        s = inst.action.fn(self.cfg, *inst.args)
        states = [s]
        for step, aid in enumerate(actions, start=1):
            nxt = model.apply(aid, s)
            if nxt is None:
                label = model.instances[aid].label()
                raise NondeterminismError(
                    f"replaying the path to a state, step {step} ({label}) is not enabled: the "
                    "spec is nondeterministic. Usual causes: iterating a set or dict of "
                    "strings (hash order changes between runs), or reading a clock, a random "
                    "number or a global that changes", function=label, step=step)
            s = nxt
            states.append(s)
        if state is not None and s != state:
            raise NondeterminismError(
                f"replaying the path to a state gave a different state after "
                f"{len(actions)} steps: the spec is nondeterministic", function="?",
                step=len(actions))
        if then is not None:
            actions = [*actions, then[0]]
            states.append(then[1])
        return Trace.from_states(model, init_index, actions, states)


class _Stopped(Exception):
    """A limit was reached in the middle of a search."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _require_dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--scheduler needs dask.distributed, which is not installed: "
            "pip install 'modelcheck[distributed]'") from None
    return distributed


@contextlib.contextmanager
def local_cluster(workers: int, *, quiet: bool = True) -> Iterator[Any]:
    """A ``distributed.LocalCluster`` of ``workers`` processes for one search.

    Workers have no memory limit: Dask would otherwise pause or restart a worker whose
    store outgrows its share of memory (``--max-memory`` bounds a search instead).
    ``quiet`` keeps Dask's logging to critical messages.
    """
    distributed = _require_dask()
    import dask

    environ = dict(os.environ)
    # Ctrl-C in a terminal signals the whole process group: the workers inherit an ignored
    # SIGINT (across exec too), so that only this process stops the search, cleanly.
    sigint: Any = None
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # The statistical profiler samples every thread's stack 100 times a second, time
        # taken from the search.
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
                # No dashboard; the scheduler's HTTP endpoints on any free local port,
                # so that several clusters can run side by side.
                dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                silence_logs=logging.CRITICAL if quiet else logging.WARNING)
    finally:
        if sigint is not None:
            signal.signal(signal.SIGINT, sigint)
        # The nanny exports its pre-spawn variables into this process's environment.
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        for key, value in environ.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
    try:
        yield cluster
    finally:
        cluster.close()


def _check_address(address: str) -> None:
    """Refuse a scheduler address Dask cannot parse, before a client is made of it (a
    client that fails to start lingers until its finaliser gives up on closing it)."""
    from distributed.comm.addressing import parse_address, parse_host_port
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)
    except ValueError as e:
        raise UsageError(f"--scheduler {address!r} is not a Dask scheduler address ({e}); "
                         "give tcp://HOST:PORT (e.g. tcp://HOST:8786), or 'local'") from None


@contextlib.contextmanager
def _connect(options: Options) -> Iterator[tuple[Any, list[str]]]:
    """A client of the requested cluster, and the workers to use in a fixed order.

    With a scheduler address and ``workers`` = 1 (the default) every connected worker
    hosts a partition; with ``workers`` = N, the first N once N have connected. The
    workers chosen must fingerprint alike (:func:`_check_probes`).
    """
    distributed = _require_dask()
    address = options.scheduler
    assert address is not None
    with contextlib.ExitStack() as stack:
        target: Any = address
        if address == "local":
            target = stack.enter_context(local_cluster(options.workers))
        else:
            _check_address(address)
        try:
            client = distributed.Client(target, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise UsageError(
                f"cannot reach the Dask scheduler at {address!r} ({e}); start one with "
                "`dask scheduler` and pass its address, e.g. tcp://HOST:8786") from None
        stack.callback(client.close)
        # Actor handles find their client as the current one when they are unpickled.
        stack.enter_context(client.as_current())
        wanted = options.workers if options.workers > 1 or address == "local" else 1
        try:
            client.wait_for_workers(wanted, timeout=60)
        except TimeoutError:
            raise UsageError(f"the Dask scheduler at {address!r} has fewer than {wanted} "
                             "workers after 60 s; start more with `dask worker`") from None
        try:
            probes: dict[str, dict[str, Any]] = client.run(_probe)
        except ImportError as e:
            raise UsageError(f"modelcheck is not installed on every Dask worker ({e}); "
                             "pip install 'modelcheck[distributed]' there too") from None
        workers = sorted(probes)
        if options.workers > 1:
            workers = workers[:options.workers]
        _check_probes({w: probes[w] for w in workers})
        yield client, workers


def explore(model: Model, options: Options) -> Result:
    """Explore ``model`` breadth-first on the Dask cluster named by ``options.scheduler``.

    ``"local"`` starts a :func:`local_cluster` of ``options.workers`` processes for this
    search; any other value is the address of a running scheduler.
    """
    ref = _spec_ref(model)
    try:
        with _connect(options) as (client, workers):
            return _Search(model, options, ref, client, workers).run()
    except KeyboardInterrupt:  # while the cluster starts or stops
        run = Run(model, options, FingerprintStore(), "bfs")
        return run.result("incomplete", exhaustive=False, stopped="interrupted")


class _Search:
    """The client's side of one search: starts the partitions and drives the rounds."""

    _PRIORITY: ClassVar[dict[str, int]] = {
        "deadlock": 0, "step": 1, "unhashable": 1, "unpicklable": 1, "nondeterministic": 1,
        "transition": 2, "state": 3}
    """Which finding of a round is reported: a deadlock is one step shorter than anything
    else found in the same level; spec errors come before violations, as in bfs."""

    def __init__(self, model: Model, options: Options, ref: _SpecRef, client: Any,
                 workers: list[str]) -> None:
        self.model = model
        self.options = options
        self.ref = ref
        self.client = client
        self.workers = workers
        self.futures: list[Any] = []
        self.actors: list[Any] = []
        self.links = _RemoteLinks(self.actors, self._answer)
        self.timeout = worker_timeout()
        self.seen: dict[str, tuple[Any, float]] = {}
        """Per worker: the last heartbeat time the scheduler reported, and when (on this
        process's clock) it last changed."""
        self.last_health = time.monotonic()
        # Run reads only ``len(store)`` and, through trace_to, the links' paths.
        self.run_ = _ClusterRun(model, options, cast(FingerprintStore, self.links), "bfs")
        self.run_.links = self.links
        self.run_.details = {"workers": len(workers), "scheduler": options.scheduler}

    def run(self) -> Result:
        """Search, then gather the partitions' statistics into the result."""
        run = self.run_
        outcome: Callable[[], Result]
        try:
            # An init that raises, or returns a state that is not hashable, is reported
            # before set-up.
            semantics.initial_states(self.model, hash)
            self._start()
            outcome = functools.partial(run.finish, bounded=self._search())
        except Found as found:
            outcome = functools.partial(run.violation, found)
        except SpecRuntimeError as e:
            outcome = functools.partial(run.failed, e)
        except _Stopped as stop:
            outcome = functools.partial(run.result, "incomplete", exhaustive=False,
                                        stopped=stop.reason)
        except KeyboardInterrupt:
            self._stop_all()
            outcome = functools.partial(run.result, "incomplete", exhaustive=False,
                                        stopped="interrupted")
        except WorkerFailure:
            self._stop_all(wait=1.0)  # the others' work is lost anyway
            raise
        self._collect_statistics()
        return outcome()

    # -- set-up --------------------------------------------------------------------------

    def _start(self) -> None:
        count = len(self.workers)
        if count << _action_bits(self.model) > 1 << 32:
            raise UsageError(f"{count} workers and {len(self.model.instances):,} action "
                             "instances do not fit a 32-bit link; use fewer workers")
        token = os.urandom(6).hex()
        self.futures = [
            self.client.submit(_Partition, i, count, self.ref, self.options.deadlock,
                               actor=True, workers=[addr], allow_other_workers=False,
                               key=f"modelcheck-partition-{token}-{i}")
            for i, addr in enumerate(self.workers)]
        try:
            self.actors.extend(self._wait(self.futures))
        except ModelcheckError:
            raise
        except Exception as e:
            raise UsageError(f"a Dask worker could not start its partition: "
                             f"{type(e).__name__}: {e}") from None
        if len({tuple(h) for h in self._all("hello")}) > 1:
            raise UsageError(
                "the Dask workers compute different initial states (does the spec's init "
                f"read something that differs between processes?); {_WORKER_HELP}")
        self._all("connect", self.actors)

    # -- rounds --------------------------------------------------------------------------

    def _call(self, method: str, *args: Any) -> list[Any]:
        return [getattr(a, method)(*args) for a in self.actors]

    def _all(self, method: str, *args: Any) -> list[Any]:
        return self._wait(self._call(method, *args))

    def _wait(self, futures: list[Any], *, polled: bool = False) -> list[Any]:
        """The results of ``futures``; meanwhile the workers' health, the time limit, and
        progress and the memory limit if ``polled``."""
        run = self.run_
        last_report = time.perf_counter()
        waiting = list(futures)
        while waiting:
            try:
                waiting[0].result(timeout=POLL)  # returns as soon as the round ends
                waiting.pop(0)
                continue
            except TimeoutError:
                pass
            except Exception:
                break  # raised again below
            self._health()
            now = time.perf_counter()
            if run.deadline is not None and now >= run.deadline:
                self._stop_all()
                raise _Stopped(f"time limit of {self.options.time_limit:g} s reached")
            if polled and now - last_report >= 1.0:
                last_report = now
                progress = [self._answer(f) for f in self._call("progress")]
                self._memory([rss for _, rss in progress])
                done = run.generated
                run.generated += sum(generated for generated, _ in progress)
                run.report()
                run.generated = done
        try:
            return [f.result() for f in futures]
        except ModelcheckError:
            raise
        except Exception as e:
            self._failed(e)

    def _answer(self, future: Any) -> Any:
        """The result of a quick call to a worker, asking after the workers' health
        (:meth:`_health`) while it does not come."""
        while True:
            try:
                return future.result(timeout=POLL * 10)
            except TimeoutError:
                self._health()
            except ModelcheckError:
                raise
            except Exception as e:
                self._failed(e)

    def _failed(self, error: Exception) -> NoReturn:
        """A call to a worker raised ``error``: say which worker failed, and how, if the
        scheduler can tell within a few seconds."""
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            self._health(now=True)
            time.sleep(0.2)
        raise WorkerFailure(f"a Dask worker failed during the search: "
                            f"{type(error).__name__}: {error}") from None

    def _health(self, *, now: bool = False) -> None:
        """Raise :class:`WorkerFailure` if a partition's worker left the cluster or has
        sent the scheduler no heartbeat for the timeout (asked once a second, or ``now``)."""
        clock = time.monotonic()
        if not now and clock - self.last_health < HEALTH_EVERY:
            return
        self.last_health = clock
        address = self.options.scheduler
        try:
            info = self.client.scheduler_info()["workers"]
        except Exception as e:
            raise WorkerFailure(f"the Dask scheduler at {address!r} does not answer "
                                f"({type(e).__name__}: {e})") from None
        for partition, addr in enumerate(self.workers):
            worker = info.get(addr)
            if worker is None:
                raise WorkerFailure(
                    f"Dask worker {addr} (partition {partition}) left the cluster during the "
                    "search: it died or was killed, and its share of the states is lost")
            beat = worker.get("last_seen")
            seen = self.seen.get(addr)
            if seen is None or seen[0] != beat:
                self.seen[addr] = (beat, clock)
            elif clock - seen[1] > self.timeout:
                raise WorkerFailure(
                    f"Dask worker {addr} (partition {partition}) stopped answering: no "
                    f"heartbeat for {clock - seen[1]:.0f} s (is it stopped, or its machine "
                    "unreachable?)")

    def _memory(self, rss: list[int]) -> None:
        """Stop the search, in the middle of a round, when a worker exceeds the limit."""
        limit = self.options.max_memory
        if limit is not None and rss and max(rss) > limit:
            self._stop_all()
            raise _Stopped(f"memory limit of {limit / 2**20:.1f} MiB reached on a worker "
                           f"({max(rss) / 2**20:.1f} MiB resident)")

    def _stop_all(self, wait: float = 5.0) -> None:
        """Ask every partition to abandon its round; a worker that does not answer within
        ``wait`` seconds is left alone."""
        deadline = time.monotonic() + wait
        with contextlib.suppress(Exception):
            for f in self._call("stop"):
                with contextlib.suppress(Exception):
                    f.result(timeout=max(0.1, deadline - time.monotonic()))

    def _search(self) -> str | None:
        """Run the levels; returns why the search was bounded (the depth), if it was."""
        run = self.run_
        options = self.options
        run.generated = len(self.model.initial_states())
        frontier = self._admitted(self._all("seed", self._pending()))
        run.depth = 1 if frontier else 0
        cut = False
        while frontier:
            # At the depth bound the frontier is still expanded (deadlocks and action
            # properties are checked there), but successors are only looked up.
            last = options.max_depth is not None and run.depth >= options.max_depth
            run.queue = frontier
            expanded = self._wait(self._call("expand"), polled=True)
            run.generated += sum(r["generated"] for r in expanded)
            self._raise_first([r["finding"] for r in expanded])
            run.report()
            results = self._wait(self._call("admit", last, self._pending()))
            if last:
                cut = cut or any(r["cut"] for r in results)
                frontier = 0
            else:
                frontier = self._admitted(results)
                if frontier:
                    run.depth += 1
            run.queue = frontier
            run.report()
            self._limits()
        run.queue = 0
        return f"depth limit of {options.max_depth} reached" if cut else None

    def _pending(self) -> list[str]:
        return [p.name for p in self.run_.pending_sometimes]

    def _admitted(self, results: list[dict[str, Any]]) -> int:
        """Account for an admit round and raise what it found; returns the frontier size."""
        new: int = sum(r["new"] for r in results)
        self.links.count += new
        self._raise_first([r["finding"] for r in results])
        met = {name for r in results for name in r["satisfied"]}
        self.run_.pending_sometimes = [p for p in self.run_.pending_sometimes
                                       if p.name not in met]
        return new

    def _limits(self) -> None:
        """Stop between levels at the state, time or memory limit."""
        stop = self.run_.limit_reached()
        if stop is not None:
            raise _Stopped(stop)
        if self.options.max_memory is not None:
            self._memory([s["rss"] for s in self._all("summary")])

    # -- findings ------------------------------------------------------------------------

    def _raise_first(self, findings: Sequence[Finding | None]) -> None:
        found = [dict(f, partition=p) for p, f in enumerate(findings) if f is not None]
        for f in sorted(found, key=lambda f: (self._PRIORITY[f["kind"]], f["partition"])):
            self._raise(f)

    def _raise(self, f: Finding) -> None:
        """Re-raise a partition's finding with Run's code, which also builds the trace."""
        run = self.run_
        model = self.model
        ref = self.links.ref(f["partition"], f["index"])
        kind = f["kind"]
        if kind == "deadlock":
            run.deadlock(ref, f["state"])
        elif kind == "transition":
            run.check_transition(f["state"], ref, f["action"], f["after"])
        elif kind == "state":
            run.check_new([f["state"]], ref)
        elif kind == "nondeterministic":
            raise run.nondeterministic(ref, f["action"])
        elif kind == "step":
            # Re-run the step here for the exception itself (its type and message).
            error: BaseException = RuntimeError(f["error"])
            try:
                model.apply(f["action"], f["state"])
            except Exception as e:
                error = e
            raise run.step_failure(StepFailure(f["state"], f["action"], error), ref)
        elif kind == "unhashable":
            raise run.unhashable([f["after"]], [f["action"]], TypeError(f["error"]))
        elif kind == "unpicklable":
            label = model.instances[f["action"]].label()
            trace = run.trace_to(ref, None)
            raise SpecRuntimeError(
                f"{label} returned a state that cannot be pickled ({f['error']}) in the "
                f"state reached after {trace.length} steps; a distributed search sends "
                "states between workers, so they must hold picklable values",
                function=label, step=trace.length, trace=trace)
        # The worker's verdict did not reproduce here: the spec's functions disagree.
        raise NondeterminismError(
            f"a Dask worker found a {kind} that re-checking in the client does not confirm: "
            "the spec is nondeterministic", function="?")

    def _collect_statistics(self) -> None:
        if not self.actors:
            return
        with contextlib.suppress(Exception):
            summaries = [f.result(timeout=ANSWER) for f in self._call("summary")]
            for s, addr in zip(summaries, self.workers):
                s["worker"] = addr
            self.run_.details["partitions"] = summaries
            self.links.nbytes = sum(s["store_bytes"] for s in summaries)
