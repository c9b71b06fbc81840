"""EWD840: Dijkstra's termination detection on a ring, a faithful port of EWD840.tla.

Source: Edsger W. Dijkstra, W.H.J. Feijen and A.J.M. van Gasteren, "Derivation of a
termination detection algorithm for distributed computations" (EWD 840, 1983), and Stephan
Merz's TLA+ specification ``EWD840.tla`` (tlaplus/Examples, specifications/ewd840). ``n``
nodes on a ring, each active or passive and white or black, pass a token from node
``n - 1`` down to node 0. An active node may activate another (sending it a message) and
may become passive at any time. Node 0 starts a probe by sending a white token around the
ring; a node passes the token on once it is passive (or the round is already spoiled),
staining it black if the node itself is black, and whitens itself. A node that activates
a node of higher number turns black, since the token has already passed that node. When
the token comes back white to a white, passive node 0, every node is passive: termination
is detected.

Initially the token is black and every other variable takes any value, as in the TLA+
``Init``: with the default 3 nodes, 192 initial states. TLC enumerates each true disjunct
of an action's guard as a successor of its own, so a token step whose guard holds for two
reasons is generated twice; the ``guard`` parameter of ``initiate_probe`` and
``pass_token`` names the disjunct, which reproduces TLC's generated counts. Counts match
TLC 2.15 exactly: 302 distinct and 2,001 generated states, depth 9 (tlaplus/Examples'
manifest.json, written by another TLC version, records the same counts and depth 10);
with 4 nodes, 1,566 distinct and 15,986 generated, depth 12; with 8 nodes (TLC with the
invariants alone), 786,942 distinct and 26,990,854 generated, depth 24.

**Properties.** ``termination_detection`` (TerminationDetection) and
``dijkstra_invariant`` (Inv, Dijkstra's inductive invariant) are invariants. The liveness
property ``termination_eventually_detected`` is ``terminated ~> terminationDetected``
(Liveness): under weak fairness of the token-passing actions together (TLA+'s
``WF_vars(System)``, the fairness group ``system``), once every node is passive the
token reaches node 0 white. Without that fairness (``--no-fairness``) it is violated by
a behaviour that stops once the nodes are passive. TLC's EWD840.cfg also checks the
refinement ``TDSpec`` of SyncTerminationDetection.tla; its safety part is ``td_init``
(an initial-state predicate) and ``refines_td`` (an action property), under the mapping
``active``, ``terminationDetected`` (they change no count). Added to the TLA+ module's
properties (they change no count either): ``spoiled_round_ends``, a token held by a black
node goes on to node 0 without waiting for the nodes on its way (PassToken's other
disjuncts), ``detectable`` (always possible: from every state, termination can still be
detected), and the goal ``reactivated_behind_probe`` (a node the white token has passed is
activated again: the case Dijkstra's invariant answers with a black node).

**Variant ``pass-keeps-color``.** A node passing the token does not whiten itself. A black
node then stains every later token, so after termination probes go round forever and
termination is never detected: a lasso whose loop is one round of the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from modelcheck import Between, Record, Spec, set_at


@dataclass(frozen=True)
class Config:
    """Constants of the model."""

    n: Annotated[int, Between(1, 10)] = 3
    """Number of nodes on the ring (TLA+'s N); at most 10, as there are ``4**n * n``
    initial states (10 million with 10 nodes)."""
    pass_keeps_color: bool = False
    """Flaw: a node passing the token stays black."""


WHITE = "white"
BLACK = "black"


class State(Record):
    """active, color, tpos and tcolor of EWD840.tla."""

    active: tuple[bool, ...]
    color: tuple[str, ...]
    tpos: int
    tcolor: str


spec = Spec("ewd840", Config, State)


def _nodes(cfg: Config) -> range:
    return range(cfg.n)


def _vectors(values: tuple[object, ...], n: int) -> list[tuple[object, ...]]:
    """Every tuple of ``n`` items from ``values``, in TLA+'s function-set order."""
    out: list[tuple[object, ...]] = [()]
    for _ in range(n):
        out = [v + (x,) for v in out for x in values]
    return out


@spec.init(active=lambda cfg: _vectors((False, True), cfg.n),
           color=lambda cfg: _vectors((WHITE, BLACK), cfg.n), tpos=_nodes)
def init(cfg: Config, active: tuple[bool, ...], color: tuple[str, ...], tpos: int) -> State:
    """Any activity and colours, the token anywhere, and black."""
    return State(active, color, tpos, BLACK)


# -- the termination detection algorithm (TLA+'s System) ----------------------------------


@spec.action(guard=("black_token", "black_node"))
def initiate_probe(cfg: Config, s: State, guard: str) -> State | None:
    """Node 0 holds the token and the last round failed (``guard``: the token or node 0 is
    black): it sends a white token to node ``n - 1`` and whitens itself."""
    if s.tpos != 0 or not (s.tcolor == BLACK if guard == "black_token"
                           else s.color[0] == BLACK):
        return None
    return s.replace(tpos=cfg.n - 1, tcolor=WHITE, color=set_at(s.color, 0, WHITE))


@spec.action(i=lambda cfg: range(1, cfg.n), guard=("passive", "black_node", "black_token"))
def pass_token(cfg: Config, s: State, i: int, guard: str) -> State | None:
    """Node ``i`` passes the token to ``i - 1`` once passive (or once the round is spoiled:
    ``guard`` says which holds), staining it if ``i`` is black, and whitens itself."""
    if s.tpos != i:
        return None
    if not (not s.active[i] if guard == "passive" else
            s.color[i] == BLACK if guard == "black_node" else s.tcolor == BLACK):
        return None
    tcolor = BLACK if s.color[i] == BLACK else s.tcolor
    color = s.color if cfg.pass_keeps_color else set_at(s.color, i, WHITE)
    return s.replace(tpos=i - 1, tcolor=tcolor, color=color)


spec.fair("system", "weak", actions=("initiate_probe", "pass_token"),
          doc="WF_vars(System): token passing does not stop while it is possible.")


# -- the underlying computation (TLA+'s Environment) ----------------------------------------


@spec.action(i=_nodes, j=_nodes)
def send_msg(cfg: Config, s: State, i: int, j: int) -> State | None:
    """Active node ``i`` activates node ``j``; it turns black if ``j`` is above it."""
    if i == j or not s.active[i]:
        return None
    color = set_at(s.color, i, BLACK) if j > i else s.color
    return s.replace(active=set_at(s.active, j, True), color=color)


@spec.action(i=_nodes)
def deactivate(cfg: Config, s: State, i: int) -> State | None:
    """Active node ``i`` becomes passive."""
    if not s.active[i]:
        return None
    return s.replace(active=set_at(s.active, i, False))


# -- properties -------------------------------------------------------------------------


def terminated(cfg: Config, s: State) -> bool:
    """Every node is passive."""
    return not any(s.active)


def termination_detected(cfg: Config, s: State) -> bool:
    """Node 0 holds a white token, is white and passive."""
    return s.tpos == 0 and s.tcolor == WHITE and s.color[0] == WHITE and not s.active[0]


@spec.terminal
def detected_and_terminated(cfg: Config, s: State) -> bool:
    """Termination is detected and true: nothing is left to do (TLC runs EWD840 with
    CHECK_DEADLOCK FALSE; these are its only states without a successor)."""
    return termination_detected(cfg, s) and terminated(cfg, s)


@spec.always
def termination_detection(cfg: Config, s: State) -> bool:
    """Termination is detected only when it has happened (TerminationDetection)."""
    return not termination_detected(cfg, s) or terminated(cfg, s)


@spec.always
def dijkstra_invariant(cfg: Config, s: State) -> bool:
    """Dijkstra's inductive invariant (Inv): the nodes the token has passed are passive,
    or a node the token has yet to visit is black, or the token is black."""
    return (all(not s.active[i] for i in range(s.tpos + 1, cfg.n))
            or any(s.color[j] == BLACK for j in range(s.tpos + 1))
            or s.tcolor == BLACK)


@spec.initially
def td_init(cfg: Config, s: State) -> bool:
    """The initial state is one of SyncTerminationDetection (TD!Init): termination is
    detected initially only if it has happened."""
    return not termination_detected(cfg, s) or terminated(cfg, s)


@spec.action_property
def refines_td(cfg: Config, before: State, after: State) -> bool:
    """Every step is a step of SyncTerminationDetection under the refinement mapping
    ``active``, ``terminationDetected`` (TDSpec's safety, ``[][TD!Next]_TD!vars``): a node
    that terminates (detection may then hold, if everything has terminated), an active
    node that activates one, termination detected once it has happened, or a step that
    leaves both unchanged."""
    a, b = before.active, after.active
    d, e = termination_detected(cfg, before), termination_detected(cfg, after)
    if a == b and d == e:
        return True
    changed = [i for i in range(cfg.n) if a[i] != b[i]]
    if len(changed) == 1 and a[changed[0]] and not b[changed[0]]:  # Terminate(i)
        return e in (d, terminated(cfg, after))
    if len(changed) == 1 and not a[changed[0]] and b[changed[0]]:  # Wakeup(i, j)
        return d == e and any(a[i] for i in range(cfg.n) if i != changed[0])
    return not changed and terminated(cfg, before) and e  # DetectTermination


spec.leads_to(terminated, termination_detected, name="termination_eventually_detected",
              doc="Once every node is passive, termination is eventually detected (Liveness).")


@spec.sometimes
def detected(cfg: Config, s: State) -> bool:
    """Termination can be detected."""
    return termination_detected(cfg, s)


@spec.always_possible
def detectable(cfg: Config, s: State) -> bool:
    """From every state, the nodes can all become passive and the token can bring the news
    to node 0: termination detection never becomes impossible."""
    return termination_detected(cfg, s)


@spec.sometimes
def reactivated_behind_probe(cfg: Config, s: State) -> bool:
    """A node the white token has passed is active again (reactivated by a node the token
    has yet to visit): the case Dijkstra's invariant covers by a black node."""
    return s.tcolor == WHITE and any(s.active[i] for i in range(s.tpos + 1, cfg.n))


def held_by_black_node(cfg: Config, s: State) -> bool:
    """A black node other than node 0 holds the token: the round is spoiled."""
    return s.tpos != 0 and s.color[s.tpos] == BLACK


def at_node_0(cfg: Config, s: State) -> bool:
    """Node 0 holds the token."""
    return s.tpos == 0


spec.leads_to(held_by_black_node, at_node_0, name="spoiled_round_ends",
              doc="A token held by a black node goes on to node 0 without waiting for the "
                  "nodes on its way to become passive (PassToken's second and third "
                  "disjuncts).")


spec.accept_mutant(
    "initiate_probe:flip-comparison:3",
    """The two instances of ``initiate_probe`` swap their guards: the same steps, each under
    the other instance's ``guard`` label (the parameter only splits TLC's generated
    count).""")
spec.accept_mutant(
    "pass_token:flip-comparison:4",
    """The ``black_node`` and ``black_token`` instances of ``pass_token`` swap their guards:
    the same steps under each other's label.""")
spec.accept_mutant(
    "init:field-constant:1",
    """Every token starts at node 0 rather than anywhere: a subset of Init's initial states
    (the states of a ring that has run since its start). Each is still checked, and no
    property concerns where the first token starts; the counts the tests pin (192 initial
    states, TLC's) tell the two apart.""")
spec.accept_mutant(
    "deactivate:drop-guard:1",
    """A passive node "becoming passive" is a step to the same state: a self-loop, which no
    property of a state or of a change can see.""")


spec.variant(
    "pass-keeps-color", params={"pass_keeps_color": True},
    violates="termination_eventually_detected",
    doc="A node passing the token stays black, so every later token is stained and "
        "termination is never detected.")
