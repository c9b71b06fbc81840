"""State fingerprints: never merge distinct states, agree everywhere, and cost no more than
Python's ``hash``.

The fingerprint is a 64-bit hash of a canonical encoding of the value (see
:mod:`modelcheck.fingerprint`): values that Python's ``hash`` confuses (``-1`` and ``-2``,
``0`` and ``2**61 - 1``, ``1``, ``True`` and ``1.0``) must get distinct fingerprints, the C
version must compute exactly what the Python reference does, and neither may depend on the
process (hash seed, addresses).
"""

from __future__ import annotations

import enum
import itertools
import json
import os
import subprocess
import sys
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modelcheck.explore.bfs
import modelcheck.explore.dfs
from modelcheck import Record, Spec, check
from modelcheck import _speedups as speedups
from modelcheck.errors import UsageError
from modelcheck.fingerprint import (
    ACCELERATED,
    Audit,
    FingerprintCollision,
    collision_probability,
    deepest_nesting,
    fingerprint,
    fingerprint_py,
    fingerprints_into,
    identical,
    nesting,
)
from modelcheck.state import defaults

if TYPE_CHECKING:
    from conftest import CliResult

# -- values that Python's hash (or a careless encoding) confuses --------------------------------


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


class Shade(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    ONE = 1


class Point(Record):
    x: int
    y: int = 0


class Other(Record):
    x: int
    y: int = 0


class Flags(Record):
    a: int = 0
    b: int = 0


@dataclass(frozen=True)
class Box:
    x: Any


@dataclass(frozen=True)
class Crate:
    x: Any


Pair = namedtuple("Pair", "a b")


class Label(str):
    """A str subclass (as modelcheck.network.Faults is)."""


ADVERSARIAL: list[tuple[Any, Any]] = [
    (-1, -2),                       # hash(-1) == hash(-2)
    (0, 2**61 - 1),                 # hash reduces modulo 2**61 - 1
    (1, 2**61),
    (-(2**61), -2),
    (2**63 - 1, -(2**63)),
    (2**64, 0),
    (2**64, 2**65),
    (-(2**64), 2**64),
    (2**2000, 2**2000 + 1), (-(2**2000), 2**2000), (2**2000, 2**1999),
    (1, True), (1, 1.0), (True, 1.0), (0, False), (0, 0.0), (False, None), (0, None),
    (0.0, -0.0),
    ((), frozenset()), ((), None), ("", b""), ("", ()),
    ("a", b"a"), ("ab", ("a", "b")), ("a", ("a",)),
    ((1, 2), frozenset({1, 2})), ((1, 2), (2, 1)), ((1, (2,)), ((1, 2),)), ((1,), 1),
    (frozenset({1}), frozenset({True})), (frozenset({1, 2}), frozenset({3})),
    (frozenset({frozenset()}), frozenset()), (frozenset({(1, 2)}), frozenset({1, 2})),
    (Colour.RED, 1), (Colour.RED, Shade.RED), (Colour.RED, "RED"), (Level.ONE, 1),
    (Point(1), Other(1)), (Point(1), (Point.__qualname__, 1, 0)), (Point(1), Point(1, 1)),
    (Flags(), defaults(Flags)), (Box(1), Crate(1)), (Box(1), Box(True)), (Box(1), (1,)),
    (Pair(1, 2), (1, 2)), (Label("a"), "a"), ("\udc80", "\ufffd"), ("é", "e\u0301"),
    ((None,), (False,)), (("a", "b"), ("ab",)), (("", "a"), ("a", "")),
]


@pytest.mark.parametrize(("a", "b"), ADVERSARIAL, ids=[repr(p) for p in ADVERSARIAL])
def test_values_python_confuses_get_distinct_fingerprints(a: Any, b: Any) -> None:
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint_py(a) != fingerprint_py(b)
    assert not identical(a, b)


def test_every_adversarial_value_is_distinct_from_every_other() -> None:
    values = [v for pair in ADVERSARIAL for v in pair]
    by_fp: dict[int, Any] = {}
    for v in values:
        other = by_fp.setdefault(fingerprint(v), v)
        assert identical(other, v), (other, v)


def test_the_c_version_is_built_and_used() -> None:
    # The test install builds the extension; the pure-Python version is several hundred
    # times slower.
    assert ACCELERATED and fingerprint is speedups.fingerprint


# -- the C version computes the reference ---------------------------------------------------------

# Integers stay below 2**512 so that an example's repr stays short; larger ones are pinned above.
_leaves = (st.none() | st.booleans() | st.integers(-(2**512), 2**512)
           | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=True) | st.text(max_size=12) | st.binary(max_size=12)
           | st.sampled_from([Colour.RED, Colour.GREEN, Shade.RED, Level.ONE, Label("x")]))


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    pairs = st.tuples(inner, inner)
    return (st.lists(inner, max_size=5).map(tuple)
            | st.lists(inner, max_size=5).map(frozenset)  # no retries, whose notes repr `inner`
            | pairs.map(_point) | pairs.map(_pair) | inner.map(Other) | inner.map(Box))


