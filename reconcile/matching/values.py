"""How a mapped value is written to Equify and compared with what is there.

Pure functions over single values; used by the matcher (to detect updates of
synced accounts) and by the plan (creates, link fills, updates).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .normalize import (
    PhoneResult,
    clean_text,
    email_evidence,
    email_is_valid,
    is_placeholder,
    normalize_date,
    normalize_email,
    normalize_phone,
    remembered_phone,
)

# An address email-validator certainly accepts (checked against it in the tests): plain
# dot-atoms, letter TLD, no punycode label; anything else goes through email-validator itself.
_SAFE_EMAIL = re.compile(
    r"[a-z0-9_+'-]{1,64}(?:\.[a-z0-9_+'-]{1,64})*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def sendable_email(value: Any) -> str | None:
    """The normalised email when it may be written to Equify: not a placeholder (``n/a``,
    ``null``, ``-``, ``none@none.com``, ``noreply@…``: :func:`~reconcile.matching.normalize.email_evidence`)
    and valid syntax (:func:`~reconcile.matching.normalize.email_is_valid`); else ``None``."""
    email = email_evidence(value)
    if email is None or not _valid_syntax(email):
        return None
    return email


@functools.lru_cache(maxsize=1 << 18)
def _valid_syntax(email: str) -> bool:
    """email-validator's verdict (about 0.2 ms a call), skipped for the plain addresses it always accepts."""
    if (
        len(email) <= 254
        and _SAFE_EMAIL.fullmatch(email)
        and "--" not in email  # a label with "--" in its 3rd and 4th places (xn--, 00--) is IDNA's to judge
        and len(email.partition("@")[0]) <= 64
        and email.rsplit(".", 1)[1] not in _SPECIAL_USE_TLDS
    ):
        return True
    return email_is_valid(email)


def unsendable_reason(field: str, value: Any, *, default_region: str = "FR", hint: Any = None) -> str | None:
    """Why a non-empty source ``value`` of ``field`` is not written to Equify (English words),
    or ``None`` when it is written (or is empty: an empty value is no problem, it is just not sent).

    Emails: a placeholder or not valid syntax; phones: not readable as a number (a
    spreadsheet's ``3.36123E+10`` lost digits); dates: not readable.
    """
    if clean_text(value) is None or prepare_value(field, value, default_region=default_region, hint=hint) is not None:
        return None
    if field == "email":
        email = normalize_email(value)
        if is_placeholder(value) or (email is not None and email_is_valid(email)):
            return "a placeholder, not an address: not sent"
        return "not a valid email address: not sent"
    if field == "phoneNumber":
        if normalize_phone(value, default_region, hint).status == "corrupted":
            return "a number a spreadsheet corrupted (digits lost): not sent"
        return "not a phone number that can be read: not sent"
    if field == "birthDate":
        return "not a date that can be read: not sent"
    return "cannot be written: not sent"  # pragma: no cover - other fields are trimmed text


#: Phone flags that make a readable number uncertain: it is written as typed, never as E.164.
_UNCERTAIN_PHONE_FLAGS = frozenset({"possible_not_valid", "country_hint_ignored", "region_ambiguous"})


def phone_doubt(phone: PhoneResult, hint: Any = None) -> str | None:
    """Why a readable phone is written as typed rather than in E.164 (English words naming the
    countries), or ``None`` when its E.164 form is certain (valid, read in the record's country)
    or it cannot be read at all (then it is not sent: :func:`unsendable_reason`).

    Three kinds: only *possible*, not valid (``00 6 12 34 56 78``: a French number typed with a
    stray ``00`` reads as +61...); valid only outside the record's country (``country_hint_ignored``:
    a number typed without a country code that is not one of the address country's); written
    without a country code and valid in other countries too (``region_ambiguous``).
    """
    if phone.e164 is None or not phone.flags & _UNCERTAIN_PHONE_FLAGS:
        return None
    if "possible_not_valid" in phone.flags:
        return f"not a valid number (it would read as {phone.e164}, a number no operator gives): written as typed"
    if "country_hint_ignored" in phone.flags:
        country = clean_text(hint) or "another country"
        return (
            f"not a number of the address country ({country}); it would read as a {phone.region} number "
            f"{phone.e164}: written as typed"
        )
    return f"no country code, and it could be a number of another country than {phone.region}: written as typed"


def sendable_phone(value: Any, default_region: str = "FR", hint: Any = None) -> str | None:
    """The phone text written to Equify: E.164 when the number is certain (valid, read in the
    record's country or the default region, not ambiguous); the text as typed (trimmed) when it
    is readable but uncertain (:func:`phone_doubt`); ``None`` when it cannot be read (invalid,
    corrupted) or is empty. A wrong E.164 is never produced."""
    phone = remembered_phone(value, default_region, hint)
    if phone.e164 is None:
        return None
    if phone.flags & _UNCERTAIN_PHONE_FLAGS:
        return clean_text(value)
    return phone.e164


