"""The workspace: one DuckDB file that holds everything a reconciliation needs.

This is the only module that talks to DuckDB. Tables (schema version
:data:`SCHEMA_VERSION`, stored in ``meta``):

* ``payfit_records``: flattened collaborators (:data:`reconcile.sources.payfit.PAYFIT_COLUMNS`);
* ``equify_accounts``: the Equify space (:data:`reconcile.sources.equify.ACCOUNT_COLUMNS`
  plus ``origin``, ``created_at``, ``updated_at``); the *embedded* target writes here;
* ``settings``: the field mapping and the relation (JSON values);
* ``decisions``: a person's link / create / exclude per Payfit id;
* ``activity``: every load, mapping change, decision, edit, approval and undo with when, what,
  before → after and who (``operator``, since version 5; ``NULL`` for older entries);
* ``ledger``: the sync ledger, Payfit id ↔ Equify account id, with the values the sync sent;
* ``push_runs`` and ``push_journal``: push runs (with who started each, ``operator``) and one row
  per operation;
* ``push_claims``: the plan digest each run consumed (unique) and its target's identity;
* ``target_idempotency``: idempotency keys seen by the embedded target;
* ``approvals``: the approved changes of synced accounts, with who approved each (``operator``).

Every writing method takes ``operator`` (keyword-only): the name recorded with the write,
:func:`reconcile.operator.default_operator` when not given.

Every write bumps ``meta.revision`` so callers can cache reads by revision.

Opening checks the file before anything is written: a brand-new file gets the whole schema
in one transaction; a file that is a workspace (it has our tables) must still have every
table of its schema version (:data:`_TABLES_SINCE`) and whole-number ``schema_version`` and
``revision`` in ``meta``, else :class:`~reconcile.exceptions.WorkspaceError` names what is
missing or wrong and the file is left as it was (never a silent fresh start); a DuckDB file
holding other tables only is not a workspace and is left untouched. Settings that are not
what the schema says (not JSON, or of the wrong type) are a :class:`WorkspaceError` naming
the setting when read.
Errors from DuckDB are wrapped in :class:`~reconcile.exceptions.WorkspaceError`
with the failing SQL attached.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..exceptions import InputError, WorkspaceBusy, WorkspaceError
from ..matching.normalize import clean_text, email_is_valid, normalize_date, normalize_email, normalize_phone
from ..matching.values import sendable_phone
from ..models import EQUIFY_FIELDS, Decision, FieldMapping, Relation
from ..operator import resolve_operator
from ..sources.equify import ACCOUNT_COLUMNS
from ..sources.payfit import PAYFIT_COLUMNS
from .cache import WorkspaceCache

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_WORKSPACE", "SCHEMA_VERSION", "Workspace", "workspace_path"]

SCHEMA_VERSION = 5
#: Statements that bring a workspace from version ``n - 1`` to ``n`` (the CREATE TABLE
#: statements already build the newest tables; these upgrade files made by older code).
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (),
    2: ('ALTER TABLE payfit_records ADD COLUMN IF NOT EXISTS "jobName" VARCHAR',),
    3: (),  # push_claims (each run's plan digest and target identity) is made by its CREATE TABLE
    4: ('ALTER TABLE payfit_records ADD COLUMN IF NOT EXISTS "secondLastName" VARCHAR',),
    # who did it (#16): older rows keep NULL (shown blank)
    5: (
        "ALTER TABLE activity ADD COLUMN IF NOT EXISTS operator VARCHAR",
        "ALTER TABLE push_runs ADD COLUMN IF NOT EXISTS operator VARCHAR",
        "ALTER TABLE approvals ADD COLUMN IF NOT EXISTS operator VARCHAR",
    ),
}
#: Where the workspace lives unless ``RECONCILE_WORKSPACE`` or ``--workspace`` says otherwise: in the
#: current directory (relative, read when asked), never next to the installed code.
DEFAULT_WORKSPACE = Path("workspace.duckdb")
#: Where earlier versions kept it (``data/`` of a checkout): still used when it exists and the new
#: default does not, so an upgrade loses no workspace.
_LEGACY_WORKSPACE = Path("data") / "workspace.duckdb"

_TEXT_PAYFIT = [c for c in PAYFIT_COLUMNS if c not in {"isLeaver", "isAdminWithoutContract"}]
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS payfit_records ("
    + ", ".join(f'"{c}" VARCHAR' for c in _TEXT_PAYFIT)
    + ', "isLeaver" BOOLEAN, "isAdminWithoutContract" BOOLEAN, loaded_at TIMESTAMP)',
    "CREATE TABLE IF NOT EXISTS equify_accounts ("
    + ", ".join(f'"{c}" VARCHAR' for c in ACCOUNT_COLUMNS)
    + ", origin VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS settings (key VARCHAR, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS decisions (source_id VARCHAR, action VARCHAR, target_id VARCHAR, decided_at TIMESTAMP)",
    "CREATE SEQUENCE IF NOT EXISTS activity_seq",
    "CREATE TABLE IF NOT EXISTS activity (seq BIGINT DEFAULT nextval('activity_seq'), \"at\" TIMESTAMP, kind VARCHAR,"
    " subject VARCHAR, field VARCHAR, before VARCHAR, after VARCHAR, operator VARCHAR)",
    "CREATE TABLE IF NOT EXISTS ledger (source_id VARCHAR PRIMARY KEY, account_id VARCHAR, run_id VARCHAR,"
    " synced_at TIMESTAMP, source_values VARCHAR)",
    "CREATE TABLE IF NOT EXISTS push_runs (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,"
    " status VARCHAR, target VARCHAR, totals VARCHAR, error VARCHAR, operator VARCHAR)",
    "CREATE TABLE IF NOT EXISTS push_journal (run_id VARCHAR, seq INTEGER, source_id VARCHAR, op VARCHAR,"
    " idempotency_key VARCHAR, account_id VARCHAR, payload VARCHAR, status VARCHAR, error VARCHAR,"
    " updated_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS target_idempotency (key VARCHAR PRIMARY KEY, account_id VARCHAR, created_at TIMESTAMP)",
    # One row per push run: the digest of the plan it consumed (unique: a plan is pushed once)
    # and the identity of its target (kind and URL or path, never a token).
    "CREATE TABLE IF NOT EXISTS push_claims (run_id VARCHAR PRIMARY KEY, plan_digest VARCHAR UNIQUE,"
    " target_identity VARCHAR, claimed_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS approvals (source_id VARCHAR, field VARCHAR, value VARCHAR, approved_at TIMESTAMP,"
    " operator VARCHAR)",
]
_EDITABLE = frozenset(EQUIFY_FIELDS)
#: The schema version from which a file must hold each table (tables not listed: from version 1).
#: ``approvals`` came with version 2 files without a version bump, so version 2 files may lack it.
_TABLES_SINCE: dict[str, int] = {"approvals": 3, "push_claims": 3}


def workspace_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The workspace file: ``path``, else ``$RECONCILE_WORKSPACE``, else :data:`DEFAULT_WORKSPACE`
    (``workspace.duckdb`` in the current directory; ``data/workspace.duckdb`` there instead when
    only that one exists, where earlier versions kept it)."""
    chosen = path or os.environ.get("RECONCILE_WORKSPACE")
    if chosen:
        return Path(chosen).expanduser()
    if not DEFAULT_WORKSPACE.exists() and _LEGACY_WORKSPACE.is_file():
        return _LEGACY_WORKSPACE.absolute()
    return DEFAULT_WORKSPACE.absolute()


