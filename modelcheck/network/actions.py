"""The actions a network adds to its spec: ``deliver`` for every message, and the faults.

Each is an ordinary action of the spec, built here as a function of the state over the
network's fields. A fault action's domain is empty unless its budget in the configuration
is positive, so a model without faults has no fault instance at all; a fault's step spends
one unit of its budget (kept in the state's :class:`~modelcheck.network.FaultState`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from modelcheck.network.core import NetworkCore, _same_side, _values
from modelcheck.network.faults import FAULT_ACTIONS
from modelcheck.network.kinds import _Kind
from modelcheck.spec import Specialised
from modelcheck.state import Record, set_at

__all__ = ["add_actions", "deliver_action"]

Action = Callable[..., Any]


def add_actions(net: NetworkCore, deliver: Action) -> tuple[str, ...]:
    """Add ``deliver`` and then every fault action to ``net``'s spec, in the order of
    :data:`~modelcheck.network.faults.FAULT_ACTIONS`; the fault actions' names."""
    spec, plan, budgeted = net.spec, net.plan, net._budgeted
    messages = _messages(net)
    spec.action(m=messages)(deliver)
    spec.action(m=budgeted("loss", messages))(_message_fault(
        net, "drop", "loss", lambda k, n, m: k.drop(n, m), "Fault: message ``m`` is lost."))
    spec.action(m=budgeted("dup", messages))(_message_fault(
        net, "duplicate", "dup", lambda k, n, m: k.dup(n, m),
        "Fault: message ``m`` is duplicated."))
    spec.action(m=budgeted("reorder", messages))(_message_fault(
        net, "reorder", "reorder", lambda k, n, m: k.reorder(n, m),
        "Fault: ``m`` overtakes the message before it on its channel."))
    crashable = _crashable(net)
    spec.action(node=budgeted("crash", crashable))(_crash(net))
    spec.action(node=budgeted("restart", crashable))(_restart(net))
    cuts = _cut_domain(net)
    spec.action(sides=budgeted("partition", cuts))(_partition(net))
    spec.action(sides=budgeted("partition", cuts))(_heal(net))
    spec.action(timer=budgeted("timeout", _timers(net)))(_fire(net))
    spec.action(node=budgeted("drift", lambda cfg: plan(cfg).nodes), delta=(-1, 1))(_drift(net))
    spec.action(m=budgeted("equivocate", _forgeable(net)))(_forge(net))
    return tuple(FAULT_ACTIONS)


# -- deliver ------------------------------------------------------------------------------


def deliver_action(net: NetworkCore) -> Action:
    """The ``deliver`` action ``(cfg, state, m)`` of ``net``: ``m`` reaches its receiver's
    handler (unless the receiver is down or cut off), with its ``specialise``."""
    get_net, get_faults, set_net = net.get_net, net.get_faults, net.set_net
    route, handlers, plan = net.route, net.handlers, net.plan

    def deliver(cfg: Any, s: Any, m: Any) -> Any:
        """Deliver message ``m`` to its receiver, whose handler decides what happens."""
        # Called for every possible message in every state: the common cases (not in
        # flight; no fault in force) return or reach the handler in a few operations.
        net_value = get_net(s)
        if m not in net_value:
            return None
        f = get_faults(s)
        if f.down or f.sides:
            src, dst = route(m)
            if dst in f.down or not _same_side(f.sides, src, dst):
                return None
        last = net._last
        kind = last[1].kind if last is not None and last[0] is cfg else plan(cfg).kind
        if kind.consumes:
            s = set_net(s, kind.take(net_value, m))
        return handlers[type(m)](cfg, s, m)

    deliver.specialise = _deliver_specialiser(net, deliver)  # type: ignore[attr-defined]
    return deliver


def _deliver_specialiser(net: NetworkCore, deliver: Action) -> Callable[..., Specialised]:
    """``deliver(cfg, s, m)`` for one message, as the generated successor function makes
    it: skipped unless ``m`` is in flight (tested inline), the handler bound once, and the
    crash and partition checks left out when the configuration has neither."""
    get_net, get_faults, set_net = net.get_net, net.get_faults, net.set_net
    route, handlers, plan = net.route, net.handlers, net.plan

    def specialise(cfg: Any, m: Any) -> Specialised:
        handler = handlers.get(type(m))
        if handler is None:  # reported by deliver itself, when it is called
            return Specialised(deliver, (m,))
        requires = (net.field, m)
        src, dst = route(m)
        p = plan(cfg)
        kind = p.kind
        if not (p.budget("crash") or p.budget("partition")):
            if not kind.consumes:
                return Specialised(handler, (m,), requires)
            take = kind.take

            def deliver_m(cfg: Any, s: Any) -> Any:
                return handler(cfg, set_net(s, take(get_net(s), m)), m)
            return Specialised(deliver_m, (), requires)
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
        return Specialised(deliver_m, (), requires)

    return specialise


# -- faults of messages: loss, dup, reorder, equivocate -----------------------------------------


def _messages(net: NetworkCore) -> Callable[[Any], Sequence[Any]]:
    plan = net.plan

    def messages(cfg: Any) -> Sequence[Any]:
        return plan(cfg).messages
    return messages


