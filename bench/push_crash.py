"""Crash benchmark: a push killed with SIGKILL at a random point, then resumed, never
duplicates nor loses an account (issue 6, case S1).

Each trial writes a workspace with N records to create (``bench/push_common.py``), starts a
worker *process* pushing them to the http target's reference server (``reconcile.testing.equify_server``,
run by this process on 127.0.0.1, so it outlives the worker), kills the worker with SIGKILL
after a random delay, then runs a second worker that pushes again (it resumes the run from
its journal), and checks the server and the workspace:

* ``duplicates``: accounts on the server beyond one per Payfit record;
* ``lost``: records without their account (on the server and in the workspace's ledger), or
  journal rows neither done nor failed.

The *app* trial (``--app-trials K``, issue 13) does the same to the app: it starts ``streamlit run
app.py`` on the workspace, and headless Chromium (Playwright, ``/usr/bin/chromium``) starts the
push from the Sync page as a person does (http target, URL, token, the count typed, *Push to
Equify*); once the server holds a random share of the accounts, the app's server process is
killed with SIGKILL; a new app is started, and the run is finished from its Sync page (the
*cut short* warning, the target chosen again, *Finish run*). Same checks.

Last line, one JSON object: ``{"trials", "n", "duplicates", "lost", "killed_mid_push", "seconds"}``
(and ``app_trials``, ``app_duplicates``, ``app_lost``, ``app_killed_mid_push`` with ``--app-trials``);
every ``duplicates`` and ``lost`` must be 0.

Usage: ``python bench/push_crash.py [--trials 20] [--n 1000] [--faults 0.0] [--app-trials 0] [--app-n 400]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

from bench.push_common import creates_workspace  # noqa: E402
from reconcile import Workspace  # noqa: E402
from reconcile.testing.equify_server import EquifyServer  # noqa: E402
from reconcile.testing.processes import running_app  # noqa: E402

TOKEN = "bench-crash-token-FICTITIOUS"


def worker(path: str, url: str) -> None:
    """Push the workspace at ``path`` to the http target at ``url`` (run in a child process)."""
    from reconcile import workflow
    from reconcile.sync.targets import HttpTarget

    with Workspace.open(Path(path)) as ws, HttpTarget(url, TOKEN, timeout=0.5, backoff=0.01, max_attempts=8) as target:
        result = workflow.push_workspace(ws, target=target)
        sys.stdout.write(
            json.dumps({"run_id": result.run_id, "created": result.created, "failed": result.failed}) + "\n"
        )


def _spawn(path: Path, url: str, *, quiet: bool = False) -> subprocess.Popen[bytes]:
    """A worker process; ``quiet``: its output is dropped (a worker about to be killed)."""
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen([sys.executable, __file__, "--worker", str(path), url], cwd=ROOT, stdout=out, stderr=out)


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` every 10 ms for up to ``seconds``; its last answer."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def trial(server: EquifyServer, n: int, rng: random.Random, tmp: Path) -> dict[str, int]:
    """One kill-and-resume trial against ``server``, a fresh one (the records' ids and so the
    idempotency keys are the same in every trial)."""
    path = creates_workspace(tmp / f"crash-{rng.random():.6f}.duckdb", n)
    before = {a["id"] for a in server.accounts()}
    if before:
        raise ValueError("the server must be fresh: it already holds accounts")
    first = _spawn(path, server.url, quiet=True)
    # The kill lands at a random point of the push itself: after the server stored the worker's
    # first create (start-up, the target's check and planning take 0.5-5 s depending on the
    # machine's load, so the first request is not enough), within the next 0.6 s.
    _wait_for(lambda: bool(server.accounts()) or first.poll() is not None, 120)
    time.sleep(rng.uniform(0.0, 0.6))
    killed_mid_push = first.poll() is None
    if killed_mid_push:
        os.kill(first.pid, signal.SIGKILL)
    first.wait()
    second = _spawn(path, server.url)
    out, err = second.communicate(timeout=300)
    if second.returncode != 0:
        raise RuntimeError(f"the resuming worker failed: {err.decode()[-2000:]}")
    with Workspace.open(path) as ws:
        ledger = ws.ledger()
        runs = ws.push_runs()
        journal = ws.query("SELECT status FROM push_journal")
        records = set(ws.payfit_records()["id"])
    made = [a for a in server.accounts() if a["id"] not in before]
    foreign = [a for a in made if "payfitId" not in a]
    if foreign:  # not made by a push: something else wrote to this server
        raise RuntimeError(f"{len(foreign)} account(s) on the server carry no Payfit id: {foreign[:3]}")
    by_record = Counter(a["payfitId"] for a in made)
    ids = {a["id"] for a in made}
    duplicates = sum(c - 1 for c in by_record.values())
    lost = len(records - set(by_record)) + len(records - set(ledger)) + sum(1 for a in ledger.values() if a not in ids)
    lost += int((~journal["status"].isin(["done", "failed"])).sum())
    path.unlink(missing_ok=True)
    return {
        "duplicates": duplicates,
        "lost": lost,
        "killed_mid_push": int(killed_mid_push),
        "runs": len(runs),
    }


def _check(path: Path, server: EquifyServer, before: set[str]) -> dict[str, int]:
    """``duplicates`` and ``lost`` of a pushed workspace against the server (see the module doc)."""
    with Workspace.open(path) as ws:
        ledger = ws.ledger()
        runs = ws.push_runs()
        journal = ws.query("SELECT status FROM push_journal")
        records = set(ws.payfit_records()["id"])
    made = [a for a in server.accounts() if a["id"] not in before]
    by_record = Counter(a["payfitId"] for a in made)
    ids = {a["id"] for a in made}
    lost = len(records - set(by_record)) + len(records - set(ledger)) + sum(1 for a in ledger.values() if a not in ids)
    lost += int((~journal["status"].isin(["done", "failed"])).sum())
    return {"duplicates": sum(c - 1 for c in by_record.values()), "lost": lost, "runs": len(runs)}


def _idle(page: Any) -> None:
    """Wait until Streamlit has run the script the last action asked for."""
    page.wait_for_timeout(400)
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=90_000)


def _http_target(page: Any, url: str) -> None:
    """Choose the http target on the Sync page, with the server's URL and token."""
    page.get_by_text("HTTP (an Equify-side REST endpoint)").click()
    _idle(page)
    for label, text in (("Base URL", url), ("Bearer token", TOKEN)):
        box = page.get_by_label(label)
        box.fill(text)
        box.press("Enter")
        _idle(page)


