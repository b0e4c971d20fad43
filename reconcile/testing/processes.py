"""Other processes a test or a benchmark starts, and stops at the end.

* :func:`running_app`: ``streamlit run`` on a free loopback port over a workspace, awaited until
  ``/_stcore/health`` answers (the browser tests, the packaging test through the installed
  ``reconcile app`` command, ``bench/push_crash.py``, which kills it mid-push);
* :func:`holding_workspace`: a process that holds a workspace file open, as a command or a
  notebook does (the "in use by another process" tests).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RunningApp", "free_port", "holding_workspace", "running_app"]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the system's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunningApp:
    """An app that answered its health check: its base ``url`` (``http://127.0.0.1:PORT``), its
    ``port`` and its ``process`` (to kill it on purpose)."""

    url: str
    port: int
    process: subprocess.Popen[bytes]


def _streamlit(port: int) -> list[str]:
    """``streamlit run`` of the app's entry (:func:`reconcile.cli.app_entry`) on ``port``."""
    from ..cli import app_entry

    return [
        sys.executable, "-m", "streamlit", "run", str(app_entry()),
        "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
    ]  # fmt: skip


@contextmanager
def running_app(
    workspace: Path,
    log: Path,
    *,
    command: Callable[[int], list[str]] | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    wait: float = 90.0,
) -> Iterator[RunningApp]:
    """Start the app over ``workspace`` (``RECONCILE_WORKSPACE``) on a free port, its output
    appended to ``log``; yield it once ``/_stcore/health`` answers ``ok``; stop it at the end
    (terminated, killed after 15 s).

    ``command(port)`` gives the command line (default: ``streamlit run`` of the app's entry, run
    from the entry's folder so its ``.streamlit/config.toml`` applies); ``env`` replaces the
    environment (default: this process's).

    Raises:
        RuntimeError: the app ended or did not answer within ``wait`` seconds (with the end of
            its log).
    """
    from ..cli import app_entry

    port = free_port()
    argv = command(port) if command is not None else _streamlit(port)
    environment = {**(os.environ if env is None else env), "RECONCILE_WORKSPACE": str(workspace)}
    environment["PYTHONUNBUFFERED"] = "1"
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            cwd=cwd or app_entry().parent,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200 and answer.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield RunningApp(url, port, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def holding_workspace(path: Path, *, seconds: float = 60.0) -> Iterator[subprocess.Popen[str]]:
    """Another Python process that opens the workspace at ``path`` and holds it (at most
    ``seconds``); yields once it holds the file, and kills it at the end.

    Raises:
        RuntimeError: the process ended before it held the file (with what it said).
    """
    code = (
        "import sys, time\nfrom reconcile import Workspace\nws = Workspace.open(sys.argv[1])\n"
        "print('held', flush=True)\ntime.sleep(float(sys.argv[2]))\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "held":
            holder.wait(10)
            said = holder.stderr.read() if holder.stderr is not None else ""
            raise RuntimeError(f"the process did not hold {path}: {said[-2000:]}")
        yield holder
    finally:
        holder.kill()
        holder.wait()
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()
