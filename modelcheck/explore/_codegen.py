"""Straight-line successor functions generated once per model.

Iterating a table of ``(index, fn, args)`` and calling ``fn(cfg, s, *args)`` costs about
twice a direct call with literal arguments (the star call builds a tuple each time). So,
as namedtuple and dataclasses do for their methods, we generate source with one direct
call per action instance, in declaration order, and compile it once per model. Models
with very many instances fall back to the table loop, which behaves identically.

An action function may carry a ``specialise(cfg, *args)`` attribute returning a
:class:`~modelcheck.spec.Specialised` that behaves exactly as ``fn(cfg, state, *args)``: the
generated code then makes that call instead, with whatever could be worked out from the
configuration and the arguments done once. A call may also declare a membership precondition
(``requires=(field, item)``: the instance is disabled unless ``item in state.field``),
which the generated code tests inline, reading the field once per state, so that an
instance that is disabled costs no function call at all. A network's ``deliver`` action
uses both: each message's handler is bound once, and a message not in flight
is skipped by one hash look-up. A long run of instances guarded by one field (one for each
message that could be in flight) is tested the other way round when the field holds a
frozenset: each of its elements is looked up among the instances' items, so that a state
costs a look-up per message in flight rather than one per message that could be.

A generator action (one that yields its successors) is called the same way, and each state
it yields but None is appended as one successor; its ``specialise`` hook must give a
generator function too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from modelcheck.errors import SpecDefinitionError
from modelcheck.model import Model, Successors
from modelcheck.spec import Specialised

__all__ = ["MAX_UNROLLED", "expander", "instance_calls"]

MAX_UNROLLED = 3000
"""Above this many action instances the generated source would be too large to pay off."""

MIN_BLOCK = 8
"""A run of at least this many consecutive instances guarded by membership in one field is
generated as one block (see :func:`_block`)."""

Expander = Callable[..., None]
"""``expand(chunk, succs, actions, counts)``, or with ``checked``
``expand(chunk, succs, actions, counts, base, check)``."""


def expander(model: Model, *, checked: bool = False) -> Expander:
    """``expand(chunk, succs, actions, counts)``: append each state's successors.

    For each state of ``chunk`` it appends every successor to ``succs``, the index of the
    action instance that produced it to ``actions``, and the number of successors to
    ``counts``. A spec exception propagates unchanged; callers find the culprit by
    re-applying the instances one by one. With ``checked`` (a model with action
    properties) it takes two more arguments, ``base`` and ``check``, and calls
    ``check(state, base + i, action, successor)`` on each transition out of ``chunk[i]``
    before appending the successor; what ``check`` raises propagates.
    """
    table = model.table()
    env: dict[str, Any] = {"cfg": model.config}
    on_step = "check(s, base + i, {aid}, t)\n" if checked else ""
    if len(table) > MAX_UNROLLED:
        env["table"] = table
        env["Successors"] = Successors
        body = (
            "        for aid, fn, args in table:\n"
            "            t = fn(cfg, s, *args)\n"
            "            if t is not None:\n"
            "                if t.__class__ is Successors:\n"
            "                    for t in t:\n"
            + _indent(on_step.format(aid="aid"), 24) +
            "                        append(t)\n"
            "                        act(aid)\n"
            "                    continue\n"
            + _indent(on_step.format(aid="aid"), 16) +
            "                append(t)\n"
            "                act(aid)\n")
    else:
        reads, calls = instance_calls(model, env)
        lines = []
        for run in _runs(model, calls):
            block = _block(run, env, on_step) if len(run) >= MIN_BLOCK else None
            if block is not None:
                lines.append(block)
                continue
            for aid, call, guard in run:
                take = (_indent(on_step.format(aid=aid)) +
                        f"    append(t)\n"
                        f"    act({aid})\n")
                if model.instances[aid].action.multi:
                    step = f"for t in {call}:\n    if t is not None:\n" + _indent(take)
                else:
                    step = f"t = {call}\nif t is not None:\n" + take
                if guard is not None:
                    step = f"if {guard}:\n" + _indent(step)
                lines.append(_indent(step, 8))
        body = "".join(f"        {local} = s.{field}\n" for field, local in reads.items())
        body += "".join(lines) or "        pass\n"
    src = (
        f"def expand(chunk, succs, actions, counts{', base, check' if checked else ''}):\n"
        "    append = succs.append\n"
        "    act = actions.append\n"
        "    count = counts.append\n"
        f"    for {'i, s in enumerate(chunk)' if checked else 's in chunk'}:\n"
        "        n = len(succs)\n"
        f"{body}"
        "        count(len(succs) - n)\n")
    code = compile(src, f"<modelcheck expand {model.spec.name}>", "exec")
    exec(code, env)
    expand: Expander = env["expand"]
    return expand


def instance_calls(model: Model, env: dict[str, Any]
                   ) -> tuple[dict[str, str], list[tuple[int, str, str | None]]]:
    """Source for calling each action instance of ``model`` on a state ``s``, as the
    generated successor function does (specialised where the action offers it).

    Adds the names the source uses to ``env`` (``cfg`` must be there too), and returns
    the state fields to read once per state (field -> local name), and for each instance
    its index, the call expression and the guard expression that must hold first (its
    membership precondition; None when it has none).
    """
    reads: dict[str, str] = {}  # state field -> the local holding it
    out: list[tuple[int, str, str | None]] = []
    for inst in model.instances:
        aid, fn, args = inst.index, inst.action.fn, inst.args
        specialise = getattr(fn, "specialise", None)
        call = (Specialised(fn, args) if specialise is None
                else _specialised(inst.name, specialise, model.config, args))
        if specialise is not None and inspect.isgeneratorfunction(call.fn) != inst.action.multi:
            raise SpecDefinitionError(
                f"action {inst.name}: its specialise hook gives "
                f"{'a generator' if not inst.action.multi else 'a plain'} function for a "
                f"{'plain' if not inst.action.multi else 'generator'} action; the step must "
                "be of the same kind as the action")
        env[f"f{aid}"] = call.fn
        call_args = ["cfg", "s"]
        for k, a in enumerate(call.args):
            env[f"a{aid}_{k}"] = a
            call_args.append(f"a{aid}_{k}")
        guard = None
        if call.requires is not None:
            field, item = call.requires
            if not isinstance(field, str) or not field.isidentifier():
                raise SpecDefinitionError(
                    f"action {model.instances[aid].name}: its specialise hook's requires "
                    f"names field {field!r}, not an identifier")
            env[f"r{aid}"] = item
            guard = f"r{aid} in {reads.setdefault(field, f'g{len(reads)}')}"
        out.append((aid, f"f{aid}({', '.join(call_args)})", guard))
    return reads, out


def _runs(model: Model, calls: list[tuple[int, str, str | None]]
          ) -> list[list[tuple[int, str, str | None]]]:
    """``calls`` cut into runs: each maximal run of consecutive plain instances guarded by
    membership in the same field and called with no argument of their own, and every
    other instance on its own."""
    runs: list[list[tuple[int, str, str | None]]] = []
    field = None
    for aid, call, guard in calls:
        plain = (guard is not None and not model.instances[aid].action.multi
                 and call == f"f{aid}(cfg, s)")
        here = guard.rpartition(" in ")[2] if plain and guard is not None else None
        if here is not None and here == field:
            runs[-1].append((aid, call, guard))
        else:
            runs.append([(aid, call, guard)])
        field = here
    return runs


def _block(run: list[tuple[int, str, str | None]], env: dict[str, Any],
           on_step: str) -> str | None:
    """Source for a run of instances guarded by membership in one field (see :func:`_runs`),
    or None if an item is not hashable.

    Testing each instance's item against the field hashes every item in every state; when
    the field holds a frozenset, the block looks each of its elements up in a dict from
    item to instances instead (a network holds a few messages of the many that could be
    in flight), and calls the instances found in instance order: the same calls, in the
    same order, as the instance-by-instance tests make. Any other value of the field is
    tested item by item.
    """
    first = run[0][0]
    guard = run[0][2]
    assert guard is not None
    local = guard.rpartition(" in ")[2]
    by_item: dict[Any, list[tuple[int, Any]]] = {}
    in_order = []
    for aid, _, _ in run:
        item, fn = env[f"r{aid}"], env[f"f{aid}"]
        try:
            by_item.setdefault(item, []).append((aid, fn))
        except TypeError:
            return None
        in_order.append((item, aid, fn))
    env[f"b{first}"] = {item: tuple(found) for item, found in by_item.items()}
    env[f"l{first}"] = tuple(in_order)
    step = (f"if {local}.__class__ is frozenset:\n"
            f"    hits = [e for x in {local} if x in b{first} for e in b{first}[x]]\n"
            "    if len(hits) > 1:\n"
            "        hits.sort()\n"
            "else:\n"
            f"    hits = [(aid, fn) for r, aid, fn in l{first} if r in {local}]\n"
            "for aid, fn in hits:\n"
            "    t = fn(cfg, s)\n"
            "    if t is not None:\n"
            + _indent(on_step.format(aid="aid"), 8) +
            "        append(t)\n"
            "        act(aid)\n")
    return _indent(step, 8)


def _specialised(name: str, specialise: Callable[..., Any], cfg: Any,
                 args: tuple[Any, ...]) -> Specialised:
    """What action ``name``'s ``specialise`` hook gives for ``args``; a hook that raises or
    gives something else than a :class:`~modelcheck.spec.Specialised` is the spec's error."""
    try:
        call = specialise(cfg, *args)
    except Exception as e:
        raise SpecDefinitionError(f"action {name}: its specialise hook raised "
                                  f"{type(e).__name__}: {e}") from e
    if not isinstance(call, Specialised):
        raise SpecDefinitionError(f"action {name}: its specialise hook returned "
                                  f"{type(call).__name__}, not a Specialised")
    return call


def _indent(text: str, by: int = 4) -> str:
    return "".join(" " * by + line + "\n" for line in text.splitlines())
