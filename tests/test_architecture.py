"""The package's shape, as docs/architecture.md describes it: layers that only import downwards.

Every ``import`` counts, including those inside functions and under ``TYPE_CHECKING``: a
deferred import is still a dependency, and a circle of them is a layer reaching back up.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "modelcheck"


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module's dotted name
    target: str  # the dotted name imported (a module, or a module's attribute)
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _package_of(module: str) -> str:
    """The package a module's relative imports start from."""
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def _imports() -> Iterator[Import]:
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = _package_of(module).split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    yield Import(module, f"{base}.{alias.name}", node.lineno)


IMPORTS = [i for i in _imports() if i.target.startswith("modelcheck.")]


def _resolve(name: str) -> str | None:
    """The modelcheck module ``name`` is, or is an attribute of."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        target = _resolve(i.target)
        # Importing from a package's __init__ is importing its public face; the modules the
        # __init__ re-exports are what the circle check follows.
        if target and target != i.importer and MODULES[target].name != "__init__.py":
            edges[i.importer].add(target)
    return edges


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, successors = work[-1]
            for w in successors:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_check_sees_a_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _circles(edges) == [["a", "b", "c"]]


def test_the_check_reads_every_kind_of_import() -> None:
    # Deferred and TYPE_CHECKING imports are dependencies too.
    assert len(MODULES) > 50
    assert any(i.importer == "modelcheck.cli" for i in IMPORTS)
    targets = {_resolve(i.target) for i in IMPORTS}
    assert "modelcheck.spec" in targets and "modelcheck.explore.bfs" in targets


def test_no_module_imports_another_in_a_circle() -> None:
    assert _circles(_edges()) == []


def _private_owner(name: str) -> str | None:
    """The package a private part of dotted ``name`` belongs to, or None when no part is
    private: ``modelcheck.explore`` for ``modelcheck.explore._base.Run`` (a private module)
    and for ``modelcheck.explore.bfs._expand`` (a private name of one of its modules)."""
    parts = name.split(".")
    for k, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            holder = ".".join(parts[:k])
            if holder in MODULES and MODULES[holder].name != "__init__.py":
                return holder.rpartition(".")[0]
            return holder
    return None


def test_no_module_imports_a_private_name_from_another_package() -> None:
    reaching = []
    for i in IMPORTS:
        owner = _private_owner(i.target)
        if owner is None:
            continue
        if not (i.importer == owner or i.importer.startswith(owner + ".")):
            reaching.append(f"{MODULES[i.importer].name}:{i.line} {i.importer} imports {i.target}")
    assert reaching == []


@pytest.mark.parametrize("engine", ["modelcheck.explore", "modelcheck.shrink", "modelcheck.trace",
                                    "modelcheck.render"])
def test_the_engine_does_not_know_the_network_library(engine: str) -> None:
    mine = [i for i in IMPORTS if i.importer == engine or i.importer.startswith(engine + ".")]
    assert mine, f"no imports found for {engine}"
    assert [i for i in mine if (_resolve(i.target) or "").startswith("modelcheck.network")] == []


def test_the_docs_the_code_cites_are_in_the_repository() -> None:
    for path in [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "specs").rglob("*.py")]:
        assert "DESIGN.md" not in path.read_text(), path


def test_no_command_module_imports_another() -> None:
    # cli/__init__ registers the commands; each command module stands on cli/common alone.
    shared = {"modelcheck.cli", "modelcheck.cli.common"}
    commands = {m for m in MODULES if m.startswith("modelcheck.cli.")} - shared
    assert {"modelcheck.cli.verify", "modelcheck.cli.trace"} <= commands
    crossing = [f"{i.importer} imports {i.target}" for i in IMPORTS
                if i.importer in commands and _resolve(i.target) in commands - {i.importer}]
    assert crossing == []


def test_the_engine_does_not_know_the_command_line() -> None:
    front = ("modelcheck.cli", "modelcheck.__main__")
    outside = [f"{i.importer} imports {i.target}" for i in IMPORTS
               if not i.importer.startswith(front)
               and (_resolve(i.target) or "").startswith("modelcheck.cli")]
    assert outside == []
