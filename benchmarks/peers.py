"""Run peer model checkers (TLC and Spin) on Two-Phase Commit for comparison.

The module only drives external tools; it needs nothing beyond the standard
library.  Each ``run_*`` function returns a :class:`PeerResult` on success and
``None`` when the peer cannot be run or does not finish cleanly (tool or input
missing, timeout, non-zero exit, error reported, unparsable output).  In the
``None`` case the module attribute :data:`skip_reason` holds a human-readable
explanation; after a successful run it is ``None``.  Read it as
``peers.skip_reason`` (not via ``from ... import skip_reason``, which would
copy the value at import time).  The attribute is shared module state, so use
the ``run_*`` functions from one thread at a time if you rely on it.

Configuration (environment variables):

``MODELCHECK_TLA2TOOLS``
    Path of ``tla2tools.jar`` (default ``/opt/peers/tla2tools.jar``).
``MODELCHECK_TLA_EXAMPLES``
    Directory holding ``TwoPhase.tla`` and ``TCommit.tla`` from the TLA+
    Examples repository (default ``/opt/peers/tla``).  The files may sit in
    the directory itself, in ``transaction_commit/`` or in
    ``specifications/transaction_commit/`` below it.
``MODELCHECK_JAVA``
    Java executable (default: ``$JAVA_HOME/bin/java``, then ``java`` on PATH).
``MODELCHECK_SPIN``
    Spin executable (default: ``spin`` on PATH).
``CC``
    C compiler used for Spin's ``pan.c`` (default: ``gcc``, then ``cc``).
``MODELCHECK_TWOPHASE_PML``
    Promela model used by the command line (default
    ``/work/shared/peers/twophase.pml``).

Counting conventions.  For TLC, ``distinct`` and ``generated`` are TLC's
"distinct states found" and "states generated", and ``depth`` is TLC's
"depth of the complete state graph search" (counts states on the longest
shortest path, so the initial state alone has depth 1).  For Spin,
``distinct`` is "states, stored", ``generated`` is "transitions" (stored +
matched) and ``depth`` is Spin's "depth reached" (counts transitions, so it
is one less than TLC's depth for the same state graph).

Command line: ``python benchmarks/peers.py [--pml FILE] N [N ...]`` prints one
line per peer and ``N``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_TLA_DIR",
    "DEFAULT_TLC_JAR",
    "PeerResult",
    "find_java",
    "find_spin",
    "find_tla_twophase_dir",
    "find_tlc_jar",
    "run_spin_twophase",
    "run_tlc",
    "run_tlc_twophase",
    "skip_reason",
]

DEFAULT_TLC_JAR = Path("/opt/peers/tla2tools.jar")
"""Where ``tla2tools.jar`` is looked for when ``MODELCHECK_TLA2TOOLS`` is unset."""

DEFAULT_TLA_DIR = Path("/opt/peers/tla")
"""Where the TLA+ specs are looked for when ``MODELCHECK_TLA_EXAMPLES`` is unset."""

skip_reason: str | None = None
"""Why the last ``run_*`` call returned ``None``; ``None`` after a success."""

_TWOPHASE_FILES = ("TwoPhase.tla", "TCommit.tla")

# Model wrapper: TwoPhase only reaches TCConsistent through its TC instance,
# and a .cfg file cannot name ``TC!TCConsistent`` directly.
_MC_MODULE = """\
---------------------------- MODULE MCTwoPhase ----------------------------
EXTENDS TwoPhase, TLC
TCConsistent == TC!TCConsistent
RMPermutations == Permutations(RM)
=============================================================================
"""

_TLC_TOTALS = re.compile(
    r"([\d,]+) states generated, ([\d,]+) distinct states found, "
    r"([\d,]+) states left on queue"
)
_TLC_DEPTH = re.compile(r"depth of the complete state graph search is (\d+)")
_TLC_VERSION = re.compile(r"TLC2 Version (\S+)")
_TLC_DONE = "Model checking completed. No error has been found."

_SPIN_STORED = re.compile(r"^\s*(\d+) states, stored", re.MULTILINE)
_SPIN_TRANSITIONS = re.compile(r"^\s*(\d+) transitions", re.MULTILINE)
_SPIN_DEPTH = re.compile(r"depth reached (\d+)")
_SPIN_ERRORS = re.compile(r"errors: (\d+)")
_SPIN_VERSION = re.compile(r"Spin Version (\S+)")


@dataclass(frozen=True, slots=True)
class PeerResult:
    """Outcome of one complete, error-free run of a peer model checker.

    Attributes:
        tool: ``"tlc"`` or ``"spin"``.
        n: Number of resource managers in the Two-Phase Commit instance.
        distinct: Distinct reachable states (TLC) / states stored (Spin).
        generated: States generated (TLC) / transitions (Spin).
        depth: Search depth as the tool reports it (see module docstring for
            the conventions), or ``None`` when the tool did not report it.
        seconds: Wall-clock seconds of the state-space search.  For TLC this
            is the whole ``java`` process, JVM start-up included; for Spin it
            is the ``pan`` run only.
        note: Free-form details (tool version, options used).
        compile_seconds: Spin only: wall seconds of ``spin -a`` plus the C
            compilation of ``pan``; ``None`` for TLC.
        rss_mb: Peak resident memory in MB of the process that searched (the
            ``java`` process, or ``pan``), from its ``wait4`` resource usage.
    """

    tool: str
    n: int
    distinct: int
    generated: int
    depth: int | None
    seconds: float
    note: str = ""
    compile_seconds: float | None = None
    rss_mb: float | None = None


def _skip(reason: str) -> PeerResult | None:
    """Record ``reason`` in :data:`skip_reason`; always returns ``None``."""
    global skip_reason
    skip_reason = reason
    return None


def _ok(result: PeerResult) -> PeerResult:
    """Clear :data:`skip_reason` and pass ``result`` through."""
    global skip_reason
    skip_reason = None
    return result


def _int(text: str) -> int:
    """Parse an integer that may contain thousands separators."""
    return int(text.replace(",", ""))


def _tail(text: str, lines: int = 5) -> str:
    """Return the last ``lines`` non-empty lines of ``text``, joined by ``|``."""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


def _run(
    cmd: list[str], cwd: Path, timeout: float
) -> tuple[subprocess.CompletedProcess[str] | None, float, str | None]:
    """Run ``cmd`` in ``cwd`` with a timeout, capturing combined output.

    Returns:
        ``(process, wall_seconds, error)``; ``process`` is ``None`` and
        ``error`` explains why when the command could not be started or
        timed out (the child is killed in that case).  The child's peak
        resident memory is left in :data:`_last_rss_mb`.
    """
    global _last_rss_mb
    _last_rss_mb = None
    if timeout <= 0:
        return None, 0.0, f"no time left to run {Path(cmd[0]).name}"
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(
                cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT,
            )
        except OSError as exc:
            return None, time.perf_counter() - start, (f"cannot run {cmd[0]}: {exc}")
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if killed.is_set():
            return (
                None,
                seconds,
                (f"{Path(cmd[0]).name} timed out after {timeout:.1f} s"),
            )
        _last_rss_mb = usage.ru_maxrss / 1024
        out.seek(0)
        text = out.read().decode(errors="replace")
    return subprocess.CompletedProcess(cmd, proc.returncode, text), seconds, None


_last_rss_mb: float | None = None
"""Peak resident memory (MB) of the last child :func:`_run` waited for."""


# --------------------------------------------------------------------- TLC


def find_tlc_jar() -> Path | None:
    """Locate ``tla2tools.jar``.

    Looks at ``$MODELCHECK_TLA2TOOLS`` first, then :data:`DEFAULT_TLC_JAR`.

    Returns:
        The path of an existing jar file, or ``None``.
    """
    env = os.environ.get("MODELCHECK_TLA2TOOLS")
    candidates = [Path(env)] if env else []
    candidates.append(DEFAULT_TLC_JAR)
    for path in candidates:
        if path.is_file():
            return path
    return None


def find_java() -> str | None:
    """Locate a Java executable.

    Looks at ``$MODELCHECK_JAVA``, then ``$JAVA_HOME/bin/java``, then ``java``
    on ``PATH``.

    Returns:
        The executable's path, or ``None``.
    """
    env = os.environ.get("MODELCHECK_JAVA")
    if env:
        return shutil.which(env)
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        found = shutil.which(str(Path(java_home) / "bin" / "java"))
        if found:
            return found
    return shutil.which("java")


def find_tla_twophase_dir() -> Path | None:
    """Locate the directory holding ``TwoPhase.tla`` and ``TCommit.tla``.

    The base directory is ``$MODELCHECK_TLA_EXAMPLES`` or
    :data:`DEFAULT_TLA_DIR`; the base itself, ``transaction_commit/`` and
    ``specifications/transaction_commit/`` below it are tried in that order.

    Returns:
        The first directory containing both files, or ``None``.
    """
    base = Path(os.environ.get("MODELCHECK_TLA_EXAMPLES") or DEFAULT_TLA_DIR)
    for folder in (
        base,
        base / "transaction_commit",
        base / "specifications" / "transaction_commit",
    ):
        if all((folder / name).is_file() for name in _TWOPHASE_FILES):
            return folder
    return None


def _tlc_config(n: int, symmetry: bool = False) -> str:
    """Return the TLC configuration for TwoPhase with ``n`` resource managers.

    The RMs are model values ``r1`` .. ``rn``.  Deadlock checking stays on
    (TwoPhase has no deadlock: once the TM has decided, the RMs' receive
    actions stay enabled), matching the published model.  With ``symmetry``,
    ``SYMMETRY Permutations(RM)``.
    """
    rms = ", ".join(f"r{i}" for i in range(1, n + 1))
    return (
        f"CONSTANT RM = {{{rms}}}\n"
        "INVARIANT TPTypeOK TCConsistent\n"
        "SPECIFICATION TPSpec\n"
        + ("SYMMETRY RMPermutations\n" if symmetry else "")
    )


def run_tlc_twophase(
    n: int, workers: int = 1, timeout: float = 600, symmetry: bool = False
) -> PeerResult | None:
    """Model-check TwoPhase with ``n`` resource managers using TLC.

    The specs are copied from :func:`find_tla_twophase_dir` into a temporary
    directory together with a small model (``MCTwoPhase.tla``/``.cfg``) that
    sets ``RM = {r1, ..., rn}`` and checks the invariants ``TPTypeOK`` and
    ``TC!TCConsistent`` by breadth-first search (with ``symmetry``, reduced
    by ``SYMMETRY Permutations(RM)``).

    Args:
        n: Number of resource managers (at least 1).
        workers: TLC worker threads (``-workers``).
        timeout: Seconds before the ``java`` process is killed.
        symmetry: Declare the RMs a symmetry set.

    Returns:
        The counts and wall time, or ``None`` (see :data:`skip_reason`).
    """
    if n < 1:
        return _skip(f"n must be at least 1, got {n}")
    spec_dir = find_tla_twophase_dir()
    if spec_dir is None:
        base = os.environ.get("MODELCHECK_TLA_EXAMPLES") or DEFAULT_TLA_DIR
        return _skip(
            f"TwoPhase.tla/TCommit.tla not found under {base} "
            "(set MODELCHECK_TLA_EXAMPLES)"
        )
    files = {name: (spec_dir / name).read_text() for name in _TWOPHASE_FILES}
    files["MCTwoPhase.tla"] = _MC_MODULE
    files["MCTwoPhase.cfg"] = _tlc_config(n, symmetry)
    return run_tlc(files, "MCTwoPhase", n, workers, timeout)


def run_tlc(
    files: dict[str, str], module: str, n: int, workers: int = 1, timeout: float = 600,
    deadlock: bool = True,
) -> PeerResult | None:
    """Model-check ``module`` (with ``module.cfg``) using TLC, breadth-first.

    Args:
        files: Every ``.tla`` and ``.cfg`` file the model needs, by name, written
            to a temporary directory.
        module: The root module's name.
        n: The size of the instance, recorded in the result.
        workers: TLC worker threads (``-workers``).
        timeout: Seconds before the ``java`` process is killed.
        deadlock: Check for deadlock (TLC's default); ``False`` passes
            ``-deadlock``, as ``CHECK_DEADLOCK FALSE`` in a newer TLC's
            configuration file does.

    Returns:
        The counts and wall time, or ``None`` (see :data:`skip_reason`).
    """
    if workers < 1:
        return _skip(f"workers must be at least 1, got {workers}")
    jar = find_tlc_jar()
    if jar is None:
        return _skip(
            "tla2tools.jar not found (set MODELCHECK_TLA2TOOLS or install "
            f"it at {DEFAULT_TLC_JAR})"
        )
    java = find_java()
    if java is None:
        return _skip("no java executable found (set MODELCHECK_JAVA or JAVA_HOME)")

    with tempfile.TemporaryDirectory(prefix="peers-tlc-") as tmp:
        work = Path(tmp)
        for name, text in files.items():
            (work / name).write_text(text)
        cmd = [
            java,
            "-XX:+UseParallelGC",
            "-cp",
            str(jar),
            "tlc2.TLC",
            "-workers",
            str(workers),
            "-nowarning",
            *([] if deadlock else ["-deadlock"]),
            "-metadir",
            str(work / "states"),
            "-config",
            f"{module}.cfg",
            f"{module}.tla",
        ]
        proc, seconds, error = _run(cmd, work, timeout)

    if proc is None:
        return _skip(f"TLC {module} n={n}: {error}")
    out = proc.stdout
    if _TLC_DONE not in out:
        return _skip(
            f"TLC {module} n={n}: did not complete cleanly (exit {proc.returncode}): "
            f"{_tail(out)}"
        )
    totals = _TLC_TOTALS.findall(out)
    if not totals:
        return _skip(f"TLC {module} n={n}: no state counts in output: {_tail(out)}")
    rss_mb = _last_rss_mb
    generated, distinct, _left = totals[-1]
    depth_match = _TLC_DEPTH.search(out)
    version = _TLC_VERSION.search(out)
    note = (
        f"TLC {version.group(1) if version else '?'}, -workers {workers}, "
        "BFS, wall time includes JVM start-up"
    )
    return _ok(
        PeerResult(
            tool="tlc",
            n=n,
            distinct=_int(distinct),
            generated=_int(generated),
            depth=int(depth_match.group(1)) if depth_match else None,
            seconds=seconds,
            note=note,
            rss_mb=rss_mb,
        )
    )


# -------------------------------------------------------------------- Spin


def find_spin() -> str | None:
    """Locate the Spin executable (``$MODELCHECK_SPIN``, then ``spin``).

    Returns:
        The executable's path, or ``None``.
    """
    return shutil.which(os.environ.get("MODELCHECK_SPIN") or "spin")


def _find_cc() -> str | None:
    """Locate a C compiler (``$CC``, then ``gcc``, then ``cc``)."""
    env = os.environ.get("CC")
    if env:
        return shutil.which(env)
    return shutil.which("gcc") or shutil.which("cc")


def run_spin_twophase(n: int, pml: Path, timeout: float = 600) -> PeerResult | None:
    """Model-check a Promela Two-Phase Commit model with ``n`` RMs using Spin.

    Runs ``spin -a -DN=n``, ``cc -O2 -DSAFETY -DBFS -o pan pan.c`` and
    ``./pan -m100000 -w24`` in a temporary directory.  The model must take
    the number of resource managers from the macro ``N``.

    Args:
        n: Number of resource managers (at least 1).
        pml: The Promela model file.
        timeout: Overall budget in seconds for generation, compilation and
            search together; a step that exceeds it is killed.

    Returns:
        The counts, search time (``seconds``) and compile time
        (``compile_seconds``), or ``None`` (see :data:`skip_reason`).
    """
    if n < 1:
        return _skip(f"n must be at least 1, got {n}")
    spin = find_spin()
    if spin is None:
        return _skip("spin not found (install Debian's spin or set MODELCHECK_SPIN)")
    cc = _find_cc()
    if cc is None:
        return _skip("no C compiler found (set CC)")
    pml = Path(pml)
    if not pml.is_file():
        return _skip(f"Promela model {pml} not found")

    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="peers-spin-") as tmp:
        work = Path(tmp)
        shutil.copyfile(pml, work / pml.name)

        proc, gen_seconds, error = _run(
            [spin, "-a", f"-DN={n}", pml.name], work, deadline - time.monotonic()
        )
        if proc is None:
            return _skip(f"Spin n={n}: {error}")
        if proc.returncode != 0 or not (work / "pan.c").is_file():
            return _skip(
                f"Spin n={n}: spin -a failed (exit {proc.returncode}): "
                f"{_tail(proc.stdout)}"
            )
        version_proc, _, _ = _run([spin, "-V"], work, 30)
        version = _SPIN_VERSION.search(version_proc.stdout) if version_proc else None

        proc, cc_seconds, error = _run(
            [cc, "-O2", "-DSAFETY", "-DBFS", "-o", "pan", "pan.c"],
            work,
            deadline - time.monotonic(),
        )
        if proc is None:
            return _skip(f"Spin n={n}: {error}")
        if proc.returncode != 0:
            return _skip(
                f"Spin n={n}: compiling pan.c failed (exit {proc.returncode}): "
                f"{_tail(proc.stdout)}"
            )

        proc, seconds, error = _run(
            [str(work / "pan"), "-m100000", "-w24"],
            work,
            deadline - time.monotonic(),
        )
        rss_mb = _last_rss_mb

    if proc is None:
        return _skip(f"Spin n={n}: {error}")
    out = proc.stdout
    errors = _SPIN_ERRORS.search(out)
    if errors is None or int(errors.group(1)) != 0 or proc.returncode != 0:
        return _skip(
            f"Spin n={n}: search reported errors (exit {proc.returncode}): {_tail(out)}"
        )
    if "max search depth too small" in out:
        return _skip(f"Spin n={n}: search truncated by the depth limit -m100000")
    stored = _SPIN_STORED.search(out)
    transitions = _SPIN_TRANSITIONS.search(out)
    if stored is None or transitions is None:
        return _skip(f"Spin n={n}: no state counts in output: {_tail(out)}")
    depth_match = _SPIN_DEPTH.search(out)
    note = (
        f"Spin {version.group(1) if version else '?'}, -DSAFETY -DBFS, "
        "pan -m100000 -w24, seconds = search only"
    )
    return _ok(
        PeerResult(
            tool="spin",
            n=n,
            distinct=int(stored.group(1)),
            generated=int(transitions.group(1)),
            depth=int(depth_match.group(1)) if depth_match else None,
            seconds=seconds,
            note=note,
            compile_seconds=gen_seconds + cc_seconds,
            rss_mb=rss_mb,
        )
    )


# --------------------------------------------------------------------- CLI


def _format(result: PeerResult | None, tool: str, n: int) -> str:
    """Render one result (or the current skip reason) as a table row."""
    if result is None:
        return f"{tool:<5} n={n:<3} skipped: {skip_reason}"
    compile_part = (
        f"  compile {result.compile_seconds:6.2f} s"
        if result.compile_seconds is not None
        else ""
    )
    return (
        f"{result.tool:<5} n={result.n:<3} distinct {result.distinct:>10,}"
        f"  generated {result.generated:>12,}  depth {result.depth!s:>4}"
        f"  {result.seconds:8.2f} s{compile_part}  [{result.note}]"
    )


def main(argv: list[str] | None = None) -> int:
    """Run both peers for each requested ``n`` and print a row per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="+", help="numbers of RMs")
    parser.add_argument(
        "--pml",
        type=Path,
        default=Path(
            os.environ.get("MODELCHECK_TWOPHASE_PML")
            or "/work/shared/peers/twophase.pml"
        ),
        help="Promela model for Spin (default: $MODELCHECK_TWOPHASE_PML or "
        "/work/shared/peers/twophase.pml)",
    )
    parser.add_argument("--workers", type=int, default=1, help="TLC workers")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    args = parser.parse_args(argv)
    for n in args.n:
        print(_format(run_tlc_twophase(n, args.workers, args.timeout), "tlc", n))
        print(_format(run_spin_twophase(n, args.pml, args.timeout), "spin", n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
