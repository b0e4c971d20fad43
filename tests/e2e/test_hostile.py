"""Hostile names in a real browser: every page of the app, in headless Chromium, on a workspace
whose Payfit and Equify names are Markdown beacons, ``javascript:`` links, script and ``<img
onerror>`` HTML, Streamlit directives, LaTeX and formulas (tests/hostile.py).

Every request the page makes is recorded and anything not for 127.0.0.1 is aborted: the test
asserts none was tried (no beacon, no Google font or favicon), no dialog opened (no script ran),
no ``<img>`` with a beacon address and no link drawn from a name (``javascript:``, a beacon's
address, an email) is in the page, and the names
are shown as their literal text. Screenshots go to ``test-output/e2e/hostile/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hostile import CONFLICT_NAME, MARKDOWN_NAMES, hostile_workspace
from test_browser import ARGS, CHROMIUM, Steps, _idle, _metric, _type, app, expect, playwright

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class Watch:
    """What the page tried: every request's URL, the ones aborted (not for 127.0.0.1), dialogs."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []

    def route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOCAL_HOSTS:
            self.outside.append(url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    def request(self, request: object) -> None:
        self.requests.append(request.url)  # type: ignore[attr-defined]

    def dialog(self, dialog: object) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]


@pytest.fixture
def watched_page(tmp_path: Path) -> Iterator[tuple[object, Watch]]:
    """A page of a fresh headless Chromium whose requests and dialogs are watched."""
    watch = Watch()
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1400, "height": 1100},
        )
        context.set_default_timeout(30_000)
        context.route("**/*", watch.route)
        context.on("request", watch.request)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("dialog", watch.dialog)
        try:
            yield page, watch
        finally:
            context.close()


def _facts(path: Path) -> dict[str, object]:
    """The hostile workspace, and the conflict showing each Markdown name (read before the app opens it)."""
    from reconcile import Workspace, workflow

    info = hostile_workspace(path)
    with Workspace.open(path) as ws:
        records = workflow.run_match(ws).records
        conflicts = records[records["category"] == "conflict"]
        by_name = {}
        for name in MARKDOWN_NAMES:
            hit = conflicts[conflicts["reason"].str.contains(name, regex=False)]
            if not hit.empty:
                by_name[name] = str(hit.iloc[0]["source_id"])
    return {**info, "by_name": by_name}


def _shows(page: object, text: str) -> bool:
    """The page's visible text holds ``text`` literally (word joiners, invisible, aside)."""
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            "t => document.body.innerText.replaceAll('\\u2060', '').includes(t)", text
        )
    )


def _inert(page: object, watch: Watch, where: str) -> None:
    """Nothing hostile is live in the page now, and nothing left 127.0.0.1 so far."""
    found = page.evaluate(  # type: ignore[attr-defined]
        """() => ({
            beacons: [...document.querySelectorAll('img')].map(i => i.getAttribute('src') || '')
                .filter(s => /beacon|^x$/.test(s)),
            links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
                .filter(h => /^\\s*javascript:|beacon|127\\.0\\.0\\.2|^mailto:/i.test(h)),
            scripts: [...document.querySelectorAll('script')].filter(s => /alert\\(/.test(s.textContent)).length,
            handlers: [...document.querySelectorAll('[onerror],[onload],[onclick]')].length,
        })"""
    )
    assert not found["beacons"], f"{where}: <img> with {found['beacons']}"
    assert not found["links"], f"{where}: links drawn from names: {found['links']}"
    assert found["scripts"] == 0 and found["handlers"] == 0, f"{where}: {found}"
    assert not watch.outside, f"{where}: requests outside 127.0.0.1: {watch.outside}"
    assert not watch.dialogs, f"{where}: dialogs opened: {watch.dialogs}"


def _pick_conflict(page: object, source_id: str) -> None:
    combo = page.get_by_role("combobox", name=re.compile("Conflict"))  # type: ignore[attr-defined]
    combo.click()
    combo.fill(source_id)
    page.get_by_role("option", name=re.compile(source_id)).click()  # type: ignore[attr-defined]
    _idle(page)


