"""Review: the review table and its filters, a record's candidates side by side, decisions, edits, undo and the bulk *accept likely matches* (the Review page; ``reconcile review``, ``decide``, ``edit``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from cachetools import LRUCache

from ..exceptions import InputError
from ..matching.normalize import (
    birth_date_evidence,
    clean_text,
    email_evidence,
    email_is_valid,
    is_placeholder,
    normalize_date,
    normalize_phone,
    remembered_phone,
)
from ..matching.values import phone_doubt
from ..models import Decision, MatchResult, MatchSettings, Move, RejectedEdit
from ..store.cache import WorkspaceCache
from ..store.workspace import Workspace
from .match import run_match, scoped_source

log = logging.getLogger(__name__)


REVIEW_COLUMNS = [
    "source_id",
    "category",
    "action",
    "name",
    "email",
    "phone",
    "team",
    "target_id",
    "account",
    "account_first",
    "account_last",
    "account_email",
    "account_phone",
    "score",
    "reason",
    "search",
]


#: Review-table columns a person can edit inline, and the Equify field each one sets.
EDITABLE_REVIEW_COLUMNS = {
    "account_first": "firstName",
    "account_last": "lastName",
    "account_email": "email",
    "account_phone": "phoneNumber",
}


def review_table(ws: Workspace, result: MatchResult) -> pd.DataFrame:
    """One row per in-scope Payfit record for the Review page, in the records' order.

    Columns (all text but ``score``, float): ``source_id``, ``category``,
    ``action``, ``name``, ``email``, ``phone`` (E.164 when it parses),
    ``team``, ``target_id``, ``account`` (Equify name), the account's ``account_first``,
    ``account_last``, ``account_email`` and ``account_phone`` (editable in the table, see
    :data:`EDITABLE_REVIEW_COLUMNS`), ``score``, ``reason``, and ``search`` (the text
    :func:`filter_review` searches: names, emails, ids and reason, accents and case folded).
    """
    region = result.settings.default_region
    rec = result.records
    part = _source_part(ws, region)
    src = part.reindex(rec["source_id"])
    # Columns that hold None already (match() writes None; the Payfit part too) skip the NaN
    # scan; only a reindex that found no row brings NaN in.
    clean = {"source_id", "category", "action", "target_id", "reason"}
    if bool(rec["source_id"].isin(part.index).all()):
        clean |= {"name", "email", "phone", "team"}
    a = ws.equify_accounts().drop_duplicates("id").set_index("id").reindex(rec["target_id"])
    has_account = a["firstName"].notna().to_numpy() | a["lastName"].notna().to_numpy()
    # numpy's stubs leave None out of ArrayLike; np.where reads it as an object scalar.
    account = np.where(has_account, _names(a["firstName"], a["lastName"], slot="review.account", cache=ws.cache), None)  # type: ignore[call-overload]
    columns = {
        "source_id": rec["source_id"],
        "category": rec["category"],
        "action": rec["action"],
        "name": src["name"],
        "email": src["email"],
        "phone": src["phone"],
        "team": src["team"],
        "target_id": rec["target_id"],
        "account": account,
        "account_first": a["firstName"],
        "account_last": a["lastName"],
        "account_email": a["email"],
        "account_phone": a["phoneNumber"],
        "reason": rec["reason"],
    }
    out = pd.DataFrame(
        {
            name: np.asarray(columns[name], dtype=object) if name in clean else _text(columns[name])
            for name in REVIEW_COLUMNS
            if name in columns
        },
        columns=REVIEW_COLUMNS,
        copy=False,
    )
    out["score"] = rec["score"].to_numpy(dtype=float)
    if len(out):
        theirs = [
            f"{n or ''} {e or ''} {t or ''}"
            for n, e, t in zip(account, out["account_email"], out["target_id"], strict=True)
        ]
        reasons = [r or "" for r in out["reason"]]
        out["search"] = _obj_array(
            [
                f"{x} {y} {z}"
                for x, y, z in zip(src["search"].fillna(""), _folded_memo(theirs), _folded_memo(reasons), strict=True)
            ]
        )
    else:
        out["search"] = np.array([], dtype=object)
    return out


def _text(values: Any) -> np.ndarray:
    """An object array with ``None`` for every missing value (NaN from a reindex included)."""
    arr = np.asarray(values, dtype=object)
    missing = pd.isna(arr)
    if missing.any():
        arr = arr.copy()
        arr[missing] = None
    return arr


def _obj_array(values: list[Any]) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


def _source_part(ws: Workspace, region: str) -> pd.DataFrame:
    """The review table's Payfit columns, indexed by record id: ``name``, ``email``, ``phone``
    (E.164 when it parses), ``team``, and ``search`` (name, email and id, folded). Kept per
    records' version, relation and region: an edit or a decision does not rebuild it."""
    key = (ws.identity, ws.table_version("payfit_records"), ws.relation(), region)
    kept = ws.cache.get("source_part", key)
    if kept is None:
        src = scoped_source(ws).drop_duplicates("id")
        phones = [  # E.164 only when certain (values.phone_doubt): else as typed
            (p.raw if phone_doubt(p) else p.e164 or p.raw)
            for p in (remembered_phone(v, region, h) for v, h in zip(src["phoneNumber"], src["country"], strict=True))
        ]
        name = _names(src["firstName"], src["lastName"])
        part = pd.DataFrame(
            {"name": name, "email": src["email"].to_numpy(), "phone": phones, "team": src["teamName"].to_numpy()},
            index=pd.Index(src["id"].to_numpy(), name="id"),
        )
        mine = (
            pd.Series(name, dtype=object)
            + " "
            + src["email"].fillna("").to_numpy()
            + " "
            + src["id"].fillna("").to_numpy()
        )
        part["search"] = _folded(mine).to_numpy() if len(part) else []
        ws.cache.put("source_part", key, part)
        kept = part
    return kept


