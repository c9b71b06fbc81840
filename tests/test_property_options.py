"""Fairness by a parameter, initial-state predicates, properties conditioned on the initial
state, choosing the properties to check, and a spec's default for deadlock checking: exact
verdicts and traces on small specs written for them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Result, Spec, SpecDefinitionError, UsageError, check
from modelcheck.explore.random import simulate
from modelcheck.model import bind
from modelcheck.properties.verdict import judge
from modelcheck.trace import replay

if TYPE_CHECKING:
    from conftest import Invoke


@dataclass(frozen=True)
class Procs:
    """Two processes."""


def procs(fair: str | None = None) -> Spec:
    """Two processes with two steps each, PlusCal style: process 0 loops ``a → b → a``
    forever, process 1 goes ``a → b → done``; ``fair`` is how they are assumed fair."""
    spec = Spec("procs", Procs, doc="Two processes.", check_deadlock=False)

    @spec.init
    def init(cfg: Procs) -> tuple[str, str]:
        return ("a", "a")

    @spec.action(self=(0, 1))
    def step1(cfg: Procs, s: tuple[str, str], self: int) -> tuple[str, ...] | None:
        return s[:self] + ("b",) + s[self + 1:] if s[self] == "a" else None

    @spec.action(self=(0, 1))
    def step2(cfg: Procs, s: tuple[str, str], self: int) -> tuple[str, ...] | None:
        if s[self] != "b":
            return None
        return s[:self] + ("a" if self == 0 else "done",) + s[self + 1:]

    @spec.eventually
    def done(cfg: Procs, s: tuple[str, str]) -> bool:
        return s[1] == "done"

    if fair == "by":
        spec.fair("procs", "weak", actions=("step1", "step2"), by="self")
    elif fair == "actions":
        spec.fair("step1", "weak")
        spec.fair("step2", "weak")
    return spec


def lasso(result: Result) -> tuple[int, list[Any]]:
    """The loop's start and the states of a liveness counterexample."""
    assert result.status == "violation" and result.violation is not None
    assert result.violation.kind == "liveness"
    trace = result.violation.trace
    assert trace is not None and trace.loop_start is not None
    return trace.loop_start, [tuple(s.state) for s in trace.steps]


# -- fairness by a parameter ------------------------------------------------------------------


def test_fairness_per_process_makes_the_process_finish() -> None:
    result = check(procs("by"))
    assert result.status == "ok"
    assert result.checked is not None and result.checked.fairness == ("procs (weak, each self)",)
    assert procs("by").fairness[0].describe() == (
        "weak fairness of step1 ∨ step2, for each value of self")


def test_fairness_per_action_lets_the_other_process_starve() -> None:
    # Process 0's loop takes step1 and step2 forever: each action, as one, is fair.
    result = check(procs("actions"))
    assert lasso(result) == (0, [("a", "a"), ("b", "a"), ("a", "a")])
    assert result.violation is not None and "fairness: step1 (weak), step2 (weak)" in (
        result.violation.message)


def test_fairness_per_process_judges_the_starving_loop_unfair() -> None:
    trace = check(procs("actions")).violation.trace  # type: ignore[union-attr]
    assert trace is not None
    model = bind(procs("by"))
    verdict = judge(model, trace, replay(model, trace))
    assert not verdict.violated
    assert "procs[self=1] is weakly fair, enabled throughout the loop" in verdict.message


@pytest.mark.parametrize(("override", "stem_and_states"), [
    ("strong", None),
    (None, (0, [("a", "a")])),  # no fairness: the behaviour may stop at once
])
def test_fairness_per_process_is_overridden_by_name(
        override: str | None, stem_and_states: tuple[int, list[Any]] | None) -> None:
    result = check(procs("by"), fairness={"procs": override})
    if stem_and_states is None:
        assert result.status == "ok"
    else:
        assert lasso(result) == stem_and_states


