"""Who did it (#16): each writing step records the operator it is given (else the default) in the
activity log, the notebook's reviewer too, and the Activity panel's table says who (``by``)."""

from __future__ import annotations

import getpass
import io
from pathlib import Path

import pandas as pd
import pytest

from reconcile import Decision, Workspace, workflow
from reconcile.notebook import ConflictReviewer
from reconcile.operator import ENV, acting_as


@pytest.fixture(autouse=True)
def os_person(monkeypatch: pytest.MonkeyPatch) -> str:
    """No ``$RECONCILE_OPERATOR``, and the OS user is ``os-person``: the default of every write here."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "os-person")
    return "os-person"


def _who(ws: Workspace, kind: str, n: int = 1) -> list[str]:
    """Who made the ``n`` newest activity entries of ``kind``."""
    log = ws.activity()
    return log.loc[log["kind"] == kind, "operator"].head(n).tolist()


def _conflicts(ws: Workspace) -> pd.DataFrame:
    records = workflow.run_match(ws).records
    return records[(records["category"] == "conflict") & records["target_id"].notna()]


def test_the_review_steps_record_the_operator_given(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    conflicts = _conflicts(ws)
    (s1, t1), (s2, _) = conflicts[["source_id", "target_id"]].head(2).itertuples(index=False)
    accounts = ws.equify_accounts()["id"].tolist()

    workflow.decide_and_rematch(ws, [Decision(s1, "link", t1)], operator="Decider")
    assert _who(ws, "decision") == ["Decider"]
    workflow.undecide_and_rematch(ws, [s1], operator="Undecider")
    assert _who(ws, "decision") == ["Undecider"]
    workflow.edit_and_rematch(ws, accounts[0], "email", "one.edit@example.fr", operator="Editor")
    assert _who(ws, "edit") == ["Editor"]
    workflow.edit_accounts_and_rematch(ws, [(accounts[1], "lastName", "Deux")], operator="Editors")
    assert _who(ws, "edit") == ["Editors"]
    moves, refused = workflow.edit_each_and_rematch(
        ws, [(accounts[2], "phoneNumber", "06 12 ab"), (accounts[3], "firstName", "Trois")], operator="Typist"
    )
    assert len(refused) == 1 and _who(ws, "edit") == ["Typist"]  # only the valid cell was written
    seq = int(ws.activity().query("kind == 'edit'")["seq"].iloc[0])
    undone = workflow.undo_and_rematch(ws, seq, operator="Undoer")
    assert "firstName" in undone.said
    assert _who(ws, "edit") == ["Undoer"] and _who(ws, "undo") == ["Undoer"]

    result = workflow.run_match(ws)
    listed = workflow.likely_matches(ws, result, 50.0)
    assert not listed.empty
    workflow.accept_likely_matches(ws, result, 50.0, len(listed), operator="Accepter")
    assert _who(ws, "decision", len(listed)) == ["Accepter"] * len(listed)

    changes = pd.DataFrame({"source_id": [s2], "field": ["lastName"], "after": ["Nouveau"], "before": ["Ancien"]})
    assert workflow.approve_held(ws, changes, operator="Approver") == 1
    assert _who(ws, "approve") == ["Approver"]
    assert ws.query("SELECT operator FROM approvals")["operator"].tolist() == ["Approver"]


def test_the_steps_record_the_default_when_given_no_operator(demo_workspace: Workspace, os_person: str) -> None:
    ws = demo_workspace
    sid = _conflicts(ws)["source_id"].iloc[0]
    workflow.decide_and_rematch(ws, [Decision(sid, "exclude")])
    assert _who(ws, "decision") == [os_person]
    with acting_as("Ana"):  # what the app sets for a page run: no call passes it
        workflow.undecide_and_rematch(ws, [sid])
    assert _who(ws, "decision") == ["Ana"]


def test_the_load_steps_record_the_operator(workspace: Workspace, demo_dir: Path, os_person: str) -> None:
    ws = workspace
    workflow.load_demo(ws, demo_dir, operator="Demo Loader")
    assert _who(ws, "load", 2) == ["Demo Loader", "Demo Loader"]
    workflow.load_path(ws, "payfit", demo_dir / "payfit", operator="Path Loader")
    assert _who(ws, "load") == ["Path Loader"]
    csv = (demo_dir / "equify_accounts.csv").read_bytes()
    workflow.load_equify_file(ws, csv, "equify_accounts.csv", operator="Upload E")
    assert _who(ws, "load") == ["Upload E"]
    pages = [(p.name, p.read_bytes()) for p in sorted((demo_dir / "payfit").glob("*.json"))]
    workflow.load_payfit_files(ws, pages, operator="Upload P")
    assert _who(ws, "load") == ["Upload P"]
    workflow.load_demo(ws, demo_dir)
    assert _who(ws, "load", 2) == [os_person, os_person]


def test_the_notebook_reviewer_records_its_operator(demo_workspace: Workspace) -> None:
    reviewer = ConflictReviewer(demo_workspace, operator="Notebook Person")
    step = reviewer.exclude()
    assert step.action == "exclude"
    assert _who(demo_workspace, "decision") == ["Notebook Person"]
    ConflictReviewer(demo_workspace).exclude()
    assert _who(demo_workspace, "decision") == ["os-person"]


def test_the_activity_table_says_who(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    sid = _conflicts(ws)["source_id"].iloc[0]
    workflow.decide_and_rematch(ws, [Decision(sid, "exclude")], operator="Ana Lopez")
    table = workflow.activity_table(ws)
    assert list(table.columns) == workflow.ACTIVITY_COLUMNS and workflow.ACTIVITY_COLUMNS[:3] == ["seq", "at", "by"]
    newest = table.iloc[0]
    assert (newest["what"], newest["by"], newest["after"]) == ("decision", "Ana Lopez", "exclude")
    assert set(table["by"].iloc[1:]) == {"os-person"}  # the demo's loads, by default
    # An entry recorded before the workspace kept the name shows blank, never "None".
    with ws.transaction() as tx:
        tx.execute("UPDATE activity SET operator = NULL WHERE kind = 'load'")
    table = workflow.activity_table(ws)
    assert table.loc[table["what"] == "load", "by"].tolist() == ["", ""]
    assert table.loc[table["what"] == "decision", "by"].tolist() == ["Ana Lopez"]


def test_the_history_table_says_who_started_each_run(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    assert workflow.runs_table(ws).empty and list(workflow.runs_table(ws).columns) == workflow.RUN_COLUMNS
    result = workflow.push_workspace(ws, skip_conflicts=True, operator="Pusher")
    table = workflow.runs_table(ws)
    assert table[["run_id", "status", "by"]].values.tolist() == [[result.run_id, "done", "Pusher"]]
    assert table["created"].iloc[0] == result.created and table["linked"].iloc[0] == result.linked
    with ws.transaction() as tx:
        tx.execute("UPDATE push_runs SET operator = NULL")
    assert workflow.runs_table(ws)["by"].tolist() == [""]
    buffer = io.StringIO()
    workflow.runs_table(ws).to_csv(buffer, index=False)
    assert "None" not in buffer.getvalue()
