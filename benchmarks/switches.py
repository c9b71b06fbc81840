"""Context switches in the catalogue's shortest counterexamples, before and after reordering.

    python benchmarks/switches.py                      # every variant with a safety violation
    python benchmarks/switches.py raft paxos           # only these specs

Breadth-first search finds a shortest counterexample; :func:`modelcheck.shrink.fewer_switches`
then moves its steps next to steps of the same node. For each catalogue variant whose
expected verdict is an invariant, action-property or deadlock violation, the table gives the
counterexample's length, its switches between nodes as found and after reordering, the
replays the reordering spent and its time. Every reordered trace is replayed against the spec
and judged: it must show the same property violated at its last step, with as many steps.
Variants whose search takes longer than ``--max-states`` states are skipped.
"""

from __future__ import annotations

import argparse
import time

from modelcheck import catalogue
from modelcheck.explore import bfs
from modelcheck.explore._base import Options
from modelcheck.model import bind
from modelcheck.properties.verdict import judge
from modelcheck.shrink import readable, switches
from modelcheck.trace import Trace, replay


def _path(model: object, trace: Trace) -> list[int]:
    out = []
    for step in trace.steps[1:]:
        inst = model.find_instance(step.action, step.args)  # type: ignore[attr-defined]
        assert inst is not None
        out.append(inst.index)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", help="catalogue names (default: all)")
    parser.add_argument("--max-states", type=int, default=200_000)
    args = parser.parse_args()
    print(f"{'variant':<52} {'steps':>5} {'before':>6} {'after':>5} {'s':>6}")
    specs = catalogue.entries()
    for name in args.specs or sorted(specs):
        spec = specs[name]
        for variant in spec.variants:
            expect = spec.expectation(variant)
            if expect.property is None:
                continue
            model = bind(spec, variant)
            result = bfs.explore(model, Options(max_states=args.max_states))
            v = result.violation
            if v is None or v.trace is None or v.kind not in ("invariant", "action",
                                                             "deadlock"):
                continue
            started = time.perf_counter()
            better = readable(model, v)
            seconds = time.perf_counter() - started
            assert better.trace is not None
            verdict = judge(model, better.trace, replay(model, better.trace))
            assert verdict.property == v.property and verdict.step == v.trace.length, verdict
            assert better.trace.length == v.trace.length
            before = switches(model, _path(model, v.trace))
            after = switches(model, _path(model, better.trace))
            print(f"{name + ' --variant ' + variant:<52} {v.trace.length:>5} {before:>6} "
                  f"{after:>5} {seconds:>6.2f}")


if __name__ == "__main__":
    main()
