"""Small UI components; each owns its session-state key (a module constant)."""

from __future__ import annotations

import streamlit as st

from reconcile import ReconcileError

from . import state
from .text import md


def sidebar_status() -> None:
    """Workspace path and the counts that matter from every page (unresolved conflicts, phone warnings)."""
    with st.sidebar:
        try:
            ws = state.workspace()
            result = state.match_result(ws)
        except ReconcileError as exc:
            st.error(md(exc))
            return
        counts = result.counts()
        st.caption(f"Workspace: {md(ws.path)}")
        if counts["conflict"]:
            st.warning(f"{counts['conflict']:d} unresolved conflict(s)")
        else:
            st.success("No unresolved conflicts")
        phones = state.phone_summary(ws)
        if phones and (phones["unreadable"] or phones["ambiguous"]):
            st.warning(
                f"Phones: {len(phones['unreadable'])} unreadable, {phones['ambiguous']:d} maybe from another country "
                "(see Mapping)"
            )
