"""What the CLI says, after the small things users tripped on (issue 16): ``review conflict``
names the candidate accounts ``decide`` needs and never cuts a reason; a dry run says what a
push *would* do; a refusal names the command that gets past it, never the app's page; every
message on stderr starts with a capital letter. Run in-process on a demo workspace."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from reconcile import Workspace, cli, workflow
from reconcile.steps.review import REVIEW_COLUMNS

CLI_SOURCE = Path(cli.__file__)
#: argparse's own usage error, kept in argparse's form: "usage: ..." and "reconcile ...: error: ...".
ARGPARSE = re.compile(r"^(usage: |reconcile( [a-z]+)*: error: )")
#: The app's words, which the CLI must not use for its own remedies.
APP_WORDS = ("Review page", "Sync page", "Mapping page", "Mapping step", "checkbox", "the app's")


@pytest.fixture
def run(demo_cli):
    return demo_cli


def _last(out: str):
    return json.loads(out.strip().splitlines()[-1])


def _blocks(out: str) -> dict[str, list[str]]:
    """``review conflict``'s text: ``{source_id: the block's lines}``."""
    blocks = {}
    for block in out.strip().split("\n\n"):
        lines = block.splitlines()
        blocks[lines[0].split()[0]] = lines
    return blocks


def _candidate_ids(lines: list[str]) -> list[str]:
    """The account ids a block lists under ``candidates``, one a line."""
    start = next(i for i, line in enumerate(lines) if line.startswith("  candidates  "))
    return [line[len("  candidates  ") :].split(" ", 1)[0] for line in lines[start:]]


# ---------------------------------------------------------------------------- review conflict
def test_review_conflict_shows_each_whole_reason_and_the_candidates_decide_needs(run) -> None:
    code, out, _ = run("review", "conflict", "--json")
    rows = _last(out)["rows"]
    assert code == 0 and rows
    long_reasons = [r["reason"] for r in rows if len(r["reason"]) > 60]
    assert long_reasons  # the demo has reasons a 60-character column used to cut
    code, text, err = run("review", "conflict")
    assert code == 0 and "..." not in text
    blocks = _blocks(text)
    assert set(blocks) == {r["source_id"] for r in rows}  # one block per conflict
    with Workspace.open(run.path) as ws:
        result = workflow.run_match(ws)
        for r in rows:
            block = blocks[r["source_id"]]
            assert f"  reason      {r['reason']}" in block, r["source_id"]  # whole, on its line
            listed = _candidate_ids(block)
            expected = list(workflow.candidates_for(ws, result, r["source_id"])["target_id"])
            if r["target_id"] and r["target_id"] not in expected:
                expected.insert(0, r["target_id"])
            assert listed == (expected or ["none:"]), r["source_id"]
            if r["target_id"]:
                assert r["target_id"] in listed
    # a conflict with no account of its own (one email on two accounts) lists both accounts
    shared = next(r for r in rows if not r["target_id"] and "appears on 2 Equify accounts" in r["reason"])
    assert len(_candidate_ids(blocks[shared["source_id"]])) == 2
    assert "`reconcile decide SOURCE_ID link TARGET_ID|create|exclude`" in err
    # each candidate's line: the account id, its name and its score
    first = next(r for r in rows if r["target_id"])
    block = blocks[first["source_id"]]
    listing = block[next(i for i, x in enumerate(block) if x.startswith("  candidates  ")) :]
    line = next(x for x in listing if first["target_id"] in x)
    assert re.search(rf"{re.escape(first['target_id'])} \(.+, \d+(\.\d)?\)$", line), line


def test_a_listed_candidate_is_what_decide_link_takes(run) -> None:
    """The ids shown are the ones ``decide SOURCE_ID link TARGET_ID`` needs: with the second
    candidate of the conflict that has two, the person moves to a link to that account."""
    _, text, _ = run("review", "conflict")
    sid, lines = next((s, b) for s, b in _blocks(text).items() if len(_candidate_ids(b)) == 2)
    chosen = _candidate_ids(lines)[1]
    code, out, err = run("decide", sid, "link", chosen, "--json")
    assert code == 0, err
    assert _last(out)["moved"][0]["after"] == "new (link)"
    with Workspace.open(run.path) as ws:
        rec = workflow.run_match(ws).records.set_index("source_id").loc[sid]
    assert (rec["action"], rec["target_id"]) == ("link", chosen)


def test_review_conflict_json_and_csv_keep_their_keys_and_columns(run) -> None:
    kept = [c for c in REVIEW_COLUMNS if c not in ("category", "search")]
    code, out, _ = run("review", "conflict", "--json")
    rows = _last(out)["rows"]
    assert code == 0 and all(list(r)[: len(kept)] == kept for r in rows)
    assert all(list(r)[len(kept) :] == ["candidates"] for r in rows)  # added, none removed
    with_account = next(r for r in rows if r["target_id"])
    first = with_account["candidates"][0]
    assert set(first) == {"target_id", "name", "score"} and first["target_id"] == with_account["target_id"]
    assert first["score"] == pytest.approx(with_account["score"])
    code, out, _ = run("review", "conflict", "--csv")
    assert code == 0 and list(pd.read_csv(pd.io.common.StringIO(out), dtype=str).columns) == kept
    code, out, _ = run("review", "new", "--json")
    assert code == 0 and all(list(r) == kept for r in _last(out)["rows"])


def test_the_other_sets_keep_their_reasons_whole_too(run) -> None:
    code, out, _ = run("review", "new", "--json")
    reasons = [r["reason"] for r in _last(out)["rows"] if r["reason"] and len(r["reason"]) > 60]
    assert code == 0 and reasons
    code, text, _ = run("review", "new")
    assert code == 0 and all(reason in text for reason in reasons)
    header, *lines = text.splitlines()
    assert header.split()[-1] == "reason" and len(lines) == len(_last(run("review", "new", "--json")[1])["rows"])


def test_a_search_that_finds_no_conflict_says_so(run) -> None:
    code, out, err = run("review", "conflict", "--search", "zzz-nobody")
    assert code == 0 and out == "" and err == "No record in the conflict set matches 'zzz-nobody'\n"


# ---------------------------------------------------------------------------- push --dry-run
def test_a_dry_run_says_what_a_push_would_do(run) -> None:
    code, out, err = run("push", "--dry-run", "--skip-conflicts")
    assert code == 0, err
    shown = dict(line.rsplit(None, 1) for line in out.splitlines())
    _, js, _ = run("push", "--dry-run", "--skip-conflicts", "--json")
    counts = _last(js)
    assert set(counts) == {"created", "linked", "updated", "skipped", "failed"}  # the JSON keys stay
    assert shown == {
        "would create": str(counts["created"]),
        "would link": str(counts["linked"]),
        "would update": str(counts["updated"]),
        "would skip": str(counts["skipped"]),
    }
    assert f"Dry run, nothing was sent: a push would create {counts['created']} account(s)" in err
    with Workspace.open(run.path) as ws:
        assert ws.push_runs().empty and ws.counts()["ledger"] == 0


def test_a_dry_run_of_a_cut_short_run_says_it_would_resume_it(run, failing_target: type) -> None:
    from reconcile.sync import push as push_module

    with Workspace.open(run.path) as ws:
        old = push_module.BATCH_IN_WORKSPACE
        push_module.BATCH_IN_WORKSPACE = 1
        try:
            with pytest.raises(KeyboardInterrupt):
                workflow.push_workspace(ws, target=failing_target({3}, KeyboardInterrupt()), skip_conflicts=True)
        finally:
            push_module.BATCH_IN_WORKSPACE = old
        run_id = ws.push_runs()["run_id"].iloc[0]
        pending = workflow.run_progress(ws, run_id).pending
    code, out, err = run("push", "--dry-run")
    assert code == 0 and out == f"would resume  {pending} operation(s)\n"
    assert f"Dry run, nothing was sent: a push would resume run {run_id}" in err


# ---------------------------------------------------------------------------- refusals in the CLI's words
def test_a_push_refused_for_conflicts_names_the_commands_not_the_app(run) -> None:
    with Workspace.open(run.path) as ws:
        conflicts = workflow.run_match(ws).counts()["conflict"]
    remedy = (
        f"{conflicts} conflict(s) are unresolved: see them with `reconcile review conflict`, resolve each with "
        "`reconcile decide SOURCE_ID link TARGET_ID|create|exclude`, or push everything else with --skip-conflicts"
    )
    code, out, err = run("push", "--yes", "--json")
    assert code == cli.EXIT_BLOCKED and f"Push refused: {remedy}\n" in err
    assert _last(out) == {"error": remedy, "kind": "push refused", "exit_code": cli.EXIT_BLOCKED}
    code, _, err = run("push", "--dry-run")  # the dry run says the same of a real push
    assert code == 0 and f"A real push would be refused: {remedy}\n" in err
    for args in (("push", "--yes"), ("push", "--dry-run"), ("push", "--skip-conflicts")):
        _, _, err = run(*args)
        assert not [w for w in APP_WORDS if w in err], (args, err)


def test_held_changes_and_a_leaver_outside_the_relation_are_said_in_the_clis_words(run) -> None:
    code, _, err = run("push", "--dry-run", "--skip-conflicts")
    assert code == 0 and "Held: " in err and "approve them with --approve-all\n" in err
    with Workspace.open(run.path) as ws:
        records = ws.payfit_records()
        leaver = records.loc[records["status"] == "leaver", "id"].iloc[0]
    code, _, err = run("decide", leaver, "exclude")
    assert code == 0 and err.startswith(f"Note: {leaver} is a leaver, outside the chosen relation")
    assert "`reconcile mapping load`" in err and not [w for w in APP_WORDS if w in err]


def test_no_text_the_cli_prints_sends_a_person_to_the_app() -> None:
    """No string in cli.py but its docstrings (its messages, its help) names a page of the app
    or its checkbox: the CLI's remedies are its commands."""
    tree = ast.parse(CLI_SOURCE.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    texts = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]
    assert len(texts) > 100
    assert not [(t, w) for t in texts for w in APP_WORDS if w in t]


