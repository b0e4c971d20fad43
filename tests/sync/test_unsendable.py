"""Values that are never sent to Equify, and records never created (issue 13): an email that is a
placeholder or not valid syntax is dropped from creates, links and updates (and never overwrites
a value in Equify); a record with no usable name and no usable email is not created. Both are
named before the push (:meth:`Plan.unsendable`, the CLI's ``plan`` and ``push --dry-run``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconcile import Decision, Workspace, workflow
from reconcile.matching.normalize import email_is_valid
from reconcile.matching.values import _valid_syntax, prepare_value, sendable_email, unsendable_reason

BAD_EMAILS = ["n/a", "N/A", "null", "NULL", "-", "not an email", "none@none.com", "noreply@example.fr", "a b@c.fr"]
BAD_EMAILS += ["jean@exemple", "jean@@example.fr", "jean@example.test", "0", "?", "pas.de.mail@example.fr"]


# ---------------------------------------------------------------------------- values (tables)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jean.Dupont@Example.fr", "jean.dupont@example.fr"),
        (" j@x.fr\u200b", "j@x.fr"),
        ("Jean Dupont <j.dupont@example.fr>", "j.dupont@example.fr"),
        ("élodie@exemple.fr", "élodie@exemple.fr"),
        ("o'neil+hr@example.co.uk", "o'neil+hr@example.co.uk"),
        ("", None),
        ("   ", None),
        (None, None),
        *[(bad, None) for bad in BAD_EMAILS],
    ],
)
def test_sendable_email(value: Any, expected: str | None):
    assert sendable_email(value) == expected
    assert prepare_value("email", value) == expected


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("email", "n/a", "placeholder"),
        ("email", "null", "placeholder"),
        ("email", "-", "placeholder"),
        ("email", "none@none.com", "placeholder"),
        ("email", "not an email", "not a valid email"),
        ("email", "jean@exemple", "not a valid email"),
        ("phoneNumber", "12", "not a phone number"),
        ("phoneNumber", "n/a", "not a phone number"),
        ("birthDate", "32874", "not a date"),
        ("email", "j@x.fr", None),
        ("email", "", None),
        ("phoneNumber", "06 39 98 00 01", None),
        ("phoneNumber", "  ", None),
        ("birthDate", "1980-02-29", None),
        ("firstName", "n/a", None),  # a name field's text is a name (domain §5)
    ],
)
def test_unsendable_reason(field: str, value: str, why: str | None):
    said = unsendable_reason(field, value)
    assert (said is None) if why is None else (why in said and "not sent" in said)
    assert (prepare_value(field, value) is None) == (why is not None or not value.strip())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.from_regex(r"[a-z0-9_+'.-]{1,12}@[a-z0-9.-]{1,12}\.[a-z]{2,6}", fullmatch=True) | st.emails().map(str.lower))
@example("0@00--0.aa")  # found by a random run in CI: email-validator refuses "--" in a label's 3rd and 4th places
def test_the_fast_email_check_agrees_with_email_validator(email: str):
    assert _valid_syntax.__wrapped__(email) == email_is_valid(email)


# ---------------------------------------------------------------------------- plans on the demo
@pytest.fixture(scope="module")
def scenarios(demo_dir: Path) -> dict[str, dict[str, Any]]:
    return {s["scenario"]: s for s in json.loads((demo_dir / "scenarios.json").read_text())}


def _set(ws: Workspace, sid: str, **values: str) -> None:
    records = ws.payfit_records()
    for column, value in values.items():
        records.loc[records["id"] == sid, column] = value
    ws.load_payfit(records)


def _op(ws: Workspace, sid: str):
    (op,) = [op for op in workflow.plan_workspace(ws).operations if op.source_id == sid]
    return op


def _named(ws: Workspace, sid: str) -> list[tuple[str, str, str]]:
    frame = workflow.plan_workspace(ws).unsendable()
    return [(r.field, r.value, r.op) for r in frame.itertuples() if r.source_id == sid]


@pytest.mark.parametrize("bad", ["n/a", "null", "-", "not an email", "none@none.com"])
def test_a_create_goes_without_the_bad_email_and_names_it(demo_workspace: Workspace, scenarios, bad: str):
    sid = scenarios["payfit_only"]["payfit_ids"][0]
    _set(demo_workspace, sid, email=bad)
    op = _op(demo_workspace, sid)
    assert op.op == "create" and "email" not in op.values() and op.values()["lastName"]
    assert _named(demo_workspace, sid) == [("email", bad, "create")]
    workflow.push_workspace(demo_workspace, skip_conflicts=True)
    account = demo_workspace.equify_accounts().set_index("id").loc[demo_workspace.ledger()[sid]]
    assert pd.isna(account["email"]) or account["email"] is None


@pytest.mark.parametrize("bad", ["n/a", "not an email"])
def test_a_link_never_fills_with_a_bad_email(demo_workspace: Workspace, scenarios, bad: str):
    """The conflict's account has no email: a link fills its empty fields, never with ``n/a``."""
    pair = scenarios["conflict_no_email"]
    sid, aid = pair["payfit_ids"][0], pair["equify_ids"][0]
    _set(demo_workspace, sid, email=bad)
    demo_workspace.decide([Decision(sid, "link", aid)])
    op = _op(demo_workspace, sid)
    assert op.op == "link" and "email" not in op.values()
    assert ("email", bad, "link") in _named(demo_workspace, sid)
    workflow.push_workspace(demo_workspace, skip_conflicts=True)
    assert demo_workspace.equify_accounts().set_index("id").loc[aid, "email"] in (None,) or pd.isna(
        demo_workspace.equify_accounts().set_index("id").loc[aid, "email"]
    )


