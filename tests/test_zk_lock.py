"""The coordination-service lock recipe: a session expires during a pause, the next client
takes the lock, and without fencing both holders' writes land."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import zk_lock as zk

if TYPE_CHECKING:
    from conftest import Invoke, InvokeOutput

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def test_fencing_tokens_refuse_the_stale_write() -> None:
    r = check(zk.spec)
    assert r.status == "ok" and r.exhaustive  # the lock passes on after an expiry
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (1_363, 2_563, 17)
    reduced = check(zk.spec, symmetry=True)
    assert reduced.status == "ok" and reduced.stats.distinct_states == 234


def test_fencing_holds_with_crashes_and_duplicates() -> None:
    r = check(zk.spec, params={"clients": 2, "faults": "crash=1,dup=1"})
    assert r.status == "ok" and r.stats.distinct_states == 2_175


def test_without_fencing_two_holders_write() -> None:
    assert {v.name: dict(v.params) for v in zk.spec.variants.values()} == {
        "no-fencing": {"fencing": False}}
    r = check(zk.spec, variant="no-fencing")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "no_stale_write"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "create(c=0)", "acquire(c=0)", "write(c=0)", "expire(c=0)", "create(c=1)",
        "acquire(c=1)", "write(c=1)", "deliver WriteRequest(1→storage, token=2)",
        "deliver WriteRequest(0→storage, token=1)"]
    last = trace.steps[-1].state
    assert last["grants"] == [[0, 1], [1, 2]] and last["accepted"] == [[1, 2], [0, 1]]


def test_without_expiries_the_lock_alone_is_safe() -> None:
    # Only the goal that needs an expiry is missed: every invariant holds.
    r = check(zk.spec, variant="no-fencing", params={"expiries": 0})
    assert r.violation is not None and r.violation.property == "lock_passed_on_expiry"
    assert r.stats.distinct_states == 148


def test_the_sequence_diagram_tells_the_story(invoke_output: InvokeOutput,
                                               tmp_path: Path) -> None:
    r = check(zk.spec, variant="no-fencing")
    assert r.violation is not None and r.violation.trace is not None
    path = tmp_path / "trace.json"
    r.violation.trace.save(path)
    code, out = invoke_output("trace", "diagram", path)
    assert code == 0
    snapshot = SNAPSHOTS / "zk-lock-no-fencing.mmd"
    if os.environ.get("MODELCHECK_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(out, encoding="utf-8")
    assert out == snapshot.read_text(encoding="utf-8")


@pytest.mark.slow
def test_mutation_score_at_the_default_bounds(invoke: Invoke) -> None:
    # The accepted mutants that write again and again never end: a short limit ends them.
    code, out, _ = invoke("mutate", "zk-lock", "--json", "--timeout", "4")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"mutants": 62, "killed": 47, "error": 4, "survived": 0,
                              "equivalent": 3, "accepted": 8, "timeout": 0}
    assert data["score"] == 1.0 and data["stale_acceptances"] == []
    by = {m["id"]: (m["status"], m["property"]) for m in data["mutants"]}
    # Storage that does not remember the highest token it accepted, and a client that
    # writes under another token: no_stale_write, stated over the order of grants.
    assert by["storage_rcv_write:drop-update:1"] == ("killed", "no_stale_write")
    assert by["write:field-constant:1"] == ("killed", "no_stale_write")
