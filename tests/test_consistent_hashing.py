"""Consistent hashing: minimal movement on every ring checked; hash % n fails it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from planting import plant

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


SCAN = """    for pos, node, _ in ring:
        if pos >= at:
            return node
    return ring[0][1]"""


@pytest.mark.parametrize("mutant", [
    "_owner_on_ring:off-by-one:4",  # past the last virtual node, keys go to the last
    "_owner_on_ring:flip-comparison:1",  # a key on a virtual node's position goes on
    (SCAN, SCAN.replace("ring:", "reversed(ring):").replace(">=", "<=").replace("[0]", "[-1]")),
    ("return tuple(sorted((position(", "return tuple(((position("),  # the ring unsorted
    ("if vn[1] in members]", "if vn[1] in members and vn[2] == 0]"),  # one vnode a node
])
def test_a_placement_that_is_no_ring_stores_keys_where_lookups_miss_them(
        mutant: str | tuple[str, str]) -> None:
    # Each keeps single ownership and minimal movement; the first join shows a key away
    # from its successor.
    planted = plant(ch.spec, mutant)
    assert check(planted, properties=["single_owner", "minimal_movement"]).status == "ok"
    r = check(planted)
    assert r.violation is not None and r.violation.trace is not None
    assert (r.violation.property, r.violation.trace.length) == ("stored_at_successor", 1)


