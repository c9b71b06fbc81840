"""``modelcheck mutate SPEC``: mutation testing of a spec's properties and bounds.

Exit codes: 0 every mutant that is not equivalent is killed (by a property or a spec
error); 1 a mutant survived, or the spec itself fails at this configuration (its violation
is printed); 2 usage or spec error; 3 no mutant survived but one timed out, or the
original's check was interrupted.
"""

from __future__ import annotations

import json
import sys

import click

from modelcheck.catalogue import load
from modelcheck.cli.common import (
    fail,
    faults_option,
    no_deadlock_option,
    param_option,
    parse_params,
    variant_option,
    with_faults,
)
from modelcheck.errors import ModelcheckError
from modelcheck.mutate import Outcome, Settings, render_table, run
from modelcheck.render.text import render_result

__all__ = ["mutate_cmd"]


@click.command("mutate")
@click.argument("spec_ref", metavar="SPEC")
@variant_option
@param_option
@faults_option
@click.option("--max-depth", type=click.IntRange(min=1),
              help="Check each mutant on paths of at most N states (equivalent mutants are "
                   "then not told apart).")
@no_deadlock_option
@click.option("--no-temporal", is_flag=True,
              help="Skip temporal properties (eventually, leads-to, always-possible ...).")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Mutants checked at once, each in a process of its own (default: cores).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds each mutant's check may take (default: 60, or four times the "
                   "original's check if that is longer).")
@click.option("--helpers", is_flag=True,
              help="Mutate the functions the steps call too (a quorum or commit rule kept "
                   "in a helper), not only the steps.")
@click.option("--check-accepted", is_flag=True,
              help="Check the mutants the spec accepts too (by default they are not: "
                   "their acceptance says why they are no gap), and report an acceptance "
                   "whose mutant is killed or equivalent as stale.")
@click.option("--show", "show", multiple=True, metavar="N",
              help="Check only mutant N (its number in the table, or its id) and print its "
                   "change as a diff; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on standard error.")
def mutate_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...], faults: str | None,
               max_depth: int | None, deadlock: bool | None, no_temporal: bool, jobs: int | None,
               timeout: float | None, helpers: bool, check_accepted: bool, show: tuple[str, ...],
               as_json: bool, quiet: bool) -> None:
    """Plant bugs in SPEC's steps, one at a time, and see whether its properties catch them.

    Each mutant (a dropped guard, a flipped comparison, a quorum off by one, a skipped
    send...) is checked exhaustively at the configuration given. A mutant that survives is
    a bug the properties or the bounds let through.
    """
    try:
        spec = load(spec_ref)
        settings = Settings(variant=variant,
                            params=with_faults(spec, parse_params(params), faults),
                            max_depth=max_depth, deadlock=deadlock,
                            temporal=not no_temporal, timeout=timeout, jobs=jobs,
                            helpers=helpers, check_accepted=check_accepted)
        progress = None if (as_json or quiet or not sys.stderr.isatty()) else _Progress()
        report = run(spec, settings, only=show, done=progress)
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    if progress is not None:
        click.echo("\r\033[K", nl=False, err=True)
    original = report.original
    if original.status != "ok":
        if as_json:
            click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            click.echo(render_result(original, spec=spec))
            click.echo(f"\nthe spec itself does not pass at this configuration "
                       f"({original.status}): mutation testing needs a spec that holds",
                       err=True)
        sys.exit(original.exit_code)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(render_table(report, spec_ref))
        for o in report.outcomes if show else ():
            click.echo(f"\nmutant {o.mutant.number} ({o.mutant.id}), line {o.mutant.line}: "
                       f"{o.status}" + (f": {o.detail}" if o.detail else ""))
            click.echo(o.mutant.diff, nl=False)
    sys.exit(report.exit_code)


class _Progress:
    """``[12/40]`` on standard error as mutants finish."""

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        click.echo(f"\r\033[K{self.done} mutants checked (last: {outcome.mutant.id}, "
                   f"{outcome.status})", nl=False, err=True)
