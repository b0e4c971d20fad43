"""Every error the library raises on purpose.

The tree (pages and the CLI catch :class:`ReconcileError` and show its message)::

    ReconcileError
    ├── InputError          bad file, row, field or argument; nothing was written
    ├── WorkspaceError      the DuckDB workspace could not be opened, read or written
    │   └── WorkspaceBusy   another process holds the file now: try again
    ├── ApiError            a remote system answered with an error
    │   ├── AuthError       401: the key or token is invalid or revoked
    │   ├── ScopeError      403: a scope is missing (never retried)
    │   └── RateLimited     429 retries exhausted
    ├── TargetError         a target could not apply one operation (e.g. the account is gone)
    ├── InternalError       a check of the library's own consistency failed (a bug); nothing was sent
    └── PushBlocked         a push was refused before it started
        ├── ConflictsUnresolved   conflicts remain and skipping them was not asked for
        ├── ConfirmationRequired  the confirmation gate was not passed
        │   └── PlanChanged       the confirmed plan is no longer the plan (stale)
        ├── PlanAlreadyPushed     a run already consumed this confirmed plan
        ├── PushInProgress        another push run holds the workspace
        └── UnfinishedRun         a run to another target must be finished first
            └── RunTargetMismatch the run is bound to another target (URL, file)

Errors from duckdb and httpx are wrapped where they enter the library, so callers
never need to import either to handle a failure.
"""

from __future__ import annotations


class ReconcileError(Exception):
    """Base class: a failure the user can act on; ``str(err)`` is the message to show."""


class InputError(ReconcileError):
    """Bad input (file, row, field or argument). The workspace was left unchanged."""


class WorkspaceError(ReconcileError):
    """The workspace database failed; ``sql`` holds the statement when there was one."""

    def __init__(self, message: str, *, sql: str | None = None) -> None:
        super().__init__(message)
        self.sql = sql


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace file now (DuckDB lets one process write a file): try again."""


class ApiError(ReconcileError):
    """A remote API answered with an error status (``status`` is the HTTP code)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ApiError):
    """401: the API key or token is invalid or revoked."""


class ScopeError(ApiError):
    """403: the key lacks a scope; ``scope`` names it when known."""

    def __init__(self, message: str, *, scope: str | None = None, status: int | None = 403) -> None:
        super().__init__(message, status=status)
        self.scope = scope


class RateLimited(ApiError):
    """429 answers went on after the bounded number of retries."""


class TargetError(ReconcileError):
    """A target could not apply one operation; the push records it against the row and goes on."""


class InternalError(ReconcileError):
    """A check of the library's own consistency failed (e.g. a plan whose figures do not add
    up): a bug to report; nothing was sent."""


class PushBlocked(ReconcileError):
    """A push was refused before any operation was sent."""


class ConflictsUnresolved(PushBlocked):
    """Conflicts remain; ``count`` is how many. Pass ``skip_conflicts=True`` to push the rest."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"{count} conflict(s) are unresolved: resolve them on the Review page, "
            "or skip them (the app's checkbox, or --skip-conflicts) to push everything else"
        )
        self.count = count


class ConfirmationRequired(PushBlocked):
    """The push was not confirmed (the gate expects ``expected``)."""


class PlanChanged(ConfirmationRequired):
    """The plan a person confirmed is not the plan now (a run, another tab, the CLI changed it)."""


class PlanAlreadyPushed(PushBlocked):
    """The confirmed plan was consumed by run ``run_id`` already: nothing is sent twice."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"this plan was already pushed by run {run_id}: nothing was sent again; "
            "look at the plan as it is now before pushing anything else"
        )
        self.run_id = run_id


class PushInProgress(PushBlocked):
    """Another push run is active on this workspace; ``run_id`` names it."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"push run {run_id} is already running on this workspace")
        self.run_id = run_id


class UnfinishedRun(PushBlocked):
    """A run to another target is unfinished (the process died): push to that target to finish it."""

    def __init__(self, run_id: str, target: str) -> None:
        super().__init__(
            f"push run {run_id} to the {target} target is unfinished: push again to the {target} target to finish it first"
        )
        self.run_id, self.target = run_id, target


class RunTargetMismatch(UnfinishedRun):
    """The unfinished run ``run_id`` is bound to ``bound`` (a target's identity: its kind and URL or
    path, e.g. ``http target http://127.0.0.1:8800``):
    it is finished there or nowhere, so what it sent is never sent to another target."""

    def __init__(self, run_id: str, bound: str, asked: str) -> None:
        PushBlocked.__init__(
            self,
            f"push run {run_id} was started against the {bound} and is unfinished: finish it against the {bound}, "
            f"not the {asked} (nothing was sent)",
        )
        self.run_id, self.target, self.bound, self.asked = run_id, bound.split(" ", 1)[0], bound, asked
