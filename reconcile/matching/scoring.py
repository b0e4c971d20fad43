"""Scoring: every candidate pair compared field by field, all at once (:func:`_score`).

Names with rapidfuzz ``cpdist`` over their keys (0-100); emails, phones, birth dates and
matricules as equal, near or different, with their points; the Payfit id; the name relation left
to be read lazily. From
:data:`PARALLEL_PAIRS` pairs a forked process scores half of them (:func:`_scored`), with the
same result.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from ..models import MatchSettings
from . import parallel
from .normalize import (
    NameKey,
    _near_identifiers,
    email_near,
    near_date,
    score_names,
)
from .parallel import _Forked, _may_fork
from .sides import _nonempty, _Side

log = logging.getLogger(__name__)


def _name_key_at(side: _Side, i: int) -> NameKey:
    """The :class:`NameKey` of record ``i`` (two-part names are built from their compact parts)."""
    if i in side.full:
        return side.full[i]
    first, last = side.first[i], side.last[i]
    if not (first and last):
        return NameKey((), "", "", ())
    toks = side.tokens[i]
    ordered = sorted(toks)
    return NameKey(toks, " ".join(ordered), "".join(ordered), ((first, last),))


def _similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised Damerau-Levenshtein similarity (0-1) of each pair ``a[k]``, ``b[k]`` (rapidfuzz, all cores)."""
    if len(a) == 0:
        return np.zeros(0)
    return process.cpdist(
        a.tolist(),
        b.tolist(),
        scorer=DamerauLevenshtein.normalized_similarity,
        dtype=np.float64,
        workers=1 if parallel._FORKED else -1,  # no thread pool in a forked process: the parent has the other core
    )


def _name_scores(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings) -> np.ndarray:
    """Name similarity 0-100 of each pair (NaN when either name is empty): :func:`score_names`,
    vectorised for two-part names, one by one for full names; a compound last name that
    contains the other's last name, with the same first name, scores ``compound_surname_score``."""
    out = np.full(len(s), np.nan)
    s_two = _nonempty(src.first) & _nonempty(src.last)
    t_two = _nonempty(tgt.first) & _nonempty(tgt.last)
    simple = s_two[s] & t_two[t]
    if simple.any():
        ss, tt = s[simple], t[simple]
        best = _similarity(src.joined[ss], tgt.joined[tt])
        # The written orders can only score higher where the sorted words are not already equal.
        other = best < 1.0
        a_fl, tt_other = src.fl[ss[other]], tt[other]
        best[other] = np.maximum.reduce(
            [best[other], _similarity(a_fl, tgt.fl[tt_other]), _similarity(a_fl, tgt.lf[tt_other])]
        )
        out[simple] = np.round(best * 100, 1)
    named = _nonempty(src.joined)[s] & _nonempty(tgt.joined)[t]
    for k in np.flatnonzero(named & ~simple):
        score = score_names(_name_key_at(src, int(s[k])), _name_key_at(tgt, int(t[k])))
        out[k] = np.nan if score is None else score
    compound = simple & (src.compound[s] | tgt.compound[t])
    for k in np.flatnonzero(compound & (out < settings.compound_surname_score)):
        i, j = int(s[k]), int(t[k])
        if src.first[i] != tgt.first[j]:
            continue
        if src.last[i] in tgt.last_tokens[j] or tgt.last[j] in src.last_tokens[i]:
            out[k] = settings.compound_surname_score
    return out


