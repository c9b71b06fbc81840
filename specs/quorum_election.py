"""Quorum election: leaders elected by majority votes, one vote per server per term.

Source: the election rule shared by Paxos's phase 1 and Raft's RequestVote (Ongaro and
Ousterhout, "In Search of an Understandable Consensus Algorithm", §5.2), with messages
abstracted away: a vote is cast atomically. In each of ``terms`` terms every server may
vote once, for any server; a candidate that holds the votes of a quorum (a majority) in a
term becomes leader of that term. With the defaults (3 servers, 2 terms) the search finds
8,836 distinct and 37,789 generated states (depth 9).

**Properties.** ``election_safety``: at most one leader per term. It holds because two
majorities of the same servers intersect and each server votes once per term.
``quorum_elects`` (always possible): a candidate holding the votes of a majority can
still become leader, so a rule that asks for more than a majority (which a failed minority
would then block) fails it. The spec
ships a symbolic encoding (``symbolic``) for ``modelcheck prove induction``:
``election_safety`` alone is not inductive (a state in which some server has voted for two
candidates satisfies it, and the second candidate's election breaks it), but with
``one_vote_per_term`` and ``leaders_hold_quorum`` it is.

**Variant ``minority-quorum``.** The quorum is ``servers // 2`` votes instead of
``servers // 2 + 1``: with 3 servers a candidate's own vote is enough. The shortest
counterexample (4 steps): servers 0 and 1 each vote for themselves in term 0 and both
become its leader. Quorums of one vote do not intersect, and the inductive proof fails
the same way (``leaders_hold_quorum`` no longer implies a shared voter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import z3

from modelcheck import Between, Record, Spec, set_at
from modelcheck.prove.induction import BOOL, Sort, SymbolicSpec, SymState, Update


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    servers: Annotated[int, Between(1, 12)] = 3
    """Number of servers; each votes and may be a candidate. At most 12: servers are not
    interchangeable, and each term's votes alone take ``(servers + 1) ** servers`` values."""
    terms: Annotated[int, Between(1)] = 2
    """Number of terms, ``0 .. terms - 1``; the votes of each term are independent."""
    minority_quorum: bool = False
    """Flaw: a quorum is ``servers // 2`` votes, not a majority."""


def quorum(cfg: Config) -> int:
    """Votes a candidate needs: a majority, or one fewer with the flaw."""
    return cfg.servers // 2 + (0 if cfg.minority_quorum else 1)


class State(Record):
    """``votes[t][v]``: whom server ``v`` voted for in term ``t`` (None: not yet);
    ``leaders[t]``: the servers elected leader in term ``t``."""

    votes: tuple[tuple[int | None, ...], ...]
    leaders: tuple[frozenset[int], ...]


spec = Spec("quorum-election", Config, State)


def _servers(cfg: Config) -> range:
    return range(cfg.servers)


def _terms(cfg: Config) -> range:
    return range(cfg.terms)


@spec.init
def init(cfg: Config) -> State:
    """No votes cast and no leader, in every term."""
    return State(((None,) * cfg.servers,) * cfg.terms, (frozenset(),) * cfg.terms)


@spec.action(term=_terms, voter=_servers, candidate=_servers)
def vote(cfg: Config, s: State, term: int, voter: int, candidate: int) -> State | None:
    """``voter`` votes for ``candidate`` in ``term``, if it has not voted in that term."""
    if s.votes[term][voter] is not None:
        return None
    return s.replace(votes=set_at(s.votes, term, set_at(s.votes[term], voter, candidate)))


@spec.action(term=_terms, candidate=_servers)
def become_leader(cfg: Config, s: State, term: int, candidate: int) -> State | None:
    """``candidate`` holds a quorum of votes in ``term`` and becomes its leader."""
    if candidate in s.leaders[term] or s.votes[term].count(candidate) < quorum(cfg):
        return None
    return s.replace(leaders=set_at(s.leaders, term, s.leaders[term] | {candidate}))


@spec.terminal
def all_voted(cfg: Config, s: State) -> bool:
    """Every server has voted in every term: a split vote may leave a term leaderless."""
    return all(v is not None for votes in s.votes for v in votes)


@spec.always
def election_safety(cfg: Config, s: State) -> bool:
    """At most one leader per term."""
    return all(len(leaders) <= 1 for leaders in s.leaders)