def _point(xy: tuple[Any, Any]) -> Point:
    return Point(*xy)


def _pair(ab: tuple[Any, Any]) -> Any:
    return Pair(*ab)


values = st.recursive(_leaves, _containers, max_leaves=25)


@given(values)
@settings(max_examples=400)
@pytest.mark.slow
def test_c_and_python_versions_agree(v: Any) -> None:
    assert fingerprint(v) == fingerprint_py(v)
    out = np.zeros(2, dtype=np.int64)
    fingerprints_into([v, (v,)], out)
    assert out.tolist() == [fingerprint_py(v), fingerprint_py((v,))]


@given(values, values)
@settings(max_examples=400)
@pytest.mark.slow
def test_equal_fingerprints_mean_identical_values(a: Any, b: Any) -> None:
    assert (fingerprint(a) == fingerprint(b)) == identical(a, b)


def test_identical_treats_every_nan_alike() -> None:
    nan, other = float("nan"), float("-nan")
    assert identical(frozenset({nan, 1}), frozenset({other, 1}))
    assert fingerprint(frozenset({nan, 1})) == fingerprint(frozenset({other, 1}))
    assert not identical(frozenset({nan, float("nan")}), frozenset({nan, 1.0}))
    assert fingerprint(frozenset({nan, float("nan")})) != fingerprint(frozenset({nan, 1.0}))


@given(st.lists(st.integers(0, 50), max_size=12))
def test_a_frozensets_fingerprint_does_not_depend_on_its_order(items: list[int]) -> None:
    forwards = frozenset(items)
    backwards = frozenset(reversed(items))
    strings = frozenset(map(str, items))
    assert fingerprint(forwards) == fingerprint(backwards) == fingerprint_py(backwards)
    assert fingerprint(strings) == fingerprint_py(frozenset(sorted(strings, reverse=True)))


def test_remembered_parts_never_stand_for_a_new_object() -> None:
    # The C version remembers the fingerprints of parts by address, holding a reference
    # to each, so a freed part's address reused by a new value cannot give a stale answer.
    for i in range(20_000):
        part = (i, str(i))
        state = (part, frozenset({part}))
        assert fingerprint(state) == fingerprint_py(state)
    speedups.forget_fingerprints()
    assert fingerprint((1, (2, "x"))) == fingerprint_py((1, (2, "x")))


def test_large_frozensets_and_long_strings() -> None:
    big = frozenset(range(1000))
    assert fingerprint(big) == fingerprint_py(big)
    assert fingerprint(big) != fingerprint(big - {999})
    text = "x" * 1001
    assert fingerprint(text) == fingerprint_py(text) != fingerprint(text[:-1])


# -- the same in every process -------------------------------------------------------------------

PINNED = {
    "None": (None, 7982296497641744295),
    "-1": (-1, 145345689368179218),
    "text": ("rm", 4975401966434401002),
    "record": (Point(1, 2), -1017693410319653902),
    "set": (frozenset({"a", "b", (1, None)}), -6129374488805773622),
    "big": (2**100, -6434965306703385600),
}


def test_fingerprints_are_pinned() -> None:
    # A change to the encoding changes every fingerprint, which invalidates checkpoints:
    # it must be deliberate.
    got = {k: fingerprint(v) for k, (v, _) in PINNED.items()}
    assert got == {k: fp for k, (_, fp) in PINNED.items()}


_PROBE = """
import enum, json, sys
sys.path.insert(0, {tests!r})
from test_fingerprint import PINNED, Colour, Box, Point
from modelcheck.fingerprint import ACCELERATED, fingerprint
values = [None, "x", ("a", None), frozenset({{"a", "b", None}}), Colour.RED, Box("b"),
          Point(1), -1, 2**70]
print(json.dumps([ACCELERATED, [fingerprint(v) for v in values],
                  {{k: fingerprint(v) for k, (v, _) in PINNED.items()}}]))
"""


