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

__all__ = ["FORMULA_STARTS", "safe_cell", "safe_frame", "write_table"]

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
    safe = safe_frame(frame)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # CRLF line ends, as Excel writes them; a cell holding CR or LF is then always quoted.
        safe.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet_ = book.active
        sheet_.title = sheet[:31]
        sheet_.append([str(c) for c in safe.columns])
        for row in safe.itertuples(index=False):
            sheet_.append([None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row])
        for cells in sheet_.iter_rows(min_row=1):
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        book.save(path)
    else:
        raise InputError(f"{path.name}: write a .csv or an .xlsx file")
    return path
