"""Phones that are not valid are never sent as if they were (issue 14): a number only *possible*,
valid only in another country than the record's address, or ambiguous, keeps its text as typed,
is flagged, is never written to Equify in E.164; the Mapping and Review pages name the people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from reconcile import FieldMapping, Workspace, match
from reconcile.matching.matcher import canonical_source
from reconcile.matching.normalize import normalize_phone
from reconcile.matching.values import flagged_phones, phone_doubt, prepare_value, sendable_phone, unsendable_reason
from reconcile.sources.mapping import apply_transform
from reconcile.sync.plan import build_plan
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]

# (phone as typed, address country, what is written to Equify, a piece of the flag's words or None)
ROWS = [
    pytest.param("06 12 34 56 78", None, "+33612345678", None, id="valid-french-mobile"),
    pytest.param("+33 6 12 34 56 78", "BE", "+33612345678", None, id="explicit-code-beats-the-hint"),
    pytest.param("0470 12 34 56", "BE", "+32470123456", None, id="P2-belgian-with-its-hint"),
    pytest.param("0033 6 12 34 56 78", "FR", "+33612345678", None, id="0033-is-a-country-code"),
    pytest.param("+44 20 7946 0958", "FR", "+442079460958", None, id="explicit-foreign-number"),
    pytest.param("00 6 12 34 56 78", "FR", "00 6 12 34 56 78", "not a valid number", id="stray-00-prefix"),
    pytest.param("00612345678", None, "00612345678", "not a valid number", id="stray-00-no-hint"),
    pytest.param("06 39 98 40 77", "FR", "06 39 98 40 77", "not a valid number", id="possible-not-valid-range"),
    pytest.param("+33 6 39 98 40 77", None, "+33 6 39 98 40 77", "not a valid number", id="possible-with-code"),
    pytest.param("06 12 34 56 78", "BE", "06 12 34 56 78", "address country (BE)", id="french-number-belgian-hint"),
    pytest.param("0470 12 34 56", None, "0470 12 34 56", "another country", id="P2-ambiguous-without-hint"),
    pytest.param("06123456789", "FR", None, "can be read", id="too-long-not-sent"),
    pytest.param("0612", None, None, "can be read", id="too-short-not-sent"),
    pytest.param(3.36123e10, None, None, "corrupted", id="L5-spreadsheet-corrupted-not-sent"),
    pytest.param("", None, None, None, id="empty"),
]


def _flag(value: Any, hint: str | None) -> str | None:
    return phone_doubt(normalize_phone(value, "FR", hint), hint) or unsendable_reason("phoneNumber", value, hint=hint)


@pytest.mark.parametrize(("typed", "hint", "sent", "flag"), ROWS)
def test_what_is_sent_for_each_phone(typed: Any, hint: str | None, sent: str | None, flag: str | None) -> None:
    assert prepare_value("phoneNumber", typed, hint=hint) == sent
    assert sendable_phone(typed, "FR", hint) == sent
    words = _flag(typed, hint)
    if flag is None:
        assert words is None
    else:
        assert words is not None and flag in words, words
    if sent is not None and sent.startswith("+") and flag is not None:
        assert sent == typed  # a flagged number goes as typed, never as a computed E.164


@pytest.mark.parametrize(("typed", "hint", "sent", "flag"), ROWS)
def test_the_phone_transform_never_makes_a_wrong_e164(typed: Any, hint: str | None, sent: str | None, flag: str | None):
    out = apply_transform("phone_e164", typed, hint=hint)
    if flag is None or sent is None:
        assert out == (sent if flag is None else str(typed))  # unreadable: left as it was, for the mapping step
    else:
        assert out == typed  # as typed, not the E.164 reading
    computed = normalize_phone(typed, "FR", hint).e164
    assert flag is None or out != computed or out == typed


def _plan_for(phone: str, country: str | None, *, account_phone: str | None = None) -> dict[str, str]:
    """What a create (no account) or a link fill (an account without a phone) sends as the phone."""
    source = pd.DataFrame(
        {
            "id": ["p1"],
            "firstName": ["Léa"],
            "lastName": ["Roux"],
            "email": ["lea.roux@example.fr"],
            "phoneNumber": [phone],
            "country": [country],
        }
    )
    target = pd.DataFrame(
        {
            "id": ["a1"],
            "firstName": ["Léa"],
            "lastName": ["Roux"],
            "email": ["lea.roux@example.fr"],
            "phoneNumber": [account_phone],
        }
    )
    out = {}
    for kind, tgt in (("create", target.iloc[0:0]), ("link", target)):
        canon = canonical_source(source, None)
        plan = build_plan(match(source, tgt), canon, tgt)
        (op,) = plan.operations
        out[kind] = dict((f, after) for f, _before, after in op.changes).get("phoneNumber")
    return out


@pytest.mark.parametrize(
    ("phone", "country", "sent"),
    [
        pytest.param("06 12 34 56 78", "FR", "+33612345678", id="valid"),
        pytest.param("00 6 12 34 56 78", "FR", "00 6 12 34 56 78", id="stray-00"),
        pytest.param("06 12 34 56 78", "BE", "06 12 34 56 78", id="other-country-than-the-address"),
        pytest.param("06123456789", "FR", None, id="unreadable"),
    ],
)
def test_creates_and_link_fills_send_the_phone_as_the_table_says(phone: str, country: str, sent: str | None) -> None:
    assert _plan_for(phone, country) == {"create": sent, "link": sent}


def test_an_account_edit_keeps_an_uncertain_number_as_typed(workspace: Workspace) -> None:
    from reconcile.sources.equify import read_equify_accounts

    csv = b"id,firstName,lastName,country\na1,Lotte,Peeters,BE\na2,Jean,Roux,FR\n"
    workspace.load_equify(read_equify_accounts(csv, name="accounts.csv"))
    assert workspace.edit_account("a1", "phoneNumber", "0470 12 34 56")[1] == "+32470123456"
    assert workspace.edit_account("a1", "phoneNumber", "06 12 34 56 78")[1] == "06 12 34 56 78"
    assert workspace.edit_account("a2", "phoneNumber", "00 6 12 34 56 78")[1] == "00 6 12 34 56 78"
    assert workspace.edit_account("a2", "phoneNumber", "06 12 34 56 78")[1] == "+33612345678"


def test_flagged_phones_name_the_people() -> None:
    records = pd.DataFrame(
        {
            "id": ["p1", "p2", "p3", "p4", "p5"],
            "firstName": ["Léa", "Hugo", "Inès", None, "Marc"],
            "lastName": ["Roux", "Blanc", "Faure", "Nadal", "Petit"],
            "phoneNumber": ["06 12 34 56 78", "00 6 12 34 56 78", "06 12 34 56 78", "06123456789", None],
            "country": ["FR", "FR", "BE", None, None],
        }
    )
    flagged = flagged_phones(records, "phoneNumber")
    assert flagged[["source_id", "name", "phone", "sent"]].values.tolist() == [
        ["p2", "Hugo Blanc", "00 6 12 34 56 78", "00 6 12 34 56 78"],
        ["p3", "Inès Faure", "06 12 34 56 78", "06 12 34 56 78"],
        ["p4", "Nadal", "06123456789", None],
    ]
    assert "not a valid number" in flagged["why"][0] and "BE" in flagged["why"][1]
    assert flagged_phones(records, "tel").empty  # an unmapped column names nobody


# ---------------------------------------------------------------------------- the pages
def _page_with_two_bad_phones(page: str) -> tuple[AppTest, list[str]]:
    """The app on the demo, two in-scope records given a stray-00 phone and a French number with a
    Belgian address, every other phone made valid; returns the page and the two names."""
    from ui import state

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    ws = state.workspace()
    records = ws.payfit_records()
    active = records.index[records["status"] == "active"][:2]
    records["phoneNumber"] = "06 12 34 56 78"
    records["country"] = "FR"
    records.loc[active[0], "phoneNumber"] = "00 6 12 34 56 78"
    records.loc[active[1], "country"] = "BE"
    ws.load_payfit(records)
    ws.set_mapping(FieldMapping.from_dict({**ws.mapping().as_dict(), "phoneNumber": "phoneNumber"}))
    names = [f"{records.loc[i, 'firstName']} {records.loc[i, 'lastName']}" for i in active]
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, names


@pytest.mark.parametrize("page", ["pages/mapping.py", "pages/review.py"])
def test_the_page_names_the_people_whose_phone_goes_as_typed(app_workspace: Path, page: str) -> None:
    at, names = _page_with_two_bad_phones(page)
    warnings = [plain(w.value) for w in at.warning if "go to Equify as typed" in plain(w.value)]
    assert len(warnings) == 1, [plain(w.value) for w in at.warning]
    assert "2 phone number(s)" in warnings[0]
    for name in names:
        assert name in warnings[0], (name, warnings[0])
    assert "00 6 12 34 56 78" in warnings[0]
    assert any("Phones not sent in E.164 (2)" in e.label for e in at.expander)
