"""Ordinary tests live beside the model checks; `pytest --modelcheck` runs both."""

from __future__ import annotations

from pathlib import Path

from modelcheck import check, load_spec

SPEC = str(Path(__file__).resolve().parent.parent / "specs" / "withdraw.py")


def test_one_atm_cannot_overdraw_even_when_flawed() -> None:
    result = check(load_spec(SPEC), variant="check-then-act", params={"atms": 1})
    assert result.status == "ok"
