"""The result says what was checked: every property with its kind and outcome, the deadlock
check and the fairness in force, for every strategy, in text and JSON; a passing run that
checked no property says so loudly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import check, load_spec
from modelcheck.result import Check, Checked

if TYPE_CHECKING:
    from conftest import Invoke


def rows(checked: Checked | None) -> list[tuple[str, str, bool, str, str]]:
    assert checked is not None
    return [(c.name, c.kind, c.checked, c.outcome, c.note)
            for c in (*checked.properties, checked.deadlock)]


HOLDS_3 = [("consistent", "invariant", True, "holds", ""),
           ("commit_final", "action property", True, "holds", ""),
           ("all_decide", "always possible", True, "holds", ""),
           ("all_committed", "sometimes", True, "met", ""),
           ("all_aborted", "sometimes", True, "met", ""),
           ("rm_aborts_alone", "sometimes", True, "met", ""),
           ("deadlock", "deadlock", True, "holds", "")]


def test_an_exhaustive_search_lists_every_property_it_checked(invoke: Invoke) -> None:
    r = check(load_spec("two-phase-commit"))
    assert rows(r.checked) == HOLDS_3
    assert r.checked is not None and r.checked.fairness == ()
    assert r.warnings == ()
    code, out, _ = invoke("verify", "two-phase-commit", "-q")
    assert code == 0
    assert out.splitlines()[-3:-1] == [
        "checked: consistent (invariant), commit_final (action property), all_decide "
        "(always possible), deadlock freedom: holds; all_committed, all_aborted, "
        "rm_aborts_alone (sometimes): met",
        "fairness: none"]


def test_skipped_and_bounded_temporal_properties_say_why(invoke: Invoke) -> None:
    spec = load_spec("two-phase-commit")
    skipped = check(spec, temporal=False)
    assert rows(skipped.checked)[2] == ("all_decide", "always possible", False, "skipped",
                                        "--no-temporal")
    bounded = check(spec, max_depth=4)
    assert bounded.status == "ok" and not bounded.exhaustive
    assert rows(bounded.checked) == [
        ("consistent", "invariant", True, "no violation found", "depth limit of 4 reached"),
        ("commit_final", "action property", True, "no violation found",
         "depth limit of 4 reached"),
        ("all_decide", "always possible", False, "not checked",
         "it needs the whole state graph; depth limit of 4 reached"),
        ("all_committed", "sometimes", True, "not concluded", "depth limit of 4 reached"),
        ("all_aborted", "sometimes", True, "met", ""),
        ("rm_aborts_alone", "sometimes", True, "met", ""),
        ("deadlock", "deadlock", True, "no violation found", "depth limit of 4 reached")]
    stopped = check(spec, max_states=10)
    assert stopped.status == "incomplete"
    assert rows(stopped.checked)[2] == (
        "all_decide", "always possible", False, "not checked",
        "it needs the whole state graph; the search stopped: state limit of 10 distinct "
        "states reached")
    code, out, _ = invoke("verify", "two-phase-commit", "--no-temporal", "--no-deadlock", "-q")
    assert code == 0
    assert "not checked: all_decide (always possible): skipped by --no-temporal; deadlock " \
           "freedom: skipped by --no-deadlock" in out


@pytest.mark.parametrize("kwargs", [{"strategy": "dfs"}, {"workers": 2}])
def test_every_exhaustive_strategy_lists_the_same(kwargs: dict[str, Any]) -> None:
    r = check(load_spec("two-phase-commit"), temporal=False, **kwargs)
    want = list(HOLDS_3)
    want[2] = ("all_decide", "always possible", False, "skipped", "--no-temporal")
    assert rows(r.checked) == want


def test_random_walks_conclude_nothing_about_temporal_properties() -> None:
    r = check(load_spec("two-phase-commit"), strategy="random", temporal=False, seed=3,
              runs=50)
    assert r.status == "ok"
    note = "50 random walks of up to 100 states"
    assert rows(r.checked) == [
        ("consistent", "invariant", True, "no violation found", note),
        ("commit_final", "action property", True, "no violation found", note),
        ("all_decide", "always possible", False, "not checked",
         "random walks cannot check temporal properties"),
        # Committing every RM takes many steps in a row that random walks rarely take.
        ("all_committed", "sometimes", True, "not concluded", note),
        ("all_aborted", "sometimes", True, "met", ""),
        ("rm_aborts_alone", "sometimes", True, "met", ""),
        ("deadlock", "deadlock", True, "no violation found", note)]


def test_a_violation_says_what_was_left_unchecked() -> None:
    r = check(load_spec("two-phase-commit"), variant="tm-commits-early")
    first = "the search stopped at the first violation"
    assert rows(r.checked) == [
        ("consistent", "invariant", True, "violated", ""),
        ("commit_final", "action property", True, "no violation found", first),
        ("all_decide", "always possible", False, "not checked", first),
        ("all_committed", "sometimes", True, "not concluded", first),
        ("all_aborted", "sometimes", True, "met", ""),
        ("rm_aborts_alone", "sometimes", True, "met", ""),
        ("deadlock", "deadlock", True, "no violation found", first)]
    liveness = check(load_spec("ewd840"), variant="pass-keeps-color")
    assert liveness.violation is not None and liveness.violation.kind == "liveness"
    assert rows(liveness.checked) == [
        ("termination_detection", "invariant", True, "holds", ""),
        ("dijkstra_invariant", "invariant", True, "holds", ""),
        ("td_init", "initially", True, "holds", ""),
        ("refines_td", "action property", True, "holds", ""),
        ("termination_eventually_detected", "leads to", True, "violated", ""),
        ("detected", "sometimes", True, "met", ""),
        ("detectable", "always possible", False, "not checked", first),
        ("reactivated_behind_probe", "sometimes", True, "met", ""),
        ("spoiled_round_ends", "leads to", False, "not checked", first),
        ("deadlock", "deadlock", True, "holds", "")]


def test_the_fairness_in_force_is_listed(invoke: Invoke) -> None:
    r = check(load_spec("ewd840"))
    assert r.checked is not None and r.checked.fairness == ("system (weak)",)
    dropped = check(load_spec("ewd840"), fairness={"system": None})
    assert dropped.checked is not None and dropped.checked.fairness == ()
    code, out, _ = invoke("verify", "ewd840", "--fairness", "system=strong", "-q")
    assert code == 0
    assert out.splitlines()[-2] == "fairness: system (strong)", out


def test_json_keeps_its_fields_and_adds_what_was_checked(invoke: Invoke) -> None:
    code, out, _ = invoke("verify", "two-phase-commit", "--json", "--no-temporal")
    assert code == 0
    data = json.loads(out)
    assert {"spec", "variant", "params", "strategy", "symmetry", "status", "exhaustive",
            "violation", "stats", "error", "stopped", "seed", "coverage"} < set(data)
    assert data["warnings"] == []
    assert data["checked"] == {
        "properties": [
            {"name": "consistent", "kind": "invariant", "checked": True, "outcome": "holds",
             "note": ""},
            {"name": "commit_final", "kind": "action property", "checked": True,
             "outcome": "holds", "note": ""},
            {"name": "all_decide", "kind": "always possible", "checked": False,
             "outcome": "skipped", "note": "--no-temporal"},
            {"name": "all_committed", "kind": "sometimes", "checked": True, "outcome": "met",
             "note": ""},
            {"name": "all_aborted", "kind": "sometimes", "checked": True, "outcome": "met",
             "note": ""},
            {"name": "rm_aborts_alone", "kind": "sometimes", "checked": True,
             "outcome": "met", "note": ""}],
        "deadlock": {"name": "deadlock", "kind": "deadlock", "checked": True,
                     "outcome": "holds", "note": ""},
        "fairness": [], "constraints": [], "nothing_checked": False, "chosen": None}


_NO_PROPERTIES = '''
from dataclasses import dataclass
from modelcheck import Record, Spec

@dataclass(frozen=True)
class Config:
    top: int = 2
    start: int = 0

class State(Record):
    n: int

spec = Spec("bare", Config, State)

@spec.init
def init(cfg: Config) -> State | None:
    return State(cfg.start) if cfg.start >= 0 else None

@spec.action(fairness="weak")
def step(cfg: Config, s: State) -> State | None:
    return State(s.n + 1) if s.n < cfg.top else None

@spec.terminal
def done(cfg: Config, s: State) -> bool:
    return s.n == cfg.top
'''

_ONLY_TEMPORAL = _NO_PROPERTIES.replace('spec = Spec("bare"', 'spec = Spec("only-temporal"') + '''
@spec.eventually
def reaches_top(cfg: Config, s: State) -> bool:
    return s.n == cfg.top
'''


def _spec_file(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("flags", [[], ["--strategy", "dfs"], ["--workers", "2"],
                                   ["--strategy", "random", "--seed", "1", "--runs", "5"]])
def test_a_passing_run_that_checked_no_property_says_so(invoke: Invoke, tmp_path: Path,
                                                        flags: list[str]) -> None:
    bare = _spec_file(tmp_path, "bare.py", _NO_PROPERTIES)
    code, out, _ = invoke("verify", bare, "-q", *flags)
    assert code == 0
    assert out.splitlines()[2] == ("⚠ warning: no property was checked: the spec declares "
                                   "none; only deadlocks were looked for"), out
    code, out, _ = invoke("verify", bare, "--json", "--no-deadlock", *flags)
    data = json.loads(out)
    assert data["checked"]["nothing_checked"] is True
    assert data["warnings"] == ["no property was checked: the spec declares none"]


def test_skipping_every_property_is_no_silent_pass(invoke: Invoke, tmp_path: Path) -> None:
    only = _spec_file(tmp_path, "only.py", _ONLY_TEMPORAL)
    code, out, _ = invoke("verify", only, "-q")
    assert code == 0 and "warning" not in out
    code, out, _ = invoke("verify", only, "-q", "--no-temporal")
    assert code == 0
    assert "⚠ warning: no property was checked: its temporal properties were skipped by " \
           "--no-temporal; only deadlocks were looked for" in out
    code, out, _ = invoke("verify", only, "-q", "--max-depth", "2")
    assert code == 0
    assert "⚠ warning: no property was checked: a bound cut the search short before its " \
           "temporal properties were checked" in out
    code, out, _ = invoke("simulate", only, "--seed", "1", "--runs", "3")
    assert code == 0
    assert "⚠ warning: no property was checked: random walks cannot check its temporal " \
           "properties" in out


def test_a_model_without_initial_states_warns(invoke: Invoke, tmp_path: Path) -> None:
    bare = _spec_file(tmp_path, "bare.py", _NO_PROPERTIES)
    code, out, _ = invoke("verify", bare, "--param", "start=-1", "--json")
    assert code == 0
    assert json.loads(out)["warnings"][-1] == ("the model has no initial state: nothing was "
                                               "explored")


def test_check_and_checked_round_trip_as_json() -> None:
    c = Checked((Check("p", "invariant", True, "holds"),),
                Check("deadlock", "deadlock", False, "skipped", "--no-deadlock"), ("a (weak)",))
    assert c.to_json() == {
        "properties": [{"name": "p", "kind": "invariant", "checked": True,
                        "outcome": "holds", "note": ""}],
        "deadlock": {"name": "deadlock", "kind": "deadlock", "checked": False,
                     "outcome": "skipped", "note": "--no-deadlock"},
        "fairness": ["a (weak)"], "constraints": [], "nothing_checked": False, "chosen": None}
