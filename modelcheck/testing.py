"""Hypothesis for specs: any spec as a ``RuleBasedStateMachine``, alone or as a test oracle.

:func:`state_machine` turns a spec into a Hypothesis state machine: an ``initialize`` rule
picks an initial state, each action becomes a rule that draws one of its instances
enabled in the current state, and each invariant (and the deadlock check) becomes an
``invariant``. Inside a pytest suite the spec then gets Hypothesis's search, its
database of failures and its shrinking::

    from modelcheck import load_spec
    from modelcheck.testing import state_machine

    TestRaft = state_machine(load_spec("raft"), params={"max_term": 1}).TestCase

**Model-based testing.** With an :class:`Adapter`, the spec runs in lockstep with a real
implementation and serves as its test oracle: every step the spec takes is performed on
the implementation too (by the adapter method named after the action), and afterwards
what the implementation shows (:meth:`Adapter.observe`) must equal what the spec says it
shows (:meth:`Adapter.expect`). The spec decides every nondeterministic choice (which
replica a request reaches, which message is lost), so the implementation is driven
through exactly the interleavings the spec explores, and a failing run shrinks to a
short sequence of calls. ``examples/kv_model_based`` tests a replicated key-value store
this way.

Hypothesis is an optional dependency (``pip install 'modelcheck[hypothesis]'``); importing
this module without it raises an ImportError that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

try:
    from hypothesis import settings as Settings
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        initialize,
        invariant,
        precondition,
        rule,
    )
except ImportError as e:  # pragma: no cover - the test extras install Hypothesis
    raise ImportError(
        "modelcheck.testing needs Hypothesis, which is not installed: pip install "
        "'modelcheck[hypothesis]' (or pip install hypothesis)") from e

from modelcheck import semantics
from modelcheck.catalogue import find, load
from modelcheck.errors import SpecRuntimeError, UsageError
from modelcheck.model import Instance, Model, bind
from modelcheck.spec import Property, Spec
from modelcheck.trace import Trace, model_for, replay

__all__ = ["Adapter", "drive", "state_machine"]


class Adapter:
    """Drives an implementation in lockstep with a spec; subclass it.

    * :meth:`reset` builds a fresh implementation matching the spec's initial state;
    * one method per spec action, named after it and taking its arguments by name
      (``def write(self, key, value, quorum)``), performs that step on the
      implementation (for a generator action it also takes ``choice``: which of the
      successors the action yields, in order, the step is); actions listed in
      ``internal`` (steps of the spec's environment,
      such as faults, that the implementation does not take) are skipped;
    * :meth:`observe` returns what the implementation shows, and :meth:`expect` what the
      spec's state says it should show; after every step the two must be equal.
    """

    internal: tuple[str, ...] = ()
    """Actions with no counterpart in the implementation."""

    def reset(self, cfg: Any, state: Any) -> None:
        """Build a fresh implementation in the initial ``state`` of configuration ``cfg``."""
        raise NotImplementedError(f"{type(self).__name__}.reset(cfg, state) must build a "
                                  "fresh implementation")

    def perform(self, action: str, args: Mapping[str, Any]) -> None:
        """Perform spec action ``action`` with ``args`` on the implementation: by default,
        call the method of that name."""
        if action in self.internal:
            return
        method = getattr(self, action, None)
        if not callable(method):
            names = ", ".join(args)
            raise NotImplementedError(
                f"{type(self).__name__} has no method for spec action {action!r}: define "
                f"def {action}(self{', ' if names else ''}{names}), or list it in internal")
        method(**args)

    def observe(self) -> Any:
        """What the implementation shows now (compared with :meth:`expect`)."""
        raise NotImplementedError(f"{type(self).__name__}.observe() must return what the "
                                  "implementation shows")

    def expect(self, cfg: Any, state: Any) -> Any:
        """What the implementation should show when the spec is in ``state``."""
        raise NotImplementedError(f"{type(self).__name__}.expect(cfg, state) must project "
                                  "the spec's state onto what the implementation shows")


def drive(adapter: Adapter, trace: Trace, spec: Spec | str | None = None) -> None:
    """Drive ``adapter``'s implementation through ``trace`` (a saved trace, such as those
    ``modelcheck tests`` writes) and fail at the first step where it differs from the spec.

    The trace is replayed against ``spec`` (a Spec, a spec reference, or by default the
    catalogue entry the trace names) in the configuration it records, which raises
    :class:`~modelcheck.trace.ReplayError` when the spec no longer takes its steps. The
    adapter is reset to the initial state, performs every step, and after each its
    :meth:`~Adapter.observe` must equal its :meth:`~Adapter.expect` of the spec's state;
    otherwise an AssertionError names the step.
    """
    if isinstance(spec, str):
        spec = load(spec)
    elif spec is None:
        spec = find(trace.spec)
        if spec is None:
            raise UsageError(f"the trace names spec {trace.spec!r}, which is not a catalogue "
                             "entry: pass the spec it belongs to")
    model = model_for(spec, trace)
    states = replay(model, trace)
    cfg = model.config

    def compare(where: str, state: Any) -> None:
        got = adapter.observe()
        want = adapter.expect(cfg, state)
        if got != want:
            raise AssertionError(f"after {where} the implementation shows {got!r}, but the "
                                 f"spec expects {want!r}")

    adapter.reset(cfg, states[0])
    compare("the initial state", states[0])
    for i, (step, state) in enumerate(zip(trace.steps[1:], states[1:]), start=1):
        inst = model.find_instance(step.action, step.args)
        assert inst is not None  # the replay found it
        adapter.perform(inst.name, inst.kwargs)
        compare(f"step {i} ({inst.label()})", state)


class _Choice:
    """An enabled action instance, shown by Hypothesis as ``name(arg=value)``."""

    __slots__ = ("choice", "instance", "state")

    def __init__(self, instance: Instance, state: Any, choice: int | None = None) -> None:
        self.instance = instance
        self.state = state
        self.choice = choice
        """Which successor of a generator action the step is; None for a plain action."""

    def __repr__(self) -> str:
        label = self.instance.label()
        return label if self.choice is None else f"{label}[choice={self.choice}]"

    @property
    def kwargs(self) -> dict[str, Any]:
        """The arguments an adapter's method takes: with ``choice`` for a generator
        action."""
        out = self.instance.kwargs
        if self.choice is not None:
            out["choice"] = self.choice
        return out


def state_machine(spec: Spec | Model, *, variant: str | None = None,
                  params: Mapping[str, Any] | None = None,
                  adapter: Callable[[], Adapter] | None = None,
                  deadlock: bool | None = None,
                  settings: Settings | None = None) -> type[RuleBasedStateMachine]:
    """A Hypothesis ``RuleBasedStateMachine`` class exploring ``spec`` (or a bound model).

    ``variant`` and ``params`` choose the configuration. ``adapter`` (a class or factory
    of :class:`Adapter`) runs an implementation in lockstep. ``deadlock=False`` accepts
    states with no enabled action (None: as the spec says). ``settings`` apply to the
    class's ``TestCase``.
    Temporal properties are not checked: a run of a state machine is finite. Properties
    and deadlocks are judged as every search judges them (:mod:`modelcheck.semantics`):
    a violation fails with an AssertionError, a predicate that raises or returns anything
    but a bool with a SpecRuntimeError naming it.
    """
    model = spec if isinstance(spec, Model) else bind(spec, variant, params, temporal=False)
    if deadlock is None:
        deadlock = model.spec.check_deadlock
    cfg = model.config
    inits = model.initial_states()
    table = model.table()
    instances = model.instances
    families = list(dict.fromkeys(i.name for i in instances))

    def enabled(machine: Any) -> dict[str, list[_Choice]]:
        """The enabled instances of each action in the machine's state, computed once."""
        s = machine.state
        if machine.cache is not None and machine.cache[0] is s:
            return machine.cache[1]  # type: ignore[no-any-return]
        out: dict[str, list[_Choice]] = {}
        try:
            last, k = -1, 0
            for aid, t in semantics.successors(model, s, table):
                inst = instances[aid]
                k = k + 1 if aid == last else 0
                last = aid
                out.setdefault(inst.name, []).append(
                    _Choice(inst, t, k if inst.action.multi else None))
        except semantics.Misbehaved as m:
            raise _error(m, machine.steps) from m.error
        machine.cache = (s, out)
        return out

    def __init__(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.state = None
        self.steps = 0
        self.cache = None
        self.impl = adapter() if adapter is not None else None

    def start(self: Any, init: int) -> None:
        self.state = inits[init][1]
        found = semantics.broken_initially(model, [inits[init]])
        if found is not None:
            if found[2].error is not None:
                raise _error(semantics.Misbehaved(found[2].function, found[2].error), 0)
            raise AssertionError(semantics.violation_message("initial", found[2].prop.name, 0))
        if self.impl is not None:
            self.impl.reset(cfg, self.state)
            self.compare("the initial state")

    def take(self: Any, choice: _Choice) -> None:
        before, after = self.state, choice.state
        broken = semantics.broken_step(model.action_properties, cfg, before, after)
        if broken is not None:
            if broken.error is not None:
                raise _error(semantics.Misbehaved(broken.function, broken.error), self.steps)
            raise AssertionError(semantics.violation_message(
                "action", broken.prop.name, self.steps + 1, repr(choice)))
        self.state = after
        self.steps += 1
        if self.impl is not None:
            self.impl.perform(choice.instance.name, choice.kwargs)
            self.compare(f"step {self.steps} ({choice!r})")

    def compare(self: Any, where: str) -> None:
        got = self.impl.observe()
        want = self.impl.expect(cfg, self.state)
        if got != want:
            raise AssertionError(f"after {where} the implementation shows {got!r}, but the "
                                 f"spec expects {want!r}")

    ns: dict[str, Any] = {"__init__": __init__, "take": take, "compare": compare,
                          "__doc__": f"Hypothesis state machine of spec {model.spec.name!r}."}
    if not inits:
        raise ValueError(f"spec {model.spec.name!r} has no initial state in this configuration")
    ns["initialize_state"] = initialize(init=st.sampled_from(range(len(inits))))(start)

    for k, name in enumerate(families):
        ns[f"rule_{k}_{name}"] = _action_rule(name, enabled)

    def stutter(self: Any) -> None:
        """No action is enabled (a terminal state): the run stays where it is."""

    ns["stutter"] = precondition(
        lambda self: self.state is not None and not enabled(self))(rule()(stutter))

    for prop in model.invariants:
        ns[f"invariant_{prop.name}"] = _invariant(prop, cfg)

    if deadlock:
        def no_deadlock(self: Any) -> None:
            if self.state is None or enabled(self):
                return
            try:
                dead = semantics.deadlocked(model, self.state)
            except semantics.Misbehaved as m:
                raise _error(m, self.steps) from m.error
            if dead:
                raise AssertionError(semantics.violation_message("deadlock", "deadlock",
                                                                 self.steps))
        ns["invariant_no_deadlock"] = invariant()(no_deadlock)

    machine: type[RuleBasedStateMachine] = type(
        f"{_class_name(model.spec.name)}Machine", (RuleBasedStateMachine,), ns)
    if settings is not None:
        machine.TestCase.settings = settings
    return machine


def _action_rule(name: str, enabled: Callable[[Any], dict[str, list[_Choice]]]
                 ) -> Callable[..., None]:
    def step(self: Any, data: st.DataObject) -> None:
        self.take(data.draw(st.sampled_from(enabled(self)[name]), label=name))
    step.__name__ = name
    step.__doc__ = f"Take an enabled instance of action {name}."
    has = precondition(lambda self: self.state is not None and name in enabled(self))
    return has(rule(data=st.data())(step))


def _invariant(prop: Property, cfg: Any) -> Callable[..., None]:
    def check(self: Any) -> None:
        if self.state is None:
            return
        try:
            ok = semantics.holds(semantics.describe(prop), prop.fn, cfg, self.state)
        except semantics.Misbehaved as m:
            raise _error(m, self.steps) from m.error
        if not ok:
            raise AssertionError(semantics.violation_message("invariant", prop.name,
                                                             self.steps))
    check.__name__ = prop.name
    return invariant()(check)


def _error(m: semantics.Misbehaved, steps: int) -> SpecRuntimeError:
    return semantics.spec_error(m.function, m.error, at=semantics.where(steps), step=steps)


def _class_name(spec_name: str) -> str:
    return "".join(part.capitalize() for part in spec_name.replace("_", "-").split("-"))
