"""Counterexample traces: a value with a JSON round-trip and replay against a spec.

A trace is what a person reads and what CI keeps. Its JSON form (``modelcheck-trace/1``)
holds every state in full, encoded as plain JSON, so it stays readable without the spec
and can be replayed later against the spec as it is then: the first step that no longer
applies, or whose state differs, is reported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcheck import itf
from modelcheck.errors import ModelcheckError, SpecRuntimeError, TraceFormatError, UsageError
from modelcheck.model import Model, bind
from modelcheck.params import parameters
from modelcheck.spec import Spec
from modelcheck.state import JSON, format_value, to_json

__all__ = ["FORMAT", "ReplayError", "Step", "Trace", "model_for", "replay", "shown"]

FORMAT = "modelcheck-trace/1"

MAX_NESTING = 100
"""Levels of JSON arrays and objects a trace file may nest (the trace's own structure
included); reading, rendering and replaying recurse into them."""


def _nesting(data: Any) -> int:
    """How deeply ``data`` nests arrays and objects, counted without recursion (so a
    hostile file cannot exhaust the stack), up to one level past :data:`MAX_NESTING`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            if depth > MAX_NESTING:
                return depth
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (
                value.values() if isinstance(value, dict) else value))
    return deepest


@dataclass(frozen=True)
class Step:
    """A state and the action that produced it (for the first step, the init)."""

    action: str
    args: Mapping[str, JSON]
    state: JSON
    choice: int | None = None
    """For a step of a generator action: which of its successors it is (0 for the first
    it yields); None for a plain action or an init."""

    def label(self, spec: Spec | None = None) -> str:
        """``action(a=1)``, or as ``spec``'s :attr:`~modelcheck.spec.Spec.format_step` hook
        reads the step (a network's steps read as events: ``✗ drop RequestVoteRequest(0→1,
        term=1)``, ``⚡ crash 2``). Renderings read steps with
        :func:`modelcheck.render.labels.step_label`, which knows those events without the
        spec too."""
        own = self.own_label(spec)
        if own is not None:
            return own
        inner = ", ".join(f"{k}={format_value(v)}" for k, v in self.args.items())
        return f"{self.action}({inner})" if inner else self.action

    def own_label(self, spec: Spec | None) -> str | None:
        """What ``spec``'s ``format_step`` hook says of this step: None when there is no
        spec or hook, or the hook has nothing to say. A hook that raises or returns
        something other than a str or None is a spec error (exit 2)."""
        if spec is None or spec.format_step is None:
            return None
        try:
            own = spec.format_step(self.action, self.args)
        except Exception as e:
            raise SpecRuntimeError(
                f"spec {spec.name!r}: format_step({self.action!r}, ...) raised "
                f"{type(e).__name__}: {e}", function="format_step") from e
        if own is not None and not isinstance(own, str):
            raise SpecRuntimeError(
                f"spec {spec.name!r}: format_step({self.action!r}, ...) returned "
                f"{type(own).__name__}, not a str or None", function="format_step")
        return own


