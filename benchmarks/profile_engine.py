"""The explorer's per-state cost, split into what the spec costs and what the engine adds.

    python benchmarks/profile_engine.py                   # TwoPhase N=7 and raft, best of 3
    python benchmarks/profile_engine.py --case two-phase-commit:rms=8 --repeat 1
    python benchmarks/profile_engine.py --pyspy           # also sample each case with py-spy
    python benchmarks/profile_engine.py --chunk 256       # try another bfs.CHUNK
    python benchmarks/profile_engine.py --markdown        # tables as Markdown

For each case (``SPEC[:NAME=VALUE,...]``) the reachable states are first collected by a
plain breadth-first search over the model's action table, outside any timing. Then each part
is timed, the best of ``--repeat`` runs, with the cyclic garbage collector off (as the
explorer runs):

(a) full search
    ``modelcheck.check(model)``: the whole breadth-first search (binding excluded).
(b) spec
    what the spec itself costs: every reachable state run through every action instance
    (direct calls with the arguments bound, as the search makes them: specialised where
    an action offers it, with its membership precondition tested inline; results
    dropped) and every invariant, plus
    each ``sometimes`` property on the states in discovery order up to the first that
    meets it, and the terminal predicate on states with no successor: the spec calls the
    search makes, with nothing around them.
engine = (a) − (b)
    everything the search adds; its share of (a) is the figure to drive down.

Then, to see where the engine's share goes:

(c) fingerprints alone
    fingerprinting every generated successor into a numpy array as the explorer does
    (the successors are built outside the timing), on the collected states;
(d) expander alone
    the engine's generated expander over the collected states in chunks of
    ``bfs.CHUNK``; (d) minus (b)'s actions is the cost of its loop (collecting the
    successors, their action indices and counts);
stages
    one more search with a timer around each engine stage (:data:`STAGES`: expand,
    fingerprints, seen-set look-ups and inserts, new-state checks); what no stage covers
    is de-duplication, parent links, frontier lists and freeing the successors.

Every figure is also given in nanoseconds per generated state. Parts measured in isolation
run on states that sit compactly in memory and free each successor at once; inside the
search a chunk's successors stay alive until they are fingerprinted and the survivors are
scattered among freed ones, so the same work costs more there (compare (c) with the
fingerprint stage). That difference is counted as engine time, which is fair — the engine's
memory pattern causes it — but it means the spec's own code is charged at its best case.

``--pyspy`` runs each case's full search in a child process under
``py-spy record --native --format raw`` and groups the samples taken inside the search by
the frame executing: the spec's own code (with the record helpers it calls), the engine
(``modelcheck/*``, including its generated expander, and numpy), and the interpreter's C
code (allocation, hashing, deallocation), the latter split by whether the spec or the
engine called it. Samples outside the search (start-up, imports) are counted apart.
"""

from __future__ import annotations

import argparse
import gc
import linecache
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modelcheck import Model, bind, check, load_spec
from modelcheck.explore import _base, bfs
from modelcheck.explore._codegen import expander, instance_calls
from modelcheck.fingerprint import fingerprints_into
from modelcheck.store import FingerprintStore

DEFAULT_CASES = ("two-phase-commit:rms=7", "raft")

LABELS = {"two-phase-commit": "TwoPhase"}


# ------------------------------------------------------------------ cases and states


@dataclass(frozen=True)
class Case:
    """A catalogue spec and the parameters to bind it with."""

    spec: str
    params: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> Case:
        """``raft`` or ``two-phase-commit:rms=7`` or ``raft:servers=4,max_term=1``."""
        name, _, rest = text.partition(":")
        pairs = [p.split("=", 1) for p in rest.split(",") if p]
        if any(len(p) != 2 for p in pairs):
            raise SystemExit(f"--case {text!r}: expected SPEC or SPEC:NAME=VALUE,...")
        return cls(name, tuple((k.strip(), v.strip()) for k, v in pairs))

    @property
    def label(self) -> str:
        """``TwoPhase rms=7`` as shown in the tables."""
        return " ".join([LABELS.get(self.spec, self.spec), *(f"{k}={v}" for k, v in
                                                            self.params)])

    def model(self) -> Model:
        """The spec bound to the parameters."""
        return bind(load_spec(self.spec), None, dict(self.params))


