"""Normalisers and scorers as tables: ``(input..., expected)`` rows, one runner per function.

Cases E1, N1-N5, P1, P2, L4 and L5 of ``shared/cases.md`` appear by name in the ids.
Adding a case is adding one line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import unicodedata

import numpy as np
import pandas as pd
import phonenumbers
import pytest

from reconcile.matching import normalize
from reconcile.matching.normalize import (
    PhoneResult,
    clean_text,
    compare_dates,
    email_is_valid,
    name_score,
    name_tokens,
    normalize_date,
    normalize_email,
    normalize_phone,
    phones_agree,
)

NBSP, ZWSP, BOM = "\u00a0", "\u200b", "\ufeff"
HELENE_COMPOSED = unicodedata.normalize("NFC", "Hélène")
HELENE_COMBINING = unicodedata.normalize("NFD", "Hélène")
assert HELENE_COMPOSED != HELENE_COMBINING  # the N4 inputs really are two different strings


# ---------------------------------------------------------------------------- emails
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(f"J.Dupont@Example.fr{NBSP}{ZWSP}", "j.dupont@example.fr", id="E1-nbsp-zwsp-case"),
        pytest.param(f"{BOM} j.dupont@example.fr ", "j.dupont@example.fr", id="bom-and-spaces"),
        pytest.param(f"j.du{ZWSP}pont@example.fr", "j.dupont@example.fr", id="zero-width-inside"),
        pytest.param("mailto:J.Dupont@Example.FR", "j.dupont@example.fr", id="mailto"),
        pytest.param("<j.dupont@example.fr>", "j.dupont@example.fr", id="angle-brackets"),
        pytest.param("A.PETIT@EXAMPLE.FR", "a.petit@example.fr", id="E2-upper"),
        # '@' and '.' are kept: fuzzy preprocessing must never be applied to emails (E1).
        pytest.param("jean.dupont@example.fr", "jean.dupont@example.fr", id="keeps-at-and-dots"),
        pytest.param("ｊ.dupont@example.fr", "j.dupont@example.fr", id="fullwidth-nfkc"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param(None, None, id="none"),
        pytest.param(float("nan"), None, id="nan-float"),
        pytest.param("nan", "nan", id="nan-text-is-text"),  # (#14) kept as text; email_evidence refuses it
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


def test_normalize_email_e1_sides_are_equal():
    """E1: the Payfit email with invisible characters equals the Equify one."""
    assert normalize_email(f"J.Dupont@Example.fr{NBSP}{ZWSP}") == normalize_email("j.dupont@example.fr")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("j.dupont@example.fr", True, id="plain"),
        pytest.param(f"J.Dupont@Example.fr{NBSP}{ZWSP}", True, id="E1-valid-after-normalisation"),
        pytest.param("mailto:j.dupont@example.fr", True, id="mailto"),
        pytest.param("j.dupont@", False, id="no-domain"),
        pytest.param("jean.dupont", False, id="no-at"),
        pytest.param("jean@@example.fr", False, id="two-ats"),
        pytest.param("jean@localhost", False, id="no-dot-domain"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="none"),
    ],
)
def test_email_is_valid(raw, expected):
    assert email_is_valid(raw) is expected


# ---------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(("Jean-Pierre", "LE GALL"), ("jean", "pierre", "le", "gall"), id="N5-hyphen-and-case"),
        pytest.param(("Éric", "Moreau"), ("eric", "moreau"), id="N3-accent"),
        pytest.param((HELENE_COMBINING, "X"), ("helene", "x"), id="N4-combining"),
        pytest.param((HELENE_COMPOSED, "X"), ("helene", "x"), id="N4-composed"),
        pytest.param(("N'Diaye",), ("n", "diaye"), id="apostrophe"),
        pytest.param(("Jean–Luc",), ("jean", "luc"), id="en-dash"),
        pytest.param(("  DUPONT   Jean ",), ("dupont", "jean"), id="N2-spaces"),
        pytest.param(("Œuvray",), ("oeuvray",), id="ligature"),
        pytest.param((None, "", "  "), (), id="N1-missing-parts"),
        pytest.param(("-", "?", "."), (), id="N1-punctuation-only"),
        pytest.param(("Nan", "NULL"), ("nan", "null"), id="missing-markers-are-names"),  # (#14)
        pytest.param((), (), id="nothing"),
    ],
)
def test_name_tokens(parts, expected):
    assert name_tokens(*parts) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # N1: an empty name is no evidence: None, never 100.
        pytest.param(("", ""), ("", ""), None, id="N1-both-empty"),
        pytest.param((None, None), (None, None), None, id="N1-both-none"),
        pytest.param(("-", "-"), ("-", "-"), None, id="N1-punctuation-only"),
        pytest.param(("-", "?"), ("Jean", "Dupont"), None, id="N1-one-side-punctuation"),
        pytest.param((None, None), ("Jean", "Dupont"), None, id="N1-one-side-empty"),
        # Same person after normalisation: 100.
        pytest.param(("Jean", "Dupont"), ("Jean", "Dupont"), 100.0, id="identical"),
        pytest.param(("Jean", "Dupont"), ("Dupont", "Jean"), 100.0, id="first-last-swapped"),
        pytest.param(("JEAN", "DUPONT"), ("jean", "dupont"), 100.0, id="case"),
        pytest.param(("Éric", "Moreau"), ("Eric", "Moreau"), 100.0, id="N3-accent"),
        pytest.param(("Éric", "Moreau"), ("Moreau", "Eric"), 100.0, id="N3-accent-and-order"),
        pytest.param((HELENE_COMPOSED, "Lefèvre"), (HELENE_COMBINING, "Lefèvre"), 100.0, id="N4-unicode-forms"),
        pytest.param(("Jean-Pierre", "LE GALL"), ("Jean Pierre", "Legall"), 100.0, id="N5-hyphen-particle"),
        pytest.param(("Anne-Sophie", "Martin"), ("Anne Sophie", "MARTIN"), 100.0, id="hyphenated-first-name"),
        # One typo in "Jean Dupont" (documented value), two letters in "Yves Huet".
        pytest.param(("Jean", "Dupont"), ("Jean", "Dupond"), 90.0, id="one-typo"),
        pytest.param(("Yves", "Huet"), ("Yves", "Hubert"), 80.0, id="two-letters"),
    ],
)
def test_name_score(a, b, expected):
    assert name_score(*a, *b) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(("Jean", "Dupont"), ("Marie", "Curie"), id="different-people"),
        pytest.param(("Lucas", "Girard"), ("Sarah", "Kone"), id="recycled-mailbox-names"),
        pytest.param(("Jean", None), ("Jean", "Dupont"), id="first-name-only"),
    ],
)
def test_name_score_clearly_different_is_low(a, b):
    score = name_score(*a, *b)
    assert score is not None
    assert score < 60  # below the matcher's "names clearly disagree" bound


@pytest.mark.parametrize(
    ("full_a", "b", "expected"),
    [
        pytest.param("DUPONT Jean", ("Jean", "Dupont"), 100.0, id="N2-surname-first-upper"),
        pytest.param("Jean DUPONT", ("Jean", "Dupont"), 100.0, id="N2-first-name-first"),
        pytest.param(
            "LE GALL Jean-Pierre",
            ("Jean Pierre", "Legall"),
            100.0,
            id="N2+N5-surname-first",
        ),
        pytest.param(
            "Jean-Pierre LE GALL",
            ("Jean Pierre", "Legall"),
            100.0,
            id="N2+N5-first-name-first",
        ),
        pytest.param("", ("Jean", "Dupont"), None, id="N2-empty-full-name"),
    ],
)
def test_name_score_full_name(full_a, b, expected):
    """N2: one full-name column on one side, first and last name on the other."""
    assert name_score(None, None, *b, full_a=full_a) == expected


def test_name_score_is_symmetric():
    pairs = [(("Jean", "Dupont"), ("Jean", "Dupond")), (("Yves", "Huet"), ("Yves", "Hubert"))]
    for a, b in pairs:
        assert name_score(*a, *b) == name_score(*b, *a)


# ---------------------------------------------------------------------------- phones
@pytest.mark.parametrize(
    ("raw", "hint", "e164", "region", "status"),
    [
        # P1: French national and international formats, default region FR.
        pytest.param("06 12 34 56 78", None, "+33612345678", "FR", "valid", id="P1-national-spaces"),
        pytest.param("+33 (0)6 12 34 56 78", None, "+33612345678", "FR", "valid", id="P1-plus33-trunk-zero"),
        pytest.param("+330612345678", None, "+33612345678", "FR", "valid", id="P1-plus33-zero"),
        pytest.param("0033 6 12 34 56 78", None, "+33612345678", "FR", "valid", id="P1-0033"),
        pytest.param("06.12.34.56.78", None, "+33612345678", "FR", "valid", id="dots"),
        # P2: a Belgian mobile for an employee living in BE.
        pytest.param("0470 12 34 56", "BE", "+32470123456", "BE", "valid", id="P2-belgian-with-hint"),
        pytest.param("0470 12 34 56", "be", "+32470123456", "BE", "valid", id="P2-hint-lower-case"),
        pytest.param("+32 470 12 34 56", None, "+32470123456", "BE", "valid", id="P2-belgian-international"),
        # L4: a CSV 'tel' column read as text.
        pytest.param("0612345678", None, "+33612345678", "FR", "valid", id="L4-leading-zero"),
        pytest.param("+32470123456", None, "+32470123456", "BE", "valid", id="L4-belgian-e164"),
        # L5: XLSX numbers: leading zero lost, float artefact; never +336123456780.
        pytest.param("612345678", None, "+33612345678", "FR", "valid", id="L5-no-leading-zero"),
        pytest.param("612345678.0", None, "+33612345678", "FR", "valid", id="L5-float-text"),
        pytest.param(612345678.0, None, "+33612345678", "FR", "valid", id="L5-float-value"),
        pytest.param(612345678, None, "+33612345678", "FR", "valid", id="L5-int-value"),
        pytest.param("698765432", None, "+33698765432", "FR", "valid", id="L5-third-cell"),
        pytest.param("", None, None, None, "empty", id="L5-empty-cell"),
        pytest.param(None, None, None, None, "empty", id="none"),
        pytest.param(float("nan"), None, None, None, "empty", id="nan"),
        pytest.param("3.36123E+10", None, None, None, "corrupted", id="L5-scientific-notation"),
        pytest.param("3,36123e+10", None, None, None, "corrupted", id="L5-scientific-comma"),
        pytest.param("abc", None, None, None, "invalid", id="not-a-number"),
        pytest.param("06 12 34", None, None, None, "invalid", id="too-short"),
    ],
)
def test_normalize_phone(raw, hint, e164, region, status):
    result = normalize_phone(raw, "FR", hint)
    assert (result.e164, result.region, result.status) == (e164, region, status)
    if status in {"corrupted", "invalid", "empty"}:
        assert not result.usable  # no digits guessed, no evidence


# One row per written form: (raw, hint, e164, region, status, exact flags). Neighbours of P1/P2 and the
# new status flags ("invalid", "possible_not_valid"). Values are what the parse-everything reference gives.
NONE: set[str] = set()
ASSUMED = {"country_code_assumed"}
AMBIGUOUS = {"country_code_assumed", "region_ambiguous"}
POSSIBLE = {"country_code_assumed", "possible_not_valid"}
ASSUMED_INVALID = {"country_code_assumed", "invalid"}
INVALID = {"invalid"}


@pytest.mark.parametrize(
    ("raw", "hint", "e164", "region", "status", "flags"),
    [
        pytest.param("06 12 34 56 78", None, "+33612345678", "FR", "valid", ASSUMED, id="P1-national-spaces"),
        pytest.param("06.12.34.56.78", "FR", "+33612345678", "FR", "valid", ASSUMED, id="P1-dots-hint-FR"),
        pytest.param("06-12-34-56-78", None, "+33612345678", "FR", "valid", ASSUMED, id="P1-dashes"),
        pytest.param("06/12/34/56/78", None, "+33612345678", "FR", "valid", ASSUMED, id="P1-slashes"),
        pytest.param("(0)6 12 34 56 78", None, "+33612345678", "FR", "valid", ASSUMED, id="P1-bracketed-trunk"),
        pytest.param("+33 (0)6 12 34 56 78", "FR", "+33612345678", "FR", "valid", NONE, id="P1-plus33-trunk-hint-FR"),
        pytest.param("+33 (0) 6 12 34 56 78", None, "+33612345678", "FR", "valid", NONE, id="P1-plus33-trunk-space"),
        pytest.param("+33 0 6 12 34 56 78", None, "+33612345678", "FR", "valid", NONE, id="P1-plus33-space-zero"),
        pytest.param("+33.6.12.34.56.78", None, "+33612345678", "FR", "valid", NONE, id="P1-plus33-dots"),
        pytest.param("+33-6-12-34-56-78", None, "+33612345678", "FR", "valid", NONE, id="P1-plus33-dashes"),
        pytest.param("+33612345678", "XX", "+33612345678", "FR", "valid", NONE, id="P1-e164-unknown-hint"),
        pytest.param("0033 6 12 34 56 78", "BE", "+33612345678", "FR", "valid", NONE, id="P1-0033-hint-BE"),
        pytest.param("0033 (0)6 12 34 56 78", None, "+33612345678", "FR", "valid", NONE, id="P1-0033-trunk"),
        pytest.param("33612345678", None, "+33612345678", "FR", "valid", NONE, id="P1-33-without-plus"),
        pytest.param("+33612345678.0", None, "+33612345678", "FR", "valid", NONE, id="L5-e164-float-text"),
        pytest.param("0612345678", "France", "+33612345678", "FR", "valid", ASSUMED, id="hint-not-a-code"),
        # French landlines 01-05 and 09 without a hint: not mobiles in any neighbour, so not ambiguous.
        pytest.param("01 23 45 67 89", None, "+33123456789", "FR", "valid", ASSUMED, id="landline-01-no-hint"),
        pytest.param("02 12 34 56 78", None, "+33212345678", "FR", "valid", ASSUMED, id="landline-02-no-hint"),
        pytest.param("05 12 34 56 78", None, "+33512345678", "FR", "valid", ASSUMED, id="landline-05-no-hint"),
        pytest.param("09 12 34 56 78", None, "+33912345678", "FR", "valid", ASSUMED, id="voip-09-no-hint"),
        pytest.param("08 00 12 34 56", None, "+33800123456", "FR", "valid", ASSUMED, id="toll-free-08"),
        pytest.param("08 70 12 34 56", None, "+33870123456", "FR", "possible", POSSIBLE, id="08-unallocated-possible"),
        # P2 neighbours.
        pytest.param("0470 12 34 56", "", "+33470123456", "FR", "valid", AMBIGUOUS, id="P2-empty-hint"),
        # A hint phonenumbers does not know is no hint at all.
        pytest.param("0470 12 34 56", "XX", "+33470123456", "FR", "valid", AMBIGUOUS, id="P2-unknown-hint"),
        # A French mobile of an employee living in Belgium: invalid as Belgian, valid as French.
        pytest.param(
            "06 12 34 56 78",
            "be",
            "+33612345678",
            "FR",
            "valid",
            ASSUMED | {"country_hint_ignored"},
            id="P2-french-mobile-hint-BE-falls-back",
        ),
        pytest.param("02 223 45 67", "BE", "+3222234567", "BE", "valid", ASSUMED, id="P2-belgian-landline-hint-BE"),
        pytest.param("079 123 45 67", "CH", "+41791234567", "CH", "valid", ASSUMED, id="P2-swiss-mobile-hint-CH"),
        pytest.param("079 123 45 67", None, "+33791234567", "FR", "valid", ASSUMED, id="P2-swiss-mobile-no-hint"),
        pytest.param("+41 79 123 45 67", None, "+41791234567", "CH", "valid", NONE, id="P2-swiss-international"),
        pytest.param("0041 79 123 45 67", None, "+41791234567", "CH", "valid", NONE, id="P2-swiss-0041"),
        pytest.param("+352 621 123 456", None, "+352621123456", "LU", "valid", NONE, id="P2-luxembourg-mobile"),
        pytest.param("621 123 456", "LU", "+352621123456", "LU", "valid", ASSUMED, id="P2-luxembourg-hint-LU"),
        pytest.param("27 12 34 56", "LU", "+35227123456", "LU", "valid", ASSUMED, id="P2-luxembourg-landline"),
        # Invalid and possible-but-not-valid French shapes.
        pytest.param("06 12 34 56 7", None, "+33061234567", "FR", "possible", POSSIBLE, id="P1-06-one-digit-short"),
        pytest.param("06 12 34", None, None, None, "invalid", ASSUMED_INVALID, id="P1-06-too-short"),
        pytest.param("06 12 34 56 789", None, None, None, "invalid", ASSUMED_INVALID, id="P1-06-too-long"),
        pytest.param("+33 6 12 34 56", None, None, None, "invalid", INVALID, id="P1-plus33-too-short"),
        pytest.param("abc", None, None, None, "invalid", INVALID, id="not-a-number"),
        pytest.param("3.36123E+10", None, None, None, "corrupted", {"corrupted"}, id="L5-corrupted"),
        pytest.param("", None, None, None, "empty", NONE, id="empty"),
    ],
)
def test_normalize_phone_table(raw, hint, e164, region, status, flags):
    result = normalize_phone(raw, "FR", hint)
    assert (result.e164, result.region, result.status, set(result.flags)) == (e164, region, status, flags)
    if "country_hint_ignored" not in flags:
        assert result == _reference(raw, "FR", normalize._known_region(hint))


@pytest.mark.parametrize(
    ("status", "flag"),
    [
        pytest.param("invalid", "invalid", id="invalid"),
        pytest.param("possible", "possible_not_valid", id="possible"),
        pytest.param("valid", None, id="valid"),
        pytest.param("corrupted", "corrupted", id="corrupted"),
        pytest.param("empty", None, id="empty"),
    ],
)
def test_status_flags_follow_the_status(status, flag):
    """Each status flag is there exactly when the status says so (the issue's "invalid", "possible but not valid")."""
    rng = random.Random(status)
    results = [normalize_phone(raw, "FR", hint) for raw, hint in _phone_sample(rng, 600)]
    results = [r for r in results if r.status == status]
    assert results
    for result in results:
        assert (result.flags & {"invalid", "possible_not_valid", "corrupted"}) == ({flag} if flag else set())


def _reference(value, default_region="FR", hint=None):
    """The reference result plus the status flags normalize_phone adds."""
    result = normalize._normalize_phone_reference(value, default_region, hint)
    extra = {"invalid": {"invalid"}, "possible": {"possible_not_valid"}}.get(result.status, set())
    return dataclasses.replace(result, flags=result.flags | extra)


def _digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def _grouped(digits, sep, sizes=(2, 2, 2, 2, 2)):
    out, i = [], 0
    for size in sizes:
        out.append(digits[i : i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(part for part in out if part)


def _phone_of_kind(rng, kind, nine, mobile, landline, sep, odd):
    """One raw phone of sample ``kind`` (0-15) for :func:`_phone_sample`: French shapes below 8."""
    if kind >= 8:
        return _other_phone(rng, kind, mobile, sep, odd)
    if kind == 0:
        return _grouped("0" + mobile, sep)
    elif kind == 1:
        return "+33 " + _grouped(rng.choice([mobile, landline]), sep, (1, 2, 2, 2, 2))
    elif kind == 2:
        return "+33 (0)" + _grouped(mobile, sep, (1, 2, 2, 2, 2))
    elif kind == 3:
        return rng.choice(["+330", "+33", "+33 0 ", "0033", "0033 ", "00 33 "]) + rng.choice([mobile, nine])
    elif kind == 4:
        return rng.choice([nine, mobile, nine + ".0"])  # spreadsheet cells
    elif kind in (5, 6):
        return _grouped("0" + landline, sep)  # landlines 01-05 and 09
    elif kind == 7:
        return _grouped("08" + _digits(rng, 8), sep)


def _other_phone(rng, kind, mobile, sep, odd):
    """Sample kinds 8-15: foreign numbers, odd lengths, garbage, cells as spreadsheets write them."""
    if kind == 8:
        cc = rng.choice(["32", "41", "44", "49", "39", "1", "352", "34", "31", "351"])
        return rng.choice(["+", "00", "+ ", ""]) + cc + rng.choice([" ", "", " (0)"]) + _digits(rng, rng.randint(6, 11))
    elif kind == 9:
        return _grouped("0" + rng.choice("4789") + _digits(rng, rng.randint(7, 9)), sep, (3, 2, 2, 2))  # BE/CH shapes
    elif kind == 10:
        return _grouped(_digits(rng, rng.randint(1, 14)), sep, (rng.randint(1, 4),) * 6)  # short and long
    elif kind == 11:
        return "".join(rng.choice("0123456789 +-().,/eExt#;abc" + NBSP + ZWSP) for _ in range(rng.randint(0, 18)))
    elif kind == 12:
        return rng.choice(odd)
    elif kind == 13:  # separators anywhere
        chars = list(rng.choice(["0", "+33", "0033", "+33 0", "(0)", "33"]) + mobile)
        for _ in range(rng.randint(0, 3)):
            chars.insert(rng.randint(0, len(chars)), rng.choice(" ().-/"))
        return "".join(chars)
    elif kind == 14:
        return rng.choice(["00", "000", "0800", "089", "07", "3", "33", "0 033"]) + _digits(rng, rng.randint(5, 10))
    else:
        return _grouped("0" + _digits(rng, 9), sep)


def _phone_sample(rng, n):
    """Seeded (raw, hint) pairs in every format the matcher meets, French first."""
    hints = ["FR", "BE", "be", None, "", "XX", "CH", "LU", "fr", "France", float("nan")]
    odd = [
        "3.36123E+10",
        "3,36123e+10",
        "6.12345678E8",
        "612345678.0",
        "+33612345678.00",
        612345678.0,
        612345678,
        33612345678,
        "",
        "  ",
        "nan",
        None,
        float("nan"),
        f"06 12 34 56 78{NBSP}",
        " 06 12 34 56 78 ",
        "06  12 34 56 78",
        "++33612345678",
        "+(33) 6 12 34 56 78",
        "(+33) 6 12 34 56 78",
        "06 12 34 56 78 ext 12",
        "tel: 06 12 34 56 78",
        "06 12 34 56 78 / 07 12 34 56 78",
        "０６１２３４５６７８",
        "٠٦١٢٣٤٥٦٧٨",
        "0",
        "12",
        "1 2",
        "+33",
        "+",
        "()",
        "0033",
        "1" * 40,
        "0" * 12,
        "+33" + "-" * 300 + "612345678",
    ]
    pairs = []
    for _ in range(n):
        nine = rng.choice("123456789") + _digits(rng, 8)
        mobile = rng.choice("67") + _digits(rng, 8)
        landline = rng.choice("123459") + _digits(rng, 8)
        sep = rng.choice([" ", ".", "-", "", "/"])
        raw = _phone_of_kind(rng, rng.randrange(16), nine, mobile, landline, sep, odd)
        pairs.append((raw, rng.choice(hints)))
    return pairs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_path_equals_the_reference(seed):
    """The fast path for French numbers gives what the parse-everything reference gives."""
    rng = random.Random(seed)
    hinted = normalize._normalize_phone_hinted
    for raw, hint in _phone_sample(rng, 1500):
        default = rng.choice(["FR", "FR", "fr", "BE"])
        assert hinted(raw, default, hint) == _reference(raw, default, hint), (raw, default, hint)


@pytest.mark.parametrize("seed", [6, 7])
def test_many_phones_at_once_equal_one_by_one(seed):
    """remembered_phones (the matcher's bulk reading) = remembered_phone of each pair: on the
    sample above, on the separator-free shapes its quick path reads, and with every kind of hint."""
    from reconcile.matching.sides import _phone_digits

    rng = random.Random(seed)
    values, hints = [], []
    for raw, hint in _phone_sample(rng, 1500):
        values += [raw, _phone_digits(raw)]
        hints += [hint, hint]
    for _ in range(3000):  # the quick shapes, valid or not, mobile or not, with any hint
        values.append(rng.choice(["0", "+33", "+330", "0033", "33"]) + str(rng.randint(1, 9)) + _digits(rng, 8))
        hints.append(rng.choice([None, "FR", "fr", " FR ", "France", "BE", "CH", "XX", "", 33, float("nan")]))
    for default in ["FR", "BE"]:
        normalize._phone_of_text.cache_clear()
        got = normalize.remembered_phones(values, hints, default)
        normalize._phone_of_text.cache_clear()
        expected = [normalize.remembered_phone(v, default, h) for v, h in zip(values, hints, strict=True)]
        assert got == expected


@pytest.mark.parametrize("seed", [4, 5])
def test_hint_rules_on_top_of_the_reference(seed):
    """normalize_phone = the reference with an unknown hint dropped, and the default region's
    reading kept when the hint's is not valid but the default's is."""
    rng = random.Random(seed)
    for raw, hint in _phone_sample(rng, 800):
        got = normalize_phone(raw, "FR", hint)
        known = normalize._known_region(hint)
        expected = _reference(raw, "FR", known)
        if known not in (None, "FR") and expected.status != "valid" and "country_code_assumed" in expected.flags:
            fallback = _reference(raw, "FR", None)
            if fallback.status == "valid":
                expected = dataclasses.replace(fallback, flags=fallback.flags | {"country_hint_ignored"})
        assert got == expected, (raw, hint)


def test_fast_path_takes_the_usual_french_formats(monkeypatch):
    """The formats the matcher meets most never reach phonenumbers.parse."""

    def no_parse(*args, **kwargs):
        raise AssertionError(f"parsed {args}")

    monkeypatch.setattr(normalize.phonenumbers, "parse", no_parse)
    for raw in [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+330612345678",
        "0033 6 12 34 56 78",
        "+33612345678",
        "612345678",
        612345678.0,
        "01 23 45 67 89",
        "0470 12 34 56",
    ]:
        for hint in (None, "FR"):
            assert normalize_phone(raw, "FR", hint).status == "valid"


def _example_nsns(region, rng):
    """National numbers of every type of a region, and near misses."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    nsns = []
    for num_type in phonenumbers.PhoneNumberType.values():
        example = phonenumbers.example_number_for_type(region, num_type)
        if example is not None:
            nsns.append(phonenumbers.national_significant_number(example))
    for nsn in list(nsns):
        for _ in range(20):
            i = rng.randrange(len(nsn))
            nsns.append(nsn[:i] + rng.choice("0123456789") + nsn[i + 1 :])
        nsns += [nsn[:-1], nsn + rng.choice("0123456789")]
    lengths = sorted(set(meta.general_desc.possible_length) | {8, 9, 10, 11})
    nsns += [rng.choice("123456789") + _digits(rng, n - 1) for n in lengths for _ in range(30)]
    return nsns


@pytest.mark.parametrize("region", ["FR", *normalize._NEIGHBOUR_REGIONS, "GG", "IM", "JE", "VA"])
def test_region_rules_classify_as_phonenumbers(region):
    """The compiled per-region rules say valid / mobile exactly when phonenumbers' type helper does."""
    rules = normalize._rules(region)
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    for nsn in _example_nsns(region, random.Random(region)):
        num_type = phonenumbers.phonenumberutil._number_type_helper(nsn, meta)
        expected = (num_type != phonenumbers.PhoneNumberType.UNKNOWN, num_type in normalize._MOBILE_TYPES)
        assert rules.classify(nsn) == expected, (region, nsn)


def test_neighbour_mobile_check_equals_parsing():
    """The metadata replay of "is this a mobile in region r" answers as parsing in r does, or defers to it."""
    rng = random.Random(5)
    could_be_mobile = normalize._neighbour_could_be_mobile()
    for _ in range(1500):
        digits = rng.choice(["0", "", "00", "0" + rng.choice("123456789"), "7", "6", "4"]) + _digits(
            rng, rng.randint(2, 12)
        )
        answers = {r: normalize._is_mobile_in(digits, r) for r in normalize._NEIGHBOUR_REGIONS}
        for region, expected in answers.items():
            fast = normalize._rules(region).mobile_in(digits)
            assert fast in (None, expected), (region, digits)
        if could_be_mobile(digits) is None:
            assert not any(answers.values()), digits


def test_normalize_phone_l5_never_appends_the_float_zero():
    assert normalize_phone("612345678.0").e164 != "+336123456780"


@pytest.mark.parametrize(
    ("raw", "hint", "flags_in", "flags_out"),
    [
        pytest.param("0470 12 34 56", None, {"region_ambiguous", "country_code_assumed"}, set(), id="P2-no-hint"),
        pytest.param("0470 12 34 56", "BE", {"country_code_assumed"}, {"region_ambiguous"}, id="P2-hint-BE"),
        pytest.param("0470 12 34 56", "FR", set(), {"region_ambiguous"}, id="P2-hint-FR"),
        pytest.param("06 12 34 56 78", None, {"country_code_assumed"}, {"region_ambiguous"}, id="french-mobile"),
        pytest.param("+33 6 12 34 56 78", None, set(), {"country_code_assumed", "region_ambiguous"}, id="prefixed"),
        pytest.param("3.36123E+10", None, {"corrupted"}, set(), id="L5-corrupted-flag"),
    ],
)
def test_normalize_phone_flags(raw, hint, flags_in, flags_out):
    flags = normalize_phone(raw, "FR", hint).flags
    assert flags_in <= flags
    assert not (flags_out & flags)


def test_region_ambiguous_phone_is_not_usable_evidence():
    """P2 without a hint: marked region-ambiguous, so it is no evidence."""
    assert normalize_phone("0470 12 34 56").usable is False
    assert normalize_phone("0470 12 34 56", country_hint="BE").usable is True


def _phone(raw: str, hint: str | None = None) -> PhoneResult:
    return normalize_phone(raw, "FR", hint)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(("06 12 34 56 78",), ("+33612345678",), True, id="P1-same-number"),
        pytest.param(("0470 12 34 56", "BE"), ("+32470123456",), True, id="P2-same-belgian"),
        pytest.param(("06 12 34 56 78",), ("06 98 76 54 32",), False, id="different-numbers"),
        # Same written digits, different countries: never agreeing evidence.
        pytest.param(("0470 12 34 56", "BE"), ("0470 12 34 56", "FR"), False, id="P2-countries-differ"),
        pytest.param(("0470 12 34 56", "BE"), ("+33470123456",), False, id="P2-be-vs-fr-e164"),
        # Region-ambiguous: no evidence either way.
        pytest.param(("0470 12 34 56",), ("+33470123456",), None, id="P2-ambiguous-vs-same-digits"),
        pytest.param(("0470 12 34 56",), ("+32470123456",), None, id="P2-ambiguous-vs-belgian"),
        pytest.param(("",), ("+33612345678",), None, id="empty"),
        pytest.param(("3.36123E+10",), ("+33612345678",), None, id="L5-corrupted"),
    ],
)
def test_phones_agree(a, b, expected):
    pa, pb = _phone(*a), _phone(*b)
    assert phones_agree(pa, pb) is expected
    assert phones_agree(pb, pa) is expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("0470 12 34 56", "BE"), ("0470 12 34 56", "FR")),
        (("+32470123456",), ("+33470123456",)),
        (("0470 12 34 56", "BE"), ("0470 12 34 56",)),
    ],
)
def test_phones_never_agree_when_countries_differ(a, b):
    pa, pb = _phone(*a), _phone(*b)
    assert pa.region != pb.region
    assert phones_agree(pa, pb) is not True


