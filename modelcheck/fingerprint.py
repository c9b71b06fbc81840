"""64-bit state fingerprints, and the chance that two distinct states share one.

The fingerprint of a state is Python's own ``hash``: for the tuples, frozensets, strings
and integers states are made of, CPython computes it in C (an xxHash-style mix over the
items, cached for strings and frozensets), which is what makes a fingerprint cost tens of
nanoseconds rather than the microseconds of any hash computed in Python. Two properties of
``hash`` matter to a model checker, and modelcheck handles both:

* Strings hash differently in each interpreter unless ``PYTHONHASHSEED`` is fixed, so
  fingerprints agree across processes only when every worker runs with the same seed;
  the parallel explorers start their workers that way.
* CPython maps the hash of ``-1`` to ``-2``, so states that differ only by ``-1`` versus
  ``-2`` in the same position collide. Model such values with ``None`` or a named
  constant instead of both ``-1`` and ``-2``.

As in TLC, a fingerprint collision would silently merge two states; the probability is
estimated from the counts and reported with every exhaustive result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["collision_probability", "fingerprint"]

fingerprint: Callable[[Any], int] = hash
"""The 64-bit fingerprint of a (hashable) state."""


def collision_probability(distinct: int, generated: int) -> float:
    """Estimated chance that some new state was taken for a seen one (TLC's estimate).

    Each of the ``generated - distinct`` look-ups that found a fingerprint could have
    matched any of ``distinct`` stored ones by accident: ``distinct * (generated -
    distinct) / 2**64``, capped at 1.
    """
    return min(1.0, distinct * max(generated - distinct, 0) / 2.0**64)
