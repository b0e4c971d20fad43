"""Blocking recall (issue 14, docs/doubt_policy.md §5): a pair a person would call "maybe the same"
must at least be compared. Each row is one record and one account that share no key of the older
rules (no email, phone, whole name, last name with an initial, 4-letter prefix or suffix, sorted
letters, initials with a birth date): only the new rule named finds them, in both directions (the
record and the account exchanged). Loose keys stay under ``max_block_pairs``: a crowded block is
dropped and counted, never a cross product.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reconcile import match
from reconcile.audit import blocking_recall, blocking_recall_rate
from reconcile.matching.matcher import BLOCKING_COLUMNS, BLOCKING_RULES
from reconcile.models import MatchResult, MatchSettings


def person(id: str, first: Any, last: Any, **extra: Any) -> dict[str, Any]:
    """A record (or account) with canonical field names."""
    return {"id": id, "firstName": first, "lastName": last, **extra}


def blocked(a: dict[str, Any], b: dict[str, Any], **kwargs: Any) -> MatchResult:
    """``a`` as the only Payfit record, ``b`` as the only Equify account."""
    return match(pd.DataFrame([{**a, "id": "p1"}]), pd.DataFrame([{**b, "id": "a1"}]), **kwargs)


NEW_RULES = {"mailbox", "surname_forms", "surname_birthdate", "near_matricule"}

ROWS = [
    # One edit in the middle of a short surname breaks both its 4-letter prefix and suffix.
    ("surname_forms", person("", "Léa", "Roux"), person("", "Léa", "Rous"), "letter changed"),
    ("surname_forms", person("", "Hugo", "Dupuy"), person("", "Hugo", "Duuy"), "letter removed"),
    ("surname_forms", person("", "Inès", "Morel"), person("", "Inès", "Moirel"), "letter added"),
    ("surname_forms", person("", "Zoé", "Faure"), person("", "Zoé", "Fayre"), "vowel changed"),
    # An initial-only given name: with the surname as written the older last_name key finds it;
    # with a birth name only the given name's first sound does.
    ("last_name", person("", "J.", "Roux"), person("", "Jean", "Roux"), "initial"),
    ("surname_forms", person("", "C.", "Martin", birthName="Durand"), person("", "Claire", "Durand"), "initial"),
    ("surname_forms", person("", "Elias", "Benali"), person("", "Ilyas", "Benali"), "given spelling"),
    # A birth or married name in the birthName / secondLastName column.
    ("surname_forms", person("", "Claire", "Martin", birthName="Durand"), person("", "Claire", "Durand"), "birthName"),
    (
        "surname_forms",
        person("", "Aude", "Garnier", secondLastName="Lopez"),
        person("", "Aude", "Lopez"),
        "secondLastName",
    ),
    (
        "surname_forms",
        person("", "Denise", "Huviriot", birthName="Sersagec"),
        person("", "Denise", "Sersaec"),
        "birth name with a letter removed",
    ),
    # The same surname and birth date, another given name (a usual name, a civil name).
    (
        "surname_birthdate",
        person("", "Claire", "Vidal", birthDate="1980-02-03"),
        person("", "Sophie", "Vidal", birthDate="1980-02-03"),
        "birth date",
    ),
    (
        "surname_birthdate",
        person("", "Claire", "Vidal", birthDate="1980-02-03"),
        person("", "Sophie", "Vidal", birthDate="1980-03-02"),
        "day and month swapped",
    ),
    (
        "surname_birthdate",
        person("", "Laura", "Pegacourès", birthName="Fonpigaux", birthDate="1981-07-07"),
        person("", "Fonpigaux", "Laura", birthDate="1981-07-07"),
        "swapped fields and a birth name",
    ),
    # A near matricule, the names otherwise unrelated to the older keys.
    (
        "near_matricule",
        person("", "Paul", "Lefèvre", matricule="10452"),
        person("", "Paulo", "Lefebvre", matricule="10542"),
        "two digits swapped",
    ),
    (
        "near_matricule",
        person("", "Paul", "Lefèvre", matricule="10452"),
        person("", "Paulo", "Lefebvre", matricule="10482"),
        "one digit changed",
    ),
    (
        "near_matricule",
        person("", "Paul", "Lefèvre", matricule="EMP-0452"),
        person("", "Paulo", "Lefebvre", matricule="emp 0542"),
        "case, separator and a swap",
    ),
    # One mailbox written two ways (exact rule), whatever the names.
    (
        "mailbox",
        person("", "Claire", "Morel", email="claire+rh@example.fr"),
        person("", "Clara", "Mattei", email="claire@example.fr"),
        "+tag",
    ),
    (
        "mailbox",
        person("", "Zoé", "Abel", email="jean.dupont@gmail.com"),
        person("", "Anne", "Roy", email="jeandupont@googlemail.com"),
        "Gmail dots",
    ),
]


@pytest.mark.parametrize(("rule", "a", "b", "what"), ROWS, ids=[f"{r[0]}-{r[3]}" for r in ROWS])
@pytest.mark.parametrize("direction", ["payfit-first", "equify-first"])
def test_each_kind_produces_the_candidate_pair(rule: str, a: dict, b: dict, what: str, direction: str) -> None:
    if direction == "equify-first":
        a, b = b, a
    result = blocked(a, b)
    assert list(zip(result.candidates["source_id"], result.candidates["target_id"], strict=True)) == [("p1", "a1")]
    assert result.candidates["rule"].tolist() == [rule], what
    report = result.blocking.set_index("rule")
    assert report.loc[rule, "pairs"] == 1
    if rule in NEW_RULES:  # the older rules alone would never have compared them
        assert report.loc[[r[0] for r in BLOCKING_RULES if r[0] not in NEW_RULES], "pairs"].sum() == 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (person("", "Léa", "Roux"), person("", "Marc", "Rous")),  # one edit and another given name
        (person("", "Claire", "Vidal", birthDate="1980-02-03"), person("", "Sophie", "Vidal")),  # no date
        (person("", "Paul", "Lefèvre", matricule="10452"), person("", "Paulo", "Lefebvre", matricule="77310")),
        (person("", "Paul", "Lefèvre", matricule="10452"), person("", "Marc", "Girard", matricule="10453")),
        (
            person("", "Claire", "Morel", email="claire+rh@example.fr"),
            person("", "Clara", "Mattei", email="clara@x.fr"),
        ),
    ],
)
def test_unrelated_pairs_stay_apart(a: dict, b: dict) -> None:
    """The new keys are not a cross product: what shares no form stays uncompared."""
    assert blocked(a, b).candidates.empty
    assert blocked(b, a).candidates.empty


@pytest.mark.parametrize(
    ("rule", "records", "accounts"),
    [
        # 25 × 40 = 1,000 pairs on one surname key (d:rou + Léa), nothing else in common.
        ("surname_forms", [person("", "Léa", "Roux")] * 25, [person("", "Léa", "Rous")] * 40),
        (
            "surname_birthdate",
            [person("", "Claire", "Vidal", birthDate="1980-02-03")] * 25,
            [person("", "Sophie", "Vidal", birthDate="1980-02-03")] * 40,
        ),
        (
            "near_matricule",
            [person("", "Paul", "Lefèvre", matricule="10452")] * 25,
            [person("", "Paulo", "Lefebvre", matricule="10542")] * 40,
        ),
    ],
)
def test_a_crowded_block_is_dropped_and_counted(rule: str, records: list, accounts: list) -> None:
    source = pd.DataFrame([{**r, "id": f"p{k}"} for k, r in enumerate(records)])
    target = pd.DataFrame([{**r, "id": f"a{k}"} for k, r in enumerate(accounts)])
    capped = match(source, target)  # default max_block_pairs = 100 < 1,000
    assert capped.candidates.empty
    assert capped.blocking.set_index("rule").loc[rule, "crowded_keys"] >= 1
    assert set(capped.records["action"]) == {"create"}
    # The same data under a cap above the block: every pair (the cap, not the key, kept them apart).
    loose = match(source, target, settings=MatchSettings(max_block_pairs=1000))
    assert len(loose.candidates) == 1000
    assert loose.blocking.set_index("rule").loc[rule, "crowded_keys"] == 0


def test_blocking_recall_against_a_truth() -> None:
    """``audit.blocking_recall`` adds the true pairs each rule was the strongest to find and the
    true pairs no rule paired; ``blocking_recall_rate`` gives the share found."""
    source = pd.DataFrame(
        [
            person("p1", "Léa", "Roux"),
            person("p2", "Claire", "Martin", birthName="Durand"),
            person("p3", "Jean", "Petit"),
            person("p4", "Marc", "Blanc"),
        ]
    )
    target = pd.DataFrame(
        [
            person("a1", "Léa", "Rous"),
            person("a2", "Claire", "Durand"),
            person("a3", "Jean", "Petit"),
            person("a4", "Luc", "Noir"),  # p4's true account, which shares nothing with it
        ]
    )
    truth = pd.DataFrame({"source_id": ["p1", "p2", "p3", "p4"], "target_id": ["a1", "a2", "a3", "a4"]})
    result = match(source, target)
    report = blocking_recall(result, truth).set_index("rule")
    assert list(report.columns) == [*BLOCKING_COLUMNS[1:], "true_pairs"]
    assert report.loc["surname_forms", "true_pairs"] == 2
    assert report.loc["name", "true_pairs"] == 1
    assert report.loc["missed", "true_pairs"] == 1
    assert blocking_recall_rate(result, truth) == pytest.approx(0.75)
    assert blocking_recall_rate(result, truth[truth["source_id"] != "p4"]) == 1.0
