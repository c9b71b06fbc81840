"""Plain-text renderings of traces and results, for a terminal.

A trace shows the initial state in full, then for each step the action with its
arguments and only what changed: ``rm_state[1]: working → prepared`` for a changed
item, ``msgs + Prepared(rm=1)`` for an element added to a collection. A twenty-step trace
of a protocol with a dozen fields stays readable.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from modelcheck.coverage import Coverage, SearchCoverage
from modelcheck.render.labels import step_label
from modelcheck.result import Check, Checked, Result
from modelcheck.spec import Spec
from modelcheck.state import JSON, format_value
from modelcheck.trace import Trace, shown

__all__ = ["diff", "first_line", "render_change", "render_checked", "render_coverage",
           "render_header", "render_result", "render_trace", "render_value"]


def render_value(v: JSON) -> str:
    """A JSON-encoded state value as Python-like text: ``Prepared(rm=1)``, ``[a, b]``, a
    message as ``RequestVoteRequest(0→1, term=1)`` (:func:`modelcheck.state.format_value`,
    the one formatter of every rendering)."""
    return format_value(v)


Change = tuple[str, str, Any, Any]
"""(path, kind, before, after); kind is "changed", "added" or "removed"."""


def diff(before: JSON, after: JSON, path: str = "") -> list[Change]:
    """What changed between two JSON-encoded values, as a list of located changes.

    Records and objects are compared field by field, maps (objects without a type) key by
    key (an item of ``rm_state`` is ``rm_state[r1]``); arrays of messages (records with a
    ``src`` and a ``dst``: the network's sets and bags) always as multisets, by content
    (elements added and removed); other arrays of equal length item by item (tuples
    indexed by node), unless reading them as multisets says it shorter, and arrays whose
    length changed as multisets.
    """
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict) \
            and before.get("$type") == after.get("$type"):
        out: list[Change] = []
        if "$type" not in before and path:  # a map: its items by key, rm_state[r1]
            for k in before:
                at = f"{path}[{k}]"
                out += ([(at, "removed", before[k], None)] if k not in after
                        else diff(before[k], after[k], at))
            return out + [(f"{path}[{k}]", "added", None, v)
                          for k, v in after.items() if k not in before]
        if before.keys() == after.keys():
            for k in before:
                if k != "$type":
                    out += diff(before[k], after[k], f"{path}.{k}" if path else k)
            return out
    if isinstance(before, list) and isinstance(after, list):
        if _messages(before) or _messages(after):
            # Messages in flight (a set or a bag) are told apart by content, never by
            # where they sort: a message delivered is removed, a reply sent is added.
            return _multiset_diff(_unfold(before), _unfold(after), path)
        # Sets arrive as sorted arrays, so one message replaced by another shifts every
        # item after it; show whichever reading is shorter: item by item (tuples indexed
        # by node) or elements added and removed (sets and bags).
        as_set = _multiset_diff(before, after, path)
        if len(before) != len(after):
            return as_set
        by_item: list[Change] = []
        for i, (x, y) in enumerate(zip(before, after)):
            by_item += diff(x, y, f"{path}[{i}]")
        return by_item if len(by_item) <= len(as_set) else as_set
    return [(path, "changed", before, after)]


_NET_ENCODINGS = ("Copies", "Behind")
"""The network's encodings of extra copies of a message (a bag) and of the messages queued
behind a channel's head (FIFO)."""


def _is_message(v: JSON) -> bool:
    return isinstance(v, dict) and (v.get("$type") in _NET_ENCODINGS
                                    or ("$type" in v and "src" in v and "dst" in v))


def _messages(items: list[JSON]) -> bool:
    """Whether ``items`` is a collection of messages: records with a ``src`` and a
    ``dst``, or the network's encodings of them."""
    return bool(items) and all(_is_message(x) for x in items)


def _unfold(items: list[JSON]) -> list[JSON]:
    """The messages in flight, once per copy (``Copies`` and ``Behind`` unfolded)."""
    out: list[JSON] = []
    for x in items:
        kind = x.get("$type") if isinstance(x, dict) else None
        if isinstance(x, dict) and kind == "Copies" and isinstance(x.get("extra"), int):
            out += [x["msg"]] * x["extra"]
        elif isinstance(x, dict) and kind == "Behind" and isinstance(x.get("rest"), list):
            out += x["rest"]
        else:
            out.append(x)
    return out


def _multiset_diff(before: list[JSON], after: list[JSON], path: str) -> list[Change]:
    old = Counter(_key(x) for x in before)
    new = Counter(_key(x) for x in after)
    values = {_key(x): x for x in [*before, *after]}
    return ([(path, "removed", values[k], None) for k in (old - new).elements()]
            + [(path, "added", None, values[k]) for k in (new - old).elements()])


def _key(v: JSON) -> str:
    return json.dumps(v, sort_keys=True)


def _render_change(change: Change) -> str:
    path, kind, before, after = change
    if kind == "added":
        return f"{path} + {render_value(after)}"
    if kind == "removed":
        return f"{path} − {render_value(before)}"
    return f"{path}: {render_value(before)} → {render_value(after)}"


def render_change(change: Change) -> str:
    """One change as text: ``path: before → after``, ``path + added``, ``path − removed``."""
    return _render_change(change)


def _fields(state: JSON) -> list[tuple[str, JSON]]:
    if isinstance(state, dict):
        return [(k, v) for k, v in state.items() if k != "$type"]
    return [("state", state)]


def first_line(doc: str) -> str:
    """The first line of a docstring, for a one-line summary; empty for an empty one."""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def render_params(params: dict[str, JSON] | Any) -> str:
    """``rms=3, tm_commit_early=False``."""
    return ", ".join(f"{k}={render_value(v)}" for k, v in dict(params).items())


def render_trace(trace: Trace, *, full: bool = False, spec: Spec | None = None) -> str:
    """The trace as text: the first state in full, then each step with what changed.

    With ``full`` every state is shown in full. Fields that hold the same value in every
    state of the trace are shown once, in the first state, under ``unchanged throughout``.
    ``spec``, when known, says how its steps read
    (:func:`~modelcheck.render.labels.step_label`) and how its states read (its
    :attr:`~modelcheck.spec.Spec.display` hook, through :func:`modelcheck.trace.shown`).
    """
    raw = trace
    if spec is not None:
        trace = shown(trace, spec)
    lines: list[str] = []
    width = len(str(len(trace.steps) - 1))
    first = _fields(trace.steps[0].state)
    same = {k for k, v in first if len(trace.steps) > 1
            and all(dict(_fields(s.state)).get(k, _ABSENT) == v for s in trace.steps[1:])}
    prev: JSON = None
    pad = " " * (width + 5)
    for i, step in enumerate(trace.steps):
        marker = "↻" if trace.loop_start is not None and i == trace.loop_start else " "
        lines.append(f"{marker}{i:>{width}}  {step_label(step, spec)}")
        if i == 0:
            lines += [f"{pad}{k}: {render_value(v)}" for k, v in first if k not in same]
            if same and len(same) < len(first):
                lines.append(f"{pad}unchanged throughout:")
                lines += [f"{pad}  {k}: {render_value(v)}" for k, v in first if k in same]
            elif same:
                lines += [f"{pad}{k}: {render_value(v)}" for k, v in first]
        elif full:
            lines += [f"{pad}{k}: {render_value(v)}" for k, v in _fields(step.state)
                      if k not in same]
        else:
            changes = diff(prev, step.state)
            lines += [f"{pad}{_render_change(c)}" for c in changes] or [f"{pad}(no change)"]
        prev = step.state
    if raw.loop_start is not None:
        lines.append(_render_loop(raw, raw.loop_start))
    return "\n".join(lines)


_ABSENT = object()


def _render_loop(trace: Trace, start: int) -> str:
    """The line that closes a lasso: which steps repeat forever.

    A liveness counterexample's last step returns to the state of step ``start`` (shown
    as ``5 → 6 → 7 → 5``); when ``start`` is the last step, the behaviour stutters there.
    """
    last = len(trace.steps) - 1
    if start == last:
        return f"  … then stays in state {start} forever (stuttering)"
    closes = trace.steps[last].state == trace.steps[start].state
    cycle = [*range(start, last if closes else last + 1), start]
    return "  … then forever: " + " → ".join(map(str, cycle))


def render_stats(result: Result) -> str:
    """One line of statistics."""
    st = result.stats
    line = (f"{st.distinct_states:,} distinct states, {st.generated_states:,} generated, "
            f"depth {st.depth}, {st.seconds:.2f} s ({st.states_per_second:,.0f} states/s)")
    audit = result.details.get("audit")
    if audit is not None:
        line += (f"; audit: no fingerprint collision ({audit['compared']:,} states met again "
                 "compared in full)")
    elif result.exhaustive and st.collision_probability > 0:
        line += f"; fingerprint collision probability {st.collision_probability:.1e}"
    return line


def render_header(spec: str, variant: str | None, params: dict[str, JSON] | Any,
                  strategy: str, *, symmetry: bool = False, seed: int | None = None,
                  view: str | None = None, chosen: Sequence[str] | None = None) -> str:
    """The first line of a result: ``raft --variant vote-twice (servers=3, ...), bfs``,
    then the view, the seed, and the properties checked when some were chosen."""
    title = spec + (f" --variant {variant}" if variant else "")
    search = strategy + (", symmetry" if symmetry else "")
    if view is not None:
        search += f", view {view}"
    if seed is not None:
        search += f", seed {seed}"
    if chosen is not None:
        search += ", checking " + (", ".join(chosen) or "no property")
    return f"{title} ({render_params(params)}), {search}"


def render_result(result: Result, *, full: bool = False, spec: Spec | None = None,
                  error: bool = True, header: bool = True) -> str:
    """A result as shown by ``modelcheck verify``: verdict, trace and statistics (``spec``,
    when known, says how the trace's steps read). ``error=False`` leaves out the line of a
    spec error, for a caller that prints it on standard error; ``header=False`` the first
    line (:func:`render_header`), for a caller that printed it before the search."""
    chosen = result.checked.chosen if result.checked is not None else None
    lines = [render_header(result.spec, result.variant, result.params, result.strategy,
                           symmetry=result.symmetry, seed=result.seed, view=result.view,
                           chosen=chosen)] if header else []
    v = result.violation
    if result.status == "ok":
        what = "no violation" if result.exhaustive else "no violation within the bounds"
        lines.append(f"✓ {what}" + (f" ({result.stopped})" if result.stopped else ""))
        lines += [f"⚠ warning: {w}" for w in result.warnings]
    elif result.status == "violation" and v is not None:
        found = result.all_violations
        if len(found) > 1:
            lines.append(f"✗ {len(found)} violations"
                         + (f" ({result.stopped})" if result.stopped else ""))
        for k, u in enumerate(found, start=1):
            number = f"[{k}/{len(found)}] " if len(found) > 1 else ""
            lines.append(f"✗ {number}{u.message or u.property}")
            if u.trace is not None:
                lines.append(render_trace(u.trace, full=full, spec=spec))
    elif result.status == "incomplete":
        lines.append(f"… stopped: {result.stopped}; no violation found so far")
    elif result.status == "error":
        if error:
            lines.append(f"error: {result.error}")
        site = result.error_site
        if site is not None and site.source is not None:
            lines.append(f"  raised at {site.source}")
        if site is not None and site.trace is not None:
            lines.append(f"trace to the state {site.function} was given "
                         f"({site.trace.length} step{'s' if site.trace.length != 1 else ''}):")
            lines.append(render_trace(site.trace, full=full, spec=spec))
    if result.checked is not None:
        lines.append(render_checked(result.checked))
    lines.append(render_stats(result))
    if result.coverage is not None:
        lines.append(render_coverage(result.coverage))
    return "\n".join(lines)


_TEMPORAL_KINDS = ("eventually", "always eventually", "leads to", "always possible")


def render_checked(checked: Checked) -> str:
    """What a search checked, in a few lines: the properties checked and what became of
    them, those not checked and why, the fairness in force (when a temporal property
    makes it matter) and the state constraints that bounded the search."""
    lines = []
    done = [c for c in (*checked.properties, checked.deadlock) if c.checked]
    if done:
        lines.append("checked: " + _checks(done))
    undone = [c for c in (*checked.properties, checked.deadlock) if not c.checked]
    if undone:
        lines.append("not checked: " + _checks(undone))
    if checked.fairness or any(c.kind in _TEMPORAL_KINDS for c in checked.properties):
        lines.append("fairness: " + (", ".join(checked.fairness) or "none"))
    if checked.constraints:
        lines.append("bounded by the state constraints: " + ", ".join(checked.constraints)
                     + " (states outside them were checked, not expanded)")
    return "\n".join(lines)


def _checks(checks: list[Check]) -> str:
    """``a, b (invariant), c (action property): holds; d (sometimes): met``: grouped by
    outcome, and within an outcome by kind."""
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    for c in checks:
        kinds = groups.setdefault((c.outcome, c.note), {})
        kinds.setdefault(c.kind, []).append(c.name)
    parts = []
    for (outcome, note), kinds in groups.items():
        what = ", ".join("deadlock freedom" if kind == "deadlock" else
                         f"{', '.join(names)} ({kind})" for kind, names in kinds.items())
        if outcome == "skipped":
            parts.append(f"{what}: skipped by {note}")
        elif outcome == "not checked":
            parts.append(f"{what}: {note}")
        else:
            parts.append(f"{what}: {outcome}" + (f" ({note})" if note else ""))
    return "; ".join(parts)


def render_coverage(cov: Coverage | SearchCoverage) -> str:
    """What a search covered, in a few lines: for a random search the walks, actions and
    the state estimate; for an exhaustive one a table of the actions."""
    if isinstance(cov, SearchCoverage):
        return _render_search_coverage(cov)
    lengths = sorted(cov.lengths.items())
    walked = ""
    if lengths:
        median = _median(lengths)
        walked = (f"; walk lengths {lengths[0][0]}–{lengths[-1][0]} (median {median}), ended by "
                  + ", ".join(f"{why} {n:,}" for why, n in sorted(cov.ends.items())))
    lines = [f"coverage: {cov.runs:,} walks, {cov.steps:,} steps{walked}"]
    lines.append("  actions (enabled/taken): " + ", ".join(
        f"{a.name} {a.enabled:,}/{a.taken:,}" for a in cov.actions if a.enabled))
    if cov.never_enabled:
        lines.append("  never enabled: " + ", ".join(cov.never_enabled))
    e = cov.estimate
    if e.method == "exact":
        lines.append(f"  reachable states: {e.states:,.0f}, all met (every state met was "
                     "expanded)")
    else:
        lines.append(f"  reachable states ≈ {e.states:,.0f} (95%: {e.low:,.0f}–{e.high:,.0f}; "
                     f"sample coverage {e.sample_coverage:.3f}"
                     + ("" if e.sample_coverage >= 0.9 else ", too low for the estimate "
                        "to be trusted: walk more") + ")")
    unmet = [name for name, met in cov.sometimes.items() if not met]
    if unmet:
        lines.append("  sometimes goals not met: " + ", ".join(unmet))
    return "\n".join(lines)


def _render_search_coverage(cov: SearchCoverage) -> str:
    """The per-action table of ``verify --coverage``, and a warning line naming the actions
    never enabled."""
    rows = [("action", "instances", "enabled", "taken", "new states"),
            ("(initial states)", "", "", f"{cov.initial:,}", f"{cov.initial_new:,}")]
    rows += [(a.name, f"{a.instances_enabled:,}/{a.instances:,}", f"{a.enabled:,}",
              f"{a.taken:,}", f"{a.new:,}") for a in cov.actions if a.instances]
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    lines = ["coverage:"]
    for r in rows:
        lines.append("  " + r[0].ljust(widths[0]) + "".join(
            "  " + c.rjust(w) for c, w in zip(r[1:], widths[1:])))
    absent = [a.name for a in cov.actions if not a.instances]
    if absent:
        lines.append("  no instances in this configuration: " + ", ".join(absent))
    if cov.never_enabled:
        lines.append(f"⚠ warning: never enabled: {', '.join(cov.never_enabled)} (likely a "
                     "spec bug, or a bound too tight)")
    return "\n".join(lines)


def _median(counts: list[tuple[int, int]]) -> int:
    """The median of a histogram of (value, count) pairs sorted by value."""
    half = (sum(n for _, n in counts) + 1) // 2
    seen = 0
    for value, n in counts:
        seen += n
        if seen >= half:
            return value
    return counts[-1][0]
