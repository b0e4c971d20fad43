"""PayfitClient against the loopback Payfit-compatible server (real sockets, no internet).

Fixtures build on each other: ``collaborators`` (537 fictitious ones) → ``server`` (a running
:class:`PayfitServer` enforcing 50 requests/s) → ``client`` (a :class:`PayfitClient` on it,
``max_rps=50``). Faults are switched on ``server.faults``. ``httpx.MockTransport`` is used only
for two narrow unit tests at the end.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconcile.exceptions import ApiError, AuthError, InputError, RateLimited, ScopeError
from reconcile.http import parse_retry_after
from reconcile.sources.payfit import PAYFIT_COLUMNS
from reconcile.sources.payfit_api import FetchState, PayfitClient, join_contracts
from reconcile.testing.payfit_server import PayfitServer, fake_collaborators

KEY = "pk_test_5f3a9c0d1e2b-FICTITIOUS"  # distinctive, so a leak is easy to spot
COMPANY = "acme-demo"


@pytest.fixture(scope="module")
def collaborators() -> list[dict[str, Any]]:
    """537 fictitious collaborators: 11 pages of 50."""
    return fake_collaborators(537, seed=7)


@pytest.fixture
def server(collaborators: list[dict[str, Any]]) -> Iterator[PayfitServer]:
    """A running server for ``collaborators`` (key ``KEY``, company ``COMPANY``, 50 requests/s)."""
    with PayfitServer(collaborators, api_key=KEY, company_id=COMPANY, rate_limit_rps=50) as srv:
        yield srv


def make_client(server: PayfitServer, **kwargs: Any) -> PayfitClient:
    options: dict[str, Any] = {"api_url": server.url, "oauth_url": server.oauth_url, "max_rps": 50.0, "backoff": 0.05}
    options.update(kwargs)
    return PayfitClient(options.pop("api_key", KEY), **options)


@pytest.fixture
def client(server: PayfitServer) -> Iterator[PayfitClient]:
    """A client of ``server`` pacing itself at 50 requests/s (short backoff for fast tests)."""
    with make_client(server) as c:
        yield c


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.monotonic()
    out = fn(*args, **kwargs)
    return out, time.monotonic() - started


# --------------------------------------------------------------------------- paging and joins


def test_paging_reads_every_page_once(client: PayfitClient, server: PayfitServer, collaborators):
    got = list(client.iter_collaborators(COMPANY))
    assert [c["id"] for c in got] == [c["id"] for c in collaborators]  # all ids, once, in order
    assert server.requests == 11 and server.by_status == {200: 11}


def test_server_pages_like_payfit(server: PayfitServer):
    """The server's own contract: default page 10, larger than 50 served as 50, bad token 400."""
    url = f"{server.url}/companies/{COMPANY}/collaborators"
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(headers=auth) as http:
        first = http.get(url).json()
        assert len(first["collaborators"]) == 10 and first["meta"]["nextPageToken"]
        big = http.get(url, params={"maxResults": 500})
        assert len(big.json()["collaborators"]) == 50
        assert big.headers["X-RateLimit-Limit-Second"] == "50"
        assert http.get(url, params={"nextPageToken": "forged"}).status_code == 400
        one = http.get(f"{url}/{first['collaborators'][3]['id']}").json()
        assert one["id"] == first["collaborators"][3]["id"]
        assert http.get(f"{url}/nope").status_code == 404


def test_fetch_company_joins_contracts_and_reports_progress(client: PayfitClient, server: PayfitServer, collaborators):
    calls: list[tuple[int, int | None]] = []
    result = client.fetch_company(progress=lambda done, total: calls.append((done, total)))
    assert result.company_id == COMPANY and len(result.collaborators) == 537
    assert result.requests == 1 + 11 + contract_pages(collaborators) and result.throttled == 0
    assert calls[0] == (50, None) and calls[-1] == (537, 537)
    source = {c["id"]: c for c in collaborators}
    for got in result.collaborators:
        expected = source[got["id"]]["contracts"]
        assert [k["id"] for k in got["contracts"]] == [k["id"] for k in expected]
        for k, want in zip(got["contracts"], expected, strict=True):
            assert k["jobName"] == want["jobName"]  # served by /contracts only, joined by the client
            assert (k["status"], k["startDate"], k["endDate"]) == (want["status"], want["startDate"], want["endDate"])


