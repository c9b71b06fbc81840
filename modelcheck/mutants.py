"""Mutants of a spec: one small change to one of its steps, made from the source with ``ast``.

A mutant changes one place in the body of one of the spec's *steps*: its init functions,
its actions and, for a spec on modelcheck.network, its message handlers and timers (the
bodies of the network's actions). A step is a function defined at the top level of the
spec's module and decorated with ``X.init``, ``X.action``, ``X.handler`` or ``X.timer``
(called or not: ``@spec.action(rm=_rms)``, ``@net.handler(Prepared)``). With ``helpers``,
the top-level functions the steps call (or name) in their bodies, directly or through one
another, are mutated too: a quorum rule or a commit rule often lives in one. Properties and
parameter domains are left alone. The operators, each the shape of a classic protocol
bug:

``drop-guard``
    ``if cond: return None`` removed: the step runs where it must not.
``drop-conjunct``
    one operand of ``a and b`` dropped: a guard that checks less.
``and-or``
    ``and`` made ``or``, and ``or`` made ``and``.
``flip-comparison``
    ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``.
``off-by-one``
    an integer constant ``c`` made ``c + 1`` or ``c - 1``, ``x + 1`` made ``x``, a quorum
    ``n // 2`` made ``n // 2 + 1`` or ``n // 2 - 1``.
``max-min``
    ``max`` ↔ ``min``.
``drop-update``
    one field update dropped: a keyword of ``.replace(...)``, a ``set_at(t, i, v)`` that
    leaves ``t`` as it was, a keyword of a record's construction.
``field-constant``
    an integer field of a record or message built in a step given the constant ``0``.
``skip-send``
    a ``.send``, ``.broadcast`` or ``.reply`` on the network that leaves it as it was (or,
    for a send of several messages, leaves one out).

Each mutant is the module's source with one span rewritten, so it reads as a unified diff
against the original; its ``id`` (``function:operator:k``, the k-th of that operator in
that function) stays the same however the rest of the module changes. Two operators that
make the same source make one mutant.
"""

from __future__ import annotations

import ast
import difflib
import os
import sys
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from modelcheck.errors import UsageError
from modelcheck.spec import Spec

__all__ = ["OPERATORS", "Mutant", "generate", "helper_functions", "module_of", "source_of",
           "step_functions"]

OPERATORS = ("drop-guard", "drop-conjunct", "and-or", "flip-comparison", "off-by-one",
             "max-min", "drop-update", "field-constant", "skip-send")
"""The mutation operators, in the order a place's mutants are listed."""

STEP_DECORATORS = frozenset({"init", "action", "handler", "timer"})
"""``X.<name>`` decorators that make a function a step of the spec."""

_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_SENDS = frozenset({"send", "broadcast", "reply"})
_ATOMIC = (ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.Subscript, ast.Tuple,
           ast.List, ast.Set, ast.Dict)


@dataclass(frozen=True)
class Mutant:
    """One change at one place of the spec's module."""

    number: int
    """1, 2 ...: the mutant's place in the list (``--show N``)."""
    id: str
    """``function:operator:k``, stable while that function is unchanged."""
    function: str
    operator: str
    line: int
    description: str
    source: str
    """The whole mutated module."""
    diff: str
    """A unified diff from the original module to :attr:`source`."""

    def to_json(self) -> dict[str, Any]:
        """The mutant's fields for ``modelcheck mutate --json`` (the source left out)."""
        return {"number": self.number, "id": self.id, "function": self.function,
                "operator": self.operator, "line": self.line,
                "description": self.description, "diff": self.diff}


def module_of(spec: Spec) -> ModuleType:
    """The module that defines ``spec``."""
    module = sys.modules.get(spec.module)
    if module is None:
        raise UsageError(f"spec {spec.name!r}: its module {spec.module!r} is not loaded, so "
                         "its source cannot be mutated")
    return module


def source_of(spec: Spec) -> tuple[str, str]:
    """The source of ``spec``'s module and its file name."""
    module = module_of(spec)
    path = getattr(module, "__file__", None)
    if not path:
        raise UsageError(f"spec {spec.name!r}: module {module.__name__!r} has no source file")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    except OSError as e:
        raise UsageError(f"spec {spec.name!r}: cannot read its source {path!r}: {e}") from e


def _decorator_name(d: ast.expr) -> str | None:
    target = d.func if isinstance(d, ast.Call) else d
    return target.attr if isinstance(target, ast.Attribute) else None


def step_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """The module's top-level functions decorated as steps, in source order."""
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)
            and any(_decorator_name(d) in STEP_DECORATORS for d in node.decorator_list)]


def _declared(d: ast.expr) -> bool:
    """Whether decorator ``d`` declares its function to a spec or network (``@spec.always``,
    ``@net.handler(T)``...), as opposed to wrapping it (``@cache``)."""
    target = d.func if isinstance(d, ast.Call) else d
    return isinstance(target, ast.Attribute) and not (
        isinstance(target.value, ast.Name) and target.value.id == "functools")


