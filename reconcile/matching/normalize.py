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
import functools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import DamerauLevenshtein

__all__ = [
    "PhoneResult",
    "NEAR_KINDS",
    "clean_text",
    "clearly_different",
    "compact",
    "email_evidence",
    "email_is_valid",
    "email_mailbox",
    "email_near",
    "identifier_keys",
    "is_placeholder",
    "NameKey",
    "name_key",
    "name_score",
    "name_tokens",
    "near_date",
    "near_identifier",
    "score_names",
    "compare_dates",
    "normalize_date",
    "birth_date_evidence",
    "normalize_email",
    "normalize_phone",
    "phones_agree",
    "remembered_phone",
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


def clean_text(value: Any) -> str | None:
    """Return ``value`` as stripped text, or ``None`` when it carries nothing.

    ``None``, float NaN, pandas ``NA``/``NaT``, empty and whitespace-only strings are
    missing: only an empty or blank cell is. Text that reads like a missing marker
    (``"NA"``, ``"None"``, ``"Null"``, ``"Nan"``, ``"N/A"``) is kept: it can be a real value
    (a surname), and the loaders never turn a missing cell into such text (issue 14).
    Whether a value is a placeholder *as evidence* (an email, an identifier) is
    :func:`is_placeholder`'s and :func:`email_evidence`'s question.
    """
    if type(value) is str and value.isascii() and value.isprintable() and "  " not in value:
        # Plain ASCII text (most cells): NFC and the invisible characters cannot change it.
        text = value.strip(" ")
        return text or None
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
    return text or None


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
    text = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).lower()
    # Paste artefacts: "Jean Dupont <j@x.fr>", "<mailto:j@x.fr>", "mailto:j@x.fr".
    named = _NAMED_ADDRESS.fullmatch(text)
    if named:
        text = named.group(1)
    text = text.strip("<>").removeprefix("mailto:").strip("<>").strip()
    return text or None


_NAMED_ADDRESS = re.compile(r"[^<>@]*<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+)\s*>")
_PLAUSIBLE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
#: Texts that stand for "no value" in exports ("N/A", "NULL", "-", "0", "inconnu", ...).
PLACEHOLDERS = frozenset(
    {"", "-", "--", "---", "—", "–", "?", "??", ".", "0", "-1", "n/a", "na", "n.a.", "nan", "none", "null", "nil"}
    | {"x", "xx", "xxx", "nc", "n.c.", "nr", "sans", "unknown", "inconnu", "inconnue", "néant", "neant", "aucun"}
    | {"aucune", "vide", "tbd", "todo", "#n/a", "non renseigné", "non renseigne", "non communiqué", "non communique"}
)
# Local parts of addresses that stand for "no email" (none@none.com, noreply@..., pas.de.mail@...).
_PLACEHOLDER_MAILBOXES = PLACEHOLDERS | {
    "test",
    "noreply",
    "no-reply",
    "no.reply",
    "nomail",
    "no-mail",
    "pasdemail",
    "pas.de.mail",
    "pas-de-mail",
    "sansmail",
    "sans.mail",
    "email",
    "mail",
}


_PLACEHOLDER_DOMAINS = frozenset({"none", "null", "nil", "inconnu", "unknown", "test", "nomail", "noemail", "vide"})


def is_placeholder(value: Any) -> bool:
    """True for a value that stands for "nothing" in exports: empty, ``N/A``, ``NULL``, ``-``,
    ``0``, ``000``, ``999999``, ``NC``, ``non renseigné``, ... Such a value is never matching evidence (an email, a
    matricule or a name ``NULL`` on two records does not make them one person)."""
    text = clean_text(value)
    if text is None:
        return True
    # ASCII: NFKC changes nothing and casefold is lower; else fullwidth ０ and ＮＵＬＬ fold too.
    folded = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    return folded in PLACEHOLDERS or folded.strip("0") == "" or (len(folded) >= 4 and folded.strip("9") == "")


def email_evidence(value: Any) -> str | None:
    """The normalised email when it can count as matching evidence: shaped like an address
    (``local@domain.tld``, no spaces), not a placeholder (``n/a``, ``-``, ``none@none.com``,
    ``noreply@…``, ``pas.de.mail@…``, ``test@test.com``); else ``None``.
    The full syntax check is :func:`email_is_valid`."""
    email = normalize_email(value)
    if email is None or not _PLAUSIBLE_EMAIL.fullmatch(email):
        return None
    local, _, domain = email.partition("@")
    if local in _PLACEHOLDER_MAILBOXES or domain.split(".")[0] in _PLACEHOLDER_DOMAINS:
        return None
    return email


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
    Missing parts (see :func:`clean_text`) and parts without a letter or digit (``-``, ``?``)
    add nothing; a part that reads like a missing marker (``Null``, ``None``, ``NA``, ``Nan``,
    ``N/A``) is a name like any other (issue 14).

    >>> name_tokens("Jean-Pierre", "LE GALL")
    ('jean', 'pierre', 'le', 'gall')
    """
    if len(parts) == 1 and type(parts[0]) is str:  # one text: the usual call, and it repeats
        return _text_tokens(parts[0])
    tokens: list[str] = []
    for part in parts:
        tokens.extend(_text_tokens(part) if type(part) is str else _part_tokens(part))
    return tuple(tokens)


@functools.lru_cache(maxsize=1 << 18)
def _text_tokens(text: str) -> tuple[str, ...]:
    """:func:`_part_tokens` of a text, remembered: the matcher asks for the tokens of one name
    several times (its parts, its surname keys, its relations)."""
    return _part_tokens(text)


def _part_tokens(part: Any) -> tuple[str, ...]:
    text = clean_text(part)
    if text is None or not any(ch.isalnum() for ch in text):
        return ()
    if text.isascii():  # nothing to fold but the case
        folded = text.lower()
    else:
        folded = strip_accents(unicodedata.normalize("NFC", text).casefold())
    folded = _NAME_SEPARATORS.sub(" ", folded)
    return tuple(tok for tok in folded.split() if tok)


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
    used), ``region_ambiguous`` (no prefix, no hint, and valid in several
    countries), ``country_hint_ignored`` (invalid in the hint's country, valid in
    the default region, which was used), ``possible_not_valid`` (status
    ``possible``), ``invalid`` (status ``invalid``) and ``corrupted`` (status
    ``corrupted``). Only :attr:`usable` numbers count as matching evidence.
    """

    raw: str | None
    e164: str | None
    region: str | None
    status: str
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def usable(self) -> bool:
        """True when the number can count as evidence: valid (a merely *possible* number
        may be a typo), not region-ambiguous."""
        return self.status == "valid" and self.e164 is not None and "region_ambiguous" not in self.flags


