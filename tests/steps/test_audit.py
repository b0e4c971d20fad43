"""Match-quality audit against a small truth table checked by hand (issue 7)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reconcile import InputError, match
from reconcile.audit import (
    blocking_recall,
    confusion,
    disagreements,
    evaluate,
    explain_pair,
    read_truth,
    score_distribution,
    threshold_sweep,
    truth_from_decisions,
)
from reconcile.models import Decision

SOURCE = pd.DataFrame(
    {
        "id": ["P1", "P2", "P3", "P4", "P5"],
        "firstName": ["Jean", "Marie", "Paul", "Luc", "Anne"],
        "lastName": ["Dupont", "Curie", "Martin", "Besson", "Roy"],
        "email": ["j.dupont@x.fr", "m.curie@x.fr", None, "l.besson@x.fr", "anne.roy@x.fr"],
    }
)
TARGET = SOURCE.assign(
    id=["A1", "A2", "A3", "A4", "A5"], email=["j.dupont@x.fr", "marie@other.fr", None, "l.besson@x.fr", "anne.roy@x.fr"]
)
# By hand: P1, P5 are A1, A5 (same email, linked: right); P2 is A2 (a conflict: emails differ);
# P3 is not A3 (another Paul Martin); P4 is not A4 (a recycled mailbox: linked, wrongly).
TRUTH = pd.DataFrame({"source_id": ["P1", "P2", "P3", "P4", "P5"], "target_id": ["A1", "A2", None, None, "A5"]})


NO_DECISION = {"decided right": 0, "decided wrong": 0}  # (#14) people's links have their own rows


@pytest.fixture(scope="module")
def result():
    return match(SOURCE, TARGET)


def test_metrics_of_the_automatic_links_and_of_the_proposals(result) -> None:
    metrics = evaluate(result, TRUTH, threshold=70)
    # automatic links {P1A1, P4A4, P5A5} against the truth {P1A1, P2A2, P5A5}
    assert metrics["auto"].as_dict() == {"tp": 2, "fp": 1, "fn": 1, "precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    # proposals add the likely matches P2A2 (right) and P3A3 (wrong)
    assert metrics["proposed"].as_dict() == {"tp": 3, "fp": 2, "fn": 0, "precision": 0.6, "recall": 1.0, "f1": 0.75}
    # above every likely match's score, the proposals are the automatic links
    assert evaluate(result, TRUTH, threshold=90)["proposed"] == metrics["auto"]


def test_confusion_and_disagreements(result) -> None:
    table = confusion(result, TRUTH)
    assert table.to_dict() == {
        "has an account": {
            "linked right": 2,
            "linked wrong": 0,
            **NO_DECISION,
            "conflict": 1,
            "create": 0,
            "excluded": 0,
        },
        "has none": {"linked right": 0, "linked wrong": 1, **NO_DECISION, "conflict": 1, "create": 0, "excluded": 0},
    }
    odd = disagreements(result, TRUTH)
    assert odd[["source_id", "predicted", "expected"]].values.tolist() == [["P2", None, "A2"], ["P4", "A4", None]]


def test_threshold_sweep_and_score_distribution(result) -> None:
    sweep = threshold_sweep(result, [70, 80, 85]).set_index("threshold")
    assert sweep.loc[70.0].tolist() == [3, 2, 0]  # auto links, accepted, left for review
    assert sweep.loc[80.0].tolist() == [3, 2, 0]
    assert sweep.loc[85.0].tolist() == [3, 0, 2]
    dist = score_distribution(result)
    assert sorted(dist["set"]) == ["conflict", "conflict", "new", "new", "new"]
    assert dist.loc[dist["set"] == "conflict", "score"].tolist() == [80.0, 80.0]


def test_explain_a_pair(result) -> None:
    points = explain_pair(result, "P2", "A2").set_index("field")["points"]
    assert points.to_dict() == {"name": 80.0, "birth date": 0.0, "phone": 0.0, "matricule": 0.0}
    with pytest.raises(InputError, match="never compared"):
        explain_pair(result, "P1", "A5")


def test_blocking_report_counts_true_pairs(result) -> None:
    report = blocking_recall(result, TRUTH).set_index("rule")
    assert report.loc["email", "true_pairs"] == 2 and report.loc["name", "true_pairs"] == 1
    assert report.loc["missed", "true_pairs"] == 0
    assert "true_pairs" not in blocking_recall(result).columns


def test_truth_from_decisions() -> None:
    decisions = {
        "P2": Decision("P2", "link", "A2"),
        "P3": Decision("P3", "create"),
        "P4": Decision("P4", "exclude"),
    }
    truth = truth_from_decisions(decisions)
    assert truth.values.tolist() == [["P2", "A2"], ["P3", None]]


def test_read_truth_files(tmp_path: Path) -> None:
    good = tmp_path / "truth.csv"
    good.write_text("source_id;target_id\nP1;A1\nP3;\n", encoding="utf-8")
    assert read_truth(good).values.tolist() == [["P1", "A1"], ["P3", None]]
    twice = tmp_path / "twice.csv"  # one person, two accounts: both are right
    twice.write_text("source_id,target_id\nP1,A1\nP1,A2\nP1,A1\n", encoding="utf-8")
    assert read_truth(twice).values.tolist() == [["P1", "A1"], ["P1", "A2"]]
    contradiction = tmp_path / "contradiction.csv"
    contradiction.write_text("source_id,target_id\nP1,A1\nP1,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"contradiction.csv row 2: the record P1 is given with no account and with"):
        read_truth(contradiction)
    missing = tmp_path / "missing.csv"
    missing.write_text("payfit,equify\nP1,A1\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing.csv"):
        read_truth(missing)


def test_the_demo_ground_truth_reads_and_no_automatic_link_is_wrong(demo_workspace, demo_dir: Path) -> None:
    """reconcile/demo/ground_truth.csv (payfit_id, equify_account_id) is a truth file as it is."""
    from reconcile import workflow

    truth = read_truth(demo_dir / "ground_truth.csv")
    assert len(truth) > 50 and truth["target_id"].notna().all()
    metrics = evaluate(workflow.run_match(demo_workspace), truth)
    assert metrics["auto"].fp == 0 and metrics["auto"].precision == 1.0


def test_a_record_with_two_true_accounts_is_right_linked_to_either(result) -> None:
    truth = pd.concat([TRUTH, pd.DataFrame({"source_id": ["P1"], "target_id": ["A9"]})], ignore_index=True)
    assert evaluate(result, truth, threshold=70)["auto"].as_dict()["tp"] == 2  # P1 → A1 still right
    assert confusion(result, truth).loc["linked right", "has an account"] == 2
    assert "P1" not in disagreements(result, truth)["source_id"].tolist()


def test_records_the_match_does_not_know_are_left_out(result, tmp_path: Path) -> None:
    truth = pd.concat([TRUTH, pd.DataFrame({"source_id": ["P99"], "target_id": ["A99"]})], ignore_index=True)
    assert evaluate(result, truth, threshold=70) == evaluate(result, TRUTH, threshold=70)
    empty = tmp_path / "empty.csv"
    empty.write_text("source_id,target_id\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.csv"):
        read_truth(empty)
