"""Config parameters: every value is checked against the domain its field declares.

A value outside its field's domain (a misspelt choice, a size below what the protocol
needs) would otherwise check some other model and report its verdict as the one asked
for: each is a usage error (exit 2) naming the field, the value and the valid values.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck import (
    Between,
    Record,
    Spec,
    SpecDefinitionError,
    Step,
    Trace,
    UsageError,
    bind,
    check,
    load_spec,
)
from modelcheck.catalogue import entries
from modelcheck.network import Faults
from modelcheck.params import parameters
from modelcheck.trace import model_for

if TYPE_CHECKING:
    from conftest import InvokeOutput


# -- values that checked another model ------------------------------------------------------


@pytest.mark.parametrize(("spec", "param", "expected"), [
    ("replication", "mode=quorom", ["mode='quorom'", "quorum", "sync", "async"]),
    ("saga", "style=orchestrate", ["style='orchestrate'", "orchestrated", "choreographed"]),
    ("raft", "timeouts=randomized", ["timeouts='randomized'", "randomised", "nondeterministic"]),
    ("raft", "network=lifo", ["network='lifo'", "bag", "fifo"]),
    ("two-phase-commit", "rms=-1", ["rms='-1'", "out of range", ">= 1"]),
    ("raft", "servers=0", ["servers='0'", "out of range", "2 .. 9"]),
    ("two-phase-commit", "rms=2.5", ["rms='2.5'", "whole number"]),
    ("two-phase-commit", "tm_commit_early=maybe", ["tm_commit_early='maybe'", "true", "false"]),
    ("two-phase-commit", "tm_commit_early=on", ["tm_commit_early='on'", "true", "false"]),
])
def test_a_value_outside_its_domain_is_a_usage_error(invoke_output: InvokeOutput, spec: str,
                                                     param: str, expected: list[str]) -> None:
    code, out = invoke_output("verify", spec, "--param", param, "-q", "--max-states", "5000")
    assert code == 2, out
    assert "Traceback" not in out and "distinct states" not in out
    for text in expected:
        assert text in out, (text, out)


def test_the_json_error_names_the_field_and_its_choices(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("verify", "replication", "--param", "mode=quorom", "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert "mode='quorom'" in error and "quorum, sync, async" in error


@pytest.mark.slow
def test_the_real_mode_explores_the_full_model(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("verify", "replication", "--param", "mode=quorum", "--json")
    assert code == 0
    assert json.loads(out)["stats"]["distinct_states"] == 71616


def test_a_quorum_larger_than_the_replicas_is_a_usage_error(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("verify", "replication", "--param", "write_quorum=4", "-q")
    assert code == 2 and "Traceback" not in out
    assert "write_quorum=4" in out and "replicas=3" in out and "at most" in out
    # other modes ignore the quorum sizes: one replica is a model of its own there
    spec = load_spec("replication")
    assert bind(spec, params={"mode": "sync", "replicas": 1}).config.replicas == 1


def test_a_bad_value_is_refused_before_a_checkpoint_is_read(invoke_output: InvokeOutput,
                                                            tmp_path: Path) -> None:
    code, out = invoke_output("verify", "two-phase-commit", "--resume", str(tmp_path / "none"),
                              "--param", "rms=0")
    assert code == 2 and "rms='0'" in out and ">= 1" in out


def test_a_bad_fault_budget_names_the_valid_faults(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("verify", "two-phase-commit", "--param", "faults=bogus=1")
    assert code == 2 and "faults='bogus=1'" in out and "valid faults: loss" in out


# -- each kind of annotation ----------------------------------------------------------------


class Colour(enum.Enum):
    """An enum parameter: given by member name."""

    RED = 1
    GREEN = 2


class Budget:
    """A type that parses and checks its own values, as network.Faults does."""

    seen: ClassVar[list[object]] = []

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Budget) and other.n == self.n

    def __hash__(self) -> int:
        return hash(self.n)

    @classmethod
    def from_param(cls, value: str | Budget) -> Budget:
        cls.seen.append(value)
        n = value.n if isinstance(value, Budget) else int(value)
        if n > 5:
            raise UsageError(f"a budget is at most 5, got {n}")
        return cls(n)


@dataclass(frozen=True)
class Kinds:
    """One field of every kind of annotation."""

    mode: Literal["sync", "async", "quorum"] = "sync"
    colour: Colour = Colour.RED
    size: Annotated[int, Between(1, 12)] = 3
    low: Annotated[int, Between(0)] = 0
    ratio: Annotated[float, Between(0.0, 1.0)] = 0.5
    flag: bool = False
    count: int = 0
    ids: tuple[Annotated[int, Between(0, 3)], ...] = ()
    modes: tuple[Literal["a", "b"], ...] = ("a",)
    pair: tuple[int, bool] = (0, False)
    budget: Budget = Budget(1)  # noqa: RUF009 - immutable in practice
    label: str = "x"
    anything: Any = None
    maybe: Annotated[int, Between(1)] | None = None


P = parameters(Kinds)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("mode", "async", "async"),
    ("colour", "GREEN", Colour.GREEN),
    ("colour", Colour.GREEN, Colour.GREEN),
    ("size", "12", 12),
    ("size", 1, 1),
    ("low", "1000000", 1000000),
    ("ratio", "0.25", 0.25),
    ("ratio", 1, 1.0),
    ("flag", "yes", True),
    ("flag", "FALSE", False),
    ("flag", "1", True),
    ("flag", True, True),
    ("count", "-7", -7),
    ("ids", "0, 3,1", (0, 3, 1)),
    ("ids", "", ()),
    ("ids", (2,), (2,)),
    ("modes", "b,a", ("b", "a")),
    ("pair", "4,no", (4, False)),
    ("budget", "5", Budget(5)),
    ("budget", Budget(2), Budget(2)),
    ("label", "any text, at all", "any text, at all"),
    ("anything", [1, 2], [1, 2]),
    ("maybe", "none", None),
    ("maybe", "4", 4),
    ("maybe", None, None),
])
def test_each_kind_of_annotation_admits_its_values(name: str, value: object,
                                                   expected: object) -> None:
    got = P[name].convert(value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("mode", "Sync", "mode='Sync' is not one of the choices; valid values: sync, async, quorum"),
    ("mode", 1, "valid values: sync, async, quorum"),
    ("colour", "red", "valid values: RED, GREEN"),
    ("colour", "Colour.RED", "valid values: RED, GREEN"),
    ("colour", 1, "valid values: RED, GREEN"),
    ("size", "0", "size='0' is out of range; valid values: 1 .. 12"),
    ("size", 13, "size=13 is out of range; valid values: 1 .. 12"),
    ("size", True, "size=True is a bool, not a whole number"),
    ("size", 3.0, "size=3.0 is a float, not a whole number"),
    ("size", "2.5", "size='2.5' is not a whole number"),
    ("size", "3e2", "is not a whole number"),
    ("low", -1, "valid values: >= 0"),
    ("ratio", "1.5", "ratio='1.5' is out of range; valid values: 0.0 .. 1.0"),
    ("ratio", "nan", "is not a number"),
    ("ratio", False, "is a bool, not a number"),
    ("flag", "on", "flag='on' is not a boolean"),
    ("flag", 1, "flag=1 is an int, not a bool"),
    ("flag", "", "is not a boolean"),
    ("count", True, "count=True is a bool, not a whole number"),
    ("ids", "1,5", "ids='1,5' has item '5', which is out of range; valid values: "
                   "comma-separated items, each 0 .. 3"),
    ("ids", [1], "ids=[1] is a list, not a tuple"),
    ("modes", "a,c", "has item 'c', which is not one of the choices"),
    ("pair", "1", "has 1 items, not 2"),
    ("budget", "6", "budget='6' is not a valid Budget: a budget is at most 5, got 6"),
    ("budget", "x", "is not a valid Budget"),
    ("label", 3, "label=3 is an int, not text"),
    ("maybe", "0", "maybe='0' is none of them; valid values: >= 1 or none"),
])
def test_a_value_outside_the_annotation_names_the_field_and_the_valid_values(
        name: str, value: object, message: str) -> None:
    with pytest.raises(UsageError) as e:
        P[name].convert(value)
    assert message in str(e.value)


def test_a_type_with_from_param_checks_text_and_instances_alike() -> None:
    Budget.seen.clear()
    P["budget"].convert("3")
    P["budget"].convert(Budget(4))
    assert Budget.seen == ["3", Budget(4)]
    with pytest.raises(UsageError, match="at most 5"):
        P["budget"].convert(Budget(9))


def test_json_values_arrive_as_a_trace_records_them() -> None:
    assert P["ids"].convert([0, 2], as_json=True) == (0, 2)
    assert P["pair"].convert([1, True], as_json=True) == (1, True)
    assert P["colour"].convert("GREEN", as_json=True) is Colour.GREEN
    with pytest.raises(UsageError, match="out of range"):
        P["ids"].convert([0, 7], as_json=True)


def _near(words: list[str]) -> st.SearchStrategy[str]:
    """``words`` as written, and each with its case changed or space around it: random
    text alone is almost never one of them, and the tests' admitting branch never ran."""
    return st.sampled_from(words) | st.builds(
        lambda w, upper, before, after: before + (w.upper() if upper else w.title()) + after,
        st.sampled_from(words), st.booleans(), st.sampled_from(["", " ", "\t"]),
        st.sampled_from(["", " ", "\n"]))