# Countries whose people commonly appear, with nationally written numbers, in a
# French company's data. A personal number that is not a mobile in the default
# region but is a mobile in one of these is region-ambiguous (``0470 12 34 56``:
# a French landline or a Belgian mobile).
_NEIGHBOUR_REGIONS = ("BE", "CH", "LU", "DE", "ES", "IT", "NL", "GB", "PT")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
_FLOAT_ARTEFACT = re.compile(r"^\+?\d+\.0+$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
# The flag each status adds (the issue asks for "invalid" and "possible but not valid" as flags too).
_STATUS_FLAGS = {"invalid": frozenset({"invalid"}), "possible": frozenset({"possible_not_valid"})}


def normalize_phone(value: Any, default_region: str = "FR", country_hint: Any = None) -> PhoneResult:
    """Parse a phone number to E.164 (``phonenumbers``), with a per-record country hint.

    ``country_hint`` (an ISO alpha-2 country such as the address country) is the
    region of numbers written without a country code; a hint phonenumbers does
    not know (``XX``, ``France``) is ignored. When the number is not valid in the
    hint's country but is in ``default_region`` (a French mobile of an employee
    living in Belgium), the default region's reading is kept, flagged
    ``country_hint_ignored``. See :func:`_normalize_phone_hinted` for the rest.
    """
    if isinstance(value, float) and value == value and value.is_integer() and str(int(value)).endswith("0000"):
        # A phone read as a number by a spreadsheet and shown as 3.36123E+10: the trailing
        # zeros are lost digits, never guessed (case L5).
        return PhoneResult(str(value), None, None, "corrupted", frozenset({"corrupted"}))
    hint = _known_region(country_hint)
    result = _normalize_phone_hinted(value, default_region, hint)
    if (
        hint is not None
        and hint != default_region.upper()
        and result.status != "valid"
        and "country_code_assumed" in result.flags
    ):
        fallback = _normalize_phone_hinted(value, default_region, None)
        if fallback.status == "valid":
            return PhoneResult(
                fallback.raw,
                fallback.e164,
                fallback.region,
                fallback.status,
                fallback.flags | {"country_hint_ignored"},
            )
    return result


@functools.lru_cache(maxsize=1 << 20)
def _phone_of_text(value: str, default_region: str, country_hint: str | None) -> PhoneResult:
    return normalize_phone(value, default_region, country_hint)


def remembered_phone(value: Any, default_region: str = "FR", country_hint: Any = None) -> PhoneResult:
    """:func:`normalize_phone`, its results kept for text values (an LRU of 2**20 entries).

    Phones are the costly values to normalise (microseconds each) and the same ones come
    back at every match and every page rerun; a :class:`PhoneResult` is immutable.
    """
    if type(value) is str and (country_hint is None or type(country_hint) is str):
        return _phone_of_text(value, default_region, country_hint)
    return normalize_phone(value, default_region, country_hint)


_QUICK_NATIONAL = re.compile(r"0[1-9][0-9]{8}")
_QUICK_INTERNATIONAL = re.compile(r"\+33[1-9][0-9]{8}")
_QUICK_IDD = re.compile(r"0033[1-9][0-9]{8}")


def remembered_phones(values: list[Any], hints: list[Any], default_region: str = "FR") -> list[PhoneResult]:
    """:func:`remembered_phone` of each ``(value, hint)`` pair, the same results, faster for the
    numbers most records hold: a French number written ``+33612345678``, ``0033612345678``
    (where ``00`` dials abroad) or ``0612345678`` (read in France) goes straight to the French
    fast path's reading of its national number (:func:`_french_number`); every other value goes
    through :func:`remembered_phone`. ``tests/matching/test_normalize.py`` compares the two on random
    numbers, the separator-free shapes and every kind of hint.
    """
    default = default_region.upper()
    regions: dict[Any, str | None] = {}
    out: list[PhoneResult] = []
    for value, hint in zip(values, hints, strict=True):
        if type(value) is str and 10 <= len(value) <= 13:
            if type(hint) is str or hint is None:
                region = regions[hint] if hint in regions else regions.setdefault(hint, _known_region(hint))
            else:
                region = _known_region(hint)
            n = len(value)
            where = region or default  # the region a national number is read in
            nsn = None
            assumed = False
            if n == 12 and _QUICK_INTERNATIONAL.fullmatch(value):
                nsn = value[3:]
            elif n == 13 and _QUICK_IDD.fullmatch(value) and _idd_is_00(where):
                nsn = value[4:]
            elif n == 10 and _QUICK_NATIONAL.fullmatch(value) and where == "FR":
                nsn, assumed = value[1:], True  # France's national prefix, dropped as parse drops it
            if nsn is not None:
                result = _french_number(value, value, value.lstrip("+"), nsn, where, region or "", assumed)
                # normalize_phone reads a nationally written number that is not valid in the hint's
                # region again in the default region: that case takes the general steps.
                if result.status == "valid" or not assumed or region is None or region == default:
                    out.append(result)
                    continue
        out.append(remembered_phone(value, default_region, hint))
    return out


def _known_region(country_hint: Any) -> str | None:
    """The hint as an upper-case region phonenumbers knows, else ``None``."""
    if country_hint is None:
        return None
    if type(country_hint) is str and len(country_hint) == 2 and country_hint.isascii():
        hint = country_hint.upper()
    else:
        hint = (clean_text(country_hint) or "").upper()
    return hint if hint in phonenumbers.SUPPORTED_REGIONS else None


def _normalize_phone_hinted(value: Any, default_region: str = "FR", country_hint: Any = None) -> PhoneResult:
    """Parse a phone number to E.164 (``phonenumbers``).

    ``country_hint`` (an ISO alpha-2 country such as the address country or
    nationality) is used instead of ``default_region`` for numbers written
    without a country code. A float artefact ``612345678.0`` is read as
    ``612345678``; scientific notation is ``corrupted`` and no digits are
    guessed. A misparse is never returned as valid.

    French numbers written in the usual ways (``06 12 34 56 78``, ``+33 (0)6…``,
    ``0033 6…``, ``612345678``) take a fast path built from phonenumbers' own
    metadata (:class:`_RegionRules`); every other number is parsed by
    ``phonenumbers.parse``. Both give the same result as
    :func:`_normalize_phone_reference` (plus the status flags), which the tests check.
    """
    raw: str | None
    if type(value) is str and _PLAIN_PHONE.fullmatch(value):
        raw = value  # what clean_text returns for such text, without its cost
    else:
        raw = clean_text(value)
        if raw is None:
            return _EMPTY_PHONE
    text = raw.replace("\u00a0", " ").strip()
    if _FRENCH_SHAPE.fullmatch(text):  # no letters, so never scientific notation
        if _FLOAT_ARTEFACT.match(text):
            text = text.split(".", 1)[0]
        if country_hint is None:
            hint = ""
        elif type(country_hint) is str and len(country_hint) == 2 and country_hint.isascii() and country_hint.isalpha():
            hint = country_hint.upper()  # what clean_text(...).upper() gives for such a hint
        else:
            hint = (clean_text(country_hint) or "").upper()
        region = hint if len(hint) == 2 and hint.isalpha() else default_region.upper()
        result = _french_fast_path(raw, text, region, hint)
        if result is not None:
            return result
    result = _normalize_phone_reference(value, default_region, country_hint)
    extra = _STATUS_FLAGS.get(result.status)
    if extra is None:
        return result
    return PhoneResult(result.raw, result.e164, result.region, result.status, result.flags | extra)


def _normalize_phone_reference(value: Any, default_region: str = "FR", country_hint: Any = None) -> PhoneResult:
    """The straightforward implementation (``phonenumbers.parse`` for every number), kept as the reference.

    :func:`normalize_phone` must give the same result, with ``invalid`` or
    ``possible_not_valid`` added to the flags of an invalid or possible number;
    ``tests/matching/test_normalize.py`` compares the two on thousands of numbers.
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


# ---- the fast path
#
# For text made only of ASCII digits and the separators below (a '+' only in
# front), phonenumbers.parse reads exactly the digits: no extension, letter,
# RFC 3966 or second-number rule can apply. What it then does with them is
# replayed below from the same metadata, and wherever a rule would need more
# than that (a national-prefix transform rule, an international prefix written
# without '+', a country code written without '+' or '00', a national number
# with a leading zero), the fast path gives up and the number is parsed.

# Text that clean_text returns unchanged: ASCII digits and separators, single spaces, nothing around.
_PLAIN_PHONE = re.compile(r"[0-9+().\-/]+(?: [0-9+().\-/]+)*")
# Separators, then an optional '+', then digits and separators.
_FRENCH_SHAPE = re.compile(r"[ ().\-/]*\+?[0-9 ().\-/]*")
_NOT_DIGITS = re.compile(r"[^0-9]+")
_EMPTY_PHONE = PhoneResult(None, None, None, "empty")
_FLAGS_NONE: frozenset[str] = frozenset()
_FLAGS_ASSUMED = frozenset({"country_code_assumed"})
_FLAGS_AMBIGUOUS = frozenset({"country_code_assumed", "region_ambiguous"})
_FLAGS_INVALID_ASSUMED = frozenset({"country_code_assumed", "invalid"})


class _RegionRules:
    """One region's phonenumbers metadata, with its patterns compiled once.

    :meth:`classify` is phonenumbers' ``_number_type_helper`` reduced to the two
    answers the normaliser needs (valid? a mobile type?); :meth:`national_number`
    replays ``phonenumbers.parse`` for digits written without a country code.
    """

    def __init__(self, region: str) -> None:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        # Only regions phonenumbers knows are built (its own country-code table, FR, the neighbours).
        assert meta is not None and meta.country_code is not None and meta.general_desc is not None, region
        self.meta = meta
        self.region = region
        self.country_code: int = meta.country_code
        self.country_code_text = str(meta.country_code)
        self.idd = re.compile(meta.international_prefix) if meta.international_prefix else None
        prefix = meta.national_prefix_for_parsing
        self.national_prefix = re.compile(prefix) if prefix else None
        self.transform = bool(meta.national_prefix_transform_rule)
        general = meta.general_desc
        self.general_pattern = _full(general.national_number_pattern)
        self.general = _desc(general)
        self.lengths = tuple(general.possible_length)
        self.local_lengths = frozenset(general.possible_length_local_only)
        self.leading_digits = re.compile(meta.leading_digits) if meta.leading_digits else None
        # The special types, each tested before fixed-line and mobile: one pattern per set of lengths.
        specials = (
            meta.premium_rate,
            meta.toll_free,
            meta.shared_cost,
            meta.voip,
            meta.personal_number,
            meta.pager,
            meta.uan,
            meta.voicemail,
        )
        by_lengths: dict[frozenset[int], list[str]] = {}
        for desc in specials:
            if desc is not None and desc.national_number_pattern:
                by_lengths.setdefault(frozenset(desc.possible_length), []).append(desc.national_number_pattern)
        self.specials = tuple(
            (lengths, re.compile("|".join(f"(?:{p})" for p in patterns)).fullmatch)
            for lengths, patterns in by_lengths.items()
        )
        self.fixed = _desc(meta.fixed_line)
        self.mobile = _desc(meta.mobile)
        self.same_mobile_and_fixed = bool(meta.same_mobile_and_fixed_line_pattern)

    def classify(self, nsn: str) -> tuple[bool, bool]:
        """``(valid, mobile)``: ``number_type`` is not UNKNOWN; it is MOBILE or FIXED_LINE_OR_MOBILE."""
        if not _matches(self.general, nsn):
            return False, False
        n = len(nsn)
        for lengths, fullmatch in self.specials:
            if (not lengths or n in lengths) and fullmatch(nsn) is not None:
                return True, False
        if _matches(self.fixed, nsn):
            return True, self.same_mobile_and_fixed or _matches(self.mobile, nsn)
        if not self.same_mobile_and_fixed and _matches(self.mobile, nsn):
            return True, True
        return False, False

    def length_kept(self, nsn: str) -> bool:
        """``parse`` keeps a stripped national prefix unless the rest is too short, local-only or of no length."""
        n = len(nsn)
        if n in self.local_lengths:
            return False
        return n in self.lengths or n > self.lengths[-1]

    def maybe_mobile(self, nsn: str) -> bool:
        """False when :meth:`classify` cannot say mobile (one pattern instead of all)."""
        return _matches(self.fixed if self.same_mobile_and_fixed else self.mobile, nsn)

    def strip_national_prefix(self, number: str) -> str | None:
        """The number after ``parse`` drops a national prefix (``0``); ``None`` for a transform rule."""
        if self.national_prefix is None:
            return number
        match = self.national_prefix.match(number)
        if not match:
            return number
        if self.transform:
            return None
        return self._stripped(number, number[match.end() :])

    def _stripped(self, number: str, rest: str) -> str:
        if self.general_pattern(number) is not None and self.general_pattern(rest) is None:
            return number  # the number was viable as written and would not be without the prefix
        return rest if self.length_kept(rest) else number

    def national_number(self, digits: str) -> str | None:
        """The national significant number ``parse(digits, region)`` finds, or ``None`` when not replayed here.

        Leading zeros are kept as written (as ``national_significant_number`` gives them back).
        """
        if self.idd is not None and self.idd.match(digits):
            return None  # an international prefix without '+'
        if digits.startswith(self.country_code_text):
            return None  # maybe the country code written without '+'
        if len(digits) < 2:
            return None
        nsn = self.strip_national_prefix(digits)
        if nsn is None or len(nsn) > 17:
            return None
        return nsn

    @functools.cached_property
    def could_be_mobile(self) -> str:
        """A pattern every digit string that :meth:`mobile_in` does not answer ``False`` matches in full.

        The number parsed is the digits, or the digits without a national prefix; it is a mobile only
        if it matches the mobile pattern (the fixed-line one when they are the same) of a region of
        the country code. Digits the replay does not read (international prefix, country code,
        transform rule) match too.
        """
        parts = [f"{self.country_code_text}.*"]
        if self.idd is not None:
            parts.append(f"(?:{self.idd.pattern}).*")
        if self.transform:
            parts.append(".*")
        mobiles = []
        for candidate in _country_rules(self.country_code):
            desc = candidate.meta.fixed_line if candidate.same_mobile_and_fixed else candidate.meta.mobile
            if desc is not None and desc.national_number_pattern:
                mobiles.append(f"(?:{desc.national_number_pattern})")
        if mobiles:
            prefix = f"(?:{self.national_prefix.pattern})?" if self.national_prefix is not None else ""
            parts.append(f"{prefix}(?:{'|'.join(mobiles)})")
        return "|".join(f"(?:{p})" for p in parts)

    @functools.cached_property
    def _could_be_mobile(self) -> Callable[[str], Any]:
        return re.compile(self.could_be_mobile).fullmatch

    def mobile_in(self, digits: str) -> bool | None:
        """``_is_mobile_in(text, region)`` for text whose digits are ``digits``; ``None`` when it must parse."""
        if self._could_be_mobile(digits) is None:
            return False
        if self.idd is not None and self.idd.match(digits):
            return None  # an international prefix without '+'
        if digits.startswith(self.country_code_text) or not 2 <= len(digits) <= 17:
            return None  # maybe the country code without '+'; a parse error
        nsn = digits
        match = self.national_prefix.match(digits) if self.national_prefix is not None else None
        if match:
            if self.transform:
                return None
            nsn = self._stripped(digits, digits[match.end() :])
        group = _country_rules(self.country_code)
        if len(group) == 1:  # region_code_for_number takes the only region unchecked
            return group[0].classify(nsn)[1]
        # region_code_for_number: the first region of the country code that claims the number.
        for candidate in group:
            if candidate.leading_digits is not None:
                if candidate.leading_digits.match(nsn):
                    return candidate.classify(nsn)[1]
                continue
            valid, mobile = candidate.classify(nsn)
            if valid:
                return mobile
        return False


def _full(pattern: str | None) -> Callable[[str], Any]:
    if not pattern:
        return lambda _text: None
    return re.compile(pattern).fullmatch


def _desc(desc: Any) -> tuple[frozenset[int], Callable[[str], Any]] | None:
    """A PhoneNumberDesc as (possible lengths, fullmatch); ``None`` for a type the region lacks."""
    if desc is None:
        return None
    return frozenset(desc.possible_length), _full(desc.national_number_pattern)


def _matches(desc: tuple[frozenset[int], Callable[[str], Any]] | None, nsn: str) -> bool:
    """phonenumbers' ``_is_number_matching_desc``."""
    if desc is None:
        return False
    lengths, fullmatch = desc
    if lengths and len(nsn) not in lengths:
        return False
    return fullmatch(nsn) is not None


@functools.cache
def _rules(region: str) -> _RegionRules:
    return _RegionRules(region)


@functools.lru_cache(maxsize=1024)
def _idd_is_00(region: str) -> bool:
    """True when ``00`` is the region's international prefix (the only one read without '+')."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return meta is not None and meta.international_prefix == "00"


@functools.cache
def _country_rules(country_code: int) -> tuple[_RegionRules, ...]:
    return tuple(_rules(r) for r in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code])


@functools.cache
def _neighbour_could_be_mobile() -> Callable[[str], Any]:
    """One pattern for all the neighbour regions: digits it does not match are a mobile in none."""
    return re.compile("|".join(f"(?:{_rules(r).could_be_mobile})" for r in _NEIGHBOUR_REGIONS)).fullmatch


@functools.lru_cache(maxsize=32)
def _possible_in_france(length: int) -> bool:
    """``phonenumbers.is_possible_number`` of a +33 number whose national number (no leading
    zero) has ``length`` digits: it tests only the length against France's metadata."""
    return bool(
        phonenumbers.is_possible_number(phonenumbers.PhoneNumber(country_code=33, national_number=int("1" * length)))
    )


def _french_fast_path(raw: str, text: str, region: str, hint: str) -> PhoneResult | None:
    """:func:`normalize_phone` for a French number in a usual format; ``None`` for the general path.

    ``text`` matches ``_FRENCH_SHAPE``. Read: ``+33…`` in any region, ``0033…``
    where ``00`` is the international prefix, and, when the region is FR, a
    national number (``0`` then 9 digits, or 9 digits from a spreadsheet).
    """
    digits = _NOT_DIGITS.sub("", text)
    if not 6 <= len(digits) <= 17 or len(text) > 64:
        return None
    fr = _rules("FR")
    if text.lstrip(" ().-/")[0] == "+":
        if not digits.startswith("33"):
            return None
        nsn = fr.strip_national_prefix(digits[2:])
        assumed = False
    elif digits.startswith("0033") and _idd_is_00(region):
        nsn = fr.strip_national_prefix(digits[4:])
        assumed = False
    elif region == "FR":
        nsn = fr.national_number(digits)
        assumed = True
    else:
        return None
    if nsn is None or nsn[:1] == "0" or not 2 <= len(nsn) <= 17:
        return None  # a parse error, or an Italian leading zero: parsed
    return _french_number(raw, text, digits, nsn, region, hint, assumed)


def _french_number(raw: str, text: str, digits: str, nsn: str, region: str, hint: str, assumed: bool) -> PhoneResult:
    """The result of :func:`_french_fast_path` once France's national significant number ``nsn``
    (no leading zero) is known: ``assumed`` when it was written nationally (``digits`` are the
    text's digits, ``region`` the region it was read in, ``hint`` the known hint or ``""``)."""
    fr = _rules("FR")
    valid, mobile = fr.classify(nsn)
    if valid:
        status = "valid"
    elif _possible_in_france(len(nsn)):
        status = "possible"
    else:
        return PhoneResult(raw, None, None, "invalid", _FLAGS_INVALID_ASSUMED if assumed else _STATUS_FLAGS["invalid"])
    flags = _FLAGS_NONE
    if assumed:
        flags = _FLAGS_ASSUMED
        if not hint and not mobile and _neighbour_could_be_mobile()(digits) is not None:
            for r in _NEIGHBOUR_REGIONS:
                if r == region:
                    continue
                mobile_there = _rules(r).mobile_in(digits)
                if mobile_there is None:
                    mobile_there = _is_mobile_in(text, r)
                if mobile_there:
                    flags = _FLAGS_AMBIGUOUS
                    break
    if status == "possible":
        flags = flags | _STATUS_FLAGS["possible"]
    return PhoneResult(raw, "+33" + nsn, "FR", status, flags)


def phones_agree(a: PhoneResult, b: PhoneResult) -> bool | None:
    """``True``/``False`` when both numbers are usable evidence, else ``None``.

    Numbers never agree when their countries differ, and a region-ambiguous
    number is no evidence either way (case P2).
    """
    if not a.usable or not b.usable:
        return None
    return a.e164 == b.e164 and a.region == b.region


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
# An ISO date-time, with 'T' or a space before the time (what str() of a pandas Timestamp gives).
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T| \d{1,2}:\d{2})")
# The forms of _DATE_FORMATS in ASCII digits: year first with '-' or '/', or day first with '/', '-' or '.'.
# (strptime's %m and %d take one or two digits; it also takes other Unicode digits and a space before a
# one-digit day, which are left to it.)
_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})|([0-9]{1,2})([-/.])([0-9]{1,2})\6([0-9]{4})")


