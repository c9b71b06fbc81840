"""Sagas: a long transaction as local steps, undone by compensations when one fails.

Sources: Hector Garcia-Molina and Kenneth Salem, "Sagas" (SIGMOD 1987), for the saga
T1 ... Tn whose failure at step j is undone by running C(j-1) ... C1, the compensations
of the completed steps in reverse order; Chris Richardson, "Microservices Patterns"
(2018), chapter 4, for orchestrated sagas (a coordinator tells each service what to do)
and choreographed ones (each service reacts to the previous one's events).

``steps`` services each run one local transaction of the saga, which commits or fails
(every step may fail). Messages travel on a ``bag`` network. ``style`` picks the saga:

* ``orchestrated``: the orchestrator sends ``Execute`` to step 0 and, on each ``Done``,
  to the next step. On a ``Failed``, it compensates the completed steps one at a time,
  latest first, sending ``Compensate`` and waiting for ``Compensated``. If its timer
  fires while it waits for step j (``--faults timeout=1``: a reply that is slow, not
  lost), it cannot know whether step j committed, so it compensates step j as well.
* ``choreographed``: there is no orchestrator. A step that commits sends ``Execute`` to
  the next; a step that fails sends ``Compensate`` to the step before it, which
  compensates and passes the ``Compensate`` on, back to step 0.

A ``Compensate`` that reaches a step before its ``Execute`` cancels the step (it will
refuse to run), the usual guard against the compensation overtaking the work. With the
defaults (3 steps, orchestrated) the search finds 22 distinct and 22 generated states
(one saga, whose only choices are which step fails: messages are one at a time).

**Properties.** ``saga_atomic``: once the saga has settled (nothing in flight, no step
running, the orchestrator finished), either every step has committed or none has: each
step that committed has been compensated. ``compensation_order``: compensations run in
the reverse order of the steps they undo: a step is compensated only after every later
step that committed before has been (a later step may depend on an earlier one's effect,
as a payment on a reservation). The log of commits and compensations in the state is
what both are checked against, and ``log_agrees`` checks the log against the steps'
states. ``can_settle`` (always possible): from every state the saga can still settle.
``saga_committed`` and ``saga_compensated`` (sometimes) make sure both outcomes happen.

**Variant ``orchestrated-forward``.** The orchestrator compensates the completed steps
first to last. Shortest counterexample (10 steps): steps 0 and 1 commit, step 2 fails,
and step 0 is compensated while step 1 is still committed.

**Variant ``choreographed``** holds; **variant ``choreographed-forward``**, in which a
failing step sends its ``Compensate`` to step 0 and each step passes it on forward,
violates ``compensation_order`` the same way (6 steps).

**Variant ``timeout``** (``--faults timeout=1``) holds: the orchestrator's timer may
fire while it waits for a step. **Variant ``skip-compensation-on-timeout``** compensates
only the steps before the one it was waiting for. Shortest counterexample (4 steps): step
0 receives its ``Execute`` and commits; the orchestrator's timer fires and, with no step
before step 0 to compensate, it ends the saga as aborted; step 0's ``Done`` arrives too
late to matter: step 0 stays committed in an aborted saga.

**Faults.** ``loss`` loses a message, which leaves the saga waiting (a deadlock, unless
the orchestrator's timer may fire); ``dup`` duplicates one; ``timeout`` fires the
orchestrator's timer out of turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from modelcheck import Between, Record, Spec, set_at
from modelcheck.network import NO_FAULTS, Faults, FaultState, Net, Network


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    steps: Annotated[int, Between(1)] = 3
    """Steps (services) of the saga."""
    style: Literal["orchestrated", "choreographed"] = "orchestrated"
    """``orchestrated`` or ``choreographed``."""
    compensate_forward: bool = False
    """Flaw: compensations run first step to last."""
    skip_compensation_on_timeout: bool = False
    """Flaw: on a timeout the orchestrator does not compensate the step it waited for."""
    faults: Faults = NO_FAULTS
    """Fault budgets (``--faults timeout=1``; see modelcheck.network)."""


class Execute(Record):
    """Run step ``dst``'s local transaction."""

    src: int
    dst: int


