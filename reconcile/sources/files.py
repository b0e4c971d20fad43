"""Reading CSV and XLSX exports as tables of text (cases L1-L5).

One generic reader, :func:`read_table`, serves both sides (Equify accounts in
:mod:`reconcile.sources.equify`, Payfit exports in :mod:`reconcile.sources.payfit_files`). It
only reads: it returns a :class:`FileRead` or raises :class:`InputError`, so a
failure never leaves partial data anywhere.

What it does, in order:

* **Format**: XLSX when the bytes start with the zip signature ``PK\\x03\\x04``
  (whatever the file is called); a file named ``.xlsx`` without it, and a
  legacy ``.xls``/encrypted workbook, are refused with a clear message.
* **Encoding** (CSV): a byte-order mark decides (UTF-8, UTF-16); otherwise the
  whole file is tried as strict UTF-8, so UTF-8 is never decoded as latin-1.
  Failing that, each line is decoded on its own: strict UTF-8, else
  Windows-1252, else latin-1 as the last resort, and a file that mixes them is
  reported line by line. charset-normalizer is only asked for a second
  opinion on files that are not UTF-8, to warn when the bytes look like a
  DOS or Mac code page; it never chooses the decoding (on short French
  samples it proposes cp1250, which turns ``È`` into ``Č``).
* **Mojibake**: any cell that looks like UTF-8 text decoded with a single-byte
  code page (``HÃ©lÃ¨ne``, ``â€™``) is named in a warning with its line and
  column, with the text it probably was; it is not repaired silently.
* **Delimiter and header** (CSV): each of ``, ; \\t |`` is tried and the
  header is the first row, within the first :data:`HEADER_SEARCH_LINES` lines,
  whose cells name the required fields; title lines above it are skipped (and
  named in a warning). Header cells are trimmed and matched case-, accent- and
  punctuation-insensitively against each field's aliases (:func:`header_key`).
* **Text only**: every cell stays text as written (leading zeros, ``+``,
  ``NA`` and ``None`` kept); only empty or blank cells are missing (``None``).
  XLSX numbers that are whole become their integer text (``612345678``, never
  ``612345678.0``), zero-padded when the cell's number format is ``00000``;
  other numbers are written positionally (never in scientific notation);
  dates become ISO ``YYYY-MM-DD``; text cells such as ``3.36123E+10`` stay as
  they are, so :func:`~reconcile.matching.normalize.normalize_phone` flags them.
* **Bad rows**: a CSV row with more non-empty cells than the header is an
  error naming its line (a value probably holds an unquoted delimiter); so is
  an unclosed quote. Blank rows are skipped.
* **Bounds** (checked before the costly steps, each an :class:`InputError`
  naming the file): a CSV line holds at most :data:`MAX_LINE_BYTES` bytes and a
  cell at most :data:`MAX_CELL_CHARS` characters (a quoted cell may span
  lines); a table has at most :data:`MAX_COLUMNS` columns (a header that wide,
  or an XLSX value right of that column, is refused); an XLSX workbook
  unpacks to at most :data:`MAX_XLSX_UNPACKED` bytes, and parts of it over
  16 MiB to at most :data:`MAX_XLSX_RATIO` times their packed size (a zip
  bomb). Within them every step is linear in the file's size, so any file
  gives an answer within seconds.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import InputError
from ..matching.normalize import clean_text, strip_accents

__all__ = [
    "DELIMITERS",
    "parse_error_text",
    "HEADER_SEARCH_LINES",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_UNPACKED",
    "FileRead",
    "Source",
    "check_line_lengths",
    "decode_text",
    "header_key",
    "load_bytes",
    "mojibake_guess",
    "read_table",
    "shown",
]

#: A file: a path, or its bytes (an upload; pass ``name`` for messages).
Source = str | PathLike[str] | bytes
#: Delimiters tried, in order of preference when several fit.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: The header must start within this many lines (or sheet rows) of the top.
HEADER_SEARCH_LINES = 20
#: Most columns a table may have (header cells, or XLSX columns holding a value).
MAX_COLUMNS = 1_000
#: Longest CSV line, in bytes (1 MiB): a longer one is refused before the file is decoded.
MAX_LINE_BYTES = 1_048_576
#: Longest CSV cell, in characters (the :mod:`csv` module's field limit; a quoted cell may span lines).
MAX_CELL_CHARS = 131_072
#: Most bytes an XLSX workbook may unpack to (256 MiB).
MAX_XLSX_UNPACKED = 256 * 1_048_576
#: Largest unpacked/packed ratio of an XLSX part over 16 MiB unpacked (ordinary sheets stay under 30).
MAX_XLSX_RATIO = 100
_MAX_CELL_WARNINGS = 10  # per kind; the rest is counted in one line
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an encrypted .xlsx
# Code pages whose bytes decode "successfully" but wrongly as Windows-1252.
_OEM_CODEPAGES = frozenset(
    {"cp437", "cp850", "cp852", "cp858", "cp860", "cp863", "cp865", "mac_roman", "mac_latin2", "mac_iceland"}
)


@dataclass(frozen=True, eq=False)
class FileRead:
    """A table read from a CSV or XLSX file, and how it was read.

    * ``frame``: one row per data row (blank rows skipped), ``RangeIndex``; every
      value is text or ``None``. Columns whose header matched a field carry the
      field's name; the others keep their header (made unique).
    * ``name``: the file as named in messages; ``format``: ``csv`` or ``xlsx``.
    * ``encoding``: ``utf-8``, ``utf-8-sig`` (BOM), ``utf-16``, ``cp1252``,
      ``utf-8+cp1252`` (mixed, line by line), a ``+latin-1`` suffix when some
      line needed the last resort; ``utf-8`` for XLSX.
    * ``delimiter``: the CSV delimiter, ``None`` for XLSX; ``sheet``: the sheet read.
    * ``header_line``: the header's line (CSV) or row (XLSX), from 1.
    * ``lines``: the line (or row) where each frame row starts, for messages.
    * ``columns``: ``{field: header as written}`` for the fields found.
    * ``warnings``: things the user should see (mojibake, skipped title lines,
      mixed encodings, generated ids...), each naming the file.
    """

    frame: pd.DataFrame
    name: str
    format: str
    encoding: str
    delimiter: str | None
    header_line: int
    lines: tuple[int, ...]
    columns: Mapping[str, str]
    sheet: str | None = None
    warnings: tuple[str, ...] = field(default=())

    def where(self, line: int) -> str:
        """``"accounts.csv, line 4"`` or ``"export.xlsx, sheet 'RH', row 4"`` for messages."""
        if self.format == "xlsx":
            return f"{self.name}, sheet {self.sheet!r}, row {line}"
        return f"{self.name}, line {line}"


# ---------------------------------------------------------------------------- small helpers
def check_unique(
    values: Iterable[str | None],
    lines: Iterable[int],
    *,
    where: Callable[[int], str],
    unit: str,
    what: str,
    required: bool = True,
    hint: str = "",
) -> None:
    """Raise :class:`InputError` at the first empty (when ``required``) or repeated value.

    ``where(line)`` names the place (``"accounts.csv, line 4"``), ``unit`` is ``line`` or
    ``row``, ``what`` names the value (``account id``). The message of a repeat also gives
    the line of the first one, then ``hint``.
    """
    first: dict[str, int] = {}
    for line, value in zip(lines, values, strict=True):
        if value is None:
            if required:
                raise InputError(f"{where(line)}: the {what} is empty")
            continue
        if value in first:
            raise InputError(f"{where(line)}: {what} {value!r} appears twice (first on {unit} {first[value]}){hint}")
        first[value] = line


def parse_error_text(exc: ValueError) -> str:
    """A parser's ``ValueError`` in words for a person: Python's integer-length limit (an integer
    of over 4,300 digits) says "use sys.set_int_max_str_digits()", which means nothing to a user."""
    text = str(exc)
    if "int_max_str_digits" in text or "Exceeds the limit" in text:
        return "it holds a number longer than 4,300 digits"
    return text


def header_key(text: Any) -> str:
    """The comparison key of a header or alias: accents, case, spaces and punctuation removed.

    >>> header_key(" Prénom ") == header_key("prenom") == header_key("PRENOM")
    True
    >>> header_key("e-mail") == header_key("Email") and header_key("first_name") == header_key("firstName")
    True
    """
    cleaned = clean_text(text) or ""
    return re.sub(r"[^0-9a-z]+", "", strip_accents(cleaned.casefold()))


def shown(columns: Iterable[object], limit: int = 8) -> str:
    """Column names for a message: at most ``limit``, each cut to 40 characters."""
    names = [str(c)[:40] for c in columns]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "no column"


def _lines_text(lines: Sequence[int], limit: int = 8) -> str:
    head = ", ".join(str(n) for n in lines[:limit])
    return head + (f" and {len(lines) - limit} more" if len(lines) > limit else "")


def check_line_lengths(data: bytes, label: str) -> None:
    """Raise :class:`InputError` naming the first line longer than :data:`MAX_LINE_BYTES` bytes.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r``, as the CSV reader sees them; linear in ``len(data)``.
    """
    lengths = list(map(len, data.splitlines()))
    if max(lengths, default=0) > MAX_LINE_BYTES:
        line, size = next((n, size) for n, size in enumerate(lengths, start=1) if size > MAX_LINE_BYTES)
        raise InputError(
            f"{label}, line {line}: {size:,} bytes on one line, over the limit of {MAX_LINE_BYTES:,} "
            "(1 MiB): this is not a table export (or one cell holds a whole document)"
        )


def load_bytes(source: Source, name: str | None = None) -> tuple[bytes, str]:
    """The bytes of ``source`` and the name to use in messages. Raises :class:`InputError`."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "upload"
    label = name or str(source)
    try:
        return Path(source).read_bytes(), label
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({exc.strerror or exc})") from exc


