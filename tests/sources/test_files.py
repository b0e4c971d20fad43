"""Loading CSV and XLSX exports (cases L1-L5 of shared/cases.md and their neighbours).

Most tests are tables: one row per input, run through one helper, so adding a
case is one line. XLSX files are built in the test with openpyxl.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from reconcile import FieldMapping, InputError, Workspace, match, workflow
from reconcile.matching.normalize import clean_text, normalize_date, normalize_phone
from reconcile.sources.equify import ACCOUNT_COLUMNS, EQUIFY_HEADERS, read_equify_accounts, read_equify_file
from reconcile.sources.files import header_key, mojibake_guess, read_table
from reconcile.sources.payfit import PAYFIT_COLUMNS
from reconcile.sources.payfit_files import PAYFIT_HEADERS, read_payfit_export, read_payfit_file

TODAY = dt.date(2025, 3, 2)
L1_TEXT = "nom;prénom;email\nLEFÈVRE;Hélène;h.lefevre@example.fr\n"


def _xlsx(
    rows: list[list[Any]], *, formats: dict[str, str] | None = None, sheets: dict[str, list[list[Any]]] | None = None
) -> bytes:
    """An XLSX workbook: ``rows`` in the first sheet (``None`` leaves a cell empty), extra ``sheets`` after it."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Feuil1"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    for title, extra in (sheets or {}).items():
        other = book.create_sheet(title)
        for row in extra:
            other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _payfit(data: bytes, name: str = "payfit.csv"):
    return read_payfit_file(data, name=name, today=TODAY)


# ---------------------------------------------------------------------------- L1: encodings
@pytest.mark.parametrize(
    ("data", "encoding", "first", "last", "warning"),
    [
        pytest.param(L1_TEXT.encode("cp1252"), "cp1252", "Hélène", "LEFÈVRE", None, id="L1-cp1252"),
        pytest.param(L1_TEXT.encode("utf-8"), "utf-8", "Hélène", "LEFÈVRE", None, id="utf-8-never-latin-1"),
        pytest.param(codecs.BOM_UTF8 + L1_TEXT.encode(), "utf-8-sig", "Hélène", "LEFÈVRE", None, id="utf-8-bom"),
        pytest.param(
            "nom;prénom\nGARÇON;Françoise\n".encode("latin-1"),
            "cp1252",
            "Françoise",
            "GARÇON",
            None,
            id="latin-1-bytes",
        ),
        pytest.param(
            "nom;prénom\nD’ARC;Jeanne\n".encode("cp1252"), "cp1252", "Jeanne", "D’ARC", None, id="cp1252-quote"
        ),
        pytest.param(
            "nom;prénom\nMOREAU;Éric\n".encode() + "LEFÈVRE;Hélène\n".encode("cp1252"),
            "utf-8+cp1252",
            "Éric",
            "MOREAU",
            "mixed encodings: line(s) 3 are not UTF-8",
            id="mixed-utf-8-and-cp1252",
        ),
        pytest.param(
            b"nom;pr\xe9nom\nLEF\x81VRE;H\xe9l\xe8ne\n",
            "cp1252+latin-1",
            "Hélène",
            "LEF\x81VRE",
            "line(s) 2 hold bytes that are neither UTF-8 nor Windows-1252",
            id="latin-1-last-resort",
        ),
        pytest.param(
            codecs.BOM_UTF16_LE + "nom\tprénom\r\nLEFÈVRE\tHélène\r\n".encode("utf-16-le"),
            "utf-16",
            "Hélène",
            "LEFÈVRE",
            None,
            id="excel-unicode-text-utf-16",
        ),
    ],
)
def test_encodings_are_detected_without_ever_reading_utf8_as_latin1(data, encoding, first, last, warning):
    read = _payfit(data, "export.csv")
    assert read.encoding == encoding
    assert (read.frame.loc[0, "firstName"], read.frame.loc[0, "lastName"]) == (first, last)
    assert not any("Ã" in str(v) for v in read.frame.loc[0])
    if warning is None:
        assert not [w for w in read.warnings if "encoding" in w or "mojibake" in w or "latin-1" in w]
    else:
        assert any(w.startswith("export.csv: ") and warning in w for w in read.warnings), read.warnings


