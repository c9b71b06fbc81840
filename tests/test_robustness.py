"""Whatever the input, the command line answers with an exit code and a message.

Hypothesis feeds the commands malformed trace files, checkpoints, parameters and spec
files, and every run must keep the promises of the README's "Exit codes":

* the exit code is 0, 1, 2 or 3;
* no traceback reaches the user (an exception escaping a command is a failure here, as
  ``CliRunner`` catches it where a real process would print it);
* exit 1 comes only with a printed violation;
* nothing is written outside the test's own directory.

The commands run in-process through click's ``CliRunner``, entered by
:func:`modelcheck.cli.main` as the console script enters them, so that each ends with the
exit code ``main`` maps it to (a few real processes check the console entry point too),
each search bounded so that an example takes a fraction of a second.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from conftest import click_refusals
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelcheck import check, load_spec
from modelcheck.cli import main

SNAPSHOTS = Path(__file__).parent / "snapshots"
TRACE = json.loads((SNAPSHOTS / "two-phase-commit-tm-commits-early.json").read_text())
EXAMPLES = settings(max_examples=int(os.environ.get("MODELCHECK_ROBUSTNESS", "40")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
BOUNDS = ["--max-states", "3000", "--time-limit", "10"]
"""Every search of this file stops within these (exit 3 when it does)."""

VIOLATION_WORDS = ("✗", "violat", "deadlock")


def _watched() -> list[Path]:
    """Directories where a command must not create files: the checkout and the places a
    careless path would land in."""
    root = Path(__file__).resolve().parent.parent
    return [root, root / "tests", root / "specs", root / "modelcheck", Path.cwd()]


def _listing() -> dict[Path, set[str]]:
    return {d: set(os.listdir(d)) for d in _watched() if d.is_dir()}


def _assert_kept_promises(r: Result, before: dict[Path, set[str]]) -> None:
    output = r.output
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise AssertionError(f"an exception escaped the command: {r.exception!r}\n{output}"
                             ) from r.exception
    assert r.exit_code in (0, 1, 2, 3), (r.exit_code, output)
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    if r.exit_code == 1:
        assert any(w in output for w in VIOLATION_WORDS), output
    after = _listing()
    for d, names in before.items():
        created = after.get(d, set()) - names
        assert not created, f"created {sorted(created)} in {d}"


class _Console:
    """``modelcheck`` for ``CliRunner``, run by :func:`main` as the console script runs it:
    ``cli`` alone ends as click's standalone mode does, and that ends an interrupt (a spec
    file raising KeyboardInterrupt as it loads) with exit 1, which only a violation has."""

    name = "modelcheck"

    def main(self, args: Sequence[str], prog_name: str, **extra: Any) -> None:
        main(list(args))


def run(args: Sequence[str]) -> Result:
    """``modelcheck ARGS`` in-process, checked against the promises, and past click's
    option parsing."""
    before = _listing()
    with click_refusals() as refused:
        r = CliRunner().invoke(_Console(), list(args),  # type: ignore[arg-type]
                               catch_exceptions=True)
    _assert_kept_promises(r, before)
    _ran(r, refused, args)
    return r


def _ran(r: Result, refused: list[click.UsageError], args: Sequence[str]) -> None:
    """The command got past option parsing: the test's own options are the command's, so
    an exit 2 is the command refusing its input (our one-line ``error: ...``, or with
    ``--json`` an object that gives its status), never click's usage error (a misspelt
    option made every example of a test exit 2 there, and the test could not fail:
    --max-depth to simulate, --output to trace shrink)."""
    assert not refused, f"click refused the command line: {refused[0].format_message()}"
    if r.exit_code == 2 and "--json" in args:
        assert "status" in json.loads(r.stdout), r.output
    elif r.exit_code == 2:
        assert "error: " in r.output, r.output


# -- malformed traces -----------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats()
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


TRACE_PATHS = list(_paths(TRACE))[1:]


ITF = json.loads((Path(__file__).parent / "fixtures" / "quint" / "two_phase.itf.json")
                 .read_text())
"""A trace Quint wrote (ITF), of a model of the catalogue's two-phase-commit."""
ITF_PATHS = list(_paths(ITF))[1:]


