"""Bracha's Byzantine reliable broadcast: echo and ready quorums against an equivocating sender.

Source: Gabriel Bracha, "Asynchronous Byzantine agreement protocols" (Information and
Computation 75(2), 1987), the broadcast primitive of §2; its statement as Byzantine
reliable broadcast follows Christian Cachin, Rachid Guerraoui and Luís Rodrigues,
"Introduction to Reliable and Secure Distributed Programming" (2011), §3.11.

``nodes`` nodes, node 0 the sender, tolerate ``f`` Byzantine nodes (``n = 3f + 1`` by
default: 4 nodes, f = 1). The sender sends its value in an INITIAL message to every node.
A node echoes the first INITIAL it receives from the sender with an ECHO to every node
(itself included); a node that has sent no READY sends one to every node for a value of
which it has received ECHOs from ``⌈(n + f + 1) / 2⌉`` nodes (the echo threshold), or
READYs from ``f + 1``; a node delivers a value of which it has received READYs from
``2f + 1`` nodes. Each node counts one ECHO and one READY per sender. Messages travel on
a bag, delayed without limit. One node is Byzantine (``byzantine``: the sender, by
default, or the last node): it takes no step of the protocol and sends what it likes,
through the network's ``equivocate`` fault (each forged INITIAL, ECHO or READY, of either
value, spends one unit; the default budget is 4). A correct sender sends 1. Each node
counts its own ECHO and READY as it sends them, and sends none to the Byzantine node
(which would take no notice). A message once sent stays in the network (``set``), to be
received at any time; counting one message per sender, a node that receives it again
changes nothing, and a node stops counting ECHOs once it has sent READY, and READYs once
it has delivered (they no longer change what it does). With the defaults the search
finds 261,778 distinct and 2,399,965 generated states (about 10 s).

**Properties.** ``agreement``: no two correct nodes deliver different values.
``integrity``: a correct node delivers at most once, and, if the sender is correct,
only the sender's value. ``validity`` and ``totality`` are eventual properties, checked
as invariants of quiescent states (every message received, or no longer needed by its
receiver: the correct nodes send finitely many messages, so every fair behaviour reaches
one, and none of them moves again without the Byzantine node): there, ``validity`` says
that if the sender is correct and has sent its value, every correct node has delivered
it, and ``totality`` that if a correct node has delivered, every correct node has; and
``unanimous_echo`` that if every correct node has echoed the same value, every correct
node has delivered it (the ``n - f`` correct nodes' ECHOs make a quorum by themselves:
the step validity rests on, which holds whether the sender is correct or a Byzantine
sender that tells every correct node the same thing).
``delivered`` (sometimes) makes sure delivery happens, and ``delivered_and_quiescent``
that validity and totality judge some state. ``no_equivocation``: a correct
node echoes at most one value, one the sender sent it, and sends READY for at most one.
``justified``: a correct node sends READY for a value only once an ECHO quorum or ``f + 1``
READYs of it have been sent to it, and delivers it only once ``2f + 1`` READYs have.

A node that keeps counting READYs after it has delivered delivers again when a fourth
READY comes (``integrity``). With the sender Byzantine that needs every node's READY, its
own forged: 4 forged messages (3 INITIALs and a READY, or 2 INITIALs, an ECHO and a
READY), the default budget; with 3 (22,675 states) a second delivery is unreachable.
With the sender correct one forged READY is enough (``--variant byzantine-receiver``).
The fourth message also lets the Byzantine sender complete an ECHO quorum one node too
large with its own ECHO, so that ``delivered`` no longer notices it: ``unanimous_echo``
does.

**Variant ``n-equals-3f``** (``nodes=3``): three nodes for one Byzantine fault. Every
quorum of ``2f + 1`` needs the Byzantine node. Enabler: the Byzantine node is a
receiver (``byzantine=receiver``), so that the sender is correct and validity is at
stake. Shortest counterexample (5 steps): the sender sends 1, nodes 0 and 1 echo it to
each other, and the Byzantine node stays silent: each correct node holds two ECHOs of the
three it needs, and nobody ever delivers the correct sender's value.

**Variant ``low-echo-threshold``** (``echo_threshold=1``, not above f): one ECHO makes a
node send READY, so the Byzantine node alone can make a correct node vouch for a value.
Enabler: ``byzantine=receiver``, as above. Shortest counterexample (5 steps): the
Byzantine node echoes 0 to the sender, which, one ECHO being enough, sends READY for 0
(before it has even sent its own value); node 1 receives that READY and one the
Byzantine node forges, sends READY for 0 too (f + 1 READYs) and, counting its own,
delivers 0 (2f + 1), a value the correct sender never sent.

**Variant ``byzantine-receiver``** holds: the sender is correct and the last node lies
with one forged message (``equivocate=1``; the correct sender's traffic makes larger
budgets expensive: 200,763 states at 2, about half a minute); 14,631 states.

**Faults.** ``equivocate`` is the Byzantine node's budget: with the sender Byzantine, 3
forged INITIALs tell every correct node something else, and a fourth forged message
makes every node's READY reach a correct node. ``loss`` is refused: reliable links are
assumed, and the properties read the set network as the record of what was sent, which a
lost message would erase (``no_equivocation`` would fail three steps after a lost INITIAL,
with no node at fault).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    nodes: Annotated[int, Between(3, 7)] = 4
    """Nodes, node 0 the sender."""
    f: Annotated[int, Between(1)] = 1
    """Byzantine nodes the thresholds are sized for."""
    byzantine: Literal["sender", "receiver"] = "sender"
    """The Byzantine node: the sender, or the last node."""
    echo_threshold: Annotated[int, Between(0)] = 0
    """ECHOs that make a node send READY; 0 for Bracha's ``⌈(n + f + 1) / 2⌉``."""
    faults: Faults = Faults("equivocate=4")  # noqa: RUF009 - a Faults is an immutable str
    """Fault budgets: ``equivocate`` counts the messages the Byzantine node forges."""


