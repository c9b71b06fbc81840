"""``pytest --modelcheck`` on the example project in examples/ci_project, run as a user
would: a pytest subprocess in a copy of the project (the plugin is registered by
modelcheck's ``pytest11`` entry point)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs pytest in a process of its own

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ci_project"


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=project, capture_output=True, text=True, timeout=300)


def copy_example(tmp_path: Path) -> Path:
    project = tmp_path / "ci_project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def test_plugin_collects_one_item_per_configuration(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    r = run_pytest(project, "--modelcheck", "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    for item in ("tests/test_withdraw.py::test_one_atm_cannot_overdraw_even_when_flawed PASSED",
                 "pyproject.toml::atm-withdraw PASSED",
                 "pyproject.toml::atm-withdraw[check-then-act] PASSED",
                 "pyproject.toml::transaction-commit PASSED",
                 "pyproject.toml::transaction-commit[abort-after-commit] PASSED"):
        assert item in r.stdout, r.stdout
    assert "5 passed" in r.stdout
    # Without the option the plugin stays out of the way: only the ordinary test runs.
    r = run_pytest(project, "-q")
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout


def test_a_wrong_expectation_fails_with_the_trace_in_the_report(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    spec = project / "specs" / "withdraw.py"
    spec.write_text(spec.read_text().replace('violates="no_overdraft"', "violates=None"))
    r = run_pytest(project, "--modelcheck", "-m", "modelcheck", "--junitxml", "report.xml")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 3 passed, 1 deselected" in r.stdout
    report = r.stdout
    assert "atm-withdraw --variant check-then-act: expected holds, got violates " \
           "no_overdraft" in report
    assert "✗ invariant no_overdraft is violated after 4 steps" in report
    assert " 4  debit(atm=1)\n      balance: 40 → -20" in report
    assert 'name="atm-withdraw[check-then-act]"' in (project / "report.xml").read_text()
