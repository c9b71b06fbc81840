"""One entry point for every rendering of a trace, by format name or by file suffix.

``modelcheck trace show --format``, ``trace diagram`` and ``verify --trace-out FILE`` all
go through here: ``.html`` writes the viewer, ``.mmd`` Mermaid, ``.svg`` the diagram,
``.txt`` the text view, ``.itf.json`` the Informal Trace Format of Apalache and Quint
(:mod:`modelcheck.itf`), and anything else (``.json`` first) the JSON trace.
"""

from __future__ import annotations

import json
from pathlib import Path

from modelcheck import itf
from modelcheck.errors import UsageError
from modelcheck.render.html import render_html
from modelcheck.render.mermaid import render_mermaid
from modelcheck.render.sequence import chart, topology_for
from modelcheck.render.svg import render_svg
from modelcheck.render.text import render_trace
from modelcheck.spec import Spec
from modelcheck.trace import Trace, shown

__all__ = ["FORMATS", "format_for_path", "numbered", "render_as", "write_trace"]

FORMATS = ("text", "json", "itf", "mermaid", "svg", "html")
"""The formats a trace renders to."""

_SUFFIXES = {".html": "html", ".htm": "html", ".mmd": "mermaid", ".svg": "svg",
             ".txt": "text"}


def format_for_path(path: str | Path) -> str:
    """The format a file name asks for: by suffix, JSON when the suffix says nothing."""
    if itf.is_itf_path(path):
        return "itf"
    return _SUFFIXES.get(Path(path).suffix.lower(), "json")


def render_as(trace: Trace, fmt: str, *, spec: Spec | None = None, full: bool = False,
              verdict: str | None = None) -> str:
    """``trace`` rendered as ``fmt`` (one of :data:`FORMATS`).

    Mermaid and SVG need the spec's network (``spec``, or the catalogue entry the trace
    names) and raise a UsageError without one; the HTML viewer then leaves the diagram out.
    Every rendering but JSON and ITF shows states as the spec's ``display`` hook reads them
    (:func:`modelcheck.trace.shown`); the trace formats keep them as recorded.
    """
    if fmt == "json":
        return trace.dumps() + "\n"
    if fmt == "itf":
        return json.dumps(itf.write(trace), indent=1, ensure_ascii=False) + "\n"
    if fmt == "text":
        return render_trace(trace, full=full, spec=spec) + "\n"
    if spec is not None and fmt in ("mermaid", "svg", "html"):
        trace = shown(trace, spec)
    if fmt in ("mermaid", "svg"):
        drawn = chart(trace, topology_for(trace, spec), spec=spec)
        title = trace.spec + (f" --variant {trace.variant}" if trace.variant else "")
        return render_mermaid(drawn, title=title) if fmt == "mermaid" else render_svg(drawn)
    if fmt == "html":
        try:
            drawn = chart(trace, topology_for(trace, spec), spec=spec)
        except UsageError:
            return render_html(trace, None, verdict=verdict, spec=spec)
        return render_html(trace, drawn, verdict=verdict, spec=spec)
    raise UsageError(f"unknown trace format {fmt!r}; valid formats: {', '.join(FORMATS)}")


def numbered(path: Path, k: int) -> Path:
    """The file the ``k``-th trace of a run goes to (from 1): ``path`` itself for the first,
    then ``out.2.json``, ``out.3.json``… (``cex.2.itf.json`` for ITF), in its format."""
    if k == 1:
        return path
    name = path.name
    if itf.is_itf_path(name):
        stem, suffix = name[:-len(itf.SUFFIX)], name[-len(itf.SUFFIX):]
    else:
        stem, suffix = (name[:-len(path.suffix)], path.suffix) if path.suffix else (name, "")
    return path.with_name(f"{stem}.{k}{suffix}")


def write_trace(trace: Trace, path: str | Path, *, spec: Spec | None = None,
                verdict: str | None = None) -> str:
    """Write ``trace`` to ``path`` in the format its suffix names; return that format."""
    fmt = format_for_path(path)
    text = render_as(trace, fmt, spec=spec, verdict=verdict)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write the trace to {path}: {e}") from e
    return fmt
