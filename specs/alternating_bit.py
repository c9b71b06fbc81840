"""Alternating bit protocol over lossy FIFO channels, a faithful port of MCAlternatingBit.tla.

Source: Leslie Lamport, *Specifying Systems* (2002), section 14.5, and its TLA+ modules
``AlternatingBit.tla``, ``ABCorrectness.tla`` and ``MCAlternatingBit.tla``
(tlaplus/Examples, specifications/SpecifyingSystems/TLC). A sender passes values to a
receiver over a message channel that may lose messages, and the receiver acknowledges over
an ack channel that may lose acks. Each message carries the sender's bit; the sender
sends a new value only once the ack of the current bit has come back, and otherwise sends
the current message again. The channels are unbounded in the protocol; the model bounds
them with a **state constraint** (TLC's ``CONSTRAINT SeqConstraint``): a state with a
channel longer than ``msg_q_len`` or ``ack_q_len`` is generated and checked, but not
explored further. With the defaults (two values, channels of at most two), counts match
TLC 2.15 and tlaplus/Examples' manifest.json exactly: 240 distinct and 1,392 generated
states, depth 10.

**Properties.** ``type_ok`` is ABTypeInv. ``implements_abc`` is the refinement TLC checks
as the property ``ABCSpec``, as an action property: every step is a step of the
high-level specification ABCorrectness (a new value sent, the value received, the ack
received) or leaves its variables unchanged (TLA+'s ``[ABCNext]_cvars``). The liveness
property ``SentLeadsToRcvd`` needs the whole state graph, which a constrained search
does not have; it is not ported. ``abc_init`` is the initial half of the refinement
(ABCInit, which TLC checks of every initial state). Added to the TLA+ module's properties
(they change no count): ``bits_in_order``, the protocol's classic invariant (read from the
sender's bit along the message channel to the receiver's bit and along the ack channel to
the sender's ack, the bits change at most once, and a message carrying the sender's bit carries the
value it is sending), and the action property ``one_message_moves`` (each step sends,
receives or loses one message: the channels are lossy FIFO queues), and two ``sometimes``
goals that the protocol makes progress: ``new_value_received`` (the receiver takes a value
whose ack is still to come) and ``next_value_sent`` (an ack comes back and the next value is
sent while the previous one is still on the channel). A sender that never sends a new value,
or never takes in an ack, only does less: its reachable states are a subset of the correct
protocol's, which no invariant can tell, but it never meets these goals, which a search
bounded by the state constraint judges as any complete search does.

**Variant ``receiver-flips-bit``.** The receiver flips its bit on every message instead of
taking the message's bit, so a message sent again is taken as a new value: a receive step
the high-level specification does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated

from modelcheck import Between, Record, Spec

Msg = tuple[int, str]


@dataclass(frozen=True)
class Config:
    """Constants of the model (MCAlternatingBit.cfg)."""

    data: Annotated[int, Between(1, 4)] = 2
    """Number of values the sender may send (TLA+'s Data = {d1, d2})."""
    msg_q_len: Annotated[int, Between(1, 6)] = 2
    """Longest message channel the search explores (msgQLen, in SeqConstraint)."""
    ack_q_len: Annotated[int, Between(1, 6)] = 2
    """Longest ack channel the search explores (ackQLen, in SeqConstraint)."""
    receiver_flips_bit: bool = False
    """Flaw: the receiver flips its bit on every message instead of taking the message's."""


class State(Record):
    """msgQ, ackQ, sBit, sAck, rBit, sent and rcvd of AlternatingBit.tla."""

    msg_q: tuple[Msg, ...]
    ack_q: tuple[int, ...]
    s_bit: int
    s_ack: int
    r_bit: int
    sent: str
    rcvd: str


spec = Spec("alternating-bit", Config, State)


def _data(cfg: Config) -> tuple[str, ...]:
    return tuple(f"d{k}" for k in range(1, cfg.data + 1))


@spec.init(s_bit=(0, 1), sent=_data, rcvd=_data)
def init(cfg: Config, s_bit: int, sent: str, rcvd: str) -> State:
    """Empty channels, the three bits equal, any values sent and received (ABInit)."""
    return State((), (), s_bit, s_bit, s_bit, sent, rcvd)


@spec.action(d=_data)
def snd_new_value(cfg: Config, s: State, d: str) -> State | None:
    """The last value is acknowledged: send ``d`` with the flipped bit (SndNewValue)."""
    if s.s_ack != s.s_bit:
        return None
    bit = 1 - s.s_bit
    return s.replace(sent=d, s_bit=bit, msg_q=s.msg_q + ((bit, d),))


@spec.action
def re_snd_msg(cfg: Config, s: State) -> State | None:
    """Not acknowledged yet: send the current message again (ReSndMsg)."""
    if s.s_ack == s.s_bit:
        return None
    return s.replace(msg_q=s.msg_q + ((s.s_bit, s.sent),))


@spec.action
def rcv_msg(cfg: Config, s: State) -> State | None:
    """Receive the first message: take its bit and value (RcvMsg)."""
    if not s.msg_q:
        return None
    (bit, d), rest = s.msg_q[0], s.msg_q[1:]
    if cfg.receiver_flips_bit:
        bit = 1 - s.r_bit
    return s.replace(msg_q=rest, r_bit=bit, rcvd=d)


@spec.action
def snd_ack(cfg: Config, s: State) -> State:
    """Acknowledge the receiver's bit (SndAck); always enabled."""
    return s.replace(ack_q=s.ack_q + (s.r_bit,))


@spec.action
def rcv_ack(cfg: Config, s: State) -> State | None:
    """Receive the first ack (RcvAck)."""
    if not s.ack_q:
        return None
    return s.replace(ack_q=s.ack_q[1:], s_ack=s.ack_q[0])


# A channel longer than its bound is never expanded, so positions up to the bound cover
# every message a search can lose (TLA+'s \E i \in 1..Len(q)).
@spec.action(i=lambda cfg: range(cfg.msg_q_len))
def lose_msg(cfg: Config, s: State, i: int) -> State | None:
    """The message channel loses its ``i``-th message (LoseMsg)."""
    if i >= len(s.msg_q):
        return None
    return s.replace(msg_q=s.msg_q[:i] + s.msg_q[i + 1:])


@spec.action(i=lambda cfg: range(cfg.ack_q_len))
def lose_ack(cfg: Config, s: State, i: int) -> State | None:
    """The ack channel loses its ``i``-th ack (LoseAck)."""
    if i >= len(s.ack_q):
        return None
    return s.replace(ack_q=s.ack_q[:i] + s.ack_q[i + 1:])


@spec.constraint
def seq_constraint(cfg: Config, s: State) -> bool:
    """The channels are no longer than ``msg_q_len`` and ``ack_q_len`` (SeqConstraint)."""
    return len(s.msg_q) <= cfg.msg_q_len and len(s.ack_q) <= cfg.ack_q_len


# -- properties -------------------------------------------------------------------------


@spec.always
def type_ok(cfg: Config, s: State) -> bool:
    """Bits are 0 or 1 and values are data (ABTypeInv)."""
    data = _data(cfg)
    return (all(b in (0, 1) and d in data for b, d in s.msg_q)
            and all(b in (0, 1) for b in s.ack_q)
            and s.s_bit in (0, 1) and s.s_ack in (0, 1) and s.r_bit in (0, 1)
            and s.sent in data and s.rcvd in data)


def _abstract(s: State) -> tuple[int, int, int, str, str]:
    """cvars of ABCorrectness: sBit, sAck, rBit, sent, rcvd."""
    return s.s_bit, s.s_ack, s.r_bit, s.sent, s.rcvd


@spec.initially
def abc_init(cfg: Config, s: State) -> bool:
    """The initial state is one of ABCorrectness (ABCInit): the sender's ack and the
    receiver's bit equal the sender's bit, and the channels are empty."""
    return s.s_ack == s.s_bit and s.r_bit == s.s_bit and not s.msg_q and not s.ack_q


@spec.action_property
def implements_abc(cfg: Config, before: State, after: State) -> bool:
    """Every step is a step of ABCorrectness or leaves its variables unchanged
    (``[ABCNext]_cvars``): the protocol implements the high-level specification."""
    b, a = _abstract(before), _abstract(after)
    if a == b:
        return True
    s_bit, s_ack, r_bit, sent, rcvd = b
    c_snd_new_value = (s_ack == s_bit and a[0] == 1 - s_bit
                       and (a[1], a[2], a[4]) == (s_ack, r_bit, rcvd))
    c_rcv_msg = r_bit != s_bit and a == (s_bit, s_ack, s_bit, sent, sent)
    c_rcv_ack = r_bit != s_ack and a == (s_bit, r_bit, r_bit, sent, rcvd)
    return c_snd_new_value or c_rcv_msg or c_rcv_ack


@spec.always
def bits_in_order(cfg: Config, s: State) -> bool:
    """From the sender's bit, along the message channel (newest first), the receiver's bit
    and the ack channel (newest first) to the sender's ack, the bits change at most once;
    a message carrying the sender's bit carries the value being sent."""
    bits = ([s.s_bit] + [b for b, _ in reversed(s.msg_q)] + [s.r_bit]
            + list(reversed(s.ack_q)) + [s.s_ack])
    changes = sum(1 for x, y in pairwise(bits) if x != y)
    return changes <= 1 and all(d == s.sent for b, d in s.msg_q if b == s.s_bit)


def _moved(before: tuple[object, ...], after: tuple[object, ...]) -> str:
    """How a step changed one channel: ``same``, ``sent`` (one message appended at the
    tail), ``taken`` (one message removed: the head received, or any one lost) or
    ``other``."""
    if after == before:
        return "same"
    if len(after) == len(before) + 1 and after[:-1] == before:
        return "sent"
    if len(after) == len(before) - 1 and any(
            after == before[:i] + before[i + 1:] for i in range(len(before))):
        return "taken"
    return "other"


@spec.action_property
def one_message_moves(cfg: Config, before: State, after: State) -> bool:
    """Every step puts one message on one channel or takes one off it: the channels are
    lossy FIFO queues, and each step is a send, a receive or a loss."""
    moves = sorted((_moved(before.msg_q, after.msg_q), _moved(before.ack_q, after.ack_q)))
    return moves in (["same", "sent"], ["same", "taken"])


@spec.sometimes
def new_value_received(cfg: Config, s: State) -> bool:
    """The receiver has taken the value being sent, whose ack has not come back yet: the
    sender's bit and the receiver's agree and differ from the sender's ack."""
    return s.r_bit == s.s_bit != s.s_ack


@spec.sometimes
def next_value_sent(cfg: Config, s: State) -> bool:
    """Both bits are on the message channel: an ack came back and the sender sent the next
    value while copies of the previous one were still on their way."""
    return len({b for b, _ in s.msg_q}) == 2


spec.variant(
    "receiver-flips-bit", params={"receiver_flips_bit": True}, violates="implements_abc",
    doc="The receiver flips its bit on every message: a message sent again is taken as a "
        "new value.")


# -- mutants that survive, and why that is no gap (``modelcheck mutate alternating-bit``) --

spec.accept_mutant(
    "rcv_msg:off-by-one:2",
    """The receiver takes the newest message and the oldest leaves the channel. By
    ``bits_in_order`` the bits on the channel change at most once and messages with the same
    bit carry the same value, so it reads a message the sender did send, never one older
    than the last it read, and what stays is newer than what left. Its reachable states are
    exactly the original's.""")
spec.accept_mutant(
    "rcv_ack:off-by-one:4",
    """The sender takes the newest ack and the oldest leaves the channel. By
    ``bits_in_order`` the acks change bit at most once, the newest being the receiver's
    latest bit, so the sender learns only a bit the receiver sent, never an older one after
    a newer. Its reachable states are exactly the original's.""")
