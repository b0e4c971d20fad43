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
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]


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
        plain(e.value)
        for kind in ("markdown", "success", "error", "warning", "info", "caption")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_connect_page_tests_the_key_then_fetches_and_loads(app_with_server: Path, payfit_server) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert at.button(key="connect.fetch").disabled  # no key yet
    at.text_input(key="connect.key").input(PAYFIT_TEST_KEY).run()
    at.button(key="connect.test").click().run()
    assert not at.exception
    assert any("demo-company" in plain(s.value) for s in at.success)
    at.button(key="connect.fetch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Loaded 204 Payfit collaborators from the API" in plain(s.value) for s in at.success)
    from ui import state

    assert state.workspace().counts()["payfit_records"] == 204
    assert PAYFIT_TEST_KEY not in _page_text(at)


def test_a_revoked_key_is_a_clear_message(app_with_server: Path, payfit_server) -> None:
    payfit_server.faults.revoke_key()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.text_input(key="connect.key").input(PAYFIT_TEST_KEY).run()
    at.button(key="connect.fetch").click().run()
    assert not at.exception
    assert any("invalid or revoked" in plain(e.value) for e in at.error)
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
    assert json.loads(proc.stdout.strip().splitlines()[-1])["collaborators"] == 204
    assert PAYFIT_TEST_KEY not in proc.stdout + proc.stderr
    with Workspace.open(ws) as opened:
        assert opened.counts()["payfit_records"] == 204
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
    assert any("Loaded 204" in plain(s.value) for s in at.success)


def test_a_url_without_scheme_is_refused_at_once() -> None:
    from reconcile import InputError
    from reconcile.sources.payfit_api import PayfitClient

    with pytest.raises(InputError, match="not an http"):
        PayfitClient("k", api_url="127.0.0.1:8700")


def test_a_failed_fetch_into_a_new_file_leaves_no_workspace_behind(tmp_path: Path) -> None:
    ws = tmp_path / "new.duckdb"
    cmd = [sys.executable, "-m", "reconcile", "--workspace", str(ws), "fetch", "payfit"]
    proc = subprocess.run(cmd, cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5 and not ws.exists()


@pytest.fixture
def elsewhere() -> Iterator[list[dict[str, str]]]:
    """A server on 127.0.0.1 that is not the configured Payfit one: it records the headers of
    every request it gets (yields that list, with its URL under ``elsewhere.url``)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Seen(list):  # a list with the server's url
        url = ""

    seen = Seen()

    class Recorder(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"message": "not here"}')

        do_GET = do_POST = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_server_key_is_never_sent_to_an_address_typed_in_the_page(
    app_with_server: Path, payfit_server, elsewhere: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key set on the server (environment or secrets) goes to the configured Payfit
    addresses only: after the API address is changed, the page asks for a key, and neither
    button sends the server's key anywhere."""
    monkeypatch.setenv("PAYFIT_API_KEY", PAYFIT_TEST_KEY)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.button(key="connect.fetch").disabled  # the configured address: the server's key is used
    at.text_input(key="connect.api_url").input(elsewhere.url).run()
    at.text_input(key="connect.oauth_url").input(elsewhere.url).run()
    assert not at.exception
    assert at.button(key="connect.fetch").disabled and at.button(key="connect.test").disabled
    assert any("only sent to the configured Payfit address" in plain(i.value) for i in at.info)
    for button in ("connect.test", "connect.fetch"):  # pressed anyway (a forged event): nothing is sent
        at.button(key=button).click().run()
        assert not at.exception
    assert not any(PAYFIT_TEST_KEY in " ".join(h.values()) for h in elsewhere)
    assert elsewhere == []
    from ui import state

    assert state.workspace().counts()["payfit_records"] == 0

    # The configured address again (written differently: a final slash): the server's key is used.
    at.text_input(key="connect.api_url").input(payfit_server.url + "/").run()
    at.text_input(key="connect.oauth_url").input(payfit_server.oauth_url).run()
    assert not at.button(key="connect.fetch").disabled
    at.button(key="connect.fetch").click().run()
    assert any("Loaded 204" in plain(s.value) for s in at.success)


def test_a_typed_key_is_asked_for_again_when_the_address_changes(
    app_with_server: Path, payfit_server, elsewhere: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.text_input(key="connect.key").input(PAYFIT_TEST_KEY).run()
    assert not at.button(key="connect.fetch").disabled
    at.text_input(key="connect.api_url").input(elsewhere.url).run()
    assert at.text_input(key="connect.key").value == ""  # the key typed for the old address is gone
    at.text_input(key="connect.oauth_url").input(elsewhere.url).run()
    assert at.button(key="connect.fetch").disabled
    assert any("type the key to use with it" in plain(c.value) for c in at.caption)
    at.button(key="connect.fetch").click().run()
    assert elsewhere == []
    # typed again, for this address: it goes there (the person chose to)
    at.text_input(key="connect.key").input("pk_typed_for_elsewhere").run()
    at.button(key="connect.test").click().run()
    assert not at.exception
    assert elsewhere and all(PAYFIT_TEST_KEY not in " ".join(h.values()) for h in elsewhere)
    assert any("pk_typed_for_elsewhere" in h.get("authorization", "") for h in elsewhere)


@pytest.mark.parametrize(
    ("typed", "api", "oauth", "expected"),
    [
        ("", "CONFIGURED", "CONFIGURED", "server-key"),
        ("", "CONFIGURED/", "CONFIGURED", "server-key"),
        ("", "http://127.0.0.2:9", "CONFIGURED", ""),
        ("", "CONFIGURED", "https://evil.example", ""),
        ("", "CONFIGURED/other", "CONFIGURED", ""),
        ("typed", "http://127.0.0.2:9", "CONFIGURED", "typed"),
    ],
)
def test_key_for_sends_the_server_key_only_to_the_configured_addresses(
    typed: str, api: str, oauth: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.connect import key_for

    monkeypatch.setenv("PAYFIT_API_KEY", "server-key")
    monkeypatch.setenv("PAYFIT_API_URL", "http://127.0.0.1:8700")
    monkeypatch.setenv("PAYFIT_OAUTH_URL", "http://127.0.0.1:8701")
    api = api.replace("CONFIGURED", "http://127.0.0.1:8700")
    oauth = oauth.replace("CONFIGURED", "http://127.0.0.1:8701")
    assert key_for(typed, api, oauth) == expected


def test_a_key_in_secrets_goes_only_to_the_addresses_in_secrets(
    app_with_server: Path, payfit_server, elsewhere: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``[payfit] api_key`` in Streamlit secrets with its ``api_url`` / ``oauth_url``: used there,
    never sent to an address typed in the page."""
    monkeypatch.delenv("PAYFIT_API_URL")
    monkeypatch.delenv("PAYFIT_OAUTH_URL")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["payfit"] = {
        "api_key": PAYFIT_TEST_KEY,
        "api_url": payfit_server.url,
        "oauth_url": payfit_server.oauth_url,
    }
    at.run()
    assert at.text_input(key="connect.api_url").value == payfit_server.url
    assert not at.button(key="connect.test").disabled
    at.text_input(key="connect.oauth_url").input(elsewhere.url).run()
    assert at.button(key="connect.test").disabled
    at.button(key="connect.test").click().run()
    assert elsewhere == []
    at.text_input(key="connect.oauth_url").input(payfit_server.oauth_url).run()
    at.button(key="connect.test").click().run()
    assert any("demo-company" in plain(s.value) for s in at.success)
    assert PAYFIT_TEST_KEY not in _page_text(at)
