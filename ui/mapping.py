"""The Mapping page's widgets: the field table, suggestions and mapping profiles.

Session-state keys owned here: ``mapping.field.<field>`` and ``mapping.transform.<field>``
(one Payfit column and one transform per Equify field), ``mapping.leavers`` and
``mapping.no_contract`` (the relation), ``mapping.pending`` (a mapping and relation to
show on the next run: a loaded profile or the suggestions) and ``mapping.profile_applied``
(the id of the last profile file applied, so it is applied once).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from reconcile import FieldMapping, InputError, Relation
from reconcile.models import TRANSFORMS
from reconcile.sources.mapping import MATCH_ONLY_FIELDS, profile_json, read_profile, suggest_mapping
from reconcile.sources.payfit import MAPPABLE_COLUMNS

from .text import md

NOT_SYNCED = "— not synced —"
PENDING = "mapping.pending"
TRANSFORM_WORDS = {
    "none": "as is",
    "trim": "trim spaces",
    "upper": "UPPER CASE",
    "lower": "lower case",
    "title": "Title Case",
    "phone_e164": "phone to E.164",
    "date_iso": "date to YYYY-MM-DD",
}


def apply_pending() -> None:
    """Put a pending mapping and relation (a loaded profile, the suggestions) into the widgets.

    Called before the widgets are drawn, so their keys may still be set this run.
    """
    pending = st.session_state.pop(PENDING, None)
    if pending is None:
        return
    mapping, relation = pending
    for field, column in mapping.pairs:
        st.session_state[f"mapping.field.{field}"] = column if column in MAPPABLE_COLUMNS else NOT_SYNCED
        st.session_state[f"mapping.transform.{field}"] = mapping.transform(field)
    st.session_state["mapping.leavers"] = relation.include_leavers
    st.session_state["mapping.no_contract"] = relation.include_without_contract


def field_table(stored: FieldMapping) -> FieldMapping:
    """One row per Equify field: the Payfit field that feeds it and its transform; then one row
    per match-only field (:data:`MATCH_ONLY_FIELDS`: alternate last names, read for matching
    and never sent). A match-only field left unmapped is left out of the mapping returned."""
    options = [NOT_SYNCED, *MAPPABLE_COLUMNS]
    head = st.columns([2, 3, 2])
    head[0].markdown("**Equify field**")
    head[1].markdown("**Payfit field**")
    head[2].markdown("**Transform**")
    chosen: dict[str, str | None] = {}
    transforms: dict[str, str] = {}
    stored_fields = dict(stored.pairs)
    rows = [(f, c) for f, c in stored.pairs if f not in MATCH_ONLY_FIELDS]
    match_only = [(f, stored_fields.get(f)) for f in MATCH_ONLY_FIELDS]
    for field, column in rows + match_only:
        if field == MATCH_ONLY_FIELDS[0]:
            st.markdown(
                "**Alternate last names, for matching only** (never sent to Equify): a birth or maiden name, a "
                "second last name. An account holding it as its last name is then a possible match, with the "
                "reason saying so."
            )
        row = st.columns([2, 3, 2])
        if field in MATCH_ONLY_FIELDS:
            row[0].markdown(md(field) + " *(match only)*")
        else:
            row[0].markdown(md(field))
        current = column if column in MAPPABLE_COLUMNS else NOT_SYNCED
        field_key, transform_key = f"mapping.field.{field}", f"mapping.transform.{field}"
        pick = row[1].selectbox(
            f"Payfit field for {md(field)}",
            options,
            key=field_key,
            label_visibility="collapsed",
            **_default(field_key, index=options.index(current)),
        )
        transform = row[2].selectbox(
            f"Transform of {md(field)}",
            TRANSFORMS,
            format_func=TRANSFORM_WORDS.__getitem__,  # it words every transform
            key=transform_key,
            label_visibility="collapsed",
            **_default(transform_key, index=TRANSFORMS.index(stored.transform(field))),
        )
        if field in MATCH_ONLY_FIELDS and field not in stored_fields and pick == NOT_SYNCED:
            continue  # not part of the stored mapping, not chosen: the mapping stays as stored
        chosen[field] = None if pick == NOT_SYNCED else pick
        transforms[field] = transform
    return FieldMapping.from_dict(chosen, transforms)


def _default(key: str, **default: Any) -> dict[str, Any]:
    """A widget's default, unless its value is already in the session state (set by a loaded
    profile or the suggestions): Streamlit warns when a widget gets both."""
    return {} if key in st.session_state else default


def suggest_button(mapping: FieldMapping, relation: Relation) -> None:
    """Fill the Payfit fields from their names (French or English synonyms); transforms stay."""
    if st.button("Suggest from field names", key="mapping.suggest"):
        suggested = suggest_mapping(list(MAPPABLE_COLUMNS))
        st.session_state[PENDING] = (FieldMapping.from_dict(suggested.as_dict(), dict(mapping.transforms)), relation)
        st.rerun()


def profile_panel(mapping: FieldMapping, relation: Relation) -> None:
    """Save the mapping shown as a JSON profile, or load one into the table."""
    left, right = st.columns(2)
    left.download_button(
        "Download this mapping as a profile",
        data=profile_json(mapping, relation),
        file_name="mapping-profile.json",
        mime="application/json",
        key="mapping.profile_download",
    )
    upload = right.file_uploader("Load a mapping profile (JSON)", type=["json"], key="mapping.profile_file")
    if upload is None or st.session_state.get("mapping.profile_applied") == upload.file_id:
        return
    try:
        loaded = load_profile(upload.getvalue(), upload.name)
    except InputError as exc:
        st.error(md(exc))
        return
    st.session_state["mapping.profile_applied"] = upload.file_id
    st.session_state[PENDING] = loaded
    st.rerun()


def load_profile(data: bytes | str, name: str) -> tuple[FieldMapping, Relation]:
    """Read a profile for this workspace: :func:`read_profile`, and every source column must
    be a Payfit field. Raises :class:`InputError` naming the file and the field."""
    mapping, relation = read_profile(data, name=name)
    for field, column in mapping.pairs:
        if column is not None and column not in MAPPABLE_COLUMNS:
            raise InputError(f"{name}: {field} ← {column!r}, but the Payfit records have no such field")
    return mapping, relation


def phone_notice(flagged: pd.DataFrame, key: str, *, shown: int = 10) -> None:
    """Name the people whose phone is not sent in E.164 (:func:`reconcile.matching.values.flagged_phones`):
    a warning naming those written as typed (only possible, another country than the address,
    ambiguous), and every flagged phone in an expander with the reason. ``key`` keys the table."""
    if flagged.empty:
        return
    as_typed = flagged[flagged["sent"].notna()]
    if not as_typed.empty:
        named = [f"{n} ({p})" for n, p in zip(as_typed["name"], as_typed["phone"], strict=True)]
        more = f" and {len(named) - shown} more" if len(named) > shown else ""
        st.warning(
            md(
                f"{len(named)} phone number(s) are not valid as written and go to Equify as typed, never as "
                f"+E.164: {', '.join(named[:shown])}{more}. Correct them in Payfit to send them in E.164."
            )
        )
    with st.expander(f"Phones not sent in E.164 ({len(flagged)})"):
        st.dataframe(
            flagged[["name", "phone", "sent", "why"]].rename(columns={"sent": "written to Equify"}),
            hide_index=True,
            key=key,
        )
