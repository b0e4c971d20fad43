"""Sync components: the target picker and the run panel that follows a push in its worker."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from reconcile import ReconcileError, Workspace, workflow
from reconcile.exceptions import ConfirmationRequired
from reconcile.sync.gate import PushGate, push_gate
from reconcile.sync.plan import Plan
from reconcile.sync.targets import EmbeddedTarget, HttpTarget, Target

from .text import code, md

TARGET_KEY = "sync.target"
TARGETS = {"embedded": "Embedded (the Equify space in the workspace)", "http": "HTTP (an Equify-side REST endpoint)"}


def target_picker() -> Callable[[], Target] | None:
    """The push target chosen (key ``sync.target``), as a function that makes it when the push
    starts (an http target holds connections: none is opened on a mere rerun); ``None`` while
    the http target lacks its URL or token. The token is typed in a password field, kept in
    this session only, never shown nor logged."""
    kind = st.radio("Target", list(TARGETS), format_func=TARGETS.get, horizontal=True, key=TARGET_KEY)
    if kind == "embedded":
        return EmbeddedTarget
    c1, c2 = st.columns(2)
    url = c1.text_input("Base URL", key=f"{TARGET_KEY}.http.url", placeholder="http://127.0.0.1:8800").strip()
    token = c2.text_input("Bearer token", type="password", key=f"{TARGET_KEY}.http.token").strip()
    if not url or not token:
        st.caption("The http target needs its base URL and a bearer token (see the README: REST contract).")
        return None
    if not url.startswith(("http://", "https://")):
        st.error(f"The base URL must start with http:// or https://, not {md(repr(url))}.")
        return None
    return lambda: HttpTarget(url, token)


def _counts(progress: workflow.RunProgress, where: Any = st) -> None:
    """The run's operations so far (done, failed, pending, total) as metrics in ``where``."""
    figures = [
        ("Done", progress.done),
        ("Failed", progress.failed),
        ("Pending", progress.pending),
        ("Total", progress.total),
    ]
    for col, (label, value) in zip(where.columns(len(figures)), figures, strict=True):
        col.metric(label, value)


def run_panel(ws: Workspace) -> None:
    """The newest run: live progress while a worker executes it (refreshed every second, so a
    reloaded or reopened page re-attaches), then its counts and journal."""
    runs = workflow.push_runs(ws)
    if runs.empty:
        st.caption("No push yet.")
        return
    run_id = str(runs.iloc[0]["run_id"])
    progress = workflow.run_progress(ws, run_id)
    if progress.live:
        _live(ws, run_id)
        return
    _finished(ws, runs.iloc[0], progress)


@st.fragment(run_every=1.0)
def _live(ws: Workspace, run_id: str) -> None:
    progress = workflow.run_progress(ws, run_id)
    if not progress.live:
        from . import state

        state.rerun_keeping_flash()  # the whole page: the plan and the figures changed
    # Filled through the container, never as ``with st.status(...)``: leaving that block marks
    # the status complete (a ✓) while the run is still live. It stays "running" (a spinner)
    # until the run ends; then the page reruns and shows the finished run instead (_finished).
    box = st.status(
        f"Push run {code(run_id)} to the {md(progress.target)} target is running…", expanded=True, state="running"
    )
    finished = progress.done + progress.failed + progress.skipped
    share = finished / progress.total if progress.total else 1.0
    box.progress(share, text=f"{finished:d} / {progress.total:d} operations")
    _counts(progress, box)
    box.caption("It runs on the server: closing or reloading this page does not stop it.")


def _finished(ws: Workspace, run: pd.Series, progress: workflow.RunProgress) -> None:
    totals = json.loads(run["totals"]) if run["totals"] else {}
    st.write(
        f"Run {code(run['run_id'])} to the {md(progress.target)} target · **{md(progress.status)}** · "
        f"started {run['started_at']:%Y-%m-%d %H:%M:%S} UTC"
    )
    if progress.status == "interrupted":
        st.warning(
            f"This run was cut short with {progress.pending:d} operation(s) left: the next push to the "
            f"{md(progress.target)} target finishes it first, and creates nothing twice."
        )
    if progress.error:
        st.error(f"The run stopped: {md(progress.error)}")
    labels = [
        ("created", "Created"),
        ("linked", "Linked"),
        ("updated", "Updated"),
        ("skipped", "Skipped"),
        ("failed", "Failed"),
    ]
    for col, (key, label) in zip(st.columns(len(labels)), labels, strict=True):
        col.metric(label, totals.get(key, "–"))
    st.dataframe(workflow.run_journal(ws, str(run["run_id"])), hide_index=True)


APPROVE_KEY = "sync.approve"


