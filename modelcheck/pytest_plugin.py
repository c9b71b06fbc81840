"""``pytest --modelcheck``: a project's specs as test items, one per configuration.

Registered through the ``pytest11`` entry point, so installing modelcheck is enough; it
does nothing unless ``--modelcheck`` is given. It reads the ``[tool.modelcheck]`` table
of the ``pyproject.toml`` in pytest's root directory (the table ``modelcheck verify
--all`` reads) and makes one item per spec configuration: the default one and each
variant, named ``pyproject.toml::SPEC`` and ``pyproject.toml::SPEC[VARIANT]``. An item
passes when the search gives the verdict the spec records for that configuration; when
it does not, the failure report shows both verdicts and the counterexample trace. Items
carry the ``modelcheck`` marker (``-m modelcheck`` selects them), and pytest's own
``--junitxml`` reports them like any test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ModelcheckFailure", "ModelcheckFile", "ModelcheckItem"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--modelcheck`` and ``--modelcheck-time-limit``."""
    group = parser.getgroup("modelcheck", "model checking of the specs in [tool.modelcheck]")
    group.addoption("--modelcheck", action="store_true",
                    help="Check the specs listed under [tool.modelcheck] in pyproject.toml, "
                         "one test item per configuration, against their expected verdicts.")
    group.addoption("--modelcheck-time-limit", type=float, default=None, metavar="SECONDS",
                    help="Stop each check after SECONDS (it then fails as incomplete).")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; make sure the root ``pyproject.toml`` is collected."""
    config.addinivalue_line("markers", "modelcheck: a model-checking item of pytest --modelcheck")
    if not config.getoption("modelcheck"):
        return
    pyproject = config.rootpath / "pyproject.toml"
    if not pyproject.is_file():
        return
    # With testpaths (or explicit test files) pytest would never walk to the root's
    # pyproject.toml, and --modelcheck would silently check nothing: add it to the
    # arguments unless an argument already covers it.
    base = config.invocation_params.dir
    covered = False
    for arg in config.args:
        path = (base / arg.split("::")[0]).resolve()
        if path == pyproject.resolve() or (path.is_dir() and path == pyproject.parent.resolve()):
            covered = True
    if not covered:
        config.args.append(str(pyproject))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """The root ``pyproject.toml`` becomes a collector of modelcheck items."""
    config = parent.config
    if (config.getoption("modelcheck") and file_path.name == "pyproject.toml"
            and file_path.parent.resolve() == config.rootpath.resolve()):
        collector: pytest.Collector = ModelcheckFile.from_parent(parent, path=file_path)
        return collector
    return None


class ModelcheckFailure(Exception):
    """A check gave another verdict than its spec records (or could not finish)."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.message)
        self.result = result


class ModelcheckFile(pytest.File):
    """The ``[tool.modelcheck]`` table of a ``pyproject.toml``: one item per check."""

    def collect(self) -> Iterator[pytest.Item]:
        """An item for each configuration of each listed spec."""
        from modelcheck.errors import ModelcheckError
        from modelcheck.suite import cases, project_config
        try:
            config = project_config(self.path.parent)
            if config is None:
                raise self.CollectError(
                    f"pytest --modelcheck: {self.path} has no [tool.modelcheck] table; add "
                    "one with specs = [\"path/to/spec.py\", \"module:attribute\", ...]")
            todo = cases(config["specs"])
        except ModelcheckError as e:
            raise self.CollectError(f"pytest --modelcheck: {e.message}") from e
        option = self.config.getoption("modelcheck_time_limit")
        limit = option if option is not None else config.get("time-limit")
        for case in todo:
            name = case.spec + (f"[{case.variant}]" if case.variant else "")
            item = ModelcheckItem.from_parent(self, name=name, case=case, time_limit=limit)
            item.add_marker("modelcheck")
            yield item


class ModelcheckItem(pytest.Item):
    """One configuration of one spec, checked against its expected verdict."""

    def __init__(self, *, case: Any, time_limit: float | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.time_limit = time_limit

    def runtest(self) -> None:
        """Run the search; raise :class:`ModelcheckFailure` unless the verdict is expected."""
        from modelcheck.suite import run_case
        result = run_case(self.case, self.time_limit)
        if result.outcome != "pass":
            raise ModelcheckFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        """Both verdicts, then the search's report with the counterexample trace."""
        if isinstance(excinfo.value, ModelcheckFailure):
            r = excinfo.value.result
            return f"{r.case.label}: {r.message}\n\n{r.report}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the item comes from, as pytest shows it."""
        return self.path, None, f"modelcheck {self.case.label}"
