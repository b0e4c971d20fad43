"""Accounts: the Equify space after the sync, marking which accounts are linked to Payfit; a
search (name, email, account id) and filters (linked, created by the last push, not linked)."""

import streamlit as st

from reconcile import workflow
from reconcile.steps.accounts import ACCOUNT_FILTERS, account_counts, filter_accounts
from ui import state
from ui.components import blank_empty
from ui.text import md

st.title("Accounts")
state.show_flash()
ws = state.workspace()
with state.reported():
    accounts = workflow.accounts_table(ws)
    everyone = account_counts(accounts)
    c1, c2, c3 = st.columns(3)
    c1.metric("Equify accounts", everyone["all"])
    c2.metric("Linked to Payfit", everyone["linked"])
    c3.metric("Created by a sync", int((accounts["origin"] == "payfit_sync").sum()))
    search = st.text_input("Search", key="accounts.search", placeholder="name, email, account id…")
    found = filter_accounts(accounts, search=search)
    counts = account_counts(found)  # each filter's count among the accounts the search finds
    # The labels carry counts that change with the search, and a radio whose labels change starts
    # over: the choice is kept apart and given back, so a search never drops the filter.
    if st.session_state.get("accounts.show.kept") in ACCOUNT_FILTERS:
        st.session_state["accounts.show"] = st.session_state["accounts.show.kept"]
    show = st.radio(
        "Show",
        list(ACCOUNT_FILTERS),
        format_func=lambda k: md(f"{ACCOUNT_FILTERS[k]} ({counts[k]})"),
        horizontal=True,
        key="accounts.show",
        on_change=lambda: st.session_state.update({"accounts.show.kept": st.session_state["accounts.show"]}),
    )
    shown = filter_accounts(found, show=show)
    if len(shown) < len(accounts):
        st.caption(f"{len(shown):d} of {len(accounts):d} accounts match the search and filter.")
    if accounts.empty:
        st.info("No Equify account loaded yet.")
    elif shown.empty:
        st.info("No account matches the search and filter.")
    else:
        st.dataframe(blank_empty(shown), hide_index=True)