def approvals_panel(ws: Workspace, plan: Plan) -> None:
    """The changes to names, emails and birth dates of synced accounts that wait for approval:
    a table, and approve the ticked ones or all (keys under ``sync.approve``)."""
    held = plan.held()
    if held.empty:
        return
    with st.expander(md(push_gate(plan).held_sentence()), expanded=True):
        st.dataframe(held, hide_index=True)
        labels = {
            f"{r.name} · {r.field}: {r.before or '∅'} → {r.after}": i
            for i, r in enumerate(held.itertuples(index=False))
        }
        picked = st.multiselect("Approve these", list(labels), key=f"{APPROVE_KEY}.pick", placeholder="Choose changes")
        c1, c2 = st.columns(2)
        if c1.button("Approve the chosen", disabled=not picked, key=f"{APPROVE_KEY}.some"):
            n = workflow.approve_held(ws, held.iloc[[labels[p] for p in picked]])
            _approved(n)
        if c2.button(f"Approve all {len(held)}", key=f"{APPROVE_KEY}.all"):
            _approved(workflow.approve_held(ws, held))


def _approved(n: int) -> None:
    from . import state

    state.flash("success", f"Approved {n} change(s): the next push sends them.")
    st.session_state.pop(f"{APPROVE_KEY}.pick", None)
    st.rerun()


def resumes_to(unfinished: workflow.RunProgress, kind: str, url: str = "") -> bool:
    """True when the target chosen (``kind``: ``embedded`` or ``http``, with its ``url``) is the
    one ``unfinished`` is bound to: the same kind, and the same base URL when the run knows it
    (the library refuses another anyway: this only keeps *Finish run* disabled up front)."""
    if kind != unfinished.target:
        return False
    chosen = HttpTarget.identity_for(url) if kind == "http" else EmbeddedTarget.identity
    return unfinished.identity is None or unfinished.identity == chosen


def resume_panel(ws: Workspace, target: Callable[[], Target] | None) -> None:
    """A run cut short (the server stopped mid-push, or the target refused its token): finish
    it, as it was confirmed, before anything new (key ``sync.resume``). The target chosen above
    must be the run's: the same kind, and the same URL (the library refuses another)."""
    unfinished = workflow.unfinished_run(ws)
    if unfinished is None:
        return
    bound = unfinished.identity or f"{unfinished.target} target"
    st.warning(
        f"Push run {code(unfinished.run_id)} to the {md(bound)} was cut short with "
        f"{unfinished.pending:d} of {unfinished.total:d} operation(s) left. Finish it first: it sends only what "
        "was confirmed then, to that target only, and creates nothing twice."
    )
    if unfinished.error:
        st.error(f"It stopped: {md(unfinished.error)}")
    chosen = st.session_state.get(TARGET_KEY, "embedded")
    url = st.session_state.get(f"{TARGET_KEY}.http.url", "")
    ready = target is not None and resumes_to(unfinished, chosen, url)
    if not ready:
        st.caption(f"Choose the {md(bound)} above (with a valid token) to finish it.")
    if st.button(f"Finish run {md(unfinished.run_id)}", disabled=not ready, key="sync.resume"):
        from . import state

        run_id = workflow.start_push_workspace(
            ws,
            target=target(),  # type: ignore[misc]
            skip_conflicts=True,
            owns_target=True,
            resume=unfinished.run_id,  # a second click never starts a new push
        )
        state.flash("info", f"Finishing push run {run_id}.")
        st.rerun()


SKIP_KEY = "sync.skip"
#: The skip choice as last made, kept for the session: Streamlit forgets a widget's value when
#: a run does not draw it (another page, a plan without conflicts), this does not.
SKIP_KEPT_KEY = "sync.skip.kept"


def skip_box(conflicts: int) -> bool:
    """*Skip the unresolved conflicts in this push* (key ``sync.skip``, one key whatever the
    target): the person's choice, kept for the session (:data:`SKIP_KEPT_KEY`): choosing
    another target, or leaving the page and coming back, never unticks it."""
    if SKIP_KEY not in st.session_state and st.session_state.get(SKIP_KEPT_KEY):
        st.session_state[SKIP_KEY] = True  # drawn again after a run that did not draw it
    skip = st.checkbox(f"Skip the {conflicts:d} unresolved conflict(s) in this push", key=SKIP_KEY)
    st.session_state[SKIP_KEPT_KEY] = bool(skip)
    return bool(skip)


CUSTOMER_KEY = "sync.right_customer"


def customer_box(question: str) -> bool:
    """The gate's question when most people would be created while Equify already holds accounts
    (``""``: not asked, ``True``): the question in a warning, and a checkbox that answers it."""
    if not question:
        return True
    st.warning(md(question + "."))
    return bool(st.checkbox("Yes, this is the right customer", key=CUSTOMER_KEY))


def gate_status(gate: PushGate, *, typed: str, live: bool) -> None:
    """The gate in words and counts, following every choice: what this push sends and what
    happens to the unresolved conflicts; once something is ``typed`` (or while a run is
    ``live``), why *Push* stays disabled: a wrong number typed says it is not the number of
    accounts this push creates."""
    said = f"This push sends {gate.sendable:d} operation(s), {gate.creates:d} of them create(s)"
    if gate.conflicts and gate.skip_conflicts:
        said += f"; the {gate.conflicts:d} unresolved conflict(s) are left out of it"
    elif gate.conflicts:
        said += f"; {gate.conflicts:d} unresolved conflict(s) stop it until they are resolved or skipped"
    st.caption(said + ".")
    reasons = list(gate.reasons) if typed.strip() else []
    if live:
        reasons.append("a push is running (below): wait until it ends")
    if reasons:
        st.caption(md("Push stays disabled: " + "; ".join(reasons) + "."))


