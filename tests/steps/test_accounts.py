"""The Accounts step (#16): the Equify accounts with their link to Payfit, searched and filtered
by the library (``accounts_table``, ``filter_accounts``, ``account_counts``), as the Accounts
page and a notebook use them."""

from __future__ import annotations

import pandas as pd
import pytest

from reconcile import InputError, Workspace, workflow
from reconcile.steps.accounts import ACCOUNT_COLUMNS, ACCOUNT_FILTERS, account_counts, filter_accounts


def test_the_table_has_the_documented_columns_and_no_links_before_a_push(demo_workspace: Workspace) -> None:
    table = workflow.accounts_table(demo_workspace)
    assert table.columns.tolist() == ACCOUNT_COLUMNS
    for column in ACCOUNT_COLUMNS:  # the docstring names every column
        assert f"``{column}``" in (workflow.accounts_table.__doc__ or ""), column
    assert len(table) == len(demo_workspace.equify_accounts())
    assert not table["linked_to_payfit"].any() and not table["created_by_last_push"].any()
    assert table["payfit_id"].map(lambda v: v is None).all()  # None, never NaN
    assert account_counts(table) == {
        "all": len(table),
        "linked": 0,
        "created_by_last_push": 0,
        "not_linked": len(table),
    }


def test_search_ignores_accents_case_and_separators(demo_workspace: Workspace) -> None:
    table = workflow.accounts_table(demo_workspace)
    accented = table[table["firstName"].fillna("").str.contains("[éèÉ]", regex=True)].iloc[0]
    first, last, account_id = accented["firstName"], accented["lastName"], accented["id"]
    plain_first = first.replace("é", "e").replace("è", "e").replace("É", "E")
    for query in (plain_first.upper() + " " + last.lower(), f"{last} {first}", account_id.upper()):
        found = workflow.accounts_table(demo_workspace, search=query)
        assert account_id in found["id"].tolist(), query
        assert len(found) < len(table), query
    emailed = table[table["email"].fillna("").str.contains(".", regex=False)].iloc[0]
    found = filter_accounts(table, search=emailed["email"].upper())
    assert emailed["id"] in found["id"].tolist() and len(found) < len(table)
    assert filter_accounts(table, search="zzz-nobody-qqq").empty
    assert len(filter_accounts(table, search="   ")) == len(table)


def _add_record(ws: Workspace, source_id: str) -> None:
    """One more active Payfit record, unlike anybody: the next push creates it."""
    records = ws.payfit_records()
    row = records[records["status"] == "active"].iloc[[0]].copy()
    row[[c for c in row.columns if row[c].dtype == object]] = None
    row["id"], row["firstName"], row["lastName"] = source_id, "Zéphyrin", "Quatremare"
    row["email"], row["status"], row["contractStatus"] = "zephyrin.quatremare@example.org", "active", "ACTIVE"
    ws.load_payfit(pd.concat([records, row], ignore_index=True))


def test_filters_follow_the_ledger_and_the_last_push(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    first = workflow.push_workspace(ws, skip_conflicts=True)
    assert first.created > 0
    table = workflow.accounts_table(ws)
    ledger = ws.ledger()
    linked = workflow.accounts_table(ws, show="linked")
    assert set(linked["id"]) == set(ledger.values())
    assert dict(zip(linked["payfit_id"], linked["id"], strict=True)) == ledger
    not_linked = workflow.accounts_table(ws, show="not_linked")
    assert set(not_linked["id"]) == set(table["id"]) - set(ledger.values())
    assert not_linked["payfit_id"].map(lambda v: v is None).all()
    made = workflow.accounts_table(ws, show="created_by_last_push")
    assert len(made) == first.created and set(made["origin"]) == {"payfit_sync"}

    # A second push that creates one account: only that one was created by the last push.
    _add_record(ws, "pf-added-16")
    second = workflow.push_workspace(ws, skip_conflicts=True)
    assert second.created == 1
    made = workflow.accounts_table(ws, show="created_by_last_push")
    assert made["id"].tolist() == [ws.ledger()["pf-added-16"]]
    assert made[["firstName", "lastName"]].values.tolist() == [["Zéphyrin", "Quatremare"]]
    table = workflow.accounts_table(ws)
    assert int((table["origin"] == "payfit_sync").sum()) == first.created + 1  # every sync's, not the last's
    counts = account_counts(table)
    assert counts == {
        "all": len(table),
        "linked": len(ws.ledger()),
        "created_by_last_push": 1,
        "not_linked": len(table) - len(ws.ledger()),
    }
    # search and filter together; the counts of the searched rows
    found = filter_accounts(table, search="zephyrin QUATREMARE")
    assert account_counts(found) == {"all": 1, "linked": 1, "created_by_last_push": 1, "not_linked": 0}
    assert filter_accounts(found, show="not_linked").empty


def test_an_unknown_filter_is_refused(demo_workspace: Workspace) -> None:
    with pytest.raises(InputError, match="created_by_last_push"):
        workflow.accounts_table(demo_workspace, show="recent")
    assert list(ACCOUNT_FILTERS) == ["all", "linked", "created_by_last_push", "not_linked"]


def test_an_empty_workspace_gives_an_empty_table(workspace: Workspace) -> None:
    table = workflow.accounts_table(workspace, search="anything", show="linked")
    assert table.empty and table.columns.tolist() == ACCOUNT_COLUMNS
    assert account_counts(table) == {"all": 0, "linked": 0, "created_by_last_push": 0, "not_linked": 0}
