"""Multi-Paxos: a replicated log of a few slots, one Paxos instance per slot, one phase 1.

Source: Leslie Lamport, "Paxos Made Simple" (2001), §3 (implementing a state machine),
in the style of ``Paxos.tla`` (tlaplus/Examples, specifications/Paxos); this spec's
``paxos`` entry is the single-decree port. A leader owns a ballot (``0 .. max_ballot``)
and has its own client command to propose, its ballot's number. Ballot 0's leader is the
stable leader: no vote can precede the lowest ballot, so every acceptor starts out having
promised it, and it proposes with phase 2 alone (Accept, Accepted) in every slot, which
is what a stable leader does for every command. A higher ballot's leader takes over after
a failover and runs phase 1 once for the whole log: its Prepare asks an acceptor to
promise the ballot, and the Promise reports the acceptor's vote of highest ballot in each
slot. With the promises of a majority it proposes, in each slot, the value of the
highest-ballot vote reported there, or its own command if none is. Messages travel on a
``set`` network (Paxos.tla's grow-only ``msgs``); a leader reads the promises of its
ballot in place, and learners read the Accepted messages, as ``chosen`` does. With the
defaults (3 acceptors, 2 slots, ballots 0..1) the search finds 31,113 distinct and
229,150 generated states (depth 21). The tlaplus/Examples Multi-Paxos model
(specifications/MultiPaxos-SMR) is a different, larger protocol (clients, commit notices,
and no published count for a configuration this small), so no TLC count applies.
Acceptors are a symmetric set (``--symmetry``: 5,989 distinct states).

**Properties.** ``slot_agreement``: in every slot at most one value is chosen (chosen: a
majority of acceptors voted for it in one ballot), so every replica that executes the log
executes the same commands. ``log_chosen`` (a ``sometimes`` property) makes sure every
slot can be filled.

**Variant ``new-leader-skips-phase1``.** A new leader behaves as if the stable leader's
phase 1 covered its own ballot: it proposes in phase 2 without gathering promises, so it
learns nothing of the votes already cast. The shortest counterexample (6 steps): the
stable leader proposes value 0 for slot 0 and acceptors 0 and 1 choose it; ballot 1's
leader proposes value 1 for slot 0 straight away, and the same acceptors, having promised
nothing higher, choose it too.

**Faults.** ``--faults loss=N``, ``crash=N`` (acceptors or leaders), ``partition=N`` (a
leader reads only the promises of acceptors it can reach) and ``crash=1,restart=1`` (an
acceptor's promise and votes are on stable storage) leave ``slot_agreement`` intact. No
leader replaces a crashed one here, so a state with a leader down may be the last
(``leader_down``, the terminal predicate); with ``crash=1`` the search finds 217,791
states, about 20 seconds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    acceptors: Annotated[int, Between(1)] = 3
    """Number of acceptors."""
    slots: Annotated[int, Between(1)] = 2
    """Length of the log."""
    max_ballot: Annotated[int, Between(0)] = 1
    """Ballots are ``0 .. max_ballot``; ballot 0's leader is the stable leader."""
    skip_phase1: bool = False
    """Flaw: a leader of a ballot above 0 proposes without running phase 1."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults loss=1,crash=1``; see modelcheck.network)."""


Acceptor = Annotated[int, Symmetric("Acceptor", size="acceptors")]
"""An acceptor, ``0 .. acceptors - 1``; acceptors are interchangeable (``--symmetry``)."""

Value = int
"""A value: a client command. The leader of ballot ``b`` has its own command, ``b``, to
propose in any slot that phase 1 shows free."""

Vote = tuple[int, Value | None]
"""An acceptor's vote of highest ballot in one slot: ``(ballot, value)``, ``(-1, None)``
if it has not voted there."""

NO_VOTE: Vote = (-1, None)

LEARNER: Literal["learner"] = "learner"
"""The learners, as one node of the network: the receiver of Accepted messages."""


def leader(ballot: int) -> str:
    """The node that leads ``ballot``."""
    return f"leader {ballot}"


class Prepare(Record):
    """Phase 1a: the leader of ``bal`` asks ``dst`` to promise it, for every slot."""

    bal: int
    dst: Acceptor


class Promise(Record):
    """Phase 1b: ``acc`` promises ``bal`` and reports its vote of highest ballot per slot."""

    acc: Acceptor
    bal: int
    votes: tuple[Vote, ...]


