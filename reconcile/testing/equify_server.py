"""The reference server of the *http* target's REST contract, on 127.0.0.1 (stdlib only).

Equify documents no public API (domain.md §4), so the *http* target speaks this project's own
contract, and this server implements it for tests, demos and benchmarks:

* ``GET /accounts?cursor=...&limit=...`` → ``{"accounts": [...], "next_cursor": "..." | null}``
  (``limit`` default 100, at most 1,000; accounts in creation order);
* ``POST /accounts`` with header ``Idempotency-Key: <key>`` and a JSON account body →
  ``201`` with the account (``id`` assigned by the server); the same key again → ``200`` with
  the account the first request made, never a second one; no key → ``400``;
* ``GET /accounts/{id}`` → ``200`` with the account; ``404`` when no such account exists (a
  push sends a create that replaces a deleted account only after this answer);
* ``PATCH /accounts/{id}`` with the changed fields → ``200`` with the account; unknown → ``404``;
* every request needs ``Authorization: Bearer <token>`` (``401`` otherwise); bodies of errors
  are ``{"message": "..."}``.

Accounts are stored in SQLite (a file, or memory), so a test can read what a push really made.

Faults are switched at run time through :attr:`EquifyServer.faults` (:class:`EquifyFaults`,
thread-safe), in arrival order or at random: ``429`` with ``Retry-After`` in seconds or as an
HTTP date, ``5xx``, a *timeout after commit* (a create is stored, then the answer comes after
the client gave up), slow answers, and *echo* (an error answer whose message repeats the
request's headers, the bearer token included, as careless servers do).

Run by hand: ``python -m reconcile.testing.equify_server --port 8800 --token demo-token --seed
reconcile/demo/equify_accounts.csv`` (the demo's Equify accounts, so the demo's links succeed).
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .faults import FaultHarness

__all__ = ["EquifyFaults", "EquifyServer"]

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class EquifyFaults(FaultHarness):
    """Switchable faults of an :class:`EquifyServer` (:class:`~reconcile.testing.faults.FaultHarness`:
    :meth:`throttle`, :meth:`fail`, :meth:`slow`, :meth:`random`, planned in arrival order), plus
    the Equify side's own: a create stored but answered after the client gave up, and an answer
    that echoes the request's headers. A :meth:`throttle` sends ``Retry-After: 1`` unless told."""

    default_retry_after = "1"

    def timeout_after_commit(self, count: int = 1, *, hang: float | None = None, after: int = 0) -> None:
        """The next ``count`` requests are carried out (a create is stored), then answered only
        after ``hang`` seconds (default :attr:`hang`, 2 s): longer than the client waits."""
        with self._lock:
            if hang is not None:
                self.hang = float(hang)
            self.plan("timeout", count, after=after, status=200)

    def echo_headers(self, count: int = 1, *, status: int = 400, after: int = 0) -> None:
        """The next ``count`` requests answer ``status`` (default 400; 5xx ones are retried) with a
        message that repeats the request's method, path and headers, ``Authorization`` included."""
        self.plan("echo", count, after=after, status=status)


