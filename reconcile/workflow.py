"""The workbench's steps over a workspace: the functions the app, the CLI and a notebook call.

Each function reads what it needs from a :class:`~reconcile.store.workspace.Workspace`,
calls the pure logic (:mod:`reconcile.matching.matcher`, :mod:`reconcile.sync.plan`) and, for
writes, stores the outcome back. Nothing here imports streamlit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import ConfirmationRequired, InputError, ScopeError
from .matching.matcher import canonical_source, match
from .matching.normalize import clean_text, normalize_date, remembered_phone
from .matching.values import phone_doubt, prepare_value
from .models import CATEGORIES, Decision, FieldMapping, MappingIssue, MatchResult, MatchSettings, Move, Relation
from .sources.equify import read_equify_accounts, read_equify_file
from .sources.payfit import MAPPABLE_COLUMNS, flatten_collaborators, parse_payfit_pages, read_payfit_dump
from .sources.payfit_api import PayfitClient
from .sources.payfit_files import read_payfit_file
from .store.workspace import Workspace
from .sync.plan import Plan, build_plan
from .sync.push import Progress, PushResult, RunProgress, push, push_basis, push_runs, run_progress, start_push
from .sync.push import plan_digest as _plan_digest
from .sync.targets import Target

log = logging.getLogger(__name__)

#: ``progress(collaborators received, total or None)`` while fetching from Payfit.
FetchProgress = Callable[[int, int | None], None]

#: The demo inputs, shipped inside the package (``reconcile/demo``, see its ``README.md``; made by
#: ``data/generate_demo.py``).
DEMO_DIR = Path(__file__).resolve().parent / "demo"

__all__ = [
    "DEMO_DIR",
    "accounts_table",
    "approve_held",
    "unfinished_run",
    "export_report",
    "export_tables",
    "candidates_for",
    "decide_and_rematch",
    "edit_and_rematch",
    "fetch_payfit",
    "load_demo",
    "LoadReport",
    "load_equify_file",
    "load_path",
    "load_payfit_files",
    "mapping_issues",
    "mapping_preview",
    "plan_digest",
    "plan_digest_with",
    "plan_workspace",
    "push_basis",
    "push_runs",
    "push_workspace",
    "run_progress",
    "start_push",
    "start_push_workspace",
    "review_table",
    "run_journal",
    "run_match",
    "scope_counts",
    "scoped_source",
    "source_card",
    "check_payfit_connection",
    "undecide_and_rematch",
    # the review step
    "ReviewFilter",
    "accept_likely_matches",
    "activity_table",
    "edit_table_and_rematch",
    "filter_review",
    "likely_matches",
    "page_of",
    "side_by_side",
    "table_edits",
    "table_ticks",
    "undo_and_rematch",
    "Undone",
]


def load_demo(ws: Workspace, demo_dir: Path = DEMO_DIR) -> dict[str, int]:
    """Replace everything in ``ws`` with the demo company (Payfit pages + Equify CSV).

    Returns ``{"payfit_records": n, "equify_accounts": n}``. Both files are read
    first and written in one transaction, so a failure leaves the workspace unchanged.
    """
    records = read_payfit_dump(demo_dir / "payfit")
    accounts = read_equify_accounts(demo_dir / "equify_accounts.csv")
    ws.replace_all(records, accounts)
    return {"payfit_records": len(records), "equify_accounts": len(accounts)}


@dataclass(frozen=True)
class LoadReport:
    """What a load did: ``rows`` loaded, and ``warnings`` to show the person (mojibake, skipped title lines, ...)."""

    rows: int
    warnings: tuple[str, ...] = ()


_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")


def load_payfit_files(ws: Workspace, documents: list[tuple[str, bytes]]) -> LoadReport:
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
        return _load_side(ws, "payfit", records, ", ".join(name for name, _ in documents))
    if len(documents) > 1:
        raise InputError(f"give one export file at a time (got {len(documents)} files, {', '.join(tables)} among them)")
    read = read_payfit_file(documents[0][1], name=documents[0][0])
    return _load_side(ws, "payfit", read.frame, read.name, read.warnings)


def _load_side(ws: Workspace, side: str, frame: pd.DataFrame, name: str, warnings: tuple[str, ...] = ()) -> LoadReport:
    """Write a side that was read whole; a file with no row is an :class:`InputError` naming it."""
    if frame.empty:
        what = "Payfit collaborator" if side == "payfit" else "Equify account"
        raise InputError(f"{name}: holds no {what} (no data row): nothing was loaded, the workspace is unchanged")
    return LoadReport(ws.load_payfit(frame) if side == "payfit" else ws.load_equify(frame), warnings)


def load_equify_file(ws: Workspace, data: bytes, name: str) -> LoadReport:
    """Load an Equify accounts file (CSV or XLSX), replacing the Equify accounts. Raises :class:`InputError`.

    A file without an id column gets ids ``row-<line>`` and says so in the warnings.
    """
    read = read_equify_file(data, name=name)
    return _load_side(ws, "equify", read.frame, read.name, read.warnings)


def load_path(ws: Workspace, side: str, path: Path) -> LoadReport:
    """Load a file or folder from disk: ``side`` is ``payfit`` (a ``.json`` page, a folder of
    pages, or a CSV/XLSX export) or ``equify`` (a CSV/XLSX). Raises :class:`InputError`."""
    if side == "payfit":
        if path.is_dir() or path.suffix.lower() == ".json":
            return _load_side(ws, "payfit", read_payfit_dump(path), str(path))
        read = read_payfit_file(path)
        return _load_side(ws, "payfit", read.frame, read.name, read.warnings)
    if side == "equify":
        read = read_equify_file(path)
        return _load_side(ws, "equify", read.frame, read.name, read.warnings)
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


def fetch_payfit(ws: Workspace, client: PayfitClient, *, progress: FetchProgress | None = None) -> LoadReport:
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
    return LoadReport(ws.load_payfit(records), warnings)


_SCOPE_EFFECT = {
    "collaborators:read": "nothing can be read",
    "contracts:read": "job titles are empty",
    "collaborators:personal:read": "personal fields (email, phone, address, birth date) may be empty",
    "collaborators:contracts:read": "contract status and dates come from /contracts only",
}


def mapping_preview(ws: Workspace, mapping: FieldMapping, rows: int = 10) -> pd.DataFrame:
    """The first ``rows`` in-scope Payfit records as Equify would receive them.

    Columns: the mapped Equify fields, values after the mapping's transforms and prepared
    as a push would write them (emails normalised, phones in E.164, dates ISO). Unknown
    columns and the match-only fields (never sent: ``birthName``, ``secondLastName``) are skipped.
    """
    from .sources.mapping import MATCH_ONLY_FIELDS

    source = scoped_source(ws).head(rows)
    usable: dict[str, str | None] = {
        f: c for f, c in mapping.mapped().items() if c in source.columns and f not in MATCH_ONLY_FIELDS
    }
    canon = canonical_source(source, FieldMapping.from_dict(usable, dict(mapping.transforms)))
    out = pd.DataFrame(index=canon.index)
    for f in usable:
        out[f] = [prepare_value(f, v, hint=h) for v, h in zip(canon[f], canon["_hint"], strict=True)]
    return out


def phone_summary(
    ws: Workspace, mapping: FieldMapping | None = None, source: pd.DataFrame | None = None
) -> dict[str, Any] | None:
    """What the in-scope Payfit phones look like: ``assumed`` (int: written without a country
    code), ``ambiguous`` (int: could belong to another country), ``unreadable`` (list of
    ``"Name (raw)"``: invalid or corrupted); ``None`` when no phone field is mapped."""
    mapping = ws.mapping() if mapping is None else mapping
    source = scoped_source(ws) if source is None else source
    col = mapping.mapped().get("phoneNumber")
    if col not in source.columns:
        return None
    phones = [remembered_phone(v, "FR", h) for v, h in zip(source[col], source["country"], strict=True)]
    bad = [i for i, p in enumerate(phones) if p.status in ("invalid", "corrupted")]
    names = _names(source["firstName"].iloc[bad], source["lastName"].iloc[bad])
    return {
        "assumed": sum("country_code_assumed" in p.flags for p in phones),
        "ambiguous": sum("region_ambiguous" in p.flags for p in phones),
        "unreadable": [
            f"{name} ({phones[i].raw}{', corrupted by a spreadsheet' if phones[i].status == 'corrupted' else ''})"
            for i, name in zip(bad, names, strict=True)
        ],
    }


def mapping_issues(ws: Workspace, mapping: FieldMapping) -> list[MappingIssue]:
    """The mapping's errors and warnings, plus data warnings on the in-scope records.

    Data warnings: a mapped column that is mostly empty (over half), birth dates that
    cannot be read (named), phones written without a country code (how many, and what
    the default region makes of them) and phones that cannot be read (named).
    """
    issues = mapping.issues(MAPPABLE_COLUMNS)
    source = scoped_source(ws)
    if source.empty:
        return issues
    for f, col in mapping.mapped().items():
        if col in source.columns:
            empty = source[col].map(clean_text).isna().mean()
            if empty > 0.5:
                issues.append(MappingIssue("warning", f, f"{f} ← {col}: {empty:.0%} of the records have no value"))
    birth_col = mapping.mapped().get("birthDate")
    if birth_col in source.columns:
        bad_dates = [
            f"{_name(r.firstName, r.lastName)} ({v})"
            for r, v in zip(source.itertuples(), source[birth_col], strict=True)
            if clean_text(v) is not None and normalize_date(v) is None
        ]
        if bad_dates:
            issues.append(_unreadable("birthDate", "birth date", bad_dates))
    summary = phone_summary(ws, mapping, source)
    if summary is not None:
        assumed, ambiguous, unreadable = summary["assumed"], summary["ambiguous"], summary["unreadable"]
        if assumed:
            issues.append(
                MappingIssue(
                    "warning",
                    "phoneNumber",
                    f"{assumed} phone number(s) have no country code: read with the address country, else as French (+33)"
                    + (f"; {ambiguous} could belong to another country" if ambiguous else ""),
                )
            )
        if unreadable:
            issues.append(_unreadable("phoneNumber", "phone number", unreadable))
    return issues


def _unreadable(field: str, what: str, named: list[str], shown: int = 5) -> MappingIssue:
    """The warning for values that cannot be read and will not be sent, naming the first records."""
    more = f" and {len(named) - shown} more" if len(named) > shown else ""
    return MappingIssue(
        "warning",
        field,
        f"{len(named)} {what}(s) cannot be read and will not be sent: " + "; ".join(named[:shown]) + more,
    )


def scope_counts(ws: Workspace, relation: Relation | None = None) -> dict[str, int]:
    """How many Payfit records each status has, and how many ``relation`` keeps.

    ``{"active": n, "leaver": n, "no_contract": n, "in_scope": n}``.
    """
    relation = relation or ws.relation()
    status = ws.payfit_records()["status"].value_counts()
    out = {s: int(status.get(s, 0)) for s in ("active", "leaver", "no_contract")}
    out["in_scope"] = sum(out[s] for s in relation.statuses())
    return out


def run_journal(ws: Workspace, run_id: str) -> pd.DataFrame:
    """One run's journal for people: ``seq``, ``name``, ``op``, ``account_id``, ``status``, ``error``, ``source_id``."""
    journal = ws.journal(run_id)
    names = journal["payload"].map(lambda p: json.loads(p).get("name") if p else None)
    out = journal[["seq", "op", "account_id", "status", "error", "source_id"]].copy()
    out.insert(1, "name", names)
    return out


