"""Long runs: checkpoints, resuming to the same final counts, and the memory limit."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interrupt import interrupt

from modelcheck import bind, check, load_spec, replay
from modelcheck.store import NO_PARENT

if TYPE_CHECKING:
    from conftest import CliResult, InvokeOutput, SpecVariant


TWO_PHASE_5 = (8_832, 58_146, 17)


def counts(r: object) -> tuple[int, int, int]:
    stats = r.stats  # type: ignore[attr-defined]
    return stats.distinct_states, stats.generated_states, stats.depth


def test_resume_reaches_the_same_counts(tmp_path: Path) -> None:
    spec = load_spec("two-phase-commit")
    cp = str(tmp_path / "cp")
    r = check(spec, params={"rms": 5}, checkpoint=cp, max_states=2_000, temporal=False)
    assert r.status == "incomplete" and r.details["checkpoint"] == cp
    seen = [r.stats.distinct_states]
    # Resume repeatedly under a growing limit: each run picks up where the last stopped.
    for limit in (4_000, 6_000):
        r = check(spec, params={"rms": 5}, resume=cp, max_states=limit, temporal=False)
        assert r.status == "incomplete"
        seen.append(r.stats.distinct_states)
    r = check(spec, params={"rms": 5}, resume=cp, temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert counts(r) == TWO_PHASE_5
    assert seen == sorted(seen) and seen[0] >= 2_000 and seen[-1] < 8_832
    assert r.details["resumed_from"]["distinct_states"] == seen[-1]


def test_periodic_checkpoints(tmp_path: Path) -> None:
    spec = load_spec("two-phase-commit")
    cp = tmp_path / "cp"
    r = check(spec, params={"rms": 5}, checkpoint=str(cp), checkpoint_every=1e-9,
              temporal=False)
    assert r.status == "ok" and counts(r) == TWO_PHASE_5
    meta = json.loads((cp / "meta.json").read_text())
    assert meta["generation"] > 10  # one per chunk at least
    assert (meta["distinct"], meta["expand_from"], meta["next_level"], meta["depth"]) == (
        8_832, 8_832, 8_832, 17)
    # Only the files the last checkpoint names are kept.
    assert sorted(p.name for p in cp.iterdir()) == ["meta.json", meta["store"]]
    again = check(spec, params={"rms": 5}, resume=str(cp), temporal=False)
    assert counts(again) == TWO_PHASE_5


def test_resumed_violation_is_a_shortest_replayable_trace(tmp_path: Path) -> None:
    spec = load_spec("two-phase-commit")
    direct = check(spec, variant="tm-commits-early", params={"rms": 4})
    cp = str(tmp_path / "cp")
    first = check(spec, variant="tm-commits-early", params={"rms": 4}, checkpoint=cp,
                  max_states=20, temporal=False)
    assert first.status == "incomplete"
    r = check(spec, variant="tm-commits-early", params={"rms": 4}, resume=cp,
              temporal=False)
    assert r.status == "violation" and direct.violation is not None
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == direct.violation.property
    assert r.violation.trace == direct.violation.trace
    replay(bind(spec, "tm-commits-early", {"rms": 4}), r.violation.trace)


def test_resume_refuses_another_model(cli_result: CliResult, tmp_path: Path) -> None:
    cp = str(tmp_path / "cp")
    check(load_spec("two-phase-commit"), params={"rms": 4}, checkpoint=cp, max_states=100,
          temporal=False)
    res = cli_result(["verify", "two-phase-commit", "--resume", cp,
                      "--no-temporal"])
    assert res.exit_code == 2
    assert "is of another model" in res.output and "'rms': 4" in res.output


@pytest.mark.parametrize(("damage", "message"), [
    ("meta", "meta.json is not readable JSON"),
    ("format", "is not a modelcheck-checkpoint/2 checkpoint"),
    ("none", "holds no checkpoint"),
    ("no store", "is incomplete: cannot read store-"),
    ("truncated store", "its checksum does not match its contents"),
    ("garbled store", "its checksum does not match its contents"),
    ("edited meta", "its checksum does not match its contents"),
    ("no checksum", "meta.json's 'sha256' is None"),
])
def test_damaged_checkpoint_is_a_clear_error(resume: Resume, tmp_path: Path, damage: str,
                                             message: str) -> None:
    cp, meta = _saved(tmp_path)
    store = cp / meta["store"]
    if damage == "meta":
        (cp / "meta.json").write_text("{not json")
    elif damage == "format":
        (cp / "meta.json").write_text(json.dumps(dict(meta, format="other/9")))
    elif damage == "none":
        cp = tmp_path / "empty"
        cp.mkdir()
    elif damage == "no store":
        store.unlink()
    elif damage == "truncated store":
        store.write_bytes(store.read_bytes()[:-100])
    elif damage == "garbled store":
        data = bytearray(store.read_bytes())
        data[-20] ^= 0xFF
        store.write_bytes(bytes(data))
    elif damage == "edited meta":
        (cp / "meta.json").write_text(json.dumps(dict(meta, generated=meta["generated"] + 1)))
    else:
        (cp / "meta.json").write_text(json.dumps({k: v for k, v in meta.items()
                                                  if k != "sha256"}))
    code, out = resume(cp)
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


# -- checkpoints are data ------------------------------------------------------------------

RMS_4 = ("--param", "rms=4")


def _saved(tmp_path: Path, *, variant: str | None = None, max_states: int = 100,
           spec: str = "two-phase-commit", **options: object) -> tuple[Path, dict[str, object]]:
    """A checkpoint of ``spec`` (rms=4 for two-phase commit) cut short by ``max_states``."""
    cp = tmp_path / "cp"
    params = {"rms": 4} if spec == "two-phase-commit" else {}
    r = check(load_spec(spec), variant=variant, params=params, checkpoint=str(cp),
              max_states=max_states, temporal=False, **options)  # type: ignore[arg-type]
    assert r.status == "incomplete", r.message
    return cp, json.loads((cp / "meta.json").read_text())


Resume = Callable[..., tuple[int, str]]
"""``resume(cp, *args, spec=...) -> (exit code, output)``."""


@pytest.fixture
def resume(invoke_output: InvokeOutput) -> Resume:
    """``resume(cp, *args, spec=...)``: exit code and output of ``modelcheck verify SPEC
    --resume CP ARGS``."""
    def resume(cp: Path, *args: str, spec: str = "two-phase-commit") -> tuple[int, str]:
        extra = RMS_4 if spec == "two-phase-commit" else ()
        return invoke_output("verify", spec, *extra, "--resume", cp, "--no-temporal", *args)
    return resume


def reseal(cp: Path, table: npt.NDArray[np.int64] | None = None, raw: bytes | None = None,
           **changes: object) -> None:
    """Change a checkpoint's meta fields or store, and write the checksum that matches:
    what a forger who knows the format can do."""
    meta = json.loads((cp / "meta.json").read_text())
    meta.update(changes)
    store = cp / meta["store"]
    if table is not None:
        np.save(store, table, allow_pickle=False)
    if raw is not None:
        store.write_bytes(raw)
    fields = {k: v for k, v in meta.items() if k != "sha256"}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=True)
    digest = hashlib.sha256(store.read_bytes()).hexdigest()
    meta["sha256"] = hashlib.sha256(f"{digest}\n{text}".encode()).hexdigest()
    (cp / "meta.json").write_text(json.dumps(meta))


def _table(cp: Path, meta: dict[str, object]) -> npt.NDArray[np.int64]:
    table: npt.NDArray[np.int64] = np.load(cp / str(meta["store"]), allow_pickle=False)
    return table


def test_a_resealed_checkpoint_resumes_as_it_was(resume: Resume, tmp_path: Path) -> None:
    # The forger's tool writes the checksum modelcheck expects: resealing changes nothing.
    cp, _ = _saved(tmp_path)
    reseal(cp)
    code, out = resume(cp, "--json")
    assert code == 0, out
    stats = json.loads(out)["stats"]
    assert (stats["distinct_states"], stats["generated_states"], stats["depth"]) == (
        1_568, 8_258, 14)


def test_a_checkpoint_of_another_fingerprint_encoding_is_refused(resume: Resume,
                                                                 tmp_path: Path) -> None:
    cp, _ = _saved(tmp_path)
    reseal(cp, fingerprints="modelcheck-fingerprint/0")
    code, out = resume(cp)
    assert code == 2, out
    assert "holds fingerprints of another encoding" in out


class _Planted:
    """A pickle that creates ``marker`` when it is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (self.marker,))


