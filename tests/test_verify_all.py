"""``modelcheck verify --all``: every check against its expected verdict, in parallel,
with a table, JUnit XML and the exit code CI reads."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import modelcheck.suite
from modelcheck.catalogue import entries
from modelcheck.spec import Expect

if TYPE_CHECKING:
    from conftest import Invoke

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ci_project"


@pytest.fixture
def invoke(invoke: Invoke) -> Invoke:
    """``modelcheck verify ARGS``: exit code, standard output and standard error."""
    return functools.partial(invoke, "verify")


def _only(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Let ``--all`` see only catalogue entries ``names`` (the whole catalogue is checked
    once, by the first test)."""
    every = entries()
    monkeypatch.setattr(modelcheck.suite, "entries", lambda: {n: every[n] for n in names})


def junit_cases(path: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(path).getroot()
    return {(c.attrib["classname"], c.attrib["name"]): c for c in root.iter("testcase")}


@pytest.mark.slow
def test_the_whole_catalogue_gives_its_expected_verdicts(invoke: Invoke, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    code, out, _ = invoke("--all", "--junit", str(junit), "--jobs", "2")
    assert code == 0, out
    expected = sum(1 + len(spec.variants) for spec in entries().values())
    assert f"{expected} checks in" in out and f"{expected} as expected" in out
    assert "two-phase-commit    tm-commits-early" in out
    cases = junit_cases(junit)
    assert len(cases) == expected
    assert not any(c.find("failure") is not None for c in cases.values())


@pytest.mark.slow
def test_a_wrong_expectation_fails_the_run_and_the_junit_entry(
        invoke: Invoke,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = entries()["two-phase-commit"]
    variant = spec.variants["tm-commits-early"]
    # As if someone edited the catalogue entry to say the flawed variant holds.
    monkeypatch.setitem(spec.variants, "tm-commits-early",
                        type(variant)(variant.name, variant.params, Expect(), variant.doc))
    _only(monkeypatch, "two-phase-commit", "transaction-commit")
    junit = tmp_path / "junit.xml"
    code, out, _ = invoke("--all", "--junit", str(junit), "--jobs", "2")
    assert code == 1
    assert "✗ two-phase-commit --variant tm-commits-early: expected holds, got violates " \
           "consistent" in out
    assert "✗ invariant consistent is violated after" in out  # the trace follows
    assert " tm_commit\n" in out
    root = ET.parse(junit).getroot()
    assert root.attrib["failures"] == "1" and root.attrib["errors"] == "0"
    failing = {k for k, c in junit_cases(junit).items() if c.find("failure") is not None}
    assert failing == {("modelcheck.two-phase-commit", "tm-commits-early")}
    failure = junit_cases(junit)[("modelcheck.two-phase-commit", "tm-commits-early")].find(
        "failure")
    assert failure is not None
    assert failure.attrib == {"message": "expected holds, got violates consistent",
                              "type": "VerdictMismatch"}
    assert failure.text is not None and "✗ invariant consistent is violated" in failure.text


@pytest.mark.slow
def test_a_variant_that_no_longer_fails_is_exit_2_not_1(
        invoke: Invoke,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Exit 1 means a violation, shown with its trace; a variant that should violate a
    # property but holds has none to show: its expectation is wrong (exit 2).
    spec = entries()["two-phase-commit"]
    variant = spec.variants["tm-commits-early"]
    monkeypatch.setitem(spec.variants, "tm-commits-early", type(variant)(
        variant.name, {"tm_commit_early": False}, variant.expect, variant.doc))
    _only(monkeypatch, "two-phase-commit", "transaction-commit")
    code, out, _ = invoke("--all", "--jobs", "2")
    assert code == 2, out
    assert ("✗ two-phase-commit --variant tm-commits-early: expected violates consistent, "
            "got holds") in out


def copy_example(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def test_a_projects_own_list_from_its_pyproject(invoke: Invoke, tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    code, out, _ = invoke("--all", "--project", str(project), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "ok"
    assert [(c["spec"], c["variant"], c["got"]) for c in data["checks"]] == [
        ("atm-withdraw", None, "holds"),
        ("atm-withdraw", "check-then-act", "violates no_overdraft"),
        ("transaction-commit", None, "holds"),
        ("transaction-commit", "abort-after-commit", "violates consistent")]


@pytest.mark.slow
def test_edited_spec_file_in_a_project_fails_in_a_subprocess(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    spec = project / "specs" / "withdraw.py"
    spec.write_text(spec.read_text().replace('violates="no_overdraft"', "violates=None"))
    r = subprocess.run([sys.executable, "-m", "modelcheck", "verify", "--all", "--junit",
                        "out.xml"], cwd=project, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"\natm-withdraw +check-then-act +holds +violates no_overdraft +"
                     r"\d+\.\d\d  ✗\n", r.stdout), r.stdout
    failing = {k for k, c in junit_cases(project / "out.xml").items()
               if c.find("failure") is not None}
    assert failing == {("modelcheck.atm-withdraw", "check-then-act")}


def test_usage_errors(invoke: Invoke, tmp_path: Path) -> None:
    code, _, err = invoke()
    assert code == 2 and "give a SPEC to verify" in err
    code, _, err = invoke("raft", "--all")
    assert code == 2 and "--all checks every spec" in err
    code, _, err = invoke("--all", "--variant", "vote-twice")
    assert code == 2 and "drop --variant and --param" in err
    code, _, err = invoke("raft", "--junit", "x.xml")
    assert code == 2 and "go with --all" in err
    (tmp_path / "pyproject.toml").write_text("[tool.modelcheck]\nspecs = 'one.py'\n")
    code, _, err = invoke("--all", "--project", str(tmp_path))
    assert code == 2 and "non-empty list of strings" in err
    (tmp_path / "pyproject.toml").write_text("[tool.modelcheck]\nspecs = ['missing.py']\n")
    code, _, err = invoke("--all", "--project", str(tmp_path))
    assert code == 2 and "does not exist" in err


def test_mutate_adds_the_mutation_testing_of_each_spec_that_holds(
        invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # transaction-commit: 13 mutants, 11 killed, 2 accepted with their reasons; the
    # two-generals default shows an impossibility, so it has nothing to mutate
    _only(monkeypatch, "transaction-commit", "two-generals")
    junit = tmp_path / "junit.xml"
    code, out, _ = invoke("--all", "--mutate", "--junit", str(junit), "--jobs", "1")
    assert code == 0, out
    assert re.search(r"transaction-commit\s+\(mutants\)\s+every mutant caught\s+"
                     r"11 of 11 caught\s+[\d.]+\s+✓", out), out
    assert "two-generals        (mutants)" not in out
    assert "5 checks in" in out and "5 as expected" in out
    assert ("modelcheck.transaction-commit", "mutants") in junit_cases(junit)


def test_mutate_fails_on_a_surviving_mutant(invoke: Invoke, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    spec = entries()["transaction-commit"]
    accepted = dict(spec.accepted_mutants)
    # as if the spec's reasons for its two accepted mutants were withdrawn
    monkeypatch.setattr(spec, "accepted_mutants", {})
    _only(monkeypatch, "transaction-commit")
    code, out, _ = invoke("--all", "--mutate", "--jobs", "1", "--json")
    assert code == 1
    rows = {(r["variant"], r.get("mutants", False)): r for r in json.loads(out)["checks"]}
    row = rows[(None, True)]
    assert row["outcome"] == "fail" and row["got"] == "11 of 13 caught, 2 survived"
    assert row["score"] == round(11 / 13, 4)
    assert len(accepted) == 2