def scoped_source(ws: Workspace, records: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Payfit records inside the chosen relation (active employees by default).

    Without ``records``, the workspace's, kept per records' version and relation (each call
    returns its own copy)."""
    statuses = ws.relation().statuses()
    if records is not None:
        return records[records["status"].isin(statuses)].reset_index(drop=True)
    key = (ws.identity, ws.table_version("payfit_records"), tuple(statuses))
    kept = _SCOPED.get(key)
    if kept is None:
        records = ws.payfit_records()
        kept = records[records["status"].isin(statuses)].reset_index(drop=True)
        while len(_SCOPED) >= 2:
            _SCOPED.pop(next(iter(_SCOPED)))
        _SCOPED[key] = kept
    return kept.copy()


_SCOPED: dict[tuple[Any, ...], pd.DataFrame] = {}


def run_match(ws: Workspace, settings: MatchSettings | None = None) -> MatchResult:
    """Match the workspace's in-scope Payfit records to its Equify accounts.

    Uses the stored mapping, relation, ledger and decisions. The last result is kept per
    workspace file, revision and settings, so the steps that match before and after a write
    (an edit, a decision) and the page that shows the result match once per revision.
    Raises :class:`InputError` when the mapping is invalid. Callers must not modify the result.
    """
    key = (ws.identity, ws.revision, settings or MatchSettings())
    cached = _MATCHES.get(key)
    if cached is not None:
        return cached
    result = _run_match(ws, settings)
    if ws.revision != key[1]:  # a write (a push's batch) landed while matching: do not keep a mixed read
        return result
    if len(_MATCHES) >= 4:
        _MATCHES.pop(next(iter(_MATCHES)))
    _MATCHES[key] = result
    return result


_MATCHES: dict[tuple[str, int, MatchSettings], MatchResult] = {}


def _run_match(ws: Workspace, settings: MatchSettings | None = None) -> MatchResult:
    mapping = ws.mapping()
    errors = [i.message for i in mapping.issues() if i.level == "error"]
    if errors:
        raise InputError("the field mapping is not valid: " + "; ".join(errors))
    return match(
        scoped_source(ws),
        ws.equify_accounts(),
        mapping=mapping,
        settings=settings,
        ledger=ws.ledger(),
        ledger_values=ws.ledger_values(),
        decisions=ws.decisions(),
        prepared_key=(ws.identity, ws.data_version),
    )


REVIEW_COLUMNS = [
    "source_id",
    "category",
    "action",
    "name",
    "email",
    "phone",
    "team",
    "target_id",
    "account",
    "account_first",
    "account_last",
    "account_email",
    "account_phone",
    "score",
    "reason",
    "search",
]
#: Review-table columns a person can edit inline, and the Equify field each one sets.
EDITABLE_REVIEW_COLUMNS = {
    "account_first": "firstName",
    "account_last": "lastName",
    "account_email": "email",
    "account_phone": "phoneNumber",
}


def review_table(ws: Workspace, result: MatchResult) -> pd.DataFrame:
    """One row per in-scope Payfit record for the Review page, in the records' order.

    Columns (all text but ``score``, float): ``source_id``, ``category``,
    ``action``, ``name``, ``email``, ``phone`` (E.164 when it parses),
    ``team``, ``target_id``, ``account`` (Equify name), the account's ``account_first``,
    ``account_last``, ``account_email`` and ``account_phone`` (editable in the table, see
    :data:`EDITABLE_REVIEW_COLUMNS`), ``score``, ``reason``, and ``search`` (the text
    :func:`filter_review` searches: names, emails, ids and reason, accents and case folded).
    """
    region = result.settings.default_region
    rec = result.records
    part = _source_part(ws, region)
    src = part.reindex(rec["source_id"])
    # Columns that hold None already (match() writes None; the Payfit part too) skip the NaN
    # scan; only a reindex that found no row brings NaN in.
    clean = {"source_id", "category", "action", "target_id", "reason"}
    if bool(rec["source_id"].isin(part.index).all()):
        clean |= {"name", "email", "phone", "team"}
    a = ws.equify_accounts().drop_duplicates("id").set_index("id").reindex(rec["target_id"])
    has_account = a["firstName"].notna().to_numpy() | a["lastName"].notna().to_numpy()
    # numpy's stubs leave None out of ArrayLike; np.where reads it as an object scalar.
    account = np.where(has_account, _names(a["firstName"], a["lastName"], slot="review.account"), None)  # type: ignore[call-overload]
    columns = {
        "source_id": rec["source_id"],
        "category": rec["category"],
        "action": rec["action"],
        "name": src["name"],
        "email": src["email"],
        "phone": src["phone"],
        "team": src["team"],
        "target_id": rec["target_id"],
        "account": account,
        "account_first": a["firstName"],
        "account_last": a["lastName"],
        "account_email": a["email"],
        "account_phone": a["phoneNumber"],
        "reason": rec["reason"],
    }
    out = pd.DataFrame(
        {
            name: np.asarray(columns[name], dtype=object) if name in clean else _text(columns[name])
            for name in REVIEW_COLUMNS
            if name in columns
        },
        columns=REVIEW_COLUMNS,
        copy=False,
    )
    out["score"] = rec["score"].to_numpy(dtype=float)
    if len(out):
        theirs = [
            f"{n or ''} {e or ''} {t or ''}"
            for n, e, t in zip(account, out["account_email"], out["target_id"], strict=True)
        ]
        reasons = [r or "" for r in out["reason"]]
        out["search"] = _obj_array(
            [
                f"{x} {y} {z}"
                for x, y, z in zip(src["search"].fillna(""), _folded_memo(theirs), _folded_memo(reasons), strict=True)
            ]
        )
    else:
        out["search"] = np.array([], dtype=object)
    return out


def _text(values: Any) -> np.ndarray:
    """An object array with ``None`` for every missing value (NaN from a reindex included)."""
    arr = np.asarray(values, dtype=object)
    missing = pd.isna(arr)
    if missing.any():
        arr = arr.copy()
        arr[missing] = None
    return arr


def _obj_array(values: list[Any]) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


def _source_part(ws: Workspace, region: str) -> pd.DataFrame:
    """The review table's Payfit columns, indexed by record id: ``name``, ``email``, ``phone``
    (E.164 when it parses), ``team``, and ``search`` (name, email and id, folded). Kept per
    records' version, relation and region: an edit or a decision does not rebuild it."""
    key = (ws.identity, ws.table_version("payfit_records"), ws.relation(), region)
    if _SOURCE_PART[0] != key:
        src = scoped_source(ws).drop_duplicates("id")
        phones = [  # E.164 only when certain (values.phone_doubt): else as typed
            (p.raw if phone_doubt(p) else p.e164 or p.raw)
            for p in (remembered_phone(v, region, h) for v, h in zip(src["phoneNumber"], src["country"], strict=True))
        ]
        name = _names(src["firstName"], src["lastName"])
        part = pd.DataFrame(
            {"name": name, "email": src["email"].to_numpy(), "phone": phones, "team": src["teamName"].to_numpy()},
            index=pd.Index(src["id"].to_numpy(), name="id"),
        )
        mine = (
            pd.Series(name, dtype=object)
            + " "
            + src["email"].fillna("").to_numpy()
            + " "
            + src["id"].fillna("").to_numpy()
        )
        part["search"] = _folded(mine).to_numpy() if len(part) else []
        _SOURCE_PART[:] = [key, part]
    return _SOURCE_PART[1]


_SOURCE_PART: list[Any] = [None, None]


def _names(first: pd.Series, last: pd.Series, *, slot: str | None = None) -> np.ndarray:
    """``"First Last"`` of each row (:func:`_name`, vectorised: each distinct value cleaned once,
    remembered across calls; the memo is emptied past 1,000,000 values). With ``slot``, the
    last call's input and output under that name are kept, and only the rows whose names
    differ from it are formatted again (a review table after one edit)."""
    if not len(first):
        return np.array([], dtype=object)
    f_arr, l_arr = first.to_numpy(dtype=object), last.to_numpy(dtype=object)
    kept = _NAMES_KEPT.get(slot) if slot else None
    if kept is not None and len(kept[0]) == len(f_arr):
        same = _same_values(kept[0], f_arr) & _same_values(kept[1], l_arr)
        out = kept[2].copy()
        todo = np.flatnonzero(~same)
    else:
        out = np.empty(len(f_arr), dtype=object)
        todo = np.arange(len(f_arr))
    if len(todo):
        fs, ls = f_arr[todo].tolist(), l_arr[todo].tolist()
        fresh = [v for v in dict.fromkeys(fs + ls) if isinstance(v, str) and v not in _CLEANED]
        if len(_CLEANED) + len(fresh) > 1_000_000:
            _CLEANED.clear()
            fresh = [v for v in dict.fromkeys(fs + ls) if isinstance(v, str)]
        _CLEANED.update((v, clean_text(v) or "") for v in fresh)
        get = _CLEANED.get
        out[todo] = [f"{get(f, '')} {get(la, '')}".strip() or "(no name)" for f, la in zip(fs, ls, strict=True)]
    if slot:
        _NAMES_KEPT[slot] = (f_arr, l_arr, out)
    return out


def _same_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality of two object arrays where missing equals missing (None, NaN)."""
    same = np.asarray(a == b, dtype=bool)
    differ = np.flatnonzero(~same)
    if len(differ):
        same[differ] = pd.isna(a[differ]) & pd.isna(b[differ])
    return same


_NAMES_KEPT: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_CLEANED: dict[str, str] = {}


def _folded(text: pd.Series) -> pd.Series:
    """Text without accents, lower-cased, separators as spaces (vectorised)."""
    plain = text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").str.lower()
    return plain.str.replace(r"[-'’._,;()/]+", " ", regex=True)


def _folded_memo(texts: list[str]) -> list[str]:
    """:func:`_folded` of each text, each text folded once across calls (the accounts' and
    reasons' texts barely change between two matches); the memo is emptied past 1,000,000 texts."""
    distinct = dict.fromkeys(texts)
    fresh = [v for v in distinct if v not in _FOLDED]
    if len(_FOLDED) + len(fresh) > 1_000_000:
        _FOLDED.clear()
        fresh = list(distinct)
    if fresh:
        _FOLDED.update(zip(fresh, _folded(pd.Series(fresh, dtype=object)).tolist(), strict=True))
    values = texts
    return [_FOLDED[v] for v in values]


_FOLDED: dict[str, str] = {}


#: What the Review page can filter on: the evidence that decided each record (``records.rule``).
RULE_LABELS = {
    "email": "email",
    "name": "name",
    "matricule": "matricule",
    "payfit_id": "Payfit ID",
    "ledger": "earlier sync",
    "decision": "a person's decision",
    "none": "nothing found",
}


@dataclass(frozen=True)
class ReviewFilter:
    """What the Review table shows: ``search`` (words found in the name, emails, account or
    reason, case- and accent-free), ``teams`` and ``rules`` (empty: all), ``score`` (an
    inclusive ``(low, high)`` range; records without a score pass only when ``low`` is 0)."""

    search: str = ""
    teams: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    score: tuple[float, float] = (0.0, 100.0)


def filter_review(rows: pd.DataFrame, result: MatchResult, view: ReviewFilter) -> pd.DataFrame:
    """The rows of :func:`review_table` that ``view`` keeps, in their order (index kept)."""
    keep = pd.Series(True, index=rows.index)
    if view.search.strip():
        haystack = rows["search"].fillna("")
        for word in _folded(pd.Series([view.search])).iloc[0].split():
            keep &= haystack.str.contains(word, regex=False)
    if view.teams:
        keep &= rows["team"].isin(view.teams)
    if view.rules:
        rules = result.records.set_index("source_id")["rule"].reindex(rows["source_id"]).to_numpy()
        keep &= pd.Series(rules, index=rows.index).isin(view.rules)
    low, high = view.score
    if (low, high) != (0.0, 100.0):
        score = rows["score"]
        keep &= score.between(low, high) | (score.isna() & (low <= 0))
    return rows[keep]


def page_of(rows: pd.DataFrame, page: int, size: int = 100) -> tuple[pd.DataFrame, int]:
    """Page ``page`` (1-based, clamped) of ``size`` rows, and the number of pages (at least 1)."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, int(page)), pages)
    return rows.iloc[(page - 1) * size : page * size], pages


def candidates_for(ws: Workspace, result: MatchResult, source_id: str, *, min_name_score: float = 60.0) -> pd.DataFrame:
    """The candidate accounts of one record worth showing, best first, with the account's fields.

    A pair is shown when its name score is at least ``min_name_score`` or the
    email, phone, Payfit id or matricule agree.

    Columns: the account's ``firstName``, ``lastName``, ``email``, ``phoneNumber``,
    ``birthDate``, ``relation``, then the pair's ``score``, ``name_score``,
    ``email_equal``, ``phone_agree``, ``birthdate_equal``, ``rule`` and ``target_id``.
    """
    cands = result.candidates[result.candidates["source_id"] == source_id].drop(columns="source_id")
    # Blocking also pairs look-alike names (same prefix or suffix); show only pairs with real evidence.
    evidence = (
        (cands["name_score"].fillna(0) >= min_name_score)
        | cands["email_equal"].eq(True)
        | cands["phone_agree"].eq(True)
        | cands["rule"].isin(["payfit_id", "matricule"])
    )
    cands = cands[evidence]
    accounts = ws.equify_accounts(cands["target_id"])[
        ["id", "firstName", "lastName", "email", "phoneNumber", "birthDate", "relation"]
    ]
    merged = cands.merge(accounts, left_on="target_id", right_on="id", how="left").drop(columns="id")
    order = ["firstName", "lastName", "email", "phoneNumber", "birthDate", "relation", "score", "name_score"]
    order += ["email_equal", "phone_agree", "birthdate_equal", "rule", "target_id"]
    merged = merged.sort_values(["score", "target_id"], ascending=[False, True]).reset_index(drop=True)
    return merged[order]


def edit_and_rematch(
    ws: Workspace, account_id: str, field: str, value: str | None, settings: MatchSettings | None = None
) -> list[Move]:
    """Edit one Equify field, match again, and return who moved to which set.

    Raises :class:`InputError` for an invalid value (nothing is written then).
    """
    return _rematched(ws, lambda: ws.edit_account(account_id, field, value), settings)


def decide_and_rematch(ws: Workspace, decisions: list[Decision], settings: MatchSettings | None = None) -> list[Move]:
    """Record decisions, match again, and return who moved to which set."""
    return _rematched(ws, lambda: ws.decide(decisions), settings)


def undecide_and_rematch(ws: Workspace, source_ids: list[str], settings: MatchSettings | None = None) -> list[Move]:
    """Remove decisions (e.g. *remove from excluded*), match again, return who moved."""
    return _rematched(ws, lambda: ws.undecide(source_ids), settings)


def table_edits(shown: pd.DataFrame, edited_rows: Mapping[Any, Mapping[str, Any]]) -> list[tuple[str, str, str | None]]:
    """The account edits typed in a review table: ``(account_id, field, value)`` per edited cell.

    ``shown`` is the frame exactly as it was displayed (after filtering and paging);
    ``edited_rows`` maps a row's position in it to ``{column: new value}`` (the
    ``st.data_editor`` state, whose positions are those of the data it was given, whatever
    the sorting on screen). Each row is identified by its ``target_id``, so an edit never
    lands on another account. Raises :class:`InputError` for a column that cannot be edited,
    a position outside ``shown`` or a row without an Equify account.
    """
    edits: list[tuple[str, str, str | None]] = []
    for position, changes in edited_rows.items():
        k = int(position)
        if not 0 <= k < len(shown):
            raise InputError(f"row {k + 1} is not in the table any more: edit it again")
        row = shown.iloc[k]
        for column, value in changes.items():
            if column == TICK_COLUMN:
                continue  # a tick is no edit (see table_ticks)
            field = EDITABLE_REVIEW_COLUMNS.get(column)
            if field is None:
                raise InputError(f"the column {column!r} cannot be edited")
            if not clean_text(row["target_id"]):
                raise InputError(f"{row['name']} has no Equify account to edit")
            edits.append((str(row["target_id"]), field, None if value is None else str(value)))
    return edits


#: The review table's tick box column: ticked rows are what the bulk actions act on.
TICK_COLUMN = "tick"


def table_ticks(shown: pd.DataFrame, edited_rows: Mapping[Any, Mapping[str, Any]], ticked: Iterable[str]) -> list[str]:
    """The source ids ticked once the tick boxes changed in a review table were applied.

    ``shown`` and ``edited_rows`` are as for :func:`table_edits` (positions in ``shown``,
    whatever the sorting on screen); ``ticked`` the ids ticked before. Returns the ticked
    ids in ``shown``'s order (a tick outside ``shown`` is dropped: ticks belong to the rows
    on screen). Raises :class:`InputError` for a position outside ``shown``.
    """
    ids = shown["source_id"].astype(str).tolist()
    now = set(ticked) & set(ids)
    for position, changes in edited_rows.items():
        k = int(position)
        if not 0 <= k < len(shown):
            raise InputError(f"row {k + 1} is not in the table any more: tick it again")
        if TICK_COLUMN in changes:
            (now.add if changes[TICK_COLUMN] else now.discard)(ids[k])
    return [i for i in ids if i in now]


def edit_table_and_rematch(
    ws: Workspace,
    shown: pd.DataFrame,
    edited_rows: Mapping[Any, Mapping[str, Any]],
    settings: MatchSettings | None = None,
) -> list[Move]:
    """Apply the edits typed in a review table (:func:`table_edits`), all or nothing, match
    again and return who moved. Raises :class:`InputError` naming the bad edit (nothing written)."""
    edits = table_edits(shown, edited_rows)
    return _rematched(ws, lambda: ws.edit_accounts(edits), settings)


@dataclass(frozen=True)
class Undone:
    """What an undo did: ``said`` (what is back as it was in the workspace, words), ``moves``
    (who changed set), ``kept`` (one sentence per operation a push already sent for the decision
    undone: the target keeps it, nothing is deleted or reverted there)."""

    said: str
    moves: list[Move]
    kept: tuple[str, ...] = ()


_ALREADY = {
    "create": "was already created in Equify by push run {run} ({target} target) and is not deleted",
    "link": "was already linked by push run {run} ({target} target): the link and the fields it filled stay",
    "update": "was already updated by push run {run} ({target} target): the values it sent stay",
}


def undo_and_rematch(ws: Workspace, seq: int, settings: MatchSettings | None = None) -> Undone:
    """Undo one decision or edit of the activity log (:meth:`Workspace.undo`), match again,
    and say what was undone, who moved, and what a push already sent for that decision
    (:attr:`Undone.kept`: an undo never reaches Equify). Raises :class:`InputError` when it
    cannot be undone."""
    kept = _sent_since(ws, seq)
    said: list[str] = []
    moves = _rematched(ws, lambda: said.append(ws.undo(seq)), settings)
    return Undone(said[0], moves, kept)


def _sent_since(ws: Workspace, seq: int) -> tuple[str, ...]:
    """For a decision of the activity log: the operations pushed for its record since it was
    made (journal rows done), as sentences; ``()`` for anything else."""
    entry = ws.query('SELECT kind, subject, "at" FROM activity WHERE seq = ?', [int(seq)])
    if entry.empty or entry["kind"].iloc[0] != "decision":
        return ()
    sid, at = str(entry["subject"].iloc[0]), entry["at"].iloc[0]
    sent = ws.query(
        "SELECT j.run_id, j.op, j.account_id, r.target FROM push_journal j JOIN push_runs r USING (run_id)"
        " WHERE j.source_id = ? AND j.status = 'done' AND j.updated_at >= ? ORDER BY j.updated_at, j.seq",
        [sid, at],
    )
    record = ws.payfit_records([sid])
    name = _name(record["firstName"].iloc[0], record["lastName"].iloc[0]) if not record.empty else ""
    who = f"{name} ({sid})" if name else sid
    return tuple(
        f"{who}: account {r.account_id or '(not known)'} " + _ALREADY[r.op].format(run=r.run_id, target=r.target)
        for r in sent.itertuples(index=False)
        if r.op in _ALREADY
    )


def likely_matches(ws: Workspace, result: MatchResult, threshold: float) -> pd.DataFrame:
    """The name conflicts whose likely match (``MatchResult.proposals``, kind ``review``) scores
    at least ``threshold``: what *accept all above a score* would link.

    Columns: ``source_id``, ``name``, ``target_id``, ``account``, ``score`` (float), ``reason``.
    """
    proposals = result.proposals(threshold)
    review = proposals[proposals["kind"] == "review"]
    if review.empty:
        return pd.DataFrame(columns=["source_id", "name", "target_id", "account", "score", "reason"])
    names = _source_part(ws, result.settings.default_region)["name"].reindex(review["source_id"])
    accounts = ws.equify_accounts(review["target_id"]).set_index("id").reindex(review["target_id"])
    reasons = result.records.set_index("source_id")["reason"].reindex(review["source_id"])
    return pd.DataFrame(
        {
            "source_id": review["source_id"].to_numpy(dtype=object),
            "name": names.to_numpy(dtype=object),
            "target_id": review["target_id"].to_numpy(dtype=object),
            "account": _names(accounts["firstName"], accounts["lastName"]),
            "score": review["score"].to_numpy(dtype=float),
            "reason": reasons.to_numpy(dtype=object),
        }
    )


def accept_likely_matches(
    ws: Workspace, result: MatchResult, threshold: float, expected: int, settings: MatchSettings | None = None
) -> list[Move]:
    """Link every conflict whose likely match scores at least ``threshold`` (one decision each,
    all or nothing), match again, return who moved.

    ``expected`` is how many the person saw and confirmed; raises :class:`InputError` when
    the list changed since (nothing is written then).
    """
    chosen = likely_matches(ws, result, threshold)
    if len(chosen) != expected:
        raise InputError(f"the list changed: {len(chosen)} likely matches now, {expected} confirmed; check it again")
    decisions = [Decision(s, "link", t) for s, t in zip(chosen["source_id"], chosen["target_id"], strict=True)]
    return _rematched(ws, lambda: ws.decide(decisions), settings)


ACTIVITY_COLUMNS = ["seq", "at", "what", "subject", "field", "before", "after", "undoable"]


def activity_table(ws: Workspace, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` entries of the activity log for the activity panel.

    Columns: ``seq`` (int), ``at`` (timestamp), ``what`` (decision, edit, undo, mapping,
    load, ...), ``subject`` (the Payfit record or Equify account, with its name when
    known), ``field``, ``before`` → ``after`` (text), ``undoable`` (bool: a decision or
    edit not undone yet and not changed again since).
    """
    log = ws.activity()
    undone = set(log.loc[log["kind"] == "undo", "subject"].astype(str))
    shown = set(log.head(limit)["subject"].dropna())
    names = {}
    for frame in (ws.payfit_records(shown), ws.equify_accounts(shown)):
        names.update({r.id: _name(r.firstName, r.lastName) for r in frame.itertuples()})
    # The latest entry per record or field: only it can be undone (earlier ones first need it undone).
    latest: dict[tuple[str, str, str | None], int] = {}
    for row in log.itertuples():
        if row.kind in ("decision", "edit"):
            latest.setdefault((row.kind, row.subject, row.field if row.kind == "edit" else None), int(row.seq))
    rows = []
    for row in log.head(limit).itertuples():
        key = (row.kind, row.subject, row.field if row.kind == "edit" else None)
        subject = row.subject
        if subject in names:
            subject = f"{names[subject]} ({subject})"
        rows.append(
            {
                "seq": int(row.seq),
                "at": row.at,
                "what": row.kind,
                "subject": f"undid #{row.subject}" if row.kind == "undo" else subject,
                "field": row.field,
                "before": row.before,
                "after": row.after,
                "undoable": row.kind in ("decision", "edit")
                and str(row.seq) not in undone
                and latest.get(key) == int(row.seq),
            }
        )
    return pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)