def _names(
    first: pd.Series, last: pd.Series, *, slot: str | None = None, cache: WorkspaceCache | None = None
) -> np.ndarray:
    """``"First Last"`` of each row (:func:`_name`, vectorised: each distinct value cleaned once,
    remembered across calls, the 1,000,000 most recent). With ``slot`` and a workspace's
    ``cache``, the last call's input and output under that name are kept there, and only the rows
    whose names differ from it are formatted again (a review table after one edit)."""
    if not len(first):
        return np.array([], dtype=object)
    f_arr, l_arr = first.to_numpy(dtype=object), last.to_numpy(dtype=object)
    kept = cache.get("names", slot) if slot and cache is not None else None
    if kept is not None and len(kept[0]) == len(f_arr):
        same = _same_values(kept[0], f_arr) & _same_values(kept[1], l_arr)
        out = kept[2].copy()
        todo = np.flatnonzero(~same)
    else:
        out = np.empty(len(f_arr), dtype=object)
        todo = np.arange(len(f_arr))
    if len(todo):
        fs, ls = f_arr[todo].tolist(), l_arr[todo].tolist()
        cleaned = _memo(_CLEANED, [v for v in dict.fromkeys(fs + ls) if isinstance(v, str)], _clean_texts)
        get = cleaned.get
        out[todo] = [f"{get(f, '')} {get(la, '')}".strip() or "(no name)" for f, la in zip(fs, ls, strict=True)]
    if slot and cache is not None:
        cache.put("names", slot, (f_arr, l_arr, out))
    return out


