"""Breadth-first search on a dask.distributed cluster agrees with single-process BFS.

One LocalCluster of two worker processes serves the module; the CLI test and the
hash-mismatch test start clusters of their own.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Progress, Record, Result, UsageError, bind, check, load_spec, replay

distributed = pytest.importorskip("distributed")

from modelcheck.explore.distributed import local_cluster  # noqa: E402
from modelcheck.explore.distributed.messages import pack, unpack  # noqa: E402

if TYPE_CHECKING:
    from conftest import CliResult, SpecVariant


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


def both(spec_ref: str, scheduler: str, **kwargs: Any) -> tuple[Result, Result]:
    spec = load_spec(spec_ref)
    # Temporal properties are checked by the single-process search only.
    return (check(spec, temporal=False, **kwargs),
            check(spec, scheduler=scheduler, temporal=False, **kwargs))


def counts(r: Result) -> tuple[str, int, int, int]:
    return r.status, r.stats.distinct_states, r.stats.generated_states, r.stats.depth


@pytest.mark.parametrize(("spec", "params", "expected"), [
    ("two-phase-commit", {"rms": 3}, ("ok", 288, 1_146, 11)),
    ("two-phase-commit", {"rms": 4}, ("ok", 1_568, 8_258, 14)),
    ("raft", {"timeouts": "randomised"}, ("ok", 9_064, 31_042, 26)),
])
@pytest.mark.slow
def test_counts_equal_single_process_bfs(scheduler: str, spec: str, params: dict[str, Any],
                                         expected: tuple[str, int, int, int]) -> None:
    single, dist = both(spec, scheduler, params=params)
    assert counts(single) == counts(dist) == expected
    assert dist.strategy == "bfs" and dist.exhaustive
    assert dist.details["workers"] == 2 and dist.details["scheduler"] == scheduler
    parts = dist.details["partitions"]
    assert sum(p["states"] for p in parts) == expected[1]
    assert sum(p["bytes_sent"] for p in parts) == sum(p["bytes_received"] for p in parts) > 0
    assert all(16 * p["states"] <= p["store_bytes"] <= 16.125 * p["states"] + 8 for p in parts)
    assert dist.stats.seen_set_bytes == sum(p["store_bytes"] for p in parts)


@pytest.mark.slow
def test_symmetry_reduction_gives_the_same_counts(scheduler: str) -> None:
    single, dist = both("two-phase-commit", scheduler, params={"rms": 4}, symmetry=True)
    assert counts(dist) == counts(single)
    assert dist.stats.distinct_states < 1_568


@pytest.mark.slow
def test_maps_over_model_values_give_the_same_counts(scheduler: str) -> None:
    path = str(Path(__file__).parent / "specs_mapping" / "two_phase_map.py")
    for symmetry, expected in ((False, ("ok", 288, 1_146, 11)), (True, ("ok", 80, 318, 11))):
        single, dist = both(path, scheduler, symmetry=symmetry)
        assert counts(dist) == counts(single) == expected


@pytest.mark.parametrize(("spec", "variant"), [
    ("two-phase-commit", "tm-commits-early"),
    ("raft", "vote-twice"),
])
@pytest.mark.slow
def test_flawed_variants_give_the_same_verdict_and_trace_length(
        scheduler: str, spec: str, variant: str) -> None:
    single, dist = both(spec, scheduler, variant=variant)
    assert dist.status == single.status == "violation"
    assert single.violation is not None and dist.violation is not None
    assert dist.violation.property == single.violation.property
    assert dist.violation.kind == single.violation.kind
    assert dist.violation.trace is not None and single.violation.trace is not None
    assert dist.violation.trace.length == single.violation.trace.length
    assert dist.stats.depth == single.stats.depth
    states = replay(bind(load_spec(spec), variant), dist.violation.trace)
    assert len(states) == dist.violation.trace.length + 1


@pytest.mark.parametrize("params", [
    {"raise_at": 2},          # an action raises
    {"list_at": 1},           # an action returns a state that is not hashable
    {"property_raises_at": 2},
    {"bad_property": True},   # a property returns an int
    {"bound": 1},             # an invariant is violated
    {"stuck_at": 1},          # deadlock
])
@pytest.mark.slow
def test_spec_errors_and_violations_read_as_in_bfs(counter_spec: str, scheduler: str,
                                                   params: dict[str, Any]) -> None:
    # The spec is loaded from a file path: the workers run the source the client sent.
    single, dist = both(counter_spec, scheduler, params=params)
    assert dist.status == single.status
    assert dist.error == single.error
    if single.violation is not None:
        assert dist.violation is not None
        assert dist.violation.message == single.violation.message
        assert dist.violation.trace == single.violation.trace


@pytest.mark.slow
def test_deadlock_checks_respect_the_switch_and_terminal_states(counter_spec: str,
                                                                scheduler: str) -> None:
    single, dist = both(counter_spec, scheduler, params={"stuck_at": 1}, deadlock=False)
    assert counts(single) == counts(dist) == ("ok", 2, 2, 2)
    single, dist = both(counter_spec, scheduler)  # the last state is @spec.terminal
    assert counts(single) == counts(dist) == ("ok", 4, 4, 4)


@pytest.mark.slow
def test_bounds(scheduler: str) -> None:
    single, dist = both("two-phase-commit", scheduler, max_depth=5)
    assert counts(single) == counts(dist)
    assert dist.stopped == single.stopped == "depth limit of 5 reached"
    dist = check(load_spec("two-phase-commit"), params={"rms": 4}, max_states=500,
                 scheduler=scheduler, temporal=False)
    assert dist.status == "incomplete" and not dist.exhaustive
    assert dist.stopped == "state limit of 500 distinct states reached"
    assert dist.stats.distinct_states >= 500


@pytest.mark.slow
def test_interrupt_reports_what_was_explored(scheduler: str) -> None:
    calls: list[Progress] = []

    def progress(p: Progress) -> None:
        calls.append(p)
        if len(calls) == 4:
            raise KeyboardInterrupt  # as Ctrl-C would, while the search runs

    r = check(load_spec("two-phase-commit"), params={"rms": 4}, progress=progress,
              scheduler=scheduler, temporal=False)
    assert r.status == "incomplete" and r.stopped == "interrupted"
    assert r.stats.distinct_states > 0 and r.stats.generated_states > 0


@pytest.mark.slow
def test_cli_with_a_local_cluster(cli_result: CliResult) -> None:
    r = cli_result(["verify", "two-phase-commit", "--scheduler", "local",
                    "--workers", "2", "--json", "--no-temporal"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["strategy"] == "bfs" and data["status"] == "ok"
    assert (data["stats"]["distinct_states"], data["stats"]["generated_states"]) == (288, 1146)


@pytest.mark.slow
def test_workers_with_their_own_hash_seeds_agree() -> None:
    import dask

    environ = dict(os.environ)
    # A random seed per worker process: Python's string hashes differ between the two
    # workers (and from this process), which fingerprints must not depend on.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.PYTHONHASHSEED": "random"}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True,
            dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
            silence_logs=logging.CRITICAL)
    os.environ.clear()
    os.environ.update(environ)
    with cluster:
        seeds = set(cluster_seeds(cluster))
        assert len(seeds) == 2, seeds  # the workers really hash strings differently
        plain = check(load_spec("two-phase-commit"), scheduler=cluster.scheduler_address,
                      temporal=False)
        reduced = check(load_spec("two-phase-commit"), scheduler=cluster.scheduler_address,
                        temporal=False, symmetry=True, params={"rms": 4})
    assert plain.status == "ok"
    assert (plain.stats.distinct_states, plain.stats.generated_states) == (288, 1146)
    single = check(load_spec("two-phase-commit"), temporal=False, symmetry=True,
                   params={"rms": 4})
    assert reduced.status == single.status == "ok"
    assert (reduced.stats.distinct_states, reduced.stats.generated_states) == (
        single.stats.distinct_states, single.stats.generated_states)


def cluster_seeds(cluster: Any) -> list[int]:
    """What each worker of ``cluster`` hashes a fixed string to."""
    with distributed.Client(cluster, set_as_default=False) as client:
        return list(client.run(hash, "modelcheck").values())


def test_a_worker_that_fingerprints_differently_is_refused() -> None:
    from modelcheck.explore.distributed.shipping import check_probes, probe

    mine = probe()
    check_probes({"tcp://a": mine, "tcp://b": mine})
    with pytest.raises(UsageError) as info:
        check_probes({"tcp://a": mine, "tcp://b": {**mine, "fingerprint": 1}})
    assert "fingerprint a probe value differently" in str(info.value)
    assert "tcp://b: 1" in str(info.value)


class Empty(Record):
    """A record without fields."""


class Cell(Record):
    """A record whose field holds values of several types."""

    value: object
    tags: frozenset[str]


def test_batches_keep_every_value_and_its_type() -> None:
    cells = [Cell(1, frozenset({"a"})), Cell(True, frozenset({"a"})), Cell(1.0, frozenset()),
             Cell(None, frozenset({"b"})), Cell((1, (True,)), frozenset())]
    back = unpack(pack(cells))
    assert back == cells
    assert [type(c.value) for c in back] == [type(c.value) for c in cells]
    assert unpack(pack([Empty(), Empty()])) == [Empty(), Empty()]
    assert unpack(pack([(1, 2), "plain"])) == [(1, 2), "plain"]


@pytest.mark.slow
def test_state_constraints_give_tlcs_counts(scheduler: str,
                                            spec_variant: SpecVariant) -> None:
    """A state outside the constraint is checked but neither distinct nor expanded."""
    single, dist = both("alternating-bit", scheduler)
    assert counts(single) == counts(dist) == ("ok", 240, 1392, 10)
    assert dist.checked is not None and dist.checked.constraints == ("seq_constraint",)
    single, dist = both("alternating-bit", scheduler, variant="receiver-flips-bit")
    assert dist.violation is not None and single.violation is not None
    assert dist.violation.trace is not None and single.violation.trace is not None
    assert dist.violation.trace.length == single.violation.trace.length == 4
    # A sender that never takes in an ack never sends a second value: a goal never met.
    planted = spec_variant("alternating_bit", "planted",
                           "s.replace(ack_q=s.ack_q[1:], s_ack=s.ack_q[0])",
                           "s.replace(ack_q=s.ack_q[1:])")
    single, dist = both(str(planted), scheduler)
    assert counts(single) == counts(dist) == ("violation", 168, 924, 7)
    assert dist.violation is not None and single.violation is not None
    assert dist.violation.message == single.violation.message
    assert dist.violation.property == "next_value_sent"