class Done(Record):
    """Step ``src`` committed."""

    src: int
    dst: int


class Failed(Record):
    """Step ``src`` failed."""

    src: int
    dst: int


class Compensate(Record):
    """Undo step ``dst``; ``origin`` is the step that failed (choreographed) or the
    orchestrator."""

    src: int
    dst: int
    origin: int


class Compensated(Record):
    """Step ``src`` is undone (or was never done)."""

    src: int
    dst: int


Message = Execute | Done | Failed | Compensate | Compensated
"""A message in flight."""


class Orchestrator(Record):
    """``phase``: ``running`` (waiting for step ``at``), ``compensating`` (waiting for
    the first of ``todo``), ``committed`` or ``aborted``."""

    phase: str
    at: int
    todo: tuple[int, ...]


class NodeFaults(FaultState, node=int):
    """Fault budgets left, nodes down."""


class State(Record):
    """Each step's state (``idle``, ``running``, ``committed``, ``failed``, ``compensated``,
    ``cancelled``), the orchestrator, the log of commits and compensations, the network."""

    step: tuple[str, ...]
    orchestrator: Orchestrator
    log: tuple[tuple[str, int], ...]
    msgs: Net[Message]
    faults: NodeFaults


spec = Spec("saga", Config, State)

IDLE, RUNNING, COMMITTED, FAILED = "idle", "running", "committed", "failed"
COMPENSATED, CANCELLED = "compensated", "cancelled"


def _steps(cfg: Config) -> range:
    return range(cfg.steps)


def _orchestrator(cfg: Config) -> int:
    """The orchestrator's node: the one after the steps."""
    return cfg.steps


def _orchestrated(cfg: Config) -> bool:
    return cfg.style == "orchestrated"


def _messages(cfg: Config) -> list[Message]:
    o = _orchestrator(cfg)
    out: list[Message] = []
    for i in _steps(cfg):
        if _orchestrated(cfg):
            out += [Execute(o, i), Done(i, o), Failed(i, o), Compensate(o, i, o),
                    Compensated(i, o)]
        else:
            out += [Execute(i - 1, i)] if i > 0 else []
            out += [Compensate(j, i, f) for f in range(i + 1, cfg.steps)
                    for j in _steps(cfg) if j != i]
    return out


net = Network(spec, messages=_messages, nodes=lambda cfg: range(cfg.steps + 1), kind="bag")
"""Steps and the orchestrator exchange messages on a bag."""


def _undo_order(cfg: Config, completed: range) -> tuple[int, ...]:
    """The order in which the completed steps are compensated: latest first."""
    return tuple(completed) if cfg.compensate_forward else tuple(reversed(completed))


@spec.init
def init(cfg: Config) -> State:
    """Orchestrated: the orchestrator has sent step 0 its ``Execute``. Choreographed:
    step 0 is running."""
    steps = (IDLE,) * cfg.steps
    msgs: frozenset[Message] = frozenset()
    if _orchestrated(cfg):
        msgs = net.send(cfg, msgs, Execute(_orchestrator(cfg), 0))
    else:
        steps = set_at(steps, 0, RUNNING)
    return State(steps, Orchestrator("running", 0, ()), (), msgs, net.initial(cfg))


# -- steps ------------------------------------------------------------------------------------


@net.handler(Execute)
def step_rcv_execute(cfg: Config, s: State, m: Execute) -> State:
    """Step ``dst`` starts its local transaction, unless it has been cancelled."""
    if s.step[m.dst] != IDLE:
        return s
    return s.replace(step=set_at(s.step, m.dst, RUNNING))


@net.action(node="i", i=_steps)
def step_commit(cfg: Config, s: State, i: int) -> State | None:
    """Step ``i``'s local transaction commits; it tells the orchestrator, or the next step."""
    if s.step[i] != RUNNING:
        return None
    if _orchestrated(cfg):
        msgs = net.send(cfg, s.msgs, Done(i, _orchestrator(cfg)))
    elif i + 1 < cfg.steps:
        msgs = net.send(cfg, s.msgs, Execute(i, i + 1))
    else:
        msgs = s.msgs
    return s.replace(step=set_at(s.step, i, COMMITTED), log=(*s.log, ("commit", i)), msgs=msgs)


