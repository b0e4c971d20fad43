"""Record linkage of Payfit records (source) to Equify accounts (target).

Pure logic over pandas DataFrames (DuckDB, in memory, only as the join engine
for blocking): no files, no network. The policy is ``shared/domain.md`` §5,
strongest evidence first:

1. exclusion list → *excluded*, whatever else matches;
2. sync ledger → *synced* (action *update* when mapped values changed);
3. a person's decision (link to a chosen account / create anyway);
4. exact identifier (the account carries the Payfit id or the same matricule) → link;
5. exact normalised email, unique on both sides → link (unless the names clearly disagree);
6. name similarity (rapidfuzz) → *conflict* with its candidates, never an automatic link;
7. nothing → *new* / *create*.

Linkage is one-to-one: an Equify account is linked to at most one Payfit
record; two records claiming one account are both conflicts.

The engine runs in four vectorised stages, so 100,000 × 100,000 records take
seconds (``bench/match_scale.py``):

* **normalise** each side once, every distinct raw value once (names, emails,
  phones, dates are cached by value), and derive its blocking keys; for large inputs
  the Equify side is prepared in a forked process while the Payfit side is prepared
  here (:func:`_both_sides`: the same functions, so the same result);
* **block** in DuckDB: equi-joins of the two sides' blocking keys, one rule per
  key kind (:data:`BLOCKING_RULES`), the union of the pairs, never a cross product;
  a loose key whose block (records × accounts sharing it) would give more than
  ``MatchSettings.max_block_pairs`` pairs is dropped and counted;
* **score** every candidate pair at once (rapidfuzz ``cpdist``), keeping the
  per-field breakdown;
* **classify** from per-record aggregates of the scored pairs.
"""

from __future__ import annotations

import collections
import contextlib
import difflib
import functools
import gc
import itertools
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, NamedTuple, TypeVar

import duckdb
import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from ..exceptions import InputError
from ..models import EQUIFY_FIELDS, Decision, FieldMapping, MatchResult, MatchSettings
from ..sources.mapping import MATCH_ONLY_FIELDS, transform_frame
from .names import NameRelation, given_keys, name_relation, name_relations, surname_keys
from .normalize import (
    NameKey,
    _identifier_keys,
    _near_identifiers,
    birth_date_evidence,
    clean_text,
    email_evidence,
    email_mailbox,
    email_near,
    is_placeholder,
    name_key,
    name_tokens,
    near_date,
    remembered_phones,
    score_names,
)

log = logging.getLogger(__name__)

__all__ = ["BLOCKING_RULES", "CANDIDATE_COLUMNS", "canonical_source", "match"]

RECORD_COLUMNS = ["source_id", "category", "action", "target_id", "score", "rule", "reason"]
LINK_COLUMNS = ["source_id", "target_id", "score", "rule"]
#: Columns of ``MatchResult.candidates``: one row per scored pair with its per-field breakdown.
CANDIDATE_COLUMNS = [
    "source_id",
    "target_id",
    "score",
    "name_score",
    "email_equal",
    "phone_agree",
    "birthdate_equal",
    "birthdate_match",
    "matricule_equal",
    "matricule_match",
    "email_near",
    "name_relation",
    "doubt",
    "name_points",
    "birthdate_points",
    "phone_points",
    "matricule_points",
    "rule",
]
BLOCKING_COLUMNS = ["rule", "description", "pairs", "strongest", "crowded_keys"]

#: Blocking rules, strongest first: ``(rule, what both records share, loose)``.
#: A *loose* rule's key whose block would give more than ``max_block_pairs`` pairs is dropped;
#: any other key over ``max_exact_block_pairs`` too.
BLOCKING_RULES: tuple[tuple[str, str, bool], ...] = (
    ("payfit_id", "the account carries the record's Payfit ID", False),
    ("matricule", "the same matricule", False),
    ("email", "the same normalised email", False),
    ("mailbox", "the same mailbox (without a +tag; Gmail dots and googlemail.com; punycode)", False),
    ("phone", "the same phone in E.164 (usable numbers only)", False),
    ("name", "the same name tokens, sorted, spaces removed", False),
    ("last_name", "the account's last name and first initial, in either order (a typo in the first name)", True),
    ("name_token", "a last-name word of 3+ letters, particles excepted (compound and one-part names)", True),
    ("name_prefix", "the first 4 letters of one name part and the other part whole (a typo near the end)", True),
    ("name_suffix", "the last 4 letters of one name part and the other part whole (a typo near the start)", True),
    ("name_letters", "the letters of one name part in any order and the other part whole (two letters swapped)", True),
    ("initials_birthdate", "the same birth date and the same two initials, in any order", True),
    (
        "surname_forms",
        "a form of the last name (particles, transliteration, a birth or married name) and a first sound of "
        "the given name (initials, other spellings); or the last name's consonants or a letter changed, added "
        "or removed in its middle, and the whole given name",
        True,
    ),
    (
        "surname_birthdate",
        "a form of the last name (no edit; the record's first name too) and the birth date, or its day and month swapped",
        True,
    ),
    (
        "near_matricule",
        "a near matricule (one character changed or two swapped) and the two initials, in any order",
        True,
    ),
)
_RULE_NAMES = [r[0] for r in BLOCKING_RULES]
_LOOSE = [i for i, r in enumerate(BLOCKING_RULES) if r[2]]
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
_RULE_WORDS = {"email": "email", "payfit_id": "Payfit ID", "matricule": "matricule"}


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


