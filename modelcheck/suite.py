"""The check suite: every check a project keeps, run against its expected verdict.

This is what ``modelcheck verify --all`` and ``pytest --modelcheck`` run.

A *check* is a spec's default configuration or one of its variants, with the verdict it
must produce (:meth:`~modelcheck.Spec.expectation`). The checks are the catalogue's, or
those of the specs a project lists in its ``pyproject.toml``::

    [tool.modelcheck]
    specs = ["specs/bank.py", "mypackage.specs:ledger"]   # paths (from the file) or module:attr
    time-limit = 120                                      # seconds per check (optional)

Checks run in parallel processes, one per core by default. A check *passes* when its
verdict is the expected one: no violation where the spec must hold, and a violation of
the named property where a variant must fail. With mutation testing (``verify --all
--mutate``), each spec whose default configuration must hold gains one more check: every
mutant of its steps (:mod:`modelcheck.mutate`) is checked at that configuration, and the
check passes when each is killed, equivalent, or accepted by the spec with a reason; a
surviving mutant fails it as a violation would (its changes are shown), a timed-out one
leaves it incomplete. The outcome is a table, optionally a JUnit
XML file for CI, and the exit code: 1 if a check found a violation it must not (the
violation and its trace are shown), else 2 if one could not run (spec error) or did not
find the violation it must (its expectation is wrong), else 3 if one stopped early (time
limit), else 0.
"""

from __future__ import annotations

import os
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from modelcheck.catalogue import entries, load
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.spec import Expect
from modelcheck.state import JSON

__all__ = ["Case", "CaseResult", "Outcome", "cases", "exit_code", "junit_xml", "project_config",
           "render_table", "run_all", "run_case"]

Outcome = Literal["pass", "fail", "error", "incomplete"]


@dataclass(frozen=True)
class Case:
    """One check: how to load the spec, which variant, and the verdict it must produce."""

    ref: str
    spec: str
    variant: str | None
    expect: Expect
    mutate: bool = False
    """Mutation testing of the spec at this configuration, rather than its check."""

    @property
    def label(self) -> str:
        """``spec``, ``spec --variant V`` or ``spec (mutants)``."""
        return self.spec + (f" --variant {self.variant}" if self.variant else "") + (
            " (mutants)" if self.mutate else "")


@dataclass(frozen=True)
class CaseResult:
    """What one check gave: its outcome, the verdict found, and the report to show."""

    case: Case
    outcome: Outcome
    got: str
    seconds: float
    distinct_states: int | None = None
    report: str = ""
    """The search's text report (with the counterexample trace) when the check did not pass."""

    score: float | None = None
    """For mutation testing: killed over counted mutants (None when none counts)."""

    @property
    def message(self) -> str:
        """``expected holds, got violates consistent``."""
        if self.case.mutate:
            return f"expected every mutant caught, got {self.got}"
        return f"expected {self.case.expect}, got {self.got}"

    def to_json(self) -> dict[str, JSON]:
        """A row of ``verify --all --json``."""
        row: dict[str, JSON] = {
            "spec": self.case.spec, "variant": self.case.variant,
            "expect": self.case.expect.to_json(), "got": self.got,
            "outcome": self.outcome, "seconds": round(self.seconds, 4),
            "distinct_states": self.distinct_states}
        if self.case.mutate:
            row["mutants"] = True
            row["score"] = None if self.score is None else round(self.score, 4)
        return row


def project_config(directory: Path) -> dict[str, Any] | None:
    """The ``[tool.modelcheck]`` table of ``directory/pyproject.toml``, or None."""
    path = directory / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from e
    table = data.get("tool", {}).get("modelcheck")
    if table is None:
        return None
    specs = table.get("specs")
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs) or not specs:
        raise UsageError(f"{path}: [tool.modelcheck] needs specs = [\"path/to/spec.py\", "
                         "\"module:attribute\", ...], a non-empty list of strings")
    limit = table.get("time-limit")
    if limit is not None and (not isinstance(limit, (int, float)) or limit <= 0):
        raise UsageError(f"{path}: [tool.modelcheck] time-limit must be a positive number "
                         "of seconds")
    refs = [_resolve(ref, directory) for ref in specs]
    return {"specs": refs, "time-limit": limit, "path": str(path)}


