"""``modelcheck tests SPEC --cover actions|properties|transitions``: generate test traces.

The traces (:mod:`modelcheck.testgen`) are printed with what each covers; with ``--out DIR``
each is saved as a trace file (JSON, or ITF with ``--itf``) with a pytest module that
drives a user's :class:`~modelcheck.testing.Adapter` through them. Exit 0 when the traces
are generated, 2 on a usage or spec error.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from modelcheck.catalogue import load
from modelcheck.cli.common import (
    fail,
    faults_option,
    json_option,
    param_option,
    parse_params,
    variant_option,
    with_faults,
)
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.model import bind
from modelcheck.render.output import write_trace
from modelcheck.render.text import render_params
from modelcheck.testgen import CRITERIA, Criterion, generate, pytest_module

__all__ = ["tests_cmd"]


@click.command("tests")
@click.argument("spec_ref", metavar="SPEC")
@click.option("--cover", "criterion", type=click.Choice(CRITERIA), default="actions",
              show_default=True,
              help="actions: take every action; properties: witness every violation and "
                   "sometimes property; transitions: take every action from every class "
                   "of state (the set of actions enabled there).")
@variant_option
@param_option
@faults_option
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Write the traces and a pytest module (test_SPEC.py) to DIR.")
@click.option("--itf", is_flag=True, help="With --out: write the traces as ITF (.itf.json).")
@click.option("--max-states", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Refuse state graphs with more states than this.")
@json_option("the traces and what each covers")
def tests_cmd(spec_ref: str, criterion: Criterion, variant: str | None,
              params: tuple[str, ...], faults: str | None, out: Path | None, itf: bool,
              max_states: int, as_json: bool) -> None:
    """Generate a small set of traces of SPEC that together cover a criterion (greedy set
    cover over breadth-first shortest traces), for model-based testing."""
    try:
        spec = load(spec_ref)
        model = bind(spec, variant, with_faults(spec, parse_params(params), faults))
        suite = generate(model, criterion, limit=max_states)
        files = [f"trace{i + 1}{'.itf.json' if itf else '.json'}"
                 for i in range(len(suite.traces))]
        module = f"test_{spec.name.replace('-', '_')}.py"
        if out is not None:
            try:
                out.mkdir(parents=True, exist_ok=True)
                for name, trace in zip(files, suite.traces):
                    write_trace(trace, out / name)
                (out / module).write_text(pytest_module(model, suite, spec_ref, files),
                                          encoding="utf-8")
            except OSError as e:
                raise UsageError(f"--out {out}: cannot write there ({e})") from None
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    if as_json:
        click.echo(json.dumps({
            "spec": spec.name, "criterion": criterion, "states": suite.states,
            "targets": list(suite.targets), "uncoverable": list(suite.uncoverable),
            "traces": [{"file": f if out is not None else None, "length": t.length,
                        "covers": list(c), "trace": t.to_json()}
                       for f, t, c in zip(files, suite.traces, suite.covers)]}))
        return
    title = spec.name + (f" --variant {variant}" if variant else "")
    click.echo(f"{title} ({render_params(model.params)}): {len(suite.targets)} "
               f"targets ({criterion}) in {suite.states:,} states, covered by "
               f"{len(suite.traces)} traces")
    for i, (trace, covers) in enumerate(zip(suite.traces, suite.covers)):
        steps = "step" if trace.length == 1 else "steps"
        click.echo(f"  trace {i + 1} ({trace.length} {steps}): {', '.join(covers)}")
    if suite.uncoverable:
        click.echo(f"not coverable (no reachable witness): {', '.join(suite.uncoverable)}")
    if out is not None:
        click.echo(f"written to {out}: {', '.join(files)}, {module}")
