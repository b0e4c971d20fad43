"""Crash benchmark: a push killed with SIGKILL at a random point, then resumed, never
duplicates nor loses an account (issue 6, case S1).

Each trial writes a workspace with N records to create (``bench/push_common.py``), starts a
worker *process* pushing them to the http target's reference server (``reconcile.equify_server``,
run by this process on 127.0.0.1, so it outlives the worker), kills the worker with SIGKILL
after a random delay, then runs a second worker that pushes again (it resumes the run from
its journal), and checks the server and the workspace:

* ``duplicates``: accounts on the server beyond one per Payfit record;
* ``lost``: records without their account (on the server and in the workspace's ledger), or
  journal rows neither done nor failed.

Last line, one JSON object: ``{"trials", "n", "duplicates", "lost", "killed_mid_push", "seconds"}``;
``duplicates`` and ``lost`` must be 0.

Usage: ``python bench/push_crash.py [--trials 20] [--n 1000] [--faults 0.0]``
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

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.push_common import creates_workspace  # noqa: E402
from reconcile import Workspace  # noqa: E402
from reconcile.equify_server import EquifyServer  # noqa: E402

TOKEN = "bench-crash-token-FICTITIOUS"


def worker(path: str, url: str) -> None:
    """Push the workspace at ``path`` to the http target at ``url`` (run in a child process)."""
    from reconcile import workflow
    from reconcile.targets import HttpTarget

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
    # The kill lands at a random point of the push itself: after the worker's first request
    # (its start-up takes 0.5-3 s depending on the machine's load), within about a second.
    _wait_for(lambda: server.requests > 0 or first.poll() is not None, 60)
    time.sleep(rng.uniform(0.0, 1.2))
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
    args = parser.parse_args()
    totals = run(args.trials, args.n, args.faults)
    print(
        json.dumps({"trials": totals["trials"], "duplicates": totals["duplicates"], "lost": totals["lost"], **totals})
    )


if __name__ == "__main__":
    main()
