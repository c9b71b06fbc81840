"""Split brain: primary/backup failover on a heartbeat timeout, with and without a quorum.

Source: the failover and fencing discussions of Martin Kleppmann, "Designing
Data-Intensive Applications" (2017), §8.4 ("The leader and the lock", fencing tokens), and
of Alsberg and Day's primary/backup scheme ("A Principle for Resilient Sharing of
Distributed Resources", ICSE 1976), with Raft's majority rule for taking over. Node 0
starts as the primary of epoch 1; the others are backups that replicate its writes. A
backup that hears no heartbeat — no primary it can reach — times out and takes over in a
newer epoch. Correctly (the default) it needs the votes of a majority of the nodes, each
of which has seen no newer epoch and records the new one as its fencing token; and a
primary accepts a client's write only once a majority of replicas, whose tokens are no
newer than its epoch, have stored it and recorded its epoch. Naively (variant ``naive``)
a backup takes over on its own and a primary accepts writes on its own. The failure
detector is the network's: a backup hears heartbeats from a primary that is up and on
its side of a partition, so a partition (``--faults partition=1``, one of the default
faults with ``crash=1``) makes a live primary look dead. The vote and the replication are
one atomic step each, over the nodes reachable from the node that runs them: no message is
in flight, and the network brings the faults (a crashed node neither votes nor stores).
``max_epoch`` bounds the take-overs. With the defaults (3 nodes, ``max_epoch`` 3,
``--faults crash=1,partition=1``) the search finds 154 distinct and 341 generated states
(depth 8). Nodes are not a symmetric set: node 0 starts as the primary.

**Properties.** ``no_split_brain`` (an action property): once a primary has accepted a
write, no other primary of the same or an older epoch accepts one; writes come from one
primary at a time, in epoch order. Split brain — two nodes that both act as primary and
both accept writes — breaks it, and with it the data: each side's writes are lost to
the other. With majority votes at most one primary is elected per epoch (majorities
intersect, and a node votes for one epoch only once), and the fencing tokens stop a
deposed primary: its write needs a majority whose tokens are no newer than its epoch,
and every majority includes a node that has voted for the newer one.
``tokens_track_epochs`` (an invariant): a node's fencing token is at least the epoch it
took part in and at most the newest epoch any node took part in — a node that votes or
steps down records the epoch, and no token names an epoch nobody started.
``writes_can_resume`` (always possible): from every state, writes can go on in the newest
epoch, unless the faults leave no majority of live nodes that reach each other or every
epoch is used; a deposed primary that never steps down (so that the backups it reaches
keep hearing its heartbeats and never take over), or a primary that needs more than a
majority to write, breaks it. ``live_primary_deposed`` (sometimes): a backup takes over
while the primary it replaces is up and still acts as primary, so the search reaches the
case the fencing is there for; a failure detector that partitions do not fool (a node that
hears the heartbeats, or counts the votes, of nodes on the other side) never reaches it.

**Variant ``naive``** (no quorum, no fencing). The shortest counterexample (4 steps): the
network splits {0} from {1, 2}; node 1 hears no heartbeat, takes over alone as primary of
epoch 2 and accepts a write; node 0, primary of epoch 1, cut off but alive, accepts one
too: two primaries accepting writes. **Variant ``no-fencing``** (majority votes, but a
primary writes without a majority of replicas checking its token) fails in the same 4
steps: the votes of nodes 1 and 2 elect node 1 properly, and nothing stops node 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network

CRASH_AND_PARTITION = Faults("crash=1,partition=1")
"""A node may crash once and the network may split once: the default fault budget."""


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    nodes: Annotated[int, Between(2, 16)] = 3
    """Number of nodes; node 0 starts as primary. At least 2, for a backup to take over;
    at most 16, as nodes are not interchangeable and the states grow with each one (154
    with 3 nodes, 339 with 4, 1,864 with 5)."""
    max_epoch: Annotated[int, Between(1)] = 3
    """The newest epoch a backup may take over in."""
    quorum: bool = True
    """A backup takes over only with the votes of a majority."""
    fencing: bool = True
    """A write needs a majority of replicas whose fencing tokens are no newer than the
    primary's epoch."""
    faults: Faults = CRASH_AND_PARTITION
    """Fault budgets (see modelcheck.network)."""


