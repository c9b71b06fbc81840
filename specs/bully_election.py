"""The bully algorithm: leader election by highest id, with crashes and recoveries.

Source: Hector Garcia-Molina, "Elections in a Distributed Computing System" (IEEE
Transactions on Computers C-31(1), 1982), the bully algorithm for a synchronous system
with crash and recovery.

``nodes`` nodes with ids ``0 .. nodes - 1``; the highest live id should lead. A node
holds an election by sending ELECTION to every higher node. A node that receives one
answers ANSWER and, unless already in an election, holds its own; the leader answers
with a COORDINATOR instead. A node that has sent its ELECTIONs and heard nothing once
they could have arrived (its timeout: every ELECTION it sent to a live node is
delivered, and no ANSWER or COORDINATOR is on its way to it) has won: it leads, and
sends COORDINATOR to every lower node, which follows the sender. A node that got an
answer waits for a COORDINATOR; if none can come any more (no higher live node is in an
election, its ELECTIONs have arrived and no COORDINATOR is on its way), it holds a new
election. A node holds an election when it boots, and when the leader it follows has
crashed (the failure detector of a synchronous system is perfect). Messages travel on
a bag; messages sent to a crashed node are lost. Nodes crash, and restart
(``--faults crash=2,restart=1``, the default: one node comes back, another stays down
for good): the leader a node follows is kept on disk, its phase is not, and a restarted
node boots again. A booting node is not yet listening (what reaches it is lost), and it
takes longer to boot than an election takes: it boots when the system is quiet (nothing
in flight to a live node, no live node in an election). Without that, a node that wins
while a higher one boots races the higher one's COORDINATOR, and nodes follow either.
With the defaults (3 nodes) the search finds 5,716 distinct and 12,910 generated states.

**Properties**, once elections settle (every live node idle, following a live leader,
and nothing in flight to a live node): ``one_leader``: the live nodes follow one leader;
``highest_leads``: it is the highest live id. ``elections_end`` (always eventually, with
every node's steps and every delivery weakly fair): again and again the elections settle,
so after the last fault they settle for good. ``settled_under_highest`` (sometimes) makes
sure the crashes and the recovery all happen and are settled. At every step (action
properties): ``winner_outranks_listeners``, a node that comes to lead outranks every live
node that is listening (each higher one is down or booting); ``only_leaders_claim``, a
node sends COORDINATOR only while it leads; ``waits_while_a_coordinator_can_come``, a node
that was answered holds a new election only once no COORDINATOR can come (the timeouts
of a synchronous system fire no earlier). These catch at 3 nodes what leaves two leaders
only with more: a node that wins although answered, or without waiting for answers, a
node that announces itself from its disk while in an election, a timeout that fires
early. ``elections_end`` catches an idle node that answers an ELECTION without holding its
own (or holds it only once it has seen its leader fail), which leaves nobody to end the
election. Shortest counterexample (14 steps): node 2 wins and node 1 follows it; node 2
crashes and restarts before node 1 finds out; node 0 boots and holds an election; node 2,
booting, hears nothing; node 1 answers and does not take over; node 0 is answered, waits
until no COORDINATOR can come, and holds its election again, forever, while node 2's boot
(which takes longer than an election) never comes. Deployed, node 0 would retry until node
2 has booted: an election would last as long as a boot, past the bound every node's
timeouts assume.

**Variant ``no-recovery-election``** (``recovery_election=False``): a node that boots
knowing a leader (a restarted one) takes that leader back instead of holding an
election. Shortest counterexample (9 steps): node 0 crashes for good; node 1 boots and
wins (node 2, still booting, does not hear its ELECTION); node 1 crashes; node 2 boots
and wins, with no live node to tell; node 1 restarts and takes back the leader it
remembers, itself, while node 2 leads (``winner_outranks_listeners``): nodes 1 and 2
each follow themselves (``one_leader``, with the action properties skipped).

**Variant ``no-await-answers``** (``await_answers=False``): a node that has sent its
ELECTIONs declares itself leader without waiting for answers. Shortest counterexample (6
steps, ``winner_outranks_listeners``): node 0 crashes; node 2 boots and wins, and node 1
follows it; node 1 boots, sends ELECTION to node 2 and, without waiting, wins. Two
leaders once settled (``one_leader``, with the action properties skipped) take 13 steps:
node 1 crashes (and will restart); node 0 boots and wins; node 2 boots and wins,
and node 0 follows it; node 1 restarts, boots, sends ELECTION to node 2 and, without
waiting, wins and sends COORDINATOR to node 0; node 2, the leader, answers with a
COORDINATOR of its own: node 0 follows 1, node 1 follows 2.

**Faults.** ``crash`` and ``restart`` as above (``crash=1,restart=1``: 1,155 states;
``crash=2,restart=2``: 7,864); ``loss`` breaks the synchronous system the algorithm
assumes: a lost ELECTION lets a node win while a higher one listens
(``winner_outranks_listeners`` fails in 7 steps). The default is 3 nodes: at 4 (``--param
nodes=4``) the check fails on ``one_leader`` (in 28 steps with ``crash=1,restart=1``, 26
with the default budgets, after about a minute): a COORDINATOR that a node sent before the
leader it named crashed arrives after a later election's, which the bag allows and a
synchronous system's bounded delays would not; the model does not bound delays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    nodes: Annotated[int, Between(2, 5)] = 3
    """Nodes, ids ``0 .. nodes - 1``."""
    recovery_election: bool = True
    """A restarted node holds an election."""
    await_answers: bool = True
    """A node wins only once its ELECTIONs could have been answered."""
    faults: Faults = Faults("crash=2,restart=1")  # noqa: RUF009 - a Faults is an immutable str
    """Fault budgets (``--faults crash=2,restart=1``; see modelcheck.network)."""


Node = Annotated[int, Between(0)]
"""A node's id."""