def test_fetch_records_adds_the_current_job(client: PayfitClient, collaborators):
    frame = client.fetch_records()
    assert set(PAYFIT_COLUMNS) <= set(frame.columns) and len(frame) == 537
    rehired = next(c for c in collaborators if len(c["contracts"]) == 2)
    row = frame.set_index("id").loc[rehired["id"]]
    assert row["contractStatus"] == "ACTIVE" and row["jobName"] == rehired["contracts"][1]["jobName"]
    admin = next(c for c in collaborators if not c["contracts"])
    assert frame.set_index("id").loc[admin["id"], "jobName"] is None


def test_contracts_come_from_contracts_when_collaborators_hide_them(client: PayfitClient, server: PayfitServer):
    server.faults.drop_scope("collaborators:contracts:read")  # the collaborators' contracts are null
    result = client.fetch_company(company_id=COMPANY)
    with_contracts = [c for c in result.collaborators if c["contracts"]]
    assert len(with_contracts) > 500 and all("jobName" in k for c in with_contracts for k in c["contracts"])


@pytest.mark.parametrize(
    ("own", "records", "expected"),
    [
        # own non-null fields kept, null ones filled, jobName added
        (
            [{"id": "k1", "status": "ACTIVE", "endDate": None}],
            [{"contractId": "k1", "collaboratorId": "c", "status": "ended", "endDate": "2024-01-31", "jobName": "Dev"}],
            [{"id": "k1", "status": "ACTIVE", "endDate": "2024-01-31", "jobName": "Dev"}],
        ),
        # a contract only /contracts knows is appended
        (
            None,
            [{"contractId": "k2", "collaboratorId": "c", "status": "ACTIVE", "jobName": "PM"}],
            [{"id": "k2", "status": "ACTIVE", "jobName": "PM"}],
        ),
        # records of another collaborator are ignored, the collaborator is unchanged
        ([{"id": "k1"}], [{"contractId": "k9", "collaboratorId": "other"}], [{"id": "k1"}]),
    ],
)
def test_join_contracts(own, records, expected):
    collaborator = {"id": "c", "contracts": own}
    snapshot = json.dumps(collaborator)
    assert join_contracts([collaborator], records)[0]["contracts"] == expected
    assert json.dumps(collaborator) == snapshot  # inputs untouched


# --------------------------------------------------------------------------- introspection


def test_introspection_with_a_json_body(client: PayfitClient, server: PayfitServer):
    info = client.introspect()
    assert (info.active, info.company_id, info.client_id) == (True, COMPANY, "demo-client")
    assert "collaborators:read" in info.scopes and "contracts:read" in info.scopes
    assert server.by_status == {200: 1}


def test_introspection_falls_back_to_a_form_body(client: PayfitClient, server: PayfitServer):
    server.faults.reject_json()
    assert client.introspect().company_id == COMPANY
    assert server.by_status == {415: 1, 200: 1}


def test_inactive_key_is_an_auth_error(client: PayfitClient, server: PayfitServer):
    server.faults.revoke_key()
    with pytest.raises(AuthError):
        client.introspect()
    with make_client(server, api_key="another-key") as stranger, pytest.raises(AuthError, match="invalid or revoked"):
        stranger.introspect()  # a wrong bearer: 401


# --------------------------------------------------------------------------- 429, 5xx, timeouts


@pytest.mark.parametrize(
    ("retry_after", "date_in", "low", "high"),
    [
        ("1", None, 0.95, 1.6),  # integer seconds
        ("0.2", None, 0.19, 0.8),  # fractional seconds
        (None, 1.0, 0.95, 2.5),  # an HTTP date ~1-2 s ahead (whole seconds, rounded up by the server)
        (None, -30.0, 0.0, 0.5),  # a date in the past: retry now
    ],
    ids=["seconds", "fractional", "http-date", "past-date"],
)
def test_429_honours_retry_after(client: PayfitClient, server: PayfitServer, retry_after, date_in, low, high):
    server.faults.throttle(1, retry_after=retry_after, date_in=date_in, ratelimit_headers=False)
    got, seconds = timed(lambda: list(client.iter_collaborators(COMPANY)))
    assert len(got) == 537
    assert low <= seconds <= high + 11 / 47.5
    assert client.throttled == 1 and server.throttled == 1


