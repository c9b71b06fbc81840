"""README's catalogue table is the one generated from the catalogue: adding a spec or a
variant without running ``python tools/catalogue_table.py --write`` fails here."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from modelcheck.catalogue import entries

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "catalogue_table.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogue_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_the_generated_one() -> None:
    tool = load()
    shown = tool.current(tool.README.read_text(encoding="utf-8"))
    assert shown is not None, "README.md lost its catalogue table markers"
    assert shown == tool.block(), ("README.md's catalogue table is out of date: run "
                                   "python tools/catalogue_table.py --write")


def test_every_entry_and_variant_is_in_the_table() -> None:
    table = load().table()
    for name, spec in entries().items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
        for variant in spec.variants.values():
            assert f"`{variant.name}` (" in row
        default = spec.expectation(None)
        assert (default.status == "ok") != (f"default (violates `{default.property}`)" in row)


def test_check_fails_on_a_stale_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = load()
    readme = tmp_path / "README.md"
    stale = f"# x\n\n{tool.BEGIN}\n| spec |\n{tool.END}\n\nafter\n"
    readme.write_text(stale, encoding="utf-8")
    monkeypatch.setattr(tool, "README", readme)
    assert tool.main(["--check"]) == 1
    assert tool.main(["--write"]) == 0
    assert tool.main(["--check"]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# x\n\n") and text.endswith("\n\nafter\n")
    assert tool.table() in text


@pytest.mark.slow
def test_the_script_runs_from_the_command_line() -> None:
    r = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_recorded_mutation_scores_are_of_the_specs_as_they_are() -> None:
    """A score in the table was measured on the spec's current source, at the configuration
    the table names; a spec changed since must be measured again (or its record dropped,
    and the table then says it has no score)."""
    tool = load()
    scores = tool._scores()
    records = scores.recorded()
    catalogue = entries()
    assert set(records) <= set(catalogue), "records of entries that no longer exist"
    stale = {name: why for name in records
             if (why := scores.stale(name, catalogue[name], records)) is not None}
    assert not stale, (f"mutation scores to measure again: {stale}; run python "
                       f"tools/mutation_scores.py {' '.join(sorted(stale))}")
