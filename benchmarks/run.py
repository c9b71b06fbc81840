"""One benchmark table: modelcheck next to TLC, Spin and a plain Python BFS, in one run.

    python benchmarks/run.py                  # TwoPhase N = 5..8, then the catalogue rows
    python benchmarks/run.py --quick          # smoke run: N = 5, 6, no TLC -workers 2
    python benchmarks/run.py --rms 5 6 7 8 9  # N = 9 too (Spin ~1 min, TLC much longer)
    python benchmarks/run.py --markdown       # print the table as Markdown (for README.md)
    python benchmarks/run.py --repeat 2       # keep the fastest of 2 runs of everything

Every measurement runs in a fresh process, one at a time: modelcheck as
``python -m modelcheck verify ... --json --quiet`` (its JSON parsed, its peak RSS taken from
the ``wait4`` resource usage of that one child), TLC and Spin through ``peers.py`` (a peer
that is not installed is skipped with a note), and ``plain_twophase.py``. The TwoPhase rows
check that modelcheck's distinct and generated counts equal TLC's exactly (and Spin's and
the plain BFS's when they ran); a mismatch is printed loudly and the exit status is 1. The
catalogue rows (every ``modelcheck list --json`` entry expected to hold, plus the
configurations in :data:`EXTRA_ROWS`) run modelcheck alone, each under a time cap, and are
checked against the counts pinned in :data:`PINNED`.

Times are wall-clock seconds on this machine in this run: compare them side by side, not
across machines. On a shared machine, keep the fastest of several runs (``--repeat``) and
read the ``cpu`` column: a single-process run that got much less than 100% of a CPU was
slowed down by other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers

HERE = Path(__file__).resolve().parent
PML = Path(os.environ.get("MODELCHECK_TWOPHASE_PML") or "/work/shared/peers/twophase.pml")

TWOPHASE = "two-phase-commit"


@dataclass(frozen=True)
class Case:
    """One modelcheck configuration of the catalogue rows."""

    spec: str
    variant: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()
    name: str | None = None
    """The row's label; by default ``spec [--variant V] k=v ... --flag``."""

    @property
    def label(self) -> str:
        """The row's label in the table (and its key in :data:`PINNED`)."""
        if self.name:
            return self.name
        parts = [self.spec]
        if self.variant:
            parts.append(f"--variant {self.variant}")
        parts += [f"{k}={v}" for k, v in self.params]
        parts += list(self.flags)
        return " ".join(parts)

    def argv(self) -> list[str]:
        """The ``modelcheck verify`` arguments after the spec name."""
        out = ["--variant", self.variant] if self.variant else []
        for k, v in self.params:
            out += ["--param", f"{k}={v}"]
        return out + list(self.flags)


EXTRA_ROWS: tuple[Case, ...] = (
    Case("raft", params=(("max_log_len", "0"),)),
    Case("raft", params=(("timeouts", "randomised"), ("max_term", "2"))),
    Case("raft", params=(("timeouts", "nondeterministic"),), flags=("--no-temporal",)),
    Case(TWOPHASE, params=(("rms", "7"),), flags=("--symmetry",), name="TwoPhase N=7 --symmetry"),
)
"""Configurations run after the catalogue's own entries; append new ones here."""

PINNED: dict[str, tuple[int, int | None, int | None]] = {
    # label: (distinct, generated or None, depth or None)
    "two-phase-commit": (288, 1_146, 11),  # TLC, TwoPhase.tla with 3 RMs
    "transaction-commit": (34, 94, 7),  # TLC, TCommit.tla with 3 RMs
    "raft": (593_716, 3_797_685, 30),  # specs/raft.py docstring, its defaults
    "raft max_log_len=0": (19_468, 113_937, 15),  # specs/raft.py docstring, elections alone
    "raft timeouts=randomised max_term=2": (31_795, 116_608, 37),  # specs/raft.py docstring
    # specs/raft.py docstring: every timing, forever (safety only: eventually_leader fails)
    "raft timeouts=nondeterministic --no-temporal": (296_858, 1_799_242, 29),
    "TwoPhase N=7 --symmetry": (920, None, None),  # TLC, SYMMETRY Permutations(RM): orbits
}
"""Expected counts of the catalogue rows, from the published models and the specs' docs."""


# ------------------------------------------------------------------ child processes


@dataclass(frozen=True)
class Child:
    """A finished child process: output, wall seconds and peak resident memory."""

    returncode: int
    stdout: str
    stderr: str
    wall: float
    rss_mb: float
    timed_out: bool
    cpu: float
    """User plus system CPU seconds of the child and the descendants it waited for."""