@given(st.text() | _near(["sync", "async", "quorum"]))
def test_a_literal_admits_exactly_its_choices(text: str) -> None:
    try:
        value = P["mode"].convert(text)
    except UsageError as e:
        assert text not in ("sync", "async", "quorum")
        assert "valid values: sync, async, quorum" in str(e)
    else:
        assert value == text and text in ("sync", "async", "quorum")


@given(st.integers() | st.text(max_size=8) | st.integers(-2, 15)
       | st.integers(-2, 15).map(str))
def test_a_range_admits_exactly_the_numbers_in_it(value: int | str) -> None:
    try:
        n = int(value)
    except ValueError:
        n = None
    try:
        got = P["size"].convert(value)
    except UsageError as e:
        assert n is None or not 1 <= n <= 12
        assert "valid values: 1 .. 12" in str(e)
    else:
        assert n is not None and 1 <= n <= 12 and got == n


@given(st.text() | _near(["true", "yes", "1", "false", "no", "0", "on", "off"]))
def test_a_bool_admits_only_its_six_words(text: str) -> None:
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    try:
        got = P["flag"].convert(text)
    except UsageError:
        assert text.strip().lower() not in words
    else:
        assert got is words[text.strip().lower()]


def test_show_domain_text() -> None:
    assert {n: p.describe() for n, p in P.items()} == {
        "mode": "sync, async, quorum", "colour": "RED, GREEN", "size": "1 .. 12",
        "low": ">= 0", "ratio": "0.0 .. 1.0", "flag": "true or false", "count": None,
        "ids": "comma-separated items, each 0 .. 3", "modes": "comma-separated items, each a, b",
        "pair": "2 comma-separated items", "budget": None, "label": None, "anything": None,
        "maybe": ">= 1 or none"}
    assert {n for n, p in P.items() if not p.declared} == {"count", "label", "anything",
                                                          "pair"}


