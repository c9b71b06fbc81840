"""The state browser's HTTP server and JSON API, on the standard library's ``http.server``.

A state is named by its path from an initial state: the init's index, then the index of
each action instance taken, dot-separated (``0.4.17``). The server keeps no session: each
request replays its path, which costs one action call a step, so any page or bookmark can
ask for any state. The API (all ``GET``, all JSON):

``/api/model``
    the spec, its parameters, its properties and its initial states.
``/api/state?path=P``
    the state at ``P``: the path so far, the state (as lines, with what the last step
    changed marked), every property evaluated there, and every enabled action with its
    successor's path, what it changes and the properties it would break.
``/api/counterexample``
    ``searching``, ``none``, ``found`` (with the path of the counterexample, which the
    page can jump to), or ``error``; the search runs in a background thread from the start.

The server binds 127.0.0.1 unless told otherwise: it has no authentication, and it runs
the spec's code for whoever can reach it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from modelcheck import semantics
from modelcheck.errors import ModelcheckError, SpecRuntimeError
from modelcheck.explore import check
from modelcheck.model import Model
from modelcheck.render.html import state_rows
from modelcheck.render.labels import step_label
from modelcheck.render.text import diff, first_line, render_change, render_params
from modelcheck.serve.page import PAGE
from modelcheck.spec import Property
from modelcheck.state import JSON, to_json
from modelcheck.trace import ReplayError, Step, Trace, replay

__all__ = ["Browser", "make_server"]


class PathError(ModelcheckError):
    """A state path that does not name a reachable state (answered with HTTP 400)."""


class Browser:
    """The state browser of one bound model: answers the API; ``trace`` is a known
    counterexample, and ``search`` starts a background search for one when there is none."""

    def __init__(self, model: Model, *, trace: Trace | None = None, search: bool = True,
                 time_limit: float | None = 60.0) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._cex: dict[str, JSON] = {"status": "none", "message": "no search was asked for"}
        if trace is not None:
            self._cex = self._found(trace, f"the trace given: {trace.length} steps")
        elif search:
            self._cex = {"status": "searching", "message": "searching for a counterexample"}
            threading.Thread(target=self._search, args=(time_limit,), daemon=True,
                             name="modelcheck-explore-search").start()

    # -- the API ------------------------------------------------------------------------

    def describe(self) -> dict[str, JSON]:
        """``/api/model``."""
        m = self.model
        title = m.spec.name + (f" --variant {m.variant}" if m.variant else "")
        props = [{"name": p.name, "kind": p.kind, "doc": first_line(p.doc)}
                 for p in m.spec.properties]
        inits = [{"path": str(i),
                  "label": step_label(Step(inst.name, inst.args_json(), None), m.spec)}
                 for i, inst in enumerate(m.inits)]
        return {"title": title, "params": render_params(m.params), "properties": props,
                "inits": inits}

    def view(self, path_text: str) -> dict[str, JSON]:
        """``/api/state?path=...``.

        Properties, successors and deadlocks are judged as every search judges them
        (:mod:`modelcheck.semantics`): a predicate or action that misbehaves here is a
        spec error (answered with HTTP 400), naming it and the state. A state outside the
        state constraints is shown with no successors, and is no deadlock.
        """
        path, states = self._walk(path_text)
        m = self.model
        state = states[-1]
        before = to_json(states[-2]) if len(states) > 1 else None
        now = to_json(state)
        changes = diff(before, now) if before is not None else []
        steps = [{"label": self._label(path, k), "path": ".".join(map(str, path[:k + 1]))}
                 for k in range(len(path))]
        succs: list[JSON] = []
        try:
            # A state outside the state constraints is not expanded, as in a search.
            outside = semantics.within(m.constraints, m.config, (state,)) == [False]
            enabled = [] if outside else semantics.successors(m, state)
            terminal = (not enabled and not outside and m.terminal is not None
                        and not semantics.deadlocked(m, state))
            properties = self._properties(states)
            steps_broken = [self._broken_step(state, t) for _, t in enabled]
        except semantics.Misbehaved as e:
            raise self._error(e, path, states) from e.error
        for (aid, t), broken in zip(enabled, steps_broken):
            inst = m.instances[aid]
            after = to_json(t)
            try:
                broken += self._broken_state(t)
            except semantics.Misbehaved as e:
                raise self._error(e, [*path, aid], [*states, t]) from e.error
            succs.append({
                "label": step_label(Step(inst.name, inst.args_json(), None), m.spec),
                "path": f"{path_text}.{inst.index}",
                "changes": [render_change(c) for c in diff(now, after)],
                "violates": broken, "stutter": t == state})
        return {"path": path_text, "steps": steps, "rows": state_rows(now, changes),
                "changes": [render_change(c) for c in changes],
                "properties": properties, "successors": succs,
                "terminal": terminal, "deadlock": not succs and not terminal and not outside,
                "outside": outside}

    def counterexample(self) -> dict[str, JSON]:
        """``/api/counterexample``."""
        with self._lock:
            return dict(self._cex)

    # -- internals ----------------------------------------------------------------------

    def _label(self, path: Sequence[int], k: int) -> str:
        inst = self.model.inits[path[0]] if k == 0 else self.model.instances[path[k]]
        return step_label(Step(inst.name, inst.args_json(), None), self.model.spec)

    def _walk(self, text: str) -> tuple[list[int], list[Any]]:
        try:
            path = [int(x) for x in text.split(".")]
        except ValueError:
            raise PathError(f"path {text!r}: expected dot-separated numbers, the index of an "
                            "initial state then the indices of the actions taken") from None
        m = self.model
        if not 0 <= path[0] < len(m.inits):
            raise PathError(f"path {text!r}: there are {len(m.inits)} initial states")
        first = m.inits[path[0]]
        try:
            state = first.action.fn(m.config, *first.args)
        except Exception as e:
            raise semantics.spec_error(f"init {first.label()}", e) from e
        if state is None:
            raise PathError(f"path {text!r}: init {first.label()} gives no state")
        states = [state]
        for k, a in enumerate(path[1:], start=1):
            if not 0 <= a < len(m.instances):
                raise PathError(f"path {text!r}: step {k}: no action instance {a}")
            try:
                state = m.apply(a, state)
            except Exception as e:
                failed = semantics.Misbehaved(f"action {m.instances[a].label()}", e)
                raise self._error(failed, path[:k], states) from e
            if state is None:
                raise PathError(f"path {text!r}: step {k}: {self._label(path, k)} is not "
                                "enabled")
            states.append(state)
        return path, states

    def _error(self, failed: semantics.Misbehaved, path: Sequence[int],
               states: Sequence[Any]) -> SpecRuntimeError:
        """The spec error of ``failed`` in the last of ``states``, reached by ``path``."""
        n = len(states) - 1
        trace = Trace.from_states(self.model, path[0], path[1:n + 1], states)
        return semantics.spec_error(failed.function, failed.error, at=semantics.where(n),
                                    trace=trace, step=n)

    def _broken_step(self, before: Any, after: Any) -> list[JSON]:
        """The action properties a step breaks."""
        m, cfg = self.model, self.model.config
        return [p.name for p in m.action_properties
                if not semantics.holds(semantics.describe(p), p.fn, cfg, before, after)]

    def _broken_state(self, state: Any) -> list[JSON]:
        """The invariants a state breaks."""
        m, cfg = self.model, self.model.config
        return [p.name for p in m.invariants
                if not semantics.holds(semantics.describe(p), p.fn, cfg, state)]

    def _properties(self, states: list[Any]) -> list[JSON]:
        m, cfg = self.model, self.model.config
        s = states[-1]
        out: list[JSON] = []

        def holds(p: Property, fn: Any, *args: Any) -> bool:
            return semantics.holds(semantics.describe(p, fn), fn, cfg, *args)
        for p in m.spec.properties:
            if p.kind == "action":
                value = None if len(states) < 2 else holds(p, p.fn, states[-2], s)
                text = "no step yet" if value is None else ("holds" if value else "violated")
            elif p.kind == "leads_to" and p.goal is not None:
                pv = holds(p, p.fn, s)
                qv = holds(p, p.goal, s)
                value = None
                text = (f"{p.fn.__name__}: {'true' if pv else 'false'}, "
                        f"{p.goal.__name__}: {'true' if qv else 'false'} here")
            else:
                value = holds(p, p.fn, s)
                if p.kind == "invariant" and p.when is None:
                    text = "holds" if value else "violated"
                elif p.kind == "sometimes":
                    text = "reached here" if value else "not here"
                else:  # temporal: its predicate in this state
                    text = f"predicate {'true' if value else 'false'} here"
                    value = None
            out.append({"name": p.name, "kind": p.kind, "value": value, "text": text})
        return out

    def _found(self, trace: Trace, message: str) -> dict[str, JSON]:
        m = self.model
        try:
            replay(m, trace)
        except ReplayError as e:
            return {"status": "error", "message": f"the counterexample does not replay: "
                                                  f"{e.message}"}
        first = m.find_instance(trace.steps[0].action, trace.steps[0].args, m.inits)
        assert first is not None
        path = [m.inits.index(first)]
        for step in trace.steps[1:]:
            inst = m.find_instance(step.action, step.args)
            assert inst is not None
            path.append(inst.index)
        return {"status": "found", "path": ".".join(map(str, path)),
                "message": message, "loop_start": trace.loop_start}

    def _search(self, time_limit: float | None) -> None:
        try:
            result = check(self.model, time_limit=time_limit)
        except ModelcheckError as e:
            found: dict[str, JSON] = {"status": "error", "message": e.message}
        else:
            v = result.violation
            if v is not None and v.trace is not None:
                found = self._found(v.trace, v.message or v.property)
            elif result.status == "ok":
                found = {"status": "none", "message": "the search found no violation"}
            else:
                why = result.stopped or result.error
                found = {"status": "none",
                         "message": f"the search found no counterexample ({why})"}
        with self._lock:
            self._cex = found


class _Handler(BaseHTTPRequestHandler):
    browser: Browser
    quiet = True

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        try:
            if url.path in ("/", "/index.html"):
                self._send(200, "text/html; charset=utf-8", PAGE.encode())
                return
            if url.path == "/api/model":
                body: JSON = self.browser.describe()
            elif url.path == "/api/state":
                body = self.browser.view(query.get("path", ["0"])[0])
            elif url.path == "/api/counterexample":
                body = self.browser.counterexample()
            else:
                self._json(404, {"error": f"no such page: {url.path}"})
                return
        except ModelcheckError as e:
            self._json(400, {"error": e.message})
            return
        self._json(200, body)

    def _json(self, code: int, body: JSON) -> None:
        self._send(code, "application/json; charset=utf-8",
                   json.dumps(body, ensure_ascii=False).encode())

    def _send(self, code: int, kind: str, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def make_server(browser: Browser, host: str = "127.0.0.1", port: int = 0, *,
                quiet: bool = True) -> ThreadingHTTPServer:
    """An HTTP server answering ``browser``'s API on ``host:port`` (port 0: any free one)."""
    handler = type("Handler", (_Handler,), {"browser": browser, "quiet": quiet})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
