"""The app does not lock a command or a notebook out of its workspace (issue 15): between two page
runs the file is closed, so the CLI works on the same workspace, and the app shows what it did; while
another process holds the file, the page says "in use ... try again" and recovers on *Try again*."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from reconcile.testing.processes import holding_workspace
from tests.e2e.test_browser import _idle, app, browser_page, expect  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconcile", "--workspace", str(workspace), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_works_between_the_apps_runs_and_the_app_sees_it(
    browser_page: object,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "shared.duckdb"
    page = browser_page
    with app(workspace) as url:
        page.goto(f"{url}/review")  # type: ignore[attr-defined]
        _idle(page)
        expect(page.get_by_text("Review", exact=True).first).to_be_visible()
        # The app is idle now: a command opens the same workspace and writes to it.
        matched = _cli(workspace, "match", "--json")
        assert matched.returncode == 0, matched.stderr
        counts = json.loads(matched.stdout.strip().splitlines()[-1])
        sid = _cli(workspace, "review", "conflict", "--json")
        assert sid.returncode == 0, sid.stderr
        first = json.loads(sid.stdout.strip().splitlines()[-1])["rows"][0]["source_id"]
        decided = _cli(workspace, "decide", first, "exclude")
        assert decided.returncode == 0, decided.stderr
        # The app, run again, reads the workspace as the command left it.
        page.reload()  # type: ignore[attr-defined]
        _idle(page)
        excluded = page.locator("[data-testid=stMetric]").filter(has=page.get_by_text("excluded", exact=True))  # type: ignore[attr-defined]
        expect(excluded.locator("[data-testid=stMetricValue]")).to_have_text(str(counts["excluded"] + 1))


def test_while_another_process_holds_the_file_the_page_says_busy_and_recovers(
    browser_page: object,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "held.duckdb"
    page = browser_page
    with app(workspace) as url:
        page.goto(f"{url}/review")  # type: ignore[attr-defined]
        _idle(page)  # the app made the workspace (the demo) and let go of it
        with holding_workspace(workspace):
            page.reload()  # type: ignore[attr-defined]
            _idle(page)
            expect(page.get_by_text("is in use by another process", exact=False)).to_be_visible()
            expect(page.get_by_text("Traceback")).to_have_count(0)
        time.sleep(0.5)
        page.get_by_role("button", name="Try again").click()  # type: ignore[attr-defined]
        _idle(page)
        expect(page.get_by_text("is in use by another process", exact=False)).to_have_count(0)
        expect(page.get_by_text("excluded", exact=True).first).to_be_visible()
