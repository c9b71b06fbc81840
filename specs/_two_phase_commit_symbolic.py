"""A symbolic encoding of two-phase commit (Lamport's TwoPhase) for inductive proofs.

The ``symbolic`` of the catalogue's ``two-phase-commit`` (``modelcheck prove induction
two-phase-commit``): the spec's module hands it out on first use, so checking the spec by
search does not import z3. Self-contained: it reads only the spec's configuration
(``cfg.rms``, the number of resource managers, and ``cfg.tm_commit_early``, the flawed
variant's switch; other fields must keep their defaults, the fault-free protocol) and
re-states TwoPhase.tla's variables and actions as z3 formulas. ``msgs`` becomes one Boolean
per possible message (``prepared_msg[rm]``, ``commit_msg``, ``abort_msg``).

``consistent`` (TCommit's TCConsistent) is not inductive on its own: a state where one RM
has committed, another is still working and an Abort message is out satisfies it, and
delivering that Abort breaks it. The state is unreachable, and the strengthening
conjuncts below (the message-consistency part of the inductive invariant of TwoPhase in
the TLA+ proof literature; the type part, TPTypeOK, is built into the variables' sorts)
say why; with them the invariant is inductive. With ``tm_commit_early`` the TM may commit
while some RM has not prepared, and ``commit_needs_all_prepared`` fails consecution.
"""

from __future__ import annotations

from typing import Any

import z3

from modelcheck.prove.induction import BOOL, Finite, Sort, SymbolicSpec, SymState, Update

__all__ = ["RM_STATE", "TM_STATE", "symbolic"]

RM_STATE = Finite("working", "prepared", "committed", "aborted")
"""An RM's state (TwoPhase.tla's rmState values)."""
TM_STATE = Finite("init", "committed", "aborted")
"""The TM's state (tmState)."""


def _rms(cfg: Any) -> range:
    return range(cfg.rms)


def variables(cfg: Any) -> dict[str, Sort]:
    """rmState, tmState, tmPrepared and msgs, one variable per RM where indexed."""
    sorts: dict[str, Sort] = {f"rm_state[{i}]": RM_STATE for i in _rms(cfg)}
    sorts["tm_state"] = TM_STATE
    sorts.update({f"tm_prepared[{i}]": BOOL for i in _rms(cfg)})
    sorts.update({f"prepared_msg[{i}]": BOOL for i in _rms(cfg)})
    sorts.update(commit_msg=BOOL, abort_msg=BOOL)
    return sorts


# The encoding describes the fault-free protocol: any other config field (a fault budget,
# say) left at its default is what makes the proof about the same protocol as the spec.
symbolic = SymbolicSpec("two-phase-commit", variables, models=("rms", "tm_commit_early"))


@symbolic.init
def init(cfg: Any, s: SymState) -> Any:
    """Every RM working, the TM in its initial state, no message sent."""
    return z3.And(*[s["rm_state", i] == RM_STATE["working"] for i in _rms(cfg)],
                  s["tm_state"] == TM_STATE["init"],
                  *[z3.Not(s["tm_prepared", i]) for i in _rms(cfg)],
                  *[z3.Not(s["prepared_msg", i]) for i in _rms(cfg)],
                  z3.Not(s["commit_msg"]), z3.Not(s["abort_msg"]))


@symbolic.action(rm=_rms)
def tm_rcv_prepared(cfg: Any, s: SymState, rm: int) -> Update:
    """The TM receives a Prepared message from ``rm``."""
    return Update(z3.And(s["tm_state"] == TM_STATE["init"], s["prepared_msg", rm]),
                  {("tm_prepared", rm): True})


@symbolic.action()
def tm_commit(cfg: Any, s: SymState) -> Update:
    """The TM commits once every RM is prepared (with the flaw: once any is)."""
    every = z3.And([s["tm_prepared", i] for i in _rms(cfg)])
    ready = z3.Or(every, z3.Or([s["tm_prepared", i] for i in _rms(cfg)])) \
        if cfg.tm_commit_early else every
    return Update(z3.And(s["tm_state"] == TM_STATE["init"], ready),
                  {"tm_state": TM_STATE["committed"], "commit_msg": True})


