"""Payfit partner API client: introspect a customer API key, page collaborators and contracts.

Facts used here come from the project's domain reference, ``domain.md`` §3 [doc]:

* hosts: API ``https://partner-api.payfit.com``, OAuth ``https://oauth.payfit.com`` (configuration);
* auth: ``Authorization: Bearer <key>``; a key reads one company, found by
  ``POST {oauth}/introspect`` with ``{"token": "<key>"}`` → ``{"active", "scope": "s1 s2",
  "client_id", "company_id", "token_type"}``; [inferred] some deployments want a form body
  ``token=<key>``, so a 400/415/422 or unreadable answer is retried once form-encoded;
* ``GET /companies/{companyId}/collaborators?maxResults=50&nextPageToken=...`` →
  ``{"collaborators": [...], "meta": {"nextPageToken": str | null}}`` (stop when the token is
  null or absent); ``GET /companies/{companyId}/contracts`` → ``{"contracts": [{"contractId",
  "collaboratorId", "startDate", "endDate", "jobName", "status", ...}], "meta": {...}}``;
* limits: 50 read requests/s per client; over it **429** ``{"message": "API rate limit exceeded"}``
  with ``X-RateLimit-Limit-Second`` / ``X-RateLimit-Remaining-Second``. Only 429, 5xx (and
  transport errors/timeouts) are retried; 401 = invalid or revoked key; 403 = missing scope;
  404 may mean another company's id. Error bodies are ``{"message": "..."}``.

The client paces itself below ``max_rps`` so a normal fetch never meets a 429, and retries
with `tenacity <https://tenacity.readthedocs.io>`_ (a custom wait that honours
``Retry-After``). The API key never appears in logs, messages, reprs or returned data.

Errors raised (all :class:`~reconcile.exceptions.ReconcileError`)::

    AuthError    401, or introspection says the key is inactive (never retried)
    ScopeError   403; ``.scope`` names the missing scope (never retried)
    RateLimited  429 after ``max_attempts`` attempts
    ApiError     404 (company id of another company?), other 4xx, 5xx or transport errors
                 after ``max_attempts`` attempts, malformed answers (not JSON, nested too deeply,
                 a page without its list, a collaborator of the wrong shape), paging that does not
                 end (a ``nextPageToken`` seen before, or more than ``max_pages`` pages)
    InputError   bad arguments (empty key, page size out of 1..50, ...)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pandas as pd

from ..exceptions import ApiError, AuthError, InputError, RateLimited, ScopeError
from ..http import Pacer, Retry, RetryingSender, Secret, body_message
from .payfit import collaborator_problem, flatten_collaborators, load_json

__all__ = [
    "API_URL",
    "OAUTH_URL",
    "FetchResult",
    "FetchState",
    "Introspection",
    "PayfitClient",
    "join_contracts",
]

logger = logging.getLogger(__name__)

API_URL = "https://partner-api.payfit.com"
OAUTH_URL = "https://oauth.payfit.com"
#: Largest page the API serves [doc]; a larger ``maxResults`` is ignored by Payfit.
MAX_PAGE_SIZE = 50
#: Most pages one listing may take (``max_pages``): 10,000 pages of 50 is 500,000 collaborators, far over
#: any company; a server whose ``nextPageToken`` never ends is stopped there with an :class:`ApiError`.
MAX_PAGES = 10_000
#: Scope needed per endpoint [doc: domain.md §3, scopes].
SCOPE_COLLABORATORS = "collaborators:read"
SCOPE_CONTRACTS = "contracts:read"

Progress = Callable[[int, int | None], None]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Introspection:
    """What ``POST {oauth}/introspect`` says about the key (the key itself is not kept).

    ``scopes`` is the ``scope`` string split on spaces, e.g. ``("collaborators:read", "contracts:read")``.
    """

    active: bool
    company_id: str
    scopes: tuple[str, ...]
    client_id: str | None


@dataclass(frozen=True)
class FetchResult:
    """One company's collaborators, each with its ``contracts`` joined from ``/contracts``.

    ``requests`` counts HTTP requests sent during the fetch (introspection and retries
    included), ``throttled`` the 429 answers among them, ``seconds`` the wall time.
    """

    company_id: str
    collaborators: list[dict[str, Any]]
    requests: int
    throttled: int
    seconds: float


@dataclass
class FetchState:
    """Progress of :meth:`PayfitClient.fetch_company`, filled page by page (mutable on purpose).

    Pass one in to keep what was fetched when the fetch fails (e.g. :class:`RateLimited`
    after the bounded retries): every page received is in ``collaborators`` / ``contracts``,
    and passing the same object again resumes after the last page received, so no row is
    lost and no page is fetched twice.
    """

    company_id: str | None = None
    collaborators: list[dict[str, Any]] = field(default_factory=list)
    contracts: list[dict[str, Any]] = field(default_factory=list)
    collaborators_token: str | None = None
    contracts_token: str | None = None
    collaborators_done: bool = False
    contracts_done: bool = False

    @property
    def done(self) -> bool:
        return self.collaborators_done and self.contracts_done


# --------------------------------------------------------------------------- helpers


def join_contracts(collaborators: list[dict[str, Any]], contracts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collaborators (copies) whose ``contracts`` are enriched from ``/contracts`` records.

    A ``/contracts`` record ``{"contractId", "collaboratorId", "jobName", ...}`` is joined to the
    collaborator whose ``id`` is its ``collaboratorId``, and to the contract whose ``id`` is its
    ``contractId``: fields the collaborator's contract lacks (or has null) are added (``jobName``
    ...), its own non-null fields are kept. A record whose contract is not in the collaborator's
    list is appended as ``{"id": contractId, ...}``. Records for unknown collaborators are ignored.
    The inputs are not modified.
    """
    by_collaborator: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in contracts:
        if isinstance(record, dict) and record.get("collaboratorId") is not None:
            by_collaborator[str(record["collaboratorId"])].append(record)
    out = []
    for collaborator in collaborators:
        records = by_collaborator.get(str(collaborator.get("id")), [])
        if not records:
            out.append(dict(collaborator))
            continue
        own = [dict(k) for k in (collaborator.get("contracts") or []) if isinstance(k, dict)]
        by_contract = {str(r["contractId"]): r for r in records if r.get("contractId") is not None}
        joined: set[str] = set()
        for contract in own:
            found = by_contract.get(str(contract.get("id")))
            if found is None:
                continue
            joined.add(str(contract.get("id")))
            for key, value in found.items():
                if key not in ("contractId", "collaboratorId") and contract.get(key) is None:
                    contract[key] = value
        for record in records:
            if str(record.get("contractId")) not in joined:
                extra = {k: v for k, v in record.items() if k not in ("contractId", "collaboratorId")}
                own.append({"id": record.get("contractId"), **extra})
        out.append({**collaborator, "contracts": own})
    return out


