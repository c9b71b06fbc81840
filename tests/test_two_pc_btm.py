"""2PCwithBTM.tla (PlusCal) ported (``tests/specs_ports/two_pc_btm.py``, the same file as the
worked port of the porting guide): TLC's counts, termination under per-process fairness and
a lasso without it, and the backup TM's assert failing in the flawed variants, whose traces
are pinned by snapshots."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from test_trace_tools import matches_snapshot

from modelcheck import Result, Spec, check, load_spec
from modelcheck.render.text import render_trace

SPEC_FILE = Path(__file__).parent / "specs_ports" / "two_pc_btm.py"


@cache
def spec() -> Spec:
    return load_spec(str(SPEC_FILE))


@cache
def run(variant: str | None = None, unfair: tuple[str, ...] = ()) -> Result:
    """The check of ``variant``, without the fairness of the groups named ``unfair``."""
    return check(spec(), variant=variant, fairness=dict.fromkeys(unfair) or None)


def test_the_guide_shows_this_very_file() -> None:
    page = (ROOT / "docs" / "porting-from-tla.md").read_text(encoding="utf-8")
    block = re.search(r"^```python\n(# two_pc_btm\.py\n.*?)^```$", page, re.S | re.M)
    assert block is not None
    assert block.group(1) == SPEC_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("params", "counts"), [
    ({}, (1245, 5841, 15)),                          # the .cfg: RM = {rm1, rm2, rm3}
    ({"rms": 2}, (257, 738, 12)),
    ({"rm_may_fail": False}, (453, 2421, 15)),
])
def test_counts_are_tlcs(params: dict[str, object], counts: tuple[int, int, int]) -> None:
    r = run() if not params else check(spec(), params=params)
    assert r.status == "ok"
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == counts


def test_without_tm_failures_the_backup_waits_forever() -> None:
    """With TMMAYFAIL = FALSE the backup TM stays at BTS, a deadlock for TLC too (3,354
    states generated when it is found)."""
    r = check(spec(), params={"tm_may_fail": False})
    assert r.status == "violation" and r.violation is not None
    assert r.violation.kind == "deadlock" and r.stats.generated_states == 3354


def test_termination_holds_under_fairness_of_each_process() -> None:
    r = run()
    assert r.checked is not None
    outcomes = {c.name: c.outcome for c in r.checked.properties}
    assert outcomes == {"consistency": "holds", "termination": "holds"}


def lasso(r: Result) -> tuple[int, int]:
    assert r.status == "violation" and r.violation is not None
    assert r.violation.kind == "liveness" and r.violation.property == "termination"
    trace = r.violation.trace
    assert trace is not None and trace.loop_start is not None
    return trace.loop_start, trace.length


def test_termination_fails_without_fairness() -> None:
    assert lasso(run(unfair=("rmanager", "tmanager", "btmanager"))) == (0, 0)


def test_termination_needs_the_backup_tms_fairness() -> None:
    """Without it the backup TM never takes over from the failed TM: the RMs wait."""
    r = run(unfair=("btmanager",))
    assert lasso(r) == (7, 7)
    assert r.violation is not None and r.violation.trace is not None
    matches_snapshot("two-pc-btm-unfair-backup.txt",
                     render_trace(r.violation.trace, spec=spec()))


def assert_line(message: str) -> int:
    lines = SPEC_FILE.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if "assert" in line and message in line)


@pytest.mark.parametrize(("variant", "action", "message", "steps"), [
    ("backup-aborts-after-commit", "bta", "the backup aborts after a commit", 9),
    ("backup-commits-on-one-prepared", "btc", "the backup commits after an abort", 6),
])
def test_the_backup_tms_assert_fails_in_the_flawed_variants(
        variant: str, action: str, message: str, steps: int) -> None:
    r = run(variant)
    assert r.status == "error" and r.error_site is not None
    site = r.error_site
    assert site.function == f"action {action}" and site.step == steps
    assert site.source is not None
    assert site.source.endswith(f"two_pc_btm.py:{assert_line(message)}")
    assert site.trace is not None and site.trace.length == steps
    matches_snapshot(f"two-pc-btm-{variant}.txt", render_trace(site.trace, spec=spec()))


def test_the_cli_exits_2_with_the_trace_and_the_line() -> None:
    result = run_cli(["verify", SPEC_FILE, "--variant", "backup-aborts-after-commit"])
    assert result.exit_code == 2
    line = assert_line("the backup aborts after a commit")
    assert re.search(rf"^  raised at \S*two_pc_btm\.py:{line}$", result.output, re.M)
    assert "AssertionError: the backup aborts after a commit" in result.output
    assert " 9  bts_abort(rm=rm1)\n" in result.output
