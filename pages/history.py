"""History: every push run with its time, target, counts and duration; one run's journal, and its log to download."""

import json

import streamlit as st

from reconcile import workflow
from reconcile.export import table_bytes
from ui import state
from ui.text import md

st.title("History")
state.show_flash()
ws = state.workspace()
with state.reported():
    runs = workflow.push_runs(ws)
    if runs.empty:
        st.info("No push yet: runs appear here once the Sync page (or `python -m reconcile push`) has pushed.")
        st.stop()
    totals = [json.loads(t) if t else {} for t in runs["totals"]]
    table = runs[["run_id", "started_at", "finished_at", "status", "target"]].copy()
    for key in ("created", "linked", "updated", "skipped", "failed", "seconds"):
        table[key] = [t.get(key) for t in totals]
    st.dataframe(table, hide_index=True)
    run_id = st.selectbox("Run", table["run_id"].tolist(), key="history.run")
    progress = workflow.run_progress(ws, run_id)
    st.write(
        f"**{md(progress.status)}** · {progress.done:d} done · {progress.failed:d} failed · {progress.pending:d} pending "
        f"of {progress.total:d} operations"
    )
    journal = workflow.run_journal(ws, run_id)
    failed = journal[journal["status"] == "failed"]
    if not failed.empty:
        st.warning(f"{len(failed)} operation(s) failed; the next push sends them again.")
    st.dataframe(journal, hide_index=True)
    st.download_button(
        "Download the run log (CSV)",
        table_bytes(journal, "csv"),  # formula-safe, like every export
        file_name=f"{run_id}.csv",
        mime="text/csv",
        key="history.download",
    )