def normalize_date(value: Any) -> str | None:
    """An ISO ``YYYY-MM-DD`` date from ISO, French ``dd/mm/yyyy`` or a datetime; ``None`` if unparseable.

    Read: ``1985-03-02``, ``1985-3-2``, ``1985/03/02``, ``02/03/1985``, ``2-3-1985``,
    ``02.03.1985``, an ISO date-time (``1985-03-02T10:00:00Z``, ``1985-03-02 10:30``), a ``date``, ``datetime``
    or pandas ``Timestamp``. Strict: a two-digit year (``02/03/85``) or an impossible
    date (``31/02/1990``) gives ``None``. Same results as :func:`_normalize_date_reference`.
    """
    if type(value) is str:
        match = _DATE.fullmatch(value)  # such text is what clean_text returns
        if match:
            return _date_from(match)
    if clean_text(value) is None:  # also pandas NaT, which is a datetime
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = clean_text(value)
    if text is None:
        return None
    text = text[:10] if _ISO_DATETIME.match(text) else text
    match = _DATE.fullmatch(text)
    if match:
        return _date_from(match)
    if text.isascii() and " " not in text:
        return None  # strptime reads no other ASCII text with these formats
    return _normalize_date_reference(text)  # non-ASCII digits or a day written " 2": strptime