PRIMARY = "primary"
BACKUP = "backup"


class NodeFaults(FaultState, node=int):
    """Fault budgets left, the nodes that are down, the partition in force."""


class State(Record):
    """Each node's role, epoch and fencing token, and the last write accepted."""

    role: tuple[str, ...]
    epoch: tuple[int, ...]
    """The epoch the node last took part in (as primary, or by its vote)."""
    token: tuple[int, ...]
    """The newest epoch the node has seen: it stores no write of an older one."""
    last_write: tuple[int, int] | None
    """``(epoch, primary)`` of the last write a primary accepted (a history variable)."""
    msgs: Net[Record]
    """Always empty: votes and replication are atomic steps (see the module's docstring)."""
    faults: NodeFaults


spec = Spec("split-brain", Config, State)


def _nodes(cfg: Config) -> range:
    return range(cfg.nodes)


net = Network(spec, messages=lambda cfg: (), nodes=_nodes, kind="bag")
"""No message is in flight; the network brings crashes and partitions."""


def _majority(cfg: Config) -> int:
    return cfg.nodes // 2 + 1


def _reachable(cfg: Config, s: State, i: int) -> list[int]:
    """The nodes that are up and on ``i``'s side of any partition (``i`` among them)."""
    return [j for j in _nodes(cfg) if net.up(s, j) and net.reachable(s, i, j)]


@spec.init
def init(cfg: Config) -> State:
    """Node 0 is primary of epoch 1, every node has seen epoch 1, nothing written."""
    n = cfg.nodes
    return State((PRIMARY,) + (BACKUP,) * (n - 1), (1,) * n, (1,) * n, None, frozenset(),
                 net.initial(cfg))


@net.action(node="i", i=_nodes)
def heartbeat_timeout(cfg: Config, s: State, i: int) -> State | None:
    """Backup ``i`` hears no heartbeat from any primary and takes over in a new epoch:
    with the votes of a majority that has seen no newer epoch, or (naive) alone."""
    if s.role[i] != BACKUP:
        return None
    peers = _reachable(cfg, s, i)
    if any(s.role[j] == PRIMARY for j in peers):
        return None  # a primary's heartbeats reach i
    if not cfg.quorum:
        e = s.token[i] + 1
        if e > cfg.max_epoch:
            return None
        return s.replace(role=set_at(s.role, i, PRIMARY), epoch=set_at(s.epoch, i, e),
                         token=set_at(s.token, i, e))
    e = max(s.token[j] for j in peers) + 1
    if e > cfg.max_epoch or len(peers) < _majority(cfg):
        return None
    epoch, token = s.epoch, s.token
    for j in peers:  # every voter records the new epoch as its fencing token
        epoch, token = set_at(epoch, j, e), set_at(token, j, e)
    return s.replace(role=set_at(s.role, i, PRIMARY), epoch=epoch, token=token)


@net.action(node="i", i=_nodes)
def client_write(cfg: Config, s: State, i: int) -> State | None:
    """Primary ``i`` accepts a client's write: once a majority of replicas with tokens no
    newer than its epoch store it, or (without fencing) on its own."""
    if s.role[i] != PRIMARY:
        return None
    e = s.epoch[i]
    if cfg.fencing:
        replicas = [j for j in _reachable(cfg, s, i) if s.token[j] <= e]
        if len(replicas) < _majority(cfg):
            return None
        token = s.token
        for j in replicas:
            token = set_at(token, j, e)
        return s.replace(token=token, last_write=(e, i))
    return s.replace(last_write=(e, i))


@net.action(node="i", i=_nodes)
def step_down(cfg: Config, s: State, i: int) -> State | None:
    """Primary ``i`` learns of a newer epoch from a node it can reach and becomes a
    backup."""
    if s.role[i] != PRIMARY:
        return None
    newest = max(s.token[j] for j in _reachable(cfg, s, i))
    if newest <= s.epoch[i]:
        return None
    return s.replace(role=set_at(s.role, i, BACKUP), epoch=set_at(s.epoch, i, newest),
                     token=set_at(s.token, i, newest))


