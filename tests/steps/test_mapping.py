"""The mapping step (issue 5): transforms, suggestions by column name, mapping profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reconcile import FieldMapping, InputError, Relation, Workspace, match, workflow
from reconcile.sources.mapping import apply_transform, profile_json, read_profile, suggest_mapping, transform_frame


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        pytest.param(
            ["Prénom", "NOM", "E-mail", "Téléphone", "Date de naissance"],
            {
                "firstName": "Prénom",
                "lastName": "NOM",
                "email": "E-mail",
                "phoneNumber": "Téléphone",
                "birthDate": "Date de naissance",
            },
            id="french",
        ),
        pytest.param(
            ["first_name", "Last Name", "mail", "phone", "date_of_birth", "Employee ID"],
            {
                "firstName": "first_name",
                "lastName": "Last Name",
                "email": "mail",
                "phoneNumber": "phone",
                "birthDate": "date_of_birth",
                "matricule": "Employee ID",
            },
            id="english",
        ),
        pytest.param(
            ["prenom", "nom", "courriel", "tel"],
            {"firstName": "prenom", "lastName": "nom", "email": "courriel", "phoneNumber": "tel"},
            id="no-accents",
        ),
        pytest.param(
            ["firstName", "lastName", "personalEmail", "professionalEmail", "email"],
            {"firstName": "firstName", "lastName": "lastName", "email": "email"},
            id="payfit-names",
        ),
        pytest.param(["personalEmail", "professionalEmail"], {"email": "personalEmail"}, id="personal-email-first"),
        pytest.param(
            ["Code postal", "Ville", "Pays", "Adresse"],
            {"postcode": "Code postal", "city": "Ville", "country": "Pays", "address": "Adresse"},
            id="address-fr",
        ),
        pytest.param(["colonne 1", "xyz"], {}, id="nothing-alike"),
    ],
)
def test_suggest_mapping(columns, expected):
    assert suggest_mapping(columns).mapped() == expected


def test_a_column_feeds_one_field_at_most():
    mapped = suggest_mapping(["nom"]).mapped()
    assert list(mapped.values()) == ["nom"]


@pytest.mark.parametrize(
    ("transform", "value", "hint", "expected"),
    [
        ("none", "  Jean ", None, "  Jean "),
        ("trim", "  Jean\u00a0\u200b", None, "Jean"),
        ("upper", " le gall ", None, "LE GALL"),
        ("lower", "DUPONT", None, "dupont"),
        ("title", "jean-pierre le gall", None, "Jean-Pierre Le Gall"),
        ("title", "d'angelo", None, "D'Angelo"),
        ("phone_e164", "06 12 34 56 78", None, "+33612345678"),
        ("phone_e164", "0470 12 34 56", "BE", "+32470123456"),
        ("phone_e164", "not a phone", None, "not a phone"),
        ("date_iso", "12/03/1985", None, "1985-03-12"),
        ("date_iso", "31/02/1990", None, "31/02/1990"),
        ("upper", None, None, None),
        ("trim", "   ", None, None),
        ("date_iso", float("nan"), None, None),
    ],
)
def test_apply_transform(transform, value, hint, expected):
    assert apply_transform(transform, value, hint=hint) == expected


def test_unknown_transforms_are_refused():
    with pytest.raises(InputError, match="unknown transform"):
        apply_transform("reverse", "x")
    with pytest.raises(InputError, match="transform of lastName"):
        FieldMapping.from_dict({"lastName": "lastName"}, {"lastName": "reverse"})


def test_transform_frame_uses_each_records_country_for_phones():
    frame = pd.DataFrame({"id": ["a", "b"], "phoneNumber": ["0470 12 34 56", "06 12 34 56 78"], "_hint": ["BE", None]})
    mapping = FieldMapping.from_dict({"phoneNumber": "phoneNumber"}, {"phoneNumber": "phone_e164"})
    assert transform_frame(frame, mapping)["phoneNumber"].tolist() == ["+32470123456", "+33612345678"]
    assert frame["phoneNumber"].tolist()[0] == "0470 12 34 56"  # the input is left as it was


def test_match_applies_the_mappings_transforms():
    source = pd.DataFrame([{"id": "p1", "prenom": "jean", "nom": "dupont", "mail": "J@X.FR"}])
    target = pd.DataFrame([{"id": "a1", "firstName": "Jean", "lastName": "Dupont", "email": "j@x.fr"}])
    mapping = FieldMapping.from_dict(
        {"firstName": "prenom", "lastName": "nom", "email": "mail"}, {"lastName": "upper", "firstName": "title"}
    )
    result = match(source, target, mapping=mapping)
    assert result.links["target_id"].tolist() == ["a1"]


# ---------------------------------------------------------------------------- profiles
def test_profile_round_trip(tmp_path: Path):
    mapping = FieldMapping.from_dict(
        {**FieldMapping.default().as_dict(), "email": "personalEmail", "nationality": None},
        {"lastName": "upper", "phoneNumber": "phone_e164"},
    )
    relation = Relation(include_leavers=True)
    text = profile_json(mapping, relation)
    data = json.loads(text)
    assert data["version"] == 1
    assert data["fields"]["lastName"] == {"source": "lastName", "transform": "upper"}
    assert data["fields"]["nationality"] == {"source": None, "transform": "none"}
    assert read_profile(text) == (mapping, relation)
    path = tmp_path / "profil équipe.json"
    path.write_text(text, encoding="utf-8")
    assert read_profile(path) == (mapping, relation)
    assert read_profile(path.read_bytes()) == (mapping, relation)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("not json", "customer.json is not a mapping profile: not JSON", id="not-json"),
        pytest.param("[" * 100_000 + "]" * 100_000, "customer.json .*nested too deeply", id="deep-json"),
        pytest.param('{"version": ' + "9" * 5_000 + "}", "customer.json .*not JSON", id="huge-integer"),
        pytest.param("[]", "has no 'fields' object", id="a-list"),
        pytest.param('{"version": 2, "fields": {}}', "profile version 2", id="version"),
        pytest.param('{"version": 1, "fields": {"prenom": {}}}', "'prenom' is not an Equify field", id="field"),
        pytest.param('{"version": 1, "fields": {"email": "mail"}}', "field email must be an object", id="spec"),
        pytest.param('{"version": 1, "fields": {"email": {"source": 3}}}', "source of email", id="source"),
        pytest.param(
            '{"version": 1, "fields": {"email": {"source": "mail", "transform": "rot13"}}}',
            "transform of email is 'rot13'",
            id="transform",
        ),
        pytest.param(
            '{"version": 1, "fields": {}, "relation": {"include_leavers": "yes"}}', "true/false", id="relation"
        ),
    ],
)
def test_bad_profiles_name_the_file_and_the_field(text, message):
    with pytest.raises(InputError, match=message):
        read_profile(text, name="customer.json")


def test_a_missing_profile_file_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="cannot be read"):
        read_profile(tmp_path / "nope.json")


# ---------------------------------------------------------------------------- the workspace keeps transforms
def test_workspace_stores_transforms_and_logs_them(demo_workspace: Workspace):
    mapping = FieldMapping.from_dict(demo_workspace.mapping().as_dict(), {"lastName": "upper"})
    demo_workspace.set_mapping(mapping)
    assert demo_workspace.mapping() == mapping
    log = demo_workspace.activity()
    entry = log[log["kind"] == "transform"].iloc[-1]
    assert (entry["subject"], entry["before"], entry["after"]) == ("lastName", "none", "upper")
    preview = workflow.mapping_preview(demo_workspace, mapping)
    assert preview["lastName"].dropna().map(str.isupper).all()
    creates = [op for op in workflow.plan_workspace(demo_workspace).operations if op.op == "create"]
    sent = [dict((f, after) for f, _before, after in op.changes) for op in creates]
    assert sent and all(v["lastName"] == v["lastName"].upper() for v in sent if v.get("lastName"))
