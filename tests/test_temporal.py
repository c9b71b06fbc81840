"""Temporal properties: verdicts and lassos on small hand-made graphs with known answers.

Each graph is a spec whose states are node numbers and whose actions move along listed
edges, so every fair cycle, stem and loop below can be checked by hand.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import networkx as nx
import numpy as np
import pytest

from modelcheck import Record, Result, Spec, SpecDefinitionError, UsageError, check, replay
from modelcheck.catalogue import load
from modelcheck.explore import temporal
from modelcheck.explore.temporal import StateGraph, _reverse_reach, _sccs
from modelcheck.model import bind
from modelcheck.render.text import render_trace
from modelcheck.symmetry import IndexedBy, Symmetric

if TYPE_CHECKING:
    from conftest import CliResult, InvokeOutput, ReadmeSpec

BLOCKING = str(Path(__file__).resolve().parent / "specs_temporal" / "blocking_commit.py")


@dataclass(frozen=True)
class Empty:
    """A graph has no parameters."""


def graph(edges: Mapping[str, Sequence[tuple[int, int]]], inits: Sequence[int] = (0,)) -> Spec:
    """A spec whose states are nodes: action ``name`` moves along each of its edges."""
    spec = Spec("graph", Empty, doc="A hand-made graph.")

    def init(cfg: Empty, n: int) -> int:
        return n

    spec.init(n=tuple(inits))(init)
    for name, pairs in edges.items():
        def step(cfg: Empty, state: int, e: tuple[int, int]) -> int | None:
            return e[1] if state == e[0] else None
        spec.action(name=name, e=tuple(pairs))(step)
    return spec


def at(*nodes: int) -> Callable[[Any, int], bool]:
    """The predicate "the state is one of ``nodes``", named after them."""
    def pred(cfg: Any, state: int) -> bool:
        return state in nodes
    pred.__name__ = "at_" + "_".join(map(str, nodes))
    return pred


def verify(spec: Spec, **kw: Any) -> Result:
    return check(spec, deadlock=False, **kw)


def lasso(result: Result) -> tuple[int, int, list[Any]]:
    """(stem length, loop length, states) of a liveness counterexample."""
    assert result.status == "violation" and result.violation is not None
    assert result.violation.kind == "liveness"
    trace = result.violation.trace
    assert trace is not None and trace.loop_start is not None
    states = [s.state for s in trace.steps]
    # The last step returns to the loop's first state (or the loop is a stutter).
    assert states[-1] == states[trace.loop_start]
    return trace.loop_start, len(states) - 1 - trace.loop_start, states


# -- eventually, on a cycle with an exit -----------------------------------------------------

CYCLE = {"next": [(0, 1), (1, 2), (2, 0)], "exit": [(2, 3)]}


def cycle_spec(**fair: str) -> Spec:
    spec = graph(CYCLE)
    for name, kind in fair.items():
        spec.fair(name, kind)  # type: ignore[arg-type]
    spec.eventually(at(3))
    return spec


def test_without_fairness_a_behaviour_may_stop_at_once() -> None:
    stem, loop, states = lasso(verify(cycle_spec()))
    assert (stem, loop, states) == (0, 0, [0])


def test_weak_fairness_of_the_cycle_gives_a_three_step_loop() -> None:
    result = verify(cycle_spec(next="weak"))
    stem, loop, states = lasso(result)
    assert (stem, loop, states) == (0, 3, [0, 1, 2, 0])
    assert result.violation is not None
    assert "a cycle of 3 steps" in result.violation.message
    assert "fairness: next (weak)" in result.violation.message
    assert result.violation.trace is not None
    assert render_trace(result.violation.trace).endswith("… then forever: 0 → 1 → 2 → 0")


def test_weak_fairness_of_an_exit_enabled_now_and_then_is_not_enough() -> None:
    assert lasso(verify(cycle_spec(next="weak", exit="weak")))[:2] == (0, 3)


def test_strong_fairness_of_the_exit_makes_it_hold() -> None:
    result = verify(cycle_spec(next="weak", exit="strong"))
    assert result.status == "ok" and result.exhaustive


def test_fairness_overrides_from_the_caller() -> None:
    spec = cycle_spec(next="weak", exit="strong")
    assert lasso(verify(spec, fairness={"exit": "weak"}))[:2] == (0, 3)
    assert lasso(verify(spec, fairness={"exit": None, "next": None}))[:2] == (0, 0)
    with pytest.raises(UsageError, match="no fairness group or action 'nope'"):
        verify(spec, fairness={"nope": "weak"})


def test_only_the_exit_fair_lets_the_behaviour_stop_where_it_is_disabled() -> None:
    # Stuttering in state 0 is fair: exit is not enabled there.
    assert lasso(verify(cycle_spec(exit="weak")))[:3] == (0, 0, [0])


def test_an_action_can_be_made_fair_by_name_on_the_command_line() -> None:
    spec = cycle_spec()
    assert lasso(verify(spec, fairness={"next": "weak"}))[:2] == (0, 3)


def test_the_stem_is_shortest() -> None:
    spec = graph({"next": [(0, 1), (1, 2), (2, 3), (3, 4), (4, 3)]})
    spec.fair("next", "weak")
    spec.eventually(at(9))
    stem, loop, states = lasso(verify(spec))
    assert (stem, loop, states) == (3, 2, [0, 1, 2, 3, 4, 3])
    # From a second initial state closer to the cycle, the stem is one step.
    spec2 = graph({"next": [(0, 1), (1, 2), (2, 3), (3, 4), (4, 3)]}, inits=(0, 2))
    spec2.fair("next", "weak")
    spec2.eventually(at(9))
    assert lasso(verify(spec2))[:3] == (1, 2, [2, 3, 4, 3])


def test_eventually_holds_when_every_fair_path_gets_there() -> None:
    spec = graph({"next": [(0, 1), (1, 2)]})
    spec.fair("next", "weak")
    spec.eventually(at(2))
    result = verify(spec)
    assert result.status == "ok" and result.exhaustive


def test_eventually_is_checked_from_every_initial_state() -> None:
    spec = graph({"next": [(0, 1), (1, 2)]}, inits=(0, 5))
    spec.fair("next", "weak")
    spec.eventually(at(2))
    assert lasso(verify(spec))[:3] == (0, 0, [5])


def test_a_self_loop_is_a_stutter_and_does_not_satisfy_weak_fairness() -> None:
    # As in TLA+, a step that leaves the state unchanged neither takes nor enables an
    # action: weak fairness of {stay, go} forces the move to 1.
    spec = graph({"stay": [(0, 0)], "go": [(0, 1)]})
    spec.fair("any", "weak", actions=("stay", "go"))
    spec.eventually(at(1))
    assert verify(spec).status == "ok"


# -- fairness of each instance, or of the group as one action ------------------------------

TWO_EXITS = {"step": [(0, 1), (1, 0), (0, 2), (1, 2)]}


@pytest.mark.parametrize(("kind", "per_instance", "holds"), [
    ("weak", False, False),   # the group is taken on the cycle 0 → 1 → 0
    ("strong", False, False),
    ("weak", True, False),    # each exit is disabled in one state of the cycle
    ("strong", True, True),   # each exit is enabled infinitely often: it is taken
])
def test_per_instance_and_group_fairness(kind: str, per_instance: bool, holds: bool) -> None:
    spec = graph(TWO_EXITS)
    spec.fair("step", kind, per_instance=per_instance)  # type: ignore[arg-type]
    spec.eventually(at(2))
    result = verify(spec)
    if holds:
        assert result.status == "ok"
    else:
        assert lasso(result)[:3] == (0, 2, [0, 1, 0])


def test_the_action_decorator_makes_each_instance_fair() -> None:
    spec = Spec("graph", Empty)
    spec.init(lambda cfg: 0)

    @spec.action(e=tuple(TWO_EXITS["step"]), fairness="strong")
    def step(cfg: Empty, state: int, e: tuple[int, int]) -> int | None:
        return e[1] if state == e[0] else None

    spec.eventually(at(2))
    assert [f.describe() for f in spec.fairness] == ["strong fairness of each instance of step"]
    assert verify(spec).status == "ok"


def test_strong_fairness_refines_a_component_to_a_fair_cycle_inside_it() -> None:
    # In the component {0, 1, 2}, "leave" is enabled only at 2 and never taken inside, so
    # under strong fairness no cycle through 2 is fair; 0 → 1 → 0 is.
    spec = graph({"next": [(0, 1), (1, 0), (1, 2), (2, 0)], "leave": [(2, 3)]})
    spec.fair("next", "weak")
    spec.fair("leave", "strong")
    spec.eventually(at(3))
    assert lasso(verify(spec))[:3] == (0, 2, [0, 1, 0])


# -- always eventually and leads-to ------------------------------------------------------------


def test_always_eventually() -> None:
    spec = graph({"next": [(0, 1), (1, 0), (1, 2)]})
    spec.fair("next", "weak")
    spec.always_eventually(at(0))
    # 0 → 1 → 2, then state 2 has nothing enabled: it stays there, never in 0 again.
    assert lasso(verify(spec))[:3] == (2, 0, [0, 1, 2])
    holds = graph({"next": [(0, 1), (1, 0)]})
    holds.fair("next", "weak")
    holds.always_eventually(at(0))
    assert verify(holds).status == "ok"


LEADS = {"a": [(0, 1)], "b": [(1, 2)], "c": [(2, 1)], "d": [(1, 3)]}


@pytest.mark.parametrize(("d_kind", "holds"), [("weak", False), ("strong", True)])
def test_leads_to(d_kind: str, holds: bool) -> None:
    spec = graph(LEADS)
    spec.fair("moves", "weak", actions=("a", "b", "c", "d"))
    spec.fair("d", d_kind)  # type: ignore[arg-type]
    prop = spec.leads_to(at(1), at(3))
    assert prop.name == "at_1_leads_to_at_3"
    result = verify(spec)
    if holds:
        assert result.status == "ok"
        return
    stem, loop, states = lasso(result)
    assert (stem, loop, states) == (1, 2, [0, 1, 2, 1])
    assert result.violation is not None
    assert "at_1 holds at step 1" in result.violation.message


def test_leads_to_stem_goes_through_the_trigger() -> None:
    # The cycle 5 → 6 → 5 is reachable at once, but only after p (state 2) does it count.
    spec = graph({"n": [(0, 5), (5, 6), (6, 5), (0, 1), (1, 2), (2, 5)]})
    spec.fair("n", "weak")
    spec.leads_to(at(2), at(9), name="two_leads_to_nine")
    stem, loop, states = lasso(verify(spec))
    assert (stem, loop, states) == (3, 2, [0, 1, 2, 5, 6, 5])


# -- always possible ---------------------------------------------------------------------


def test_always_possible() -> None:
    spec = graph({"next": [(0, 1), (1, 0), (0, 2), (2, 3), (3, 2)]})
    spec.always_possible(at(1))
    result = verify(spec)
    assert result.status == "violation" and result.violation is not None
    v = result.violation
    assert v.kind == "possibility" and v.trace is not None and v.trace.loop_start is None
    assert [s.state for s in v.trace.steps] == [0, 2]
    assert "still enabled there: next(e=[2, 3]), none leading to such a state" in v.message
    ok = graph({"next": [(0, 1), (1, 0), (0, 2), (2, 0)]})
    ok.always_possible(at(1))
    assert verify(ok).status == "ok"


def test_always_possible_reports_a_dead_end() -> None:
    spec = graph({"next": [(0, 1), (1, 0), (0, 2)]})
    spec.always_possible(at(1))
    v = verify(spec).violation
    assert v is not None and v.kind == "possibility"
    assert "no action is enabled there" in v.message


def test_blocking_commit_holds_without_crashes_and_blocks_with_them() -> None:
    spec = load(BLOCKING)
    assert check(spec).status == "ok"
    for symmetry in (False, True):
        result = check(spec, variant="tm-crash", symmetry=symmetry)
        v = result.violation
        assert v is not None and v.property == "all_decide" and v.kind == "possibility"
        assert v.trace is not None and v.trace.length == 2
        assert [s.action for s in v.trace.steps] == ["init", "tm_crash", "rm_prepare"]
        assert "still enabled there: rm_prepare(rm=1), rm_choose_to_abort(rm=1)" in v.message
        replay(bind(spec, "tm-crash", symmetry=symmetry), v.trace)
    # A search one step shorter cannot decide it (the graph is cut), and says so.
    bounded = check(spec, variant="tm-crash", max_depth=2)
    assert bounded.status == "ok" and not bounded.exhaustive
    assert bounded.stopped is not None and "temporal properties were not checked" in bounded.stopped


# -- what the engine refuses, and errors -------------------------------------------------------


class SymState(Record):
    """Two symmetric processes, each done or not."""

    done: Annotated[tuple[bool, ...], IndexedBy(Annotated[int, Symmetric("P", size="n")])]


@dataclass(frozen=True)
class SymConfig:
    """Two processes."""

    n: int = 2


def sym_spec() -> Spec:
    spec = Spec("sym", SymConfig, SymState)
    spec.init(lambda cfg: SymState((False,) * cfg.n))

    @spec.action(p=lambda cfg: range(cfg.n), fairness="weak")
    def finish(cfg: SymConfig, s: SymState, p: int) -> SymState | None:
        return None if s.done[p] else SymState(tuple(d or i == p for i, d in enumerate(s.done)))

    @spec.eventually
    def all_done(cfg: SymConfig, s: SymState) -> bool:
        return all(s.done)

    return spec


def test_liveness_is_refused_under_symmetry_and_other_explorers() -> None:
    spec = sym_spec()
    assert verify(spec).status == "ok"
    with pytest.raises(UsageError, match="cannot be checked under symmetry reduction"):
        verify(spec, symmetry=True)
    with pytest.raises(UsageError, match="only the single-process breadth-first search"):
        verify(spec, strategy="dfs")
    with pytest.raises(UsageError, match="only the single-process breadth-first search"):
        verify(spec, workers=2)
    assert verify(spec, symmetry=True, temporal=False).status == "ok"
    assert verify(spec, strategy="dfs", temporal=False).stats.distinct_states == 4


def test_a_search_stopped_by_a_limit_claims_nothing() -> None:
    result = verify(cycle_spec(next="weak"), max_states=2)
    assert result.status == "incomplete" and result.exit_code == 3
    assert result.stopped is not None and "temporal properties were not checked" in result.stopped


def test_bad_declarations_are_refused_when_defined() -> None:
    spec = graph(CYCLE)
    with pytest.raises(SpecDefinitionError, match="fairness must be 'weak' or 'strong'"):
        spec.fair("next", "fast")  # type: ignore[arg-type]
    spec.fair("next", "weak")
    with pytest.raises(SpecDefinitionError, match="declared twice"):
        spec.fair("next", "strong")
    with pytest.raises(SpecDefinitionError, match="a property is a predicate"):
        spec.leads_to(at(1), lambda cfg: True)
    spec.fair("ghost", "weak")
    spec.eventually(at(3))
    with pytest.raises(SpecDefinitionError, match="names \\['ghost'\\], which are not actions"):
        bind(spec)


def test_a_predicate_that_raises_names_itself() -> None:
    spec = graph(CYCLE)

    def broken(cfg: Any, state: int) -> bool:
        return 1 / (state - 2) > 0  # raises in state 2

    spec.eventually(broken)
    result = verify(spec)
    assert result.status == "error" and result.error is not None
    assert "temporal property broken" in result.error and "ZeroDivisionError" in result.error


# -- the command line ------------------------------------------------------------------


def test_cli_exit_codes_and_json_kinds(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("verify", BLOCKING, "--variant", "tm-crash", "--json")
    v = json.loads(out)["violation"]
    assert code == 1 and v["kind"] == "possibility" and v["trace"]["loop_start"] is None
    assert invoke_output("verify", BLOCKING, "--json")[0] == 0
    code, out = invoke_output("verify", "ewd840", "--variant", "pass-keeps-color", "--json")
    v = json.loads(out)["violation"]
    assert code == 1 and v["kind"] == "liveness" and v["trace"]["loop_start"] == 0
    assert len(v["trace"]["steps"]) == 4
    code, out = invoke_output("verify", "ewd840", "--no-fairness", "-q")
    assert code == 1 and "… then stays in state 0 forever (stuttering)" in out
    assert invoke_output("verify", "ewd840", "--fairness", "system=strong", "-q")[0] == 0


@pytest.mark.parametrize(("args", "message"), [
    (("--fairness", "system"), "expected NAME=weak|strong|none"),
    (("--fairness", "system=sometimes"), "expected NAME=weak|strong|none"),
    (("--fairness", "nobody=weak"), "no fairness group or action 'nobody'"),
    (("--strategy", "dfs"), "drop --strategy dfs, --workers and --scheduler"),
])
def test_cli_usage_errors(invoke_output: InvokeOutput, args: tuple[str, ...], message: str) -> None:
    code, out = invoke_output("verify", "ewd840", *args)
    assert code == 2 and message in out and "Traceback" not in out


def test_cli_show_lists_temporal_properties_and_fairness(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("show", "ewd840")
    assert code == 0
    assert ("termination_eventually_detected [leads_to: terminated ~> termination_detected]"
            in out)
    assert "system: weak fairness of initiate_probe ∨ pass_token" in out
    assert "not with --strategy dfs" in out


# -- strongly connected components against networkx --------------------------------------


def _graph_of(n: int, edges: list[tuple[int, int]]) -> StateGraph:
    edges = sorted(edges)
    src = np.array([u for u, _ in edges], dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
    dst = np.array([v for _, v in edges], dtype=np.int32)
    return StateGraph(n, offsets, dst, np.zeros(len(edges), dtype=np.uint16),
                      np.zeros(1, dtype=np.int64), {}, np.arange(n, dtype=np.int64),
                      np.zeros(n, dtype=np.uint16))


@pytest.mark.parametrize("block", [temporal.BLOCK, 1, 7])
@pytest.mark.parametrize("seed", range(6))
def test_components_and_backward_reachability_match_networkx(
        seed: int, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Edges are gathered block by block: blocks far smaller than a state's row must
    # give the same answers.
    monkeypatch.setattr(temporal, "BLOCK", block)
    rng = random.Random(seed)
    n = rng.choice([30, 200, 600])
    m = int(n * rng.choice([0.8, 1.3, 2.5]))
    edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(m)]
    g = _graph_of(n, edges)
    mask = np.array([rng.random() < 0.9 for _ in range(n)])
    comp = _sccs(g, mask)
    ref = nx.DiGraph()
    ref.add_nodes_from(i for i in range(n) if mask[i])
    ref.add_edges_from((u, v) for u, v in edges if mask[u] and mask[v])
    ours = {frozenset(np.flatnonzero(comp == c).tolist()) for c in set(comp[mask].tolist())}
    assert ours == {frozenset(c) for c in nx.strongly_connected_components(ref)}
    assert (comp[~mask] == -1).all()
    full = nx.DiGraph()
    full.add_nodes_from(range(n))
    full.add_edges_from(edges)
    goal = np.array([rng.random() < 0.05 for _ in range(n)])
    can = set(np.flatnonzero(goal).tolist())
    for v in np.flatnonzero(goal).tolist():
        can |= nx.ancestors(full, v)
    assert set(np.flatnonzero(_reverse_reach(g, goal)).tolist()) == can


@pytest.mark.parametrize("seed", range(40))
def test_every_loop_through_a_fair_component_is_fair(seed: int) -> None:
    # Random graphs with random actions and random weak and strong fairness: the loop
    # built through each fair component is a cycle inside it that satisfies every
    # constraint (weak: taken, or disabled at a state of the loop; strong: taken, or
    # disabled at every state of the loop), as the verdict of a lasso requires.
    from modelcheck.explore.temporal import _fair_components, _Fairness, _loop
    from modelcheck.model import FairGroup
    rng = random.Random(seed)
    n, nacts = rng.choice([8, 30, 120]), rng.choice([2, 5, 12])
    edges = sorted({(rng.randrange(n), rng.randrange(n), rng.randrange(nacts))
                    for _ in range(int(n * rng.choice([1.5, 3.0])))})
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount([u for u, _, _ in edges], minlength=n), out=offsets[1:])
    g = StateGraph(n, offsets, np.array([v for _, v, _ in edges], dtype=np.int32),
                   np.array([a for _, _, a in edges], dtype=np.uint16),
                   np.zeros(1, dtype=np.int64), {}, np.arange(n, dtype=np.int64),
                   np.zeros(n, dtype=np.uint16))
    groups = [FairGroup(f"g{k}", rng.choice(["weak", "strong"]),
                        tuple(sorted(rng.sample(range(nacts), rng.randint(1, nacts)))),
                        per_instance=rng.random() < 0.5)
              for k in range(rng.randint(1, 4))]
    fair = _Fairness(groups, nacts)
    comp = _fair_components(g, fair, np.ones(n, dtype=np.bool_))
    moves = [(u, v, a) for u, v, a in edges if u != v]  # a stutter takes no action
    units = [(group.kind, set(unit)) for group in groups for unit in group.units]
    for c in set(comp[comp >= 0].tolist()):
        members = comp == c
        entry = int(np.flatnonzero(members)[0])
        nodes, path = _loop(g, fair, members, entry)
        assert nodes[0] == nodes[-1] == entry and len(nodes) == len(path) + 1
        assert all(members[v] for v in nodes)
        taken = set()
        for k, e in enumerate(path):
            u, v, a = edges[e]
            assert (u, v) == (nodes[k], nodes[k + 1]) and u != v
            taken.add(a)
        for kind, unit in units:
            enabled = [any(u == x and a in unit for u, _, a in moves) for x in nodes]
            if unit & taken or (not path and not enabled[0]):
                continue
            if kind == "weak":
                assert not all(enabled), (seed, c, unit)
            else:
                assert not any(enabled), (seed, c, unit)


@pytest.mark.parametrize(("ref", "variant", "kw"), [
    ("ewd840", "pass-keeps-color", {}),
    ("ewd840", None, {"fairness": {"system": None}}),
    ("gossip", "crashed-node", {}),
    ("outbox", "dual-write", {}),
    (BLOCKING, "tm-crash", {}),
    (BLOCKING, None, {}),
])
def test_small_blocks_give_the_same_verdicts_and_lassos(
        ref: str, variant: str | None, kw: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load(ref)
    expected = check(spec, variant=variant, **kw)
    monkeypatch.setattr(temporal, "BLOCK", 3)
    got = check(spec, variant=variant, **kw)
    assert got.status == expected.status
    assert got.details["temporal"]["transitions"] == expected.details["temporal"]["transitions"]
    if expected.violation is not None:
        assert got.violation is not None and expected.violation.trace is not None
        assert got.violation.property == expected.violation.property
        assert got.violation.trace == expected.violation.trace
        replay(bind(spec, variant), got.violation.trace)


# -- the README's example ------------------------------------------------------------------


def test_readme_lossy_link_example(cli_result: CliResult, readme: str,
                                   readme_spec: ReadmeSpec) -> None:
    path = readme_spec("lossy.py")
    shown = re.findall(r"\$ modelcheck verify lossy.py(.*?)\n(.*?)…\n", readme, re.S)
    assert len(shown) == 2
    for (args, output), code_expected in zip(shown, (1, 0)):
        result = cli_result(["verify", str(path), *args.split()])
        assert result.exit_code == code_expected
        assert result.stdout.startswith(output)
