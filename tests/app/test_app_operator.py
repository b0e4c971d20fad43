"""Who did it (#16), through Streamlit's AppTest on a real workspace file: the sidebar asks for
the person's name (prefilled with the OS user), every write the session makes records it (a
Review decision, an undo, a widget callback's write, a push started on the Sync page), the
Activity panel and the History page show it."""

from __future__ import annotations

import getpass
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from reconcile import Workspace, workflow
from reconcile.operator import ENV
from tests.app.pages import open_page
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]
NAME_KEY = "operator.name"


@pytest.fixture(autouse=True)
def os_person(monkeypatch: pytest.MonkeyPatch) -> str:
    """No ``$RECONCILE_OPERATOR``, and the OS user running the app is ``os-person``."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "os-person")
    return "os-person"


def _open_app(page: str | None = None) -> AppTest:
    return open_page(page)


def _ws() -> Workspace:
    from ui import state

    return state.workspace()


def _newest(ws: Workspace, kind: str) -> tuple[str, str | None]:
    log = ws.activity()
    row = log[log["kind"] == kind].iloc[0]
    return str(row["subject"]), row["operator"]


def _exclude_first_new(at: AppTest) -> str:
    """Tick the first person of the new set and add them to the excluded; their record id."""
    tick = at.multiselect(key="review.tick.new")
    victim = tick.options[0]
    tick.set_value([victim]).run()
    at.button(key="review.tick.new.go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return victim.rsplit(" · ", 1)[1]


def _wait_for_run(ws: Workspace, run_id: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while workflow.run_progress(ws, run_id).live:
        assert time.monotonic() < deadline, "the push did not finish in time"
        time.sleep(0.05)


def test_a_name_typed_in_the_sidebar_is_recorded_with_review_decisions(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    field = at.sidebar.text_input(key=NAME_KEY)
    assert field.value == "os-person"  # prefilled with the OS user
    field.input("Ana Lopez").run()
    ws = _ws()

    victim = _exclude_first_new(at)
    assert ws.decisions()[victim].action == "exclude"
    assert _newest(ws, "decision") == (victim, "Ana Lopez")

    # The Activity panel's table says who, beside the demo's load made by the OS user.
    shown = [d.value for d in at.dataframe if "by" in d.value.columns and "what" in d.value.columns]
    assert shown, "the activity table is not shown"
    activity = shown[0]
    assert activity[["what", "by"]].iloc[0].tolist() == ["decision", "Ana Lopez"]
    assert set(activity.loc[activity["what"] == "load", "by"]) == {"os-person"}

    # An undo from the panel is recorded with the name typed now.
    at.sidebar.text_input(key=NAME_KEY).input("Bob Martin").run()
    pick = at.selectbox(key="review.activity.pick")
    assert victim in pick.value
    at.button(key="review.activity.undo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert victim not in ws.decisions()
    assert _newest(ws, "undo")[1] == "Bob Martin" and _newest(ws, "decision") == (victim, "Bob Martin")


def test_a_blank_name_records_the_os_user_and_says_so(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    at.sidebar.text_input(key=NAME_KEY).input("   ").run()
    assert any("recorded as os-person" in plain(c.value) for c in at.sidebar.caption)
    victim = _exclude_first_new(at)
    assert _newest(_ws(), "decision") == (victim, "os-person")


def test_the_environment_prefills_the_name(app_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "Env Person")  # what `reconcile --operator NAME app` sets
    at = _open_app("pages/review.py")
    assert at.sidebar.text_input(key=NAME_KEY).value == "Env Person"
    victim = _exclude_first_new(at)
    assert _newest(_ws(), "decision") == (victim, "Env Person")


def test_the_history_page_shows_who_pushed(app_workspace: Path) -> None:
    at = _open_app("pages/sync.py")
    at.sidebar.text_input(key=NAME_KEY).input("Chloé Pusher").run()
    ws = _ws()
    plan = workflow.plan_workspace(ws).totals()
    at.checkbox(key="sync.skip").check().run()
    at.text_input(key=f"sync.confirm.{plan['create']}").input(str(plan["create"])).run()
    assert not at.button(key="sync.push").disabled
    at.button(key="sync.push").click().run()
    assert not at.exception, [e.value for e in at.exception]
    run_id = str(ws.push_runs()["run_id"].iloc[0])
    _wait_for_run(ws, run_id)  # the push ran in its worker thread, which knows no session
    assert ws.push_runs()["operator"].tolist() == ["Chloé Pusher"]

    at.switch_page("pages/history.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.text_input(key=NAME_KEY).value == "Chloé Pusher"  # kept for the session, on every page
    runs = at.dataframe[0].value
    assert runs[["run_id", "by"]].values.tolist() == [[run_id, "Chloé Pusher"]]
    assert any("started by Chloé Pusher" in plain(m.value) for m in at.markdown)


def _callback_page(source_id: str) -> None:
    """A page whose button writes in its on_click callback, as the Review table's edits do
    (ui/review.py: the callback gets the workspace from ui.state, then writes, passing no name)."""
    import streamlit as st

    from reconcile import Decision, workflow
    from ui import components, state

    def exclude() -> None:
        workflow.decide_and_rematch(state.workspace(), [Decision(source_id, "exclude")])

    with state.leased():
        components.operator_field()
        st.button("Exclude", key="callback.exclude", on_click=exclude)


def test_a_write_in_a_widget_callback_records_the_sessions_name(app_workspace: Path) -> None:
    _open_app()  # the workspace, seeded with the demo
    ws = _ws()
    source_id = str(workflow.run_match(ws).records["source_id"].iloc[0])
    at = AppTest.from_function(_callback_page, args=(source_id,), default_timeout=60)
    at.run()
    at.sidebar.text_input(key=NAME_KEY).input("Dana Callback").run()
    at.button(key="callback.exclude").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _newest(ws, "decision") == (source_id, "Dana Callback")


def test_a_reload_keeps_the_name_typed(app_workspace: Path) -> None:
    """Found by a new-user trial: a reload (a new session) put the OS user back in *Your name*,
    so later work was recorded under the wrong person. The page's address keeps the name."""
    from ui import state

    at = open_page("pages/review.py")
    at.text_input(key=state.OPERATOR_KEY).input("Camille Testeur").run()
    kept = at.query_params["by"]
    assert kept in ("Camille Testeur", ["Camille Testeur"])
    from streamlit.testing.v1 import AppTest

    from tests.app.pages import APP

    reloaded = AppTest.from_file(APP, default_timeout=60)  # a reload: a new session, the same address
    reloaded.query_params["by"] = "Camille Testeur"
    reloaded.run()
    assert not reloaded.exception
    assert reloaded.text_input(key=state.OPERATOR_KEY).value == "Camille Testeur"
    reloaded.text_input(key=state.OPERATOR_KEY).input("").run()
    assert "by" not in reloaded.query_params  # a name cleared leaves the address
