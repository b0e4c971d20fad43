"""History: every push run with its time, target, who started it, counts and duration; one run's journal, and its log to download."""

import streamlit as st

from reconcile import workflow
from reconcile.export import table_bytes
from ui import state
from ui.text import md

st.title("History")
state.show_flash()
ws = state.workspace()
with state.reported():
    table = workflow.runs_table(ws)  # "by": who started each run (blank for runs older than that record)
    if table.empty:
        st.info("No push yet: runs appear here once the Sync page (or `python -m reconcile push`) has pushed.")
        st.stop()
    st.dataframe(table, hide_index=True, column_config={"by": "Started by"})
    run_id = st.selectbox("Run", table["run_id"].tolist(), key="history.run")
    progress = workflow.run_progress(ws, run_id)
    by = table.loc[table["run_id"] == run_id, "by"].iloc[0]
    started_by = f" · started by {md(by)}" if by else ""  # blank for runs older than that record
    st.write(
        f"**{md(progress.status)}** · {progress.done:d} done · {progress.failed:d} failed · {progress.pending:d} pending "
        f"of {progress.total:d} operations" + started_by
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
