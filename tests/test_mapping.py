"""Maps and model values in states, and record fields named like tuple methods.

TwoPhase.tla ported with ``rmState`` a :class:`~modelcheck.Map` over model values
(``tests/specs_mapping/two_phase_map.py``) has the counts of the catalogue's tuple-based
port, TLC's, with and without symmetry reduction; its reduced count is also found by brute
force, every state renamed by every permutation by hand. Fingerprints never merge two
distinct maps, and maps travel through JSON, ITF, traces, replay and pickling.
"""

from __future__ import annotations

import doctest
import itertools
import json
import os
import pickle
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from test_symmetry import reachable

import modelcheck.state
from modelcheck import (
    Map,
    ModelValue,
    Record,
    Spec,
    SpecRuntimeError,
    Symmetric,
    Trace,
    check,
    load_spec,
    model_values,
    to_json,
)
from modelcheck.fingerprint import fingerprint, fingerprint_py, identical, nesting
from modelcheck.itf import encode
from modelcheck.model import bind
from modelcheck.render.output import render_as
from modelcheck.render.text import render_trace
from modelcheck.symmetry import canonicalizer
from modelcheck.trace import model_for, replay
from modelcheck_specs import two_phase_commit as tpc

if TYPE_CHECKING:
    from conftest import CliResult

SPEC_FILE = Path(__file__).parent / "specs_mapping" / "two_phase_map.py"
R1, R2, R3 = model_values("r", 3)


@cache
def spec() -> Spec:
    return load_spec(str(SPEC_FILE))


# -- counts: those of the tuple-based port (TLC's) ------------------------------------------


@pytest.mark.parametrize(("rms", "distinct", "generated"), [
    (3, 288, 1_146), (4, 1_568, 8_258)])
def test_counts_equal_the_tuple_based_port(rms: int, distinct: int, generated: int) -> None:
    r = check(spec(), params={"rms": rms})
    t = check(tpc.spec, params={"rms": rms}, temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states, r.stats.depth) == (
        distinct, generated, 3 * rms + 2) == (
        t.stats.distinct_states, t.stats.generated_states, t.stats.depth)


@pytest.mark.parametrize(("rms", "distinct", "generated"), [(3, 80, 318), (4, 166, 869)])
@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_counts_with_symmetry_equal_the_tuple_based_port(strategy: str, rms: int,
                                                         distinct: int, generated: int) -> None:
    r = check(spec(), params={"rms": rms}, symmetry=True, strategy=strategy)
    t = check(tpc.spec, params={"rms": rms}, symmetry=True, strategy=strategy, temporal=False)
    assert r.status == "ok" and r.exhaustive
    assert (r.stats.distinct_states, r.stats.generated_states) == (distinct, generated) == (
        t.stats.distinct_states, t.stats.generated_states)


def _renamed(s: Any, perm: tuple[int, ...]) -> Any:
    """State ``s`` with RM ``i`` renamed ``perm[i]``, written out for this spec."""
    rms = model_values("r", len(perm))

    def rm(v: ModelValue) -> ModelValue:
        return rms[perm[v]]
    msgs = frozenset(type(m)(rm(m.rm)) if hasattr(m, "rm") else m for m in s.msgs)
    return s.replace(rm_state=Map({rm(k): v for k, v in s.rm_state.items()}),
                     tm_prepared=frozenset(map(rm, s.tm_prepared)), msgs=msgs)


def test_the_reduced_count_is_the_number_of_orbits_by_brute_force() -> None:
    model = bind(spec(), params={"rms": 3})
    forms = {min(json.dumps(to_json(_renamed(s, p)), sort_keys=True)
                 for p in itertools.permutations(range(3)))
             for s in reachable(model)}
    reduced = check(spec(), params={"rms": 3}, symmetry=True)
    assert len(forms) == 80 == reduced.stats.distinct_states


