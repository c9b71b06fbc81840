"""The HTML trace viewer: one self-contained file, readable offline.

The page holds the sequence diagram (inline SVG, for specs with a network), the list
of steps and, for the selected step, the whole state with what the step changed
highlighted. Clicking a step (in the list or the diagram), the arrow keys or j/k move
through the trace. Nothing is fetched when the page opens: the CSS, the script and the
data are inline.

**Escaping.** State content never becomes markup: the trace travels as JSON inside a
``<script type="application/json">`` element with ``<``, ``>`` and ``&`` written as
``\\u003c``-style escapes (so no ``</script>`` can end it early), and the script puts every
piece of text in the page through ``textContent``. The SVG is XML-escaped as it is drawn.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Any

from modelcheck.render.labels import step_label
from modelcheck.render.sequence import Chart
from modelcheck.render.svg import render_svg
from modelcheck.render.text import Change, diff, render_change, render_params, render_value
from modelcheck.spec import Spec
from modelcheck.state import JSON
from modelcheck.trace import Trace

__all__ = ["render_html", "script_json", "state_rows"]

Row = dict[str, Any]
"""One line of a state view: ``depth``, ``key``, ``text``, ``mark`` ('', 'changed',
'added', 'removed') and ``was`` (the value before, for a changed value)."""


def script_json(data: Any) -> str:
    """``data`` as JSON safe to place inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _prefixes(path: str) -> set[str]:
    out = set()
    for i, c in enumerate(path):
        if c in ".[":
            out.add(path[:i])
    return out


def state_rows(state: JSON, changes: Sequence[Change] = ()) -> list[Row]:
    """The state as indented lines, containers opened where something changed.

    A changed value is marked ``changed`` with the value it had; an element added to a
    set or bag is marked ``added``, and a removed one is listed, marked ``removed``.
    """
    changed = {p: b for p, kind, b, _ in changes if kind == "changed"}
    added: dict[str, Counter[str]] = {}
    removed: dict[str, list[JSON]] = {}
    for p, kind, b, a in changes:
        if kind == "added":
            added.setdefault(p, Counter())[json.dumps(a, sort_keys=True)] += 1
        elif kind == "removed":
            removed.setdefault(p, []).append(b)
    opened = set().union(*(_prefixes(p) for p, *_ in changes)) | set(added) | set(removed)
    rows: list[Row] = []

    def line(depth: int, key: str, text: str, mark: str = "", was: str | None = None) -> None:
        rows.append({"depth": depth, "key": key, "text": text, "mark": mark, "was": was})

    def walk(value: JSON, path: str, key: str, depth: int) -> None:
        if path in changed:
            line(depth, key, render_value(value), "changed", render_value(changed[path]))
            return
        if path not in opened or not isinstance(value, (dict, list)):
            line(depth, key, render_value(value))
            return
        if isinstance(value, dict):
            line(depth, key, str(value.get("$type", "")))
            for k, v in value.items():
                if k != "$type":
                    walk(v, f"{path}.{k}" if path else k, k, depth + 1)
            return
        if path in added or path in removed:
            fresh = Counter(added.get(path, Counter()))
            line(depth, key, f"{len(value)} item" + ("" if len(value) == 1 else "s"))
            for item in value:
                k = json.dumps(item, sort_keys=True)
                mark = "added" if fresh[k] > 0 else ""
                fresh[k] -= 1
                line(depth + 1, "", render_value(item), mark)
            for item in removed.get(path, []):
                line(depth + 1, "", render_value(item), "removed")
            return
        line(depth, key, f"{len(value)} item" + ("" if len(value) == 1 else "s"))
        for i, item in enumerate(value):
            walk(item, f"{path}[{i}]", f"[{i}]", depth + 1)

    if isinstance(state, dict) and "$type" in state:
        for k, v in state.items():
            if k != "$type":
                walk(v, k, k, 0)
    else:
        walk(state, "", "state", 0)
    return rows


def render_html(trace: Trace, chart: Chart | None = None, *, verdict: str | None = None,
                spec: Spec | None = None) -> str:
    """The viewer page for ``trace``; ``chart`` adds the sequence diagram, ``verdict``
    says what the trace shows (``invariant election_safety is violated after 8 steps``),
    ``spec``, when known, how its steps read (:func:`~modelcheck.render.labels.step_label`)."""
    title = trace.spec + (f" --variant {trace.variant}" if trace.variant else "")
    steps = []
    prev: JSON = None
    for i, step in enumerate(trace.steps):
        changes = diff(prev, step.state) if i else []
        steps.append({"label": step_label(step, spec),
                      "changes": [render_change(c) for c in changes],
                      "rows": state_rows(step.state, changes)})
        prev = step.state
    data = {"title": title, "params": render_params(trace.params), "verdict": verdict,
            "loop_start": trace.loop_start, "steps": steps}
    fills = {"TITLE": escape(title), "DIAGRAM_CLASS": "" if chart is not None else "hidden",
             "DIAGRAM": render_svg(chart) if chart is not None else "",
             "DATA": script_json(data), "STATE_VIEW": STATE_VIEW_JS}
    # One pass, so text inside the state can never be taken for a later placeholder.
    return re.sub(r"__([A-Z_]+)__", lambda m: fills[m.group(1)], _PAGE)


STATE_VIEW_JS = """\
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  // One state as indented rows (state_rows), its changes marked; text only, never markup.
  function showState(rows) {
    const box = document.getElementById("state");
    box.replaceChildren();
    for (const r of rows) {
      const row = el("div", "row" + (r.mark ? " " + r.mark : ""));
      row.dataset.key = r.key;
      row.appendChild(document.createTextNode("  ".repeat(r.depth)));
      if (r.key) row.appendChild(el("span", "key", r.key + ": "));
      row.appendChild(el("span", "value", r.text));
      if (r.was !== null) row.appendChild(el("span", "was", "  (was " + r.was + ")"));
      box.appendChild(row);
    }
  }"""
