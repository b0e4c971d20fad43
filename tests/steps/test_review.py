"""The review workbench's decisions (issue 5): undo from the activity log, accepting likely
matches above a score, and U2 (decisions survive a reload)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reconcile import Decision, InputError, Relation, Workspace, workflow
from ui import table as review_view


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
    undone = workflow.undo_and_rematch(demo_workspace, int(decisions["seq"].iloc[0]))
    assert [(m.source_id, m.after) for m in undone.moves] == [(sid, "excluded")]
    assert "back to exclude" in undone.said and undone.kept == ()  # nothing was pushed


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
    shown, count = review_view.page_of(rows, page, 100)
    assert (count, shown["n"].iloc[0], len(shown)) == (pages, first, size)


# ---------------------------------------------------------------------------- inline edits (U1)
def _shown(ws: Workspace, category: str = "conflict", view: workflow.ReviewFilter | None = None):
    result = workflow.run_match(ws)
    rows = workflow.review_table(ws, result)
    rows = rows[rows["category"] == category]
    if view is not None:
        rows = workflow.filter_review(rows, result, view)
    return rows.reset_index(drop=True)


def _account(ws: Workspace, aid: str):
    return ws.equify_accounts().set_index("id").loc[aid]


def test_u1_every_edit_is_kept(demo_workspace: Workspace):
    """U1: the user fixes row 1's email in the review table, then row 2's last name: both kept."""
    shown = _shown(demo_workspace)
    first, second = shown.loc[0, "target_id"], shown.loc[1, "target_id"]
    review_view.edit_table_and_rematch(demo_workspace, shown, {0: {"account_email": "fixed.one@example.fr"}})
    shown = _shown(demo_workspace)  # the table as the page draws it after the first edit
    position = shown.index[shown["target_id"] == second][0]
    review_view.edit_table_and_rematch(demo_workspace, shown, {int(position): {"account_last": "Nouveau-Nom"}})
    assert _account(demo_workspace, first)["email"] == "fixed.one@example.fr"
    assert _account(demo_workspace, second)["lastName"] == "Nouveau-Nom"
    edits = demo_workspace.activity().query("kind == 'edit'")
    assert set(zip(edits["subject"], edits["field"], strict=True)) == {(first, "email"), (second, "lastName")}


def test_u1_an_edit_after_sorting_and_filtering_lands_on_its_row(demo_workspace: Workspace):
    everything = _shown(demo_workspace)
    view = workflow.ReviewFilter(rules=("name",))
    shown = _shown(demo_workspace, view=view).sort_values("name", ascending=False).reset_index(drop=True)
    target = shown.loc[0, "target_id"]
    assert target != everything.loc[0, "target_id"]  # position 0 is another row in the unsorted table
    untouched = everything.loc[0, "target_id"]
    before = _account(demo_workspace, untouched)["phoneNumber"]
    review_view.edit_table_and_rematch(demo_workspace, shown, {0: {"account_phone": "06 12 34 77 66"}})
    assert _account(demo_workspace, target)["phoneNumber"] == "+33612347766"
    assert _account(demo_workspace, untouched)["phoneNumber"] == before


def test_u1_an_email_edit_that_resolves_a_conflict_moves_the_person(demo_workspace: Workspace):
    shown = _shown(demo_workspace)
    row = shown[shown["reason"].str.contains("which has no email") & shown["email"].notna()].iloc[0]
    position = int(shown.index[shown["source_id"] == row["source_id"]][0])
    moves = review_view.edit_table_and_rematch(demo_workspace, shown, {position: {"account_email": row["email"]}}).moves
    assert [(m.source_id, m.after) for m in moves] == [(row["source_id"], "new (link)")]


@pytest.mark.parametrize(
    ("edited", "position", "message"),
    [
        ({0: {"account_email": "not an email"}}, 0, "not a valid email"),
        ({0: {"account_phone": "06 12 ab"}}, 0, "not a phone number"),
        ({0: {"reason": "x"}}, 0, "cannot be edited"),
        ({999: {"account_email": "a@b.fr"}}, 999, "not in the table any more"),
    ],
)
def test_a_refused_table_edit_writes_nothing_and_says_why_on_its_row(
    demo_workspace: Workspace, edited, position, message
):
    shown = _shown(demo_workspace)
    revision = demo_workspace.revision
    done = review_view.edit_table_and_rematch(demo_workspace, shown, edited)
    assert list(done.rejected) == [position] and message in done.rejected[position]
    assert (done.saved, done.moves) == (0, [])
    assert demo_workspace.revision == revision
    assert _account(demo_workspace, shown.loc[0, "target_id"])["email"] == shown.loc[0, "account_email"]


def test_a_refused_edit_never_holds_back_the_others(demo_workspace: Workspace):
    """Issue 16: a value refused in one row, valid values in others (the same change, and the
    next one): each valid value is saved, the refused one is said on its row, nothing emptied."""
    shown = _shown(demo_workspace)
    first, second, third = (shown.loc[k, "target_id"] for k in range(3))
    kept_email = _account(demo_workspace, second)["email"]
    done = review_view.edit_table_and_rematch(
        demo_workspace, shown, {0: {"account_email": "ok.one@example.fr"}, 1: {"account_email": "jean@@example"}}
    )
    assert (done.saved, list(done.rejected)) == (1, [1]) and "email" in done.rejected[1]
    assert _account(demo_workspace, first)["email"] == "ok.one@example.fr"
    assert _account(demo_workspace, second)["email"] == kept_email  # refused: not emptied
    shown = _shown(demo_workspace)
    position = int(shown.index[shown["target_id"] == third][0])
    later = review_view.edit_table_and_rematch(demo_workspace, shown, {position: {"account_phone": "06 12 34 77 66"}})
    assert (later.saved, later.rejected) == (1, {})
    assert _account(demo_workspace, third)["phoneNumber"] == "+33612347766"


def test_a_row_without_an_account_cannot_be_edited(demo_workspace: Workspace):
    shown = _shown(demo_workspace, category="new")
    row = int(shown.index[shown["target_id"].isna()][0])
    done = review_view.edit_table_and_rematch(demo_workspace, shown, {row: {"account_email": "a@b.fr"}})
    assert "has no Equify account" in done.rejected[row] and done.saved == 0
    with pytest.raises(InputError, match="has no Equify account"):
        review_view.table_edits(shown, {row: {"account_email": "a@b.fr"}})


def test_side_by_side_explains_a_pair(demo_workspace: Workspace):
    result = workflow.run_match(demo_workspace)
    records = result.records
    row = records[(records["category"] == "conflict") & records["reason"].str.contains("which has no email")].iloc[0]
    table = workflow.side_by_side(demo_workspace, result, row["source_id"], row["target_id"]).set_index("field")
    assert list(table.columns) == workflow.COMPARISON_COLUMNS[1:]
    assert table.loc["email", "equify"] is None and table.loc["email", "agreement"] == "no evidence: empty in Equify"
    assert table.loc["lastName", "agreement"].startswith(("same", "similar"))
    pair = result.candidates.set_index(["source_id", "target_id"]).loc[(row["source_id"], row["target_id"])]
    assert table["points"].sum(skipna=True) == pytest.approx(
        pair[["name_points", "birthdate_points", "phone_points", "matricule_points"]].sum()
    )
    with pytest.raises(InputError, match="unknown Equify account"):
        workflow.side_by_side(demo_workspace, result, row["source_id"], "nope")


def test_matching_runs_once_per_revision_and_never_for_another_file(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    with Workspace.open(path, create=True) as ws:
        workflow.load_demo(ws)
        first = workflow.run_match(ws)
        assert workflow.run_match(ws) is first  # same revision: the remembered result
        sid = ws.payfit_records()["id"].iloc[0]
        ws.decide([Decision(sid, "exclude")])
        second = workflow.run_match(ws)
        assert second is not first
        assert second.records.set_index("source_id").loc[sid, "category"] == "excluded"
        revision, identity = ws.revision, ws.identity
    path.unlink()
    with Workspace.open(path, create=True) as ws:  # a new file at the same path
        workflow.load_demo(ws)
        while ws.revision < revision:
            ws.set_relation(ws.relation())
        assert ws.revision == revision and ws.identity != identity
        fresh = workflow.run_match(ws)
        assert fresh is not second
        assert sid not in ws.decisions()
        assert fresh.records.set_index("source_id").loc[sid, "category"] != "excluded"


def test_data_version_changes_with_the_data_not_with_decisions(demo_workspace: Workspace):
    ws = demo_workspace
    version = ws.data_version
    sid = ws.payfit_records()["id"].iloc[0]
    ws.decide([Decision(sid, "exclude")])
    assert ws.data_version == version
    accounts = ws.equify_accounts()
    ws.edit_account(accounts.loc[accounts["email"].isna(), "id"].iloc[0], "email", "x.y@example.fr")
    assert ws.data_version != version
    version = ws.data_version
    ws.set_relation(Relation(include_leavers=True))
    assert ws.data_version != version
    version = ws.data_version
    ws.load_payfit(ws.payfit_records())
    assert ws.data_version != version


def test_a_decision_reuses_the_prepared_pairs_and_an_edit_does_not(demo_workspace: Workspace):
    """The workspace's one match cache (``ws.cache``: the prepared data and the results) serves a
    decision's rerun without preparing again; an edit prepares again. The module's default cache is
    not used for a workspace's matches."""
    from reconcile.matching import matcher

    default_before = dict(matcher.DEFAULT_PREPARED.entries)
    kept = demo_workspace.cache.prepared.entries
    first = workflow.run_match(demo_workspace)
    prepared = dict(kept)
    assert len(prepared) == 1
    sid = first.records.loc[first.records["category"] == "conflict", "source_id"].iloc[0]
    workflow.decide_and_rematch(demo_workspace, [Decision(sid, "create")])
    assert kept == prepared  # same data: nothing prepared again
    account = workflow.run_match(demo_workspace).records.set_index("source_id")
    assert account.loc[sid, "action"] == "create"
    accounts = demo_workspace.equify_accounts()
    demo_workspace.edit_account(accounts["id"].iloc[0], "lastName", "Changé")
    workflow.run_match(demo_workspace)
    assert set(kept) != set(prepared)
    assert matcher.DEFAULT_PREPARED.entries == default_before
    demo_workspace.cache.clear()
    assert not kept  # closing the workspace (or clearing its cache) frees the prepared matches


