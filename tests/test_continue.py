"""``verify --continue`` / ``--max-violations N``: every violation, one shortest trace each;
and spec errors reported with the trace to the state they happened in, and the source line.

The flawed gossip (``--variant merge-overwrites``, 2 nodes: 47 states) violates an action
property and a liveness property; the misbehaving counter of ``tests/specs_bad`` an
invariant and the deadlock check in the same state.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import check, load_spec
from modelcheck.model import bind
from modelcheck.result import Result
from modelcheck.trace import Trace

if TYPE_CHECKING:
    from conftest import CliResult, Invoke

HERE = Path(__file__).resolve().parent
ASSERTS = str(HERE / "specs_bad" / "asserts.py")
GOSSIP = ("gossip", "merge-overwrites", {"nodes": 2})


def _gossip(**kwargs: Any) -> Result:
    spec, variant, params = GOSSIP
    return check(load_spec(spec), variant=variant, params=params, **kwargs)


@pytest.fixture(scope="module")
def every() -> Result:
    return _gossip(max_violations=None)


def _lengths(result: Result) -> list[tuple[str, str, int]]:
    return [(v.property, v.kind, v.trace.length if v.trace is not None else -1)
            for v in result.all_violations]


def test_continue_reports_each_violated_property_with_its_shortest_trace(every: Result) -> None:
    assert every.status == "violation" and every.exit_code == 1 and every.exhaustive
    assert _lengths(every) == [("versions_never_go_back", "action", 4),
                               ("every_node_learns_every_update", "liveness", 10)]
    assert every.violation == every.violations[0]
    assert every.checked is not None
    assert {c.name: c.outcome for c in every.checked.properties} == {
        "type_ok": "holds", "versions_never_go_back": "violated",
        "every_node_learns_every_update": "violated", "updates_meet": "met",
        "update_spread": "met"}
    data = json.loads(every.dumps())
    assert [v["property"] for v in data["violations"]] == [
        "versions_never_go_back", "every_node_learns_every_update"]
    assert data["violation"] == data["violations"][0]


def test_a_completed_search_counts_every_reachable_state(every: Result) -> None:
    spec, variant, params = GOSSIP
    model = bind(load_spec(spec), variant, params)
    bare = dataclasses.replace(model, invariants=(), action_properties=(), sometimes=(),
                               temporal=(), fairness=())
    plain = check(bare, deadlock=False)
    assert plain.status == "ok"
    assert every.stats.distinct_states == plain.stats.distinct_states == 47
    assert every.stats.generated_states == plain.stats.generated_states


def test_max_violations_1_is_the_default_search() -> None:
    def stable(r: Result) -> dict[str, Any]:
        data = r.to_json()
        data["stats"] = {k: v for k, v in data["stats"].items()
                         if k not in ("seconds", "states_per_second")}
        return data
    one, default = _gossip(max_violations=1), _gossip()
    assert stable(one) == stable(default)
    assert _lengths(default) == [("versions_never_go_back", "action", 4)]
    assert not default.exhaustive and default.violations == ()


def test_a_limit_after_a_violation_still_gives_the_violation() -> None:
    r = _gossip(max_violations=None, max_states=20)
    assert (r.status, r.exit_code, r.exhaustive) == ("violation", 1, False)
    assert (r.stopped or "").startswith("state limit of 20 distinct states reached")
    assert _lengths(r) == [("versions_never_go_back", "action", 4)]
    assert r.checked is not None
    assert {c.name: c.checked for c in r.checked.properties}[
        "every_node_learns_every_update"] is False


def test_max_violations_stops_the_search_at_n() -> None:
    r = _gossip(max_violations=2, temporal=False)
    assert _lengths(r) == [("versions_never_go_back", "action", 4)]  # the only safety one
    assert r.exhaustive and r.stopped is None
    r = check(load_spec(str(HERE / "specs_bad" / "counter.py")),
              params={"bound": 1, "stuck_at": 2}, max_violations=2, strategy="dfs")
    assert _lengths(r) == [("bounded", "invariant", 2), ("deadlock", "deadlock", 2)]


DEAD_ENDS = """
from dataclasses import dataclass
from modelcheck import Record, Spec

@dataclass(frozen=True)
class Config:
    pass

class State(Record):
    x: int
    y: int

spec = Spec("dead_ends", Config, State)

@spec.init
def init(cfg):
    return State(0, 0)

@spec.action(k=lambda cfg: (1, 2))
def step(cfg, s, k):
    return State(k, 0) if s == State(0, 0) else None

@spec.action
def other(cfg, s):
    return State(0, 5) if s == State(0, 0) else None

@spec.always
def small_y(cfg, s):
    return s.y < 5

@spec.always
def not_five(cfg, s):
    return s.x + s.y != 5

@spec.sometimes
def nine(cfg, s):
    return s.x == 9

@spec.eventually
def reaches_nine(cfg, s):
    return s.x == 9

@spec.always_possible
def can_reach_seven(cfg, s):
    return s.x == 7
