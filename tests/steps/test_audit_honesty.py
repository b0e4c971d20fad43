"""Audit honesty (issue 14): a link of a record the truth gives no account, or to an account the
truth does not give, is a wrong link, whether the matcher or a person made it; automatic links
and people's decisions are counted apart; blocking recall is the share of true pairs paired."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reconcile import Decision, match
from reconcile.audit import (
    blocking_recall_rate,
    confusion,
    disagreements,
    evaluate,
    truth_from_decisions,
)

# Five people, each with an account of the same name and email: every record links by email.
SOURCE = pd.DataFrame(
    {
        "id": ["P1", "P2", "P3", "P4", "P5"],
        "firstName": ["Jean", "Marie", "Paul", "Luc", "Anne"],
        "lastName": ["Dupont", "Curie", "Martin", "Besson", "Roy"],
        "email": ["j.dupont@x.fr", "m.curie@x.fr", "p.martin@x.fr", "l.besson@x.fr", "anne.roy@x.fr"],
    }
)
TARGET = pd.concat(
    [
        SOURCE.assign(id=["A1", "A2", "A3", "A4", "A5"]),
        pd.DataFrame({"id": ["A9"], "firstName": ["Hugo"], "lastName": ["Blanc"], "email": ["h.blanc@x.fr"]}),
    ],
    ignore_index=True,
)


def _truth(*pairs: tuple[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["source_id", "target_id"], dtype=object)


def _metrics(decisions: list[Decision], truth: pd.DataFrame, **kw: Any) -> dict[str, dict[str, float]]:
    result = match(SOURCE, TARGET, decisions=decisions)
    return {k: m.as_dict() for k, m in evaluate(result, truth, threshold=100, **kw).items()}


def _counts(m: dict[str, float]) -> tuple[float, float, float]:
    return m["tp"], m["fp"], m["fn"]


# (decisions, truth, expected (tp, fp, fn) of the automatic links, of the decisions)
ROWS = [
    pytest.param(
        [],
        _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4"), ("P5", "A5")),
        (5, 0, 0),
        (0, 0, 0),
        id="all-right-no-decision",
    ),
    pytest.param(
        [],
        _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4")),
        (4, 1, 0),
        (0, 0, 0),
        id="automatic-link-of-a-record-absent-from-the-truth-is-wrong",
    ),
    pytest.param(
        [Decision("P5", "link", "A9")],
        _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4")),
        (4, 0, 0),
        (0, 1, 0),
        id="decision-linking-a-record-absent-from-the-truth-is-wrong",
    ),
    pytest.param(
        [Decision("P5", "link", "A9")],
        _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4"), ("P5", "A5")),
        (4, 0, 0),
        (0, 1, 1),
        id="decision-linking-an-account-the-truth-does-not-give-is-wrong",
    ),
    pytest.param(
        [Decision("P5", "link", "A9")],
        _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4"), ("P5", None)),
        (4, 0, 0),
        (0, 1, 0),
        id="decision-linking-a-record-the-truth-says-has-none-is-wrong",
    ),
    pytest.param(
        [Decision("P5", "link", "A5")],
        _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4"), ("P5", "A5")),
        (4, 0, 0),
        (1, 0, 0),
        id="right-decision-counted-apart",
    ),
    pytest.param(
        [Decision("P4", "link", "A9"), Decision("P5", "link", "A4")],
        _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4"), ("P5", "A5")),
        (3, 0, 0),
        (0, 2, 2),
        id="two-wrong-decisions-the-automatic-links-stay-clean",
    ),
]


@pytest.mark.parametrize(("decisions", "truth", "auto", "decided"), ROWS)
def test_wrong_links_are_counted_whoever_made_them(decisions, truth, auto, decided) -> None:
    metrics = _metrics(decisions, truth)
    assert _counts(metrics["auto"]) == auto
    assert _counts(metrics["decisions"]) == decided


def test_a_wrong_decision_shows_in_the_confusion_and_disagreements() -> None:
    result = match(SOURCE, TARGET, decisions=[Decision("P5", "link", "A9")])
    truth = _truth(("P1", "A1"), ("P2", "A2"), ("P3", "A3"), ("P4", "A4"))  # P5 absent: no account
    table = confusion(result, truth)
    assert table.loc["linked right", "has an account"] == 4
    assert table.loc["decided wrong", "has none"] == 1
    assert table.loc["linked wrong"].sum() == 0 and table.loc["decided right"].sum() == 0
    odd = disagreements(result, truth)
    assert odd[["source_id", "predicted", "expected", "by"]].values.tolist() == [["P5", "A9", None, "decision"]]


def test_the_decisions_truth_is_partial_undecided_records_are_not_judged() -> None:
    """Against the truth the decisions give, a record nobody decided on is unknown, not 'no account'."""
    decisions = [Decision("P5", "link", "A5")]
    result = match(SOURCE, TARGET, decisions=decisions)
    truth = truth_from_decisions({d.source_id: d for d in decisions})
    metrics = evaluate(result, truth)
    assert _counts(metrics["auto"].as_dict()) == (0, 0, 0)
    assert _counts(metrics["decisions"].as_dict()) == (1, 0, 0)
    # the same pairs read as a complete truth file: the four automatic links are of records with no account
    assert _counts(evaluate(result, truth, complete=True)["auto"].as_dict()) == (0, 4, 0)


@pytest.mark.parametrize(
    ("truth", "expected"),
    [
        pytest.param(_truth(("P1", "A1"), ("P2", "A2")), 1.0, id="all-paired"),
        pytest.param(_truth(("P1", "A1"), ("P2", "A9")), 0.5, id="one-never-compared"),
        pytest.param(_truth(("P1", "A1"), ("P99", "A99"), ("P2", "A9"), ("P3", "A3")), 0.5, id="unknown-ids-missed"),
        pytest.param(_truth(("P1", None)), 1.0, id="no-pair"),
    ],
)
def test_blocking_recall_rate(truth: pd.DataFrame, expected: float) -> None:
    result = match(SOURCE, TARGET)
    assert ("P2", "A9") not in set(zip(result.candidates["source_id"], result.candidates["target_id"], strict=True))
    assert blocking_recall_rate(result, truth) == pytest.approx(expected)
