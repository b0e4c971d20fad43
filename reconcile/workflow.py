"""The workbench's steps over a workspace, in one namespace: the functions the app, the CLI and a
notebook call (``from reconcile import workflow``).

Each step has its own module, named like its page and its CLI command (:mod:`reconcile.steps`):
``load`` (Connect / Load; ``demo``, ``load``, ``fetch``), ``mapping``, ``match``, ``review`` (and
``decide``, ``edit``), ``sync`` (``plan``, ``push``), ``history``, ``export`` and ``accounts``. Each
function reads what it needs from a :class:`~reconcile.store.workspace.Workspace`, calls the pure
logic (:mod:`reconcile.matching`, :mod:`reconcile.sync`) and, for writes, stores the outcome back.
Nothing here imports streamlit.
"""

from .steps.accounts import accounts_table
from .steps.export import export_report, export_tables
from .steps.history import RUN_COLUMNS, run_journal, runs_table
from .steps.load import (
    DEMO_DIR,
    PAYFIT_SCOPES,
    FetchProgress,
    LoadReport,
    PayfitConnection,
    check_payfit_connection,
    fetch_payfit,
    load_demo,
    load_equify_file,
    load_path,
    load_payfit_files,
)
from .steps.mapping import mapping_issues, mapping_preview, phone_summary, scope_counts
from .steps.match import match_is_kept, run_match, scoped_source
from .steps.review import (
    ACTIVITY_COLUMNS,
    COMPARISON_COLUMNS,
    EDITABLE_REVIEW_COLUMNS,
    REVIEW_COLUMNS,
    RULE_LABELS,
    ReviewFilter,
    Undone,
    accept_likely_matches,
    activity_seq,
    activity_table,
    candidates_for,
    decide_and_rematch,
    edit_accounts_and_rematch,
    edit_and_rematch,
    edit_each_and_rematch,
    filter_review,
    likely_matches,
    resolved_since,
    review_table,
    shown_candidates,
    side_by_side,
    source_card,
    undecide_and_rematch,
    undo_and_rematch,
)
from .steps.sync import (
    PLAN_ATTEMPTS,
    approve_held,
    plan_digest,
    plan_digest_with,
    plan_workspace,
    push_workspace,
    start_push_workspace,
    unfinished_run,
)
from .sync.push import RunProgress, push, push_basis, push_runs, run_progress, start_push

__all__ = [
    "RunProgress",
    "phone_summary",
    "ACTIVITY_COLUMNS",
    "COMPARISON_COLUMNS",
    "DEMO_DIR",
    "EDITABLE_REVIEW_COLUMNS",
    "FetchProgress",
    "LoadReport",
    "PAYFIT_SCOPES",
    "PLAN_ATTEMPTS",
    "PayfitConnection",
    "REVIEW_COLUMNS",
    "RULE_LABELS",
    "RUN_COLUMNS",
    "ReviewFilter",
    "Undone",
    "accept_likely_matches",
    "accounts_table",
    "activity_seq",
    "activity_table",
    "approve_held",
    "candidates_for",
    "check_payfit_connection",
    "decide_and_rematch",
    "edit_accounts_and_rematch",
    "edit_and_rematch",
    "edit_each_and_rematch",
    "export_report",
    "export_tables",
    "fetch_payfit",
    "filter_review",
    "likely_matches",
    "load_demo",
    "load_equify_file",
    "load_path",
    "load_payfit_files",
    "mapping_issues",
    "mapping_preview",
    "plan_digest",
    "plan_digest_with",
    "plan_workspace",
    "push",
    "push_basis",
    "push_runs",
    "push_workspace",
    "resolved_since",
    "review_table",
    "run_journal",
    "runs_table",
    "match_is_kept",
    "run_match",
    "run_progress",
    "scope_counts",
    "scoped_source",
    "shown_candidates",
    "side_by_side",
    "source_card",
    "start_push",
    "start_push_workspace",
    "undecide_and_rematch",
    "undo_and_rematch",
    "unfinished_run",
]