@spec.always_possible
def quorum_elects(cfg: Config, s: State) -> bool:
    """A candidate holding the votes of a majority can still become leader: from every
    state, a state is reachable where every candidate holding a majority's votes in a term
    is its leader. So an election never needs a server outside some majority: a minority
    may have failed. The majority is counted here, not read from ``quorum``, so that a
    rule asking for more votes fails it."""
    majority = cfg.servers // 2 + 1
    return all(c in s.leaders[t] for t in _terms(cfg) for c in _servers(cfg)
               if s.votes[t].count(c) >= majority)


@spec.sometimes
def leader_elected(cfg: Config, s: State) -> bool:
    """An election can succeed."""
    return any(s.leaders)


spec.variant(
    "minority-quorum", params={"minority_quorum": True}, violates="election_safety",
    doc="A quorum is servers // 2 votes: two candidates are elected in the same term.")


# -- symbolic encoding (modelcheck prove induction quorum-election) --------------------------


def variables(cfg: Config) -> dict[str, Sort]:
    """``votes[t][v][c]``: server ``v`` voted for ``c`` in term ``t``; ``leader[t][c]``."""
    sorts: dict[str, Sort] = {}
    for t in _terms(cfg):
        sorts.update({f"votes[{t}][{v}][{c}]": BOOL for v in _servers(cfg)
                      for c in _servers(cfg)})
        sorts.update({f"leader[{t}][{c}]": BOOL for c in _servers(cfg)})
    return sorts


symbolic = SymbolicSpec("quorum-election", variables,
                         models=("servers", "terms", "minority_quorum"))


def _votes_for(cfg: Config, s: SymState, term: int, candidate: int) -> Any:
    return z3.Sum([z3.If(s["votes", term, v, candidate], 1, 0) for v in _servers(cfg)])


@symbolic.init
def sym_init(cfg: Config, s: SymState) -> Any:
    """No votes and no leaders."""
    return z3.And([z3.Not(x) for x in s.terms.values()])


@symbolic.action(name="vote", term=_terms, voter=_servers, candidate=_servers)
def sym_vote(cfg: Config, s: SymState, term: int, voter: int, candidate: int) -> Update:
    """``vote``: a server that has not voted in the term votes."""
    return Update(z3.Not(z3.Or([s["votes", term, voter, c] for c in _servers(cfg)])),
                  {("votes", term, voter, candidate): True})


@symbolic.action(name="become_leader", term=_terms, candidate=_servers)
def sym_become_leader(cfg: Config, s: SymState, term: int, candidate: int) -> Update:
    """``become_leader``: a candidate with a quorum of votes becomes leader."""
    return Update(z3.And(z3.Not(s["leader", term, candidate]),
                         _votes_for(cfg, s, term, candidate) >= quorum(cfg)),
                  {("leader", term, candidate): True})


@symbolic.invariant(name="election_safety")
def sym_election_safety(cfg: Config, s: SymState) -> Any:
    """``election_safety``: no two leaders in a term."""
    return z3.And([z3.Not(z3.And(s["leader", t, a], s["leader", t, b]))
                   for t in _terms(cfg) for a in _servers(cfg) for b in _servers(cfg) if a < b])


@symbolic.strengthening
def one_vote_per_term(cfg: Config, s: SymState) -> Any:
    """No server has voted for two candidates in a term."""
    return z3.And([z3.Not(z3.And(s["votes", t, v, a], s["votes", t, v, b]))
                   for t in _terms(cfg) for v in _servers(cfg)
                   for a in _servers(cfg) for b in _servers(cfg) if a < b])


@symbolic.strengthening
def leaders_hold_quorum(cfg: Config, s: SymState) -> Any:
    """A leader holds a quorum of votes of its term (votes are never withdrawn)."""
    return z3.And([z3.Implies(s["leader", t, c], _votes_for(cfg, s, t, c) >= quorum(cfg))
                   for t in _terms(cfg) for c in _servers(cfg)])


def valuation(cfg: Config, s: State) -> dict[str, bool]:
    """The symbolic encoding's variables in an explicit state, to compare the two."""
    out: dict[str, bool] = {}
    for t in _terms(cfg):
        for v in _servers(cfg):
            out.update({f"votes[{t}][{v}][{c}]": s.votes[t][v] == c for c in _servers(cfg)})
        out.update({f"leader[{t}][{c}]": c in s.leaders[t] for c in _servers(cfg)})
    return out
