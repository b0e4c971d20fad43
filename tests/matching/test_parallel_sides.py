"""The Equify side prepared in a forked process gives the same match as preparing both sides
here (``matching._both_sides``), and a child that dies or fails never changes the outcome."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sys
from dataclasses import fields as dataclass_fields

import duckdb
import numpy as np
import pandas as pd
import pytest

from bench import synth
from reconcile import InputError, MatchResult, match
from reconcile.matching import blocking, parallel, scoring, sides
from reconcile.models import MatchSettings

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or parallel._cores() < 2, reason="forks only on Linux, 2+ cores"
)


def _frames(table: MatchResult) -> dict[str, pd.DataFrame]:
    return {"records": table.records, "candidates": table.candidates, "links": table.links, "blocking": table.blocking}


def _same(a: MatchResult, b: MatchResult) -> None:
    for name, frame in _frames(a).items():
        pd.testing.assert_frame_equal(frame, _frames(b)[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    source, target, _truth = synth.generate(1500, seed=11)
    return source, target


def _serial(source: pd.DataFrame, target: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> MatchResult:
    with monkeypatch.context() as m:
        m.setenv("RECONCILE_PARALLEL", "0")
        return match(source, target)


@pytest.fixture()
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the processes the matcher starts (the fork context's ``Process.start``)."""
    started: list[int] = []
    context = multiprocessing.get_context("fork")
    base = context.Process

    class Counting(base):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            started.append(1)
            super().start()

    monkeypatch.setattr(context, "Process", Counting)
    return started