def test_the_canonical_form_renames_keys_and_values() -> None:
    model = bind(spec(), params={"rms": 3})
    canon = canonicalizer(model.spec, model.config)
    states = reachable(model)
    for s in states[::7]:
        image = canon(s)
        assert all(canon(_renamed(s, p)) == image for p in itertools.permutations(range(3)))
        assert all(type(k) is type(R1) for k in image.rm_state)
    # A plain int where the set's model values belong is refused, naming the field.
    bad = states[0].replace(rm_state=Map.fromkeys(range(3), "working"))
    with pytest.raises(SpecRuntimeError, match="rm_state"):
        canon(bad)


# -- maps whose values hold elements too, inside records inside sets -------------------------


@dataclass(frozen=True)
class VoteConfig:
    """Voters vote once each for a voter; a voter who has seen every vote may snapshot them."""

    voters: int = 3


VOTERS = Symmetric("Voter", size="voters", prefix="v")
Voter = Annotated[ModelValue, VOTERS]


class Snap(Record):
    """``owner`` saw the votes ``seen``."""

    owner: Voter
    seen: Map[Voter, Voter]


class VoteState(Record):
    """Who voted for whom, and the snapshots taken."""

    votes: Map[Voter, Voter]
    snaps: frozenset[Snap]


votes_spec = Spec("votes", VoteConfig, VoteState)


@votes_spec.init
def votes_init(cfg: VoteConfig) -> VoteState:
    """Nobody has voted."""
    return VoteState(Map(), frozenset())


@votes_spec.action(a=VOTERS.elements, b=VOTERS.elements)
def vote(cfg: VoteConfig, s: VoteState, a: ModelValue, b: ModelValue) -> VoteState | None:
    """``a`` votes for ``b``."""
    if a in s.votes:
        return None
    return s.replace(votes=s.votes.set(a, b))


@votes_spec.action(a=VOTERS.elements)
def snap(cfg: VoteConfig, s: VoteState, a: ModelValue) -> VoteState | None:
    """``a`` records every vote, once."""
    if len(s.votes) < cfg.voters or any(x.owner == a for x in s.snaps):
        return None
    return s.replace(snaps=s.snaps | {Snap(a, s.votes)})


@votes_spec.terminal
def all_snapped(cfg: VoteConfig, s: VoteState) -> bool:
    """Everyone took a snapshot."""
    return len(s.snaps) == cfg.voters


def _renamed_votes(s: VoteState, perm: tuple[int, ...]) -> VoteState:
    vs = model_values("v", len(perm))

    def m(x: Map[ModelValue, ModelValue]) -> Map[ModelValue, ModelValue]:
        return Map({vs[perm[k]]: vs[perm[v]] for k, v in x.items()})
    return VoteState(m(s.votes), frozenset(Snap(vs[perm[x.owner]], m(x.seen)) for x in s.snaps))


def test_maps_of_elements_inside_records_inside_sets_reduce_to_the_orbits() -> None:
    model = bind(votes_spec)
    states = reachable(model)
    forms = {min(json.dumps(to_json(_renamed_votes(s, p)), sort_keys=True)
                 for p in itertools.permutations(range(3)))
             for s in states}
    plain = check(votes_spec)
    reduced = check(votes_spec, symmetry=True)
    assert (plain.status, reduced.status) == ("ok", "ok")
    assert (plain.stats.distinct_states, reduced.stats.distinct_states) == (
        len(states), len(forms)) == (253, 53)


# -- the planted bug, its trace, and the trace's formats -------------------------------------


