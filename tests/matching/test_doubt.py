"""Doubt (issue 14, ``docs/doubt_policy.md``): a record is created only when no account is a
plausible candidate.

Each row is one Payfit record and one Equify account, run through :func:`reconcile.match` by
one helper, in both directions (the variant on the Payfit side, then on the Equify side) and,
where the email is not the evidence, with and without (different, personal) emails. A row
expects either a *doubt* (a conflict pointing at the account whose reason says why, in
words; never a create, never an automatic link) or a *create* (nothing plausible).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest

from reconcile import InputError, MatchResult, MatchSettings, match
from reconcile.matching.matcher import BLOCKING_RULES

_RULES = {r[0] for r in BLOCKING_RULES}


def P(id: str, first: Any = None, last: Any = None, email: Any = None, **extra: Any) -> dict[str, Any]:
    """A record with canonical field names (both systems use the same ones here)."""
    return {"id": id, "firstName": first, "lastName": last, "email": email, **extra}


@dataclass(frozen=True)
class Doubt:
    """The record is a conflict on the account, rule ``rule``, and its reason holds ``words``."""

    words: str
    rule: str = "doubt"


CREATE = "create"


def run(payfit: dict[str, Any], equify: dict[str, Any], settings: MatchSettings | None = None) -> MatchResult:
    return match(pd.DataFrame([payfit]), pd.DataFrame([equify]), settings=settings)


def check(payfit: dict[str, Any], equify: dict[str, Any], expected: Doubt | str) -> None:
    """Run one pair in both directions and check what the Payfit record becomes."""
    for src, tgt in ((payfit, equify), ({**equify, "id": "p1"}, {**payfit, "id": "a1"})):
        result = run(src, tgt)
        rec = result.records.iloc[0]
        shown = f"{src} / {tgt}: {rec['category']} {rec['action']} {rec['rule']} {rec['reason']!r}"
        assert rec["action"] != "link", shown  # near evidence is never enough for a link
        assert result.links.empty, shown
        if expected == CREATE:
            assert (rec["category"], rec["action"]) == ("new", "create"), shown
            assert result.candidates["doubt"].isna().all(), shown
            continue
        assert isinstance(expected, Doubt)
        assert (rec["category"], rec["action"], rec["target_id"], rec["rule"]) == (
            "conflict",
            "none",
            "a1",
            expected.rule,
        ), shown
        assert expected.words in rec["reason"], shown
        assert "(a1)" in rec["reason"], shown  # the candidate is named
        if expected.rule == "doubt":
            assert rec["reason"].startswith("possible match: "), shown
            pair = result.candidates.set_index("target_id").loc["a1"]
            assert expected.words in pair["doubt"], shown
        # Without the floor, the same pair is created (or stays what the name rule makes it).
        off = run(src, tgt, MatchSettings(doubt=False)).records.iloc[0]
        assert off["rule"] != "doubt", shown
        if expected.rule == "doubt":
            assert (off["category"], off["action"]) == ("new", "create"), shown


def with_emails(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The pair as written, and with two different personal emails (no evidence either way)."""
    return [(a, b), ({**a, "email": "perso.one@example.fr"}, {**b, "email": "perso.two@example.org"})]


