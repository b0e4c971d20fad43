"""Command line: ``reconcile [--workspace PATH] [--operator NAME] COMMAND`` (or ``python -m reconcile``).

Commands: ``app``, ``demo``, ``fetch payfit``, ``load payfit|equify PATH``, ``mapping show|save|load``, ``match``,
``review SET``, ``decide``, ``edit``, ``plan``, ``push``, ``export``, ``history``. Settings may come from a
TOML file (``--config``). Reports go
to stdout (with ``--json``: one JSON object on the last line); messages and
progress go to stderr. Every write a command makes (a load, a mapping, a decision, an edit, an
approval, a push run) records who did it: ``--operator NAME``, else ``$RECONCILE_OPERATOR``, else
the OS user (:mod:`reconcile.operator`).

Exit codes: 0 ok; 1 workspace or other error; 2 usage error (including a push
without ``--yes`` and no terminal to confirm on); 3 push blocked by unresolved
conflicts; 4 push finished with failed rows; 5 input error.

Everything printed goes through one writer (:func:`_out`) and its filter (:func:`printable`):
a name holding a terminal escape sequence, a carriage return or a right-to-left override shows
as ``?`` and never acts on the terminal. JSON is written by :func:`_json`, where those
characters are ``\\u`` escapes (the same values once parsed). An unexpected error is one line
(``Error: unexpected ...``), never a traceback; ``RECONCILE_DEBUG=1`` logs its traceback
(through the same filter). Every message on stderr starts with a capital letter (argparse's usage
errors keep argparse's form), and a refusal names the command that gets past it.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import workflow
from .exceptions import ConfirmationRequired, ConflictsUnresolved, InputError, ReconcileError
from .operator import ENV as OPERATOR_ENV
from .operator import clean_operator, process_operator
from .sources.files import parse_error_text
from .sources.payfit_api import API_URL, OAUTH_URL, PayfitClient
from .store.workspace import Workspace, workspace_path
from .sync.gate import conflicts_refusal, push_gate

if TYPE_CHECKING:
    import pandas as pd

LOG = logging.getLogger(__name__)
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BLOCKED, EXIT_FAILED_ROWS, EXIT_INPUT = 0, 1, 2, 3, 4, 5

EPILOG = """exit codes:
  0  ok
  1  workspace or other error
  2  usage error (a push without --yes needs a terminal to confirm on)
  3  push blocked: conflicts are unresolved (resolve them, or --skip-conflicts)
  4  push finished, but some rows failed (see the run's journal)
  5  input error (bad file, row, field or id); nothing was written

The workspace is --workspace PATH, else the config file's "workspace", else $RECONCILE_WORKSPACE,
else workspace.duckdb in the current directory. --config FILE.toml may set: workspace = "...", [match] (MatchSettings
fields, e.g. proposal_threshold = 75, default_region = "BE"), [push] target, url, token_env,
skip_conflicts. Command-line options win over the file.

Who did it: every write (load, mapping, decision, edit, approval, push run) records --operator NAME,
else $RECONCILE_OPERATOR, else the OS user; `history` shows who started each push run."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error also ends stdout with ``{"error", "kind", "exit_code": 2}`` when
    ``--json`` was asked for (``json_errors``), as every other failure does."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = f"{self.prog}: error: {message}"
        _err(text)
        if _Parser.json_errors:
            _out(_json(_failure(f"Usage error: {message}", EXIT_USAGE)))
        raise SystemExit(EXIT_USAGE)


def build_parser(push_defaults: dict[str, Any] | None = None) -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI); ``push_defaults`` come from a
    ``--config`` file's ``[push]`` table."""
    parser = _Parser(
        prog="reconcile",
        description="Reconcile Payfit collaborators with Equify accounts, headless.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--workspace", metavar="PATH", help="the workspace DuckDB file")
    parser.add_argument("--config", metavar="FILE", type=Path, help="settings from a TOML file (see below)")
    parser.add_argument(
        "--operator",
        metavar="NAME",
        type=_operator_name,
        help=f"who does it, recorded with every write (default: ${OPERATOR_ENV}, else the OS user)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    app = sub.add_parser(
        "app",
        help="start the Streamlit app on 127.0.0.1 over this workspace (needs the app extra: pip install 'reconcile-workbench[app]')",
    )
    app.add_argument("--port", type=int, default=8501, help="the port on 127.0.0.1 (default 8501)")
    sub.add_parser("demo", help="replace the workspace's contents with the demo company")

    fetch = sub.add_parser(
        "fetch",
        help="fetch a Payfit company by API key into the workspace (replacing the Payfit records)",
        description="The key is read from an environment variable, never from the command line.",
    )
    fetch.add_argument("side", choices=["payfit"])
    fetch.add_argument("--key-env", default="PAYFIT_API_KEY", metavar="NAME", help="variable holding the API key")
    fetch.add_argument(
        "--api-url", default=os.environ.get("PAYFIT_API_URL", API_URL), help="API base URL ($PAYFIT_API_URL)"
    )
    fetch.add_argument(
        "--oauth-url", default=os.environ.get("PAYFIT_OAUTH_URL", OAUTH_URL), help="OAuth base URL ($PAYFIT_OAUTH_URL)"
    )
    fetch.add_argument("--max-rps", type=float, default=50.0, help="requests per second to stay under (default 50)")
    fetch.add_argument("--json", action="store_true", help="print the result as JSON on the last line")

    load = sub.add_parser("load", help="load a Payfit dump or an Equify accounts CSV (replacing that side)")
    load.add_argument("side", choices=["payfit", "equify"])
    load.add_argument(
        "path", type=Path, help="Payfit: a page .json, a folder of pages, or a .csv/.xlsx export; Equify: a .csv/.xlsx"
    )

    match = sub.add_parser("match", help="match and report the counts per set")
    match.add_argument("--json", action="store_true", help="print the counts as JSON on the last line")

    push = sub.add_parser(
        "push",
        help="push creates, links and updates to Equify (the embedded space, or an http endpoint)",
        description="An unfinished run (the process died) is resumed first, from its journal; push again for the rest. "
        "The http target's bearer token is read from an environment variable, never from the command line.",
    )
    push.add_argument(
        "--target", choices=["embedded", "http", "file"], default="embedded", help="where to push (default embedded)"
    )
    push.add_argument(
        "--out", type=Path, help="the file target's .csv or .xlsx file (creates and updates, in Equify's columns)"
    )
    push.add_argument("--url", default=os.environ.get("EQUIFY_URL"), help="the http target's base URL ($EQUIFY_URL)")
    push.add_argument("--token-env", default="EQUIFY_TOKEN", metavar="NAME", help="variable holding the bearer token")
    push.add_argument("--dry-run", action="store_true", help="show what would happen; send nothing")
    push.add_argument(
        "--approve-all",
        action="store_true",
        help="approve every held change to a name, email or birth date of a synced account (logged) before pushing",
    )
    push.add_argument("--yes", action="store_true", help="confirm without a prompt (required when not on a terminal)")
    push.add_argument(
        "--skip-conflicts", action="store_true", help="push everything else and count unresolved conflicts as skipped"
    )
    push.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    push.set_defaults(**(push_defaults or {}))

    mapping = sub.add_parser("mapping", help="show the field mapping, or save / load it as a JSON profile")
    mapping.add_argument("action", choices=["show", "save", "load"])
    mapping.add_argument("file", nargs="?", type=Path, help="the profile's .json file (save, load)")
    mapping.add_argument("--json", action="store_true", help="print the mapping, or the file saved or loaded, as JSON")

    review = sub.add_parser(
        "review",
        help="list one set (new, synced, conflict, excluded) as a table or CSV; "
        "each conflict with its candidate accounts (the TARGET_ID of decide ... link)",
    )
    review.add_argument("set", choices=["new", "synced", "conflict", "excluded"])
    review.add_argument(
        "--search", default="", help="only the records whose name, email, account or reason has these words"
    )
    review_out = review.add_mutually_exclusive_group()
    review_out.add_argument("--csv", action="store_true", help="print CSV (every column) instead of a table")
    review_out.add_argument("--json", action="store_true", help='print {"rows": [...]} as JSON on the last line')

    decide = sub.add_parser("decide", help="decide for one Payfit record: link TARGET_ID | create | exclude | clear")
    decide.add_argument("source_id")
    decide.add_argument("action", choices=["link", "create", "exclude", "clear"])
    decide.add_argument("target_id", nargs="?", help="the Equify account (link only)")
    decide.add_argument("--json", action="store_true", help='print {"moved": [...]} as JSON on the last line')

    edit = sub.add_parser(
        "edit", help="set one field of an Equify account (firstName, lastName, email, phoneNumber...)"
    )
    edit.add_argument("target_id")
    edit.add_argument("field")
    edit.add_argument("value", help="the new value ('' to clear)")
    edit.add_argument(
        "--json", action="store_true", help='print {"saved": ..., "moved": [...]} as JSON on the last line'
    )

    plan = sub.add_parser("plan", help="the push plan (a dry run): totals, or every operation")
    plan_out = plan.add_mutually_exclusive_group()
    plan_out.add_argument("--csv", action="store_true", help="print every operation as CSV")
    plan_out.add_argument("--json", action="store_true", help="print the totals as JSON on the last line")

    export = sub.add_parser(
        "export",
        help="every set, the plan and the audit to .xlsx (one sheet each), a folder of CSV, or an .html report",
    )
    export.add_argument("out", type=Path, help="FILE.xlsx, FILE.html, or a folder for CSV files")
    export.add_argument("--truth", type=Path, help="a CSV/XLSX ground truth (source_id, target_id) for the metrics")
    export.add_argument("--json", action="store_true", help="print the files written as JSON on the last line")

    history = sub.add_parser("history", help="list the push runs, or one run's journal")
    history.add_argument("run_id", nargs="?", help="a run's id: its journal, one row per operation")
    history.add_argument(
        "--json",
        action="store_true",
        help='print {"rows": [...]} (with "run_id" for a journal) as JSON on the last line',
    )
    return parser


