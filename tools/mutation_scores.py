"""The catalogue's mutation scores, measured by ``modelcheck mutate`` and recorded for the
README's catalogue table.

``python tools/mutation_scores.py [SPEC ...]`` runs ``modelcheck mutate SPEC --json`` for
each named entry (every entry without names) at the configuration listed in ``CONFIGS``
(the entry's default one unless said otherwise), and records its counts and score in
``tools/mutation_scores.json`` together with a digest of the spec's code (its module's
syntax tree, docstrings left out: rewording a docstring changes no mutant; and its
``accept_mutant`` statements left out, with the reasons they share (a string constant
that only acceptances read): an acceptance changes no mutant either, only how
its outcome counts, so the table judges the recorded survivors and time-outs with the
spec's acceptances as they are). A record whose digest no longer matches the code is
stale: the test suite says so, and names the command that measures it again, so the table
never shows a score of a spec that has changed since.
Measuring the whole catalogue takes tens of minutes; ``--jobs`` is passed on to
``modelcheck mutate`` (mutants checked at once).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from modelcheck.catalogue import entries
from modelcheck.mutants import source_of
from modelcheck.spec import Spec

SCORES = Path(__file__).resolve().parent / "mutation_scores.json"

CONFIGS: dict[str, tuple[tuple[str, ...], str]] = {
    # entry: (arguments of `modelcheck mutate` beyond the spec's name, why they differ
    # from the default run)
}
"""Entries measured at another configuration than their default, and why."""

TIMEOUT = 60.0
"""Seconds each mutant's check may take (``modelcheck mutate``'s default)."""

TIMEOUTS: dict[str, float] = {
    "paxos": 300.0,  # a full search of ballots 0..2 takes 30 s on an idle machine
    "raft": 180.0,  # a full search of the default bounds, liveness included: 1-2 minutes
}
"""Entries whose mutants may take longer than :data:`TIMEOUT` (a surviving mutant is
searched whole), in seconds."""


def _is_acceptance(stmt: ast.stmt) -> bool:
    """``X.accept_mutant(...)`` as a statement of its own."""
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr == "accept_mutant")


def _reasons(tree: ast.Module) -> set[str]:
    """Names that only ``accept_mutant`` calls read: shared reasons for acceptances."""
    in_acceptances: set[str] = set()
    elsewhere: set[str] = set()
    for stmt in tree.body:
        names = {n.id for n in ast.walk(stmt)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        (in_acceptances if _is_acceptance(stmt) else elsewhere).update(names)
    return in_acceptances - elsewhere


def _assigns_reason(stmt: ast.stmt, reasons: set[str]) -> bool:
    """``NAME = "..."`` at module level, for a name only acceptances read."""
    return (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in reasons
            and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str))


def digest(spec: Spec, *, acceptances: bool = False) -> str:
    """The SHA-256 of the spec module's syntax tree without its docstrings (nor comments)
    and, unless ``acceptances``, without its ``accept_mutant`` declarations: the code a
    recorded score was measured on. An acceptance changes no mutant, only how its outcome
    is judged, which :func:`cell` does with the spec's acceptances as they are now."""
    source, path = source_of(spec)
    tree = ast.parse(source, path)
    if not acceptances:
        reasons = _reasons(tree)
        tree.body = [stmt for stmt in tree.body
                     if not _is_acceptance(stmt) and not _assigns_reason(stmt, reasons)]
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode("utf-8")).hexdigest()


def recorded() -> dict[str, dict[str, object]]:
    """The records of ``tools/mutation_scores.json`` (empty when there is none)."""
    if not SCORES.exists():
        return {}
    data: dict[str, dict[str, object]] = json.loads(SCORES.read_text(encoding="utf-8"))
    return data


def stale(name: str, spec: Spec, records: dict[str, dict[str, object]]) -> str | None:
    """Why the record of ``name`` cannot be shown (None when it is current)."""
    record = records.get(name)
    if record is None:
        return "no score recorded"
    if "accepted" in record:  # acceptances are judged as they are now (see cell)
        if record.get("digest") != digest(spec):
            return "the spec changed since its score was measured"
    elif record.get("digest") != digest(spec, acceptances=True):
        return "the spec (or one of its acceptances) changed since its score was measured"
    if record.get("args", []) != list(CONFIGS.get(name, ((), ""))[0]):
        return "its configuration changed since its score was measured"
    return None


