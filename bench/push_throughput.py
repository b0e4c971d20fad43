"""Push throughput: operations per second to the embedded target and over HTTP to the http
target's reference server on 127.0.0.1 (issue 6; targets ≥ 5,000 ops/s embedded, ≥ 200 ops/s
over HTTP).

For each target, a fresh workspace with N records to create (``bench/push_common.py``) is
pushed once; ``ops_per_s`` is creates done / the push's wall time (run and journal written,
every account and ledger row committed). Last line, one JSON object:
``{"n", "embedded_ops_per_s", "http_ops_per_s", "embedded_s", "http_s"}``.

Usage: ``python bench/push_throughput.py [--n 5000]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bench.push_common import creates_workspace  # noqa: E402
from reconcile import Workspace, workflow  # noqa: E402
from reconcile.sync.targets import HttpTarget  # noqa: E402
from reconcile.testing.equify_server import EquifyServer  # noqa: E402

TOKEN = "bench-throughput-token-FICTITIOUS"


def timed_push(path: Path, target: object | None) -> tuple[int, float]:
    """``(created, seconds)`` of one push of the workspace at ``path``."""
    with Workspace.open(path) as ws:
        plan = workflow.plan_workspace(ws)
        started = time.perf_counter()
        result = workflow.push(ws, plan, target=target)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        if result.failed:
            raise RuntimeError(f"{result.failed} operations failed")
        return result.created, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        created, embedded_s = timed_push(creates_workspace(Path(tmp) / "embedded.duckdb", args.n), None)
        print(f"embedded: {created} creates in {embedded_s:.2f} s", flush=True)
        with EquifyServer(TOKEN) as server, HttpTarget(server.url, TOKEN) as target:
            created_http, http_s = timed_push(creates_workspace(Path(tmp) / "http.duckdb", args.n), target)
            if len(server.accounts()) != args.n:
                raise RuntimeError("the server does not hold one account per record")
        print(f"http: {created_http} creates in {http_s:.2f} s", flush=True)
    out = {
        "n": args.n,
        "embedded_ops_per_s": round(created / embedded_s),
        "http_ops_per_s": round(created_http / http_s),
        "embedded_s": round(embedded_s, 3),
        "http_s": round(http_s, 3),
    }
    for key, floor in (("embedded_ops_per_s", 5000), ("http_ops_per_s", 200)):
        if out[key] < floor:
            print(f"TARGET MISSED: {key} {out[key]} < {floor}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
