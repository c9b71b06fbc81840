"""Every way a command ends has its exit code, and none shows the user a traceback.

0 no violation, 1 a property is violated (and it is printed), 2 a usage, spec or input
error, 3 stopped early (a limit, Ctrl-C). Outputs that cannot be written are refused before
the work that would fill them; an error modelcheck did not foresee is one line and exit 2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import UsageError
from modelcheck.cli import main

if TYPE_CHECKING:
    from conftest import CliResult

SLOW = str(Path(__file__).parent / "specs_limits" / "slow.py")


def run(*args: str, cwd: Path | None = None, timeout: float = 120,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelcheck", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert "internal error" not in done.stderr, done.stderr


# -- trace files ----------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("body", [
    _nested(100_000),  # beyond the parser's recursion
    '{"format": "modelcheck-trace/1", "spec": "two-phase-commit", "params": {}, '
    '"steps": [{"action": "init", "args": {}, "state": ' + _nested(400) + "}]}",
], ids=["deep-file", "deep-state"])  # an id holding the body would overflow the environment
@pytest.mark.parametrize("command", [["trace", "show"], ["trace", "show", "--format", "html"],
                                     ["trace", "diagram"], ["trace", "shrink"],
                                     ["trace", "replay"]])
@pytest.mark.slow
def test_a_deeply_nested_trace_file_is_a_format_error(tmp_path: Path, body: str,
                                                      command: list[str]) -> None:
    path = tmp_path / "deep.json"
    path.write_text(body)
    done = run(*command, str(path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "error: the trace nests values more than 100 levels deep, deeper than modelcheck "
        "reads: the file is damaged, or was not written by modelcheck")
    no_traceback(done)


@pytest.mark.slow
def test_a_trace_nested_within_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cex.json"
    assert run("verify", "two-phase-commit", "--variant", "tm-commits-early", "--trace-out",
               str(path), "-q").returncode == 1
    data = json.loads(path.read_text())
    value: list[object] = []
    for _ in range(90):
        value = [value]
    data["steps"][0]["state"]["rm_state"] = value
    path.write_text(json.dumps(data))
    done = run("trace", "show", str(path))
    assert done.returncode == 0, done.stderr
    no_traceback(done)


# -- outputs that cannot be written ---------------------------------------------------------


@pytest.mark.parametrize("command", [["verify"], ["simulate", "--runs", "1000"]])
@pytest.mark.slow
def test_an_unwritable_trace_out_is_refused_before_the_search(tmp_path: Path,
                                                              command: list[str]) -> None:
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "cex.json"
    started = time.monotonic()
    # The slow spec searches for seconds and finds nothing: only a check before the
    # search can refuse the path.
    done = run(command[0], SLOW, *command[1:], "--trace-out", str(target), "-q")
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: --trace-out {target}: cannot write this file "
                                   "(Not a directory); give a path in a writable directory")
    assert done.stdout == ""
    assert time.monotonic() - started < 30
    no_traceback(done)


def test_a_trace_that_cannot_be_written_at_the_end_follows_the_verdict(
        cli_result: CliResult,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args: object, **kwargs: object) -> str:
        raise UsageError("cannot write the trace to cex.json: No space left on device")
    monkeypatch.setattr("modelcheck.render.output.write_trace", refuse)
    result = cli_result(["verify", "two-phase-commit", "--variant",
                         "tm-commits-early", "--trace-out",
                         str(tmp_path / "cex.json")])
    assert result.exit_code == 2
    assert "✗ invariant consistent is violated after 5 steps" in result.stdout
    assert "trace written" not in result.stdout
    assert result.stderr.strip() == (
        "error: cannot write the trace to cex.json: No space left on device")


@pytest.fixture
def counter_project(tmp_path: Path, counter_spec: str) -> Path:
    """A project in ``tmp_path`` whose pyproject.toml lists the counter spec."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.modelcheck]\nspecs = ["{counter_spec}"]\n')
    return tmp_path


