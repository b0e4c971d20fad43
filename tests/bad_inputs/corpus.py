"""A corpus of bad (and borderline) input files for every loader, generated, not committed.

Each :class:`Case` is one upload: a side (``payfit`` or ``equify``), one file or a folder of
JSON pages, and what must happen: ``rows`` (accepted, that many rows loaded) or ``error`` (a
regex the :class:`~reconcile.exceptions.InputError` message must match; it must also name
the file). The files are built here from seeded generators so that the repository holds
no big binaries; :func:`cases` returns them all (both sides: Payfit CSV/XLSX/JSON pages,
Equify CSV/XLSX).

Kinds covered: empty, blank, header only, no header, wrong columns, binary, NUL bytes,
UTF-16/32 with and without a byte-order mark, mixed and misread encodings, delimiters and
title lines, unclosed quotes, rows wider than the header, thousands of columns, long lines
and huge cells, duplicate and blank ids, XLSX that is truncated, not a workbook, a legacy
``.xls``, a zip bomb, a damaged sheet, formulas, error values, far-away cells, several
sheets; JSON that is truncated, deeply nested, holds a 5,000-digit integer, has the wrong
shape at every level, duplicate or missing ids, an incomplete dump.
"""

from __future__ import annotations

import codecs
import io
import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Case", "cases"]


@dataclass(frozen=True)
class Case:
    """One upload and its expected outcome (exactly one of ``rows`` and ``error``)."""

    name: str  # the file's name (or the folder's, for several JSON pages)
    side: str  # "payfit" or "equify"
    files: tuple[tuple[str, bytes], ...]  # one file, or the pages of a folder
    rows: int | None = None
    error: str | None = None

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.files)

    @property
    def folder(self) -> bool:
        return len(self.files) > 1


def _one(name: str, side: str, data: bytes, *, rows: int | None = None, error: str | None = None) -> Case:
    return Case(name, side, ((name, data),), rows, error)


# ---------------------------------------------------------------------------- builders
EQUIFY_HEADER = ["id", "prénom", "nom", "email"]
PAYFIT_HEADER = ["matricule", "prénom", "nom", "email personnel"]


def _people(n: int, start: int = 1) -> list[list[str]]:
    return [
        [f"{1000 + i}", "Hélène" if i % 2 else "Jean", f"Dupont{i}", f"p{i}@example.fr"]
        for i in range(start, start + n)
    ]


def csv_bytes(
    rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8", end: str = "\n", quote: bool = False
) -> bytes:
    def cell(value: str) -> str:
        if quote or delimiter in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    text = "".join(delimiter.join(cell(v) for v in row) + end for row in rows)
    return text.encode(encoding)