"""The JavaScript both the trace viewer and the explorer's page use to show a state."""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>__TITLE__ — modelcheck trace</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
  header { padding: 10px 16px; background: #1f2d3d; color: #fff; }
  header h1 { font-size: 17px; margin: 0 0 4px 0; }
  header .params { font: 12px monospace; color: #c8d3e0; }
  header .verdict { margin-top: 4px; color: #ffb4a8; font-weight: bold; }
  main { display: grid; grid-template-columns: minmax(220px, 22%) 1fr minmax(300px, 30%);
         gap: 10px; padding: 10px; height: calc(100vh - 90px); box-sizing: border-box; }
  main.no-diagram { grid-template-columns: minmax(260px, 35%) 1fr; }
  section { background: #fff; border: 1px solid #d5dae1; border-radius: 6px;
            overflow: auto; min-height: 0; }
  section h2 { font-size: 13px; margin: 0; padding: 8px 10px; border-bottom: 1px solid #e3e6ea;
               position: sticky; top: 0; background: #fff; z-index: 1; }
  .hidden { display: none; }
  #steps ol { list-style: none; margin: 0; padding: 0; }
  #steps li { padding: 5px 10px; border-bottom: 1px solid #f0f1f3; cursor: pointer;
              font: 12px monospace; }
  #steps li .n { display: inline-block; min-width: 2.2em; color: #777; }
  #steps li .count { float: right; color: #999; }
  #steps li.selected { background: #dbe8fb; }
  #steps li.loop { border-top: 2px dashed #b36b00; }
  #diagram svg .step { cursor: pointer; }
  #diagram svg .step.selected .step-bg { fill: #dbe8fb; }
  .nav { padding: 6px 10px; border-bottom: 1px solid #e3e6ea; display: flex; gap: 6px; }
  .nav button { font: inherit; padding: 2px 10px; }
  #step-title { padding: 8px 10px; font: bold 13px monospace; }
  #changes { margin: 0 10px 8px 10px; padding: 6px 8px; background: #fff8dc;
             font: 12px monospace; white-space: pre-wrap; }
  #changes:empty { display: none; }
  #state { font: 12px monospace; padding: 4px 10px 12px 10px; }
  #state .row { white-space: pre-wrap; padding: 1px 0; }
  #state .key { color: #5a3e85; }
  #state .changed { background: #fff1a8; }
  #state .added { background: #d8f5d0; }
  #state .removed { background: #fbdada; text-decoration: line-through; }
  #state .was { color: #8a6d00; }
</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <div class="params" id="params"></div>
  <div class="verdict" id="verdict"></div>
</header>
<main id="main">
  <section id="steps"><h2>Steps</h2><ol id="step-list"></ol></section>
  <section id="diagram" class="__DIAGRAM_CLASS__"><h2>Sequence diagram</h2>
__DIAGRAM__
  </section>
  <section id="detail">
    <h2>State</h2>
    <div class="nav"><button id="prev" type="button">◀ previous</button>
      <button id="next" type="button">next ▶</button></div>
    <div id="step-title"></div>
    <div id="changes"></div>
    <div id="state"></div>
  </section>
</main>
<script type="application/json" id="trace-data">__DATA__</script>
<script>
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("trace-data").textContent);
  const steps = data.steps;
  let current = 0;
__STATE_VIEW__
  document.getElementById("title").textContent = data.title;
  document.getElementById("params").textContent = data.params;
  document.getElementById("verdict").textContent = data.verdict || "";
  if (document.getElementById("diagram").classList.contains("hidden")) {
    document.getElementById("main").classList.add("no-diagram");
  }
  const list = document.getElementById("step-list");
  steps.forEach((s, i) => {
    const li = el("li");
    li.dataset.step = String(i);
    if (data.loop_start !== null && i === data.loop_start) li.classList.add("loop");
    li.appendChild(el("span", "n", String(i)));
    li.appendChild(el("span", "label", s.label));
    if (i > 0) li.appendChild(el("span", "count", String(s.changes.length)));
    li.addEventListener("click", () => select(i));
    list.appendChild(li);
  });
  document.querySelectorAll("#diagram svg .step").forEach((g) => {
    g.addEventListener("click", () => select(Number(g.dataset.step)));
  });
  function select(i) {
    if (i < 0 || i >= steps.length) return;
    current = i;
    const s = steps[i];
    list.querySelectorAll("li").forEach((li) => {
      li.classList.toggle("selected", Number(li.dataset.step) === i);
    });
    const sel = list.querySelector("li.selected");
    if (sel) sel.scrollIntoView({block: "nearest"});
    document.querySelectorAll("#diagram svg .step").forEach((g) => {
      g.classList.toggle("selected", Number(g.dataset.step) === i);
    });
    let head = "Step " + i + ": " + s.label;
    if (data.loop_start !== null && i === data.loop_start) head += "  ↻ the loop starts here";
    document.getElementById("step-title").textContent = head;
    document.getElementById("changes").textContent = s.changes.join("\\n");
    showState(s.rows);
    document.body.dataset.selected = String(i);
  }
  document.getElementById("prev").addEventListener("click", () => select(current - 1));
  document.getElementById("next").addEventListener("click", () => select(current + 1));
  document.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "j") { select(current + 1); e.preventDefault(); }
    if (e.key === "ArrowUp" || e.key === "k") { select(current - 1); e.preventDefault(); }
  });
  select(steps.length - 1);
})();
</script>
</body>
</html>
"""