def _operator_name(value: str) -> str:
    """``--operator``'s value, on one line and trimmed (:func:`reconcile.operator.clean_operator`);
    a blank name is a usage error."""
    name = clean_operator(value)
    if name is None:
        raise argparse.ArgumentTypeError("give a name (or leave --operator out)")
    return name


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code.

    With ``--json``, a failure also prints ``{"error": message, "exit_code": n}``
    as the last line of stdout, so a script reads one JSON object either way.
    """
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--config", type=Path)
    first.add_argument("--json", action="store_true")
    known, _rest = first.parse_known_args(argv)
    _Parser.json_errors = known.json
    stdin = stdin or sys.stdin
    try:
        config = _config(known.config)
    except InputError as exc:
        return _failed(known, exc)
    # The file's settings are the defaults; options given on the command line win.
    try:
        args = build_parser(push_defaults=config["push"]).parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already reported
        return int(exc.code or 0)
    args.settings = config["settings"]
    args.operator = args.operator or process_operator()
    words = list(sys.argv[1:] if argv is None else argv)
    args.given = {w.split("=", 1)[0] for w in words if w.startswith("--")}
    path = workspace_path(args.workspace or config["workspace"])
    if args.command == "app":  # the app opens the workspace itself
        return _app(args, path)
    new_file = not path.exists()
    try:
        with Workspace.open(path, create=args.command in _CREATING) as ws:
            code = _COMMANDS[args.command](ws, args, stdin)
    except BaseException as exc:
        if new_file:  # a command that failed in any way (even a bug, ^C) leaves no empty workspace behind
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
        if not isinstance(exc, Exception):  # ^C, exit: as they are
            raise
        if not isinstance(exc, ReconcileError | OSError):  # a bug: one line, never a traceback
            LOG.debug("unexpected error", exc_info=True)
            return _fail(
                args,
                f"Error: unexpected {type(exc).__name__}: {exc} (RECONCILE_DEBUG=1 logs the traceback)",
                EXIT_ERROR,
            )
        if isinstance(exc, OSError):  # a file the command reads or writes
            where = exc.filename or "a file"
            return _fail(args, f"Input error: {where}: {exc.strerror or exc}", EXIT_INPUT)
        return _failed(args, exc)
    return code


_PUSH_KEYS = {"target": str, "url": str, "token_env": str, "skip_conflicts": bool}
_TARGETS = ("embedded", "http", "file")


def _config(path: Path | None) -> dict[str, Any]:
    """``{"workspace", "settings", "push"}`` from a TOML file (see the epilog); empty without one.
    Raises :class:`InputError` naming the file and the key for anything it does not know."""
    out: dict[str, Any] = {"workspace": None, "settings": None, "push": {}}
    if path is None:
        return out
    data = _toml(path)
    unknown = set(data) - {"workspace", "match", "push"}
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} (workspace, [match], [push])")
    if "workspace" in data and (not isinstance(data["workspace"], str) or not data["workspace"].strip()):
        raise InputError(f"{path}: workspace must be the path of the workspace file, as text")
    for table in ("match", "push"):
        if table in data and not isinstance(data[table], dict):
            raise InputError(f"{path}: {table} must be a table ([{table}] with its keys)")
    out["workspace"] = data.get("workspace")
    out["settings"] = _match_settings(path, data.get("match", {}))
    out["push"] = _push_defaults(path, data.get("push", {}))
    return out


def _toml(path: Path) -> dict[str, Any]:
    """The TOML file ``path`` as a dict; :class:`InputError` naming it when it cannot be read or parsed."""
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc
    except RecursionError as exc:
        raise InputError(f"{path}: not valid TOML (nested too deeply)") from exc
    except ValueError as exc:  # TOMLDecodeError, not UTF-8, an integer of over 4,300 digits
        raise InputError(f"{path}: not valid TOML ({parse_error_text(exc)})") from exc


def _match_settings(path: Path, keys: dict[str, Any]) -> Any:
    """The ``[match]`` table as :class:`MatchSettings` (``None`` when empty)."""
    from .models import MatchSettings

    if not keys:
        return None
    known = {f.name for f in dataclasses.fields(MatchSettings)}
    unknown_keys = sorted(set(keys) - known)
    if unknown_keys:
        raise InputError(
            f"{path} [match]: unknown key(s) {', '.join(unknown_keys)} (known: {', '.join(sorted(known))})"
        )
    try:
        return MatchSettings(**keys)
    except (TypeError, ValueError, InputError) as exc:
        raise InputError(f"{path} [match]: {exc}") from exc


def _push_defaults(path: Path, table: dict[str, Any]) -> dict[str, Any]:
    """The ``[push]`` table, each key known and of its type."""
    out = {}
    for key, value in table.items():
        if key not in _PUSH_KEYS:
            raise InputError(f"{path} [push]: unknown key {key!r} ({', '.join(_PUSH_KEYS)})")
        if not isinstance(value, _PUSH_KEYS[key]):
            raise InputError(f"{path} [push] {key}: expected {_PUSH_KEYS[key].__name__}")
        if key == "target" and value not in _TARGETS:
            raise InputError(f"{path} [push] target: {value!r} is not a target ({', '.join(_TARGETS)})")
        out[key] = value
    return out


def _failed(args: argparse.Namespace, exc: ReconcileError) -> int:
    """Report a library error with its exit code (see the module docstring). Unresolved conflicts
    are said in the CLI's words (the gate's :func:`~reconcile.sync.gate.conflicts_refusal`, from
    the count the exception carries): the commands that resolve them, not the app's page."""
    if isinstance(exc, ConflictsUnresolved):
        return _fail(args, f"Push refused: {conflicts_refusal(exc.count, 'cli')}", EXIT_BLOCKED)
    if isinstance(exc, ConfirmationRequired):
        return _fail(args, f"Push refused: {exc}", EXIT_USAGE)
    if isinstance(exc, InputError):
        return _fail(args, f"Input error: {exc}", EXIT_INPUT)
    return _fail(args, f"Error: {exc}", EXIT_ERROR)


