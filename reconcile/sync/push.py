"""Push runs: execute a plan against a target, exactly once, with a journal.

A run writes one journal row per operation (status ``pending``) in the workspace before
anything is sent; each row then becomes ``sent`` (a remote target was asked), ``done`` (with
its ledger row, in the same transaction) or ``failed`` (with the error; the others go on).
Creates carry an idempotency key derived from the Payfit id, and a create whose record is
already in the ledger is never sent again, so a retry after a timeout the target did commit
(S2) or a run resumed after a crash (S1) never makes a second account.

If the process dies, the next push of the workspace resumes the unfinished run from its
journal (its pending and sent rows) before anything else, against the same target only: a run
is bound to its target's identity (kind and base URL or file path, never a token;
:class:`RunTargetMismatch` otherwise). Only one run at a time per workspace
(:class:`PushInProgress` otherwise). :func:`start_push` runs a push in a worker thread of its
own, so a page that starts it can be closed or reloaded: it reads the run's progress back from
the journal (:func:`run_progress`).

A plan is consumed once. Its :func:`plan_digest` (its operations and the newest run when it was
computed) is claimed by the run in the transaction that inserts the run (``push_claims``, unique):
a second start of the same confirmed plan is refused (:class:`PlanAlreadyPushed`), and so is a
confirmed plan that is no longer the plan (:class:`PlanChanged`); neither leaves a run behind.
A create that *replaces* an account an earlier sync made is sent only once the target has
confirmed, at send time, that the account is gone (embedded: not in the space, read in the
push's transaction; http: ``GET /accounts/{id}`` answered 404); when it still exists nothing is
created: the row is journaled ``skipped`` with the reason, and the ledger keeps the link.

A run records who started it (``push_runs.operator``: the ``operator`` given, else
:func:`reconcile.operator.default_operator` in the thread that starts it, so a worker thread
records the person whose page started the run). A resumed run keeps the name of who started it.

Operations are written in batches: for a target inside the workspace (embedded), up to
:data:`BATCH_IN_WORKSPACE` operations per transaction; for a remote target (http), the
results of up to :data:`BATCH_REMOTE` requests (or 0.5 s of them) per transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from ..exceptions import (
    AuthError,
    ConflictsUnresolved,
    PlanAlreadyPushed,
    PlanChanged,
    PushBlocked,
    PushInProgress,
    ReconcileError,
    RunTargetMismatch,
    TargetError,
    UnfinishedRun,
    WorkspaceError,
)
from ..operator import resolve_operator
from ..store.workspace import Workspace
from .plan import Operation, Plan
from .targets import EmbeddedTarget, Target, mirror, target_identity

log = logging.getLogger(__name__)

__all__ = [
    "PushResult",
    "RunProgress",
    "plan_digest",
    "push",
    "push_basis",
    "push_runs",
    "run_progress",
    "start_push",
]

#: ``progress(done, total)`` is called as operations finish (``done`` counts failures too).
Progress = Callable[[int, int], None]
#: A plan, or a function that computes it once the push holds the workspace (so the plan
#: pushed is the plan as it is then, checked against the one a person confirmed).
PlanSource = Plan | Callable[[], Plan]
#: Operations per workspace transaction for a target that writes inside the workspace.
BATCH_IN_WORKSPACE = 500
#: Requests whose results are written per workspace transaction, for a remote target.
BATCH_REMOTE = 50
#: A remote batch is written after this many seconds even when not full (s).
FLUSH_SECONDS = 0.5

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_WORKERS: dict[str, threading.Thread] = {}
#: The run a thread of this process executes, per workspace path (set once the run is open,
#: cleared just before the workspace's push lock is released).
_LIVE: dict[str, str] = {}


@dataclass(frozen=True)
class PushResult:
    """Counts of a push (or of a dry run, where nothing was sent and ``run_id`` is ``None``).

    ``skipped`` counts excluded records and skipped conflicts (and creates not sent because the
    account they were to replace still exists); ``unchanged`` synced
    records with nothing to update; ``seconds`` the run's wall time; ``resumed`` is true when
    the push finished a run an earlier process left unfinished (its counts are that run's).
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
    resumed: bool = False

    def summary(self) -> dict[str, int]:
        """``{"created", "linked", "updated", "skipped", "failed"}`` (what the CLI prints)."""
        return {k: v for k, v in asdict(self).items() if k in ("created", "linked", "updated", "skipped", "failed")}

    def _repr_html_(self) -> str:
        """Jupyter's view: the counts, the run id and the duration."""
        from ..display import push_result_html

        return push_result_html(self.summary(), self.run_id, self.dry_run, self.seconds)


@dataclass(frozen=True)
class RunProgress:
    """Where a run stands, read from its journal: counts of rows ``done``, ``failed`` and
    ``pending`` (not finished: pending or sent), of ``total``; ``status`` is the run's
    (running, done, done_with_failures, interrupted, failed); ``live`` is true while a thread of
    this process executes it; ``error`` the run's error, if it stopped on one; ``skipped`` rows
    not sent on purpose (a create whose old account still exists); ``identity`` the target the
    run is bound to (:func:`reconcile.sync.targets.target_identity`; ``None`` for runs older than it)."""

    run_id: str
    status: str
    target: str
    total: int
    done: int
    failed: int
    pending: int
    live: bool
    error: str | None = None
    skipped: int = 0
    identity: str | None = None

    @property
    def finished(self) -> bool:
        return self.pending == 0 and not self.live


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _lock_for(ws: Workspace) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(ws.path), threading.Lock())


