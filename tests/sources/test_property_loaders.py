"""Property-based tests (hypothesis): any bytes, any table, any JSON given to a loader gives a
clean result or an :class:`~reconcile.exceptions.InputError` naming the file, never another
exception (issue #13).

Loaders: Payfit CSV/XLSX exports (:func:`reconcile.sources.payfit_files.read_payfit_file`), Payfit JSON
pages (:func:`reconcile.sources.payfit.parse_payfit_pages` then :func:`~reconcile.sources.payfit.flatten_collaborators`)
and Equify CSV/XLSX files (:func:`reconcile.sources.equify.read_equify_file`). A clean result keeps the
rules of the loaders: every cell is text or ``None``, and there are no more rows than given.
Runs are derandomized (the same examples every run) and bounded, for CI on 2 cores.
"""

from __future__ import annotations

import codecs
import io
import json
import string
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconcile.exceptions import InputError
from reconcile.sources.equify import read_equify_file
from reconcile.sources.files import FileRead
from reconcile.sources.payfit import flatten_collaborators, parse_payfit_pages
from reconcile.sources.payfit_files import read_payfit_file

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=40)

HEADER_WORDS = ["id", "prénom", "nom", "email", "matricule", "nom complet", "téléphone", "date de sortie", "", "x"]
cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "NA", "None", "0612345678", "=1+1", "HÃ©lÃ¨ne", '"', ";", ",", "\n", "\r\n", "é"]),
)
headers = st.lists(st.sampled_from(HEADER_WORDS), min_size=1, max_size=8)


def _load_table(read: Any, data: bytes, name: str) -> FileRead | None:
    """The loader's result, or ``None`` after an InputError naming the file; anything else fails."""
    try:
        result = read(data, name=name)
    except InputError as exc:
        assert name in str(exc), str(exc)
        event("refused")
        return None
    assert isinstance(result, FileRead)
    event("accepted")
    return result


def _check_frame(frame: pd.DataFrame, bools: tuple[str, ...] = ()) -> None:
    for column in frame.columns:
        if column in bools:
            continue
        assert all(v is None or isinstance(v, str) for v in frame[column]), column


def _csv(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    import csv

    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)  # \r and \n cells get quoted
    text = out.getvalue()
    return text.encode(encoding, errors="replace") if encoding != "utf-8-sig" else codecs.BOM_UTF8 + text.encode()


LOADERS = [
    pytest.param(read_payfit_file, ("isLeaver", "isAdminWithoutContract"), id="payfit"),
    pytest.param(read_equify_file, (), id="equify"),
]


@pytest.mark.parametrize(("read", "bools"), LOADERS)
@SETTINGS
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes(read: Any, bools: tuple[str, ...], data: bytes, suffix: str) -> None:
    result = _load_table(read, data, "random" + suffix)
    if result is not None:
        _check_frame(result.frame, bools)


