"""The matching policy of ``shared/domain.md`` §5 as a table run through :func:`reconcile.match`.

Each row is one situation: tiny source (Payfit) and target (Equify) records, the
ledger and decisions if any, and what each source record must become
(category, action, target, and a piece of the reason shown to the user).
One helper runs every row and checks the invariants every result must keep
(one row per source record, documented columns, one-to-one links).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from reconcile import Decision, InputError, MatchResult, MatchSettings, match
from reconcile.matching.sides import _ident

NBSP, ZWSP, BOM = "\u00a0", "\u200b", "\ufeff"

RECORD_COLUMNS = ["source_id", "category", "action", "target_id", "score", "rule", "reason"]
LINK_COLUMNS = ["source_id", "target_id", "score", "rule"]
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
CATEGORIES = {"new", "synced", "conflict", "excluded"}
ACTIONS = {"create", "link", "update", "none"}
RULES = {"ledger", "decision", "payfit_id", "matricule", "email", "name", "doubt", "none"}


def P(id: str, first: Any = None, last: Any = None, email: Any = None, **extra: Any) -> dict[str, Any]:
    """A Payfit (source) record with canonical field names."""
    return {"id": id, "firstName": first, "lastName": last, "email": email, **extra}


A = P  # an Equify (target) account has the same canonical fields


@dataclass(frozen=True)
class Expect:
    """What one source record must become; ``reason`` is a piece of the words shown."""

    category: str
    action: str
    target: str | None = None
    reason: str = ""
    rule: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run(source: list[dict], target: list[dict], **kwargs: Any) -> MatchResult:
    """Match, then check the invariants every result keeps."""
    src, tgt = pd.DataFrame(source), pd.DataFrame(target)
    result = match(src, tgt, **kwargs)
    records, links = result.records, result.links
    assert list(records.columns) == RECORD_COLUMNS
    assert list(links.columns) == LINK_COLUMNS
    assert list(result.candidates.columns) == CANDIDATE_COLUMNS
    # Exactly one row per source record, in the source's order: no multiplied rows.
    assert records["source_id"].tolist() == [_ident(r["id"]) for r in source]
    assert set(records["category"]) <= CATEGORIES
    assert set(records["action"]) <= ACTIONS
    assert set(records["rule"]) <= RULES
    assert records["score"].dtype == float
    # One-to-one: no account linked twice, no record linked twice.
    assert not links["target_id"].duplicated().any()
    assert not links["source_id"].duplicated().any()
    # Category and action go together.
    for rec in records.itertuples():
        if rec.category in {"conflict", "excluded"}:
            assert rec.action == "none"
        if rec.action in {"link", "update"}:
            assert rec.target_id is not None
        if rec.action == "create":
            assert rec.target_id is None
    return result


def check(result: MatchResult, expected: dict[str, Expect]) -> None:
    rec = result.records.set_index("source_id")
    for sid, exp in expected.items():
        row = rec.loc[sid]
        got = (row["category"], row["action"], row["target_id"])
        assert got == (exp.category, exp.action, exp.target), f"{sid}: {got} ({row['reason']})"
        assert exp.reason in row["reason"], f"{sid}: reason {row['reason']!r} lacks {exp.reason!r}"
        if exp.rule is not None:
            assert row["rule"] == exp.rule
    linked = set(zip(result.links["source_id"], result.links["target_id"], strict=True))
    for sid, exp in expected.items():
        is_link = exp.category in {"new", "synced"} and exp.target is not None
        assert ((sid, exp.target) in linked) is is_link


SNAP = {"firstName": "Jean", "lastName": "Dupont", "email": "j.dupont@example.fr"}

# (source, target, match kwargs, expected per source id)
CASES = [
    # --- rule 3: exact normalised email, unique on both sides → new / link.
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "J.Dupont@Example.FR")],
        {},
        {"p1": Expect("new", "link", "a1", "same email", rule="email")},
        id="email-link",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", f"J.Dupont@Example.fr{NBSP}{ZWSP}")],
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        {},
        {"p1": Expect("new", "link", "a1", rule="email")},
        id="E1-invisible-chars-source-no-new-account",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", f"{BOM}J.DUPONT@example.fr ")],
        {},
        {"p1": Expect("new", "link", "a1", rule="email")},
        id="E1-invisible-chars-target",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupond", "j.dupont@example.fr")],
        {},
        {"p1": Expect("new", "link", "a1", rule="email")},
        id="email-link-despite-name-typo",
    ),
    pytest.param(
        [P("p1", "Jean-Pierre", "LE GALL", "jp@example.fr"), P("p2", "Éric", "Moreau", "e.moreau@example.fr")],
        [A("a1", "Jean Pierre", "Legall", "jp@example.fr"), A("a2", "Moreau", "ERIC", "e.moreau@example.fr")],
        {},
        {"p1": Expect("new", "link", "a1"), "p2": Expect("new", "link", "a2")},
        id="email-link-N3-N5-name-variants",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", None, "  ", "j.dupont@example.fr")],  # (#14) blank, not the text "nan" (a name)
        {},
        {"p1": Expect("new", "link", "a1", rule="email")},
        id="email-link-N1-target-without-name",
    ),
    # --- rule 4: name similarity without an email match → conflict, never a link.
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", None)],
        {},
        {"p1": Expect("conflict", "none", "a1", "no email", rule="name")},
        id="name-only-target-without-email",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "jean.dupont@acme-demo.fr")],
        {},
        {"p1": Expect("conflict", "none", "a1", "differs", rule="name")},
        id="name-only-different-email",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", None)],
        [A("a1", "Jean", "Dupont", "jean.dupont@acme-demo.fr")],
        {},
        {"p1": Expect("conflict", "none", "a1", "this Payfit record has no email")},
        id="name-only-source-without-email",
    ),
    pytest.param(
        [P("p1", "Éric", "MOREAU"), P("p2", "Jean-Pierre", "LE GALL"), P("p3", "Dupont", "Jean")],
        [A("a1", "Eric", "Moreau"), A("a2", "Jean Pierre", "Legall"), A("a3", "Jean", "Dupont")],
        {},
        {
            "p1": Expect("conflict", "none", "a1", "same first and last name"),
            "p2": Expect("conflict", "none", "a2", "same first and last name"),
            "p3": Expect("conflict", "none", "a3", "same first and last name"),
        },
        id="name-variants-N3-N5-order-are-conflicts-not-links",
    ),
    pytest.param(
        [{"id": "p1", "fullName": "DUPONT Jean", "email": None}],
        [A("a1", "Jean", "Dupont")],
        {},
        {"p1": Expect("conflict", "none", "a1", "same first and last name")},
        id="N2-full-name-column",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupond")],
        [A("a1", "Jean", "Dupont")],
        {},
        {"p1": Expect("conflict", "none", "a1")},
        id="name-one-typo-is-a-candidate",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Marie", "Curie", None), A("a2", "Paul", "Dupuis", "p.dupuis@example.fr")],
        {},
        {"p1": Expect("new", "create", None, "no matching Equify account", rule="none")},
        id="nothing-matches-create",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", birthDate="01/02/1990")],
        [A("a1", "Jean", "Dupont", birthDate="1985-03-04")],
        {},
        {"p1": Expect("new", "create", None, "has this name but another birth date")},
        id="same-name-birth-dates-differ-is-someone-else",
    ),
    # --- conflict reason: two candidates tie for the best score.
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont"), A("a2", "DUPONT", "Jean")],
        {},
        {"p1": Expect("conflict", "none", "a1", "2 Equify accounts tie")},
        id="two-candidates-tie",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", birthDate="01/02/1990")],
        [A("a1", "Jean", "Dupont", birthDate="1985-03-04"), A("a2", "Jean", "Dupont", birthDate="1990-02-01")],
        {},
        {"p1": Expect("conflict", "none", "a2", "same first and last name")},
        id="birth-date-ranks-candidates-no-tie-no-link",
    ),
    # --- conflict reason: a normalised email on two records of one side (E2).
    pytest.param(
        [P("p1", "Alice", "Petit", "a.petit@example.fr")],
        [A("a1", "Alice", "Petit", "A.Petit@example.fr"), A("a2", "Alice", "Petit", "a.petit@example.fr")],
        {},
        {"p1": Expect("conflict", "none", None, "appears on 2 Equify accounts")},
        id="E2-duplicate-email-on-target-side",
    ),
    pytest.param(
        [P("p1", "Anne", "Roux", "accueil@example.fr"), P("p2", "Paul", "Blanc", "Accueil@Example.fr")],
        [A("a1", "Anne", "Roux", "accueil@example.fr")],
        {},
        {
            # The shared mailbox is no evidence, but Anne Roux's name still points to a1.
            "p1": Expect("conflict", "none", "a1", "shared by 2 Payfit records; same first and last name"),
            "p2": Expect("conflict", "none", None, "shared by 2 Payfit records"),
        },
        id="E2-duplicate-email-on-source-side",
    ),
    # --- conflict reason: the emails match but the names clearly disagree.
    pytest.param(
        [P("p1", "Lucas", "Girard", "contact.rh@example.fr")],
        [A("a1", "Sarah", "Kone", "contact.rh@example.fr")],
        {},
        {"p1": Expect("conflict", "none", "a1", "names clearly disagree")},
        id="recycled-mailbox",
    ),
    # --- rule 2: exact identifier → link, whatever the email says.
    pytest.param(
        [P("p1", "Jean", "Dupond", "j.dupont@example.fr", matricule="00042")],
        [A("a1", "Jean", "Dupont", "jean.dupont@acme-demo.fr", matricule="00042")],
        {},
        {"p1": Expect("new", "link", "a1", "matricule", rule="matricule")},
        id="matricule-link",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", None)],
        [A("a1", "J.", "Dupont", None, payfitId="p1")],
        {},
        {"p1": Expect("new", "link", "a1", "Payfit ID", rule="payfit_id")},
        id="payfit-id-link",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", matricule="7")],
        [A("a1", "Jean", "Dupont", matricule="7"), A("a2", "Jean", "Dupont", matricule="7")],
        {},
        {"p1": Expect("conflict", "none", None, "2 Equify accounts carry")},
        id="identifier-on-two-accounts",
    ),
    # --- rule 1: ledger → synced; update only when values changed since the snapshot.
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        {"ledger": {"p1": "a1"}, "ledger_values": {"p1": SNAP}},
        {"p1": Expect("synced", "none", "a1", rule="ledger")},
        id="ledger-unchanged",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "jean.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        {"ledger": {"p1": "a1"}, "ledger_values": {"p1": SNAP}},
        {"p1": Expect("synced", "update", "a1", "changed: email", rule="ledger")},
        id="ledger-changed-update",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "jean.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "jean.dupont@example.fr")],
        {"ledger": {"p1": "a1"}, "ledger_values": {"p1": SNAP}},
        {"p1": Expect("synced", "none", "a1")},
        id="ledger-changed-but-account-already-holds-it",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", None), A("a2", "Jean", "Dupont", "j.dupont@example.fr")],
        {"ledger": {"p1": "a1"}, "ledger_values": {"p1": SNAP}},
        {"p1": Expect("synced", "none", "a1")},
        id="ledger-wins-over-email",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        {"ledger": {"p1": "a9"}},
        {"p1": Expect("conflict", "none", "a9", "no longer exists")},
        id="ledger-account-gone",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr"), P("p2", "Jean", "Dupont", None)],
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        {"ledger": {"p2": "a1"}},
        {"p1": Expect("conflict", "none", "a1", "already linked"), "p2": Expect("synced", "none", "a1")},
        id="email-of-account-already-linked-by-ledger",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", None), P("p2", "Marc", "Durand", None)],
        [A("a1", "Jean", "Dupont", None)],
        {"ledger": {"p2": "a1"}},
        {"p1": Expect("conflict", "none", "a1", "already linked")},
        id="name-of-account-already-linked-by-ledger",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", matricule="5"), P("p2", "Marc", "Durand")],
        [A("a1", "Jean", "Dupont", matricule="5")],
        {"ledger": {"p2": "a1"}},
        {"p1": Expect("conflict", "none", "a1", "already linked")},
        id="matricule-of-account-already-linked-by-ledger",
    ),
    # --- decisions: link, create, exclude (rule 6: exclusion wins over everything).
    pytest.param(
        [P("p1", "Jean", "Dupont")],
        [A("a1", "Jean", "Dupont"), A("a2", "Jean", "Dupont")],
        {"decisions": [Decision("p1", "link", "a2")]},
        {"p1": Expect("new", "link", "a2", "decided by a person", rule="decision")},
        id="decision-link-chosen-candidate",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont")],
        [A("a1", "Jean", "Dupont")],
        {"decisions": {"p1": Decision("p1", "create")}},
        {"p1": Expect("new", "create", None, "decided by a person", rule="decision")},
        id="decision-create-anyway",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        {"decisions": [Decision("p1", "exclude")]},
        {"p1": Expect("excluded", "none", None, "exclusion list", rule="decision")},
        id="exclusion-wins-over-email",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j.dupont@example.fr")],
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        {"ledger": {"p1": "a1"}, "decisions": [Decision("p1", "exclude")]},
        {"p1": Expect("excluded", "none", None)},
        id="exclusion-wins-over-ledger",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", matricule="1")],
        [A("a1", "Jean", "Dupont", matricule="1", payfitId="p1")],
        {"decisions": [Decision("p1", "exclude")]},
        {"p1": Expect("excluded", "none", None)},
        id="exclusion-wins-over-identifiers",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont"), P("p2", "Jean", "Dupont")],
        [A("a1", "Jean", "Dupont")],
        {"ledger": {"p2": "a1"}, "decisions": [Decision("p1", "link", "a1")]},
        {"p1": Expect("conflict", "none", "a1", "already linked"), "p2": Expect("synced", "none", "a1")},
        id="decision-link-to-account-in-ledger",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont"), P("p2", "Jean", "Dupont", "j@example.fr")],
        [A("a1", "Jean", "Dupont", "j@example.fr")],
        {"decisions": [Decision("p1", "link", "a1")]},
        {"p1": Expect("new", "link", "a1"), "p2": Expect("conflict", "none", "a1", "already linked")},
        id="decision-beats-automatic-email",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont")],
        [A("a1", "Jean", "Dupont")],
        {"decisions": [Decision("p1", "link", "gone")]},
        {"p1": Expect("conflict", "none", None, "no longer exists")},
        id="decision-link-to-missing-account",
    ),
    # --- one-to-one: two sources claiming one target are both conflicts.
    pytest.param(
        [P("p1", "Jean", "Dupont", matricule="1"), P("p2", "Marc", "Durand", "m@example.fr", matricule="1")],
        [A("a1", "Jean", "Dupont", None, matricule="1")],
        {},
        {
            # A matricule is unique in a payroll: two records with one are a data error, like E2.
            "p1": Expect("conflict", "none", None, "the matricule 1 is shared by 2 Payfit records"),
            "p2": Expect("conflict", "none", None, "the matricule 1 is shared by 2 Payfit records"),
        },
        id="two-sources-one-account-by-matricule",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", None), P("p2", "Jean", "Dupont", "j@example.fr")],
        [A("a1", "Jean", "Dupont", "j@example.fr", payfitId="p1")],
        {},
        {
            # The account carries p1's Payfit id: it is p1's, and p2's email match cannot take it.
            "p1": Expect("new", "link", "a1", "same Payfit ID"),
            "p2": Expect("conflict", "none", "a1", "already linked to another Payfit record"),
        },
        id="two-sources-one-account-by-id-and-email",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", "j@example.fr"), P("p2", "Paul", "Durand", "p@example.fr", matricule="7")],
        [A("a1", "Jean", "Dupont", "j@example.fr"), A("a2", "Paul", "Durand", None, matricule="7")],
        {"ledger": {"p1": "a2", "p2": "a2"}},
        {
            "p1": Expect("conflict", "none", "a2", "the sync ledger links 2 Payfit records to account a2"),
            "p2": Expect("conflict", "none", "a2", "the sync ledger links 2 Payfit records to account a2"),
        },
        id="ledger-links-two-records-to-one-account",
    ),
    # --- N1: an empty name is no evidence: never a match, never a conflict on names.
    pytest.param(
        [P("p1", None, None, None, birthDate="1990-01-01", phoneNumber="06 12 34 56 78"), P("p2", "", " ")],
        [A("a1", None, None, None, birthDate="1990-01-01", phoneNumber="+33612345678"), A("a2", " ", "")],
        {},
        {"p1": Expect("new", "create", None), "p2": Expect("new", "create", None)},
        id="N1-empty-names-both-sides",
    ),
    pytest.param(
        [P("p1", "", "", None)],
        [A("a1", "Jean", "Dupont", None)],
        {},
        {"p1": Expect("new", "create", None)},
        id="N1-empty-source-name",
    ),
    pytest.param(
        [P("p1", "Jean", "Dupont", None)],
        [A("a1", "", "nan", None), A("a2", None, None, None)],
        {},
        {"p1": Expect("new", "create", None)},
        id="N1-empty-target-names",
    ),
    # --- phones are never evidence for a link, whatever they agree on.
    pytest.param(
        [P("p1", "Jean", "Dupont", None, phoneNumber="06 12 34 56 78")],
        [A("a1", "Paul", "Martin", None, phoneNumber="+33612345678")],
        {},
        {"p1": Expect("new", "create", None)},
        id="same-phone-only-is-no-link",
    ),
]


@pytest.mark.parametrize(("source", "target", "kwargs", "expected"), CASES)
def test_policy(source, target, kwargs, expected):
    check(run(source, target, **kwargs), expected)


def test_e2_no_one_to_many_link_and_no_multiplied_rows():
    """E2: two Equify accounts for one email → one conflict row, no link to either."""
    result = run(
        [P("p1", "Alice", "Petit", "a.petit@example.fr"), P("p2", "Bob", "Petit", "b.petit@example.fr")],
        [A("a1", "Alice", "Petit", "A.Petit@example.fr"), A("a2", "Alice", "Petit", "a.petit@example.fr")],
    )
    assert len(result.records) == 2
    assert result.records["source_id"].value_counts().max() == 1
    assert result.links.empty
    assert (result.records.set_index("source_id").loc["p1", "category"]) == "conflict"


# ---------------------------------------------------------------------------- regressions (bugs found and fixed)
@pytest.mark.parametrize(
    ("source", "kwargs"),
    [
        pytest.param(
            [P("p1", "Jean", "Dupont", "old@example.fr"), P("p2", "Jean", "Dupont", "j@example.fr")],
            {"ledger": {"p1": "a1"}, "decisions": [Decision("p1", "exclude")]},
            id="ledger-owner-excluded",
        ),
        pytest.param(
            [P("p2", "Jean", "Dupont", "j@example.fr")],
            {"ledger": {"p1": "a1"}},
            id="ledger-owner-out-of-scope",
        ),
    ],
)
def test_account_linked_by_ledger_is_never_linked_to_another_record(source, kwargs):
    result = run(source, [A("a1", "Jean", "Dupont", "j@example.fr")], **kwargs)
    row = result.records.set_index("source_id").loc["p2"]
    assert (row["category"], row["action"]) == ("conflict", "none")
    assert "already linked" in row["reason"]
    assert "a1" not in set(result.links["target_id"])


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        pytest.param(Decision("p1", "create"), Expect("new", "create", None), id="create-anyway"),
        pytest.param(Decision("p1", "link", "a1"), Expect("new", "link", "a1"), id="link-to-chosen"),
    ],
)
def test_decision_resolves_a_ledger_link_to_a_missing_account(decision, expected):
    result = run([P("p1", "Jean", "Dupont")], [A("a1", "Jean", "Dupont")], ledger={"p1": "a9"}, decisions=[decision])
    check(result, {"p1": expected})


def test_two_link_decisions_to_one_account_do_not_depend_on_row_order():
    target = [A("a1", "Jean", "Dupont")]
    decisions = [Decision("p1", "link", "a1"), Decision("p2", "link", "a1")]
    rows = [P("p1", "Jean", "Dupont"), P("p2", "Jean", "Dupont")]
    forward = run(rows, target, decisions=decisions).records.set_index("source_id")
    backward = run(rows[::-1], target, decisions=decisions).records.set_index("source_id")
    for sid in ("p1", "p2"):
        assert forward.loc[sid, "category"] == backward.loc[sid, "category"] == "conflict"


_BLOCKING_RULE_SCRIPT = textwrap.dedent(
    """
    import pandas as pd
    from reconcile import match
    row = dict(firstName="Jean", lastName="Dupont", email="j.dupont@example.fr",
               phoneNumber="+33612345678", matricule="42")
    result = match(pd.DataFrame([dict(id="p1", **row)]), pd.DataFrame([dict(id="a1", **row)]))
    print(result.candidates["rule"].iloc[0])
    """
)


def test_candidate_blocking_rule_is_deterministic(repo_root):
    seen = set()
    for seed in ("0", "1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _BLOCKING_RULE_SCRIPT],
            cwd=repo_root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seen.add(out.stdout.strip())
    assert len(seen) == 1, f"the rule changed between runs: {sorted(seen)}"


def test_full_name_with_compound_surname_links_by_email():
    result = run(
        [{"id": "p1", "fullName": "LE GALL Jean-Pierre", "email": "jp.legall@example.fr"}],
        [A("a1", "Jean Pierre", "Legall", "jp.legall@example.fr")],
    )
    check(result, {"p1": Expect("new", "link", "a1", rule="email")})


# ---------------------------------------------------------------------------- phones as evidence
def _tri(value: Any) -> bool | None:
    """A True/False/None cell of the candidates frame as a Python value (None for missing)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return bool(value)