def cell(name: str, spec: Spec, records: dict[str, dict[str, object]]) -> str:
    """The table's cell: ``0.968 (30 of 31)``, the configuration when not the default, or
    ``—`` when there is no current record."""
    record = records.get(name)
    if record is None or stale(name, spec, records) is not None:
        return "—"
    if record.get("not_measured"):
        return "n/a (an impossibility)"
    counted, caught = judged(spec, record)
    text = f"{caught / counted:.3f} ({caught} of {counted})" if counted else "—"
    args = record.get("args") or []
    assert isinstance(args, list)
    if args:
        text += f" at `{' '.join(str(a) for a in args)}`"
    return text


def judged(spec: Spec, record: dict[str, object]) -> tuple[int, int]:
    """The mutants counted in the score, and those caught (killed, or by a spec error):
    of a record that lists its accepted mutants, with the spec's acceptances as they are
    now (a survivor accepted since leaves the score; an acceptance withdrawn puts its
    mutant back, as not caught)."""
    counts = record["counts"]
    assert isinstance(counts, dict)
    caught = counts["killed"] + counts["error"]
    if "accepted" not in record:
        return counts["mutants"] - counts["equivalent"] - counts["accepted"], caught
    pool: set[str] = set()
    for key in ("surviving", "timed_out", "accepted"):
        ids = record.get(key) or []
        assert isinstance(ids, list)
        pool.update(str(i) for i in ids)
    accepted = len(pool & set(spec.accepted_mutants))
    return counts["mutants"] - counts["equivalent"] - accepted, caught


def measure(name: str, spec: Spec, jobs: int | None) -> dict[str, object]:
    """Run ``modelcheck mutate`` on ``name`` and return its record."""
    args, _ = CONFIGS.get(name, ((), ""))
    # Accepted mutants checked too: a record reports an acceptance gone stale.
    command = [sys.executable, "-m", "modelcheck", "mutate", name, *args, "--json",
               "--quiet", "--check-accepted", "--timeout", str(TIMEOUTS.get(name, TIMEOUT))]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{name}: modelcheck mutate exited {done.returncode}:\n"
                         f"{done.stderr.strip()}")
    report = json.loads(done.stdout)
    if report["original"]["status"] != "ok":
        if spec.expectation(None).status == "ok":
            where = " ".join(args) or "its default configuration"
            raise SystemExit(f"{name}: the spec itself does not pass at {where}")
        # an impossibility result: its default run shows the violation, so a mutant that
        # also violates it is not caught by anything
        return {"args": list(args), "digest": digest(spec), "score": None,
                "counts": report["counts"], "exit_code": done.returncode,
                "seconds": round(time.monotonic() - started, 1),
                "not_measured": "its default configuration violates a property by design"}
    return {"args": list(args), "digest": digest(spec), "score": report["score"],
            "counts": report["counts"], "exit_code": done.returncode,
            "seconds": round(time.monotonic() - started, 1),
            "surviving": [m["id"] for m in report["mutants"] if m["status"] == "survived"],
            "timed_out": [m["id"] for m in report["mutants"] if m["status"] == "timeout"],
            "accepted": [m["id"] for m in report["mutants"] if m["status"] == "accepted"]}


def main(argv: list[str] | None = None) -> int:
    """Measure the named entries (every one by default) and update the records."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="SPEC")
    parser.add_argument("--jobs", type=int, help="mutants checked at once")
    parser.add_argument("--stale", action="store_true",
                        help="measure only the entries whose record is missing or stale")
    args = parser.parse_args(argv)
    catalogue = entries()
    unknown = sorted(set(args.names) - set(catalogue))
    if unknown:
        print(f"unknown entries: {', '.join(unknown)}", file=sys.stderr)
        return 2
    records = recorded()
    names = args.names or list(catalogue)
    if args.stale:
        names = [n for n in names if stale(n, catalogue[n], records) is not None]
    for name in names:
        record = measure(name, catalogue[name], args.jobs)
        records = recorded()  # another run may have written meanwhile
        records[name] = record
        SCORES.write_text(json.dumps(dict(sorted(records.items())), indent=1) + "\n",
                          encoding="utf-8")
        print(f"{name}: {record['score']} {record['counts']} in {record['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
