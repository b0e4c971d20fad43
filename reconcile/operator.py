"""Who did it: the *operator*, the person's name recorded with every write to a workspace (each
decision, undo, edit, approval, mapping change and load in the activity log; who started each push
run).

The one home of the default name. Every writing function takes ``operator: str | None = None``
(keyword-only); ``None`` (or a blank name) means :func:`default_operator`:

1. :data:`current`, when a front end set it for the work in hand (the app sets it to the name
   typed in its sidebar for the duration of each page run: :func:`acting_as`);
2. else :func:`process_operator`: ``$RECONCILE_OPERATOR``, else the OS user
   (:func:`getpass.getuser`), else ``"unknown"``.

The CLI's ``--operator NAME`` defaults to :func:`process_operator`. A name is kept on one line,
trimmed, at most :data:`MAX_LENGTH` characters (:func:`clean_operator`).

:data:`current` is a :class:`contextvars.ContextVar`: a thread starts without it, so work handed
to another thread (a push's worker) takes the name when it is handed over, never later.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "ENV",
    "MAX_LENGTH",
    "UNKNOWN",
    "acting_as",
    "clean_operator",
    "current",
    "default_operator",
    "os_user",
    "process_operator",
    "resolve_operator",
]

#: The environment variable naming the operator of a process (the CLI's ``--operator`` default).
ENV = "RECONCILE_OPERATOR"
#: The name recorded when nothing else is known.
UNKNOWN = "unknown"
#: The longest name kept (characters); a longer one is cut.
MAX_LENGTH = 100

#: The operator of the work in hand in this context (a page run of the app); ``None``: not set.
current: ContextVar[str | None] = ContextVar("reconcile_operator", default=None)

_BLANKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def clean_operator(name: object) -> str | None:
    """``name`` as it is recorded: on one line (control characters, line breaks and
    bidirectional overrides become spaces, runs of spaces one), trimmed, at most
    :data:`MAX_LENGTH` characters; ``None`` when nothing is left (or ``name`` is not text)."""
    if not isinstance(name, str):
        return None
    text = _BLANKS.sub(" ", name).strip()
    return text[:MAX_LENGTH].rstrip() or None


def os_user() -> str:
    """The OS user running this process (:func:`getpass.getuser`), or :data:`UNKNOWN` when the
    system cannot tell (no login name in the environment and no password-database entry)."""
    try:
        name = getpass.getuser()
    except Exception:  # OSError (3.13+), KeyError / ImportError before: no user known
        name = ""
    return clean_operator(name) or UNKNOWN


def process_operator() -> str:
    """The operator of this process: ``$RECONCILE_OPERATOR`` when set (and not blank), else
    :func:`os_user`."""
    return clean_operator(os.environ.get(ENV)) or os_user()


def default_operator() -> str:
    """The operator a write records when none is given: :data:`current` when set, else
    :func:`process_operator`."""
    return clean_operator(current.get()) or process_operator()


def resolve_operator(operator: str | None = None) -> str:
    """``operator`` cleaned (:func:`clean_operator`), or :func:`default_operator` when it is
    ``None`` or blank: what a write records."""
    return clean_operator(operator) or default_operator()


@contextmanager
def acting_as(operator: str | None) -> Iterator[str]:
    """Within the block, writes that are given no operator record ``operator`` (resolved by
    :func:`resolve_operator`; yielded). Restores the previous :data:`current` on exit."""
    name = resolve_operator(operator)
    token = current.set(name)
    try:
        yield name
    finally:
        current.reset(token)
