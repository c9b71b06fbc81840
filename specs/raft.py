"""Raft: leader election and log replication, after Ongaro's thesis and raft.tla.

Source: Diego Ongaro, "Consensus: Bridging Theory and Practice" (PhD thesis, Stanford,
2014), chapter 3 (Figures 3.1 and 3.2, §3.6 safety, Figure 3.7), and his TLA+
specification ``raft.tla`` (github.com/ongardie/raft.tla), whose variables, messages and
actions this port follows: ``servers`` servers start as followers in term 0 with empty
logs. A follower or candidate that times out starts an election in the next term and
asks every other server for its vote (``RequestVote``, carrying its last log term and
index); a server grants its vote in its current term, once, to a candidate whose log is
at least as up to date as its own, and a candidate with a majority becomes leader. A
leader appends client requests to its log (``client_request``) and sends each follower
the entry at that follower's ``nextIndex`` with the previous entry's index and term
(``AppendEntries``); the follower accepts only if its log holds that previous entry (the
consistency check), deletes any conflicting entries, appends, and advances its commit
index as far as the leader's. The leader advances its commit index to the highest entry
of its current term that a majority stores. A message of a newer term first makes its
receiver adopt that term as a follower (``UpdateTerm``). Durable state (Figure 3.1's
persistent state): ``current_term``, ``voted_for`` and ``log``; ``role``,
``commit_index``, votes and the leader's progress are volatile, reset by a restart.

**Where the model departs from raft.tla, and why.** raft.tla has no bounds (TLC needs a
constraint to check it) and ships no model with a published state count, so no count
here can be cross-checked with TLC; the steps below are merged or pruned to keep the
state space small, each without losing a reachable combination of server states: a
candidate broadcasts its RequestVotes at once; a follower deletes, appends and replies in
one step; a leader advances its commit index at the step that makes it possible (its own
append, or a response); a response whose delivery could change nothing is not sent (or is
discarded once its receiver moves on); a leader sends only what the follower may lack
(an entry, an unacknowledged consistency check or a newer commit index: heartbeats that
carry nothing are left out). One pruning does lose behaviours: a leader has at most
``requests`` AppendEntries outstanding per follower (one by default, so requests of one
term never overtake each other; see *What the default bounds cannot show*). **Terms are
relative**: Raft only compares terms with each other, so every state is shifted so that
the lowest term it holds (of a server, a log entry, a committed entry or an entry in
flight) is 0, and ``max_term`` bounds how far above it a server may time out. Traces show
absolute terms: each state of a trace is lifted back by the shifts along it
(:func:`absolute_terms`, the spec's ``display`` hook), while trace files keep the model's
relative states. A round of elections that ends as it began, one term up, returns to the
very same state, so the model has genuine cycles (needed for liveness) and is finite. A
message whose term is below every server's is dropped as lost (it could only be refused).
``max_log_len`` bounds logs and ``values`` the client values.

**Timeouts.** By default (``timeouts="stabilising"``) the model is partially
synchronous, after Dwork, Lynch and Stockmeyer's global stabilisation time: until the
system stabilises, at a moment no one knows (the ``stabilise`` step, which may come at
any point and is assumed to come: it is weakly fair), an election timer may fire at any
time, so every safety property is checked over every interleaving of timeouts, with any
number of concurrent candidates; after it, timers are randomised. A randomised timer
fires only while no message that can be delivered is in flight and no candidate has won
its election yet: the model of Raft's timing requirement, broadcastTime ≪
electionTimeout (§3.10), where a timer drawn at random from an interval much longer than
a message delay fires, with probability approaching 1, after the messages already sent
have arrived, and one election then runs on its own before the next timer fires. So
``eventually_leader`` holding is the thesis's §3.4 argument made exact, and the same run
checks it. ``timeouts="randomised"`` keeps timers randomised throughout (fewer states:
the safety properties are then checked only over runs with one election at a time, so a
✓ there says nothing about concurrent candidates), and ``timeouts="nondeterministic"``
never stabilises (``eventually_leader`` then fails: see ``split-votes``). With the
defaults (3 servers, ``max_term`` 1, ``max_log_len`` 1, one value) the search finds
593,716 distinct and 3,797,685 generated states (depth 30) in about a minute (about half
of them after the system has stabilised; elections alone, ``max_log_len`` 0, give 19,468
and 113,937); ``max_term`` 2 has not finished in minutes, which is why the default is 1
(the reductions that would make it affordable do not exist yet). With randomised
timeouts the default bounds give 9,064 distinct and 31,042 generated states (depth 26),
and ``max_term`` 2 gives 31,795 and 116,608 (depth 37). With elections alone
(``max_log_len`` 0) the fault budgets give (with randomised timeouts) 286 distinct
states for ``loss=1``, 364 for ``dup=1``, 532 for ``crash=1``, 749 for
``crash=1,restart=1`` and 3,116 for ``partition=1`` (with the default timing, ``loss=1``
gives 71,376); every property, ``eventually_leader`` included, holds under each (with
``restart``, a crashed server is assumed to restart eventually). ``eventually_leader``
needs a majority that can talk: a crash and a partition together
(``crash=1,partition=1``) leave servers 1 and 2 cut apart with server 0 down, timing out
forever. With ``--symmetry`` (safety only: liveness is not checked under symmetry) the
defaults give 99,082 distinct states (25 s).

**What the default bounds cannot show.** With one entry per log and one request
outstanding per follower, some replication bugs have nothing to act on, and the bounds
that give them something cost more than a default run can afford (until reductions of
the state space make them affordable). ``log_matching`` can fail only with logs of two
entries from different terms: a follower that skips the consistency check passes the
default run, while ``--param max_log_len=2 --param max_term=2 --param
timeouts=randomised`` breaks ``append_entries_from_leaders`` in 18 steps (``log_matching``
alone in 19). Requests of one term overtake each other only with ``requests`` 2: a
follower that deletes the entries after a matching one (not only after a conflicting
one) passes the default run, while ``--param max_log_len=2 --param requests=2 --param
timeouts=randomised`` catches it in 13 steps; that configuration has not finished in
minutes (2.1 million states in 200 s), nor has ``requests=2`` at the default bounds (4.3
million in 300 s). (Its search found an acknowledgement overtaken by a later one moving
``nextIndex`` back to ``matchIndex``; the handler now keeps the larger, as etcd does.) A
commit quorum off by one is caught at the default bounds: the commit rule runs on the
leader's own append too, so a leader that counts ``servers // 2`` copies commits alone
(``leader_completeness``, 10 steps).

**Properties** (Figure 3.2, one each). ``election_safety``: at most one leader per term,
over the history of elections (raft.tla's ``elections``), so a leader that has stepped
down still counts. ``leader_append_only`` (an action property): a leader never
overwrites or deletes entries of its log. ``log_matching``: two logs holding an entry of
the same index and term are identical up to it. ``leader_completeness``: an entry
committed in a term is in the log of every leader of a later term (read over the history
of commits: each committed entry with the term of the leader that committed it).
``state_machine_safety``: no two different entries are committed at one index, and every
server has applied (up to its commit index) exactly the committed entries.
``eventually_leader``: a leader is eventually elected, under weak fairness of message
delivery, of each timer, of each leader's requests to each follower, of becoming leader
with a majority and (with ``restart`` faults) of restarting a crashed server.
``leader_log_replicated`` (``[]<>``): again and again every server that is up holds the
newest leader's log, unless no leader is up or a partition cuts the network — the
liveness of replication, which a leader that cannot repair a follower's log fails.
``leader_elected`` and ``entry_committed`` (``sometimes``) make sure elections and
replication can succeed (every server applies an entry of the term they are all in, which
its leader committed and told them of), ``committed_by_a_majority`` that a leader commits
as soon as a bare majority stores an entry (not only once every server does), and
``split_vote`` that two candidates of one term can coexist (what timers firing during an
election allow). Beyond Figure 3.2, so that what
``election_safety`` reads cannot go wrong unseen: ``elections_recorded`` (every leader is
in the history of elections) and ``votes_in_term`` (a vote goes to a server that has
reached the voter's term) and ``messages_in_term`` (every message in flight comes from a
server that has reached its term). And the invariants Raft's safety argument rests on, each
checked on its own so that a bug shows where it starts rather than several steps later
(as in the inductive invariants of Raft's proofs): ``tallies_from_voters`` (only a
candidate tallies votes, from servers that reached its term), ``leaders_keep_office``
(an action property: a leader steps down only for a newer term),
``candidates_hold_no_entry_of_their_term``, ``entries_from_leaders`` (every entry was
created by its term's leader, whose log still holds it), ``leader_progress_accurate``
(``0 <= matchIndex < nextIndex <= len(log) + 1``, and a follower in the leader's term
holds its entries up to ``matchIndex``: what the commit rule counts on) and
``append_entries_from_leaders`` (every request agrees with its leader's log, every
acknowledgement with the follower's).

**Variant ``commit-old-term``** (Figure 3.7; enablers ``max_term`` 3 and randomised
timeouts, which keep three terms affordable). A leader commits an entry of an earlier
term as soon as a majority stores it, instead of only entries of its own term. The
shortest counterexample (27 steps, terms as its trace shows them) is the figure's
scenario on three servers: server 0 leads term 1, server 1 then leads term 2 with server
2's vote; server 0 appends an entry (of term 1) that it does not replicate; it wins term 3
with server 2's vote, while server 1, still leader of term 2, appends an entry of term 2;
server 1 times out into term 4; server 0 replicates its term-1 entry to server 2 (after
one failed consistency check), server 2 votes for server 1, whose last entry is more up
to date, and server 0, receiving server 2's acknowledgement, counts two replicas and
commits its term-1 entry in term 3. Server 1 becomes leader of term 4 without it:
``leader_completeness`` breaks, and ``state_machine_safety`` follows as soon as server 1
replicates its own entry over the committed one.

**Variant ``no-truncate``** (the default bounds). A follower that already holds an entry
at the index of the leader's new one keeps it even when the terms differ, and
acknowledges the request as if it matched. The shortest counterexample (13 steps):
server 0 leads term 1 and appends an entry it does not replicate; server 1 leads term 2
and appends another, and sends it to server 0, which keeps its own entry and
acknowledges: the acknowledgement claims a log that is not the leader's
(``append_entries_from_leaders``). Checked on its own, ``state_machine_safety`` breaks
three steps later (16 steps), when server 1 commits its entry with server 2's
acknowledgement and sends the commit index to server 0: server 0 applies an entry no
leader committed.

**Variant ``split-votes``** (``timeouts="nondeterministic"``; enablers 2 servers and
elections only). Without randomised timers, elections can go on forever, each won by
nobody: ``eventually_leader`` fails with a lasso (a stem of 2 steps, a loop of 5). Server
0 gathers both votes, but its timer fires before it takes office; server 1 times out into
the same term, votes for itself and so refuses server 0, whose timer fires again; server 1
grants the request of the newer term, and the round repeats one term up. Fair delivery
and fair timers do not prevent it (becoming leader is disabled once the timer has fired),
which is why real Raft randomises timeouts. With 3 servers (``--param
timeouts=nondeterministic``) the loop takes 8 steps.

**Variant ``vote-twice``** (the default bounds: it needs two candidates at once, which
the default timing allows before the system stabilises). A server grants its vote to any
candidate of its current term, forgetting to check ``votedFor``. The shortest
counterexample (8 steps): server 0 times out, wins server 1's vote; server 2 times out
into the same term and server 0 grants its request as well; servers 0 and 2 both become
leaders of one term.

**Variant ``minority-leader``** (the default bounds). A candidate becomes leader with
``votes >= servers // 2``, an off-by-one of the majority ``votes > servers // 2``. With
3 servers a candidate's own vote suffices: servers 0 and 1 time out into one term and
each becomes leader on its own vote (4 steps).

**Variant ``forget-vote``** (enabler ``--faults crash=1,restart=1``). ``voted_for`` is
volatile, as if a server did not persist it before answering. The shortest
counterexample (10 steps): server 0 times out and wins server 1's vote; server 1 crashes
and restarts, having forgotten that vote but not its term; server 2 times out into the
same term and wins server 1's vote too: two leaders of one term.

**Network and faults.** Messages travel on a modelcheck.network ``bag`` (raft.tla's
semantics: each send is one delivery, in any order); ``--param network=fifo`` gives
ordered channels. ``--faults`` adds message loss, duplication, reordering (fifo),
crashes, restarts and partitions; every property holds under each of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, TypeVar

from modelcheck import Between, IndexedBy, Record, Spec, Symmetric, set_at
from modelcheck.network import NO_FAULTS, Behind, Copies, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    servers: Annotated[int, Between(2, 9)] = 3
    """Number of servers (raft.tla's Server): at least 2, for an entry to be replicated
    (one server elects itself but never commits); at most 9, as the states grow by two
    orders of magnitude with each server (222 with 2 servers, 593,716 with 3)."""
    max_term: Annotated[int, Between(1)] = 1
    """How far terms may spread: a server times out only while its term is less than
    ``max_term`` above the lowest term the state still holds (see the docstring)."""
    max_log_len: Annotated[int, Between(0)] = 1
    """Longest log: a leader takes a client request only while its log is shorter."""
    values: Annotated[int, Between(1)] = 1
    """Number of distinct client values (raft.tla's Value)."""
    requests: Annotated[int, Between(1)] = 1
    """AppendEntries a leader may have in flight to one follower, responses included
    (raft.tla: any number). With 2, a request may be sent again before the first arrives,
    and requests of one term reach a follower out of order."""
    timeouts: Literal["stabilising", "randomised", "nondeterministic"] = "stabilising"
    """``stabilising``: at any time until the system stabilises (a fair step), randomised
    after it; ``randomised``: a server times out only when no election is under way (the
    model of randomised election timeouts); ``nondeterministic``: at any time, forever."""
    commit_old_term: bool = False
    """Flaw: a leader commits an entry of an earlier term once a majority stores it."""
    no_truncate: bool = False
    """Flaw: a follower keeps an existing entry that conflicts with the leader's."""
    vote_twice: bool = False
    """Flaw: a server grants its vote even if it already voted for another candidate."""
    minority_leader: bool = False
    """Flaw: a candidate needs ``servers // 2`` votes (off by one) instead of a majority."""
    forget_vote: bool = False
    """Flaw: ``voted_for`` is volatile, so a server that crashes and restarts forgets it."""
    network: Literal["bag", "fifo"] = "bag"
    """Network semantics: ``bag`` (raft.tla's) or ``fifo`` channels. A message delivered
    more than once is the ``dup`` fault (a ``set`` network, which re-delivers every message
    forever, would keep each request outstanding for good: the model's leader sends its
    next request once the last one has arrived)."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults loss=1,crash=1,restart=1``; see modelcheck.network)."""


Server = Annotated[int, Symmetric("Server", size="servers")]
"""A server, ``0 .. servers - 1``. Servers are interchangeable: every action, invariant and
bound treats them alike, so ``--symmetry`` may explore one state per permutation of them."""

T = TypeVar("T")
PerServer = Annotated[tuple[T, ...], IndexedBy(Server)]
"""A tuple with one item per server: ``current_term[i]`` is server ``i``'s term."""

Entry = tuple[int, int]
"""A log entry: ``(term, value)``."""

FOLLOWER = "follower"
CANDIDATE = "candidate"
LEADER = "leader"
STABILISING = "stabilising"
RANDOMISED = "randomised"
NONDETERMINISTIC = "nondeterministic"
STALE = -1
"""A log term (in a message) below every term the state holds: all such terms compare
alike with the terms of the logs, so they are merged into one."""
NO_ENTRY = -2
"""The last log term of an empty log, below every term."""


class RequestVoteRequest(Record):
    """Candidate ``src`` asks ``dst`` for its vote in ``term``; its log ends with an entry
    of ``last_log_term`` at ``last_log_index`` (``last_log_term`` is None for no entry)."""

    term: int
    src: Server
    dst: Server
    last_log_term: int | None = None
    last_log_index: int = 0


class RequestVoteResponse(Record):
    """``src`` answers candidate ``dst``'s request; ``term`` is ``src``'s current term."""

    term: int
    src: Server
    dst: Server
    granted: bool


class AppendEntriesRequest(Record):
    """Leader ``src`` sends ``dst`` the ``entries`` (none or one) that follow the entry of
    ``prev_log_term`` at ``prev_log_index``, and its commit index (raft.tla's fields)."""

    term: int
    src: Server
    dst: Server
    prev_log_index: int
    prev_log_term: int | None
    entries: tuple[Entry, ...]
    commit_index: int


class AppendEntriesResponse(Record):
    """``src`` answers leader ``dst``: success, and the index its log now matches up to."""

    term: int
    src: Server
    dst: Server
    success: bool
    match_index: int


Message = RequestVoteRequest | RequestVoteResponse | AppendEntriesRequest | AppendEntriesResponse
"""A message in flight."""


class ServerFaults(FaultState, node=Server):
    """Fault budgets left, and the servers that are down or cut off (modelcheck.network)."""


class State(Record):
    """raft.tla's serverVars, logVars, candidateVars and leaderVars, the network, and the
    histories the properties read.

    ``progress[i]`` is leader ``i``'s ``(peer, nextIndex, matchIndex, sent)`` for each
    peer, ``sent`` the commit index of its last request to the peer (empty for a server
    that is not leader: raft.tla leaves stale values there, which nothing reads before
    ``become_leader`` resets them). ``msgs`` holds only messages
    whose delivery can still change a server (see :func:`_reply_matters`).
    """

    current_term: PerServer[int]
    role: PerServer[str]
    voted_for: PerServer[Server | None]
    log: PerServer[tuple[Entry, ...]]
    commit_index: PerServer[int]
    votes_granted: PerServer[frozenset[Server]]
    progress: PerServer[frozenset[tuple[Server, int, int, int]]]
    msgs: Net[Message]
    elected: frozenset[tuple[int, Server]]
    """History: every (term, server) that became leader in a term some server still holds
    or may still reach (raft.tla's ``elections``, without the terms no one can return to)."""
    committed: frozenset[tuple[int, int, int, int]]
    """History: ``(index, term, value, commit_term)`` for every entry a leader committed,
    with the leader's term then (``STALE`` once every server has moved past it)."""
    stable: bool
    """With ``timeouts="stabilising"``: the system has stabilised, and timers are
    randomised from now on (always False with the other timings)."""
    faults: ServerFaults


spec = Spec("raft", Config, State)

_NO_VOTES: frozenset[int] = frozenset()
_NO_PROGRESS: frozenset[tuple[int, int, int, int]] = frozenset()


def _servers(cfg: Config) -> range:
    return range(cfg.servers)


def _messages(cfg: Config) -> list[Message]:
    """Every message that can be in flight: terms ``STALE .. max_term`` (terms relative to
    the lowest one held), log positions up to ``max_log_len``."""
    n, top, length = cfg.servers, cfg.max_term, cfg.max_log_len
    terms = range(top + 1)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    out: list[Message] = []
    for t in terms:
        lasts: list[tuple[int | None, int]] = [(None, 0)] + [
            (lt, k) for k in range(1, length + 1) for lt in range(STALE, t + 1)]
        out += [RequestVoteRequest(t, i, j, lt, k) for i, j in pairs for lt, k in lasts]
    out += [RequestVoteResponse(t, i, j, g) for t in terms for i, j in pairs
            for g in (False, True)]
    for t in terms:
        shapes: list[tuple[int, int | None, tuple[Entry, ...]]] = []
        for prev in range(length + 1):
            prev_terms: list[int | None] = [None] if prev == 0 else list(range(STALE, t + 1))
            for pt in prev_terms:
                shapes.append((prev, pt, ()))
                if prev < length:
                    shapes += [(prev, pt, ((et, v),)) for et in range(0, t + 1)
                               for v in range(cfg.values)]
        out += [AppendEntriesRequest(t, i, j, prev, pt, es, c) for i, j in pairs
                for prev, pt, es in shapes for c in range(prev + len(es) + 1)]
    out += [AppendEntriesResponse(t, i, j, ok, k) for t in terms for i, j in pairs
            for ok, k in [(False, 0)] + [(True, k) for k in range(length + 1)]]
    return out


def _durable(cfg: Config) -> tuple[str, ...]:
    # Figure 3.1: currentTerm, votedFor and log[] are persisted before answering any RPC.
    return ("current_term", "log") if cfg.forget_vote else ("current_term", "voted_for", "log")


def _volatile(cfg: Config) -> tuple[str, ...]:
    return ("role", "commit_index", "votes_granted", "progress") + (
        ("voted_for",) if cfg.forget_vote else ())


net = Network(spec, messages=_messages, nodes=_servers, kind=lambda cfg: cfg.network,
              durable=_durable, volatile=_volatile)
"""Every message travels on a network of the configured kind; any server may crash."""


# -- helpers --------------------------------------------------------------------------------


def _last(log: tuple[Entry, ...]) -> tuple[int, int]:
    """``(last log term, last log index)``, ordered as the up-to-date check compares them."""
    return (log[-1][0], len(log)) if log else (NO_ENTRY, 0)


def _has_quorum(cfg: Config, votes: frozenset[int]) -> bool:
    if cfg.minority_leader:
        return len(votes) >= cfg.servers // 2
    return len(votes) > cfg.servers // 2


_RESPONSES = (RequestVoteResponse, AppendEntriesResponse)
_COPIES = (Copies,)


def _discard_replies(cfg: Config, msgs: frozenset[Any], i: int, term: int) -> frozenset[Any]:
    """``msgs`` without the responses to ``i`` of ``term`` or older: called when ``i``
    enters ``term``, becomes its leader or steps down, after which they change nothing."""
    if cfg.network == "fifo":
        def old(m: Any) -> bool:
            return type(m) in _RESPONSES and m.dst == i and m.term <= term
        return net.discard(cfg, msgs, old) if any(map(old, _messages_in(msgs))) else msgs
    # A bag holds each message as itself, or as Copies of it.
    gone = [x for x in msgs
            if (type(x) in _RESPONSES and x.dst == i and x.term <= term) or (
                type(x) in _COPIES and type(x.msg) in _RESPONSES and x.msg.dst == i
                and x.msg.term <= term)]
    return msgs.difference(gone) if gone else msgs


def _step_down(cfg: Config, s: State, i: int, term: int) -> State:
    """raft.tla's ``UpdateTerm``: ``i`` adopts the newer ``term`` as a follower, no vote."""
    return s.replace(current_term=set_at(s.current_term, i, term),
                     role=set_at(s.role, i, FOLLOWER),
                     voted_for=set_at(s.voted_for, i, None),
                     votes_granted=set_at(s.votes_granted, i, _NO_VOTES),
                     progress=set_at(s.progress, i, _NO_PROGRESS),
                     msgs=_discard_replies(cfg, s.msgs, i, term))


_under_way_cache: list[Any] = [None, False]


def _network_busy(cfg: Config, s: State) -> bool:
    """Whether some message in flight can still be delivered, or a candidate has won."""
    cached = _under_way_cache
    if cached[0] is s:
        return bool(cached[1])
    f = s.faults
    result = any(_has_quorum(cfg, s.votes_granted[c]) for c, r in enumerate(s.role)
                 if r == CANDIDATE and c not in f.down)
    if not result:
        for m in _messages_in(s.msgs):
            if m.dst not in f.down and net.reachable(s, m.src, m.dst):
                result = True
                break
    cached[0], cached[1] = s, result
    return result


def _shift_message(m: Any, d: int) -> Any:
    """Message ``m`` with every term ``d`` lower (a log term below every term the state
    holds becomes ``STALE``: all such terms compare alike with the logs')."""
    tm = type(m)
    if tm is RequestVoteRequest:
        t = m.last_log_term
        return m.replace(term=m.term - d, last_log_term=None if t is None else max(t - d, STALE))
    if tm is AppendEntriesRequest:
        t = m.prev_log_term
        return m.replace(term=m.term - d, prev_log_term=None if t is None else max(t - d, STALE),
                         entries=tuple([(t - d, v) for t, v in m.entries]))
    if tm is Copies:
        return Copies(_shift_message(m.msg, d), m.extra)
    if tm is Behind:
        return Behind(_shift_message(m.first, d), tuple([_shift_message(x, d) for x in m.rest]))
    return m.replace(term=m.term - d)


def _messages_in(net_value: frozenset[Any]) -> Iterable[Any]:
    for x in net_value:
        tx = type(x)
        if tx is Copies:
            yield x.msg
        elif tx is Behind:
            yield from x.rest
        else:
            yield x


def _low(s: State) -> int:
    """The lowest term of a server that is up or may restart: what :func:`_settle` makes
    0, and keeps the history of elections from."""
    terms = s.current_term
    down = s.faults.down
    if down and not s.faults.restart:
        # Crash-stop: a server down for good takes no step and receives nothing, so its
        # term no longer compares with anything and does not hold the others back.
        terms = tuple(t for i, t in enumerate(terms) if i not in down) or terms
    return min(terms)


def _settle(cfg: Config, s: State) -> State:
    """``s`` with terms made relative, and what can no longer matter dropped.

    Raft only compares terms with each other, so lowering every term of a state by the
    same amount gives a state with exactly the same behaviours. Each state is lowered so
    that the lowest term it holds (of a server, a log entry, a committed entry or an
    entry in flight) is 0: a round of elections that ends as it began, one term up,
    returns to the very same state, and the state space is finite without an absolute
    bound on terms. (A server down for good, with no restart left, holds a term that no
    longer compares with anything: it is left out, and kept at ``STALE`` once below the
    others.) A message whose term is below every server's can only be refused,
    telling its sender a term it learns from any other message, and is dropped then (as
    a lost message); so each message in flight has a term of its own and stays apart.
    Elections of a term below every server's are dropped from the history: no one can
    be elected in such a term any more.
    """
    low = _low(s)
    if low <= 0:
        # Nothing to drop or shift. Every term in flight or in the history of elections is
        # >= 0: it was the term of a server that was up when it sent the message or was
        # elected, and an up server's term is >= 0 (only the term of a server down for
        # good, which never comes back, is lowered below the others, to STALE); a shift by
        # d lowers only terms >= low >= d, what is below low being dropped first. So no
        # term in flight or elected is below low <= 0, and d = low <= 0 shifts nothing.
        return s
    # One pass over the messages: those of a term below every server's are dropped; the
    # others' entries bound the shift.
    msgs = s.msgs
    d = low
    stale = False
    m: Any
    if cfg.network == "fifo":
        for m in _messages_in(msgs):
            if m.term < low:
                stale = True
            elif type(m) is AppendEntriesRequest and m.entries and m.entries[0][0] < d:
                d = m.entries[0][0]
        if stale:
            msgs = net.discard(cfg, msgs, lambda m: m.term < low)
    else:  # a bag: each message is held as itself, or as Copies of it
        gone = []
        for x in msgs:
            m = x.msg if type(x) is Copies else x
            if m.term < low:
                gone.append(x)
            elif type(m) is AppendEntriesRequest and m.entries and m.entries[0][0] < d:
                d = m.entries[0][0]
        if gone:
            stale = True
            msgs = msgs.difference(gone)
    elected = s.elected
    if elected:
        kept = [e for e in elected if e[0] >= low]
        if len(kept) < len(elected):
            elected = frozenset(kept)
    if d > 0:
        for log in s.log:
            for t, _ in log:
                if t < d:
                    d = t
        for _, t, _, _ in s.committed:
            if t < d:
                d = t
    if d > 0:
        return s.replace(
            current_term=tuple([max(t - d, STALE) for t in s.current_term]),
            log=tuple([tuple([(t - d, v) for t, v in log]) for log in s.log]),
            msgs=frozenset([_shift_message(m, d) for m in msgs]),
            elected=frozenset([(t - d, i) for t, i in elected]),
            committed=frozenset([(k, t - d, v, max(c - d, STALE))
                                 for k, t, v, c in s.committed]))
    if stale or elected is not s.elected:
        return s.replace(msgs=msgs, elected=elected)
    return s


@spec.init
def init(cfg: Config) -> State:
    """Every server a follower in term 0 with an empty log, no vote; no message sent."""
    n = cfg.servers
    return State((0,) * n, (FOLLOWER,) * n, (None,) * n, ((),) * n, (0,) * n,
                 (_NO_VOTES,) * n, (_NO_PROGRESS,) * n, frozenset(), frozenset(),
                 frozenset(), False, net.initial(cfg))


# -- followers and candidates -------------------------------------------------------------


@cache
def _request_votes(servers: int, i: int, term: int, last_term: int | None,
                   last_index: int) -> tuple[RequestVoteRequest, ...]:
    """The RequestVote messages candidate ``i`` broadcasts when it starts ``term``."""
    return tuple(RequestVoteRequest(term, i, j, last_term, last_index)
                 for j in range(servers) if j != i)


@net.action(node="i", i=_servers)
def timeout(cfg: Config, s: State, i: int) -> State | None:
    """``i``'s election timer fires: next term, candidate, votes for itself, and asks
    every other server for its vote.

    raft.tla splits this into ``Timeout(i)`` and one ``RequestVote(i, j)`` per peer; here
    the requests are broadcast at once (the network still delivers them in any order, or
    never). With randomised timeouts a timer fires only while no election is under way.
    """
    if s.role[i] == LEADER or ((cfg.timeouts == RANDOMISED or s.stable)
                               and _network_busy(cfg, s)):
        return None
    if s.faults.down:
        s = _settle(cfg, s)  # a crash is not followed by _settle: terms may be lower now
    term = s.current_term[i]
    if term >= cfg.max_term:
        return None
    term += 1
    log = s.log[i]
    last_term, last_index = _last(log)
    return _settle(cfg, s.replace(
        current_term=set_at(s.current_term, i, term),
        role=set_at(s.role, i, CANDIDATE),
        voted_for=set_at(s.voted_for, i, i),
        votes_granted=set_at(s.votes_granted, i, frozenset((i,))),
        msgs=net.broadcast(cfg, _discard_replies(cfg, s.msgs, i, term), _request_votes(
            cfg.servers, i, term, None if last_index == 0 else last_term, last_index))))


@net.handler(RequestVoteRequest)
def handle_request_vote_request(cfg: Config, s: State, m: RequestVoteRequest) -> State:
    """``i`` receives ``j``'s RequestVote, decides on its vote and replies.

    The vote is granted in ``i``'s current term to a candidate whose log is at least as
    up to date as ``i``'s (a later last term, or the same and at least as long) if ``i``
    has not voted for another in that term (§3.6.1).
    """
    i, j, term = m.dst, m.src, m.term
    if term > s.current_term[i]:
        s = _step_down(cfg, s, i, term)
    current = s.current_term[i]
    voted = s.voted_for[i]
    last = (NO_ENTRY if m.last_log_term is None else m.last_log_term, m.last_log_index)
    grant = (term == current and last >= _last(s.log[i])
             and (voted is None or voted == j or cfg.vote_twice))
    msgs = s.msgs
    j_term = s.current_term[j]
    # Reply only if the answer can still matter to j: a vote for the election j is
    # running, or a refusal carrying a term newer than j's.
    if current > j_term or (grant and current == j_term and s.role[j] == CANDIDATE):
        msgs = net.reply(cfg, msgs, m, RequestVoteResponse(current, i, j, grant))
    if grant:
        return _settle(cfg, s.replace(voted_for=set_at(s.voted_for, i, j), msgs=msgs))
    return _settle(cfg, s.replace(msgs=msgs))


@net.handler(RequestVoteResponse)
def handle_request_vote_response(cfg: Config, s: State, m: RequestVoteResponse) -> State:
    """``i`` receives ``j``'s answer to its RequestVote; a candidate tallies a granted vote.

    A response of a newer term makes ``i`` a follower in that term; any other response
    that is not a vote for a candidate of its term is dropped (``DropStaleResponse``).
    """
    i, j, term = m.dst, m.src, m.term
    current = s.current_term[i]
    if term > current:
        return _settle(cfg, _step_down(cfg, s, i, term))
    if term == current and m.granted and s.role[i] == CANDIDATE:
        return s.replace(votes_granted=set_at(s.votes_granted, i, s.votes_granted[i] | {j}))
    return s


@net.action(node="i", i=_servers)
def become_leader(cfg: Config, s: State, i: int) -> State | None:
    """Candidate ``i`` has votes from a majority of servers and becomes leader: it will
    send each peer its next entry (``nextIndex`` past its own log, ``matchIndex`` 0)."""
    if s.role[i] != CANDIDATE or not _has_quorum(cfg, s.votes_granted[i]):
        return None
    term = s.current_term[i]
    nxt = len(s.log[i]) + 1
    progress = frozenset((j, nxt, 0, 0) for j in range(cfg.servers) if j != i)
    return s.replace(role=set_at(s.role, i, LEADER),
                     votes_granted=set_at(s.votes_granted, i, _NO_VOTES),
                     progress=set_at(s.progress, i, progress),
                     msgs=_discard_replies(cfg, s.msgs, i, term),
                     elected=s.elected | {(term, i)})


# -- leaders --------------------------------------------------------------------------------


def _values(cfg: Config) -> range:
    return range(cfg.values)


@net.action(node="i", i=_servers, v=_values)
def client_request(cfg: Config, s: State, i: int, v: int) -> State | None:
    """Leader ``i`` receives a client request and appends ``v`` to its log, in its term.

    The leader's own copy counts towards the majority that commits an entry, so the
    commit rule runs here as on a response (it commits nothing unless a single server is a
    majority: a quorum rule off by one shows here, at once)."""
    log = s.log[i]
    if s.role[i] != LEADER or len(log) >= cfg.max_log_len:
        return None
    s = s.replace(log=set_at(s.log, i, (*log, (s.current_term[i], v))))
    return _advance_commit_index(cfg, s, i)


def _link_busy(cfg: Config, s: State, i: int, j: int) -> bool:
    """Whether ``cfg.requests`` AppendEntries from ``i`` to ``j`` (or their responses)
    are in flight already, each copy counted."""
    left = cfg.requests
    for m in _messages_in(s.msgs) if left == 1 else net.in_flight(cfg, s.msgs):
        tm = type(m)
        if (tm is AppendEntriesRequest and m.src == i and m.dst == j) or (
                tm is AppendEntriesResponse and m.src == j and m.dst == i):
            left -= 1
            if not left:
                return True
    return False


def _peer(progress: frozenset[tuple[int, int, int, int]], j: int) -> tuple[int, int, int]:
    """Leader's ``(nextIndex, matchIndex, commit index last sent)`` for peer ``j``."""
    for p, nxt, match, sent in progress:
        if p == j:
            return nxt, match, sent
    raise KeyError(j)


@net.action(node="i", i=_servers, j=_servers)
def append_entries(cfg: Config, s: State, i: int, j: int) -> State | None:
    """Leader ``i`` sends ``j`` the entry at ``nextIndex[j]`` (none if ``j`` has them
    all: a heartbeat) and its commit index, as raft.tla's ``AppendEntries(i, j)``.

    At most ``requests`` requests are outstanding per pair (one by default): ``i`` sends
    again once the last request, and its response, have arrived or been lost. Faults
    (``dup``) still put more in flight.
    """
    if i == j or s.role[i] != LEADER:
        return None
    log = s.log[i]
    progress = s.progress[i]
    nxt, match, sent = _peer(progress, j)
    prev = nxt - 1
    entries = log[prev:prev + 1]
    commit = min(s.commit_index[i], prev + len(entries))
    if (not entries and match == prev and commit == sent) or _link_busy(cfg, s, i, j):
        return None  # nothing j may lack, or a request to j still outstanding
    m = AppendEntriesRequest(s.current_term[i], i, j, prev, log[prev - 1][0] if prev else None,
                             entries, commit)
    progress = frozenset(p for p in progress if p[0] != j) | {(j, nxt, match, commit)}
    return s.replace(progress=set_at(s.progress, i, progress), msgs=net.send(cfg, s.msgs, m))


@net.handler(AppendEntriesRequest)
def handle_append_entries_request(cfg: Config, s: State, m: AppendEntriesRequest) -> State:
    """``i`` receives leader ``j``'s AppendEntries and replies.

    A request of an older term is refused. Otherwise ``i`` follows ``j`` (a candidate of
    that term steps down) and accepts iff its log has the entry of ``prev_log_term`` at
    ``prev_log_index`` (the consistency check); then an existing entry that conflicts
    with the new one is deleted with all that follow it, the new entry appended, and the
    commit index advanced to the leader's, as far as the entries received reach (§3.5).
    raft.tla takes the deletion, the appending and the reply as three steps; here they
    are one, as the thesis's receiver implementation describes them.
    """
    i, j, term = m.dst, m.src, m.term
    if term > s.current_term[i]:
        s = _step_down(cfg, s, i, term)
    current = s.current_term[i]
    if term < current:
        if current > s.current_term[j]:  # only a newer term can change j
            s = s.replace(msgs=net.reply(cfg, s.msgs, m,
                                         AppendEntriesResponse(current, i, j, False, 0)))
        return _settle(cfg, s)
    if s.role[i] == CANDIDATE:
        s = s.replace(role=set_at(s.role, i, FOLLOWER),
                      votes_granted=set_at(s.votes_granted, i, _NO_VOTES))
    log = s.log[i]
    prev = m.prev_log_index
    if prev > len(log) or (prev > 0 and log[prev - 1][0] != m.prev_log_term):
        reply = AppendEntriesResponse(current, i, j, False, 0)
    else:
        if m.entries:
            index = prev + 1
            if len(log) >= index and log[index - 1] != m.entries[0]:
                if not cfg.no_truncate:
                    log = log[:prev] + m.entries
            elif len(log) < index:
                log = log + m.entries
        match = prev + len(m.entries)
        commit = max(s.commit_index[i], min(m.commit_index, match))
        s = s.replace(log=set_at(s.log, i, log), commit_index=set_at(s.commit_index, i, commit))
        reply = AppendEntriesResponse(current, i, j, True, match)
    if s.role[j] == LEADER and s.current_term[j] == current:
        s = s.replace(msgs=net.reply(cfg, s.msgs, m, reply))
    return _settle(cfg, s)


@net.handler(AppendEntriesResponse)
def handle_append_entries_response(cfg: Config, s: State, m: AppendEntriesResponse) -> State:
    """Leader ``i`` learns how far ``j``'s log matches its own and advances its commit
    index to the highest entry of its current term that a majority stores (raft.tla's
    ``AdvanceCommitIndex``, taken with the response that makes it possible)."""
    i, j, term = m.dst, m.src, m.term
    current = s.current_term[i]
    if term > current:
        return _settle(cfg, _step_down(cfg, s, i, term))
    if term < current or s.role[i] != LEADER:
        return s
    progress = s.progress[i]
    nxt, match, sent = _peer(progress, j)
    if m.success:  # an acknowledgement overtaken by a later one moves nothing back
        nxt, match = max(nxt, m.match_index + 1), max(match, m.match_index)
    else:
        nxt = max(nxt - 1, match + 1)  # a refusal of an entry j already holds is stale
    progress = frozenset(p for p in progress if p[0] != j) | {(j, nxt, match, sent)}
    s = s.replace(progress=set_at(s.progress, i, progress))
    return _advance_commit_index(cfg, s, i)


def _advance_commit_index(cfg: Config, s: State, i: int) -> State:
    log = s.log[i]
    commit = s.commit_index[i]
    current = s.current_term[i]
    matches = [match for _, _, match, _ in s.progress[i]]
    for k in range(len(log), commit, -1):
        if log[k - 1][0] != current and not cfg.commit_old_term:
            break  # Figure 3.7: only an entry of the leader's term is committed by counting
        if 1 + sum(1 for x in matches if x >= k) > cfg.servers // 2:
            new = frozenset((n, log[n - 1][0], log[n - 1][1], current)
                            for n in range(commit + 1, k + 1))
            return s.replace(commit_index=set_at(s.commit_index, i, k),
                             committed=s.committed | new)
    return s


# -- timing -------------------------------------------------------------------------------


@spec.action
def stabilise(cfg: Config, s: State) -> State | None:
    """The system stabilises: from now on timers are randomised (``timeouts="stabilising"``).

    Partial synchrony's global stabilisation time: before it, a timer may fire at any
    moment; after it, message delays are bounded and the randomised timers fire one at a
    time, once the messages already sent have arrived. When it comes is unknown, so it
    may come at any step; that it comes is an assumption (this step is weakly fair).
    """
    if cfg.timeouts != STABILISING or s.stable:
        return None
    return s.replace(stable=True)


# -- bounds ---------------------------------------------------------------------------------


@spec.terminal
def term_bound_reached(cfg: Config, s: State) -> bool:
    """No message can be delivered, and every server that is up is a leader or has
    reached the bound on terms.

    Without the bound a follower or candidate would time out again; the model ends here
    instead. A leader with nothing left to send (its log full, every follower up to
    date) would only send heartbeats, which the model leaves out.
    """
    down = s.faults.down
    for m in net.in_flight(cfg, s.msgs):
        if m.dst not in down and net.reachable(s, m.src, m.dst):
            return False
    if down:
        s = _settle(cfg, s)
    return all(i in down or r == LEADER or t >= cfg.max_term
               for i, (r, t) in enumerate(zip(s.role, s.current_term)))


# -- traces ---------------------------------------------------------------------------------


def _up(t: int | None, d: int) -> int | None:
    return t if t is None or t < 0 else t + d


def _lift(value: Any, d: int) -> Any:
    """``value`` (a state, a message or a network encoding of one) with every term ``d``
    higher: the inverse of :func:`_settle`'s shift. ``STALE``, ``NO_ENTRY`` and None stay
    as they are; any other value (a server, a value) is returned unchanged."""
    tv = type(value)
    if d == 0 or tv in (int, str, bool) or value is None:
        return value
    if tv is State:
        return value.replace(
            current_term=tuple(_up(t, d) for t in value.current_term),
            log=tuple(tuple((t + d, v) for t, v in log) for log in value.log),
            msgs=frozenset(_lift(m, d) for m in value.msgs),
            elected=frozenset((t + d, i) for t, i in value.elected),
            committed=frozenset((k, t + d, v, _up(c, d)) for k, t, v, c in value.committed))
    if tv is Copies:
        return Copies(_lift(value.msg, d), value.extra)
    if tv is Behind:
        return Behind(_lift(value.first, d), tuple(_lift(x, d) for x in value.rest))
    if tv is RequestVoteRequest:
        return value.replace(term=value.term + d, last_log_term=_up(value.last_log_term, d))
    if tv is AppendEntriesRequest:
        return value.replace(term=value.term + d, prev_log_term=_up(value.prev_log_term, d),
                             entries=tuple((t + d, v) for t, v in value.entries))
    if tv in (RequestVoteResponse, AppendEntriesResponse):
        return value.replace(term=value.term + d)
    return value


def absolute_terms(cfg: Config, states: Sequence[State]) -> list[Callable[[Any], Any]]:
    """The ``display`` hook: each state of a trace with the terms a reader expects.

    Terms are relative in the model (see the docstring); along a trace they are lifted
    back. A step changes the term of one server at most, and a server's term never
    decreases: so the shift between two consecutive states is the largest drop of a
    server's relative term (0 when none drops), and the absolute terms of the trace's
    first state are its relative ones. A server's term that reads ``STALE`` (one down for
    good) is left out of the comparison.
    """
    shifts = [0]
    for before, after in itertools.pairwise(states):
        drop = max((b - a for b, a in zip(before.current_term, after.current_term)
                    if b != STALE and a != STALE), default=0)
        shifts.append(shifts[-1] + max(drop, 0))
    return [lambda v, d=d: _lift(v, d) for d in shifts]


spec.display = absolute_terms


# -- properties ---------------------------------------------------------------------------


@spec.always
def election_safety(cfg: Config, s: State) -> bool:
    """At most one leader can be elected in a given term (Election Safety, Figure 3.2).

    Checked over the history of elections, so two leaders of one term are caught even
    when the first has stepped down before the second is elected.
    """
    return len({t for t, _ in s.elected}) == len(s.elected)


@spec.always
def elections_recorded(cfg: Config, s: State) -> bool:
    """Every leader is in the history of elections, in its term: what
    ``election_safety`` reads misses no leader (a leader down for good is left out, as
    its term may be, see :func:`_settle`)."""
    down = s.faults.down
    return all((s.current_term[i], i) in s.elected for i, r in enumerate(s.role)
               if r == LEADER and i not in down)


@spec.always
def votes_in_term(cfg: Config, s: State) -> bool:
    """A server's vote goes to a server that has reached the voter's term: a vote is
    granted only to a candidate's request of the voter's current term, terms never go
    back, and a server that moves to a newer term votes anew (a server down for good is
    left out: its term may be dropped, see :func:`_settle`)."""
    down = s.faults.down
    terms = s.current_term
    return all(j is None or j in down or terms[j] >= terms[i]
               for i, j in enumerate(s.voted_for) if i not in down)


@spec.always
def messages_in_term(cfg: Config, s: State) -> bool:
    """Every message in flight comes from a server that has reached the message's term: a
    server sends in its current term, and terms never go back (a server down for good is
    left out, as in :func:`votes_in_term`). A reply in another server's name breaks it."""
    down = s.faults.down
    terms = s.current_term
    return all(m.src in down or terms[m.src] >= m.term for m in net.in_flight(cfg, s.msgs))


@spec.action_property
def leader_append_only(cfg: Config, before: State, after: State) -> bool:
    """A leader only appends to its log (Leader Append-Only, Figure 3.2).

    A leader never overwrites or deletes entries in its log; it only appends new entries.
    A server leader before and after a step is leader of the same term throughout; its
    term tells by how much the step lowered every term (see :func:`_settle`).
    """
    logs0, logs1 = before.log, after.log
    if logs0 is logs1 or LEADER not in before.role:
        return True  # no log changed (a step that changes none keeps the tuple), or no leader
    for i, (r0, r1) in enumerate(zip(before.role, after.role)):
        if r0 == LEADER and r1 == LEADER:
            old, new = logs0[i], logs1[i]
            if old is new:
                continue
            d = before.current_term[i] - after.current_term[i]
            if len(new) < len(old) or any(
                    (t - d, v) != new[k] for k, (t, v) in enumerate(old)):
                return False
    return True


@spec.always
def log_matching(cfg: Config, s: State) -> bool:
    """Logs that agree on an entry agree on all before it (Log Matching, Figure 3.2).

    If two logs contain an entry with the same index and term, the logs are identical in
    all entries up through that index.
    """
    logs = s.log
    for a in range(len(logs)):
        for b in range(a + 1, len(logs)):
            x, y = logs[a], logs[b]
            for k in range(min(len(x), len(y)) - 1, -1, -1):
                if x[k][0] == y[k][0]:
                    if x[:k + 1] != y[:k + 1]:
                        return False
                    break
    return True


@spec.always
def leader_completeness(cfg: Config, s: State) -> bool:
    """Leaders of later terms hold every committed entry (Leader Completeness, Fig. 3.2).

    If a log entry is committed in a given term, that entry will be present in the logs
    of the leaders for all higher-numbered terms.
    Read over the history of commits: every leader that is up and whose term is newer
    than the term an entry was committed in holds that entry.
    """
    down = s.faults.down
    for i, r in enumerate(s.role):
        if r != LEADER or i in down:
            continue
        term, log = s.current_term[i], s.log[i]
        for k, t, v, c in s.committed:
            if term > c and (len(log) < k or log[k - 1] != (t, v)):
                return False
    return True


@spec.always
def state_machine_safety(cfg: Config, s: State) -> bool:
    """No two servers apply different entries at one index (State Machine Safety, Fig. 3.2).

    If a server has applied a log entry at a given index to its state machine, no other
    server will ever apply a different log entry for the same index.
    A server applies the entries up to its commit index; the history of commits holds
    what leaders committed. No index may have two committed entries, and every server's
    applied entries must be the committed ones.
    """
    at: dict[int, tuple[int, int]] = {}
    for k, t, v, _ in s.committed:
        if k < 1 or at.setdefault(k, (t, v)) != (t, v):
            return False  # log indices start at 1
    for log, commit in zip(s.log, s.commit_index):
        for k in range(commit):
            if at.get(k + 1) != log[k]:
                return False
    return True


@spec.always
def tallies_from_voters(cfg: Config, s: State) -> bool:
    """Only a candidate tallies votes, its own among them, and every server it counts has
    reached its term (a vote is granted only in the candidate's term, and terms never go
    back): a tally never carries votes of an earlier election."""
    down = s.faults.down
    terms = s.current_term
    for i, votes in enumerate(s.votes_granted):
        if not votes or i in down:
            continue
        if s.role[i] != CANDIDATE or i not in votes or any(
                terms[j] < terms[i] for j in votes if j not in down):
            return False
    return True


@spec.always
def candidates_hold_no_entry_of_their_term(cfg: Config, s: State) -> bool:
    """A candidate's log holds no entry of its own term: entries of a term come only from
    that term's leader, and a candidate that hears from it steps down."""
    down = s.faults.down
    return all(r != CANDIDATE or i in down or all(t != s.current_term[i] for t, _ in s.log[i])
               for i, r in enumerate(s.role))


@spec.always
def entries_from_leaders(cfg: Config, s: State) -> bool:
    """Every log entry was created by the leader of its term: some server was elected in
    that term, and while that leader is still in the term its log holds the entry at the
    same index (a leader only appends; its log is durable). Entries of terms older than
    every server's are left out, as the history of elections forgets those terms."""
    low = _low(s)
    leaders = dict(s.elected)
    for log in s.log:
        for k, (t, v) in enumerate(log):
            if t < low:
                continue
            x = leaders.get(t)
            if x is None:
                return False
            own = s.log[x]
            if s.current_term[x] == t and (len(own) <= k or own[k] != (t, v)):
                return False
    return True


@spec.always
def leader_progress_accurate(cfg: Config, s: State) -> bool:
    """A leader's view of each follower is sound: ``0 <= matchIndex < nextIndex <=`` its
    log's length + 1, the commit index it last sent is at most its own, and a follower
    still in the leader's term holds the leader's entries up to ``matchIndex`` (what the
    commit rule counts on)."""
    down = s.faults.down
    for i, progress in enumerate(s.progress):
        if not progress or i in down:
            continue
        if s.role[i] != LEADER:
            return False
        log, term, commit = s.log[i], s.current_term[i], s.commit_index[i]
        for j, nxt, match, sent in progress:
            if not (0 <= match < nxt <= len(log) + 1 and 0 <= sent <= commit):
                return False
            if s.current_term[j] == term and s.log[j][:match] != log[:match]:
                return False
    return True


@spec.always
def append_entries_from_leaders(cfg: Config, s: State) -> bool:
    """Every AppendEntries request in flight comes from the leader of its term, to another
    server, and agrees with that leader's log while it is still in the term (the previous
    entry's term, the entries sent, a commit index a leader has reached); every successful
    response goes to the leader of its term, and its sender, while still in that term,
    holds the leader's entries up to the index it acknowledges."""
    elected = s.elected
    terms = s.current_term
    top = max((k for k, _, _, _ in s.committed), default=0)
    for m in net.in_flight(cfg, s.msgs):
        tm = type(m)
        if tm is AppendEntriesRequest:
            i = m.src
            if m.dst == i or (m.term, i) not in elected:
                return False
            if terms[i] == m.term:
                log, prev = s.log[i], m.prev_log_index
                if (len(log) < prev + len(m.entries)
                        or m.prev_log_term != (log[prev - 1][0] if prev else None)
                        or log[prev:prev + len(m.entries)] != m.entries
                        or m.commit_index > top):
                    return False
        elif tm is AppendEntriesResponse and m.success:
            i, j, k = m.dst, m.src, m.match_index
            if i == j or (m.term, i) not in elected:
                return False
            if terms[j] == m.term and terms[i] == m.term and s.log[j][:k] != s.log[i][:k]:
                return False
    return True


@spec.action_property
def leaders_keep_office(cfg: Config, before: State, after: State) -> bool:
    """A leader stays leader until it learns of a newer term (or crashes): it has no
    election timer, and nothing else makes it step down (§3.3)."""
    roles0, roles1 = before.role, after.role
    if roles0 is roles1 or LEADER not in roles0:
        return True  # no role changed, or no leader
    drop: int | None = None
    for i, (r0, r1) in enumerate(zip(roles0, roles1)):
        if r0 == LEADER and r1 != LEADER:
            if i in before.faults.down or i in after.faults.down:
                continue
            if drop is None:  # by how much the step lowered every term (see _settle)
                drop = max((b - a for b, a in zip(before.current_term, after.current_term)
                            if b != STALE and a != STALE), default=0)
            if after.current_term[i] + drop <= before.current_term[i]:
                return False
    return True


@spec.always_eventually
def leader_log_replicated(cfg: Config, s: State) -> bool:
    """Replication completes: again and again, every server that is up holds the log of
    the newest leader (as a prefix of its own: a follower keeps entries past the leader's
    until the leader's next entry overwrites them), unless no server that is up leads or
    a partition cuts the network (``[]<>``, under the fairness below). A leader that stays
    in office brings every follower up to its log however far back they diverge; one that
    could not (a refusal that never moves ``nextIndex`` back) keeps a follower behind
    forever."""
    down = s.faults.down
    if s.faults.sides:
        return True
    newest = max(((t, i) for i, (r, t) in enumerate(zip(s.role, s.current_term))
                  if r == LEADER and i not in down), default=None)
    if newest is None:
        return True
    log = s.log[newest[1]]
    n = len(log)
    return all(i in down or s.log[i][:n] == log for i in range(cfg.servers))


@spec.sometimes
def leader_elected(cfg: Config, s: State) -> bool:
    """An election can succeed: some server is leader."""
    return LEADER in s.role


@spec.sometimes
def split_vote(cfg: Config, s: State) -> bool:
    """Elections can overlap: two servers are candidates in the same term at once, which
    only timers firing during an election allow. Met at once with
    ``timeouts="randomised"``, where one election runs at a time by design."""
    if cfg.timeouts == RANDOMISED:
        return True
    terms = [t for t, r in zip(s.current_term, s.role) if r == CANDIDATE]
    return len(terms) != len(set(terms))


@spec.sometimes
def entry_committed(cfg: Config, s: State) -> bool:
    """Replication can succeed: every server has applied an entry, told by the leader that
    committed it, whose term every server is in (no later leader passed the commit on); an
    entry of that leader's own term, the only kind a leader commits by counting replicas.

    Vacuous when the model has no log entries (``max_log_len`` 0 models elections alone).
    """
    if cfg.max_log_len == 0:
        return True
    if not all(c > 0 for c in s.commit_index):
        return False
    terms = s.current_term
    return any(r == LEADER and all(t == terms[i] for t in terms)
               and any(t == c == terms[i] for _, t, _, c in s.committed)
               for i, r in enumerate(s.role))


@spec.sometimes
def committed_by_a_majority(cfg: Config, s: State) -> bool:
    """A leader commits an entry of its term as soon as a majority stores it (Figure 3.2's
    rule for ``commitIndex``): some committed entry is held by a bare majority of the
    servers only, the others not having received it yet.

    Vacuous when the model has no log entries (``max_log_len`` 0 models elections alone).
    """
    if cfg.max_log_len == 0:
        return True
    majority = cfg.servers // 2 + 1
    return any(t == c and sum(1 for log in s.log if len(log) >= k and log[k - 1] == (t, v))
               == majority for k, t, v, c in s.committed)


@spec.eventually
def eventually_leader(cfg: Config, s: State) -> bool:
    """A leader is eventually elected (some server is leader)."""
    return LEADER in s.role


spec.fair("deliver", "weak", actions=("deliver",), per_instance=True,
          doc="Every message in flight is eventually delivered (or lost to a fault).")
spec.fair("timeout", "weak", actions=("timeout",), per_instance=True,
          doc="A follower or candidate whose timer can fire eventually times out.")
spec.fair("replicate", "weak", actions=("append_entries",), per_instance=True,
          doc="A leader that can send a follower a request eventually sends it.")
spec.fair("elect", "weak", actions=("become_leader",), per_instance=True,
          doc="A candidate with a majority eventually becomes leader.")
spec.fair("stabilise", "weak", actions=("stabilise",),
          doc="With timeouts=stabilising, the system eventually stabilises.")
spec.fair("restart", "weak", actions=("restart",), per_instance=True,
          doc="With --faults restart, a crashed server eventually restarts (crash-recovery).")


spec.variant(
    "commit-old-term", params={"commit_old_term": True, "max_term": 3,
                               "timeouts": RANDOMISED},
    violates="leader_completeness",
    doc="A leader commits an entry of an earlier term once a majority stores it (the "
        "thesis's Figure 3.7): a later leader lacks the committed entry. Enablers: the "
        "scenario needs three elections past the first (max_term 3), affordable with "
        "randomised timeouts.")

spec.variant(
    "no-truncate", params={"no_truncate": True},
    violates="append_entries_from_leaders",
    doc="A follower keeps an existing entry that conflicts with the leader's new one and "
        "acknowledges it: its acknowledgement claims the leader's log, and it goes on to "
        "apply an entry the leader never committed.")

spec.variant(
    "split-votes", params={"timeouts": NONDETERMINISTIC, "servers": 2, "max_log_len": 0},
    violates="eventually_leader",
    doc="Election timers fire at any time and the system never stabilises: candidates "
        "can split the vote round after round, forever. Enablers: 2 servers and no log "
        "entries keep the lasso short.")

spec.variant(
    "vote-twice", params={"vote_twice": True},
    violates="election_safety",
    doc="A server grants its vote in a term even if it already voted for another "
        "candidate in that term.")

spec.variant(
    "minority-leader", params={"minority_leader": True},
    violates="election_safety",
    doc="A candidate becomes leader with servers // 2 votes (>= instead of >): with 3 "
        "servers, its own vote suffices.")

spec.variant(
    "forget-vote", params={"forget_vote": True, "faults": "crash=1,restart=1"},
    violates="election_safety",
    doc="votedFor is not persisted: a server that crashes and restarts votes again in the "
        "same term. Enabler: a crash and a restart (--faults crash=1,restart=1).")


# -- mutants that cannot matter (``modelcheck mutate raft``) -------------------------------

spec.accept_mutant(
    "stabilise:drop-guard:1",
    """Once the system has stabilised, ``stabilise`` sets ``stable`` to what it already is: a
    step that changes nothing (a stutter), which no property can see.""")
spec.accept_mutant(
    "stabilise:and-or:1",
    """With the default timing the guard never holds, so ``stabilise`` also runs once the
    system is stable: a step that changes nothing (a stutter), which no property can see.""")
spec.accept_mutant(
    "init:off-by-one:2",
    """Every server starts in term -1 rather than 0: terms are relative (see
    :func:`_settle`), so this is the same protocol with one more term of room before the
    first shift, a larger state space that does not end within the time limit.""")
_IGNORED_REPLY = """A reply the model leaves out because it can change nothing is sent: a
    refusal of the candidate's own term, or an answer to a server that is no longer a
    candidate of that term, both of which ``handle_request_vote_response`` ignores (only
    more messages in flight, and more states)."""
spec.accept_mutant("handle_request_vote_request:drop-conjunct:4", _IGNORED_REPLY)
spec.accept_mutant("handle_request_vote_request:drop-conjunct:5", _IGNORED_REPLY)
spec.accept_mutant("handle_request_vote_request:drop-conjunct:6", _IGNORED_REPLY)
spec.accept_mutant("handle_request_vote_request:and-or:4", _IGNORED_REPLY)
spec.accept_mutant("handle_request_vote_request:flip-comparison:5", _IGNORED_REPLY)
spec.accept_mutant(
    "handle_request_vote_request:drop-update:3",
    """A refused vote is not answered. A refusal only tells the candidate a newer term,
    which it learns from any later message or by timing out; no safety property reads
    it, and elections still succeed.""")
spec.accept_mutant(
    "become_leader:drop-update:1",
    """The new leader's pending vote responses stay in flight instead of being dropped:
    a response of its term or older is ignored by a leader, so they change nothing.""")
spec.accept_mutant(
    "append_entries:drop-update:1",
    """A leader does not record the commit index it sent, so it sends the same heartbeat
    again whenever the link is free: Raft's leaders do send heartbeats periodically (the
    model leaves the repeats out); no follower learns anything new from them.""")
spec.accept_mutant(
    "append_entries:and-or:2",
    """A leader sends whenever the follower may lack something, however many requests are
    outstanding: raft.tla's leader may too, but the model bounds the requests in flight
    per follower (``requests``, see *What the default bounds cannot show*), and without a
    bound the bag of re-sent requests grows without end, so the search cannot finish.
    With two outstanding (``--param requests=2``) re-sent and overtaking requests are
    checked.""")
spec.accept_mutant(
    "_has_quorum:off-by-one:5",
    """A candidate needs the votes of every server rather than a majority (``modelcheck
    mutate --helpers``): elections still cannot elect two leaders of one term, and with no
    fault at the default bounds every server can vote, so a leader is still elected. What
    it costs is availability: with a server down no one is elected, which a fault budget
    makes possible but not necessary.""")
_STALE_REFUSAL = """The refusal of a request of an older term, which only tells its sender (a
    leader of that older term) that a newer term exists: not sent, sent with a term it
    ignores, or from another server (a refusal of a newer term makes its receiver step down
    whoever sent it). The stale leader learns the newer term from any later message or
    stays a leader of a term nobody else is in, which no safety property can see, and
    ``eventually_leader`` holds either way."""
spec.accept_mutant("handle_append_entries_request:skip-send:1", _STALE_REFUSAL)
spec.accept_mutant("handle_append_entries_request:field-constant:1", _STALE_REFUSAL)
spec.accept_mutant(
    "handle_append_entries_request:flip-comparison:3",
    """The refusal of a request of an older term is also sent to a server already in the
    refuser's term, as raft.tla sends it: if that server leads the term it takes the
    refusal as its own follower's and moves ``nextIndex`` back by one (never below
    ``matchIndex + 1``), then re-sends: more messages, no other change.""")
_REFUSAL_INDEX = """A refusal's match index, which its receiver never reads (only an
    acknowledgement's is): the same behaviour with another number in the message."""
spec.accept_mutant("handle_append_entries_request:off-by-one:1", _REFUSAL_INDEX)
spec.accept_mutant("handle_append_entries_request:off-by-one:2", _REFUSAL_INDEX)
_VALUE_FOR_TERM = """The consistency check at a non-empty prefix reads the entry's value where
    its term belongs (``[1]``, and ``[-1]``, the same field). With ``max_term`` 1 the check
    never meets a conflicting entry: a state holds two terms, and the leader of the newer
    one either holds the older entry (so a follower's entry of the newer term would be its
    own) or was elected with an empty log (so it sends its entry after ``prev_log_index``
    0, which the check does not read). The misread then only refuses a follower that
    matches, while its entry's term (relative, see :func:`_settle`) is not the value 0;
    once no older term is held it is, and the check passes. Three terms show it: with
    ``--param max_term=2 --param timeouts=randomised`` (31,795 states, one election at a
    time) both fail ``append_entries_from_leaders`` in 18 steps; with the default timing,
    three terms do not finish in minutes."""
spec.accept_mutant("handle_append_entries_request:off-by-one:8", _VALUE_FOR_TERM)
spec.accept_mutant("handle_append_entries_request:off-by-one:9", _VALUE_FOR_TERM)
_COMMIT_VALUE_FOR_TERM = """The commit rule reads the entry's value where its term belongs
    (``modelcheck mutate --helpers``; ``[1]``, and ``[-1]``, the same field). With one client
    value (0) the misread value equals the leader's term exactly when the leader is in the
    lowest term held (terms are relative, see :func:`_settle`), and then every entry of its
    log is of its term, so it commits as the original does; in a higher term it commits
    nothing. A leader that commits later, or never, breaks no safety property, and the
    goals are still met in the lowest term."""
spec.accept_mutant("_advance_commit_index:off-by-one:6", _COMMIT_VALUE_FOR_TERM)
spec.accept_mutant("_advance_commit_index:off-by-one:7", _COMMIT_VALUE_FOR_TERM)
spec.accept_mutant(
    "_advance_commit_index:drop-conjunct:2",
    """The rule skips entries of earlier terms whatever ``commit_old_term`` says
    (``modelcheck mutate --helpers``): at the default configuration, where the flag is
    False, it is the original rule; the flawed variant ``commit-old-term``, whose expected
    violation needs the flag, is what checks it.""")
spec.accept_mutant(
    "_step_down:drop-update:1",
    """A server that steps down keeps the replies in flight to it that the model discards
    (``modelcheck mutate --helpers``): replies of its term or older, which a follower
    ignores (delivering one only removes it); more messages in flight and more states, a
    search that does not end within the time limit.""")