# ---------------------------------------------------------------------------- capitals
def _uncapitalised(err: str) -> list[str]:
    """The lines of ``err`` that start a message without a capital letter (a detail line is
    indented; argparse's usage error keeps argparse's form)."""
    return [
        line
        for line in err.splitlines()
        if line and not line[0].isspace() and not line[0].isupper() and not ARGPARSE.match(line)
    ]


def test_every_message_on_stderr_starts_with_a_capital(run, tmp_path: Path, capsys) -> None:
    """A representative session, successes and failures: every line on stderr starts with a
    capital letter, or is indented (a detail of the line above), or is argparse's usage error."""
    said: list[tuple[tuple[str, ...], int, str]] = []

    def say(*args: str) -> tuple[int, str, str]:
        code, out, err = run(*args)
        said.append((args, code, err))
        return code, out, err

    say("demo")  # replacing the contents
    with Workspace.open(run.path) as ws:
        records = ws.payfit_records()
        matched = workflow.run_match(ws).records
        leaver = records.loc[records["status"] == "leaver", "id"].iloc[0]
        new = matched.query("action == 'create'")["source_id"].iloc[0]
        records.loc[records["id"] == new, "email"] = "n/a"  # a value a push does not send
        ws.load_payfit(records)
    sid, tid = matched.query("category == 'conflict'").dropna(subset=["target_id"]).iloc[0][["source_id", "target_id"]]
    profile, no_ids = tmp_path / "profile.json", tmp_path / "accounts.csv"
    no_ids.write_text("prenom,nom,email\nJean,Dupont,j.dupont@example.fr\n", encoding="utf-8")
    say("match")
    say("review", "conflict")
    say("review", "excluded")  # empty: says so
    say("mapping", "save", str(profile))
    say("mapping", "load", str(profile))
    say("mapping", "show", "extra.json")  # our usage error
    say("mapping", "load")
    say("review", "bogus")  # argparse's usage error
    say("decide", sid, "link")
    say("decide", sid, "link", tid)
    say("decide", sid, "clear")
    say("decide", leaver, "exclude")  # a note: outside the relation
    say("decide", "nobody-here", "create")  # input error
    say("edit", tid, "email", "not an email")
    say("edit", tid, "phoneNumber", "+33 6 12 34 56 78")
    say("history")  # no push run yet
    say("history", "run-nope")
    say("plan")
    say("export", str(tmp_path / "all.xlsx"))
    say("export", str(tmp_path / "x.json"))
    say("push", "--yes")  # refused: conflicts
    say("push", "--skip-conflicts")  # refused: no terminal to confirm on
    say("push", "--dry-run", "--url", "http://127.0.0.1:9")  # refused: --url without --target http
    say("push", "--dry-run")
    say("push", "--yes", "--skip-conflicts")
    with Workspace.open(run.path) as ws:  # a synced person leaves the company
        records = ws.payfit_records()
        gone = sorted(set(ws.ledger()))[0]
        records.loc[records["id"] == gone, ["status", "isLeaver", "terminationDate"]] = ["leaver", True, "2026-10-31"]
        ws.load_payfit(records)
    say("push", "--dry-run", "--skip-conflicts")
    say("push", "--yes", "--skip-conflicts", "--approve-all")
    say("history")
    say("load", "equify", str(no_ids))  # a warning: ids generated
    capsys.readouterr()
    code = cli.main(["--workspace", str(tmp_path / "none.duckdb"), "match"])
    said.append((("match on a missing workspace",), code, capsys.readouterr().err))
    bad = tmp_path / "bad.toml"
    bad.write_text("[match\n", encoding="utf-8")
    code = cli.main(["--config", str(bad), "match"])
    said.append((("--config bad.toml",), code, capsys.readouterr().err))

    codes = {c for _, c, _ in said}
    assert {0, 2, 3, 5, 1} <= codes  # successes and every kind of failure were run
    everything = "\n".join(err for _, _, err in said)
    for words in (  # the messages this session is meant to reach
        "Replacing the contents",
        "Loaded ",
        "Saved the mapping",
        "Resolve each with",
        "No record in the excluded set",
        "Usage error: ",
        "Input error: ",
        "Error: there is no workspace",
        "Moved ",
        "Saved phoneNumber of",
        "Note: ",
        "No push run yet",
        "Unsendable: ",
        "Wrote 1 file(s)",
        "Plan: ",
        "Held: ",
        "Push refused: ",
        "A real push would be refused: ",
        "Dry run, nothing was sent",
        "Leavers: 1 synced person(s)",
        "Approved ",
        "Push run ",
        "Warning: ",
    ):
        assert words in everything, words
    assert any(ARGPARSE.match(line) for line in everything.splitlines())
    wrong = [(args, line) for args, _, err in said for line in _uncapitalised(err)]
    assert not wrong, wrong


