"""Each side of a match normalised once (the first stage of :func:`reconcile.match`).

:func:`canonical_source` puts the Payfit records in Equify's field names (the mapping and its
transforms); :func:`_check_frame` checks an input frame (``id`` column, unique non-empty ids:
:class:`~reconcile.exceptions.InputError` names the row otherwise); :func:`_side` normalises one
side into a :class:`_Side`: arrays aligned on the frame's rows (names as tokens and keys, emails
and their mailboxes, phones as E.164 digits, dates as ISO text, identifiers), every distinct raw
value computed once.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..models import EQUIFY_FIELDS, FieldMapping, MatchSettings
from ..sources.mapping import MATCH_ONLY_FIELDS, transform_frame
from .normalize import (
    NameKey,
    birth_date_evidence,
    clean_text,
    email_evidence,
    email_mailbox,
    is_placeholder,
    name_key,
    name_tokens,
    remembered_phones,
)

log = logging.getLogger(__name__)


# Name particles are too common to block on alone.
_PARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "d", "l", "van", "von", "der", "den", "di", "da", "del"})


#: Fields a mapping may feed: Equify's fields, plus ``fullName`` (one column holding the whole name)
#: and the match-only alternate last names ``birthName`` and ``secondLastName`` (kept under those
#: names in the canonical frame; never pushed to Equify).
MAPPABLE_FIELDS: tuple[str, ...] = (*EQUIFY_FIELDS, "fullName", *MATCH_ONLY_FIELDS)


_NAME_OR_EMAIL = ("firstName", "lastName", "fullName", "email")


#: Match-only fields holding a record's other last names (a birth or married name), when mapped.
_ALTERNATE_FIELDS = ("birthName", "secondLastName")


_PLAIN_ID = re.compile(r"[\w.:/@+-]+")


def canonical_source(
    source: pd.DataFrame,
    mapping: FieldMapping | Mapping[str, str | None] | None,
    *,
    default_region: str = "FR",
) -> pd.DataFrame:
    """Rename the source's columns to Equify's canonical fields, then apply the mapping's
    transforms (a :class:`FieldMapping` may carry them; see :mod:`reconcile.sources.mapping`).

    Returns a DataFrame with ``id`` (str), one object column per mapped Equify
    field, and ``_hint`` (the per-record country hint for phones: the mapped
    ``country`` if any, else the source's ``country``, i.e. the address country;
    never the nationality: an Italian living in Paris has a French number).

    Raises :class:`InputError` when the source has no ``id`` column or the
    mapping names a column the source lacks.
    """
    if "id" not in source.columns:
        raise InputError("the source records have no 'id' column")
    if mapping is None:
        pairs = {f: f for f in source.columns if f != "id"}
    elif isinstance(mapping, FieldMapping):
        pairs = mapping.mapped()
    elif isinstance(mapping, Mapping):
        pairs = {k: v for k, v in mapping.items() if v is not None and v != ""}
    else:
        raise InputError(f"mapping must be a dict {{equify_field: source_column}}, not {type(mapping).__name__}")
    for key, col in pairs.items():
        if key == "id":
            raise InputError("the mapping cannot set 'id': the source's own 'id' column identifies each record")
        if mapping is not None and key not in MAPPABLE_FIELDS:
            close = difflib.get_close_matches(str(key), MAPPABLE_FIELDS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known fields: {', '.join(MAPPABLE_FIELDS)})"
            raise InputError(f"the mapping names {key!r}, which is not an Equify field{hint}")
        if not isinstance(col, str):
            raise InputError(f"the mapping of {key!r} must be a source column name, not {col!r}")
    missing = sorted({col for col in pairs.values() if col not in source.columns})
    if missing:
        raise InputError(f"the mapping uses source field(s) {', '.join(missing)}, which the records do not have")
    out = pd.DataFrame({"id": source["id"].astype(str)})
    for field_name, col in pairs.items():
        out[field_name] = source[col].astype(object)
    # The address country is the phone's country hint. Nationality is not: an
    # Italian living in Paris has a French number.
    hints = out["country"] if "country" in out.columns else source["country"] if "country" in source.columns else None
    out["_hint"] = hints if hints is not None else None
    if isinstance(mapping, FieldMapping) and mapping.transforms:
        out = transform_frame(out, mapping, default_region=default_region)
    return out


def _codes(values: list[Any]) -> tuple[np.ndarray, list[Any]] | None:
    """``pd.factorize`` of a column: int codes (-1 for None/NaN) and the distinct values;
    ``None`` when a cell cannot be hashed (a list from a JSON export).

    Values equal under ``==`` but of other types (``1``, ``1.0``, ``True``) stay distinct:
    they are normalised differently (``"1"``, ``"1.0"``), so grouping them would make the
    result depend on which one comes first."""
    arr = _obj(values)
    mixed = pd.api.types.infer_dtype(arr, skipna=True) not in ("string", "empty")
    if mixed:  # tag each value with its type; text (most cells) stays as it is
        arr = _obj([v if type(v) is str or v is None else (type(v).__name__, v) for v in values])
    try:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    except TypeError:
        return None
    if mixed:
        return codes, [u[1] if type(u) is tuple and len(u) == 2 and type(u[0]) is str else u for u in uniques]
    return codes, list(uniques)


def _by_value(values: list[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``[fn(v) for v in values]``, calling ``fn`` once per distinct value (names, dates and
    phones repeat a lot: first names, shared birth dates, the same phone on both sides).
    None and NaN are both passed as ``None``."""
    factorized = _codes(values)
    if factorized is None:
        return [fn(None if v is None or (isinstance(v, float) and v != v) else v) for v in values]
    codes, uniques = factorized
    results = np.empty(len(uniques) + 1, dtype=object)
    for k, u in enumerate(uniques):
        results[k] = fn(u)
    results[-1] = fn(None)  # code -1
    return results[codes].tolist()