@st.composite
def mutated_traces(draw: st.DrawFn, itf: bool = False) -> str:
    """The text of a trace file: the snapshot (or with ``itf`` the Quint trace) with a few
    parts replaced or removed, or something that is not a trace at all."""
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "json", "bytes", "nested"]))
    if kind == "json":
        return json.dumps(draw(_json))
    if kind == "bytes":
        return draw(st.binary(max_size=200)).decode("latin-1")
    if kind == "nested":
        depth = draw(st.integers(1, 100_000))
        return "[" * depth + "]" * depth
    data = json.loads(json.dumps(ITF if itf else TRACE))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(ITF_PATHS if itf else TRACE_PATHS))
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(_json)
        except (KeyError, IndexError, TypeError):
            continue
    return json.dumps(data)


TRACE_COMMANDS = [
    ["trace", "show"], ["trace", "show", "--format", "json"],
    ["trace", "show", "--format", "html"], ["trace", "show", "--format", "mermaid"],
    ["trace", "show", "--format", "svg"], ["trace", "show", "--full"],
    ["trace", "diagram"], ["trace", "replay"], ["trace", "replay", "--json"],
]


@given(mutated_traces(), st.sampled_from(TRACE_COMMANDS))
@EXAMPLES
def test_malformed_traces(tmp_path: Path, text: str, command: list[str]) -> None:
    path = tmp_path / "trace.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    run([*command, str(path)])


def _shrink(path: Path) -> list[str]:
    """``trace shrink`` of the trace at ``path``, written beside it."""
    return ["trace", "shrink", str(path), "--out", str(path.parent / "out.json"),
            "--time-limit", "10"]


@given(mutated_traces())
@EXAMPLES
def test_malformed_traces_shrunk(tmp_path: Path, text: str) -> None:
    path = tmp_path / "trace.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    run(_shrink(path))


def test_the_snapshot_itself_shrinks(tmp_path: Path) -> None:
    # What the test above runs, on the trace it damages: a shrink, not a usage error (it
    # gave --output, which trace shrink does not have, and every example exited 2).
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(TRACE), encoding="utf-8")
    r = run(_shrink(path))
    assert r.exit_code == 0, r.output
    assert "✗ invariant consistent is violated after 5 steps, shrunk from 5 steps" in r.output
    assert len(json.loads((tmp_path / "out.json").read_text())["steps"]) == 6


ITF_COMMANDS = [["trace", "show"], ["trace", "show", "--format", "itf"],
                ["trace", "replay", "--spec", "two-phase-commit"],
                ["trace", "show", "--format", "html", "--spec", "two-phase-commit"]]


@given(mutated_traces(itf=True), st.sampled_from(ITF_COMMANDS))
@EXAMPLES
def test_malformed_itf_traces(tmp_path: Path, text: str, command: list[str]) -> None:
    path = tmp_path / "trace.itf.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    r = run([*command, str(path)])
    if r.exit_code == 2:
        assert len(r.output.strip().splitlines()) == 1, r.output


def test_the_quint_trace_itself_replays(tmp_path: Path) -> None:
    path = tmp_path / "trace.itf.json"
    path.write_text(json.dumps(ITF), encoding="utf-8")
    r = run(["trace", "replay", "--spec", "two-phase-commit", str(path)])
    assert r.exit_code == 0 and "replays (12 steps)" in r.output


def test_the_snapshot_itself_replays_to_its_violation(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(TRACE), encoding="utf-8")
    r = run(["trace", "replay", str(path)])
    assert r.exit_code == 1 and "consistent" in r.output


# -- malformed checkpoints ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of two-phase-commit (rms=4) taken half-way."""
    cp = tmp_path_factory.mktemp("saved") / "cp"
    r = check(load_spec("two-phase-commit"), params={"rms": 4}, temporal=False,
              max_states=700, checkpoint=str(cp))
    assert r.status == "incomplete"
    return cp


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, Any]:
    what = draw(st.sampled_from(["meta-field", "meta-text", "store-bytes", "delete"]))
    if what == "meta-field":
        key = draw(st.sampled_from(["format", "generation", "store", "model", "options",
                                    "depth", "expand_from", "next_level", "distinct",
                                    "generated", "seconds", "cut", "pending_sometimes",
                                    "fingerprints", "sha256", "extra"]))
        return what, (key, draw(_json))
    if what == "meta-text":
        return what, draw(st.text(max_size=200))
    if what == "store-bytes":
        return what, (draw(st.integers(0, 2000)), draw(st.binary(min_size=1, max_size=64)))
    return what, draw(st.sampled_from(["meta.json", "store"]))


