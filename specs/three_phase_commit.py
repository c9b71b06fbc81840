"""Three-phase commit: non-blocking under a coordinator crash, inconsistent under a partition.

Source: Dale Skeen, "Nonblocking Commit Protocols" (SIGMOD 1981), and Skeen and
Stonebraker, "A Formal Model of Crash Recovery in a Distributed System" (IEEE TSE 1983),
for the protocol and its termination protocol; the structure and names follow Lamport's
``TwoPhase.tla`` (this catalogue's ``two-phase-commit``). A participant votes yes
(``prepared``, Skeen's wait state) or no (it aborts); once every participant has voted
yes the coordinator sends PreCommit, a participant that receives it moves to
``precommitted`` and acknowledges, and once every participant has acknowledged the
coordinator commits. The extra phase makes a state in which some participant may have
committed (``precommitted``) distinguishable from one in which none can have, and so
lets participants finish without the coordinator: a participant that suspects the
coordinator runs Skeen's termination protocol as a backup coordinator, collecting the
states of the participants it can reach and deciding commit if one of them has committed
or is precommitted, abort otherwise, for all of them. Its failure detector is the
network's: it suspects the coordinator when the coordinator is down or cut off from it.
The backup's state-collecting round is one atomic step here, as the protocol's
synchronous model has it. Likewise the coordinator, waiting for acknowledgements, gives
up on the participants it cannot reach and commits (Skeen's timeout rule: those have
failed, and learn the outcome when they recover). Messages travel on a ``set`` network
(TwoPhase.tla's grow-only ``msgs``). The coordinator is the node that may crash
(crash-stop). With the defaults (3 participants, ``--faults crash=1``) the search finds
683 distinct and 3,352 generated states (depth 18); without faults (variant
``no-faults``), 315 and 1,306. Participants are a symmetric set: with ``--symmetry``, 199
distinct states with the defaults.

**Properties.** ``consistent``: no participant has committed while another has aborted
(TCommit's TCConsistent). ``all_decide`` (always possible): from every reachable state,
some sequence of steps leads to every participant having committed or aborted — no
participant is blocked. Two-phase commit blocks when its coordinator crashes
(``two-phase-commit``'s variant ``tm-crash``); three-phase commit does not, and stays
consistent, under the default ``crash=1``: only a participant that suspects a crashed
coordinator runs the termination protocol, and then it reaches every participant.

**Variant ``partition``** (``--faults partition=1``, no crash). A partition makes the
coordinator look crashed to the participants cut off from it, and each side decides on
its own. The shortest counterexample (12 steps): every participant votes yes and the
coordinator receives the three votes; then the network splits the coordinator from the
participants. The coordinator sends PreCommit, which cannot arrive, gives up on the
participants it cannot reach and commits. On the other side participant 0 suspects the
coordinator and terminates for all three: none is precommitted, so all abort. The
partition heals and participant 0 receives the Commit: the coordinator's side committed,
the participants' side aborted, and participant 0 has done both (its final state is
committed while the others stay aborted).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import Faults, FaultState, Net, Network

COORDINATOR_CRASH = Faults("crash=1")
"""The coordinator may crash once: the default fault budget."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    participants: Annotated[int, Between(1)] = 3
    """Number of participants (TwoPhase.tla's RMs)."""
    faults: Faults = COORDINATOR_CRASH
    """Fault budgets: by default the coordinator may crash (see modelcheck.network)."""


Participant = Annotated[int, Symmetric("Participant", size="participants")]
"""A participant, ``0 .. participants - 1``; participants are interchangeable."""

COORDINATOR: Literal["coordinator"] = "coordinator"
"""The coordinator, as a node of the network."""

Node = Participant | Literal["coordinator"]
"""A node of the network."""


class Prepared(Record):
    """``src`` votes yes."""

    src: Participant


class PreCommit(Record):
    """The coordinator tells ``dst`` that every participant voted yes."""

    dst: Participant


