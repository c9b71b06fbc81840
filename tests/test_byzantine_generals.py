"""OM(1): four generals survive one traitor, commander or lieutenant; three do not."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import byzantine_generals as bg


def test_four_generals_with_a_traitorous_lieutenant_agree_and_obey() -> None:
    r = check(bg.spec)
    assert r.status == "ok" and r.exhaustive  # attack_decided is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (27_706, 141_814, 17)


@pytest.mark.slow
def test_four_generals_with_a_traitorous_commander_agree() -> None:
    r = check(bg.spec, variant="traitorous-commander")
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (43_181, 261_244)


def test_the_traitor_needs_its_lies() -> None:
    # Without forged messages a traitorous lieutenant is merely silent: still a tie-free
    # majority for every loyal lieutenant, but a run in which the traitor never lies.
    r = check(bg.spec, params={"faults": "none"})
    assert r.violation is not None and r.stats.distinct_states == 182
    assert (r.violation.property, r.violation.kind) == ("traitor_equivocates", "sometimes")
    assert check(bg.spec, params={"faults": "none"}, skip=["traitor_equivocates"]).status == "ok"


def test_a_model_without_its_traitor_never_meets_the_equivocation_goal() -> None:
    # The traitor moved past the last general: nobody forges, and no loyal lieutenant
    # is ever lied to; the goal notices (it reads the missing general's relays).
    from modelcheck.mutate import load_mutant, mutants_of, select
    m, = select(mutants_of(bg.spec, helpers=True), ["_traitor:off-by-one:1"])
    r = check(load_mutant(bg.spec, m))
    assert r.status == "error" and "traitor_equivocates" in (r.error or "")


def test_three_generals_cannot_survive_one_traitor() -> None:
    r = check(bg.spec, variant="three-generals")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "obedience"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init(order=1)", "command", "deliver Order(0→1, value=1)", "decide(i=1)"]
    assert trace.steps[-1].state["decision"] == [None, 0, None]


def test_each_variant_changes_one_parameter() -> None:
    assert {v.name: v.params for v in bg.spec.variants.values()} == {
        "three-generals": {"generals": 3}, "traitorous-commander": {"traitor": "commander"}}