def _equal_or_none(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise ``a == b`` as an object array of True/False, ``None`` where either is missing."""
    present = _nonempty(a) & _nonempty(b)
    out = np.full(len(a), None, dtype=object)
    out[present] = (a[present] == b[present]).tolist()  # Python bools, so `x is True` works
    return out


#: A pair's name relation not computed (only the pairs of records otherwise created need it).
_UNSET = object()


def _near_dates(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> np.ndarray:
    """:func:`~reconcile.matching.normalize.near_date` of each pair of ISO dates ``a[k]``, ``b[k]`` where
    ``where`` holds (object array: the reason or None). Only dates that differ in at most two of
    their ten characters can be near: the others are set aside in one vectorised step."""
    out = np.full(len(a), None, dtype=object)
    idx = np.flatnonzero(where)
    if len(idx):
        ca = np.asarray(a[idx].tolist(), dtype="<U10").view(np.uint32).reshape(len(idx), 10)
        cb = np.asarray(b[idx].tolist(), dtype="<U10").view(np.uint32).reshape(len(idx), 10)
        idx = idx[(ca != cb).sum(axis=1) <= 2]
        out[idx] = [near_date(x, y) for x, y in zip(a[idx].tolist(), b[idx].tolist(), strict=True)]
    return out


def _near_emails(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, email_equal: np.ndarray) -> np.ndarray:
    """:func:`~reconcile.matching.normalize.email_near` of each pair whose emails are both evidence and
    differ (object array: the reason or None); only emails reaching one mailbox
    (:func:`~reconcile.matching.normalize.email_mailbox`, computed once per distinct email) can be near."""
    out = np.full(len(s), None, dtype=object)
    idx = np.flatnonzero(email_equal == False)  # noqa: E712
    if len(idx):
        box_s, box_t = src.mailbox, tgt.mailbox
        a, b = box_s[s[idx]], box_t[t[idx]]
        idx = idx[_nonempty(a) & (a == b)]
        out[idx] = [
            email_near(x, y) for x, y in zip(src.email[s[idx]].tolist(), tgt.email[t[idx]].tolist(), strict=True)
        ]
    return out


def _score(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings) -> dict[str, np.ndarray]:
    """Score every candidate pair; one row per pair with the per-field breakdown.

    Arrays, one value per pair: ``name_score`` (float 0-100, NaN: no name evidence), ``email_equal``,
    ``phone_agree`` (object: True/False/None), ``birthdate_match`` (exact, swapped, near,
    differ or None), ``birthdate_equal`` and ``matricule_equal`` (True/False/None),
    ``matricule_match`` (exact, near, differ or None), ``email_near`` (the reason two
    different emails reach one mailbox, or None), the points of each field (float:
    ``name_points`` is ``name_weight`` × the name score; only clearly different birth dates
    and matricules lose points, a near one gives 0), ``score`` (float 0-100: the points' sum,
    clipped) and ``id_match`` (bool: the account carries the record's Payfit id or the same
    matricule). Internal: ``birthdate_near`` and ``matricule_near`` (the near reasons), and
    ``relation`` (:data:`_UNSET`: filled by :func:`_finish` for the pairs that need it).
    """
    name = _name_scores(src, tgt, s, t, settings)
    email_equal = _equal_or_none(src.email[s], tgt.email[t])
    phone_agree = _equal_or_none(src.phone[s], tgt.phone[t])
    agree = phone_agree == True  # noqa: E712 - elementwise over an object array
    # Numbers never agree when their countries differ (case P2).
    phone_agree[agree] = (src.phone_region[s][agree] == tgt.phone_region[t][agree]).tolist()
    sb, tb = src.birth[s], tgt.birth[t]
    dated = _nonempty(sb) & _nonempty(tb)
    exact = dated & (sb == tb)
    swapped = dated & ~exact & (src.birth_swapped[s] == tb)
    birth_near = _near_dates(sb, tb, dated & ~exact & ~swapped)
    near_birth = _nonempty(birth_near)
    differ = dated & ~exact & ~swapped & ~near_birth
    birth = np.full(len(s), None, dtype=object)
    birth[differ] = "differ"
    birth[near_birth] = "near"
    birth[exact] = "exact"
    birth[swapped] = "swapped"
    birth_equal = np.full(len(s), None, dtype=object)
    birth_equal[dated] = exact[dated].tolist()
    birth_points = np.where(
        exact,
        settings.birthdate_bonus,
        np.where(swapped, settings.birthdate_swapped_bonus, np.where(differ, -settings.birthdate_penalty, 0.0)),
    )
    phone_points = np.where(phone_agree == True, settings.phone_bonus, 0.0)  # noqa: E712
    matricule_equal = _equal_or_none(src.matricule[s], tgt.matricule[t])
    matricule_near = np.full(len(s), None, dtype=object)
    unequal = np.flatnonzero(matricule_equal == False)  # noqa: E712
    if len(unequal):  # few pairs: most accounts carry no matricule
        ma, mb = src.matricule[s[unequal]].tolist(), tgt.matricule[t[unequal]].tolist()
        # Both are identifier evidence already: compare them directly (near_identifier would clean them again).
        matricule_near[unequal] = [_near_identifiers(a, b) for a, b in zip(ma, mb, strict=True)]
    near_matricule = _nonempty(matricule_near)
    matricule_match = np.full(len(s), None, dtype=object)
    matricule_match[matricule_equal == True] = "exact"  # noqa: E712
    matricule_match[unequal] = "differ"
    matricule_match[near_matricule] = "near"
    matricule_points = np.where(matricule_match == "differ", -settings.matricule_penalty, 0.0)
    name_points = np.round(np.nan_to_num(name) * settings.name_weight, 1)
    score = np.round(np.clip(name_points + birth_points + phone_points + matricule_points, 0.0, 100.0), 1)
    id_match = (tgt.payfit_id[t] == src.ids[s]) | (matricule_equal == True)  # noqa: E712
    return {
        "score": score,
        "name_score": name,
        "email_equal": email_equal,
        "phone_agree": phone_agree,
        "birthdate_equal": birth_equal,
        "birthdate_match": birth,
        "matricule_equal": matricule_equal,
        "matricule_match": matricule_match,
        "email_near": _near_emails(src, tgt, s, t, email_equal),
        "birthdate_near": birth_near,
        "matricule_near": matricule_near,
        "relation": np.full(len(s), _UNSET, dtype=object),
        "name_points": name_points.astype(float),
        "birthdate_points": birth_points.astype(float),
        "phone_points": phone_points.astype(float),
        "matricule_points": matricule_points.astype(float),
        "id_match": id_match.astype(bool),
    }


#: From this many candidate pairs, a forked process scores the second half (:func:`_scored`).
PARALLEL_PAIRS = 100_000


def _score_in_child(
    src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings
) -> dict[str, np.ndarray]:
    """The forked process's part (:func:`_scored`): its pairs' scores, without the ``relation``
    placeholders (they are one object, made again on the other side)."""
    scored = _score(src, tgt, s, t, settings)
    del scored["relation"]
    return scored


def _scored(src: _Side, tgt: _Side, s: np.ndarray, t: np.ndarray, settings: MatchSettings) -> dict[str, np.ndarray]:
    """:func:`_score` of every pair. From :data:`PARALLEL_PAIRS` pairs, where the sides are prepared
    in two processes too (:func:`_may_fork`), a forked process scores the second half of the pairs
    while this one scores the first: the same scores (each pair is scored on its own,
    ``tests/matching/test_parallel_sides.py``). A child that fails or does not answer in time (30 s plus four
    times this half's own time) is killed and its half scored here."""
    n = len(s)
    if n < PARALLEL_PAIRS or not _may_fork():
        return _score(src, tgt, s, t, settings)
    half = n // 2
    with _Forked("scoring", "scoring its pairs here", _score_in_child, src, tgt, s[half:], t[half:], settings) as child:
        started = time.monotonic()
        first = _score(src, tgt, s[:half], t[:half], settings)
        answer = child.answer(time.monotonic() - started)
        second = (
            answer[1] if answer is not None and answer[0] == "ok" else _score(src, tgt, s[half:], t[half:], settings)
        )
    return {
        k: np.full(n, _UNSET, dtype=object) if k == "relation" else np.concatenate([first[k], second[k]]) for k in first
    }
