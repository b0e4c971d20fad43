"""Pure normalisers for the fields used as matching evidence.

Every function here is pure (no I/O, no global state) and total: empty or
unusable input gives ``None`` (or an empty tuple), never an exception, so the
matcher can apply them to any column. Rules follow ``shared/domain.md`` §5:

* emails: NFKC, invisible characters removed, lower-cased. Never the
  fuzzy-string preprocessing that turns ``@`` and ``.`` into spaces (case E1).
* names: NFC then case-folded, accents removed, hyphens and apostrophes read as
  spaces, word order free, compound surnames compared part by part and with the
  spaces removed (cases N1-N5). Display values keep their accents.
* phones: ``phonenumbers`` to E.164 with a default region (FR) and a per-record
  country hint; a number written without a country code that is valid in more
  than one nearby country is *region-ambiguous* (cases P1, P2, L4, L5).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import DamerauLevenshtein

__all__ = [
    "PhoneResult",
    "clean_text",
    "compact",
    "email_is_valid",
    "NameKey",
    "name_key",
    "name_score",
    "name_tokens",
    "score_names",
    "normalize_date",
    "normalize_email",
    "normalize_phone",
    "phones_agree",
    "strip_accents",
]

# Characters that are invisible or spacing but not ASCII space: they survive
# copy-paste from spreadsheets and mail clients and break exact matching.
# Zero-width and other format characters: removed wherever they are.
_ZERO_WIDTH = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2060-\u206f\u3164\ufeff\uffa0]"
)
# Every kind of space (no-break, thin, ideographic, tabs, line breaks): read as a plain space.
_SPACES = re.compile("[\u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\\s]+")
_NAME_SEPARATORS = re.compile(r"[-\u2010-\u2015\u2212'\u2018\u2019\u02bc`´.,;/_()]+")
_NAN_TEXTS = frozenset({"nan"})  # what pandas writes for a missing value turned into text


def clean_text(value: Any) -> str | None:
    """Return ``value`` as stripped text, or ``None`` when it carries nothing.

    ``None``, float NaN, pandas ``NA``, empty and whitespace-only strings are
    missing. Text such as ``"NA"`` or ``"None"`` is kept (they can be real
    values); the text ``"nan"`` is not, since it is what a missing value
    becomes after ``astype(str)`` (case N1).
    """
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", str(value)))
    text = _SPACES.sub(" ", text).strip()
    if not text or text.casefold() in _NAN_TEXTS:
        return None
    return text


def normalize_email(value: Any) -> str | None:
    """Email as compared: NFKC, zero-width characters removed, spaces trimmed, lower-cased.

    >>> normalize_email(" J.Dupont@Example.fr\u00a0\u200b")
    'j.dupont@example.fr'

    A space inside the address is kept (``a b@c.fr`` is not ``ab@c.fr``), so
    :func:`email_is_valid` flags it. ``None`` when empty.
    """
    text = clean_text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).lower()
    # A mailto: prefix and surrounding angle brackets are common paste artefacts.
    text = text.removeprefix("mailto:").strip("<>")
    return text or None


def email_is_valid(value: Any) -> bool:
    """True when the normalised email has valid syntax (email-validator, no DNS lookup)."""
    email = normalize_email(value)
    if email is None:
        return False
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def strip_accents(text: str) -> str:
    """Remove combining marks after NFKD decomposition (``Éric`` → ``Eric``); ligatures kept readable."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    decomposed = decomposed.replace("æ", "ae").replace("Æ", "AE").replace("ß", "ss")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_tokens(*parts: Any) -> tuple[str, ...]:
    """Comparison tokens of one or more name parts, in their written order.

    NFC, case-folded, accents removed, hyphens/apostrophes/dots as spaces.
    Missing parts (see :func:`clean_text`) add nothing.

    >>> name_tokens("Jean-Pierre", "LE GALL")
    ('jean', 'pierre', 'le', 'gall')
    """
    tokens: list[str] = []
    for part in parts:
        text = clean_text(part)
        if text is None:
            continue
        folded = strip_accents(unicodedata.normalize("NFC", text).casefold())
        folded = _NAME_SEPARATORS.sub(" ", folded)
        tokens.extend(tok for tok in folded.split() if tok)
    return tuple(tokens)