Node = Annotated[int, Between(0)]
"""A node, ``0 .. nodes - 1``; 0 is the sender."""

SENDER = 0
VALUES = (0, 1)
SENT = 1
"""The value a correct sender sends."""


class Initial(Record):
    """The sender (``src``) sends ``value`` to ``dst``."""

    src: Node
    dst: Node
    value: int


class Echo(Record):
    """``src`` echoes to ``dst`` the value ``value`` it received from the sender."""

    src: Node
    dst: Node
    value: int


class Ready(Record):
    """``src`` tells ``dst`` it is ready to deliver ``value``."""

    src: Node
    dst: Node
    value: int


class NodeFaults(FaultState, node=Node):
    """Fault budgets left, nodes down."""


class State(Record):
    """Whether a correct sender has sent; per node, the value it echoed and the one it
    sent READY for (None until then), the ECHOs and READYs it has counted as (sender,
    value) pairs, and the values it delivered; the network."""

    sent: bool
    echoed: tuple[int | None, ...]
    readied: tuple[int | None, ...]
    echoes: tuple[frozenset[tuple[Node, int]], ...]
    readies: tuple[frozenset[tuple[Node, int]], ...]
    delivered: tuple[tuple[int, ...], ...]
    msgs: Net[Initial | Echo | Ready]
    faults: NodeFaults


spec = Spec("reliable-broadcast", Config, State)


def _byzantine(cfg: Config) -> int:
    return SENDER if cfg.byzantine == "sender" else cfg.nodes - 1


def _correct(cfg: Config) -> list[int]:
    return [i for i in range(cfg.nodes) if i != _byzantine(cfg)]


def _echo_threshold(cfg: Config) -> int:
    return cfg.echo_threshold or (cfg.nodes + cfg.f + 2) // 2


def _messages(cfg: Config) -> list[Initial | Echo | Ready]:
    """Every message to a correct node, of either value (a node sends none to itself)."""
    b = _byzantine(cfg)
    out: list[Initial | Echo | Ready] = [Initial(SENDER, j, v) for j in range(cfg.nodes)
                                         if j != b for v in VALUES]
    for kind in (Echo, Ready):
        out += [kind(i, j, v) for i in range(cfg.nodes) for j in range(cfg.nodes)
                if j not in (i, b) for v in VALUES]
    return out


def _forgeable(cfg: Config) -> list[Initial | Echo | Ready]:
    """What the Byzantine node may send: any message of its own to a correct node."""
    return [m for m in _messages(cfg) if m.src == _byzantine(cfg)]