# -- where values come from -----------------------------------------------------------------


class S(Record):
    """A counter."""

    n: int


def kinds_spec(config: type = Kinds) -> Spec:
    spec = Spec("kinds", config, S)

    @spec.init
    def init(cfg: Any) -> S:
        return S(0)

    @spec.action
    def step(cfg: Any, s: S) -> S | None:
        return None

    return spec


def test_check_and_bind_take_typed_values_and_parse_text() -> None:
    spec = kinds_spec()
    cfg = bind(spec, params={"colour": Colour.GREEN, "ids": (1, 2), "size": "4",
                             "budget": Budget(2), "flag": "yes"}).config
    assert (cfg.colour, cfg.ids, cfg.size, cfg.budget, cfg.flag) == (
        Colour.GREEN, (1, 2), 4, Budget(2), True)
    with pytest.raises(UsageError, match=r"spec 'kinds': parameter size=1.5 is a float"):
        bind(spec, params={"size": 1.5})
    with pytest.raises(UsageError, match=r"parameter ids=\[1, 2\] is a list, not a tuple"):
        check(spec, params={"ids": [1, 2]})


def test_a_catalogue_check_with_typed_values_still_runs() -> None:
    spec = load_spec("two-phase-commit")
    typed = check(spec, params={"rms": 3, "faults": Faults("crash=1")}, temporal=False)
    text = check(spec, params={"rms": "3", "faults": "crash=1"}, temporal=False)
    assert typed.params == text.params and typed.params["faults"] == "crash=1"
    assert typed.status == text.status == "ok"
    assert typed.stats.distinct_states == text.stats.distinct_states