def compact(*parts: Any) -> str:
    """The tokens of ``parts`` joined without spaces: ``Le Gall`` and ``LEGALL`` → ``legall``."""
    return "".join(name_tokens(*parts))


def _parts(first: Any, last: Any, tokens: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (first, last) readings of a name, each part without spaces.

    With both parts known there is one reading; a full name alone
    (``LE GALL Jean-Pierre``) is read at every split of its words.
    """
    f, la = compact(first), compact(last)
    if f and la:
        return [(f, la)]
    if len(tokens) < 2:
        return []
    return [("".join(tokens[:k]), "".join(tokens[k:])) for k in range(1, len(tokens))]


@dataclass(frozen=True)
class NameKey:
    """A name prepared once for many comparisons (see :func:`name_key` and :func:`score_names`).

    ``tokens``: comparison tokens in written order; ``sorted_key``: the tokens sorted and
    space-joined; ``joined``: sorted and joined without spaces; ``parts``: the (first, last)
    readings without spaces (one when both parts are known, every split of a full name else).
    """

    tokens: tuple[str, ...]
    sorted_key: str
    joined: str
    parts: tuple[tuple[str, str], ...]

    @property
    def empty(self) -> bool:
        """True when the name carries no evidence."""
        return not self.tokens


def name_key(first: Any, last: Any, full: Any = None) -> NameKey:
    """Prepare a name: its first and last name, or its full name when both are empty."""
    tokens = name_tokens(first, last) or name_tokens(full)
    ordered = sorted(tokens)
    return NameKey(tokens, " ".join(ordered), "".join(ordered), tuple(_parts(first, last, tokens)))


def score_names(a: NameKey, b: NameKey) -> float | None:
    """:func:`name_score` of two prepared names (the matcher prepares each record once)."""
    if a.empty or b.empty:
        return None
    if a.sorted_key == b.sorted_key or a.joined == b.joined:
        return 100.0
    for x1, x2 in a.parts:
        for y1, y2 in b.parts:
            if (x1, x2) in ((y1, y2), (y2, y1)):
                return 100.0
    best = DamerauLevenshtein.normalized_similarity(a.joined, b.joined)
    for x1, x2 in a.parts:
        for y1, y2 in b.parts:
            best = max(
                best,
                DamerauLevenshtein.normalized_similarity(x1 + x2, y1 + y2),
                DamerauLevenshtein.normalized_similarity(x1 + x2, y2 + y1),
            )
    return round(float(best) * 100, 1)


def name_score(
    first_a: Any,
    last_a: Any,
    first_b: Any,
    last_b: Any,
    *,
    full_a: Any = None,
    full_b: Any = None,
) -> float | None:
    """Similarity 0-100 of two person names, or ``None`` when either side has no name.

    A side's name is its first and last name; when both are empty its full-name
    value (e.g. ``"DUPONT Jean"``) is used instead, read at every split of its words.
    Equal after normalisation in any word order, or part by part with spaces removed
    (``Le Gall`` = ``Legall``), scores 100. Otherwise the score is the best normalised
    Damerau-Levenshtein similarity (rapidfuzz) of the names written without spaces:
    first+last in both orders, and the tokens sorted. One typo in ``Jean Dupont``
    gives 90; ``Yves Huet`` vs ``Yves Hubert`` (two letters) gives 80.
    An empty name is no evidence: two empty names give ``None``, not 100 (N1).
    """
    return score_names(name_key(first_a, last_a, full_a), name_key(first_b, last_b, full_b))


@dataclass(frozen=True)
class PhoneResult:
    """A phone number after normalisation.

    ``e164`` is ``None`` unless the number parsed as valid or possible; ``region``
    is the ISO country it belongs to; ``status`` is one of ``valid``,
    ``possible`` (right length, unknown range), ``invalid``, ``corrupted``
    (e.g. a spreadsheet's ``3.36123E+10``) or ``empty``. ``flags`` may hold
    ``country_code_assumed`` (no prefix was written; default region or hint
    used) and ``region_ambiguous`` (no prefix, no hint, and valid in several
    countries).
    """

    raw: str | None
    e164: str | None
    region: str | None
    status: str
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def usable(self) -> bool:
        """True when the number can count as evidence (parsed, not region-ambiguous)."""
        return self.e164 is not None and "region_ambiguous" not in self.flags


# Countries whose people commonly appear, with nationally written numbers, in a
# French company's data. A personal number that is not a mobile in the default
# region but is a mobile in one of these is region-ambiguous (``0470 12 34 56``:
# a French landline or a Belgian mobile).
_NEIGHBOUR_REGIONS = ("BE", "CH", "LU", "DE", "ES", "IT", "NL", "GB", "PT")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
_FLOAT_ARTEFACT = re.compile(r"^\+?\d+\.0+$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")


def normalize_phone(value: Any, default_region: str = "FR", country_hint: Any = None) -> PhoneResult:
    """Parse a phone number to E.164 (``phonenumbers``).

    ``country_hint`` (an ISO alpha-2 country such as the address country or
    nationality) is used instead of ``default_region`` for numbers written
    without a country code. A float artefact ``612345678.0`` is read as
    ``612345678``; scientific notation is ``corrupted`` and no digits are
    guessed. A misparse is never returned as valid.
    """
    raw = clean_text(value)
    if raw is None:
        return PhoneResult(None, None, None, "empty")
    text = raw.replace("\u00a0", " ").strip()
    if _SCIENTIFIC.match(text.replace(" ", "")):
        return PhoneResult(raw, None, None, "corrupted", frozenset({"corrupted"}))
    if _FLOAT_ARTEFACT.match(text):
        text = text.split(".", 1)[0]
    hint = (clean_text(country_hint) or "").upper()
    region = hint if len(hint) == 2 and hint.isalpha() else default_region.upper()
    try:
        parsed = phonenumbers.parse(text, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return PhoneResult(raw, None, None, "invalid")
    flags: set[str] = set()
    source = parsed.country_code_source
    if source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY:
        flags.add("country_code_assumed")
    if phonenumbers.is_valid_number(parsed):
        status = "valid"
    elif phonenumbers.is_possible_number(parsed):
        status = "possible"
    else:
        return PhoneResult(raw, None, None, "invalid", frozenset(flags))
    if "country_code_assumed" in flags and not hint and phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        if any(_is_mobile_in(text, r) for r in _NEIGHBOUR_REGIONS if r != region):
            flags.add("region_ambiguous")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return PhoneResult(raw, e164, phonenumbers.region_code_for_number(parsed), status, frozenset(flags))


def _is_mobile_in(text: str, region: str) -> bool:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _MOBILE_TYPES


def phones_agree(a: PhoneResult, b: PhoneResult) -> bool | None:
    """``True``/``False`` when both numbers are usable evidence, else ``None``.

    Numbers never agree when their countries differ, and a region-ambiguous
    number is no evidence either way (case P2).
    """
    if not a.usable or not b.usable:
        return None
    return a.e164 == b.e164 and a.region == b.region


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def normalize_date(value: Any) -> str | None:
    """An ISO ``YYYY-MM-DD`` date from ISO, French ``dd/mm/yyyy`` or a datetime; ``None`` if unparseable."""
    if clean_text(value) is None:  # also pandas NaT, which is a datetime
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = clean_text(value)
    if text is None:
        return None
    text = text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None