net = Network(spec, messages=_messages, nodes=lambda cfg: range(cfg.nodes), kind="set",
              forgeable=_forgeable, refused={"loss": (
                  "Bracha's broadcast assumes reliable links, and its properties read the "
                  "network as the record of what was sent, which a lost message would erase")})
"""A message once sent stays in the network, to be received at any time (each node counts
one per sender, so receiving it again changes nothing); the Byzantine node forges messages
(``equivocate``); ``loss`` is refused."""


@spec.init
def init(cfg: Config) -> State:
    """Nothing sent, echoed or delivered."""
    n = cfg.nodes
    return State(False, (None,) * n, (None,) * n, (frozenset(),) * n, (frozenset(),) * n,
                 ((),) * n, frozenset(), net.initial(cfg))


@net.action(node=SENDER)
def broadcast(cfg: Config, s: State) -> State | None:
    """A correct sender sends its value to every node."""
    if s.sent or _byzantine(cfg) == SENDER:
        return None
    return s.replace(sent=True, msgs=net.broadcast(
        cfg, s.msgs, [Initial(SENDER, j, SENT) for j in range(cfg.nodes)
                            if j != _byzantine(cfg)]))


def _others(cfg: Config, i: int) -> list[int]:
    """The nodes ``i`` sends to: every node but itself (it counts its own message as it
    sends it) and the Byzantine node (which takes no notice)."""
    return [j for j in range(cfg.nodes) if j != i and j != _byzantine(cfg)]


def _ready(cfg: Config, s: State, i: int, value: int) -> State:
    """``s`` with node ``i`` sending READY for ``value``, and counting its own."""
    return s.replace(readied=set_at(s.readied, i, value),
                     readies=set_at(s.readies, i, s.readies[i] | {(i, value)}),
                     msgs=net.broadcast(cfg, s.msgs, [Ready(i, j, value)
                                                      for j in _others(cfg, i)]))


def _count(received: frozenset[tuple[int, int]], value: int) -> int:
    return sum(1 for _, v in received if v == value)


@net.handler(Initial)
def receive_initial(cfg: Config, s: State, m: Initial) -> State:
    """A correct node echoes the first value it receives from the sender to every node,
    counting its own ECHO: with enough ECHOs of the value, it sends READY for it."""
    i = m.dst
    if s.echoed[i] is not None:
        return s
    echoes = s.echoes[i] | {(i, m.value)}
    s = s.replace(echoed=set_at(s.echoed, i, m.value), echoes=set_at(s.echoes, i, echoes),
                  msgs=net.broadcast(cfg, s.msgs, [Echo(i, j, m.value)
                                                   for j in _others(cfg, i)]))
    if s.readied[i] is not None or _count(echoes, m.value) < _echo_threshold(cfg):
        return s
    return _ready(cfg, s, i, m.value)


@net.handler(Echo)
def receive_echo(cfg: Config, s: State, m: Echo) -> State:
    """A correct node that has sent no READY counts the first ECHO of each node; with
    enough ECHOs of a value, it sends READY for that value to every node."""
    i = m.dst
    if s.readied[i] is not None or any(src == m.src for src, _ in s.echoes[i]):
        return s
    echoes = s.echoes[i] | {(m.src, m.value)}
    s = s.replace(echoes=set_at(s.echoes, i, echoes))
    if _count(echoes, m.value) < _echo_threshold(cfg):
        return s
    return _ready(cfg, s, i, m.value)


@net.handler(Ready)
def receive_ready(cfg: Config, s: State, m: Ready) -> State:
    """A correct node that has not delivered counts the first READY of each node; with
    ``f + 1`` READYs of a value and none sent, it sends READY for it too; with ``2f + 1``
    it delivers it."""
    i = m.dst
    if s.delivered[i] or any(src == m.src for src, _ in s.readies[i]):
        return s
    s = s.replace(readies=set_at(s.readies, i, s.readies[i] | {(m.src, m.value)}))
    if s.readied[i] is None and _count(s.readies[i], m.value) >= cfg.f + 1:
        s = _ready(cfg, s, i, m.value)
    if _count(s.readies[i], m.value) < 2 * cfg.f + 1:
        return s
    return s.replace(delivered=set_at(s.delivered, i, (*s.delivered[i], m.value)))


