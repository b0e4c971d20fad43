"""The headless CLI's commands (issue 7), run in-process on a demo workspace file: each
command, its --json report and its exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from reconcile import Workspace, workflow
from reconcile.cli import main


@pytest.fixture
def run(demo_cli):
    return demo_cli


def _last(out: str):
    return json.loads(out.strip().splitlines()[-1])


def test_mapping_show_save_load(run, tmp_path: Path) -> None:
    code, out, _ = run("mapping", "show", "--json")
    assert code == 0 and _last(out)["email"] == {"source": "email", "transform": "none"}
    profile = tmp_path / "p.json"
    assert run("mapping", "save", str(profile))[0] == 0
    data = json.loads(profile.read_text(encoding="utf-8"))
    data["fields"]["lastName"]["transform"] = "upper"
    profile.write_text(json.dumps(data), encoding="utf-8")
    assert run("mapping", "load", str(profile))[0] == 0
    with Workspace.open(run.path) as ws:
        assert ws.mapping().transform("lastName") == "upper"
    code, out, err = run("mapping", "load", "--json")
    assert code == 2 and "FILE.json" in err and _last(out)["exit_code"] == 2  # a usage error
    code, out, _ = run("mapping", "save", str(profile), "--json")
    assert code == 0 and _last(out) == {"saved": str(profile)}
    code, _, err = run("mapping", "save", str(tmp_path))  # a folder, not a file
    assert code == 5 and str(tmp_path) in err
    code, _, err = run("mapping", "save", str(tmp_path / "missing" / "p.json"))
    assert code == 5 and "missing" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = run("mapping", "load", str(bad))
    assert code == 5 and "bad.json" in err


def test_review_lists_a_set(run) -> None:
    code, out, _ = run("review", "conflict", "--json")
    rows = _last(out)["rows"]
    assert code == 0 and rows and all(r["reason"] for r in rows)
    with Workspace.open(run.path) as ws:
        assert len(rows) == workflow.run_match(ws).counts()["conflict"]
    name = rows[0]["name"]
    code, out, _ = run("review", "conflict", "--search", name, "--json")
    found = _last(out)["rows"]
    assert code == 0 and rows[0]["source_id"] in [r["source_id"] for r in found] and len(found) < len(rows)
    code, out, _ = run("review", "new", "--csv")
    frame = pd.read_csv(pd.io.common.StringIO(out), dtype=str)
    assert code == 0 and {"source_id", "name", "account", "reason"} <= set(frame.columns)
    code, out, _ = run("review", "excluded")
    assert code == 0
    code, out, _ = run("review", "new")  # the creates have no account and no score: blank, not None/NaN
    lines = out.splitlines()
    assert code == 0 and len(lines) > 2 and "create" in out
    assert not any(word in line.split() for line in lines for word in ("None", "NaN", "nan"))


def test_decide_and_edit_move_people(run) -> None:
    rows = _last(run("review", "conflict", "--json")[1])["rows"]
    first = next(r for r in rows if r["target_id"])
    code, out, _ = run("decide", first["source_id"], "link", first["target_id"], "--json")
    assert code == 0 and _last(out)["moved"] == [
        {"source_id": first["source_id"], "name": first["name"], "before": "conflict", "after": "new (link)"}
    ]
    code, out, _ = run("decide", first["source_id"], "clear", "--json")
    assert code == 0 and _last(out)["moved"][0]["after"] == "conflict"
    code, _, err = run("decide", first["source_id"], "link")
    assert code == 2 and "TARGET_ID" in err
    code, _, err = run("decide", "nobody", "exclude")
    assert code == 5 and "nobody" in err
    # a conflict whose account has no email: give it the Payfit email, the person moves to a link
    no_email = next(r for r in rows if "which has no email" in r["reason"])
    code, out, _ = run("edit", no_email["target_id"], "email", no_email["email"], "--json")
    result = _last(out)
    assert code == 0 and result["moved"][0]["after"] == "new (link)"
    assert result["saved"] == {
        "account": no_email["target_id"],
        "field": "email",
        "before": None,
        "after": no_email["email"].lower(),
    }
    code, _, err = run("edit", no_email["target_id"], "email", "not an email", "--json")
    assert code == 5 and "valid email" in err
    for bad in ("hello", "31/02/1990", "1990-13-45"):
        code, _, err = run("edit", no_email["target_id"], "birthDate", bad)
        assert code == 5 and "not a date" in err, bad
    code, out, _ = run("edit", no_email["target_id"], "birthDate", "12/03/1985", "--json")
    assert code == 0 and _last(out)["saved"]["after"] == "1985-03-12"


def test_plan_and_export(run, tmp_path: Path) -> None:
    code, out, _ = run("plan", "--json")
    totals = _last(out)
    assert code == 0 and totals["create"] > 0
    code, out, _ = run("plan", "--csv")
    plan = pd.read_csv(pd.io.common.StringIO(out), dtype=str)
    assert len(plan) == totals["create"] + totals["link"] + totals["update"] + totals["skip"]
    code, out, _ = run("plan")  # in words: each reason to skip under the total, not beside it
    shown = dict(line.rsplit(None, 1) for line in out.splitlines())
    assert shown["skip"] == str(totals["skip"]) and shown["  conflict"] == str(totals["skip_conflict"])
    assert not any(k.startswith("skip_") for k in shown)
    code, out, _ = run("export", str(tmp_path / "all.xlsx"), "--json")
    assert code == 0 and _last(out) == {"files": [str(tmp_path / "all.xlsx")]}
    sheets = load_workbook(tmp_path / "all.xlsx").sheetnames
    assert sheets == ["new", "synced", "conflict", "excluded", "plan", "thresholds", "blocking"]
    code, out, _ = run("export", str(tmp_path / "csv"))
    assert code == 0 and (tmp_path / "csv" / "conflict.csv").exists()
    truth = tmp_path / "truth.csv"
    rows = _last(run("review", "new", "--json")[1])["rows"]
    pd.DataFrame({"source_id": [r["source_id"] for r in rows], "target_id": [r["target_id"] for r in rows]}).to_csv(
        truth, index=False
    )
    code, _, _ = run("export", str(tmp_path / "report.html"), "--truth", str(truth))
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert code == 0 and "<h2>Metrics</h2>" in html and "<script" not in html
    code, _, err = run("export", str(tmp_path / "x.json"))
    assert code == 5 and "x.json" in err


def test_config_file(run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(
        f'workspace = "{run.path}"\n[match]\nproposal_threshold = 95\n[push]\nskip_conflicts = true\n', encoding="utf-8"
    )
    code = main(["--config", str(config), "push", "--dry-run", "--json"])
    assert code == 0  # skip_conflicts from the file: a dry run that would be refused without it
    code = main(["--config", str(config), "push", "--yes", "--json"])
    assert code == 0
    with Workspace.open(run.path) as ws:
        assert ws.counts()["ledger"] > 0
    bad = tmp_path / "bad.toml"
    for text, words in (
        ("[match]\nnope = 1\n", "unknown key(s) nope"),
        ("[push]\ntarget = 3\n", "target: expected str"),
        ("colour = 'blue'\n", "unknown key(s) colour"),
        ("[match\n", "not valid TOML"),
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "not valid TOML (nested too deeply)"),  # #13
        ("a = " + "9" * 5_000 + "\n", "not valid TOML (it holds a number longer than 4,300 digits)"),
    ):
        bad.write_text(text, encoding="utf-8")
        capsys.readouterr()
        assert main(["--config", str(bad), "match", "--json"]) == 5, text
        err = capsys.readouterr().err
        assert "bad.toml" in err and words in err, err
    assert main(["--config", str(tmp_path / "missing.toml"), "match"]) == 5


def test_every_command_is_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in (
        "demo",
        "fetch",
        "load",
        "mapping",
        "match",
        "review",
        "decide",
        "edit",
        "plan",
        "push",
        "export",
        "history",
    ):
        assert f"    {command}" in text, command
    for code in ("0  ok", "2  usage error", "3  push blocked", "4  push finished", "5  input error"):
        assert code in text


def test_exports_neutralise_formulas_typed_into_payfit(run, tmp_path: Path) -> None:
    """A Payfit name written like a formula reaches every export as inert text."""
    with Workspace.open(run.path) as ws:
        records = ws.payfit_records()
        records.loc[0, "firstName"] = '=HYPERLINK("http://x.example","clic")'
        records.loc[1, "firstName"] = "@SUM(1+1)"
        ws.load_payfit(records)
    assert run("export", str(tmp_path / "all.xlsx"))[0] == 0
    cells = [c for sheet in load_workbook(tmp_path / "all.xlsx").worksheets for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert any(t.startswith("'=HYPERLINK") or "'=HYPERLINK" in t for t in texts)
    assert run("export", str(tmp_path / "csv"))[0] == 0
    for path in (tmp_path / "csv").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in frame.columns:
            assert not frame[col].str.startswith(("=", "+", "-", "@")).any(), (path.name, col)
    assert run("export", str(tmp_path / "r.html"))[0] == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http-equiv" not in html and 'src="http' not in html


def test_usage_errors_end_with_json_too(run) -> None:
    code, out, err = run("review", "bogus", "--json")
    assert code == 2 and "invalid choice" in err and _last(out)["exit_code"] == 2
    code, out, _ = run("plan", "--csv", "--json")
    assert code == 2 and _last(out)["exit_code"] == 2  # one or the other
    code, _, err = run("mapping", "show", "extra.json")
    assert code == 2 and "takes no FILE" in err


def test_a_failure_in_json_gives_its_kind_apart_and_says_error_once(run, tmp_path: Path, capsys) -> None:
    """stderr keeps the whole line ("Input error: ..."); the JSON splits it, so no message reads
    "error: error:" (found by a new-user trial); the kind stays in lower case."""
    cases = [
        (("review", "bogus", "--json"), 2, "usage", "argument"),  # argparse's own
        (("mapping", "load", "--json"), 2, "usage", "mapping load needs a FILE.json"),  # ours
        (("export", str(tmp_path / "missing" / "o.xlsx"), "--json"), 5, "input", "missing"),
        (("decide", "nobody-here", "create", "--json"), 5, "input", "nobody-here"),
        (("push", "--json"), 3, "push refused", "conflict(s) are unresolved"),
    ]
    for args, code, kind, words in cases:
        got, out, err = run(*args)
        last = _last(out)
        assert (got, last["exit_code"], last["kind"]) == (code, code, kind), (args, last, err)
        assert words in last["error"] and words in err, (args, last, err)
        assert "error:" not in last["error"].lower(), last
        assert not last["error"].lower().startswith(("reconcile:", "input", "usage", "push refused")), last
    capsys.readouterr()
    assert main(["--workspace", str(tmp_path / "none.duckdb"), "match", "--json"]) == 1
    out, err = capsys.readouterr()
    assert _last(out) == {"error": err.strip().removeprefix("Error: "), "kind": "error", "exit_code": 1}
    assert err.startswith("Error: there is no workspace") and "error" not in _last(out)["error"].lower()


def test_files_that_cannot_be_written_are_input_errors(run, tmp_path: Path) -> None:
    code, out, err = run("export", str(tmp_path / "missing" / "o.xlsx"), "--json")
    assert code == 5 and "missing" in err and _last(out)["exit_code"] == 5
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    code, _, err = run("export", str(afile))
    assert code == 5 and "afile" in err


def test_terminal_escapes_in_names_never_reach_the_terminal(run) -> None:
    with Workspace.open(run.path) as ws:
        records = ws.payfit_records()
        records.loc[0, "firstName"] = "Red\x1b[31mANSI"
        ws.load_payfit(records)
    for args in (("review", "new"), ("review", "new", "--csv")):
        code, out, _ = run(*args)
        # the table's filter shows "?"; the CSV is the export's, which writes U+FFFD in the cell
        assert code == 0 and "\x1b" not in out and ("Red?[31mANSI" in out or "Red\ufffd[31mANSI" in out)


def test_config_types_and_targets_are_checked(run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    for text, words in (
        ("workspace = 5\n", "workspace must be"),
        ('workspace = ""\n', "workspace must be"),
        ("match = 3\n", "match must be a table"),
        ('push = "x"\n', "push must be a table"),
        ('[push]\ntarget = "ftp"\n', "'ftp' is not a target"),
    ):
        bad.write_text(text, encoding="utf-8")
        capsys.readouterr()
        assert main(["--config", str(bad), "match", "--json"]) == 5, text
        assert words in capsys.readouterr().err, text


def test_a_config_url_does_not_block_another_target(run, tmp_path: Path) -> None:
    """The README's config sets the http target and its URL; --target embedded on the command line wins."""
    config = tmp_path / "s.toml"
    config.write_text(
        f'workspace = "{run.path}"\n[push]\ntarget = "http"\nurl = "http://127.0.0.1:9"\nskip_conflicts = true\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "push", "--dry-run", "--target", "embedded", "--json"]) == 0
    assert main(["--config", str(config), "push", "--yes", "--target", "embedded", "--json"]) == 0
    with Workspace.open(run.path) as ws:
        assert ws.push_runs()["target"].tolist() == ["embedded"]