# ---------------------------------------------------------------------------- encodings
def _cp1252_byte(ch: str) -> int | None:
    """The single byte ``ch`` came from if it was decoded as Windows-1252 (or latin-1)."""
    try:
        encoded = ch.encode("cp1252")
    except UnicodeEncodeError:
        return ord(ch) if ord(ch) < 0x100 else None
    return encoded[0] if len(encoded) == 1 else None


# Characters a UTF-8 continuation byte (0x80-0xBF) becomes under cp1252 or latin-1.
_CONT = "".join(
    sorted(
        {chr(c) for c in range(0x80, 0xC0)} | {bytes([b]).decode("cp1252", "ignore") for b in range(0x80, 0xA0)} - {""}
    )
)
_CONT_CLASS = "[" + re.escape(_CONT) + "]"
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df]{_CONT_CLASS}|[\u00e0-\u00ef]{_CONT_CLASS}{{2}}|[\u00f0-\u00f4]{_CONT_CLASS}{{3}}"
)
# What the repaired characters must be for a match to count: Latin letters and
# punctuation, Greek, Cyrillic, currency and letter-like symbols. This rules out
# accidental matches such as "é\u00a0»" (French spacing), which would decode to CJK.
_PLAUSIBLE = ((0x80, 0x24F), (0x370, 0x4FF), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F))
_PLAUSIBLE_TEXT = re.compile(
    "[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in _PLAUSIBLE) + "]+"
)
# Every character _MOJIBAKE can match, to the latin-1 character of the byte it came from
# (one C-level translate per match instead of one encode per character).
_TO_BYTE = str.maketrans(
    {ch: chr(byte) for ch in {*map(chr, range(0xC2, 0xF5)), *_CONT} if (byte := _cp1252_byte(ch)) is not None}
)


