"""What a Map over model values costs against a tuple indexed by RM: TwoPhase both ways.

    python benchmarks/mapping.py                     # N = 5..7, without and with --symmetry
    python benchmarks/mapping.py --rms 7 --only map  # one search, for timing a whole process

``map``: ``tests/specs_mapping/two_phase_map.py``, TwoPhase.tla with ``rmState`` a
``Map[RM, str]`` over the model values ``r1 .. rn``. ``tuple``: the same spec written with
``rm_state`` a tuple indexed by RM and RMs the ints ``0 .. n - 1``, as the catalogue does.
Both must store the same number of states (TLC's); a mismatch is printed loudly (exit 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from modelcheck import IndexedBy, Record, Spec, Symmetric, check, load_spec, set_at

MAP_SPEC = Path(__file__).resolve().parent.parent / "tests" / "specs_mapping" / "two_phase_map.py"


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    rms: int = 3
    commit_early: bool = False


RM = Annotated[int, Symmetric("RM", size="rms")]


class Prepared(Record):
    """``rm`` is prepared."""

    rm: RM


class Commit(Record):
    """The TM's commit."""


class Abort(Record):
    """The TM's abort."""


class State(Record):
    """TwoPhase.tla's variables, ``rm_state`` a tuple indexed by RM."""

    rm_state: Annotated[tuple[str, ...], IndexedBy(RM)]
    tm_state: str
    tm_prepared: frozenset[RM]
    msgs: frozenset[Prepared | Commit | Abort]


tuple_spec = Spec("two-phase-tuple", Config, State)


def _rms(cfg: Config) -> range:
    return range(cfg.rms)


@tuple_spec.init
def init(cfg: Config) -> State:
    """Every RM working."""
    return State(("working",) * cfg.rms, "init", frozenset(), frozenset())


@tuple_spec.action(rm=_rms)
def tm_rcv_prepared(cfg: Config, s: State, rm: int) -> State | None:
    """The TM receives a Prepared message."""
    if s.tm_state != "init" or Prepared(rm) not in s.msgs:
        return None
    return s.replace(tm_prepared=s.tm_prepared | {rm})


@tuple_spec.action
def tm_commit(cfg: Config, s: State) -> State | None:
    """The TM commits once every RM is prepared."""
    if s.tm_state != "init" or len(s.tm_prepared) != cfg.rms:
        return None
    return s.replace(tm_state="committed", msgs=s.msgs | {Commit()})


@tuple_spec.action
def tm_abort(cfg: Config, s: State) -> State | None:
    """The TM aborts."""
    if s.tm_state != "init":
        return None
    return s.replace(tm_state="aborted", msgs=s.msgs | {Abort()})


@tuple_spec.action(rm=_rms)
def rm_prepare(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` prepares."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "prepared"), msgs=s.msgs | {Prepared(rm)})


@tuple_spec.action(rm=_rms)
def rm_choose_to_abort(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` aborts on its own."""
    if s.rm_state[rm] != "working":
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "aborted"))


@tuple_spec.action(rm=_rms)
def rm_rcv_commit_msg(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` receives the Commit."""
    if Commit() not in s.msgs:
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "committed"))


@tuple_spec.action(rm=_rms)
def rm_rcv_abort_msg(cfg: Config, s: State, rm: int) -> State | None:
    """``rm`` receives the Abort."""
    if Abort() not in s.msgs:
        return None
    return s.replace(rm_state=set_at(s.rm_state, rm, "aborted"))


@tuple_spec.always
def consistent(cfg: Config, s: State) -> bool:
    """No RM committed while another aborted."""
    return not ("committed" in s.rm_state and "aborted" in s.rm_state)


@tuple_spec.terminal
def decided(cfg: Config, s: State) -> bool:
    """Every RM decided."""
    return all(v in ("committed", "aborted") for v in s.rm_state)


def run(which: str, rms: int, symmetry: bool) -> tuple[int, int, float]:
    """(distinct, generated, seconds) of one search."""
    spec = load_spec(str(MAP_SPEC)) if which == "map" else tuple_spec
    start = time.perf_counter()
    r = check(spec, params={"rms": rms}, symmetry=symmetry)
    seconds = time.perf_counter() - start
    assert r.status == "ok", r.status
    return r.stats.distinct_states, r.stats.generated_states, seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rms", type=int, nargs="+", default=[5, 6, 7])
    ap.add_argument("--only", choices=["map", "tuple"])
    ap.add_argument("--symmetry", action="store_true", help="with --only: reduce")
    args = ap.parse_args(argv)
    if args.only:
        for n in args.rms:
            print(args.only, n, *run(args.only, n, args.symmetry))
        return 0
    bad = 0
    print(f"{'N':>3} {'symmetry':>8} {'distinct':>9} {'generated':>10} {'map s':>7} "
          f"{'tuple s':>7} {'map/tuple':>9}")
    for symmetry in (False, True):
        for n in args.rms:
            dm, gm, tm = run("map", n, symmetry)
            dt, gt, tt = run("tuple", n, symmetry)
            if (dm, gm) != (dt, gt):
                bad = 1
                print(f"MISMATCH: map {dm}/{gm}, tuple {dt}/{gt}")
            print(f"{n:>3} {'yes' if symmetry else 'no':>8} {dm:>9,} {gm:>10,} {tm:>7.2f} "
                  f"{tt:>7.2f} {tm / tt:>9.2f}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
