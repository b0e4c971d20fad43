"""The plan and the push: what will happen, and doing it exactly once (domain §2.6, cases S1 and S2)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reconcile import ConflictsUnresolved, Decision, InputError, PushBlocked, Workspace, workflow
from reconcile.exceptions import (
    PlanAlreadyPushed,
    PlanChanged,
    PushInProgress,
    RunTargetMismatch,
    TargetError,
    UnfinishedRun,
)
from reconcile.matching.matcher import canonical_source
from reconcile.sync import push as push_module
from reconcile.sync.plan import Plan, build_plan
from reconcile.sync.push import PushResult
from reconcile.sync.targets import EmbeddedTarget, FileTarget

OVERLAYS = {"phone_no_country_code", "belgian_phone"}


@pytest.fixture(scope="module")
def scenarios(demo_dir: Path) -> list[dict[str, Any]]:
    return [s for s in json.loads((demo_dir / "scenarios.json").read_text()) if s["scenario"] not in OVERLAYS]


@pytest.fixture
def small_workspace(demo_workspace: Workspace, scenarios) -> Workspace:
    """The demo cut down to a few records of each kind (creates, links, conflicts): quick to push."""
    keep = {
        "payfit_only": 8,
        "email_match": 6,
        "matricule_match": 2,
        "conflict_no_email": 2,
        "duplicate_email_payfit": 2,
    }
    ids = {pid for s in scenarios if s["scenario"] in keep for pid in s["payfit_ids"][: keep[s["scenario"]]]}
    records = demo_workspace.payfit_records()
    demo_workspace.load_payfit(records[records["id"].isin(ids)].reset_index(drop=True))
    totals = workflow.plan_workspace(demo_workspace).totals()
    assert (totals["create"], totals["link"], totals["skip_conflict"]) == (8, 8, 4)
    return demo_workspace


def _expected(scenarios: list[dict[str, Any]], category: str, action: str) -> set[str]:
    return {
        pid
        for s in scenarios
        if (s["expected_category"], s["expected_action"]) == (category, action)
        for pid in s["payfit_ids"]
    }


def _sync_accounts(ws: Workspace) -> pd.DataFrame:
    accounts = ws.equify_accounts()
    return accounts[accounts["origin"] == "payfit_sync"]


def _nothing_pushed(ws: Workspace, accounts_before: int) -> None:
    assert ws.ledger() == {}
    assert ws.push_runs().empty
    assert ws.counts()["equify_accounts"] == accounts_before
    assert _sync_accounts(ws).empty


class RemoteTarget:
    """A target with its own storage, like an HTTP server honouring ``Idempotency-Key``.

    The first create of each key in ``time_out`` is stored, then answered with a
    timeout (S2: the server saved, the client never heard back).
    """

    name = "remote"

    def __init__(self, time_out: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.by_key: dict[str, str] = {}
        self.accounts: dict[str, dict[str, str]] = {}
        self.time_out = set(time_out)
        self.create_calls = 0

    def create(self, values: dict[str, str], *, idempotency_key: str, source_id: str, tx: Any) -> str:
        self.create_calls += 1
        if idempotency_key not in self.by_key:
            account_id = f"remote-{len(self.accounts) + 1}"
            self.by_key[idempotency_key] = account_id
            self.accounts[account_id] = dict(values)
        if idempotency_key in self.time_out:
            self.time_out.discard(idempotency_key)
            raise TimeoutError("read timed out")
        return self.by_key[idempotency_key]

    def update(self, account_id: str, values: dict[str, str], *, source_id: str, tx: Any) -> None:
        self.accounts.setdefault(account_id, {}).update(values)


# ---------------------------------------------------------------------------- plan
def test_plan_totals_on_demo(demo_workspace: Workspace, scenarios):
    plan = workflow.plan_workspace(demo_workspace)
    conflicts = len(_expected(scenarios, "conflict", "none"))
    assert plan.totals() == {
        "create": len(_expected(scenarios, "new", "create")),
        "link": len(_expected(scenarios, "new", "link")),
        "update": 0,
        "skip": conflicts,
        "skip_conflict": conflicts,
        "skip_excluded": 0,
        "skip_held": 0,
        "skip_leaver": 0,
        "skip_incomplete": 0,
        "unchanged": 0,
    }
    assert len(plan.actionable()) == plan.totals()["create"] + plan.totals()["link"]


def test_plan_operations_on_demo(demo_workspace: Workspace, scenarios):
    plan = workflow.plan_workspace(demo_workspace)
    ops = {op.source_id: op for op in plan.operations}
    assert len(ops) == len(plan.operations)  # one operation per record
    assert {op.source_id for op in plan.operations if op.op == "create"} == _expected(scenarios, "new", "create")
    assert {op.source_id for op in plan.operations if op.op == "link"} == _expected(scenarios, "new", "link")
    assert {op.source_id for op in plan.operations if op.op == "skip"} == _expected(scenarios, "conflict", "none")
    payfit = demo_workspace.payfit_records().set_index("id")
    accounts = demo_workspace.equify_accounts().set_index("id")
    for op in plan.operations:
        if op.op == "create":
            values = op.values()
            assert values["firstName"] == payfit.loc[op.source_id, "firstName"]
            assert values["lastName"] == payfit.loc[op.source_id, "lastName"]
            if payfit.loc[op.source_id, "email"]:
                assert values["email"] == payfit.loc[op.source_id, "email"].strip().lower()
            if "phoneNumber" in values:  # phones are written with their international prefix
                assert values["phoneNumber"].startswith("+")
            assert all(before is None for _, before, _ in op.changes)
        elif op.op == "link":
            # A link only fills the account's empty fields.
            for field, before, _after in op.changes:
                assert before is None
                assert accounts.loc[op.target_id, field] is None
        else:
            assert op.skip_kind == "conflict" and op.reason
    keys = [op.idempotency_key for op in plan.actionable()]
    assert len(keys) == len(set(keys))
    assert keys == [op.idempotency_key for op in workflow.plan_workspace(demo_workspace).actionable()]
    frame = plan.to_frame()
    assert list(frame.columns) == ["source_id", "name", "op", "target_id", "changes", "held", "reason"]
    assert len(frame) == len(plan.operations)


def test_link_fills_the_empty_fields(small_workspace: Workspace):
    """E-mail link: the account's empty fields get the Payfit values (domain §5 rule 3)."""
    plan = workflow.plan_workspace(small_workspace)
    fills = [op for op in plan.operations if op.op == "link" and op.changes]
    assert fills
    workflow.push_workspace(small_workspace, skip_conflicts=True)
    accounts = small_workspace.equify_accounts().set_index("id")
    for op in fills:
        for field, _, after in op.changes:
            assert accounts.loc[op.target_id, field] == after
        assert accounts.loc[op.target_id, "payfitId"] == op.source_id