def test_names_kept_between_calls_follow_every_change():
    """review_table formats only the account names that changed since its last call: the
    result must equal formatting them all, whatever changed (a value, a gap, a NaN)."""
    from reconcile.steps.review import _names

    first = pd.Series(["Ana", " Luc ", None, "Éva", float("nan"), "Jo"], dtype=object)
    last = pd.Series(["Diaz", "Roy", "Seul", None, None, "Ng"], dtype=object)
    assert _names(first, last, slot="t").tolist() == ["Ana Diaz", "Luc Roy", "Seul", "Éva", "(no name)", "Jo Ng"]
    first2 = pd.Series(["Ana", "Lucas", "Marc", "Éva", float("nan"), None], dtype=object)
    last2 = pd.Series(["Diaz", "Roy", "Seul", "Bon", None, "Ng"], dtype=object)
    assert _names(first2, last2, slot="t").tolist() == _names(first2, last2).tolist()
    assert _names(first2, last2, slot="t").tolist() == [
        "Ana Diaz",
        "Lucas Roy",
        "Marc Seul",
        "Éva Bon",
        "(no name)",
        "Ng",
    ]
    assert _names(first[:3], last[:3], slot="t").tolist() == ["Ana Diaz", "Luc Roy", "Seul"]  # another length


def test_ticks_in_the_table_follow_the_rows_given(demo_workspace: Workspace):
    """Tick boxes refer to positions in the rows the editor was given (whatever the sorting
    on screen); ticks of rows no longer shown are dropped; a tick is not an account edit."""
    shown = _shown(demo_workspace).iloc[::-1].reset_index(drop=True)  # another order than the set's
    ids = shown["source_id"].tolist()
    assert review_view.table_ticks(shown, {0: {"tick": True}, 2: {"tick": True}}, []) == [ids[0], ids[2]]
    assert review_view.table_ticks(shown, {2: {"tick": False}}, [ids[2], ids[1]]) == [ids[1]]
    assert review_view.table_ticks(shown, {1: {"tick": True}}, ["not-on-screen"]) == [ids[1]]
    assert review_view.table_ticks(shown, {0: {"account_email": "x@y.fr"}}, [ids[3]]) == [ids[3]]
    with pytest.raises(InputError, match="not in the table any more"):
        review_view.table_ticks(shown, {len(shown): {"tick": True}}, [])
    revision = demo_workspace.revision
    assert review_view.table_edits(shown, {0: {"tick": True}}) == []
    assert review_view.edit_table_and_rematch(demo_workspace, shown, {0: {"tick": True}}) == review_view.TableEdited(
        [], 0, {}
    )
    assert demo_workspace.revision == revision


