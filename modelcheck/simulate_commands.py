"""``modelcheck simulate`` (random walks) and ``modelcheck trace shrink`` (shorter traces).

``simulate`` exits as ``verify`` does (DESIGN.md §3): 0 when the walks asked for found no
violation, 1 with a (shrunk) counterexample, 2 on a usage or spec error, 3 when the time
limit or Ctrl-C ended the walks early. ``trace shrink`` exits 0 when it wrote the shrunk
trace, 2 when the trace cannot be read or replayed, or shows nothing to shrink.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modelcheck._cli_util import check_writable
from modelcheck._cli_util import fail as _fail
from modelcheck._signals import terminate_as_interrupt
from modelcheck.catalogue import load
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.explore.random import DEFAULT_DEPTH, DEFAULT_RUNS, simulate
from modelcheck.render.text import render_trace
from modelcheck.shrink import shrink_trace
from modelcheck.trace import Trace, model_for
from modelcheck.trace_commands import spec_for

__all__ = ["simulate_cmd", "trace_shrink_cmd"]


@click.command("simulate")
@click.argument("spec_ref", metavar="SPEC")
@click.option("--variant", help="A named configuration of the spec (see `modelcheck show`).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a config parameter; repeatable.")
@click.option("--faults", metavar="NAME=N,...",
              help="Fault budgets for a spec on modelcheck.network, e.g. --faults "
                   "loss=2,crash=1.")
@click.option("--runs", type=click.IntRange(min=1),
              help=f"Random walks to take (default {DEFAULT_RUNS:,}; with --time-limit alone, "
                   "as many as the time allows).")
@click.option("--depth", type=click.IntRange(min=1), default=DEFAULT_DEPTH, show_default=True,
              help="States along a walk, the initial state included.")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed of the walks: the same seed gives the same walks and trace "
                   "(default: a fresh one, printed with the result).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Stop after S seconds.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Share the walks among N processes.")
@click.option("--swarm/--no-swarm", default=True, show_default=True,
              help="Every other walk leaves out a random subset of actions and lowers the "
                   "fault budgets (swarm testing).")
@click.option("--guided", is_flag=True,
              help="Prefer steps leading to states no earlier walk has met.")
@click.option("--no-shrink", is_flag=True, help="Show the counterexample as the walk found it.")
@click.option("--no-deadlock", is_flag=True, help="Do not report states with no enabled action.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--trace-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the counterexample trace to FILE.")
@click.option("--full", is_flag=True, help="Show every state of the trace in full.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def simulate_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...],
                 faults: str | None, runs: int | None, depth: int, seed: int | None,
                 time_limit: float | None, workers: int, swarm: bool, guided: bool,
                 no_shrink: bool, no_deadlock: bool, as_json: bool, trace_out: Path | None,
                 full: bool, quiet: bool) -> None:
    """Search SPEC by seeded random walks; a counterexample is shrunk before it is shown.

    Invariants and action properties are checked on every state a walk generates, not
    only on those it walks to. The seed is printed with the result: pass it back with
    --seed to get the same walks and the same trace.
    """
    # Deferred: cli imports this module, and the error mapping lives in cli alone.
    from modelcheck.cli import _emit, _parse_params, _ProgressLine, _with_faults
    if runs is None and time_limit is None:
        runs = DEFAULT_RUNS
    try:
        if trace_out is not None:
            check_writable(trace_out, "--trace-out")  # before the walks, which may be long
        spec = load(spec_ref)
        with terminate_as_interrupt():
            result = simulate(spec, variant=variant,
                              params=_with_faults(spec, _parse_params(params), faults),
                              runs=runs, depth=depth, seed=seed, time_limit=time_limit,
                              workers=workers, swarm=swarm, guided=guided, shrink=not no_shrink,
                              deadlock=not no_deadlock,
                              progress=None if (as_json or quiet) else _ProgressLine())
    except ModelcheckError as e:
        _fail(e, as_json=as_json)
    _emit(result, as_json=as_json, full=full, trace_out=trace_out, spec=spec)
    sys.exit(result.exit_code)


@click.command("shrink")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--spec", "spec_ref",
              help="The spec the trace belongs to: a catalogue name, a .py file or "
                   "module:attribute (default: the catalogue entry the trace names; a trace "
                   "never loads code).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the shrunk trace (JSON) to FILE.")
@click.option("--no-deadlock", is_flag=True, help="Do not count a deadlock as a violation.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Shrink for at most S seconds, then keep the smallest trace found.")
@click.option("--full", is_flag=True, help="Show every state of the trace in full.")
def trace_shrink_cmd(path: Path, spec_ref: str | None, out: Path | None, no_deadlock: bool,
                     time_limit: float | None, full: bool) -> None:
    """Shrink the counterexample in FILE to a local minimum, checked by replay.

    Steps are dropped (faults first), and arguments lowered, as long as replaying the
    trace still violates the same property. Works on traces of every strategy.
    """
    try:
        trace = Trace.load(path)
        model = model_for(spec_for(trace, spec_ref), trace)
        shrunk, violation, info = shrink_trace(model, trace, deadlock=not no_deadlock,
                                               time_limit=time_limit)
        if out is not None:
            try:
                shrunk.save(out)
            except OSError as e:
                raise UsageError(f"cannot write {out}: {e}") from e
    except ModelcheckError as e:
        _fail(e)
    click.echo(f"✗ {violation.message}, shrunk from {info.original_length} steps "
               f"({info.replays:,} replays)")
    click.echo(render_trace(shrunk, full=full))
    if out is not None:
        click.echo(f"shrunk trace written to {out}")