def _resolve(ref: str, directory: Path) -> str:
    path_part, sep, attr = ref.partition(":")
    if path_part.endswith(".py"):
        return str((directory / path_part).resolve()) + sep + attr
    return ref


def cases(refs: Sequence[str] | None = None, *, mutate: bool = False) -> list[Case]:
    """The checks of ``refs`` (spec references), or of the whole catalogue: each spec's
    default configuration, then its variants; with ``mutate``, then the mutation testing
    of its default configuration if that must hold."""
    specs = ([(name, spec) for name, spec in entries().items()] if refs is None
             else [(ref, load(ref)) for ref in refs])
    out: list[Case] = []
    for ref, spec in specs:
        default = spec.expectation()
        out.append(Case(ref, spec.name, None, default))
        out += [Case(ref, spec.name, v, spec.expectation(v)) for v in spec.variants]
        if mutate and default.status == "ok":
            out.append(Case(ref, spec.name, None, default, mutate=True))
    return out


def run_case(case: Case, time_limit: float | None = None) -> CaseResult:
    """Run one check in this process and compare its verdict with the expected one."""
    if case.mutate:
        return _run_mutants(case, time_limit)
    from modelcheck.explore import check
    from modelcheck.render.text import render_result
    start = time.perf_counter()
    try:
        result = check(load(case.ref), variant=case.variant, time_limit=time_limit)
    except ModelcheckError as e:
        return CaseResult(case, "error", f"error: {e.message}", time.perf_counter() - start,
                          report=e.message)
    seconds = time.perf_counter() - start
    v = result.violation
    if result.status == "ok":
        got = Expect()
    elif result.status == "violation" and v is not None:
        got = Expect("violation", v.property)
    elif result.status == "incomplete":
        return CaseResult(case, "incomplete", f"incomplete ({result.stopped})", seconds,
                          result.stats.distinct_states, render_result(result))
    else:
        return CaseResult(case, "error", f"error: {result.error}", seconds,
                          result.stats.distinct_states, render_result(result))
    outcome: Outcome = "pass" if got == case.expect else "fail"
    return CaseResult(case, outcome, str(got), seconds, result.stats.distinct_states,
                      "" if outcome == "pass" else render_result(result))


def _run_mutants(case: Case, time_limit: float | None) -> CaseResult:
    """Mutation testing of ``case``'s spec at its default configuration, one mutant at a
    time (the checks around it have the other cores); ``time_limit`` is per mutant."""
    from modelcheck.mutate import Settings, render_table, run
    from modelcheck.render.text import render_result
    start = time.perf_counter()
    settings = Settings(timeout=time_limit, jobs=1)  # None: as `modelcheck mutate` sets it
    try:
        report = run(load(case.ref), settings)
    except ModelcheckError as e:
        return CaseResult(case, "error", f"error: {e.message}", time.perf_counter() - start,
                          report=e.message)
    seconds = time.perf_counter() - start
    original = report.original
    states = original.stats.distinct_states
    if original.status != "ok":
        return CaseResult(case, "error", f"error: the spec itself is {original.status}",
                          seconds, states, render_result(original))
    survived = report.count("survived")
    timeouts = report.count("timeout")
    counted = len(report.outcomes) - report.count("equivalent") - report.count("accepted")
    caught = sum(1 for o in report.outcomes if o.caught)
    got = f"{caught} of {counted} caught" + (f", {survived} survived" if survived else "") + (
        f", {timeouts} timed out" if timeouts else "")
    outcome: Outcome = "fail" if survived else "incomplete" if timeouts else "pass"
    return CaseResult(case, outcome, got, seconds, states,
                      "" if outcome == "pass" else render_table(report, case.spec),
                      score=report.score)


