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


# ---------------------------------------------------------------------------- search, filters and paging
@pytest.fixture
def table(demo_workspace: Workspace):
    result = workflow.run_match(demo_workspace)
    return workflow.review_table(demo_workspace, result), result


def test_review_table_has_one_row_per_record_in_order(demo_workspace: Workspace, table):
    rows, result = table
    assert list(rows.columns) == workflow.REVIEW_COLUMNS
    assert rows["source_id"].tolist() == result.records["source_id"].tolist()
    linked = rows[rows["action"] == "link"]
    assert linked["account"].notna().all() and rows.loc[rows["target_id"].isna(), "account"].isna().all()


def test_search_is_case_and_accent_free(table):
    rows, result = table
    name = rows.loc[rows["name"].str.contains("é", na=False), "name"].iloc[0]
    plain = name.replace("é", "e").upper()
    found = workflow.filter_review(rows, result, workflow.ReviewFilter(search=plain))
    assert name in found["name"].tolist()
    assert len(found) < len(rows)
    by_email = workflow.filter_review(rows, result, workflow.ReviewFilter(search=rows["email"].dropna().iloc[3]))
    assert rows["email"].dropna().iloc[3] in by_email["email"].tolist()


def test_filters_combine(table):
    rows, result = table
    team = rows["team"].dropna().iloc[0]
    view = workflow.ReviewFilter(teams=(team,), rules=("name",), score=(70.0, 100.0))
    kept = workflow.filter_review(rows, result, view)
    rules = result.records.set_index("source_id")["rule"]
    assert not kept.empty
    assert (kept["team"] == team).all() and (rules[kept["source_id"]] == "name").all()
    assert kept["score"].between(70, 100).all()
    expected = rows[
        (rows["team"] == team)
        & (rules.reindex(rows["source_id"]).to_numpy() == "name")
        & rows["score"].between(70, 100)
    ]
    assert kept.index.tolist() == expected.index.tolist()
    nothing = workflow.filter_review(rows, result, workflow.ReviewFilter(search="zzzz-no-such-person"))
    assert nothing.empty


@pytest.mark.parametrize(("page", "first", "size", "pages"), [(1, 0, 100, 3), (3, 200, 50, 3), (9, 200, 50, 3)])
def test_pages(page, first, size, pages):
    import pandas as pd

    rows = pd.DataFrame({"n": range(250)})
    shown, count = workflow.page_of(rows, page, 100)
    assert (count, shown["n"].iloc[0], len(shown)) == (pages, first, size)