def push(
    ws: Workspace,
    plan: PlanSource,
    *,
    target: Target | None = None,
    skip_conflicts: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    confirmed: str | None = None,
    operator: str | None = None,
) -> PushResult:
    """Execute ``plan`` against ``target`` (default: the embedded Equify space).

    ``operator``: who starts the run, recorded on it (default:
    :func:`~reconcile.operator.default_operator`).

    ``plan``: a :class:`Plan`, or a function computing it once the push holds the workspace.
    ``confirmed``: the :func:`plan_digest` of the plan a person confirmed; the push goes ahead
    only when the plan now has that digest and no run consumed it yet.

    When an earlier run of this workspace is unfinished (the process died), it is resumed
    from its journal instead, and its result returned (``resumed``); push again for the rest.

    Raises :class:`ConflictsUnresolved` when the plan skips conflicts and ``skip_conflicts``
    is false (a dry run is never refused), :class:`PushInProgress` when another run holds the
    workspace, :class:`UnfinishedRun` when the unfinished run was to another target
    (:class:`RunTargetMismatch` when to another URL or file), :class:`PlanAlreadyPushed` /
    :class:`PlanChanged` when ``confirmed`` was consumed already / is not the plan now,
    :class:`~reconcile.exceptions.AuthError` when the target refuses its token mid-run (the run
    stays unfinished: push again with a good token to finish it), :class:`TargetError` when a
    file target cannot write its file (the run ends ``failed``). None of the refusals leaves a
    run behind. Per-operation failures do not stop the run: they are journaled and counted in
    ``failed``.
    """
    if dry_run:  # a dry run shows the plan even while conflicts block the real push
        totals = (plan if isinstance(plan, Plan) else plan()).totals()
        return PushResult(
            None, totals["create"], totals["link"], totals["update"], totals["skip"], 0, totals["unchanged"], True
        )
    target = target or EmbeddedTarget()
    who = resolve_operator(operator)
    lock = _claim(ws)
    started = time.monotonic()
    try:
        run_id, resumed = _open_run(ws, plan, target, skip_conflicts, confirmed, operator=who)
        _LIVE[str(ws.path)] = run_id
        try:
            return _execute(ws, run_id, target, progress, started, resumed)
        except AuthError as exc:
            _stopped(ws, run_id, exc, resumable=True)
            raise
    finally:
        _LIVE.pop(str(ws.path), None)
        lock.release()


