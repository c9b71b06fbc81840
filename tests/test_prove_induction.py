"""Inductive invariants of two-phase commit and quorum election, and agreement with the
explicit checker on the same specs.

A proof that an invariant is inductive says it holds in every reachable state; an
explicit search enumerates those states. The two must agree: every state the encoding
reaches satisfies the proved invariant, the encoding reaches what the spec reaches
(compared on the fields both name after TwoPhase.tla), and a flawed variant that the
search refutes is one whose strengthened invariant the proof cannot establish.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Spec, bind, check, to_json
from modelcheck.prove import evaluate, prove_induction, step_allowed
from modelcheck.prove.induction import reachable
from modelcheck_specs import quorum_election as qe
from modelcheck_specs import two_phase_commit as tpc
from modelcheck_specs.two_phase_commit import symbolic as tpc_symbolic

if TYPE_CHECKING:
    from conftest import CliResult, Invoke


def statuses(proof: Any) -> dict[str, str]:
    return {c.name: c.status for c in proof.claims}


def test_2pc_consistent_alone_is_not_inductive() -> None:
    proof = prove_induction(tpc_symbolic, tpc.Config(), bare=True)
    refuted = {n for n, s in statuses(proof).items() if s == "refuted"}
    assert refuted == {"consecution:rm_choose_to_abort", "consecution:rm_rcv_commit_msg",
                       "consecution:rm_rcv_abort_msg"}
    cti = next(c for c in proof.claims if c.name == "consecution:rm_rcv_abort_msg")
    assert cti.counterexample == {
        "before": {"rm_state": ["working", "working", "committed"], "tm_state": "init",
                   "tm_prepared": [False, False, False],
                   "prepared_msg": [False, False, False], "commit_msg": False,
                   "abort_msg": True},
        "action": "rm_rcv_abort_msg", "args": {"rm": 0},
        "after": {"rm_state": ["aborted", "working", "committed"], "tm_state": "init",
                  "tm_prepared": [False, False, False],
                  "prepared_msg": [False, False, False], "commit_msg": False,
                  "abort_msg": True},
        "violated": ["consistent"]}
    assert "takes rm_rcv_abort_msg(rm=0) to a state violating consistent:" in proof.render()
    assert "rm_state[0]: working → aborted" in proof.render()


@pytest.mark.parametrize("rms", [1, 2, 3, 5])
def test_2pc_strengthened_invariant_is_inductive(rms: int) -> None:
    proof = prove_induction(tpc_symbolic, tpc.Config(rms=rms))
    assert proof.status == "ok", proof.render()
    assert len(proof.claims) == 1 + 7  # initiation, then each of the seven actions
    assert proof.seconds < 5


def test_2pc_commit_early_fails_consecution_at_tm_commit() -> None:
    proof = prove_induction(tpc_symbolic, tpc.Config(tm_commit_early=True))
    refuted = [c for c in proof.claims if c.status == "refuted"]
    assert [c.name for c in refuted] == ["consecution:tm_commit"]
    assert refuted[0].counterexample is not None
    assert refuted[0].counterexample["violated"] == ["commit_needs_all_prepared"]


def _explicit_reachable(spec: Spec, variant: str | None,
                        params: dict[str, Any] | None = None) -> list[Any]:
    """A tiny explicit search over the spec's own actions (its public model interface)."""
    model = bind(spec, variant, params)
    frontier = [s for _, s in model.initial_states()]
    seen = set(frontier)
    while frontier:
        nxt = []
        for s in frontier:
            for i in range(len(model.instances)):
                t = model.apply(i, s)
                if t is not None and t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return list(seen)


def _tla_projection(state: dict[str, Any]) -> tuple[Any, ...]:
    """rmState, tmState and tmPrepared: the variables both sides name after TwoPhase.tla."""
    prepared = state["tm_prepared"]
    as_set = (frozenset(i for i, p in enumerate(prepared) if p)
              if prepared and isinstance(prepared[0], bool) else frozenset(prepared))
    return tuple(state["rm_state"]), state["tm_state"], as_set


def _grouped(valuation: dict[str, Any], rms: int) -> dict[str, Any]:
    return {"rm_state": [valuation[f"rm_state[{i}]"] for i in range(rms)],
            "tm_state": valuation["tm_state"],
            "tm_prepared": [valuation[f"tm_prepared[{i}]"] for i in range(rms)]}


@pytest.mark.parametrize("variant", [None, "tm-commits-early"])
@pytest.mark.slow
def test_2pc_proof_and_explicit_search_agree(variant: str | None) -> None:
    cfg = tpc.spec.params_of(variant)
    symbolic_states = reachable(tpc_symbolic, cfg)
    explicit_states = _explicit_reachable(tpc.spec, variant)
    # The encoding reaches exactly what the spec reaches, on the shared variables.
    assert {_tla_projection(_grouped(v, cfg.rms)) for v in symbolic_states} == \
        {_tla_projection(to_json(s)) for s in explicit_states}
    # The spec's own `consistent` and the encoding's agree on which states break it.
    explicit_bad = {_tla_projection(to_json(s)) for s in explicit_states
                    if not tpc.consistent(cfg, s)}
    symbolic_bad = {_tla_projection(_grouped(v, cfg.rms)) for v in symbolic_states
                    if not evaluate(tpc_symbolic, cfg, v, bare=True)["consistent"]}
    assert explicit_bad == symbolic_bad
    proof = prove_induction(tpc_symbolic, cfg)
    if variant is None:
        # Proved inductive, so every reachable state satisfies every conjunct.
        assert proof.status == "ok" and not explicit_bad
        for v in symbolic_states:
            assert all(evaluate(tpc_symbolic, cfg, v).values()), v
        assert check(tpc.spec).status == "ok"
    else:
        assert proof.status == "violation" and explicit_bad
        assert check(tpc.spec, variant=variant).status == "violation"