CONFIRM_KEY = "sync.confirm"
_DIGESTS: list[tuple[Plan, str, str]] = []  # (plan, basis, digest): the newest few, for reruns


def plan_digest(ws: Workspace, plan: Plan) -> str:
    """:func:`reconcile.workflow.plan_digest` of the plan shown, kept for the same plan object
    (the cached plan of a revision) and push basis: a rerun does not hash 100,000 operations."""
    basis = workflow.push_basis(ws)
    for kept, kept_basis, digest in _DIGESTS:
        if kept is plan and kept_basis == basis:
            return digest
    digest = workflow.plan_digest_with(plan, basis)
    _DIGESTS.insert(0, (plan, basis, digest))
    del _DIGESTS[4:]
    return digest


def confirm_box(prompt: str, expected: str, digest: str) -> str:
    """The typed confirmation (key ``sync.confirm.<expected>``): what was typed is kept for the
    plan ``digest`` it was typed for only; a page showing another plan starts empty."""
    key = f"{CONFIRM_KEY}.{expected}"
    if st.session_state.get(f"{CONFIRM_KEY}.for") != digest:
        st.session_state[f"{CONFIRM_KEY}.for"] = digest
        for stale in [
            k for k in st.session_state if str(k).startswith(f"{CONFIRM_KEY}.") and k != f"{CONFIRM_KEY}.for"
        ]:
            del st.session_state[stale]
    return st.text_input(prompt, key=key)


PUSH_KEY = "sync.push"
#: The confirmation a click on *Push* carries (set by the button's callback, before the rerun).
REQUEST_KEY = "sync.push.request"
#: Set from the click until the page shows a plan computed after it: the button stays disabled.
BUSY_KEY = "sync.push.busy"


def _pressed(digest: str, creates: int, skip: bool) -> None:
    """The *Push* button's callback: runs before the rerun, so a second click (landing while the
    first is handled) finds the button busy and is ignored. It carries the plan shown when it
    was clicked (its digest), never the plan of a later rerun."""
    if st.session_state.get(BUSY_KEY):
        return
    st.session_state[BUSY_KEY] = True
    st.session_state[REQUEST_KEY] = {"digest": digest, "creates": creates, "skip": skip}


def push_button(
    ws: Workspace, target: Callable[[], Target] | None, *, digest: str, creates: int, skip: bool, ready: bool
) -> None:
    """*Push to Equify* (key ``sync.push``): disabled unless ``ready``, and from the moment it is
    pressed until the page shows a plan computed after the push started. The click starts the
    run for the confirmed plan ``digest``; the library refuses a plan already pushed or changed
    since (no run is made then), and the page says why."""
    request = st.session_state.get(REQUEST_KEY)
    busy = bool(st.session_state.get(BUSY_KEY))
    st.button(
        "Push to Equify",
        type="primary",
        disabled=not ready or busy or target is None,
        key=PUSH_KEY,
        on_click=_pressed,
        args=(digest, creates, skip),
    )
    if request is None:
        if busy and not _running(ws):
            st.session_state.pop(BUSY_KEY, None)  # this page's plan was computed after the push
        return
    from . import state

    st.session_state.pop(REQUEST_KEY, None)
    try:
        if target is None:
            raise ConfirmationRequired("choose a target before pushing")
        run_id = workflow.start_push_workspace(
            ws,
            target=target(),
            skip_conflicts=bool(request["skip"]),
            expected_creates=int(request["creates"]),
            confirmed=str(request["digest"]),
            owns_target=True,
        )
        state.flash("info", f"Push run {run_id} started.")
    except ReconcileError as exc:
        state.flash("error", f"Nothing was pushed: {exc}")
    st.rerun()


def _running(ws: Workspace) -> bool:
    """True while a worker of this process executes the newest run."""
    runs = workflow.push_runs(ws)
    return not runs.empty and workflow.run_progress(ws, str(runs.iloc[0]["run_id"])).live


STALE_KEY = "sync.stale"


def rerun_if_stale(ws: Workspace, shown_at: int, flashed: list[tuple[str, str]]) -> None:
    """Once the page is drawn: when the workspace changed while it was (a run finished between
    the plan at the top and the run panel at the bottom) and no run is live (its panel reruns
    the page itself), run the page again, so the summary, the dry run and the typed gate show
    the plan as it is now; the messages ``flashed`` at the top of this run are shown again.
    At most once per revision."""
    now = ws.revision
    if now == shown_at or _running(ws) or st.session_state.get(STALE_KEY) == now:
        return
    st.session_state[STALE_KEY] = now
    from . import state

    for kind, message in flashed:
        state.flash(kind, message)
    st.rerun()
