"""Review components: a set's table with ticking, and the conflict resolution panel."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from reconcile import CATEGORIES, Decision, MatchResult, ReconcileError, Workspace, workflow
from reconcile.models import Move

from . import state
from . import table as view
from .text import md

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig

#: The column that says, on its row, why a value typed in the table was refused.
NOT_SAVED = "not_saved"
# The review table's columns shown (ids, the set and the search text stay hidden): first what a
# reviewer decides on (the person, the action, the account, its score and why), visible at 1440
# px; then the Payfit details and the account's fields that can be typed in.
TABLE_COLUMNS = [
    "name", "action", "account", "score", "reason", "email", "phone", "team",
    "account_first", "account_last", "account_email", "account_phone",
]  # fmt: skip
LABELS: dict[str, ColumnConfig | str] = {
    view.TICK_COLUMN: st.column_config.CheckboxColumn("✓", help="Tick for the bulk action below the table"),
    "name": "Payfit record",
    "email": "Payfit email",
    "phone": "Phone (E.164)",
    "team": "Team",
    "action": "Action",
    "account": "Equify account",
    "account_first": st.column_config.TextColumn("Account first name", help="Edit to fix the Equify account"),
    "account_last": st.column_config.TextColumn("Account last name", help="Edit to fix the Equify account"),
    # No `validate` pattern: the grid would drop a value it refuses without a word; the workspace
    # checks the email and the row says why it was not saved.
    "account_email": st.column_config.TextColumn("Account email", help="Edit to fix the Equify account"),
    "account_phone": st.column_config.TextColumn("Account phone", help="Edit to fix the Equify account"),
    "score": st.column_config.NumberColumn("Score", format="%.0f"),
    "reason": st.column_config.TextColumn("Why", width="large"),
    NOT_SAVED: st.column_config.TextColumn("⚠ Not saved", help="The value typed was refused: why"),
}
EDIT_KEY = "review.edit"


def _labels(rows: pd.DataFrame) -> dict[str, str]:
    """``{label: source_id}``: ``"Name · email · id"`` per row (``no email`` when it has none),
    built column-wise (the conflict queue labels the whole set at once)."""
    email = rows["email"].where(rows["email"].notna() & (rows["email"] != ""), "no email")
    text = rows["name"].astype(str) + " · " + email.astype(str) + " · " + rows["source_id"].astype(str)
    return dict(zip(text.tolist(), rows["source_id"].tolist(), strict=True))


SET_KEY = "review.set"
FILTER_KEY = "review.filter"
PAGE_SIZE = 100


def filters(rows: pd.DataFrame) -> workflow.ReviewFilter:
    """Search and filters shared by the four sets (their keys start with ``review.filter``)."""
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    search = c1.text_input("Search", key=f"{FILTER_KEY}.search", placeholder="name, email, account, reason…")
    teams = sorted({t for t in rows["team"].dropna().unique()})
    team = c2.multiselect("Team", teams, key=f"{FILTER_KEY}.teams", placeholder="All teams")
    rules = c3.multiselect(
        "Decided by",
        list(workflow.RULE_LABELS),
        format_func=workflow.RULE_LABELS.__getitem__,  # the options are its keys
        key=f"{FILTER_KEY}.rules",
        placeholder="Any evidence",
    )
    low, high = c4.slider("Score", 0, 100, (0, 100), key=f"{FILTER_KEY}.score")
    return workflow.ReviewFilter(search, tuple(team), tuple(rules), (float(low), float(high)))


def found_elsewhere(rows: pd.DataFrame, result: MatchResult, view: workflow.ReviewFilter, category: str) -> None:
    """A search finds people wherever they are: those the search finds in the other sets, each
    named with their set ("Hélène Lefèvre is in *conflict*"), and a button per set to go there."""
    if not view.search.strip():
        return
    others = rows[rows["category"] != category]
    found = workflow.filter_review(others, result, workflow.ReviewFilter(search=view.search))
    if found.empty:
        return
    said = "; ".join(
        f"{md(name)} is in *{md(cat)}*" for name, cat in zip(found["name"][:5], found["category"][:5], strict=False)
    )
    more = f"; and {len(found) - 5:d} more" if len(found) > 5 else ""
    message = f"The search also finds: {said}{more}."  # each name and set went through md above
    st.info(message)
    sets = [c for c in CATEGORIES if c in set(found["category"])]
    for column, cat in zip(st.columns(len(sets)), sets, strict=True):
        n = int((found["category"] == cat).sum())
        column.button(f"Show the {md(cat)} set ({n:d})", key=f"review.found.{cat}", on_click=_show_set, args=(cat,))


def _show_set(category: str) -> None:
    st.session_state[SET_KEY] = category


def paged(rows: pd.DataFrame, category: str) -> pd.DataFrame:
    """The page of ``rows`` chosen with the page number (its key: ``review.page.<category>``)."""
    _, pages = view.page_of(rows, 1, PAGE_SIZE)
    if pages == 1:
        return rows
    page = st.number_input(
        f"Page (of {pages:d})", min_value=1, max_value=pages, value=1, step=1, key=f"review.page.{category}"
    )
    shown, _ = view.page_of(rows, int(page), PAGE_SIZE)
    first = (int(page) - 1) * PAGE_SIZE + 1
    st.caption(f"Rows {first:d}–{first + len(shown) - 1:d} of {len(rows)}")
    return shown


def tick_key(category: str) -> str:
    """The session-state key of a set's ticked people (labels of the multiselect under the table)."""
    return f"review.tick.{category}"