"""
"""Three dead ends, two reached by ``step``; two invariants violated by the same state; a
goal never met; two temporal properties violated."""


@pytest.fixture(scope="module")
def dead_ends(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("continue") / "dead_ends.py"
    path.write_text(DEAD_ENDS, encoding="utf-8")
    return str(path)


def test_each_property_and_class_of_deadlock_is_reported_once(dead_ends: str) -> None:
    r = check(load_spec(dead_ends), max_violations=None)
    assert r.exhaustive and r.stats.distinct_states == 4
    assert [(v.property, v.kind, v.trace.length if v.trace else None)
            for v in r.violations] == [
        ("small_y", "invariant", 1), ("not_five", "invariant", 1),
        ("deadlock", "deadlock", 1), ("deadlock", "deadlock", 1),
        ("reaches_nine", "liveness", 0), ("can_reach_seven", "possibility", 0),
        ("nine", "sometimes", None)]
    assert [v.trace.steps[-1].action for v in r.violations[2:4] if v.trace] == ["step", "other"]
    assert r.checked is not None and r.checked.deadlock.outcome == "violated"
    assert {c.outcome for c in r.checked.properties} == {"violated"}


def test_a_search_stopped_by_max_violations_claims_nothing_more(dead_ends: str) -> None:
    r = check(load_spec(dead_ends), max_violations=2)
    assert [v.property for v in r.violations] == ["small_y", "not_five"]
    assert r.status == "violation" and not r.exhaustive
    assert r.stopped == "--max-violations 2 reached"
    assert r.checked is not None
    assert r.checked.deadlock.outcome == "no violation found"
    assert {c.name: c.outcome for c in r.checked.properties}["nine"] == "not concluded"


def test_the_command_line_lists_and_writes_every_violation(invoke: Invoke,
                                                           tmp_path: Path) -> None:
    out_file = tmp_path / "cex.itf.json"
    code, out, _ = invoke("verify", str(HERE / "specs_bad" / "counter.py"), "--param",
                          "bound=1", "--param", "stuck_at=2", "--continue", "-q",
                          "--trace-out", str(out_file))
    assert code == 1
    assert "✗ 2 violations" in out
    assert "✗ [1/2] invariant bounded is violated after 2 steps" in out
    assert "✗ [2/2] deadlock after 2 steps" in out
    assert f"traces written to {out_file}, {tmp_path / 'cex.2.itf.json'}" in out
    for name in ("cex.itf.json", "cex.2.itf.json"):
        assert len(json.loads((tmp_path / name).read_text())["states"]) == 3


_ONE_PROCESS = ("error: --continue and --max-violations go with a single-process --strategy "
                "bfs or dfs, without --workers, --scheduler, --checkpoint or --resume\n")


@pytest.mark.parametrize(("args", "refusal"), [
    (("--continue", "--workers", "2"), _ONE_PROCESS),
    (("--max-violations", "3", "--strategy", "random"), _ONE_PROCESS),
    (("--continue", "--max-violations", "2"),
     "error: --continue reports every violation and --max-violations N the first N; give "
     "one of them\n"),
    # click's own range check: the one case of this test that is about option parsing
    pytest.param(("--max-violations", "0"),
                 "Error: Invalid value for '--max-violations': 0 is not in the range x>=1.\n",
                 marks=pytest.mark.click_usage_error)],
    ids=["continue-workers", "max-violations-random", "continue-and-max", "max-violations-0"])
def test_unsupported_or_invalid_requests_are_refused(invoke: Invoke, args: tuple[str, ...],
                                                     refusal: str) -> None:
    code, out, err = invoke("verify", "transaction-commit", *args)
    assert code == 2 and out == "", out
    if refusal.startswith("error: "):  # modelcheck's refusal, after click took the options
        assert err == refusal, err
    else:
        assert err.startswith("Usage: ") and err.endswith(refusal), err


def test_an_assert_in_an_action_comes_with_the_trace_and_the_line(invoke: Invoke,
                                                                   tmp_path: Path) -> None:
    out_file = tmp_path / "error.json"
    code, out, _ = invoke("verify", ASSERTS, "--json", "--trace-out", str(out_file))
    data = json.loads(out)
    assert code == 2 and data["status"] == "error"
    site = data["error_site"]
    assert site["function"] == "action bump(by=1)" and site["step"] == 2
    assert site["source"].endswith("asserts.py:35")
    assert [s["action"] for s in site["trace"]["steps"]] == ["init", "bump", "bump"]
    assert Trace.load(out_file).to_json() == site["trace"]
    code, out, _ = invoke("verify", ASSERTS, "-q")
    assert code == 2
    assert "raised at " in out and "asserts.py:35" in out
    assert "trace to the state action bump(by=1) was given (2 steps):" in out


def test_a_raising_invariant_points_at_its_line() -> None:
    r = check(load_spec(str(HERE / "specs_bad" / "counter.py")),
              params={"property_raises_at": 2})
    assert r.status == "error" and r.error_site is not None
    assert r.error_site.function == "invariant bounded"
    assert (r.error_site.source or "").endswith("counter.py:77")
    assert r.error_site.trace is not None and r.error_site.trace.length == 2


def test_the_readme_examples_run_as_shown(cli_result: CliResult, readme: str,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "asserts.py").write_text(Path(ASSERTS).read_text(), encoding="utf-8")
    for heading, code in (("### Every violation: `--continue`", 1),
                          ("### Errors in spec code", 2)):
        section = re.search(re.escape(heading) + r".*?```sh\n\$ (modelcheck verify .*?)\n"
                            r"(.*?)```", readme, re.S)
        assert section is not None
        command, shown = section.group(1).split()[1:], section.group(2)
        result = cli_result(command)
        assert result.exit_code == code
        for block in shown.split("…\n"):  # each excerpt appears in the output as written
            assert block in result.output, block  # standard error interleaved