@pytest.mark.parametrize("payload", ["planted", "wrong-shape", "empty-frontier"])
def test_a_pickled_checkpoint_is_refused_and_never_unpickled(resume: Resume, tmp_path: Path,
                                                             payload: str) -> None:
    # The format of earlier versions: the frontier's states pickled beside the store.
    marker = tmp_path / "MARKER"
    pickled = {"planted": pickle.dumps(_Planted(marker)), "wrong-shape": pickle.dumps(42),
               "empty-frontier": pickle.dumps(([], []))}[payload]
    cp = tmp_path / "cp"
    cp.mkdir()
    links = np.array([NO_PARENT], dtype=np.int64) << 32  # the one initial state, init 0
    np.save(cp / "store-1.npy", np.stack([np.array([7]), links], axis=1))
    (cp / "frontier-1.pickle").write_bytes(pickled)
    model = bind(load_spec("two-phase-commit"), None, {"rms": 4})
    (cp / "meta.json").write_text(json.dumps({
        "format": "modelcheck-checkpoint/1", "generation": 1, "store": "store-1.npy",
        "frontier": "frontier-1.pickle", "spec": "two-phase-commit", "variant": None,
        "params": model.params, "symmetry": False, "depth": 1, "level_start": 0,
        "generated": 1, "distinct": 1, "seconds": 0.0, "cut": False,
        "pending_sometimes": [], "probes": {"str": 1, "none": 2}, "hash_seed": None}))
    code, out = resume(cp)
    assert not marker.exists(), "resuming ran code from the checkpoint"
    assert code == 2, out
    assert "written by an earlier modelcheck, in a format that stored states as pickles" in out
    assert "Traceback" not in out


