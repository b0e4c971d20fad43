"""``python -m reconcile`` end to end, as a headless migration runs it (few processes: each costs ~1 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile import Workspace


@pytest.fixture
def cli(repo_root: Path, tmp_path: Path):
    """``cli(*args)`` runs the CLI on a workspace file under ``tmp_path``, stdin closed (no terminal)."""
    workspace = tmp_path / "w.duckdb"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconcile", "--workspace", str(workspace), *args],
            cwd=repo_root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    run.workspace = workspace  # type: ignore[attr-defined]
    return run


def _last_json(proc: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ledger_size(path: Path) -> int:
    with Workspace.open(path) as ws:
        return ws.counts()["ledger"]


def test_headless_session(cli):
    demo = cli("demo")
    assert demo.returncode == 0, demo.stderr
    assert "204 Payfit records" in demo.stderr

    matched = cli("match", "--json")
    assert matched.returncode == 0, matched.stderr
    counts = _last_json(matched)
    assert counts["new"] > 0 and counts["conflict"] > 0
    assert counts["synced"] == 0

    blocked = cli("push", "--yes", "--json")
    assert blocked.returncode == 3
    assert f"{counts['conflict']} conflict" in blocked.stderr
    assert _ledger_size(cli.workspace) == 0

    unconfirmed = cli("push", "--skip-conflicts", "--json")  # no --yes, no terminal
    assert unconfirmed.returncode == 2
    assert "--yes" in unconfirmed.stderr
    assert _ledger_size(cli.workspace) == 0

    dry = cli("push", "--dry-run", "--skip-conflicts", "--json")
    assert dry.returncode == 0, dry.stderr
    planned = _last_json(dry)
    assert planned["created"] > 0 and planned["skipped"] == counts["conflict"]
    assert _ledger_size(cli.workspace) == 0

    pushed = cli("push", "--yes", "--skip-conflicts", "--json")
    assert pushed.returncode == 0, pushed.stderr
    result = _last_json(pushed)
    assert result["created"] == planned["created"] > 0
    assert result["linked"] == planned["linked"]
    assert result["failed"] == 0
    assert _ledger_size(cli.workspace) == result["created"] + result["linked"]

    again = cli("push", "--yes", "--skip-conflicts", "--json")
    assert again.returncode == 0, again.stderr
    assert _last_json(again)["created"] == 0
    assert _last_json(again)["linked"] == 0
    with Workspace.open(cli.workspace) as ws:
        accounts = ws.equify_accounts()
        assert (accounts["origin"] == "payfit_sync").sum() == result["created"]
        assert ws.counts()["push_runs"] == 2


def test_load_equify_without_name_columns_fails_and_names_the_file(cli, tmp_path: Path):
    bad = tmp_path / "accounts_export.csv"
    bad.write_text("id,email\na1,j.dupont@example.fr\n", encoding="utf-8")
    proc = cli("load", "equify", str(bad))
    assert proc.returncode == 5
    assert "accounts_export.csv" in proc.stderr
    assert "firstName" in proc.stderr or "prénom" in proc.stderr
    assert not cli.workspace.exists() or Workspace.open(cli.workspace).is_empty()


def test_load_equify_without_id_column_generates_ids_and_says_so(cli, tmp_path: Path):
    paste = tmp_path / "accounts_paste.csv"
    paste.write_text("prenom,nom,email\nJean,Dupont,j.dupont@example.fr\n", encoding="utf-8")
    proc = cli("load", "equify", str(paste))
    assert proc.returncode == 0, proc.stderr
    assert "Warning:" in proc.stderr and "row-" in proc.stderr
    with Workspace.open(cli.workspace) as ws:
        assert ws.equify_accounts()["id"].tolist() == ["row-2"]


def test_help_lists_exit_codes(cli):
    proc = cli("--help")
    assert proc.returncode == 0
    assert "exit codes" in proc.stdout
    for code in ("0", "1", "2", "3", "4", "5"):
        assert any(line.strip().startswith(code + " ") for line in proc.stdout.splitlines()), code
    for command in ("demo", "load", "match", "push"):
        assert command in proc.stdout


def test_push_to_the_http_target_then_history(repo_root: Path, tmp_path: Path):
    """``push --target http`` reads the token from a variable (never an argument); ``history``
    lists the run and shows its journal; errors name what is missing."""
    from bench.push_common import creates_workspace
    from reconcile.testing.equify_server import EquifyServer

    workspace = creates_workspace(tmp_path / "w.duckdb", 12)

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconcile", "--workspace", str(workspace), *args],
            cwd=repo_root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "EQUIFY_TOKEN": "", **env},
        )

    with EquifyServer("cli-token-FICTITIOUS") as server:
        no_url = run("push", "--yes", "--target", "http", "--json")
        assert no_url.returncode == 5 and "--url" in no_url.stderr
        no_token = run("push", "--yes", "--target", "http", "--url", server.url)
        assert no_token.returncode == 5 and "EQUIFY_TOKEN" in no_token.stderr
        pushed = run(
            "push", "--yes", "--target", "http", "--url", server.url, "--json", EQUIFY_TOKEN="cli-token-FICTITIOUS"
        )
        assert pushed.returncode == 0, pushed.stderr
        assert _last_json(pushed)["created"] == 12
        assert "cli-token-FICTITIOUS" not in pushed.stdout + pushed.stderr
        assert len(server.accounts()) == 12

    listed = run("history", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout.strip().splitlines()[-1])["rows"]  # lists come inside an object
    assert (row["status"], row["target"], row["created"], row["failed"]) == ("done", "http", 12, 0)
    journal = run("history", row["run_id"], "--json")
    answer = json.loads(journal.stdout.strip().splitlines()[-1])
    rows = answer["rows"]
    assert answer["run_id"] == row["run_id"] and len(rows) == 12 and {r["status"] for r in rows} == {"done"}
    unknown = run("history", "run-nope")
    assert unknown.returncode == 5 and "run-nope" in unknown.stderr
    text = run("history")
    assert row["run_id"] in text.stdout

    no_out = run("push", "--yes", "--target", "file")
    assert no_out.returncode == 5 and "--out" in no_out.stderr
    out = tmp_path / "equify.xlsx"
    to_file = run("push", "--yes", "--target", "file", "--out", str(out), "--json")
    assert to_file.returncode == 0, to_file.stderr
    assert _last_json(to_file)["created"] == 0  # everything is synced by the http push already
