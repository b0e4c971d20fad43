"""The app through Streamlit's AppTest, on a real workspace file seeded with the demo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from reconcile import Decision, FieldMapping, InputError, Relation, Workspace, workflow
from reconcile.sources.mapping import profile_json
from tests.app.pages import open_page
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


def _open_app(page: str | None = None) -> AppTest:
    return open_page(page)


def _wait_for_run(ws: Workspace, run_id: str, timeout: float = 60.0) -> None:
    """Wait until the push run's worker has finished it."""
    import time

    deadline = time.monotonic() + timeout
    while workflow.run_progress(ws, run_id).live:
        assert time.monotonic() < deadline, "the push did not finish in time"
        time.sleep(0.05)


def _ws() -> Workspace:
    """The app's own connection (a second connection to the same file in this process)."""
    from ui import state

    return state.workspace()


def test_every_page_is_in_the_navigation() -> None:
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert PAGES, "no page found"
    for page in PAGES:
        assert f'"{page}"' in source, f"{page} is not listed in app.py's st.navigation"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo_workspace(app_workspace: Path, page: str) -> None:
    at = _open_app(page)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title, f"{page} shows no title"


def test_empty_workspace_is_seeded_with_the_demo_once(app_workspace: Path) -> None:
    at = _open_app()
    assert any("demo company" in plain(i.value) for i in at.info)
    ws = _ws()
    assert ws.counts()["payfit_records"] > 0
    at.run()
    assert not any("demo company" in plain(i.value) for i in at.info)


