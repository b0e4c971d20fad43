"""History: the push runs and one run's journal (the History page; ``reconcile history``)."""

from __future__ import annotations

import json
import logging

import pandas as pd

from ..matching.normalize import clean_text
from ..store.workspace import Workspace
from ..sync.push import push_runs

log = logging.getLogger(__name__)

#: The columns of :func:`runs_table`.
RUN_COLUMNS = [
    "run_id",
    "started_at",
    "finished_at",
    "status",
    "target",
    "by",
    "created",
    "linked",
    "updated",
    "skipped",
    "failed",
    "seconds",
]


def runs_table(ws: Workspace) -> pd.DataFrame:
    """Every push run for people, newest first (the History page and ``reconcile history``).

    Columns (:data:`RUN_COLUMNS`): ``run_id``, ``started_at``, ``finished_at``, ``status`` (an
    unfinished run no thread executes is ``interrupted``: :func:`reconcile.sync.push.push_runs`),
    ``target``, ``by`` (who started the run; blank for runs older than the record of it), then the
    counts of a finished run, ``created``, ``linked``, ``updated``, ``skipped``, ``failed``, and
    its ``seconds`` (``None`` while a run is not finished)."""
    runs = push_runs(ws)
    table = runs[["run_id", "started_at", "finished_at", "status", "target"]].copy()
    table["by"] = [clean_text(v) or "" for v in runs["operator"]]
    totals = [json.loads(t) if isinstance(t, str) and t else {} for t in runs["totals"]]
    finished = table["status"].isin(["done", "done_with_failures"]).tolist()
    for key in ("created", "linked", "updated", "skipped", "failed", "seconds"):
        table[key] = pd.Series([t.get(key) if f else None for t, f in zip(totals, finished, strict=True)], dtype=object)
    return table[RUN_COLUMNS].reset_index(drop=True)


def run_journal(ws: Workspace, run_id: str) -> pd.DataFrame:
    """One run's journal for people: ``seq``, ``name``, ``op``, ``account_id``, ``status``, ``error``, ``source_id``."""
    journal = ws.journal(run_id)
    names = journal["payload"].map(lambda p: json.loads(p).get("name") if p else None)
    out = journal[["seq", "op", "account_id", "status", "error", "source_id"]].copy()
    out.insert(1, "name", names)
    return out
