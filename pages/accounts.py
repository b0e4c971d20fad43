"""Accounts: the Equify space after the sync, marking which accounts are linked to Payfit."""

import streamlit as st

from reconcile import workflow
from ui import state

st.title("Accounts")
state.show_flash()
ws = state.workspace()
with state.reported():
    accounts = workflow.accounts_table(ws)
    linked = int(accounts["linked_to_payfit"].sum())
    c1, c2, c3 = st.columns(3)
    c1.metric("Equify accounts", len(accounts))
    c2.metric("Linked to Payfit", linked)
    c3.metric("Created by a sync", int((accounts["origin"] == "payfit_sync").sum()))
    only = st.radio("Show", ["all", "linked to Payfit", "not linked"], horizontal=True, key="accounts.show")
    if only == "linked to Payfit":
        accounts = accounts[accounts["linked_to_payfit"]]
    elif only == "not linked":
        accounts = accounts[~accounts["linked_to_payfit"]]
    st.dataframe(accounts, hide_index=True)
