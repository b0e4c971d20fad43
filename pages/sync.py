"""Sync: the plan's summary, the confirmation gate, the push in its worker, and its progress."""

import streamlit as st

from reconcile import workflow
from ui import state
from ui import sync as sync_ui

st.title("Sync")
state.show_flash()
ws = state.workspace()
with state.reported():
    plan = state.plan(ws)
    t = plan.totals()
    figures = [
        ("Creates", t["create"]),
        ("Links", t["link"]),
        ("Updates", t["update"]),
        ("Excluded", t["skip_excluded"]),
        ("Unresolved conflicts", t["skip_conflict"]),
        ("Waiting for approval", t["skip_held"] + sum(1 for op in plan.operations if op.op == "update" and op.held)),
        ("Leavers (kept)", t["skip_leaver"]),
        ("Unchanged", t["unchanged"]),
    ]
    for col, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        col.metric(label, value)
    sendable = len(plan.actionable())
    with st.expander(f"Dry run: {sendable} operation(s) to send, {t['skip']} skipped"):
        st.dataframe(plan.to_frame(), hide_index=True)

    sync_ui.approvals_panel(ws, plan)

    st.subheader("Confirm")
    target = sync_ui.target_picker()
    sync_ui.resume_panel(ws, target)
    skip = False
    if t["skip_conflict"]:
        st.warning(
            f"{t['skip_conflict']} conflict(s) are unresolved. Resolve them on the Review page, or leave them out of this push."
        )
        skip = st.checkbox(f"Skip the {t['skip_conflict']} unresolved conflict(s) in this push", key="sync.skip")
    expected = str(t["create"]) if t["create"] else "push"
    prompt = (
        f"Type the number of accounts to create ({expected}) and press Enter"
        if t["create"]
        else "Type push and press Enter"
    )
    # The key carries what is expected, so a confirmation typed for one plan never confirms another.
    typed = st.text_input(prompt, key=f"sync.confirm.{expected}")
    running = workflow.push_runs(ws)
    live = not running.empty and workflow.run_progress(ws, str(running.iloc[0]["run_id"])).live
    ready = typed.strip() == expected and (skip or not t["skip_conflict"]) and sendable > 0 and target is not None
    if not sendable:
        st.info("Nothing to send: every in-scope record is synced and unchanged, excluded, or a skipped conflict.")
    if st.button("Push to Equify", type="primary", disabled=not ready or live, key="sync.push"):
        run_id = workflow.start_push_workspace(
            ws, target=target(), skip_conflicts=skip, expected_creates=t["create"], owns_target=True
        )
        state.flash("info", f"Push run {run_id} started.")
        st.rerun()

st.subheader("Last push")
with state.reported():
    sync_ui.run_panel(ws)
