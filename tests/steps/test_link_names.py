"""A link whose names differ proposes the name change as a change that waits for approval, never
silently (issue 14): a married name, other casing or accents, first and last name swapped."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reconcile import Decision, Workspace, match, workflow
from reconcile.matching.matcher import canonical_source
from reconcile.sync.plan import NEEDS_APPROVAL, build_plan

EMAIL = "c.martin@example.fr"


def _link_plan(
    payfit: tuple[Any, Any],
    equify: tuple[Any, Any],
    *,
    decided: bool,
    approved: frozenset[tuple[str, str, str]] = frozenset(),
):
    """The plan's one operation for a record linked to one account (by a person, or by email)."""
    source = pd.DataFrame({"id": ["p1"], "firstName": [payfit[0]], "lastName": [payfit[1]], "email": [EMAIL]})
    target = pd.DataFrame({"id": ["a1"], "firstName": [equify[0]], "lastName": [equify[1]], "email": [EMAIL]})
    decisions = [Decision("p1", "link", "a1")] if decided else None
    result = match(source, target, decisions=decisions)
    plan = build_plan(result, canonical_source(source, None), target, approved=approved)
    (op,) = plan.operations
    return op


ROWS = [
    pytest.param(("Claire", "Martin"), ("Claire", "Durand"), [("lastName", "Durand", "Martin")], id="married-name"),
    pytest.param(("Claire", "Durand"), ("Claire", "Martin"), [("lastName", "Martin", "Durand")], id="married-reverse"),
    pytest.param(("Jean", "DUPONT"), ("Jean", "Dupont"), [("lastName", "Dupont", "DUPONT")], id="casing"),
    pytest.param(("éric", "Moreau"), ("Éric", "Moreau"), [("firstName", "Éric", "éric")], id="casing-first-name"),
    pytest.param(("Éric", "Moreau"), ("Eric", "Moreau"), [("firstName", "Eric", "Éric")], id="accents"),
    pytest.param(
        ("Jean", "Dupont"),
        ("Dupont", "Jean"),
        [("firstName", "Dupont", "Jean"), ("lastName", "Jean", "Dupont")],
        id="swapped",
    ),
    pytest.param(("Jean", "Dupont"), ("Jean", "Dupont"), [], id="same-names-nothing-proposed"),
    pytest.param(("Jean", " Dupont "), ("Jean", "Dupont"), [], id="spaces-are-not-a-name-change"),
    pytest.param((None, "DUPONT Jean"), ("Jean", "Dupont"), [], id="full-name-kept-whole-not-a-last-name"),
]


@pytest.mark.parametrize("decided", [True, False], ids=["decided-link", "email-link"])
@pytest.mark.parametrize(("payfit", "equify", "held"), ROWS)
def test_a_link_holds_the_name_change_for_approval(payfit, equify, held, decided: bool) -> None:
    op = _link_plan(payfit, equify, decided=decided)
    if op.op != "link":  # the matcher may leave a clear name disagreement to a person
        assert not decided and op.op == "skip" and op.skip_kind == "conflict"
        return
    assert list(op.held) == held
    assert {f for f, _, _ in op.held} <= NEEDS_APPROVAL
    assert not {f for f, _, _ in op.changes} & {f for f, _, _ in op.held}  # nothing held is sent
    if held:
        assert "waiting for approval" in op.reason and held[0][2] in op.reason
        # the snapshot keeps the account's name: a later sync still proposes the change
        snap = dict(op.snapshot)
        assert all(snap[f] == before for f, before, _ in held)


@pytest.mark.parametrize(("payfit", "equify", "held"), [r for r in ROWS if r.values[2]])
def test_an_approved_name_goes_with_the_link(payfit, equify, held) -> None:
    approved = frozenset(("p1", f, after) for f, _, after in held)
    op = _link_plan(payfit, equify, decided=True, approved=approved)
    assert op.op == "link" and not op.held
    assert [c for c in op.changes if c[0] in ("firstName", "lastName")] == held
    assert "waiting for approval" not in op.reason
    # an approval holds for that value only
    other = frozenset(("p1", f, after + "x") for f, _, after in held)
    assert list(_link_plan(payfit, equify, decided=True, approved=other).held) == held


def test_an_empty_account_name_is_filled_not_held() -> None:
    op = _link_plan(("Claire", "Martin"), ("Claire", None), decided=True)
    assert ("lastName", None, "Martin") in op.changes and not op.held


def test_on_the_demo_the_names_wait_then_go_once_approved(demo_workspace: Workspace) -> None:
    """The demo's links whose accounts write the name otherwise: held at the link, still held as
    updates after the push (never dropped), sent once approved."""
    ws = demo_workspace
    plan = workflow.plan_workspace(ws)
    renamed = {op.source_id: op for op in plan.operations if op.op == "link" and op.held}
    assert renamed, "the demo plants links whose names differ (accents, casing, swapped)"
    held = plan.held()
    # (#16) and the phones the accounts hold without their country code
    assert set(held["source_id"]) == set(renamed) and set(held["field"]) <= {"firstName", "lastName", "phoneNumber"}
    before = ws.equify_accounts().set_index("id")
    workflow.push_workspace(ws, skip_conflicts=True)
    after = ws.equify_accounts().set_index("id")
    for op in renamed.values():  # linked, names untouched
        assert ws.ledger()[op.source_id] == op.target_id
        for f, b, _ in op.held:
            assert after.loc[op.target_id, f] == before.loc[op.target_id, f] == b
    second = workflow.plan_workspace(ws)
    assert second.totals()["skip_held"] == len(renamed)
    assert set(second.held()["source_id"]) == set(renamed)
    assert workflow.approve_held(ws) == len(held)
    third = workflow.plan_workspace(ws)
    assert third.totals()["update"] == len(renamed) and third.held().empty
    workflow.push_workspace(ws, skip_conflicts=True)
    done = ws.equify_accounts().set_index("id")
    for op in renamed.values():
        for f, _, a in op.held:
            assert done.loc[op.target_id, f] == a
    assert workflow.plan_workspace(ws).totals()["skip_held"] == 0
