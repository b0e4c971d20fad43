"""Sync: the plan (a dry run), approvals, and the push behind the gate (the Sync page; ``reconcile plan``, ``push``)."""

from __future__ import annotations

import logging

import pandas as pd

from ..exceptions import ConfirmationRequired
from ..matching.matcher import canonical_source
from ..models import MatchResult
from ..store.workspace import Workspace
from ..sync.plan import Plan, build_plan
from ..sync.push import Progress, PushResult, RunProgress, push, push_basis, push_runs, run_progress, start_push
from ..sync.push import plan_digest as _plan_digest
from ..sync.targets import Target
from .match import run_match, scoped_source

log = logging.getLogger(__name__)


def plan_workspace(
    ws: Workspace, result: MatchResult | None = None, *, also_approved: pd.DataFrame | None = None
) -> Plan:
    """The push plan for the workspace as it is now; ``also_approved`` (rows of
    :meth:`Plan.held`) are counted as approved without being stored (a preview).

    The plan is built from one state of the workspace: when a write lands while it is built
    (a push's batch), or ``result`` was matched before the ledger it is combined with (a create
    that would *replace* an account the space still holds: the mark of a match older than the
    ledger), it is matched and built again (up to :data:`PLAN_ATTEMPTS` times). A create that
    replaces an account is still sent only once the target confirms the account is gone
    (:mod:`reconcile.sync.push`)."""
    for _attempt in range(PLAN_ATTEMPTS):
        revision = ws.revision
        plan, accounts = _plan_once(ws, result or run_match(ws), also_approved)
        mixed = any(op.op == "create" and op.replaces in accounts for op in plan.operations if op.replaces)
        if not mixed and ws.revision == revision:
            break
        log.info("the plan was built from a workspace that changed meanwhile: planning again")
        result = None
    return plan


#: How many times :func:`plan_workspace` builds a plan when the workspace changes while it does.
PLAN_ATTEMPTS = 3


def _plan_once(ws: Workspace, result: MatchResult, also_approved: pd.DataFrame | None) -> tuple[Plan, frozenset[str]]:
    """The plan from ``result`` and the workspace's reads now, and the account ids it saw."""
    approved = ws.approvals()
    if also_approved is not None:
        approved |= {(str(r.source_id), str(r.field), str(r.after)) for r in also_approved.itertuples(index=False)}
    source = canonical_source(scoped_source(ws), ws.mapping())
    records = ws.payfit_records()
    accounts = ws.equify_accounts()
    plan = build_plan(
        result,
        source,
        accounts,
        ledger_values=ws.ledger_values(),
        ledger=ws.ledger(),
        default_region=result.settings.default_region,
        approved=approved,
        leavers=records[records["status"] == "leaver"],
    )
    return plan, frozenset(accounts["id"].astype(str))


def plan_digest(ws: Workspace, plan: Plan) -> str:
    """The digest a person confirms with ``plan`` (:func:`reconcile.sync.push.plan_digest` with the
    workspace's :func:`~reconcile.sync.push.push_basis` now): pass it as ``confirmed`` to
    :func:`start_push_workspace` / :func:`push_workspace`, which push only that plan, once."""
    return _plan_digest(plan, push_basis(ws))


#: :func:`reconcile.sync.push.plan_digest` (``plan``, ``basis``), for a caller that keeps digests.
plan_digest_with = _plan_digest


def approve_held(ws: Workspace, changes: pd.DataFrame | None = None, *, operator: str | None = None) -> int:
    """Approve the changes the plan holds (``changes``: rows of :meth:`Plan.held`, default all
    of them), recorded with who approved them (``operator``, default
    :func:`~reconcile.operator.default_operator`); returns how many approvals were recorded."""
    held = plan_workspace(ws).held() if changes is None else changes
    return ws.approve(
        (
            (str(r.source_id), str(r.field), str(r.after), None if r.before is None else str(r.before))
            for r in held.itertuples(index=False)
        ),
        operator=operator,
    )


def unfinished_run(ws: Workspace) -> RunProgress | None:
    """The run a dead process left unfinished (the next push resumes it), or ``None``."""
    runs = push_runs(ws)
    interrupted = runs[runs["status"] == "interrupted"]
    if interrupted.empty:
        return None
    progress = run_progress(ws, str(interrupted["run_id"].iloc[0]))
    return progress if progress.pending else None


def push_workspace(
    ws: Workspace,
    *,
    target: Target | None = None,
    skip_conflicts: bool = False,
    dry_run: bool = False,
    expected_creates: int | None = None,
    progress: Progress | None = None,
    confirmed: str | None = None,
    operator: str | None = None,
) -> PushResult:
    """Plan from the workspace as it is now and push (see :func:`reconcile.sync.push.push`); the plan
    is computed once the push holds the workspace. ``operator``: who starts the run, recorded on
    it (default :func:`~reconcile.operator.default_operator`).

    ``expected_creates`` is the number of creates the person confirmed: when the
    plan changed since (another tab, the CLI), :class:`ConfirmationRequired` is
    raised and nothing is sent. ``confirmed`` is the :func:`plan_digest` of the plan the person
    confirmed: :class:`~reconcile.exceptions.PlanAlreadyPushed` when a run consumed it already,
    :class:`~reconcile.exceptions.PlanChanged` when it is not the plan now (nothing sent, no run).
    """
    if dry_run:
        return push(ws, _confirmed_plan(ws, expected_creates), dry_run=True)
    return push(
        ws,
        lambda: _confirmed_plan(ws, expected_creates),
        target=target,
        skip_conflicts=skip_conflicts,
        progress=progress,
        confirmed=confirmed,
        operator=operator,
    )


def _confirmed_plan(ws: Workspace, expected_creates: int | None) -> Plan:
    """The plan as it is now; :class:`ConfirmationRequired` when its creates are no longer the
    ``expected_creates`` a person confirmed (another tab, the CLI changed it)."""
    plan = plan_workspace(ws)
    creates = plan.totals()["create"]
    if expected_creates is not None and creates != expected_creates:
        raise ConfirmationRequired(
            f"the plan changed since it was confirmed ({expected_creates} creates confirmed, {creates} now): review it again"
        )
    return plan


def start_push_workspace(
    ws: Workspace,
    *,
    target: Target | None = None,
    skip_conflicts: bool = False,
    expected_creates: int | None = None,
    owns_target: bool = False,
    confirmed: str | None = None,
    resume: str | None = None,
    operator: str | None = None,
) -> str:
    """:func:`push_workspace` in a worker thread (:func:`reconcile.sync.push.start_push`): returns the
    run's id once the run holds its plan; follow it with :func:`run_progress`. Raises what
    :func:`push_workspace` raises before anything is sent (``confirmed`` included); a refused
    start leaves no run. ``owns_target``: the target is closed when the run ends (or when the
    push is refused). ``resume``: only finish that unfinished run, never start a new one.
    ``operator``: who starts the run, taken in the calling thread (default
    :func:`~reconcile.operator.default_operator`: in the app, the name typed in the sidebar)."""
    return start_push(
        ws,
        lambda: _confirmed_plan(ws, expected_creates),
        target=target,
        skip_conflicts=skip_conflicts,
        owns_target=owns_target,
        confirmed=confirmed,
        resume=resume,
        operator=operator,
    )