def test_fairness_by_a_parameter_an_action_lacks_is_refused() -> None:
    spec = procs()

    @spec.action
    def idle(cfg: Procs, s: tuple[str, str]) -> None:
        return None

    with pytest.raises(SpecDefinitionError, match=r"fairness group 'procs' is by parameter "
                       r"'self', which idle does not have \(idle has \(\)\)"):
        spec.fair("procs", actions=("step1", "idle"), by="self")
    with pytest.raises(SpecDefinitionError, match="goes without per_instance"):
        spec.fair("both", actions=("step1",), by="self", per_instance=True)
    # An action declared after the group is checked when the spec is bound.
    late = procs()
    late.fair("procs", actions=("step1", "later"), by="self")
    late.action(name="later")(lambda cfg, s: None)
    with pytest.raises(SpecDefinitionError, match="later does not have"):
        bind(late)


# -- a spec's default for deadlock checking ---------------------------------------------------


@dataclass(frozen=True)
class Counter:
    """A counter that stops at 2."""


def counter(check_deadlock: bool) -> Spec:
    """A counter from 0 to 2 that stops there: a deadlock unless the spec accepts it."""
    spec = Spec("counter", Counter, doc="A counter.", check_deadlock=check_deadlock)
    spec.init(lambda cfg: 0)
    spec.action(name="tick")(lambda cfg, s: s + 1 if s < 2 else None)
    return spec


def test_a_spec_may_turn_deadlock_checking_off_by_default() -> None:
    quiet = check(counter(False))
    assert quiet.status == "ok" and quiet.checked is not None
    assert quiet.checked.deadlock.note == "check_deadlock=False"
    forced = check(counter(False), deadlock=True)
    assert forced.violation is not None and forced.violation.kind == "deadlock"
    assert forced.violation.trace is not None and forced.violation.trace.length == 2
    assert check(counter(True)).status == "violation"
    assert check(counter(True), deadlock=False).status == "ok"
    assert simulate(counter(False), runs=3, depth=5, seed=1).status == "ok"
    trace = forced.violation.trace
    model = bind(counter(False))
    assert not judge(model, trace, replay(model, trace)).violated
    assert judge(model, trace, replay(model, trace), deadlock=True).kind == "deadlock"


def test_deadlock_and_no_deadlock_override_the_spec_on_the_command_line(
        tmp_path: Path, invoke: Invoke) -> None:
    path = tmp_path / "counter.py"
    path.write_text(COUNTER_FILE)
    assert invoke("verify", str(path), "-q")[0] == 0
    code, out, _ = invoke("verify", str(path), "--deadlock", "-q")
    assert code == 1 and "deadlock after 2 steps" in out
    path = tmp_path / "counter_deadlocks.py"
    path.write_text(COUNTER_FILE.replace("check_deadlock=False", "check_deadlock=True"))
    assert invoke("verify", str(path), "-q")[0] == 1
    assert invoke("verify", str(path), "--no-deadlock", "-q")[0] == 0


COUNTER_FILE = '''
from dataclasses import dataclass
from modelcheck import Spec

@dataclass(frozen=True)
class Counter:
    """No parameters."""

spec = Spec("counter", Counter, doc="A counter.", check_deadlock=False)
spec.init(lambda cfg: 0)
spec.action(name="tick")(lambda cfg, s: s + 1 if s < 2 else None)
'''


# -- initial-state predicates -----------------------------------------------------------------


def starts(first: int) -> Spec:
    """Counters starting at ``first``, ``first + 1`` and ``first + 2``, counting to 5; the
    initial state must be even, and every state below 4 (an invariant)."""
    spec = Spec("starts", Counter, doc="Counters.", check_deadlock=False)
    spec.init(n=(first, first + 1, first + 2))(lambda cfg, n: n)
    spec.action(name="tick")(lambda cfg, s: s + 1 if s < 5 else None)

    @spec.initially
    def even(cfg: Counter, s: int) -> bool:
        return s % 2 == 0

    @spec.always
    def small(cfg: Counter, s: int) -> bool:
        return s < 4

    return spec


