"""What properties say, apart from the searches that check them.

- :mod:`modelcheck.properties.linearizability`: a library for specs whose property is
  linearizability of a history of client operations (an invariant built on
  :func:`~modelcheck.properties.linearizability.is_linearizable`).
- :mod:`modelcheck.properties.verdict`: which property a replayed trace violates, and at
  which step, judged as the searches judge it.

The searches check the properties themselves: invariants, ``sometimes`` goals and action
properties on each new state or transition (:mod:`modelcheck.explore._base`), and temporal
properties on the state graph a breadth-first search records
(:mod:`modelcheck.explore.temporal`).
"""
