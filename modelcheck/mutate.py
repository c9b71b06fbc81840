"""Mutation testing of a spec: do its properties and bounds notice a planted bug?

``modelcheck mutate SPEC`` makes the mutants of the spec's steps (:mod:`modelcheck.mutants`;
with ``--helpers``, of the functions they call too),
checks each one exhaustively, breadth-first, at the configuration given (variant,
parameters, faults, depth bound, deadlock and temporal options), in parallel processes with
a time limit each, and says what became of it:

``killed``
    a property is violated (or the deadlock check fails): the check notices the bug. The
    property and the length of the counterexample are reported.
``error``
    the mutant's check stopped on a spec error (a step raised, returned something that
    is not a state...). Any run of the spec shows such a bug, so it counts as killed in
    the score; it is listed apart.
``survived``
    every property holds: the properties, or the bounds, miss this change.
``equivalent``
    the mutant's reachable state graph is the original's: the same initial states, the
    same distinct states and the same transitions, each labelled with its action
    instance, compared by fingerprint. No property can tell it from the original at this
    configuration, so it leaves the score. Told before searching the mutant, from where
    its changed function ran in the original (:mod:`modelcheck.equivalence`); failing
    that (a function a property also calls, a spec with a view), a surviving mutant's
    graph is built and compared. Not decided with a depth bound, nor when that takes
    longer than the time limit.
``accepted``
    the mutant survived (or timed out: a mutant that lifts one of the model's bounds has
    no end) and the spec declares why that is no gap
    (:meth:`~modelcheck.spec.Spec.accept_mutant`): the reason is reported and it leaves
    the score. A declaration whose mutant does not exist, or is killed, is reported as
    stale.
``timeout``
    the check did not end within the time limit. It counts against the score.

The score is (killed + error) / (mutants - equivalent - accepted). Each mutant's module
is compiled from its source into a fresh module object in a process of its own; the
user's files are never written. The original must hold first: mutating a spec that fails
tells nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing as mp
import os
import sys
import time
import typing
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from types import ModuleType
from typing import Any, Literal

from modelcheck.equivalence import Reference, reference
from modelcheck.errors import ModelcheckError, UsageError
from modelcheck.explore import check
from modelcheck.fingerprint import fingerprint
from modelcheck.model import Model, bind
from modelcheck.mutants import Mutant, generate, module_of, source_of
from modelcheck.result import Result
from modelcheck.spec import Spec
from modelcheck.state import JSON
from modelcheck.statespace import reachable_graph

__all__ = ["MutationReport", "Outcome", "Settings", "Status", "check_original", "graph_digest",
           "load_mutant", "mutants_of", "render_table", "run", "run_mutants", "select"]

Status = Literal["killed", "error", "survived", "equivalent", "accepted", "timeout"]
STATUSES: tuple[Status, ...] = ("killed", "error", "survived", "equivalent", "accepted",
                                "timeout")

TIMEOUT = 60.0
"""Seconds a mutant's check may take by default, at least."""

TIMES_ORIGINAL = 4.0
"""By default, a mutant's check may take this many times the original's."""

GRACE = 5.0
"""Seconds a mutant's process gets past its time limit before it is killed (a step that
never returns does not see the search's own time limit)."""


@dataclass(frozen=True)
class Settings:
    """The configuration every mutant is checked at, and how."""

    variant: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    max_depth: int | None = None
    deadlock: bool | None = None
    """Whether a state with no enabled action is a violation (None: as the spec says)."""
    temporal: bool = True
    timeout: float | None = None
    """Seconds per mutant; None: :data:`TIMEOUT`, or :data:`TIMES_ORIGINAL` times the
    original's check if that is longer (a mutant's search may well be longer than the
    original's)."""
    jobs: int | None = None
    """Mutants checked at once, each in a process of its own (None: one per core)."""
    helpers: bool = False
    """Whether the functions the steps call are mutated too."""
    check_accepted: bool = False
    """Whether the mutants the spec accepts are checked too (by default they are not:
    their acceptance says why they are no gap), so that an acceptance whose mutant is
    now killed or equivalent is reported stale."""

    @property
    def equivalence(self) -> bool:
        """Whether equivalent mutants can be told: only the whole graph compares."""
        return self.max_depth is None