#: The kind a failure's message starts with ("Input error: ..."): stderr shows the whole line,
#: the JSON gives the kind apart, in lower case, and the message without it (so neither says
#: "error" twice).
_KIND = re.compile(r"^(?:reconcile: )?(?:(Input|Usage) error|(Push refused)|Error): ")


def _failure(message: str, code: int) -> dict[str, Any]:
    """``{"error": message without its kind, "kind": "input" | "usage" | "push refused" |
    "error", "exit_code": code}``: the last line of a failed command's ``--json`` output."""
    found = _KIND.match(message)
    if found is None:
        return {"error": message, "kind": "usage" if code == EXIT_USAGE else "error", "exit_code": code}
    kind = (found.group(1) or found.group(2) or "error").lower()
    return {"error": message[found.end() :], "kind": kind, "exit_code": code}


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    """Say ``message`` on stderr and, with ``--json``, :func:`_failure` on stdout's last line."""
    _err(message)
    if getattr(args, "json", False):
        _out(_json(_failure(message, code)))
    return code


def _out(text: str, *, stream: TextIO | None = None, end: str = "\n", carriage: bool = False) -> None:
    """The CLI's only writer: reports to stdout, messages to stderr; ``text`` goes through
    :func:`printable`, and ``carriage`` puts a carriage return first (a progress line)."""
    target = stream or sys.stdout
    target.write(("\r" if carriage else "") + printable(text) + end)
    target.flush()