def test_side_by_side_says_why_a_field_gave_no_evidence(demo_workspace: Workspace):
    """Issue 16: an invalid phone, a placeholder email, an empty field each say so next to their
    points, instead of a bare "no evidence"."""
    ws = demo_workspace
    result = workflow.run_match(ws)
    pair = result.candidates.sort_values("score", ascending=False).iloc[0]
    sid, tid = str(pair["source_id"]), str(pair["target_id"])
    mapped = ws.mapping().mapped()
    records = ws.payfit_records()
    at = records.index[records["id"] == sid][0]
    records.loc[at, mapped["phoneNumber"]] = "06 12"  # too short: no number
    records.loc[at, mapped["email"]] = "noreply@example.fr"  # a placeholder address
    records.loc[at, mapped["birthDate"]] = None
    ws.load_payfit(records)
    ws.edit_account(tid, "birthDate", None)
    table = workflow.side_by_side(ws, workflow.run_match(ws), sid, tid).set_index("field")
    assert table.loc["phoneNumber", "agreement"] == "no evidence: Payfit's is not a valid phone number" or (
        "Payfit's is not a valid phone number" in table.loc["phoneNumber", "agreement"]
    )
    assert "Payfit's is a placeholder" in table.loc["email", "agreement"]
    assert table.loc["birthDate", "agreement"] == "no evidence: empty on both sides"
    assert not (table["agreement"] == "no evidence").any()  # every "no evidence" says why
