"""The alternating bit protocol matches TLC: its state constraint bounds the channels.

TLC 2.15 on MCAlternatingBit.tla with MCAlternatingBit.cfg (Data = {d1, d2}, msgQLen =
ackQLen = 2, CONSTRAINT SeqConstraint): 1,392 states generated, 240 distinct, depth 10,
no error (tlaplus/Examples' manifest.json records the same). With msgQLen = ackQLen = 3:
3,740 generated, 528 distinct, depth 12.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import bind, check, load_spec, replay
from modelcheck.catalogue import load

if TYPE_CHECKING:
    from conftest import Invoke, SpecVariant


@pytest.mark.parametrize(("bound", "distinct", "generated", "depth"),
                         [(2, 240, 1392, 10), (3, 528, 3740, 12)])
def test_counts_match_tlc(bound: int, distinct: int, generated: int, depth: int) -> None:
    params = {"msg_q_len": bound, "ack_q_len": bound}
    for strategy in ("bfs", "dfs"):
        result = check(load("alternating-bit"), params=params, strategy=strategy)
        assert result.status == "ok"
        assert result.stopped == "bounded by the state constraint seq_constraint"
        stats = result.stats
        assert (stats.distinct_states, stats.generated_states) == (distinct, generated)
        if strategy == "bfs":
            assert stats.depth == depth


def test_a_receiver_that_flips_its_bit_takes_a_resent_message_as_new() -> None:
    spec = load("alternating-bit")
    result = check(spec, variant="receiver-flips-bit")
    v = result.violation
    assert v is not None and v.property == "implements_abc" and v.trace is not None
    assert [s.action for s in v.trace.steps] == [
        "init", "snd_new_value", "re_snd_msg", "rcv_msg", "rcv_msg"]
    replay(bind(spec, "receiver-flips-bit"), v.trace)


@pytest.mark.parametrize(("old", "new", "goal", "distinct"), [
    ("if s.s_ack != s.s_bit:\n        return None\n    bit",
     "if s.s_ack == s.s_bit:\n        return None\n    bit", "new_value_received", 24),
    ("s.replace(ack_q=s.ack_q[1:], s_ack=s.ack_q[0])", "s.replace(ack_q=s.ack_q[1:])",
     "next_value_sent", 168)], ids=["never-a-new-value", "never-an-ack"])
def test_a_sender_that_does_less_misses_a_progress_goal(
        spec_variant: SpecVariant, old: str, new: str, goal: str, distinct: int) -> None:
    """A sender that never sends a new value, or never takes in an ack, reaches only some
    of the protocol's states; the search bounded by the channel constraint is complete, so
    the goal it never meets is violated."""
    planted = load_spec(str(spec_variant("alternating_bit", "planted", old, new)))
    for strategy in ("bfs", "dfs"):
        r = check(planted, strategy=strategy)
        assert r.violation is not None and r.violation.property == goal
        assert r.violation.message == (
            f"no reachable state satisfies {goal} (@spec.sometimes; bounded by the state "
            "constraint seq_constraint)")
        assert r.stats.distinct_states == distinct


def test_the_added_properties_catch_these_mutants(invoke: Invoke) -> None:
    killed = {
        "init:field-constant:1": "abc_init",  # the sender's ack starts on another bit
        "init:field-constant:3": "abc_init",  # the receiver starts on another bit
        "snd_new_value:drop-update:1": "bits_in_order",  # a new bit carrying the old value
        "re_snd_msg:drop-update:1": "one_message_moves",  # the sender never sends again
        "rcv_msg:drop-update:1": "one_message_moves",  # the receiver never dequeues
        "snd_ack:drop-update:1": "one_message_moves",  # no ack is ever sent
        "lose_msg:drop-update:1": "one_message_moves",  # a channel that never loses
        "snd_new_value:flip-comparison:1": "new_value_received",  # never a new value
        "rcv_ack:drop-update:2": "next_value_sent",  # the sender never takes in an ack
    }
    shown = [arg for mutant in [*killed, "rcv_msg:off-by-one:2"] for arg in ("--show", mutant)]
    code, out, _ = invoke("mutate", "alternating-bit", "--json", "--jobs", "2", *shown)
    assert code == 0
    by = {m["id"]: (m["status"], m["property"]) for m in json.loads(out)["mutants"]}
    assert by == {**{m: ("killed", p) for m, p in killed.items()},
                  "rcv_msg:off-by-one:2": ("accepted", None)}