def test_429_with_rate_headers_only_waits_a_rate_window(client: PayfitClient, server: PayfitServer):
    server.faults.throttle(1)  # X-RateLimit-Remaining-Second: 0, no Retry-After
    _, seconds = timed(client.introspect)
    assert 0.95 <= seconds <= 1.5 and server.by_status == {429: 1, 200: 1}


def test_429_without_any_hint_backs_off(client: PayfitClient, server: PayfitServer):
    server.faults.throttle(2, ratelimit_headers=False)
    _, seconds = timed(client.introspect)
    assert seconds < 0.5 and server.by_status == {429: 2, 200: 1}  # full jitter within 0.05, 0.1 s


def test_500_then_recovery(client: PayfitClient, server: PayfitServer):
    server.faults.fail(2, status=500)
    server.faults.fail(1, status=503, retry_after="0.1")
    assert len(list(client.iter_collaborators(COMPANY))) == 537
    assert server.by_status == {500: 2, 503: 1, 200: 11}


def contract_pages(collaborators: list[dict[str, Any]], size: int = 50) -> int:
    return -(-sum(len(c["contracts"]) for c in collaborators) // size)


def test_bounded_attempts_keep_the_rows_and_resume(server: PayfitServer, collaborators):
    server.faults.throttle(50, retry_after="0", after=4)  # introspection + 3 pages pass, then 429s
    state = FetchState()
    with make_client(server, max_attempts=3) as client:
        with pytest.raises(RateLimited, match="429") as caught:
            client.fetch_company(state=state)
        assert caught.value.status == 429 and server.by_status == {200: 4, 429: 3}
        assert len(state.collaborators) == 150 and state.collaborators_token  # rows received are kept
        server.faults.reset()
        server.reset_counters()
        result = client.fetch_company(state=state)
    assert [c["id"] for c in result.collaborators] == [c["id"] for c in collaborators]
    assert server.requests == 8 + contract_pages(collaborators)  # the 8 collaborators pages left, the contracts


def test_server_errors_give_up_after_the_bounded_attempts(server: PayfitServer):
    server.faults.fail(10, status=502)
    with make_client(server, max_attempts=3) as client, pytest.raises(ApiError) as caught:
        client.introspect()
    assert caught.value.status == 502 and "3 attempt" in str(caught.value) and server.requests == 3


def test_timeouts_are_retried_then_reported(server: PayfitServer):
    server.faults.slow(0.6, count=1)
    with make_client(server, timeout=0.2, max_attempts=3) as client:
        assert client.introspect().company_id == COMPANY  # the second attempt is fast
        server.faults.slow(0.6)
        with pytest.raises(ApiError, match=r"no answer within 0\.2 s") as caught:
            client.introspect()
    assert caught.value.status is None and not isinstance(caught.value, RateLimited)


# --------------------------------------------------------------------------- 4xx: never retried


def test_401_is_reported_and_never_retried(server: PayfitServer):
    with make_client(server, api_key="wrong-key") as client, pytest.raises(AuthError) as caught:
        list(client.iter_collaborators(COMPANY))
    assert str(caught.value) == "the API key is invalid or revoked" and server.requests == 1


@pytest.mark.parametrize(
    ("scope", "call"),
    [
        ("collaborators:read", lambda c: list(c.iter_collaborators(COMPANY))),
        ("contracts:read", lambda c: c.fetch_company(company_id=COMPANY)),
    ],
)
def test_403_names_the_missing_scope(client: PayfitClient, server: PayfitServer, scope, call):
    server.faults.drop_scope(scope)
    with pytest.raises(ScopeError) as caught:
        call(client)
    assert caught.value.scope == scope and scope in str(caught.value) and caught.value.status == 403
    assert server.by_status.get(403) == 1  # never retried


def test_contracts_can_be_skipped_without_their_scope(client: PayfitClient, server: PayfitServer):
    server.faults.drop_scope("contracts:read")
    result = client.fetch_company(company_id=COMPANY, contracts=False)
    assert len(result.collaborators) == 537 and 403 not in server.by_status


def test_404_says_the_company_may_be_another_one(client: PayfitClient, server: PayfitServer):
    with pytest.raises(ApiError, match="another company") as caught:
        list(client.iter_contracts("someone-elses-company"))
    assert caught.value.status == 404 and server.requests == 1


def test_bad_arguments_are_input_errors(server: PayfitServer, client: PayfitClient):
    with pytest.raises(InputError):
        PayfitClient("  ")
    with pytest.raises(InputError):
        list(client.iter_collaborators(COMPANY, page_size=51))


# --------------------------------------------------------------------------- pacing


def test_pacing_stays_under_the_server_limit(server: PayfitServer, client: PayfitClient, collaborators):
    """109 requests (page size 10) at max_rps=50 against a 50/s sliding window: no 429."""
    result = client.fetch_company(page_size=10)
    n = result.requests
    assert n == 1 + 54 + contract_pages(collaborators, 10)
    assert result.seconds >= (n - 1) / 50 and server.throttled == 0 and result.throttled == 0
    assert n / result.seconds >= 0.8 * 50


def test_pacing_is_shared_by_threads(server: PayfitServer):
    # The client paces at 40 requests/s against the server's 50: four threads share one pace, and the
    # headroom absorbs the scheduling jitter of a busy 2-core machine (a late thread, then an on-time one).
    client = make_client(server, max_rps=40)
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda: counts.append(len(list(client.iter_collaborators(COMPANY, page_size=20)))))
        for _ in range(4)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    assert counts == [537] * 4 and server.throttled == 0
    assert time.monotonic() - started >= (4 * 27 - 1) / 40


