"""What a proof found: one verdict per claim, with a concrete counterexample when refuted.

A :class:`Proof` has the same status words and exit codes as a search's
:class:`~modelcheck.Result` (:data:`~modelcheck.result.EXIT_CODES`; the README's "Exit
codes" section), so CI scripts read ``modelcheck prove`` and ``modelcheck verify`` alike:
``ok`` (every claim proved, exit 0), ``violation`` (a claim refuted, exit 1),
``incomplete`` (z3 answered unknown or ran out of time, exit 3).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from modelcheck.result import EXIT_CODES, Status
from modelcheck.state import JSON

__all__ = ["Claim", "ClaimStatus", "Proof", "Stopwatch"]

ClaimStatus = Literal["proved", "refuted", "unknown"]


@dataclass(frozen=True)
class Claim:
    """One statement z3 was asked to prove, and its answer.

    ``counterexample`` is the refuting witness as JSON; ``explanation`` renders it for a
    terminal, one line per item. ``reason`` says why an ``unknown`` claim is undecided.
    """

    name: str
    statement: str
    status: ClaimStatus
    seconds: float
    counterexample: dict[str, JSON] | None = None
    explanation: tuple[str, ...] = ()
    reason: str = ""

    def to_json(self) -> dict[str, JSON]:
        """The claim object of ``modelcheck prove --json``."""
        return {"name": self.name, "statement": self.statement, "status": self.status,
                "seconds": round(self.seconds, 4), "counterexample": self.counterexample,
                "reason": self.reason or None}


@dataclass(frozen=True)
class Proof:
    """Every claim of one ``modelcheck prove`` run, plus figures such as fault tolerance.

    ``subject`` names what was proved about (``read/write quorums``); ``facts`` holds
    figures that are computed rather than proved (JSON), and ``notes`` their text.
    """

    kind: str
    subject: str
    params: dict[str, JSON]
    claims: tuple[Claim, ...]
    seconds: float
    facts: dict[str, JSON] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        """``violation`` if a claim is refuted, else ``incomplete`` if one is unknown."""
        statuses = {c.status for c in self.claims}
        if "refuted" in statuses:
            return "violation"
        if "unknown" in statuses:
            return "incomplete"
        return "ok"

    @property
    def exit_code(self) -> int:
        """0 proved, 1 refuted, 3 undecided: the exit codes of ``modelcheck verify``."""
        return EXIT_CODES[self.status]

    def to_json(self) -> dict[str, JSON]:
        """``{"proof", "subject", "params", "status", "claims", "facts", "stats", "error"}``."""
        return {"proof": self.kind, "subject": self.subject, "params": self.params,
                "status": self.status, "claims": [c.to_json() for c in self.claims],
                "facts": self.facts, "stats": {"seconds": round(self.seconds, 4)},
                "error": None}

    def dumps(self) -> str:
        """The proof JSON as text."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    def render(self) -> str:
        """The proof as text: a line per claim, the counterexample under a refuted one."""
        params = ", ".join(f"{k}={v}" for k, v in self.params.items() if v is not None)
        lines = [f"{self.subject}" + (f" ({params})" if params else "")]
        for c in self.claims:
            mark = {"proved": "✓", "refuted": "✗", "unknown": "?"}[c.status]
            lines.append(f"{mark} {c.statement}: {c.status} ({c.seconds:.2f} s)")
            if c.reason:
                lines.append(f"    {c.reason}")
            lines += [f"    {line}" for line in c.explanation]
        lines += list(self.notes)
        return "\n".join(lines)


class Stopwatch:
    """Seconds since creation; proofs report the time of each claim."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start


def unknown_reason(solver: Any) -> str:
    """Why z3 answered unknown, in words (``timeout``, ``incomplete quantifiers`` …)."""
    try:
        reason = str(solver.reason_unknown())
    except Exception:  # z3 raises when there is no reason to give
        reason = ""
    return f"z3 answered unknown ({reason or 'no reason given'})"
