"""Inline edits in the review table never block each other (issue 16), in a real browser: a
refused value is said on its row and the cell shows the stored value again; a later edit in the
same table is saved."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from reconcile import Workspace
from tests.e2e.test_browser import Steps, _idle, app, browser_page, expect  # noqa: F401

ROW = 35  # the grid's row height in pixels (the header is one row too)


def _grid(page: object) -> object:
    """The review table (the page's first grid; the conflict panel has grids of its own)."""
    return page.locator("[data-testid=stDataFrame]").first  # type: ignore[attr-defined]


def _cell(page: object, column: int, row: int) -> object:
    """A cell of the review table, in the grid's accessible copy (``glide-cell-COLUMN-ROW``)."""
    return _grid(page).locator(f"#glide-cell-{column}-{row}")  # type: ignore[attr-defined]


def _cell_text(page: object, column: int, row: int) -> str:
    return str(_cell(page, column, row).inner_text())  # type: ignore[attr-defined]


def _type_into(page: object, row: int, moves_right: int, text: str) -> None:
    """Select row ``row``'s name cell (the grid's second column), move ``moves_right`` cells
    right with the keyboard, type ``text`` and press Enter, as a person edits a cell."""
    canvas = _grid(page).locator("[data-testid=data-grid-canvas]")  # type: ignore[attr-defined]
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    in_grid = "document.activeElement && document.activeElement.closest('[data-testid=stDataFrame]') !== null"
    for _ in range(10):  # a click while the page still settles may not reach the grid: try again
        page.mouse.click(box["x"] + 70, box["y"] + ROW * (row + 1) + ROW / 2)  # type: ignore[attr-defined]
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
        if page.evaluate(in_grid):  # type: ignore[attr-defined]
            break
    assert page.evaluate(in_grid), "the grid did not take the keyboard"  # type: ignore[attr-defined]
    for _ in range(moves_right):
        page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
    page.keyboard.type(text, delay=60)  # type: ignore[attr-defined]  (the first key opens the cell's editor)
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    _idle(page)


def _accounts(workspace: Path) -> pd.DataFrame:
    with Workspace.open(workspace) as ws:  # the app lets go of the file between its runs
        return ws.equify_accounts().set_index("id").sort_index()


def test_a_refused_value_is_said_on_its_row_and_the_next_edit_is_saved(
    browser_page: object,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "edits.duckdb"
    page = browser_page
    step = Steps(page, "review-edits")
    with app(workspace) as url:

        def open_conflicts() -> None:
            page.goto(f"{url}/review")  # type: ignore[attr-defined]
            _idle(page)
            page.get_by_text("Conflict", exact=True).click()  # type: ignore[attr-defined]
            _idle(page)
            expect(_cell(page, 2, 0)).to_be_attached()

        step("conflicts", open_conflicts)
        before = _accounts(workspace)
        first, second = _cell_text(page, 1, 0), _cell_text(page, 1, 1)

        def refused() -> None:  # the account email (10 columns right of the name): not an email
            _type_into(page, 0, 10, "jean@@example.fr")
            expect(
                page.get_by_test_id("stAlertContentError").get_by_text(re.compile(r"Not saved for " + re.escape(first)))
            ).to_be_visible()  # type: ignore[attr-defined]
            expect(_grid(page).locator("th").filter(has_text="Not saved")).to_be_attached()  # type: ignore[attr-defined]
            expect(_cell(page, 2, 0)).to_contain_text("not a valid email")

        step("a refused email", refused)
        pd.testing.assert_frame_equal(_accounts(workspace), before)  # nothing written, nothing emptied
        assert "jean@@example" not in _grid(page).inner_text()  # type: ignore[attr-defined]

        def saved() -> None:  # the next row's account phone (one column further: "Not saved" came in)
            _type_into(page, 1, 12, "06 12 34 77 66")
            expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)  # type: ignore[attr-defined]

        step("a valid phone", saved)
        after = _accounts(workspace)
        changed = after.index[(after["phoneNumber"].fillna("") != before["phoneNumber"].fillna(""))].tolist()
        assert len(changed) == 1 and after.loc[changed[0], "phoneNumber"] == "+33612347766", (second, changed)
