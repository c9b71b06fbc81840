"""Three-phase commit: no blocking when the coordinator crashes, inconsistency when the
network splits; pinned counts and the partition's shortest trace."""

from __future__ import annotations

import dataclasses

import pytest

from modelcheck import bind, check, replay
from modelcheck.render.labels import step_label
from modelcheck_specs import three_phase_commit as tpc


@pytest.mark.parametrize(("variant", "params", "distinct", "generated"), [
    (None, {}, 683, 3_352),
    ("no-faults", {}, 315, 1_306),
    (None, {"participants": 4}, 3_459, 22_428),
])
def test_consistent_and_never_blocked(variant: str | None, params: dict[str, int],
                                      distinct: int, generated: int) -> None:
    r = check(tpc.spec, variant=variant, params=params)
    assert r.status == "ok" and r.exhaustive  # all_decide (always possible) included
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)


def test_symmetry() -> None:
    r = check(tpc.spec, symmetry=True)
    assert r.status == "ok" and r.stats.distinct_states == 199


def test_without_the_termination_protocol_a_coordinator_crash_blocks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # all_decide is what tells 3PC from 2PC: take the termination protocol away.
    at = next(i for i, a in enumerate(tpc.spec.actions) if a.name == "participant_terminate")
    actions = list(tpc.spec.actions)
    actions[at] = dataclasses.replace(actions[at], fn=lambda cfg, s, p: None)
    monkeypatch.setattr(tpc.spec, "actions", actions)
    # Blocked states also deadlock; all_decide is the property that names the blocking.
    assert check(tpc.spec).violation.property == "deadlock"  # type: ignore[union-attr]
    r = check(tpc.spec, deadlock=False)
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("all_decide", "possibility")


def test_partition_decides_both_ways_in_twelve_steps() -> None:
    r = check(tpc.spec, variant="partition")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("consistent", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 12
    labels = [step_label(s) for s in trace.steps]
    assert labels[7:] == ["⟂ partition {0, 1, 2} | {coordinator}", "coordinator_precommit",
                          "coordinator_commit", "participant_terminate(p=0)",
                          "⟂ heal {0, 1, 2} | {coordinator}", "deliver Commit"]
    states = replay(bind(tpc.spec, "partition"), trace)
    assert states[10].part_state == ("aborted",) * 3 and states[10].coord_state == "committed"
    assert states[-1].part_state == ("committed", "aborted", "aborted")
