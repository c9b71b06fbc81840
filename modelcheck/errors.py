"""The exceptions modelcheck raises, each carrying the exit code the CLI maps it to.

Every error derives from :class:`ModelcheckError`; user mistakes also derive from the
builtin that describes them best (``TypeError`` for a malformed spec, ``ValueError`` for
a bad parameter), so ``except ValueError`` in a user's code keeps working.
"""

from __future__ import annotations

__all__ = [
    "ModelcheckError",
    "NondeterminismError",
    "SpecDefinitionError",
    "SpecRuntimeError",
    "TraceFormatError",
    "UsageError",
]


class ModelcheckError(Exception):
    """Root of every error modelcheck raises on purpose.

    ``exit_code`` is what the command line exits with when this error ends a run.
    """

    exit_code: int = 2

    @property
    def message(self) -> str:
        """The one-paragraph explanation shown to the user."""
        return str(self)


class UsageError(ModelcheckError, ValueError):
    """The request is wrong: an unknown spec, variant or parameter, or a bad value."""


class SpecDefinitionError(ModelcheckError, TypeError):
    """A spec is malformed; raised when it is defined, naming the function and the fix."""


class SpecRuntimeError(ModelcheckError):
    """A spec function raised, or returned something that is not allowed, during a search.

    ``function`` names the spec function, ``step`` is the number of steps from an initial
    state to the state it was applied to, and ``trace`` (when known) leads to that state.
    """

    def __init__(self, message: str, *, function: str, step: int | None = None,
                 trace: object | None = None) -> None:
        super().__init__(message)
        self.function = function
        self.step = step
        self.trace = trace


class NondeterminismError(SpecRuntimeError):
    """Re-executing a path gave a different state than the search saw."""


class TraceFormatError(ModelcheckError, ValueError):
    """A trace file is not valid modelcheck trace JSON."""