class Ack(Record):
    """``src`` acknowledges the PreCommit."""

    src: Participant


class Commit(Record):
    """The coordinator tells ``dst`` to commit."""

    dst: Participant


class Abort(Record):
    """The coordinator tells ``dst`` to abort."""

    dst: Participant


Message = Prepared | PreCommit | Ack | Commit | Abort
"""A message in ``msgs``."""


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, whether the coordinator is down, the partition in force."""


DECIDED = ("committed", "aborted")


class State(Record):
    """Each participant's state, the coordinator's, the votes and acknowledgements it has
    received, and the messages."""

    part_state: Annotated[tuple[str, ...], IndexedBy(Participant)]
    """``working``, ``prepared``, ``precommitted``, ``committed`` or ``aborted``."""
    coord_state: str
    """``init``, ``precommitted``, ``committed`` or ``aborted``."""
    coord_prepared: frozenset[Participant]
    coord_acked: frozenset[Participant]
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("three-phase-commit", Config, State)


def _participants(cfg: Config) -> range:
    return range(cfg.participants)


def _messages(cfg: Config) -> list[Message]:
    """Every message of the protocol."""
    ps = _participants(cfg)
    return ([Prepared(p) for p in ps] + [PreCommit(p) for p in ps] + [Ack(p) for p in ps]
            + [Commit(p) for p in ps] + [Abort(p) for p in ps])


def _route(m: Message) -> tuple[Node, Node]:
    if isinstance(m, (Prepared, Ack)):
        return m.src, COORDINATOR
    return COORDINATOR, m.dst


net = Network(spec, messages=_messages, nodes=lambda cfg: (*_participants(cfg), COORDINATOR),
              kind="set", route=_route, crashable=lambda cfg: (COORDINATOR,))
"""A grow-only set of messages; the coordinator is the node that may crash (crash-stop)."""


@spec.init
def init(cfg: Config) -> State:
    """Every participant working, the coordinator undecided, no message sent."""
    return State(("working",) * cfg.participants, "init", frozenset(), frozenset(),
                 frozenset(), net.initial(cfg))


@cache
def _to_all(kind: type[PreCommit | Commit | Abort], n: int) -> tuple[Message, ...]:
    return tuple(kind(p) for p in range(n))


# -- coordinator --------------------------------------------------------------------------


@net.handler(Prepared)
def coordinator_rcv_prepared(cfg: Config, s: State, m: Prepared) -> State | None:
    """The coordinator receives a yes vote."""
    if s.coord_state != "init":
        return None
    return s.replace(coord_prepared=s.coord_prepared | {m.src})


@net.action(node=COORDINATOR)
def coordinator_precommit(cfg: Config, s: State) -> State | None:
    """Every participant voted yes: the coordinator sends PreCommit to all."""
    if s.coord_state != "init" or len(s.coord_prepared) != cfg.participants:
        return None
    return s.replace(coord_state="precommitted",
                     msgs=net.broadcast(cfg, s.msgs, _to_all(PreCommit, cfg.participants)))


@net.action(node=COORDINATOR)
def coordinator_abort(cfg: Config, s: State) -> State | None:
    """The undecided coordinator aborts (a no vote, or a timeout waiting for votes)."""
    if s.coord_state != "init":
        return None
    return s.replace(coord_state="aborted",
                     msgs=net.broadcast(cfg, s.msgs, _to_all(Abort, cfg.participants)))


@net.handler(Ack)
def coordinator_rcv_ack(cfg: Config, s: State, m: Ack) -> State | None:
    """The coordinator receives an acknowledgement of its PreCommit."""
    if s.coord_state != "precommitted":
        return None
    return s.replace(coord_acked=s.coord_acked | {m.src})


@net.action(node=COORDINATOR)
def coordinator_commit(cfg: Config, s: State) -> State | None:
    """Every participant acknowledged, or those that did not are unreachable (the
    coordinator's timeout): the coordinator commits."""
    if s.coord_state != "precommitted":
        return None
    if any(p not in s.coord_acked and net.reachable(s, p, COORDINATOR)
           for p in _participants(cfg)):
        return None
    return s.replace(coord_state="committed",
                     msgs=net.broadcast(cfg, s.msgs, _to_all(Commit, cfg.participants)))


# -- participants -------------------------------------------------------------------------
# Participants do not crash in this model, so their steps need no guard.


@spec.action(p=_participants)
def participant_prepare(cfg: Config, s: State, p: int) -> State | None:
    """``p`` votes yes and waits, uncertain."""
    if s.part_state[p] != "working":
        return None
    return s.replace(part_state=set_at(s.part_state, p, "prepared"),
                     msgs=net.send(cfg, s.msgs, Prepared(p)))


@spec.action(p=_participants)
def participant_choose_to_abort(cfg: Config, s: State, p: int) -> State | None:
    """``p`` votes no: it aborts on its own."""
    if s.part_state[p] != "working":
        return None
    return s.replace(part_state=set_at(s.part_state, p, "aborted"))


@net.handler(PreCommit)
def participant_rcv_precommit(cfg: Config, s: State, m: PreCommit) -> State:
    """``p`` learns that all voted yes and acknowledges (ignored once it has decided)."""
    p = m.dst
    if s.part_state[p] != "prepared":
        return s
    return s.replace(part_state=set_at(s.part_state, p, "precommitted"),
                     msgs=net.send(cfg, s.msgs, Ack(p)))


@net.handler(Commit)
def participant_rcv_commit(cfg: Config, s: State, m: Commit) -> State:
    """``p`` commits."""
    return s.replace(part_state=set_at(s.part_state, m.dst, "committed"))


@net.handler(Abort)
def participant_rcv_abort(cfg: Config, s: State, m: Abort) -> State:
    """``p`` aborts."""
    return s.replace(part_state=set_at(s.part_state, m.dst, "aborted"))


@spec.action(p=_participants)
def participant_terminate(cfg: Config, s: State, p: int) -> State | None:
    """``p``, undecided, suspects the coordinator and runs the termination protocol for
    the participants it can reach: commit if one of them has committed or is
    precommitted, abort otherwise."""
    if s.part_state[p] in DECIDED:
        return None
    if net.up(s, COORDINATOR) and net.reachable(s, p, COORDINATOR):
        return None
    group = [q for q in _participants(cfg) if net.reachable(s, p, q)]
    states = {s.part_state[q] for q in group}
    if "aborted" in states:
        outcome = "aborted"
    elif "committed" in states or "precommitted" in states:
        outcome = "committed"
    else:
        outcome = "aborted"
    part_state = s.part_state
    for q in group:
        part_state = set_at(part_state, q, outcome)
    return s.replace(part_state=part_state)


# -- properties ---------------------------------------------------------------------------


@spec.always
def consistent(cfg: Config, s: State) -> bool:
    """No participant has committed while another has aborted."""
    return not ("committed" in s.part_state and "aborted" in s.part_state)


@spec.always_possible
def all_decide(cfg: Config, s: State) -> bool:
    """Every participant has committed or aborted."""
    return all(x in DECIDED for x in s.part_state)


@spec.sometimes
def all_committed(cfg: Config, s: State) -> bool:
    """The transaction can commit."""
    return all(x == "committed" for x in s.part_state)


@spec.terminal
def decided(cfg: Config, s: State) -> bool:
    """Every participant has decided: stopping here is not blocking."""
    return all_decide(cfg, s)


spec.variant(
    "partition", params={"faults": "partition=1"}, violates="consistent",
    doc="The network may split once (no crash): each side, taking the other for crashed, "
        "decides on its own, and they decide differently.")

spec.variant(
    "no-faults", params={"faults": "none"},
    doc="Three-phase commit without faults: it commits or aborts consistently.")
