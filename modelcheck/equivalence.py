"""Telling an equivalent mutant without searching it: where each step ran in the original.

A mutant is *equivalent* when its reachable state graph is the original's: the same
initial states and, from every reachable state, the same transitions, each labelled with
its action instance. Searching each mutant and comparing graphs costs a whole search per
mutant, and most mutants of a rich spec are equivalent (a guard that never matters at the
bounds, a field that already holds what the update writes).

A mutant changes the body of one step function ``f`` and nothing else. So the original is
explored once (:func:`reference`) with every step function's body marked, recording each
reachable state and, per step function, every pair (state, action instance) whose
evaluation ran it. Where the original's evaluation of an instance at a state did not run
``f``, the mutant's runs the same code and gives the same successors. The mutant is then
only evaluated at the pairs where ``f`` ran, next to the original
(:meth:`Reference.equivalent`): if every one gives the original's successors, and the
initial states are the original's, its graph is the original's — by induction over the
distance from the initial states, every state the original reaches is reached by the
mutant along the same path, with the same transitions out. If a pair differs, the mutant
is not equivalent: the differing state nearest the initial states is reached by the
mutant along the original's path, and its transitions differ.

This holds when ``f`` runs only inside steps (checked: a mutant of a function that a
property, a domain or module-level code also names is not screened) and steps are
functions of their arguments, as the spec contract requires. States and successors are
compared by fingerprint, as every search identifies them. A step of the mutant that raises
where the original's does not differs. A spec with a view or with symmetry is not screened
(its graph over real states can be larger than the search, or have no end).
"""

from __future__ import annotations

import ast
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, FunctionType
from typing import Any

import numpy as np

from modelcheck import semantics
from modelcheck.explore import instance_calls
from modelcheck.fingerprint import fingerprint
from modelcheck.model import Model
from modelcheck.mutants import Mutant, module_of, source_of, step_functions
from modelcheck.spec import Spec

__all__ = ["MARK", "Reference", "Swap", "reference"]

MARK = "__modelcheck_ran__"
"""The global each marked step function calls first, with its name."""


def _code_of(code: CodeType, name: str, line: int) -> CodeType | None:
    """The code of the top-level function ``name`` defined at ``line`` in module ``code``."""
    return next((c for c in code.co_consts if isinstance(c, CodeType)
                 and c.co_name == name and c.co_firstlineno == line), None)


def _step_objects(spec: Spec, steps: list[ast.FunctionDef]) -> dict[str, FunctionType] | None:
    """The function object of each step function of ``spec``'s module, by name; None if
    one cannot be found, is wrapped, or two share a name."""
    module = module_of(spec)
    names = [fn.name for fn in steps]
    if len(set(names)) != len(names):
        return None
    out: dict[str, FunctionType] = {}
    for name in names:
        fn = getattr(module, name, None)
        # A wrapper (a cache, say) could answer for the function without running the
        # code that is swapped: such a module is not screened.
        if (not isinstance(fn, FunctionType) or fn.__module__ != module.__name__
                or hasattr(fn, "__wrapped__")):
            return None
        out[name] = fn
    return out


class Swap:
    """Step function objects of the original whose code is replaced, in place, for a
    while: what makes the original's own objects behave as a changed module would, so that
    its states (whose classes are the original's) can be fed to the change."""

    def __init__(self, functions: dict[str, FunctionType], codes: dict[str, CodeType]):
        self.functions = functions
        self.original = {name: functions[name].__code__ for name in codes}
        self.changed = codes

    def on(self) -> None:
        for name, code in self.changed.items():
            self.functions[name].__code__ = code

    def off(self) -> None:
        for name, code in self.original.items():
            self.functions[name].__code__ = code


def _outcome(result: Any, multi: bool) -> int:
    """What an action instance gave, as one word: 0 for nothing, the fingerprint of its
    successor, or (a generator action) of the sorted fingerprints of its successors."""
    if multi:
        fps = sorted(fingerprint(u) for u in result if u is not None)
        return fingerprint(tuple(fps)) if fps else 0
    return 0 if result is None else fingerprint(result)


