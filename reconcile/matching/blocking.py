"""Blocking: which Payfit record is compared with which Equify account (never a cross product).

Each side's blocking keys (:func:`_keys`: one kind per rule of :data:`BLOCKING_RULES`, hashed to
64 bits) are joined in DuckDB (:func:`_block`): the union of the pairs that share a key of one
kind. A loose key whose block would give more than ``MatchSettings.max_block_pairs`` pairs is
dropped and reported (:data:`BLOCKING_COLUMNS`). From :data:`PARALLEL_AT` records a side, the
Equify side is normalised and keyed in a forked process while this one does the Payfit side
(:func:`_both_sides`): the same functions over the same records, so the same result.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..models import MatchSettings
from .names import given_keys, surname_keys
from .normalize import (
    _identifier_keys,
)
from .parallel import _Forked, _may_fork
from .sides import _PARTICLES, _nonempty, _obj, _Side, _side, _sorted_letters

log = logging.getLogger(__name__)


BLOCKING_COLUMNS = ["rule", "description", "pairs", "strongest", "crowded_keys"]


#: Blocking rules, strongest first: ``(rule, what both records share, loose)``.
#: A *loose* rule's key whose block would give more than ``max_block_pairs`` pairs is dropped;
#: any other key over ``max_exact_block_pairs`` too.
BLOCKING_RULES: tuple[tuple[str, str, bool], ...] = (
    ("payfit_id", "the account carries the record's Payfit ID", False),
    ("matricule", "the same matricule", False),
    ("email", "the same normalised email", False),
    ("mailbox", "the same mailbox (without a +tag; Gmail dots and googlemail.com; punycode)", False),
    ("phone", "the same phone in E.164 (usable numbers only)", False),
    ("name", "the same name tokens, sorted, spaces removed", False),
    ("last_name", "the account's last name and first initial, in either order (a typo in the first name)", True),
    ("name_token", "a last-name word of 3+ letters, particles excepted (compound and one-part names)", True),
    ("name_prefix", "the first 4 letters of one name part and the other part whole (a typo near the end)", True),
    ("name_suffix", "the last 4 letters of one name part and the other part whole (a typo near the start)", True),
    ("name_letters", "the letters of one name part in any order and the other part whole (two letters swapped)", True),
    ("initials_birthdate", "the same birth date and the same two initials, in any order", True),
    (
        "surname_forms",
        "a form of the last name (particles, transliteration, a birth or married name) and a first sound of "
        "the given name (initials, other spellings); or the last name's consonants or a letter changed, added "
        "or removed in its middle, and the whole given name",
        True,
    ),
    (
        "surname_birthdate",
        "a form of the last name (no edit; the record's first name too) and the birth date, or its day and month swapped",
        True,
    ),
    (
        "near_matricule",
        "a near matricule (one character changed or two swapped) and the two initials, in any order",
        True,
    ),
)


_RULE_NAMES = [r[0] for r in BLOCKING_RULES]


_LOOSE = [i for i, r in enumerate(BLOCKING_RULES) if r[2]]


def _exploded(
    values: list[Any], fn: Callable[[Any], tuple[str, ...]], at: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The keys ``fn(value)`` of records ``at`` (int32 positions; ``values`` parallel to them),
    ``fn`` called once per distinct value (missing values have none): ``(positions, which, flat)``,
    each position repeated once per key of its record (in the order of ``at``), ``which`` the index
    of its key in ``flat``, the keys of the distinct values (so a key's hash or test is computed once)."""
    codes, uniques = pd.factorize(_obj(values), use_na_sentinel=True)
    per = [fn(u) for u in uniques]
    counts = np.fromiter((len(k) for k in per), dtype=np.int64, count=len(per))
    flat = list(itertools.chain.from_iterable(per))
    held = codes >= 0
    codes = codes[held]
    each = counts[codes]
    starts = np.cumsum(counts) - counts
    within = np.arange(int(each.sum()), dtype=np.int64) - np.repeat(np.cumsum(each) - each, each)
    return np.repeat(np.asarray(at, dtype=np.int32)[held], each), np.repeat(starts[codes], each) + within, flat


