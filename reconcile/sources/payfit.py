"""Payfit collaborators: reading API pages and flattening them into one row each.

Shapes follow Payfit's partner API [doc: developers.payfit.io, "List
collaborators"]: ``GET /companies/{companyId}/collaborators`` answers
``{"collaborators": [...], "meta": {"nextPageToken": str | null}}``; every
collaborator field is nullable. A dump is one or more such pages.

Any document is read in time linear in its size and gives collaborators or an
:class:`~reconcile.exceptions.InputError` naming the file: JSON nested deeper
than :data:`MAX_JSON_DEPTH` levels, an integer too long for Python, and a
collaborator of the wrong shape (:func:`collaborator_problem`: a text field
holding an object or a list, a list field holding something else) are refused.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import InputError
from ..matching.normalize import clean_text, normalize_date
from .files import parse_error_text

__all__ = [
    "MAX_JSON_DEPTH",
    "PAYFIT_COLUMNS",
    "collaborator_problem",
    "flatten_collaborators",
    "load_json",
    "parse_payfit_pages",
    "read_payfit_dump",
]

#: Deepest nesting of a Payfit JSON document (a dump of pages is 5 levels deep: list, page,
#: collaborators, collaborator, contracts, contract).
MAX_JSON_DEPTH = 32
#: Collaborator fields that hold text (or a number, read as its text), or null.
_TEXT_FIELDS = (
    "id",
    "matricule",
    "firstName",
    "lastName",
    "birthName",
    "secondLastName",
    "birthDate",
    "gender",
    "nationality",
    "countryOfBirth",
    "teamName",
    "managerId",
    "terminationDate",
)
_TEXT_FIELD_SET = frozenset(_TEXT_FIELDS)
#: Collaborator fields that hold a list of objects (or null), and each object's text keys.
_LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "emails": ("email", "type"),
    "phoneNumbers": ("phoneNumber", "type"),
    "addresses": ("type", "address", "postcode", "city", "country"),
    "contracts": ("id", "status", "startDate", "endDate", "jobName"),
}

#: Columns of the flattened collaborator table, all text (``object`` dtype, ``None`` when missing)
#: except ``isLeaver`` and ``isAdminWithoutContract`` (bool).
PAYFIT_COLUMNS: tuple[str, ...] = (
    "id",
    "matricule",
    "firstName",
    "lastName",
    "birthName",
    "secondLastName",
    "birthDate",
    "gender",
    "nationality",
    "countryOfBirth",
    "teamName",
    "managerId",
    "email",
    "emailType",
    "personalEmail",
    "professionalEmail",
    "phoneNumber",
    "phoneType",
    "address",
    "postcode",
    "city",
    "country",
    "status",
    "contractStatus",
    "contractStartDate",
    "jobName",
    "terminationDate",
    "isLeaver",
    "isAdminWithoutContract",
    "raw",
)
#: Payfit fields offered in the mapping step (the flattened columns minus bookkeeping).
MAPPABLE_COLUMNS: tuple[str, ...] = tuple(
    c for c in PAYFIT_COLUMNS if c not in {"id", "raw", "isLeaver", "isAdminWithoutContract", "status"}
)


def _kind(value: Any) -> str:
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else repr(value)[:40]


def collaborator_problem(collaborator: Any) -> str | None:
    """What is wrong with the shape of one collaborator object, or ``None`` when it can be read.

    A collaborator is a JSON object; its text fields (``id``, names, dates...) hold text, a
    number or null, never an object or a list; ``emails``, ``phoneNumbers``, ``addresses`` and
    ``contracts`` are lists of objects (or null) whose known keys hold text or null. One pass
    over the object's keys (other keys may hold anything).
    """
    if not isinstance(collaborator, dict):
        return f"not a JSON object ({_kind(collaborator)})"
    for name, value in collaborator.items():
        if value is None:
            continue
        keys = _LIST_FIELDS.get(name)
        if keys is not None:
            if not isinstance(value, list):
                return f"{name} is {_kind(value)}, expected a list or null"
            for n, item in enumerate(value, start=1):
                if not isinstance(item, dict):
                    return f"{name} item #{n} is {_kind(item)}, expected an object"
                for key in keys:
                    if isinstance(item.get(key), dict | list):
                        return f"{name} item #{n}: {key} is {_kind(item[key])}, expected text or null"
        elif type(value) is not str and name in _TEXT_FIELD_SET and isinstance(value, dict | list):
            return f"{name} is {_kind(value)}, expected text or null"
    return None


def _depth_over(data: Any, limit: int) -> bool:
    """True when ``data`` nests objects/lists deeper than ``limit`` levels (iterative, linear)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json(content: bytes | str, name: str) -> Any:
    """Parse one JSON document; :class:`InputError` naming ``name`` for anything that is not
    JSON, nests deeper than :data:`MAX_JSON_DEPTH` levels or holds an integer too long to read."""
    try:
        data = json.loads(content)
    except RecursionError as exc:
        raise InputError(f"{name}: JSON nested too deeply to read (over {MAX_JSON_DEPTH} levels expected)") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid JSON (not UTF-8 text: byte {exc.start})") from exc
    except ValueError as exc:  # e.g. an integer of over 4,300 digits
        raise InputError(f"{name}: not valid JSON for this tool ({parse_error_text(exc)})") from exc
    if _depth_over(data, MAX_JSON_DEPTH):
        raise InputError(f"{name}: JSON nested deeper than {MAX_JSON_DEPTH} levels: not Payfit collaborator pages")
    return data


