"""The *http* target against its reference server on 127.0.0.1 (cases S2 and S3, faults)."""

from __future__ import annotations

import email.utils
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.push_common import creates_workspace
from reconcile import Workspace, workflow
from reconcile.equify_server import EquifyServer
from reconcile.exceptions import ApiError, AuthError, InputError, RateLimited
from reconcile.targets import HttpTarget

TOKEN = "eq_test_token-FICTITIOUS-41c2"


_OPEN: list[HttpTarget] = []


@pytest.fixture
def server() -> Iterator[EquifyServer]:
    with EquifyServer(TOKEN) as srv:
        yield srv
    while _OPEN:
        _OPEN.pop().close()


def _target(server: EquifyServer, **kwargs) -> HttpTarget:
    """A target on ``server`` with short timeouts, closed after the test."""
    kwargs.setdefault("timeout", 0.5)
    kwargs.setdefault("backoff", 0.01)
    target = HttpTarget(server.url, TOKEN, **kwargs)
    _OPEN.append(target)
    return target


# ---------------------------------------------------------------------------- the contract
def test_reference_server_contract(server: EquifyServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/accounts").status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert http.post("/accounts", json={"firstName": "A"}, headers=auth).status_code == 400  # no key
        first = http.post("/accounts", json={"firstName": "Jean"}, headers={**auth, "Idempotency-Key": "k1"})
        again = http.post("/accounts", json={"firstName": "Autre"}, headers={**auth, "Idempotency-Key": "k1"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json() and first.json()["firstName"] == "Jean"
        patched = http.patch(f"/accounts/{first.json()['id']}", json={"email": "j@example.fr"}, headers=auth)
        assert patched.status_code == 200 and patched.json()["email"] == "j@example.fr"
        assert http.patch("/accounts/nope", json={}, headers=auth).status_code == 404
        for k in range(2, 6):
            http.post("/accounts", json={"n": k}, headers={**auth, "Idempotency-Key": f"k{k}"})
        page = http.get("/accounts", params={"limit": 2}, headers=auth).json()
        assert len(page["accounts"]) == 2 and page["next_cursor"]
    target = _target(server)
    assert [a.get("n") for a in target.accounts(limit=2)] == [None, 2, 3, 4, 5]  # every page followed


def test_http_target_refuses_bad_settings_and_hides_the_token(server: EquifyServer) -> None:
    with pytest.raises(InputError, match="http://"):
        HttpTarget("ftp://x", TOKEN)
    with pytest.raises(InputError, match="token"):
        HttpTarget(server.url, "")
    assert TOKEN not in repr(_target(server))
    with pytest.raises(AuthError), HttpTarget(server.url, "wrong") as wrong:
        wrong.create({}, idempotency_key="k", source_id="p1")


# ---------------------------------------------------------------------------- S2
def test_s2_timeout_after_the_server_saved_gives_exactly_one_account(server: EquifyServer) -> None:
    """S2: the create for j.dupont@example.fr is stored, then answered after the client gave up;
    the retry with the same idempotency key gets the same account: exactly one."""
    server.faults.timeout_after_commit(1, hang=1.5)
    target = _target(server, timeout=0.3)
    values = {"firstName": "Jean", "lastName": "Dupont", "email": "j.dupont@example.fr"}
    account_id = target.create(values, idempotency_key="create:p-dupont", source_id="p-dupont")
    stored = [a for a in server.accounts() if a.get("email") == "j.dupont@example.fr"]
    assert len(stored) == 1 and stored[0]["id"] == account_id and stored[0]["payfitId"] == "p-dupont"
    assert server.faults.served == {"timeout": 1} and len(target.waits) == 1


def test_s2_through_a_push(server: EquifyServer, tmp_path: Path) -> None:
    path = creates_workspace(tmp_path / "ws.duckdb", 20)
    server.faults.timeout_after_commit(3, hang=1.0, after=4)
    with Workspace.open(path) as ws:
        result = workflow.push_workspace(ws, target=_target(server, timeout=0.25))
        assert (result.created, result.failed) == (20, 0)
        ledger = ws.ledger()
    accounts = server.accounts()
    assert len(accounts) == 20
    assert Counter(a["payfitId"] for a in accounts).most_common(1)[0][1] == 1
    assert {a["id"] for a in accounts} == set(ledger.values())


# ---------------------------------------------------------------------------- S3
def test_s3_retry_after_in_seconds_is_waited(server: EquifyServer) -> None:
    """S3: a 429 with ``Retry-After: 0.5`` → the retry comes at least 0.5 s later."""
    server.faults.throttle(1, retry_after="0.5")
    target = _target(server)
    started = time.monotonic()
    target.create({"firstName": "A"}, idempotency_key="k", source_id="p1")
    assert time.monotonic() - started >= 0.5
    assert target.waits == [0.5]


def test_s3_retry_after_as_an_http_date_is_waited_and_capped(server: EquifyServer) -> None:
    """S3: a 429 with an HTTP date 30 s ahead → about 30 s (the sleep is recorded, not slept);
    a cap below it wins."""
    slept: list[float] = []
    server.faults.throttle(1, date_in=30)
    _target(server, sleep=slept.append).create({"firstName": "A"}, idempotency_key="k1", source_id="p1")
    assert len(slept) == 1 and 28.5 <= slept[0] <= 31.0
    slept.clear()
    server.faults.throttle(1, date_in=30)
    _target(server, sleep=slept.append, max_wait=5).create({"firstName": "B"}, idempotency_key="k2", source_id="p2")
    assert slept == [5]


def test_s3_retry_after_date_parsing_matches_the_header() -> None:
    """The wait read from a date header is the distance to that date (the server sends whole seconds)."""
    from reconcile.payfit_api import parse_retry_after

    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert 29.0 <= parse_retry_after(header, now=now) <= 30.0


def test_s3_rows_still_throttled_are_reported_failed_and_the_others_go_on(server: EquifyServer, tmp_path: Path) -> None:
    """429s that outlast the attempts: that row is failed with its error, never dropped; the
    next rows are sent; a later push sends the failed row again."""
    path = creates_workspace(tmp_path / "ws.duckdb", 6)
    server.faults.throttle(3, retry_after="0", after=2)  # the third create meets 3 × 429
    with Workspace.open(path) as ws:
        result = workflow.push_workspace(ws, target=_target(server, max_attempts=3))
        assert (result.created, result.failed) == (5, 1)
        journal = ws.journal(result.run_id)
        failed = journal[journal["status"] == "failed"]
        assert len(failed) == 1 and "429" in failed["error"].iloc[0]
        assert set(journal["status"]) == {"done", "failed"}  # nothing left pending
        again = workflow.push_workspace(ws, target=_target(server))
        assert (again.created, again.failed) == (1, 0)
    assert len(server.accounts()) == 6


def test_rate_limited_error_names_the_request(server: EquifyServer) -> None:
    server.faults.throttle(5, retry_after="0")
    with pytest.raises(RateLimited, match="429"):
        _target(server, max_attempts=2).create({}, idempotency_key="k", source_id="p")
    server.faults.reset()
    server.faults.fail(5, status=503)
    with pytest.raises(ApiError, match="503") as err:
        _target(server, max_attempts=2).create({}, idempotency_key="k2", source_id="p2")
    assert err.value.status == 503


# ---------------------------------------------------------------------------- faults at 20 %
def test_faults_at_20_percent_make_no_duplicate_and_lose_nothing(server: EquifyServer, tmp_path: Path) -> None:
    """429, 500 and timeouts after commit on 20 % of the requests over 300 creates (1,000 in
    bench/push_crash.py): every row is done or reported failed, no account twice."""
    n = 300
    path = creates_workspace(tmp_path / "ws.duckdb", n)
    server.faults.random(0.2, seed=3)
    server.faults.hang = 0.3
    with Workspace.open(path) as ws:
        result = workflow.push_workspace(ws, target=_target(server, timeout=0.15, max_attempts=8))
        journal = ws.journal(result.run_id)
        assert set(journal["status"]) <= {"done", "failed"}
        assert result.created + result.failed == n
        done = journal[journal["status"] == "done"]
    accounts = server.accounts()
    by_payfit = Counter(a["payfitId"] for a in accounts)
    assert max(by_payfit.values()) == 1  # no duplicate
    assert set(done["source_id"]) <= set(by_payfit)  # every done row has its account
    assert set(server.faults.served) == {"429", "5xx", "timeout"}
    assert result.created >= n - 5  # with 8 attempts, a row failing 8 times at 20 % is rare


def test_a_request_cut_mid_body_creates_nothing(server: EquifyServer) -> None:
    """A client killed after sending the headers of a create but before its body: the server
    must not store an empty account (found by bench/push_crash.py)."""
    import socket

    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            (
                "POST /accounts HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {TOKEN}\r\nIdempotency-Key: k-cut\r\n"
                'Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{"firstName"'
            ).encode()
        )
    time.sleep(0.3)
    assert server.accounts() == []
    with httpx.Client(base_url=server.url) as http:
        empty = http.post(
            "/accounts", content=b"", headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "k0"}
        )
    assert empty.status_code == 400 and server.accounts() == []
