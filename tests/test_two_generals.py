"""Two Generals: a catalogue entry whose default configuration must fail, for every
protocol depth; and the Spec(violates=...) expectation it relies on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from modelcheck import Record, Spec, SpecDefinitionError, check
from modelcheck.render.labels import step_label
from modelcheck.spec import Expect
from modelcheck_specs import two_generals as tg

if TYPE_CHECKING:
    from conftest import CliResult


@pytest.mark.parametrize("messengers", [1, 2, 3, 4, 5, 8])
def test_the_last_messenger_captured_breaks_coordination_at_every_depth(
        messengers: int) -> None:
    r = check(tg.spec, params={"messengers": messengers})
    assert r.status == "violation" and r.violation is not None
    assert (r.violation.property, r.violation.kind) == ("coordinated", "invariant")
    trace = r.violation.trace
    assert trace is not None and trace.length == messengers + 2
    labels = [step_label(s) for s in trace.steps]
    last = tg._messenger(messengers)
    assert labels[-2:] == [f"✗ drop Messenger({last.src}→{last.dst}, seq={messengers})", "dawn"]
    assert labels.count("✗ drop Messenger(0→1, seq=1)") + labels.count(
        "deliver Messenger(0→1, seq=1)") == 1
    # The sender of the last messenger attacks, the other general does not.
    assert trace.steps[-1].state["received"][last.src] == max(0, messengers - 1)


@pytest.mark.parametrize("messengers", [1, 3, 6])
def test_reliable_messengers_coordinate(messengers: int) -> None:
    r = check(tg.spec, variant="reliable-messengers", params={"messengers": messengers})
    assert r.status == "ok" and r.exhaustive  # both_attack (sometimes) is met
    assert r.stats.distinct_states == messengers + 4


def test_the_default_configuration_is_expected_to_violate(cli_result: CliResult) -> None:
    assert tg.spec.expectation() == Expect("violation", "coordinated")
    assert tg.spec.expectation("reliable-messengers") == Expect()
    rows = json.loads(cli_result(["list", "--json"]).stdout)
    mine = {r["variant"]: r["expect"] for r in rows if r["spec"] == "two-generals"}
    assert mine == {None: {"status": "violation", "property": "coordinated"},
                    "reliable-messengers": {"status": "ok", "property": None}}
    shown = cli_result(["show", "two-generals"]).stdout
    assert "Default configuration: violates coordinated" in shown
    result = cli_result(["verify", "two-generals", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["violation"]["property"] == "coordinated"


def test_an_expected_violation_must_name_a_property() -> None:
    @dataclass(frozen=True)
    class Config:
        """No constants."""

    class State(Record):
        """One flag."""

        on: bool

    spec = Spec("impossible", Config, State, violates="no_such_property")
    spec.init(lambda cfg: State(False))

    @spec.action
    def flip(cfg: Config, s: State) -> State:
        """Flip the flag."""
        return State(not s.on)

    with pytest.raises(SpecDefinitionError, match="expects a violation of 'no_such_property'"):
        check(spec)
