"""End to end in a real browser: the app driven in headless Chromium as a person drives it.

Playwright for Python drives Debian's Chromium (``/usr/bin/chromium``; ``.ci/run`` installs the
``chromium`` and ``chromium-driver`` packages when they are missing; no browser build is
downloaded). Each test starts ``streamlit run app.py`` on a free loopback port with a fresh
workspace and waits for ``/_stcore/health``. A screenshot of every step goes to
``test-output/e2e/``, and the page's HTML too when a step fails. Without Chromium or
Playwright the suite is skipped, saying why.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reconcile.testing.processes import running_app

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-output" / "e2e"
CHROMIUM = Path(os.environ.get("RECONCILE_CHROMIUM", "/usr/bin/chromium"))  # tests of the skip point elsewhere
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM}: .ci/run installs it with apt "
        "(packages chromium, chromium-driver); the browser suite cannot run here",
        allow_module_level=True,
    )
playwright = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (requirements-dev.txt)"
)
expect = playwright.expect
expect.set_options(timeout=30_000)  # a slow CI machine: the page may take seconds to show a change


@contextmanager
def app(workspace: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port with ``workspace``; yields its URL."""
    with running_app(workspace, workspace.with_suffix(".log"), wait=60) as started:
        yield started.url


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    """A page of a fresh headless Chromium (its own empty user-data dir)."""
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1400, "height": 1100},
        )
        context.set_default_timeout(30_000)
        page = context.pages[0] if context.pages else context.new_page()
        try:
            yield page
        finally:
            context.close()


class Steps:
    """Runs named steps: a screenshot after each, the page's HTML too when one fails."""

    def __init__(self, page: object, name: str) -> None:
        self.page, self.folder, self.n = page, OUT / name, 0
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)

    def __call__(self, title: str, action: Callable[[], None]) -> None:
        self.n += 1
        stem = self.folder / f"{self.n:02d}-{title}"
        try:
            action()
        except BaseException:
            stem.with_suffix(".html").write_text(self.page.content(), encoding="utf-8")  # type: ignore[attr-defined]
            self.page.screenshot(path=str(stem.with_name(stem.name + "-failed.png")), full_page=True)  # type: ignore[attr-defined]
            raise
        self.page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)  # type: ignore[attr-defined]


def _idle(page: object) -> None:
    """Wait until Streamlit has run the script the last action asked for. A slow machine may
    start it late, so it is given a moment to start, then waited for (``stApp``'s script state);
    checks of what changed use ``expect``, which waits for the page to show it."""
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=60_000)  # type: ignore[attr-defined]


def _metric(page: object, label: str) -> object:
    """The value of the metric labelled ``label`` (a locator: ``expect`` it, or read its text)."""
    box = page.locator("[data-testid=stMetric]").filter(has=page.get_by_text(label, exact=True))  # type: ignore[attr-defined]
    return box.locator("[data-testid=stMetricValue]")


