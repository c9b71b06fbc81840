"""The client's side of a distributed search, in the process that checks.

:func:`explore` connects to the cluster (or starts a :func:`local_cluster`), starts a
:class:`~modelcheck.explore.distributed.worker.Partition` on each worker, drives the
levels, watches the workers' health while it waits, and turns what the partitions found
into a result with the code of single-process BFS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, NoReturn, cast

from modelcheck import semantics
from modelcheck._watchdog import worker_timeout
from modelcheck.errors import (
    ModelcheckError,
    NondeterminismError,
    SpecRuntimeError,
    UsageError,
)
from modelcheck.explore._base import Found, Options, Run, StepFailure, multi_path
from modelcheck.explore.distributed.messages import Finding, action_bits
from modelcheck.explore.distributed.shipping import (
    WORKER_HELP,
    SpecRef,
    check_probes,
    probe,
    spec_ref,
)
from modelcheck.explore.distributed.worker import Partition
from modelcheck.model import Model
from modelcheck.result import Result, Stats
from modelcheck.store import FingerprintStore
from modelcheck.trace import Trace

__all__ = ["WorkerFailure", "explore", "local_cluster"]

POLL = 0.05
"""Seconds between the client's checks of a running round (time limit, progress)."""

HEALTH_EVERY = 1.0
"""Seconds between the client's questions to the scheduler about the workers' health."""

ANSWER = 10.0
"""Seconds the client waits for the partitions' statistics at the end of a search."""


class WorkerFailure(ModelcheckError):
    """A Dask worker died, left the cluster or stopped answering during the search."""


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
        found = multi_path(model, self.fingerprint, s, actions, lambda _, ts: list(ts),
                           state, then) if model.multi else None
        if found is not None:
            states = found[1]
            s = states[-1]
        for step, aid in enumerate(() if found is not None else actions, start=1):
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
    workers chosen must fingerprint alike (:func:`check_probes`).
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
            probes: dict[str, dict[str, Any]] = client.run(probe)
        except ImportError as e:
            raise UsageError(f"modelcheck is not installed on every Dask worker ({e}); "
                             "pip install 'modelcheck[distributed]' there too") from None
        workers = sorted(probes)
        if options.workers > 1:
            workers = workers[:options.workers]
        check_probes({w: probes[w] for w in workers})
        yield client, workers


def explore(model: Model, options: Options) -> Result:
    """Explore ``model`` breadth-first on the Dask cluster named by ``options.scheduler``.

    ``"local"`` starts a :func:`local_cluster` of ``options.workers`` processes for this
    search; any other value is the address of a running scheduler.
    """
    ref = spec_ref(model)
    try:
        with _connect(options) as (client, workers):
            return _Search(model, options, ref, client, workers).run()
    except KeyboardInterrupt:  # while the cluster starts or stops
        run = Run(model, options, FingerprintStore(), "bfs")
        return run.result("incomplete", exhaustive=False,
                          stopped=run.interrupt_reason() or "interrupted")


class _Search:
    """The client's side of one search: starts the partitions and drives the rounds."""

    _PRIORITY: ClassVar[dict[str, int]] = {
        "deadlock": 0, "step": 1, "unhashable": 1, "unpicklable": 1, "nondeterministic": 1,
        "transition": 2, "state": 3, "constraint": 3}
    """Which finding of a round is reported: a deadlock is one step shorter than anything
    else found in the same level; spec errors come before violations, as in bfs."""

    def __init__(self, model: Model, options: Options, ref: SpecRef, client: Any,
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
            run.check_initially(semantics.initial_states(self.model, hash))
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
            why = run.interrupt_reason()  # first: stopping the cluster takes a while
            self._stop_all()
            outcome = functools.partial(run.result, "incomplete", exhaustive=False,
                                        stopped=why or "interrupted")
        except WorkerFailure:
            self._stop_all(wait=1.0)  # the others' work is lost anyway
            raise
        self._collect_statistics()
        return outcome()

    # -- set-up --------------------------------------------------------------------------

    def _start(self) -> None:
        count = len(self.workers)
        if count << action_bits(self.model) > 1 << 32:
            raise UsageError(f"{count} workers and {len(self.model.instances):,} action "
                             "instances do not fit a 32-bit link; use fewer workers")
        token = os.urandom(6).hex()
        self.futures = [
            self.client.submit(Partition, i, count, self.ref, self.options.deadlock,
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
                f"read something that differs between processes?); {WORKER_HELP}")
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
        nap = 0.001
        while waiting:
            # Polled with done(), not result(timeout=...): Dask runs a timed result() as
            # asyncio.wait_for, whose cancellation can race the answer and surface as an
            # UnboundLocalError from inside Dask instead of the result.
            if waiting[0].done():  # finished, or failed: raised again below
                waiting.pop(0)
                continue
            time.sleep(nap)
            nap = min(2 * nap, POLL)  # quick rounds answer in a millisecond or two
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
        frontier: int = sum(r["frontier"] for r in results)
        self.links.count += new
        self.run_.outside += new - frontier
        self._raise_first([r["finding"] for r in results])
        met = {name for r in results for name in r["satisfied"]}
        self.run_.pending_sometimes = [p for p in self.run_.pending_sometimes
                                       if p.name not in met]
        return frontier

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
        elif kind == "constraint":
            run.inside([f["state"]], ref)
        elif kind == "nondeterministic":
            raise run.nondeterministic(ref, f["action"])
        elif kind == "step":
            # Re-run the step here for the exception itself (its type and message).
            error: BaseException = RuntimeError(f["error"])
            try:
                model.successors(f["action"], f["state"])
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
