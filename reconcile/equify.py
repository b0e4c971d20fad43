"""Equify accounts exports (CSV) read into the workspace's account table.

Equify has no documented public API (``shared/domain.md`` §4); accounts come
from an export of the contact grid. Every column is read as text so that
phones, matricules and postcodes keep their leading zeros.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .exceptions import InputError
from .models import EQUIFY_FIELDS
from .normalize import clean_text, strip_accents

__all__ = ["ACCOUNT_COLUMNS", "read_equify_accounts"]

#: Columns of the account table (all text, ``None`` when empty): ``id``, ``relation``,
#: ``kind`` (person|legal_entity), the Equify fields, ``payfitId`` (set by a sync).
ACCOUNT_COLUMNS: tuple[str, ...] = ("id", "relation", "kind", *EQUIFY_FIELDS, "payfitId")
_ALIASES = {
    "id": ("id", "account id", "accountid", "identifiant"),
    "firstName": ("firstname", "first name", "prenom", "prénom"),
    "lastName": ("lastname", "last name", "nom", "name"),
    "email": ("email", "e-mail", "mail", "courriel"),
    "phoneNumber": ("phonenumber", "phone", "telephone", "téléphone", "tel"),
    "birthDate": ("birthdate", "birth date", "date de naissance"),
}


def _key(header: str) -> str:
    return strip_accents(header.strip().casefold()).replace("_", " ")


def accounts_from_frame(frame: pd.DataFrame, *, name: str = "accounts") -> pd.DataFrame:
    """Normalise a DataFrame of accounts to :data:`ACCOUNT_COLUMNS` (text, ``None`` when empty).

    Headers are matched case- and accent-insensitively (``Prénom`` → ``firstName``).
    Raises :class:`InputError` naming ``name`` when ``id`` or both name columns are
    missing, or when an id is empty or repeated (with its line number).
    """
    lookup: dict[str, str] = {}
    for col in frame.columns:
        k = _key(str(col))
        for canonical in ACCOUNT_COLUMNS:
            if k in {_key(canonical), *(_key(a) for a in _ALIASES.get(canonical, ()))}:
                lookup.setdefault(canonical, str(col))
    missing = [c for c in ("id", "firstName", "lastName") if c not in lookup]
    if missing:
        raise InputError(
            f"{name}: required column(s) {', '.join(missing)} not found "
            f"(looked for {', '.join(missing)} and their French names; found: {_shown(frame.columns)})"
        )
    out = pd.DataFrame({c: frame[lookup[c]].map(clean_text) if c in lookup else None for c in ACCOUNT_COLUMNS})
    out = out.astype(object).where(out.notna(), None)
    for n, value in enumerate(out["id"], start=2):
        if value is None:
            raise InputError(f"{name}, line {n}: the account id is empty")
    dup = out["id"][out["id"].duplicated()]
    if not dup.empty:
        line = int(dup.index[0]) + 2
        raise InputError(f"{name}, line {line}: account id {dup.iloc[0]!r} appears twice")
    out["kind"] = out["kind"].map(lambda v: v or "person")
    return out


def _shown(columns: Iterable[object], limit: int = 8) -> str:
    names = [str(c)[:40] for c in columns]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "no column"


def read_equify_accounts(source: str | Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """Read an Equify accounts CSV (UTF-8 with or without BOM, ``,`` or ``;``) as text.

    ``source`` is a path or the file's bytes (``name`` then names it in errors).
    Returns :func:`accounts_from_frame`'s table. Raises :class:`InputError`.
    """
    if isinstance(source, bytes):
        data, label = source, name or "upload"
    else:
        label = name or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise InputError(f"{label}: cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise InputError(f"{label}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (byte {exc.start}); save the export as UTF-8 CSV") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"{label}: cannot be parsed as CSV ({exc})") from exc
    return accounts_from_frame(frame, name=label)