class Election(Record):
    """``src`` holds an election and tells the higher node ``dst``."""

    src: Node
    dst: Node


class Answer(Record):
    """``src`` answers ``dst``'s ELECTION: a higher node is alive."""

    src: Node
    dst: Node


class Coordinator(Record):
    """``src`` has won and tells the lower node ``dst``."""

    src: Node
    dst: Node


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, nodes down."""


BOOT, IDLE, ELECTING, WAITING = "boot", "idle", "electing", "waiting"


class State(Record):
    """Per node: its phase (``boot``, ``idle``, ``electing``: ELECTIONs sent, no answer
    yet; ``waiting``: answered, waiting for a COORDINATOR), lost in a crash; the leader
    it follows (None until it knows one), kept on disk; the network."""

    phase: tuple[str, ...]
    leader: tuple[Node | None, ...]
    msgs: Net[Election | Answer | Coordinator]
    faults: NodeFaults


spec = Spec("bully-election", Config, State)


def _nodes(cfg: Config) -> range:
    return range(cfg.nodes)


def _messages(cfg: Config) -> list[Election | Answer | Coordinator]:
    """ELECTIONs go up, ANSWERs and COORDINATORs down."""
    out: list[Election | Answer | Coordinator] = []
    for i in _nodes(cfg):
        for j in range(i + 1, cfg.nodes):
            out += [Election(i, j), Answer(j, i), Coordinator(j, i)]
    return out


net = Network(spec, messages=_messages, nodes=_nodes, kind="bag", durable=("leader",),
              volatile=("phase",))
"""Messages travel on a bag; a restart keeps the leader a node follows, not its phase."""


def _elect(cfg: Config, s: State, i: int) -> State:
    """``s`` with node ``i`` holding an election: ELECTION to every higher node."""
    return s.replace(phase=set_at(s.phase, i, ELECTING), msgs=net.broadcast(
        cfg, s.msgs, [Election(i, j) for j in range(i + 1, cfg.nodes) if net.up(s, j)]))


def _to_live(s: State, m: Election | Answer | Coordinator) -> bool:
    return net.up(s, m.dst)


@spec.init
def init(cfg: Config) -> State:
    """Every node boots, following no leader."""
    return State((BOOT,) * cfg.nodes, (None,) * cfg.nodes, frozenset(), net.initial(cfg))


@net.action(node="i", i=_nodes)
def boot(cfg: Config, s: State, i: int) -> State | None:
    """Node ``i`` has booted, the system being quiet (nothing in flight to a live node,
    no live node in an election): it holds an election (or, without
    ``recovery_election``, takes back the leader it knew)."""
    if s.phase[i] != BOOT or any(_to_live(s, m) for m in net.in_flight(cfg, s.msgs)):
        return None
    if any(net.up(s, j) and s.phase[j] in (ELECTING, WAITING) for j in _nodes(cfg)):
        return None
    if not cfg.recovery_election and s.leader[i] is not None:
        return s.replace(phase=set_at(s.phase, i, IDLE))
    return _elect(cfg, s, i)


@net.action(node="i", i=_nodes)
def detect_failure(cfg: Config, s: State, i: int) -> State | None:
    """Node ``i`` finds the leader it follows crashed, and holds an election."""
    leader = s.leader[i]
    if s.phase[i] != IDLE or leader is None or net.up(s, leader):
        return None
    return _elect(cfg, s, i)


@net.action(node="i", i=_nodes)
def win(cfg: Config, s: State, i: int) -> State | None:
    """Node ``i``'s election times out without an answer (none on its way, nor the
    leader's COORDINATOR): it leads, and tells every lower node."""
    if s.phase[i] != ELECTING:
        return None
    if cfg.await_answers and any(
            (isinstance(m, Election) and m.src == i and _to_live(s, m))
            or (isinstance(m, (Answer, Coordinator)) and m.dst == i)
            for m in net.in_flight(cfg, s.msgs)):
        return None
    return s.replace(phase=set_at(s.phase, i, IDLE), leader=set_at(s.leader, i, i),
                     msgs=net.broadcast(cfg, s.msgs, [Coordinator(i, j) for j in range(i)
                                                      if net.up(s, j)]))