def _hashed(values: Any) -> np.ndarray:
    """The 64-bit hash (uint64) of each text of ``values`` (pandas' SipHash with its fixed key: the
    same in every process)."""
    arr = values if isinstance(values, np.ndarray) and values.dtype == object else _obj(list(values))
    return pd.util.hash_array(arr, categorize=False)


def _hashes_of(arr: np.ndarray, *fns: Callable[[str], str] | None) -> list[np.ndarray]:
    """For each of ``fns`` (``None``: the text itself), :func:`_hashed` of ``fn(v)`` for each text
    ``v`` of the object array ``arr``: the texts factorised once, ``fn`` and the hash computed
    once per distinct text."""
    codes, uniques = pd.factorize(arr)
    texts = list(uniques)
    return [_hashed(_obj(texts if fn is None else [fn(u) for u in texts]))[codes] for fn in fns]


def _exploded_hashed(
    values: list[Any], fn: Callable[[Any], tuple[str, ...]], at: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_exploded` with each key hashed (:func:`_hashed`, once per distinct key): ``(positions, keys)``."""
    positions, which, flat = _exploded(values, fn, at)
    return positions, _hashed(flat)[which]


_U64 = np.uint64


def _combine(*parts: np.ndarray) -> np.ndarray:
    """One 64-bit key (uint64) of several hashed parts, elementwise (arrays of one value broadcast):
    equal for equal parts in the same order, and otherwise equal with a chance of about 2⁻⁶⁴
    (splitmix64's finaliser of ``h·φ + part``, wrapping)."""
    h = parts[0]
    for part in parts[1:]:
        h = h * _U64(0x9E3779B97F4A7C15) + part
        h = (h ^ (h >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> _U64(27))) * _U64(0x94D049BB133111EB)
        h = h ^ (h >> _U64(31))
    return h


def _tag(text: str) -> np.ndarray:
    """The hash of a key family's tag, as a one-value array (so :func:`_combine` broadcasts it)."""
    return _hashed([text])


_TAGS = {tag: _tag(tag) for tag in ("a", "b", "L", "F")}


_KIND_TAGS = [_tag(f"rule:{rule}") for rule, _description, _loose in BLOCKING_RULES]


def _paired(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each key of ``a`` combined (:func:`_combine`) with each key of ``b`` of the same record (both
    ``(positions, uint64 keys)`` with positions ascending, as :func:`_exploded` gives): ``(positions, keys)``."""
    (rows_a, keys_a), (rows_b, keys_b) = a, b
    per_b = np.bincount(rows_b, minlength=n).astype(np.int64)
    starts_b = np.cumsum(per_b) - per_b
    each = per_b[rows_a]
    within = np.arange(int(each.sum()), dtype=np.int64) - np.repeat(np.cumsum(each) - each, each)
    pick = np.repeat(starts_b[rows_a], each) + within
    return np.repeat(rows_a, each), _combine(np.repeat(keys_a, each), keys_b[pick])


@functools.lru_cache(maxsize=1 << 17)
def _surname_forms(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The blocking keys of a last name, ``value`` a text or a tuple ``(last, *alternates)``:
    ``(edited, forms)``. ``forms``: :func:`reconcile.matching.names.surname_keys` without edits (the name
    as written, without particles, ``St`` expanded, its alternates, ``s:`` and its consonants).
    ``edited``: ``d:`` and each whole form (3+ letters), and ``d:`` and each one-letter deletion
    of a form (4+ letters): a letter changed, added or removed leaves one key in common. For the
    name as written, only the deletions inside both its first and its last 4 letters: an edit
    elsewhere leaves one of them whole, which the ``name_prefix``/``name_suffix`` keys find."""
    last, alternates = (value[0], value[1:]) if type(value) is tuple else (value, ())
    forms = surname_keys(last, alternates, edits=False)
    edited = []
    for k in forms:
        if ":" in k or len(k) < 3:
            continue
        edited.append("d:" + k)
        if len(k) >= 4:
            at = range(max(len(k) - 4, 0), 4) if k == forms[0] and not alternates else range(len(k))
            edited += ["d:" + k[:p] + k[p + 1 :] for p in at]
    return tuple(dict.fromkeys(edited)), forms


def _block_words(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a name that key ``name_token``: 3+ letters, not a particle."""
    return tuple(w for w in tokens if len(w) >= 3 and w not in _PARTICLES)


def _surname_variants(value: Any) -> tuple[str, ...]:
    return _surname_forms(value)[1]


def _surname_edits(value: Any) -> tuple[str, ...]:
    return _surname_forms(value)[0]


def _first_letter(text: str) -> str:
    return text[:1]


def _prefix4(text: str) -> str:
    return text[:4]


def _suffix4(text: str) -> str:
    return text[-4:]


def _keys(side: _Side, *, target_side: bool) -> pd.DataFrame:
    """Blocking keys of one side: columns ``kind`` (int8, index in :data:`BLOCKING_RULES`),
    ``key`` (int64: a 64-bit hash of the key's parts, :func:`_combine`) and ``i`` (int32, the
    record's position).

    The target side indexes its whole name and its last name (never a first name
    alone: every Jean would pair with every Jean); the source side looks up with both
    of its parts, so swapped first and last names still meet.

    Keys are hashes from the start: each distinct text is hashed once and a key of several
    parts combines their hashes (DuckDB groups and joins integers far faster than text, and no
    key text is built per record). Two different keys share a hash with a chance of about
    n²/2⁶⁵ for n keys (under 1e-4 at a million records, ~30 million keys); it would only add a
    candidate pair, which scoring judges like any other.
    """
    n = len(side)
    rows = np.arange(n, dtype=np.int32)
    frames: list[pd.DataFrame] = []

    def add(rule: str, keys: np.ndarray, at: np.ndarray) -> None:
        if len(at):
            kind = _RULE_NAMES.index(rule)
            # The rule is part of the key, so one integer column joins (the same text under two rules never meets).
            keys = _combine(_KIND_TAGS[kind], keys)
            frames.append(pd.DataFrame({"kind": np.int8(kind), "key": keys.view(np.int64), "i": at}))

    def scalar(rule: str, arr: np.ndarray) -> None:
        mask = _nonempty(arr)
        add(rule, _hashed(arr[mask]), rows[mask])

    scalar("payfit_id", side.payfit_id if target_side else side.ids)
    scalar("matricule", side.matricule)
    scalar("email", side.email)
    scalar("phone", side.phone)
    scalar("name", side.joined)
    has_first, has_last = _nonempty(side.first), _nonempty(side.last)
    two = has_first & has_last
    # name_token: a word of a compound or one-part name against the other side's words.
    # Two plain first+last names never meet on a word: their exact, last_name, prefix and
    # suffix keys already cover them, and a common surname would pair everyone bearing it.
    # Keys ``a`` pair a compound/one-part account with any record sharing a word;
    # keys ``b`` pair a compound/one-part record with accounts whose whole last name is that word.
    plain = two & np.fromiter((len(x) == 1 for x in side.last_tokens), dtype=bool, count=n)
    if target_side:  # an account's words only when its name is not plain
        word_at, words = _exploded_hashed([side.tokens[i] for i in np.flatnonzero(~plain)], _block_words, rows[~plain])
        add("name_token", _combine(_TAGS["a"], words), word_at)
        add("name_token", _combine(_TAGS["b"], _hashed(side.last[plain])), rows[plain])
    else:
        word_at, words = _exploded_hashed(side.tokens, _block_words, rows)
        compound_word = ~plain[word_at]
        add("name_token", _combine(_TAGS["a"], words), word_at)
        add("name_token", _combine(_TAGS["b"], words[compound_word]), word_at[compound_word])
    # The account's (last, first) name against both readings of the record: (last, first)
    # and (first, last), so swapped names still meet. A typo hits one part; the other is whole.
    at = rows[two]
    # Each part's distinct texts once: the whole part, its first letter, first and last 4 letters, sorted letters.
    whole, letter, prefix, suffix, letters = {}, {}, {}, {}, {}
    for p, texts in (("first", side.first[two]), ("last", side.last[two])):
        whole[p], letter[p], prefix[p], suffix[p], letters[p] = _hashes_of(
            texts, None, _first_letter, _prefix4, _suffix4, _sorted_letters
        )
    readings = [("last", "first")] if target_side else [("last", "first"), ("first", "last")]
    for part, other in readings:
        add("last_name", _combine(whole[part], letter[other]), at)
        add("name_prefix", _combine(prefix[part], whole[other]), at)
        add("name_suffix", _combine(suffix[part], whole[other]), at)
    # name_letters: one part's letters sorted with the other part whole (Matrin / Martin, eJan / Jean):
    # "L" sorts the last name, "F" the first name (written order only: swapped names with
    # swapped letters too are left to the other keys).
    add("name_letters", _combine(_TAGS["L"], letters["last"], whole["first"]), at)
    add("name_letters", _combine(_TAGS["F"], letters["first"], whole["last"]), at)

    # initials_birthdate: the birth date and both initials, in either order (swapped names still meet).
    initial_a = np.zeros(n, dtype=np.uint64)
    initial_b = np.zeros(n, dtype=np.uint64)
    initial_a[two], initial_b[two] = letter["first"], letter["last"]
    initials_lo, initials_hi = np.minimum(initial_a, initial_b), np.maximum(initial_a, initial_b)
    born = _nonempty(side.birth)
    dated = two & born
    birth_hash = np.zeros(n, dtype=np.uint64)
    (birth_hash[born],) = _hashes_of(side.birth[born], None)
    add("initials_birthdate", _combine(birth_hash[dated], initials_lo[dated], initials_hi[dated]), rows[dated])

    # side.mailbox: computed only for the emails a +tag, Gmail or punycode rule changes (_mailboxes).
    scalar("mailbox", side.mailbox)
    # surname_forms, surname_birthdate: the keys of each distinct last name computed once
    # (reconcile.matching.names), paired per record. surname_forms reads the written order only: swapped
    # first and last names are found by last_name, name_prefix, name_suffix and initials_birthdate,
    # which read both orders (the given-name keys of every distinct last name would cost ~1 s at
    # 100,000 records); with the birth date the record also reads its first name as a last name.
    first_text = [side.first_text[i] for i in at]
    lasts = [(side.last_text[i], *side.alternates[i]) if side.alternates[i] else side.last_text[i] for i in at]
    forms_at, which, flat = _exploded(lasts, _surname_variants, at)
    forms = _hashed(flat)[which]
    plain_form = np.fromiter((k[1:2] != ":" for k in flat), dtype=bool, count=len(flat))[which]
    # The forms as written with the given name's sounds (initials, shortened or other spellings);
    # the consonants and the one-letter deletions, looser, with the whole given name.
    pos, keys = _paired((forms_at[plain_form], forms[plain_form]), _exploded_hashed(first_text, given_keys, at), n)
    add("surname_forms", keys, pos)
    whole_first = (at, whole["first"])
    pos, keys = _paired((forms_at[~plain_form], forms[~plain_form]), whole_first, n)
    add("surname_forms", keys, pos)
    pos, keys = _paired(_exploded_hashed(lasts, _surname_edits, at), whole_first, n)
    add("surname_forms", keys, pos)
    # With the birth date, and on the record's side the date with its day and month swapped.
    surnames = [(forms_at, forms)]
    if not target_side:
        surnames.append(_exploded_hashed(first_text, _surname_variants, at))
    dates = [(rows[born], birth_hash[born])]
    if not target_side:
        swapped = _nonempty(side.birth_swapped)
        dates.append((rows[swapped], _hashes_of(side.birth_swapped[swapped], None)[0]))
    for date in dates:
        for reading in surnames:
            pos, keys = _paired(reading, date, n)
            add("surname_birthdate", keys, pos)
    # near_matricule: the identifier's keys and both initials, in either order (the matricules of
    # one company are often sequential: 10452 and 10453 share four of their keys).
    held = two & _nonempty(side.matricule)
    # side.matricule is identifier evidence already: its keys directly (identifier_keys would clean it again).
    id_rows, id_keys = _exploded_hashed(side.matricule[held].tolist(), _identifier_keys, rows[held])
    add("near_matricule", _combine(id_keys, initials_lo[id_rows], initials_hi[id_rows]), id_rows)
    if not frames:
        return pd.DataFrame({"kind": np.array([], dtype=np.int8), "key": np.array([], dtype=np.int64), "i": rows[:0]})
    return pd.concat(frames, ignore_index=True)


def _key_table(con: duckdb.DuckDBPyConnection, name: str, keys: pd.DataFrame) -> None:
    """Store blocking keys (:func:`_keys`) as the temporary table ``name`` of ``con``
    (typed: DuckDB cannot tell the type of an empty column)."""
    con.register("key_frame", keys)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS "
        "SELECT kind::TINYINT AS kind, key::BIGINT AS key, i::INTEGER AS i FROM key_frame"
    )
    con.unregister("key_frame")


#: Both sides at least this long: the Equify side is prepared in a forked process
#: (:func:`_both_sides`). Below it, forking costs more than it saves.
PARALLEL_AT = 20_000


def _side_and_keys(
    frame: pd.DataFrame, ids: np.ndarray, settings: MatchSettings, hint_col: str | None, target_side: bool
) -> tuple[_Side, pd.DataFrame]:
    """One side normalised (:func:`_side`) and its blocking keys (:func:`_keys`)."""
    side = _side(frame, ids, settings, hint_col=hint_col)
    return side, _keys(side, target_side=target_side)


#: Joins the texts of one column for the pipe (:func:`_packed`); a column holding it is pickled as is.
_SEP = "\x1e"


def _packed_texts(values: Any) -> tuple[str, np.ndarray, int] | None:
    """A column of texts and ``None`` (an object array or a list) as ``(texts joined by _SEP,
    positions of None, length)``, far faster to pickle than one object per text (every step runs
    in C); ``None`` when a value is something else or holds :data:`_SEP` (then the column is
    pickled as is)."""
    arr = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=object, count=len(values))
    missing = np.flatnonzero(pd.isna(arr))
    if len(missing):
        if any(v is not None for v in arr[missing].tolist()):  # NaN, NaT: not a missing text
            return None
        arr = arr.copy()
        arr[missing] = ""
    try:
        joined = _SEP.join(arr.tolist())
    except TypeError:  # a value that is not text
        return None
    return (joined, missing, len(arr)) if joined.count(_SEP) == max(len(arr) - 1, 0) else None


def _unpacked_texts(packed: tuple[str, np.ndarray, int]) -> np.ndarray:
    joined, missing, n = packed
    items = np.array(joined.split(_SEP) if n else [], dtype=object)
    items[missing] = None
    return items


def _packed(side: _Side, keys: pd.DataFrame) -> dict[str, Any]:
    """One prepared side (:func:`_side_and_keys`) in the form the child sends through the pipe:
    each column of texts joined (:func:`_packed_texts`), the rest as is; :func:`_unpacked` gives
    back an equal side and keys."""
    out: dict[str, Any] = {"keys": {c: keys[c].to_numpy() for c in keys.columns}}
    for f in dataclass_fields(_Side):
        value = getattr(side, f.name)
        texts = None
        if (isinstance(value, np.ndarray) and value.dtype == object) or (
            isinstance(value, list) and not (value and type(value[0]) is tuple)
        ):
            texts = _packed_texts(value)
        out[f.name] = ("as is", value) if texts is None else ("texts", texts, isinstance(value, np.ndarray))
    return out


def _unpacked(packed: dict[str, Any]) -> tuple[_Side, pd.DataFrame]:
    """The side and keys of :func:`_packed`."""
    values: dict[str, Any] = {}
    for f in dataclass_fields(_Side):
        how, *rest = packed[f.name]
        if how == "texts":
            items = _unpacked_texts(rest[0])
            values[f.name] = items if rest[1] else items.tolist()
        else:
            values[f.name] = rest[0]
    return _Side(**values), pd.DataFrame(packed["keys"], copy=False)


def _in_child(
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    src_rest: pd.DataFrame,
    rest_ids: np.ndarray,
    settings: MatchSettings,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The forked process's part (:func:`_both_sides`): the Equify side and the last rows of the
    Payfit side, prepared and packed for the pipe (:func:`_packed`)."""
    tgt = _packed(*_side_and_keys(target, tgt_ids, settings, None, True))
    rest = _packed(*_side_and_keys(src_rest, rest_ids, settings, "_hint", False)) if len(src_rest) else None
    return tgt, rest


#: The relative cost of preparing a record (Payfit, Equify) and a phone number (parsed), measured
#: at 100,000 records (``bench/match_scale.py``): used only to share the work (:func:`_split_at`).
_ROW_COST = (46.0, 38.0)


_PHONE_COST = 19.0


def _cost(frame: pd.DataFrame, per_row: float) -> float:
    phones = int(frame["phoneNumber"].notna().sum()) if "phoneNumber" in frame.columns else 0
    return len(frame) * per_row + phones * _PHONE_COST


def _split_at(src_frame: pd.DataFrame, target: pd.DataFrame) -> int:
    """How many of the Payfit records (the first ones) this process prepares while the child
    prepares the Equify side and the rest, so that both finish at about the same time (the
    child's answer also has to cross the pipe: this side takes 3 % more)."""
    c_src, c_tgt = _cost(src_frame, _ROW_COST[0]), _cost(target, _ROW_COST[1])
    if c_src <= 0:
        return len(src_frame)
    share = min(1.0, 1.03 * (c_src + c_tgt) / (2 * c_src))
    return int(round(len(src_frame) * share))


def _joined_sides(head: tuple[_Side, pd.DataFrame], rest: tuple[_Side, pd.DataFrame]) -> tuple[_Side, pd.DataFrame]:
    """One side (and its keys) from the sides of its first and its last records: the same as
    preparing all of them at once (each record is normalised and keyed on its own)."""
    (a, a_keys), (b, b_keys) = head, rest
    offset = len(a)
    values: dict[str, Any] = {}
    for f in dataclass_fields(_Side):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "full":
            values["full"] = {**x, **{i + offset: key for i, key in y.items()}}
        elif isinstance(x, np.ndarray):
            values[f.name] = np.concatenate([x, y])
        else:
            values[f.name] = [*x, *y]
    b_keys = b_keys.assign(i=(b_keys["i"].to_numpy() + offset).astype(np.int32))
    return _Side(**values), pd.concat([a_keys, b_keys], ignore_index=True)


def _both_sides(
    src_frame: pd.DataFrame,
    src_ids: np.ndarray,
    target: pd.DataFrame,
    tgt_ids: np.ndarray,
    settings: MatchSettings,
) -> tuple[tuple[_Side, pd.DataFrame], tuple[_Side, pd.DataFrame]]:
    """Both sides normalised with their blocking keys: ``((src, src_keys), (tgt, tgt_keys))``.

    On Linux with two or more cores and both sides at least :data:`PARALLEL_AT` records
    long (and the environment variable ``RECONCILE_PARALLEL`` not ``0``), a forked process
    prepares the Equify side and the last Payfit records (:func:`_split_at`: about half of
    the work) while this one prepares the first Payfit records. The child shares the input
    by copy-on-write (nothing imported again, no script run twice) and sends its result back
    through a pipe: the same functions over the same records, so the same result
    (``tests/matching/test_parallel_sides.py``). If the child fails (killed, out of memory) or does not
    answer in time (30 s plus four times this side's own time: stopped, deadlocked), it is
    killed and its part is prepared here instead; an :class:`InputError` it raises is
    raised here. A daemonic process (a ``multiprocessing`` pool's worker) never forks.
    """
    if min(len(src_frame), len(target)) < PARALLEL_AT or not _may_fork():
        return (
            _side_and_keys(src_frame, src_ids, settings, "_hint", False),
            _side_and_keys(target, tgt_ids, settings, None, True),
        )
    cut = _split_at(src_frame, target)
    src_head, src_rest = src_frame.iloc[:cut], src_frame.iloc[cut:]
    with _Forked(
        "preparing", "preparing its part here", _in_child, target, tgt_ids, src_rest, src_ids[cut:], settings
    ) as child:
        started = time.monotonic()
        head = _side_and_keys(src_head, src_ids[:cut], settings, "_hint", False)
        answer = child.answer(time.monotonic() - started)
        if answer is not None:
            status, value = answer
            if status == "ok":
                tgt, rest = _unpacked(value[0]), None if value[1] is None else _unpacked(value[1])
                return (head if rest is None else _joined_sides(head, rest)), tgt
            if isinstance(value, InputError):
                raise value
        if len(src_rest):
            head = _joined_sides(head, _side_and_keys(src_rest, src_ids[cut:], settings, "_hint", False))
        return head, _side_and_keys(target, tgt_ids, settings, None, True)


def _run_lengths(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and how many times each appears."""
    if not len(sorted_keys):
        return sorted_keys, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return sorted_keys[starts], np.diff(np.append(starts, len(sorted_keys)))


def _crowded_keys(src_keys: pd.DataFrame, tgt_keys: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame:
    """The keys too crowded to block on (:func:`_keys` frames): held by ``records`` records and
    ``accounts`` accounts with ``records × accounts`` above ``settings.max_block_pairs`` (a loose
    rule) or ``max_exact_block_pairs`` (an exact one). Columns ``kind`` (int8), ``key`` (int64),
    ``accounts`` (int64), one row per key, sorted by key."""
    s_keys, s_count = _run_lengths(np.sort(src_keys["key"].to_numpy(dtype=np.int64)))
    t_keys, t_count = _run_lengths(np.sort(tgt_keys["key"].to_numpy(dtype=np.int64)))
    at = np.minimum(np.searchsorted(t_keys, s_keys), max(len(t_keys) - 1, 0))
    both = (t_keys[at] == s_keys) if len(t_keys) else np.zeros(len(s_keys), dtype=bool)
    pairs = np.where(both, s_count * t_count[at] if len(t_keys) else 0, 0)
    lowest = min(int(settings.max_block_pairs), int(settings.max_exact_block_pairs))
    maybe = np.flatnonzero(pairs > lowest)  # few: their rules are looked up one by one
    keys = s_keys[maybe]
    rule_of = dict(
        zip(
            *(
                tgt_keys.loc[tgt_keys["key"].isin(keys), ["key", "kind"]]
                .drop_duplicates("key")
                .to_numpy(dtype=np.int64)
                .T.tolist()
            ),
            strict=True,
        )
    )
    kinds = np.array([rule_of[k] for k in keys.tolist()], dtype=np.int64)
    limit = np.full(len(BLOCKING_RULES), int(settings.max_exact_block_pairs), dtype=np.int64)
    limit[_LOOSE] = int(settings.max_block_pairs)
    over = pairs[maybe] > limit[kinds]
    return pd.DataFrame(
        {"kind": kinds[over].astype(np.int8), "key": keys[over], "accounts": t_count[at[maybe[over]]]},
        columns=["kind", "key", "accounts"],
    )


def _block(
    src_keys: pd.DataFrame,
    tgt_keys: pd.DataFrame,
    settings: MatchSettings,
    con: duckdb.DuckDBPyConnection,
    *,
    keep: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame, dict[int, int]]:
    """Candidate pairs: the union of every rule's equi-join on both sides' keys
    (:func:`_keys`, :func:`_both_sides`) (DuckDB).

    Returns ``(s, t, kind)`` int arrays (positions and the strongest rule of each
    pair, sorted by ``s`` then ``t``), the blocking report (:data:`BLOCKING_COLUMNS`):
    per rule, the distinct pairs it produced, the pairs it was the strongest rule
    for, and how many crowded keys were dropped; and ``{source position: accounts}``
    for records whose whole name was crowded out (shared by too many on both sides).

    With ``keep``, leaves the tables ``sk``, ``tk`` (both sides' keys) and ``crowded`` (the
    dropped keys) in ``con``, for :func:`_reprepare`; without, ``sk`` and ``tk`` are the key
    frames themselves, registered (no copy), and ``con`` is closed after.
    """
    if keep:
        _key_table(con, "sk", src_keys)
        _key_table(con, "tk", tgt_keys)
    else:  # read in place: no copy of the keys when no later match needs the tables
        con.register("sk", src_keys)
        con.register("tk", tgt_keys)
    # A key holds its rule (_keys): one BIGINT joins. The crowded keys, counted on sorted keys (numpy
    # sorts 64-bit integers far faster than a hash table groups them, and few keys are crowded).
    crowded = _crowded_keys(src_keys, tgt_keys, settings)
    con.register("crowded_frame", crowded)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE crowded AS "
        "SELECT kind::TINYINT AS kind, key::BIGINT AS key, accounts::BIGINT AS accounts FROM crowded_frame"
    )
    con.unregister("crowded_frame")
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE produced AS
        SELECT DISTINCT s2.i AS s, t2.i AS t, s2.kind AS kind
        FROM (SELECT * FROM sk ANTI JOIN crowded USING (key)) s2
        JOIN tk t2 USING (key)
        """
    )
    pairs = con.execute(
        "SELECT s, t, min(kind)::TINYINT AS kind FROM produced GROUP BY s, t ORDER BY s, t"
    ).fetchnumpy()
    per_rule = dict(con.execute("SELECT kind, count(*) FROM produced GROUP BY kind").fetchall())
    con.execute("DROP TABLE produced")
    dropped = dict(con.execute("SELECT kind, count(*) FROM crowded GROUP BY kind").fetchall())
    name_kind = _RULE_NAMES.index("name")
    crowded_names = dict(
        con.execute(
            f"SELECT sk.i, max(c.accounts) FROM sk JOIN crowded c USING (kind, key) WHERE kind = {name_kind} GROUP BY sk.i"
        ).fetchall()
    )
    s = np.asarray(pairs["s"], dtype=np.int64)
    t = np.asarray(pairs["t"], dtype=np.int64)
    kind = np.asarray(pairs["kind"], dtype=np.int8)
    report = pd.DataFrame(
        {
            "rule": _RULE_NAMES,
            "description": [r[1] for r in BLOCKING_RULES],
            "pairs": [int(per_rule.get(k, 0)) for k in range(len(BLOCKING_RULES))],
            "strongest": np.bincount(kind, minlength=len(BLOCKING_RULES)).astype(int),
            "crowded_keys": [int(dropped.get(k, 0)) for k in range(len(BLOCKING_RULES))],
        },
        columns=BLOCKING_COLUMNS,
    )
    return s, t, kind, report, {int(k): int(v) for k, v in crowded_names.items()}
