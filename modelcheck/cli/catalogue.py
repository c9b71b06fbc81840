"""``modelcheck list`` and ``modelcheck show``: the catalogue, and one spec in detail."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from typing import Any

import click

from modelcheck.catalogue import entries, load
from modelcheck.cli.common import fail, param_option, parse_params, show_faults, variant_option
from modelcheck.errors import ModelcheckError
from modelcheck.model import bind
from modelcheck.params import parameters
from modelcheck.render.text import first_line, render_value
from modelcheck.state import to_json
from modelcheck.symmetry import symmetric_sets

__all__ = ["list_cmd", "show_cmd"]


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def list_cmd(as_json: bool) -> None:
    """List the catalogue: every spec and variant with its expected verdict."""
    rows: list[dict[str, Any]] = []
    for name, spec in entries().items():
        rows.append({"spec": name, "variant": None, "params": {},
                     "expect": spec.expectation().to_json(), "doc": first_line(spec.doc)})
        for v in spec.variants.values():
            rows.append({"spec": name, "variant": v.name,
                         "params": {k: to_json(x) for k, x in v.params.items()},
                         "expect": v.expect.to_json(), "doc": first_line(v.doc)})
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    width = max((len(r["spec"]) + len(r["variant"] or "") + 12 for r in rows), default=20)
    for r in rows:
        label = r["spec"] + (f" --variant {r['variant']}" if r["variant"] else "")
        exp = r["expect"]
        verdict = "holds" if exp["status"] == "ok" else f"violates {exp['property']}"
        click.echo(f"{label:<{width}} {verdict}")


DOMAIN_WIDTH = 72
"""Characters of an action parameter's domain that ``modelcheck show`` prints; a longer
domain shows its first values and how many there are."""


def _domain(values: Any) -> str:
    """``[0, 1, 2]``, or ``[RequestVoteRequest(0→1, term=0), …] (2,412 values)`` for a domain
    longer than :data:`DOMAIN_WIDTH` characters."""
    text = render_value(to_json(values))
    items = list(values) if isinstance(values, (list, tuple, range, frozenset, set)) else None
    if len(text) <= DOMAIN_WIDTH or items is None:
        return text
    shown: list[str] = []
    for v in items:
        item = render_value(to_json(v))
        if shown and len(", ".join([*shown, item])) > DOMAIN_WIDTH:
            break
        shown.append(item)
    return f"[{', '.join(shown)}, …] ({len(items):,} values)"


@click.command("show")
@click.argument("spec_ref", metavar="SPEC")
@variant_option
@param_option
def show_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...]) -> None:
    """Show a spec: its documentation, parameters, actions, properties and variants, in its
    default configuration or the one --variant and --param choose."""
    try:
        spec = load(spec_ref)
        model = bind(spec, variant, parse_params(params))
    except ModelcheckError as e:
        fail(e)
    counts = Counter(inst.name for inst in model.instances)
    click.echo(click.style(spec.name, bold=True))
    if spec.doc:
        click.echo(f"\n{spec.doc}\n")
    if variant is not None or params:
        click.echo("Configuration: " + (f"--variant {variant}" if variant else "")
                   + ("" if not params or not variant else " ")
                   + " ".join(f"--param {p}" for p in params))
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
        doms = ", ".join(
            f"{p} ∈ (depends on {', '.join(a.depends[p])})" if a.depends.get(p)
            else f"{p} ∈ {_domain(a.domain(p, model.config))}"
            for p in a.params)
        n = counts[a.name]
        line = (f"  {a.name}" + (f"({doms})" if doms else "")
                + f" [{n:,} instance{'' if n == 1 else 's'}]"
                + (f" — {first_line(a.doc)}" if a.doc else ""))
        click.echo(textwrap.fill(line, width=100, subsequent_indent="      ",
                                 break_long_words=False, break_on_hyphens=False))
    click.echo("Properties:")
    for p in spec.properties:
        kind = (f"leads_to: {p.fn.__name__} ~> {p.goal.__name__}"
                if p.kind == "leads_to" and p.goal is not None else p.kind)
        if p.when is not None:
            kind += f", from initial states satisfying {p.when.__name__}"
        click.echo(f"  {p.name} [{kind}]" + (f" — {first_line(p.doc)}" if p.doc else ""))
    if spec.terminal_fn is not None:
        click.echo(f"  terminal states: {spec.terminal_fn.__name__}")
    if spec.constraints:
        click.echo("State constraints (the search expands only states satisfying them; "
                   "temporal properties are then not checked):")
        for c in spec.constraints:
            click.echo(f"  {c.name}" + (f" — {first_line(c.doc)}" if c.doc else ""))
    show_faults(spec, model.config)
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
                f" — {first_line(group.doc)}" if group.doc else ""))
    if any(p.temporal for p in spec.properties):
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
        click.echo(f"  {v.name}: {v.expect}" + (f" — {first_line(v.doc)}" if v.doc else ""))