def _repair_match(m: re.Match[str]) -> str:
    text = m.group()
    try:
        repaired = text.translate(_TO_BYTE).encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return repaired if _PLAUSIBLE_TEXT.fullmatch(repaired) else text


def mojibake_guess(text: str) -> str | None:
    """If ``text`` looks like UTF-8 decoded as Windows-1252/latin-1, the text it probably was; else ``None``.

    >>> mojibake_guess("HÃ©lÃ¨ne"), mojibake_guess("Lâ€™Oréal"), mojibake_guess("Hélène")
    ('Hélène', 'L’Oréal', None)
    """
    if not text or text.isascii():
        return None
    repaired = _MOJIBAKE.sub(_repair_match, text)
    return unicodedata.normalize("NFC", repaired) if repaired != text else None


def decode_text(data: bytes, name: str = "upload") -> tuple[str, str, tuple[str, ...]]:
    """Decode a text file's bytes: ``(text, encoding, warnings)``.

    A byte-order mark decides (UTF-8, UTF-16). Otherwise strict UTF-8 for the
    whole file; failing that, line by line: strict UTF-8, else Windows-1252,
    else latin-1 (last resort). Raises :class:`InputError` for NUL bytes
    (UTF-16 without a byte-order mark, or not text at all).
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise InputError(f"{name}: UTF-32 text is not supported; save the file as CSV UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", ()
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: starts with a UTF-16 byte-order mark but is not UTF-16 (byte {exc.start})"
            ) from exc
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    if b"\x00" in body:
        guess = _guess_encoding(body)
        seen = f" (charset-normalizer reads it as {guess})" if guess else ""
        raise InputError(
            f"{name}: holds NUL bytes{seen}: this is UTF-16 text without a byte-order mark, or not a text file; "
            "save it as CSV UTF-8 or XLSX"
        )
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8", ()
    except UnicodeDecodeError:
        pass
    parts: list[str] = []
    by_codec: dict[str, list[int]] = {"utf-8": [], "cp1252": [], "latin-1": []}
    for n, line in enumerate(body.splitlines(keepends=True), start=1):
        if line.isascii():
            parts.append(line.decode("ascii"))
            continue
        for codec in ("utf-8", "cp1252", "latin-1"):
            try:
                parts.append(line.decode(codec))
            except UnicodeDecodeError:
                continue
            by_codec[codec].append(n)
            break
    warnings: list[str] = []
    if by_codec["utf-8"] and by_codec["cp1252"]:
        warnings.append(
            f"{name}: mixed encodings: line(s) {_lines_text(by_codec['cp1252'])} are not UTF-8 and were read as "
            "Windows-1252, the others as UTF-8; check the accented letters on those lines"
        )
    if by_codec["latin-1"]:
        warnings.append(
            f"{name}: line(s) {_lines_text(by_codec['latin-1'])} hold bytes that are neither UTF-8 nor Windows-1252 "
            "(such as 0x81 or 0x9D) and were read as latin-1, the last resort; their accented letters may be wrong. "
            "Save the file as CSV UTF-8"
        )
    guess = _guess_encoding(body)
    if guess in _OEM_CODEPAGES:
        warnings.append(
            f"{name}: the bytes look like the {guess} code page (DOS or Mac), not Windows-1252; accented letters "
            "may be wrong. Save the file as CSV UTF-8"
        )
    encoding = "utf-8+cp1252" if by_codec["utf-8"] else "cp1252"
    if by_codec["latin-1"]:
        encoding += "+latin-1"
    return "".join(parts), encoding, tuple(warnings)


def _guess_encoding(data: bytes) -> str | None:
    """charset-normalizer's best guess, only when Windows-1252 is not among its candidates."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or "cp1252" in best.could_be_from_charset:
        return None
    return str(best.encoding)