@dataclass(frozen=True)
class Trace:
    """A path through a spec's state space, from an initial state.

    ``length`` is the number of transitions (one less than the number of steps).
    ``loop_start`` marks where the cycle of a liveness counterexample (a lasso) begins:
    the last step returns to the state of step ``loop_start``, and the steps after it
    repeat forever; when ``loop_start`` is the last step, the behaviour stays in that
    state forever (stutters).
    ``states`` holds the Python states when the trace comes from a search in this process.
    """

    spec: str
    variant: str | None
    params: Mapping[str, JSON]
    steps: tuple[Step, ...]
    loop_start: int | None = None
    states: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def length(self) -> int:
        """Transitions in the trace."""
        return len(self.steps) - 1

    def to_json(self) -> dict[str, JSON]:
        """The trace as a JSON object in the ``modelcheck-trace/1`` format."""
        return {
            "format": FORMAT, "spec": self.spec, "variant": self.variant,
            "params": dict(self.params),
            "steps": [{"action": s.action, "args": dict(s.args), "state": s.state}
                      | ({} if s.choice is None else {"choice": s.choice})
                      for s in self.steps],
            "loop_start": self.loop_start,
        }

    def dumps(self) -> str:
        """The JSON text of the trace."""
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False)

    def save(self, path: str | Path) -> None:
        """Write the trace's JSON to ``path``."""
        Path(path).write_text(self.dumps() + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: Any) -> Trace:
        """Read a trace from parsed JSON, in the ``modelcheck-trace/1`` format or as an ITF
        trace (:mod:`modelcheck.itf`); raises TraceFormatError saying what is wrong."""
        if itf.is_itf(data):
            data = itf.read(data)
        if not isinstance(data, dict):
            raise TraceFormatError("a trace must be a JSON object")
        if data.get("format") != FORMAT:
            raise TraceFormatError(
                f"unknown trace format {data.get('format')!r}; expected {FORMAT!r}")
        for key, kind in (("spec", str), ("params", dict), ("steps", list)):
            if not isinstance(data.get(key), kind):
                raise TraceFormatError(f"trace field {key!r} must be a {kind.__name__}")
        steps = []
        for i, raw in enumerate(data["steps"]):
            if not (isinstance(raw, dict) and isinstance(raw.get("action"), str)
                    and isinstance(raw.get("args", {}), dict) and "state" in raw):
                raise TraceFormatError(
                    f"trace step {i} must be an object with 'action' (a string), 'args' "
                    "(an object) and 'state'")
            choice = raw.get("choice")
            if choice is not None and not (type(choice) is int and choice >= 0 and i > 0):
                raise TraceFormatError(
                    f"trace step {i}: 'choice' must be a non-negative integer (which successor "
                    f"of a generator action the step is), got {choice!r}"
                    + (" on the initial state" if i == 0 else ""))
            steps.append(Step(raw["action"], raw.get("args", {}), raw["state"], choice))
        if not steps:
            raise TraceFormatError("a trace needs at least one step (the initial state)")
        loop = data.get("loop_start")
        if loop is not None and not (isinstance(loop, int) and 0 <= loop < len(steps)):
            raise TraceFormatError(f"loop_start {loop!r} is not a step index")
        variant = data.get("variant")
        if variant is not None and not isinstance(variant, str):
            raise TraceFormatError("trace field 'variant' must be a string or null")
        return cls(data["spec"], variant, data["params"], tuple(steps), loop)

    @classmethod
    def loads(cls, text: str) -> Trace:
        """Parse a trace from JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise TraceFormatError(f"not valid JSON: {e}") from e
        except RecursionError:
            data = None  # nested beyond what the parser recurses into
        if data is None or _nesting(data) > MAX_NESTING:
            raise TraceFormatError(
                f"the trace nests values more than {MAX_NESTING} levels deep, deeper than "
                "modelcheck reads: the file is damaged, or was not written by modelcheck")
        return cls.from_json(data)

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        """Read a trace file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise TraceFormatError(f"cannot read trace file {path}: {e}") from e
        return cls.loads(text)

    @classmethod
    def from_states(cls, model: Model, init_index: int, path: Sequence[int],
                    states: Sequence[Any], loop_start: int | None = None) -> Trace:
        """Build a trace from init instance ``init_index``, action indices and the states."""
        steps = [Step(model.inits[init_index].name, model.inits[init_index].args_json(),
                      to_json(states[0]))]
        for aid, before, s in zip(path, states, states[1:]):
            inst = model.instances[aid]
            steps.append(Step(inst.name, inst.args_json(), to_json(s),
                              model.choice(aid, before, s) if inst.action.multi else None))
        return cls(model.spec.name, model.variant, model.params, tuple(steps), loop_start,
                   tuple(states))


class ReplayError(ModelcheckError):
    """A trace no longer replays: ``step`` is the first step that does not apply."""

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step


