"""App-side helpers: Streamlit caching, session state and UI components (the library never imports these).

Importing this package also makes sure the app runs through ``app.py``'s
``st.navigation``. Streamlit (1.52) treats a folder named ``pages/`` next to the
entry script as an old-style multipage app until ``st.navigation`` has run once
in the process; so when the first visitor after a start opens a deep link such
as ``/review``, Streamlit runs ``pages/review.py`` alone: no sidebar status, no
page titles, no wide layout. The first page to import ``ui`` then clears that
flag and reruns, and the rerun goes through ``app.py`` to the page asked for.
"""

import streamlit as st

try:  # private API of the pinned Streamlit; without it the app still works from "/"
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # pragma: no cover
    PagesManager = None  # type: ignore[assignment,misc]

if PagesManager is not None and getattr(PagesManager, "uses_pages_directory", None):
    PagesManager.uses_pages_directory = False
    st.rerun()