def start_push(
    ws: Workspace,
    plan: PlanSource,
    *,
    target: Target | None = None,
    skip_conflicts: bool = False,
    on_done: Callable[[PushResult | BaseException], None] | None = None,
    owns_target: bool = False,
    confirmed: str | None = None,
    resume: str | None = None,
    operator: str | None = None,
) -> str:
    """Start :func:`push` in a worker thread and return the run's id at once.

    Everything that can refuse the push is checked before returning (the same errors as
    :func:`push`, ``confirmed`` included); the run is in the workspace by then, so
    :func:`run_progress` can follow it from any page or session, and it goes on when the page
    that started it goes away. An unfinished run is resumed instead (its id is returned).
    ``on_done`` is called in the worker with the result or the exception that stopped it.
    ``owns_target``: the target is closed (if it can be) when the run ends or is refused.
    A token refused mid-run leaves the run unfinished (resumable, with the error on it); any
    other error ends it ``failed`` with the error. ``resume``: only finish that unfinished run
    (:class:`PushBlocked` when it has nothing left: a second click on *Finish* never starts a
    new push). ``operator``: who starts the run, taken now, in the calling thread (default:
    :func:`~reconcile.operator.default_operator`), and recorded on the run before the worker starts.
    """
    target = target or EmbeddedTarget()
    who = resolve_operator(operator)

    def release_target() -> None:
        close = getattr(target, "close", None)
        if owns_target and close is not None:
            close()

    try:
        lock = _claim(ws)
    except BaseException:
        release_target()
        raise
    try:
        run_id, resumed = _open_run(ws, plan, target, skip_conflicts, confirmed, resume, operator=who)
        _LIVE[str(ws.path)] = run_id
    except BaseException:
        lock.release()
        release_target()
        raise
    started = time.monotonic()
    # The run keeps the workspace file open until it ends, whoever's page run started it.
    held = ws.lease()
    held.__enter__()

    def work() -> None:
        outcome: PushResult | BaseException
        try:
            outcome = _execute(ws, run_id, target, None, started, resumed)
        except BaseException as exc:  # recorded on the run: a worker has no one else to tell
            # a library error is its message; anything else keeps its traceback for the server's log
            log.error(
                "push run %s stopped: %s: %s",
                run_id,
                type(exc).__name__,
                exc,
                exc_info=not isinstance(exc, ReconcileError),
            )
            outcome = exc
            # A refused token: the run waits, resumable, for a push with a good one (as the CLI does).
            _stopped(ws, run_id, exc, resumable=isinstance(exc, AuthError))
        finally:
            _LIVE.pop(str(ws.path), None)
            lock.release()
            release_target()
            held.__exit__(None, None, None)
        if on_done is not None:
            on_done(outcome)

    thread = threading.Thread(target=work, name=f"push-{run_id}", daemon=True)
    _WORKERS[str(ws.path)] = thread
    thread.start()
    return run_id


def _stopped(ws: Workspace, run_id: str, exc: BaseException, *, resumable: bool) -> None:
    """Record why run ``run_id`` stopped: with ``resumable`` it stays ``running`` (shown as
    interrupted, finished by the next push to its target), else it ends ``failed`` (a run a
    step already ended keeps its status)."""
    error = str(exc) if isinstance(exc, ReconcileError) else f"{type(exc).__name__}: {exc}"
    try:
        with ws.transaction() as tx:
            if resumable:
                tx.execute("UPDATE push_runs SET error = ? WHERE run_id = ?", [error, run_id])
            else:
                tx.execute(
                    "UPDATE push_runs SET status = 'failed', finished_at = ?, error = ?"
                    " WHERE run_id = ? AND status = 'running'",
                    [_now(), error, run_id],
                )
    except ReconcileError:  # the workspace itself failed: the run shows as interrupted
        log.warning("push run %s: could not record why it stopped", run_id)


def push_basis(ws: Workspace) -> str:
    """What a plan is computed after: the newest push run (its id, and how many runs there are),
    ``""`` before the first. Part of :func:`plan_digest`, so a plan confirmed before a run can
    never be taken for the same plan after it."""
    row = ws.query("SELECT count(*) AS n, max_by(run_id, started_at) AS newest FROM push_runs")
    n, newest = int(row["n"].iloc[0]), row["newest"].iloc[0]
    return f"{n}:{newest}" if n else ""


def plan_digest(plan: Plan, basis: str) -> str:
    """The plan's identity for confirming and claiming it: a SHA-256 (hex, 64 characters) of
    ``basis`` (:func:`push_basis` when the plan was computed) and its actionable operations
    (operation, Payfit id, account, changes, the account a create replaces: so its idempotency
    key too), in order. About 3 µs per operation."""
    digest = hashlib.sha256(repr(basis).encode())
    text = "\n".join([repr((o.op, o.source_id, o.target_id, o.changes, o.replaces)) for o in plan.actionable()])
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _claim(ws: Workspace) -> threading.Lock:
    """The workspace's push lock, held; :class:`PushInProgress` naming the running run otherwise."""
    lock = _lock_for(ws)
    if not lock.acquire(blocking=False):
        running = ws.query("SELECT run_id FROM push_runs WHERE status = 'running' ORDER BY started_at DESC LIMIT 1")
        raise PushInProgress(running["run_id"].iloc[0] if not running.empty else "(starting)")
    return lock


