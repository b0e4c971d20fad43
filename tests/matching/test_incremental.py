"""Matching again after a few accounts were edited (``match(prepared_key=...)`` follows the
last prepared match instead of starting over) gives exactly what a match from scratch gives.

Property test: random edits of the kinds a person types in the review table (an email
taken from another account or from a Payfit record, a cleared email, a typo, swapped names,
a common surname that crowds a block, a phone), with random decisions, compared field by
field with a fresh match.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from bench import synth
from reconcile import match
from reconcile.models import Decision, MatchSettings

N = 1200


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    source, target, _truth = synth.generate(N, seed=11)
    target = target.astype(object).where(target.notna(), None)
    return source, target


def _edit(rng: np.random.Generator, source: pd.DataFrame, target: pd.DataFrame) -> pd.DataFrame:
    """``target`` with 1-4 accounts edited as a person would in the review table."""
    target = target.copy()
    for j in rng.choice(len(target), int(rng.integers(1, 5)), replace=False):
        kind = int(rng.integers(0, 8))
        if kind == 0:  # another account's email: now shared by two accounts
            target.at[j, "email"] = target["email"].iloc[int(rng.integers(0, len(target)))]
        elif kind == 1:  # a Payfit record's email: a new exact-email link (or a conflict)
            target.at[j, "email"] = source["email"].iloc[int(rng.integers(0, len(source)))]
        elif kind == 2:
            target.at[j, "email"] = None
        elif kind == 3:  # a typo in the last name
            last = str(target.at[j, "lastName"] or "x")
            k = int(rng.integers(0, len(last)))
            target.at[j, "lastName"] = last[:k] + "z" + last[k + 1 :]
        elif kind == 4:  # swapped names
            target.loc[j, ["firstName", "lastName"]] = [target.at[j, "lastName"], target.at[j, "firstName"]]
        elif kind == 5:  # the most common name of the Payfit records: crowds its blocks (or more)
            target.loc[j, ["firstName", "lastName"]] = list(source[["firstName", "lastName"]].value_counts().index[0])
        elif kind == 6:
            target.at[j, "phoneNumber"] = source["phoneNumber"].iloc[int(rng.integers(0, len(source)))]
        else:  # another record's whole name
            row = source.iloc[int(rng.integers(0, len(source)))]
            target.loc[j, ["firstName", "lastName"]] = [row["firstName"], row["lastName"]]
    return target


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.records, b.records)
    pd.testing.assert_frame_equal(a.candidates, b.candidates)
    pd.testing.assert_frame_equal(a.blocking, b.blocking)
    pd.testing.assert_frame_equal(a.links, b.links)


@pytest.mark.parametrize(
    "settings",
    [MatchSettings(), MatchSettings(max_block_pairs=6, max_exact_block_pairs=4)],
    ids=["default caps", "tight caps"],
)
def test_matching_again_after_edits_equals_matching_from_scratch(data, settings, caplog) -> None:
    source, target = data
    rng = np.random.default_rng(5)
    key = object()
    match(source, target, settings=settings, prepared_key=(key, 0))
    followed = 0
    for step in range(1, 13):
        target = _edit(rng, source, target)
        ids = source["id"].astype(str).tolist()
        decisions = [Decision(ids[int(x)], "exclude") for x in rng.choice(len(ids), 3, replace=False)]
        tids = target["id"].astype(str).tolist()
        decisions.append(Decision(ids[int(rng.integers(0, len(ids)))], "link", tids[int(rng.integers(0, len(tids)))]))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="reconcile.matching"):
            again = match(source, target, settings=settings, decisions=decisions, prepared_key=(key, step))
        followed += any("edited accounts again" in r.getMessage() for r in caplog.records)
        _same(again, match(source, target, settings=settings, decisions=decisions))
        # Classifying again with the same prepared data (a decision taken) reuses the verdicts.
        fewer = decisions[:-1]
        _same(
            match(source, target, settings=settings, decisions=fewer, prepared_key=(key, step)),
            match(source, target, settings=settings, decisions=fewer),
        )
    # The property is about the followed path: most steps must have taken it.
    assert followed >= 6, followed


def test_edit_that_moves_a_person_is_seen(data) -> None:
    """An email typed on the account that a name conflict points to turns it into a link."""
    source, target = data
    key = object()
    first = match(source, target, prepared_key=(key, 0))
    conflicts = first.records[(first.records["category"] == "conflict") & first.records["target_id"].notna()]
    src = source.assign(id=source["id"].astype(str)).set_index("id")
    row = next(
        r
        for r in conflicts.itertuples()
        if r.rule == "name"
        and src.loc[r.source_id, "email"]
        and (target["email"] != src.loc[r.source_id, "email"]).all()
        # an exact email links only when it is unique on both sides (domain.md §5, step 3): a
        # mailbox two Payfit records share stays a conflict, whatever the account holds
        and (src["email"].str.lower() == str(src.loc[r.source_id, "email"]).lower()).sum() == 1
    )
    edited = target.copy()
    edited.loc[edited["id"].astype(str) == row.target_id, "email"] = src.loc[row.source_id, "email"]
    after = match(source, edited, prepared_key=(key, 1)).records.set_index("source_id").loc[row.source_id]
    assert (after["category"], after["action"], after["target_id"], after["rule"]) == (
        "new",
        "link",
        row.target_id,
        "email",
    )


def test_other_source_or_many_edits_start_over(data, caplog) -> None:
    source, target = data
    key = object()
    match(source, target, prepared_key=(key, 0))
    many = target.copy()
    many["email"] = None  # every account edited: matched from scratch
    with caplog.at_level(logging.INFO, logger="reconcile.matching"):
        result = match(source, many, prepared_key=(key, 1))
    assert not any("edited accounts again" in r.getMessage() for r in caplog.records)
    _same(result, match(source, many))
    other = source.copy()
    other.loc[0, "lastName"] = "Autre"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="reconcile.matching"):
        result = match(other, many, prepared_key=(key, 2))
    assert not any("edited accounts again" in r.getMessage() for r in caplog.records)
    _same(result, match(other, many))


def test_count_of_a_crowded_email_follows_the_edit(data) -> None:
    """An email on more accounts than the cap makes no pairs; the records bearing it must
    still be classified again when one more account takes it (the count in the reason)."""
    source, target = data
    settings = MatchSettings(max_block_pairs=6, max_exact_block_pairs=4)
    emails = source["email"].dropna()
    shared = str(emails[~emails.str.lower().isin(target["email"].dropna().str.lower())].iloc[0])
    sid = str(source.loc[source["email"] == shared, "id"].iloc[0])
    crowded = target.copy()
    crowded.loc[:4, "email"] = shared  # 1 record × 5 accounts > 4: the key is dropped
    key = object()
    before = match(source, crowded, settings=settings, prepared_key=(key, 0)).records.set_index("source_id")
    assert before.loc[sid, "reason"].endswith(" appears on 5 Equify accounts")
    crowded.loc[5, "email"] = shared
    after = match(source, crowded, settings=settings, prepared_key=(key, 1)).records.set_index("source_id")
    assert after.loc[sid, "reason"].endswith(" appears on 6 Equify accounts")
    _same(match(source, crowded, settings=settings, prepared_key=(key, 1)), match(source, crowded, settings=settings))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([1, "Durand"], [1.0, "Durand"]),  # 1 == 1.0, yet "1" and "1.0" are other names
        (["Martin", "Durand"], ["Martin", 1.0]),  # a real edit to a value equal to another row's
        ([True, "Durand"], [1, "Durand"]),
    ],
)
def test_values_equal_under_eq_but_of_other_types_are_changes(before, after) -> None:
    """Found by fuzzing: ``1 == 1.0 == True`` in an object column, but each is normalised
    differently; an edit between them must count, and from scratch they must not be merged."""
    source = pd.DataFrame({"id": ["p1"], "firstName": ["Jean"], "lastName": ["1.0"]})
    target = pd.DataFrame(
        {"id": ["e1", "e2"], "firstName": ["Jean", "Jean"], "lastName": pd.Series(before, dtype=object)}
    )
    key = object()
    match(source, target, prepared_key=(key, 0))
    edited = target.assign(lastName=pd.Series(after, dtype=object))
    _same(match(source, edited, prepared_key=(key, 1)), match(source, edited))
    # from scratch, the order of the rows does not change what a value means
    flipped = edited.iloc[::-1].reset_index(drop=True)
    a = match(source, edited).records.set_index("source_id")
    b = match(source, flipped).records.set_index("source_id")
    assert (a["category"].item(), a["target_id"].item()) == (b["category"].item(), b["target_id"].item())


def test_following_copies_the_verdicts_another_thread_may_be_writing(data, caplog) -> None:
    """Found by fuzzing (a thread race): following a prepared match must not iterate over its
    verdicts while another thread adds to them. Simulated by verdicts that grow while iterated."""
    from reconcile.matching import rematch

    class Growing(dict):
        def items(self):  # what another thread's writes do to an iteration in progress
            for k, v in super().items():
                self[len(self) + 10**9] = v  # the next step of the iteration raises
                yield k, v

    source, target = data
    key = object()
    match(source, target, prepared_key=(key, 0))
    prep = rematch._PREPARED[((key, 0), MatchSettings())]
    prep["verdicts"] = Growing(prep["verdicts"])
    edited = target.copy()
    edited.loc[3, "lastName"] = "Autrenom"
    with caplog.at_level(logging.INFO, logger="reconcile.matching"):
        again = match(source, edited, prepared_key=(key, 1))
    messages = [r.getMessage() for r in caplog.records]
    assert any("edited accounts again" in m for m in messages), messages
    assert not any("failed" in m for m in messages), messages
    _same(again, match(source, edited))


def test_the_kept_prepared_matches_close_what_they_evict() -> None:
    """PreparedCache keeps its entries in a cachetools LRU cache that frees an evicted entry's
    DuckDB connection: the least recently used goes, the one just read stays, clear frees all."""
    import duckdb

    from reconcile.matching.rematch import PreparedCache

    cache = PreparedCache(size=2)
    cons = [duckdb.connect(":memory:") for _ in range(3)]
    cache.entries[("a",)] = {"con": cons[0]}
    cache.entries[("b",)] = {"con": cons[1]}
    assert cache.entries[("a",)]["con"] is cons[0]  # read: now the most recent
    cache.entries[("c",)] = {"con": cons[2]}
    assert set(cache.entries) == {("a",), ("c",)}
    with pytest.raises(duckdb.ConnectionException):
        cons[1].execute("SELECT 1")  # "b" was evicted, and its connection closed
    assert cons[0].execute("SELECT 1").fetchone() == (1,)
    cache.clear()
    assert not cache.entries
    for con in (cons[0], cons[2]):
        with pytest.raises(duckdb.ConnectionException):
            con.execute("SELECT 1")
