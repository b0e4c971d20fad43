"""Record linkage of Payfit records (source) to Equify accounts (target).

Pure logic over pandas DataFrames: no database, no I/O. The policy is
``shared/domain.md`` §5, strongest evidence first:

1. exclusion list → *excluded*, whatever else matches;
2. sync ledger → *synced* (action *update* when mapped values changed);
3. a person's decision (link to a chosen account / create anyway);
4. exact identifier (the account carries the Payfit id or the same matricule) → link;
5. exact normalised email, unique on both sides → link (unless the names clearly disagree);
6. name similarity (rapidfuzz) → *conflict* with its candidates, never an automatic link;
7. nothing → *new* / *create*.

Linkage is one-to-one: an Equify account is linked to at most one Payfit
record; two records claiming one account are both conflicts.

Candidate pairs come from *blocking* (shared email, identifier, phone or name
key), never from a full cross product.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .exceptions import InputError
from .models import EQUIFY_FIELDS, Decision, FieldMapping, MatchResult, MatchSettings
from .normalize import (
    NameKey,
    PhoneResult,
    clean_text,
    compact,
    name_key,
    name_tokens,
    normalize_date,
    normalize_email,
    normalize_phone,
    phones_agree,
    score_names,
)
from .values import changed_since

log = logging.getLogger(__name__)

__all__ = ["canonical_source", "match"]

RECORD_COLUMNS = ["source_id", "category", "action", "target_id", "score", "rule", "reason"]
LINK_COLUMNS = ["source_id", "target_id", "score", "rule"]
CANDIDATE_COLUMNS = [
    "source_id",
    "target_id",
    "score",
    "name_score",
    "email_equal",
    "phone_agree",
    "birthdate_equal",
    "rule",
]
# Name particles are too common to block on alone.
_PARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "d", "l", "van", "von", "der", "den", "di", "da", "del"})


@dataclass(frozen=True)
class _Rec:
    """One side's record after normalisation (internal)."""

    id: str
    first: str | None
    last: str | None
    full: str | None
    email: str | None
    phone: PhoneResult
    birth: str | None
    matricule: str | None
    payfit_id: str | None
    label: str
    name: NameKey

    def name_keys(self, *, target_side: bool) -> set[str]:
        """Name blocking keys. The target side indexes its whole name and its last name
        (never a first name alone: every Jean would pair with every Jean); the source side
        looks up with both of its parts, so swapped first and last names still meet.

        Keys: ``s:`` sorted tokens, ``c:`` sorted tokens without spaces, ``p:`` a part
        without spaces, ``t:`` one token of the last name (or of a full name), ``q:`` the
        first 4 letters of a part with the other part's initial and ``r:`` its last 4
        letters with that initial (a typo elsewhere in the name still meets its record).
        """
        tokens = self.name.tokens
        if not tokens:
            return set()
        keys = {"s:" + " ".join(sorted(tokens)), "c:" + "".join(sorted(tokens))}
        first, last = compact(self.first), compact(self.last)
        if not (first and last):  # one part only, or a full name: every token stands for the name
            keys.update("t:" + t for t in tokens if len(t) >= 3 and t not in _PARTICLES)
            if first or last:
                keys.add("p:" + (first or last))
            return keys
        parts = [(last, first)] if target_side else [(last, first), (first, last)]
        for part, other in parts:
            keys.add("p:" + part)
            keys.add(f"q:{part[:4]}:{other[0]}")
            keys.add(f"r:{part[-4:]}:{other[0]}")
        last_tokens = name_tokens(self.last) if target_side else name_tokens(self.first, self.last)
        keys.update("t:" + t for t in last_tokens if len(t) >= 3 and t not in _PARTICLES)
        return keys


