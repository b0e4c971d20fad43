"""The workspace file: schema, nothing lost on restart, validated writes that change nothing on error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from reconcile import Decision, FieldMapping, InputError, Relation, Workspace, WorkspaceError, workflow
from reconcile.sources.equify import ACCOUNT_COLUMNS, read_equify_accounts
from reconcile.sources.payfit import PAYFIT_COLUMNS
from reconcile.store.workspace import _SCHEMA, SCHEMA_VERSION, _table_names

NBSP, ZWSP = "\u00a0", "\u200b"


def _state(ws: Workspace) -> dict:
    """Everything a person would lose on a restart."""
    return {
        "payfit": ws.payfit_records().drop(columns="raw"),
        "accounts": ws.equify_accounts(),
        "mapping": ws.mapping(),
        "relation": ws.relation(),
        "decisions": ws.decisions(),
        "ledger": ws.ledger(),
        "ledger_values": ws.ledger_values(),
        "runs": ws.push_runs()[["run_id", "status", "totals"]],
        "activity": ws.activity()[["seq", "kind", "subject", "field", "before", "after"]],
        "counts": ws.counts(),
        "revision": ws.revision,
    }


def _assert_same_state(a: dict, b: dict) -> None:
    for key in a:
        if isinstance(a[key], pd.DataFrame):
            pd.testing.assert_frame_equal(a[key], b[key], obj=key)
        else:
            assert a[key] == b[key], key


# ---------------------------------------------------------------------------- schema
def test_schema_version_is_stored(workspace: Workspace):
    assert workspace.schema_version == SCHEMA_VERSION == 5  # 5 (#16): who did it (activity, push_runs, approvals)
    stored = workspace.query("SELECT value FROM meta WHERE key = 'schema_version'")
    assert stored["value"].tolist() == [str(SCHEMA_VERSION)]


def test_fresh_workspace_is_empty(workspace: Workspace):
    assert Path(workspace.path).name == "ws.duckdb" and Path(workspace.path).is_file()  # a real file
    assert workspace.is_empty()
    assert workspace.counts() == dict.fromkeys(
        ("payfit_records", "equify_accounts", "decisions", "ledger", "push_runs"), 0
    )
    assert workspace.mapping() == FieldMapping.default()
    assert workspace.relation() == Relation()


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "ws.duckdb"
    with Workspace.open(path) as ws:
        with ws.transaction() as tx:
            tx.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    with pytest.raises(WorkspaceError, match="schema version"):
        Workspace.open(path)


def test_every_write_bumps_the_revision(demo_workspace: Workspace):
    before = demo_workspace.revision
    demo_workspace.set_relation(Relation(include_leavers=True))
    assert demo_workspace.revision == before + 1


# ---------------------------------------------------------------------------- nothing lost on restart
def test_reopening_keeps_everything(demo_workspace: Workspace, tmp_path: Path):
    ws = demo_workspace
    ws.set_mapping(FieldMapping.from_dict({**FieldMapping.default().as_dict(), "email": "personalEmail"}))
    ws.set_relation(Relation(include_leavers=True))
    result = workflow.run_match(ws)
    conflicts = result.records[result.records["category"] == "conflict"]["source_id"].tolist()
    decisions = [Decision(conflicts[0], "exclude"), Decision(conflicts[1], "create")]
    ws.decide(decisions)
    workflow.push_workspace(ws, skip_conflicts=True)
    assert ws.counts()["ledger"] > 0
    before = _state(ws)
    matched_before = workflow.run_match(ws).records
    ws.close()

    copy = tmp_path / "copy.duckdb"  # the file alone carries everything
    shutil.copy(ws.path, copy)
    for path in (ws.path, copy):
        with Workspace.open(path) as again:
            after = _state(again)
            _assert_same_state(before, after)
            assert after["mapping"].as_dict()["email"] == "personalEmail"
            assert after["relation"].include_leavers is True
            assert after["decisions"] == {d.source_id: d for d in decisions}  # U2: decisions survive a reload
            pd.testing.assert_frame_equal(workflow.run_match(again).records, matched_before)


# ---------------------------------------------------------------------------- loading
@pytest.mark.parametrize(
    ("method", "columns", "dropped"),
    [
        pytest.param("load_payfit", PAYFIT_COLUMNS, "email", id="payfit-without-email"),
        pytest.param("load_payfit", PAYFIT_COLUMNS, "id", id="payfit-without-id"),
        pytest.param("load_equify", ACCOUNT_COLUMNS, "id", id="equify-without-id"),
        pytest.param("load_equify", ACCOUNT_COLUMNS, "lastName", id="equify-without-lastName"),
    ],
)
def test_load_with_missing_columns_changes_nothing(demo_workspace: Workspace, method, columns, dropped):
    ws = demo_workspace
    before = _state(ws)
    frame = pd.DataFrame([dict.fromkeys(columns, "x")]).drop(columns=dropped)
    with pytest.raises(InputError, match=dropped):
        getattr(ws, method)(frame)
    _assert_same_state(before, _state(ws))


def test_load_demo_with_a_bad_file_changes_nothing(demo_workspace: Workspace, demo_dir: Path, tmp_path: Path):
    bad = tmp_path / "demo"
    shutil.copytree(demo_dir, bad)
    (bad / "equify_accounts.csv").write_text("firstName,lastName\nJean,Dupont\n", encoding="utf-8")
    before = _state(demo_workspace)
    with pytest.raises(InputError, match="equify_accounts.csv"):
        workflow.load_demo(demo_workspace, bad)
    _assert_same_state(before, _state(demo_workspace))


def test_load_replaces_one_side(demo_workspace: Workspace):
    accounts = demo_workspace.equify_accounts().head(3).drop(columns="origin")
    assert demo_workspace.load_equify(accounts) == 3
    assert demo_workspace.counts()["equify_accounts"] == 3
    assert demo_workspace.counts()["payfit_records"] == 204


def test_l4_phone_column_is_text(workspace: Workspace):
    """L4: a CSV 'tel' column keeps its leading zero and its '+'; matching reads E.164."""
    csv = b"id,prenom,nom,tel,postcode\na1,Jean,Dupont,0612345678,06000\na2,Lotte,Peeters,+32470123456,1000\n"
    workspace.load_equify(read_equify_accounts(csv, name="accounts.csv"))
    accounts = workspace.equify_accounts().set_index("id")
    assert accounts.loc["a1", "phoneNumber"] == "0612345678"
    assert accounts.loc["a2", "phoneNumber"] == "+32470123456"
    assert accounts.loc["a1", "postcode"] == "06000"


# ---------------------------------------------------------------------------- mapping and relation
@pytest.mark.parametrize("required", ["firstName", "lastName"])
def test_set_mapping_requires_names(workspace: Workspace, required: str):
    mapping = FieldMapping.from_dict({**FieldMapping.default().as_dict(), required: None})
    revision = workspace.revision
    with pytest.raises(InputError, match=required):
        workspace.set_mapping(mapping)
    assert workspace.mapping() == FieldMapping.default()
    assert workspace.revision == revision


def test_set_mapping_rejects_an_unknown_column(workspace: Workspace):
    with pytest.raises(InputError, match="nickname"):
        workspace.set_mapping(FieldMapping.from_dict({"firstName": "nickname", "lastName": "lastName"}))
    assert workspace.mapping() == FieldMapping.default()


def test_set_mapping_is_logged(workspace: Workspace):
    workspace.set_mapping(FieldMapping.from_dict({**FieldMapping.default().as_dict(), "email": "personalEmail"}))
    log = workspace.activity()
    row = log[(log["kind"] == "mapping") & (log["subject"] == "email")].iloc[0]
    assert (row["before"], row["after"]) == ("email", "personalEmail")


# ---------------------------------------------------------------------------- decisions
def test_decide_is_all_or_nothing(demo_workspace: Workspace):
    pid = demo_workspace.payfit_records()["id"].iloc[0]
    revision = demo_workspace.revision
    bad_batches = [  # built inside the check: a malformed Decision is refused when it is made
        lambda: [Decision(pid, "exclude"), Decision("no-such-id", "exclude")],
        lambda: [Decision(pid, "link", "no-such-account")],
        lambda: [Decision(pid, "link", None)],
        lambda: [Decision(pid, "delete")],  # type: ignore[arg-type]
    ]
    for batch in bad_batches:
        with pytest.raises(InputError):
            demo_workspace.decide(batch())
    assert demo_workspace.decisions() == {}
    assert demo_workspace.revision == revision


def test_decide_replaces_and_undecide_removes(demo_workspace: Workspace):
    pid = demo_workspace.payfit_records()["id"].iloc[0]
    demo_workspace.decide([Decision(pid, "exclude")])
    demo_workspace.decide([Decision(pid, "create")])
    assert demo_workspace.decisions() == {pid: Decision(pid, "create")}
    assert demo_workspace.undecide([pid, "other"]) == 1
    assert demo_workspace.decisions() == {}
    log = demo_workspace.activity()
    assert log[log["kind"] == "decision"]["before"].tolist()[:2] == ["create", "exclude"]


# ---------------------------------------------------------------------------- edits
@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("email", "not an email", id="email-no-at"),
        pytest.param("email", "jean@", id="email-no-domain"),
        pytest.param("phoneNumber", "3.36123E+10", id="L5-corrupted-phone"),
        pytest.param("phoneNumber", "abc", id="phone-not-a-number"),
        pytest.param("phoneNumber", "06 12 34", id="phone-too-short"),
        pytest.param("id", "acc_other", id="not-editable-id"),
        pytest.param("payfitId", "x", id="not-editable-payfitId"),
    ],
)
def test_edit_account_rejects_invalid_values(demo_workspace: Workspace, field: str, value: str):
    ws = demo_workspace
    account = ws.equify_accounts()["id"].iloc[0]
    before = _state(ws)
    with pytest.raises(InputError):
        ws.edit_account(account, field, value)
    _assert_same_state(before, _state(ws))


def test_edit_unknown_account_is_an_input_error(demo_workspace: Workspace):
    with pytest.raises(InputError, match="unknown Equify account"):
        demo_workspace.edit_account("acc_nope", "email", "a@example.fr")


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        pytest.param("email", f" J.Dupont@Example.fr{NBSP}{ZWSP}", "j.dupont@example.fr", id="E1-email-normalised"),
        pytest.param("phoneNumber", "06 12 34 56 78", "+33612345678", id="P1-phone-e164"),
        pytest.param("phoneNumber", "0033 6 12 34 56 78", "+33612345678", id="P1-0033"),
        pytest.param("firstName", "  Éric ", "Éric", id="name-trimmed-accent-kept"),
        pytest.param("email", "", None, id="email-cleared"),
    ],
)
def test_edit_account_stores_and_logs(demo_workspace: Workspace, field: str, value: str, stored: str | None):
    ws = demo_workspace
    account = ws.equify_accounts()["id"].iloc[0]
    old = ws.equify_accounts().set_index("id").loc[account, field]
    assert old != stored
    revision = ws.revision
    assert ws.edit_account(account, field, value) == (old, stored)
    assert ws.equify_accounts().set_index("id").loc[account, field] == stored
    assert ws.revision == revision + 1
    entry = ws.activity().iloc[0]
    assert (entry["kind"], entry["subject"], entry["field"]) == ("edit", account, field)
    assert (entry["before"], entry["after"]) == (old, stored)


def test_edit_with_the_same_value_writes_nothing(demo_workspace: Workspace):
    ws = demo_workspace
    account = ws.equify_accounts()["id"].iloc[0]
    current = ws.equify_accounts().set_index("id").loc[account, "lastName"]
    revision, entries = ws.revision, len(ws.activity())
    assert ws.edit_account(account, "lastName", current) == (current, current)
    assert (ws.revision, len(ws.activity())) == (revision, entries)


def test_edit_phone_uses_the_account_country(workspace: Workspace):
    csv = b"id,firstName,lastName,country\na1,Lotte,Peeters,BE\n"
    workspace.load_equify(read_equify_accounts(csv, name="accounts.csv"))
    assert workspace.edit_account("a1", "phoneNumber", "0470 12 34 56")[1] == "+32470123456"


def test_edit_and_rematch_turns_a_conflict_into_a_link(demo_workspace: Workspace, demo_dir: Path):
    """Domain §2.4: add the missing email to the Equify account, then it matches normally."""
    import json

    scenario = next(
        s for s in json.loads((demo_dir / "scenarios.json").read_text()) if s["scenario"] == "conflict_no_email"
    )
    pid, account = scenario["payfit_ids"][0], scenario["equify_ids"][0]
    email = demo_workspace.payfit_records().set_index("id").loc[pid, "email"]
    assert email
    moves = workflow.edit_and_rematch(demo_workspace, account, "email", email)
    assert [(m.source_id, m.before, m.after) for m in moves] == [(pid, "conflict", "new (link)")]
    row = workflow.run_match(demo_workspace).records.set_index("source_id").loc[pid]
    assert (row["category"], row["action"], row["target_id"]) == ("new", "link", account)


def test_decide_refuses_a_second_link_to_one_account(workspace: Workspace):
    from reconcile.sources.payfit import flatten_collaborators

    workspace.load_payfit(flatten_collaborators([{"id": "p1", "contracts": []}, {"id": "p2", "contracts": []}]))
    workspace.load_equify(read_equify_accounts(b"id,firstName,lastName\na1,Jean,Dupont\n", name="a.csv"))
    workspace.decide([Decision("p1", "link", "a1")])
    revision = workspace.revision
    with pytest.raises(InputError, match="already linked to Payfit record p1"):
        workspace.decide([Decision("p2", "link", "a1")])
    assert workspace.revision == revision and set(workspace.decisions()) == {"p1"}
    # Moving the link within one call is fine: p1 creates, p2 takes a1.
    workspace.decide([Decision("p1", "create"), Decision("p2", "link", "a1")])
    assert workspace.decisions()["p2"].target_id == "a1"


def test_a_version_1_workspace_is_migrated_and_keeps_its_data(tmp_path: Path):
    """Version 1 had no ``jobName`` column; opening it with this code adds it and keeps the rows."""
    import duckdb

    path = tmp_path / "v1.duckdb"
    v1_columns = [c for c in PAYFIT_COLUMNS if c != "jobName"]
    con = duckdb.connect(str(path))
    for stmt in _SCHEMA:  # version 1's tables: all but payfit_records as now, and no later table
        if not any(f" {t} " in stmt for t in ("payfit_records", "approvals", "push_claims")):
            con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    typed = ", ".join(f'"{c}" BOOLEAN' if c.startswith("is") else f'"{c}" VARCHAR' for c in v1_columns)
    con.execute(f"CREATE TABLE payfit_records ({typed}, loaded_at TIMESTAMP)")
    con.execute("INSERT INTO payfit_records (id, \"firstName\", status) VALUES ('p1', 'Hélène', 'active')")
    con.close()

    with Workspace.open(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        records = ws.payfit_records()
        assert records["id"].tolist() == ["p1"] and records["firstName"].tolist() == ["Hélène"]
        assert "jobName" in records.columns and records["jobName"].tolist() == [None]


def _fresh_accounts(ws: Workspace) -> pd.DataFrame:
    """The accounts as a new read from the file gives them (the kept frame set aside)."""
    ws._frames.pop("equify_accounts", None)
    return ws.equify_accounts()


def test_kept_accounts_follow_edits_and_undo(demo_workspace: Workspace):
    """Edits update the kept accounts frame in place of a new read: it must equal one."""
    ws = demo_workspace
    ids = ws.equify_accounts()["id"].tolist()
    ws.edit_accounts(
        [(ids[0], "email", "kept.one@example.fr"), (ids[1], "lastName", "Nouveau"), (ids[2], "email", None)]
    )
    kept = ws.equify_accounts()
    assert kept.loc[kept["id"] == ids[0], "email"].item() == "kept.one@example.fr"
    assert kept.loc[kept["id"] == ids[2], "email"].item() is None
    pd.testing.assert_frame_equal(kept, _fresh_accounts(ws))
    ws.edit_account(ids[3], "phoneNumber", "06 12 34 56 78")
    seq = int(ws.activity().query("kind == 'edit'")["seq"].iloc[0])
    ws.undo(seq)
    pd.testing.assert_frame_equal(ws.equify_accounts(), _fresh_accounts(ws))


def test_kept_accounts_are_read_again_after_another_write(demo_workspace: Workspace):
    """A frame kept before someone else's write is not patched into a newer version."""
    ws = demo_workspace
    ids = ws.equify_accounts()["id"].tolist()
    stale = ws._frames["equify_accounts"]
    older = stale[1].copy()
    ws._frames["equify_accounts"] = ("an older version", older)
    ws.edit_accounts([(ids[0], "firstName", "Autre")])
    assert older.loc[0, "firstName"] != "Autre"  # not patched: it was not the version edited
    now = ws.equify_accounts()
    assert now.loc[now["id"] == ids[0], "firstName"].item() == "Autre"
    pd.testing.assert_frame_equal(now, _fresh_accounts(ws))


