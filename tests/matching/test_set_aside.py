"""Namesakes born on another day are someone else (issue 14, ``docs/doubt_policy.md`` §4).

A pair whose birth dates clearly differ and that nothing corroborates is never a candidate: the
record is created, and its reason names the namesake it set aside. A near birth date (a typo, a
day/month swap), a placeholder date, or any corroborating evidence (the same phone, a
near-identical email, a near matricule) keeps the pair a candidate. Each row runs in both
directions (the dates on either side, ISO or French), with and without different emails.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reconcile import MatchSettings, match
from reconcile.matching.normalize import birth_date_evidence, clearly_different

CREATE = ("new", "create")
CONFLICT = ("conflict", "none")


def P(first: str, last: str, birth: Any = None, **extra: Any) -> dict[str, Any]:
    return {"firstName": first, "lastName": last, "birthDate": birth, **extra}


ROWS = [
    # (Payfit record, Equify account, outcome, words in the reason)
    pytest.param(
        P("Jean", "Dupont", "1990-02-01"),
        P("Jean", "Dupont", "1985-03-04"),
        CREATE,
        "has this name but another birth date",
        id="same-name-other-birth-date",
    ),
    pytest.param(
        P("Anne-Laure", "Petit", "1990-02-01"),
        P("Anne", "Petit", "1972-11-30"),
        CREATE,
        "no matching Equify account",
        id="given-name-shortened-other-birth-date",
    ),
    pytest.param(
        P("Youssef", "Benali", "1990-02-01"),
        P("Yousef", "Benali", "1961-06-15"),
        CREATE,
        "no matching Equify account",
        id="transliteration-other-birth-date",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01"),
        P("Jean", "Dupont", "1990-02-10"),
        CONFLICT,
        "the birth dates are near",
        id="birth-date-one-digit-apart-is-near",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01"),
        P("Jean", "Dupont", "1990-01-02"),
        CONFLICT,
        "same first and last name",
        id="day-month-swap-is-near",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01"),
        P("Jean", "Dupont", "1900-01-01"),
        CONFLICT,
        "same first and last name",
        id="placeholder-1900-is-no-evidence",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01"),
        P("Jean", "Dupont", "01/01/1970"),
        CONFLICT,
        "same first and last name",
        id="placeholder-epoch-is-no-evidence",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01"),
        P("Jean", "Dupont", "2099-05-01"),
        CONFLICT,
        "same first and last name",
        id="future-date-is-no-evidence",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01"),
        P("Jean", "Dupont", None),
        CONFLICT,
        "same first and last name",
        id="one-birth-date-missing",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01", phoneNumber="+33 6 12 34 56 78"),
        P("Jean", "Dupont", "1985-03-04", phoneNumber="06 12 34 56 78"),
        CONFLICT,
        "the birth dates differ",
        id="same-phone-corroborates",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01", matricule="10452"),
        P("Jean", "Dupont", "1985-03-04", matricule="10425"),
        CONFLICT,
        "the matricules are near-identical",
        id="near-matricule-corroborates",
    ),
    pytest.param(
        P("Jean", "Dupont", "1990-02-01", email="jean.dupont+rh@example.fr"),
        P("Jean", "Dupont", "1985-03-04", email="jean.dupont@example.fr"),
        CONFLICT,
        "near-identical",
        id="near-email-corroborates",
    ),
]


def _run(src: dict[str, Any], tgt: dict[str, Any], settings: MatchSettings | None = None) -> pd.Series:
    result = match(pd.DataFrame([{"id": "p1", **src}]), pd.DataFrame([{"id": "a1", **tgt}]), settings=settings)
    assert result.links.empty  # a namesake is never linked automatically
    return result.records.iloc[0]


def _french(value: Any) -> Any:
    iso = birth_date_evidence(value)
    return f"{iso[8:]}/{iso[5:7]}/{iso[:4]}" if iso and isinstance(value, str) and "-" in value else value


@pytest.mark.parametrize(("payfit", "equify", "outcome", "words"), ROWS)
@pytest.mark.parametrize("direction", ["payfit-equify", "equify-payfit"])
@pytest.mark.parametrize("emails", [False, True])
def test_set_aside(
    payfit: dict[str, Any], equify: dict[str, Any], outcome: tuple[str, str], words: str, direction: str, emails: bool
) -> None:
    src, tgt = (payfit, equify) if direction == "payfit-equify" else (equify, payfit)
    tgt = {**tgt, "birthDate": _french(tgt["birthDate"])}  # Equify's dates are often French
    if emails and "email" not in src:
        src, tgt = {**src, "email": "perso.one@example.fr"}, {**tgt, "email": "perso.two@example.org"}
    rec = _run(src, tgt)
    shown = f"{src} / {tgt}: {rec['category']} {rec['action']} {rec['reason']!r}"
    assert (rec["category"], rec["action"]) == outcome, shown
    if outcome == CREATE and direction == "payfit-equify" and "another birth date" in words:
        assert words in rec["reason"] and "(a1)" in rec["reason"], shown  # the namesake is named
    elif outcome == CONFLICT:
        assert rec["target_id"] == "a1", shown
    if direction == "payfit-equify" and not emails:
        assert words in rec["reason"], shown


def test_setting_off_makes_namesakes_conflicts_again() -> None:
    src, tgt = P("Jean", "Dupont", "1990-02-01"), P("Jean", "Dupont", "1985-03-04")
    assert (_run(src, tgt)["category"], _run(src, tgt)["action"]) == CREATE
    off = _run(src, tgt, MatchSettings(set_aside=False))
    assert (off["category"], off["target_id"]) == ("conflict", "a1")
    assert "the birth dates differ" in off["reason"]


def test_setting_must_be_a_bool() -> None:
    from reconcile import InputError

    with pytest.raises(InputError, match="set_aside must be true or false"):
        MatchSettings(set_aside=1)  # type: ignore[arg-type]


def test_namesake_with_the_right_birth_date_wins_over_the_set_aside_one() -> None:
    """Two accounts of one name: the one born that day is the candidate; the other is not shown."""
    src = pd.DataFrame([{"id": "p1", **P("Jean", "Dupont", "1990-02-01")}])
    tgt = pd.DataFrame(
        [{"id": "a1", **P("Jean", "Dupont", "1985-03-04")}, {"id": "a2", **P("Jean", "Dupont", "01/02/1990")}]
    )
    rec = match(src, tgt).records.iloc[0]
    assert (rec["category"], rec["target_id"]) == ("conflict", "a2")
    assert "tie" not in rec["reason"]


@pytest.mark.parametrize(
    ("a", "b", "different"),
    [
        ("1990-02-01", "1985-03-04", True),
        ("01/02/1990", "1985-03-04", True),
        ("1990-02-01", "1990-02-10", False),  # one digit
        ("1990-02-01", "1900-01-01", False),  # placeholder
        ("1990-02-01", "1970-01-01", False),  # the Unix epoch
        ("1990-02-01", "1899-12-31", False),  # before 1901
        ("1990-02-01", "2999-01-01", False),  # in the future
        ("1990-02-01", None, False),
        ("1990-02-01", "not a date", False),
    ],
)
def test_clearly_different_dates_ignore_placeholders(a: Any, b: Any, different: bool) -> None:
    assert clearly_different("date", a, b) is different
    assert clearly_different("date", b, a) is different


def _pair_frames(src: dict[str, Any], tgt: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame([{"id": "p1", **src}]), pd.DataFrame([{"id": "a1", **tgt}])


def test_an_account_claimed_by_stronger_evidence_sets_its_namesake_aside() -> None:
    """p1 has the account's email and name: the account is p1's. p2, same name, no birth date
    to compare and nothing else in common, is someone else: created, the reason saying why."""
    src = pd.DataFrame(
        [
            {"id": "p1", **P("Jean", "Dupont", "1990-02-01", email="jean.dupont@example.fr")},
            {"id": "p2", **P("Jean", "Dupont", None, email="jdupont@example.org")},
        ]
    )
    tgt = pd.DataFrame([{"id": "a1", **P("Jean", "Dupont", "1990-02-01", email="jean.dupont@example.fr")}])
    rec = match(src, tgt).records.set_index("source_id")
    assert (rec.loc["p1", "action"], rec.loc["p1", "target_id"]) == ("link", "a1")
    assert (rec.loc["p2", "category"], rec.loc["p2", "action"]) == CREATE
    assert "is matched to Jean Dupont (p1) by stronger evidence" in rec.loc["p2", "reason"]
    off = match(src, tgt, settings=MatchSettings(set_aside=False)).records.set_index("source_id")
    assert (off.loc["p2", "category"], off.loc["p2", "target_id"]) == ("conflict", "a1")


@pytest.mark.parametrize(
    ("extra", "outcome"),
    [
        ({}, CREATE),
        ({"birthDate": "1990-02-01"}, CONFLICT),  # the same birth date: p2 may be the account's person
        ({"birthDate": "1990-02-10"}, CONFLICT),  # a near one too
        ({"phoneNumber": "06 12 34 56 78"}, CONFLICT),  # the same phone
        ({"email": "jean.dupont+paie@example.fr"}, CONFLICT),  # a near-identical email
    ],
)
def test_a_claimed_account_stays_a_candidate_when_something_corroborates(
    extra: dict[str, Any], outcome: tuple[str, str]
) -> None:
    src = pd.DataFrame(
        [
            {"id": "p1", **P("Jean", "Dupont", "1990-02-01", email="jean.dupont@example.fr")},
            {"id": "p2", **{**P("Jean", "Dupont", None, email="jdupont@example.org"), **extra}},
        ]
    )
    account = P("Jean", "Dupont", "01/02/1990", email="jean.dupont@example.fr", phoneNumber="+33612345678")
    rec = match(src, pd.DataFrame([{"id": "a1", **account}])).records.set_index("source_id")
    assert rec.loc["p1", "action"] == "link"
    assert (rec.loc["p2", "category"], rec.loc["p2", "action"]) == outcome, rec.loc["p2", "reason"]


def test_a_namesake_of_an_account_already_linked_stays_a_conflict() -> None:
    """domain.md §5: a record sharing a name with an account linked to another Payfit record (here
    through the Payfit id the account carries) is a conflict, even when its birth date differs."""
    src = pd.DataFrame([{"id": "p2", **P("Jean", "Dupont", "1990-02-01")}])
    tgt = pd.DataFrame([{"id": "a1", **P("Jean", "Dupont", "1985-03-04"), "payfitId": "p1"}])
    rec = match(src, tgt).records.iloc[0]
    assert (rec["category"], rec["target_id"]) == ("conflict", "a1")
    assert "already linked to another Payfit record" in rec["reason"]
    assert "the birth dates differ" in rec["reason"]


@pytest.mark.parametrize("direction", ["payfit-equify", "equify-payfit"])
def test_same_phone_and_birth_date_with_the_given_name_in_the_other_column_is_doubt(direction: str) -> None:
    """Names swapped and the last name changed (a marriage): the given name agrees crosswise, and
    the same phone and birth date corroborate, so the pair is doubt, never a create (a bench case)."""
    a = P("Pierre-Yves", "Lanlanuc", "1967-09-14", phoneNumber="0736233974")
    b = P("Kerpoux", "Pierre-Yves", "14/09/1967", phoneNumber="07.36.23.39.74")
    src, tgt = (a, b) if direction == "payfit-equify" else (b, a)
    rec = _run(src, tgt)
    assert (rec["category"], rec["target_id"], rec["rule"]) == ("conflict", "a1", "doubt"), rec["reason"]
    assert "same birth date" in rec["reason"] and "same phone" in rec["reason"]


@pytest.mark.parametrize("decision", ["create", "exclude", "link-elsewhere"])
def test_a_claim_a_decision_takes_away_no_longer_sets_the_namesake_aside(decision: str) -> None:
    """p1 has the account's email, but a person decided p1 is created, excluded or linked to
    another account: the account may be p2's, so p2 is a conflict on it again, never a create
    saying that p1 has it (found by a fresh-user attack)."""
    from reconcile import Decision

    src = pd.DataFrame(
        [
            {"id": "p1", **P("Jean", "Dupont", email="jean.dupont@example.fr")},
            {"id": "p2", **P("Jean", "Dupont", email="jdupont@example.org")},
        ]
    )
    tgt = pd.DataFrame(
        [
            {"id": "a1", **P("Jean", "Dupont", email="jean.dupont@example.fr")},
            {"id": "a2", **P("Marie", "Curie")},
        ]
    )
    before = match(src, tgt).records.set_index("source_id")
    assert before.loc["p2", "action"] == "create"
    made = Decision("p1", "link", "a2") if decision == "link-elsewhere" else Decision("p1", decision)
    rec = match(src, tgt, decisions=[made]).records.set_index("source_id")
    assert (rec.loc["p2", "category"], rec.loc["p2", "target_id"]) == ("conflict", "a1"), rec.loc["p2", "reason"]
    assert "decided otherwise" in rec.loc["p2", "reason"]


def test_a_similar_name_set_aside_is_named_in_the_create() -> None:
    """A married name (birthName) or initials with another birth date: created, naming the account."""
    for src, tgt in [
        (P("Claire", "Morvan", "1980-01-01", birthName="Quéré"), P("Claire", "Quéré", "1955-06-06")),
        (P("Jean-Pierre", "Martin", "1980-01-01"), P("J.-P.", "Martin", "1955-06-06")),
        (P("Nicolas", "Martins", "1980-01-01"), P("Nicolas", "Martin", "1955-06-06")),
    ]:
        rec = _run(src, tgt)
        assert (rec["category"], rec["action"]) == CREATE, rec["reason"]
        assert "(a1) has" in rec["reason"] and "another birth date" in rec["reason"], rec["reason"]
        assert "has this name" not in rec["reason"] or src["lastName"] == tgt["lastName"], rec["reason"]


def test_a_birth_date_less_than_14_years_ago_is_no_evidence() -> None:
    import datetime as dt

    recent = (dt.date.today() - dt.timedelta(days=5 * 365)).isoformat()
    for value in (dt.date.today().isoformat(), recent):
        assert birth_date_evidence(value) is None
        rec = _run(P("Yann", "Yvon", "1985-03-12"), P("Yann", "Yvon", value))
        assert (rec["category"], rec["target_id"]) == ("conflict", "a1"), rec["reason"]
    assert birth_date_evidence("1990-05-01") == "1990-05-01"