@dataclass(frozen=True)
class Outcome:
    """What became of one mutant."""

    mutant: Mutant
    status: Status
    killed_by: str | None = None
    """The property that killed it (``deadlock`` for the deadlock check)."""
    kind: str | None = None
    trace_length: int | None = None
    """Transitions in the counterexample (None for a ``sometimes`` goal never met)."""
    distinct_states: int | None = None
    seconds: float = 0.0
    detail: str = ""
    """The spec error of an ``error``; for a ``survived`` mutant, why equivalence was not
    decided, if it was not; for an ``accepted`` one, the spec's reason."""
    checked: bool = True
    """False for an accepted mutant left unchecked (see :attr:`Settings.check_accepted`)."""

    @property
    def caught(self) -> bool:
        """Killed by a property or by a spec error."""
        return self.status in ("killed", "error")

    def to_json(self) -> dict[str, JSON]:
        """One entry of ``mutants`` in ``modelcheck mutate --json``."""
        return {**self.mutant.to_json(), "status": self.status, "property": self.killed_by,
                "kind": self.kind, "trace_length": self.trace_length,
                "distinct_states": self.distinct_states, "seconds": round(self.seconds, 4),
                "detail": self.detail, "checked": self.checked}


@dataclass(frozen=True)
class MutationReport:
    """The original's check and every mutant's outcome."""

    original: Result
    outcomes: tuple[Outcome, ...]
    seconds: float
    equivalence: bool
    stale: tuple[str, ...] = ()
    """The spec's accepted mutants that do not exist or were killed: what to update."""
    timeout: float | None = None
    """Seconds each mutant's check could take."""

    def count(self, status: Status) -> int:
        """How many mutants ended as ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def score(self) -> float | None:
        """(killed + error) / (mutants - equivalent - accepted); None when no mutant
        counts."""
        counted = len(self.outcomes) - self.count("equivalent") - self.count("accepted")
        caught = sum(1 for o in self.outcomes if o.caught)
        return caught / counted if counted else None

    @property
    def exit_code(self) -> int:
        """1 if a mutant survived, else 3 if one timed out, else 0."""
        if self.count("survived"):
            return 1
        return 3 if self.count("timeout") else 0

    def to_json(self) -> dict[str, JSON]:
        """The object ``modelcheck mutate --json`` prints (docs/contracts.md)."""
        o = self.original
        score = self.score
        return {
            "spec": o.spec, "variant": o.variant, "params": o.params,
            "original": {"status": o.status, "distinct_states": o.stats.distinct_states,
                         "seconds": round(o.stats.seconds, 4)},
            "counts": {"mutants": len(self.outcomes), **{s: self.count(s) for s in STATUSES}},
            "stale_acceptances": list(self.stale),
            "score": round(score, 4) if score is not None else None,
            "equivalence_checked": self.equivalence,
            "mutants": [x.to_json() for x in self.outcomes],
            "timeout": self.timeout, "seconds": round(self.seconds, 4),
            "exit_code": self.exit_code,
        }


# -- the mutants --------------------------------------------------------------------------


def mutants_of(spec: Spec, *, helpers: bool = False) -> list[Mutant]:
    """Every mutant of ``spec``'s steps (and, with ``helpers``, of the functions they
    call)."""
    source, path = source_of(spec)
    return generate(source, path, module_of(spec), helpers=helpers)


def select(mutants: Sequence[Mutant], wanted: Sequence[str]) -> list[Mutant]:
    """The mutants named by number (``7``) or id (``tm_commit:drop-guard:1``)."""
    by_key = {str(m.number): m for m in mutants} | {m.id: m for m in mutants}
    unknown = [w for w in wanted if w not in by_key]
    if unknown:
        raise UsageError(f"no mutant {unknown[0]!r}: there are {len(mutants)}, numbered 1 to "
                         f"{len(mutants)} (or give an id such as {mutants[0].id!r})"
                         if mutants else f"no mutant {unknown[0]!r}: the spec has no mutants")
    out: list[Mutant] = []
    for w in wanted:
        if by_key[w] not in out:
            out.append(by_key[w])
    return out


def load_mutant(spec: Spec, mutant: Mutant, *, keep: bool = False) -> Spec:
    """The spec ``mutant``'s module defines in place of ``spec``.

    The mutated source is compiled into a fresh module object under the original's name
    (records and dataclasses look their module up by it): with ``keep`` it stays in
    ``sys.modules`` (a process that checks only this mutant), otherwise the original is
    put back once the module has run.
    """
    original = module_of(spec)
    name = original.__name__
    attr = next((k for k, v in vars(original).items() if v is spec), None)
    fresh = ModuleType(name, original.__doc__)
    for key in ("__file__", "__package__", "__spec__", "__loader__"):
        if hasattr(original, key):
            setattr(fresh, key, getattr(original, key))
    code = compile(mutant.source, getattr(original, "__file__", "<mutant>"), "exec",
                   dont_inherit=True)
    saved = sys.modules.get(name)
    sys.modules[name] = fresh
    try:
        exec(code, fresh.__dict__)
    finally:
        if not keep and saved is not None:
            sys.modules[name] = saved
    found = getattr(fresh, attr, None) if attr else None
    if not isinstance(found, Spec):
        found = next((v for v in vars(fresh).values()
                      if isinstance(v, Spec) and v.name == spec.name), None)
    if found is None:
        raise UsageError(f"mutant {mutant.id} defines no spec {spec.name!r}")
    return found


# -- checking -----------------------------------------------------------------------------


def _check(spec: Spec, settings: Settings, time_limit: float | None) -> Result:
    # A mutant is judged by the property it breaks and the length of the counterexample:
    # the order of its steps does not matter.
    return check(spec, variant=settings.variant, params=settings.params, strategy="bfs",
                 fewer_switches=False,
                 max_depth=settings.max_depth, time_limit=time_limit,
                 deadlock=settings.deadlock, temporal=settings.temporal)


def _bind(spec: Spec, settings: Settings) -> Model:
    return bind(spec, settings.variant, settings.params, temporal=settings.temporal)


def check_original(spec: Spec, settings: Settings) -> Result:
    """The spec's own check at ``settings``, without a time limit; it must pass."""
    return _check(spec, settings, None)


