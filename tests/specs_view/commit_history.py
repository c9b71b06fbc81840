"""Lamport's TCommit (the catalogue's transaction-commit) with a history field: the
steps taken so far. The RMs are a symmetric set; the view leaves the history out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, IndexedBy, Record, Spec
from modelcheck_specs import transaction_commit as tc


@dataclass(frozen=True)
class Config:
    rms: Annotated[int, Between(1)] = 3
    abort_after_commit: bool = False


class State(Record):
    rm_state: Annotated[tuple[str, ...], IndexedBy(tc.RM)]
    steps: int


spec = Spec("commit-history", Config, State)


@spec.init
def init(cfg: Config) -> State:
    return State(("working",) * cfg.rms, 0)


def _lift(name: str) -> None:
    step: Callable[..., tc.State | None] = getattr(tc, name)

    def act(cfg: Config, s: State, rm: int) -> State | None:
        t = step(cfg, tc.State(s.rm_state), rm)
        return None if t is None else State(t.rm_state, s.steps + 1)
    act.__name__ = name
    spec.action(rm=lambda cfg: range(cfg.rms))(act)


for _name in ("prepare", "decide_commit", "decide_abort"):
    _lift(_name)


@spec.terminal
def decided(cfg: Config, s: State) -> bool:
    return all(r in ("committed", "aborted") for r in s.rm_state)


@spec.always
def consistent(cfg: Config, s: State) -> bool:
    return not ("committed" in s.rm_state and "aborted" in s.rm_state)


@spec.view
def rm_states(cfg: Config, s: State) -> tuple[str, ...]:
    """The RMs' states, without the count of steps."""
    return s.rm_state