def test_quorum_election_bare_and_strengthened() -> None:
    bare = prove_induction(qe.symbolic, qe.Config(), bare=True)
    assert statuses(bare) == {"initiation": "proved", "consecution:vote": "proved",
                              "consecution:become_leader": "refuted"}
    cti = bare.claims[-1].counterexample
    assert cti is not None
    assert cti["before"] == {  # server 2 leads without votes; 0 then wins 1 and 2's votes
        "votes": [[[False, False, False], [True, False, False], [True, False, False]],
                  [[False, False, False]] * 3],
        "leader": [[False, False, True], [False, False, False]]}
    assert (cti["action"], cti["args"], cti["violated"]) == (
        "become_leader", {"term": 0, "candidate": 0}, ["election_safety"])
    assert prove_induction(qe.symbolic, qe.Config()).status == "ok"
    assert prove_induction(qe.symbolic, qe.Config(servers=5, terms=1)).status == "ok"


def test_quorum_election_flaw_found_by_both() -> None:
    cfg = qe.Config(minority_quorum=True)
    proof = prove_induction(qe.symbolic, cfg)
    assert statuses(proof)["consecution:become_leader"] == "refuted"
    result = check(qe.spec, variant="minority-quorum")
    assert result.violation is not None and result.violation.property == "election_safety"
    trace = result.violation.trace
    assert trace is not None and trace.length == 4 and trace.states is not None
    # The explicit counterexample is a run of the encoding too, step by step.
    states = [qe.valuation(cfg, s) for s in trace.states]
    for step, before, after in zip(trace.steps[1:], states, states[1:]):
        assert step_allowed(qe.symbolic, cfg, step.action, dict(step.args), before, after)
    assert not evaluate(qe.symbolic, cfg, states[-1], bare=True)["election_safety"]


@pytest.mark.parametrize("params", [{"terms": 1}, {"terms": 1, "minority_quorum": True}])
def test_quorum_election_reachable_states_agree(params: dict[str, Any]) -> None:
    cfg = qe.Config(**params)
    explicit = _explicit_reachable(qe.spec, None, params)
    symbolic = reachable(qe.symbolic, cfg)
    key: Callable[[dict[str, bool]], tuple[Any, ...]] = lambda v: tuple(sorted(v.items()))
    assert {key(qe.valuation(cfg, s)) for s in explicit} == {key(v) for v in symbolic}
    assert len(explicit) == len(symbolic)
    safe = [qe.election_safety(cfg, s) for s in explicit]
    assert all(safe) == (not params.get("minority_quorum", False))
    if all(safe):
        for v in symbolic:
            assert all(evaluate(qe.symbolic, cfg, v).values())


@pytest.fixture
def invoke(invoke: Invoke) -> Invoke:
    """``modelcheck prove induction ARGS``: exit code, standard output and standard error."""
    return functools.partial(invoke, "prove", "induction")


def test_cli(invoke: Invoke) -> None:
    code, out, _ = invoke("two-phase-commit")
    assert code == 0 and "✓ every tm_commit step preserves the invariant" in out
    code, out, _ = invoke("two-phase-commit", "--bare", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["proof"] == "induction" and data["params"]["invariant"] == "bare"
    code, out, _ = invoke("quorum-election", "--variant", "minority-quorum")
    assert code == 1 and "counterexample to induction" in out
    code, _, err = invoke("raft")
    assert code == 2 and "has no symbolic encoding" in err
    code, _, err = invoke("two-phase-commit", "--param", "rms=x")
    assert code == 2 and "Traceback" not in err


def test_configurations_the_encoding_does_not_model_are_refused() -> None:
    from modelcheck import UsageError
    from modelcheck.prove import SymbolicSpec
    narrow = SymbolicSpec("two-phase-commit", tpc_symbolic.variables, models=("rms",))
    narrow.init(tpc_symbolic.init_fn)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="models only rms; tm_commit_early=True is not its"):
        prove_induction(narrow, tpc.Config(tm_commit_early=True))


@pytest.mark.slow
def test_an_absurd_configuration_is_refused_before_the_encoding_is_built(
        cli_result: CliResult) -> None:
    # Binding validates the parameters and bounds the model before z3 sees it; without
    # it the encoding of two million resource managers was built for minutes.
    r = cli_result(["prove", "induction", "two-phase-commit", "--param",
                    "rms=2000000"])
    assert r.exit_code == 2, r.output
    assert "a model may enumerate at most 1,000,000" in r.output
    r = cli_result(["prove", "induction", "two-phase-commit", "--param",
                    "rms=0"])
    assert r.exit_code == 2 and "rms='0' is out of range" in r.output, r.output
