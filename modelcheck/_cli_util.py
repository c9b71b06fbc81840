"""What every command of the command line does the same way: fail with a clear message and
exit code, and write a rendering to standard output or a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from modelcheck.errors import ModelcheckError, UsageError

__all__ = ["fail", "write_output"]


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