def run_child(cmd: Sequence[str], timeout: float) -> Child:
    """Run ``cmd`` to completion and measure it with ``wait4``.

    The child's own rusage (peak RSS in KiB on Linux) comes back from ``os.wait4``, so the
    figure is the child's alone, not the largest of all children so far. The child is killed
    after ``timeout`` seconds.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        killed = threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=err)

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(proc.returncode, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"), wall, usage.ru_maxrss / 1024,
                     killed.is_set(), usage.ru_utime + usage.ru_stime)


def _last_line(text: str) -> str:
    """The last non-empty line of ``text`` (where a traceback names its exception)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@dataclass(frozen=True)
class McRun:
    """One ``modelcheck verify --json`` run."""

    distinct: int
    generated: int
    depth: int
    seconds: float
    """Search seconds as the result JSON reports them (no interpreter start-up)."""
    wall: float
    """Wall seconds of the whole process, start-up included."""
    rss_mb: float
    bytes_per_state: float | None
    stopped: str | None
    cpu_share: float
    """CPU seconds over wall seconds of the process: well below 1 for one process means
    other processes took the CPU from it, and its times are not to be trusted."""

    @property
    def rate(self) -> float:
        """Generated states per second of search."""
        return self.generated / self.seconds if self.seconds > 0 else float("nan")


def _seen_bytes_per_state(stats: dict[str, Any], distinct: int) -> float | None:
    """Seen-set bytes per state, if the result's stats report them under any name."""
    for key, value in stats.items():
        if "bytes" in key and isinstance(value, int | float):
            if "per_state" in key:
                return float(value)
            return float(value) / distinct if distinct else None
    return None


def run_modelcheck(spec: str, args: Sequence[str], timeout: float) -> McRun | str:
    """Run ``modelcheck verify SPEC ARGS --json --quiet``; a string says why it failed."""
    cmd = [sys.executable, "-m", "modelcheck", "verify", spec, *args, "--json", "--quiet"]
    child = run_child(cmd, timeout)
    if child.timed_out:
        return f"killed after {timeout:.0f} s"
    try:
        data = json.loads(child.stdout)
    except json.JSONDecodeError:
        return f"exit {child.returncode}: {_last_line(child.stderr) or _last_line(child.stdout)}"
    status = data.get("status")
    stats = data.get("stats") or {}
    if status == "incomplete" and stats:
        stopped: str | None = data.get("stopped") or "incomplete"
    elif status != "ok":
        return f"status {status}: {data.get('error') or _last_line(child.stderr)}"
    else:
        stopped = data.get("stopped")
    distinct = int(stats["distinct_states"])
    return McRun(distinct, int(stats["generated_states"]), int(stats["depth"]),
                 float(stats["seconds"]), child.wall, child.rss_mb,
                 _seen_bytes_per_state(stats, distinct), stopped, child.cpu / child.wall)


@dataclass(frozen=True)
class PlainRun:
    """One run of ``plain_twophase.py``."""

    distinct: int
    generated: int
    seconds: float
    rss_mb: float


def run_plain(n: int, timeout: float) -> PlainRun | str:
    """Run the hand-written tuple BFS on ``n`` RMs; a string says why it failed."""
    child = run_child([sys.executable, str(HERE / "plain_twophase.py"), str(n)], timeout)
    if child.timed_out:
        return f"killed after {timeout:.0f} s"
    # "N=5: 8,832 distinct, 58,146 generated, 0.05 s"
    try:
        _, rest = child.stdout.strip().split(": ", 1)
        distinct, generated, seconds = (part.split()[0] for part in rest.split(", "))
        return PlainRun(int(distinct.replace(",", "")), int(generated.replace(",", "")),
                        float(seconds), child.rss_mb)
    except ValueError:
        return f"exit {child.returncode}: {_last_line(child.stderr) or child.stdout.strip()}"


# ------------------------------------------------------------------ rows


@dataclass
class Row:
    """Everything measured for one line of the table."""

    label: str
    mc: McRun | None = None
    mc2: McRun | None = None
    tlc: peers.PeerResult | None = None
    tlc2: peers.PeerResult | None = None
    spin: peers.PeerResult | None = None
    plain: PlainRun | None = None
    check: str = ""
    problems: list[str] = field(default_factory=list)


class Notes:
    """Skip reasons, grouped so that one reason is printed once with the rows it hit."""

    def __init__(self) -> None:
        self.by_reason: dict[str, list[str]] = {}

    def add(self, what: str, row: str, reason: str) -> None:
        """Record that ``what`` was skipped for ``row`` because of ``reason``."""
        self.by_reason.setdefault(f"{what}: {reason}", []).append(row)

    def lines(self) -> list[str]:
        """One line per distinct reason."""
        return [f"{reason} [{', '.join(rows)}]" for reason, rows in self.by_reason.items()]


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


