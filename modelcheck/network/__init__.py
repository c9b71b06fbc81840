"""Message passing and fault injection that specs compose: the network is a value in the state.

A spec declares its messages, the nodes that exchange them and a handler per message type;
:class:`Network` adds a ``deliver`` action per possible message, and the faults the user asks
for (``--faults loss=1,crash=1``) as ordinary actions, each bounded by a budget kept in the
state. Every explorer, symmetry reduction and checkpoints therefore handle faults like any
other action::

    @dataclass(frozen=True)
    class Config:
        ...
        faults: Faults = NO_FAULTS                   # budgets: --faults loss=1,crash=1

    class ServerFaults(FaultState, node=Server):     # budgets left, nodes down, partitions
        \"\"\"Fault budgets and effects.\"\"\"

    class State(Record):
        ...
        msgs: Net[Message]                           # the network: messages in flight
        faults: ServerFaults

    spec = Spec("raft", Config, State)
    net = Network(spec, messages=all_messages, nodes=lambda cfg: range(cfg.servers),
                  kind="bag", durable=("current_term", "voted_for"),
                  volatile=("role", "votes_granted"))

    @net.handler(RequestVoteRequest)
    def handle_request_vote_request(cfg, s, m): ...   # s no longer holds m (bag, fifo)

**Semantics** (``kind``): ``"set"`` — a message once sent stays and can be received any
number of times (TLA+'s grow-only ``msgs``; duplication for free); ``"bag"`` — each send is
one delivery, in any order; ``"fifo"`` — each channel (sender, receiver) delivers in order.

**Representation.** The network is a frozenset: with ``set`` the messages themselves; with
``bag`` a message once per message in flight plus ``Copies(msg, extra)`` when more copies
of it are in flight; with ``fifo`` the head of each channel plus ``Behind(first, rest)``
holding the messages queued after it. Membership of the message itself is thus always the
test "can it be delivered now", one hash look-up, and a network without duplicates holds
exactly the messages in flight — so a spec ported to it keeps its state counts.

**Faults** (:data:`FAULTS`): ``loss`` drops a message in flight, ``dup`` duplicates one,
``reorder`` moves a message ahead of its predecessor on a FIFO channel, ``crash`` stops a
node (its actions and deliveries to it are disabled), ``restart`` brings a crashed node
back with its volatile fields reset and its durable ones kept, ``partition`` cuts the links
between two sides until a ``heal`` step, ``timeout`` fires a declared timer out of turn,
``drift`` moves a node's local clock one tick, and ``equivocate`` lets a Byzantine node
send a message of a declared domain (a different value to each peer). Each budget counts
the fault's steps along one behaviour, so the state space stays finite.

**Layout.** :mod:`~modelcheck.network.faults` holds the fault menu, the budgets and the
fault state; :mod:`~modelcheck.network.kinds` the three semantics on the frozenset;
:mod:`~modelcheck.network.builder` the :class:`Network` a spec declares, over
:mod:`~modelcheck.network.core` (its fields and per-configuration plans);
:mod:`~modelcheck.network.actions` the ``deliver`` and fault actions it adds; and
:mod:`~modelcheck.network.hooks` what it tells the engine through the spec's hooks.
"""

from __future__ import annotations

from modelcheck.network.builder import Network
from modelcheck.network.faults import FAULTS, NO_FAULTS, FaultError, Faults, FaultState
from modelcheck.network.kinds import KINDS, Behind, Copies, Net

__all__ = ["FAULTS", "KINDS", "NO_FAULTS", "Behind", "Copies", "FaultError", "FaultState",
           "Faults", "Net", "Network"]