#: Dates systems write where a birth date is unknown: the Unix epoch and the first days of
#: 1900 and 1901 (what an empty Excel or SQL date becomes).
_PLACEHOLDER_DATES = frozenset({"1970-01-01", "1900-01-01", "1901-01-01"})


def birth_date_evidence(value: Any) -> str | None:
    """A birth date as matching evidence: :func:`normalize_date`'s ISO text, or ``None`` for a
    missing, unreadable or placeholder date, which says nothing for or against a match.

    Placeholders: ``1970-01-01`` (the Unix epoch), ``1900-01-01`` and ``1901-01-01`` (an
    empty Excel or SQL date), any date before 1901, and any date less than 14 years ago (a
    form's default "today", a hire date typed in the wrong field: no one on a payroll or a cap
    table this matches was born then).

    >>> birth_date_evidence("12/03/1985"), birth_date_evidence("01/01/1970"), birth_date_evidence("1899-12-31")
    ('1985-03-12', None, None)
    """
    iso = _date_text(value)
    if iso is None or iso in _PLACEHOLDER_DATES or iso < "1901" or iso > _recent_limit():
        return None
    return iso


def _recent_limit() -> str:
    """The ISO date 14 years before today (29 February read as 28 February)."""
    today = dt.date.today()
    try:
        return today.replace(year=today.year - 14).isoformat()
    except ValueError:
        return today.replace(year=today.year - 14, day=28).isoformat()


