"""Every catalogue entry and variant gives its recorded verdict, with BFS and DFS agreeing.

A flawed variant's counterexample must replay and be a shortest one: a search bounded to
one step less finds nothing. Temporal properties are checked by breadth-first search
alone (on the whole state graph), so depth-first search checks the other properties of a
spec that has some, and must agree on the counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelcheck import Result, Spec, bind, check, load_spec, replay
from modelcheck.catalogue import entries, find, load
from modelcheck.spec import TEMPORAL_KINDS

SLOW = {"raft:commit-old-term", "raft:forget-vote", "raft:default", "raft:no-truncate",
        "multi-paxos:default", "replication:default", "logical-clocks:hlc-drift",
        "gossip:crashed-node", "paxos:default", "paxos:accept-lower-ballot",
        "paxos:ignore-accepted-value", "lww-skew:default", "byzantine-generals:default",
        "byzantine-generals:traitorous-commander", "reliable-broadcast:byzantine-receiver",
        "reliable-broadcast:low-echo-threshold",
        "paxos:adopt-any-vote", "paxos:flexible-quorums", "paxos:flexible-disjoint-quorums",
        "multi-paxos:two-slots", "multi-paxos:adopt-any-vote"}
"""The configurations that take more than about half a second (``pytest -m "not slow"``)."""

ELSEWHERE = {("raft", None), ("paxos", None), ("reliable-broadcast", None)}
"""Checked by their own tests with exact counts (raft's default run takes a minute, with
both strategies: tests/test_raft.py; paxos's half a minute: tests/test_paxos.py;
reliable-broadcast's 10 s, breadth-first: tests/test_reliable_broadcast.py)."""

CASES = [pytest.param(name, variant, id=f"{name}:{variant or 'default'}",
                      marks=[pytest.mark.slow] if f"{name}:{variant or 'default'}" in SLOW else [])
         for name, spec in entries().items() for variant in (None, *spec.variants)
         if (name, variant) not in ELSEWHERE]


def test_catalogue_has_the_first_entries() -> None:
    assert {"transaction-commit", "two-phase-commit", "raft"} <= set(entries())


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_entry_gives_expected_verdict_and_strategies_agree(name: str, variant: str | None) -> None:
    spec: Spec = entries()[name]
    expect = spec.expectation(variant)
    kinds = {p.name: p.kind for p in spec.properties}
    has_temporal = any(k in TEMPORAL_KINDS for k in kinds.values())
    bfs = check(spec, variant=variant)
    dfs = check(spec, variant=variant, strategy="dfs", temporal=not has_temporal)
    if kinds.get(expect.property or "") in TEMPORAL_KINDS:
        _check_temporal_violation(spec, variant, bfs, dfs)
        return
    assert bfs.status == dfs.status == ("ok" if expect.status == "ok" else "violation")
    if expect.status == "ok":
        if spec.constraints:  # a search within state constraints is a bounded one
            assert bfs.stopped == dfs.stopped and (bfs.stopped or "").startswith("bounded by")
        else:
            assert bfs.exhaustive and dfs.exhaustive
        assert bfs.stats.distinct_states == dfs.stats.distinct_states
        assert bfs.stats.generated_states == dfs.stats.generated_states
        return
    assert bfs.violation is not None and dfs.violation is not None
    # The shortest counterexample breaks the property the variant names; a depth-first
    # search reports the first violation on its path, which may be another consequence of
    # the same bug (replayed below, it must hold up).
    assert bfs.violation.property == expect.property
    assert dfs.violation.property in {p.name for p in spec.properties} | {"deadlock"}
    model = bind(spec, variant)
    for result in (bfs, dfs):
        trace = result.violation.trace if result.violation else None
        assert trace is not None
        states = replay(model, trace)
        assert len(states) == trace.length + 1
    shortest = bfs.violation.trace
    assert shortest is not None
    assert shortest.length <= dfs.violation.trace.length  # type: ignore[union-attr]
    # A bound still checks action properties on the transitions out of its last level,
    # so a shorter violation of one would show up one level less deep.
    depth = shortest.length - (1 if bfs.violation.kind == "action" else 0)
    if depth > 0:
        bounded = check(spec, variant=variant, max_depth=depth)
        assert bounded.status == "ok", "a shorter counterexample exists"


def _check_temporal_violation(spec: Spec, variant: str | None, bfs: Result,
                              dfs: Result) -> None:
    """A temporal violation replays (a lasso closes its loop); the other properties hold."""
    expect = spec.expectation(variant)
    assert bfs.status == "violation" and bfs.violation is not None
    assert bfs.violation.property == expect.property
    trace = bfs.violation.trace
    assert trace is not None
    assert len(replay(bind(spec, variant), trace)) == trace.length + 1
    if bfs.violation.kind == "liveness":
        assert trace.loop_start is not None
        assert trace.steps[-1].state == trace.steps[trace.loop_start].state
    else:
        assert bfs.violation.kind == "possibility" and trace.loop_start is None
    assert dfs.status == "ok" and dfs.exhaustive


# -- looking one name up -------------------------------------------------------------------


_LOOK_UP = """
import json, sys
from modelcheck import load_spec
from modelcheck.catalogue import find
spec = load_spec(sys.argv[1]) if sys.argv[2] == "load" else find(sys.argv[1])
print(json.dumps({"name": spec.name if spec else None, "z3": "z3" in sys.modules,
                  "modules": sorted(m for m in sys.modules if m.partition(".")[0] in
                                    ("modelcheck_specs", "acme_specs"))}))
"""


def _env(path: Path | None) -> dict[str, str]:
    """The environment, with ``path`` first on the module search path."""
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _look_up(name: str, how: str, path: Path | None = None) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _LOOK_UP, name, how], capture_output=True,
                          text=True, env=_env(path), timeout=120, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize(("name", "module", "z3", "how"), [
    ("raft", "raft", False, "load"),
    pytest.param("raft", "raft", False, "find", marks=pytest.mark.slow),
    # its z3 encoding loads on first use
    pytest.param("two-phase-commit", "two_phase_commit", False, "load", marks=pytest.mark.slow),
    # its encoding is part of its module
    pytest.param("quorum-election", "quorum_election", True, "find", marks=pytest.mark.slow),
])
def test_looking_one_spec_up_imports_no_other(name: str, module: str, z3: bool,
                                              how: str) -> None:
    found = _look_up(name, how)
    assert found == {"name": name, "z3": z3,
                     "modules": ["modelcheck_specs", f"modelcheck_specs.{module}"]}