def graph_digest(model: Model) -> str:
    """A digest of ``model``'s reachable state graph: its initial states, its states and
    its transitions labelled by action instance, by fingerprint and in no order."""
    space = reachable_graph(model, limit=None)
    fps = [fingerprint(s) for s in space.states]
    labels = [i.label() for i in model.instances]
    h = hashlib.sha256()
    h.update(repr(sorted(fps[i] for i in space.initial)).encode())
    h.update(repr(sorted(fps)).encode())
    h.update(repr(sorted((fps[a], labels[k], fps[b]) for a, b, k in space.edges)).encode())
    return h.hexdigest()


_Summary = tuple[str, str | None, str | None, int | None, int, str]
"""status, property, kind, trace length, distinct states, detail: what a child sends."""


def _summary(result: Result) -> _Summary:
    n = result.stats.distinct_states
    if result.status == "violation" and result.violation is not None:
        v = result.violation
        return ("killed", v.property, v.kind, v.trace.length if v.trace is not None else None,
                n, v.message)
    if result.status == "ok":
        return ("survived", None, None, None, n, "")
    if result.status == "incomplete":
        return ("timeout", None, None, None, n, result.stopped or "")
    return ("error", None, None, None, n, result.error or "")


def _child(conn: Connection, spec: Spec, mutant: Mutant, settings: Settings,
           reference: Reference | None) -> None:
    """Check one mutant. With the original's ``reference``, first tell whether it is
    equivalent (sending ``screened`` when it is not, or the final ``result`` when it is);
    then send the search's summary: ``result``, followed by its graph's digest if it
    survived and equivalence is still open, or ``final``."""
    try:
        equivalent = None
        if reference is not None:
            equivalent = reference.equivalent(
                mutant, time.monotonic() + (settings.timeout or TIMEOUT))
            if equivalent:
                conn.send(("final", ("equivalent", None, None, None, len(reference.states),
                                     "the same reachable state graph as the original")))
                return
            if equivalent is not None:
                conn.send(("screened", None))
        try:
            mutated = load_mutant(spec, mutant, keep=True)
            result = _check(mutated, settings, settings.timeout or TIMEOUT)
        except ModelcheckError as e:
            conn.send(("error", e.message if hasattr(e, "message") else str(e)))
            return
        except Exception as e:
            conn.send(("error", f"{type(e).__name__}: {e}"))
            return
        summary = _summary(result)
        if equivalent is not None or not settings.equivalence:
            conn.send(("final", summary))
            return
        conn.send(("result", summary))
        if summary[0] == "survived":
            conn.send(("digest", graph_digest(_bind(mutated, settings))))
    except BaseException:
        pass
    finally:
        conn.close()
        os._exit(0)


@dataclass
class _Running:
    mutant: Mutant
    process: Any
    start: float
    deadline: float
    summary: _Summary | None = None


