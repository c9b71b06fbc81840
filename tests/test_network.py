"""The network value (set, bag, FIFO), and the pinned state counts of raft and
two-phase-commit under fault budgets, with and without symmetry reduction."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from modelcheck import Step, bind, check, replay
from modelcheck.network import Behind, Copies, Faults
from modelcheck.render.labels import step_label
from modelcheck.state import defaults
from modelcheck_specs import raft
from modelcheck_specs import transaction_commit as tc
from modelcheck_specs import two_phase_commit as tpc

REQ = raft.RequestVoteRequest


def test_bag_counts_copies_and_delivers_each_once() -> None:
    cfg = raft.Config()
    net = raft.net
    a, b = REQ(1, 0, 1), REQ(1, 0, 2)
    msgs = net.send(cfg, frozenset(), a, a, b, a)
    assert msgs == {a, b, Copies(a, 2)}
    assert sorted(net.in_flight(cfg, msgs)) == sorted([a, a, a, b])
    s = raft.init(cfg).replace(msgs=msgs)
    for left in (2, 1, 0):
        s = net.deliver(cfg, s, a)
        assert s is not None and net.in_flight(cfg, s.msgs).count(a) == left
    assert net.deliver(cfg, s, a) is None
    assert net.discard(cfg, msgs, lambda m: m.dst == 1) == {b}


def test_fifo_channels_deliver_in_order() -> None:
    cfg = raft.Config(network="fifo")
    net = raft.net
    a, b, c, d = REQ(1, 0, 1), REQ(2, 0, 1), REQ(2, 0, 2), REQ(3, 0, 1)
    msgs = net.send(cfg, frozenset(), a, b, c, d)
    assert msgs == {a, Behind(a, (b, d)), c}  # heads a (0→1) and c (0→2)
    assert net.in_flight(cfg, msgs) in ([a, b, d, c], [c, a, b, d])
    s = raft.init(cfg).replace(msgs=msgs)
    assert net.deliver(cfg, s, b) is None  # not at the head of its channel
    t = net.deliver(cfg, s, a)
    assert t is not None and t.msgs >= {b, Behind(b, (d,)), c} and a not in t.msgs
    assert net.discard(cfg, msgs, lambda m: m.term == 2) == {a, Behind(a, (d,))}


def test_set_network_keeps_delivered_messages() -> None:
    cfg = tpc.Config()
    s = tpc.rm_prepare(cfg, tpc.init(cfg), 0)
    assert s is not None
    t = tpc.net.deliver(cfg, s, tpc.Prepared(0))
    assert t is not None and tpc.Prepared(0) in t.msgs and t.tm_prepared == {0}


@pytest.mark.slow
def test_states_with_faults_pickle_for_worker_processes() -> None:
    r = check(raft.spec, variant="forget-vote")
    assert r.violation is not None and r.violation.trace is not None
    states = r.violation.trace.states
    assert states is not None
    assert pickle.loads(pickle.dumps(states)) == states
    assert pickle.loads(pickle.dumps(Faults("loss=1"))).budget("loss") == 1


def test_spec_hooks_and_fault_actions_without_budget_have_no_instances() -> None:
    net = raft.net
    assert raft.spec.fault_actions == net.fault_actions
    assert raft.spec.faults_param == net.budgets_field
    names = {i.name for i in bind(raft.spec).instances}
    assert not names & set(net.fault_actions)
    with_loss = {i.name for i in bind(raft.spec, params={"faults": "loss=1"}).instances}
    assert "drop" in with_loss and "crash" not in with_loss


def test_a_network_tells_the_engine_what_it_needs_through_the_spec_hooks() -> None:
    spec = raft.spec
    cfg = bind(spec, params={"faults": "loss=1,crash=1"}).config
    assert spec.fault_budgets is not None and spec.supported_faults is not None
    budgets = spec.fault_budgets(cfg)
    assert (budgets["drop"], budgets["crash"], budgets["fire"]) == (1, 1, 0)
    assert set(budgets) == set(spec.fault_actions) - {"heal"}
    assert spec.supported_faults(cfg) == raft.net.supported(cfg)
    crash = Step("crash", {"node": 0}, None)
    assert crash.label() == "crash(node=0)"
    assert crash.label(spec) == step_label(crash) == step_label(crash, spec) == "⚡ crash 0"
    assert spec.network_layout is not None
    layout = spec.network_layout(cfg)
    assert layout.nodes == (0, 1, 2) and (layout.field, layout.faults_field) == ("msgs", "faults")
    assert layout.routes and all((src, dst) == (m.src, m.dst) for m, src, dst in layout.routes)
    other = tc.spec
    assert other.fault_actions == () and other.faults_param is None
    assert other.fault_budgets is other.supported_faults is other.network_layout is None
    assert other.format_step is None


def test_fault_record_keeps_its_smallest_form_without_faults() -> None:
    plain = bind(tpc.spec).config
    clear = tpc.init(plain).faults
    assert clear is defaults(tpc.NodeFaults) and repr(clear) == "NodeFaults()"
    assert clear.down == frozenset() and clear.crash == 0
    budgeted = tpc.init(bind(tpc.spec, params={"faults": "crash=1"}).config).faults
    assert type(budgeted) is tpc.NodeFaults and budgeted.crash == 1
    # The first line of a trace shows it as the empty record, not twelve zero fields.
    r = check(tpc.spec, variant="tm-commits-early")
    assert r.violation is not None and r.violation.trace is not None
    assert r.violation.trace.steps[0].state["faults"] == {"$type": "NodeFaults"}


# -- pinned counts ----------------------------------------------------------------------------
# (params, distinct, generated, depth, distinct with --symmetry): the safety properties hold
# (elections alone, max_log_len 0, and randomised timeouts keep the fault combinations small).

ELECTIONS = {"max_term": 1, "max_log_len": 0, "timeouts": "randomised"}
RAFT = [
    ({**ELECTIONS, "faults": "loss=1"}, 286, 514, 13, None),
    ({**ELECTIONS, "faults": "dup=1"}, 364, 844, 11, None),
    ({**ELECTIONS, "faults": "crash=1"}, 532, 910, 16, None),
    ({**ELECTIONS, "faults": "crash=1,restart=1"}, 749, 1_747, 12, None),
    ({**ELECTIONS, "faults": "partition=1"}, 3_116, 10_417, 15, None),
    ({**ELECTIONS, "faults": "loss=1,dup=1"}, 1_207, 2_998, 14, 209),
    ({**ELECTIONS, "faults": "crash=1,restart=1,partition=1"}, 26_539, 99_481, 22, 4_475),
    ({"max_term": 1, "network": "fifo", "timeouts": "randomised"}, 8_092, 24_304, 29, 1_362),
    ({**ELECTIONS, "network": "fifo", "faults": "reorder=1"}, 79, 139, 10, None),
]


@pytest.mark.parametrize(("params", "distinct", "generated", "depth", "reduced"), [
    pytest.param(*case, id=",".join(f"{k}={v}" for k, v in case[0].items() if k != "timeouts"),
                 marks=[pytest.mark.slow] if case[1] > 5_000 else [])  # the larger models
    for case in RAFT])
def test_raft_safety_under_faults(params: dict[str, object], distinct: int, generated: int,
                                  depth: int, reduced: int | None) -> None:
    # eventually_leader needs a connected majority, which a crash and a partition
    # together take away (test_raft_no_leader_without_a_connected_majority).
    r = check(raft.spec, params=params, temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)
    if reduced is not None:
        s = check(raft.spec, params=params, symmetry=True, temporal=False)
        assert s.status == "ok" and s.stats.distinct_states == reduced


@pytest.mark.slow
def test_raft_no_leader_without_a_connected_majority() -> None:
    r = check(raft.spec, params={**ELECTIONS, "faults": "crash=1,partition=1"})
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("eventually_leader", "liveness")
    trace = r.violation.trace
    # Server 0 is down, servers 1 and 2 cut apart: they time out, round after round.
    assert trace is not None and (trace.loop_start, trace.length) == (4, 6)
    assert [step_label(s) for s in trace.steps][1:3] == ["⚡ crash 0", "⟂ partition {0, 1} | {2}"]


TPC = [
    ({"faults": "loss=1"}, 1_495, 6_252, 12, 322),
    ({"faults": "crash=1"}, 576, 2_418, 12, None),
    ({"faults": "partition=1"}, 2_592, 11_266, 13, 584),
]


@pytest.mark.parametrize(("params", "distinct", "generated", "depth", "reduced"), TPC,
                         ids=[p["faults"] for p, *_ in TPC])
def test_two_phase_commit_under_faults(params: dict[str, object], distinct: int,
                                       generated: int, depth: int,
                                       reduced: int | None) -> None:
    # Deadlocks off: a crashed TM blocks the RMs (the tm-crash variant); counted here is
    # the whole state space.
    r = check(tpc.spec, params=params, deadlock=False, temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, depth)
    if reduced is not None:
        s = check(tpc.spec, params=params, deadlock=False, symmetry=True, temporal=False)
        assert s.status == "ok" and s.stats.distinct_states == reduced


@pytest.mark.slow
def test_forget_vote_violates_election_safety_after_a_crash_and_restart() -> None:
    r = check(raft.spec, variant="forget-vote")
    assert r.status == "violation" and r.violation is not None
    assert r.violation.property == "election_safety"
    trace = r.violation.trace
    assert trace is not None and trace.length == 10
    assert [step_label(s) for s in trace.steps] == [
        "init", "timeout(i=0)",
        "deliver RequestVoteRequest(0→1, term=1, last_log_term=None, last_log_index=0)",
        "deliver RequestVoteResponse(1→0, term=1, granted=True)", "become_leader(i=0)",
        "⚡ crash 1", "↺ restart 1", "timeout(i=2)",
        "deliver RequestVoteRequest(2→1, term=0, last_log_term=None, last_log_index=0)",
        "deliver RequestVoteResponse(1→2, term=0, granted=True)", "become_leader(i=2)"]
    assert trace.steps[6].state["voted_for"] == [0, None, None]  # forgotten on restart
    assert trace.steps[6].state["current_term"] == [1, 1, 0]  # the term is durable
    # Terms are relative: once every server is in term 1, the state holds it as 0.
    assert trace.steps[8].state["current_term"] == [0, 0, 0]
    replay(bind(raft.spec, "forget-vote"), trace)
    # With voted_for durable the same faults are harmless.
    ok = check(raft.spec, params={**ELECTIONS, "timeouts": "nondeterministic",
                                  "faults": "crash=1,restart=1"}, temporal=False)
    assert ok.status == "ok"


def test_tm_crash_blocks_prepared_rms() -> None:
    r = check(tpc.spec, variant="tm-crash")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("all_decide", "possibility")
    trace = r.violation.trace
    assert trace is not None
    assert [step_label(s) for s in trace.steps] == ["init", "⚡ crash tm", "rm_prepare(rm=0)"]
    assert trace.steps[-1].state["rm_state"] == ["prepared", "working", "working"]
    reduced = check(tpc.spec, variant="tm-crash", symmetry=True)
    assert reduced.violation is not None and reduced.violation.trace is not None
    assert reduced.violation.trace.length == 2


@pytest.mark.slow
def test_faults_with_two_workers_match_one_process() -> None:
    params = {**ELECTIONS, "faults": "crash=1,restart=1,partition=1"}
    r = check(raft.spec, params=params, workers=2, temporal=False)
    assert (r.status, r.stats.distinct_states, r.stats.generated_states) == ("ok", 26_539,
                                                                            99_481)


def test_a_specs_own_step_labels_show_in_verify_and_its_trace_files(
        tmp_path: Path, readme_spec: Callable[[str], Path],
        invoke_output: Callable[..., tuple[int, str]]) -> None:
    # The format_step hook is the spec API's, not only the network's: a spec of its own that
    # sets it reads its way in the verdict and in every rendering of its trace.
    path = readme_spec("counter.py")
    source = path.read_text()
    path.write_text(source + "\nspec.format_step = lambda action, args: "
                    "f'P{args[\"p\"]} {action}s' if 'p' in args else None\n")
    code, out = invoke_output("verify", path, "--trace-out", tmp_path / "t.txt")
    assert code == 1
    assert " P0 reads" in out and " P1 writes" in out and "read(p=0)" not in out
    assert " P0 reads" in (tmp_path / "t.txt").read_text()
    # A hook that raises is the spec's error, named, not modelcheck's: exit 2.
    path.write_text(source + "\nspec.format_step = lambda action, args: args['p']\n")
    done = subprocess.run([sys.executable, "-m", "modelcheck", "verify", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "format_step('init', ...) raised KeyError: 'p'" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
