"""Bad input gets a clear error naming the file, row or field, and leaves the workspace unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconcile import InputError, Workspace, WorkspaceError, cli, workflow
from reconcile.matching.values import prepare_value
from reconcile.sources.equify import read_equify_accounts
from reconcile.sources.payfit import parse_payfit_pages


def _page(collaborators: list[dict], token: str | None = None) -> bytes:
    return json.dumps({"collaborators": collaborators, "meta": {"nextPageToken": token}}).encode()


def _state(ws: Workspace) -> tuple[int, dict[str, int]]:
    return ws.revision, ws.counts()


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ([("empty.json", b"  \n")], "empty.json: the file is empty"),
        ([("bad.json", b"{not json")], "bad.json: not valid JSON"),
        ([("p1.json", _page([{"id": "a"}, {"firstName": "Jean"}]))], "p1.json, collaborator #2: no id"),
        (
            [("p1.json", _page([{"id": "a"}], "t2")), ("p2.json", _page([{"id": "b"}, {"id": "a"}]))],
            "p2.json, collaborator #2: id 'a' was already given by p1.json, collaborator #1",
        ),
        ([("p1.json", _page([{"id": "a"}], "next-token"))], "p1.json: the dump is incomplete"),
        ([("p1.json", b'{"people": []}')], "p1.json: expected a Payfit collaborators page"),
        ([("p1.json", b"[1, 2]")], "p1.json, collaborator #1: not a JSON object"),
    ],
    ids=["empty", "not-json", "no-id", "duplicate-across-pages", "incomplete-dump", "wrong-shape", "not-objects"],
)
def test_payfit_pages_errors_name_the_file_and_the_collaborator(documents, message, demo_workspace: Workspace):
    before = _state(demo_workspace)
    with pytest.raises(InputError, match="^" + message.replace("(", r"\(").replace("#", "#")):
        workflow.load_payfit_files(demo_workspace, documents)
    assert _state(demo_workspace) == before


def test_a_complete_dump_in_any_order_loads(demo_workspace: Workspace):
    documents = [
        ("p2.json", _page([{"id": "b", "contracts": [{"status": "ACTIVE"}]}])),
        ("p1.json", _page([{"id": "a"}], "t2")),
    ]
    assert [c["id"] for c in parse_payfit_pages(documents)] == ["b", "a"]
    assert workflow.load_payfit_files(demo_workspace, documents).rows == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "accounts.csv: the file is empty"),
        (b"id,firstName,lastName\n", "accounts.csv: holds no Equify account"),
        (b'{"accounts": [1, 2, 3]}', "accounts.csv: required column"),
    ],
    ids=["empty", "header-only", "json-given-as-csv"],
)
def test_equify_file_errors_leave_the_space_unchanged(content, message, demo_workspace: Workspace):
    before = _state(demo_workspace)
    with pytest.raises(InputError, match=message):
        workflow.load_equify_file(demo_workspace, content, "accounts.csv")
    assert _state(demo_workspace) == before


def test_a_long_wrong_header_is_shortened_in_the_message():
    header = ",".join(f"column_{n}" for n in range(40)).encode()
    with pytest.raises(InputError) as err:
        read_equify_accounts(header + b"\n" + b"x," * 39 + b"x\n", name="wide.csv")
    assert "and 32 more" in str(err.value) and len(str(err.value)) < 500


def test_a_file_that_is_not_a_workspace_is_refused_and_left_untouched(tmp_path: Path):
    csv = tmp_path / "accounts.csv"
    csv.write_bytes(b"id,firstName,lastName\na1,Jean,Dupont\n")
    with pytest.raises(WorkspaceError, match="not a workspace"):
        Workspace.open(csv)
    assert csv.read_bytes() == b"id,firstName,lastName\na1,Jean,Dupont\n"
    with pytest.raises(WorkspaceError, match="is a folder"):
        Workspace.open(tmp_path)


def test_reading_a_missing_workspace_does_not_create_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "typo" / "w.duckdb"
    assert cli.main(["--workspace", str(path), "match", "--json"]) == cli.EXIT_ERROR
    assert not path.exists() and not path.parent.exists()
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["exit_code"] == cli.EXIT_ERROR and "no workspace" in last["error"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3.36123E+10", None), ("not a phone", None), ("06 12 34 56 78", "+33612345678"), ("612345678.0", "+33612345678")],
)
def test_only_readable_phones_are_sent(raw, expected):
    assert prepare_value("phoneNumber", raw) == expected


def test_unreadable_phones_are_named_in_the_mapping_warnings(demo_workspace: Workspace):
    records = demo_workspace.payfit_records()
    creates = workflow.run_match(demo_workspace).records.query("action == 'create'")["source_id"]
    active = records.index[records["id"].isin(creates)][0]
    records.loc[active, "phoneNumber"] = "3.36123E+10"
    demo_workspace.load_payfit(records)
    warnings = [i.message for i in workflow.mapping_issues(demo_workspace, demo_workspace.mapping())]
    name = f"{records.loc[active, 'firstName']} {records.loc[active, 'lastName']}"
    assert any(f"{name} (3.36123E+10, corrupted by a spreadsheet)" in w and "will not be sent" in w for w in warnings)
    create = next(
        op for op in workflow.plan_workspace(demo_workspace).operations if op.source_id == records.loc[active, "id"]
    )
    assert create.op == "create" and create.values()["lastName"] == records.loc[active, "lastName"]
    assert "phoneNumber" not in create.values()


def test_replacing_everything_is_all_or_nothing(demo_workspace: Workspace):
    from reconcile import Decision

    sid = demo_workspace.payfit_records()["id"].iloc[0]
    demo_workspace.decide([Decision(sid, "exclude")])
    before = _state(demo_workspace)
    records, accounts = demo_workspace.payfit_records(), demo_workspace.equify_accounts()
    with pytest.raises(InputError, match="no Equify account"):
        demo_workspace.replace_all(records, accounts.iloc[0:0])
    assert _state(demo_workspace) == before and sid in demo_workspace.decisions()
    demo_workspace.replace_all(records, accounts.drop(columns="origin"))
    assert demo_workspace.decisions() == {} and demo_workspace.counts()["equify_accounts"] == len(accounts)


def test_unreadable_birth_dates_are_named_and_never_sent(demo_workspace: Workspace):
    records = demo_workspace.payfit_records()
    creates = workflow.run_match(demo_workspace).records.query("action == 'create'")["source_id"]
    row = records.index[records["id"].isin(creates)][0]
    records.loc[row, "birthDate"] = "32874"  # an Excel serial number read from an unformatted cell
    demo_workspace.load_payfit(records)
    warnings = [i.message for i in workflow.mapping_issues(demo_workspace, demo_workspace.mapping())]
    assert any("birth date(s) cannot be read" in w and "(32874)" in w for w in warnings)
    op = next(o for o in workflow.plan_workspace(demo_workspace).operations if o.source_id == records.loc[row, "id"])
    assert op.op == "create" and "birthDate" not in op.values()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"[" * 100_000 + b"]" * 100_000, None),  # a RecursionError once: an InputError now
        (b'{"collaborators": [{"id": ' + b"9" * 5_000 + b"}]}", None),  # int limit: an InputError now
        (_page([{"id": "a"}]), RuntimeError("a bug in the loader")),  # any failure, even a bug
    ],
    ids=["deep-json", "huge-integer", "unexpected-error"],
)
def test_a_failed_load_leaves_no_new_workspace_file(
    content, error, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """The README promises that ``load`` and ``fetch`` remove the workspace file they created when they fail."""
    page = tmp_path / "page.json"
    page.write_bytes(content)
    path = tmp_path / "new.duckdb"
    if error is not None:

        def broken(*args: object, **kwargs: object) -> None:
            raise error

        monkeypatch.setattr(workflow, "load_path", broken)
    code = cli.main(["--workspace", str(path), "load", "payfit", str(page)])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    if error is None:
        assert code == cli.EXIT_INPUT and "page.json" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.json"]
