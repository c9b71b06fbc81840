"""modelcheck: a model checker for distributed protocols written as pure Python functions.

Write a spec (a config, a state record, an init, actions and properties), then check it::

    from modelcheck import Spec, Record, check
    result = check(spec)            # breadth-first: shortest counterexamples
    print(result.status, result.stats.distinct_states)

or from the command line: ``modelcheck verify SPEC``.
"""

# First: Ctrl-C while the command line starts up ends it quietly (see _startup).
from modelcheck import _startup  # noqa: F401
from modelcheck.catalogue import load as load_spec
from modelcheck.errors import (
    ModelcheckError,
    NondeterminismError,
    SpecDefinitionError,
    SpecRuntimeError,
    TraceFormatError,
    UsageError,
)
from modelcheck.explore import Options, Progress, check
from modelcheck.explore.random import simulate
from modelcheck.model import Model, bind
from modelcheck.params import Between
from modelcheck.result import Result, Stats, Violation
from modelcheck.spec import Expect, Spec, Variant
from modelcheck.state import Map, ModelValue, Record, model_values, set_at, to_json
from modelcheck.symmetry import IndexedBy, Symmetric
from modelcheck.trace import ReplayError, Step, Trace, replay

__all__ = [
    "Between",
    "Expect",
    "IndexedBy",
    "Map",
    "Model",
    "ModelValue",
    "ModelcheckError",
    "NondeterminismError",
    "Options",
    "Progress",
    "Record",
    "ReplayError",
    "Result",
    "Spec",
    "SpecDefinitionError",
    "SpecRuntimeError",
    "Stats",
    "Step",
    "Symmetric",
    "Trace",
    "TraceFormatError",
    "UsageError",
    "Variant",
    "Violation",
    "bind",
    "check",
    "load_spec",
    "model_values",
    "replay",
    "set_at",
    "simulate",
    "to_json",
]

__version__ = "0.1.0"
"""The version of modelcheck: the package metadata and `modelcheck --version` read it here."""
