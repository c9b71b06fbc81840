"""Quorum election: a candidate holding a quorum can still become leader."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

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
