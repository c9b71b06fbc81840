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
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, TypeVar

from modelcheck.errors import SpecDefinitionError, UsageError
from modelcheck.model import Call
from modelcheck.render.labels import event_label
from modelcheck.spec import NetworkLayout, Spec
from modelcheck.state import Record, defaults, set_at

__all__ = ["FAULTS", "KINDS", "NO_FAULTS", "Behind", "Copies", "FaultError", "FaultState",
           "Faults", "Net", "Network"]

FAULTS: dict[str, str] = {
    "loss": "drop a message in flight",
    "dup": "duplicate a message in flight (bag and fifo networks)",
    "reorder": "move a message ahead of the one before it on its channel (fifo networks)",
    "crash": "stop a node: its actions and deliveries to it are disabled",
    "restart": "restart a crashed node: volatile fields reset, durable fields kept",
    "partition": "cut every link between two sides of the nodes, until a heal step",
    "timeout": "fire a declared timer of a node out of turn",
    "drift": "move a node's local clock one tick ahead or behind",
    "equivocate": "a Byzantine node sends a message of its declared domain",
}
"""The fault menu: each name is a ``--faults`` key and a budget field of :class:`FaultState`."""

FAULT_ACTIONS: dict[str, str | None] = {
    "drop": "loss", "duplicate": "dup", "reorder": "reorder", "crash": "crash",
    "restart": "restart", "partition": "partition", "heal": None, "fire": "timeout",
    "drift": "drift", "forge": "equivocate"}
"""The fault actions a network adds, in the order it adds them, and the budget each one
spends (``heal`` ends a partition and spends none)."""

KINDS = ("set", "bag", "fifo")
"""Network semantics: re-deliverable set, bag (one delivery per send), FIFO channels."""


class FaultError(UsageError, SpecDefinitionError):
    """A fault setting this spec cannot honour (restart without durable state, reorder on
    a network that is not FIFO...): a usage error, raised while binding a configuration."""


# -- the budgets a user asks for --------------------------------------------------------------


class Faults(str):
    """Fault budgets as text, ``"loss=2,crash=1"`` (``"none"``: no faults): a config value.

    Being a string, it is recorded as it reads in results, traces and checkpoints; it is
    parsed and checked on construction, and a spec's ``Config`` declares it as
    ``faults: Faults = NO_FAULTS``. ``NAME`` alone means ``NAME=1``.
    """

    budgets: Mapping[str, int]

    def __new__(cls, text: str = "none", /, **budgets: int) -> Faults:
        parsed = dict(_parse_faults(str(text)))
        for name, n in budgets.items():
            _check_budget(name, n, f"{name}={n}")
            parsed[name] = n
        canonical = ",".join(f"{k}={parsed[k]}" for k in FAULTS if parsed.get(k, 0) > 0)
        self = super().__new__(cls, canonical or "none")
        self.budgets = {k: parsed.get(k, 0) for k in FAULTS}
        return self

    @classmethod
    def from_param(cls, text: str) -> Faults:
        """Parse ``--faults`` / ``--param faults=...`` text; a UsageError names the fix."""
        return cls(text)

    def __getnewargs__(self) -> tuple[str]:
        return (str(self),)

    def budget(self, name: str) -> int:
        """The budget of fault ``name`` (0 when not asked for)."""
        return self.budgets[name]

    @property
    def any(self) -> bool:
        """Whether some fault has a positive budget."""
        return any(self.budgets.values())


def _check_budget(name: str, n: object, shown: str) -> None:
    if name not in FAULTS:
        raise UsageError(f"unknown fault {name!r} in {shown!r}; valid faults: "
                         f"{', '.join(FAULTS)} (e.g. --faults loss=2,crash=1)")
    if isinstance(n, bool) or not isinstance(n, int):
        raise UsageError(f"fault budget {shown!r} must be a whole number >= 0; valid "
                         f"faults: {', '.join(FAULTS)}")
    if n < 0:
        raise UsageError(f"fault budget {shown!r} is negative; a budget counts fault steps "
                         f"and must be >= 0; valid faults: {', '.join(FAULTS)}")


@cache
def _parse_faults(text: str) -> tuple[tuple[str, int], ...]:
    out: dict[str, int] = {}
    body = text.strip()
    if body in ("", "none"):
        return ()
    for part in body.split(","):
        part = part.strip()
        name, sep, value = part.partition("=")
        name = name.strip()
        if not name:
            raise UsageError(f"--faults {text!r}: expected NAME=N items separated by commas, "
                             f"e.g. loss=2,crash=1; valid faults: {', '.join(FAULTS)}")
        if not sep:
            value = "1"
        if not re.fullmatch(r"\s*-?\d+\s*", value):
            _check_budget(name, None, part)
        n = int(value)
        _check_budget(name, n, part)
        if name in out:
            raise UsageError(f"--faults {text!r} names {name!r} twice; valid faults: "
                             f"{', '.join(FAULTS)}")
        out[name] = n
    return tuple(out.items())


