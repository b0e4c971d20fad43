"""The one HTTP layer (reconcile.http) both clients use: retries, Retry-After, pacing, redaction."""

from __future__ import annotations

import httpx
import pytest

from reconcile.http import Pacer, Retry, RetryingSender, Secret
from reconcile.sources.payfit_api import PayfitClient
from reconcile.sync.targets import HttpTarget

TOKEN = "tok-FICTITIOUS-123"


def _sender(answers: list[httpx.Response], **kwargs: object) -> tuple[RetryingSender, list[float], list[httpx.Request]]:
    """A sender over a MockTransport answering ``answers`` in turn (narrow unit test: the servers'
    own tests use the real reference servers)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    slept: list[float] = []
    options = {"timeout": 1.0, "max_attempts": 4, "max_wait": 10.0, "backoff": 0.1, "sleep": slept.append}
    options.update(kwargs)
    sender = RetryingSender(httpx.Client(transport=httpx.MockTransport(handler)), Secret(TOKEN), **options)  # type: ignore[arg-type]
    return sender, slept, seen


def test_both_clients_send_through_the_layer() -> None:
    payfit = PayfitClient("key-FICTITIOUS", api_url="http://127.0.0.1:9", oauth_url="http://127.0.0.1:9")
    target = HttpTarget("http://127.0.0.1:9", TOKEN)
    assert isinstance(payfit._sender, RetryingSender) and isinstance(target._sender, RetryingSender)
    assert isinstance(payfit._sender.pacer, Pacer) and target._sender.pacer is None
    payfit.close()
    target.close()


def test_retry_after_is_waited_then_the_answer_returned() -> None:
    sender, slept, seen = _sender([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={})])
    assert sender.send("GET", "http://127.0.0.1/x").status_code == 200
    assert slept == [2.0] and sender.waits == [2.0] and sender.throttled == 1 and len(seen) == 2
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_wait_is_capped_and_attempts_are_bounded() -> None:
    sender, slept, _ = _sender([httpx.Response(503, headers={"Retry-After": "600"})] * 4, max_wait=3.0)
    with pytest.raises(Retry) as caught:
        sender.send("POST", "http://127.0.0.1/x", json={})
    assert slept == [3.0, 3.0, 3.0] and caught.value.status == 503


def test_without_a_hint_the_backoff_has_full_jitter_in_its_window() -> None:
    sender, slept, _ = _sender([httpx.Response(500)] * 3 + [httpx.Response(200)], backoff=0.5)
    sender.send("GET", "http://127.0.0.1/x")
    assert len(slept) == 3 and all(0 <= w <= 0.5 * 2**k for k, w in enumerate(slept))


def test_rate_headers_wait_one_window_only_when_asked() -> None:
    limited = httpx.Response(429, headers={"X-RateLimit-Remaining-Second": "0"})
    sender, slept, _ = _sender([limited, httpx.Response(200)], rate_headers=True)
    sender.send("GET", "http://127.0.0.1/x")
    assert slept == [1.0]


def test_an_echoed_secret_never_reaches_the_error() -> None:
    echo = httpx.Response(502, json={"message": f"bad gateway for Bearer {TOKEN}"})
    sender, _, _ = _sender([echo] * 4)
    with pytest.raises(Retry) as caught:
        sender.send("GET", "http://127.0.0.1/x")
    assert TOKEN not in caught.value.description and "***" in caught.value.description
    assert repr(Secret(TOKEN)) == "'***'" and Secret(TOKEN).redact(f"a {TOKEN} b") == "a *** b"