def canonical_source(source: pd.DataFrame, mapping: FieldMapping | Mapping[str, str | None] | None) -> pd.DataFrame:
    """Rename the source's columns to Equify's canonical fields.

    Returns a DataFrame with ``id`` (str), one object column per mapped Equify
    field, and ``_hint`` (the per-record country hint for phones: the mapped
    ``country`` if any, else the source's ``country``, i.e. the address country;
    never the nationality: an Italian living in Paris has a French number).

    Raises :class:`InputError` when the source has no ``id`` column or the
    mapping names a column the source lacks.
    """
    if "id" not in source.columns:
        raise InputError("the source records have no 'id' column")
    if mapping is None:
        pairs = {f: f for f in source.columns if f != "id"}
    elif isinstance(mapping, FieldMapping):
        pairs = mapping.mapped()
    else:
        pairs = {k: v for k, v in mapping.items() if v}
    missing = sorted({col for col in pairs.values() if col not in source.columns})
    if missing:
        raise InputError(f"the mapping uses source field(s) {', '.join(missing)}, which the records do not have")
    out = pd.DataFrame({"id": source["id"].astype(str)})
    for field_name, col in pairs.items():
        out[field_name] = source[col].astype(object)
    # The address country is the phone's country hint. Nationality is not: an
    # Italian living in Paris has a French number.
    hint = out["country"] if "country" in out.columns else source["country"] if "country" in source.columns else None
    out["_hint"] = hint if hint is not None else None
    return out


def _records(frame: pd.DataFrame, settings: MatchSettings, *, hint_col: str | None) -> list[_Rec]:
    cols = set(frame.columns)

    def get(row: Mapping[str, Any], name: str) -> Any:
        return row.get(name) if name in cols else None

    recs = []
    for row in frame.to_dict("records"):
        hint = get(row, hint_col) if hint_col else get(row, "country")
        first, last, full = clean_text(get(row, "firstName")), clean_text(get(row, "lastName")), None
        if first is None and last is None:
            full = clean_text(get(row, "fullName"))
        label = " ".join(x for x in (first, last, full) if x) or "(no name)"
        recs.append(
            _Rec(
                id=str(row["id"]),
                first=first,
                last=last,
                full=full,
                email=normalize_email(get(row, "email")),
                phone=normalize_phone(get(row, "phoneNumber"), settings.default_region, hint),
                birth=normalize_date(get(row, "birthDate")),
                matricule=clean_text(get(row, "matricule")),
                payfit_id=clean_text(get(row, "payfitId")),
                label=label,
                name=name_key(first, last, full),
            )
        )
    return recs


def _check_ids(frame: pd.DataFrame, side: str) -> None:
    if "id" not in frame.columns:
        raise InputError(f"the {side} records have no 'id' column")
    ids = frame["id"].map(clean_text)
    if ids.isna().any():
        raise InputError(f"{side} row {int(ids.isna().to_numpy().argmax()) + 1} has an empty id")
    dup = ids[ids.duplicated()]
    if not dup.empty:
        raise InputError(f"{side} id {dup.iloc[0]!r} appears more than once")


def _score_pair(s: _Rec, t: _Rec, settings: MatchSettings) -> dict[str, Any]:
    ns = score_names(s.name, t.name)
    email_equal = None if not (s.email and t.email) else s.email == t.email
    phone = phones_agree(s.phone, t.phone)
    birth = None if not (s.birth and t.birth) else s.birth == t.birth
    score = 0.0 if ns is None else ns
    if birth is True:
        score += settings.birthdate_bonus
    elif birth is False:
        score -= settings.birthdate_penalty
    if phone is True:
        score += settings.phone_bonus
    return {
        "score": round(max(0.0, min(100.0, score)), 1),
        "name_score": ns,
        "email_equal": email_equal,
        "phone_agree": phone,
        "birthdate_equal": birth,
    }


