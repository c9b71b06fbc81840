"""Quorum election: a candidate holding a majority can still become leader."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from planting import plant

from modelcheck import check
from modelcheck_specs import quorum_election as qe

if TYPE_CHECKING:
    from conftest import Invoke


def test_a_rule_asking_for_more_than_a_quorum_is_caught(invoke: Invoke) -> None:
    # `count(candidate) < quorum` -> `<=`: a candidate needs quorum + 1 votes.
    code, out, _ = invoke("mutate", "quorum-election", "--json", "--param", "terms=1",
                          "--show", "become_leader:flip-comparison:1")
    assert code == 0
    [m] = json.loads(out)["mutants"]
    assert (m["status"], m["property"], m["kind"]) == (
        "killed", "quorum_elects", "possibility")


QUORUM = "return cfg.servers // 2 + (0 if cfg.minority_quorum else 1)"


@pytest.mark.parametrize("mutant", [
    "quorum:off-by-one:1", "quorum:off-by-one:7",  # a majority plus one: all 3 of 3
    (QUORUM, "return cfg.servers - (1 if cfg.minority_quorum else 0)"),  # unanimity
    (QUORUM, "return (cfg.servers + 1) // 2 + (0 if cfg.minority_quorum else 1)"),
])
def test_a_quorum_rule_asking_for_more_than_a_majority_fails_the_default_run(
        mutant: str | tuple[str, str]) -> None:
    # `quorum_elects` counts a majority itself: a helper that asks for more, which a failed
    # minority would block, leaves a candidate holding two votes of three unelected.
    r = check(plant(qe.spec, mutant))
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.kind, r.violation.trace.length) == (
        "quorum_elects", "possibility", 3)


