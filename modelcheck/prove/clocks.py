"""Vector clock lemmas, proved by z3 over vectors of symbolic non-negative integers.

Mattern's and Fidge's vector clocks: each of ``dimension`` processes keeps a vector; a
local event (a send included) increments the process's own entry, and a receive merges
the message's vector into the receiver's and then increments. ``V(a) <= V(b)`` when every
entry is at most the other's, ``V(a) < V(b)`` when also unequal. The lemmas:

* ``<`` is a strict partial order (irreflexive and transitive);
* merge is the least upper bound of its two arguments (so max, entry by entry);
* each step of the happens-before relation increases the clock: a local event's
  successor, a receive over the message it receives, and a receive over the receiver's
  previous event.

Happens-before (``a → b``) is the transitive closure of those steps, so the last three
lemmas and transitivity give ``a → b ⇒ V(a) < V(b)`` by induction on the chain. A flawed
merge is refuted with the smallest vectors that break a lemma (lexicographically least:
z3 minimises the entries one after another).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import z3

from modelcheck.errors import UsageError
from modelcheck.prove.proof import Claim, Proof, Stopwatch, unknown_reason
from modelcheck.state import JSON

__all__ = ["MERGES", "prove_clocks"]

Vector = Sequence[Any]
"""A vector clock: one z3 integer term per process."""

MERGES: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "max": (lambda a, b: z3.If(a >= b, a, b), "entry-wise maximum (correct)"),
    "flawed-sum": (lambda a, b: a + b, "entry-wise sum: an upper bound, but not the least"),
    "flawed-min": (lambda a, b: z3.If(a <= b, a, b), "entry-wise minimum: a lower bound"),
    "flawed-keep-local": (lambda a, b: a, "keeps the receiver's vector, ignoring the message"),
}
"""Merge functions by name: the entry-wise function and what it is."""


def _leq(a: Vector, b: Vector) -> Any:
    return z3.And([x <= y for x, y in zip(a, b)])


def _lt(a: Vector, b: Vector) -> Any:
    return z3.And(_leq(a, b), z3.Or([x != y for x, y in zip(a, b)]))


def _vector(name: str, dimension: int) -> list[Any]:
    return [z3.Int(f"{name}_{i}") for i in range(dimension)]


def _increment(v: Vector, i: int) -> list[Any]:
    return [x + 1 if k == i else x for k, x in enumerate(v)]


def prove_clocks(dimension: int, merge: str = "max", *, timeout: float = 60.0) -> Proof:
    """Prove the vector clock lemmas for ``dimension`` processes with the named merge."""
    if dimension < 1:
        raise UsageError(f"--dimension {dimension}: a vector clock needs at least 1 process")
    if merge not in MERGES:
        raise UsageError(f"--merge {merge!r}: choose one of {', '.join(MERGES)}")
    fn, _ = MERGES[merge]
    watch = Stopwatch()

    def merged(a: Vector, b: Vector) -> list[Any]:
        return [fn(x, y) for x, y in zip(a, b)]

    a, b, c = (_vector(n, dimension) for n in "abc")
    m = merged(a, b)
    # A receive by process j: its vector b, the message's vector a.
    received = [_increment(merged(b, a), j) for j in range(dimension)]
    lemmas: list[tuple[str, str, list[Any], Any, dict[str, Any]]] = [
        ("irreflexive", "no vector clock is less than itself", [a], z3.Not(_lt(a, a)), {}),
        ("transitive", "a < b and b < c imply a < c", [a, b, c],
         z3.Implies(z3.And(_lt(a, b), _lt(b, c)), _lt(a, c)), {}),
        ("merge-upper-bound", "merge(a, b) is an upper bound of a and b", [a, b],
         z3.And(_leq(a, m), _leq(b, m)), {"merge(a, b)": m}),
        ("merge-least", "merge(a, b) is at most every upper bound c of a and b", [a, b, c],
         z3.Implies(z3.And(_leq(a, c), _leq(b, c)), _leq(m, c)), {"merge(a, b)": m}),
        ("local-step", "a local event (or send) by any process increases its clock", [a],
         z3.And([_lt(a, _increment(a, i)) for i in range(dimension)]), {}),
        ("receive-after-send",
         "a receive's clock exceeds the clock the message was sent with", [a, b],
         z3.And([_lt(a, r) for r in received]), {}),
        ("receive-after-previous",
         "a receive's clock exceeds the receiver's clock before it", [a, b],
         z3.And([_lt(b, r) for r in received]), {}),
    ]
    claims = tuple(_prove(name, statement, vectors, goal, shown, dimension, merged, timeout)
                   for name, statement, vectors, goal, shown in lemmas)
    notes = ("a → b ⇒ V(a) < V(b) follows from local-step, receive-after-send, "
             "receive-after-previous and transitive, by induction on the chain of → steps"
             if all(c.status == "proved" for c in claims[4:]) and claims[1].status == "proved"
             else "a → b ⇒ V(a) < V(b) does not follow: a lemma it rests on is refuted above",)
    params: dict[str, JSON] = {"dimension": dimension, "merge": merge}
    return Proof("clocks", "vector clocks", params, claims, watch(), notes=notes)


def _prove(name: str, statement: str, vectors: list[list[Any]], goal: Any,
           shown: dict[str, Any], dimension: int,
           merged: Callable[[Vector, Vector], list[Any]], timeout: float) -> Claim:
    watch = Stopwatch()
    opt = z3.Optimize()
    opt.set("timeout", max(int(timeout * 1000), 1))
    variables = [x for v in vectors for x in v]
    opt.add([x >= 0 for x in variables])
    opt.add(z3.Not(goal))
    for x in variables:  # lexicographic priority: the least counterexample, entry by entry
        opt.minimize(x)
    answer = opt.check()
    if answer == z3.unsat:
        return Claim(name, statement, "proved", watch())
    if answer != z3.sat:
        return Claim(name, statement, "unknown", watch(), reason=unknown_reason(opt))
    model = opt.model()

    def value(v: Vector) -> list[int]:
        return [model.eval(x, model_completion=True).as_long() for x in v]

    names = "abc"
    witness: dict[str, list[int]] = {names[i]: value(v) for i, v in enumerate(vectors)}
    witness.update({k: value(v) for k, v in shown.items()})
    if name.startswith("receive"):
        a, b = vectors
        for j in range(dimension):
            after = value(_increment(merged(b, a), j))
            bad = not _lt_int(value(a) if name == "receive-after-send" else value(b), after)
            if bad:
                witness = {"message (a)": value(a), "receiver before (b)": value(b),
                           "receiver": [j], "receiver after": after}
                break
    lines = tuple(f"{k} = ({', '.join(map(str, v))})" if k != "receiver" else f"receiver = {v[0]}"
                  for k, v in witness.items())
    cex: dict[str, JSON] = {k: list(v) for k, v in witness.items()}
    return Claim(name, statement, "refuted", watch(), counterexample=cex, explanation=lines)


def _lt_int(a: list[int], b: list[int]) -> bool:
    return all(x <= y for x, y in zip(a, b)) and a != b
