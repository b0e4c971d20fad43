"""The Payfit API panel of the Connect / Load page: key, test, fetch with progress."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import streamlit as st

from reconcile import Workspace, workflow
from reconcile.sources.payfit_api import API_URL, OAUTH_URL, PayfitClient

from . import state
from .text import md

KEY = "connect.key"
API_URL_KEY = "connect.api_url"
OAUTH_URL_KEY = "connect.oauth_url"


def _secret(name: str) -> str:
    """``[payfit] <name>`` in Streamlit secrets, else empty."""
    try:
        return str(st.secrets.get("payfit", {}).get(name, "") or "")
    except Exception:  # no secrets file at all: Streamlit raises its own error type
        return ""


def server_key() -> str:
    """``$PAYFIT_API_KEY``, else ``[payfit] api_key`` in Streamlit secrets, else empty.

    It stays on the server: the page never puts it in a widget, which would send it to the
    browser, and it is only ever sent to the configured Payfit addresses (:func:`configured_urls`).
    """
    return os.environ.get("PAYFIT_API_KEY", "") or _secret("api_key")


def configured_urls() -> tuple[str, str]:
    """The Payfit ``(API URL, OAuth URL)`` the server is configured with: ``$PAYFIT_API_URL`` /
    ``$PAYFIT_OAUTH_URL``, else ``[payfit] api_url`` / ``oauth_url`` in secrets, else Payfit's own."""
    return (
        os.environ.get("PAYFIT_API_URL") or _secret("api_url") or API_URL,
        os.environ.get("PAYFIT_OAUTH_URL") or _secret("oauth_url") or OAUTH_URL,
    )


def _same_address(a: str, b: str) -> bool:
    """Two base URLs are the same address (case of scheme and host, and a final ``/``, aside)."""
    pa, pb = urlsplit(a.strip().rstrip("/")), urlsplit(b.strip().rstrip("/"))
    return (pa.scheme.lower(), pa.netloc.lower(), pa.path) == (pb.scheme.lower(), pb.netloc.lower(), pb.path)


def key_for(typed: str, api_url: str, oauth_url: str) -> str:
    """The key to send to ``api_url`` / ``oauth_url``: the one typed in this session, else the
    server's key (:func:`server_key`) but only when both addresses are the configured ones
    (:func:`configured_urls`); else empty: a key the person did not type never goes to an
    address the person typed."""
    if typed.strip():
        return typed.strip()
    configured_api, configured_oauth = configured_urls()
    if _same_address(api_url, configured_api) and _same_address(oauth_url, configured_oauth):
        return server_key()
    return ""


def _address_changed() -> None:
    """on_change of the address fields: a key typed for the old address is asked for again."""
    st.session_state[KEY] = ""
    st.session_state[CHANGED_KEY] = True


CHANGED_KEY = "connect.address_changed"


def panel(ws: Workspace) -> None:
    """Key in a password field, "Test connection" and "Fetch and load".

    The key goes only where it is meant for: a key typed here goes to the addresses shown,
    and is cleared when an address changes; the server's key goes only to the configured
    Payfit addresses (:func:`key_for`)."""
    st.write(
        "A company admin creates a **customer API key** in Payfit with the scopes `collaborators:read` "
        "(required) and `contracts:read` (job titles). The key is used for this session only: it is never "
        "written to the workspace, a log or an export."
    )
    preset = server_key()
    configured_api, configured_oauth = configured_urls()
    typed = st.text_input(
        "Payfit API key",
        type="password",
        key=KEY,
        placeholder="Using the key set on the server; type one to use another" if preset else "",
    )
    with st.expander("API address (change it only for a Payfit-compatible test server)"):
        api_url = st.text_input("API URL", value=configured_api, key=API_URL_KEY, on_change=_address_changed)
        oauth_url = st.text_input("OAuth URL", value=configured_oauth, key=OAUTH_URL_KEY, on_change=_address_changed)
        if st.session_state.get(CHANGED_KEY) and not typed.strip():
            st.caption("The address changed: type the key to use with it.")
    key = key_for(typed, api_url, oauth_url)
    if preset and not key:
        st.info(
            f"The key set on the server is only sent to the configured Payfit address: type a key to use {md(api_url)}."
        )
    test_col, fetch_col = st.columns(2)
    if test_col.button("Test connection", disabled=not key, key="connect.test"):
        with (
            st.spinner("Asking Payfit…"),
            state.reported(),
            PayfitClient(key, api_url=api_url, oauth_url=oauth_url) as client,
        ):
            found = workflow.check_payfit_connection(client)
            st.success(
                f"Connected to company {md(found.company_id)} with scopes: {md(', '.join(found.scopes) or 'none')}."
            )
            if found.missing:
                st.warning(
                    f"Scopes not granted: {md(', '.join(found.missing))}. "
                    "Their fields will be empty (collaborators:read is required to fetch at all)."
                )
    if fetch_col.button("Fetch and load", type="primary", disabled=not key, key="connect.fetch"):
        bar = st.progress(0.0, text="Asking Payfit for the company…")

        def progress(done: int, total: int | None) -> None:
            # Payfit gives no total while paging: the bar moves towards 90 % until the end.
            bar.progress(1.0 if total else min(0.9, done / (done + 200)), text=f"{done:d} collaborators received")

        with state.reported(), PayfitClient(key, api_url=api_url, oauth_url=oauth_url) as client:
            report = workflow.fetch_payfit(ws, client, progress=progress, operator=state.operator())
            state.flash_report("Payfit collaborators from the API", report)
            st.rerun()
