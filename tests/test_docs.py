"""docs/contracts.md lists exactly the fields modelcheck writes, and the README agrees with it.

The contracts are written for people; these tests keep them true: every table of fields
is compared with what a search, a random walk, a trace and a checkpoint really hold.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import modelcheck.checkpoint
import modelcheck.fingerprint as fp
import modelcheck.trace
from modelcheck import check, load_spec


@pytest.fixture(scope="module")
def contracts(root: Path) -> str:
    return (root / "docs" / "contracts.md").read_text(encoding="utf-8")


def fields(doc: str, heading: str, nth: int = 0) -> list[str]:
    """The first column (`name`) of the ``nth`` table under ``heading``, before the next
    heading."""
    lines = doc.splitlines()
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    tables: list[list[str]] = []
    previous = ""
    for line in lines[start:end]:
        if line.startswith("|") and not previous.startswith("|"):
            tables.append([])
        m = re.match(r"\| `([^`]+)` \|", line)
        if m and tables:
            tables[-1].append(m.group(1))
        previous = line
    return tables[nth]


def test_the_result_json_fields_are_documented(contracts: str) -> None:
    result = check(load_spec("two-phase-commit"), variant="tm-commits-early").to_json()
    assert fields(contracts, "## The result JSON") == list(result)
    violation = result["violation"]
    assert isinstance(violation, dict)
    assert fields(contracts, "### `violation`") == list(violation)
    assert fields(contracts, "### `stats`") == list(result["stats"])
    checked = result["checked"]
    assert isinstance(checked, dict)
    assert fields(contracts, "### `checked`") == list(checked)
    assert fields(contracts, "### `checked`", 1) == list(checked["properties"][0])


def test_the_coverage_fields_are_documented(contracts: str) -> None:
    walked = check(load_spec("two-phase-commit"), strategy="random", runs=3, seed=1,
                   temporal=False).to_json()
    coverage = walked["coverage"]
    assert isinstance(coverage, dict)
    assert fields(contracts, "### `coverage`") == list(coverage)
    estimate = coverage["estimate"]
    assert isinstance(estimate, dict)
    assert '`{"' + '", "'.join(estimate) + '"}`' in contracts


def test_the_trace_fields_are_documented(contracts: str) -> None:
    heading = "## The trace format: `modelcheck-trace/1`"
    assert modelcheck.trace.FORMAT == "modelcheck-trace/1"
    result = check(load_spec("two-phase-commit"), variant="tm-commits-early")
    assert result.violation is not None and result.violation.trace is not None
    trace = result.violation.trace.to_json()
    assert fields(contracts, heading) == list(trace)
    step = trace["steps"][0]
    assert '`{"' + '", "'.join(step) + '"}`' in contracts


def test_the_checkpoint_fields_are_documented(contracts: str, tmp_path: Path) -> None:
    heading = "## The checkpoint format: `modelcheck-checkpoint/2`"
    assert modelcheck.checkpoint.FORMAT == "modelcheck-checkpoint/2"
    r = check(load_spec("two-phase-commit"), params={"rms": 4}, checkpoint=str(tmp_path),
              max_states=100, temporal=False)
    assert r.status == "incomplete"
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert fields(contracts, heading) == list(meta)
    for key in ("model", "options"):
        assert '`{"' + '", "'.join(meta[key]) + '"}`' in contracts, key
    assert meta["fingerprints"] == fp.ENCODING == "modelcheck-fingerprint/1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "store-1.npy"]


def test_the_fingerprint_constants_and_kinds_are_the_codes(contracts: str) -> None:
    section = contracts[contracts.index("## The fingerprint encoding"):]
    for name in ("_P1", "_P2", "_P3", "_P5"):
        assert f"{name[1:]} = 0x{getattr(fp, name):016X}" in section, name
    kinds = {name: getattr(fp, name) for name in dir(fp)
             if re.fullmatch(r"_[A-Z]+", name) and isinstance(getattr(fp, name), int)
             and name not in ("_P1", "_P2", "_P3", "_P5", "_MASK", "_NAN_BITS", "_Z95")}
    documented = [int(n) for row in re.findall(r"^\| [^|]+ \| ([0-9, ]+) \|", section, re.M)
                  for n in row.split(",")]
    assert sorted(documented) == sorted(v for v in kinds.values() if v != fp._UNSUPPORTED)
    assert f"`0x{fp._NAN_BITS:016X}`" in section


def test_the_readme_gives_the_same_exit_codes_and_links_the_contracts(
        contracts: str, readme: str) -> None:
    def codes(text: str, heading: str) -> list[str]:
        part = text[text.index(heading):]
        return re.findall(r"^\| \**([0-9])\** \|", part, re.M)[:4]
    assert codes(readme, "### Exit codes") == codes(contracts, "## Exit codes") == [
        "0", "1", "2", "3"]
    assert "(docs/contracts.md)" in readme
