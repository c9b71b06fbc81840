"""What every command of the command line does the same way: fail with a clear message and
exit code, check an output file before the work that fills it, and write a rendering to
standard output or a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from modelcheck.errors import ModelcheckError, UsageError

__all__ = ["check_writable", "fail", "write_output"]


def fail(error: ModelcheckError, *, as_json: bool = False) -> NoReturn:
    """End the command with ``error``'s message (as JSON with ``as_json``) and exit code."""
    if as_json:
        click.echo(json.dumps({"status": "error", "error": error.message}))
    else:
        click.echo(f"error: {error.message}", err=True)
    sys.exit(error.exit_code)


def write_output(text: str, output: Path | None, done: str) -> None:
    """Print ``text``, or write it to ``output`` and say ``done`` on standard error."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        fail(UsageError(f"cannot write {output}: {e}"))
    click.echo(done, err=True)


def check_writable(path: Path, option: str, *, parents: bool = False) -> None:
    """Refuse an output file that cannot be written, before the work that would fill it.

    The file is opened for appending (created and removed again if it did not exist),
    which is the only test that holds for every reason a write can fail; with
    ``parents``, missing directories are created first, as the write will.
    """
    existed = path.exists()
    try:
        if parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory")
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot write this file ({e.strerror or e}); "
                         "give a path in a writable directory") from None
    if not existed:
        path.unlink(missing_ok=True)