def _first_of_type(items: Any, value_key: str, preferred: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The first non-empty ``value_key`` of ``items``, by ``type`` preference order."""
    if not isinstance(items, list):
        return None, None
    usable = [i for i in items if isinstance(i, dict) and clean_text(i.get(value_key))]
    for wanted in preferred:
        for item in usable:
            if (item.get("type") or "") == wanted:
                return clean_text(item[value_key]), wanted
    if usable:
        return clean_text(usable[0][value_key]), clean_text(usable[0].get("type"))
    return None, None


def _of_type(items: Any, value_key: str, wanted: str) -> str | None:
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict) and item.get("type") == wanted and clean_text(item.get(value_key)):
            return clean_text(item[value_key])
    return None


def flatten_collaborator(c: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """One collaborator object → one flat row (see :data:`PAYFIT_COLUMNS`).

    The email is the personal one when present, else the professional one (in
    France Payfit collects the personal email). ``status`` is ``active``,
    ``leaver`` (``terminationDate`` before ``today``) or ``no_contract``
    (no contract at all: typically an admin).
    """
    email, email_type = _first_of_type(c.get("emails"), "email", ("personal", "professional"))
    phone, phone_type = _first_of_type(c.get("phoneNumbers"), "phoneNumber", ("personal", "professional"))
    addresses = c["addresses"] if isinstance(c.get("addresses"), list) else []
    address: dict[str, Any] = next(
        (a for a in addresses if isinstance(a, dict) and a.get("type") == "personal"),
        next((a for a in addresses if isinstance(a, dict)), {}),
    )
    contracts = [k for k in (c.get("contracts") or []) if isinstance(k, dict)]
    active = [k for k in contracts if str(k.get("status") or "").upper() == "ACTIVE"]
    current = (
        active[0] if active else (max(contracts, key=lambda k: str(k.get("startDate") or "")) if contracts else None)
    )
    termination = normalize_date(c.get("terminationDate"))
    is_leaver = bool(termination and termination < today.isoformat() and not active)
    no_contract = not contracts
    status = "no_contract" if no_contract else "leaver" if is_leaver else "active"
    return {
        "id": clean_text(c.get("id")),
        "matricule": clean_text(c.get("matricule")),
        "firstName": clean_text(c.get("firstName")),
        "lastName": clean_text(c.get("lastName")),
        "birthName": clean_text(c.get("birthName")),
        "secondLastName": clean_text(c.get("secondLastName")),
        "birthDate": normalize_date(c.get("birthDate")) or clean_text(c.get("birthDate")),
        "gender": clean_text(c.get("gender")),
        "nationality": clean_text(c.get("nationality")),
        "countryOfBirth": clean_text(c.get("countryOfBirth")),
        "teamName": clean_text(c.get("teamName")),
        "managerId": clean_text(c.get("managerId")),
        "email": email,
        "emailType": email_type,
        "personalEmail": _of_type(c.get("emails"), "email", "personal"),
        "professionalEmail": _of_type(c.get("emails"), "email", "professional"),
        "phoneNumber": phone,
        "phoneType": phone_type,
        "address": clean_text(address.get("address")),
        "postcode": clean_text(address.get("postcode")),
        "city": clean_text(address.get("city")),
        "country": clean_text(address.get("country")),
        "status": status,
        "contractStatus": clean_text(current.get("status")) if current else None,
        "contractStartDate": normalize_date(current.get("startDate")) if current else None,
        "jobName": clean_text(current.get("jobName")) if current else None,
        "terminationDate": termination,
        "isLeaver": is_leaver,
        "isAdminWithoutContract": no_contract,
        "raw": json.dumps(c, ensure_ascii=False, sort_keys=True),
    }


def flatten_collaborators(collaborators: Iterable[dict[str, Any]], *, today: dt.date | None = None) -> pd.DataFrame:
    """Flatten collaborator objects into a DataFrame with :data:`PAYFIT_COLUMNS`.

    Raises :class:`InputError` when a collaborator has no ``id`` or an id repeats.
    """
    today = today or dt.date.today()
    rows = []
    seen: set[str] = set()
    for n, c in enumerate(collaborators, start=1):
        problem = collaborator_problem(c)
        if problem is not None:
            raise InputError(f"collaborator #{n}: {problem}")
        row = flatten_collaborator(c, today=today)
        if not row["id"]:
            raise InputError(f"collaborator #{n} has no id")
        if row["id"] in seen:
            raise InputError(f"collaborator id {row['id']!r} appears twice (collaborator #{n})")
        seen.add(row["id"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(PAYFIT_COLUMNS))
    text_cols = [c for c in PAYFIT_COLUMNS if c not in {"isLeaver", "isAdminWithoutContract"}]
    frame[text_cols] = frame[text_cols].astype(object)
    frame[["isLeaver", "isAdminWithoutContract"]] = frame[["isLeaver", "isAdminWithoutContract"]].astype(bool)
    return frame


def parse_payfit_pages(documents: Iterable[tuple[str, bytes | str]]) -> list[dict[str, Any]]:
    """Collaborators from named JSON documents, each a page, a list of pages, or a list of collaborators.

    ``documents`` is ``[(name, content)]`` (a file name and its bytes), so every
    error names the file and the collaborator's position in it. Pages are read in
    the order given. A dump made of pages must be complete: one page (the last)
    has ``nextPageToken`` null or absent, as the API's last page does.

    Raises :class:`InputError` for an empty file, invalid JSON, an unknown shape,
    a collaborator without an id, an id present twice, or an incomplete dump.
    """
    out: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    page_count = last_pages = 0
    names: list[str] = []
    for name, content in documents:
        names.append(name)
        if not (content.strip() if isinstance(content, str) else content.strip()):
            raise InputError(f"{name}: the file is empty")
        data = load_json(content, name)
        is_pages = isinstance(data, list) and data and all(isinstance(p, dict) and "collaborators" in p for p in data)
        pages = data if is_pages else [data]
        position = 0
        for page in pages:
            if isinstance(page, dict) and isinstance(page.get("collaborators"), list):
                page_count += 1
                meta = page["meta"] if isinstance(page.get("meta"), dict) else {}
                if not meta.get("nextPageToken"):
                    last_pages += 1
                items = page["collaborators"]
            elif isinstance(page, list):
                items = page
            else:
                raise InputError(
                    f"{name}: expected a Payfit collaborators page "
                    '({"collaborators": [...], "meta": {"nextPageToken": ...}}) or a list of collaborators'
                )
            for item in items:
                position += 1
                where = f"{name}, collaborator #{position}"
                problem = collaborator_problem(item)
                if problem is not None:
                    raise InputError(f"{where}: {problem}")
                cid = clean_text(item.get("id"))
                if cid is None:
                    raise InputError(f"{where}: no id")
                if cid in seen:
                    raise InputError(f"{where}: id {cid!r} was already given by {seen[cid]}")
                seen[cid] = where
                out.append(item)
    if page_count and not last_pages:
        label = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise InputError(
            f"{label}: the dump is incomplete: every one of its {page_count} page(s) has a nextPageToken, "
            "so the last page is missing; fetch or add the remaining pages"
        )
    return out


def read_payfit_dump(path: str | Path, *, today: dt.date | None = None) -> pd.DataFrame:
    """Read a dump (a page file, or a folder of ``*.json`` pages in name order) and flatten it.

    Raises :class:`InputError` naming the file when it cannot be read.
    """
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: no .json page found")
    docs = []
    for f in files:
        try:
            docs.append((str(f), f.read_bytes()))
        except OSError as exc:
            raise InputError(f"{f}: cannot be read ({exc.strerror})") from exc
    return flatten_collaborators(parse_payfit_pages(docs), today=today)
