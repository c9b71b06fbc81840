"""The outcome of a search: status, statistics and the violation with its trace.

Its JSON form is a public contract: CI scripts read ``status``, and the exit code follows
from it. Fields are only ever added to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from modelcheck.coverage import Coverage, SearchCoverage
from modelcheck.state import JSON
from modelcheck.trace import Trace

__all__ = ["Check", "Checked", "ErrorSite", "Result", "Stats", "Status", "Violation",
           "ViolationKind"]

Status = Literal["ok", "violation", "incomplete", "error"]
ViolationKind = Literal["invariant", "initial", "action", "deadlock", "liveness", "possibility",
                        "sometimes"]

EXIT_CODES: dict[str, int] = {"ok": 0, "violation": 1, "error": 2, "incomplete": 3}


@dataclass(frozen=True)
class Stats:
    """How much a search explored, and how fast."""

    distinct_states: int
    generated_states: int
    depth: int
    seconds: float
    queue: int = 0
    collision_probability: float = 0.0
    seen_set_bytes: int | None = None
    """Memory held by the seen-set (fingerprints and parent links), where it is exact."""

    @property
    def states_per_second(self) -> float:
        """Generated states per second of wall time."""
        return self.generated_states / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, JSON]:
        """The ``stats`` object of the result JSON."""
        return {
            "distinct_states": self.distinct_states,
            "generated_states": self.generated_states,
            "depth": self.depth,
            "seconds": round(self.seconds, 4),
            "states_per_second": round(self.states_per_second, 1),
            "fingerprint_collision_probability": self.collision_probability,
            "seen_set_bytes": self.seen_set_bytes,
        }


@dataclass(frozen=True)
class Violation:
    """A property that does not hold, with the trace that shows it (None for ``sometimes``)."""

    property: str
    kind: ViolationKind
    trace: Trace | None
    message: str = ""
    shrunk_from: int | None = None
    """The length of the counterexample before it was shrunk (random search), or None."""

    def to_json(self) -> dict[str, JSON]:
        """The ``violation`` object of the result JSON."""
        return {"property": self.property, "kind": self.kind, "message": self.message,
                "trace": self.trace.to_json() if self.trace is not None else None,
                "shrunk_from": self.shrunk_from}


@dataclass(frozen=True)
class ErrorSite:
    """Where a spec function raised during a search: the function as errors name it
    (``action inc``, ``invariant bounded``), the line of the spec's source that raised
    (``specs/x.py:42``, None when no frame of the traceback is in the spec's files), the
    number of steps to the state it was given, and the trace to that state."""

    function: str
    source: str | None
    step: int | None
    trace: Trace | None

    def to_json(self) -> dict[str, JSON]:
        """The ``error_site`` object of the result JSON."""
        return {"function": self.function, "source": self.source, "step": self.step,
                "trace": self.trace.to_json() if self.trace is not None else None}


@dataclass(frozen=True)
class Check:
    """What a search made of one property, or of the deadlock check.

    ``checked`` says whether it was evaluated at all; ``outcome`` is ``holds``,
    ``violated``, ``no violation found`` (checked on the states explored, which were not
    all), ``met``, ``not met``, ``not concluded`` (a ``sometimes`` goal no explored state
    met, in a search that was not complete: a depth limit, a state or time limit, an
    interruption, random walks; one bounded only by state constraints is complete),
    ``skipped`` (by an option), ``not checked``
    (the strategy or a bound kept it from being checked) or ``error``; ``note`` says why.
    """

    name: str
    kind: str
    checked: bool
    outcome: str
    note: str = ""

    def to_json(self) -> dict[str, JSON]:
        """One entry of ``checked.properties`` in the result JSON."""
        return {"name": self.name, "kind": self.kind, "checked": self.checked,
                "outcome": self.outcome, "note": self.note}


@dataclass(frozen=True)
class Checked:
    """What a search checked: every property of the spec, the deadlock check, the
    fairness in force (each group described as ``deliver (weak, each instance)``) and the
    state constraints that bounded the search."""

    properties: tuple[Check, ...]
    deadlock: Check
    fairness: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    """The state constraints that bounded the search (their names)."""
    chosen: tuple[str, ...] | None = None
    """The properties (and ``deadlock``) the run was asked to check, when it was asked
    for some only (``--property``, ``--skip``); None: every one."""

    @property
    def nothing_checked(self) -> bool:
        """Whether no property at all was evaluated (the deadlock check aside)."""
        return not any(c.checked for c in self.properties)

    def to_json(self) -> dict[str, JSON]:
        """The ``checked`` object of the result JSON."""
        return {"properties": [c.to_json() for c in self.properties],
                "deadlock": self.deadlock.to_json(), "fairness": list(self.fairness),
                "constraints": list(self.constraints), "nothing_checked": self.nothing_checked,
                "chosen": None if self.chosen is None else list(self.chosen)}


@dataclass(frozen=True)
class Result:
    """Everything a search found out. ``exit_code`` is what the CLI exits with."""

    spec: str
    variant: str | None
    params: dict[str, JSON]
    strategy: str
    status: Status
    exhaustive: bool
    stats: Stats
    violation: Violation | None = None
    error: str | None = None
    stopped: str | None = None
    """Why an incomplete search stopped (time limit, state limit, interrupted), or why an
    ``ok`` search was bounded (depth limit)."""
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    symmetry: bool = False
    """Whether the search explored one state per orbit of the spec's symmetric sets."""
    view: str | None = None
    """The name of the spec's view when the search identified states by it (see
    :meth:`~modelcheck.spec.Spec.view`), else None."""
    seed: int | None = None
    """The seed of a random search (the same seed gives the same walks), or None."""
    coverage: Coverage | SearchCoverage | None = None
    """What a random search covered: states, actions, walk lengths, an estimate of the
    reachable states; for an exhaustive search with ``coverage=True``, how often each
    action was enabled, taken and led to a new state; otherwise None."""
    checked: Checked | None = None
    """Every property with what the search made of it, and the fairness in force."""
    warnings: tuple[str, ...] = ()
    """What a user must not miss about a verdict (a passing run that checked no property)."""
    violations: tuple[Violation, ...] = ()
    """Every violation found, in order (``--continue``, ``--max-violations``); empty when
    the search stopped at its first, which is then :attr:`violation` alone."""
    error_site: ErrorSite | None = None
    """Where the spec error that ended the search happened, with the trace to it."""

    @property
    def all_violations(self) -> tuple[Violation, ...]:
        """Every violation found, in order; the first is :attr:`violation`."""
        if self.violations:
            return self.violations
        return (self.violation,) if self.violation is not None else ()

    @property
    def exit_code(self) -> int:
        """0 ok, 1 violation, 2 error, 3 incomplete."""
        return EXIT_CODES[self.status]

    def to_json(self) -> dict[str, JSON]:
        """The result as the JSON object that ``--json`` prints."""
        return {
            "spec": self.spec, "variant": self.variant, "params": self.params,
            "strategy": self.strategy, "symmetry": self.symmetry, "view": self.view,
            "status": self.status,
            "exhaustive": self.exhaustive,
            "violation": self.violation.to_json() if self.violation else None,
            "stats": self.stats.to_json(), "error": self.error, "stopped": self.stopped,
            "seed": self.seed,
            "coverage": self.coverage.to_json() if self.coverage is not None else None,
            "checked": self.checked.to_json() if self.checked is not None else None,
            "warnings": list(self.warnings),
            "violations": [v.to_json() for v in self.all_violations],
            "error_site": self.error_site.to_json() if self.error_site is not None else None,
        }

    def dumps(self) -> str:
        """The result JSON as text."""
        return json.dumps(self.to_json(), ensure_ascii=False)