# The examples of issue 14, each a doubt. Rows meet in blocking through the existing rules.
DOUBTS = [
    pytest.param(
        P("p1", "Anne-Laure", "Petit"), P("a1", "Anne", "Petit"), Doubt("given name shortened"), id="anne-laure"
    ),
    pytest.param(
        P("p1", "J.-P.", "Roux"),
        P("a1", "Jean-Pierre", "Roux"),
        Doubt("given name written as initials"),
        id="j-p-initials",
    ),
    pytest.param(
        P("p1", "JP", "Roux"), P("a1", "Jean-Pierre", "Roux"), Doubt("given name written as initials"), id="jp-initials"
    ),
    pytest.param(
        P("p1", "M.", "Faure"), P("a1", "Marie", "Faure"), Doubt("given name written as initials"), id="m-initial"
    ),
    pytest.param(
        P("p1", "Marc", "Sainte-Beuve"),
        P("a1", "Marc", "Ste Beuve"),
        Doubt("surname particle abbreviated"),
        id="sainte-ste",
    ),
    # Close enough to be a name candidate already: the name conflict says how the names differ.
    pytest.param(
        P("p1", "Youssef", "Benali"),
        P("a1", "Yousef", "Benali"),
        Doubt("possible match: given name spelled another way", rule="name"),
        id="youssef-yousef",
    ),
    # A typo in a birth date or a matricule: near, not different (no penalty), and with a
    # half-similar name whose given names agree, a doubt.
    pytest.param(
        P("p1", "Jean", "Dupontel", birthDate="1985-03-12"),
        P("a1", "Jean", "Dupont", birthDate="21/03/1985"),
        Doubt("possible match: near birth dates (two adjacent digits swapped)"),
        id="birth-date-digits-swapped",
    ),
    pytest.param(
        P("p1", "Jean", "Dupontel", matricule="10452"),
        P("a1", "Jean", "Dupont", matricule="10542"),
        Doubt("possible match: near-identical identifiers (two adjacent digits swapped)"),
        id="matricule-digits-swapped",
    ),
    pytest.param(
        P("p1", "Jean", "Dupontel", matricule="10452", birthDate="1985-03-12"),
        P("a1", "Jean", "Dupont", matricule="10542", birthDate="1985-03-12"),
        Doubt("possible match: same birth date and near-identical identifiers (two adjacent digits swapped)"),
        id="same-birth-date-and-near-matricule",
    ),
    pytest.param(
        P("p1", "Jean", "Dupontel", phoneNumber="06 12 34 56 78"),
        P("a1", "Jean", "Dupont", phoneNumber="+33612345678"),
        Doubt("possible match: same phone"),
        id="same-phone-half-similar-name",
    ),
    # The married name in lastName, the maiden name in birthName; the account holds the maiden
    # name. (The same phone makes the pair meet in blocking without the surname_forms rule.)
    pytest.param(
        P("p1", "Claire", "Martin", birthName="Durand", phoneNumber="0612345678"),
        P("a1", "Claire", "Durand", phoneNumber="+33612345678"),
        Doubt("possible match: last name is the other record's birth or married name"),
        id="birth-name-alternate",
    ),
    # A near mailbox with names that do not quite agree (the same birth date and initials make
    # the pair meet in blocking without the mailbox rule).
    pytest.param(
        P("p1", "Claire", "Morel", "claire+rh@example.fr", birthDate="1985-03-12"),
        P("a1", "Clara", "Mattei", "claire@example.fr", birthDate="1985-03-12"),
        Doubt("possible match: near-identical emails (a +tag)"),
        id="email-plus-tag",
    ),
    pytest.param(
        P("p1", "Jean", "Dupont", "jean.dupont@gmail.com", birthDate="1985-03-12"),
        P("a1", "Joachim", "Dumas", "jeandupont@googlemail.com", birthDate="1985-03-12"),
        Doubt("dots in a Gmail address)"),
        id="gmail-dots",
    ),
]

# Neighbours that must stay creates: what the floor must not catch.
CREATES = [
    pytest.param(P("p1", "Jean", "Martin"), P("a1", "Jeanne", "Martin"), id="jean-jeanne"),
    pytest.param(
        P("p1", "Jean", "Martin", birthDate="1985-03-12"),
        P("a1", "Jeanne", "Martin", birthDate="1985-03-12"),
        id="jean-jeanne-same-birth-date",
    ),
    pytest.param(
        P("p1", "Paul", "Girard", birthDate="1985-03-12"),
        P("a1", "Pierre", "Gautier", birthDate="1985-03-12"),
        id="unrelated-people-sharing-a-birth-date",
    ),
    pytest.param(
        P("p1", "Paul", "Girard", matricule="10452"),
        P("a1", "Pierre", "Girard", matricule="10453"),
        id="sequential-matricules-other-given-names",
    ),
    pytest.param(
        P("p1", "Marc", "Durand", matricule="10452", birthDate="1980-01-02"),
        P("a1", "Martin", "Durand", matricule="10542", birthDate="1980-01-02"),
        id="given-names-disagree-despite-birth-date-and-matricule",
    ),
    pytest.param(
        P("p1", "Claire", "Morel", "claire.morel@example.fr", birthDate="1985-03-12"),
        P("a1", "Clara", "Mattei", "clara.mattei@example.fr", birthDate="1985-03-12"),
        id="other-mailboxes-same-birth-date-other-names",
    ),
]