@pytest.mark.parametrize(
    ("source_phone", "source_country", "target_phone", "phone_agree", "score"),
    [
        pytest.param("0470 12 34 56", "BE", "+32470123456", True, 82.0, id="P2-same-belgian-number-bonus"),
        pytest.param("06 12 34 56 78", None, "+33 6 12 34 56 78", True, 82.0, id="P1-same-french-number-bonus"),
        pytest.param("0470 12 34 56", "BE", "+33470123456", False, 72.0, id="P2-countries-differ-no-bonus"),
        pytest.param("0470 12 34 56", None, "+33470123456", None, 72.0, id="P2-ambiguous-no-evidence"),
        pytest.param("3.36123E+10", None, "+33612345678", None, 72.0, id="L5-corrupted-no-evidence"),
    ],
)
def test_phone_evidence(source_phone, source_country, target_phone, phone_agree, score):
    """Phones only move the score of a name candidate (0.8 × 90 = 72, +10 when they agree),
    and never when countries differ (P2)."""
    result = run(
        [P("p1", "Jean", "Dupond", None, phoneNumber=source_phone, country=source_country)],
        [A("a1", "Jean", "Dupont", None, phoneNumber=target_phone)],
    )
    cand = result.candidates.set_index(["source_id", "target_id"]).loc[("p1", "a1")]
    assert cand["name_score"] == 90.0
    assert _tri(cand["phone_agree"]) is phone_agree
    assert cand["score"] == score
    check(result, {"p1": Expect("conflict", "none", "a1")})  # a phone never turns a candidate into a link


