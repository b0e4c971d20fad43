"""A Payfit-compatible HTTP server on 127.0.0.1, for tests, demos and benchmarks (stdlib only).

It serves one company from a list of collaborator objects, as Payfit's partner API does
(domain.md §3 [doc]), on one port:

* ``POST {url}/oauth/introspect`` (``oauth_url`` is ``{url}/oauth``; ``/introspect`` works too):
  body ``{"token": key}`` as JSON or ``token=key`` form-encoded → ``{"active": true, "scope":
  "s1 s2", "client_id", "company_id", "token_type": "bearer"}``, ``{"active": false}`` for an
  unknown or revoked token, 401 when an ``Authorization`` header carries a wrong key;
* ``GET /companies/{id}/collaborators`` and ``GET /companies/{id}/contracts``, paged with
  ``maxResults`` (default 10, at most 50: a larger value is served as 50) and an opaque
  ``nextPageToken`` (``meta.nextPageToken``, null on the last page); contracts are derived from
  the collaborators' ``contracts`` as ``{"contractId", "collaboratorId", "startDate", "endDate",
  "status", "jobName"}`` (the contract's own ``jobName`` if it has one, else one picked from
  its id); the collaborators' contracts are served without ``jobName``, as Payfit does;
* ``GET /companies/{id}/collaborators/{collaboratorId}``: the collaborator object.

Errors as Payfit gives them, bodies ``{"message": "..."}``: wrong or revoked key → 401;
another company id → 404; a missing scope → 403 naming it (``collaborators:read``,
``contracts:read``; without ``collaborators:contracts:read`` the collaborators' ``contracts``
are null); over ``rate_limit_rps`` requests of one key in any sliding 1-second window → 429
``{"message": "API rate limit exceeded"}`` with ``X-RateLimit-Limit-Second`` and
``X-RateLimit-Remaining-Second`` (and ``Retry-After`` only if ``retry_after_on_limit``). The
rate headers are sent on every API answer. Introspection is not rate limited.

Faults are switched at run time through :attr:`PayfitServer.faults` (:class:`Faults`,
thread-safe): 429s with each ``Retry-After`` form, 5xx, slow answers, a revoked key, a dropped
scope, JSON introspection bodies refused with 415 (to exercise a client's form fallback), and
paging that never ends (:meth:`Faults.endless_paging`: a fresh ``nextPageToken`` forever, or the
same one again).
Faults apply to every request, introspection included, in arrival order.

Run by hand: ``python -m reconcile.testing.payfit_server --port 8700 --data reconcile/demo/payfit``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .faults import Fault, FaultHarness

__all__ = ["ALL_SCOPES", "Faults", "PayfitServer", "fake_collaborators"]

logger = logging.getLogger(__name__)

#: The read scopes of a customer API key [doc: domain.md §3].
ALL_SCOPES: tuple[str, ...] = (
    "collaborators:read",
    "collaborators:contracts:read",
    "collaborators:personal:read",
    "collaborators:legal-identity:read",
    "contracts:read",
)
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
_JOBS = (
    "Software Engineer",
    "Product Manager",
    "Sales Executive",
    "Account Manager",
    "Office Manager",
    "Data Analyst",
    "HR Business Partner",
    "Designer",
    "Customer Success Manager",
    "Accountant",
)
_ROUTE = re.compile(r"^/companies/(?P<company>[^/]+)/(?P<resource>collaborators|contracts)(?:/(?P<item>[^/]+))?/?$")


class Faults(FaultHarness):
    """Switchable faults of a :class:`PayfitServer` (:class:`~reconcile.testing.faults.FaultHarness`:
    :meth:`throttle`, :meth:`fail`, :meth:`slow`, :meth:`random`, planned in arrival order, every
    request counted, introspection included), plus Payfit's own: a revoked key, a dropped scope,
    introspection refusing JSON, endless paging. A :meth:`throttle` sends no ``Retry-After``
    unless told, and the ``X-RateLimit-*`` headers unless told not to."""

    default_retry_after = None
    default_ratelimit_headers = True

    def reset(self) -> None:
        """Clear every fault: no planned answers, no delay, key valid, all scopes."""
        with self._lock:
            super().reset()
            self.revoked = False
            self.dropped_scopes: set[str] = set()
            self.reject_json_introspection = False
            self.endless: str | None = None

    def revoke_key(self) -> None:
        """The key becomes invalid: API answers 401, introspection ``{"active": false}``."""
        with self._lock:
            self.revoked = True

    def drop_scope(self, scope: str) -> None:
        """The key loses ``scope`` (its endpoints answer 403; introspection no longer lists it)."""
        with self._lock:
            self.dropped_scopes.add(scope)

    def reject_json(self, reject: bool = True) -> None:
        """Introspection refuses JSON bodies with 415 (form bodies still work)."""
        with self._lock:
            self.reject_json_introspection = reject

    def endless_paging(self, mode: str | None = "fresh") -> None:
        """Listings never end: ``"fresh"`` sends a new ``nextPageToken`` on every page, past the last
        collaborator too (empty pages, forever); ``"repeat"`` answers the last page with the same
        token again and again; ``None`` switches it off."""
        if mode not in (None, "fresh", "repeat"):
            raise ValueError(f"unknown paging fault {mode!r}: fresh, repeat or None")
        with self._lock:
            self.endless = mode


class PayfitServer:
    """A Payfit-compatible server for ``collaborators`` of one company (see the module doc).

    ``rate_limit_rps``: requests/s allowed per key in any sliding 1-second window (``None``: no
    limit). ``port=0`` picks a free port. :attr:`url` is the API base (``http://127.0.0.1:PORT``),
    :attr:`oauth_url` the OAuth base (``{url}/oauth``). Counters: :attr:`requests` (every request
    received), :attr:`throttled` (429 answers sent), :attr:`by_status`. Start with :meth:`start`
    or ``with``; :meth:`stop` shuts it down.
    """

    def __init__(
        self,
        collaborators: Iterable[dict[str, Any]],
        *,
        api_key: str = "test-key",
        company_id: str = "demo-company",
        scopes: Sequence[str] = ALL_SCOPES,
        rate_limit_rps: float | None = 50,
        retry_after_on_limit: bool = False,
        port: int = 0,
        client_id: str = "demo-client",
    ) -> None:
        self.api_key = api_key
        self.company_id = company_id
        self.scopes = tuple(scopes)
        self.client_id = client_id
        self.rate_limit_rps = rate_limit_rps
        self.retry_after_on_limit = retry_after_on_limit
        self.faults = Faults()
        self._collaborators = [json.loads(json.dumps(c)) for c in collaborators]  # private deep copies
        ids = [str(c.get("id")) for c in self._collaborators]
        if len(set(ids)) != len(ids):
            raise ValueError("collaborator ids must be unique")
        self._by_id = dict(zip(ids, self._collaborators, strict=True))
        self._contracts = list(_derive_contracts(self._collaborators))
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._tokens: dict[str, tuple[str, int]] = {}  # opaque token → (resource, offset)
        self.requests = 0
        self.throttled = 0
        self.by_status: dict[int, int] = {}
        self._stopping = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.app = self
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """API base URL, e.g. ``http://127.0.0.1:8700``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def oauth_url(self) -> str:
        """OAuth base URL (``POST {oauth_url}/introspect``)."""
        return f"{self.url}/oauth"

    def start(self) -> PayfitServer:
        """Serve in a background daemon thread; returns ``self``."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name="payfit-server", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (slow answers in progress are cut short)."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> PayfitServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def reset_counters(self) -> None:
        """Zero :attr:`requests`, :attr:`throttled`, :attr:`by_status` and the rate windows."""
        with self._lock:
            self.requests = self.throttled = 0
            self.by_status = {}
            self._windows.clear()

    # ---- request handling (called from handler threads)

    def _count(self, status: int) -> None:
        with self._lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1
            if status == 429:
                self.throttled += 1

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one request: ``(status, JSON body, extra headers)``."""
        with self._lock:
            self.requests += 1
        delay, fault = self.faults.take()
        if delay > 0:
            self._stopping.wait(delay)
        if fault is not None:
            return self._fault_answer(fault)
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path in ("/oauth/introspect", "/introspect"):
            if method != "POST":
                return 405, {"message": "Method Not Allowed"}, {}
            return self._introspect(headers, body)
        route = _ROUTE.match(path)
        if route is None:
            return 404, {"message": "Not Found"}, {}
        if method != "GET":
            return 405, {"message": "Method Not Allowed"}, {}
        auth = headers.get("Authorization") or ""
        if auth != f"Bearer {self.api_key}" or self.faults.revoked:
            return 401, {"message": "Unauthorized"}, {}
        allowed, rate_headers = self._admit(self.api_key)
        if not allowed:
            return 429, {"message": "API rate limit exceeded"}, rate_headers
        status, payload = self._api(
            unquote(route["company"]), route["resource"], unquote(route["item"]) if route["item"] else None, query
        )
        return status, payload, rate_headers

    def _fault_answer(self, fault: Fault) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if fault.status == 429:
            if fault.ratelimit_headers:
                headers["X-RateLimit-Limit-Second"] = str(int(self.rate_limit_rps or 50))
                headers["X-RateLimit-Remaining-Second"] = "0"
            return 429, {"message": "API rate limit exceeded"}, headers
        return fault.status, {"message": "Internal Server Error" if fault.status == 500 else "Server Error"}, headers

    def _admit(self, key: str) -> tuple[bool, dict[str, str]]:
        """Sliding-window check for ``key``; admitted requests take a place in the window."""
        if self.rate_limit_rps is None:
            return True, {}
        limit = max(1, int(self.rate_limit_rps))
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                headers = {"X-RateLimit-Limit-Second": str(limit), "X-RateLimit-Remaining-Second": "0"}
                if self.retry_after_on_limit:
                    headers["Retry-After"] = f"{max(0.0, window[0] + 1.0 - now):.3f}"
                return False, headers
            window.append(now)
            remaining = limit - len(window)
        return True, {"X-RateLimit-Limit-Second": str(limit), "X-RateLimit-Remaining-Second": str(remaining)}

    def _has(self, scope: str) -> bool:
        return scope in self.scopes and scope not in self.faults.dropped_scopes

    def _api(
        self, company: str, resource: str, item: str | None, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any]]:
        if company != self.company_id:
            return 404, {"message": f"Company {company} not found"}
        scope = "collaborators:read" if resource == "collaborators" else "contracts:read"
        if not self._has(scope):
            return 403, {"message": f"Forbidden: the API key lacks the scope {scope}"}
        if item is not None:
            if resource != "collaborators" or item not in self._by_id:
                return 404, {"message": f"{resource[:-1].capitalize()} {item} not found"}
            return 200, self._public(self._by_id[item])
        try:
            size = int(query.get("maxResults", [str(DEFAULT_PAGE_SIZE)])[0])
        except ValueError:
            return 400, {"message": "maxResults must be an integer"}
        if size < 1:
            return 400, {"message": "maxResults must be positive"}
        size = min(size, MAX_PAGE_SIZE)
        offset = 0
        token = query.get("nextPageToken", [""])[0]
        if token:
            with self._lock:
                found = self._tokens.get(token)
            if found is None or found[0] != resource:
                return 400, {"message": "Invalid nextPageToken"}
            offset = found[1]
        source = self._collaborators if resource == "collaborators" else self._contracts
        page = source[offset : offset + size]
        next_token = None
        endless = self.faults.endless
        if offset + size < len(source) or endless == "fresh":
            next_token = secrets.token_urlsafe(24)
            with self._lock:
                self._tokens[next_token] = (resource, offset + size)
        elif endless == "repeat":
            next_token = f"again-{resource}-{offset}"
            with self._lock:
                self._tokens[next_token] = (resource, offset)
        items = [self._public(c) for c in page] if resource == "collaborators" else page
        return 200, {resource: items, "meta": {"nextPageToken": next_token}}

    def _public(self, collaborator: dict[str, Any]) -> dict[str, Any]:
        """The collaborator as the API shows it: contracts without ``jobName`` (that lives on
        ``/contracts``), or null without ``collaborators:contracts:read``."""
        out = dict(collaborator)
        if not self._has("collaborators:contracts:read"):
            out["contracts"] = None
        elif isinstance(out.get("contracts"), list):
            out["contracts"] = [
                {k: v for k, v in c.items() if k != "jobName"} if isinstance(c, dict) else c for c in out["contracts"]
            ]
        return out

    def _introspect(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        token: Any = None
        if content_type == "application/json":
            if self.faults.reject_json_introspection:
                return 415, {"message": "Unsupported Media Type: send token=... form-encoded"}, {}
            try:
                data = json.loads(body or b"null")
            except ValueError:
                return 400, {"message": "invalid JSON body"}, {}
            token = data.get("token") if isinstance(data, dict) else None
        elif content_type == "application/x-www-form-urlencoded":
            tokens = parse_qs(body.decode("utf-8", "replace")).get("token")
            token = tokens[0] if tokens else None
        else:
            return 415, {"message": "Unsupported Media Type"}, {}
        if not token:
            return 400, {"message": "token is required"}, {}
        auth = headers.get("Authorization")
        valid = not self.faults.revoked
        if auth is not None and (auth != f"Bearer {self.api_key}" or not valid):
            return 401, {"message": "Unauthorized"}, {}
        if token != self.api_key or not valid:
            return 200, {"active": False}, {}
        scopes = [s for s in self.scopes if s not in self.faults.dropped_scopes]
        return (
            200,
            {
                "active": True,
                "scope": " ".join(scopes),
                "client_id": self.client_id,
                "company_id": self.company_id,
                "token_type": "bearer",
            },
            {},
        )


def _derive_contracts(collaborators: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """``/contracts`` records from the collaborators' ``contracts`` lists."""
    for collaborator in collaborators:
        for contract in collaborator.get("contracts") or []:
            if not isinstance(contract, dict) or contract.get("id") is None:
                continue
            contract_id = str(contract["id"])
            job = contract.get("jobName") or _JOBS[int(hashlib.sha1(contract_id.encode()).hexdigest(), 16) % len(_JOBS)]
            yield {
                "contractId": contract_id,
                "collaboratorId": collaborator.get("id"),
                "startDate": contract.get("startDate"),
                "endDate": contract.get("endDate"),
                "status": contract.get("status"),
                "jobName": job,
            }


_FIRST = ("Jean", "Hélène", "Éric", "Camille", "Nicolas", "Salomé", "Benoît", "Léa", "Karim", "Inès", "Thomas", "Chloé")
_LAST = ("Martin", "Dupont", "Lefèvre", "Moreau", "Le Gall", "Petit", "Germain", "Berger", "N'Diaye", "Rousseau")
_TEAMS = ("Engineering", "Sales", "Marketing", "Finance", "Operations", None)


def fake_collaborators(count: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` fictitious collaborators shaped like Payfit's (domain.md §3), deterministic per ``seed``.

    About 85 % have one ACTIVE contract, 7 % were rehired (an ended contract, then an active
    one), 6 % are leavers (one ended contract, ``terminationDate`` set) and 2 % are admins
    without a contract. Contracts carry a ``jobName`` (served on ``/contracts`` only). Emails
    use ``example.fr``; ids are unique 24-hex-digit strings.
    """
    rng = random.Random(seed)
    out = []
    for n in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        slug = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        kind = rng.random()
        contracts: list[dict[str, Any]] = []
        termination = None
        start_year = rng.randint(2012, 2024)
        start = f"{start_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if kind < 0.98:
            first_status = "ACTIVE" if kind < 0.85 else "ENDED"
            end = None if first_status == "ACTIVE" else f"{start_year + 1}-06-30"
            contracts.append(
                {
                    "id": f"{rng.getrandbits(96):024x}",
                    "status": first_status,
                    "startDate": start,
                    "endDate": end,
                    "jobName": rng.choice(_JOBS),
                }
            )
            if 0.85 <= kind < 0.92:  # rehired: same collaborator id, a second contract
                contracts.append(
                    {
                        "id": f"{rng.getrandbits(96):024x}",
                        "status": "ACTIVE",
                        "startDate": f"{start_year + 2}-09-01",
                        "endDate": None,
                        "jobName": rng.choice(_JOBS),
                    }
                )
            elif kind >= 0.92:
                termination = end
        emails = [{"email": f"{slug}{n}@example.fr", "type": "personal"}]
        if rng.random() < 0.5:
            emails.append({"email": f"{slug}{n}@acme-demo.fr", "type": "professional"})
        out.append(
            {
                "id": f"{rng.getrandbits(96):024x}",
                "matricule": f"{n + 1:05d}",
                "firstName": first,
                "lastName": last,
                "birthName": last,
                "secondLastName": None,
                "birthDate": f"{rng.randint(1960, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "gender": rng.choice(("man", "woman", "other")),
                "nationality": "FR",
                "countryOfBirth": "FR",
                "teamName": rng.choice(_TEAMS),
                "managerId": None,
                "terminationDate": termination,
                "emails": emails,
                "phoneNumbers": [
                    {
                        "phoneNumber": f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                        "type": "personal",
                    }
                ],
                "addresses": [
                    {
                        "type": "personal",
                        "address": f"{rng.randint(1, 200)} rue de la Paix",
                        "postcode": "75002",
                        "city": "Paris",
                        "country": "FR",
                    }
                ],
                "contracts": contracts,
            }
        )
    return out


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: PayfitServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("payfit server: connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs: ~40 ms per answer
    server: _HTTPServer

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, payload, headers = self.server.app.handle(method, self.path, self.headers, body)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.server.app._count(status)  # before answering: a client that got it sees it counted
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
        logger.debug("payfit server: " + format, *args)


def _load_collaborators(path: Path) -> list[dict[str, Any]]:
    from ..sources.payfit import parse_payfit_pages  # the library reader: same checks as a loaded dump

    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return parse_payfit_pages([(str(f), f.read_bytes()) for f in files])


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m reconcile.testing.payfit_server``: serve a dump until Ctrl-C."""
    default_data = Path(__file__).resolve().parent.parent / "demo" / "payfit"
    parser = argparse.ArgumentParser(description="Serve Payfit collaborator pages as a Payfit-compatible API.")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--data", type=Path, default=default_data, help="a page .json or a folder of pages")
    parser.add_argument("--key", default="test-key", help="the (fictitious) API key clients must send")
    parser.add_argument("--company", default="demo-company", help="the company id")
    parser.add_argument("--rps", type=float, default=50.0, help="rate limit per key, requests/s (0: none)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    collaborators = _load_collaborators(args.data)
    server = PayfitServer(
        collaborators,
        api_key=args.key,
        company_id=args.company,
        rate_limit_rps=args.rps or None,
        port=args.port,
    )
    with server:
        sys.stdout.write(
            f"Serving {len(collaborators)} collaborators of company {args.company!r}\n"
            f"  api_url   = {server.url}\n"
            f"  oauth_url = {server.oauth_url}\n"
            f"  api_key   = {args.key}   (fictitious test key)\n"
            "Press Ctrl-C to stop.\n"
        )
        sys.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.stdout.write("stopped\n")


if __name__ == "__main__":
    main()