def _date_from(match: re.Match[str]) -> str | None:
    if match.group(1) is not None:
        year, month, day = match.group(1, 3, 4)
    else:
        day, month, year = match.group(5, 7, 8)
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _normalize_date_reference(value: Any) -> str | None:
    """The former implementation (``strptime`` with each format in turn), kept as the reference."""
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


def compare_dates(a: str | None, b: str | None) -> str | None:
    """How two dates (ISO, as :func:`normalize_date` returns them) compare, as birth-date evidence.

    ``"exact"``: the same date; ``"swapped"``: the same year with day and month
    exchanged (``1985-03-12`` vs ``1985-12-03``, a US/French mix-up), which needs
    day != month and both readings to be real dates; ``"differ"``: anything else;
    ``None`` when either is missing. Any value :func:`normalize_date` reads is
    accepted; one it cannot read counts as missing.
    """
    first, second = _as_date(a), _as_date(b)
    if first is None or second is None:
        return None
    if first == second:
        return "exact"
    if (
        first.year == second.year
        and first.day != first.month
        and (first.day, first.month) == (second.month, second.day)
    ):
        return "swapped"
    return "differ"


def _as_date(value: Any) -> dt.date | None:
    iso = normalize_date(value)
    return None if iso is None else dt.date.fromisoformat(iso)