def test_excluded_records_are_skipped(small_workspace: Workspace):
    result = workflow.run_match(small_workspace)
    conflicts = result.records[result.records["category"] == "conflict"]["source_id"].tolist()
    creates = result.records[result.records["action"] == "create"]["source_id"].tolist()
    small_workspace.decide([Decision(pid, "exclude") for pid in conflicts + creates[:1]])
    plan = workflow.plan_workspace(small_workspace)
    assert plan.totals()["skip_excluded"] == len(conflicts) + 1
    assert plan.totals()["skip_conflict"] == 0
    pushed = workflow.push_workspace(small_workspace)  # no conflict left: no skip_conflicts needed
    assert creates[0] not in small_workspace.ledger()
    assert pushed.skipped == len(conflicts) + 1


# ---------------------------------------------------------------------------- push gates
def test_push_refuses_with_conflicts(demo_workspace: Workspace, scenarios):
    accounts = demo_workspace.counts()["equify_accounts"]
    revision = demo_workspace.revision
    with pytest.raises(ConflictsUnresolved) as err:
        workflow.push_workspace(demo_workspace)
    assert err.value.count == len(_expected(scenarios, "conflict", "none"))
    assert str(err.value.count) in str(err.value)
    _nothing_pushed(demo_workspace, accounts)
    assert demo_workspace.revision == revision


def test_dry_run_sends_nothing(demo_workspace: Workspace):
    accounts = demo_workspace.counts()["equify_accounts"]
    plan = workflow.plan_workspace(demo_workspace)
    result = workflow.push_workspace(demo_workspace, skip_conflicts=True, dry_run=True)
    assert result.dry_run and result.run_id is None
    assert (result.created, result.linked) == (plan.totals()["create"], plan.totals()["link"])
    _nothing_pushed(demo_workspace, accounts)


