"""What every command of the command line does the same way.

The options several commands share, each declared once (``--variant``, ``--param``,
``--faults``, ``--time-limit``, ``--no-deadlock``, ``--output`` and the report options
``--json``, ``--trace-out``, ``--full``, ``--quiet``); the parsing of their values; and the
output: fail with a clear message and exit code, check an output file before the work
that fills it, write a rendering to standard output or a file, print a result and its
trace, and a progress line on standard error.

This module is the bottom of the command line: the command modules import it and the
engine, never one another.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.explore import Progress
from modelcheck.network import FAULTS, Faults
from modelcheck.render.text import render_result
from modelcheck.result import Result
from modelcheck.spec import Spec

__all__ = ["ProgressLine", "Report", "check_writable", "emit", "fail",
           "faults_option", "gather", "json_option", "max_memory_option", "no_deadlock_option",
           "output_option", "param_option", "parse_params", "parse_size", "report_options",
           "show_faults",
           "time_limit_option", "variant_option", "with_faults", "write_output"]

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
"""What a click option decorator does to a command function."""


# -- shared options ---------------------------------------------------------------------------

variant_option: Decorator = click.option(
    "--variant", help="A named configuration of the spec (see `modelcheck show`).")

param_option: Decorator = click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE",
    help="Set a config parameter; repeatable.")

faults_option: Decorator = click.option(
    "--faults", "faults", metavar="NAME=N,...",
    help="Fault budgets for a spec on modelcheck.network, e.g. "
         "--faults loss=2,dup=1,crash=1,partition=1 (see `modelcheck show SPEC`).")

time_limit_option: Decorator = click.option(
    "--time-limit", type=click.FloatRange(min=0, min_open=True), help="Stop after S seconds.")

max_memory_option: Decorator = click.option(
    "--max-memory", metavar="SIZE",
    help="Stop (exit 3) when resident memory exceeds SIZE, e.g. 4G or 500M.")

no_deadlock_option: Decorator = click.option(
    "--deadlock/--no-deadlock", "deadlock", default=None,
    help="Report states with no enabled action as deadlocks, or not (default: as the spec "
         "says, Spec(..., check_deadlock=...); deadlocks are reported unless it says False).")

output_option: Decorator = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.")


def json_option(what: str = "the result") -> Decorator:
    """``--json``: print ``what`` as one JSON object."""
    return click.option("--json", "as_json", is_flag=True,
                        help=f"Print {what} as one JSON object.")


def gather(cls: type[Any], name: str) -> Decorator:
    """Pass the options named by the fields of the dataclass ``cls`` to the command as one
    ``cls`` value, the keyword argument ``name``, instead of one argument each.

    The options keep their places in ``--help``: this only regroups the arguments click
    passes to the command function.
    """
    names = [f.name for f in dataclasses.fields(cls)]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def gathered(**kwargs: Any) -> Any:
            value = cls(**{n: kwargs.pop(n) for n in names})
            return command(**kwargs, **{name: value})
        return gathered
    return decorate


@dataclass(frozen=True)
class Report:
    """How a search command reports its result: ``--json``, ``--trace-out``, ``--full``,
    ``--quiet``."""

    as_json: bool
    trace_out: Path | None
    full: bool
    quiet: bool


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--json``, ``--trace-out``, ``--full`` and ``--quiet``, passed as ``report``."""
    options = [
        json_option(),
        click.option("--trace-out", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the counterexample trace to FILE: JSON, or by its suffix "
                          "the HTML viewer (.html), Mermaid (.mmd), SVG (.svg), text (.txt) "
                          "or ITF (.itf.json); with several violations the second goes to "
                          "FILE's stem.2.suffix, and so on."),
        click.option("--full", is_flag=True, help="Show every state of the trace in full."),
        click.option("--quiet", "-q", is_flag=True, help="No progress on stderr."),
    ]
    command = gather(Report, "report")(command)
    for option in reversed(options):
        command = option(command)
    return command


# -- parsing ----------------------------------------------------------------------------------


