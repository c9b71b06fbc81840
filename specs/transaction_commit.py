"""Transaction commit: Lamport's TCommit, the abstract specification of commitment.

Source: Leslie Lamport and Jim Gray, "Consensus on Transaction Commit" (2006), and the
TLA+ specification ``TCommit.tla`` (tlaplus/Examples, specifications/transaction_commit).
Each of ``rms`` resource managers (RMs) moves from working to prepared and then to a
decision; a prepared RM may commit only when every RM is prepared or committed, and an
RM may abort only while none has committed. There are no messages: this is the
guarantee that two-phase commit implements. With 3 RMs TLC reports 34 distinct and 94
generated states (depth 7), with deadlock checking off; here the decided states are
declared terminal instead, which gives the same counts (with 12 RMs, 535,536 distinct and
6,401,869 generated, depth 25). RMs are a symmetric set: with
``--symmetry``, 13 distinct and 37 generated.

**Properties.** ``consistent`` (``TCConsistent``): no RM has committed while another has
aborted. ``decisions_final`` (an action property): an RM that has committed or aborted
never changes its mind. The ``sometimes`` goals ``all_committed`` and ``all_aborted`` keep
the spec from passing vacuously: the transaction can commit, and it can abort. With them,
``modelcheck mutate transaction-commit`` kills every mutant but two accepted survivors,
each a step that changes nothing (declared with ``spec.accept_mutant``, with its reason).
None of these changes the counts.

**Variant ``abort-after-commit``.** An RM may abort even after another has committed (the
``notCommitted`` guard is dropped). Shortest counterexample: every RM prepares, one
commits, and another aborts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    rms: Annotated[int, Between(1)] = 3
    """Number of resource managers (TLA+'s RM)."""
    abort_after_commit: bool = False
    """Flaw: an RM may abort although another RM has committed."""


RM = Annotated[int, Symmetric("RM", size="rms")]
"""A resource manager, ``0 .. rms - 1``; RMs are interchangeable (``--symmetry``)."""


class State(Record):
    """TCommit's single variable rmState."""

    rm_state: Annotated[tuple[str, ...], IndexedBy(RM)]


spec = Spec("transaction-commit", Config, State)


@spec.init
def init(cfg: Config) -> State:
    """Every RM is working."""
    return State(("working",) * cfg.rms)


def _rms(cfg: Config) -> range:
    return range(cfg.rms)


def _can_commit(s: State) -> bool:
    return all(r in ("prepared", "committed") for r in s.rm_state)


def _not_committed(s: State) -> bool:
    return "committed" not in s.rm_state


@spec.action(rm=_rms)
def prepare(cfg: Config, s: State, rm: int) -> State | None:
    """A working RM prepares."""
    if s.rm_state[rm] != "working":
        return None
    return State(set_at(s.rm_state, rm, "prepared"))


@spec.action(rm=_rms)
def decide_commit(cfg: Config, s: State, rm: int) -> State | None:
    """The commit case of ``Decide(rm)``: a prepared RM commits when all can commit.

    TCommit's ``Decide(rm)`` is a disjunction of two cases; the commit case comes first.
    When both are enabled they are two successors, so this action returns the commit and
    :func:`decide_abort` the abort.
    """
    if s.rm_state[rm] == "prepared" and _can_commit(s):
        return State(set_at(s.rm_state, rm, "committed"))
    return None


@spec.action(rm=_rms)
def decide_abort(cfg: Config, s: State, rm: int) -> State | None:
    """The abort case of ``Decide(rm)``: an undecided RM aborts while none has committed."""
    if s.rm_state[rm] in ("working", "prepared") and (cfg.abort_after_commit
                                                       or _not_committed(s)):
        return State(set_at(s.rm_state, rm, "aborted"))
    return None


@spec.terminal
def decided(cfg: Config, s: State) -> bool:
    """Every RM has committed or aborted: the protocol is over."""
    return all(r in ("committed", "aborted") for r in s.rm_state)


@spec.always
def consistent(cfg: Config, s: State) -> bool:
    """No RM has committed while another has aborted (TCConsistent)."""
    return not ("committed" in s.rm_state and "aborted" in s.rm_state)


@spec.action_property
def decisions_final(cfg: Config, before: State, after: State) -> bool:
    """An RM that has committed or aborted stays so: a decision is never revoked."""
    return all(a == b for a, b in zip(before.rm_state, after.rm_state)
               if a in ("committed", "aborted"))


@spec.sometimes
def all_committed(cfg: Config, s: State) -> bool:
    """The transaction can commit: every RM committed."""
    return all(r == "committed" for r in s.rm_state)


@spec.sometimes
def all_aborted(cfg: Config, s: State) -> bool:
    """The transaction can abort: every RM aborted."""
    return all(r == "aborted" for r in s.rm_state)


spec.accept_mutant(
    "decide_commit:drop-conjunct:1",
    """Without ``rm_state[rm] == 'prepared'`` a committed RM may commit again, a step that
    changes nothing (a stuttering step, which TLA+ allows anywhere); a working or aborted
    RM still cannot commit, since every RM must be prepared or committed.""")

spec.accept_mutant(
    "decide_abort:drop-conjunct:1",
    """Without the check that the RM is undecided, an aborted RM may abort again, a step that
    changes nothing (a stuttering step); a committed RM still cannot abort, since the abort
    needs that no RM has committed.""")


spec.variant(
    "abort-after-commit", params={"abort_after_commit": True}, violates="consistent",
    doc="An RM may abort although another RM has already committed.")
