"""Three-phase commit: non-blocking under a coordinator crash, inconsistent under a partition.

Source: Dale Skeen, "Nonblocking Commit Protocols" (SIGMOD 1981), and Skeen and
Stonebraker, "A Formal Model of Crash Recovery in a Distributed System" (IEEE TSE 1983),
for the protocol and its termination protocol (as in Bernstein, Hadzilacos and Goodman,
"Concurrency Control and Recovery in Database Systems", 1987, §7.5); the structure and names
follow Lamport's ``TwoPhase.tla`` (this catalogue's ``two-phase-commit``). A participant
votes yes (``prepared``, Skeen's wait state) or no (it aborts); once every participant has
voted yes the coordinator sends PreCommit, a participant that receives it moves to
``precommitted`` and acknowledges, and once every participant has acknowledged the
coordinator commits. The extra phase makes a state in which some participant may have
committed (``precommitted``) distinguishable from one in which none can have, and so lets
participants finish without the coordinator. The termination protocol is message steps: an
uncertain participant that suspects the coordinator becomes a backup coordinator, records
its own state and sends a state request to every other participant; each replies with its
state and, having reported, takes no PreCommit from the old coordinator any more; once the
backup has the state of every participant it can reach it decides by the termination rule
(abort if one has aborted, commit if one has committed or is precommitted, abort
otherwise) and sends its decision. Several participants may act as backups at once. The
failure detector is the network's: a participant suspects the coordinator when the
coordinator is down or cut off from it. The coordinator, waiting for acknowledgements,
gives up on the participants it cannot reach and commits (Skeen's timeout rule). Messages
travel on a ``set`` network (TwoPhase.tla's grow-only ``msgs``); the coordinator is the node
that may crash (crash-stop). With the defaults (2 participants, ``--faults crash=1``) the
search finds 7,543 distinct and 55,544 generated states (depth 24, half a second); without
faults (variant ``no-faults``), 65 and 193. With 3 participants the termination protocol's
interleavings pass a million states. Participants are a symmetric set: with
``--symmetry``, 3,824 distinct states with the defaults.

**Properties.** ``consistent``: no site, the coordinator among them, has committed while
another has aborted. ``committable_only_when_all_voted``: no participant is precommitted or
committed while another has not voted. ``backups_announce``: an Outcome comes from a backup
coordinator to another participant, and a backup that decided by the termination rule has
sent its decision to every other participant (a backup that tells only some, or names
another sender, leaves the others to run the protocol again, which nothing else
notices). ``decisions_final`` (an action property): a
participant that has decided stays so. ``all_decide`` (always possible): from every
reachable state, some sequence of steps leads to every participant having decided — no
participant is blocked, which two-phase commit's ``tm-crash`` is. The ``sometimes`` goals
``all_committed``, ``committed_by_coordinator``, ``aborted_by_coordinator``,
``participant_aborts_alone`` and ``one_backup_terminates`` (after a crash between PreCommit
and the decision, one backup decides for all) keep the spec from passing vacuously. With
them ``modelcheck mutate three-phase-commit`` kills every mutant but four equivalent ones
and seven accepted (``spec.accept_mutant``, each with its reason), in under two minutes.

**Variant ``partition``** (``--faults partition=1``, no crash). A partition makes the
coordinator look crashed to the participants cut off from it, and each side decides on its
own. The shortest counterexample (11 steps): participant 0 votes yes and the network cuts
it off; participant 1 votes yes, the coordinator sends PreCommit, participant 1
acknowledges, and the coordinator, timing out on participant 0, commits; participant 0,
suspecting the coordinator, runs the termination protocol alone and aborts.

**Variant ``backup-decides-alone``** (flag ``backup_decides_alone``). A backup decides from
its own state instead of polling the participants. The shortest counterexample (11 steps):
both vote yes, the coordinator sends PreCommit and crashes, and participant 0 receives it;
participant 0 becomes a backup and, precommitted, commits; participant 1 becomes a backup
and, only prepared, aborts.
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

    participants: Annotated[int, Between(1)] = 2
    """Number of participants (TwoPhase.tla's RMs)."""
    backup_decides_alone: bool = False
    """Flaw: a backup coordinator decides from its own state, polling no participant."""
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


class StateReq(Record):
    """Backup coordinator ``src`` asks ``dst`` for its state (the termination protocol)."""

    src: Participant
    dst: Participant


class StateReply(Record):
    """``src`` tells backup coordinator ``dst`` its state."""

    src: Participant
    dst: Participant
    state: str


class Outcome(Record):
    """Backup coordinator ``src`` tells ``dst`` its decision: ``committed`` or ``aborted``."""

    src: Participant
    dst: Participant
    outcome: str


Message = Prepared | PreCommit | Ack | Commit | Abort | StateReq | StateReply | Outcome
"""A message in ``msgs``."""


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, whether the coordinator is down, the partition in force."""


DECIDED = ("committed", "aborted")
UNCERTAIN = ("prepared", "precommitted")
REPORTED = ("working", "prepared", "precommitted", "committed", "aborted")


class State(Record):
    """Each participant's state, the coordinator's, the votes and acknowledgements it has
    received, the termination protocol's backups and the replies they have received, and
    the messages."""

    part_state: Annotated[tuple[str, ...], IndexedBy(Participant)]
    """``working``, ``prepared``, ``precommitted``, ``committed`` or ``aborted``."""
    coord_state: str
    """``init``, ``precommitted``, ``committed`` or ``aborted``."""
    coord_prepared: frozenset[Participant]
    coord_acked: frozenset[Participant]
    backups: frozenset[Participant]
    """The participants that have started the termination protocol as backup coordinators."""
    polled: frozenset[Participant]
    """The participants that have reported their state to a backup: they no longer take a
    PreCommit from the coordinator."""
    replies: frozenset[StateReply]
    """The replies each backup has received (its own state among them)."""
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("three-phase-commit", Config, State)


def _participants(cfg: Config) -> range:
    return range(cfg.participants)


def _messages(cfg: Config) -> list[Message]:
    """Every message of the protocol."""
    ps = _participants(cfg)
    pairs = [(p, q) for p in ps for q in ps if p != q]
    return ([Prepared(p) for p in ps] + [PreCommit(p) for p in ps] + [Ack(p) for p in ps]
            + [Commit(p) for p in ps] + [Abort(p) for p in ps]
            + [StateReq(b, q) for b, q in pairs]
            + [StateReply(q, b, x) for b, q in pairs for x in REPORTED]
            + [Outcome(b, q, x) for b, q in pairs for x in DECIDED])


def _route(m: Message) -> tuple[Node, Node]:
    if isinstance(m, (StateReq, StateReply, Outcome)):
        return m.src, m.dst
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
                 frozenset(), frozenset(), frozenset(), frozenset(), net.initial(cfg))


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
    """``p`` learns that all voted yes and acknowledges (ignored once it has decided, or
    once it has reported its state to a backup coordinator)."""
    p = m.dst
    if s.part_state[p] != "prepared" or p in s.polled:
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


# -- the termination protocol -------------------------------------------------------------


@spec.action(p=_participants)
def backup_start(cfg: Config, s: State, p: int) -> State | None:
    """``p``, uncertain, suspects the coordinator and becomes a backup coordinator: it
    records its own state and asks every other participant for theirs."""
    if s.part_state[p] not in UNCERTAIN or p in s.backups:
        return None
    if net.up(s, COORDINATOR) and net.reachable(s, p, COORDINATOR):
        return None
    return s.replace(backups=s.backups | {p}, polled=s.polled | {p},
                     replies=s.replies | {StateReply(p, p, s.part_state[p])},
                     msgs=net.broadcast(cfg, s.msgs, _state_reqs(p, cfg.participants)))


@cache
def _state_reqs(b: int, n: int) -> tuple[StateReq, ...]:
    return tuple(StateReq(b, q) for q in range(n) if q != b)


@net.handler(StateReq)
def participant_rcv_state_req(cfg: Config, s: State, m: StateReq) -> State:
    """``q`` reports its state to the backup, and takes no PreCommit from now on."""
    q = m.dst
    return s.replace(polled=s.polled | {q},
                     msgs=net.reply(cfg, s.msgs, m, StateReply(q, m.src, s.part_state[q])))


@net.handler(StateReply)
def backup_rcv_state_reply(cfg: Config, s: State, m: StateReply) -> State:
    """The backup records a participant's state."""
    return s.replace(replies=s.replies | {m})


def _outcome(states: set[str]) -> str:
    """3PC's termination rule: abort if some participant has aborted, commit if some has
    committed or is precommitted (all voted yes), abort otherwise (all are uncertain, or
    one has not voted and may still vote no)."""
    if "aborted" in states:
        return "aborted"
    if "committed" in states or "precommitted" in states:
        return "committed"
    return "aborted"


@spec.action(p=_participants)
def backup_decide(cfg: Config, s: State, p: int) -> State | None:
    """Backup ``p``, undecided, has the state of every participant it can reach (its own
    among them, recorded when it started): it decides by the termination rule and tells the
    others."""
    if s.part_state[p] in DECIDED:
        return None
    if cfg.backup_decides_alone:
        if p not in s.backups:
            return None
        states = {s.part_state[p]}
    else:
        heard = {r.src for r in s.replies if r.dst == p}
        if any(q not in heard and net.reachable(s, p, q) for q in _participants(cfg)):
            return None
        states = {r.state for r in s.replies if r.dst == p}
    outcome = _outcome(states)
    return s.replace(part_state=set_at(s.part_state, p, outcome),
                     msgs=net.broadcast(cfg, s.msgs, _outcomes(p, cfg.participants, outcome)))


@cache
def _outcomes(b: int, n: int, outcome: str) -> tuple[Outcome, ...]:
    return tuple(Outcome(b, q, outcome) for q in range(n) if q != b)


@net.handler(Outcome)
def participant_rcv_outcome(cfg: Config, s: State, m: Outcome) -> State:
    """``q`` takes the backup's decision."""
    return s.replace(part_state=set_at(s.part_state, m.dst, m.outcome))


# -- properties ---------------------------------------------------------------------------


@spec.always
def consistent(cfg: Config, s: State) -> bool:
    """No site has committed while another has aborted, the coordinator among them."""
    states = (*s.part_state, s.coord_state)
    return not ("committed" in states and "aborted" in states)


@spec.always
def committable_only_when_all_voted(cfg: Config, s: State) -> bool:
    """No participant is precommitted or committed while another has not voted: a
    committable state means every participant voted yes."""
    return "working" not in s.part_state or not any(
        x in ("precommitted", "committed") for x in s.part_state)


@spec.always
def backups_announce(cfg: Config, s: State) -> bool:
    """The termination protocol's decision phase: an Outcome comes from a backup
    coordinator to another participant, and a backup that voted yes and has decided with
    no message to tell it the outcome (it decided by the termination rule) has sent its
    decision to every other participant (with ``--faults loss`` the copies may be lost, and
    only the first part is checked)."""
    told: set[tuple[int, str]] = set()
    for m in s.msgs:
        if type(m) is Outcome:
            if m.src == m.dst or m.src not in s.backups:
                return False
            told.add((m.dst, m.outcome))
        elif type(m) is Commit:
            told.add((m.dst, "committed"))
        elif type(m) is Abort:
            told.add((m.dst, "aborted"))
    if cfg.faults.budget("loss"):
        return True
    return all((p, s.part_state[p]) in told or Prepared(p) not in s.msgs or all(
        Outcome(p, q, s.part_state[p]) in s.msgs for q in _participants(cfg) if q != p)
        for p in s.backups if s.part_state[p] in DECIDED)


@spec.action_property
def decisions_final(cfg: Config, before: State, after: State) -> bool:
    """A participant that has committed or aborted stays so."""
    return all(a == b for a, b in zip(before.part_state, after.part_state) if a in DECIDED)


@spec.always_possible
def all_decide(cfg: Config, s: State) -> bool:
    """Every participant has committed or aborted."""
    return all(x in DECIDED for x in s.part_state)


@spec.sometimes
def all_committed(cfg: Config, s: State) -> bool:
    """The transaction can commit."""
    return all(x == "committed" for x in s.part_state)


@spec.sometimes
def committed_by_coordinator(cfg: Config, s: State) -> bool:
    """The coordinator can commit and every participant learn it from the coordinator,
    which is up: the termination protocol is not the only way to commit."""
    return (s.coord_state == "committed" and net.up(s, COORDINATOR) and not s.backups
            and all(x == "committed" for x in s.part_state))


@spec.sometimes
def aborted_by_coordinator(cfg: Config, s: State) -> bool:
    """The coordinator can abort after yes votes and every participant learn it from the
    coordinator, which is up."""
    return (s.coord_state == "aborted" and net.up(s, COORDINATOR) and not s.backups
            and bool(s.coord_prepared) and all(x == "aborted" for x in s.part_state))


@spec.sometimes
def participant_aborts_alone(cfg: Config, s: State) -> bool:
    """A participant can vote no and abort on its own, before the coordinator decides."""
    return s.coord_state == "init" and net.up(s, COORDINATOR) and "aborted" in s.part_state


@spec.sometimes
def one_backup_terminates(cfg: Config, s: State) -> bool:
    """After the coordinator crashes between its PreCommit and its decision (every
    participant voted yes, none can learn the outcome from it), one backup coordinator can
    bring every participant to a decision (met at once when the coordinator cannot crash)."""
    if not cfg.faults.budget("crash"):
        return True
    return (not net.up(s, COORDINATOR) and s.coord_state == "precommitted"
            and len(s.backups) == 1 and all(x in DECIDED for x in s.part_state))


@spec.terminal
def decided(cfg: Config, s: State) -> bool:
    """Every participant has decided: stopping here is not blocking."""
    return all_decide(cfg, s)


spec.accept_mutant(
    "coordinator_rcv_prepared:drop-guard:1",
    """Without the guard the coordinator records yes votes after it has decided: only
    coordinator_precommit reads them while it is undecided, so no step behaves differently
    (the states differ in a field nothing reads any more).""")

spec.accept_mutant(
    "coordinator_rcv_ack:drop-guard:1",
    """Acknowledgements answer a PreCommit, so without the guard the only ones recorded in
    another coordinator state are those that arrive after it has committed, when nothing
    reads them.""")

spec.accept_mutant(
    "coordinator_commit:drop-guard:1",
    """Without the guard the coordinator may commit again once committed (a step back to
    the same state: its Commit messages are in the set already); from ``init`` or
    ``aborted`` no participant has acknowledged, and every participant stays reachable
    without a partition, so the other guard refuses.""")

spec.accept_mutant(
    "backup_start:drop-guard:1",
    """A participant that has not voted or has decided, or a backup that starts again,
    cannot change an outcome: one that has not voted knows that no participant is
    precommitted, and the rule aborts; one that has decided no longer decides (its polls
    only stop others taking a PreCommit from a coordinator that is down); starting again
    re-sends the same requests.""")

spec.accept_mutant(
    "backup_start:and-or:1",
    """As ``backup_start:drop-guard:1``: the guard left lets participants that have not
    voted or have decided act as backups, and uncertain ones start again.""")

spec.accept_mutant(
    "backup_start:drop-guard:2",
    """Running the termination protocol without suspecting the coordinator is safe: a
    participant that has acknowledged a PreCommit reports ``precommitted`` and the backup
    commits, one that has not takes no PreCommit once polled, so the coordinator cannot
    commit without it. It may leave a live coordinator waiting for acknowledgements, which
    no participant needs; the guard only keeps the protocol from running needlessly.""")

spec.accept_mutant(
    "backup_decide:drop-guard:1",
    """A backup that has decided deciding again reaches the same outcome: every participant
    reports its first reply's state or a decision taken from it, and the termination rule
    gives every backup the same answer on those (``consistent`` and ``decisions_final``
    would report a backup that changed its mind).""")

spec.variant(
    "partition", params={"faults": "partition=1"}, violates="consistent",
    doc="The network may split once (no crash): each side, taking the other for crashed, "
        "decides on its own, and they decide differently.")

spec.variant(
    "backup-decides-alone", params={"backup_decides_alone": True}, violates="consistent",
    doc="A backup coordinator decides from its own state instead of polling the "
        "participants: an uncertain backup aborts while another participant is "
        "precommitted and, as a backup in its turn, commits.")

spec.variant(
    "no-faults", params={"faults": "none"},
    doc="Three-phase commit without faults: it commits or aborts consistently.")
