"""Generator actions against one action instance per witness: Paxos's phase2a, both ways.

    python benchmarks/multi_actions.py                  # the table: both forms, same counts
    python benchmarks/multi_actions.py --one instances  # one search (for farm-bench --vs)
    python benchmarks/multi_actions.py --one generator

Paxos's phase2a has two existentials, the phase-1 quorum ``q`` and the acceptor ``w`` whose
vote forces the value: the catalogue's port makes them parameters, so every state calls
``ballots × values × quorums × (acceptors + 1)`` instances (48 at ballots 0..1, the model
measured here), nearly all of which return None. Here phase2a is also written as a
generator over ``(b, v)`` that reads the 1b messages once and yields one successor per
valid witness, as TLC counts them: both forms must give the same distinct and generated
counts and depth (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from modelcheck import bind, check
from modelcheck_specs import paxos

PARAMS = {"max_ballot": 1}
"""Ballots 0..1: TLC's MCPaxos count with 3 acceptors and 2 values, 3,921 states."""


def generator_paxos() -> ModuleType:
    """A second copy of the Paxos port, its phase2a a generator over the witnesses."""
    loader = importlib.util.spec_from_file_location("paxos_multi", paxos.__file__)
    assert loader is not None and loader.loader is not None
    mod = importlib.util.module_from_spec(loader)
    sys.modules[loader.name] = mod
    loader.loader.exec_module(mod)
    spec = mod.spec
    at = next(k for k, a in enumerate(spec.actions) if a.name == "phase2a")
    spec.actions.pop(at)
    net, quorums, witnesses = mod.net, mod._quorums1, mod._witnesses

    @spec.action(b=mod._ballots, v=mod._values)
    def phase2a(cfg: Any, s: Any, b: int, v: int) -> Iterator[Any]:
        """Paxos.tla's Phase2a(b, v), with ``\\E Q, m`` as the successors it yields."""
        me = mod.proposer(b)
        if not net.up(s, me):
            return
        heard: dict[int, Any] = {}
        for m in s.msgs:
            if type(m) is mod.Phase2a and m.bal == b:
                return
            if type(m) is mod.Phase1b and m.bal == b and net.reachable(s, m.acc, me):
                heard[m.acc] = m
        after = None
        for q in quorums(cfg):
            if any(a not in heard for a in q):
                continue
            reports = [heard[a] for a in q]
            top = max(m.mbal for m in reports)
            for w in witnesses(cfg):
                if cfg.ignore_accepted_value:
                    ok = w is None
                elif w is None:
                    ok = top < 0
                else:
                    ok = w in q and heard[w].mbal >= 0 and heard[w].mval == v \
                        and heard[w].mbal == top
                if ok:
                    if after is None:
                        after = s.replace(msgs=net.broadcast(cfg, s.msgs,
                                                             mod._phase2a(cfg.acceptors, b, v)))
                    yield after

    spec.actions.insert(at, spec.actions.pop())
    return mod


def run(form: str) -> tuple[int, int, int, int, float]:
    spec = paxos.spec if form == "instances" else generator_paxos().spec
    started = time.perf_counter()
    r = check(spec, params=PARAMS)
    seconds = time.perf_counter() - started
    assert r.status == "ok", r.status
    return (len(bind(spec, params=PARAMS).instances), r.stats.distinct_states,
            r.stats.generated_states, r.stats.depth, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=("instances", "generator"))
    args = parser.parse_args(argv)
    if args.one:
        run(args.one)
        return 0
    rows = {form: run(form) for form in ("instances", "generator")}
    print(f"{'paxos (0..1)':<18} {'instances':>9} {'distinct':>9} {'generated':>10} "
          f"{'depth':>6} {'seconds':>8}")
    for form, (n, distinct, generated, depth, seconds) in rows.items():
        print(f"{form:<18} {n:>9,} {distinct:>9,} {generated:>10,} {depth:>6} {seconds:>8.2f}")
    same = rows["instances"][1:4] == rows["generator"][1:4]
    print("counts equal" if same else "COUNTS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