@pytest.mark.slow
def test_an_unwritable_junit_path_is_refused_before_the_checks(counter_project: Path,
                                                               tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "junit.xml"
    done = run("verify", "--all", "--project", str(counter_project), "--junit",
               str(target))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith(f"error: --junit {target}: cannot write this file")
    assert done.stdout == ""  # no check ran
    no_traceback(done)


def test_a_junit_file_that_cannot_be_written_at_the_end_follows_the_table(
        cli_result: CliResult, counter_project: Path, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setattr("modelcheck.cli.verify.check_writable", lambda *a, **k: None, raising=False)
    result = cli_result(["verify", "--all", "--project", str(counter_project),
                         "--junit", str(tmp_path / "file" / "junit.xml")])
    assert result.exit_code == 2, result.output
    assert "1 checks in" in result.stdout and "as expected" in result.stdout
    assert "JUnit XML written" not in result.stdout
    assert result.stderr.startswith(
        f"error: cannot write the JUnit XML to {tmp_path / 'file' / 'junit.xml'}: ")


# -- Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [False, True])
def test_ctrl_c_while_the_command_starts_up_is_exit_3(script: bool) -> None:
    # -X importtime reports each module as its import ends: the signal arrives while the
    # command is still importing its dependencies.
    command = [sys.executable, "-X", "importtime"]
    if script:
        command.append(str(Path(sys.executable).parent / "modelcheck"))
    else:
        command += ["-m", "modelcheck"]
    proc = subprocess.Popen([*command, "verify", "two-phase-commit"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.rpartition("|")[2].strip() == "modelcheck.catalogue":
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, "".join(seen) + err
    # (the imports that were under way still report their time as they unwind)
    assert [line for line in err.splitlines() if not line.startswith("import time:")] == [
        "interrupted"]
    assert out == ""


@pytest.mark.slow
def test_ctrl_c_while_a_spec_file_loads_is_exit_3(tmp_path: Path) -> None:
    spec = tmp_path / "sleepy.py"
    mark = tmp_path / "loading"
    spec.write_text(f"import pathlib, time\npathlib.Path({str(mark)!r}).touch()\n"
                    "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-m", "modelcheck", "verify", str(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert err.strip() == "interrupted" and out == ""


# -- the last resort --------------------------------------------------------------------------


def _boom(ref: str) -> None:
    raise RuntimeError("boom")


def test_an_unforeseen_error_is_one_line_and_exit_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("modelcheck.cli.verify.load", _boom)
    monkeypatch.delenv("MODELCHECK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "two-phase-commit"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err == ("modelcheck: internal error: RuntimeError: boom (set MODELCHECK_DEBUG=1 "
                   "to see where; please report it)\n")


def test_modelcheck_debug_shows_the_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("modelcheck.cli.verify.load", _boom)
    monkeypatch.setenv("MODELCHECK_DEBUG", "1")
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "two-phase-commit"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in _boom" in err and err.endswith("please report it)\n")


@pytest.mark.slow
def test_a_closed_standard_output_is_not_exit_1() -> None:
    # A violation whose report cannot be printed is not reported: exit 1 would lie.
    proc = subprocess.Popen([sys.executable, "-m", "modelcheck", "verify", "raft", "--variant",
                             "vote-twice"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 2
    assert b"Traceback" not in err


# -- spec modules are code ----------------------------------------------------------------------


@pytest.mark.parametrize(("source", "error"), [
    ("import sys\nsys.exit(1)\n", "raised SystemExit: 1"),
    ("raise RuntimeError('broken')\n", "raised RuntimeError: broken"),
])
@pytest.mark.slow
def test_a_spec_module_that_raises_or_exits_is_a_spec_error(tmp_path: Path, source: str,
                                                             error: str) -> None:
    (tmp_path / "broken_spec.py").write_text(source)
    for ref, said in ((str(tmp_path / "broken_spec.py"), "loading spec file"),
                      ("broken_spec:spec", "importing module 'broken_spec' for spec")):
        done = run("verify", ref, cwd=tmp_path)
        assert done.returncode == 2, (ref, done.stderr)
        assert done.stderr.startswith(f"error: {said}") and error in done.stderr
        no_traceback(done)


# -- bad option values ----------------------------------------------------------------------


@pytest.mark.parametrize("size", ["1e400", "nanG", "infM"])
def test_a_memory_size_that_is_not_finite_is_a_usage_error(cli_result: CliResult,
                                                           size: str) -> None:
    result = cli_result(["verify", "two-phase-commit", "--max-memory", size])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: --max-memory {size!r}: expected a size such "
                                     "as 4G, 500M or 1073741824")


@pytest.mark.slow
def test_a_scheduler_address_dask_cannot_parse_is_a_usage_error() -> None:
    pytest.importorskip("distributed")
    started = time.monotonic()
    done = run("verify", "two-phase-commit", "--no-temporal", "--scheduler", "nonsense")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: --scheduler 'nonsense' is not a Dask scheduler address (missing port number "
        "in address 'nonsense'); give tcp://HOST:PORT (e.g. tcp://HOST:8786), or 'local'")
    assert time.monotonic() - started < 15  # no client left to time out at exit
