"""Three-phase commit: no blocking when the coordinator crashes, inconsistency when the
network splits or a backup decides alone; pinned counts, shortest traces and mutants."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import pytest

from modelcheck import bind, check, replay
from modelcheck.mutate import load_mutant, mutants_of, select
from modelcheck.render.labels import step_label
from modelcheck_specs import three_phase_commit as tpc

if TYPE_CHECKING:
    from conftest import Invoke


@pytest.mark.parametrize(("variant", "distinct", "generated"), [
    (None, 7_543, 55_544),
    ("no-faults", 65, 193),
])
def test_consistent_and_never_blocked(variant: str | None, distinct: int,
                                      generated: int) -> None:
    r = check(tpc.spec, variant=variant)
    assert r.status == "ok" and r.exhaustive  # all_decide (always possible) included
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated)


def test_symmetry() -> None:
    r = check(tpc.spec, symmetry=True)
    assert r.status == "ok" and r.stats.distinct_states == 3_824


def test_without_the_termination_protocol_a_coordinator_crash_blocks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # all_decide is what tells 3PC from 2PC: take the termination protocol away.
    at = next(i for i, a in enumerate(tpc.spec.actions) if a.name == "backup_start")
    actions = list(tpc.spec.actions)
    actions[at] = dataclasses.replace(actions[at], fn=lambda cfg, s, p: None)
    monkeypatch.setattr(tpc.spec, "actions", actions)
    r = check(tpc.spec, deadlock=False)
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("all_decide", "possibility")


def test_partition_decides_both_ways_in_eleven_steps() -> None:
    r = check(tpc.spec, variant="partition")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("consistent", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 11
    labels = [step_label(s) for s in trace.steps]
    assert labels[3] == "⟂ partition {0} | {coordinator, 1}"
    assert labels[-3:] == ["coordinator_commit", "backup_start(p=0)", "backup_decide(p=0)"]
    last = replay(bind(tpc.spec, "partition"), trace)[-1]
    assert last.coord_state == "committed" and last.part_state[0] == "aborted"


def test_a_backup_deciding_alone_commits_and_aborts_in_eleven_steps() -> None:
    """A backup coordinator that decides from its own state: no automatic mutant makes a
    backup poll no one, so the shipped variant ``backup-decides-alone`` is that bug; the
    termination protocol's separate message steps let the default run catch it."""
    r = check(tpc.spec, variant="backup-decides-alone")
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("consistent", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == 11
    assert [step_label(s) for s in trace.steps[5:]] == [
        "coordinator_precommit", "⚡ crash coordinator", "deliver PreCommit(dst=0)",
        "backup_start(p=0)", "backup_decide(p=0)", "backup_start(p=1)", "backup_decide(p=1)"]
    states = replay(bind(tpc.spec, "backup-decides-alone"), trace)
    assert states[7].part_state == ("precommitted", "prepared")
    assert states[-1].part_state == ("committed", "aborted")


def test_the_default_run_kills_a_backup_that_decides_before_every_reply() -> None:
    """The automatic mutant closest to a backup deciding alone: without the guard that
    waits for every reachable participant's state, it decides from the replies it has,
    and a participant that never started the termination protocol decides at once and
    announces it (``backups_announce``, one step); without that property, ``consistent``
    fails in ten."""
    (m,) = select(mutants_of(tpc.spec), ["backup_decide:drop-guard:3"])
    mutant = load_mutant(tpc.spec, m)
    for skip, prop, length in (((), "backups_announce", 1),
                               (("backups_announce",), "consistent", 10)):
        r = check(mutant, skip=skip)
        assert r.status == "violation" and r.violation is not None
        assert (r.violation.property, r.violation.kind) == (prop, "invariant")
        assert r.violation.trace is not None and r.violation.trace.length == length


@pytest.mark.parametrize("mutant", ["_outcomes:field-constant:1", "_outcomes:field-constant:2"])
def test_a_backup_announces_its_decision_to_every_other_participant(mutant: str) -> None:
    """A backup's Outcome messages named from participant 0, or all sent to participant
    0: the other participant could still run the termination protocol itself, so nothing
    else fails, but the decision phase is broken (six steps: the coordinator crashes, one
    participant votes yes, polls the other and decides abort)."""
    (m,) = select(mutants_of(tpc.spec, helpers=True), [mutant])
    r = check(load_mutant(tpc.spec, m))
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("backups_announce", "invariant")
    assert r.violation.trace is not None and r.violation.trace.length == 6
    assert step_label(r.violation.trace.steps[-1]).startswith("backup_decide(p=")


@pytest.mark.slow
def test_mutants_killed_at_the_default_bounds(invoke: Invoke) -> None:
    code, out, _ = invoke("mutate", "three-phase-commit", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"mutants": 67, "killed": 55, "error": 1, "survived": 0,
                              "equivalent": 4, "accepted": 7, "timeout": 0}
    assert data["score"] == 1.0 and data["stale_acceptances"] == []
    by = {m["id"]: (m["status"], m["property"]) for m in data["mutants"]}
    # A backup that decides before every participant has replied (a participant that
    # never started the termination protocol decides at once), and a participant that
    # takes a PreCommit after reporting its state to a backup.
    assert by["backup_decide:drop-guard:3"] == ("killed", "backups_announce")
    assert by["participant_rcv_state_req:drop-update:1"] == ("killed", "consistent")
