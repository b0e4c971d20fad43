"""The push plan: what a push would do, computed from a match result.

Pure: no database. Operations:

* ``create``: a new Equify account with the mapped values;
* ``link``: record the pairing in the sync ledger and fill the account's empty fields; when the
  account writes the name otherwise (a married name, other casing, first and last name swapped),
  the Payfit name is proposed as changes *held* for approval, sent with the link once approved,
  and so is the international form of a phone the account holds without its country code
  (``06 12 34 56 78`` → ``+33612345678``, the same number);
* ``update``: change fields of an already synced account (before → after);
* ``skip``: excluded records, unresolved conflicts, updates waiting for approval, leavers,
  and *incomplete* records (with the reason).

Synced records whose values did not change produce no operation (``unchanged``).

What is never sent: an email that is a placeholder or not valid syntax (``n/a``, ``null``, ``-``,
``none@none.com``), a phone or a date that cannot be read (:func:`reconcile.matching.values.prepare_value`):
the operation goes without that field, and it never overwrites a value in Equify. A record that
would be created with no usable name (no letter or digit in either name part) and no usable email
is not created: a skip of kind ``incomplete``. :meth:`Plan.unsendable` names both to the user.

The summary (:meth:`Plan.summary`) counts every record the plan covers in exactly one figure: the
in-scope records it was built from, plus the synced leavers outside the relation that it flags
(:attr:`Plan.records`). A synced leaver in scope counts once: as *Leavers (kept)* when nothing
changed, as an update when something did. An update with some changes waiting for approval counts
as an update (its held changes are listed by :meth:`Plan.held`); *Held for approval* counts the
records whose every change waits. Every :class:`Plan` checks this when built
(:class:`~reconcile.exceptions.InternalError` otherwise).

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

from ..exceptions import InternalError
from ..matching.normalize import clean_text
from ..matching.values import changed_since, diff_values, phone_fix, prepare_value, snapshot, unsendable_reason
from ..models import EQUIFY_FIELDS, MatchResult

__all__ = ["NEEDS_APPROVAL", "SUMMARY", "Figure", "Operation", "Plan", "build_plan"]

#: Fields whose change on a synced account waits for a person's approval.
NEEDS_APPROVAL: frozenset[str] = frozenset({"firstName", "lastName", "email", "birthDate"})

OpKind = Literal["create", "link", "update", "skip"]
SkipKind = Literal["conflict", "excluded", "held", "leaver", "incomplete"]

#: The summary's figures in the order shown: ``(key, label, what it counts)``. Each record the
#: plan covers is in exactly one (see the module docstring).
SUMMARY: tuple[tuple[str, str, str], ...] = (
    ("create", "Creates", "new Equify accounts"),
    ("link", "Links", "existing Equify accounts paired with a Payfit record (their empty fields filled)"),
    ("update", "Updates", "synced accounts with changed values (some changes may still wait for approval)"),
    ("unchanged", "Unchanged", "synced accounts with nothing to send"),
    ("skip_held", "Held for approval", "synced people none of whose changes can be sent before a person approves them"),
    ("skip_conflict", "Unresolved conflicts", "records to resolve on the Review page"),
    ("skip_excluded", "Excluded", "records on the exclusion list"),
    ("skip_incomplete", "Incomplete", "records with no usable name and no usable email: not created"),
    ("skip_leaver", "Leavers (kept)", "synced people who left the company: their accounts are kept"),
)


@dataclass(frozen=True)
class Operation:
    """One planned operation for one Payfit record.

    ``changes`` are ``(field, before, after)`` triples (``before`` is ``None`` for
    a create or a filled empty field). ``snapshot`` holds every mapped source value as sent, for the ledger.
    ``replaces`` is, for a create, the account an earlier sync made that is gone from Equify.
    ``held`` are the changes of an update waiting for a person's approval (not sent).
    ``skip_kind`` (skips only) is ``conflict``, ``excluded``, ``held`` (only held changes),
    ``leaver`` or ``incomplete`` (no usable name and no usable email: not created).
    ``dropped`` are the source values not sent: ``(field, value as written, why)``.
    """

    source_id: str
    op: OpKind
    name: str
    target_id: str | None = None
    changes: tuple[tuple[str, str | None, str], ...] = ()
    reason: str = ""
    skip_kind: SkipKind | None = None
    snapshot: tuple[tuple[str, str | None], ...] = ()
    replaces: str | None = None
    held: tuple[tuple[str, str | None, str], ...] = ()
    dropped: tuple[tuple[str, str, str], ...] = ()

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
class Figure:
    """One figure of the plan's summary: ``key`` (a :meth:`Plan.totals` key), ``label`` and
    ``help`` (English), ``count`` (records)."""

    key: str
    label: str
    count: int
    help: str


@dataclass(frozen=True)
class Plan:
    """All operations of a push, with ``unchanged`` synced records counted apart.

    ``records`` is how many Payfit records the plan covers (default: one per operation plus
    ``unchanged``); :func:`build_plan` passes the in-scope records it was built from plus the
    synced leavers outside the relation it flags. Raises :class:`InternalError` when two
    operations concern one record, or the summary's figures do not add up to ``records``.
    """

    operations: tuple[Operation, ...]
    unchanged: int = 0
    records: int | None = None

    def __post_init__(self) -> None:
        if self.records is None:
            object.__setattr__(self, "records", len(self.operations) + self.unchanged)
        ids = {op.source_id for op in self.operations}
        if len(ids) != len(self.operations):
            raise InternalError("the plan has two operations for one Payfit record: nothing was sent")
        figures = self.summary()
        total = sum(f.count for f in figures)
        if total != self.records or any(f.count < 0 for f in figures):
            shown = ", ".join(f"{f.count} {f.label.lower()}" for f in figures)
            raise InternalError(
                f"the plan's figures add up to {total} for {self.records} record(s) ({shown}): nothing was sent"
            )

    def _repr_html_(self) -> str:
        """Jupyter's view: the totals and the first operations a push would send."""
        from ..display import plan_html

        return plan_html(self.totals(), self.to_frame())

    def totals(self) -> dict[str, int]:
        """``create``, ``link``, ``update``, ``skip`` (all), ``skip_conflict``, ``skip_excluded``,
        ``skip_held`` (updates whose changes all wait for approval), ``skip_leaver``,
        ``skip_incomplete`` (not created: no usable name and no usable email), ``unchanged``."""
        out = {
            "create": 0,
            "link": 0,
            "update": 0,
            "skip": 0,
            "skip_conflict": 0,
            "skip_excluded": 0,
            "skip_held": 0,
            "skip_leaver": 0,
            "skip_incomplete": 0,
        }
        for op in self.operations:
            out[op.op] += 1
            if op.op == "skip":
                out[f"skip_{op.skip_kind}"] += 1
        out["unchanged"] = self.unchanged
        return out

    def summary(self) -> tuple[Figure, ...]:
        """The summary's figures in :data:`SUMMARY` order: each record the plan covers is counted
        in exactly one, so they add up to :attr:`records` (see the module docstring for the rules)."""
        totals = self.totals()
        return tuple(Figure(key, label, totals[key], help) for key, label, help in SUMMARY)

    def unsendable(self) -> pd.DataFrame:
        """What will not be sent, to name before a push: ``source_id``, ``name``, ``op`` (what
        happens to the record), ``field``, ``value`` (as written in Payfit), ``why``; one row per
        value (an unusable email, an unreadable phone or date) and one per record not created
        for want of a name and an email (``field`` ``name``)."""
        return pd.DataFrame(
            [
                {"source_id": op.source_id, "name": op.name, "op": op.op, "field": f, "value": v, "why": why}
                for op in self.operations
                for f, v, why in op.dropped
            ],
            columns=["source_id", "name", "op", "field", "value", "why"],
        )

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

    ``source`` is the canonical source frame (:func:`reconcile.matching.matcher.canonical_source`:
    ``id``, mapped Equify fields, ``_hint``); ``target`` the Equify accounts (``id`` + fields);
    ``ledger_values`` the ledger's snapshots of earlier syncs (for updates), ``ledger``
    the sync ledger (a create for a record already in it replaces a deleted account);
    ``approved`` the approved ``(source_id, field, new value)``; ``leavers`` the Payfit records
    who left (``id``, ``firstName``, ``lastName``, ``terminationDate``): those in the ledger are
    flagged, never deleted, once each whether or not the relation keeps leavers.

    The plan covers ``result``'s records plus the flagged leavers outside them; raises
    :class:`InternalError` when its figures do not add up to that (a bug: nothing is sent).
    """
    ledger = ledger or {}
    src = {str(r["id"]): r for r in source.to_dict("records")}
    tgt = {str(r["id"]): r for r in target.to_dict("records")}
    fields = [f for f in EQUIFY_FIELDS if f in source.columns]
    left = {} if leavers is None else {str(r["id"]): r for r in leavers.to_dict("records") if str(r["id"]) in ledger}
    ops: list[Operation] = []
    unchanged = 0
    for rec in result.records.itertuples(index=False):
        row: Mapping[str, Any] = src[rec.source_id]
        name = _name(row)
        if rec.category == "excluded":
            ops.append(Operation(rec.source_id, "skip", name, reason=rec.reason, skip_kind="excluded"))
        elif rec.category == "conflict":
            ops.append(Operation(rec.source_id, "skip", name, rec.target_id, reason=rec.reason, skip_kind="conflict"))
        elif rec.action == "create":
            ops.append(_create(rec, row, name, fields, ledger, default_region))
        elif rec.action == "link":
            ops.append(_link(rec, row, name, fields, tgt[rec.target_id], approved, default_region))
        elif rec.action == "update" and (
            update := _update(rec, row, name, fields, tgt, ledger_values or {}, approved, left, default_region)
        ):
            ops.append(update)
            left.pop(rec.source_id, None)
        elif rec.source_id in left:  # a synced leaver in scope with nothing to send: counted once, as a leaver
            ops.append(_leaver(left.pop(rec.source_id), ledger))
        else:
            unchanged += 1
    # Synced leavers outside the relation: flagged, never deleted.
    outside = [row for sid, row in left.items() if sid not in src]
    ops.extend(_leaver(row, ledger) for row in outside)
    return Plan(tuple(ops), unchanged, len(result.records) + len(outside))


#: The name fields a link proposes to change when the account spells the name otherwise.
_NAME_FIELDS = ("firstName", "lastName")


def _waiting(held: list[tuple[str, str | None, str]]) -> str:
    """The reason's words for changes held for approval (``""`` when none): ``waiting for
    approval: field before → after; ...``, an empty before written ``∅``."""
    if not held:
        return ""
    return "waiting for approval: " + "; ".join(f"{f} {b or '∅'} → {a}" for f, b, a in held)


def _name_changes(
    row: Mapping[str, Any], account: Mapping[str, Any], fields: list[str]
) -> list[tuple[str, str | None, str]]:
    """``(field, account's name, Payfit's name)`` for each name part both hold and write
    differently, to the letter (a married name, other casing or accents, first and last name
    swapped). None when the Payfit record has no first name (a full name kept whole in
    ``lastName`` is no last name to propose)."""
    if clean_text(row.get("firstName")) is None:
        return []
    out: list[tuple[str, str | None, str]] = []
    for f in _NAME_FIELDS:
        after, before = prepare_value(f, row.get(f)), clean_text(account.get(f))
        if f in fields and after is not None and before is not None and after != before:
            out.append((f, before, after))
    return out


def _link(
    rec: Any,
    row: Mapping[str, Any],
    name: str,
    fields: list[str],
    account: Mapping[str, Any],
    approved: AbstractSet[tuple[str, str, str]],
    region: str,
) -> Operation:
    """A link: the account's empty fields filled and, when the account writes the name otherwise
    (:func:`_name_changes`), the new name proposed as changes held for approval (sent with the
    link once approved: ``(source_id, field, value)`` in ``approved``). A held name keeps the
    account's value in the snapshot, so a later sync still proposes it: never silently dropped."""
    hint = row.get("_hint")
    prepared = snapshot(row, fields, default_region=region, hint=hint)
    fills = diff_values(row, account, fields, only_empty=True, default_region=region, hint=hint)
    renames = _name_changes(row, account, fields) + phone_fix(row, account, fields, default_region=region)
    held = [c for c in renames if (rec.source_id, c[0], c[2]) not in approved]
    going = fills + [c for c in renames if c not in held]
    snap = tuple((f, next((b for hf, b, _ in held if hf == f), v)) for f, v in prepared.items())
    # A value not sent is named where it would have filled the account's empty field.
    empty = [f for f in fields if (prepare_value if f == "email" else _raw)(f, account.get(f)) is None]
    dropped = _dropped(row, empty, prepared, region)
    waiting = _waiting(held)
    reason = "; ".join(x for x in (rec.reason, waiting) if x)
    return Operation(
        rec.source_id,
        "link",
        name,
        rec.target_id,
        tuple(going),
        reason,
        snapshot=snap,
        held=tuple(held),
        dropped=dropped,
    )


