"""Raft: pinned state counts, the shortest trace of each flawed variant, the split-votes
lasso, and the explorers agreeing on the counts."""

from __future__ import annotations

from typing import Any

import pytest
from planting import plant

from modelcheck import bind, check, replay
from modelcheck.render.labels import step_label
from modelcheck_specs import raft

ELECTIONS = {"max_log_len": 0}
"""Elections alone (no log entries): the small configurations the fault budgets use."""
RANDOMISED = {"timeouts": "randomised"}
"""Timers that fire one election at a time, throughout: the small, liveness-only timing."""


@pytest.mark.parametrize(("params", "distinct", "generated", "depth"), [
    pytest.param({"network": "fifo"}, 182_800, 800_292, 30, marks=pytest.mark.slow),
    (ELECTIONS, 19_468, 113_937, 15),
    pytest.param({**ELECTIONS, "faults": "loss=1"}, 71_376, 479_419, 17,
                 marks=pytest.mark.slow),
    (RANDOMISED, 9_064, 31_042, 26),
    pytest.param({**RANDOMISED, "max_term": 2}, 31_795, 116_608, 37, marks=pytest.mark.slow),
    ({**RANDOMISED, **ELECTIONS, "faults": "loss=1"}, 286, 514, 13),
    ({**RANDOMISED, **ELECTIONS, "faults": "dup=1"}, 364, 844, 11),
    ({**RANDOMISED, **ELECTIONS, "faults": "crash=1"}, 532, 910, 16),
    ({**RANDOMISED, **ELECTIONS, "faults": "crash=1,restart=1"}, 749, 1_747, 12),
    ({**RANDOMISED, **ELECTIONS, "faults": "partition=1"}, 3_116, 10_417, 15),
    ({**RANDOMISED, **ELECTIONS, "network": "fifo", "faults": "reorder=1"}, 79, 139, 10),
], ids=["fifo", "elections", "elections-loss", "randomised", "randomised-term-2",
        "loss", "dup", "crash", "restart", "partition", "reorder"])
def test_every_property_holds_with_pinned_counts(params: dict[str, Any], distinct: int,
                                                 generated: int, depth: int) -> None:
    r = check(raft.spec, params=params)  # eventually_leader included, deadlocks checked
    assert r.status == "ok" and r.exhaustive
    assert r.checked is not None and [
        c.outcome for c in r.checked.properties if c.name == "eventually_leader"] == ["holds"]
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)


@pytest.mark.slow
def test_the_default_run_holds_and_the_strategies_agree_on_its_counts() -> None:
    # The catalogue's generic check of the default configuration, with its exact counts.
    bfs = check(raft.spec)  # eventually_leader included
    dfs = check(raft.spec, strategy="dfs", temporal=False)
    assert bfs.status == dfs.status == "ok" and bfs.exhaustive and dfs.exhaustive
    assert (bfs.stats.distinct_states, bfs.stats.generated_states, bfs.stats.depth) == (
        593_716, 3_797_685, 30)
    assert (dfs.stats.distinct_states, dfs.stats.generated_states) == (593_716, 3_797_685)
    assert bfs.checked is not None and {c.outcome for c in bfs.checked.properties} == {
        "holds", "met"}


@pytest.mark.parametrize(("params", "distinct", "generated", "depth"), [
    pytest.param({**ELECTIONS, "timeouts": "nondeterministic"}, 9_734, 57_268, 14,
                 marks=pytest.mark.slow),
    ({"servers": 2, "max_term": 2, "timeouts": "nondeterministic"}, 355, 861, 19),
])
def test_safety_holds_over_every_interleaving(params: dict[str, Any], distinct: int,
                                              generated: int, depth: int) -> None:
    # Timers that fire at any time: every safety property holds; eventually_leader does
    # not (split votes), so the state-based check runs alone.
    r = check(raft.spec, params=params, temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)