def _rematched(ws: Workspace, write: Callable[[], object], settings: MatchSettings | None) -> list[Move]:
    """Match, ``write``, match again: the records whose set or action changed."""
    before = run_match(ws, settings).records.set_index("source_id")[["category", "action"]]
    write()
    after = run_match(ws, settings).records.set_index("source_id")[["category", "action"]]
    old = before.reindex(after.index)
    changed = after[(old["category"] != after["category"]) | (old["action"] != after["action"])]
    if changed.empty:
        return []
    names = _source_part(ws, (settings or MatchSettings()).default_region)["name"]
    return [
        Move(
            str(sid),
            str(names.get(sid, sid)),
            _set_label(old.loc[sid, "category"], old.loc[sid, "action"]),
            _set_label(row.category, row.action),
        )
        for sid, row in zip(changed.index, changed.itertuples(), strict=True)
    ]


def _set_label(category: object, action: object) -> str:
    """``new (link)`` for the new set, whose action matters; the set's name otherwise."""
    return f"{category} ({action})" if category == "new" else str(category)


def plan_workspace(
    ws: Workspace, result: MatchResult | None = None, *, also_approved: pd.DataFrame | None = None
) -> Plan:
    """The push plan for the workspace as it is now; ``also_approved`` (rows of
    :meth:`Plan.held`) are counted as approved without being stored (a preview).

    The plan is built from one state of the workspace: when a write lands while it is built
    (a push's batch), or ``result`` was matched before the ledger it is combined with (a create
    that would *replace* an account the space still holds: the mark of a match older than the
    ledger), it is matched and built again (up to :data:`PLAN_ATTEMPTS` times). A create that
    replaces an account is still sent only once the target confirms the account is gone
    (:mod:`reconcile.sync.push`)."""
    for _attempt in range(PLAN_ATTEMPTS):
        revision = ws.revision
        plan, accounts = _plan_once(ws, result or run_match(ws), also_approved)
        mixed = any(op.op == "create" and op.replaces in accounts for op in plan.operations if op.replaces)
        if not mixed and ws.revision == revision:
            break
        log.info("the plan was built from a workspace that changed meanwhile: planning again")
        result = None
    return plan