def match(
    source: pd.DataFrame,
    target: pd.DataFrame,
    *,
    mapping: FieldMapping | Mapping[str, str | None] | None = None,
    settings: MatchSettings | None = None,
    ledger: Mapping[str, str] | None = None,
    ledger_values: Mapping[str, Mapping[str, str | None]] | None = None,
    decisions: Mapping[str, Decision] | Iterable[Decision] | None = None,
) -> MatchResult:
    """Match source records (Payfit) to target accounts (Equify).

    ``source``: a DataFrame with an ``id`` column and source fields, renamed to
    Equify's canonical fields by ``mapping`` (``{equify_field: source_column}``;
    ``None`` when the columns already carry canonical names). ``target``: a
    DataFrame with ``id`` and canonical fields (``firstName``, ``lastName``,
    ``email``, ``phoneNumber``, ``birthDate``, ``matricule``, optionally
    ``payfitId``). ``ledger``: ``{source_id: target_id}`` of earlier syncs, and
    ``ledger_values`` the source values each sync sent (``{source_id: {field: value}}``):
    a synced record is an *update* when its values changed since.
    ``decisions``: a person's links, creates and exclusions.

    Returns a :class:`~reconcile.models.MatchResult`. Raises
    :class:`~reconcile.exceptions.InputError` for a missing or duplicated id.
    """
    settings = settings or MatchSettings()
    _check_ids(source, "source")
    _check_ids(target, "target")
    src_frame = canonical_source(source, mapping)
    srcs = _records(src_frame, settings, hint_col="_hint")
    tgts = _records(target, settings, hint_col=None)
    tgt_by_id = {t.id: t for t in tgts}
    tgt_rows = {str(r["id"]): r for r in target.to_dict("records")}
    src_rows = {str(r["id"]): r for r in src_frame.to_dict("records")}
    ledger = {str(k): str(v) for k, v in (ledger or {}).items()}
    if decisions is None:
        decided: dict[str, Decision] = {}
    elif isinstance(decisions, Mapping):
        decided = dict(decisions)
    else:
        decided = {d.source_id: d for d in decisions}

    # --- blocking: index the target side by each key, then look each source up.
    index: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(tgts):
        for key in _block_keys(t, target_side=True):
            index[key].append(i)
    # A loose name key shared by very many accounts (a common surname token or prefix)
    # would pair every record with all of them; the exact keys still pair equal names.
    crowded = [k for k, members in index.items() if k[0] in _LOOSE_KEYS and len(members) > settings.max_block_size]
    for key in crowded:
        del index[key]
    if crowded:
        log.info(
            "blocking: %d loose name keys had over %d accounts and were not used", len(crowded), settings.max_block_size
        )
    src_email_count: dict[str, int] = defaultdict(int)
    for s in srcs:
        if s.email:
            src_email_count[s.email] += 1
    tgt_email_count: dict[str, int] = defaultdict(int)
    for t in tgts:
        if t.email:
            tgt_email_count[t.email] += 1

    cand_rows: list[dict[str, Any]] = []
    pairs_by_source: dict[str, list[dict[str, Any]]] = {}
    rule_counts: dict[str, int] = defaultdict(int)
    for s in srcs:
        found: dict[int, str] = {}
        for key in _block_keys(s, target_side=False):
            for i in index.get(key, ()):
                found.setdefault(i, _RULE_OF_KEY[key.split(":", 1)[0]])
        rows = []
        for i, rule in found.items():
            t = tgts[i]
            rule_counts[rule] += 1
            row = {"source_id": s.id, "target_id": t.id, **_score_pair(s, t, settings), "rule": rule}
            row["id_match"] = bool(
                (t.payfit_id and t.payfit_id == s.id) or (s.matricule and t.matricule and s.matricule == t.matricule)
            )
            rows.append(row)
        rows.sort(key=lambda r: (-r["score"], r["target_id"]))
        pairs_by_source[s.id] = rows
        cand_rows.extend(rows)
    log.info("blocking produced %d candidate pairs: %s", len(cand_rows), dict(rule_counts))

    # --- classification, strongest evidence first, one-to-one.
    out: dict[str, dict[str, Any]] = {}
    taken: dict[str, str] = {}  # target_id -> source_id

    def setrec(
        sid: str, category: str, action: str, target_id: str | None, score: float | None, rule: str, reason: str
    ) -> None:
        out[sid] = {
            "source_id": sid,
            "category": category,
            "action": action,
            "target_id": target_id,
            "score": score,
            "rule": rule,
            "reason": reason,
        }

    fields = [f for f in src_frame.columns if f in EQUIFY_FIELDS]
    # Every account in the ledger belongs to its Payfit record, even when that record
    # is excluded or out of scope now: no one else may link to it.
    taken.update({tid: sid for sid, tid in ledger.items() if tid in tgt_by_id})
    for s in srcs:
        d = decided.get(s.id)
        if d is not None and d.action == "exclude":
            setrec(s.id, "excluded", "none", None, None, "decision", "on the exclusion list")
    for s in srcs:
        if s.id in out or s.id not in ledger:
            continue
        tid = ledger[s.id]
        if tid not in tgt_by_id:
            if s.id in decided:  # a person chose to link elsewhere or create again
                continue
            setrec(
                s.id,
                "conflict",
                "none",
                tid,
                None,
                "ledger",
                f"linked by an earlier sync to account {tid}, which no longer exists: link it to another account or create it again",
            )
            continue
        taken[tid] = s.id
        changes = changed_since(
            src_rows[s.id],
            (ledger_values or {}).get(s.id, {}),
            tgt_rows[tid],
            fields,
            default_region=settings.default_region,
            hint=src_rows[s.id].get("_hint"),
        )
        action = "update" if changes else "none"
        reason = ("changed: " + ", ".join(c[0] for c in changes)) if changes else ""
        setrec(s.id, "synced", action, tid, 100.0, "ledger", reason)
    chosen: dict[str, int] = defaultdict(int)
    for s in srcs:
        d = decided.get(s.id)
        if s.id not in out and d is not None and d.action == "link" and d.target_id:
            chosen[d.target_id] += 1
    for s in srcs:
        d = decided.get(s.id)
        if s.id in out or d is None:
            continue
        if d.action == "link" and chosen.get(d.target_id or "", 0) > 1:
            setrec(
                s.id,
                "conflict",
                "none",
                d.target_id,
                None,
                "decision",
                f"{chosen[d.target_id or '']} Payfit records were linked by a person to the same account {d.target_id}",
            )
        elif d.action == "create":
            setrec(s.id, "new", "create", None, None, "decision", "create decided by a person")
        elif d.action == "link":
            tid = d.target_id or ""
            if tid not in tgt_by_id:
                setrec(s.id, "conflict", "none", None, None, "decision", f"the chosen account {tid} no longer exists")
            elif tid in taken:
                setrec(
                    s.id,
                    "conflict",
                    "none",
                    tid,
                    None,
                    "decision",
                    f"the chosen account {_label(tgt_by_id[tid])} is already linked to another Payfit record",
                )
            else:
                taken[tid] = s.id
                setrec(
                    s.id,
                    "new",
                    "link",
                    tid,
                    _pair_score(pairs_by_source[s.id], tid),
                    "decision",
                    "link decided by a person",
                )

    proposals: dict[str, list[tuple[str, _Verdict]]] = defaultdict(list)  # target -> [(source, verdict)]
    for s in srcs:
        if s.id in out:
            continue
        rows = pairs_by_source[s.id]
        verdict = _automatic(s, rows, tgt_by_id, taken, src_email_count, tgt_email_count, settings)
        if verdict.action == "link" and verdict.target_id is not None:
            proposals[verdict.target_id].append((s.id, verdict))
        else:
            setrec(
                s.id, verdict.category, verdict.action, verdict.target_id, verdict.score, verdict.rule, verdict.reason
            )
    for tid, claims in proposals.items():
        if len(claims) == 1:
            sid, v = claims[0]
            taken[tid] = sid
            setrec(sid, v.category, v.action, tid, v.score, v.rule, v.reason)
        else:
            for sid, v in claims:
                reason = f"{len(claims)} Payfit records point to the same Equify account {_label(tgt_by_id[tid])}"
                setrec(sid, "conflict", "none", tid, v.score, v.rule, reason)

    records = pd.DataFrame([out[s.id] for s in srcs], columns=RECORD_COLUMNS)
    records["score"] = records["score"].astype(float)
    links = records.loc[
        records["action"].isin(["link", "update", "none"])
        & records["category"].isin(["new", "synced"])
        & records["target_id"].notna(),
        LINK_COLUMNS,
    ].reset_index(drop=True)
    candidates = pd.DataFrame(cand_rows, columns=CANDIDATE_COLUMNS)
    return MatchResult(records=records, links=links, candidates=candidates, settings=settings)