def _connect(target: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the workspace file ``target``.

    Raises:
        WorkspaceBusy: another process holds the file (DuckDB lets one process write a file).
        WorkspaceError: the file cannot be opened otherwise.
    """
    try:
        return duckdb.connect(str(target))
    except (duckdb.Error, OSError) as exc:
        if "lock" in str(exc).lower():
            raise WorkspaceBusy(
                f"the workspace {target} is in use by another process (the app while it works, a command or "
                "a notebook): try again in a moment, or use another workspace file"
            ) from exc
        raise WorkspaceError(f"cannot open the workspace {target}: {exc}") from exc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Workspace:
    """A reconciliation workspace in one DuckDB file (or ``":memory:"`` for tests).

    Safe to share between threads: each call takes its own cursor. Use
    :meth:`open`; close with :meth:`close` or a ``with`` block.
    Raises :class:`WorkspaceError` when the file cannot be opened (for example
    when another process holds it) or its schema is newer than this code.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._open_con: duckdb.DuckDBPyConnection | None = con
        self.path = path
        self._closed = False
        self._leases = 0
        self._lease_lock = threading.RLock()
        #: Close the file whenever no :meth:`lease` is held (the app sets it, so that a command or
        #: a notebook can use the workspace between the app's runs); reopened on the next use.
        self.release_when_idle = False
        self._frames: dict[str, tuple[str, pd.DataFrame]] = {}  # table -> (data version, frame)
        #: What the steps keep between calls on this workspace (thread-safe; see :mod:`.cache`).
        self.cache = WorkspaceCache()
        self._migrate()

    # ------------------------------------------------------------------ plumbing
    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Workspace:
        """Open the workspace at :func:`workspace_path`\\ (``path``), creating it when ``create``.

        Raises :class:`WorkspaceError` when the file is not a DuckDB database
        (a CSV given by mistake is never touched), does not exist and ``create``
        is false, or cannot be opened.
        """
        if str(path) == ":memory:":
            return cls(duckdb.connect(":memory:"), ":memory:")
        target = workspace_path(path)
        if target.is_dir():
            raise WorkspaceError(
                f"the workspace {target} is a folder: give a file such as {target / 'workspace.duckdb'}"
            )
        if target.exists() and target.stat().st_size > 0:
            with target.open("rb") as fh:
                header = fh.read(12)
            if header[8:12] != b"DUCK":
                raise WorkspaceError(f"{target} is not a workspace (not a DuckDB file); it was left untouched")
        elif not create:
            raise WorkspaceError(f"there is no workspace at {target}: load data first (the `demo` or `load` command)")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot open the workspace {target}: {exc}") from exc
        return cls(_connect(target), str(target))

    def close(self) -> None:
        """Close the connection (idempotent) and forget what the cache kept."""
        self.cache.clear()
        with self._lease_lock:
            self._closed = True
            con, self._open_con = self._open_con, None
        if con is not None:
            try:
                con.close()
            except duckdb.Error:  # pragma: no cover - already closed
                pass

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        """The connection, opened again when the file was released (:attr:`release_when_idle`).

        Raises:
            WorkspaceBusy: another process holds the file now.
            WorkspaceError: the workspace was closed.
        """
        with self._lease_lock:
            if self._open_con is None:
                if self._closed:
                    raise WorkspaceError(f"the workspace {self.path} is closed")
                self._open_con = _connect(Path(self.path))
            return self._open_con

    @contextmanager
    def lease(self) -> Iterator[Workspace]:
        """Hold the file open for a piece of work (a page's run, a push): with
        :attr:`release_when_idle`, the file is closed once no lease is held, so that other
        processes can open it in between. The file is opened on entry.

        Raises:
            WorkspaceBusy: another process holds the file (a command, a notebook): try again.
        """
        with self._lease_lock:
            self._leases += 1
        try:
            self._con  # noqa: B018 - open now, not in the middle of the work
            yield self
        finally:
            with self._lease_lock:
                self._leases -= 1
                if self._leases == 0 and self.release_when_idle and self._open_con is not None:
                    con, self._open_con = self._open_con, None
                    con.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own, used under a :meth:`lease`: a released file is never closed
        under a cursor still at work in another thread (a page's query while a push ends)."""
        with self.lease():
            cur = self._con.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: committed on success, rolled back on any error.

        The revision is bumped in the same transaction.
        """
        with self._cursor() as cur:
            try:
                cur.execute("BEGIN TRANSACTION")
                yield cur
                cur.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('revision', "
                    "CAST(COALESCE((SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'revision'), 0) + 1 AS VARCHAR))"
                )
                cur.execute("COMMIT")
            except BaseException as exc:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                if isinstance(exc, duckdb.Error):
                    raise WorkspaceError(f"workspace write failed: {exc}") from exc
                raise

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame; wraps DuckDB errors with the SQL."""
        with self._cursor() as cur:
            try:
                return cur.execute(sql, params or []).df()
            except duckdb.Error as exc:
                raise WorkspaceError(f"workspace query failed: {exc}", sql=sql) from exc

    def _scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        with self._cursor() as cur:
            try:
                row = cur.execute(sql, params or []).fetchone()
            except duckdb.Error as exc:
                raise WorkspaceError(f"workspace query failed: {exc}", sql=sql) from exc
        return None if row is None else row[0]

    def _migrate(self) -> None:
        cur = self._con.cursor()
        try:
            existing = {
                str(r[0])
                for r in cur.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                ).fetchall()
            }
            if not existing:  # a brand-new file: the whole schema, at once
                cur.execute("BEGIN TRANSACTION")
                for stmt in _SCHEMA:
                    cur.execute(stmt)
                cur.execute("INSERT INTO meta VALUES ('workspace_id', ?)", [uuid.uuid4().hex])
                cur.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
                cur.execute("COMMIT")
                return
            version, has_id = self._checked_meta(cur, existing)
            for stmt in _SCHEMA:  # only the tables that came later than the file's version
                table = _table_of(stmt)
                if table is not None and table not in existing:
                    cur.execute(stmt)
            if not has_id:  # a random id of this file: caches keyed by path and revision must
                # not take a new file made at the same path for the old one
                cur.execute("INSERT INTO meta VALUES ('workspace_id', ?)", [uuid.uuid4().hex])
            if version < SCHEMA_VERSION:
                cur.execute("BEGIN TRANSACTION")
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    for stmt in _MIGRATIONS[step]:
                        cur.execute(stmt)
                cur.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
                cur.execute("COMMIT")
                log.info("workspace %s migrated from schema %d to %d", self.path, version, SCHEMA_VERSION)
        except duckdb.Error as exc:
            raise WorkspaceError(f"cannot prepare the workspace {self.path}: {exc}") from exc
        finally:
            cur.close()

    def _checked_meta(self, cur: duckdb.DuckDBPyConnection, existing: set[str]) -> tuple[int, bool]:
        """The schema version of an existing file and whether it has a ``workspace_id``, after
        checking it is a whole workspace.

        Raises :class:`WorkspaceError` (nothing written) for a DuckDB file without our tables, a
        missing ``meta`` or table of its version, or a ``schema_version``/``revision`` that is not
        a whole number.
        """
        ours = [t for t in _table_names() if t in existing]
        if not ours:
            raise WorkspaceError(
                f"{self.path} is a DuckDB database but not a workspace (it holds {', '.join(sorted(existing)[:5])}"
                f"{' ...' if len(existing) > 5 else ''}); it was left untouched: give another workspace file"
            )
        if "meta" not in existing:
            raise WorkspaceError(self._missing_tables(["meta"]))
        values = dict(
            cur.execute(
                "SELECT key, value FROM meta WHERE key IN ('schema_version', 'revision', 'workspace_id')"
            ).fetchall()
        )
        if "schema_version" not in values:
            raise WorkspaceError(
                f"the workspace {self.path} has no schema_version in its meta table (the file is damaged); "
                "it was left untouched: restore it from a backup, or give a new workspace file"
            )
        version = _meta_int(self.path, "schema_version", values["schema_version"])
        if "revision" in values:
            _meta_int(self.path, "revision", values["revision"])
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"the workspace {self.path} has schema version {version}; this code knows up to {SCHEMA_VERSION}"
            )
        missing = [t for t in _table_names() if t not in existing and _TABLES_SINCE.get(t, 1) <= version]
        if missing:
            raise WorkspaceError(self._missing_tables(missing))
        return version, "workspace_id" in values

    def _missing_tables(self, missing: list[str]) -> str:
        return (
            f"the workspace {self.path} has no table {', '.join(missing)} (dropped, or the file is damaged); it was "
            "left untouched, not started afresh: restore the file from a backup, or give a new workspace file"
        )

    @property
    def schema_version(self) -> int:
        """The schema version stored in the file."""
        return _meta_int(
            self.path, "schema_version", self._scalar("SELECT value FROM meta WHERE key = 'schema_version'")
        )

    @property
    def identity(self) -> str:
        """A random id given to the file when it was made (with :attr:`revision`, a cache key)."""
        return str(self._scalar("SELECT value FROM meta WHERE key = 'workspace_id'"))

    @property
    def data_version(self) -> str:
        """Changes whenever the records, accounts, mapping or relation change (not with
        decisions, the ledger or push runs): a key for results that depend only on the data."""
        with self._cursor() as cur:
            row = cur.execute(
                "SELECT (SELECT max(seq) FROM activity WHERE kind IN ('load', 'mapping', 'transform', 'relation', 'edit')),"
                " (SELECT count(*) FROM equify_accounts), (SELECT max(updated_at) FROM equify_accounts),"
                " (SELECT count(*) FROM payfit_records)"
            ).fetchone()
        return "/".join(map(str, row or ()))

    @property
    def revision(self) -> int:
        """A counter bumped by every write; equal revisions mean equal contents."""
        value = self._scalar("SELECT value FROM meta WHERE key = 'revision'")
        return _meta_int(self.path, "revision", value) if value is not None else 0

    # ------------------------------------------------------------------ loading
    def load_payfit(self, records: pd.DataFrame, *, operator: str | None = None) -> int:
        """Replace the Payfit records with ``records`` (:data:`PAYFIT_COLUMNS`); returns the row count.

        Decisions and the ledger are kept. The load is logged with ``operator`` (default:
        :func:`~reconcile.operator.default_operator`). Raises :class:`InputError` when columns
        are missing or there is no record; nothing is written then.
        """
        frame = _payfit_frame(records)
        who = resolve_operator(operator)
        with self.transaction() as cur:
            self._replace(cur, "payfit_records", frame, who)
        return len(frame)

    def load_equify(self, accounts: pd.DataFrame, *, operator: str | None = None) -> int:
        """Replace the Equify accounts with ``accounts`` (:data:`ACCOUNT_COLUMNS`); returns the row count.

        Logged with ``operator``. Raises :class:`InputError` when columns are missing or there is
        no account; nothing is written then.
        """
        frame = _equify_frame(accounts)
        who = resolve_operator(operator)
        with self.transaction() as cur:
            self._replace(cur, "equify_accounts", frame, who)
        return len(frame)

    def replace_all(self, records: pd.DataFrame, accounts: pd.DataFrame, *, operator: str | None = None) -> None:
        """Empty the workspace and load ``records`` and ``accounts``, in one transaction.

        Everything goes: mapping, relation, decisions, activity, ledger, push runs. The two loads
        are logged with ``operator``.
        Raises :class:`InputError` (nothing written) like :meth:`load_payfit` and :meth:`load_equify`.
        """
        payfit, equify = _payfit_frame(records), _equify_frame(accounts)
        who = resolve_operator(operator)
        with self.transaction() as cur:
            for table in _DATA_TABLES:
                cur.execute(f"DELETE FROM {table}")
            self._replace(cur, "payfit_records", payfit, who)
            self._replace(cur, "equify_accounts", equify, who)

    def _replace(self, cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, operator: str) -> None:
        cur.execute(f"DELETE FROM {table}")
        cur.register("incoming", frame)
        cur.execute(f"INSERT INTO {table} ({_cols(frame.columns)}) SELECT {_cols(frame.columns)} FROM incoming")
        cur.unregister("incoming")
        self._log(cur, "load", table, None, None, f"{len(frame)} rows", operator=operator)

    def payfit_records(self, ids: Iterable[str] | None = None) -> pd.DataFrame:
        """All Payfit records, :data:`PAYFIT_COLUMNS`, text as ``object`` with ``None`` for missing;
        with ``ids``, only those records (in that order; unknown ids are left out).

        Read once per :meth:`table_version`; each call returns its own copy."""
        return self._frame("payfit_records", f"SELECT {_cols(PAYFIT_COLUMNS)} FROM payfit_records ORDER BY id", ids)

    def equify_accounts(self, ids: Iterable[str] | None = None) -> pd.DataFrame:
        """All Equify accounts: :data:`ACCOUNT_COLUMNS` plus ``origin`` (import|payfit_sync);
        with ``ids``, only those accounts (in that order; unknown ids are left out).

        Read once per :meth:`table_version`; each call returns its own copy."""
        return self._frame(
            "equify_accounts",
            f"SELECT {_cols(ACCOUNT_COLUMNS)}, origin FROM equify_accounts ORDER BY created_at, id",
            ids,
        )

    def table_version(self, table: str) -> str:
        """Changes whenever ``table`` (``payfit_records`` or ``equify_accounts``) changes: a
        narrower key than :attr:`data_version` (an edited account leaves the records' version)."""
        with self._cursor() as cur:
            row = cur.execute(self._table_version_sql(table)).fetchone()
        return "/".join(map(str, row or ()))

    @staticmethod
    def _table_version_sql(table: str) -> str:
        if table == "payfit_records":
            return (
                "SELECT (SELECT max(seq) FROM activity WHERE kind = 'load' AND subject = 'payfit_records'),"
                " (SELECT count(*) FROM payfit_records)"
            )
        if table == "equify_accounts":
            return (
                "SELECT (SELECT max(seq) FROM activity WHERE (kind = 'load' AND subject = 'equify_accounts') OR kind = 'edit'),"
                " (SELECT count(*) FROM equify_accounts), (SELECT max(updated_at) FROM equify_accounts)"
            )
        raise ValueError(f"no version is kept for table {table!r}")

    def _frame(self, table: str, sql: str, ids: Iterable[str] | None = None) -> pd.DataFrame:
        version = self.table_version(table)
        kept = self._frames.get(table)
        if kept is None or kept[0] != version:
            kept = (version, _objects(self.query(sql)).copy())  # the copy is consolidated: later copies are cheap
            self._frames[table] = kept
        if ids is None:
            return kept[1].copy()
        index, wanted = pd.Index(kept[1]["id"]), pd.Index(list(ids)).unique()
        if not index.is_unique:
            return kept[1][index.isin(wanted)].reset_index(drop=True)
        rows = index.get_indexer(wanted)
        return kept[1].iloc[rows[rows >= 0]].reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Row counts: ``payfit_records``, ``equify_accounts``, ``decisions``, ``ledger``, ``push_runs``."""
        tables = ("payfit_records", "equify_accounts", "decisions", "ledger", "push_runs")
        return {t: int(self._scalar(f"SELECT count(*) FROM {t}")) for t in tables}

    def _repr_html_(self) -> str:
        """Jupyter's view: the file and its row counts."""
        from ..display import counts_table

        return "<div>" + counts_table(self.counts(), f"Workspace {self.path}") + "</div>"

    def is_empty(self) -> bool:
        """True when neither Payfit records nor Equify accounts are loaded."""
        c = self.counts()
        return c["payfit_records"] == 0 and c["equify_accounts"] == 0

    # ------------------------------------------------------------------ settings
    def _get_setting(self, key: str) -> Any:
        """The setting's JSON value, or ``None``; :class:`WorkspaceError` when it is not JSON."""
        value = self._scalar("SELECT value FROM settings WHERE key = ?", [key])
        if value is None:
            return None
        try:
            return json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise self._bad_setting(key, value, "not valid JSON") from exc

    def _bad_setting(self, key: str, value: Any, why: str) -> WorkspaceError:
        shown = str(value)
        shown = shown[:60] + "..." if len(shown) > 60 else shown
        return WorkspaceError(
            f"the workspace {self.path}: setting {key!r} is {why} ({shown!r}); set it again "
            "(the Mapping page, or `mapping load`)"
        )

    def _set_setting(self, cur: duckdb.DuckDBPyConnection, key: str, value: Any) -> None:
        cur.execute("DELETE FROM settings WHERE key = ?", [key])
        cur.execute("INSERT INTO settings VALUES (?, ?)", [key, json.dumps(value)])

    def mapping(self) -> FieldMapping:
        """The stored field mapping, or :meth:`FieldMapping.default`."""
        stored = self._get_setting("mapping")
        if not stored:
            return FieldMapping.default()
        if not isinstance(stored, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in stored.items()
        ):
            raise self._bad_setting("mapping", stored, "not a map of Equify fields to Payfit fields")
        transforms = self._get_setting("mapping_transforms") or {}
        if not isinstance(transforms, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in transforms.items()
        ):
            raise self._bad_setting("mapping_transforms", transforms, "not a map of Equify fields to transforms")
        try:
            return FieldMapping.from_dict(stored, transforms)
        except InputError as exc:
            raise self._bad_setting("mapping_transforms", transforms, f"wrong: {exc}") from exc

    def set_mapping(self, mapping: FieldMapping, *, operator: str | None = None) -> None:
        """Store ``mapping``; each field or transform changed is logged with ``operator``.
        Raises :class:`InputError` listing its errors (nothing stored then)."""
        from ..sources.payfit import MAPPABLE_COLUMNS

        errors = [i.message for i in mapping.issues(MAPPABLE_COLUMNS) if i.level == "error"]
        if errors:
            raise InputError("; ".join(errors))
        try:
            previous = self.mapping()
        except WorkspaceError:  # a damaged stored mapping is replaced by this one
            previous = FieldMapping.default()
        before = previous.as_dict()
        who = resolve_operator(operator)
        with self.transaction() as cur:
            self._set_setting(cur, "mapping", mapping.as_dict())
            self._set_setting(cur, "mapping_transforms", dict(mapping.transforms))
            for f, col in mapping.as_dict().items():
                if before.get(f) != col:
                    self._log(cur, "mapping", f, None, before.get(f), col, operator=who)
                if previous.transform(f) != mapping.transform(f):
                    self._log(cur, "transform", f, None, previous.transform(f), mapping.transform(f), operator=who)

    def relation(self) -> Relation:
        """The stored relation (which collaborators are synced), or the default (active employees)."""
        stored = self._get_setting("relation")
        if not stored:
            return Relation()
        fields = {f.name: f.type for f in dataclass_fields(Relation)}
        if (
            not isinstance(stored, dict)
            or not set(stored) <= set(fields)
            or not all(isinstance(v, str if k == "relation" else bool) for k, v in stored.items())
        ):
            raise self._bad_setting("relation", stored, f"not a relation ({', '.join(fields)})")
        return Relation(**stored)

    def set_relation(self, relation: Relation, *, operator: str | None = None) -> None:
        """Store ``relation`` (logged with ``operator``)."""
        who = resolve_operator(operator)
        with self.transaction() as cur:
            self._set_setting(cur, "relation", asdict(relation))
            self._log(cur, "relation", None, None, None, json.dumps(asdict(relation)), operator=who)

    # ------------------------------------------------------------------ approvals
    def approvals(self) -> set[tuple[str, str, str]]:
        """The approved changes of synced accounts: ``{(source_id, field, new value)}``."""
        frame = self.query("SELECT source_id, field, value FROM approvals")
        return {(str(a), str(b), str(c)) for a, b, c in frame.itertuples(index=False)}

    def approve(
        self,
        changes: Iterable[tuple[str, str, str] | tuple[str, str, str, str | None]],
        *,
        operator: str | None = None,
    ) -> int:
        """Approve changes ``(source_id, field, new value[, value before])`` held by the plan (a
        name, the email, the birth date of a synced account), in one transaction, each logged
        with before → after and recorded with who approved it (``operator``); returns how many
        were new. An approval holds for that value only: a later, different value waits again."""
        known = self.approvals()
        fresh: dict[tuple[str, str, str], str | None] = {}
        for change in changes:
            key = (str(change[0]), str(change[1]), str(change[2]))
            if key not in known:
                fresh.setdefault(key, change[3] if len(change) > 3 else None)
        if fresh:
            who = resolve_operator(operator)
            with self.transaction() as cur:
                for (source_id, field, value), before in fresh.items():
                    cur.execute(
                        "INSERT INTO approvals (source_id, field, value, approved_at, operator) VALUES (?, ?, ?, ?, ?)",
                        [source_id, field, value, _now(), who],
                    )
                    self._log(cur, "approve", source_id, field, before, value, operator=who)
        return len(fresh)

    # ------------------------------------------------------------------ decisions
    def decisions(self) -> dict[str, Decision]:
        """Current decisions ``{source_id: Decision}``."""
        frame = self.query("SELECT source_id, action, target_id FROM decisions")
        return {r.source_id: Decision(r.source_id, r.action, clean_text(r.target_id)) for r in frame.itertuples()}

    def decide(self, decisions: list[Decision], *, undoing: int | None = None, operator: str | None = None) -> None:
        """Record decisions (replacing earlier ones for the same records), all or nothing, each
        logged with ``operator`` (default: :func:`~reconcile.operator.default_operator`).

        Raises :class:`InputError` for an unknown Payfit id or Equify account, a
        link without a target, or a link to an account already linked to another
        record (by the ledger or another decision).
        """
        if not decisions:
            return
        known = set(self.query("SELECT id FROM payfit_records")["id"])
        accounts = set(self.query("SELECT id FROM equify_accounts")["id"])
        for d in decisions:
            if d.source_id not in known:
                raise InputError(f"unknown Payfit record {d.source_id!r}")
            if d.action not in ("link", "create", "exclude"):
                raise InputError(f"unknown decision {d.action!r}: use link, create or exclude")
            if d.action == "link" and d.target_id not in accounts:
                raise InputError(f"unknown Equify account {d.target_id!r} for {d.source_id}")
        current = self.decisions()
        claimed: dict[str, str] = {sid: aid for sid, aid in self.ledger().items()}
        claimed.update({sid: d.target_id for sid, d in current.items() if d.action == "link" and d.target_id})
        for d in decisions:  # later decisions in the list replace earlier ones for the same record
            claimed.pop(d.source_id, None)
        for d in decisions:
            if d.action != "link":
                continue
            owner = next((sid for sid, aid in claimed.items() if aid == d.target_id), None)
            if owner is not None:
                raise InputError(f"Equify account {d.target_id} is already linked to Payfit record {owner}")
            claimed[d.source_id] = str(d.target_id)
        who = resolve_operator(operator)
        with self.transaction() as cur:
            for d in decisions:
                old = current.get(d.source_id)
                cur.execute("DELETE FROM decisions WHERE source_id = ?", [d.source_id])
                cur.execute("INSERT INTO decisions VALUES (?, ?, ?, ?)", [d.source_id, d.action, d.target_id, _now()])
                self._log(cur, "decision", d.source_id, None, _describe(old), _describe(d), operator=who)
            self._log_undo(cur, undoing, who)

    def undecide(self, source_ids: list[str], *, undoing: int | None = None, operator: str | None = None) -> int:
        """Remove the decisions of ``source_ids`` (e.g. *remove from excluded*), each logged with
        ``operator``; returns how many."""
        current = self.decisions()
        gone = [s for s in source_ids if s in current]
        if not gone:
            return 0
        who = resolve_operator(operator)
        with self.transaction() as cur:
            for sid in gone:
                cur.execute("DELETE FROM decisions WHERE source_id = ?", [sid])
                self._log(cur, "decision", sid, None, _describe(current[sid]), None, operator=who)
            self._log_undo(cur, undoing, who)
        return len(gone)

    # ------------------------------------------------------------------ edits
    def edit_account(
        self,
        account_id: str,
        field: str,
        value: str | None,
        *,
        undoing: int | None = None,
        operator: str | None = None,
    ) -> tuple[str | None, str | None]:
        """Set one field of one Equify account, validated, logged with ``operator``; returns
        ``(before, after)``.

        Emails are normalised and must have valid syntax; phones must parse.
        Raises :class:`InputError` for an unknown account or field, or an invalid value.
        """
        before, after = self._checked_edit(account_id, field, value)
        if after == before:
            return before, after
        who = resolve_operator(operator)
        with self.transaction() as cur:
            version = self._version_in(cur, "equify_accounts")
            self._write_edit(cur, account_id, field, before, after, who)
            self._log_undo(cur, undoing, who)
            new_version = self._version_in(cur, "equify_accounts")
        self._patch_accounts(version, new_version, [(account_id, field, before, after)])
        return before, after

    def edit_accounts(
        self, edits: list[tuple[str, str, str | None]], *, operator: str | None = None
    ) -> list[tuple[str, str, str | None, str | None]]:
        """Several ``(account_id, field, value)`` edits, all checked first, then written in one
        transaction (all or nothing), each logged with ``operator``. Returns ``(account_id,
        field, before, after)`` of each edit that changed something. Raises :class:`InputError`
        naming the first bad edit."""
        checked = []
        for account_id, field, value in edits:
            try:
                before, after = self._checked_edit(account_id, field, value)
            except InputError as exc:
                raise InputError(f"account {account_id}, {field}: {exc}") from exc
            if after != before:
                checked.append((account_id, field, before, after))
        if checked:
            who = resolve_operator(operator)
            with self.transaction() as cur:
                version = self._version_in(cur, "equify_accounts")
                for account_id, field, before, after in checked:
                    self._write_edit(cur, account_id, field, before, after, who)
                new_version = self._version_in(cur, "equify_accounts")
            self._patch_accounts(version, new_version, checked)
        return checked

    def _version_in(self, cur: duckdb.DuckDBPyConnection, table: str) -> str:
        """:meth:`table_version` as seen inside a transaction."""
        return "/".join(map(str, cur.execute(self._table_version_sql(table)).fetchone() or ()))

    def _patch_accounts(self, before: str, after: str, edits: list[tuple[str, str, str | None, str | None]]) -> None:
        """Once committed edits took the accounts from version ``before`` to ``after``: apply
        them to the kept accounts frame (:meth:`equify_accounts`) if it is at ``before``, so the
        next read needs no query. Both versions are read inside the edit's transaction, so a
        write by anyone else in between leaves the frame at an older version, read again."""
        kept = self._frames.get("equify_accounts")
        if kept is None or kept[0] != before:
            return
        frame = kept[1]
        rows = pd.Index(frame["id"]).get_indexer([e[0] for e in edits])
        if (rows < 0).any():
            self._frames.pop("equify_accounts", None)
            return
        for row, (_account, field, _before, value) in zip(rows.tolist(), edits, strict=True):
            frame.iat[row, frame.columns.get_loc(field)] = value
        self._frames["equify_accounts"] = (after, frame)

    def check_edit(self, account_id: str, field: str, value: str | None) -> tuple[str | None, str | None]:
        """``(before, after)`` of an edit of one account's field, ``after`` normalised as
        :meth:`edit_account` would write it; nothing is written.

        Raises :class:`InputError` for an unknown account or field, or an invalid value."""
        return self._checked_edit(account_id, field, value)

    def _checked_edit(self, account_id: str, field: str, value: str | None) -> tuple[str | None, str | None]:
        """``(before, after)`` of an edit, ``after`` normalised; :class:`InputError` when invalid."""
        if field not in _EDITABLE:
            raise InputError(f"{field!r} is not an editable Equify field ({', '.join(sorted(_EDITABLE))})")
        row = self.query(f'SELECT "{field}" AS v, country FROM equify_accounts WHERE id = ?', [account_id])
        if row.empty:
            raise InputError(f"unknown Equify account {account_id!r}")
        before = clean_text(row["v"].iloc[0])
        after = clean_text(value)
        if field == "email" and after is not None:
            if not email_is_valid(after):
                raise InputError(f"{after!r} is not a valid email address")
            after = normalize_email(after)
        if field == "phoneNumber" and after is not None:
            phone = normalize_phone(after, country_hint=row["country"].iloc[0])
            if phone.e164 is None:
                raise InputError(f"{after!r} is not a phone number that can be read")
            # E.164 only when certain; a number only possible, or valid only in another country, stays as typed
            after = sendable_phone(after, hint=row["country"].iloc[0]) or after
        if field == "birthDate" and after is not None:
            date = normalize_date(after)
            if date is None:
                raise InputError(f"{after!r} is not a date that can be read (e.g. 1985-03-12 or 12/03/1985)")
            after = date
        return before, after

    def _write_edit(
        self,
        cur: duckdb.DuckDBPyConnection,
        account_id: str,
        field: str,
        before: str | None,
        after: str | None,
        operator: str,
    ) -> None:
        cur.execute(
            f'UPDATE equify_accounts SET "{field}" = ?, updated_at = ? WHERE id = ?', [after, _now(), account_id]
        )
        self._log(cur, "edit", account_id, field, before, after, operator=operator)

    def activity(self) -> pd.DataFrame:
        """The activity log, newest first: ``seq``, ``at``, ``kind``, ``subject``, ``field``,
        ``before``, ``after``, ``operator`` (who; ``None`` for entries older than schema version 5).

        An ``undo`` entry's ``subject`` is the ``seq`` of the entry it undid."""
        return self.query(
            'SELECT seq, "at", kind, subject, field, before, after, operator FROM activity ORDER BY seq DESC'
        )

    def undo(self, seq: int, *, operator: str | None = None) -> str:
        """Undo one decision or edit of the activity log: put back its ``before`` value.

        The undo is itself logged with ``operator`` (a decision or edit entry, and an ``undo``
        entry naming ``seq``, in the same transaction). Returns a sentence saying what was undone.
        Raises :class:`InputError` when ``seq`` is no decision or edit, was undone already,
        or the record or field changed again since (undo the later change first).
        """
        found = self.query("SELECT * FROM activity WHERE seq = ?", [int(seq)])
        if found.empty:
            raise InputError(f"there is no activity entry {seq}")
        entry = found.iloc[0]
        kind, subject, field = entry["kind"], entry["subject"], entry["field"]
        before, after = clean_text(entry["before"]), clean_text(entry["after"])
        if kind not in ("decision", "edit"):
            raise InputError(f"only decisions and edits can be undone, not a {kind} entry")
        if not self.query("SELECT 1 FROM activity WHERE kind = 'undo' AND subject = ?", [str(seq)]).empty:
            raise InputError(f"activity entry {seq} was undone already")
        if kind == "decision":
            now = _describe(self.decisions().get(subject))
            if now != after:
                raise InputError(
                    f"the decision on {subject} changed since ({now or 'none'}): undo the later change first"
                )
            if before is None:
                self.undecide([subject], undoing=int(seq), operator=operator)
            else:
                action, _, target = before.partition(" ")
                self.decide(
                    [Decision(subject, action, target or None)],  # type: ignore[arg-type]
                    undoing=int(seq),
                    operator=operator,
                )
            return f"the decision on {subject} is back to {before or 'none'}"
        row = self.query(f'SELECT "{field}" AS v FROM equify_accounts WHERE id = ?', [subject])
        if row.empty:
            raise InputError(f"the Equify account {subject} is no longer in the workspace")
        now = clean_text(row["v"].iloc[0])
        if now != after:
            raise InputError(f"{field} of {subject} changed since ({now or 'empty'}): undo the later change first")
        self.edit_account(subject, field, before, undoing=int(seq), operator=operator)
        return f"{field} of {subject} is back to {before or 'empty'}"

    def _log_undo(self, cur: duckdb.DuckDBPyConnection, seq: int | None, operator: str) -> None:
        if seq is not None:
            self._log(cur, "undo", str(seq), None, None, None, operator=operator)

    @staticmethod
    def _log(
        cur: duckdb.DuckDBPyConnection,
        kind: str,
        subject: str | None,
        field: str | None,
        before: Any,
        after: Any,
        *,
        operator: str,
    ) -> None:
        """One activity entry, with who did it (``operator``, already resolved)."""
        cur.execute(
            'INSERT INTO activity ("at", kind, subject, field, before, after, operator) VALUES (?, ?, ?, ?, ?, ?, ?)',
            [_now(), kind, subject, field, before, after, operator],
        )

    # ------------------------------------------------------------------ ledger and runs
    def ledger(self) -> dict[str, str]:
        """The sync ledger ``{payfit_id: equify_account_id}``."""
        frame = self.query("SELECT source_id, account_id FROM ledger")
        return dict(zip(frame["source_id"], frame["account_id"], strict=True))

    def ledger_values(self) -> dict[str, dict[str, str | None]]:
        """What each sync sent: ``{payfit_id: {field: value}}`` (empty dict when unknown)."""
        frame = self.query("SELECT source_id, source_values FROM ledger")
        out: dict[str, dict[str, str | None]] = {}
        for sid, text in zip(frame["source_id"], frame["source_values"], strict=True):
            try:
                values = json.loads(text) if text else {}
            except (ValueError, RecursionError):
                values = None
            if not isinstance(values, dict):
                raise WorkspaceError(
                    f"the workspace {self.path}: the ledger's source_values of {sid} are not a JSON object "
                    "(the file is damaged)"
                )
            out[sid] = values
        return out

    def push_runs(self) -> pd.DataFrame:
        """Push runs, newest first: ``run_id``, ``started_at``, ``finished_at``, ``status``, ``target``,
        ``totals`` (JSON), ``error``, ``operator`` (who started it; ``None`` for runs older than schema version 5)."""
        return self.query(
            "SELECT run_id, started_at, finished_at, status, target, totals, error, operator"
            " FROM push_runs ORDER BY started_at DESC"
        )

    def journal(self, run_id: str) -> pd.DataFrame:
        """The journal of one run: one row per operation with its status and error."""
        return self.query("SELECT * FROM push_journal WHERE run_id = ? ORDER BY seq", [run_id])


