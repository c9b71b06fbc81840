"""Replication of a register: quorums hold, small quorums and failover lose linearizability,
synchronous replication blocks on a crash."""

from __future__ import annotations

import pytest

from modelcheck import bind, check, replay
from modelcheck.mutate import Settings, run
from modelcheck.properties.linearizability import Call, Read, Return, Write
from modelcheck.render.labels import step_label
from modelcheck_specs import replication as rep


@pytest.mark.slow
def test_default_counts() -> None:
    # One replica may crash by default: 17,904 states without the crash.
    r = check(rep.spec)
    assert r.status == "ok" and r.exhaustive  # read_sees_a_write is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (71_616, 269_792, 15)


def test_counts_without_a_crash() -> None:
    r = check(rep.spec, params={"faults": "none"})
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (17_904, 71_771, 14)


@pytest.mark.slow
def test_symmetry_of_replicas() -> None:
    r = check(rep.spec, symmetry=True)
    assert r.status == "ok" and r.stats.distinct_states == 38_440


@pytest.mark.parametrize(("variant", "prop", "kind", "length"), [
    ("small-quorums", "linearizable", "invariant", 5),
    ("no-read-repair", "linearizable", "invariant", 8),
    ("async-failover", "linearizable", "invariant", 6),
    ("sync-replica-down", "operations_can_complete", "possibility", 2),
])
def test_flawed_variants_have_shortest_traces(variant: str, prop: str, kind: str,
                                              length: int) -> None:
    r = check(rep.spec, variant=variant)
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == (prop, kind)
    assert r.violation.trace is not None and r.violation.trace.length == length


def test_async_failover_loses_the_acknowledged_write() -> None:
    r = check(rep.spec, variant="async-failover")
    assert r.violation is not None and r.violation.trace is not None
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "invoke(c=0)", "ask_replica(c=0, r=0)", "⚡ crash 0", "invoke(c=1)",
        "failover(r=1)", "ask_replica(c=1, r=1)"]
    states = replay(bind(rep.spec, "async-failover"), trace)
    # The write was acknowledged, and no Replicate was delivered before the crash.
    assert states[2].history[-1] == Return(0, "ok")
    assert states[3].store == (1, 0, 0) and states[3].msgs
    assert states[-1].history[-1] == Return(1, 0)


def test_sync_replication_holds_and_quorums_survive_a_crash() -> None:
    assert check(rep.spec, variant="sync").stats.distinct_states == 748
    r = check(rep.spec, params={"readers": 1, "faults": "crash=1"})
    assert r.status == "ok" and r.stats.distinct_states == 1_136
    r = check(rep.spec, params={"readers": 1, "faults": "partition=1"})
    assert r.status == "ok" and r.stats.distinct_states == 1_420
    r = check(rep.spec, params={"readers": 1, "mode": "async", "faults": "loss=1,dup=1"})
    assert r.status == "ok" and r.stats.distinct_states == 299


def test_the_property_reads_the_history() -> None:
    cfg = rep.Config()
    s = rep.init(cfg)
    stale = s.replace(history=(Call(0, Write(1)), Return(0, "ok"), Call(1, Read()),
                               Return(1, 0)))
    assert rep.linearizable(cfg, s) and not rep.linearizable(cfg, stale)


KILLED = {
    # A quorum one larger than configured, and a read whose write-back skips the replicas
    # it read from: both wait forever once a replica is down.
    "ask_replica:flip-comparison:7": "operations_can_complete",
    "ask_replica:drop-update:6": "operations_can_complete",
    # A client that does not count an operation done, and so runs it again and again.
    "ask_replica:off-by-one:5": "clients_follow_history",
    # A failover while the primary is up (in async mode), or in another mode.
    "failover:and-or:1": "primary_fails_over_when_down",
    # Replicas that start from a version never written.
    "init:off-by-one:2": "type_ok",
}
"""Mutants the default run kills, with the property that does, caught with one reader."""


def test_mutants_caught_with_one_reader() -> None:
    report = run(rep.spec, Settings(params={"readers": 1}, jobs=2, timeout=30), only=[*KILLED])
    assert {o.mutant.id: (o.status, o.killed_by) for o in report.outcomes} == {
        mutant: ("killed", prop) for mutant, prop in KILLED.items()}