@dataclass
class Reachable:
    """The reachable states in discovery (BFS) order, and what the search will count."""

    states: list[Any]
    generated: int
    dead_ends: list[Any]
    """States with no enabled action (the terminal predicate is asked about them)."""


@contextmanager
def gc_off() -> Iterator[None]:
    """Run the block with the cyclic collector off, as ``check`` does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect(model: Model) -> Reachable:
    """A plain queue-based BFS over the model's action table, keeping full states."""
    cfg = model.config
    table = model.table()
    inits = [s for _, s in model.initial_states()]
    seen: set[Any] = set()
    states: list[Any] = []
    for s in inits:
        if s not in seen:
            seen.add(s)
            states.append(s)
    queue = deque(states)
    generated = len(inits)
    dead_ends: list[Any] = []
    with gc_off():
        while queue:
            s = queue.popleft()
            successors = [t for _, fn, args in table if (t := fn(cfg, s, *args)) is not None]
            generated += len(successors)
            if not successors:
                dead_ends.append(s)
            for t in successors:
                if t not in seen:
                    seen.add(t)
                    states.append(t)
                    queue.append(t)
    return Reachable(states, generated, dead_ends)


# ------------------------------------------------------------------ the timed parts


def spec_caller(model: Model) -> Callable[[list[Any]], None]:
    """``run(states)``: one direct call per action instance on each state, results dropped.

    The cheapest way to call the spec's actions from Python, so that what it costs is the
    spec's own cost and not a dispatch loop's. The calls are those the search makes: an
    action that offers a specialised call (modelcheck.spec.Specialised, as the network's
    ``deliver`` does) is called that way, and its membership precondition is tested
    first, inline, and counted as the spec's (it is the action's own guard).
    """
    env: dict[str, Any] = {"cfg": model.config}
    reads, calls = instance_calls(model, env)
    lines = [f"        {call}\n" if guard is None else f"        if {guard}: {call}\n"
             for _, call, guard in calls]
    src = ("def run(states):\n    for s in states:\n"
           + "".join(f"        {local} = s.{field}\n" for field, local in reads.items())
           + ("".join(lines) or "        pass\n"))
    exec(compile(src, "<profile_engine spec calls>", "exec"), env)
    run: Callable[[list[Any]], None] = env["run"]
    return run


def time_actions(model: Model, reach: Reachable) -> float:
    """Seconds of every action instance on every reachable state."""
    run = spec_caller(model)
    with gc_off():
        t0 = time.perf_counter()
        run(reach.states)
        return time.perf_counter() - t0


def time_properties(model: Model, reach: Reachable) -> float:
    """Seconds of the property calls the search makes (see the module docstring)."""
    cfg, states = model.config, reach.states
    with gc_off():
        t0 = time.perf_counter()
        for prop in model.invariants:
            fn = prop.fn
            for s in states:
                fn(cfg, s)
        for prop in model.sometimes:
            fn = prop.fn
            for s in states:
                if fn(cfg, s) is True:
                    break
        if model.terminal is not None:
            terminal = model.terminal
            for s in reach.dead_ends:
                terminal(cfg, s)
        return time.perf_counter() - t0


def time_expand(model: Model, reach: Reachable) -> float:
    """Seconds of the engine's generated expander over the states, chunk by chunk."""
    expand = expander(model)
    states = reach.states
    with gc_off():
        t0 = time.perf_counter()
        for start in range(0, len(states), bfs.CHUNK):
            succs: list[Any] = []
            expand(states[start:start + bfs.CHUNK], succs, [], [])
        return time.perf_counter() - t0


def time_fingerprints(model: Model, reach: Reachable) -> float:
    """Seconds of fingerprinting every generated successor as the explorer does."""
    expand = expander(model)
    states = reach.states
    total = 0.0
    with gc_off():
        for start in range(0, len(states), bfs.CHUNK):
            succs: list[Any] = []
            expand(states[start:start + bfs.CHUNK], succs, [], [])
            t0 = time.perf_counter()
            fingerprints_into(succs, np.empty(len(succs), dtype=np.int64))
            total += time.perf_counter() - t0
    return total


