"""Two-phase commit: Lamport's TwoPhase, a faithful port of TwoPhase.tla.

Source: Leslie Lamport and Jim Gray, "Consensus on Transaction Commit" (2006), and the
TLA+ specification ``TwoPhase.tla`` (tlaplus/Examples, specifications/transaction_commit).
A transaction manager (TM) and ``rms`` resource managers (RMs) exchange messages through
a set ``msgs`` that only grows: a message once sent can be received any number of times,
so loss and duplication are modelled for free, as in the TLA+ spec. Counts match TLC
exactly: 288 distinct and 1,146 generated states for 3 RMs (depth 11), 8,832 / 58,146 for
5, 296,448 / 2,744,706 for 7. RMs are a symmetric set: with ``--symmetry`` the counts are
TLC's with ``SYMMETRY Permutations(RM)``, 80 distinct for 3 RMs, 314 / 2,048 for 5 and 920
for 7.

**Property.** ``consistent`` is TCommit's ``TCConsistent``: no RM has committed while
another has aborted. Two-phase commit refines the abstract commit protocol
(``transaction-commit``), so it inherits this guarantee.

**Variant ``tm-commits-early``.** The TM commits as soon as it has received one Prepared
message instead of one from every RM. The shortest counterexample: RM 0 prepares, the TM
receives its Prepared and commits, RM 1 chooses to abort on its own, and RM 0 receives
the Commit: RM 0 is committed while RM 1 is aborted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import IndexedBy, Record, Spec, Symmetric, set_at


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    rms: int = 3
    """Number of resource managers (TLA+'s RM)."""
    tm_commit_early: bool = False
    """Flaw: the TM commits once any RM is prepared."""


RM = Annotated[int, Symmetric("RM", size="rms")]
"""A resource manager, ``0 .. rms - 1``. RMs are interchangeable: ``--symmetry`` explores
one state per permutation of them (TLC's ``SYMMETRY Permutations(RM)``)."""


class Prepared(Record):
    """An RM tells the TM it is prepared."""

    rm: RM


class Commit(Record):
    """The TM tells every RM to commit."""


class Abort(Record):
    """The TM tells every RM to abort."""


Message = Prepared | Commit | Abort
"""A message in ``msgs``."""

COMMIT = Commit()
ABORT = Abort()


class State(Record):
    """rmState, tmState, tmPrepared and msgs of TwoPhase.tla."""

    rm_state: Annotated[tuple[str, ...], IndexedBy(RM)]
    tm_state: str
    tm_prepared: frozenset[RM]
    msgs: frozenset[Message]


spec = Spec("two-phase-commit", Config, State)


@spec.init
def init(cfg: Config) -> State:
    """Every RM working, the TM in its initial state, no message sent."""
    return State(("working",) * cfg.rms, "init", frozenset(), frozenset())


def _rms(cfg: Config) -> range:
    return range(cfg.rms)


# -- transaction manager ------------------------------------------------------------------


@spec.action(rm=_rms)
def tm_rcv_prepared(cfg: Config, s: State, rm: int) -> State | None:
    """The TM receives a Prepared message from ``rm``."""
    if s.tm_state != "init" or Prepared(rm) not in s.msgs:
        return None
    return s.replace(tm_prepared=s.tm_prepared | {rm})


@spec.action
def tm_commit(cfg: Config, s: State) -> State | None:
    """The TM commits once every RM is prepared, and tells the RMs."""
    if s.tm_state != "init":
        return None
    if len(s.tm_prepared) != cfg.rms and not (cfg.tm_commit_early and s.tm_prepared):
        return None
    return s.replace(tm_state="committed", msgs=s.msgs | {COMMIT})


@spec.action
def tm_abort(cfg: Config, s: State) -> State | None:
    """The TM spontaneously aborts, and tells the RMs."""
    if s.tm_state != "init":
        return None
    return s.replace(tm_state="aborted", msgs=s.msgs | {ABORT})


# -- resource managers --------------------------------------------------------------------


@spec.action(rm=_rms)
def rm_prepare(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` prepares and tells the TM."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "prepared"),
                     msgs=s.msgs | {Prepared(rm)})


@spec.action(rm=_rms)
def rm_choose_to_abort(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` spontaneously aborts while still working."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "aborted"))


@spec.action(rm=_rms)
def rm_rcv_commit_msg(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` receives the TM's Commit (again, possibly: messages stay in ``msgs``)."""
    if COMMIT not in s.msgs:
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "committed"))


@spec.action(rm=_rms)
def rm_rcv_abort_msg(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` receives the TM's Abort."""
    if ABORT not in s.msgs:
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "aborted"))


# -- properties -------------------------------------------------------------------------


@spec.always
def consistent(cfg: Config, s: State) -> bool:
    """No RM has committed while another has aborted (TCConsistent)."""
    return not ("committed" in s.rm_state and "aborted" in s.rm_state)


@spec.sometimes
def all_committed(cfg: Config, s: State) -> bool:
    """The transaction can commit: every RM committed."""
    return all(r == "committed" for r in s.rm_state)


@spec.sometimes
def all_aborted(cfg: Config, s: State) -> bool:
    """The transaction can abort: every RM aborted."""
    return all(r == "aborted" for r in s.rm_state)


spec.variant(
    "tm-commits-early", params={"tm_commit_early": True}, violates="consistent",
    doc="The TM commits after one Prepared message instead of all of them.")
