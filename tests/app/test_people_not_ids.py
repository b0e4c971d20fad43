"""People, not ids (issue 16): a search finds a person wherever they are and says in which set;
the audit's "why this score" picker lists people by name."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from reconcile import workflow
from tests.app.pages import open_page
from ui import state
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def _open(page: str) -> AppTest:
    return open_page(page)


def _a_conflict() -> tuple[str, str]:
    """A person of the demo's conflict set whose name is nowhere else: ``(source_id, name)``."""
    rows = workflow.review_table(state.workspace(), workflow.run_match(state.workspace()))
    counts = rows["name"].value_counts()
    row = rows[(rows["category"] == "conflict") & rows["name"].map(counts).eq(1)].iloc[0]
    return str(row["source_id"]), str(row["name"])


def test_a_search_says_in_which_set_the_person_is_and_goes_there(app_workspace: Path) -> None:
    at = _open("pages/review.py")
    assert at.radio(key="review.set").value == "new"
    sid, name = _a_conflict()
    folded = name.lower().replace("é", "e").replace("è", "e").replace("ë", "e").replace("ï", "i")
    at.text_input(key="review.filter.search").input(folded).run()  # typed without accents or capitals
    said = [plain(i.value) for i in at.info]
    assert any(f"{name} is in *conflict*" in s for s in said), said  # the set in italics
    go = at.button(key="review.found.conflict")
    assert go.label == "Show the conflict set (1)"
    go.click().run()
    assert not at.exception
    assert at.radio(key="review.set").value == "conflict"
    assert not any("The search also finds" in plain(i.value) for i in at.info)  # found here now
    ticks = at.multiselect(key="review.tick.conflict")
    assert [o for o in ticks.options if o.endswith(sid)], "the person is in the conflict table"


def test_a_search_that_finds_no_one_elsewhere_says_nothing_more(app_workspace: Path) -> None:
    at = _open("pages/review.py")
    at.text_input(key="review.filter.search").input("nobody-is-called-this").run()
    assert not any("The search also finds" in plain(i.value) for i in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("review.found.")]


def test_why_this_score_lists_people_by_name(app_workspace: Path) -> None:
    at = _open("pages/audit.py")
    pick = at.selectbox(key="audit.explain.source")
    sophies = [o for o in pick.options if o.startswith("Sophie ")]
    assert sophies, pick.options[:5]  # a name first, as a person would type it
    assert all(" · " in o for o in pick.options)  # with an email or team, and the id last
    sid = sophies[0].rsplit(" · ", 1)[1]
    pick.set_value(sid).run()
    assert not at.exception
    account = at.selectbox(key=f"audit.explain.target.{sid}")
    assert account.options and not account.options[0].startswith("acc_")  # the account's name first


def test_the_side_by_side_says_why_a_field_gave_no_evidence(app_workspace: Path) -> None:
    """The conflict panel's side-by-side: an account without an email says so, never a bare
    "no evidence"."""
    at = _open("pages/review.py")
    at.radio(key="review.set").set_value("conflict").run()
    rows = workflow.review_table(state.workspace(), workflow.run_match(state.workspace()))
    conflict = rows[(rows["category"] == "conflict") & rows["reason"].str.contains("which has no email")].iloc[0]
    pick = at.selectbox(key="review.conflict")
    pick.set_value(next(o for o in pick.options if o.endswith(conflict["source_id"]))).run()
    assert not at.exception
    cells = [str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()]
    assert "no evidence: empty in Equify" in cells
    assert "no evidence" not in cells