class _Store:
    """The accounts in SQLite, one lock for every access."""

    def __init__(self, path: str | Path | None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS accounts (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,"
            " idempotency_key TEXT UNIQUE, body TEXT NOT NULL)"
        )

    def seed(self, accounts: list[dict[str, Any]]) -> int:
        """Add existing accounts (each with its ``id``) unless present; returns how many were added."""
        added = 0
        with self._lock:
            for account in accounts:
                body = {k: v for k, v in account.items() if v is not None}
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO accounts (id, idempotency_key, body) VALUES (?, NULL, ?)",
                    [str(account["id"]), json.dumps(body, ensure_ascii=False)],
                )
                added += cur.rowcount
        return added

    def create(self, key: str, fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """``(account, created)``: the account of ``key``, made now when the key is new."""
        with self._lock:
            row = self._db.execute("SELECT body FROM accounts WHERE idempotency_key = ?", [key]).fetchone()
            if row is not None:
                return json.loads(row[0]), False
            account = {**fields, "id": "eq_" + uuid.uuid4().hex[:12]}
            self._db.execute(
                "INSERT INTO accounts (id, idempotency_key, body) VALUES (?, ?, ?)",
                [account["id"], key, json.dumps(account, ensure_ascii=False)],
            )
            return account, True

    def update(self, account_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM accounts WHERE id = ?", [account_id]).fetchone()
            if row is None:
                return None
            account = {**json.loads(row[0]), **fields, "id": account_id}
            self._db.execute(
                "UPDATE accounts SET body = ? WHERE id = ?", [json.dumps(account, ensure_ascii=False), account_id]
            )
            return account

    def page(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, body FROM accounts WHERE seq > ? ORDER BY seq LIMIT ?", [cursor, limit + 1]
            ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return [json.loads(b) for _, b in rows], (rows[-1][0] if more else None)

    def get(self, account_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM accounts WHERE id = ?", [account_id]).fetchone()
        return None if row is None else json.loads(row[0])

    def delete(self, account_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM accounts WHERE id = ?", [account_id]).rowcount > 0

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(b) for (b,) in self._db.execute("SELECT body FROM accounts ORDER BY seq")]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class EquifyServer:
    """The *http* target's reference server (see the module doc), on ``127.0.0.1``.

    ``token``: the bearer token it accepts. ``path``: the SQLite file of its accounts (memory
    when ``None``; a file keeps them across restarts). ``port``: 0 picks a free one. ``seed``:
    accounts it already holds (dicts with their ``id``, e.g. an Equify export's rows), so
    links and updates to them succeed. Use as a context manager, or :meth:`start` /
    :meth:`stop`; :attr:`url` is the base URL.
    """

    def __init__(
        self, token: str, *, path: str | Path | None = None, port: int = 0, seed: list[dict[str, Any]] | None = None
    ) -> None:
        self.token = token
        self.faults = EquifyFaults()
        self.requests = 0
        self._store = _Store(path)
        if seed:
            self._store.seed(seed)
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.app = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._httpd.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server: (host, port), the host as text
        return f"http://{host}:{port}"

    def start(self) -> EquifyServer:
        """Serve in a daemon thread; returns ``self``."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="equify-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the store."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._store.close()

    def __enter__(self) -> EquifyServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def accounts(self) -> list[dict[str, Any]]:
        """Every account stored, in creation order (what a test checks a push against)."""
        return self._store.all()

    def delete(self, account_id: str) -> bool:
        """Remove an account, as a person deleting it in Equify would (not part of the REST
        contract: tests and demos call it); True when it existed."""
        return self._store.delete(account_id)

    # -- one request (called by the handler's thread)
    def handle(
        self, method: str, target: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str], float]:
        """``(status, json body, extra headers, seconds to hang before answering)``."""
        self.requests += 1
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"message": "invalid or missing bearer token"}, {}, 0.0
        delay, fault = self.faults.take()
        if delay:
            time.sleep(delay)
        answered = _fault_answer(fault, method, target, headers)
        if answered is not None:
            return answered
        hang = fault.hang if fault is not None and fault.kind == "timeout" else 0.0
        return self._route(method, target, headers, body, hang)

    def _route(
        self, method: str, target: str, headers: Any, body: bytes, hang: float
    ) -> tuple[int, dict[str, Any], dict[str, str], float]:
        """The REST contract's answer to one request (no fault)."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/")
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, {"message": "the body is not JSON"}, {}, hang
        if path == "/accounts" and method == "GET":
            query = parse_qs(parts.query)
            try:
                cursor = int((query.get("cursor") or ["0"])[0] or 0)
                limit = min(MAX_LIMIT, max(1, int((query.get("limit") or [str(DEFAULT_LIMIT)])[0])))
            except ValueError:
                return 400, {"message": "cursor and limit must be integers"}, {}, hang
            accounts, nxt = self._store.page(cursor, limit)
            return 200, {"accounts": accounts, "next_cursor": None if nxt is None else str(nxt)}, {}, hang
        if path == "/accounts" and method == "POST":
            key = headers.get("Idempotency-Key")
            if not key:
                return 400, {"message": "the Idempotency-Key header is required"}, {}, hang
            if not isinstance(payload, dict) or not payload:
                return 400, {"message": "the body must be a JSON object with the account's fields"}, {}, hang
            account, created = self._store.create(key, {k: v for k, v in payload.items() if k != "id"})
            return (201 if created else 200), account, {}, hang
        if path.startswith("/accounts/") and method == "GET":
            found = self._store.get(path.removeprefix("/accounts/"))
            if found is None:
                return 404, {"message": "no such account"}, {}, hang
            return 200, found, {}, hang
        if path.startswith("/accounts/") and method == "PATCH":
            if not isinstance(payload, dict):
                return 400, {"message": "the body must be a JSON object"}, {}, hang
            updated = self._store.update(
                path.removeprefix("/accounts/"), {k: v for k, v in payload.items() if k != "id"}
            )
            if updated is None:
                return 404, {"message": "no such account"}, {}, hang
            return 200, updated, {}, hang
        return 404, {"message": f"no route {method} {path}"}, {}, hang


def _fault_answer(
    fault: Any, method: str, target: str, headers: Any
) -> tuple[int, dict[str, Any], dict[str, str], float] | None:
    """The answer a planted fault gives instead of the contract's (429, 5xx, an echo of the
    headers), or ``None`` when there is no such fault."""
    if fault is None:
        return None
    if fault.kind == "429":
        extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return 429, {"message": "too many requests"}, extra, 0.0
    if fault.kind == "5xx":
        return fault.status, {"message": "internal error"}, {}, 0.0
    if fault.kind == "echo":
        echoed = "; ".join(f"{name}: {value}" for name, value in headers.items())
        return fault.status, {"message": f"cannot handle {method} {target} (headers: {echoed})"}, {}, 0.0
    return None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: EquifyServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed, timed out) is no server error: logged, not printed."""
        logger.debug("equify server: connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client went away mid-request (killed): nothing to carry out
            self.close_connection = True
            return
        status, answer, extra, hang = self.server.app.handle(method, self.path, self.headers, body)
        if hang:
            time.sleep(hang)  # the work is done; the client has given up by now
        data = json.dumps(answer, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._serve("PATCH")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
        logger.debug("equify server: " + format, *args)


def main(argv: list[str] | None = None) -> None:
    """``python -m reconcile.testing.equify_server --port 8800 --token T [--db accounts.sqlite] [--seed accounts.csv] [--fault-rate 0.2]``."""
    parser = argparse.ArgumentParser(description="The http target's reference server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--token", required=True, help="the bearer token to accept")
    parser.add_argument("--db", help="SQLite file for the accounts (default: memory)")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests meeting a random fault (0-1)")
    parser.add_argument(
        "--seed",
        type=Path,
        help="an Equify accounts export (.csv/.xlsx) whose accounts the server holds from the start",
    )
    args = parser.parse_args(argv)
    seed = None
    if args.seed:
        from ..sources.equify import read_equify_file

        frame = read_equify_file(args.seed).frame
        seed = [{k: v for k, v in row.items() if v is not None} for row in frame.to_dict("records")]
    server = EquifyServer(args.token, path=args.db, port=args.port, seed=seed)
    if args.fault_rate:
        server.faults.random(args.fault_rate)
    sys.stdout.write(f"Equify reference server on {server.url}\n")
    sys.stdout.flush()
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