@net.action(node="i", i=_steps)
def step_fail(cfg: Config, s: State, i: int) -> State | None:
    """Step ``i``'s local transaction fails (it leaves nothing to undo); it tells the
    orchestrator, or starts compensating the steps before it."""
    if s.step[i] != RUNNING:
        return None
    if _orchestrated(cfg):
        msgs = net.send(cfg, s.msgs, Failed(i, _orchestrator(cfg)))
    else:
        order = _undo_order(cfg, range(i))
        msgs = net.send(cfg, s.msgs, Compensate(i, order[0], i)) if order else s.msgs
    return s.replace(step=set_at(s.step, i, FAILED), msgs=msgs)


@net.handler(Compensate)
def step_rcv_compensate(cfg: Config, s: State, m: Compensate) -> State:
    """Step ``dst`` undoes its committed transaction; one that has not run is cancelled.
    It answers the orchestrator, or passes the compensation on (choreographed)."""
    i = m.dst
    state = s.step[i]
    log = s.log
    if state == COMMITTED:
        state = COMPENSATED
        log = (*log, ("compensate", i))
    elif state in (IDLE, RUNNING):
        state = CANCELLED
    msgs = s.msgs
    if _orchestrated(cfg):
        msgs = net.send(cfg, msgs, Compensated(i, _orchestrator(cfg)))
    else:
        order = _undo_order(cfg, range(m.origin))
        at = order.index(i)
        if at + 1 < len(order):
            msgs = net.send(cfg, msgs, Compensate(i, order[at + 1], m.origin))
    return s.replace(step=set_at(s.step, i, state), log=log, msgs=msgs)


# -- the orchestrator ---------------------------------------------------------------------


def _compensate(cfg: Config, s: State, todo: tuple[int, ...]) -> State:
    """The orchestrator starts compensating ``todo``, in that order."""
    o = _orchestrator(cfg)
    if not todo:
        return s.replace(orchestrator=Orchestrator("aborted", s.orchestrator.at, ()))
    return s.replace(orchestrator=Orchestrator("compensating", s.orchestrator.at, todo),
                     msgs=net.send(cfg, s.msgs, Compensate(o, todo[0], o)))


@net.handler(Done)
def orchestrator_rcv_done(cfg: Config, s: State, m: Done) -> State:
    """Step ``src`` committed: the orchestrator moves to the next step, or the saga has
    committed. A late answer (after a timeout) is ignored."""
    orch = s.orchestrator
    if orch.phase != "running" or orch.at != m.src:
        return s
    if m.src + 1 == cfg.steps:
        return s.replace(orchestrator=Orchestrator("committed", m.src, ()))
    nxt = m.src + 1
    return s.replace(orchestrator=Orchestrator("running", nxt, ()),
                     msgs=net.send(cfg, s.msgs, Execute(_orchestrator(cfg), nxt)))


@net.handler(Failed)
def orchestrator_rcv_failed(cfg: Config, s: State, m: Failed) -> State:
    """Step ``src`` failed: the orchestrator compensates the steps before it."""
    orch = s.orchestrator
    if orch.phase != "running" or orch.at != m.src:
        return s
    return _compensate(cfg, s, _undo_order(cfg, range(m.src)))


@net.handler(Compensated)
def orchestrator_rcv_compensated(cfg: Config, s: State, m: Compensated) -> State:
    """Step ``src`` is undone: the orchestrator compensates the next, or the saga has
    aborted."""
    orch = s.orchestrator
    if orch.phase != "compensating" or orch.todo[0] != m.src:
        return s
    rest = orch.todo[1:]
    if not rest:
        return s.replace(orchestrator=Orchestrator("aborted", orch.at, ()))
    return s.replace(orchestrator=orch.replace(todo=rest),
                     msgs=net.send(cfg, s.msgs, Compensate(_orchestrator(cfg), rest[0],
                                                           _orchestrator(cfg))))


