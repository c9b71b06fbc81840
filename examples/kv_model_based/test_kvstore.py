"""Model-based tests of kvstore.KVStore against the quorum-kv spec, with Hypothesis.

``TestKVStore`` is an ordinary pytest test class: Hypothesis runs the spec and the store
in lockstep, remembers failures in its database and shrinks them. The second test shows
the oracle at work on the store with its planted bug.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test
from kv_adapter import BuggyKVAdapter, KVAdapter
from kv_spec import spec

from modelcheck.testing import state_machine

FAST = settings(max_examples=60, stateful_step_count=12, deadline=None)

TestKVStore = state_machine(spec, adapter=KVAdapter, settings=FAST).TestCase


def test_the_oracle_catches_stale_reads() -> None:
    machine = state_machine(spec, adapter=BuggyKVAdapter)
    with pytest.raises(AssertionError, match="the implementation shows"):
        run_state_machine_as_test(machine, settings=settings(FAST, database=None))
