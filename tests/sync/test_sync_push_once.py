"""The Sync page pushes a confirmed plan once (issue 13), through Streamlit's AppTest.

A click carries the digest of the plan shown; a click that lands after the run (the second
click of a double click) is refused with a message and makes no run; after the run the page
shows the new plan with an empty gate.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from reconcile import Decision, Workspace, workflow
from ui import sync as sync_ui
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]


def _sync_page() -> tuple[AppTest, Workspace]:
    from ui import state

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/sync.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at, state.workspace()


def _metric(at: AppTest, label: str) -> str:
    return {m.label: m.value for m in at.metric}[label]


def _wait(ws: Workspace) -> None:
    deadline = time.monotonic() + 60
    while not ws.push_runs().empty and workflow.run_progress(ws, ws.push_runs()["run_id"].iloc[0]).live:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_click_after_the_run_is_refused_and_the_page_shows_the_new_plan(app_workspace: Path) -> None:
    at, ws = _sync_page()
    conflicts = workflow.run_match(ws).records.query("category == 'conflict'")["source_id"]
    ws.decide([Decision(sorted(conflicts)[0], "create")])  # created anyway on the Review page
    at.run()
    creates = int(_metric(at, "Creates"))
    at.checkbox(key="sync.skip").check().run()
    at.text_input(key=f"sync.confirm.{creates}").input(str(creates)).run()
    push = at.button(key=sync_ui.PUSH_KEY)
    assert not push.disabled
    shown = at.session_state[f"{sync_ui.CONFIRM_KEY}.for"]  # the digest of the plan shown
    push.click().run()
    assert not at.exception, [e.value for e in at.exception]
    _wait(ws)
    at.run()
    runs = ws.push_runs()
    assert len(runs) == 1 and runs["status"].tolist() == ["done"]
    # the page shows the plan after the run: nothing to create, an empty gate, Push disabled
    assert _metric(at, "Creates") == "0"
    assert at.button(key=sync_ui.PUSH_KEY).disabled
    assert at.text_input(key="sync.confirm.push").value == ""
    # the second click of a double click, carrying the plan shown at the first
    at.session_state[sync_ui.REQUEST_KEY] = {"digest": shown, "creates": creates, "skip": True}
    at.session_state[sync_ui.BUSY_KEY] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Nothing was pushed" in plain(e.value) and "already pushed" in plain(e.value) for e in at.error)
    assert ws.push_runs()["run_id"].tolist() == runs["run_id"].tolist()  # no second run
    synced = ws.equify_accounts().query("origin == 'payfit_sync'")
    assert len(synced) == creates and synced["payfitId"].is_unique
    assert sync_ui.BUSY_KEY not in at.session_state  # the button is free again for the next plan


def test_a_click_on_a_plan_that_changed_is_refused(app_workspace: Path) -> None:
    at, ws = _sync_page()
    creates = int(_metric(at, "Creates"))
    shown = at.session_state[f"{sync_ui.CONFIRM_KEY}.for"]
    conflicts = workflow.run_match(ws).records.query("category == 'conflict'")["source_id"]
    ws.decide([Decision(sorted(conflicts)[0], "create")])  # another tab changes the plan
    at.session_state[sync_ui.REQUEST_KEY] = {"digest": shown, "creates": creates, "skip": True}
    at.session_state[sync_ui.BUSY_KEY] = True
    at.run()
    assert any("changed since it was confirmed" in plain(e.value) for e in at.error)
    assert ws.push_runs().empty
    assert int(_metric(at, "Creates")) == creates + 1


def _cut_short(target: str, identity: str | None) -> workflow.RunProgress:
    return workflow.RunProgress("run-x", "interrupted", target, 10, 4, 0, 6, False, identity=identity)


@pytest.mark.parametrize(
    ("run_target", "identity", "kind", "url", "expected"),
    [
        ("http", "http target http://127.0.0.1:8800", "http", "http://127.0.0.1:8800", True),
        ("http", "http target http://127.0.0.1:8800", "http", " http://127.0.0.1:8800/ ", True),
        ("http", "http target http://127.0.0.1:8800", "http", "http://127.0.0.1:8801", False),  # breaker's case
        ("http", "http target http://127.0.0.1:8800", "embedded", "", False),
        ("http", None, "http", "http://127.0.0.1:8801", True),  # a run older than its binding: the library decides
        ("embedded", "embedded target", "embedded", "", True),
        ("embedded", "embedded target", "http", "http://127.0.0.1:8800", False),
    ],
)
def test_finish_run_is_enabled_only_for_the_runs_own_target(
    run_target: str, identity: str | None, kind: str, url: str, expected: bool
) -> None:
    """(#13) *Finish run* stays disabled while the target chosen is not the one the run is bound
    to (another URL too); the library refuses it anyway, this says so before the click."""
    assert sync_ui.resumes_to(_cut_short(run_target, identity), kind, url) is expected