def test_push_in_progress(small_workspace: Workspace):
    """A second push while one runs is refused (the page can be rerun, never pushed twice)."""
    entered, release = threading.Event(), threading.Event()

    class SlowTarget(EmbeddedTarget):
        def create(self, values: dict[str, str], **kwargs: Any) -> str:
            entered.set()
            assert release.wait(10)
            return super().create(values, **kwargs)

    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            outcome["result"] = workflow.push_workspace(small_workspace, target=SlowTarget(), skip_conflicts=True)
        except BaseException as exc:  # pragma: no cover - reported below
            outcome["error"] = exc
            entered.set()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert entered.wait(10)
        running = small_workspace.push_runs()
        assert running["status"].tolist() == ["running"]
        with pytest.raises(PushInProgress) as err:
            workflow.push_workspace(small_workspace, skip_conflicts=True)
        assert err.value.run_id == running["run_id"].iloc[0]
    finally:
        release.set()
        thread.join(30)
    assert "error" not in outcome
    assert outcome["result"].failed == 0
    assert len(small_workspace.push_runs()) == 1  # the refused push left no run behind


# ---------------------------------------------------------------------------- exactly once
def test_push_creates_then_a_second_push_creates_nothing(small_workspace: Workspace):
    ws = small_workspace
    plan = workflow.plan_workspace(ws)
    totals = plan.totals()
    # (#14) links whose account writes the name otherwise: the name change waits for approval
    renamed = {op.source_id for op in plan.operations if op.op == "link" and op.held}
    progress: list[tuple[int, int]] = []
    first = workflow.push_workspace(ws, skip_conflicts=True, progress=lambda d, t: progress.append((d, t)))
    assert (first.created, first.linked, first.updated, first.failed) == (totals["create"], totals["link"], 0, 0)
    assert first.skipped == totals["skip_conflict"]
    assert progress[-1] == (len(plan.actionable()), len(plan.actionable()))
    synced = _sync_accounts(ws)
    assert len(synced) == totals["create"]
    assert sorted(synced["payfitId"]) == sorted(op.source_id for op in plan.operations if op.op == "create")
    ledger = ws.ledger()
    assert len(ledger) == totals["create"] + totals["link"]
    assert len(set(ledger.values())) == len(ledger)  # one-to-one
    journal = ws.journal(first.run_id)
    assert len(journal) == len(plan.actionable())
    assert set(journal["status"]) == {"done"}
    assert dict(zip(journal["source_id"], journal["account_id"], strict=True)) == ledger
    assert ws.push_runs()["status"].tolist() == ["done"]

    # The same push again (a rerun, a second click): nothing is created or duplicated.
    accounts = ws.counts()["equify_accounts"]
    second = workflow.push_workspace(ws, skip_conflicts=True)
    assert (second.created, second.linked, second.updated, second.failed) == (0, 0, 0, 0)
    assert second.unchanged == totals["create"] + totals["link"] - len(renamed)
    assert second.skipped == totals["skip_conflict"] + len(renamed)  # their name changes still wait, unsent
    assert ws.counts()["equify_accounts"] == accounts
    assert ws.ledger() == ledger
    counts = workflow.run_match(ws).counts()
    assert counts["synced"] == len(ledger) and counts["new"] == 0


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(OSError("connection reset by peer"), id="OSError"),
        pytest.param(InputError("400: phoneNumber is not valid"), id="InputError"),
    ],
)
def test_failed_rows_are_journaled_and_retried_once(
    small_workspace: Workspace, error: BaseException, failing_target: type
):
    ws = small_workspace
    creates = workflow.plan_workspace(ws).totals()["create"]
    first = workflow.push_workspace(ws, target=failing_target({2, 5}, error), skip_conflicts=True)
    assert (first.created, first.failed) == (creates - 2, 2)
    assert ws.push_runs()["status"].iloc[0] == "done_with_failures"
    journal = ws.journal(first.run_id)
    failed = journal[journal["status"] == "failed"]
    assert len(failed) == 2
    assert set(failed["op"]) == {"create"}
    assert (failed["error"] == str(error)).all()
    assert set(failed["source_id"]).isdisjoint(ws.ledger())

    second = workflow.push_workspace(ws, skip_conflicts=True)
    assert (second.created, second.linked, second.failed) == (2, 0, 0)
    assert sorted(ws.journal(second.run_id)["source_id"]) == sorted(failed["source_id"])
    assert len(_sync_accounts(ws)) == creates
    assert _sync_accounts(ws)["payfitId"].is_unique


