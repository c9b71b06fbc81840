"""``modelcheck simulate``: search a spec by seeded random walks.

``simulate`` exits as ``verify`` does (the exit codes of README.md): 0 when the walks asked
for found no violation, 1 with a (shrunk) counterexample, 2 on a usage or spec error, 3 when
the time limit, the memory limit or Ctrl-C ended the walks early.
"""

from __future__ import annotations

import sys

import click

from modelcheck._signals import terminate_as_interrupt
from modelcheck.catalogue import load
from modelcheck.cli.common import (
    ProgressLine,
    Report,
    check_writable,
    emit,
    fail,
    faults_option,
    max_memory_option,
    no_deadlock_option,
    param_option,
    parse_params,
    parse_size,
    report_options,
    time_limit_option,
    variant_option,
    with_faults,
)
from modelcheck.errors import ModelcheckError
from modelcheck.explore.random import DEFAULT_DEPTH, DEFAULT_RUNS, simulate

__all__ = ["simulate_cmd"]


@click.command("simulate")
@click.argument("spec_ref", metavar="SPEC")
@variant_option
@param_option
@faults_option
@click.option("--runs", type=click.IntRange(min=1),
              help=f"Random walks to take (default {DEFAULT_RUNS:,}; with --time-limit alone, "
                   "as many as the time allows).")
@click.option("--depth", type=click.IntRange(min=1), default=DEFAULT_DEPTH, show_default=True,
              help="States along a walk, the initial state included.")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed of the walks: the same seed gives the same walks and trace "
                   "(default: a fresh one, printed with the result).")
@time_limit_option
@max_memory_option
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Share the walks among N processes.")
@click.option("--swarm/--no-swarm", default=True, show_default=True,
              help="Every other walk leaves out a random subset of actions and lowers the "
                   "fault budgets (swarm testing).")
@click.option("--guided", is_flag=True,
              help="Prefer steps leading to states no earlier walk has met.")
@click.option("--no-shrink", is_flag=True, help="Show the counterexample as the walk found it.")
@no_deadlock_option
@report_options
def simulate_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...],
                 faults: str | None, runs: int | None, depth: int, seed: int | None,
                 time_limit: float | None, max_memory: str | None, workers: int,
                 swarm: bool, guided: bool, no_shrink: bool, deadlock: bool | None,
                 report: Report) -> None:
    """Search SPEC by seeded random walks; a counterexample is shrunk before it is shown.

    Invariants and action properties are checked on every state a walk generates, not
    only on those it walks to. The seed is printed with the result: pass it back with
    --seed to get the same walks and the same trace.
    """
    as_json = report.as_json
    if runs is None and time_limit is None:
        runs = DEFAULT_RUNS
    try:
        if report.trace_out is not None:
            check_writable(report.trace_out, "--trace-out")  # before the walks, which may be long
        spec = load(spec_ref)
        with terminate_as_interrupt():
            result = simulate(spec, variant=variant,
                              params=with_faults(spec, parse_params(params), faults),
                              runs=runs, depth=depth, seed=seed, time_limit=time_limit,
                              workers=workers, swarm=swarm, guided=guided, shrink=not no_shrink,
                              deadlock=deadlock,
                              progress=None if (as_json or report.quiet) else ProgressLine(),
                              max_memory=None if max_memory is None else parse_size(max_memory))
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    emit(result, as_json=as_json, full=report.full, trace_out=report.trace_out, spec=spec)
    sys.exit(result.exit_code)
