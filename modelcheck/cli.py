"""The ``modelcheck`` command: list, show and verify specs.

Exit codes (DESIGN.md §3), mapped here and nowhere else: 0 no violation and the search did
all it was asked to do; 1 a property is violated; 2 usage or spec error; 3 stopped early
(time or state limit, Ctrl-C) with no violation found so far.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from modelcheck.catalogue import entries, load
from modelcheck.checkpoint import stable_hashing
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.explore import STRATEGIES, Progress, check
from modelcheck.model import bind
from modelcheck.render.text import render_result, render_value
from modelcheck.result import Result
from modelcheck.state import to_json
from modelcheck.symmetry import symmetric_sets

__all__ = ["cli", "main"]


def _fail(error: ModelcheckError, *, as_json: bool = False) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"status": "error", "error": error.message}))
    else:
        click.echo(f"error: {error.message}", err=True)
    sys.exit(error.exit_code)


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE, e.g. --param rms=5")
        params[key.strip()] = value.strip()
    return params


_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def _parse_size(text: str) -> int:
    """``4G``, ``500M``, ``1.5G`` or a plain number of bytes."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1] if t and t[-1] in _UNITS else ""
    try:
        value = float(t[:len(t) - len(unit)])
    except ValueError:
        raise UsageError(f"--max-memory {text!r}: expected a size such as 4G, 500M or "
                         "1073741824") from None
    if value <= 0:
        raise UsageError(f"--max-memory {text!r}: must be positive")
    return int(value * _UNITS[unit])


class _ProgressLine:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelcheck")
def cli() -> None:
    """Model-check distributed protocols written as pure Python functions."""


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def list_cmd(as_json: bool) -> None:
    """List the catalogue: every spec and variant with its expected verdict."""
    rows: list[dict[str, Any]] = []
    for name, spec in entries().items():
        rows.append({"spec": name, "variant": None, "params": {},
                     "expect": spec.expectation().to_json(), "doc": _first_line(spec.doc)})
        for v in spec.variants.values():
            rows.append({"spec": name, "variant": v.name,
                         "params": {k: to_json(x) for k, x in v.params.items()},
                         "expect": v.expect.to_json(), "doc": _first_line(v.doc)})
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    width = max((len(r["spec"]) + len(r["variant"] or "") + 12 for r in rows), default=20)
    for r in rows:
        label = r["spec"] + (f" --variant {r['variant']}" if r["variant"] else "")
        exp = r["expect"]
        verdict = "holds" if exp["status"] == "ok" else f"violates {exp['property']}"
        click.echo(f"{label:<{width}} {verdict}")


def _first_line(doc: str) -> str:
    return doc.strip().splitlines()[0] if doc.strip() else ""


@cli.command("show")
@click.argument("spec_ref", metavar="SPEC")
def show_cmd(spec_ref: str) -> None:
    """Show a spec: its documentation, parameters, actions, properties and variants."""
    try:
        spec = load(spec_ref)
        model = bind(spec)
    except ModelcheckError as e:
        _fail(e)
    click.echo(click.style(spec.name, bold=True))
    if spec.doc:
        click.echo(f"\n{spec.doc}\n")
    click.echo("Parameters (--param NAME=VALUE):")
    hints = typing.get_type_hints(spec.config)
    for f in dataclasses.fields(spec.config):
        hint = hints.get(f.name, Any)
        tname = getattr(hint, "__name__", str(hint))
        click.echo(f"  {f.name}: {tname} = {render_value(to_json(getattr(model.config, f.name)))}")
    click.echo("Actions:")
    for a in spec.actions:
        doms = ", ".join(f"{p} ∈ {render_value(to_json(a.domain(p, model.config)))}"
                         for p in a.params)
        click.echo(f"  {a.name}" + (f"({doms})" if doms else "") +
                   (f" — {_first_line(a.doc)}" if a.doc else ""))
    click.echo("Properties:")
    for p in spec.properties:
        click.echo(f"  {p.name} [{p.kind}]" + (f" — {_first_line(p.doc)}" if p.doc else ""))
    if spec.terminal_fn is not None:
        click.echo(f"  terminal states: {spec.terminal_fn.__name__}")
    try:
        sets = symmetric_sets(spec)
    except ModelcheckError as e:
        click.echo(f"Symmetric sets: declared wrongly: {e.message}")
    else:
        if sets:
            click.echo("Symmetric sets (--symmetry): " + ", ".join(
                f"{s.name} ({s.count(model.config)} elements)" for s in sets))
    click.echo("Variants (--variant NAME):")
    if not spec.variants:
        click.echo("  none")
    for v in spec.variants.values():
        click.echo(f"  {v.name}: {v.expect}" + (f" — {_first_line(v.doc)}" if v.doc else ""))


