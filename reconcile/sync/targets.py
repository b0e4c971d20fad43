"""Targets: where a push writes Equify accounts.

One interface, :class:`Target`, and its implementations: *embedded* (the Equify space kept
in the workspace, the default) and *http* (the REST contract of domain.md §4, served for
tests and demos by :mod:`reconcile.testing.equify_server`). An operation is applied exactly once per
idempotency key: a create retried with the same key returns the account the first attempt
made and never makes a second one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import duckdb
import httpx
import pandas as pd

from ..exceptions import ApiError, AuthError, InputError, RateLimited, TargetError
from ..http import Retry, RetryingSender, Secret, body_message
from ..sources.equify import ACCOUNT_COLUMNS

__all__ = ["FILE_COLUMNS", "EmbeddedTarget", "FileTarget", "HttpTarget", "Target", "mirror", "target_identity"]

logger = logging.getLogger(__name__)


class Target(Protocol):
    """Where accounts are written. ``tx`` is the workspace transaction of the journal
    row being executed; a target that lives in the workspace writes inside it so the
    account, the ledger row and the journal status commit together."""

    name: str
    #: True when the target writes inside the workspace's transaction (batched with the journal).
    in_workspace: bool

    def create(
        self, values: dict[str, str], *, idempotency_key: str, source_id: str, tx: duckdb.DuckDBPyConnection
    ) -> str:
        """Create an account; return its id. The same key again returns the same id."""
        ...

    def update(self, account_id: str, values: dict[str, str], *, source_id: str, tx: duckdb.DuckDBPyConnection) -> None:
        """Set fields of an existing account (a link's fills or an update)."""
        ...


def target_identity(target: Target) -> str:
    """Which target a run writes to, for people and for binding a run to it: its kind and, when
    it has one, its base URL or file path (``http target http://127.0.0.1:8800``, ``file target
    /tmp/out.xlsx``, ``embedded target``). Never a token."""
    identity = getattr(target, "identity", None)
    return str(identity) if identity else f"{target.name} target"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class EmbeddedTarget:
    """The Equify space in the workspace's ``equify_accounts`` table (the default target)."""

    name = "embedded"
    in_workspace = True
    identity = "embedded target"

    def account_exists(self, account_id: str, *, tx: duckdb.DuckDBPyConnection) -> bool:
        """True when the Equify space (read in ``tx``, the push's transaction) holds ``account_id``."""
        return tx.execute("SELECT 1 FROM equify_accounts WHERE id = ?", [account_id]).fetchone() is not None

    def create(
        self, values: dict[str, str], *, idempotency_key: str, source_id: str, tx: duckdb.DuckDBPyConnection
    ) -> str:
        """Insert an account (``origin = payfit_sync``, ``payfitId`` = ``source_id``) unless the key was seen."""
        return self.create_many([(values, idempotency_key, source_id)], tx=tx)[idempotency_key]

    def create_many(
        self, items: list[tuple[dict[str, str], str, str]], *, tx: duckdb.DuckDBPyConnection
    ) -> dict[str, str]:
        """:meth:`create` for many ``(values, idempotency_key, source_id)`` at once (a few
        statements for the lot); returns ``{idempotency_key: account_id}``."""
        keys = list(dict.fromkeys(k for _, k, _ in items))
        found = dict(
            tx.execute(
                "SELECT key, account_id FROM target_idempotency WHERE key IN (SELECT unnest(?::VARCHAR[]))", [keys]
            ).fetchall()
        )
        made: dict[str, str] = {}
        accounts = []
        for values, key, source_id in items:
            if key in found or key in made:
                continue
            made[key] = "acc_" + uuid.uuid4().hex[:10]
            accounts.append((made[key], values, source_id))
        if accounts:
            now = _now()
            _insert_synced(tx, accounts, now)
            keys_made = pd.DataFrame({"key": list(made), "account_id": list(made.values())}, dtype=object)
            tx.register("created_keys", keys_made)
            try:
                tx.execute(
                    "INSERT INTO target_idempotency SELECT key::VARCHAR, account_id::VARCHAR, ? FROM created_keys",
                    [now],
                )
            finally:
                tx.unregister("created_keys")
        return {**{str(k): str(a) for k, a in found.items()}, **made}

    def update(self, account_id: str, values: dict[str, str], *, source_id: str, tx: duckdb.DuckDBPyConnection) -> None:
        """Set ``values`` and ``payfitId`` on the account; :class:`TargetError` when it is gone."""
        fields = {k: v for k, v in values.items() if k in ACCOUNT_COLUMNS and k != "id"}
        fields["payfitId"] = source_id
        sets = ", ".join(f'"{k}" = ?' for k in fields)
        found = tx.execute(
            f"UPDATE equify_accounts SET {sets}, updated_at = ? WHERE id = ? RETURNING id",
            [*fields.values(), _now(), account_id],
        ).fetchall()
        if not found:
            raise TargetError(f"the Equify account {account_id} no longer exists")


def _insert_synced(
    tx: duckdb.DuckDBPyConnection, accounts: list[tuple[str, dict[str, str], str]], now: dt.datetime
) -> None:
    """Insert accounts ``(id, values, source_id)`` made by a sync (``origin = payfit_sync``),
    one statement for the lot; an id already in the space is left as it is."""
    records = []
    for account_id, values, source_id in accounts:
        record = {c: values.get(c) for c in ACCOUNT_COLUMNS}
        record.update(id=account_id, relation="employee", kind="person", payfitId=source_id)
        records.append(record)
    frame = pd.DataFrame(records, columns=ACCOUNT_COLUMNS, dtype=object).drop_duplicates("id")
    cols = ", ".join(f'"{c}"' for c in ACCOUNT_COLUMNS)
    casts = ", ".join(f'CAST(n."{c}" AS VARCHAR)' for c in ACCOUNT_COLUMNS)
    tx.register("synced_accounts", frame)
    try:
        tx.execute(
            f"INSERT INTO equify_accounts ({cols}, origin, created_at, updated_at) "
            f"SELECT {casts}, 'payfit_sync', ?, ? FROM synced_accounts n "
            "WHERE NOT EXISTS (SELECT 1 FROM equify_accounts e WHERE e.id = CAST(n.id AS VARCHAR))",
            [now, now],
        )
    finally:
        tx.unregister("synced_accounts")


def mirror(
    tx: duckdb.DuckDBPyConnection,
    created: list[tuple[str, dict[str, str], str]],
    updated: list[tuple[str, dict[str, str], str]],
) -> None:
    """Keep the workspace's Equify space in step with what a remote target did (``tx``: the
    transaction recording the results): ``created`` accounts ``(id, values, source_id)`` are
    added (``origin = payfit_sync``) unless present; ``updated`` ones get their values. So the
    next match sees the accounts the push made, as with the embedded target."""
    now = _now()
    if created:
        _insert_synced(tx, created, now)
    for account_id, values, source_id in updated:
        fields = {k: v for k, v in values.items() if k in ACCOUNT_COLUMNS and k != "id"}
        fields["payfitId"] = source_id
        sets = ", ".join(f'"{k}" = ?' for k in fields)
        tx.execute(
            f"UPDATE equify_accounts SET {sets}, updated_at = ? WHERE id = ?", [*fields.values(), now, account_id]
        )


class FileTarget:
    """The *file* target: the approved creates and updates written to a CSV or XLSX file in
    Equify's column order (:data:`FILE_COLUMNS`), ready to paste or import, with formula
    injection neutralised (:mod:`reconcile.export`).

    Nothing reaches Equify, so nothing is linked: the push journals each operation ``done``
    without an account and writes no ledger row; once the file is imported into Equify and
    its export loaded again, matching links the records by email. The file is written when
    the run ends (a resumed run writes it whole). ``path`` ends in ``.csv`` or ``.xlsx``.
    """

    name = "file"
    in_workspace = False
    writes_ledger = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in (".csv", ".xlsx"):
            raise InputError(f"{self.path.name}: the file target writes a .csv or an .xlsx file")
        if not self.path.parent.is_dir():
            raise InputError(f"{self.path.parent} is not a folder")
        self.identity = f"file target {self.path.resolve()}"

    def create(self, values: dict[str, str], *, idempotency_key: str, source_id: str, tx: Any = None) -> str:
        """Nothing to send: the row is written with the file (:meth:`write`)."""
        return ""

    def update(self, account_id: str, values: dict[str, str], *, source_id: str, tx: Any = None) -> None:
        """Nothing to send: the row is written with the file (:meth:`write`)."""

    def write(self, rows: list[dict[str, Any]]) -> Path:
        """Write ``rows`` (journal payloads: ``op``, ``source_id``, ``target_id``, ``changes``)."""
        from ..export import write_table

        records = []
        for row in rows:
            record: dict[str, Any] = {"operation": row["op"], "id": row.get("target_id")}
            record.update({f: after for f, _before, after in row.get("changes", [])})
            record["payfitId"] = row["source_id"]
            records.append(record)
        frame = pd.DataFrame(records, columns=FILE_COLUMNS, dtype=object)
        return write_table(frame.where(frame.notna(), None), self.path, sheet="Equify accounts")


#: Columns of the file target: the operation, then Equify's account columns.
FILE_COLUMNS: tuple[str, ...] = ("operation", *ACCOUNT_COLUMNS)


class _Retry(Exception):
    """An answer worth trying again (429, 5xx, no answer); ``hint`` is the server's wait (s)."""

    def __init__(self, description: str, *, status: int | None, hint: float | None) -> None:
        super().__init__(description)
        self.description, self.status, self.hint = description, status, hint


class HttpTarget:
    """The *http* target: Equify accounts behind the REST contract of domain.md §4, over httpx.

    ``base_url``: e.g. ``http://127.0.0.1:8800``; ``token``: the bearer token (never logged nor
    shown). ``transport``: an httpx transport for tests. ``timeout`` (s) per request.
    429 and 5xx answers and requests without an answer are retried with the same
    idempotency key, up to ``max_attempts`` attempts in all: after a server's ``Retry-After``
    (seconds or an HTTP date), else after an exponential backoff from ``backoff`` s with full
    jitter; every wait is capped at ``max_wait`` s. ``sleep`` waits (tests pass their own).

    Raises, per operation (the push records it against the row and goes on):
    :class:`~reconcile.exceptions.RateLimited` when 429s outlast the attempts,
    :class:`~reconcile.exceptions.ApiError` for other failures (its ``status`` when there was an
    answer), :class:`~reconcile.exceptions.AuthError` for 401.
    """

    name = "http"
    in_workspace = False

    @staticmethod
    def identity_for(base_url: str) -> str:
        """The identity (:func:`target_identity`) of an http target at ``base_url``, without
        making one (no connection): ``http target <base URL without a final slash>``."""
        return f"http target {base_url.strip().rstrip('/')}"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 5.0,
        max_attempts: int = 6,
        max_wait: float = 60.0,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"the target URL must start with http:// or https://, not {base_url!r}")
        if not token:
            raise InputError("the http target needs a bearer token")
        self.base_url = base_url.rstrip("/")
        self.identity = self.identity_for(base_url)
        self._token = Secret(token)
        self.timeout, self.max_attempts, self.max_wait, self.backoff = timeout, max_attempts, max_wait, backoff
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._sender = RetryingSender(
            self._http,
            self._token,
            timeout=timeout,
            max_attempts=max_attempts,
            max_wait=max_wait,
            backoff=backoff,
            sleep=sleep,
            name="target",
        )

    @property
    def waits(self) -> list[float]:
        """Every wait before a retry (s), for reports and tests."""
        return self._sender.waits

    def __repr__(self) -> str:
        return f"HttpTarget({self.base_url!r})"  # never the token

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> HttpTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create(
        self,
        values: dict[str, str],
        *,
        idempotency_key: str,
        source_id: str,
        tx: duckdb.DuckDBPyConnection | None = None,
    ) -> str:
        """``POST /accounts`` with ``Idempotency-Key``; the account's id (a retry returns the same)."""
        body = {**values, "payfitId": source_id}
        answer = self._request("POST", "/accounts", json=body, headers={"Idempotency-Key": idempotency_key})
        account_id = answer.get("id")
        if not account_id:
            raise ApiError(f"the target answered a create for {source_id} without an account id")
        return str(account_id)

    def update(
        self, account_id: str, values: dict[str, str], *, source_id: str, tx: duckdb.DuckDBPyConnection | None = None
    ) -> None:
        """``PATCH /accounts/{id}`` with the changed fields and the Payfit id."""
        self._request("PATCH", f"/accounts/{account_id}", json={**values, "payfitId": source_id})

    def account_exists(self, account_id: str, *, tx: duckdb.DuckDBPyConnection | None = None) -> bool:
        """``GET /accounts/{id}``: True when the target holds the account, False only when it
        answers ``404`` (the account does not exist). Any other failure raises (:class:`ApiError`,
        :class:`AuthError`): a doubt is never taken for "gone"."""
        try:
            self._request("GET", f"/accounts/{account_id}")
        except ApiError as exc:
            if exc.status == 404 and not isinstance(exc, AuthError):
                return False
            raise
        return True

    def check(self) -> None:
        """Ask the endpoint for one account (``GET /accounts?limit=1``) before a push sends
        anything: a wrong URL or token refuses the push at once instead of failing every row.
        Raises :class:`AuthError` (401) or :class:`ApiError` (unreachable, other answers)."""
        try:
            self._request("GET", "/accounts", params={"limit": 1})
        except AuthError as exc:
            raise AuthError(f"the http target at {self.base_url} refused the bearer token (401)", status=401) from exc
        except ApiError as exc:
            raise ApiError(f"the http target at {self.base_url} cannot be used: {exc}", status=exc.status) from exc

    def accounts(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Every account, following ``next_cursor`` (``GET /accounts``)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = ""
        while cursor is not None:
            page = self._request("GET", "/accounts", params={"cursor": cursor, "limit": limit})
            out.extend(page.get("accounts") or [])
            cursor = page.get("next_cursor")
        return out

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request through the shared HTTP layer (:class:`reconcile.http.RetryingSender`): the
        answer's JSON object. Raises :class:`RateLimited`, :class:`AuthError` or :class:`ApiError`."""
        try:
            response = self._sender.send(method, self.base_url + path, **kwargs)
        except Retry as exc:
            attempts = f"after {self.max_attempts} attempt(s)"
            if exc.status == 429:
                raise RateLimited(f"the target kept answering 429 to {method} {path} {attempts}", status=429) from None
            raise ApiError(f"{method} {path} failed {attempts}: {exc.description}", status=exc.status) from None
        if response.status_code == 401:
            raise AuthError("the target refused the bearer token (401)", status=401)
        if response.status_code >= 400:
            message = self._token.redact(body_message(response) or response.reason_phrase)
            raise ApiError(f"{method} {path} answered {response.status_code}: {message}", status=response.status_code)
        try:
            data = response.json()
        except ValueError as exc:
            raise ApiError(f"{method} {path} answered something that is not JSON") from exc
        if not isinstance(data, dict):
            raise ApiError(f"{method} {path} answered JSON that is not an object")
        return data