def _message_fault(net: NetworkCore, name: str, budget: str,
                   change: Callable[[_Kind, frozenset[Any], Any], frozenset[Any] | None],
                   doc: str) -> Action:
    """The fault action ``name`` ``(cfg, state, m)``: the network after ``change``, which
    spends one unit of ``budget``."""
    get_net, get_faults, set_both, plan = net.get_net, net.get_faults, net.set_both, net.plan

    def fault(cfg: Any, s: Any, m: Any) -> Any:
        f = get_faults(s)
        left = getattr(f, budget)
        if left <= 0:
            return None
        net_value = change(plan(cfg).kind, get_net(s), m)
        if net_value is None:
            return None
        return set_both(s, net_value, f.replace(**{budget: left - 1}))
    fault.__name__ = fault.__qualname__ = name
    fault.__doc__ = doc
    return fault


def _forgeable(net: NetworkCore) -> Callable[[Any], Sequence[Any]]:
    def forgeable(cfg: Any) -> Sequence[Any]:
        assert net._forgeable is not None
        return _values(net._forgeable, cfg, "forgeable")
    return forgeable


def _forge(net: NetworkCore) -> Action:
    get_net, get_faults, set_both = net.get_net, net.get_faults, net.set_both
    route, plan = net.route, net.plan

    def forge(cfg: Any, s: Any, m: Any) -> Any:
        """Fault: a Byzantine node sends ``m`` (a value of its choosing)."""
        f = get_faults(s)
        if f.equivocate <= 0 or route(m)[0] in f.down:
            return None
        net_value = plan(cfg).kind.put(get_net(s), m)
        return set_both(s, net_value, f.replace(equivocate=f.equivocate - 1))
    return forge


# -- faults of nodes: crash, restart, timeout, drift -------------------------------------------


def _crashable(net: NetworkCore) -> Callable[[Any], Sequence[Any]]:
    plan = net.plan

    def crashable(cfg: Any) -> Sequence[Any]:
        p = plan(cfg)
        return _values(net._crashable, cfg, "crashable") if net._crashable else p.nodes
    return crashable


def _crash(net: NetworkCore) -> Action:
    get_faults, set_faults = net.get_faults, net.set_faults

    def crash(cfg: Any, s: Any, node: Any) -> Any:
        """Fault: ``node`` stops; nothing is delivered to it and it takes no step."""
        f = get_faults(s)
        if f.crash <= 0 or node in f.down:
            return None
        return set_faults(s, f.replace(crash=f.crash - 1, down=f.down | {node}))
    return crash


def _restart(net: NetworkCore) -> Action:
    spec, get_faults, plan = net.spec, net.get_faults, net.plan

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
        changes[net.faults_field] = f.replace(restart=f.restart - 1, down=f.down - {node})
        return s.replace(**changes) if isinstance(s, Record) \
            else dataclasses.replace(s, **changes)
    return restart


def _timers(net: NetworkCore) -> Callable[[Any], Sequence[Any]]:
    def timers(cfg: Any) -> Sequence[Any]:
        return tuple((t, n) for t, (_, nodes) in net.timers.items()
                     for n in _values(nodes, cfg, f"nodes of timer {t}"))
    return timers


def _fire(net: NetworkCore) -> Action:
    get_faults, set_faults = net.get_faults, net.set_faults

    def fire(cfg: Any, s: Any, timer: tuple[str, Any]) -> Any:
        """Fault: ``timer`` of a node fires out of turn."""
        f = get_faults(s)
        name, node = timer
        if f.timeout <= 0 or node in f.down:
            return None
        t = net.timers[name][0](cfg, s, node)
        if t is None:
            return None
        return set_faults(t, get_faults(t).replace(timeout=get_faults(t).timeout - 1))
    return fire


def _drift(net: NetworkCore) -> Action:
    get_faults, set_faults = net.get_faults, net.set_faults

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
    return drift


# -- faults of links: partition, heal ----------------------------------------------------------


def _cut_domain(net: NetworkCore) -> Callable[[Any], Sequence[Any]]:
    plan = net.plan

    def cuts(cfg: Any) -> Sequence[Any]:
        return _cuts(plan(cfg).nodes)
    return cuts


def _partition(net: NetworkCore) -> Action:
    get_faults, set_faults = net.get_faults, net.set_faults

    def partition(cfg: Any, s: Any, sides: tuple[frozenset[Any], frozenset[Any]]) -> Any:
        """Fault: every link between the two ``sides`` is cut until they heal."""
        f = get_faults(s)
        if f.partition <= 0 or f.sides:
            return None
        return set_faults(s, f.replace(partition=f.partition - 1, sides=frozenset(sides)))
    return partition


def _heal(net: NetworkCore) -> Action:
    get_faults, set_faults = net.get_faults, net.set_faults

    def heal(cfg: Any, s: Any, sides: tuple[frozenset[Any], frozenset[Any]]) -> Any:
        """The partition between ``sides`` heals (not a fault: it uses no budget)."""
        f = get_faults(s)
        if f.sides != frozenset(sides):
            return None
        return set_faults(s, f.replace(sides=frozenset()))
    return heal


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
