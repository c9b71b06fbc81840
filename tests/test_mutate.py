"""``modelcheck mutate``: the mutants of a spec's steps, and what its properties make of them.

The spec below is small enough to know every mutant's fate by hand: ``majority`` (the
strong property) and ``some_votes`` (a weak one) are checked against the same steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Spec, SpecDefinitionError, check, mutate
from modelcheck.catalogue import load
from modelcheck.equivalence import reference
from modelcheck.errors import ModelcheckError
from modelcheck.fingerprint import fingerprint
from modelcheck.model import Model, bind
from modelcheck.mutate import Settings, load_mutant, mutants_of, run, select
from modelcheck.statespace import reachable_graph

if TYPE_CHECKING:
    from conftest import Invoke

QUORUM = '''"""Nodes vote; once a majority has voted, the highest voter leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec


@dataclass(frozen=True)
class Config:
    n: Annotated[int, Between(1)] = 3


class State(Record):
    votes: frozenset[int]
    leader: int
    clock: int


spec = Spec("quorum", Config, State)


@spec.init
def init(cfg: Config) -> State:
    return State(frozenset(), -1, 0)


@spec.action(node=lambda cfg: range(cfg.n))
def vote(cfg: Config, s: State, node: int) -> State | None:
    if node in s.votes:
        return None
    if s.clock > 9:
        return None
    return s.replace(votes=s.votes | {node})


@spec.action
def elect(cfg: Config, s: State) -> State | None:
    if s.leader >= 0:
        return None
    if len(s.votes) <= cfg.n // 2:
        return None
    return s.replace(leader=max(s.votes))


@spec.action
def tick(cfg: Config, s: State) -> State | None:
    if s.clock >= 2:
        return None
    return s.replace(clock=s.clock + 1)


@spec.always
def PROPERTY(cfg: Config, s: State) -> bool:
    return s.leader < 0 or BODY