def set_table(rows: pd.DataFrame, category: str, total: int | None = None) -> None:
    """One set as a table with tick boxes, the same ticks as a multiselect (for picking by
    name), and the set's bulk action; ``total`` is the set's size before the search and filters."""
    if rows.empty:
        if total:
            st.info(f"None of the {total:d} records of the {md(category)} set matches the search and filters.")
        else:
            st.info(f"No record in the {md(category)} set.")
        return
    key = tick_key(category)
    labels = _labels(rows)
    if any(t not in labels for t in st.session_state.get(key, [])):  # rows left the page
        st.session_state[key] = [t for t in st.session_state[key] if t in labels]
    edit_table(rows, category, labels)
    ticked = st.multiselect("Ticked people", list(labels), key=key, placeholder="Tick rows, or choose people here")
    ids = [labels[t] for t in ticked]
    ws = state.workspace()
    if category == "excluded":
        if st.button("Remove from excluded", disabled=not ids, key=f"{key}.go"):
            _act(lambda: workflow.undecide_and_rematch(ws, ids), clear=key)
    elif st.button("Add to excluded", disabled=not ids, key=f"{key}.go"):
        _act(lambda: workflow.decide_and_rematch(ws, [Decision(i, "exclude") for i in ids]), clear=key)


def edit_table(rows: pd.DataFrame, category: str, labels: dict[str, str]) -> None:
    """The set's rows in an editor: a tick box per row, and the Equify account's names,
    email and phone can be typed in.

    Each edit is applied at once (matching runs again and the page says who moved); a tick
    goes to the set's ticked people (:func:`tick_key`). The editor's key carries the workspace
    revision, the rows shown and the ticks, so its changes always refer to the rows it was
    given: an edit is never lost nor applied to another row after sorting, filtering, paging
    or another edit (case U1).
    """
    ws = state.workspace()
    shown = rows.reset_index(drop=True)
    by_id = {sid: label for label, sid in labels.items()}
    ticked = {labels[t] for t in st.session_state.get(tick_key(category), []) if t in labels}
    table = shown[TABLE_COLUMNS].copy()
    table.insert(0, view.TICK_COLUMN, shown["source_id"].isin(ticked).to_numpy())
    refused = st.session_state.get(_refused_key(category), {})
    if any(sid in refused for sid in shown["source_id"]):  # said on the row, next to the person
        table.insert(2, NOT_SAVED, shown["source_id"].map(refused).to_numpy())  # next to the name
    for column in table.columns:  # an empty text cell reads blank, not "None"
        if table[column].dtype == object:
            table[column] = table[column].where(table[column].notna(), "")
    fingerprint = hash((tuple(shown["source_id"]), tuple(sorted(ticked))))
    # A refusal makes a new editor (its generation), so the refused cell shows the stored value
    # again and a later edit in this table is never held back by it.
    generation = st.session_state.get(f"{EDIT_KEY}.{category}.generation", 0)
    key = f"{EDIT_KEY}.{category}.{ws.revision}.{generation}.{fingerprint}"
    st.data_editor(
        table,
        hide_index=True,
        column_config=LABELS,
        disabled=[c for c in table.columns if c != view.TICK_COLUMN and c not in workflow.EDITABLE_REVIEW_COLUMNS],
        height=min(420, 38 + 35 * len(table)),  # no block of empty rows under a short set
        key=key,
        on_change=_apply_edits,
        args=(shown, key, category, by_id),
    )


