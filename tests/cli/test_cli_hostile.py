"""No terminal escape sequence, control character or right-to-left override reaches the terminal
from any CLI command: each command run on a workspace whose names are hostile (tests/hostile.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import CONTROL_NAMES, make_hostile

from reconcile import Workspace, workflow
from reconcile.cli import main, printable

ROOT = Path(__file__).resolve().parents[2]
#: What must never be printed: ESC (CSI, OSC), BEL, NUL, CR, the RTL override, C1 CSI.
FORBIDDEN = ["\x1b", "\x07", "\x00", "\r", "\u202e", "\x9b"]
EVIL = "Evil\x1b[31mRED\x1b]0;title\x07\u202e\x00\r\x9bX"


@pytest.fixture
def hostile_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """``hostile_cli(*args) -> (code, stdout, stderr)`` on a hostile workspace (``.path``)."""
    path = tmp_path / "h.duckdb"
    with Workspace.open(path, create=True) as ws:
        make_hostile(ws)
        accounts = ws.equify_accounts()
        accounts.loc[accounts.index[-1], "lastName"] = EVIL
        ws.load_equify(accounts)

    def call(*args: str) -> tuple[int, str, str]:
        code = main(["--workspace", str(path), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    call.path = path  # type: ignore[attr-defined]
    return call


def _clean(text: str, what: str) -> None:
    found = [repr(c) for c in FORBIDDEN if c in text]
    assert not found, f"{what} printed {', '.join(found)}"


def _run_id(path: Path) -> str:
    with Workspace.open(path) as ws:
        return str(workflow.push_runs(ws).iloc[0]["run_id"])


def test_printable_replaces_everything_a_terminal_acts_on() -> None:
    assert printable(EVIL) == "Evil?[31mRED?]0;title?????X"
    assert printable("Hélène\tLefèvre\n→ ok") == "Hélène\tLefèvre\n→ ok"


@pytest.mark.parametrize(
    "args",
    [
        ("match",),
        ("review", "new"),
        ("review", "new", "--csv"),
        ("review", "conflict"),
        ("review", "conflict", "--csv"),
        ("review", "new", "--search", "Esc"),
        ("plan",),
        ("plan", "--csv"),
        ("mapping", "show"),
        ("push", "--dry-run", "--skip-conflicts"),
        ("push", "--yes", "--skip-conflicts"),
        ("history",),
    ],
)
def test_every_command_prints_hostile_names_harmlessly(hostile_cli, args: tuple[str, ...]) -> None:
    code, out, err = hostile_cli(*args)
    assert code in (0, 4), err
    _clean(out + err, " ".join(args))


def test_the_tables_show_the_names_with_question_marks(hostile_cli) -> None:
    """The names are there, each character a terminal acts on shown as ``?``."""
    _, out, _ = hostile_cli("review", "new")
    assert "Esc?[31mRed" in out
    _, out, _ = hostile_cli("review", "conflict")
    assert "Osc?]0;title?" in out or "Cr?Return" in out


def test_history_of_a_run_and_its_journal(hostile_cli) -> None:
    code, _, err = hostile_cli("push", "--yes", "--skip-conflicts")
    assert code == 0, err
    run_id = _run_id(hostile_cli.path)
    for args in (("history",), ("history", run_id), ("history", run_id, "--json"), ("history", "--json")):
        code, out, err = hostile_cli(*args)
        assert code == 0
        _clean(out + err, " ".join(args))
    _, out, _ = hostile_cli("history", run_id)
    assert "Esc?[31mRed" in out  # the journal names the people, harmlessly
    _, out, _ = hostile_cli("history", run_id, "--json")
    names = {row["name"] for row in json.loads(out.strip().splitlines()[-1])["rows"]}
    assert any(n and n.startswith(CONTROL_NAMES[0]) for n in names)  # JSON keeps the exact value, escaped


def test_json_outputs_keep_the_values_exactly(hostile_cli) -> None:
    """JSON values are the names as they are (escaped as JSON), and nothing raw reaches the terminal."""
    code, out, err = hostile_cli("review", "new", "--json")
    assert code == 0
    _clean(out + err, "review --json")
    rows = json.loads(out.strip().splitlines()[-1])["rows"]
    assert any(r["name"] and "\x1b[31m" in r["name"] for r in rows)
    with Workspace.open(hostile_cli.path) as ws:
        sid = ws.payfit_records().query("firstName == @CONTROL_NAMES[3]")["id"].iloc[0]
    code, out, err = hostile_cli("decide", sid, "exclude", "--json")
    assert code == 0
    _clean(out + err, "decide --json")
    moved = json.loads(out.strip().splitlines()[-1])["moved"]
    assert moved and "\u202e" in moved[0]["name"]


def test_decide_and_edit_messages(hostile_cli) -> None:
    with Workspace.open(hostile_cli.path) as ws:
        records = ws.payfit_records()
        sid = records[records["firstName"] == CONTROL_NAMES[0]]["id"].iloc[0]
        tid = ws.equify_accounts()["id"].iloc[0]
    for args in (("decide", sid, "exclude"), ("decide", sid, "clear"), ("edit", tid, "lastName", EVIL)):
        code, out, err = hostile_cli(*args)
        assert code == 0, err
        _clean(out + err, " ".join(args))
    assert "Evil?[31mRED" in err


def test_errors_naming_hostile_values(hostile_cli, tmp_path: Path) -> None:
    for args in (
        ("decide", EVIL, "link", EVIL),
        ("history", EVIL),
        ("history", EVIL, "--json"),
        ("edit", EVIL, "email", EVIL),
        ("load", "equify", str(tmp_path / f"{EVIL}.csv")),
        ("review", EVIL),
    ):
        code, out, err = hostile_cli(*args)
        assert code != 0
        _clean(out + err, " ".join(a[:12] for a in args))
        assert "Traceback" not in err


def test_an_unexpected_error_is_one_line_without_a_traceback(hostile_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"a bug about {EVIL}")

    monkeypatch.setattr(workflow, "run_match", boom)
    code, out, err = hostile_cli("match", "--json")
    assert code == 1
    _clean(out + err, "a bug")
    assert "Traceback" not in err and "Error: unexpected RuntimeError: a bug about Evil?[31mRED" in err
    assert json.loads(out.strip().splitlines()[-1])["exit_code"] == 1


def test_a_log_line_goes_through_the_filter_too(tmp_path: Path) -> None:
    """``python -m reconcile`` logs through the same filter (a library warning quoting a name)."""
    code = (
        "import logging, sys; from reconcile.cli import configure_logging; configure_logging(); "
        f"logging.getLogger('reconcile.x').warning('name %s', {EVIL!r})"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "name Evil?[31mRED" in done.stderr
    _clean(done.stdout + done.stderr, "a log line")
