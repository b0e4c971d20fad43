"""Connecting a Payfit company by API key: the Connect page and `fetch payfit`, over a loopback server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from conftest import PAYFIT_TEST_KEY
from streamlit.testing.v1 import AppTest

from reconcile import Workspace

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_with_server(payfit_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "connect.duckdb"
    monkeypatch.setenv("RECONCILE_WORKSPACE", str(path))
    monkeypatch.setenv("RECONCILE_NO_DEMO", "1")
    monkeypatch.setenv("PAYFIT_API_URL", payfit_server.url)
    monkeypatch.setenv("PAYFIT_OAUTH_URL", payfit_server.oauth_url)
    monkeypatch.delenv("PAYFIT_API_KEY", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def _page_text(at: AppTest) -> str:
    parts = [
        e.value for kind in ("markdown", "success", "error", "warning", "info", "caption") for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_connect_page_tests_the_key_then_fetches_and_loads(app_with_server: Path, payfit_server) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert at.button(key="connect.fetch").disabled  # no key yet
    at.text_input(key="connect.key").input(PAYFIT_TEST_KEY).run()
    at.button(key="connect.test").click().run()
    assert not at.exception
    assert any("demo-company" in s.value for s in at.success)
    at.button(key="connect.fetch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Loaded 192 Payfit collaborators from the API" in s.value for s in at.success)
    from ui import state

    assert state.workspace().counts()["payfit_records"] == 192
    assert PAYFIT_TEST_KEY not in _page_text(at)


def test_a_revoked_key_is_a_clear_message(app_with_server: Path, payfit_server) -> None:
    payfit_server.faults.revoke_key()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.text_input(key="connect.key").input(PAYFIT_TEST_KEY).run()
    at.button(key="connect.fetch").click().run()
    assert not at.exception
    assert any("invalid or revoked" in e.value for e in at.error)
    assert PAYFIT_TEST_KEY not in _page_text(at)


def test_cli_fetch_reads_the_key_from_the_environment(payfit_server, tmp_path: Path) -> None:
    ws = tmp_path / "fetch.duckdb"
    env = {
        "PATH": "/usr/bin:/bin",
        "MY_PAYFIT_KEY": PAYFIT_TEST_KEY,
        "PAYFIT_API_URL": payfit_server.url,
        "PAYFIT_OAUTH_URL": payfit_server.oauth_url,
    }
    cmd = [
        sys.executable,
        "-m",
        "reconcile",
        "--workspace",
        str(ws),
        "fetch",
        "payfit",
        "--key-env",
        "MY_PAYFIT_KEY",
        "--json",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["collaborators"] == 192
    assert PAYFIT_TEST_KEY not in proc.stdout + proc.stderr
    with Workspace.open(ws) as opened:
        assert opened.counts()["payfit_records"] == 192
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("fetch.duckdb"))
    assert stored and PAYFIT_TEST_KEY.encode() not in stored  # nor in the workspace file

    missing = subprocess.run(
        cmd[:-3] + ["--json"], cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 5 and "PAYFIT_API_KEY" in missing.stderr


def test_a_key_set_on_the_server_is_used_but_never_sent_to_the_browser(
    app_with_server: Path, payfit_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYFIT_API_KEY", PAYFIT_TEST_KEY)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    field = at.text_input(key="connect.key")
    assert field.value == "" and PAYFIT_TEST_KEY not in str(field.proto)  # nothing of the key in the widget
    assert not at.button(key="connect.fetch").disabled
    at.button(key="connect.fetch").click().run()
    assert not at.exception
    assert any("Loaded 192" in s.value for s in at.success)


def test_a_url_without_scheme_is_refused_at_once() -> None:
    from reconcile import InputError
    from reconcile.payfit_api import PayfitClient

    with pytest.raises(InputError, match="not an http"):
        PayfitClient("k", api_url="127.0.0.1:8700")


def test_a_failed_fetch_into_a_new_file_leaves_no_workspace_behind(tmp_path: Path) -> None:
    ws = tmp_path / "new.duckdb"
    cmd = [sys.executable, "-m", "reconcile", "--workspace", str(ws), "fetch", "payfit"]
    proc = subprocess.run(cmd, cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5 and not ws.exists()
