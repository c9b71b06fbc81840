"""One meaning of a violation: every search, replay, the shrinker, graph export, the explorer
page and the Hypothesis bridge judge a predicate, a deadlock and a spec error alike.

A predicate holds when it returns True and fails when it returns False; any other value,
or an exception, is a spec error (exit 2) naming the function and the state. The spec
``tests/specs_bad/predicates.py`` makes one function misbehave at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import (
    NondeterminismError,
    SpecRuntimeError,
    Trace,
    UsageError,
    bind,
    check,
    load_spec,
)
from modelcheck.properties.verdict import judge
from modelcheck.serve import Browser
from modelcheck.shrink import Failure, shrink
from modelcheck.statespace import reachable_graph

if TYPE_CHECKING:
    from conftest import Invoke

PREDICATES = str(Path(__file__).parent / "specs_bad" / "predicates.py")
CULPRITS = {"terminal": "terminal predicate done", "invariant": "invariant bounded",
            "sometimes": "sometimes goal reaches_limit", "step": "action property counts_up"}
RETURNS = {"int": "returned 1 (int)", "none": "returned None (NoneType)",
           "str": "returned 'yes' (str)", "raise": "raised KeyError: 'boom'"}
WHERE = {"terminal": "in the state reached after 2 steps",
         "invariant": "in the state reached after 1 step",
         "sometimes": "in the state reached after 1 step",
         "step": "in the state reached after 0 steps"}
STRATEGIES: dict[str, dict[str, Any]] = {
    "bfs": {}, "dfs": {"strategy": "dfs"}, "random": {"strategy": "random", "seed": 1,
                                                      "runs": 20},
    "workers": {"workers": 2}}
CLI_FLAGS = {"bfs": [], "dfs": ["--strategy", "dfs"],
             "random": ["--strategy", "random", "--seed", "1", "--runs", "20"],
             "workers": ["--workers", "2"]}


def message(culprit: str, returns: str) -> str:
    """The spec error a search reports when ``culprit`` misbehaves as ``returns`` says."""
    text = f"{CULPRITS[culprit]} {RETURNS[returns]} {WHERE[culprit]}"
    if returns != "raise":
        text += ", not a bool: a predicate must return True or False"
    return text


def model(**params: Any) -> Any:
    return bind(load_spec(PREDICATES), params=params)


def states_of(m: Any, steps: int) -> list[Any]:
    s = m.initial_states()[0][1]
    out = [s]
    for _ in range(steps):
        s = m.apply(0, s)
        out.append(s)
    return out


# -- every strategy ------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
@pytest.mark.parametrize("returns", sorted(RETURNS))
@pytest.mark.parametrize("culprit", sorted(CULPRITS))
def test_a_misbehaving_predicate_is_a_spec_error_in_every_strategy(
        culprit: str, returns: str, strategy: str) -> None:
    r = check(load_spec(PREDICATES), params={"culprit": culprit, "returns": returns},
              **STRATEGIES[strategy])
    assert (r.status, r.exit_code) == ("error", 2), (r.status, r.violation, r.error)
    assert r.error == message(culprit, returns), r.error
    error = r.details["exception"]
    assert isinstance(error, SpecRuntimeError) and error.function == CULPRITS[culprit]
    assert error.trace is not None and error.step == error.trace.length


@pytest.mark.parametrize("strategy", sorted(CLI_FLAGS))
def test_the_cli_exits_2_naming_the_predicate(invoke: Invoke, strategy: str) -> None:
    code, out, err = invoke("verify", PREDICATES, "--param", "culprit=terminal", "--param",
                            "returns=str", *CLI_FLAGS[strategy])
    assert code == 2, out + err
    assert message("terminal", "str") in err
    assert "Traceback" not in out + err


def test_a_well_behaved_run_passes_in_every_strategy() -> None:
    for kwargs in STRATEGIES.values():
        r = check(load_spec(PREDICATES), **kwargs)
        assert r.status == "ok", (kwargs, r.error)


# -- replay, the shrinker, graph export, the explorer page, the Hypothesis bridge ----------


@pytest.mark.parametrize("returns", sorted(RETURNS))
@pytest.mark.parametrize("culprit", ["terminal", "invariant", "step"])
def test_replay_judges_a_trace_as_the_search_does(culprit: str, returns: str) -> None:
    m = model(culprit=culprit, returns=returns)
    states = states_of(m, 2)
    trace = Trace.from_states(m, 0, [0, 0], states)
    with pytest.raises(SpecRuntimeError) as caught:
        judge(m, trace, states)
    assert caught.value.function == CULPRITS[culprit]
    assert RETURNS[returns] in str(caught.value)


def test_the_replay_command_exits_2_on_a_misbehaving_predicate(invoke: Invoke,
                                                               tmp_path: Path) -> None:
    m = model(culprit="invariant", returns="int")
    path = tmp_path / "t.json"
    Trace.from_states(m, 0, [0, 0], states_of(m, 2)).save(path)
    code, out, err = invoke("trace", "replay", str(path), "--spec", PREDICATES)
    assert code == 2, out
    assert "invariant bounded returned 1 (int) in the state reached after 1 step, not a " \
        "bool" in out + err


@pytest.mark.parametrize("returns", sorted(RETURNS))
def test_the_shrinker_does_not_take_a_misbehaving_invariant_for_a_violation(
        returns: str) -> None:
    m = model(culprit="invariant", returns=returns)
    with pytest.raises(SpecRuntimeError, match="invariant bounded"):
        shrink(m, 0, [0, 0], Failure("bounded", "invariant"))


@pytest.mark.parametrize("returns", sorted(RETURNS))
def test_the_shrinker_does_not_take_a_misbehaving_terminal_predicate_for_a_deadlock(
        returns: str) -> None:
    m = model(culprit="terminal", returns=returns)
    with pytest.raises(SpecRuntimeError, match="terminal predicate done"):
        shrink(m, 0, [0, 0], Failure("deadlock", "deadlock"))


@pytest.mark.parametrize("returns", sorted(RETURNS))
@pytest.mark.parametrize("culprit", ["terminal", "invariant"])
def test_graph_export_judges_states_as_the_search_does(invoke: Invoke, culprit: str,
                                                       returns: str) -> None:
    with pytest.raises(SpecRuntimeError) as caught:
        reachable_graph(model(culprit=culprit, returns=returns), limit=None)
    assert caught.value.function == CULPRITS[culprit]
    code, out, err = invoke("graph", PREDICATES, "--param", f"culprit={culprit}", "--param",
                            f"returns={returns}")
    assert code == 2 and CULPRITS[culprit] in err and "Traceback" not in out + err


@pytest.mark.parametrize("returns", sorted(RETURNS))
@pytest.mark.parametrize(("culprit", "path"), [("terminal", "0.0.0"), ("invariant", "0.0"),
                                               ("step", "0.0")])
def test_the_explorer_page_reports_a_misbehaving_predicate(culprit: str, path: str,
                                                           returns: str) -> None:
    explorer = Browser(model(culprit=culprit, returns=returns), search=False)
    with pytest.raises(SpecRuntimeError) as caught:
        explorer.view(path)
    assert caught.value.function == CULPRITS[culprit]


def test_the_explorer_page_names_the_state_a_predicate_misbehaves_in() -> None:
    # Viewing the initial state evaluates its successors' invariants: the error is in the
    # successor, as a search says; an action property's is in the state before the step.
    with pytest.raises(SpecRuntimeError) as caught:
        Browser(model(culprit="invariant", returns="none"), search=False).view("0")
    assert str(caught.value) == message("invariant", "none")
    assert caught.value.trace is not None and caught.value.trace.length == 1
    with pytest.raises(SpecRuntimeError) as caught:
        Browser(model(culprit="step", returns="raise"), search=False).view("0")
    assert str(caught.value) == message("step", "raise")


def test_the_explorer_page_shows_terminal_and_deadlocked_states() -> None:
    explorer = Browser(model(), search=False)
    last = explorer.view("0.0.0")
    assert (last["terminal"], last["deadlock"], last["successors"]) == (True, False, [])
    first = explorer.view("0")
    assert (first["terminal"], first["deadlock"]) == (False, False)


@pytest.mark.parametrize("returns", sorted(RETURNS))
def test_the_hypothesis_bridge_reports_a_misbehaving_invariant(returns: str) -> None:
    from hypothesis import settings

    from modelcheck.testing import state_machine
    machine = state_machine(model(culprit="invariant", returns=returns),
                            settings=settings(max_examples=20, database=None))
    with pytest.raises(SpecRuntimeError, match="invariant bounded"):
        machine.TestCase().runTest()


# -- initial states that are not hashable --------------------------------------------------


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
@pytest.mark.parametrize("inits", [1, 2])
def test_an_unhashable_initial_state_is_blamed_on_init(strategy: str, inits: int) -> None:
    r = check(load_spec(PREDICATES), params={"unhashable": True, "inits": inits},
              **STRATEGIES[strategy])
    assert (r.status, r.exit_code) == ("error", 2), (r.status, r.error)
    assert r.error is not None and r.error.startswith(
        f"init(k={inits - 1}) returned a state that is not hashable"), r.error
    assert "field(s) ['extra']" in r.error
    assert r.details["exception"].function == f"init(k={inits - 1})"


@pytest.mark.parametrize("inits", [1, 2])
def test_the_cli_blames_an_unhashable_initial_state_on_init(invoke: Invoke, inits: int) -> None:
    # With two initial states, the second one unhashable, this used to end in an
    # IndexError (exit 1): the init's index was taken for an action's.
    code, out, err = invoke("verify", PREDICATES, "--param", "unhashable=true", "--param",
                            f"inits={inits}")
    assert code == 2, out + err
    assert f"init(k={inits - 1}) returned a state that is not hashable" in err
    assert "Traceback" not in out + err


# -- nondeterminism without a violation -----------------------------------------------------


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_an_action_reading_a_global_counter_is_nondeterministic(strategy: str) -> None:
    r = check(load_spec(PREDICATES), params={"global_counter": True}, **STRATEGIES[strategy])
    assert (r.status, r.exit_code) == ("error", 2), (r.status, r.error)
    error = r.details["exception"]
    assert isinstance(error, NondeterminismError)
    assert error.function == "action inc"
    assert r.error is not None and r.error.startswith(
        "action inc gives another result when it is executed again in the state reached "
        "after 0 steps: the spec is nondeterministic"), r.error


@pytest.mark.parametrize("strategy", sorted(CLI_FLAGS))
def test_the_cli_exits_2_on_a_nondeterministic_spec(invoke: Invoke, strategy: str) -> None:
    code, out, err = invoke("verify", PREDICATES, "--param", "global_counter=true",
                            *CLI_FLAGS[strategy])
    assert code == 2, out + err
    assert "action inc gives another result when it is executed again" in err


def test_a_walk_that_is_refused_names_the_usage() -> None:
    # The shrinker's own usage errors are not spec errors.
    with pytest.raises(UsageError, match="do not violate bounded"):
        shrink(model(), 0, [0, 0], Failure("bounded", "invariant"))


def test_json_error_names_the_function(invoke: Invoke) -> None:
    code, out, _ = invoke("verify", PREDICATES, "--param", "culprit=sometimes", "--json")
    assert code == 2
    data = json.loads(out)
    assert data["status"] == "error"
    assert data["error"] == message("sometimes", "int")


# -- on a Dask cluster ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    pytest.importorskip("distributed")
    from modelcheck.explore.distributed import local_cluster
    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_a_dask_cluster_judges_alike(scheduler: str) -> None:
    spec = load_spec(PREDICATES)
    for culprit in CULPRITS:
        r = check(spec, params={"culprit": culprit, "returns": "str"}, scheduler=scheduler)
        assert (r.status, r.error) == ("error", message(culprit, "str"))
        assert r.details["exception"].function == CULPRITS[culprit]
    for inits in (1, 2):
        r = check(spec, params={"unhashable": True, "inits": inits}, scheduler=scheduler)
        assert r.status == "error" and r.error is not None
        assert r.error.startswith(f"init(k={inits - 1}) returned a state that is not hashable")
    r = check(spec, scheduler=scheduler)
    assert r.status == "ok" and r.checked is not None
    assert [(c.name, c.outcome) for c in (*r.checked.properties, r.checked.deadlock)] == [
        ("bounded", "holds"), ("reaches_limit", "met"), ("counts_up", "holds"),
        ("deadlock", "holds")]
    r = check(spec, params={"global_counter": True}, scheduler=scheduler)
    assert r.status == "error" and isinstance(r.details["exception"], NondeterminismError)
    assert r.details["exception"].function == "action inc"
    assert r.error is not None and r.error.startswith(
        "action inc gives another result when it is executed again in the state reached "
        "after 0 steps: the spec is nondeterministic")


@pytest.mark.slow
def test_the_cli_with_a_local_cluster_exits_2_on_a_nondeterministic_spec(invoke: Invoke) -> None:
    pytest.importorskip("distributed")
    code, out, err = invoke("verify", PREDICATES, "--param", "global_counter=true",
                            "--scheduler", "local", "--workers", "2")
    assert code == 2, out + err
    assert "action inc gives another result when it is executed again" in err


# -- temporal predicates --------------------------------------------------------------------


_TEMPORAL = '''
from dataclasses import dataclass
from modelcheck import Record, Spec

@dataclass(frozen=True)
class Config:
    odd_at: int = 1

class State(Record):
    n: int

spec = Spec("eventually-odd", Config, State)

@spec.init
def init(cfg: Config) -> State:
    return State(0)

@spec.action(fairness="weak")
def inc(cfg: Config, s: State) -> State | None:
    return State(s.n + 1) if s.n < 2 else None

@spec.terminal
def done(cfg: Config, s: State) -> bool:
    return s.n == 2

@spec.eventually
def reaches_two(cfg: Config, s: State) -> bool:
    return 1 if s.n == cfg.odd_at else s.n == 2
'''


def test_a_misbehaving_temporal_predicate_is_a_spec_error(tmp_path: Path) -> None:
    path = tmp_path / "eventually_odd.py"
    path.write_text(_TEMPORAL, encoding="utf-8")
    r = check(load_spec(str(path)))
    assert r.status == "error"
    assert r.error == ("temporal property reaches_two (reaches_two) returned 1 (int) in the "
                       "state reached after 1 step, not a bool: a predicate must return True "
                       "or False")
    assert check(load_spec(str(path)), params={"odd_at": -1}).status == "ok"