def prepare_value(field: str, value: Any, *, default_region: str = "FR", hint: Any = None) -> str | None:
    """The text to write into Equify's ``field`` for a source ``value``.

    Emails are normalised (invisible characters removed, lower-cased) and written only when
    :func:`sendable_email` accepts them (a placeholder such as ``n/a`` or ``none@none.com``, or
    an address with invalid syntax, gives ``None``: never sent); phones
    become E.164 when they are valid in the record's country (``default_region``, or the
    per-record ``hint`` country), are written as typed when only possible, valid only in another
    country or ambiguous (:func:`sendable_phone`, :func:`phone_doubt`), else ``None``: not sent
    (the mapping step names those records); dates become ISO ``YYYY-MM-DD`` when they parse,
    else ``None`` (not sent). Everything else is trimmed text. ``None`` when empty.
    :func:`unsendable_reason` says why a value gives ``None``.
    """
    if field == "email":
        return sendable_email(value)
    if field == "phoneNumber":
        # Only a number that parses is written: a spreadsheet artefact such as
        # 3.36123E+10 or a typo stays in Payfit and is reported, never sent as is.
        return sendable_phone(value, default_region, hint)
    if field == "birthDate":
        return normalize_date(value)  # an unreadable date (e.g. an Excel serial 32874) is not sent
    return clean_text(value)


def flagged_phones(
    records: pd.DataFrame, column: str, *, hint_column: str | None = "country", default_region: str = "FR"
) -> pd.DataFrame:
    """The records whose phone is not sent in E.164: written as typed (:func:`phone_doubt`) or
    not sent at all (:func:`unsendable_reason`), to name the people concerned.

    ``records``: Payfit records with ``id``, ``firstName``, ``lastName``, ``column`` (the phone)
    and, if present, ``hint_column`` (the address country). Returns one row per such record, in
    the records' order: ``source_id``, ``name`` (``First Last``), ``phone`` (as typed), ``sent``
    (the text written, ``None`` when not sent), ``why`` (English words). Empty phones are left out.
    """
    columns = ["source_id", "name", "phone", "sent", "why"]
    if column not in records.columns or records.empty:
        return pd.DataFrame(columns=columns)
    hints = records[hint_column] if hint_column in records.columns else pd.Series([None] * len(records))
    rows = []
    for sid, first, last, value, hint in zip(
        records["id"], records["firstName"], records["lastName"], records[column], hints, strict=True
    ):
        if clean_text(value) is None:
            continue
        phone = remembered_phone(value, default_region, hint)
        why = phone_doubt(phone, hint) or unsendable_reason(
            "phoneNumber", value, default_region=default_region, hint=hint
        )
        if why is None:
            continue
        name = " ".join(x for x in (clean_text(first), clean_text(last)) if x) or "(no name)"
        rows.append((clean_text(sid), name, clean_text(value), sendable_phone(value, default_region, hint), why))
    return pd.DataFrame(rows, columns=columns, dtype=object)


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

    An empty (or unsendable: :func:`prepare_value`) source value never erases a target value.
    With ``only_empty`` only the target's empty fields are filled (what a *link* does); an
    email that is a placeholder or invalid (``n/a``) counts as empty there.
    """
    changes: list[tuple[str, str | None, str]] = []
    for field in fields:
        after = prepare_value(field, source.get(field), default_region=default_region, hint=hint)
        if after is None:
            continue
        before = clean_text(target.get(field))
        if only_empty and before is not None and not (field == "email" and sendable_email(before) is None):
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
    """Updates for a synced account: fields whose source value changed since the last sync,
    and the account's phone still written without its country code (:func:`phone_fix`).

    ``remembered`` is the ledger's snapshot (:func:`snapshot`) of the last sync.
    Returns ``[(field, target's current value, new source value)]``; a field
    whose new value the account already holds, or that became empty in the
    source, gives no change.
    """
    fields = list(fields)
    changed = [
        f
        for f in fields
        if f not in remembered
        or remembered[f] != prepare_value(f, source.get(f), default_region=default_region, hint=hint)
    ]
    changes = diff_values(source, target, changed, default_region=default_region, hint=hint)
    done = {f for f, _, _ in changes}
    return changes + [c for c in phone_fix(source, target, fields, default_region=default_region) if c[0] not in done]


def phone_fix(
    source: Mapping[str, Any], target: Mapping[str, Any], fields: Iterable[str], *, default_region: str = "FR"
) -> list[tuple[str, str | None, str]]:
    """The account's phone written without its country code (``06 12 34 56 78``: Equify warns
    about such numbers) while the source holds the same number: ``[("phoneNumber", the
    account's text, its E.164 form)]``, a change the plan holds for a person's approval; ``[]``
    when the numbers differ, either is unreadable or uncertain, or the account's is already
    international."""
    if "phoneNumber" not in fields:
        return []
    before = clean_text(target.get("phoneNumber"))
    after = prepare_value(
        "phoneNumber", source.get("phoneNumber"), default_region=default_region, hint=source.get("_hint")
    )
    if before is None or after is None or before.startswith(("+", "00")) or not after.startswith("+"):
        return []
    theirs = sendable_phone(before, default_region, clean_text(target.get("country")))
    return [("phoneNumber", before, after)] if theirs == after else []
