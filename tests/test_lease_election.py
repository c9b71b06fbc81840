"""Leader election with leases: one leader while drift is within the guard, two beyond."""

from __future__ import annotations

import pytest

from modelcheck import bind, check, replay
from modelcheck.render.labels import step_label
from modelcheck_specs import lease_election as le


@pytest.mark.parametrize(("params", "distinct", "generated"), [
    ({}, 4_388, 6_884),
    ({"faults": "none"}, 320, 428),
    ({"guard": 2, "faults": "drift=2"}, 16_063, 28_452),
])
def test_one_leader_while_drift_is_within_the_guard(params: dict[str, object], distinct: int,
                                                    generated: int) -> None:
    r = check(le.spec, params=params)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)


def test_symmetry() -> None:
    r = check(le.spec, symmetry=True)
    assert r.status == "ok" and r.stats.distinct_states == 791


@pytest.mark.parametrize(("variant", "params", "labels"), [
    ("drift-beyond-guard", {}, ["acquire_lease(i=0, q=[0, 1])", "⌚ drift 1 +1", "⌚ drift 1 +1",
                                "tick", "acquire_lease(i=1, q=[1, 2])"]),
    ("no-guard", {}, ["acquire_lease(i=0, q=[0, 1])", "⌚ drift 1 +1", "tick",
                      "acquire_lease(i=1, q=[1, 2])"]),
    (None, {"guard": 2, "faults": "drift=3"},
     ["acquire_lease(i=0, q=[0, 1])", "⌚ drift 1 +1", "⌚ drift 1 +1", "⌚ drift 1 +1", "tick",
      "acquire_lease(i=1, q=[1, 2])"]),
])
def test_drift_beyond_the_guard_gives_two_leaders(variant: str | None, params: dict[str, object],
                                                  labels: list[str]) -> None:
    r = check(le.spec, variant=variant, params=params)
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("one_leader", "invariant")
    trace = r.violation.trace
    assert trace is not None and [step_label(s) for s in trace.steps[1:]] == labels
    last = replay(bind(le.spec, variant, params), trace)[-1]
    assert le.is_leader(last, 0) and le.is_leader(last, 1)
