"""App-side helpers: Streamlit caching, session state and UI components (the library never imports these)."""
