"""Match: the in-scope records matched against the accounts, with the workspace's ledger and decisions (``reconcile match``; every page reads it)."""

from __future__ import annotations

import logging

import pandas as pd

from ..exceptions import InputError
from ..matching.matcher import match
from ..models import MatchResult, MatchSettings
from ..store.workspace import Workspace

log = logging.getLogger(__name__)


def scoped_source(ws: Workspace, records: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Payfit records inside the chosen relation (active employees by default).

    Without ``records``, the workspace's, kept in the workspace's cache per records' version and relation (each
    call returns its own copy)."""
    statuses = ws.relation().statuses()
    if records is not None:
        return records[records["status"].isin(statuses)].reset_index(drop=True)
    key = (ws.identity, ws.table_version("payfit_records"), tuple(statuses))
    kept = ws.cache.get("scoped", key)
    if kept is None:
        records = ws.payfit_records()
        kept = records[records["status"].isin(statuses)].reset_index(drop=True)
        ws.cache.put("scoped", key, kept)
    return kept.copy()


def match_is_kept(ws: Workspace, settings: MatchSettings | None = None) -> bool:
    """Whether :func:`run_match` has the workspace's match at its current revision kept (it will
    answer at once)."""
    return ws.cache.get("matches", (ws.identity, ws.revision, settings or MatchSettings())) is not None


def run_match(ws: Workspace, settings: MatchSettings | None = None) -> MatchResult:
    """Match the workspace's in-scope Payfit records to its Equify accounts.

    Uses the stored mapping, relation, ledger and decisions. The last result is kept per
    workspace file, revision and settings, so the steps that match before and after a write
    (an edit, a decision) and the page that shows the result match once per revision.
    Raises :class:`InputError` when the mapping is invalid. Callers must not modify the result.
    """
    key = (ws.identity, ws.revision, settings or MatchSettings())
    cached = ws.cache.get("matches", key)
    if cached is not None:
        return cached
    result = _run_match(ws, settings)
    if ws.revision != key[1]:  # a write (a push's batch) landed while matching: do not keep a mixed read
        return result
    ws.cache.put("matches", key, result)
    return result


def _run_match(ws: Workspace, settings: MatchSettings | None = None) -> MatchResult:
    mapping = ws.mapping()
    errors = [i.message for i in mapping.issues() if i.level == "error"]
    if errors:
        raise InputError("the field mapping is not valid: " + "; ".join(errors))
    return match(
        scoped_source(ws),
        ws.equify_accounts(),
        mapping=mapping,
        settings=settings,
        ledger=ws.ledger(),
        ledger_values=ws.ledger_values(),
        decisions=ws.decisions(),
        prepared_key=(ws.identity, ws.data_version),
        prepared_cache=ws.cache.prepared,
    )
