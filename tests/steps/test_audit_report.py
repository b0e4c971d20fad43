"""The HTML match-quality report (`reconcile export OUT.html`, `workflow.export_report`), issue 16:
counts print as integers, and the headline counts the links made by evidence, and says so."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pandas as pd

from reconcile import Decision, Workspace, audit, workflow
from reconcile.export import html_report
from reconcile.steps.export import EVIDENCE_LINKS


def _figures(report: str) -> dict[str, str]:
    """The headline: ``{what it counts: the figure}``, as printed."""
    pairs = re.findall(r"<div class='v'>(.*?)</div><div class='k'>(.*?)</div>", report)
    return {html.unescape(k): html.unescape(v) for v, k in pairs}


def _section(report: str, name: str) -> pd.DataFrame:
    """The section's table as printed: every cell the text shown."""
    table = re.search(rf"<h2>{re.escape(name)}</h2><table>(.*?)</table>", report)
    assert table, f"no {name} section"
    head = [html.unescape(x) for x in re.findall(r"<th>(.*?)</th>", table.group(1))]
    rows = [
        [html.unescape(x) for x in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1).split("<tbody>")[1])
    ]
    return pd.DataFrame(rows, columns=head)


def test_the_report_prints_counts_as_integers(demo_workspace: Workspace) -> None:
    truth = audit.read_truth(workflow.DEMO_DIR / "ground_truth.csv")
    report = workflow.export_report(demo_workspace, truth=truth)
    assert all(re.fullmatch(r"\d+", v) for v in _figures(report).values()), _figures(report)
    # with a truth, the blocking table's last row ("missed") has no pair count: pandas holds the
    # counts as floats, 157.0; the report prints 157, and nothing for the missed row
    blocking = _section(report, "Blocking")
    counts = blocking[["pairs", "strongest", "crowded_keys", "true_pairs"]]
    assert counts.iloc[:-1].map(lambda x: re.fullmatch(r"\d+", x) is not None).all().all(), counts
    assert blocking.iloc[-1]["rule"] == "missed" and blocking.iloc[-1][["pairs", "strongest"]].tolist() == ["", ""]
    expected = audit.blocking_recall(workflow.run_match(demo_workspace), truth)
    assert blocking["pairs"].iloc[:-1].astype(int).tolist() == expected["pairs"].iloc[:-1].astype(int).tolist()
    for name, columns in {
        "Thresholds": ["threshold", "auto_links", "accepted", "review"],
        "Confusion": ["has an account", "has none"],
        "Metrics": ["tp", "fp", "fn"],
    }.items():
        shown = _section(report, name)[columns]
        assert shown.map(lambda x: re.fullmatch(r"\d+", x) is not None).all().all(), (name, shown)
    # a column of numbers not all whole keeps its decimals
    assert any(re.fullmatch(r"\d+\.\d+", x) for x in _section(report, "Conflicts")["score"])


def test_html_report_prints_whole_columns_as_integers_and_keeps_fractions() -> None:
    counts = pd.DataFrame({"rule": ["email", "missed"], "pairs": [12.0, None], "share": [0.5, 1.0]})
    page = html_report({"T": counts}, title="t", summary={"links": 3.0, "share": 0.25})
    assert _figures(page) == {"links": "3", "share": "0.25"}
    shown = _section(page, "T")
    assert shown.to_dict("list") == {"rule": ["email", "missed"], "pairs": ["12", ""], "share": ["0.5", "1.0"]}


def test_the_headline_counts_only_the_links_made_by_evidence(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    before = workflow.run_match(ws)
    figures = _figures(workflow.export_report(ws))
    # the headline says what it counts, first
    assert next(iter(figures)) == EVIDENCE_LINKS
    assert "evidence" in EVIDENCE_LINKS and "decision" in EVIDENCE_LINKS
    by_evidence = before.records[before.records["rule"].isin(["payfit_id", "matricule", "email", "decision"])]
    linked = by_evidence[by_evidence["action"] == "link"]
    assert int(figures[EVIDENCE_LINKS]) == len(linked) > 0
    assert int(figures["conflict records"]) == before.counts()["conflict"] > 0  # conflicts not counted as links

    # push: every link and create becomes synced (rule ledger); then a person links one conflict
    workflow.push_workspace(ws, skip_conflicts=True)
    conflict = before.records[(before.records["category"] == "conflict") & before.records["target_id"].notna()].iloc[0]
    ws.decide([Decision(conflict["source_id"], "link", conflict["target_id"])])
    after = workflow.run_match(ws)
    synced = after.counts()["synced"]
    assert synced > 0 and len(after.links) == synced + 1
    figures = _figures(workflow.export_report(ws))
    assert figures[EVIDENCE_LINKS] == "1"  # the person's link; the synced rows are not counted
    assert figures["synced records"] == str(synced)
    assert audit.evidence_links(after)[["source_id", "rule"]].values.tolist() == [[conflict["source_id"], "decision"]]


def test_reconcile_export_html_prints_the_same_headline(demo_cli: Any, tmp_path: Path) -> None:
    """`reconcile export OUT.html --truth ...`: the headline counts as integers, evidence links first."""
    out = tmp_path / "report.html"
    assert demo_cli("export", str(out), "--truth", str(workflow.DEMO_DIR / "ground_truth.csv"))[0] == 0
    figures = _figures(out.read_text(encoding="utf-8"))
    assert next(iter(figures)) == EVIDENCE_LINKS
    assert all(re.fullmatch(r"\d+", v) for v in figures.values()), figures
    blocking = _section(out.read_text(encoding="utf-8"), "Blocking")
    assert not blocking["pairs"].str.endswith(".0").any()
