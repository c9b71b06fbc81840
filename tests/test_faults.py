"""Each fault of the menu: a small spec that breaks only under that fault, with a shortest
trace holding exactly that fault's step; and the usage errors of a bad fault setting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import Spec, SpecDefinitionError, UsageError, check
from modelcheck.catalogue import load
from modelcheck.network import FAULTS, FaultError, Faults
from modelcheck.render.labels import step_label

if TYPE_CHECKING:
    from conftest import CliResult

SPECS = Path(__file__).resolve().parent / "specs_faults"


def spec_file(name: str) -> Spec:
    return load(str(SPECS / f"{name}.py"))


# (spec file, --faults, violated property, the shortest trace's labels after init)
CASES = [
    ("ping_pong", "loss=1", "deadlock", ["ping", "✗ drop Ping(0→1)"]),
    ("counter", "dup=1", "counted_once",
     ["increment", "⧉ duplicate Inc(0→1)", "deliver Inc(0→1)", "deliver Inc(0→1)"]),
    ("fifo_writes", "reorder=1", "in_order",
     ["write", "write", "⇅ reorder Write(0→1, value=2)", "deliver Write(0→1, value=2)",
      "deliver Write(0→1, value=1)"]),
    ("ping_pong", "crash=1", "deadlock", ["⚡ crash 1", "ping"]),
    ("id_server", "crash=1,restart=1", "unique_ids",
     ["issue", "⚡ crash 0", "↺ restart 0", "issue"]),
    ("split_brain", "partition=1", "one_primary", ["⟂ partition {0} | {1}", "suspect"]),
    ("split_brain", "timeout=1", "one_primary", ["⏰ fire election_timer 1"]),
    ("lease", "drift=1", "exclusive", ["⌚ drift 1 +1", "tick", "regrant"]),
    ("echo", "equivocate=1", "agreement",
     ["☠ forge Propose(0→1, value=1)", "deliver Propose(0→1, value=1)", "propose",
      "deliver Propose(0→2, value=0)"]),
]

# The step each fault adds to a trace (restart needs a crash first).
GLYPHS = {"loss": "✗ drop", "dup": "⧉ duplicate", "reorder": "⇅ reorder", "crash": "⚡ crash",
          "restart": "↺ restart", "partition": "⟂ partition", "timeout": "⏰ fire",
          "drift": "⌚ drift", "equivocate": "☠ forge"}


def test_every_fault_of_the_menu_has_a_case() -> None:
    assert {name for _, f, _, _ in CASES for name in Faults(f).budgets
            if Faults(f).budget(name)} == set(FAULTS)


@pytest.mark.parametrize(("name", "faults", "prop", "labels"), CASES,
                         ids=[f"{n}:{f}" for n, f, _, _ in CASES])
def test_violation_only_with_the_fault_and_its_step_in_the_shortest_trace(
        name: str, faults: str, prop: str, labels: list[str]) -> None:
    spec = spec_file(name)
    clean = check(spec)
    assert clean.status == "ok" and clean.exhaustive
    r = check(spec, params={"faults": faults})
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == prop
    trace = r.violation.trace
    assert trace is not None
    got = [step_label(s) for s in trace.steps]
    assert got == ["init", *labels]
    assert trace.params["faults"] == faults  # recorded in the trace
    for fault in Faults(faults).budgets:
        steps = [g for g in got if g.startswith(GLYPHS[fault])]
        assert len(steps) == Faults(faults).budget(fault)  # exactly that fault's step(s)
    dfs = check(spec, params={"faults": faults}, strategy="dfs")
    assert dfs.status == "violation"


def test_crash_stop_alone_does_not_reissue_ids() -> None:
    assert check(spec_file("id_server"), params={"faults": "crash=1"}).status == "ok"


def test_a_set_network_redelivers_without_any_fault() -> None:
    r = check(spec_file("counter"), params={"network": "set"})
    assert r.violation is not None and r.violation.trace is not None
    assert [step_label(s) for s in r.violation.trace.steps] == [
        "init", "increment", "deliver Inc(0→1)", "deliver Inc(0→1)"]


# -- bad settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("bogus=1", "unknown fault 'bogus'"),
    ("loss=-1", "is negative"),
    ("loss=two", "must be a whole number"),
    ("loss=1,loss=2", "names 'loss' twice"),
])
def test_bad_fault_text_is_a_usage_error_listing_the_valid_names(text: str,
                                                                 message: str) -> None:
    with pytest.raises(UsageError, match=message) as e:
        Faults(text)
    assert ", ".join(FAULTS) in str(e.value)


def test_fault_text_is_canonical() -> None:
    assert Faults("crash=1, loss=2") == "loss=2,crash=1"
    assert Faults("") == Faults("none") == Faults("loss=0") == "none"
    assert Faults("dup") == "dup=1" and Faults(loss=1).budget("loss") == 1
    assert not Faults().any and Faults("drift=1").any


def test_restart_without_durable_state_is_refused() -> None:
    with pytest.raises(FaultError, match="declares no durable state"):
        check(spec_file("ping_pong"), params={"faults": "crash=1,restart=1"})


def test_a_refused_fault_must_be_a_fault() -> None:
    from modelcheck.network import Network
    s = Spec("refusing", spec_file("ping_pong").config, spec_file("ping_pong").state)
    with pytest.raises(SpecDefinitionError, match=r"refused=\['lost'\] are not faults"):
        Network(s, messages=lambda cfg: [], nodes=lambda cfg: [0], refused={"lost": "why"})


@pytest.mark.parametrize(("spec", "faults", "message"), [
    ("two-phase-commit", "crash=1,restart=1", "declares no durable state"),
    ("two-phase-commit", "dup=1", "dup has no effect"),
    ("raft", "reorder=1", "fifo networks only"),
    ("raft", "equivocate=1", "no Byzantine message domain"),
    ("raft", "timeout=1", "no timers"),
    ("raft", "loss=-1", "valid faults: loss, dup, reorder"),
    ("raft", "lost=1", "valid faults: loss, dup, reorder"),
    ("transaction-commit", "loss=1", "does not use modelcheck.network"),
    ("reliable-broadcast", "equivocate=3,loss=1",
     "does not model loss faults (loss=1): Bracha's broadcast assumes reliable links"),
])
def test_cli_fault_errors_exit_2(cli_result: CliResult, spec: str, faults: str,
                                 message: str) -> None:
    result = cli_result(["verify", spec, "--faults", faults])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_cli_records_faults_in_params_and_trace(cli_result: CliResult, tmp_path: Path) -> None:
    path = tmp_path / "cex.json"
    result = cli_result(["verify", "two-phase-commit", "--faults", "crash=1",
                         "--json", "--trace-out", str(path)])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["params"]["faults"] == "crash=1"
    assert data["violation"]["property"] == "all_decide"  # the TM's crash blocks an RM
    saved = json.loads(path.read_text())
    assert saved["params"]["faults"] == "crash=1"
    assert [s["action"] for s in saved["steps"]][:2] == ["init", "crash"]
    text = cli_result(["verify", "two-phase-commit", "--faults", "crash=1"])
    assert "⚡ crash tm" in text.stdout and "faults.down + tm" in text.stdout


def test_show_lists_the_fault_menu(cli_result: CliResult) -> None:
    out = cli_result(["show", "raft"]).stdout
    assert "Faults (--faults NAME=N,..." in out
    assert "  loss: drop a message in flight" in out
    assert "  reorder: not available" in out  # raft's default network is a bag
    assert "  drop(" not in out  # fault actions are listed as faults, not actions
