"""Raft leader election: the election half of Ongaro's raft.tla.

Source: Diego Ongaro and John Ousterhout, "In Search of an Understandable Consensus
Algorithm" (USENIX ATC 2014), §5.2 and Figure 2, and Ongaro's TLA+ specification
``raft.tla`` (github.com/ongardie/raft.tla). Only leader election is modelled: there are
no logs, so a vote is granted on terms alone. ``servers`` servers start as followers in
term 0, as the paper initialises ``currentTerm`` (raft.tla starts at 1, a mere shift). A
follower or candidate that times out starts an election in the next term: it becomes a
candidate, votes for itself and sends RequestVote to every other server. A server grants
its vote iff the request's term is its current term and it has not voted for another
candidate in that term; a candidate granted votes by a majority becomes leader. Any
message of a newer term first makes its receiver adopt that term as a follower with no
vote (raft.tla's ``UpdateTerm``, folded into delivery here). The network ``msgs`` is a
set: a message is delivered once, in any order, or never. ``max_term`` bounds the model:
a server times out only while its term is below it, and states where the bound has
stopped everything are terminal. With the defaults (3 servers, ``max_term`` 2) the search
finds 29,031 distinct and 152,812 generated states (depth 17); with 4 servers and
``max_term`` 1, 12,769 and 61,669 (depth 17). ``max_term`` 3 runs to millions of states:
minutes, not seconds. Servers are a symmetric set: ``--symmetry`` explores one state per
renaming of them, 4,928 distinct and 25,986 generated with the defaults, 627 and 3,049
with 4 servers and ``max_term`` 1.

**Properties.** ``election_safety`` is Figure 3's Election Safety: at most one leader
per term, checked over ``elected``, the history of every (term, leader) pair, as raft.tla
checks its ``elections`` history: a leader that has stepped down still counts.
``leader_elected`` (a ``sometimes`` property) makes sure an election can succeed, so the
spec cannot pass vacuously.

**Variant ``vote-twice``.** A server grants its vote to any candidate of its current term,
forgetting to check ``votedFor``, the rule that lets each server vote once per term. The
shortest counterexample (8 steps): server 0 times out into term 1, voting for itself, and
wins server 1's vote; server 2 times out into term 1 too, and server 0 grants its request
as well; with two votes of three each, servers 0 and 2 become leaders of term 1.

**Variant ``minority-leader``.** A candidate becomes leader with ``votes >= servers // 2``,
an off-by-one of the majority ``votes > servers // 2`` (the quorum written as
``servers // 2`` where ``servers // 2 + 1`` was meant). With 3 servers a candidate's own
vote is then enough, and the shortest counterexample (4 steps) is servers 0 and 1 timing
out into term 1 and each becoming leader on its own vote. With 4 servers two disjoint
pairs elect two leaders (8 steps).

**Network and faults.** Messages travel on a modelcheck.network ``bag`` (raft.tla's
semantics: each send is one delivery, in any order); ``--param network=fifo`` gives
ordered channels instead (8,795 distinct states with the defaults). ``--faults`` adds
message loss, duplication, reordering (fifo), crashes, restarts and partitions; Figure 2's
persistent state, ``current_term`` and ``voted_for``, survives a restart, while ``role``
and ``votes_granted`` are reset. Election safety holds under each of them; with
``max_term`` 1 the counts are 581 distinct states for ``loss=1``, 1,317 for ``dup=1``,
1,052 for ``crash=1``, 1,855 for ``crash=1,restart=1`` and 1,315 for ``partition=1``, and
with ``network=fifo`` and ``reorder=1`` at the default ``max_term`` 36,457.

**Variant ``forget-vote``.** ``voted_for`` is volatile, as if a server did not persist it
before answering (with ``max_term`` 1 and ``--faults crash=1,restart=1``). The shortest
counterexample (10 steps): server 0 times out and wins server 1's vote; server 1 crashes
and restarts, having forgotten that vote but not its term; server 2 times out in the
same term and wins server 1's vote too: two leaders in term 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, TypeVar

from modelcheck import IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    servers: int = 3
    """Number of servers (raft.tla's Server)."""
    max_term: int = 2
    """Highest term a server may start an election for: timeouts stop at this term."""
    vote_twice: bool = False
    """Flaw: a server grants its vote even if it already voted for another candidate."""
    minority_leader: bool = False
    """Flaw: a candidate needs ``servers // 2`` votes (off by one) instead of a majority."""
    forget_vote: bool = False
    """Flaw: ``voted_for`` is volatile, so a server that crashes and restarts forgets it."""
    network: str = "bag"
    """Network semantics: ``bag`` (raft.tla's), ``fifo`` channels, or a re-delivering ``set``."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults loss=1,crash=1,restart=1``; see modelcheck.network)."""


Server = Annotated[int, Symmetric("Server", size="servers")]
"""A server, ``0 .. servers - 1``. Servers are interchangeable: every action, invariant and
bound treats them alike, so ``--symmetry`` may explore one state per permutation of them."""

T = TypeVar("T")
PerServer = Annotated[tuple[T, ...], IndexedBy(Server)]
"""A tuple with one item per server: ``current_term[i]`` is server ``i``'s term."""

FOLLOWER = "follower"
CANDIDATE = "candidate"
LEADER = "leader"


class RequestVoteRequest(Record):
    """Candidate ``src`` asks ``dst`` for its vote in ``term`` (no log fields: no logs)."""

    term: int
    src: Server
    dst: Server


class RequestVoteResponse(Record):
    """``src`` answers candidate ``dst``'s request; ``term`` is ``src``'s current term."""

    term: int
    src: Server
    dst: Server
    granted: bool


Message = RequestVoteRequest | RequestVoteResponse
"""A message in flight."""


class ServerFaults(FaultState, node=Server):
    """Fault budgets left, and the servers that are down or cut off (modelcheck.network)."""


class State(Record):
    """raft.tla's serverVars (currentTerm, state, votedFor), votesGranted and messages.

    ``msgs`` holds only messages whose delivery can still change a server. A response is
    not sent, or is discarded when its candidate moves on, once it can only be dropped
    on arrival: a response of an older term than the candidate's, a refusal of its own
    term, or a vote for a candidate that has left that election (a leader of the term, or
    in a newer one). Its delivery would change nothing but ``msgs``, so discarding it
    early leaves the same server states reachable while merging states that differ only
    in dead messages (without it the default model has over 1.6 million states).
    """

    current_term: PerServer[int]
    role: PerServer[str]
    voted_for: PerServer[Server | None]
    votes_granted: PerServer[frozenset[Server]]
    msgs: Net[Message]
    elected: frozenset[tuple[int, Server]]
    """History: every (term, server) that has become leader (raft.tla's ``elections``)."""
    faults: ServerFaults


spec = Spec("raft", Config, State)

_NO_VOTES: frozenset[int] = frozenset()


def _servers(cfg: Config) -> range:
    return range(cfg.servers)


def _messages(cfg: Config) -> list[Message]:
    """Every message that can be in flight: its term is one a server reached by timing
    out, 1 .. max_term."""
    pairs = [(t, i, j) for t in range(1, cfg.max_term + 1) for i in range(cfg.servers)
             for j in range(cfg.servers) if i != j]
    return ([RequestVoteRequest(t, i, j) for t, i, j in pairs]
            + [RequestVoteResponse(t, i, j, g) for t, i, j in pairs for g in (False, True)])


def _durable(cfg: Config) -> tuple[str, ...]:
    # Figure 2: currentTerm and votedFor are persisted before answering any RPC.
    return ("current_term",) if cfg.forget_vote else ("current_term", "voted_for")


def _volatile(cfg: Config) -> tuple[str, ...]:
    return ("role", "votes_granted") + (("voted_for",) if cfg.forget_vote else ())


net = Network(spec, messages=_messages, nodes=_servers, kind=lambda cfg: cfg.network,
              durable=_durable, volatile=_volatile)
"""Requests and responses travel on a network of the configured kind; any server may crash."""


@cache
def _request_votes(servers: int, i: int, term: int) -> tuple[RequestVoteRequest, ...]:
    """The RequestVote messages candidate ``i`` broadcasts when it starts ``term``."""
    return tuple(RequestVoteRequest(term, i, j) for j in range(servers) if j != i)


def _discard_replies(cfg: Config, msgs: frozenset[Message], i: int,
                     term: int) -> frozenset[Message]:
    """``msgs`` without the responses to ``i`` of ``term`` or older.

    Called when ``i`` enters ``term`` or becomes its leader: a response of an older term is
    stale, and one of this term can no longer change anything (see :class:`State`).
    """
    return net.discard(cfg, msgs, lambda m: m.dst == i and m.term <= term
                       and type(m) is RequestVoteResponse)


def _has_quorum(cfg: Config, votes: frozenset[int]) -> bool:
    if cfg.minority_leader:
        return len(votes) >= cfg.servers // 2
    return len(votes) > cfg.servers // 2


@spec.init
def init(cfg: Config) -> State:
    """Every server a follower in term 0 that has voted for no one; no message sent."""
    n = cfg.servers
    return State((0,) * n, (FOLLOWER,) * n, (None,) * n, (_NO_VOTES,) * n, frozenset(),
                 frozenset(), net.initial(cfg))


# -- followers and candidates -------------------------------------------------------------


@net.action(node="i", i=_servers)
def timeout(cfg: Config, s: State, i: int) -> State | None:
    """``i`` times out and starts an election: next term, candidate, votes for itself.

    raft.tla splits this into ``Timeout(i)`` and one ``RequestVote(i, j)`` per peer. Here
    the candidate broadcasts its requests at once. The network may still deliver them in
    any order, or never, so no behaviour of the servers is lost, while the interleavings
    of sending (and the states where only some requests are out) would multiply the state
    space without reaching a new combination of terms, roles and votes.
    """
    term = s.current_term[i]
    if term >= cfg.max_term or s.role[i] == LEADER:
        return None
    term += 1
    return s.replace(
        current_term=set_at(s.current_term, i, term),
        role=set_at(s.role, i, CANDIDATE),
        voted_for=set_at(s.voted_for, i, i),
        votes_granted=set_at(s.votes_granted, i, frozenset((i,))),
        msgs=net.broadcast(cfg, _discard_replies(cfg, s.msgs, i, term),
                           _request_votes(cfg.servers, i, term)))


# -- voters -------------------------------------------------------------------------------


@net.handler(RequestVoteRequest)
def handle_request_vote_request(cfg: Config, s: State, m: RequestVoteRequest) -> State:
    """``i`` receives ``j``'s RequestVote for ``term``, decides on its vote and replies."""
    i, j, term = m.dst, m.src, m.term
    msgs = s.msgs
    current = s.current_term[i]
    voted = s.voted_for[i]
    if term > current:  # UpdateTerm: adopt the newer term as a follower with no vote.
        s = s.replace(current_term=set_at(s.current_term, i, term),
                      role=set_at(s.role, i, FOLLOWER),
                      voted_for=set_at(s.voted_for, i, None),
                      votes_granted=set_at(s.votes_granted, i, _NO_VOTES))
        msgs = _discard_replies(cfg, msgs, i, term)
        current = term
        voted = None
    grant = term == current and (voted is None or voted == j or cfg.vote_twice)
    # Reply only if the answer can still matter to j (see State): a vote for the
    # election j is running, or a refusal carrying a term newer than j's.
    j_term = s.current_term[j]
    if current > j_term or (grant and current == j_term and s.role[j] == CANDIDATE):
        msgs = net.reply(cfg, msgs, m, RequestVoteResponse(current, i, j, grant))
    if grant:
        return s.replace(voted_for=set_at(s.voted_for, i, j), msgs=msgs)
    return s.replace(msgs=msgs)


# -- candidates ---------------------------------------------------------------------------


@net.handler(RequestVoteResponse)
def handle_request_vote_response(cfg: Config, s: State, m: RequestVoteResponse) -> State:
    """``i`` receives ``j``'s answer to its RequestVote; a candidate tallies a granted vote.

    A response of a newer term (always a refusal) makes ``i`` a follower in that term. A
    leader of the term has no use for a vote, so only a candidate records it; any other
    response is dropped (raft.tla's ``DropStaleResponse``): the discarding described at
    :class:`State` leaves few of those in flight, but a restarted server may meet them.
    """
    i, j, term = m.dst, m.src, m.term
    current = s.current_term[i]
    if term > current:  # UpdateTerm, on a refusal from a server in a newer term.
        return s.replace(current_term=set_at(s.current_term, i, term),
                         role=set_at(s.role, i, FOLLOWER),
                         voted_for=set_at(s.voted_for, i, None),
                         votes_granted=set_at(s.votes_granted, i, _NO_VOTES),
                         msgs=_discard_replies(cfg, s.msgs, i, term))
    if term == current and m.granted and s.role[i] == CANDIDATE:
        return s.replace(votes_granted=set_at(s.votes_granted, i, s.votes_granted[i] | {j}))
    return s


@net.action(node="i", i=_servers)
def become_leader(cfg: Config, s: State, i: int) -> State | None:
    """Candidate ``i`` has votes from a majority of servers and becomes leader."""
    if s.role[i] != CANDIDATE or not _has_quorum(cfg, s.votes_granted[i]):
        return None
    term = s.current_term[i]
    return s.replace(role=set_at(s.role, i, LEADER),
                     msgs=_discard_replies(cfg, s.msgs, i, term),
                     elected=s.elected | {(term, i)})


# -- bounds -------------------------------------------------------------------------------


@spec.terminal
def term_bound_reached(cfg: Config, s: State) -> bool:
    """No message is in flight (but to crashed servers) and every server that is up and
    not leader has reached ``max_term``.

    Without the bound such a server would time out again and the protocol go on; the
    model ends here instead. These states are not deadlocks: a leader never times out,
    and a candidate left without a majority (a split vote) would time out next.
    """
    down = s.faults.down
    # A message to a crashed server is never delivered; nothing else may be in flight.
    if any(net.route(m)[1] not in down for m in net.in_flight(cfg, s.msgs)):
        return False
    limit = cfg.max_term
    return all(r == LEADER or t >= limit or i in down
               for i, (r, t) in enumerate(zip(s.role, s.current_term)))


# -- properties ---------------------------------------------------------------------------


@spec.always
def election_safety(cfg: Config, s: State) -> bool:
    """At most one leader per term (Election Safety, Figure 3 of the paper).

    Checked over the history of elections, so two leaders of one term are caught even
    when the first has stepped down before the second is elected.
    """
    return len({t for t, _ in s.elected}) == len(s.elected)


@spec.sometimes
def leader_elected(cfg: Config, s: State) -> bool:
    """An election can succeed: some server is leader."""
    return LEADER in s.role


spec.variant(
    "vote-twice", params={"vote_twice": True}, violates="election_safety",
    doc="A server grants its vote in a term even if it already voted for another "
        "candidate in that term.")

spec.variant(
    "minority-leader", params={"minority_leader": True}, violates="election_safety",
    doc="A candidate becomes leader with servers // 2 votes (>= instead of >): with 3 "
        "servers, its own vote suffices.")

spec.variant(
    "forget-vote", params={"forget_vote": True, "max_term": 1, "faults": "crash=1,restart=1"},
    violates="election_safety",
    doc="votedFor is not persisted: a server that crashes and restarts votes again in the "
        "same term.")
