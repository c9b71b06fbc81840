"""A thread that watches a run from outside: its memory, its time, and the health of its
workers.

The explorers check their limits between chunks, but some work has no chunks: a domain
function of the spec that builds a huge list while the model is bound, one frontier state
with an enormous number of successors, a wait on a worker that died or was stopped. The
watchdog samples resident memory (and any checks an explorer registers: the time limit,
past a second's grace, and the health of workers) a few times a second; when one fails
it records *why* and interrupts the main thread with SIGINT, so the code running there
stops as if Ctrl-C had been pressed, and whoever catches the ``KeyboardInterrupt`` asks
the watchdog for the reason (:meth:`Watchdog.interrupted`).

An interrupt can be lost: when the signal lands while a gc callback (Hypothesis registers
one), a ``__del__`` or a weakref callback runs, Python reports the ``KeyboardInterrupt`` as
an "unraisable exception" and goes on; a checkpointed search's handler only notes a first
one. So the watchdog sends SIGINT again every :data:`RESEND` seconds until the run
acknowledges it: by catching the interrupt and asking why (:meth:`Watchdog.interrupted`),
by stopping at a limit of its own (:meth:`Watchdog.stand_down`), or by leaving the
watchdog. While one of its interrupts is outstanding, the watchdog takes a
``KeyboardInterrupt`` reported as unraisable as its own lost one: it is not reported (a
test run with warnings as errors would fail on it) and the next is sent at once. To a
checkpointed search the second signal is the "second Ctrl-C" that stops it at once,
without the final checkpoint: the watchdog acts only when something overruns (a chunk a
second past the time limit, memory past its limit), and that chunk is not waited for.

A run that stops on its own (at a limit it checks itself, with a violation) stands the
watchdog down, so that an interrupt the watchdog decided on at the same moment does not
land in what the run still does (writing a checkpoint, building traces).

What cannot be interrupted: a single call into C that holds the interpreter lock (one huge
allocation, one numpy operation) runs to its end first, since the watchdog thread itself
needs the lock to run; a run in another thread than the main one (a signal only reaches
the main thread), where the reason is only read at the explorers' next limit check; and
code of the spec that swallows ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Watchdog", "active", "memory_limit", "process_state", "resident_memory", "size",
           "worker_timeout"]

INTERVAL = 0.1
"""Seconds between two samples."""

RESEND = 1.0
"""Seconds between two interrupts of a run that has acknowledged neither (see the module's
docstring); long enough for whoever catches the first to acknowledge it."""

ABSORB = 1.0
"""Seconds an interrupt that may be on its way is waited for, to take it, when a run
stands the watchdog down."""

WORKER_TIMEOUT = 60.0
"""Seconds a worker may show no sign of life before the search gives up on it."""


def worker_timeout() -> float:
    """:data:`WORKER_TIMEOUT`, or the seconds in ``MODELCHECK_WORKER_TIMEOUT``."""
    with contextlib.suppress(KeyError, ValueError):
        value = float(os.environ["MODELCHECK_WORKER_TIMEOUT"])
        if value > 0:
            return value
    return WORKER_TIMEOUT


def process_state(pid: int) -> str | None:
    """How Linux sees process ``pid``: ``"stopped"`` (SIGSTOP, a debugger), ``"zombie"``,
    ``"running"``; None when that is unknown (another system, or no such process)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            code = f.read().rpartition(b")")[2].split()[0]
    except (OSError, IndexError):
        return None
    return {b"T": "stopped", b"t": "stopped", b"Z": "zombie", b"X": "zombie"}.get(
        code, "running")

_active: Watchdog | None = None


def active() -> Watchdog | None:
    """The watchdog guarding the run in progress in this process, if any."""
    return _active


