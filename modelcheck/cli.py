"""The ``modelcheck`` command: list, show and verify specs.

Exit codes (DESIGN.md §3), mapped here and nowhere else: 0 no violation and the search did
all it was asked to do; 1 a property is violated; 2 usage or spec error; 3 stopped early
(time or state limit, Ctrl-C) with no violation found so far.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from modelcheck import _startup, trace_commands
from modelcheck._cli_util import check_writable
from modelcheck._cli_util import fail as _fail
from modelcheck._signals import terminate_as_interrupt
from modelcheck.catalogue import entries, load
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.explore import STRATEGIES, Progress, check
from modelcheck.graph_export import graph_cmd
from modelcheck.model import bind
from modelcheck.network import FAULTS, Faults
from modelcheck.params import parameters
from modelcheck.prove.commands import prove
from modelcheck.render.text import render_result, render_value
from modelcheck.result import Result
from modelcheck.serve import explore_cmd
from modelcheck.simulate_commands import simulate_cmd, trace_shrink_cmd
from modelcheck.spec import TEMPORAL_KINDS, Spec
from modelcheck.state import to_json
from modelcheck.symmetry import symmetric_sets

__all__ = ["cli", "main"]


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE, e.g. --param rms=5")
        params[key.strip()] = value.strip()
    return params


def _parse_fairness(spec: Spec, specs: Sequence[str],
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


_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def _parse_size(text: str) -> int:
    """``4G``, ``500M``, ``1.5G`` or a plain number of bytes."""
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
    for param in parameters(spec.config).values():
        valid = param.describe()
        click.echo(f"  {param.name}: {param.type_name} = "
                   f"{render_value(to_json(getattr(model.config, param.name)))}"
                   + (f" (valid: {valid})" if valid else ""))
    click.echo("Actions:")
    hidden = set(spec.fault_actions)
    for a in spec.actions:
        if a.name in hidden:
            continue  # listed under Faults
        doms = ", ".join(f"{p} ∈ {render_value(to_json(a.domain(p, model.config)))}"
                         for p in a.params)
        click.echo(f"  {a.name}" + (f"({doms})" if doms else "") +
                   (f" — {_first_line(a.doc)}" if a.doc else ""))
    click.echo("Properties:")
    for p in spec.properties:
        kind = (f"leads_to: {p.fn.__name__} ~> {p.goal.__name__}"
                if p.kind == "leads_to" and p.goal is not None else p.kind)
        click.echo(f"  {p.name} [{kind}]" + (f" — {_first_line(p.doc)}" if p.doc else ""))
    if spec.terminal_fn is not None:
        click.echo(f"  terminal states: {spec.terminal_fn.__name__}")
    _show_faults(spec, model.config)
    try:
        sets = symmetric_sets(spec)
    except ModelcheckError as e:
        click.echo(f"Symmetric sets: declared wrongly: {e.message}")
    else:
        if sets:
            click.echo("Symmetric sets (--symmetry): " + ", ".join(
                f"{s.name} ({s.count(model.config)} elements)" for s in sets))
    if spec.fairness:
        click.echo("Fairness (--fairness NAME=weak|strong|none, --no-fairness):")
        for group in spec.fairness:
            click.echo(f"  {group.name}: {group.describe()}" + (
                f" — {_first_line(group.doc)}" if group.doc else ""))
    if any(p.kind in TEMPORAL_KINDS for p in spec.properties):
        click.echo("Temporal properties are checked on the whole state graph by the "
                   "single-process breadth-first search: not with --strategy dfs, --workers, "
                   "--scheduler or checkpoints, and liveness not with --symmetry (--no-temporal "
                   "skips them); a search stopped by a limit does not check them.")
    if spec.violates is not None:
        click.echo(f"Default configuration: {spec.expectation()} (it shows an impossibility)")
    click.echo("Variants (--variant NAME):")
    if not spec.variants:
        click.echo("  none")
    for v in spec.variants.values():
        click.echo(f"  {v.name}: {v.expect}" + (f" — {_first_line(v.doc)}" if v.doc else ""))


def _show_faults(spec: Spec, cfg: Any) -> None:
    """The fault menu of a spec on modelcheck.network, and why a fault does not apply."""
    if spec.faults_param is None or spec.supported_faults is None:
        return  # the spec injects no faults
    click.echo(f"Faults (--faults NAME=N,..., budgets per behaviour; now: "
               f"{getattr(cfg, spec.faults_param)}):")
    for name, why in spec.supported_faults(cfg).items():
        text = FAULTS[name] if why is None else f"not available: {why}"
        click.echo(f"  {name}: {text}")


@cli.command("verify")
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
@click.option("--variant", help="A named configuration of the spec (see `modelcheck show`).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a config parameter; repeatable.")
@click.option("--strategy", type=click.Choice(sorted(STRATEGIES)), default="bfs",
              show_default=True, help="bfs finds shortest counterexamples; dfs goes deep first; "
                                      "random walks at random (see `modelcheck simulate`).")
@click.option("--max-depth", type=click.IntRange(min=1), help="Explore paths of at most N states.")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop after N distinct states.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Stop after S seconds.")
@click.option("--seed", type=click.IntRange(min=0),
              help="With --strategy random: the seed of the walks (default: a fresh one, "
                   "printed with the result).")
@click.option("--runs", type=click.IntRange(min=1),
              help="With --strategy random: walks of --max-depth states (default 1,000; "
                   "see `modelcheck simulate`).")
@click.option("--no-deadlock", is_flag=True, help="Do not report states with no enabled action.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--trace-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the counterexample trace to FILE: JSON, or by its suffix the "
                   "HTML viewer (.html), Mermaid (.mmd), SVG (.svg) or text (.txt).")
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
@click.option("--fairness", "fairness_specs", multiple=True, metavar="NAME=KIND,...",
              help="Override fairness groups (or make an action fair): KIND is weak, strong "
                   "or none, e.g. --fairness deliver=strong,timeout=weak.")
@click.option("--no-fairness", is_flag=True,
              help="Drop every fairness assumption of the spec (liveness then allows any "
                   "behaviour to stop).")
@click.option("--no-temporal", is_flag=True,
              help="Skip temporal properties (eventually, leads-to, always-possible ...).")
@click.option("--audit", is_flag=True,
              help="Keep every state and check that no two distinct states share a "
                   "fingerprint (memory for every state; single process).")
@click.option("--faults", "faults", metavar="NAME=N,...",
              help="Fault budgets for a spec on modelcheck.network, e.g. "
                   "--faults loss=2,dup=1,crash=1,partition=1 (see `modelcheck show SPEC`).")
def verify_cmd(spec_ref: str | None, run_all: bool, junit: Path | None, jobs: int | None,
               project: Path | None, variant: str | None, params: tuple[str, ...], strategy: str,
               max_depth: int | None, max_states: int | None, time_limit: float | None,
               no_deadlock: bool, as_json: bool, trace_out: Path | None, full: bool,
               quiet: bool, symmetry: bool, workers: int, scheduler: str | None,
               checkpoint_dir: str | None, checkpoint_every: float, resume_dir: str | None,
               max_memory: str | None, fairness_specs: tuple[str, ...] = (),
               no_fairness: bool = False, no_temporal: bool = False,
               faults: str | None = None, seed: int | None = None,
               runs: int | None = None, audit: bool = False) -> None:
    """Check SPEC exhaustively: a catalogue name, a .py file, or module:attribute.

    With --all, check every catalogue entry or project spec against its expected verdict.
    """
    if run_all and (variant is not None or params):
        _fail(UsageError("--all checks each spec's own configurations against their expected "
                         "verdicts; drop --variant and --param"), as_json=as_json)
    if run_all or spec_ref is None:
        _verify_all(spec_ref, run_all, junit=junit, jobs=jobs, project=project,
                    time_limit=time_limit, as_json=as_json)
    if junit is not None or jobs is not None or project is not None:
        _fail(UsageError("--junit, --jobs and --project go with --all"), as_json=as_json)
    try:
        # Outputs are checked before the search, which may take hours.
        if trace_out is not None:
            check_writable(trace_out, "--trace-out")
        spec = load(spec_ref)
        fairness = _parse_fairness(spec, fairness_specs, no_fairness)
        result = check(spec, variant=variant,
                       params=_with_faults(spec, _parse_params(params), faults),
                       strategy=strategy,
                       max_depth=max_depth, max_states=max_states, time_limit=time_limit,
                       deadlock=not no_deadlock,
                       progress=None if (as_json or quiet) else _ProgressLine(),
                       symmetry=symmetry, workers=workers, scheduler=scheduler,
                       checkpoint=checkpoint_dir, checkpoint_every=checkpoint_every,
                       resume=resume_dir,
                       max_memory=_parse_size(max_memory) if max_memory else None,
                       fairness=fairness, temporal=not no_temporal, seed=seed, runs=runs,
                       audit=audit)
    except ModelcheckError as e:
        _fail(e, as_json=as_json)
    _emit(result, as_json=as_json, full=full, trace_out=trace_out, spec=spec)
    sys.exit(result.exit_code)


def _with_faults(spec: Spec, params: dict[str, str], faults: str | None) -> dict[str, str]:
    """``params`` with ``--faults`` set on the config field of the spec's network."""
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


