"""Work shared with a forked process (used by :mod:`.blocking` and :mod:`.scoring`).

:class:`_Forked` runs a function in a forked child and awaits its answer: the child's failure,
death or silence past :data:`_PATIENCE` is logged and the caller does that part itself, so a
match never depends on the child. :func:`_may_fork` says when forking is allowed (Linux, two or
more cores, ``RECONCILE_PARALLEL`` not ``0``, not a daemonic process).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any

from ..exceptions import InputError

log = logging.getLogger(__name__)


#: How long to wait for the child once this side is done: ``(seconds, times this side's own time)``.
_PATIENCE = (30.0, 4.0)


def _may_fork() -> bool:
    """Whether this process may share its work with a forked one: Linux, two or more cores, the
    environment variable ``RECONCILE_PARALLEL`` not ``0``, and not itself a daemonic process (a
    ``multiprocessing`` pool's worker may not have children)."""
    return (
        sys.platform == "linux"
        and _cores() >= 2
        and os.environ.get("RECONCILE_PARALLEL", "1") != "0"
        and not multiprocessing.current_process().daemon
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _said(err: BaseException) -> str:
    """An exception in words for a log line: its message, or its kind when it has none."""
    return str(err) or type(err).__name__


class _Forked:
    """A function run in a forked process and its answer awaited (internal): the child sends
    ``("ok", target(*args))``, or ``("error", exception)`` when it raises. ``what`` names the
    process in warnings ("preparing", "scoring") and ``fallback`` what is then done here instead
    ("preparing its part here"). Use as a context manager: the child is killed if it still runs
    at the end."""

    def __init__(self, what: str, fallback: str, target: Callable[..., Any], *args: Any) -> None:
        self.what, self.fallback = what, fallback
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.child: Any = None
        try:
            self.child = context.Process(target=_Forked._run, args=(send, target, args), daemon=True)
            self.child.start()
        except Exception as err:  # cannot fork (memory, process limits): all of it is done here
            log.warning("matching: could not start a process (%s); %s", _said(err), fallback)
            self.child = None
        finally:
            send.close()

    @staticmethod
    def _run(conn: Any, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """The forked process: run ``target`` and send back its value or what it raised."""
        global _FORKED
        _FORKED = True
        try:
            conn.send(("ok", target(*args)))
        except BaseException as err:  # noqa: BLE001 - everything goes back to the parent
            conn.send(("error", err))
        finally:
            conn.close()

    def answer(self, own_seconds: float) -> tuple[str, Any] | None:
        """What the child sent, ``("ok", value)`` or ``("error", exception)``; ``None`` (with a
        warning) when it could not start, ended without an answer, or did not answer in time. The
        child does about as much as this process did in ``own_seconds``: past several times that
        (and half a minute, :data:`_PATIENCE`), it is stuck (stopped, or deadlocked after the
        fork) and replaced."""
        if self.child is None:
            return None
        patience = _PATIENCE[0] + _PATIENCE[1] * own_seconds
        try:
            if not self.receive.poll(patience):
                log.warning(
                    "matching: the %s process did not answer within %.0f s; %s", self.what, patience, self.fallback
                )
                return None
            status, value = self.receive.recv()
        except (EOFError, OSError) as err:
            log.warning("matching: the %s process ended early (%s); %s", self.what, _said(err), self.fallback)
            return None
        if status != "ok" and not isinstance(value, InputError):
            log.warning("matching: the %s process failed (%s); %s", self.what, _said(value), self.fallback)
        return status, value

    def __enter__(self) -> _Forked:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.receive.close()
        if self.child is not None:
            if self.child.is_alive():
                self.child.kill()
            self.child.join()


#: True in a process forked by this module (it then starts no thread pool of its own).
_FORKED = False
