"""MkDocs hooks of the documentation site: one page per catalogue entry, made from its spec.

Each page gives the protocol (the spec's docstring), its parameters, its properties and its
variants, and for each configuration that must violate a property the counterexample found
when the site is built: a sequence diagram (SVG, drawn offline) for specs built on
``modelcheck.network`` and the trace as ``modelcheck verify`` prints it. A search stops at
:data:`MAX_STATES` states, so the build stays quick and its pages do not depend on the
machine's speed; a counterexample beyond that is left to the command the page gives. The
pages are kept in ``.cache/catalogue.json`` under the hash of everything they are made
from (modelcheck's sources, the specs' modules and these hooks), so a build that changes
none of them searches nothing.

The hooks also drop the ``<!-- slot: ... -->`` comments that mark where a page will say more,
so that nothing of them reaches the built site, and the Sphinx roles (``:class:``, ``:meth:``
...) of the docstrings that the API reference shows.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

import modelcheck
from modelcheck import check
from modelcheck.catalogue import entries
from modelcheck.errors import UsageError
from modelcheck.params import parameters
from modelcheck.render.output import render_as
from modelcheck.render.text import render_value
from modelcheck.spec import Spec
from modelcheck.state import to_json

MAX_STATES = 12_000
"""The states a counterexample's search may store while the site is built."""

_KINDS = {"invariant": "invariant", "action": "action property", "eventually": "eventually",
          "always_eventually": "always eventually", "leads_to": "leads to",
          "always_possible": "always possible", "sometimes": "sometimes (reachable)"}
_SLOT = re.compile(r"^<!-- slot: [^>]*-->\n?", re.M)
_ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj):(?=<code>)")
_SHORT = re.compile(r"<code>~(?:\w+\.)*(\w+)")


def _page(name: str) -> str:
    return f"catalogue/{name}.md"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Lists every catalogue entry's page under the navigation's ``Catalogue`` section."""
    for item in config.nav or []:
        if isinstance(item, dict) and "Catalogue" in item:
            item["Catalogue"] = [_page("index")] + [{name: _page(name)}
                                                    for name in entries()]
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Adds the catalogue's index and one page per entry."""
    specs = entries()
    files.append(File.generated(config, _page("index"), content=_index(specs)))
    for name, content in _pages(specs, Path(config.config_file_path).parent).items():
        files.append(File.generated(config, _page(name), content=content))
    return files


