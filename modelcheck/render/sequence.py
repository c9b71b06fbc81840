"""A trace of a spec whose nodes exchange messages read as a message-sequence chart.

The nodes are the participants. Each delivered message is an arrow from the step that
sent it to the step that delivered it; drops, duplications, crashes, restarts and
partitions are fault notes; every other change of the state is a note on the node it
belongs to. Mermaid (:mod:`modelcheck.render.mermaid`), SVG (:mod:`modelcheck.render.svg`)
and the HTML viewer draw this one reading of the trace.

The chart is computed from the trace's JSON states and a :class:`Topology`: the nodes, the
state fields holding the network and the faults, and each message's route, known from the
spec's message domain (its :attr:`~modelcheck.spec.Spec.network_layout` hook, which a
spec's ``Network`` fills in). Who sent a message is its route's source; the step that sent it is
the first step after which one more copy of it is in flight. A per-node change is a change
of ``field[k]`` where ``k`` is a node (Raft's ``current_term[1]``); any other change goes
to the node that took the step: the receiver of a delivery, the node a fault hits, the
single node among the action's arguments, or the single sender of what the step sent.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.render.labels import step_label
from modelcheck.render.text import Change, diff, render_change, render_value
from modelcheck.spec import Spec
from modelcheck.state import JSON, to_json
from modelcheck.trace import Trace, model_for

__all__ = ["Arrow", "Chart", "Note", "Row", "Topology", "chart", "message_text", "topology",
           "topology_for"]

_WRAPPERS = ("Copies", "Behind")


@dataclass(frozen=True)
class Topology:
    """What a chart needs to know of a spec's network, in JSON terms."""

    nodes: tuple[JSON, ...]
    """The nodes, in the spec's order: the participants of the chart."""
    field: str
    """The state field holding the network."""
    faults_field: str
    """The state field holding the fault state."""
    routes: Mapping[str, tuple[JSON, JSON]]
    """``(sender, receiver)`` of every message of the spec's domain, by its JSON key."""

    def route(self, m: JSON) -> tuple[JSON, JSON] | None:
        """The route of message ``m`` (JSON); messages outside the domain use their
        ``src`` and ``dst`` fields when they have them."""
        found = self.routes.get(_key(m))
        if found is not None:
            return found
        if isinstance(m, dict) and "src" in m and "dst" in m:
            return m["src"], m["dst"]
        return None

    def node_index(self, v: JSON) -> int | None:
        """The position of node ``v`` among the participants, or None."""
        for i, n in enumerate(self.nodes):
            if n == v:
                return i
        return None


def topology(spec: Spec, config: Any) -> Topology | None:
    """The topology of ``spec``'s network in configuration ``config``; None without one."""
    if spec.network_layout is None:
        return None
    layout = spec.network_layout(config)
    routes = {}
    for m, src, dst in layout.routes:
        routes[_key(to_json(m))] = (to_json(src), to_json(dst))
    return Topology(tuple(to_json(n) for n in layout.nodes), layout.field, layout.faults_field,
                    routes)


def topology_for(trace: Trace, spec: Spec | None = None) -> Topology:
    """The topology of the spec ``trace`` was recorded from, in its configuration.

    ``spec`` defaults to the catalogue entry of the trace's spec name: a name read from a
    file is only looked up among the catalogue's entries, never loaded as a file or
    module. A UsageError says why there is none: an unknown spec, or one without a
    network (no :attr:`~modelcheck.spec.Spec.network_layout`).
    """
    if spec is None:
        from modelcheck.catalogue import find
        spec = find(trace.spec)
        if spec is None:
            raise UsageError(f"the trace names spec {trace.spec!r}, which is not a catalogue "
                             "entry; give the spec it belongs to")
    try:
        model = model_for(spec, trace)
    except ModelcheckError as e:
        raise UsageError(f"cannot draw the trace against spec {spec.name!r}: {e}") from e
    found = topology(spec, model.config)
    if found is None:
        raise UsageError(
            f"spec {spec.name!r} is not built on modelcheck.network, so its traces have no "
            "messages or nodes to draw a sequence diagram of; use --format text or html")
    return found


