"""Properties beyond the per-state checks of the explorers.

Invariants, ``sometimes`` goals and action properties are checked by the explorers on
each new state or transition (:mod:`modelcheck.explore._base`). Temporal properties
(``eventually``, ``always_eventually``, ``leads_to`` under fairness, and
``always_possible``) need the whole state graph: :mod:`modelcheck.properties.temporal`
records it during a breadth-first search and decides them on it afterwards.
"""

from modelcheck.properties.temporal import LIVENESS_KINDS, FairGroup, bind_fairness, unsupported

__all__ = ["LIVENESS_KINDS", "FairGroup", "bind_fairness", "unsupported"]
