"""The state browser's page: one self-contained HTML document that drives the JSON API.

Everything the server returns is put in the page through ``textContent``, never as
markup, so state content is always shown as text.
"""

from __future__ import annotations

from modelcheck.render.html import STATE_VIEW_JS

__all__ = ["PAGE"]

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; connect-src 'self';
               style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>modelcheck explorer</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
  header { padding: 10px 16px; background: #1f2d3d; color: #fff; }
  header h1 { font-size: 17px; margin: 0 0 4px 0; }
  header .params { font: 12px monospace; color: #c8d3e0; }
  main { display: grid; grid-template-columns: minmax(240px, 24%) 1fr minmax(300px, 32%);
         gap: 10px; padding: 10px; height: calc(100vh - 76px); box-sizing: border-box; }
  section { background: #fff; border: 1px solid #d5dae1; border-radius: 6px; overflow: auto;
            min-height: 0; }
  section h2 { font-size: 13px; margin: 0; padding: 8px 10px; border-bottom: 1px solid #e3e6ea;
               background: #fff; }
  .bar { padding: 6px 10px; display: flex; gap: 6px; flex-wrap: wrap;
         border-bottom: 1px solid #e3e6ea; }
  button { font: inherit; padding: 2px 10px; cursor: pointer; }
  ol, ul { list-style: none; margin: 0; padding: 0; }
  #path li, #inits li { padding: 4px 10px; border-bottom: 1px solid #f0f1f3; font: 12px monospace;
                         cursor: pointer; }
  #path li .n { display: inline-block; min-width: 2.2em; color: #777; }
  #path li.current { background: #dbe8fb; }
  #successors li { padding: 6px 10px; border-bottom: 1px solid #f0f1f3; }
  #successors li button { font: 12px monospace; text-align: left; width: 100%; }
  #successors li .changes { font: 11px monospace; color: #555; white-space: pre-wrap;
                            margin: 3px 0 0 4px; }
  #successors li.on-cex { background: #fff1c2; }
  .violates { color: #b42318; font-weight: bold; font: bold 11px monospace; }
  #cex { padding: 8px 10px; border-bottom: 1px solid #e3e6ea; background: #fbfbfd; }
  #cex-status { font-size: 12px; color: #444; margin-bottom: 4px; }
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
  table { border-collapse: collapse; margin: 4px 10px 12px 10px; font-size: 12px; }
  td { padding: 2px 8px 2px 0; vertical-align: top; }
  td.name { font-family: monospace; }
  .ok { color: #1b7a2f; } .bad { color: #b42318; font-weight: bold; } .info { color: #555; }
  #status { font: 12px monospace; padding: 4px 10px; color: #555; }
  #error { color: #b42318; padding: 4px 10px; font-size: 12px; }
  #error:empty { display: none; }
</style>
</head>
<body>
<header><h1 id="title">modelcheck explorer</h1><div class="params" id="params"></div></header>
<main>
  <section>
    <h2>Path so far</h2>
    <div class="bar"><button id="back" type="button">◀ back</button></div>
    <ol id="path"></ol>
    <h2>Initial states</h2>
    <ul id="inits"></ul>
  </section>
  <section>
    <h2>State</h2>
    <div id="error"></div>
    <div id="step-title"></div>
    <div id="changes"></div>
    <div id="state"></div>
    <h2>Properties in this state</h2>
    <table><tbody id="properties"></tbody></table>
  </section>
  <section>
    <div id="cex"><div id="cex-status">no counterexample known</div>
      <button id="cex-jump" type="button" disabled>Jump to the counterexample</button></div>
    <h2>Enabled actions <span id="count"></span></h2>
    <div id="status"></div>
    <ul id="successors"></ul>
  </section>
</main>
<script>
"use strict";
(function () {
  let current = null;
  let cexPath = null;
__STATE_VIEW__
  async function api(url) {
    const r = await fetch(url);
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }
  async function go(path) {
    try {
      show(await api("/api/state?path=" + encodeURIComponent(path)));
      document.getElementById("error").textContent = "";
    } catch (e) {
      document.getElementById("error").textContent = String(e.message || e);
    }
  }
  function show(v) {
    current = v;
    if (location.hash !== "#" + v.path) history.replaceState(null, "", "#" + v.path);
    const path = document.getElementById("path");
    path.replaceChildren();
    v.steps.forEach((s, i) => {
      const li = el("li");
      li.dataset.path = s.path;
      li.appendChild(el("span", "n", String(i)));
      li.appendChild(el("span", "label", s.label));
      if (i === v.steps.length - 1) li.classList.add("current");
      li.addEventListener("click", () => go(s.path));
      path.appendChild(li);
    });
    const last = v.steps[v.steps.length - 1];
    document.getElementById("step-title").textContent =
      "Step " + (v.steps.length - 1) + ": " + last.label;
    document.getElementById("changes").textContent = v.changes.join("\\n");
    showState(v.rows);
    const props = document.getElementById("properties");
    props.replaceChildren();
    for (const p of v.properties) {
      const tr = el("tr");
      tr.dataset.property = p.name;
      tr.appendChild(el("td", "name", p.name));
      tr.appendChild(el("td", "info", p.kind));
      const cls = p.value === true ? "ok" : (p.value === false ? "bad" : "info");
      tr.appendChild(el("td", "value " + cls, p.text));
      props.appendChild(tr);
    }
    const next = cexPath && cexPath.startsWith(v.path + ".")
      ? v.path + "." + cexPath.slice(v.path.length + 1).split(".")[0] : null;
    const list = document.getElementById("successors");
    list.replaceChildren();
    for (const s of v.successors) {
      const li = el("li", "successor");
      li.dataset.path = s.path;
      if (s.path === next) li.classList.add("on-cex");
      const b = el("button", "take", s.label + (s.stutter ? "  (no change)" : ""));
      b.type = "button";
      b.addEventListener("click", () => go(s.path));
      li.appendChild(b);
      if (s.violates.length) {
        li.appendChild(el("div", "violates", "violates " + s.violates.join(", ")));
      }
      li.appendChild(el("div", "changes", s.changes.join("\\n")));
      list.appendChild(li);
    }
    document.getElementById("count").textContent = "(" + v.successors.length + ")";
    document.getElementById("status").textContent =
      v.outside ? "outside the state constraints: a search checks it but does not expand it"
        : v.deadlock ? "deadlock: no action is enabled and the state is not terminal"
        : (v.terminal ? "terminal state" : "");
  }
  async function pollCex() {
    const c = await api("/api/counterexample");
    document.getElementById("cex-status").textContent = c.message;
    if (c.status === "found") {
      cexPath = c.path;
      const b = document.getElementById("cex-jump");
      b.disabled = false;
      if (current) show(current);
    } else if (c.status === "searching") {
      setTimeout(pollCex, 500);
    }
  }
  document.getElementById("cex-jump").addEventListener("click", () => {
    if (cexPath) go(cexPath);
  });
  document.getElementById("back").addEventListener("click", () => {
    if (current && current.steps.length > 1) go(current.steps[current.steps.length - 2].path);
  });
  (async function start() {
    const m = await api("/api/model");
    document.getElementById("title").textContent = m.title;
    document.title = m.title + " — modelcheck explorer";
    document.getElementById("params").textContent = m.params;
    const inits = document.getElementById("inits");
    for (const i of m.inits) {
      const li = el("li", "init", i.path + "  " + i.label);
      li.addEventListener("click", () => go(i.path));
      inits.appendChild(li);
    }
    await go(location.hash.length > 1 ? location.hash.slice(1) : "0");
    document.body.dataset.ready = "1";
    pollCex();
  })();
})();
</script>
</body>
</html>
"""
PAGE = PAGE.replace("__STATE_VIEW__", STATE_VIEW_JS)