NO_FAULTS = Faults()
"""No fault at all: the default of a config's ``faults`` field."""


# -- fault state and network values --------------------------------------------------------------


class FaultState(Record):
    """The faults still allowed (one budget per :data:`FAULTS` name) and those in force.

    A spec subclasses it naming its node type, so that symmetry reduction renames the
    nodes it holds::

        class Faults(FaultState, node=Server):
            \"\"\"Fault budgets and effects.\"\"\"
    """

    loss: int = 0
    dup: int = 0
    reorder: int = 0
    crash: int = 0
    restart: int = 0
    partition: int = 0
    timeout: int = 0
    drift: int = 0
    equivocate: int = 0
    down: frozenset[Any] = frozenset()
    """Crashed nodes."""
    sides: frozenset[frozenset[Any]] = frozenset()
    """The two sides of the partition in force, or empty."""
    skew: frozenset[tuple[Any, int]] = frozenset()
    """``(node, ticks)`` for each node whose clock has drifted."""

    # Not annotated: an annotation would make it a field of the record.
    node_type = Any

    def __init_subclass__(cls, node: Any = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if node is not None:
            # Annotations read by symmetry reduction: the node fields hold `node` values.
            cls.node_type = node
            cls.__annotations__ = {"down": frozenset[node], "sides": frozenset[frozenset[node]],
                                   "skew": frozenset[tuple[node, int]]}


class Copies(Record):
    """``extra`` more copies of ``msg`` in flight on a bag network (``msg`` is there too)."""

    msg: Record
    extra: int


class Behind(Record):
    """The messages queued behind ``first``, the head of its channel, on a FIFO network."""

    first: Record
    rest: tuple[Record, ...]


M = TypeVar("M")
Net = frozenset[M | Copies | Behind]
"""The annotation of a network field: ``msgs: Net[Message]``."""


# -- semantics ------------------------------------------------------------------------------


class _Kind:
    """The operations of one network semantics on its frozenset value."""

    consumes = True

    def __init__(self, route: Callable[[Any], tuple[Any, Any]]) -> None:
        self.route = route

    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        raise NotImplementedError

    def put_all(self, net: frozenset[Any], messages: Iterable[Any]) -> frozenset[Any]:
        for m in messages:
            net = self.put(net, m)
        return net

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        """``net`` after delivering ``m`` (which is deliverable: ``m in net``)."""
        raise NotImplementedError

    def drop(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self.take(net, m) if m in net else None

    def dup(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self.put(net, m) if m in net else None

    def reorder(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return None

    def items(self, net: frozenset[Any]) -> Iterator[Any]:
        return iter(net)

    def discard(self, net: frozenset[Any], pred: Callable[[Any], bool]) -> frozenset[Any]:
        return frozenset([x for x in net if not pred(x)])


class _SetKind(_Kind):
    consumes = False

    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        return net | {m}

    def put_all(self, net: frozenset[Any], messages: Iterable[Any]) -> frozenset[Any]:
        return net.union(messages)

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        return net

    def drop(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return net - {m} if m in net else None

    def dup(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return None


def _copies_of(net: frozenset[Any], m: Any) -> Copies | None:
    for x in net:
        if type(x) is Copies and x.msg == m:
            return x
    return None


class _BagKind(_Kind):
    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        if m not in net:
            return net | {m}
        c = _copies_of(net, m)
        if c is None:
            return net | {Copies(m, 1)}
        return (net - {c}) | {Copies(m, c.extra + 1)}

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        c = _copies_of(net, m)
        if c is None:
            return net - {m}
        if c.extra == 1:
            return net - {c}
        return (net - {c}) | {Copies(m, c.extra - 1)}

    def items(self, net: frozenset[Any]) -> Iterator[Any]:
        for x in net:
            if type(x) is Copies:
                yield from itertools.repeat(x.msg, x.extra)
            else:
                yield x

    def discard(self, net: frozenset[Any], pred: Callable[[Any], bool]) -> frozenset[Any]:
        return frozenset([x for x in net if not pred(x.msg if type(x) is Copies else x)])


class _FifoKind(_Kind):
    def queues(self, net: frozenset[Any]) -> dict[Any, tuple[Any, ...]]:
        """Every channel's queue, by its head."""
        out: dict[Any, tuple[Any, ...]] = {x: (x,) for x in net if type(x) is not Behind}
        for x in net:
            if type(x) is Behind:
                out[x.first] = (x.first, *x.rest)
        return out

    @staticmethod
    def _encode(net: frozenset[Any], old: tuple[Any, ...],
                new: tuple[Any, ...]) -> frozenset[Any]:
        """``net`` with one channel's queue ``old`` (maybe empty) replaced by ``new``."""
        drop: list[Any] = []
        if old:
            drop.append(old[0])
            if len(old) > 1:
                drop.append(Behind(old[0], old[1:]))
        add: list[Any] = []
        if new:
            add.append(new[0])
            if len(new) > 1:
                add.append(Behind(new[0], new[1:]))
        return (net - frozenset(drop)) | frozenset(add)

    def _queue(self, net: frozenset[Any], channel: Any) -> tuple[Any, ...]:
        route = self.route
        for x in net:
            if type(x) is not Behind and route(x) == channel:
                b = next((y for y in net if type(y) is Behind and y.first == x), None)
                return (x,) if b is None else (x, *b.rest)
        return ()

    def put(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        q = self._queue(net, self.route(m))
        return self._encode(net, q, (*q, m))

    def take(self, net: frozenset[Any], m: Any) -> frozenset[Any]:
        q = self._queue(net, self.route(m))
        return self._encode(net, q, q[1:])

    def _edit(self, net: frozenset[Any], m: Any,
              change: Callable[[tuple[Any, ...], int], tuple[Any, ...] | None]
              ) -> frozenset[Any] | None:
        q = self._queue(net, self.route(m))
        if m not in q:
            return None
        new = change(q, q.index(m))
        return None if new is None else self._encode(net, q, new)

    def drop(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self._edit(net, m, lambda q, i: q[:i] + q[i + 1:])

    def dup(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        return self._edit(net, m, lambda q, i: q[:i + 1] + q[i:])

    def reorder(self, net: frozenset[Any], m: Any) -> frozenset[Any] | None:
        def swap(q: tuple[Any, ...], i: int) -> tuple[Any, ...] | None:
            if i == 0 or q[i - 1] == m:
                return None  # already first, or behind an equal message: no new order
            return q[:i - 1] + (m, q[i - 1]) + q[i + 1:]
        return self._edit(net, m, swap)

    def items(self, net: frozenset[Any]) -> Iterator[Any]:
        for q in self.queues(net).values():
            yield from q

    def discard(self, net: frozenset[Any], pred: Callable[[Any], bool]) -> frozenset[Any]:
        out: list[Any] = []
        for q in self.queues(net).values():
            kept = tuple(x for x in q if not pred(x))
            if kept:
                out.append(kept[0])
                if len(kept) > 1:
                    out.append(Behind(kept[0], kept[1:]))
        return frozenset(out)


_KIND_CLASSES: dict[str, type[_Kind]] = {"set": _SetKind, "bag": _BagKind, "fifo": _FifoKind}


# -- the network a spec declares ------------------------------------------------------------


Handler = Callable[[Any, Any, Any], Any]
Nodes = Callable[[Any], Iterable[Any]]
Fields = Sequence[str] | Callable[[Any], Sequence[str]]


@dataclass
class _Plan:
    """What one configuration asks of the network: its semantics and fault budgets."""

    kind: _Kind
    faults: Faults
    initial: FaultState
    messages: tuple[Any, ...]
    nodes: tuple[Any, ...]
    volatile: tuple[str, ...]
    init_state: Any
    """The spec's first initial state, where a restart finds volatile fields' values
    (computed on the first restart: the init itself asks for the plan)."""

    def budget(self, name: str) -> int:
        return self.faults.budget(name)


def _default_route(m: Any) -> tuple[Any, Any]:
    return m.src, m.dst


class Network:
    """The network of ``spec``: a ``deliver`` action per message, and the fault actions.

    ``messages(cfg)`` lists every message that can ever be in flight, in a fixed order
    (the domain of ``deliver``, ``drop``, ``duplicate`` and ``reorder``); ``nodes(cfg)``
    every node. ``route(m)`` gives a message's ``(sender, receiver)`` (default: its
    ``src`` and ``dst`` fields). ``kind`` is ``"set"``, ``"bag"`` or ``"fifo"``, or a
    function of the config. ``field`` and ``faults_field`` name the state's network and
    :class:`FaultState` fields; ``budgets_field`` the config's :class:`Faults` field.
    ``crashable(cfg)`` limits which nodes may crash (default: all). ``durable`` and
    ``volatile`` name the per-node tuple fields (indexed by node) a restart keeps and
    resets to their initial value; without them ``restart`` is refused. ``forgeable(cfg)``
    is the message domain of a Byzantine node (``equivocate``).
    """

    def __init__(self, spec: Spec, *, messages: Callable[[Any], Iterable[Any]],
                 nodes: Nodes, kind: str | Callable[[Any], str] = "bag",
                 route: Callable[[Any], tuple[Any, Any]] = _default_route,
                 field: str = "msgs", faults_field: str = "faults",
                 budgets_field: str = "faults", crashable: Nodes | None = None,
                 durable: Fields | None = None, volatile: Fields | None = None,
                 forgeable: Callable[[Any], Iterable[Any]] | None = None) -> None:
        self.spec = spec
        where = f"spec {spec.name!r}: Network"
        if spec.network_layout is not None:
            raise SpecDefinitionError(f"{where}: the spec already has a network; declare one")
        if isinstance(kind, str) and kind not in KINDS:
            raise SpecDefinitionError(f"{where}: kind={kind!r}; valid kinds: {', '.join(KINDS)}")
        if (durable is None) != (volatile is None):
            raise SpecDefinitionError(
                f"{where}: declare both durable=... and volatile=... (the per-node fields a "
                "restart keeps and resets), or neither")
        state = spec.state
        names = _field_names(state)
        for what, name in (("field", field), ("faults_field", faults_field)):
            if names is not None and name not in names:
                raise SpecDefinitionError(
                    f"{where}: {what}={name!r} is not a field of the state "
                    f"{getattr(state, '__name__', state)}; its fields: {list(names)}")
        config_fields = [f.name for f in dataclasses.fields(spec.config)]
        if budgets_field not in config_fields:
            raise SpecDefinitionError(
                f"{where}: the config {spec.config.__name__} has no field {budgets_field!r}; "
                f"declare {budgets_field}: Faults = NO_FAULTS so that --faults can set it")
        self.record = _fault_record(state, faults_field, where)
        self._messages = messages
        self._nodes = nodes
        self._kind = kind
        self.route = route
        self.field = field
        self.faults_field = faults_field
        self.budgets_field = budgets_field
        self._crashable = crashable
        self._durable = durable
        self._volatile = volatile
        self._forgeable = forgeable
        self.handlers: dict[type, Handler] = {}
        self.timers: dict[str, tuple[Handler, Nodes]] = {}
        self.get_net = operator.attrgetter(field)
        self.get_faults = operator.attrgetter(faults_field)
        self.set_net = _setter(state, field)
        self.set_faults = _setter(state, faults_field)
        self.set_both = _setter(state, field, faults_field)
        self._last: tuple[Any, _Plan] | None = None
        self.fault_actions = self._register()
        self._attach()

    # -- declarations -----------------------------------------------------------------------

    def handler(self, *types: type) -> Callable[[Handler], Handler]:
        """Declare the handler ``(cfg, state, m) -> State | None`` of message ``types``.

        It is called by ``deliver`` with the message already taken from the network (on a
        bag or FIFO network); None means the receiver cannot take it now.
        """
        def register(fn: Handler) -> Handler:
            for t in types:
                if t in self.handlers:
                    raise SpecDefinitionError(
                        f"spec {self.spec.name!r}: {t.__name__} has two handlers "
                        f"({self.handlers[t].__name__} and {fn.__name__})")
                self.handlers[t] = fn
            return fn
        return register

    def action(self, *, node: str | Any, name: str | None = None,
               **domains: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """``@spec.action`` for a step taken by one node, disabled while that node is down.

        ``node`` names the parameter holding the node (``node="i"``) or is the node itself.
        """
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            params = list(_signature_params(fn))[2:]
            get_faults = self.get_faults
            if isinstance(node, str) and node in params:
                at = params.index(node)

                @wraps(fn)
                def guarded(cfg: Any, s: Any, *args: Any) -> Any:
                    down = get_faults(s).down
                    if down and args[at] in down:
                        return None
                    return fn(cfg, s, *args)
            else:
                fixed = node

                @wraps(fn)
                def guarded(cfg: Any, s: Any, *args: Any) -> Any:
                    down = get_faults(s).down
                    if down and fixed in down:
                        return None
                    return fn(cfg, s, *args)

            def specialise(cfg: Any, *args: Any) -> Call:
                # No node ever crashes without a crash budget: the step is the spec's own.
                return Call(guarded if self.plan(cfg).budget("crash") else fn, args)

            guarded.specialise = specialise  # type: ignore[attr-defined]
            self.spec.action(name=name or fn.__name__, **domains)(guarded)
            return fn
        return register

    def timer(self, *, nodes: Nodes) -> Callable[[Handler], Handler]:
        """Declare a timer ``(cfg, state, node) -> State | None`` that the ``timeout`` fault
        fires out of turn, for each node of ``nodes(cfg)`` that is up."""
        def register(fn: Handler) -> Handler:
            self.timers[fn.__name__] = (fn, nodes)
            return fn
        return register

    # -- helpers for specs -------------------------------------------------------------------

    def initial(self, cfg: Any) -> FaultState:
        """The fault state of an initial state: the configured budgets, nothing in force.

        Without any fault configured it is ``defaults(record)`` (modelcheck.state), which
        reads as the all-zero record, shows as ``NodeFaults()`` and hashes in nanoseconds.
        """
        return self.plan(cfg).initial

    def send(self, cfg: Any, net: frozenset[Any], *messages: Any) -> frozenset[Any]:
        """``net`` with ``messages`` sent."""
        last = self._last
        kind = last[1].kind if last is not None and last[0] is cfg else self.plan(cfg).kind
        if len(messages) == 1:
            return kind.put(net, messages[0])
        return kind.put_all(net, messages)

    def broadcast(self, cfg: Any, net: frozenset[Any], messages: Iterable[Any]) -> frozenset[Any]:
        """``net`` with every message of ``messages`` sent (one per receiver)."""
        last = self._last
        kind = last[1].kind if last is not None and last[0] is cfg else self.plan(cfg).kind
        return kind.put_all(net, messages)

    def reply(self, cfg: Any, net: frozenset[Any], request: Any, response: Any) -> frozenset[Any]:
        """``net`` with ``response`` sent back to the sender of ``request``."""
        if self.route(response)[1] != self.route(request)[0]:
            raise ValueError(f"reply {response!r} is not addressed to the sender of {request!r}")
        return self.send(cfg, net, response)

    def discard(self, cfg: Any, net: frozenset[Any],
                pred: Callable[[Any], bool]) -> frozenset[Any]:
        """``net`` without the messages in flight that satisfy ``pred``."""
        return self.plan(cfg).kind.discard(net, pred)

    def in_flight(self, cfg: Any, net: frozenset[Any]) -> list[Any]:
        """Every message in flight, once per copy."""
        return list(self.plan(cfg).kind.items(net))

    def up(self, s: Any, node: Any) -> bool:
        """Whether ``node`` has not crashed."""
        return node not in self.get_faults(s).down

    def reachable(self, s: Any, a: Any, b: Any) -> bool:
        """Whether no partition separates ``a`` from ``b``."""
        return _same_side(self.get_faults(s).sides, a, b)

    def skew(self, s: Any, node: Any) -> int:
        """How many ticks ``node``'s clock runs ahead (negative: behind)."""
        for n, t in self.get_faults(s).skew:
            if n == node:
                return int(t)
        return 0

    # -- per configuration ------------------------------------------------------------------

    def plan(self, cfg: Any) -> _Plan:
        """The semantics and budgets of configuration ``cfg``, checked against the spec."""
        last = self._last
        if last is not None and last[0] is cfg:
            return last[1]
        plan = self._make_plan(cfg)
        self._last = (cfg, plan)
        return plan

    def _make_plan(self, cfg: Any) -> _Plan:
        name = self.spec.name
        raw = getattr(cfg, self.budgets_field)
        faults = raw if isinstance(raw, Faults) else Faults(raw)
        kind_name = self._kind(cfg) if callable(self._kind) else self._kind
        if kind_name not in KINDS:
            raise FaultError(f"spec {name!r}: network kind {kind_name!r} is not one of "
                             f"{', '.join(KINDS)}")
        b = faults.budgets
        if b["dup"] and kind_name == "set":
            raise FaultError(
                f"spec {name!r} uses a set network, where every message can already be "
                "received again: dup has no effect; drop it from --faults")
        if b["reorder"] and kind_name != "fifo":
            raise FaultError(
                f"spec {name!r} uses a {kind_name} network, which delivers in any order "
                "already: reorder applies to fifo networks only; drop it from --faults")
        if b["restart"] and self._durable is None:
            raise FaultError(
                f"spec {name!r} declares no durable state, so a crashed node cannot "
                f"restart (restart={b['restart']}): declare Network(..., durable=[fields "
                "kept], volatile=[fields reset]), or use crash alone (crash-stop)")
        if b["restart"] and not b["crash"]:
            raise FaultError(f"restart={b['restart']} needs crash >= 1: only a crashed node "
                             "restarts")
        if b["equivocate"] and self._forgeable is None:
            raise FaultError(
                f"spec {name!r} declares no Byzantine message domain: equivocate needs "
                "Network(..., forgeable=lambda cfg: [messages a faulty node may send])")
        if b["timeout"] and not self.timers:
            raise FaultError(f"spec {name!r} declares no timers (@net.timer): timeout has "
                             "nothing to fire")
        messages = _values(self._messages, cfg, "messages")
        missing = sorted({type(m).__name__ for m in messages} -
                         {t.__name__ for t in self.handlers})
        if missing:
            raise SpecDefinitionError(
                f"spec {name!r}: messages of type {missing} have no handler; declare "
                "@net.handler(Type) def handle(cfg, state, m): ...")
        durable = tuple(_fields(self._durable, cfg))
        volatile = tuple(_fields(self._volatile, cfg))
        both = set(durable) & set(volatile)
        if both:
            raise SpecDefinitionError(f"spec {name!r}: fields {sorted(both)} are declared "
                                      "both durable and volatile")
        # Without faults the record never changes: its smallest form hashes in a few
        # nanoseconds instead of one per field, in every state's fingerprint.
        initial = self.record().replace(**b) if faults.any else defaults(self.record)
        return _Plan(_KIND_CLASSES[kind_name](self.route), faults, initial, messages,
                     _values(self._nodes, cfg, "nodes"), volatile, None)

    def _budgeted(self, name: str, values: Callable[[Any], Sequence[Any]]
                  ) -> Callable[[Any], Sequence[Any]]:
        # An action whose fault is not asked for has no instance at all: the search never
        # tries it, and a model without faults keeps its counts and speed.
        def domain(cfg: Any) -> Sequence[Any]:
            return values(cfg) if self.plan(cfg).budget(name) > 0 else ()
        domain.__name__ = f"{name}_domain"
        return domain

    # -- the actions --------------------------------------------------------------------------

    def _register(self) -> tuple[str, ...]:
        spec = self.spec
        get_net, get_faults = self.get_net, self.get_faults
        set_net, set_faults, set_both = self.set_net, self.set_faults, self.set_both
        route, handlers, plan = self.route, self.handlers, self.plan

        def messages(cfg: Any) -> Sequence[Any]:
            return plan(cfg).messages

        def deliver(cfg: Any, s: Any, m: Any) -> Any:
            """Deliver message ``m`` to its receiver, whose handler decides what happens."""
            # Called for every possible message in every state: the common cases (not in
            # flight; no fault in force) return or reach the handler in a few operations.
            net = get_net(s)
            if m not in net:
                return None
            f = get_faults(s)
            if f.down or f.sides:
                src, dst = route(m)
                if dst in f.down or not _same_side(f.sides, src, dst):
                    return None
            last = self._last
            kind = last[1].kind if last is not None and last[0] is cfg else plan(cfg).kind
            if kind.consumes:
                s = set_net(s, kind.take(net, m))
            return handlers[type(m)](cfg, s, m)

        def specialise(cfg: Any, m: Any) -> Call:
            # deliver(cfg, s, m) for one message, as the generated successor function makes
            # it: skipped unless m is in flight (tested inline), the handler bound once, and
            # the crash and partition checks left out when the configuration has neither.
            handler = handlers.get(type(m))
            if handler is None:  # reported by deliver itself, when it is called
                return Call(deliver, (m,))
            requires = (self.field, m)
            src, dst = route(m)
            p = plan(cfg)
            kind = p.kind
            if not (p.budget("crash") or p.budget("partition")):
                if not kind.consumes:
                    return Call(handler, (m,), requires)
                take = kind.take

                def deliver_m(cfg: Any, s: Any) -> Any:
                    return handler(cfg, set_net(s, take(get_net(s), m)), m)
                return Call(deliver_m, (), requires)
            if kind.consumes:
                take = kind.take

                def deliver_m(cfg: Any, s: Any) -> Any:
                    f = get_faults(s)
                    if (f.down or f.sides) and (
                            dst in f.down or not _same_side(f.sides, src, dst)):
                        return None
                    return handler(cfg, set_net(s, take(get_net(s), m)), m)
            else:
                def deliver_m(cfg: Any, s: Any) -> Any:
                    f = get_faults(s)
                    if (f.down or f.sides) and (
                            dst in f.down or not _same_side(f.sides, src, dst)):
                        return None
                    return handler(cfg, s, m)
            return Call(deliver_m, (), requires)

        deliver.specialise = specialise  # type: ignore[attr-defined]
        spec.action(m=messages)(deliver)
        self.deliver = deliver
        """The ``deliver`` action ``(cfg, state, m)``: ``m`` reaches its receiver's handler."""

        def network_fault(name: str, budget: str,
                          change: Callable[[_Kind, frozenset[Any], Any], frozenset[Any] | None],
                          doc: str) -> None:
            def fault(cfg: Any, s: Any, m: Any) -> Any:
                f = get_faults(s)
                left = getattr(f, budget)
                if left <= 0:
                    return None
                net = change(plan(cfg).kind, get_net(s), m)
                if net is None:
                    return None
                return set_both(s, net, f.replace(**{budget: left - 1}))
            fault.__name__ = fault.__qualname__ = name
            fault.__doc__ = doc
            spec.action(m=self._budgeted(budget, messages))(fault)

        network_fault("drop", "loss", lambda k, net, m: k.drop(net, m),
                      "Fault: message ``m`` is lost.")
        network_fault("duplicate", "dup", lambda k, net, m: k.dup(net, m),
                      "Fault: message ``m`` is duplicated.")
        network_fault("reorder", "reorder", lambda k, net, m: k.reorder(net, m),
                      "Fault: ``m`` overtakes the message before it on its channel.")

        def crashable(cfg: Any) -> Sequence[Any]:
            p = plan(cfg)
            return _values(self._crashable, cfg, "crashable") if self._crashable else p.nodes

        def crash(cfg: Any, s: Any, node: Any) -> Any:
            """Fault: ``node`` stops; nothing is delivered to it and it takes no step."""
            f = get_faults(s)
            if f.crash <= 0 or node in f.down:
                return None
            return set_faults(s, f.replace(crash=f.crash - 1, down=f.down | {node}))

        spec.action(node=self._budgeted("crash", crashable))(crash)

        def restart(cfg: Any, s: Any, node: Any) -> Any:
            """Fault: crashed ``node`` comes back, its volatile fields reset."""
            f = get_faults(s)
            if f.restart <= 0 or node not in f.down:
                return None
            p = plan(cfg)
            if p.init_state is None:
                first = spec.inits[0]
                p.init_state = first.fn(cfg, *first.instances(cfg)[0])
            changes = {name: set_at(getattr(s, name), node, getattr(p.init_state, name)[node])
                       for name in p.volatile}
            changes[self.faults_field] = f.replace(restart=f.restart - 1, down=f.down - {node})
            return s.replace(**changes) if isinstance(s, Record) \
                else dataclasses.replace(s, **changes)

        spec.action(node=self._budgeted("restart", crashable))(restart)

        def cuts(cfg: Any) -> Sequence[Any]:
            return _cuts(plan(cfg).nodes)

        def partition(cfg: Any, s: Any, sides: tuple[frozenset[Any], frozenset[Any]]) -> Any:
            """Fault: every link between the two ``sides`` is cut until they heal."""
            f = get_faults(s)
            if f.partition <= 0 or f.sides:
                return None
            return set_faults(s, f.replace(partition=f.partition - 1, sides=frozenset(sides)))

        spec.action(sides=self._budgeted("partition", cuts))(partition)

        def heal(cfg: Any, s: Any, sides: tuple[frozenset[Any], frozenset[Any]]) -> Any:
            """The partition between ``sides`` heals (not a fault: it uses no budget)."""
            f = get_faults(s)
            if f.sides != frozenset(sides):
                return None
            return set_faults(s, f.replace(sides=frozenset()))

        spec.action(sides=self._budgeted("partition", cuts))(heal)

        def timers(cfg: Any) -> Sequence[Any]:
            return tuple((t, n) for t, (_, nodes) in self.timers.items()
                         for n in _values(nodes, cfg, f"nodes of timer {t}"))

        def fire(cfg: Any, s: Any, timer: tuple[str, Any]) -> Any:
            """Fault: ``timer`` of a node fires out of turn."""
            f = get_faults(s)
            name, node = timer
            if f.timeout <= 0 or node in f.down:
                return None
            t = self.timers[name][0](cfg, s, node)
            if t is None:
                return None
            return set_faults(t, get_faults(t).replace(timeout=get_faults(t).timeout - 1))

        spec.action(timer=self._budgeted("timeout", timers))(fire)

        def drift(cfg: Any, s: Any, node: Any, delta: int) -> Any:
            """Fault: ``node``'s clock moves ``delta`` ticks."""
            f = get_faults(s)
            if f.drift <= 0 or node in f.down:
                return None
            ticks = dict(f.skew)
            t = ticks.get(node, 0) + delta
            skew = frozenset((n, x) for n, x in f.skew if n != node)
            if t:
                skew |= {(node, t)}
            return set_faults(s, f.replace(drift=f.drift - 1, skew=skew))

        spec.action(node=self._budgeted("drift", lambda cfg: plan(cfg).nodes),
                    delta=(-1, 1))(drift)

        def forgeable(cfg: Any) -> Sequence[Any]:
            assert self._forgeable is not None
            return _values(self._forgeable, cfg, "forgeable")

        def forge(cfg: Any, s: Any, m: Any) -> Any:
            """Fault: a Byzantine node sends ``m`` (a value of its choosing)."""
            f = get_faults(s)
            if f.equivocate <= 0 or route(m)[0] in f.down:
                return None
            net = plan(cfg).kind.put(get_net(s), m)
            return set_both(s, net, f.replace(equivocate=f.equivocate - 1))

        spec.action(m=self._budgeted("equivocate", forgeable))(forge)
        return ("drop", "duplicate", "reorder", "crash", "restart", "partition", "heal",
                "fire", "drift", "forge")

    # -- the spec's hooks ----------------------------------------------------------------------

    def _attach(self) -> None:
        """Fill in the hooks through which the engine learns of this network."""
        spec = self.spec
        spec.fault_actions = self.fault_actions
        spec.faults_param = self.budgets_field
        spec.fault_budgets = self.fault_budgets
        spec.supported_faults = self.supported
        spec.format_step = event_label
        spec.network_layout = self.layout

    def fault_budgets(self, cfg: Any) -> dict[str, int]:
        """The budget each fault action (but ``heal``, which spends none) may spend in
        ``cfg``."""
        budgets = getattr(cfg, self.budgets_field)
        faults = budgets if isinstance(budgets, Faults) else Faults(str(budgets))
        return {name: faults.budget(budget) for name, budget in FAULT_ACTIONS.items()
                if budget is not None}

    def layout(self, cfg: Any) -> NetworkLayout:
        """The nodes in ``cfg``, the state's fields, and the route of every message."""
        plan = self.plan(cfg)
        routes = tuple((m, *self.route(m)) for m in plan.messages)
        return NetworkLayout(plan.nodes, self.field, self.faults_field, routes)

    def supported(self, cfg: Any) -> dict[str, str | None]:
        """For each fault: None if configuration ``cfg`` can use it, else why not."""
        out: dict[str, str | None] = {}
        for fault in FAULTS:
            text = f"{fault}=1" if fault != "restart" else "crash=1,restart=1"
            try:
                self._make_plan(dataclasses.replace(cfg, **{self.budgets_field: Faults(text)}))
            except FaultError as e:
                out[fault] = e.message
            else:
                out[fault] = None
        return out


# -- helpers ---------------------------------------------------------------------------------


def _field_names(state: Any) -> tuple[str, ...] | None:
    if isinstance(state, type) and issubclass(state, Record):
        return tuple(state._fields)
    if isinstance(state, type) and dataclasses.is_dataclass(state):
        return tuple(f.name for f in dataclasses.fields(state))
    return None


def _fault_record(state: Any, name: str, where: str) -> type[FaultState]:
    try:
        hint = typing.get_type_hints(state).get(name) if state is not None else None
    except Exception:  # an unresolvable annotation: symmetry reports it if it matters
        hint = None
    if hint is None:
        return FaultState
    if isinstance(hint, type) and issubclass(hint, FaultState):
        return hint
    raise SpecDefinitionError(
        f"{where}: state field {name!r} is annotated {hint!r}; annotate it with a "
        "FaultState subclass: class Faults(FaultState, node=YourNodeType): ...")


def _setter(state: Any, *names: str) -> Callable[..., Any]:
    params = ", ".join(f"v{i}" for i in range(len(names)))
    if isinstance(state, type) and issubclass(state, Record):
        body = ", ".join(f"{n}=v{i}" for i, n in enumerate(names))
        env: dict[str, Any] = {}
        exec(f"def set_(s, {params}):\n    return s.replace({body})\n", env)
        fn: Callable[..., Any] = env["set_"]
        return fn

    def set_(s: Any, *values: Any) -> Any:
        return dataclasses.replace(s, **dict(zip(names, values)))
    return set_


def _signature_params(fn: Callable[..., Any]) -> Iterable[str]:
    import inspect
    return inspect.signature(fn).parameters


def _values(fn: Callable[[Any], Iterable[Any]], cfg: Any, what: str) -> tuple[Any, ...]:
    values = fn(cfg)
    if isinstance(values, (set, frozenset)):
        raise SpecDefinitionError(f"Network {what}: return a sequence in a fixed order, not a "
                                  "set (hash order would make the search nondeterministic)")
    return tuple(values)


def _fields(fields: Fields | None, cfg: Any) -> Sequence[str]:
    if fields is None:
        return ()
    return fields(cfg) if callable(fields) else fields


def _same_side(sides: frozenset[frozenset[Any]], a: Any, b: Any) -> bool:
    if not sides:
        return True
    for side in sides:
        if a in side:
            return b in side
    return True


def _cuts(nodes: Sequence[Any]) -> tuple[tuple[frozenset[Any], frozenset[Any]], ...]:
    """Every split of ``nodes`` into two non-empty sides, the first node's side first."""
    if len(nodes) < 2:
        return ()
    first, rest = nodes[0], nodes[1:]
    out = []
    for r in range(len(rest)):  # the first node's side has 1 .. len(nodes) - 1 nodes
        for combo in itertools.combinations(rest, r):
            side = frozenset((first, *combo))
            out.append((side, frozenset(n for n in nodes if n not in side)))
    return tuple(out)
