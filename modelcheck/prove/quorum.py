"""Quorum systems: prove that every two quorums that must intersect do, or show two that don't.

A quorum system is a set of ``nodes`` and one or more *kinds* of quorum (read and write,
phase 1 and phase 2), each a monotone predicate over which nodes a set contains: a superset
of a quorum is a quorum. Safety needs certain pairs of kinds to intersect (a read quorum
must meet every write quorum so that a read sees the last write). For each such pair z3
is asked for two disjoint quorums; ``unsat`` proves the pair intersects, a model is a
counterexample, and the smallest one (fewest nodes in the two quorums) is shown.

Cardinality systems (majority, read/write ``W``/``R``, Flexible Paxos ``q1``/``q2``) are
also proved for every cluster size at once: two disjoint subsets of ``n`` nodes with ``a``
and ``b`` members exist exactly when ``a + b <= n``, so the question becomes one of linear
integer arithmetic in ``n`` that z3 decides, and a counterexample comes with the smallest
``n``. Sizes may be expressions in ``n`` (``n//2 + 1``). Weighted votes and grids are
proved for their given layout.

The *fault tolerance* of a system is the largest ``f`` such that any ``f`` failed nodes
leave a quorum of every kind among the live ones. By monotonicity it is one less than the
smallest set of nodes whose failure leaves no quorum of some kind, which z3 finds by
minimisation; that set is reported as the witness.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from modelcheck.errors import UsageError
from modelcheck.prove.proof import Claim, Proof, Stopwatch, unknown_reason
from modelcheck.state import JSON

__all__ = [
    "CardinalityFamily",
    "QuorumKind",
    "QuorumSystem",
    "SizeExpr",
    "flexible_paxos",
    "grid",
    "majority",
    "prove_family",
    "prove_quorums",
    "read_write",
    "threshold",
    "weighted",
]

Membership = Sequence[Any]
"""One z3 Bool per node: whether the node is in the set."""


@dataclass(frozen=True)
class QuorumKind:
    """One kind of quorum: its name, a description, and its membership predicate."""

    name: str
    description: str
    contains: Callable[[Membership], Any]
    """Maps one z3 Bool per node to a z3 Bool: the set is a quorum of this kind."""


@dataclass(frozen=True)
class QuorumSystem:
    """Nodes, kinds of quorum, and the pairs of kinds that must intersect.

    ``symmetric`` says nodes are interchangeable (quorums are defined by size alone), so
    a counterexample can be shown on the lowest-numbered nodes without further search.
    ``weights`` are the nodes' votes, shown beside the members of a weighted quorum.
    """

    subject: str
    nodes: int
    kinds: tuple[QuorumKind, ...]
    must_intersect: tuple[tuple[str, str], ...]
    params: dict[str, JSON]
    symmetric: bool = False
    weights: tuple[int, ...] | None = None
    layout: str = ""
    """How nodes are numbered, when it matters (a grid's rows)."""

    def kind(self, name: str) -> QuorumKind:
        """The kind called ``name``."""
        for k in self.kinds:
            if k.name == name:
                return k
        raise KeyError(name)


# -- sizes as expressions in n --------------------------------------------------------------


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    # z3's `/` on integers is Euclidean division: floor division for the positive divisors
    # quorum sizes use. Python's `//` is not defined on z3 terms.
    ast.FloorDiv: lambda a, b: a / b if isinstance(a, z3.ArithRef) else a // b,
}


@dataclass(frozen=True)
class SizeExpr:
    """A quorum size: an integer, or an expression in ``n`` (the number of nodes).

    Allowed: integers, ``n``, ``+ - * //`` and parentheses (``n//2 + 1``). The same
    expression evaluates on a Python int and on a z3 integer term.
    """

    text: str
    tree: ast.expr

    @classmethod
    def parse(cls, text: str, option: str = "size") -> SizeExpr:
        """Parse ``text``; a usage error names ``option`` and what is allowed."""
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            tree = None
        if tree is None or not _allowed(tree):
            raise UsageError(
                f"{option} {text!r}: expected an integer or an expression in n using + - * // "
                "and parentheses, e.g. 3 or 'n//2 + 1'")
        return cls(text.strip(), tree)

    @property
    def uses_n(self) -> bool:
        """Whether the size depends on the number of nodes."""
        return any(isinstance(node, ast.Name) for node in ast.walk(self.tree))

    def __call__(self, n: Any) -> Any:
        """The size for ``n`` nodes: an int for an int, a z3 term for a z3 term."""
        return _evaluate(self.tree, n)

    def json(self) -> JSON:
        """The size as given: an int, or the expression's text."""
        return self.tree.value if isinstance(self.tree, ast.Constant) else self.text

    def __str__(self) -> str:
        return self.text


