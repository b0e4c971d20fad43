"""Connect / Load: put the Payfit records and the Equify accounts into the workspace."""

import streamlit as st

from reconcile import workflow
from ui import connect, state
from ui.text import md

st.title("Connect / Load")
state.show_flash()
ws = state.workspace()
counts = ws.counts()
st.caption(f"Workspace {md(ws.path)} · schema v{ws.schema_version:d}")
c1, c2, c3 = st.columns(3)
c1.metric("Payfit records", counts["payfit_records"])
c2.metric("Equify accounts", counts["equify_accounts"])
c3.metric("Linked by earlier syncs", counts["ledger"])

st.subheader("Payfit API")
connect.panel(ws)

st.subheader("Demo company")
st.write("A fictitious Payfit company and its Equify space, with every situation the matcher has to handle.")
replace_ok = ws.is_empty() or st.checkbox(
    "I understand this replaces everything in the workspace (records, decisions, ledger, push history)",
    key="load.demo_confirm",
)
if st.button("Use demo data", disabled=not replace_ok, key="load.demo"):
    with state.reported():
        loaded = workflow.load_demo(ws, operator=state.operator())
        state.flash(
            "success",
            f"Loaded the demo: {loaded['payfit_records']} Payfit records, {loaded['equify_accounts']} Equify accounts.",
        )
        st.rerun()

st.subheader("Payfit collaborators from files")
st.write(
    "Upload the JSON pages of `GET /companies/{companyId}/collaborators` (one or several), "
    "or one Payfit export (CSV or XLSX, any encoding and separator). "
    "They replace the Payfit records; decisions and the ledger are kept."
)
pages_up = st.file_uploader(
    "Payfit pages (.json) or export (.csv, .xlsx)",
    type=["json", "csv", "tsv", "txt", "xlsx", "xls"],
    accept_multiple_files=True,
    key="load.payfit",
)
if st.button("Load Payfit records", disabled=not pages_up, key="load.payfit_go"):
    with state.reported():
        report = workflow.load_payfit_files(ws, [(f.name, f.getvalue()) for f in pages_up], operator=state.operator())
        state.flash_report("Payfit records", report)
        st.rerun()

st.subheader("Equify accounts")
st.write("Upload an Equify accounts export (CSV or XLSX). It replaces the Equify space in the workspace.")
csv_up = st.file_uploader("Equify accounts (.csv, .xlsx)", type=["csv", "tsv", "txt", "xlsx", "xls"], key="load.equify")
if st.button("Load Equify accounts", disabled=csv_up is None, key="load.equify_go"):
    with state.reported():
        assert csv_up is not None  # the button is disabled without a file
        report = workflow.load_equify_file(ws, csv_up.getvalue(), csv_up.name, operator=state.operator())
        state.flash_report("Equify accounts", report)
        st.rerun()
