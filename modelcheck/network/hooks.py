"""What a network tells the engine about its spec, through the spec's hooks.

The engine knows nothing of networks: the shrinker, random search, the renderers and the
command line read the hooks of :class:`~modelcheck.spec.Spec`, which :func:`attach` fills
in for a network: which actions are faults and the budget each may spend, which faults a
configuration supports, how a step reads (the event vocabulary of
:mod:`modelcheck.render.labels`), and the nodes and message routes a sequence diagram
draws.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from modelcheck.network.core import NetworkCore
from modelcheck.network.faults import FAULT_ACTIONS, Faults
from modelcheck.render.labels import event_label
from modelcheck.spec import NetworkLayout
from modelcheck.state import JSON, to_json

__all__ = ["attach", "fault_budgets", "layout", "step_node"]

_MESSAGE_STEPS = ("deliver", "drop", "duplicate", "reorder", "forge")


def attach(net: NetworkCore, fault_actions: tuple[str, ...]) -> None:
    """Fill in the hooks of ``net``'s spec; ``fault_actions`` are the actions it added."""
    spec = net.spec
    spec.fault_actions = fault_actions
    spec.faults_param = net.budgets_field
    spec.fault_budgets = lambda cfg: fault_budgets(net, cfg)
    spec.supported_faults = net.supported
    spec.format_step = event_label
    spec.network_layout = lambda cfg: layout(net, cfg)
    spec.step_node = lambda cfg, action, args: step_node(net, cfg, action, args)


def fault_budgets(net: NetworkCore, cfg: Any) -> dict[str, int]:
    """The budget each fault action (but ``heal``, which spends none) may spend in ``cfg``."""
    budgets = getattr(cfg, net.budgets_field)
    faults = budgets if isinstance(budgets, Faults) else Faults(str(budgets))
    return {name: faults.budget(budget) for name, budget in FAULT_ACTIONS.items()
            if budget is not None}


def layout(net: NetworkCore, cfg: Any) -> NetworkLayout:
    """The nodes of ``net`` in ``cfg``, its fields, and the route of every message."""
    plan = net.plan(cfg)
    routes = tuple((m, *net.route(m)) for m in plan.messages)
    return NetworkLayout(plan.nodes, net.field, net.faults_field, routes)


def step_node(net: NetworkCore, cfg: Any, action: str, args: Mapping[str, JSON]) -> JSON:
    """The node that takes a step: the receiver of the message a message step (``deliver``,
    ``drop``, ...) takes, the node of a timer that fires, else the step's first argument
    (the node of ``net.action(node="i")`` steps and of crashes)."""
    if action in _MESSAGE_STEPS and set(args) == {"m"}:
        receivers = _receivers(net, cfg)
        return receivers.get(json.dumps(args["m"], sort_keys=True))
    timer = args.get("timer")
    if action == "fire" and isinstance(timer, list) and len(timer) == 2:
        return timer[1]
    return next(iter(args.values()), None)


@functools.lru_cache(maxsize=8)
def _receivers(net: NetworkCore, cfg: Any) -> dict[str, JSON]:
    """Each message ``cfg`` can put in flight (by its JSON text) -> its receiver."""
    return {json.dumps(to_json(m), sort_keys=True): to_json(net.route(m)[1])
            for m in net.plan(cfg).messages}
