"""A trace as a Mermaid ``sequenceDiagram``: paste it into any Markdown that renders Mermaid.

Only a small subset of Mermaid's sequence-diagram syntax is written, one statement a
line, so the output is easy to check (the tests parse it with a grammar of that subset):

    sequenceDiagram
        participant n0 as 0
        Note over n0: 1 timeout(i=0)<br/>current_term: 0 → 1
        n0->>n1: 2 RequestVoteRequest term=1 (sent at 1)
        Note over n0,n2: 4 ⚡ crash 1

Each delivered message is an arrow drawn at the step that delivered it, labelled with that
step and the step that sent it (Mermaid draws arrows level, so the sending step is in the
label; the SVG rendering draws them slanted). Messages still in flight at the end are
listed in a last note. Text is entity-escaped: ``#`` and ``;`` (which end a statement's
text), ``<``, ``>``, ``&`` and ``"`` never reach Mermaid as syntax or markup.
"""

from __future__ import annotations

from modelcheck.render.sequence import Chart

__all__ = ["escape", "render_mermaid"]

_ENTITIES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "&": "#amp;",
             '"': "#quot;", "\n": " ", "\r": " ", "\t": " "}


def escape(text: str) -> str:
    """``text`` with every character Mermaid could read as syntax written as an entity."""
    return "".join(_ENTITIES.get(c, c) for c in text)


def _ids(chart: Chart) -> list[str]:
    return [f"n{i}" for i in range(len(chart.participants))]


def render_mermaid(chart: Chart, *, title: str | None = None) -> str:
    """The chart as Mermaid text (ending with a newline)."""
    ids = _ids(chart)
    out = ["sequenceDiagram"]
    if title:
        out.append(f"    title {escape(title)}")
    out += [f"    participant {pid} as {escape(name)}"
            for pid, name in zip(ids, chart.participants)]
    for row in chart.rows:
        if chart.loop_start is not None and row.step == chart.loop_start + 1:
            loop = f"↻ the steps from here repeat forever (loop from step {chart.loop_start})"
            out.append(f"    Note over {ids[0]},{ids[-1]}: {escape(loop)}")
        if row.arrow is not None:
            a = row.arrow
            sent = f" (sent at {a.sent})" if a.sent != a.delivered else ""
            out.append(f"    {ids[a.src]}->>{ids[a.dst]}: "
                       f"{escape(f'{a.delivered} {a.text}{sent}')}")
        for note in row.notes:
            over = ids[note.first] if note.first == note.last \
                else f"{ids[note.first]},{ids[note.last]}"
            out.append(f"    Note over {over}: " + "<br/>".join(escape(x) for x in note.lines))
    if chart.in_flight:
        lines = ["in the network at the end:"] + [
            f"{chart.participants[s]} → {chart.participants[d]} {text} (sent at {sent})"
            for s, d, sent, text in chart.in_flight]
        out.append(f"    Note over {ids[0]},{ids[-1]}: " + "<br/>".join(map(escape, lines)))
    return "\n".join(out) + "\n"
