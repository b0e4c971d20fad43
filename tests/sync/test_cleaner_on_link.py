"""Equify's data gets cleaner on link (issue 16): names written otherwise and a phone without its
country code are proposed with the link, as changes held for approval."""

from __future__ import annotations

import pytest

from reconcile import Workspace, workflow


def _a_link_with_a_phone(ws: Workspace) -> tuple[str, str, str]:
    """A planned link whose Payfit phone is a certain French number: ``(source_id, account id, E.164)``."""
    plan = workflow.plan_workspace(ws)
    records = ws.payfit_records().set_index("id")
    phone_col = ws.mapping().mapped()["phoneNumber"]
    for op in plan.operations:
        if op.op == "link" and not op.held:
            phone = dict(op.snapshot).get("phoneNumber")
            if phone and phone.startswith("+33") and records.loc[op.source_id, phone_col]:
                return op.source_id, str(op.target_id), phone
    raise AssertionError("the demo has no link with a phone")


def _with_account_phone(ws: Workspace, account_id: str, phone: str | None) -> None:
    accounts = ws.equify_accounts()
    accounts.loc[accounts["id"] == account_id, "phoneNumber"] = phone
    ws.load_equify(accounts)  # as Equify exports it: the raw text


@pytest.mark.parametrize("separator", [" ", "", "."])
def test_a_phone_without_its_country_code_is_proposed_international(demo_workspace: Workspace, separator: str) -> None:
    ws = demo_workspace
    sid, tid, e164 = _a_link_with_a_phone(ws)
    national = "0" + e164[3:]  # written as in France: 06 12 34 56 78, 0612345678, 06.12.34.56.78
    local = separator.join(national[i : i + 2] for i in range(0, len(national), 2))
    _with_account_phone(ws, tid, local)
    op = next(o for o in workflow.plan_workspace(ws).operations if o.source_id == sid)
    assert op.op == "link" and ("phoneNumber", local, e164) in op.held
    assert "waiting for approval: phoneNumber" in op.reason
    assert not [c for c in op.changes if c[0] == "phoneNumber"]  # not sent before it is approved
    workflow.approve_held(ws)
    op = next(o for o in workflow.plan_workspace(ws).operations if o.source_id == sid)
    assert ("phoneNumber", local, e164) in op.changes and not op.held  # approved: sent with the link


@pytest.mark.parametrize("kind", ["international already", "another number", "empty"])
def test_no_phone_fix_when_there_is_nothing_to_clean(demo_workspace: Workspace, kind: str) -> None:
    ws = demo_workspace
    sid, tid, e164 = _a_link_with_a_phone(ws)
    phone = {"international already": e164, "another number": "06 99 88 77 66", "empty": None}[kind]
    _with_account_phone(ws, tid, phone)
    op = next(o for o in workflow.plan_workspace(ws).operations if o.source_id == sid)
    assert not [h for h in op.held if h[0] == "phoneNumber"]
    if kind == "empty":  # an empty phone is filled by the link, as before
        assert ("phoneNumber", None, e164) in op.changes


def test_names_in_lower_case_or_swapped_are_proposed_too(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    sid, tid, _ = _a_link_with_a_phone(ws)
    accounts = ws.equify_accounts()
    row = accounts["id"] == tid
    first, last = accounts.loc[row, "firstName"].iloc[0], accounts.loc[row, "lastName"].iloc[0]
    accounts.loc[row, "firstName"] = first.lower()
    ws.load_equify(accounts)
    op = next(o for o in workflow.plan_workspace(ws).operations if o.source_id == sid)
    assert ("firstName", first.lower(), first) in op.held
    accounts.loc[row, "firstName"], accounts.loc[row, "lastName"] = last, first
    ws.load_equify(accounts)
    op = next(o for o in workflow.plan_workspace(ws).operations if o.source_id == sid)
    if op.op == "link":  # a swap may also make the match doubt the pair: then it is no link
        assert {h[0] for h in op.held} >= {"firstName", "lastName"}
