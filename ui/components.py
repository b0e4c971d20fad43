"""Small UI components; each owns its session-state key (a module constant)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reconcile import ReconcileError
from reconcile.operator import clean_operator

from . import state
from .text import md

#: The page address's parameter that keeps the name typed in the sidebar across a reload.
NAME_PARAM = "by"


def operator_field() -> None:
    """Who is at work, asked once per browser session: a name field in the sidebar (key
    :data:`ui.state.OPERATOR_KEY`), prefilled with the OS user running the app
    (``$RECONCILE_OPERATOR`` first, ``unknown`` when the system cannot tell) and kept in the
    session. Every decision, edit, approval, mapping change, load and push the session makes
    records it (:func:`ui.state.operator`); the Review page's activity and the History page show it."""
    if state.OPERATOR_KEY not in st.session_state:  # a new session: a reload keeps the name (address)
        st.session_state[state.OPERATOR_KEY] = clean_operator(st.query_params.get(NAME_PARAM)) or state.operator()
    with st.sidebar:
        st.text_input(
            "Your name",
            key=state.OPERATOR_KEY,
            max_chars=100,
            help="Recorded with everything you do here (decisions, edits, approvals, pushes), "
            "shown in the activity and the history.",
        )
        typed = clean_operator(st.session_state.get(state.OPERATOR_KEY))
        if typed:
            st.query_params[NAME_PARAM] = typed  # the page's address carries it, so a reload keeps it
        else:
            st.query_params.pop(NAME_PARAM, None)
            st.caption(f"No name given: recorded as {md(state.operator())}")


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


def blank_empty(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every empty cell of its text columns blank: a table shows ``""``, never
    ``None`` or ``nan``, for a value nobody gave (a copy; other columns unchanged)."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].where(out[column].notna(), "")
    return out