def test_phone_bonus_does_not_lift_a_weak_name_into_a_candidate():
    """Name decides who is a name candidate; an agreeing phone only adds points to the score.
    Since issue 14 the same phone with a half-similar name is doubt: a conflict, never a create."""
    settings = MatchSettings()
    result = run(
        [P("p1", "Jean", "Dupontel", None, phoneNumber="06 12 34 56 78")],
        [A("a1", "Jean", "Dupont", None, phoneNumber="+33612345678")],
        settings=settings,
    )
    cand = result.candidates.iloc[0]
    assert cand["name_score"] < settings.name_threshold
    assert cand["phone_points"] == settings.phone_bonus
    check(result, {"p1": Expect("conflict", "none", "a1", "possible match: same phone", rule="doubt")})
    off = run(
        [P("p1", "Jean", "Dupontel", None, phoneNumber="06 12 34 56 78")],
        [A("a1", "Jean", "Dupont", None, phoneNumber="+33612345678")],
        settings=settings.with_(doubt=False),
    )
    check(off, {"p1": Expect("new", "create", None)})


@pytest.mark.parametrize(
    ("source", "target", "breakdown"),
    [
        pytest.param({}, {}, {"name_points": 80.0, "score": 80.0, "birthdate_match": None}, id="same-name-alone-80"),
        pytest.param(
            {"birthDate": "1985-03-12"},
            {"birthDate": "12/03/1985"},
            {"birthdate_match": "exact", "birthdate_equal": True, "birthdate_points": 10.0, "score": 90.0},
            id="birthdate-exact-any-format",
        ),
        pytest.param(
            {"birthDate": "1985-03-12"},
            {"birthDate": "1985-12-03"},
            {"birthdate_match": "swapped", "birthdate_equal": False, "birthdate_points": 5.0, "score": 85.0},
            id="birthdate-day-month-swapped",
        ),
        pytest.param(
            {"birthDate": "1985-03-03"},
            {"birthDate": "1990-07-21"},
            {"birthdate_match": "differ", "birthdate_points": -30.0, "score": 50.0},
            id="birthdate-differs",
        ),
        pytest.param(
            {"birthDate": "1985-03-03"},
            {"birthDate": "1985-03-04"},
            {"birthdate_match": "near", "birthdate_equal": False, "birthdate_points": 0.0, "score": 80.0},
            id="birthdate-one-digit-apart-is-near-no-penalty",
        ),
        pytest.param(
            {"matricule": "10452"},
            {"matricule": "10542"},
            {"matricule_equal": False, "matricule_match": "near", "matricule_points": 0.0, "score": 80.0},
            id="matricule-two-digits-swapped-is-near-no-penalty",
        ),
        pytest.param(
            {"birthDate": "1985-03-12"},
            {"birthDate": None},
            {"birthdate_match": None, "birthdate_equal": None, "birthdate_points": 0.0, "score": 80.0},
            id="birthdate-missing-no-evidence",
        ),
        pytest.param(
            {"birthDate": "1985-03-12", "phoneNumber": "06 12 34 56 78"},
            {"birthDate": "1985-03-12", "phoneNumber": "+33612345678"},
            {"phone_points": 10.0, "birthdate_points": 10.0, "score": 100.0},
            id="name-birthdate-phone-100",
        ),
        pytest.param(
            {"matricule": "42"},
            {"matricule": "43"},
            {"matricule_equal": False, "matricule_match": "differ", "matricule_points": -30.0, "score": 50.0},
            id="two-different-matricules",
        ),
        pytest.param(
            {"matricule": "42", "birthDate": "1985-03-03"},
            {"matricule": "43", "birthDate": "1990-01-01"},
            {"score": 20.0},
            id="penalties-add-up",
        ),
        pytest.param(
            {"matricule": "42"},
            {"matricule": None},
            {"matricule_equal": None, "matricule_points": 0.0, "score": 80.0},
            id="one-matricule-no-evidence",
        ),
    ],
)
def test_score_breakdown(source, target, breakdown):
    """The pair's score is the sum of each field's points (0.8 × name, birth date, phone, matricule)."""
    result = run([P("p1", "Jean", "Dupont", None, **source)], [A("a1", "Jean", "Dupont", None, **target)])
    cand = result.candidates.iloc[0]
    assert cand["name_score"] == 100.0
    for col, value in breakdown.items():
        got = cand[col]
        assert (got is None or got != got) if value is None else got == value, f"{col}: {got!r} != {value!r}"
    points = cand[["name_points", "birthdate_points", "phone_points", "matricule_points"]].sum()
    assert cand["score"] == max(0.0, min(100.0, points))