# --------------------------------------------------------------------------- client


class PayfitClient:
    """A synchronous client of Payfit's partner API for one customer API key.

    ``api_url`` / ``oauth_url``: base URLs (tests point them at
    :class:`reconcile.testing.payfit_server.PayfitServer`). ``transport`` or ``client``: an injected
    :class:`httpx.BaseTransport` or :class:`httpx.Client` (an injected client is not closed by
    :meth:`close`). ``max_rps``: requests/s the client stays under (request starts are at least
    ``1 / (0.95 * max_rps)`` s apart, shared by all threads using this client). ``timeout``:
    seconds per request. ``max_attempts``: attempts per request for 429, 5xx, timeouts and
    transport errors. ``max_wait``: cap in seconds of any single wait between attempts.
    ``backoff``: first window in seconds of the exponential backoff with full jitter used when
    the server gives no wait hint. ``max_pages``: most pages one listing may take (default
    :data:`MAX_PAGES`); paging past it, or a ``nextPageToken`` seen before, is an :class:`ApiError`.
    ``sleep``: how the client waits, in seconds, for pacing and between attempts (default
    :func:`time.sleep`; tests pass a recorder, so a 30-second ``Retry-After`` costs them nothing).

    Use as a context manager, or call :meth:`close`. Raises :class:`InputError` for bad arguments.
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_url: str = API_URL,
        oauth_url: str = OAUTH_URL,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
        max_rps: float = 50.0,
        timeout: float = 30.0,
        max_attempts: int = 6,
        max_wait: float = 60.0,
        backoff: float = 0.5,
        max_pages: int = MAX_PAGES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise InputError("no Payfit API key given: create one in Payfit (Integrations → API access)")
        if transport is not None and client is not None:
            raise InputError("give a transport or a client, not both")
        if not max_rps > 0 or not timeout > 0 or max_attempts < 1 or max_wait < 0 or backoff < 0 or max_pages < 1:
            raise InputError(
                "max_rps and timeout must be > 0, max_attempts and max_pages >= 1, max_wait and backoff >= 0"
            )
        for label, url in (("API URL", api_url), ("OAuth URL", oauth_url)):
            parts = urlsplit(str(url))
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise InputError(f"the Payfit {label} {url!r} is not an http(s) address such as {API_URL}")
        self._key = Secret(api_key.strip())
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.max_rps = float(max_rps)
        self.timeout = float(timeout)
        self.max_attempts = int(max_attempts)
        self.max_wait = float(max_wait)
        self.max_pages = int(max_pages)
        self._owns_http = client is None
        self._http = client if client is not None else httpx.Client(transport=transport, timeout=self.timeout)
        self._sender = RetryingSender(
            self._http,
            self._key,
            timeout=self.timeout,
            max_attempts=self.max_attempts,
            max_wait=self.max_wait,
            backoff=float(backoff),
            sleep=sleep,
            pacer=Pacer(self.max_rps, sleep=sleep),
            rate_headers=True,
            name="payfit",
        )

    # ---- lifecycle

    def __enter__(self) -> PayfitClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (unless the httpx client was injected)."""
        if self._owns_http:
            self._http.close()

    def __repr__(self) -> str:
        return f"PayfitClient(api_url={self.api_url!r}, oauth_url={self.oauth_url!r}, max_rps={self.max_rps}, api_key='***')"

    # ---- counters

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent by this client so far (retries included)."""
        return self._sender.requests

    @property
    def throttled(self) -> int:
        """429 answers this client has received so far."""
        return self._sender.throttled

    # ---- API

    def introspect(self) -> Introspection:
        """The key's company, scopes and client id, from ``POST {oauth_url}/introspect`` [doc].

        Sends ``{"token": key}`` as JSON; on 400/415/422 or an unreadable answer, retries once
        with the form body ``token=<key>`` [inferred]. Raises :class:`AuthError` when the key is
        invalid, revoked or inactive, :class:`ApiError` when the answer has no ``company_id``.
        """
        url = f"{self.oauth_url}/introspect"
        response = self._request("POST", url, what="the key introspection", json={"token": self._key.reveal()})
        data = self._introspection_body(response)
        if data is None:
            logger.debug("introspection: JSON body refused (%s); retrying form-encoded", response.status_code)
            response = self._request("POST", url, what="the key introspection", data={"token": self._key.reveal()})
            data = self._introspection_body(response)
        if data is None:
            self._raise_for_status(response, what="the key introspection", scope=None, company_id=None)
            raise ApiError("Payfit's introspection answer could not be read (expected a JSON object with 'active')")
        if data.get("active") is not True:
            raise AuthError("the API key is inactive (revoked or expired): create a new key in Payfit", status=200)
        company_id = data.get("company_id")
        if not isinstance(company_id, str) or not company_id.strip():
            raise ApiError("Payfit's introspection answer has no company_id for this key")
        scope = data.get("scope")
        scopes = tuple(str(scope).split()) if scope else ()
        client_id = data.get("client_id")
        return Introspection(
            active=True,
            company_id=company_id.strip(),
            scopes=scopes,
            client_id=str(client_id) if client_id is not None else None,
        )

    def iter_collaborators(self, company_id: str, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every collaborator of ``company_id``, paging ``GET /companies/{id}/collaborators`` [doc].

        Yields the API's objects as they come (see ``reconcile.sources.payfit`` for their fields);
        ``page_size`` is ``maxResults`` (1..50). Raises like :meth:`fetch_company`.
        """
        for items, _token in self._pages(company_id, "collaborators", page_size, None):
            yield from items

    def iter_contracts(self, company_id: str, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every contract of ``company_id`` (``GET /companies/{id}/contracts`` [doc]), each
        ``{"contractId", "collaboratorId", "startDate", "endDate", "jobName", "status", ...}``.
        Needs the scope ``contracts:read`` (else :class:`ScopeError`)."""
        for items, _token in self._pages(company_id, "contracts", page_size, None):
            yield from items

    def get_collaborator(self, company_id: str, collaborator_id: str) -> dict[str, Any]:
        """One collaborator, ``GET /companies/{id}/collaborators/{collaboratorId}`` [doc]."""
        path = f"/companies/{quote(company_id, safe='')}/collaborators/{quote(collaborator_id, safe='')}"
        response = self._request("GET", self.api_url + path, what="the collaborator")
        self._raise_for_status(response, what="the collaborator", scope=SCOPE_COLLABORATORS, company_id=company_id)
        data = self._json(response, what="the collaborator")
        inner = data["collaborator"] if isinstance(data.get("collaborator"), dict) else data
        return inner

    def fetch_company(
        self,
        *,
        progress: Progress | None = None,
        company_id: str | None = None,
        contracts: bool = True,
        page_size: int = MAX_PAGE_SIZE,
        state: FetchState | None = None,
    ) -> FetchResult:
        """Fetch the key's company: collaborators, then contracts, joined by ``collaboratorId``.

        ``company_id`` defaults to the key's (one :meth:`introspect` request). ``progress(done,
        total)`` is called after each collaborators page with the collaborators received so far
        and ``total`` ``None`` (Payfit gives no total); the last call is ``(n, n)`` once
        everything is fetched and joined. ``contracts=False`` skips ``/contracts`` (no ``jobName``; for keys
        without ``contracts:read``). ``state``: see :class:`FetchState` (keeps the rows received
        when an error is raised, and resumes).

        Raises :class:`AuthError`, :class:`ScopeError` (``collaborators:read`` or
        ``contracts:read``), :class:`RateLimited`, :class:`ApiError`.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InputError(f"page_size must be between 1 and {MAX_PAGE_SIZE} (got {page_size})")
        state = state if state is not None else FetchState()
        started, requests0, throttled0 = time.monotonic(), self._sender.requests, self._sender.throttled
        try:
            if state.company_id is None:
                state.company_id = company_id or self.introspect().company_id
            elif company_id is not None and company_id != state.company_id:
                raise InputError("this fetch state belongs to another company id; start with a new FetchState")
            cid = state.company_id
            if not state.collaborators_done:
                for items, token in self._pages(cid, "collaborators", page_size, state.collaborators_token):
                    state.collaborators.extend(items)
                    state.collaborators_token = token
                    state.collaborators_done = token is None
                    if progress is not None:
                        progress(len(state.collaborators), None)
            if contracts and not state.contracts_done:
                for items, token in self._pages(cid, "contracts", page_size, state.contracts_token):
                    state.contracts.extend(items)
                    state.contracts_token = token
                    state.contracts_done = token is None
        except ApiError as exc:
            exc.add_note(
                f"{len(state.collaborators)} collaborator(s) and {len(state.contracts)} contract(s) were "
                "received before the error; pass the same FetchState again to resume"
            )
            raise
        joined = join_contracts(state.collaborators, state.contracts)
        if progress is not None:
            progress(len(joined), len(joined))
        seconds = time.monotonic() - started
        result = FetchResult(
            company_id=str(state.company_id),
            collaborators=joined,
            requests=self._sender.requests - requests0,
            throttled=self._sender.throttled - throttled0,
            seconds=seconds,
        )
        logger.info(
            "fetched %d collaborators and %d contracts in %d requests (%d throttled) and %.2f s",
            len(joined),
            len(state.contracts),
            result.requests,
            result.throttled,
            seconds,
        )
        return result

    def fetch_records(
        self,
        *,
        progress: Progress | None = None,
        company_id: str | None = None,
        contracts: bool = True,
        state: FetchState | None = None,
        today: dt.date | None = None,
    ) -> pd.DataFrame:
        """:meth:`fetch_company` flattened by :func:`reconcile.sources.payfit.flatten_collaborators`.

        Columns: :data:`reconcile.sources.payfit.PAYFIT_COLUMNS`, whose ``jobName`` is the job title of the
        current contract (the one ``contractStatus`` describes; ``None`` without contracts).
        Raises like :meth:`fetch_company`, and :class:`InputError` for a missing or repeated id.
        """
        result = self.fetch_company(progress=progress, company_id=company_id, contracts=contracts, state=state)
        return flatten_collaborators(result.collaborators, today=today)

    # ---- internals

    def _pages(
        self, company_id: str, resource: str, page_size: int, token: str | None
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        """``(items, next_token)`` per page of ``/companies/{id}/{resource}``, from ``token`` on."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InputError(f"page_size must be between 1 and {MAX_PAGE_SIZE} (got {page_size})")
        if not company_id or not str(company_id).strip():
            raise InputError("no Payfit company id given")
        scope = SCOPE_COLLABORATORS if resource == "collaborators" else SCOPE_CONTRACTS
        url = f"{self.api_url}/companies/{quote(str(company_id), safe='')}/{resource}"
        seen: set[str] = {token} if token else set()
        pages = 0
        while True:
            pages += 1
            if pages > self.max_pages:
                raise ApiError(
                    f"Payfit kept sending a nextPageToken after {self.max_pages:,} pages of {resource}: stopped "
                    "(the paging does not end; raise max_pages if the company is really that large)"
                )
            params: dict[str, str | int] = {"maxResults": page_size}
            if token:
                params["nextPageToken"] = token
            response = self._request("GET", url, what=resource, params=params)
            self._raise_for_status(response, what=resource, scope=scope, company_id=str(company_id))
            data = self._json(response, what=f"a page of {resource}")
            items = data.get(resource)
            if not isinstance(items, list):
                raise ApiError(f"Payfit's {resource} page has no '{resource}' list", status=response.status_code)
            for n, item in enumerate(items, start=1):
                problem = (
                    collaborator_problem(item)
                    if resource == "collaborators"
                    else None
                    if isinstance(item, dict)
                    else "not an object"
                )
                if problem is not None:
                    raise ApiError(
                        f"Payfit's {resource} page {pages}, item #{n}: {problem}", status=response.status_code
                    )
            meta = data.get("meta")
            if meta is not None and not isinstance(meta, dict):
                raise ApiError(f"Payfit's {resource} page {pages}: meta is not an object", status=response.status_code)
            token = (meta or {}).get("nextPageToken") or None
            if token is not None:
                if not isinstance(token, str | int):
                    raise ApiError(
                        f"Payfit's {resource} page {pages}: nextPageToken is not text", status=response.status_code
                    )
                token = str(token)
                if token in seen:
                    raise ApiError(f"Payfit returned the same nextPageToken twice while paging {resource}")
                seen.add(token)
            yield items, token
            if token is None:
                return

    def _request(self, method: str, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """Send with pacing and bounded retries (:class:`reconcile.http.RetryingSender`); return the
        final non-retryable response."""
        try:
            return self._sender.send(method, url, **kwargs)
        except Retry as exc:
            attempts = f"after {self.max_attempts} attempt(s)"
            if exc.status == 429:
                raise RateLimited(
                    f"Payfit kept answering 429 (API rate limit exceeded) for {what} {attempts}; "
                    "wait a minute and fetch again",
                    status=429,
                ) from None
            if exc.status is not None:
                raise ApiError(
                    f"Payfit answered {exc.status} (server error) for {what} {attempts}: {exc.description}",
                    status=exc.status,
                ) from None
            host = urlsplit(url).netloc
            raise ApiError(
                f"Payfit could not be reached at {host} for {what} {attempts}: {exc.description}; "
                "check the address and the network"
            ) from exc.__cause__  # the httpx error, for the traceback (it holds no header)

    def _raise_for_status(
        self, response: httpx.Response, *, what: str, scope: str | None, company_id: str | None
    ) -> None:
        """Turn a 4xx answer into the matching :class:`ApiError` subclass (never retried)."""
        status = response.status_code
        if status < 400:
            return
        message = self._redact(body_message(response) or response.reason_phrase)
        if status == 401:
            raise AuthError("the API key is invalid or revoked", status=401)
        if status == 403:
            needed = scope or "a scope"
            raise ScopeError(
                f"the API key lacks the scope {needed} needed to read {what} (Payfit said: {message}); "
                "add it to the key in Payfit, or create a key with it",
                scope=scope,
                status=403,
            )
        if status == 404 and company_id is None:
            raise ApiError(
                f"Payfit answered 404 for {what}: {urlsplit(str(response.url)).path} does not exist there; "
                "check the OAuth address",
                status=404,
            )
        if status == 404:
            where = f"company id {company_id!r}" if company_id else "the resource"
            raise ApiError(
                f"Payfit answered 404 for {what}: {where} was not found; it may belong to another "
                f"company than the API key's (a key reads one company) (Payfit said: {message})",
                status=404,
            )
        raise ApiError(f"Payfit answered {status} for {what}: {message}", status=status)

    def _introspection_body(self, response: httpx.Response) -> dict[str, Any] | None:
        """The introspection JSON, or ``None`` when the form-encoded retry is worth a try."""
        if response.status_code in (400, 415, 422):
            return None
        if response.status_code >= 400:
            self._raise_for_status(response, what="the key introspection", scope=None, company_id=None)
        try:
            data = response.json()
        except (ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) and "active" in data else None

    def _json(self, response: httpx.Response, *, what: str) -> dict[str, Any]:
        try:
            data = load_json(response.content, "answer")
        except InputError as exc:
            reason = str(exc).removeprefix("answer: ")
            raise ApiError(f"Payfit's answer for {what} cannot be read: {reason}", status=response.status_code) from exc
        if not isinstance(data, dict):
            raise ApiError(f"Payfit's answer for {what} is not a JSON object", status=response.status_code)
        return data

    def _redact(self, text: str) -> str:
        """``text`` with the API key replaced by ``***`` (server messages may echo it)."""
        return text.replace(self._key.reveal(), "***") if text else text