def _exploded(
    values: list[Any], fn: Callable[[Any], tuple[str, ...]], at: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The keys ``fn(value)`` of records ``at`` (int32 positions; ``values`` parallel to them),
    ``fn`` called once per distinct value (missing values have none): ``(positions, which, flat)``,
    each position repeated once per key of its record (in the order of ``at``), ``which`` the index
    of its key in ``flat``, the keys of the distinct values (so a key's hash or test is computed once)."""
    codes, uniques = pd.factorize(_obj(values), use_na_sentinel=True)
    per = [fn(u) for u in uniques]
    counts = np.fromiter((len(k) for k in per), dtype=np.int64, count=len(per))
    flat = list(itertools.chain.from_iterable(per))
    held = codes >= 0
    codes = codes[held]
    each = counts[codes]
    starts = np.cumsum(counts) - counts
    within = np.arange(int(each.sum()), dtype=np.int64) - np.repeat(np.cumsum(each) - each, each)
    return np.repeat(np.asarray(at, dtype=np.int32)[held], each), np.repeat(starts[codes], each) + within, flat


def _hashed(values: Any) -> np.ndarray:
    """The 64-bit hash (uint64) of each text of ``values`` (pandas' SipHash with its fixed key: the
    same in every process)."""
    arr = values if isinstance(values, np.ndarray) and values.dtype == object else _obj(list(values))
    return pd.util.hash_array(arr, categorize=False)


def _hashes_of(arr: np.ndarray, *fns: Callable[[str], str] | None) -> list[np.ndarray]:
    """For each of ``fns`` (``None``: the text itself), :func:`_hashed` of ``fn(v)`` for each text
    ``v`` of the object array ``arr``: the texts factorised once, ``fn`` and the hash computed
    once per distinct text."""
    codes, uniques = pd.factorize(arr)
    texts = list(uniques)
    return [_hashed(_obj(texts if fn is None else [fn(u) for u in texts]))[codes] for fn in fns]


def _exploded_hashed(
    values: list[Any], fn: Callable[[Any], tuple[str, ...]], at: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_exploded` with each key hashed (:func:`_hashed`, once per distinct key): ``(positions, keys)``."""
    positions, which, flat = _exploded(values, fn, at)
    return positions, _hashed(flat)[which]


_U64 = np.uint64


def _combine(*parts: np.ndarray) -> np.ndarray:
    """One 64-bit key (uint64) of several hashed parts, elementwise (arrays of one value broadcast):
    equal for equal parts in the same order, and otherwise equal with a chance of about 2⁻⁶⁴
    (splitmix64's finaliser of ``h·φ + part``, wrapping)."""
    h = parts[0]
    for part in parts[1:]:
        h = h * _U64(0x9E3779B97F4A7C15) + part
        h = (h ^ (h >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> _U64(27))) * _U64(0x94D049BB133111EB)
        h = h ^ (h >> _U64(31))
    return h


def _tag(text: str) -> np.ndarray:
    """The hash of a key family's tag, as a one-value array (so :func:`_combine` broadcasts it)."""
    return _hashed([text])


_TAGS = {tag: _tag(tag) for tag in ("a", "b", "L", "F")}
_KIND_TAGS = [_tag(f"rule:{rule}") for rule, _description, _loose in BLOCKING_RULES]


def _paired(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each key of ``a`` combined (:func:`_combine`) with each key of ``b`` of the same record (both
    ``(positions, uint64 keys)`` with positions ascending, as :func:`_exploded` gives): ``(positions, keys)``."""
    (rows_a, keys_a), (rows_b, keys_b) = a, b
    per_b = np.bincount(rows_b, minlength=n).astype(np.int64)
    starts_b = np.cumsum(per_b) - per_b
    each = per_b[rows_a]
    within = np.arange(int(each.sum()), dtype=np.int64) - np.repeat(np.cumsum(each) - each, each)
    pick = np.repeat(starts_b[rows_a], each) + within
    return np.repeat(rows_a, each), _combine(np.repeat(keys_a, each), keys_b[pick])


@functools.lru_cache(maxsize=1 << 17)
def _surname_forms(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The blocking keys of a last name, ``value`` a text or a tuple ``(last, *alternates)``:
    ``(edited, forms)``. ``forms``: :func:`reconcile.matching.names.surname_keys` without edits (the name
    as written, without particles, ``St`` expanded, its alternates, ``s:`` and its consonants).
    ``edited``: ``d:`` and each whole form (3+ letters), and ``d:`` and each one-letter deletion
    of a form (4+ letters): a letter changed, added or removed leaves one key in common. For the
    name as written, only the deletions inside both its first and its last 4 letters: an edit
    elsewhere leaves one of them whole, which the ``name_prefix``/``name_suffix`` keys find."""
    last, alternates = (value[0], value[1:]) if type(value) is tuple else (value, ())
    forms = surname_keys(last, alternates, edits=False)
    edited = []
    for k in forms:
        if ":" in k or len(k) < 3:
            continue
        edited.append("d:" + k)
        if len(k) >= 4:
            at = range(max(len(k) - 4, 0), 4) if k == forms[0] and not alternates else range(len(k))
            edited += ["d:" + k[:p] + k[p + 1 :] for p in at]
    return tuple(dict.fromkeys(edited)), forms


def _block_words(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a name that key ``name_token``: 3+ letters, not a particle."""
    return tuple(w for w in tokens if len(w) >= 3 and w not in _PARTICLES)


def _surname_variants(value: Any) -> tuple[str, ...]:
    return _surname_forms(value)[1]


def _surname_edits(value: Any) -> tuple[str, ...]:
    return _surname_forms(value)[0]


def _first_letter(text: str) -> str:
    return text[:1]


def _prefix4(text: str) -> str:
    return text[:4]


def _suffix4(text: str) -> str:
    return text[-4:]


def _keys(side: _Side, *, target_side: bool) -> pd.DataFrame:
    """Blocking keys of one side: columns ``kind`` (int8, index in :data:`BLOCKING_RULES`),
    ``key`` (int64: a 64-bit hash of the key's parts, :func:`_combine`) and ``i`` (int32, the
    record's position).

    The target side indexes its whole name and its last name (never a first name
    alone: every Jean would pair with every Jean); the source side looks up with both
    of its parts, so swapped first and last names still meet.

    Keys are hashes from the start: each distinct text is hashed once and a key of several
    parts combines their hashes (DuckDB groups and joins integers far faster than text, and no
    key text is built per record). Two different keys share a hash with a chance of about
    n²/2⁶⁵ for n keys (under 1e-4 at a million records, ~30 million keys); it would only add a
    candidate pair, which scoring judges like any other.
    """
    n = len(side)
    rows = np.arange(n, dtype=np.int32)
    frames: list[pd.DataFrame] = []

    def add(rule: str, keys: np.ndarray, at: np.ndarray) -> None:
        if len(at):
            kind = _RULE_NAMES.index(rule)
            # The rule is part of the key, so one integer column joins (the same text under two rules never meets).
            keys = _combine(_KIND_TAGS[kind], keys)
            frames.append(pd.DataFrame({"kind": np.int8(kind), "key": keys.view(np.int64), "i": at}))

    def scalar(rule: str, arr: np.ndarray) -> None:
        mask = _nonempty(arr)
        add(rule, _hashed(arr[mask]), rows[mask])

    scalar("payfit_id", side.payfit_id if target_side else side.ids)
    scalar("matricule", side.matricule)
    scalar("email", side.email)
    scalar("phone", side.phone)
    scalar("name", side.joined)
    has_first, has_last = _nonempty(side.first), _nonempty(side.last)
    two = has_first & has_last
    # name_token: a word of a compound or one-part name against the other side's words.
    # Two plain first+last names never meet on a word: their exact, last_name, prefix and
    # suffix keys already cover them, and a common surname would pair everyone bearing it.
    # Keys ``a`` pair a compound/one-part account with any record sharing a word;
    # keys ``b`` pair a compound/one-part record with accounts whose whole last name is that word.
    plain = two & np.fromiter((len(x) == 1 for x in side.last_tokens), dtype=bool, count=n)
    if target_side:  # an account's words only when its name is not plain
        word_at, words = _exploded_hashed([side.tokens[i] for i in np.flatnonzero(~plain)], _block_words, rows[~plain])
        add("name_token", _combine(_TAGS["a"], words), word_at)
        add("name_token", _combine(_TAGS["b"], _hashed(side.last[plain])), rows[plain])
    else:
        word_at, words = _exploded_hashed(side.tokens, _block_words, rows)
        compound_word = ~plain[word_at]
        add("name_token", _combine(_TAGS["a"], words), word_at)
        add("name_token", _combine(_TAGS["b"], words[compound_word]), word_at[compound_word])
    # The account's (last, first) name against both readings of the record: (last, first)
    # and (first, last), so swapped names still meet. A typo hits one part; the other is whole.
    at = rows[two]
    # Each part's distinct texts once: the whole part, its first letter, first and last 4 letters, sorted letters.
    whole, letter, prefix, suffix, letters = {}, {}, {}, {}, {}
    for p, texts in (("first", side.first[two]), ("last", side.last[two])):
        whole[p], letter[p], prefix[p], suffix[p], letters[p] = _hashes_of(
            texts, None, _first_letter, _prefix4, _suffix4, _sorted_letters
        )
    readings = [("last", "first")] if target_side else [("last", "first"), ("first", "last")]
    for part, other in readings:
        add("last_name", _combine(whole[part], letter[other]), at)
        add("name_prefix", _combine(prefix[part], whole[other]), at)
        add("name_suffix", _combine(suffix[part], whole[other]), at)
    # name_letters: one part's letters sorted with the other part whole (Matrin / Martin, eJan / Jean):
    # "L" sorts the last name, "F" the first name (written order only: swapped names with
    # swapped letters too are left to the other keys).
    add("name_letters", _combine(_TAGS["L"], letters["last"], whole["first"]), at)
    add("name_letters", _combine(_TAGS["F"], letters["first"], whole["last"]), at)

    # initials_birthdate: the birth date and both initials, in either order (swapped names still meet).
    initial_a = np.zeros(n, dtype=np.uint64)
    initial_b = np.zeros(n, dtype=np.uint64)
    initial_a[two], initial_b[two] = letter["first"], letter["last"]
    initials_lo, initials_hi = np.minimum(initial_a, initial_b), np.maximum(initial_a, initial_b)
    born = _nonempty(side.birth)
    dated = two & born
    birth_hash = np.zeros(n, dtype=np.uint64)
    (birth_hash[born],) = _hashes_of(side.birth[born], None)
    add("initials_birthdate", _combine(birth_hash[dated], initials_lo[dated], initials_hi[dated]), rows[dated])

    # side.mailbox: computed only for the emails a +tag, Gmail or punycode rule changes (_mailboxes).
    scalar("mailbox", side.mailbox)
    # surname_forms, surname_birthdate: the keys of each distinct last name computed once
    # (reconcile.matching.names), paired per record. surname_forms reads the written order only: swapped
    # first and last names are found by last_name, name_prefix, name_suffix and initials_birthdate,
    # which read both orders (the given-name keys of every distinct last name would cost ~1 s at
    # 100,000 records); with the birth date the record also reads its first name as a last name.
    first_text = [side.first_text[i] for i in at]
    lasts = [(side.last_text[i], *side.alternates[i]) if side.alternates[i] else side.last_text[i] for i in at]
    forms_at, which, flat = _exploded(lasts, _surname_variants, at)
    forms = _hashed(flat)[which]
    plain_form = np.fromiter((k[1:2] != ":" for k in flat), dtype=bool, count=len(flat))[which]
    # The forms as written with the given name's sounds (initials, shortened or other spellings);
    # the consonants and the one-letter deletions, looser, with the whole given name.
    pos, keys = _paired((forms_at[plain_form], forms[plain_form]), _exploded_hashed(first_text, given_keys, at), n)
    add("surname_forms", keys, pos)
    whole_first = (at, whole["first"])
    pos, keys = _paired((forms_at[~plain_form], forms[~plain_form]), whole_first, n)
    add("surname_forms", keys, pos)
    pos, keys = _paired(_exploded_hashed(lasts, _surname_edits, at), whole_first, n)
    add("surname_forms", keys, pos)
    # With the birth date, and on the record's side the date with its day and month swapped.
    surnames = [(forms_at, forms)]
    if not target_side:
        surnames.append(_exploded_hashed(first_text, _surname_variants, at))
    dates = [(rows[born], birth_hash[born])]
    if not target_side:
        swapped = _nonempty(side.birth_swapped)
        dates.append((rows[swapped], _hashes_of(side.birth_swapped[swapped], None)[0]))
    for date in dates:
        for reading in surnames:
            pos, keys = _paired(reading, date, n)
            add("surname_birthdate", keys, pos)
    # near_matricule: the identifier's keys and both initials, in either order (the matricules of
    # one company are often sequential: 10452 and 10453 share four of their keys).
    held = two & _nonempty(side.matricule)
    # side.matricule is identifier evidence already: its keys directly (identifier_keys would clean it again).
    id_rows, id_keys = _exploded_hashed(side.matricule[held].tolist(), _identifier_keys, rows[held])
    add("near_matricule", _combine(id_keys, initials_lo[id_rows], initials_hi[id_rows]), id_rows)
    if not frames:
        return pd.DataFrame({"kind": np.array([], dtype=np.int8), "key": np.array([], dtype=np.int64), "i": rows[:0]})
    return pd.concat(frames, ignore_index=True)


def _key_table(con: duckdb.DuckDBPyConnection, name: str, keys: pd.DataFrame) -> None:
    """Store blocking keys (:func:`_keys`) as the temporary table ``name`` of ``con``
    (typed: DuckDB cannot tell the type of an empty column)."""
    con.register("key_frame", keys)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS "
        "SELECT kind::TINYINT AS kind, key::BIGINT AS key, i::INTEGER AS i FROM key_frame"
    )
    con.unregister("key_frame")


#: Both sides at least this long: the Equify side is prepared in a forked process
#: (:func:`_both_sides`). Below it, forking costs more than it saves.
PARALLEL_AT = 20_000
#: How long to wait for the child once this side is done: ``(seconds, times this side's own time)``.
_PATIENCE = (30.0, 4.0)


def _side_and_keys(
    frame: pd.DataFrame, ids: np.ndarray, settings: MatchSettings, hint_col: str | None, target_side: bool
) -> tuple[_Side, pd.DataFrame]:
    """One side normalised (:func:`_side`) and its blocking keys (:func:`_keys`)."""
    side = _side(frame, ids, settings, hint_col=hint_col)
    return side, _keys(side, target_side=target_side)


def _may_fork() -> bool:
    """Whether this process may share its work with a forked one: Linux, two or more cores, the
    environment variable ``RECONCILE_PARALLEL`` not ``0``, and not itself a daemonic process (a
    ``multiprocessing`` pool's worker may not have children)."""
    return (
        sys.platform == "linux"
        and _cores() >= 2
        and os.environ.get("RECONCILE_PARALLEL", "1") != "0"
        and not multiprocessing.current_process().daemon
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _said(err: BaseException) -> str:
    """An exception in words for a log line: its message, or its kind when it has none."""
    return str(err) or type(err).__name__


class _Forked:
    """A function run in a forked process and its answer awaited (internal): the child sends
    ``("ok", target(*args))``, or ``("error", exception)`` when it raises. ``what`` names the
    process in warnings ("preparing", "scoring") and ``fallback`` what is then done here instead
    ("preparing its part here"). Use as a context manager: the child is killed if it still runs
    at the end."""

    def __init__(self, what: str, fallback: str, target: Callable[..., Any], *args: Any) -> None:
        self.what, self.fallback = what, fallback
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.child: Any = None
        try:
            self.child = context.Process(target=_Forked._run, args=(send, target, args), daemon=True)
            self.child.start()
        except Exception as err:  # cannot fork (memory, process limits): all of it is done here
            log.warning("matching: could not start a process (%s); %s", _said(err), fallback)
            self.child = None
        finally:
            send.close()

    @staticmethod
    def _run(conn: Any, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """The forked process: run ``target`` and send back its value or what it raised."""
        global _FORKED
        _FORKED = True
        try:
            conn.send(("ok", target(*args)))
        except BaseException as err:  # noqa: BLE001 - everything goes back to the parent
            conn.send(("error", err))
        finally:
            conn.close()

    def answer(self, own_seconds: float) -> tuple[str, Any] | None:
        """What the child sent, ``("ok", value)`` or ``("error", exception)``; ``None`` (with a
        warning) when it could not start, ended without an answer, or did not answer in time. The
        child does about as much as this process did in ``own_seconds``: past several times that
        (and half a minute, :data:`_PATIENCE`), it is stuck (stopped, or deadlocked after the
        fork) and replaced."""
        if self.child is None:
            return None
        patience = _PATIENCE[0] + _PATIENCE[1] * own_seconds
        try:
            if not self.receive.poll(patience):
                log.warning(
                    "matching: the %s process did not answer within %.0f s; %s", self.what, patience, self.fallback
                )
                return None
            status, value = self.receive.recv()
        except (EOFError, OSError) as err:
            log.warning("matching: the %s process ended early (%s); %s", self.what, _said(err), self.fallback)
            return None
        if status != "ok" and not isinstance(value, InputError):
            log.warning("matching: the %s process failed (%s); %s", self.what, _said(value), self.fallback)
        return status, value

    def __enter__(self) -> _Forked:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.receive.close()
        if self.child is not None:
            if self.child.is_alive():
                self.child.kill()
            self.child.join()


#: Joins the texts of one column for the pipe (:func:`_packed`); a column holding it is pickled as is.
_SEP = "\x1e"


def _packed_texts(values: Any) -> tuple[str, np.ndarray, int] | None:
    """A column of texts and ``None`` (an object array or a list) as ``(texts joined by _SEP,
    positions of None, length)``, far faster to pickle than one object per text (every step runs
    in C); ``None`` when a value is something else or holds :data:`_SEP` (then the column is
    pickled as is)."""
    arr = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=object, count=len(values))
    missing = np.flatnonzero(pd.isna(arr))
    if len(missing):
        if any(v is not None for v in arr[missing].tolist()):  # NaN, NaT: not a missing text
            return None
        arr = arr.copy()
        arr[missing] = ""
    try:
        joined = _SEP.join(arr.tolist())
    except TypeError:  # a value that is not text
        return None
    return (joined, missing, len(arr)) if joined.count(_SEP) == max(len(arr) - 1, 0) else None


def _unpacked_texts(packed: tuple[str, np.ndarray, int]) -> np.ndarray:
    joined, missing, n = packed
    items = np.array(joined.split(_SEP) if n else [], dtype=object)
    items[missing] = None
    return items


def _packed(side: _Side, keys: pd.DataFrame) -> dict[str, Any]:
    """One prepared side (:func:`_side_and_keys`) in the form the child sends through the pipe:
    each column of texts joined (:func:`_packed_texts`), the rest as is; :func:`_unpacked` gives
    back an equal side and keys."""
    out: dict[str, Any] = {"keys": {c: keys[c].to_numpy() for c in keys.columns}}
    for f in dataclass_fields(_Side):
        value = getattr(side, f.name)
        texts = None
        if (isinstance(value, np.ndarray) and value.dtype == object) or (
            isinstance(value, list) and not (value and type(value[0]) is tuple)
        ):
            texts = _packed_texts(value)
        out[f.name] = ("as is", value) if texts is None else ("texts", texts, isinstance(value, np.ndarray))
    return out


def _unpacked(packed: dict[str, Any]) -> tuple[_Side, pd.DataFrame]:
    """The side and keys of :func:`_packed`."""
    values: dict[str, Any] = {}
    for f in dataclass_fields(_Side):
        how, *rest = packed[f.name]
        if how == "texts":
            items = _unpacked_texts(rest[0])
            values[f.name] = items if rest[1] else items.tolist()
        else:
            values[f.name] = rest[0]
    return _Side(**values), pd.DataFrame(packed["keys"], copy=False)


def _in_child(
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    src_rest: pd.DataFrame,
    rest_ids: np.ndarray,
    settings: MatchSettings,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The forked process's part (:func:`_both_sides`): the Equify side and the last rows of the
    Payfit side, prepared and packed for the pipe (:func:`_packed`)."""
    tgt = _packed(*_side_and_keys(target, tgt_ids, settings, None, True))
    rest = _packed(*_side_and_keys(src_rest, rest_ids, settings, "_hint", False)) if len(src_rest) else None
    return tgt, rest


#: The relative cost of preparing a record (Payfit, Equify) and a phone number (parsed), measured
#: at 100,000 records (``bench/match_scale.py``): used only to share the work (:func:`_split_at`).
_ROW_COST = (46.0, 38.0)
_PHONE_COST = 19.0


def _cost(frame: pd.DataFrame, per_row: float) -> float:
    phones = int(frame["phoneNumber"].notna().sum()) if "phoneNumber" in frame.columns else 0
    return len(frame) * per_row + phones * _PHONE_COST


def _split_at(src_frame: pd.DataFrame, target: pd.DataFrame) -> int:
    """How many of the Payfit records (the first ones) this process prepares while the child
    prepares the Equify side and the rest, so that both finish at about the same time (the
    child's answer also has to cross the pipe: this side takes 3 % more)."""
    c_src, c_tgt = _cost(src_frame, _ROW_COST[0]), _cost(target, _ROW_COST[1])
    if c_src <= 0:
        return len(src_frame)
    share = min(1.0, 1.03 * (c_src + c_tgt) / (2 * c_src))
    return int(round(len(src_frame) * share))


def _joined_sides(head: tuple[_Side, pd.DataFrame], rest: tuple[_Side, pd.DataFrame]) -> tuple[_Side, pd.DataFrame]:
    """One side (and its keys) from the sides of its first and its last records: the same as
    preparing all of them at once (each record is normalised and keyed on its own)."""
    (a, a_keys), (b, b_keys) = head, rest
    offset = len(a)
    values: dict[str, Any] = {}
    for f in dataclass_fields(_Side):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "full":
            values["full"] = {**x, **{i + offset: key for i, key in y.items()}}
        elif isinstance(x, np.ndarray):
            values[f.name] = np.concatenate([x, y])
        else:
            values[f.name] = [*x, *y]
    b_keys = b_keys.assign(i=(b_keys["i"].to_numpy() + offset).astype(np.int32))
    return _Side(**values), pd.concat([a_keys, b_keys], ignore_index=True)


def _both_sides(
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
) -> tuple[tuple[_Side, pd.DataFrame], tuple[_Side, pd.DataFrame]]:
    """Both sides normalised with their blocking keys: ``((src, src_keys), (tgt, tgt_keys))``.

    On Linux with two or more cores and both sides at least :data:`PARALLEL_AT` records
    long (and the environment variable ``RECONCILE_PARALLEL`` not ``0``), a forked process
    prepares the Equify side and the last Payfit records (:func:`_split_at`: about half of
    the work) while this one prepares the first Payfit records. The child shares the input
    by copy-on-write (nothing imported again, no script run twice) and sends its result back
    through a pipe: the same functions over the same records, so the same result
    (``tests/matching/test_parallel_sides.py``). If the child fails (killed, out of memory) or does not
    answer in time (30 s plus four times this side's own time: stopped, deadlocked), it is
    killed and its part is prepared here instead; an :class:`InputError` it raises is
    raised here. A daemonic process (a ``multiprocessing`` pool's worker) never forks.
    """
    if min(len(src_frame), len(target)) < PARALLEL_AT or not _may_fork():
        return (
            _side_and_keys(src_frame, src_ids, settings, "_hint", False),
            _side_and_keys(target, tgt_ids, settings, None, True),
        )
    cut = _split_at(src_frame, target)
    src_head, src_rest = src_frame.iloc[:cut], src_frame.iloc[cut:]
    with _Forked(
        "preparing", "preparing its part here", _in_child, target, tgt_ids, src_rest, src_ids[cut:], settings
    ) as child:
        started = time.monotonic()
        head = _side_and_keys(src_head, src_ids[:cut], settings, "_hint", False)
        answer = child.answer(time.monotonic() - started)
        if answer is not None:
            status, value = answer
            if status == "ok":
                tgt, rest = _unpacked(value[0]), None if value[1] is None else _unpacked(value[1])
                return (head if rest is None else _joined_sides(head, rest)), tgt
            if isinstance(value, InputError):
                raise value
        if len(src_rest):
            head = _joined_sides(head, _side_and_keys(src_rest, src_ids[cut:], settings, "_hint", False))
        return head, _side_and_keys(target, tgt_ids, settings, None, True)


def _run_lengths(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and how many times each appears."""
    if not len(sorted_keys):
        return sorted_keys, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return sorted_keys[starts], np.diff(np.append(starts, len(sorted_keys)))


def _crowded_keys(src_keys: pd.DataFrame, tgt_keys: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame:
    """The keys too crowded to block on (:func:`_keys` frames): held by ``records`` records and
    ``accounts`` accounts with ``records × accounts`` above ``settings.max_block_pairs`` (a loose
    rule) or ``max_exact_block_pairs`` (an exact one). Columns ``kind`` (int8), ``key`` (int64),
    ``accounts`` (int64), one row per key, sorted by key."""
    s_keys, s_count = _run_lengths(np.sort(src_keys["key"].to_numpy(dtype=np.int64)))
    t_keys, t_count = _run_lengths(np.sort(tgt_keys["key"].to_numpy(dtype=np.int64)))
    at = np.minimum(np.searchsorted(t_keys, s_keys), max(len(t_keys) - 1, 0))
    both = (t_keys[at] == s_keys) if len(t_keys) else np.zeros(len(s_keys), dtype=bool)
    pairs = np.where(both, s_count * t_count[at] if len(t_keys) else 0, 0)
    lowest = min(int(settings.max_block_pairs), int(settings.max_exact_block_pairs))
    maybe = np.flatnonzero(pairs > lowest)  # few: their rules are looked up one by one
    keys = s_keys[maybe]
    rule_of = dict(
        zip(
            *(
                tgt_keys.loc[tgt_keys["key"].isin(keys), ["key", "kind"]]
                .drop_duplicates("key")
                .to_numpy(dtype=np.int64)
                .T.tolist()
            ),
            strict=True,
        )
    )
    kinds = np.array([rule_of[k] for k in keys.tolist()], dtype=np.int64)
    limit = np.full(len(BLOCKING_RULES), int(settings.max_exact_block_pairs), dtype=np.int64)
    limit[_LOOSE] = int(settings.max_block_pairs)
    over = pairs[maybe] > limit[kinds]
    return pd.DataFrame(
        {"kind": kinds[over].astype(np.int8), "key": keys[over], "accounts": t_count[at[maybe[over]]]},
        columns=["kind", "key", "accounts"],
    )


def _block(
    src_keys: pd.DataFrame,
    tgt_keys: pd.DataFrame,
    settings: MatchSettings,
    con: duckdb.DuckDBPyConnection,
    *,
    keep: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame, dict[int, int]]:
    """Candidate pairs: the union of every rule's equi-join on both sides' keys
    (:func:`_keys`, :func:`_both_sides`) (DuckDB).

    Returns ``(s, t, kind)`` int arrays (positions and the strongest rule of each
    pair, sorted by ``s`` then ``t``), the blocking report (:data:`BLOCKING_COLUMNS`):
    per rule, the distinct pairs it produced, the pairs it was the strongest rule
    for, and how many crowded keys were dropped; and ``{source position: accounts}``
    for records whose whole name was crowded out (shared by too many on both sides).

    With ``keep``, leaves the tables ``sk``, ``tk`` (both sides' keys) and ``crowded`` (the
    dropped keys) in ``con``, for :func:`_reprepare`; without, ``sk`` and ``tk`` are the key
    frames themselves, registered (no copy), and ``con`` is closed after.
    """
    if keep:
        _key_table(con, "sk", src_keys)
        _key_table(con, "tk", tgt_keys)
    else:  # read in place: no copy of the keys when no later match needs the tables
        con.register("sk", src_keys)
        con.register("tk", tgt_keys)
    # A key holds its rule (_keys): one BIGINT joins. The crowded keys, counted on sorted keys (numpy
    # sorts 64-bit integers far faster than a hash table groups them, and few keys are crowded).
    crowded = _crowded_keys(src_keys, tgt_keys, settings)
    con.register("crowded_frame", crowded)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE crowded AS "
        "SELECT kind::TINYINT AS kind, key::BIGINT AS key, accounts::BIGINT AS accounts FROM crowded_frame"
    )
    con.unregister("crowded_frame")
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE produced AS
        SELECT DISTINCT s2.i AS s, t2.i AS t, s2.kind AS kind
        FROM (SELECT * FROM sk ANTI JOIN crowded USING (key)) s2
        JOIN tk t2 USING (key)
        """
    )
    pairs = con.execute(
        "SELECT s, t, min(kind)::TINYINT AS kind FROM produced GROUP BY s, t ORDER BY s, t"
    ).fetchnumpy()
    per_rule = dict(con.execute("SELECT kind, count(*) FROM produced GROUP BY kind").fetchall())
    con.execute("DROP TABLE produced")
    dropped = dict(con.execute("SELECT kind, count(*) FROM crowded GROUP BY kind").fetchall())
    name_kind = _RULE_NAMES.index("name")
    crowded_names = dict(
        con.execute(
            f"SELECT sk.i, max(c.accounts) FROM sk JOIN crowded c USING (kind, key) WHERE kind = {name_kind} GROUP BY sk.i"
        ).fetchall()
    )
    s = np.asarray(pairs["s"], dtype=np.int64)
    t = np.asarray(pairs["t"], dtype=np.int64)
    kind = np.asarray(pairs["kind"], dtype=np.int8)
    report = pd.DataFrame(
        {
            "rule": _RULE_NAMES,
            "description": [r[1] for r in BLOCKING_RULES],
            "pairs": [int(per_rule.get(k, 0)) for k in range(len(BLOCKING_RULES))],
            "strongest": np.bincount(kind, minlength=len(BLOCKING_RULES)).astype(int),
            "crowded_keys": [int(dropped.get(k, 0)) for k in range(len(BLOCKING_RULES))],
        },
        columns=BLOCKING_COLUMNS,
    )
    return s, t, kind, report, {int(k): int(v) for k, v in crowded_names.items()}


def _name_key_at(side: _Side, i: int) -> NameKey:
    """The :class:`NameKey` of record ``i`` (two-part names are built from their compact parts)."""
    if i in side.full:
        return side.full[i]
    first, last = side.first[i], side.last[i]
    if not (first and last):
        return NameKey((), "", "", ())
    toks = side.tokens[i]
    ordered = sorted(toks)
    return NameKey(toks, " ".join(ordered), "".join(ordered), ((first, last),))


def _similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised Damerau-Levenshtein similarity (0-1) of each pair ``a[k]``, ``b[k]`` (rapidfuzz, all cores)."""
    if len(a) == 0:
        return np.zeros(0)
    return process.cpdist(
        a.tolist(),
        b.tolist(),
        scorer=DamerauLevenshtein.normalized_similarity,
        dtype=np.float64,
        workers=1 if _FORKED else -1,  # no thread pool in a forked process: the parent has the other core
    )


def _name_scores(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings) -> np.ndarray:
    """Name similarity 0-100 of each pair (NaN when either name is empty): :func:`score_names`,
    vectorised for two-part names, one by one for full names; a compound last name that
    contains the other's last name, with the same first name, scores ``compound_surname_score``."""
    out = np.full(len(s), np.nan)
    s_two = _nonempty(src.first) & _nonempty(src.last)
    t_two = _nonempty(tgt.first) & _nonempty(tgt.last)
    simple = s_two[s] & t_two[t]
    if simple.any():
        ss, tt = s[simple], t[simple]
        best = _similarity(src.joined[ss], tgt.joined[tt])
        # The written orders can only score higher where the sorted words are not already equal.
        other = best < 1.0
        a_fl, tt_other = src.fl[ss[other]], tt[other]
        best[other] = np.maximum.reduce(
            [best[other], _similarity(a_fl, tgt.fl[tt_other]), _similarity(a_fl, tgt.lf[tt_other])]
        )
        out[simple] = np.round(best * 100, 1)
    named = _nonempty(src.joined)[s] & _nonempty(tgt.joined)[t]
    for k in np.flatnonzero(named & ~simple):
        score = score_names(_name_key_at(src, int(s[k])), _name_key_at(tgt, int(t[k])))
        out[k] = np.nan if score is None else score
    compound = simple & (src.compound[s] | tgt.compound[t])
    for k in np.flatnonzero(compound & (out < settings.compound_surname_score)):
        i, j = int(s[k]), int(t[k])
        if src.first[i] != tgt.first[j]:
            continue
        if src.last[i] in tgt.last_tokens[j] or tgt.last[j] in src.last_tokens[i]:
            out[k] = settings.compound_surname_score
    return out


def _equal_or_none(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise ``a == b`` as an object array of True/False, ``None`` where either is missing."""
    present = _nonempty(a) & _nonempty(b)
    out = np.full(len(a), None, dtype=object)
    out[present] = (a[present] == b[present]).tolist()  # Python bools, so `x is True` works
    return out


#: A pair's name relation not computed (only the pairs of records otherwise created need it).
_UNSET = object()


def _near_dates(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> np.ndarray:
    """:func:`~reconcile.matching.normalize.near_date` of each pair of ISO dates ``a[k]``, ``b[k]`` where
    ``where`` holds (object array: the reason or None). Only dates that differ in at most two of
    their ten characters can be near: the others are set aside in one vectorised step."""
    out = np.full(len(a), None, dtype=object)
    idx = np.flatnonzero(where)
    if len(idx):
        ca = np.asarray(a[idx].tolist(), dtype="<U10").view(np.uint32).reshape(len(idx), 10)
        cb = np.asarray(b[idx].tolist(), dtype="<U10").view(np.uint32).reshape(len(idx), 10)
        idx = idx[(ca != cb).sum(axis=1) <= 2]
        out[idx] = [near_date(x, y) for x, y in zip(a[idx].tolist(), b[idx].tolist(), strict=True)]
    return out


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


def _near_emails(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, email_equal: np.ndarray) -> np.ndarray:
    """:func:`~reconcile.matching.normalize.email_near` of each pair whose emails are both evidence and
    differ (object array: the reason or None); only emails reaching one mailbox
    (:func:`~reconcile.matching.normalize.email_mailbox`, computed once per distinct email) can be near."""
    out = np.full(len(s), None, dtype=object)
    idx = np.flatnonzero(email_equal == False)  # noqa: E712
    if len(idx):
        box_s, box_t = src.mailbox, tgt.mailbox
        a, b = box_s[s[idx]], box_t[t[idx]]
        idx = idx[_nonempty(a) & (a == b)]
        out[idx] = [
            email_near(x, y) for x, y in zip(src.email[s[idx]].tolist(), tgt.email[t[idx]].tolist(), strict=True)
        ]
    return out


def _score(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings) -> dict[str, np.ndarray]:
    """Score every candidate pair; one row per pair with the per-field breakdown.

    Arrays, one value per pair: ``name_score`` (float 0-100, NaN: no name evidence), ``email_equal``,
    ``phone_agree`` (object: True/False/None), ``birthdate_match`` (exact, swapped, near,
    differ or None), ``birthdate_equal`` and ``matricule_equal`` (True/False/None),
    ``matricule_match`` (exact, near, differ or None), ``email_near`` (the reason two
    different emails reach one mailbox, or None), the points of each field (float:
    ``name_points`` is ``name_weight`` × the name score; only clearly different birth dates
    and matricules lose points, a near one gives 0), ``score`` (float 0-100: the points' sum,
    clipped) and ``id_match`` (bool: the account carries the record's Payfit id or the same
    matricule). Internal: ``birthdate_near`` and ``matricule_near`` (the near reasons), and
    ``relation`` (:data:`_UNSET`: filled by :func:`_finish` for the pairs that need it).
    """
    name = _name_scores(src, tgt, s, t, settings)
    email_equal = _equal_or_none(src.email[s], tgt.email[t])
    phone_agree = _equal_or_none(src.phone[s], tgt.phone[t])
    agree = phone_agree == True  # noqa: E712 - elementwise over an object array
    # Numbers never agree when their countries differ (case P2).
    phone_agree[agree] = (src.phone_region[s][agree] == tgt.phone_region[t][agree]).tolist()
    sb, tb = src.birth[s], tgt.birth[t]
    dated = _nonempty(sb) & _nonempty(tb)
    exact = dated & (sb == tb)
    swapped = dated & ~exact & (src.birth_swapped[s] == tb)
    birth_near = _near_dates(sb, tb, dated & ~exact & ~swapped)
    near_birth = _nonempty(birth_near)
    differ = dated & ~exact & ~swapped & ~near_birth
    birth = np.full(len(s), None, dtype=object)
    birth[differ] = "differ"
    birth[near_birth] = "near"
    birth[exact] = "exact"
    birth[swapped] = "swapped"
    birth_equal = np.full(len(s), None, dtype=object)
    birth_equal[dated] = exact[dated].tolist()
    birth_points = np.where(
        exact,
        settings.birthdate_bonus,
        np.where(swapped, settings.birthdate_swapped_bonus, np.where(differ, -settings.birthdate_penalty, 0.0)),
    )
    phone_points = np.where(phone_agree == True, settings.phone_bonus, 0.0)  # noqa: E712
    matricule_equal = _equal_or_none(src.matricule[s], tgt.matricule[t])
    matricule_near = np.full(len(s), None, dtype=object)
    unequal = np.flatnonzero(matricule_equal == False)  # noqa: E712
    if len(unequal):  # few pairs: most accounts carry no matricule
        ma, mb = src.matricule[s[unequal]].tolist(), tgt.matricule[t[unequal]].tolist()
        # Both are identifier evidence already: compare them directly (near_identifier would clean them again).
        matricule_near[unequal] = [_near_identifiers(a, b) for a, b in zip(ma, mb, strict=True)]
    near_matricule = _nonempty(matricule_near)
    matricule_match = np.full(len(s), None, dtype=object)
    matricule_match[matricule_equal == True] = "exact"  # noqa: E712
    matricule_match[unequal] = "differ"
    matricule_match[near_matricule] = "near"
    matricule_points = np.where(matricule_match == "differ", -settings.matricule_penalty, 0.0)
    name_points = np.round(np.nan_to_num(name) * settings.name_weight, 1)
    score = np.round(np.clip(name_points + birth_points + phone_points + matricule_points, 0.0, 100.0), 1)
    id_match = (tgt.payfit_id[t] == src.ids[s]) | (matricule_equal == True)  # noqa: E712
    return {
        "score": score,
        "name_score": name,
        "email_equal": email_equal,
        "phone_agree": phone_agree,
        "birthdate_equal": birth_equal,
        "birthdate_match": birth,
        "matricule_equal": matricule_equal,
        "matricule_match": matricule_match,
        "email_near": _near_emails(src, tgt, s, t, email_equal),
        "birthdate_near": birth_near,
        "matricule_near": matricule_near,
        "relation": np.full(len(s), _UNSET, dtype=object),
        "name_points": name_points.astype(float),
        "birthdate_points": birth_points.astype(float),
        "phone_points": phone_points.astype(float),
        "matricule_points": matricule_points.astype(float),
        "id_match": id_match.astype(bool),
    }


#: From this many candidate pairs, a forked process scores the second half (:func:`_scored`).
PARALLEL_PAIRS = 100_000
#: True in a process forked by this module (it then starts no thread pool of its own).
_FORKED = False


def _score_in_child(
    src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings
) -> dict[str, np.ndarray]:
    """The forked process's part (:func:`_scored`): its pairs' scores, without the ``relation``
    placeholders (they are one object, made again on the other side)."""
    scored = _score(src, tgt, s, t, settings)
    del scored["relation"]
    return scored


def _scored(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings) -> dict[str, np.ndarray]:
    """:func:`_score` of every pair. From :data:`PARALLEL_PAIRS` pairs, where the sides are prepared
    in two processes too (:func:`_may_fork`), a forked process scores the second half of the pairs
    while this one scores the first: the same scores (each pair is scored on its own,
    ``tests/matching/test_parallel_sides.py``). A child that fails or does not answer in time (30 s plus four
    times this half's own time) is killed and its half scored here."""
    n = len(s)
    if n < PARALLEL_PAIRS or not _may_fork():
        return _score(src, tgt, s, t, settings)
    half = n // 2
    with _Forked("scoring", "scoring its pairs here", _score_in_child, src, tgt, s[half:], t[half:], settings) as child:
        started = time.monotonic()
        first = _score(src, tgt, s[:half], t[:half], settings)
        answer = child.answer(time.monotonic() - started)
        second = (
            answer[1] if answer is not None and answer[0] == "ok" else _score(src, tgt, s[half:], t[half:], settings)
        )
    return {
        k: np.full(n, _UNSET, dtype=object) if k == "relation" else np.concatenate([first[k], second[k]]) for k in first
    }


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


class _Verdict(NamedTuple):
    """What the automatic rules say of one record (internal; a tuple of plain values, which
    Python's garbage collector stops tracking: 100,000 kept verdicts cost it nothing)."""

    category: str
    action: str
    target_id: str | None
    score: float | None
    rule: str
    reason: str


def _conflict(reason: str, rule: str, target_id: str | None = None, score: float | None = None) -> _Verdict:
    return _Verdict("conflict", "none", target_id, score, rule, reason)


def _first_where(mask: np.ndarray, s: np.ndarray, n: int) -> np.ndarray:
    """For each source position, the first pair index (in sorted order) where ``mask`` holds, else -1."""
    out = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    if len(idx):
        first_s, pos = np.unique(s[idx], return_index=True)
        out[first_s] = idx[pos]
    return out


#: The verdict of a record no rule points to any account for: created.
_NO_MATCH = _Verdict("new", "create", None, None, "none", "no matching Equify account")


def _same_email_link(tid: str, reason_more: str = "") -> _Verdict:
    """The verdict of a record linked by its email to account ``tid``."""
    return _Verdict("new", "link", tid, 100.0, "email", f"same {_RULE_WORDS['email']}{reason_more}")


def _plain_verdicts(prep: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The records whose verdict the automatic rules of :func:`match` give without reading them
    one by one, in one vectorised step (bool arrays, one value per record): ``create``, no
    identifier, email, name, doubt or set-aside namesake points to any account (the verdict
    "no matching Equify account", whoever owns what); ``by_email``, no identifier and one
    account with the same email (held once on each side), the same name (score 100) and no
    birth date or matricule against it (the verdict "same email", when no one else owns the
    account). Every other record goes through the rules one by one."""
    src: _Side = prep["src"]
    n_s = prep["n_s"]
    emails = src.email.tolist()
    has_email = _nonempty(src.email)
    src_count, tgt_count = (
        np.fromiter(map(prep[counts].get, emails, itertools.repeat(0)), dtype=np.int64, count=n_s)
        for counts in ("src_email_count", "tgt_email_count")
    )
    no_id = prep["id_count"] == 0
    email_first = prep["email_first"]
    crowded = np.zeros(n_s, dtype=bool)
    crowded[list(prep["crowded_names"])] = True
    quiet_email = ~has_email | ((src_count <= 1) & (tgt_count <= 1) & (email_first < 0))
    create = (
        no_id
        & quiet_email
        & (prep["named_first"] < 0)
        & ~crowded
        & (prep["doubt_first"] < 0)
        & (prep["apart_first"] < 0)
    )
    by_email = no_id & has_email & (src_count == 1) & (tgt_count == 1) & (email_first >= 0)
    at = np.flatnonzero(by_email)
    k = email_first[at]
    scored = prep["scored"]
    birth, matricule = scored["birthdate_match"][k], scored["matricule_match"][k]
    clean = (
        (prep["name"][k] >= 100.0)
        & (birth != "differ")
        & (birth != "near")
        & (matricule != "differ")
        & (matricule != "near")
    )
    by_email[at[~clean]] = False
    return create, by_email


def _check_history(
    ledger: Any, ledger_values: Any, decisions: Any
) -> tuple[dict[str, str], Mapping[str, Mapping[str, str | None]], dict[str, Decision]]:
    """The ledger, its values and the decisions with their ids cleaned like the records' ids.

    Raises :class:`InputError` for a wrong type or an empty id."""
    if ledger is not None and not isinstance(ledger, Mapping):
        raise InputError(f"ledger must be a dict {{source_id: target_id}}, not {type(ledger).__name__}")
    if ledger_values is not None and not isinstance(ledger_values, Mapping):
        raise InputError(
            f"ledger_values must be a dict {{source_id: {{field: value}}}}, not {type(ledger_values).__name__}"
        )
    clean_ledger: dict[str, str] = {}
    for k, v in (ledger or {}).items():
        sid, tid = _ident(k), _ident(v)
        if sid is None or tid is None:
            raise InputError(f"the ledger entry {k!r} → {v!r} has an empty id")
        if sid in clean_ledger:
            raise InputError(f"the ledger has two entries for the Payfit record {sid!r}")
        clean_ledger[sid] = tid
    values = {_ident(k) or "": v for k, v in (ledger_values or {}).items() if isinstance(v, Mapping)}
    if decisions is None:
        items: list[Any] = []
    elif isinstance(decisions, Mapping):
        items = list(decisions.values())
    elif isinstance(decisions, Iterable) and not isinstance(decisions, str | bytes):
        items = list(decisions)
    else:
        raise InputError(f"decisions must be a list of Decision, not {type(decisions).__name__}")
    decided: dict[str, Decision] = {}
    for d in items:
        if not isinstance(d, Decision):
            raise InputError(f"decisions must be Decision objects, not {type(d).__name__}")
        sid = _ident(d.source_id)
        if sid is None:
            raise InputError("a decision has an empty source id")
        decided[sid] = Decision(sid, d.action, _ident(d.target_id))
    return clean_ledger, values, decided


_DISPUTED = "(disputed)"  # the owner of an account two claims compete for


def _contradictions(scored: Mapping[str, np.ndarray], k: int) -> list[str]:
    """What speaks against pair ``k`` being one person, in words: different birth dates or
    matricules, or near ones (a typo in one system: "the birth dates are near (one digit differs)")."""
    out = []
    if scored["birthdate_match"][k] == "differ":
        out.append("the birth dates differ")
    elif scored["birthdate_match"][k] == "near":
        out.append("the birth dates are near " + _detail(scored["birthdate_near"][k]))
    if scored["matricule_match"][k] == "differ":
        out.append("the matricules differ")
    elif scored["matricule_match"][k] == "near":
        out.append("the matricules are near-identical " + _detail(scored["matricule_near"][k]))
    return out


def _apart(
    src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, scored: Mapping[str, np.ndarray], settings: MatchSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that are clearly two people (``docs/doubt_policy.md`` §8), never candidates, not
    even of the same name. Nothing may corroborate such a pair (no equal or near-identical
    email, no agreeing phone, no equal or near matricule), and either

    * its birth dates clearly differ (both real dates, neither equal nor near: not a typo,
      not a day/month swap): a namesake born on another day; or
    * its account is claimed by another record of this match through stronger evidence
      (that record's Payfit id or matricule, or the same email with no birth date or
      matricule against it; names that do not clearly disagree, :func:`_names_disagree`; the
      only such claim on either side: the account has its person), and the pair has no same
      or near birth date, or has one but names that do not agree (:func:`_names_plausible`
      with the last names: strangers share birth dates).

    Returns ``(apart, claimer)``: a bool array per pair, and per account the position of the
    record claiming it (-1: none, or several)."""
    birth, phone = scored["birthdate_match"], scored["phone_agree"]
    loose = (
        (phone != True)  # noqa: E712
        & (scored["email_equal"] != True)  # noqa: E712
        & ~_nonempty(scored["email_near"])
        & ~np.isin(scored["matricule_match"], ["exact", "near"])
    )
    n_t = len(tgt)
    claimer = np.full(n_t, -1, dtype=np.int64)
    # What the automatic rules would link (see match's ``automatic``): an identifier, or an
    # email with nothing against it; and in both cases names that do not clearly disagree.
    strong = scored["id_match"] | (
        (scored["email_equal"] == True)  # noqa: E712
        & ~np.isin(birth, ["differ", "near"])
        & ~np.isin(scored["matricule_match"], ["differ", "near"])
    )
    name = scored["name_score"]
    k = np.flatnonzero(strong)
    # The same words (score 100) never disagree: only the others are asked, one by one.
    ask = k[np.nan_to_num(name[k], nan=0.0) < 100.0]
    if len(ask):
        disagree = [_names_disagree(src, tgt, int(s[x]), int(t[x]), float(name[x]), settings) for x in ask.tolist()]
        k = np.setdiff1d(k, ask[np.asarray(disagree, dtype=bool)], assume_unique=True)
    if len(k):
        per_t = np.bincount(t[k], minlength=n_t)
        per_s = np.bincount(s[k], minlength=int(s.max()) + 1)
        sole = k[(per_t[t[k]] == 1) & (per_s[s[k]] == 1)]
        claimer[t[sole]] = s[sole]
    claimed = loose & (claimer[t] >= 0) & (claimer[t] != s)
    undated = ~np.isin(birth, ["exact", "swapped", "near"])
    for x in np.flatnonzero(claimed & ~undated).tolist():  # few: a claimed account's birth date shared
        undated[x] = not _names_plausible(src, tgt, int(s[x]), int(t[x]), settings, last_too=True)
    return loose & ((birth == "differ") | (claimed & undated)), claimer


def _claim_only(scored: Mapping[str, np.ndarray], apart: np.ndarray) -> np.ndarray:
    """The pairs of :func:`_apart` set aside only because another record claims the account
    (not for their birth dates): a decision about that record can undo it (see ``match``)."""
    return apart & (scored["birthdate_match"] != "differ")


def _detail(reason: str) -> str:
    """The bracketed part of a near reason: ``"near birth dates (one digit differs)"`` → ``"(one digit differs)"``."""
    return reason[reason.find("(") :] if "(" in reason else ""


def _relations(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray) -> list[NameRelation | None]:
    """:func:`reconcile.matching.names.name_relation` of each pair (``s[k]``, ``t[k]``), with both records'
    alternates (birth or married names); records named by a full-name column are read one by one."""
    if not len(s):
        return []
    si, ti = s.tolist(), t.tolist()
    out = name_relations(
        [src.first_text[i] for i in si],
        [src.last_text[i] for i in si],
        [tgt.first_text[j] for j in ti],
        [tgt.last_text[j] for j in ti],
        alternates_a=[src.alternates[i] for i in si],
        alternates_b=[tgt.alternates[j] for j in ti],
    )
    for k, (i, j) in enumerate(zip(si, ti, strict=True)):
        if i in src.full or j in tgt.full:
            out[k] = _pair_relation(src, tgt, i, j)
    return out


def _pair_relation(src: _Side, tgt: _Side, i: int, j: int) -> NameRelation | None:
    """:func:`reconcile.matching.names.name_relation` of record ``i`` and account ``j`` (one pair)."""
    return name_relation(
        src.first_text[i],
        src.last_text[i],
        tgt.first_text[j],
        tgt.last_text[j],
        alternates_a=src.alternates[i],
        alternates_b=tgt.alternates[j],
        full_a=src.full_text[i] if i in src.full else None,
        full_b=tgt.full_text[j] if j in tgt.full else None,
    )


def _given_agree(a: str | None, b: str | None, settings: MatchSettings) -> bool:
    """Two given names may be one person's: they do not clearly disagree
    (:func:`_first_names_disagree`: ``Jean``/``Jeanne``, ``Paul``/``Pierre``) or are related
    (:func:`reconcile.matching.names.name_relation`: ``Youssef``/``Youcef``). False when either is empty."""
    if not a or not b:
        return False
    if not _first_names_disagree(name_tokens(a), name_tokens(b), settings):
        return True
    return name_relation(a, "x", b, "x") is not None


def _last_agree(a: str | None, b: str | None, settings: MatchSettings) -> bool:
    """Two last names may be one person's: equal, one a part of the other (a compound name),
    or at least ``first_name_agree`` similar (a typo). False when either is empty."""
    x, y = name_tokens(a or ""), name_tokens(b or "")
    if not x or not y:
        return False
    if set(x) <= set(y) or set(y) <= set(x):
        return True
    return DamerauLevenshtein.normalized_similarity("".join(x), "".join(y)) * 100 >= settings.first_name_agree


def _names_plausible(src: _Side, tgt: _Side, i: int, j: int, settings: MatchSettings, *, last_too: bool) -> bool:
    """Whether record ``i``'s and account ``j``'s names may be one person's, for a pair that
    evidence other than the names corroborates. ``last_too=False`` (the same birth date or
    phone): a given name agrees (:func:`_given_agree`) with the other's given name, or
    crosswise with its last name (swapped names; a married name with no birth name mapped
    keeps the given name). ``last_too=True`` (a near date or matricule, weaker): given and last
    names both agree (:func:`_last_agree`), in the written order or both crosswise. True
    when either side has no given name (a full-name record: nothing to compare)."""
    fa, fb = src.first_text[i], tgt.first_text[j]
    if not fa or not fb:
        return True
    la, lb = src.last_text[i], tgt.last_text[j]
    if not last_too:  # the given name in either column (names swapped, perhaps a married name too)
        return any(_given_agree(a, b, settings) for a, b in ((fa, fb), (fa, lb), (la, fb)))
    # The last names first: cheaper than the given names' relation.
    if _last_agree(la, lb, settings) and _given_agree(fa, fb, settings):
        return True
    return _last_agree(la, fb, settings) and _given_agree(fa, lb, settings)


def _names_disagree(src: _Side, tgt: _Side, i: int, j: int, name_score: float, settings: MatchSettings) -> bool:
    """True when the names of record ``i`` and account ``j`` (their pair's ``name_score``)
    clearly disagree: a low name score, or words left over once the shared words are set
    aside that are not one person's (``Marc`` / ``Julie``, ``Jean`` / ``Jeanne``), in whatever
    order or columns the names are written; and no alternate last name of the record (a birth
    or married name) read in place of its last name makes them agree. False without a name
    (no evidence either way)."""
    if name_score != name_score or _names_agree_as_written(src, tgt, i, j, name_score, settings):
        return False  # no name (no evidence either way), or names that agree
    return _alternate_agreeing(src, tgt, i, j, settings) is None


def _names_agree_as_written(src: _Side, tgt: _Side, i: int, j: int, name_score: float, settings: MatchSettings) -> bool:
    """Whether the names of record ``i`` and account ``j`` agree as written (their pair's
    ``name_score``): the same words (score 100), or a score at least ``names_disagree_below``
    whose words left over once the shared ones are set aside are not clearly different given
    names (:func:`_first_names_disagree`). False without a name (NaN)."""
    if name_score >= 100.0:
        return True
    if not name_score >= settings.names_disagree_below:  # also NaN
        return False
    return not _first_names_disagree(*_leftovers(src.tokens[i], tgt.tokens[j]), settings)


def _alternate_agreeing(src: _Side, tgt: _Side, i: int, j: int, settings: MatchSettings) -> str | None:
    """The alternate last name of record ``i`` (Payfit's ``birthName`` or ``secondLastName``)
    that, read in place of its last name, makes its name agree with account ``j``'s (Claire
    Morvan née Quéré / Claire Quéré): the alternate wholly among the account's words, and the
    words left over not clearly different given names. ``None`` when none does."""
    given = name_tokens(src.first_text[i]) if src.first_text[i] else ()
    for alternate in src.alternates[i]:
        last = name_tokens(alternate)
        a, b = _leftovers((*given, *last), tgt.tokens[j])
        if last and not set(last) & set(a) and not _first_names_disagree(a, b, settings):
            return alternate
    return None


def _doubts(
    src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, scored: Mapping[str, np.ndarray], settings: MatchSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plausibility floor (``docs/doubt_policy.md`` §3) over pairs whose relation is known.

    A pair is plausible when its names may be one person's (a name relation), its emails are
    near-identical, or its name score is at least ``doubt_name_score`` and other evidence
    corroborates it: the same birth date or usable phone with given names that do not
    clearly disagree (``Jean``/``Jeanne``, ``Paul``/``Pierre``: two colleagues with one
    surname hired the same week are not one person), or a near birth date (a typo, a
    day/month swap) or near-identical matricule with given and last names that both agree
    (:func:`_names_plausible`). Returns
    ``(plausible, words, note)``: a bool array, and per plausible pair what makes it plausible
    ("possible match: given name shortened and same birth date") and what to add after the
    account's label ("; the names differ (A vs B)", or "").
    """
    relation = scored["relation"]
    has_relation = np.fromiter((isinstance(r, NameRelation) for r in relation.tolist()), dtype=bool, count=len(s))
    name = np.nan_to_num(scored["name_score"], nan=-1.0)
    birth, phone = scored["birthdate_match"], scored["phone_agree"]
    # Same-day birth dates or one phone: given names that agree suffice (a married name with no
    # birth name mapped keeps the given name and the birth date). A near date or matricule is
    # weaker (one digit apart is common between strangers): the last names must agree too.
    firm = (birth == "exact") | (phone == True)  # noqa: E712
    near = np.isin(birth, ["swapped", "near"]) | (scored["matricule_match"] == "near")
    email_close = _nonempty(scored["email_near"])
    plausible = has_relation | email_close
    for k in np.flatnonzero(~plausible & (name >= settings.doubt_name_score) & (firm | near)).tolist():
        i, j = int(s[k]), int(t[k])
        plausible[k] = _names_plausible(src, tgt, i, j, settings, last_too=not firm[k])
    words = np.full(len(s), None, dtype=object)
    note = np.full(len(s), None, dtype=object)
    for k in np.flatnonzero(plausible).tolist():
        parts = []
        if has_relation[k]:
            parts.append(relation[k].reason)
        if email_close[k]:
            parts.append(scored["email_near"][k])
        if birth[k] == "exact":
            parts.append("same birth date")
        elif birth[k] == "swapped":
            parts.append("near birth dates (day and month swapped)")
        elif birth[k] == "near":
            parts.append(scored["birthdate_near"][k])
        if phone[k] is True:
            parts.append("same phone")
        if scored["matricule_match"][k] == "near":
            parts.append(scored["matricule_near"][k])
        words[k] = "possible match: " + " and ".join(parts)
        i, j = int(s[k]), int(t[k])
        if has_relation[k] or name[k] < 0:
            note[k] = ""
        elif name[k] >= settings.doubt_name_score:
            note[k] = f"; similar names (name score {name[k]:g}: {src.label(i)} vs {tgt.label(j)})"
        else:
            note[k] = f"; the names differ ({src.label(i)} vs {tgt.label(j)})"
    return plausible, words, note


def _leftovers(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of each name not in the other (as multisets, in written order)."""
    rest = list(b)
    left = []
    for w in a:
        if w in rest:
            rest.remove(w)
        else:
            left.append(w)
    return tuple(left), tuple(rest)


_GENDERED_ENDINGS = frozenset({"e", "ne", "le", "te", "n", "a"})  # Jean/Jeanne, Louis/Louise, Julie/Julien


def _first_names_disagree(a: tuple[str, ...], b: tuple[str, ...], settings: MatchSettings) -> bool:
    """True when two first names (comparison tokens; or the words two names do not share)
    cannot be one person's.

    Equal, or one a part of the other (``Jean-Pierre`` / ``Jean``), or an initial of it: agree.
    One the other plus a feminine or masculine ending (``Jean`` / ``Jeanne``, ``Julie`` /
    ``Julien``, ``Alexandre`` / ``Alexandra``): disagree. Otherwise they disagree below ``first_name_agree`` similarity.
    """
    x, y = "".join(a), "".join(b)
    if not x or not y or x == y:
        return False
    if set(a) <= set(b) or set(b) <= set(a):
        return False
    if len(x) == 1 or len(y) == 1:
        return x[0] != y[0]
    short, long = sorted((x, y), key=len)
    if long.startswith(short) and long[len(short) :] in _GENDERED_ENDINGS:
        return True
    if len(x) == len(y) and x[:-1] == y[:-1] and {x[-1], y[-1]} <= {"a", "e", "o"}:
        return True  # Alexandre / Alexandra, Mario / Maria
    return DamerauLevenshtein.normalized_similarity(x, y) * 100 < settings.first_name_agree


def _prepare(
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
    *,
    keep: bool = False,
) -> dict[str, Any]:
    """Everything the classification needs that the ledger and decisions do not change:
    both sides normalised, the candidate pairs blocked, scored and sorted, and per-record
    aggregates. With ``keep``, the blocking tables and the input frames are kept too, so
    :func:`_reprepare` can follow an edit of a few accounts (see :func:`_prepared`)."""
    (src, src_keys), (tgt, tgt_keys) = _both_sides(src_frame, src_ids, target, tgt_ids, settings)
    con = duckdb.connect(":memory:")
    try:
        s, t, kind, report, crowded_names = _block(src_keys, tgt_keys, settings, con, keep=keep)
        del src_keys, tgt_keys
    except BaseException:
        con.close()
        raise
    if not keep:
        con.close()
    scored = _scored(src, tgt, s, t, settings)
    t_rank = np.empty(len(tgt), dtype=np.int64)
    t_rank[np.argsort(tgt.ids.astype(str), kind="stable")] = np.arange(len(tgt))
    prep = _finish(src, tgt, s, t, kind, scored, report, crowded_names, t_rank, settings, frozen=keep)
    prep["src_email_count"] = _counts(src.email)
    prep["src_matricule_count"] = _counts(src.matricule)
    prep["tgt_pos"] = dict(zip(tgt.ids.tolist(), range(len(tgt)), strict=True))
    prep["src_pos"] = dict(zip(src.ids.tolist(), range(len(src)), strict=True))
    if keep:
        # Copies: a caller may change its frames in place and match them again under a new key.
        prep.update(
            con=con,
            src_frame=src_frame.copy(),
            target=target.copy(),
            verdicts={},
            text_columns=(_text_columns(src_frame), _text_columns(target)),
        )
    return prep


def _counts(values: np.ndarray) -> dict[Any, int]:
    """How many times each value of an object array appears, ``None`` left out (a ``Counter``:
    counted in C, where ``value_counts().to_dict()`` built a Series first)."""
    counts = collections.Counter(values.tolist())
    counts.pop(None, None)
    return counts


def _finish(
    src: _Side,
    tgt: _Side,
    s: np.ndarray,
    t: np.ndarray,
    kind: np.ndarray,
    scored: dict[str, np.ndarray],
    report: pd.DataFrame,
    crowded_names: dict[int, int],
    t_rank: np.ndarray,
    settings: MatchSettings,
    *,
    email_count: dict[str, int] | None = None,
    frozen: bool = False,
) -> dict[str, Any]:
    """The scored pairs sorted by source, best score, target id; ``candidates``; and the
    per-record aggregates the classification reads (the part of :func:`_prepare` that
    :func:`_reprepare` runs again)."""
    n_s = len(src)
    order = np.argsort(_pair_order(s, t, scored["score"], t_rank), kind="stable")
    s, t, kind = s[order], t[order], kind[order]
    scored = {k: v[order] for k, v in scored.items()}
    log.info(
        "blocking produced %d candidate pairs: %s", len(s), dict(zip(report["rule"], report["pairs"], strict=True))
    )
    score = scored["score"]
    name = scored["name_score"]
    id_match = scored["id_match"]
    if settings.set_aside:
        apart, claimer = _apart(src, tgt, s, t, scored, settings)
    else:
        apart, claimer = np.zeros(len(s), dtype=bool), np.full(len(tgt), -1, dtype=np.int64)
    name_or_none = np.nan_to_num(name, nan=-1.0)
    alike = name_or_none >= settings.name_threshold
    named = alike & ~apart
    named_first = _first_where(named, s, n_s)
    id_count = np.bincount(s[id_match], minlength=n_s)
    email_first = _first_where(scored["email_equal"] == True, s, n_s)  # noqa: E712
    # Doubt: only the pairs of records no stronger rule speaks for (the records otherwise
    # created) need their names related; a relation already known is kept (see _reprepare).
    relation = scored["relation"]
    unset = np.fromiter((r is _UNSET for r in relation.tolist()), dtype=bool, count=len(s))
    if settings.doubt:
        open_record = (id_count == 0) & (email_first < 0) & (named_first < 0)
        need = open_record[s] & ~named & ~apart
    else:
        need = np.zeros(len(s), dtype=bool)
    todo = np.flatnonzero(need & unset)
    if len(todo):
        relation[todo] = _relations(src, tgt, s[todo], t[todo])
    relation[~need & ~unset] = _UNSET
    plausible, doubt_words, doubt_note = _doubts(
        src, tgt, s[need], t[need], {k: v[need] for k, v in scored.items()}, settings
    )
    doubt_at = np.flatnonzero(need)[plausible]
    doubt_text = np.full(len(s), None, dtype=object)
    doubt_text[doubt_at] = [
        w + n for w, n in zip(doubt_words[plausible].tolist(), doubt_note[plausible].tolist(), strict=True)
    ]
    doubt_of = {
        int(k): (w, n)
        for k, w, n in zip(
            doubt_at.tolist(), doubt_words[plausible].tolist(), doubt_note[plausible].tolist(), strict=True
        )
    }
    plausible_all = np.zeros(len(s), dtype=bool)
    plausible_all[doubt_at] = True
    kinds = np.full(len(s), None, dtype=object)
    known = np.flatnonzero(need)
    kinds[known] = [r.kind if isinstance(r, NameRelation) else None for r in relation[known].tolist()]
    columns = {
        "source_id": src.ids[s],
        "target_id": tgt.ids[t],
        **{c: scored[c] for c in CANDIDATE_COLUMNS[2:-1] if c in scored},
        "name_relation": kinds,
        "doubt": doubt_text,
        "rule": np.asarray(_RULE_NAMES, dtype=object)[kind],
    }
    if frozen:  # shared by every later match of the same data: nobody may write into it
        for arr in columns.values():
            arr.setflags(write=False)
    # copy=False: fresh arrays, not gathered into 2-D blocks again (~0.2 s at 300,000 pairs)
    candidates = pd.DataFrame(columns, columns=CANDIDATE_COLUMNS, copy=False)
    best = np.full(n_s, np.inf)
    best[named_first >= 0] = score[named_first[named_first >= 0]]
    tie = named & (best[s] - score <= settings.tie_margin)
    return {
        "src": src,
        "tgt": tgt,
        "n_s": n_s,
        "s": s,
        "t": t,
        "kind": kind,
        "t_rank": t_rank,
        "report": report,
        "crowded_names": crowded_names,
        "scored": scored,
        "candidates": candidates,
        "score": score,
        "name": name,
        "id_match": id_match,
        "id_count": id_count,
        "id_first": _first_where(id_match, s, n_s),
        "email_first": email_first,
        "doubt_first": _first_where(plausible_all, s, n_s),
        "apart_first": _first_where(apart & (name_or_none >= settings.doubt_name_score), s, n_s),
        "claimer": claimer,
        "claim_only": _claim_only(scored, apart),
        "alike": alike,
        "doubt_count": np.bincount(s[plausible_all], minlength=n_s),
        "doubt_of": doubt_of,
        "named": named,
        "named_first": named_first,
        "best": best,
        "tie": tie,
        "tie_count": np.bincount(s[tie], minlength=n_s),
        "starts": np.searchsorted(s, np.arange(n_s), side="left"),
        "ends": np.searchsorted(s, np.arange(n_s), side="right"),
        "tgt_email_count": _counts(tgt.email) if email_count is None else email_count,
    }


def _pair_order(s: np.ndarray, t: np.ndarray, score: np.ndarray, t_rank: np.ndarray) -> np.ndarray:
    """One int64 per pair that sorts as (source position, best score first, account id):
    scores have one decimal (0.0-100.0), so ``1000 - 10 × score`` is an integer in 0-1000.
    A stable sort of nearly sorted keys (the kept pairs plus a few new) is close to linear."""
    n_t = np.int64(max(len(t_rank), 1))
    tenths = 1000 - np.rint(np.asarray(score, dtype=np.float64) * 10).astype(np.int64)
    return (s.astype(np.int64) * 1001 + tenths) * n_t + t_rank[t]


def _text_columns(frame: pd.DataFrame) -> frozenset[str]:
    """The object columns holding only text and missing values (what a workspace gives)."""
    return frozenset(
        c
        for c in frame.columns
        if frame[c].dtype == object
        and pd.api.types.infer_dtype(frame[c].to_numpy(), skipna=True) in ("string", "empty")
    )


def _changed_rows(
    old: pd.DataFrame, new: pd.DataFrame, text_columns: frozenset[str] = frozenset()
) -> np.ndarray | None:
    """Positions of the rows of ``new`` that differ from ``old`` (missing equals missing);
    ``None`` when the two frames are not comparable row by row (shape, columns, dtypes).

    ``1 == 1.0 == True``, yet each is normalised differently, so in object columns a change
    of type is a change too; a column of ``old`` known to hold only text (``text_columns``)
    needs no such check: text equals no other type."""
    if old.shape != new.shape or list(old.columns) != list(new.columns):
        return None
    diff = np.zeros(len(new), dtype=bool)
    try:
        for col in new.columns:
            a, b = old[col].to_numpy(), new[col].to_numpy()
            if a.dtype != b.dtype:
                return None
            ne = np.flatnonzero(np.asarray(a != b, dtype=bool))
            if len(ne):  # NaN != NaN: missing on both sides is no change
                diff[ne[~(pd.isna(a[ne]) & pd.isna(b[ne]))]] = True
            if a.dtype == object and col not in text_columns:
                diff |= _TYPE_OF(a) != _TYPE_OF(b)
    except (TypeError, ValueError):
        return None
    return np.flatnonzero(diff)


_TYPE_OF = np.frompyfunc(type, 1, 1)


def _splice(old: _Side, sub: _Side, at: np.ndarray) -> _Side:
    """``old`` with the records at positions ``at`` replaced by ``sub``'s (in order)."""
    values: dict[str, Any] = {}
    replaced = set(at.tolist())
    for f in dataclass_fields(_Side):
        if f.name == "full":
            full = {i: k for i, k in old.full.items() if i not in replaced}
            full.update({int(at[i]): k for i, k in sub.full.items()})
            values["full"] = full
            continue
        column = getattr(old, f.name)
        column = column.copy() if isinstance(column, np.ndarray) else list(column)
        for pos, value in zip(at.tolist(), getattr(sub, f.name), strict=True):
            column[pos] = value
        values[f.name] = column
    return _Side(**values)


#: An edit of more accounts than this share of all accounts is matched again from scratch.
_REPREPARE_SHARE = 0.02


def _reprepare(
    prev: dict[str, Any],
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
) -> dict[str, Any] | None:
    """The prepared match of ``prev`` followed to a target where a few accounts changed
    (inline edits): only those accounts are normalised, blocked against the stored source
    keys and scored again, and only the records that met them before or after are
    classified again. Gives exactly what :func:`_prepare` gives (tested against it), or
    ``None`` when it cannot: another source, other ids, too many changes, or a change that
    crowds a key in or out (a crowded key's pairs are all dropped, so it affects others).

    ``prev`` is consumed (its DuckDB tables move to the result)."""
    if (
        "con" not in prev
        or not np.array_equal(prev["tgt"].ids, tgt_ids)
        or not np.array_equal(prev["src"].ids, src_ids)
    ):
        return None
    same_source = _changed_rows(prev["src_frame"], src_frame, prev["text_columns"][0])
    changed = _changed_rows(prev["target"], target, prev["text_columns"][1])
    if same_source is None or len(same_source) or changed is None:
        return None
    if len(changed) > max(1, int(_REPREPARE_SHARE * len(tgt_ids))):
        return None
    con: duckdb.DuckDBPyConnection = prev["con"]
    old_tgt: _Side = prev["tgt"]
    sub = _side(target.iloc[changed].reset_index(drop=True), tgt_ids[changed], settings, hint_col=None)
    tgt = _splice(old_tgt, sub, changed)
    new_keys = _keys(sub, target_side=True)
    new_keys["i"] = changed[new_keys["i"].to_numpy()].astype(np.int32)
    _key_table(con, "tk_changed", new_keys)
    con.register("changed_frame", pd.DataFrame({"i": changed.astype(np.int32)}))
    con.execute("CREATE OR REPLACE TEMP TABLE changed_at AS SELECT i::INTEGER AS i FROM changed_frame")
    con.unregister("changed_frame")
    con.execute("CREATE OR REPLACE TEMP TABLE tk_was AS SELECT * FROM tk SEMI JOIN changed_at USING (i)")
    loose = ", ".join(str(i) for i in _LOOSE)
    cap, exact_cap = int(settings.max_block_pairs), int(settings.max_exact_block_pairs)
    # Every key the edited accounts had or have: is it crowded now as it was before?
    name_kind = _RULE_NAMES.index("name")
    flips = con.execute(
        f"""
        WITH touched AS (SELECT DISTINCT kind, key FROM (SELECT kind, key FROM tk_was UNION ALL SELECT kind, key FROM tk_changed)),
        sn AS (SELECT kind, key, count(*) AS n FROM sk SEMI JOIN touched USING (kind, key) GROUP BY kind, key),
        tn AS (SELECT kind, key, count(*) AS n FROM tk SEMI JOIN touched USING (kind, key) GROUP BY kind, key),
        was AS (SELECT kind, key, count(*) AS n FROM tk_was GROUP BY kind, key),
        now AS (SELECT kind, key, count(*) AS n FROM tk_changed GROUP BY kind, key),
        counts AS (
            SELECT kind, coalesce(sn.n, 0) AS sn, coalesce(tn.n, 0) AS tn,
                coalesce(tn.n, 0) - coalesce(was.n, 0) + coalesce(now.n, 0) AS tn_after,
                CASE WHEN kind IN ({loose}) THEN {cap} ELSE {exact_cap} END AS cap
            FROM touched LEFT JOIN sn USING (kind, key) LEFT JOIN tn USING (kind, key)
            LEFT JOIN was USING (kind, key) LEFT JOIN now USING (kind, key)
        )
        SELECT count(*) FILTER (WHERE (sn * tn > cap) <> (sn * tn_after > cap) OR (sn * tn > cap AND kind = {name_kind}))
        FROM counts
        """
    ).fetchone()
    if flips is None or flips[0]:
        return None
    pairs_sql = """
        SELECT DISTINCT s.i AS s, t.i AS t, s.kind AS kind
        FROM sk s JOIN (SELECT * FROM {table} ANTI JOIN crowded USING (kind, key)) t USING (kind, key)
    """
    was_rule = dict(
        con.execute(f"SELECT kind, count(*) FROM ({pairs_sql.format(table='tk_was')}) GROUP BY kind").fetchall()
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE produced AS {pairs_sql.format(table='tk_changed')}")
    now_rule = dict(con.execute("SELECT kind, count(*) FROM produced GROUP BY kind").fetchall())
    added = con.execute("SELECT s, t, min(kind)::TINYINT AS kind FROM produced GROUP BY s, t").fetchnumpy()
    con.execute("DELETE FROM tk WHERE i IN (SELECT i FROM changed_at)")
    con.execute("INSERT INTO tk SELECT * FROM tk_changed")
    for table in ("produced", "tk_changed", "tk_was", "changed_at"):
        con.execute(f"DROP TABLE {table}")

    src: _Side = prev["src"]
    s_add = np.asarray(added["s"], dtype=np.int64)
    t_add = np.asarray(added["t"], dtype=np.int64)
    kind_add = np.asarray(added["kind"], dtype=np.int8)
    kept = ~np.isin(prev["t"], changed)
    scored_add = _score(src, tgt, s_add, t_add, settings)
    s = np.concatenate([prev["s"][kept], s_add])
    t = np.concatenate([prev["t"][kept], t_add])
    kind = np.concatenate([prev["kind"][kept], kind_add])
    scored = {k: np.concatenate([v[kept], scored_add[k]]) for k, v in prev["scored"].items()}
    report = prev["report"].copy()
    report["pairs"] = [
        int(p) - int(was_rule.get(k, 0)) + int(now_rule.get(k, 0)) for k, p in enumerate(report["pairs"])
    ]
    report["strongest"] = np.bincount(kind, minlength=len(BLOCKING_RULES)).astype(int)
    email_count = dict(prev["tgt_email_count"])
    for e in old_tgt.email[changed]:
        if e:
            email_count[e] -= 1
            if not email_count[e]:
                del email_count[e]
    for e in tgt.email[changed]:
        if e:
            email_count[e] = email_count.get(e, 0) + 1
    prep = _finish(
        src,
        tgt,
        s,
        t,
        kind,
        scored,
        report,
        prev["crowded_names"],
        prev["t_rank"],
        settings,
        email_count=email_count,
        frozen=True,
    )
    # The records to classify again: those that met an edited account, before or after, or
    # whose email an edited account had or has (the count of accounts with that email).
    emails = {e for e in np.concatenate([old_tgt.email[changed], tgt.email[changed]]) if e}
    dirty = set(prev["s"][~kept].tolist()) | set(s_add.tolist())
    dirty.update(np.flatnonzero(pd.Series(src.email).isin(emails).to_numpy()).tolist())
    # dict() copies in one step: another thread may still be classifying with ``prev``.
    verdicts = {i: v for i, v in dict(prev["verdicts"]).items() if i not in dirty}
    for name in ("src_email_count", "src_matricule_count", "tgt_pos", "src_pos"):
        prep[name] = prev[name]
    # The target's text columns stay text where the edited rows hold text too.
    edited = target.iloc[changed]
    text_target = frozenset(
        c for c in prev["text_columns"][1] if all(v is None or type(v) is str for v in edited[c].tolist())
    )
    prep.update(
        con=con,
        src_frame=prev["src_frame"],
        target=target.copy(),
        verdicts=verdicts,
        text_columns=(prev["text_columns"][0], text_target),
    )
    if "taken_generation" in prev:
        prep["taken_generation"] = prev["taken_generation"]
    log.info("matched %d edited accounts again: %d records to classify again", len(changed), len(dirty))
    return prep


_GENERATIONS = itertools.count()  # numbers the states of account ownership seen by match()


class PreparedCache:
    """The prepared matches kept for reruns (see ``prepared_key`` of :func:`match`): the last
    ``size`` keys, safe across threads. A workspace holds its own
    (:attr:`reconcile.store.cache.WorkspaceCache.prepared`), next to its match results: one match
    cache per workspace; :func:`match` without one uses the module's (:data:`DEFAULT_PREPARED`)."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.entries: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def prepared(
        self,
        src_frame: pd.DataFrame,
        src_ids: np.ndarray,
        target: pd.DataFrame,
        tgt_ids: np.ndarray,
        settings: MatchSettings,
        key: Hashable,
    ) -> dict[str, Any]:
        """:func:`_prepare` for ``key``, kept. A new key whose data differs from the last one's by
        a few edited accounts is followed from it (:func:`_reprepare`) instead of prepared from
        scratch."""
        full_key = (key, settings)
        with self._lock:
            if full_key in self.entries:
                return self.entries[full_key]
            prep = None
            last = next((k for k in reversed(self.entries) if k[1] == settings), None)
            if last is not None:
                prev = self.entries.pop(last)
                try:
                    with prev["lock"]:  # no classification reads it while it is followed
                        prep = _reprepare(prev, src_frame, src_ids, target, tgt_ids, settings)
                except Exception:  # noqa: BLE001 - following failed: prepare from scratch instead
                    log.exception("following the last prepared match failed; matching from scratch")
                    prep = None
                if prep is None:
                    _close(prev)
            if prep is None:
                prep = _prepare(src_frame, src_ids, target, tgt_ids, settings, keep=True)
            prep.setdefault("lock", threading.RLock())
            while len(self.entries) >= self.size:
                _close(self.entries.pop(next(iter(self.entries))))
            self.entries[full_key] = prep
            return prep

    def clear(self) -> None:
        """Forget every prepared match (and free its DuckDB tables)."""
        with self._lock:
            for prep in self.entries.values():
                _close(prep)
            self.entries.clear()


#: The prepared matches of :func:`match` calls that name no cache of their own.
DEFAULT_PREPARED = PreparedCache()
_PREPARED = DEFAULT_PREPARED.entries  # the default cache's entries (read by tests)


def _prepared(
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
    key: Hashable | None,
    cache: PreparedCache | None = None,
) -> dict[str, Any]:
    """:func:`_prepare`, kept in ``cache`` (default :data:`DEFAULT_PREPARED`) when ``key`` is given."""
    if key is None:
        return _prepare(src_frame, src_ids, target, tgt_ids, settings)
    return (cache or DEFAULT_PREPARED).prepared(src_frame, src_ids, target, tgt_ids, settings, key)


def _close(prep: dict[str, Any]) -> None:
    """Free a prepared match's DuckDB tables."""
    con = prep.pop("con", None)
    if con is not None:
        con.close()


_PREPARED_NAMES = (
    "src",
    "tgt",
    "n_s",
    "s",
    "t",
    "kind",
    "report",
    "crowded_names",
    "scored",
    "candidates",
    "score",
    "name",
    "id_match",
    "id_count",
    "id_first",
    "email_first",
    "named",
    "named_first",
    "best",
    "tie",
    "tie_count",
    "starts",
    "ends",
    "src_email_count",
    "tgt_email_count",
    "src_matricule_count",
    "tgt_pos",
    "doubt_first",
    "doubt_count",
    "doubt_of",
    "apart_first",
    "claimer",
    "claim_only",
    "alike",
)


_F = TypeVar("_F", bound=Callable[..., Any])


def _gc_paused(fn: _F) -> _F:
    """Run ``fn`` with Python's cyclic garbage collector paused (and restored after).

    Matching allocates millions of small objects; each allocation burst triggers a
    collection that walks every tracked object in the process, a cost that grows with
    what the process holds (~0.6 s per match of 100,000 records in the app). Nothing
    matching allocates is cyclic garbage worth collecting early."""

    @functools.wraps(fn)
    def paused(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused  # type: ignore[return-value]


@_gc_paused
def match(
    source: pd.DataFrame,
    target: pd.DataFrame,
    *,
    mapping: FieldMapping | Mapping[str, str | None] | None = None,
    settings: MatchSettings | None = None,
    ledger: Mapping[str, str] | None = None,
    ledger_values: Mapping[str, Mapping[str, str | None]] | None = None,
    decisions: Mapping[str, Decision] | Iterable[Decision] | None = None,
    prepared_key: Hashable | None = None,
    prepared_cache: PreparedCache | None = None,
) -> MatchResult:
    """Match source records (Payfit) to target accounts (Equify).

    ``source``: a DataFrame with an ``id`` column and source fields, renamed to
    Equify's canonical fields by ``mapping`` (``{equify_field: source_column}``;
    ``None`` when the columns already carry canonical names: ``firstName``,
    ``lastName``, ``email``, ``phoneNumber``, ``birthDate``, ``matricule``, and
    optionally ``fullName`` and the address ``country`` used as the phone's country hint).
    ``target``: a DataFrame with ``id`` and canonical fields, optionally ``payfitId``.
    ``ledger``: ``{source_id: target_id}`` of earlier syncs, and
    ``ledger_values`` the source values each sync sent (``{source_id: {field: value}}``):
    a synced record is an *update* when its values changed since.
    ``decisions``: a person's links, creates and exclusions.
    ``prepared_key``: a hashable naming the source, target and mapping as they are (e.g. a
    workspace's data version); when given, the normalised sides, candidate pairs and scores
    are kept, and the next call with the same key and settings only classifies again (the
    ledger and decisions may differ). The caller must change the key when the data changes;
    a new key whose target differs from the last one's by a few accounts (inline edits, up to
    2 % of them) is followed from it: only those accounts are normalised, blocked and scored
    again, and only the records that met them are classified again (same result as from
    scratch). With a key, ``candidates`` is shared by the results of the same data: its
    arrays are read-only (copy the frame to change it). ``prepared_cache``: where the prepared
    data is kept (a workspace's own, :class:`PreparedCache`; default: the module's).

    Ids are compared as cleaned text everywhere (``" P1"`` is ``P1``, ``42.0`` is ``42``),
    in the records, the ledger and the decisions; ``records.source_id`` holds the cleaned id.

    Returns a :class:`~reconcile.models.MatchResult` (records, links, candidates
    with their per-field breakdown, and the blocking report). Raises
    :class:`~reconcile.exceptions.InputError` for: an argument of the wrong type; a
    missing, empty or duplicated id; a repeated column; a column that is a field's name in
    another case (``Email``); a mapping key that is not an Equify field (or is ``id``); a side
    with no name or email field; a ledger with two entries for one record.
    """
    settings = MatchSettings() if settings is None else settings
    if not isinstance(settings, MatchSettings):
        raise InputError(f"settings must be a MatchSettings, not {type(settings).__name__}")
    checked_src_ids = _check_frame(source, "source", canonical=mapping is None)
    tgt_ids = _check_frame(target, "target")
    src_frame = canonical_source(source, mapping, default_region=settings.default_region)
    if len(src_frame) and not any(f in src_frame.columns for f in _NAME_OR_EMAIL):
        raise InputError(
            f"after mapping, the source records have none of the fields matching uses ({', '.join(_NAME_OR_EMAIL)})"
        )
    ledger, ledger_values, decided = _check_history(ledger, ledger_values, decisions)
    prep = _prepared(src_frame, checked_src_ids, target, tgt_ids, settings, prepared_key, prepared_cache)
    # The policy (reconcile/matching/policy.py) classifies every record, its rules in domain.md §5's order.
    from .policy import Policy  # policy.py builds on this module's helpers

    # A kept preparation is shared by every caller with its key (the app's sessions): its verdict
    # memo is read and written by one classification at a time.
    with prep.get("lock") or contextlib.nullcontext():
        out = Policy(prep, src_frame, target, settings, ledger, ledger_values, decided).classify()
    src_ids: list[str] = prep["src"].ids.tolist()
    candidates, report = prep["candidates"], prep["report"]
    cols = [[row[c] for row in out] for c in range(6)]  # type: ignore[index]
    records = pd.DataFrame(
        {
            "source_id": _obj(src_ids),
            "category": _obj(cols[0]),
            "action": _obj(cols[1]),
            "target_id": _obj(cols[2]),
            "score": np.array([np.nan if x is None else x for x in cols[3]], dtype=float),
            "rule": _obj(cols[4]),
            "reason": _obj(cols[5]),
        },
        columns=RECORD_COLUMNS,
        copy=False,
    )
    links = records.loc[
        records["action"].isin(["link", "update", "none"])
        & records["category"].isin(["new", "synced"])
        & records["target_id"].notna(),
        LINK_COLUMNS,
    ].reset_index(drop=True)
    # Kept pairs are shared by later matches of the same data: their arrays are read-only,
    # and each result gets its own frame over them.
    return MatchResult(
        records=records,
        links=links,
        candidates=candidates.copy(deep=False),
        settings=settings,
        blocking=report.copy(),
    )