# ---------------------------------------------------------------------------- header matching
def _lookup(expected: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """``{header key: field}`` for every field name and alias; an alias may name one field only."""
    out: dict[str, str] = {}
    for name, aliases in expected.items():
        for alias in (name, *aliases):
            key = header_key(alias)
            if out.setdefault(key, name) != name:
                raise ValueError(f"header alias {alias!r} names both {out[key]} and {name}")
    return out


def _match_header(cells: Sequence[str | None], lookup: Mapping[str, str]) -> dict[str, int]:
    """``{field: column index}`` of the cells that name a field (the first one wins)."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = lookup.get(header_key(cell))
        if name is not None and name not in found:
            found[name] = i
    return found


def _satisfies(found: Mapping[str, int], required: Sequence[Sequence[str]]) -> bool:
    return not required or any(all(f in found for f in alt) for alt in required)


def _find_header(
    rows: Sequence[tuple[int, Sequence[str | None]]], lookup: Mapping[str, str], required: Sequence[Sequence[str]]
) -> int | None:
    for i, (line, cells) in enumerate(rows):
        if line > HEADER_SEARCH_LINES:
            break
        if any(clean_text(c) for c in cells) and _satisfies(_match_header(cells, lookup), required):
            return i
    return None


def _missing_message(
    label: str,
    rows: Sequence[tuple[int, Sequence[str | None]]],
    expected: Mapping[str, Sequence[str]],
    lookup: Mapping[str, str],
    required: Sequence[Sequence[str]],
) -> InputError:
    """The error for a file without the required columns: which ones, under which names, what was found."""
    nonblank = [
        (line, cells) for line, cells in rows if line <= HEADER_SEARCH_LINES and any(clean_text(c) for c in cells)
    ]
    best_cells: Sequence[str | None] = []
    best_found: dict[str, int] = {}
    best_rank = (-1, -1)
    for _, cells in nonblank:  # the row closest to a header: most fields named, then most cells filled
        found = _match_header(cells, lookup)
        rank = (len(found), sum(1 for c in cells if clean_text(c)))
        if rank > best_rank:
            best_cells, best_found, best_rank = cells, found, rank
    alternatives = [[f for f in alt if f not in best_found] for alt in required]
    wanted = "; or ".join(", ".join(alt) for alt in alternatives if alt)
    fields = list(dict.fromkeys(f for alt in required for f in alt))
    looked = "; ".join(f"{f} as {'/'.join(a for a in expected.get(f, ())[:4]) or f}" for f in fields)
    found_text = shown(clean_text(c) or "(blank)" for c in best_cells)
    return InputError(
        f"{label}: required column(s) {wanted} not found in the first {HEADER_SEARCH_LINES} lines "
        f"(looked for {looked}); found: {found_text}"
    )


# ---------------------------------------------------------------------------- CSV
class _CsvError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(start line, cells)`` for each record; a blank line gives ``[]``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous = 0
    try:
        for row in reader:
            start, previous = previous + 1, reader.line_num
            yield start, row
    except csv.Error as exc:  # raised by the reader only: the caller's errors are not thrown in here
        raise _CsvError(previous + 1, str(exc)) from exc


def _read_csv(
    data: bytes,
    label: str,
    expected: Mapping[str, Sequence[str]],
    lookup: Mapping[str, str],
    required: Sequence[Sequence[str]],
) -> FileRead:
    text, encoding, warnings = decode_text(data, label)
    windows: dict[str, list[tuple[int, list[str]]]] = {}
    headers: list[tuple[int, int, int, int, str]] = []  # (line, -fields matched, overflow, preference, delimiter)
    for preference, delimiter in enumerate(DELIMITERS):
        window: list[tuple[int, list[str]]] = []
        try:
            for line, cells in _csv_rows(text, delimiter):
                if line > HEADER_SEARCH_LINES:
                    break
                window.append((line, cells))
        except _CsvError:
            pass  # the rows before the error may hold the header; reading it all reports the line
        windows[delimiter] = window
        index = _find_header(window, lookup, required)
        if index is not None:
            line, cells = window[index]
            # Ties (a one-column header reads the same with any delimiter): prefer the
            # delimiter under which fewer of the first rows overflow the header.
            overflow = sum(1 for _, row in window[index + 1 :] if any(c.strip() for c in row[len(cells) :]))
            headers.append((line, -len(_match_header(cells, lookup)), overflow, preference, delimiter))
    if not headers:
        widest = max(windows.values(), key=lambda w: max((len(cells) for _, cells in w), default=0), default=[])
        error = _missing_message(label, widest, expected, lookup, required)
        if warnings:  # e.g. a DOS code page: the header's accents were misread
            raise InputError(f"{error}. Note: {' '.join(warnings)}")
        raise error
    header_line, *_, delimiter = min(headers)
    rows: list[tuple[int, list[str | None]]] = []
    try:
        rows = [
            (line, [c if c.strip() else None for c in cells])
            for line, cells in _csv_rows(text, delimiter)
            if "".join(cells).strip()  # blank rows (also ";;;;") are skipped here, cheaply
        ]
    except _CsvError as exc:
        if "field limit" in str(exc):
            raise InputError(
                f"{label}, line {exc.line}: a cell is longer than {MAX_CELL_CHARS:,} characters (the limit), or a "
                "quote left open from that line on swallows the lines after it"
            ) from exc
        raise InputError(
            f"{label}, line {exc.line}: cannot be read as CSV ({exc}); a quote is probably left open or "
            "misplaced from that line on"
        ) from exc
    return _table(
        rows,
        header_line=header_line,
        label=label,
        fmt="csv",
        encoding=encoding,
        delimiter=delimiter,
        sheet=None,
        lookup=lookup,
        warnings=list(warnings),
    )


# ---------------------------------------------------------------------------- XLSX
def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _xlsx_text(cell: Any) -> str | None:
    """A cell as the text it shows: whole numbers without ``.0``, dates ISO, never scientific notation."""
    value = cell.value
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return format(Decimal(repr(value)), "f")
        text = str(int(value))
        number_format = str(getattr(cell, "number_format", "") or "")
        if re.fullmatch(r"0+", number_format) and int(value) >= 0:
            text = text.zfill(len(number_format))  # Excel's "00000" postcode format shows 01000
        return text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value)
    return text if text.strip() else None


def _check_zip(data: bytes, label: str) -> None:
    """Refuse a workbook that unpacks to more than :data:`MAX_XLSX_UNPACKED` bytes, or a zip bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(
            f"{label}: not a readable XLSX workbook ({exc}); it may be cut short: open it in Excel and save it again"
        ) from exc
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNPACKED:
        raise InputError(
            f"{label}: the workbook unpacks to {total:,} bytes, over the limit of {MAX_XLSX_UNPACKED:,}; "
            "export fewer rows or columns, or save it as CSV"
        )
    for m in members:
        if m.file_size > 16 * 1_048_576 and m.file_size > MAX_XLSX_RATIO * max(m.compress_size, 1):
            raise InputError(
                f"{label}: the part {m.filename!r} unpacks to {m.file_size:,} bytes from {m.compress_size:,} "
                f"(over {MAX_XLSX_RATIO} times): not a workbook an exporter writes; save it again from Excel"
            )


def _sheet_rows(sheet: Any, label: str, formulas: list[str]) -> Iterator[tuple[int, list[Any]]]:
    """``(row number, cells)`` for each row the sheet's XML holds, one pass, linear in its size.

    openpyxl's own ``iter_rows`` pads every row to its last cell and fills every missing row, so
    one value in column XFD or row 1,048,576 costs millions of empty cells; here a row has the
    cells up to its last one, missing rows are not made, and a value right of
    :data:`MAX_COLUMNS` is an :class:`InputError`. Formula cells give their cached value (empty
    when the file was never computed) and their coordinates are appended to ``formulas``.
    Relies on openpyxl's sheet parser (``openpyxl==3.1.5``, pinned).
    """
    from openpyxl.cell.read_only import EMPTY_CELL, ReadOnlyCell
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class _Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if element.find(FORMULA_TAG) is not None and len(formulas) < 1_000:
                formulas.append(f"{_column_letter(cell['column'] - 1)}{cell['row']}")
            return cell

    book = sheet.parent
    with sheet._get_source() as source:
        parser = _Parser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, parsed in parser.parse():
            width = 0
            for cell in parsed:
                if cell["value"] is not None:
                    if cell["column"] > MAX_COLUMNS:
                        raise InputError(
                            f"{label}, sheet {sheet.title!r}, row {number}: a value in column "
                            f"{_column_letter(cell['column'] - 1)}, right of the limit of {MAX_COLUMNS:,} columns; "
                            "delete the columns not needed"
                        )
                    width = max(width, cell["column"])
            cells: list[Any] = [EMPTY_CELL] * width
            for cell in parsed:
                if cell["value"] is not None and 1 <= cell["column"] <= width:
                    cells[cell["column"] - 1] = ReadOnlyCell(sheet, **cell)
            yield number, cells


# Errors openpyxl and the zip and XML layers raise on a damaged workbook.
_XLSX_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    KeyError,
    IndexError,
    OSError,
    ValueError,
    TypeError,
    AttributeError,
    EOFError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
    zlib.error,
)