def test_a_better_supported_namesake_is_the_best_candidate_not_a_tie():
    """Two accounts with the same name: the one whose phone agrees ranks first (90 vs 80), no tie."""
    result = run(
        [P("p1", "Audrey", "Durand", "audrey.durand@example.fr", phoneNumber="0798789582")],
        [
            A("a1", "Audrey", "Durand", "audrey_durand@example.com"),
            A("a2", "Audrey", "Durand", None, phoneNumber="+33798789582"),
        ],
    )
    check(result, {"p1": Expect("conflict", "none", "a2", "which has no email")})
    assert result.records.loc[0, "score"] == 90.0


# ---------------------------------------------------------------------------- mapping and inputs
def test_mapping_renames_source_columns():
    source = [{"id": "p1", "prenom": "Jean", "nom": "Dupont", "mail": "J.Dupont@example.fr"}]
    result = run(
        source,
        [A("a1", "Jean", "Dupont", "j.dupont@example.fr")],
        mapping={"firstName": "prenom", "lastName": "nom", "email": "mail", "phoneNumber": None},
    )
    check(result, {"p1": Expect("new", "link", "a1", rule="email")})


def test_source_country_is_the_phone_hint():
    """P2 through the matcher: the record's address country turns 0470… into a Belgian number."""
    result = run(
        [P("p1", "Jean", "Dupont", None, phoneNumber="0470 12 34 56", country="BE")],
        [A("a1", "Jean", "Dupont", None, phoneNumber="+32470123456")],
    )
    assert _tri(result.candidates.iloc[0]["phone_agree"]) is True


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        pytest.param([{"firstName": "Jean"}], [A("a1", "Jean", "Dupont")], "no 'id' column", id="source-no-id"),
        pytest.param([P("p1", "Jean")], [{"firstName": "Jean"}], "no 'id' column", id="target-no-id"),
        pytest.param([P("p1"), P("p1")], [A("a1")], "'p1' appears more than once", id="source-duplicate-id"),
        pytest.param([P("p1")], [A("a1"), A("a1")], "'a1' appears more than once", id="target-duplicate-id"),
        pytest.param([P("p1"), P(" p1 ")], [A("a1")], "appears more than once", id="duplicate-after-strip"),
        pytest.param([P("p1"), P(None)], [A("a1")], "row 2 has an empty id", id="source-empty-id"),
        pytest.param([P("p1")], [A(" ")], "empty id", id="target-blank-id"),  # (#14) the text "nan" is an id
    ],
)
def test_input_errors(source, target, message):
    with pytest.raises(InputError, match=message):
        match(pd.DataFrame(source), pd.DataFrame(target))