# ---------------------------------------------------------------------------- damaged files (#13)
def _file_state(path: Path) -> tuple[int, bytes]:
    return path.stat().st_size, path.read_bytes()


def _damage(path: Path, *statements: str) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    for stmt in statements:
        con.execute(stmt)
    con.close()


@pytest.mark.parametrize("table", _table_names())
def test_a_workspace_missing_a_table_is_an_error_never_a_fresh_start(demo_workspace: Workspace, table: str):
    path = Path(demo_workspace.path)
    demo_workspace.close()
    _damage(path, f"DROP TABLE {table}")
    before = _file_state(path)
    with pytest.raises(WorkspaceError, match=f"has no table {table} .*left untouched"):
        Workspace.open(path)
    assert _file_state(path) == before  # nothing was created or written


def test_a_version_2_workspace_may_lack_the_tables_that_came_later(tmp_path: Path):
    path = tmp_path / "v2.duckdb"
    with Workspace.open(path):
        pass
    _damage(
        path,
        "DROP TABLE approvals",
        "DROP TABLE push_claims",
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
    )
    with Workspace.open(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION and ws.approvals() == set()


def test_a_duckdb_file_of_other_tables_is_not_a_workspace(tmp_path: Path):
    path = tmp_path / "other.duckdb"
    _damage(path, "CREATE TABLE invoices (n INTEGER)", "INSERT INTO invoices VALUES (1)")
    before = _file_state(path)
    with pytest.raises(WorkspaceError, match="not a workspace .*invoices.*left untouched"):
        Workspace.open(path)
    assert _file_state(path) == before


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "UPDATE meta SET value = 'two' WHERE key = 'schema_version'",
            "meta schema_version is 'two', not a whole number",
        ),
        ("UPDATE meta SET value = '-1' WHERE key = 'schema_version'", "meta schema_version is '-1'"),
        ("UPDATE meta SET value = '1e3' WHERE key = 'schema_version'", "meta schema_version is '1e3'"),
        ("DELETE FROM meta WHERE key = 'schema_version'", "no schema_version in its meta table"),
        ("INSERT OR REPLACE INTO meta VALUES ('revision', 'x')", "meta revision is 'x', not a whole number"),
    ],
)
def test_meta_values_that_are_not_whole_numbers_are_clear_errors(demo_workspace: Workspace, statement, message):
    path = Path(demo_workspace.path)
    demo_workspace.close()
    _damage(path, statement)
    with pytest.raises(WorkspaceError, match=message):
        Workspace.open(path)