@pytest.mark.parametrize("crash_at", [1, 5])
def test_push_resumes_after_a_crash(
    small_workspace: Workspace, crash_at: int, monkeypatch: pytest.MonkeyPatch, failing_target: type
):
    """S1: the process dies mid-push; the next push resumes the run from its journal and
    creates nothing twice. Batches of 2: the batches before the crash are committed, the
    batch it hit is rolled back whole."""
    monkeypatch.setattr(push_module, "BATCH_IN_WORKSPACE", 2)
    ws = small_workspace
    plan = workflow.plan_workspace(ws)
    creates = {op.source_id for op in plan.operations if op.op == "create"}
    with pytest.raises(KeyboardInterrupt):
        workflow.push_workspace(ws, target=failing_target({crash_at}, KeyboardInterrupt()), skip_conflicts=True)
    crashed = ws.push_runs()
    assert crashed["status"].tolist() == ["running"]
    run_id = crashed["run_id"].iloc[0]
    journal = ws.journal(run_id)
    ops = plan.actionable()
    # The crash hits the crash_at-th create; every batch of 2 before the one it is in committed.
    nth_create = [i for i, op in enumerate(ops) if op.op == "create"][crash_at - 1]
    committed = nth_create // 2 * 2
    assert (journal["status"] == "done").sum() == committed
    assert (journal["status"] == "pending").sum() == len(journal) - committed
    assert len(_sync_accounts(ws)) == sum(op.op == "create" for op in ops[:committed])

    resumed = workflow.push_workspace(ws, skip_conflicts=True)
    assert resumed.resumed and resumed.run_id == run_id
    assert (resumed.failed, resumed.created) == (0, len(creates))
    assert ws.push_runs()["status"].tolist() == ["done"]  # the same run, finished
    synced = _sync_accounts(ws)
    assert len(synced) == len(creates)
    assert set(synced["payfitId"]) == creates and synced["payfitId"].is_unique
    ledger = ws.ledger()
    assert len(ledger) == len(plan.actionable())
    assert len(set(ledger.values())) == len(ledger)


def test_retry_after_the_target_saved_creates_one_account(small_workspace: Workspace):
    """S2: the create timed out after the target stored it; the retry returns the same account."""
    ws = small_workspace
    plan = workflow.plan_workspace(ws)
    create = next(op for op in plan.operations if op.op == "create")
    remote = RemoteTarget(time_out={create.idempotency_key})
    first = workflow.push_workspace(ws, target=remote, skip_conflicts=True)
    assert first.failed == 1
    assert create.source_id not in ws.ledger()
    second = workflow.push_workspace(ws, target=remote, skip_conflicts=True)
    assert (second.created, second.failed) == (1, 0)
    assert len(remote.by_key) == plan.totals()["create"]
    created_accounts = [a for a in remote.accounts if a.startswith("remote-")]
    assert len(created_accounts) == plan.totals()["create"]  # no second account for the retried key
    assert ws.ledger()[create.source_id] == remote.by_key[create.idempotency_key]


def test_embedded_create_is_idempotent(demo_workspace: Workspace):
    target = EmbeddedTarget()
    values = {"firstName": "Jean", "lastName": "Dupont", "email": "j.dupont@example.fr"}
    with demo_workspace.transaction() as tx:
        first = target.create(values, idempotency_key="create:p1", source_id="p1", tx=tx)
    with demo_workspace.transaction() as tx:
        again = target.create(values, idempotency_key="create:p1", source_id="p1", tx=tx)
        other = target.create(values, idempotency_key="create:p2", source_id="p2", tx=tx)
    assert first == again != other
    synced = _sync_accounts(demo_workspace)
    assert sorted(synced["payfitId"]) == ["p1", "p2"]
    row = synced.set_index("id").loc[first]
    assert (row["firstName"], row["email"], row["relation"], row["kind"]) == (
        "Jean",
        "j.dupont@example.fr",
        "employee",
        "person",
    )


def test_create_anyway_after_the_synced_account_was_deleted(small_workspace: Workspace):
    ws = small_workspace
    workflow.push_workspace(ws, skip_conflicts=True)
    sid = sorted(_sync_accounts(ws)["payfitId"])[0]
    gone = ws.ledger()[sid]
    accounts = ws.equify_accounts()
    ws.load_equify(accounts[accounts["id"] != gone].drop(columns="origin"))  # deleted in Equify, export reloaded
    row = workflow.run_match(ws).records.set_index("source_id").loc[sid]
    assert (row["category"], row["target_id"]) == ("conflict", gone)
    ws.decide([Decision(sid, "create")])
    workflow.push_workspace(ws, skip_conflicts=True)
    assert ws.ledger()[sid] in set(ws.equify_accounts()["id"])


