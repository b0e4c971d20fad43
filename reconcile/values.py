"""How a mapped value is written to Equify and compared with what is there.

Pure functions over single values; used by the matcher (to detect updates of
synced accounts) and by the plan (creates, link fills, updates).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .normalize import clean_text, normalize_date, normalize_email, normalize_phone


def prepare_value(field: str, value: Any, *, default_region: str = "FR", hint: Any = None) -> str | None:
    """The text to write into Equify's ``field`` for a source ``value``.

    Emails are normalised (invisible characters removed, lower-cased); phones
    become E.164 when they parse (``default_region``, or the per-record
    ``hint`` country), else ``None``: not sent (the mapping step names those records);
    dates become ISO ``YYYY-MM-DD`` when they parse, else ``None`` (not sent). Everything else is
    trimmed text. ``None`` when empty.
    """
    if field == "email":
        return normalize_email(value)
    if field == "phoneNumber":
        # Only a number that parses is written: a spreadsheet artefact such as
        # 3.36123E+10 or a typo stays in Payfit and is reported, never sent as is.
        return normalize_phone(value, default_region, hint).e164
    if field == "birthDate":
        return normalize_date(value)  # an unreadable date (e.g. an Excel serial 32874) is not sent
    return clean_text(value)


def diff_values(
    source: Mapping[str, Any],
    target: Mapping[str, Any],
    fields: Iterable[str],
    *,
    only_empty: bool = False,
    default_region: str = "FR",
    hint: Any = None,
) -> list[tuple[str, str | None, str]]:
    """Field-level changes ``[(field, before, after)]`` that bring ``target`` to ``source``.

    An empty source value never erases a target value. With ``only_empty``
    only the target's empty fields are filled (what a *link* does).
    """
    changes: list[tuple[str, str | None, str]] = []
    for field in fields:
        after = prepare_value(field, source.get(field), default_region=default_region, hint=hint)
        if after is None:
            continue
        before = clean_text(target.get(field))
        if only_empty and before is not None:
            continue
        if before is not None and prepare_value(field, before, default_region=default_region, hint=hint) == after:
            continue
        changes.append((field, before, after))
    return changes


def snapshot(
    source: Mapping[str, Any], fields: Iterable[str], *, default_region: str = "FR", hint: Any = None
) -> dict[str, str | None]:
    """The prepared source values of ``fields``: what the ledger remembers of a sync."""
    return {f: prepare_value(f, source.get(f), default_region=default_region, hint=hint) for f in fields}


def changed_since(
    source: Mapping[str, Any],
    remembered: Mapping[str, str | None],
    target: Mapping[str, Any],
    fields: Iterable[str],
    *,
    default_region: str = "FR",
    hint: Any = None,
) -> list[tuple[str, str | None, str]]:
    """Updates for a synced account: fields whose source value changed since the last sync.

    ``remembered`` is the ledger's snapshot (:func:`snapshot`) of the last sync.
    Returns ``[(field, target's current value, new source value)]``; a field
    whose new value the account already holds, or that became empty in the
    source, gives no change.
    """
    changed = [
        f
        for f in fields
        if f not in remembered
        or remembered[f] != prepare_value(f, source.get(f), default_region=default_region, hint=hint)
    ]
    return diff_values(source, target, changed, default_region=default_region, hint=hint)
