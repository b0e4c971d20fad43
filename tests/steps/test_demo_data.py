"""The demo company: every planted situation of ``reconcile/demo/scenarios.json`` ends where it should.

Expected values come from the scenario file and ``ground_truth.csv``, which the
generator writes independently of any matcher.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import phonenumbers
import pytest

from reconcile import MatchResult, Relation, Workspace, match, workflow

SCENARIOS = json.loads((Path(__file__).resolve().parents[2] / "reconcile" / "demo" / "scenarios.json").read_text())
BY_NAME = {s["scenario"]: s for s in SCENARIOS}
IN_SCOPE = [s for s in SCENARIOS if s["payfit_ids"] and s["expected_category"] != "out_of_scope"]
OUT_OF_SCOPE = [s for s in SCENARIOS if s["expected_category"] == "out_of_scope"]
EQUIFY_ONLY = [s for s in SCENARIOS if s["expected_category"] == "equify_only"]


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> MatchResult:
    """The demo matched with the default settings (active employees); computed once, read only."""
    with Workspace.open(tmp_path_factory.mktemp("demo") / "ws.duckdb") as ws:
        workflow.load_demo(ws, demo_dir)
        return workflow.run_match(ws)


@pytest.fixture(scope="module")
def ground_truth() -> set[tuple[str, str]]:
    path = Path(__file__).resolve().parents[2] / "reconcile" / "demo" / "ground_truth.csv"
    with path.open(newline="", encoding="utf-8") as f:
        return {(r["payfit_id"], r["equify_account_id"]) for r in csv.DictReader(f)}


def test_scenario_file_covers_every_record(demo_workspace: Workspace):
    """The README's promise: the non-overlay scenarios are disjoint and cover every record."""
    overlays = {"phone_no_country_code", "belgian_phone"}
    ids = [pid for s in SCENARIOS if s["scenario"] not in overlays for pid in s["payfit_ids"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(demo_workspace.payfit_records()["id"])
    accounts = [a for s in SCENARIOS if s["scenario"] not in overlays for a in s["equify_ids"]]
    assert set(accounts) <= set(demo_workspace.equify_accounts()["id"])


@pytest.mark.parametrize("scenario", IN_SCOPE, ids=[s["scenario"] for s in IN_SCOPE])
def test_scenario_category_and_action(scenario, demo_result: MatchResult):
    records = demo_result.records.set_index("source_id")
    wrong = {}
    for pid in scenario["payfit_ids"]:
        row = records.loc[pid]
        if (row["category"], row["action"]) != (scenario["expected_category"], scenario["expected_action"]):
            wrong[pid] = (row["category"], row["action"], row["reason"])
    assert not wrong, f"{scenario['scenario']}: {wrong}"


@pytest.mark.parametrize(
    "scenario",
    [s for s in IN_SCOPE if len(s["payfit_ids"]) == len(s["equify_ids"])],
    ids=[s["scenario"] for s in IN_SCOPE if len(s["payfit_ids"]) == len(s["equify_ids"])],
)
def test_scenario_points_at_its_planted_account(scenario, demo_result: MatchResult):
    """Index i on each side is the same planted case: links and conflicts show that account; a
    create names the namesake it set aside (in its reason, never as its target)."""
    records = demo_result.records.set_index("source_id")
    for pid, account in zip(scenario["payfit_ids"], scenario["equify_ids"], strict=True):
        if scenario["expected_action"] == "create":
            assert pd.isna(records.loc[pid, "target_id"]), pid
            assert f"({account}) has this name but another birth date" in records.loc[pid, "reason"], pid
        else:
            assert records.loc[pid, "target_id"] == account, pid


def test_duplicate_email_conflicts_name_the_reason(demo_result: MatchResult):
    records = demo_result.records.set_index("source_id")
    for pid in BY_NAME["duplicate_email_payfit"]["payfit_ids"]:
        assert "shared by 2 Payfit records" in records.loc[pid, "reason"]
    (alice,) = BY_NAME["duplicate_email_equify"]["payfit_ids"]
    assert "2 Equify accounts" in records.loc[alice, "reason"]
    (lucas,) = BY_NAME["recycled_mailbox"]["payfit_ids"]
    assert "names clearly disagree" in records.loc[lucas, "reason"]


# What each planted conflict must say, in words (issue 4: every planted conflict with the right reason).
PLANTED_REASONS = {
    "conflict_no_email": "which has no email",
    "conflict_work_email": "whose email differs",
    "homonym_conflict": "whose email differs",
    "duplicate_email_payfit": "shared by 2 Payfit records",
    "duplicate_email_equify": "appears on 2 Equify accounts",
    "recycled_mailbox": "names clearly disagree",
    # issue 14: a plausible match is a conflict saying why (doubt), never a create
    "doubt_given_name_shortened": "possible match: given name shortened",
    "doubt_given_name_initials": "possible match: given name written as initials",
    "doubt_particle_abbreviated": "possible match: surname particle abbreviated",
    "doubt_transliteration": "possible match: given name spelled another way",
    "doubt_near_email": "possible match: near-identical emails (a +tag)",
    "doubt_near_birth_date_and_matricule": "the birth dates are near (two adjacent digits swapped)",
    "doubt_married_name": "possible match: last name is the other record's birth or married name",
    "doubt_gmail_dots": "whose email is near-identical (dots in a Gmail address: ",
}


@pytest.mark.parametrize("name", sorted(PLANTED_REASONS))
def test_every_planted_conflict_gives_its_reason(name: str, demo_result: MatchResult):
    records = demo_result.records.set_index("source_id")
    scenario = BY_NAME[name]
    assert scenario["expected_category"] == "conflict"
    for pid in scenario["payfit_ids"]:
        assert records.loc[pid, "category"] == "conflict", pid
        assert PLANTED_REASONS[name] in records.loc[pid, "reason"], (pid, records.loc[pid, "reason"])


def test_near_values_are_never_called_different(demo_result: MatchResult):
    """A birth date and a matricule with two digits swapped are near, not 'different' (issue 14)."""
    records = demo_result.records.set_index("source_id")
    (pid,) = BY_NAME["doubt_near_birth_date_and_matricule"]["payfit_ids"]
    reason = records.loc[pid, "reason"]
    assert "matricules are near-identical" in reason and "differ" not in reason, reason


def test_every_conflict_scenario_has_a_reason_check():
    planted = {s["scenario"] for s in BY_NAME.values() if s["expected_category"] == "conflict"}
    assert planted == set(PLANTED_REASONS)


def test_out_of_scope_records_are_absent_by_default(demo_result: MatchResult):
    hidden = {pid for s in OUT_OF_SCOPE for pid in s["payfit_ids"]}
    assert hidden
    assert hidden.isdisjoint(demo_result.records["source_id"])


def test_equify_only_accounts_are_never_a_target(demo_result: MatchResult):
    accounts = {a for s in EQUIFY_ONLY for a in s["equify_ids"]}
    assert accounts
    assert accounts.isdisjoint(set(demo_result.records["target_id"].dropna()))


def test_every_automatic_link_is_true(demo_result: MatchResult, ground_truth: set[tuple[str, str]]):
    links = set(zip(demo_result.links["source_id"], demo_result.links["target_id"], strict=True))
    assert links
    assert links <= ground_truth, f"false automatic links: {sorted(links - ground_truth)}"


def test_counts(demo_result: MatchResult):
    counts = demo_result.counts()
    assert counts["new"] > 0
    assert counts["conflict"] > 0
    assert counts["synced"] == 0  # no earlier sync in the demo
    assert counts["excluded"] == 0
    expected_in_scope = {pid for s in IN_SCOPE for pid in s["payfit_ids"]}
    assert len(demo_result.records) == len(expected_in_scope)
    expected_conflicts = sum(len(s["payfit_ids"]) for s in IN_SCOPE if s["expected_category"] == "conflict")
    assert counts["conflict"] == expected_conflicts


@pytest.mark.parametrize(
    ("relation", "scenario"),
    [
        pytest.param(Relation(include_leavers=True), "leaver", id="leavers"),
        pytest.param(Relation(include_without_contract=True), "admin_no_contract", id="without-contract"),
    ],
)
def test_out_of_scope_included_on_request(
    demo_workspace: Workspace, ground_truth: set[tuple[str, str]], relation: Relation, scenario: str
):
    demo_workspace.set_relation(relation)
    result = workflow.run_match(demo_workspace)
    records = result.records.set_index("source_id")
    for pid in BY_NAME[scenario]["payfit_ids"]:
        assert pid in records.index
        truth = {acc for p, acc in ground_truth if p == pid}
        row = records.loc[pid]
        if truth:  # planted with the same email as an Equify account
            assert (row["category"], row["action"], row["target_id"]) == ("new", "link", truth.pop())
        else:
            assert (row["category"], row["action"]) == ("new", "create")
    other = next(s for s in OUT_OF_SCOPE if s["scenario"] != scenario)
    assert set(other["payfit_ids"]).isdisjoint(records.index)  # only what was asked for
    links = set(zip(result.links["source_id"], result.links["target_id"], strict=True))
    assert links <= ground_truth


def test_matching_does_not_depend_on_row_order(demo_workspace: Workspace):
    source = workflow.scoped_source(demo_workspace)
    accounts = demo_workspace.equify_accounts()
    mapping = demo_workspace.mapping()
    forward = match(source, accounts, mapping=mapping).records.set_index("source_id").sort_index()
    backward = (
        match(source.iloc[::-1].reset_index(drop=True), accounts.iloc[::-1].reset_index(drop=True), mapping=mapping)
        .records.set_index("source_id")
        .sort_index()
    )
    cols = ["category", "action", "target_id"]
    pd.testing.assert_frame_equal(forward[cols], backward[cols])


def _demo_phones(demo_dir: Path) -> list[tuple[str, str | None]]:
    """Every phone of the demo with its country hint: Payfit phones (address country), Equify ones (country)."""
    out: list[tuple[str, str | None]] = []
    for page in sorted((demo_dir / "payfit").glob("collaborators-*.json")):
        for c in json.loads(page.read_text(encoding="utf-8"))["collaborators"]:
            hint = c["addresses"][0]["country"] if c["addresses"] else None
            out += [(p["phoneNumber"], hint) for p in c["phoneNumbers"]]
    with (demo_dir / "equify_accounts.csv").open(newline="", encoding="utf-8") as f:
        out += [(r["phoneNumber"], r["country"] or None) for r in csv.DictReader(f) if r["phoneNumber"]]
    return out


def test_every_demo_phone_is_a_valid_number(demo_dir: Path):
    """The demo's phones are fictitious yet valid for the phone library, so phone evidence can agree."""
    phones = _demo_phones(demo_dir)
    assert len(phones) > 200
    invalid = [
        (text, hint)
        for text, hint in phones
        if not phonenumbers.is_valid_number(phonenumbers.parse(text, hint or "FR"))
    ]
    assert not invalid


def test_planted_pairs_show_their_phone_agreeing(demo_result: MatchResult):
    """Where a planted conflict's account holds the person's phone, the candidate pair says the phones agree."""
    cand = demo_result.candidates.set_index(["source_id", "target_id"])
    scenario = BY_NAME["conflict_no_email"]
    agree = [
        cand.loc[(p, a), "phone_agree"] for p, a in zip(scenario["payfit_ids"], scenario["equify_ids"], strict=True)
    ]
    assert agree.count(True) >= 3 and False not in agree, agree


def test_generator_is_deterministic(repo_root: Path, demo_dir: Path, tmp_path: Path):
    out = tmp_path / "demo"
    subprocess.run(
        [sys.executable, str(repo_root / "data" / "generate_demo.py"), "--out", str(out)],
        cwd=repo_root,
        check=True,
        capture_output=True,
    )
    committed = sorted(p.relative_to(demo_dir) for p in demo_dir.rglob("*") if p.is_file())
    generated = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert generated == committed
    for rel in committed:
        assert (out / rel).read_bytes() == (demo_dir / rel).read_bytes(), rel
