"""Issue 13 in a real browser: *Push to Equify* clicked twice makes one account per Payfit id.

The scenario of the report: one conflict resolved with *create a new account anyway*, the other
conflicts skipped, the count typed, then **Push to Equify** clicked and clicked again (a double
click, or a second click 0.4 s or 1.2 s later). Before the fix Equify got two accounts for one
Payfit id in 3 tries of 8. The workspace is prepared with the library (the demo, and the decision
the Review page's *Create a new account anyway* records), then the app is driven in headless
Chromium (helpers of ``test_browser.py``); the workspace is read once the app has stopped (DuckDB
lets one process open the file).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_browser import Steps, _idle, _metric, _type, app, browser_page, expect  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _prepared(path: Path) -> tuple[str, int]:
    """The demo in a workspace at ``path`` with one conflict decided *create*; returns that
    record's id and the number of creates the plan then has."""
    from reconcile import Decision, Workspace, workflow

    with Workspace.open(path, create=True) as ws:
        workflow.load_demo(ws)
        conflicts = workflow.run_match(ws).records.query("category == 'conflict'")["source_id"]
        sid = sorted(conflicts)[0]
        ws.decide([Decision(sid, "create")])
        return sid, workflow.plan_workspace(ws).totals()["create"]


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
    sid, creates = _prepared(workspace)
    with app(workspace) as url:

        def confirm() -> None:
            page.goto(f"{url}/sync")  # type: ignore[attr-defined]
            _idle(page)
            expect(_metric(page, "Creates")).to_have_text(str(creates))
            page.get_by_text("Skip the", exact=False).click()  # type: ignore[attr-defined]
            _idle(page)
            _type(page, re.compile("Type the number of accounts to create"), str(creates))
            expect(page.get_by_role("button", name="Push to Equify")).to_be_enabled()  # type: ignore[attr-defined]

        step("confirmed", confirm)

        def push_twice() -> None:
            # Clicked where the button is, twice, as a person does: whatever the button is by
            # the second click (disabled, redrawn, or the next plan's) gets it.
            box = page.get_by_role("button", name="Push to Equify").bounding_box()  # type: ignore[attr-defined]
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            if second_click_after == 0.0:
                page.mouse.dblclick(x, y)  # type: ignore[attr-defined]
            else:
                page.mouse.click(x, y)  # type: ignore[attr-defined]
                page.wait_for_timeout(int(second_click_after * 1000))  # type: ignore[attr-defined]
                page.mouse.click(x, y)  # type: ignore[attr-defined]
            expect(page.get_by_text(re.compile(r"· \*?\*?done"))).to_be_visible(timeout=90_000)  # type: ignore[attr-defined]
            _idle(page)

        step("pushed-twice", push_twice)

        def new_plan_shown() -> None:
            # The page shows the plan after the run: nothing left to create, an empty gate.
            expect(_metric(page, "Creates")).to_have_text("0", timeout=30_000)
            expect(page.get_by_role("button", name="Push to Equify")).to_be_disabled()  # type: ignore[attr-defined]
            expect(_metric(page, "Created")).to_have_text(str(creates))

        step("new-plan-shown", new_plan_shown)

    with Workspace.open(workspace) as ws:
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
