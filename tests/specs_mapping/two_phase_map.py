"""TwoPhase.tla with its functions over model values kept as such: ``rmState`` is a
:class:`~modelcheck.Map` from the model values ``r1 .. rn`` (a symmetric set declared with a
prefix) to the RM's state, as in the TLA+ spec. The catalogue's ``two-phase-commit`` holds
the same variable as a tuple indexed by RM; both have TLC's counts: 288 distinct states for
3 RMs, 80 with ``SYMMETRY Permutations(RM)``.

Variant ``commit-early``: the TM commits once one RM is prepared (the planted bug).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Map, ModelValue, Record, Spec, Symmetric


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    rms: Annotated[int, Between(1)] = 3
    """Number of resource managers (TLA+'s RM = {r1, ..., rn})."""
    commit_early: bool = False
    """Flaw: the TM commits once any RM is prepared."""


RMS = Symmetric("RM", size="rms", prefix="r")
RM = Annotated[ModelValue, RMS]
"""A resource manager: a model value r1 .. rn."""


class Prepared(Record):
    """``rm`` tells the TM it is prepared."""

    rm: RM


class Commit(Record):
    """The TM's decision to commit."""


class Abort(Record):
    """The TM's decision to abort."""


class State(Record):
    """rmState, tmState, tmPrepared and msgs of TwoPhase.tla."""

    rm_state: Map[RM, str]
    tm_state: str
    tm_prepared: frozenset[RM]
    msgs: frozenset[Prepared | Commit | Abort]


spec = Spec("two-phase-map", Config, State)
spec.variant("commit-early", params={"commit_early": True}, violates="consistent",
             doc="The TM commits once one RM is prepared.")


@spec.init
def init(cfg: Config) -> State:
    """Every RM working, the TM in its initial state, no message sent."""
    return State(Map.fromkeys(RMS.elements(cfg), "working"), "init", frozenset(), frozenset())


@spec.action(rm=RMS.elements)
def tm_rcv_prepared(cfg: Config, s: State, rm: ModelValue) -> State | None:
    """The TM receives a Prepared message from ``rm``."""
    if s.tm_state != "init" or Prepared(rm) not in s.msgs:
        return None
    return s.replace(tm_prepared=s.tm_prepared | {rm})


@spec.action
def tm_commit(cfg: Config, s: State) -> State | None:
    """The TM commits once every RM is prepared."""
    if s.tm_state != "init":
        return None
    if len(s.tm_prepared) != cfg.rms and not (cfg.commit_early and s.tm_prepared):
        return None
    return s.replace(tm_state="committed", msgs=s.msgs | {Commit()})


@spec.action
def tm_abort(cfg: Config, s: State) -> State | None:
    """The TM spontaneously aborts."""
    if s.tm_state != "init":
        return None
    return s.replace(tm_state="aborted", msgs=s.msgs | {Abort()})


@spec.action(rm=RMS.elements)
def rm_prepare(cfg: Config, s: State, rm: ModelValue) -> State | None:
    """``rm`` prepares and tells the TM."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=s.rm_state.set(rm, "prepared"), msgs=s.msgs | {Prepared(rm)})


@spec.action(rm=RMS.elements)
def rm_choose_to_abort(cfg: Config, s: State, rm: ModelValue) -> State | None:
    """``rm`` spontaneously aborts while still working."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=s.rm_state.set(rm, "aborted"))


@spec.action(rm=RMS.elements)
def rm_rcv_commit_msg(cfg: Config, s: State, rm: ModelValue) -> State | None:
    """``rm`` receives the TM's Commit."""
    if Commit() not in s.msgs:
        return None
    return s.replace(rm_state=s.rm_state.set(rm, "committed"))


@spec.action(rm=RMS.elements)
def rm_rcv_abort_msg(cfg: Config, s: State, rm: ModelValue) -> State | None:
    """``rm`` receives the TM's Abort."""
    if Abort() not in s.msgs:
        return None
    return s.replace(rm_state=s.rm_state.set(rm, "aborted"))


@spec.always
def consistent(cfg: Config, s: State) -> bool:
    """No RM has committed while another has aborted (TCConsistent)."""
    states = set(s.rm_state.values())
    return not ("committed" in states and "aborted" in states)


@spec.terminal
def decided(cfg: Config, s: State) -> bool:
    """Every RM has committed or aborted."""
    return all(v in ("committed", "aborted") for v in s.rm_state.values())
