"""Push runs: execute a plan against a target, exactly once, with a journal.

A run writes one journal row per operation (status ``pending`` → ``done`` or
``failed``) in the workspace before anything is sent. Each operation then
commits in one workspace transaction with its ledger row, so a crash leaves
each operation either fully done or still pending, and the next push re-plans
from the ledger: nothing done is done twice. Creates carry an idempotency key
derived from the Payfit id, so a retried create returns the first account.

Only one run at a time per workspace file (:class:`PushInProgress` otherwise).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd

from .exceptions import ConflictsUnresolved, PushInProgress, ReconcileError
from .plan import Operation, Plan
from .targets import EmbeddedTarget, Target
from .workspace import Workspace

log = logging.getLogger(__name__)

__all__ = ["PushResult", "push", "push_runs"]

#: ``progress(done, total)`` is called after each operation (``done`` counts failures too).
Progress = Callable[[int, int], None]
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class PushResult:
    """Counts of a push (or of a dry run, where nothing was sent and ``run_id`` is ``None``).

    ``skipped`` counts excluded records and skipped conflicts; ``unchanged`` synced
    records with nothing to update; ``seconds`` the run's wall time.
    """

    run_id: str | None
    created: int
    linked: int
    updated: int
    skipped: int
    failed: int
    unchanged: int = 0
    dry_run: bool = False
    seconds: float = 0.0

    def summary(self) -> dict[str, int]:
        """``{"created", "linked", "updated", "skipped", "failed"}`` (what the CLI prints)."""
        return {k: v for k, v in asdict(self).items() if k in ("created", "linked", "updated", "skipped", "failed")}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _lock_for(ws: Workspace) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(ws.path, threading.Lock())


def push(
    ws: Workspace,
    plan: Plan,
    *,
    target: Target | None = None,
    skip_conflicts: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PushResult:
    """Execute ``plan`` against ``target`` (default: the embedded Equify space).

    Raises :class:`ConflictsUnresolved` when the plan skips conflicts and
    ``skip_conflicts`` is false (a dry run is never refused), and :class:`PushInProgress` when another run
    holds the workspace. Per-operation failures do not stop the run: they are
    journaled and counted in ``failed``.
    """
    totals = plan.totals()
    if dry_run:  # a dry run shows the plan even while conflicts block the real push
        return PushResult(
            None, totals["create"], totals["link"], totals["update"], totals["skip"], 0, totals["unchanged"], True
        )
    if totals["skip_conflict"] and not skip_conflicts:
        raise ConflictsUnresolved(totals["skip_conflict"])
    target = target or EmbeddedTarget()
    lock = _lock_for(ws)
    if not lock.acquire(blocking=False):
        running = ws.query("SELECT run_id FROM push_runs WHERE status = 'running' ORDER BY started_at DESC LIMIT 1")
        raise PushInProgress(running["run_id"].iloc[0] if not running.empty else "(starting)")
    started = time.monotonic()
    try:
        return _run(ws, plan, target, progress, started)
    finally:
        lock.release()


def _run(ws: Workspace, plan: Plan, target: Target, progress: Progress | None, started: float) -> PushResult:
    ops = plan.actionable()
    totals = plan.totals()
    run_id = "run-" + _now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    with ws.transaction() as tx:
        # A run left 'running' by a process that died: its done operations are in the
        # ledger, so this run's plan already leaves them out. Close it honestly.
        tx.execute(
            "UPDATE push_runs SET status = 'interrupted', finished_at = ?, error = ? WHERE status = 'running'",
            [_now(), f"interrupted; the remaining operations were re-planned in {run_id}"],
        )
        tx.execute(
            "INSERT INTO push_runs VALUES (?, ?, NULL, 'running', ?, ?, NULL)",
            [run_id, _now(), target.name, json.dumps(totals)],
        )
        if ops:
            tx.executemany(
                "INSERT INTO push_journal VALUES (?, ?, ?, ?, ?, NULL, ?, 'pending', NULL, ?)",
                [
                    [run_id, n, op.source_id, op.op, op.idempotency_key, op.payload(), _now()]
                    for n, op in enumerate(ops)
                ],
            )
    counts = {"create": 0, "link": 0, "update": 0, "failed": 0}
    for n, op in enumerate(ops):
        try:
            _execute(ws, run_id, n, op, target)
            counts[op.op] += 1
        except (ReconcileError, OSError) as exc:
            counts["failed"] += 1
            log.warning("push %s: %s %s failed: %s", run_id, op.op, op.source_id, exc)
            with ws.transaction() as tx:
                tx.execute(
                    "UPDATE push_journal SET status = 'failed', error = ?, updated_at = ? WHERE run_id = ? AND seq = ?",
                    [str(exc), _now(), run_id, n],
                )
        if progress is not None:
            progress(n + 1, len(ops))
    result = PushResult(
        run_id,
        counts["create"],
        counts["link"],
        counts["update"],
        totals["skip"],
        counts["failed"],
        totals["unchanged"],
        False,
        round(time.monotonic() - started, 3),
    )
    with ws.transaction() as tx:
        tx.execute(
            "UPDATE push_runs SET status = ?, finished_at = ?, totals = ? WHERE run_id = ?",
            ["done" if not counts["failed"] else "done_with_failures", _now(), json.dumps(asdict(result)), run_id],
        )
    return result


def _execute(ws: Workspace, run_id: str, seq: int, op: Operation, target: Target) -> None:
    """One operation, its ledger row and its journal status, in one transaction."""
    with ws.transaction() as tx:
        linked = tx.execute("SELECT account_id FROM ledger WHERE source_id = ?", [op.source_id]).fetchone()
        if op.op == "create":
            if linked is not None and str(linked[0]) != op.replaces:  # done by an earlier run: never a second account
                account_id = str(linked[0])
            else:
                account_id = target.create(
                    op.values(), idempotency_key=op.idempotency_key, source_id=op.source_id, tx=tx
                )
        else:
            account_id = str(op.target_id)
            target.update(account_id, op.values(), source_id=op.source_id, tx=tx)
        tx.execute(
            "INSERT OR REPLACE INTO ledger VALUES (?, ?, ?, ?, ?)",
            [op.source_id, account_id, run_id, _now(), json.dumps(dict(op.snapshot), ensure_ascii=False)],
        )
        tx.execute(
            "UPDATE push_journal SET status = 'done', account_id = ?, updated_at = ? WHERE run_id = ? AND seq = ?",
            [account_id, _now(), run_id, seq],
        )


def push_runs(ws: Workspace) -> pd.DataFrame:
    """Push runs, newest first (:meth:`Workspace.push_runs`), with honest statuses.

    A run still marked ``running`` while no push holds this workspace was cut
    short (the page was closed, the process died): it shows as ``interrupted``;
    its done operations are in the ledger and the next push sends the rest.
    No other process can be pushing: DuckDB lets one process open the file.
    """
    runs = ws.push_runs()
    if not _lock_for(ws).locked():
        runs.loc[runs["status"] == "running", "status"] = "interrupted"
    return runs
