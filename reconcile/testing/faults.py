"""The fault harness both reference servers share (:mod:`.payfit_server`, :mod:`.equify_server`):
faults planned in arrival order, faults at a random rate, slow answers, thread-safe.

A planned fault answers the next ``count`` requests once ``after`` more requests went by (every
planned fault counts every request, whether or not another one answered it). Each server adds
its own switches on top (a revoked key, a dropped scope, endless paging; an answer that comes
after the client gave up, an echo of the headers).
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from dataclasses import dataclass

__all__ = ["Fault", "FaultHarness"]


@dataclass
class _Planned:
    kind: str
    count: int
    after: int
    status: int
    retry_after: str | None = None
    date_in: float | None = None
    ratelimit_headers: bool = False


@dataclass(frozen=True)
class Fault:
    """What one request meets: ``kind`` (``429``, ``5xx``, or a server's own: ``timeout``, ``echo``),
    the ``status`` to answer, the ``Retry-After`` to send (``None``: none; an HTTP date planned
    ``date_in`` seconds ahead is written when the request arrives, whole seconds rounded up), the
    ``hang`` before answering (``timeout``) and whether to send the ``X-RateLimit-*`` headers."""

    kind: str
    status: int = 500
    retry_after: str | None = None
    hang: float = 0.0
    ratelimit_headers: bool = False


class FaultHarness:
    """Switchable faults of a reference server (every method is thread-safe)."""

    #: ``Retry-After`` of a :meth:`throttle` that names none (``None``: no header).
    default_retry_after: str | None = None
    #: Whether a :meth:`throttle` sends the ``X-RateLimit-*`` headers unless told.
    default_ratelimit_headers = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """No planned or random fault, no delay; :attr:`served` counts start again."""
        with self._lock:
            self._planned: list[_Planned] = []
            self._rate = 0.0
            self._kinds: tuple[str, ...] = ()
            self._rng = random.Random(0)
            self._delay = 0.0
            self._delay_left: int | None = None
            self.hang = 2.0
            self.served: dict[str, int] = {}

    def plan(
        self,
        kind: str,
        count: int = 1,
        *,
        after: int = 0,
        status: int = 500,
        retry_after: str | None = None,
        date_in: float | None = None,
        ratelimit_headers: bool = False,
    ) -> None:
        """The next ``count`` requests, once ``after`` more went by, meet a fault of ``kind``."""
        with self._lock:
            self._planned.append(_Planned(kind, count, after, status, retry_after, date_in, ratelimit_headers))

    def throttle(
        self,
        count: int = 1,
        *,
        retry_after: str | None = "default",
        date_in: float | None = None,
        after: int = 0,
        ratelimit_headers: bool | None = None,
    ) -> None:
        """The next ``count`` requests answer ``429``: ``Retry-After`` is ``retry_after`` as is
        (``"1"``, ``"0.2"``, any text; the server's default when not given), or an HTTP date
        ``date_in`` seconds ahead (negative: in the past); ``ratelimit_headers``: also
        ``X-RateLimit-Limit-Second`` and ``X-RateLimit-Remaining-Second: 0`` (the server's default
        when not given)."""
        if retry_after == "default":
            retry_after = None if date_in is not None else self.default_retry_after
        if ratelimit_headers is None:
            ratelimit_headers = self.default_ratelimit_headers
        self.plan(
            "429",
            count,
            after=after,
            status=429,
            retry_after=retry_after,
            date_in=date_in,
            ratelimit_headers=ratelimit_headers,
        )

    def fail(self, count: int = 1, *, status: int = 500, retry_after: str | None = None, after: int = 0) -> None:
        """The next ``count`` requests answer ``status`` (default 500)."""
        self.plan("5xx", count, after=after, status=status, retry_after=retry_after)

    def random(self, rate: float, kinds: tuple[str, ...] = ("429", "5xx", "timeout"), *, seed: int = 0) -> None:
        """Each request meets one of ``kinds`` with probability ``rate`` (0-1), at random (seeded)."""
        with self._lock:
            self._rate, self._kinds, self._rng = float(rate), tuple(kinds), random.Random(seed)

    def slow(self, seconds: float, count: int | None = None) -> None:
        """Delay the next ``count`` answers (every answer when ``None``) by ``seconds``."""
        with self._lock:
            self._delay, self._delay_left = float(seconds), count

    def take(self) -> tuple[float, Fault | None]:
        """For the request arriving now: the delay before answering (s) and the fault it meets
        (``None``: it is served normally)."""
        with self._lock:
            delay = 0.0
            if self._delay > 0 and (self._delay_left is None or self._delay_left > 0):
                delay = self._delay
                if self._delay_left is not None:
                    self._delay_left -= 1
            chosen: _Planned | None = None
            for planned in self._planned:
                if planned.after > 0:
                    planned.after -= 1
                elif chosen is None and planned.count > 0:
                    chosen = planned
                    planned.count -= 1
            self._planned = [p for p in self._planned if p.count > 0]
            fault = self._fault(chosen) if chosen is not None else None
            if fault is None and self._rate and self._rng.random() < self._rate:
                kind = self._rng.choice(self._kinds)
                status = 429 if kind == "429" else 500 if kind in ("5xx", "echo") else 200
                fault = Fault(kind, status, "0.01", self.hang)
            if fault is not None:
                self.served[fault.kind] = self.served.get(fault.kind, 0) + 1
            return delay, fault

    def _fault(self, planned: _Planned) -> Fault:
        retry_after = planned.retry_after
        if planned.date_in is not None:
            retry_after = email.utils.formatdate(math.ceil(time.time() + planned.date_in), usegmt=True)
        return Fault(planned.kind, planned.status, retry_after, self.hang, planned.ratelimit_headers)
