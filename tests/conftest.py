"""Shared fixtures, each building on the one before (sqlite-utils style).

* ``repo_root``: the project folder (where ``python -m reconcile`` runs);
* ``demo_dir``: the committed demo inputs, ``reconcile/demo``;
* ``workspace``: a fresh workspace in a real DuckDB file under ``tmp_path``, closed after;
* ``demo_workspace``: ``workspace`` with the demo company loaded (:func:`reconcile.workflow.load_demo`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

from reconcile import Workspace, workflow  # noqa: E402


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The project folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def demo_dir(repo_root: Path) -> Path:
    """``reconcile/demo``: Payfit pages, Equify CSV, scenarios and ground truth."""
    return repo_root / "reconcile" / "demo"


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A fresh, empty workspace in a real file (``tmp_path / "ws.duckdb"``), closed after the test."""
    ws = Workspace.open(tmp_path / "ws.duckdb")
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def demo_workspace(workspace: Workspace, demo_dir: Path) -> Workspace:
    """``workspace`` with the demo company loaded."""
    workflow.load_demo(workspace, demo_dir)
    return workspace


PAYFIT_TEST_KEY = "pk_test_conftest-7d1e-FICTITIOUS"  # distinctive, so a leak is easy to spot


@pytest.fixture
def payfit_server(demo_dir: Path) -> Iterator[object]:
    """A running Payfit-compatible server on 127.0.0.1 serving the demo company's collaborators.

    Key :data:`PAYFIT_TEST_KEY`, company ``demo-company``, 50 requests/s.
    """
    from reconcile.sources.payfit import parse_payfit_pages
    from reconcile.testing.payfit_server import PayfitServer

    pages = sorted((demo_dir / "payfit").glob("*.json"))
    collaborators = parse_payfit_pages([(p.name, p.read_bytes()) for p in pages])
    with PayfitServer(collaborators, api_key=PAYFIT_TEST_KEY, company_id="demo-company") as server:
        yield server


@pytest.fixture
def demo_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """``demo_cli(*args) -> (exit code, stdout, stderr)``: the CLI run in-process on a workspace
    file under ``tmp_path`` holding the demo (``demo_cli.path``)."""
    from reconcile.cli import main

    path = tmp_path / "w.duckdb"

    def call(*args: str) -> tuple[int, str, str]:
        code = main(["--workspace", str(path), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    assert call("demo")[0] == 0
    call.path = path  # type: ignore[attr-defined]
    return call


@pytest.fixture
def app_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The app (``streamlit.testing.v1.AppTest`` of ``app.py``, run once: the demo is seeded) on a
    fresh workspace file under ``tmp_path``, Streamlit's caches cleared around the test."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RECONCILE_WORKSPACE", str(tmp_path / "app.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.run()
    yield at
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def failing_target() -> type:
    """``failing_target(fail_at, error)``: the embedded target whose create calls numbered in
    ``fail_at`` (1-based) raise ``error`` (a row failure, or a crash: ``KeyboardInterrupt``)."""
    from reconcile.sync.targets import EmbeddedTarget

    class FailingTarget(EmbeddedTarget):
        def __init__(self, fail_at: set[int], error: BaseException) -> None:
            self.fail_at, self.error, self.calls = fail_at, error, 0

        def create(self, values: dict[str, str], **kwargs: object) -> str:
            self.calls += 1
            if self.calls in self.fail_at:
                raise self.error
            return super().create(values, **kwargs)  # type: ignore[arg-type]

    return FailingTarget


@pytest.fixture
def app_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh workspace path for the app (``$RECONCILE_WORKSPACE``), with Streamlit's caches
    cleared around the test (AppTest runs share the process's caches)."""
    import streamlit as st

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("RECONCILE_WORKSPACE", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()