def replay(model: Model, trace: Trace) -> list[Any]:
    """Re-execute ``trace`` against ``model`` and return its states.

    Raises :class:`ReplayError` at the first step whose action is unknown or not enabled,
    or whose state differs from the recorded one.
    """
    first = trace.steps[0]
    inst = model.find_instance(first.action, first.args, model.inits)
    if inst is None:
        raise ReplayError(f"step 0: the spec has no init {first.label(model.spec)}", 0)
    state = inst.action.fn(model.config, *inst.args)
    _compare(state, first, 0, model.spec)
    states = [state]
    for i, step in enumerate(trace.steps[1:], start=1):
        inst = model.find_instance(step.action, step.args)
        if inst is None:
            raise ReplayError(f"step {i}: the spec has no action {step.label(model.spec)}", i)
        if not inst.action.multi:
            if step.choice is not None:
                raise ReplayError(
                    f"step {i}: {step.label(model.spec)} records successor {step.choice} of "
                    "its action, which yields no successors to choose from (it is not a "
                    "generator)", i)
            state = model.apply(inst.index, state)
        else:
            found = model.successors(inst.index, state)
            if not found:
                state = None
            elif step.choice is None:  # a trace written by hand: the successor it records
                state = next((t for t in found if _same(t, step)), found[0])
            elif step.choice >= len(found):
                raise ReplayError(
                    f"step {i}: {step.label(model.spec)} records successor {step.choice}, but "
                    f"the action yields {len(found)} here", i)
            else:
                state = found[step.choice]
        if state is None:
            raise ReplayError(f"step {i}: {step.label(model.spec)} is not enabled", i)
        _compare(state, step, i, model.spec)
        states.append(state)
    return states


def model_for(spec: Spec, trace: Trace) -> Model:
    """``spec`` bound to the variant and parameters ``trace`` was recorded with.

    The trace records every config field as JSON; each is read back and checked through
    the field's declared domain (arrays become tuples, enums are named, text goes through
    the field's parser). A parameter or variant the spec no longer has, or a value outside
    its field's domain, is a UsageError naming it.
    """
    table = parameters(spec.config)
    gone = sorted(set(trace.params) - set(table))
    if gone:
        raise UsageError(
            f"the trace was recorded with parameters {gone}, which spec {spec.name!r} no "
            f"longer has (its parameters: {', '.join(sorted(table))})")
    params: dict[str, Any] = {}
    for key, value in trace.params.items():
        try:
            params[key] = table[key].convert(value, as_json=True)
        except UsageError as e:
            raise UsageError(f"the trace's parameters are not valid for spec {spec.name!r}: "
                             f"{e}") from None
    return bind(spec, trace.variant, params)


def shown(trace: Trace, spec: Spec) -> Trace:
    """``trace`` as ``spec``'s :attr:`~modelcheck.spec.Spec.display` hook shows it: each
    state, and each step's arguments, as a reader should see them (raft's absolute terms).

    The trace itself when the spec has no such hook, or when the trace no longer replays
    against the spec (it is then shown as recorded). The result is for reading only: it
    need not replay. A hook that raises is a spec error (exit 2).
    """
    if spec.display is None:
        return trace
    try:
        model = model_for(spec, trace)
        states = list(trace.states) if trace.states is not None else replay(model, trace)
        found = [model.find_instance(step.action, step.args,
                                     model.inits if i == 0 else None)
                 for i, step in enumerate(trace.steps)]
    except ModelcheckError:
        return trace
    if len(states) != len(trace.steps) or None in found:
        return trace
    try:
        views = list(spec.display(model.config, states))
        steps = []
        for i, (step, inst, state) in enumerate(zip(trace.steps, found, states)):
            assert inst is not None
            view = views[max(i - 1, 0)]  # a step's arguments are read in the state before it
            args = {k: to_json(view(v)) for k, v in zip(inst.action.params, inst.args)}
            steps.append(Step(step.action, args, to_json(views[i](state)), step.choice))
    except Exception as e:
        raise SpecRuntimeError(f"spec {spec.name!r}: display raised {type(e).__name__}: {e}",
                               function="display") from e
    return Trace(trace.spec, trace.variant, trace.params, tuple(steps), trace.loop_start)


def _same(state: Any, step: Step) -> bool:
    # A record in its defaults form may have been saved with all its fields (a trace
    # written before that form existed): either encoding is the same state.
    if isinstance(step.state, dict) and "$type" not in step.state:
        # A trace from another tool (ITF) names no state type: the spec's is the only one.
        ours = to_json(state)
        if isinstance(ours, dict) and ours.pop("$type", None) is not None:
            full = to_json(state, compact=False)
            full.pop("$type", None)
            if step.state in (ours, full):
                return True
    return bool(to_json(state) == step.state or to_json(state, compact=False) == step.state)


def _compare(state: Any, step: Step, i: int, spec: Spec) -> None:
    if not _same(state, step):
        raise ReplayError(
            f"step {i}: {step.label(spec)} gives a different state than the trace records", i)