def _read_xlsx(
    data: bytes,
    label: str,
    expected: Mapping[str, Sequence[str]],
    lookup: Mapping[str, str],
    required: Sequence[Sequence[str]],
) -> FileRead:
    import warnings as python_warnings

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_zip(data, label)
    try:
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, *_XLSX_ERRORS) as exc:
        raise InputError(f"{label}: not a readable XLSX workbook ({exc}); open it in Excel and save it again") from exc
    try:
        first_rows: list[tuple[int, list[str | None]]] = []
        for sheet in book.worksheets:
            rows: list[tuple[int, list[str | None]]] = []
            errors: list[str] = []
            formulas: list[str] = []
            try:
                with python_warnings.catch_warnings():
                    python_warnings.simplefilter("ignore")  # e.g. a date serial out of range: read as an error value
                    for line, cells in _sheet_rows(sheet, label, formulas):
                        texts: list[str | None] = []
                        for i, cell in enumerate(cells):
                            if getattr(cell, "data_type", None) == "e":
                                errors.append(f"{_column_letter(i)}{line} ({cell.value})")
                                texts.append(None)
                            else:
                                texts.append(_xlsx_text(cell))
                        rows.append((line, texts))
            except _XLSX_ERRORS as exc:
                raise InputError(
                    f"{label}, sheet {sheet.title!r}: cannot be read ({type(exc).__name__}: {str(exc)[:200]}); "
                    "open the workbook in Excel and save it again"
                ) from exc
            header = _find_header(rows, lookup, required)
            if header is None:
                first_rows = first_rows or rows
                continue
            warnings: list[str] = []
            if sheet is not book.worksheets[0]:
                warnings.append(f"{label}: read sheet {sheet.title!r}, the first one with the required columns")
            if errors:
                warnings.append(
                    f"{label}, sheet {sheet.title!r}: Excel error value(s) read as empty in cell(s) "
                    f"{shown(errors, limit=6)}"
                )
            if formulas:
                warnings.append(
                    f"{label}, sheet {sheet.title!r}: cell(s) {shown(formulas, limit=6)} hold formulas: their last "
                    "computed value was read (empty if the file was never opened in Excel); the formulas were not run"
                )
            return _table(
                rows,
                header_line=rows[header][0],
                label=label,
                fmt="xlsx",
                encoding="utf-8",
                delimiter=None,
                sheet=sheet.title,
                lookup=lookup,
                warnings=warnings,
            )
        raise _missing_message(label, first_rows, expected, lookup, required)
    finally:
        book.close()