@given(damaged())
@EXAMPLES
def test_damaged_checkpoints(tmp_path: Path, saved_checkpoint: Path,
                             damage: tuple[str, Any]) -> None:
    cp = Path(tempfile.mkdtemp(dir=tmp_path)) / "cp"  # one per example
    shutil.copytree(saved_checkpoint, cp)
    meta = json.loads((cp / "meta.json").read_text())
    store = cp / meta["store"]
    what, how = damage
    if what == "meta-field":
        key, value = how
        meta[key] = value
        (cp / "meta.json").write_text(json.dumps(meta))
    elif what == "meta-text":
        (cp / "meta.json").write_text(how)
    elif what == "store-bytes":
        at, data = how
        raw = bytearray(store.read_bytes())
        raw[at:at + len(data)] = data
        store.write_bytes(bytes(raw))
    else:
        (cp / "meta.json" if how == "meta.json" else store).unlink()
    r = run(["verify", "two-phase-commit", "--param", "rms=4", "--resume", str(cp),
             "--no-temporal", "-q"])
    # Any damage is refused; only damage the checksum does not cover (an unknown key)
    # may resume, and then to the uninterrupted search's verdict.
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 0:
        assert "1,568 distinct states" in r.output


# -- malformed parameters -------------------------------------------------------------------------

CATALOGUE = ["two-phase-commit", "raft", "paxos", "replication", "saga", "gossip",
             "distributed-lock", "logical-clocks", "three-phase-commit", "two-generals"]

_values = (st.text(max_size=12) | st.integers(-(2**80), 2**80).map(str)
           | st.sampled_from(["true", "false", "-1", "0", "1e9", "nan", "inf", "1,2",
                              "none", "loss=1", "loss=-1", "crash=x", "", "=", "10**20",
                              "9" * 30, "sync", "async", "quorum", "randomised"]))


