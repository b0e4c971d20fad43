"""Sync: the plan's summary, the confirmation gate, the push with its progress, and the last result."""

import json

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
    cols = st.columns(6)
    for col, (label, value) in zip(
        cols,
        [
            ("Creates", t["create"]),
            ("Links", t["link"]),
            ("Updates", t["update"]),
            ("Excluded", t["skip_excluded"]),
            ("Unresolved conflicts", t["skip_conflict"]),
            ("Unchanged", t["unchanged"]),
        ],
        strict=True,
    ):
        col.metric(label, value)
    with st.expander(f"Plan: {len(plan.operations)} operation(s)"):
        st.dataframe(plan.to_frame(), hide_index=True)

    st.subheader("Confirm")
    skip = False
    if t["skip_conflict"]:
        st.warning(
            f"{t['skip_conflict']} conflict(s) are unresolved. Resolve them on the Review page, or leave them out of this push."
        )
        skip = st.checkbox(f"Skip the {t['skip_conflict']} unresolved conflict(s) in this push", key="sync.skip")
    expected = str(t["create"]) if t["create"] else "push"
    prompt = f"Type the number of accounts to create ({expected}) to confirm" if t["create"] else "Type push to confirm"
    typed = st.text_input(prompt, key="sync.confirm")
    nothing = not plan.actionable()
    ready = typed.strip() == expected and (skip or not t["skip_conflict"]) and not nothing
    if nothing:
        st.info("Nothing to push: every in-scope record is synced, excluded or a skipped conflict.")
    if st.button("Push to Equify", type="primary", disabled=not ready, key="sync.push"):
        bar = st.progress(0.0, text="Starting the push…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"{done} / {total} operations")

        result = workflow.push_workspace(ws, skip_conflicts=skip, expected_creates=t["create"], progress=progress)
        st.session_state.pop("sync.confirm", None)
        state.flash("success", f"Push {result.run_id} finished: {json.dumps(result.summary())}")
        st.rerun()

st.subheader("Last push")
runs = ws.push_runs()
if runs.empty:
    st.caption("No push yet.")
else:
    last = runs.iloc[0]
    totals = json.loads(last["totals"]) if last["totals"] else {}
    st.write(f"Run `{last['run_id']}` · {last['status']} · started {last['started_at']:%Y-%m-%d %H:%M:%S} UTC")
    st.json({k: totals.get(k) for k in ("created", "linked", "updated", "skipped", "failed") if k in totals})
    st.dataframe(
        ws.journal(last["run_id"])[["seq", "source_id", "op", "account_id", "status", "error"]], hide_index=True
    )
