"""A sequence chart drawn as standalone SVG, with no external service or library.

Participants are columns with a lifeline each (dashed while the node is crashed); each
step after the initial state is a row, numbered on the left. A delivered message is an
arrow from its sender's lifeline at the row of the step that sent it to its receiver's at
the row that delivered it, so a message that waited shows as a long slant. Notes hold the
changes of each node's state; fault notes are red. Every row is a ``<g class="step"
data-step="N">``, which the HTML viewer uses to highlight and select steps.

Text is measured as monospace (``_CHAR`` pixels a character), so the layout needs no font
metrics; all text is XML-escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape as _xml_escape

from modelcheck.render.sequence import Chart, Note, Row

__all__ = ["render_svg"]

_CHAR = 7.0         # width of a character of the 12px monospace font
_LINE = 15          # height of a line of text
_LEFT = 44          # room for the step numbers
_HEAD = 56          # the participants' boxes
_PAD = 8
_MIN_COL, _MAX_COL = 170, 340
_ARROW_ROOM = 26    # a row with an arrow keeps this much height above its notes


def _esc(text: str) -> str:
    return _xml_escape(text, {'"': "&quot;"})


def _wrap(line: str, width: int) -> list[str]:
    """``line`` cut into pieces of at most ``width`` characters, at spaces where possible."""
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 0, width)
        cut = cut if cut > width // 3 else width
        out.append(line[:cut])
        line = "  " + line[cut:].lstrip()
    return [*out, line]


def _columns(chart: Chart) -> list[float]:
    """Each participant's column width, from the longest line of its own notes."""
    widest = [len(p) * _CHAR + 2 * _PAD for p in chart.participants]
    for row in chart.rows:
        for n in row.notes:
            if n.first == n.last:
                longest = max(len(x) for x in n.lines) * _CHAR + 3 * _PAD + 2
                widest[n.first] = max(widest[n.first], longest)
    return [min(max(w, _MIN_COL), _MAX_COL) for w in widest]