def test_l1_cp1252_export_has_three_columns_and_matches_equify_helene():
    read = read_table(
        L1_TEXT.encode("cp1252"), name="rh.csv", expected=PAYFIT_HEADERS, required=[("firstName", "lastName")]
    )
    assert list(read.frame.columns) == ["lastName", "firstName", "email"]
    assert read.delimiter == ";" and read.frame.loc[0, "firstName"] == "Hélène"

    source = read_payfit_export(L1_TEXT.encode("cp1252"), name="rh.csv", today=TODAY)
    mapping = FieldMapping.default()
    with_email = pd.DataFrame(
        [{"id": "e1", "firstName": "Hélène", "lastName": "Lefèvre", "email": "h.lefevre@example.fr"}]
    )
    result = match(source, with_email, mapping=mapping)
    assert result.records.loc[0, ["action", "target_id"]].tolist() == ["link", "e1"]
    without_email = with_email.assign(email=None)
    result = match(source, without_email, mapping=mapping)
    assert result.candidates.loc[0, "name_score"] == 100  # the name is read right, so it is the same person
    assert result.records.loc[0, "category"] == "conflict"  # a name alone never links (domain §5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HÃ©lÃ¨ne", "Hélène"),
        ("LEFÃˆVRE", "LEFÈVRE"),
        ("Ã‰ric", "Éric"),
        ("FranÃ§oise", "Françoise"),
        ("Lâ€™Oréal", "L’Oréal"),
        ("Ã\u00a0 Paris", "à Paris"),
        ("Â°C", "°C"),
        ("Hélène", None),
        ("Éric", None),
        ("JOÃO", None),
        ("Œuvre", None),
        ("RENÉ\u00a0DUPONT", None),
        ("fiancé\u00a0»", None),
        ("N° 12", None),
        ("plain", None),
        ("", None),
    ],
)
def test_mojibake_guess(text, expected):
    assert mojibake_guess(text) == expected


def test_text_that_already_holds_mojibake_is_flagged_with_file_line_and_column():
    data = "nom;prénom;email\nLEFÃˆVRE;HÃ©lÃ¨ne;h@example.fr\nMOREAU;Éric;e@example.fr\n".encode()
    read = _payfit(data, "rh.csv")
    assert read.encoding == "utf-8"
    assert read.frame.loc[0, "firstName"] == "HÃ©lÃ¨ne"  # kept as written: flagged, not silently repaired
    flagged = [w for w in read.warnings if "mojibake" in w]
    assert len(flagged) == 2
    assert any(w.startswith("rh.csv, line 2, column 'prénom': 'HÃ©lÃ¨ne'") and "'Hélène'" in w for w in flagged)


def test_mojibake_warnings_are_capped():
    data = ("nom;prénom\n" + "".join(f"X{n};HÃ©lÃ¨ne\n" for n in range(30))).encode()
    flagged = [w for w in _payfit(data).warnings if "mojibake" in w or "more cell" in w]
    assert len(flagged) == 11 and flagged[-1].endswith("and 20 more cell(s) like these")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("nom;prénom\nA;B\n".encode("utf-16-le"), "holds NUL bytes", id="utf-16-without-bom"),
        pytest.param(b"\x00\x01\x02binary", "holds NUL bytes", id="binary"),
        pytest.param(codecs.BOM_UTF32_LE + "nom".encode("utf-32-le"), "UTF-32", id="utf-32"),
    ],
)
def test_undecodable_text_is_a_clear_error(data, message):
    with pytest.raises(InputError, match=f"^odd.csv: .*{message}"):
        _payfit(data, "odd.csv")


# ---------------------------------------------------------------------------- L2, L3: headers
def test_a_dos_code_page_is_named_by_charset_normalizer_and_never_chosen_by_it():
    data = "nom;prénom;email\nLEFÈVRE;Hélène;h.lefevre@example.fr\n".encode("cp850")
    with pytest.raises(InputError) as err:  # "prénom" reads "pr‚nom" in Windows-1252: no header
        _payfit(data, "dos.csv")
    assert "found: nom, pr‚nom, email. Note: dos.csv: the bytes look like the cp850 code page" in str(err.value)
    read = read_table(data, name="dos.csv", expected={"lastName": ("nom",)}, required=[("lastName",)])
    assert read.encoding == "cp1252" and any("cp850 code page" in w for w in read.warnings)


def test_l2_utf8_bom_first_header_is_email():
    data = codecs.BOM_UTF8 + b'"email","nom"\r\n"a.martin@example.fr","MARTIN"\r\n'
    read = read_table(data, name="l2.csv", expected=PAYFIT_HEADERS, required=[("email",)])
    assert read.encoding == "utf-8-sig" and read.delimiter == ","
    assert list(read.frame.columns) == ["email", "lastName"] and read.columns["email"] == "email"
    assert read.frame.loc[0].tolist() == ["a.martin@example.fr", "MARTIN"]
    with_first_name = codecs.BOM_UTF8 + b'"email","nom","prenom"\r\n"a.martin@example.fr","MARTIN","Anne"\r\n'
    assert _payfit(with_first_name).frame.loc[0, "email"] == "a.martin@example.fr"


