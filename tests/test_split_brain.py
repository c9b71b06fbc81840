"""Split brain: a majority and fencing tokens keep one primary writing; naive failover
does not."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from planting import plant

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import split_brain as sb

if TYPE_CHECKING:
    from conftest import Invoke


@pytest.mark.parametrize(("params", "distinct", "generated"), [
    ({}, 154, 341),
    pytest.param({"nodes": 5, "max_epoch": 4, "faults": "crash=2,partition=1"}, 8_236, 21_791,
                 marks=pytest.mark.slow),
])
def test_no_split_brain_with_quorum_and_fencing(params: dict[str, object], distinct: int,
                                                generated: int) -> None:
    r = check(sb.spec, params=params)
    assert r.status == "ok" and r.exhaustive  # failover (sometimes) is met too
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)


@pytest.mark.parametrize("variant", ["naive", "no-fencing"])
def test_a_partition_yields_two_primaries_accepting_writes(variant: str) -> None:
    r = check(sb.spec, variant=variant)
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("no_split_brain", "action")
    trace = r.violation.trace
    assert trace is not None and [step_label(s) for s in trace.steps[1:]] == [
        "⟂ partition {0} | {1, 2}", "heartbeat_timeout(i=1)", "client_write(i=1)",
        "client_write(i=0)"]
    assert trace.steps[-2].state["last_write"] == [2, 1]
    assert trace.steps[-1].state["last_write"] == [1, 0]
    assert trace.steps[-1].state["role"] == ["primary", "primary", "backup"]


def test_a_deposed_primary_is_fenced_off() -> None:
    cfg = sb.Config()
    s = sb.init(cfg)
    s = s.replace(faults=s.faults.replace(partition=0, sides=frozenset(
        {frozenset({0}), frozenset({1, 2})})))
    t = sb.heartbeat_timeout(cfg, s, 1)
    assert t is not None and t.token == (1, 2, 2) and t.role == ("primary", "primary", "backup")
    assert sb.client_write(cfg, t, 0) is None  # node 0 reaches no majority of old tokens
    healed = t.replace(faults=t.faults.replace(sides=frozenset()))
    assert sb.client_write(cfg, healed, 0) is None  # nodes 1 and 2 hold token 2
    assert sb.step_down(cfg, healed, 0) is not None


def test_the_mutants_these_properties_catch(invoke: Invoke) -> None:
    killed = {
        "init:off-by-one:6": "tokens_track_epochs",  # tokens of an epoch nobody started
        "heartbeat_timeout:drop-update:5": "tokens_track_epochs",  # voters record no token
        "step_down:drop-update:3": "tokens_track_epochs",  # a deposed primary's old token
        "step_down:flip-comparison:1": "writes_can_resume",  # a primary never steps down
        "step_down:max-min:1": "writes_can_resume",  # ... until every node has the epoch
        "client_write:flip-comparison:3": "writes_can_resume",  # writes need every node
    }
    shown = [arg for mutant in [*killed, "step_down:drop-update:2"]
             for arg in ("--show", mutant)]
    code, out, _ = invoke("mutate", "split-brain", "--json", "--jobs", "2", *shown)
    assert code == 0
    by = {m["id"]: (m["status"], m["property"]) for m in json.loads(out)["mutants"]}
    assert by == {**{m: ("killed", p) for m, p in killed.items()},
                  "step_down:drop-update:2": ("accepted", None)}


HEARD = "if any(s.role[j] == PRIMARY for j in peers):"
REACHABLE = "net.up(s, j) and net.reachable(s, i, j)]"


@pytest.mark.parametrize("mutant", [
    "_reachable:drop-conjunct:2",  # votes and heartbeats cross a partition
    (REACHABLE, "net.up(s, j) and net.reachable(s, i, i)]"),  # the same, by a typo
    (HEARD, "if any(s.role[j] == PRIMARY for j in _nodes(cfg) if net.up(s, j)):"),
])
def test_a_failure_detector_that_partitions_do_not_fool_is_caught(
        mutant: str | tuple[str, str]) -> None:
    # A backup then takes over only from a crashed primary, where the naive failover
    # passes every other property; `live_primary_deposed` is never met.
    planted = plant(sb.spec, mutant)
    r = check(planted)
    assert r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("live_primary_deposed", "sometimes")
    naive = check(planted, variant="naive")
    assert naive.violation is not None and naive.violation.property == "live_primary_deposed"