'''

@dataclass(frozen=True)
class _NoConstants:
    """A config without fields."""


STRONG = ("majority", "len(s.votes) > cfg.n // 2")
WEAK = ("some_votes", "len(s.votes) > 0")

QUORUM_MUTANTS = [
    ("init:field-constant:1", "`State.leader` = 0 instead of `-1`"),
    ("init:off-by-one:1", "-1 -> -2 in `State(frozenset(), -1, 0)`"),
    ("init:off-by-one:2", "0 -> 1 in `State(frozenset(), -1, 0)`"),
    ("init:off-by-one:3", "0 -> -1 in `State(frozenset(), -1, 0)`"),
    ("vote:drop-guard:1", "drop the guard `if node in s.votes: return None`"),
    ("vote:drop-guard:2", "drop the guard `if s.clock > 9: return None`"),
    ("vote:flip-comparison:1", "`s.clock > 9` -> `s.clock >= 9`"),
    ("vote:off-by-one:1", "9 -> 10 in `s.clock > 9`"),
    ("vote:off-by-one:2", "9 -> 8 in `s.clock > 9`"),
    ("vote:drop-update:1", "drop the update `votes=s.votes | {node}`"),
    ("elect:drop-guard:1", "drop the guard `if s.leader >= 0: return None`"),
    ("elect:flip-comparison:1", "`s.leader >= 0` -> `s.leader > 0`"),
    ("elect:off-by-one:1", "0 -> 1 in `s.leader >= 0`"),
    ("elect:off-by-one:2", "0 -> -1 in `s.leader >= 0`"),
    ("elect:drop-guard:2", "drop the guard `if len(s.votes) <= cfg.n // 2: return None`"),
    ("elect:flip-comparison:2", "`len(s.votes) <= cfg.n // 2` -> `len(s.votes) < cfg.n // 2`"),
    ("elect:off-by-one:3", "`cfg.n // 2` -> `cfg.n // 2 + 1`"),
    ("elect:off-by-one:4", "`cfg.n // 2` -> `cfg.n // 2 - 1`"),
    ("elect:off-by-one:5", "2 -> 3 in `cfg.n // 2`"),
    ("elect:off-by-one:6", "2 -> 1 in `cfg.n // 2`"),
    ("elect:drop-update:1", "drop the update `leader=max(s.votes)`"),
    ("elect:max-min:1", "`max` -> `min` in `max(s.votes)`"),
    ("tick:drop-guard:1", "drop the guard `if s.clock >= 2: return None`"),
    ("tick:flip-comparison:1", "`s.clock >= 2` -> `s.clock > 2`"),
    ("tick:off-by-one:1", "2 -> 3 in `s.clock >= 2`"),
    ("tick:off-by-one:2", "2 -> 1 in `s.clock >= 2`"),
    ("tick:drop-update:1", "drop the update `clock=s.clock + 1`"),
    ("tick:off-by-one:3", "`s.clock + 1` -> `s.clock`"),
    ("tick:off-by-one:4", "1 -> 2 in `s.clock + 1`"),
    ("tick:off-by-one:5", "1 -> 0 in `s.clock + 1`"),
]


def _quorum(tmp_path: Path, prop: tuple[str, str] = STRONG) -> Path:
    path = tmp_path / f"quorum_{prop[0]}.py"
    path.write_text(QUORUM.replace("PROPERTY", prop[0]).replace("BODY", prop[1]))
    return path


def _outcome(path: Path, mutant: str, **settings: Any) -> tuple[str, str | None, int | None,
                                                                   str]:
    options: dict[str, Any] = {"deadlock": False, "timeout": 20.0, **settings}
    report = run(load(str(path)), Settings(**options), only=[mutant])
    (o,) = report.outcomes
    return o.status, o.killed_by, o.trace_length, o.detail


def test_the_mutants_of_the_steps_are_pinned(tmp_path: Path) -> None:
    mutants = mutants_of(load(str(_quorum(tmp_path))))
    assert [(m.id, m.description) for m in mutants] == QUORUM_MUTANTS
    assert [m.number for m in mutants] == list(range(1, 31))
    assert {m.function for m in mutants} == {"init", "vote", "elect", "tick"}  # not majority


def test_a_mutant_is_its_own_module_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = _quorum(tmp_path)
    before = path.read_text()
    spec = load(str(path))
    (m,) = select(mutants_of(spec), ["elect:off-by-one:4"])
    mutated = load_mutant(spec, m)
    assert mutated is not spec and mutated.name == "quorum"
    assert path.read_text() == before
    assert load(str(path)) is spec  # the original module is back in place


def test_a_weak_property_lets_the_quorum_off_by_one_survive_and_a_strong_one_kills_it(
        tmp_path: Path) -> None:
    assert _outcome(_quorum(tmp_path, WEAK), "elect:off-by-one:4")[0] == "survived"
    assert _outcome(_quorum(tmp_path), "elect:off-by-one:4") == (
        "killed", "majority", 2, "invariant majority is violated after 2 steps")


HELPER_QUORUM = QUORUM.replace('''    if len(s.votes) <= cfg.n // 2:
        return None''', '''    if not _majority(cfg, s.votes):
        return None''').replace('''spec = Spec("quorum", Config, State)
''', '''spec = Spec("quorum", Config, State)


def _majority(cfg: Config, votes: frozenset[int]) -> bool:
    return len(votes) > cfg.n // 2


def _unused(cfg: Config) -> int:
    return 1


def _nodes(cfg: Config) -> range:
    return range(cfg.n)
