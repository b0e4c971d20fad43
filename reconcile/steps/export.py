"""Export: every set, the plan and the audit as a workbook, CSVs or an HTML report (the Audit page's downloads; ``reconcile export``)."""

from __future__ import annotations

import logging

import pandas as pd

from ..models import CATEGORIES, MatchResult, MatchSettings
from ..store.workspace import Workspace
from .match import run_match
from .review import review_table
from .sync import plan_workspace

log = logging.getLogger(__name__)


def export_tables(
    ws: Workspace,
    *,
    truth: pd.DataFrame | None = None,
    threshold: float | None = None,
    settings: MatchSettings | None = None,
) -> dict[str, pd.DataFrame]:
    """Everything worth sharing, as tables: one per set (``new``, ``synced``, ``conflict``,
    ``excluded``: the review table's columns but the search text), ``plan`` (the dry run),
    and the audit: ``thresholds``, ``blocking``, and with a ``truth`` ``metrics``,
    ``confusion`` and ``disagreements``. ``settings``: the matching settings (default ones
    when ``None``)."""
    from .. import audit

    result = run_match(ws, settings)
    rows = review_table(ws, result).drop(columns="search")
    tables = {c: rows[rows["category"] == c].drop(columns="category").reset_index(drop=True) for c in CATEGORIES}
    tables["plan"] = plan_workspace(ws, result).to_frame()
    tables["thresholds"] = audit.threshold_sweep(result)
    tables["blocking"] = audit.blocking_recall(result, truth)
    if truth is not None:
        metrics = audit.evaluate(result, truth, threshold=threshold)
        tables["metrics"] = pd.DataFrame([{"links": k, **m.as_dict()} for k, m in metrics.items()])
        tables["confusion"] = audit.confusion(result, truth).reset_index(names="outcome")
        tables["disagreements"] = audit.disagreements(result, truth)
    return tables


#: The report's headline figure, saying what it counts.
EVIDENCE_LINKS = "links made by evidence (Payfit ID, matricule, email or a person's decision)"


def report_summary(result: MatchResult) -> dict[str, object]:
    """The report's headline figures, ints: first :data:`EVIDENCE_LINKS`, the links made by
    evidence (:func:`reconcile.audit.evidence_links`: an earlier sync's links and the conflicts
    not counted), then ``<set> records`` for each set (new, synced, conflict, excluded)."""
    from .. import audit

    summary: dict[str, object] = {EVIDENCE_LINKS: len(audit.evidence_links(result))}
    summary.update({f"{k} records": v for k, v in result.counts().items()})
    return summary


def export_report(
    ws: Workspace,
    *,
    truth: pd.DataFrame | None = None,
    threshold: float | None = None,
    settings: MatchSettings | None = None,
) -> str:
    """The self-contained HTML match-quality report (:func:`reconcile.export.html_report`):
    its headline (:func:`report_summary`: the links made by evidence, the counts per set), the
    audit tables, and the conflicts with their reasons."""
    from ..export import html_report

    tables = export_tables(ws, truth=truth, threshold=threshold, settings=settings)
    summary = report_summary(run_match(ws, settings))
    sections = {
        "Metrics": tables.get("metrics"),
        "Confusion": tables.get("confusion"),
        "Thresholds": tables["thresholds"],
        "Blocking": tables["blocking"],
        "Disagreements": tables.get("disagreements"),
        "Conflicts": tables["conflict"][["source_id", "name", "account", "score", "reason"]],
    }
    return html_report(
        {k: v for k, v in sections.items() if v is not None}, title="Payfit → Equify match quality", summary=summary
    )