def test_l3_title_line_is_skipped_and_named():
    data = b"Export RH du 02/03/2025\nmatricule;nom;prenom;email\n1001;DUPONT;Jean;j.dupont@example.fr\n"
    read = read_table(data, name="rh.csv", expected=PAYFIT_HEADERS, required=[("firstName", "lastName")])
    assert list(read.frame.columns) == ["matricule", "lastName", "firstName", "email"]
    assert read.frame.loc[0].tolist() == ["1001", "DUPONT", "Jean", "j.dupont@example.fr"]
    assert (read.header_line, read.lines, read.delimiter) == (2, (3,), ";")
    assert any("rh.csv, line 2: header found there; 1 title line(s) above it skipped" in w for w in read.warnings)
    records = read_payfit_export(data, name="rh.csv", today=TODAY)
    assert records.loc[0, ["id", "matricule", "firstName", "lastName"]].tolist() == ["1001", "1001", "Jean", "DUPONT"]


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        pytest.param(
            b"Export RH\ncode;libelle\n1;x\n",
            ["firstName as", "prénom", "fullName as", "found: code, libelle"],
            id="wrong-columns",
        ),
        pytest.param(
            b"nom;email\nDUPONT;d@x.fr\n",
            ["required column(s) firstName; or fullName", "found: nom, email"],
            id="first-name-missing",
        ),
        pytest.param(b'{"collaborators": []}', ["required column(s)"], id="json-given-as-csv"),
        pytest.param(b"x\n" * 20 + b"nom;prenom\nA;B\n", ["in the first 20 lines"], id="header-too-far-down"),
    ],
)
def test_a_file_without_the_required_columns_names_the_file_and_the_columns_looked_for(data, fragments):
    with pytest.raises(InputError) as err:
        _payfit(data, "rh.csv")
    message = str(err.value)
    assert message.startswith("rh.csv: required column(s)") and "looked for" in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_bad_file_leaves_the_workspace_unchanged(demo_workspace: Workspace):
    before = (demo_workspace.revision, demo_workspace.counts())
    with pytest.raises(InputError, match="^accounts.csv: required column"):
        workflow.load_equify_file(demo_workspace, b"Export\ncode;libelle\n1;x\n", "accounts.csv")
    assert (demo_workspace.revision, demo_workspace.counts()) == before


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Prénom", "firstName"),
        (" PRENOM ", "firstName"),
        ("First Name", "firstName"),
        ("firstName", "firstName"),
        ("first_name", "firstName"),
        ("Nom", "lastName"),
        ("Last name", "lastName"),
        ("lastName", "lastName"),
        ("E-mail", "email"),
        ("Email", "email"),
        ("mail", "email"),
        ("Courriel", "email"),
        ("Téléphone", "phoneNumber"),
        ("Tél.", "phoneNumber"),
        ("tel", "phoneNumber"),
        ("phoneNumber", "phoneNumber"),
        ("Portable", "phoneNumber"),
        ("Mobile", "phoneNumber"),
        ("Date de naissance", "birthDate"),
        ("birthDate", "birthDate"),
        ("Matricule", "matricule"),
        ("Employee ID", "matricule"),
        ("ID", "id"),
        ("Nationalité", "nationality"),
        ("Adresse", "address"),
        ("Code postal", "postcode"),
        ("Ville", "city"),
        ("Pays", "country"),
    ],
)
@pytest.mark.parametrize("headers", [EQUIFY_HEADERS, PAYFIT_HEADERS], ids=["equify", "payfit"])
def test_header_aliases(headers, header, field):
    keys = {header_key(a): f for f, aliases in headers.items() for a in (f, *aliases)}
    assert keys[header_key(header)] == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Nom complet", "fullName"),
        ("Full name", "fullName"),
        ("Salarié", "fullName"),
        ("Email personnel", "personalEmail"),
        ("Date de sortie", "terminationDate"),
    ],
)
def test_payfit_only_header_aliases(header, field):
    keys = {header_key(a): f for f, aliases in PAYFIT_HEADERS.items() for a in (f, *aliases)}
    assert keys[header_key(header)] == field


# ---------------------------------------------------------------------------- L4, L5: text, never numbers
L4_CSV = (
    b"matricule;nom;prenom;tel;code postal\n00123;DUPONT;Jean;0612345678;01000\n00124;PEETERS;Lotte;+32470123456;1000\n"
)


@pytest.mark.parametrize(
    ("reader", "column"),
    [
        pytest.param(lambda d: read_payfit_export(d, name="rh.csv", today=TODAY), "matricule", id="payfit"),
        pytest.param(lambda d: read_equify_file(d, name="accounts.csv").frame, "matricule", id="equify"),
    ],
)
def test_l4_phone_postcode_and_matricule_stay_text(reader, column):
    frame = reader(L4_CSV)
    assert frame["phoneNumber"].tolist() == ["0612345678", "+32470123456"]
    assert [normalize_phone(v).e164 for v in frame["phoneNumber"]] == ["+33612345678", "+32470123456"]
    assert frame["postcode"].tolist() == ["01000", "1000"]
    assert frame[column].tolist() == ["00123", "00124"]