@net.timer(nodes=lambda cfg: (_orchestrator(cfg),) if _orchestrated(cfg) else ())
def orchestrator_timeout(cfg: Config, s: State, node: int) -> State | None:
    """The orchestrator gives up waiting for step ``at``: it may have committed, so it is
    compensated too, then the steps before it."""
    orch = s.orchestrator
    if orch.phase != "running":
        return None
    last = orch.at if cfg.skip_compensation_on_timeout else orch.at + 1
    return _compensate(cfg, s, _undo_order(cfg, range(last)))


# -- properties ---------------------------------------------------------------------------


def _settled(cfg: Config, s: State) -> bool:
    """Nothing in flight, no step running, the orchestrator (if any) finished."""
    return not s.msgs and RUNNING not in s.step and (
        not _orchestrated(cfg) or s.orchestrator.phase in ("committed", "aborted"))


@spec.terminal
def settled(cfg: Config, s: State) -> bool:
    """The saga has settled: nothing is left to happen."""
    return _settled(cfg, s)


@spec.always
def saga_atomic(cfg: Config, s: State) -> bool:
    """Once settled: every step committed, or none left committed."""
    if not _settled(cfg, s):
        return True
    committed = s.step.count(COMMITTED)
    return committed in (0, cfg.steps)


@spec.always
def compensation_order(cfg: Config, s: State) -> bool:
    """A step is compensated only after every later step that committed before it."""
    committed: set[int] = set()
    compensated: set[int] = set()
    for what, i in s.log:
        if what == "commit":
            committed.add(i)
        else:
            if any(k > i and k not in compensated for k in committed):
                return False
            compensated.add(i)
    return True


@spec.always
def log_agrees(cfg: Config, s: State) -> bool:
    """The log records each commit and compensation once, as the steps' states show: a
    committed step has committed once, a compensated one has committed and been
    compensated once, any other has done neither."""
    for i, state in enumerate(s.step):
        done = (s.log.count(("commit", i)), s.log.count(("compensate", i)))
        want = (1, 0) if state == COMMITTED else (1, 1) if state == COMPENSATED else (0, 0)
        if done != want:
            return False
    return True


@spec.always_possible
def can_settle(cfg: Config, s: State) -> bool:
    """From every state the saga can still settle: nothing in flight, no step running,
    the orchestrator finished."""
    return _settled(cfg, s)


@spec.sometimes
def saga_committed(cfg: Config, s: State) -> bool:
    """Every step committed."""
    return all(x == COMMITTED for x in s.step)


@spec.sometimes
def saga_compensated(cfg: Config, s: State) -> bool:
    """Some step was compensated."""
    return COMPENSATED in s.step


spec.variant(
    "orchestrated-forward", params={"compensate_forward": True},
    violates="compensation_order",
    doc="The orchestrator compensates the completed steps first to last.")

spec.variant(
    "choreographed", params={"style": "choreographed"},
    doc="No orchestrator: each step reacts to the previous one's events.")

spec.variant(
    "choreographed-forward", params={"style": "choreographed", "compensate_forward": True},
    violates="compensation_order",
    doc="A failing step sends its compensation to step 0, and it travels forward.")

spec.variant(
    "timeout", params={"faults": "timeout=1"},
    doc="The orchestrator's timer may fire while it waits for a step.")

spec.variant(
    "skip-compensation-on-timeout",
    params={"faults": "timeout=1", "skip_compensation_on_timeout": True},
    violates="saga_atomic",
    doc="On a timeout the orchestrator leaves the step it waited for uncompensated.")


# -- mutants that survive, and why that is no gap (``modelcheck mutate saga``) ------------

for _k in ("orchestrator_rcv_done:field-constant:1",
           "orchestrator_rcv_compensated:field-constant:1", "_compensate:field-constant:2"):
    spec.accept_mutant(
        _k,
        """An orchestrator that has stopped running (``compensating``, ``committed`` or
        ``aborted``) records step 0 as the step it was at: every handler and the timer read
        ``at`` only while the orchestrator is ``running``, which it never is again, so
        nothing reads it.""")
spec.accept_mutant(
    "_orchestrated:flip-comparison:1",
    """The two styles swap: the default run then checks the choreographed saga (the 12
    states of the ``choreographed`` variant) and that variant the orchestrated one. Both
    are correct sagas, checked against the same properties either way; which value of
    ``style`` names which saga is no part of either protocol.""")