def app_trial(server: EquifyServer, n: int, rng: random.Random, tmp: Path, chromium: Path) -> dict[str, int]:
    """One kill-and-finish trial of the app (see the module doc) against a fresh ``server``."""
    import re

    from playwright.sync_api import expect, sync_playwright

    path = creates_workspace(tmp / f"app-{rng.random():.6f}.duckdb", n)
    log = path.with_suffix(".log")
    before = {a["id"] for a in server.accounts()}
    share = rng.uniform(0.05, 0.8)
    server.faults.slow(0.01)  # the push of n accounts takes n/100 s or more: room for the kill
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium), headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        with running_app(path, log) as first:
            proc = first.process
            page.goto(f"{first.url}/sync")
            _idle(page)
            _http_target(page, server.url)
            gate = page.get_by_label(re.compile("Type the number of accounts to create"))
            gate.fill(str(n))
            gate.press("Enter")
            _idle(page)
            page.get_by_role("button", name="Push to Equify").click()
            _wait_for(lambda: len(server.accounts()) >= share * n or proc.poll() is not None, 120)
            killed_mid_push = proc.poll() is None and len(server.accounts()) < n
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        server.faults.slow(0)
        try:
            with running_app(path, log) as second:
                page.goto(f"{second.url}/sync")
                _idle(page)
                if killed_mid_push:
                    expect(page.get_by_text("was cut short", exact=False).first).to_be_visible()
                    _http_target(page, server.url)
                    page.get_by_role("button", name=re.compile("^Finish run")).click()
                    _idle(page)
                    expect(page.get_by_text(re.compile(r"· \*?\*?done")).first).to_be_visible(timeout=120_000)
        finally:
            browser.close()
    outcome = _check(path, server, before)
    path.unlink(missing_ok=True)
    return {**outcome, "killed_mid_push": int(killed_mid_push)}


def run_app(trials: int, n: int, seed: int = 13) -> dict[str, float]:
    """``trials`` app trials of ``n`` creates; the totals, keys prefixed ``app_``."""
    chromium = Path(os.environ.get("RECONCILE_CHROMIUM", "/usr/bin/chromium"))
    if not chromium.exists():
        raise RuntimeError(f"the app trial needs Chromium at {chromium} (apt: chromium)")
    rng = random.Random(seed)
    totals = {"app_trials": trials, "app_n": n, "app_duplicates": 0, "app_lost": 0, "app_killed_mid_push": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(trials):
            with EquifyServer(TOKEN) as server:
                outcome = app_trial(server, n, rng, Path(tmp), chromium)
            for key in ("duplicates", "lost", "killed_mid_push"):
                totals[f"app_{key}"] += outcome[key]
            print(f"app trial {k + 1}/{trials}: {outcome}", flush=True)
    return totals


def run(trials: int, n: int, faults: float = 0.0, seed: int = 11) -> dict[str, float]:
    """``trials`` trials of ``n`` creates; the totals (see the module doc)."""
    rng = random.Random(seed)
    started = time.monotonic()
    totals = {"trials": trials, "n": n, "duplicates": 0, "lost": 0, "killed_mid_push": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(trials):
            with EquifyServer(TOKEN) as server:
                if faults:
                    server.faults.random(faults, seed=seed + k)
                    server.faults.hang = 0.6
                outcome = trial(server, n, rng, Path(tmp))
            for key in ("duplicates", "lost", "killed_mid_push"):
                totals[key] += outcome[key]
            print(f"trial {k + 1}/{trials}: {outcome}", flush=True)
    totals["seconds"] = round(time.monotonic() - started, 1)
    return totals


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--faults", type=float, default=0.0, help="share of requests meeting a random fault (0-1)")
    parser.add_argument("--app-trials", type=int, default=0, help="trials that kill the app's server process")
    parser.add_argument("--app-n", type=int, default=400, help="creates per app trial")
    args = parser.parse_args()
    totals = run(args.trials, args.n, args.faults) if args.trials else {"trials": 0, "duplicates": 0, "lost": 0}
    if args.app_trials:
        started = time.monotonic()
        totals.update(run_app(args.app_trials, args.app_n))
        totals["app_seconds"] = round(time.monotonic() - started, 1)
    print(
        json.dumps({"trials": totals["trials"], "duplicates": totals["duplicates"], "lost": totals["lost"], **totals})
    )


if __name__ == "__main__":
    main()
