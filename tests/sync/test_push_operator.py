"""Who did it (#16): a push run records who started it: the operator given, else the default
taken in the thread that starts it (a worker thread has no context of its own)."""

from __future__ import annotations

import getpass
import time

import pytest

from reconcile import Workspace, workflow
from reconcile.operator import ENV, acting_as, default_operator
from reconcile.sync.push import push, start_push
from reconcile.sync.targets import EmbeddedTarget


@pytest.fixture(autouse=True)
def os_person(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "os-person")
    return "os-person"


def _wait(ws: Workspace, run_id: str, timeout: float = 60.0) -> None:
    """Wait until the run's worker has finished it."""
    deadline = time.monotonic() + timeout
    while workflow.run_progress(ws, run_id).live:
        assert time.monotonic() < deadline, "the push did not finish in time"
        time.sleep(0.05)


def _started_by(ws: Workspace) -> list[tuple[str, str | None]]:
    runs = ws.push_runs()
    return list(zip(runs["run_id"], runs["operator"], strict=True))


def test_push_records_the_operator_given(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    result = push(ws, workflow.plan_workspace(ws), skip_conflicts=True, operator=" Ana  Lopez ")
    assert result.created > 0
    assert _started_by(ws) == [(result.run_id, "Ana Lopez")]


def test_push_workspace_records_the_default(demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = demo_workspace
    first = workflow.push_workspace(ws, skip_conflicts=True)
    assert _started_by(ws) == [(first.run_id, "os-person")]
    monkeypatch.setenv(ENV, "Env Person")
    second = workflow.push_workspace(ws, skip_conflicts=True)
    assert _started_by(ws)[0] == (second.run_id, "Env Person")


def test_a_worker_run_records_who_started_it_not_the_worker_thread(demo_workspace: Workspace) -> None:
    """The app starts a push in a worker thread with its session's name set for the page run:
    the run records that name (taken when it starts), though the worker has no context."""
    ws = demo_workspace
    seen: list[str] = []

    class Watching(EmbeddedTarget):  # notes the worker thread's own default operator
        def create_many(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(default_operator())
            return super().create_many(*args, **kwargs)

    with acting_as("Page Person"):
        run_id = start_push(ws, workflow.plan_workspace(ws), target=Watching(), skip_conflicts=True)
    _wait(ws, run_id)
    assert seen and set(seen) == {"os-person"}  # the worker itself knows no one...
    assert _started_by(ws) == [(run_id, "Page Person")]  # ...the run was recorded with the starter


def test_start_push_workspace_records_the_operator_given(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    run_id = workflow.start_push_workspace(ws, skip_conflicts=True, operator="Sync Page Person")
    _wait(ws, run_id)
    assert _started_by(ws) == [(run_id, "Sync Page Person")]
    assert workflow.runs_table(ws)[["run_id", "status", "by"]].values.tolist() == [[run_id, "done", "Sync Page Person"]]