def _create(
    rec: Any, row: Mapping[str, Any], name: str, fields: list[str], ledger: Mapping[str, str], region: str
) -> Operation:
    """A create, or an ``incomplete`` skip for a record with no usable name and no usable email."""
    prepared = snapshot(row, fields, default_region=region, hint=row.get("_hint"))
    changes = [(f, None, value) for f, value in prepared.items() if value is not None]
    dropped = _dropped(row, fields, prepared, region)
    if not _usable_name(row) and not any(f == "email" for f, _, _ in changes):
        why = "no usable name and no usable email: not created (complete the record in Payfit)"
        written = " ".join(str(row.get(f) or "") for f in ("firstName", "lastName"))
        return Operation(
            rec.source_id, "skip", name, reason=why, skip_kind="incomplete", dropped=(("name", written, why), *dropped)
        )
    snap = tuple(prepared.items())
    replaces = ledger.get(rec.source_id)
    return Operation(
        rec.source_id,
        "create",
        name,
        None,
        tuple(changes),
        rec.reason,
        snapshot=snap,
        replaces=replaces,
        dropped=dropped,
    )


def _update(
    rec: Any,
    row: Mapping[str, Any],
    name: str,
    fields: list[str],
    tgt: Mapping[str, Mapping[str, Any]],
    ledger_values: Mapping[str, Mapping[str, str | None]],
    approved: AbstractSet[tuple[str, str, str]],
    left: Mapping[str, Mapping[str, Any]],
    region: str,
) -> Operation | None:
    """An update of a synced account (``left``: the synced leavers, named in the reason), a
    ``held`` skip when every change waits for approval, or ``None`` when nothing changed."""
    hint = row.get("_hint")
    snapped = snapshot(row, fields, default_region=region, hint=hint)
    snap = tuple(snapped.items())
    remembered = ledger_values.get(rec.source_id, {})
    changes = changed_since(row, remembered, tgt[rec.target_id], fields, default_region=region, hint=hint)
    # A phone the account still holds without its country code stays proposed after the link
    # (not for a leaver: the account is only kept).
    fixes = [] if rec.source_id in left else phone_fix(row, tgt[rec.target_id], fields, default_region=region)
    if rec.source_id in left:
        changes = [c for c in changes if c not in phone_fix(row, tgt[rec.target_id], fields, default_region=region)]
    # A value not sent is named when it changed since the last sync.
    moved = [f for f in fields if f not in remembered or remembered[f] != snapped[f]]
    dropped = _dropped(row, moved, snapped, region)
    held = [
        c for c in changes if (c[0] in NEEDS_APPROVAL or c in fixes) and (rec.source_id, c[0], c[2]) not in approved
    ]
    going = [c for c in changes if c not in held]
    if held:
        # The snapshot keeps the held fields' old values: they stay changes until approved.
        kept = {f: remembered.get(f) for f, _, _ in held}
        snap = tuple((f, kept.get(f, v)) for f, v in snap)
    if not changes:
        return None
    waiting = _waiting(held)
    gone = _left_words(left[rec.source_id]) if rec.source_id in left else ""
    if going:
        reason = "; ".join(x for x in (rec.reason, gone, waiting) if x)
        return Operation(
            rec.source_id,
            "update",
            name,
            rec.target_id,
            tuple(going),
            reason,
            snapshot=snap,
            held=tuple(held),
            dropped=dropped,
        )
    return Operation(
        rec.source_id,
        "skip",
        name,
        rec.target_id,
        reason="; ".join(x for x in (gone, waiting) if x),
        skip_kind="held",
        held=tuple(held),
        dropped=dropped,
    )


