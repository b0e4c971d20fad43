"""The one place for Streamlit caching and session state.

* :func:`workspace` - the workspace connection (``st.cache_resource``), opened at
  ``$RECONCILE_WORKSPACE`` or ``workspace.duckdb`` in the current directory; an empty workspace gets
  the demo company on first open.
* :func:`match_result`, :func:`review_rows`, :func:`plan` - pure results cached
  with ``st.cache_resource`` (read-only, never copied) keyed by the workspace file's id
  and revision, so a rerun recomputes nothing unless the workspace changed.
* :func:`flash` / :func:`show_flash` - messages that survive the rerun after an action.
* :func:`reported` - shows library errors as ``st.error``, and any other error as a short
  message (its traceback goes to the server's log, never to the browser).
* :func:`operator` - who this browser session is (the name typed in the sidebar, kept in
  ``st.session_state``): every write the app makes records it. :func:`leased` makes it the
  library's default operator (:data:`reconcile.operator.current`) for the whole page run, and
  :func:`workspace` does too for a widget callback (which Streamlit runs before the page), so no
  write call needs to pass it; a push's worker thread takes it when the run starts.

Every message shown here goes through :func:`ui.text.md`: names and file names in it are text.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from reconcile import FieldMapping, MatchResult, ReconcileError, Workspace, workflow
from reconcile.exceptions import WorkspaceBusy
from reconcile.operator import clean_operator, process_operator
from reconcile.operator import current as current_operator
from reconcile.store.workspace import workspace_path
from reconcile.sync.plan import Plan

from .text import md

LOG = logging.getLogger(__name__)
FLASH_KEY = "flash.messages"
#: Who this browser session is: the sidebar's name field (:func:`operator`).
OPERATOR_KEY = "operator.name"
#: The messages the last page run showed (:func:`show_flash`), for :func:`rerun_keeping_flash`.
SHOWN_KEY = "flash.shown"


@st.cache_resource(show_spinner=False)
def _open_seeded(path: str) -> dict[str, Any]:
    """``{"ws": Workspace, "seeded": bool}``; ``seeded`` is cleared once a session has said so."""
    ws = Workspace.open(path)
    seeded = ws.is_empty() and os.environ.get("RECONCILE_NO_DEMO") != "1"
    if seeded:
        workflow.load_demo(ws)  # by the operator of the first session's run (reconcile.operator.current)
    return {"ws": ws, "seeded": seeded}


def _open(path: str) -> Workspace:
    return _open_seeded(path)["ws"]


def operator() -> str:
    """Who this browser session is: the name typed in the sidebar (:data:`OPERATOR_KEY`), else
    the process's operator (``$RECONCILE_OPERATOR``, else the OS user, else ``unknown``:
    :func:`reconcile.operator.process_operator`, also what the field is prefilled with)."""
    return clean_operator(st.session_state.get(OPERATOR_KEY)) or process_operator()


def _in_a_run() -> bool:
    """True in a script run of a session (a page, a callback, a fragment); false elsewhere (a
    test's own thread, a worker)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


def act_as_session() -> None:
    """Make this session's :func:`operator` the library's default operator in this script thread
    (:data:`reconcile.operator.current`): widget callbacks run before the page and its
    :func:`leased`, so :func:`workspace` calls this for them. The thread runs this session's
    scripts only, and the name is set again from the session on each call."""
    if _in_a_run():
        current_operator.set(operator())


def workspace() -> Workspace:
    """The app's workspace (one connection per file, shared by every session).

    An empty workspace is filled with the demo company on first open (unless
    ``RECONCILE_NO_DEMO=1``), and the first session is told so. When the
    workspace cannot be opened the page shows why and stops. In a script run, this session's
    :func:`operator` becomes the default operator of the writes that follow (:func:`act_as_session`).
    """
    act_as_session()
    try:
        opened = _open_seeded(str(workspace_path()))
    except ReconcileError as exc:
        st.error(md(exc))
        st.stop()
    if opened["seeded"]:
        opened["seeded"] = False
        flash("info", "The workspace was empty: it now holds the demo company (fictitious people).")
    return opened["ws"]


@contextmanager
def leased() -> Iterator[None]:
    """Hold the workspace file open for this page run only (:meth:`Workspace.lease` with
    ``release_when_idle``): between runs the file is closed, so a command or a notebook can work
    on the same workspace. When another process holds it now, the page says so, offers *Try
    again*, and stops (nothing is lost). For the run, this session's :func:`operator` is the
    library's default operator (:data:`reconcile.operator.current`): every write the page makes
    records it."""
    token = current_operator.set(operator())
    try:
        ws = workspace()
        ws.release_when_idle = True
        try:
            with ws.lease():
                yield
        except WorkspaceBusy as exc:
            st.warning(md(exc))
            st.button("Try again", key="workspace.busy.retry")
            st.stop()
    finally:
        current_operator.reset(token)


def _match(ws: Workspace) -> MatchResult:
    """The workspace's match as it is now: kept by the workspace itself (``ws.cache``, per
    revision: the one match cache), so it is not cached again here."""
    if workflow.match_is_kept(ws):
        return workflow.run_match(ws)
    with st.spinner("Matching…"):
        return workflow.run_match(ws)


# View-models are kept with st.cache_resource, not st.cache_data: at 100,000 records copying
# one out of the cache on every rerun costs seconds. Callers only read them.


def _version(ws: Workspace) -> str:
    """The cache key of the workspace's contents: its file's random id and its revision."""
    return f"{ws.identity}.{ws.revision}"


def match_result(ws: Workspace) -> MatchResult:
    """The match result for the workspace as it is now (cached by revision)."""
    return _match(ws)


@st.cache_resource(show_spinner=False, max_entries=4)
def _review_rows(path: str, revision: str) -> pd.DataFrame:
    ws = _open(path)
    return workflow.review_table(ws, _match(ws))


def review_rows(ws: Workspace) -> pd.DataFrame:
    """:func:`reconcile.workflow.review_table` for the workspace as it is now (cached)."""
    return _review_rows(ws.path, _version(ws))


@st.cache_resource(show_spinner=False, max_entries=8)
def _likely(path: str, revision: str, threshold: float) -> pd.DataFrame:
    ws = _open(path)
    return workflow.likely_matches(ws, _match(ws), threshold)


def likely_matches(ws: Workspace, threshold: float) -> pd.DataFrame:
    """:func:`reconcile.workflow.likely_matches` for the workspace as it is now (cached)."""
    return _likely(ws.path, _version(ws), float(threshold))


@st.cache_resource(show_spinner="Planning…", max_entries=4)
def _plan(path: str, revision: str) -> Plan:
    ws = _open(path)
    return workflow.plan_workspace(ws, _match(ws))


def plan(ws: Workspace) -> Plan:
    """The push plan for the workspace as it is now (cached)."""
    return _plan(ws.path, _version(ws))


@st.cache_resource(show_spinner=False, max_entries=4)
def _phones(path: str, revision: str) -> dict | None:
    return workflow.phone_summary(_open(path))


def phone_summary(ws: Workspace) -> dict | None:
    """:func:`reconcile.workflow.phone_summary`, computed once per Payfit records, mapping and
    relation (decisions and account edits leave it)."""
    key = f"{ws.identity}.{ws.table_version('payfit_records')}.{ws.mapping()!r}.{ws.relation()!r}"
    return _phones(str(ws.path), key)


@st.cache_resource(show_spinner=False, max_entries=4)
def _flagged_phones(path: str, key: str, column: str | None) -> pd.DataFrame:
    from reconcile.matching.values import flagged_phones as flagged

    return flagged(workflow.scoped_source(_open(path)), column or "")


def flagged_phones(ws: Workspace, mapping: FieldMapping | None = None) -> pd.DataFrame:
    """:func:`reconcile.matching.values.flagged_phones` of the in-scope records' mapped phone column
    (``mapping``, default the stored one): the people whose phone is not sent in E.164. Cached
    per Payfit records, relation and phone column."""
    column = (ws.mapping() if mapping is None else mapping).mapped().get("phoneNumber")
    key = f"{ws.identity}.{ws.table_version('payfit_records')}.{ws.relation()!r}"
    return _flagged_phones(str(ws.path), key, column)


def flash(kind: str, message: str) -> None:
    """Queue a message (``success``, ``info``, ``warning``, ``error``) for the next run of any page."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def flash_report(what: str, report: workflow.LoadReport) -> None:
    """Queue the outcome of a load: the row count, then each warning."""
    flash("success", f"Loaded {report.rows} {what}.")
    for warning in report.warnings:
        flash("warning", warning)


def show_flash() -> None:
    """Show and clear the queued messages (as text: :func:`ui.text.md`)."""
    shown = st.session_state.pop(FLASH_KEY, [])
    st.session_state[SHOWN_KEY] = list(shown)
    for kind, message in shown:
        getattr(st, kind)(md(message))


def rerun_keeping_flash() -> None:
    """Run the page again from its top (``st.rerun``) with the messages its last run showed
    queued again: a rerun the page asks for itself never hides what the person was told (a
    push that ends while the page is drawn)."""
    for kind, message in st.session_state.pop(SHOWN_KEY, []):
        flash(kind, message)
    st.rerun()


UNEXPECTED = (
    "Something went wrong on the server ({reference}); nothing more was done. The details are in the server's log."
)


@contextmanager
def reported() -> Iterator[None]:
    """Show a :class:`ReconcileError` raised inside the block as ``st.error`` (its text as
    text, :func:`ui.text.md`) instead of a traceback. Any other exception is logged on the
    server with its traceback and a reference, and the page shows only :data:`UNEXPECTED`
    with that reference. Streamlit's rerun and stop pass through (they are not ``Exception``)."""
    try:
        yield
    except ReconcileError as exc:
        st.error(md(exc))
    except Exception as exc:
        reference = f"error {uuid.uuid4().hex[:8]}"
        LOG.exception("unexpected %s (%s)", type(exc).__name__, reference)
        st.error(md(UNEXPECTED.format(reference=reference)))


def moves_message(moves: list) -> str:
    """Words for who moved to which set after an action."""
    if not moves:
        return "No one changed set."
    shown = "; ".join(f"{m.name}: {m.before} → {m.after}" for m in moves[:10])
    more = f" (and {len(moves) - 10} more)" if len(moves) > 10 else ""
    return f"{len(moves)} record(s) changed set: {shown}{more}"