class Accept(Record):
    """Phase 2a: the leader of ``bal`` asks ``dst`` to vote for ``val`` in ``slot``."""

    bal: int
    slot: int
    val: Value
    dst: Acceptor


class Accepted(Record):
    """Phase 2b: ``acc`` has voted for ``val`` in ``slot`` in ballot ``bal``."""

    acc: Acceptor
    bal: int
    slot: int
    val: Value


Message = Prepare | Promise | Accept | Accepted
"""A message in ``msgs``."""

Node = Acceptor | str
"""A node: an acceptor, a leader or the learners."""


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, and the nodes that are down or cut off (modelcheck.network)."""


class State(Record):
    """Each acceptor's promise (``max_bal``) and its vote of highest ballot per slot."""

    max_bal: Annotated[tuple[int, ...], IndexedBy(Acceptor)]
    votes: Annotated[tuple[tuple[Vote, ...], ...], IndexedBy(Acceptor)]
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("multi-paxos", Config, State)


def _acceptors(cfg: Config) -> range:
    return range(cfg.acceptors)


def _ballots(cfg: Config) -> range:
    return range(cfg.max_ballot + 1)


def _slots(cfg: Config) -> range:
    return range(cfg.slots)


def _values(cfg: Config) -> range:
    """Every command: one per leader."""
    return range(cfg.max_ballot + 1)


def _majority(cfg: Config) -> int:
    return cfg.acceptors // 2 + 1


def _messages(cfg: Config) -> list[Message]:
    """Every message of the protocol, in a fixed order."""
    acc, bal, slots, val = _acceptors(cfg), _ballots(cfg), _slots(cfg), _values(cfg)
    out: list[Message] = [Prepare(b, a) for b in bal for a in acc]
    for b in bal:
        per_slot = [NO_VOTE, *((vb, v) for vb in range(b) for v in val)]
        out += [Promise(a, b, votes) for a in acc
                for votes in itertools.product(per_slot, repeat=cfg.slots)]
    out += [Accept(b, i, v, a) for b in bal for i in slots for v in val for a in acc]
    out += [Accepted(a, b, i, v) for a in acc for b in bal for i in slots for v in val]
    return out


def _route(m: Message) -> tuple[Node, Node]:
    if isinstance(m, (Prepare, Accept)):
        return leader(m.bal), m.dst
    if type(m) is Promise:
        return m.acc, leader(m.bal)
    return m.acc, LEARNER


def _nodes(cfg: Config) -> tuple[Node, ...]:
    return (*_acceptors(cfg), *(leader(b) for b in _ballots(cfg)), LEARNER)


net = Network(spec, messages=_messages, nodes=_nodes, kind="set", route=_route,
              durable=("max_bal", "votes"), volatile=())
"""Paxos.tla's grow-only ``msgs``; an acceptor's promise and votes are on stable storage."""


@spec.init
def init(cfg: Config) -> State:
    """Every acceptor has promised ballot 0, and voted nowhere; no message sent."""
    n = cfg.acceptors
    return State((0,) * n, ((NO_VOTE,) * cfg.slots,) * n, frozenset(), net.initial(cfg))


# -- leaders ------------------------------------------------------------------------------


@cache
def _prepares(acceptors: int, b: int) -> tuple[Prepare, ...]:
    return tuple(Prepare(b, a) for a in range(acceptors))


@cache
def _accepts(acceptors: int, b: int, slot: int, v: int) -> tuple[Accept, ...]:
    return tuple(Accept(b, slot, v, a) for a in range(acceptors))


@spec.action(b=_ballots)
def prepare(cfg: Config, s: State, b: int) -> State | None:
    """The leader of ballot ``b`` runs phase 1 for the whole log: Prepare to every acceptor."""
    if b == 0 or not net.up(s, leader(b)):
        return None  # ballot 0 needs no phase 1: no acceptor can have voted before it
    if cfg.skip_phase1:
        return None  # the flawed leader never runs phase 1
    return s.replace(msgs=net.broadcast(cfg, s.msgs, _prepares(cfg.acceptors, b)))