def test_a_placeholder_in_payfit_never_replaces_a_good_email_in_equify(demo_workspace: Workspace, scenarios):
    """Payfit says ``n/a``, Equify holds an address: a link keeps it (and names nothing: nothing
    would have been written); a later sync whose Payfit email became ``n/a`` sends no update."""
    pair = scenarios["conflict_work_email"]
    sid, aid = pair["payfit_ids"][0], pair["equify_ids"][0]
    good = demo_workspace.equify_accounts().set_index("id").loc[aid, "email"]
    assert sendable_email(good)
    _set(demo_workspace, sid, email="n/a")
    demo_workspace.decide([Decision(sid, "link", aid)])
    assert "email" not in _op(demo_workspace, sid).values()
    assert _named(demo_workspace, sid) == []

    linked = scenarios["email_match"]["payfit_ids"][0]
    workflow.push_workspace(demo_workspace, skip_conflicts=True)
    account = demo_workspace.ledger()[linked]
    before = demo_workspace.equify_accounts().set_index("id").loc[account, "email"]
    for bad in ("null", "n/a", "not an email"):
        _set(demo_workspace, linked, email=bad)
        ops = [op for op in workflow.plan_workspace(demo_workspace).operations if op.source_id == linked]
        assert ops == []  # synced and unchanged: nothing to send, nothing held
        workflow.approve_held(demo_workspace)
        workflow.push_workspace(demo_workspace, skip_conflicts=True)
        stored = demo_workspace.equify_accounts().set_index("id")
        assert stored.loc[account, "email"] == before
        assert stored.loc[aid, "email"] == good


def test_an_update_goes_without_a_bad_email_and_names_it(demo_workspace: Workspace, scenarios):
    sid = scenarios["payfit_only"]["payfit_ids"][0]
    workflow.push_workspace(demo_workspace, skip_conflicts=True)
    account = demo_workspace.ledger()[sid]
    before = demo_workspace.equify_accounts().set_index("id").loc[account, "email"]
    _set(demo_workspace, sid, email="not an email", phoneNumber="06 12 34 00 44")
    op = _op(demo_workspace, sid)
    assert op.op == "update" and op.values() == {"phoneNumber": "+33612340044"} and not op.held
    assert _named(demo_workspace, sid) == [("email", "not an email", "update")]
    workflow.push_workspace(demo_workspace, skip_conflicts=True)
    assert demo_workspace.equify_accounts().set_index("id").loc[account, "email"] == before


