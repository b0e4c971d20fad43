"""The push gate (reconcile.sync.gate.push_gate): one set of rules for the app, the CLI and the notebook."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reconcile import Workspace, cli, workflow
from reconcile.sync.gate import CONFLICT_REMEDIES, conflicts_refusal, push_gate


@pytest.fixture
def plan_with_conflicts(demo_workspace: Workspace):  # type: ignore[no-untyped-def]
    plan = workflow.plan_workspace(demo_workspace)
    assert plan.totals()["skip_conflict"] > 0 and plan.totals()["create"] > 0
    return plan


def test_conflicts_stop_the_push_until_skipped(plan_with_conflicts) -> None:  # type: ignore[no-untyped-def]
    creates = str(plan_with_conflicts.totals()["create"])
    gate = push_gate(plan_with_conflicts, typed=creates)
    assert not gate.open and gate.blocked_by_conflicts and "conflict(s) are unresolved" in gate.reasons[0]
    gate = push_gate(plan_with_conflicts, typed=creates, skip_conflicts=True)
    assert gate.open and not gate.blocked_by_conflicts and gate.reasons == ()


def test_each_front_end_says_the_remedy_in_its_own_words(plan_with_conflicts) -> None:  # type: ignore[no-untyped-def]
    """One rule (conflicts stop the push), its remedy in the words of the front end asking: the
    app's page and checkbox (as before), the CLI's commands; the same refusal either way."""
    n = plan_with_conflicts.totals()["skip_conflict"]
    app, cli_gate = push_gate(plan_with_conflicts), push_gate(plan_with_conflicts, front="cli")
    assert app.reasons[0] == (
        f"{n} conflict(s) are unresolved: resolve them on the Review page, "
        "or skip them (the app's checkbox, or --skip-conflicts) to push everything else"
    )
    assert (
        cli_gate.reasons[0]
        == conflicts_refusal(n, "cli")
        == (
            f"{n} conflict(s) are unresolved: see them with `reconcile review conflict`, resolve each with "
            "`reconcile decide SOURCE_ID link TARGET_ID|create|exclude`, or push everything else with --skip-conflicts"
        )
    )
    assert app.reasons[0] == conflicts_refusal(n) and set(CONFLICT_REMEDIES) == {"app", "cli"}
    assert not any(w in cli_gate.reasons[0] for w in ("Review page", "checkbox", "app"))
    # everything else the gate decides is the same whoever asks
    for gate in (app, cli_gate):
        assert (gate.open, gate.blocked_by_conflicts, gate.conflicts, gate.expected) == (
            False,
            True,
            n,
            str(plan_with_conflicts.totals()["create"]),
        )
    assert app.reasons[1:] == cli_gate.reasons[1:] and app.prompt == cli_gate.prompt


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_nothing_typed_asks_for_the_number_of_creates(plan_with_conflicts, typed) -> None:  # type: ignore[no-untyped-def]
    gate = push_gate(plan_with_conflicts, skip_conflicts=True, typed=typed)
    creates = plan_with_conflicts.totals()["create"]
    assert not gate.open and gate.expected == str(creates)
    assert gate.reasons == (f"type the number of accounts to create ({creates}) to confirm",)
    assert gate.prompt == f"Type the number of accounts to create ({creates}) and press Enter"


def test_a_wrong_number_says_why_and_the_right_one_with_spaces_opens(plan_with_conflicts) -> None:  # type: ignore[no-untyped-def]
    creates = plan_with_conflicts.totals()["create"]
    gate = push_gate(plan_with_conflicts, skip_conflicts=True, typed=str(creates + 1))
    assert (
        not gate.open and f"type {creates} to confirm" in gate.reasons[0] and repr(str(creates + 1)) in gate.reasons[0]
    )
    assert push_gate(plan_with_conflicts, skip_conflicts=True, typed=f" {creates}\n").open


def test_confirmed_up_front_needs_no_typing_but_conflicts_still_count(plan_with_conflicts) -> None:  # type: ignore[no-untyped-def]
    assert push_gate(plan_with_conflicts, skip_conflicts=True, confirmed=True).open
    assert not push_gate(plan_with_conflicts, confirmed=True).open


def test_a_plan_creating_nobody_is_confirmed_with_push(demo_workspace: Workspace) -> None:
    from reconcile.sync.plan import Plan

    empty = Plan(())
    gate = push_gate(empty)
    assert gate.expected == "push" and gate.nothing_to_send and gate.prompt == "Type push and press Enter"
    assert push_gate(empty, typed="push").open
    assert "type push" in push_gate(empty, typed="0").reasons[0]


def test_held_changes_are_counted_one_per_field(plan_with_conflicts) -> None:  # type: ignore[no-untyped-def]
    assert push_gate(plan_with_conflicts).held == len(plan_with_conflicts.held())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_cli_asks_through_the_same_gate(
    demo_workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(demo_workspace.path)
    demo_workspace.close()
    creates = None
    with Workspace.open(path) as ws:
        creates = workflow.plan_workspace(ws).totals()["create"]
    code = cli.main(["--workspace", path, "push", "--skip-conflicts"], stdin=_Terminal(f"{creates + 1}\n"))
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and f"type {creates} to confirm; nothing was pushed" in err
    assert f"Type the number of accounts to create ({creates}) to confirm: " in err
    with Workspace.open(path) as ws:
        assert ws.push_runs().empty
    code = cli.main(["--workspace", path, "push", "--skip-conflicts"], stdin=_Terminal(f"{creates}\n"))
    assert code == cli.EXIT_OK
    with Workspace.open(path) as ws:
        assert len(ws.push_runs()) == 1


def test_creates_with_no_equify_account_loaded_are_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Payfit loaded, the Equify export forgotten: every record would be created; the gate warns (the
    CLI's plan and push, the Sync page), and says nothing once the accounts are there."""
    from reconcile.sources.payfit import read_payfit_dump

    path = tmp_path / "only-payfit.duckdb"
    with Workspace.open(path) as ws:
        ws.load_payfit(read_payfit_dump(workflow.DEMO_DIR / "payfit"))
        plan = workflow.plan_workspace(ws)
        gate = push_gate(plan, accounts=ws.counts()["equify_accounts"])
    assert plan.totals()["create"] > 0 and len(gate.warnings) == 1
    assert "no Equify account is loaded" in gate.warnings[0] and "duplicate" in gate.warnings[0]
    assert cli.main(["--workspace", str(path), "plan"]) == cli.EXIT_OK
    assert "Warning: no Equify account is loaded" in capsys.readouterr().err
    with Workspace.open(path) as ws:
        workflow.load_demo(ws)
        assert push_gate(workflow.plan_workspace(ws), accounts=ws.counts()["equify_accounts"]).warnings == ()


