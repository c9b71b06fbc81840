"""A lock with leases: a delayed write lands after the next holder's; fencing rejects it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import check
from modelcheck.mutate import load_mutant, mutants_of, select
from modelcheck.render.labels import step_label
from modelcheck_specs import distributed_lock as dl

if TYPE_CHECKING:
    from conftest import Invoke


def test_fencing_holds() -> None:
    r = check(dl.spec)
    assert r.status == "ok" and r.exhaustive  # write_accepted is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (1_774, 2_524, 13)
    assert check(dl.spec, symmetry=True).status == "ok"


def test_fencing_holds_under_drift_and_message_faults() -> None:
    r = check(dl.spec, params={"clients": 2, "max_time": 2,
                               "faults": "drift=1,dup=1,loss=1,crash=1"})
    assert r.status == "ok" and r.stats.distinct_states == 11_403


def test_without_fencing_a_stale_write_lands() -> None:
    r = check(dl.spec, variant="no-fencing")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "no_stale_write"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "acquire(c=0)", "write(c=0)", "tick", "acquire(c=1)", "write(c=1)",
        "deliver WriteRequest(1→3, token=2)", "deliver WriteRequest(0→3, token=1)"]
    assert trace.steps[-1].state["accepted"] == [[1, 2], [0, 1]]


@pytest.mark.parametrize("mutant", ["acquire:drop-update:3", "acquire:off-by-one:1"])
def test_the_default_run_kills_a_lock_service_that_reissues_a_token(mutant: str) -> None:
    """The lock service grants the next client the token it issued last: it does not count
    its tokens up (``acquire:drop-update:3``), or issues the count itself
    (``acquire:off-by-one:1``). ``no_stale_write``, stated over the order of grants, fails
    when the earlier holder's delayed write lands after the next one's."""
    (m,) = select(mutants_of(dl.spec), [mutant])
    r = check(load_mutant(dl.spec, m))
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "no_stale_write"
    assert r.violation.trace is not None and r.violation.trace.length == 7


@pytest.mark.slow
def test_mutation_score_at_the_default_bounds(invoke: Invoke) -> None:
    # The mutants that lift a bound never end: a short time limit ends them (accepted).
    code, out, _ = invoke("mutate", "distributed-lock", "--json", "--timeout", "8")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"mutants": 52, "killed": 32, "error": 0, "survived": 0,
                              "equivalent": 3, "accepted": 17, "timeout": 0}
    assert data["score"] == 1.0 and data["stale_acceptances"] == []
    by = {m["id"]: (m["status"], m["property"]) for m in data["mutants"]}
    # A lock service that reissues the same token, or issues a smaller one (0), and a
    # client that sends another token: no_stale_write, stated over the order of grants.
    for mutant in ("acquire:drop-update:3", "acquire:off-by-one:1", "acquire:off-by-one:3",
                   "acquire:field-constant:1", "write:field-constant:3"):
        assert by[mutant] == ("killed", "no_stale_write")
    # Storage that does not remember the highest token it accepted, or forgets the larger.
    assert by["storage_rcv_write:drop-update:1"] == ("killed", "no_stale_write")
    assert by["storage_rcv_write:max-min:1"] == ("killed", "no_stale_write")
    # A client that writes without ever holding the lock.
    assert by["write:drop-guard:1"] == ("killed", "no_stale_write")