def _open_run(
    ws: Workspace,
    source: PlanSource,
    target: Target,
    skip_conflicts: bool,
    confirmed: str | None,
    resume: str | None = None,
    *,
    operator: str,
) -> tuple[str, bool]:
    """``(run_id, resumed)``: the unfinished run to resume, or a new run with its journal, which
    claims the plan's digest in the same transaction (and records ``operator``, who starts it).
    Called with the workspace's push lock held.
    A target that can be checked (the http one) is asked first: a wrong URL or token refuses
    the push before anything is written."""
    check = getattr(target, "check", None)
    if check is not None:
        check()
    identity = target_identity(target)
    unfinished = ws.query(
        "SELECT r.run_id, r.target, c.target_identity FROM push_runs r LEFT JOIN push_claims c USING (run_id)"
        " WHERE r.status = 'running' ORDER BY r.started_at DESC LIMIT 1"
    )
    if not unfinished.empty:
        run_id, name = str(unfinished["run_id"].iloc[0]), str(unfinished["target"].iloc[0])
        bound = unfinished["target_identity"].iloc[0]
        if isinstance(bound, str) and bound != identity:
            raise RunTargetMismatch(run_id, bound, identity)
        if name != target.name:
            raise UnfinishedRun(run_id, name)
        if resume is not None and resume != run_id:
            raise PushBlocked(f"push run {resume} has nothing left to finish (run {run_id} has): nothing was sent")
        log.info("resuming push run %s from its journal", run_id)
        return run_id, True
    if resume is not None:
        raise PushBlocked(f"push run {resume} has nothing left to finish: nothing was sent")
    if confirmed is not None:
        _refuse_if_claimed(ws, confirmed)
    basis = push_basis(ws)
    plan = source if isinstance(source, Plan) else source()
    digest = plan_digest(plan, basis)
    if confirmed is not None and digest != confirmed:
        raise PlanChanged(
            "the plan changed since it was confirmed (a push ran, or the data or decisions changed): "
            "nothing was sent; look at the plan as it is now and confirm it again"
        )
    totals = plan.totals()
    if totals["skip_conflict"] and not skip_conflicts:
        raise ConflictsUnresolved(totals["skip_conflict"])
    ops = plan.actionable()
    run_id = "run-" + _now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    try:
        _insert_run(ws, run_id, basis, digest, identity, target, totals, ops, operator)
    except WorkspaceError:
        _refuse_if_claimed(ws, digest)  # another start claimed it first
        raise
    return run_id, False


def _refuse_if_claimed(ws: Workspace, digest: str) -> None:
    """:class:`PlanAlreadyPushed` when a run consumed the plan ``digest``."""
    claimed = ws.query("SELECT run_id FROM push_claims WHERE plan_digest = ?", [digest])
    if not claimed.empty:
        raise PlanAlreadyPushed(str(claimed["run_id"].iloc[0]))


