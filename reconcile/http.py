"""One HTTP layer for every client the workbench has (the Payfit API client,
:class:`~reconcile.sources.payfit_api.PayfitClient`, and the push's http target,
:class:`~reconcile.sync.targets.HttpTarget`): bounded retries, ``Retry-After``, pacing and the
redaction of the secret, written once.

:class:`RetryingSender` sends one request and retries what may succeed later (``429``, ``5xx``,
no answer): after the server's ``Retry-After`` (seconds or an HTTP date), else after an
exponential backoff with full jitter, every wait capped; with a :class:`Pacer`, request starts
stay under a rate and a retry's wait holds back every thread of the client. The bearer secret
(:class:`Secret`) never shows: its ``repr`` is ``'***'`` and every text the layer builds from an
answer has it replaced by ``***`` (a server may echo the request). When the attempts run out it
raises :class:`Retry` (the last failure); each client turns that into its own error message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

__all__ = [
    "PACING_MARGIN",
    "RATE_WINDOW_S",
    "Pacer",
    "Retry",
    "RetryingSender",
    "Secret",
    "body_message",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

#: Pacing keeps this far under the rate asked for (5 %): starts at least ``1 / (0.95 * rps)`` s apart.
PACING_MARGIN = 0.05
#: The rate window (s) a ``429`` with ``X-RateLimit-Remaining-Second: 0`` and no ``Retry-After`` waits.
RATE_WINDOW_S = 1.0


class Secret:
    """Holds a key or token; its repr is ``'***'`` so ``vars(client)`` or a traceback's locals hide it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with the secret replaced by ``***``."""
        return text.replace(self._value, "***") if text and self._value else text

    def __repr__(self) -> str:
        return "'***'"


class Retry(Exception):
    """A retryable answer (``429``, ``5xx``) or a request without an answer: ``description``
    (redacted), ``status`` (``None`` without an answer) and the server's wait ``hint`` (s)."""

    def __init__(self, description: str, *, status: int | None, hint: float | None) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
        self.hint = hint


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value, or ``None`` when absent or unreadable.

    Accepts delay-seconds, integer or fractional (``"2"``, ``"0.5"``), and an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, compared with ``now``, a Unix time, default
    :func:`time.time`). A date in the past or a negative delay means ``0.0`` (retry now).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def body_message(response: httpx.Response) -> str | None:
    """The ``message`` (or ``error_description``, ``error``) of a JSON error body, else a short
    piece of the text; ``None`` when there is nothing."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        text = response.text.strip()
        return text[:200] or None
    if isinstance(data, dict):
        for key in ("message", "error_description", "error"):
            if isinstance(data.get(key), str) and data[key].strip():
                return str(data[key]).strip()
    return None


class Pacer:
    """Spaces request starts at least ``interval`` seconds apart, across threads.

    Each caller reserves the next free slot under a lock and sleeps outside it, so starts
    never bunch; :meth:`defer` pushes every later slot back (after a 429, all threads wait).
    """

    def __init__(
        self, max_rps: float, margin: float = PACING_MARGIN, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / (max_rps * (1.0 - margin))
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0  # time.monotonic() of the next free slot

    def acquire(self) -> float:
        """Wait for a slot; return the seconds waited."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(0.0, wait)

    def defer(self, until: float) -> None:
        """No request starts before ``until`` (a :func:`time.monotonic` time)."""
        with self._lock:
            self._next = max(self._next, until)


