"""Payfit's ``birthName`` and ``secondLastName`` (issue 14): read by every loader, mappable as
match-only fields (alternate last names), suggested by name, shown on the Mapping page, and
never sent to Equify as fields of their own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reconcile import FieldMapping, InputError, Workspace, match, workflow
from reconcile.matching.matcher import MAPPABLE_FIELDS, canonical_source
from reconcile.models import EQUIFY_FIELDS, Relation
from reconcile.sources.mapping import MATCH_ONLY_FIELDS, profile_json, read_profile, suggest_mapping
from reconcile.sources.payfit import PAYFIT_COLUMNS, flatten_collaborators, parse_payfit_pages
from reconcile.sources.payfit_files import read_payfit_file
from reconcile.sync.plan import build_plan

COLLABORATOR: dict[str, Any] = {
    "id": "c1",
    "firstName": "Claire",
    "lastName": "Martin",
    "birthName": "Durand",
    "secondLastName": "Lopez",
    "emails": [{"email": "claire.martin@example.fr", "type": "personal"}],
    "contracts": [{"id": "k1", "status": "ACTIVE", "startDate": "2020-01-01"}],
}


def _api_frame() -> pd.DataFrame:
    return flatten_collaborators([COLLABORATOR])


def _json_pages_frame() -> pd.DataFrame:
    page = {"collaborators": [COLLABORATOR], "meta": {"nextPageToken": None}}
    return flatten_collaborators(parse_payfit_pages([("dump.json", json.dumps([page]).encode())]))


def _csv_frame(headers: tuple[str, str]) -> pd.DataFrame:
    text = f"id;prénom;nom;{headers[0]};{headers[1]};email\nc1;Claire;Martin;Durand;Lopez;claire.martin@example.fr\n"
    return read_payfit_file(text.encode("utf-8"), name="export.csv").frame


def _xlsx_frame(headers: tuple[str, str]) -> pd.DataFrame:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "Prénom", "Nom", headers[0], headers[1], "Email"])
    sheet.append(["c1", "Claire", "Martin", "Durand", "Lopez", "claire.martin@example.fr"])
    buffer = io.BytesIO()
    book.save(buffer)
    return read_payfit_file(buffer.getvalue(), name="export.xlsx").frame


@pytest.mark.parametrize(
    "load",
    [
        pytest.param(_api_frame, id="api-flattening"),
        pytest.param(_json_pages_frame, id="json-pages"),
        pytest.param(lambda: _csv_frame(("Nom de naissance", "Second nom")), id="csv-french"),
        pytest.param(lambda: _csv_frame(("nom de jeune fille", "second last name")), id="csv-maiden"),
        pytest.param(lambda: _csv_frame(("birthName", "secondLastName")), id="csv-payfit-names"),
        pytest.param(lambda: _xlsx_frame(("Birth name", "Deuxième nom")), id="xlsx"),
    ],
)
def test_every_loader_reads_both_alternate_last_names(load) -> None:
    frame = load()
    assert list(frame.columns) == list(PAYFIT_COLUMNS)
    row = frame.iloc[0]
    assert (row["lastName"], row["birthName"], row["secondLastName"]) == ("Martin", "Durand", "Lopez")


def test_the_workspace_keeps_them(workspace: Workspace) -> None:
    workspace.load_payfit(_api_frame())
    records = workspace.payfit_records()
    assert records.loc[0, ["birthName", "secondLastName"]].tolist() == ["Durand", "Lopez"]


def test_a_version_3_workspace_gains_the_second_last_name(tmp_path: Path) -> None:
    """Version 3 files have no ``secondLastName`` column: opening one adds it and keeps the rows."""
    import duckdb

    from reconcile.store.workspace import _SCHEMA

    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    for stmt in _SCHEMA:
        if " payfit_records " not in stmt:
            con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    v3 = [c for c in PAYFIT_COLUMNS if c != "secondLastName"]
    typed = ", ".join(f'"{c}" BOOLEAN' if c.startswith("is") else f'"{c}" VARCHAR' for c in v3)
    con.execute(f"CREATE TABLE payfit_records ({typed}, loaded_at TIMESTAMP)")
    con.execute("INSERT INTO payfit_records (id, \"birthName\", status) VALUES ('p1', 'Durand', 'active')")
    con.close()
    with Workspace.open(path) as ws:
        records = ws.payfit_records()
        assert records["birthName"].tolist() == ["Durand"] and records["secondLastName"].tolist() == [None]


def test_both_are_mappable_match_only_fields() -> None:
    assert MATCH_ONLY_FIELDS == ("birthName", "secondLastName")
    assert set(MATCH_ONLY_FIELDS) <= set(MAPPABLE_FIELDS)
    assert not set(MATCH_ONLY_FIELDS) & set(EQUIFY_FIELDS)  # never an Equify field


@pytest.mark.parametrize(
    ("mapped", "expected"),
    [
        pytest.param({"birthName": "birthName"}, {"birthName": "Durand"}, id="birth-name"),
        pytest.param({"secondLastName": "secondLastName"}, {"secondLastName": "Lopez"}, id="second-last-name"),
        pytest.param(
            {"birthName": "birthName", "secondLastName": "secondLastName"},
            {"birthName": "Durand", "secondLastName": "Lopez"},
            id="both",
        ),
        pytest.param({"birthName": "secondLastName"}, {"birthName": "Lopez"}, id="fed-by-another-column"),
    ],
)
def test_canonical_source_carries_them_under_their_names(mapped: dict[str, str], expected: dict[str, str]) -> None:
    mapping = FieldMapping.from_dict({**FieldMapping.default().as_dict(), **mapped})
    canon = canonical_source(_api_frame(), mapping)
    assert {c: canon.loc[0, c] for c in expected} == expected
    assert canon.loc[0, "lastName"] == "Martin"


def test_a_mapping_naming_them_is_not_refused_and_never_pushes_them() -> None:
    source = _api_frame()
    target = pd.DataFrame(
        {"id": ["a1"], "firstName": ["Claire"], "lastName": ["Martin"], "email": ["claire.martin@example.fr"]}
    )
    mapping = FieldMapping.from_dict(
        {**FieldMapping.default().as_dict(), "birthName": "birthName", "secondLastName": "secondLastName"}
    )
    result = match(source, target, mapping=mapping)  # used to raise "not an Equify field"
    assert result.records["action"].tolist() == ["link"]
    empty_target = target.assign(firstName=None, lastName=None, email=None).iloc[0:0]
    for tgt in (target, empty_target):
        plan = build_plan(match(source, tgt, mapping=mapping), canonical_source(source, mapping), tgt)
        assert [op.op for op in plan.operations] == (["skip"] if len(tgt) else ["create"]) or plan.operations
        sent = {f for op in plan.operations for f, *_ in (*op.changes, *op.held, *op.snapshot)}
        assert not sent & set(MATCH_ONLY_FIELDS), sent


def test_the_birth_name_makes_the_maiden_name_account_a_candidate_not_a_create() -> None:
    """Payfit: married name in lastName, maiden name in birthName; Equify: the maiden name."""
    source = _api_frame().assign(email=None)
    target = pd.DataFrame({"id": ["a1"], "firstName": ["Claire"], "lastName": ["Durand"], "email": [None]})
    mapping = FieldMapping.from_dict({**FieldMapping.default().as_dict(), "birthName": "birthName"})
    rec = match(source, target, mapping=mapping).records.iloc[0]
    assert rec["action"] != "create" and rec["target_id"] == "a1"
    assert "birth" in rec["reason"] or "maiden" in rec["reason"], rec["reason"]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        pytest.param(["nom", "Nom de naissance"], {"lastName": "nom", "birthName": "Nom de naissance"}, id="fr"),
        pytest.param(["Nom", "Nom de jeune fille"], {"lastName": "Nom", "birthName": "Nom de jeune fille"}, id="fr-jf"),
        pytest.param(
            ["Last name", "Maiden name", "Second last name"],
            {"lastName": "Last name", "birthName": "Maiden name", "secondLastName": "Second last name"},
            id="en",
        ),
        pytest.param(["NOM", "second nom"], {"lastName": "NOM", "secondLastName": "second nom"}, id="second-nom"),
        pytest.param(
            ["date de naissance", "nom de naissance"],
            {"birthDate": "date de naissance", "birthName": "nom de naissance"},
            id="birth-date-apart",
        ),
    ],
)
def test_suggestions_name_them(columns: list[str], expected: dict[str, str]) -> None:
    assert suggest_mapping(columns).mapped() == expected


def test_the_payfit_fields_are_suggested_for_themselves() -> None:
    from reconcile.sources.payfit import MAPPABLE_COLUMNS

    mapped = suggest_mapping(list(MAPPABLE_COLUMNS)).mapped()
    assert mapped["birthName"] == "birthName" and mapped["secondLastName"] == "secondLastName"
    assert mapped["lastName"] == "lastName"


def test_a_profile_keeps_them() -> None:
    mapping = FieldMapping.from_dict(
        {**FieldMapping.default().as_dict(), "birthName": "birthName"}, {"birthName": "upper"}
    )
    assert read_profile(profile_json(mapping, Relation())) == (mapping, Relation())
    with pytest.raises(InputError, match="maidenName"):
        read_profile(profile_json(FieldMapping.from_dict({"maidenName": "birthName"}), Relation()))


def test_the_preview_leaves_them_out(demo_workspace: Workspace) -> None:
    """The preview shows what Equify would receive: the match-only fields are not sent."""
    mapping = FieldMapping.from_dict({**demo_workspace.mapping().as_dict(), "birthName": "birthName"})
    preview = workflow.mapping_preview(demo_workspace, mapping)
    assert "birthName" not in preview.columns and "lastName" in preview.columns


def test_the_mapping_page_shows_them_and_suggests_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import state

    monkeypatch.setenv("RECONCILE_WORKSPACE", str(tmp_path / "app.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
        at.run()
        at.switch_page("pages/mapping.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        for field in MATCH_ONLY_FIELDS:  # mapped by default from Payfit's columns of that name (match only)
            assert at.selectbox(key=f"mapping.field.{field}").value == field
            at.selectbox(key=f"mapping.field.{field}").set_value("— not synced —").run()
            assert at.selectbox(key=f"mapping.field.{field}").value == "— not synced —"
        assert any("match only" in m.value for m in at.markdown)
        at.button(key="mapping.suggest").click().run()
        assert at.selectbox(key="mapping.field.birthName").value == "birthName"
        assert at.selectbox(key="mapping.field.secondLastName").value == "secondLastName"
        at.button(key="mapping.save").click().run()
        assert not at.exception, [e.value for e in at.exception]
        saved = state.workspace().mapping().mapped()
        assert saved["birthName"] == "birthName" and saved["secondLastName"] == "secondLastName"
        at.switch_page("pages/review.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]  # the matcher reads them
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.mark.parametrize("evidence", ["email", "matricule"])
@pytest.mark.parametrize("column", ["birthName", "secondLastName"])
def test_a_married_name_with_the_same_email_or_matricule_is_a_link_not_a_shared_mailbox(
    evidence: str, column: str
) -> None:
    """Payfit holds the married name and the birth name; Equify the birth name; one email (or
    matricule): the names agree through the birth name, so it is a link saying so, not "a
    shared or recycled mailbox". Without the birth name, it stays a conflict."""
    from reconcile import match

    shared = {"email": "claire.quere@example.fr"} if evidence == "email" else {"matricule": "10452"}
    payfit = pd.DataFrame([{"id": "p1", "firstName": "Claire", "lastName": "Morvan", column: "Quéré", **shared}])
    equify = pd.DataFrame([{"id": "a1", "firstName": "Claire", "lastName": "QUERE", **shared}])
    rec = match(payfit, equify).records.iloc[0]
    assert (rec["category"], rec["action"], rec["target_id"]) == ("new", "link", "a1"), rec["reason"]
    assert "the account holds the birth or married name Quéré" in rec["reason"]
    plain = match(payfit.drop(columns=[column]), equify).records.iloc[0]
    assert (plain["category"], plain["target_id"]) == ("conflict", "a1")
    assert "names clearly disagree" in plain["reason"]
    other = equify.assign(firstName="Marc")  # another given name: the birth name does not make them agree
    assert match(payfit, other).records.iloc[0]["category"] == "conflict"
