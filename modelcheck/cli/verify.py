"""``modelcheck verify``: check one spec exhaustively, or with ``--all`` the check suite.

Exit codes (as README.md's "Exit codes" lists them): 0 no violation and the search did all
it was asked to do; 1 a property is violated (the violation is printed with its trace);
2 usage or spec error; 3 stopped early (time, state or memory limit, Ctrl-C) with no
violation found so far. ``verify --all`` exits 1 if a check found a violation it must
not, else 2 if one could not run or did not find the violation it must, else 3 if one
stopped early, else 0 (:func:`modelcheck.suite.exit_code`).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from modelcheck.catalogue import load
from modelcheck.cli.common import (
    ProgressLine,
    Report,
    check_writable,
    emit,
    fail,
    faults_option,
    gather,
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
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.explore import STRATEGIES, check
from modelcheck.model import choose
from modelcheck.render.text import render_header
from modelcheck.spec import Spec
from modelcheck.state import to_json

__all__ = ["AllChecks", "Configuration", "JUnitNotWritten", "Search", "verify_cmd"]


@dataclass(frozen=True)
class AllChecks:
    """``--all`` and the options that go with it only."""

    run_all: bool
    junit: Path | None
    jobs: int | None
    project: Path | None
    mutate: bool


@dataclass(frozen=True)
class Configuration:
    """The model to check: the spec's variant, parameters and fault budgets, its fairness,
    and which of its properties count."""

    variant: str | None
    params: tuple[str, ...]
    faults: str | None
    fairness_specs: tuple[str, ...]
    no_fairness: bool
    no_temporal: bool
    deadlock: bool | None
    properties: tuple[str, ...]
    skip: tuple[str, ...]


@dataclass(frozen=True)
class Search:
    """How to search: the strategy, its limits, its processes and its checkpoints."""

    strategy: str
    max_depth: int | None
    max_states: int | None
    time_limit: float | None
    seed: int | None
    runs: int | None
    symmetry: bool
    workers: int
    scheduler: str | None
    checkpoint_dir: str | None
    checkpoint_every: float
    resume_dir: str | None
    max_memory: str | None
    audit: bool
    keep_going: bool
    max_violations: int | None
    coverage: bool
    no_view: bool


@click.command("verify")
@click.argument("spec_ref", metavar="SPEC", required=False)
@click.option("--all", "run_all", is_flag=True,
              help="Check every catalogue entry (or the specs listed under [tool.modelcheck] "
                   "in ./pyproject.toml) against its expected verdict, in parallel.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
              help="With --all: write the results as JUnit XML to FILE.")
@click.option("--jobs", type=click.IntRange(min=1),
              help="With --all: checks run at once, in separate processes (default: cores).")
@click.option("--project", type=click.Path(exists=True, path_type=Path),
              help="With --all: the project directory (or pyproject.toml) whose "
                   "[tool.modelcheck] specs to check.")
@click.option("--mutate", is_flag=True,
              help="With --all: also plant bugs in each spec that must hold (modelcheck "
                   "mutate) and fail if one survives; --time-limit is then per mutant.")
@variant_option
@param_option
@click.option("--strategy", type=click.Choice(sorted(STRATEGIES)), default="bfs",
              show_default=True, help="bfs finds shortest counterexamples; dfs goes deep first; "
                                      "random walks at random (see `modelcheck simulate`).")
@click.option("--max-depth", type=click.IntRange(min=1), help="Explore paths of at most N states.")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop after N distinct states.")
@time_limit_option
@click.option("--seed", type=click.IntRange(min=0),
              help="With --strategy random: the seed of the walks (default: a fresh one, "
                   "printed with the result).")
@click.option("--runs", type=click.IntRange(min=1),
              help="With --strategy random: walks of --max-depth states (default 1,000; "
                   "see `modelcheck simulate`).")
@no_deadlock_option
@report_options
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
@max_memory_option
@click.option("--fairness", "fairness_specs", multiple=True, metavar="NAME=KIND,...",
              help="Override fairness groups (or make an action fair): KIND is weak, strong "
                   "or none, e.g. --fairness deliver=strong,timeout=weak.")
@click.option("--no-fairness", is_flag=True,
              help="Drop every fairness assumption of the spec (liveness then allows any "
                   "behaviour to stop).")
@click.option("--no-temporal", is_flag=True,
              help="Skip temporal properties (eventually, leads-to, always-possible ...).")
@click.option("--property", "properties", multiple=True, metavar="NAME",
              help="Check only this property (repeatable; 'deadlock' names the deadlock "
                   "check, left out unless named).")
@click.option("--skip", "skip", multiple=True, metavar="NAME",
              help="Do not check this property (repeatable; 'deadlock' too).")
@click.option("--audit", is_flag=True,
              help="Keep every state and check that no two distinct states share a "
                   "fingerprint (memory for every state; single process).")
@click.option("--continue", "keep_going", is_flag=True,
              help="Go on after a violation and report every violated property (one "
                   "shortest trace each) and each class of deadlock (by the action leading "
                   "into it), as TLC's -continue.")
@click.option("--max-violations", type=click.IntRange(min=1), metavar="N",
              help="As --continue, but stop after N violations (1: the default, stop at "
                   "the first).")
@click.option("--coverage", is_flag=True,
              help="Report per action how often it was enabled, taken and led to a new "
                   "state, and the actions never enabled (single-process bfs).")
@click.option("--no-view", is_flag=True,
              help="Tell states apart in full, ignoring the spec's view (@spec.view).")
@faults_option
@gather(AllChecks, "every")
@gather(Configuration, "config")
@gather(Search, "search")
def verify_cmd(spec_ref: str | None, every: AllChecks, config: Configuration, search: Search,
               report: Report) -> None:
    """Check SPEC exhaustively: a catalogue name, a .py file, or module:attribute.

    With --all, check every catalogue entry or project spec against its expected verdict.
    """
    as_json = report.as_json
    if every.run_all and (config.variant is not None or config.params):
        fail(UsageError("--all checks each spec's own configurations against their expected "
                        "verdicts; drop --variant and --param"), as_json=as_json)
    if every.run_all or spec_ref is None:
        _verify_all(spec_ref, every, time_limit=search.time_limit, as_json=as_json)
    if (every.junit is not None or every.jobs is not None or every.project is not None
            or every.mutate):
        fail(UsageError("--junit, --jobs, --project and --mutate go with --all (for one "
                        "spec: modelcheck mutate SPEC)"), as_json=as_json)
    try:
        # Outputs are checked before the search, which may take hours.
        if report.trace_out is not None:
            check_writable(report.trace_out, "--trace-out")
        if search.keep_going and search.max_violations is not None:
            raise UsageError("--continue reports every violation and --max-violations N the "
                             "first N; give one of them")
        spec = load(spec_ref)
        fairness = parse_fairness(spec, config.fairness_specs, config.no_fairness)
        params = with_faults(spec, parse_params(config.params), config.faults)
        progress = not (as_json or report.quiet)
        # On a terminal, say what runs before the progress lines of a long search.
        header = progress and search.strategy != "random" and sys.stdout.isatty()
        if header:
            cfg = spec.params_of(config.variant, params)
            chosen = None
            if config.properties or config.skip:
                left_out = choose(spec, config.properties or None, config.skip)
                chosen = [n for n in [*(p.name for p in spec.properties), "deadlock"]
                          if n not in left_out]
            view = spec.view_fn.__name__ if spec.view_fn is not None and not search.no_view \
                else None
            click.echo(render_header(spec.name, config.variant,
                                     {f.name: to_json(getattr(cfg, f.name))
                                      for f in dataclasses.fields(cfg)},
                                     search.strategy, symmetry=search.symmetry, view=view,
                                     chosen=chosen))
        result = check(spec, variant=config.variant, params=params,
                       strategy=search.strategy,
                       max_depth=search.max_depth, max_states=search.max_states,
                       time_limit=search.time_limit,
                       deadlock=config.deadlock,
                       progress=ProgressLine() if progress else None,
                       symmetry=search.symmetry, workers=search.workers,
                       scheduler=search.scheduler,
                       checkpoint=search.checkpoint_dir,
                       checkpoint_every=search.checkpoint_every,
                       resume=search.resume_dir,
                       max_memory=(None if search.max_memory is None
                                   else parse_size(search.max_memory)),
                       fairness=fairness, temporal=not config.no_temporal, seed=search.seed,
                       runs=search.runs, audit=search.audit, coverage=search.coverage,
                       view=not search.no_view,
                       max_violations=None if search.keep_going else
                       search.max_violations or 1,
                       properties=config.properties or None, skip=config.skip)
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    emit(result, as_json=as_json, full=report.full, trace_out=report.trace_out, spec=spec,
         header=not header)
    sys.exit(result.exit_code)


def parse_fairness(spec: Spec, specs: Sequence[str],
                   no_fairness: bool) -> dict[str, str | None]:
    """``--no-fairness`` and ``--fairness a=weak,b=none`` as overrides by group name."""
    out: dict[str, str | None] = {f.name: None for f in spec.fairness} if no_fairness else {}
    for text in specs:
        for pair in text.split(","):
            name, sep, kind = pair.partition("=")
            kind = kind.strip().lower()
            if not sep or not name.strip() or kind not in ("weak", "strong", "none"):
                raise UsageError(f"--fairness {text!r}: expected NAME=weak|strong|none, "
                                 "comma-separated, e.g. --fairness deliver=strong,timeout=weak")
            out[name.strip()] = None if kind == "none" else kind
    return out


# -- verify --all -----------------------------------------------------------------------------


def _verify_all(spec_ref: str | None, every: AllChecks, *, time_limit: float | None,
                as_json: bool) -> NoReturn:
    if not every.run_all:
        fail(UsageError("give a SPEC to verify (a catalogue name, a .py file or "
                        "module:attribute), or --all for every check of the catalogue or "
                        "project"), as_json=as_json)
    if spec_ref is not None:
        fail(UsageError(f"--all checks every spec; drop {spec_ref!r}, or drop --all"),
             as_json=as_json)
    try:
        text, code = run_suite(junit=every.junit, jobs=every.jobs, time_limit=time_limit,
                               project=every.project, as_json=as_json, mutate=every.mutate)
    except JUnitNotWritten as e:
        click.echo(e.text)  # the verdicts stand; then the error
        fail(e)
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    click.echo(text)
    sys.exit(code)


class JUnitNotWritten(UsageError):
    """The checks ran, but their JUnit XML could not be written; ``text`` is the report."""

    def __init__(self, text: str, message: str) -> None:
        super().__init__(message)
        self.text = text


def run_suite(*, junit: Path | None, jobs: int | None, time_limit: float | None,
              project: Path | None, as_json: bool, mutate: bool = False) -> tuple[str, int]:
    """Run ``verify --all``: the text (or JSON) to print, and the exit code.

    An unwritable ``junit`` path is refused before any check runs; if writing it still
    fails at the end, :class:`JUnitNotWritten` carries the report with the error.
    """
    import json

    from modelcheck.suite import (
        cases,
        exit_code,
        junit_xml,
        project_config,
        render_table,
        run_all,
    )
    directory = project if project is not None else Path.cwd()
    if project is not None and project.is_file():
        directory = project.parent
    config = project_config(directory)
    if project is not None and config is None:
        raise UsageError(f"{directory / 'pyproject.toml'} has no [tool.modelcheck] table "
                         "listing specs")
    refs = config["specs"] if config else None
    limit = time_limit if time_limit is not None else (config or {}).get("time-limit")
    if junit is not None:
        check_writable(junit, "--junit", parents=True)  # before minutes of checks
    todo = cases(refs, mutate=mutate)
    start = time.perf_counter()
    results = run_all(todo, jobs=jobs, time_limit=limit)
    seconds = time.perf_counter() - start
    junit_error: str | None = None
    if junit is not None:
        try:
            junit.parent.mkdir(parents=True, exist_ok=True)
            junit.write_text(junit_xml(results, seconds), encoding="utf-8")
        except OSError as e:
            junit_error = f"cannot write the JUnit XML to {junit}: {e}"
    code = exit_code(results)
    if as_json:
        status = {0: "ok", 1: "violation", 2: "error", 3: "incomplete"}[code]
        text = json.dumps({"status": status, "checks": [r.to_json() for r in results],
                           "stats": {"seconds": round(seconds, 4)}}, ensure_ascii=False)
    else:
        text = render_table(results, seconds)
        if junit is not None and junit_error is None:
            text += f"\nJUnit XML written to {junit}"
    if junit_error is not None:
        raise JUnitNotWritten(text, junit_error)
    return text, code
