"""The faults a user asks for (``--faults loss=1,crash=1``) and the state that counts them.

:data:`FAULTS` is the menu; :class:`Faults` is a configuration's budgets as text (a config
field); :class:`FaultState` is the state's record of the budgets left and the faults in
force (crashed nodes, a partition, clock skew); :data:`FAULT_ACTIONS` names the action of
each fault and the budget it spends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from modelcheck.errors import SpecDefinitionError, UsageError
from modelcheck.state import Record

__all__ = ["FAULTS", "FAULT_ACTIONS", "NO_FAULTS", "FaultError", "FaultState", "Faults"]

FAULTS: dict[str, str] = {
    "loss": "drop a message in flight",
    "dup": "duplicate a message in flight (bag and fifo networks)",
    "reorder": "move a message ahead of the one before it on its channel (fifo networks)",
    "crash": "stop a node: its actions and deliveries to it are disabled",
    "restart": "restart a crashed node: volatile fields reset, durable fields kept",
    "partition": "cut every link between two sides of the nodes, until a heal step",
    "timeout": "fire a declared timer of a node out of turn",
    "drift": "move a node's local clock one tick ahead or behind",
    "equivocate": "a Byzantine node sends a message of its declared domain",
}
"""The fault menu: each name is a ``--faults`` key and a budget field of :class:`FaultState`."""

FAULT_ACTIONS: dict[str, str | None] = {
    "drop": "loss", "duplicate": "dup", "reorder": "reorder", "crash": "crash",
    "restart": "restart", "partition": "partition", "heal": None, "fire": "timeout",
    "drift": "drift", "forge": "equivocate"}
"""The fault actions a network adds, in the order it adds them, and the budget each one
spends (``heal`` ends a partition and spends none)."""


class FaultError(UsageError, SpecDefinitionError):
    """A fault setting this spec cannot honour (restart without durable state, reorder on
    a network that is not FIFO...): a usage error, raised while binding a configuration."""


# -- the budgets a user asks for --------------------------------------------------------------


class Faults(str):
    """Fault budgets as text, ``"loss=2,crash=1"`` (``"none"``: no faults): a config value.

    Being a string, it is recorded as it reads in results, traces and checkpoints; it is
    parsed and checked on construction, and a spec's ``Config`` declares it as
    ``faults: Faults = NO_FAULTS``. ``NAME`` alone means ``NAME=1``.
    """

    budgets: Mapping[str, int]

    def __new__(cls, text: str = "none", /, **budgets: int) -> Faults:
        parsed = dict(_parse_faults(str(text)))
        for name, n in budgets.items():
            _check_budget(name, n, f"{name}={n}")
            parsed[name] = n
        canonical = ",".join(f"{k}={parsed[k]}" for k in FAULTS if parsed.get(k, 0) > 0)
        self = super().__new__(cls, canonical or "none")
        self.budgets = {k: parsed.get(k, 0) for k in FAULTS}
        return self

    @classmethod
    def from_param(cls, text: str) -> Faults:
        """Parse ``--faults`` / ``--param faults=...`` text; a UsageError names the fix."""
        return cls(text)

    def __getnewargs__(self) -> tuple[str]:
        return (str(self),)

    def budget(self, name: str) -> int:
        """The budget of fault ``name`` (0 when not asked for)."""
        return self.budgets[name]

    @property
    def any(self) -> bool:
        """Whether some fault has a positive budget."""
        return any(self.budgets.values())


def _check_budget(name: str, n: object, shown: str) -> None:
    if name not in FAULTS:
        raise UsageError(f"unknown fault {name!r} in {shown!r}; valid faults: "
                         f"{', '.join(FAULTS)} (e.g. --faults loss=2,crash=1)")
    if isinstance(n, bool) or not isinstance(n, int):
        raise UsageError(f"fault budget {shown!r} must be a whole number >= 0; valid "
                         f"faults: {', '.join(FAULTS)}")
    if n < 0:
        raise UsageError(f"fault budget {shown!r} is negative; a budget counts fault steps "
                         f"and must be >= 0; valid faults: {', '.join(FAULTS)}")


@cache
def _parse_faults(text: str) -> tuple[tuple[str, int], ...]:
    out: dict[str, int] = {}
    body = text.strip()
    if body in ("", "none"):
        return ()
    for part in body.split(","):
        part = part.strip()
        name, sep, value = part.partition("=")
        name = name.strip()
        if not name:
            raise UsageError(f"--faults {text!r}: expected NAME=N items separated by commas, "
                             f"e.g. loss=2,crash=1; valid faults: {', '.join(FAULTS)}")
        if not sep:
            value = "1"
        if not re.fullmatch(r"\s*-?\d+\s*", value):
            _check_budget(name, None, part)
        n = int(value)
        _check_budget(name, n, part)
        if name in out:
            raise UsageError(f"--faults {text!r} names {name!r} twice; valid faults: "
                             f"{', '.join(FAULTS)}")
        out[name] = n
    return tuple(out.items())


NO_FAULTS = Faults()
"""No fault at all: the default of a config's ``faults`` field."""


# -- the fault state ------------------------------------------------------------------------


class FaultState(Record):
    """The faults still allowed (one budget per :data:`FAULTS` name) and those in force.

    A spec subclasses it naming its node type, so that symmetry reduction renames the
    nodes it holds::

        class Faults(FaultState, node=Server):
            \"\"\"Fault budgets and effects.\"\"\"
    """

    loss: int = 0
    dup: int = 0
    reorder: int = 0
    crash: int = 0
    restart: int = 0
    partition: int = 0
    timeout: int = 0
    drift: int = 0
    equivocate: int = 0
    down: frozenset[Any] = frozenset()
    """Crashed nodes."""
    sides: frozenset[frozenset[Any]] = frozenset()
    """The two sides of the partition in force, or empty."""
    skew: frozenset[tuple[Any, int]] = frozenset()
    """``(node, ticks)`` for each node whose clock has drifted."""

    # Not annotated: an annotation would make it a field of the record.
    node_type = Any

    def __init_subclass__(cls, node: Any = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if node is not None:
            # Annotations read by symmetry reduction: the node fields hold `node` values.
            cls.node_type = node
            cls.__annotations__ = {"down": frozenset[node], "sides": frozenset[frozenset[node]],
                                   "skew": frozenset[tuple[node, int]]}