def test_mapping_to_a_missing_column_is_an_input_error():
    with pytest.raises(InputError, match="prenom"):
        match(pd.DataFrame([P("p1", "Jean", "Dupont")]), pd.DataFrame([A("a1")]), mapping={"firstName": "prenom"})


def test_counts_cover_every_category():
    result = run(
        [P("p1", "Jean", "Dupont", "j@example.fr"), P("p2", "Marie", "Curie"), P("p3", "Paul", "Blanc")],
        [A("a1", "Jean", "Dupont", "j@example.fr"), A("a2", "Marie", "Curie")],
        decisions=[Decision("p3", "exclude")],
    )
    assert result.counts() == {"new": 1, "synced": 0, "conflict": 1, "excluded": 1}
    assert sum(result.counts().values()) == len(result.records)


# ---------------------------------------------------------------------------- blocking stays small
def test_a_shared_first_name_alone_never_makes_a_candidate_pair():
    """Every Jean paired with every Jean would be a cross product in disguise."""
    source = [P(f"p{i}", "Jean", f"Source{i:03d}x") for i in range(300)]
    target = [A(f"a{i}", "Jean", f"Cible{i:03d}y") for i in range(300)]
    result = run(source, target)
    assert len(result.candidates) <= 300  # the prefix and suffix keys pair a few look-alikes, not 90,000
    assert (result.records["action"] == "create").all()


def test_a_crowded_surname_still_finds_the_exact_name_and_stays_small():
    target = [A(f"a{i}", f"Prenom{i:03d}", "Martin") for i in range(250)] + [A("jm", "Jean", "Martin")]
    result = run([P("p1", "Jean", "Martin", "jean.martin@example.fr")], target)
    check(result, {"p1": Expect("conflict", "none", "jm")})
    assert len(result.candidates) < 50  # not all 251 Martins


@pytest.mark.parametrize(
    ("payfit", "equify"),
    [
        (("Jean", "Dupont"), ("Jean", "Dupond")),  # a typo at the end
        (("Jean", "Dupont"), ("Jean", "Tupont")),  # a typo at the start
        (("Jean", "Dupont"), ("Dupont", "Jean")),  # swapped first and last names
    ],
    ids=["typo-end", "typo-start", "swapped"],
)
def test_look_alike_names_still_meet_in_blocking(payfit, equify):
    result = run([P("p1", *payfit, "p1@example.fr")], [A("a1", *equify, "other@example.fr")])
    check(result, {"p1": Expect("conflict", "none", "a1")})


def test_values_are_normalised_once_per_distinct_value_and_pair():
    """The per-value caches give exactly what calling the function on every cell gives."""
    from reconcile.matching.sides import _by_pair, _by_value

    nan = float("nan")
    phones = ["0612345678", None, nan, "0612345678", "0470 12 34 56", None, "0470 12 34 56", nan]
    hints = ["FR", None, "BE", nan, "BE", "BE", None, None]
    calls: list[tuple] = []

    def fn(phones, hints):  # given the distinct pairs at once, one result per pair
        calls.extend(zip(phones, hints, strict=True))
        return list(zip(phones, hints, strict=True))

    got = _by_pair(phones, hints, fn)
    clean = [None if isinstance(x, float) else x for x in phones]
    clean_hints = [None if isinstance(x, float) else x for x in hints]
    assert got == list(zip(clean, clean_hints, strict=True))
    assert len(calls) == len(set(got))  # one call per distinct (phone, hint)
    assert _by_value(["a", None, nan, "a", "b"], lambda v: (v or "-") * 2) == ["aa", "--", "--", "aa", "bb"]
    assert _by_value([["unhashable"], "a"], lambda v: str(v)) == ["['unhashable']", "a"]


HELENE_COMPOSED, HELENE_COMBINING = "H\u00e9l\u00e8ne", "He\u0301le\u0300ne"


@pytest.mark.parametrize(
    ("payfit", "equify", "name_score"),
    [
        pytest.param({"fullName": "DUPONT Jean"}, ("Jean", "Dupont"), 100.0, id="N2-upper-surname-first-full-name"),
        pytest.param(("Éric", "Moreau"), ("Eric", "Moreau"), 100.0, id="N3-accents"),
        pytest.param(("Moreau", "Éric"), ("Eric", "MOREAU"), 100.0, id="N3-accents-and-word-order"),
        pytest.param((HELENE_COMPOSED, "Roux"), (HELENE_COMBINING, "Roux"), 100.0, id="N4-two-unicode-forms"),
        pytest.param(("Jean-Pierre", "LE GALL"), ("Jean Pierre", "Legall"), 100.0, id="N5-hyphens-and-particles"),
        pytest.param(("Jean", "de la Fontaine"), ("Jean", "Delafontaine"), 100.0, id="N5-neighbour-particles-joined"),
        pytest.param(("Lucie", "D'Angelo"), ("Lucie", "Dangelo"), 100.0, id="N5-neighbour-apostrophe"),
        pytest.param(("Anne", "Œuvrard"), ("Anne", "Oeuvrard"), 100.0, id="N3-neighbour-ligature"),
        pytest.param(("Anna", "Strauß"), ("Anna", "Strauss"), 100.0, id="N3-neighbour-sharp-s"),
        pytest.param(("Marie", "Martin-Dupont"), ("Marie", "Dupont"), 90.0, id="compound-surname-part"),
        pytest.param(("Marie", "Dupont"), ("Marie", "Martin Dupont"), 90.0, id="compound-surname-part-reverse"),
        pytest.param(("Jean", "Dupont"), ("Jean", "Dupond"), 90.0, id="one-letter-typo"),
    ],
)
def test_name_cases_through_the_matcher(payfit, equify, name_score):
    """N2-N5 and their neighbours: the pair meets in blocking, scores as documented, and is a
    conflict for review (no email), never a link and never a new account."""
    source = P("p1", **payfit) if isinstance(payfit, dict) else P("p1", *payfit)
    result = run([source], [A("a1", *equify)])
    cand = result.candidates.set_index("target_id").loc["a1"]
    assert cand["name_score"] == name_score
    # Names the library relates say how they differ ("possible match: one part of a compound
    # surname (name score 90)"), with the score (issue 14).
    words = "same first and last name" if name_score == 100 else f"(name score {name_score:g})"
    check(result, {"p1": Expect("conflict", "none", "a1", words)})


def test_n3_display_keeps_the_accents():
    result = run([P("p1", "Eric", "Moreau")], [A("a1", "Éric", "Moreau")])
    assert "Éric Moreau (a1)" in result.records.loc[0, "reason"]