@pytest.mark.parametrize(("payfit", "equify", "expected"), DOUBTS)
def test_a_plausible_account_is_doubt_never_a_create(payfit, equify, expected) -> None:
    pairs = [(payfit, equify)] if payfit.get("email") else with_emails(payfit, equify)
    for a, b in pairs:
        check(a, b, expected)


@pytest.mark.parametrize(("payfit", "equify"), CREATES)
def test_nothing_plausible_is_created(payfit, equify) -> None:
    pairs = [(payfit, equify)] if payfit.get("email") else with_emails(payfit, equify)
    for a, b in pairs:
        check(a, b, CREATE)


def test_julie_julien_is_no_doubt() -> None:
    """Julie/Julien are never related names; close enough in letters, they stay the name rule's
    conflict (a score, not a relation), never a doubt."""
    for a, b in [("Julie", "Julien"), ("Julien", "Julie")]:
        result = run(P("p1", a, "Lambert"), P("a1", b, "Lambert"))
        rec = result.records.iloc[0]
        assert (rec["category"], rec["rule"]) == ("conflict", "name")
        assert "possible match" not in rec["reason"]


@pytest.mark.parametrize(
    ("payfit", "equify", "column", "value", "points"),
    [
        (
            {"birthDate": "1985-03-12"},
            {"birthDate": "1985-03-21"},
            "birthdate_match",
            "near",
            ("birthdate_points", 0.0),
        ),
        (
            {"birthDate": "1985-03-12"},
            {"birthDate": "1990-07-01"},
            "birthdate_match",
            "differ",
            ("birthdate_points", -30.0),
        ),
        ({"matricule": "10452"}, {"matricule": "10453"}, "matricule_match", "near", ("matricule_points", 0.0)),
        ({"matricule": "EMP-0042"}, {"matricule": "emp0042"}, "matricule_match", "near", ("matricule_points", 0.0)),
        ({"matricule": "10452"}, {"matricule": "27731"}, "matricule_match", "differ", ("matricule_points", -30.0)),
        ({"matricule": "10452"}, {"matricule": "10452"}, "matricule_match", "exact", ("matricule_points", 0.0)),
    ],
)
def test_only_clearly_different_values_lose_points(payfit, equify, column, value, points) -> None:
    """A near birth date or matricule is a typo in one system: 0 points, like a missing one."""
    result = run(P("p1", "Jean", "Dupont", **payfit), P("a1", "Jean", "Dupont", **equify))
    pair = result.candidates.iloc[0]
    assert pair[column] == value
    assert pair[points[0]] == points[1]


def test_near_email_words_and_column() -> None:
    """The near email is in the pair's ``email_near`` column; a name candidate with it says so,
    and an equal shared mailbox is never 'an email that differs'."""
    result = run(
        P("p1", "Jean", "Dupont", "jean.dupont+paie@example.fr"), P("a1", "Jean", "Dupont", "jean.dupont@example.fr")
    )
    pair = result.candidates.iloc[0]
    assert pair["email_near"] == "near-identical emails (a +tag)"
    rec = result.records.iloc[0]
    assert (rec["category"], rec["rule"]) == ("conflict", "name")
    assert "whose email is near-identical (a +tag: " in rec["reason"]
    shared = match(
        pd.DataFrame([P("p1", "Jean", "Dupont", "rh@example.fr"), P("p2", "Paul", "Durand", "rh@example.fr")]),
        pd.DataFrame([P("a1", "Jean", "Dupont", "rh@example.fr")]),
    ).records.set_index("source_id")
    assert "which has the same email" in shared.loc["p1", "reason"]
    assert "differs" not in shared.loc["p1", "reason"]


def test_other_plausible_accounts_are_named() -> None:
    """The best plausible account is the candidate; the others are named after it."""
    result = match(
        pd.DataFrame([P("p1", "Anne-Laure", "Petit")]),
        pd.DataFrame([P("a1", "Anne", "Petit"), P("a2", "Laure", "Petit", birthDate=None), P("a3", "A.-L.", "Petit")]),
    )
    rec = result.records.iloc[0]
    assert (rec["category"], rec["rule"]) == ("conflict", "doubt")
    plausible = result.candidates[result.candidates["doubt"].notna()]
    assert rec["target_id"] == plausible["target_id"].iloc[0]
    others = len(plausible) - 1
    assert others >= 1
    assert f"(and {others} other possible account" in rec["reason"]