def _refused_key(category: str) -> str:
    """Where the set's refused values are kept: ``{source_id: why}``."""
    return f"{EDIT_KEY}.{category}.refused"


def _apply_edits(shown: pd.DataFrame, key: str, category: str, by_id: dict[str, str]) -> None:
    """The editor's on_change: ticks go to the set's ticked people; what was typed goes to
    the accounts of the rows the editor was given, each cell on its own: the refused ones are
    said on their rows, the others saved."""
    edited = st.session_state.get(key, {}).get("edited_rows", {})
    if any(view.TICK_COLUMN in changes for changes in edited.values()):
        labels = {label: sid for sid, label in by_id.items()}
        before = [labels[t] for t in st.session_state.get(tick_key(category), []) if t in labels]
        ticked = view.table_ticks(shown, edited, before)
        st.session_state[tick_key(category)] = [by_id[i] for i in ticked]
    edited = {k: v for k, v in edited.items() if set(v) - {view.TICK_COLUMN}}
    if not edited:
        return
    try:
        done = view.edit_table_and_rematch(state.workspace(), shown, edited)
    except ReconcileError as exc:
        state.flash("error", f"Not saved: {exc}")
        st.toast(md(f"Not saved: {exc}"))
        return
    refused = {str(shown.iloc[k]["source_id"]): why for k, why in done.rejected.items() if 0 <= k < len(shown)}
    st.session_state[_refused_key(category)] = refused
    if done.rejected:
        generation = f"{EDIT_KEY}.{category}.generation"
        st.session_state[generation] = st.session_state.get(generation, 0) + 1
        names = ", ".join(str(shown.iloc[k]["name"]) for k in done.rejected if 0 <= k < len(shown))
        message = f"Not saved for {names}: see the ⚠ Not saved column"
        if done.saved:
            message += f" ({done.saved} other value(s) saved)"
        if done.moves:
            message += f". {state.moves_message(done.moves)}"
        state.flash("error", message)
        st.toast(md(message))
        return
    message = state.moves_message(done.moves) if done.moves else "Saved."
    state.flash("success", message)
    st.toast(md(message))  # the editor's new key can rerun the page once more: a toast stays on screen


CONFLICT_KEY = "review.conflict"