def run_mutants(spec: Spec, mutants: Sequence[Mutant], settings: Settings, *,
                original_digest: Callable[[], str] | None = None,
                reference: Reference | None = None,
                done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Check every mutant in a process of its own, ``settings.jobs`` at once.

    ``reference`` (the original's explored graph) tells equivalent mutants without
    searching them; ``original_digest`` gives the original's graph digest (called once,
    if a mutant the reference cannot judge survives) to tell the others; ``done`` is
    called with each outcome.
    """
    if "fork" not in mp.get_all_start_methods():
        raise UsageError("modelcheck mutate needs processes started by fork (Linux or macOS)")
    ctx = mp.get_context("fork")
    jobs = settings.jobs or os.cpu_count() or 1
    limit = TIMEOUT if settings.timeout is None else settings.timeout
    settings = dataclasses.replace(settings, timeout=limit)
    pending = deque(mutants)
    running: dict[Connection, _Running] = {}
    outcomes: dict[int, Outcome] = {}
    survivors: list[tuple[Outcome, str]] = []

    def finish(conn: Connection, outcome: Outcome, digest: str | None = None) -> None:
        r = running.pop(conn)
        conn.close()
        if r.process.is_alive():
            r.process.kill()
        r.process.join()
        if digest is not None:
            survivors.append((outcome, digest))
            return
        outcomes[outcome.mutant.number] = outcome
        if done is not None:
            done(outcome)

    def of(r: _Running, now: float, detail: str = "") -> Outcome:
        s = r.summary
        assert s is not None
        return Outcome(r.mutant, s[0], s[1], s[2], s[3], s[4],  # type: ignore[arg-type]
                       now - r.start, detail or s[5])

    try:
        while pending or running:
            while pending and len(running) < jobs:
                m = pending.popleft()
                receive, send = ctx.Pipe(duplex=False)
                p = ctx.Process(target=_child, args=(send, spec, m, settings, reference),
                                daemon=True)
                p.start()
                send.close()
                now = time.monotonic()
                running[receive] = _Running(m, p, now, now + limit + GRACE)
            now = time.monotonic()
            nearest = min(r.deadline for r in running.values())
            ready = wait(list(running), timeout=max(0.0, min(nearest - now, 1.0)))
            for conn in typing.cast(list[Connection], ready):
                r = running[conn]
                now = time.monotonic()
                try:
                    tag, payload = conn.recv()
                except (EOFError, OSError):
                    outcome = (of(r, now, "equivalence not decided: the graph could not "
                                          "be built") if r.summary is not None else
                               Outcome(r.mutant, "error", seconds=now - r.start,
                                       detail="the mutant's process ended without a result"))
                    finish(conn, outcome)
                    continue
                if tag == "error":
                    finish(conn, Outcome(r.mutant, "error", seconds=now - r.start,
                                         detail=str(payload)))
                elif tag == "screened":  # not equivalent: the search gets its full time
                    r.deadline = now + limit + GRACE
                elif tag == "final":
                    r.summary = payload
                    finish(conn, of(r, now))
                elif tag == "result":
                    r.summary = payload
                    if payload[0] != "survived" or not settings.equivalence:
                        finish(conn, of(r, now))
                    else:
                        r.deadline = now + limit + GRACE
                else:
                    finish(conn, of(r, now), digest=str(payload))
            now = time.monotonic()
            for conn, r in list(running.items()):
                if now >= r.deadline:
                    if r.summary is None:
                        finish(conn, Outcome(r.mutant, "timeout", seconds=now - r.start,
                                             detail=f"killed after {now - r.start:.0f} s"))
                    else:
                        finish(conn, of(r, now, "equivalence not decided: building the "
                                                "state graph took longer than the time limit"))
    finally:
        for conn, r in list(running.items()):
            r.process.kill()
            r.process.join()
            conn.close()
    if survivors:
        wanted = original_digest() if original_digest is not None else None
        for outcome, digest in survivors:
            if digest == wanted:
                outcome = Outcome(outcome.mutant, "equivalent", None, None, None,
                                  outcome.distinct_states, outcome.seconds,
                                  "the same reachable state graph as the original")
            outcomes[outcome.mutant.number] = outcome
            if done is not None:
                done(outcome)
    return [outcomes[m.number] for m in mutants]


def run(spec: Spec, settings: Settings, *, only: Sequence[str] = (),
        done: Callable[[Outcome], None] | None = None) -> MutationReport:
    """Check ``spec`` at ``settings``, then each of its mutants (those of ``only``, by
    number or id, if given). If the original does not pass, the report has no outcomes:
    its ``original`` says why."""
    start = time.perf_counter()
    mutants = mutants_of(spec, helpers=settings.helpers)
    chosen = select(mutants, only) if only else mutants
    original = check_original(spec, settings)
    if original.status != "ok":
        return MutationReport(original, (), time.perf_counter() - start, settings.equivalence)
    if settings.timeout is None:
        settings = dataclasses.replace(settings, timeout=round(max(
            TIMEOUT, TIMES_ORIGINAL * original.stats.seconds), 1))
    accepted = spec.accepted_mutants

    def judged(o: Outcome) -> Outcome:
        if o.status in ("survived", "timeout") and o.mutant.id in accepted:
            return dataclasses.replace(o, status="accepted", detail=accepted[o.mutant.id])
        return o

    # An accepted mutant is left unchecked unless asked for (by the setting or by name).
    unchecked = {m.number: Outcome(m, "accepted", detail=accepted[m.id], checked=False)
                 for m in chosen if m.id in accepted
                 and not (settings.check_accepted or only)}
    searched = [m for m in chosen if m.number not in unchecked]
    screen = (reference(spec, _bind(spec, settings))
              if settings.equivalence and searched else None)
    checked_outcomes = {o.mutant.number: judged(o) for o in run_mutants(
        spec, searched, settings, original_digest=lambda: graph_digest(_bind(spec, settings)),
        reference=screen, done=None if done is None else lambda o: done(judged(o)))}
    outcomes = [unchecked.get(m.number) or checked_outcomes[m.number] for m in chosen]
    # An acceptance of a helper's mutant is not stale because helpers were left alone.
    ids = {m.id for m in (mutants if settings.helpers else mutants_of(spec, helpers=True))}
    checked = {o.mutant.id: o.status for o in outcomes}
    stale = tuple(sorted(i for i in accepted if i not in ids or checked.get(i) in (
        "killed", "error", "equivalent")))
    return MutationReport(original, tuple(outcomes), time.perf_counter() - start,
                          settings.equivalence, stale, settings.timeout)


# -- the report ---------------------------------------------------------------------------


def _by(o: Outcome) -> str:
    if o.status == "killed":
        steps = (f" ({o.trace_length} steps)" if o.trace_length is not None
                 else " (never met)" if o.kind == "sometimes" else "")
        return f"{o.killed_by}{steps}"
    if o.status in ("error", "accepted"):
        first = o.detail.splitlines()[0] if o.detail else o.status
        return first if len(first) <= 40 else first[:37] + "..."
    return ""


def _unchecked(report: MutationReport) -> str:
    n = sum(1 for o in report.outcomes if not o.checked)
    return f" ({n} not checked: --check-accepted checks them)" if n else ""


def render_table(report: MutationReport, ref: str) -> str:
    """The report as text: a row per mutant, the counts and the score."""
    rows = [(str(o.mutant.number), o.mutant.id, o.status, _by(o), o.mutant.description)
            for o in report.outcomes]
    head = ("#", "mutant", "outcome", "by", "change")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) if i < 4 else c for i, (c, w) in
                       enumerate(zip(row, [*widths, 0]))).rstrip() for row in [head, *rows]]
    o = report.original
    lines.insert(0, f"{o.spec}: {len(report.outcomes)} mutants checked at "
                    f"{o.stats.distinct_states:,} states of the original"
                    + (f", {report.timeout:g} s each at most" if report.timeout else ""))
    errors = report.count("error")
    lines.append("")
    lines.append(f"killed {report.count('killed') + errors}"
                 + (f" ({errors} by a spec error)" if errors else "")
                 + f", survived {report.count('survived')}, "
                   f"equivalent {report.count('equivalent')}, "
                 + (f"accepted {report.count('accepted')}{_unchecked(report)}, "
                    if report.count("accepted") else "")
                 + f"timed out {report.count('timeout')}"
                 + ("" if report.equivalence else " (equivalence not checked: --max-depth)"))
    score = report.score
    counted = len(report.outcomes) - report.count("equivalent") - report.count("accepted")
    caught = sum(1 for x in report.outcomes if x.caught)
    lines.append(f"mutation score: {caught}/{counted} = {score:.3f}" if score is not None
                 else "mutation score: no mutant to count")
    if report.stale:
        lines.append(f"stale accept_mutant declarations (the mutant is gone or killed): "
                     f"{', '.join(report.stale)}")
    survived = [x.mutant.number for x in report.outcomes if x.status == "survived"]
    if survived:
        lines.append(f"see a survivor's change: modelcheck mutate {ref} --show {survived[0]}")
    return "\n".join(lines)