# ---------------------------------------------------------------------------- updates
def test_changed_source_values_are_pushed_as_updates(small_workspace: Workspace):
    ws = small_workspace
    workflow.approve_held(ws)  # (#14) the first links' name changes approved: only this test's change waits
    workflow.push_workspace(ws, skip_conflicts=True)
    sid, account = next(iter(sorted(ws.ledger().items())))
    records = ws.payfit_records()
    records.loc[records["id"] == sid, "email"] = "New.Address@Example.fr"
    records.loc[records["id"] == sid, "teamName"] = "Not mapped"  # unmapped: never an update
    ws.load_payfit(records)

    row = workflow.run_match(ws).records.set_index("source_id").loc[sid]
    assert (row["category"], row["action"], row["target_id"]) == ("synced", "update", account)
    plan = workflow.plan_workspace(ws)
    # An email change waits for a person's approval: nothing is sent before.
    assert (plan.totals()["update"], plan.totals()["skip_held"], plan.totals()["create"]) == (0, 1, 0)
    held = plan.held()
    assert held[["source_id", "field", "after"]].values.tolist() == [[sid, "email", "new.address@example.fr"]]
    before = ws.equify_accounts().set_index("id").loc[account, "email"]
    assert workflow.push_workspace(ws, skip_conflicts=True).updated == 0
    assert ws.equify_accounts().set_index("id").loc[account, "email"] == before
    assert workflow.plan_workspace(ws).totals()["skip_held"] == 1  # still waiting

    assert workflow.approve_held(ws) == 1
    assert any(a.kind == "approve" and a.subject == sid for a in ws.activity().itertuples())
    plan = workflow.plan_workspace(ws)
    assert plan.totals()["update"] == 1 and plan.totals()["create"] == 0
    (update,) = [op for op in plan.operations if op.op == "update"]
    assert [(f, a) for f, _, a in update.changes] == [("email", "new.address@example.fr")]

    result = workflow.push_workspace(ws, skip_conflicts=True)
    assert (result.created, result.updated) == (0, 1)
    assert ws.equify_accounts().set_index("id").loc[account, "email"] == "new.address@example.fr"
    assert ws.ledger_values()[sid]["email"] == "new.address@example.fr"
    after = workflow.run_match(ws).records.set_index("source_id").loc[sid]
    assert (after["category"], after["action"]) == ("synced", "none")


def test_push_result_summary():
    result = PushResult("run-x", created=3, linked=2, updated=1, skipped=4, failed=0, unchanged=9)
    assert result.summary() == {"created": 3, "linked": 2, "updated": 1, "skipped": 4, "failed": 0}
    assert Plan(()).totals()["create"] == 0


def test_a_run_cut_short_shows_as_interrupted_and_the_next_push_finishes_it(
    small_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
):
    """S1 in the embedded target: a push stopped mid-way (page closed, process killed) loses
    nothing: it shows as interrupted, and the next push resumes the same run."""
    from reconcile.sync.push import push_runs

    monkeypatch.setattr(push_module, "BATCH_IN_WORKSPACE", 1)

    class Stop(Exception):
        pass

    def stop_after_three(done: int, total: int) -> None:
        if done == 3:
            raise Stop  # what Streamlit raises in the script thread when the page goes away

    plan = workflow.plan_workspace(small_workspace)
    with pytest.raises(Stop):
        workflow.push(small_workspace, plan, skip_conflicts=True, progress=stop_after_three)
    assert len(small_workspace.ledger()) == 3
    assert push_runs(small_workspace).iloc[0]["status"] == "interrupted"
    run_id = push_runs(small_workspace).iloc[0]["run_id"]
    assert workflow.run_progress(small_workspace, run_id).status == "interrupted"

    result = workflow.push_workspace(small_workspace, skip_conflicts=True)
    totals = plan.totals()
    assert result.resumed and result.run_id == run_id
    assert result.created + result.linked == totals["create"] + totals["link"]
    synced = small_workspace.equify_accounts().query("origin == 'payfit_sync'")
    assert len(synced) == totals["create"] and synced["payfitId"].is_unique
    assert list(push_runs(small_workspace)["status"]) == ["done"]