def conflict_panel(ws: Workspace, result: MatchResult, rows: pd.DataFrame) -> None:
    """Resolve the conflicts one after another (``rows``: the conflict set as searched and
    filtered, all its pages): Previous / Next (keyboard: Alt+P / Alt+N), how many are resolved
    since the queue started, its candidates side by side, link / create / exclude (Alt+L / Alt+A /
    Alt+X), or fix the account's email. The queue's start and the conflict shown are kept in the
    page's address, so a reload comes back to them; after a decision the next conflict is shown."""
    if rows.empty:
        return
    st.subheader("Resolve a conflict")
    labels = _labels(rows)
    order = list(labels)
    _restore_conflict(ws, labels)
    start = int(st.query_params.get(QUEUE_PARAM, 0))
    resolved = workflow.resolved_since(ws, result, start)
    total = resolved + int((result.records["category"] == "conflict").sum())
    st.progress(resolved / total if total else 1.0, text=f"{resolved:d} of {total:d} resolved")
    picked = st.selectbox("Conflict", order, key=CONFLICT_KEY)
    at = order.index(picked)
    back, ahead, where = st.columns([1, 1, 4])
    back.button("Previous", key=f"{CONFLICT_KEY}.previous", disabled=at == 0, shortcut="alt+p",
                on_click=_go_to, args=(order[max(at - 1, 0)],))  # fmt: skip
    ahead.button("Next", key=f"{CONFLICT_KEY}.next", disabled=at == len(order) - 1, shortcut="alt+n",
                 on_click=_go_to, args=(order[min(at + 1, len(order) - 1)],))  # fmt: skip
    where.caption(f"Conflict {at + 1:d} of {len(order):d} shown")
    sid = labels[picked]
    st.query_params[CONFLICT_PARAM] = sid
    after = order[at + 1] if at + 1 < len(order) else (order[at - 1] if at else None)
    st.session_state[NEXT_KEY] = labels[after] if after else None
    row = rows.set_index("source_id").loc[sid]
    st.warning(md(row["reason"]))
    cands = workflow.candidates_for(ws, result, sid)
    left, right = st.columns(2)
    with left:
        st.markdown("**Payfit record**")
        st.dataframe(workflow.source_card(ws, sid), hide_index=True)
    with right:
        st.markdown("**Equify candidates**")
        if cands.empty:
            st.caption("No candidate account.")
        else:
            st.dataframe(cands, hide_index=True)
    tid = None
    if not cands.empty:
        # Radio options are Markdown: the options are the accounts' ids, shown as text (md).
        options = {
            c.target_id: f"{c.firstName or ''} {c.lastName or ''} · {c.email or 'no email'} · {c.target_id}"
            for c in cands.itertuples()
        }
        tid = st.radio(
            "Candidate", list(options), format_func=lambda t: md(options[t]), key=f"{CONFLICT_KEY}.candidate.{sid}"
        )
    if tid:
        st.markdown("**Side by side** (the chosen candidate; `points` is what each field added to the score)")
        st.dataframe(workflow.side_by_side(ws, result, sid, tid), hide_index=True)
    a1, a2, a3 = st.columns(3)
    if tid and a1.button("Link to this account", key=f"{CONFLICT_KEY}.link", shortcut="alt+l"):
        _decide(ws, [Decision(sid, "link", tid)])
    if a2.button("Create a new account anyway", key=f"{CONFLICT_KEY}.create", shortcut="alt+a"):
        _decide(ws, [Decision(sid, "create")])
    if a3.button("Exclude", key=f"{CONFLICT_KEY}.exclude", shortcut="alt+x"):
        _decide(ws, [Decision(sid, "exclude")])
    if tid:
        # Keys carry the record and the account, so a value typed for one conflict
        # never shows up, or gets saved, against another.
        with st.form(f"{CONFLICT_KEY}.edit"):
            st.markdown("**Edit the Equify account**: add or correct its email, then match again.")
            email = st.text_input(
                "Email to set on the Equify account (offered: the Payfit email when the account has none)",
                value=_current_email(cands, tid) or row["email"] or "",
                key=f"{CONFLICT_KEY}.email.{sid}.{tid}",
            )
            if st.form_submit_button("Save email and re-match"):
                _act(lambda: workflow.edit_and_rematch(ws, tid, "email", email))


#: The page address's parameters of the conflict queue: where it started (an activity seq) and
#: the conflict shown; ``NEXT_KEY``: the conflict to show after a decision on this one.
QUEUE_PARAM, CONFLICT_PARAM, NEXT_KEY = "queue", "conflict", "review.queue.after"


def _restore_conflict(ws: Workspace, labels: dict[str, str]) -> None:
    """Before the picker is drawn: start the queue (its activity seq, in the address) when it has
    none; show the conflict a decision left next, else the one the address names (a reload)."""
    if QUEUE_PARAM not in st.query_params:
        st.query_params[QUEUE_PARAM] = str(workflow.activity_seq(ws))
    by_id = {sid: label for label, sid in labels.items()}
    after = st.session_state.pop(NEXT_KEY, None) if st.session_state.get(f"{NEXT_KEY}.due") else None
    st.session_state.pop(f"{NEXT_KEY}.due", None)
    if after in by_id:
        st.session_state[CONFLICT_KEY] = by_id[after]
    elif st.session_state.get(CONFLICT_KEY) not in labels:
        wanted = by_id.get(str(st.query_params.get(CONFLICT_PARAM, "")))
        if wanted is not None:
            st.session_state[CONFLICT_KEY] = wanted
        else:
            st.session_state.pop(CONFLICT_KEY, None)


