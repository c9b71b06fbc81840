"""Fixtures shared by the test files: the command line in-process, and the paths they read.

``invoke`` and ``invoke_output`` run ``modelcheck ARGS`` through click's ``CliRunner``, as
the ``modelcheck`` command would, and re-raise any exception the command let escape (a bug,
where a real process would print a traceback), so that a test sees its traceback rather
than an exit code of 1. A run that click refuses before any command runs (a misspelt
option, a missing argument, a value its type refuses: a usage error, exit 2) fails the test
instead, unless the test is marked ``click_usage_error``: such a test is about click's
parsing. Otherwise a misspelt option makes a test that expects exit 2 pass without running
what it means.

Tests marked ``slow`` take more than about half a second each: ``pytest -m "not slow"`` is
the quick loop, the whole suite (plain ``pytest``, as CI runs it) includes them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import click
import pytest
from click.testing import CliRunner, Result

from modelcheck.cli import cli

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

Invoke = Callable[..., tuple[int, str, str]]
"""``invoke(*args) -> (exit code, standard output, standard error)``."""
InvokeOutput = Callable[..., tuple[int, str]]
"""``invoke_output(*args) -> (exit code, standard output and error as a terminal shows them)``."""
CliResult = Callable[..., Result]
"""``cli_result(args, **options of CliRunner.invoke) -> click's Result``."""
SpecVariant = Callable[[str, str, str, str], Path]
"""``spec_variant(module, name, old, new) -> the path of the edited copy``."""
ReadmeSpec = Callable[[str], Path]
"""``readme_spec(file name) -> the path the README's block was written to``."""


_click_usage_errors = {"expected": False}
"""Whether the running test is marked ``click_usage_error`` (set for each test below)."""


@pytest.fixture(autouse=True)
def _click_usage_error_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    _click_usage_errors["expected"] = \
        request.node.get_closest_marker("click_usage_error") is not None
    yield
    _click_usage_errors["expected"] = False


@contextlib.contextmanager
def click_refusals() -> Iterator[list[click.UsageError]]:
    """The usage errors click shows (it refused a command line before any command ran)
    while the block runs, in a list the block can read once it has run."""
    refused: list[click.UsageError] = []
    show = click.UsageError.show

    def shown(error: click.UsageError, file: Any = None) -> None:
        refused.append(error)
        show(error, file)

    with mock.patch.object(click.UsageError, "show", shown):
        yield refused


def run_cli(args: Sequence[str | Path], **kwargs: Any) -> Result:
    """``modelcheck ARGS`` in-process; an exception the command let escape is re-raised, and
    a click usage error fails the test unless it is marked ``click_usage_error``."""
    with click_refusals() as refused:
        result = CliRunner().invoke(cli, [str(a) for a in args], **kwargs)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if refused and not _click_usage_errors["expected"]:
        pytest.fail(f"click refused `modelcheck {' '.join(map(str, args))}` before any "
                    f"command ran: {refused[0].format_message()}\n(mark the test "
                    "click_usage_error if that is what it is about)", pytrace=False)
    return result


@pytest.fixture(scope="session")
def cli_result() -> CliResult:
    """``cli_result(args, input=..., env=...)``: click's ``Result`` of ``modelcheck ARGS``."""
    return run_cli


@pytest.fixture(scope="session")
def invoke() -> Invoke:
    """``invoke(*args)``: exit code, standard output and standard error of ``modelcheck``."""
    def invoke(*args: str | Path) -> tuple[int, str, str]:
        result = run_cli(args)
        return result.exit_code, result.stdout, result.stderr
    return invoke


@pytest.fixture(scope="session")
def invoke_output() -> InvokeOutput:
    """``invoke_output(*args)``: exit code and all ``modelcheck`` printed, interleaved."""
    def invoke_output(*args: str | Path) -> tuple[int, str]:
        result = run_cli(args)
        return result.exit_code, result.output
    return invoke_output


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository: README.md, examples/, specs/."""
    return ROOT


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    """The catalogue's sources (installed as the package ``modelcheck_specs``)."""
    return ROOT / "specs"


@pytest.fixture(scope="session")
def readme() -> str:
    """README.md's text, then the documentation site's pages (``docs/``): their examples
    are run as shown."""
    pages = sorted((ROOT / "docs").rglob("*.md"))
    return "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *pages])


@pytest.fixture(scope="session")
def counter_spec() -> str:
    """tests/specs_bad/counter.py: a counter whose parameters make it misbehave on demand."""
    return str(TESTS / "specs_bad" / "counter.py")


@pytest.fixture
def spec_variant(tmp_path: Path, specs_dir: Path) -> SpecVariant:
    """``spec_variant(module, name, old, new)``: ``tmp_path/name.py``, a copy of the
    catalogue module ``specs/module.py`` with its one occurrence of ``old`` made ``new``."""
    def spec_variant(module: str, name: str, old: str, new: str) -> Path:
        source = (specs_dir / f"{module}.py").read_text(encoding="utf-8")
        assert source.count(old) == 1, old
        path = tmp_path / f"{name}.py"
        path.write_text(source.replace(old, new), encoding="utf-8")
        return path
    return spec_variant


@pytest.fixture
def readme_spec(tmp_path: Path, readme: str) -> ReadmeSpec:
    """``readme_spec("counter.py")``: the first Python block of the README or the site that
    starts with ``# counter.py``, written to ``tmp_path/counter.py``."""
    def readme_spec(name: str) -> Path:
        code = re.search(rf"```python\n# {re.escape(name)}\n(.*?)```", readme, re.S)
        assert code is not None, name
        path = tmp_path / name
        path.write_text(code.group(1), encoding="utf-8")
        return path
    return readme_spec