def _allowed(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Name):
        return node.id == "n"
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and _allowed(node.operand)
    if isinstance(node, ast.BinOp):
        return type(node.op) in _BINOPS and _allowed(node.left) and _allowed(node.right)
    return False


def _evaluate(node: ast.expr, n: Any) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return n
    if isinstance(node, ast.UnaryOp):
        return -_evaluate(node.operand, n)
    assert isinstance(node, ast.BinOp)
    return _BINOPS[type(node.op)](_evaluate(node.left, n), _evaluate(node.right, n))


# -- quorum systems ---------------------------------------------------------------------


@dataclass(frozen=True)
class CardinalityFamily:
    """Quorum systems defined by sizes alone, one system for every number of nodes ``n``.

    ``sizes`` maps each kind to its size (an expression in ``n``); a quorum of that kind is
    any set of at least that many nodes.
    """

    subject: str
    sizes: dict[str, SizeExpr]
    must_intersect: tuple[tuple[str, str], ...]
    options: dict[str, str]
    """The command-line option that set each kind's size, for error messages."""

    def at(self, n: int) -> QuorumSystem:
        """The system on ``n`` nodes; a usage error if some kind has no quorum there."""
        kinds = []
        for name, expr in self.sizes.items():
            size = expr(n)
            if size > n:
                where = f" at N={n}" if expr.uses_n else ""
                raise UsageError(
                    f"{self.options[name]} {expr}{where} asks for {size} of {n} nodes: no "
                    f"{name} quorum exists. Use a size of at most the number of nodes"
                    + (" or start the range higher with --from" if where else ""))
            kinds.append(QuorumKind(name, f"≥{max(size, 0)} of {n} nodes",
                                    _at_least(max(size, 0))))
        params: dict[str, JSON] = {"nodes": n}
        params.update({self.options[k].lstrip("-"): v.json() for k, v in self.sizes.items()})
        return QuorumSystem(self.subject, n, tuple(kinds), self.must_intersect, params,
                            symmetric=True)


def _at_least(size: int, weights: Sequence[int] | None = None) -> Callable[[Membership], Any]:
    def contains(x: Membership) -> Any:
        w = weights or [1] * len(x)
        return z3.Sum([z3.If(xi, wi, 0) for xi, wi in zip(x, w)]) >= size
    return contains


def majority() -> CardinalityFamily:
    """Majority quorums: any ``n//2 + 1`` of ``n`` nodes; every two must intersect."""
    return threshold(SizeExpr.parse("n//2 + 1"), subject="majority quorums")


def threshold(size: SizeExpr, *, subject: str = "threshold quorums",
              option: str = "--quorum") -> CardinalityFamily:
    """Any ``size`` nodes form a quorum; every two quorums must intersect."""
    return CardinalityFamily(subject, {"quorum": size}, (("quorum", "quorum"),),
                             {"quorum": option})


def read_write(write: SizeExpr, read: SizeExpr) -> CardinalityFamily:
    """Read/write quorums (Gifford's weighted voting with one vote each).

    A read quorum must meet every write quorum (``W + R > N``: a read sees the last
    write) and two write quorums must meet (``2W > N``: writes are ordered).
    """
    return CardinalityFamily("read/write quorums", {"write": write, "read": read},
                             (("write", "read"), ("write", "write")),
                             {"write": "--write", "read": "--read"})


def flexible_paxos(phase1: SizeExpr, phase2: SizeExpr) -> CardinalityFamily:
    """Flexible Paxos (Howard et al., 2016): every phase-1 quorum meets every phase-2 one.

    Phase-2 quorums need not meet each other, nor phase-1 quorums each other.
    """
    return CardinalityFamily("Flexible Paxos quorums", {"phase-1": phase1, "phase-2": phase2},
                             (("phase-1", "phase-2"),),
                             {"phase-1": "--phase1", "phase-2": "--phase2"})


