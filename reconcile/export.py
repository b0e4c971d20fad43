"""Writing tables people open in spreadsheets: the one export path of the workbench.

Every download of the app, every file of ``export`` and of the file target, and the CSV the
CLI prints goes through :func:`safe_frame` (via :func:`csv_text`, :func:`table_bytes`,
:func:`write_table` or :func:`write_tables`):

* Formula injection (OWASP "CSV injection"): a cell whose text starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is read as a formula by spreadsheet programs.
  :func:`safe_cell` prefixes such text with an apostrophe, which spreadsheets show as text:
  ``'=HYPERLINK(...)`` stays inert, and a phone in E.164 reads ``'+33612345678``, still
  readable. XLSX cells are also written as text, never as formulas (openpyxl would otherwise
  store ``=...`` as a formula).
* Control characters: XLSX cannot hold C0 control characters (openpyxl raises
  ``IllegalCharacterError``), and a CSV cell holding one (an escape sequence) changes a
  terminal that prints it. Each one except tab, line feed and carriage return becomes U+FFFD,
  and so do the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
  would show a cell's text in another order than it is.
* Values a spreadsheet cannot take as they are (a list, a dict, a time with a time zone)
  are written as their text, or as UTC.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .exceptions import InputError

__all__ = [
    "FORMULA_STARTS",
    "csv_text",
    "html_report",
    "safe_cell",
    "safe_frame",
    "table_bytes",
    "write_table",
    "write_tables",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Characters no cell keeps: C0 controls but tab, line feed and carriage return; DEL and
#: C1 controls; bidirectional embeddings, overrides and isolates.
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """``text`` with each :data:`UNSAFE_CHARACTERS` as U+FFFD, then an apostrophe in front
    when it starts like a formula (:data:`FORMULA_STARTS`)."""
    text = UNSAFE_CHARACTERS.sub("\ufffd", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: Any) -> Any:
    """``value`` as a cell that is only ever data: text through :func:`safe_text`; a list,
    dict, set, tuple or bytes as its text (through :func:`safe_text`); a time with a time
    zone in UTC without it; other values (numbers, booleans, times, missing) as they are."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, (list, dict, set, tuple, bytes)):
        return safe_text(str(value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every cell that can hold text passed through :func:`safe_cell`
    (headers too); time columns with a time zone become UTC without it."""
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out.isetitem(i, series.dt.tz_convert("UTC").dt.tz_localize(None))
        elif not (
            pd.api.types.is_numeric_dtype(series.dtype)
            or pd.api.types.is_bool_dtype(series.dtype)
            or pd.api.types.is_datetime64_any_dtype(series.dtype)
            or pd.api.types.is_timedelta64_dtype(series.dtype)
        ):
            out.isetitem(i, series.astype(object).map(safe_cell))
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index, LF line ends), neutralised (:func:`safe_frame`)."""
    return safe_frame(frame).to_csv(index=False)


def table_bytes(frame: pd.DataFrame, fmt: Literal["csv", "xlsx"] = "csv", *, sheet: str = "Sheet1") -> bytes:
    """``frame`` as the bytes of a download, neutralised: CSV (UTF-8 with BOM and CRLF line
    ends, as Excel reads and writes them) or an XLSX workbook with one sheet ``sheet``.
    Raises :class:`InputError` for another format."""
    if fmt == "csv":
        return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        _workbook({sheet: frame}).save(buffer)
        return buffer.getvalue()
    raise InputError(f"a table downloads as csv or xlsx, not {fmt!r}")


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
        _workbook(tables).save(path)
        return [path]
    if path.suffix:
        raise InputError(f"{path.name}: give an .xlsx file, or a folder for CSV files")
    path.mkdir(parents=True, exist_ok=True)
    return [write_table(frame, path / f"{name}.csv") for name, frame in tables.items()]


def _workbook(tables: dict[str, pd.DataFrame]) -> Any:
    """An openpyxl workbook with a sheet per table (its name cut to 31 characters), every
    cell neutralised (:func:`safe_frame`) and text cells typed as text."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31])
        safe = safe_frame(frame)
        sheet.append([str(c) for c in safe.columns])
        for row in safe.itertuples(index=False):
            sheet.append(
                [None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT else v for v in row]
            )
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
    return book


def _shown(value: object, *, whole: bool = False) -> str:
    """A report cell's or figure's text: empty when missing; a number as an integer (``12``, not
    ``12.0``) when it is an int, or when ``whole`` and it is a whole float (a count that pandas
    held as a float beside a missing value)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral) or (whole and isinstance(value, float) and value.is_integer()):
        return str(int(value))
    return str(value)


def _whole_columns(frame: pd.DataFrame) -> list[bool]:
    """For each column of ``frame``: whether it holds numbers that are all whole (missing ones
    aside), a count to show as integers."""
    out = []
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
        values = series.dropna()
        out.append(bool(numeric and (values % 1 == 0).all()))
    return out


def html_report(sections: dict[str, pd.DataFrame], *, title: str, summary: dict[str, object]) -> str:
    """A single self-contained HTML page (inline CSS, no script, no outside resource) for
    sharing: a ``title``, the ``summary`` figures, then each section's table. Every value is
    HTML-escaped (a name like ``<script>`` stays text). Counts print as integers: a figure that
    is a whole number, and a column whose numbers are all whole (``12``, not ``12.0``, also when
    a missing value made pandas hold the column as floats); missing values print empty."""
    import html

    def table(frame: pd.DataFrame) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        whole = _whole_columns(frame)
        rows = []
        for row in frame.itertuples(index=False):
            cells = "".join(f"<td>{html.escape(_shown(v, whole=w))}</td>" for v, w in zip(row, whole, strict=True))
            rows.append(f"<tr>{cells}</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    figures = "".join(
        f"<div class='fig'><div class='v'>{html.escape(_shown(v, whole=True))}</div>"
        f"<div class='k'>{html.escape(str(k))}</div></div>"
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
