"""z3 proofs: quorum systems, vector clock lemmas and inductive invariants.

Where the explorers check every *reachable* state of one configuration, these prove a
claim for every cluster size (quorums), every vector (clocks) or every state
(inductive invariants), or return a concrete counterexample. Each answer is a
:class:`Proof` with the exit codes of ``modelcheck verify``.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from modelcheck.errors import UsageError
from modelcheck.spec import Spec

if TYPE_CHECKING:
    from modelcheck.prove.clocks import MERGES, prove_clocks
    from modelcheck.prove.induction import (
        BOOL,
        Finite,
        SymbolicSpec,
        SymState,
        Update,
        evaluate,
        prove_induction,
        step_allowed,
    )
    from modelcheck.prove.proof import Claim, Proof
    from modelcheck.prove.quorum import (
        CardinalityFamily,
        QuorumSystem,
        SizeExpr,
        flexible_paxos,
        grid,
        majority,
        prove_family,
        prove_quorums,
        read_write,
        threshold,
        weighted,
    )

# Imported on first use: z3 takes a third of a second to import, and every `modelcheck`
# command loads this package (the `prove` commands are registered with the CLI).
_LAZY = {
    "MERGES": "clocks", "prove_clocks": "clocks",
    **dict.fromkeys(["BOOL", "Finite", "SymbolicSpec", "SymState", "Update", "evaluate",
                     "prove_induction", "step_allowed"], "induction"),
    "Claim": "proof", "Proof": "proof",
    **dict.fromkeys(["CardinalityFamily", "QuorumSystem", "SizeExpr", "flexible_paxos",
                     "grid", "majority", "prove_family", "prove_quorums", "read_write",
                     "threshold", "weighted"], "quorum"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"modelcheck.prove.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BOOL",
    "MERGES",
    "CardinalityFamily",
    "Claim",
    "Finite",
    "Proof",
    "QuorumSystem",
    "SizeExpr",
    "SymState",
    "SymbolicSpec",
    "Update",
    "encoding_of",
    "evaluate",
    "flexible_paxos",
    "grid",
    "majority",
    "prove_clocks",
    "prove_family",
    "prove_induction",
    "prove_quorums",
    "read_write",
    "step_allowed",
    "threshold",
    "weighted",
]


def encoding_of(spec: Spec) -> SymbolicSpec:
    """The symbolic encoding of ``spec``: the ``symbolic`` attribute of its module.

    The module may define it outright or hand it out on first use through a module-level
    ``__getattr__`` (so that checking the spec by search need not import z3).
    """
    from modelcheck.prove.induction import SymbolicSpec

    found = getattr(sys.modules.get(spec.module), "symbolic", None)
    if isinstance(found, SymbolicSpec):
        return found
    raise UsageError(
        f"spec {spec.name!r} has no symbolic encoding to prove by induction; define "
        "`symbolic = SymbolicSpec(...)` (modelcheck.prove.induction) in its module")
