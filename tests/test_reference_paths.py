"""Every shortcut of the matcher gives what the plain path gives, on random data.

The verdicts read in one vectorised step (``matching._plain_verdicts``: the clear creates and the
clean same-email links) against the rules read record by record, with a random ledger, random
decisions, accounts already carrying another record's Payfit id, and a match kept for the next
one (``prepared_key``). The forked preparation and the bulk phone reading have their own
reference tests (``test_parallel_sides.py``, ``test_normalize.py``).
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from bench import synth
from reconcile import Decision, MatchResult, match
from reconcile import matching as M


def _frames(result: MatchResult) -> dict[str, pd.DataFrame]:
    return {"records": result.records, "links": result.links, "candidates": result.candidates}


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference path: no record is read in the vectorised step."""

    def none_plain(prep: dict, *_counts: object) -> tuple[np.ndarray, np.ndarray]:
        n = prep["n_s"]
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)

    monkeypatch.setattr(M, "_plain_verdicts", none_plain)


def _history(
    source: pd.DataFrame, target: pd.DataFrame, rng: random.Random
) -> tuple[pd.DataFrame, dict[str, str], list[Decision]]:
    """A random ledger, random decisions and accounts carrying other records' Payfit ids."""
    sids, tids = source["id"].tolist(), target["id"].tolist()
    target = target.copy()
    target["payfitId"] = None
    for j in rng.sample(range(len(tids)), 15):
        target.loc[j, "payfitId"] = rng.choice(sids)
    ledger = {sid: rng.choice(tids) for sid in rng.sample(sids, 30)}
    decisions = []
    for sid in rng.sample(sids, 40):
        action = rng.choice(["link", "create", "exclude"])
        decisions.append(Decision(sid, action, rng.choice(tids) if action == "link" else None))
    return target, ledger, decisions


@pytest.mark.parametrize("seed", [1, 8, 29])
def test_the_vectorised_verdicts_are_the_rules_read_one_by_one(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    source, target, _truth = synth.generate(900, seed=seed)
    target, ledger, decisions = _history(source, target, random.Random(seed))
    fast = match(source, target, ledger=ledger, decisions=decisions)
    prep = M._prepare(
        M.canonical_source(source, None),
        M._check_frame(source, "source"),
        target,
        M._check_frame(target, "target"),
        M.MatchSettings(),
    )
    plain_create, by_email = M._plain_verdicts(prep, prep["src_email_count"], prep["tgt_email_count"])
    assert plain_create.sum() > 50 and by_email.sum() > 50  # the shortcut is really taken
    with monkeypatch.context() as m:
        _one_by_one(m)
        slow = match(source, target, ledger=ledger, decisions=decisions)
    for name, frame in _frames(fast).items():
        pd.testing.assert_frame_equal(frame, _frames(slow)[name], check_exact=True, obj=name)


@pytest.mark.parametrize("seed", [4, 13])
def test_kept_matches_agree_with_the_one_by_one_path(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a kept match (the app's reruns): each rerun under a new ledger and decisions gives the
    result the one-by-one path gives from scratch."""
    rng = random.Random(seed)
    source, target, _truth = synth.generate(700, seed=seed)
    target, ledger, decisions = _history(source, target, rng)
    key = ("reference-paths", seed)
    for step in range(3):
        kept = match(source, target, ledger=ledger, decisions=decisions, prepared_key=key)
        with monkeypatch.context() as m:
            _one_by_one(m)
            slow = match(source, target, ledger=ledger, decisions=decisions)
        for name, frame in _frames(kept).items():
            pd.testing.assert_frame_equal(frame, _frames(slow)[name], check_exact=True, obj=f"{name} at step {step}")
        # The next rerun: some decisions and ledger entries change, as a person reviews.
        _target, ledger, decisions = _history(source, target, rng)