def test_unapproved_name_change_waits_while_other_fields_go(small_workspace: Workspace):
    """A later sync with a new last name and a new phone: the phone goes, the name waits;
    the approval holds for that value only."""
    ws = small_workspace
    workflow.approve_held(ws)  # (#14) the first links' name changes approved: only this test's change waits
    workflow.push_workspace(ws, skip_conflicts=True)
    sid, account = next(iter(sorted(ws.ledger().items())))
    records = ws.payfit_records()
    records.loc[records["id"] == sid, "lastName"] = "Nouveau-Nom"
    records.loc[records["id"] == sid, "phoneNumber"] = "06 12 34 00 00"
    ws.load_payfit(records)
    plan = workflow.plan_workspace(ws)
    (update,) = [op for op in plan.operations if op.op == "update"]
    assert [f for f, _, _ in update.changes] == ["phoneNumber"]
    assert [(f, a) for f, _, a in update.held] == [("lastName", "Nouveau-Nom")]
    assert "waiting for approval: lastName" in update.reason
    workflow.push_workspace(ws, skip_conflicts=True)
    stored = ws.equify_accounts().set_index("id").loc[account]
    assert stored["phoneNumber"] == "+33612340000" and stored["lastName"] != "Nouveau-Nom"
    assert workflow.plan_workspace(ws).held()["after"].tolist() == ["Nouveau-Nom"]  # still held
    ws.approve([(sid, "lastName", "Autre-Nom")])  # another value: does not approve this one
    assert workflow.plan_workspace(ws).totals()["skip_held"] == 1
    ws.approve([(sid, "lastName", "Nouveau-Nom")])
    assert workflow.push_workspace(ws, skip_conflicts=True).updated == 1
    assert ws.equify_accounts().set_index("id").loc[account, "lastName"] == "Nouveau-Nom"
    assert workflow.plan_workspace(ws).held().empty


def test_a_synced_leaver_is_flagged_never_deleted(small_workspace: Workspace):
    ws = small_workspace
    workflow.push_workspace(ws, skip_conflicts=True)
    sid, account = next(iter(sorted(ws.ledger().items())))
    records = ws.payfit_records()
    records.loc[records["id"] == sid, ["status", "isLeaver", "terminationDate"]] = ["leaver", True, "2026-10-31"]
    ws.load_payfit(records)
    plan = workflow.plan_workspace(ws)
    (flag,) = [op for op in plan.operations if op.skip_kind == "leaver"]
    assert (flag.source_id, flag.target_id) == (sid, account)
    assert "2026-10-31" in flag.reason and "kept" in flag.reason
    assert plan.totals()["skip_leaver"] == 1
    workflow.push_workspace(ws, skip_conflicts=True)
    assert account in set(ws.equify_accounts()["id"])  # not deleted


# ---------------------------------------------------------------------------- a plan is pushed once (#13)
def _wait(ws: Workspace, run_id: str, timeout: float = 60.0) -> workflow.RunProgress:
    """The run's progress once no worker executes it any more."""
    import time

    deadline = time.monotonic() + timeout
    while (progress := workflow.run_progress(ws, run_id)).live:
        assert time.monotonic() < deadline, "the push did not finish in time"
        time.sleep(0.02)
    return progress


def _create_anyway(ws: Workspace) -> tuple[str, Plan]:
    """Issue 13's scenario: one conflict resolved with *create a new account anyway*, the others
    left to skip; returns that record's id and the plan a person confirms."""
    conflicts = workflow.run_match(ws).records.query("category == 'conflict'")["source_id"]
    sid = sorted(conflicts)[0]
    ws.decide([Decision(sid, "create")])
    return sid, workflow.plan_workspace(ws)


def _one_account_per_record(ws: Workspace) -> None:
    synced = _sync_accounts(ws)
    assert synced["payfitId"].is_unique, synced["payfitId"].value_counts().head()
    assert set(ws.ledger().values()) >= set(synced["id"])


def test_the_same_confirmed_plan_is_pushed_once(small_workspace: Workspace):
    """The double click of issue 13 at library level: start, finish, start again with the same
    confirmation: refused, no run, no account."""
    ws = small_workspace
    sid, plan = _create_anyway(ws)
    digest = workflow.plan_digest(ws, plan)
    creates = plan.totals()["create"]
    run_id = workflow.start_push_workspace(ws, skip_conflicts=True, expected_creates=creates, confirmed=digest)
    assert _wait(ws, run_id).status == "done"
    accounts = ws.counts()["equify_accounts"]
    with pytest.raises(PlanAlreadyPushed, match=run_id) as err:
        workflow.start_push_workspace(ws, skip_conflicts=True, expected_creates=creates, confirmed=digest)
    assert err.value.run_id == run_id and "already pushed" in str(err.value)
    with pytest.raises(PlanAlreadyPushed):
        workflow.push_workspace(ws, skip_conflicts=True, confirmed=digest)
    assert ws.push_runs()["run_id"].tolist() == [run_id]  # a refused start leaves no run
    assert ws.counts()["equify_accounts"] == accounts
    _one_account_per_record(ws)
    assert sid in ws.ledger()
    # the plan now has nothing left to create, and a stale confirmation of it is refused too
    now = workflow.plan_workspace(ws)
    assert now.totals()["create"] == 0
    with pytest.raises(PlanChanged):
        workflow.push_workspace(ws, skip_conflicts=True, confirmed=workflow.plan_digest(ws, plan) + "0")