@pytest.mark.parametrize("symmetry", [False, True])
def test_the_planted_bug_is_found_and_its_trace_reads_by_key(symmetry: bool) -> None:
    r = check(spec(), variant="commit-early", symmetry=symmetry)
    assert r.status == "violation" and r.violation is not None
    trace = r.violation.trace
    assert trace is not None and r.violation.property == "consistent" and trace.length == 5
    text = render_trace(trace, spec=spec())
    assert "rm_state: {r1: working, r2: working, r3: working}" in text
    assert "rm_prepare(rm=r1)\n      rm_state[r1]: working → prepared\n" in text
    assert "tm_prepared + r1" in text
    model = model_for(spec(), trace)
    assert replay(model, trace) == list(trace.states or ())
    back = Trace.loads(trace.dumps())
    assert back.steps[1].state["rm_state"] == {"r1": "prepared", "r2": "working",
                                               "r3": "working"}
    assert back.steps[1].args == {"rm": "r1"}
    assert replay(model_for(spec(), back), back) == list(trace.states or ())
    itf = Trace.loads(render_as(trace, "itf"))
    assert itf == trace and replay(model_for(spec(), itf), itf) == list(trace.states or ())


def test_readme_shows_the_trace(cli_result: CliResult, readme: str) -> None:
    section = re.search(r"### Maps and model values.*?```sh\n\$ (modelcheck verify .*?)\n"
                        r"(.*?)```", readme, re.S)
    assert section is not None
    result = cli_result(section.group(1).split()[1:])
    assert result.exit_code == 1
    for block in section.group(2).split("…\n"):  # each excerpt appears in the output as written
        assert block in result.stdout, block


def test_workers_ship_maps_and_model_values() -> None:
    r = check(spec(), params={"rms": 3}, workers=2)
    assert (r.stats.distinct_states, r.stats.generated_states) == (288, 1_146)
    pytest.importorskip("distributed")
    from modelcheck.explore.distributed.messages import pack, unpack
    states = reachable(bind(spec(), params={"rms": 2}))
    back = unpack(pack(states))
    assert back == states and [fingerprint(s) for s in back] == [fingerprint(s) for s in states]
    assert all(type(k) is type(R1) for s in back for k in s.rm_state)


# -- Map: values, fingerprints, encodings ------------------------------------------------


DISTINCT = [
    Map(), (), frozenset(), Map({0: 1}), Map({1: 0}), Map({0: 1, 1: 0}), (0, 1, 1, 0),
    Map({-1: 0}), Map({-2: 0}), Map({1: 0.0}), Map({True: 0}), Map({1.0: 0}), Map({R1: 0}),
    Map({0: 0}), Map({model_values("s", 1)[0]: 0}), Map({"a": "b"}), Map({"b": "a"}),
    Map({0: Map()}), Map({0: ()}), Map({(0, 1): 2}), Map({0: (1, 2)}), Map({0: None}),
]


def test_unequal_maps_never_share_a_fingerprint() -> None:
    fps = [fingerprint(v) for v in DISTINCT]
    assert fps == [fingerprint_py(v) for v in DISTINCT]  # C and Python agree
    assert len(set(fps)) == len(DISTINCT)
    assert all(identical(a, b) == (i == j) for (i, a), (j, b)
               in itertools.product(enumerate(DISTINCT), repeat=2))
    assert nesting(Map({0: Map({1: (2,)})})) == 6


def test_equal_maps_are_one_value_whatever_their_order() -> None:
    keys = [3, "x", (1, 2), None, R2]
    maps = [Map((k, str(k)) for k in order) for order in itertools.permutations(keys)]
    first = maps[0]
    for m in maps:
        assert m == first and hash(m) == hash(first) and list(m) == list(first)
        assert fingerprint(m) == fingerprint(first) and repr(m) == repr(first)
        assert json.dumps(to_json(m)) == json.dumps(to_json(first))
    assert list(Map({10: "a", 2: "b", 1: "c"})) == [1, 2, 10]
    assert list(Map.fromkeys(reversed(model_values("r", 12)), 0))[-3:] == list(
        model_values("r", 12)[-3:])