@pytest.mark.parametrize("seed", [3, 11])
def test_forked_preparation_gives_the_same_match(seed: int, forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    source, target, _truth = synth.generate(1200, seed=seed)
    monkeypatch.setattr(blocking, "PARALLEL_AT", 100)
    forked = match(source, target)
    assert forks == [1]  # the Equify side was prepared in a child
    _same(forked, _serial(source, target, monkeypatch))
    assert forks == [1]  # and not with RECONCILE_PARALLEL=0


def _dies(*_args: object) -> None:
    os._exit(9)  # killed, out of memory: the pipe closes without an answer


def _fails(*_args: object) -> None:
    raise MemoryError("no room")  # sent back to the parent as the child's error


@pytest.mark.parametrize(
    ("stage", "size", "entry"),
    [("sides", "PARALLEL_AT", "_in_child"), ("scoring", "PARALLEL_PAIRS", "_score_in_child")],  # of blocking, scoring
)
@pytest.mark.parametrize("child", [_dies, _fails], ids=["dies", "fails"])
def test_a_child_that_dies_or_fails_changes_nothing(
    stage: str,
    size: str,
    entry: str,
    child: object,
    data: tuple[pd.DataFrame, pd.DataFrame],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sides' child or the scoring child: its part is done here instead, with the same result."""
    source, target = data
    module = blocking if stage == "sides" else scoring
    monkeypatch.setattr(module, size, 100 if stage == "sides" else 50)
    monkeypatch.setattr(module, entry, child)
    _same(match(source, target), _serial(source, target, monkeypatch))
    assert forks == [1]  # it was tried, and its part done here instead


def test_bad_input_found_in_the_child_is_the_same_clear_error(
    data: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = data
    real = blocking._side_and_keys

    def refuses(frame: pd.DataFrame, ids: np.ndarray, settings: object, hint: object, target_side: bool) -> object:
        if target_side:
            raise InputError("Equify accounts: row 7: the id is blank")
        return real(frame, ids, settings, hint, target_side)  # type: ignore[arg-type]

    monkeypatch.setattr(blocking, "PARALLEL_AT", 100)
    monkeypatch.setattr(blocking, "_side_and_keys", refuses)
    with pytest.raises(InputError, match="row 7: the id is blank"):
        match(source, target)


def test_small_inputs_and_the_switch_stay_in_process(
    data: tuple[pd.DataFrame, pd.DataFrame], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = data
    match(source, target)  # 1,500 rows: under PARALLEL_AT
    monkeypatch.setattr(blocking, "PARALLEL_AT", 100)
    monkeypatch.setenv("RECONCILE_PARALLEL", "0")
    match(source, target)
    assert forks == []
    monkeypatch.setenv("RECONCILE_PARALLEL", "1")
    match(source, target)
    assert forks == [1]


def _match_in_a_pool_worker(frames: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    blocking.PARALLEL_AT = 100  # the worker is a fork of this test process: set there, not here
    return match(*frames).records


def test_a_pool_worker_prepares_both_sides_itself(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """A daemonic process (a multiprocessing pool's worker) may not have children: no fork, same result."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        records = pool.apply(_match_in_a_pool_worker, (data,))
    pd.testing.assert_frame_equal(records, match(*data).records, check_exact=True)


def test_a_child_that_never_answers_is_replaced(
    data: tuple[pd.DataFrame, pd.DataFrame], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped or deadlocked child: past its patience, it is killed and the side prepared here."""
    import time

    source, target = data

    def hangs(*_args: object) -> None:
        time.sleep(600)

    monkeypatch.setattr(blocking, "PARALLEL_AT", 100)
    monkeypatch.setattr(blocking, "_in_child", hangs)
    monkeypatch.setattr(parallel, "_PATIENCE", (0.5, 0.0))
    started = time.perf_counter()
    _same(match(source, target), _serial(source, target, monkeypatch))
    assert forks == [1] and time.perf_counter() - started < 60


def _sorted_keys(keys: pd.DataFrame) -> pd.DataFrame:
    return keys.sort_values(["kind", "key", "i"], ignore_index=True)


@pytest.mark.parametrize("seed", [5, 23])
def test_a_side_prepared_in_two_parts_is_the_side_prepared_at_once(seed: int) -> None:
    """The child prepares the last Payfit records: joined to the first ones they are the whole side."""
    source, target, _truth = synth.generate(400, seed=seed)
    settings = MatchSettings()
    frame = sides.canonical_source(source, None)
    ids = np.asarray(sides._clean_ids(sides._check_frame(frame, "source")), dtype=object)
    whole, whole_keys = blocking._side_and_keys(frame, ids, settings, "_hint", False)
    for cut in [0, 1, 137, len(frame) - 1, len(frame)]:
        head = blocking._side_and_keys(frame.iloc[:cut], ids[:cut], settings, "_hint", False)
        rest = blocking._side_and_keys(frame.iloc[cut:], ids[cut:], settings, "_hint", False)
        side, keys = blocking._joined_sides(head, rest)
        for field in dataclass_fields(sides._Side):
            a, b = getattr(side, field.name), getattr(whole, field.name)
            if isinstance(b, np.ndarray):
                assert a.dtype == b.dtype and a.tolist() == b.tolist(), (cut, field.name)
            else:
                assert a == b, (cut, field.name)
        pd.testing.assert_frame_equal(_sorted_keys(keys), _sorted_keys(whole_keys), check_exact=True)


def test_the_split_shares_the_work_by_its_cost() -> None:
    """More phones on the Payfit side: this process keeps fewer of its records; never more than all."""
    source, target, _truth = synth.generate(2000, seed=3)
    frame = sides.canonical_source(source, None)
    cut = blocking._split_at(frame, target)
    assert len(frame) // 2 < cut < len(frame)
    fewer_phones = target.assign(phoneNumber=None)
    assert blocking._split_at(frame, fewer_phones) < cut
    assert blocking._split_at(frame, target.iloc[:0]) <= len(frame)
    assert blocking._split_at(frame.assign(phoneNumber=None), pd.concat([target] * 3)) == len(frame)


def test_blocking_keys_are_the_same_in_every_process(tmp_path: object) -> None:
    """Keys are hashes: a process with another string-hash seed (PYTHONHASHSEED) must compute the
    very same ones, or the child's keys would never meet the parent's."""
    import pickle
    import subprocess
    from pathlib import Path

    source, _target, _truth = synth.generate(300, seed=9)
    frame = sides.canonical_source(source, None)
    ids = np.asarray(sides._clean_ids(sides._check_frame(frame, "source")), dtype=object)
    _side, here = blocking._side_and_keys(frame, ids, MatchSettings(), "_hint", False)
    data = Path(str(tmp_path)) / "frame.pkl"
    data.write_bytes(pickle.dumps((frame, ids)))
    script = (
        "import pickle, sys\n"
        "from reconcile.matching import blocking\n"
        "from reconcile.models import MatchSettings\n"
        f"frame, ids = pickle.loads(open({str(data)!r}, 'rb').read())\n"
        "_side, keys = blocking._side_and_keys(frame, ids, MatchSettings(), '_hint', False)\n"
        "sys.stdout.buffer.write(pickle.dumps(keys))\n"
    )
    root = Path(__file__).resolve().parents[2]
    for seed in ("1", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            check=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        pd.testing.assert_frame_equal(pickle.loads(out), here, check_exact=True)


def _assert_same_side(a: sides._Side, b: sides._Side) -> None:
    for field in dataclass_fields(sides._Side):
        x, y = getattr(a, field.name), getattr(b, field.name)
        assert type(x) is type(y), field.name
        if isinstance(y, np.ndarray):
            x, y = x.tolist(), y.tolist()
            assert getattr(a, field.name).dtype == getattr(b, field.name).dtype, field.name
        assert x == y, field.name
        if isinstance(y, list):
            assert [type(v) for v in x] == [type(v) for v in y], field.name


@pytest.mark.parametrize("seed", [2, 17])
def test_the_side_sent_through_the_pipe_arrives_equal(seed: int) -> None:
    """The child sends its side with the texts joined (``_packed``): what arrives equals what was
    prepared, field by field and value type by value type, keys included."""
    source, target, _truth = synth.generate(300, seed=seed)
    settings = MatchSettings()
    for frame, hint, target_side in ((sides.canonical_source(source, None), "_hint", False), (target, None, True)):
        ids = np.asarray(sides._clean_ids(sides._check_frame(frame, "x", canonical=False)), dtype=object)
        side, keys = blocking._side_and_keys(frame, ids, settings, hint, target_side)
        back, back_keys = blocking._unpacked(blocking._packed(side, keys))
        _assert_same_side(back, side)
        pd.testing.assert_frame_equal(back_keys, keys, check_exact=True)


@pytest.mark.parametrize(
    "values",
    [
        [],
        [None],
        [""],
        ["", None, ""],
        ["a\x1eb", "c"],  # the separator itself: pickled as is
        ["x", 1.5, None],  # not all text: pickled as is
        ["x", float("nan")],  # a NaN is not a missing text
        [None, None],
        ["Zoë", "ü\x00", " "],
    ],
)
def test_a_text_column_survives_the_pipe(values: list[object]) -> None:
    packed = blocking._packed_texts(values)
    if packed is None:
        assert any(type(v) not in (str, type(None)) or "\x1e" in str(v) for v in values), values
    else:
        back = blocking._unpacked_texts(packed).tolist()
        assert back == values and [type(v) for v in back] == [type(v) for v in values]


def test_odd_columns_of_a_side_arrive_equal() -> None:
    """Word tuples with empty tuples and a separator inside, a text column with the separator: each
    arrives equal (packed or, when it cannot be, pickled as is)."""
    source, target, _truth = synth.generate(40, seed=4)
    frame = sides.canonical_source(source, None)
    ids = np.asarray(sides._clean_ids(sides._check_frame(frame, "source")), dtype=object)
    side, keys = blocking._side_and_keys(frame, ids, MatchSettings(), "_hint", False)
    n = len(side)
    odd = dataclasses.replace(
        side,
        tokens=[()] * (n - 1) + [("a\x1eb", "")],
        alternates=[("",)] + [()] * (n - 1),
        first_text=[None] * n,
        last=sides._obj(["x\x1e"] * n),
    )
    back, _keys = blocking._unpacked(blocking._packed(odd, keys))
    _assert_same_side(back, odd)


@pytest.mark.parametrize("seed", [3, 11])
def test_forked_scoring_gives_the_same_match(seed: int, forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """From PARALLEL_PAIRS candidate pairs a child scores the second half: the same records,
    candidates, links and blocking report as one process."""
    source, target, _truth = synth.generate(1200, seed=seed)
    monkeypatch.setattr(scoring, "PARALLEL_PAIRS", 50)
    forked = match(source, target)
    assert forks == [1]  # the sides stayed here (under PARALLEL_AT); the scoring forked
    _same(forked, _serial(source, target, monkeypatch))
    assert forks == [1]


def test_forked_scores_are_the_scores_of_one_process(
    data: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Array by array, dtype by dtype; the relation placeholders are the one placeholder object
    (``_finish`` tells a pair still to relate by identity)."""
    source, target = data
    settings = MatchSettings()
    frame = sides.canonical_source(source, None)
    src_ids = np.asarray(sides._clean_ids(sides._check_frame(frame, "source")), dtype=object)
    tgt_ids = np.asarray(sides._clean_ids(sides._check_frame(target, "target")), dtype=object)
    (src, src_keys), (tgt, tgt_keys) = blocking._both_sides(frame, src_ids, target, tgt_ids, settings)
    s, t, _kind, _report, _crowded = blocking._block(src_keys, tgt_keys, settings, duckdb.connect(), keep=False)
    whole = scoring._score(src, tgt, s, t, settings)
    monkeypatch.setattr(scoring, "PARALLEL_PAIRS", 10)
    split = scoring._scored(src, tgt, s, t, settings)
    assert list(split) == list(whole)
    for name, arr in whole.items():
        assert split[name].dtype == arr.dtype, name
        if name == "relation":
            assert all(r is scoring._UNSET for r in split[name].tolist())
        else:
            assert split[name].tolist() == arr.tolist() or np.array_equal(split[name], arr, equal_nan=True), name