def _verify_all(spec_ref: str | None, run_all: bool, *, junit: Path | None,
                jobs: int | None, project: Path | None, time_limit: float | None,
                as_json: bool) -> NoReturn:
    from modelcheck.ci import JUnitNotWritten, main_all
    if not run_all:
        _fail(UsageError("give a SPEC to verify (a catalogue name, a .py file or "
                         "module:attribute), or --all for every check of the catalogue or "
                         "project"), as_json=as_json)
    if spec_ref is not None:
        _fail(UsageError(f"--all checks every spec; drop {spec_ref!r}, or drop --all"),
              as_json=as_json)
    try:
        text, code = main_all(junit=junit, jobs=jobs, time_limit=time_limit, project=project,
                              as_json=as_json)
    except JUnitNotWritten as e:
        click.echo(e.text)  # the verdicts stand; then the error
        _fail(e)
    except ModelcheckError as e:
        _fail(e, as_json=as_json)
    click.echo(text)
    sys.exit(code)


def _emit(result: Result, *, as_json: bool, full: bool, trace_out: Path | None,
          spec: Spec | None = None) -> None:
    """Print the result, and write its trace to ``trace_out``; a trace that cannot be
    written is an error (exit 2) reported after the verdict, which still stands."""
    trace = result.violation.trace if result.violation else None
    failed: ModelcheckError | None = None
    if trace_out is not None and trace is not None:
        from modelcheck.render.output import write_trace
        assert result.violation is not None
        try:
            write_trace(trace, trace_out, spec=spec, verdict=result.violation.message)
        except ModelcheckError as e:
            failed = e
    if as_json:
        click.echo(result.dumps())
    else:
        if result.status == "error":
            click.echo(f"error: {result.error}", err=True)
        click.echo(render_result(result, full=full))
        if trace_out is not None and trace is not None and failed is None:
            click.echo(f"trace written to {trace_out}")
    if failed is not None:
        click.echo(f"error: {failed.message}", err=True)
        sys.exit(failed.exit_code)


cli.add_command(prove)
cli.add_command(simulate_cmd)


@cli.group("trace")
def trace_group() -> None:
    """Show, replay, draw and shrink saved counterexample traces (--trace-out FILE)."""


# `modelcheck trace ...` subcommands are registered below, one per function.

trace_group.add_command(trace_commands.show_cmd)
trace_group.add_command(trace_commands.replay_cmd)
trace_group.add_command(trace_commands.diagram_cmd)
trace_group.add_command(trace_shrink_cmd)
cli.add_command(explore_cmd)
cli.add_command(graph_cmd)


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
        _fail(e)
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