def test_map_operations() -> None:
    m = Map({"r2": 2, "r1": 1})
    assert (m["r1"], m.get("r3"), m.get("r3", 0), len(m), "r1" in m) == (1, None, 0, 2, True)
    assert m.set("r1", 1) is m and m.remove("r9") is m
    assert m.set("r3", 3) == Map({"r1": 1, "r2": 2, "r3": 3}) and m == Map({"r1": 1, "r2": 2})
    assert m.remove("r1") == Map({"r2": 2}) and dict(m.items()) == {"r1": 1, "r2": 2}
    assert m != {"r1": 1, "r2": 2} and m != (("r1", 1), ("r2", 2))
    assert repr(m) == "Map({'r1': 1, 'r2': 2})" and len({m, Map({"r1": 1, "r2": 2})}) == 1
    with pytest.raises(KeyError):
        m["r3"]
    assert pickle.loads(pickle.dumps(m)) == m
    state = Map.fromkeys(model_values("r", 2), Map({R1: frozenset({R2})}))
    back = pickle.loads(pickle.dumps(state))
    assert back == state and fingerprint(back) == fingerprint(state)
    assert all(k is v for k, v in zip(back, state))


def test_the_examples_in_the_docstrings_run() -> None:
    assert doctest.testmod(modelcheck.state).failed == 0


def test_model_values() -> None:
    assert (repr(R1), str(R3), f"{R2}", f"{R2:d}", R2 == 1, R2 + 1) == (
        "r1", "r3", "r2", "1", True, 2)
    assert model_values("r", 5)[:3] == (R1, R2, R3) and model_values("r", 1)[0] is R1
    assert pickle.loads(pickle.dumps(R3)) is R3
    assert (to_json(R1), encode(R1), to_json(Map({R1: R2}))) == ("r1", "r1", {"r1": "r2"})
    assert encode(Map({R1: 0, 7: 1})) == {"#map": [["r1", 0], [7, 1]]}
    s1 = model_values("s", 1)[0]
    assert len({fingerprint(R1), fingerprint(s1), fingerprint(0)}) == 3
    with pytest.raises(ValueError, match="prefix"):
        model_values("", 2)
    cfg = spec().config(rms=2)
    assert Symmetric("RM", size="rms", prefix="r").elements(cfg) == (R1, R2)
    assert Symmetric("RM", size="rms").elements(cfg) == (0, 1)


# -- record fields named like tuple methods ---------------------------------------------------


_FIELDS = """
import pickle
from modelcheck.state import Record
import modelcheck.state
from modelcheck.fingerprint import fingerprint, fingerprint_py

class Entry(Record):
    index: int
    count: int = 0
    cls: str = "a"
    self: str = "b"
    type: str = "c"

e = Entry(3, count=4)
f = e.replace(count=5, type="d")
assert (e.index, e.count, f.count, f.type, f.index, f.cls, f.self) == (3, 4, 5, "d", 3, "a", "b")
assert e.replace(index=3) is e and Entry(index=3, count=4) == e
print(repr(f), fingerprint(f) == fingerprint_py(f), fingerprint(f))
"""


class Entry(Record):
    """A log entry whose fields are named like tuple methods, and like Python's names."""

    index: int
    count: int = 0
    cls: str = "a"
    self: str = "b"
    type: str = "c"


def test_fields_named_index_and_count_work_in_c_and_in_python() -> None:
    outs = []
    for pure in ("", "1"):
        env = {**os.environ, "MODELCHECK_PURE_PYTHON": pure}
        if not pure:
            env.pop("MODELCHECK_PURE_PYTHON")
        done = subprocess.run([sys.executable, "-c", _FIELDS], env=env, capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert outs[0].startswith("Entry(index=3, count=5, cls='a', self='b', type='d') True ")
    e = Entry(1).replace(count=2)
    assert (e.index, e.count, pickle.loads(pickle.dumps(e))) == (1, 2, e)
    assert to_json(e) == {"$type": "Entry", "index": 1, "count": 2, "cls": "a", "self": "b",
                          "type": "c"}

