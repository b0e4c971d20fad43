"""Review: the four sets (new, synced, conflict, excluded), ticking, exclusion, conflict resolution,
accepting likely matches, and the activity with undo."""

import streamlit as st

from reconcile import CATEGORIES, workflow
from ui import review, state
from ui.mapping import phone_notice

st.title("Review")
state.show_flash()
ws = state.workspace()
with state.reported():
    result = state.match_result(ws)
    rows = state.review_rows(ws)
    counts = result.counts()
    for col, category in zip(st.columns(4), CATEGORIES, strict=True):
        col.metric(category, counts[category])
    phone_notice(state.flagged_phones(ws), "review.phones")
    st.caption(
        "**new**: never synced (link to an existing account, or create) · **synced**: linked by an earlier sync · "
        "**conflict**: shares a name, email or ID with an account and needs a person · **excluded**: left out by choice"
    )
    # A radio with fixed options (not tabs, whose labels carry counts): the chosen set
    # stays chosen after an action changes the counts.
    category = st.radio("Set", CATEGORIES, horizontal=True, key=review.SET_KEY, format_func=str.capitalize)
    view = review.filters(rows)
    subset = workflow.filter_review(rows[rows["category"] == category], result, view).reset_index(drop=True)
    if len(subset) < counts[category]:
        st.caption(f"{len(subset)} of {counts[category]:d} records match the search and filters.")
    review.found_elsewhere(rows, result, view, category)
    shown = review.paged(subset, category)
    review.set_table(shown, category, counts[category])
    if category == "conflict":
        review.conflict_panel(ws, result, subset)  # the whole queue, all its pages
        review.accept_panel(ws, result)
    review.activity_panel(ws)
