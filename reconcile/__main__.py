"""``python -m reconcile``: see :mod:`reconcile.cli`."""

from .cli import run

run()