def test_find_gives_what_entries_gives() -> None:
    catalogue = entries()
    for name, spec in catalogue.items():
        assert find(name) is spec
    assert load("two-phase-commit") is catalogue["two-phase-commit"]
    for unknown in ["nope", "os", "os.path", "../raft", "", "_two_phase_commit_symbolic"]:
        assert find(unknown) is None, unknown


def test_the_two_phase_commit_encoding_comes_with_its_module() -> None:
    from modelcheck.prove import SymbolicSpec, encoding_of
    from modelcheck_specs import two_phase_commit

    symbolic = encoding_of(entries()["two-phase-commit"])
    assert isinstance(symbolic, SymbolicSpec) and symbolic is two_phase_commit.symbolic
    with pytest.raises(AttributeError, match="has no attribute 'symbolc'"):
        _ = two_phase_commit.symbolc  # type: ignore[attr-defined]


_ACME = {
    "__init__.py": '"""A third-party catalogue."""\n',
    "token_ring.py": (_SPEC := '''
from dataclasses import dataclass
from modelcheck import Record, Spec

@dataclass(frozen=True)
class Config:
    size: int = 2

class State(Record):
    at: int

spec = Spec({name!r}, Config, State)

@spec.init
def init(cfg: Config) -> State:
    return State(0)

@spec.action()
def step(cfg: Config, s: State) -> State:
    return State((s.at + 1) % cfg.size)
''').format(name="token-ring"),
    "ledgers.py": _SPEC.format(name="bank-ledger"),  # not named after its spec
}


def _acme(tmp_path: Path) -> Path:
    """A package registered in the entry-point group, as an installed catalogue is."""
    package = tmp_path / "acme_specs"
    package.mkdir()
    for file, text in _ACME.items():
        (package / file).write_text(text, encoding="utf-8")
    info = tmp_path / "acme_specs-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-specs\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[modelcheck.catalogues]\nacme = acme_specs\n",
                                           encoding="utf-8")
    return tmp_path


@pytest.mark.slow
def test_a_third_party_catalogue_is_looked_up_too(tmp_path: Path) -> None:
    path = _acme(tmp_path)
    found = _look_up("token-ring", "load", path)
    assert found["name"] == "token-ring" and "acme_specs.token_ring" in found["modules"]
    assert "acme_specs.ledgers" not in found["modules"]
    # a spec not in the module named after it is found by importing the others
    found = _look_up("bank-ledger", "find", path)
    assert found["name"] == "bank-ledger" and "acme_specs.ledgers" in found["modules"]
    found = _look_up("raft", "load", path)
    assert found["name"] == "raft"
    assert [m for m in found["modules"] if m.startswith("modelcheck_specs.")] == [
        "modelcheck_specs.raft"]
    listed = subprocess.run([sys.executable, "-m", "modelcheck", "list", "--json"],
                            capture_output=True, text=True, timeout=120, check=True,
                            env=_env(path))
    names = {row["spec"] for row in json.loads(listed.stdout)}
    assert {"token-ring", "bank-ledger", "raft", "two-phase-commit"} <= names


def test_a_spec_file_edited_after_loading_is_loaded_again(tmp_path: Path) -> None:
    # The model checked is the model asked for: a process that loads a spec file again
    # after it was edited gets the edited spec, not the module it loaded first.
    path = tmp_path / "counter.py"
    text = """
from dataclasses import dataclass
from modelcheck import Record, Spec

@dataclass(frozen=True)
class Config:
    pass

class State(Record):
    n: int

spec = Spec("counter", Config, State, check_deadlock=False)

@spec.init
def init(cfg):
    return State(0)

@spec.action()
def inc(cfg, s):
    return s.replace(n=s.n + 1) if s.n < TOP else None
"""
    path.write_text("TOP = 3\n" + text)
    assert check(load_spec(str(path))).stats.distinct_states == 4
    assert load_spec(str(path)) is load_spec(str(path))  # unchanged: loaded once
    path.write_text("TOP = 5\n" + text)
    assert check(load_spec(str(path))).stats.distinct_states == 6