def time_full(model: Model, reach: Reachable) -> float:
    """Seconds of ``check(model)``; its counts must equal the collected ones."""
    t0 = time.perf_counter()
    # The search alone: the temporal properties' graph check is not part of the breakdown.
    result = check(model, temporal=False)
    seconds = time.perf_counter() - t0
    got = (result.status, result.stats.distinct_states, result.stats.generated_states)
    want = ("ok", len(reach.states), reach.generated)
    if got != want:
        raise SystemExit(f"check() gave (status, distinct, generated) = {got}, the plain "
                         f"collection {want}: the breakdown would compare different work")
    return seconds


STAGES: tuple[tuple[str, Any, str], ...] = (
    # (label, owner, attribute): each a function the search calls once per chunk
    ("expand: actions + the loop collecting successors", bfs, "expander"),
    ("fingerprints: computed in C into numpy", bfs, "_fingerprints"),
    ("seen-set look-ups", FingerprintStore, "missing"),
    ("seen-set inserts", FingerprintStore, "add"),
    ("new-state checks: properties + dispatch", _base.Run, "check_new"),
)
"""The engine's stages timed inside a real search; one that is not found is left out."""


@contextmanager
def stage_timers(totals: dict[str, float]) -> Iterator[None]:
    """Wrap each of :data:`STAGES` in a timer adding its seconds to ``totals``.

    ``bfs.expander`` returns the expand function, so its result is wrapped instead. The
    timers cost two clock reads per call, and the stages run once per chunk of states.
    """
    clock = time.perf_counter

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[label] += clock() - t0
        return wrapper

    saved = []
    for label, owner, attr in STAGES:
        fn = getattr(owner, attr, None)
        if fn is None:
            continue
        totals[label] = 0.0
        saved.append((owner, attr, fn))
        if attr == "expander":
            def make(model: Model, _fn: Any = fn, _label: str = label, **kwargs: Any) -> Any:
                return timed(_label, _fn(model, **kwargs))
            setattr(owner, attr, make)
        else:
            setattr(owner, attr, timed(label, fn))
    try:
        yield
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)


def time_stages(model: Model, reach: Reachable) -> dict[str, float]:
    """Seconds of each engine stage in one instrumented search, and its ``total``."""
    totals: dict[str, float] = {}
    with stage_timers(totals):
        totals["total"] = time_full(model, reach)
    return totals


@dataclass(frozen=True)
class Breakdown:
    """The best-of-N seconds of each part, for one case."""

    case: Case
    distinct: int
    generated: int
    full: float
    actions: float
    properties: float
    expand: float
    fingerprints: float
    stages: dict[str, float]
    """Seconds of each engine stage inside one instrumented search (and its total)."""

    @property
    def spec(self) -> float:
        """(b): actions plus properties."""
        return self.actions + self.properties

    @property
    def engine(self) -> float:
        """(a) − (b)."""
        return self.full - self.spec

    @property
    def share(self) -> float:
        """The engine's share of the full search, in %."""
        return 100 * self.engine / self.full

    def ns(self, seconds: float) -> float:
        """Nanoseconds per generated state."""
        return 1e9 * seconds / self.generated


def measure(case: Case, repeat: int) -> Breakdown:
    """Collect the states of ``case`` once, then time each part ``repeat`` times."""
    model = case.model()
    print(f"  {case.label}: collecting reachable states ...", file=sys.stderr, flush=True)
    reach = collect(model)
    best: dict[str, float] = {}
    parts: dict[str, Callable[[Model, Reachable], float]] = {
        "full": time_full, "actions": time_actions, "properties": time_properties,
        "expand": time_expand, "fingerprints": time_fingerprints,
    }
    stages: dict[str, float] = {}
    for i in range(repeat):
        # The two searches first and back to back, so they see the same memory state.
        for name, part in parts.items():
            seconds = part(model, reach)
            best[name] = min(best.get(name, seconds), seconds)
            if name == "full":
                run = time_stages(model, reach)
                if not stages or run["total"] < stages["total"]:
                    stages = run
        print(f"  {case.label}: run {i + 1}/{repeat}: "
              + ", ".join(f"{k} {v:.2f} s" for k, v in best.items())
              + f", instrumented {stages['total']:.2f} s", file=sys.stderr, flush=True)
    return Breakdown(case, len(reach.states), reach.generated, stages=stages, **best)