@st.composite
def parameters(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A catalogue spec and ``--param``/``--faults``/``--variant`` arguments: half the
    time plausible ones (choices a field lists, small numbers, real variants), so that
    runs get as far as a search, and otherwise anything at all."""
    spec = draw(st.sampled_from(CATALOGUE))
    fields = _config_fields(spec)
    plausible = draw(st.booleans())
    args: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        roll = draw(st.integers(0, 9))
        if not plausible and roll == 0:
            args += ["--param", draw(st.text(max_size=10))]
        elif not plausible and roll == 1:
            args += ["--param", f"nonexistent={draw(_values)}"]
        else:
            name = draw(st.sampled_from(sorted(fields)))
            value = draw(st.sampled_from(fields[name]) if plausible else _values)
            args += ["--param", f"{name}={value}"]
    if draw(st.integers(0, 3)) == 0:
        faults = st.sampled_from(["loss=1", "crash=1", "dup=1,loss=1", "none"])
        args += ["--faults", draw(faults if plausible else faults | _values)]
    if draw(st.booleans()):
        variants = _variants(spec)
        args += ["--variant", draw(st.sampled_from(variants if plausible and variants
                                                   else [*variants, "nonexistent"]))]
    return spec, args


def _config_fields(name: str) -> dict[str, list[str]]:
    """Each parameter of spec ``name``, with values plausible for it."""
    from modelcheck.params import parameters as params_of
    out: dict[str, list[str]] = {}
    for field, p in params_of(load_spec(name).config).items():
        listed = p.describe() or ""
        choices = [c.strip() for c in listed.split(",")] if "," in listed else []
        by_type = {"bool": ["true", "false"], "Faults": ["none", "loss=1", "crash=1"]}
        out[field] = choices or by_type.get(p.type_name, ["1", "2", "3"])
    return out


def _variants(name: str) -> list[str]:
    return list(load_spec(name).variants)


@given(parameters())
@EXAMPLES
@pytest.mark.slow
def test_malformed_parameters(case: tuple[str, list[str]]) -> None:
    spec, args = case
    run(["verify", spec, *args, *BOUNDS, "-q", "--no-temporal"])


WALKS = ["--runs", "20", "--depth", "20", "--seed", "1", "--time-limit", "10"]
"""The walks of every simulation of this file: the time limit holds inside the expansion
of one state too (a draw of rms=30000 makes one of tens of GiB)."""


@given(parameters())
@EXAMPLES
def test_malformed_parameters_elsewhere(case: tuple[str, list[str]]) -> None:
    spec, args = case
    run(["simulate", spec, *args, *WALKS])


def test_the_simulations_options_are_simulates() -> None:
    # What the test above runs, with plausible parameters: a search, not a usage error.
    r = run(["simulate", "two-phase-commit", "--param", "rms=2", "--faults", "none",
             "--variant", "tm-commits-early", *WALKS])
    assert r.exit_code == 1 and "invariant consistent is violated" in r.output, r.output


# -- malformed spec files --------------------------------------------------------------------------

SPEC = '''
from dataclasses import dataclass
from modelcheck import Record, Spec, set_at

@dataclass(frozen=True)
class Config:
    procs: int = 2

class State(Record):
    pc: tuple[str, ...]
    total: int

spec = Spec("fuzzed", Config, State)

@spec.init
def init(cfg: Config) -> State:
    return State(("read",) * cfg.procs, 0)

@spec.action(p=lambda cfg: range(cfg.procs))
def step(cfg: Config, s: State, p: int) -> State | None:
    if s.pc[p] != "read":
        return None
    return s.replace(pc=set_at(s.pc, p, "done"), total=s.total + 1)

@spec.terminal
def finished(cfg: Config, s: State) -> bool:
    return all(pc == "done" for pc in s.pc)

@spec.always
def bounded(cfg: Config, s: State) -> bool:
    return s.total <= cfg.procs
'''

SPEC_LINES = SPEC.splitlines()

REPLACEMENTS = [
    "", "    return None", "    return 1", "    return [1]", "    return {}",
    "    return s", "    raise ValueError('boom')", "    raise SystemExit(0)",
    "    raise KeyboardInterrupt", "    import sys; sys.setrecursionlimit(50)",
    "    return State(['read'] * cfg.procs, 0)", "    return State(('read',), 'x')",
    "    return s.replace(total=s.total - 1)", "    return 'yes'", "    return None if s else 2",
    "    global n; n = globals().get('n', 0) + 1; return s.replace(total=n % 3)",
    "    return s.replace(total=object())", "    return s.replace(pc=frozenset([1, '1']))",
    "@spec.always", "@spec.action", "@spec.init", "def broken(:", "    procs: int = -1",
    "    procs: int = 10**20", "    procs: str = 'x'", "import os", "x = 1/0",
]


@st.composite
def spec_files(draw: st.DrawFn) -> str:
    lines = list(SPEC_LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = draw(st.sampled_from(REPLACEMENTS))
    return "\n".join(lines) + "\n"


@given(spec_files(), st.sampled_from([[], ["--strategy", "dfs"], ["--strategy", "random",
                                                                  "--seed", "3", "--runs",
                                                                  "20"]]))
@EXAMPLES
@pytest.mark.slow
def test_malformed_spec_files(tmp_path: Path, source: str, strategy: list[str]) -> None:
    # One directory per example: a spec file is loaded once per process and path, so a
    # file rewritten in place would be the first example's spec again in every example.
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "fuzzed_spec.py"
    path.write_text(source, encoding="utf-8")
    run(["verify", str(path), *strategy, *BOUNDS, "-q"])


# -- the console entry point, as a process -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["verify", "two-phase-commit", "--param", "rms=nope"],
    ["trace", "show", "NESTED"],
    ["verify", "--all", "--junit", "FILE/x.xml", "--jobs", "1"],
    ["verify", "two-phase-commit", "--trace-out", "FILE/t.json"],
    ["verify", "two-phase-commit", "--resume", "FILE/checkpoint"],
])
def test_the_process_never_prints_a_traceback(tmp_path: Path, args: list[str]) -> None:
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 200_000 + "]" * 200_000)
    blocker = tmp_path / "file"  # a path under a file cannot be written, even by root
    blocker.write_text("")
    argv = [str(nested) if a == "NESTED" else a.replace("FILE", str(blocker)) for a in args]
    r = subprocess.run([sys.executable, "-m", "modelcheck", *argv], capture_output=True,
                       text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    assert r.stderr.startswith("error: "), r.stderr
