"""Audit components: charts of scores and thresholds, quality against a truth, a pair's score explained."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reconcile import MatchResult, ReconcileError, Workspace, audit, charts
from reconcile.audit import Metrics

from . import state
from .text import md

TRUTH_KEY = "audit.truth"


def score_chart(result: MatchResult) -> None:
    """A histogram of the records' scores, one colour per set."""
    dist = audit.score_distribution(result)
    if dist.empty:
        st.caption("No record has a score yet.")
        return
    st.altair_chart(charts.score_chart(result), width="stretch")


def threshold_panel(result: MatchResult) -> float:
    """The threshold control (key ``audit.threshold``) with what it would do, live, and the
    sweep over every threshold as a chart; returns the threshold chosen."""
    threshold = st.slider(
        "Accept likely matches scoring at least",
        50,
        100,
        int(result.settings.proposal_threshold),
        key="audit.threshold",
    )
    now = audit.threshold_sweep(result, [threshold]).iloc[0]
    c1, c2, c3 = st.columns(3)
    c1.metric("Linked automatically (evidence)", int(now["auto_links"]))
    c2.metric("Likely matches accepted", int(now["accepted"]))
    c3.metric("Left for review", int(now["review"]))
    st.altair_chart(charts.threshold_chart(result, threshold), width="stretch")
    return float(threshold)


def truth_picker(ws: Workspace) -> pd.DataFrame | None:
    """The ground truth: an uploaded two-column file, or the decisions people took (key
    ``audit.truth``); ``None`` without one."""
    kind = st.radio("Ground truth", ["none", "the decisions taken", "a file"], horizontal=True, key=f"{TRUTH_KEY}.kind")
    if kind == "the decisions taken":
        truth = audit.truth_from_decisions(ws.decisions())
        if truth.empty:
            st.caption("No link or create decision yet: take some on the Review page, or upload a truth file.")
            return None
        return truth
    if kind == "a file":
        upload = st.file_uploader(
            "CSV or XLSX with columns source_id and target_id (empty target_id: no account)",
            type=["csv", "xlsx"],
            key=f"{TRUTH_KEY}.file",
        )
        if upload is None:
            return None
        try:
            return audit.read_truth(upload.getvalue(), name=upload.name)
        except ReconcileError as exc:
            st.error(md(exc))
            return None
    return None


def _metrics(label: str, m: Metrics) -> None:
    st.markdown(f"**{md(label)}**")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Precision", f"{m.precision:.3f}")
    c2.metric("Recall", f"{m.recall:.3f}")
    c3.metric("F1", f"{m.f1:.3f}")
    c4.metric("Wrong links", m.fp)


def quality_panel(result: MatchResult, truth: pd.DataFrame, threshold: float) -> None:
    """Precision, recall and F1 of the automatic links, of the proposals and, apart, of the
    links people decided; the confusion table and the disagreements to inspect."""
    metrics = audit.evaluate(result, truth, threshold=threshold)
    if truth.attrs.get("partial", False):
        st.caption("The decisions are a partial truth: records nobody decided on are not judged.")
    else:
        st.caption("A record absent from the truth file has no account: any link of it counts as a wrong link.")
    _metrics("Automatic links", metrics["auto"])
    _metrics(f"Automatic links + likely matches from {threshold:g}", metrics["proposed"])
    _metrics("Links people decided", metrics["decisions"])
    st.markdown("**Confusion** (records the truth speaks for)")
    st.dataframe(audit.confusion(result, truth))
    odd = audit.disagreements(result, truth)
    st.markdown(f"**Disagreements to inspect** ({len(odd)})")
    st.dataframe(odd, hide_index=True)


def explain_panel(ws: Workspace, result: MatchResult) -> None:
    """Pick a record and one of its candidates by name (typing a name filters the list): what
    each field added to the pair's score."""
    cands = result.candidates
    if cands.empty:
        st.caption("No candidate pair.")
        return
    sources = list(dict.fromkeys(cands["source_id"].tolist()))
    people = state.review_rows(ws).set_index("source_id")
    people = people[~people.index.duplicated()]

    def person(sid: str) -> str:  # a name first, the email or team to tell namesakes apart, the id last
        if sid not in people.index:
            return sid
        row = people.loc[sid]
        return " · ".join(str(v) for v in (row["name"], row["email"] or row["team"], sid) if v)

    sid = st.selectbox("Payfit record", sources, format_func=person, key="audit.explain.source")
    theirs = cands[cands["source_id"] == sid]
    accounts = ws.equify_accounts(theirs["target_id"]).drop_duplicates("id").set_index("id")

    def account(tid: str) -> str:
        if tid not in accounts.index:
            return tid
        a = accounts.loc[tid]
        name = " ".join(str(v) for v in (a["firstName"], a["lastName"]) if isinstance(v, str) and v) or "(no name)"
        return " · ".join(str(v) for v in (name, a["email"], tid) if isinstance(v, str) and v)

    tid = st.selectbox(
        "Candidate account", theirs["target_id"].tolist(), format_func=account, key=f"audit.explain.target.{sid}"
    )
    score = float(theirs.loc[theirs["target_id"] == tid, "score"].iloc[0])
    st.caption(f"Score {score:g} = the sum of the points, clipped to 0-100.")
    st.altair_chart(charts.points_chart(result, sid, tid), width="stretch")


def export_panel(ws: Workspace, truth: pd.DataFrame | None, threshold: float) -> None:
    """Downloads: every table in one XLSX workbook, and the self-contained HTML report. Built
    only when asked (key ``audit.export``): a workbook of 100,000 rows takes seconds."""
    import tempfile
    from pathlib import Path

    from reconcile import workflow
    from reconcile.export import write_tables

    if not st.toggle("Prepare the files", key="audit.export"):
        return
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "match-quality.xlsx"
        write_tables(workflow.export_tables(ws, truth=truth, threshold=threshold), book)
        data = book.read_bytes()
    c1, c2 = st.columns(2)
    c1.download_button(
        "Workbook (XLSX): sets, plan, audit",
        data,
        file_name="match-quality.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="audit.export.xlsx",
    )
    c2.download_button(
        "Match-quality report (HTML)",
        workflow.export_report(ws, truth=truth, threshold=threshold).encode("utf-8"),
        file_name="match-quality.html",
        mime="text/html",
        key="audit.export.html",
    )