def test_n1_empty_names_never_pair_even_with_other_evidence_missing():
    """N1 at scale: many nameless records on both sides give no name pairs at all."""
    result = run(
        [P(f"p{i}", None, "nan") for i in range(30)],
        [A(f"a{i}", "", None) for i in range(30)],
    )
    assert result.candidates.empty
    assert set(result.records["category"]) == {"new"}


def test_blocking_report_counts_pairs_per_rule():
    """Each rule's distinct pairs, the strongest-rule split (which sums to the candidates) and crowded keys."""
    from reconcile.matching.matcher import BLOCKING_COLUMNS, BLOCKING_RULES

    source = [
        P("p1", "Jean", "Dupont", "j.dupont@example.fr", phoneNumber="0612345678", birthDate="1980-01-02"),
        P("p2", "Marie", "Curie", None, birthDate="1970-05-06"),
        P("p3", "Paul", "Durand", None, matricule="M7"),
    ]
    target = [
        A("a1", "Jean", "Dupont", "j.dupont@example.fr", phoneNumber="+33612345678", birthDate="02/01/1980"),
        A("a2", "Marie", "Curry", None, birthDate="1970-05-06"),
        A("a3", "Paula", "Durant", None, matricule="M7"),
    ]
    result = run(source, target)
    report = result.blocking.set_index("rule")
    assert list(result.blocking.columns) == BLOCKING_COLUMNS
    assert list(report.index) == [r[0] for r in BLOCKING_RULES]
    assert report["strongest"].sum() == len(result.candidates) == 3
    assert report.loc["email", "pairs"] == 1 and report.loc["email", "strongest"] == 1
    assert report.loc["phone", "pairs"] == 1 and report.loc["name", "pairs"] == 1
    assert report.loc["matricule", "strongest"] == 1
    # Jean Dupont meets on every name key too; Curie / Curry (typo inside the 4-letter prefix
    # and suffix) only on the initials with the birth date; Paul Durand / Paula Durant only on the matricule.
    assert report.loc["name_prefix", "pairs"] == report.loc["name_suffix", "pairs"] == 1
    assert report.loc["initials_birthdate", "pairs"] == 2
    assert report["crowded_keys"].sum() == 0
    assert dict(zip(result.candidates["source_id"], result.candidates["rule"], strict=True)) == {
        "p1": "email",
        "p2": "initials_birthdate",
        "p3": "matricule",
    }


def test_crowded_loose_keys_are_dropped_and_counted():
    """A loose key whose block would give more than max_block_pairs pairs is not used."""
    source = [P(f"p{i}", "Jean", f"Martin{i}") for i in range(5)]
    target = [A(f"a{i}", "Jean", f"Martin{i + 100}") for i in range(5)]  # same prefix "mart" + first name
    loose = run(source, target)
    assert len(loose.candidates) == 25
    tight = run(source, target, settings=MatchSettings(max_block_pairs=20))
    assert tight.candidates.empty
    assert tight.blocking.set_index("rule").loc["name_prefix", "crowded_keys"] == 1


def test_no_cross_product_between_unrelated_people():
    source = [P(f"p{i}", f"Prenom{i}", f"Nom{i}x") for i in range(60)]
    target = [A(f"a{i}", f"Autre{i}", f"Famille{i}y") for i in range(60)]
    result = run(source, target)
    assert len(result.candidates) == 0


# ---------------------------------------------------------------------------- found by trying to break match()
@pytest.mark.parametrize(
    ("payfit", "equify", "expected"),
    [
        # Same email but the first names are not one person's: a shared or recycled mailbox.
        pytest.param(("Marc", "Fontaine"), ("Julie", "Fontaine"), "names clearly disagree", id="family-mailbox"),
        pytest.param(("Jean", "Martin"), ("Jeanne", "Martin"), "names clearly disagree", id="jean-jeanne"),
        pytest.param(("Julie", "Roux"), ("Julien", "Roux"), "names clearly disagree", id="julie-julien"),
        pytest.param(("Louis", "Petit"), ("Louise", "Petit"), "names clearly disagree", id="louis-louise"),
        pytest.param(("Martin", "Jean"), ("Jeanne", "Martin"), "names clearly disagree", id="swapped-jean-jeanne"),
        # Neighbours that are one person and still link by email.
        pytest.param(("Jean-Pierre", "Martin"), ("Jean", "Martin"), None, id="compound-first-name-shortened"),
        pytest.param(("J.", "Martin"), ("Jean", "Martin"), None, id="initial"),
        pytest.param(("Élodie", "MARTIN"), ("elodie", "Martin"), None, id="accents-and-case"),
        pytest.param(("Martin", "Élodie"), ("Élodie", "Martin"), None, id="swapped"),
        pytest.param(("Alexandre", "Martin"), ("Alexandra", "Martin"), "names clearly disagree", id="alexandre-a"),
    ],
)
def test_an_email_match_needs_first_names_of_one_person(payfit, equify, expected):
    result = run([P("p1", *payfit, "shared@example.fr")], [A("a1", *equify, "shared@example.fr")])
    if expected is None:
        check(result, {"p1": Expect("new", "link", "a1", "same email")})
    else:
        check(result, {"p1": Expect("conflict", "none", "a1", expected)})


@pytest.mark.parametrize(
    ("payfit", "equify", "expected"),
    [
        pytest.param({"birthDate": "1989-12-12"}, {"birthDate": "1960-01-01"}, "the birth dates differ", id="birth"),
        pytest.param({"matricule": "M001"}, {"matricule": "M999"}, "the matricules differ", id="matricule"),
        pytest.param(
            {"birthDate": "1989-12-12", "matricule": "1"},
            {"birthDate": "1960-01-01", "matricule": "2"},
            "the birth dates differ and the matricules differ",
            id="both",
        ),
    ],
)
def test_an_email_match_with_contradicting_evidence_is_a_conflict(payfit, equify, expected):
    result = run(
        [P("p1", "Jean", "Fontaine", "j.fontaine@example.fr", **payfit)],
        [A("a1", "Jean", "Fontaine", "j.fontaine@example.fr", **equify)],
    )
    check(result, {"p1": Expect("conflict", "none", "a1", f"same email as Jean Fontaine (a1), but {expected}")})


@pytest.mark.parametrize("swapped", [{"birthDate": "1985-12-03"}, {"birthDate": None}, {"matricule": None}])
def test_an_email_match_with_no_contradiction_links(swapped):
    """A day/month swap or a missing value is no contradiction."""
    result = run(
        [P("p1", "Jean", "Fontaine", "j@example.fr", birthDate="1985-03-12", matricule="1")],
        [A("a1", "Jean", "Fontaine", "j@example.fr", **{"birthDate": "1985-03-12", "matricule": "1", **swapped})],
    )
    assert result.links["target_id"].tolist() == ["a1"]


@pytest.mark.parametrize("placeholder", ["NULL", "None", "-", "0", "000", "n/a", "N/A", "inconnu", 0])
def test_placeholder_identifiers_are_no_evidence(placeholder):
    """A matricule or email that stands for "nothing" never links two people (nor blocks anyone)."""
    result = run(
        [P("p1", "Jean", "Dupont", placeholder, matricule=placeholder)],
        [
            A("a1", "Paul", "Durand", placeholder, matricule=placeholder),
            A("a2", "Luc", "Roy", None, matricule=placeholder),
        ],
    )
    check(result, {"p1": Expect("new", "create", None)})
    assert result.candidates.empty


