"""The bad-input corpus (issue #13): every file gets a clear error naming it, or a clean accept,
quickly, and a failed load changes nothing.

Each case of :mod:`tests.bad_inputs.corpus` (at least 100; both sides; Payfit CSV/XLSX/JSON
pages, Equify CSV/XLSX) is loaded three ways, all real:

1. the upload path (:func:`reconcile.workflow.load_payfit_files` / :func:`~reconcile.workflow.load_equify_file`)
   on an open demo workspace, its fingerprint (a hash of every table's content) compared
   before and after a failure;
2. the CLI, ``reconcile --workspace W load SIDE PATH``, on an existing demo workspace file whose
   bytes, size and modification time must not change on a failure;
3. the CLI on a workspace file that does not exist yet: a failure must leave no file.

Outcomes: a :class:`~reconcile.exceptions.InputError` whose message matches the case and names
the file, or the expected row count. Anything else is a traceback. Each case gets 5 s per
started MiB of input (5 s for a file under 1 MiB); a case still running after 60 s is a hang
(stopped by SIGALRM). The totals are printed and written to ``test-output/bad_corpus.json``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reconcile import Workspace, workflow
from reconcile.cli import EXIT_INPUT, main
from reconcile.exceptions import InputError
from tests.bad_inputs.corpus import Case, cases

CASES = cases()
HANG_S = 60
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "bad_corpus.json"


class _Hang(Exception):
    pass


@contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: Any) -> None:
        raise _Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def table_fingerprint(ws: Workspace) -> str:
    """Every table's row count and the sum of its rows' hashes (all columns; DuckDB's ``hash``)."""
    tables = ws.query("SELECT table_name FROM duckdb_tables() ORDER BY table_name")["table_name"]
    sql = " UNION ALL ".join(
        f"SELECT '{t}' AS t, count(*) AS n, CAST(sum(hash(x)::HUGEINT) AS VARCHAR) AS h FROM {t} x" for t in tables
    )
    return ws.query(sql).to_csv(index=False)


def file_fingerprint(path: Path) -> tuple[str, int, int, bool]:
    """The workspace file's bytes hash, size, modification time, and whether a WAL file exists."""
    return (
        hashlib.sha256(path.read_bytes()).hexdigest(),
        path.stat().st_size,
        path.stat().st_mtime_ns,
        path.with_name(path.name + ".wal").exists(),
    )


def _upload(ws: Workspace, case: Case) -> int:
    if case.side == "payfit":
        return workflow.load_payfit_files(ws, list(case.files)).rows
    ((name, data),) = case.files
    return workflow.load_equify_file(ws, data, name).rows


def _write(case: Case, folder: Path) -> Path:
    if case.folder:
        target = folder / case.name
        target.mkdir()
        for name, data in case.files:
            (target / name).write_bytes(data)
        return target
    target = folder / case.name
    target.write_bytes(case.files[0][1])
    return target


def _names_file(case: Case, message: str) -> bool:
    return any(name in message for name, _ in case.files) or case.name in message


def _check(case: Case, outcome: str, detail: Any) -> str | None:
    """``None`` when the outcome is the expected one, else what is wrong."""
    if outcome == "accepted":
        return None if case.rows == detail else f"accepted {detail} rows, expected {case.rows or case.error!r}"
    if outcome == "error":
        if case.error is None:
            return f"refused ({detail}), expected {case.rows} rows"
        if not re.search(case.error, detail):
            return f"message {detail!r} does not match {case.error!r}"
        if not _names_file(case, detail):
            return f"message {detail!r} does not name the file"
        return None
    return f"{outcome}: {detail}"


def _bound(case: Case) -> float:
    return 5.0 * max(1, math.ceil(case.size / 1_048_576))


def _through_the_cli(
    case: Case, path: Path, demo_file: Path, new: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[list[str], bool]:
    """Load a case with the CLI: on an existing workspace file (a failure must leave its bytes,
    size and mtime as they were), and, for a failing case, on a new file (none may be left).
    Returns the problems found and whether a workspace changed on a failure."""
    problems: list[str] = []
    expected = EXIT_INPUT if case.error is not None else 0
    before = file_fingerprint(demo_file)
    code = main(["--workspace", str(demo_file), "load", case.side, str(path)])
    err = capsys.readouterr().err
    if code != expected or "Traceback" in err or (case.error is not None and not _names_file(case, err)):
        problems.append(f"CLI exit {code} (expected {expected}), message {err[-300:]!r}")
    if case.rows is not None:
        return problems, False
    changed = file_fingerprint(demo_file) != before
    if changed:
        problems.append("the CLI's workspace file changed")
    code = main(["--workspace", str(new), "load", case.side, str(path)])
    capsys.readouterr()
    left = new.exists() or new.with_name(new.name + ".wal").exists()
    for leftover in (new, new.with_name(new.name + ".wal")):  # one failure must not spoil the next cases
        leftover.unlink(missing_ok=True)
    if code != EXIT_INPUT or left:
        problems.append(f"CLI exit {code} on a new workspace file; a file was left behind: {left}")
    return problems, changed or left


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "demo.duckdb"
    assert main(["--workspace", str(path), "demo"]) == 0
    return path


def test_the_corpus_has_every_kind():
    assert len(CASES) >= 100
    kinds = {(c.side, Path(c.files[0][0]).suffix) for c in CASES}
    assert {
        ("payfit", ".csv"),
        ("payfit", ".xlsx"),
        ("payfit", ".json"),
        ("equify", ".csv"),
        ("equify", ".xlsx"),
    } <= kinds
    assert sum(c.error is not None for c in CASES) >= 100 and sum(c.rows is not None for c in CASES) >= 30


def test_the_bad_input_corpus(tmp_path: Path, demo_file: Path, capsys: pytest.CaptureFixture[str]):
    files = tmp_path / "cases"
    files.mkdir()
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    cli_accepted: set[tuple[str, str, bool]] = set()
    with Workspace.open(tmp_path / "upload.duckdb") as ws:
        workflow.load_demo(ws)
        for case in CASES:
            record: dict[str, Any] = {"case": case.name, "side": case.side, "bytes": case.size}
            # 1. the upload path, on an open workspace
            before = table_fingerprint(ws)
            started = time.perf_counter()
            try:
                with _alarm(HANG_S):
                    outcome, detail = "accepted", _upload(ws, case)
            except InputError as exc:
                outcome, detail = "error", str(exc)
            except _Hang as exc:
                outcome, detail = "hang", str(exc)
            except Exception as exc:  # noqa: BLE001 - counting every other exception is the point
                outcome, detail = "traceback", f"{type(exc).__name__}: {str(exc)[:300]}"
            record["seconds"] = round(time.perf_counter() - started, 3)
            record["outcome"] = outcome
            record["message"] = detail if outcome != "accepted" else None
            record["changed"] = outcome != "accepted" and table_fingerprint(ws) != before
            wrong = [w] if (w := _check(case, outcome, detail)) else []
            if record["seconds"] > _bound(case):
                wrong.append(f"took {record['seconds']} s (bound {_bound(case)} s)")
            if record["changed"]:
                wrong.append("the workspace changed")
            # 2. and 3. the CLI: every failing case, and the first accepted case of each side and suffix
            kind = (case.side, Path(case.files[0][0]).suffix, case.folder)
            if case.error is not None or kind not in cli_accepted:
                if case.rows is not None:
                    cli_accepted.add(kind)
                cli_problems, cli_changed = _through_the_cli(
                    case, _write(case, files), demo_file, tmp_path / "new.duckdb", capsys
                )
                wrong += cli_problems
                record["changed"] = record["changed"] or cli_changed
            record["wrong"] = "; ".join(wrong) or None
            if wrong:
                problems.append(f"{case.name}: {record['wrong']}")
            records.append(record)
    slowest = max(records, key=lambda r: r["seconds"])
    totals = {
        "cases": len(records),
        "clear_errors": sum(r["outcome"] == "error" and not r["wrong"] for r in records),
        "accepted": sum(r["outcome"] == "accepted" and not r["wrong"] for r in records),
        "tracebacks": sum(r["outcome"] == "traceback" for r in records),
        "hangs": sum(r["outcome"] == "hang" for r in records),
        "workspace_changed": sum(bool(r["changed"]) for r in records),
        "wrong_outcome": len(problems),
        "slowest_case": slowest["case"],
        "slowest_seconds": slowest["seconds"],
        "total_seconds": round(sum(r["seconds"] for r in records), 2),
    }
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps({"totals": totals, "cases": records}, indent=1, ensure_ascii=False))
    with capsys.disabled():
        print("\nbad-input corpus:", json.dumps(totals))
    assert not problems, "\n".join(problems)
    assert totals["tracebacks"] == totals["hangs"] == totals["workspace_changed"] == 0
    assert totals["clear_errors"] + totals["accepted"] == totals["cases"] >= 100