def helper_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """The module's top-level functions, declared to nothing, that a step's body calls or
    names, directly or through other such functions; in source order."""
    helpers = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)
               and not any(_declared(d) for d in node.decorator_list)}
    found: set[str] = set()
    todo = [stmt for fn in step_functions(tree) for stmt in fn.body]
    while todo:
        for node in ast.walk(todo.pop()):
            if isinstance(node, ast.Name) and node.id in helpers and node.id not in found:
                found.add(node.id)
                todo.extend(helpers[node.id].body)
    return [fn for fn in helpers.values() if fn.name in found]


def _short(node: ast.AST, width: int = 60) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _is_none_return(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Return) and (
        stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None))


def _int_fields(module: ModuleType, name: str) -> tuple[tuple[str, ...], frozenset[str],
                                                         frozenset[str]] | None:
    """For a record or dataclass class ``name`` of ``module``: its fields in order, those
    annotated ``int`` and those with a default; None for anything else."""
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        return None
    fields: tuple[str, ...] | None = getattr(cls, "_fields", None)
    if fields is None:
        return None
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {}
    ints = frozenset(f for f in fields if hints.get(f) is int)
    return tuple(fields), ints, frozenset(getattr(cls, "_defaults", {}))


@dataclass(frozen=True)
class _Edit:
    """A change: the span of ``node`` (or of a whole statement) replaced by ``text``."""

    operator: str
    node: ast.AST
    text: str | None  # None: delete the statement's lines
    description: str


def _replace(node: ast.expr, new: ast.expr, operator: str, description: str) -> _Edit:
    text = ast.unparse(new)
    if not isinstance(new, _ATOMIC):
        text = f"({text})"
    return _Edit(operator, node, text, description)


def _edits(fn: ast.FunctionDef, module: ModuleType | None) -> Iterator[_Edit]:
    """Every change of the operators to the body of ``fn``, in source order."""
    nodes: list[ast.AST] = []
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    for stmt in body:
        nodes.extend(ast.walk(stmt))
    parents: dict[ast.AST, ast.AST] = {}
    for stmt in body:
        for parent in ast.walk(stmt):
            for child in ast.iter_child_nodes(parent):
                parents[child] = parent
    nodes.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    for node in nodes:
        yield from _edits_of(node, parents, module)


def _edits_of(node: ast.AST, parents: dict[ast.AST, ast.AST],
              module: ModuleType | None) -> Iterator[_Edit]:
    if isinstance(node, ast.If) and not node.orelse and len(node.body) == 1 \
            and _is_none_return(node.body[0]):
        holder = parents.get(node)
        siblings: Sequence[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            seq = getattr(holder, name, None) if holder is not None else None
            if isinstance(seq, list) and node in seq:
                siblings = seq
        if holder is None or len(siblings) > 1:
            yield _Edit("drop-guard", node, None,
                        f"drop the guard `if {_short(node.test)}: return None`")
    elif isinstance(node, ast.BoolOp):
        word = "and" if isinstance(node.op, ast.And) else "or"
        if isinstance(node.op, ast.And):
            for i, v in enumerate(node.values):
                rest = node.values[:i] + node.values[i + 1:]
                new = rest[0] if len(rest) == 1 else ast.BoolOp(ast.And(), rest)
                yield _replace(node, new, "drop-conjunct",
                               f"drop `{_short(v, 40)}` from `{_short(node)}`")
        other = ast.Or() if word == "and" else ast.And()
        yield _replace(node, ast.BoolOp(other, node.values), "and-or",
                       f"`{word}` -> `{'or' if word == 'and' else 'and'}` in `{_short(node)}`")
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            flipped = _FLIP.get(type(op))
            if flipped is None:
                continue
            ops = [*node.ops[:i], flipped(), *node.ops[i + 1:]]
            new = ast.Compare(node.left, ops, node.comparators)
            yield _replace(node, new, "flip-comparison",
                           f"`{_short(node)}` -> `{_short(new)}`")
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        parent = parents.get(node)
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub)) \
                and parent.right is node and node.value == 1:
            yield _replace(parent, parent.left, "off-by-one",
                           f"`{_short(parent)}` -> `{_short(parent.left)}`")
        target: ast.AST = node
        c = node.value
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub):
            target, c = parent, -c  # -1 is one constant
            parent = parents.get(parent)
        for value in (c + 1, c - 1):
            text = repr(value) if value >= 0 else f"({value})"
            yield _Edit("off-by-one", target, text,
                        f"{c} -> {value} in `{_short(parent or target)}`")
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv):
        for arith, sign in ((ast.Add(), "+"), (ast.Sub(), "-")):
            new = ast.BinOp(node, arith, ast.Constant(1))
            yield _replace(node, new, "off-by-one",
                           f"`{_short(node)}` -> `{_short(node)} {sign} 1`")
    elif isinstance(node, ast.Call):
        yield from _call_edits(node, parents, module)