@dataclass
class Reference:
    """The original's reachable states, in breadth-first order, and per step function
    the pairs ``state number * instances + instance`` whose evaluation ran it, in order,
    and what each gave."""

    model: Model
    functions: dict[str, FunctionType]
    """The step functions of the original's module, by name."""
    initial: tuple[int, ...]
    """The initial states' fingerprints, sorted."""
    states: list[Any]
    runs: dict[str, np.ndarray]
    outcomes: dict[str, np.ndarray]
    """Per step function, what each of its evaluations gave (:func:`_outcome`), in the
    order of :attr:`runs`."""
    named_outside: frozenset[str]

    def equivalent(self, mutant: Mutant, deadline: float | None = None) -> bool | None:
        """Whether ``mutant`` has the original's reachable graph; None when that cannot be
        told this way (its function is named outside the steps, or its code cannot be
        matched, or ``deadline``, a ``time.monotonic()`` value, passed).

        The original's step function is given the mutant's code for the comparison, and
        its own back after it.
        """
        name = mutant.function
        fn = self.functions.get(name)
        if name in self.named_outside or fn is None:
            return None
        try:
            module_code = compile(mutant.source, fn.__code__.co_filename, "exec",
                                  dont_inherit=True)
        except SyntaxError:
            return None
        code = _code_of(module_code, name, fn.__code__.co_firstlineno)
        if code is None or code.co_freevars != fn.__code__.co_freevars:
            return None
        swap = Swap(self.functions, {name: code})
        model, size = self.model, len(self.model.instances)
        try:
            swap.on()
            try:
                initial = tuple(sorted({fingerprint(s) for _, s in model.initial_states()}))
            finally:
                swap.off()
            if initial != self.initial:
                return False
            keys = self.runs.get(name)
            if keys is None:
                return True  # the function never ran: nothing the original reaches differs
            outcomes = self.outcomes[name].tolist()
            cfg, instances = model.config, model.instances
            swap.on()
            try:
                for k, key in enumerate(keys.tolist()):
                    if deadline is not None and k % 256 == 0 and time.monotonic() > deadline:
                        return None
                    n, aid = divmod(key, size)
                    inst = instances[aid]
                    multi = inst.action.multi
                    got = inst.action.fn(cfg, self.states[n], *inst.args)
                    if _outcome(tuple(got) if multi else got, multi) != outcomes[k]:
                        return False
            finally:
                swap.off()
        except Exception:
            return False  # the mutant's step raises (or gives what is not a state)
        return True


def reference(spec: Spec, model: Model) -> Reference | None:
    """The reachable states of ``model`` (``spec`` bound, which passed its check), with
    where each step function ran; None for a model with a view or symmetry, or for a
    module whose step functions cannot be told apart."""
    if model.view is not None or model.canonical is not None:
        return None
    source, path = source_of(spec)
    tree = ast.parse(source, path)
    steps = step_functions(tree)
    functions = _step_objects(spec, steps)
    if functions is None:
        return None
    names = set(functions)
    inside: set[int] = set()
    for fn in steps:
        for stmt in fn.body:
            inside.update(id(n) for n in ast.walk(stmt))
    named_outside = frozenset(
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in names
        and id(n) not in inside)
    for fn in steps:
        at = fn.body[1] if (len(fn.body) > 1 and isinstance(fn.body[0], ast.Expr)
                            and isinstance(fn.body[0].value, ast.Constant)) else fn.body[0]
        mark = ast.Expr(ast.Call(ast.Name(MARK, ast.Load()), [ast.Constant(fn.name)], []))
        ast.copy_location(mark, at)
        ast.fix_missing_locations(mark)
        fn.body.insert(fn.body.index(at), mark)
    marked_module = compile(tree, path, "exec", dont_inherit=True)
    codes: dict[str, CodeType] = {}
    for name, obj in functions.items():
        code = _code_of(marked_module, name, obj.__code__.co_firstlineno)
        if code is None or code.co_freevars != obj.__code__.co_freevars:
            return None
        codes[name] = code
    ran: list[str] = []
    module = module_of(spec)
    swap = Swap(functions, codes)
    setattr(module, MARK, ran.append)
    swap.on()
    try:
        found = _explore(model, ran)
    finally:
        swap.off()
        delattr(module, MARK)
    initial, states, runs = found
    keys = {k: np.frombuffer(v[0], dtype=np.int64) for k, v in runs.items()}
    return Reference(model, functions, initial, states, keys,
                     {k: np.frombuffer(v[1], dtype=np.int64) for k, v in runs.items()},
                     named_outside)