def _pages(specs: dict[str, Spec], root: Path) -> dict[str, str]:
    """Every entry's page, from the cache when nothing they are made from has changed."""
    sources = sorted(Path(modelcheck.__file__).parent.rglob("*.py"))
    sources += sorted(Path(modelcheck.__file__).parent.rglob("*.c"))
    sources += [Path(str(sys.modules[s.module].__file__)) for s in specs.values()]
    sources.append(Path(__file__))
    digest = hashlib.sha256(str(MAX_STATES).encode())
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()
    cache = root / ".cache" / "catalogue.json"
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached["key"] == key and list(cached["pages"]) == list(specs):
            return dict(cached["pages"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    pages = {name: _entry(name, spec) for name, spec in specs.items()}
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps({"key": key, "pages": pages}), encoding="utf-8")
    return pages


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Drops the slot comments."""
    return _SLOT.sub("", markdown)


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Shows a docstring's ``:meth:`~modelcheck.Spec.action``` as ``action``, in code."""
    return _SHORT.sub(r"<code>\1", _ROLE.sub("", html))


def _first_line(doc: str) -> str:
    return doc.strip().splitlines()[0].rstrip(".") if doc.strip() else ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _scores() -> ModuleType:
    """``tools/mutation_scores.py``, which records the catalogue's mutation scores."""
    path = Path(__file__).resolve().parent / "mutation_scores.py"
    spec = importlib.util.spec_from_file_location("mutation_scores", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _index(specs: dict[str, Spec]) -> str:
    scores = _scores()
    records = scores.recorded()
    rows = ["# The catalogue", "",
            "Each entry is a protocol with its properties and its variants: configurations,",
            "usually flawed, with the verdict each must produce. `modelcheck list` lists them",
            "and `modelcheck verify --all` checks them all against those verdicts. The",
            "mutation score is `modelcheck mutate NAME`'s at the entry's default configuration",
            "(or the one shown): the share of planted bugs that its properties catch, as",
            "killed of counted (mutants neither equivalent nor accepted with a reason; see",
            "[Mutation testing](../guides/mutation.md)); — where none is recorded.", "",
            "| spec | what | variants | mutation score |", "|---|---|---|---|"]
    for name, spec in specs.items():
        rows.append(f"| [`{name}`]({name}.md) | {_cell(_first_line(spec.doc))} | "
                    f"{len(spec.variants)} | {_cell(scores.cell(name, spec, records))} |")
    return "\n".join(rows) + "\n"


def _entry(name: str, spec: Spec) -> str:
    doc = spec.doc.strip()
    title, _, rest = doc.partition("\n")
    out = [f"# {name}", "", title, "", rest.strip(), "",
           f"Check it with `modelcheck verify {name}`; `modelcheck show {name}` lists its "
           "actions and their domains.", "", "## Parameters", "",
           "| parameter | default | valid values |", "|---|---|---|"]
    defaults = spec.config()
    for param in parameters(spec.config).values():
        value = render_value(to_json(getattr(defaults, param.name)))
        out.append(f"| `{param.name}` | `{_cell(value)}` | {_cell(param.describe() or 'any')} |")
    out += ["", "## Properties", "", "| property | kind | what it says |", "|---|---|---|"]
    for p in spec.properties:
        out.append(f"| `{p.name}` | {_KINDS.get(p.kind, p.kind)} | {_cell(p.doc)} |")
    out += ["", "## Variants", ""]
    configurations: list[tuple[str | None, str, dict[str, Any]]] = []
    if spec.expectation(None).status != "ok":
        configurations.append((None, "", {}))
    configurations += [(v.name, v.doc, dict(v.params)) for v in spec.variants.values()]
    if not configurations:
        out.append("This spec has no variants: its default configuration holds.")
    for variant, vdoc, params in configurations:
        out += _variant(name, spec, variant, vdoc, params)
    return "\n".join(out) + "\n"


def _variant(name: str, spec: Spec, variant: str | None, doc: str,
             params: dict[str, Any]) -> list[str]:
    expect = spec.expectation(variant)
    command = f"modelcheck verify {name}" + (f" --variant {variant}" if variant else "")
    out = [f"### {variant or 'the default configuration'}", ""]
    if doc:
        out += [" ".join(doc.split()), ""]
    if params:
        shown = ", ".join(f"`{k}={render_value(to_json(v))}`" for k, v in params.items())
        out += [f"Parameters: {shown}.", ""]
    out += [f"Expected verdict: **{expect}** (`{command}`).", ""]
    if expect.status == "ok":
        return out
    result = check(spec, variant=variant, max_states=MAX_STATES)
    trace = result.violation.trace if result.violation is not None else None
    if trace is None:
        return out + [f"Its counterexample lies beyond the {MAX_STATES:,} states searched "
                      f"while this page was built: `{command} --trace-out cex.html` finds "
                      "it and draws it.", ""]
    assert result.violation is not None
    out += [f"The counterexample: {result.violation.message}.", ""]
    try:
        svg = render_as(trace, "svg", spec=spec)
    except UsageError:
        svg = ""  # no messages to draw
    if svg:
        out += ['<div class="sequence-diagram" markdown="0">',
                svg[svg.index("<svg"):].strip(), "</div>", ""]
    out += ['??? example "The trace, as `modelcheck verify` prints it"', "",
            "    ```text"]
    out += [f"    {line}".rstrip() for line in render_as(trace, "text", spec=spec).splitlines()]
    out += ["    ```", ""]
    return out

