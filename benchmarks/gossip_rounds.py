"""Gossip: rounds until every node knows an update, against log2(N).

    python benchmarks/gossip_rounds.py               # N = 8 .. 256, 300 runs each (about a minute)
    python benchmarks/gossip_rounds.py --runs 200 --seed 7

Drives the catalogue's ``gossip`` spec with its own actions, in the synchronous rounds of
Demers et al.'s analysis: node 0 takes the update; in each round every node that holds it
pushes to a peer chosen uniformly at random (the spec's ``gossip`` action), then every
push is delivered (``deliver``, whose handler is the spec's merge). A run ends when every
node holds the update. The table gives, per N, the mean and 99th percentile of the rounds
over the runs, beside log2(N) and log2(N) + ln(N), Pittel's asymptotic for push gossip.
The model checker proves the protocol converges under fairness; this measures how fast.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics

from modelcheck_specs import gossip


def rounds(cfg: gossip.Config, rng: random.Random) -> int:
    """Rounds of push gossip until all nodes hold the update started at node 0."""
    n = cfg.nodes
    s = gossip.update(cfg, gossip.init(cfg), 0)
    assert s is not None
    deliver = gossip.net.deliver
    count = 0
    while not gossip.converged(cfg, s):
        count += 1
        for i in range(n):
            if s.version[i]:
                j = rng.randrange(n - 1)
                pushed = gossip.gossip(cfg, s, i, j + (j >= i))
                s = pushed if pushed is not None else s
        for m in gossip.net.in_flight(cfg, s.msgs):
            s = deliver(cfg, s, m)
    return count


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", default="8,16,32,64,128,256")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"push gossip, {args.runs} runs per size, seed {args.seed}")
    print("| N | mean rounds | p99 | log2(N) | log2(N) + ln(N) |")
    print("|---|---|---|---|---|")
    for n in (int(x) for x in args.sizes.split(",")):
        cfg = gossip.Config(nodes=n, updates=1)
        counts = sorted(rounds(cfg, rng) for _ in range(args.runs))
        p99 = counts[min(len(counts) - 1, math.ceil(0.99 * len(counts)) - 1)]
        print(f"| {n} | {statistics.fmean(counts):.2f} | {p99} | {math.log2(n):.2f} | "
              f"{math.log2(n) + math.log(n):.2f} |")


if __name__ == "__main__":
    main()