def _probe(env: dict[str, str]) -> tuple[bool, list[int], dict[str, int]]:
    code = _PROBE.format(tests=str(Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, check=True, cwd=Path(__file__).parent)
    accelerated, fps, pinned = json.loads(out.stdout)
    return accelerated, fps, pinned


@pytest.mark.slow
def test_fingerprints_do_not_depend_on_the_process() -> None:
    # Different string hash seeds, and (on Python 3.11) a different address of None: the
    # fingerprints stay the same, with and without the C version.
    runs = [_probe({"PYTHONHASHSEED": seed}) for seed in ("0", "1", "random")]
    pure = _probe({"PYTHONHASHSEED": "random", "MODELCHECK_PURE_PYTHON": "1"})
    assert [r[0] for r in runs] == [True, True, True] and pure[0] is False
    assert all(r[1:] == runs[0][1:] for r in [*runs, pure])
    assert runs[0][2] == {k: fp for k, (_, fp) in PINNED.items()}


# -- what a state may hold -----------------------------------------------------------------------


class Opaque:
    """A hashable object of no known shape."""


class Versioned:
    """A class that says how it is fingerprinted."""

    def __init__(self, version: int) -> None:
        self.version = version

    def __fingerprint__(self) -> tuple[str, int]:
        return ("v", self.version)


def test_values_that_cannot_be_in_a_state_are_refused_by_name() -> None:
    for bad, word in (([1], "unhashable type: 'list'"), ({1: 2}, "unhashable type: 'dict'"),
                      ({1}, "unhashable type: 'set'"), (Opaque(), "'Opaque'"),
                      ((1, Opaque()), "'Opaque'"), (frozenset({Opaque()}), "'Opaque'"),
                      (range(3), "'range'")):
        for fn in (fingerprint, fingerprint_py):
            with pytest.raises(TypeError, match=word):
                fn(bad)


def test_a_class_may_define_its_fingerprint() -> None:
    assert fingerprint(Versioned(1)) == fingerprint(Versioned(1)) == fingerprint_py(Versioned(1))
    assert fingerprint(Versioned(1)) != fingerprint(Versioned(2))
    assert fingerprint(Versioned(1)) != fingerprint(("v", 1))


def test_a_value_nested_too_deeply_is_a_recursion_error() -> None:
    v: Any = ()
    for _ in range(100_000):
        v = (v,)
    with pytest.raises(RecursionError):
        fingerprint(v)


# -- searches ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    low: int = -3
    """The counter steps down to this value."""


class Counter(Record):
    x: Any


def _counter_spec(values: tuple[Any, ...]) -> Spec:
    """A state that takes ``values`` one after the other, with an invariant on the last."""
    spec = Spec(f"sequence-{len(values)}", Config, Counter)

    @spec.init
    def init(cfg: Config) -> Counter:
        return Counter(values[0])

    @spec.action
    def step(cfg: Config, s: Counter) -> Counter | None:
        for here, there in itertools.pairwise(values):
            if identical(s.x, here):
                return Counter(there)
        return None

    @spec.always
    def not_last(cfg: Config, s: Counter) -> bool:
        return not identical(s.x, values[-1])

    @spec.terminal
    def anywhere(cfg: Config, s: Counter) -> bool:
        return True

    return spec


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
@pytest.mark.parametrize("values", [(0, -1, -2, -3), (0, 2**61 - 1, 1, 2**61),
                                    (None, 0, False, 0.0, 1, True, 1.0),
                                    ((), frozenset(), "", b""), (Point(1), Other(1))])
def test_a_search_never_merges_states_python_confuses(values: tuple[Any, ...],
                                                      strategy: str) -> None:
    result = check(_counter_spec(values), strategy=strategy)
    assert result.status == "violation" and result.violation is not None
    assert result.violation.property == "not_last"
    assert result.violation.trace is not None
    assert result.violation.trace.length == len(values) - 1
    assert result.stats.distinct_states == len(values)


def test_the_negative_counter_from_the_command_line(cli_result: CliResult, tmp_path: Path) -> None:
    spec = tmp_path / "neg.py"
    spec.write_text(
        "from dataclasses import dataclass\n"
        "from modelcheck import Record, Spec\n"
        "@dataclass(frozen=True)\nclass Config:\n    low: int = -3\n"
        "class State(Record):\n    x: int\n"
        "spec = Spec('neg-counter', Config, State)\n"
        "@spec.init\ndef init(cfg: Config) -> State:\n    return State(0)\n"
        "@spec.action\ndef down(cfg: Config, s: State) -> State | None:\n"
        "    return s.replace(x=s.x - 1) if s.x > cfg.low else None\n"
        "@spec.always\ndef above(cfg: Config, s: State) -> bool:\n    return s.x != -3\n"
        "@spec.terminal\ndef done(cfg: Config, s: State) -> bool:\n    return True\n")
    r = cli_result(["verify", str(spec), "--json"])
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    assert data["violation"]["property"] == "above"
    assert data["stats"]["distinct_states"] == 4
    assert len(data["violation"]["trace"]["steps"]) == 4


def test_a_state_holding_an_opaque_object_is_a_spec_error() -> None:
    result = check(_counter_spec((0, Opaque())))
    assert result.status == "error" and result.error is not None
    assert "step returned a state that is not hashable" in result.error
    assert "'Opaque'" in result.error and "['x']" in result.error


# -- --audit ---------------------------------------------------------------------------------


def test_audit_compares_every_state_met_again() -> None:
    result = check(modelcheck.load_spec("two-phase-commit"), audit=True)
    assert result.status == "ok"
    assert (result.stats.distinct_states, result.stats.generated_states) == (288, 1146)
    assert result.details["audit"] == {"states": 288, "compared": 1146 - 288, "collisions": 0}
    dfs = check(modelcheck.load_spec("two-phase-commit"), audit=True, strategy="dfs",
                temporal=False)
    assert dfs.details["audit"] == result.details["audit"]


def _weak_fingerprints(states: list[Any], out: Any) -> None:
    """Fingerprints that merge every pair of states whose true fingerprints share a
    parity: what a broken hash would do."""
    for i, s in enumerate(states):
        out[i] = fingerprint(s) & 1


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_audit_catches_a_collision(monkeypatch: pytest.MonkeyPatch, strategy: str) -> None:
    spec = _counter_spec((0, -1, -2, -3, -4))
    monkeypatch.setattr(modelcheck.explore.bfs, "fingerprints_into", _weak_fingerprints)
    monkeypatch.setattr(modelcheck.explore.dfs, "fingerprint", lambda s: fingerprint(s) & 1)
    # Without the audit the broken fingerprint merges states, silently: a false ✓.
    blind = check(spec, strategy=strategy)
    assert blind.status == "ok" and blind.stats.distinct_states <= 2
    audited = check(spec, strategy=strategy, audit=True)
    assert audited.status == "error" and audited.error is not None
    assert "fingerprint collision" in audited.error
    assert isinstance(audited.details["exception"], FingerprintCollision)


def test_audit_from_the_command_line(cli_result: CliResult) -> None:
    r = cli_result(["verify", "two-phase-commit", "--audit", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["stats"]["distinct_states"] == 288
    r = cli_result(["verify", "two-phase-commit", "--audit"])
    assert "audit: no fingerprint collision (858 states met again compared in full)" in r.output
    for extra in (["--workers", "2"], ["--strategy", "random"], ["--checkpoint", "x"]):
        r = cli_result(["verify", "two-phase-commit", "--audit", *extra])
        assert r.exit_code == 2 and "--audit" in r.output, r.output
    with pytest.raises(UsageError):
        check(modelcheck.load_spec("two-phase-commit"), audit=True, workers=2)


def test_audit_direct() -> None:
    audit = Audit()
    audit.check([1, 2, 1], [(1,), (2,), (1,)])
    assert audit.summary() == {"states": 2, "compared": 1, "collisions": 0}
    with pytest.raises(FingerprintCollision, match="share the fingerprint"):
        audit.check([2], [(True,)])


# -- the reported collision probability ------------------------------------------------------------


def test_collision_probability() -> None:
    assert collision_probability(10, 10) == 0.0
    assert collision_probability(2**20, 2**21) == pytest.approx(2**40 / 2**64)
    assert collision_probability(2**20, 2**21, depth=3) == pytest.approx(3 * 2**40 / 2**64)
    assert collision_probability(2**40, 2**50) == 1.0
    assert nesting(1) == 1 and nesting(()) == 1 and nesting((1, (2,))) == 3
    assert nesting(Point(1)) == 2 and nesting(Box((1,))) == 3


def test_the_deepest_nesting_of_many_values_measures_shared_parts_once() -> None:
    shared = (1, (2,))
    values = [Box(shared), Box(shared), Point(1), (shared, frozenset({shared}))]
    assert deepest_nesting(values) == max(nesting(v) for v in values) == 5
    assert deepest_nesting([]) == 1 and deepest_nesting([1, "a", None]) == 1
    # A part met again after others deeper than it is still measured as itself.
    assert deepest_nesting([(shared,), shared, ((shared,),)]) == 5


def test_the_result_reports_the_probability_for_the_states_nesting() -> None:
    result = check(modelcheck.load_spec("two-phase-commit"), temporal=False)
    stats = result.stats
    # TwoPhase's initial state: a record of a tuple of strings, frozensets of records...
    depth = 3
    assert stats.collision_probability == pytest.approx(
        depth * stats.distinct_states * (stats.generated_states - stats.distinct_states)
        / 2**64)
