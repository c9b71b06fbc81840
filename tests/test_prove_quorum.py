"""z3 proofs about quorum systems: verdicts, smallest counterexamples, fault tolerance.

Each verdict is also checked against brute force over every pair of node sets, where
that is small enough, so the z3 encoding cannot drift from the definition it claims.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
from typing import TYPE_CHECKING

import pytest

from modelcheck.prove import (
    SizeExpr,
    flexible_paxos,
    grid,
    majority,
    prove_family,
    prove_quorums,
    read_write,
    threshold,
    weighted,
)
from modelcheck.prove.proof import Claim, Proof

if TYPE_CHECKING:
    from conftest import Invoke


@pytest.fixture
def invoke(invoke: Invoke) -> Invoke:
    """``modelcheck prove quorum ARGS``: exit code, standard output and standard error."""
    return functools.partial(invoke, "prove", "quorum")


def size(text: str) -> SizeExpr:
    return SizeExpr.parse(text)


def statuses(proof: Proof) -> dict[str, str]:
    return {c.name: c.status for c in proof.claims}


def test_majority_quorums_intersect_for_every_n_up_to_50_and_symbolically() -> None:
    proof = prove_family(majority(), up_to=50)
    assert statuses(proof) == {"quorum-quorum@1..50": "proved", "quorum-quorum@all": "proved"}
    assert proof.exit_code == 0
    assert proof.seconds < 10


def test_half_is_not_a_majority_smallest_counterexample() -> None:
    proof = prove_family(threshold(size("n//2")), up_to=50, start=2)
    assert statuses(proof) == {"quorum-quorum@2..50": "refuted", "quorum-quorum@all": "refuted"}
    for claim in proof.claims:  # both find the same smallest N: 2 nodes, quorums of 1
        assert claim.counterexample == {"nodes": 2, "quorums": [
            {"kind": "quorum", "members": [0]}, {"kind": "quorum", "members": [1]}]}


def test_cli_example_from_the_issue(invoke: Invoke) -> None:
    code, out, _ = invoke("--nodes", "5", "--write", "3", "--read", "3")
    assert code == 0
    assert "✓ every write quorum (≥3 of 5 nodes) intersects every read quorum" in out
    assert "any 2 of the 5 nodes may fail" in out
    code, out, _ = invoke("--nodes", "5", "--write", "2", "--read", "3")
    assert code == 1
    assert "write quorum: {0, 1}  (2 nodes)" in out
    assert "read quorum:  {2, 3, 4}  (3 nodes)" in out


def test_cli_json_carries_the_disjoint_pair(invoke: Invoke) -> None:
    code, out, _ = invoke("--nodes", "5", "--write", "2", "--read", "3", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["proof"] == "quorum" and data["status"] == "violation"
    assert data["params"] == {"nodes": 5, "write": 2, "read": 3}
    by_name = {c["name"]: c for c in data["claims"]}
    assert by_name["write-read"]["counterexample"] == {"nodes": 5, "quorums": [
        {"kind": "write", "members": [0, 1]}, {"kind": "read", "members": [2, 3, 4]}]}
    assert by_name["write-write"]["counterexample"] == {"nodes": 5, "quorums": [
        {"kind": "write", "members": [0, 1]}, {"kind": "write", "members": [2, 3]}]}
    assert data["facts"]["per_kind"] == {
        "write": {"tolerates": 3, "blocking_set": [0, 1, 2, 3]},
        "read": {"tolerates": 2, "blocking_set": [0, 1, 2]}}
    assert data["facts"]["fault_tolerance"] == 2


@pytest.mark.parametrize("n", range(1, 7))
def test_read_write_verdicts_are_exactly_w_plus_r_greater_than_n(n: int) -> None:
    for w, r in itertools.product(range(1, n + 1), repeat=2):
        proof = prove_quorums(read_write(size(str(w)), size(str(r))).at(n))
        got = statuses(proof)
        assert got["write-read"] == ("proved" if w + r > n else "refuted"), (n, w, r)
        assert got["write-write"] == ("proved" if 2 * w > n else "refuted"), (n, w, r)
        for claim in proof.claims:
            if claim.counterexample is not None:  # a concrete pair: disjoint, right sizes
                first, second = (set(q["members"]) for q in claim.counterexample["quorums"])
                assert not first & second
                assert len(first) == w and len(second) == (r if claim.name == "write-read" else w)
        per_kind = proof.facts["per_kind"]
        assert per_kind["write"]["tolerates"] == n - w  # type: ignore[index,call-overload]
        assert per_kind["read"]["tolerates"] == n - r  # type: ignore[index,call-overload]
        assert proof.facts["fault_tolerance"] == n - max(w, r)


@pytest.mark.slow
def test_read_write_symbolically_in_n() -> None:
    proof = prove_family(read_write(size("n//2 + 1"), size("n - n//2")), up_to=30)
    assert set(statuses(proof).values()) == {"proved"}
    assert set(statuses(prove_family(read_write(size("n"), size("1")), up_to=30)).values()) \
        == {"proved"}  # write all, read one
    # Reads meet writes, but writes do not meet each other: W = n//2 is too small.
    proof = prove_family(read_write(size("n//2"), size("n - n//2 + 1")), up_to=30, start=2)
    got = statuses(proof)
    assert got["write-read@2..30"] == got["write-read@all"] == "proved"
    assert got["write-write@2..30"] == got["write-write@all"] == "refuted"
    claim = next(c for c in proof.claims if c.name == "write-write@all")
    assert claim.counterexample == {"nodes": 2, "quorums": [
        {"kind": "write", "members": [0]}, {"kind": "write", "members": [1]}]}


def test_flexible_paxos_q1_plus_q2_greater_than_n() -> None:
    proof = prove_quorums(flexible_paxos(size("8"), size("3")).at(10))
    assert statuses(proof) == {"phase-1-phase-2": "proved"}
    assert proof.facts["per_kind"] == {
        "phase-1": {"tolerates": 2, "blocking_set": [0, 1, 2]},
        "phase-2": {"tolerates": 7, "blocking_set": list(range(8))}}
    proof = prove_quorums(flexible_paxos(size("7"), size("3")).at(10))
    assert proof.claims[0].counterexample == {"nodes": 10, "quorums": [
        {"kind": "phase-1", "members": list(range(7))},
        {"kind": "phase-2", "members": [7, 8, 9]}]}
    # For every N at once: phase 1 waits for all but one node, phase 2 for two.
    proof = prove_family(flexible_paxos(size("n - 1"), size("2")), up_to=40, start=2)
    assert set(statuses(proof).values()) == {"proved"}
    proof = prove_family(flexible_paxos(size("n//2"), size("n//2 + 1")), up_to=40, start=2)
    claim = next(c for c in proof.claims if c.name.endswith("@all"))
    assert claim.status == "refuted"
    assert claim.counterexample == {"nodes": 3, "quorums": [
        {"kind": "phase-1", "members": [0]}, {"kind": "phase-2", "members": [1, 2]}]}


def test_weighted_votes_with_a_known_flaw() -> None:
    # Six votes, quorum "half of them": the heavy node and one light node make 3 votes,
    # the other three light nodes make 3 more, and the two quorums are disjoint.
    proof = prove_quorums(weighted([2, 1, 1, 1, 1], quorum=3))
    assert proof.status == "violation"
    assert proof.claims[0].counterexample == {"nodes": 5, "quorums": [
        {"kind": "quorum", "members": [0, 1]}, {"kind": "quorum", "members": [2, 3, 4]}]}
    assert "quorum: {0, 1}  (3 votes)" in proof.render()
    fixed = prove_quorums(weighted([2, 1, 1, 1, 1]))  # a majority of votes: 4
    assert fixed.status == "ok" and fixed.params["threshold"] == 4
    assert fixed.facts["fault_tolerance"] == 1  # losing the heavy node leaves 4 votes


def _disjoint_pair_exists(weights: list[int], t1: int, t2: int) -> bool:
    n = len(weights)
    for a in range(1 << n):
        if sum(w for i, w in enumerate(weights) if a >> i & 1) < t1:
            continue
        rest = ~a & ((1 << n) - 1)
        if sum(w for i, w in enumerate(weights) if rest >> i & 1) >= t2:
            return True  # the complement is the largest set disjoint from a
    return False


def test_weighted_verdicts_agree_with_brute_force() -> None:
    rng = random.Random(10)
    for _ in range(25):
        weights = [rng.randint(0, 4) for _ in range(rng.randint(1, 6))]
        total = sum(weights)
        q = rng.randint(1, max(total, 1))
        if q > total:
            continue
        proof = prove_quorums(weighted(weights, quorum=q))
        expected = "refuted" if _disjoint_pair_exists(weights, q, q) else "proved"
        assert proof.claims[0].status == expected, (weights, q)


def test_grid_quorums(invoke: Invoke) -> None:
    proof = prove_quorums(grid(3, 3))
    assert statuses(proof) == {"write-read": "proved", "write-write": "proved"}
    assert proof.facts["per_kind"] == {  # a row kills every full column; a column all reads
        "write": {"tolerates": 2, "blocking_set": [0, 1, 2]},
        "read": {"tolerates": 2, "blocking_set": [0, 3, 6]}}
    code, out, _ = invoke("--grid", "2x3")
    assert code == 0 and "node r*3+c is in row r, column c" in out


@pytest.mark.parametrize(("args", "message"), [
    (("--nodes", "5", "--write", "7", "--read", "3"), "no write quorum exists"),
    (("--nodes", "5", "--write", "3"), "--write and --read go together"),
    (("--nodes", "5", "--write", "n**2", "--read", "3"), "expression in n"),
    (("--weights", "2,x,1"), "integers separated by commas"),
    (("--grid", "3by3"), "expected ROWSxCOLS"),
    (("--write", "3", "--read", "3"), "give either --nodes N"),
    (("--nodes", "5", "--quorum", "3", "--phase1", "2", "--phase2", "4"), "choose one kind"),
    (("--weights", "1,1", "--up-to", "5"), "fixed number of nodes"),
])
def test_usage_errors_exit_2_with_a_message(invoke: Invoke, args: tuple[str, ...],
                                            message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2, out
    assert message in err and err.startswith("error: ") and "Traceback" not in err


def test_undecided_claims_exit_3() -> None:
    proof = Proof("quorum", "q", {}, (Claim("a", "s", "proved", 0.0),
                                      Claim("b", "s", "unknown", 0.0, reason="timeout")), 0.0)
    assert (proof.status, proof.exit_code) == ("incomplete", 3)
    refuted = Proof("quorum", "q", {}, (*proof.claims, Claim("c", "s", "refuted", 0.0)), 0.0)
    assert (refuted.status, refuted.exit_code) == ("violation", 1)


def test_readme_example_output(invoke: Invoke, readme: str) -> None:
    import re
    shown = re.search(r"\$ modelcheck prove quorum --nodes 5 --write 2 --read 3\n(.*?)…\n",
                      readme, re.S)
    assert shown is not None
    code, out, _ = invoke("--nodes", "5", "--write", "2", "--read", "3")
    assert code == 1

    def untimed(text: str) -> str:
        return re.sub(r"\(\d+\.\d\d s\)", "(… s)", text)
    assert untimed(out).startswith(untimed(shown.group(1)))
