"""Normalisers and scorers as tables: ``(input..., expected)`` rows, one runner per function.

Cases E1, N1-N5, P1, P2, L4 and L5 of ``shared/cases.md`` appear by name in the ids.
Adding a case is adding one line.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import numpy as np
import pandas as pd
import pytest

from reconcile.normalize import (
    PhoneResult,
    clean_text,
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
        pytest.param("nan", None, id="nan-text"),
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
        pytest.param(("nan", None, ""), (), id="N1-missing-parts"),
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
        pytest.param(("nan", "nan"), ("nan", "nan"), None, id="N1-nan-text"),
        pytest.param(("nan", "nan"), ("Jean", "Dupont"), None, id="N1-one-side-nan"),
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
    ],
)
def test_normalize_date(raw, expected):
    assert normalize_date(raw) == expected


def test_normalize_date_nat_is_missing():
    assert normalize_date(pd.NaT) is None


# ---------------------------------------------------------------------------- text
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("NA", "NA", id="NA-text-kept"),
        pytest.param("None", "None", id="None-text-kept"),
        pytest.param("nan", None, id="N1-nan-text"),
        pytest.param("NaN", None, id="N1-NaN-text"),
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
    for value in (None, float("nan"), pd.NA, "", "nan"):
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
