"""Sync: the plan's summary, the confirmation gate, the push with its progress, and the last result."""

import json
import time

import streamlit as st

from reconcile import workflow
from ui import state

st.title("Sync")
state.show_flash()
ws = state.workspace()
with state.reported():
    plan = state.plan(ws)
    t = plan.totals()
    st.caption("Target: the embedded Equify space in the workspace.")
    figures = [
        ("Creates", t["create"]),
        ("Links", t["link"]),
        ("Updates", t["update"]),
        ("Excluded", t["skip_excluded"]),
        ("Unresolved conflicts", t["skip_conflict"]),
        ("Unchanged", t["unchanged"]),
    ]
    for col, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        col.metric(label, value)
    sendable = len(plan.actionable())
    with st.expander(f"Plan: {sendable} operation(s) to send, {t['skip']} skipped"):
        st.dataframe(plan.to_frame(), hide_index=True)

    st.subheader("Confirm")
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
    ready = typed.strip() == expected and (skip or not t["skip_conflict"]) and sendable > 0
    if not sendable:
        st.info("Nothing to send: every in-scope record is synced and unchanged, excluded, or a skipped conflict.")
    if st.button("Push to Equify", type="primary", disabled=not ready, key="sync.push"):
        bar = st.progress(0.0, text="Starting the push…")
        shown = [0.0]

        def progress(done: int, total: int) -> None:
            if done == total or time.monotonic() - shown[0] > 0.2:  # the browser needs no more
                shown[0] = time.monotonic()
                bar.progress(done / total, text=f"{done} / {total} operations")

        result = workflow.push_workspace(ws, skip_conflicts=skip, expected_creates=t["create"], progress=progress)
        state.flash("success", f"Push {result.run_id} finished in {result.seconds:.1f} s.")
        st.rerun()

st.subheader("Last push")
runs = workflow.push_runs(ws)
if runs.empty:
    st.caption("No push yet.")
else:
    last = runs.iloc[0]
    totals = json.loads(last["totals"]) if last["totals"] else {}
    st.write(f"Run `{last['run_id']}` · **{last['status']}** · started {last['started_at']:%Y-%m-%d %H:%M:%S} UTC")
    labels = [
        ("created", "Created"),
        ("linked", "Linked"),
        ("updated", "Updated"),
        ("skipped", "Skipped (excluded + conflicts)"),
        ("failed", "Failed"),
    ]
    for col, (key, label) in zip(st.columns(len(labels)), labels, strict=True):
        col.metric(label, totals.get(key, "–"))
    st.dataframe(workflow.run_journal(ws, last["run_id"]), hide_index=True)