T = TypeVar("T", McRun, PlainRun, peers.PeerResult)


def fastest(measure: Callable[[], T | str], repeat: int) -> T | str:
    """The fastest of ``repeat`` runs of ``measure``, or the first failure's reason.

    On a shared machine another process can slow any one run down; the fastest run is
    the one least disturbed.
    """
    best: T | None = None
    for _ in range(repeat):
        got = measure()
        if isinstance(got, str):
            return got
        if best is None or got.seconds < best.seconds:
            best = got
    assert best is not None
    return best


def _peer(result: peers.PeerResult | None) -> peers.PeerResult | str:
    """A peer's result, or why it was skipped."""
    return result if result is not None else str(peers.skip_reason)


def twophase_row(n: int, args: argparse.Namespace, notes: Notes) -> Row:
    """Measure TwoPhase with ``n`` RMs with every tool, and compare the counts."""
    row = Row(f"TwoPhase N={n}")
    label = f"N={n}"
    # TLC's TwoPhase model checks the invariant alone: all_decide is left out here too.
    rms = ["--param", f"rms={n}", "--no-temporal"]
    mc = fastest(lambda: run_modelcheck(TWOPHASE, rms, args.timeout), args.repeat)
    if isinstance(mc, str):
        notes.add("modelcheck", label, mc)
        row.problems.append(f"{row.label}: modelcheck failed: {mc}")
        row.check = "✗"
        return row
    row.mc = mc
    _progress(f"{label}: modelcheck {mc.seconds:.2f} s")
    if args.workers2:
        mc2 = fastest(lambda: run_modelcheck(TWOPHASE, [*rms, "--workers", "2"], args.timeout),
                      args.repeat)
        if isinstance(mc2, str):
            notes.add("modelcheck --workers 2 skipped", label, mc2)
        else:
            row.mc2 = mc2
            _progress(f"{label}: modelcheck --workers 2 {mc2.seconds:.2f} s")
            if (mc2.distinct, mc2.generated) != (mc.distinct, mc.generated):
                row.problems.append(
                    f"{row.label}: --workers 2 counts ({mc2.distinct:,}, {mc2.generated:,}) "
                    f"differ from 1 process ({mc.distinct:,}, {mc.generated:,})")
    peer_runs: list[tuple[str, bool, Callable[[], peers.PeerResult | str]]] = [
        ("tlc", True, lambda: _peer(peers.run_tlc_twophase(n, 1, args.timeout))),
        ("tlc2", args.tlc_workers2,
         lambda: _peer(peers.run_tlc_twophase(n, 2, args.timeout))),
        ("spin", True, lambda: _peer(peers.run_spin_twophase(n, PML, args.timeout))),
    ]
    names = {"tlc": "TLC", "tlc2": "TLC -workers 2", "spin": "Spin"}
    for attr, wanted, measure in peer_runs:
        if not wanted:
            continue
        got = fastest(measure, args.repeat)
        if isinstance(got, str):
            notes.add(f"{names[attr]} skipped", label, got)
        else:
            setattr(row, attr, got)
            _progress(f"{label}: {names[attr]} {got.seconds:.2f} s")
    if n <= args.plain_max:
        plain = fastest(lambda: run_plain(n, args.timeout), args.repeat)
        if isinstance(plain, str):
            notes.add("plain BFS failed", label, plain)
        else:
            row.plain = plain
            _progress(f"{label}: plain BFS {plain.seconds:.2f} s")

    # TLC is the reference; Spin's stored/transitions and the plain BFS count the same
    # things, so they must agree too when they ran.
    mine = (mc.distinct, mc.generated)
    references = [("TLC", row.tlc), ("TLC -workers 2", row.tlc2), ("Spin", row.spin)]
    for name, peer in references:
        if peer is not None and (peer.distinct, peer.generated) != mine:
            row.problems.append(f"{row.label}: modelcheck ({mine[0]:,}, {mine[1]:,}) != "
                                f"{name} ({peer.distinct:,}, {peer.generated:,})")
    if row.plain is not None and (row.plain.distinct, row.plain.generated) != mine:
        row.problems.append(f"{row.label}: modelcheck ({mine[0]:,}, {mine[1]:,}) != plain "
                            f"BFS ({row.plain.distinct:,}, {row.plain.generated:,})")
    if row.tlc is not None and row.tlc.depth is not None and row.tlc.depth != mc.depth:
        row.problems.append(f"{row.label}: depth {mc.depth} != TLC's {row.tlc.depth}")
    if row.problems:
        row.check = "✗"
    elif row.tlc is not None:
        row.check = "✓ TLC"
    elif row.spin is not None:
        row.check = "✓ Spin (no TLC)"
    else:
        row.check = "? no peer"
    return row