def _go_to(label: str) -> None:
    st.session_state[CONFLICT_KEY] = label


def _current_email(cands: pd.DataFrame, tid: str) -> str | None:
    match = cands.loc[cands["target_id"] == tid, "email"]
    return match.iloc[0] if not match.empty else None


def _decide(ws: Workspace, decisions: list[Decision]) -> None:
    """Record a conflict's decision; the next run shows the conflict after it (:data:`NEXT_KEY`)."""
    next_sid = st.session_state.get(NEXT_KEY)
    st.session_state[NEXT_KEY] = next_sid
    st.session_state[f"{NEXT_KEY}.due"] = True
    _act(lambda: workflow.decide_and_rematch(ws, decisions))


def _act(step: Callable[[], list[Move]], *, clear: str | None = None) -> None:
    """Run an action that re-matches, say who moved, forget the ticked rows (``clear``), rerun.

    A library error is shown instead, and nothing is cleared.
    """
    with state.reported():
        moves = step()
        state.flash("success", state.moves_message(moves))
        if clear:
            st.session_state.pop(clear, None)
        st.rerun()


def _undo(ws: Workspace, seq: int) -> None:
    """Undo one activity entry; say what is back in the workspace, who moved, and what a push
    already sent that the undo does not take back in Equify."""
    with state.reported():
        undone = workflow.undo_and_rematch(ws, seq)
        state.flash("success", f"Undone in the workspace: {undone.said}. {state.moves_message(undone.moves)}")
        for sentence in undone.kept:
            state.flash("warning", f"Not undone in Equify: {sentence}.")
        st.rerun()


ACCEPT_KEY = "review.accept"


def accept_panel(ws: Workspace, result: MatchResult) -> None:
    """Accept every conflict whose likely match scores at least a threshold, after a confirmation
    that lists them (the person types nothing: the list and its count are the confirmation)."""
    with st.expander("Accept all likely matches above a score"):
        threshold = st.slider(
            "Score at least",
            min_value=50,
            max_value=100,
            value=int(result.settings.proposal_threshold),
            key=f"{ACCEPT_KEY}.threshold",
        )
        # Listed on demand: at 100,000 records the list takes a fifth of a second after each edit.
        if not st.toggle("List them", key=f"{ACCEPT_KEY}.show"):
            return
        chosen = state.likely_matches(ws, float(threshold))
        if chosen.empty:
            st.caption("No conflict has an untied likely match at this score.")
            return
        st.write(f"These **{len(chosen)}** Payfit records would be linked to the account shown:")
        st.dataframe(chosen[["name", "account", "score", "reason"]], hide_index=True)
        if st.button(f"Link these {len(chosen)}", key=f"{ACCEPT_KEY}.go.{threshold}.{len(chosen)}"):
            _act(lambda: workflow.accept_likely_matches(ws, result, float(threshold), len(chosen)))


ACTIVITY_KEY = "review.activity"


def activity_panel(ws: Workspace) -> None:
    """The workspace's activity (decisions, edits, undos, loads), newest first, and undo."""
    with st.expander("Activity and undo"):
        log = workflow.activity_table(ws)
        if log.empty:
            st.caption("Nothing has happened in this workspace yet.")
            return
        st.dataframe(log.drop(columns="undoable"), hide_index=True, height=240)
        undoable = log[log["undoable"]]
        if undoable.empty:
            st.caption("No decision or edit to undo.")
            return
        options = {
            f"#{r.seq} {r.what} · {r.subject}{' · ' + r.field if r.field else ''} · "
            f"{r.before or '—'} → {r.after or '—'}": int(r.seq)
            for r in undoable.itertuples()
        }
        picked = st.selectbox("Undo", list(options), key=f"{ACTIVITY_KEY}.pick")
        if st.button("Undo this", key=f"{ACTIVITY_KEY}.undo"):
            _undo(ws, options[picked])
