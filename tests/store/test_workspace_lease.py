"""Workspace.lease: the file held only while work runs, when the app asks (issue 15)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reconcile import Workspace, workflow
from reconcile.exceptions import WorkspaceBusy, WorkspaceError
from reconcile.testing.processes import holding_workspace

ROOT = Path(__file__).resolve().parents[2]


def _other_process(path: Path, code: str) -> subprocess.CompletedProcess[str]:
    script = (
        f"import sys\nfrom reconcile import Workspace, workflow\nws = Workspace.open(sys.argv[1])\n{code}\nws.close()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_without_release_the_file_stays_open(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w.duckdb") as ws:
        with ws.lease():
            pass
        assert ws._open_con is not None
        done = _other_process(tmp_path / "w.duckdb", "pass")
        assert done.returncode != 0 and "in use by another process" in done.stderr


def test_released_when_idle_another_process_writes_and_this_one_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Workspace.open(path) as ws:
        workflow.load_demo(ws)
        ws.release_when_idle = True
        with ws.lease(), ws.lease():  # nested leases: the file stays open until the last ends
            before = ws.revision
        assert ws._open_con is None
        done = _other_process(path, "workflow.load_demo(ws)")
        assert done.returncode == 0, done.stderr
        with ws.lease():
            assert ws.revision > before  # opened again, and sees the other process's write


def test_a_lease_while_another_process_holds_the_file_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Workspace.open(path).close()
    with holding_workspace(path):
        with pytest.raises(WorkspaceBusy, match="in use by another process.*try again"):
            Workspace.open(path)
    Workspace.open(path).close()  # free again


def test_a_closed_workspace_is_not_reopened(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "w.duckdb")
    ws.close()
    with pytest.raises(WorkspaceError, match="is closed"):
        _ = ws.revision


def test_a_query_outside_any_lease_keeps_the_file_open_while_a_lease_ends(tmp_path: Path) -> None:
    """A page's query (no lease of its own) in one thread while a push's lease ends in another:
    the file is closed only after the query, never under it (it broke with DuckDB's bad_weak_ptr)."""
    path = tmp_path / "w.duckdb"
    with Workspace.open(path) as ws:
        workflow.load_demo(ws)
        ws.release_when_idle = True
        failures: list[BaseException] = []
        results: list[int] = []
        stop = threading.Event()

        def page() -> None:
            try:
                while not stop.is_set():
                    frame = ws.query("SELECT count(*) AS n FROM range(3000000) t(i), payfit_records p WHERE i < 2")
                    results.append(int(frame["n"].iloc[0]))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        worker = threading.Thread(target=page)
        worker.start()
        try:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not failures:
                with ws.lease():
                    pass
        finally:
            stop.set()
            worker.join(timeout=60)
        assert not failures, failures
        assert results and set(results) == {2 * ws.counts()["payfit_records"]}
        assert ws._open_con is None  # released once both were done


def test_a_nested_cursor_holds_the_file_like_a_lease(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w.duckdb") as ws:
        ws.release_when_idle = True
        with ws._cursor() as cur:
            with ws.lease():
                pass
            assert ws._open_con is not None
            assert cur.execute("SELECT 1").fetchone() == (1,)
        assert ws._open_con is None