def _insert_run(
    ws: Workspace,
    run_id: str,
    basis: str,
    digest: str,
    identity: str,
    target: Target,
    totals: dict[str, int],
    ops: Sequence[Operation],
    operator: str,
) -> None:
    """The run (with who started it, ``operator``), its claim on the plan and its journal, in
    one transaction; the basis is read again inside it, so a plan computed before another run
    committed is never inserted."""
    with ws.transaction() as tx:
        row = tx.execute("SELECT count(*), max_by(run_id, started_at) FROM push_runs").fetchone()
        now_basis = f"{row[0]}:{row[1]}" if row and row[0] else ""
        if now_basis != basis:
            raise PlanChanged("another push ran while this one was starting: nothing was sent; look at the plan again")
        tx.execute(
            "INSERT INTO push_runs (run_id, started_at, finished_at, status, target, totals, error, operator)"
            " VALUES (?, ?, NULL, 'running', ?, ?, NULL, ?)",
            [run_id, _now(), target.name, json.dumps(totals), operator],
        )
        tx.execute("INSERT INTO push_claims VALUES (?, ?, ?, ?)", [run_id, digest, identity, _now()])
        if ops:
            journal = pd.DataFrame(
                {
                    "seq": pd.Series(range(len(ops)), dtype="int64"),
                    "source_id": pd.Series([op.source_id for op in ops], dtype=object),
                    "op": pd.Series([op.op for op in ops], dtype=object),
                    "key": pd.Series([op.idempotency_key for op in ops], dtype=object),
                    "payload": pd.Series([_payload(op) for op in ops], dtype=object),
                }
            )
            tx.register("new_journal", journal)
            try:
                tx.execute(
                    "INSERT INTO push_journal SELECT ?, seq, source_id::VARCHAR, op::VARCHAR, key::VARCHAR, NULL,"
                    " payload::VARCHAR, 'pending', NULL, ? FROM new_journal",
                    [run_id, _now()],
                )
            finally:
                tx.unregister("new_journal")


def _payload(op: Operation) -> str:
    """The operation as the journal keeps it: enough to execute it again after a crash."""
    data = json.loads(op.payload())
    data.update(snapshot=dict(op.snapshot), replaces=op.replaces, idempotency_key=op.idempotency_key)
    return json.dumps(data, ensure_ascii=False)


@dataclass(frozen=True)
class _Row:
    """One journal row to execute."""

    seq: int
    source_id: str
    op: str
    key: str
    target_id: str | None
    values: dict[str, str]
    snapshot: dict[str, Any]
    replaces: str | None


def _rows(ws: Workspace, run_id: str) -> list[_Row]:
    journal = ws.query(
        "SELECT seq, source_id, op, idempotency_key, payload FROM push_journal"
        " WHERE run_id = ? AND status IN ('pending', 'sent') ORDER BY seq",
        [run_id],
    )
    out = []
    for seq, sid, op, key, payload in journal.itertuples(index=False):
        data = json.loads(payload) if payload else {}
        out.append(
            _Row(
                int(seq),
                str(sid),
                str(op),
                str(key),
                data.get("target_id"),
                {f: after for f, _before, after in data.get("changes", [])},
                data.get("snapshot") or {},
                data.get("replaces"),
            )
        )
    return out


@dataclass(frozen=True)
class _Kept:
    """An operation not sent on purpose: a create whose old account ``account_id`` still exists."""

    account_id: str
    reason: str


#: What became of one operation: the account id, a deliberate skip, or the error.
Outcome = str | _Kept | BaseException


def _execute(
    ws: Workspace, run_id: str, target: Target, progress: Progress | None, started: float, resumed: bool
) -> PushResult:
    rows = _rows(ws, run_id)
    total = int(ws.query("SELECT count(*) AS n FROM push_journal WHERE run_id = ?", [run_id])["n"].iloc[0])
    finished = [total - len(rows)]

    def advance(n: int) -> None:
        finished[0] += n
        if progress is not None:
            progress(finished[0], total)

    if getattr(target, "in_workspace", False):
        for start in range(0, len(rows), BATCH_IN_WORKSPACE):
            _in_workspace_batch(ws, run_id, rows[start : start + BATCH_IN_WORKSPACE], target)
            advance(len(rows[start : start + BATCH_IN_WORKSPACE]))
    else:
        _remote(ws, run_id, rows, target, advance)
    write = getattr(target, "write", None)
    if write is not None:  # the file target: every done row of the run, resumed or not
        done = ws.query("SELECT payload FROM push_journal WHERE run_id = ? AND status = 'done' ORDER BY seq", [run_id])
        try:
            write([json.loads(p) for p in done["payload"]])
        except Exception as exc:  # any writer error (e.g. openpyxl's): the run ends, failed, saying why
            error = TargetError(f"the {target_identity(target)} could not be written: {type(exc).__name__}: {exc}")
            _stopped(ws, run_id, error, resumable=False)
            raise error from exc
    return _close_run(ws, run_id, started, resumed)