def catalogue_cases(notes: Notes) -> list[Case]:
    """Every catalogue entry expected to hold, then :data:`EXTRA_ROWS`."""
    proc = subprocess.run([sys.executable, "-m", "modelcheck", "list", "--json"],
                          capture_output=True, text=True, check=False)
    try:
        entries = json.loads(proc.stdout)
    except json.JSONDecodeError:
        notes.add("catalogue", "modelcheck list --json",
                  f"exit {proc.returncode}: {_last_line(proc.stderr)}")
        entries = []
    cases = [Case(e["spec"], e["variant"]) for e in entries if e["expect"]["status"] == "ok"]
    return cases + [c for c in EXTRA_ROWS if c not in cases]


def catalogue_row(case: Case, cap: float, repeat: int, notes: Notes) -> Row:
    """Measure one catalogue configuration under a time cap; compare with :data:`PINNED`."""
    row = Row(case.label)
    mc = fastest(lambda: run_modelcheck(case.spec, [*case.argv(), "--time-limit", f"{cap:g}"],
                                        cap + 60), repeat)
    if isinstance(mc, str):
        notes.add("modelcheck skipped", case.label, mc)
        row.check = "— skipped"
        return row
    row.mc = mc
    _progress(f"{case.label}: modelcheck {mc.seconds:.2f} s")
    if mc.stopped:
        notes.add("incomplete", case.label, mc.stopped)
        row.check = "— incomplete"
        return row
    pinned = PINNED.get(case.label)
    if pinned is None:
        row.check = "(not pinned)"
        return row
    distinct, generated, depth = pinned
    got = (mc.distinct, mc.generated, mc.depth)
    want = (distinct, mc.generated if generated is None else generated,
            mc.depth if depth is None else depth)
    if got != want:
        row.problems.append(f"{case.label}: modelcheck (distinct, generated, depth) = {got}, "
                            f"pinned {pinned}")
        row.check = "✗"
    else:
        row.check = "✓ pinned"
    return row


# ------------------------------------------------------------------ the table

HEADERS = (
    "model", "distinct", "generated", "depth", "mc s", "mc wall s", "cpu", "gen/s", "RSS MB",
    "seen B/st", "w2 s", "w2 ×", "TLC s", "TLC w2 s", "Spin s", "plain s", "plain MB",
    "mc/TLC thr", "mc/plain t", "counts",
)


def _secs(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 0.1 else f"{x:.2f}"


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×"


def cells(row: Row) -> list[str]:
    """The formatted cells of ``row``, in :data:`HEADERS` order."""
    mc, mc2, tlc, tlc2, spin, plain = row.mc, row.mc2, row.tlc, row.tlc2, row.spin, row.plain
    dash = "—"
    return [
        row.label,
        f"{mc.distinct:,}" if mc else dash,
        f"{mc.generated:,}" if mc else dash,
        str(mc.depth) if mc else dash,
        _secs(mc.seconds) if mc else dash,
        _secs(mc.wall) if mc else dash,
        f"{100 * mc.cpu_share:.0f}%" if mc else dash,
        f"{mc.rate:,.0f}" if mc else dash,
        f"{mc.rss_mb:.0f}" if mc else dash,
        f"{mc.bytes_per_state:.1f}" if mc and mc.bytes_per_state is not None else dash,
        _secs(mc2.seconds) if mc2 else dash,
        _ratio(mc.seconds / mc2.seconds) if mc and mc2 and mc2.seconds > 0 else dash,
        _secs(tlc.seconds) if tlc else dash,
        _secs(tlc2.seconds) if tlc2 else dash,
        _secs(spin.seconds) if spin else dash,
        _secs(plain.seconds) if plain else dash,
        f"{plain.rss_mb:.0f}" if plain else dash,
        # Both are whole-process wall times (JVM and interpreter start-up included).
        _ratio(tlc.seconds / mc.wall) if mc and tlc else dash,
        _ratio(mc.seconds / plain.seconds) if mc and plain and plain.seconds > 0 else dash,
        row.check,
    ]


def render(rows: list[list[str]], markdown: bool) -> str:
    """The table as aligned text or as Markdown."""
    table = [list(HEADERS), *rows]
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |",
                 "|" + "|".join([":---"] + ["---:"] * (len(HEADERS) - 2) + [":---"]) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]

    def line(r: list[str]) -> str:
        first = f"{r[0]:<{widths[0]}}"
        middle = [f"{c:>{w}}" for c, w in zip(r[1:-1], widths[1:-1])]
        return "  ".join([first, *middle, r[-1]])

    return "\n".join([line(table[0]), "-" * len(line(table[0])), *map(line, rows)])