#: How many times :func:`plan_workspace` builds a plan when the workspace changes while it does.
PLAN_ATTEMPTS = 3


def _plan_once(ws: Workspace, result: MatchResult, also_approved: pd.DataFrame | None) -> tuple[Plan, frozenset[str]]:
    """The plan from ``result`` and the workspace's reads now, and the account ids it saw."""
    approved = ws.approvals()
    if also_approved is not None:
        approved |= {(str(r.source_id), str(r.field), str(r.after)) for r in also_approved.itertuples(index=False)}
    source = canonical_source(scoped_source(ws), ws.mapping())
    records = ws.payfit_records()
    accounts = ws.equify_accounts()
    plan = build_plan(
        result,
        source,
        accounts,
        ledger_values=ws.ledger_values(),
        ledger=ws.ledger(),
        default_region=result.settings.default_region,
        approved=approved,
        leavers=records[records["status"] == "leaver"],
    )
    return plan, frozenset(accounts["id"].astype(str))


def plan_digest(ws: Workspace, plan: Plan) -> str:
    """The digest a person confirms with ``plan`` (:func:`reconcile.sync.push.plan_digest` with the
    workspace's :func:`~reconcile.sync.push.push_basis` now): pass it as ``confirmed`` to
    :func:`start_push_workspace` / :func:`push_workspace`, which push only that plan, once."""
    return _plan_digest(plan, push_basis(ws))


