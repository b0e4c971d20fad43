"""The app's pages opened through Streamlit's AppTest, as the app tests share them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str | None = None, *, params: Mapping[str, str] | None = None) -> AppTest:
    """The app (``app.py``, its navigation and sidebar) run once, then ``page`` (``pages/x.py``)
    with the page address's ``params``; fails the test when a run raised."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page:
        at.switch_page(page)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if page or params:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