@pytest.mark.parametrize(
    ("key", "value", "read", "message"),
    [
        ("mapping", "{not json", "mapping", "setting 'mapping' is not valid JSON"),
        ("mapping", "[1, 2]", "mapping", "setting 'mapping' is not a map of Equify fields"),
        ("mapping", '{"email": 5}', "mapping", "setting 'mapping' is not a map of Equify fields"),
        (
            "mapping_transforms",
            '{"email": "shout"}',
            "mapping",
            "setting 'mapping_transforms' is wrong: the transform of email is 'shout'",
        ),
        ("mapping_transforms", '"upper"', "mapping", "setting 'mapping_transforms' is not a map"),
        ("relation", '{"include_leavers": "yes"}', "relation", "setting 'relation' is not a relation"),
        ("relation", '{"colour": true}', "relation", "setting 'relation' is not a relation"),
        ("relation", "[" * 5000 + "]" * 5000, "relation", "setting 'relation' is not valid JSON"),
    ],
)
def test_settings_that_are_not_what_the_schema_says_are_clear_errors(
    demo_workspace: Workspace, key: str, value: str, read: str, message: str
):
    ws = demo_workspace
    if key == "mapping_transforms":
        ws.set_mapping(FieldMapping.default())
    with ws.transaction() as cur:
        cur.execute("DELETE FROM settings WHERE key = ?", [key])
        cur.execute("INSERT INTO settings VALUES (?, ?)", [key, value])
    with pytest.raises(WorkspaceError, match=message) as caught:
        getattr(ws, read)()
    assert ws.path in str(caught.value)
    if read == "mapping":  # a damaged mapping can be replaced
        ws.set_mapping(FieldMapping.default())
        assert ws.mapping() == FieldMapping.default()


