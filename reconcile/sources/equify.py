"""Equify accounts exports (CSV or XLSX) read into the workspace's account table.

Equify has no documented public API (``shared/domain.md`` §4); accounts come
from an export or a paste of the contact grid. Files are read by
:func:`reconcile.sources.files.read_table`: encoding detected (UTF-8, BOM,
Windows-1252), delimiter sniffed, title lines skipped, French and English
headers, and every column kept as text so that phones, matricules and
postcodes keep their leading zeros (cases L1-L5).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

import pandas as pd

from ..exceptions import InputError
from ..matching.normalize import clean_text
from ..models import EQUIFY_FIELDS
from .files import FileRead, Source, check_unique, header_key, read_table, shown

__all__ = ["ACCOUNT_COLUMNS", "EQUIFY_HEADERS", "accounts_from_frame", "read_equify_accounts", "read_equify_file"]

log = logging.getLogger(__name__)

#: Columns of the account table (all text, ``None`` when empty): ``id``, ``relation``,
#: ``kind`` (person|legal_entity), the Equify fields, ``payfitId`` (set by a sync).
ACCOUNT_COLUMNS: tuple[str, ...] = ("id", "relation", "kind", *EQUIFY_FIELDS, "payfitId")
#: Header aliases of each account column (its own name always matches), compared by
#: :func:`reconcile.sources.files.header_key`: case, accents, spaces and punctuation ignored.
EQUIFY_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "account id", "identifiant", "id compte"),
    "relation": ("relation",),
    "kind": ("kind",),
    "firstName": ("prénom", "first name", "given name"),
    "lastName": ("nom", "last name", "name", "nom de famille", "surname", "family name"),
    "email": ("e-mail", "email", "mail", "courriel", "adresse email", "adresse e-mail", "email address"),
    "phoneNumber": (
        "téléphone",
        "tel",
        "phone",
        "phone number",
        "portable",
        "mobile",
        "numéro de téléphone",
        "téléphone portable",
    ),
    "birthDate": ("date de naissance", "birth date", "date of birth"),
    "matricule": ("matricule", "employee id", "employee number", "numéro de matricule"),
    "nationality": ("nationalité", "nationality"),
    "address": ("adresse", "address", "adresse postale"),
    "postcode": ("code postal", "postcode", "postal code", "cp", "zip", "zip code"),
    "city": ("ville", "city", "commune"),
    "country": ("pays", "country"),
    "payfitId": ("payfit id", "id payfit"),
}
_NAMES = (("firstName", "lastName"),)


def _accounts(frame: pd.DataFrame, lines: Sequence[int], where: Callable[[int], str], unit: str) -> pd.DataFrame:
    """Columns already named by field → :data:`ACCOUNT_COLUMNS`, checked ids (errors name ``where(line)``)."""
    out = pd.DataFrame(
        {c: frame[c].map(clean_text) if c in frame.columns else None for c in ACCOUNT_COLUMNS}, index=frame.index
    )
    out = out.astype(object).where(out.notna(), None).reset_index(drop=True)
    check_unique(out["id"], lines, where=where, unit=unit, what="account id")
    out["kind"] = out["kind"].map(lambda v: v or "person")
    return out


def _no_id_error(name: str, found: Sequence[object]) -> InputError:
    return InputError(
        f"{name}: required column(s) id not found (looked for id as {'/'.join(EQUIFY_HEADERS['id'])}); "
        f"found: {shown(found)}"
    )


def accounts_from_frame(frame: pd.DataFrame, *, name: str = "accounts") -> pd.DataFrame:
    """Normalise a DataFrame of accounts to :data:`ACCOUNT_COLUMNS` (text, ``None`` when empty).

    Headers are matched case- and accent-insensitively against :data:`EQUIFY_HEADERS`
    (``Prénom`` → ``firstName``). Raises :class:`InputError` naming ``name`` when ``id``
    or a name column is missing, or when an id is empty or repeated (with its
    line number, counting the header as line 1).
    """
    keys = {header_key(a): canonical for canonical, aliases in EQUIFY_HEADERS.items() for a in (canonical, *aliases)}
    lookup: dict[str, str] = {}
    for col in frame.columns:
        canonical = keys.get(header_key(col))
        if canonical is not None:
            lookup.setdefault(canonical, str(col))
    missing = [c for c in ("id", "firstName", "lastName") if c not in lookup]
    if missing:
        raise InputError(
            f"{name}: required column(s) {', '.join(missing)} not found "
            f"(looked for {', '.join(missing)} and their French names; found: {shown(frame.columns)})"
        )
    renamed = frame[list(lookup.values())].set_axis(list(lookup), axis=1)
    return _accounts(renamed, range(2, len(frame) + 2), lambda line: f"{name}, line {line}", "line")


def read_equify_file(source: Source, *, name: str | None = None, generate_ids: bool = True) -> FileRead:
    """Read an Equify accounts file (CSV or XLSX); ``frame`` holds :data:`ACCOUNT_COLUMNS`.

    ``source`` is a path or the file's bytes (``name`` then names it in messages).
    Required columns: first and last name (``prénom``/``first name``, ``nom``/``last name``),
    and ``id``. A file without an ``id`` column (a paste of the contact grid) gets
    ids ``row-<line>`` and a warning when ``generate_ids`` is true: they are stable
    across re-imports of the same file, not across files whose rows moved.

    Raises :class:`InputError` naming the file, and the line for an empty or repeated id.
    """
    read = read_table(source, name=name, expected=EQUIFY_HEADERS, required=_NAMES)
    frame = read.frame
    warnings = list(read.warnings)
    if "id" not in read.columns:
        if not generate_ids:
            raise _no_id_error(read.name, [read.columns.get(c, c) for c in read.frame.columns])
        frame = frame.assign(id=[f"row-{n}" for n in read.lines])
        warnings.append(
            f"{read.name}: no id column: each account gets the id row-<line of the file>, stable while the rows "
            "keep their order; export the id column to keep links across exports"
        )
    accounts = _accounts(frame, read.lines, read.where, "row" if read.format == "xlsx" else "line")
    return dataclasses.replace(read, frame=accounts, warnings=tuple(warnings))


def read_equify_accounts(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Read an Equify accounts CSV or XLSX (any encoding, delimiter, title lines) as text.

    ``source`` is a path or the file's bytes (``name`` then names it in errors).
    Returns the :data:`ACCOUNT_COLUMNS` table. Unlike :func:`read_equify_file`, it
    requires an ``id`` column (it has no way to return the warning that generated
    ids need); its warnings (mojibake, skipped title lines) are logged. Raises
    :class:`InputError`.
    """
    read = read_equify_file(source, name=name, generate_ids=False)
    for warning in read.warnings:
        log.warning("%s", warning)
    return read.frame