# -- the chart ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrow:
    """Message ``text`` from participant ``src`` (sent at step ``sent``) delivered to
    participant ``dst`` at step ``delivered``; participants are indices into the nodes."""

    src: int
    dst: int
    sent: int
    delivered: int
    text: str


@dataclass(frozen=True)
class Note:
    """Lines shown over participants ``first`` .. ``last``; ``fault`` marks a fault."""

    first: int
    last: int
    lines: tuple[str, ...]
    fault: bool = False


@dataclass
class Row:
    """What step ``step`` of the trace draws: its arrow (if a delivery) and notes."""

    step: int
    label: str
    actor: int | None
    arrow: Arrow | None = None
    notes: list[Note] = field(default_factory=list)
    sent: list[tuple[int, int, str]] = field(default_factory=list)
    """``(src, dst, text)`` of each message this step put in flight."""
    down: frozenset[int] = frozenset()
    """Participants that are crashed after this step."""


@dataclass(frozen=True)
class Chart:
    """A trace as a sequence chart: participants' names and one row per step after init."""

    participants: tuple[str, ...]
    rows: tuple[Row, ...]
    in_flight: tuple[tuple[int, int, int, str], ...]
    """``(src, dst, sent, text)`` of each message in the network at the end (on a ``set``
    network, delivered messages stay there)."""
    loop_start: int | None


def message_text(m: JSON) -> str:
    """``RequestVoteRequest(term=1)``: a message without its route fields (its arrow shows
    them), formatted as every rendering formats values."""
    if isinstance(m, dict) and isinstance(m.get("$type"), str):
        return render_value({k: v for k, v in m.items() if k not in ("src", "dst")})
    return render_value(m)


def chart(trace: Trace, topo: Topology, *, spec: Spec | None = None) -> Chart:
    """Read ``trace`` as a sequence chart over ``topo``'s nodes (``spec``, when known, says
    how its steps read: :func:`~modelcheck.render.labels.step_label`)."""
    nodes = topo.nodes
    everyone = (0, len(nodes) - 1)
    pending: dict[str, list[int]] = {}  # message key -> steps that sent its copies in flight
    messages: dict[str, JSON] = {}
    rows: list[Row] = []
    prev = trace.steps[0].state
    before = _in_flight(_field(prev, topo.field), messages)
    _record_sends(before, Counter(), pending, 0)
    for i, step in enumerate(trace.steps[1:], start=1):
        state = step.state
        after = _in_flight(_field(state, topo.field), messages)
        label = step_label(step, spec)
        row = Row(i, label, None)
        m = step.args.get("m") if set(step.args) == {"m"} else None
        route = topo.route(m) if m is not None else None
        ends = None if route is None else (topo.node_index(route[0]), topo.node_index(route[1]))
        sent_at = (pending.get(_key(m)) or [i])[0] if m is not None else i
        if step.action == "deliver" and ends is not None and None not in ends:
            src, dst = ends
            assert src is not None and dst is not None
            row.arrow = Arrow(src, dst, sent_at, i, message_text(m))
            row.actor = dst
        elif step.action in ("drop", "duplicate", "reorder", "forge") and ends is not None:
            lo, hi = sorted(x if x is not None else 0 for x in ends)
            row.notes.append(Note(lo, hi, (f"{i} {label}",), fault=True))
        elif step.action in ("crash", "restart", "drift") and "node" in step.args:
            who = topo.node_index(step.args["node"])
            row.actor = who
            at = (who, who) if who is not None else everyone
            row.notes.append(Note(*at, (f"{i} {label}",), fault=True))
        elif step.action in ("partition", "heal", "fire"):
            row.notes.append(Note(*everyone, (f"{i} {label}",), fault=True))
        new = _record_sends(after, before, pending, i)
        for key in new:
            r = topo.route(messages[key])
            ends2 = (None, None) if r is None else (topo.node_index(r[0]),
                                                     topo.node_index(r[1]))
            if ends2[0] is not None and ends2[1] is not None:
                row.sent.append((ends2[0], ends2[1], message_text(messages[key])))
        if row.actor is None:
            row.actor = _actor(step.args, topo, row)
        _note_changes(row, diff(prev, state), topo, i, label)
        row.down = frozenset(x for x in (topo.node_index(n) for n in _down(state, topo))
                             if x is not None)
        rows.append(row)
        prev, before = state, after
    flying = []
    for key, steps in pending.items():
        r = topo.route(messages[key])
        if r is None:
            continue
        src, dst = topo.node_index(r[0]), topo.node_index(r[1])
        if src is not None and dst is not None:
            flying += [(src, dst, s, message_text(messages[key])) for s in steps]
    return Chart(tuple(render_value(n) for n in nodes), tuple(rows),
                 tuple(sorted(flying, key=lambda x: (x[2], x[0], x[1], x[3]))),
                 trace.loop_start)