def test_an_unpaced_client_is_throttled_by_the_server_and_recovers(server: PayfitServer, collaborators):
    with make_client(server, max_rps=10_000) as client:
        got = list(client.iter_collaborators(COMPANY, page_size=8))  # 68 requests in a burst
    assert len(got) == 537 and client.throttled >= 1 and server.throttled == client.throttled


# --------------------------------------------------------------------------- the key stays secret


def test_the_key_never_leaks(server: PayfitServer, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    errors: list[Exception] = []
    with make_client(server, timeout=0.3, max_attempts=3) as client:
        assert KEY not in repr(client) and KEY not in str(vars(client))
        server.faults.throttle(1, retry_after="0.05")
        server.faults.fail(1)
        result = client.fetch_company()
        server.faults.slow(0.5, count=3)
        for fault, call in [
            (lambda: None, lambda: client.introspect()),  # timeouts
            (lambda: server.faults.drop_scope("collaborators:read"), lambda: list(client.iter_collaborators(COMPANY))),
            (lambda: None, lambda: list(client.iter_collaborators("other"))),
            (lambda: server.faults.revoke_key(), lambda: list(client.iter_contracts(COMPANY))),
            (lambda: None, lambda: client.introspect()),
        ]:
            fault()
            with pytest.raises(ApiError) as caught:
                call()
            errors.append(caught.value)
    assert len(caplog.records) > 40
    for record in caplog.records:
        assert KEY not in record.getMessage() and KEY not in (record.exc_text or "")
    for err in errors:
        assert KEY not in str(err) and KEY not in repr(err) and KEY not in " ".join(getattr(err, "__notes__", []))
    assert KEY not in json.dumps(result.collaborators) and KEY not in repr(result)


# --------------------------------------------------------------------------- units


def test_parse_retry_after():
    now = time.time()
    http_date = email.utils.format_datetime(dt.datetime.fromtimestamp(int(now) + 30, dt.UTC), usegmt=True)
    for value, expected in [
        ("2", 2.0),
        ("0.5", 0.5),
        (" 3 ", 3.0),
        ("-1", 0.0),
        ("nan", None),
        ("", None),
        (None, None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # the past: now
    ]:
        assert parse_retry_after(value, now=now) == expected, value
    assert parse_retry_after(http_date, now=int(now)) == pytest.approx(30.0)


def test_waits_are_capped_and_4xx_messages_are_shown_without_the_key():
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "120"}, json={"message": "API rate limit exceeded"}),
            httpx.Response(400, json={"message": f"token {KEY} is malformed"}),
        ]
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    started = time.monotonic()
    with PayfitClient(KEY, transport=httpx.MockTransport(handler), max_wait=0.1) as client:
        with pytest.raises(ApiError) as caught:
            list(client.iter_collaborators(COMPANY))
    assert 0.1 <= time.monotonic() - started < 0.5  # Retry-After 120 capped at max_wait
    assert caught.value.status == 400 and "is malformed" in str(caught.value) and KEY not in str(caught.value)
    assert seen[0].url.params["maxResults"] == "50" and seen[0].headers["Authorization"] == f"Bearer {KEY}"