# ---------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1990-01-31", "1990-01-31", id="iso"),
        pytest.param("31/01/1990", "1990-01-31", id="french"),
        pytest.param("31-01-1990", "1990-01-31", id="french-dashes"),
        pytest.param("31.01.1990", "1990-01-31", id="dots"),
        pytest.param("1990/01/31", "1990-01-31", id="iso-slashes"),
        pytest.param("1990-01-31T00:00:00Z", "1990-01-31", id="iso-datetime"),
        pytest.param(dt.date(1990, 1, 31), "1990-01-31", id="date"),
        pytest.param(dt.datetime(1990, 1, 31, 12, 5), "1990-01-31", id="datetime"),
        pytest.param(pd.Timestamp("1990-01-31"), "1990-01-31", id="timestamp"),
        pytest.param("31/02/1990", None, id="impossible-date"),
        pytest.param("yesterday", None, id="text"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
        pytest.param(float("nan"), None, id="nan"),
        pytest.param(pd.NA, None, id="pd-NA"),
        # A date-time with a space before the time (what str() of a pandas Timestamp gives);
        # the strptime reference did not read it.
        pytest.param("1985-03-02 10:30", "1985-03-02", id="iso-date-space-time"),
        pytest.param(str(pd.Timestamp("1985-03-02 10:30")), "1985-03-02", id="str-of-a-timestamp"),
        pytest.param("1985-03-02 x", None, id="iso-date-then-text"),
    ],
)
def test_normalize_date(raw, expected):
    assert normalize_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1985-3-2", "1985-03-02", id="iso-no-padding"),
        pytest.param("1985-03-2", "1985-03-02", id="iso-day-no-padding"),
        pytest.param("1985/3/2", "1985-03-02", id="iso-slashes-no-padding"),
        pytest.param("2/3/1985", "1985-03-02", id="french-no-padding"),
        pytest.param("02.03.1985", "1985-03-02", id="french-dots"),
        pytest.param(" 02/03/1985 ", "1985-03-02", id="spaces-around"),
        pytest.param("1985-03-02T10:30:00+01:00", "1985-03-02", id="iso-datetime-offset"),
        pytest.param(pd.Timestamp("1985-03-02 23:59"), "1985-03-02", id="timestamp-with-time"),
        pytest.param(dt.datetime(1985, 3, 2, 23, 59), "1985-03-02", id="datetime-with-time"),
        pytest.param(np.datetime64("1985-03-02"), "1985-03-02", id="numpy-datetime64"),
        pytest.param("29/02/2000", "2000-02-29", id="leap-day"),
        pytest.param("29/02/1900", None, id="not-a-leap-year"),
        pytest.param("31/04/1990", None, id="impossible-april-31"),
        pytest.param("00/03/1985", None, id="day-zero"),
        pytest.param("12/13/1985", None, id="month-13"),
        pytest.param("03/12/85", None, id="two-digit-year-strict"),
        pytest.param("1985.03.02", None, id="iso-dots-not-a-format"),
        pytest.param("02/03-1985", None, id="mixed-separators"),
        pytest.param("0000-01-01", None, id="year-zero"),
        pytest.param("32874", None, id="excel-serial"),
        pytest.param("1985-03- 2", "1985-03-02", id="strptime-space-before-day"),
        pytest.param("١٩٨٥-٠٣-٠٢", None, id="non-ascii-digits"),
    ],
)
def test_normalize_date_forms(raw, expected):
    assert normalize_date(raw) == expected
    assert normalize._normalize_date_reference(raw) == expected