def _choose(page: object, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox whose label contains ``label``."""
    page.get_by_role("combobox", name=re.compile(re.escape(label))).click()  # type: ignore[attr-defined]
    page.get_by_role("option", name=option, exact=True).click()  # type: ignore[attr-defined]
    _idle(page)


def _type(page: object, label: str | re.Pattern[str], text: str) -> None:
    """Type ``text`` into the text input labelled ``label`` and press Enter (Streamlit applies it)."""
    box = page.get_by_label(label)  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Enter")
    _idle(page)


def _demo_facts(tmp_path: Path) -> dict[str, object]:
    """What the demo holds, read with the library in a workspace of the test's own (the app's
    file is the app's): a conflict whose account lacks the email, and the counts."""
    from reconcile import Workspace, workflow

    with Workspace.open(tmp_path / "facts.duckdb", create=True) as ws:
        workflow.load_demo(ws)
        result = workflow.run_match(ws)
        records = result.records
        row = records[(records["category"] == "conflict") & records["reason"].str.contains("which has no email")].iloc[
            0
        ]
        names = ws.payfit_records().set_index("id")
        return {
            "conflict_id": row["source_id"],
            "conflict_name": f"{names.loc[row['source_id'], 'firstName']} {names.loc[row['source_id'], 'lastName']}",
            "counts": result.counts(),
        }


def test_a_person_walks_through_the_app(browser_page: object, tmp_path: Path) -> None:
    """Load the demo → mapping (a transform changes the preview) → review (exclude one; add a
    missing email and see the person move) → sync (the gate refuses until confirmed; the push
    finishes) → accounts (the new accounts are there)."""
    page = browser_page
    facts = _demo_facts(tmp_path)
    step = Steps(page, "walk")
    with app(tmp_path / "app.duckdb") as url:

        def load() -> None:
            page.goto(url)  # type: ignore[attr-defined]
            page.get_by_text("I understand this replaces everything").click()  # type: ignore[attr-defined]
            _idle(page)
            page.get_by_role("button", name="Use demo data").click()  # type: ignore[attr-defined]
            _idle(page)
            expect(page.get_by_text("Loaded the demo", exact=False)).to_be_visible()  # type: ignore[attr-defined]

        step("load-demo", load)

        def mapping() -> None:
            page.goto(f"{url}/mapping")  # type: ignore[attr-defined]
            _idle(page)
            before = page.locator("[role=gridcell]").nth(1).inner_text()  # type: ignore[attr-defined]
            assert before and before != before.upper()
            _choose(page, "Transform of lastName", "UPPER CASE")
            expect(page.locator("[role=gridcell]").nth(1)).to_have_text(before.upper())  # type: ignore[attr-defined]
            page.get_by_role("button", name="Save mapping").click()  # type: ignore[attr-defined]
            _idle(page)
            expect(page.get_by_text("Mapping saved", exact=False)).to_be_visible()  # type: ignore[attr-defined]

        step("mapping-transform", mapping)

        def exclude() -> None:
            page.goto(f"{url}/review")  # type: ignore[attr-defined]
            _idle(page)
            expect(_metric(page, "excluded")).to_have_text("0")
            grid = page.locator("[data-testid=stDataFrame]").first  # type: ignore[attr-defined]
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 26, box["y"] + 35 + 17)  # type: ignore[attr-defined]  # the first row's tick box
            _idle(page)
            button = page.get_by_role("button", name="Add to excluded")  # type: ignore[attr-defined]
            expect(button).to_be_enabled(timeout=60_000)  # the tick reached the ticked people
            button.click()
            _idle(page)
            expect(_metric(page, "excluded")).to_have_text("1", timeout=60_000)
            expect(
                page.get_by_text("new (create) → excluded", exact=False)
                .or_(page.get_by_text("→ excluded", exact=False))
                .first
            ).to_be_visible()  # type: ignore[attr-defined]

        step("review-exclude", exclude)

        def fix_conflict() -> None:
            page.get_by_text("Conflict", exact=True).click()  # type: ignore[attr-defined]
            _idle(page)
            conflicts = int(_metric(page, "conflict").inner_text())  # type: ignore[attr-defined]
            combo = page.get_by_role("combobox", name=re.compile("Conflict"))  # type: ignore[attr-defined]
            combo.click()
            combo.fill(str(facts["conflict_id"]))
            page.get_by_role("option", name=re.compile(str(facts["conflict_id"]))).click()  # type: ignore[attr-defined]
            _idle(page)
            expect(
                page.get_by_test_id("stAlertContentWarning").get_by_text("which has no email", exact=False).first
            ).to_be_visible()  # type: ignore[attr-defined]
            page.get_by_role("button", name="Save email and re-match").click()  # type: ignore[attr-defined]
            _idle(page)
            expect(page.get_by_text("conflict → new (link)", exact=False)).to_be_visible()  # type: ignore[attr-defined]
            expect(_metric(page, "conflict")).to_have_text(str(conflicts - 1), timeout=60_000)

        step("review-fix-conflict", fix_conflict)

        created: dict[str, int] = {}

        def sync() -> None:
            page.goto(f"{url}/sync")  # type: ignore[attr-defined]
            _idle(page)
            creates = int(_metric(page, "Creates").inner_text())  # type: ignore[attr-defined]
            created["n"] = creates
            push = page.get_by_role("button", name="Push to Equify")  # type: ignore[attr-defined]
            expect(push).to_be_disabled()
            page.get_by_text("Skip the", exact=False).click()  # type: ignore[attr-defined]
            _idle(page)
            gate = re.compile("Type the number of accounts to create")
            _type(page, gate, "1")
            expect(push).to_be_disabled()  # a wrong number does not open the gate
            _type(page, gate, str(creates))
            expect(push).to_be_enabled()
            push.click()
            expect(page.get_by_text(re.compile(r"· \*?\*?done")).first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]

        step("sync-push", sync)

        def accounts() -> None:
            page.goto(f"{url}/accounts")  # type: ignore[attr-defined]
            _idle(page)
            assert created["n"] > 0
            expect(_metric(page, "Created by a sync")).to_have_text(str(created["n"]), timeout=60_000)

        step("accounts", accounts)


def test_a_reload_mid_push_does_not_stop_it(browser_page: object, tmp_path: Path) -> None:
    """The push runs on the server: reloading the page mid-push, the page re-attaches to the
    live progress and the push finishes, every account made once."""
    from collections import Counter

    from bench.push_common import creates_workspace
    from reconcile.testing.equify_server import EquifyServer

    page = browser_page
    step = Steps(page, "reload")
    workspace = creates_workspace(tmp_path / "push.duckdb", 400)
    with EquifyServer("e2e-token-FICTITIOUS") as server, app(workspace) as url:
        server.faults.slow(0.01)  # 400 creates: over 4 s

        def start() -> None:
            page.goto(f"{url}/sync")  # type: ignore[attr-defined]
            _idle(page)
            page.get_by_text("HTTP (an Equify-side REST endpoint)").click()  # type: ignore[attr-defined]
            _idle(page)
            _type(page, "Base URL", server.url)
            _type(page, "Bearer token", "e2e-token-FICTITIOUS")
            _type(page, re.compile("Type the number of accounts to create"), "400")
            page.get_by_role("button", name="Push to Equify").click()  # type: ignore[attr-defined]
            expect(page.get_by_text("is running", exact=False).first).to_be_visible(timeout=20_000)  # type: ignore[attr-defined]

        step("push-started", start)

        def reload() -> None:
            assert 0 < len(server.accounts()) < 400, "the reload must come mid-push"
            page.reload()  # type: ignore[attr-defined]
            expect(page.get_by_text("is running", exact=False).first).to_be_visible(timeout=20_000)  # type: ignore[attr-defined]

        step("reloaded-mid-push", reload)

        def finished() -> None:
            expect(page.get_by_text(re.compile(r"· \*?\*?done")).first).to_be_visible(timeout=90_000)  # type: ignore[attr-defined]
            accounts = server.accounts()
            assert len(accounts) == 400
            assert max(Counter(a["payfitId"] for a in accounts).values()) == 1

        step("push-finished", finished)