def test_the_check_itself_finds_a_lowercase_message() -> None:
    assert _uncapitalised("Plan: 1 create\nwrote 2 file(s): x\n  detail\n") == ["wrote 2 file(s): x"]
    assert _uncapitalised("usage: reconcile review [-h]\nreconcile review: error: argument set\n") == []


def _message_calls() -> list[tuple[str, int, ast.expr]]:
    """``(function, line, message)`` of every ``_err(...)`` and ``_fail(args, ...)`` in cli.py."""
    tree = ast.parse(CLI_SOURCE.read_text(encoding="utf-8"))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "_err" and node.args:
                    found.append((func.name, node.lineno, node.args[0]))
                elif node.func.id == "_fail" and len(node.args) > 1:
                    found.append((func.name, node.lineno, node.args[1]))
    return found


def _first_text(expr: ast.expr) -> str | None:
    """The literal text a message expression starts with (``None`` when it starts with a value)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr) and expr.values:
        return _first_text(expr.values[0])
    if isinstance(expr, ast.BinOp):
        return _first_text(expr.left)
    return None


def test_every_message_in_the_source_starts_with_a_capital_or_is_a_detail() -> None:
    """The messages no session reaches too: each ``_err`` and ``_fail`` text in cli.py starts with
    a capital letter, or two spaces (a detail line); only ``_fail`` itself and argparse's error
    pass a message on (``_fail`` is checked at its callers)."""
    calls = _message_calls()
    assert len(calls) > 30
    wrong = []
    for func, line, message in calls:
        text = _first_text(message)
        if text is None:
            if func not in ("_fail", "error"):
                wrong.append((func, line, ast.unparse(message)))
        elif not (text[:1].isupper() or text.startswith("  ")):
            wrong.append((func, line, text))
    assert not wrong, wrong


def test_the_candidates_are_the_review_pages_on_a_synthetic_company(tmp_path: Path, capsys) -> None:
    """Many conflicts of every kind (bench/synth.py): each conflict's candidates in ``--json`` are
    :func:`workflow.candidates_for`'s, in its order, with the names and scores it gives."""
    from bench.synth import generate

    source, target, _ = generate(1500, seed=3)
    source.to_csv(tmp_path / "source.csv", index=False)
    target.to_csv(tmp_path / "target.csv", index=False)
    path = str(tmp_path / "s.duckdb")
    assert cli.main(["--workspace", path, "load", "payfit", str(tmp_path / "source.csv")]) == 0
    assert cli.main(["--workspace", path, "load", "equify", str(tmp_path / "target.csv")]) == 0
    with Workspace.open(path) as ws:  # pairs whose only evidence is a phone, or a matricule
        result = workflow.run_match(ws)
        records = ws.payfit_records().set_index("id")
        free = iter(sorted(set(ws.equify_accounts()["id"]) - set(result.records["target_id"].dropna())))
        for sid in result.records.query("category == 'conflict'")["source_id"][:8]:
            if isinstance(records.loc[sid, "phoneNumber"], str):
                ws.edit_account(next(free), "phoneNumber", records.loc[sid, "phoneNumber"])
        creates = list(result.records.query("action == 'create'")["source_id"])
        for sid in creates[:8]:
            if isinstance(records.loc[sid, "matricule"], str):
                ws.edit_account(next(free), "matricule", records.loc[sid, "matricule"])
        for sid in creates[8:12]:  # an email on two accounts of other names: two candidates, no account named
            if isinstance(records.loc[sid, "email"], str):
                ws.edit_accounts([(next(free), "email", records.loc[sid, "email"]) for _ in range(2)])
        result = workflow.run_match(ws)
        conflicts = result.candidates[
            result.candidates["source_id"].isin(result.records.query("category == 'conflict'")["source_id"])
        ]
        low = conflicts[conflicts["name_score"].fillna(0) < 60]
        email = low["email_equal"].eq(True)
        assert (low["phone_agree"].eq(True) & ~email).any() and (low["rule"].eq("matricule") & ~email).any()
        assert email.any()
    capsys.readouterr()
    assert cli.main(["--workspace", path, "review", "conflict", "--json"]) == 0
    rows = _last(capsys.readouterr().out)["rows"]
    assert len(rows) > 50 and sum(len(r["candidates"]) > 1 for r in rows) > 5
    with Workspace.open(path) as ws:
        for r in rows:
            shown = workflow.candidates_for(ws, result, r["source_id"])
            expected = [
                {"target_id": t, "name": f"{f or ''} {la or ''}".strip() or "(no name)", "score": pytest.approx(s)}
                for t, f, la, s in zip(
                    shown["target_id"], shown["firstName"], shown["lastName"], shown["score"], strict=True
                )
            ]
            if r["target_id"] and r["target_id"] not in list(shown["target_id"]):
                expected.insert(
                    0, {"target_id": r["target_id"], "name": r["account"], "score": pytest.approx(r["score"])}
                )
            assert r["candidates"] == expected, r["source_id"]
