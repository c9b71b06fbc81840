"""Stale reads after a failover: a promoted replica that has not caught up answers a read
with the value from before the client's own write, unless the read carries a session token."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import stale_reads as sr

if TYPE_CHECKING:
    from conftest import Invoke, InvokeOutput

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def test_session_tokens_keep_read_your_writes() -> None:
    r = check(sr.spec)
    assert r.status == "ok" and r.exhaustive  # read_after_failover is met
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (110, 187, 13)


def test_session_tokens_hold_with_duplicates_and_two_writes() -> None:
    r = check(sr.spec, params={"faults": "crash=1,dup=1"})
    assert r.status == "ok" and r.stats.distinct_states == 793
    r = check(sr.spec, params={"writes": 2})
    assert r.status == "ok" and r.stats.distinct_states == 422


def test_a_lost_message_leaves_an_operation_waiting() -> None:
    r = check(sr.spec, params={"faults": "crash=1,loss=1"})
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == ("operations_can_complete", 3)


def test_without_session_tokens_the_promoted_replica_answers_a_stale_read() -> None:
    assert {v.name: dict(v.params) for v in sr.spec.variants.values()} == {
        "no-session-tokens": {"session_tokens": False}}
    r = check(sr.spec, variant="no-session-tokens")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "read_your_writes"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "invoke", "deliver WriteRequest(client→0, value=1)", "⚡ crash 0",
        "deliver WriteAck(0→client, value=1)", "failover(r=1)", "invoke",
        "deliver ReadRequest(client→1, op=1, token=0)",
        "deliver ReadReply(1→client, op=1, value=0)"]
    last = trace.steps[-1].state
    assert last["reads"] == [[1, 0, 1]] and last["store"] == [1, 0]
    assert last["msgs"] == [{"$type": "Replicate", "src": 0, "dst": 1, "value": 1}]


def test_the_sequence_diagram_tells_the_story(invoke_output: InvokeOutput,
                                               tmp_path: Path) -> None:
    r = check(sr.spec, variant="no-session-tokens")
    assert r.violation is not None and r.violation.trace is not None
    path = tmp_path / "trace.json"
    r.violation.trace.save(path)
    code, out = invoke_output("trace", "diagram", path)
    assert code == 0
    snapshot = SNAPSHOTS / "stale-reads-no-session-tokens.mmd"
    if os.environ.get("MODELCHECK_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(out, encoding="utf-8")
    assert out == snapshot.read_text(encoding="utf-8")


@pytest.mark.slow
def test_mutation_score_at_the_default_bounds(invoke: Invoke) -> None:
    # The accepted mutants that resend without end never finish: a short limit ends them.
    code, out, _ = invoke("mutate", "stale-reads", "--json", "--timeout", "3")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"mutants": 81, "killed": 63, "error": 0, "survived": 0,
                              "equivalent": 6, "accepted": 12, "timeout": 0}
    assert data["score"] == 1.0 and data["stale_acceptances"] == []
    by = {m["id"]: (m["status"], m["property"]) for m in data["mutants"]}
    # A replica that answers without waiting for the token, or answers a constant.
    assert by["replica_rcv_read:drop-guard:1"] == ("killed", "read_your_writes")
    assert by["replica_rcv_read:field-constant:2"] == ("killed", "read_your_writes")
    # A primary that acknowledges a write it has not applied; a backup that never applies.
    assert by["replica_rcv_write:drop-update:1"] == ("killed", "acknowledged_writes_applied")
    assert by["replica_rcv_replicate:drop-update:1"] == ("killed", "operations_can_complete")
