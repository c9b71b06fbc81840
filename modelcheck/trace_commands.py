"""``modelcheck trace show | replay | diagram``: read, re-check and draw saved traces.

``replay`` turns a saved counterexample into a regression test: it re-executes the trace
against the spec as installed now and exits 0 while the violation still reproduces, 1
when the trace replays but no longer violates anything, and 2 when it no longer replays
(naming the first step that does not apply or whose state differs) or cannot be read.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from modelcheck._cli_util import fail as _fail
from modelcheck._cli_util import write_output
from modelcheck.catalogue import load
from modelcheck.errors import ModelcheckError
from modelcheck.properties.verdict import Verdict, judge
from modelcheck.render.output import FORMATS, render_as
from modelcheck.render.text import render_params
from modelcheck.spec import Spec
from modelcheck.trace import ReplayError, Trace, model_for, replay

__all__ = ["diagram_cmd", "replay_cmd", "show_cmd"]

_SPEC_HELP = ("The spec the trace belongs to: a catalogue name, a .py file or module:attribute "
              "(default: the catalogue entry the trace names).")


def _spec(trace: Trace, ref: str | None) -> Spec:
    return load(ref if ref is not None else trace.spec)


def _title(trace: Trace) -> str:
    return trace.spec + (f" --variant {trace.variant}" if trace.variant else "")


def _verdict_of(trace: Trace, spec: Spec) -> Verdict | None:
    """What the trace shows against ``spec`` now, or None when it no longer replays."""
    try:
        model = model_for(spec, trace)
        return judge(model, trace, replay(model, trace))
    except ModelcheckError:
        return None


def _output(text: str, output: Path | None) -> None:
    write_output(text, output, f"written to {output}")


@click.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: what each step changed; json: the trace file; mermaid and svg: the "
                   "sequence diagram (specs on modelcheck.network); html: the viewer page.")
@click.option("--full", is_flag=True, help="With --format text: every state in full.")
@click.option("--spec", "spec_ref", metavar="SPEC", help=_SPEC_HELP)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of standard output.")
def show_cmd(file: Path, fmt: str, full: bool, spec_ref: str | None,
             output: Path | None) -> None:
    """Show a saved trace: what each step changed, faults marked (✗ drop, ⚡ crash,
    ↺ restart, ⟂ partition)."""
    try:
        trace = Trace.load(file)
        spec = None
        if fmt in ("mermaid", "svg") or spec_ref is not None:
            spec = _spec(trace, spec_ref)
        elif fmt == "html":
            # The viewer reads without the spec too: no diagram and no verdict then.
            with contextlib.suppress(ModelcheckError):
                spec = _spec(trace, None)
        verdict = None
        if fmt == "html" and spec is not None:
            found = _verdict_of(trace, spec)
            verdict = found.message if found is not None else None
        text = render_as(trace, fmt, spec=spec, full=full, verdict=verdict)
    except ModelcheckError as e:
        _fail(e)
    if fmt == "text":
        text = (f"{_title(trace)} ({render_params(trace.params)}): "
                f"{trace.length} steps\n{text}")
    _output(text, output)


@click.command("diagram")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "svg"]), default="mermaid",
              show_default=True, help="Mermaid sequenceDiagram text, or an SVG drawing.")
@click.option("--spec", "spec_ref", metavar="SPEC", help=_SPEC_HELP)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of standard output.")
def diagram_cmd(file: Path, fmt: str, spec_ref: str | None, output: Path | None) -> None:
    """Draw a saved trace of a spec on modelcheck.network as a sequence diagram."""
    try:
        trace = Trace.load(file)
        text = render_as(trace, fmt, spec=_spec(trace, spec_ref))
    except ModelcheckError as e:
        _fail(e)
    _output(text, output)


@click.command("replay")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--spec", "spec_ref", metavar="SPEC", help=_SPEC_HELP)
@click.option("--no-deadlock", is_flag=True,
              help="Do not count a last state with no enabled action as a violation.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
def replay_cmd(file: Path, spec_ref: str | None, no_deadlock: bool, as_json: bool) -> None:
    """Re-execute a saved trace against the spec as it is now.

    Exit 0: it replays and still violates a property; 1: it replays but violates nothing;
    2: it no longer replays (the first step that does not apply, or whose state differs,
    is named) or cannot be read.
    """
    try:
        trace = Trace.load(file)
        spec = _spec(trace, spec_ref)
        model = model_for(spec, trace)
    except ModelcheckError as e:
        _fail(e, as_json=as_json)
    try:
        states = replay(model, trace)
        verdict = judge(model, trace, states, deadlock=not no_deadlock)
    except ReplayError as e:
        if as_json:
            click.echo(json.dumps({"status": "diverges", "step": e.step, "property": None,
                                   "message": e.message}))
        else:
            click.echo(f"✗ {_title(trace)}: the trace no longer replays: {e.message}")
        sys.exit(2)
    except ModelcheckError as e:
        _fail(e, as_json=as_json)
    status = "reproduces" if verdict.violated else "no-violation"
    if as_json:
        click.echo(json.dumps({"status": status, "step": verdict.step,
                               "property": verdict.property, "kind": verdict.kind,
                               "message": verdict.message}))
    elif verdict.violated:
        click.echo(f"✓ {_title(trace)}: the trace replays ({trace.length} steps) and still "
                   f"shows the violation: {verdict.message}")
    else:
        click.echo(f"✗ {_title(trace)}: the trace replays ({trace.length} steps) but no "
                   f"longer shows a violation: {verdict.message}")
    sys.exit(0 if verdict.violated else 1)
