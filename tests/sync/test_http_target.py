"""The *http* target against its reference server on 127.0.0.1 (cases S2 and S3, faults)."""

from __future__ import annotations

import email.utils
import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.push_common import creates_workspace
from reconcile import Workspace, workflow
from reconcile.exceptions import ApiError, AuthError, InputError, RateLimited, RunTargetMismatch
from reconcile.matching.matcher import canonical_source
from reconcile.sync.plan import Plan, build_plan
from reconcile.sync.targets import HttpTarget
from reconcile.testing.equify_server import EquifyServer

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
    from reconcile.http import parse_retry_after

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


# ---------------------------------------------------------------------------- issue 13
def test_get_one_account_and_account_exists(server: EquifyServer) -> None:
    """``GET /accounts/{id}``: the account, or 404 when there is none; the target's
    ``account_exists`` says False only on that 404."""
    target = _target(server)
    made = target.create({"firstName": "Ada"}, idempotency_key="create:pf-1", source_id="pf-1")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        assert http.get(f"/accounts/{made}").json()["firstName"] == "Ada"
        assert http.get("/accounts/eq_nothing").status_code == 404
        assert httpx.get(f"{server.url}/accounts/{made}").status_code == 401
    assert target.account_exists(made) is True
    assert server.delete(made) and target.account_exists(made) is False
    server.faults.fail(10, status=503)
    with pytest.raises(ApiError):  # a doubt is never taken for "gone"
        _target(server, max_attempts=2).account_exists(made)


def _replacing_setup(server: EquifyServer, tmp_path: Path) -> tuple[Workspace, str, Plan]:
    """A workspace pushed once to ``server``; returns it, one record's id and a plan (read before
    that push) that takes the account the push made for a deleted one."""
    ws = Workspace.open(creates_workspace(tmp_path / "ws.duckdb", 5))
    before = workflow.run_match(ws)
    workflow.push_workspace(ws, target=_target(server))
    sid = sorted(ws.ledger())[0]
    mixed = build_plan(
        before, canonical_source(workflow.scoped_source(ws), ws.mapping()), ws.equify_accounts(), ledger=ws.ledger()
    )
    assert all(op.replaces == ws.ledger()[op.source_id] for op in mixed.actionable())
    return ws, sid, mixed


def test_a_replacing_create_is_not_sent_while_the_server_holds_the_account(
    server: EquifyServer, tmp_path: Path
) -> None:
    ws, sid, mixed = _replacing_setup(server, tmp_path)
    try:
        result = workflow.push(ws, mixed, target=_target(server))
        assert (result.created, result.failed) == (0, 0)
        assert len(server.accounts()) == 5 and Counter(a["payfitId"] for a in server.accounts())[sid] == 1
        journal = ws.journal(result.run_id)
        assert set(journal["status"]) == {"skipped"} and journal["error"].str.contains("still exists").all()
    finally:
        ws.close()


def test_a_replacing_create_is_sent_once_the_server_says_404(server: EquifyServer, tmp_path: Path) -> None:
    ws, sid, mixed = _replacing_setup(server, tmp_path)
    try:
        old = ws.ledger()[sid]
        assert server.delete(old)  # deleted in Equify
        result = workflow.push(ws, mixed, target=_target(server))
        assert (result.created, result.failed) == (1, 0)  # only the one that is gone
        accounts = server.accounts()
        assert len(accounts) == 5 and Counter(a["payfitId"] for a in accounts)[sid] == 1
        assert ws.ledger()[sid] != old and ws.ledger()[sid] in {a["id"] for a in accounts}
    finally:
        ws.close()