def test_normalize_date_equals_the_strptime_reference():
    """The one-regex reader gives what trying each strptime format in turn gives."""
    rng = random.Random(11)
    years = ["1985", "2000", "1900", "0000", "0999", "85", "19850"]
    months = ["1", "01", "12", "13", "0", "00", "2", "02", "10", "123", " 3"]
    days = ["1", "01", "28", "29", "30", "31", "32", "0", "00", " 2", "3"]
    for _ in range(4000):
        y, m, d = rng.choice(years + [str(rng.randint(1000, 2100))]), rng.choice(months), rng.choice(days)
        sep = rng.choice("-/.")
        other = sep if rng.random() < 0.85 else rng.choice("-/.")
        raw = rng.choice(
            [f"{y}{sep}{m}{other}{d}", f"{d}{sep}{m}{other}{y}", f"{y}-{m}-{d}T12:00", f" {d}{sep}{m}{sep}{y} "]
        )
        if rng.random() < 0.1:
            raw = "".join(rng.choice("0123456789-/. T:Z٣") for _ in range(rng.randint(0, 12)))
        assert normalize_date(raw) == normalize._normalize_date_reference(raw), raw


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("1985-03-12", "1985-03-12", "exact", id="exact"),
        pytest.param("1985-03-12", "1985-12-03", "swapped", id="swapped"),
        pytest.param("1985-12-03", "1985-03-12", "swapped", id="swapped-other-way"),
        pytest.param("1985-03-12", "1986-12-03", "differ", id="swapped-other-year"),
        pytest.param("1985-03-12", "1985-03-13", "differ", id="one-day-apart"),
        pytest.param("1985-01-31", "1985-12-31", "differ", id="no-swapped-reading"),
        pytest.param("1985-05-05", "1986-05-05", "differ", id="day-equals-month"),
        pytest.param("1985-03-12", None, None, id="missing-b"),
        pytest.param(None, "1985-03-12", None, id="missing-a"),
        pytest.param(None, None, None, id="both-missing"),
        pytest.param("", "1985-03-12", None, id="empty"),
        pytest.param("not a date", "1985-03-12", None, id="unreadable-is-missing"),
        pytest.param("1985-3-12", "1985-03-12", "exact", id="unpadded"),
        pytest.param("12/03/1985", "1985-12-03", "swapped", id="french-text"),
    ],
)
def test_compare_dates(a, b, expected):
    assert compare_dates(a, b) == expected