def test_a_variant_outside_the_domain_is_refused_when_declared() -> None:
    spec = kinds_spec()
    with pytest.raises(SpecDefinitionError,
                       match=r"spec 'kinds', variant 'big': parameter size=99 is out of range"):
        spec.variant("big", params={"size": 99})
    with pytest.raises(SpecDefinitionError, match=r"variant 'typo': parameter mode='snyc'"):
        spec.variant("typo", params={"mode": "snyc"})
    spec.variant("text", params={"size": "5"})
    assert bind(spec, "text").config.size == 5


@dataclass(frozen=True)
class Quorums:
    """Two fields that must fit together."""

    nodes: Annotated[int, Between(1)] = 3
    quorum: Annotated[int, Between(1)] = 2

    def __post_init__(self) -> None:
        if self.quorum > self.nodes:
            raise ValueError(f"quorum={self.quorum} is more than nodes={self.nodes}")


def test_fields_that_do_not_fit_together_are_a_usage_error() -> None:
    spec = kinds_spec(Quorums)
    with pytest.raises(UsageError, match=r"spec 'kinds': Quorums\(quorum=4\) is refused: "
                                         r"quorum=4 is more than nodes=3"):
        bind(spec, params={"quorum": "4"})
    with pytest.raises(SpecDefinitionError, match=r"variant 'v'.*quorum=4 is more than"):
        spec.variant("v", params={"quorum": 4})


def test_defaults_outside_their_domain_are_a_definition_error() -> None:
    @dataclass(frozen=True)
    class Bad:
        size: Annotated[int, Between(1, 3)] = 7

    with pytest.raises(SpecDefinitionError,
                       match=r"default of Bad.size is outside its domain: parameter size=7"):
        Spec("bad", Bad, S)

    @dataclass(frozen=True)
    class Text:
        size: Annotated[int, Between(1, 3)] = "2"  # type: ignore[assignment]

    with pytest.raises(SpecDefinitionError, match=r"default of Text.size is the text '2'"):
        Spec("bad", Text, S)

    @dataclass(frozen=True)
    class Misfit:
        nodes: int = 1
        quorum: int = 2

        def __post_init__(self) -> None:
            if self.quorum > self.nodes:
                raise ValueError("quorum above nodes")

    with pytest.raises(SpecDefinitionError, match=r"default configuration is refused: "
                                                  r".*quorum above nodes"):
        Spec("bad", Misfit, S)


def test_a_range_on_a_field_that_is_not_a_number_is_a_definition_error() -> None:
    @dataclass(frozen=True)
    class Wrong:
        name: Annotated[str, Between(1)] = "a"

    with pytest.raises(SpecDefinitionError, match=r"Wrong\.name: Between applies to int "
                                                  r"and float fields, not to str"):
        Spec("bad", Wrong, S)
    with pytest.raises(SpecDefinitionError, match="min is above max"):
        Between(3, 1)
    with pytest.raises(SpecDefinitionError, match="bounds must be numbers"):
        Between("1")  # type: ignore[arg-type]