#: What a terminal would act on rather than show: C0 controls but tab and line feed (so ESC
#: and CR too), DEL, C1 controls, bidirectional embeddings, overrides and isolates.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with each character a terminal would act on (:data:`_UNPRINTABLE`) as ``?``;
    line feeds and tabs stay. Applied by :func:`_out` to everything the CLI prints."""
    return _UNPRINTABLE.sub("?", text)


def _json(data: Any, *, ensure_ascii: bool = True) -> str:
    """``data`` as one line of JSON in which every character a terminal would act on is a
    ``\\uXXXX`` escape (:func:`json.dumps` leaves DEL, C1 controls and bidi overrides as
    they are when ``ensure_ascii`` is false), so :func:`printable` leaves it unchanged."""
    return _json_safe(json.dumps(data, ensure_ascii=ensure_ascii))


def _json_safe(text: str) -> str:
    """JSON text with each :data:`_UNPRINTABLE` character as a ``\\uXXXX`` escape (they can
    only stand inside its strings, so it parses to the same values)."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _PrintableFormatter(logging.Formatter):
    """Log lines through :func:`printable`, as everything else the CLI prints."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def run() -> None:
    """The ``reconcile`` command (``[project.scripts]``): :func:`main` with logging set up."""
    configure_logging()
    sys.exit(main())


def app_entry() -> Path:
    """The Streamlit entry script: ``app.py`` inside the installed ``ui`` package (where the wheel
    puts it), else beside ``ui`` in a checkout.

    Raises:
        InputError: when the app is not installed (``pip install 'reconcile-workbench[app]'``).
    """
    spec = importlib.util.find_spec("ui")
    streamlit = importlib.util.find_spec("streamlit")
    if spec is not None and spec.origin and streamlit is not None:
        ui_dir = Path(spec.origin).parent
        for candidate in (ui_dir / "app.py", ui_dir.parent / "app.py"):
            if candidate.is_file():
                return candidate
    raise InputError("the app is not installed: pip install 'reconcile-workbench[app]'")


def _app(args: argparse.Namespace, path: Path) -> int:
    """``reconcile app``: ``streamlit run`` on 127.0.0.1 over the workspace ``path``, until Ctrl-C.
    The settings of the checkout's ``.streamlit/config.toml`` are given on the command line, so an
    installed app listens on loopback only and shows no error details wherever it is started."""
    try:
        entry = app_entry()
    except InputError as exc:
        return _failed(args, exc)
    command = [
        sys.executable, "-m", "streamlit", "run", str(entry),
        "--server.address", "127.0.0.1", "--server.port", str(args.port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--browser.serverAddress", "127.0.0.1",
        "--client.toolbarMode", "minimal", "--client.showErrorDetails", "none",
    ]  # fmt: skip
    path = path.absolute()
    # the app's sidebar offers this name (--operator, else $RECONCILE_OPERATOR, else the OS user)
    env = {**os.environ, "RECONCILE_WORKSPACE": str(path), OPERATOR_ENV: args.operator}
    _err(f"Starting the app on http://127.0.0.1:{args.port} (workspace {path}); Ctrl-C stops it")
    if os.name == "posix":  # this process becomes the app: a signal to it (Ctrl-C, kill) reaches the app
        os.execve(sys.executable, command, env)
    try:  # elsewhere, a child that ends with this process's Ctrl-C
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return EXIT_OK


def configure_logging() -> None:
    """Log warnings (everything with ``RECONCILE_DEBUG=1``) to stderr, through :func:`printable`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    level = logging.DEBUG if os.environ.get("RECONCILE_DEBUG") == "1" else logging.WARNING
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _err(message: str) -> None:
    _out(message, stream=sys.stderr)


def _text_table(frame: pd.DataFrame, max_colwidth: int | None = None, whole: str | None = None) -> str:
    """A table for a terminal: no index, texts cut at ``max_colwidth`` characters (whole when
    ``None``), a missing value blank (never ``None`` or ``NaN``). The column ``whole`` (a long
    text: a reason) is never cut: it comes last, left-aligned, so the other columns stay aligned."""
    shown = frame.astype(object).where(frame.notna(), "")
    if whole is None:
        return shown.to_string(index=False, max_colwidth=max_colwidth)
    texts = [_one_line(t) for t in shown.pop(whole)]
    head = shown.to_string(index=False, max_colwidth=max_colwidth).splitlines()
    lines = [f"{head[0]}  {whole}"] + [f"{h}  {t}" for h, t in zip(head[1:], texts, strict=True)]
    return "\n".join(line.rstrip() for line in lines)


