"""How a step reads in a rendering: ``action(a=1)``, or an event for network and fault steps.

Every trace shares one step vocabulary for messages and faults, whatever spec recorded it:
``deliver``, ``drop``, ``duplicate``, ``reorder`` and ``forge`` of a message ``m``,
``crash`` and ``restart`` of a ``node``, ``partition`` and ``heal`` of two ``sides``,
``fire`` of a ``timer`` and ``drift`` of a ``node`` by a ``delta``. Such a step reads as an
event (``✗ drop RequestVoteRequest(0→1, term=1)``, ``⚡ crash 2``, ``⟂ partition {0} |
{1, 2}``), so that a trace file reads the same with or without its spec. A spec's own
:attr:`~modelcheck.spec.Spec.format_step` hook, when the spec is known, comes first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelcheck.spec import Spec
from modelcheck.state import format_value
from modelcheck.trace import Step

__all__ = ["event_label", "step_label"]


def step_label(step: Step, spec: Spec | None = None) -> str:
    """How ``step`` reads: as ``spec``'s ``format_step`` hook says, if ``spec`` is given and
    has one that says; else as an event of the network and fault vocabulary; else
    ``action(a=1)`` (:meth:`~modelcheck.trace.Step.label`)."""
    own = step.own_label(spec)
    if own is not None:
        return own
    event = event_label(step.action, step.args)
    return event if event is not None else step.label()


def _text(v: Any) -> str:
    return format_value(v)


def _message(v: Any) -> str | None:
    """``RequestVoteRequest(0→1, term=1)`` for a JSON-encoded message record."""
    if not (isinstance(v, dict) and isinstance(v.get("$type"), str)):
        return None
    return format_value(v)


def _side(v: Any) -> str:
    return "{" + ", ".join(_text(x) for x in v) + "}" if isinstance(v, list) else _text(v)


def _sides(v: Any) -> str | None:
    if isinstance(v, list) and len(v) == 2:
        return f"{_side(v[0])} | {_side(v[1])}"
    return None


_GLYPHS = {"deliver": "", "drop": "✗ ", "duplicate": "⧉ ", "reorder": "⇅ ", "forge": "☠ "}


def event_label(action: str, args: Mapping[str, Any]) -> str | None:
    """How a network or fault step reads in a trace (``✗ drop RequestVoteRequest(0→1,
    term=1)``, ``⚡ crash 2``, ``⟂ partition {0} | {1, 2}``); None for other steps."""
    keys = set(args)
    if action in _GLYPHS and keys == {"m"}:
        msg = _message(args["m"])
        return None if msg is None else f"{_GLYPHS[action]}{action} {msg}"
    if action in ("crash", "restart") and keys == {"node"}:
        return f"{'⚡' if action == 'crash' else '↺'} {action} {_text(args['node'])}"
    if action in ("partition", "heal") and keys == {"sides"}:
        sides = _sides(args["sides"])
        return None if sides is None else f"⟂ {action} {sides}"
    if action == "fire" and keys == {"timer"} and isinstance(args["timer"], list) \
            and len(args["timer"]) == 2:
        return f"⏰ fire {_text(args['timer'][0])} {_text(args['timer'][1])}"
    if action == "drift" and keys == {"node", "delta"} and isinstance(args["delta"], int):
        return f"⌚ drift {_text(args['node'])} {args['delta']:+d}"
    return None
