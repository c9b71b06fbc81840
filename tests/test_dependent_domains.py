"""Parameter domains that depend on earlier parameters (``j=lambda cfg, i: ...``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Record, Spec, SpecDefinitionError, UsageError, bind, check

if TYPE_CHECKING:
    from conftest import Invoke


@dataclass(frozen=True)
class Config:
    n: int = 4


class S(Record):
    linked: frozenset[tuple[int, int]]


def make() -> Spec:
    spec = Spec("pairs", Config, S)

    @spec.init
    def init(cfg: Config) -> S:
        return S(frozenset())

    @spec.action(i=lambda cfg: range(cfg.n), j=lambda cfg, i: range(i + 1, cfg.n))
    def link(cfg: Config, s: S, i: int, j: int) -> S | None:
        return None if (i, j) in s.linked else S(s.linked | {(i, j)})

    return spec


def test_a_domain_ranges_over_values_that_depend_on_earlier_parameters() -> None:
    model = bind(make())
    assert [i.args for i in model.instances] == [
        (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    result = check(make(), deadlock=False)
    assert (result.stats.distinct_states, result.stats.generated_states) == (
        2 ** 6, 6 * 2 ** 5 + 1)


def test_a_domain_may_name_several_earlier_parameters() -> None:
    spec = Spec("triples", Config, S)

    @spec.init
    def init(cfg: Config) -> S:
        return S(frozenset())

    @spec.action(i=range(3), k=lambda cfg: range(2), j=lambda cfg, k, i: range(i + k))
    def step(cfg: Config, s: S, i: int, k: int, j: int) -> S | None:
        return None

    args = [i.args for i in bind(spec).instances]
    assert args == [(i, k, j) for i in range(3) for k in range(2) for j in range(i + k)]


@pytest.mark.parametrize(("domain", "message"), [
    (lambda cfg, k: range(k), r"takes \['k'\], but it may take only parameters declared "
                              r"before 'j' \(here: i\)"),
    (lambda cfg, j: range(j), r"takes \['j'\]"),
    (lambda cfg, *rest: range(2), r"the domain of parameter 'j' takes \(cfg, \*rest\)"),
    (lambda: range(2), r"the domain of parameter 'j' takes \(\); a domain function takes "
                       r"\(cfg\) or \(cfg, <parameters declared before 'j'>, by name\)"),
])
def test_a_domain_function_with_a_wrong_signature_is_refused(domain: Any, message: str) -> None:
    spec = Spec("bad", Config, S)
    with pytest.raises(SpecDefinitionError, match=message):
        @spec.action(i=range(2), j=domain)
        def step(cfg: Config, s: S, i: int, j: int) -> S | None:
            return None


def test_a_domain_cannot_depend_on_a_later_parameter() -> None:
    spec = Spec("bad", Config, S)
    with pytest.raises(SpecDefinitionError, match=r"\(here: none\)"):
        @spec.action(i=lambda cfg, j: range(j), j=range(2))
        def step(cfg: Config, s: S, i: int, j: int) -> S | None:
            return None


def test_too_many_dependent_combinations_are_refused() -> None:
    spec = make()
    with pytest.raises(UsageError, match="link has more than 1,000,000 argument combinations"):
        bind(spec, params={"n": 1500})


def test_show_says_what_a_domain_depends_on(invoke: Invoke) -> None:
    code, out, _ = invoke("show", "tests/test_dependent_domains.py:SPEC")
    assert code == 0, out
    assert "link(i ∈ [0, 1, 2, 3], j ∈ (depends on i))" in out


SPEC = make()