def _by_pair(a: list[Any], b: list[Any], fn: Callable[[list[Any], list[Any]], list[Any]]) -> list[Any]:
    """``fn(a, b)`` (one result per pair of the parallel lists), ``fn`` given each distinct pair
    once (a phone and its country hint)."""
    fa, fb = _codes(a), _codes(b)
    if fa is None or fb is None:
        return fn(a, b)
    (ca, ua), (cb, ub) = fa, fb
    ua, ub = [*ua, None], [*ub, None]  # code -1 (None/NaN) becomes the last entry
    ca = np.where(ca < 0, len(ua) - 1, ca).astype(np.int64)
    cb = np.where(cb < 0, len(ub) - 1, cb).astype(np.int64)
    pair_codes, pairs = pd.factorize(ca * len(ub) + cb)
    codes = pairs.tolist()
    results = _obj(fn([ua[code // len(ub)] for code in codes], [ub[code % len(ub)] for code in codes]))
    return results[pair_codes].tolist()


def _column(frame: pd.DataFrame, name: str | None) -> list[Any]:
    if name is None or name not in frame.columns:
        return [None] * len(frame)
    return frame[name].astype(object).tolist()


def _sorted_letters(text: Any) -> str:
    return "".join(sorted(text)) if text else ""


_MAX_NAME = 100  # characters of a name part compared; beyond is no name but a pasted paragraph


def _name_text(value: Any) -> str | None:
    """A name part as text (:func:`clean_text`), cut to its first 100 characters."""
    text = clean_text(value)
    return text[:_MAX_NAME] if text is not None and len(text) > _MAX_NAME else text


_PHONE_SEPARATORS = re.compile(r"[ .\-/\u00a0]")


_PHONE_TEXT = re.compile(r"\+?[0-9 .\-/()\u00a0]+")


def _phone_digits(value: Any) -> Any:
    """A phone written only with digits, ``+``, brackets and separators, without its separators
    (``06 12 34 56 78`` and ``06.12.34.56.78`` → ``0612345678``); anything else unchanged.
    Only the E.164 reading is used for matching, and phonenumbers reads both the same."""
    if type(value) is str and _PHONE_TEXT.fullmatch(value):
        return _PHONE_SEPARATORS.sub("", value)
    return value


def _swap_day_month(iso: str | None) -> str | None:
    """``1985-03-12`` → ``1985-12-03``; ``None`` when the swap is no other valid date."""
    if iso is None:
        return None
    y, m, d = iso[:4], iso[5:7], iso[8:10]
    if m == d or int(d) > 12:
        return None
    return f"{y}-{d}-{m}"


@dataclass(frozen=True)
class _Side:
    """One side's records after normalisation, as parallel arrays (internal).

    Name arrays hold compact comparison strings (tokens without spaces), ``""``
    when missing: ``first``/``last`` the two parts, ``fl``/``lf`` both parts in
    each order, ``joined`` the sorted tokens. ``full`` holds a :class:`NameKey`
    for records named only by a full-name column (scored one by one) and
    ``compound`` marks multi-word last names (scored one by one too). ``mailbox`` is each
    email's mailbox (:func:`_mailboxes`: without a ``+tag``, Gmail dots; the email itself
    for most).
    ``first_text``/``last_text``/``full_text`` keep the cleaned name texts and ``alternates``
    each record's other last names (``birthName``, ``secondLastName``), for
    :func:`reconcile.matching.names.name_relation`.
    """

    ids: np.ndarray
    first: np.ndarray
    last: np.ndarray
    fl: np.ndarray
    lf: np.ndarray
    joined: np.ndarray
    last_tokens: list[tuple[str, ...]]
    tokens: list[tuple[str, ...]]
    full: dict[int, NameKey]
    compound: np.ndarray
    email: np.ndarray
    mailbox: np.ndarray
    phone: np.ndarray
    phone_region: np.ndarray
    birth: np.ndarray
    birth_swapped: np.ndarray
    matricule: np.ndarray
    payfit_id: np.ndarray
    first_text: list[str | None]
    last_text: list[str | None]
    full_text: list[str | None]
    alternates: list[tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.ids)

    def label(self, i: int) -> str:
        """Record ``i``'s name as written, for a reason text: its cleaned parts, or its full name
        when it has neither part; ``(no name)`` when it has none."""
        f, la = self.first_text[i], self.last_text[i]
        fn = self.full_text[i] if f is None and la is None else None
        return " ".join(x for x in (f, la, fn) if x) or "(no name)"


def _obj(values: list[Any]) -> np.ndarray:
    """A 1-D object array of ``values``; a list in a cell stays one value (``np.asarray``
    would make a 2-D array of equal-length lists)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _side(frame: pd.DataFrame, ids: np.ndarray, settings: MatchSettings, *, hint_col: str | None) -> _Side:
    """Normalise one side (every distinct raw value once); ``ids`` are the cleaned ids."""
    n = len(frame)
    first_raw, last_raw = _column(frame, "firstName"), _column(frame, "lastName")
    full_raw = _column(frame, "fullName")
    first_clean, last_clean = _by_value(first_raw, _name_text), _by_value(last_raw, _name_text)
    first_tok, last_tok = (
        _by_value(first_clean, name_tokens),
        _by_value(last_clean, name_tokens),
    )
    full_text = _by_value(full_raw, _name_text)
    first_c, last_c, fl, lf, joined = [""] * n, [""] * n, [""] * n, [""] * n, [""] * n
    tokens: list[tuple[str, ...]] = [()] * n
    compound = np.zeros(n, dtype=bool)
    full: dict[int, NameKey] = {}
    for i in range(n):
        ft, lt = first_tok[i], last_tok[i]
        if ft and lt:
            toks = ft + lt
            if not _PARTICLES.issuperset(toks):
                fc, lc = "".join(ft), "".join(lt)
                first_c[i], last_c[i], fl[i], lf[i] = fc, lc, fc + lc, lc + fc
                joined[i] = "".join(sorted(toks)) if len(toks) > 2 else (fc + lc if fc <= lc else lc + fc)
                tokens[i] = toks
                compound[i] = len(lt) > 1
                continue
            ft = lt = ()  # "de" "la": particles alone are no name
        f, la = first_clean[i], last_clean[i]
        fn = full_text[i] if f is None and la is None else None
        key = name_key(f, la, fn)  # one part only, or a full name: read at every split of its words
        if key.empty or all(w in _PARTICLES for w in key.tokens):
            continue
        full[i] = key
        tokens[i] = key.tokens
        first_c[i], last_c[i] = "".join(ft), "".join(lt)
        fl[i] = lf[i] = "".join(key.tokens)
        joined[i] = key.joined
    hints = _column(frame, hint_col) if hint_col else _column(frame, "country")
    region = settings.default_region
    # The same number written with other spaces, dots or dashes is parsed once.
    phones = _by_pair(
        [_phone_digits(p) for p in _column(frame, "phoneNumber")],
        hints,
        lambda numbers, their_hints: remembered_phones(numbers, their_hints, region),
    )
    births = _by_value(_column(frame, "birthDate"), birth_date_evidence)
    alternate_columns = [_by_value(_column(frame, c), _name_text) for c in _ALTERNATE_FIELDS if c in frame.columns]
    alternates = [tuple(x for x in xs if x) for xs in zip(*alternate_columns, strict=True)] or [()] * n
    emails = _obj(_by_value(_column(frame, "email"), email_evidence))
    return _Side(
        ids=ids,
        first=_obj(first_c),
        last=_obj(last_c),
        fl=_obj(fl),
        lf=_obj(lf),
        joined=_obj(joined),
        last_tokens=[lt if ft else () for ft, lt in zip(first_tok, last_tok, strict=True)],
        tokens=tokens,
        full=full,
        compound=compound,
        email=emails,
        mailbox=_mailboxes(emails),
        phone=_obj([p.e164 if p.usable else None for p in phones]),
        phone_region=_obj([p.region if p.usable else None for p in phones]),
        birth=_obj(births),
        birth_swapped=_obj(_by_value(births, _swap_day_month)),
        matricule=_obj(_by_value(_column(frame, "matricule"), _evidence_id)),
        payfit_id=_obj(_by_value(_column(frame, "payfitId"), _evidence_id)),
        first_text=first_clean,
        last_text=last_clean,
        full_text=full_text,
        alternates=alternates,
    )


def _nonempty(arr: np.ndarray) -> np.ndarray:
    """True where an object array holds a non-empty value (not None, not "")."""
    return arr.astype(bool)


_MAILBOX_MARKS = re.compile(r"\+|@(?:gmail|googlemail)\.com$|xn--")


def _mailboxes(emails: np.ndarray) -> np.ndarray:
    """:func:`~reconcile.matching.normalize.email_mailbox` of each email (object array of evidence or None),
    computed only for the emails it can change (a ``+tag``, a Gmail address, a punycode domain):
    any other email is its own mailbox."""
    out = emails.copy()
    present = np.flatnonzero(_nonempty(emails))
    if len(present):
        marked = pd.Series(emails[present], dtype=object).str.contains(_MAILBOX_MARKS).to_numpy(dtype=bool)
        at = present[marked]
        out[at] = _by_value(emails[at].tolist(), email_mailbox)
    return out


def _ident(value: Any) -> str | None:
    """An identifier as compared: trimmed text; an integral float (``42.0``, what pandas makes
    of an integer column with a gap) is written as the integer ``42``."""
    if isinstance(value, float) and value == value and value.is_integer():
        return str(int(value))
    if type(value) is str and value.casefold() != "nan" and _PLAIN_ID.fullmatch(value):
        return value
    return clean_text(value)


def _evidence_id(value: Any) -> str | None:
    """A matricule or Payfit id that can count as evidence: not a placeholder (``0``, ``NULL``, ``-``)."""
    text = _ident(value)
    return None if text is None or is_placeholder(text) else text


def _check_frame(frame: Any, side: str, *, canonical: bool = True) -> np.ndarray:
    """Check one side's DataFrame and return its ids, cleaned (object array of str).

    Raises :class:`InputError` when it is not a DataFrame, has a repeated column name, no
    ``id`` column, an empty id or an id that appears twice after cleaning; or when it has
    none of the fields matching needs, or a column that is a canonical field in another case
    (both only when ``canonical``: the columns already carry Equify's field names).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"the {side} records must be a pandas DataFrame, not {type(frame).__name__}")
    repeated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if repeated:
        raise InputError(f"the {side} records have the column {repeated[0]!r} more than once")
    if "id" not in frame.columns:
        raise InputError(f"the {side} records have no 'id' column")
    by_fold = {f.casefold(): f for f in (*MAPPABLE_FIELDS, "payfitId")}
    for col in frame.columns if canonical else ():
        field_name = by_fold.get(str(col).casefold())
        if field_name is not None and field_name != col and field_name not in frame.columns:
            raise InputError(f"the {side} column {col!r} looks like the field {field_name!r}: name it exactly so")
    if canonical and len(frame) and not any(f in frame.columns for f in _NAME_OR_EMAIL):
        raise InputError(
            f"the {side} records have none of the fields matching uses ({', '.join(_NAME_OR_EMAIL)}); "
            "rename the columns or pass a mapping"
        )
    ids = pd.Series(_clean_ids(frame["id"].to_numpy(dtype=object)), dtype=object)
    if ids.isna().any():
        raise InputError(f"{side} row {int(ids.isna().to_numpy().argmax()) + 1} has an empty id")
    dup = ids[ids.duplicated()]
    if not dup.empty:
        raise InputError(f"{side} id {dup.iloc[0]!r} appears more than once")
    return ids.to_numpy(dtype=object)


def _clean_ids(raw: np.ndarray) -> list[str | None]:
    """:func:`_ident` of each id; the last few columns of ids are remembered (a review
    session matches the same ids again and again)."""
    for kept_raw, kept in _CLEAN_IDS:
        if len(kept_raw) == len(raw) and bool(np.all(kept_raw == raw)):
            return kept
    cleaned = [_ident(x) for x in raw.tolist()]
    if len(_CLEAN_IDS) >= 4:
        _CLEAN_IDS.pop(0)
    _CLEAN_IDS.append((raw.copy(), cleaned))
    return cleaned


_CLEAN_IDS: list[tuple[np.ndarray, list[str | None]]] = []