# ------------------------------------------------------------------ tables


def render(headers: list[str], rows: list[list[str]], markdown: bool, left: int = 1) -> str:
    """A text table, its first ``left`` columns left-aligned and the rest right; or Markdown."""
    align = [":---"] * left + ["---:"] * (len(headers) - left)
    if markdown:
        return "\n".join(["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|",
                          *("| " + " | ".join(r) + " |" for r in rows)])
    table = [headers, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(f"{c:<{w}}" if i < left else f"{c:>{w}}"
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return "\n".join([line(headers), "-" * len(line(headers)), *map(line, rows)])


def summary(results: list[Breakdown], markdown: bool) -> str:
    """One row per case: spec, engine and the engine's share."""
    headers = ["case", "distinct", "generated", "full s", "spec s", "engine s", "engine %",
               "full ns/gen", "spec ns/gen", "engine ns/gen", "fingerprint ns/gen",
               "fingerprint in search ns/gen"]
    rows = []
    for b in results:
        in_search = next((v for k, v in b.stages.items() if k.startswith("fingerprints")),
                         None)
        rows.append([b.case.label, f"{b.distinct:,}", f"{b.generated:,}", f"{b.full:.2f}",
                     f"{b.spec:.2f}", f"{b.engine:.2f}", f"{b.share:.1f}",
                     f"{b.ns(b.full):,.0f}", f"{b.ns(b.spec):,.0f}", f"{b.ns(b.engine):,.0f}",
                     f"{b.ns(b.fingerprints):,.0f}",
                     "—" if in_search is None else f"{b.ns(in_search):,.0f}"])
    return render(headers, rows, markdown)


def breakdown(b: Breakdown, markdown: bool) -> str:
    """Each part of one case, in seconds, ns per generated state and % of its search.

    The stages are a percentage of the instrumented search they were timed in, the other
    parts of (a).
    """
    parts: list[tuple[str, float | None, float]] = [
        ("(a) full search: check(model)", b.full, b.full),
        ("(b) spec total", b.spec, b.full),
        ("    actions, every instance on every state", b.actions, b.full),
        ("    properties, as the search calls them", b.properties, b.full),
        ("engine = (a) − (b)", b.engine, b.full),
        ("isolated, on the collected states:", None, b.full),
        ("  (c) fingerprints alone, into numpy", b.fingerprints, b.full),
        ("  (d) generated expander alone", b.expand, b.full),
        ("      its loop: (d) − actions", b.expand - b.actions, b.full),
    ]
    stages = dict(b.stages)
    total = stages.pop("total", b.full)
    parts.append((f"inside one instrumented search ({total:.2f} s = 100%):", None, total))
    for label, seconds in stages.items():
        parts.append((f"  {label}", seconds, total))
        if label.startswith("expand"):
            parts.append(("    of which the loop: expand − actions", seconds - b.actions,
                          total))
    parts.append(("  rest: unique, parent links, frontier, freeing successors",
                  total - sum(stages.values()), total))
    headers = [f"{b.case.label}: part", "seconds", "ns/generated", "%"]
    rows = [[name, "", "", ""] if s is None else
            [name, f"{s:.3f}", f"{b.ns(s):,.0f}", f"{100 * s / base:.1f}"]
            for name, s, base in parts]
    return render(headers, rows, markdown)


# ------------------------------------------------------------------ py-spy

_CHILD = """\
import sys
from modelcheck import check, load_spec
from modelcheck.explore import bfs
bfs.CHUNK = int(sys.argv[2])
params = dict(p.split("=", 1) for p in sys.argv[3:])
result = check(load_spec(sys.argv[1]), params=params, temporal=False)
print(result.stats.distinct_states, result.stats.generated_states, result.stats.seconds)
"""

ROOT = Path(__file__).resolve().parents[1]
ENGINE_DIR = str(ROOT / "modelcheck") + os.sep


@dataclass(frozen=True)
class Frame:
    """One frame of a py-spy stack: a Python function with its file, or a native symbol."""

    name: str
    where: str
    """The file (Python) or the shared library (native)."""
    python: bool
    line: int | None = None

    @classmethod
    def parse(cls, text: str) -> Frame:
        """``func (/path/file.py)``, ``func (<string>)`` or ``func (/path/libc.so.6)``."""
        name, _, rest = text.rpartition(" (")
        if not name:
            return cls(text, "", False)
        where = rest.removesuffix(")")
        file, sep, line = where.rpartition(":")
        number = None
        if sep and line.isdigit():
            where, number = file, int(line)
        return cls(name, where, where.endswith(".py") or where.startswith("<"), number)

    def short(self, line: bool = False) -> str:
        """The frame with its file shortened to the repository or package."""
        where = self.where
        if where.startswith(str(ROOT) + os.sep):
            where = where[len(str(ROOT)) + 1:]
        elif "site-packages" + os.sep in where:
            where = where.split("site-packages" + os.sep, 1)[1]
        if line and self.line is not None:
            where += f":{self.line}"
        return f"{self.name} ({where})"


def classify(stack: list[Frame], spec_files: set[str]) -> tuple[str, str]:
    """(group, detail) of one sample, by its leaf frame and who called it."""
    explorers = ENGINE_DIR + "explore" + os.sep
    if not any(f.python and f.name != "<module>" and f.where.startswith(explorers)
               and not f.where.endswith("__init__.py") for f in stack):
        return "outside the search", "start-up, imports, binding"
    leaf = stack[-1]
    under_spec = any(f.python and f.where in spec_files for f in stack)
    if leaf.python:
        if leaf.where in spec_files:
            return "spec", "spec code"
        if under_spec:
            return "spec", "record helpers called by the spec (construction, replace, set_at)"
        if leaf.where.startswith("<modelcheck expand"):
            return "engine", "generated expand loop"
        if leaf.where.startswith(ENGINE_DIR):
            return "engine", leaf.where[len(ENGINE_DIR):]
        if "numpy" in leaf.where:
            return "engine", "numpy (Python)"
        return "engine", f"other Python: {leaf.short()}"
    if leaf.where.startswith(ENGINE_DIR):  # modelcheck's own C extension
        if under_spec:
            return "spec", "record helpers called by the spec (construction, replace, set_at)"
        return "engine", f"modelcheck C: {leaf.where[len(ENGINE_DIR):]}"
    if under_spec:
        return "interpreter", "C called by the spec (allocation, tuple/frozenset ops)"
    if "numpy" in leaf.where or "multiarray" in leaf.where:
        return "engine", "numpy C (unique, searchsorted, sort)"
    return "interpreter", "C called by the engine (hash, dealloc, list ops)"


def pyspy(case: Case, rate: int, out_dir: Path, markdown: bool) -> str:
    """Sample one full search with py-spy; a summary by group and the top leaf frames."""
    exe = shutil.which("py-spy")
    if exe is None:
        return f"note: py-spy not found on PATH; skipped sampling {case.label}"
    raw = out_dir / f"pyspy-{case.spec}-{'-'.join(f'{k}{v}' for k, v in case.params)}.txt"
    cmd = [exe, "record", "--native", "--format", "raw", "--full-filenames",
           "--rate", str(rate), "-o", str(raw), "--", sys.executable, "-c", _CHILD,
           case.spec, str(bfs.CHUNK), *(f"{k}={v}" for k, v in case.params)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not raw.is_file():
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"note: py-spy failed on {case.label} (exit {proc.returncode}): {tail}"
    model = case.model()
    fns = [i.action.fn for i in (*model.inits, *model.instances)]
    fns += [p.fn for p in (*model.invariants, *model.sometimes, *model.action_properties)]
    if model.terminal is not None:
        fns.append(model.terminal)
    spec_files = {fn.__code__.co_filename for fn in fns}

    groups: Counter[str] = Counter()
    details: Counter[tuple[str, str]] = Counter()
    leaves: Counter[tuple[str, str]] = Counter()
    engine_lines: Counter[Frame] = Counter()
    for line in raw.read_text().splitlines():
        frames_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        stack = [Frame.parse(f) for f in frames_text.split(";")]
        group, detail = classify(stack, spec_files)
        groups[group] += count
        details[(group, detail)] += count
        if group != "outside the search":
            leaves[(group, stack[-1].short())] += count
            if group == "engine" and stack[-1].python and os.path.isfile(stack[-1].where):
                engine_lines[stack[-1]] += count
    search = sum(n for g, n in groups.items() if g != "outside the search")
    total = sum(groups.values())
    if not search:
        return f"note: py-spy took no samples inside the search of {case.label}"

    lines = [f"py-spy, {case.label}: {total:,} samples at {rate} Hz, {search:,} inside the "
             f"search ({groups['outside the search']:,} outside: start-up, imports)", ""]
    order = ["spec", "engine", "interpreter"]
    rows = []
    for group in order:
        rows.append([group, f"{groups[group]:,}", f"{100 * groups[group] / search:.1f}"])
        for (g, detail), n in details.most_common():
            if g == group:
                rows.append([f"  {detail}", f"{n:,}", f"{100 * n / search:.1f}"])
    lines.append(render(["group (samples inside the search)", "samples", "%"], rows,
                        markdown))
    lines.append("")
    top = [[frame, group, f"{100 * n / search:.1f}"]
           for (group, frame), n in leaves.most_common(15)]
    lines.append(render(["top leaf frames (self samples)", "group", "%"], top, markdown,
                        left=2))
    lines.append("")
    hot = [[frame.short(line=True), linecache.getline(frame.where, frame.line or 0).strip(),
            f"{100 * n / search:.1f}"] for frame, n in engine_lines.most_common(8)]
    lines.append(render(["engine's hottest source lines (self samples)", "source", "%"], hot,
                        markdown, left=2))
    return "\n".join(lines)


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    """Measure each case, print the summary and the breakdowns, optionally sample."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", metavar="SPEC[:K=V,...]",
                        help="a case to measure (repeatable; default: "
                             + ", ".join(DEFAULT_CASES) + ")")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default: 3)")
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown")
    parser.add_argument("--pyspy", action="store_true",
                        help="also sample each case's full search with py-spy --native")
    parser.add_argument("--pyspy-rate", type=int, default=250, metavar="HZ",
                        help="py-spy samples per second (default: 250)")
    parser.add_argument("--pyspy-dir", type=Path, metavar="DIR",
                        help="keep py-spy's raw stacks here (default: a temporary directory)")
    parser.add_argument("--chunk", type=int, metavar="N",
                        help=f"try another bfs.CHUNK (frontier states per batch; the "
                             f"engine's is {bfs.CHUNK})")
    parser.add_argument("--no-timing", dest="timing", action="store_false",
                        help="skip the timed breakdown (with --pyspy: sample only)")
    args = parser.parse_args(argv)
    cases = [Case.parse(c) for c in args.case or DEFAULT_CASES]
    if args.chunk is not None:
        bfs.CHUNK = max(1, args.chunk)

    if args.timing:
        results = [measure(c, max(1, args.repeat)) for c in cases]
        print(f"Engine share of the breadth-first search (best of {args.repeat}; "
              f"bfs.CHUNK = {bfs.CHUNK}; Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs)")
        print()
        print(summary(results, args.markdown))
        for b in results:
            print()
            print(breakdown(b, args.markdown))
    if args.pyspy:
        with tempfile.TemporaryDirectory(prefix="profile-engine-") as tmp:
            out_dir = args.pyspy_dir or Path(tmp)
            out_dir.mkdir(parents=True, exist_ok=True)
            for c in cases:
                print()
                print(pyspy(c, args.pyspy_rate, out_dir, args.markdown))
            if args.pyspy_dir:
                print(f"\npy-spy's raw stacks are in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
