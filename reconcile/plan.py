"""The push plan: what a push would do, computed from a match result.

Pure: no database. Operations:

* ``create``: a new Equify account with the mapped values;
* ``link``: record the pairing in the sync ledger and fill the account's empty fields;
* ``update``: change fields of an already synced account (before → after);
* ``skip``: excluded records, unresolved conflicts, updates waiting for approval, and leavers
  (with the reason).

Synced records whose values did not change produce no operation (``unchanged``).

Later syncs: a change to a name, the email or the birth date of a synced account
(:data:`NEEDS_APPROVAL`) is *held* until a person approves that new value
(``approved``: ``{(source_id, field, value)}``); the other changes go ahead. A synced person who
has left (Payfit status ``leaver``) is flagged with the termination date and never deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from .models import EQUIFY_FIELDS, MatchResult
from .normalize import clean_text
from .values import changed_since, diff_values, prepare_value, snapshot

__all__ = ["NEEDS_APPROVAL", "Operation", "Plan", "build_plan"]

#: Fields whose change on a synced account waits for a person's approval.
NEEDS_APPROVAL: frozenset[str] = frozenset({"firstName", "lastName", "email", "birthDate"})

OpKind = Literal["create", "link", "update", "skip"]


@dataclass(frozen=True)
class Operation:
    """One planned operation for one Payfit record.

    ``changes`` are ``(field, before, after)`` triples (``before`` is ``None`` for
    a create or a filled empty field). ``skip_kind`` is ``conflict`` or ``excluded``
    for skips. ``snapshot`` holds every mapped source value as sent, for the ledger.
    ``replaces`` is, for a create, the account an earlier sync made that is gone from Equify.
    ``held`` are the changes of an update waiting for a person's approval (not sent).
    ``skip_kind`` is ``conflict``, ``excluded``, ``held`` (only held changes) or ``leaver``.
    """

    source_id: str
    op: OpKind
    name: str
    target_id: str | None = None
    changes: tuple[tuple[str, str | None, str], ...] = ()
    reason: str = ""
    skip_kind: str | None = None
    snapshot: tuple[tuple[str, str | None], ...] = ()
    replaces: str | None = None
    held: tuple[tuple[str, str | None, str], ...] = ()

    @property
    def idempotency_key(self) -> str:
        """Derived from the operation and the Payfit id: the same work always has the same key.

        A create that replaces a deleted account is new work, so its key names the account it replaces.
        """
        key = f"{self.op}:{self.source_id}"
        return f"{key}:replacing:{self.replaces}" if self.replaces else key

    def values(self) -> dict[str, str]:
        """The new values ``{field: after}``."""
        return {f: after for f, _, after in self.changes}

    def payload(self) -> str:
        """The operation as JSON (journal and file target)."""
        return json.dumps(
            {
                "op": self.op,
                "source_id": self.source_id,
                "name": self.name,
                "target_id": self.target_id,
                "changes": self.changes,
            },
            ensure_ascii=False,
        )


@dataclass(frozen=True)
class Plan:
    """All operations of a push, with ``unchanged`` synced records counted apart."""

    operations: tuple[Operation, ...]
    unchanged: int = 0

    def totals(self) -> dict[str, int]:
        """``create``, ``link``, ``update``, ``skip`` (all), ``skip_conflict``, ``skip_excluded``,
        ``skip_held`` (updates whose changes all wait for approval), ``skip_leaver``, ``unchanged``."""
        out = {
            "create": 0,
            "link": 0,
            "update": 0,
            "skip": 0,
            "skip_conflict": 0,
            "skip_excluded": 0,
            "skip_held": 0,
            "skip_leaver": 0,
        }
        for op in self.operations:
            out[op.op] += 1
            if op.op == "skip":
                out[f"skip_{op.skip_kind}"] += 1
        out["unchanged"] = self.unchanged
        return out

    def actionable(self) -> tuple[Operation, ...]:
        """The operations a push sends (everything but skips)."""
        return tuple(op for op in self.operations if op.op != "skip")

    def to_frame(self) -> pd.DataFrame:
        """One row per operation: ``source_id``, ``name``, ``op``, ``target_id``, ``changes`` and
        ``held`` (text), ``reason``."""
        return pd.DataFrame(
            [
                {
                    "source_id": op.source_id,
                    "name": op.name,
                    "op": op.op,
                    "target_id": op.target_id,
                    "changes": "; ".join(f"{f}: {b or '∅'} → {a}" for f, b, a in op.changes),
                    "held": "; ".join(f"{f}: {b or '∅'} → {a}" for f, b, a in op.held),
                    "reason": op.reason,
                }
                for op in self.operations
            ],
            columns=["source_id", "name", "op", "target_id", "changes", "held", "reason"],
        )

    def held(self) -> pd.DataFrame:
        """The changes waiting for approval: ``source_id``, ``name``, ``target_id``, ``field``,
        ``before``, ``after`` (one row per field)."""
        return pd.DataFrame(
            [
                {
                    "source_id": op.source_id,
                    "name": op.name,
                    "target_id": op.target_id,
                    "field": f,
                    "before": b,
                    "after": a,
                }
                for op in self.operations
                for f, b, a in op.held
            ],
            columns=["source_id", "name", "target_id", "field", "before", "after"],
        )


def build_plan(
    result: MatchResult,
    source: pd.DataFrame,
    target: pd.DataFrame,
    *,
    ledger_values: Mapping[str, Mapping[str, str | None]] | None = None,
    ledger: Mapping[str, str] | None = None,
    default_region: str = "FR",
    approved: AbstractSet[tuple[str, str, str]] = frozenset(),
    leavers: pd.DataFrame | None = None,
) -> Plan:
    """Turn a match result into a plan.

    ``source`` is the canonical source frame (:func:`reconcile.matching.canonical_source`:
    ``id``, mapped Equify fields, ``_hint``); ``target`` the Equify accounts (``id`` + fields);
    ``ledger_values`` the ledger's snapshots of earlier syncs (for updates), ``ledger``
    the sync ledger (a create for a record already in it replaces a deleted account);
    ``approved`` the approved ``(source_id, field, new value)``; ``leavers`` the Payfit records
    who left (``id``, ``firstName``, ``lastName``, ``terminationDate``): those in the ledger are
    flagged, never deleted.
    """
    src = {str(r["id"]): r for r in source.to_dict("records")}
    tgt = {str(r["id"]): r for r in target.to_dict("records")}
    fields = [f for f in EQUIFY_FIELDS if f in source.columns]
    ops: list[Operation] = []
    unchanged = 0
    for rec in result.records.itertuples(index=False):
        row: Mapping[str, Any] = src[rec.source_id]
        name = " ".join(x for x in (clean_text(row.get("firstName")), clean_text(row.get("lastName"))) if x)
        hint = row.get("_hint")
        snap = tuple(snapshot(row, fields, default_region=default_region, hint=hint).items())
        if rec.category == "excluded":
            ops.append(Operation(rec.source_id, "skip", name, reason=rec.reason, skip_kind="excluded"))
        elif rec.category == "conflict":
            ops.append(Operation(rec.source_id, "skip", name, rec.target_id, reason=rec.reason, skip_kind="conflict"))
        elif rec.action == "create":
            changes = []
            for f in fields:
                value = prepare_value(f, row.get(f), default_region=default_region, hint=hint)
                if value is not None:
                    changes.append((f, None, value))
            replaces = (ledger or {}).get(rec.source_id)
            ops.append(
                Operation(
                    rec.source_id, "create", name, None, tuple(changes), rec.reason, snapshot=snap, replaces=replaces
                )
            )
        elif rec.action == "link":
            fills = diff_values(
                row, tgt[rec.target_id], fields, only_empty=True, default_region=default_region, hint=hint
            )
            ops.append(Operation(rec.source_id, "link", name, rec.target_id, tuple(fills), rec.reason, snapshot=snap))
        elif rec.action == "update":
            remembered = (ledger_values or {}).get(rec.source_id, {})
            changes = changed_since(
                row, remembered, tgt[rec.target_id], fields, default_region=default_region, hint=hint
            )
            held = [c for c in changes if c[0] in NEEDS_APPROVAL and (rec.source_id, c[0], c[2]) not in approved]
            going = [c for c in changes if c not in held]
            if held:
                # The snapshot keeps the held fields' old values: they stay changes until approved.
                kept = {f: remembered.get(f) for f, _, _ in held}
                snap = tuple((f, kept.get(f, v)) for f, v in snap)
            waiting = "waiting for approval: " + "; ".join(f"{f} {b or '∅'} → {a}" for f, b, a in held) if held else ""
            if going:
                reason = "; ".join(x for x in (rec.reason, waiting) if x)
                ops.append(
                    Operation(
                        rec.source_id,
                        "update",
                        name,
                        rec.target_id,
                        tuple(going),
                        reason,
                        snapshot=snap,
                        held=tuple(held),
                    )
                )
            else:
                ops.append(
                    Operation(
                        rec.source_id, "skip", name, rec.target_id, reason=waiting, skip_kind="held", held=tuple(held)
                    )
                )
        else:
            unchanged += 1
    for left in [] if leavers is None else leavers.to_dict("records"):
        sid = str(left["id"])
        if sid not in (ledger or {}):
            continue
        name = " ".join(x for x in (clean_text(left.get("firstName")), clean_text(left.get("lastName"))) if x)
        date = clean_text(left.get("terminationDate")) or "an unknown date"
        ops.append(
            Operation(
                sid,
                "skip",
                name,
                (ledger or {})[sid],
                reason=f"left the company on {date}: the Equify account is kept (nothing is deleted)",
                skip_kind="leaver",
            )
        )
    return Plan(tuple(ops), unchanged)