def _run_indexed(args: tuple[int, Case, float | None]) -> tuple[int, CaseResult]:
    index, case, time_limit = args
    return index, run_case(case, time_limit)


def run_all(todo: Sequence[Case], *, jobs: int | None = None,
            time_limit: float | None = None) -> list[CaseResult]:
    """Run every check, ``jobs`` processes at a time (one per core by default).

    Results come back in the order of ``todo``. With one job, or one check, the checks run
    in this process: no pool to start.
    """
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(todo) <= 1:
        return [run_case(c, time_limit) for c in todo]
    results: list[CaseResult | None] = [None] * len(todo)
    # Longest first would balance better, but durations are unknown; the catalogue order
    # interleaves specs, which spreads the heavy ones.
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
        for index, result in pool.map(_run_indexed,
                                      [(i, c, time_limit) for i, c in enumerate(todo)]):
            results[index] = result
    return [r for r in results if r is not None]


def exit_code(results: Sequence[CaseResult]) -> int:
    """1 if a check found a violation it must not, else 2 if one errored or missed the
    violation it must find, else 3 if one stopped early, else 0.

    Exit 1 always means a property is violated, with the trace shown: a check that holds
    where a violation was expected has nothing to show, and is a wrong expectation."""
    def kind(r: CaseResult) -> str:
        if r.outcome == "fail":
            return "violated" if r.case.mutate or r.got != str(Expect()) else "error"
        return r.outcome
    kinds = {kind(r) for r in results}
    for outcome, code in (("violated", 1), ("error", 2), ("incomplete", 3)):
        if outcome in kinds:
            return code
    return 0


_MARK = {"pass": "✓", "fail": "✗", "error": "!", "incomplete": "…"}


def render_table(results: Sequence[CaseResult], seconds: float) -> str:
    """The table ``verify --all`` prints, then the report of each check that did not pass."""
    rows = [(r.case.spec, "(mutants)" if r.case.mutate else r.case.variant or "(default)",
             "every mutant caught" if r.case.mutate else str(r.case.expect), r.got,
             f"{r.seconds:.2f}", _MARK[r.outcome]) for r in results]
    header = ("spec", "variant", "expected", "got", "seconds", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[i].ljust(widths[i]) if i != 4 else row[i].rjust(widths[i])
                 for i in range(5)]
        return "  ".join(cells) + f"  {row[5]}".rstrip()

    out = [line(header), *map(line, rows)]
    bad = [r for r in results if r.outcome != "pass"]
    out.append(f"{len(results)} checks in {seconds:.1f} s: {len(results) - len(bad)} as "
               f"expected" + (f", {len(bad)} not" if bad else ""))
    for r in bad:
        out += ["", f"{_MARK[r.outcome]} {r.case.label}: {r.message}", r.report]
    return "\n".join(out)


def junit_xml(results: Sequence[CaseResult], seconds: float) -> str:
    """The results as JUnit XML: one test case per check, failures with their trace."""
    failures = sum(r.outcome in ("fail", "incomplete") for r in results)
    errors = sum(r.outcome == "error" for r in results)
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": str(errors),
              "skipped": "0", "time": f"{seconds:.3f}"}
    root = ET.Element("testsuites", {"name": "modelcheck", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "modelcheck verify --all", **counts})
    for r in results:
        name = "mutants" if r.case.mutate else r.case.variant or "default"
        case = ET.SubElement(suite, "testcase", {
            "classname": f"modelcheck.{r.case.spec}", "name": name,
            "time": f"{r.seconds:.3f}"})
        if r.outcome == "error":
            ET.SubElement(case, "error", {"message": r.message, "type": "SpecError"}).text = \
                r.report
        elif r.outcome != "pass":
            kind = ("SurvivingMutant" if r.case.mutate else "VerdictMismatch") \
                if r.outcome == "fail" else "Incomplete"
            ET.SubElement(case, "failure", {"message": r.message, "type": kind}).text = r.report
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"