def test_a_plan_confirmed_before_a_change_is_refused(small_workspace: Workspace):
    """A confirmation binds the plan a person saw: once the decisions change, it is stale."""
    ws = small_workspace
    plan = workflow.plan_workspace(ws)
    digest = workflow.plan_digest(ws, plan)
    conflicts = workflow.run_match(ws).records.query("category == 'conflict'")["source_id"]
    ws.decide([Decision(sorted(conflicts)[0], "create")])
    with pytest.raises(PlanChanged, match="changed since it was confirmed"):
        workflow.start_push_workspace(ws, skip_conflicts=True, confirmed=digest)
    assert ws.push_runs().empty and _sync_accounts(ws).empty
    # the digest of the same operations differs once a run went in between (a new basis)
    assert workflow.plan_digest(ws, plan) == digest
    workflow.push_workspace(ws, skip_conflicts=True)
    assert workflow.plan_digest(ws, plan) != digest


def test_two_threads_start_one_confirmed_plan(small_workspace: Workspace):
    """Two starts of one confirmed plan at the same moment: one run, the other refused."""
    ws = small_workspace
    _sid, plan = _create_anyway(ws)
    digest = workflow.plan_digest(ws, plan)
    barrier = threading.Barrier(2)
    started: list[str] = []
    refused: list[BaseException] = []

    def start() -> None:
        barrier.wait(10)
        try:
            started.append(workflow.start_push_workspace(ws, skip_conflicts=True, confirmed=digest))
        except (PushInProgress, PlanAlreadyPushed) as exc:
            refused.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(started) == 1 and len(refused) == 1, (started, refused)
    assert _wait(ws, started[0]).status == "done"
    assert ws.push_runs()["run_id"].tolist() == started
    assert len(_sync_accounts(ws)) == plan.totals()["create"]
    _one_account_per_record(ws)


def test_a_plan_from_a_match_older_than_the_ledger_plans_no_replacing_create(small_workspace: Workspace):
    """The cause of issue 13's duplicate: a match read before a push committed, combined with the
    ledger read after, took the account just made for a deleted one. Planning matches again."""
    ws = small_workspace
    sid, _plan = _create_anyway(ws)
    before = workflow.run_match(ws)  # read before the push
    workflow.push_workspace(ws, skip_conflicts=True)
    made = ws.ledger()[sid]
    mixed = build_plan(
        before,
        canonical_source(workflow.scoped_source(ws), ws.mapping()),
        ws.equify_accounts(),
        ledger=ws.ledger(),
        ledger_values=ws.ledger_values(),
    )
    assert any(op.op == "create" and op.replaces == made for op in mixed.operations)  # the hazard is real
    plan = workflow.plan_workspace(ws, before)
    assert plan.totals()["create"] == 0
    assert not [op for op in plan.operations if op.replaces]


