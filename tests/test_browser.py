"""End to end in headless Chromium: the HTML viewer of a Raft counterexample, and the
explorer serving two-phase commit, clicked through as a person would.

Chromium is the system's (Debian's ``chromium`` package, or any Chromium or Chrome named by
``MODELCHECK_CHROMIUM``), driven by Playwright through its executable path; Playwright's own
browser download is never used. Where no Chromium is found the tests are skipped, with the
command that installs it, except on CI (``CI=true``, which installs it), where they fail.
Every wait is on the page's state (an element, a text, an attribute), never on time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from modelcheck import check, load_spec
from modelcheck.render.labels import step_label
from modelcheck.render.text import diff, render_change
from modelcheck.trace import shown

if TYPE_CHECKING:
    from conftest import CliResult

pytestmark = pytest.mark.slow  # each test starts Chromium

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


INSTALL_CHROMIUM = "apt-get install -y chromium"
"""The command that installs the Chromium these tests drive (Debian's package)."""


def on_ci() -> bool:
    """Whether this is a CI run (``CI=true``, as CI services set it), where nothing is skipped."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def chromium_path() -> str:
    """Chromium's executable; skips the test where there is none (fails it on CI)."""
    found = os.environ.get("MODELCHECK_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not found:
        reason = (f"Chromium is not installed: {INSTALL_CHROMIUM} "
                  "(or MODELCHECK_CHROMIUM=/path/to/chromium)")
        if on_ci():
            pytest.fail(f"{reason}; CI=true, so the browser tests must run", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def test_viewer_of_a_raft_counterexample(cli_result: CliResult, page: Page, tmp_path: Path) -> None:
    out = tmp_path / "trace.html"
    result = cli_result(["verify", "raft", "--variant", "forget-vote",
                         "--trace-out", str(out), "-q"])
    assert result.exit_code == 1
    # What the page must show, read from the same counterexample found in this process.
    found = check(load_spec("raft"), variant="forget-vote").violation
    assert found is not None and found.trace is not None
    trace = shown(found.trace, load_spec("raft"))  # as the page reads it: absolute terms
    steps = [step_label(s) for s in trace.steps]
    crash, restart = steps.index("⚡ crash 1"), steps.index("↺ restart 1")

    def changes(i: int) -> str:
        return "\n".join(render_change(c) for c in diff(trace.steps[i - 1].state,
                                                          trace.steps[i].state))

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())

    expect(page.locator("#title")).to_have_text("raft --variant forget-vote")
    expect(page.locator("#verdict")).to_have_text(found.message)
    expect(page.locator("#step-list li")).to_have_count(len(steps))
    # The page opens on the violating step: the second leader of the term.
    last = len(steps) - 1
    expect(page.locator("#step-title")).to_have_text(f"Step {last}: {steps[last]}")
    expect(page.locator("#changes")).to_have_text(changes(last))
    expect(page.locator("#state .row.added").filter(has_text="[")).not_to_have_count(0)

    page.locator(f'#step-list li[data-step="{restart}"]').click()
    expect(page.locator("#step-title")).to_have_text(f"Step {restart}: ↺ restart 1")
    expect(page.locator("#changes")).to_contain_text("voted_for[1]: 0 → None")
    changed = page.locator("#state .row.changed")
    expect(changed.filter(has_text="[1]: None")).to_have_count(1)
    expect(changed.filter(has_text="[1]: None").locator(".was")).to_have_text("  (was 0)")
    expect(page.locator(f'#diagram g.step[data-step="{restart}"]')).to_have_class(
        re.compile(r"\bselected\b"))

    # The diagram's rows are steps too; the buttons and the keyboard move along.
    page.locator(f'#diagram g.step[data-step="{crash}"] text').first.click()
    expect(page.locator("#step-title")).to_have_text(f"Step {crash}: ⚡ crash 1")
    expect(page.locator("#changes")).to_have_text("faults.crash: 1 → 0\nfaults.down + 1")
    page.locator("#next").click()
    page.locator("#next").click()
    expect(page.locator("#step-title")).to_have_text(f"Step {crash + 2}: {steps[crash + 2]}")
    expect(page.locator("#changes")).to_have_text(changes(crash + 2))
    page.keyboard.press("ArrowUp")
    expect(page.locator("#step-title")).to_have_text(f"Step {crash + 1}: {steps[crash + 1]}")
    expect(page.locator("#diagram .note.fault")).to_have_count(2)
    expect(page.locator("#diagram .message")).to_have_count(
        sum(s.action == "deliver" for s in trace.steps))
    # Nothing but the file itself was loaded.
    assert requests == [out.as_uri()]


@pytest.fixture
def explorer_url() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from modelcheck.cli import main; main()", "explore",
         "two-phase-commit", "--variant", "tm-commits-early", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    stdout = proc.stdout
    first: list[str] = []
    # readline blocks: read in a thread, so a server that never prints cannot hang the test.
    reader = threading.Thread(target=lambda: first.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(20)
    try:
        if not (first and first[0]):
            proc.kill()
            raise AssertionError(f"the explorer did not start: {proc.stderr.read()}")
        m = re.search(r"http://127\.0\.0\.1:\d+/", first[0])
        assert m is not None, first[0]
        yield m.group(0)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_explorer_walks_two_phase_commit_to_its_counterexample(page: Page,
                                                                explorer_url: str) -> None:
    page.goto(explorer_url)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator("#title")).to_have_text("two-phase-commit --variant tm-commits-early")
    expect(page.locator("#step-title")).to_have_text("Step 0: init")
    expect(page.locator("#successors li")).to_have_count(7)
    expect(page.locator('#properties tr[data-property="consistent"] .value')).to_have_text(
        "holds")

    page.get_by_role("button", name="rm_prepare(rm=0)").click()
    expect(page.locator("#step-title")).to_have_text("Step 1: rm_prepare(rm=0)")
    expect(page.locator("#path li")).to_have_count(2)
    expect(page.locator("#state .row.changed")).to_contain_text("prepared")
    expect(page.locator("#state .row.added")).to_have_text("Prepared(rm=0)")
    page.get_by_role("button", name="deliver Prepared(rm=0)").click()
    expect(page.locator("#step-title")).to_have_text("Step 2: deliver Prepared(rm=0)")
    page.locator("#back").click()
    expect(page.locator("#step-title")).to_have_text("Step 1: rm_prepare(rm=0)")

    # The background search finds the counterexample; jump to it.
    jump = page.locator("#cex-jump")
    expect(jump).to_be_enabled()
    jump.click()
    expect(page.locator("#path li")).to_have_count(6)
    expect(page.locator("#step-title")).to_have_text("Step 5: rm_choose_to_abort(rm=1)")
    expect(page.locator('#properties tr[data-property="consistent"] .value')).to_have_text(
        "violated")
    # Back along the path: the counterexample's next step is highlighted among the actions.
    page.locator("#path li").nth(3).click()
    expect(page.locator("#step-title")).to_have_text("Step 3: tm_commit")
    expect(page.locator("#successors li.on-cex button")).to_have_text("deliver Commit(rm=0)")
    expect(page.locator("#successors li.on-cex .violates")).to_have_count(0)
    page.get_by_role("button", name="rm_choose_to_abort(rm=1)").click()
    expect(page).to_have_url(re.compile(r"#0(\.\d+){4}$"))
    expect(page.locator("#step-title")).to_have_text("Step 4: rm_choose_to_abort(rm=1)")


@pytest.mark.parametrize("ci", [None, "true"])
def test_without_chromium_the_tests_skip_with_the_install_command_except_on_ci(
        ci: str | None, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "MODELCHECK_CHROMIUM")}
    env["PATH"] = str(tmp_path)  # an empty directory: no chromium on the path
    if ci is not None:
        env["CI"] = ci
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "0",
                        __file__, "-k", "not without_chromium"],
                       cwd=Path(__file__).parent.parent, env=env, capture_output=True,
                       text=True, timeout=300)
    reason = f"Chromium is not installed: {INSTALL_CHROMIUM}"
    if ci is None:
        assert r.returncode == 0, r.stdout + r.stderr
        skipped = re.findall(r"^SKIPPED \[1\] tests/test_browser\.py:\d+: (.*)$", r.stdout, re.M)
        assert len(skipped) == 2 and all(s.startswith(reason) for s in skipped), r.stdout
        assert "2 skipped, 2 deselected" in r.stdout
    else:
        assert r.returncode == 1, r.stdout + r.stderr
        assert reason in r.stdout and "2 errors" in r.stdout and "skipped" not in r.stdout
