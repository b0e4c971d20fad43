"""Writing tables people open in spreadsheets: CSV and XLSX with formula injection neutralised.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
as a formula by spreadsheet programs (OWASP "CSV injection"). :func:`safe_cell` prefixes such
text with an apostrophe, which spreadsheets show as text: ``'=HYPERLINK(...)`` stays inert, and
a phone in E.164 reads ``'+33612345678``, still readable. XLSX cells are also written as text,
never as formulas (openpyxl would otherwise store ``=...`` as a formula).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import InputError

__all__ = ["FORMULA_STARTS", "html_report", "safe_cell", "safe_frame", "write_table", "write_tables"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with an apostrophe in front when it is text starting like a formula; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`safe_cell` (headers too)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def write_table(frame: pd.DataFrame, path: Path, *, sheet: str = "Sheet1") -> Path:
    """Write ``frame`` to ``path`` as CSV (UTF-8 with BOM, for Excel) or XLSX, by its suffix,
    neutralised (:func:`safe_frame`); returns ``path``. Raises :class:`InputError` for another suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # CRLF line ends, as Excel writes them; a cell holding CR or LF is then always quoted.
        safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    elif suffix == ".xlsx":
        write_tables({sheet: frame}, path)
    else:
        raise InputError(f"{path.name}: write a .csv or an .xlsx file")
    return path


def write_tables(tables: dict[str, pd.DataFrame], path: Path) -> list[Path]:
    """Write several tables, neutralised: into one XLSX workbook (a sheet per table) when
    ``path`` ends in ``.xlsx``, else into one CSV per table in the folder ``path`` (made if
    needed), named ``<table>.csv``. Returns the files written."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.remove(book.active)
        for name, frame in tables.items():
            sheet = book.create_sheet(name[:31])
            safe = safe_frame(frame)
            sheet.append([str(c) for c in safe.columns])
            for row in safe.itertuples(index=False):
                sheet.append([None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row])
            for cells in sheet.iter_rows():
                for cell in cells:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # text, never a formula
        book.save(path)
        return [path]
    if path.suffix:
        raise InputError(f"{path.name}: give an .xlsx file, or a folder for CSV files")
    path.mkdir(parents=True, exist_ok=True)
    return [write_table(frame, path / f"{name}.csv") for name, frame in tables.items()]


def html_report(sections: dict[str, pd.DataFrame], *, title: str, summary: dict[str, object]) -> str:
    """A single self-contained HTML page (inline CSS, no script, no outside resource) for
    sharing: a ``title``, the ``summary`` figures, then each section's table. Every value is
    HTML-escaped (a name like ``<script>`` stays text)."""
    import html

    def table(frame: pd.DataFrame) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        rows = []
        for row in frame.itertuples(index=False):
            cells = []
            for v in row:
                text = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                cells.append(f"<td>{html.escape(text)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    figures = "".join(
        f"<div class='fig'><div class='v'>{html.escape(str(v))}</div><div class='k'>{html.escape(str(k))}</div></div>"
        for k, v in summary.items()
    )
    body = "".join(f"<h2>{html.escape(name)}</h2>{table(frame)}" for name, frame in sections.items())
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 2em}"
        "th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}th{background:#f3f3f3}"
        ".figs{display:flex;flex-wrap:wrap;gap:1em}.fig{border:1px solid #ddd;border-radius:6px;padding:.6em 1em}"
        ".v{font-size:22px;font-weight:600}.k{font-size:12px;color:#666}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><div class='figs'>{figures}</div>{body}</body></html>"
    )
