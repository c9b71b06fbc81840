"""SIGTERM, what batch schedulers and CI send to stop a job, stops a search as Ctrl-C does."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["terminate_as_interrupt"]


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within this block SIGTERM raises KeyboardInterrupt, so a search it stops ends as
    one stopped by Ctrl-C: with the result of what was explored (exit 3), and a
    checkpoint saved when one is being taken.

    Left alone off the main thread, and when the program has a SIGTERM handler of its
    own. Processes forked inside the block inherit the handler; there it ends the
    process as SIGTERM does by default, and the process that forked them reports.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    pid = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != pid:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
