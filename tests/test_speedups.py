"""The compiled record helpers behave exactly like their pure-Python versions."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelcheck import Record, check, load_spec
from modelcheck import _speedups as speedups
from modelcheck.state import ACCELERATED, _set_at


def test_the_installed_package_is_accelerated() -> None:
    # The test install builds the extension; a silent fallback would cost a third of the
    # speed of every spec.
    assert ACCELERATED


@given(st.lists(st.integers(), max_size=8), st.integers(-10, 10), st.integers())
def test_set_at_matches_the_pure_version(items: list[int], index: int, value: int) -> None:
    t = tuple(items)
    try:
        want: tuple[int, ...] | type[BaseException] = _set_at(t, index, value)
    except IndexError:
        want = IndexError
    if want is IndexError:
        with pytest.raises(IndexError):
            speedups.set_at(t, index, value)
    else:
        got = speedups.set_at(t, index, value)
        assert got == want and type(got) is tuple


def test_set_at_rejects_what_a_list_would() -> None:
    with pytest.raises(TypeError):
        speedups.set_at([1, 2], 0, 1)
    with pytest.raises(TypeError):
        speedups.set_at((1, 2), "0", 1)


class Point(Record):
    x: int
    y: int = 0


class Other(Record):
    x: int
    y: int = 0


def test_records_built_in_c() -> None:
    p = Point(1)
    assert p == Point(1, 0) and hash(p) == hash(Point(1, 0)) and p != Other(1)
    assert p.replace(y=5) == Point(1, 5) and type(p.replace(y=5)) is Point
    assert p.replace() == p
    assert p.replace(x=2, y=3) == Point(2, 3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        p.replace(z=1)
    with pytest.raises(TypeError, match="keyword arguments only"):
        p.replace(1)  # type: ignore[call-arg]
    assert pickle.loads(pickle.dumps(p)) == p
    assert speedups.make(Point, "Point", 1, 2) == Point(1, 2)


_IDENTITY = """
import json
from collections import namedtuple
from modelcheck import Record, set_at
from modelcheck.fingerprint import fingerprint
class P(Record):
    x: int
    y: tuple = ()
p = P(1, (True, False))
T = namedtuple("T", "a b")
out = [
    p.replace(x=1) is p, p.replace(y=p.y) is p, p.replace(x=1, y=p.y) is p, p.replace() is p,
    p.replace(x=2) is p, p.replace(x=True) is p, p.replace(y=tuple([True, False])) is p,
    type(p.replace(x=True).x).__name__,
    fingerprint(p.replace(x=True)) != fingerprint(p),
    set_at(p.y, 0, True) is p.y, set_at(p.y, 0, 1) is p.y, type(set_at(p.y, 0, 1)[0]).__name__,
    type(set_at(T(1, 2), 0, 1)).__name__,
]
print(json.dumps(out))
"""


def test_a_change_to_the_very_same_objects_returns_the_value_itself() -> None:
    # A step that changes nothing allocates nothing; a value that is equal but not the same
    # object (1 and True) is a change, as the fingerprints tell them apart.
    env = {k: v for k, v in os.environ.items() if k != "MODELCHECK_PURE_PYTHON"}
    envs = (env, {**env, "MODELCHECK_PURE_PYTHON": "1"})
    outs = [subprocess.run([sys.executable, "-c", _IDENTITY], capture_output=True, text=True,
                           env=e, check=True).stdout for e in envs]
    want = [True, True, True, True, False, False, False, "bool", True, True, False, "int",
            "tuple"]
    assert [json.loads(o) for o in outs] == [want, want]


def _run(env: dict[str, str]) -> list[object]:
    code = (
        "import json\n"
        "from modelcheck import check, load_spec\n"
        "from modelcheck.state import ACCELERATED\n"
        "out = [ACCELERATED]\n"
        "for name, variant, params in [('two-phase-commit', None, {'rms': 5}),"
        " ('raft', None, {'max_log_len': 0}), ('raft', None, {'timeouts': 'randomised'}),"
        " ('raft', 'vote-twice', {})]:\n"
        "    r = check(load_spec(name), variant=variant, params=params)\n"
        "    out.append([r.status, r.stats.distinct_states, r.stats.generated_states,"
        " r.violation.trace.to_json() if r.violation else None])\n"
        "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    result: list[object] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_pure_python_and_c_explore_identically() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MODELCHECK_PURE_PYTHON"}
    fast = _run(env)
    pure = _run(dict(env, MODELCHECK_PURE_PYTHON="1"))
    assert fast[0] is True and pure[0] is False
    assert fast[1:] == pure[1:]
    r = check(load_spec("two-phase-commit"), params={"rms": 5})
    assert fast[1] == ["ok", r.stats.distinct_states, r.stats.generated_states, None]
