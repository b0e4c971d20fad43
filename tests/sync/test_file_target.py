"""The *file* target and spreadsheet-safe tables (formula injection neutralised)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from bench.push_common import creates_workspace
from reconcile import InputError, Workspace, workflow
from reconcile.export import safe_cell, write_table
from reconcile.sync.targets import FILE_COLUMNS, FileTarget

DANGEROUS = ['=HYPERLINK("http://x","y")', "+33612345678", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_starts_are_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Jean", "j.dupont@example.fr", "1985-03-12", "", "a=b", "06 12 34 56 78", None, 42])
def test_other_values_are_kept(value: object) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_tables_round_trip_through_pandas_neutralised(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"name": ["Jean", *DANGEROUS], "n": list(range(7))})
    path = write_table(frame, tmp_path / f"t{suffix}")
    back = pd.read_csv(path, dtype=str, keep_default_na=False) if suffix == ".csv" else pd.read_excel(path, dtype=str)
    expected = ["Jean", *["'" + v for v in DANGEROUS]]
    if suffix == ".xlsx":  # XML reads a carriage return inside text back as a line feed
        expected = [v.replace("\r", "\n") for v in expected]
    assert back["name"].tolist() == expected
    assert back["n"].astype(int).tolist() == list(range(7))
    if suffix == ".xlsx":
        cells = [c for row in load_workbook(path).active.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells)  # no formula anywhere


def test_a_table_needs_a_known_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="csv"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.txt")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_push_to_a_file_writes_the_creates_in_equify_order(tmp_path: Path, suffix: str) -> None:
    path = creates_workspace(tmp_path / "w.duckdb", 8)
    with Workspace.open(path) as ws:
        records = ws.payfit_records()
        records.loc[0, "firstName"] = "=cmd|' /C calc'!A0"  # a formula typed into Payfit
        ws.load_payfit(records)
        out = tmp_path / f"equify{suffix}"
        result = workflow.push_workspace(ws, target=FileTarget(out))
        assert (result.created, result.failed) == (8, 0)
        assert ws.ledger() == {}  # nothing reached Equify: nothing is linked
        journal = ws.journal(result.run_id)
        assert set(journal["status"]) == {"done"} and journal["account_id"].isna().all()
        assert len(ws.equify_accounts()) == 1  # the workspace's Equify space is untouched
    back = pd.read_csv(out, dtype=str, keep_default_na=False) if suffix == ".csv" else pd.read_excel(out, dtype=str)
    assert list(back.columns) == list(FILE_COLUMNS)
    assert (back["operation"] == "create").all() and len(back) == 8
    assert sorted(back["payfitId"]) == sorted(records["id"])
    assert "'=cmd|' /C calc'!A0" in set(back["firstName"])
    phones = [p for p in back["phoneNumber"] if isinstance(p, str) and p]
    assert phones and all(p.startswith("'+") for p in phones)  # E.164, readable


def test_file_target_refuses_a_bad_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="csv"):
        FileTarget(tmp_path / "out.json")
    with pytest.raises(InputError, match="folder"):
        FileTarget(tmp_path / "missing" / "out.csv")
