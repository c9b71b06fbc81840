"""What a random search covered: states, actions, depths, and how many states it missed.

A random search cannot say it saw everything, so it says how much it saw: the distinct
states met (walked to, or generated as a successor and checked), how often each action
was enabled and taken (an action never enabled is usually a spec bug, as TLC's coverage
report shows), how long the walks were, which ``sometimes`` goals were met, and an
estimate of the number of reachable states with a 95% interval.

The estimate treats each walk as one sample of the state space and each state as a
species that a sample may contain, the setting of incidence-based capture–recapture:
Chao's estimator (``Chao2``; A. Chao, "Estimating the population size for
capture-recapture data with unequal catchability", Biometrics 43, 1987, and Chao et al.
2005 for the incidence form) adds to the states seen the unseen ones predicted from how
many states were seen in exactly one walk (``q1``) and in exactly two (``q2``):
``(m - 1) / m * q1² / (2 q2)`` for ``m`` walks. The interval is Chao's log-normal one,
except that its lower end is the states seen: every state seen is reachable, and the
unseen ones may be none. When every state met was also walked to (so all its successors
were generated and met), the states met are closed under the transitions: they are all
the reachable states, and the count is exact.

Walks are no random sample: shallow states are met by almost every walk, deep ones by
few. The estimate is therefore reported with its *sample coverage* (Chao and Jost 2012),
the estimated share of sightings that fall on states already met. Near 1 the interval is
trustworthy (tests/test_coverage.py checks it against exact counts); well below 0.9 the
walks have scratched the surface only, and the estimate may be off by a factor of two
either way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from modelcheck.state import JSON

__all__ = ["ActionCount", "ActionCoverage", "Coverage", "Estimate", "SearchCoverage",
           "estimate_states"]

_Z95 = 1.959964
"""The standard normal quantile of a two-sided 95% interval."""


@dataclass(frozen=True)
class Estimate:
    """An estimate of the number of reachable states and its 95% interval."""

    states: float
    low: float
    high: float
    sample_coverage: float = 1.0
    """The estimated share of walk-sightings falling on states already met (Chao and
    Jost's sample coverage): near 1 the estimate is sound; well below it the walks have
    only scratched the state space and the estimate is a lower bound."""
    method: str = "chao2"

    def to_json(self) -> dict[str, JSON]:
        """``{"states", "low", "high", "sample_coverage", "method"}``."""
        return {"states": round(self.states, 1), "low": round(self.low, 1),
                "high": round(self.high, 1), "sample_coverage": round(self.sample_coverage, 4),
                "method": self.method}


@dataclass(frozen=True)
class ActionCount:
    """How often an action (all its instances together) was enabled and taken."""

    name: str
    enabled: int
    """Transitions by this action generated from the states walked to."""
    taken: int
    """Steps of the walks that took it."""


@dataclass(frozen=True)
class Coverage:
    """The coverage of a random search (the ``coverage`` object of the result JSON)."""

    runs: int
    """Walks completed."""
    steps: int
    """Transitions taken over all walks."""
    distinct_states: int
    """States met: walked to, or generated as a successor (and checked)."""
    actions: tuple[ActionCount, ...]
    lengths: Mapping[int, int]
    """Walk length (transitions taken) → number of walks of that length."""
    ends: Mapping[str, int]
    """Why walks ended (``depth``, ``terminal``, ``swarm``, ``constraint``) → number of
    walks."""
    estimate: Estimate
    sometimes: Mapping[str, bool] = field(default_factory=dict)
    """Each ``sometimes`` goal, and whether some state met satisfies it."""

    @property
    def never_enabled(self) -> tuple[str, ...]:
        """Actions no state met enabled: usually a spec bug, or a bound too tight."""
        return tuple(a.name for a in self.actions if a.enabled == 0)

    def to_json(self) -> dict[str, JSON]:
        """The ``coverage`` object of the result JSON (``--json``; null for an exhaustive
        search): ``runs``, ``steps`` and ``distinct_states``; ``actions``, a list of
        ``{"name", "enabled", "taken"}`` in declaration order; ``never_enabled``, the names
        of actions with ``enabled`` 0; ``lengths``, walk length (a string) → walks, by
        length; ``ends``, why walks ended → walks; ``estimate`` (:meth:`Estimate.to_json`);
        and ``sometimes``, each goal → whether it was met."""
        return {
            "runs": self.runs, "steps": self.steps, "distinct_states": self.distinct_states,
            "actions": [{"name": a.name, "enabled": a.enabled, "taken": a.taken}
                        for a in self.actions],
            "never_enabled": list(self.never_enabled),
            "lengths": {str(k): v for k, v in sorted(self.lengths.items())},
            "ends": dict(sorted(self.ends.items())),
            "estimate": self.estimate.to_json(),
            "sometimes": dict(self.sometimes),
        }


@dataclass(frozen=True)
class ActionCoverage:
    """How often an action (all its instances together) was enabled, taken and led to a
    new state in an exhaustive search, and how many of its instances were ever enabled."""

    name: str
    instances: int
    """Action instances (argument tuples) the configuration gives it."""
    instances_enabled: int
    """Those enabled in at least one state expanded."""
    enabled: int
    """(State expanded, instance) pairs in which an instance was enabled."""
    taken: int
    """Transitions by it generated (a generator action's instance may give several from
    one state)."""
    new: int
    """Of those, the ones that reached a state not seen before (and stored)."""


@dataclass(frozen=True)
class SearchCoverage:
    """The coverage of an exhaustive search (``verify --coverage``; the ``coverage`` object
    of the result JSON), as TLC's ``-coverage`` reports it.

    Counted over the states the search expanded: with a depth bound the states of the
    last level are expanded too, and their successors counted as taken though never
    stored. ``initial`` and ``initial_new`` are the initial states generated and stored;
    with the actions' ``taken`` and ``new`` they sum to the search's generated and
    distinct states (but for a state limit that cut the last chunk short).
    """

    initial: int
    initial_new: int
    actions: tuple[ActionCoverage, ...]

    @property
    def never_enabled(self) -> tuple[str, ...]:
        """Actions with instances that no state expanded enabled: usually a spec bug, or
        a bound too tight. (An action with no instances in the configuration, such as a
        fault action switched off, is not one of them.)"""
        return tuple(a.name for a in self.actions if a.enabled == 0 and a.instances > 0)

    def to_json(self) -> dict[str, JSON]:
        """``{"exhaustive": true, "initial", "initial_new", "actions", "never_enabled"}``:
        ``actions`` lists ``{"name", "instances", "instances_enabled", "enabled", "taken",
        "new"}`` in declaration order; ``never_enabled`` names the actions with
        ``enabled`` 0 but some instances."""
        return {
            "exhaustive": True, "initial": self.initial, "initial_new": self.initial_new,
            "actions": [{"name": a.name, "instances": a.instances,
                         "instances_enabled": a.instances_enabled, "enabled": a.enabled,
                         "taken": a.taken, "new": a.new} for a in self.actions],
            "never_enabled": list(self.never_enabled),
        }


def estimate_states(incidence: Iterable[int], samples: int, *,
                    closed: bool = False) -> Estimate:
    """Chao's incidence estimate of the number of states from ``incidence``, the number of
    walks (of ``samples``) each distinct state met was seen in.

    ``closed`` says that every state met was also expanded (walked to, and all its
    successors generated): the states met are then closed under the transitions and hold
    every initial state, so they are exactly the reachable states, and the estimate is
    that count with no uncertainty. Otherwise the variance is Chao's (1987) delta-method
    one and the interval log-normal, its lower end the states seen: every state seen is
    reachable, and the unseen ones may be none.
    """
    seen = q1 = q2 = total = 0
    for k in incidence:
        seen += 1
        total += k
        if k == 1:
            q1 += 1
        elif k == 2:
            q2 += 1
    if closed:
        return Estimate(float(seen), float(seen), float(seen), 1.0, "exact")
    if seen == 0 or samples < 2:
        return Estimate(float(seen), float(seen), float(seen))
    a = (samples - 1) / samples
    # Chao and Jost (Ecology 93, 2012), eq. 4b, for incidence data.
    coverage = 1.0 if q1 == 0 else (
        1 - q1 / max(total, 1) * ((samples - 1) * q1 / ((samples - 1) * q1 + 2 * q2)))
    if q1 == 0:
        # No state was met by a single walk: the estimate is the states seen, and the
        # interval is the one a single such state would give, rather than a certainty
        # that walks cannot give.
        one = estimate_states([1, *([2] * max(q2, 1))], samples)
        return Estimate(float(seen), float(seen), seen + one.high - one.low, coverage)
    if q2 > 0:
        r = q1 / q2
        unseen = a * q1 * q1 / (2 * q2)
        var = q2 * (a / 2 * r ** 2 + a * a * r ** 3 + a * a / 4 * r ** 4)
    else:  # the bias-corrected form, finite when no state was seen twice
        unseen = a * q1 * (q1 - 1) / 2
        var = (a * q1 * (q1 - 1) / 2 + a * a * q1 * (2 * q1 - 1) ** 2 / 4
               - a * a * q1 ** 4 / (4 * max(unseen + seen, 1.0)))
    if unseen <= 0:
        return Estimate(float(seen), float(seen), float(seen), coverage)
    c = math.exp(_Z95 * math.sqrt(math.log(1 + max(var, 0.0) / unseen ** 2)))
    return Estimate(seen + unseen, float(seen), seen + unseen * c, coverage)