_RULE_OF_KEY = {
    "e": "email",
    "i": "payfit_id",
    "m": "matricule",
    "f": "phone",
    "s": "name",
    "c": "name",
    "p": "name",
    "t": "name",
    "q": "name",
    "r": "name",
}
_RULE_WORDS = {"email": "email", "payfit_id": "Payfit ID", "matricule": "matricule"}


_LOOSE_KEYS = frozenset("ptqr")  # part, token, prefix, suffix: helpful, never needed for an exact name
_KEY_PRIORITY = {"i": 0, "m": 1, "e": 2, "f": 3, "s": 4, "c": 5, "p": 6, "t": 7, "q": 8, "r": 9}


def _block_keys(r: _Rec, *, target_side: bool) -> list[str]:
    """Blocking keys, strongest rule first, so a pair's ``rule`` does not depend on set order."""
    keys = r.name_keys(target_side=target_side)
    if r.email:
        keys.add("e:" + r.email)
    if r.phone.usable:
        keys.add("f:" + (r.phone.e164 or ""))
    if r.matricule:
        keys.add("m:" + r.matricule)
    if target_side and r.payfit_id:
        keys.add("i:" + r.payfit_id)
    if not target_side:
        keys.add("i:" + r.id)
    return sorted(keys, key=lambda k: (_KEY_PRIORITY[k[0]], k))


