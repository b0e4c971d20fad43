"""``python -m reconcile``: see :mod:`reconcile.cli`."""

import sys

from .cli import configure_logging, main

configure_logging()
sys.exit(main())