L5_ROWS = [
    ["nom", "prenom", "tel"],
    ["DUPONT", "Jean", 612345678],
    ["MARTIN", "Anne", None],
    ["PETIT", "Paul", 698765432],
    ["HUET", "Yves", "3.36123E+10"],
    ["MOREAU", "Éric", 612345678.0],
]


@pytest.mark.parametrize(
    ("row", "text", "e164", "status"),
    [
        (0, "612345678", "+33612345678", "valid"),
        (1, None, None, "empty"),
        (2, "698765432", "+33698765432", "valid"),
        (3, "3.36123E+10", None, "corrupted"),
        (4, "612345678", "+33612345678", "valid"),
    ],
)
def test_l5_xlsx_phone_numbers_are_whole_and_corrupted_text_is_flagged(row, text, e164, status):
    frame = read_payfit_export(_xlsx(L5_ROWS), name="rh.xlsx", today=TODAY)
    assert frame.loc[row, "phoneNumber"] == text
    phone = normalize_phone(frame.loc[row, "phoneNumber"])
    assert (phone.e164, phone.status) == (e164, status)
    assert "+336123456780" not in frame["phoneNumber"].map(lambda v: normalize_phone(v).e164 or "").tolist()


def test_xlsx_cells_become_the_text_they_show():
    rows = [
        ["Export RH du 02/03/2025"],
        [],
        [
            "matricule",
            "nom",
            "prenom",
            "date de naissance",
            "naissance texte",
            "code postal",
            "note",
            "actif",
            "salaire",
        ],
        [123, "NA", "None", dt.datetime(1985, 3, 2), "02/03/1985", 1000, 3.5, True, 33612345678],
        [124, "DUPONT", "Jean", dt.date(1990, 12, 31), None, "06000", 0.00001, False, 2.5e-7],
    ]
    read = read_table(
        _xlsx(rows, formats={"A4": "00000", "F4": "00000"}),
        name="rh.xlsx",
        expected=PAYFIT_HEADERS,
        required=[("firstName", "lastName")],
    )
    assert (read.format, read.sheet, read.header_line, read.lines, read.delimiter) == (
        "xlsx",
        "Feuil1",
        3,
        (4, 5),
        None,
    )
    first, second = read.frame.iloc[0].tolist(), read.frame.iloc[1].tolist()
    assert first == ["00123", "NA", "None", "1985-03-02", "02/03/1985", "01000", "3.5", "TRUE", "33612345678"]
    assert second == ["124", "DUPONT", "Jean", "1990-12-31", None, "06000", "0.00001", "FALSE", "0.00000025"]
    assert normalize_date(read.frame.loc[0, "naissance texte"]) == "1985-03-02"
    assert any("rh.xlsx, sheet 'Feuil1', row 3: header found there" in w for w in read.warnings)


def test_xlsx_error_cells_are_empty_and_named():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["nom", "prenom", "tel"])
    sheet.append(["DUPONT", "Jean", "#N/A"])
    sheet["C2"].data_type = "e"
    buffer = io.BytesIO()
    book.save(buffer)
    read = _payfit(buffer.getvalue(), "rh.xlsx")
    assert read.frame.loc[0, "phoneNumber"] is None
    assert any("Excel error value(s) read as empty in cell(s) C2 (#N/A)" in w for w in read.warnings)


def test_xlsx_with_a_wrong_size_tag_loses_no_cell():
    data = _xlsx(L5_ROWS)
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b'<dimension ref="A1:C6" />' in parts[sheet]
    parts[sheet] = parts[sheet].replace(b'<dimension ref="A1:C6" />', b'<dimension ref="A1"/>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for n, content in parts.items():
            dst.writestr(n, content)
    frame = read_payfit_export(out.getvalue(), name="rh.xlsx", today=TODAY)
    assert frame["phoneNumber"].tolist() == ["612345678", None, "698765432", "3.36123E+10", "612345678"]


def test_xlsx_header_is_looked_for_in_every_sheet():
    data = _xlsx([["Notes"], ["nothing here"]], sheets={"Salariés": [["Prénom", "Nom"], ["Jean", "DUPONT"]]})
    read = _payfit(data, "rh.xlsx")
    assert read.sheet == "Salariés" and read.frame.loc[0, "lastName"] == "DUPONT"
    assert any("read sheet 'Salariés'" in w for w in read.warnings)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        pytest.param(b"", "rh.csv", "rh.csv: the file is empty", id="empty"),
        pytest.param(b" \r\n\n", "rh.csv", "rh.csv: the file is empty", id="blank"),
        pytest.param(
            b"nom;prenom\nA;B\n", "rh.xlsx", "rh.xlsx: named .xlsx but not an Excel workbook", id="csv-named-xlsx"
        ),
        pytest.param(b"PK\x03\x04garbage", "rh.xlsx", "rh.xlsx: not a readable XLSX workbook", id="broken-zip"),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "rh.xls", "rh.xls: a legacy .xls", id="legacy-xls"
        ),
    ],
)
def test_unreadable_files(data, name, message):
    with pytest.raises(InputError, match="^" + message.replace(".", r"\.")):
        _payfit(data, name)


