"""Breadth-first search in several processes on one machine (``--workers N``).

The expensive part of a search is calling the spec's actions, so that is what runs in
parallel; the seen-set stays in one place. The coordinator (the calling process) forks
``N`` workers. Each worker owns a share of the frontier as live Python states and expands
it chunk by chunk with the same generated successor function as :mod:`bfs`. Of each chunk
it sends only the *fingerprints* of the distinct successors, with their parent and action
indices, to the coordinator: a few dozen bytes a successor, never a pickled state. The
coordinator tests them against the one :class:`~modelcheck.store.FingerprintStore`,
stores the new ones (assigning their global indices) and answers with a mask; the worker
keeps the new states for its next level and checks the properties on them. A worker
expands its next chunk while the coordinator answers the previous one.

Levels are synchronised, so the depth of every state, the counts and the length of a
shortest counterexample are those of single-process BFS. The states a worker keeps are
those it discovered first, and the shares are rebalanced between levels when they drift
apart. Workers find violations, deadlocks and spec errors, and report only *where* they
are (a global state index and an action index); the coordinator rebuilds that state by
replaying its trace from the init and re-raises the finding with the same code as the
single-process explorer, so messages and traces read exactly alike.

Fingerprints agree between the processes because they depend on nothing but the state
(:mod:`modelcheck.fingerprint`).

A worker that dies (killed, out of memory) or stops answering (stopped by SIGSTOP or a
debugger) ends the search with an error that names it, never a hang: each worker beats
a heartbeat into shared memory from a thread of its own, and the coordinator (and the
run's watchdog, when it waits on a pipe) gives up on a worker that has exited or has not
beaten for :func:`~modelcheck._watchdog.worker_timeout` seconds.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import signal
import struct
import threading
import time
from multiprocessing.connection import Connection, wait
from typing import Any, cast

import numpy as np

from modelcheck import semantics
from modelcheck._watchdog import process_state, worker_timeout
from modelcheck.errors import ModelcheckError, NondeterminismError, SpecRuntimeError, UsageError
from modelcheck.explore._base import Options, Run
from modelcheck.explore._codegen import expander
from modelcheck.explore.bfs import _fingerprints
from modelcheck.fingerprint import fingerprint
from modelcheck.model import Model, Successors
from modelcheck.result import Result
from modelcheck.store import NO_PARENT, FingerprintStore, narrow_links

__all__ = ["explore"]

CHUNK = 256
"""Frontier states a worker expands at a time: small enough that their successors stay in
cache (a worker sends :data:`SEND_EVERY` chunks' fingerprints per message)."""

SEND_EVERY = 8
"""Chunks a worker expands per message to the coordinator: the expansion stays in cache
chunk by chunk, while the coordinator's cost per message (a few dozen numpy calls and
two pipe transfers) is shared by eight chunks' successors. (On TwoPhase N=8, 8 beat 4 in
nine of ten alternating runs; 16 made the workers slower than it saved.)"""

REBALANCE = 1.05
"""Rebalance the workers' shares when the largest exceeds the mean by this factor."""

HEARTBEAT = 0.5
"""Seconds between two heartbeats of a worker."""


class WorkerFailure(ModelcheckError):
    """A worker process died or stopped answering; the search cannot go on without it."""


class _Supervisor:
    """Knows whether every worker is alive and answering (see the module docstring)."""

    def __init__(self, ctx: Any, count: int) -> None:
        self.beats: Any = ctx.RawArray("d", count)
        """``time.monotonic()`` of each worker's last heartbeat (one clock for all
        processes of the machine)."""
        self.procs: list[Any] = []
        self.timeout = worker_timeout()
        self.stopping = False

    def start(self) -> None:
        """From now on, a worker that has not beaten for the timeout has stopped."""
        now = time.monotonic()
        for w in range(len(self.beats)):
            self.beats[w] = max(self.beats[w], now)

    def check(self) -> str | None:
        """Why the search cannot go on (a worker died or stopped answering), or None."""
        if self.stopping:
            return None
        for w, proc in enumerate(self.procs):
            code = proc.exitcode
            if code is not None:
                how = (f"was killed by signal {_signal_name(-code)}" if code < 0
                       else f"exited with code {code}")
                return (f"worker {w} (pid {proc.pid}) {how} during the search; the "
                        "search cannot go on without its share of the states")
        now = time.monotonic()
        for w, proc in enumerate(self.procs):
            silent = now - self.beats[w]
            if silent > self.timeout:
                stopped = (" (it is stopped, by SIGSTOP or a debugger)"
                           if process_state(proc.pid) == "stopped" else "")
                return (f"worker {w} (pid {proc.pid}) stopped answering: no sign of life "
                        f"for {silent:.0f} s{stopped}; the search cannot go on without "
                        "its share of the states")
        return None

    def failure(self, error: BaseException | None = None) -> WorkerFailure:
        """The error to end the search with, after ``error`` on a worker's pipe."""
        reason = self.check()
        if reason is None:
            deadline = time.monotonic() + 2.0
            while reason is None and time.monotonic() < deadline:
                time.sleep(0.05)  # the worker whose pipe broke is exiting: say how
                reason = self.check()
        if reason is None:
            reason = (f"the connection to a worker broke during the search "
                      f"({type(error).__name__}: {error})")
        return WorkerFailure(reason)

    def raise_if_failed(self) -> None:
        reason = self.check()
        if reason is not None:
            raise WorkerFailure(reason)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


class _Spot(Exception):
    """A worker's Run found something at global state ``index``."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class _WorkerRun(Run):
    """Run's checks, but a finding only raises :class:`_Spot` with where it is."""

    def trace_to(self, index: int, state: Any | None,
                 then: tuple[int, Any] | None = None) -> Any:
        raise _Spot(index)

    def spec_error(self, function: str, error: BaseException, index: int | None,
                   action: int | None = None) -> SpecRuntimeError:
        raise _Spot(-1 if index is None else index)

    def _bad_state(self, state: Any, index: int) -> None:
        raise _Spot(index)


def explore(model: Model, options: Options) -> Result:
    """Explore ``model`` breadth-first in ``options.workers`` forked processes."""
    if "fork" not in mp.get_all_start_methods():
        raise UsageError("--workers needs processes started by fork (Linux or macOS); "
                         "use --scheduler local on this system")
    # With generator actions, a path's steps are told apart by the index of each state.
    store = FingerprintStore(narrow=narrow_links(model), indexed=model.multi)
    run = Run(model, options, store, "bfs")
    run.details = {"workers": options.workers}
    workers: list[tuple[Any, Connection]] = []
    supervisor = _Supervisor(mp.get_context("fork"), options.workers)
    dog = run.watchdog
    if dog is not None:
        # The coordinator checks its workers between messages; the watchdog also while
        # it is blocked on a pipe to one that will never answer.
        dog.add(supervisor.check, fatal=True)
    try:
        return run.outcome(
            lambda: _supervised(run, model, options, store, workers, supervisor))
    finally:
        supervisor.stopping = True
        if dog is not None:
            dog.remove(supervisor.check)
        for _, conn in workers:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
            conn.close()
        for proc, _ in workers:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _supervised(run: Run, model: Model, options: Options, store: FingerprintStore,
                workers: list[tuple[Any, Connection]], supervisor: _Supervisor) -> Result:
    """:func:`_coordinate`, with a broken pipe to a worker told as what happened to it."""
    try:
        return _coordinate(run, model, options, store, workers, supervisor)
    except (EOFError, OSError) as e:
        if not workers:
            raise
        raise supervisor.failure(e) from None


def _coordinate(run: Run, model: Model, options: Options, store: FingerprintStore,
                workers: list[tuple[Any, Connection]], supervisor: _Supervisor) -> Result:
    inits = run.initial_states()
    init_states = [s for _, s in inits]
    run.generated = len(init_states)
    fps = _fingerprints(run, init_states, [i for i, _ in inits])
    uniq, first = np.unique(fps, return_index=True)
    pos = np.sort(first)
    if options.max_states is not None and len(pos) > options.max_states:
        pos = pos[:options.max_states]
        uniq = np.sort(fps[pos])
    store.add(uniq, np.full(len(pos), NO_PARENT, dtype=np.uint32),
              np.array([inits[p][0] for p in pos.tolist()], dtype=np.uint32),
              np.argsort(fps[pos], kind="stable") if store.indexed else None)
    frontier = [init_states[p] for p in pos.tolist()]
    run.check_new(frontier, 0)
    ids = list(range(len(frontier)))  # the global index of each state of the frontier
    inside = run.inside(frontier, 0)
    if inside is not None:
        ids = [i for i in ids if inside[i]]
        frontier = [frontier[i] for i in ids]
        run.outside += len(inside) - len(ids)
    if not frontier:
        return run.finish(bounded=None)
    stop = run.limit_reached()
    if stop is not None:
        run.depth = 1
        return run.result("incomplete", exhaustive=False, stopped=stop)
    run.depth = 1
    ctx = mp.get_context("fork")
    n = options.workers
    # The watchdog may check a worker as soon as it is listed, before its first beat.
    supervisor.start()
    for w in range(n):
        ours, theirs = ctx.Pipe()
        share = list(range(w, len(frontier), n))
        proc = ctx.Process(target=_worker, name=f"modelcheck-worker-{w}", daemon=True,
                           args=(theirs, model, options, [frontier[i] for i in share],
                                 [ids[i] for i in share], supervisor.beats, w))
        proc.start()
        theirs.close()
        workers.append((proc, ours))
        supervisor.procs.append(proc)
    supervisor.start()
    sizes = [len(range(w, len(frontier), n)) for w in range(n)]
    del frontier
    run.worker_pids = [proc.pid for proc, _ in workers]
    conns = [c for _, c in workers]
    owner = {c: w for w, c in enumerate(conns)}
    cut = False
    while True:
        last = options.max_depth is not None and run.depth >= options.max_depth
        pending = [p.name for p in run.pending_sometimes]
        for c in conns:
            c.send(("level", last, pending))
        queue = sum(sizes)
        reports: list[tuple[str, int, int]] = []
        scanning = False
        done = 0
        next_sizes = [0] * n
        satisfied: set[str] = set()
        while done < n:
            for ready in wait(conns, timeout=0.25):
                c = cast(Connection, ready)
                buf = c.recv_bytes()
                if buf[:1] == _CHUNK:
                    fps, parents, actions, generated, expanded = _unpack_chunk(buf)
                    run.generated += generated
                    queue -= expanded
                    if last or scanning:
                        if last and not cut and len(fps):
                            cut = bool(store.missing(fps).any())
                        c.send_bytes(_NOTHING_NEW)
                        continue
                    missing = store.missing(fps)
                    room = run.room()
                    if room is not None and int(missing.sum()) > room:
                        # The state limit holds exactly: the states beyond it are not
                        # stored, and the worker drops them as not new.
                        missing[np.flatnonzero(missing)[room:]] = False
                    base = len(store)
                    new = fps[missing]
                    store.add(new, parents[missing], actions[missing],
                              base + np.arange(len(new)) if store.indexed else None)
                    queue += len(new)
                    c.send_bytes(_NEW + _HEADER.pack(base, len(missing)) + missing.tobytes())
                    continue
                msg = pickle.loads(buf)
                tag = msg[0]
                if tag == "report":
                    kind, index, action = msg[1:]
                    if kind == "deadlock" or not options.deadlock:
                        # Nothing found later in this level can be shorter.
                        _reproduce(run, model, kind, index, action)
                    reports.append((kind, index, action))
                    if not scanning:
                        scanning = True
                        for other in conns:
                            other.send(("scan",))
                elif tag == "done":
                    next_sizes[owner[c]] = msg[1]
                    satisfied.update(msg[2])
                    run.outside += msg[3]
                    done += 1
            supervisor.raise_if_failed()
            run.queue = max(queue, 0)
            run.report()
            stop = run.limit_reached()
            if stop is not None:
                return run.result("incomplete", exhaustive=False, stopped=stop)
        if reports:
            kind, index, action = min(reports, key=lambda r: (r[0] != "deadlock", r[1]))
            _reproduce(run, model, kind, index, action)
            raise NondeterminismError(
                f"a worker reported a {kind} at state {index} that replaying its trace does "
                "not reproduce: the spec is nondeterministic", function="?")
        run.pending_sometimes = [p for p in run.pending_sometimes if p.name not in satisfied]
        sizes = next_sizes
        if last or not sum(sizes):
            break
        run.depth += 1
        _rebalance(conns, sizes)
    run.queue = 0
    return run.finish(bounded=f"depth limit of {options.max_depth} reached" if cut else None)


# The messages of the hot path are raw bytes, not pickles: a tag byte, a header of two
# int64, then numpy buffers. Pickled control messages start with pickle's PROTO opcode.
_CHUNK = b"C"
_NEW = b"N"
_HEADER = struct.Struct("<qq")
_NOTHING_NEW = _NEW + _HEADER.pack(-1, 0)


def _pack_chunk(fps: Any, parents: Any, actions: Any, generated: int, expanded: int) -> bytes:
    """A worker's chunk: distinct fingerprints with their parent and action indices."""
    return b"".join((_CHUNK, _HEADER.pack(generated, expanded), fps.tobytes(),
                     parents.astype(np.uint32).tobytes(), actions.astype(np.uint32).tobytes()))


def _unpack_chunk(buf: bytes) -> tuple[Any, Any, Any, int, int]:
    generated, expanded = _HEADER.unpack_from(buf, 1)
    start = 1 + _HEADER.size
    n = (len(buf) - start) // 16
    fps = np.frombuffer(buf, dtype=np.int64, count=n, offset=start)
    parents = np.frombuffer(buf, dtype=np.uint32, count=n, offset=start + 8 * n)
    actions = np.frombuffer(buf, dtype=np.uint32, count=n, offset=start + 12 * n)
    return fps, parents, actions, generated, expanded


def _rebalance(conns: list[Connection], sizes: list[int]) -> None:
    """Move states from the workers above the mean share to those below it."""
    mean = sum(sizes) / len(sizes)
    if max(sizes) <= REBALANCE * mean or sum(sizes) < 2 * CHUNK:
        return
    target = [int(mean)] * len(sizes)
    for i in range(sum(sizes) - sum(target)):
        target[i] += 1
    give = [(w, s - t) for w, (s, t) in enumerate(zip(sizes, target)) if s > t]
    take = [(w, t - s) for w, (s, t) in enumerate(zip(sizes, target)) if s < t]
    for w, k in give:
        conns[w].send(("give", k))
        moving = conns[w].recv()
        if moving is None:
            return  # the states do not pickle: every worker keeps its own
        states, indices = moving
        while len(states):
            r, need = take[0]
            conns[r].send(("take", states[:need], indices[:need]))
            moved = min(need, len(states))
            states, indices = states[moved:], indices[moved:]
            if moved == need:
                take.pop(0)
            else:
                take[0] = (r, need - moved)
    for w, t in enumerate(target):
        sizes[w] = t


def _reproduce(run: Run, model: Model, kind: str, index: int, action: int) -> None:
    """Raise, in the coordinator, what a worker found at global state ``index``.

    The state is rebuilt by replaying its trace; the same check then fails here, with
    the same message and trace as in single-process search.
    """
    states = run.trace_to(index, None).states
    assert states is not None
    state = states[-1]
    if kind == "deadlock":
        run.deadlock(index, state)
    elif kind == "new":
        run.check_new([state], index)
        run.inside([state], index)
    elif kind == "nondeterministic":
        raise run.nondeterministic(index, action)
    elif kind == "step":
        try:
            found = model.successors(action, state)
        except Exception as e:
            raise run.spec_error("", e, index, action) from e
        for nxt in found:
            if model.action_properties:
                run.check_transition(state, index, action, nxt)
            _fingerprints(run, [nxt], [action])


# -- worker process -----------------------------------------------------------------------


def _worker(conn: Connection, model: Model, options: Options, frontier: list[Any],
            indices: list[int], beats: Any, number: int) -> None:
    """Expand this worker's share of each level until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    threading.Thread(target=_heartbeat, args=(beats, number), daemon=True).start()
    try:
        _Worker(conn, model, options, frontier, indices).serve()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the coordinator has gone: nothing left to do
    finally:
        conn.close()
        os._exit(0)  # skip the atexit handlers and finalisers inherited from the parent


def _heartbeat(beats: Any, number: int) -> None:
    """Tell the coordinator this process is alive; exit when the coordinator has gone.

    (A worker holds copies of the coordinator's ends of the pipes, inherited by fork, so
    it would never see them close if the coordinator were killed.)
    """
    coordinator = os.getppid()
    while os.getppid() == coordinator:
        beats[number] = time.monotonic()
        time.sleep(HEARTBEAT)
    os._exit(0)


class _Worker:
    def __init__(self, conn: Connection, model: Model, options: Options,
                 frontier: list[Any], indices: list[int]) -> None:
        self.conn = conn
        self.model = model
        self.cfg = model.config
        self.table = model.table()
        self.checked = bool(model.action_properties)
        self.expand = expander(model, checked=self.checked)
        self.run = _WorkerRun(model, options, FingerprintStore(), "bfs")
        self.frontier = frontier
        self.indices = np.array(indices, dtype=np.int64)
        self.fps = self.fingerprints(frontier)
        self.scan = False
        self.rechecks = 0

    def serve(self) -> None:
        while True:
            msg = self.conn.recv()
            if msg[0] == "level":
                self.level(last=msg[1], pending=msg[2])
            elif msg[0] == "give":
                k = msg[1]
                try:
                    # Pickled here, so a state that cannot be pickled (a class defined
                    # inside a function) keeps the shares as they are instead of failing.
                    payload = pickle.dumps((self.frontier[-k:], self.indices[-k:]),
                                           pickle.HIGHEST_PROTOCOL)
                except Exception:
                    self.conn.send(None)
                    continue
                self.conn.send_bytes(payload)
                del self.frontier[-k:]
                self.indices = self.indices[:-k]
                self.fps = self.fps[:-k]
            elif msg[0] == "take":
                self.frontier += msg[1]
                self.indices = np.concatenate((self.indices, msg[2]))
                self.fps = np.concatenate((self.fps, self.fingerprints(msg[1])))
            elif msg[0] == "stop":
                return

    def _recv(self) -> tuple[Any, int]:
        """The next reply to a chunk (the mask of new fingerprints, or None, and the
        index of the first new one); control messages in between are acted on."""
        while True:
            buf = self.conn.recv_bytes()
            if buf[:1] == _NEW:
                base, n = _HEADER.unpack_from(buf, 1)
                if base < 0:
                    return None, 0
                start = 1 + _HEADER.size
                return np.frombuffer(buf, dtype=np.bool_, count=n, offset=start), base
            msg = pickle.loads(buf)
            if msg[0] == "scan":
                self.scan = True
            elif msg[0] == "stop":
                raise EOFError

    def report(self, kind: str, index: int, action: int = -1) -> None:
        self.conn.send(("report", kind, index, action))
        self.scan = True

    def level(self, *, last: bool, pending: list[str]) -> None:
        run = self.run
        run.pending_sometimes = [p for p in self.model.sometimes if p.name in pending]
        self.scan = False
        frontier, indices = self.frontier, self.indices
        next_states: list[Any] = []
        next_indices: list[Any] = []
        next_fps: list[Any] = []
        waiting: tuple[list[Any], Any, Any] | None = None  # the batch awaiting an answer
        batch: list[tuple[Any, ...]] = []  # expanded chunks not sent yet
        expanded = 0
        for start in range(0, len(frontier), CHUNK):
            chunk = frontier[start:start + CHUNK]
            parents_of = indices[start:start + CHUNK]
            fps_of = self.fps[start:start + CHUNK]
            if self.scan:
                self.scan_deadlocks(chunk, parents_of)
                continue
            out = self.expand_chunk(chunk, parents_of, fps_of)
            expanded += len(chunk)
            if out is not None and not self.scan:
                batch.append(out)
            if len(batch) < SEND_EVERY or self.scan:
                continue
            if waiting is not None:
                self.admit(waiting, next_states, next_indices, next_fps)
                waiting = None
            if not self.scan:
                waiting = self.send(batch, expanded)
            batch, expanded = [], 0
        if waiting is not None:
            self.admit(waiting, next_states, next_indices, next_fps)
        if batch and not self.scan:
            self.admit(self.send(batch, expanded), next_states, next_indices, next_fps)
        self.frontier = next_states
        self.indices = (np.concatenate(next_indices) if next_indices
                        else np.zeros(0, dtype=np.int64))
        self.fps = (np.concatenate(next_fps) if next_fps else np.zeros(0, dtype=np.int64))
        satisfied = [p.name for p in self.model.sometimes
                     if p.name in pending and p not in run.pending_sometimes]
        self.conn.send(("done", len(next_states), satisfied, run.outside))
        run.outside = 0

    def fingerprints(self, states: list[Any]) -> Any:
        """The fingerprints of frontier states that arrived without them."""
        return _fingerprints(self.run, states, [0] * len(states))

    def expand_chunk(self, chunk: list[Any], parents_of: Any,
                     fps_of: Any) -> tuple[Any, ...] | None:
        """Successors of ``chunk`` (whose states have global indices ``parents_of`` and
        fingerprints ``fps_of``) and their distinct fingerprints; None after a report."""
        succs: list[Any] = []
        actions: list[int] = []
        counts: list[int] = []
        try:
            if self.checked:
                check_transition = self.run.check_transition
                parents = parents_of.tolist()

                def check(s: Any, i: int, aid: int, t: Any) -> None:
                    check_transition(s, parents[i], aid, t)
                self.expand(chunk, succs, actions, counts, 0, check)
            else:
                self.expand(chunk, succs, actions, counts)
        except _Spot as spot:
            self.report("step", spot.index, self._failing_action(chunk, parents_of)[1])
            # A deadlock anywhere in this level has a shorter trace, this chunk included.
            self.scan_deadlocks(chunk, parents_of)
            return None
        except Exception:
            at, aid = self._failing_action(chunk, parents_of)
            self.report("step", at, aid)
            self.scan_deadlocks(chunk, parents_of)
            return None
        if self.recheck(chunk, parents_of, succs, actions, counts):
            return None
        if 0 in counts:
            for i, c in enumerate(counts):
                if c == 0 and self.deadlocked(chunk[i], int(parents_of[i])):
                    return None
        if not succs:
            return None
        try:
            fps = _fingerprints(self.run, succs, actions)
        except SpecRuntimeError:
            for k, t in enumerate(succs):
                try:
                    fingerprint(t if self.model.identify is None else self.model.identify(t))
                except (TypeError, RecursionError, SpecRuntimeError):  # the view raised
                    owner = np.searchsorted(np.cumsum(counts), k, side="right")
                    self.report("step", int(parents_of[owner]), actions[k])
                    return None
            raise
        per_state = np.array(counts, dtype=np.int64)
        # A successor equal to its parent is stored already: leave it out here rather
        # than send it (a third of TwoPhase's successors are such self-loops).
        fresh = np.flatnonzero(fps != np.repeat(fps_of, per_state))
        # Keep one successor per fingerprint, in the order they were generated, and free
        # the others now, while they are in cache: a chunk's successors wait for the
        # coordinator's answer while the next chunks are expanded, and a smaller working
        # set is markedly faster. Generation order matters too: siblings share most of
        # their parts and the next level expands them one after the other (in
        # fingerprint order a worker runs a tenth slower).
        _, first = np.unique(fps[fresh], return_index=True)
        keep = np.sort(fresh[first])
        parent_of_succ = np.repeat(parents_of, per_state)
        act = np.array(actions, dtype=np.uint32)
        return ([succs[p] for p in keep.tolist()], fps[keep], parent_of_succ[keep],
                act[keep], len(succs))

    def recheck(self, chunk: list[Any], parents_of: Any, succs: list[Any], actions: list[int],
                counts: list[int]) -> bool:
        """Execute one state of the chunk again (see ``Run.recheck``); report whether its
        actions gave something else."""
        found = semantics.rerun_sample(self.model, self.rechecks, chunk, succs, actions,
                                       counts, self.table)
        self.rechecks += 1
        if found is None:
            return False
        self.report("nondeterministic", int(parents_of[found[0]]), found[1])
        return True

    def send(self, batch: list[tuple[Any, ...]], expanded: int) -> tuple[list[Any], Any, Any]:
        """Send the distinct fingerprints of ``batch`` (expanded chunks' candidates) to
        the coordinator; returns what :meth:`admit` needs to keep the new ones."""
        candidates = [t for out in batch for t in out[0]]
        fps = np.concatenate([out[1] for out in batch])
        # Sorted fingerprints: the coordinator's look-ups walk its sorted runs in order,
        # and the new ones are a sorted run as they are. The state of ``uniq[i]`` is
        # ``candidates[first[i]]``, its first occurrence.
        uniq, first = np.unique(fps, return_index=True)
        parents = np.concatenate([out[2] for out in batch])[first]
        actions = np.concatenate([out[3] for out in batch])[first]
        generated = sum(out[4] for out in batch)
        self.conn.send_bytes(_pack_chunk(uniq, parents, actions, generated, expanded))
        return candidates, first, uniq

    def _failing_action(self, chunk: list[Any], parents_of: Any) -> tuple[int, int]:
        """The (state index, action) whose call raises or fails a transition check."""
        cfg = self.cfg
        for i, s in enumerate(chunk):
            for aid, fn, args in self.table:
                try:
                    r = fn(cfg, s, *args)
                    if r is not None and self.checked:
                        for t in r if r.__class__ is Successors else (r,):
                            self.run.check_transition(s, int(parents_of[i]), aid, t)
                except Exception:
                    return int(parents_of[i]), aid
        return int(parents_of[0]), -1

    def deadlocked(self, state: Any, index: int) -> bool:
        try:
            self.run.deadlock(index, state)
        except _Spot:
            self.report("deadlock", index)
            return True
        return False

    def scan_deadlocks(self, chunk: list[Any], parents_of: Any) -> None:
        """After a report: only look for a deadlock, which would give a shorter trace."""
        if not self.run.options.deadlock:
            return
        cfg = self.cfg
        for i, s in enumerate(chunk):
            try:
                enabled = any(fn(cfg, s, *args) is not None for _, fn, args in self.table)
            except Exception:
                continue
            if not enabled and self.deadlocked(s, int(parents_of[i])):
                return

    def admit(self, waiting: tuple[list[Any], Any, Any], next_states: list[Any],
              next_indices: list[Any], next_fps: list[Any]) -> None:
        """Keep the successors the coordinator stored as new, and check them."""
        missing, base = self._recv()
        if missing is None or not missing.any():
            return
        candidates, first, uniq = waiting
        # The j-th new fingerprint (in sorted order) is stored at index base + j; its
        # state is kept in the order the states were generated.
        sel = np.flatnonzero(missing)
        order = np.argsort(first[sel])
        new = [candidates[p] for p in first[sel][order].tolist()]
        indices = base + order
        try:
            # Checked in the order they were generated: a _Spot gives the position of
            # the first state that fails, whose global index the report names.
            self.run.check_new(new, 0)
            inside = self.run.inside(new, 0)
        except _Spot as spot:
            self.report("new", int(indices[spot.index]))
            return
        fps = uniq[sel][order]
        if inside is not None:
            # States outside the state constraints stay stored, but are not expanded.
            keep = np.array(inside, dtype=np.bool_)
            new = [s for s, ok in zip(new, inside) if ok]
            indices, fps = indices[keep], fps[keep]
            self.run.outside += len(keep) - len(new)
        next_states += new
        next_indices.append(indices)
        next_fps.append(fps)