@pytest.mark.parametrize("strategy", ["bfs", "dfs", "random"])
def test_an_initial_state_predicate_is_violated_by_a_one_state_trace(strategy: str) -> None:
    result = check(starts(0), strategy=strategy, max_depth=8 if strategy == "random" else None)
    assert result.violation is not None and result.violation.kind == "initial"
    assert result.violation.property == "even"
    assert result.violation.message.startswith(
        "initial-state predicate even is violated by an initial state")
    trace = result.violation.trace
    assert trace is not None and trace.length == 0 and trace.steps[0].state == 1
    model = bind(starts(0))
    verdict = judge(model, trace, replay(model, trace))
    assert (verdict.property, verdict.kind, verdict.step) == ("even", "initial", 0)


def test_an_initial_state_predicate_is_not_asked_about_later_states() -> None:
    # From 0 and 2, the odd states reached later are no violation; 4 breaks the invariant.
    spec = starts(0)
    spec.inits.clear()
    spec.init(n=(0, 2))(lambda cfg, n: n)
    result = check(spec)
    assert result.violation is not None and result.violation.kind == "invariant"
    assert result.violation.trace is not None and result.violation.trace.length == 2
    assert result.checked is not None
    assert [(c.name, c.kind, c.outcome) for c in result.checked.properties] == [
        ("even", "initially", "no violation found"), ("small", "invariant", "violated")]
    spec.properties.pop()
    result = check(spec)
    assert result.status == "ok" and result.checked is not None
    assert result.checked.properties[0].outcome == "holds"


# -- properties conditioned on the initial state ----------------------------------------------


def low(cfg: Counter, s: int) -> bool:
    return s < 10


def high(cfg: Counter, s: int) -> bool:
    return s >= 10


def two_starts(when: bool) -> Spec:
    """From 0 a counter counts to 3 and stops; from 10 it cycles 10 → 11 → 10 forever.
    With ``when``, the properties are asked of the behaviours from 0 (or from 10) only."""
    spec = Spec("two-starts", Counter, doc="Two starts.", check_deadlock=False)
    spec.init(n=(0, 10))(lambda cfg, n: n)
    spec.action(name="tick")(
        lambda cfg, s: s + 1 if s < 3 or s == 10 else 10 if s == 11 else None)
    spec.fair("tick")
    cond: dict[str, Any] = {"when": low} if when else {}

    def three(cfg: Counter, s: int) -> bool:
        return s == 3

    def below_ten(cfg: Counter, s: int) -> bool:
        return s < 10

    def below_eleven(cfg: Counter, s: int) -> bool:
        return s < 11

    spec.eventually(**cond)(three)
    spec.always(**cond)(below_ten)
    spec.always(when=high)(below_eleven)
    return spec


def test_conditioned_properties_ask_only_the_behaviours_from_their_initial_states() -> None:
    result = check(two_starts(True))
    assert result.violation is not None and result.violation.property == "below_eleven"
    assert result.violation.kind == "invariant"
    assert result.violation.message == ("invariant below_eleven is violated after 1 step, "
                                        "from an initial state satisfying high")
    trace = result.violation.trace
    assert trace is not None and trace.loop_start is None
    assert [s.state for s in trace.steps] == [10, 11]
    assert result.checked is not None
    assert [(c.name, c.outcome) for c in result.checked.properties] == [
        ("three", "holds"), ("below_ten", "holds"), ("below_eleven", "violated")]
    model = bind(two_starts(True))
    verdict = judge(model, trace, replay(model, trace))
    assert (verdict.property, verdict.kind, verdict.step) == ("below_eleven", "invariant", 1)
    assert verdict.message == result.violation.message