def weighted(weights: Sequence[int], *, quorum: int | None = None, write: int | None = None,
             read: int | None = None) -> QuorumSystem:
    """Weighted votes: node ``i`` has ``weights[i]`` votes.

    With ``write`` and ``read`` (in votes) the system has read and write quorums that
    must intersect as in :func:`read_write`; otherwise any set with at least ``quorum``
    votes (by default more than half of all votes) is a quorum, and every two must meet.
    """
    weights = tuple(weights)
    if not weights or any(w < 0 for w in weights):
        raise UsageError(f"--weights {','.join(map(str, weights))}: give one non-negative "
                         "number of votes per node, e.g. --weights 2,1,1")
    total = sum(weights)
    params: dict[str, JSON] = {"weights": ",".join(map(str, weights))}
    if (write is None) != (read is None):
        raise UsageError("--write and --read go together: give both, in votes")
    sizes: dict[str, int]
    pairs: tuple[tuple[str, str], ...]
    if write is not None and read is not None:
        if quorum is not None:
            raise UsageError("give either --threshold or --write and --read, not both")
        sizes, pairs = {"write": write, "read": read}, (("write", "read"), ("write", "write"))
        params.update(write=write, read=read)
    else:
        q = total // 2 + 1 if quorum is None else quorum
        sizes, pairs = {"quorum": q}, (("quorum", "quorum"),)
        params.update(threshold=q)
    kinds = []
    for name, size in sizes.items():
        if size > total:
            raise UsageError(f"{name} quorums need {size} votes but there are only {total}: "
                             "no quorum exists")
        kinds.append(QuorumKind(name, f"≥{size} of {total} votes", _at_least(size, weights)))
    return QuorumSystem("weighted quorums", len(weights), tuple(kinds), pairs, params,
                        weights=weights)


def grid(rows: int, cols: int) -> QuorumSystem:
    """The grid protocol (Cheung, Ammar and Ahamad, 1990) on ``rows × cols`` nodes.

    A read quorum holds a node of every column; a write quorum holds a whole column as
    well. A write quorum meets every read quorum (in its full column) and every other
    write quorum; two read quorums need not meet.
    """
    if rows < 1 or cols < 1:
        raise UsageError(f"--grid {rows}x{cols}: rows and columns must be at least 1")

    def covers(x: Membership) -> Any:
        return z3.And([z3.Or([x[r * cols + c] for r in range(rows)]) for c in range(cols)])

    def write(x: Membership) -> Any:
        full = z3.Or([z3.And([x[r * cols + c] for r in range(rows)]) for c in range(cols)])
        return z3.And(covers(x), full)

    kinds = (QuorumKind("write", "a full column and a node of every column", write),
             QuorumKind("read", "a node of every column", covers))
    return QuorumSystem("grid quorums", rows * cols, kinds, (("write", "read"), ("write", "write")),
                        {"grid": f"{rows}x{cols}"},
                        layout=f"node r*{cols}+c is in row r, column c")


# -- proofs --------------------------------------------------------------------------------


def prove_quorums(system: QuorumSystem, *, timeout: float = 60.0) -> Proof:
    """Prove each required intersection of ``system`` and compute its fault tolerance."""
    watch = Stopwatch()
    claims = tuple(_prove_pair(system, a, b, timeout) for a, b in system.must_intersect)
    facts, notes = _fault_tolerance(system, timeout)
    if system.layout:
        notes = (f"(nodes are numbered 0 .. {system.nodes - 1}; {system.layout})", *notes)
    return Proof("quorum", system.subject, system.params, claims, watch(), facts, notes)


def prove_family(family: CardinalityFamily, *, up_to: int, start: int = 1,
                 timeout: float = 60.0) -> Proof:
    """Prove ``family`` for every ``n`` in ``start .. up_to``, and symbolically for all ``n``.

    For each pair of kinds, one claim covers the range (one query per ``n``, stopping at
    the smallest refuted ``n``) and one claim covers every ``n >= start`` at once.
    """
    if start < 1 or up_to < start:
        raise UsageError(f"--from {start} --up-to {up_to}: need 1 <= FROM <= UP_TO")
    watch = Stopwatch()
    systems = [family.at(n) for n in range(start, up_to + 1)]  # usage errors before z3 runs
    claims: list[Claim] = []
    for a, b in family.must_intersect:
        claims.append(_prove_pair_range(systems, a, b, timeout))
        claims.append(_prove_pair_symbolic(family, a, b, start, timeout))
    params: dict[str, JSON] = {"from": start, "up_to": up_to}
    params.update({family.options[k].lstrip("-"): v.json() for k, v in family.sizes.items()})
    return Proof("quorum", family.subject, params, tuple(claims), watch())