_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """``4G``, ``500M``, ``1.5G`` or a plain number of bytes (``--max-memory``)."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1] if t and t[-1] in _UNITS else ""
    try:
        value = float(t[:len(t) - len(unit)])
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise UsageError(f"--max-memory {text!r}: expected a size such as 4G, 500M or "
                         "1073741824")
    if value <= 0:
        raise UsageError(f"--max-memory {text!r}: must be positive")
    return int(value * _UNITS[unit])


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``--param NAME=VALUE`` pairs as a dict of strings, parsed by the spec's config."""
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE, e.g. --param rms=5")
        params[key.strip()] = value.strip()
    return params


# -- faults: what the spec's hooks say (filled in by modelcheck.network) ----------------------


def show_faults(spec: Spec, cfg: Any) -> None:
    """The fault menu of a spec that injects faults, and why a fault does not apply;
    nothing for other specs."""
    if spec.faults_param is None or spec.supported_faults is None:
        return
    click.echo(f"Faults (--faults NAME=N,..., budgets per behaviour; now: "
               f"{getattr(cfg, spec.faults_param)}):")
    for name, why in spec.supported_faults(cfg).items():
        text = FAULTS[name] if why is None else f"not available: {why}"
        click.echo(f"  {name}: {text}")


def with_faults(spec: Spec, params: dict[str, str], faults: str | None) -> dict[str, str]:
    """``params`` with ``--faults`` set on the config field the spec's faults read."""
    if faults is None:
        return params
    field = spec.faults_param
    if field is None:
        raise UsageError(f"spec {spec.name!r} does not use modelcheck.network, so it has no "
                         "faults to inject; --faults needs a spec built on a Network")
    if field in params:
        raise UsageError(f"--faults and --param {field}=... both set the fault "
                         "budgets; give one of them")
    Faults.from_param(faults)  # a usage error listing the valid names, before any search
    return {**params, field: faults}


# -- output -----------------------------------------------------------------------------------


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


class ProgressLine:
    """Prints a progress line to stderr about once a second, after the first second."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        if p.seconds < 1.0 or p.seconds - self.last < 1.0:
            return
        self.last = p.seconds
        rate = p.generated_states / p.seconds if p.seconds else 0.0
        click.echo(f"  {p.distinct_states:,} distinct  {p.generated_states:,} generated  "
                   f"{rate:,.0f} states/s  depth {p.depth}  queue {p.queue:,}  "
                   f"{p.seconds:.0f} s", err=True)


def emit(result: Result, *, as_json: bool, full: bool, trace_out: Path | None,
         spec: Spec | None = None, header: bool = True) -> None:
    """Print the result, and write its traces to ``trace_out``: each violation's (the
    second to ``out.2.json`` and so on), or the trace to the state a spec error happened
    in. A trace that cannot be written is an error (exit 2) reported after the verdict,
    which still stands. ``header=False``: the result's first line was printed before the
    search."""
    traces = [(v.trace, v.message) for v in result.all_violations if v.trace is not None]
    site = result.error_site
    if result.status == "error" and site is not None and site.trace is not None:
        traces = [(site.trace, result.error or "")]
    failed: ModelcheckError | None = None
    written: list[str] = []
    if trace_out is not None and traces:
        from modelcheck.render.output import numbered, write_trace
        try:
            for k, (trace, verdict) in enumerate(traces, start=1):
                path = numbered(trace_out, k)
                write_trace(trace, path, spec=spec, verdict=verdict)
                written.append(str(path))
        except ModelcheckError as e:
            failed = e
    if as_json:
        click.echo(result.dumps())
    else:
        text = render_result(result, full=full, spec=spec, error=result.status != "error",
                             header=header)
        if result.status == "error":
            # The error goes to standard error alone, printed once, after the result's
            # first line and before where it happened.
            first, _, text = text.partition("\n") if header else ("", "", text)
            if first:
                click.echo(first)
            click.echo(f"error: {result.error}", err=True)
        click.echo(text)
        if written and failed is None:
            click.echo(f"trace{'s' if len(written) > 1 else ''} written to "
                       + ", ".join(written))
    if failed is not None:
        click.echo(f"error: {failed.message}", err=True)
        sys.exit(failed.exit_code)
