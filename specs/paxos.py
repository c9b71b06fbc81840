"""Paxos, single decree: Lamport's Paxos.tla, with Flexible Paxos's quorum sizes.

Source: Leslie Lamport, "Paxos Made Simple" (2001), and the TLA+ specification
``Paxos.tla`` (tlaplus/Examples, specifications/Paxos), a faithful port; and Heidi Howard,
Dahlia Malkhi and Alexander Spiegelman, "Flexible Paxos: Quorum Intersection Revisited"
(OPODIS 2016) for the quorum sizes. The proposer of ballot ``b`` (one per ballot,
``0 .. max_ballot``) sends phase 1a; an acceptor that has promised no higher ballot
promises ``b`` and reports its vote of highest ballot in phase 1b; once the 1b messages of
a phase-1 quorum are in, the proposer sends phase 2a for a value safe at ``b`` (the value
of the highest-ballot vote reported, or any value if none was); an acceptor that has
promised no higher ballot votes for it in phase 2b. Learners learn a value from the 2b
messages of a phase-2 quorum in one ballot; as in Paxos.tla they change no state, so the
value chosen is read from the 2b messages in ``msgs``. ``msgs`` is a ``set`` network of
modelcheck.network: a message once sent can be received again, so Paxos.tla's grow-only
set of messages is kept, and the proposer reads the 1b messages of its ballot in place, as
Paxos.tla's Phase2a does (1a and 2a messages, one to each acceptor here, are one message
in Paxos.tla, all sent at once, which leaves the state graph unchanged).

Quorums are every set of ``phase1_quorum`` acceptors for phase 1 and every set of
``phase2_quorum`` for phase 2 (0, the default, means a majority: classic Paxos). Phase2a's
two existentials, the quorum ``Q`` and the 1b message whose vote forces the value, are the
parameters ``q`` and ``w`` of ``phase2a``, so each of TLC's successors is one here and the
counts match TLC's exactly: the published MCPaxos model (one acceptor, one value, ballots
0..1) gives 25 distinct and 82 generated states, depth 9; 3 acceptors, majority quorums and
2 values give 3,921 distinct and 23,563 generated states at ballots 0..1 (depth 17), and
185,369 distinct and 1,361,380 generated at ballots 0..2 (depth 25), the defaults, as TLC
2.15 reports for MCPaxos with those constants and without SYMMETRY. The default run takes
about 30 seconds; ``--param max_ballot=1`` checks the smaller model in one. Ballots 0..2
are the least at which value selection matters: a proposer can hear of two votes of
different ballots and values, and must adopt the higher one. Acceptors and values are
symmetric sets: with ``--symmetry``, 17,153 distinct and 127,002 generated states (443 and
2,697 at ballots 0..1).

**Properties.** ``agreement``: at most one value is chosen, a value being chosen when a
phase-2 quorum of acceptors has voted for it in one ballot — the safety of consensus.
``validity``: only a value that has been proposed (sent in a 2a message) can be chosen.
What MCPaxos.cfg checks too: ``type_ok``, ``acceptor_votes_sent``, ``messages_sound`` and
``votes_safe`` (Paxos.tla's ``Inv`` conjuncts, Voting.tla's ``VotesSafe`` and
``OneValuePerBallot``) and ``refines_voting`` (the refinement of Voting.tla, an action
property). ``value_chosen``, ``every_ballot_proposes`` and ``chosen_again`` (``sometimes``: a value
is chosen, the proposer of every ballot can propose, and a value can be chosen in every
ballot, each proposer carrying over the vote of the one before) make sure none holds
vacuously. ``free_choice`` (``sometimes``: two ballots propose different values and one is
chosen) is consensus's non-triviality: a proposer that proposes a fixed value whatever its
client asks (value 0 in every 2a message, or whenever no vote binds it) keeps every safety
property, as only one value is ever proposed, and fails it.
``modelcheck mutate paxos`` kills every mutant but the equivalent ones and one accepted
(see the catalogue's score).

**Flexible Paxos.** Agreement needs only that every phase-1 quorum meets every phase-2
quorum, ``phase1_quorum + phase2_quorum > acceptors``, not that all quorums intersect.
**Variant ``flexible-quorums``** (3 acceptors, phase 1 with all three, phase 2 with any
one) holds, 9,689 distinct states. **Variant ``flexible-disjoint-quorums``** (phase 1 with
two, phase 2 with one: 2 + 1 = 3) breaks agreement in 10 steps: acceptors 0 and 1 promise
ballot 0, then ballot 1, reporting no vote; ballot 0's proposer proposes value 0, and
acceptor 2 alone, a phase-2 quorum, votes for it: value 0 is chosen. Ballot 1's phase-1
quorum {0, 1} misses acceptor 2, so its proposer may propose value 1, and acceptor 0's
vote chooses it too.

**Variant ``accept-lower-ballot``.** An acceptor votes in phase 2b even for a ballot lower
than the one it promised (the ``m.bal >= maxBal[a]`` guard is dropped): ``refines_voting``
fails in 7 steps, at the vote. Left alone it breaks agreement: acceptors 0 and 1 promise
ballot 0, then ballot 1, reporting no
vote each time. Ballot 0's proposer proposes value 0 and both vote for it although they
promised ballot 1: value 0 is chosen. Ballot 1's proposer, whose 1b messages show no vote,
proposes value 1, and the same two acceptors choose it as well.

**Variant ``ignore-accepted-value``.** The proposer proposes any value after phase 1,
ignoring the highest-ballot vote the 1b messages report: ``messages_sound`` fails in 9
steps, at the proposal. Left alone it breaks agreement: acceptors 0 and 1 promise ballot 0
and acceptor 0 promises ballot 1; ballot 0's
proposer proposes value 0; acceptor 1 votes for it and then promises ballot 1, reporting
that vote; acceptor 2 votes for value 0 too, which is now chosen. Ballot 1's proposer has
the promises of acceptors 0 and 1, one reporting the vote for value 0, proposes value 1
anyway, and acceptors 0 and 1 choose it.

**Variant ``adopt-any-vote``.** The proposer adopts any vote its quorum reports, not the
one of highest ballot: ``messages_sound`` fails in 14 steps (57,883 states), at ballot 2's
proposal of the value of a ballot-0 vote its quorum reports beside a ballot-1 vote for the
other value. At ballots 0..1 it passes: a proposer hears of votes of ballot 0 only, all
for one value.

**Faults.** ``--faults loss=N`` drops messages, ``crash=N`` stops acceptors or proposers,
``partition=N`` cuts links (a proposer reads only the 1b messages of acceptors it can
reach); ``crash=1,restart=1`` restarts an acceptor with its promise and vote intact, as
Paxos requires of stable storage. Agreement holds under all of them.
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
    """Number of acceptors (Paxos.tla's Acceptor)."""
    values: Annotated[int, Between(1)] = 2
    """Number of values that may be proposed (Paxos.tla's Value)."""
    max_ballot: Annotated[int, Between(0)] = 2
    """Ballots are ``0 .. max_ballot`` (MCPaxos's MCBallot). Two is the least at which
    value selection matters: a proposer can hear of two votes of different ballots and
    values."""
    phase1_quorum: Annotated[int, Between(0)] = 0
    """Acceptors in a phase-1 quorum; 0 means a majority."""
    phase2_quorum: Annotated[int, Between(0)] = 0
    """Acceptors in a phase-2 quorum; 0 means a majority."""
    accept_lower_ballot: bool = False
    """Flaw: an acceptor votes for a ballot lower than the one it promised."""
    ignore_accepted_value: bool = False
    """Flaw: a proposer ignores the votes reported in phase 1b and proposes any value."""
    adopt_any_vote: bool = False
    """Flaw: a proposer adopts any vote reported in phase 1b, not the one of highest
    ballot."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults loss=1,crash=1``; see modelcheck.network)."""

    def __post_init__(self) -> None:
        for q in (self.phase1_quorum, self.phase2_quorum):
            if not 0 <= q <= self.acceptors:
                raise ValueError(f"a quorum size must be 0 (a majority) .. acceptors "
                                 f"({self.acceptors}), got {q}")


Acceptor = Annotated[int, Symmetric("Acceptor", size="acceptors")]
"""An acceptor, ``0 .. acceptors - 1``; acceptors are interchangeable (``--symmetry``)."""

Value = Annotated[int, Symmetric("Value", size="values")]
"""A value, ``0 .. values - 1``; values are interchangeable, as MCPaxos's SYMMETRY has it."""

LEARNER: Literal["learner"] = "learner"
"""The learners, as one node of the network: the receiver of 2b messages."""


@cache
def proposer(ballot: int) -> str:
    """The node that leads ``ballot``."""
    return f"proposer {ballot}"


class Phase1a(Record):
    """The proposer of ``bal`` asks acceptor ``dst`` to promise it."""

    bal: int
    dst: Acceptor


class Phase1b(Record):
    """Acceptor ``acc`` promises ``bal``; its vote of highest ballot was for ``mval`` in
    ``mbal`` (-1 and None: it has not voted)."""

    acc: Acceptor
    bal: int
    mbal: int
    mval: Value | None


class Phase2a(Record):
    """The proposer of ``bal`` asks acceptor ``dst`` to vote for ``val``."""

    bal: int
    val: Value
    dst: Acceptor


class Phase2b(Record):
    """Acceptor ``acc`` has voted for ``val`` in ``bal``."""

    acc: Acceptor
    bal: int
    val: Value


Message = Phase1a | Phase1b | Phase2a | Phase2b
"""A message in ``msgs``."""

Node = Acceptor | str
"""A node of the network: an acceptor, a proposer or the learners."""


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, and the nodes that are down or cut off (modelcheck.network)."""


class State(Record):
    """Paxos.tla's maxBal, maxVBal, maxVal (one item per acceptor) and msgs."""

    max_bal: Annotated[tuple[int, ...], IndexedBy(Acceptor)]
    max_vbal: Annotated[tuple[int, ...], IndexedBy(Acceptor)]
    max_val: Annotated[tuple[Value | None, ...], IndexedBy(Acceptor)]
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("paxos", Config, State)


def _acceptors(cfg: Config) -> range:
    return range(cfg.acceptors)


def _ballots(cfg: Config) -> range:
    return range(cfg.max_ballot + 1)


def _values(cfg: Config) -> range:
    return range(cfg.values)


def quorum_sizes(cfg: Config) -> tuple[int, int]:
    """The sizes of phase-1 and phase-2 quorums."""
    majority = cfg.acceptors // 2 + 1
    return cfg.phase1_quorum or majority, cfg.phase2_quorum or majority


def _messages(cfg: Config) -> list[Message]:
    """Every message of the protocol, in a fixed order."""
    acc, bal, val = _acceptors(cfg), _ballots(cfg), _values(cfg)
    out: list[Message] = [Phase1a(b, a) for b in bal for a in acc]
    out += [Phase1b(a, b, mb, mv) for a in acc for b in bal
            for mb, mv in [(-1, None), *((mb, v) for mb in range(b) for v in val)]]
    out += [Phase2a(b, v, a) for b in bal for v in val for a in acc]
    out += [Phase2b(a, b, v) for a in acc for b in bal for v in val]
    return out


def _route(m: Message) -> tuple[Node, Node]:
    if isinstance(m, (Phase1a, Phase2a)):
        return proposer(m.bal), m.dst
    if type(m) is Phase1b:
        return m.acc, proposer(m.bal)
    return m.acc, LEARNER


def _nodes(cfg: Config) -> tuple[Node, ...]:
    return (*_acceptors(cfg), *(proposer(b) for b in _ballots(cfg)), LEARNER)


net = Network(spec, messages=_messages, nodes=_nodes, kind="set", route=_route,
              durable=("max_bal", "max_vbal", "max_val"), volatile=())
"""Paxos.tla's ``msgs``; an acceptor's promise and vote are on stable storage."""


@spec.init
def init(cfg: Config) -> State:
    """No acceptor has promised or voted; no message sent."""
    n = cfg.acceptors
    return State((-1,) * n, (-1,) * n, (None,) * n, frozenset(), net.initial(cfg))


# -- proposers ----------------------------------------------------------------------------


@cache
def _phase1a(acceptors: int, b: int) -> tuple[Phase1a, ...]:
    return tuple(Phase1a(b, a) for a in range(acceptors))


@cache
def _phase2a(acceptors: int, b: int, v: int) -> tuple[Phase2a, ...]:
    return tuple(Phase2a(b, v, a) for a in range(acceptors))


@spec.action(b=_ballots)
def phase1a(cfg: Config, s: State, b: int) -> State | None:
    """The proposer of ballot ``b`` asks every acceptor for a promise (again, possibly:
    Paxos.tla's Phase1a is always enabled)."""
    if not net.up(s, proposer(b)):
        return None
    return s.replace(msgs=net.broadcast(cfg, s.msgs, _phase1a(cfg.acceptors, b)))


def _quorums1(cfg: Config) -> list[tuple[int, ...]]:
    """Every phase-1 quorum: each set of ``phase1_quorum`` acceptors, as a sorted tuple."""
    return list(itertools.combinations(_acceptors(cfg), quorum_sizes(cfg)[0]))


def _witnesses(cfg: Config) -> tuple[int | None, ...]:
    return (None, *_acceptors(cfg))


@spec.action(b=_ballots, v=_values, q=_quorums1, w=_witnesses)
def phase2a(cfg: Config, s: State, b: int, v: int, q: tuple[int, ...],
            w: int | None) -> State | None:
    """The proposer of ``b`` has 1b messages of ballot ``b`` from every acceptor of
    phase-1 quorum ``q`` and proposes ``v`` (once per ballot): no acceptor of ``q`` has
    voted (``w`` is None), or ``v`` is the value of acceptor ``w``'s vote, of the highest
    ballot among those ``q`` reports (Paxos.tla's two existentials, ``Q`` and ``m``)."""
    me = proposer(b)
    if not net.up(s, me):
        return None
    reports: dict[int, Phase1b] = {}
    for m in s.msgs:
        if type(m) is Phase2a and m.bal == b:
            return None
        if type(m) is Phase1b and m.bal == b and m.acc in q and net.reachable(s, m.acc, me):
            reports[m.acc] = m
    if len(reports) < len(q):
        return None
    if cfg.ignore_accepted_value:
        if w is not None:
            return None
    elif w is None:
        if any(m.mbal >= 0 for m in reports.values()):
            return None
    else:
        mw = reports.get(w)
        if mw is None or mw.mbal < 0 or mw.mval != v or (
                not cfg.adopt_any_vote and any(m.mbal > mw.mbal for m in reports.values())):
            return None
    return s.replace(msgs=net.broadcast(cfg, s.msgs, _phase2a(cfg.acceptors, b, v)))


@net.handler(Phase1b)
def proposer_reads_phase1b(cfg: Config, s: State, m: Phase1b) -> None:
    """Never a step: the proposer reads 1b messages in place, in ``phase2a``."""
    return None


# -- acceptors ----------------------------------------------------------------------------


@net.handler(Phase1a)
def phase1b(cfg: Config, s: State, m: Phase1a) -> State | None:
    """Acceptor ``a`` promises ballot ``b`` if it promised no higher (or equal) one, and
    reports its vote of highest ballot."""
    a, b = m.dst, m.bal
    if b <= s.max_bal[a]:
        return None
    return s.replace(max_bal=set_at(s.max_bal, a, b),
                     msgs=net.send(cfg, s.msgs, Phase1b(a, b, s.max_vbal[a], s.max_val[a])))


@net.handler(Phase2a)
def phase2b(cfg: Config, s: State, m: Phase2a) -> State | None:
    """Acceptor ``a`` votes for ``v`` in ballot ``b`` unless it promised a higher one."""
    a, b = m.dst, m.bal
    if b < s.max_bal[a] and not cfg.accept_lower_ballot:
        return None
    return s.replace(max_bal=set_at(s.max_bal, a, max(b, s.max_bal[a])),
                     max_vbal=set_at(s.max_vbal, a, b),
                     max_val=set_at(s.max_val, a, m.val),
                     msgs=net.send(cfg, s.msgs, Phase2b(a, b, m.val)))


# -- learners -----------------------------------------------------------------------------


@net.handler(Phase2b)
def learner_reads_phase2b(cfg: Config, s: State, m: Phase2b) -> None:
    """Never a step: learners read 2b messages in place (see :func:`chosen`)."""
    return None


def chosen(cfg: Config, s: State) -> frozenset[int]:
    """The values chosen: voted for by a phase-2 quorum in one ballot (Voting's chosen)."""
    voters: dict[tuple[int, int], int] = {}
    for m in s.msgs:
        if type(m) is Phase2b:
            key = (m.bal, m.val)
            voters[key] = voters.get(key, 0) + 1
    _, q2 = quorum_sizes(cfg)
    return frozenset(v for (_, v), n in voters.items() if n >= q2)


# -- properties ---------------------------------------------------------------------------


@spec.always
def agreement(cfg: Config, s: State) -> bool:
    """At most one value is chosen."""
    return len(chosen(cfg, s)) <= 1


@spec.always
def validity(cfg: Config, s: State) -> bool:
    """Only a proposed value (one sent in a 2a message) is chosen."""
    proposed = {m.val for m in s.msgs if type(m) is Phase2a}
    return chosen(cfg, s) <= proposed


@spec.sometimes
def value_chosen(cfg: Config, s: State) -> bool:
    """A value can be chosen."""
    return bool(chosen(cfg, s))


@spec.sometimes
def every_ballot_proposes(cfg: Config, s: State) -> bool:
    """The proposer of every ballot can propose: phase 1 can succeed at each."""
    return {m.bal for m in s.msgs if type(m) is Phase2a} == set(_ballots(cfg))


@spec.sometimes
def free_choice(cfg: Config, s: State) -> bool:
    """A proposer that no reported vote binds proposes a value of its own choosing (its
    client's): proposers of two ballots can propose different values and one of them be
    chosen, so that any value can be chosen (met at once with one value or one ballot)."""
    if cfg.values < 2 or cfg.max_ballot < 1:
        return True
    return len({m.val for m in s.msgs if type(m) is Phase2a}) > 1 and bool(chosen(cfg, s))


@spec.sometimes
def chosen_again(cfg: Config, s: State) -> bool:
    """A value can be chosen in every ballot: each later proposer learns it in phase 1 and
    carries it over, from ballot 0 on."""
    voters: dict[tuple[int, int], int] = {}
    for m in s.msgs:
        if type(m) is Phase2b:
            voters[m.bal, m.val] = voters.get((m.bal, m.val), 0) + 1
    at = {b for (b, _), n in voters.items() if n >= quorum_sizes(cfg)[1]}
    return len(at) > max(cfg.max_ballot, 1)


# -- Paxos.tla's inductive invariant and its refinement of Voting.tla --------------------
#
# MCPaxos.cfg checks ``Inv``'s four conjuncts and ``V!Spec``, the refinement of Voting.tla
# under the mapping ``votes`` (the 2b messages sent) and ``maxBal``. A lost 2b message
# would take a vote back from that mapping, so with ``--faults loss`` they are not checked
# (agreement and validity still are).


def _lossy(cfg: Config) -> bool:
    return cfg.faults.budgets["loss"] > 0


def votes(s: State) -> dict[int, set[tuple[int, int]]]:
    """Paxos.tla's ``votes``: each acceptor's ``(ballot, value)`` of the 2b messages it
    sent (acceptors that sent none are absent)."""
    out: dict[int, set[tuple[int, int]]] = {}
    for m in s.msgs:
        if type(m) is Phase2b:
            out.setdefault(m.acc, set()).add((m.bal, m.val))
    return out


def _quorums(cfg: Config, phase: int) -> list[tuple[int, ...]]:
    return list(itertools.combinations(_acceptors(cfg), quorum_sizes(cfg)[phase - 1]))


def shows_safe_at(cfg: Config, s: State, cast: dict[int, set[tuple[int, int]]],
                  q: tuple[int, ...], b: int, v: int) -> bool:
    """Voting.tla's ``ShowsSafeAt(Q, b, v)``: every acceptor of ``q`` has promised ``b``,
    and ``v`` is the value of their vote of highest ballot below ``b``, or none voted."""
    if any(s.max_bal[a] < b for a in q):
        return False
    below = [(c, w) for a in q for c, w in cast.get(a, ()) if c < b]
    if not below:
        return True
    top = max(c for c, _ in below)
    return (top, v) in below


def _safe_at(cfg: Config, s: State, cast: dict[int, set[tuple[int, int]]],
             b: int, v: int) -> bool:
    """Voting.tla's ``SafeAt(b, v)``: no value but ``v`` is chosen or choosable at any
    ballot below ``b``: some phase-1 quorum, which meets every phase-2 quorum, voted for
    ``v`` there or can no longer vote there."""
    return all(any(all((c, v) in cast.get(a, ()) or (
        s.max_bal[a] > c and all(c != d for d, _ in cast.get(a, ()))) for a in q)
        for q in _quorums(cfg, 1)) for c in range(b))


@spec.always
def type_ok(cfg: Config, s: State) -> bool:
    """Paxos.tla's ``TypeOK`` (``Inv1``): promises and votes are ballots or -1, values
    are values or None, and every message's fields are in range."""
    bals, vals = range(-1, cfg.max_ballot + 1), range(cfg.values)
    if any(b not in bals for b in s.max_bal) or any(b not in bals for b in s.max_vbal):
        return False
    if any(v is not None and v not in vals for v in s.max_val):
        return False
    for m in s.msgs:
        if not isinstance(m, (Phase1a, Phase1b, Phase2a, Phase2b)) \
                or not 0 <= m.bal <= cfg.max_ballot:
            return False
        if type(m) is Phase1b:
            if m.mbal not in bals or (m.mval is not None and m.mval not in vals):
                return False
        elif (type(m) is Phase2a or type(m) is Phase2b) and m.val not in vals:
            return False
    return True


@spec.always
def acceptor_votes_sent(cfg: Config, s: State) -> bool:
    """``Inv2``: an acceptor's ``maxVBal`` and ``maxVal`` are -1 and None, or a vote it
    announced in a 2b message."""
    if _lossy(cfg):
        return True
    cast = votes(s)
    return all(val is None if bal == -1 else (bal, val) in cast.get(a, ())
               for a, (bal, val) in enumerate(zip(s.max_vbal, s.max_val)))


@spec.always
def messages_sound(cfg: Config, s: State) -> bool:
    """``Inv3``: an acceptor that sent a 1b message for ``b`` has promised ``b`` or more
    and cast the vote it reports, of a ballot below ``b``; a 2a message proposes a value
    some phase-1 quorum shows safe, and no other value in its ballot."""
    if _lossy(cfg):
        return True
    cast = votes(s)
    proposed: dict[int, int] = {}
    for m in s.msgs:
        if type(m) is Phase1b:
            if s.max_bal[m.acc] < m.bal or m.mbal >= m.bal or (
                    m.mbal >= 0 and (m.mbal, m.mval) not in cast.get(m.acc, ())):
                return False
        elif type(m) is Phase2a and proposed.setdefault(m.bal, m.val) != m.val:
            return False
    return all(any(shows_safe_at(cfg, s, cast, q, b, v) for q in _quorums(cfg, 1))
               for b, v in proposed.items())


@spec.always
def votes_safe(cfg: Config, s: State) -> bool:
    """``Inv4``, Voting.tla's ``Inv``: every vote is for a value safe at its ballot
    (``VotesSafe``), and all votes of one ballot are for one value
    (``OneValuePerBallot``)."""
    if _lossy(cfg):
        return True
    cast = votes(s)
    per_ballot: dict[int, int] = {}
    for a in cast:
        for b, v in cast[a]:
            if per_ballot.setdefault(b, v) != v:
                return False
    return all(_safe_at(cfg, s, cast, b, v) for b, v in per_ballot.items())


@spec.action_property
def refines_voting(cfg: Config, before: State, after: State) -> bool:
    """Every step is a step of Voting.tla (``V!Spec``): it changes neither ``votes`` nor
    ``maxBal``, or one acceptor raises its ``maxBal`` (``IncreaseMaxBal``), or one acceptor
    casts a vote for a value some phase-1 quorum shows safe, at a ballot no lower than its
    ``maxBal``, which it raises to that ballot (``VoteFor``)."""
    if _lossy(cfg):
        return True
    raised = [a for a, (x, y) in enumerate(zip(before.max_bal, after.max_bal)) if x != y]
    if before.msgs is after.msgs or before.msgs == after.msgs:
        cast = []
    else:
        cast = [m for m in after.msgs - before.msgs if type(m) is Phase2b]
    if not cast:
        return not raised or (len(raised) == 1
                              and after.max_bal[raised[0]] > before.max_bal[raised[0]])
    if len(cast) > 1 or any(a != cast[0].acc for a in raised):
        return False
    a, b, v = cast[0].acc, cast[0].bal, cast[0].val
    if not before.max_bal[a] <= b == after.max_bal[a]:
        return False
    prior = votes(before)
    if any(c == b and (x == a or w != v) for x in prior for c, w in prior[x]):
        return False
    return any(shows_safe_at(cfg, before, prior, q, b, v) for q in _quorums(cfg, 1))


spec.variant(
    "accept-lower-ballot", params={"accept_lower_ballot": True}, violates="refines_voting",
    doc="An acceptor votes in phase 2b for a ballot lower than the one it promised.")

spec.variant(
    "ignore-accepted-value", params={"ignore_accepted_value": True},
    violates="messages_sound",
    doc="A proposer ignores the highest-ballot vote reported in phase 1b and proposes any "
        "value.")

spec.variant(
    "adopt-any-vote", params={"adopt_any_vote": True}, violates="messages_sound",
    doc="A proposer adopts any vote its phase-1 quorum reports, not the one of highest "
        "ballot.")

spec.accept_mutant(
    "phase2a:drop-conjunct:5",
    """Without ``m.acc in q`` the proposer reads the 1b messages of every acceptor that
    promised its ballot, a superset of the quorum ``q``: the vote of highest ballot among
    a superset of a phase-1 quorum that promised ``b`` is as safe as among the quorum
    (messages_sound, votes_safe and refines_voting check it).""")

spec.variant(
    "flexible-quorums", params={"phase1_quorum": 3, "phase2_quorum": 1},
    doc="Flexible Paxos: phase 1 with all 3 acceptors, phase 2 with any one (3 + 1 > 3): "
        "every phase-1 quorum meets every phase-2 quorum.")

spec.variant(
    "flexible-disjoint-quorums", params={"phase1_quorum": 2, "phase2_quorum": 1},
    violates="agreement",
    doc="Flexible Paxos with phase-1 quorums of 2 and phase-2 quorums of 1 out of 3 "
        "acceptors (2 + 1 <= 3): a phase-1 quorum can miss the acceptor that chose.")