@cli.command("verify")
@click.argument("spec_ref", metavar="SPEC")
@click.option("--variant", help="A named configuration of the spec (see `modelcheck show`).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a config parameter; repeatable.")
@click.option("--strategy", type=click.Choice(sorted(STRATEGIES)), default="bfs",
              show_default=True, help="bfs finds shortest counterexamples; dfs goes deep first.")
@click.option("--max-depth", type=click.IntRange(min=1), help="Explore paths of at most N states.")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop after N distinct states.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Stop after S seconds.")
@click.option("--no-deadlock", is_flag=True, help="Do not report states with no enabled action.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--trace-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the counterexample trace (JSON) to FILE.")
@click.option("--full", is_flag=True, help="Show every state of the trace in full.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option("--symmetry", is_flag=True,
              help="Explore one state per orbit of the spec's symmetric sets.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Explore breadth-first in N processes (with --scheduler: Dask workers).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a dask.distributed cluster (tcp://host:8786), or 'local' for a "
                   "LocalCluster of --workers processes.")
@click.option("--checkpoint", "checkpoint_dir", type=click.Path(file_okay=False),
              help="Save progress to DIR periodically and when interrupted.")
@click.option("--checkpoint-every", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="Seconds between checkpoints.")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False),
              help="Continue the search saved in DIR (by --checkpoint).")
@click.option("--max-memory", metavar="SIZE",
              help="Stop (exit 3) when resident memory exceeds SIZE, e.g. 4G or 500M.")
def verify_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...], strategy: str,
               max_depth: int | None, max_states: int | None, time_limit: float | None,
               no_deadlock: bool, as_json: bool, trace_out: Path | None, full: bool,
               quiet: bool, symmetry: bool, workers: int, scheduler: str | None,
               checkpoint_dir: str | None, checkpoint_every: float, resume_dir: str | None,
               max_memory: str | None) -> None:
    """Check SPEC exhaustively: a catalogue name, a .py file, or module:attribute."""
    try:
        spec = load(spec_ref)
        result = check(spec, variant=variant, params=_parse_params(params), strategy=strategy,
                       max_depth=max_depth, max_states=max_states, time_limit=time_limit,
                       deadlock=not no_deadlock,
                       progress=None if (as_json or quiet) else _ProgressLine(),
                       symmetry=symmetry, workers=workers, scheduler=scheduler,
                       checkpoint=checkpoint_dir, checkpoint_every=checkpoint_every,
                       resume=resume_dir,
                       max_memory=_parse_size(max_memory) if max_memory else None)
    except ModelcheckError as e:
        _fail(e, as_json=as_json)
    _emit(result, as_json=as_json, full=full, trace_out=trace_out)
    sys.exit(result.exit_code)


def _emit(result: Result, *, as_json: bool, full: bool, trace_out: Path | None) -> None:
    trace = result.violation.trace if result.violation else None
    if trace_out is not None and trace is not None:
        trace.save(trace_out)
    if as_json:
        click.echo(result.dumps())
        return
    if result.status == "error":
        click.echo(f"error: {result.error}", err=True)
    click.echo(render_result(result, full=full))
    if trace_out is not None and trace is not None:
        click.echo(f"trace written to {trace_out}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``modelcheck`` console script."""
    if argv is None and any(a.startswith(("--checkpoint", "--resume")) for a in sys.argv):
        # A checkpoint holds fingerprints, which must mean the same in the process that
        # resumes it: run with a fixed hash seed (this re-executes the command once).
        stable_hashing()
    cli.main(args=list(argv) if argv is not None else None, prog_name="modelcheck")
