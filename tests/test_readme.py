"""The README's examples run as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelcheck.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_quick_start_matches_ci() -> None:
    commands = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S)
    assert commands is not None
    first, second = commands.group(1).strip().splitlines()
    assert first == "pip install . && modelcheck verify raft"
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert second in ci.splitlines()


def test_tour_spec_finds_the_lost_update(tmp_path: Path) -> None:
    code = re.search(r"```python\n# counter.py\n(.*?)```", README, re.S)
    assert code is not None
    path = tmp_path / "counter.py"
    path.write_text(code.group(1), encoding="utf-8")
    shown = re.search(r"\$ modelcheck verify counter.py\n(.*?)…\n", README, re.S)
    assert shown is not None
    result = CliRunner().invoke(cli, ["verify", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(shown.group(1))


@pytest.mark.slow
def test_fault_example_shows_the_crash_and_restart() -> None:
    section = re.search(r"## Faults and the network.*?```sh\n\$ (modelcheck verify raft .*?)\n"
                        r"(.*?)```", README, re.S)
    assert section is not None
    command, shown = section.group(1).split()[1:], section.group(2)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1
    out = result.stdout
    for block in shown.split("…\n"):  # each excerpt appears in the output as written
        assert block in out, block


def test_random_search_example_shows_the_shrunk_trace_and_coverage() -> None:
    section = re.search(r"## Random search.*?```sh\n\$ (modelcheck simulate .*?)\n(.*?)```",
                        README, re.S)
    assert section is not None
    command, shown = section.group(1).split()[1:], section.group(2)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1
    for block in shown.split("…\n"):  # each excerpt appears in the output as written
        assert block in result.stdout, block

