"""Mapping: which collaborators to sync (the relation) and which Payfit field feeds each Equify field."""

import streamlit as st

from reconcile import FieldMapping, Relation, workflow
from reconcile.payfit import MAPPABLE_COLUMNS
from ui import state

NOT_SYNCED = "— not synced —"

st.title("Mapping")
state.show_flash()
ws = state.workspace()
stored_relation, stored_mapping = ws.relation(), ws.mapping()

st.subheader("Relation")
st.write("Which Payfit collaborators become Equify **employee** accounts. Active employees are always synced.")
leavers = st.checkbox(
    "Also leavers (termination date in the past)", value=stored_relation.include_leavers, key="mapping.leavers"
)
no_contract = st.checkbox(
    "Also people without any contract (typically admins)",
    value=stored_relation.include_without_contract,
    key="mapping.no_contract",
)
relation = Relation(include_leavers=leavers, include_without_contract=no_contract)
scope = workflow.scope_counts(ws, relation)
st.caption(
    f"**{scope['in_scope']}** collaborators in scope: {scope['active']} active, "
    f"{scope['leaver']} leavers, {scope['no_contract']} without a contract in the workspace."
)

st.subheader("Fields")
st.write("For each Equify field, the Payfit field that feeds it. The email is the personal one when there is one.")
options = [NOT_SYNCED, *MAPPABLE_COLUMNS]
chosen = {}
cols = st.columns(2)
for n, (field, column) in enumerate(stored_mapping.pairs):
    current = column if column in MAPPABLE_COLUMNS else NOT_SYNCED
    pick = cols[n % 2].selectbox(
        f"Equify `{field}` ←", options, index=options.index(current), key=f"mapping.field.{field}"
    )
    chosen[field] = None if pick == NOT_SYNCED else pick
mapping = FieldMapping.from_dict(chosen)

issues = workflow.mapping_issues(ws, mapping)
for issue in issues:
    (st.error if issue.level == "error" else st.warning)(issue.message)
errors = [i for i in issues if i.level == "error"]

st.subheader("Preview")
st.caption("The first in-scope records as Equify would receive them (phones in E.164, emails normalised).")
st.dataframe(workflow.mapping_preview(ws, mapping), hide_index=True)

changed = mapping != stored_mapping or relation != stored_relation
if st.button("Save mapping", type="primary", disabled=bool(errors) or not changed, key="mapping.save"):
    with state.reported():
        ws.set_relation(relation)
        ws.set_mapping(mapping)
        state.flash("success", "Mapping saved. The Review page now uses it.")
        st.rerun()
if not changed:
    st.caption("The mapping shown is the one saved in the workspace.")