def safe(cfg: Config, s: State, b: int, slot: int, v: int) -> bool:
    """Whether the promises of ballot ``b`` from some majority show ``v`` safe in ``slot``:
    ``v`` is the vote of highest ballot they report there, or none of them voted there and
    ``v`` is the leader's own command."""
    if b == 0 or cfg.skip_phase1:
        return v == b  # ballot 0 needs no phase 1; the flawed leader runs none
    me = leader(b)
    reports = {m.acc: m.votes[slot] for m in s.msgs
               if type(m) is Promise and m.bal == b and net.reachable(s, m.acc, me)}
    for quorum in itertools.combinations(sorted(reports), _majority(cfg)):
        votes = [reports[a] for a in quorum if reports[a][0] >= 0]
        if (v == b if not votes else max(votes, key=lambda vote: vote[0])[1] == v):
            return True
    return False


@spec.action(b=_ballots, slot=_slots, v=_values)
def propose(cfg: Config, s: State, b: int, slot: int, v: int) -> State | None:
    """The leader of ``b`` proposes ``v`` for ``slot`` in phase 2 (once per slot and
    ballot), if phase 1 showed ``v`` safe there."""
    if not net.up(s, leader(b)):
        return None
    if any(type(m) is Accept and m.bal == b and m.slot == slot for m in s.msgs):
        return None
    if not safe(cfg, s, b, slot, v):
        return None
    return s.replace(msgs=net.broadcast(cfg, s.msgs, _accepts(cfg.acceptors, b, slot, v)))


@net.handler(Promise)
def leader_reads_promise(cfg: Config, s: State, m: Promise) -> None:
    """Never a step: a leader reads the promises of its ballot in place, in ``propose``."""
    return None


# -- acceptors ----------------------------------------------------------------------------


@net.handler(Prepare)
def promise(cfg: Config, s: State, m: Prepare) -> State | None:
    """Acceptor ``a`` promises ``b`` if it promised no higher (or equal) ballot, and
    reports its vote of highest ballot in every slot."""
    a, b = m.dst, m.bal
    if b <= s.max_bal[a]:
        return None
    return s.replace(max_bal=set_at(s.max_bal, a, b),
                     msgs=net.send(cfg, s.msgs, Promise(a, b, s.votes[a])))


@net.handler(Accept)
def accept(cfg: Config, s: State, m: Accept) -> State | None:
    """Acceptor ``a`` votes for ``v`` in ``slot`` unless it promised a higher ballot."""
    a, b = m.dst, m.bal
    if b < s.max_bal[a]:
        return None
    return s.replace(max_bal=set_at(s.max_bal, a, b),
                     votes=set_at(s.votes, a, set_at(s.votes[a], m.slot, (b, m.val))),
                     msgs=net.send(cfg, s.msgs, Accepted(a, b, m.slot, m.val)))


# -- learners -----------------------------------------------------------------------------


@net.handler(Accepted)
def learner_reads_accepted(cfg: Config, s: State, m: Accepted) -> None:
    """Never a step: learners read Accepted messages in place (see :func:`chosen`)."""
    return None


def chosen(cfg: Config, s: State) -> tuple[frozenset[int], ...]:
    """The values chosen in each slot: voted for by a majority in one ballot."""
    voters: dict[tuple[int, int, int], int] = {}
    for m in s.msgs:
        if type(m) is Accepted:
            key = (m.slot, m.bal, m.val)
            voters[key] = voters.get(key, 0) + 1
    out: list[set[int]] = [set() for _ in _slots(cfg)]
    majority = _majority(cfg)
    for (slot, _, v), n in voters.items():
        if n >= majority:
            out[slot].add(v)
    return tuple(frozenset(c) for c in out)


@spec.terminal
def leader_down(cfg: Config, s: State) -> bool:
    """A leader has crashed (``--faults crash=N``): no other leader replaces it here, so
    the log may stay unfinished. Without faults some step is always enabled, since a
    leader may always send its Prepare again."""
    return any(not net.up(s, leader(b)) for b in _ballots(cfg))


# -- properties ---------------------------------------------------------------------------


@spec.always
def slot_agreement(cfg: Config, s: State) -> bool:
    """In every slot, at most one value is chosen."""
    return all(len(c) <= 1 for c in chosen(cfg, s))


@spec.sometimes
def log_chosen(cfg: Config, s: State) -> bool:
    """Every slot of the log can be filled."""
    return all(chosen(cfg, s))


spec.variant(
    "new-leader-skips-phase1", params={"skip_phase1": True}, violates="slot_agreement",
    doc="A new leader proposes without running phase 1, as if the stable leader's promises "
        "covered its ballot.")
