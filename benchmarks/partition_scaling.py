"""The distributed search on W machines, modelled by W partitions in one process.

    python benchmarks/partition_scaling.py                   # two-phase-commit rms=7, W = 1..16
    python benchmarks/partition_scaling.py --partitions 1 4 --repeat 1
    python benchmarks/partition_scaling.py --spec raft --param servers=3 --markdown
    python benchmarks/partition_scaling.py --wall            # time with perf_counter

Runs the Dask explorer (:mod:`modelcheck.explore.distributed`, ``--scheduler``) without
Dask: its client, ``_Search``, drives W real ``Partition`` objects in this process, through
stand-ins for the Dask client, actor handles and futures that call the partition's method
at once and hand back a resolved future. So every round is the explorer's own code: the
client calls ``seed`` on every partition, then per level ``expand`` on every partition
(each fingerprints its successors and sends the batches for other partitions, packed by
``_pack``, to their owner's ``receive`` through the handles ``connect`` gave it), then
``admit`` on every partition (each unpacks its inbox, stores the new states and checks
them). The totals must equal a single-process ``modelcheck.check`` of the same model
(distinct and generated states, depth), or the script stops with exit status 1.

Each partition's calls are timed, by default on ``time.process_time`` (CPU time of this
process, so other programs on the machine disturb it little; ``--wall`` uses
``perf_counter``). A peer's ``receive`` is charged to the receiving partition in the round
it happens in, not to the sender. Set-up (binding, code generation, the hash check) and the
final statistics are not timed. With ``--repeat N`` the search runs N times per W and each
partition's time in each round is the least of the N (the work is identical every time).
The garbage collector is off throughout, as in ``check`` (the partitions also turn it off
in their rounds and freeze what is alive after each).

The model: W machines, one partition each, that run a round in parallel and wait at a
barrier for the slowest before the next. So

critical path
    the sum over rounds of the slowest partition's time in that round: the search's time
    on W machines, the partitions' computing only; split into the expand rounds and the
    admit rounds (the seed round is the rest), and as a speed-up over the first W and
    over the single-process ``check`` (timed on the same clock, best of ``--repeat``);
CPU
    the sum of every partition's time: the work of all W machines together (against the
    critical path at W = 1, the cost of partitioning);
sent / generated, bytes / generated
    successors sent to another partition (a partition keeps its own without packing), and
    the bytes of those batches (fingerprints, parent and action indices, packed states),
    per generated state;
largest / mean partition
    distinct states owned by the largest partition over the mean: the balance of the
    fingerprint split.

Not modelled: the network (each round needs at least one round trip to every worker and
the batches cross it; the number of rounds is printed so that a latency can be added),
Dask's own serialisation and scheduling, the client's work between rounds, and that here
the partitions take turns on one core and share its caches and memory, where W machines
would each have their own.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import inspect
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from modelcheck import Model, Result, bind, check, load_spec
from modelcheck.explore import Options
from modelcheck.explore.distributed.client import _Search
from modelcheck.explore.distributed.shipping import spec_ref
from modelcheck.explore.distributed.worker import Partition
from modelcheck.explore.temporal import unsupported

DEFAULT_PARAMS = {"two-phase-commit": ["rms=7"]}
"""``--param`` when none is given, per spec."""

ROUND_METHODS = frozenset({"seed", "expand", "admit"})
"""The ``Partition`` methods the client calls on every partition, one round each."""


# ------------------------------------------------------------------ stand-ins for Dask


class _Done:
    """A resolved future: what a Dask actor call returns, once it has finished."""

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value = value
        self._error = error

    def result(self, timeout: float | None = None) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


def _finish(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never awaits (``receive``, ``progress``, ``stop``) to its end."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("an async Partition method awaited something; it cannot run in-process")


class _Ledger:
    """Seconds each partition spends in each round, on one clock.

    Calls nest: a partition's ``expand`` calls a peer's ``receive``. The clock is charged
    to the innermost call under way; a nested call belongs to the round of the call around
    it. Calls other than rounds (set-up, statistics, traces) are not charged.
    """

    def __init__(self, count: int, clock: Callable[[], float]) -> None:
        self.count = count
        self.clock = clock
        self.rounds: list[list[float]] = []
        """``rounds[r][p]``: seconds of partition ``p`` in round ``r``."""
        self._started = [0] * count
        self._running: list[tuple[int, int]] = []
        self._mark = 0.0

    def enter(self, partition: int, method: str) -> None:
        now = self.clock()
        if self._running:
            caller, r = self._running[-1]
            if r >= 0:
                self.rounds[r][caller] += now - self._mark
        elif method in ROUND_METHODS:
            r = self._started[partition]
            self._started[partition] += 1
            if r == len(self.rounds):
                self.rounds.append([0.0] * self.count)
        else:
            r = -1
        self._running.append((partition, r))
        self._mark = now

    def leave(self) -> None:
        now = self.clock()
        partition, r = self._running.pop()
        if r >= 0:
            self.rounds[r][partition] += now - self._mark
        self._mark = now


class _Handle:
    """Stands in for a Dask actor handle: a method call runs at once, timed, in-process."""

    def __init__(self, partition: Partition, ledger: _Ledger) -> None:
        self._partition = partition
        self._ledger = ledger

    def __getattr__(self, name: str) -> Callable[..., _Done]:
        method = getattr(self._partition, name)
        ledger = self._ledger
        index = self._partition.index

        def call(*args: Any) -> _Done:
            ledger.enter(index, name)
            try:
                value = method(*args)
                if inspect.iscoroutine(value):
                    value = _finish(value)
            except Exception as e:  # a Dask future raises it from result()
                return _Done(error=e)
            finally:
                ledger.leave()
            return _Done(value)

        return call


class _Client:
    """Stands in for ``distributed.Client``: ``submit(..., actor=True)`` builds the actor here."""

    def __init__(self, ledger: _Ledger) -> None:
        self.ledger = ledger
        self.partitions: list[Partition] = []

    def submit(self, cls: type[Partition], *args: Any, actor: bool = False,
               **_: Any) -> _Done:
        assert actor, "the explorer submits only its partitions, as actors"
        partition = cls(*args)
        self.partitions.append(partition)
        return _Done(_Handle(partition, self.ledger))


# ------------------------------------------------------------------ one search per W


@dataclass
class Scaling:
    """One W: the search's result and each partition's time per round."""

    partitions: int
    result: Result
    rounds: list[list[float]]

    @property
    def critical_path(self) -> float:
        return sum(max(r) for r in self.rounds)

    def phase(self, first: int) -> float:
        """The critical path of the expand rounds (``first`` = 1) or admit rounds (2)."""
        return sum(max(r) for r in self.rounds[first::2])

    @property
    def cpu(self) -> float:
        return sum(map(sum, self.rounds))

    def total(self, key: str) -> int:
        return sum(int(s[key]) for s in self.result.details["partitions"])

    @property
    def imbalance(self) -> float:
        owned = [int(s["states"]) for s in self.result.details["partitions"]]
        return max(owned) * len(owned) / sum(owned)


def search(model: Model, partitions: int, clock: Callable[[], float]) -> Scaling:
    """The distributed explorer's client driving ``partitions`` in-process partitions."""
    ledger = _Ledger(partitions, clock)
    client = _Client(ledger)
    options = Options(workers=partitions, scheduler="in-process")
    workers = [f"in-process-{i}" for i in range(partitions)]
    enabled = gc.isenabled()
    gc.disable()
    try:
        result = _Search(model, options, spec_ref(model), client, workers).run()
    finally:
        if enabled:
            gc.enable()
    client.partitions.clear()
    return Scaling(partitions, result, ledger.rounds)


