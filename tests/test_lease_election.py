"""Leader election with leases: one leader while drift is within the guard, two beyond, or
when the holder counts its lease from the grants' arrival."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import bind, check, replay
from modelcheck.render.labels import step_label
from modelcheck_specs import lease_election as le

if TYPE_CHECKING:
    from conftest import Invoke


@pytest.mark.parametrize(("params", "distinct", "generated"), [
    ({}, 41_226, 97_336),
    ({"faults": "none"}, 4_742, 8_870),
])
def test_one_leader_while_drift_is_within_the_guard(params: dict[str, object], distinct: int,
                                                    generated: int) -> None:
    r = check(le.spec, params=params)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)


def test_symmetry() -> None:
    r = check(le.spec, symmetry=True)
    assert r.status == "ok" and r.stats.distinct_states == 20_664


ROUND_0 = ["request_lease(i=0)", "deliver LeaseReq(0→0, at=0)", "deliver LeaseReq(0→1, at=0)",
           "deliver Grant(0→0, at=0)"]


def _round_1(at: int) -> list[str]:
    return ["request_lease(i=1)", f"deliver LeaseReq(1→0, at={at})",
            f"deliver LeaseReq(1→1, at={at})", f"deliver Grant(0→1, at={at})",
            f"deliver Grant(1→1, at={at})"]


@pytest.mark.parametrize(("variant", "labels"), [
    # Among the shortest traces, those that switch between nodes least: node 0's
    # steps run together, and a drift comes next to its node's steps.
    ("lease-from-grant", ["request_lease(i=0)", "deliver LeaseReq(0→0, at=0)",
                          "deliver Grant(0→0, at=0)", "deliver LeaseReq(0→1, at=0)", "tick",
                          "tick", "tick", "request_lease(i=1)", "deliver Grant(1→0, at=0)",
                          *_round_1(3)[1:]]),
    ("no-guard", [ROUND_0[0], "⌚ drift 0 -1", *ROUND_0[1:], "deliver Grant(1→0, at=0)",
                  "tick", "tick", *_round_1(2)]),
    ("drift-beyond-guard", [*ROUND_0, "deliver Grant(1→0, at=0)", "tick", "tick", "tick",
                            *_round_1(3), "⌚ drift 0 -1", "⌚ drift 0 -1"]),
])
def test_two_leaders(variant: str, labels: list[str]) -> None:
    """``lease-from-grant`` is a lease counted from when the grants arrive: no automatic
    mutant reads the clock in place of the request's time, so the shipped variant is that
    bug; the lease round's separate message steps let the default run catch it (13
    steps)."""
    r = check(le.spec, variant=variant)
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("one_leader", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == len(labels)
    assert [step_label(s) for s in trace.steps[1:]] == labels
    last = replay(bind(le.spec, variant), trace)[-1]
    assert le.is_leader(last, 0) and le.is_leader(last, 1)


def test_the_mutants_these_properties_catch(invoke: Invoke) -> None:
    killed = {
        "tick:drop-update:1": "leadership_passes",  # time never passes
        "grant_lease:drop-conjunct:2": "leadership_passes",  # a node grants only once
        "request_lease:field-constant:1": "leadership_passes",  # every request from node 0
        "tick:off-by-one:2": "within_horizon",  # time jumps past the horizon
    }
    shown = [arg for mutant in [*killed, "receive_grant:drop-update:3"]
             for arg in ("--show", mutant)]
    code, out, _ = invoke("mutate", "lease-election", "--faults", "none", "--json",
                          "--jobs", "2", *shown)
    assert code == 0
    by = {m["id"]: (m["status"], m["property"]) for m in json.loads(out)["mutants"]}
    assert by == {**{m: ("killed", p) for m, p in killed.items()},
                  "receive_grant:drop-update:3": ("accepted", None)}
