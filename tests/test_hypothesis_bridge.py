"""The Hypothesis bridge: catalogue specs as state machines, and a spec as a test oracle."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from modelcheck import load_spec
from modelcheck.testing import Adapter, state_machine

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kv_model_based"

QUICK = settings(max_examples=40, stateful_step_count=20, deadline=None, database=None,
                 derandomize=True)


def test_two_phase_commit_holds_as_a_state_machine() -> None:
    run_state_machine_as_test(state_machine(load_spec("two-phase-commit")), settings=QUICK)


@pytest.mark.slow
def test_raft_holds_as_a_state_machine() -> None:
    machine = state_machine(load_spec("raft"), params={"max_term": 1})
    assert machine.__name__ == "RaftMachine"
    run_state_machine_as_test(machine, settings=QUICK)


def test_a_flawed_variant_fails_with_the_violated_invariant() -> None:
    machine = state_machine(load_spec("two-phase-commit"), variant="tm-commits-early")
    # Generation alone: Hypothesis's shrinking of stateful runs is thorough but slow, and
    # the example below shows it.
    with pytest.raises(AssertionError, match=r"invariant consistent is violated after \d+ "):
        run_state_machine_as_test(machine, settings=settings(QUICK, phases=[Phase.generate]))


@pytest.fixture
def kv(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    for name in ("kvstore", "kv_spec", "kv_adapter"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module("kv_adapter"), importlib.import_module("kv_spec").spec


@pytest.mark.slow
def test_the_store_agrees_with_its_spec(kv: Any) -> None:
    adapters, spec = kv
    run_state_machine_as_test(state_machine(spec, adapter=adapters.KVAdapter), settings=QUICK)


@pytest.mark.slow
def test_the_oracle_catches_the_planted_bug_in_three_calls(kv: Any) -> None:
    adapters, spec = kv
    machine = state_machine(spec, adapter=adapters.BuggyKVAdapter)
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=QUICK)
    message = str(caught.value)
    # Shrunk: two writes to overlapping majorities, then a read whose first answer is stale.
    assert message.startswith("after step 3 (read(key=0, quorum=[0, 1])) the implementation "
                              "shows ")
    assert message.endswith("(0, 0)), but the spec expects ((((0, 1, 0),), ((0, 2, 1),), "
                            "((0, 2, 1),)), (0, 1))")


def test_an_adapter_without_a_method_for_an_action_says_which(kv: Any) -> None:
    _, spec = kv

    class Partial(Adapter):
        def reset(self, cfg: Any, state: Any) -> None:
            pass

        def observe(self) -> Any:
            return None

        def expect(self, cfg: Any, state: Any) -> Any:
            return None

    with pytest.raises(NotImplementedError, match=r"no method for spec action '(read|write)'"):
        run_state_machine_as_test(state_machine(spec, adapter=Partial),
                                  settings=settings(QUICK, phases=[Phase.generate]))


def test_importing_the_bridge_without_hypothesis_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "modelcheck.testing")
    for name in [n for n in sys.modules if n == "hypothesis" or n.startswith("hypothesis.")]:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    with pytest.raises(ImportError, match=r"pip install 'modelcheck\[hypothesis\]'"):
        importlib.import_module("modelcheck.testing")
