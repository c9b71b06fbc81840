"""TwoPhase with N resource managers: modelcheck next to TLC, Spin and a plain Python BFS.

    python benchmarks/twophase.py            # N = 3..7
    python benchmarks/twophase.py 5 6 7 8    # chosen sizes

Each modelcheck run happens in a fresh process, so its peak RSS is its own. Peers that are
not installed are skipped with a note (see ``benchmarks/peers.py`` for where they are
looked for). Times are wall-clock seconds in this one run: compare them side by side,
not across machines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers

HERE = Path(__file__).resolve().parent
PML = Path(__file__).resolve().parents[2] / "shared" / "peers" / "twophase.pml"

_CHILD = """
import json, resource, sys, time
from modelcheck import check, load_spec
r = check(load_spec("two-phase-commit"), params={"rms": int(sys.argv[1])})
print(json.dumps({"distinct": r.stats.distinct_states, "generated": r.stats.generated_states,
                  "depth": r.stats.depth, "seconds": r.stats.seconds, "status": r.status,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def modelcheck_run(n: int) -> dict[str, float]:
    """Run modelcheck on TwoPhase with ``n`` RMs in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(n)], capture_output=True,
                         text=True, check=True)
    data: dict[str, float] = json.loads(out.stdout)
    return data


def plain_run(n: int) -> float:
    """Seconds of the plain hand-written tuple BFS, in a fresh interpreter."""
    out = subprocess.run([sys.executable, str(HERE / "plain_twophase.py"), str(n)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.rsplit(",", 1)[1].strip().split()[0])


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [3, 4, 5, 6, 7]
    notes: list[str] = []
    header = (f"{'N':>2} {'distinct':>10} {'generated':>11} {'depth':>5} {'mc s':>7} "
              f"{'states/s':>10} {'RSS MB':>7} {'plain s':>8} {'TLC s':>7} {'TLC/mc':>7} "
              f"{'Spin s':>7}")
    print(header)
    print("-" * len(header))
    for n in sizes:
        mc = modelcheck_run(n)
        plain = plain_run(n) if n <= 8 else None
        tlc = peers.run_tlc_twophase(n, workers=1)
        if tlc is None:
            notes.append(f"TLC N={n}: {peers.skip_reason}")
        spin = peers.run_spin_twophase(n, PML) if PML.exists() else None
        if spin is None:
            notes.append(f"Spin N={n}: {peers.skip_reason or 'no twophase.pml'}")
        if tlc is not None and (tlc.distinct, tlc.generated) != (mc["distinct"], mc["generated"]):
            notes.append(f"N={n}: COUNTS DIFFER from TLC ({tlc.distinct}, {tlc.generated})")
        rate = mc["generated"] / mc["seconds"]
        print(f"{n:>2} {mc['distinct']:>10,} {mc['generated']:>11,} {mc['depth']:>5} "
              f"{mc['seconds']:>7.2f} {rate:>10,.0f} {mc['rss_mb']:>7.0f} "
              f"{plain if plain is not None else float('nan'):>8.2f} "
              f"{tlc.seconds if tlc else float('nan'):>7.2f} "
              f"{tlc.seconds / mc['seconds'] if tlc else float('nan'):>7.2f} "
              f"{spin.seconds if spin else float('nan'):>7.2f}", flush=True)
    for note in dict.fromkeys(notes):
        print(f"note: {note}")


if __name__ == "__main__":
    main(sys.argv[1:])