def test_the_held_changes_are_said_the_same_way_everywhere(plan_with_conflicts) -> None:  # type: ignore[no-untyped-def]
    gate = push_gate(plan_with_conflicts)
    held = plan_with_conflicts.held()
    if held.empty:
        assert gate.held_sentence() == ""
    else:
        sentence = gate.held_sentence()
        n = held["source_id"].nunique()
        assert sentence.startswith(f"{len(held)} change(s) to the Equify accounts of {n} ")
        assert "synced" not in sentence  # links' changes wait too, before anyone is synced (a new-user trial)


def _another_company(ws: Workspace) -> None:
    """The Equify space of the demo, the Payfit export of another company (bench/synth): most
    people would be created while the space holds accounts (#16: the wrong customer)."""
    from bench import synth

    source, _target, _truth = synth.generate(150, seed=5)
    records = ws.payfit_records()
    other = records.iloc[:0].reindex(range(len(source)))
    for column in other.columns:
        if column in source.columns:
            other[column] = source[column].to_numpy()
    other["id"] = [f"other-{i}" for i in range(len(source))]
    other["status"] = "active"
    ws.load_payfit(other)


def test_most_people_created_while_equify_has_accounts_asks_for_the_right_customer(
    demo_workspace: Workspace,
) -> None:
    ws = demo_workspace
    demo = push_gate(workflow.plan_workspace(ws), skip_conflicts=True, accounts=ws.counts()["equify_accounts"])
    assert demo.customer_question == ""  # the demo links about as many as it creates
    _another_company(ws)
    plan = workflow.plan_workspace(ws)
    t = plan.totals()
    assert t["create"] > t["link"]
    accounts = ws.counts()["equify_accounts"]
    typed = str(t["create"])
    gate = push_gate(plan, skip_conflicts=True, typed=typed, accounts=accounts)
    assert gate.customer_question.startswith("Is this the right customer?") and str(accounts) in gate.customer_question
    assert not gate.open and gate.reasons == ("say this is the right customer (most people would be created)",)
    assert push_gate(plan, skip_conflicts=True, typed=typed, accounts=accounts, right_customer=True).open
    assert push_gate(plan, skip_conflicts=True, confirmed=True, accounts=accounts).open  # --yes says it
    assert push_gate(plan, skip_conflicts=True, typed=typed, accounts=0).customer_question == ""  # a warning instead
    assert push_gate(plan, skip_conflicts=True, typed=typed, accounts=3).open  # a few founders: a first sync


def test_the_cli_asks_whether_this_is_the_right_customer(
    demo_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _another_company(demo_workspace)
    path = str(demo_workspace.path)
    creates = workflow.plan_workspace(demo_workspace).totals()["create"]
    demo_workspace.close()
    code = cli.main(["--workspace", path, "push", "--skip-conflicts"], stdin=_Terminal(f"no\n{creates}\n"))
    err = capsys.readouterr().err
    assert (
        code == cli.EXIT_USAGE and "Is this the right customer?" in err and "not confirmed as the right customer" in err
    )
    with Workspace.open(path) as ws:
        assert ws.push_runs().empty
    code = cli.main(["--workspace", path, "push", "--skip-conflicts", "--dry-run"])
    assert code == cli.EXIT_OK and "Warning: Is this the right customer?" in capsys.readouterr().err
    code = cli.main(["--workspace", path, "push", "--skip-conflicts"], stdin=_Terminal(f"yes\n{creates}\n"))
    assert code == cli.EXIT_OK, capsys.readouterr().err
    with Workspace.open(path) as ws:
        assert len(ws.push_runs()) == 1