@symbolic.action()
def tm_abort(cfg: Any, s: SymState) -> Update:
    """The TM spontaneously aborts."""
    return Update(s["tm_state"] == TM_STATE["init"],
                  {"tm_state": TM_STATE["aborted"], "abort_msg": True})


@symbolic.action(rm=_rms)
def rm_prepare(cfg: Any, s: SymState, rm: int) -> Update:
    """``rm`` prepares and tells the TM."""
    return Update(s["rm_state", rm] == RM_STATE["working"],
                  {("rm_state", rm): RM_STATE["prepared"], ("prepared_msg", rm): True})


@symbolic.action(rm=_rms)
def rm_choose_to_abort(cfg: Any, s: SymState, rm: int) -> Update:
    """``rm`` spontaneously aborts while still working."""
    return Update(s["rm_state", rm] == RM_STATE["working"],
                  {("rm_state", rm): RM_STATE["aborted"]})


@symbolic.action(rm=_rms)
def rm_rcv_commit_msg(cfg: Any, s: SymState, rm: int) -> Update:
    """``rm`` receives the TM's Commit."""
    return Update(s["commit_msg"], {("rm_state", rm): RM_STATE["committed"]})


@symbolic.action(rm=_rms)
def rm_rcv_abort_msg(cfg: Any, s: SymState, rm: int) -> Update:
    """``rm`` receives the TM's Abort."""
    return Update(s["abort_msg"], {("rm_state", rm): RM_STATE["aborted"]})


@symbolic.invariant()
def consistent(cfg: Any, s: SymState) -> Any:
    """No RM has committed while another has aborted (TCConsistent)."""
    return z3.Not(z3.And(z3.Or([s["rm_state", i] == RM_STATE["committed"] for i in _rms(cfg)]),
                         z3.Or([s["rm_state", i] == RM_STATE["aborted"] for i in _rms(cfg)])))


@symbolic.strengthening
def tm_prepared_received(cfg: Any, s: SymState) -> Any:
    """The TM counts an RM as prepared only after its Prepared message was sent."""
    return z3.And([z3.Implies(s["tm_prepared", i], s["prepared_msg", i]) for i in _rms(cfg)])


@symbolic.strengthening
def prepared_sent_by_prepared_rm(cfg: Any, s: SymState) -> Any:
    """An RM that sent Prepared is no longer working."""
    return z3.And([z3.Implies(s["prepared_msg", i], s["rm_state", i] != RM_STATE["working"])
                   for i in _rms(cfg)])


@symbolic.strengthening
def commit_needs_all_prepared(cfg: Any, s: SymState) -> Any:
    """A Commit message implies the TM counted every RM as prepared."""
    return z3.Implies(s["commit_msg"], z3.And([s["tm_prepared", i] for i in _rms(cfg)]))


@symbolic.strengthening
def decisions_match_tm(cfg: Any, s: SymState) -> Any:
    """Commit and Abort messages are sent by a TM that has decided so (never both)."""
    return z3.And(z3.Implies(s["commit_msg"], s["tm_state"] == TM_STATE["committed"]),
                  z3.Implies(s["abort_msg"], s["tm_state"] == TM_STATE["aborted"]))


@symbolic.strengthening
def committed_after_commit(cfg: Any, s: SymState) -> Any:
    """An RM commits only on the TM's Commit message."""
    return z3.And([z3.Implies(s["rm_state", i] == RM_STATE["committed"], s["commit_msg"])
                   for i in _rms(cfg)])


@symbolic.strengthening
def aborted_alone_never_prepared(cfg: Any, s: SymState) -> Any:
    """An RM aborted without an Abort message chose to abort while working, never prepared."""
    return z3.And([z3.Implies(z3.And(s["rm_state", i] == RM_STATE["aborted"],
                                     z3.Not(s["abort_msg"])),
                              z3.Not(s["prepared_msg", i]))
                   for i in _rms(cfg)])