# ---------------------------------------------------------------------------- near evidence
# Evidence that is not equal but one value written two ways, or one typo apart: never enough for an
# automatic link, always enough for doubt (shared/domain.md §5, step 5). Each function returns the
# reason in words, or None (equal values, clearly different values, or no evidence).

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_ID_SEPARATORS = re.compile(r"[\s\-_./]+")


def _unicode_domain(domain: str) -> str:
    """A domain with its punycode labels (``xn--…``) decoded, NFC and case-folded."""
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                pass  # not valid punycode: compared as written
        labels.append(label)
    return unicodedata.normalize("NFC", ".".join(labels)).casefold()


def _near_emails(a: str, b: str) -> str | None:
    """:func:`email_near` of two different emails that are evidence."""
    local_a, _, domain_a = a.rpartition("@")
    local_b, _, domain_b = b.rpartition("@")
    how: list[str] = []
    if domain_a != domain_b:
        if "xn--" not in domain_a and "xn--" not in domain_b and not {domain_a, domain_b} <= _GMAIL_DOMAINS:
            return None  # two mailboxes on two domains (the usual pair: no decoding)
        uni_a, uni_b = _unicode_domain(domain_a), _unicode_domain(domain_b)
        if uni_a == uni_b:
            how.append("a domain written in punycode")
        elif {uni_a, uni_b} <= _GMAIL_DOMAINS:
            how.append("gmail.com / googlemail.com")
        else:
            return None
        domain_a = uni_a
    gmail = domain_a in _GMAIL_DOMAINS
    if local_a != local_b:
        base_a, base_b = local_a.partition("+")[0], local_b.partition("+")[0]
        if base_a != local_a or base_b != local_b:
            if not base_a or not base_b or base_a in _PLACEHOLDER_MAILBOXES or base_b in _PLACEHOLDER_MAILBOXES:
                return None
            if base_a != base_b and not (gmail and base_a.replace(".", "") == base_b.replace(".", "")):
                return None
            how.append("a +tag")
        if base_a != base_b:
            if not gmail or base_a.replace(".", "") != base_b.replace(".", ""):
                return None
            how.append("dots in a Gmail address")
    return f"near-identical emails ({', '.join(how)})" if how else None


