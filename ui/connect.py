"""The Payfit API panel of the Connect / Load page: key, test, fetch with progress."""

from __future__ import annotations

import os

import streamlit as st

from reconcile import Workspace, workflow
from reconcile.payfit_api import API_URL, OAUTH_URL, PayfitClient

from . import state

KEY = "connect.key"
API_URL_KEY = "connect.api_url"
OAUTH_URL_KEY = "connect.oauth_url"


def server_key() -> str:
    """``$PAYFIT_API_KEY``, else ``[payfit] api_key`` in Streamlit secrets, else empty.

    It stays on the server: the page never puts it in a widget, which would send it to the browser.
    """
    key = os.environ.get("PAYFIT_API_KEY", "")
    if key:
        return key
    try:
        return str(st.secrets.get("payfit", {}).get("api_key", ""))
    except Exception:  # no secrets file at all: Streamlit raises its own error type
        return ""


def panel(ws: Workspace) -> None:
    """Key in a password field, "Test connection" and "Fetch and load"."""
    st.write(
        "A company admin creates a **customer API key** in Payfit with the scopes `collaborators:read` "
        "(required) and `contracts:read` (job titles). The key is used for this session only: it is never "
        "written to the workspace, a log or an export."
    )
    preset = server_key()
    typed = st.text_input(
        "Payfit API key",
        type="password",
        key=KEY,
        placeholder="Using the key set on the server; type one to use another" if preset else "",
    )
    key = typed.strip() or preset
    with st.expander("API address (change it only for a Payfit-compatible test server)"):
        api_url = st.text_input("API URL", value=os.environ.get("PAYFIT_API_URL", API_URL), key=API_URL_KEY)
        oauth_url = st.text_input("OAuth URL", value=os.environ.get("PAYFIT_OAUTH_URL", OAUTH_URL), key=OAUTH_URL_KEY)
    test_col, fetch_col = st.columns(2)
    if test_col.button("Test connection", disabled=not key, key="connect.test"):
        with (
            st.spinner("Asking Payfit…"),
            state.reported(),
            PayfitClient(key, api_url=api_url, oauth_url=oauth_url) as client,
        ):
            found = workflow.check_payfit_connection(client)
            st.success(f"Connected to company `{found.company_id}` with scopes: {', '.join(found.scopes) or 'none'}.")
            if found.missing:
                st.warning(
                    f"Scopes not granted: {', '.join(found.missing)}. "
                    "Their fields will be empty (collaborators:read is required to fetch at all)."
                )
    if fetch_col.button("Fetch and load", type="primary", disabled=not key, key="connect.fetch"):
        bar = st.progress(0.0, text="Asking Payfit for the company…")

        def progress(done: int, total: int | None) -> None:
            # Payfit gives no total while paging: the bar moves towards 90 % until the end.
            bar.progress(1.0 if total else min(0.9, done / (done + 200)), text=f"{done} collaborators received")

        with state.reported(), PayfitClient(key, api_url=api_url, oauth_url=oauth_url) as client:
            report = workflow.fetch_payfit(ws, client, progress=progress)
            state.flash_report("Payfit collaborators from the API", report)
            st.rerun()