def test_a_trace_with_a_value_outside_its_domain_is_refused() -> None:
    spec = load_spec("replication")
    good = bind(spec)
    trace = Trace("replication", None, {**good.params, "mode": "quorom"},
                  (Step("init", {}, {}),))
    with pytest.raises(UsageError, match="trace's parameters are not valid for spec "
                                         "'replication': parameter mode='quorom'"):
        model_for(spec, trace)
    trace = Trace("replication", None, {**good.params, "replicas": 0}, (Step("init", {}, {}),))
    with pytest.raises(UsageError, match="replicas=0 is out of range"):
        model_for(spec, trace)


@pytest.mark.parametrize("name", sorted(entries()))
def test_every_catalogue_configuration_reads_back_from_its_trace(name: str) -> None:
    spec = entries()[name]
    for variant in (None, *spec.variants):
        model = bind(spec, variant)
        recorded = json.loads(json.dumps(model.params))
        trace = Trace(spec.name, variant, recorded, (Step("init", {}, {}),))
        assert model_for(spec, trace).config == model.config


# -- the catalogue declares its domains ----------------------------------------------------


SPEC_FILES = sorted((Path(__file__).parent).glob("specs_*/*.py"))


@pytest.mark.parametrize("name", sorted(entries()))
def test_every_catalogue_parameter_declares_its_domain(name: str) -> None:
    undeclared = [p.name for p in parameters(entries()[name].config).values() if not p.declared]
    assert undeclared == []


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_test_spec_parameter_declares_its_domain(path: Path) -> None:
    spec = load_spec(str(path))
    # A test spec may take free text (a graph as JSON); anything else declares its values.
    undeclared = [p.name for p in parameters(spec.config).values()
                  if not p.declared and p.hint is not str]
    assert undeclared == []


@settings(max_examples=200, deadline=None)
@given(st.data())
@pytest.mark.slow
def test_any_text_for_any_catalogue_parameter_binds_or_is_a_usage_error(
        data: st.DataObject) -> None:
    spec = entries()[data.draw(st.sampled_from(sorted(entries())))]
    table = parameters(spec.config)
    name = data.draw(st.sampled_from(sorted(table)))
    text = data.draw(st.text(max_size=6) | st.integers(-3, 40).map(str)
                     | st.sampled_from(["true", "no", "none", "crash=1", "bag", "sync"]))
    try:
        cfg = spec.params_of(params={name: text})
    except UsageError as e:
        assert f"parameter {name}=" in str(e) or "is refused" in str(e)
    else:
        assert table[name].convert(getattr(cfg, name)) == getattr(cfg, name)


def test_show_prints_each_domain_next_to_its_type_and_default(invoke_output: InvokeOutput) -> None:
    code, out = invoke_output("show", "replication")
    assert code == 0
    for line in ("  replicas: int = 3 (valid: >= 1)",
                 "  mode: str = quorum (valid: quorum, sync, async)",
                 "  read_repair: bool = True (valid: true or false)",
                 "  faults: Faults = crash=1\n"):
        assert line in out, line
    _, out = invoke_output("show", "raft")
    assert "  servers: int = 3 (valid: 2 .. 9)" in out
    assert ("  timeouts: str = stabilising (valid: stabilising, randomised, nondeterministic)"
            in out)


def test_the_readme_shows_the_error_as_it_reads(invoke_output: InvokeOutput,
                                                 readme: str) -> None:
    shown = re.search(r"```sh\n\$ modelcheck verify (replication --param mode=quorom)\n"
                      r"(.*?)\n```", readme, re.S)
    assert shown is not None
    code, out = invoke_output("verify", *shown.group(1).split())
    assert code == 2 and out.strip() == shown.group(2)
