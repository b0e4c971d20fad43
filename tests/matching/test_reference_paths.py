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
from reconcile.matching import blocking, prepare, sides, verdicts
from reconcile.models import MatchSettings


def _frames(result: MatchResult) -> dict[str, pd.DataFrame]:
    return {"records": result.records, "links": result.links, "candidates": result.candidates}


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The reference path: no record is read in the vectorised step. Returns the list each call
    of the replacement notes itself in (a test checks the reference path was really taken)."""
    calls: list[int] = []

    def none_plain(prep: dict) -> tuple[np.ndarray, np.ndarray]:
        n = prep["n_s"]
        calls.append(n)
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)

    monkeypatch.setattr(verdicts, "_plain_verdicts", none_plain)
    return calls


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
    prep = prepare._prepare(
        sides.canonical_source(source, None),
        sides._check_frame(source, "source"),
        target,
        sides._check_frame(target, "target"),
        MatchSettings(),
    )
    plain_create, by_email = verdicts._plain_verdicts(prep)
    assert plain_create.sum() > 50 and by_email.sum() > 50  # the shortcut is really taken
    with monkeypatch.context() as m:
        calls = _one_by_one(m)
        slow = match(source, target, ledger=ledger, decisions=decisions)
    assert calls, "the one-by-one path was not taken"
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
            calls = _one_by_one(m)
            slow = match(source, target, ledger=ledger, decisions=decisions)
        assert calls, "the one-by-one path was not taken"
        for name, frame in _frames(kept).items():
            pd.testing.assert_frame_equal(frame, _frames(slow)[name], check_exact=True, obj=f"{name} at step {step}")
        # The next rerun: some decisions and ledger entries change, as a person reviews.
        _target, ledger, decisions = _history(source, target, rng)


def _random_keys(rng: np.random.Generator, n: int, records: int, distinct: int) -> pd.DataFrame:
    """Key frames as ``matching._keys`` makes them: a rule (kind), a 64-bit key that belongs to one
    rule, a record; few distinct keys, so some are shared by many records."""
    kind = rng.integers(0, len(blocking.BLOCKING_RULES), size=distinct)
    which = rng.integers(0, distinct, size=n)
    keys = rng.integers(-(2**63), 2**63 - 1, size=distinct, dtype=np.int64)
    return pd.DataFrame(
        {
            "kind": kind[which].astype(np.int8),
            "key": keys[which],
            "i": rng.integers(0, records, size=n).astype(np.int32),
        }
    )


#: The crowded keys as SQL (DuckDB): the reference for ``matching._crowded_keys``.
_CROWDED_SQL = """
    WITH b AS (SELECT key, any_value(kind) AS kind, count(*) AS n FROM tk GROUP BY key),
    a AS (SELECT key, count(*) AS n FROM sk SEMI JOIN b USING (key) GROUP BY key)
    SELECT b.kind::TINYINT AS kind, key, b.n AS accounts
    FROM a JOIN b USING (key)
    WHERE a.n * b.n > CASE WHEN b.kind IN ({loose}) THEN {cap} ELSE {exact_cap} END
    ORDER BY key
"""


@pytest.mark.parametrize("seed", range(6))
def test_crowded_keys_are_the_sql_reference(seed: int) -> None:
    import duckdb

    rng = np.random.default_rng(seed)
    distinct = int(rng.integers(1, 400))
    sk = _random_keys(rng, int(rng.integers(0, 3000)), 500, distinct)
    tk = _random_keys(rng, int(rng.integers(0, 2000)), 400, distinct)
    if seed % 2:  # keys on both sides: the same key values
        tk["key"] = rng.choice(sk["key"].to_numpy(), size=len(tk)) if len(sk) else tk["key"]
        tk["kind"] = 3
        sk["kind"] = 3
    settings = MatchSettings(max_block_pairs=int(rng.integers(1, 50)), max_exact_block_pairs=int(rng.integers(50, 500)))
    got = blocking._crowded_keys(sk, tk, settings)
    con = duckdb.connect()
    con.register("sk", sk)
    con.register("tk", tk)
    loose = ", ".join(str(i) for i in blocking._LOOSE)
    want = con.execute(
        _CROWDED_SQL.format(loose=loose, cap=settings.max_block_pairs, exact_cap=settings.max_exact_block_pairs)
    ).df()
    assert got["key"].tolist() == want["key"].tolist()
    assert got["kind"].tolist() == want["kind"].tolist()
    assert got["accounts"].tolist() == want["accounts"].tolist()


def test_blocking_gives_the_same_with_and_without_kept_tables() -> None:
    """The key frames read in place (one match) or copied into tables (a match kept for the next)."""
    import duckdb

    rng = np.random.default_rng(5)
    sk, tk = _random_keys(rng, 4000, 600, 300), _random_keys(rng, 3000, 500, 300)
    tk["key"] = rng.choice(sk["key"].to_numpy(), size=len(tk))
    tk["kind"] = sk.set_index("key")["kind"].groupby(level=0).first().reindex(tk["key"]).to_numpy()
    settings = MatchSettings(max_block_pairs=20, max_exact_block_pairs=60)
    a = blocking._block(sk, tk, settings, duckdb.connect(), keep=False)
    b = blocking._block(sk, tk, settings, duckdb.connect(), keep=True)
    for x, y in zip(a[:3], b[:3], strict=True):
        assert np.array_equal(x, y)
    pd.testing.assert_frame_equal(a[3], b[3])
    assert a[4] == b[4]
    assert a[3]["crowded_keys"].sum() > 0 and len(a[0]) > 0


@pytest.mark.parametrize(
    ("loose", "records", "accounts", "crowded"),
    [
        (True, 3, 4, False),
        (True, 13, 1, True),
        (True, 1, 13, True),
        (True, 2, 6, False),
        (True, 2, 7, True),
        (False, 6, 5, False),
        (False, 31, 1, True),
        (False, 4, 8, True),
    ],
)
def test_a_key_is_crowded_only_past_the_limit(loose: bool, records: int, accounts: int, crowded: bool) -> None:
    """``records × accounts`` above its rule's limit (12 for a loose rule, 30 for an exact one), never at it."""
    kind = (
        blocking._LOOSE[0]
        if loose
        else next(k for k in range(len(blocking.BLOCKING_RULES)) if k not in blocking._LOOSE)
    )
    key = np.int64(-123456789)
    sk = pd.DataFrame({"kind": np.int8(kind), "key": np.full(records, key), "i": np.arange(records, dtype=np.int32)})
    tk = pd.DataFrame({"kind": np.int8(kind), "key": np.full(accounts, key), "i": np.arange(accounts, dtype=np.int32)})
    found = blocking._crowded_keys(sk, tk, MatchSettings(max_block_pairs=12, max_exact_block_pairs=30))
    assert (len(found) == 1) is crowded
    if crowded:
        assert found.iloc[0].to_dict() == {"kind": kind, "key": key, "accounts": accounts}
