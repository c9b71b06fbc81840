"""The spec API rejects malformed definitions when they are written, naming the fix."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import pytest

from modelcheck import Record, Spec, SpecDefinitionError, UsageError, bind, set_at
from modelcheck.state import defaults, to_json


@dataclass(frozen=True)
class Config:
    n: int = 2
    flag: bool = False


class State(Record):
    xs: tuple[int, ...]


def make_spec() -> Spec:
    return Spec("toy", Config, State)


def test_record_fields_replace_equality_and_repr() -> None:
    class Point(Record):
        x: int
        y: int = 0

    class Other(Record):
        x: int
        y: int = 0

    p = Point(1)
    assert (p.x, p.y) == (1, 0)
    assert p.replace(y=5) == Point(1, 5)
    assert p.replace(y=5).x == 1
    assert repr(p) == "Point(x=1, y=0)"
    assert Point(1, 0) != Other(1, 0)  # the record type is part of the value
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert Point._fields == ("x", "y")
    with pytest.raises(TypeError, match="unexpected keyword"):
        p.replace(z=1)


def test_empty_records_of_different_types_differ() -> None:
    class Commit(Record):
        pass

    class Abort(Record):
        pass

    assert Commit() == Commit()
    assert Commit() != Abort()
    assert len({Commit(), Abort()}) == 2


def test_record_rejects_reserved_and_misordered_fields() -> None:
    with pytest.raises(TypeError, match="reserved"):
        class Bad(Record):
            replace: int
    with pytest.raises(TypeError, match="reserved"):
        class Bad1(Record):
            _hidden: int
    with pytest.raises(TypeError, match="has no default"):
        class Bad2(Record):
            a: int = 0
            b: int


class Budgets(Record):
    """A module-level record, so that its defaults form pickles."""

    loss: int = 0
    crash: int = 0
    down: frozenset[int] = frozenset()


def test_defaults_form_reads_like_the_default_record() -> None:
    d = defaults(Budgets)
    full = Budgets()
    assert (d.loss, d.crash, d.down) == (full.loss, full.crash, full.down) == (0, 0, frozenset())
    assert isinstance(d, Budgets) and len(d) == 1  # only the type tag is held
    assert defaults(Budgets) is d
    assert repr(d) == "Budgets()" and to_json(d) == {"$type": "Budgets"}
    assert d != full and hash(d) == hash(defaults(Budgets))
    assert d.replace(crash=0, down=frozenset()) is d  # nothing changes: the same value
    changed = d.replace(crash=1)  # an ordinary record again
    assert changed == full.replace(crash=1) and len(changed) == 4
    assert pickle.loads(pickle.dumps(d)) is d


def test_defaults_form_needs_every_default() -> None:
    class NoDefault(Record):
        x: int

    with pytest.raises(TypeError, match=r"\['x'\] have no default"):
        defaults(NoDefault)


def test_set_at() -> None:
    assert set_at((1, 2, 3), 1, 9) == (1, 9, 3)


def test_config_must_be_frozen_dataclass_with_defaults() -> None:
    @dataclass
    class Mutable:
        n: int = 1

    @dataclass(frozen=True)
    class NoDefault:
        n: int

    with pytest.raises(SpecDefinitionError, match="frozen"):
        Spec("x", Mutable)
    with pytest.raises(SpecDefinitionError, match="no default"):
        Spec("x", NoDefault)
    with pytest.raises(SpecDefinitionError, match="frozen dataclass"):
        Spec("x", dict)


def test_action_with_undeclared_argument_names_function_and_fix() -> None:
    spec = make_spec()
    with pytest.raises(SpecDefinitionError) as e:
        @spec.action
        def bump(cfg: Config, s: State, i: int) -> State | None:
            return None
    assert "bump" in str(e.value) and "'i'" in str(e.value) and "i=lambda cfg" in str(e.value)
    assert isinstance(e.value, TypeError)


def test_domain_naming_no_parameter_is_rejected() -> None:
    spec = make_spec()
    with pytest.raises(SpecDefinitionError, match=r"domains \['j'\] name no parameter"):
        @spec.action(i=range(2), j=range(2))
        def bump(cfg: Config, s: State, i: int) -> State | None:
            return None


def test_action_must_take_cfg_and_state() -> None:
    spec = make_spec()
    with pytest.raises(SpecDefinitionError, match=r"must start with \(cfg, state\)"):
        @spec.action
        def bump(s: State) -> State | None:
            return None


def test_property_that_is_not_a_predicate() -> None:
    spec = make_spec()
    with pytest.raises(SpecDefinitionError, match="predicate"):
        @spec.always
        def one_arg(s: State) -> bool:
            return True
    with pytest.raises(SpecDefinitionError, match="return a bool"):
        @spec.always
        def returns_int(cfg: Config, s: State) -> int:
            return 1
    with pytest.raises(SpecDefinitionError, match=r"\(cfg, before, after\)"):
        @spec.action_property
        def two_args(cfg: Config, s: State) -> bool:
            return True


def test_duplicate_names_are_rejected() -> None:
    spec = make_spec()

    @spec.always
    def safe(cfg: Config, s: State) -> bool:
        return True

    with pytest.raises(SpecDefinitionError, match="already a property"):
        @spec.action(name="safe")
        def other(cfg: Config, s: State) -> State | None:
            return None
    spec.variant("v", params={"flag": True}, violates="safe")
    with pytest.raises(SpecDefinitionError, match="declared twice"):
        spec.variant("v")


def test_variant_with_unknown_param_lists_valid_names() -> None:
    spec = make_spec()
    with pytest.raises(SpecDefinitionError, match=r"valid names: \['flag', 'n'\]"):
        spec.variant("bad", params={"nope": 1})


def test_variant_expecting_unknown_property_is_caught_on_validate() -> None:
    spec = make_spec()

    @spec.init
    def init(cfg: Config) -> State:
        return State((0,) * cfg.n)

    @spec.action
    def step(cfg: Config, s: State) -> State | None:
        return None

    spec.variant("v", violates="no_such_property")
    with pytest.raises(SpecDefinitionError, match="not a property"):
        spec.validate()


def test_spec_without_init_or_actions_is_rejected_when_bound() -> None:
    spec = make_spec()
    with pytest.raises(SpecDefinitionError, match="no initial state"):
        bind(spec)

    @spec.init
    def init(cfg: Config) -> State:
        return State((0,))

    with pytest.raises(SpecDefinitionError, match="no actions"):
        bind(spec)


def test_params_are_coerced_and_unknown_ones_listed() -> None:
    spec = make_spec()

    @spec.init
    def init(cfg: Config) -> State:
        return State((0,) * cfg.n)

    @spec.action(i=lambda cfg: range(cfg.n))
    def bump(cfg: Config, s: State, i: int) -> State | None:
        return State(set_at(s.xs, i, 1)) if s.xs[i] == 0 else None

    model = bind(spec, params={"n": "3", "flag": "true"})
    assert model.config == Config(3, True)
    assert [i.label() for i in model.instances] == ["bump(i=0)", "bump(i=1)", "bump(i=2)"]
    with pytest.raises(UsageError, match="valid parameters: flag, n"):
        bind(spec, params={"m": "1"})
    with pytest.raises(UsageError, match="n='x'"):
        bind(spec, params={"n": "x"})
    with pytest.raises(UsageError, match="no variant 'v'; valid variants: none"):
        bind(spec, variant="v")


def test_init_with_domains_gives_several_initial_states() -> None:
    spec = make_spec()

    @spec.init(start=lambda cfg: range(cfg.n))
    def init(cfg: Config, start: int) -> State | None:
        return State((start,))

    @spec.action
    def stay(cfg: Config, s: State) -> State | None:
        return s

    model = bind(spec, params={"n": 3})
    assert [s for _, s in model.initial_states()] == [State((0,)), State((1,)), State((2,))]