def test_hostile_names_on_every_page_stay_text(watched_page: tuple[object, Watch], tmp_path: Path) -> None:
    page, watch = watched_page
    facts = _facts(tmp_path / "hostile.duckdb")
    by_name: dict[str, str] = facts["by_name"]  # type: ignore[assignment]
    assert len(by_name) >= 4, by_name  # most Markdown names are quoted by a conflict's reason
    step = Steps(page, "hostile")
    with app(tmp_path / "hostile.duckdb") as url:
        for path in ("", "mapping", "audit", "accounts"):

            def visit(path: str = path) -> None:
                page.goto(f"{url}/{path}")  # type: ignore[attr-defined]
                _idle(page)
                expect(page.locator("h1").first).to_be_visible()  # type: ignore[attr-defined]
                _inert(page, watch, path or "load")

            step(f"page-{path or 'load'}", visit)

        def review_conflicts() -> None:
            page.goto(f"{url}/review")  # type: ignore[attr-defined]
            _idle(page)
            _inert(page, watch, "review")
            page.get_by_text("Conflict", exact=True).click()  # type: ignore[attr-defined]
            _idle(page)
            _pick_conflict(page, str(facts["conflict_id"]))
            expect(
                page.get_by_test_id("stAlertContentWarning").get_by_text("which has no email", exact=False).first
            ).to_be_visible()  # type: ignore[attr-defined]
            assert _shows(page, CONFLICT_NAME), "the conflict's reason and candidate show the name as text"
            _inert(page, watch, "review conflict")

        step("review-conflict", review_conflicts)

        for n, (name, sid) in enumerate(by_name.items()):

            def each_name(name: str = name, sid: str = sid) -> None:
                _pick_conflict(page, sid)
                expect(
                    page.get_by_test_id("stAlertContentWarning")
                    .get_by_text("names clearly disagree", exact=False)
                    .first
                ).to_be_visible()  # type: ignore[attr-defined]
                assert _shows(page, name), f"{name!r} is not shown as text"
                _inert(page, watch, f"conflict quoting {name!r}")

            step(f"review-name-{n}", each_name)

        def exclude_flash() -> None:
            _pick_conflict(page, str(facts["conflict_id"]))
            page.get_by_role("button", name=re.compile(r"^Exclude\b")).click()  # type: ignore[attr-defined]
            _idle(page)
            expect(page.get_by_text("→ excluded", exact=False).first).to_be_visible()  # type: ignore[attr-defined]
            assert _shows(page, CONFLICT_NAME), "the flash names the person as text"
            _inert(page, watch, "flash after exclude")
            page.get_by_text("Activity and undo").click()  # type: ignore[attr-defined]
            _idle(page)
            _inert(page, watch, "activity")

        step("review-exclude-flash", exclude_flash)

        def sync_push() -> None:
            page.goto(f"{url}/sync")  # type: ignore[attr-defined]
            _idle(page)
            _inert(page, watch, "sync")
            creates = int(_metric(page, "Creates").inner_text())  # type: ignore[attr-defined]
            page.get_by_text("Skip the", exact=False).click()  # type: ignore[attr-defined]
            _idle(page)
            page.get_by_text("Dry run", exact=False).first.click()  # type: ignore[attr-defined]
            _idle(page)
            right = page.get_by_text("Yes, this is the right customer")  # type: ignore[attr-defined]
            if right.count():  # most hostile records are creates: the gate asks (#16), a person answers
                _inert(page, watch, "sync, the right customer asked")
                right.click()
                _idle(page)
            _type(page, re.compile("Type the number of accounts to create"), str(creates))
            page.get_by_role("button", name="Push to Equify").click()  # type: ignore[attr-defined]
            # .first: while the page reruns, the panel of the run before may still be on screen
            expect(page.get_by_text(re.compile(r"· \*?\*?done")).first).to_be_visible(timeout=90_000)  # type: ignore[attr-defined]
            _inert(page, watch, "sync after push")

        step("sync-push", sync_push)

        def history() -> None:
            page.goto(f"{url}/history")  # type: ignore[attr-defined]
            _idle(page)
            expect(page.get_by_role("button", name="Download the run log (CSV)")).to_be_visible()  # type: ignore[attr-defined]
            _inert(page, watch, "history")

        step("history", history)

    assert watch.requests, "no request recorded: the watch is broken"
    hosts = {urlsplit(u).hostname for u in watch.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts <= LOCAL_HOSTS, hosts
    assert not watch.outside and not watch.dialogs
