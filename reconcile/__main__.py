"""``python -m reconcile``: see :mod:`reconcile.cli`."""

import logging
import sys

from .cli import main

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
sys.exit(main())