@pytest.mark.parametrize(("read", "bools"), LOADERS)
@SETTINGS
@given(
    header=headers,
    body=st.lists(st.lists(cells, max_size=9), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
    title=st.lists(st.text(max_size=20), max_size=3),
)
def test_random_csv_tables(
    read: Any,
    bools: tuple[str, ...],
    header: list[str],
    body: list[list[str]],
    delimiter: str,
    encoding: str,
    title: list[str],
) -> None:
    data = _csv([[t] for t in title] + [header, *body], delimiter, encoding)
    result = _load_table(read, data, "table.csv")
    if result is not None:
        _check_frame(result.frame, bools)
        assert len(result.frame) <= len(body)


xlsx_cells = st.one_of(
    st.none(),
    st.text(alphabet=string.printable.replace("\x0b", "").replace("\x0c", "") + "éÉ’", max_size=10),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(),
    st.sampled_from(["=1+1", '=CONCAT("a","b")', "#N/A", "#DIV/0!"]),
)


@pytest.mark.parametrize(("read", "bools"), LOADERS)
@FEW
@given(header=headers, body=st.lists(st.lists(xlsx_cells, max_size=8), max_size=8), cut=st.integers(0, 4))
def test_random_xlsx_tables(
    read: Any, bools: tuple[str, ...], header: list[str], body: list[list[Any]], cut: int
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for row in [header, *body]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    if cut:  # a truncated workbook
        data = data[: len(data) * cut // 5]
    result = _load_table(read, data, "table.xlsx")
    if result is not None:
        _check_frame(result.frame, bools)
        assert len(result.frame) <= len(body)


def _load_pages(documents: list[tuple[str, bytes]]) -> pd.DataFrame | None:
    try:
        frame = flatten_collaborators(parse_payfit_pages(documents))
    except InputError as exc:
        assert any(name in str(exc) for name, _ in documents) or "collaborator #" in str(exc), str(exc)
        event("refused")
        return None
    event("accepted")
    _check_frame(frame, ("isLeaver", "isAdminWithoutContract"))
    return frame


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_random_bytes_as_json_pages(data: bytes) -> None:
    _load_pages([("page.json", data)])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
FIELDS = [
    "id",
    "firstName",
    "lastName",
    "emails",
    "phoneNumbers",
    "addresses",
    "contracts",
    "birthDate",
    "terminationDate",
    "matricule",
]
collaborators = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8) | json_values
pages = st.fixed_dictionaries(
    {"collaborators": st.lists(collaborators, max_size=5)},
    optional={"meta": st.one_of(json_values, st.fixed_dictionaries({"nextPageToken": json_values}))},
)


@SETTINGS
@given(document=st.one_of(pages, st.lists(pages, max_size=3), json_values))
def test_random_json_pages(document: Any) -> None:
    _load_pages([("page.json", json.dumps(document).encode())])


@FEW
@given(
    people=st.lists(
        st.fixed_dictionaries(
            {"id": st.text(max_size=4)},
            optional={
                "firstName": st.text(max_size=6),
                "emails": st.lists(
                    st.fixed_dictionaries(
                        {"email": st.text(max_size=8), "type": st.sampled_from(["personal", "professional", "x"])}
                    ),
                    max_size=2,
                ),
                "contracts": st.lists(
                    st.fixed_dictionaries(
                        {"status": st.sampled_from(["ACTIVE", "ENDED", ""]), "startDate": st.text(max_size=10)}
                    ),
                    max_size=2,
                ),
                "terminationDate": st.text(max_size=10),
            },
        ),
        max_size=6,
    ),
    split=st.integers(0, 6),
)
def test_random_well_shaped_pages_in_two_files(people: list[dict[str, Any]], split: int) -> None:
    first, second = people[:split], people[split:]
    documents = [
        ("p1.json", json.dumps({"collaborators": first, "meta": {"nextPageToken": "t2"}}).encode()),
        ("p2.json", json.dumps({"collaborators": second, "meta": {"nextPageToken": None}}).encode()),
    ]
    frame = _load_pages(documents)
    if frame is not None:
        assert len(frame) == len(people) and frame["id"].is_unique


plain_cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=10)


@pytest.mark.parametrize("side", ["payfit", "equify"])
@SETTINGS
@given(
    extras=st.lists(st.sampled_from(["email", "x", "", "téléphone", "date de sortie", "ville"]), max_size=4),
    body=st.lists(st.lists(plain_cells, min_size=2, max_size=6), min_size=1, max_size=10),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_random_tables_with_the_required_columns(
    side: str, extras: list[str], body: list[list[str]], delimiter: str, encoding: str
) -> None:
    """A table with an id, first and last name columns and any text in its cells is read whole:
    one row per data row, the ids as written; or refused for a reason naming the file."""
    header = ["matricule" if side == "payfit" else "id", "prénom", "nom", *extras]
    rows = [[f"{1000 + i}", *cells[: len(header) - 1]] for i, cells in enumerate(body)]
    read = read_payfit_file if side == "payfit" else read_equify_file
    result = _load_table(read, _csv([header, *rows], delimiter, encoding), "people.csv")
    if result is not None:
        column = "id"
        assert result.frame[column].tolist() == [r[0] for r in rows]


@SETTINGS
@given(
    data=st.one_of(
        st.binary(max_size=1000),
        st.lists(
            st.lists(st.sampled_from(["source_id", "target_id", "", "p1", "a1", " ", "x"]), max_size=4), max_size=8
        ).map(lambda rows: _csv(rows, ",", "utf-8")),
    )
)
def test_random_ground_truth_files(data: bytes) -> None:
    """The ground-truth reader (:func:`reconcile.audit.read_truth`) shares the table reader: same promise."""
    from reconcile.audit import read_truth

    try:
        truth = read_truth(data, name="truth.csv")
    except InputError as exc:
        assert "truth.csv" in str(exc), str(exc)
        event("refused")
        return
    event("accepted")
    assert list(truth.columns) == ["source_id", "target_id"] and truth["source_id"].notna().all()
    _check_frame(truth)
