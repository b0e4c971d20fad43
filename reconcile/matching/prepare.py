"""The prepared match: both sides blocked and scored, then aggregated per record.

:func:`_prepare` runs :mod:`.sides`, :mod:`.blocking` and :mod:`.scoring` and then
:func:`_finish`: the pairs sorted per record (best first, ties by account id), the candidates
(:data:`CANDIDATE_COLUMNS`), and per-record aggregates (best score, ties, identifier and email
matches, doubts, pairs apart, claims) that the policy reads. What it returns does not depend on
the ledger or the decisions, so it is kept between runs (:mod:`.rematch`); its entries are
:data:`_PREPARED_NAMES`.
"""

from __future__ import annotations

import collections
import logging
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..models import MatchSettings
from .blocking import _RULE_NAMES, _block, _both_sides
from .names import NameRelation
from .scoring import _UNSET, _scored
from .sides import _Side
from .verdicts import _apart, _claim_only, _doubts, _first_where, _relations

log = logging.getLogger(__name__)


#: Columns of ``MatchResult.candidates``: one row per scored pair with its per-field breakdown.
CANDIDATE_COLUMNS = [
    "source_id",
    "target_id",
    "score",
    "name_score",
    "email_equal",
    "phone_agree",
    "birthdate_equal",
    "birthdate_match",
    "matricule_equal",
    "matricule_match",
    "email_near",
    "name_relation",
    "doubt",
    "name_points",
    "birthdate_points",
    "phone_points",
    "matricule_points",
    "rule",
]


def _prepare(
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
    *,
    keep: bool = False,
) -> dict[str, Any]:
    """Everything the classification needs that the ledger and decisions do not change:
    both sides normalised, the candidate pairs blocked, scored and sorted, and per-record
    aggregates. With ``keep``, the blocking tables and the input frames are kept too, so
    :func:`_reprepare` can follow an edit of a few accounts (see :func:`_prepared`)."""
    (src, src_keys), (tgt, tgt_keys) = _both_sides(src_frame, src_ids, target, tgt_ids, settings)
    con = duckdb.connect(":memory:")
    try:
        s, t, kind, report, crowded_names = _block(src_keys, tgt_keys, settings, con, keep=keep)
        del src_keys, tgt_keys
    except BaseException:
        con.close()
        raise
    if not keep:
        con.close()
    scored = _scored(src, tgt, s, t, settings)
    t_rank = np.empty(len(tgt), dtype=np.int64)
    t_rank[np.argsort(tgt.ids.astype(str), kind="stable")] = np.arange(len(tgt))
    prep = _finish(src, tgt, s, t, kind, scored, report, crowded_names, t_rank, settings, frozen=keep)
    prep["src_email_count"] = _counts(src.email)
    prep["src_matricule_count"] = _counts(src.matricule)
    prep["tgt_pos"] = dict(zip(tgt.ids.tolist(), range(len(tgt)), strict=True))
    prep["src_pos"] = dict(zip(src.ids.tolist(), range(len(src)), strict=True))
    if keep:
        # Copies: a caller may change its frames in place and match them again under a new key.
        prep.update(
            con=con,
            src_frame=src_frame.copy(),
            target=target.copy(),
            verdicts={},
            text_columns=(_text_columns(src_frame), _text_columns(target)),
        )
    return prep


def _counts(values: np.ndarray) -> dict[Any, int]:
    """How many times each value of an object array appears, ``None`` left out (a ``Counter``:
    counted in C, where ``value_counts().to_dict()`` built a Series first)."""
    counts = collections.Counter(values.tolist())
    counts.pop(None, None)
    return counts