#: :func:`reconcile.sync.push.plan_digest` (``plan``, ``basis``), for a caller that keeps digests.
plan_digest_with = _plan_digest


def approve_held(ws: Workspace, changes: pd.DataFrame | None = None) -> int:
    """Approve the changes the plan holds (``changes``: rows of :meth:`Plan.held`, default all
    of them); returns how many approvals were recorded."""
    held = plan_workspace(ws).held() if changes is None else changes
    return ws.approve(
        (str(r.source_id), str(r.field), str(r.after), None if r.before is None else str(r.before))
        for r in held.itertuples(index=False)
    )


def unfinished_run(ws: Workspace) -> RunProgress | None:
    """The run a dead process left unfinished (the next push resumes it), or ``None``."""
    runs = push_runs(ws)
    interrupted = runs[runs["status"] == "interrupted"]
    if interrupted.empty:
        return None
    progress = run_progress(ws, str(interrupted["run_id"].iloc[0]))
    return progress if progress.pending else None


def push_workspace(
    ws: Workspace,
    *,
    target: Target | None = None,
    skip_conflicts: bool = False,
    dry_run: bool = False,
    expected_creates: int | None = None,
    progress: Progress | None = None,
    confirmed: str | None = None,
) -> PushResult:
    """Plan from the workspace as it is now and push (see :func:`reconcile.sync.push.push`); the plan
    is computed once the push holds the workspace.

    ``expected_creates`` is the number of creates the person confirmed: when the
    plan changed since (another tab, the CLI), :class:`ConfirmationRequired` is
    raised and nothing is sent. ``confirmed`` is the :func:`plan_digest` of the plan the person
    confirmed: :class:`~reconcile.exceptions.PlanAlreadyPushed` when a run consumed it already,
    :class:`~reconcile.exceptions.PlanChanged` when it is not the plan now (nothing sent, no run).
    """
    if dry_run:
        return push(ws, _confirmed_plan(ws, expected_creates), dry_run=True)
    return push(
        ws,
        lambda: _confirmed_plan(ws, expected_creates),
        target=target,
        skip_conflicts=skip_conflicts,
        progress=progress,
        confirmed=confirmed,
    )


