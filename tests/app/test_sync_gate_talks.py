"""The gate talks (#16), on the Sync page through Streamlit's AppTest: a wrong number says why
*Push* stays disabled; the *skip conflicts* choice survives switching the target (and leaving
the page) and the gate's counts follow it; a running push is never shown finished."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from reconcile import Workspace, workflow
from tests.app.pages import open_page
from ui import sync as sync_ui
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]


def _sync_page() -> tuple[AppTest, Workspace]:
    from ui import state

    return open_page("pages/sync.py"), state.workspace()


def _captions(at: AppTest) -> list[str]:
    return [plain(c.value) for c in at.caption]


def _gate_counts(at: AppTest) -> str:
    """The gate's sentence of counts (what this push sends, and the conflicts' fate)."""
    said = [c for c in _captions(at) if c.startswith("This push sends")]
    assert len(said) == 1, _captions(at)
    return said[0]


def _wait(ws: Workspace, run_id: str) -> None:
    deadline = time.monotonic() + 60
    while workflow.run_progress(ws, run_id).live:
        assert time.monotonic() < deadline, "the push did not finish in time"
        time.sleep(0.05)


def test_a_wrong_number_says_why_push_stays_disabled(app_workspace: Path) -> None:
    at, ws = _sync_page()
    totals = workflow.plan_workspace(ws).totals()
    creates = totals["create"]
    assert creates > 1 and totals["skip_conflict"] > 0
    at.checkbox(key=sync_ui.SKIP_KEY).check().run()
    assert not any(c.startswith("Push stays disabled") for c in _captions(at))  # nothing typed: no reproach
    at.text_input(key=f"sync.confirm.{creates}").input(str(creates - 1)).run()
    assert at.button(key=sync_ui.PUSH_KEY).disabled
    why = [c for c in _captions(at) if c.startswith("Push stays disabled")]
    assert why == [
        f"Push stays disabled: '{creates - 1}' is not the number of accounts this push creates: "
        f"type {creates} to confirm."
    ]
    at.text_input(key=f"sync.confirm.{creates}").input(str(creates)).run()
    assert not at.button(key=sync_ui.PUSH_KEY).disabled
    assert not any(c.startswith("Push stays disabled") for c in _captions(at))
    assert ws.push_runs().empty  # nothing was pushed by typing


def test_skip_conflicts_survives_switching_the_target_and_the_gate_follows(app_workspace: Path) -> None:
    at, ws = _sync_page()
    totals = workflow.plan_workspace(ws).totals()
    creates, conflicts = totals["create"], totals["skip_conflict"]
    sendable = len(workflow.plan_workspace(ws).actionable())
    assert conflicts > 0
    blocked = (
        f"This push sends {sendable} operation(s), {creates} of them create(s); "
        f"{conflicts} unresolved conflict(s) stop it until they are resolved or skipped."
    )
    left_out = (
        f"This push sends {sendable} operation(s), {creates} of them create(s); "
        f"the {conflicts} unresolved conflict(s) are left out of it."
    )
    assert _gate_counts(at) == blocked
    at.text_input(key=f"sync.confirm.{creates}").input(str(creates)).run()
    assert at.button(key=sync_ui.PUSH_KEY).disabled  # the conflicts block it
    assert any(f"{conflicts} conflict(s) are unresolved" in c for c in _captions(at) if "stays disabled" in c)

    at.checkbox(key=sync_ui.SKIP_KEY).check().run()
    assert _gate_counts(at) == left_out
    assert not at.button(key=sync_ui.PUSH_KEY).disabled

    at.radio(key=sync_ui.TARGET_KEY).set_value("http").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.checkbox(key=sync_ui.SKIP_KEY).value is True
    assert _gate_counts(at) == left_out
    assert at.button(key=sync_ui.PUSH_KEY).disabled  # no URL nor token yet

    at.radio(key=sync_ui.TARGET_KEY).set_value("embedded").run()
    assert at.checkbox(key=sync_ui.SKIP_KEY).value is True
    assert _gate_counts(at) == left_out
    assert not at.button(key=sync_ui.PUSH_KEY).disabled  # the gate still open, as confirmed

    # kept for the session: another page and back, the choice is still the person's
    at.switch_page("pages/review.py").run()
    at.switch_page("pages/sync.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.checkbox(key=sync_ui.SKIP_KEY).value is True
    assert _gate_counts(at) == left_out

    # and unticking is kept the same way
    at.checkbox(key=sync_ui.SKIP_KEY).uncheck().run()
    assert _gate_counts(at) == blocked
    at.radio(key=sync_ui.TARGET_KEY).set_value("http").run()
    at.radio(key=sync_ui.TARGET_KEY).set_value("embedded").run()
    at.switch_page("pages/history.py").run()
    at.switch_page("pages/sync.py").run()
    assert at.checkbox(key=sync_ui.SKIP_KEY).value is False
    assert _gate_counts(at) == blocked
    assert ws.push_runs().empty


def test_a_running_push_is_shown_running_then_done(app_workspace: Path) -> None:
    """A push to the Equify-side reference server made slow: while the run is live the page
    shows it running (a spinner, never a ✓ or a *done*), and *done* once it has ended."""
    from bench.push_common import creates_workspace
    from reconcile.testing.equify_server import EquifyServer

    creates_workspace(app_workspace, 30)
    with EquifyServer("gate-token-FICTITIOUS") as server:
        server.faults.slow(0.5)  # 30 creates take 15 s: the run is live for the checks below
        at, ws = _sync_page()
        at.radio(key=sync_ui.TARGET_KEY).set_value("http").run()
        at.text_input(key="sync.target.http.url").input(server.url).run()
        at.text_input(key="sync.target.http.token").input("gate-token-FICTITIOUS").run()
        at.text_input(key="sync.confirm.30").input("30").run()
        at.button(key=sync_ui.PUSH_KEY).click().run()
        assert not at.exception, [e.value for e in at.exception]
        run_id = str(ws.push_runs().iloc[0]["run_id"])
        for _ in range(2):  # the page as drawn after the click, and drawn again while it runs
            assert workflow.run_progress(ws, run_id).live, "the run ended before the page was checked"
            assert [s.state for s in at.status] == ["running"]
            status = at.status[0]
            assert run_id in status.label and "running" in status.label
            assert status.icon == "spinner" and "check" not in status.icon
            assert not any("done" in plain(m.value).lower() for m in at.markdown)
            assert not any("✓" in plain(m.value) or "✅" in plain(m.value) for m in at.markdown)
            assert any("Push stays disabled" in c and "a push is running" in c for c in _captions(at))
            assert at.button(key=sync_ui.PUSH_KEY).disabled
            at.run()
            assert not at.exception, [e.value for e in at.exception]
        server.faults.slow(0)  # let it end
        _wait(ws, run_id)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.status  # no running panel any more
        assert any(f"Run `{run_id}`" in plain(m.value) and "**done**" in plain(m.value) for m in at.markdown)
        assert workflow.run_progress(ws, run_id).status == "done"
        assert len(server.accounts()) == 30


def test_the_page_asks_whether_this_is_the_right_customer(app_workspace: Path) -> None:
    """Another company's Payfit export against this Equify space: most people would be created;
    the page asks before the typed number, and Push stays disabled until the person says yes."""
    from tests.sync.test_gate import _another_company

    at, ws = _sync_page()
    _another_company(ws)
    at.run()
    plan = workflow.plan_workspace(ws)
    creates = plan.totals()["create"]
    assert any(plain(w.value).startswith("Is this the right customer?") for w in at.warning)
    if plan.totals()["skip_conflict"]:
        at.checkbox(key=sync_ui.SKIP_KEY).check().run()
    at.text_input(key=f"sync.confirm.{creates}").input(str(creates)).run()
    assert at.button(key=sync_ui.PUSH_KEY).disabled
    assert any("say this is the right customer" in c for c in _captions(at))
    at.checkbox(key=sync_ui.CUSTOMER_KEY).check().run()
    assert not at.button(key=sync_ui.PUSH_KEY).disabled
    assert not at.exception