def _in_workspace_batch(ws: Workspace, run_id: str, batch: Sequence[_Row], target: Target) -> None:
    """One transaction: the batch's operations, ledger rows and journal statuses. An operation
    that fails is journaled as failed; a workspace error rolls the batch back and it is done
    again one operation per transaction, so only the failing one fails."""
    try:
        with ws.transaction() as tx:
            outcomes = _apply(tx, batch, target)
            _record(tx, run_id, batch, outcomes)
    except ReconcileError as exc:
        if len(batch) == 1:
            with ws.transaction() as tx:
                _record(tx, run_id, batch, [exc])
            return
        for row in batch:
            _in_workspace_batch(ws, run_id, [row], target)


def _apply(tx: Any, batch: Sequence[_Row], target: Target) -> list[Outcome]:
    """Each operation of ``batch`` against an in-workspace target: an account id, a deliberate
    skip or the error."""
    linked = _linked(tx, [r.source_id for r in batch])
    out: list[Outcome] = []
    creates = [r for r in batch if r.op == "create" and not r.replaces and not _done_before(r, linked)]
    made: dict[str, str] = {}
    # The embedded target (not a subclass with its own create) takes the batch's creates at once.
    if isinstance(target, EmbeddedTarget) and type(target).create is EmbeddedTarget.create and creates:
        made = target.create_many([(r.values, r.key, r.source_id) for r in creates], tx=tx)
    for row in batch:
        try:
            out.append(made[row.key] if row.key in made else _send(row, linked, target, tx))
        except (ReconcileError, OSError) as exc:
            out.append(exc)
    return out


def _send(row: _Row, linked: dict[str, str], target: Target, tx: Any, ws: Workspace | None = None) -> str | _Kept:
    """One operation against ``target``: the account id (a create the ledger already links is
    not sent again), or :class:`_Kept` for a create that would replace an account the target
    still holds. Raises what the target raises."""
    if row.op == "create":
        if _done_before(row, linked):
            return linked[row.source_id]
        if row.replaces and _still_there(row.replaces, target, tx, ws):
            return _Kept(
                row.replaces,
                f"not created: the account {row.replaces} an earlier sync made for this record still exists "
                "in Equify, so the record stays linked to it (the plan had taken it for deleted)",
            )
        return target.create(row.values, idempotency_key=row.key, source_id=row.source_id, tx=tx)
    target.update(str(row.target_id), row.values, source_id=row.source_id, tx=tx)
    return str(row.target_id)


def _still_there(account_id: str, target: Target, tx: Any, ws: Workspace | None) -> bool:
    """Whether the target still holds ``account_id`` (asked now, never inferred from a plan):
    a target that can answer (embedded: in the push's transaction; http: ``GET /accounts/{id}``)
    answers; for one that cannot (the file target), the workspace's Equify space does.
    Raises what the target raises (a doubt is never taken for "gone")."""
    exists = getattr(target, "account_exists", None)
    if exists is not None:
        return bool(exists(account_id, tx=tx))
    if tx is not None:
        return tx.execute("SELECT 1 FROM equify_accounts WHERE id = ?", [account_id]).fetchone() is not None
    if ws is None:
        raise TargetError(f"cannot tell whether the Equify account {account_id} still exists: not created")
    return not ws.query("SELECT 1 FROM equify_accounts WHERE id = ?", [account_id]).empty


def _done_before(row: _Row, linked: dict[str, str]) -> bool:
    """A create whose record the ledger already links (an earlier attempt committed): never again."""
    return row.source_id in linked and linked[row.source_id] != row.replaces


def _linked(tx: Any, source_ids: list[str]) -> dict[str, str]:
    if not source_ids:
        return {}
    found = tx.execute(
        "SELECT source_id, account_id FROM ledger WHERE source_id IN (SELECT unnest(?::VARCHAR[]))", [source_ids]
    ).fetchall()
    return {str(s): str(a) for s, a in found}


