"""Record linkage of Payfit records (source) to Equify accounts (target): :func:`match`.

Pure logic over pandas DataFrames (DuckDB, in memory, only as the join engine
for blocking): no files, no network. The engine runs in vectorised stages, each in its
own module, so 100,000 × 100,000 records take seconds (``bench/match_scale.py``):

* :mod:`.sides` **normalises** each side once, every distinct raw value once (names,
  emails, phones, dates are cached by value), and checks the input frames;
* :mod:`.blocking` derives each side's blocking keys and **blocks** in DuckDB:
  equi-joins of the two sides' keys, one rule per key kind (:data:`BLOCKING_RULES`),
  the union of the pairs, never a cross product; a loose key whose block would give
  more than ``MatchSettings.max_block_pairs`` pairs is dropped and counted. For large
  inputs the Equify side is prepared in a forked process (:mod:`.parallel`) while the
  Payfit side is prepared here: the same functions, so the same result;
* :mod:`.scoring` **scores** every candidate pair at once (rapidfuzz ``cpdist``),
  keeping the per-field breakdown;
* :mod:`.prepare` sorts the scored pairs and **aggregates** them per record, with the
  evidence of :mod:`.verdicts` (doubts, pairs clearly apart, one-to-one claims);
* :mod:`.policy` **classifies** every record, its rules top to bottom in the order of
  ``shared/domain.md`` §5 (claims of earlier syncs, excluded, synced, decisions,
  identifier, email, names, doubt, create; one to one);
* :mod:`.rematch` keeps the prepared match between runs (:class:`PreparedCache`) and
  follows an edit of a few accounts instead of matching from scratch.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..models import Decision, FieldMapping, MatchResult, MatchSettings
from .blocking import BLOCKING_COLUMNS, BLOCKING_RULES
from .policy import Policy
from .prepare import CANDIDATE_COLUMNS
from .rematch import DEFAULT_PREPARED, PreparedCache, _prepared
from .sides import _NAME_OR_EMAIL, MAPPABLE_FIELDS, _check_frame, _obj, canonical_source
from .verdicts import _check_history

log = logging.getLogger(__name__)


__all__ = [
    "BLOCKING_COLUMNS",
    "BLOCKING_RULES",
    "CANDIDATE_COLUMNS",
    "DEFAULT_PREPARED",
    "MAPPABLE_FIELDS",
    "PreparedCache",
    "canonical_source",
    "match",
]


RECORD_COLUMNS = ["source_id", "category", "action", "target_id", "score", "rule", "reason"]


LINK_COLUMNS = ["source_id", "target_id", "score", "rule"]


_F = TypeVar("_F", bound=Callable[..., Any])


def _gc_paused(fn: _F) -> _F:
    """Run ``fn`` with Python's cyclic garbage collector paused (and restored after).

    Matching allocates millions of small objects; each allocation burst triggers a
    collection that walks every tracked object in the process, a cost that grows with
    what the process holds (~0.6 s per match of 100,000 records in the app). Nothing
    matching allocates is cyclic garbage worth collecting early."""

    @functools.wraps(fn)
    def paused(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused  # type: ignore[return-value]


@_gc_paused
def match(
    source: pd.DataFrame,
    target: pd.DataFrame,
    *,
    mapping: FieldMapping | Mapping[str, str | None] | None = None,
    settings: MatchSettings | None = None,
    ledger: Mapping[str, str] | None = None,
    ledger_values: Mapping[str, Mapping[str, str | None]] | None = None,
    decisions: Mapping[str, Decision] | Iterable[Decision] | None = None,
    prepared_key: Hashable | None = None,
    prepared_cache: PreparedCache | None = None,
) -> MatchResult:
    """Match source records (Payfit) to target accounts (Equify).

    ``source``: a DataFrame with an ``id`` column and source fields, renamed to
    Equify's canonical fields by ``mapping`` (``{equify_field: source_column}``;
    ``None`` when the columns already carry canonical names: ``firstName``,
    ``lastName``, ``email``, ``phoneNumber``, ``birthDate``, ``matricule``, and
    optionally ``fullName`` and the address ``country`` used as the phone's country hint).
    ``target``: a DataFrame with ``id`` and canonical fields, optionally ``payfitId``.
    ``ledger``: ``{source_id: target_id}`` of earlier syncs, and
    ``ledger_values`` the source values each sync sent (``{source_id: {field: value}}``):
    a synced record is an *update* when its values changed since.
    ``decisions``: a person's links, creates and exclusions.
    ``prepared_key``: a hashable naming the source, target and mapping as they are (e.g. a
    workspace's data version); when given, the normalised sides, candidate pairs and scores
    are kept, and the next call with the same key and settings only classifies again (the
    ledger and decisions may differ). The caller must change the key when the data changes;
    a new key whose target differs from the last one's by a few accounts (inline edits, up to
    2 % of them) is followed from it: only those accounts are normalised, blocked and scored
    again, and only the records that met them are classified again (same result as from
    scratch). With a key, ``candidates`` is shared by the results of the same data: its
    arrays are read-only (copy the frame to change it). ``prepared_cache``: where the prepared
    data is kept (a workspace's own, :class:`PreparedCache`; default: the module's).

    Ids are compared as cleaned text everywhere (``" P1"`` is ``P1``, ``42.0`` is ``42``),
    in the records, the ledger and the decisions; ``records.source_id`` holds the cleaned id.

    Returns a :class:`~reconcile.models.MatchResult` (records, links, candidates
    with their per-field breakdown, and the blocking report). Raises
    :class:`~reconcile.exceptions.InputError` for: an argument of the wrong type; a
    missing, empty or duplicated id; a repeated column; a column that is a field's name in
    another case (``Email``); a mapping key that is not an Equify field (or is ``id``); a side
    with no name or email field; a ledger with two entries for one record.
    """
    settings = MatchSettings() if settings is None else settings
    if not isinstance(settings, MatchSettings):
        raise InputError(f"settings must be a MatchSettings, not {type(settings).__name__}")
    checked_src_ids = _check_frame(source, "source", canonical=mapping is None)
    tgt_ids = _check_frame(target, "target")
    src_frame = canonical_source(source, mapping, default_region=settings.default_region)
    if len(src_frame) and not any(f in src_frame.columns for f in _NAME_OR_EMAIL):
        raise InputError(
            f"after mapping, the source records have none of the fields matching uses ({', '.join(_NAME_OR_EMAIL)})"
        )
    ledger, ledger_values, decided = _check_history(ledger, ledger_values, decisions)
    prep = _prepared(src_frame, checked_src_ids, target, tgt_ids, settings, prepared_key, prepared_cache)
    # The policy (reconcile/matching/policy.py) classifies every record, its rules in domain.md §5's order.
    # A kept preparation is shared by every caller with its key (the app's sessions): its verdict
    # memo is read and written by one classification at a time.
    with prep.get("lock") or contextlib.nullcontext():
        out = Policy(prep, src_frame, target, settings, ledger, ledger_values, decided).classify()
    src_ids: list[str] = prep["src"].ids.tolist()
    candidates, report = prep["candidates"], prep["report"]
    cols = [[row[c] for row in out] for c in range(6)]  # type: ignore[index]
    records = pd.DataFrame(
        {
            "source_id": _obj(src_ids),
            "category": _obj(cols[0]),
            "action": _obj(cols[1]),
            "target_id": _obj(cols[2]),
            "score": np.array([np.nan if x is None else x for x in cols[3]], dtype=float),
            "rule": _obj(cols[4]),
            "reason": _obj(cols[5]),
        },
        columns=RECORD_COLUMNS,
        copy=False,
    )
    links = records.loc[
        records["action"].isin(["link", "update", "none"])
        & records["category"].isin(["new", "synced"])
        & records["target_id"].notna(),
        LINK_COLUMNS,
    ].reset_index(drop=True)
    # Kept pairs are shared by later matches of the same data: their arrays are read-only,
    # and each result gets its own frame over them.
    return MatchResult(
        records=records,
        links=links,
        candidates=candidates.copy(deep=False),
        settings=settings,
        blocking=report.copy(),
    )
