"""Benchmark: how long the Review page takes to rerun at N × N records.

Loads N generated Payfit records and N Equify accounts (``bench/synth.py``) into a fresh
workspace file, opens the Review page with Streamlit's AppTest, then times (``--repeat``
times each, medians in seconds):

* ``rerun``: the page's rerun after a filter change (a search typed, then cleared);
* ``edit``: one inline edit of an Equify account's email in the conflict table, done as the
  table's on_change does (``ui.table.edit_table_and_rematch`` on the rows shown), plus the
  page's rerun that draws the result. AppTest cannot type into ``st.data_editor``, so the
  edit is applied through the same library call the editor's callback makes.

Last line, one JSON object: ``{"n", "rerun_median_s", "edit_median_s", "first_open_s",
"peak_rss_mb"}``. Targets (issue 5): at N = 10,000 both medians ≤ 0.5 s; at N = 100,000 ≤ 2 s.

Usage: ``python bench/review_rerun.py N [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

from bench.synth import generate  # noqa: E402
from reconcile import Workspace  # noqa: E402
from reconcile.sources.equify import ACCOUNT_COLUMNS  # noqa: E402
from reconcile.sources.payfit import PAYFIT_COLUMNS  # noqa: E402
from ui import table as view  # noqa: E402

TEAMS = ["Sales", "Engineering", "People", "Finance", "Marketing", "Operations"]


def workspace_frames(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generated records as the workspace's Payfit and Equify tables (all text)."""
    source, target, _truth = generate(n)
    rng = np.random.default_rng(3)
    payfit = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in PAYFIT_COLUMNS})
    for col in ("id", "firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule", "country"):
        payfit[col] = source[col].astype(object).where(source[col].notna(), None).to_numpy()
    payfit["teamName"] = rng.choice(TEAMS, n)
    payfit["status"] = "active"
    payfit["isLeaver"] = False
    payfit["isAdminWithoutContract"] = False
    payfit["contractStatus"] = "ACTIVE"
    equify = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in ACCOUNT_COLUMNS})
    for col in ("id", "firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule"):
        equify[col] = target[col].astype(object).where(target[col].notna(), None).to_numpy()
    equify["relation"] = "employee"
    equify["kind"] = "person"
    return payfit, equify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        payfit, equify = workspace_frames(args.n)
        with Workspace.open(path, create=True) as ws:
            ws.replace_all(payfit, equify)
        os.environ["RECONCILE_WORKSPACE"] = str(path)
        t = time.perf_counter()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        at.switch_page("pages/review.py").run()
        at.radio(key="review.set").set_value("conflict").run()
        first_open = time.perf_counter() - t
        assert not at.exception, [e.value for e in at.exception]
        print(f"opened the Review page on {args.n} x {args.n} records in {first_open:.2f} s", flush=True)

        reruns = []
        for k in range(args.repeat):
            search = at.text_input(key="review.filter.search")
            t = time.perf_counter()
            search.set_value(f"zz{k}").run()
            reruns.append(time.perf_counter() - t)
            t = time.perf_counter()
            at.text_input(key="review.filter.search").set_value("").run()
            reruns.append(time.perf_counter() - t)
        print("reruns after a filter change (s): " + ", ".join(f"{x:.2f}" for x in reruns), flush=True)

        from ui import state

        edits = []
        for k in range(args.repeat):
            ws = state.workspace()
            result = state.match_result(ws)
            rows = state.review_rows(ws)
            shown = rows[(rows["category"] == "conflict") & rows["target_id"].notna()].head(100).reset_index(drop=True)
            t = time.perf_counter()
            view.edit_table_and_rematch(ws, shown, {k: {"account_email": f"bench.edit{k}@example.fr"}})
            at.run()
            edits.append(time.perf_counter() - t)
            assert not at.exception, [e.value for e in at.exception]
            del result
        print("one inline edit and the rerun (s): " + ", ".join(f"{x:.2f}" for x in edits), flush=True)

    out = {
        "n": args.n,
        "rerun_median_s": round(statistics.median(reruns), 3),
        "edit_median_s": round(statistics.median(edits), 3),
        "first_open_s": round(first_open, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    for key, limit in (
        ("rerun_median_s", 0.5 if args.n <= 10_000 else 2.0),
        ("edit_median_s", 0.5 if args.n <= 10_000 else 2.0),
    ):
        if out[key] > limit:
            print(f"TARGET MISSED: {key} {out[key]} > {limit} at n={args.n}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
