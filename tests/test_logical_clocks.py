"""Lamport, vector and hybrid logical clocks against the true happened-before relation."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import check
from modelcheck.mutate import load_mutant, mutants_of, select
from modelcheck_specs import logical_clocks as lc

if TYPE_CHECKING:
    from conftest import Invoke


def test_default_counts() -> None:
    r = check(lc.spec)
    assert r.status == "ok" and r.exhaustive  # the sometimes goals are reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (7_108, 11_249, 7)
    assert check(lc.spec, symmetry=True).stats.distinct_states == 3_568


@pytest.mark.slow
def test_hlc_holds_over_two_ticks_of_time() -> None:
    r = check(lc.spec, variant="hlc-drift")
    assert r.status == "ok" and r.stats.distinct_states == 24_379


@pytest.mark.parametrize(("variant", "prop", "length"), [
    ("lamport-converse", "lamport_converse", 3),
    ("vector-merge-sum", "vector_counts_events", 4),
    ("vector-forget-increment", "vector_clock_condition", 2),
    ("hlc-physical-only", "hlc_monotonic", 2),
])
def test_flawed_variants_have_shortest_traces(variant: str, prop: str, length: int) -> None:
    r = check(lc.spec, variant=variant)
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == prop
    assert r.violation.trace is not None and r.violation.trace.length == length


def test_vector_merge_sum_counts_events_that_never_happened() -> None:
    r = check(lc.spec, variant="vector-merge-sum")
    assert r.violation is not None and r.violation.trace is not None
    last = r.violation.trace.steps[-1].state["events"]
    assert [e["vector"] for e in last[1]] == [[1, 1], [3, 2]]  # process 0 took 2 events


def _receipt(lj: int, cj: int, lm: int, cm: int, pt: int) -> tuple[int, int]:
    """The HLC of process 1's receipt, at physical time ``pt``, of a message stamped
    (lm, cm), after its own event stamped (lj, cj)."""
    cfg = lc.Config(max_events=3, max_time=10)
    sent = lc.Event("send", 1, (1, 0), (lm, cm), 0, frozenset())
    own = lc.Event("local", 1, (0, 1), (lj, cj), 0, frozenset())
    s = lc.State(((sent,), (own,)), pt, frozenset(), lc.net.initial(cfg))
    t = lc.receive(cfg, s, lc.Message(0, 1, 0))
    assert t is not None
    return t.events[1][-1].hlc


def _local(lj: int, cj: int, pt: int) -> tuple[int, int]:
    cfg = lc.Config(max_events=3, max_time=10)
    own = lc.Event("local", 1, (1, 0), (lj, cj), 0, frozenset())
    s = lc.State(((own,), ()), pt, frozenset(), lc.net.initial(cfg))
    t = lc.local_event(cfg, s, 0)
    assert t is not None
    return t.events[0][-1].hlc


def test_hlc_rules_follow_the_paper() -> None:
    assert _local(3, 2, 3) == (3, 3)      # same l: count up
    assert _local(3, 2, 5) == (5, 0)      # physical clock ahead: adopt it
    assert _receipt(3, 1, 3, 4, 2) == (3, 5)
    assert _receipt(4, 1, 3, 4, 2) == (4, 2)
    assert _receipt(2, 1, 3, 4, 2) == (3, 5)
    assert _receipt(2, 1, 3, 4, 6) == (6, 0)


@pytest.mark.parametrize(("mutant", "length"), [
    ("receive:off-by-one:1", 2),  # both l equal: max(cj, cm) instead of max(cj, cm) + 1
    ("receive:off-by-one:4", 4),  # its own l kept: cj instead of cj + 1
    ("receive:off-by-one:7", 3),  # the message's l kept: cm instead of cm + 1
])
def test_the_default_run_kills_an_hlc_receipt_that_does_not_count_up(mutant: str,
                                                                      length: int) -> None:
    """An HLC receive event that keeps the counter of the clock whose ``l`` it keeps
    instead of incrementing it: with physical time moving (the default run), the receive
    event's HLC does not exceed the send's, and ``hlc_monotonic`` fails."""
    (m,) = select(mutants_of(lc.spec), [mutant])
    r = check(load_mutant(lc.spec, m))
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "hlc_monotonic"
    assert r.violation.trace is not None and r.violation.trace.length == length


@pytest.mark.slow
def test_mutation_score_at_the_default_bounds(invoke: Invoke) -> None:
    # The mutants that lift a bound never end: a short time limit ends them (accepted).
    code, out, _ = invoke("mutate", "logical-clocks", "--json", "--timeout", "8")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"mutants": 89, "killed": 67, "error": 0, "survived": 0,
                              "equivalent": 6, "accepted": 16, "timeout": 0}
    assert data["score"] == 1.0 and data["stale_acceptances"] == []
    by = {m["id"]: (m["status"], m["property"]) for m in data["mutants"]}
    # An HLC receipt that does not count up, whichever clock's l it keeps.
    assert by["receive:off-by-one:1"] == ("killed", "hlc_monotonic")  # max(cj, cm)
    assert by["receive:off-by-one:4"] == ("killed", "hlc_monotonic")  # cj
    assert by["receive:off-by-one:7"] == ("killed", "hlc_monotonic")  # cm
    # A counter that runs ahead, or does not restart at 0 when the physical clock leads.
    assert by["receive:off-by-one:8"] == ("killed", "hlc_counter_bound")
    assert by["local_event:off-by-one:4"][0] == "killed"
    # HLC taking the smaller clock; time standing still.
    assert by["receive:max-min:1"] == ("killed", "hlc_monotonic")
    assert by["tick:drop-update:1"] == ("killed", "time_passes")