@net.action(node="i", i=_nodes)
def give_up_waiting(cfg: Config, s: State, i: int) -> State | None:
    """Node ``i`` was answered, but no COORDINATOR can come any more: no higher live node
    is in an election (one that is booting holds its own later), none is on its way and
    its ELECTIONs have arrived (the leader answers one with a COORDINATOR). It holds a
    new election."""
    if s.phase[i] != WAITING:
        return None
    if any(net.up(s, j) and s.phase[j] in (ELECTING, WAITING) for j in range(i + 1, cfg.nodes)):
        return None
    if any((isinstance(m, Coordinator) and m.dst == i)
           or (isinstance(m, Election) and m.src == i and _to_live(s, m))
           for m in net.in_flight(cfg, s.msgs)):
        return None
    return _elect(cfg, s, i)


@net.handler(Election)
def receive_election(cfg: Config, s: State, m: Election) -> State:
    """A node answers an ELECTION from a lower node and, unless in an election already,
    holds its own; the leader answers with a COORDINATOR; a booting node hears
    nothing."""
    i = m.dst
    if s.phase[i] == BOOT:
        return s
    if s.phase[i] == IDLE and s.leader[i] == i:
        return s.replace(msgs=net.reply(cfg, s.msgs, m, Coordinator(i, m.src)))
    s = s.replace(msgs=net.reply(cfg, s.msgs, m, Answer(i, m.src)))
    if s.phase[i] != IDLE:
        return s
    return _elect(cfg, s, i)


@net.handler(Answer)
def receive_answer(cfg: Config, s: State, m: Answer) -> State:
    """A node in an election, answered by a higher node, waits for a COORDINATOR."""
    if s.phase[m.dst] != ELECTING:
        return s
    return s.replace(phase=set_at(s.phase, m.dst, WAITING))


@net.handler(Coordinator)
def receive_coordinator(cfg: Config, s: State, m: Coordinator) -> State:
    """A node follows the sender of a COORDINATOR; a booting node hears nothing."""
    i = m.dst
    if s.phase[i] == BOOT:
        return s
    return s.replace(phase=set_at(s.phase, i, IDLE), leader=set_at(s.leader, i, m.src))


def _settled(cfg: Config, s: State) -> bool:
    """Every live node is idle and follows a live leader, and nothing is in flight to a
    live node."""
    live = [i for i in _nodes(cfg) if net.up(s, i)]
    return all(s.phase[i] == IDLE and s.leader[i] is not None and net.up(s, s.leader[i])
               for i in live) and not any(_to_live(s, m) for m in net.in_flight(cfg, s.msgs))


@spec.terminal
def settled(cfg: Config, s: State) -> bool:
    """The elections have settled: the model may end here."""
    return _settled(cfg, s)


# -- properties ---------------------------------------------------------------------------


@spec.always
def one_leader(cfg: Config, s: State) -> bool:
    """Once settled, the live nodes follow one leader."""
    return not _settled(cfg, s) or \
        len({s.leader[i] for i in _nodes(cfg) if net.up(s, i)}) <= 1


