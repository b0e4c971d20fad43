"""History: the push runs and one run's journal (the History page; ``reconcile history``)."""

from __future__ import annotations

import json
import logging

import pandas as pd

from ..store.workspace import Workspace

log = logging.getLogger(__name__)


def run_journal(ws: Workspace, run_id: str) -> pd.DataFrame:
    """One run's journal for people: ``seq``, ``name``, ``op``, ``account_id``, ``status``, ``error``, ``source_id``."""
    journal = ws.journal(run_id)
    names = journal["payload"].map(lambda p: json.loads(p).get("name") if p else None)
    out = journal[["seq", "op", "account_id", "status", "error", "source_id"]].copy()
    out.insert(1, "name", names)
    return out
