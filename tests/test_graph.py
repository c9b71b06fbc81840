"""`modelcheck graph`: the reachable state graph through networkx, with TLC's counts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from modelcheck import bind, load_spec
from modelcheck.statespace import reachable_graph

if TYPE_CHECKING:
    from conftest import InvokeOutput


def test_two_phase_commit_graph_has_tlcs_counts() -> None:
    # TLC: 288 distinct states and 1,146 generated (the initial state and 1,145 successors).
    space = reachable_graph(bind(load_spec("two-phase-commit")), limit=None)
    assert (len(space.states), len(space.edges), len(space.initial)) == (288, 1145, 1)
    assert not space.violates and not space.deadlocks


def test_json_export_marks_initial_and_violating_states(invoke_output: InvokeOutput,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "g.json"
    code, _ = invoke_output("graph", "two-phase-commit", "--variant", "tm-commits-early",
                            "--format", "json", "-o", out)
    assert code == 0
    g = nx.node_link_graph(json.loads(out.read_text()), edges="edges")
    assert (g.number_of_nodes(), g.number_of_edges()) == (498, 1955)
    assert [n for n, d in g.nodes(data=True) if d["initial"]] == ["s0"]
    bad = [n for n, d in g.nodes(data=True) if d["violates"]]
    assert len(bad) == 48 and all(g.nodes[n]["violates"] == "consistent" for n in bad)
    # The counterexample's length: the nearest violating state is 5 steps from s0.
    assert min(nx.shortest_path_length(g, "s0", n) for n in bad) == 5
    labels = {d["label"] for _, _, d in g.out_edges("s0", data=True)}
    assert labels == {"tm_abort", "rm_prepare(rm=0)", "rm_prepare(rm=1)", "rm_prepare(rm=2)",
                      "rm_choose_to_abort(rm=0)", "rm_choose_to_abort(rm=1)",
                      "rm_choose_to_abort(rm=2)"}


def test_dot_and_graphml_of_a_small_model(invoke_output: InvokeOutput) -> None:
    code, dot = invoke_output("graph", "two-phase-commit", "--param", "rms=1")
    assert code == 0
    assert dot.startswith('digraph "two-phase-commit" {') and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == 19 and dot.count("peripheries=2") == 1
    assert 's0 -> s2 [label="rm_prepare(rm=0)"];' in dot
    code, graphml = invoke_output("graph", "two-phase-commit", "--param", "rms=1", "--format",
                                  "graphml")
    assert code == 0
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ET.fromstring(graphml)
    assert len(root.findall(".//g:node", ns)) == 12 and len(root.findall(".//g:edge", ns)) == 19


def test_large_graphs_are_refused_unless_forced(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("graph", "two-phase-commit", "--max-states", "100")
    assert code == 2
    assert "has more than 100 states" in out and "--force" in out and "Traceback" not in out
    code, out = invoke_output("graph", "two-phase-commit", "--max-states", "100", "--force",
                              "--format", "json")
    assert code == 0 and len(json.loads(out)["nodes"]) == 288
