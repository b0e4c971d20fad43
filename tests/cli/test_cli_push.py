"""The CLI's push after the fresh-user trial of issue 6: misplaced options, a resume that
does not ask again, approvals only when the push goes ahead, a dry run that previews, a
wrong token or URL refused before anything is sent, and the seeded reference server."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reconcile import Workspace, workflow
from reconcile.sources.equify import read_equify_file
from reconcile.testing.equify_server import EquifyServer

TOKEN = "cli-push-token-FICTITIOUS"


@pytest.fixture
def run(demo_cli, monkeypatch: pytest.MonkeyPatch):
    """The CLI on a demo workspace, with the http target's token in the environment."""
    monkeypatch.setenv("EQUIFY_TOKEN", TOKEN)
    return demo_cli


def _last(out: str):
    return json.loads(out.strip().splitlines()[-1])


def test_options_of_another_target_are_refused(run) -> None:
    code, _, err = run("push", "--yes", "--skip-conflicts", "--url", "http://127.0.0.1:9")
    assert code == 5 and "--target http" in err
    code, _, err = run("push", "--yes", "--skip-conflicts", "--out", "x.csv")
    assert code == 5 and "--target file" in err
    with Workspace.open(run.path) as ws:
        assert ws.push_runs().empty


def test_a_wrong_token_or_url_refuses_the_push_before_anything(run, monkeypatch: pytest.MonkeyPatch) -> None:
    with EquifyServer(TOKEN) as server:
        monkeypatch.setenv("EQUIFY_TOKEN", "wrong")
        code, _, err = run("push", "--yes", "--skip-conflicts", "--target", "http", "--url", server.url)
        assert code == 1 and "refused the bearer token" in err
        assert server.accounts() == []
    with Workspace.open(run.path) as ws:
        assert ws.push_runs().empty


def test_a_cut_short_run_resumes_without_asking_again(run, failing_target: type) -> None:
    """The run was confirmed with --skip-conflicts; the resume needs neither that nor a new plan."""

    from reconcile.sync import push as push_module

    with Workspace.open(run.path) as ws:
        old = push_module.BATCH_IN_WORKSPACE
        push_module.BATCH_IN_WORKSPACE = 1
        try:
            with pytest.raises(KeyboardInterrupt):
                workflow.push_workspace(ws, target=failing_target({3}, KeyboardInterrupt()), skip_conflicts=True)
        finally:
            push_module.BATCH_IN_WORKSPACE = old
        run_id = ws.push_runs()["run_id"].iloc[0]
    code, out, err = run("push", "--dry-run", "--json")
    assert code == 0 and "cut short" in err and _last(out)["pending"] > 0
    code, out, err = run("push", "--yes", "--json")  # no --skip-conflicts: the run was confirmed with it
    assert code == 0, err
    assert "Resumed the unfinished push run" in err
    with Workspace.open(run.path) as ws:
        assert ws.push_runs()["run_id"].tolist() == [run_id]
        synced = ws.equify_accounts().query("origin == 'payfit_sync'")
        assert synced["payfitId"].is_unique
    code, out, _ = run("history", "--json")
    (row,) = _last(out)["rows"]
    assert row["status"] == "done" and row["pending"] == 0 and row["skipped"] is not None


def test_approve_all_is_stored_only_when_the_push_goes_ahead(run) -> None:
    assert run("push", "--yes", "--skip-conflicts")[0] == 0
    with Workspace.open(run.path) as ws:
        # (#14) the demo's links whose accounts write the name otherwise: their name changes wait too
        renamed = set(workflow.plan_workspace(ws).held()["source_id"])
        sid = sorted(set(ws.ledger()) - renamed)[0]
        records = ws.payfit_records()
        records.loc[records["id"] == sid, "email"] = "later.change@example.fr"
        ws.load_payfit(records)
    code, out, err = run("push", "--dry-run", "--approve-all", "--json")
    assert code == 0 and _last(out)["updated"] == 1 + len(renamed)  # the preview counts the approvals
    code, _, err = run("push", "--yes", "--approve-all")  # conflicts not skipped: refused
    assert code == 3
    with Workspace.open(run.path) as ws:
        assert ws.approvals() == set()  # a refused push leaves nothing behind
    code, out, _ = run("push", "--yes", "--approve-all", "--skip-conflicts", "--json")
    assert code == 0 and _last(out)["updated"] == 1 + len(renamed)
    with Workspace.open(run.path) as ws:
        (entry,) = [a for a in ws.activity().itertuples() if a.kind == "approve" and a.field == "email"]
        assert (entry.subject, entry.after) == (sid, "later.change@example.fr") and entry.before


def test_the_demo_pushes_to_a_seeded_reference_server(run, repo_root: Path) -> None:
    """Seeded with the demo's Equify accounts, the server has the accounts the links point to."""
    accounts = read_equify_file(repo_root / "reconcile" / "demo" / "equify_accounts.csv").frame
    seed = [{k: v for k, v in row.items() if v is not None} for row in accounts.to_dict("records")]
    with EquifyServer(TOKEN, seed=seed) as server:
        code, out, err = run("push", "--yes", "--skip-conflicts", "--target", "http", "--url", server.url, "--json")
        assert code == 0, err
        result = _last(out)
        assert result["failed"] == 0 and result["created"] > 0 and result["linked"] > 0
        stored = server.accounts()
        assert len(stored) == len(seed) + result["created"]
        assert max(Counter(a.get("payfitId") for a in stored if a.get("payfitId")).values()) == 1
