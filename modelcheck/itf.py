"""The Informal Trace Format (ITF) of Apalache and Quint: traces that move between tools.

An ITF trace (``*.itf.json``) is a JSON object with ``#meta``, ``vars``, ``states`` (one
object per state, its variables by name) and, for a lasso, ``loop``. Values are JSON
numbers, strings and booleans, lists, records (objects), and objects tagged ``#tup``,
``#set``, ``#map``, ``#bigint`` and ``#unserializable``; Quint writes a value of a sum type
as ``{"tag": NAME, "value": PAYLOAD}``. modelcheck maps its values both ways:

============================  ======================================================
modelcheck                    ITF
============================  ======================================================
a record or dataclass ``T``   the variant ``{"tag": "T", "value": {field: ...}}``
                              (``{"#tup": []}`` as the payload when it has no field)
a tuple / a list              ``{"#tup": [...]}`` / a list
a set or frozenset            ``{"#set": [...]}``
a dict or a ``Map``            ``{"#map": [[key, value], ...]}`` (keys other than
                              numbers and strings as their Python text)
a model value (``r1``)        its name, a string
an int beyond 2**53 - 1       ``{"#bigint": "digits"}`` (read for any int)
an enum member                its name, a string
None                          the variant ``None``, Quint's empty Option
an unencodable value          ``{"#unserializable": "its repr"}``
============================  ======================================================

Read back, each gives exactly the state modelcheck recorded, so a trace written as ITF
replays as its JSON form does. What else ITF holds is read too: a plain record is a dict
of its fields, a variant ``Some(v)`` is ``v``, and a state's own variables are the spec's
state fields. Each state names the step that produced it the way Quint's ``--mbt`` does:
``mbt::actionTaken`` is the action's name and ``mbt::nondetPicks`` a record of its
arguments, each ``Some(value)`` (or ``None``, not an argument of this step).
``#meta.modelcheck`` keeps the spec, variant, parameters and state type of a trace
modelcheck wrote; a trace from another tool has none, so it is read against the spec the
user names, in its default configuration.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modelcheck.errors import TraceFormatError
from modelcheck.state import JSON, Map, ModelValue, Record, _sort_key

__all__ = ["ACTION_TAKEN", "NONDET_PICKS", "SUFFIX", "decode", "encode", "encode_json",
           "is_itf", "is_itf_path", "read", "write"]

SUFFIX = ".itf.json"
"""The file name ending that asks for an ITF trace."""

ACTION_TAKEN = "mbt::actionTaken"
NONDET_PICKS = "mbt::nondetPicks"

_SAFE = 2**53 - 1  # the largest integer every JSON reader keeps exactly
_UNIT: JSON = {"#tup": []}
_DIGITS = re.compile(r"-?[0-9]{1,4300}")
_DEPTH = 200


def _at(where: str, key: str, sep: str = ".") -> str:
    """``where`` followed by ``key``, quoted unless it is a plain name (a key may hold any
    character, and an error message stays one line)."""
    return f"{where}{sep}{key if key.isidentifier() else json.dumps(key)}"


def is_itf_path(path: str | Path) -> bool:
    """Whether a file name asks for ITF: it ends in ``.itf.json``."""
    return str(path).lower().endswith(SUFFIX)


def is_itf(data: Any) -> bool:
    """Whether parsed JSON is an ITF trace rather than a ``modelcheck-trace/1`` one."""
    return isinstance(data, dict) and "format" not in data and (
        "states" in data or "#meta" in data)


# -- writing ----------------------------------------------------------------------------------


def encode(value: Any) -> JSON:
    """A Python value of a state as an ITF value."""
    if value is None:
        return {"tag": "None", "value": _UNIT}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, ModelValue):
        return repr(value)
    if isinstance(value, int):
        return value if -_SAFE <= value <= _SAFE else {"#bigint": str(value)}
    if isinstance(value, Record):
        return _variant(type(value).__name__,
                        {f: encode(v) for f, v in zip(value._fields, value[1:])})
    if isinstance(value, tuple):
        return {"#tup": [encode(v) for v in value]}
    if isinstance(value, (list, range)):
        return [encode(v) for v in value]
    if isinstance(value, (frozenset, set)):
        return {"#set": [encode(v) for v in value]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _variant(type(value).__name__, {f.name: encode(getattr(value, f.name))
                                               for f in dataclasses.fields(value)})
    if isinstance(value, (dict, Map)):
        return {"#map": [[_key(k), encode(v)] for k, v in value.items()]}
    return {"#unserializable": repr(value)}


def encode_json(value: JSON) -> JSON:
    """A value in modelcheck's JSON encoding of states as an ITF value (for a trace read
    from a file, whose Python states are gone: its tuples and sets are written as lists)."""
    if value is None:
        return {"tag": "None", "value": _UNIT}
    if isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        return value if -_SAFE <= value <= _SAFE else {"#bigint": str(value)}
    if isinstance(value, list):
        return [encode_json(v) for v in value]
    if isinstance(value, dict):
        if isinstance(value.get("$type"), str):
            return _variant(value["$type"], {k: encode_json(v) for k, v in value.items()
                                             if k != "$type"})
        if set(value) == {"$repr"}:
            return {"#unserializable": value["$repr"]}
        return {"#map": [[k, encode_json(v)] for k, v in value.items()]}
    return {"#unserializable": repr(value)}


def _variant(tag: str, fields: dict[str, JSON]) -> JSON:
    return {"tag": tag, "value": fields if fields else _UNIT}


def _key(k: Any) -> JSON:
    # modelcheck's JSON names a dict key by its Python text; numbers and strings keep their
    # ITF form, other keys are written as that text so that they read back the same.
    if isinstance(k, enum.Enum) or not isinstance(k, (str, int, float)):
        return str(k)
    return encode(k)


def write(trace: Any) -> dict[str, JSON]:
    """``trace`` (a :class:`~modelcheck.trace.Trace`) as an ITF object."""
    states = trace.states if trace.states is not None and len(trace.states) == len(
        trace.steps) else None
    out: list[dict[str, JSON]] = []
    state_type: str | None = None
    names: list[str] = []
    for i, step in enumerate(trace.steps):
        value = encode(states[i]) if states is not None else encode_json(step.state)
        if isinstance(value, dict) and "tag" in value and isinstance(value.get("value"), dict):
            state_type = value["tag"]
            fields = value["value"] if value["value"] != _UNIT else {}
        else:
            fields = {"state": value}
        if not names:
            names = list(fields)
        picks = {k: {"tag": "Some", "value": encode_json(v)} for k, v in step.args.items()}
        out.append({"#meta": {"index": i}, **fields, ACTION_TAKEN: step.action,
                    NONDET_PICKS: picks})
    meta: dict[str, JSON] = {
        "format": "ITF",
        "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
        "source": trace.spec,
        "description": "Created by modelcheck",
        "modelcheck": {"spec": trace.spec, "variant": trace.variant,
                       "params": dict(trace.params), "state": state_type},
    }
    data: dict[str, JSON] = {"#meta": meta, "vars": [*names, ACTION_TAKEN, NONDET_PICKS],
                             "states": out}
    if trace.loop_start is not None:
        data["loop"] = trace.loop_start
    return data


# -- reading ----------------------------------------------------------------------------------


def decode(value: JSON, where: str, depth: int = 0) -> JSON:
    """An ITF value in modelcheck's JSON encoding of states; ``where`` names it in errors."""
    if depth > _DEPTH:
        raise TraceFormatError(f"{where}: values nest more than {_DEPTH} levels deep")
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= _SAFE else value
    if isinstance(value, list):
        return [decode(v, where, depth + 1) for v in value]
    if not isinstance(value, dict):
        raise TraceFormatError(f"{where}: {json.dumps(value)} is not an ITF value")
    if "tag" in value and "value" in value and len(value) == 2:
        return _decode_variant(value["tag"], value["value"], where, depth)
    special = [k for k in value if k.startswith("#")]
    if special:
        if len(value) != 1:
            raise TraceFormatError(f"{where}: an object with {special[0]!r} may hold nothing "
                                   "else")
        return _decode_special(special[0], value[special[0]], where, depth)
    return {k: decode(v, _at(where, k), depth + 1) for k, v in value.items()}