def xlsx_bytes(fill: Callable[[Any], None] | list[list[Any]], *, sheets: int = 1) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    if callable(fill):
        fill(book)
    else:
        for row in fill:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _xlsx_members(base: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _xlsx_with_sheet(sheet_xml: bytes, base: bytes) -> bytes:
    members = _xlsx_members(base)
    members["xl/worksheets/sheet1.xml"] = sheet_xml
    return zip_bytes(members)


def page(collaborators: list[Any], token: str | None = None) -> bytes:
    return json.dumps({"collaborators": collaborators, "meta": {"nextPageToken": token}}, ensure_ascii=False).encode()


def collaborator(i: int, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f"c{i}",
        "firstName": "Hélène" if i % 2 else "Jean",
        "lastName": f"Dupont{i}",
        "emails": [{"email": f"p{i}@example.fr", "type": "personal"}],
        "contracts": [{"id": f"k{i}", "status": "ACTIVE", "startDate": "2020-01-01"}],
    }
    out.update(extra)
    return out


def _random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


# ---------------------------------------------------------------------------- the cases
def _table_cases(side: str) -> list[Case]:
    """Cases shared by the CSV/XLSX loaders of both sides (``p-`` or ``e-`` prefixed names)."""
    p = "p-" if side == "payfit" else "e-"
    header = PAYFIT_HEADER if side == "payfit" else EQUIFY_HEADER
    what = "matricule" if side == "payfit" else "account id"
    ok3 = [header, *_people(3)]
    names = "firstName, lastName"  # the required columns of both sides
    missing = f"required column\\(s\\) {names}|required column\\(s\\) (firstName, lastName|fullName)"
    c: list[Case] = [
        _one(f"{p}empty.csv", side, b"", error="the file is empty"),
        _one(f"{p}blank-lines.csv", side, b"\n\n   \r\n\t\n", error="the file is empty"),
        _one(f"{p}header-only.csv", side, csv_bytes([header]), error="holds no .* \\(no data row\\)"),
        _one(f"{p}header-only-crlf.csv", side, csv_bytes([header], end="\r\n"), error="holds no"),
        _one(f"{p}header-then-blank-rows.csv", side, csv_bytes([header, ["", "", "", ""], []]), error="holds no"),
        _one(f"{p}no-header.csv", side, csv_bytes(_people(5)), error=missing),
        _one(f"{p}wrong-columns.csv", side, csv_bytes([["a", "b", "c"], ["1", "2", "3"]]), error=missing),
        _one(f"{p}only-delimiters.csv", side, b";;;;\n;;;;\n;;;;\n", error=missing),
        _one(f"{p}json-as-csv.csv", side, b'{"accounts": [1, 2, 3]}\n', error=missing),
        _one(f"{p}html-as-csv.csv", side, b"<!doctype html><html><body><table></table></body></html>\n", error=missing),
        _one(f"{p}random-binary.csv", side, _random_bytes(4096, 1), error="NUL bytes|required column"),
        _one(f"{p}random-high-bytes.csv", side, bytes(b | 0x80 for b in _random_bytes(4096, 2)), error=missing),
        _one(f"{p}png.csv", side, b"\x89PNG\r\n\x1a\n" + _random_bytes(2000, 3), error="NUL bytes|required column"),
        _one(f"{p}pdf.csv", side, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n", error=missing),
        _one(f"{p}gzip.csv", side, b"\x1f\x8b\x08\x00" + _random_bytes(500, 4), error="NUL bytes|required column"),
        _one(f"{p}nul-in-a-cell.csv", side, csv_bytes(ok3).replace(b"Dupont2", b"Dup\x00ont2"), error="NUL bytes"),
        _one(f"{p}utf16le-no-bom.csv", side, csv_bytes(ok3, encoding="utf-16-le"), error="NUL bytes.*UTF-16"),
        _one(f"{p}utf16be-no-bom.csv", side, csv_bytes(ok3, encoding="utf-16-be"), error="NUL bytes"),
        _one(f"{p}utf16-bom.csv", side, csv_bytes(ok3, encoding="utf-16"), rows=3),
        _one(f"{p}utf16-bom-odd-length.csv", side, csv_bytes(ok3, encoding="utf-16") + b"\x41", error="UTF-16"),
        _one(f"{p}utf32-bom.csv", side, csv_bytes(ok3, encoding="utf-32"), error="UTF-32 text is not supported"),
        _one(f"{p}only-a-bom.csv", side, codecs.BOM_UTF8, error=missing),
        _one(f"{p}utf8-bom.csv", side, codecs.BOM_UTF8 + csv_bytes(ok3), rows=3),
        _one(f"{p}cp1252.csv", side, csv_bytes(ok3, delimiter=";", encoding="cp1252"), rows=3),
        _one(
            f"{p}mixed-utf8-cp1252.csv",
            side,
            csv_bytes([header, *_people(2)]) + csv_bytes(_people(2, start=3), encoding="cp1252"),
            rows=4,
        ),
        _one(f"{p}mojibake.csv", side, csv_bytes(ok3).replace("Hélène".encode(), "HÃ©lÃ¨ne".encode()), rows=3),
        _one(f"{p}latin1-c1-bytes.csv", side, csv_bytes(ok3).replace("Hélène".encode(), b"H\x81l\x9dne"), rows=3),
        _one(f"{p}semicolons.csv", side, csv_bytes(ok3, delimiter=";"), rows=3),
        _one(f"{p}tabs.tsv", side, csv_bytes(ok3, delimiter="\t"), rows=3),
        _one(f"{p}pipes.txt", side, csv_bytes(ok3, delimiter="|"), rows=3),
        _one(f"{p}cr-only.csv", side, csv_bytes(ok3, end="\r"), rows=3),
        _one(f"{p}all-quoted.csv", side, csv_bytes(ok3, quote=True), rows=3),
        _one(f"{p}title-lines.csv", side, b"Export RH du 02/03/2025\n\n" + csv_bytes(ok3, delimiter=";"), rows=3),
        _one(f"{p}header-at-line-25.csv", side, b"title\n" * 24 + csv_bytes(ok3), error=missing),
        _one(
            f"{p}unclosed-quote.csv",
            side,
            csv_bytes(ok3) + b'1009,"Jean,Dupont9,x@example.fr\n',
            error="line 5: .*quote",
        ),
        _one(
            f"{p}too-many-cells.csv",
            side,
            csv_bytes([*ok3, ["1010", "Jean", "Dupont, Jr", "x@example.fr", "extra"]]).replace(
                b'"Dupont, Jr"', b"Dupont, Jr"
            ),
            error="line 5: 6 cells where the header \\(line 1\\) has 4",
        ),
        _one(
            f"{p}duplicate-{what.replace(' ', '-')}.csv",
            side,
            csv_bytes([*ok3, _people(1)[0]]),
            error=f"{what} '1001' appears twice",
        ),
        _one(
            f"{p}header-repeated-4000.csv",
            side,
            csv_bytes([header + ["nom"] * 4000, *_people(2)]),
            error="the header has 4,004 columns, over the limit of 1,000",
        ),
        _one(
            f"{p}columns-1001.csv",
            side,
            csv_bytes([header + [f"c{i}" for i in range(997)], *(r + ["x"] * 997 for r in _people(3))]),
            error="1,001 columns",
        ),
        _one(
            f"{p}columns-1000.csv",
            side,
            csv_bytes([header + [f"c{i}" for i in range(996)], *(r + ["x"] * 996 for r in _people(3))]),
            rows=3,
        ),
        _one(f"{p}columns-999-same-name.csv", side, csv_bytes([header + ["x"] * 995, *_people(3)]), rows=3),
        _one(
            f"{p}trailing-empty-cells-5000.csv",
            side,
            csv_bytes([header, *(r + [""] * 5000 for r in _people(3))]),
            rows=3,
        ),
        _one(
            f"{p}row-of-5000-values.csv",
            side,
            csv_bytes([*ok3, ["x"] * 5000]),
            error="line 5: 5000 cells where the header",
        ),
        _one(
            f"{p}line-2MB.csv",
            side,
            csv_bytes([header]) + b"a" * 2_000_000 + b"\n",
            error="line 2: 2,000,000 bytes on one line",
        ),
        _one(f"{p}single-line-5MB.csv", side, b"nom,prenom," * 500_000, error="line 1: 5,500,000 bytes on one line"),
        _one(
            f"{p}cell-200k.csv",
            side,
            csv_bytes([*ok3, ["1009", "Jean", "D" * 200_000, "x@example.fr"]]),
            error="line 5: a cell is longer than 131,072 characters",
        ),
        _one(
            f"{p}quoted-cell-200k-over-lines.csv",
            side,
            csv_bytes([*ok3, ["1009", "Jean", "ab\n" * 70_000, "x@example.fr"]]),
            error="line 5: a cell is longer than 131,072",
        ),
        _one(f"{p}cell-100k.csv", side, csv_bytes([*ok3, ["1009", "Jean", "D" * 100_000, "x@example.fr"]]), rows=4),
        _one(f"{p}rows-10000.csv", side, csv_bytes([header, *_people(10_000)]), rows=10_000),
        _one(f"{p}blank-rows-900k.csv", side, csv_bytes(ok3) + b",,,\n" * 225_000 + b"\n" * 50_000, rows=3),
        _one(f"{p}newlines-900k.csv", side, csv_bytes(ok3) + b"\r\n" * 450_000, rows=3),
        _one(
            f"{p}mojibake-700k.csv",
            side,
            csv_bytes([header, *([f"{2000 + i}", "HÃ©lÃ¨ne" * 8, "Ã‰ric", "x@example.fr"] for i in range(5_000))]),
            rows=5_000,
        ),
        _one(
            f"{p}high-bytes-300k.csv",
            side,
            csv_bytes([header])
            + b"".join(
                b"%d,%s,D,x@example.fr\n"
                % (
                    3000 + i,
                    _random_bytes(20, i)
                    .replace(b",", b"")
                    .replace(b"\n", b"")
                    .replace(b"\r", b"")
                    .replace(b'"', b"")
                    .replace(b"\x00", b""),
                )
                for i in range(8_000)
            ),
            rows=8_000,
        ),
        _one(
            f"{p}hostile-text.csv",
            side,
            csv_bytes([header, ["1001", "=cmd|' /C calc'!A0", "\x1b[31mRed\u202eevil", "@SUM(1+1)"], *_people(2, 2)]),
            rows=3,
        ),
        _one(f"{p}named-xlsx-but-text.xlsx", side, csv_bytes(ok3), error="named .xlsx but not an Excel workbook"),
        _one(f"{p}legacy.xls", side, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), error="legacy .xls workbook"),
        _one(f"{p}empty.xlsx", side, b"", error="the file is empty"),
    ]
    if side == "payfit":
        c += [
            _one(
                "p-full-name-only.csv",
                side,
                csv_bytes([["matricule", "nom complet"], ["1", "DUPONT Jean"], ["2", "Hélène MARTIN"]]),
                rows=2,
            ),
            _one(
                "p-names-only.csv", side, csv_bytes([["prénom", "nom"], ["Jean", "Dupont"], ["Jean", "Dupont"]]), rows=2
            ),
            _one(
                "p-id-column-blank.csv",
                side,
                csv_bytes([["id", *header], ["c1", *_people(1)[0]], ["  ", *_people(1, 2)[0]]]),
                error="line 3: the collaborator id is empty",
            ),
            _one(
                "p-id-column-duplicate.csv",
                side,
                csv_bytes([["id", *header], ["c1", *_people(1)[0]], ["c1", *_people(1, 2)[0]]]),
                error="collaborator id 'c1' appears twice",
            ),
            _one(
                "p-shared-email.csv",
                side,
                csv_bytes([["prénom", "nom", "email"], ["A", "B", "x@example.fr"], ["C", "D", "X@example.fr"]]),
                rows=2,
            ),
            _one(
                "p-bad-termination-date.csv",
                side,
                csv_bytes([[*header, "date de sortie"], [*_people(1)[0], "soon"]]),
                rows=1,
            ),
        ]
    else:
        c += [
            _one(
                "e-blank-id.csv",
                side,
                csv_bytes([*ok3, ["  ", "Jean", "Martin", "m@example.fr"]]),
                error="line 5: the account id is empty",
            ),
            _one(
                "e-no-id-column.csv",
                side,
                csv_bytes([["prénom", "nom"], ["Jean", "Dupont"], ["Jean", "Dupont"]]),
                rows=2,
            ),
            _one(
                "e-id-looks-generated.csv",
                side,
                csv_bytes([*ok3, ["1001 ", "A", "B", ""]]),
                error="account id '1001' appears twice",
            ),
        ]
    c += _xlsx_cases(side, p, header, what)
    return c


def _xlsx_cases(side: str, p: str, header: list[str], what: str) -> list[Case]:
    ok = xlsx_bytes([header, *_people(3)])

    def far_column(book: Any) -> None:
        sheet = book.active
        for row in [header, *_people(3)]:
            sheet.append(row)
        sheet.cell(row=3, column=16_000, value="x")

    def far_row(book: Any) -> None:
        sheet = book.active
        for row in [header, *_people(3)]:
            sheet.append(row)
        sheet.cell(row=1_048_576, column=2, value="Far")

    def formula(book: Any) -> None:
        sheet = book.active
        for row in [header, *_people(3)]:
            sheet.append(row)
        sheet["D3"] = '=CONCAT("a","@example.fr")'

    def error_values(book: Any) -> None:
        sheet = book.active
        for row in [header, *_people(3)]:
            sheet.append(row)
        sheet["D2"] = "#N/A"

    def second_sheet(book: Any) -> None:
        book.active.append(["notes"])
        other = book.create_sheet("RH")
        for row in [header, *_people(3)]:
            other.append(row)

    def numbers_and_dates(book: Any) -> None:
        import datetime as dt

        sheet = book.active
        sheet.append([*header, "tel", "date de naissance"])
        for i, row in enumerate(_people(3)):
            sheet.append([int(row[0]), *row[1:], 612345678 + i, dt.datetime(1985, 3, 2 + i)])

    def wide_header(book: Any) -> None:
        book.active.append(header + [f"c{i}" for i in range(2000)])
        book.active.append(_people(1)[0])

    sheet_xml = _xlsx_members(ok)["xl/worksheets/sheet1.xml"]
    return [
        _one(f"{p}ok.xlsx", side, ok, rows=3),
        _one(f"{p}header-only.xlsx", side, xlsx_bytes([header]), error="holds no"),
        _one(f"{p}empty-sheet.xlsx", side, xlsx_bytes([]), error="required column"),
        _one(f"{p}truncated.xlsx", side, ok[: len(ok) // 2], error="not a readable XLSX workbook"),
        _one(f"{p}truncated-tail.xlsx", side, ok[:-30], error="not a readable XLSX workbook"),
        _one(f"{p}zip-of-text.xlsx", side, zip_bytes({"hello.txt": b"hello"}), error="not a readable XLSX workbook"),
        _one(
            f"{p}zip-magic-then-garbage.xlsx",
            side,
            b"PK\x03\x04" + _random_bytes(3000, 5),
            error="not a readable XLSX workbook",
        ),
        _one(
            f"{p}zip-bomb.xlsx",
            side,
            zip_bytes({**_xlsx_members(ok), "xl/worksheets/sheet1.xml": b"<" + b" " * 40_000_000}),
            error="over 100 times",
        ),
        _one(
            f"{p}sheet-not-xml.xlsx",
            side,
            _xlsx_with_sheet(b"<worksheet><sheetData><row", ok),
            error="cannot be read|not a readable",
        ),
        _one(
            f"{p}bad-shared-string.xlsx",
            side,
            _xlsx_with_sheet(sheet_xml.replace(b"<v>0</v>", b"<v>99999</v>", 1), ok)
            if b't="s"' in sheet_xml
            else _xlsx_with_sheet(
                sheet_xml.replace(b'r="A1"', b'r="A1" t="s"', 1).replace(b"<is>", b"<v>99999</v><is>", 1), ok
            ),
            error="cannot be read|not a readable|required column",
        ),
        _one(
            f"{p}bad-cell-reference.xlsx",
            side,
            _xlsx_with_sheet(sheet_xml.replace(b'r="A2"', b'r="A!2"', 1), ok),
            error="cannot be read|not a readable",
        ),
        _one(
            f"{p}far-column.xlsx",
            side,
            xlsx_bytes(far_column),
            error="row 3: a value in column WQJ, right of the limit",
        ),
        _one(
            f"{p}far-row.xlsx",
            side,
            xlsx_bytes(far_row),
            error=f"row 1048576: the {what} is empty" if side == "equify" else None,
            rows=None if side == "equify" else 4,
        ),
        _one(
            f"{p}wide-header.xlsx",
            side,
            xlsx_bytes(wide_header),
            error="row 1: a value in column ALM, right of the limit of 1,000 columns",
        ),
        _one(f"{p}formula.xlsx", side, xlsx_bytes(formula), rows=3),
        _one(f"{p}error-values.xlsx", side, xlsx_bytes(error_values), rows=3),
        _one(f"{p}second-sheet.xlsx", side, xlsx_bytes(second_sheet), rows=3),
        _one(f"{p}numbers-and-dates.xlsx", side, xlsx_bytes(numbers_and_dates), rows=3),
        _one(
            f"{p}duplicate-{what.replace(' ', '-')}.xlsx",
            side,
            xlsx_bytes([header, *_people(2), _people(1)[0]]),
            error=f"{what} '1001' appears twice",
        ),
    ]


def _json_cases() -> list[Case]:
    ok = [collaborator(i) for i in range(1, 4)]
    deep = b"[" * 100_000 + b"]" * 100_000
    c = [
        _one("j-ok.json", "payfit", page(ok), rows=3),
        _one("j-empty.json", "payfit", b"", error="the file is empty"),
        _one("j-blank.json", "payfit", b" \n\t ", error="the file is empty"),
        _one("j-not-json.json", "payfit", b"id,name\n1,2\n", error="not valid JSON"),
        _one("j-truncated.json", "payfit", page(ok)[:-20], error="not valid JSON"),
        _one("j-binary.json", "payfit", _random_bytes(4096, 6), error="not valid JSON"),
        _one("j-latin1.json", "payfit", page(ok).decode().encode("latin-1"), error="not valid JSON"),
        _one("j-raw-nul.json", "payfit", page(ok).replace(b"Dupont1", b"Dup\x00ont1"), error="not valid JSON"),
        _one("j-escaped-nul.json", "payfit", page(ok).replace(b"Dupont1", b"Dup\\u0000ont1"), rows=3),
        _one("j-utf16-bom.json", "payfit", codecs.BOM_UTF16_LE + page(ok).decode().encode("utf-16-le"), rows=3),
        _one("j-utf16-no-bom.json", "payfit", page(ok).decode().encode("utf-16-le"), rows=3),
        _one("j-utf8-bom.json", "payfit", codecs.BOM_UTF8 + page(ok), rows=3),
        _one("j-deep-100000.json", "payfit", deep, error="nested too deeply"),
        _one("j-deep-900.json", "payfit", b"[" * 900 + b"]" * 900, error="nested deeper than 32 levels"),
        _one("j-deep-32.json", "payfit", page([collaborator(1, extra=json.loads("[" * 29 + "]" * 29))]), rows=1),
        _one(
            "j-deep-33.json",
            "payfit",
            page([collaborator(1, extra=json.loads("[" * 30 + "]" * 30))]),
            error="nested deeper than 32",
        ),
        _one(
            "j-deep-in-a-field.json",
            "payfit",
            page([collaborator(1, teamName=json.loads("[" * 50 + "]" * 50))]),
            error="nested deeper than 32",
        ),
        _one(
            "j-int-5000-digits.json",
            "payfit",
            b'{"collaborators": [{"id": ' + b"9" * 5000 + b"}]}",
            error="not valid JSON for this tool \\(it holds a number longer than 4,300 digits\\)",
        ),
        _one("j-int-id.json", "payfit", page([collaborator(1, id=12345)]), rows=1),
        _one("j-float-overflow.json", "payfit", page(ok).replace(b'"Dupont1"', b"1e999"), rows=3),
        _one("j-nan.json", "payfit", page(ok).replace(b'"Dupont1"', b"NaN"), rows=3),
        _one("j-top-string.json", "payfit", b'"collaborators"', error="expected a Payfit collaborators page"),
        _one("j-top-number.json", "payfit", b"42", error="expected a Payfit collaborators page"),
        _one("j-top-null.json", "payfit", b"null", error="expected a Payfit collaborators page"),
        _one("j-empty-list.json", "payfit", b"[]", error="holds no Payfit collaborator"),
        _one("j-empty-page.json", "payfit", page([]), error="holds no Payfit collaborator"),
        _one("j-no-collaborators-key.json", "payfit", b'{"data": []}', error="expected a Payfit collaborators page"),
        _one(
            "j-collaborators-not-list.json",
            "payfit",
            b'{"collaborators": {"id": "a"}}',
            error="expected a Payfit collaborators page",
        ),
        _one("j-items-not-objects.json", "payfit", page([1, "two", None]), error="collaborator #1: not a JSON object"),
        _one("j-no-id.json", "payfit", page([collaborator(1, id=None)]), error="collaborator #1: no id"),
        _one("j-blank-id.json", "payfit", page([collaborator(1, id="  ")]), error="collaborator #1: no id"),
        _one(
            "j-duplicate-id.json",
            "payfit",
            page([collaborator(1), collaborator(1)]),
            error="collaborator #2: id 'c1' was already given",
        ),
        _one(
            "j-name-object.json", "payfit", page([collaborator(1, firstName={"x": 1})]), error="firstName is an object"
        ),
        _one("j-id-list.json", "payfit", page([collaborator(1, id=["c1"])]), error="id is a list"),
        _one(
            "j-emails-text.json",
            "payfit",
            page([collaborator(1, emails="a@example.fr")]),
            error="emails is 'a@example.fr', expected a list",
        ),
        _one(
            "j-emails-items-text.json",
            "payfit",
            page([collaborator(1, emails=["a@example.fr"])]),
            error="emails item #1 is",
        ),
        _one(
            "j-contracts-number.json",
            "payfit",
            page([collaborator(1, contracts=5)]),
            error="contracts is 5, expected a list",
        ),
        _one(
            "j-contract-status-object.json",
            "payfit",
            page([collaborator(1, contracts=[{"status": {"a": 1}}])]),
            error="contracts item #1: status is an object",
        ),
        _one(
            "j-addresses-object.json",
            "payfit",
            page([collaborator(1, addresses={"city": "Paris"})]),
            error="addresses is an object",
        ),
        _one("j-meta-not-object.json", "payfit", b'{"collaborators": [{"id": "a"}], "meta": "x"}', rows=1),
        _one("j-incomplete-dump.json", "payfit", page(ok, "next"), error="the dump is incomplete"),
        _one("j-list-of-collaborators.json", "payfit", json.dumps(ok).encode(), rows=3),
        _one(
            "j-list-of-pages.json",
            "payfit",
            json.dumps([json.loads(page(ok[:2], "t")), json.loads(page(ok[2:]))]).encode(),
            rows=3,
        ),
        _one("j-huge-string.json", "payfit", page([collaborator(1, lastName="D" * 900_000)]), rows=1),
        _one("j-5000-collaborators.json", "payfit", page([collaborator(i) for i in range(5000)]), rows=5000),
        _one(
            "j-hostile-names.json",
            "payfit",
            page([collaborator(1, firstName="![x](http://198.51.100.1/b.png)", lastName="\x1b]0;x\x07\u202e")]),
            rows=1,
        ),
        Case(
            "j-pages-ok",
            "payfit",
            (("p1.json", page(ok[:2], "t2")), ("p2.json", page(ok[2:]))),
            rows=3,
        ),
        Case(
            "j-pages-duplicate-across",
            "payfit",
            (("p1.json", page(ok[:2], "t2")), ("p2.json", page(ok[1:]))),
            error="p2.json, collaborator #1: id 'c2' was already given by p1.json",
        ),
        Case(
            "j-pages-incomplete",
            "payfit",
            (("p1.json", page(ok[:2], "t2")), ("p2.json", page(ok[2:], "t3"))),
            error="the dump is incomplete",
        ),
        Case(
            "j-pages-one-bad",
            "payfit",
            (("p1.json", page(ok[:2], "t2")), ("p2.json", b"{oops")),
            error="p2.json: not valid JSON",
        ),
    ]
    return c


def cases() -> list[Case]:
    """Every case, Payfit tables, Equify tables, then Payfit JSON pages (names are unique)."""
    out = [*_table_cases("payfit"), *_table_cases("equify"), *_json_cases()]
    names = [c.name for c in out]
    assert len(set(names)) == len(names), "case names must be unique"
    for case in out:
        assert (case.rows is None) != (case.error is None), case.name
    return out