def _received(s: State, m: Initial | Echo | Ready) -> bool:
    """Whether ``m``'s receiver has taken it, or no longer needs it: it has echoed (an
    INITIAL), sent READY (an ECHO) or delivered (a READY), or counted another message of
    the kind from the same sender."""
    i = m.dst
    if isinstance(m, Initial):
        return s.echoed[i] is not None
    if isinstance(m, Echo):
        return s.readied[i] is not None or any(src == m.src for src, _ in s.echoes[i])
    return bool(s.delivered[i]) or any(src == m.src for src, _ in s.readies[i])


def _quiescent(cfg: Config, s: State) -> bool:
    """Every message has been received, or is no longer needed."""
    return all(_received(s, m) for m in s.msgs)


@spec.terminal
def quiescent(cfg: Config, s: State) -> bool:
    """Nothing is in flight to a correct node: the model may end here."""
    return _quiescent(cfg, s)


# -- properties ---------------------------------------------------------------------------


@spec.always
def agreement(cfg: Config, s: State) -> bool:
    """No two correct nodes deliver different values."""
    return len({v for i in _correct(cfg) for v in s.delivered[i]}) <= 1


@spec.always
def integrity(cfg: Config, s: State) -> bool:
    """A correct node delivers at most once; only the sender's value if it is correct."""
    return all(len(s.delivered[i]) <= 1 for i in _correct(cfg)) and (
        _byzantine(cfg) == SENDER
        or all(v == SENT for i in _correct(cfg) for v in s.delivered[i]))


@spec.always
def validity(cfg: Config, s: State) -> bool:
    """Once quiescent, if the sender is correct and has sent (its INITIALs are in the
    network), every correct node has delivered its value."""
    sent = _byzantine(cfg) != SENDER and any(isinstance(m, Initial) for m in s.msgs)
    return not (sent and _quiescent(cfg, s)) or \
        all(s.delivered[i] == (SENT,) for i in _correct(cfg))


@spec.always
def totality(cfg: Config, s: State) -> bool:
    """Once quiescent, if a correct node has delivered, every correct node has."""
    if not _quiescent(cfg, s):
        return True
    done = [bool(s.delivered[i]) for i in _correct(cfg)]
    return all(done) or not any(done)


@spec.always
def unanimous_echo(cfg: Config, s: State) -> bool:
    """Once quiescent, if every correct node has echoed the same value, every correct node
    has delivered it: the ``n - f`` correct nodes' ECHOs make a quorum by themselves, so
    a sender that tells every correct node the same thing, Byzantine or not, is delivered."""
    if not _quiescent(cfg, s):
        return True
    echoed = {s.echoed[i] for i in _correct(cfg)}
    return len(echoed) != 1 or None in echoed or \
        all(s.delivered[i] == tuple(echoed) for i in _correct(cfg))


def _sent_to(s: State) -> dict[tuple[type, int, int], set[int]]:
    """For each (kind, receiver, value), the nodes that sent that receiver that message
    (a correct node's own ECHO or READY counted as sent to itself too)."""
    out: dict[tuple[type, int, int], set[int]] = {}
    for m in s.msgs:
        out.setdefault((type(m), m.dst, m.value), set()).add(m.src)
        if not isinstance(m, Initial):
            out.setdefault((type(m), m.src, m.value), set()).add(m.src)
    return out


@spec.always
def no_equivocation(cfg: Config, s: State) -> bool:
    """A correct node echoes at most one value, one the sender sent it, and sends READY
    for at most one value."""
    sent = _sent_to(s)
    for i in _correct(cfg):
        echoed = [v for v in VALUES if i in sent.get((Echo, i, v), ())]
        if len(echoed) > 1 or any(SENDER not in sent.get((Initial, i, v), ())
                                  for v in echoed):
            return False
        if sum(1 for v in VALUES if i in sent.get((Ready, i, v), ())) > 1:
            return False
    return True