def _decode_variant(tag: JSON, payload: JSON, where: str, depth: int) -> JSON:
    if not isinstance(tag, str):
        raise TraceFormatError(f"{where}: a variant's tag must be a string")
    unit = payload == _UNIT or payload == {}
    if tag == "None" and unit:
        return None
    if unit:
        return {"$type": tag}
    if tag == "Some":
        return decode(payload, where, depth + 1)
    if not (isinstance(payload, dict) and payload
            and not any(k.startswith("#") or k == "$type" for k in payload)):
        raise TraceFormatError(
            f"{where}: variant {tag!r} must carry a record (its fields) or nothing, as a "
            "modelcheck record does")
    return {"$type": tag, **{k: decode(v, _at(where, k), depth + 1)
                             for k, v in payload.items()}}


def _decode_special(key: str, body: JSON, where: str, depth: int) -> JSON:
    if key == "#bigint":
        if not (isinstance(body, str) and _DIGITS.fullmatch(body)):
            raise TraceFormatError(f"{where}: #bigint must be a string of decimal digits")
        return int(body)
    if key in ("#tup", "#set"):
        if not isinstance(body, list):
            raise TraceFormatError(f"{where}: {key} must hold a list")
        items = [decode(v, where, depth + 1) for v in body]
        return sorted(items, key=_sort_key) if key == "#set" else items
    if key == "#map":
        if not (isinstance(body, list) and all(
                isinstance(p, list) and len(p) == 2 for p in body)):
            raise TraceFormatError(f"{where}: #map must hold a list of [key, value] pairs")
        return {_key_text(decode(k, where, depth + 1)): decode(v, where, depth + 1)
                for k, v in body}
    if key == "#unserializable":
        if not isinstance(body, str):
            raise TraceFormatError(f"{where}: #unserializable must hold a string")
        return {"$repr": body}
    raise TraceFormatError(f"{where}: unknown ITF value {key!r}")


