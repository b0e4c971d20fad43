"""Incremental re-match: prepared matches kept between runs, followed through small edits.

:class:`PreparedCache` keeps the last prepared matches by key (a workspace holds one; calls
without one use :data:`DEFAULT_PREPARED`). A new key whose data differs from the last one's by a
few edited accounts (under :data:`_REPREPARE_SHARE` of them) is followed from it
(:func:`_reprepare`: only those accounts normalised, keyed, blocked and scored again) instead of
prepared from scratch; the result is the same as a match from scratch
(``tests/matching/test_incremental.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from dataclasses import fields as dataclass_fields
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from cachetools import LRUCache

from ..models import MatchSettings
from .blocking import _LOOSE, _RULE_NAMES, BLOCKING_RULES, _key_table, _keys
from .prepare import _finish, _prepare
from .scoring import _score
from .sides import _Side, _side

log = logging.getLogger(__name__)


def _changed_rows(
    old: pd.DataFrame, new: pd.DataFrame, text_columns: frozenset[str] = frozenset()
) -> np.ndarray | None:
    """Positions of the rows of ``new`` that differ from ``old`` (missing equals missing);
    ``None`` when the two frames are not comparable row by row (shape, columns, dtypes).

    ``1 == 1.0 == True``, yet each is normalised differently, so in object columns a change
    of type is a change too; a column of ``old`` known to hold only text (``text_columns``)
    needs no such check: text equals no other type."""
    if old.shape != new.shape or list(old.columns) != list(new.columns):
        return None
    diff = np.zeros(len(new), dtype=bool)
    try:
        for col in new.columns:
            a, b = old[col].to_numpy(), new[col].to_numpy()
            if a.dtype != b.dtype:
                return None
            ne = np.flatnonzero(np.asarray(a != b, dtype=bool))
            if len(ne):  # NaN != NaN: missing on both sides is no change
                diff[ne[~(pd.isna(a[ne]) & pd.isna(b[ne]))]] = True
            if a.dtype == object and col not in text_columns:
                diff |= _TYPE_OF(a) != _TYPE_OF(b)
    except (TypeError, ValueError):
        return None
    return np.flatnonzero(diff)


_TYPE_OF = np.frompyfunc(type, 1, 1)


def _splice(old: _Side, sub: _Side, at: np.ndarray) -> _Side:
    """``old`` with the records at positions ``at`` replaced by ``sub``'s (in order)."""
    values: dict[str, Any] = {}
    replaced = set(at.tolist())
    for f in dataclass_fields(_Side):
        if f.name == "full":
            full = {i: k for i, k in old.full.items() if i not in replaced}
            full.update({int(at[i]): k for i, k in sub.full.items()})
            values["full"] = full
            continue
        column = getattr(old, f.name)
        column = column.copy() if isinstance(column, np.ndarray) else list(column)
        for pos, value in zip(at.tolist(), getattr(sub, f.name), strict=True):
            column[pos] = value
        values[f.name] = column
    return _Side(**values)


#: An edit of more accounts than this share of all accounts is matched again from scratch.
_REPREPARE_SHARE = 0.02