# ---------------------------------------------------------------------------- the table
def _unique(names: Sequence[str]) -> list[str]:
    """``names`` made unique: a repeat becomes ``name (2)``, ``name (3)``... (linear time)."""
    out: list[str] = []
    used: set[str] = set()
    counters: dict[str, int] = {}  # the next suffix to try per name: each suffix is tried once
    for name in names:
        candidate = name
        if candidate in used:
            n = counters.get(name, 2)
            candidate = f"{name} ({n})"
            while candidate in used:
                n += 1
                candidate = f"{name} ({n})"
            counters[name] = n + 1
        used.add(candidate)
        out.append(candidate)
    return out


def _data_rows(
    rows: Sequence[tuple[int, Sequence[str | None]]],
    width: int,
    header_line: int,
    fmt: str,
    delimiter: str | None,
    where: Callable[[int], str],
) -> tuple[list[list[str | None]], list[int], list[int]]:
    """The rows below the header, each cut or padded to the header's ``width``: ``(cells, line
    numbers, lines whose extra cells were ignored)``. Blank rows are left out; a CSV row with
    values right of the header is an :class:`InputError` (an unquoted delimiter), an XLSX row's
    are ignored (and listed)."""
    data: list[list[str | None]] = []
    lines: list[int] = []
    ignored: list[int] = []
    for line, cells in rows:
        if not any(c is not None and c.strip() for c in cells):
            continue  # a blank row (also ";;;;" from a spreadsheet)
        if len(cells) > width and any(c is not None and c.strip() for c in cells[width:]):
            if fmt == "csv":
                raise InputError(
                    f"{where(line)}: {len(cells)} cells where the header (line {header_line}) has {width}; "
                    f"a value probably holds an unquoted {_DELIMITER_NAMES.get(delimiter or '', 'delimiter')}: "
                    "quote it or fix the row"
                )
            ignored.append(line)
        data.append(list(cells[:width]) + [None] * (width - len(cells)))
        lines.append(line)
    return data, lines, ignored