def test_a_path_is_read_and_named(tmp_path: Path):
    path = tmp_path / "export rh.xlsx"
    path.write_bytes(_xlsx(L5_ROWS))
    assert read_payfit_file(path, today=TODAY).name == str(path)
    assert read_equify_file(path, name="paste.xlsx").frame["id"].tolist()[:2] == ["row-2", "row-3"]
    with pytest.raises(InputError, match=r"missing\.csv: cannot be read"):
        read_payfit_file(tmp_path / "missing.csv")


# ---------------------------------------------------------------------------- CSV dialects and bad rows
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_delimiters_quotes_and_line_endings(delimiter, newline):
    rows = [
        ["id", "prénom", "nom", "adresse"],
        ["a1", "NA", "None", f'"3{delimiter} rue ""Haute"""'],
        ["a2", "Jean", "DUPONT", ""],
    ]
    text = newline.join(delimiter.join(r) for r in rows) + newline
    read = read_equify_file(text.encode(), name="accounts.csv")
    assert read.delimiter == delimiter
    accounts = read.frame.set_index("id")
    assert accounts.loc["a1", ["firstName", "lastName", "address"]].tolist() == [
        "NA",
        "None",
        clean_text(f'3{delimiter} rue "Haute"'),  # a tab inside a value reads as a space, like every blank
    ]
    assert accounts.loc["a2", "address"] is None
    assert read.lines == (2, 3)


def test_multi_line_quoted_fields_keep_the_line_numbers_right():
    data = b'id,prenom,nom,adresse\na1,Jean,DUPONT,"1 rue Haute\nBatiment B"\n\na1,Anne,MARTIN,\n'
    with pytest.raises(InputError, match=r"^accounts\.csv, line 5: account id 'a1' appears twice \(first on line 2\)"):
        read_equify_accounts(data, name="accounts.csv")


def test_trailing_separators_and_blank_rows_from_a_spreadsheet_are_ignored():
    data = b"id;prenom;nom;;\r\na1;Jean;DUPONT;;\r\n;;;;\r\n\r\na2;Anne;MARTIN;;\r\n"
    read = read_equify_file(data, name="accounts.csv")
    assert read.frame["id"].tolist() == ["a1", "a2"] and read.lines == (2, 5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            b"id,prenom,nom\na1,Jean,DUPONT\na2,Anne,MARTIN,extra\n",
            "accounts.csv, line 3: 4 cells where the header (line 1) has 3",
            id="too-many-cells",
        ),
        pytest.param(
            b'id,prenom,nom\na1,"Jean,DUPONT\na2,Anne,MARTIN\n',
            "accounts.csv, line 2: cannot be read as CSV",
            id="unclosed-quote",
        ),
        pytest.param(
            b"id,prenom,nom\na1,Jean,DUPONT\n,Anne,MARTIN\n",
            "accounts.csv, line 3: the account id is empty",
            id="empty-id",
        ),
        pytest.param(
            b"id,prenom,nom\na1,Jean,DUPONT\na1,Anne,MARTIN\n",
            "accounts.csv, line 3: account id 'a1' appears twice (first on line 2)",
            id="duplicate-id",
        ),
        pytest.param(b"prenom,nom\nJean,DUPONT\n", "accounts.csv: required column(s) id not found", id="no-id-column"),
    ],
)
def test_bad_equify_rows_are_reported_with_their_line(data, message):
    with pytest.raises(InputError) as err:
        read_equify_accounts(data, name="accounts.csv")
    assert str(err.value).startswith(message), str(err.value)


def test_equify_paste_without_ids_gets_stable_row_ids_and_a_warning():
    data = b"Contacts\nprenom;nom;email\nJean;DUPONT;j@x.fr\nAnne;MARTIN;a@x.fr\n"
    first, again = read_equify_file(data, name="paste.csv"), read_equify_file(data, name="paste.csv")
    assert first.frame["id"].tolist() == again.frame["id"].tolist() == ["row-3", "row-4"]
    assert any("paste.csv: no id column" in w for w in first.warnings)
    assert list(first.frame.columns) == list(ACCOUNT_COLUMNS) and first.frame["kind"].tolist() == ["person", "person"]


