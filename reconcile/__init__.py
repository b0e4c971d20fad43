"""reconcile: match Payfit collaborators to Equify accounts and push the sync exactly once.

The library behind the workbench app and ``python -m reconcile``; usable from a
notebook. Main entry points:

* :func:`match` - record linkage of two DataFrames (pure);
* :class:`Workspace` - the DuckDB workspace file;
* :mod:`reconcile.workflow` - the steps over a workspace (load, match, decide, plan, push).
"""

from . import audit, workflow
from .exceptions import (
    ConflictsUnresolved,
    InputError,
    PushBlocked,
    ReconcileError,
    WorkspaceError,
)
from .matching.matcher import match
from .models import CATEGORIES, Decision, FieldMapping, MatchResult, MatchSettings, Relation
from .store.workspace import Workspace

__all__ = [
    "CATEGORIES",
    "ConflictsUnresolved",
    "Decision",
    "FieldMapping",
    "InputError",
    "MatchResult",
    "MatchSettings",
    "PushBlocked",
    "ReconcileError",
    "Relation",
    "Workspace",
    "WorkspaceError",
    "audit",
    "match",
    "workflow",
]
__version__ = "0.1.0"
