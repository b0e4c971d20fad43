"""Connect / Load: the demo, Payfit pages and exports, an Equify export, a Payfit company fetched by API key (the Connect / Load page; ``reconcile demo``, ``load``, ``fetch``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..exceptions import InputError, ScopeError
from ..sources.equify import read_equify_accounts, read_equify_file
from ..sources.payfit import flatten_collaborators, parse_payfit_pages, read_payfit_dump
from ..sources.payfit_api import PayfitClient
from ..sources.payfit_files import read_payfit_file
from ..store.workspace import Workspace

log = logging.getLogger(__name__)


#: ``progress(collaborators received, total or None)`` while fetching from Payfit.
FetchProgress = Callable[[int, int | None], None]


#: The demo inputs, shipped inside the package (``reconcile/demo``, see its ``README.md``; made by
#: ``data/generate_demo.py``).
DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def load_demo(ws: Workspace, demo_dir: Path = DEMO_DIR, *, operator: str | None = None) -> dict[str, int]:
    """Replace everything in ``ws`` with the demo company (Payfit pages + Equify CSV).

    Returns ``{"payfit_records": n, "equify_accounts": n}``. Both files are read
    first and written in one transaction, so a failure leaves the workspace unchanged.
    The loads are logged with ``operator`` (every writing step takes it: who did it, default
    :func:`~reconcile.operator.default_operator`).
    """
    records = read_payfit_dump(demo_dir / "payfit")
    accounts = read_equify_accounts(demo_dir / "equify_accounts.csv")
    ws.replace_all(records, accounts, operator=operator)
    return {"payfit_records": len(records), "equify_accounts": len(accounts)}


@dataclass(frozen=True)
class LoadReport:
    """What a load did: ``rows`` loaded, and ``warnings`` to show the person (mojibake, skipped title lines, ...)."""

    rows: int
    warnings: tuple[str, ...] = ()


_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")


def load_payfit_files(ws: Workspace, documents: list[tuple[str, bytes]], *, operator: str | None = None) -> LoadReport:
    """Load uploaded Payfit data, replacing the Payfit records: API pages ``.json``, or one export file.

    ``documents`` is ``[(file name, bytes)]``: one or more JSON pages of
    ``GET /collaborators``, or a single CSV/XLSX export. Everything is read before
    anything is written. Raises :class:`InputError` naming the file (and the line or collaborator).
    """
    if not documents:
        raise InputError("choose at least one Payfit file: .json pages, or one .csv / .xlsx export")
    tables = [name for name, _ in documents if name.lower().endswith(_TABLE_SUFFIXES)]
    if not tables:
        records = flatten_collaborators(parse_payfit_pages(documents))
        return _load_side(ws, "payfit", records, ", ".join(name for name, _ in documents), operator=operator)
    if len(documents) > 1:
        raise InputError(f"give one export file at a time (got {len(documents)} files, {', '.join(tables)} among them)")
    read = read_payfit_file(documents[0][1], name=documents[0][0])
    return _load_side(ws, "payfit", read.frame, read.name, read.warnings, operator=operator)


def _load_side(
    ws: Workspace,
    side: str,
    frame: pd.DataFrame,
    name: str,
    warnings: tuple[str, ...] = (),
    *,
    operator: str | None = None,
) -> LoadReport:
    """Write a side that was read whole; a file with no row is an :class:`InputError` naming it."""
    if frame.empty:
        what = "Payfit collaborator" if side == "payfit" else "Equify account"
        raise InputError(f"{name}: holds no {what} (no data row): nothing was loaded, the workspace is unchanged")
    load = ws.load_payfit if side == "payfit" else ws.load_equify
    return LoadReport(load(frame, operator=operator), warnings)


def load_equify_file(ws: Workspace, data: bytes, name: str, *, operator: str | None = None) -> LoadReport:
    """Load an Equify accounts file (CSV or XLSX), replacing the Equify accounts. Raises :class:`InputError`.

    A file without an id column gets ids ``row-<line>`` and says so in the warnings.
    """
    read = read_equify_file(data, name=name)
    return _load_side(ws, "equify", read.frame, read.name, read.warnings, operator=operator)


def load_path(ws: Workspace, side: str, path: Path, *, operator: str | None = None) -> LoadReport:
    """Load a file or folder from disk: ``side`` is ``payfit`` (a ``.json`` page, a folder of
    pages, or a CSV/XLSX export) or ``equify`` (a CSV/XLSX). Raises :class:`InputError`."""
    if side == "payfit":
        if path.is_dir() or path.suffix.lower() == ".json":
            return _load_side(ws, "payfit", read_payfit_dump(path), str(path), operator=operator)
        read = read_payfit_file(path)
        return _load_side(ws, "payfit", read.frame, read.name, read.warnings, operator=operator)
    if side == "equify":
        read = read_equify_file(path)
        return _load_side(ws, "equify", read.frame, read.name, read.warnings, operator=operator)
    raise InputError(f"unknown side {side!r}: use payfit or equify")


@dataclass(frozen=True)
class PayfitConnection:
    """What testing a Payfit API key found: the company and its scopes, and the ones missing.

    ``missing`` lists the scopes the workbench reads that the key lacks
    (``collaborators:read`` is required; the others only leave fields empty).
    """

    company_id: str
    scopes: tuple[str, ...]
    missing: tuple[str, ...]


#: Scopes the workbench reads; only the first is required ([doc] domain.md §3).
PAYFIT_SCOPES = ("collaborators:read", "contracts:read", "collaborators:personal:read", "collaborators:contracts:read")


def check_payfit_connection(client: PayfitClient) -> PayfitConnection:
    """Introspect the key. Raises :class:`AuthError` (invalid or revoked) or :class:`ApiError`."""
    info = client.introspect()
    missing = tuple(s for s in PAYFIT_SCOPES if s not in info.scopes)
    return PayfitConnection(info.company_id, info.scopes, missing)


def fetch_payfit(
    ws: Workspace, client: PayfitClient, *, progress: FetchProgress | None = None, operator: str | None = None
) -> LoadReport:
    """Fetch the key's company from Payfit and replace the workspace's Payfit records with it.

    Contracts are fetched when the key has ``contracts:read`` (for job titles). Everything is
    fetched before anything is written: a failure leaves the workspace unchanged. Returns the
    number of collaborators, with a warning per scope the key lacks. Raises :class:`AuthError`, :class:`ScopeError`, :class:`RateLimited`,
    :class:`ApiError`.
    """
    connection = check_payfit_connection(client)
    if "collaborators:read" not in connection.scopes:
        raise ScopeError("the API key lacks the scope collaborators:read: add it in Payfit", scope="collaborators:read")
    records = client.fetch_records(
        progress=progress, company_id=connection.company_id, contracts="contracts:read" in connection.scopes
    )
    warnings = tuple(f"the API key lacks the scope {scope}: {_SCOPE_EFFECT[scope]}" for scope in connection.missing)
    return LoadReport(ws.load_payfit(records, operator=operator), warnings)


_SCOPE_EFFECT = {
    "collaborators:read": "nothing can be read",
    "contracts:read": "job titles are empty",
    "collaborators:personal:read": "personal fields (email, phone, address, birth date) may be empty",
    "collaborators:contracts:read": "contract status and dates come from /contracts only",
}