def test_header_only_files_give_empty_tables():
    accounts = read_equify_file(b"id,firstName,lastName\n", name="accounts.csv")
    assert accounts.frame.empty and list(accounts.frame.columns) == list(ACCOUNT_COLUMNS)
    assert any("no data row" in w for w in accounts.warnings)
    records = read_payfit_export(b"nom;prenom\r\n", name="rh.csv", today=TODAY)
    assert records.empty and list(records.columns) == list(PAYFIT_COLUMNS)


def test_two_columns_for_one_field_use_the_first_and_say_so():
    read = _payfit(b"nom;prenom;email;mail\nDUPONT;Jean;j@x.fr;other@x.fr\n", "rh.csv")
    assert read.frame.loc[0, "email"] == "j@x.fr"
    assert any("columns 'email' and 'mail' both read as email" in w for w in read.warnings)
    assert json.loads(read.frame.loc[0, "raw"])["mail"] == "other@x.fr"


# ---------------------------------------------------------------------------- Payfit flat exports
@pytest.mark.parametrize(
    ("csv", "ids"),
    [
        pytest.param("id;matricule;nom;prenom\np-1;1001;A;B\np-2;;C;D\n", ["p-1", "p-2"], id="id-column"),
        pytest.param(
            "matricule;nom;prenom;email\n1001;A;B;a@x.fr\n;C;D;C.D@X.fr\n;E;F;\n",
            ["1001", "email:c.d@x.fr", "row-4"],
            id="matricule-email-line",
        ),
        pytest.param(
            "nom;prenom;email\nA;B;accueil@x.fr\nC;D;Accueil@x.fr\nE;F;e@x.fr\n",
            ["row-2", "row-3", "email:e@x.fr"],
            id="shared-email",
        ),
    ],
)
def test_payfit_ids_are_stable_across_reimports(csv, ids):
    first, again = _payfit(csv.encode()), _payfit(csv.encode())
    assert first.frame["id"].tolist() == again.frame["id"].tolist() == ids


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        pytest.param("id;nom;prenom\np-1;A;B\n;C;D\n", "rh.csv, line 3: the collaborator id is empty", id="empty-id"),
        pytest.param(
            "id;nom;prenom\np-1;A;B\np-1;C;D\n",
            "rh.csv, line 3: collaborator id 'p-1' appears twice (first on line 2)",
            id="duplicate-id",
        ),
        pytest.param(
            "matricule;nom;prenom\n1001;A;B\n1001;C;D\n",
            "rh.csv, line 3: matricule '1001' appears twice (first on line 2)",
            id="duplicate-matricule",
        ),
    ],
)
def test_bad_payfit_rows_are_reported_with_their_line(csv, message):
    with pytest.raises(InputError) as err:
        _payfit(csv.encode(), "rh.csv")
    assert str(err.value).startswith(message), str(err.value)


@pytest.mark.parametrize(
    ("termination", "status", "iso"),
    [
        ("", "active", None),
        ("01/01/2025", "leaver", "2025-01-01"),
        ("2025-03-01", "leaver", "2025-03-01"),
        ("2025-03-02", "active", "2025-03-02"),
        ("31/12/2025", "active", "2025-12-31"),
        ("bientôt", "active", "bientôt"),
    ],
)
def test_payfit_status_comes_from_the_termination_date(termination, status, iso):
    read = _payfit(f"nom;prenom;date de sortie\nDUPONT;Jean;{termination}\n".encode(), "rh.csv")
    row = read.frame.loc[0]
    assert (row["status"], row["isLeaver"], row["terminationDate"]) == (status, status == "leaver", iso)
    assert (termination == "bientôt") == any("is not a date" in w for w in read.warnings)


def test_payfit_export_has_exactly_the_payfit_columns():
    csv = (
        "Matricule;Prénom;Nom;E-mail personnel;Email professionnel;Téléphone;Date de naissance;Code postal;Pays;Service\n"
        "00123;Jean;DUPONT;;j.dupont@acme.fr;06 12 34 56 78;02/03/1985;01000;FR;Ventes\n"
        "00124;Anne;MARTIN;anne@example.fr;a.martin@acme.fr;;1990-12-31;;;\n"
    )
    frame = read_payfit_export(csv.encode("cp1252"), name="rh.csv", today=TODAY)
    assert list(frame.columns) == list(PAYFIT_COLUMNS)
    assert frame[["isLeaver", "isAdminWithoutContract"]].dtypes.tolist() == [bool, bool]
    assert set(frame.drop(columns=["isLeaver", "isAdminWithoutContract"]).dtypes) == {np.dtype(object)}
    first, second = frame.iloc[0], frame.iloc[1]
    assert first[["id", "matricule", "email", "emailType", "birthDate", "postcode", "teamName"]].tolist() == [
        "00123",
        "00123",
        "j.dupont@acme.fr",
        "professional",
        "1985-03-02",
        "01000",
        "Ventes",
    ]
    assert second[["email", "emailType", "personalEmail", "professionalEmail", "phoneNumber", "country"]].tolist() == [
        "anne@example.fr",
        "personal",
        "anne@example.fr",
        "a.martin@acme.fr",
        None,
        None,
    ]
    assert json.loads(first["raw"])["Prénom"] == "Jean" and json.loads(second["raw"])["Pays"] is None


