"""Long runs: checkpoints, resuming to the same final counts, and the memory limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from interrupt import interrupt

from modelcheck import bind, check, load_spec, replay
from modelcheck.cli import cli

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
    assert meta["distinct"] == 8_832 and meta["level_start"] == 8_832
    # Only the files the last checkpoint names are kept.
    assert sorted(p.name for p in cp.iterdir()) == sorted(
        ["meta.json", meta["store"], meta["frontier"]])
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


def test_resume_refuses_another_model(tmp_path: Path) -> None:
    cp = str(tmp_path / "cp")
    check(load_spec("two-phase-commit"), params={"rms": 4}, checkpoint=cp, max_states=100,
          temporal=False)
    res = CliRunner().invoke(cli, ["verify", "two-phase-commit", "--resume", cp,
                                   "--no-temporal"])
    assert res.exit_code == 2
    assert "is of another model" in res.output and "'rms': 4" in res.output


@pytest.mark.parametrize(("damage", "message"), [
    ("meta", "meta.json is not readable JSON"),
    ("frontier", "is corrupt or incomplete"),
    ("format", "is not a modelcheck-checkpoint/1 checkpoint"),
    ("none", "holds no checkpoint"),
])
def test_damaged_checkpoint_is_a_clear_error(tmp_path: Path, damage: str, message: str) -> None:
    cp = tmp_path / "cp"
    check(load_spec("two-phase-commit"), checkpoint=str(cp), max_states=100, temporal=False)
    meta = json.loads((cp / "meta.json").read_text())
    if damage == "meta":
        (cp / "meta.json").write_text("{not json")
    elif damage == "frontier":
        (cp / meta["frontier"]).write_bytes(b"\x80\x05garbage")
    elif damage == "format":
        (cp / "meta.json").write_text(json.dumps(dict(meta, format="other/9")))
    else:
        cp = tmp_path / "empty"
        cp.mkdir()
    res = CliRunner().invoke(cli, ["verify", "two-phase-commit", "--resume", str(cp),
                                   "--no-temporal"])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_checkpoint_options_need_one_bfs_process(tmp_path: Path) -> None:
    for extra in (["--workers", "2"], ["--strategy", "dfs"]):
        res = CliRunner().invoke(cli, ["verify", "raft", "--checkpoint", str(tmp_path),
                                       "--no-temporal", *extra])
        assert res.exit_code == 2 and "error:" in res.output


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "modelcheck", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def test_ctrl_c_saves_and_the_command_resumes(tmp_path: Path) -> None:
    cp = str(tmp_path / "cp")
    args = ["verify", "two-phase-commit", "--param", "rms=7", "--checkpoint", cp,
            "--checkpoint-every", "3600", "--no-temporal"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    r = interrupt(*args, env=env, timeout=120)
    assert r.returncode == 3, r.out
    assert "stopped: interrupted" in r.out
    meta = json.loads((Path(cp) / "meta.json").read_text())
    assert meta["hash_seed"] == "0"  # the command fixed the seed for its checkpoints
    assert 0 < meta["distinct"] < 296_448
    done = _cli("verify", "two-phase-commit", "--param", "rms=7", "--resume", cp, "--json",
                "--no-temporal", env=env)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    stats = json.loads(out)["stats"]
    assert (stats["distinct_states"], stats["generated_states"], stats["depth"]) == (
        296_448, 2_744_706, 23)
    other = _cli("verify", "two-phase-commit", "--param", "rms=7", "--resume", cp,
                 "--no-temporal", env=dict(env, PYTHONHASHSEED="7"))
    _, err = other.communicate(timeout=60)
    assert other.returncode == 2
    assert "hashes differently" in err and "PYTHONHASHSEED=0" in err


def test_memory_limit_stops_incomplete() -> None:
    r = check(load_spec("two-phase-commit"), params={"rms": 7}, max_memory=1)
    assert r.status == "incomplete" and r.exit_code == 3
    assert r.stopped is not None and r.stopped.startswith("memory limit of 1 B reached (")
    res = CliRunner().invoke(cli, ["verify", "two-phase-commit", "--max-memory", "1K"])
    assert res.exit_code == 3 and "memory limit of 1.0 KiB reached" in res.output
    res = CliRunner().invoke(cli, ["verify", "two-phase-commit", "--max-memory", "lots"])
    assert res.exit_code == 2 and "expected a size such as 4G" in res.output


def test_resume_with_symmetry(tmp_path: Path) -> None:
    spec = load_spec("two-phase-commit")
    cp = str(tmp_path / "cp")
    first = check(spec, params={"rms": 5}, symmetry=True, checkpoint=cp, max_states=100,
                  temporal=False)
    assert first.status == "incomplete"
    r = check(spec, params={"rms": 5}, symmetry=True, resume=cp, temporal=False)
    assert (r.status, r.stats.distinct_states, r.stats.generated_states) == ("ok", 314, 2_048)
    res = CliRunner().invoke(cli, ["verify", "two-phase-commit", "--param", "rms=5",
                                   "--resume", cp, "--no-temporal"])
    assert res.exit_code == 2 and "is of another model" in res.output
