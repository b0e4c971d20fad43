"""Review: the four sets (new, synced, conflict, excluded), ticking, exclusion and conflict resolution."""

import streamlit as st

from reconcile import CATEGORIES
from ui import review, state

st.title("Review")
state.show_flash()
ws = state.workspace()
with state.reported():
    result = state.match_result(ws)
    rows = state.review_rows(ws)
    counts = result.counts()
    st.caption(
        "**new**: never synced (link to an existing account, or create) · **synced**: linked by an earlier sync · "
        "**conflict**: shares a name, email or ID with an account and needs a person · **excluded**: left out by choice"
    )
    tabs = st.tabs([f"{c} ({counts[c]})" for c in CATEGORIES])
    for tab, category in zip(tabs, CATEGORIES, strict=True):
        with tab:
            subset = rows[rows["category"] == category].reset_index(drop=True)
            review.set_table(subset, category)
            if category == "conflict":
                review.conflict_panel(ws, result, subset)
