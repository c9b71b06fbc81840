"""Temporal properties: what recording the state graph and checking it on top costs.

    python benchmarks/temporal.py            # the rows below (about two minutes)
    python benchmarks/temporal.py --quick    # the small rows only

Each row runs in a fresh process, twice: once checking every property (``temporal``),
once with ``temporal=False`` (the safety-only search, whose hot loop has no graph
recording). The table shows both wall times, the graph check alone (strongly connected
components, fair cycles, backward reachability, counterexample), the graph's arrays, and
each process's peak resident memory. The last row times the component algorithm alone on
a random graph of a million states and eight million transitions, the scale the engine
is meant to handle in a few gigabytes.

Rows:

* ``ewd840`` (catalogue): ``terminated ~> termination_detected`` under weak fairness of
  token passing; holds.
* ``ewd840 + []<>(tpos = 0)``: the same model with ``always_eventually`` of "the token is
  at node 0" added in the benchmark process; violated (an active node may keep the token
  forever), after a fair-cycle search over the whole graph.
* ``blocking-commit`` (tests/specs_temporal): two-phase commit whose TM may crash;
  ``all_decide`` (always-possible) by backward reachability; violated.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent('''
    import json, resource, sys, time
    from modelcheck import check, load_spec
    args = json.loads(sys.argv[1])
    spec = load_spec(args["spec"])
    if args.get("always_token_at_zero"):
        @spec.always_eventually
        def token_at_zero(cfg, s) -> bool:
            return s.tpos == 0
    t = time.perf_counter()
    r = check(spec, variant=args.get("variant"), params=args["params"],
              temporal=args["temporal"])
    out = {"seconds": time.perf_counter() - t, "status": r.status,
           "distinct": r.stats.distinct_states, "generated": r.stats.generated_states,
           "temporal": r.details.get("temporal"),
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out))
''')

SCC_CHILD = textwrap.dedent('''
    import json, resource, time
    import numpy as np
    from modelcheck.explore.temporal import StateGraph, _sccs
    n, m = 1_000_000, 8_000_000
    rng = np.random.default_rng(1)
    src = np.sort(rng.integers(0, n, m))
    dst = rng.integers(0, n, m).astype(np.int32)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=off[1:])
    del src
    g = StateGraph(n, off, dst, np.zeros(m, dtype=np.uint16), np.zeros(1, dtype=np.int64),
                   {}, np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.uint16))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    comp = _sccs(g, np.ones(n, dtype=bool))
    print(json.dumps({"seconds": time.perf_counter() - t, "components": int(comp.max()) + 1,
                      "graph_mb": g.nbytes() / 2**20, "before_mb": before,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
''')

ROWS = [
    ("ewd840 n=6", {"spec": "ewd840", "params": {"n": 6}}, True),
    ("ewd840 n=7", {"spec": "ewd840", "params": {"n": 7}}, False),
    ("ewd840 n=7 + []<>(tpos = 0)",
     {"spec": "ewd840", "params": {"n": 7}, "always_token_at_zero": True}, False),
    ("blocking-commit rms=6 --variant tm-crash",
     {"spec": str(ROOT / "tests/specs_temporal/blocking_commit.py"), "variant": "tm-crash",
      "params": {"rms": 6}}, True),
    ("blocking-commit rms=7 --variant tm-crash",
     {"spec": str(ROOT / "tests/specs_temporal/blocking_commit.py"), "variant": "tm-crash",
      "params": {"rms": 7}}, False),
]


def _run(code: str, arg: dict[str, object] | None = None) -> dict[str, object]:
    argv = [sys.executable, "-c", code] + ([json.dumps(arg)] if arg is not None else [])
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the small rows")
    quick = parser.parse_args().quick
    head = (f"{'model':<42} {'distinct':>9} {'transitions':>11} {'verdict':>9} "
            f"{'safety s':>8} {'all s':>7} {'graph s':>7} {'graph MB':>8} "
            f"{'RSS MB safety':>13} {'RSS MB all':>10}")
    print(head)
    print("-" * len(head))
    for label, args, small in ROWS:
        if quick and not small:
            continue
        safety = _run(CHILD, {**args, "temporal": False})
        full = _run(CHILD, {**args, "temporal": True})
        t = full["temporal"]
        assert isinstance(t, dict)
        print(f"{label:<42} {full['distinct']:>9,} {t['transitions']:>11,} "
              f"{full['status']:>9} {safety['seconds']:>8.2f} {full['seconds']:>7.2f} "
              f"{t['seconds']:>7.2f} {t['graph_bytes'] / 2**20:>8.1f} "
              f"{safety['peak_mb']:>13.0f} {full['peak_mb']:>10.0f}")
    if not quick:
        scc = _run(SCC_CHILD)
        print(f"\nstrongly connected components of a random graph, 1,000,000 states and "
              f"8,000,000 transitions ({scc['graph_mb']:.0f} MB of arrays): "
              f"{scc['seconds']:.1f} s, {scc['components']:,} components, peak RSS "
              f"{scc['peak_mb']:.0f} MB ({scc['before_mb']:.0f} MB before)")


if __name__ == "__main__":
    main()