def _statement(system: QuorumSystem | None, a: str, b: str, suffix: str = "") -> str:
    def named(k: str, plural: bool = False) -> str:
        desc = f" ({system.kind(k).description})" if system is not None else ""
        noun = "quorums" if plural else "quorum"
        return (noun if k == "quorum" else f"{k} {noun}") + desc
    if a == b:
        return f"every two {named(a, plural=True)} intersect{suffix}"
    return f"every {named(a)} intersects every {named(b)}{suffix}"


def _pair_name(a: str, b: str) -> str:
    return f"{a}-{b}" if a != b or a != "quorum" else "quorum-quorum"


def _prove_pair(system: QuorumSystem, a: str, b: str, timeout: float) -> Claim:
    watch = Stopwatch()
    n = system.nodes
    x = [z3.Bool(f"first_{i}") for i in range(n)]
    y = [z3.Bool(f"second_{i}") for i in range(n)]
    constraints = [system.kind(a).contains(x), system.kind(b).contains(y),
                   *[z3.Not(z3.And(x[i], y[i])) for i in range(n)]]
    outcome = _smallest(constraints, [x, y], timeout, system.symmetric)
    name, statement = _pair_name(a, b), _statement(system, a, b)
    if isinstance(outcome, str):
        return Claim(name, statement, "unknown", watch(), reason=outcome)
    if outcome is None:
        return Claim(name, statement, "proved", watch())
    first, second = outcome
    return Claim(name, statement, "refuted", watch(),
                 counterexample=_pair_json(n, a, first, b, second),
                 explanation=_pair_lines(system, a, first, b, second))


def _pair_json(n: int, a: str, first: list[int], b: str, second: list[int]) -> dict[str, JSON]:
    return {"nodes": n, "quorums": [{"kind": a, "members": list(first)},
                                    {"kind": b, "members": list(second)}]}


def _pair_lines(system: QuorumSystem | None, a: str, first: list[int], b: str,
                second: list[int], n: int | None = None) -> tuple[str, ...]:
    def describe(members: list[int]) -> str:
        text = "{" + ", ".join(map(str, members)) + "}"
        if system is not None and system.weights is not None:
            return f"{text}  ({sum(system.weights[i] for i in members)} votes)"
        return f"{text}  ({len(members)} nodes)"
    where = f" with N={n}" if n is not None else ""
    la, lb = _noun(a) + ":", _noun(b) + ":"
    width = max(len(la), len(lb))
    return (f"{la:<{width}} {describe(first)}",
            f"{lb:<{width}} {describe(second)}",
            f"two disjoint quorums{where}: they share no node")


def _noun(kind: str) -> str:
    return "quorum" if kind == "quorum" else f"{kind} quorum"


def _prove_pair_range(systems: list[QuorumSystem], a: str, b: str, timeout: float) -> Claim:
    watch = Stopwatch()
    lo, hi = systems[0].nodes, systems[-1].nodes
    name = f"{_pair_name(a, b)}@{lo}..{hi}"
    statement = _statement(None, a, b, f", for every N from {lo} to {hi}")
    for system in systems:
        claim = _prove_pair(system, a, b, max(timeout - watch(), 0.001))
        if claim.status == "unknown":
            return Claim(name, statement, "unknown", watch(),
                         reason=f"at N={system.nodes}: {claim.reason}")
        if claim.status == "refuted":
            return Claim(name, statement, "refuted", watch(),
                         counterexample=claim.counterexample,
                         explanation=(f"smallest counterexample at N={system.nodes}",
                                      *claim.explanation))
    return Claim(name, statement, "proved", watch())


