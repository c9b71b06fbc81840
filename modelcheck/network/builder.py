"""The network a spec declares: :class:`Network`, its declarations and its helpers for specs.

A spec creates one ``Network`` over its state, declares a handler per message type, the
steps its nodes take and its timers, and uses the helpers (``send``, ``broadcast``,
``up``...) in its actions. Creating it adds the ``deliver`` and fault actions to the spec
(:mod:`~modelcheck.network.actions`) and fills in the spec's hooks
(:mod:`~modelcheck.network.hooks`).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

from modelcheck.errors import SpecDefinitionError
from modelcheck.network.actions import add_actions, deliver_action
from modelcheck.network.core import (
    Fields,
    Handler,
    NetworkCore,
    Nodes,
    _fault_record,
    _field_names,
    _same_side,
    _setter,
)
from modelcheck.network.faults import FAULTS, FaultState
from modelcheck.network.hooks import attach
from modelcheck.network.kinds import KINDS
from modelcheck.spec import Spec, Specialised

__all__ = ["Network"]


def _default_route(m: Any) -> tuple[Any, Any]:
    return m.src, m.dst


class Network(NetworkCore):
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
    is the message domain of a Byzantine node (``equivocate``). ``refused`` maps a fault
    the model does not cover to the reason, which a ``--faults`` asking for it is refused
    with (e.g. a protocol that assumes reliable links, whose properties read a set network
    as the record of what was sent, refuses ``loss``).
    """

    def __init__(self, spec: Spec, *, messages: Callable[[Any], Iterable[Any]],
                 nodes: Nodes, kind: str | Callable[[Any], str] = "bag",
                 route: Callable[[Any], tuple[Any, Any]] = _default_route,
                 field: str = "msgs", faults_field: str = "faults",
                 budgets_field: str = "faults", crashable: Nodes | None = None,
                 durable: Fields | None = None, volatile: Fields | None = None,
                 forgeable: Callable[[Any], Iterable[Any]] | None = None,
                 refused: Mapping[str, str] | None = None) -> None:
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
        self._refused = dict(refused or {})
        unknown = sorted(set(self._refused) - set(FAULTS))
        if unknown:
            raise SpecDefinitionError(f"{where}: refused={unknown} are not faults; the faults: "
                                      f"{', '.join(FAULTS)}")
        self.handlers = {}
        self.timers = {}
        self.get_net = operator.attrgetter(field)
        self.get_faults = operator.attrgetter(faults_field)
        self.set_net = _setter(state, field)
        self.set_faults = _setter(state, faults_field)
        self.set_both = _setter(state, field, faults_field)
        self._last = None
        self.deliver = deliver_action(self)
        """The ``deliver`` action ``(cfg, state, m)``: ``m`` reaches its receiver's handler."""
        self.fault_actions = add_actions(self, self.deliver)
        """The names of the fault actions added to the spec (``heal`` among them)."""
        attach(self, self.fault_actions)

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

            def specialise(cfg: Any, *args: Any) -> Specialised:
                # No node ever crashes without a crash budget: the step is the spec's own.
                return Specialised(guarded if self.plan(cfg).budget("crash") else fn, args)

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


def _signature_params(fn: Callable[..., Any]) -> Iterable[str]:
    import inspect
    return inspect.signature(fn).parameters
