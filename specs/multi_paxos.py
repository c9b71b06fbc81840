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
ballot in place, and learners read the Accepted messages, as ``chosen`` does. The defaults
(3 acceptors, 1 slot, ballots 0..2) are the least at which value selection matters: ballot
2's leader can hear of votes of ballots 0 and 1 for different commands in one slot, and
must adopt the higher. The search finds 16,857 distinct and 100,580 generated states
(depth 21), in a few seconds; the variant ``two-slots`` (2 slots, ballots 0..1: one phase 1
for the whole log) finds 31,113 distinct and 229,150 generated states (depth 21). Both at
once, 2 slots and ballots 0..2, exceed 600,000 states. The tlaplus/Examples Multi-Paxos model
(specifications/MultiPaxos-SMR) is a different, larger protocol (clients, commit notices,
and no published count for a configuration this small), so no TLC count applies.
Acceptors are a symmetric set (``--symmetry``: 3,313 distinct states; 5,989 with the
variant ``two-slots``).

**Properties.** ``slot_agreement``: in every slot at most one value is chosen (chosen: a
majority of acceptors voted for it in one ballot), so every replica that executes the log
executes the same commands. Per slot, what MCPaxos.cfg checks of Paxos.tla (see the
``paxos`` entry): ``type_ok``, ``votes_announced``, ``messages_sound``, ``votes_safe`` and
``refines_voting``. ``log_chosen``, ``stable_leader_fills_log``, ``every_leader_proposes``,
``vote_reproposed`` and ``own_commands_proposed`` (``sometimes``) make sure every slot can
be filled, by the stable leader alone, that the leader of every ballot can propose, that
a new leader can carry a vote over, and that leaders propose their own commands where the
value is free (a leader that proposes another value there, or misreads "no vote" as a
vote, never meets it). ``modelcheck mutate multi-paxos`` kills every mutant but the equivalent and
accepted ones (see the catalogue's score); at one slot a mutant that mixes up slots is
equivalent, which ``--variant two-slots`` shows.

**Variant ``adopt-any-vote``.** A new leader adopts, in a slot, any vote its majority
reports there, not the one of highest ballot: ``messages_sound`` fails in 11 steps, at
ballot 2's proposal of the stable leader's command over a ballot-1 vote for ballot 1's.
At ballots 0..1 it passes: a new leader hears of votes of ballot 0 only, all for one
command.

**Variant ``new-leader-skips-phase1``.** A new leader behaves as if the stable leader's
phase 1 covered its own ballot: it proposes in phase 2 without gathering promises, so it
learns nothing of the votes already cast. ``messages_sound`` fails at once, at its first
proposal, which no majority shows safe. Left alone it breaks slot agreement: the
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
    slots: Annotated[int, Between(1)] = 1
    """Length of the log (the variant ``two-slots`` has two)."""
    max_ballot: Annotated[int, Between(0)] = 2
    """Ballots are ``0 .. max_ballot``; ballot 0's leader is the stable leader. Two is the
    least at which value selection matters: a new leader can hear of votes of two ballots
    and values in one slot."""
    skip_phase1: bool = False
    """Flaw: a leader of a ballot above 0 proposes without running phase 1."""
    adopt_any_vote: bool = False
    """Flaw: a new leader adopts, in a slot, any vote its majority reports there, not the
    one of highest ballot."""
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
        if v == b if not votes else (any(w == v for _, w in votes) if cfg.adopt_any_vote
                                     else max(votes, key=lambda vote: vote[0])[1] == v):
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


@spec.sometimes
def stable_leader_fills_log(cfg: Config, s: State) -> bool:
    """The stable leader alone can fill the whole log, with phase 2 only: every slot is
    chosen before any Prepare is sent."""
    return all(chosen(cfg, s)) and not any(type(m) is Prepare for m in s.msgs)


@spec.sometimes
def every_leader_proposes(cfg: Config, s: State) -> bool:
    """The leader of every ballot can propose: one failover can follow another."""
    return {m.bal for m in s.msgs if type(m) is Accept} == set(_ballots(cfg))


@spec.sometimes
def vote_reproposed(cfg: Config, s: State) -> bool:
    """A new leader can propose, in a slot, a value voted for there in a lower ballot: the
    failover reaches the case where phase 1 decides the value."""
    voted = {(m.slot, m.val, m.bal) for m in s.msgs if type(m) is Accepted}
    return any(type(m) is Accept and any(i == m.slot and v == m.val and c < m.bal
                                         for i, v, c in voted) for m in s.msgs)


@spec.sometimes
def own_commands_proposed(cfg: Config, s: State) -> bool:
    """Leaders can propose their own commands where the value is free: the leader of
    ballot 0, and a later one whose phase 1 found no vote in the slot (its command, which
    no lower ballot proposed there). With ``vote_reproposed``, both outcomes of phase 1's
    choice are reached."""
    accepts = [m for m in s.msgs if type(m) is Accept]
    own = {m.bal for m in accepts if m.val == m.bal and not any(
        n.slot == m.slot and n.bal < m.bal and n.val == m.val for n in accepts)}
    return 0 in own and len(own) > 1


# -- Paxos.tla's invariant and refinement of Voting.tla, in every slot -------------------
#
# As MCPaxos.cfg checks them of single-decree Paxos (see the ``paxos`` entry), per slot:
# ``votes`` are the Accepted messages sent. A lost Accepted message would take a vote back
# from that mapping, so with ``--faults loss`` they are not checked.


def _lossy(cfg: Config) -> bool:
    return cfg.faults.budgets["loss"] > 0


def cast_votes(s: State) -> set[tuple[int, int, int, int]]:
    """Every vote announced: ``(acceptor, slot, ballot, value)`` of each Accepted message."""
    return {(m.acc, m.slot, m.bal, m.val) for m in s.msgs if type(m) is Accepted}


def shows_safe_at(cfg: Config, s: State, cast: set[tuple[int, int, int, int]],
                  q: tuple[int, ...], slot: int, b: int, v: int) -> bool:
    """Voting.tla's ``ShowsSafeAt(Q, b, v)`` in ``slot``: every acceptor of ``q`` has
    promised ``b``, and ``v`` is the value of their vote of highest ballot below ``b``
    there, or none voted there."""
    if any(s.max_bal[a] < b for a in q):
        return False
    below = [(c, w) for a, i, c, w in cast if a in q and i == slot and c < b]
    return not below or (max(c for c, _ in below), v) in below


def _quorums(cfg: Config) -> list[tuple[int, ...]]:
    return list(itertools.combinations(_acceptors(cfg), _majority(cfg)))


@spec.always
def type_ok(cfg: Config, s: State) -> bool:
    """Promises are ballots, votes are a ballot and a command or none, and every message's
    fields are in range."""
    bals, slots, vals = _ballots(cfg), _slots(cfg), _values(cfg)
    if any(b not in bals for b in s.max_bal):
        return False
    if any(len(vs) != cfg.slots or any(v != NO_VOTE and (v[0] not in bals or v[1] not in vals)
                                       for v in vs) for vs in s.votes):
        return False
    for m in s.msgs:
        if not isinstance(m, (Prepare, Promise, Accept, Accepted)) or m.bal not in bals:
            return False
        if (type(m) is Accept or type(m) is Accepted) and (m.slot not in slots
                                                           or m.val not in vals):
            return False
    return True


@spec.always
def votes_announced(cfg: Config, s: State) -> bool:
    """An acceptor's vote of highest ballot in a slot is none or one it announced in an
    Accepted message (Paxos.tla's ``Inv2``)."""
    if _lossy(cfg):
        return True
    cast = cast_votes(s)
    return all(v == NO_VOTE or (a, i, v[0], v[1]) in cast
               for a, vs in enumerate(s.votes) for i, v in enumerate(vs))


@spec.always
def messages_sound(cfg: Config, s: State) -> bool:
    """An acceptor that sent a Promise for ``b`` has promised ``b`` or more and cast the
    votes it reports, of ballots below ``b``; an Accept proposes, in its slot, a value
    some majority shows safe, and no other value in that slot and ballot (Paxos.tla's
    ``Inv3``)."""
    if _lossy(cfg):
        return True
    cast = cast_votes(s)
    proposed: dict[tuple[int, int], int] = {}
    for m in s.msgs:
        if type(m) is Promise:
            if s.max_bal[m.acc] < m.bal or any(
                    v != NO_VOTE and (v[0] >= m.bal or (m.acc, i, v[0], v[1]) not in cast)
                    for i, v in enumerate(m.votes)):
                return False
        elif type(m) is Accept and proposed.setdefault((m.slot, m.bal), m.val) != m.val:
            return False
    return all(any(shows_safe_at(cfg, s, cast, q, i, b, v) for q in _quorums(cfg))
               for (i, b), v in proposed.items())


@spec.always
def votes_safe(cfg: Config, s: State) -> bool:
    """In every slot, every vote is for a value safe at its ballot, and all votes of one
    ballot are for one value (Voting.tla's ``VotesSafe`` and ``OneValuePerBallot``)."""
    if _lossy(cfg):
        return True
    cast = cast_votes(s)
    per_ballot: dict[tuple[int, int], int] = {}
    for _, i, b, v in cast:
        if per_ballot.setdefault((i, b), v) != v:
            return False
    quorums = _quorums(cfg)
    return all(all(any(all((a, i, c, v) in cast or (
        s.max_bal[a] > c and not any(x == a and j == i and d == c for x, j, d, _ in cast))
        for a in q) for q in quorums) for c in range(b)) for (i, b), v in per_ballot.items())


@spec.action_property
def refines_voting(cfg: Config, before: State, after: State) -> bool:
    """Every step is a step of Voting.tla in every slot: it changes neither the votes nor
    the promises, or one acceptor raises its promise, or one acceptor casts a vote in one
    slot for a value some majority shows safe there, at a ballot no lower than its
    promise, which it raises to that ballot."""
    if _lossy(cfg):
        return True
    raised = [a for a, (x, y) in enumerate(zip(before.max_bal, after.max_bal)) if x != y]
    new = [] if before.msgs == after.msgs else [
        m for m in after.msgs - before.msgs if type(m) is Accepted]
    if not new:
        return not raised or (len(raised) == 1
                              and after.max_bal[raised[0]] > before.max_bal[raised[0]])
    if len(new) > 1 or any(a != new[0].acc for a in raised):
        return False
    a, i, b, v = new[0].acc, new[0].slot, new[0].bal, new[0].val
    if not before.max_bal[a] <= b == after.max_bal[a]:
        return False
    prior = cast_votes(before)
    if any(j == i and c == b and (x == a or w != v) for x, j, c, w in prior):
        return False
    return any(shows_safe_at(cfg, before, prior, q, i, b, v) for q in _quorums(cfg))


_BALLOT_0_PREPARES = """Ballot 0's leader may send Prepare messages too: every acceptor
    has promised ballot 0 from the start, so none acts on them, and only the set of
    messages differs."""

spec.accept_mutant("prepare:off-by-one:2", _BALLOT_0_PREPARES)
spec.accept_mutant(
    "prepare:and-or:1", _BALLOT_0_PREPARES + """ (It also lets a crashed leader of a higher
    ballot send its Prepare, which matters only with ``--faults crash``.)""")

for _id in ("_majority:off-by-one:1", "_majority:off-by-one:6"):
    spec.accept_mutant(
        _id,
        """A quorum of every acceptor instead of a majority (``modelcheck mutate --helpers``):
        quorums still intersect, so no safety property can fail, and every goal is met by
        runs in which every acceptor answers. What it costs is availability: with an
        acceptor down no quorum forms, which a goal met only while one is down would show
        (``--faults crash=1`` makes a crash possible, not necessary, so the goals are still
        met without one).""")

spec.variant(
    "two-slots", params={"slots": 2, "max_ballot": 1},
    doc="A log of two slots, with the stable leader and one failover (ballots 0..1): one "
        "phase 1 serves both slots.")

spec.variant(
    "adopt-any-vote", params={"adopt_any_vote": True}, violates="messages_sound",
    doc="A new leader adopts, in a slot, any vote its majority reports there, not the one "
        "of highest ballot.")

spec.variant(
    "new-leader-skips-phase1", params={"skip_phase1": True}, violates="messages_sound",
    doc="A new leader proposes without running phase 1, as if the stable leader's promises "
        "covered its ballot.")
