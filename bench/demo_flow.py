"""Benchmark: the whole first sync on the demo company, in a fresh workspace file.

Times each step (load, match, plan, push, second push) over ``--repeat`` runs and
prints the medians in seconds. The last line is one JSON object:
``{"records": n, "load_s": ..., "match_s": ..., "plan_s": ..., "push_s": ...,
"second_push_s": ..., "created": n, "second_created": n, "peak_rss_mb": ...}``.

Usage: ``python bench/demo_flow.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from reconcile import Workspace, workflow  # noqa: E402


def one_run(tmp: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    with Workspace.open(tmp / "bench.duckdb") as ws:
        t = time.perf_counter()
        workflow.load_demo(ws)
        times["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        result = workflow.run_match(ws)
        times["match_s"] = time.perf_counter() - t
        t = time.perf_counter()
        plan = workflow.plan_workspace(ws, result)
        times["plan_s"] = time.perf_counter() - t
        t = time.perf_counter()
        first = workflow.push(ws, plan, skip_conflicts=True)
        times["push_s"] = time.perf_counter() - t
        t = time.perf_counter()
        second = workflow.push_workspace(ws, skip_conflicts=True)
        times["second_push_s"] = time.perf_counter() - t
        times["created"] = first.created
        times["second_created"] = second.created
        times["records"] = len(result.records)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for n in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(Path(tmp)))
        print(f"run {n + 1}: " + ", ".join(f"{k}={v:.3f}" for k, v in runs[-1].items() if k.endswith("_s")))
    out: dict[str, float | int] = {"records": int(runs[0]["records"])}
    for key in ("load_s", "match_s", "plan_s", "push_s", "second_push_s"):
        out[key] = round(statistics.median(r[key] for r in runs), 4)
    out["created"] = int(runs[0]["created"])
    out["second_created"] = int(runs[-1]["second_created"])
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB
    print(json.dumps(out))


if __name__ == "__main__":
    main()
