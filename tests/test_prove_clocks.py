"""Vector clock lemmas: proved with max as merge, refuted with exact least counterexamples."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from modelcheck.prove import prove_clocks

if TYPE_CHECKING:
    from conftest import CliResult

LEMMAS = ["irreflexive", "transitive", "merge-upper-bound", "merge-least", "local-step",
          "receive-after-send", "receive-after-previous"]


@pytest.mark.parametrize("dimension", [1, 2, 3, 5])
def test_max_merge_proves_every_lemma(dimension: int) -> None:
    proof = prove_clocks(dimension)
    assert [c.name for c in proof.claims] == LEMMAS
    assert {c.status for c in proof.claims} == {"proved"}
    assert "a → b ⇒ V(a) < V(b) follows" in proof.render()
    assert proof.seconds < 5


def refuted(merge: str) -> dict[str, object]:
    proof = prove_clocks(3, merge)
    assert proof.exit_code == 1
    return {c.name: c.counterexample for c in proof.claims if c.status == "refuted"}


def test_sum_is_an_upper_bound_but_not_the_least() -> None:
    assert refuted("flawed-sum") == {"merge-least": {
        "a": [0, 0, 1], "b": [0, 0, 1], "c": [0, 0, 1], "merge(a, b)": [0, 0, 2]}}


def test_keeping_the_local_clock_breaks_send_before_receive() -> None:
    assert refuted("flawed-keep-local") == {
        "merge-upper-bound": {"a": [0, 0, 0], "b": [0, 0, 1], "merge(a, b)": [0, 0, 0]},
        "receive-after-send": {"message (a)": [0, 0, 1], "receiver before (b)": [0, 0, 0],
                               "receiver": [0], "receiver after": [1, 0, 0]}}


def test_min_breaks_both_receive_lemmas() -> None:
    assert set(refuted("flawed-min")) == {"merge-upper-bound", "receive-after-send",
                                          "receive-after-previous"}


def test_cli(cli_result: CliResult) -> None:
    r = cli_result(["prove", "clocks", "--dimension", "3"])
    assert r.exit_code == 0 and "✓ merge(a, b) is at most every upper bound" in r.stdout
    r = cli_result(["prove", "clocks", "--merge", "flawed-sum", "--json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["status"] == "violation" and data["params"] == {"dimension": 3,
                                                                 "merge": "flawed-sum"}
    r = cli_result(["prove", "clocks", "--merge", "average"])
    assert r.exit_code == 2 and "choose one of max, flawed-sum" in r.stderr
