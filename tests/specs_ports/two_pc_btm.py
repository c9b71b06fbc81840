# two_pc_btm.py
"""2PCwithBTM.tla, ported: two-phase commit with a backup TM, written in PlusCal. Each label
of the translation is an action; a process's program counter is its field (``pc`` a Map
over the RMs, ``tm_pc`` and ``btm_pc`` for the TM and the backup TM); ``fair process`` is
weak fairness of each process's steps. TLC's counts: 1,245 distinct states, 5,841
generated, depth 15.

The backup TM asserts that it never contradicts an RM that has already decided. Variants
``backup-aborts-after-commit`` (the backup aborts although an RM has committed) and
``backup-commits-on-one-prepared`` (the backup commits once one RM is prepared) fail it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import prod
from typing import Annotated

from modelcheck import Between, Map, ModelValue, Record, Spec, Symmetric


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    rms: Annotated[int, Between(1)] = 3
    """Number of resource managers (RM = {rm1, ..., rmn})."""
    rm_may_fail: bool = True
    """RMMAYFAIL: one RM may fail."""
    tm_may_fail: bool = True
    """TMMAYFAIL: the TM fails after deciding, and the backup TM takes over."""
    backup_ignores_commits: bool = False
    """Flaw: the backup TM aborts even though an RM has committed."""
    backup_commits_early: bool = False
    """Flaw: the backup TM commits once one RM is prepared."""


RMS = Symmetric("RM", size="rms", prefix="rm")
RM = Annotated[ModelValue, RMS]
"""A resource manager: a model value rm1 .. rmn."""


class State(Record):
    """rmState, tmState and pc of the translation, pc split by process."""

    rm_state: Map[RM, str]
    tm_state: str
    pc: Map[RM, str]
    tm_pc: str
    btm_pc: str


spec = Spec("two-pc-btm", Config, State)
spec.variant("backup-aborts-after-commit", params={"backup_ignores_commits": True},
             doc="The backup TM aborts although an RM has committed.")
spec.variant("backup-commits-on-one-prepared", params={"backup_commits_early": True},
             doc="The backup TM commits once one RM is prepared.")


def commit_ways(s: State) -> int:
    r"""The ways canCommit holds, each a successor of its own for TLC. The body of its
    ``\A rmc \in RM :`` runs to the end of the definition, so TLC reads it as ``\A rmc \in
    RM : rmState[rmc] = "prepared" \/ \E rm \in RM : rmState[rm] = "committed"``: a way
    is, for each RM, a true disjunct (the RM prepared, or a committed witness)."""
    committed = sum(v == "committed" for v in s.rm_state.values())
    return prod((v == "prepared") + committed for v in s.rm_state.values())


def aborting(s: State, rm: ModelValue) -> bool:
    """canAbort for the witness ``rm``: ``rm`` aborted or failed, and no RM committed."""
    return s.rm_state[rm] in ("aborted", "failed") and "committed" not in s.rm_state.values()


@spec.init
def init(cfg: Config) -> State:
    """Every RM working, the TM in its initial state, each process at its first label."""
    rms = RMS.elements(cfg)
    return State(Map.fromkeys(rms, "working"), "init", Map.fromkeys(rms, "RS"), "TS", "BTS")


# -- RManager(self): RS, a loop of Prepare, Decide and Fail ----------------------------------

def looping(s: State, self: ModelValue) -> bool:
    """RM ``self`` is at RS and still working or prepared."""
    return s.pc[self] == "RS" and s.rm_state[self] in ("working", "prepared")


@spec.action(self=RMS.elements)
def prepare(cfg: Config, s: State, self: ModelValue) -> State | None:
    """Prepare(self)."""
    if not looping(s, self) or s.rm_state[self] != "working":
        return None
    return s.replace(rm_state=s.rm_state.set(self, "prepared"))


@spec.action(self=RMS.elements)
def decide_commit(cfg: Config, s: State, self: ModelValue) -> State | None:
    """Decide(self), the commit case: the TM said commit."""
    if not looping(s, self) or s.tm_state != "commit":
        return None
    return s.replace(rm_state=s.rm_state.set(self, "committed"))


@spec.action(self=RMS.elements, why=("working", "abort"))
def decide_abort(cfg: Config, s: State, self: ModelValue, why: str) -> State | None:
    """Decide(self), the abort case: ``self`` is still working, or the TM said abort (two
    disjuncts, each a successor of its own, as TLC counts them)."""
    if not looping(s, self):
        return None
    if (s.rm_state[self] != "working") if why == "working" else (s.tm_state != "abort"):
        return None
    return s.replace(rm_state=s.rm_state.set(self, "aborted"))


@spec.action(self=RMS.elements)
def fail(cfg: Config, s: State, self: ModelValue) -> State | None:
    """Fail(self): ``self`` fails if RMs may fail and none has yet; otherwise a step that
    changes nothing."""
    if not looping(s, self):
        return None
    if cfg.rm_may_fail and "failed" not in s.rm_state.values():
        return s.replace(rm_state=s.rm_state.set(self, "failed"))
    return s


@spec.action(self=RMS.elements)
def rs_done(cfg: Config, s: State, self: ModelValue) -> State | None:
    """RM ``self`` leaves its loop, having committed, aborted or failed."""
    if s.pc[self] != "RS" or s.rm_state[self] in ("working", "prepared"):
        return None
    return s.replace(pc=s.pc.set(self, "Done"))


# -- TManager: TS, then TC and F1, or TA and F2 ----------------------------------------------

@spec.action
def ts_commit(cfg: Config, s: State) -> Iterator[State]:
    """TS, first branch: the TM may commit (one successor per way canCommit holds)."""
    if s.tm_pc == "TS":
        for _ in range(commit_ways(s)):
            yield s.replace(tm_pc="TC")


@spec.action(rm=RMS.elements)
def ts_abort(cfg: Config, s: State, rm: ModelValue) -> State | None:
    """TS, second branch: the TM may abort, ``rm`` having aborted or failed."""
    if s.tm_pc != "TS" or not aborting(s, rm):
        return None
    return s.replace(tm_pc="TA")


@spec.action
def tc(cfg: Config, s: State) -> State | None:
    """TC: the TM commits."""
    if s.tm_pc != "TC":
        return None
    return s.replace(tm_state="commit", tm_pc="F1")


@spec.action
def ta(cfg: Config, s: State) -> State | None:
    """TA: the TM aborts."""
    if s.tm_pc != "TA":
        return None
    return s.replace(tm_state="abort", tm_pc="F2")


@spec.action(label=("F1", "F2"))
def tm_fail(cfg: Config, s: State, label: str) -> State | None:
    """F1 or F2: the TM fails, hiding its decision, if it may."""
    if s.tm_pc != label:
        return None
    return s.replace(tm_state="hidden" if cfg.tm_may_fail else s.tm_state, tm_pc="Done")


# -- BTManager: BTS, then BTC or BTA ---------------------------------------------------------

@spec.action
def bts_commit(cfg: Config, s: State) -> Iterator[State]:
    """BTS, first branch: the TM has failed and the backup may commit (one successor per
    way canCommit holds)."""
    if s.btm_pc != "BTS" or s.tm_state != "hidden":
        return
    ways = commit_ways(s)
    if cfg.backup_commits_early and not ways and "prepared" in s.rm_state.values():
        ways = 1
    for _ in range(ways):
        yield s.replace(btm_pc="BTC")


@spec.action(rm=RMS.elements)
def bts_abort(cfg: Config, s: State, rm: ModelValue) -> State | None:
    """BTS, second branch: the TM has failed and ``rm`` has aborted or failed."""
    if s.btm_pc != "BTS" or s.tm_state != "hidden":
        return None
    if not aborting(s, rm) and not (cfg.backup_ignores_commits
                                    and s.rm_state[rm] in ("aborted", "failed")):
        return None
    return s.replace(btm_pc="BTA")


@spec.action
def btc(cfg: Config, s: State) -> State | None:
    """BTC: the backup TM commits."""
    if s.btm_pc != "BTC":
        return None
    assert "aborted" not in s.rm_state.values(), "the backup commits after an abort"
    return s.replace(tm_state="commit", btm_pc="Done")


@spec.action
def bta(cfg: Config, s: State) -> State | None:
    """BTA: the backup TM aborts."""
    if s.btm_pc != "BTA":
        return None
    assert "committed" not in s.rm_state.values(), "the backup aborts after a commit"
    return s.replace(tm_state="abort", btm_pc="Done")


@spec.action
def terminating(cfg: Config, s: State) -> State | None:
    """Every process done: the stuttering step the translation allows then."""
    if s.tm_pc != "Done" or s.btm_pc != "Done" or any(v != "Done" for v in s.pc.values()):
        return None
    return s


spec.fair("rmanager", "weak", actions=("prepare", "decide_commit", "decide_abort", "fail",
                                        "rs_done"), by="self")
spec.fair("tmanager", "weak", actions=("ts_commit", "ts_abort", "tc", "ta", "tm_fail"))
spec.fair("btmanager", "weak", actions=("bts_commit", "bts_abort", "btc", "bta"))


@spec.always
def consistency(cfg: Config, s: State) -> bool:
    """No RM has aborted while another has committed."""
    states = set(s.rm_state.values())
    return not ("aborted" in states and "committed" in states)


@spec.eventually
def termination(cfg: Config, s: State) -> bool:
    """Every process reaches Done."""
    return (s.tm_pc == "Done" and s.btm_pc == "Done"
            and all(v == "Done" for v in s.pc.values()))