class _Dying(HttpTarget):
    """An http target whose process "dies" (KeyboardInterrupt) at its ``die_at``-th create."""

    def __init__(self, *args, die_at: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.die_at, self.calls = die_at, 0

    def create(self, values, **kwargs) -> str:
        self.calls += 1
        if self.calls == self.die_at:
            raise KeyboardInterrupt
        return super().create(values, **kwargs)


def test_a_run_is_not_resumed_against_another_url(server: EquifyServer, tmp_path: Path) -> None:
    """Issue 13: a resume to URL B re-sent the in-flight creates. A run is bound to its URL."""
    with EquifyServer(TOKEN) as other, Workspace.open(creates_workspace(tmp_path / "ws.duckdb", 30)) as ws:
        dying = _Dying(server.url, TOKEN, timeout=0.5, backoff=0.01, die_at=12)
        _OPEN.append(dying)
        with pytest.raises(KeyboardInterrupt):
            workflow.push_workspace(ws, target=dying)
        unfinished = workflow.unfinished_run(ws)
        assert unfinished is not None and unfinished.identity == f"http target {server.url}"
        with pytest.raises(RunTargetMismatch, match=other.url.replace(".", r"\.")) as err:
            workflow.push_workspace(ws, target=_target(other))
        assert server.url in str(err.value) and TOKEN not in str(err.value)
        with pytest.raises(RunTargetMismatch):
            workflow.start_push_workspace(ws, target=_target(other))
        assert other.accounts() == []
        result = workflow.push_workspace(ws, target=_target(server))
        assert result.resumed and result.run_id == unfinished.run_id
        accounts = server.accounts()
        assert len(accounts) == 30 and max(Counter(a["payfitId"] for a in accounts).values()) == 1


def test_a_token_refused_mid_run_leaves_the_run_resumable(server: EquifyServer, tmp_path: Path) -> None:
    """The app's worker: a 401 mid-run stops the run without failing it; it shows as cut short
    (with the error), and a push with a good token finishes it."""
    with Workspace.open(creates_workspace(tmp_path / "ws.duckdb", 60)) as ws:
        server.faults.slow(0.02)
        run_id = workflow.start_push_workspace(ws, target=HttpTarget(server.url, TOKEN, timeout=2), owns_target=True)
        deadline = time.monotonic() + 30
        while len(server.accounts()) < 10:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        server.token = "rotated-token-FICTITIOUS"  # the old one is revoked mid-run
        while workflow.run_progress(ws, run_id).live:
            assert time.monotonic() < deadline + 30
            time.sleep(0.02)
        progress = workflow.run_progress(ws, run_id)
        assert progress.status == "interrupted" and progress.pending > 0
        assert "refused the bearer token" in (progress.error or "")
        unfinished = workflow.unfinished_run(ws)
        assert unfinished is not None and unfinished.run_id == run_id
        server.faults.slow(0)
        again = workflow.start_push_workspace(
            ws, target=HttpTarget(server.url, "rotated-token-FICTITIOUS"), owns_target=True
        )
        assert again == run_id
        while workflow.run_progress(ws, run_id).live:
            time.sleep(0.02)
        final = workflow.run_progress(ws, run_id)
        assert (final.status, final.pending, final.failed, final.error) == ("done", 0, 0, None)
        accounts = server.accounts()
        assert len(accounts) == 60 and max(Counter(a["payfitId"] for a in accounts).values()) == 1


def test_the_token_never_leaves_in_an_echoed_answer(
    server: EquifyServer, tmp_path: Path, demo_cli, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that echoes the request's headers in its errors (4xx per row, 5xx retried) puts
    the token in no exception, journal row, run, log record or ``history`` output."""
    caplog.set_level(logging.DEBUG)
    target = _target(server, max_attempts=2)
    server.faults.echo_headers(1, status=400)
    with pytest.raises(ApiError) as err:
        target.create({"firstName": "Ada"}, idempotency_key="create:pf-x", source_id="pf-x")
    assert "headers:" in str(err.value) and "Bearer ***" in str(err.value) and TOKEN not in str(err.value)
    server.faults.echo_headers(2, status=502)
    with pytest.raises(ApiError) as err:
        target.create({"firstName": "Ada"}, idempotency_key="create:pf-y", source_id="pf-y")
    assert "headers:" in str(err.value) and TOKEN not in str(err.value)
    assert TOKEN not in repr(target) and TOKEN not in repr(vars(target))

    path = demo_cli.path
    with Workspace.open(path) as ws:
        server.faults.echo_headers(40, status=422, after=1)  # the check passes, then rows echo
        result = workflow.push_workspace(ws, target=_target(server), skip_conflicts=True)
        assert result.failed >= 20
        journal = ws.query("SELECT * FROM push_journal")
        assert journal["error"].str.contains("headers:").sum() >= 20
        for table in ("push_journal", "push_runs", "push_claims", "activity", "settings", "meta"):
            dump = ws.query(f"SELECT * FROM {table}").to_csv()
            assert TOKEN not in dump, table
    for args in (("history", "--json"), ("history",), ("history", result.run_id), ("history", result.run_id, "--json")):
        code, out, err_text = demo_cli(*args)
        assert code == 0 and TOKEN not in out + err_text, args
    assert "headers:" in demo_cli("history", result.run_id)[1]
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "headers:" in logged and TOKEN not in logged
