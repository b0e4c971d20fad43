"""Undo says what it cannot undo in Equify (issue 13): a decision whose operation a push already
sent is undone in the workspace only, and the undo names the account, the run and the target
(the library returns it, the Review page shows it)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from reconcile import Decision, Workspace, workflow
from reconcile.exceptions import TargetError


def _conflicts(ws: Workspace) -> list[str]:
    records = workflow.run_match(ws).records
    return records.loc[records["category"] == "conflict", "source_id"].tolist()


def _latest_decision(ws: Workspace) -> int:
    log = ws.activity()
    return int(log.loc[log["kind"] == "decision", "seq"].iloc[0])


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("create", "was already created in Equify by push run {run} (embedded target) and is not deleted"),
        ("link", "was already linked by push run {run} (embedded target): the link and the fields it filled stay"),
    ],
)
def test_undoing_a_pushed_decision_names_what_stays_in_equify(demo_workspace: Workspace, action: str, words: str):
    ws = demo_workspace
    sid = _conflicts(ws)[0]
    candidate = workflow.run_match(ws).records.set_index("source_id").loc[sid, "target_id"]
    ws.decide([Decision(sid, action, candidate if action == "link" else None)])
    result = workflow.push_workspace(ws, skip_conflicts=True)
    account = ws.ledger()[sid]
    undone = workflow.undo_and_rematch(ws, _latest_decision(ws))
    assert sid not in ws.decisions()  # undone in the workspace
    assert "back to none" in undone.said
    (kept,) = undone.kept
    assert kept.startswith(sid) or f"({sid})" in kept
    assert f"account {account} " + words.format(run=result.run_id) in kept
    assert account in set(ws.equify_accounts()["id"])  # nothing deleted in Equify
    assert ws.ledger()[sid] == account


def test_undoing_a_decision_made_after_the_push_keeps_nothing(demo_workspace: Workspace):
    """Excluding an already synced person, then undoing it: no push happened since the decision."""
    ws = demo_workspace
    workflow.push_workspace(ws, skip_conflicts=True)
    sid = sorted(ws.ledger())[0]
    ws.decide([Decision(sid, "exclude")])
    undone = workflow.undo_and_rematch(ws, _latest_decision(ws))
    assert undone.kept == ()
    assert [(m.source_id, m.after) for m in undone.moves] == [(sid, "synced")]


def test_undoing_a_decision_whose_push_failed_keeps_nothing(demo_workspace: Workspace, failing_target: type):
    ws = demo_workspace
    sid = _conflicts(ws)[0]
    ws.decide([Decision(sid, "create")])
    result = workflow.push_workspace(
        ws, target=failing_target(set(range(1, 1000)), TargetError("refused")), skip_conflicts=True
    )
    assert result.failed and sid not in ws.ledger()
    undone = workflow.undo_and_rematch(ws, _latest_decision(ws))
    assert undone.kept == ()
    assert [(m.source_id, m.after) for m in undone.moves] == [(sid, "conflict")]


def test_undoing_an_edit_keeps_nothing(demo_workspace: Workspace):
    accounts = demo_workspace.equify_accounts()
    aid = accounts.loc[accounts["email"].isna(), "id"].iloc[0]
    demo_workspace.edit_account(aid, "email", "someone.new@example.fr")
    log = demo_workspace.activity()
    undone = workflow.undo_and_rematch(demo_workspace, int(log.loc[log["kind"] == "edit", "seq"].iloc[0]))
    assert undone.kept == () and "back to empty" in undone.said


# ---------------------------------------------------------------------------- the Review page
def test_the_review_page_says_what_the_undo_left_in_equify(app_at: AppTest) -> None:
    at = app_at
    from ui import state

    ws = state.workspace()
    sid = _conflicts(ws)[0]
    ws.decide([Decision(sid, "create")])
    result = workflow.push_workspace(ws, skip_conflicts=True)
    account = ws.ledger()[sid]
    at.switch_page("pages/review.py").run()
    pick = at.selectbox(key="review.activity.pick")
    assert sid in pick.value and "create" in pick.value
    at.button(key="review.activity.undo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert sid not in ws.decisions()
    assert any("Undone in the workspace" in s.value for s in at.success)
    said = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Not undone in Equify" in said and account in said and result.run_id in said and "not deleted" in said