def test_review_shows_the_four_sets_with_counts(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    counts = workflow.run_match(_ws()).counts()
    shown = {m.label: m.value for m in at.metric}
    assert shown == {c: str(counts[c]) for c in ("new", "synced", "conflict", "excluded")}
    assert counts["new"] > 0 and counts["conflict"] > 0
    assert at.radio(key="review.set").value == "new"


def test_exclude_fix_a_conflict_confirm_and_push(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    ws = _ws()
    before = workflow.run_match(ws)

    # 1. Tick one person of the new set and add them to the exclusion list.
    tick = at.multiselect(key="review.tick.new")
    victim = tick.options[0]
    victim_id = victim.rsplit(" · ", 1)[1]
    tick.set_value([victim]).run()
    at.button(key="review.tick.new.go").click().run()
    assert not at.exception
    assert ws.decisions()[victim_id].action == "exclude"
    after_exclude = workflow.run_match(ws).records.set_index("source_id")
    assert after_exclude.loc[victim_id, "category"] == "excluded"
    assert any("excluded" in plain(s.value) for s in at.success)

    # 2. A classic conflict: the Equify account has the same name and no email.
    at.radio(key="review.set").set_value("conflict").run()
    conflicts = before.records[before.records["reason"].str.contains("which has no email", regex=False)]
    assert not conflicts.empty
    sid, tid = conflicts.iloc[0]["source_id"], conflicts.iloc[0]["target_id"]
    pick = at.selectbox(key="review.conflict")
    label = next(o for o in pick.options if o.endswith(sid))
    pick.set_value(label).run()
    candidate = at.radio(key=f"review.conflict.candidate.{sid}")
    candidate.set_value(tid).run()
    payfit_email = ws.payfit_records().set_index("id").loc[sid, "email"]
    email_box = at.text_input(key=f"review.conflict.email.{sid}.{tid}")
    assert email_box.value == payfit_email  # offered for the account that has none
    email_box.set_value(payfit_email)
    next(b for b in at.button if b.label == "Save email and re-match").click().run()
    assert not at.exception
    assert ws.equify_accounts().set_index("id").loc[tid, "email"] == payfit_email
    moved = workflow.run_match(ws).records.set_index("source_id").loc[sid]
    assert (moved["category"], moved["action"], moved["target_id"]) == ("new", "link", tid)
    assert any("conflict → new (link)" in plain(s.value) for s in at.success)
    assert at.radio(key="review.set").value == "conflict"  # the chosen set stays chosen after an action

    # 3. The gate: the push stays disabled until the conflicts are skipped and the count is typed.
    at.switch_page("pages/sync.py").run()
    plan = workflow.plan_workspace(ws).totals()
    assert plan["skip_conflict"] == before.counts()["conflict"] - 1
    assert at.button(key="sync.push").disabled
    confirm = f"sync.confirm.{plan['create']}"
    at.text_input(key=confirm).input(str(plan["create"])).run()
    assert at.button(key="sync.push").disabled  # conflicts not skipped yet
    at.checkbox(key="sync.skip").check().run()
    at.text_input(key=confirm).input("1").run()
    assert at.button(key="sync.push").disabled  # wrong number
    at.text_input(key=confirm).input(str(plan["create"])).run()
    assert not at.button(key="sync.push").disabled
    at.button(key="sync.push").click().run()
    assert not at.exception, [e.value for e in at.exception]
    run_id = ws.push_runs().iloc[0]["run_id"]
    assert any(run_id in plain(i.value) and "started" in plain(i.value) for i in at.info)
    _wait_for_run(ws, run_id)  # the push runs in its worker thread, not in the page script
    at.run()
    assert not at.exception, [e.value for e in at.exception]

    ledger = ws.ledger()
    assert ledger[sid] == tid
    assert victim_id not in ledger
    accounts = ws.equify_accounts()
    assert int((accounts["origin"] == "payfit_sync").sum()) == plan["create"]
    runs = ws.push_runs()
    assert len(runs) == 1 and runs.iloc[0]["status"] == "done"

    assert any(f"Run `{run_id}`" in plain(m.value) and "**done**" in plain(m.value) for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Created"] == str(plan["create"])

    # 4. A second push creates nothing; the gate now asks for the word "push".
    assert workflow.plan_workspace(ws).totals()["create"] == 0
    assert at.text_input(key="sync.confirm.push").value == ""
    at.switch_page("pages/accounts.py").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert int(shown["linked_to_payfit"].sum()) == len(ledger)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_an_empty_workspace(app_workspace: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILE_NO_DEMO", "1")
    at = _open_app(page)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]


# ---------------------------------------------------------------------------- the mapping step (issue 5)
def test_mapping_transform_changes_the_preview_and_is_saved(app_workspace: Path) -> None:
    at = _open_app("pages/mapping.py")
    at.selectbox(key="mapping.transform.lastName").set_value("upper").run()
    assert not at.exception, [e.value for e in at.exception]
    preview = at.dataframe[0].value
    assert preview["lastName"].dropna().map(str.isupper).all()
    at.button(key="mapping.save").click().run()
    assert _ws().mapping().transform("lastName") == "upper"
    assert "Mapping saved" in " ".join(plain(s.value) for s in at.success)


def test_mapping_field_change_shows_in_the_preview(app_workspace: Path) -> None:
    at = _open_app("pages/mapping.py")
    at.selectbox(key="mapping.field.email").set_value("professionalEmail").run()
    preview = at.dataframe[0].value
    professional = workflow.mapping_preview(
        _ws(), FieldMapping.from_dict({**_ws().mapping().as_dict(), "email": "professionalEmail"})
    )
    assert preview["email"].tolist() == professional["email"].tolist()
    assert preview["email"].tolist() != workflow.mapping_preview(_ws(), _ws().mapping())["email"].tolist()


def test_a_loaded_profile_fills_the_table_and_saves(app_workspace: Path) -> None:
    from ui.mapping import load_profile

    at = _open_app("pages/mapping.py")
    profile = profile_json(
        FieldMapping.from_dict({**FieldMapping.default().as_dict(), "email": "personalEmail"}, {"firstName": "title"}),
        Relation(include_leavers=True),
    )
    at.session_state["mapping.pending"] = load_profile(profile, "team.json")
    at.run()
    assert at.selectbox(key="mapping.field.email").value == "personalEmail"
    assert at.selectbox(key="mapping.transform.firstName").value == "title"
    assert at.checkbox(key="mapping.leavers").value is True
    at.button(key="mapping.save").click().run()
    saved = _ws().mapping()
    assert (saved.as_dict()["email"], saved.transform("firstName")) == ("personalEmail", "title")
    assert _ws().relation().include_leavers is True


def test_a_profile_naming_an_unknown_payfit_field_is_refused() -> None:
    from ui.mapping import load_profile

    profile = '{"version": 1, "fields": {"email": {"source": "mail_perso", "transform": "none"}}}'
    with pytest.raises(InputError, match="team.json: email ← 'mail_perso'"):
        load_profile(profile, "team.json")


def test_suggest_fills_the_table_from_field_names(app_workspace: Path) -> None:
    at = _open_app("pages/mapping.py")
    at.selectbox(key="mapping.field.city").set_value("— not synced —").run()
    at.button(key="mapping.suggest").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="mapping.field.city").value == "city"
    assert at.selectbox(key="mapping.field.email").value == "email"


# ---------------------------------------------------------------------------- review: undo and accept (issue 5)
def test_undo_an_exclusion_from_the_activity_panel(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    ws = _ws()
    tick = at.multiselect(key="review.tick.new")
    victim = tick.options[0]
    victim_id = victim.rsplit(" · ", 1)[1]
    tick.set_value([victim]).run()
    at.button(key="review.tick.new.go").click().run()
    assert ws.decisions()[victim_id].action == "exclude"
    pick = at.selectbox(key="review.activity.pick")
    assert victim_id in pick.value and "exclude" in pick.value  # the newest undoable entry comes first
    at.button(key="review.activity.undo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert victim_id not in ws.decisions()
    assert workflow.run_match(ws).records.set_index("source_id").loc[victim_id, "category"] != "excluded"
    assert any("moved" in plain(s.value) or "→" in plain(s.value) or "excluded" in plain(s.value) for s in at.success)


def test_accept_likely_matches_lists_them_then_links_them(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    at.radio(key="review.set").set_value("conflict").run()
    assert not any(b.key and b.key.startswith("review.accept.go.") for b in at.button)  # listed on demand
    at.toggle(key="review.accept.show").set_value(True).run()
    ws = _ws()
    listed = workflow.likely_matches(ws, workflow.run_match(ws), 70.0)
    button = next(b for b in at.button if b.key and b.key.startswith("review.accept.go."))
    assert button.label == f"Link these {len(listed)}"
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert {s: d.target_id for s, d in ws.decisions().items()} == dict(
        zip(listed["source_id"], listed["target_id"], strict=True)
    )


def test_review_search_narrows_the_table(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    full = len(at.dataframe[0].value)
    name = at.dataframe[0].value["name"].iloc[0]
    at.text_input(key="review.filter.search").set_value(name.split()[-1].upper()).run()
    assert not at.exception, [e.value for e in at.exception]
    narrowed = at.dataframe[0].value
    assert name in narrowed["name"].tolist() and len(narrowed) < full


def test_phone_warnings_show_on_every_page(app_workspace: Path) -> None:
    at = _open_app()
    ws = _ws()
    records = ws.payfit_records()
    in_scope = records.index[records["status"] == "active"][0]
    records.loc[in_scope, "phoneNumber"] = "3.36123E+10"
    ws.load_payfit(records)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("Phones: 1 unreadable" in plain(w.value) for w in at.sidebar.warning), page


def test_suggest_keeps_the_transforms_and_warns_about_nothing(app_workspace: Path) -> None:
    at = _open_app("pages/mapping.py")
    at.selectbox(key="mapping.transform.lastName").set_value("upper").run()
    at.button(key="mapping.suggest").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="mapping.transform.lastName").value == "upper"
    assert not [w.value for w in at.warning if "Session State" in plain(w.value)]
    assert any("Unsaved changes" in plain(i.value) for i in at.info)


def test_saving_a_transform_logs_no_relation_change(app_workspace: Path) -> None:
    at = _open_app("pages/mapping.py")
    at.selectbox(key="mapping.transform.lastName").set_value("upper").run()
    at.button(key="mapping.save").click().run()
    kinds = set(_ws().activity()["kind"])
    assert "transform" in kinds and "relation" not in kinds


def test_a_set_hidden_by_the_filters_says_so(app_workspace: Path) -> None:
    at = _open_app("pages/review.py")
    at.text_input(key="review.filter.search").set_value("zzzz-nobody").run()
    assert any("None of the 163 records of the new set matches" in plain(i.value) for i in at.info)


def _pick_conflict(at: AppTest, sid: str) -> None:
    pick = at.selectbox(key="review.conflict")
    pick.set_value(next(o for o in pick.options if o.endswith(sid))).run()


def test_link_create_exclude_a_conflict_then_remove_from_excluded(app_workspace: Path) -> None:
    """The conflict panel's three decisions and the excluded set's bulk action, each checked
    in the workspace (decisions stored) and in the match (the record's set)."""
    at = _open_app("pages/review.py")
    ws = _ws()
    at.radio(key="review.set").set_value("conflict").run()
    conflicts = workflow.run_match(ws).records.query("category == 'conflict' and target_id.notna()")
    (s1, t1), (s2, _), (s3, _) = conflicts[["source_id", "target_id"]].head(3).itertuples(index=False)

    def record(sid: str) -> tuple:
        row = workflow.run_match(ws).records.set_index("source_id").loc[sid]
        return row["category"], row["action"], row["target_id"]

    _pick_conflict(at, s1)
    candidate = at.radio(key=f"review.conflict.candidate.{s1}")
    candidate.set_value(t1).run()
    at.button(key="review.conflict.link").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (ws.decisions()[s1].action, ws.decisions()[s1].target_id) == ("link", t1)
    assert record(s1) == ("new", "link", t1)

    _pick_conflict(at, s2)
    at.button(key="review.conflict.create").click().run()
    assert ws.decisions()[s2].action == "create"
    assert record(s2)[:2] == ("new", "create")

    _pick_conflict(at, s3)
    at.button(key="review.conflict.exclude").click().run()
    assert ws.decisions()[s3].action == "exclude"
    assert record(s3)[0] == "excluded"
    assert any("excluded" in plain(s.value) for s in at.success)

    at.radio(key="review.set").set_value("excluded").run()
    tick = at.multiselect(key="review.tick.excluded")
    assert [o.rsplit(" · ", 1)[1] for o in tick.options] == [s3]
    tick.set_value(tick.options).run()
    at.button(key="review.tick.excluded.go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert s3 not in ws.decisions()
    assert record(s3)[0] == "conflict"
    assert any(plain(i.value) == "No record in the excluded set." for i in at.info)


def test_s1_a_push_goes_on_when_the_page_is_left_or_closed(app_workspace: Path) -> None:
    """S1: a push of 200 creates to a slow http target; mid-push the person clicks elsewhere,
    then closes the tab (a new session opens the app): the push goes on to the end, the new
    session re-attaches to its progress, and no account is made twice."""
    import time
    from collections import Counter

    from bench.push_common import creates_workspace
    from reconcile.testing.equify_server import EquifyServer

    creates_workspace(app_workspace, 200)
    with EquifyServer("s1-token-FICTITIOUS") as server:
        server.faults.slow(0.01)  # 200 creates take over 2 s
        at = _open_app("pages/sync.py")
        at.radio(key="sync.target").set_value("http").run()
        at.text_input(key="sync.target.http.url").input(server.url).run()
        at.text_input(key="sync.target.http.token").input("s1-token-FICTITIOUS").run()
        at.text_input(key="sync.confirm.200").input("200").run()
        at.button(key="sync.push").click().run()
        assert not at.exception, [e.value for e in at.exception]
        ws = _ws()
        run_id = ws.push_runs().iloc[0]["run_id"]
        at.switch_page("pages/review.py").run()  # clicks elsewhere mid-push
        assert workflow.run_progress(ws, run_id).live
        del at  # the tab is closed
        again = _open_app("pages/sync.py")  # a new session
        progress = workflow.run_progress(ws, run_id)
        assert progress.live and progress.pending > 0, progress
        assert any(f"`{run_id}`" in s.label and "running" in s.label for s in again.status)
        _wait_for_run(ws, run_id)
        again.run()
        final = workflow.run_progress(ws, run_id)
        assert (final.status, final.done, final.failed, final.pending) == ("done", 200, 0, 0)
        assert any(f"Run `{run_id}`" in plain(m.value) and "**done**" in plain(m.value) for m in again.markdown)
        accounts = server.accounts()
        assert len(accounts) == 200 and max(Counter(a["payfitId"] for a in accounts).values()) == 1
        assert set(ws.ledger().values()) == {a["id"] for a in accounts}
        time.sleep(0)  # nothing left running
        assert not workflow.run_progress(ws, run_id).live


def test_history_lists_runs_and_shows_a_journal(app_workspace: Path) -> None:
    at = _open_app("pages/history.py")
    assert any("No push yet" in plain(i.value) for i in at.info)
    ws = _ws()
    result = workflow.push_workspace(ws, skip_conflicts=True)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    runs = at.dataframe[0].value
    assert runs["run_id"].tolist() == [result.run_id]
    assert (runs["created"].iloc[0], runs["failed"].iloc[0]) == (result.created, 0)
    journal = at.dataframe[1].value
    assert len(journal) == result.created + result.linked and set(journal["status"]) == {"done"}
    assert at.get("download_button")  # the run log is offered


def test_sync_page_approves_held_changes(app_workspace: Path) -> None:
    """A later sync's email change waits on the Sync page until approved there."""
    at = _open_app("pages/sync.py")
    ws = _ws()
    workflow.approve_held(ws)  # (#14) the first links' name changes approved: only this test's change waits
    workflow.push_workspace(ws, skip_conflicts=True)
    sid = sorted(ws.ledger())[0]
    records = ws.payfit_records()
    records.loc[records["id"] == sid, "email"] = "changed.later@example.fr"
    ws.load_payfit(records)
    at.run()
    assert {m.label: m.value for m in at.metric}["Held for approval"] == "1"
    pick = at.multiselect(key="sync.approve.pick")
    assert len(pick.options) == 1 and "changed.later@example.fr" in pick.options[0]
    pick.set_value(pick.options).run()
    at.button(key="sync.approve.some").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (sid, "email", "changed.later@example.fr") in ws.approvals()
    assert {m.label: m.value for m in at.metric}["Held for approval"] == "0"
    assert any("Approved 1" in plain(s.value) for s in at.success)


def test_audit_page_on_the_demo(app_workspace: Path) -> None:
    """The Audit page on the demo workspace: the charts draw, the threshold moves the counts,
    the decisions taken give a truth and its metrics."""
    at = _open_app("pages/audit.py")
    assert not at.exception, [e.value for e in at.exception]
    ws = _ws()
    result = workflow.run_match(ws)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Linked automatically (evidence)"] == str(len(result.links))
    conflicts = result.counts()["conflict"]
    assert int(metrics["Likely matches accepted"]) + int(metrics["Left for review"]) == conflicts
    at.slider(key="audit.threshold").set_value(100).run()
    # (#14) the demo's phones are valid: a name conflict whose name, birth date and phone agree scores 100
    rec = result.records
    perfect = int(((rec["category"] == "conflict") & (rec["score"] >= 100)).sum())
    assert 0 < perfect < conflicts
    left = {m.label: m.value for m in at.metric}["Left for review"]
    assert left == str(conflicts - perfect) and int(left) > int(metrics["Left for review"])
    # a truth from decisions: link one conflict to its likely match, create another
    rows = result.records[(result.records["category"] == "conflict") & result.records["target_id"].notna()]
    (s1, t1), (s2, _t2) = rows[["source_id", "target_id"]].head(2).itertuples(index=False)
    ws.decide([Decision(s1, "link", t1), Decision(s2, "create")])
    at.radio(key="audit.truth.kind").set_value("the decisions taken").run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    # (#14) the links people decided are measured apart from the automatic ones: a third row
    assert labels.count("Precision") == 3 and labels.count("F1") == 3
    assert any("Links people decided" in m.value for m in at.markdown)
    decided = [m.value for m in at.metric if m.label == "Precision"][2]
    assert decided == "1.000"  # the one link decided is the truth's own
    blocking = at.dataframe[-1].value
    assert "true_pairs" in blocking.columns and blocking["rule"].iloc[-1] == "missed"
    at.toggle(key="audit.export").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("download_button")) == 2


def test_sync_page_finishes_a_run_cut_short(
    app_workspace: Path, monkeypatch: pytest.MonkeyPatch, failing_target: type
) -> None:
    """A run the server left unfinished is offered first, and finished as it was confirmed."""
    from reconcile.sync import push as push_module

    at = _open_app("pages/sync.py")
    ws = _ws()
    monkeypatch.setattr(push_module, "BATCH_IN_WORKSPACE", 1)
    with pytest.raises(KeyboardInterrupt):
        workflow.push_workspace(ws, target=failing_target({4}, KeyboardInterrupt()), skip_conflicts=True)
    run_id = ws.push_runs()["run_id"].iloc[0]
    at.run()
    assert any(run_id in plain(w.value) and "cut short" in plain(w.value) for w in at.warning)
    at.button(key="sync.resume").click().run()
    assert not at.exception, [e.value for e in at.exception]
    _wait_for_run(ws, run_id)
    progress = workflow.run_progress(ws, run_id)
    assert (progress.status, progress.pending, progress.failed) == ("done", 0, 0)
    assert ws.push_runs()["run_id"].tolist() == [run_id]
    synced = ws.equify_accounts().query("origin == 'payfit_sync'")
    assert synced["payfitId"].is_unique


# --- hostile names: every value shown as text ------------------------------------------------

#: Markdown, HTML and Streamlit syntax that must never reach the page unescaped.
LIVE_SYNTAX = ["![", "](", "<script", "<img", ":red[", "$x$", ":material/warning:", "javascript:alert"]


def _markdown_shown(at: AppTest) -> list[str]:
    """Every text of the run that Streamlit renders as Markdown: bodies, labels, radio options."""
    texts = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "title", "subheader"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [str(e.value) for e in at.sidebar.warning] + [str(e.value) for e in at.sidebar.caption]
    texts += [m.label for m in at.metric] + [e.label for e in at.expander]
    for radio in at.radio:
        texts += [radio.label, *radio.options]
    for kind in ("button", "checkbox", "toggle", "text_input", "selectbox", "multiselect"):
        texts += [w.label for w in getattr(at, kind)]
    texts += [str(t.proto.body) for t in at.toast]
    return texts


def _assert_all_text(at: AppTest, page: str) -> None:
    assert not at.exception, (page, [e.value for e in at.exception])
    for text in _markdown_shown(at):
        unescaped = re.sub(r"\\.", "\x00", text)  # what Markdown still reads as syntax
        live = [s for s in LIVE_SYNTAX if s in unescaped]
        assert not live, f"{page}: {live} reaches the page as Markdown in {text!r}"


@pytest.fixture
def hostile_app(app_workspace: Path) -> dict[str, str]:
    """The app's workspace holds the demo with hostile names on both sides (tests/hostile.py)."""
    from hostile import hostile_workspace

    return hostile_workspace(app_workspace)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_hostile_names_as_text(hostile_app: dict[str, str], page: str) -> None:
    at = _open_app(page)
    _assert_all_text(at, page)


def test_review_conflict_panel_and_flash_show_hostile_names_as_text(hostile_app: dict[str, str]) -> None:
    from hostile import CONFLICT_NAME

    sid, tid = hostile_app["conflict_id"], hostile_app["conflict_account"]
    at = _open_app("pages/review.py")
    at.radio(key="review.set").set_value("conflict").run()
    pick = at.selectbox(key="review.conflict")
    pick.set_value(next(o for o in pick.options if o.endswith(sid))).run()  # options are plain text
    assert CONFLICT_NAME in pick.value
    _assert_all_text(at, "review conflict")
    assert any(CONFLICT_NAME in plain(w.value) for w in at.warning)  # the reason names it, as text
    candidate = at.radio(key=f"review.conflict.candidate.{sid}")
    assert any(CONFLICT_NAME in plain(o) for o in candidate.options)
    candidate.set_value(tid).run()
    at.button(key="review.conflict.exclude").click().run()
    _assert_all_text(at, "review after exclude")
    assert any(CONFLICT_NAME in plain(s.value) and "→ excluded" in plain(s.value) for s in at.success)


def test_an_unexpected_error_shows_a_message_and_logs_the_traceback(
    app_workspace: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug inside a page's ``state.reported()`` block: a short message with a reference, no
    traceback nor the server's paths in the page; the traceback goes to the server's log."""
    at = _open_app("pages/accounts.py")

    def boom(ws: Workspace) -> None:
        raise RuntimeError(f"bug at {ROOT}/secret/path.py ![x](http://127.0.0.2/b.png)")

    monkeypatch.setattr(workflow, "accounts_table", boom)
    with caplog.at_level("ERROR", logger="ui.state"):
        at.run()
    assert not at.exception
    shown = " ".join(plain(e.value) for e in at.error)
    assert "Something went wrong on the server" in shown and str(ROOT) not in shown and "Traceback" not in shown
    reference = shown.split("(", 1)[1].split(")", 1)[0]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and "secret/path.py" in str(logged[0].exc_info[1])


def test_the_browser_is_given_no_error_details_and_no_outside_icon() -> None:
    """``client.showErrorDetails = "none"``: an uncaught error reaches the browser as a generic
    message; the page icon is drawn locally (a ``:material/...:`` one is fetched from Google)."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    icon = source.split("page_icon=", 1)[1].split(",", 1)[0]
    assert ":material" not in icon and "http" not in icon