def test_an_account_carrying_another_payfit_id_is_never_linked_by_email():
    result = run(
        [P("p1", "Jean", "Dupont", "j@example.fr")], [A("a1", "Jean", "Dupont", "j@example.fr", payfitId="p9")]
    )
    check(result, {"p1": Expect("conflict", "none", "a1", "already linked to another Payfit record")})


def test_an_account_two_decisions_dispute_is_not_linked_automatically_to_a_third():
    result = run(
        [P("p1", "A", "B"), P("p2", "C", "D"), P("p3", "Jean", "Dupont", "j@example.fr")],
        [A("a1", "Jean", "Dupont", "j@example.fr")],
        decisions=[Decision("p1", "link", "a1"), Decision("p2", "link", "a1")],
    )
    check(result, {"p3": Expect("conflict", "none", "a1", "already linked to another Payfit record")})


def test_an_identifier_comes_before_a_shared_mailbox():
    """§5 order: the account carrying the Payfit id links even though the record's email is shared."""
    result = run(
        [P("p1", "Jean", "Dupont", "rh@example.fr"), P("p2", "Anne", "Roux", "rh@example.fr")],
        [A("a1", "Jean", "Dupont", None, payfitId="p1")],
    )
    check(result, {"p1": Expect("new", "link", "a1", "same Payfit ID")})
    check(result, {"p2": Expect("conflict", "none", None, "shared by 2 Payfit records")})


def test_a_shared_mailbox_reason_does_not_say_the_record_has_no_email():
    result = run(
        [P("p1", "Marc", "Petit", "rh@example.fr"), P("p2", "Anne", "Roux", "rh@example.fr")],
        [A("a1", "Marc", "Petit", "marc.petit@example.fr")],
    )
    reason = result.records.set_index("source_id").loc["p1", "reason"]
    assert "has no email" not in reason and "whose email differs" in reason


def test_ids_are_compared_as_cleaned_everywhere():
    """Ids with spaces, invisible characters, integers and integral floats meet the ledger,
    the decisions, Payfit ids and matricules as the same text."""
    result = run(
        [
            P("P1 ", "Jean", "Dupont"),
            P("P2\u00a0", "Anne", "Roux"),
            P(3, "Paul", "Durand"),
            P("P4", "Luc", "Roy", matricule=42.0),
            P("P5", "Eve", "Blanc"),
        ],
        [
            A("T0 ", "Jean", "Dupont"),
            A("T1", "Anne", "Roux"),
            A("T2", "Paul", "Durand"),
            A("T4", "Luc", "Roy", matricule="42"),
            A("T5", "Eve", "Blanc", payfitId=" P5"),
        ],
        ledger={"P1": "T0"},
        decisions=[Decision("P2", "exclude"), Decision(3, "link", "T2")],
    )
    rec = result.records.set_index("source_id")
    assert list(rec.index) == ["P1", "P2", "3", "P4", "P5"]
    assert rec.loc["P1", "category"] == "synced"
    assert rec.loc["P2", "category"] == "excluded"
    assert (rec.loc["3", "action"], rec.loc["3", "target_id"]) == ("link", "T2")
    assert (rec.loc["P4", "rule"], rec.loc["P4", "target_id"]) == ("matricule", "T4")
    assert (rec.loc["P5", "rule"], rec.loc["P5", "target_id"]) == ("payfit_id", "T5")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda s, t: match([1], t), "must be a pandas DataFrame", id="source-list"),
        pytest.param(lambda s, t: match(s, None), "must be a pandas DataFrame", id="target-none"),
        pytest.param(lambda s, t: match(s, t, mapping=["x"]), "mapping must be a dict", id="mapping-list"),
        pytest.param(lambda s, t: match(s, t, mapping={"firstName": 5}), "must be a source column", id="mapping-int"),
        pytest.param(lambda s, t: match(s, t, mapping={"id": "mail"}), "cannot set 'id'", id="mapping-id"),
        pytest.param(lambda s, t: match(s, t, mapping={"firstname": "f"}), "did you mean 'firstName'", id="typo"),
        pytest.param(lambda s, t: match(s, t, mapping={"Email": "f"}), "did you mean 'email'", id="typo-case"),
        pytest.param(lambda s, t: match(s, t, mapping={"phoneNumber": "f"}), "none of the fields", id="no-name"),
        pytest.param(lambda s, t: match(s, t, ledger=[("s", "t")]), "ledger must be a dict", id="ledger-list"),
        pytest.param(lambda s, t: match(s, t, ledger={"p1": None}), "empty id", id="ledger-none"),
        pytest.param(lambda s, t: match(s, t, decisions="abc"), "decisions must be", id="decisions-str"),
        pytest.param(lambda s, t: match(s, t, decisions=[{"a": 1}]), "Decision objects", id="decisions-dicts"),
        pytest.param(lambda s, t: match(s, t, settings={"x": 1}), "must be a MatchSettings", id="settings-dict"),
        pytest.param(lambda s, t: match(s, t.rename(columns={"email": "Email"})), "looks like the field", id="case"),
        pytest.param(
            lambda s, t: match(s, t.rename(columns={"firstName": "prenom", "lastName": "nom", "email": "mail"})),
            "none of the fields matching uses",
            id="target-without-canonical-names",
        ),
        pytest.param(
            lambda s, t: match(pd.concat([s, s[["firstName"]]], axis=1), t), "more than once", id="repeated-column"
        ),
    ],
)
def test_wrong_arguments_are_input_errors(call, message):
    source = pd.DataFrame([P("p1", "Jean", "Dupont", "j@example.fr", f="Jean")])
    target = pd.DataFrame([A("a1", "Jean", "Dupont", "j@example.fr")])
    with pytest.raises(InputError, match=message):
        call(source, target)


@pytest.mark.parametrize(
    "changes",
    [
        {"max_block_pairs": float("inf")},
        {"max_block_pairs": -1},
        {"name_threshold": None},
        {"name_threshold": 101},
        {"name_weight": float("nan")},
        {"default_region": None},
        {"default_region": "XX"},
    ],
)
def test_settings_are_checked_when_made(changes):
    with pytest.raises(InputError, match="MatchSettings"):
        MatchSettings(**changes)


@pytest.mark.parametrize(
    "decision",
    [lambda: Decision("p1", "merge"), lambda: Decision("p1", "link"), lambda: Decision("p1", "link", " ")],
    ids=["unknown-action", "link-without-account", "link-to-blank"],
)
def test_decisions_are_checked_when_made(decision):
    with pytest.raises(InputError):
        decision()


def test_cells_holding_lists_do_not_crash():
    result = run(
        [{"id": "p1", "firstName": ["Jean"], "lastName": "Dupont", "email": ["j@x.fr"]}],
        [A("a1", "Jean", "Dupont", None, phoneNumber=("06",))],
    )
    assert len(result.records) == 1


def test_a_value_shared_by_very_many_records_is_dropped_not_multiplied():
    """A switchboard phone on 300 records and 300 accounts gives no 90,000 pairs; namesakes
    crowded out become conflicts that say so, never creates."""
    settings = MatchSettings(max_exact_block_pairs=1000)
    source = [P(f"p{i}", "Jean", "Martin", phoneNumber="01 40 00 00 00") for i in range(40)]
    target = [A(f"a{i}", "Jean", "Martin", phoneNumber="+33140000000") for i in range(40)]
    result = run(source, target, settings=settings)
    assert result.candidates.empty
    report = result.blocking.set_index("rule")
    assert report.loc["phone", "crowded_keys"] == report.loc["name", "crowded_keys"] == 1
    assert set(result.records["category"]) == {"conflict"}
    assert result.records["reason"].str.contains("40 Equify accounts have this exact name").all()


