"""The documentation site builds with strict warnings, and every example in it runs as shown.

Each page of ``docs/`` is run in a directory of its own, its fenced blocks in order:

* a ``python`` block whose first line is ``# NAME.py`` is a file: it is written to
  ``NAME.py``, for the blocks and commands after it;
* any other ``python`` block is executed, all of a page's in one namespace;
* a ``{.python .excerpt}`` block is part of a larger spec, shown for its shape: it is
  compiled, not run;
* in a ``console`` or ``sh`` block, a line ``$ modelcheck ARGS`` is run (in-process), and
  the lines after it, up to the next ``$``, are what it prints: the parts between ``…``
  appear in its output, in order; it exits 0 or 1, or 2 when a line shown starts with
  ``error:``;
* any other line of such a block that starts with ``modelcheck`` names a long search or a
  cluster: it is parsed against the command line (each command and option exists and takes
  the values given), not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from conftest import ROOT, run_cli

from modelcheck.cli import cli

DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
SLOW = {"guides/faults.md", "guides/mutation.md"}
"""Pages whose examples take more than a few seconds."""

_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.S | re.M)


@dataclass(frozen=True)
class Block:
    """A fenced block: its language (``python``, ``python excerpt``, ``console``...) and text."""

    lang: str
    text: str
    line: int


def blocks(text: str) -> Iterator[Block]:
    """The page's fenced blocks, in order."""
    for m in _FENCE.finditer(text):
        info = m.group(1).strip()
        lang = "python excerpt" if info == "{.python .excerpt}" else info
        yield Block(lang, m.group(2), text.count("\n", 0, m.start()) + 1)


def commands(text: str) -> Iterator[tuple[list[str], str | None]]:
    """``(argv, expected output or None)`` of each ``modelcheck`` command of a shell block;
    the output is None for a command shown without a ``$`` prompt (parsed, not run)."""
    lines = text.replace("\\\n", " ").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("$ "):
            shown = []
            while i < len(lines) and not lines[i].startswith("$ "):
                shown.append(lines[i])
                i += 1
            argv = shlex.split(line[2:], comments=True)
            assert argv[0] == "modelcheck", line
            yield argv[1:], "\n".join(shown)
        elif line.startswith("modelcheck "):
            yield shlex.split(line, comments=True)[1:], None


def parse(argv: list[str]) -> None:
    """Parses ``modelcheck ARGV`` down to its command, without running it."""
    command: click.Command = cli
    ctx = command.make_context("modelcheck", list(argv))
    while isinstance(command, click.Group):
        name, sub, rest = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None and name is not None, argv
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)


def shows(output: str, shown: str) -> None:
    """Every part of ``shown`` between ``…`` is in ``output``, in order."""
    at = 0
    for part in re.split(r"…\n?", shown):
        if part.strip():
            found = output.find(part, at)
            assert found >= 0, f"not in the output:\n{part}\n--- output:\n{output}"
            at = found + len(part)


def run_page(page: str, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(where)
    monkeypatch.syspath_prepend(str(where))
    module = types.ModuleType("docs_page")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    text = (DOCS / page).read_text(encoding="utf-8")
    for block in blocks(text):
        at = f"{page}:{block.line}"
        if block.lang == "python":
            first = block.text.split("\n", 1)[0]
            if re.fullmatch(r"# [\w.]+\.py", first):
                (where / first[2:]).write_text(block.text, encoding="utf-8")
            else:
                exec(compile(block.text, at, "exec"), namespace)
        elif block.lang == "python excerpt":
            compile(block.text, at, "exec")
        elif block.lang in ("console", "sh"):
            for argv, shown in commands(block.text):
                if shown is None:
                    parse(argv)
                    continue
                result = run_cli(argv)
                error = any(line.startswith("error:") for line in shown.splitlines())
                assert result.exit_code in ((2,) if error else (0, 1)), (at, argv,
                                                                        result.output)
                shows(result.output, shown)


def test_every_page_is_run() -> None:
    assert "tutorial.md" in PAGES and "porting-from-tla.md" in PAGES
    assert set(PAGES) >= SLOW


@pytest.mark.parametrize("page", [pytest.param(p, marks=pytest.mark.slow) if p in SLOW
                                  else p for p in PAGES])
def test_the_examples_run_as_shown(page: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    run_page(page, tmp_path, monkeypatch)


def test_the_runner_catches_a_wrong_output(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A page whose shown output is not the real one fails, as does an option that does not
    exist in a command that is only parsed."""
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path)
    (tmp_path / "page.md").write_text(
        "```console\n$ modelcheck verify transaction-commit\n…\n35 distinct states\n```\n")
    with pytest.raises(AssertionError, match="not in the output"):
        run_page("page.md", tmp_path, monkeypatch)
    (tmp_path / "page.md").write_text("```sh\nmodelcheck verify raft --no-such-option\n```\n")
    with pytest.raises(click.NoSuchOption):
        run_page("page.md", tmp_path, monkeypatch)


@pytest.mark.slow
def test_the_site_builds_with_strict_warnings(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "--config-file", str(ROOT / "mkdocs.yml"),
                           "--site-dir", str(tmp_path / "site")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    assert (site / "catalogue" / "two-phase-commit" / "index.html").is_file()
    page = (site / "catalogue" / "two-phase-commit" / "index.html").read_text()
    assert page.count('class="sequence-diagram"') == 2 and "tm_commit" in page
    assert "slot:" not in (site / "porting-from-tla" / "index.html").read_text()
    assert "modelcheck verify" in (site / "reference" / "cli" / "index.html").read_text()
