"""A bug planted in a catalogue spec: a mutant by its id, or a hand-written change."""

from __future__ import annotations

from modelcheck import Spec
from modelcheck.mutants import Mutant, source_of
from modelcheck.mutate import load_mutant, mutants_of, select


def plant(spec: Spec, bug: str | tuple[str, str]) -> Spec:
    """``spec`` with ``bug``: a mutant's id (the helpers' mutants included), or
    ``(old, new)``, source text that occurs once in the spec's module and its
    replacement."""
    if isinstance(bug, str):
        m, = select(mutants_of(spec, helpers=True), [bug])
        return load_mutant(spec, m)
    old, new = bug
    source, _ = source_of(spec)
    assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times"
    return load_mutant(spec, Mutant(0, "planted:x:1", "x", "x", 0, "",
                                    source.replace(old, new), ""))
