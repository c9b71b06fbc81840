"""The ``modelcheck`` command: the click group, its commands, and :func:`main`.

Each command group lives in a module of its own (:mod:`~modelcheck.cli.catalogue` for
``list`` and ``show``, :mod:`~modelcheck.cli.verify`, :mod:`~modelcheck.cli.simulate`,
:mod:`~modelcheck.cli.trace`, :mod:`~modelcheck.cli.graph`, :mod:`~modelcheck.cli.prove`,
:mod:`~modelcheck.cli.explore`, :mod:`~modelcheck.cli.mutate`,
:mod:`~modelcheck.cli.testgen` for ``tests``); what they share is in
:mod:`modelcheck.cli.common`. This module only registers them.

Exit codes, mapped in :func:`main` and nowhere else (README.md lists them under "Exit
codes"): 0 no violation and the search did all it was asked to do; 1 a property is
violated, and nothing else ever exits 1; 2 usage, input or spec error, or an error
modelcheck did not foresee; 3 stopped early (time, state or memory limit, Ctrl-C,
SIGTERM) with no violation found so far.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

import click

from modelcheck import __version__, _startup
from modelcheck._signals import terminate_as_interrupt
from modelcheck.cli import (
    catalogue,
    explore,
    graph,
    mutate,
    prove,
    simulate,
    testgen,
    trace,
    verify,
)
from modelcheck.cli.common import fail
from modelcheck.errors import ModelcheckError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modelcheck")
def cli() -> None:
    """Model-check distributed protocols written as pure Python functions."""


cli.add_command(catalogue.list_cmd)
cli.add_command(catalogue.show_cmd)
cli.add_command(verify.verify_cmd)
cli.add_command(simulate.simulate_cmd)
cli.add_command(trace.trace_group)
cli.add_command(graph.graph_cmd)
cli.add_command(prove.prove_group)
cli.add_command(explore.explore_cmd)
cli.add_command(mutate.mutate_cmd)
cli.add_command(testgen.tests_cmd)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the ``modelcheck`` console script.

    Every way a command can end is mapped to an exit code here: a command exits with its
    own code; a usage error is 2; Ctrl-C is 3; an error modelcheck did not foresee is a
    one-line internal error and 2 (with its traceback when ``MODELCHECK_DEBUG=1``), so
    that 1 only ever means a violated property.
    """
    _startup.done()
    stdout = sys.stdout
    try:
        # SIGTERM (a batch scheduler's or CI's stop) ends a command as Ctrl-C does.
        with terminate_as_interrupt():
            code = cli.main(args=list(argv) if argv is not None else None,
                            prog_name="modelcheck", standalone_mode=False)
    except SystemExit as e:
        if e.code == 1 and sys.stdout is not stdout:
            # Click's exit after standard output was closed early (`modelcheck ... |
            # head`): it swaps in a wrapper that silences the final flush and exits 1.
            # What was to be printed was not, so 1 (a violation, shown) would be wrong.
            sys.exit(2)
        raise
    except click.exceptions.Abort as e:
        if not isinstance(e.__cause__, KeyboardInterrupt):
            _internal_error(e.__cause__ or e)
        _interrupted()
    except KeyboardInterrupt:
        _interrupted()
    except click.ClickException as e:
        e.show()
        sys.exit(2 if e.exit_code == 1 else e.exit_code)  # 1 is for violations only
    except ModelcheckError as e:
        fail(e)
    except BrokenPipeError:
        # Standard output was closed early, outside click's own handling of it.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - flushed at exit
        sys.exit(2)
    except Exception as e:
        _internal_error(e)
    sys.exit(code if isinstance(code, int) else 0)


def _interrupted() -> NoReturn:
    click.echo("interrupted", err=True)
    sys.exit(3)


def _internal_error(error: BaseException) -> NoReturn:
    """An exception no command foresaw: one line, and the traceback on request."""
    if os.environ.get("MODELCHECK_DEBUG", "") not in ("", "0"):
        traceback.print_exception(error)
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    click.echo(f"modelcheck: internal error: {detail} (set MODELCHECK_DEBUG=1 to see "
               "where; please report it)", err=True)
    sys.exit(2)
