"""Two-phase commit: Lamport's TwoPhase, a faithful port of TwoPhase.tla.

Source: Leslie Lamport and Jim Gray, "Consensus on Transaction Commit" (2006), and the
TLA+ specification ``TwoPhase.tla`` (tlaplus/Examples, specifications/transaction_commit).
A transaction manager (TM) and ``rms`` resource managers (RMs) exchange messages through
a set ``msgs`` that only grows: a message once sent can be received any number of times,
so duplication is modelled for free, as in the TLA+ spec. ``msgs`` is a ``set`` network
of modelcheck.network: each message is received through ``deliver``, and the TM's Commit
(or Abort), one message in TLA+, is one message per RM here, all sent at once, which
leaves the state graph unchanged. Counts match TLC
exactly: 288 distinct and 1,146 generated states for 3 RMs (depth 11), 8,832 / 58,146 for
5, 296,448 / 2,744,706 for 7. RMs are a symmetric set: with ``--symmetry`` the counts are
TLC's with ``SYMMETRY Permutations(RM)``, 80 distinct for 3 RMs, 314 / 2,048 for 5 and 920
for 7.

**Properties.** ``consistent`` is TCommit's ``TCConsistent``: no RM has committed while
another has aborted. Two-phase commit refines the abstract commit protocol
(``transaction-commit``), so it inherits this guarantee. ``commit_final`` (an action
property): an RM that has committed stays committed. The ``sometimes``
goals ``all_committed``, ``all_aborted`` and ``rm_aborts_alone`` (an RM aborts on its own
before the TM decides) keep the spec from passing vacuously. With them, ``modelcheck
mutate two-phase-commit`` kills every mutant but the equivalent ones and one accepted
survivor (declared with ``spec.accept_mutant``, with its reason).

**Variant ``tm-commits-early``.** The TM commits as soon as it has received one Prepared
message instead of one from every RM. The shortest counterexample: RM 0 prepares, the TM
receives its Prepared and commits, RM 0 receives the Commit, and RM 1 chooses to abort on
its own: RM 0 is committed while RM 1 is aborted.

**Faults.** ``--faults loss=N`` drops messages, ``partition=N`` cuts the TM off from some
RMs for a while, and ``crash=1`` lets the TM crash (crash-stop; RMs do not crash here).
The TM keeps no durable state, so ``restart`` is refused.

**Property ``all_decide``** (always-possible): from every reachable state, some sequence
of steps still leads every RM to commit or abort. It holds without faults. **Variant
``tm-crash``** (``--faults crash=1``) shows the blocking of two-phase commit: once the TM
is down, an RM that has prepared can neither commit nor abort on its own. The shortest
counterexample (2 steps): the TM crashes, RM 0 prepares; RMs 1 and 2 can still prepare
or abort, but no step leads RM 0 to a decision. States where the TM is down are
terminal, so the blocking is reported by ``all_decide`` rather than as a deadlock. With
faults off no state deadlocks (a received decision can always be received again), so
the ``decided`` predicate changes no count, and ``all_decide`` is checked on the state
graph after the search, off the actions' path.

**Inductive proof.** ``symbolic`` is the spec's symbolic encoding for ``modelcheck prove
induction two-phase-commit``: ``consistent`` is inductive with six strengthening conjuncts,
and with ``tm-commits-early`` it is refuted. It lives in ``_two_phase_commit_symbolic`` and
is imported on first use (it needs z3, which the search does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    rms: Annotated[int, Between(1)] = 3
    """Number of resource managers (TLA+'s RM)."""
    tm_commit_early: bool = False
    """Flaw: the TM commits once any RM is prepared."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults crash=1``: the TM may crash; see modelcheck.network)."""


RM = Annotated[int, Symmetric("RM", size="rms")]
"""A resource manager, ``0 .. rms - 1``. RMs are interchangeable: ``--symmetry`` explores
one state per permutation of them (TLC's ``SYMMETRY Permutations(RM)``)."""

TM: Literal["tm"] = "tm"
"""The transaction manager, as a node of the network."""

Node = RM | Literal["tm"]
"""A node of the network: an RM or the TM."""


class Prepared(Record):
    """``rm`` tells the TM it is prepared."""

    rm: RM


class Commit(Record):
    """The TM tells ``rm`` to commit (TwoPhase.tla's one Commit message, one copy per RM)."""

    rm: RM


class Abort(Record):
    """The TM tells ``rm`` to abort."""

    rm: RM


Message = Prepared | Commit | Abort
"""A message in ``msgs``."""


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, and whether the TM is down (modelcheck.network)."""


class State(Record):
    """rmState, tmState, tmPrepared and msgs of TwoPhase.tla, and the faults in force."""

    rm_state: Annotated[tuple[str, ...], IndexedBy(RM)]
    tm_state: str
    tm_prepared: frozenset[RM]
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("two-phase-commit", Config, State)


def _rms(cfg: Config) -> range:
    return range(cfg.rms)


def _messages(cfg: Config) -> list[Message]:
    """Every message of the protocol."""
    return ([Prepared(rm) for rm in _rms(cfg)] + [Commit(rm) for rm in _rms(cfg)]
            + [Abort(rm) for rm in _rms(cfg)])


def _route(m: Message) -> tuple[Node, Node]:
    return (m.rm, TM) if type(m) is Prepared else (TM, m.rm)


net = Network(spec, messages=_messages, nodes=lambda cfg: (*_rms(cfg), TM), kind="set",
              route=_route, crashable=lambda cfg: (TM,))
"""TwoPhase.tla's ``msgs``: a message once sent stays and can be received again. The TM is
the node that may crash (crash-stop: it keeps no durable state to restart from)."""


@spec.init
def init(cfg: Config) -> State:
    """Every RM working, the TM in its initial state, no message sent."""
    return State(("working",) * cfg.rms, "init", frozenset(), frozenset(), net.initial(cfg))


# -- transaction manager ------------------------------------------------------------------


@net.handler(Prepared)
def tm_rcv_prepared(cfg: Config, s: State, m: Prepared) -> State | None:
    """The TM receives a Prepared message from ``rm``."""
    if s.tm_state != "init":
        return None
    return s.replace(tm_prepared=s.tm_prepared | {m.rm})


@net.action(node=TM)
def tm_commit(cfg: Config, s: State) -> State | None:
    """The TM commits once every RM is prepared, and tells the RMs."""
    if s.tm_state != "init":
        return None
    if len(s.tm_prepared) != cfg.rms and not (cfg.tm_commit_early and s.tm_prepared):
        return None
    return s.replace(tm_state="committed",
                     msgs=net.broadcast(cfg, s.msgs, _commits(cfg.rms)))


@net.action(node=TM)
def tm_abort(cfg: Config, s: State) -> State | None:
    """The TM spontaneously aborts, and tells the RMs."""
    if s.tm_state != "init":
        return None
    return s.replace(tm_state="aborted", msgs=net.broadcast(cfg, s.msgs, _aborts(cfg.rms)))


@cache
def _commits(rms: int) -> tuple[Commit, ...]:
    return tuple(Commit(rm) for rm in range(rms))


@cache
def _aborts(rms: int) -> tuple[Abort, ...]:
    return tuple(Abort(rm) for rm in range(rms))


# -- resource managers --------------------------------------------------------------------
# RMs do not crash in this model, so their steps need no guard (spec.action, not net.action).


@spec.action(rm=_rms)
def rm_prepare(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` prepares and tells the TM."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "prepared"),
                     msgs=net.send(cfg, s.msgs, Prepared(rm)))


@spec.action(rm=_rms)
def rm_choose_to_abort(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` spontaneously aborts while still working."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "aborted"))


@net.handler(Commit)
def rm_rcv_commit_msg(cfg: Config, s: State, m: Commit) -> State:
    """``rm`` receives the TM's Commit (again, possibly: messages stay in ``msgs``)."""
    return s.replace(rm_state=set_at(s.rm_state, m.rm, "committed"))


@net.handler(Abort)
def rm_rcv_abort_msg(cfg: Config, s: State, m: Abort) -> State:
    """``rm`` receives the TM's Abort."""
    return s.replace(rm_state=set_at(s.rm_state, m.rm, "aborted"))


# -- properties -------------------------------------------------------------------------


@spec.always
def consistent(cfg: Config, s: State) -> bool:
    """No RM has committed while another has aborted (TCConsistent)."""
    return not ("committed" in s.rm_state and "aborted" in s.rm_state)


@spec.action_property
def commit_final(cfg: Config, before: State, after: State) -> bool:
    """An RM that has committed stays committed: a commit is never undone."""
    return all(b == "committed" for a, b in zip(before.rm_state, after.rm_state)
               if a == "committed")


@spec.always_possible
def all_decide(cfg: Config, s: State) -> bool:
    """Every RM has committed or aborted, and some path from every state still leads there.

    As an always-possible property (CTL's AG EF): from every reachable state, some
    sequence of steps still leads every RM to a decision, which a crashed TM takes away
    from an RM that has prepared.
    """
    return "working" not in s.rm_state and "prepared" not in s.rm_state


@spec.terminal
def decided(cfg: Config, s: State) -> bool:
    """Every RM has committed or aborted, or the TM is down: whether RMs are blocked
    there is what ``all_decide`` asks, so it is not reported as a deadlock."""
    return all_decide(cfg, s) or TM in s.faults.down


@spec.sometimes
def all_committed(cfg: Config, s: State) -> bool:
    """The transaction can commit: every RM committed."""
    return all(r == "committed" for r in s.rm_state)


@spec.sometimes
def all_aborted(cfg: Config, s: State) -> bool:
    """The transaction can abort: every RM aborted."""
    return all(r == "aborted" for r in s.rm_state)


@spec.sometimes
def rm_aborts_alone(cfg: Config, s: State) -> bool:
    """An RM can abort on its own (TwoPhase.tla's RMChooseToAbort), before the TM decides."""
    return s.tm_state == "init" and "aborted" in s.rm_state


spec.accept_mutant(
    "tm_rcv_prepared:drop-guard:1",
    """Without the guard the TM records Prepared messages after it has decided: only
    tm_commit reads tm_prepared, and only while the TM is undecided, so no RM and no
    decision behaves differently (the states differ in a field nothing reads any more).""")

spec.variant(
    "tm-commits-early", params={"tm_commit_early": True}, violates="consistent",
    doc="The TM commits after one Prepared message instead of all of them.")

spec.variant(
    "tm-crash", params={"faults": "crash=1"}, violates="all_decide",
    doc="The TM may crash (crash-stop) before deciding: an RM that has prepared can "
        "never commit or abort, the blocking of two-phase commit.")


def __getattr__(name: str) -> Any:
    """``symbolic``, the encoding ``modelcheck prove induction`` reads, imported on first use."""
    if name == "symbolic":
        from modelcheck_specs._two_phase_commit_symbolic import symbolic
        return symbolic
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
