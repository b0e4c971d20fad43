"""The fault harness both reference servers share (reconcile.testing.faults)."""

from __future__ import annotations

import email.utils
import time

from reconcile.testing.equify_server import EquifyFaults
from reconcile.testing.faults import FaultHarness
from reconcile.testing.payfit_server import Faults


def _kinds(harness: FaultHarness, n: int) -> list[str | None]:
    return [f.kind if f is not None else None for _, f in (harness.take() for _ in range(n))]


def test_both_servers_use_the_one_harness() -> None:
    assert issubclass(Faults, FaultHarness) and issubclass(EquifyFaults, FaultHarness)


def test_planned_faults_count_every_request_in_arrival_order() -> None:
    h = FaultHarness()
    h.throttle(2)
    h.fail(1, status=503, after=1)  # starts after one more request, whoever answered it
    assert _kinds(h, 5) == ["429", "429", "5xx", None, None]
    assert h.served == {"429": 2, "5xx": 1}
    h.reset()
    assert _kinds(h, 2) == [None, None] and h.served == {}


def test_each_server_keeps_its_own_throttle_defaults() -> None:
    payfit, equify = Faults(), EquifyFaults()
    payfit.throttle(1)
    equify.throttle(1)
    (_, p), (_, e) = payfit.take(), equify.take()
    assert p is not None and p.retry_after is None and p.ratelimit_headers
    assert e is not None and e.retry_after == "1" and not e.ratelimit_headers


def test_an_http_date_is_written_when_the_request_arrives() -> None:
    h = FaultHarness()
    h.throttle(1, date_in=30)
    _, fault = h.take()
    assert fault is not None and fault.retry_after is not None
    ahead = email.utils.parsedate_to_datetime(fault.retry_after).timestamp() - time.time()
    assert 29.0 <= ahead <= 31.5


def test_slow_answers_and_random_faults() -> None:
    h = FaultHarness()
    h.slow(0.2, count=2)
    assert [h.take()[0] for _ in range(3)] == [0.2, 0.2, 0.0]
    h.random(0.5, ("429",), seed=3)
    first = _kinds(h, 40)
    h.random(0.5, ("429",), seed=3)
    assert _kinds(h, 40) == first and 5 < first.count("429") < 35  # seeded: the same draws again


def test_the_equify_side_own_faults() -> None:
    h = EquifyFaults()
    h.timeout_after_commit(1, hang=0.5)
    h.echo_headers(1, status=401)
    (_, a), (_, b) = h.take(), h.take()
    assert a is not None and (a.kind, a.hang) == ("timeout", 0.5)
    assert b is not None and (b.kind, b.status) == ("echo", 401)
