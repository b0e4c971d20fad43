"""Rich display in Jupyter: the HTML behind ``_repr_html_`` of :class:`~reconcile.models.MatchResult`,
:class:`~reconcile.sync.plan.Plan`, :class:`~reconcile.store.workspace.Workspace`,
:class:`~reconcile.sync.push.PushResult` and :class:`~reconcile.audit.Metrics`.

Every value that comes from the data (names, reasons, ids, paths) is escaped (:func:`html.escape`):
a name such as ``<script>`` shows as text. Each function returns one ``<div>`` of plain HTML (a
caption, a small table), readable in Jupyter, VS Code and an exported notebook, with no script and
no request anywhere.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["counts_table", "frame_table", "match_result_html", "metrics_html", "plan_html", "push_result_html"]

#: The sets of a match, in the order the app shows them.
SETS = ("new", "synced", "conflict", "excluded")
_STYLE = "border-collapse:collapse;margin:0.3em 0"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"


def _text(value: Any) -> str:
    """A cell's text, escaped: blank for a missing value, numbers as written."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return html.escape(str(value))


def counts_table(counts: Mapping[str, Any], caption: str) -> str:
    """A one-row table of ``counts`` (keys as headers) under an escaped ``caption``."""
    head = "".join(f'<th style="{_CELL}">{_text(k)}</th>' for k in counts)
    row = "".join(f'<td style="{_CELL}">{_text(v)}</td>' for v in counts.values())
    return (
        f'<table style="{_STYLE}"><caption style="text-align:left;font-weight:bold">{html.escape(caption)}</caption>'
        f"<tr>{head}</tr><tr>{row}</tr></table>"
    )


def frame_table(frame: pd.DataFrame, caption: str, columns: Iterable[str] | None = None, rows: int = 10) -> str:
    """The first ``rows`` rows of ``frame`` (only ``columns`` when given) as an escaped HTML table,
    with "and N more" when there are more."""
    shown = frame[list(columns)] if columns is not None else frame
    head = "".join(f'<th style="{_CELL}">{_text(c)}</th>' for c in shown.columns)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{_text(v)}</td>' for v in values) + "</tr>"
        for values in shown.head(rows).itertuples(index=False, name=None)
    )
    more = f"<p>… and {len(frame) - rows} more</p>" if len(frame) > rows else ""
    return (
        f'<table style="{_STYLE}"><caption style="text-align:left;font-weight:bold">{html.escape(caption)}</caption>'
        f"<tr>{head}</tr>{body}</table>{more}"
    )


def match_result_html(records: pd.DataFrame, links: int, rows: int = 10) -> str:
    """A match's counts per set, its automatic links, and its first ``rows`` conflicts with their
    reasons. ``records``: ``MatchResult.records`` (columns ``source_id``, ``category``,
    ``target_id``, ``score``, ``reason``)."""
    counts = records["category"].value_counts()
    parts = [
        counts_table(
            {s: int(counts.get(s, 0)) for s in SETS}, f"Match: {len(records)} records, {links} automatic links"
        )
    ]
    conflicts = records[records["category"] == "conflict"]
    if len(conflicts):
        parts.append(frame_table(conflicts, "Conflicts", ["source_id", "target_id", "score", "reason"], rows))
    return "<div>" + "".join(parts) + "</div>"


def plan_html(totals: Mapping[str, int], operations: pd.DataFrame, rows: int = 10) -> str:
    """A plan's totals per operation and its first ``rows`` operations that send something.
    ``operations``: ``Plan.to_frame()`` (columns ``source_id``, ``name``, ``op``, ``changes``, ...)."""
    sending = operations[operations["op"].isin(["create", "link", "update"])] if "op" in operations else operations
    columns = [c for c in ("source_id", "name", "op", "target_id", "changes") if c in operations.columns]
    return (
        "<div>"
        + counts_table(dict(totals), "Plan (a dry run: nothing is sent)")
        + (frame_table(sending, "What a push would send", columns, rows) if len(sending) else "")
        + "</div>"
    )


def push_result_html(summary: Mapping[str, Any], run_id: str | None, dry_run: bool, seconds: float) -> str:
    """A push's counts, its run id (``dry run`` when nothing was sent) and its duration."""
    title = "Dry run (nothing sent)" if dry_run else f"Push run {run_id or ''} in {seconds:.1f} s"
    return "<div>" + counts_table(dict(summary), title) + "</div>"


def metrics_html(values: Mapping[str, Any], caption: str = "Quality against the truth") -> str:
    """Precision, recall and F1 (and the pair counts) as one table."""
    return "<div>" + counts_table(dict(values), caption) + "</div>"