def email_near(a: Any, b: Any) -> str | None:
    """The reason two emails are one mailbox written two ways, or ``None``.

    Near: equal once a ``+tag`` is removed from the local part (``claire+rh@example.fr`` /
    ``claire@example.fr``), once the dots of a Gmail local part are removed and
    ``googlemail.com`` is read as ``gmail.com`` (``jean.dupont@gmail.com`` /
    ``jeandupont@googlemail.com``), or once a punycode domain is decoded
    (``x@xn--exmple-cua.fr`` / ``x@exämple.fr``). Returns e.g. ``"near-identical emails
    (a +tag)"``. ``None`` for equal emails (exact evidence, not near), different
    mailboxes, and whenever either side is no evidence (:func:`email_evidence`: empty,
    malformed, placeholder such as ``none+x@none.com``). Memoised per value.
    """
    ea, eb = _email_text(a), _email_text(b)
    if ea is None or eb is None or ea == eb:
        return None
    return _near_emails(ea, eb)


@functools.lru_cache(maxsize=1 << 17)
def _email_cached(value: str) -> str | None:
    return email_evidence(value)


def _email_text(value: Any) -> str | None:
    """:func:`email_evidence`, memoised for text."""
    return _email_cached(value) if type(value) is str else email_evidence(value)


def email_mailbox(value: Any) -> str | None:
    """The mailbox an email reaches, as one key: the email evidence (:func:`email_evidence`) with
    its ``+tag`` removed, a punycode domain decoded, and for Gmail the dots of the local part
    removed and ``googlemail.com`` read as ``gmail.com``. Two emails that are equal or near
    (:func:`email_near`) have the same key, so it serves as a blocking key; ``None`` when the
    email is no evidence (or its ``+tag`` is all its local part, or a placeholder mailbox).

    >>> email_mailbox("Jean.Dupont+RH@googlemail.com"), email_mailbox("claire+rh@example.fr")
    ('jeandupont@gmail.com', 'claire@example.fr')
    """
    email = _email_text(value)
    if email is None:
        return None
    return _mailbox(email)


@functools.lru_cache(maxsize=1 << 17)
def _mailbox(email: str) -> str | None:
    local, _, domain = email.rpartition("@")
    if "xn--" in domain:
        domain = _unicode_domain(domain)
    local = local.partition("+")[0]
    if not local or local in _PLACEHOLDER_MAILBOXES:
        return None
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def identifier_keys(value: Any) -> tuple[str, ...]:
    """Blocking keys of an identifier (matricule): two identifiers that are equal or near
    (:func:`near_identifier`) share at least one key.

    The identifier without case, separators and leading zeros; and, for 4+ characters (without
    case and separators), each string left after deleting one of its characters (a changed
    character or two adjacent characters swapped leave one such string in common). Empty for a
    missing or placeholder value.

    >>> identifier_keys("EMP-042")
    ('emp042', 'mp042', 'ep042', 'em042', 'emp42', 'emp02', 'emp04')
    """
    text = _identifier(value)
    if text is None:
        return ()
    return _identifier_keys(text)


@functools.lru_cache(maxsize=1 << 17)
def _identifier_keys(text: str) -> tuple[str, ...]:
    key = _ID_SEPARATORS.sub("", text).casefold()
    keys = [(key.lstrip("0") or key) if key.isdigit() else key]
    if len(key) >= 4:
        keys += [key[:k] + key[k + 1 :] for k in range(len(key))]
    return tuple(dict.fromkeys(keys))