def _leaver(left: Mapping[str, Any], ledger: Mapping[str, str]) -> Operation:
    """The flag of a synced person who left: a ``leaver`` skip, the account kept."""
    sid = str(left["id"])
    return Operation(sid, "skip", _name(left), ledger[sid], reason=_left_words(left), skip_kind="leaver")


def _left_words(left: Mapping[str, Any]) -> str:
    date = clean_text(left.get("terminationDate")) or "an unknown date"
    return f"left the company on {date}: the Equify account is kept (nothing is deleted)"


def _name(row: Mapping[str, Any]) -> str:
    return " ".join(x for x in (clean_text(row.get("firstName")), clean_text(row.get("lastName"))) if x)


def _usable_name(row: Mapping[str, Any]) -> bool:
    """True when a name part holds a letter or a digit: ``-``, ``?`` or blanks name no one (``N/A``
    or ``Null`` are kept: a name field's text is a name, domain §5)."""
    return any(any(ch.isalnum() for ch in clean_text(row.get(f)) or "") for f in ("firstName", "lastName"))


def _raw(field: str, value: Any) -> str | None:
    return clean_text(value)


def _dropped(
    row: Mapping[str, Any], fields: list[str], prepared: Mapping[str, str | None], region: str
) -> tuple[tuple[str, str, str], ...]:
    """``(field, value as written, why)`` for each of ``fields`` whose non-empty value is not sent
    (``prepared``: the values as sent, :func:`~reconcile.matching.values.snapshot`)."""
    hint = row.get("_hint")
    out = []
    for f in fields:
        if prepared[f] is not None or clean_text(row.get(f)) is None:
            continue
        why = unsendable_reason(f, row.get(f), default_region=region, hint=hint)
        if why is not None:
            out.append((f, str(row.get(f)), why))
    return tuple(out)