def _record(tx: Any, run_id: str, batch: Sequence[_Row], outcomes: Sequence[Outcome], *, ledger: bool = True) -> None:
    """Ledger rows of the done operations and every row's journal status, in ``tx``: a few
    set-based statements per batch (``executemany`` runs one statement per row, ~1 ms each).
    A :class:`_Kept` row is journaled ``skipped`` with its reason and touches no ledger row."""
    now = _now()
    done = [(r, o) for r, o in zip(batch, outcomes, strict=True) if isinstance(o, str)]
    kept = [(r, o) for r, o in zip(batch, outcomes, strict=True) if isinstance(o, _Kept)]
    failed = [(r, o) for r, o in zip(batch, outcomes, strict=True) if isinstance(o, BaseException)]
    for row, exc in failed:
        log.warning("push %s: %s %s failed: %s", run_id, row.op, row.source_id, exc)
    for row, why in kept:
        log.info("push %s: %s %s skipped: %s", run_id, row.op, row.source_id, why.reason)
    if not done and not failed and not kept:
        return
    rows = [r for r, _ in done + kept + failed]
    frame = pd.DataFrame(
        {
            "seq": pd.Series([r.seq for r in rows], dtype="int64"),
            "source_id": pd.Series([r.source_id for r in rows], dtype=object),
            "account_id": pd.Series(
                [o for _, o in done] + [k.account_id for _, k in kept] + [None] * len(failed), dtype=object
            ),
            "snapshot": pd.Series(
                [json.dumps(r.snapshot, ensure_ascii=False) for r, _ in done] + [None] * (len(kept) + len(failed)),
                dtype=object,
            ),
            "status": pd.Series(
                ["done"] * len(done) + ["skipped"] * len(kept) + ["failed"] * len(failed), dtype=object
            ),
            "error": pd.Series(
                [None] * len(done) + [k.reason for _, k in kept] + [str(e) or type(e).__name__ for _, e in failed],
                dtype=object,
            ),
        }
    )
    tx.register("batch_outcomes", frame)
    try:
        if ledger:
            tx.execute(
                "INSERT OR REPLACE INTO ledger SELECT source_id::VARCHAR, account_id::VARCHAR, ?, ?, snapshot::VARCHAR"
                " FROM batch_outcomes WHERE status = 'done'",
                [run_id, now],
            )
        tx.execute(
            "UPDATE push_journal SET status = o.status::VARCHAR,"
            " account_id = COALESCE(NULLIF(o.account_id::VARCHAR, ''), push_journal.account_id),"
            " error = o.error::VARCHAR, updated_at = ?"
            " FROM batch_outcomes o WHERE push_journal.run_id = ? AND push_journal.seq = o.seq",
            [now, run_id],
        )
    finally:
        tx.unregister("batch_outcomes")


def _remote(ws: Workspace, run_id: str, rows: Sequence[_Row], target: Target, advance: Callable[[int], None]) -> None:
    """Operations against a target outside the workspace: rows are marked ``sent`` a batch at
    a time, sent one by one, and their results written a batch at a time. A crash between a
    request and the write leaves the row ``sent``: resumed, it is sent again with the same
    idempotency key, and the target answers with the account it already made."""
    i = 0
    while i < len(rows):
        batch = list(rows[i : i + BATCH_REMOTE])
        with ws.transaction() as tx:
            linked = _linked(tx, [r.source_id for r in batch])
            tx.execute(
                "UPDATE push_journal SET status = 'sent', updated_at = ?"
                " WHERE run_id = ? AND seq IN (SELECT unnest(?::INTEGER[]))",
                [_now(), run_id, [r.seq for r in batch]],
            )
        outcomes: list[Outcome] = []
        flushed = 0
        last = time.monotonic()
        for row in batch:
            try:
                outcomes.append(_send(row, linked, target, None, ws))
            except AuthError:
                # The token stopped working mid-run: every other row would fail the same way.
                # Keep what is done; the rest stays pending, and the next push resumes it.
                _record_remote(ws, run_id, batch[flushed : len(outcomes)], outcomes[flushed:], target)
                raise
            except (ReconcileError, OSError) as exc:
                outcomes.append(exc)
            if time.monotonic() - last > FLUSH_SECONDS:  # slow answers: show progress, keep results safe
                _record_remote(ws, run_id, batch[flushed : len(outcomes)], outcomes[flushed:], target)
                advance(len(outcomes) - flushed)
                flushed, last = len(outcomes), time.monotonic()
        if flushed < len(outcomes):
            _record_remote(ws, run_id, batch[flushed:], outcomes[flushed:], target)
            advance(len(outcomes) - flushed)
        i += len(batch)


