"""Raft leader election: pinned state counts, and the shortest trace of each flawed variant."""

from __future__ import annotations

import pytest

from modelcheck import bind, check, replay
from modelcheck_specs import raft


@pytest.mark.parametrize(("params", "distinct", "generated", "depth"), [
    ({}, 29_031, 152_812, 17),
    ({"max_term": 1}, 263, 637, 10),
    ({"servers": 4, "max_term": 1}, 12_769, 61_669, 17),
])
@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_election_safety_holds_with_pinned_counts(strategy: str, params: dict[str, int],
                                                  distinct: int, generated: int,
                                                  depth: int) -> None:
    r = check(raft.spec, params=params, strategy=strategy)
    assert r.status == "ok" and r.exhaustive  # deadlock checking is on
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)
    if strategy == "bfs":
        assert r.stats.depth == depth


def test_a_leader_is_elected() -> None:
    # An unmet @spec.sometimes would make the search report a violation.
    assert check(raft.spec).status == "ok"
    cfg = raft.Config()
    s = raft.timeout(cfg, raft.init(cfg), 0)
    assert s is not None
    s = raft.net.deliver(cfg, s, raft.RequestVoteRequest(1, 0, 1))
    assert s is not None and s.voted_for == (0, 0, None)
    assert raft.RequestVoteRequest(1, 0, 1) not in s.msgs  # a bag: delivered once
    s = raft.net.deliver(cfg, s, raft.RequestVoteResponse(1, 1, 0, True))
    assert s is not None and s.votes_granted[0] == {0, 1}
    s = raft.become_leader(cfg, s, 0)
    assert s is not None and raft.leader_elected(cfg, s)
    assert s.role == ("leader", "follower", "follower") and s.current_term == (1, 1, 0)
    assert raft.election_safety(cfg, s)


def test_the_term_bound_ends_the_model_without_deadlock() -> None:
    cfg = raft.Config()
    s = raft.init(cfg)
    assert not raft.term_bound_reached(cfg, s)
    stuck = s.replace(current_term=(2, 2, 2), role=("leader", "follower", "candidate"))
    assert raft.term_bound_reached(cfg, stuck)
    assert raft.timeout(cfg, stuck, 1) is None and raft.timeout(cfg, stuck, 2) is None
    in_flight = stuck.replace(msgs=frozenset({raft.RequestVoteRequest(2, 2, 1)}))
    assert not raft.term_bound_reached(cfg, in_flight)


def test_vote_twice_elects_two_leaders_in_eight_steps() -> None:
    r = check(raft.spec, variant="vote-twice")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("election_safety", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 8
    assert [s.label() for s in trace.steps] == [
        "init", "timeout(i=0)",
        "deliver RequestVoteRequest 0→1 term=1",
        "deliver RequestVoteResponse 1→0 term=1 granted=True",
        "timeout(i=2)",
        "deliver RequestVoteRequest 2→0 term=1",
        "deliver RequestVoteResponse 0→2 term=1 granted=True",
        "become_leader(i=0)", "become_leader(i=2)"]
    last = trace.steps[-1].state
    assert last["role"] == ["leader", "follower", "leader"]
    assert last["current_term"] == [1, 1, 1]
    assert last["voted_for"] == [2, 0, 2]  # server 0 voted for itself, then for 2
    states = replay(bind(raft.spec, "vote-twice"), trace)
    assert not raft.election_safety(raft.Config(vote_twice=True), states[-1])


def test_minority_leader_elects_two_leaders_in_four_steps() -> None:
    r = check(raft.spec, variant="minority-leader")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("election_safety", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 4
    assert [s.label() for s in trace.steps] == [
        "init", "timeout(i=0)", "timeout(i=1)", "become_leader(i=0)", "become_leader(i=1)"]
    assert trace.steps[-1].state["votes_granted"] == [[0], [1], []]


def test_minority_leader_with_four_servers_needs_two_disjoint_pairs() -> None:
    r = check(raft.spec, variant="minority-leader", params={"servers": 4, "max_term": 1})
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "election_safety"
    trace = r.violation.trace
    assert trace is not None and trace.length == 8
    assert trace.steps[-1].state["votes_granted"] == [[0, 1], [], [2, 3], []]


@pytest.mark.parametrize("variant", ["vote-twice", "minority-leader"])
def test_variants_agree_between_bfs_and_dfs(variant: str) -> None:
    bfs = check(raft.spec, variant=variant)
    dfs = check(raft.spec, variant=variant, strategy="dfs")
    assert bfs.status == dfs.status == "violation"
    assert bfs.violation is not None and dfs.violation is not None
    assert bfs.violation.property == dfs.violation.property == "election_safety"
    assert bfs.violation.trace is not None and dfs.violation.trace is not None
    assert bfs.violation.trace.length <= dfs.violation.trace.length