def _call_name(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)


def _call_edits(node: ast.Call, parents: dict[ast.AST, ast.AST],
                module: ModuleType | None) -> Iterator[_Edit]:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    if isinstance(func, ast.Name) and name in ("max", "min"):
        other = "min" if name == "max" else "max"
        new = ast.Call(ast.Name(other), node.args, node.keywords)
        yield _replace(node, new, "max-min", f"`{name}` -> `{other}` in `{_short(node)}`")
    elif isinstance(func, ast.Attribute) and name == "replace":
        for k in node.keywords:
            if k.arg is None or _call_name(k.value) in _SENDS | {"set_at"}:
                continue  # skip-send and set_at's drop-update make the same change
            new = ast.Call(func, node.args, [x for x in node.keywords if x is not k])
            yield _replace(node, new, "drop-update",
                           f"drop the update `{k.arg}={_short(k.value, 40)}`")
    elif name == "set_at" and len(node.args) == 3 and not node.keywords:
        yield _replace(node, node.args[0], "drop-update",
                       f"drop `{_short(node)}`: `{_short(node.args[0], 40)}` unchanged")
    elif isinstance(func, ast.Attribute) and name in _SENDS and len(node.args) >= 3 \
            and not node.keywords:
        if name == "send" and len(node.args) > 3:
            for i in range(2, len(node.args)):
                new = ast.Call(func, node.args[:i] + node.args[i + 1:], [])
                yield _replace(node, new, "skip-send",
                               f"skip sending `{_short(node.args[i], 40)}`")
        else:
            what = _short(node.args[-1], 40)
            yield _replace(node, node.args[1], "skip-send",
                           f"skip the {name} of `{what}`")
    elif isinstance(func, ast.Name) and name and name[:1].isupper() and module is not None:
        shape = _int_fields(module, name)
        if shape is None:
            return
        fields, ints, with_default = shape
        for k in node.keywords:
            if k.arg is not None and k.arg in with_default:
                new = ast.Call(func, node.args, [x for x in node.keywords if x is not k])
                yield _replace(node, new, "drop-update",
                               f"drop the field `{k.arg}={_short(k.value, 40)}` of `{name}`")
        given = [*zip(fields, node.args),
                 *((k.arg, k.value) for k in node.keywords if k.arg is not None)]
        for field, value in given:
            if field not in ints or isinstance(value, ast.Constant):
                continue
            args = [ast.Constant(0) if a is value else a for a in node.args]
            kws = [ast.keyword(k.arg, ast.Constant(0)) if k.value is value else k
                   for k in node.keywords]
            yield _replace(node, ast.Call(func, args, kws), "field-constant",
                           f"`{name}.{field}` = 0 instead of `{_short(value, 40)}`")


def _apply(lines: list[bytes], edit: _Edit) -> list[bytes] | None:
    """``lines`` (the module's, as bytes) with ``edit`` made; None if it cannot be made
    as one clean change (a statement sharing its line with another)."""
    node = edit.node
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
    start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    if end is None:
        return None
    if edit.text is None:
        if lines[first][:start].strip() or lines[last][end:].strip():
            return None
        return lines[:first] + lines[last + 1:]
    text = edit.text.encode("utf-8")
    return [*lines[:first], lines[first][:start] + text + lines[last][end:], *lines[last + 1:]]


def generate(source: str, filename: str = "<spec>", module: ModuleType | None = None, *,
             helpers: bool = False) -> list[Mutant]:
    """Every mutant of the steps of the module whose source is ``source`` (and, with
    ``helpers``, of the functions they call: :func:`helper_functions`), in source order.

    ``module``, the module loaded from that source, lets the record operators know which
    fields are integers and which have defaults; without it they are left out.
    """
    tree = ast.parse(source, filename)
    lines = source.encode("utf-8").splitlines(keepends=True)
    original = source.splitlines(keepends=True)
    shown = os.path.basename(filename)
    out: list[Mutant] = []
    seen = {source}
    functions = step_functions(tree)
    if helpers:
        functions = sorted(functions + helper_functions(tree), key=lambda fn: fn.lineno)
    for fn in functions:
        counts: dict[str, int] = {}
        for edit in _edits(fn, module):
            changed = _apply(lines, edit)
            if changed is None:
                continue
            mutated = b"".join(changed).decode("utf-8")
            if mutated in seen:
                continue
            try:
                ast.parse(mutated, filename)
            except SyntaxError:
                continue
            seen.add(mutated)
            counts[edit.operator] = counts.get(edit.operator, 0) + 1
            diff = "".join(difflib.unified_diff(
                original, mutated.splitlines(keepends=True), fromfile=f"a/{shown}",
                tofile=f"b/{shown}", n=2))
            out.append(Mutant(len(out) + 1, f"{fn.name}:{edit.operator}:{counts[edit.operator]}",
                              fn.name, edit.operator, getattr(edit.node, "lineno", fn.lineno),
                              edit.description, mutated, diff))
    return out