@pytest.mark.slow
def test_explorers_agree_on_the_counts() -> None:
    params = RANDOMISED
    bfs = check(raft.spec, params=params, temporal=False)
    two = check(raft.spec, params=params, temporal=False, workers=2)
    dfs = check(raft.spec, params=params, temporal=False, strategy="dfs")
    reduced = check(raft.spec, params=params, temporal=False, symmetry=True)
    assert bfs.status == two.status == dfs.status == reduced.status == "ok"
    for r in (bfs, two, dfs):
        assert (r.stats.distinct_states, r.stats.generated_states) == (9_064, 31_042)
    assert two.stats.depth == bfs.stats.depth == 26
    assert (reduced.stats.distinct_states, reduced.stats.generated_states) == (1_524, 5_199)


def test_an_entry_is_replicated_and_committed() -> None:
    cfg = raft.Config()
    s = raft.timeout(cfg, raft.init(cfg), 0)
    assert s is not None
    for j in (1, 2):
        s = raft.net.deliver(cfg, s, raft.RequestVoteRequest(1, 0, j, None, 0))
        assert s is not None
    # Every server is in term 1 now: terms are relative, so the state holds them as 0.
    assert s.current_term == (0, 0, 0) and s.voted_for == (0, 0, 0)
    s = raft.net.deliver(cfg, s, raft.RequestVoteResponse(0, 1, 0, True))
    assert s is not None
    s = raft.become_leader(cfg, s, 0)
    assert s is not None and s.role == ("leader", "follower", "follower")
    s = raft.client_request(cfg, s, 0, 0)
    assert s is not None and s.log[0] == ((0, 0),)
    assert raft.client_request(cfg, s, 0, 0) is None  # max_log_len 1
    s = raft.append_entries(cfg, s, 0, 1)
    assert s is not None and raft.append_entries(cfg, s, 0, 1) is None  # one outstanding
    request = raft.AppendEntriesRequest(0, 0, 1, 0, None, ((0, 0),), 0)
    s = raft.net.deliver(cfg, s, request)
    assert s is not None and s.log[1] == ((0, 0),)
    s = raft.net.deliver(cfg, s, raft.AppendEntriesResponse(0, 1, 0, True, 1))
    assert s is not None and s.commit_index == (1, 0, 0)
    assert s.committed == {(1, 0, 0, 0)}
    for prop in (raft.election_safety, raft.log_matching, raft.leader_completeness,
                 raft.state_machine_safety):
        assert prop(cfg, s)


def test_a_leader_that_loses_an_entry_breaks_leader_append_only() -> None:
    cfg = raft.Config()
    leader = raft.init(cfg).replace(role=("leader", "follower", "follower"),
                                    log=(((0, 0),), (), ()))
    assert raft.leader_append_only(cfg, leader, leader.replace(log=(((0, 0), (0, 0)), (), ())))
    assert not raft.leader_append_only(cfg, leader, leader.replace(log=((), (), ())))
    # A step that lowers every term by one: the same log, read one term down.
    shifted = leader.replace(current_term=(1, 1, 1), log=(((1, 0),), (), ()))
    assert raft.leader_append_only(cfg, shifted, leader)


