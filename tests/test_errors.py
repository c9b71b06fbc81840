"""Bad input ends with a clear one-paragraph message and exit code 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import NondeterminismError, check, load_spec

if TYPE_CHECKING:
    from conftest import Invoke


def test_counter_holds(counter_spec: str, invoke: Invoke) -> None:
    code, out, _ = invoke("verify", counter_spec)
    assert code == 0, out
    assert "4 distinct states" in out


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_spec_function_that_raises_names_function_and_step(counter_spec: str, invoke: Invoke,
                                                           strategy: str) -> None:
    code, out, err = invoke("verify", counter_spec, "--param", "raise_at=2", "--strategy", strategy)
    assert code == 2
    assert "inc raised ZeroDivisionError" in err
    assert "after 2 steps" in err
    assert "Traceback" not in out + err
    assert "error" not in out.splitlines()[0] and "inc raised" not in out  # printed once


def test_spec_function_that_raises_in_json(counter_spec: str, invoke: Invoke) -> None:
    code, out, _ = invoke("verify", counter_spec, "--param", "raise_at=0", "--json")
    assert code == 2
    data = json.loads(out)
    assert data["status"] == "error" and "ZeroDivisionError" in data["error"]


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_non_hashable_state_names_action_and_field(counter_spec: str, invoke: Invoke,
                                                   strategy: str) -> None:
    code, _, err = invoke("verify", counter_spec, "--param", "list_at=1", "--strategy", strategy)
    assert code == 2
    assert "inc returned a state that is not hashable" in err
    assert "['extra']" in err and "tuples, frozensets" in err


def test_counter_violation_trace(counter_spec: str, invoke: Invoke) -> None:
    code, out, _ = invoke("verify", counter_spec, "--param", "bound=1")
    assert code == 1
    assert "invariant bounded is violated after 2 steps" in out


def test_nondeterminism_is_detected_before_a_trace_is_rebuilt(counter_spec: str,
                                                              invoke: Invoke) -> None:
    # The search executes a sample of its expansions again: inc gives another state each
    # time it is called, which is found in the first state, before any violation.
    spec = load_spec(counter_spec)
    r = check(spec, params={"nondeterministic": True, "bound": 1})
    assert r.status == "error"
    assert isinstance(r.details["exception"], NondeterminismError)
    assert (r.error or "").startswith(
        "action inc gives another result when it is executed again in the state reached "
        "after 0 steps: the spec is nondeterministic")
    code, _, err = invoke("verify", counter_spec, "--param", "nondeterministic=yes", "--param",
                          "bound=1")
    assert code == 2 and "nondeterministic" in err


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_property_that_raises_names_property_and_step(counter_spec: str, invoke: Invoke,
                                                      strategy: str) -> None:
    code, _, err = invoke("verify", counter_spec, "--param", "property_raises_at=2", "--strategy",
                          strategy)
    assert code == 2
    assert ("invariant bounded raised KeyError: 'boom' in the state reached after 2 steps"
            in err)
    assert "Traceback" not in err


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_action_property_that_raises_names_property_and_step(counter_spec: str, invoke: Invoke,
                                                             strategy: str) -> None:
    code, _, err = invoke("verify", counter_spec, "--param", "step_property_raises_at=1",
                          "--strategy", strategy)
    assert code == 2
    assert "action property counts_up raised ValueError: bad step" in err
    assert "in the state reached after 1 step\n" in err and "Traceback" not in err


def test_property_returning_non_bool(counter_spec: str, invoke: Invoke) -> None:
    code, _, err = invoke("verify", counter_spec, "--param", "bad_property=true")
    assert code == 2
    assert "invariant bounded returned 0 (int) in the state reached after 0 steps, not a " \
        "bool: a predicate must return True or False" in err


@pytest.mark.parametrize(("args", "message"), [
    (["verify", "no-such-spec"], "unknown spec 'no-such-spec'; give a catalogue name"),
    (["verify", "two-phase-commit", "--variant", "nope"],
     "no variant 'nope'; valid variants: tm-commits-early"),
    (["verify", "two-phase-commit", "--param", "nope=1"],
     "no parameter 'nope'; valid parameters: faults, rms, tm_commit_early"),
    (["verify", "two-phase-commit", "--param", "rms"], "expected NAME=VALUE"),
    (["verify", "two-phase-commit", "--param", "rms=many"], "rms='many'"),
    (["verify", "missing.py"], "does not exist"),
    (["verify", "os:path"], "is not a modelcheck Spec"),
    (["show", "no-such-spec"], "unknown spec"),
])
def test_usage_errors_exit_2_with_the_valid_names(invoke: Invoke, args: list[str],
                                                  message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


@pytest.mark.click_usage_error  # --strategy is a click.Choice
def test_unknown_strategy_is_a_usage_error(counter_spec: str, invoke: Invoke) -> None:
    code, _, err = invoke("verify", counter_spec, "--strategy", "sideways")
    assert code == 2 and "sideways" in err


def test_spec_file_that_fails_to_define(invoke: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from dataclasses import dataclass\n"
        "from modelcheck import Spec\n"
        "@dataclass(frozen=True)\nclass C:\n    n: int = 1\n"
        "spec = Spec('bad', C)\n"
        "@spec.action\ndef step(cfg, s, i):\n    return None\n")
    code, _, err = invoke("verify", str(bad))
    assert code == 2
    assert "@spec.action step: parameter(s) ['i'] have no domain" in err
