"""Who did it (#16): the CLI's ``--operator NAME`` (default ``$RECONCILE_OPERATOR``, else the OS
user) reaches every write of a command (the activity log and the push run), and ``history`` shows
who started each run, in text and in its ``--json`` rows."""

from __future__ import annotations

import getpass
import json

import pytest

from reconcile import Workspace, workflow
from reconcile.operator import ENV


@pytest.fixture
def run(demo_cli, monkeypatch: pytest.MonkeyPatch):
    """The CLI on a demo workspace; no ``$RECONCILE_OPERATOR``, the OS user ``os-person``."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "os-person")
    return demo_cli


def _conflict(path) -> tuple[str, str]:
    """A conflict's record and its candidate account."""
    with Workspace.open(path) as ws:
        records = workflow.run_match(ws).records
        row = records[(records["category"] == "conflict") & records["target_id"].notna()].iloc[0]
        return str(row["source_id"]), str(row["target_id"])


def _activity(path) -> list[tuple[str, str | None]]:
    """``(kind, operator)`` of the activity log, newest first."""
    with Workspace.open(path) as ws:
        return list(ws.activity()[["kind", "operator"]].itertuples(index=False, name=None))


def _runs(path) -> list[str | None]:
    with Workspace.open(path) as ws:
        return ws.push_runs()["operator"].tolist()


def test_operator_reaches_the_activity_and_the_push_run(run) -> None:
    sid, tid = _conflict(run.path)
    code, _, err = run("--operator", "Ana Lopez", "decide", sid, "link", tid)
    assert code == 0, err
    assert _activity(run.path)[0] == ("decision", "Ana Lopez")
    code, _, err = run("--operator", "Ana Lopez", "edit", tid, "firstName", "Anaïs")
    assert code == 0, err
    assert _activity(run.path)[0] == ("edit", "Ana Lopez")
    code, _, err = run("--operator", "Ana Lopez", "push", "--yes", "--skip-conflicts", "--approve-all")
    assert code == 0, err
    assert _runs(run.path) == ["Ana Lopez"]


def test_the_environment_names_the_operator_else_the_os_user(run, monkeypatch: pytest.MonkeyPatch) -> None:
    sid, tid = _conflict(run.path)
    assert run("decide", sid, "exclude")[0] == 0
    assert _activity(run.path)[0] == ("decision", "os-person")
    monkeypatch.setenv(ENV, "Env Person")
    assert run("decide", sid, "link", tid)[0] == 0
    assert _activity(run.path)[0] == ("decision", "Env Person")
    assert run("push", "--yes", "--skip-conflicts")[0] == 0
    assert _runs(run.path) == ["Env Person"]
    assert run("--operator", "Given Name", "decide", sid, "clear")[0] == 0  # the option wins
    assert _activity(run.path)[0] == ("decision", "Given Name")


def test_loads_and_mapping_record_the_operator(run, tmp_path, demo_dir) -> None:
    assert run("--operator", "Loader", "load", "equify", str(demo_dir / "equify_accounts.csv"))[0] == 0
    assert _activity(run.path)[0] == ("load", "Loader")
    profile = tmp_path / "profile.json"
    assert run("mapping", "save", str(profile))[0] == 0
    text = json.loads(profile.read_text(encoding="utf-8"))
    text["relation"]["include_leavers"] = True
    profile.write_text(json.dumps(text), encoding="utf-8")
    assert run("--operator", "Mapper", "mapping", "load", str(profile))[0] == 0
    assert _activity(run.path)[0] == ("relation", "Mapper")
    assert run("--operator", "Demo Person", "demo")[0] == 0
    assert _activity(run.path) == [("load", "Demo Person"), ("load", "Demo Person")]


def test_history_shows_who_started_each_run(run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("--operator", "Ana Lopez", "push", "--yes", "--skip-conflicts")[0] == 0
    sid, tid = _conflict(run.path)
    assert run("decide", sid, "link", tid)[0] == 0
    monkeypatch.setenv(ENV, "Bob Martin")
    assert run("push", "--yes", "--skip-conflicts")[0] == 0

    code, out, _ = run("history")
    assert code == 0
    lines = out.splitlines()
    header = lines[0].split()
    assert header[:6] == ["run_id", "started_at", "finished_at", "status", "target", "by"]
    assert "Bob Martin" in lines[1] and "Ana Lopez" in lines[2]  # newest first

    code, out, _ = run("history", "--json")
    rows = json.loads(out.strip().splitlines()[-1])["rows"]
    assert [r["by"] for r in rows] == ["Bob Martin", "Ana Lopez"]
    assert all(r["status"] == "done" and r["pending"] == 0 for r in rows)


def test_a_run_recorded_before_the_operator_was_shows_blank(run) -> None:
    assert run("push", "--yes", "--skip-conflicts")[0] == 0
    with Workspace.open(run.path) as ws, ws.transaction() as tx:
        tx.execute("UPDATE push_runs SET operator = NULL")
    code, out, _ = run("history")
    assert code == 0 and "None" not in out and "nan" not in out
    rows = json.loads(run("history", "--json")[1].strip().splitlines()[-1])["rows"]
    assert rows[0]["by"] == ""


def test_a_blank_operator_is_a_usage_error(run) -> None:
    code, _, err = run("--operator", "  ", "match")
    assert code == 2 and "--operator" in err and "give a name" in err