def _identifier(value: Any) -> str | None:
    """An identifier as evidence: cleaned text (``42.0`` read as ``42``), ``None`` for a placeholder."""
    if isinstance(value, float) and value == value and value.is_integer():
        value = str(int(value))
    if type(value) is str:
        return _identifier_text(value)
    text = clean_text(value)
    return None if text is None or is_placeholder(text) else text


@functools.lru_cache(maxsize=1 << 17)
def _identifier_text(value: str) -> str | None:
    text = clean_text(value)
    return None if text is None or is_placeholder(text) else text


def _one_apart(a: str, b: str) -> str | None:
    """``"changed"`` when two strings of one length differ at one position, ``"swapped"`` when
    two adjacent characters are exchanged, else ``None``."""
    if len(a) != len(b):
        return None
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    if len(diff) == 1:
        return "changed"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
        return "swapped"
    return None


def _near_identifiers(a: str, b: str) -> str | None:
    """:func:`near_identifier` of two different identifiers that are evidence."""
    ka, kb = _ID_SEPARATORS.sub("", a).casefold(), _ID_SEPARATORS.sub("", b).casefold()
    if ka == kb:
        return "near-identical identifiers (case or separators)"
    if ka.isdigit() and kb.isdigit() and ka.lstrip("0") == kb.lstrip("0") and ka.lstrip("0"):
        return "near-identical identifiers (leading zeros)"
    if min(len(ka), len(kb)) < 4:
        return None  # one character of a short identifier is a large part of it
    how = _one_apart(ka, kb)
    if how is None:
        return None
    what = "digits" if ka.isdigit() and kb.isdigit() else "characters"
    if how == "swapped":
        return f"near-identical identifiers (two adjacent {what} swapped)"
    return f"near-identical identifiers (one {what[:-1]} differs)"


def near_identifier(a: Any, b: Any) -> str | None:
    """The reason two identifiers (matricules, ids) are one identifier with a typo, or ``None``.

    Near: equal but for case and separators (``EMP-0042`` / ``emp0042``) or leading zeros
    (``00123`` / ``123``); or, for identifiers of 4+ characters, two adjacent characters
    swapped (``10452`` / ``10542``) or one character changed (``10452`` / ``10453``). An
    added or dropped character is not near. ``None`` for equal identifiers (exact evidence),
    clearly different ones, and a missing or placeholder value on either side (``0``,
    ``N/A``, ``999999``: :func:`is_placeholder`). Memoised per value.
    """
    ta, tb = _identifier(a), _identifier(b)
    if ta is None or tb is None or ta == tb:
        return None
    return _near_identifiers(ta, tb)


def _near_dates(a: str, b: str) -> str | None:
    """:func:`near_date` of two different ISO dates."""
    if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7] and a[5:7] != a[8:10]:
        return "near birth dates (day and month swapped)"  # compare_dates' "swapped"
    how = _one_apart(a[:4] + a[5:7] + a[8:10], b[:4] + b[5:7] + b[8:10])
    if how == "swapped":
        return "near birth dates (two adjacent digits swapped)"
    if how == "changed":
        return "near birth dates (one digit differs)"
    return None


@functools.lru_cache(maxsize=1 << 16)
def _iso_date(value: str) -> str | None:
    return normalize_date(value)


def _date_text(value: Any) -> str | None:
    """:func:`normalize_date`, memoised for text (dates repeat: about 20,000 distinct birth dates)."""
    return _iso_date(value) if type(value) is str else normalize_date(value)


def near_date(a: Any, b: Any) -> str | None:
    """The reason two dates are one date with a typo, or ``None``.

    Near, on the ISO digits ``YYYYMMDD`` of two real dates: day and month exchanged
    (``1985-03-12`` / ``1985-12-03``, :func:`compare_dates` ``"swapped"``), two adjacent
    digits swapped (``1985`` / ``1958``, day ``12`` / ``21``), or one digit changed
    (``1985-03-12`` / ``1985-03-13``). ``None`` for equal dates, clearly different ones, and
    a missing or unreadable date on either side (:func:`normalize_date`). Memoised per value.
    """
    da, db = _date_text(a), _date_text(b)
    if da is None or db is None or da == db:
        return None
    return _near_dates(da, db)


#: The kinds of value :func:`clearly_different` compares.
NEAR_KINDS = ("date", "identifier", "email")


def clearly_different(kind: str, a: Any, b: Any) -> bool:
    """True when two values of one ``kind`` are both evidence, differ, and are not near.

    ``kind``: ``"date"`` (:func:`near_date`), ``"identifier"`` (:func:`near_identifier`) or
    ``"email"`` (:func:`email_near`). The "different" penalty applies only to such values:
    a missing, placeholder, equal or near value is not clearly different.
    Raises ``ValueError`` for another kind.

    >>> clearly_different("date", "1985-03-12", "1985-03-21"), clearly_different("date", "1985-03-12", "1990-07-01")
    (False, True)
    """
    if kind == "date":
        da, db = birth_date_evidence(a), birth_date_evidence(b)
        return da is not None and db is not None and da != db and _near_dates(da, db) is None
    if kind == "identifier":
        ta, tb = _identifier(a), _identifier(b)
        return ta is not None and tb is not None and ta != tb and _near_identifiers(ta, tb) is None
    if kind == "email":
        ea, eb = _email_text(a), _email_text(b)
        return ea is not None and eb is not None and ea != eb and _near_emails(ea, eb) is None
    raise ValueError(f"clearly_different: kind must be one of {', '.join(NEAR_KINDS)}, not {kind!r}")