def test_normalize_date_nat_is_missing():
    assert normalize_date(pd.NaT) is None


# ---------------------------------------------------------------------------- text
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("NA", "NA", id="NA-text-kept"),
        pytest.param("None", "None", id="None-text-kept"),
        pytest.param("nan", "nan", id="nan-text-kept"),  # (#14) only an empty or blank cell is missing
        pytest.param("NaN", "NaN", id="NaN-text-kept"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param(f"{NBSP}{ZWSP}", None, id="invisible-only"),
        pytest.param(float("nan"), None, id="nan-float"),
        pytest.param(np.float64("nan"), None, id="nan-numpy"),
        pytest.param(None, None, id="None"),
        pytest.param(pd.NA, None, id="pd-NA"),
        pytest.param(pd.NaT, None, id="pd-NaT"),
        pytest.param("  Éric  ", "Éric", id="stripped-accent-kept"),
        pytest.param("E\u0301ric", "Éric", id="nfc-for-display"),
        pytest.param(42, "42", id="number"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_normalisers_are_total_on_missing_values():
    """Empty or unusable input gives None (or empty), never an exception."""
    for value in (None, float("nan"), pd.NA, pd.NaT, "", "  "):
        assert normalize_email(value) is None
        assert name_tokens(value) == ()
        assert normalize_phone(value).status == "empty"
        assert normalize_date(value) is None


@pytest.mark.parametrize(
    ("value", "expected_email", "valid"),
    [
        ("a b@example.fr", "a b@example.fr", False),  # a real space is kept and flagged, never joined
        ("j.dupont\u200b@example.fr", "j.dupont@example.fr", True),  # zero-width inside: removed
        ("\ufeffJ.Dupont@Example.fr\u00a0", "j.dupont@example.fr", True),
    ],
)
def test_email_spaces_and_zero_width_characters(value, expected_email, valid):
    assert normalize_email(value) == expected_email
    assert email_is_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Hél\u200bène", "Hélène"), ("Jean\u00a0Pierre", "Jean Pierre"), ("\u200b", None)],
)
def test_clean_text_removes_zero_width_and_reads_any_space_as_a_space(value, expected):
    assert clean_text(value) == expected


def test_ascii_fast_paths_equal_the_general_rules():
    """clean_text, normalize_email and name_tokens skip Unicode work for plain ASCII; the
    result must be what the general rules give (compared through a non-ASCII twin that
    takes the general path and folds back to the same text)."""
    rng = random.Random(11)
    alphabet = "abcXYZ019 -'.@_+<>:nN\t"
    for _ in range(3000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        twin = raw + ZWSP  # a zero-width space is removed by the general path, so the twin cleans to raw's result
        assert clean_text(raw) == clean_text(twin), repr(raw)
        assert normalize_email(raw) == normalize_email(twin), repr(raw)
        assert name_tokens(raw) == name_tokens(twin), repr(raw)
    for text in ["nan", "NaN", " nan ", "NAN"]:  # (#14) text, not a missing value
        assert clean_text(text) == text.strip()


@pytest.mark.parametrize(
    ("raw", "email", "evidence"),
    [
        pytest.param(
            "Jean Dupont <J.Dupont@Example.fr>", "j.dupont@example.fr", "j.dupont@example.fr", id="E1-display-name"
        ),
        pytest.param("<mailto:j@x.fr>", "j@x.fr", "j@x.fr", id="E1-mailto-link"),
        pytest.param("mailto:j@x.fr", "j@x.fr", "j@x.fr", id="E1-mailto"),
        pytest.param("n/a", "n/a", None, id="placeholder-n/a"),
        pytest.param("-", "-", None, id="placeholder-dash"),
        pytest.param(0, "0", None, id="placeholder-zero"),
        pytest.param("j@x", "j@x", None, id="no-domain-dot"),
        pytest.param("a b@c.fr", "a b@c.fr", None, id="space-inside"),
        pytest.param("a@@c.fr", "a@@c.fr", None, id="two-ats"),
    ],
)
def test_email_evidence(raw, email, evidence):
    assert normalize.normalize_email(raw) == email
    assert normalize.email_evidence(raw) == evidence


@pytest.mark.parametrize(
    ("raw", "placeholder"),
    [
        ("NULL", True),
        ("None", True),
        ("-", True),
        ("0", True),
        ("000", True),
        ("N/A", True),
        ("inconnu", True),
        (None, True),
        ("", True),
        ("42", False),
        ("A0", False),
        ("x1", False),
        ("Na", True),
        (float("nan"), True),
    ],
)
def test_is_placeholder(raw, placeholder):
    assert normalize.is_placeholder(raw) is placeholder


def test_l5_a_phone_stored_as_a_rounded_number_is_corrupted():
    """3.36123E+10 read as a float: the lost digits are never guessed; an exact float keeps its digits."""
    assert normalize_phone(3.36123e10).status == "corrupted"
    assert normalize_phone(33612345678.0).e164 == "+33612345678"