class RetryingSender:
    """Sends requests with ``Authorization: Bearer <secret>`` over ``http`` and retries what may
    succeed later (see the module docstring).

    ``timeout`` (s) per request; ``max_attempts`` in all; ``backoff``: the first window (s) of the
    backoff with full jitter used without a server hint; ``max_wait`` caps every wait (s);
    ``sleep`` waits (tests pass a recorder); ``pacer`` paces the starts (``None``: no pacing);
    ``rate_headers``: a ``429`` with ``X-RateLimit-Remaining-Second: 0`` and no ``Retry-After``
    waits one rate window. ``waits`` lists every wait before a retry; ``requests`` and
    ``throttled`` count the requests sent and the ``429`` answers (thread-safe).
    """

    def __init__(
        self,
        http: httpx.Client,
        secret: Secret,
        *,
        timeout: float,
        max_attempts: int,
        max_wait: float,
        backoff: float,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
        rate_headers: bool = False,
        name: str = "http",
    ) -> None:
        self.http, self.secret = http, secret
        self.timeout, self.max_attempts, self.max_wait, self.backoff = timeout, max_attempts, max_wait, backoff
        self.sleep, self.pacer, self.rate_headers, self.name = sleep, pacer, rate_headers, name
        self.waits: list[float] = []
        self.requests = 0
        self.throttled = 0
        self._lock = threading.Lock()

    def send(self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """The first answer that is not worth retrying (any status but ``429`` and ``5xx``).

        Raises:
            Retry: the last retryable failure, once the attempts ran out.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(Retry),
            sleep=self.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        return retrying(self._send_once, method, url, headers or {}, kwargs)

    def _send_once(self, method: str, url: str, extra: dict[str, str], kwargs: dict[str, Any]) -> httpx.Response:
        waited = self.pacer.acquire() if self.pacer is not None else 0.0
        headers = {"Authorization": f"Bearer {self.secret.reveal()}", "Accept": "application/json", **extra}
        with self._lock:
            self.requests += 1
        path = httpx.URL(url).path
        started = time.monotonic()
        try:
            response = self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except httpx.TimeoutException as exc:
            logger.debug(
                "%s: %s %s → timeout after %.1f s (paced %.3f s)", self.name, method, path, self.timeout, waited
            )
            raise Retry(f"no answer within {self.timeout:g} s ({type(exc).__name__})", status=None, hint=None) from exc
        except httpx.TransportError as exc:
            logger.debug("%s: %s %s → %s (paced %.3f s)", self.name, method, path, type(exc).__name__, waited)
            raise Retry(f"{type(exc).__name__}: {self.secret.redact(str(exc))}", status=None, hint=None) from exc
        status = response.status_code
        logger.debug(
            "%s: %s %s → %d in %.3f s (paced %.3f s)",
            self.name,
            method,
            path,
            status,
            time.monotonic() - started,
            waited,
        )
        if status == 429 or status >= 500:
            if status == 429:
                with self._lock:
                    self.throttled += 1
            hint = parse_retry_after(response.headers.get("Retry-After"))
            remaining = response.headers.get("X-RateLimit-Remaining-Second", "").strip()
            if hint is None and status == 429 and self.rate_headers and remaining == "0":
                hint = RATE_WINDOW_S
            message = self.secret.redact(body_message(response) or response.reason_phrase)
            raise Retry(f"{status} {message}", status=status, hint=hint)
        return response

    def _wait(self, state: RetryCallState) -> float:
        """The server's hint, else backoff with full jitter (``uniform(0, backoff · 2^(n-1))``); capped."""
        exc = state.outcome.exception() if state.outcome is not None else None
        hint = exc.hint if isinstance(exc, Retry) else None
        if hint is None:
            hint = random.uniform(0, self.backoff * 2 ** (state.attempt_number - 1))
        return min(max(0.0, hint), self.max_wait)

    def _before_sleep(self, state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        with self._lock:
            self.waits.append(wait)
        if self.pacer is not None:
            self.pacer.defer(time.monotonic() + wait)  # every thread of this client waits too
        exc = state.outcome.exception() if state.outcome is not None else None
        logger.info(
            "%s: retrying in %.2f s (attempt %d of %d: %s)",
            self.name,
            wait,
            state.attempt_number,
            self.max_attempts,
            exc.description if isinstance(exc, Retry) else type(exc).__name__,
        )