def render_svg(chart: Chart) -> str:
    """The chart as an SVG document (a string starting with ``<svg``)."""
    widths = _columns(chart)
    xs: list[float] = []
    left = float(_LEFT)
    for w in widths:
        xs.append(left + w / 2)
        left += w
    total_w = left + _PAD

    def note_lines(n: Note) -> list[str]:
        span = xs[n.last] - xs[n.first] + (widths[n.first] + widths[n.last]) / 2 - 2 * _PAD
        chars = max(10, int((span - _PAD) / _CHAR))
        return [piece for line in n.lines for piece in _wrap(line, chars)]

    tops: list[float] = []
    heights: list[float] = []
    y = float(_HEAD + _PAD)
    for row in chart.rows:
        h = float(_ARROW_ROOM if row.arrow is not None or not row.notes else _PAD)
        h += sum(len(note_lines(n)) * _LINE + _PAD for n in row.notes)
        h = max(h, 30.0)
        tops.append(y)
        heights.append(h)
        y += h
    bottom = y + _PAD + (len(chart.in_flight) * _LINE + 2 * _PAD if chart.in_flight else 0)
    total_h = bottom + _PAD

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" '
           f'width="{total_w:.0f}" height="{total_h:.0f}" '
           f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="monospace" '
           f'font-size="12">',
           "<defs><marker id=\"arrowhead\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
           "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
           "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1f4e8c\"/></marker></defs>",
           f'<rect width="{total_w:.0f}" height="{total_h:.0f}" fill="#ffffff"/>']
    # Participants and lifelines (dashed grey while a node is down).
    for k, (name, x) in enumerate(zip(chart.participants, xs)):
        bw = min(widths[k] - 2 * _PAD, max(60.0, len(name) * _CHAR + 2 * _PAD))
        out.append(f'<g class="participant"><rect x="{x - bw / 2:.1f}" y="{_PAD}" '
                   f'width="{bw:.1f}" height="30" rx="4" fill="#e8eef7" stroke="#1f4e8c"/>'
                   f'<text x="{x:.1f}" y="{_PAD + 19}" text-anchor="middle" '
                   f'font-weight="bold">{_esc(name)}</text></g>')
        y0 = float(_HEAD - _PAD)
        for row, top, h in zip(chart.rows, tops, heights):
            down = k in row.down
            out.append(f'<line x1="{x:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{top + h:.1f}" '
                       + ('stroke="#bbbbbb" stroke-dasharray="2,4"/>' if down
                          else 'stroke="#8a9bb5" stroke-dasharray="6,3"/>'))
            y0 = top + h
        out.append(f'<line x1="{x:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                   'stroke="#8a9bb5" stroke-dasharray="6,3"/>')
    # A message leaves when the step that sent it is over: at the foot of that row.
    sent_y = {0: float(_HEAD)} | {row.step: top + h - 4
                                  for row, top, h in zip(chart.rows, tops, heights)}
    for row, top, h in zip(chart.rows, tops, heights):
        out.append(_row(row, top, h, total_w, xs, widths, sent_y, note_lines,
                        chart.loop_start))
    if chart.in_flight:
        y = bottom - len(chart.in_flight) * _LINE - _PAD
        out.append(f'<g class="in-flight"><text x="{_PAD}" y="{y:.0f}" fill="#555555">'
                   'in the network at the end:</text>')
        for j, (s, d, sent, text) in enumerate(chart.in_flight, start=1):
            line = (f"{chart.participants[s]} → {chart.participants[d]} {text} "
                    f"(sent at {sent})")
            out.append(f'<text x="{_PAD + 16}" y="{y + j * _LINE:.0f}" fill="#555555">'
                       f'{_esc(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _row(row: Row, top: float, h: float, total_w: float, xs: list[float],
         widths: list[float], sent_y: dict[int, float], note_lines: object,
         loop_start: int | None) -> str:
    assert callable(note_lines)
    parts = [f'<g class="step" data-step="{row.step}">',
             f'<rect class="step-bg" x="0" y="{top:.1f}" width="{total_w:.0f}" '
             f'height="{h:.1f}" fill="transparent"/>',
             f'<text x="{_PAD}" y="{top + 18:.1f}" fill="#666666">{row.step}</text>']
    if loop_start is not None and row.step == loop_start + 1:
        parts.append(f'<line x1="0" y1="{top:.1f}" x2="{total_w:.0f}" y2="{top:.1f}" '
                     'stroke="#b36b00" stroke-dasharray="4,2"/>'
                     f'<text x="{_PAD}" y="{top - 3:.1f}" fill="#b36b00">'
                     f'↻ from here the steps repeat forever</text>')
    y = top + (_ARROW_ROOM if row.arrow is not None or not row.notes else _PAD)
    if row.arrow is not None:
        a = row.arrow
        x1, x2 = xs[a.src], xs[a.dst]
        y2 = top + 14
        y1 = sent_y[a.sent] if a.sent in sent_y and a.sent < a.delivered else y2
        lx, ly = (x1 + x2) / 2, y2 - 5
        parts.append(f'<line class="message" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                     f'y2="{y2:.1f}" stroke="#1f4e8c" stroke-width="1.5" '
                     'marker-end="url(#arrowhead)"/>')
        label = a.text + (f" (sent at {a.sent})" if a.sent != a.delivered else "")
        parts.append(f'<text class="message-label" x="{lx:.1f}" y="{ly:.1f}" '
                     f'text-anchor="middle" fill="#1f4e8c" stroke="#ffffff" stroke-width="3" '
                     f'paint-order="stroke">{_esc(label)}</text>')
    for n in row.notes:
        lines = note_lines(n)
        x0 = xs[n.first] - widths[n.first] / 2 + _PAD
        x1n = xs[n.last] + widths[n.last] / 2 - _PAD
        nh = len(lines) * _LINE + _PAD / 2
        fill, stroke = ("#fde8e8", "#b42318") if n.fault else ("#fff8dc", "#c9a227")
        parts.append(f'<g class="{"note fault" if n.fault else "note"}">'
                     f'<rect x="{x0:.1f}" y="{y:.1f}" width="{x1n - x0:.1f}" '
                     f'height="{nh:.1f}" fill="{fill}" stroke="{stroke}"/>')
        for j, line in enumerate(lines):
            parts.append(f'<text x="{x0 + _PAD / 2:.1f}" y="{y + (j + 1) * _LINE - 3:.1f}" '
                         f'xml:space="preserve">{_esc(line)}</text>')
        parts.append("</g>")
        y += nh + _PAD / 2
    parts.append("</g>")
    return "\n".join(parts)