def _finish(
    src: _Side,
    tgt: _Side,
    s: np.ndarray,
    t: np.ndarray,
    kind: np.ndarray,
    scored: dict[str, np.ndarray],
    report: pd.DataFrame,
    crowded_names: dict[int, int],
    t_rank: np.ndarray,
    settings: MatchSettings,
    *,
    email_count: dict[str, int] | None = None,
    frozen: bool = False,
) -> dict[str, Any]:
    """The scored pairs sorted by source, best score, target id; ``candidates``; and the
    per-record aggregates the classification reads (the part of :func:`_prepare` that
    :func:`_reprepare` runs again)."""
    n_s = len(src)
    order = np.argsort(_pair_order(s, t, scored["score"], t_rank), kind="stable")
    s, t, kind = s[order], t[order], kind[order]
    scored = {k: v[order] for k, v in scored.items()}
    log.info(
        "blocking produced %d candidate pairs: %s", len(s), dict(zip(report["rule"], report["pairs"], strict=True))
    )
    score = scored["score"]
    name = scored["name_score"]
    id_match = scored["id_match"]
    if settings.set_aside:
        apart, claimer = _apart(src, tgt, s, t, scored, settings)
    else:
        apart, claimer = np.zeros(len(s), dtype=bool), np.full(len(tgt), -1, dtype=np.int64)
    name_or_none = np.nan_to_num(name, nan=-1.0)
    alike = name_or_none >= settings.name_threshold
    named = alike & ~apart
    named_first = _first_where(named, s, n_s)
    id_count = np.bincount(s[id_match], minlength=n_s)
    email_first = _first_where(scored["email_equal"] == True, s, n_s)  # noqa: E712
    # Doubt: only the pairs of records no stronger rule speaks for (the records otherwise
    # created) need their names related; a relation already known is kept (see _reprepare).
    relation = scored["relation"]
    unset = np.fromiter((r is _UNSET for r in relation.tolist()), dtype=bool, count=len(s))
    if settings.doubt:
        open_record = (id_count == 0) & (email_first < 0) & (named_first < 0)
        need = open_record[s] & ~named & ~apart
    else:
        need = np.zeros(len(s), dtype=bool)
    todo = np.flatnonzero(need & unset)
    if len(todo):
        relation[todo] = _relations(src, tgt, s[todo], t[todo])
    relation[~need & ~unset] = _UNSET
    plausible, doubt_words, doubt_note = _doubts(
        src, tgt, s[need], t[need], {k: v[need] for k, v in scored.items()}, settings
    )
    doubt_at = np.flatnonzero(need)[plausible]
    doubt_text = np.full(len(s), None, dtype=object)
    doubt_text[doubt_at] = [
        w + n for w, n in zip(doubt_words[plausible].tolist(), doubt_note[plausible].tolist(), strict=True)
    ]
    doubt_of = {
        int(k): (w, n)
        for k, w, n in zip(
            doubt_at.tolist(), doubt_words[plausible].tolist(), doubt_note[plausible].tolist(), strict=True
        )
    }
    plausible_all = np.zeros(len(s), dtype=bool)
    plausible_all[doubt_at] = True
    kinds = np.full(len(s), None, dtype=object)
    known = np.flatnonzero(need)
    kinds[known] = [r.kind if isinstance(r, NameRelation) else None for r in relation[known].tolist()]
    columns = {
        "source_id": src.ids[s],
        "target_id": tgt.ids[t],
        **{c: scored[c] for c in CANDIDATE_COLUMNS[2:-1] if c in scored},
        "name_relation": kinds,
        "doubt": doubt_text,
        "rule": np.asarray(_RULE_NAMES, dtype=object)[kind],
    }
    if frozen:  # shared by every later match of the same data: nobody may write into it
        for arr in columns.values():
            arr.setflags(write=False)
    # copy=False: fresh arrays, not gathered into 2-D blocks again (~0.2 s at 300,000 pairs)
    candidates = pd.DataFrame(columns, columns=CANDIDATE_COLUMNS, copy=False)
    best = np.full(n_s, np.inf)
    best[named_first >= 0] = score[named_first[named_first >= 0]]
    tie = named & (best[s] - score <= settings.tie_margin)
    return {
        "src": src,
        "tgt": tgt,
        "n_s": n_s,
        "s": s,
        "t": t,
        "kind": kind,
        "t_rank": t_rank,
        "report": report,
        "crowded_names": crowded_names,
        "scored": scored,
        "candidates": candidates,
        "score": score,
        "name": name,
        "id_match": id_match,
        "id_count": id_count,
        "id_first": _first_where(id_match, s, n_s),
        "email_first": email_first,
        "doubt_first": _first_where(plausible_all, s, n_s),
        "apart_first": _first_where(apart & (name_or_none >= settings.doubt_name_score), s, n_s),
        "claimer": claimer,
        "claim_only": _claim_only(scored, apart),
        "alike": alike,
        "doubt_count": np.bincount(s[plausible_all], minlength=n_s),
        "doubt_of": doubt_of,
        "named": named,
        "named_first": named_first,
        "best": best,
        "tie": tie,
        "tie_count": np.bincount(s[tie], minlength=n_s),
        "starts": np.searchsorted(s, np.arange(n_s), side="left"),
        "ends": np.searchsorted(s, np.arange(n_s), side="right"),
        "tgt_email_count": _counts(tgt.email) if email_count is None else email_count,
    }


def _pair_order(s: np.ndarray, t: np.ndarray, score: np.ndarray, t_rank: np.ndarray) -> np.ndarray:
    """One int64 per pair that sorts as (source position, best score first, account id):
    scores have one decimal (0.0-100.0), so ``1000 - 10 × score`` is an integer in 0-1000.
    A stable sort of nearly sorted keys (the kept pairs plus a few new) is close to linear."""
    n_t = np.int64(max(len(t_rank), 1))
    tenths = 1000 - np.rint(np.asarray(score, dtype=np.float64) * 10).astype(np.int64)
    return (s.astype(np.int64) * 1001 + tenths) * n_t + t_rank[t]


def _text_columns(frame: pd.DataFrame) -> frozenset[str]:
    """The object columns holding only text and missing values (what a workspace gives)."""
    return frozenset(
        c
        for c in frame.columns
        if frame[c].dtype == object
        and pd.api.types.infer_dtype(frame[c].to_numpy(), skipna=True) in ("string", "empty")
    )


_PREPARED_NAMES = (
    "src",
    "tgt",
    "n_s",
    "s",
    "t",
    "kind",
    "report",
    "crowded_names",
    "scored",
    "candidates",
    "score",
    "name",
    "id_match",
    "id_count",
    "id_first",
    "email_first",
    "named",
    "named_first",
    "best",
    "tie",
    "tie_count",
    "starts",
    "ends",
    "src_email_count",
    "tgt_email_count",
    "src_matricule_count",
    "tgt_pos",
    "doubt_first",
    "doubt_count",
    "doubt_of",
    "apart_first",
    "claimer",
    "claim_only",
    "alike",
)
