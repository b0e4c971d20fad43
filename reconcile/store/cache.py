"""A workspace's own caches: what the steps keep between two calls on the same workspace (the
in-scope records, the match: its prepared data and its last results, the review table's name
columns), one set per
:class:`~reconcile.store.workspace.Workspace` object, safe across threads (the app's sessions
share one workspace object).

Each cache is a bounded :class:`cachetools.LRUCache`; every read and write goes through
:meth:`WorkspaceCache.get` / :meth:`WorkspaceCache.put` under one lock, and a value is computed
outside the lock (two threads may compute the same value at once; both get a correct one).
Keys carry the workspace's data version or revision, so a write never serves a stale value.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from cachetools import LRUCache

from ..matching.matcher import PreparedCache

__all__ = ["WorkspaceCache"]

#: The caches and how many entries each keeps.
SIZES = {
    "scoped": 2,  # the in-scope Payfit records, per records' version and relation
    "matches": 4,  # match results, per revision and settings
    "names": 8,  # the review table's name columns: the last input and output per slot
    "source_part": 1,  # the review table's Payfit part, per records' version and region
}


class WorkspaceCache:
    """The caches of one workspace object (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._caches: dict[str, LRUCache[Hashable, Any]] = {name: LRUCache(maxsize=n) for name, n in SIZES.items()}
        #: The match's prepared data (normalised sides, candidate pairs, scores), per data version:
        #: with ``matches``, this workspace's one match cache.
        self.prepared = PreparedCache()

    def get(self, cache: str, key: Hashable) -> Any:
        """The value kept under ``key`` in ``cache``, or ``None``.

        Raises:
            KeyError: for a cache that does not exist.
        """
        with self._lock:
            return self._caches[cache].get(key)

    def put(self, cache: str, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key`` in ``cache`` (the least recently used entry goes past its size)."""
        with self._lock:
            self._caches[cache][key] = value

    def clear(self) -> None:
        """Forget everything (the workspace was closed)."""
        with self._lock:
            for cache in self._caches.values():
                cache.clear()
        self.prepared.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(c) for c in self._caches.values())