def test_payfit_full_name_column_is_kept_whole_in_last_name_and_matches():
    read = _payfit("Salarié;Email\nDUPONT Jean;\n".encode(), "rh.csv")
    assert read.frame.loc[0, ["firstName", "lastName"]].tolist() == [None, "DUPONT Jean"]
    assert any("full-name column 'Salarié'" in w for w in read.warnings)
    equify = pd.DataFrame([{"id": "e1", "firstName": "Jean", "lastName": "Dupont", "email": None}])
    result = match(read.frame, equify, mapping=FieldMapping.default())
    assert result.candidates.loc[0, "name_score"] == 100  # N2 through a file


def test_payfit_export_loads_into_a_workspace(workspace: Workspace):
    records = read_payfit_export(_xlsx(L5_ROWS), name="rh.xlsx", today=TODAY)
    assert workspace.load_payfit(records) == 5
    stored = workspace.payfit_records().set_index("id")
    assert stored.loc["row-2", "phoneNumber"] == "612345678" and stored.loc["row-5", "phoneNumber"] == "3.36123E+10"


def test_equify_cp1252_upload_loads_through_the_workflow(workspace: Workspace):
    data = "id;prénom;nom;téléphone\na1;Hélène;LEFÈVRE;0612345678\n".encode("cp1252")
    assert workflow.load_equify_file(workspace, data, "accounts.csv").rows == 1
    account = workspace.equify_accounts().iloc[0]
    assert account[["firstName", "lastName", "phoneNumber"]].tolist() == ["Hélène", "LEFÈVRE", "0612345678"]


# ---------------------------------------------------------------------------- bounds and linear time (#13)
def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    import time

    started = time.perf_counter()
    try:
        out: Any = fn(*args, **kwargs)
    except InputError as exc:
        out = exc
    return out, time.perf_counter() - started


@pytest.mark.parametrize(
    ("names", "unique"),
    [
        (["a", "b"], ["a", "b"]),
        (["a", "a", "a"], ["a", "a (2)", "a (3)"]),
        (["a", "a", "a (2)", "a"], ["a", "a (2)", "a (2) (2)", "a (3)"]),
        (["a (2)", "a", "a"], ["a (2)", "a", "a (3)"]),
    ],
)
def test_repeated_column_names_are_made_unique(names, unique):
    from reconcile.sources.files import _unique

    assert _unique(names) == unique


def test_a_header_repeating_one_name_4000_times_is_refused_at_once():
    """Was 124 s (cubic ``_unique``): now the column bound refuses it, and 990 repeats load fast."""
    data = ("nom,prénom," + ",".join(["email"] * 4_000) + "\nDupont,Jean\n").encode()
    error, seconds = _timed(read_equify_file, data, name="wide.csv")
    assert isinstance(error, InputError) and seconds < 1
    assert "wide.csv, line 1: the header has 4,002 columns, over the limit of 1,000" in str(error)
    data = ("id,nom,prénom," + ",".join(["x"] * 990) + "\n1,Dupont,Jean\n").encode()
    read, seconds = _timed(read_equify_file, data, name="wide.csv")
    assert len(read.frame) == 1 and seconds < 2


def test_a_50_mb_single_line_is_refused_at_once():
    """Did not finish in 180 s: the line bound refuses it before decoding."""
    from reconcile.sources.files import MAX_LINE_BYTES

    data = b"nom,prenom," * 4_600_000  # 50.6 MB, no newline
    error, seconds = _timed(read_payfit_file, data, name="one-line.csv")
    assert isinstance(error, InputError) and seconds < 3
    assert f"one-line.csv, line 1: {len(data):,} bytes on one line, over the limit of {MAX_LINE_BYTES:,}" in str(error)