def test_damaged_ledger_values_are_a_clear_error(demo_workspace: Workspace):
    with demo_workspace.transaction() as cur:
        cur.execute("INSERT INTO ledger VALUES ('p1', 'a1', 'r1', NULL, '{oops')")
    with pytest.raises(WorkspaceError, match="ledger's source_values of p1 are not a JSON object"):
        demo_workspace.ledger_values()


def test_a_brand_new_file_gets_its_whole_schema(tmp_path: Path):
    with Workspace.open(tmp_path / "new.duckdb") as ws:
        tables = set(ws.query("SELECT table_name FROM duckdb_tables()")["table_name"])
        assert tables == set(_table_names()) and ws.schema_version == SCHEMA_VERSION and ws.identity


def test_any_stored_setting_reads_back_or_is_a_clear_error(tmp_path: Path):
    """Whatever text a setting holds (hypothesis: random JSON and random text), reading the
    mapping and the relation gives a value or a WorkspaceError naming the setting."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )
    stored = st.one_of(json_values.map(json.dumps), st.text(max_size=20))
    keys = st.sampled_from(["mapping", "mapping_transforms", "relation"])

    with Workspace.open(tmp_path / "ws.duckdb") as ws:

        @settings(max_examples=150, deadline=None, derandomize=True, database=None)
        @given(key=keys, value=stored)
        def check(key: str, value: str) -> None:
            with ws.transaction() as cur:
                cur.execute("DELETE FROM settings")
                cur.execute("INSERT INTO settings VALUES (?, ?)", [key, value])
            for read in (ws.mapping, ws.relation):
                try:
                    result = read()
                except WorkspaceError as exc:
                    assert f"setting {key!r}" in str(exc) and ws.path in str(exc)
                else:
                    assert isinstance(result, FieldMapping | Relation)

        check()