def _record_remote(
    ws: Workspace, run_id: str, rows: Sequence[_Row], outcomes: Sequence[Outcome], target: Target
) -> None:
    """The results of remote operations, with the workspace's Equify space mirrored, in one transaction."""
    done = [(r, o) for r, o in zip(rows, outcomes, strict=True) if isinstance(o, str)]
    with ws.transaction() as tx:
        _record(tx, run_id, rows, outcomes, ledger=getattr(target, "writes_ledger", True))
        if not getattr(target, "writes_ledger", True):
            return
        mirror(
            tx,
            [(o, r.values, r.source_id) for r, o in done if r.op == "create"],
            [(o, r.values, r.source_id) for r, o in done if r.op != "create"],
        )


def _close_run(ws: Workspace, run_id: str, started: float, resumed: bool) -> PushResult:
    counts = ws.query(
        "SELECT op, status, count(*) AS n FROM push_journal WHERE run_id = ? GROUP BY op, status", [run_id]
    )
    done = {op: int(n) for op, status, n in counts.itertuples(index=False) if status == "done"}
    failed = int(counts.loc[counts["status"] == "failed", "n"].sum())
    kept = int(counts.loc[counts["status"] == "skipped", "n"].sum())
    run = ws.query("SELECT totals, started_at FROM push_runs WHERE run_id = ?", [run_id])
    planned = json.loads(run["totals"].iloc[0]) if not run.empty and run["totals"].iloc[0] else {}
    if "skip" not in planned:  # a resumed run keeps the result of its first attempt's plan
        planned = {"skip": planned.get("skipped", 0), "unchanged": planned.get("unchanged", 0)}
    result = PushResult(
        run_id,
        done.get("create", 0),
        done.get("link", 0),
        done.get("update", 0),
        int(planned.get("skip", 0)) + kept,
        failed,
        int(planned.get("unchanged", 0)),
        False,
        # a resumed run counts from its first start (the process that died included)
        round((_now() - run["started_at"].iloc[0]).total_seconds(), 3)
        if resumed and not run.empty
        else round(time.monotonic() - started, 3),
        resumed,
    )
    with ws.transaction() as tx:
        tx.execute(
            "UPDATE push_runs SET status = ?, finished_at = ?, totals = ?, error = NULL WHERE run_id = ?",
            ["done" if not failed else "done_with_failures", _now(), json.dumps(asdict(result)), run_id],
        )
    return result


def run_progress(ws: Workspace, run_id: str) -> RunProgress:
    """Where run ``run_id`` stands (see :class:`RunProgress`); :class:`ReconcileError` if unknown."""
    live = _LIVE.get(str(ws.path)) == run_id  # read first: a run seen finished below is finished
    run = ws.query(
        "SELECT r.status, r.target, r.error, c.target_identity FROM push_runs r LEFT JOIN push_claims c USING (run_id)"
        " WHERE r.run_id = ?",
        [run_id],
    )
    if run.empty:
        raise ReconcileError(f"there is no push run {run_id}")
    counts = dict(
        ws.query("SELECT status, count(*) AS n FROM push_journal WHERE run_id = ? GROUP BY status", [run_id])
        .itertuples(index=False)
        .__iter__()
    )
    status = str(run["status"].iloc[0])
    if status == "running" and not live:
        status = "interrupted"
    return RunProgress(
        run_id,
        status,
        str(run["target"].iloc[0]),
        int(sum(counts.values())),
        int(counts.get("done", 0)),
        int(counts.get("failed", 0)),
        int(counts.get("pending", 0) + counts.get("sent", 0)),
        live,
        None if pd.isna(run["error"].iloc[0]) else str(run["error"].iloc[0]),
        int(counts.get("skipped", 0)),
        None if pd.isna(run["target_identity"].iloc[0]) else str(run["target_identity"].iloc[0]),
    )


def push_runs(ws: Workspace) -> pd.DataFrame:
    """Push runs, newest first (:meth:`Workspace.push_runs`), with honest statuses.

    A run still marked ``running`` that no thread of this process executes was cut short (the
    process died, or the target refused its token): it shows as ``interrupted``; the next push resumes it from its journal.
    No other process can be pushing: DuckDB lets one process open the file.
    """
    live = _LIVE.get(str(ws.path))  # read first: a run seen finished below is finished
    runs = ws.push_runs()
    runs.loc[(runs["status"] == "running") & (runs["run_id"] != live), "status"] = "interrupted"
    return runs
