"""``modelcheck graph SPEC``: the reachable state graph as DOT, GraphML or JSON.

The graph (:mod:`modelcheck.statespace`) is explored in full, past violations, with the
states in memory, so a graph above ``--max-states`` is refused unless ``--force`` is
given; :mod:`modelcheck.render.graph` draws it, with networkx (the ``graph`` extra).
"""

from __future__ import annotations

from pathlib import Path

import click

from modelcheck.catalogue import load
from modelcheck.cli.common import (
    fail,
    output_option,
    param_option,
    parse_params,
    variant_option,
    write_output,
)
from modelcheck.errors import ModelcheckError
from modelcheck.model import bind
from modelcheck.render.graph import GRAPH_FORMATS, render_graph
from modelcheck.statespace import reachable_graph

__all__ = ["graph_cmd"]


@click.command("graph")
@click.argument("spec_ref", metavar="SPEC")
@variant_option
@param_option
@click.option("--format", "fmt", type=click.Choice(GRAPH_FORMATS), default="dot",
              show_default=True, help="Graphviz DOT, GraphML, or networkx node-link JSON.")
@click.option("--max-states", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Refuse graphs with more states than this.")
@click.option("--force", is_flag=True, help="Export the graph whatever its size.")
@output_option
def graph_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...], fmt: str,
              max_states: int, force: bool, output: Path | None) -> None:
    """Export the reachable state graph of SPEC: actions as edge labels, initial and
    violating states marked."""
    try:
        model = bind(load(spec_ref), variant, parse_params(params))
        space = reachable_graph(model, limit=None if force else max_states)
        text = render_graph(model, space, fmt)
    except ModelcheckError as e:
        fail(e)
    write_output(text, output, f"{len(space.states):,} states and {len(space.edges):,} "
                               f"transitions written to {output}")
