"""Accounts: the Equify accounts with where each came from, their search and filters (the
Accounts page; a notebook calls the same functions)."""

from __future__ import annotations

import logging

import pandas as pd

from ..exceptions import InputError
from ..store.workspace import Workspace
from .review import _folded

log = logging.getLogger(__name__)

__all__ = ["ACCOUNT_COLUMNS", "ACCOUNT_FILTERS", "account_counts", "accounts_table", "filter_accounts"]

#: The columns of :func:`accounts_table`, in order.
ACCOUNT_COLUMNS = [
    "id",
    "relation",
    "kind",
    "firstName",
    "lastName",
    "email",
    "phoneNumber",
    "birthDate",
    "origin",
    "payfit_id",
    "linked_to_payfit",
    "created_by_last_push",
]

#: The filters of :func:`filter_accounts` (``show``), with their words: every account; those
#: the sync ledger links to a Payfit record; those the newest push run created; those the
#: ledger links to no Payfit record.
ACCOUNT_FILTERS: dict[str, str] = {
    "all": "All",
    "linked": "Linked to Payfit",
    "created_by_last_push": "Created by the last push",
    "not_linked": "Not linked",
}

_SEARCHED = ["firstName", "lastName", "email", "id"]


def accounts_table(ws: Workspace, *, search: str = "", show: str = "all") -> pd.DataFrame:
    """The Equify accounts of the workspace, each with what links it to Payfit, in the
    workspace's order (creation time, then id); with ``search`` and ``show``, only those
    :func:`filter_accounts` keeps.

    Columns (:data:`ACCOUNT_COLUMNS`): the account's ``id``, ``relation``, ``kind``,
    ``firstName``, ``lastName``, ``email``, ``phoneNumber``, ``birthDate`` (text, ``None``
    when empty) and ``origin`` (``import``: from the Equify export; ``payfit_sync``: made by a
    push); ``payfit_id``: the Payfit record the sync ledger links it to (``None`` when none);
    ``linked_to_payfit`` (bool): the ledger links it; ``created_by_last_push`` (bool): the
    newest push run created it (a create of that run that is done).
    """
    accounts = ws.equify_accounts()
    by_account = {aid: sid for sid, aid in ws.ledger().items()}
    out = accounts[ACCOUNT_COLUMNS[:9]].copy().reset_index(drop=True)
    linked = out["id"].map(by_account)
    out["payfit_id"] = linked.astype(object).where(linked.notna(), None)
    out["linked_to_payfit"] = linked.notna().astype(bool)
    out["created_by_last_push"] = out["id"].isin(_created_by_last_push(ws)).astype(bool)
    return filter_accounts(out, search=search, show=show)


def _created_by_last_push(ws: Workspace) -> set[str]:
    """The ids of the accounts the newest push run created (its creates that are done)."""
    runs = ws.push_runs()
    if runs.empty:
        return set()
    journal = ws.journal(str(runs.iloc[0]["run_id"]))
    made = journal[(journal["op"] == "create") & (journal["status"] == "done")]["account_id"]
    return {str(a) for a in made.dropna() if str(a)}


def filter_accounts(accounts: pd.DataFrame, *, search: str = "", show: str = "all") -> pd.DataFrame:
    """The rows of ``accounts`` (a frame of :func:`accounts_table`) that ``search`` and ``show``
    keep, in their order (index kept).

    ``search``: every word of it is found in the account's names, email or id, accents, case
    and separators (``-'._,;()/``) ignored, as the Review page's search; ``show``: a key of
    :data:`ACCOUNT_FILTERS` (``all``, ``linked``, ``created_by_last_push``, ``not_linked``).
    Raises :class:`~reconcile.exceptions.InputError` for another ``show``.
    """
    if show not in ACCOUNT_FILTERS:
        raise InputError(f"no accounts filter {show!r}: choose one of {', '.join(ACCOUNT_FILTERS)}")
    keep = pd.Series(True, index=accounts.index)
    if search.strip():
        text = accounts[_SEARCHED[0]].fillna("").astype(str)
        for column in _SEARCHED[1:]:
            text = text + " " + accounts[column].fillna("").astype(str)
        haystack = _folded(text)
        for word in _folded(pd.Series([search], dtype=object)).iloc[0].split():
            keep &= haystack.str.contains(word, regex=False)
    if show == "linked":
        keep &= accounts["linked_to_payfit"].astype(bool)
    elif show == "not_linked":
        keep &= ~accounts["linked_to_payfit"].astype(bool)
    elif show == "created_by_last_push":
        keep &= accounts["created_by_last_push"].astype(bool)
    return accounts[keep]


def account_counts(accounts: pd.DataFrame) -> dict[str, int]:
    """How many rows of ``accounts`` (a frame of :func:`accounts_table`, searched or not) each
    filter of :data:`ACCOUNT_FILTERS` keeps: ``{"all": …, "linked": …, "created_by_last_push":
    …, "not_linked": …}``."""
    linked = accounts["linked_to_payfit"].astype(bool)
    return {
        "all": len(accounts),
        "linked": int(linked.sum()),
        "created_by_last_push": int(accounts["created_by_last_push"].astype(bool).sum()),
        "not_linked": int((~linked).sum()),
    }
