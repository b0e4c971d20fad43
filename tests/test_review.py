"""The review workbench's decisions (issue 5): undo from the activity log, accepting likely
matches above a score, and U2 (decisions survive a reload)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile import Decision, InputError, Workspace, workflow


def _conflicts(ws: Workspace) -> list[str]:
    records = workflow.run_match(ws).records
    return records.loc[records["category"] == "conflict", "source_id"].tolist()


def _latest(ws: Workspace, kind: str) -> int:
    log = ws.activity()
    return int(log.loc[log["kind"] == kind, "seq"].iloc[0])


def test_undo_an_exclusion(demo_workspace: Workspace):
    sid = demo_workspace.payfit_records()["id"].iloc[0]
    demo_workspace.decide([Decision(sid, "exclude")])
    said = demo_workspace.undo(_latest(demo_workspace, "decision"))
    assert sid not in demo_workspace.decisions()
    assert "back to none" in said
    log = demo_workspace.activity()
    assert log.iloc[0]["kind"] == "undo"


def test_undo_puts_back_the_decision_it_replaced(demo_workspace: Workspace):
    sid = _conflicts(demo_workspace)[0]
    demo_workspace.decide([Decision(sid, "exclude")])
    demo_workspace.decide([Decision(sid, "create")])
    demo_workspace.undo(_latest(demo_workspace, "decision"))
    assert demo_workspace.decisions()[sid] == Decision(sid, "exclude")


def test_undo_an_edit_and_redo_it(demo_workspace: Workspace):
    account = demo_workspace.equify_accounts()
    aid = account.loc[account["email"].isna(), "id"].iloc[0]
    demo_workspace.edit_account(aid, "email", "New.Person@Example.fr")
    edit = _latest(demo_workspace, "edit")
    demo_workspace.undo(edit)
    accounts = demo_workspace.equify_accounts().set_index("id")
    assert accounts.loc[aid, "email"] is None or accounts.loc[aid, "email"] != accounts.loc[aid, "email"]
    demo_workspace.undo(_latest(demo_workspace, "edit"))  # undoing the undo is a redo
    assert demo_workspace.equify_accounts().set_index("id").loc[aid, "email"] == "new.person@example.fr"


def test_what_cannot_be_undone(demo_workspace: Workspace):
    sid = demo_workspace.payfit_records()["id"].iloc[0]
    demo_workspace.decide([Decision(sid, "exclude")])
    first = _latest(demo_workspace, "decision")
    demo_workspace.decide([Decision(sid, "create")])
    revision = demo_workspace.revision
    with pytest.raises(InputError, match="changed since .*undo the later change first"):
        demo_workspace.undo(first)
    with pytest.raises(InputError, match="only decisions and edits"):
        demo_workspace.undo(_latest(demo_workspace, "load"))
    with pytest.raises(InputError, match="no activity entry"):
        demo_workspace.undo(10**9)
    latest = _latest(demo_workspace, "decision")
    demo_workspace.undo(latest)
    with pytest.raises(InputError, match="undone already"):
        demo_workspace.undo(latest)
    assert demo_workspace.decisions()[sid] == Decision(sid, "exclude")
    assert demo_workspace.revision == revision + 1  # only the one undo wrote anything


def test_activity_table_marks_what_can_be_undone(demo_workspace: Workspace):
    sid = demo_workspace.payfit_records()["id"].iloc[0]
    workflow.decide_and_rematch(demo_workspace, [Decision(sid, "exclude")])
    workflow.decide_and_rematch(demo_workspace, [Decision(sid, "create")])
    table = workflow.activity_table(demo_workspace)
    assert list(table.columns) == workflow.ACTIVITY_COLUMNS
    decisions = table[table["what"] == "decision"]
    assert decisions["undoable"].tolist() == [True, False]  # only the latest change of a record
    assert decisions["subject"].iloc[0].endswith(f"({sid})")
    moves = workflow.undo_and_rematch(demo_workspace, int(decisions["seq"].iloc[0]))
    assert [(m.source_id, m.after) for m in moves] == [(sid, "excluded")]


def test_accept_likely_matches_above_a_score(demo_workspace: Workspace):
    result = workflow.run_match(demo_workspace)
    listed = workflow.likely_matches(demo_workspace, result, 70.0)
    assert not listed.empty and (listed["score"] >= 70).all()
    higher = workflow.likely_matches(demo_workspace, result, 95.0)
    assert len(higher) < len(listed)
    with pytest.raises(InputError, match="the list changed"):
        workflow.accept_likely_matches(demo_workspace, result, 70.0, expected=len(listed) + 1)
    assert demo_workspace.decisions() == {}
    moves = workflow.accept_likely_matches(demo_workspace, result, 70.0, expected=len(listed))
    decided = demo_workspace.decisions()
    assert {s: d.target_id for s, d in decided.items()} == dict(
        zip(listed["source_id"], listed["target_id"], strict=True)
    )
    assert {m.source_id for m in moves} == set(listed["source_id"])
    after = workflow.run_match(demo_workspace).records.set_index("source_id")
    assert (after.loc[listed["source_id"], "action"] == "link").all()


def test_u2_fifteen_resolved_conflicts_survive_a_reload(demo_workspace: Workspace, tmp_path: Path):
    """U2: the user resolves 15 conflicts, then the page reloads (a new connection to the file)."""
    conflicts = _conflicts(demo_workspace)[:15]
    assert len(conflicts) == 15
    workflow.decide_and_rematch(demo_workspace, [Decision(s, "create") for s in conflicts])
    path = demo_workspace.path
    demo_workspace.close()
    reopened = Workspace.open(path)
    try:
        assert set(reopened.decisions()) == set(conflicts)
        records = workflow.run_match(reopened).records.set_index("source_id")
        assert (records.loc[conflicts, "action"] == "create").all()
    finally:
        reopened.close()