def _same_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality of two object arrays where missing equals missing (None, NaN)."""
    same = np.asarray(a == b, dtype=bool)
    differ = np.flatnonzero(~same)
    if len(differ):
        same[differ] = pd.isna(a[differ]) & pd.isna(b[differ])
    return same


#: Text memos shared by every workspace (a text's cleaned or folded form never changes): the
#: 1,000,000 most recent of each, read and written under one lock.
_CLEANED: LRUCache[str, str] = LRUCache(maxsize=1_000_000)
_FOLDED: LRUCache[str, str] = LRUCache(maxsize=1_000_000)
_MEMO_LOCK = threading.Lock()


def _memo(memo: LRUCache[str, str], texts: list[str], compute: Callable[[list[str]], list[str]]) -> dict[str, str]:
    """``{text: compute(text)}`` for the distinct ``texts``, each computed once across calls
    (kept in ``memo``); the computing runs outside the lock."""
    with _MEMO_LOCK:
        known = {v: memo[v] for v in texts if v in memo}
    fresh = [v for v in texts if v not in known]
    if fresh:
        done = dict(zip(fresh, compute(fresh), strict=True))
        with _MEMO_LOCK:
            memo.update(done)
        known.update(done)
    return known


def _clean_texts(texts: list[str]) -> list[str]:
    return [clean_text(v) or "" for v in texts]


def _fold_texts(texts: list[str]) -> list[str]:
    return list(_folded(pd.Series(texts, dtype=object)).tolist())


def _folded(text: pd.Series) -> pd.Series:
    """Text without accents, lower-cased, separators as spaces (vectorised)."""
    plain = text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").str.lower()
    return plain.str.replace(r"[-'’._,;()/]+", " ", regex=True)


def _folded_memo(texts: list[str]) -> list[str]:
    """:func:`_folded` of each text, each text folded once across calls (the accounts' and
    reasons' texts barely change between two matches; the 1,000,000 most recent are kept)."""
    folded = _memo(_FOLDED, list(dict.fromkeys(texts)), _fold_texts)
    return [folded[v] for v in texts]


#: What the Review page can filter on: the evidence that decided each record (``records.rule``).
RULE_LABELS = {
    "email": "email",
    "name": "name",
    "matricule": "matricule",
    "payfit_id": "Payfit ID",
    "ledger": "earlier sync",
    "decision": "a person's decision",
    "none": "nothing found",
}


@dataclass(frozen=True)
class ReviewFilter:
    """What the Review table shows: ``search`` (words found in the name, emails, account or
    reason, case- and accent-free), ``teams`` and ``rules`` (empty: all), ``score`` (an
    inclusive ``(low, high)`` range; records without a score pass only when ``low`` is 0)."""

    search: str = ""
    teams: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    score: tuple[float, float] = (0.0, 100.0)


def filter_review(rows: pd.DataFrame, result: MatchResult, view: ReviewFilter) -> pd.DataFrame:
    """The rows of :func:`review_table` that ``view`` keeps, in their order (index kept)."""
    keep = pd.Series(True, index=rows.index)
    if view.search.strip():
        haystack = rows["search"].fillna("")
        for word in _folded(pd.Series([view.search])).iloc[0].split():
            keep &= haystack.str.contains(word, regex=False)
    if view.teams:
        keep &= rows["team"].isin(view.teams)
    if view.rules:
        rules = result.records.set_index("source_id")["rule"].reindex(rows["source_id"]).to_numpy()
        keep &= pd.Series(rules, index=rows.index).isin(view.rules)
    low, high = view.score
    if (low, high) != (0.0, 100.0):
        score = rows["score"]
        keep &= score.between(low, high) | (score.isna() & (low <= 0))
    return rows[keep]


def shown_candidates(
    result: MatchResult, source_ids: Iterable[str] | None = None, *, min_name_score: float = 60.0
) -> pd.DataFrame:
    """The candidate pairs worth showing to a person (of ``source_ids``, or of every record):
    those of ``result.candidates`` whose name score is at least ``min_name_score`` or whose
    email, phone, Payfit id or matricule agree (blocking also pairs look-alike names, which
    are not shown). Sorted per record, best first, ties by account id. The one rule the Review
    page (:func:`candidates_for`) and ``reconcile review conflict`` show candidates by.

    Columns: those of :attr:`MatchResult.candidates`."""
    cands = result.candidates
    if source_ids is not None:
        cands = cands[cands["source_id"].isin(list(source_ids))]
    evidence = (
        (cands["name_score"].fillna(0) >= min_name_score)
        | cands["email_equal"].eq(True)
        | cands["phone_agree"].eq(True)
        | cands["rule"].isin(["payfit_id", "matricule"])
    )
    return cands[evidence].sort_values(["source_id", "score", "target_id"], ascending=[True, False, True])


def candidates_for(ws: Workspace, result: MatchResult, source_id: str, *, min_name_score: float = 60.0) -> pd.DataFrame:
    """The candidate accounts of one record worth showing (:func:`shown_candidates`), best
    first, with the account's fields.

    Columns: the account's ``firstName``, ``lastName``, ``email``, ``phoneNumber``,
    ``birthDate``, ``relation``, then the pair's ``score``, ``name_score``,
    ``email_equal``, ``phone_agree``, ``birthdate_equal``, ``rule`` and ``target_id``.
    """
    cands = shown_candidates(result, [source_id], min_name_score=min_name_score).drop(columns="source_id")
    accounts = ws.equify_accounts(cands["target_id"])[
        ["id", "firstName", "lastName", "email", "phoneNumber", "birthDate", "relation"]
    ]
    merged = cands.merge(accounts, left_on="target_id", right_on="id", how="left").drop(columns="id")
    order = ["firstName", "lastName", "email", "phoneNumber", "birthDate", "relation", "score", "name_score"]
    order += ["email_equal", "phone_agree", "birthdate_equal", "rule", "target_id"]
    merged = merged.sort_values(["score", "target_id"], ascending=[False, True]).reset_index(drop=True)
    return merged[order]


# Every write below takes ``operator`` (keyword-only): who did it, recorded in the activity log
# with the write; default :func:`reconcile.operator.default_operator`.


def edit_and_rematch(
    ws: Workspace,
    account_id: str,
    field: str,
    value: str | None,
    settings: MatchSettings | None = None,
    *,
    operator: str | None = None,
) -> list[Move]:
    """Edit one Equify field, match again, and return who moved to which set.

    Raises :class:`InputError` for an invalid value (nothing is written then).
    """
    return _rematched(ws, lambda: ws.edit_account(account_id, field, value, operator=operator), settings)


def decide_and_rematch(
    ws: Workspace, decisions: list[Decision], settings: MatchSettings | None = None, *, operator: str | None = None
) -> list[Move]:
    """Record decisions, match again, and return who moved to which set."""
    return _rematched(ws, lambda: ws.decide(decisions, operator=operator), settings)


def undecide_and_rematch(
    ws: Workspace, source_ids: list[str], settings: MatchSettings | None = None, *, operator: str | None = None
) -> list[Move]:
    """Remove decisions (e.g. *remove from excluded*), match again, return who moved."""
    return _rematched(ws, lambda: ws.undecide(source_ids, operator=operator), settings)


def edit_accounts_and_rematch(
    ws: Workspace,
    edits: list[tuple[str, str, str | None]],
    settings: MatchSettings | None = None,
    *,
    operator: str | None = None,
) -> list[Move]:
    """Apply several edits ``(account_id, field, value)`` all or nothing, match again and return
    who moved. Raises :class:`InputError` naming the bad edit (nothing written)."""
    return _rematched(ws, lambda: ws.edit_accounts(edits, operator=operator), settings)


def edit_each_and_rematch(
    ws: Workspace,
    edits: list[tuple[str, str, str | None]],
    settings: MatchSettings | None = None,
    *,
    operator: str | None = None,
) -> tuple[list[Move], list[RejectedEdit]]:
    """Apply each valid edit ``(account_id, field, value)`` (together, in one transaction) and
    refuse each invalid one with why, then match again: ``(who moved, the refused edits)``.

    An edit typed in a table never waits on another: a refused value writes nothing and never
    stops the valid edits beside it (:meth:`Workspace.check_edit` says which is which)."""
    valid: list[tuple[str, str, str | None]] = []
    rejected: list[RejectedEdit] = []
    for account_id, field, value in edits:
        try:
            ws.check_edit(account_id, field, value)
        except InputError as exc:
            rejected.append(RejectedEdit(account_id, field, value, str(exc)))
        else:
            valid.append((account_id, field, value))
    moves = _rematched(ws, lambda: ws.edit_accounts(valid, operator=operator), settings) if valid else []
    return moves, rejected


@dataclass(frozen=True)
class Undone:
    """What an undo did: ``said`` (what is back as it was in the workspace, words), ``moves``
    (who changed set), ``kept`` (one sentence per operation a push already sent for the decision
    undone: the target keeps it, nothing is deleted or reverted there)."""

    said: str
    moves: list[Move]
    kept: tuple[str, ...] = ()


_ALREADY = {
    "create": "was already created in Equify by push run {run} ({target} target) and is not deleted",
    "link": "was already linked by push run {run} ({target} target): the link and the fields it filled stay",
    "update": "was already updated by push run {run} ({target} target): the values it sent stay",
}


def undo_and_rematch(
    ws: Workspace, seq: int, settings: MatchSettings | None = None, *, operator: str | None = None
) -> Undone:
    """Undo one decision or edit of the activity log (:meth:`Workspace.undo`), match again,
    and say what was undone, who moved, and what a push already sent for that decision
    (:attr:`Undone.kept`: an undo never reaches Equify). Raises :class:`InputError` when it
    cannot be undone."""
    kept = _sent_since(ws, seq)
    said: list[str] = []
    moves = _rematched(ws, lambda: said.append(ws.undo(seq, operator=operator)), settings)
    return Undone(said[0], moves, kept)


def _sent_since(ws: Workspace, seq: int) -> tuple[str, ...]:
    """For a decision of the activity log: the operations pushed for its record since it was
    made (journal rows done), as sentences; ``()`` for anything else."""
    entry = ws.query('SELECT kind, subject, "at" FROM activity WHERE seq = ?', [int(seq)])
    if entry.empty or entry["kind"].iloc[0] != "decision":
        return ()
    sid, at = str(entry["subject"].iloc[0]), entry["at"].iloc[0]
    sent = ws.query(
        "SELECT j.run_id, j.op, j.account_id, r.target FROM push_journal j JOIN push_runs r USING (run_id)"
        " WHERE j.source_id = ? AND j.status = 'done' AND j.updated_at >= ? ORDER BY j.updated_at, j.seq",
        [sid, at],
    )
    record = ws.payfit_records([sid])
    name = _name(record["firstName"].iloc[0], record["lastName"].iloc[0]) if not record.empty else ""
    who = f"{name} ({sid})" if name else sid
    return tuple(
        f"{who}: account {r.account_id or '(not known)'} " + _ALREADY[r.op].format(run=r.run_id, target=r.target)
        for r in sent.itertuples(index=False)
        if r.op in _ALREADY
    )


def likely_matches(ws: Workspace, result: MatchResult, threshold: float) -> pd.DataFrame:
    """The name conflicts whose likely match (``MatchResult.proposals``, kind ``review``) scores
    at least ``threshold``: what *accept all above a score* would link.

    Columns: ``source_id``, ``name``, ``target_id``, ``account``, ``score`` (float), ``reason``.
    """
    proposals = result.proposals(threshold)
    review = proposals[proposals["kind"] == "review"]
    if review.empty:
        return pd.DataFrame(columns=["source_id", "name", "target_id", "account", "score", "reason"])
    names = _source_part(ws, result.settings.default_region)["name"].reindex(review["source_id"])
    accounts = ws.equify_accounts(review["target_id"]).set_index("id").reindex(review["target_id"])
    reasons = result.records.set_index("source_id")["reason"].reindex(review["source_id"])
    return pd.DataFrame(
        {
            "source_id": review["source_id"].to_numpy(dtype=object),
            "name": names.to_numpy(dtype=object),
            "target_id": review["target_id"].to_numpy(dtype=object),
            "account": _names(accounts["firstName"], accounts["lastName"]),
            "score": review["score"].to_numpy(dtype=float),
            "reason": reasons.to_numpy(dtype=object),
        }
    )


def accept_likely_matches(
    ws: Workspace,
    result: MatchResult,
    threshold: float,
    expected: int,
    settings: MatchSettings | None = None,
    *,
    operator: str | None = None,
) -> list[Move]:
    """Link every conflict whose likely match scores at least ``threshold`` (one decision each,
    all or nothing), match again, return who moved.

    ``expected`` is how many the person saw and confirmed; raises :class:`InputError` when
    the list changed since (nothing is written then).
    """
    chosen = likely_matches(ws, result, threshold)
    if len(chosen) != expected:
        raise InputError(f"the list changed: {len(chosen)} likely matches now, {expected} confirmed; check it again")
    decisions = [Decision(s, "link", t) for s, t in zip(chosen["source_id"], chosen["target_id"], strict=True)]
    return _rematched(ws, lambda: ws.decide(decisions, operator=operator), settings)


def activity_seq(ws: Workspace) -> int:
    """The number of the newest activity entry (0 for none): where a conflict queue starts."""
    log = ws.activity()
    return int(log["seq"].max()) if len(log) else 0


def resolved_since(ws: Workspace, result: MatchResult, seq: int) -> int:
    """How many records a person decided after the activity entry ``seq`` that are not in
    conflict now: the conflicts resolved since a queue started (a decision undone since puts
    its record back in conflict, and it no longer counts)."""
    log = ws.activity()
    decided = set(log.loc[(log["kind"] == "decision") & (log["seq"] > seq), "subject"].dropna().astype(str))
    if not decided:
        return 0
    records = result.records
    now = records.loc[records["source_id"].isin(decided), "category"]
    return int((now != "conflict").sum())


ACTIVITY_COLUMNS = ["seq", "at", "by", "what", "subject", "field", "before", "after", "undoable"]


def activity_table(ws: Workspace, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` entries of the activity log for the activity panel.

    Columns: ``seq`` (int), ``at`` (timestamp), ``by`` (who did it: the operator recorded with
    the entry; blank for entries older than the record of it), ``what`` (decision, edit,
    undo, mapping, load, ...), ``subject`` (the Payfit record or Equify account, with its name
    when known), ``field``, ``before`` → ``after`` (text), ``undoable`` (bool: a decision or
    edit not undone yet and not changed again since).
    """
    log = ws.activity()
    undone = set(log.loc[log["kind"] == "undo", "subject"].astype(str))
    shown = set(log.head(limit)["subject"].dropna())
    names = {}
    for frame in (ws.payfit_records(shown), ws.equify_accounts(shown)):
        names.update({r.id: _name(r.firstName, r.lastName) for r in frame.itertuples()})
    # The latest entry per record or field: only it can be undone (earlier ones first need it undone).
    latest: dict[tuple[str, str, str | None], int] = {}
    for row in log.itertuples():
        if row.kind in ("decision", "edit"):
            latest.setdefault((row.kind, row.subject, row.field if row.kind == "edit" else None), int(row.seq))
    rows = []
    for row in log.head(limit).itertuples():
        key = (row.kind, row.subject, row.field if row.kind == "edit" else None)
        subject = row.subject
        if subject in names:
            subject = f"{names[subject]} ({subject})"
        rows.append(
            {
                "seq": int(row.seq),
                "at": row.at,
                "by": clean_text(row.operator) or "",
                "what": row.kind,
                "subject": f"undid #{row.subject}" if row.kind == "undo" else subject,
                "field": row.field,
                "before": row.before,
                "after": row.after,
                "undoable": row.kind in ("decision", "edit")
                and str(row.seq) not in undone
                and latest.get(key) == int(row.seq),
            }
        )
    return pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)


def _rematched(ws: Workspace, write: Callable[[], object], settings: MatchSettings | None) -> list[Move]:
    """Match, ``write``, match again: the records whose set or action changed."""
    before = run_match(ws, settings).records.set_index("source_id")[["category", "action"]]
    write()
    after = run_match(ws, settings).records.set_index("source_id")[["category", "action"]]
    old = before.reindex(after.index)
    changed = after[(old["category"] != after["category"]) | (old["action"] != after["action"])]
    if changed.empty:
        return []
    names = _source_part(ws, (settings or MatchSettings()).default_region)["name"]
    return [
        Move(
            str(sid),
            str(names.get(sid, sid)),
            _set_label(old.loc[sid, "category"], old.loc[sid, "action"]),
            _set_label(row.category, row.action),
        )
        for sid, row in zip(changed.index, changed.itertuples(), strict=True)
    ]


def _set_label(category: object, action: object) -> str:
    """``new (link)`` for the new set, whose action matters; the set's name otherwise."""
    return f"{category} ({action})" if category == "new" else str(category)


def source_card(ws: Workspace, source_id: str) -> pd.DataFrame:
    """One Payfit record as ``field`` / ``value`` rows (the mapped fields, then team and status)."""
    records = ws.payfit_records([source_id]).set_index("id")
    if source_id not in records.index:
        raise InputError(f"unknown Payfit record {source_id!r}")
    row = records.loc[source_id]
    fields = [(f, row[c]) for f, c in ws.mapping().mapped().items() if c in records.columns]
    fields += [("team", row["teamName"]), ("status", row["status"]), ("Payfit id", source_id)]
    return pd.DataFrame({"field": [f for f, _ in fields], "value": [clean_text(v) for _, v in fields]})


COMPARISON_COLUMNS = ["field", "payfit", "equify", "agreement", "points"]


def side_by_side(ws: Workspace, result: MatchResult, source_id: str, target_id: str) -> pd.DataFrame:
    """One Payfit record and one Equify account field by field, with what the matcher saw.

    Columns: ``field`` (Equify field), ``payfit`` and ``equify`` (the values as stored),
    ``agreement`` (words: ``same``, ``similar (name score 90)``, ``differ``, ``day/month
    swapped``, ``no evidence``), ``points`` (float, what the field added to the pair's score;
    NaN where it adds nothing). Raises :class:`InputError` for an unknown record or account.
    """
    records = ws.payfit_records([source_id]).set_index("id")
    accounts = ws.equify_accounts([target_id]).set_index("id")
    if source_id not in records.index:
        raise InputError(f"unknown Payfit record {source_id!r}")
    if target_id not in accounts.index:
        raise InputError(f"unknown Equify account {target_id!r}")
    src, acc = records.loc[source_id], accounts.loc[target_id]
    cands = result.candidates
    pair = cands[(cands["source_id"] == source_id) & (cands["target_id"] == target_id)]
    p = pair.iloc[0] if not pair.empty else None

    region = MatchSettings().default_region
    countries = (clean_text(src.get("country")), clean_text(acc.get("country")))

    def said(value: Any, words: dict[Any, str], field: str, left: str | None, right: str | None) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return _no_evidence(field, (left, right), countries, region)
        return words.get(value, str(value))

    mapped = ws.mapping().mapped()
    rows = []
    for field in ("firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule"):
        col = mapped.get(field)
        left = clean_text(src[col]) if col in records.columns else None
        right = clean_text(acc[field]) if field in accounts.columns else None
        agreement, points = "", float("nan")
        if p is not None:
            if field in ("firstName", "lastName"):
                ns = p["name_score"]
                agreement = (
                    _no_evidence(field, (left, right), countries, region)
                    if ns != ns
                    else ("same" if ns >= 100 else f"similar (name score {ns:g})")
                )
                relation = p.get("name_relation")
                if isinstance(relation, str) and relation != "same" and ns == ns:
                    agreement += f", related: {relation.replace('_', ' ')}"
                points = float(p["name_points"]) if field == "lastName" else float("nan")
            elif field == "email":
                near = p.get("email_near")
                agreement = (
                    f"near-identical {near[near.find('(') :]}"
                    if isinstance(near, str) and "(" in near
                    else said(p["email_equal"], {True: "same", False: "differ"}, field, left, right)
                )
            elif field == "phoneNumber":
                agreement = said(p["phone_agree"], {True: "same", False: "differ"}, field, left, right)
                points = float(p["phone_points"])
            elif field == "birthDate":
                agreement = said(
                    p["birthdate_match"],
                    {"exact": "same", "swapped": "day/month swapped", "near": "near (a typo?)", "differ": "differ"},
                    field,
                    left,
                    right,
                )
                points = float(p["birthdate_points"])
            elif field == "matricule":
                agreement = said(
                    p.get("matricule_match", p["matricule_equal"]),
                    {"exact": "same", "near": "near-identical (a typo?)", True: "same", False: "differ"},
                    field,
                    left,
                    right,
                )
                points = float(p["matricule_points"])
        rows.append({"field": field, "payfit": left, "equify": right, "agreement": agreement, "points": points})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _no_evidence(
    field: str, values: tuple[str | None, str | None], countries: tuple[str | None, str | None], region: str
) -> str:
    """Why a field of a pair says nothing for or against it, in words: ``"no evidence: empty in
    Equify"``, ``"no evidence: Payfit's is not a valid phone number"``, ``"... is a placeholder"``;
    plain ``"no evidence"`` when both values could count (the matcher left the field out)."""
    why = []
    for side, value, country in zip(("Payfit", "Equify"), values, countries, strict=True):
        if value is None:
            why.append(f"empty in {side}")
        elif field == "email" and email_evidence(value) is None:
            why.append(
                f"{side}'s is a placeholder"
                if email_is_valid(value) or is_placeholder(value)
                else f"{side}'s is not an email address"
            )
        elif field == "phoneNumber" and normalize_phone(value, region, country_hint=country).e164 is None:
            why.append(f"{side}'s is not a valid phone number")
        elif field == "birthDate" and birth_date_evidence(value) is None:
            why.append(
                f"{side}'s is not a date that can be read"
                if normalize_date(value) is None
                else f"{side}'s is a placeholder date"
            )
        elif field in ("matricule", "firstName", "lastName") and is_placeholder(value):
            why.append(f"{side}'s is a placeholder")
    if len(why) == 2 and why[0].startswith("empty") and why[1].startswith("empty"):
        why = ["empty on both sides"]
    return "no evidence: " + ", ".join(why) if why else "no evidence"


def _name(first: object, last: object) -> str:
    return " ".join(x for x in (clean_text(first), clean_text(last)) if x) or "(no name)"
