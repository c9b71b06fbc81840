"""The command line: catalogue listing, spec display, verify's output, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from interrupt import interrupt

import modelcheck
from modelcheck import Trace, bind, load_spec, replay

if TYPE_CHECKING:
    from conftest import Invoke

RESULT_KEYS = {"spec", "variant", "params", "strategy", "status", "exhaustive", "violation",
               "stats", "error", "stopped"}


def test_list_json_records_every_entry_with_its_expectation(invoke: Invoke) -> None:
    code, out, _ = invoke("list", "--json")
    assert code == 0
    rows = json.loads(out)
    by_key = {(r["spec"], r["variant"]): r for r in rows}
    assert by_key[("two-phase-commit", None)]["expect"] == {"status": "ok", "property": None}
    assert by_key[("two-phase-commit", "tm-commits-early")]["expect"] == {
        "status": "violation", "property": "consistent"}
    assert by_key[("two-phase-commit", "tm-commits-early")]["params"] == {
        "tm_commit_early": True}
    assert {"raft", "transaction-commit"} <= {r["spec"] for r in rows}


def test_list_text(invoke: Invoke) -> None:
    code, out, _ = invoke("list")
    assert code == 0
    assert "two-phase-commit --variant tm-commits-early" in out
    assert "violates consistent" in out


def test_show_lists_params_actions_properties_and_variants(invoke: Invoke) -> None:
    code, out, _ = invoke("show", "two-phase-commit")
    assert code == 0
    for text in ("rms: int = 3", "rm_prepare(rm ∈ [0, 1, 2]) [3 instances]",
                 "tm_commit [1 instance] — ",
                 "consistent [invariant]", "all_committed [sometimes]",
                 "tm-commits-early: violates consistent", "TwoPhase.tla"):
        assert text in out, text


def test_show_takes_a_configuration_and_elides_long_domains(invoke: Invoke) -> None:
    code, out, _ = invoke("show", "two-phase-commit", "--variant", "tm-commits-early",
                          "--param", "rms=5")
    assert code == 0
    assert "Configuration: --variant tm-commits-early --param rms=5" in out
    assert "rms: int = 5" in out and "rm_prepare(rm ∈ [0, 1, 2, 3, 4]) [5 instances]" in out
    deliver = next(line for line in out.splitlines() if line.startswith("  deliver("))
    assert "…] (" in deliver and " values)" in out and len(deliver) <= 100
    lines = out.splitlines()
    actions = lines[lines.index("Actions:"):lines.index("Properties:")]
    assert max(map(len, actions)) <= 100


def test_verify_json_contract_ok(invoke: Invoke) -> None:
    code, out, err = invoke("verify", "two-phase-commit", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data.keys() >= RESULT_KEYS
    assert data["status"] == "ok" and data["exhaustive"] is True and data["violation"] is None
    assert data["params"] == {"rms": 3, "tm_commit_early": False, "faults": "none"}
    assert data["stats"]["distinct_states"] == 288
    assert data["stats"]["generated_states"] == 1146
    assert data["stats"]["depth"] == 11
    assert 0 < data["stats"]["fingerprint_collision_probability"] < 1e-9


def test_verify_json_params_scale(invoke: Invoke) -> None:
    code, out, _ = invoke("verify", "two-phase-commit", "--json", "--param", "rms=5")
    data = json.loads(out)
    assert code == 0
    assert (data["stats"]["distinct_states"], data["stats"]["generated_states"]) == (8832, 58146)


def test_transaction_commit_json(invoke: Invoke) -> None:
    code, out, _ = invoke("verify", "transaction-commit", "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["stats"]["distinct_states"], data["stats"]["generated_states"]) == (34, 94)


def test_verify_violation_json_and_trace_out(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "cex.json"
    code, out, _ = invoke("verify", "two-phase-commit", "--variant", "tm-commits-early",
                          "--json", "--trace-out", str(path))
    assert code == 1
    data = json.loads(out)
    assert data["status"] == "violation"
    v = data["violation"]
    assert (v["property"], v["kind"]) == ("consistent", "invariant")
    assert v["trace"]["format"] == "modelcheck-trace/1"
    assert len(v["trace"]["steps"]) == 6 and v["trace"]["loop_start"] is None
    saved = Trace.load(path)
    assert saved.to_json() == v["trace"]
    model = bind(load_spec("two-phase-commit"), "tm-commits-early")
    assert len(replay(model, saved)) == 6


def test_verify_violation_text_shows_changed_fields_only(invoke: Invoke) -> None:
    code, out, _ = invoke("verify", "two-phase-commit", "--variant", "tm-commits-early")
    assert code == 1
    assert "✗ invariant consistent is violated after 5 steps" in out
    assert "rm_state[1]: working → aborted" in out
    assert "msgs + Commit(rm=0)" in out
    assert out.count("tm_prepared:") == 1  # shown in full only for the initial state


def test_bounds_and_exit_codes(invoke: Invoke) -> None:
    # A bounded search leaves all_decide unchecked (it needs the whole graph) and says so.
    code, out, _ = invoke("verify", "two-phase-commit", "--max-depth", "5", "--json",
                          "--no-temporal")
    data = json.loads(out)
    assert code == 0 and data["status"] == "ok" and data["exhaustive"] is False
    assert data["stopped"] == "depth limit of 5 reached"
    code, out, _ = invoke("verify", "two-phase-commit", "--max-depth", "11", "--json")
    assert json.loads(out)["exhaustive"] is True
    code, out, _ = invoke("verify", "two-phase-commit", "--max-states", "100", "--json")
    data = json.loads(out)
    assert code == 3 and data["status"] == "incomplete"
    assert data["stopped"].startswith("state limit of 100")
    assert data["stats"]["distinct_states"] >= 100


def test_deadlock_is_a_violation_unless_turned_off(invoke: Invoke) -> None:
    spec = str(Path(__file__).parent / "specs_bad" / "counter.py") + ":spec"
    code, out, _ = invoke("verify", spec, "--param", "stuck_at=1", "--json")
    v = json.loads(out)["violation"]
    assert code == 1
    assert (v["property"], v["kind"], len(v["trace"]["steps"])) == ("deadlock", "deadlock", 2)
    code, out, _ = invoke("verify", spec, "--param", "stuck_at=1", "--no-deadlock", "--json")
    assert code == 0
    assert json.loads(out)["stats"]["distinct_states"] == 2


def test_module_attribute_reference(invoke: Invoke) -> None:
    code, out, _ = invoke("verify", "modelcheck_specs.transaction_commit:spec", "--json")
    assert code == 0 and json.loads(out)["stats"]["distinct_states"] == 34


@pytest.mark.slow
def test_ctrl_c_reports_what_was_explored_and_exits_3() -> None:
    r = interrupt("verify", "two-phase-commit", "--param", "rms=9")
    assert r.returncode == 3, (r.out, r.err)
    assert "stopped: interrupted" in r.out
    assert "distinct states" in r.out
    assert "Traceback" not in r.err


@pytest.mark.slow
def test_progress_on_stderr_for_long_runs_and_none_with_json() -> None:
    args = [sys.executable, "-m", "modelcheck", "verify", "two-phase-commit", "--param",
            "rms=8", "--time-limit", "2.5"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 3
    assert "states/s" in r.stderr and "queue" in r.stderr and "depth" in r.stderr
    assert "stopped: time limit of 2.5 s reached" in r.stdout
    r = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3 and r.stderr == ""
    assert json.loads(r.stdout)["status"] == "incomplete"


def test_version_is_the_package_version(invoke: Invoke) -> None:
    assert invoke("--version") == (0, f"modelcheck, version {modelcheck.__version__}\n", "")


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["verify", "--help"],
                                  ["show", "raft"], ["no-such-command"],
                                  ["verify", "no-such-spec"]])
def test_python_m_modelcheck_is_the_command(args: list[str], tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "modelcheck"  # the console script beside python
    runs = [subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
            for command in ([sys.executable, "-m", "modelcheck", *args], [str(script), *args])]
    as_module, as_script = ((r.returncode, r.stdout, r.stderr) for r in runs)
    assert as_module == as_script