_DATA_TABLES = (
    "payfit_records",
    "equify_accounts",
    "settings",
    "decisions",
    "activity",
    "ledger",
    "push_runs",
    "push_journal",
    "push_claims",
    "target_idempotency",
    "approvals",
)


def _checked(frame: pd.DataFrame, columns: tuple[str, ...], what: str, noun: str) -> pd.DataFrame:
    """``frame``'s ``columns`` (a copy), or :class:`InputError` when one is missing or there is no row."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what} {noun}s lack column(s): {', '.join(missing)}")
    if frame.empty:
        raise InputError(f"no {what} {noun} to load: the workspace keeps the {noun}s it has")
    return frame[list(columns)].copy()


def _payfit_frame(records: pd.DataFrame) -> pd.DataFrame:
    frame = _checked(records, PAYFIT_COLUMNS, "Payfit", "record")
    frame["loaded_at"] = _now()
    return frame


def _equify_frame(accounts: pd.DataFrame) -> pd.DataFrame:
    frame = _checked(accounts, ACCOUNT_COLUMNS, "Equify", "account").astype(object)
    frame["origin"] = "import"
    frame["created_at"] = frame["updated_at"] = _now()
    return frame


def _table_of(stmt: str) -> str | None:
    """The table a statement of :data:`_SCHEMA` makes (the activity table for its sequence)."""
    if stmt.startswith("CREATE TABLE"):
        return stmt.split()[5]
    return "activity" if "activity_seq" in stmt else None


def _table_names() -> list[str]:
    """The tables :data:`_SCHEMA` makes, in order."""
    return [stmt.split()[5] for stmt in _SCHEMA if stmt.startswith("CREATE TABLE")]


def _meta_int(path: str, key: str, value: Any) -> int:
    """``meta``'s ``value`` of ``key`` as a whole number ≥ 0; :class:`WorkspaceError` naming it otherwise."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        shown = value if len(text) <= 40 else text[:40] + "…"
        raise WorkspaceError(
            f"the workspace {path}: meta {key} is {shown!r}, not a whole number of at most 18 digits"
            " (the file is damaged); "
            "restore it from a backup, or give a new workspace file"
        )
    return int(text)


def _cols(names: Iterable[str]) -> str:
    return ", ".join(f'"{c}"' for c in names)


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as ``object`` with ``None`` (not NaN) for missing values."""
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype).startswith("string"):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _describe(d: Decision | None) -> str | None:
    if d is None:
        return None
    return f"{d.action} {d.target_id}" if d.target_id else d.action
