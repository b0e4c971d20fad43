"""Text that looks like a missing marker is still text (issue 14): in name and other text fields
only an empty or blank cell is missing, in every loader, the Payfit API flattening, the workspace
and the matcher (a real surname can read ``Null``); placeholder emails and identifiers stay
no evidence."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pandas as pd
import pytest

from reconcile import Workspace, match
from reconcile.matching.matcher import canonical_source
from reconcile.sources.equify import read_equify_file
from reconcile.sources.payfit import flatten_collaborators, parse_payfit_pages
from reconcile.sources.payfit_files import read_payfit_file
from reconcile.sync.plan import build_plan

MARKERS = ["Null", "NULL", "None", "NA", "Nan", "nan", "NaN", "N/A", "n/a"]


def _csv(header: str, row: str) -> bytes:
    return f"{header}\n{row}\n".encode()


def _xlsx(header: list[str], row: list[str]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _collaborator(last: str) -> dict:
    return {
        "id": "c1",
        "firstName": last,
        "lastName": last,
        "birthName": last,
        "teamName": last,
        "emails": [{"email": "jean@example.fr", "type": "personal"}],
        "addresses": [{"type": "home", "city": last}],
        "contracts": [{"id": "k1", "status": "ACTIVE", "startDate": "2020-01-01"}],
    }


# Each loader: (marker) -> the loaded frame's first row, read from a file or document holding the marker
# as first name, last name and one other text field.
LOADERS: dict[str, Callable[[str], pd.Series]] = {
    "payfit-api": lambda m: flatten_collaborators([_collaborator(m)]).iloc[0],
    "payfit-json-pages": lambda m: flatten_collaborators(
        parse_payfit_pages(
            [("dump.json", json.dumps([{"collaborators": [_collaborator(m)], "meta": {"nextPageToken": None}}]))]
        )
    ).iloc[0],
    "payfit-csv": lambda m: read_payfit_file(
        _csv("id;prénom;nom;nom de naissance;ville;email", f"c1;{m};{m};{m};{m};jean@example.fr"), name="p.csv"
    ).frame.iloc[0],
    "payfit-xlsx": lambda m: read_payfit_file(
        _xlsx(["id", "prénom", "nom", "nom de naissance", "ville", "email"], ["c1", m, m, m, m, "jean@example.fr"]),
        name="p.xlsx",
    ).frame.iloc[0],
    "equify-csv": lambda m: read_equify_file(
        _csv("id,firstName,lastName,city,email", f"a1,{m},{m},{m},jean@example.fr"), name="e.csv"
    ).frame.iloc[0],
    "equify-xlsx": lambda m: read_equify_file(
        _xlsx(["id", "firstName", "lastName", "city", "email"], ["a1", m, m, m, "jean@example.fr"]), name="e.xlsx"
    ).frame.iloc[0],
}


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("loader", list(LOADERS))
def test_every_loader_keeps_the_text(loader: str, marker: str) -> None:
    row = LOADERS[loader](marker)
    assert (row["firstName"], row["lastName"], row["city"]) == (marker, marker, marker)
    if "birthName" in row.index:
        assert row["birthName"] == marker


@pytest.mark.parametrize("loader", ["payfit-csv", "equify-csv"])
def test_only_an_empty_or_blank_cell_is_missing(loader: str) -> None:
    read = read_payfit_file if loader == "payfit-csv" else read_equify_file
    data = _csv("id,firstName,lastName,city,email", "x1,,   ,Null,jean@example.fr")
    row = read(data, name="f.csv").frame.iloc[0]
    assert row["firstName"] is None and row["lastName"] is None and row["city"] == "Null"


@pytest.mark.parametrize("marker", MARKERS)
def test_the_workspace_round_trip_keeps_the_text(workspace: Workspace, marker: str) -> None:
    workspace.load_payfit(LOADERS["payfit-api"](marker).to_frame().T.reset_index(drop=True))
    workspace.load_equify(LOADERS["equify-csv"](marker).to_frame().T.reset_index(drop=True))
    p, a = workspace.payfit_records().iloc[0], workspace.equify_accounts().iloc[0]
    assert (p["firstName"], p["lastName"], p["birthName"], p["city"]) == (marker,) * 4
    assert (a["firstName"], a["lastName"], a["city"]) == (marker,) * 3


def _match(payfit: dict, equify: dict):
    source = pd.DataFrame([{"id": "p1", **payfit}])
    target = pd.DataFrame([{"id": "a1", **equify}])
    return match(source, target), source, target


@pytest.mark.parametrize("marker", MARKERS)
def test_a_surname_that_reads_like_a_marker_is_a_name_in_the_matcher(marker: str) -> None:
    """Same first name and the same marker-like surname, no email: the account is a candidate,
    never a silent create; another surname is someone else."""
    result, _, _ = _match({"firstName": "Jean", "lastName": marker}, {"firstName": "Jean", "lastName": marker})
    rec = result.records.iloc[0]
    assert rec["action"] != "create" and rec["target_id"] == "a1", rec.to_dict()
    assert not result.candidates.empty and float(result.candidates["name_score"].iloc[0]) == 100.0
    other, _, _ = _match({"firstName": "Jean", "lastName": marker}, {"firstName": "Jean", "lastName": "Dupont"})
    assert other.records.iloc[0]["action"] == "create"


@pytest.mark.parametrize("marker", MARKERS)
def test_a_record_named_by_a_marker_is_created_with_that_name(marker: str) -> None:
    result, source, target = _match(
        {"firstName": "Jean", "lastName": marker, "email": "jean@example.fr"},
        {"firstName": "Paul", "lastName": "Durand", "email": "paul@example.fr"},
    )
    plan = build_plan(result, canonical_source(source, None), target)
    (op,) = plan.operations
    assert op.op == "create" and ("lastName", None, marker) in op.changes


@pytest.mark.parametrize("placeholder", ["null", "NULL", "None", "N/A", "n/a", "nan", "-", "0"])
def test_placeholder_emails_and_identifiers_stay_no_evidence(placeholder: str) -> None:
    """Two different people sharing a placeholder email or matricule are not linked by it."""
    for field in ("email", "matricule"):
        result, _, _ = _match(
            {"firstName": "Jean", "lastName": "Dupont", field: placeholder},
            {"firstName": "Marie", "lastName": "Curie", field: placeholder},
        )
        rec = result.records.iloc[0]
        assert (rec["category"], rec["action"]) == ("new", "create"), (field, rec.to_dict())
        assert result.links.empty


@pytest.mark.parametrize("placeholder", ["null", "N/A", "none@none.com"])
def test_a_placeholder_email_is_never_sent(placeholder: str) -> None:
    result, source, target = _match(
        {"firstName": "Jean", "lastName": "Null", "email": placeholder},
        {"firstName": "Paul", "lastName": "Durand"},
    )
    (op,) = build_plan(result, canonical_source(source, None), target).operations
    assert op.op == "create" and "email" not in op.values() and op.values()["lastName"] == "Null"
