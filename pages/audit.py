"""Audit: how good the matches are: scores per set, thresholds, quality against a truth, one pair explained, blocking."""

import streamlit as st

from reconcile import audit
from ui import audit as audit_ui
from ui import state

st.title("Audit")
state.show_flash()
ws = state.workspace()
with state.reported():
    result = state.match_result(ws)
    st.subheader("Scores per set")
    audit_ui.score_chart(result)
    st.subheader("Thresholds")
    threshold = audit_ui.threshold_panel(result)
    st.subheader("Quality against a ground truth")
    truth = audit_ui.truth_picker(ws)
    if truth is not None:
        audit_ui.quality_panel(result, truth, threshold)
    st.subheader("Why this score")
    audit_ui.explain_panel(ws, result)
    st.subheader("Blocking")
    st.caption("Candidate pairs per blocking rule; with a truth, how many true pairs each rule found first.")
    st.dataframe(audit.blocking_recall(result, truth), hide_index=True)
    st.subheader("Export")
    st.caption(
        "Every set, the plan and the audit (with the truth's metrics when one is chosen). Cells that a spreadsheet "
        "would run as a formula are neutralised."
    )
    audit_ui.export_panel(ws, truth, threshold)