def _key_text(k: JSON) -> str:
    """A map key as modelcheck's JSON names it: the Python text of the key."""
    if isinstance(k, (str, int, float, bool)) or k is None:
        return str(k)
    return json.dumps(k, sort_keys=True)


def read(data: Any) -> dict[str, JSON]:
    """An ITF trace as a ``modelcheck-trace/1`` object; raises TraceFormatError saying what
    is wrong."""
    if not isinstance(data, dict):
        raise TraceFormatError("an ITF trace must be a JSON object")
    meta = data.get("#meta", {})
    if not isinstance(meta, dict):
        raise TraceFormatError("ITF field '#meta' must be an object")
    own = meta.get("modelcheck", {})
    if not isinstance(own, dict):
        raise TraceFormatError("ITF field '#meta.modelcheck' must be an object")
    states = data.get("states")
    if not isinstance(states, list) or not states:
        raise TraceFormatError("ITF field 'states' must be a non-empty list of objects")
    names = data.get("vars")
    if names is not None and not (isinstance(names, list)
                                  and all(isinstance(n, str) for n in names)):
        raise TraceFormatError("ITF field 'vars' must be a list of variable names")
    state_type = own.get("state")
    if state_type is not None and not isinstance(state_type, str):
        raise TraceFormatError("ITF field '#meta.modelcheck.state' must be a string")
    steps: list[JSON] = []
    for i, raw in enumerate(states):
        steps.append(_read_state(raw, i, names, state_type, "modelcheck" in meta))
    spec = own.get("spec", meta.get("source", ""))
    loop = data.get("loop")
    return {"format": "modelcheck-trace/1",
            "spec": spec if isinstance(spec, str) else "",
            "variant": own.get("variant"), "params": own.get("params", {}),
            "steps": steps, "loop_start": loop}


def _read_state(raw: JSON, i: int, names: Sequence[str] | None,
                state_type: str | None, ours: bool) -> JSON:
    where = f"ITF state {i}"
    if not isinstance(raw, dict):
        raise TraceFormatError(f"{where} must be an object of variables")
    action = raw.get(ACTION_TAKEN)
    if not isinstance(action, str) or not action:
        raise TraceFormatError(
            f"{where} names no action ({ACTION_TAKEN!r}, a string): modelcheck replays a "
            "trace step by step, by its actions (Quint writes them with --mbt)")
    picks = raw.get(NONDET_PICKS, {})
    if not isinstance(picks, dict):
        raise TraceFormatError(f"{where}: {NONDET_PICKS!r} must be a record")
    args: dict[str, JSON] = {}
    for name, pick in picks.items():
        if not (isinstance(pick, dict) and set(pick) == {"tag", "value"}
                and pick["tag"] in ("Some", "None")):
            at = _at(f"{where}: {NONDET_PICKS}", name)
            raise TraceFormatError(f"{at} must be Some(value) or None")
        if pick["tag"] == "Some":
            args[name] = decode(pick["value"], _at(f"{where}: {NONDET_PICKS}", name))
    fields = {k: v for k, v in raw.items()
              if k not in ("#meta", ACTION_TAKEN, NONDET_PICKS)}
    if names is not None:
        missing = [n for n in names if n not in raw]
        if missing:
            raise TraceFormatError(f"{where} lacks variables {missing} that 'vars' lists")
    decoded = {k: decode(v, _at(where, k, ": ")) for k, v in fields.items()}
    if ours and state_type is None and set(decoded) == {"state"}:
        state: JSON = decoded["state"]  # a state that is not a record
    else:
        state = {"$type": state_type, **decoded} if state_type is not None else decoded
    return {"action": action, "args": args, "state": state}