def _table(
    rows: Sequence[tuple[int, Sequence[str | None]]],
    *,
    header_line: int,
    label: str,
    fmt: str,
    encoding: str,
    delimiter: str | None,
    sheet: str | None,
    lookup: Mapping[str, str],
    warnings: list[str],
) -> FileRead:
    def where(line: int) -> str:
        return f"{label}, sheet {sheet!r}, row {line}" if fmt == "xlsx" else f"{label}, line {line}"

    position = next(i for i, (line, _) in enumerate(rows) if line == header_line)
    header = rows[position][1]
    width = len(header)
    if width > MAX_COLUMNS:
        raise InputError(
            f"{where(header_line)}: the header has {width:,} columns, over the limit of {MAX_COLUMNS:,}; "
            "export only the columns needed"
        )
    skipped = [cells for _, cells in rows[:position] if any(clean_text(c) for c in cells)]
    if skipped:
        first = " ".join(clean_text(c) or "" for c in skipped[0]).strip()
        warnings.append(
            f"{where(header_line)}: header found there; {len(skipped)} title line(s) above it skipped "
            f"({first[:60]!r}{'...' if len(first) > 60 else ''})"
        )
    found = _match_header(header, lookup)
    written = [clean_text(c) or f"column {i + 1}" for i, c in enumerate(header)]
    for i, cell in enumerate(header):
        field_name = lookup.get(header_key(cell))
        if field_name is not None and found[field_name] != i:
            warnings.append(
                f"{where(header_line)}: columns {written[found[field_name]]!r} and {written[i]!r} both read as "
                f"{field_name}; {written[found[field_name]]!r} is used"
            )
    by_index = {i: name for name, i in found.items()}
    columns = _unique([by_index.get(i, written[i]) for i in range(width)])

    data, lines, ignored = _data_rows(rows[position + 1 :], width, header_line, fmt, delimiter, where)
    if ignored:
        warnings.append(
            f"{label}, sheet {sheet!r}: values right of the header ignored on row(s) {_lines_text(ignored)}"
        )
    frame = pd.DataFrame(data, columns=columns, dtype=object) if data else pd.DataFrame(columns=columns, dtype=object)
    # A column with neither a header nor a value is a spreadsheet artefact (trailing separators).
    artefacts = [c for i, c in enumerate(columns) if clean_text(header[i]) is None and frame[c].isna().all()]
    frame = frame.drop(columns=artefacts)
    if not data:
        warnings.append(f"{where(header_line)}: the header has no data row under it")
    shown_as = dict(zip(columns, written, strict=True))
    hits = [
        f"{where(header_line)}: header {cell!r} looks like mojibake (probably {guess!r})"
        for cell in header
        if cell and (guess := mojibake_guess(cell)) is not None
    ]
    for column in frame.columns:
        for line, value in zip(lines, frame[column], strict=True):
            if isinstance(value, str) and (guess := mojibake_guess(value)) is not None:
                hits.append(
                    f"{where(line)}, column {shown_as[column]!r}: {value!r} looks like mojibake, UTF-8 text read "
                    f"with the wrong encoding (probably {guess!r}); fix it in the source file"
                )
    if len(hits) > _MAX_CELL_WARNINGS:
        hits = [
            *hits[:_MAX_CELL_WARNINGS],
            f"{label}: ... and {len(hits) - _MAX_CELL_WARNINGS} more cell(s) like these",
        ]
    warnings.extend(hits)
    return FileRead(
        frame=frame,
        name=label,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        header_line=header_line,
        lines=tuple(lines),
        columns={name: written[i] for name, i in found.items()},
        sheet=sheet,
        warnings=tuple(warnings),
    )


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}


