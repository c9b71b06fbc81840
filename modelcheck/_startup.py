"""Ctrl-C while the ``modelcheck`` command is still starting: exit 3, without a traceback.

Importing modelcheck and its dependencies takes a good part of a second, and a
``KeyboardInterrupt`` raised in an import would reach the user as a traceback. This
module is imported first by the package; when the process is the ``modelcheck`` command
(the console script or ``python -m modelcheck``), it handles SIGINT until the command
line takes over (:func:`done`). Imported as a library, it changes nothing.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path
from types import FrameType

__all__ = ["done"]


def _is_command() -> bool:
    argv = getattr(sys, "orig_argv", [])
    if "-m" in argv[:-1] and argv[argv.index("-m") + 1] == "modelcheck":
        return True
    # The console script pip writes (a script of one's own named modelcheck.py is not it).
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is not None and Path(path).name in ("modelcheck", "modelcheck-script.py")


def _interrupted(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("interrupted\n")
    raise SystemExit(3)


def done() -> None:
    """The command line handles Ctrl-C from now on: Python's own handler again."""
    if signal.getsignal(signal.SIGINT) is _interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)


if _is_command():
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGINT, _interrupted)
