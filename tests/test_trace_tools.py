"""`modelcheck trace show | replay | diagram`: text and Mermaid snapshots, a grammar check
of the Mermaid subset, and replay of saved traces against changed specs."""

from __future__ import annotations

import json
import os
import re
import uuid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from modelcheck import Trace, check, load_spec
from modelcheck.errors import UsageError
from modelcheck.render.labels import step_label
from modelcheck.render.mermaid import escape
from modelcheck.render.output import render_as
from modelcheck.render.sequence import chart, topology_for

if TYPE_CHECKING:
    from conftest import CliResult, InvokeOutput, SpecVariant

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FIXTURES = ["raft-vote-twice", "raft-forget-vote", "two-phase-commit-tm-commits-early",
            "byzantine-generals-three-generals", "reliable-broadcast-n-equals-3f",
            "reliable-broadcast-low-echo-threshold", "bully-election-no-recovery-election",
            "bully-election-no-await-answers"]
"""Counterexamples saved by the catalogue's specs (tests/snapshots/NAME.json): fixed inputs,
so the snapshots pin the renderings, not the specs of the day."""
LIVE = [("raft", "vote-twice"), ("raft", "forget-vote"), ("two-phase-commit", "tm-commits-early"),
        ("byzantine-generals", "three-generals"), ("reliable-broadcast", "n-equals-3f"),
        ("reliable-broadcast", "low-echo-threshold"),
        ("bully-election", "no-recovery-election"), ("bully-election", "no-await-answers")]


@cache
def counterexample(spec: str, variant: str) -> Trace:
    r = check(load_spec(spec), variant=variant)
    assert r.violation is not None and r.violation.trace is not None
    return r.violation.trace


def saved(tmp_path: Path, spec: str, variant: str) -> Path:
    path = tmp_path / f"{spec}-{variant}.json"
    counterexample(spec, variant).save(path)
    return path


def matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("MODELCHECK_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed (see {path})"


# -- show -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_text_view_matches_its_snapshot(invoke_output: InvokeOutput, name: str) -> None:
    path = SNAPSHOTS / f"{name}.json"
    code, out = invoke_output("trace", "show", path)
    assert code == 0
    assert out.splitlines()[0].endswith(f": {Trace.load(path).length} steps")
    matches_snapshot(f"{name}.txt", out)


def test_text_view_marks_faults_and_full_shows_every_state(invoke_output: InvokeOutput) -> None:
    path = SNAPSHOTS / "raft-forget-vote.json"
    _, out = invoke_output("trace", "show", path)
    assert "  4  ⚡ crash 1\n" in out and "  5  ↺ restart 1\n" in out
    assert out.count("current_term: ") == 1  # the initial state only
    _, full = invoke_output("trace", "show", path, "--full")
    assert full.count("current_term: ") == 11


@pytest.mark.parametrize("name", FIXTURES)
def test_mermaid_matches_its_snapshot(invoke_output: InvokeOutput, name: str) -> None:
    path = SNAPSHOTS / f"{name}.json"
    code, out = invoke_output("trace", "diagram", path)
    assert code == 0
    matches_snapshot(f"{name}.mmd", out)
    _, shown = invoke_output("trace", "show", path, "--format", "mermaid")
    assert shown == out


def test_json_format_is_the_trace_itself(invoke_output: InvokeOutput, tmp_path: Path) -> None:
    path = saved(tmp_path, "two-phase-commit", "tm-commits-early")
    code, out = invoke_output("trace", "show", path, "--format", "json")
    assert code == 0 and Trace.loads(out) == Trace.load(path)


# -- the Mermaid subset, checked by its grammar ----------------------------------------------

# The statements emitted, as Mermaid's sequenceDiagram grammar reads them: the text of a
# statement runs to the end of the line and may not contain '#' or ';' (the lexer ends the
# text there) except in entity codes like #59; and, in notes, <br/> line breaks.
_ID = r"n\d+"
_TEXT = r"(?:[^#;<>\n]|#\w+;)+"
_GRAMMAR = [
    ("title", re.compile(rf"    title {_TEXT}")),
    ("participant", re.compile(rf"    participant ({_ID}) as ({_TEXT})")),
    ("message", re.compile(rf"    ({_ID})->>({_ID}): ({_TEXT})")),
    ("note", re.compile(rf"    Note over ({_ID})(?:,({_ID}))?: ({_TEXT}(?:<br/>{_TEXT})*)")),
]


def parse_mermaid(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Parse ``text`` with the grammar above; an AssertionError names a bad line."""
    lines = text.splitlines()
    assert lines[0] == "sequenceDiagram"
    declared: list[str] = []
    out = []
    for n, line in enumerate(lines[1:], start=2):
        for kind, rule in _GRAMMAR:
            m = rule.fullmatch(line)
            if m is None:
                continue
            groups = tuple(g for g in m.groups() if g is not None)
            if kind == "participant":
                assert not out or all(k in ("title", "participant") for k, _ in out), \
                    f"line {n}: participants come first"
                declared.append(groups[0])
            elif kind in ("message", "note"):
                ids = [g for g in groups if re.fullmatch(_ID, g)]
                assert all(i in declared for i in ids), f"line {n}: undeclared participant"
            out.append((kind, groups))
            break
        else:
            raise AssertionError(f"line {n} is not in the grammar: {line!r}")
    return out


@pytest.mark.parametrize("trace", [
    pytest.param(lambda: counterexample("raft", "forget-vote"), id="found-now",
                 marks=pytest.mark.slow),
    pytest.param(lambda: Trace.load(SNAPSHOTS / "raft-forget-vote.json"), id="saved")])
def test_mermaid_of_a_raft_trace_parses_and_draws_each_delivery(trace: Any) -> None:
    trace = trace()
    parsed = parse_mermaid(render_as(trace, "mermaid"))
    participants = [g for k, g in parsed if k == "participant"]
    assert [g[1] for g in participants] == ["0", "1", "2"]
    messages = [g for k, g in parsed if k == "message"]
    deliveries = [(i, s) for i, s in enumerate(trace.steps) if s.action == "deliver"]
    assert len(messages) == len(deliveries) > 0
    for (src, dst, label), (i, step) in zip(messages, deliveries):
        m = step.args["m"]
        assert isinstance(m, dict)
        assert (src, dst) == (f"n{m['src']}", f"n{m['dst']}")
        assert label.startswith(f"{i} {m['$type']}(term=")
    notes = [g[-1] for k, g in parsed if k == "note"]
    faults = [(i, step_label(s)) for i, s in enumerate(trace.steps)
              if s.action in ("crash", "restart")]
    assert [label for _, label in faults] == ["⚡ crash 1", "↺ restart 1"]
    for i, label in faults:
        assert any(n.startswith(f"{i} {label}") for n in notes)
    restart = next(n for n in notes if "↺ restart 1" in n)
    assert restart.endswith("<br/>voted_for: 0 → None")  # the vote forgotten


def test_mermaid_escapes_what_its_parser_would_read_as_syntax() -> None:
    hostile = 'a;b#c<script>"x"&y'
    assert escape(hostile) == "a#59;b#35;c#lt;script#gt;#quot;x#quot;#amp;y"
    parse_mermaid(f"sequenceDiagram\n    participant n0 as {escape(hostile)}\n"
                  f"    Note over n0: {escape(hostile)}<br/>{escape(hostile)}\n")
    with pytest.raises(AssertionError, match="not in the grammar"):
        parse_mermaid(f"sequenceDiagram\n    participant n0 as {hostile}\n")


def test_two_phase_commit_routes_come_from_the_spec() -> None:
    drawn = chart(counterexample("two-phase-commit", "tm-commits-early"),
                  topology_for(counterexample("two-phase-commit", "tm-commits-early")))
    assert drawn.participants == ("0", "1", "2", "tm")
    arrows = [(r.arrow.src, r.arrow.dst, r.arrow.sent, r.arrow.delivered, r.arrow.text)
              for r in drawn.rows if r.arrow is not None]
    assert arrows == [(0, 3, 1, 2, "Prepared(rm=0)"), (3, 0, 3, 4, "Commit(rm=0)")]


def test_a_spec_without_a_network_has_no_diagram(invoke_output: InvokeOutput,
                                                 tmp_path: Path) -> None:
    path = saved(tmp_path, "transaction-commit", "abort-after-commit")
    code, out = invoke_output("trace", "diagram", path)
    assert code == 2 and "is not built on modelcheck.network" in out
    code, _ = invoke_output("trace", "show", path, "--format", "html", "-o", tmp_path / "t.html")
    assert code == 0 and 'id="diagram" class="hidden"' in (tmp_path / "t.html").read_text()


# -- replay ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "variant"), [
    pytest.param(*case, marks=pytest.mark.slow) if case == ("raft", "forget-vote") else case
    for case in LIVE])
def test_replay_reproduces_saved_counterexamples(invoke_output: InvokeOutput, tmp_path: Path,
                                                 spec: str, variant: str) -> None:
    code, out = invoke_output("trace", "replay", saved(tmp_path, spec, variant), "--json")
    assert code == 1
    outcome = json.loads(out)
    assert outcome["status"] == "reproduces"
    expected = load_spec(spec).variants[variant].expect.property
    assert expected is not None
    length = counterexample(spec, variant).length
    assert (outcome["property"], outcome["kind"], outcome["step"]) == (
        expected, load_spec(spec).property(expected).kind, length)


def test_a_trace_saved_with_the_full_fault_record_still_replays(
        invoke_output: InvokeOutput) -> None:
    # Saved when a fault-free state held every fault field; the state now holds the
    # record's defaults form (modelcheck.state.defaults), the same state.
    path = SNAPSHOTS / "two-phase-commit-tm-commits-early.json"
    assert Trace.load(path).steps[0].state["faults"]["crash"] == 0
    code, out = invoke_output("trace", "replay", path, "--json")
    assert code == 1 and json.loads(out)["status"] == "reproduces"


_STUCK = """
from dataclasses import dataclass
from modelcheck import Record, Spec

@dataclass(frozen=True)
class Config:
    top: int = 2

class State(Record):
    n: int

spec = Spec("stuck", Config, State)

@spec.init
def init(cfg: Config) -> State:
    return State(0)

@spec.action()
def step(cfg: Config, s: State) -> State | None:
    return s.replace(n=s.n + 1) if s.n < cfg.top else None
"""


def test_replay_of_a_deadlock_and_of_a_liveness_lasso(invoke_output: InvokeOutput,
                                                      tmp_path: Path) -> None:
    stuck = tmp_path / "stuck.py"
    stuck.write_text(_STUCK, encoding="utf-8")
    path = tmp_path / "deadlock.json"
    code, _ = invoke_output("verify", stuck, "--trace-out", path, "-q")
    assert code == 1
    code, out = invoke_output("trace", "replay", path, "--spec", stuck, "--json")
    assert code == 1
    assert json.loads(out) == {
        "status": "reproduces", "step": 2, "property": "deadlock", "kind": "deadlock",
        "message": "deadlock after 2 steps: no action is enabled and the state is not terminal "
                   "(declare @spec.terminal, or pass --no-deadlock)"}
    code, out = invoke_output("trace", "replay", path, "--spec", stuck, "--no-deadlock")
    assert (code, out) == (0, "✓ stuck: the trace replays (2 steps) and shows no violation: "
                              "the trace violates no property\n")
    code, out = invoke_output("trace", "replay", saved(tmp_path, "ewd840", "pass-keeps-color"),
                              "--json")
    assert code == 1
    assert json.loads(out)["property"] == "termination_eventually_detected"


@pytest.fixture
def saved_against_file(invoke_output: InvokeOutput,
                       spec_variant: SpecVariant,
                       tmp_path: Path) -> Path:
    """tm-commits-early's counterexample, saved by the spec as shipped (a file copy)."""
    rms = "rms: Annotated[int, Between(1)] = 3"
    v1 = spec_variant("two_phase_commit", "v1", rms, rms)
    trace = tmp_path / "cex.json"
    code, _ = invoke_output("verify", v1, "--variant", "tm-commits-early", "--trace-out", trace,
                            "-q")
    assert code == 1
    return trace


def test_a_change_that_does_not_touch_the_trace_still_replays(
        invoke_output: InvokeOutput, spec_variant: SpecVariant,
        saved_against_file: Path) -> None:
    trace = saved_against_file
    # The TM may now abort only before any RM is prepared: the trace never aborts.
    v2 = spec_variant(
        "two_phase_commit", "v2", 'def tm_abort(cfg: Config, s: State) -> State | None:\n'
        '    """The TM spontaneously aborts, and tells the RMs."""\n'
        '    if s.tm_state != "init":',
        'def tm_abort(cfg: Config, s: State) -> State | None:\n'
        '    """The TM spontaneously aborts, and tells the RMs."""\n'
        '    if s.tm_state != "init" or s.tm_prepared:')
    code, out = invoke_output("trace", "replay", trace, "--spec", v2)
    assert code == 1, out
    assert out == ("✗ two-phase-commit --variant tm-commits-early: the trace replays (5 steps) "
                   "and shows a violation: invariant consistent is violated after 5 steps\n")


def test_a_change_that_disables_a_step_is_reported_at_that_step(
        invoke_output: InvokeOutput, spec_variant: SpecVariant,
        saved_against_file: Path) -> None:
    trace = saved_against_file
    v3 = spec_variant(
        "two_phase_commit", "v3", "(cfg.tm_commit_early and s.tm_prepared)",
        "(cfg.tm_commit_early and len(s.tm_prepared) >= 2)")
    code, out = invoke_output("trace", "replay", trace, "--spec", v3, "--json")
    assert code == 2
    assert json.loads(out) == {"status": "diverges", "step": 3, "property": None,
                               "message": "step 3: tm_commit is not enabled"}


def test_a_change_of_state_is_reported_at_the_first_step_that_differs(
        invoke_output: InvokeOutput, spec_variant: SpecVariant,
        saved_against_file: Path) -> None:
    trace = saved_against_file
    v4 = spec_variant("two_phase_commit", "v4", 'return s.replace(tm_state="committed",',
                                      'return s.replace(tm_state="commit",')
    code, out = invoke_output("trace", "replay", trace, "--spec", v4)
    assert code == 2
    assert out == ("error: two-phase-commit --variant tm-commits-early: the trace no longer "
                   "replays: step 3: tm_commit gives a different state than the trace "
                   "records\n")


def test_a_trace_that_replays_but_no_longer_violates_exits_0(
        invoke_output: InvokeOutput, spec_variant: SpecVariant,
        saved_against_file: Path) -> None:
    trace = saved_against_file
    v5 = spec_variant(
        "two_phase_commit", "v5",
        'return not ("committed" in s.rm_state and "aborted" in s.rm_state)', "return True")
    code, out = invoke_output("trace", "replay", trace, "--spec", v5)
    assert code == 0
    assert out == ("✓ two-phase-commit --variant tm-commits-early: the trace replays (5 steps) "
                   "and shows no violation: the trace violates no property\n")


def test_replay_errors_are_one_paragraph_and_exit_2(invoke_output: InvokeOutput,
                                                    tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    code, out = invoke_output("trace", "replay", bad)
    assert code == 2 and out.startswith("error: not valid JSON") and "Traceback" not in out
    data = counterexample("two-phase-commit", "tm-commits-early").to_json()
    data["params"] = {**data["params"], "rm_count": 3}  # type: ignore[dict-item]
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps(data), encoding="utf-8")
    code, out = invoke_output("trace", "replay", renamed)
    assert code == 2 and "parameters ['rm_count'], which spec 'two-phase-commit' no " \
                         "longer has" in out
    code, out = invoke_output("trace", "show", tmp_path / "missing.json")
    assert code == 2 and "cannot read trace file" in out


def test_readme_example_runs_as_shown(cli_result: CliResult, readme: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    block = re.search(r"# Inspecting traces.*?```sh\n(.*?)```", readme, re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    # Each "$ command" is followed by what it prints, with "…" where lines are left out.
    for part in block.group(1).split("$ ")[1:]:
        command, _, shown = part.partition("\n")
        args = command.split()[1:]
        result = cli_result(args)
        assert result.exit_code in (0, 1), result.output
        first, *rest = shown.split("…\n")
        assert result.stdout.startswith(first), (command, result.stdout)
        for excerpt in rest:  # the excerpts after an ellipsis appear as written
            assert excerpt in result.stdout, (command, excerpt)


# -- a trace is data ------------------------------------------------------------------------

_PLANTED = """
from pathlib import Path
Path({marker!r}).write_text("the trace ran this")
"""


def _planted(tmp_path: Path, spec_ref: str) -> Path:
    """tm-commits-early's counterexample, edited to name ``spec_ref`` as its spec."""
    data = counterexample("two-phase-commit", "tm-commits-early").to_json()
    data["spec"] = spec_ref
    path = tmp_path / "planted.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


_READERS = [
    ("trace", "show", "{trace}"),
    ("trace", "show", "{trace}", "--format", "json"),
    ("trace", "show", "{trace}", "--format", "html"),
    ("trace", "show", "{trace}", "--format", "mermaid"),
    ("trace", "show", "{trace}", "--format", "svg"),
    ("trace", "diagram", "{trace}"),
    ("trace", "replay", "{trace}"),
    ("trace", "replay", "{trace}", "--json"),
    ("trace", "shrink", "{trace}"),
]
_NEEDS_SPEC = {"mermaid", "svg", "diagram", "replay", "shrink"}


@pytest.mark.parametrize("ref", ["evil.py", "{dir}/evil.py", "evil.py:spec", "{module}:spec",
                                 "{module}"])
@pytest.mark.parametrize("command", _READERS, ids=lambda c: "-".join(c[1:]).replace("{trace}-", "")
                         .replace("{trace}", "text"))
def test_a_trace_never_runs_the_code_it_names(invoke_output: InvokeOutput, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, ref: str,
                                              command: tuple[str, ...]) -> None:
    marker = tmp_path / "MARKER"
    module = f"evil_{uuid.uuid4().hex}"  # a fresh name: never imported before
    for name in ("evil.py", f"{module}.py"):
        (tmp_path / name).write_text(_PLANTED.format(marker=str(marker)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    trace = _planted(tmp_path, ref.format(dir=tmp_path, module=module))
    code, out = invoke_output(*(a.format(trace=trace) for a in command))
    assert not marker.exists(), f"{command} ran the file the trace names"
    assert "Traceback" not in out
    if _NEEDS_SPEC.intersection(command):
        assert code == 2, out
        assert "not a catalogue entry" in out and "--spec" in out, out
    else:
        assert code == 0, out


def test_the_explorer_never_runs_the_code_a_trace_names(invoke_output: InvokeOutput, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "MARKER"
    (tmp_path / "evil.py").write_text(_PLANTED.format(marker=str(marker)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    trace = _planted(tmp_path, "evil.py")

    def no_server(*args: object, **kwargs: object) -> None:
        raise OSError("not in a test")
    monkeypatch.setattr("modelcheck.cli.explore.make_server", no_server)
    code, out = invoke_output("explore", "two-phase-commit", "--trace", trace, "--no-search")
    assert code == 2 and "cannot listen" in out
    assert not marker.exists()


def test_a_catalogue_name_in_a_trace_is_looked_up_and_anything_else_needs_spec(
        invoke_output: InvokeOutput,
        tmp_path: Path) -> None:
    # A trace saved from a spec file records the spec's name, which the catalogue does
    # not know: the user says which spec it is.
    stuck = tmp_path / "stuck.py"
    stuck.write_text(_STUCK, encoding="utf-8")
    path = tmp_path / "deadlock.json"
    assert invoke_output("verify", stuck, "--trace-out", path, "-q")[0] == 1
    code, out = invoke_output("trace", "replay", path)
    assert code == 2
    assert out == ("error: the trace names spec 'stuck', which is not a catalogue entry; a "
                   "trace never loads the code it names: pass the spec it belongs to with "
                   "--spec FILE (the .py file that defines 'stuck', or module:attribute)\n")
    assert invoke_output("trace", "replay", path, "--spec", stuck)[0] == 1
    # A name that is not a catalogue entry never reaches the general loader.
    for ref in ("os:path", "json", "x.py"):
        code, out = invoke_output("trace", "diagram", _planted(tmp_path, ref))
        assert code == 2 and f"the trace names spec {ref!r}, which is not a catalogue " \
                             "entry" in out


def test_rendering_a_trace_from_python_looks_up_the_catalogue_only(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    (tmp_path / "evil.py").write_text(_PLANTED.format(marker=str(marker)), encoding="utf-8")
    trace = Trace.load(_planted(tmp_path, str(tmp_path / "evil.py")))
    assert 'id="diagram" class="hidden"' in render_as(trace, "html")
    with pytest.raises(UsageError, match="not a catalogue entry"):
        topology_for(trace)
    assert not marker.exists()


# -- how values, messages and terms read ----------------------------------------------------


def test_raft_traces_read_absolute_terms_and_messages_by_content() -> None:
    from modelcheck.render.text import render_trace
    from modelcheck.trace import shown

    spec = load_spec("raft")
    trace = counterexample("raft", "vote-twice")
    text = render_trace(trace, spec=spec)
    # The model's terms are relative: the second candidate's timeout lowers every term.
    assert trace.steps[-1].state["current_term"] == [0, 0, 0]
    assert shown(trace, spec).steps[-1].state["current_term"] == [1, 1, 1]
    assert re.search(r"current_term\[\d\]: 1 → 0", text) is None
    assert "timeout(i=2)\n      current_term[2]: 0 → 1\n" in text
    # One formatter: a message reads the same in a step's header and in the diffs.
    request = "RequestVoteRequest(0→1, term=1, last_log_term=None, last_log_index=0)"
    assert f"deliver {request}\n" in text and f"msgs + {request}\n" in text
    assert f"msgs − {request}\n" in text and "msgs[" not in text
    # Fields no step changes are shown once, in the initial state.
    assert text.count("stable: False") == 1
    assert "      unchanged throughout:\n        log: [[], [], []]\n" in text


def test_messages_in_a_bag_are_diffed_by_content_copies_unfolded() -> None:
    from modelcheck.render.text import diff

    a = {"$type": "M", "src": 0, "dst": 1}
    b = {"$type": "M", "src": 0, "dst": 2}
    before = {"$type": "S", "msgs": [a, b]}
    after = {"$type": "S", "msgs": [{"$type": "Copies", "msg": a, "extra": 1}, a]}
    assert diff(before, after) == [("msgs", "removed", b, None), ("msgs", "added", None, a)]
