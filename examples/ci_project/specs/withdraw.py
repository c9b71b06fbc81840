"""Two ATMs withdraw from one account: the check and the debit must be one step.

Each of ``atms`` ATMs withdraws ``amount`` once from an account holding ``balance``. A
correct ATM checks the balance and debits it in one atomic step. With
``check_then_act`` an ATM first reads the balance and checks it, and debits later: both
ATMs can pass the check on the same balance, and the account is overdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec, set_at


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    atms: Annotated[int, Between(1)] = 2
    balance: Annotated[int, Between(0)] = 100
    amount: Annotated[int, Between(1)] = 60
    check_then_act: bool = False
    """Flaw: the balance check and the debit are separate steps."""


class State(Record):
    """The account's balance and each ATM's program counter."""

    balance: int
    pc: tuple[str, ...]  # per ATM: "idle", "checked" (flawed ATMs only) or "done"


spec = Spec("atm-withdraw", Config, State)


def _atms(cfg: Config) -> range:
    return range(cfg.atms)


@spec.init
def init(cfg: Config) -> State:
    """The full balance, every ATM idle."""
    return State(cfg.balance, ("idle",) * cfg.atms)


@spec.action(atm=_atms)
def withdraw(cfg: Config, s: State, atm: int) -> State | None:
    """An idle ATM checks the balance and, if it suffices, debits it (or, flawed, only checks)."""
    if s.pc[atm] != "idle" or s.balance < cfg.amount:
        return None
    if cfg.check_then_act:
        return s.replace(pc=set_at(s.pc, atm, "checked"))
    return s.replace(balance=s.balance - cfg.amount, pc=set_at(s.pc, atm, "done"))


@spec.action(atm=_atms)
def debit(cfg: Config, s: State, atm: int) -> State | None:
    """A flawed ATM debits the balance it checked earlier."""
    if s.pc[atm] != "checked":
        return None
    return s.replace(balance=s.balance - cfg.amount, pc=set_at(s.pc, atm, "done"))


@spec.terminal
def settled(cfg: Config, s: State) -> bool:
    """No ATM is half-way through a withdrawal."""
    return "checked" not in s.pc


@spec.always
def no_overdraft(cfg: Config, s: State) -> bool:
    """The balance never goes below zero."""
    return s.balance >= 0


@spec.sometimes
def money_withdrawn(cfg: Config, s: State) -> bool:
    """Some withdrawal succeeds."""
    return s.balance < cfg.balance


spec.variant("check-then-act", params={"check_then_act": True}, violates="no_overdraft",
             doc="The check and the debit are separate steps: two ATMs overdraw the account.")
