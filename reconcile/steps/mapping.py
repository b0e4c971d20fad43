"""Mapping: the preview of the first records as Equify would receive them, and what is wrong with a mapping (the Mapping page; ``reconcile mapping``)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ..matching.matcher import canonical_source
from ..matching.normalize import clean_text, normalize_date, remembered_phone
from ..matching.values import prepare_value
from ..models import FieldMapping, MappingIssue, Relation
from ..sources.payfit import MAPPABLE_COLUMNS
from ..store.workspace import Workspace
from .match import scoped_source
from .review import _name, _names

log = logging.getLogger(__name__)


def mapping_preview(ws: Workspace, mapping: FieldMapping, rows: int = 10) -> pd.DataFrame:
    """The first ``rows`` in-scope Payfit records as Equify would receive them.

    Columns: the mapped Equify fields, values after the mapping's transforms and prepared
    as a push would write them (emails normalised, phones in E.164, dates ISO). Unknown
    columns and the match-only fields (never sent: ``birthName``, ``secondLastName``) are skipped.
    """
    from ..sources.mapping import MATCH_ONLY_FIELDS

    source = scoped_source(ws).head(rows)
    usable: dict[str, str | None] = {
        f: c for f, c in mapping.mapped().items() if c in source.columns and f not in MATCH_ONLY_FIELDS
    }
    canon = canonical_source(source, FieldMapping.from_dict(usable, dict(mapping.transforms)))
    out = pd.DataFrame(index=canon.index)
    for f in usable:
        out[f] = [prepare_value(f, v, hint=h) for v, h in zip(canon[f], canon["_hint"], strict=True)]
    return out


def phone_summary(
    ws: Workspace, mapping: FieldMapping | None = None, source: pd.DataFrame | None = None
) -> dict[str, Any] | None:
    """What the in-scope Payfit phones look like: ``assumed`` (int: written without a country
    code), ``ambiguous`` (int: could belong to another country), ``unreadable`` (list of
    ``"Name (raw)"``: invalid or corrupted); ``None`` when no phone field is mapped."""
    mapping = ws.mapping() if mapping is None else mapping
    source = scoped_source(ws) if source is None else source
    col = mapping.mapped().get("phoneNumber")
    if col not in source.columns:
        return None
    phones = [remembered_phone(v, "FR", h) for v, h in zip(source[col], source["country"], strict=True)]
    bad = [i for i, p in enumerate(phones) if p.status in ("invalid", "corrupted")]
    names = _names(source["firstName"].iloc[bad], source["lastName"].iloc[bad])
    return {
        "assumed": sum("country_code_assumed" in p.flags for p in phones),
        "ambiguous": sum("region_ambiguous" in p.flags for p in phones),
        "unreadable": [
            f"{name} ({phones[i].raw}{', corrupted by a spreadsheet' if phones[i].status == 'corrupted' else ''})"
            for i, name in zip(bad, names, strict=True)
        ],
    }


def mapping_issues(ws: Workspace, mapping: FieldMapping) -> list[MappingIssue]:
    """The mapping's errors and warnings, plus data warnings on the in-scope records.

    Data warnings: a mapped column that is mostly empty (over half), birth dates that
    cannot be read (named), phones written without a country code (how many, and what
    the default region makes of them) and phones that cannot be read (named).
    """
    issues = mapping.issues(MAPPABLE_COLUMNS)
    source = scoped_source(ws)
    if source.empty:
        return issues
    for f, col in mapping.mapped().items():
        if col in source.columns:
            empty = source[col].map(clean_text).isna().mean()
            if empty > 0.5:
                issues.append(MappingIssue("warning", f, f"{f} ← {col}: {empty:.0%} of the records have no value"))
    birth_col = mapping.mapped().get("birthDate")
    if birth_col in source.columns:
        bad_dates = [
            f"{_name(r.firstName, r.lastName)} ({v})"
            for r, v in zip(source.itertuples(), source[birth_col], strict=True)
            if clean_text(v) is not None and normalize_date(v) is None
        ]
        if bad_dates:
            issues.append(_unreadable("birthDate", "birth date", bad_dates))
    summary = phone_summary(ws, mapping, source)
    if summary is not None:
        assumed, ambiguous, unreadable = summary["assumed"], summary["ambiguous"], summary["unreadable"]
        if assumed:
            issues.append(
                MappingIssue(
                    "warning",
                    "phoneNumber",
                    f"{assumed} phone number(s) have no country code: read with the address country, else as French (+33)"
                    + (f"; {ambiguous} could belong to another country" if ambiguous else ""),
                )
            )
        if unreadable:
            issues.append(_unreadable("phoneNumber", "phone number", unreadable))
    return issues


def _unreadable(field: str, what: str, named: list[str], shown: int = 5) -> MappingIssue:
    """The warning for values that cannot be read and will not be sent, naming the first records."""
    more = f" and {len(named) - shown} more" if len(named) > shown else ""
    return MappingIssue(
        "warning",
        field,
        f"{len(named)} {what}(s) cannot be read and will not be sent: " + "; ".join(named[:shown]) + more,
    )


def scope_counts(ws: Workspace, relation: Relation | None = None) -> dict[str, int]:
    """How many Payfit records each status has, and how many ``relation`` keeps.

    ``{"active": n, "leaver": n, "no_contract": n, "in_scope": n}``.
    """
    relation = relation or ws.relation()
    status = ws.payfit_records()["status"].value_counts()
    out = {s: int(status.get(s, 0)) for s in ("active", "leaver", "no_contract")}
    out["in_scope"] = sum(out[s] for s in relation.statuses())
    return out