def test_a_replacing_create_is_sent_only_when_the_account_is_gone(small_workspace: Workspace):
    """Even a plan that says so does not replace an account the space still holds: the row is
    journaled skipped with the reason, the ledger keeps its link, no account is made."""
    ws = small_workspace
    sid, _plan = _create_anyway(ws)
    before = workflow.run_match(ws)
    workflow.push_workspace(ws, skip_conflicts=True)
    made, accounts = ws.ledger()[sid], ws.counts()["equify_accounts"]
    mixed = build_plan(
        before, canonical_source(workflow.scoped_source(ws), ws.mapping()), ws.equify_accounts(), ledger=ws.ledger()
    )
    result = workflow.push(ws, mixed, skip_conflicts=True)
    assert ws.counts()["equify_accounts"] == accounts and ws.ledger()[sid] == made
    journal = ws.journal(result.run_id).set_index("source_id")
    row = journal.loc[sid]
    assert (row["status"], row["account_id"]) == ("skipped", made)
    assert made in row["error"] and "still exists" in row["error"]
    assert result.created == 0 and result.failed == 0
    replacing = [op for op in mixed.operations if op.replaces]  # every create of the first push
    assert len(replacing) == 9 and workflow.run_progress(ws, result.run_id).skipped == len(replacing)
    _one_account_per_record(ws)
    # once the account is really gone (deleted in Equify, export reloaded), it is replaced
    kept = ws.equify_accounts()
    ws.load_equify(kept[kept["id"] != made].drop(columns="origin"))
    ws.decide([Decision(sid, "create")])
    plan = workflow.plan_workspace(ws)
    (op,) = [op for op in plan.operations if op.source_id == sid]
    assert (op.op, op.replaces) == ("create", made)
    again = workflow.push_workspace(ws, skip_conflicts=True)
    assert again.created == 1 and ws.ledger()[sid] not in (made, None)
    assert ws.ledger()[sid] in set(ws.equify_accounts()["id"])


def test_a_file_target_that_cannot_write_ends_its_run_and_blocks_nothing(small_workspace: Workspace, tmp_path: Path):
    """A file target's writer that crashes (e.g. openpyxl's IllegalCharacterError) ends the run
    ``failed`` with the error; the next push, to another target, goes ahead."""
    ws = small_workspace

    class Crashing(FileTarget):
        def write(self, rows: list[dict[str, Any]]) -> Path:
            raise ValueError("cannot convert '\\x01' to Excel")

    with pytest.raises(TargetError, match="could not be written: ValueError") as err:
        workflow.push_workspace(ws, target=Crashing(tmp_path / "out.xlsx"), skip_conflicts=True)
    assert str(tmp_path / "out.xlsx") in str(err.value)
    run = ws.push_runs().iloc[0]
    assert run["status"] == "failed" and "could not be written" in run["error"]
    assert workflow.unfinished_run(ws) is None
    result = workflow.push_workspace(ws, skip_conflicts=True)  # the embedded target: not blocked
    assert result.created == 8 and not result.resumed
    # the same through the app's worker
    ws.decide(
        [Decision(sorted(workflow.run_match(ws).records.query("category == 'conflict'")["source_id"])[0], "create")]
    )
    run_id = workflow.start_push_workspace(ws, target=Crashing(tmp_path / "out.csv"), skip_conflicts=True)
    progress = _wait(ws, run_id)
    assert progress.status == "failed" and "could not be written" in (progress.error or ""), progress
    assert workflow.push_workspace(ws, skip_conflicts=True).created == 1


def test_a_run_is_bound_to_its_target(small_workspace: Workspace, failing_target: type, tmp_path: Path):
    """An unfinished run is finished against the target it started with, or refused."""
    ws = small_workspace
    with pytest.raises(KeyboardInterrupt):
        workflow.push_workspace(ws, target=failing_target({3}, KeyboardInterrupt()), skip_conflicts=True)
    unfinished = workflow.unfinished_run(ws)
    assert unfinished is not None and unfinished.identity == "embedded target"
    with pytest.raises(RunTargetMismatch, match="embedded target") as err:
        workflow.push_workspace(ws, target=FileTarget(tmp_path / "x.csv"), skip_conflicts=True)
    assert isinstance(err.value, UnfinishedRun) and "nothing was sent" in str(err.value)
    assert not (tmp_path / "x.csv").exists()
    assert workflow.push_workspace(ws, skip_conflicts=True).resumed


def test_finish_run_finishes_that_run_only(small_workspace: Workspace, failing_target: type, monkeypatch):
    """The page's *Finish run* passes the run's id: a second click, once it is finished, starts
    no new push (the plan had more to do by then)."""
    ws = small_workspace
    monkeypatch.setattr(push_module, "BATCH_IN_WORKSPACE", 1)
    with pytest.raises(KeyboardInterrupt):
        workflow.push_workspace(ws, target=failing_target({3}, KeyboardInterrupt()), skip_conflicts=True)
    run_id = ws.push_runs()["run_id"].iloc[0]
    assert workflow.start_push_workspace(ws, skip_conflicts=True, resume=run_id) == run_id
    assert _wait(ws, run_id).status == "done"
    _create_anyway(ws)  # something new to push
    with pytest.raises(PushBlocked, match="nothing left to finish"):
        workflow.start_push_workspace(ws, skip_conflicts=True, resume=run_id)
    assert ws.push_runs()["run_id"].tolist() == [run_id]