def test_a_line_just_under_the_bound_is_read():
    from reconcile.sources.files import MAX_CELL_CHARS, MAX_LINE_BYTES

    cells = ["x" * 100_000] * 10  # 1,000,009 bytes on one line: under the line bound, each cell under the cell bound
    data = (
        "id,nom,prénom," + ",".join(f"c{i}" for i in range(10)) + "\n1,Dupont,Jean," + ",".join(cells) + "\n"
    ).encode()
    assert max(map(len, data.splitlines())) < MAX_LINE_BYTES and 100_000 < MAX_CELL_CHARS
    read, seconds = _timed(read_equify_file, data, name="long.csv")
    assert len(read.frame) == 1 and seconds < 3


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("D" * 140_000, "big.csv, line 2: a cell is longer than 131,072 characters"),
        ('"' + "ab\n" * 50_000 + '"', "big.csv, line 2: a cell is longer than 131,072"),
    ],
    ids=["one-line", "quoted-over-lines"],
)
def test_a_huge_cell_is_refused_with_its_line(cell, message):
    with pytest.raises(InputError, match=message):
        read_equify_file(f"id,nom,prénom\n1,{cell},Jean\n".encode(), name="big.csv")


def test_thousand_columns_is_the_limit_for_csv_and_xlsx():
    from reconcile.sources.files import MAX_COLUMNS

    header = ["id", "nom", "prénom", *(f"c{i}" for i in range(MAX_COLUMNS - 3))]
    row = ["1", "Dupont", "Jean", *(["x"] * (MAX_COLUMNS - 3))]
    assert len(read_equify_file(_xlsx([header, row]), name="ok.xlsx").frame.columns) == len(ACCOUNT_COLUMNS)
    assert len(read_equify_file((",".join(header) + "\n" + ",".join(row)).encode(), name="ok.csv").frame) == 1
    with pytest.raises(InputError, match="over.csv, line 1: the header has 1,001 columns, over the limit of 1,000"):
        read_equify_file((",".join([*header, "more"]) + "\n" + ",".join(row)).encode(), name="over.csv")
    with pytest.raises(
        InputError, match=r"over.xlsx, sheet 'Feuil1', row 1: a value in column ALM, right of the limit"
    ):
        read_equify_file(_xlsx([[*header, "more"], row]), name="over.xlsx")


def test_xlsx_far_away_cells_cost_nothing():
    """openpyxl pads rows to their last cell and fills missing rows: one value in XFD or in row
    1,048,576 used to cost millions of empty cells; now a value right of the limit is an error
    and a far row is just the next row."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["id", "nom", "prénom"], ["1", "Dupont", "Jean"]):
        sheet.append(row)
    sheet.cell(row=1_048_576, column=1, value="2")
    sheet.cell(row=1_048_576, column=2, value="Martin")
    out = io.BytesIO()
    book.save(out)
    read, seconds = _timed(read_equify_file, out.getvalue(), name="far.xlsx")
    assert read.frame["id"].tolist() == ["1", "2"] and read.lines == (2, 1_048_576) and seconds < 2
    sheet.cell(row=5, column=16_384, value="x")
    out = io.BytesIO()
    book.save(out)
    error, seconds = _timed(read_equify_file, out.getvalue(), name="far.xlsx")
    assert "far.xlsx, sheet 'Sheet', row 5: a value in column XFD" in str(error) and seconds < 2


def test_xlsx_zip_bombs_and_damaged_workbooks_are_refused():
    ok = _xlsx([["id", "nom", "prénom"], ["1", "Dupont", "Jean"]])
    with zipfile.ZipFile(io.BytesIO(ok)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}

    def rezip(**changes: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in {**members, **changes}.items():
                archive.writestr(name, data)
        return out.getvalue()

    sheet = "xl/worksheets/sheet1.xml"
    bomb = rezip(**{sheet: members[sheet] + b" " * 30_000_000})
    error, seconds = _timed(read_equify_file, bomb, name="bomb.xlsx")
    assert len(bomb) < 1_000_000 and seconds < 2
    assert "bomb.xlsx: the part 'xl/worksheets/sheet1.xml' unpacks to" in str(error) and "over 100 times" in str(error)
    for damaged, message in [
        (ok[: len(ok) // 2], "not a readable XLSX workbook"),
        (rezip(**{sheet: b"<worksheet><sheetData><row"}), "(not a readable XLSX workbook|cannot be read)"),
        (rezip(**{sheet: members[sheet].replace(b'r="A2"', b'r="2A"', 1)}), "cannot be read"),
    ]:
        with pytest.raises(InputError, match=f"^damaged.xlsx.*{message}"):
            read_equify_file(damaged, name="damaged.xlsx")


def test_xlsx_formulas_give_their_cached_value_and_a_warning():
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["id", "nom", "prénom", "email"], ["1", "Dupont", "Jean", '=CONCAT("j","@example.fr")']):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    read = read_equify_file(out.getvalue(), name="f.xlsx")
    assert read.frame["email"].tolist() == [None]  # openpyxl stores no computed value: nothing is run
    assert any("f.xlsx, sheet 'Sheet': cell(s) D2 hold formulas" in w for w in read.warnings)
