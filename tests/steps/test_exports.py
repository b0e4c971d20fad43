"""One export path, formula-safe and control-character-safe, for every download, export file,
file target and CSV the CLI prints: hostile names through each, read back with pandas and openpyxl."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from hostile import CONTROL_NAMES, FORMULA_NAMES, HOSTILE_NAMES, make_hostile
from openpyxl import load_workbook

from reconcile import Workspace, workflow
from reconcile.export import FORMULA_STARTS, csv_text, safe_cell, table_bytes, write_table, write_tables
from reconcile.sync.targets import FileTarget

ROOT = Path(__file__).resolve().parents[2]
#: What no cell of an export may hold (XLSX refuses them; they act on a terminal or reorder text).
UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile_ws(workspace: Workspace) -> Workspace:
    """The demo with hostile names on both sides (tests/hostile.py)."""
    make_hostile(workspace)
    return workspace


def _check(cells: list[object], where: str) -> list[str]:
    """Assert no text cell starts a formula or holds an unsafe character; returns the text cells."""
    texts = [c for c in cells if isinstance(c, str)]
    live = [c for c in texts if c.startswith(FORMULA_STARTS)]
    assert not live, f"{where}: cells a spreadsheet runs as formulas: {live[:5]}"
    unsafe = [c for c in texts if UNSAFE.search(c)]
    assert not unsafe, f"{where}: cells with control characters: {unsafe[:5]!r}"
    return texts


def _csv_cells(data: bytes | str) -> list[object]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return [*frame.columns, *frame.to_numpy().ravel().tolist()]


def _xlsx_cells(data: bytes | Path) -> list[object]:
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                cells.append(cell.value)
    return cells


def _hostile_shown(texts: list[str], where: str) -> None:
    """Each formula name is in the file (at the start of a cell: the record's name, its first
    name), neutralised: an apostrophe in front."""
    joined = "\n".join(texts)
    for name in FORMULA_NAMES:
        # an XLSX cell reads a carriage return back as a line feed; a name may be trimmed on its way
        shown = {"'" + name, "'" + name.replace("\r", "\n"), "'" + name.strip()}
        assert any(s in joined for s in shown), f"{where}: {name!r} is missing"


@pytest.mark.parametrize("value", HOSTILE_NAMES + ["\x00=1", "\x1b=1", "\u202e=1", " =1"])
def test_safe_cell_is_inert_for_every_hostile_name(value: str) -> None:
    _check([safe_cell(value)], repr(value))


def test_safe_cell_writes_objects_and_zoned_times_a_spreadsheet_takes() -> None:
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2026-12-07T10:00:00+01:00"], utc=True),
            "what": [["=1", "b"]],
            "n": [-3],
            "text": pd.array(["=1+1"], dtype="string"),
        }
    )
    cells = _xlsx_cells(table_bytes(frame, "xlsx"))
    assert cells[4].isoformat() == "2026-12-07T09:00:00" and cells[6] == -3 and cells[7] == "'=1+1"
    assert _csv_cells(table_bytes(frame, "csv"))[4:] == ["2026-12-07 09:00:00", "['=1', 'b']", "-3", "'=1+1"]


def test_every_export_of_a_hostile_workspace_is_inert(hostile_ws: Workspace, tmp_path: Path) -> None:
    """The Audit page's workbook, the `export` command's workbook and CSV folder, the HTML report."""
    tables = workflow.export_tables(hostile_ws)
    book = write_tables(tables, tmp_path / "all.xlsx")[0]
    _hostile_shown(_check(_xlsx_cells(book), "workbook"), "workbook")
    texts = []
    for path in write_tables(tables, tmp_path / "csv"):
        texts += _check(_csv_cells(path.read_bytes()), path.name)
    _hostile_shown(texts, "CSV folder")
    report = workflow.export_report(hostile_ws)
    assert "<script>" not in report and "<img src=x" not in report and "&lt;script&gt;" in report


def test_the_run_log_download_and_every_file_target_are_inert(hostile_ws: Workspace, tmp_path: Path) -> None:
    """History's "Download the run log (CSV)" (reconcile.export.table_bytes) after a push of
    hostile names, and the file target's CSV and XLSX (which crashed on control characters)."""
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"equify{suffix}"
        result = workflow.push_workspace(hostile_ws, target=FileTarget(out), skip_conflicts=True)
        assert result.failed == 0 and result.created > 0
        cells = _csv_cells(out.read_bytes()) if suffix == ".csv" else _xlsx_cells(out)
        _hostile_shown(_check(cells, out.name), out.name)
    result = workflow.push_workspace(hostile_ws, skip_conflicts=True)  # the embedded target: real accounts
    journal = workflow.run_journal(hostile_ws, result.run_id)
    assert journal["name"].astype(str).str.contains("HYPERLINK").any()
    _hostile_shown(_check(_csv_cells(table_bytes(journal, "csv")), "run log"), "run log")
    _hostile_shown(_check(_xlsx_cells(table_bytes(journal, "xlsx")), "run log xlsx"), "run log xlsx")


def test_the_cli_csv_outputs_are_inert(hostile_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from reconcile.cli import main

    path = hostile_ws.path
    hostile_ws.close()
    for args in (["plan", "--csv"], ["review", "new", "--csv"], ["review", "conflict", "--csv"]):
        assert main(["--workspace", str(path), *args]) == 0
        out = capsys.readouterr().out
        _check(_csv_cells(out), " ".join(args))
    assert main(["--workspace", str(path), "review", "new", "--csv"]) == 0
    _hostile_shown(_check(_csv_cells(capsys.readouterr().out), "review"), "review --csv")


def test_a_table_with_every_control_character_writes_and_reads_back(tmp_path: Path) -> None:
    """Every C0 and C1 control character and the bidi overrides: XLSX no longer raises
    IllegalCharacterError, and each becomes U+FFFD (tab, line feed and carriage return stay)."""
    names = [f"a{chr(c)}b" for c in [*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
    frame = pd.DataFrame({"name": names + CONTROL_NAMES})
    for suffix in (".csv", ".xlsx"):
        path = write_table(frame, tmp_path / f"c{suffix}")
        cells = _csv_cells(path.read_bytes()) if suffix == ".csv" else _xlsx_cells(path)
        texts = _check(cells, suffix)
        assert "a\ufffdb" in texts and len(texts) == len(names) + len(CONTROL_NAMES) + 1
    assert UNSAFE.search(csv_text(frame)) is None


def test_every_table_written_by_the_app_or_the_library_goes_through_the_export_module() -> None:
    """No page, component or library module writes a table itself (to_csv, to_excel, an
    openpyxl Workbook): the one export path is reconcile/export.py."""
    pattern = re.compile(r"\.to_csv\(|\.to_excel\(|Workbook\(|xlsxwriter|ExcelWriter")
    offenders = []
    for path in [
        ROOT / "app.py",
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "ui").glob("*.py"),
        *(ROOT / "reconcile").glob("*.py"),
    ]:
        if path.name == "export.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, offenders
    downloads = []
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        source = path.read_text(encoding="utf-8")
        downloads += re.findall(r"download_button\((?:[^()]|\([^()]*\))*\)", source, flags=re.S)
    assert downloads
    for (
        call
    ) in downloads:  # tables through table_bytes or write_tables; JSON profiles and the HTML report are not tables
        assert re.search(r"table_bytes|data,|profile_json|export_report", call), call