def test_a_pickle_in_place_of_the_store_is_never_loaded(resume: Resume, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    cp, _ = _saved(tmp_path)
    reseal(cp, raw=pickle.dumps(_Planted(marker)))
    code, out = resume(cp)
    assert not marker.exists()
    assert code == 2 and "is not a store table" in out, out


def _forge(cp: Path, meta: dict[str, object], forgery: str) -> None:
    table = _table(cp, meta)
    n = len(table)
    links = table[:, 1]
    if forgery == "distinct":
        reseal(cp, distinct=n + 1)
    elif forgery == "fewer generated":
        reseal(cp, generated=n - 1)
    elif forgery == "depth":
        reseal(cp, depth=int(meta["depth"]) + 1)  # type: ignore[call-overload]
    elif forgery == "next level":
        reseal(cp, next_level=int(meta["next_level"]) + 1)  # type: ignore[call-overload]
    elif forgery == "expand beyond":
        reseal(cp, expand_from=int(meta["next_level"]) + 1)  # type: ignore[call-overload]
    elif forgery == "count as text":
        reseal(cp, distinct="many")
    elif forgery == "store path":  # refused before anything is read
        (cp / "meta.json").write_text(json.dumps(dict(meta, store="../elsewhere.npy")))
    elif forgery == "cut store":
        reseal(cp, raw=(cp / str(meta["store"])).read_bytes()[:-100])
    elif forgery == "rows announced":  # a header promising far more rows than follow
        raw = (cp / str(meta["store"])).read_bytes()
        assert raw.count(b"(134, 2)") == 1 and b" " * 20 + b"\n" in raw
        reseal(cp, raw=raw.replace(b"(134, 2)", b"(10000000000000, 2)").replace(
            b" " * 11 + b"\n", b"\n", 1))
    elif forgery == "seconds not a number":
        text = (cp / "meta.json").read_text()
        (cp / "meta.json").write_text(text.replace(f'"seconds": {meta["seconds"]}',
                                                   '"seconds": NaN'))
    elif forgery == "deep meta":
        (cp / "meta.json").write_text('{"format": "modelcheck-checkpoint/2", "x": ' +
                                      "[" * 100_000 + "]" * 100_000 + "}")
    elif forgery == "fewer rows":
        reseal(cp, table=table[:-1].copy())
    elif forgery == "duplicate fingerprint":
        table[1, 0] = table[0, 0]
        reseal(cp, table=table)
    elif forgery == "parent after child":
        links[n - 1] = (n - 1 << 32) | (int(links[n - 1]) & 0xFFFFFFFF)
        reseal(cp, table=table)
    elif forgery == "parents out of order":
        links[[n - 2, n - 1]] = [links[n - 1], links[n - 2]]
        reseal(cp, table=table)
    elif forgery == "no initial state":
        links[0] = (1 << 32) | 0
        reseal(cp, table=table)
    elif forgery == "action out of range":
        links[n - 1] = (links[n - 1] >> 32 << 32) | 60_000
        reseal(cp, table=table)
    elif forgery == "other fingerprints":
        table[:, 0] += 1
        reseal(cp, table=table)
    elif forgery == "other action":
        a = int(links[n - 1]) & 0xFFFFFFFF
        links[n - 1] = (links[n - 1] >> 32 << 32) | (a + 1 if a < 10 else a - 1)
        reseal(cp, table=table)
    elif forgery == "old store named":  # refused when it cannot be read
        (cp / "meta.json").write_text(json.dumps(dict(meta, store="store-0.npy")))
    else:
        raise AssertionError(forgery)


@pytest.mark.parametrize(("forgery", "message"), [
    ("distinct", "inconsistent: meta.json counts 135 states, the store holds 134"),
    ("fewer generated", "inconsistent: 133 states generated, fewer than the 134 stored"),
    ("depth", "inconsistent: meta.json puts the search at depth 4"),
    ("next level", "inconsistent: meta.json puts the search at depth 3 with the next level "
                   "from state 47"),
    ("expand beyond", "inconsistent: the position in the level (47, next level from 46)"),
    ("count as text", "corrupt: meta.json's 'distinct' is 'many'"),
    ("store path", "corrupt: meta.json names store file '../elsewhere.npy'"),
    ("old store named", "is incomplete: cannot read store-0.npy"),
    ("cut store", "is not a store table"),
    ("fewer rows", "inconsistent: meta.json counts 134 states, the store holds 133"),
    ("rows announced", "is not a store table"),
    ("seconds not a number", "corrupt: meta.json's 'seconds' is nan"),
    ("deep meta", "meta.json is not readable JSON"),
    ("duplicate fingerprint", "the stored fingerprints are not sorted and distinct"),
    ("parent after child", "a state is stored before its parent"),
    ("parents out of order", "the states are not stored in breadth-first order"),
    ("no initial state", "the initial states are not stored first"),
    ("action out of range", "an action index is beyond the model's 22 instances"),
    ("other fingerprints", "re-executing the path to stored state 0 (init) gives a state "
                           "the checkpoint lacks"),
    ("other action", "re-executing the path to stored state 133"),
])
def test_an_inconsistent_checkpoint_is_refused(resume: Resume, tmp_path: Path, forgery: str,
                                               message: str) -> None:
    # At a chunk's end: the state limit kept none of its new states out.
    cp, meta = _saved(tmp_path, max_states=134)
    assert (meta["distinct"], meta["depth"], meta["expand_from"], meta["next_level"]) == (
        134, 3, 46, 46)
    _forge(cp, meta, forgery)
    code, out = resume(cp)
    assert code == 2, out
    assert message in out, out
    assert "Traceback" not in out


_CLIMB = """
from dataclasses import dataclass
from modelcheck import Record, Spec

@dataclass(frozen=True)
class Config:
    top: int = 6

class State(Record):
    n: int

spec = Spec("climb", Config, State)

@spec.init
def init(cfg: Config) -> State:
    return State(0)

@spec.action(d=lambda cfg: (1, 2))
def up(cfg: Config, s: State, d: int) -> State | None:
    return s.replace(n=s.n + d) if s.n + d <= cfg.top else None

@spec.terminal
def at_top(cfg: Config, s: State) -> bool:
    return s.n >= cfg.top - 1

@spec.always
def never_five(cfg: Config, s: State) -> bool:
    return s.n != 5
"""


@pytest.mark.parametrize("forgery", ["as saved", "resealed", "depth unchanged", "unsealed"])
def test_a_checkpoint_forged_to_claim_the_search_done_is_refused(resume: Resume, tmp_path: Path,
                                                                 forgery: str) -> None:
    # Levels {0}, {1, 2}, {3, 4}, {5, 6}: n = 5 violates never_five at depth 4. Saved after
    # the first level, then forged to say the second was expanded and found nothing new:
    # resumed, that would pass.
    climb = tmp_path / "climb.py"
    climb.write_text(_CLIMB, encoding="utf-8")
    cp, meta = _saved(tmp_path, spec=str(climb), max_states=3)
    assert (meta["distinct"], meta["depth"], meta["expand_from"], meta["next_level"]) == (
        3, 1, 1, 1)
    if forgery == "resealed":
        reseal(cp, depth=2, expand_from=3, next_level=3)
    elif forgery == "depth unchanged":
        reseal(cp, expand_from=3, next_level=3)
    elif forgery == "unsealed":
        (cp / "meta.json").write_text(json.dumps(dict(meta, depth=2, expand_from=3,
                                                      next_level=3)))
    code, out = resume(cp, spec=str(climb))
    if forgery == "as saved":
        assert code == 1 and "invariant never_five is violated after 3 steps" in out, out
        return
    assert code == 2, out
    assert {"resealed": "re-executing the path to stored state 1 and taking up(d=2) gives a "
                        "state the checkpoint lacks, though it says the state was expanded",
            "depth unchanged": "meta.json puts the search at depth 1 with the next level from "
                               "state 3, but the store holds 2 levels",
            "unsealed": "its checksum does not match its contents"}[forgery] in out, out


def test_a_checkpoint_of_another_version_of_the_spec_is_refused(
        resume: Resume, spec_variant: SpecVariant, tmp_path: Path) -> None:
    old = 'rm_state=set_at(s.rm_state, rm, "prepared"),'
    v1 = spec_variant("two_phase_commit", "v1", old, old)
    v2 = spec_variant("two_phase_commit", "v2", old, 'rm_state=set_at(s.rm_state, rm, "ready"),')
    cp, _ = _saved(tmp_path, spec=str(v1), max_states=100)
    code, out = resume(cp, "--param", "rms=3", spec=str(v2))
    assert code == 2, out
    assert "does not match spec 'two-phase-commit' as it is now: re-executing the path to " \
           "stored state" in out and "(rm_prepare(rm=" in out
    code, out = resume(cp, "--param", "rms=3", "--json", spec=str(v1))
    assert code == 0 and json.loads(out)["stats"]["distinct_states"] == 288


def test_resume_needs_the_options_the_search_was_saved_with(resume: Resume, tmp_path: Path) -> None:
    # Saved without deadlock checks, the states already expanded were never checked for one.
    cp, _ = _saved(tmp_path, deadlock=False)
    code, out = resume(cp)
    assert code == 2
    assert "was saved by a search with no --max-depth, --no-deadlock; resume it with the " \
           "same options (this one has no --max-depth, deadlock checks)" in out
    assert resume(cp, "--no-deadlock")[0] == 0
    cp2, _ = _saved(tmp_path / "2", max_depth=5)
    code, out = resume(cp2)
    assert code == 2
    assert out == (f"error: checkpoint {cp2} was saved by a search with --max-depth 5, "
                   "deadlock checks; resume it with the same options (this one has no "
                   "--max-depth, deadlock checks)\n")
    assert resume(cp2, "--max-depth", "5")[0] == 0


def test_saving_deletes_only_the_files_a_checkpoint_writes(tmp_path: Path) -> None:
    cp = tmp_path / "cp"
    cp.mkdir()
    victim = tmp_path / "victim.npy"
    victim.write_text("keep me")
    (cp / "meta.json").write_text(json.dumps({
        "format": "modelcheck-checkpoint/2", "generation": 4, "store": "../victim.npy"}))
    r = check(load_spec("two-phase-commit"), checkpoint=str(cp), temporal=False)
    assert r.status == "ok" and victim.read_text() == "keep me"
    assert sorted(p.name for p in cp.iterdir()) == ["meta.json", "store-5.npy"]


def test_checkpoint_options_need_one_bfs_process(cli_result: CliResult, tmp_path: Path) -> None:
    for extra, refusal in (
            (["--workers", "2"], "checkpoints are taken by single-process searches; drop "
                                 "--workers and --scheduler to use --checkpoint or --resume"),
            (["--strategy", "dfs"], "workers, a scheduler and checkpoints need --strategy bfs")):
        res = cli_result(["verify", "raft", "--checkpoint", str(tmp_path),
                          "--no-temporal", *extra])
        assert res.exit_code == 2 and res.output == f"error: {refusal}\n", res.output


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "modelcheck", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


@pytest.mark.slow
def test_ctrl_c_saves_and_the_command_resumes(tmp_path: Path) -> None:
    cp = str(tmp_path / "cp")
    args = ["verify", "two-phase-commit", "--param", "rms=7", "--checkpoint", cp,
            "--checkpoint-every", "3600", "--no-temporal"]
    # Saved under a random hash seed and resumed under another: fingerprints do not
    # depend on the process.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    r = interrupt(*args, env=env, timeout=120)
    assert r.returncode == 3, r.out
    assert "stopped: interrupted" in r.out
    meta = json.loads((Path(cp) / "meta.json").read_text())
    assert meta["fingerprints"] == "modelcheck-fingerprint/1"
    assert 0 < meta["distinct"] < 296_448
    done = _cli("verify", "two-phase-commit", "--param", "rms=7", "--resume", cp, "--json",
                "--no-temporal", env=dict(env, PYTHONHASHSEED="7"))
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    stats = json.loads(out)["stats"]
    assert (stats["distinct_states"], stats["generated_states"], stats["depth"]) == (
        296_448, 2_744_706, 23)


def test_memory_limit_stops_incomplete(cli_result: CliResult) -> None:
    r = check(load_spec("two-phase-commit"), params={"rms": 7}, max_memory=1)
    assert r.status == "incomplete" and r.exit_code == 3
    assert r.stopped is not None and r.stopped.startswith("memory limit of 1 B reached (")
    res = cli_result(["verify", "two-phase-commit", "--max-memory", "1K"])
    assert res.exit_code == 3 and "memory limit of 1.0 KiB reached" in res.output
    res = cli_result(["verify", "two-phase-commit", "--max-memory", "lots"])
    assert res.exit_code == 2 and "expected a size such as 4G" in res.output


def test_resume_with_symmetry(cli_result: CliResult, tmp_path: Path) -> None:
    spec = load_spec("two-phase-commit")
    cp = str(tmp_path / "cp")
    first = check(spec, params={"rms": 5}, symmetry=True, checkpoint=cp, max_states=100,
                  temporal=False)
    assert first.status == "incomplete"
    r = check(spec, params={"rms": 5}, symmetry=True, resume=cp, temporal=False)
    assert (r.status, r.stats.distinct_states, r.stats.generated_states) == ("ok", 314, 2_048)
    res = cli_result(["verify", "two-phase-commit", "--param", "rms=5",
                      "--resume", cp, "--no-temporal"])
    assert res.exit_code == 2 and "is of another model" in res.output


@pytest.mark.slow
def test_resume_with_symmetry_from_within_a_level(tmp_path: Path) -> None:
    # The store links the successors themselves, not their orbits' representatives, so
    # the rebuilt frontier is the one the search held: same counts, same trace.
    spec = load_spec("replication")
    none = {"faults": "none"}  # the entry without its default crash
    direct = check(spec, variant="no-read-repair", params=none, symmetry=True, temporal=False)
    assert direct.violation is not None and direct.violation.trace is not None
    cp = tmp_path / "cp"
    first = check(spec, variant="no-read-repair", params=none, symmetry=True, checkpoint=str(cp),
                  checkpoint_every=1e-9, max_states=1_200, temporal=False)
    assert first.status == "incomplete"
    meta = json.loads((cp / "meta.json").read_text())
    assert meta["expand_from"] < meta["next_level"] < meta["distinct"]  # within a level
    r = check(spec, variant="no-read-repair", params=none, symmetry=True, resume=str(cp),
              temporal=False)
    assert r.violation is not None
    assert r.violation.trace == direct.violation.trace
    assert counts(r) == counts(direct) == (1_995, 5_592, 9)
    whole = check(spec, params=none, symmetry=True, temporal=False)
    cp2 = tmp_path / "cp2"
    seen = []
    for limit in (3_000, 6_000, None):
        r = check(spec, params=none, symmetry=True, checkpoint=str(cp2), checkpoint_every=1e-9,
                  resume=str(cp2) if seen else None, max_states=limit, temporal=False)
        seen.append(r.status)
    assert seen == ["incomplete", "incomplete", "ok"]
    assert counts(r) == counts(whole) == (10_268, 40_535, 14)


@pytest.mark.slow
def test_sigterm_saves_the_checkpoint_and_the_command_resumes(tmp_path: Path) -> None:
    cp = str(tmp_path / "cp")
    r = interrupt("verify", "two-phase-commit", "--param", "rms=7", "--checkpoint", cp,
                  "--checkpoint-every", "3600", "--no-temporal", sig=signal.SIGTERM,
                  timeout=120)
    assert r.returncode == 3, (r.out, r.err)
    assert "stopped: interrupted; no violation found so far" in r.out
    assert "Traceback" not in r.err
    meta = json.loads((Path(cp) / "meta.json").read_text())
    assert 0 < meta["distinct"] < 296_448
    done = _cli("verify", "two-phase-commit", "--param", "rms=7", "--resume", cp, "--json",
                "--no-temporal")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    stats = json.loads(out)["stats"]
    assert (stats["distinct_states"], stats["generated_states"], stats["depth"]) == (
        296_448, 2_744_706, 23)


@pytest.mark.parametrize("args", [
    ["verify", "--strategy", "bfs"], ["verify", "--strategy", "dfs"],
    ["verify", "--strategy", "random", "--runs", "100000000"],
    ["verify", "--workers", "2"], ["simulate", "--runs", "100000000"]],
    ids=["bfs", "dfs", "random", "workers", "simulate"])
@pytest.mark.slow
def test_sigterm_stops_every_search_as_ctrl_c_does(args: list[str]) -> None:
    command, *options = args
    r = interrupt(command, "two-phase-commit", "--param", "rms=7", *options,
                  *(["--no-temporal"] if command == "verify" else []), sig=signal.SIGTERM)
    assert r.returncode == 3, (r.out, r.err)
    assert "stopped: interrupted; no violation found so far" in r.out
    assert "distinct states" in r.out or "walks" in r.out
    assert "Traceback" not in r.err


def test_sigterm_ends_the_search_and_no_other_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelcheck._signals
    monkeypatch.setattr(modelcheck._signals, "_terminated", False)
    spec = load_spec("two-phase-commit")

    def terminate(progress: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    r = check(spec, params={"rms": 5}, progress=terminate, temporal=False)
    assert (r.status, r.stopped, r.exit_code) == ("incomplete", "interrupted", 3)
    assert 0 < r.stats.distinct_states < 8_832
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    # The signal asked the process to stop: a program checking models in turn stops too.
    with pytest.raises(KeyboardInterrupt):
        check(spec, params={"rms": 3}, temporal=False)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)
_META_KEYS = ["format", "generation", "store", "model", "options", "depth", "expand_from",
              "next_level", "distinct", "generated", "seconds", "cut", "pending_sometimes",
              "fingerprints", "sha256"]


@pytest.fixture(scope="module")
def saved_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cp, meta = _saved(tmp_path_factory.mktemp("base"), max_states=200)
    assert meta["expand_from"] != meta["distinct"]
    return cp


@settings(max_examples=int(os.environ.get("TAMPER_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=3),
       edits=st.dictionaries(st.sampled_from(_META_KEYS), _JSON_VALUES, max_size=2),
       sealed=st.booleans())
@pytest.mark.slow
def test_a_tampered_checkpoint_is_refused_or_resumes_exactly(
        cli_result: CliResult,
        saved_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory,
        flips: list[tuple[int, int]], edits: dict[str, object], sealed: bool) -> None:
    # Whatever is changed, and whether or not the checksum is recomputed to match: the
    # resumed search is refused (exit 2), or gives an uninterrupted run's verdict and
    # counts (the generated count and the time are the checkpoint's word).
    cp = tmp_path_factory.mktemp("tampered") / "cp"
    shutil.copytree(saved_checkpoint, cp)
    meta = json.loads((cp / "meta.json").read_text())
    store = cp / meta["store"]
    data = bytearray(store.read_bytes())
    for at, xor in flips:
        data[at % len(data)] ^= xor
    store.write_bytes(bytes(data))
    meta.update(edits)
    (cp / "meta.json").write_text(json.dumps(meta))
    if sealed and isinstance(meta.get("store"), str) and (cp / meta["store"]).is_file():
        reseal(cp)
    res = cli_result(["verify", "two-phase-commit", *RMS_4, "--resume", str(cp),
                      "--no-temporal", "--json"])
    assert res.exit_code in (0, 2), res.output
    assert "Traceback" not in res.output
    if res.exit_code == 0:
        result = json.loads(res.stdout)
        assert (result["status"], result["stats"]["distinct_states"],
                result["stats"]["depth"]) == ("ok", 1_568, 14)
    else:
        assert json.loads(res.stdout)["status"] == "error"


def test_an_unwritable_checkpoint_directory_is_refused_before_the_search(cli_result: CliResult,
                                                                         tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = cli_result(["verify", "two-phase-commit", "--checkpoint",
                      str(blocker / "cp"), "--no-temporal"])
    assert res.exit_code == 2
    assert res.output == (f"error: cannot write checkpoints to {blocker / 'cp'}: Not a "
                          "directory\n")