def _prove_pair_symbolic(family: CardinalityFamily, a: str, b: str, start: int,
                         timeout: float) -> Claim:
    watch = Stopwatch()
    name = f"{_pair_name(a, b)}@all"
    statement = _statement(None, a, b, f", for every N ≥ {start} (symbolic in N)")
    n, size_a, size_b = z3.Ints("n size_a size_b")
    opt = z3.Optimize()
    opt.set("timeout", max(int(timeout * 1000), 1))
    # Disjoint sets of size_a and size_b nodes exist among n exactly when their sizes add
    # up to at most n: this equivalence is what makes the question one of arithmetic.
    opt.add(n >= start, size_a >= 0, size_b >= 0, size_a + size_b <= n,
            size_a >= family.sizes[a](n), size_b >= family.sizes[b](n))
    opt.minimize(n)
    opt.minimize(size_a + size_b)
    answer = opt.check()
    if answer == z3.unsat:
        return Claim(name, statement, "proved", watch())
    if answer != z3.sat:
        return Claim(name, statement, "unknown", watch(), reason=unknown_reason(opt))
    model = opt.model()
    nodes = model.eval(n).as_long()
    k, m = model.eval(size_a).as_long(), model.eval(size_b).as_long()
    first, second = list(range(k)), list(range(k, k + m))
    return Claim(name, statement, "refuted", watch(),
                 counterexample=_pair_json(nodes, a, first, b, second),
                 explanation=(f"smallest counterexample at N={nodes}",
                              *_pair_lines(None, a, first, b, second)))


def _smallest(constraints: list[Any], groups: list[list[Any]], timeout: float,
              symmetric: bool) -> list[list[int]] | str | None:
    """The sets (one per group of Bools) satisfying ``constraints`` with fewest members.

    None when unsatisfiable, a reason when z3 cannot tell. Ties are broken towards the
    lowest-numbered nodes, so the answer does not depend on z3's search order: for
    interchangeable nodes by renumbering, otherwise by fixing one Bool at a time.
    """
    total = z3.Sum([z3.If(v, 1, 0) for g in groups for v in g])
    opt = z3.Optimize()
    opt.set("timeout", max(int(timeout * 1000), 1))
    opt.add(constraints)
    opt.minimize(total)
    answer = opt.check()
    if answer == z3.unsat:
        return None
    if answer != z3.sat:
        return unknown_reason(opt)
    model = opt.model()
    if symmetric:
        # Groups are disjoint here (pairs of disjoint quorums, or one set), so the same
        # sizes on consecutive nodes are a solution too.
        out, nxt = [], 0
        for g in groups:
            k = sum(z3.is_true(model.eval(v, model_completion=True)) for v in g)
            out.append(list(range(nxt, nxt + k)))
            nxt += k
        return out
    best = model.eval(total).as_long()
    solver = z3.Solver()
    solver.set("timeout", max(int(timeout * 1000), 1))
    solver.add(constraints)
    solver.add(total == best)
    for g in groups:
        for v in g:
            solver.push()
            solver.add(v)
            keep = solver.check() == z3.sat
            solver.pop()
            solver.add(v if keep else z3.Not(v))
    if solver.check() != z3.sat:  # pragma: no cover - the optimum was satisfiable
        return unknown_reason(solver)
    model = solver.model()
    return [[i for i, v in enumerate(g) if z3.is_true(model.eval(v, model_completion=True))]
            for g in groups]


def _fault_tolerance(system: QuorumSystem,
                     timeout: float) -> tuple[dict[str, JSON], tuple[str, ...]]:
    per_kind: dict[str, JSON] = {}
    worst: tuple[int, str, list[int]] | None = None
    for kind in system.kinds:
        failed = [z3.Bool(f"failed_{i}") for i in range(system.nodes)]
        outcome = _smallest([z3.Not(kind.contains([z3.Not(f) for f in failed]))], [failed],
                            timeout, system.symmetric)
        if isinstance(outcome, str):
            return {"fault_tolerance": None}, (f"fault tolerance: unknown ({outcome})",)
        if outcome is None:  # the empty set is a quorum: no failure removes every quorum
            tolerates, blocking = system.nodes, None
        else:
            tolerates, blocking = len(outcome[0]) - 1, outcome[0]
        per_kind[kind.name] = {"tolerates": tolerates, "blocking_set": blocking}
        if blocking is not None and (worst is None or tolerates < worst[0]):
            worst = (tolerates, kind.name, blocking)
    overall = min(int(v["tolerates"]) for v in per_kind.values())
    facts: dict[str, JSON] = {"fault_tolerance": overall, "per_kind": per_kind}
    kinds = " and ".join(f"a {_noun(k.name)}" for k in system.kinds)
    line = (f"fault tolerance: any {overall} of the {system.nodes} nodes may fail and "
            f"{kinds} remain{'s' if len(system.kinds) == 1 else ''}")
    if worst is not None:
        members = "{" + ", ".join(map(str, worst[2])) + "}"
        line += f"; nodes {members} failing leave no {_noun(worst[1])}"
    return facts, (line,)