def best_of(runs: list[Scaling]) -> Scaling:
    """The first run, with each partition's time in each round the least over ``runs``."""
    shapes = {(len(s.rounds), s.partitions) for s in runs}
    assert len(shapes) == 1, "the same search ran a different number of rounds"
    rounds = [[min(cells) for cells in zip(*column)]
              for column in zip(*(s.rounds for s in runs))]
    return dataclasses.replace(runs[0], rounds=rounds)


def verify(s: Scaling, expected: Result) -> None:
    """Exit with a message unless the partitioned search counted what ``check`` did."""
    got, want = s.result.stats, expected.stats
    mine = (s.result.status, got.distinct_states, got.generated_states, got.depth)
    theirs = (expected.status, want.distinct_states, want.generated_states, want.depth)
    if mine != theirs:
        sys.exit(f"W={s.partitions}: the partitioned search gave (status, distinct, generated, "
                 f"depth) = {mine}, single-process check {theirs}"
                 + (f"; error: {s.result.error}" if s.result.error else ""))


# ------------------------------------------------------------------ the table


def render(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    """A text table, first column left-aligned and the rest right; or Markdown."""
    if markdown:
        align = [":---"] + ["---:"] * (len(headers) - 1)
        return "\n".join(["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|",
                          *("| " + " | ".join(r) + " |" for r in rows)])
    table = [headers, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return "\n".join([line(headers), "-" * len(line(headers)), *map(line, rows)])


def table(results: list[Scaling], single: float, markdown: bool) -> str:
    """One column per W; ``single`` is the time of the single-process search."""
    first = results[0]
    gen = first.result.stats.generated_states
    rows = [
        ["critical path s", *(f"{s.critical_path:.2f}" for s in results)],
        ["  of which expand rounds", *(f"{s.phase(1):.2f}" for s in results)],
        ["  of which admit rounds", *(f"{s.phase(2):.2f}" for s in results)],
        [f"speed-up over W={first.partitions}",
         *(f"{first.critical_path / s.critical_path:.2f}" for s in results)],
        ["speed-up over check", *(f"{single / s.critical_path:.2f}" for s in results)],
        ["CPU s, all partitions", *(f"{s.cpu:.2f}" for s in results)],
        ["states sent / generated", *(f"{s.total('states_sent') / gen:.3f}" for s in results)],
        ["bytes sent / generated", *(f"{s.total('bytes_sent') / gen:.1f}" for s in results)],
        ["largest / mean partition", *(f"{s.imbalance:.3f}" for s in results)],
    ]
    return render(["W", *(str(s.partitions) for s in results)], rows, markdown)


def main() -> None:
    """Run the search once per W (``--repeat`` times) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="two-phase-commit")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE",
                        help="a parameter of the spec (repeatable); default for "
                             "two-phase-commit: rms=7")
    parser.add_argument("--partitions", type=int, nargs="+", default=[1, 2, 4, 8, 16],
                        metavar="W")
    parser.add_argument("--repeat", type=int, default=3,
                        help="searches per W; each cell of the per-round times is the least")
    parser.add_argument("--wall", action="store_true",
                        help="time with perf_counter instead of process_time")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown")
    args = parser.parse_args()
    if min(args.partitions) < 1 or args.repeat < 1:
        parser.error("--partitions and --repeat must be positive")
    pairs = args.param if args.param is not None else DEFAULT_PARAMS.get(args.spec, [])
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            parser.error(f"--param {pair!r}: expected NAME=VALUE")
        params[key.strip()] = value.strip()
    clock = time.perf_counter if args.wall else time.process_time

    spec = load_spec(args.spec)
    single = float("inf")
    for _ in range(args.repeat):
        started = clock()
        expected = check(spec, params=params, temporal=False)
        single = min(single, clock() - started)
    model = bind(spec, None, params, temporal=False)
    if model.temporal:
        model = dataclasses.replace(model, temporal=(), fairness=())
    refused = unsupported(model, strategy="bfs", parallel=True, checkpoint=False)
    if refused is not None:
        sys.exit(refused)

    results = []
    for w in args.partitions:
        runs = []
        for _ in range(args.repeat):
            runs.append(search(model, w, clock))
            verify(runs[-1], expected)
            gc.unfreeze()  # the partitions froze everything alive after each round
            gc.collect()
        results.append(best_of(runs))
        print(f"W={w}: critical path {results[-1].critical_path:.2f} s", file=sys.stderr)

    st = expected.stats
    label = " ".join([args.spec, *(f"{k}={v}" for k, v in params.items())])
    what = "wall" if args.wall else "CPU"
    print(f"{label}: {st.distinct_states:,} distinct, {st.generated_states:,} generated, "
          f"depth {st.depth}; {len(results[0].rounds)} rounds (barriers) per search; "
          f"single-process check {single:.2f} s {what}; best of {args.repeat} per cell")
    print(table(results, single, args.markdown))


if __name__ == "__main__":
    main()
