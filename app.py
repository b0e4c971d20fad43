"""Reconciliation workbench: Streamlit entry point (navigation only)."""

import streamlit as st

from ui import components, state

# The page icon is an emoji, which Streamlit draws in the page itself: a ":material/...:" icon
# would be fetched from fonts.gstatic.com, and the app makes no request outside 127.0.0.1.
st.set_page_config(page_title="Payfit → Equify reconciliation", page_icon="🔗", layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/load.py", title="Connect / Load", icon=":material/upload_file:", default=True),
        st.Page("pages/mapping.py", title="Mapping", icon=":material/swap_horiz:"),
        st.Page("pages/review.py", title="Review", icon=":material/rule:"),
        st.Page("pages/audit.py", title="Audit", icon=":material/analytics:"),
        st.Page("pages/sync.py", title="Sync", icon=":material/sync:"),
        st.Page("pages/history.py", title="History", icon=":material/history:"),
        st.Page("pages/accounts.py", title="Accounts", icon=":material/group:"),
    ]
)
# The page run holds the workspace file only while it runs: a command or a notebook can use the
# same workspace between two runs (ui.state.leased).
# Who is at work (asked in the sidebar, kept in the session) is recorded with every write.
with state.leased():
    components.operator_field()
    components.sidebar_status()
    navigation.run()
