"""Benchmark: what the app pays for not locking other processes out of its workspace (issue 15).

The app holds the workspace file only during a page run (``Workspace.lease`` with
``release_when_idle``), so each run opens the file again. This measures a Review page's rerun
(the cached match and the review table) with the file kept open against released between runs,
at N records, 7 runs each (medians), after one warm-up run of each.

Prints one JSON object on its last line: ``{"n", "rerun_kept_open_s", "rerun_released_s"}``.

Usage: ``python bench/shared_workspace.py [N]`` (default 100,000)
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.review_rerun import workspace_frames
from reconcile import Workspace, workflow


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    path = Path(tempfile.mkdtemp()) / "w.duckdb"
    src, tgt = workspace_frames(n)
    with Workspace.open(path) as ws:
        ws.replace_all(src, tgt)
    ws = Workspace.open(path)
    workflow.run_match(ws)  # the first open, not measured here (bench/review_rerun.py does)

    def rerun(release: bool) -> float:
        ws.release_when_idle = release
        started = time.perf_counter()
        with ws.lease():
            workflow.review_table(ws, workflow.run_match(ws))
        return time.perf_counter() - started

    for release in (False, True):
        rerun(release)
    kept = [rerun(False) for _ in range(7)]
    released = [rerun(True) for _ in range(7)]
    ws.close()
    print(
        json.dumps(
            {
                "n": n,
                "rerun_kept_open_s": round(statistics.median(kept), 3),
                "rerun_released_s": round(statistics.median(released), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
