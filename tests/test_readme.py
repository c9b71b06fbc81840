"""The README's examples run as shown (the site's pages are run by tests/test_site.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import CliResult, ReadmeSpec


def test_quick_start_matches_ci(readme: str, root: Path) -> None:
    commands = re.search(r"## Quick start.*?```sh\n(.*?)```", readme, re.S)
    assert commands is not None
    first, second = commands.group(1).strip().splitlines()
    assert first == "pip install . && modelcheck verify raft"
    ci = (root / ".ci" / "run").read_text()
    assert second in ci.splitlines()
    # the GitHub Actions workflow runs it too, on the Python versions the package supports
    workflow = (root / ".github" / "workflows" / "ci.yml").read_text()
    assert f"run: {second}" in [line.strip() for line in workflow.splitlines()]
    assert 'python-version: ["3.11", "3.12"]' in workflow


def test_tour_spec_finds_the_lost_update(cli_result: CliResult, readme: str,
                                         readme_spec: ReadmeSpec) -> None:
    path = readme_spec("counter.py")
    shown = re.search(r"\$ modelcheck verify counter.py\n(.*?)…\n", readme, re.S)
    assert shown is not None
    result = cli_result(["verify", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(shown.group(1))
