"""Issue 13 in a real browser: *Push to Equify* clicked twice makes one account per Payfit id.

The scenario of the report, in headless Chromium (helpers of ``test_browser.py``): on the Review
page one conflict is resolved with *Create a new account anyway*; on the Sync page the other
conflicts are skipped, the count typed, then **Push to Equify** clicked and clicked again where
it was (a double click, or a second click 0.4 s or 1.2 s later). Before the fix Equify got two
accounts for one Payfit id in 3 tries of 8 (the race is timing-dependent: the library tests of
``test_plan_push.py`` reproduce its mechanism deterministically). The workspace holds the demo
(loaded with the library) and is read once the app has stopped (DuckDB lets one process open
the file).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import Steps, _idle, _metric, _type, app, browser_page, expect  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _prepared(path: Path) -> None:
    """The demo in a workspace at ``path``."""
    from reconcile import Workspace, workflow

    with Workspace.open(path, create=True) as ws:
        workflow.load_demo(ws)


@pytest.mark.parametrize("second_click_after", [0.0, 0.4, 1.2], ids=["double-click", "0.4s", "1.2s"])
def test_push_clicked_twice_makes_one_account_per_payfit_id(
    browser_page: object,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    second_click_after: float,
) -> None:
    from reconcile import Workspace

    page = browser_page
    step = Steps(page, f"double-push-{second_click_after}")
    workspace = tmp_path / "app.duckdb"
    _prepared(workspace)
    plan: dict[str, int] = {}
    with app(workspace) as url:

        def create_anyway() -> None:
            page.goto(f"{url}/review")  # type: ignore[attr-defined]
            _idle(page)
            page.get_by_text("Conflict", exact=True).click()  # type: ignore[attr-defined]
            _idle(page)
            page.get_by_role("button", name="Create a new account anyway").click()  # type: ignore[attr-defined]
            _idle(page)
            expect(page.get_by_text("→ new (create)", exact=False).first).to_be_visible()  # type: ignore[attr-defined]

        step("create-anyway", create_anyway)

        def confirm() -> None:
            page.goto(f"{url}/sync")  # type: ignore[attr-defined]
            _idle(page)
            plan["creates"] = creates = int(_metric(page, "Creates").inner_text())  # type: ignore[attr-defined]
            assert creates > 0
            page.get_by_text("Skip the", exact=False).click()  # type: ignore[attr-defined]
            _idle(page)
            _type(page, re.compile("Type the number of accounts to create"), str(creates))
            expect(page.get_by_role("button", name="Push to Equify")).to_be_enabled()  # type: ignore[attr-defined]

        step("confirmed", confirm)

        def push_twice() -> None:
            # Clicked where the button is, twice, as a person does: whatever the button is by
            # the second click (disabled, redrawn, or the next plan's) gets it.
            button = page.get_by_role("button", name="Push to Equify")  # type: ignore[attr-defined]
            button.scroll_into_view_if_needed()  # the mouse clicks where the button is on screen
            box = button.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            if second_click_after == 0.0:
                page.mouse.dblclick(x, y)  # type: ignore[attr-defined]
            else:
                page.mouse.click(x, y)  # type: ignore[attr-defined]
                page.wait_for_timeout(int(second_click_after * 1000))  # type: ignore[attr-defined]
                page.mouse.click(x, y)  # type: ignore[attr-defined]
            expect(page.get_by_text(re.compile(r"· \*?\*?done")).first).to_be_visible(timeout=90_000)  # type: ignore[attr-defined]
            _idle(page)

        step("pushed-twice", push_twice)

        def new_plan_shown() -> None:
            # The page shows the plan after the run: nothing left to create, an empty gate.
            expect(_metric(page, "Creates")).to_have_text("0", timeout=30_000)
            expect(page.get_by_role("button", name="Push to Equify")).to_be_disabled()  # type: ignore[attr-defined]
            expect(_metric(page, "Created")).to_have_text(str(plan["creates"]))

        step("new-plan-shown", new_plan_shown)

    with Workspace.open(workspace) as ws:
        (sid,) = [s for s, d in ws.decisions().items() if d.action == "create"]  # the conflict created anyway
        creates = plan["creates"]
        synced = ws.equify_accounts().query("origin == 'payfit_sync'")
        counts = synced["payfitId"].value_counts()
        assert counts.max() == 1, counts.head()
        assert len(synced) == creates and sid in set(synced["payfitId"])
        runs = ws.push_runs()
        assert len(runs) == 1, runs[["run_id", "status", "totals"]]  # the second click made no run
        assert runs["status"].tolist() == ["done"]
        ledger = ws.ledger()
        assert ledger[sid] in set(synced["id"])
        keys = ws.query("SELECT idempotency_key FROM push_journal")["idempotency_key"]
        assert not keys.str.contains("replacing").any()
