"""Temporal properties: the memory the recorded state graph costs per transition.

    python benchmarks/temporal_memory.py            # rms=7 and rms=8 (about three minutes)
    python benchmarks/temporal_memory.py --quick    # rms=7 and ewd840 only

Each row runs twice in a fresh process: with its temporal properties, and with
``temporal=False`` (the safety-only search, which records no graph). The table shows the
states and transitions of the graph, the graph's arrays per transition (``graph B/tr``),
what the whole process grows by per transition when the graph is recorded and checked
(``RSS B/tr``: the difference of the two peak resident sizes over the transitions), both
peaks and both wall times.

Rows:

* ``two-phase-commit`` with ``all_decide`` (always-possible, by backward reachability;
  holds) and its safety properties, at 7 and 8 resource managers.
* ``ewd840 n=7``: ``terminated ~> termination_detected`` under weak fairness (fair cycles,
  strongly connected components; holds).
* ``ewd840 n=7 + []<>(tpos = 0)``: the same with ``always_eventually`` of "the token is at
  node 0" added in the benchmark process; violated, with a lasso.

The modules are imported from wherever ``python`` finds ``modelcheck`` (set PYTHONPATH to
measure another checkout).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap

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
    r = check(spec, params=args["params"], temporal=args["temporal"])
    out = {"seconds": time.perf_counter() - t, "status": r.status,
           "distinct": r.stats.distinct_states, "generated": r.stats.generated_states,
           "temporal": r.details.get("temporal"),
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out))
''')

ROWS = [
    ("two-phase-commit rms=7", {"spec": "two-phase-commit", "params": {"rms": 7}}, True),
    ("two-phase-commit rms=8", {"spec": "two-phase-commit", "params": {"rms": 8}}, False),
    ("ewd840 n=7", {"spec": "ewd840", "params": {"n": 7}}, True),
    ("ewd840 n=7 + []<>(tpos = 0)",
     {"spec": "ewd840", "params": {"n": 7}, "always_token_at_zero": True}, False),
]


def _run(arg: dict[str, object]) -> dict[str, object]:
    # Run outside the checkout, so that PYTHONPATH decides which modelcheck is measured.
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(arg)], cwd=cwd,
                             capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the small rows")
    quick = parser.parse_args().quick
    head = (f"{'model':<30} {'states':>10} {'transitions':>11} {'verdict':>9} "
            f"{'graph B/tr':>10} {'RSS B/tr':>8} {'RSS MB safety':>13} {'RSS MB all':>10} "
            f"{'s safety':>8} {'s all':>7}")
    print(head)
    print("-" * len(head))
    for label, args, small in ROWS:
        if quick and not small:
            continue
        safety = _run({**args, "temporal": False})
        full = _run({**args, "temporal": True})
        t = full["temporal"]
        assert isinstance(t, dict)
        edges = max(1, int(t["transitions"]))
        peak, base = float(full["peak_mb"]), float(safety["peak_mb"])  # type: ignore[arg-type]
        print(f"{label:<30} {t['states']:>10,} {t['transitions']:>11,} {full['status']:>9} "
              f"{t['graph_bytes'] / edges:>10.1f} {(peak - base) * 2**20 / edges:>8.1f} "
              f"{base:>13.0f} {peak:>10.0f} {safety['seconds']:>8.1f} {full['seconds']:>7.1f}")


if __name__ == "__main__":
    main()
