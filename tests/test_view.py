"""Views (``@spec.view``, TLA+'s VIEW): states with the same view are one state to every
explorer, so a history field no longer multiplies the states; properties, deadlocks and
traces stay on real states."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Record, Spec, bind, check, load_spec, replay
from modelcheck.errors import UsageError
from modelcheck.result import Result

if TYPE_CHECKING:
    from conftest import CliResult

SPECS = Path(__file__).resolve().parent / "specs_view"
PETERSON = str(SPECS / "history.py")
COMMIT = str(SPECS / "commit_history.py")

EXPLORERS = [{"strategy": "bfs"}, {"strategy": "dfs"}, {"workers": 2}]


def counts(r: Result) -> tuple[str, int, int]:
    return r.status, r.stats.distinct_states, r.stats.generated_states


@pytest.mark.parametrize("how", EXPLORERS)
def test_the_view_gives_the_counts_without_the_history(how: dict[str, Any]) -> None:
    spec = load_spec(PETERSON)
    plain = check(spec, params={"history": False}, view=False, **how)
    viewed = check(spec, max_states=1000, **how)  # a view ignored: incomplete, not endless
    assert counts(viewed) == counts(plain) == ("ok", 20, 35)
    assert viewed.exhaustive and viewed.view == "without_history" and plain.view is None


def test_without_the_view_the_history_makes_the_states_infinite() -> None:
    r = check(load_spec(PETERSON), view=False, max_states=500)
    assert (r.status, r.stats.distinct_states) == ("incomplete", 500)


@pytest.mark.parametrize("how", EXPLORERS)
def test_a_bug_is_found_through_the_view_with_a_real_trace(how: dict[str, Any]) -> None:
    spec = load_spec(PETERSON)
    r = check(spec, variant="flawed", max_states=1000, **how)
    assert r.status == "violation" and r.violation is not None
    trace = r.violation.trace
    assert trace is not None
    if how.get("strategy") != "dfs":
        assert trace.length == 6
    states = replay(bind(spec, "flawed"), trace)
    assert states[-1].pc == ("cs", "cs") and states[-1].entries == 2


def test_symmetry_applies_the_view_to_the_canonical_form() -> None:
    spec = load_spec(COMMIT)
    # TLC's counts of TCommit with 3 RMs (and of its symmetry reduction), history aside.
    assert counts(check(spec)) == ("ok", 34, 94)
    assert counts(check(spec, symmetry=True)) == ("ok", 13, 37)
    assert counts(check(spec, view=False)) == ("ok", 61, 148)
    for strategy in ("bfs", "dfs"):
        r = check(spec, params={"abort_after_commit": True}, symmetry=True, strategy=strategy)
        assert r.violation is not None and r.violation.trace is not None
        last = replay(bind(spec, params={"abort_after_commit": True}), r.violation.trace)[-1]
        assert {"committed", "aborted"} <= set(last.rm_state)


@pytest.fixture
def viewed_liveness() -> Spec:
    spec = Spec("viewed-liveness", load_spec(PETERSON).config, Record)

    class S(Record):
        x: int

    spec.state = S

    @spec.init
    def init(cfg: Any) -> S:
        return S(0)

    @spec.action
    def up(cfg: Any, s: S) -> S | None:
        return S(s.x + 1) if s.x < 3 else None

    @spec.terminal
    def top(cfg: Any, s: S) -> bool:
        return s.x == 3

    @spec.eventually
    def reaches_top(cfg: Any, s: S) -> bool:
        return s.x == 3

    @spec.view
    def whole(cfg: Any, s: S) -> int:
        return s.x

    return spec


def test_refused_where_a_view_is_unsound(viewed_liveness: Spec) -> None:
    with pytest.raises(UsageError, match="view"):
        check(viewed_liveness)
    assert counts(check(viewed_liveness, temporal=False)) == ("ok", 4, 4)
    with pytest.raises(UsageError, match="--max-depth"):
        check(load_spec(PETERSON), strategy="dfs", max_depth=5)
    assert counts(check(load_spec(PETERSON), strategy="dfs", max_depth=5, view=False))[0] == "ok"


@pytest.mark.parametrize("how", EXPLORERS)
def test_a_view_that_raises_is_a_spec_error(how: dict[str, Any]) -> None:
    spec = load_spec(PETERSON)
    original: Callable[..., Any] | None = spec.view_fn
    assert original is not None
    try:
        spec.view_fn = lambda cfg, s: (s.pc, s.flag, s.turn, 1 // (1 - s.entries))
        r = check(spec, max_states=1000, **how)
        assert r.status == "error" and r.error is not None and "ZeroDivisionError" in r.error
    finally:
        spec.view_fn = original


def test_checkpoints_remember_the_view(tmp_path: Path) -> None:
    spec = load_spec(PETERSON)
    saved = check(spec, checkpoint=str(tmp_path / "cp"), max_states=1000)
    assert counts(saved) == ("ok", 20, 35)
    with pytest.raises(UsageError, match="another model"):
        check(spec, view=False, resume=str(tmp_path / "cp"))


def test_cli_says_a_view_was_used(cli_result: CliResult) -> None:
    out = cli_result(["verify", PETERSON, "--max-states", "1000"])
    assert out.exit_code == 0
    assert out.output.splitlines()[0] == (
        "peterson-history (history=True, flawed=False), bfs, view without_history")
    js = json.loads(cli_result(["verify", PETERSON, "--json", "--max-states", "1000"]).output)
    assert (js["view"], js["stats"]["distinct_states"]) == ("without_history", 20)
    js = json.loads(cli_result(["verify", PETERSON, "--no-view", "--json",
                                "--max-states", "100"]).output)
    assert (js["view"], js["status"]) == (None, "incomplete")


@pytest.mark.slow
def test_dask_workers_apply_the_view() -> None:
    pytest.importorskip("distributed")
    from modelcheck.explore.distributed import local_cluster
    with local_cluster(2) as cluster:
        r = check(load_spec(PETERSON), scheduler=cluster.scheduler_address, max_states=1000)
        bad = check(load_spec(PETERSON), variant="flawed", scheduler=cluster.scheduler_address,
                    max_states=1000)
    assert counts(r) == ("ok", 20, 35)
    assert bad.violation is not None and bad.violation.trace is not None
    assert bad.violation.trace.length == 6
