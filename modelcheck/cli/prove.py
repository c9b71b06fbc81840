"""``modelcheck prove``: z3 proofs from the command line (quorum, clocks, induction).

Exit codes as for ``verify`` (those of README.md): 0 every claim proved, 1 a claim refuted
(the counterexample is printed), 2 usage or spec error, 3 z3 could not decide (unknown or
timeout). ``--json`` prints one object: ``{"proof", "subject", "params", "status",
"claims": [{"name", "statement", "status", "seconds", "counterexample", "reason"}],
"facts", "stats", "error"}``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from modelcheck.cli.common import fail, json_option, param_option, parse_params, variant_option
from modelcheck.errors import ModelcheckError, UsageError

__all__ = ["prove_group"]

_TIMEOUT = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0,
                        show_default=True, help="Give up (exit 3) on a query after S seconds.")
_JSON = json_option("the proof")


def _run(as_json: bool, make: Callable[[], Any]) -> None:
    try:
        proof = make()
    except ModelcheckError as e:
        fail(e, as_json=as_json)
    click.echo(proof.dumps() if as_json else proof.render())
    sys.exit(proof.exit_code)


@click.group("prove")
def prove_group() -> None:
    """Prove properties for all states or all sizes with z3, or show a counterexample."""


@prove_group.command("quorum")
@click.option("--nodes", type=click.IntRange(min=1), help="Number of nodes N.")
@click.option("--up-to", type=click.IntRange(min=1),
              help="Prove for every N from --from to this bound (sizes may use n).")
@click.option("--from", "start", type=click.IntRange(min=1), default=1, show_default=True,
              help="Smallest N of an --up-to range.")
@click.option("--quorum", "quorum_size", metavar="SIZE",
              help="Any SIZE nodes form a quorum (default: a majority, n//2 + 1).")
@click.option("--write", metavar="SIZE", help="Write quorum size W (with --read).")
@click.option("--read", metavar="SIZE", help="Read quorum size R (with --write).")
@click.option("--phase1", metavar="SIZE", help="Flexible Paxos phase-1 quorum size Q1.")
@click.option("--phase2", metavar="SIZE", help="Phase-2 quorum size (with --phase1).")
@click.option("--weights", metavar="W1,W2,...",
              help="Weighted votes, one per node; quorum by --threshold or --write/--read.")
@click.option("--threshold", type=int, help="Votes a weighted quorum needs (default: a majority).")
@click.option("--grid", metavar="ROWSxCOLS", help="The grid protocol on ROWS x COLS nodes.")
@_TIMEOUT
@_JSON
def quorum_cmd(nodes: int | None, up_to: int | None, start: int, quorum_size: str | None,
               write: str | None, read: str | None, phase1: str | None, phase2: str | None,
               weights: str | None, threshold: int | None, grid: str | None, timeout: float,
               as_json: bool) -> None:
    """Prove that quorums which must intersect do, and compute the fault tolerance.

    Sizes are integers or expressions in n (the number of nodes), such as 'n//2 + 1'.
    With --nodes the system is proved for that N; with --up-to for every N in a range and,
    for size-based systems, symbolically for every N.
    """
    def make() -> Any:
        from modelcheck.prove import quorum as q
        chosen = [name for name, given in (
            ("--quorum", quorum_size is not None), ("--phase1/--phase2", phase1 or phase2),
            ("--weights", weights is not None), ("--grid", grid is not None),
            ("--write/--read", (write or read) and weights is None)) if given]
        if len(chosen) > 1:
            raise UsageError(f"choose one kind of quorum system; got {', '.join(chosen)}")
        if threshold is not None and weights is None:
            raise UsageError("--threshold counts votes: it needs --weights")
        if weights is not None or grid is not None:
            if up_to is not None:
                raise UsageError("--up-to proves size-based systems for a range of N; "
                                 "weighted and grid systems have a fixed number of nodes")
            system = (_weighted(weights, threshold, write, read) if weights is not None
                      else _grid(grid or ""))
            if nodes is not None and nodes != system.nodes:
                raise UsageError(f"--nodes {nodes} disagrees with the {system.nodes} nodes of "
                                 f"{'--weights' if weights else '--grid'}; drop --nodes")
            return q.prove_quorums(system, timeout=timeout)
        family = _family(quorum_size, write, read, phase1, phase2)
        if (nodes is None) == (up_to is None):
            raise UsageError("give either --nodes N (one cluster size) or --up-to N (every "
                             "size up to N, and symbolically for all)")
        if up_to is not None:
            return q.prove_family(family, up_to=up_to, start=start, timeout=timeout)
        assert nodes is not None
        return q.prove_quorums(family.at(nodes), timeout=timeout)
    _run(as_json, make)


def _family(quorum_size: str | None, write: str | None, read: str | None,
            phase1: str | None, phase2: str | None) -> Any:
    from modelcheck.prove import quorum as q
    parse = q.SizeExpr.parse
    if write is not None or read is not None:
        if write is None or read is None:
            raise UsageError("--write and --read go together: give both sizes")
        return q.read_write(parse(write, "--write"), parse(read, "--read"))
    if phase1 is not None or phase2 is not None:
        if phase1 is None or phase2 is None:
            raise UsageError("--phase1 and --phase2 go together: give both sizes")
        return q.flexible_paxos(parse(phase1, "--phase1"), parse(phase2, "--phase2"))
    if quorum_size is not None:
        return q.threshold(parse(quorum_size, "--quorum"))
    return q.majority()


def _weighted(weights: str, threshold: int | None, write: str | None, read: str | None) -> Any:
    from modelcheck.prove import quorum as q
    votes = _ints(weights, "--weights")
    w = _ints(write, "--write")[0] if write is not None else None
    r = _ints(read, "--read")[0] if read is not None else None
    return q.weighted(votes, quorum=threshold, write=w, read=r)


def _ints(text: str, option: str) -> Sequence[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected integers separated by commas") from None


def _grid(text: str) -> Any:
    from modelcheck.prove import quorum as q
    rows, sep, cols = text.lower().partition("x")
    if not sep or not rows.strip().isdigit() or not cols.strip().isdigit():
        raise UsageError(f"--grid {text!r}: expected ROWSxCOLS, e.g. --grid 3x4")
    return q.grid(int(rows), int(cols))


@prove_group.command("clocks")
@click.option("--dimension", type=int, default=3, show_default=True,
              help="Number of processes: the length of each vector clock.")
@click.option("--merge", default="max", show_default=True,
              help="The merge on receive: max, flawed-sum, flawed-min or flawed-keep-local.")
@_TIMEOUT
@_JSON
def clocks_cmd(dimension: int, merge: str, timeout: float, as_json: bool) -> None:
    """Prove the vector clock lemmas: a strict partial order, merge as least upper bound,
    and every happens-before step increasing the clock."""
    def make() -> Any:
        from modelcheck.prove.clocks import prove_clocks
        return prove_clocks(dimension, merge, timeout=timeout)
    _run(as_json, make)


@prove_group.command("induction")
@click.argument("spec_ref", metavar="SPEC")
@variant_option
@param_option
@click.option("--bare", is_flag=True,
              help="Prove the spec's invariants alone, without the strengthening conjuncts.")
@_TIMEOUT
@_JSON
def induction_cmd(spec_ref: str, variant: str | None, params: tuple[str, ...], bare: bool,
                  timeout: float, as_json: bool) -> None:
    """Prove SPEC's invariant inductive: it holds initially and every action preserves it,
    from every state, reachable or not. SPEC must ship a symbolic encoding."""
    def make() -> Any:
        from modelcheck.catalogue import load
        from modelcheck.model import bind
        from modelcheck.prove import encoding_of
        from modelcheck.prove.induction import prove_induction
        from modelcheck.state import to_json
        spec = load(spec_ref)
        sym = encoding_of(spec)
        # Binding validates the parameters and refuses a configuration whose model is
        # absurdly large, before the encoding is built for it.
        cfg = bind(spec, variant, parse_params(params), temporal=False).config
        shown = {"variant": variant, **{f: to_json(getattr(cfg, f))
                                        for f in cfg.__dataclass_fields__}}
        return prove_induction(sym, cfg, bare=bare, params=shown, timeout=timeout)
    _run(as_json, make)