''').replace("@spec.action(node=lambda cfg: range(cfg.n))", "@spec.action(node=_nodes)")


def test_helpers_the_steps_call_are_mutated_on_demand(tmp_path: Path, invoke: Invoke) -> None:
    # The quorum rule moved into a helper: the steps' mutants leave it alone, --helpers
    # mutates it (not a helper nothing calls, nor a parameter domain), and the strong
    # property kills its off-by-one.
    path = tmp_path / "helper_quorum.py"
    path.write_text(HELPER_QUORUM.replace("PROPERTY", STRONG[0]).replace("BODY", STRONG[1]))
    spec = load(str(path))
    steps = mutants_of(spec)
    assert {m.function for m in steps} == {"init", "vote", "elect", "tick"}
    both = mutants_of(spec, helpers=True)
    assert [m.id for m in both if m.function not in {"init", "vote", "elect", "tick"}] == [
        "_majority:flip-comparison:1", "_majority:off-by-one:1", "_majority:off-by-one:2",
        "_majority:off-by-one:3", "_majority:off-by-one:4"]
    assert [m.id for m in both if m.id in {x.id for x in steps}] == [m.id for m in steps]
    assert _outcome(path, "_majority:off-by-one:2", helpers=True) == (
        "killed", "majority", 2, "invariant majority is violated after 2 steps")
    with pytest.raises(ModelcheckError, match="no mutant '_majority:off-by-one:2'"):
        _outcome(path, "_majority:off-by-one:2")
    code, out, _ = invoke("mutate", path, "--helpers", "--no-deadlock", "--show",
                          "_majority:off-by-one:2")
    assert code == 0 and "_majority:off-by-one:2" in out and "killed" in out


def test_a_mutant_that_changes_nothing_reachable_is_equivalent(tmp_path: Path) -> None:
    # The clock never passes 2: vote's guard on it is dead code, and 3 // 3 == 3 // 2.
    path = _quorum(tmp_path)
    for mutant in ("vote:drop-guard:2", "vote:flip-comparison:1", "elect:off-by-one:5"):
        assert _outcome(path, mutant)[0] == "equivalent", mutant
    # More clock values are reachable: survived, not equivalent.
    assert _outcome(path, "tick:off-by-one:1")[0] == "survived"
    # With a depth bound the graphs are not compared.
    assert _outcome(path, "vote:drop-guard:2", max_depth=20)[0] == "survived"


def test_a_mutant_that_raises_is_an_error_and_counts_as_caught(tmp_path: Path) -> None:
    # Without the quorum guard, elect takes max() of no votes in the initial state.
    status, _, _, detail = _outcome(_quorum(tmp_path, WEAK), "elect:drop-guard:2")
    assert status == "error"
    assert "elect" in detail and "ValueError" in detail


def _same_graph(original: Model, mutant: Model) -> bool:
    """Whether the two models' reachable graphs are equal, searched and compared whole (at
    most 500 states: a mutant that lifts a bound differs)."""
    def graph(model: Model) -> tuple[Any, ...]:
        space = reachable_graph(model, limit=500)
        fps = [fingerprint(s) for s in space.states]
        return (sorted(fps[i] for i in space.initial), sorted(fps),
                sorted((fps[a], k, fps[b]) for a, b, k in space.edges))
    try:
        return graph(original) == graph(mutant)
    except ModelcheckError:
        return False  # a step raised, or the mutant's graph is larger


@pytest.mark.parametrize("prop", [STRONG, WEAK])
def test_the_screen_tells_equivalence_as_searching_and_comparing_whole_graphs_does(
        tmp_path: Path, prop: tuple[str, str]) -> None:
    spec = load(str(_quorum(tmp_path, prop)))
    ref = reference(spec, bind(spec))
    assert ref is not None and len(ref.states) == 39
    told = {m.id: ref.equivalent(m) for m in mutants_of(spec)}
    assert told == {m.id: _same_graph(bind(spec), bind(load_mutant(spec, m)))
                    for m in mutants_of(spec)}
    # A leader is the highest of a majority, never node 0; the clock never passes 2.
    assert sorted(k for k, v in told.items() if v) == [
        "elect:flip-comparison:1", "elect:off-by-one:1", "elect:off-by-one:5",
        "vote:drop-guard:2", "vote:flip-comparison:1", "vote:off-by-one:1",
        "vote:off-by-one:2"]
    # Each step's code went back: the original still passes, with its own counts.
    result = check(spec, deadlock=False)
    assert (result.status, result.stats.distinct_states) == ("ok", 39)
    # Out of time: not told.
    (m,) = select(mutants_of(spec), ["vote:drop-guard:2"])
    assert ref.equivalent(m, deadline=0.0) is None


def test_a_step_that_a_property_calls_is_not_screened_but_still_compared(
        tmp_path: Path) -> None:
    path = tmp_path / "calls_tick.py"
    path.write_text(QUORUM.replace("PROPERTY", "majority").replace(
        "BODY", STRONG[1] + " or tick(cfg, s) is None"))
    spec = load(str(path))
    ref = reference(spec, bind(spec))
    assert ref is not None and ref.named_outside == {"tick"}
    (m,) = select(mutants_of(spec), ["tick:off-by-one:1"])
    assert ref.equivalent(m) is None
    # The search and the whole graphs decide instead.
    assert _outcome(path, "tick:off-by-one:1")[0] == "survived"
    assert _outcome(path, "vote:drop-guard:2")[0] == "equivalent"


def test_a_module_whose_step_is_wrapped_is_not_screened(tmp_path: Path) -> None:
    # A cache could answer for the step without running its code: no reference, and the
    # mutants are searched and compared whole instead.
    path = tmp_path / "cached_tick.py"
    path.write_text(QUORUM.replace("PROPERTY", "majority").replace("BODY", STRONG[1]).replace(
        "@spec.action\ndef tick(", "@spec.action\n@cache\ndef tick(").replace(
        "from typing import Annotated",
        "from functools import cache\nfrom typing import Annotated"))
    spec = load(str(path))
    assert reference(spec, bind(spec)) is None
    assert _outcome(path, "tick:off-by-one:1")[0] == "survived"
    assert _outcome(path, "vote:drop-guard:2")[0] == "equivalent"


@pytest.mark.slow
def test_a_mutant_whose_search_does_not_end_times_out(tmp_path: Path) -> None:
    status, _, _, _ = _outcome(_quorum(tmp_path), "tick:drop-guard:1", timeout=0.5)
    assert status == "timeout"


@pytest.mark.slow
def test_a_step_that_never_returns_is_killed_at_its_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "spin.py"
    path.write_text(QUORUM.replace("PROPERTY", "majority").replace("BODY", STRONG[1]).replace(
        "    return s.replace(clock=s.clock + 1)",
        "    n = 0\n    while n < s.clock:\n        n += 1\n    return s.replace(clock=n + 1)"))
    (m,) = [m for m in mutants_of(load(str(path)))
            if m.function == "tick" and m.description == "1 -> 0 in `n += 1`"]
    report = run(load(str(path)), Settings(deadlock=False, timeout=0.5), only=[m.id])
    (o,) = report.outcomes
    assert o.status == "timeout" and o.detail.startswith("killed after")


@pytest.mark.slow
def test_the_table_and_the_exit_code(tmp_path: Path, invoke: Invoke) -> None:
    code, out, _ = invoke("mutate", _quorum(tmp_path), "--no-deadlock", "--timeout", "1",
                          "--jobs", "2")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "quorum: 30 mutants checked at 39 states of the original, 1 s each at most"
    assert lines[-3:] == [
        "killed 4 (1 by a spec error), survived 18, equivalent 7, timed out 1",
        "mutation score: 4/23 = 0.174",
        f"see a survivor's change: modelcheck mutate {_quorum(tmp_path)} --show 2"]
    row = next(line for line in lines if line.startswith("18 "))
    assert row.split()[1:5] == ["elect:off-by-one:4", "killed", "majority", "(2"]


def test_json(tmp_path: Path, invoke: Invoke) -> None:
    code, out, _ = invoke("mutate", _quorum(tmp_path), "--no-deadlock", "--json",
                          "--show", "18", "--show", "vote:drop-guard:2", "--show", "15")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"spec", "variant", "params", "original", "counts", "score",
                         "equivalence_checked", "stale_acceptances", "mutants", "timeout",
                         "seconds", "exit_code"}
    assert data["original"]["status"] == "ok" and data["original"]["distinct_states"] == 39
    assert data["counts"] == {"mutants": 3, "killed": 1, "error": 1, "survived": 0,
                              "equivalent": 1, "accepted": 0, "timeout": 0}
    assert data["score"] == 1.0 and data["exit_code"] == 0
    assert data["timeout"] == 60.0  # the least default: the original takes milliseconds
    m = data["mutants"][0]
    assert set(m) == {"number", "id", "function", "operator", "line", "description", "diff",
                      "status", "property", "kind", "trace_length", "distinct_states",
                      "seconds", "detail", "checked"}
    assert (m["number"], m["id"], m["operator"], m["status"], m["property"], m["kind"],
            m["trace_length"]) == (18, "elect:off-by-one:4", "off-by-one", "killed",
                                   "majority", "invariant", 2)
    assert [x["status"] for x in data["mutants"]] == ["killed", "equivalent", "error"]


def test_show_prints_the_change_as_a_diff(tmp_path: Path, invoke: Invoke) -> None:
    code, out, _ = invoke("mutate", _quorum(tmp_path, WEAK), "--no-deadlock", "--show", "18")
    assert code == 1
    name = f"quorum_{WEAK[0]}.py"
    assert out.split("\n\n", 2)[2] == (
        "mutant 18 (elect:off-by-one:4), line 43: survived\n"
        f"--- a/{name}\n"
        f"+++ b/{name}\n"
        "@@ -41,5 +41,5 @@\n"
        "     if s.leader >= 0:\n"
        "         return None\n"
        "-    if len(s.votes) <= cfg.n // 2:\n"
        "+    if len(s.votes) <= (cfg.n // 2 - 1):\n"
        "         return None\n"
        "     return s.replace(leader=max(s.votes))\n")


def test_the_default_time_limit_grows_with_the_originals_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mutate, "TIMEOUT", 0.0)
    monkeypatch.setattr(mutate, "TIMES_ORIGINAL", 1e6)
    report = run(load(str(_quorum(tmp_path))), Settings(deadlock=False),
                 only=["elect:off-by-one:4"])
    assert report.timeout == round(1e6 * report.original.stats.seconds, 1) > 0
    assert [o.status for o in report.outcomes] == ["killed"]


def test_usage_errors_exit_2(tmp_path: Path, invoke: Invoke) -> None:
    code, _, err = invoke("mutate", "no-such-spec")
    assert code == 2 and err.startswith("error: unknown spec 'no-such-spec'; give a "
                                        "catalogue name"), err
    code, _, err = invoke("mutate", _quorum(tmp_path), "--param", "n=0")
    assert (code, err) == (2, "error: spec 'quorum': parameter n='0' is out of range; valid "
                              "values: >= 1\n")
    code, _, err = invoke("mutate", _quorum(tmp_path), "--param", "m=1")
    assert (code, err) == (2, "error: spec 'quorum' has no parameter 'm'; valid parameters: "
                              "n\n")
    code, _, err = invoke("mutate", _quorum(tmp_path), "--no-deadlock", "--show", "31")
    assert code == 2 and "no mutant '31': there are 30" in err


def test_a_spec_that_fails_itself_is_not_mutated(tmp_path: Path, invoke: Invoke) -> None:
    path = tmp_path / "failing.py"
    path.write_text(QUORUM.replace("PROPERTY", "never").replace("BODY", "False"))
    code, out, err = invoke("mutate", path, "--no-deadlock")
    assert code == 1
    assert "never" in out
    assert "the spec itself does not pass at this configuration (violation)" in err
    # Deadlocks count too: the quorum spec stops once everyone voted and the clock ran out.
    assert invoke("mutate", _quorum(tmp_path))[0] == 1


def test_an_accepted_survivor_leaves_the_score_and_a_stale_acceptance_is_reported(
        tmp_path: Path, invoke: Invoke) -> None:
    path = _quorum(tmp_path, WEAK)
    path.write_text(path.read_text() + '''
