"""Mapping: which collaborators to sync (the relation), which Payfit field feeds each Equify field and how."""

import streamlit as st

from reconcile import Relation, workflow
from ui import mapping as mapping_ui
from ui import state
from ui.text import md

st.title("Mapping")
state.show_flash()
ws = state.workspace()
stored_relation, stored_mapping = ws.relation(), ws.mapping()
mapping_ui.apply_pending()

st.subheader("Relation")
st.write("Which Payfit collaborators become Equify **employee** accounts. Active employees are always synced.")
leavers = st.checkbox(
    "Also leavers (termination date in the past)",
    key="mapping.leavers",
    **mapping_ui._default("mapping.leavers", value=stored_relation.include_leavers),
)
no_contract = st.checkbox(
    "Also people without any contract (typically admins)",
    key="mapping.no_contract",
    **mapping_ui._default("mapping.no_contract", value=stored_relation.include_without_contract),
)
relation = Relation(include_leavers=leavers, include_without_contract=no_contract)
scope = workflow.scope_counts(ws, relation)
st.caption(
    f"**{scope['in_scope']:d}** collaborators in scope: {scope['active']:d} active, "
    f"{scope['leaver']:d} leavers, {scope['no_contract']:d} without a contract in the workspace."
)

st.subheader("Fields")
st.write(
    "For each Equify field, the Payfit field that feeds it and a transform applied before matching and the "
    "sync. The email is the personal one when there is one."
)
mapping = mapping_ui.field_table(stored_mapping)
mapping_ui.suggest_button(mapping, relation)

issues = workflow.mapping_issues(ws, mapping)
for issue in issues:
    (st.error if issue.level == "error" else st.warning)(md(issue.message))
errors = [i for i in issues if i.level == "error"]
with state.reported():
    mapping_ui.phone_notice(state.flagged_phones(ws, mapping), "mapping.phones")

st.subheader("Preview")
st.caption("The first in-scope records as Equify would receive them (after the transforms; phones E.164).")
st.dataframe(workflow.mapping_preview(ws, mapping), hide_index=True)

changed = mapping != stored_mapping or relation != stored_relation
if st.button("Save mapping", type="primary", disabled=bool(errors) or not changed, key="mapping.save"):
    with state.reported():
        if relation != stored_relation:
            ws.set_relation(relation, operator=state.operator())
        ws.set_mapping(mapping, operator=state.operator())
        state.flash("success", "Mapping saved. The Review page now uses it.")
        st.rerun()
if changed:
    st.info(
        "Unsaved changes: save them for Review and the sync to use them. A profile downloaded below holds the table as shown."
    )
else:
    st.caption("The mapping shown is the one saved in the workspace.")

st.subheader("Profiles")
st.caption("A profile is this mapping and relation as a JSON file, to reuse in another workspace or migration.")
mapping_ui.profile_panel(mapping, relation)