def _confirmed_plan(ws: Workspace, expected_creates: int | None) -> Plan:
    """The plan as it is now; :class:`ConfirmationRequired` when its creates are no longer the
    ``expected_creates`` a person confirmed (another tab, the CLI changed it)."""
    plan = plan_workspace(ws)
    creates = plan.totals()["create"]
    if expected_creates is not None and creates != expected_creates:
        raise ConfirmationRequired(
            f"the plan changed since it was confirmed ({expected_creates} creates confirmed, {creates} now): review it again"
        )
    return plan


def start_push_workspace(
    ws: Workspace,
    *,
    target: Target | None = None,
    skip_conflicts: bool = False,
    expected_creates: int | None = None,
    owns_target: bool = False,
    confirmed: str | None = None,
    resume: str | None = None,
) -> str:
    """:func:`push_workspace` in a worker thread (:func:`reconcile.sync.push.start_push`): returns the
    run's id once the run holds its plan; follow it with :func:`run_progress`. Raises what
    :func:`push_workspace` raises before anything is sent (``confirmed`` included); a refused
    start leaves no run. ``owns_target``: the target is closed when the run ends (or when the
    push is refused). ``resume``: only finish that unfinished run, never start a new one."""
    return start_push(
        ws,
        lambda: _confirmed_plan(ws, expected_creates),
        target=target,
        skip_conflicts=skip_conflicts,
        owns_target=owns_target,
        confirmed=confirmed,
        resume=resume,
    )


