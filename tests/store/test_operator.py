"""Who did it (#16): the operator's default (one home, :mod:`reconcile.operator`), every write of
the workspace recording the name given or the default, and a workspace of schema version 4
(before the operator columns) migrated with its rows kept."""

from __future__ import annotations

import getpass
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from reconcile import Decision, FieldMapping, Relation, Workspace, workflow
from reconcile.operator import (
    ENV,
    MAX_LENGTH,
    UNKNOWN,
    acting_as,
    clean_operator,
    default_operator,
    os_user,
    process_operator,
    resolve_operator,
)
from reconcile.store.workspace import _SCHEMA, SCHEMA_VERSION


@pytest.fixture
def os_person(monkeypatch: pytest.MonkeyPatch) -> str:
    """No ``$RECONCILE_OPERATOR``, and the OS user is ``os-person``."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "os-person")
    return "os-person"


def _newest(ws: Workspace, kind: str, n: int = 1) -> pd.DataFrame:
    """The ``n`` newest activity entries of ``kind``."""
    log = ws.activity()
    return log[log["kind"] == kind].head(n)


# ---------------------------------------------------------------------------- the name and its default
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("  Ana   Lopez ", "Ana Lopez"),
        ("Ana\nLopez\t", "Ana Lopez"),
        ("esc\x1b[31mred", "esc [31mred"),
        ("rtl\u202eevil", "rtl evil"),
        ("Hélène Lefèvre", "Hélène Lefèvre"),
        ("", None),
        ("  \n ", None),
        (None, None),
        (42, None),
    ],
)
def test_a_name_is_kept_on_one_line_and_trimmed(given: object, kept: str | None) -> None:
    assert clean_operator(given) == kept


def test_a_long_name_is_cut() -> None:
    assert clean_operator("x" * (MAX_LENGTH + 50)) == "x" * MAX_LENGTH


def test_the_os_user_falls_back_to_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "  jdoe ")
    assert os_user() == "jdoe"

    def no_user() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert os_user() == UNKNOWN == "unknown"


def test_the_default_is_the_context_then_the_environment_then_the_os_user(
    os_person: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_operator() == process_operator() == "os-person"
    monkeypatch.setenv(ENV, "  ")  # blank: not a name
    assert default_operator() == "os-person"
    monkeypatch.setenv(ENV, "Env Person")
    assert default_operator() == process_operator() == "Env Person"
    with acting_as(" Ana ") as name:
        assert name == "Ana" and default_operator() == "Ana"
        assert process_operator() == "Env Person"  # the process's own name is not the context's
        with acting_as("Bob"):
            assert default_operator() == "Bob"
        assert default_operator() == "Ana"
    assert default_operator() == "Env Person"
    assert resolve_operator("  Chris ") == "Chris" and resolve_operator("") == "Env Person"
    assert resolve_operator(None) == "Env Person"


def test_a_thread_does_not_inherit_the_context_operator(os_person: str) -> None:
    """Work handed to another thread must take the name when it is handed over (a push's worker)."""
    seen: list[str] = []
    with acting_as("Ana"):
        thread = threading.Thread(target=lambda: seen.append(default_operator()))
        thread.start()
        thread.join()
    assert seen == ["os-person"]


# ---------------------------------------------------------------------------- every write records it
def test_each_workspace_write_records_the_operator_given(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    records, accounts = ws.payfit_records(), ws.equify_accounts()
    p1, p2 = records["id"].iloc[0], records["id"].iloc[1]
    a1, a2 = accounts["id"].iloc[0], accounts["id"].iloc[1]

    ws.load_payfit(records, operator="Loader P")
    assert _newest(ws, "load")[["subject", "operator"]].values.tolist() == [["payfit_records", "Loader P"]]
    ws.load_equify(accounts, operator="Loader E")
    assert _newest(ws, "load")[["subject", "operator"]].values.tolist() == [["equify_accounts", "Loader E"]]

    mapping = ws.mapping()
    changed = FieldMapping.from_dict(mapping.as_dict(), {**dict(mapping.transforms), "lastName": "upper"})
    ws.set_mapping(changed, operator="Mapper")
    assert _newest(ws, "transform")["operator"].tolist() == ["Mapper"]
    ws.set_relation(Relation(include_leavers=True), operator="Relater")
    assert _newest(ws, "relation")["operator"].tolist() == ["Relater"]

    ws.decide([Decision(p1, "exclude"), Decision(p2, "create")], operator="  Decider ")
    assert _newest(ws, "decision", 2)["operator"].tolist() == ["Decider", "Decider"]
    assert ws.undecide([p2], operator="Undecider") == 1
    assert _newest(ws, "decision")[["subject", "operator"]].values.tolist() == [[p2, "Undecider"]]

    ws.edit_account(a1, "email", "who.did.it@example.fr", operator="Editor")
    assert _newest(ws, "edit")[["subject", "field", "operator"]].values.tolist() == [[a1, "email", "Editor"]]
    ws.edit_accounts([(a2, "lastName", "Nouveau")], operator="Editors")
    assert _newest(ws, "edit")[["subject", "operator"]].values.tolist() == [[a2, "Editors"]]

    assert ws.approve([(p1, "lastName", "Martin-Durand", "Martin")], operator="Approver") == 1
    assert _newest(ws, "approve")[["subject", "after", "operator"]].values.tolist() == [
        [p1, "Martin-Durand", "Approver"]
    ]
    approvals = ws.query("SELECT source_id, value, operator FROM approvals")
    assert approvals.values.tolist() == [[p1, "Martin-Durand", "Approver"]]

    edit_seq = int(_newest(ws, "edit")["seq"].iloc[0])
    ws.undo(edit_seq, operator="Undoer")
    assert _newest(ws, "edit")[["subject", "operator"]].values.tolist() == [[a2, "Undoer"]]
    assert _newest(ws, "undo")[["subject", "operator"]].values.tolist() == [[str(edit_seq), "Undoer"]]
    decision_seq = int(_newest(ws, "decision")["seq"].iloc[0])  # the undecide of p2
    ws.undo(decision_seq, operator="Redoer")  # puts p2's create back
    assert _newest(ws, "decision")[["subject", "after", "operator"]].values.tolist() == [[p2, "create", "Redoer"]]
    assert _newest(ws, "undo")["operator"].tolist() == ["Redoer"]

    ws.replace_all(records, accounts, operator="Replacer")
    assert ws.activity()[["kind", "operator"]].values.tolist() == [["load", "Replacer"], ["load", "Replacer"]]


def test_a_write_given_no_operator_records_the_default(
    demo_workspace: Workspace, os_person: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = demo_workspace
    p1 = ws.payfit_records()["id"].iloc[0]
    a1 = ws.equify_accounts()["id"].iloc[0]
    ws.decide([Decision(p1, "exclude")])
    assert _newest(ws, "decision")["operator"].tolist() == ["os-person"]

    monkeypatch.setenv(ENV, "Env Person")
    ws.edit_account(a1, "firstName", "Autre")
    assert _newest(ws, "edit")["operator"].tolist() == ["Env Person"]
    ws.decide([Decision(p1, "create")], operator="   ")  # a blank name is no name: the default
    assert _newest(ws, "decision")["operator"].tolist() == ["Env Person"]

    with acting_as("Ana"):  # what the app sets for a page run
        ws.approve([(p1, "email", "ana@example.fr")])
        ws.undecide([p1])
    assert _newest(ws, "approve")["operator"].tolist() == ["Ana"]
    assert _newest(ws, "decision")["operator"].tolist() == ["Ana"]
    assert ws.query("SELECT operator FROM approvals")["operator"].tolist() == ["Ana"]


# ---------------------------------------------------------------------------- a version 4 workspace
def _version_4_file(path: Path) -> None:
    """A workspace as schema version 4 made it: today's tables without the operator columns (the
    only change of version 5), with a load, a decision, an approval and a finished push run."""
    con = duckdb.connect(str(path))
    for stmt in _SCHEMA:
        con.execute(stmt.replace(", operator VARCHAR", "").replace(" operator VARCHAR)", ")"))
    columns = con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE column_name = 'operator' AND database_name = current_database()"
    ).fetchall()
    assert columns == []  # honest: the file really has no operator column
    con.execute("INSERT INTO meta VALUES ('schema_version', '4'), ('revision', '7'), ('workspace_id', 'v4file')")
    con.execute(
        "INSERT INTO payfit_records (id, \"firstName\", \"lastName\", status) VALUES ('p1', 'Hélène', 'Lefèvre', 'active')"
    )
    con.execute("INSERT INTO equify_accounts (id, \"firstName\", \"lastName\") VALUES ('a1', 'Hélène', 'Lefevre')")
    con.execute(
        'INSERT INTO activity ("at", kind, subject, field, before, after) VALUES'
        " ('2024-05-02 09:00:00', 'load', 'payfit_records', NULL, NULL, '1 rows'),"
        " ('2024-05-02 09:05:00', 'decision', 'p1', NULL, NULL, 'link a1')"
    )
    con.execute("INSERT INTO decisions VALUES ('p1', 'link', 'a1', '2024-05-02 09:05:00')")
    con.execute("INSERT INTO approvals VALUES ('p1', 'lastName', 'Lefèvre', '2024-05-02 09:06:00')")
    con.execute(
        "INSERT INTO push_runs VALUES ('run-old', '2024-05-02 10:00:00', '2024-05-02 10:00:02', 'done', 'embedded',"
        ' \'{"created": 0, "linked": 1, "updated": 0, "skipped": 0, "failed": 0, "seconds": 2.0}\', NULL)'
    )
    con.close()


def test_a_version_4_workspace_is_migrated_and_its_rows_read_back(tmp_path: Path) -> None:
    path = tmp_path / "v4.duckdb"
    _version_4_file(path)
    with Workspace.open(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION == 5
        columns = ws.query(
            "SELECT table_name FROM duckdb_columns() WHERE column_name = 'operator'"
            " AND database_name = current_database() ORDER BY table_name"
        )
        assert columns["table_name"].tolist() == ["activity", "approvals", "push_runs"]
        # The old rows read back as they were, with no one recorded.
        log = ws.activity()
        assert log[["kind", "subject", "after"]].values.tolist() == [
            ["decision", "p1", "link a1"],
            ["load", "payfit_records", "1 rows"],
        ]
        assert log["operator"].isna().all()
        assert ws.decisions()["p1"].target_id == "a1"
        assert ws.approvals() == {("p1", "lastName", "Lefèvre")}
        runs = workflow.push_runs(ws)
        assert runs["run_id"].tolist() == ["run-old"] and runs["operator"].isna().all()
        # ... and are shown blank, never "None"
        table = workflow.activity_table(ws)
        assert table["by"].tolist() == ["", ""]
        assert table["subject"].iloc[0] == "Hélène Lefèvre (p1)"
        history = workflow.runs_table(ws)
        assert history[["run_id", "by", "linked"]].values.tolist() == [["run-old", "", 1]]
        # New writes record who did them, beside the old rows.
        ws.decide([Decision("p1", "exclude")], operator="Ana")
        ws.approve([("p1", "firstName", "Helene")], operator="Ana")
        assert workflow.activity_table(ws)["by"].tolist()[:2] == ["Ana", "Ana"]
        approvals = ws.query("SELECT value, operator FROM approvals ORDER BY approved_at")
        assert approvals.values.tolist() == [["Lefèvre", None], ["Helene", "Ana"]]
    with Workspace.open(path) as again:  # opened a second time: nothing left to migrate
        assert again.schema_version == SCHEMA_VERSION
        assert again.activity()["operator"].tolist() == ["Ana", "Ana", None, None]