def size(n: int) -> str:
    """``1.5 GiB``: a number of bytes as people read it."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


class Watchdog:
    """Runs ``checks`` every :data:`INTERVAL` seconds in a thread while it is entered.

    A check returns None while all is well, or the reason to stop. A check registered
    with ``fatal=True`` (a worker that died) makes the run an error; the others (a memory
    limit) make it stop early. Only the first failure counts.
    """

    def __init__(self) -> None:
        self.checks: list[tuple[Callable[[], str | None], bool]] = []
        self.pids: Callable[[], Sequence[int]] = tuple
        """The worker processes whose memory counts with this one's (set by explorers)."""
        self.reason: str | None = None
        """Why the watchdog stopped the run, once it has."""
        self.fatal = False
        """Whether that reason is an error (exit 2) rather than a limit (exit 3)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._main: int | None = None
        self._signalled = False
        """Whether an interrupt was sent that the run has not acknowledged."""
        self._quiet = False
        """Whether the run stopped, or caught an interrupt: it is sent no more."""
        self._closing = False
        self._lost = threading.Event()
        """Set when an interrupt was swallowed as unraisable (or the watchdog stops)."""
        self._hook = self._unraisable
        self._previous_hook: Callable[[Any], Any] | None = None

    def add(self, check: Callable[[], str | None], *, fatal: bool = False) -> None:
        """Run ``check`` with the others from now on."""
        self.checks.append((check, fatal))

    def remove(self, check: Callable[[], str | None]) -> None:
        """Stop running ``check``."""
        self.checks = [(c, f) for c, f in self.checks if c is not check]

    def poll(self) -> str | None:
        """Run every check now, in the calling thread; the reason to stop, if any."""
        if self.reason is None:
            for check, fatal in list(self.checks):
                why = check()
                if why is not None:
                    with self._lock:
                        if self.reason is None:
                            self.reason, self.fatal = why, fatal
                    break
        return self.reason

    def __enter__(self) -> Watchdog:
        global _active
        self._previous = _active
        _active = self
        if threading.current_thread() is threading.main_thread():
            self._main = threading.main_thread().ident
            self._previous_hook = sys.unraisablehook
            sys.unraisablehook = self._hook
        self._thread = threading.Thread(target=self._watch, name="modelcheck-watchdog",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        global _active
        _active = self._previous
        with self._lock:
            self._closing = True
        self._stop.set()
        self._lost.set()
        if self._thread is not None:
            self._thread.join()
        if exc_type is None or not issubclass(exc_type, KeyboardInterrupt):
            self.stand_down()  # an interrupt still on its way must not stop what follows
        if self._previous_hook is not None and sys.unraisablehook is self._hook:
            sys.unraisablehook = self._previous_hook

    def _unraisable(self, info: Any) -> None:
        """``sys.unraisablehook`` while the watchdog watches the main thread: an
        interrupt of the watchdog's swallowed (see the module's docstring) is sent again
        without being reported; anything else goes to the hook that was there."""
        # No lock: the main thread may hold it (a collection can start anywhere).
        if self._signalled and isinstance(info.exc_value, KeyboardInterrupt):
            self._lost.set()
        elif self._previous_hook is not None:
            self._previous_hook(info)

    def stand_down(self) -> None:
        """The run has stopped (at a limit of its own, with a violation): interrupt it no
        more, and take an interrupt already sent that has not arrived, so that it does
        not stop what the run still does (write a checkpoint, build its result's traces)
        nor whatever runs after it.

        What the watchdog found still counts: :attr:`reason` is kept, and an explorer
        reads it at its limit check."""
        pending = False
        try:
            with self._lock:
                self._quiet = True
                pending, self._signalled = self._signalled, False
            if pending:
                # A signal sent to this thread ends the sleep at once; one that was lost
                # costs the wait.
                time.sleep(ABSORB)
        except KeyboardInterrupt:
            with self._lock:
                self._quiet = True
                ours = pending or self._signalled
                self._signalled = False
            if not ours:
                raise  # Ctrl-C: not this watchdog's to take

    def _watch(self) -> None:
        while not self._stop.wait(INTERVAL):
            try:
                failed = self.poll() is not None
            except Exception:
                continue  # a check that fails to run must not end the watching
            if failed:
                break
        else:
            return
        # Again until the run acknowledges it; at once (nearly) when it was swallowed.
        while self._interrupt():
            if self._lost.wait(RESEND):
                self._lost.clear()
                # Let the collection or finalizer that swallowed it end first.
                self._stop.wait(INTERVAL)
            if self._stop.is_set():
                return

    def _interrupt(self) -> bool:
        """Send the main thread SIGINT, unless the run has acknowledged an interrupt,
        has stopped or ends anyway; whether it was sent."""
        with self._lock:
            if self._closing or self._quiet or self._main is None:
                return False  # off the main thread, the explorers read the reason instead
            self._signalled = True
            try:
                signal.pthread_kill(self._main, signal.SIGINT)
            except (OSError, ValueError):
                self._signalled = False
            return self._signalled

    def interrupted(self) -> bool:
        """Whether a ``KeyboardInterrupt`` just caught came from this watchdog, rather
        than from Ctrl-C (the reason is then :attr:`reason`).

        Whoever catches a ``KeyboardInterrupt`` while the watchdog watches asks this at
        once: it tells the watchdog that its interrupt arrived, and that the run, which
        is stopping, is to be sent no other (see the module's docstring)."""
        with self._lock:
            ours = self._signalled
            self._signalled = False
            self._quiet = True
        return ours or self.reason is not None


def memory_limit(limit: int, pids: Callable[[], Sequence[int]] = tuple
                 ) -> Callable[[], str | None]:
    """A check that fails when this process and ``pids()`` hold more than ``limit`` bytes."""
    def check() -> str | None:
        used = resident_memory(pids())
        if used <= limit:
            return None
        return f"memory limit of {size(limit)} reached ({size(used)} resident)"
    return check


def resident_memory(pids: Sequence[int] = ()) -> int:
    """Bytes of resident memory of this process and of ``pids``.

    From Linux's /proc: the resident set of this process alone, or with ``pids`` (forked
    workers, which share pages with it) the proportional set sizes, so that shared pages
    count once. Elsewhere, the peak resident set of this process.
    """
    try:
        if not pids:
            with open("/proc/self/statm", "rb") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        total = _pss("self")
        for pid in pids:
            with contextlib.suppress(OSError):  # a worker that has exited holds nothing
                total += _pss(str(pid))
        return total
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def _pss(pid: str) -> int:
    with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
        for line in f:
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024
    return 0