@spec.terminal
def may_stop(cfg: Config, s: State) -> bool:
    """Any state may be the last: clients need not write, nodes need not time out."""
    return True


# -- properties ---------------------------------------------------------------------------


@spec.action_property
def no_split_brain(cfg: Config, before: State, after: State) -> bool:
    """A write follows the last one only from the same primary or a newer epoch."""
    old, new = before.last_write, after.last_write
    return old is None or new == old or (new is not None and new[0] > old[0])


@spec.always
def tokens_track_epochs(cfg: Config, s: State) -> bool:
    """One role, epoch and token per node; each node's fencing token is at least the epoch
    it took part in, and at most the newest epoch any node took part in: a node has seen
    its own epoch, and no node has seen an epoch nobody started."""
    n = cfg.nodes
    if not len(s.role) == len(s.epoch) == len(s.token) == n:
        return False
    newest = max(s.epoch)
    return all(s.role[j] in (PRIMARY, BACKUP) and s.epoch[j] <= s.token[j] <= newest
               for j in range(n))


@spec.always_possible
def writes_can_resume(cfg: Config, s: State) -> bool:
    """From every state, a state is reachable where the newest epoch any node has seen has
    accepted a write, unless every epoch up to ``max_epoch`` is used or no majority of live
    nodes reach each other: a deposed primary steps down, a backup takes over, and the
    new primary writes."""
    newest = max(s.token)
    if s.last_write is not None and s.last_write[0] == newest:
        return True
    if newest >= cfg.max_epoch:
        return True
    return not any(net.up(s, i) and len(_reachable(cfg, s, i)) >= _majority(cfg)
                   for i in _nodes(cfg))


@spec.sometimes
def failover(cfg: Config, s: State) -> bool:
    """A backup can take over and accept writes."""
    return s.last_write is not None and s.last_write[1] != 0


@spec.sometimes
def live_primary_deposed(cfg: Config, s: State) -> bool:
    """A backup can take over from a primary that is still up and still acts as primary:
    a partition makes a live primary look dead, the case the votes and the fencing are
    there for."""
    return sum(1 for j in _nodes(cfg) if s.role[j] == PRIMARY and net.up(s, j)) >= 2


spec.variant(
    "naive", params={"quorum": False, "fencing": False}, violates="no_split_brain",
    doc="A backup takes over alone on a heartbeat timeout and a primary writes alone: a "
        "partition yields two primaries accepting writes.")

spec.variant(
    "no-fencing", params={"fencing": False}, violates="no_split_brain",
    doc="A majority elects the new primary, but the deposed one, cut off, still writes.")


# -- mutants that survive, and why that is no gap (``modelcheck mutate split-brain``) -----

spec.accept_mutant(
    "heartbeat_timeout:off-by-one:5",
    """Epochs that skip a number still only grow, which is all the votes, the fencing and
    the step-downs compare; ``max_epoch`` then allows fewer take-overs.""")
for _k in (1, 2):
    spec.accept_mutant(
        f"client_write:drop-update:{_k}",
        """The replicas of a write do not record its epoch: the vote has already recorded
        it on a majority, and every majority a deposed primary could write to includes one
        of those voters, so older epochs stay fenced off; a deposed primary still learns of
        the newer epoch from the voters' tokens and steps down.""")
spec.accept_mutant(
    "step_down:drop-guard:2",
    """A primary may step down without having heard of a newer epoch (the newest token it
    reaches then equals its epoch): an abdication, after which a backup takes over in a
    newer epoch; ``writes_can_resume`` checks that writes go on.""")
spec.accept_mutant(
    "step_down:flip-comparison:2",
    """The same abdication as without the guard: the newest token a primary reaches is
    never older than its epoch, so the guard ``newest < epoch`` never holds.""")
spec.accept_mutant(
    "step_down:drop-update:2",
    """A node that steps down keeps the epoch it was primary of: no step reads a backup's
    epoch (taking over sets it anew), and its fencing token, which the votes and writes
    compare, still records the newer epoch.""")
