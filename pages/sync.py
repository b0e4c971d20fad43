"""Sync: the plan's summary, the confirmation gate, the push in its worker, and its progress."""

import streamlit as st

from reconcile import workflow
from reconcile.sync.gate import push_gate
from ui import state
from ui import sync as sync_ui
from ui.text import md

st.title("Sync")
flashed = list(st.session_state.get(state.FLASH_KEY, []))  # shown again if the page reruns below
state.show_flash()
ws = state.workspace()
shown_at = ws.revision  # the plan below is the workspace's at this revision, or a later one
with state.reported():
    plan = state.plan(ws)
    t = plan.totals()
    figures = plan.summary()  # each record in exactly one figure: they add up to plan.records
    for col, figure in zip(st.columns(len(figures)), figures, strict=True):
        col.metric(figure.label, figure.count, help=figure.help)
    st.caption(f"{md(plan.records)} record(s) in all, each counted once.")
    unsendable = plan.unsendable()
    if not unsendable.empty:
        values = int((unsendable["field"] != "name").sum())
        st.warning(
            f"Not sent: {values:d} value(s) that cannot be written to Equify (placeholder or invalid emails, "
            f"unreadable phones or dates). Not created: {t['skip_incomplete']:d} record(s) with no usable name "
            "and no usable email. They are listed below; correct them in Payfit to send them."
        )
        with st.expander(f"Unsendable values and records ({len(unsendable)})"):
            st.dataframe(unsendable, hide_index=True)
    sendable = len(plan.actionable())
    with st.expander(f"Dry run: {sendable:d} operation(s) to send, {t['skip']:d} skipped"):
        st.dataframe(plan.to_frame(), hide_index=True)

    sync_ui.approvals_panel(ws, plan)

    st.subheader("Confirm")
    target = sync_ui.target_picker()
    sync_ui.resume_panel(ws, target)
    skip = False
    if t["skip_conflict"]:
        st.warning(
            f"{t['skip_conflict']:d} conflict(s) are unresolved. Resolve them on the Review page, or leave them out of this push."
        )
        skip = sync_ui.skip_box(t["skip_conflict"])  # one key whatever the target, kept for the session
    # The gate (reconcile.sync.gate.push_gate, as the CLI's): conflicts, then the typed confirmation.
    accounts = ws.counts()["equify_accounts"]
    asked = push_gate(plan, skip_conflicts=skip, accounts=accounts)
    for warning in asked.warnings:
        st.warning(md(warning[:1].upper() + warning[1:] + "."))
    right = sync_ui.customer_box(asked.customer_question)  # asked before the typed number
    # The plan's digest: what the click confirms; what was typed for another plan (before a
    # run, before an edit) is cleared, so it never confirms this one.
    digest = sync_ui.plan_digest(ws, plan)
    typed = sync_ui.confirm_box(asked.prompt, asked.expected, digest)
    gate = push_gate(plan, skip_conflicts=skip, typed=typed, accounts=accounts, right_customer=right)
    running = workflow.push_runs(ws)
    live = not running.empty and workflow.run_progress(ws, str(running.iloc[0]["run_id"])).live
    sync_ui.gate_status(gate, typed=typed, live=live)  # its counts, and why Push stays disabled
    ready = gate.open and not gate.nothing_to_send and target is not None
    if not sendable:
        st.info("Nothing to send: every in-scope record is synced and unchanged, excluded, or a skipped conflict.")
    sync_ui.push_button(ws, target, digest=digest, creates=t["create"], skip=skip, ready=ready and not live)

st.subheader("Last push")
with state.reported():
    sync_ui.run_panel(ws)
sync_ui.rerun_if_stale(ws, shown_at, flashed)
