"""SIGTERM, what batch schedulers and CI send to stop a job, stops a search as Ctrl-C does."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["note_terminate", "terminate_as_interrupt"]

_terminated = False
"""Whether SIGTERM ended a search of this process: no other search starts then."""


def note_terminate() -> None:
    """Record that SIGTERM reached a search (for a handler of a search's own)."""
    global _terminated
    _terminated = True


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within this block SIGTERM raises KeyboardInterrupt, so a search it stops ends as
    one stopped by Ctrl-C: with the result of what was explored (exit 3), and a
    checkpoint saved when one is being taken.

    SIGTERM asks the whole process to stop, not one search: once it has ended a search,
    entering the block again raises KeyboardInterrupt at once (a program checking several
    models in turn stops, as the signal's default would have stopped it). Left alone off
    the main thread, and when the program has a SIGTERM handler of its own. Processes
    forked inside the block inherit the handler; there it ends the process as SIGTERM
    does by default, and the process that forked them reports.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    if _terminated:
        raise KeyboardInterrupt
    pid = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != pid:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        note_terminate()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