LEGEND = textwrap.fill(
    "mc s: modelcheck search seconds from its result JSON, 1 process; mc wall s: the whole "
    "`python -m modelcheck verify` process; cpu: its CPU time over its wall time (well under "
    "100% means other processes took the CPU: distrust that row's times; over 100% is "
    "numpy's threads starting up). gen/s: generated states per search second. RSS MB: peak "
    "resident memory of that process (wait4 rusage). seen B/st: seen-set bytes per state, "
    "when the result JSON reports them. w2: `--workers 2` search seconds, and the speed-up "
    "over 1 process. TLC s: whole java process, 1 worker, JVM start-up included; TLC w2: "
    "`-workers 2`. Spin s: the pan search only (-DSAFETY -DBFS; generating and compiling "
    "pan.c not included). plain: benchmarks/plain_twophase.py, a hand-written BFS keeping a "
    "Python set of full tuple states (search seconds, process peak RSS). mc/TLC thr: "
    "modelcheck's throughput over TLC's, whole-process wall times on both sides. mc/plain "
    "t: modelcheck search time over the plain BFS's. counts: ✓ TLC = distinct and "
    "generated equal TLC's exactly (and Spin's and the plain BFS's where they ran, and TLC's "
    "depth); ✓ pinned = equal the published or documented counts.", width=92,
    break_on_hyphens=False)
"""What each column means, printed under the table."""


def header_line(rows: list[Row], load: tuple[float, float, float]) -> str:
    """Machine, interpreter, peer versions and the load around the run, for the record."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    tools = dict.fromkeys(p.note.split(",")[0] for r in rows
                          for p in (r.tlc, r.spin) if p is not None)
    return (f"Python {platform.python_version()}, {os.cpu_count()} CPUs ({cpu}); "
            f"peers: {', '.join(tools) or 'none'}; 1-minute load average "
            f"{load[0]:.2f} before the run, {os.getloadavg()[0]:.2f} after")


def main(argv: list[str] | None = None) -> int:
    """Measure every row, print the table, and return 1 if any count is wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rms", type=int, nargs="+", default=[5, 6, 7, 8], metavar="N",
                        help="TwoPhase sizes (default: 5 6 7 8; 9 works too)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: N = 5, 6 only and no TLC -workers 2")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--plain-max", type=int, default=7, metavar="N",
                        help="largest N for the plain Python BFS (default: 7)")
    parser.add_argument("--no-workers2", dest="workers2", action="store_false",
                        help="skip modelcheck --workers 2")
    parser.add_argument("--no-tlc-workers2", dest="tlc_workers2", action="store_false",
                        help="skip TLC -workers 2")
    parser.add_argument("--no-catalogue", dest="catalogue", action="store_false",
                        help="TwoPhase rows only")
    parser.add_argument("--row-cap", type=float, default=120, metavar="SECONDS",
                        help="time limit of each catalogue row (default: 120)")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="run every measurement K times and keep the fastest (default: 1)")
    parser.add_argument("--timeout", type=float, default=1800, metavar="SECONDS",
                        help="kill any one TwoPhase measurement after this (default: 1800)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rms = [5, 6]
        args.tlc_workers2 = False
    args.repeat = max(1, args.repeat)

    load = os.getloadavg()
    notes = Notes()
    rows: list[Row] = []
    for n in args.rms:
        _progress(f"TwoPhase N={n} ...")
        rows.append(twophase_row(n, args, notes))
    if args.catalogue:
        for case in catalogue_cases(notes):
            rows.append(catalogue_row(case, args.row_cap, args.repeat, notes))

    print(header_line(rows, load))
    print()
    print(render([cells(r) for r in rows], args.markdown))
    print()
    print(LEGEND)
    for line in notes.lines():
        print(f"note: {line}")
    problems = [p for r in rows for p in r.problems]
    if problems:
        banner = "!" * 78
        print(f"\n{banner}\nCOUNT MISMATCH: modelcheck disagrees with the reference counts\n"
              + "\n".join(f"  ✗ {p}" for p in problems) + f"\n{banner}")
        print(f"COUNT MISMATCH in {len(problems)} row(s); see the table", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
