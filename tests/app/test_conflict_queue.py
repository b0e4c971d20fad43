"""The conflict queue (issue 16): Previous / Next, "N of M resolved", the next conflict after a
decision, and the queue and the conflict shown surviving a reload (kept in the page's address)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from reconcile import workflow
from tests.app.pages import open_page
from ui import state

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def _open(params: dict[str, str] | None = None) -> AppTest:
    at = open_page("pages/review.py", params=params)
    at.radio(key="review.set").set_value("conflict").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at: AppTest) -> str:
    return str(at.selectbox(key="review.conflict").value).rsplit(" · ", 1)[1]


def _progress(at: AppTest) -> str:
    (bar,) = [p for p in at.get("progress")]
    return str(bar.proto.text)


def test_next_previous_and_a_decision_moves_on_to_the_next_conflict(app_workspace: Path) -> None:
    at = _open()
    ws = state.workspace()
    conflicts = int((workflow.run_match(ws).records["category"] == "conflict").sum())
    assert _progress(at) == f"0 of {conflicts} resolved"
    order = [o.rsplit(" · ", 1)[1] for o in at.selectbox(key="review.conflict").options]
    assert _shown(at) == order[0] and at.button(key="review.conflict.previous").disabled
    at.button(key="review.conflict.next").click().run()
    assert _shown(at) == order[1]
    at.button(key="review.conflict.previous").click().run()
    assert _shown(at) == order[0]
    at.button(key="review.conflict.next").click().run()
    at.button(key="review.conflict.exclude").click().run()  # decide the second one
    assert not at.exception, [e.value for e in at.exception]
    assert ws.decisions()[order[1]].action == "exclude"
    assert _shown(at) == order[2]  # the one after it, not back to the first
    assert _progress(at) == f"1 of {conflicts} resolved"
    assert at.query_params["conflict"] == [order[2]] or at.query_params["conflict"] == order[2]


def test_a_reload_comes_back_to_the_queue_and_the_conflict_shown(app_workspace: Path) -> None:
    at = _open()
    ws = state.workspace()
    order = [o.rsplit(" · ", 1)[1] for o in at.selectbox(key="review.conflict").options]
    start = workflow.activity_seq(ws)
    at.button(key="review.conflict.create").click().run()  # one resolved in this queue
    reloaded = _open({"queue": str(start), "conflict": order[3]})  # a new session, the same address
    assert _shown(reloaded) == order[3]
    conflicts = int((workflow.run_match(ws).records["category"] == "conflict").sum())
    assert _progress(reloaded) == f"1 of {conflicts + 1} resolved"
