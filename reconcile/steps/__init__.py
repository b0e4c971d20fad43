"""The steps of the workflow over a workspace, one module each, named like its page and its CLI
command: :mod:`.load`, :mod:`.mapping`, :mod:`.match`, :mod:`.review`, :mod:`.sync`,
:mod:`.history`, :mod:`.export`, :mod:`.accounts`. :mod:`reconcile.workflow` gathers their
functions in one namespace (what the app, the CLI and the notebooks call)."""
