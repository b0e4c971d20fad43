"""Store: the workspace, one DuckDB file (schema and migrations, the journal, the ledger, decisions,
edits and the activity log); :class:`.workspace.Workspace`."""
