"""Consistent hashing: minimal movement on every ring checked; hash % n fails it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from modelcheck import check
from modelcheck.render.labels import step_label
from modelcheck_specs import consistent_hashing as ch


def test_every_membership_of_every_ring() -> None:
    r = check(ch.spec)
    assert r.status == "ok" and r.exhaustive
    # Each of the 32 rings, with each of the 15 non-empty sets of 4 nodes.
    assert (r.stats.distinct_states, r.stats.generated_states) == (480, 1_824)


def test_modulo_placement_moves_keys_between_nodes_that_stayed() -> None:
    r = check(ch.spec, variant="modulo")
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.kind) == ("minimal_movement", "action")
    assert [step_label(s) for s in r.violation.trace.steps] == [
        "init(seed=0)", "join(n=1)", "join(n=2)"]


@pytest.mark.slow
def test_the_hash_is_deterministic() -> None:
    """Placements do not depend on Python's hash seed: a run under another seed agrees."""
    assert ch.position(0, "key0", 64) == 16  # SHA-256 of "0:key0", first 8 bytes, mod 64
    code = ("from modelcheck_specs import consistent_hashing as ch; "
            "print(ch.placement(ch.Config(), 5, frozenset({0, 2, 3})))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
               for seed in ("1", "2")}
    assert outputs == {f"{ch.placement(ch.Config(), 5, frozenset({0, 2, 3}))}\n"}