def test_a_long_tie_lists_five_accounts_and_counts_the_rest():
    result = run([P("p1", "Jean", "Martin")], [A(f"a{i:02d}", "Jean", "Martin") for i in range(12)])
    reason = result.records.loc[0, "reason"]
    assert reason.startswith("12 Equify accounts tie") and reason.endswith("and 7 more)")


def test_very_long_names_are_cut_before_comparison():
    import time

    long = "x" * 10_000
    start = time.perf_counter()
    result = run(
        [P(f"p{i}", long + str(i), long) for i in range(10)], [A(f"a{i}", long, long + str(i)) for i in range(10)]
    )
    assert time.perf_counter() - start < 10  # was about a minute: Damerau-Levenshtein on 20,000 characters
    assert len(result.records) == 10


# (#14) "None", "NULL", "N/A" are names like any other (tests/sources/test_missing_markers.py); punctuation is no name.
@pytest.mark.parametrize("name", [("?", "?"), ("de", "la"), ("-", "-")])
def test_placeholder_and_particle_only_names_never_pair(name):
    result = run([P("p1", *name)], [A("a1", *name)])
    assert result.candidates.empty
    check(result, {"p1": Expect("new", "create", None)})


@pytest.mark.parametrize("written", ["Jean Dupont <J.Dupont@example.fr>", "<mailto:j.dupont@example.fr>"])
def test_emails_pasted_with_a_display_name_or_mailto_link(written):
    result = run([P("p1", "Jean", "Dupont", written)], [A("a1", "Jean", "Dupont", "j.dupont@example.fr")])
    check(result, {"p1": Expect("new", "link", "a1", "same email")})


def test_phone_separators_removed_before_parsing_give_the_same_reading():
    """The matcher parses each number once without its separators; the E.164 reading, region
    and usability must be those of the number as written (P1 formats and neighbours)."""
    import random

    from reconcile.matching.normalize import normalize_phone
    from reconcile.matching.sides import _phone_digits

    rng = random.Random(5)
    written = ["06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "+33 (0)6 12 34 56 78", "0033 6 12 34 56 78"]
    written += ["0470 12 34 56", "+32 470 12 34 56", "079 123 45 67", "01 23 45 67 89", "06 12 34", "+1 (212) 555-0100"]
    for _ in range(500):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 12)))
        sep = rng.choice([" ", ".", "-", "/", "\u00a0", ""])
        written.append(
            rng.choice(["", "+", "+33 ", "0033", "(0)"]) + sep.join(digits[k : k + 2] for k in range(0, len(digits), 2))
        )
    for raw in written:
        for hint in (None, "FR", "BE", "CH"):
            a, b = normalize_phone(raw, "FR", hint), normalize_phone(_phone_digits(raw), "FR", hint)
            assert (a.e164, a.region, a.usable) == (b.e164, b.region, b.usable), (raw, hint)


# ---------------------------------------------------------------------------- second round of breaking match()
@pytest.mark.parametrize(
    ("payfit", "equify"),
    [
        pytest.param(("Jeanne", "Dupont"), ("Dupont", "Jean"), id="account-swapped"),
        pytest.param(("Dupont", "Jeanne"), ("Jean", "Dupont"), id="record-swapped"),
        pytest.param(("Julie", "Martin"), ("Martin", "Julien"), id="account-swapped-julie-julien"),
        pytest.param({"fullName": "Jeanne Dupont"}, ("Jean", "Dupont"), id="full-name-record"),
        pytest.param(("Jean", "Dupont"), {"fullName": "Dupont Jeanne"}, id="full-name-account"),
        pytest.param((None, "Jeanne Dupont"), ("Jean", "Dupont"), id="one-part-record"),
    ],
)
def test_first_names_are_compared_whatever_the_columns_or_order(payfit, equify):
    src = P("p1", email="j@example.fr", **payfit) if isinstance(payfit, dict) else P("p1", *payfit, "j@example.fr")
    tgt = A("a1", email="j@example.fr", **equify) if isinstance(equify, dict) else A("a1", *equify, "j@example.fr")
    result = run([src], [tgt])
    check(result, {"p1": Expect("conflict", "none", "a1", "names clearly disagree")})


@pytest.mark.parametrize(
    "placeholder",
    ["—", "NC", "non renseigné", "sans", "０", "ＮＵＬＬ", "-1", "999999"],
)
def test_more_placeholder_matricules_are_no_evidence(placeholder):
    result = run([P("p1", "Jean", "Martin", matricule=placeholder)], [A("a1", "Jean", "Martin", matricule=placeholder)])
    check(result, {"p1": Expect("conflict", "none", "a1", "same first and last name")})


@pytest.mark.parametrize(
    "email",
    ["none@none.com", "null@null.fr", "inconnu@inconnu.fr", "test@test.com", "noreply@example.fr", "pas.de.mail@x.fr"],
)
def test_placeholder_mailboxes_are_no_evidence(email):
    result = run([P("p1", "Jean", "Martin", email)], [A("a1", "Jean", "Martin", email)])
    check(result, {"p1": Expect("conflict", "none", "a1", "same first and last name")})


@pytest.mark.parametrize(
    ("payfit", "equify"),
    [
        pytest.param(("Jean", "Matrin"), ("Jean", "Martin"), id="last-name-letters-swapped"),
        pytest.param(("eJan", "Martin"), ("Jean", "Martin"), id="first-name-letters-swapped"),
    ],
)
def test_two_swapped_letters_still_meet_in_blocking(payfit, equify):
    """ "One typo tolerated": a transposition in the middle of a short name is found (name_letters)."""
    result = run([P("p1", *payfit)], [A("a1", *equify)])
    assert result.candidates["rule"].tolist() == ["name_letters"]
    check(result, {"p1": Expect("conflict", "none", "a1", "(name score")})


def test_an_empty_source_gives_an_empty_result():
    result = match(pd.DataFrame({"id": [], "email": []}), pd.DataFrame({"id": ["T0"], "email": ["j@x.fr"]}))
    assert result.records.empty and result.links.empty and result.candidates.empty


def test_a_ledger_with_two_entries_for_one_record_is_refused():
    with pytest.raises(InputError, match="two entries for the Payfit record 'a'"):
        run([P("a", "Jean", "Dupont")], [A("T1", "Jean", "Dupont")], ledger={"a": "T3", "a ": "T1"})


@pytest.mark.parametrize(
    "make",
    [
        lambda: MatchSettings(tie_margin=-1),
        lambda: MatchSettings(birthdate_penalty=-5),
        lambda: MatchSettings(max_exact_block_pairs=0),
        lambda: Decision("a", "create", "T1"),
        lambda: Decision("a", "exclude", "T1"),
        lambda: Decision("", "exclude"),
        lambda: Decision(None, "exclude"),
    ],
    ids=[
        "negative-tie-margin",
        "negative-penalty",
        "no-exact-pairs",
        "create-with-account",
        "exclude-with-account",
        "empty-source",
        "none-source",
    ],
)
def test_more_values_checked_when_made(make):
    with pytest.raises(InputError):
        make()
