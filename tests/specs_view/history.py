"""Peterson's mutual exclusion for two processes, with a history field: how many times a
process has entered its critical section.

The history makes the state space infinite; the view leaves it out, so the search sees
exactly the states of the algorithm without it (``history=False``). ``flawed`` drops the
wait condition, so both processes can be in their critical sections at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelcheck import Record, Spec, set_at


@dataclass(frozen=True)
class Config:
    history: bool = True
    """Count the entries to the critical sections (an auxiliary field)."""
    flawed: bool = False
    """Enter without waiting for the other process."""


class State(Record):
    pc: tuple[str, ...]
    flag: tuple[bool, ...]
    turn: int
    entries: int


spec = Spec("peterson-history", Config, State)

PROCS = (0, 1)


@spec.init
def init(cfg: Config) -> State:
    return State(("idle", "idle"), (False, False), 0, 0)


@spec.action(p=PROCS)
def request(cfg: Config, s: State, p: int) -> State | None:
    """Raise the flag."""
    if s.pc[p] != "idle":
        return None
    return s.replace(pc=set_at(s.pc, p, "yield"), flag=set_at(s.flag, p, True))


@spec.action(p=PROCS)
def give_way(cfg: Config, s: State, p: int) -> State | None:
    """Give the turn to the other process."""
    if s.pc[p] != "yield":
        return None
    return s.replace(pc=set_at(s.pc, p, "wait"), turn=1 - p)


@spec.action(p=PROCS)
def enter(cfg: Config, s: State, p: int) -> State | None:
    """Enter once the other process does not want to, or it is this one's turn."""
    if s.pc[p] != "wait" or not (cfg.flawed or not s.flag[1 - p] or s.turn == p):
        return None
    return s.replace(pc=set_at(s.pc, p, "cs"), entries=s.entries + cfg.history)


@spec.action(p=PROCS)
def leave(cfg: Config, s: State, p: int) -> State | None:
    """Leave the critical section and lower the flag."""
    if s.pc[p] != "cs":
        return None
    return s.replace(pc=set_at(s.pc, p, "idle"), flag=set_at(s.flag, p, False))


@spec.always
def mutual_exclusion(cfg: Config, s: State) -> bool:
    return s.pc != ("cs", "cs")


@spec.view
def without_history(cfg: Config, s: State) -> tuple[object, ...]:
    """Everything but the count of entries."""
    return (s.pc, s.flag, s.turn)


spec.variant("flawed", params={"flawed": True}, violates="mutual_exclusion",
             doc="Both processes may enter at once.")
