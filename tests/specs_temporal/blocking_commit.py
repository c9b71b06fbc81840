"""Two-phase commit cut down to what blocking needs, with a transaction manager that may crash.

A test model for always-possible properties: ``rms`` resource managers (RMs) prepare or
abort on their own; the TM commits once all are prepared or aborts while undecided, and
tells the RMs through a set of messages that only grows (TwoPhase.tla's network). With
``tm_may_crash`` the TM can crash while undecided and never come back: an RM that has
prepared may then neither commit nor abort on its own, and waits forever, the blocking
that two-phase commit is known for. ``all_decide`` (every RM can still reach a decision)
holds without crashes; with them, the shortest counterexample is 2 steps: the TM crashes
and RM 0 prepares. RMs are a symmetric set, so ``--symmetry`` applies (always-possible is
sound under it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    rms: Annotated[int, Between(1)] = 2
    """Number of resource managers."""
    tm_may_crash: bool = False
    """The TM may crash while it has not decided, and stays down."""


RM = Annotated[int, Symmetric("RM", size="rms")]


class Prepared(Record):
    """``rm`` tells the TM it is prepared."""

    rm: RM


class Decision(Record):
    """The TM's decision, ``commit`` or ``abort``."""

    outcome: str


COMMIT = Decision("commit")
ABORT = Decision("abort")


class State(Record):
    """Every RM's state, the TM's state, the RMs the TM knows are prepared, the messages."""

    rm_state: Annotated[tuple[str, ...], IndexedBy(RM)]
    tm_state: str
    tm_prepared: frozenset[RM]
    msgs: frozenset[Prepared | Decision]


spec = Spec("blocking-commit", Config, State)


def _rms(cfg: Config) -> range:
    return range(cfg.rms)


@spec.init
def init(cfg: Config) -> State:
    """Every RM working, the TM undecided, no message sent."""
    return State(("working",) * cfg.rms, "init", frozenset(), frozenset())


@spec.action(rm=_rms)
def tm_rcv_prepared(cfg: Config, s: State, rm: int) -> State | None:
    """The TM learns that ``rm`` is prepared."""
    if s.tm_state != "init" or Prepared(rm) not in s.msgs or rm in s.tm_prepared:
        return None
    return s.replace(tm_prepared=s.tm_prepared | {rm})


@spec.action
def tm_commit(cfg: Config, s: State) -> State | None:
    """The TM commits once every RM is prepared."""
    if s.tm_state != "init" or len(s.tm_prepared) != cfg.rms:
        return None
    return s.replace(tm_state="committed", msgs=s.msgs | {COMMIT})


@spec.action
def tm_abort(cfg: Config, s: State) -> State | None:
    """The undecided TM aborts."""
    if s.tm_state != "init":
        return None
    return s.replace(tm_state="aborted", msgs=s.msgs | {ABORT})


@spec.action
def tm_crash(cfg: Config, s: State) -> State | None:
    """The undecided TM crashes for good (only with ``tm_may_crash``)."""
    if not cfg.tm_may_crash or s.tm_state != "init":
        return None
    return s.replace(tm_state="crashed")


@spec.action(rm=_rms)
def rm_prepare(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` prepares and tells the TM."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "prepared"),
                     msgs=s.msgs | {Prepared(rm)})


@spec.action(rm=_rms)
def rm_choose_to_abort(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` aborts on its own while still working."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "aborted"))


@spec.action(rm=_rms)
def rm_rcv_decision(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` learns the TM's decision."""
    if s.rm_state[rm] in ("committed", "aborted"):
        return None
    if COMMIT in s.msgs:
        return s.replace(rm_state=set_at(s.rm_state, rm, "committed"))
    if ABORT in s.msgs:
        return s.replace(rm_state=set_at(s.rm_state, rm, "aborted"))
    return None


@spec.terminal
def decided(cfg: Config, s: State) -> bool:
    """Every RM has decided, or the TM is down (the blocking is what all_decide finds)."""
    return all_decide(cfg, s) or s.tm_state == "crashed"


@spec.always_possible
def all_decide(cfg: Config, s: State) -> bool:
    """Every RM has committed or aborted."""
    return all(r in ("committed", "aborted") for r in s.rm_state)


spec.variant("tm-crash", params={"tm_may_crash": True}, violates="all_decide",
             doc="The TM may crash before deciding; a prepared RM then blocks.")