def _reprepare(
    prev: dict[str, Any],
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
) -> dict[str, Any] | None:
    """The prepared match of ``prev`` followed to a target where a few accounts changed
    (inline edits): only those accounts are normalised, blocked against the stored source
    keys and scored again, and only the records that met them before or after are
    classified again. Gives exactly what :func:`_prepare` gives (tested against it), or
    ``None`` when it cannot: another source, other ids, too many changes, or a change that
    crowds a key in or out (a crowded key's pairs are all dropped, so it affects others).

    ``prev`` is consumed (its DuckDB tables move to the result)."""
    if (
        "con" not in prev
        or not np.array_equal(prev["tgt"].ids, tgt_ids)
        or not np.array_equal(prev["src"].ids, src_ids)
    ):
        return None
    same_source = _changed_rows(prev["src_frame"], src_frame, prev["text_columns"][0])
    changed = _changed_rows(prev["target"], target, prev["text_columns"][1])
    if same_source is None or len(same_source) or changed is None:
        return None
    if len(changed) > max(1, int(_REPREPARE_SHARE * len(tgt_ids))):
        return None
    con: duckdb.DuckDBPyConnection = prev["con"]
    old_tgt: _Side = prev["tgt"]
    sub = _side(target.iloc[changed].reset_index(drop=True), tgt_ids[changed], settings, hint_col=None)
    tgt = _splice(old_tgt, sub, changed)
    new_keys = _keys(sub, target_side=True)
    new_keys["i"] = changed[new_keys["i"].to_numpy()].astype(np.int32)
    _key_table(con, "tk_changed", new_keys)
    con.register("changed_frame", pd.DataFrame({"i": changed.astype(np.int32)}))
    con.execute("CREATE OR REPLACE TEMP TABLE changed_at AS SELECT i::INTEGER AS i FROM changed_frame")
    con.unregister("changed_frame")
    con.execute("CREATE OR REPLACE TEMP TABLE tk_was AS SELECT * FROM tk SEMI JOIN changed_at USING (i)")
    loose = ", ".join(str(i) for i in _LOOSE)
    cap, exact_cap = int(settings.max_block_pairs), int(settings.max_exact_block_pairs)
    # Every key the edited accounts had or have: is it crowded now as it was before?
    name_kind = _RULE_NAMES.index("name")
    flips = con.execute(
        f"""
        WITH touched AS (SELECT DISTINCT kind, key FROM (SELECT kind, key FROM tk_was UNION ALL SELECT kind, key FROM tk_changed)),
        sn AS (SELECT kind, key, count(*) AS n FROM sk SEMI JOIN touched USING (kind, key) GROUP BY kind, key),
        tn AS (SELECT kind, key, count(*) AS n FROM tk SEMI JOIN touched USING (kind, key) GROUP BY kind, key),
        was AS (SELECT kind, key, count(*) AS n FROM tk_was GROUP BY kind, key),
        now AS (SELECT kind, key, count(*) AS n FROM tk_changed GROUP BY kind, key),
        counts AS (
            SELECT kind, coalesce(sn.n, 0) AS sn, coalesce(tn.n, 0) AS tn,
                coalesce(tn.n, 0) - coalesce(was.n, 0) + coalesce(now.n, 0) AS tn_after,
                CASE WHEN kind IN ({loose}) THEN {cap} ELSE {exact_cap} END AS cap
            FROM touched LEFT JOIN sn USING (kind, key) LEFT JOIN tn USING (kind, key)
            LEFT JOIN was USING (kind, key) LEFT JOIN now USING (kind, key)
        )
        SELECT count(*) FILTER (WHERE (sn * tn > cap) <> (sn * tn_after > cap) OR (sn * tn > cap AND kind = {name_kind}))
        FROM counts
        """
    ).fetchone()
    if flips is None or flips[0]:
        return None
    pairs_sql = """
        SELECT DISTINCT s.i AS s, t.i AS t, s.kind AS kind
        FROM sk s JOIN (SELECT * FROM {table} ANTI JOIN crowded USING (kind, key)) t USING (kind, key)
    """
    was_rule = dict(
        con.execute(f"SELECT kind, count(*) FROM ({pairs_sql.format(table='tk_was')}) GROUP BY kind").fetchall()
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE produced AS {pairs_sql.format(table='tk_changed')}")
    now_rule = dict(con.execute("SELECT kind, count(*) FROM produced GROUP BY kind").fetchall())
    added = con.execute("SELECT s, t, min(kind)::TINYINT AS kind FROM produced GROUP BY s, t").fetchnumpy()
    con.execute("DELETE FROM tk WHERE i IN (SELECT i FROM changed_at)")
    con.execute("INSERT INTO tk SELECT * FROM tk_changed")
    for table in ("produced", "tk_changed", "tk_was", "changed_at"):
        con.execute(f"DROP TABLE {table}")

    src: _Side = prev["src"]
    s_add = np.asarray(added["s"], dtype=np.int64)
    t_add = np.asarray(added["t"], dtype=np.int64)
    kind_add = np.asarray(added["kind"], dtype=np.int8)
    kept = ~np.isin(prev["t"], changed)
    scored_add = _score(src, tgt, s_add, t_add, settings)
    s = np.concatenate([prev["s"][kept], s_add])
    t = np.concatenate([prev["t"][kept], t_add])
    kind = np.concatenate([prev["kind"][kept], kind_add])
    scored = {k: np.concatenate([v[kept], scored_add[k]]) for k, v in prev["scored"].items()}
    report = prev["report"].copy()
    report["pairs"] = [
        int(p) - int(was_rule.get(k, 0)) + int(now_rule.get(k, 0)) for k, p in enumerate(report["pairs"])
    ]
    report["strongest"] = np.bincount(kind, minlength=len(BLOCKING_RULES)).astype(int)
    email_count = dict(prev["tgt_email_count"])
    for e in old_tgt.email[changed]:
        if e:
            email_count[e] -= 1
            if not email_count[e]:
                del email_count[e]
    for e in tgt.email[changed]:
        if e:
            email_count[e] = email_count.get(e, 0) + 1
    prep = _finish(
        src,
        tgt,
        s,
        t,
        kind,
        scored,
        report,
        prev["crowded_names"],
        prev["t_rank"],
        settings,
        email_count=email_count,
        frozen=True,
    )
    # The records to classify again: those that met an edited account, before or after, or
    # whose email an edited account had or has (the count of accounts with that email).
    emails = {e for e in np.concatenate([old_tgt.email[changed], tgt.email[changed]]) if e}
    dirty = set(prev["s"][~kept].tolist()) | set(s_add.tolist())
    dirty.update(np.flatnonzero(pd.Series(src.email).isin(emails).to_numpy()).tolist())
    # dict() copies in one step: another thread may still be classifying with ``prev``.
    verdicts = {i: v for i, v in dict(prev["verdicts"]).items() if i not in dirty}
    for name in ("src_email_count", "src_matricule_count", "tgt_pos", "src_pos"):
        prep[name] = prev[name]
    # The target's text columns stay text where the edited rows hold text too.
    edited = target.iloc[changed]
    text_target = frozenset(
        c for c in prev["text_columns"][1] if all(v is None or type(v) is str for v in edited[c].tolist())
    )
    prep.update(
        con=con,
        src_frame=prev["src_frame"],
        target=target.copy(),
        verdicts=verdicts,
        text_columns=(prev["text_columns"][0], text_target),
    )
    if "taken_generation" in prev:
        prep["taken_generation"] = prev["taken_generation"]
    log.info("matched %d edited accounts again: %d records to classify again", len(changed), len(dirty))
    return prep


class _Kept(LRUCache[tuple[Any, ...], dict[str, Any]]):
    """The prepared matches of a :class:`PreparedCache`: a :class:`cachetools.LRUCache` that frees
    an entry's DuckDB tables (:func:`_close`) when it evicts it."""

    def popitem(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        key, prep = super().popitem()
        _close(prep)
        return key, prep


class PreparedCache:
    """The prepared matches kept for reruns (see ``prepared_key`` of :func:`match`): the last
    ``size`` keys, safe across threads. A workspace holds its own
    (:attr:`reconcile.store.cache.WorkspaceCache.prepared`), next to its match results: one match
    cache per workspace; :func:`match` without one uses the module's (:data:`DEFAULT_PREPARED`)."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        #: ``{(key, settings): prepared match}``, the least recently used one closed and dropped
        #: past ``size`` (:class:`_Kept`).
        self.entries: _Kept = _Kept(maxsize=size)
        self._lock = threading.Lock()

    def prepared(
        self,
        src_frame: pd.DataFrame,
        src_ids: np.ndarray,
        target: pd.DataFrame,
        tgt_ids: np.ndarray,
        settings: MatchSettings,
        key: Hashable,
    ) -> dict[str, Any]:
        """:func:`_prepare` for ``key``, kept. A new key whose data differs from the last one's by
        a few edited accounts is followed from it (:func:`_reprepare`) instead of prepared from
        scratch."""
        full_key = (key, settings)
        with self._lock:
            if full_key in self.entries:
                return self.entries[full_key]
            prep = None
            last = next((k for k in reversed(list(self.entries)) if k[1] == settings), None)
            if last is not None:
                prev = self.entries.pop(last)
                try:
                    with prev["lock"]:  # no classification reads it while it is followed
                        prep = _reprepare(prev, src_frame, src_ids, target, tgt_ids, settings)
                except Exception:  # noqa: BLE001 - following failed: prepare from scratch instead
                    log.exception("following the last prepared match failed; matching from scratch")
                    prep = None
                if prep is None:
                    _close(prev)
            if prep is None:
                prep = _prepare(src_frame, src_ids, target, tgt_ids, settings, keep=True)
            prep.setdefault("lock", threading.RLock())
            self.entries[full_key] = prep  # past the size, the least recently used is closed
            return prep

    def clear(self) -> None:
        """Forget every prepared match (and free its DuckDB tables)."""
        with self._lock:
            self.entries.clear()  # each entry through _Kept.popitem: closed


#: The prepared matches of :func:`match` calls that name no cache of their own.
DEFAULT_PREPARED = PreparedCache()


_PREPARED = DEFAULT_PREPARED.entries  # the default cache's entries (read by tests)


def _prepared(
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
    key: Hashable | None,
    cache: PreparedCache | None = None,
) -> dict[str, Any]:
    """:func:`_prepare`, kept in ``cache`` (default :data:`DEFAULT_PREPARED`) when ``key`` is given."""
    if key is None:
        return _prepare(src_frame, src_ids, target, tgt_ids, settings)
    return (cache or DEFAULT_PREPARED).prepared(src_frame, src_ids, target, tgt_ids, settings, key)


def _close(prep: dict[str, Any]) -> None:
    """Free a prepared match's DuckDB tables."""
    con = prep.pop("con", None)
    if con is not None:
        con.close()