# ---------------------------------------------------------------------------- entry point
def read_table(
    source: Source,
    *,
    name: str | None = None,
    expected: Mapping[str, Sequence[str]],
    required: Sequence[Sequence[str]],
) -> FileRead:
    """Read a CSV or XLSX file as a table of text (see the module docstring).

    ``expected`` is ``{field: aliases}``: a header cell names a field when its
    :func:`header_key` equals the field's or one of its aliases'. ``required``
    lists alternatives, each a set of fields that together make a header row,
    e.g. ``[("firstName", "lastName"), ("fullName",)]``. ``name`` names the
    file in messages (default: the path, or ``upload`` for bytes).

    Raises :class:`InputError` naming the file for an unreadable or empty file,
    a missing header (naming the fields and aliases looked for), an unclosed
    quote or a row with too many cells (naming the line).
    """
    data, label = load_bytes(source, name)
    if not data.strip():
        raise InputError(f"{label}: the file is empty")
    if not data.startswith(_ZIP_MAGIC):
        check_line_lengths(data, label)
    lookup = _lookup(expected)
    suffix = Path(label).suffix.lower()
    if data.startswith(_ZIP_MAGIC):
        read = _read_xlsx(data, label, expected, lookup, required)
    elif data.startswith(_OLE_MAGIC):
        raise InputError(
            f"{label}: a legacy .xls workbook or a password-protected one; open it in Excel and save it as "
            ".xlsx (without a password) or as CSV UTF-8"
        )
    elif suffix in {".xlsx", ".xlsm"}:
        raise InputError(f"{label}: named {suffix} but not an Excel workbook (no zip signature); export it again")
    else:
        read = _read_csv(data, label, expected, lookup, required)
    return read