def _report(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _out(_json(data))
    else:
        width = max(len(k) for k in data)
        for key, value in data.items():
            _out(f"{key:<{width}}  {value}")


def _cmd_demo(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    counts = ws.counts()
    if not ws.is_empty():
        _err(
            f"Replacing the contents of {ws.path} ({counts['payfit_records']} Payfit records, "
            f"{counts['equify_accounts']} Equify accounts, {counts['ledger']} ledger links) with the demo data"
        )
    loaded = workflow.load_demo(ws, operator=args.operator)
    _err(
        f"Loaded the demo into {ws.path}: {loaded['payfit_records']} Payfit records, {loaded['equify_accounts']} Equify accounts"
    )
    return EXIT_OK


def _cmd_fetch(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    key = os.environ.get(args.key_env, "").strip()
    if not key:
        raise InputError(f"no Payfit API key: set the environment variable {args.key_env}")
    show = sys.stderr.isatty()

    def progress(done: int, total: int | None) -> None:
        if show:
            _out(f"Fetched {done} collaborators", stream=sys.stderr, end="\n" if total == done else "", carriage=True)

    started = time.monotonic()
    with PayfitClient(key, api_url=args.api_url, oauth_url=args.oauth_url, max_rps=args.max_rps) as client:
        report = workflow.fetch_payfit(ws, client, progress=progress, operator=args.operator)
        requests = client.requests_sent
    for warning in report.warnings:
        _err(f"Warning: {warning}")
    n = report.rows
    seconds = round(time.monotonic() - started, 2)
    _err(f"Loaded {n} Payfit collaborators into {ws.path} ({requests} requests, {seconds} s)")
    if args.json:
        _out(_json({"collaborators": n, "requests": requests, "seconds": seconds}))
    return EXIT_OK


def _cmd_load(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    report = workflow.load_path(ws, args.side, args.path, operator=args.operator)
    for warning in report.warnings:
        _err(f"Warning: {warning}")
    what = "Payfit records" if args.side == "payfit" else "Equify accounts"
    _err(f"Loaded {report.rows} {what} from {args.path}")
    return EXIT_OK


def _cmd_match(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    result = workflow.run_match(ws, args.settings)
    _report(result.counts(), args.json)
    return EXIT_OK


def _cmd_mapping(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    from .sources.mapping import profile_json, read_profile

    if args.action == "show":
        if args.file is not None:
            return _fail(args, "Usage error: mapping show takes no FILE", EXIT_USAGE)
        mapping = ws.mapping()
        rows = {
            f: f"{col} ({mapping.transform(f)})" if mapping.transform(f) not in (None, "none") else col
            for f, col in mapping.pairs
        }
        if args.json:
            _out(_json({f: {"source": c, "transform": mapping.transform(f)} for f, c in mapping.pairs}))
        else:
            _report(rows or {"(nothing mapped)": ""}, False)
        return EXIT_OK
    if args.file is None:
        return _fail(args, f"Usage error: mapping {args.action} needs a FILE.json", EXIT_USAGE)
    if args.action == "save":
        args.file.write_text(profile_json(ws.mapping(), ws.relation()), encoding="utf-8")
        _err(f"Saved the mapping and relation to {args.file}")
    else:
        mapping, relation = read_profile(args.file)
        ws.set_mapping(mapping, operator=args.operator)
        ws.set_relation(relation, operator=args.operator)
        _err(f"Loaded the mapping and relation from {args.file}")
    if args.json:
        _out(_json({"saved" if args.action == "save" else "loaded": str(args.file)}))
    return EXIT_OK


_REVIEW_SHOWN = ["source_id", "action", "name", "email", "account", "score", "reason"]


def _cmd_review(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    """A set as a table (its reasons whole, last), or the conflicts one block each: the record,
    its whole reason and its candidates, the accounts ``decide SOURCE_ID link TARGET_ID`` takes.
    ``--json`` gives each conflict its ``candidates`` too; ``--csv`` the review table's columns."""
    result = workflow.run_match(ws, args.settings)
    rows = workflow.review_table(ws, result)
    rows = rows[rows["category"] == args.set]
    if args.search.strip():
        rows = workflow.filter_review(rows, result, workflow.ReviewFilter(search=args.search))
    rows = rows.drop(columns=["category", "search"]).reset_index(drop=True)
    if args.csv:
        from .export import csv_text

        _out(csv_text(rows), end="")
        return EXIT_OK
    candidates = _candidates(ws, result, rows) if args.set == "conflict" else None
    if args.json:
        records = json.loads(rows.to_json(orient="records"))
        if candidates is not None:
            records = [{**r, "candidates": candidates[r["source_id"]]} for r in records]
        _out(_json({"set": args.set, "rows": records}, ensure_ascii=False))
    elif rows.empty:
        _err(f"No record in the {args.set} set" + (f" matches {args.search.strip()!r}" if args.search.strip() else ""))
    elif candidates is not None:
        _out(_conflict_blocks(rows, candidates))
        _err(
            "Resolve each with `reconcile decide SOURCE_ID link TARGET_ID|create|exclude` "
            "(TARGET_ID: one of its candidates)"
        )
    else:
        _out(_text_table(rows[_REVIEW_SHOWN], max_colwidth=60, whole="reason"))
    return EXIT_OK


def _candidates(ws: Workspace, result: Any, rows: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """``{source_id: [{"target_id", "name", "score"}, ...]}``: each record's candidate accounts,
    best first (ties by account id), as the Review page shows them
    (:func:`reconcile.workflow.shown_candidates`, all the records in one pass), and the account
    the matcher names (``target_id``) first when that left it out."""
    import pandas as pd

    cands = workflow.shown_candidates(result, rows["source_id"])
    accounts = ws.equify_accounts(cands["target_id"].unique()).drop_duplicates("id").set_index("id")
    names = {
        i: _full_name(f, la)
        for i, f, la in zip(accounts.index, accounts["firstName"], accounts["lastName"], strict=True)
    }
    out: dict[str, list[dict[str, Any]]] = {sid: [] for sid in rows["source_id"]}
    for sid, tid, score in zip(cands["source_id"], cands["target_id"], cands["score"], strict=True):
        name = names.get(tid, "(no name)")
        out[sid].append({"target_id": tid, "name": name, "score": None if pd.isna(score) else float(score)})
    for sid, tid, account, score in zip(
        rows["source_id"], rows["target_id"], rows["account"], rows["score"], strict=True
    ):
        if isinstance(tid, str) and tid not in {c["target_id"] for c in out[sid]}:
            out[sid].insert(
                0, {"target_id": tid, "name": account or "(no name)", "score": None if pd.isna(score) else float(score)}
            )
    return out


def _full_name(first: Any, last: Any) -> str:
    """An account's ``"First Last"`` (``"(no name)"`` when it has neither)."""
    parts = [v.strip() for v in (first, last) if isinstance(v, str) and v.strip()]
    return " ".join(parts) or "(no name)"


def _one_line(text: Any) -> str:
    """``text`` on one line: a line feed or tab inside it written ``\\n``, ``\\t`` (as a table shows them)."""
    return str(text).replace("\n", "\\n").replace("\t", "\\t")


def _conflict_blocks(rows: pd.DataFrame, candidates: dict[str, list[dict[str, Any]]]) -> str:
    """One block per conflict: ``SOURCE_ID  Name  email``, then its reason, whole, and its
    candidates, one a line: ``TARGET_ID (Name, score)`` (or that there is none)."""
    blocks = []
    for sid, name, email, reason in zip(rows["source_id"], rows["name"], rows["email"], rows["reason"], strict=True):
        head = "  ".join(_one_line(v) for v in (sid, name or "(no name)", email) if isinstance(v, str) and v)
        shown = [f"{c['target_id']} ({_one_line(c['name'])}, {_score(c['score'])})" for c in candidates[sid]] or [
            "none: decide create or exclude"
        ]
        lines = [head, f"  reason      {_one_line(reason or '')}", f"  candidates  {shown[0]}"]
        lines += [f"              {c}" for c in shown[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _score(score: float | None) -> str:
    """A score as the review shows it: one decimal at most (``84.3``, ``100``)."""
    if score is None:
        return "no score"
    return f"{score:.1f}".removesuffix(".0")


def _moved(moves: list[Any], as_json: bool, **extra: Any) -> None:
    if as_json:
        moved = [{"source_id": m.source_id, "name": m.name, "before": m.before, "after": m.after} for m in moves]
        _out(_json({**extra, "moved": moved}, ensure_ascii=False))
    for m in moves:
        _err(f"Moved {m.name} ({m.source_id}): {m.before} → {m.after}")
    if not moves:
        _err("No one changed set")


def _cmd_decide(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    from .models import Decision

    if args.action == "link" and not args.target_id:
        return _fail(
            args,
            "Usage error: decide SOURCE_ID link needs the TARGET_ID of the Equify account "
            "(`reconcile review conflict` lists each record's candidates)",
            EXIT_USAGE,
        )
    if args.action != "link" and args.target_id:
        return _fail(args, f"Usage error: decide SOURCE_ID {args.action} takes no TARGET_ID", EXIT_USAGE)
    records = ws.payfit_records([args.source_id])
    if not records.empty and records["status"].iloc[0] not in ws.relation().statuses():
        _err(
            f"Note: {args.source_id} is a {records['status'].iloc[0]}, outside the chosen relation: "
            "the decision is kept, and counts once the relation includes them (`reconcile mapping load` "
            "a profile whose relation does)"
        )
    if args.action == "clear":
        moves = workflow.undecide_and_rematch(ws, [args.source_id], operator=args.operator)
    else:
        moves = workflow.decide_and_rematch(
            ws, [Decision(args.source_id, args.action, args.target_id)], operator=args.operator
        )
    _moved(moves, args.json)
    return EXIT_OK


def _cmd_edit(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    before = ws.equify_accounts([args.target_id])
    moves = workflow.edit_and_rematch(ws, args.target_id, args.field, args.value or None, operator=args.operator)
    after = ws.equify_accounts([args.target_id])
    saved = None if after.empty or args.field not in after.columns else after[args.field].iloc[0]
    was = None if before.empty or args.field not in before.columns else before[args.field].iloc[0]
    _err(f"Saved {args.field} of {args.target_id}: {was or '∅'} → {saved or '∅'}")
    _moved(moves, args.json, saved={"account": args.target_id, "field": args.field, "before": was, "after": saved})
    return EXIT_OK


def _unsendable(plan: Any, shown: int = 50) -> None:
    """Name, on stderr, the values a push will not send and the records it will not create."""
    frame = plan.unsendable()
    if frame.empty:
        return
    values = int((frame["field"] != "name").sum())
    records = int((frame["field"] == "name").sum())
    _err(
        f"Unsendable: {values} value(s) that cannot be written to Equify are not sent; "
        f"{records} record(s) are not created"
    )
    for r in frame.head(shown).itertuples(index=False):
        _err(f"  {r.name or '(no name)'} ({r.source_id}): {r.field} {r.value!r}: {r.why}")
    if len(frame) > shown:
        _err(f"  (and {len(frame) - shown} more: `reconcile plan --csv` lists every operation)")


def _cmd_plan(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    plan = workflow.plan_workspace(ws, workflow.run_match(ws, args.settings))
    _unsendable(plan)
    for warning in push_gate(plan, accounts=ws.counts()["equify_accounts"], front="cli").warnings:
        _err(f"Warning: {warning}")
    if args.csv:
        from .export import csv_text

        _out(csv_text(plan.to_frame()), end="")
    elif args.json:
        _report(plan.totals(), True)
    else:  # the reasons to skip under their total, so no one adds them up twice
        _report(
            {(f"  {k.removeprefix('skip_')}" if k.startswith("skip_") else k): v for k, v in plan.totals().items()},
            False,
        )
    return EXIT_OK


def _cmd_export(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    from .audit import read_truth
    from .export import write_tables

    if args.out.suffix.lower() not in ("", ".xlsx", ".html"):
        raise InputError(f"{args.out.name}: give OUT.xlsx, OUT.html or a folder (one CSV per table)")
    truth = read_truth(args.truth) if args.truth else None
    threshold = args.settings.proposal_threshold if args.settings else None
    if args.out.suffix.lower() == ".html":
        report = workflow.export_report(ws, truth=truth, threshold=threshold, settings=args.settings)
        args.out.write_text(report, encoding="utf-8")
        files = [args.out]
    else:
        files = write_tables(
            workflow.export_tables(ws, truth=truth, threshold=threshold, settings=args.settings), args.out
        )
    _err(f"Wrote {len(files)} file(s): {', '.join(str(f) for f in files)}")
    if args.json:
        _out(_json({"files": [str(f) for f in files]}))
    return EXIT_OK


def _cmd_push(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    if "--url" in args.given and args.target != "http":
        raise InputError("--url is for the http target: add --target http")
    if "--out" in args.given and args.target != "file":
        raise InputError("--out is for the file target: add --target file")
    unfinished = workflow.unfinished_run(ws)
    if unfinished is not None:
        return _resume(ws, args, unfinished)
    result = workflow.run_match(ws, args.settings)
    plan = workflow.plan_workspace(ws, result)
    held = plan.held()
    if args.approve_all and not held.empty:
        # The plan as it will be once approved; nothing is stored before the push goes ahead.
        plan = workflow.plan_workspace(ws, result, also_approved=held)
    totals = plan.totals()
    _err(
        f"Plan: {totals['create']} create, {totals['link']} link, {totals['update']} update, "
        f"{totals['skip_excluded']} excluded, {totals['skip_conflict']} conflicts skipped, "
        f"{totals['skip_held']} held for approval (no change sendable), {totals['skip_leaver']} leavers kept, "
        f"{totals['skip_incomplete']} incomplete (not created), {totals['unchanged']} unchanged"
    )
    _unsendable(plan)
    # One gate for this plan: its warnings, its held changes in words, then its rules below.
    gate = push_gate(
        plan,
        skip_conflicts=args.skip_conflicts,
        confirmed=args.yes,
        accounts=ws.counts()["equify_accounts"],
        front="cli",
    )
    for warning in gate.warnings:
        _err(f"Warning: {warning}")
    if gate.customer_question:
        _err(f"Warning: {gate.customer_question}" + (" (--yes says it is)" if args.yes else ""))
    if not held.empty and not args.approve_all:
        _err(
            f"Held: {gate.held_sentence()}; see them with `reconcile plan --csv` (column held), "
            "approve them with --approve-all"
        )
    if totals["skip_leaver"]:
        _err(f"Leavers: {totals['skip_leaver']} synced person(s) left the company; their Equify accounts are kept")
    if args.dry_run:
        if gate.blocked_by_conflicts:
            _err(f"A real push would be refused: {gate.reasons[0]}")
        dry = workflow.push(ws, plan, dry_run=True)
        _dry_run(dry.summary(), args.json)
        return EXIT_OK
    if gate.blocked_by_conflicts:
        raise ConflictsUnresolved(gate.conflicts)
    if not gate.open:  # only the typed confirmation is missing
        _confirm(plan, args.skip_conflicts, stdin, ws.counts()["equify_accounts"])
    if args.approve_all and not held.empty:
        approved = workflow.approve_held(ws, held, operator=args.operator)
        _err(f"Approved {approved} held change(s)")
    return _push(ws, args, plan)


#: What a dry run's report says in words: nothing was sent, so each count is what a push *would* do.
_WOULD = {"created": "would create", "linked": "would link", "updated": "would update", "skipped": "would skip"}


def _dry_run(summary: dict[str, int], as_json: bool) -> None:
    """A dry run's report: with ``--json`` the push's keys (``created``, ``linked``...: what a
    push would do); in words, "would create N" and so on, after a line saying nothing was sent."""
    _err(
        f"Dry run, nothing was sent: a push would create {summary['created']} account(s), "
        f"link {summary['linked']}, update {summary['updated']} and skip {summary['skipped']}; "
        "every operation with its changes: `reconcile plan --csv`"
    )
    if as_json:
        _report(summary, True)
    else:
        _report({_WOULD[k]: v for k, v in summary.items() if k in _WOULD}, False)


def _resume(ws: Workspace, args: argparse.Namespace, unfinished: Any) -> int:
    """Finish the run a dead process left: its journal's remaining operations, as confirmed then."""
    if unfinished.target != args.target:
        from .exceptions import UnfinishedRun

        raise UnfinishedRun(unfinished.run_id, unfinished.target)
    _err(
        f"Push run {unfinished.run_id} to the {unfinished.target} target was cut short with "
        f"{unfinished.pending} of {unfinished.total} operation(s) left: "
        + ("a push resumes it first (nothing new is planned)" if args.dry_run else "resuming it from its journal")
    )
    if args.dry_run:
        _err(f"Dry run, nothing was sent: a push would resume run {unfinished.run_id}")
        if args.json:
            _report(
                {"created": 0, "linked": 0, "updated": 0, "skipped": 0, "failed": 0, "pending": unfinished.pending},
                True,
            )
        else:
            _report({"would resume": f"{unfinished.pending} operation(s)"}, False)
        return EXIT_OK
    return _push(ws, args, workflow.plan_workspace(ws))


def _push(ws: Workspace, args: argparse.Namespace, plan: Any) -> int:
    show_progress = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress:
            _out(f"Pushing {done}/{total}", stream=sys.stderr, end="" if done < total else "\n", carriage=True)

    target = _target(args)
    try:
        result = workflow.push(ws, plan, target=target, skip_conflicts=True, progress=progress, operator=args.operator)
    finally:
        close = getattr(target, "close", None)
        if close is not None:
            close()
    if result.resumed:
        _err(f"Resumed the unfinished push run {result.run_id}; push again for anything planned since")
    _err(f"Push run {result.run_id} to the {args.target} target finished in {result.seconds:.1f} s")
    _report(result.summary(), args.json)
    return EXIT_FAILED_ROWS if result.failed else EXIT_OK


def _target(args: argparse.Namespace) -> Any:
    """The push target of ``--target`` (the http one needs ``--url`` and the token variable)."""
    if args.target == "embedded":
        return None
    from .sync.targets import FileTarget, HttpTarget

    if args.target == "file":
        if not args.out:
            raise InputError("the file target needs --out FILE.csv or FILE.xlsx")
        return FileTarget(args.out)

    if not args.url:
        raise InputError("the http target needs --url (or $EQUIFY_URL)")
    token = os.environ.get(args.token_env, "").strip()
    if not token:
        raise InputError(f"no bearer token for the http target: set the environment variable {args.token_env}")
    return HttpTarget(args.url, token)


def _cmd_history(ws: Workspace, args: argparse.Namespace, stdin: TextIO) -> int:
    if args.run_id:
        if ws.push_runs().query("run_id == @args.run_id").empty:
            raise InputError(f"there is no push run {args.run_id!r} (see: history)")
        table = workflow.run_journal(ws, args.run_id)
    else:
        table = workflow.runs_table(ws)  # with who started each run ("by")
        # what the journal says of every run, finished or not
        journal = [workflow.run_progress(ws, str(r)) for r in table["run_id"]]
        table["done"] = [j.done for j in journal]
        table["pending"] = [j.pending for j in journal]
    if args.json:
        rows = table.to_json(orient="records", date_format="iso")
        key = f'{{"run_id": {json.dumps(args.run_id)}, "rows": ' if args.run_id else '{"rows": '
        _out(_json_safe(key + rows + "}"))
    elif table.empty:
        _err("No push run yet")
    else:
        _out(_text_table(table))
    return EXIT_OK


def _confirm(plan: Any, skip_conflicts: bool, stdin: TextIO, accounts: int) -> None:
    """The terminal's side of the push gate (:func:`reconcile.sync.gate.push_gate`): when asked,
    whether this is the right customer (``yes``), then the number of accounts to create (or
    ``push``); refuse unless the answers open the gate."""
    if not stdin.isatty():
        raise ConfirmationRequired("no terminal to confirm on: pass --yes to push without a prompt")
    asked = push_gate(plan, skip_conflicts=skip_conflicts, front="cli", accounts=accounts)
    right = True
    if asked.customer_question:
        _out("Type yes if this is the right customer: ", stream=sys.stderr, end="")
        right = stdin.readline().strip().lower() == "yes"
        if not right:
            raise ConfirmationRequired("not confirmed as the right customer; nothing was pushed")
    _out(f"{asked.prompt.replace(' and press Enter', '')} to confirm: ", stream=sys.stderr, end="")
    gate = push_gate(
        plan,
        skip_conflicts=skip_conflicts,
        typed=stdin.readline(),
        front="cli",
        accounts=accounts,
        right_customer=right,
    )
    if not gate.open:
        raise ConfirmationRequired(f"{gate.reasons[0]}; nothing was pushed")


_CREATING = frozenset({"demo", "load", "fetch"})  # the commands that may create a new workspace file
_COMMANDS = {
    "fetch": _cmd_fetch,
    "demo": _cmd_demo,
    "load": _cmd_load,
    "match": _cmd_match,
    "push": _cmd_push,
    "history": _cmd_history,
    "mapping": _cmd_mapping,
    "review": _cmd_review,
    "decide": _cmd_decide,
    "edit": _cmd_edit,
    "plan": _cmd_plan,
    "export": _cmd_export,
}

__all__ = ["EPILOG", "build_parser", "main"]
