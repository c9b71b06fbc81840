"""Bracha's broadcast: 3f + 1 nodes deliver alike despite an equivocating sender; 3f nodes,
or an echo threshold of f, do not."""

from __future__ import annotations

import pytest

from modelcheck import check
from modelcheck.mutate import Settings, load_mutant, mutants_of, run, select
from modelcheck.render.labels import step_label
from modelcheck_specs import reliable_broadcast as rb


@pytest.mark.slow
def test_an_equivocating_sender_cannot_split_the_correct_nodes() -> None:
    r = check(rb.spec)
    assert r.status == "ok" and r.exhaustive  # delivered is reached
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == \
        (261_778, 2_399_965, 21)


def test_a_correct_sender_is_delivered_whatever_a_byzantine_receiver_says() -> None:
    r = check(rb.spec, variant="byzantine-receiver")
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (14_631, 204_524)


def test_with_n_equal_to_3f_a_silent_byzantine_node_blocks_delivery() -> None:
    r = check(rb.spec, variant="n-equals-3f")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "validity"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "broadcast", "deliver Initial(0→0, value=1)", "deliver Initial(0→1, value=1)",
        "deliver Echo(0→1, value=1)", "deliver Echo(1→0, value=1)"]
    assert trace.steps[-1].state["delivered"] == [[], [], []]


def test_with_an_echo_threshold_of_f_a_correct_node_delivers_a_forged_value() -> None:
    r = check(rb.spec, variant="low-echo-threshold")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.property == "integrity"
    trace = r.violation.trace
    assert [step_label(s) for s in trace.steps] == [
        "init", "☠ forge Echo(3→0, value=0)", "deliver Echo(3→0, value=0)",
        "deliver Ready(0→1, value=0)", "☠ forge Ready(3→1, value=0)", "deliver Ready(3→1, value=0)"]
    assert trace.steps[-1].state["delivered"] == [[], [0], [], []]


def test_each_variant_changes_its_parameter_and_documented_enablers_only() -> None:
    assert {v.name: v.params for v in rb.spec.variants.values()} == {
        "n-equals-3f": {"nodes": 3, "byzantine": "receiver"},
        "low-echo-threshold": {"echo_threshold": 1, "byzantine": "receiver"},
        "byzantine-receiver": {"byzantine": "receiver", "faults": "equivocate=1"}}
    for v in rb.spec.variants.values():
        assert "Enabler" in v.doc



def test_no_equivocation_catches_a_node_that_echoes_what_it_was_not_sent() -> None:
    report = run(rb.spec, Settings(max_depth=5, jobs=2), only=[
        "receive_initial:drop-update:1",  # a node echoes every INITIAL it receives
        "receive_initial:field-constant:3",  # a node echoes 0, whatever it received
    ])
    by = {o.mutant.id: (o.status, o.killed_by, o.trace_length) for o in report.outcomes}
    assert by == {"receive_initial:drop-update:1": ("killed", "no_equivocation", 4),
                  "receive_initial:field-constant:3": ("killed", "no_equivocation", 2)}



def test_a_correct_sender_shows_a_delivery_quorum_one_short_and_a_second_delivery() -> None:
    # With the sender Byzantine, a node that counts READYs after delivering needs 4 forged
    # messages to deliver again; with the sender correct, one is enough.
    report = run(rb.spec, Settings(variant="byzantine-receiver", max_depth=13, jobs=2), only=[
        "receive_ready:off-by-one:6",  # a node delivers on 2f READYs
        "receive_ready:and-or:1",  # a node counts READYs after delivering
    ])
    by = {o.mutant.id: (o.status, o.killed_by, o.trace_length) for o in report.outcomes}
    assert by == {"receive_ready:off-by-one:6": ("killed", "justified", 8),
                  "receive_ready:and-or:1": ("killed", "integrity", 12)}


@pytest.mark.slow
def test_the_default_run_catches_a_node_that_counts_readies_after_delivering() -> None:
    # A Byzantine sender with 4 forged messages (the default budget): 2 INITIALs and an
    # ECHO make node 2 send READY, its forged READY makes node 1 send one too and deliver,
    # node 3 follows, and node 3's READY is a fourth to node 1, which delivers again.
    (m,) = select(mutants_of(rb.spec), ["receive_ready:and-or:1"])
    r = check(load_mutant(rb.spec, m))
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == ("integrity", 13)
    assert r.violation.trace.steps[-1].state["delivered"] == [[], [0, 0], [], [0]]


def test_unanimous_echo_catches_an_echo_quorum_the_correct_nodes_cannot_make() -> None:
    # A Byzantine sender that tells every correct node the same value: an ECHO quorum one
    # node too large, or one that leaves out the node's own ECHO, needs the Byzantine
    # sender's ECHO, which it never sends.
    settings = Settings(params={"faults": "equivocate=3"}, max_depth=13, jobs=2)
    report = run(rb.spec, settings, only=[
        "receive_echo:flip-comparison:2",  # n - f + 1 ECHOs
        "receive_initial:drop-update:2",  # a node does not count its own ECHO
    ])
    by = {o.mutant.id: (o.status, o.killed_by, o.trace_length) for o in report.outcomes}
    assert by == {"receive_echo:flip-comparison:2": ("killed", "unanimous_echo", 12),
                  "receive_initial:drop-update:2": ("killed", "unanimous_echo", 12)}
