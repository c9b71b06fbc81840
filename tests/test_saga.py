"""Sagas: compensations in reverse order, a timeout compensates the step it waited for."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import saga

if TYPE_CHECKING:
    from conftest import Invoke


@pytest.mark.parametrize(("variant", "distinct"), [
    (None, 22), ("choreographed", 12), ("timeout", 112)])
def test_correct_sagas(variant: str | None, distinct: int) -> None:
    r = check(saga.spec, variant=variant)
    assert r.status == "ok" and r.exhaustive  # both outcomes are reached
    assert r.stats.distinct_states == distinct


@pytest.mark.parametrize(("variant", "prop", "length"), [
    ("orchestrated-forward", "compensation_order", 10),
    ("choreographed-forward", "compensation_order", 6),
    ("skip-compensation-on-timeout", "saga_atomic", 4),
])
def test_flawed_variants_have_shortest_traces(variant: str, prop: str, length: int) -> None:
    r = check(saga.spec, variant=variant)
    assert r.violation is not None and r.violation.property == prop
    assert r.violation.trace is not None and r.violation.trace.length == length


def test_skipped_compensation_leaves_a_step_committed() -> None:
    r = check(saga.spec, variant="skip-compensation-on-timeout")
    assert r.violation is not None and r.violation.trace is not None
    assert [step_label(s) for s in r.violation.trace.steps] == [
        "init", "deliver Execute(3→0)", "step_commit(i=0)", "⏰ fire orchestrator_timeout 3",
        "deliver Done(0→3)"]
    last = r.violation.trace.steps[-1].state
    assert last["step"] == ["committed", "idle", "idle"]
    assert last["orchestrator"]["phase"] == "aborted"


def test_a_compensation_that_overtakes_its_execute_cancels_the_step() -> None:
    cfg = saga.Config(faults="timeout=1")
    s = saga.init(cfg)
    s = saga.step_rcv_compensate(cfg, s, saga.Compensate(3, 0, 3))
    assert s.step[0] == "cancelled"
    assert saga.step_rcv_execute(cfg, s, saga.Execute(3, 0)).step[0] == "cancelled"


def test_the_mutants_these_properties_catch(invoke: Invoke) -> None:
    killed = {
        "step_commit:drop-update:1": "log_agrees",  # a commit the log misses
        "step_rcv_compensate:drop-update:1": "log_agrees",  # a compensation it misses
        "step_commit:drop-update:3": "log_agrees",  # a step that commits again and again
        # the orchestrator compensates the same step for ever: the saga never settles
        "orchestrator_rcv_compensated:off-by-one:4": "can_settle",
    }
    shown = [arg for mutant in killed for arg in ("--show", mutant)]
    code, out, _ = invoke("mutate", "saga", "--json", "--jobs", "2", *shown)
    assert code == 0
    by = {m["id"]: (m["status"], m["property"]) for m in json.loads(out)["mutants"]}
    assert by == {m: ("killed", p) for m, p in killed.items()}