def test_unconditioned_the_same_properties_fail_from_the_other_start() -> None:
    result = check(two_starts(False))
    assert result.violation is not None and result.violation.property == "below_ten"
    assert result.violation.trace is not None and result.violation.trace.length == 0
    spec = two_starts(False)
    spec.properties.pop(1)
    result = check(spec)
    assert result.violation is not None and result.violation.property == "three"
    trace = result.violation.trace
    assert trace is not None and trace.loop_start == 0
    assert [s.state for s in trace.steps] == [10, 11, 10]
    conditioned = two_starts(True)
    conditioned.properties.pop()
    model = bind(conditioned)  # from 10, "three" is not asked
    assert not judge(model, trace, replay(model, trace)).violated


def test_a_condition_must_be_a_predicate_on_a_state() -> None:
    with pytest.raises(SpecDefinitionError, match=r"when must be a predicate"):
        two_starts(False).eventually(when=3)  # type: ignore[arg-type]
    with pytest.raises(SpecDefinitionError, match=r"takes \(s\), but a property is a"):
        two_starts(False).always(when=lambda s: True)


# -- choosing the properties to check ---------------------------------------------------------


def test_properties_are_chosen_and_skipped_by_name() -> None:
    spec = starts(2)  # 2, 3 and 4 start: 3 is odd, 4 breaks "small", 4 → 5 deadlocks
    assert check(spec, deadlock=True).violation.property == "even"  # type: ignore[union-attr]
    chosen = check(spec, properties=["small"])
    assert chosen.violation is not None and chosen.violation.property == "small"
    assert chosen.violation.trace is not None and chosen.violation.trace.length == 0
    assert chosen.checked is not None and chosen.checked.chosen == ("small",)
    assert [(c.name, c.outcome, c.note) for c in chosen.checked.properties] == [
        ("even", "skipped", "not chosen by --property"), ("small", "violated", "")]
    assert chosen.checked.deadlock.note == "not chosen by --property"
    dead = check(spec, skip=["even", "small"], deadlock=True)
    assert dead.violation is not None and dead.violation.kind == "deadlock"
    assert dead.violation.trace is not None and dead.violation.trace.length == 1
    assert dead.checked is not None and dead.checked.chosen == ("deadlock",)
    nothing = check(spec, skip=["even", "small"])  # and the spec checks no deadlock
    assert nothing.checked is not None and nothing.checked.chosen == ()
    assert nothing.status == "ok" and nothing.warnings == (
        "no property was checked: every one was left out by --property or --skip",)
    with pytest.raises(UsageError, match=r"--skip smal: spec 'starts' has no property "
                       r"'smal'; its properties: even, small, deadlock"):
        check(spec, skip=["smal"])
    with pytest.raises(UsageError, match="drop one of the two"):
        check(spec, properties=["even"], deadlock=True)


def test_verify_says_which_properties_it_checks(tmp_path: Path, invoke: Invoke) -> None:
    path = tmp_path / "starts.py"
    path.write_text(STARTS_FILE)
    code, out, _ = invoke("verify", str(path), "--property", "small", "--property", "deadlock")
    assert code == 1
    assert out.splitlines()[0] == "starts (), bfs, checking small, deadlock"
    assert "✗ invariant small is violated after 2 steps" in out
    code, out, _ = invoke("verify", str(path), "--skip", "small", "--json")
    assert code == 1 and json.loads(out)["checked"]["chosen"] == ["even", "deadlock"]
    assert json.loads(out)["violation"]["kind"] == "deadlock"
    code, _, err = invoke("verify", str(path), "--property", "big")
    assert code == 2 and "its properties: even, small, deadlock" in err


STARTS_FILE = '''
from dataclasses import dataclass
from modelcheck import Spec

@dataclass(frozen=True)
class Counter:
    """No parameters."""

spec = Spec("starts", Counter, doc="Counters.")
spec.init(n=(0, 2))(lambda cfg, n: n)
spec.action(name="tick")(lambda cfg, s: s + 1 if s < 5 else None)

@spec.initially
def even(cfg, s):
    return s % 2 == 0

@spec.always
def small(cfg, s):
    return s < 4
'''
