"""The explorer's JSON API, served in this process on a free loopback port."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from modelcheck import bind, load_spec
from modelcheck.serve import Browser, make_server


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    explorer = Browser(bind(load_spec("two-phase-commit"), "tm-commits-early"))
    server = make_server(explorer, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_model_lists_properties_and_initial_states(base: str) -> None:
    code, m = get(f"{base}/api/model")
    assert code == 200
    assert m["title"] == "two-phase-commit --variant tm-commits-early"
    kinds = {p["name"]: p["kind"] for p in m["properties"]}
    assert {k: kinds[k] for k in ("consistent", "all_committed", "all_aborted")} == {
        "consistent": "invariant", "all_committed": "sometimes", "all_aborted": "sometimes"}
    assert len(kinds) == len(load_spec("two-phase-commit").properties)
    assert m["inits"] == [{"path": "0", "label": "init"}]


def test_initial_state_enables_seven_actions(base: str) -> None:
    code, v = get(f"{base}/api/state?path=0")
    assert code == 200
    labels = [s["label"] for s in v["successors"]]
    assert labels == ["tm_abort", "rm_prepare(rm=0)", "rm_prepare(rm=1)", "rm_prepare(rm=2)",
                      "rm_choose_to_abort(rm=0)", "rm_choose_to_abort(rm=1)",
                      "rm_choose_to_abort(rm=2)"]
    assert v["steps"] == [{"label": "init", "path": "0"}]
    values = {p["name"]: p["value"] for p in v["properties"]}
    assert {k: values[k] for k in ("consistent", "all_committed", "all_aborted")} == {
        "consistent": True, "all_committed": False, "all_aborted": False}
    assert not v["deadlock"] and not v["terminal"]


def test_walking_a_path_shows_changes_and_violations_ahead(base: str) -> None:
    _, v = get(f"{base}/api/state?path=0")
    prepare = next(s for s in v["successors"] if s["label"] == "rm_prepare(rm=0)")
    assert prepare["changes"] == ["rm_state[0]: working → prepared", "msgs + Prepared(rm=0)"]
    _, v = get(f"{base}/api/state?path={prepare['path']}")
    assert [s["label"] for s in v["steps"]] == ["init", "rm_prepare(rm=0)"]
    changed = [r for r in v["rows"] if r["mark"]]
    assert [(r["key"], r["text"], r["mark"], r["was"]) for r in changed] == [
        ("[0]", "prepared", "changed", "working"), ("", "Prepared(rm=0)", "added", None)]


def test_the_background_search_finds_the_counterexample(base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        _, c = get(f"{base}/api/counterexample")
        if c["status"] != "searching" or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # polling the API, as the page does
    assert c["status"] == "found"
    assert c["message"] == "invariant consistent is violated after 5 steps"
    path = c["path"]
    assert len(path.split(".")) == 6
    _, v = get(f"{base}/api/state?path={path}")
    assert [s["label"] for s in v["steps"]] == [
        "init", "rm_prepare(rm=0)", "deliver Prepared(rm=0)", "tm_commit",
        "deliver Commit(rm=0)", "rm_choose_to_abort(rm=1)"]
    assert {p["name"]: p["text"] for p in v["properties"]}["consistent"] == "violated"


@pytest.mark.parametrize(("path", "message"), [
    ("x", "expected dot-separated numbers"),
    ("1", "there are 1 initial states"),
    ("0.9999", "step 1: no action instance 9999"),
    ("0.0", "step 1: deliver Prepared(rm=0) is not enabled"),
])
def test_bad_paths_are_answered_with_400_and_the_reason(base: str, path: str,
                                                        message: str) -> None:
    code, body = get(f"{base}/api/state?path={path}")
    assert code == 400 and message in body["error"]


@pytest.mark.slow
def test_unknown_pages_are_404_and_the_page_is_self_contained(base: str) -> None:
    code, body = get(f"{base}/api/nothing")
    assert code == 404 and "no such page" in body["error"]
    with urllib.request.urlopen(f"{base}/", timeout=10) as r:
        page = r.read().decode()
    assert "<script src" not in page and "<link" not in page and "http://" not in page