def test_an_account_linked_elsewhere_is_said() -> None:
    result = match(
        pd.DataFrame([P("p1", "Anne-Laure", "Petit")]),
        pd.DataFrame([P("a1", "Anne", "Petit", payfitId="p9")]),
    )
    rec = result.records.iloc[0]
    assert (rec["category"], rec["rule"], rec["target_id"]) == ("conflict", "doubt", "a1")
    assert rec["reason"].endswith("; already linked to another Payfit record")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"doubt": 1}, "MatchSettings.doubt must be true or false"),
        ({"doubt": "yes"}, "MatchSettings.doubt must be true or false"),
        ({"doubt_name_score": 101}, "doubt_name_score is a score from 0 to 100"),
        ({"doubt_name_score": float("nan")}, "doubt_name_score must be a finite number"),
        ({"doubt_name_score": True}, "doubt_name_score must be a finite number"),
    ],
)
def test_doubt_settings_are_validated(changes, message) -> None:
    with pytest.raises(InputError, match=message):
        MatchSettings(**changes)


def test_the_floor_moves_with_doubt_name_score() -> None:
    """A half-similar name with the same birth date is doubt at the default floor, a create above its name score."""
    payfit, equify = (
        P("p1", "Jean", "Dupontel", birthDate="1985-03-12"),
        P("a1", "Jean", "Dupont", birthDate="1985-03-12"),
    )
    score = run(payfit, equify).candidates.iloc[0]["name_score"]
    assert run(payfit, equify, MatchSettings(doubt_name_score=score)).records.iloc[0]["rule"] == "doubt"
    assert run(payfit, equify, MatchSettings(doubt_name_score=score + 0.1)).records.iloc[0]["action"] == "create"


# Pairs that meet only through the blocking rules of docs/doubt_policy.md §5 (no other key in common).
BLOCKED_ONLY = [
    pytest.param(
        "surname_forms",
        P("p1", "Claire", "Martin", birthName="Durand"),
        P("a1", "Claire", "Durand"),
        Doubt("possible match: last name is the other record's birth or married name"),
        id="birth-name-no-other-key",
    ),
    pytest.param(
        "surname_forms",
        P("p1", "Léa", "Roux"),
        P("a1", "Léa", "Rous"),
        Doubt("possible match: one letter apart in the surname"),
        id="short-surname-typo",
    ),
    pytest.param(
        "mailbox",
        P("p1", "Claire", "Morel", "claire+rh@example.fr"),
        P("a1", "Clara", "Mattei", "claire@example.fr"),
        Doubt("possible match: near-identical emails (a +tag)"),
        id="plus-tag-no-other-key",
    ),
]


@pytest.mark.parametrize(("rule", "payfit", "equify", "expected"), BLOCKED_ONLY)
def test_pairs_found_by_the_doubt_blocking_rules(rule, payfit, equify, expected) -> None:
    if rule not in _RULES:
        pytest.skip(f"the blocking rule {rule!r} is not in BLOCKING_RULES yet")
    check(payfit, equify, expected)


def test_side_by_side_says_near_not_differ(demo_workspace) -> None:
    """The review's comparison says what is true of a near value: near, never "differ"."""
    from dataclasses import replace

    from reconcile import workflow

    result = workflow.run_match(demo_workspace)
    cands = result.candidates.copy()
    row = cands.index[0]
    cands.loc[row, ["birthdate_match", "matricule_match", "email_near", "name_relation", "email_equal"]] = [
        "near",
        "near",
        "near-identical emails (a +tag)",
        "given_name_shortened",
        False,
    ]
    cands.loc[row, "name_score"] = 80.0
    table = workflow.side_by_side(
        demo_workspace, replace(result, candidates=cands), cands.loc[row, "source_id"], cands.loc[row, "target_id"]
    ).set_index("field")
    assert table.loc["birthDate", "agreement"] == "near (a typo?)"
    assert table.loc["matricule", "agreement"] == "near-identical (a typo?)"
    assert table.loc["email", "agreement"] == "near-identical (a +tag)"
    assert table.loc["firstName", "agreement"] == "similar (name score 80), related: given name shortened"