@pytest.mark.slow
def test_commit_old_term_is_figure_3_7_in_27_steps() -> None:
    r = check(raft.spec, variant="commit-old-term")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("leader_completeness", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 27
    labels = [step_label(s) for s in trace.steps]
    assert [x for x in labels if x.startswith(("become_leader", "client_request"))] == [
        "become_leader(i=0)", "become_leader(i=1)", "client_request(i=0, v=0)",
        "become_leader(i=0)", "client_request(i=1, v=0)", "become_leader(i=1)"]
    last = trace.steps[-1].state
    # Server 0 still leads term 2, unaware that server 1 has won term 3.
    assert last["current_term"] == [2, 3, 3]
    assert last["role"] == ["leader", "leader", "follower"]
    assert last["log"] == [[[0, 0]], [[1, 0]], [[0, 0]]]  # server 1's entry is of term 1
    assert last["committed"] == [[1, 0, 0, 2]]  # the term-0 entry, committed in term 2
    states = replay(bind(raft.spec, "commit-old-term"), trace)
    cfg = raft.Config(commit_old_term=True, max_term=3)
    assert not raft.leader_completeness(cfg, states[-1])
    # The new leader overwrites the committed entry on server 2 (its first request fails
    # the consistency check) and commits its own: state machine safety breaks next.
    s = states[-1]
    for _ in range(2):
        s = raft.append_entries(cfg, s, 1, 2)
        assert s is not None
        for kind in (raft.AppendEntriesRequest, raft.AppendEntriesResponse):
            (m,) = [m for m in raft.net.in_flight(cfg, s.msgs)
                    if isinstance(m, kind) and {m.src, m.dst} == {1, 2}]
            s = raft.net.deliver(cfg, s, m)
            assert s is not None
    assert s.log[2] == s.log[1] == ((1, 0),) and s.commit_index[1] == 1
    assert not raft.state_machine_safety(cfg, s)


def test_no_truncate_acknowledges_a_conflicting_entry_in_13_steps() -> None:
    r = check(raft.spec, variant="no-truncate")
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "append_entries_from_leaders"
    trace = r.violation.trace
    assert trace is not None and trace.length == 13
    assert [step_label(s) for s in trace.steps][-1] == (
        "deliver AppendEntriesRequest(1→0, term=1, prev_log_index=0, prev_log_term=None, "
        "entries=[[1, 0]], commit_index=0)")  # terms relative: term 2 of the display
    last = trace.steps[-1].state
    assert last["log"] == [[[0, 0]], [[1, 0]], []]  # server 0 kept its own entry
    replay(bind(raft.spec, "no-truncate"), trace)


def test_no_truncate_applies_an_uncommitted_entry_in_16_steps() -> None:
    r = check(raft.spec, variant="no-truncate", properties=["state_machine_safety"])
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "state_machine_safety"
    trace = r.violation.trace
    assert trace is not None and trace.length == 16
    assert [step_label(s) for s in trace.steps][-4:] == [
        "deliver AppendEntriesRequest(1→2, term=1, prev_log_index=0, prev_log_term=None, "
        "entries=[[1, 0]], commit_index=0)",
        "deliver AppendEntriesResponse(2→1, term=1, success=True, match_index=1)",
        "append_entries(i=1, j=0)",
        "deliver AppendEntriesRequest(1→0, term=1, prev_log_index=0, prev_log_term=None, "
        "entries=[[1, 0]], commit_index=1)"]
    last = trace.steps[-1].state
    assert last["log"] == [[[0, 0]], [[1, 0]], [[1, 0]]]  # server 0 kept its own entry
    assert last["commit_index"] == [1, 1, 0]
    states = replay(bind(raft.spec, "no-truncate"), trace)
    assert not raft.state_machine_safety(raft.Config(no_truncate=True), states[-1])


def test_split_votes_is_a_lasso_of_endless_elections() -> None:
    r = check(raft.spec, variant="split-votes")
    assert r.status == "violation" and r.exit_code == 1 and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("eventually_leader", "liveness")
    trace = r.violation.trace
    assert trace is not None and (trace.loop_start, trace.length) == (2, 7)  # loop: 5
    states = replay(bind(raft.spec, "split-votes"), trace)
    assert states[-1] == states[trace.loop_start]  # the loop closes: the same state again
    assert all("leader" not in s.role for s in states)
    loop = [s.action for s in trace.steps[trace.loop_start + 1:]]
    assert loop == ["deliver", "timeout", "timeout", "timeout", "deliver"]


def test_timers_that_stabilise_elect_a_leader_and_ones_that_never_do_need_not() -> None:
    params = {"servers": 2, **ELECTIONS}
    for timing in ("stabilising", "randomised"):
        assert check(raft.spec, params={**params, "timeouts": timing}).status == "ok"
    r = check(raft.spec, params={**params, "timeouts": "nondeterministic"})
    assert r.violation is not None and r.violation.property == "eventually_leader"
    # The stabilisation is an assumption: without it, split votes go on forever.
    r = check(raft.spec, params=params, fairness={"stabilise": None})
    assert r.violation is not None and r.violation.property == "eventually_leader"


def test_the_bugs_of_concurrent_candidates_fail_the_default_run() -> None:
    # One flag each, nothing else changed: the default timing lets candidates overlap.
    for flag, length in (("vote_twice", 8), ("minority_leader", 4)):
        r = check(raft.spec, params={flag: True, **ELECTIONS})
        assert r.violation is not None and r.violation.property == "election_safety"
        assert r.violation.trace is not None and r.violation.trace.length == length
    # With randomised timers throughout, one election runs at a time: a false pass.
    assert check(raft.spec, params={"vote_twice": True, **RANDOMISED}).status == "ok"


def test_each_variant_changes_its_flag_and_documented_enablers_only() -> None:
    assert {v.name: set(v.params) for v in raft.spec.variants.values()} == {
        "commit-old-term": {"commit_old_term", "max_term", "timeouts"},
        "no-truncate": {"no_truncate"},
        "split-votes": {"timeouts", "servers", "max_log_len"},
        "vote-twice": {"vote_twice"},
        "minority-leader": {"minority_leader"},
        "forget-vote": {"forget_vote", "faults"}}
    for name in ("commit-old-term", "split-votes", "forget-vote"):
        assert "Enabler" in raft.spec.variants[name].doc


def test_vote_twice_elects_two_leaders_in_eight_steps() -> None:
    r = check(raft.spec, variant="vote-twice")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("election_safety", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 8
    # Server 0 becomes leader before server 2's vote request is answered: among the
    # shortest traces, one that switches between servers less.
    assert [s.action for s in trace.steps] == [
        "init", "timeout", "deliver", "deliver", "timeout", "deliver", "become_leader",
        "deliver", "become_leader"]
    last = trace.steps[-1].state
    assert last["role"] == ["leader", "follower", "leader"]
    assert last["voted_for"] == [2, 0, 2]  # server 0 voted for itself, then for 2
    states = replay(bind(raft.spec, "vote-twice"), trace)
    assert not raft.election_safety(raft.Config(vote_twice=True), states[-1])


def test_minority_leader_elects_two_leaders_in_four_steps() -> None:
    r = check(raft.spec, variant="minority-leader")
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "election_safety"
    trace = r.violation.trace
    assert trace is not None and trace.length == 4
    assert [step_label(s) for s in trace.steps] == [
        "init", "timeout(i=0)", "become_leader(i=0)", "timeout(i=1)", "become_leader(i=1)"]
    replay(bind(raft.spec, "minority-leader"), trace)


@pytest.mark.slow
def test_forget_vote_elects_two_leaders_after_a_restart_in_ten_steps() -> None:
    r = check(raft.spec, variant="forget-vote")
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "election_safety"
    trace = r.violation.trace
    assert trace is not None and trace.length == 10
    assert [step_label(s) for s in trace.steps][4:7] == [
        "become_leader(i=0)", "⚡ crash 1", "↺ restart 1"]
    replay(bind(raft.spec, "forget-vote"), trace)


def test_votes_go_to_servers_of_the_voters_term_and_every_leader_is_recorded() -> None:
    cfg = raft.Config()
    s = raft.init(cfg).replace(current_term=(1, 1, 0), voted_for=(1, 1, None))
    assert raft.votes_in_term(cfg, s)
    assert not raft.votes_in_term(cfg, s.replace(voted_for=(2, 1, None)))  # 2 is in term 0
    leader = s.replace(role=("follower", "leader", "follower"))
    assert not raft.elections_recorded(cfg, leader)
    assert raft.elections_recorded(cfg, leader.replace(elected=frozenset({(1, 1)})))


@pytest.mark.slow
def test_planted_election_bugs_are_killed_by_elections_alone() -> None:
    # Each of these survived the properties before votes_in_term, elections_recorded and
    # split_vote: a vote granted to a candidate of an older term, an election left out
    # of the history, timers that never fire during an election.
    from modelcheck.mutate import Settings, run
    report = run(raft.spec, Settings(params={"max_log_len": 0}, timeout=120.0), only=[
        "handle_request_vote_request:drop-conjunct:1", "become_leader:drop-update:2",
        "timeout:drop-conjunct:1"])
    assert [(o.mutant.id, o.status, o.killed_by, o.trace_length) for o in report.outcomes] == [
        ("handle_request_vote_request:drop-conjunct:1", "killed", "votes_in_term", 7),
        ("become_leader:drop-update:2", "killed", "elections_recorded", 4),
        ("timeout:drop-conjunct:1", "killed", "split_vote", None)]


def test_the_invariants_of_the_safety_argument_reject_what_they_state() -> None:
    cfg = raft.Config()
    base = raft.init(cfg)
    # A candidate's tally holds a vote of an earlier election (its voter is a term behind).
    cand = base.replace(current_term=(1, 0, 0), role=("candidate", "follower", "follower"),
                        voted_for=(0, 0, None))
    assert raft.tallies_from_voters(cfg, cand.replace(votes_granted=(
        frozenset({0}), frozenset(), frozenset())))
    assert not raft.tallies_from_voters(cfg, cand.replace(votes_granted=(
        frozenset({0, 1}), frozenset(), frozenset())))
    assert not raft.tallies_from_voters(cfg, base.replace(votes_granted=(
        frozenset({0}), frozenset(), frozenset())))  # a follower tallying
    # A candidate holding an entry of its own term.
    assert not raft.candidates_hold_no_entry_of_their_term(cfg, cand.replace(
        log=(((1, 0),), (), ())))
    # An entry of a term in which no one was elected, and one its leader does not hold.
    led = base.replace(current_term=(1, 1, 1), role=("leader", "follower", "follower"),
                       elected=frozenset({(1, 0)}), log=(((1, 0),), (), ()))
    assert raft.entries_from_leaders(cfg, led)
    assert not raft.entries_from_leaders(cfg, led.replace(log=((), ((1, 0),), ())))
    assert not raft.entries_from_leaders(cfg, led.replace(elected=frozenset()))
    # A leader's view of a follower: matchIndex below nextIndex, entries really held.
    fine = led.replace(progress=(frozenset({(1, 2, 1, 0), (2, 1, 0, 0)}), frozenset(),
                                 frozenset()), log=(((1, 0),), ((1, 0),), ()))
    assert raft.leader_progress_accurate(cfg, fine)
    assert not raft.leader_progress_accurate(cfg, fine.replace(
        progress=(frozenset({(1, 1, 1, 0), (2, 1, 0, 0)}), frozenset(), frozenset())))
    assert not raft.leader_progress_accurate(cfg, fine.replace(log=(((1, 0),), (), ())))
    # A request that misstates the leader's log, an acknowledgement of a log it lacks.
    request = raft.AppendEntriesRequest(1, 0, 1, 1, 1, (), 0)
    assert raft.append_entries_from_leaders(cfg, fine.replace(msgs=frozenset({request})))
    assert not raft.append_entries_from_leaders(cfg, fine.replace(
        msgs=frozenset({request.replace(prev_log_term=0)})))
    ack = raft.AppendEntriesResponse(1, 2, 0, True, 1)
    assert not raft.append_entries_from_leaders(cfg, fine.replace(msgs=frozenset({ack})))
    # A leader that becomes a candidate in its own term.
    assert not raft.leaders_keep_office(cfg, led, led.replace(
        role=("candidate", "follower", "follower")))
    assert raft.leaders_keep_office(cfg, led, led.replace(
        current_term=(2, 1, 1), role=("follower", "follower", "follower")))


@pytest.mark.parametrize(("mutant", "killed_by", "length"), [
    # A request whose previous entry's term is read from the entry's value.
    ("append_entries:off-by-one:10", "append_entries_from_leaders", 9),
    # An acknowledgement that leaves nextIndex at the index acknowledged.
    ("handle_append_entries_response:off-by-one:1", "leader_progress_accurate", 8),
    # A follower's acknowledgement that carries term 0 rather than its own.
    ("handle_append_entries_request:field-constant:7", "append_entries_from_leaders", 7),
    # A follower that takes client requests as if it led.
    ("client_request:flip-comparison:1", "entries_from_leaders", 1),
    # A candidate that keeps its tally of the previous election.
    ("timeout:drop-update:4", "tallies_from_voters", 3),
    # A new leader that believes its followers hold its log already.
    ("become_leader:off-by-one:5", "leader_progress_accurate", 4),
    # A candidate that hears from its term's leader and stays a candidate.
    ("handle_append_entries_request:flip-comparison:4",
     "candidates_hold_no_entry_of_their_term", 8),
    # A leader whose election timer still fires.
    ("timeout:drop-guard:1", "leader_progress_accurate", 6),
])
def test_planted_replication_bugs_fail_the_default_run(mutant: str, killed_by: str,
                                                       length: int) -> None:
    # Each survived the default bounds (or outran the time limit) before the invariants
    # of the safety argument; each now fails in a fraction of a second.
    from modelcheck.mutate import load_mutant, mutants_of, select
    m, = select(mutants_of(raft.spec), [mutant])
    r = check(load_mutant(raft.spec, m))
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == (killed_by, length)


def test_a_commit_quorum_off_by_one_fails_the_default_run() -> None:
    # The commit rule is a helper, which `mutate` leaves alone: planted by hand, a leader
    # counting `>= servers // 2` copies commits its entry on its own (the rule runs on the
    # leader's own append as on a response) and a leader elected without it breaks
    # leader completeness. Before the rule ran on appends, the run passed with the correct
    # protocol's counts.
    rule = "if 1 + sum(1 for x in matches if x >= k) > cfg.servers // 2:"
    r = check(plant(raft.spec, (rule, rule.replace("> cfg", ">= cfg"))))
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == ("leader_completeness", 10)


def test_a_refusal_in_another_servers_name_fails_the_default_run() -> None:
    # A follower that refuses an AppendEntries in server 0's name: the leader would step
    # server 0's nextIndex back, not its own, and never repair it. Its search did not end
    # in 15 minutes (the liveness property that would fail needs the whole graph);
    # messages_in_term catches the refusal while server 0 is a term behind.
    r = check(plant(raft.spec, "handle_append_entries_request:field-constant:5"))
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == ("messages_in_term", 13)


def test_messages_come_from_servers_of_their_term() -> None:
    cfg = raft.Config()
    s = raft.init(cfg).replace(current_term=(1, 1, 0))
    assert raft.messages_in_term(cfg, s)
    refusal = raft.AppendEntriesResponse(1, 1, 0, False, 0)
    assert raft.messages_in_term(cfg, s.replace(msgs=raft.net.send(cfg, s.msgs, refusal)))
    forged = refusal.replace(src=2)  # server 2 is in term 0
    assert not raft.messages_in_term(cfg, s.replace(msgs=raft.net.send(cfg, s.msgs, forged)))


CONSISTENCY_CHECK = "if prev > len(log) or (prev > 0 and log[prev - 1][0] != m.prev_log_term):"
DELETE_ON_CONFLICT = """            if len(log) >= index and log[index - 1] != m.entries[0]:
                if not cfg.no_truncate:
                    log = log[:prev] + m.entries
            elif len(log) < index:
                log = log + m.entries"""


def test_a_follower_without_the_consistency_check_breaks_log_matching_with_two_entries() -> None:
    # Invisible at the default bounds (one entry per log); two entries of two terms show it.
    planted = plant(raft.spec, (CONSISTENCY_CHECK, "if prev > len(log):"))
    deeper = {**RANDOMISED, "max_log_len": 2, "max_term": 2}
    for properties, killed_by, length in [(None, "append_entries_from_leaders", 18),
                                          (["log_matching"], "log_matching", 19)]:
        r = check(planted, params=deeper, properties=properties)
        assert r.violation is not None and r.violation.trace is not None
        assert (r.violation.property, r.violation.trace.length) == (killed_by, length)


def test_a_follower_deleting_after_a_matching_entry_fails_once_requests_overtake() -> None:
    # The follower deletes what follows the request's entry even when that entry matches:
    # harmless while requests arrive in order, wrong for a request overtaken by a later one.
    planted = plant(raft.spec, (DELETE_ON_CONFLICT, "            log = log[:prev] + m.entries"))
    r = check(planted, params={**RANDOMISED, "max_log_len": 2, "requests": 2})
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == (
        "append_entries_from_leaders", 13)


def test_an_overtaken_acknowledgement_moves_nothing_back() -> None:
    cfg = raft.Config(max_log_len=2, requests=2)
    s = raft.init(cfg).replace(
        current_term=(1, 1, 1), role=("leader", "follower", "follower"),
        log=(((1, 0), (1, 0)), ((1, 0), (1, 0)), ()), elected=frozenset({(1, 0)}),
        progress=(frozenset({(1, 3, 2, 0), (2, 1, 0, 0)}), frozenset(), frozenset()))
    stale = raft.AppendEntriesResponse(1, 1, 0, True, 1)
    after = raft.handle_append_entries_response(cfg, s.replace(msgs=frozenset({stale})), stale)
    assert (1, 3, 2, 0) in after.progress[0]
    assert raft.leader_progress_accurate(cfg, after)


@pytest.mark.parametrize("mutant", [
    "handle_append_entries_request:off-by-one:8",
    "handle_append_entries_request:off-by-one:9"])
def test_a_consistency_check_that_reads_the_value_shows_with_three_terms(mutant: str) -> None:
    # Accepted at the default bounds (two terms per state: the check at a non-empty prefix
    # never meets a conflicting entry); three terms, one election at a time, kill them.
    from modelcheck.mutate import load_mutant, mutants_of, select
    m, = select(mutants_of(raft.spec), [mutant])
    r = check(load_mutant(raft.spec, m), params={**RANDOMISED, "max_term": 2})
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == (
        "append_entries_from_leaders", 18)
    assert mutant in raft.spec.accepted_mutants


@pytest.mark.slow
@pytest.mark.parametrize(("bug", "goal"), [
    # A leader that commits only entries of earlier terms (the comparison of Figure 3.7's
    # rule flipped): its own entries are never committed.
    ("_advance_commit_index:flip-comparison:1", "entry_committed"),
    # A leader that does not count its own copy: it commits only once every server holds
    # the entry, never with a bare majority.
    ("_advance_commit_index:off-by-one:9", "committed_by_a_majority"),
])
def test_a_commit_rule_that_waits_too_long_misses_a_goal(bug: str, goal: str) -> None:
    r = check(plant(raft.spec, bug), temporal=False)
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == (goal, "sometimes")


def test_a_commit_recorded_at_index_zero_breaks_state_machine_safety() -> None:
    # The commit rule's range starting one too low records the leader's last entry at
    # index 0 as well, a phantom commit.
    r = check(plant(raft.spec, "_advance_commit_index:off-by-one:26"), temporal=False)
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "state_machine_safety"
    assert r.violation.trace is not None and r.violation.trace.length == 8


def test_committed_by_a_majority_asks_for_a_bare_majority() -> None:
    cfg = raft.Config()
    s = raft.init(cfg).replace(committed=frozenset({(1, 0, 0, 0)}))
    held = ((0, 0),)
    assert raft.committed_by_a_majority(cfg, s.replace(log=(held, held, ())))
    assert not raft.committed_by_a_majority(cfg, s.replace(log=(held, held, held)))
    assert not raft.committed_by_a_majority(cfg, s.replace(log=(held, (), ())))
    # An entry committed in a later term than its own (by a later leader) does not count.
    old = s.replace(committed=frozenset({(1, 0, 0, 1)}), log=(held, held, ()))
    assert not raft.committed_by_a_majority(cfg, old)