@spec.always
def highest_leads(cfg: Config, s: State) -> bool:
    """Once settled, every live node follows the highest live id."""
    if not _settled(cfg, s):
        return True
    top = max((i for i in _nodes(cfg) if net.up(s, i)), default=None)
    return all(s.leader[i] == top for i in _nodes(cfg) if net.up(s, i))


def _leads(s: State, i: int) -> bool:
    """Node ``i`` is idle and follows itself."""
    return s.phase[i] == IDLE and s.leader[i] == i


@spec.action_property
def winner_outranks_listeners(cfg: Config, before: State, after: State) -> bool:
    """A node that comes to lead outranks every live node that is listening: each higher
    one is down or booting (in a synchronous system, a higher live node answers the
    ELECTION, or announces itself, before the timeout)."""
    return all(not _leads(after, i) or _leads(before, i)
               or all(not net.up(after, j) or after.phase[j] == BOOT
                      for j in range(i + 1, cfg.nodes))
               for i in _nodes(cfg))


def _claims(cfg: Config, s: State) -> list[int]:
    """The senders of the COORDINATORs in flight, once per copy."""
    return sorted(m.src for m in net.in_flight(cfg, s.msgs) if isinstance(m, Coordinator))


@spec.action_property
def only_leaders_claim(cfg: Config, before: State, after: State) -> bool:
    """A node sends COORDINATOR only while it leads (idle, following itself)."""
    was, now = _claims(cfg, before), _claims(cfg, after)
    return all(_leads(after, i) for i in set(now) if now.count(i) > was.count(i))


@spec.action_property
def waits_while_a_coordinator_can_come(cfg: Config, before: State, after: State) -> bool:
    """A node that was answered stops waiting (and holds a new election) only once no
    COORDINATOR can come any more: none is on its way to it, no higher live node is in an
    election, and its ELECTIONs have arrived. In a synchronous system its timeout fires no
    earlier."""
    for i in _nodes(cfg):
        if before.phase[i] != WAITING or after.phase[i] != ELECTING:
            continue
        if any(net.up(before, j) and before.phase[j] in (ELECTING, WAITING)
               for j in range(i + 1, cfg.nodes)):
            return False
        if any((isinstance(m, Coordinator) and m.dst == i)
               or (isinstance(m, Election) and m.src == i and _to_live(before, m))
               for m in net.in_flight(cfg, before.msgs)):
            return False
    return True


spec.fair("steps", "weak", per_instance=True,
          actions=("boot", "detect_failure", "win", "give_up_waiting"),
          doc="A node that can boot, detect its leader's crash, win or stop waiting "
              "eventually does (its timers fire).")
spec.fair("delivery", "weak", actions=("deliver",), per_instance=True,
          doc="Every message in flight to a live node is eventually delivered.")


@spec.always_eventually
def elections_end(cfg: Config, s: State) -> bool:
    """Elections end: again and again the live nodes settle (faults are finite, so after
    the last one they settle for good)."""
    return _settled(cfg, s)


@spec.sometimes
def settled_under_highest(cfg: Config, s: State) -> bool:
    """Every crash and restart has happened, and the elections have settled again."""
    return s.faults.restart == 0 and s.faults.crash == 0 and _settled(cfg, s)


# -- mutants that survive, and why that is no gap (``modelcheck mutate bully-election``) -----

for _id in ("win:drop-conjunct:3", "win:drop-conjunct:4", "win:drop-conjunct:6",
            "give_up_waiting:drop-conjunct:3", "give_up_waiting:drop-conjunct:6"):
    spec.accept_mutant(
        _id,
        """A timeout that also waits for messages it need not wait for (any message of the
        node's, any ELECTION, any message to it) is a longer timeout: the node acts later,
        in fewer interleavings, each of them one the original has; what it also waits for
        is delivered in every fair behaviour, so its elections still end.""")

spec.variant(
    "no-recovery-election", params={"recovery_election": False},
    violates="winner_outranks_listeners",
    doc="A restarted node takes back the leader it knew, itself, instead of holding an "
        "election, while a higher node leads: two leaders.")

spec.variant(
    "no-await-answers", params={"await_answers": False},
    violates="winner_outranks_listeners",
    doc="A node declares itself leader right after sending its ELECTIONs, while a higher "
        "node leads; a lower node's COORDINATOR can then arrive after the highest node's, "
        "and nodes follow two leaders.")
