"""Reconciliation workbench: Streamlit entry point (navigation only)."""

import streamlit as st

from ui import components

st.set_page_config(page_title="Payfit → Equify reconciliation", page_icon="🔗", layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/load.py", title="Connect / Load", icon="📥", default=True),
        st.Page("pages/mapping.py", title="Mapping", icon="🧭"),
        st.Page("pages/review.py", title="Review", icon="🔍"),
        st.Page("pages/sync.py", title="Sync", icon="🔄"),
        st.Page("pages/accounts.py", title="Accounts", icon="👥"),
    ]
)
components.sidebar_status()
navigation.run()