spec.accept_mutant("elect:off-by-one:4", "a reason given in the spec")
spec.accept_mutant("elect:off-by-one:5", "this mutant is equivalent: stale")
spec.accept_mutant("nothing:drop-guard:1", "no such mutant: stale")
''')
    code, out, _ = invoke("mutate", path, "--no-deadlock", "--json",
                          "--show", "elect:off-by-one:4", "--show", "elect:off-by-one:5")
    data = json.loads(out)
    assert [(m["status"], m["detail"]) for m in data["mutants"]] == [
        ("accepted", "a reason given in the spec"),
        ("equivalent", "the same reachable state graph as the original")]
    assert data["counts"]["accepted"] == 1 and data["score"] is None and code == 0
    assert data["stale_acceptances"] == ["elect:off-by-one:5", "nothing:drop-guard:1"]
    code, out, _ = invoke("mutate", path, "--no-deadlock", "--show", "elect:off-by-one:4")
    assert "accepted 1, " in out and "stale accept_mutant declarations" in out


def test_accepted_mutants_are_left_unchecked_unless_asked_for(tmp_path: Path,
                                                              invoke: Invoke) -> None:
    path = _quorum(tmp_path, WEAK)
    path.write_text(path.read_text() + '''
spec.accept_mutant("elect:off-by-one:4", "a reason given in the spec")
spec.accept_mutant("elect:off-by-one:5", "this mutant is equivalent: stale")
spec.accept_mutant("init:field-constant:1", "this mutant is killed: stale")
''')
    ids = ("elect:off-by-one:4", "elect:off-by-one:5", "init:field-constant:1")
    code, out, _ = invoke("mutate", path, "--no-deadlock", "--json", "--timeout", "3")
    data = json.loads(out)
    assert code == 1  # the weak property lets mutants survive
    by_id = {m["id"]: m for m in data["mutants"]}
    # Not run: accepted with the spec's reason, and no acceptance is known to be stale.
    assert [(by_id[i]["status"], by_id[i]["checked"], by_id[i]["seconds"]) for i in ids] == [
        ("accepted", False, 0.0)] * 3
    assert by_id["init:field-constant:1"]["detail"] == "this mutant is killed: stale"
    assert data["counts"]["accepted"] == 3 and data["stale_acceptances"] == []
    assert all(m["checked"] for m in data["mutants"] if m["id"] not in ids)
    unchecked = data
    code, out, _ = invoke("mutate", path, "--no-deadlock", "--json", "--timeout", "3",
                          "--check-accepted")
    data = json.loads(out)
    assert code == 1
    by_id = {m["id"]: m for m in data["mutants"]}
    assert [(by_id[i]["status"], by_id[i]["checked"]) for i in ids] == [
        ("accepted", True), ("equivalent", True), ("killed", True)]
    assert data["stale_acceptances"] == ["elect:off-by-one:5", "init:field-constant:1"]
    # Every other mutant fares the same either way.
    assert [(m["id"], m["status"]) for m in data["mutants"] if m["id"] not in ids] == [
        (m["id"], m["status"]) for m in unchecked["mutants"] if m["id"] not in ids]
    code, out, _ = invoke("mutate", path, "--no-deadlock", "--timeout", "3")
    assert code == 1 and "accepted 3 (3 not checked: --check-accepted checks them), " in out


@pytest.mark.parametrize(("mutant", "why"), [
    ("elect", "r"), ("elect:off-by-one", "r"), ("a:b:c", "r"), ("a:b:1", " "),
    ("a:b:1", None)])
def test_accept_mutant_needs_an_id_and_a_reason(mutant: str, why: Any) -> None:
    spec = Spec("s", _NoConstants)
    with pytest.raises(SpecDefinitionError, match="accept_mutant"):
        spec.accept_mutant(mutant, why)


@pytest.mark.slow
def test_two_phase_commit_at_its_default_bounds(invoke: Invoke) -> None:
    code, out, _ = invoke("mutate", "two-phase-commit", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"mutants": 29, "killed": 26, "error": 0, "survived": 0,
                              "equivalent": 2, "accepted": 1, "timeout": 0}
    assert data["score"] == 1.0 and data["stale_acceptances"] == []
    assert [m["id"] for m in data["mutants"] if m["status"] == "accepted"] == [
        "tm_rcv_prepared:drop-guard:1"]
    # The survivors before commit_final and rm_aborts_alone: an RM that prepares again
    # after deciding, and one whose own abort changes nothing.
    by = {m["id"]: m["property"] for m in data["mutants"]}
    assert [by[k] for k in ("rm_prepare:drop-guard:1", "rm_prepare:flip-comparison:1",
                            "rm_choose_to_abort:drop-update:1")] == [
        "commit_final", "commit_final", "rm_aborts_alone"]
    # The bug of the shipped variant tm-commits-early, planted as a mutant, is killed.
    early = next(m for m in data["mutants"] if m["id"] == "tm_commit:drop-conjunct:1")
    assert early["status"] == "killed"