def test_a_repeated_page_token_stops_the_paging():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"collaborators": [{"id": "a"}], "meta": {"nextPageToken": "same"}})

    with PayfitClient(KEY, transport=httpx.MockTransport(handler), max_rps=1000) as client:
        with pytest.raises(ApiError, match="same nextPageToken"):
            list(client.iter_collaborators(COMPANY))


# --------------------------------------------------------------------------- run by hand


def test_the_server_runs_from_the_command_line(repo_root, demo_dir):
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconcile.testing.payfit_server", "--port", "0", "--data", str(demo_dir / "payfit")],
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        text = "".join(proc.stdout.readline() for _ in range(4))  # type: ignore[union-attr]
        api_url = re.search(r"api_url\s*=\s*(\S+)", text)[1]  # type: ignore[index]
        oauth_url = re.search(r"oauth_url\s*=\s*(\S+)", text)[1]  # type: ignore[index]
        with PayfitClient("test-key", api_url=api_url, oauth_url=oauth_url) as client:
            assert len(client.fetch_company().collaborators) == 204
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]


def test_s3_retry_after_half_a_second_then_an_http_date_30_seconds_ahead(server: PayfitServer):
    """cases.md S3: wait at least 0.5 s, then about 30 s; nothing fetched is dropped. The client's
    injected sleep records the waits (and sleeps the short ones), so the test takes no 30 s."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if seconds < 1.0:
            time.sleep(seconds)

    server.faults.throttle(1, retry_after="0.5", ratelimit_headers=False)
    server.faults.throttle(1, date_in=30.0, ratelimit_headers=False, after=1)
    with make_client(server, sleep=sleep) as client:
        got, seconds = timed(lambda: list(client.iter_collaborators(COMPANY)))
    assert [c["id"] for c in got] == [c["id"] for c in server._collaborators]  # every row, once, in order
    assert client.throttled == 2 and server.throttled == 2
    waits = [w for w in slept if w >= 0.1]  # the pacing's few milliseconds left out
    assert 0.5 <= waits[0] <= 0.6  # Retry-After: 0.5
    assert 29.0 <= waits[1] <= 31.0  # the HTTP date ~30 s ahead (whole seconds), waited once it came
    assert seconds < 10.0  # recorded, not slept


def test_s3_a_wait_past_the_cap_is_cut_and_attempts_are_bounded(server: PayfitServer):
    """S3's cap and bound: a date 30 s ahead waits max_wait; after max_attempts the fetch stops and says
    how many rows it kept (pass the same FetchState to resume)."""
    server.faults.throttle(5, date_in=30.0, ratelimit_headers=False, after=1)
    state = FetchState()
    with make_client(server, max_wait=0.3, max_attempts=3) as client:
        started = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            client.fetch_company(company_id=COMPANY, state=state)
        assert time.monotonic() - started < 2.0  # two capped waits of 0.3 s, not 60 s
        assert len(state.collaborators) == 50  # the first page is kept, not dropped
        assert any("50 collaborator(s)" in note for note in caught.value.__notes__)
        server.faults.reset()
        result = client.fetch_company(company_id=COMPANY, state=state)
    assert len(result.collaborators) == 537


# --------------------------------------------------------------------------- paging that never ends, wrong shapes (#13)


def test_max_pages_default_and_bad_value():
    from reconcile.sources.payfit_api import MAX_PAGES

    assert MAX_PAGES == 10_000 and PayfitClient(KEY).max_pages == MAX_PAGES
    with pytest.raises(InputError, match="max_pages"):
        PayfitClient(KEY, max_pages=0)


def test_a_server_whose_token_never_ends_is_stopped_at_max_pages(server: PayfitServer, workspace):
    """The reference server's ``endless_paging("fresh")`` sends a new token forever (empty pages)."""
    from reconcile import workflow

    server.faults.endless_paging("fresh")
    before = workspace.revision
    with make_client(server, max_pages=20) as client:
        started = time.monotonic()
        with pytest.raises(ApiError, match=r"nextPageToken after 20 pages of collaborators") as caught:
            workflow.fetch_payfit(workspace, client)
        assert time.monotonic() - started < 5
        assert client.requests_sent == 1 + 20  # the introspection, then 20 pages and not one more
    assert "max_pages" in str(caught.value) and KEY not in str(caught.value)
    assert workspace.revision == before and workspace.counts()["payfit_records"] == 0


