"""The HTML trace viewer: self-contained, escaped, and written by `verify --trace-out`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelcheck import Trace
from modelcheck.render.html import render_html, script_json, state_rows

if TYPE_CHECKING:
    from conftest import InvokeOutput


def data_of(page: str) -> dict:  # type: ignore[type-arg]
    m = re.search(r'<script type="application/json" id="trace-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))  # type: ignore[no-any-return]


@pytest.mark.slow
def test_verify_writes_the_viewer_by_suffix(invoke_output: InvokeOutput, tmp_path: Path) -> None:
    out = tmp_path / "trace.html"
    code, text = invoke_output("verify", "raft", "--variant", "vote-twice", "--trace-out", out,
                               "-q")
    assert code == 1 and f"trace written to {out}" in text
    page = out.read_text(encoding="utf-8")
    # Self-contained: nothing to fetch, and a policy that forbids fetching anything.
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    assert "default-src 'none'" in page
    assert page.count('<g class="step" data-step=') == 8
    assert page.count('class="message"') == 4
    data = data_of(page)
    assert data["verdict"] == "invariant election_safety is violated after 8 steps"
    assert [s["label"] for s in data["steps"]][6:] == [
        "become_leader(i=0)", "deliver RequestVoteResponse(0→2, term=1, granted=True)",
        "become_leader(i=2)"]
    # .json stays the JSON trace
    code, _ = invoke_output("verify", "raft", "--variant", "vote-twice", "--trace-out",
                            tmp_path / "t.json", "-q")
    assert Trace.load(tmp_path / "t.json").length == 8


def test_state_content_is_escaped_everywhere(tmp_path: Path) -> None:
    hostile = '</script><img src=x onerror="alert(1)">&amp;'
    trace = Trace.from_json({
        "format": "modelcheck-trace/1", "spec": "x<y>", "variant": None, "params": {},
        "steps": [{"action": "init", "args": {}, "state": {"$type": "S", "v": "a"}},
                  {"action": "set", "args": {"to": hostile},
                   "state": {"$type": "S", "v": hostile}}]})
    page = render_html(trace)
    assert hostile not in page and "<img" not in page
    assert page.count("</script>") == 2  # the data's and the viewer's own
    assert "x&lt;y&gt;" in page
    assert data_of(page)["steps"][1]["rows"][0] == {
        "depth": 0, "key": "v", "text": hostile, "mark": "changed", "was": "a"}
    assert "\u2028" not in script_json("a\u2028b")


def test_state_rows_open_what_changed() -> None:
    before = {"$type": "S", "xs": [0, 0], "msgs": ["a", "b"], "n": 1}
    after = {"$type": "S", "xs": [0, 1], "msgs": ["b", "c", "d"], "n": 1}
    from modelcheck.render.text import diff
    rows = state_rows(after, diff(before, after))
    assert [(r["depth"], r["key"], r["text"], r["mark"]) for r in rows] == [
        (0, "xs", "2 items", ""), (1, "[0]", "0", ""), (1, "[1]", "1", "changed"),
        (0, "msgs", "3 items", ""), (1, "", "b", ""), (1, "", "c", "added"),
        (1, "", "d", "added"), (1, "", "a", "removed"), (0, "n", "1", "")]