def export_tables(
    ws: Workspace,
    *,
    truth: pd.DataFrame | None = None,
    threshold: float | None = None,
    settings: MatchSettings | None = None,
) -> dict[str, pd.DataFrame]:
    """Everything worth sharing, as tables: one per set (``new``, ``synced``, ``conflict``,
    ``excluded``: the review table's columns but the search text), ``plan`` (the dry run),
    and the audit: ``thresholds``, ``blocking``, and with a ``truth`` ``metrics``,
    ``confusion`` and ``disagreements``. ``settings``: the matching settings (default ones
    when ``None``)."""
    from . import audit

    result = run_match(ws, settings)
    rows = review_table(ws, result).drop(columns="search")
    tables = {c: rows[rows["category"] == c].drop(columns="category").reset_index(drop=True) for c in CATEGORIES}
    tables["plan"] = plan_workspace(ws, result).to_frame()
    tables["thresholds"] = audit.threshold_sweep(result)
    tables["blocking"] = audit.blocking_recall(result, truth)
    if truth is not None:
        metrics = audit.evaluate(result, truth, threshold=threshold)
        tables["metrics"] = pd.DataFrame([{"links": k, **m.as_dict()} for k, m in metrics.items()])
        tables["confusion"] = audit.confusion(result, truth).reset_index(names="outcome")
        tables["disagreements"] = audit.disagreements(result, truth)
    return tables


