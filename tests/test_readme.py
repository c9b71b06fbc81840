"""The README's examples run as shown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

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


@pytest.mark.slow
def test_fault_example_shows_the_crash_and_restart(cli_result: CliResult, readme: str) -> None:
    section = re.search(r"## Faults and the network.*?```sh\n\$ (modelcheck verify raft .*?)\n"
                        r"(.*?)```", readme, re.S)
    assert section is not None
    command, shown = section.group(1).split()[1:], section.group(2)
    result = cli_result(command)
    assert result.exit_code == 1
    out = result.stdout
    for block in shown.split("…\n"):  # each excerpt appears in the output as written
        assert block in out, block


def test_random_search_example_shows_the_shrunk_trace_and_coverage(cli_result: CliResult,
                                                                   readme: str) -> None:
    section = re.search(r"## Random search.*?```sh\n\$ (modelcheck simulate .*?)\n(.*?)```",
                        readme, re.S)
    assert section is not None
    command, shown = section.group(1).split()[1:], section.group(2)
    result = cli_result(command)
    assert result.exit_code == 1
    for block in shown.split("…\n"):  # each excerpt appears in the output as written
        assert block in result.stdout, block