def _explore(model: Model, ran: list[str]
             ) -> tuple[tuple[int, ...], list[Any], dict[str, tuple[array[int], array[int]]]]:
    """Breadth-first, the reachable states of ``model`` and, per marked step function,
    the evaluations (``state number * instances + instance``) that ran it, in order,
    with what each gave."""
    cfg = model.config
    size = len(model.instances)
    states: list[Any] = []
    seen: set[int] = set()
    for _, s in semantics.initial_states(model):
        fp = fingerprint(s)
        if fp not in seen:
            seen.add(fp)
            states.append(s)
    initial = tuple(sorted(seen))
    runs: dict[str, tuple[array[int], array[int]]] = {}
    found: list[tuple[int, Any]] = []

    def hit(key: int, result: Any, multi: bool) -> None:
        word = _outcome(result, multi)
        for name in set(ran):
            got = runs.get(name)
            if got is None:
                got = runs[name] = (array("q"), array("q"))
            got[0].append(key)
            got[1].append(word)
        ran.clear()

    visit = _visitor(model, ran, hit, found)
    ran.clear()
    n = 0
    while n < len(states):
        s = states[n]
        if not model.constraints or semantics.within(model.constraints, cfg, (s,))[0]:
            found.clear()
            visit(s, n * size)
            for _, t in found:
                fp = fingerprint(t)
                if fp not in seen:
                    seen.add(fp)
                    states.append(t)
        n += 1
    return initial, states, runs


def _visitor(model: Model, ran: list[str], hit: Callable[[int, Any, bool], None],
             found: list[tuple[int, Any]]) -> Callable[[Any, int], None]:
    """``visit(state, base)``: every successor of ``state`` into ``found`` as
    ``(instance, successor)``, and ``hit(base + instance, result, multi)`` after each
    instance whose evaluation ran a marked step; generated as the search's successor function is (an
    instance skipped by its membership precondition runs no code)."""
    env: dict[str, Any] = {"cfg": model.config, "ran": ran, "hit": hit,
                           "add": found.append}
    reads, calls = instance_calls(model, env)
    lines = [f"    {local} = s.{field}\n" for field, local in reads.items()]
    for aid, call, guard in calls:
        if model.instances[aid].action.multi:
            step = (f"t = tuple({call})\n"
                    f"if ran:\n    hit(base + {aid}, t, True)\n"
                    f"for u in t:\n    if u is not None:\n        add(({aid}, u))\n")
        else:
            step = (f"t = {call}\n"
                    f"if ran:\n    hit(base + {aid}, t, False)\n"
                    f"if t is not None:\n    add(({aid}, t))\n")
        if guard is not None:
            step = f"if {guard}:\n" + "".join("    " + ln + "\n" for ln in step.splitlines())
        lines.append("".join("    " + ln + "\n" for ln in step.splitlines()))
    src = "def visit(s, base):\n" + ("".join(lines) or "    pass\n")
    exec(compile(src, f"<modelcheck visit {model.spec.name}>", "exec"), env)
    visit: Callable[[Any, int], None] = env["visit"]
    return visit