def export_report(
    ws: Workspace,
    *,
    truth: pd.DataFrame | None = None,
    threshold: float | None = None,
    settings: MatchSettings | None = None,
) -> str:
    """The self-contained HTML match-quality report (:func:`reconcile.export.html_report`):
    the counts per set, the audit tables, and the conflicts with their reasons."""
    from .export import html_report

    tables = export_tables(ws, truth=truth, threshold=threshold, settings=settings)
    result = run_match(ws, settings)
    summary: dict[str, object] = {f"{k} records": v for k, v in result.counts().items()}
    summary["automatic links"] = len(result.links)
    sections = {
        "Metrics": tables.get("metrics"),
        "Confusion": tables.get("confusion"),
        "Thresholds": tables["thresholds"],
        "Blocking": tables["blocking"],
        "Disagreements": tables.get("disagreements"),
        "Conflicts": tables["conflict"][["source_id", "name", "account", "score", "reason"]],
    }
    return html_report(
        {k: v for k, v in sections.items() if v is not None}, title="Payfit → Equify match quality", summary=summary
    )


def accounts_table(ws: Workspace) -> pd.DataFrame:
    """The Equify accounts with ``linked_to_payfit`` (bool) and ``payfit_id`` from the ledger.

    Columns: ``id``, ``relation``, ``kind``, ``firstName``, ``lastName``, ``email``,
    ``phoneNumber``, ``birthDate``, ``origin``, ``linked_to_payfit``, ``payfit_id``.
    """
    accounts = ws.equify_accounts()
    by_account = {aid: sid for sid, aid in ws.ledger().items()}
    out = accounts[
        ["id", "relation", "kind", "firstName", "lastName", "email", "phoneNumber", "birthDate", "origin"]
    ].copy()
    out["payfit_id"] = out["id"].map(by_account)
    out["linked_to_payfit"] = out["payfit_id"].notna()
    return out


def source_card(ws: Workspace, source_id: str) -> pd.DataFrame:
    """One Payfit record as ``field`` / ``value`` rows (the mapped fields, then team and status)."""
    records = ws.payfit_records([source_id]).set_index("id")
    if source_id not in records.index:
        raise InputError(f"unknown Payfit record {source_id!r}")
    row = records.loc[source_id]
    fields = [(f, row[c]) for f, c in ws.mapping().mapped().items() if c in records.columns]
    fields += [("team", row["teamName"]), ("status", row["status"]), ("Payfit id", source_id)]
    return pd.DataFrame({"field": [f for f, _ in fields], "value": [clean_text(v) for _, v in fields]})


COMPARISON_COLUMNS = ["field", "payfit", "equify", "agreement", "points"]


def side_by_side(ws: Workspace, result: MatchResult, source_id: str, target_id: str) -> pd.DataFrame:
    """One Payfit record and one Equify account field by field, with what the matcher saw.

    Columns: ``field`` (Equify field), ``payfit`` and ``equify`` (the values as stored),
    ``agreement`` (words: ``same``, ``similar (name score 90)``, ``differ``, ``day/month
    swapped``, ``no evidence``), ``points`` (float, what the field added to the pair's score;
    NaN where it adds nothing). Raises :class:`InputError` for an unknown record or account.
    """
    records = ws.payfit_records([source_id]).set_index("id")
    accounts = ws.equify_accounts([target_id]).set_index("id")
    if source_id not in records.index:
        raise InputError(f"unknown Payfit record {source_id!r}")
    if target_id not in accounts.index:
        raise InputError(f"unknown Equify account {target_id!r}")
    src, acc = records.loc[source_id], accounts.loc[target_id]
    cands = result.candidates
    pair = cands[(cands["source_id"] == source_id) & (cands["target_id"] == target_id)]
    p = pair.iloc[0] if not pair.empty else None

    def said(value: Any, words: dict[Any, str]) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "no evidence"
        return words.get(value, str(value))

    mapped = ws.mapping().mapped()
    rows = []
    for field in ("firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule"):
        col = mapped.get(field)
        left = clean_text(src[col]) if col in records.columns else None
        right = clean_text(acc[field]) if field in accounts.columns else None
        agreement, points = "", float("nan")
        if p is not None:
            if field in ("firstName", "lastName"):
                ns = p["name_score"]
                agreement = "no evidence" if ns != ns else ("same" if ns >= 100 else f"similar (name score {ns:g})")
                relation = p.get("name_relation")
                if isinstance(relation, str) and relation != "same" and ns == ns:
                    agreement += f", related: {relation.replace('_', ' ')}"
                points = float(p["name_points"]) if field == "lastName" else float("nan")
            elif field == "email":
                near = p.get("email_near")
                agreement = (
                    f"near-identical {near[near.find('(') :]}"
                    if isinstance(near, str) and "(" in near
                    else said(p["email_equal"], {True: "same", False: "differ"})
                )
            elif field == "phoneNumber":
                agreement = said(p["phone_agree"], {True: "same", False: "differ"})
                points = float(p["phone_points"])
            elif field == "birthDate":
                agreement = said(
                    p["birthdate_match"],
                    {"exact": "same", "swapped": "day/month swapped", "near": "near (a typo?)", "differ": "differ"},
                )
                points = float(p["birthdate_points"])
            elif field == "matricule":
                agreement = said(
                    p.get("matricule_match", p["matricule_equal"]),
                    {"exact": "same", "near": "near-identical (a typo?)", True: "same", False: "differ"},
                )
                points = float(p["matricule_points"])
        rows.append({"field": field, "payfit": left, "equify": right, "agreement": agreement, "points": points})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _name(first: object, last: object) -> str:
    return " ".join(x for x in (clean_text(first), clean_text(last)) if x) or "(no name)"
