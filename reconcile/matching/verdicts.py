"""The evidence the policy reads (:mod:`.policy`), and the verdicts it gives.

A verdict (:class:`_Verdict`) is one record's ``(category, action, target, score, rule,
reason)``. Here are the pieces the rules are made of: the plain verdicts read from the
aggregates at once (:func:`_plain_verdicts`), the check of the ledger and decisions
(:func:`_check_history`), whether two names may be one person's (:func:`_names_plausible`), clearly
disagree (:func:`_names_disagree`) or are apart (:func:`_apart`), and the doubts
(:func:`_doubts`: a plausible account makes a conflict, never a create), each in words.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz.distance import DamerauLevenshtein

from ..exceptions import InputError
from ..models import Decision, MatchSettings
from .names import NameRelation, name_relation, name_relations
from .normalize import (
    name_tokens,
)
from .sides import _ident, _nonempty, _Side

log = logging.getLogger(__name__)


_RULE_WORDS = {"email": "email", "payfit_id": "Payfit ID", "matricule": "matricule"}


class _Verdict(NamedTuple):
    """What the automatic rules say of one record (internal; a tuple of plain values, which
    Python's garbage collector stops tracking: 100,000 kept verdicts cost it nothing)."""

    category: str
    action: str
    target_id: str | None
    score: float | None
    rule: str
    reason: str


def _conflict(reason: str, rule: str, target_id: str | None = None, score: float | None = None) -> _Verdict:
    return _Verdict("conflict", "none", target_id, score, rule, reason)


def _first_where(mask: np.ndarray, s: np.ndarray, n: int) -> np.ndarray:
    """For each source position, the first pair index (in sorted order) where ``mask`` holds, else -1."""
    out = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    if len(idx):
        first_s, pos = np.unique(s[idx], return_index=True)
        out[first_s] = idx[pos]
    return out


#: The verdict of a record no rule points to any account for: created.
_NO_MATCH = _Verdict("new", "create", None, None, "none", "no matching Equify account")


def _same_email_link(tid: str, reason_more: str = "") -> _Verdict:
    """The verdict of a record linked by its email to account ``tid``."""
    return _Verdict("new", "link", tid, 100.0, "email", f"same {_RULE_WORDS['email']}{reason_more}")


def _plain_verdicts(prep: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The records whose verdict the automatic rules of :func:`match` give without reading them
    one by one, in one vectorised step (bool arrays, one value per record): ``create``, no
    identifier, email, name, doubt or set-aside namesake points to any account (the verdict
    "no matching Equify account", whoever owns what); ``by_email``, no identifier and one
    account with the same email (held once on each side), the same name (score 100) and no
    birth date or matricule against it (the verdict "same email", when no one else owns the
    account). Every other record goes through the rules one by one."""
    src: _Side = prep["src"]
    n_s = prep["n_s"]
    emails = src.email.tolist()
    has_email = _nonempty(src.email)
    src_count, tgt_count = (
        np.fromiter(map(prep[counts].get, emails, itertools.repeat(0)), dtype=np.int64, count=n_s)
        for counts in ("src_email_count", "tgt_email_count")
    )
    no_id = prep["id_count"] == 0
    email_first = prep["email_first"]
    crowded = np.zeros(n_s, dtype=bool)
    crowded[list(prep["crowded_names"])] = True
    quiet_email = ~has_email | ((src_count <= 1) & (tgt_count <= 1) & (email_first < 0))
    create = (
        no_id
        & quiet_email
        & (prep["named_first"] < 0)
        & ~crowded
        & (prep["doubt_first"] < 0)
        & (prep["apart_first"] < 0)
    )
    by_email = no_id & has_email & (src_count == 1) & (tgt_count == 1) & (email_first >= 0)
    at = np.flatnonzero(by_email)
    k = email_first[at]
    scored = prep["scored"]
    birth, matricule = scored["birthdate_match"][k], scored["matricule_match"][k]
    clean = (
        (prep["name"][k] >= 100.0)
        & (birth != "differ")
        & (birth != "near")
        & (matricule != "differ")
        & (matricule != "near")
    )
    by_email[at[~clean]] = False
    return create, by_email


def _check_history(
    ledger: Any, ledger_values: Any, decisions: Any
) -> tuple[dict[str, str], Mapping[str, Mapping[str, str | None]], dict[str, Decision]]:
    """The ledger, its values and the decisions with their ids cleaned like the records' ids.

    Raises :class:`InputError` for a wrong type or an empty id."""
    if ledger is not None and not isinstance(ledger, Mapping):
        raise InputError(f"ledger must be a dict {{source_id: target_id}}, not {type(ledger).__name__}")
    if ledger_values is not None and not isinstance(ledger_values, Mapping):
        raise InputError(
            f"ledger_values must be a dict {{source_id: {{field: value}}}}, not {type(ledger_values).__name__}"
        )
    clean_ledger: dict[str, str] = {}
    for k, v in (ledger or {}).items():
        sid, tid = _ident(k), _ident(v)
        if sid is None or tid is None:
            raise InputError(f"the ledger entry {k!r} → {v!r} has an empty id")
        if sid in clean_ledger:
            raise InputError(f"the ledger has two entries for the Payfit record {sid!r}")
        clean_ledger[sid] = tid
    values = {_ident(k) or "": v for k, v in (ledger_values or {}).items() if isinstance(v, Mapping)}
    if decisions is None:
        items: list[Any] = []
    elif isinstance(decisions, Mapping):
        items = list(decisions.values())
    elif isinstance(decisions, Iterable) and not isinstance(decisions, str | bytes):
        items = list(decisions)
    else:
        raise InputError(f"decisions must be a list of Decision, not {type(decisions).__name__}")
    decided: dict[str, Decision] = {}
    for d in items:
        if not isinstance(d, Decision):
            raise InputError(f"decisions must be Decision objects, not {type(d).__name__}")
        sid = _ident(d.source_id)
        if sid is None:
            raise InputError("a decision has an empty source id")
        decided[sid] = Decision(sid, d.action, _ident(d.target_id))
    return clean_ledger, values, decided


_DISPUTED = "(disputed)"  # the owner of an account two claims compete for


def _contradictions(scored: Mapping[str, np.ndarray], k: int) -> list[str]:
    """What speaks against pair ``k`` being one person, in words: different birth dates or
    matricules, or near ones (a typo in one system: "the birth dates are near (one digit differs)")."""
    out = []
    if scored["birthdate_match"][k] == "differ":
        out.append("the birth dates differ")
    elif scored["birthdate_match"][k] == "near":
        out.append("the birth dates are near " + _detail(scored["birthdate_near"][k]))
    if scored["matricule_match"][k] == "differ":
        out.append("the matricules differ")
    elif scored["matricule_match"][k] == "near":
        out.append("the matricules are near-identical " + _detail(scored["matricule_near"][k]))
    return out


def _apart(
    src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, scored: Mapping[str, np.ndarray], settings: MatchSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that are clearly two people (``docs/doubt_policy.md`` §8), never candidates, not
    even of the same name. Nothing may corroborate such a pair (no equal or near-identical
    email, no agreeing phone, no equal or near matricule), and either

    * its birth dates clearly differ (both real dates, neither equal nor near: not a typo,
      not a day/month swap): a namesake born on another day; or
    * its account is claimed by another record of this match through stronger evidence
      (that record's Payfit id or matricule, or the same email with no birth date or
      matricule against it; names that do not clearly disagree, :func:`_names_disagree`; the
      only such claim on either side: the account has its person), and the pair has no same
      or near birth date, or has one but names that do not agree (:func:`_names_plausible`
      with the last names: strangers share birth dates).

    Returns ``(apart, claimer)``: a bool array per pair, and per account the position of the
    record claiming it (-1: none, or several)."""
    birth, phone = scored["birthdate_match"], scored["phone_agree"]
    loose = (
        (phone != True)  # noqa: E712
        & (scored["email_equal"] != True)  # noqa: E712
        & ~_nonempty(scored["email_near"])
        & ~np.isin(scored["matricule_match"], ["exact", "near"])
    )
    n_t = len(tgt)
    claimer = np.full(n_t, -1, dtype=np.int64)
    # What the automatic rules would link (see match's ``automatic``): an identifier, or an
    # email with nothing against it; and in both cases names that do not clearly disagree.
    strong = scored["id_match"] | (
        (scored["email_equal"] == True)  # noqa: E712
        & ~np.isin(birth, ["differ", "near"])
        & ~np.isin(scored["matricule_match"], ["differ", "near"])
    )
    name = scored["name_score"]
    k = np.flatnonzero(strong)
    # The same words (score 100) never disagree: only the others are asked, one by one.
    ask = k[np.nan_to_num(name[k], nan=0.0) < 100.0]
    if len(ask):
        disagree = [_names_disagree(src, tgt, int(s[x]), int(t[x]), float(name[x]), settings) for x in ask.tolist()]
        k = np.setdiff1d(k, ask[np.asarray(disagree, dtype=bool)], assume_unique=True)
    if len(k):
        per_t = np.bincount(t[k], minlength=n_t)
        per_s = np.bincount(s[k], minlength=int(s.max()) + 1)
        sole = k[(per_t[t[k]] == 1) & (per_s[s[k]] == 1)]
        claimer[t[sole]] = s[sole]
    claimed = loose & (claimer[t] >= 0) & (claimer[t] != s)
    undated = ~np.isin(birth, ["exact", "swapped", "near"])
    for x in np.flatnonzero(claimed & ~undated).tolist():  # few: a claimed account's birth date shared
        undated[x] = not _names_plausible(src, tgt, int(s[x]), int(t[x]), settings, last_too=True)
    return loose & ((birth == "differ") | (claimed & undated)), claimer


def _claim_only(scored: Mapping[str, np.ndarray], apart: np.ndarray) -> np.ndarray:
    """The pairs of :func:`_apart` set aside only because another record claims the account
    (not for their birth dates): a decision about that record can undo it (see ``match``)."""
    return apart & (scored["birthdate_match"] != "differ")


def _detail(reason: str) -> str:
    """The bracketed part of a near reason: ``"near birth dates (one digit differs)"`` → ``"(one digit differs)"``."""
    return reason[reason.find("(") :] if "(" in reason else ""


def _relations(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray) -> list[NameRelation | None]:
    """:func:`reconcile.matching.names.name_relation` of each pair (``s[k]``, ``t[k]``), with both records'
    alternates (birth or married names); records named by a full-name column are read one by one."""
    if not len(s):
        return []
    si, ti = s.tolist(), t.tolist()
    out = name_relations(
        [src.first_text[i] for i in si],
        [src.last_text[i] for i in si],
        [tgt.first_text[j] for j in ti],
        [tgt.last_text[j] for j in ti],
        alternates_a=[src.alternates[i] for i in si],
        alternates_b=[tgt.alternates[j] for j in ti],
    )
    for k, (i, j) in enumerate(zip(si, ti, strict=True)):
        if i in src.full or j in tgt.full:
            out[k] = _pair_relation(src, tgt, i, j)
    return out


def _pair_relation(src: _Side, tgt: _Side, i: int, j: int) -> NameRelation | None:
    """:func:`reconcile.matching.names.name_relation` of record ``i`` and account ``j`` (one pair)."""
    return name_relation(
        src.first_text[i],
        src.last_text[i],
        tgt.first_text[j],
        tgt.last_text[j],
        alternates_a=src.alternates[i],
        alternates_b=tgt.alternates[j],
        full_a=src.full_text[i] if i in src.full else None,
        full_b=tgt.full_text[j] if j in tgt.full else None,
    )


def _given_agree(a: str | None, b: str | None, settings: MatchSettings) -> bool:
    """Two given names may be one person's: they do not clearly disagree
    (:func:`_first_names_disagree`: ``Jean``/``Jeanne``, ``Paul``/``Pierre``) or are related
    (:func:`reconcile.matching.names.name_relation`: ``Youssef``/``Youcef``). False when either is empty."""
    if not a or not b:
        return False
    if not _first_names_disagree(name_tokens(a), name_tokens(b), settings):
        return True
    return name_relation(a, "x", b, "x") is not None


def _last_agree(a: str | None, b: str | None, settings: MatchSettings) -> bool:
    """Two last names may be one person's: equal, one a part of the other (a compound name),
    or at least ``first_name_agree`` similar (a typo). False when either is empty."""
    x, y = name_tokens(a or ""), name_tokens(b or "")
    if not x or not y:
        return False
    if set(x) <= set(y) or set(y) <= set(x):
        return True
    return DamerauLevenshtein.normalized_similarity("".join(x), "".join(y)) * 100 >= settings.first_name_agree


def _names_plausible(src: _Side, tgt: _Side, i: int, j: int, settings: MatchSettings, *, last_too: bool) -> bool:
    """Whether record ``i``'s and account ``j``'s names may be one person's, for a pair that
    evidence other than the names corroborates. ``last_too=False`` (the same birth date or
    phone): a given name agrees (:func:`_given_agree`) with the other's given name, or
    crosswise with its last name (swapped names; a married name with no birth name mapped
    keeps the given name). ``last_too=True`` (a near date or matricule, weaker): given and last
    names both agree (:func:`_last_agree`), in the written order or both crosswise. True
    when either side has no given name (a full-name record: nothing to compare)."""
    fa, fb = src.first_text[i], tgt.first_text[j]
    if not fa or not fb:
        return True
    la, lb = src.last_text[i], tgt.last_text[j]
    if not last_too:  # the given name in either column (names swapped, perhaps a married name too)
        return any(_given_agree(a, b, settings) for a, b in ((fa, fb), (fa, lb), (la, fb)))
    # The last names first: cheaper than the given names' relation.
    if _last_agree(la, lb, settings) and _given_agree(fa, fb, settings):
        return True
    return _last_agree(la, fb, settings) and _given_agree(fa, lb, settings)


def _names_disagree(src: _Side, tgt: _Side, i: int, j: int, name_score: float, settings: MatchSettings) -> bool:
    """True when the names of record ``i`` and account ``j`` (their pair's ``name_score``)
    clearly disagree: a low name score, or words left over once the shared words are set
    aside that are not one person's (``Marc`` / ``Julie``, ``Jean`` / ``Jeanne``), in whatever
    order or columns the names are written; and no alternate last name of the record (a birth
    or married name) read in place of its last name makes them agree. False without a name
    (no evidence either way)."""
    if name_score != name_score or _names_agree_as_written(src, tgt, i, j, name_score, settings):
        return False  # no name (no evidence either way), or names that agree
    return _alternate_agreeing(src, tgt, i, j, settings) is None


def _names_agree_as_written(src: _Side, tgt: _Side, i: int, j: int, name_score: float, settings: MatchSettings) -> bool:
    """Whether the names of record ``i`` and account ``j`` agree as written (their pair's
    ``name_score``): the same words (score 100), or a score at least ``names_disagree_below``
    whose words left over once the shared ones are set aside are not clearly different given
    names (:func:`_first_names_disagree`). False without a name (NaN)."""
    if name_score >= 100.0:
        return True
    if not name_score >= settings.names_disagree_below:  # also NaN
        return False
    return not _first_names_disagree(*_leftovers(src.tokens[i], tgt.tokens[j]), settings)


def _alternate_agreeing(src: _Side, tgt: _Side, i: int, j: int, settings: MatchSettings) -> str | None:
    """The alternate last name of record ``i`` (Payfit's ``birthName`` or ``secondLastName``)
    that, read in place of its last name, makes its name agree with account ``j``'s (Claire
    Morvan née Quéré / Claire Quéré): the alternate wholly among the account's words, and the
    words left over not clearly different given names. ``None`` when none does."""
    given = name_tokens(src.first_text[i]) if src.first_text[i] else ()
    for alternate in src.alternates[i]:
        last = name_tokens(alternate)
        a, b = _leftovers((*given, *last), tgt.tokens[j])
        if last and not set(last) & set(a) and not _first_names_disagree(a, b, settings):
            return alternate
    return None


def _doubts(
    src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, scored: Mapping[str, np.ndarray], settings: MatchSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plausibility floor (``docs/doubt_policy.md`` §3) over pairs whose relation is known.

    A pair is plausible when its names may be one person's (a name relation), its emails are
    near-identical, or its name score is at least ``doubt_name_score`` and other evidence
    corroborates it: the same birth date or usable phone with given names that do not
    clearly disagree (``Jean``/``Jeanne``, ``Paul``/``Pierre``: two colleagues with one
    surname hired the same week are not one person), or a near birth date (a typo, a
    day/month swap) or near-identical matricule with given and last names that both agree
    (:func:`_names_plausible`). Returns
    ``(plausible, words, note)``: a bool array, and per plausible pair what makes it plausible
    ("possible match: given name shortened and same birth date") and what to add after the
    account's label ("; the names differ (A vs B)", or "").
    """
    relation = scored["relation"]
    has_relation = np.fromiter((isinstance(r, NameRelation) for r in relation.tolist()), dtype=bool, count=len(s))
    name = np.nan_to_num(scored["name_score"], nan=-1.0)
    birth, phone = scored["birthdate_match"], scored["phone_agree"]
    # Same-day birth dates or one phone: given names that agree suffice (a married name with no
    # birth name mapped keeps the given name and the birth date). A near date or matricule is
    # weaker (one digit apart is common between strangers): the last names must agree too.
    firm = (birth == "exact") | (phone == True)  # noqa: E712
    near = np.isin(birth, ["swapped", "near"]) | (scored["matricule_match"] == "near")
    email_close = _nonempty(scored["email_near"])
    plausible = has_relation | email_close
    for k in np.flatnonzero(~plausible & (name >= settings.doubt_name_score) & (firm | near)).tolist():
        i, j = int(s[k]), int(t[k])
        plausible[k] = _names_plausible(src, tgt, i, j, settings, last_too=not firm[k])
    words = np.full(len(s), None, dtype=object)
    note = np.full(len(s), None, dtype=object)
    for k in np.flatnonzero(plausible).tolist():
        parts = []
        if has_relation[k]:
            parts.append(relation[k].reason)
        if email_close[k]:
            parts.append(scored["email_near"][k])
        if birth[k] == "exact":
            parts.append("same birth date")
        elif birth[k] == "swapped":
            parts.append("near birth dates (day and month swapped)")
        elif birth[k] == "near":
            parts.append(scored["birthdate_near"][k])
        if phone[k] is True:
            parts.append("same phone")
        if scored["matricule_match"][k] == "near":
            parts.append(scored["matricule_near"][k])
        words[k] = "possible match: " + " and ".join(parts)
        i, j = int(s[k]), int(t[k])
        if has_relation[k] or name[k] < 0:
            note[k] = ""
        elif name[k] >= settings.doubt_name_score:
            note[k] = f"; similar names (name score {name[k]:g}: {src.label(i)} vs {tgt.label(j)})"
        else:
            note[k] = f"; the names differ ({src.label(i)} vs {tgt.label(j)})"
    return plausible, words, note


def _leftovers(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of each name not in the other (as multisets, in written order)."""
    rest = list(b)
    left = []
    for w in a:
        if w in rest:
            rest.remove(w)
        else:
            left.append(w)
    return tuple(left), tuple(rest)


_GENDERED_ENDINGS = frozenset({"e", "ne", "le", "te", "n", "a"})  # Jean/Jeanne, Louis/Louise, Julie/Julien


def _first_names_disagree(a: tuple[str, ...], b: tuple[str, ...], settings: MatchSettings) -> bool:
    """True when two first names (comparison tokens; or the words two names do not share)
    cannot be one person's.

    Equal, or one a part of the other (``Jean-Pierre`` / ``Jean``), or an initial of it: agree.
    One the other plus a feminine or masculine ending (``Jean`` / ``Jeanne``, ``Julie`` /
    ``Julien``, ``Alexandre`` / ``Alexandra``): disagree. Otherwise they disagree below ``first_name_agree`` similarity.
    """
    x, y = "".join(a), "".join(b)
    if not x or not y or x == y:
        return False
    if set(a) <= set(b) or set(b) <= set(a):
        return False
    if len(x) == 1 or len(y) == 1:
        return x[0] != y[0]
    short, long = sorted((x, y), key=len)
    if long.startswith(short) and long[len(short) :] in _GENDERED_ENDINGS:
        return True
    if len(x) == len(y) and x[:-1] == y[:-1] and {x[-1], y[-1]} <= {"a", "e", "o"}:
        return True  # Alexandre / Alexandra, Mario / Maria
    return DamerauLevenshtein.normalized_similarity(x, y) * 100 < settings.first_name_agree


_GENERATIONS = itertools.count()  # numbers the states of account ownership seen by match()