def _record_sends(after: Counter[str], before: Counter[str], pending: dict[str, list[int]],
                  i: int) -> list[str]:
    """Update which steps sent the copies in flight; return the keys sent at step ``i``."""
    sent = []
    for key, n in (before - after).items():
        # Delivered, dropped or discarded: the oldest copies leave first.
        del pending[key][:n]
        if not pending[key]:
            del pending[key]
    for key, n in (after - before).items():
        pending.setdefault(key, []).extend([i] * n)
        sent += [key] * n
    return sent


def _field(state: JSON, name: str) -> JSON:
    return state.get(name) if isinstance(state, dict) else None


def _in_flight(net: JSON, values: dict[str, JSON]) -> Counter[str]:
    """The messages in flight, once per copy, by JSON key (``Copies`` and ``Behind``, the
    network's encodings of extra copies and queued messages, unfolded)."""
    out: Counter[str] = Counter()
    if not isinstance(net, list):
        return out

    def add(m: JSON, n: int = 1) -> None:
        k = _key(m)
        values.setdefault(k, m)
        out[k] += n

    for x in net:
        kind = x.get("$type") if isinstance(x, dict) else None
        if kind == "Copies" and isinstance(x, dict) and isinstance(x.get("extra"), int):
            add(x["msg"], x["extra"])
        elif kind == "Behind" and isinstance(x, dict) and isinstance(x.get("rest"), list):
            for y in x["rest"]:
                add(y)
        else:
            add(x)
    return out


def _key(v: JSON) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def _down(state: JSON, topo: Topology) -> list[JSON]:
    faults = _field(state, topo.faults_field)
    down = faults.get("down") if isinstance(faults, dict) else None
    return down if isinstance(down, list) else []


def _actor(args: Mapping[str, JSON], topo: Topology, row: Row) -> int | None:
    """The node that took a step: the single node among its arguments, else the single
    sender of the messages it sent."""
    named = {topo.node_index(v) for v in args.values()} - {None}
    if len(named) == 1:
        return named.pop()
    senders = {src for src, _, _ in row.sent}
    if len(senders) == 1:
        return senders.pop()
    return None


_INDEXED = re.compile(r"^([A-Za-z_]\w*)\[(\d+)\](.*)$")


def _note_changes(row: Row, changes: list[Change], topo: Topology, i: int,
                  label: str) -> None:
    """Add the step's state changes (but the network's and the faults') as notes."""
    by_node: dict[int | None, list[str]] = {}
    for path, kind, before, after in changes:
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        if top in (topo.field, topo.faults_field):
            continue
        who: int | None = row.actor
        shown = path
        m = _INDEXED.match(path)
        if m is not None:
            idx = topo.node_index(int(m.group(2)))
            if idx is not None:
                who, shown = idx, m.group(1) + m.group(3)
        by_node.setdefault(who, []).append(render_change((shown, kind, before, after)))
    faulted = any(n.fault for n in row.notes)
    head = f"{i} {label}"
    if not by_node and row.arrow is None and not faulted:
        by_node[row.actor] = []  # a step that changed only the network: say who stepped
    for who, lines in sorted(by_node.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        if row.arrow is None and not faulted and who == row.actor:
            lines = [head, *lines]
        if not lines:
            continue
        lo, hi = (who, who) if who is not None else (0, len(topo.nodes) - 1)
        same = [k for k, n in enumerate(row.notes) if (n.first, n.last) == (lo, hi)]
        if same:  # a fault's note and what it changed on that node read as one
            n = row.notes[same[0]]
            row.notes[same[0]] = Note(lo, hi, n.lines + tuple(lines), n.fault)
        else:
            row.notes.append(Note(lo, hi, tuple(lines)))