def test_a_link_fills_an_equify_placeholder_with_a_good_email(demo_workspace: Workspace, scenarios):
    """The other direction: ``n/a`` in Equify is no email, so a link fills it (shown before → after)."""
    pair = scenarios["conflict_no_email"]
    sid, aid = pair["payfit_ids"][1], pair["equify_ids"][1]
    accounts = demo_workspace.equify_accounts()
    accounts.loc[accounts["id"] == aid, "email"] = "n/a"
    demo_workspace.load_equify(accounts.drop(columns="origin"))
    _set(demo_workspace, sid, email="Good.Address@Example.fr")
    demo_workspace.decide([Decision(sid, "link", aid)])
    op = _op(demo_workspace, sid)
    assert ("email", "n/a", "good.address@example.fr") in op.changes


@pytest.mark.parametrize(
    ("first", "last", "email", "created"),
    [
        ("", "", "", False),
        ("   ", "\t", "", False),
        ("\u00a0", "\u200b", "n/a", False),
        ("-", "?", "null", False),
        ("", "", "not an email", False),
        (None, None, None, False),
        ("", "", "someone@example.fr", True),  # an email is enough to find the person
        ("Léa", "", "n/a", True),  # a name is enough
        ("", "N/A", "", True),  # a name field's text is a name (domain §5)
    ],
)
def test_a_record_with_no_name_and_no_email_is_not_created(
    demo_workspace: Workspace, scenarios, first: str | None, last: str | None, email: str | None, created: bool
):
    sid = scenarios["payfit_only"]["payfit_ids"][1]
    _set(demo_workspace, sid, firstName=first, lastName=last, email=email)
    plan = workflow.plan_workspace(demo_workspace)
    (op,) = [op for op in plan.operations if op.source_id == sid]
    named = plan.unsendable().query("source_id == @sid")
    if created:
        assert op.op == "create"
        assert "name" not in set(named["field"])
        return
    assert (op.op, op.skip_kind) == ("skip", "incomplete")
    assert plan.totals()["skip_incomplete"] == 1 == next(f.count for f in plan.summary() if f.key == "skip_incomplete")
    assert "no usable name and no usable email" in named.query("field == 'name'")["why"].iloc[0]
    assert ("email" in set(named["field"])) == bool(email and email.strip())
    creates = plan.totals()["create"]
    result = workflow.push_workspace(demo_workspace, skip_conflicts=True)
    assert result.created == creates and sid not in demo_workspace.ledger()
    assert workflow.plan_workspace(demo_workspace).totals()["skip_incomplete"] == 1  # still named, still not sent


# ---------------------------------------------------------------------------- the CLI names them
def test_the_cli_names_what_is_not_sent(demo_cli, scenarios):
    ws = Workspace.open(demo_cli.path)
    try:
        a, b = scenarios["payfit_only"]["payfit_ids"][:2]
        _set(ws, a, email="n/a")
        _set(ws, b, firstName="", lastName=" ", email="null")
    finally:
        ws.close()
    for args in (("plan",), ("push", "--dry-run", "--skip-conflicts")):
        code, out, err = demo_cli(*args)
        assert code == 0, err
        said = out + err
        assert "not sent" in said and "n/a" in said and a in said
        assert "not created" in said and b in said


# ---------------------------------------------------------------------------- the Sync page names them
def test_the_sync_page_adds_up_and_names_what_is_not_sent(app_at, scenarios):
    from ui import state

    at = app_at
    ws = state.workspace()
    a, b = scenarios["payfit_only"]["payfit_ids"][:2]
    _set(ws, a, email="![x](http://127.0.0.2/beacon.png)")
    _set(ws, b, firstName=" ", lastName="", email="n/a")
    at.switch_page("pages/sync.py").run()
    assert not at.exception, [e.value for e in at.exception]
    plan = workflow.plan_workspace(ws)
    shown = {m.label: int(m.value) for m in at.metric}
    assert shown == {f.label: f.count for f in plan.summary()}
    assert sum(shown.values()) == plan.records == len(workflow.run_match(ws).records)
    assert shown["Incomplete"] == 1 and shown["Creates"] == plan.totals()["create"]
    assert any("Not created: 1 record(s)" in w.value for w in at.warning)
    table = next(d.value for d in at.dataframe if "why" in d.value.columns)
    assert set(table["source_id"]) == {a, b}
    assert "![x](http://127.0.0.2/beacon.png)" in set(table["value"])  # shown as text in a table