def _label(t: _Rec) -> str:
    return f"{t.label} ({t.id})"


def _pair_score(rows: list[dict[str, Any]], tid: str) -> float | None:
    for row in rows:
        if row["target_id"] == tid:
            return float(row["score"])
    return None


@dataclass(frozen=True)
class _Verdict:
    """What the automatic rules say of one record (internal)."""

    category: str
    action: str
    target_id: str | None
    score: float | None
    rule: str
    reason: str


def _conflict(reason: str, rule: str, target_id: str | None = None, score: float | None = None) -> _Verdict:
    return _Verdict("conflict", "none", target_id, score, rule, reason)


def _automatic(
    s: _Rec,
    rows: list[dict[str, Any]],
    tgt_by_id: dict[str, _Rec],
    taken: dict[str, str],
    src_email_count: Mapping[str, int],
    tgt_email_count: Mapping[str, int],
    settings: MatchSettings,
) -> _Verdict:
    """The verdict of the automatic rules for one record still undecided (identifier, email, names)."""
    if s.email and src_email_count.get(s.email, 0) > 1:
        return _conflict(f"the email {s.email} is shared by {src_email_count[s.email]} Payfit records", "email")
    # Exact identifier.
    id_rows = [r for r in rows if r["id_match"]]
    if len(id_rows) > 1:
        return _conflict(f"{len(id_rows)} Equify accounts carry this record's Payfit ID or matricule", "matricule")
    if id_rows:
        row = id_rows[0]
        tid = row["target_id"]
        rule = "payfit_id" if tgt_by_id[tid].payfit_id == s.id else "matricule"
        if tid in taken:
            return _conflict(
                f"shares its {_RULE_WORDS[rule]} with {_label(tgt_by_id[tid])}, already linked to another Payfit record",
                rule,
                tid,
                100.0,
            )
        return _Verdict("new", "link", tid, 100.0, rule, f"same {_RULE_WORDS[rule]}")
    # Exact email.
    if s.email:
        n = tgt_email_count.get(s.email, 0)
        if n > 1:
            return _conflict(f"the email {s.email} appears on {n} Equify accounts", "email")
        email_rows = [r for r in rows if r["email_equal"] is True]
        if email_rows:
            row = email_rows[0]
            tid = row["target_id"]
            ns = row["name_score"]
            if tid in taken:
                return _conflict(
                    f"same email as {_label(tgt_by_id[tid])}, already linked to another Payfit record", "email", tid, ns
                )
            if ns is not None and ns < settings.names_disagree_below:
                return _conflict(
                    f"the emails match but the names clearly disagree ({s.label} vs {tgt_by_id[tid].label}): a shared or recycled mailbox?",
                    "email",
                    tid,
                    ns,
                )
            return _Verdict("new", "link", tid, 100.0, "email", "same email")
    # Names: candidates for review, never a link.
    # The name alone decides who is a candidate (the documented rule: same first and
    # last name → conflict); birth date and phone only rank the candidates.
    named = [r for r in rows if r["name_score"] is not None and r["name_score"] >= settings.name_threshold]
    if named:
        best = named[0]
        tid = best["target_id"]
        t = tgt_by_id[tid]
        ties = [r for r in named if best["score"] - r["score"] <= settings.tie_margin]
        if len(ties) > 1:
            reason = f"{len(ties)} Equify accounts tie for the best name match ({', '.join(_label(tgt_by_id[r['target_id']]) for r in ties)})"
        elif tid in taken:
            reason = f"same name as {_label(t)}, already linked to another Payfit record"
        elif t.email is None:
            reason = f"same first and last name as {_label(t)}, which has no email"
        elif s.email is None:
            reason = f"same first and last name as {_label(t)}; this Payfit record has no email"
        else:
            reason = f"same first and last name as {_label(t)}, whose email differs ({t.email} vs {s.email})"
        if best["birthdate_equal"] is False:
            reason += "; the birth dates differ"
        return _conflict(reason, "name", tid, best["score"])
    return _Verdict("new", "create", None, None, "none", "no matching Equify account")
