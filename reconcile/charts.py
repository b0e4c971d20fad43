"""The audit's charts as Altair charts, for the app's Audit page and for notebooks alike (one home:
``ui/audit.py`` only places them on the page).

Altair is imported when a chart is asked for (``pip install altair``: the ``app`` and ``notebook``
extras); the data behind each chart comes from :mod:`reconcile.audit`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import audit
from .models import MatchResult

__all__ = ["points_chart", "quality_chart", "quality_sweep", "score_chart", "threshold_chart"]


def _alt() -> Any:
    import altair as alt

    return alt


def score_chart(result: MatchResult) -> Any:
    """A histogram of the records' scores (:func:`reconcile.audit.score_distribution`), bins of 5
    points, one colour per set."""
    alt = _alt()
    return (
        alt.Chart(audit.score_distribution(result))
        .mark_bar(opacity=0.8)
        .encode(
            x=alt.X("score:Q", bin=alt.Bin(step=5), title="Score"),
            y=alt.Y("count():Q", title="Records", stack=True),
            color=alt.Color("set:N", title="Set"),
            tooltip=["set:N", "count():Q"],
        )
    )


def threshold_chart(result: MatchResult, threshold: float | None = None) -> Any:
    """The threshold sweep (:func:`reconcile.audit.threshold_sweep`): how many name conflicts
    *accept all likely matches* would link, and how many stay for review, at each threshold; a
    dashed rule at ``threshold`` (default: the settings' ``proposal_threshold``)."""
    alt = _alt()
    chosen = result.settings.proposal_threshold if threshold is None else threshold
    long = audit.threshold_sweep(result).melt(
        "threshold", ["accepted", "review"], var_name="outcome", value_name="records"
    )
    line = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title="Threshold"),
            y="records:Q",
            color="outcome:N",
            tooltip=["threshold", "outcome", "records"],
        )
    )
    rule = alt.Chart(pd.DataFrame({"threshold": [float(chosen)]})).mark_rule(strokeDash=[4, 4]).encode(x="threshold:Q")
    return line + rule


def points_chart(result: MatchResult, source_id: str, target_id: str) -> Any:
    """What each field added to one pair's score (:func:`reconcile.audit.explain_pair`): green
    bars for points, red for penalties.

    Raises:
        InputError: when the pair was never a candidate.
    """
    alt = _alt()
    return (
        alt.Chart(audit.explain_pair(result, source_id, target_id))
        .mark_bar()
        .encode(
            x=alt.X("points:Q", title="Points"),
            y=alt.Y("field:N", sort=None, title=None),
            color=alt.condition(alt.datum.points < 0, alt.value("#d62728"), alt.value("#2ca02c")),
            tooltip=["field", "points"],
        )
    )


def quality_sweep(result: MatchResult, truth: pd.DataFrame, thresholds: list[float] | None = None) -> pd.DataFrame:
    """Precision, recall and F1 of the *proposed* links (automatic links plus the likely matches
    accepted at each threshold) against ``truth`` (:func:`reconcile.audit.evaluate`): columns
    ``threshold`` (float), ``precision``, ``recall``, ``f1`` (floats 0-1), one row per threshold
    (default 50, 55, ..., 100)."""
    thresholds = [float(t) for t in range(50, 101, 5)] if thresholds is None else thresholds
    rows = []
    for t in thresholds:
        m = audit.evaluate(result, truth, threshold=float(t))["proposed"]
        rows.append({"threshold": float(t), "precision": m.precision, "recall": m.recall, "f1": m.f1})
    return pd.DataFrame(rows, columns=["threshold", "precision", "recall", "f1"])


def quality_chart(result: MatchResult, truth: pd.DataFrame, thresholds: list[float] | None = None) -> Any:
    """:func:`quality_sweep` as lines: precision, recall and F1 against the threshold."""
    alt = _alt()
    long = quality_sweep(result, truth, thresholds).melt(
        "threshold", ["precision", "recall", "f1"], var_name="measure", value_name="value"
    )
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title="Threshold"),
            y=alt.Y("value:Q", scale=alt.Scale(zero=False)),
            color="measure:N",
            tooltip=["threshold", "measure", alt.Tooltip("value:Q", format=".3f")],
        )
    )
