"""The audit's charts as Altair charts, for the app's Audit page and for notebooks alike (one home:
``ui/audit.py`` only places them on the page).

Altair is imported when a chart is asked for (``pip install altair``: the ``app`` and ``notebook``
extras); the data behind each chart comes from :mod:`reconcile.audit`. An axis that counts
records shows whole numbers only (:func:`count_axis`): a small workspace never reads 0.5 records.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import audit
from .models import MatchResult

__all__ = [
    "count_axis",
    "points_chart",
    "quality_chart",
    "quality_sweep",
    "score_chart",
    "threshold_chart",
    "unscored_note",
]

#: The score histogram's bin width, in points.
BIN_STEP = 5


def _alt() -> Any:
    import altair as alt

    return alt


def count_axis(most: int) -> Any:
    """The axis of a count of records that reaches at most ``most``: ticks on whole numbers only
    (0, then a step of 1, 2 or 5 times a power of ten, at most 8 steps to ``most``), labelled as
    integers. Vega's own ticks with ``tickMinStep=1`` still put one at 0.5 when the counts reach
    1 or 2, hence the explicit values (the axis drops those beyond its scale)."""
    most = max(int(most), 1)
    step = 1
    while most > 8 * step:
        step = _next_step(step)
    top = -(-most // step) * step + step  # a step past the top: the scale may be rounded up
    return _alt().Axis(format="d", tickMinStep=1, values=list(range(0, top + 1, step)))


def _next_step(step: int) -> int:
    """The step after ``step`` in 1, 2, 5, 10, 20, 50, ..."""
    return step * 5 // 2 if str(step)[0] == "2" else step * 2


def unscored_note(result: MatchResult) -> str | None:
    """What the score histogram leaves out, in words: ``"82 records have no score (no single
    candidate account to score them against), not shown: 79 new, 3 conflict"`` (counts per set
    from :func:`reconcile.audit.unscored`); ``None`` when every record has a score.
    :func:`score_chart` shows it as its subtitle."""
    per_set = audit.unscored(result)
    n = sum(per_set.values())
    if not n:
        return None
    records, have, them = ("record", "has", "it") if n == 1 else ("records", "have", "them")
    sets = ", ".join(f"{count} {name}" for name, count in per_set.items())
    return f"{n} {records} {have} no score (no single candidate account to score {them} against), not shown: {sets}"


def _tallest_bin(scores: pd.Series) -> int:
    """At least the count of the histogram's tallest bar: the most scores within one closed
    interval [5k, 5k + 5] (Vega's bins are half-open, the last one closed)."""
    if scores.empty:
        return 0
    low = (scores // BIN_STEP).astype(int).value_counts()
    on_top = scores[scores % BIN_STEP == 0] // BIN_STEP - 1  # a bound counts in the bin below too
    high = on_top.astype(int).value_counts()
    return int(low.add(high, fill_value=0).max())


def score_chart(result: MatchResult) -> Any:
    """A histogram of the records' scores (:func:`reconcile.audit.score_distribution`), bins of 5
    points, one colour per set, the count of records on whole-number ticks. The records with no
    score are counted in its subtitle (:func:`unscored_note`), not left out silently."""
    alt = _alt()
    dist = audit.score_distribution(result)
    note = unscored_note(result)
    title = alt.TitleParams("Records per score", subtitle=[note] if note else [], anchor="start")
    return (
        alt.Chart(dist, title=title)
        .mark_bar(opacity=0.8)
        .encode(
            x=alt.X("score:Q", bin=alt.Bin(step=BIN_STEP), title="Score"),
            y=alt.Y("count():Q", title="Records", stack=True, axis=count_axis(_tallest_bin(dist["score"]))),
            color=alt.Color("set:N", title="Set"),
            tooltip=["set:N", alt.Tooltip("count():Q", title="records")],
        )
    )


def threshold_chart(result: MatchResult, threshold: float | None = None) -> Any:
    """The threshold sweep (:func:`reconcile.audit.threshold_sweep`): how many name conflicts
    *accept all likely matches* would link, and how many stay for review, at each threshold (the
    count of records on whole-number ticks); a dashed rule at ``threshold`` (default: the
    settings' ``proposal_threshold``)."""
    alt = _alt()
    chosen = result.settings.proposal_threshold if threshold is None else threshold
    long = audit.threshold_sweep(result).melt(
        "threshold", ["accepted", "review"], var_name="outcome", value_name="records"
    )
    most = int(long["records"].max()) if len(long) else 0
    line = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title="Threshold"),
            y=alt.Y("records:Q", title="Records", axis=count_axis(most)),
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