def test_a_server_repeating_its_last_token_is_stopped(server: PayfitServer, collaborators):
    server.faults.endless_paging("repeat")
    with make_client(server) as client:
        with pytest.raises(ApiError, match="same nextPageToken twice while paging collaborators"):
            client.fetch_company(company_id=COMPANY)
        assert client.requests_sent == len(collaborators) // 50 + 2  # 11 pages, then the repeat
    server.faults.endless_paging(None)
    with make_client(server) as client:
        assert len(client.fetch_company(company_id=COMPANY).collaborators) == len(collaborators)


def test_a_fetch_that_never_ends_leaves_no_workspace_file(server: PayfitServer, tmp_path, monkeypatch, capsys):
    from reconcile.cli import main

    server.faults.endless_paging("repeat")
    monkeypatch.setenv("PAYFIT_API_KEY", KEY)
    path = tmp_path / "new.duckdb"
    code = main(["--workspace", str(path), "fetch", "payfit", "--api-url", server.url, "--oauth-url", server.oauth_url])
    err = capsys.readouterr().err
    assert code != 0 and "same nextPageToken" in err and "Traceback" not in err
    assert not path.exists() and not list(tmp_path.iterdir())


_DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"collaborators": ' + _DEEP + "}", "nested too deeply|nested deeper"),
        ('{"collaborators": [' + "[" * 40 + "]" * 40 + "]}", "nested deeper than 32"),
        (
            '{"collaborators": [{"id": ' + "9" * 5000 + "}]}",
            "not valid JSON for this tool \\(it holds a number longer than 4,300 digits\\)",
        ),
        ('{"collaborators": "all of them"}', "has no 'collaborators' list"),
        ('{"collaborators": [1, 2]}', r"page 1, item #1: not a JSON object"),
        ('{"collaborators": [{"id": "a", "firstName": {"x": 1}}]}', "firstName is an object"),
        ('{"collaborators": [{"id": "a", "emails": "a@example.fr"}]}', "emails is 'a@example.fr', expected a list"),
        (
            '{"collaborators": [{"id": "a", "contracts": [{"status": ["ACTIVE"]}]}]}',
            "contracts item #1: status is a list",
        ),
        ('{"collaborators": [], "meta": "next"}', "meta is not an object"),
        ('{"collaborators": [], "meta": {"nextPageToken": {"t": 1}}}', "nextPageToken is not text"),
        ("[]", "not a JSON object"),
        ("\xff\xfe", "cannot be read"),
    ],
    ids=[
        "deep-5000",
        "deep-40",
        "int-5000-digits",
        "not-a-list",
        "items-not-objects",
        "field-object",
        "emails-text",
        "contract-status-list",
        "meta-text",
        "token-object",
        "top-list",
        "not-json",
    ],
)
def test_malformed_pages_are_api_errors(body: str, message: str):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body.encode("latin-1" if body.startswith("\xff") else "utf-8"))

    with PayfitClient(KEY, transport=httpx.MockTransport(handler), max_rps=1000) as client:
        started = time.monotonic()
        with pytest.raises(ApiError, match=message) as caught:
            client.fetch_records(company_id=COMPANY, contracts=False)
    assert time.monotonic() - started < 2 and KEY not in str(caught.value)