@spec.always
def justified(cfg: Config, s: State) -> bool:
    """A correct node sends READY for a value only once ECHOs of it from
    ``⌈(n + f + 1) / 2⌉`` nodes or READYs from ``f + 1`` have been sent to it, and delivers
    a value only once READYs of it from ``2f + 1`` nodes have (its own included)."""
    sent = _sent_to(s)
    for i in _correct(cfg):
        for v in VALUES:
            readies = len(sent.get((Ready, i, v), ()))
            if v in s.delivered[i] and readies < 2 * cfg.f + 1:
                return False
            if i in sent.get((Ready, i, v), ()) and readies - 1 < cfg.f + 1 and len(
                    sent.get((Echo, i, v), ())) < _echo_threshold(cfg):
                return False
    return True


@spec.sometimes
def delivered(cfg: Config, s: State) -> bool:
    """Every correct node has delivered."""
    return all(s.delivered[i] for i in _correct(cfg))


@spec.sometimes
def delivered_and_quiescent(cfg: Config, s: State) -> bool:
    """Every correct node has delivered and the network is quiescent: ``validity`` and
    ``totality`` judge some state."""
    return all(s.delivered[i] for i in _correct(cfg)) and _quiescent(cfg, s)


# -- mutants that survive, and why that is no gap (``modelcheck mutate reliable-broadcast``) --

spec.accept_mutant(
    "broadcast:drop-guard:1",
    """A correct sender that sends again puts the same INITIALs into a set network, which
    changes nothing; a Byzantine sender that also sends the correct sender's INITIALs is a
    Byzantine node doing one more of the things it may do: a stronger adversary, not a bug
    of the protocol.""")
spec.accept_mutant(
    "broadcast:and-or:1",
    """As ``broadcast:drop-guard:1``: the sender sends again (nothing changes), or a
    Byzantine sender sends the correct value once more (a stronger adversary).""")

spec.accept_mutant(
    "broadcast:flip-comparison:1",
    """With the sender Byzantine (the default), it also sends the correct sender's INITIALs,
    once: a stronger adversary, as ``broadcast:drop-guard:1``; with the sender correct, it
    never sends, which ``delivered`` catches (``--variant byzantine-receiver``), but the
    default run has no correct sender.""")
spec.accept_mutant(
    "receive_echo:and-or:1",
    """The node also counts ECHOs after sending READY, and a second ECHO of the other value
    from the same node (only the Byzantine node sends two). Neither changes what it sends:
    two ECHO quorums of ``⌈(n + f + 1) / 2⌉`` share more than ``f`` nodes, so a second
    quorum, for another value, would need a correct node that echoed both
    (``no_equivocation``); and a Byzantine node counted for both values counts for each at
    most once, as if it had sent this node only the ECHO of the value that reaches the
    quorum, which it may.""")
spec.accept_mutant(
    "receive_initial:flip-comparison:1",
    """A node whose ECHO quorum is completed by its own ECHO waits for one more ECHO, or for
    ``f + 1`` READYs, before sending READY: it sends READY later, never another one.
    Safety is untouched (fewer READYs); totality rests on the READY rule alone; and with
    the sender correct, a node can stay short only if it counted every other correct
    node's ECHO before echoing, which at most one correct node can do: the other
    ``n - f - 1 >= f + 1`` send READY, and so does it.""")

spec.variant(
    "n-equals-3f", params={"nodes": 3, "byzantine": "receiver"}, violates="validity",
    doc="Three nodes for one Byzantine fault (n = 3f): every quorum needs the Byzantine "
        "node, which stays silent, and the correct sender's value is never delivered. "
        "Enabler: the Byzantine node is a receiver, so that the sender is correct.")

spec.variant(
    "low-echo-threshold", params={"echo_threshold": 1, "byzantine": "receiver"},
    violates="integrity",
    doc="One ECHO (not more than f) makes a node send READY: the Byzantine node's ECHO "
        "makes a correct node vouch for a value the sender never sent, and another "
        "delivers it. Enabler: the Byzantine node is a receiver, so that the sender is "
        "correct.")

spec.variant(
    "byzantine-receiver", params={"byzantine": "receiver", "faults": "equivocate=1"},
    doc="The sender is correct and a receiver Byzantine: every correct node delivers the "
        "sender's value, whatever the Byzantine node says. Enabler: one forged message "
        "(the correct sender's traffic makes larger budgets slow).")
