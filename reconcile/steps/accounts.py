"""Accounts: the Equify accounts with where each came from (the Accounts page)."""

from __future__ import annotations

import logging

import pandas as pd

from ..store.workspace import Workspace

log = logging.getLogger(__name__)


def accounts_table(ws: Workspace) -> pd.DataFrame:
    """The Equify accounts with ``linked_to_payfit`` (bool) and ``payfit_id`` from the ledger.

    Columns: ``id``, ``relation``, ``kind``, ``firstName``, ``lastName``, ``email``,
    ``phoneNumber``, ``birthDate``, ``origin``, ``linked_to_payfit``, ``payfit_id``.
    """
    accounts = ws.equify_accounts()
    by_account = {aid: sid for sid, aid in ws.ledger().items()}
    out = accounts[
        ["id", "relation", "kind", "firstName", "lastName", "email", "phoneNumber", "birthDate", "origin"]
    ].copy()
    out["payfit_id"] = out["id"].map(by_account)
    out["linked_to_payfit"] = out["payfit_id"].notna()
    return out
