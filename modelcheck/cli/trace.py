"""``modelcheck trace show | replay | diagram | shrink``: read, re-check, draw and shrink
saved traces.

``replay`` re-executes a saved trace against the spec as installed now and exits as
``verify`` does: 0 when the trace replays and violates no property, 1 when it replays and
shows a violation (the property and the step are printed), and 2 when it no longer
replays (naming the first step that does not apply or whose state differs) or cannot be
read. ``shrink`` exits 0 when it wrote the shrunk trace, 2 when the trace cannot be read or
replayed, or shows nothing to shrink.

A trace file is data: the spec name it records is only looked up among the catalogue's
entries (:func:`spec_for`), never loaded as a file or imported as a module; a trace of
any other spec is read against the spec the user names with ``--spec``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from pathlib import Path

import click

from modelcheck.catalogue import find, load
from modelcheck.cli.common import fail, json_option, output_option, write_output
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.properties.verdict import Verdict, judge
from modelcheck.render.output import FORMATS, render_as, write_trace
from modelcheck.render.text import render_params, render_trace
from modelcheck.shrink import shrink_trace
from modelcheck.spec import Spec
from modelcheck.trace import ReplayError, Trace, model_for, replay

__all__ = ["diagram_cmd", "replay_cmd", "show_cmd", "shrink_cmd", "spec_for", "trace_group"]

_spec_option = click.option(
    "--spec", "spec_ref", metavar="SPEC",
    help="The spec the trace belongs to: a catalogue name, a .py file or module:attribute "
         "(default: the catalogue entry the trace names; a trace never loads code).")


@click.group("trace")
def trace_group() -> None:
    """Show, replay, draw and shrink saved counterexample traces (--trace-out FILE)."""


def spec_for(trace: Trace, ref: str | None) -> Spec:
    """The spec to read ``trace`` against: ``ref``, the user's own ``--spec`` (any spec
    reference), or else the catalogue entry the trace names.

    The name comes from the file, so it is only looked up among the catalogue's entries:
    ``evil.py`` or ``os:path`` in a trace is an unknown name, not a file to run or a
    module to import.
    """
    if ref is not None:
        return load(ref)
    spec = find(trace.spec)
    if spec is None:
        raise UsageError(
            f"the trace names spec {trace.spec!r}, which is not a catalogue entry; a trace "
            "never loads the code it names: pass the spec it belongs to with --spec FILE (the "
            f".py file that defines {trace.spec!r}, or module:attribute)")
    return spec


def _title(trace: Trace) -> str:
    return trace.spec + (f" --variant {trace.variant}" if trace.variant else "")


def _verdict_of(trace: Trace, spec: Spec) -> Verdict | None:
    """What the trace shows against ``spec`` now, or None when it no longer replays."""
    try:
        model = model_for(spec, trace)
        return judge(model, trace, replay(model, trace))
    except ModelcheckError:
        return None


def _with_states(trace: Trace, spec_ref: str | None) -> Trace:
    """``trace`` with its Python states, replayed against its spec when it still replays
    (ITF then tells tuples from lists and sets), else as read."""
    with contextlib.suppress(ModelcheckError):
        spec = spec_for(trace, spec_ref)
        return dataclasses.replace(trace, states=tuple(replay(model_for(spec, trace), trace)))
    return trace


def _output(text: str, output: Path | None) -> None:
    write_output(text, output, f"written to {output}")


@trace_group.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: what each step changed; json: the trace file; itf: the trace in the "
                   "Informal Trace Format of Apalache and Quint; mermaid and svg: the "
                   "sequence diagram (specs on modelcheck.network); html: the viewer page.")
@click.option("--full", is_flag=True, help="With --format text: every state in full.")
@_spec_option
@output_option
def show_cmd(file: Path, fmt: str, full: bool, spec_ref: str | None,
             output: Path | None) -> None:
    """Show a saved trace: what each step changed, faults marked (✗ drop, ⚡ crash,
    ↺ restart, ⟂ partition)."""
    try:
        trace = Trace.load(file)
        spec = None
        if fmt in ("mermaid", "svg") or spec_ref is not None:
            spec = spec_for(trace, spec_ref)
        elif fmt in ("html", "text"):
            # Both read without the spec too: as recorded, and no diagram nor verdict then.
            with contextlib.suppress(ModelcheckError):
                spec = spec_for(trace, None)
        if fmt == "itf":
            trace = _with_states(trace, spec_ref)
        verdict = None
        if fmt == "html" and spec is not None:
            found = _verdict_of(trace, spec)
            verdict = found.message if found is not None else None
        text = render_as(trace, fmt, spec=spec, full=full, verdict=verdict)
    except ModelcheckError as e:
        fail(e)
    if fmt == "text":
        text = (f"{_title(trace)} ({render_params(trace.params)}): "
                f"{trace.length} steps\n{text}")
    _output(text, output)


@trace_group.command("diagram")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "svg"]), default="mermaid",
              show_default=True, help="Mermaid sequenceDiagram text, or an SVG drawing.")
@_spec_option
@output_option
def diagram_cmd(file: Path, fmt: str, spec_ref: str | None, output: Path | None) -> None:
    """Draw a saved trace of a spec on modelcheck.network as a sequence diagram."""
    try:
        trace = Trace.load(file)
        text = render_as(trace, fmt, spec=spec_for(trace, spec_ref))
    except ModelcheckError as e:
        fail(e)
    _output(text, output)


@trace_group.command("replay")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_spec_option
@click.option("--no-deadlock", is_flag=True,
              help="Do not count a last state with no enabled action as a violation.")
@json_option("the outcome")
def replay_cmd(file: Path, spec_ref: str | None, no_deadlock: bool, as_json: bool) -> None:
    """Re-execute a saved trace against the spec as it is now.

    Exit 0: it replays and violates no property; 1: it replays and shows a violation (the
    property and the step are printed); 2: it no longer replays (the first step that does
    not apply, or whose state differs, is named) or cannot be read.
    """
    try:
        trace = Trace.load(file)
        spec = spec_for(trace, spec_ref)
        model = model_for(spec, trace)
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    try:
        states = replay(model, trace)
        verdict = judge(model, trace, states, deadlock=False if no_deadlock else None)
    except ReplayError as e:
        if as_json:
            click.echo(json.dumps({"status": "diverges", "step": e.step, "property": None,
                                   "message": e.message}))
        else:
            hint = "" if spec_ref is not None else (
                f" (if it was recorded from a spec of your own named {trace.spec!r}, pass "
                "that spec with --spec FILE)")
            click.echo(f"error: {_title(trace)}: the trace no longer replays: {e.message}"
                       + hint, err=True)
        sys.exit(2)
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    status = "reproduces" if verdict.violated else "no-violation"
    if as_json:
        click.echo(json.dumps({"status": status, "step": verdict.step,
                               "property": verdict.property, "kind": verdict.kind,
                               "message": verdict.message}))
    elif verdict.violated:
        click.echo(f"✗ {_title(trace)}: the trace replays ({trace.length} steps) and shows a "
                   f"violation: {verdict.message}")
    else:
        click.echo(f"✓ {_title(trace)}: the trace replays ({trace.length} steps) and shows "
                   f"no violation: {verdict.message}")
    sys.exit(1 if verdict.violated else 0)


@trace_group.command("shrink")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@_spec_option
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the shrunk trace to FILE: JSON, or ITF (.itf.json).")
@click.option("--no-deadlock", is_flag=True, help="Do not count a deadlock as a violation.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Shrink for at most S seconds, then keep the smallest trace found.")
@click.option("--full", is_flag=True, help="Show every state of the trace in full.")
def shrink_cmd(path: Path, spec_ref: str | None, out: Path | None, no_deadlock: bool,
               time_limit: float | None, full: bool) -> None:
    """Shrink the counterexample in FILE to a local minimum, checked by replay.

    Steps are dropped (faults first), and arguments lowered, as long as replaying the
    trace still violates the same property. Works on traces of every strategy.
    """
    try:
        trace = Trace.load(path)
        spec = spec_for(trace, spec_ref)
        model = model_for(spec, trace)
        shrunk, violation, info = shrink_trace(model, trace,
                                               deadlock=False if no_deadlock else None,
                                               time_limit=time_limit)
        if out is not None:
            write_trace(shrunk, out)
    except ModelcheckError as e:
        fail(e)
    click.echo(f"✗ {violation.message}, shrunk from {info.original_length} steps "
               f"({info.replays:,} replays)")
    click.echo(render_trace(shrunk, full=full, spec=spec))
    if out is not None:
        click.echo(f"shrunk trace written to {out}")
