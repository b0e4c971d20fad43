"""Targets: where a push writes Equify accounts.

One interface, :class:`Target`; this module has the *embedded* target (the
Equify space kept in the workspace). An operation is applied exactly once per
idempotency key: a create retried with the same key returns the account the
first attempt made and never makes a second one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

import duckdb

from .equify import ACCOUNT_COLUMNS

__all__ = ["EmbeddedTarget", "Target"]


class Target(Protocol):
    """Where accounts are written. ``tx`` is the workspace transaction of the journal
    row being executed; a target that lives in the workspace writes inside it so the
    account, the ledger row and the journal status commit together."""

    name: str

    def create(
        self, values: dict[str, str], *, idempotency_key: str, source_id: str, tx: duckdb.DuckDBPyConnection
    ) -> str:
        """Create an account; return its id. The same key again returns the same id."""
        ...

    def update(self, account_id: str, values: dict[str, str], *, source_id: str, tx: duckdb.DuckDBPyConnection) -> None:
        """Set fields of an existing account (a link's fills or an update)."""
        ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class EmbeddedTarget:
    """The Equify space in the workspace's ``equify_accounts`` table (the default target)."""

    name = "embedded"

    def create(
        self, values: dict[str, str], *, idempotency_key: str, source_id: str, tx: duckdb.DuckDBPyConnection
    ) -> str:
        """Insert an account (``origin = payfit_sync``, ``payfitId`` = ``source_id``) unless the key was seen."""
        row = tx.execute("SELECT account_id FROM target_idempotency WHERE key = ?", [idempotency_key]).fetchone()
        if row is not None:
            return str(row[0])
        account_id = "acc_" + uuid.uuid4().hex[:10]
        record = {c: values.get(c) for c in ACCOUNT_COLUMNS}
        record.update(id=account_id, relation="employee", kind="person", payfitId=source_id)
        cols = ", ".join(f'"{c}"' for c in ACCOUNT_COLUMNS)
        marks = ", ".join("?" for _ in ACCOUNT_COLUMNS)
        tx.execute(
            f"INSERT INTO equify_accounts ({cols}, origin, created_at, updated_at) VALUES ({marks}, 'payfit_sync', ?, ?)",
            [record[c] for c in ACCOUNT_COLUMNS] + [_now(), _now()],
        )
        tx.execute("INSERT INTO target_idempotency VALUES (?, ?, ?)", [idempotency_key, account_id, _now()])
        return account_id

    def update(self, account_id: str, values: dict[str, str], *, source_id: str, tx: duckdb.DuckDBPyConnection) -> None:
        """Set ``values`` and ``payfitId`` on the account."""
        fields = {k: v for k, v in values.items() if k in ACCOUNT_COLUMNS and k != "id"}
        fields["payfitId"] = source_id
        sets = ", ".join(f'"{k}" = ?' for k in fields)
        tx.execute(
            f"UPDATE equify_accounts SET {sets}, updated_at = ? WHERE id = ?",
            [*fields.values(), _now(), account_id],
        )
