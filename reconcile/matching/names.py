"""Names as people write them: is one person name plausibly another's, and why (in words).

:func:`name_relation` compares two people's (given name, last name, alternate last names) and
returns a :class:`NameRelation` (``kind``, ``reason``) when the two names may be one
person's, or ``None`` when they are not plausibly the same person. It is the name half of
the *doubt* step of ``shared/domain.md`` §5 (step 5): a plausible relation makes a
record a conflict ("possible match: given name shortened"), never a create. It never
decides a link.

What counts as the same person's name (each a ``kind``, weakest last):

* ``same``: equal after :func:`~reconcile.matching.normalize.name_tokens` (accents, case, hyphens,
  word order; ``Anne Laure`` = ``Anne-Laure`` = ``Annelaure``; ``Le Gall`` = ``Legall``);
* ``swapped``: first and last name exchanged;
* ``given_name_shortened``: a compound given name against some of its parts, either way
  (``Anne-Laure`` / ``Anne``; civil given names ``Marie Claire Sophie`` / ``Claire``). A
  hyphenated name is one name: its later parts count only with the parts before them
  (``Jean-Marie`` / ``Marie`` is not plausible: another person, often of the other sex);
* ``particle_abbreviated``: ``St``/``Saint``, ``Ste``/``Sainte`` in a surname
  (``Sainte-Beuve`` / ``Ste Beuve``). Only these two: they are the abbreviations French
  civil records and HR exports write inside surnames. ``S.`` is not expanded (an initial,
  ambiguous), and civilities (``M.``, ``Mme``) are never surname parts;
* ``particle_dropped``: a leading particle left out (``de``, ``du``, ``des``, ``d'``,
  ``le``, ``la``, ``les``, ``l'``, ``el``, ``al``, ``van``, ``von``, ``di``, ``da``,
  ``del``, ...: ``El Amrani`` / ``Amrani``). ``Ben``, ``Bel``, ``Ait``, ``Ould`` are
  kept: they carry the name (``Ben Ali`` is not ``Ali``);
* ``surname_part``: one part of a compound surname (``Garcia Lopez`` / ``Garcia``);
* ``birth_name``: a last name equal to the other's alternate last name (Payfit's
  ``birthName`` or ``secondLastName``), or to one of the names of a last name written
  ``Durand épouse Martin`` / ``Martin née Durand`` / ``Martin Vve Durand``;
* ``given_name_initials``: initials against full given names (``J.-P.``, ``J. P.``,
  ``JP`` / ``Jean-Pierre``; ``M.`` / ``Marie``);
* ``transliteration``: two spellings of one name (:func:`same_sound`:
  ``Youssef`` / ``Yousef`` / ``Youcef`` / ``Yusuf``, ``Mohamed`` / ``Mohammed`` /
  ``Mohamad`` / ``Muhammad``, ``Khaled`` / ``Khalid``, ``Dupont`` / ``Dupond``);
* ``typo``: one letter apart (an edit, or two adjacent letters swapped) in a given name
  of 5+ letters or a surname of 4+ letters, the other part related.

A person relation needs both the given name and the last name related (each in one of
the ways above); the ``kind`` is the weakest of the two, ``kinds`` lists every way the
names differ, and ``reason`` says it in words. Never plausible: an empty given or last
name on either side (no evidence), a different given name (``Marc`` / ``Julie``), a
feminine or masculine form of the other (``Jean`` / ``Jeanne``, ``Martin`` / ``Martine``,
``Julie`` / ``Julien``, ``Alexandre`` / ``Alexandra``, ``Karim`` / ``Karima``,
``René`` / ``Renée``), two unrelated surnames.

Why no phonetic library. The well-kept one (``jellyfish``: Soundex, Metaphone, NYSIIS,
Match Rating) encodes English spelling. Soundex and Metaphone keep no vowel after the first
letter, so they make ``Martin`` = ``Martine``, ``Jean`` = ``Jeanne`` and ``Alexandre`` =
``Alexandra`` (Soundex M635, J500, A425 each), exactly the pairs that must stay apart, and
none of its codes knows French digraphs (``ou``, ``ch``, ``qu``, ``eau``) or the
transliteration of Arabic and Berber names into French (``ou``/``w``/``u``, ``dj``/``j``,
``kh``/``k``, ``c``/``ss`` before ``e``). The French codes on PyPI are old (``phonex`` 0.0.2,
2021; ``abydos`` 0.5.0, 2020, with FONEM and Phonex) or a one-person Soundex for French
words (``phonetic-fr``), and none is meant for those transliterations. An equal-code test
cannot say "near, but not a gendered ending" either. So :func:`translit_key` is a small,
documented rule set (about twenty rewrites, compiled once) and :func:`same_sound` adds what a
phonetic code cannot: the
consonants must agree in order, vowels may differ only where transliterations differ
(``e`` for Arabic *a* or *i*, ``o``/``u``), by at most one other vowel in names of five
letters or more, and the gendered ending (a final ``e``, ``a`` or ``ée``) must agree.

Speed: every function is pure; names are prepared once per distinct value and part relations
memoised per distinct pair of values (names repeat: 100,000 synthetic records hold about 420
distinct given names), and regular expressions are compiled at import. :func:`name_relations`
is the batch entry point over parallel sequences (one value per candidate pair): it compares
the given names once per distinct pair and follows only the pairs that can relate. Measured on
``bench/synth.py`` at 100,000 records, on a loaded 2-core machine: ~3 µs a pair over random
pairs once the names are prepared (``docs/doubt_policy.md`` §7).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz.distance import DamerauLevenshtein

from .normalize import clean_text, name_tokens

__all__ = [
    "NAME_RELATION_KINDS",
    "NameRelation",
    "name_relation",
    "name_relations",
    "given_keys",
    "same_sound",
    "surname_keys",
    "translit_key",
]

#: Every ``NameRelation.kind``, strongest first (the order ranks two readings of one pair).
NAME_RELATION_KINDS: tuple[str, ...] = (
    "same",
    "swapped",
    "given_name_shortened",
    "particle_abbreviated",
    "particle_dropped",
    "surname_part",
    "birth_name",
    "given_name_initials",
    "transliteration",
    "typo",
)
_RANK = {kind: i for i, kind in enumerate(NAME_RELATION_KINDS)}

_GIVEN_REASONS = {
    "given_name_shortened": "given name shortened",
    "given_name_initials": "given name written as initials",
    "transliteration": "given name spelled another way",
    "typo": "one letter apart in the given name",
}
_LAST_REASONS = {
    "particle_abbreviated": "surname particle abbreviated (St/Saint, Ste/Sainte)",
    "particle_dropped": "surname particle left out",
    "surname_part": "one part of a compound surname",
    "birth_name": "last name is the other record's birth or married name",
    "transliteration": "surname spelled another way",
    "typo": "one letter apart in the surname",
}


@dataclass(frozen=True, slots=True)
class NameRelation:
    """How two person names may be one person's.

    ``kind``: one of :data:`NAME_RELATION_KINDS`, the weakest way the names differ
    (``same`` when they do not). ``kinds``: every way they differ, given name first
    (empty for ``same``). ``reason``: those ways in words, ready to follow
    ``"possible match: "`` (see :attr:`text`).
    """

    kind: str
    reason: str
    kinds: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """``possible match: <reason>``, the conflict reason shown to a user."""
        return f"possible match: {self.reason}"

    @property
    def exact(self) -> bool:
        """True when the names are equal after normalisation (no doubt from the names)."""
        return self.kind == "same"


_SAME = NameRelation("same", "same name")
_SWAPPED = NameRelation("swapped", "first and last name swapped", ("swapped",))

# ---------------------------------------------------------------------- transliteration
# Rewrites applied in order to an accent-free, lower-case ASCII word: plain replacements, or a
# regular expression when written "re:...". Upper-case letters are internal sound codes:
# S = the "ch"/"sh" sound, K = a hard k, F = f.
_REWRITES: tuple[tuple[str | re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern[3:]) if pattern.startswith("re:") else pattern, repl)
    for pattern, repl in (
        ("re:h+$", ""),  # Sarah / Sara, Abdallah / Abdalla
        ("chr", "Kr"),  # Christophe / Kristof
        ("sch", "S"),
        ("ch", "S"),  # Rachid / Rashid, Aicha / Aisha
        ("sh", "S"),
        ("ph", "F"),  # Mustapha / Moustafa
        ("kh", "K"),  # Khaled / Kaled
        ("ck", "K"),
        ("qu", "K"),
        ("q", "K"),  # Abdelqader / Abdelkader
        ("k", "K"),
        ("re:c(?=[eiy])", "s"),  # Youcef / Youssef
        ("c", "K"),  # Marc / Mark
        ("dj", "j"),  # Djamel / Jamel
        ("dh", "d"),
        ("th", "t"),  # Thierry / Tierry
        ("gh", "g"),
        ("re:gu(?=[eiy])", "g"),
        ("x", "Ks"),
        ("w", "ou"),  # Walid / Oualid
        ("y", "i"),  # Yanis / Ianis, Layla / Laila
        ("eau", "o"),  # Moreau / Moro
        ("au", "o"),
        ("ou", "u"),  # Youssef / Yusuf, Moustafa / Mustafa
        ("oo", "u"),
        ("o", "u"),  # Omar / Umar, Mohamed / Muhamed
        ("ai", "e"),  # Leila / Layla (after y -> i)
        ("ei", "e"),
        ("h", ""),  # silent h: Mohamed / Moamed, Ahmed / Amed
    )
)
# Each step with the text a word must hold for it to change anything (a regular expression is
# not run on a word without it).
_REWRITE_GUARDS = {"h+$": "h", "c(?=[eiy])": "c", "gu(?=[eiy])": "gu"}
_REWRITE_STEPS = tuple(
    (pattern if isinstance(pattern, str) else _REWRITE_GUARDS[pattern.pattern], pattern, repl)
    for pattern, repl in _REWRITES
)
# Then: doubled letters read once (Youssef / Yousef, Mohammed / Mohamed), and a final d sounds t
# (Dupond / Dupont, Ahmed / Ahmet).
_VOWELS = frozenset("aeiu")
# Vowel pairs that are one sound written two ways: French "e" for Arabic a or i.
_COMPATIBLE = frozenset({("e", "a"), ("a", "e"), ("e", "i"), ("i", "e")})
_ASCII_WORD = re.compile(r"[a-z]+")


@functools.lru_cache(maxsize=1 << 16)
def translit_key(word: str) -> str:
    """The transliteration key of one compact, lower-case, accent-free word (``name_tokens`` output).

    >>> translit_key("youssef"), translit_key("youcef"), translit_key("yusuf")
    ('iusef', 'iusef', 'iusuf')

    A word with other than ``a``-``z`` (digits, another script) is its own key.
    """
    if not _ASCII_WORD.fullmatch(word):
        return word
    key = word
    for guard, pattern, repl in _REWRITE_STEPS:
        if guard in key:
            key = key.replace(pattern, repl) if isinstance(pattern, str) else pattern.sub(repl, key)
    key = _DOUBLED.sub(_first_group, key.lower())  # each run of one letter read once
    return key[:-1] + "t" if key.endswith("d") else key


_DOUBLED = re.compile(r"(.)\1+", re.DOTALL)


def _first_group(found: re.Match[str]) -> str:
    return found.group(1)  # a function: re's template replacement is slower


_NO_VOWELS = str.maketrans("", "", "aeiu")


def _skeleton(word: str) -> str:
    """The consonants of :func:`translit_key` (``youssef`` → ``sf``): equal for two spellings of a name."""
    return translit_key(word).translate(_NO_VOWELS)


def _gender_ending(word: str) -> tuple[bool, bool, bool]:
    """(ends in ``e``, ends in ``a``, ends in ``ee``) of a word, after a silent final ``h``."""
    w = word.rstrip("h") or word
    return w.endswith("e"), w.endswith("a"), w.endswith("ee")


def _vowel_cost(a: str, b: str, budget: int) -> int:
    """The least number of vowel edits turning key ``a`` into ``b`` (consonants must align),
    ``budget + 1`` when more; a compatible vowel pair (``e``/``a``, ``e``/``i``) costs nothing."""
    n, m = len(a), len(b)
    inf = budget + 1
    prev = [min(j, inf) if all(c in _VOWELS for c in b[:j]) else inf for j in range(m + 1)]
    for i in range(1, n + 1):
        ca = a[i - 1]
        cur = [prev[0] + 1 if ca in _VOWELS else inf] + [inf] * m
        for j in range(1, m + 1):
            cb = b[j - 1]
            best = inf
            if ca == cb or (ca, cb) in _COMPATIBLE:
                best = prev[j - 1]
            elif ca in _VOWELS and cb in _VOWELS:
                best = prev[j - 1] + 1
            if ca in _VOWELS:
                best = min(best, prev[j] + 1)
            if cb in _VOWELS:
                best = min(best, cur[j - 1] + 1)
            cur[j] = min(best, inf)
        prev = cur
    return prev[m]


@functools.lru_cache(maxsize=1 << 16)
def same_sound(a: str, b: str) -> bool:
    """True when two different words (compact, lower-case, accent-free) are spellings of one name.

    Rules (see the module docstring): the same gendered ending (final ``e``, ``a``, ``ée``);
    keys (:func:`translit_key`) equal, or of 4+ letters with the same first sound, the same
    consonants in order and vowels that differ only by compatible pairs (``e``/``a``,
    ``e``/``i``), plus at most one other vowel edit when both keys have 5+ letters.

    >>> same_sound("youssef", "yusuf"), same_sound("mohamed", "muhammad"), same_sound("jean", "jeanne")
    (True, True, False)
    """
    if a == b:
        return True
    if not a or not b or _gender_ending(a) != _gender_ending(b):
        return False
    ka, kb = translit_key(a), translit_key(b)
    if ka == kb:
        return True
    if min(len(ka), len(kb)) < 4:
        return False
    fa, fb = ka[0], kb[0]
    if fa != fb and (fa, fb) not in _COMPATIBLE:
        return False
    if [c for c in ka if c not in _VOWELS] != [c for c in kb if c not in _VOWELS]:
        return False
    budget = 1 if min(len(ka), len(kb)) >= 5 else 0
    return _vowel_cost(ka, kb, budget) <= budget


def _one_edit(a: str, b: str, least: int, *, given: bool = True) -> bool:
    """True when ``a`` and ``b`` (both ``least``+ letters) are one edit or one adjacent swap apart.

    For given names (``given``), not a feminine/masculine pair: the same gendered ending, and no
    letter added at an end (``Julie`` / ``Julien``)."""
    if min(len(a), len(b)) < least or abs(len(a) - len(b)) > 1:
        return False
    if given and _gender_ending(a) != _gender_ending(b):
        return False
    if given and abs(len(a) - len(b)) == 1:
        short, long = sorted((a, b), key=len)
        if long.startswith(short) or long.endswith(short):
            return False  # a letter added at an end is a suffix or a prefix: Julie / Julien
    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


# ---------------------------------------------------------------------- prepared names
_INITIALS_WITHOUT_VOWEL = re.compile(r"[b-df-hj-np-tv-xz]{2,3}")
_UPPER_INITIALS = re.compile(r"[A-Z]{2,3}")


@dataclass(frozen=True, slots=True)
class _Given:
    """A given name: its tokens, compact form, and the letters it stands for when written as
    initials run together (``JP``), with whether that reading needs an exact count."""

    tokens: tuple[str, ...]
    compact: str
    initials: tuple[str, ...] | None
    initials_exact: bool
    skeleton: str
    words: tuple[str, ...]
    positions: tuple[int, ...]


@functools.lru_cache(maxsize=1 << 17)
def _given(text: str | None) -> _Given:
    tokens = name_tokens(text)
    initials: tuple[str, ...] | None = None
    exact = False
    if len(tokens) == 1 and text is not None:
        word = tokens[0]
        if _INITIALS_WITHOUT_VOWEL.fullmatch(word):
            initials = tuple(word)  # JP, jb, JCL: no vowel, so no name
        elif _UPPER_INITIALS.fullmatch(text.strip().rstrip(".")):
            initials, exact = tuple(word), True  # AM (Anne-Marie): upper case, only against as many names
    compact = "".join(tokens)
    return _Given(tokens, compact, initials, exact, _skeleton(compact), tuple(sorted(tokens)), _positions(text, tokens))


def _positions(text: str | None, tokens: tuple[str, ...]) -> tuple[int, ...]:
    """Each token's place in its hyphenated name: ``Anne-Laure Sophie`` → ``(0, 1, 0)``
    (all ``0`` when the words do not give the tokens back one by one)."""
    places: list[int] = []
    for word in (clean_text(text) or "").split():
        places.extend(range(len(name_tokens(word))))
    return tuple(places) if len(places) == len(tokens) else (0,) * len(tokens)


# Abbreviations written inside surnames, and the particles that may be left out.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ABBREVIATED = frozenset(_ABBREVIATIONS)
_PARTICLES = frozenset(
    {"de", "du", "des", "d", "le", "la", "les", "l", "el", "al", "van", "von", "der", "den", "di", "da", "del", "dos"}
)
# Words that make a name of the next one: "Ben Ali" is not "Ali" (nor a part of a compound name).
_CONNECTORS = frozenset({"ben", "bel", "bou", "ait", "ath", "ould", "abou", "abu", "ibn", "bin", "abd", "mac", "mc"})
# Words that join two last names in one field: "Durand épouse Martin", "Martin née Durand".
_NAME_JOINERS = frozenset({"epouse", "ep", "epse", "nee", "veuve", "vve", "divorcee", "dite", "dit"})


class _Last(NamedTuple):
    """A last name: tokens (abbreviations as written), compact form, compact form with the
    abbreviations expanded, core tokens (expanded, leading particles removed) and their
    compact form, the consonants of its :func:`translit_key`, and the names (as text) that a
    ``X épouse Y`` field holds."""

    tokens: tuple[str, ...]
    compact: str
    expanded: str
    core: tuple[str, ...]
    core_compact: str
    skeleton: str
    abbreviated: bool
    joined: tuple[str, ...]
    words: tuple[str, ...]


def _core(tokens: tuple[str, ...]) -> tuple[str, ...]:
    k = 0
    while k < len(tokens) - 1 and tokens[k] in _PARTICLES:
        k += 1
    return tokens[k:]


@functools.lru_cache(maxsize=1 << 17)
def _last(text: str | None) -> _Last:
    tokens = name_tokens(text)
    expanded = tokens if _ABBREVIATED.isdisjoint(tokens) else tuple(_ABBREVIATIONS.get(t, t) for t in tokens)
    joined: list[str] = []
    if len(tokens) > 2 and not _NAME_JOINERS.isdisjoint(tokens[1:-1]):
        part: list[str] = []
        for t in (*tokens, _JOIN):
            if t in _NAME_JOINERS or t is _JOIN:
                if part:
                    joined.append(" ".join(part))
                part = []
            else:
                part.append(t)
    core = _core(expanded)
    core_compact = "".join(core)
    return _Last(
        tokens,
        "".join(tokens),
        "".join(expanded),
        core,
        core_compact,
        _skeleton(core_compact),
        expanded != tokens,
        tuple(joined),
        tuple(sorted(tokens)),
    )


_JOIN = "\x00"  # marks the end of the words of a last name being split at its joiners


# ---------------------------------------------------------------------- part relations
def _match_tokens(
    short: tuple[str, ...], long: tuple[str, ...], places: tuple[int, ...]
) -> tuple[bool, bool, bool, bool] | None:
    """Match each token of ``short`` to a distinct token of ``long`` (any order): equal, an initial
    of it, or another spelling of it. ``None`` when one is left unmatched, or when a part of a
    hyphenated name of ``long`` is matched without the parts before it (``places``: each token's
    place in its hyphenated name; ``Marie`` is not ``Jean-Marie``), else (an initial used, another
    spelling used, a typo used, every token of ``long`` used)."""
    found = _match_words(short, long)
    if found is None:
        return None
    used, flags = found
    if any(places[k] and k - 1 not in used for k in used):
        return None
    return (*flags, len(used) == len(long))


def _match_words(short: tuple[str, ...], long: tuple[str, ...]) -> tuple[set[int], tuple[bool, bool, bool]] | None:
    """:func:`_match_tokens` without the hyphen rule: the positions of ``long`` used, and the flags."""
    rest = dict(enumerate(long))
    used: set[int] = set()
    used_initial = used_sound = used_typo = False
    # Full words first, so an initial never takes the word a full token needs.
    for tok in sorted(short, key=lambda w: len(w) == 1):
        hit = next((k for k, w in rest.items() if w == tok), None)
        if hit is None and len(tok) == 1:
            hit = next((k for k, w in rest.items() if w[0] == tok), None)
            used_initial = used_initial or hit is not None
        elif hit is None:
            hit = next((k for k, w in rest.items() if len(w) > 1 and same_sound(tok, w)), None)
            used_sound = used_sound or hit is not None
            if hit is None:
                hit = next((k for k, w in rest.items() if _one_edit(tok, w, 5)), None)
                used_typo = used_typo or hit is not None
        if hit is None:
            return None
        del rest[hit]
        used.add(hit)
    return used, (used_initial, used_sound, used_typo)


def _given_kind(a: _Given, b: _Given) -> str | None:
    """How two given names relate (a kind of :data:`NAME_RELATION_KINDS`), ``None`` when they do not."""
    if not a.tokens or not b.tokens:
        return None
    if a.compact == b.compact or a.words == b.words:
        return "same"
    one_word = len(a.tokens) == len(b.tokens) == 1 and a.initials is None and b.initials is None
    if one_word and len(a.compact) > 1 and len(b.compact) > 1:
        # Two one-word names (the usual pair): another spelling, a typo, or nothing.
        if a.skeleton == b.skeleton and same_sound(a.compact, b.compact):
            return "transliteration"
        return "typo" if _one_edit(a.compact, b.compact, 5) else None
    if _initials_of(a, b) or _initials_of(b, a):
        return "given_name_initials"
    short, long = sorted((a, b), key=lambda g: len(g.tokens))
    found = _match_tokens(short.tokens, long.tokens, long.positions)
    if found is None and len(short.tokens) == len(long.tokens):
        found = _match_tokens(long.tokens, short.tokens, short.positions)
    if found is not None:
        return _word_match_kind(*found)
    if same_sound(a.compact, b.compact):  # Abdelkader / Abd El Kadir
        return "transliteration"
    if _one_edit(a.compact, b.compact, 5):
        return "typo"
    return None


def _initials_of(x: _Given, y: _Given) -> bool:
    """True when ``x`` is written as initials (``J.-P.``, ``JP``) of ``y``'s first words (two or more)."""
    if x.initials is None or len(x.initials) > len(y.tokens) or len(y.tokens) < 2:
        return False
    if x.initials_exact and len(x.initials) != len(y.tokens):
        return False
    return tuple(w[0] for w in y.tokens[: len(x.initials)]) == x.initials


def _word_match_kind(initial: bool, sound: bool, typo: bool, whole: bool) -> str:
    """The kind of a word-by-word match of two given names (:func:`_match_tokens`'s flags)."""
    if initial:
        return "given_name_initials"
    if not whole:
        return "given_name_shortened"
    if sound:
        return "transliteration"
    return "typo" if typo else "same"


def _within(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """True when every word of ``short`` is a distinct word of ``long`` (multisets)."""
    rest = list(long)
    for w in short:
        if w not in rest:
            return False
        rest.remove(w)
    return True


def _last_kind(a: _Last, b: _Last) -> str | None:
    """How two last names relate (``same``, a particle, a part, a transliteration, a typo), or ``None``."""
    if not a.tokens or not b.tokens:
        return None
    if a.compact == b.compact or a.words == b.words:
        return "same"
    if a.expanded == b.expanded:
        return "particle_abbreviated" if a.abbreviated or b.abbreviated else "same"
    ca, cb = a.core_compact, b.core_compact
    if ca == cb:
        return "particle_dropped"
    if len(a.core) != len(b.core):
        short, long = sorted((a.core, b.core), key=len)
        if (
            all(len(w) >= 3 and w not in _PARTICLES for w in short)
            and _within(short, long)
            and not _CONNECTORS.intersection(long)
        ):
            return "surname_part"
    if a.skeleton == b.skeleton and same_sound(ca, cb):  # equal keys have equal consonants
        return "transliteration"
    if abs(len(ca) - len(cb)) <= 1 and _one_edit(ca, cb, 4, given=False):
        return "typo"
    return None


@functools.lru_cache(maxsize=1 << 18)
def _last_pair(a: str | None, b: str | None) -> str | None:
    """:func:`_last_kind` of two last names given as text (memoised; call with ``a <= b``)."""
    return _last_kind(_last(a), _last(b))


def _last_rel(a: str | None, b: str | None) -> str | None:
    return _last_pair(a, b) if (a or "") <= (b or "") else _last_pair(b, a)


@functools.lru_cache(maxsize=1 << 18)
def _given_pair(a: str | None, b: str | None) -> str | None:
    """:func:`_given_kind` of two given names given as text (memoised; call with ``a <= b``)."""
    return _given_kind(_given(a), _given(b))


def _given_rel(a: str | None, b: str | None) -> str | None:
    return _given_pair(a, b) if (a or "") <= (b or "") else _given_pair(b, a)


_STRONG_LAST = frozenset({"same", "particle_abbreviated", "particle_dropped"})


def _last_or_alternate(a: str | None, a_alts: tuple[str, ...], b: str | None, b_alts: tuple[str, ...]) -> str | None:
    """The best relation of two people's last names (as text), through their alternates
    (``birth_name``) when the direct one is not strong."""
    direct = _last_rel(a, b)
    if direct in _STRONG_LAST:
        return direct
    joined_a, joined_b = _last(a).joined, _last(b).joined
    if not (a_alts or b_alts or joined_a or joined_b):
        return direct
    if joined_a or joined_b:
        direct = None  # "Martin épouse Durand" / "Durand": a birth or married name, said so below
    if direct is not None and _RANK[direct] < _RANK["birth_name"]:
        return direct
    for x in (a, *a_alts, *joined_a):
        for y in (b, *b_alts, *joined_b):
            if x == a and y == b:  # by value: an alternate equal to the name as written is no other name
                continue
            kind = _last_rel(x, y)
            if kind is not None and kind not in ("typo", "surname_part"):
                return "birth_name"  # one letter or one word of an alternate name is too little
    return direct


def _relation(given: str | None, last: str | None, reason_parts: list[str], kinds: list[str]) -> None:
    if given not in (None, "same"):
        reason_parts.append(_GIVEN_REASONS[given])
        kinds.append(given)
    if last not in (None, "same"):
        reason_parts.append(_LAST_REASONS[last])
        kinds.append(last)


@functools.lru_cache(maxsize=1 << 17)
def _words(first: str | None, last: str | None) -> tuple[str, ...]:
    """The sorted words of a whole name (memoised per record's values)."""
    return tuple(sorted(_given(first).tokens + _last(last).tokens))


def _compose(given: str | None, last: str | None, swapped: bool) -> NameRelation | None:
    """The person relation of a given-name and a last-name relation (``None`` when either is)."""
    if given is None or last is None:
        return None
    if given in ("typo", "given_name_initials", "transliteration") and last == "typo":
        return None  # two weak hints: the given name and the surname both only look alike
    if given == "same" and last == "same":
        return _SWAPPED if swapped else _SAME
    reasons: list[str] = ["first and last name swapped"] if swapped else []
    kinds: list[str] = ["swapped"] if swapped else []
    _relation(given, last, reasons, kinds)
    kind = max(kinds, key=_RANK.__getitem__)
    return NameRelation(kind, " and ".join(reasons), tuple(kinds))


def _relate(
    fa: str | None, la: str | None, xa: tuple[str, ...], fb: str | None, lb: str | None, xb: tuple[str, ...]
) -> NameRelation | None:
    """:func:`name_relation` of two (given, last, alternates) as text."""
    ga, gb = _given(fa), _given(fb)
    if not (ga.tokens and gb.tokens):
        return None  # an empty part is no evidence
    ca, cb = _last(la).compact, _last(lb).compact
    if not (ca and cb):
        return None
    if ga.compact == gb.compact and ca == cb:
        return _SAME
    if ga.compact == cb and ca == gb.compact:
        return _SWAPPED
    given = _given_rel(fa, fb)
    last = None if given is None else _last_or_alternate(la, xa, lb, xb)
    if (last is None or last != "same" or given != "same") and _words(fa, la) == _words(fb, lb):
        return _SAME  # the same words, some in the other field
    found = _compose(given, last, swapped=False)
    if found is None and _crosswise(ga.compact, ca, gb.compact, cb):
        # First and last name exchanged, and written differently (Jean-Michel Vencault / Vencault Jean).
        # Either record's given-name field may hold the given name: both readings, the stronger kept.
        readings = [
            r
            for r in (
                _compose(_given_rel(fa, lb), _last_rel(la, fb), swapped=True),
                _compose(_given_rel(la, fb), _last_rel(fa, lb), swapped=True),
            )
            if r is not None
        ]
        found = min(readings, key=lambda r: (_RANK[r.kind], r.reason), default=None)
    return found


def _crosswise(ga: str, la: str, gb: str, lb: str) -> bool:
    """True when each name part starts as the other record's other part does (a swap may be there)."""
    return ga[:1] == lb[:1] and la[:1] == gb[:1]


def _text(value: Any) -> str | None:
    return value if type(value) is str else clean_text(value)


def _alternates(values: Iterable[Any] | Any) -> tuple[str, ...]:
    if not values and isinstance(values, tuple):
        return values
    if isinstance(values, str) or not isinstance(values, Iterable):
        values = (values,)
    out = []
    for v in values:
        text = _text(v)
        if text is not None:
            out.append(text)
    return tuple(out)


def _readings(first: Any, last: Any, full: Any) -> list[tuple[str | None, str | None]]:
    """The (given, last) readings of a name: its two parts, or, when both are empty, every
    split of its full name's words, in both orders (``DUPONT Jean``: ``("dupont", "jean")``,
    ``("jean", "dupont")``)."""
    f, la = clean_text(first), clean_text(last)
    if f is not None or la is not None:
        return [(f, la)]
    tokens = name_tokens(full)
    out: list[tuple[str | None, str | None]] = []
    for k in range(1, len(tokens)):
        head, tail = " ".join(tokens[:k]), " ".join(tokens[k:])
        out += [(head, tail), (tail, head)]
    return out


def name_relation(
    first_a: Any,
    last_a: Any,
    first_b: Any,
    last_b: Any,
    *,
    alternates_a: Iterable[Any] | Any = (),
    alternates_b: Iterable[Any] | Any = (),
    full_a: Any = None,
    full_b: Any = None,
) -> NameRelation | None:
    """How person A's name (``first_a``, ``last_a``) may be person B's, or ``None`` when it may not.

    ``alternates_a`` / ``alternates_b``: other last names of each person (Payfit's
    ``birthName``, ``secondLastName``), one value or an iterable; missing values are ignored.
    ``full_a`` / ``full_b``: a full-name value used when both parts are empty, read at every
    split of its words (word order in a full name is no swap). Any value
    :func:`~reconcile.matching.normalize.clean_text` reads is accepted; an empty given or last name on
    either side gives ``None`` (no evidence). Symmetric: swapping A and B gives the same
    relation. Part relations are memoised per distinct pair of values.

    >>> name_relation("Anne-Laure", "Petit", "Anne", "Petit").text
    'possible match: given name shortened'
    >>> name_relation("Marc", "Petit", "Julie", "Petit") is None
    True
    """
    xa, xb = _alternates(alternates_a), _alternates(alternates_b)
    if full_a is None and full_b is None:
        return _relate(_text(first_a), _text(last_a), xa, _text(first_b), _text(last_b), xb)
    readings_a, readings_b = _readings(first_a, last_a, full_a), _readings(first_b, last_b, full_b)
    from_full = len(readings_a) != 1 or len(readings_b) != 1
    best: NameRelation | None = None
    for fa, la in readings_a:
        for fb, lb in readings_b:
            found = _relate(fa, la, xa, fb, lb, xb)
            if found is _SWAPPED and from_full:
                found = _SAME  # word order in a full name is no swap
            if found is not None and (best is None or _RANK[found.kind] < _RANK[best.kind]):
                best = found
    return best


def _letter_sum(word: str) -> int:
    """A sum over the letters of a word that does not depend on their order (a prefilter)."""
    return sum(word.encode("utf-8", "surrogatepass")) + (len(word) << 32)


def surname_keys(last: Any, alternates: Iterable[Any] | Any = (), *, edits: bool = True) -> tuple[str, ...]:
    """Blocking keys of a last name: two last names that relate (``same``, a particle, a
    transliteration, a typo, a birth or married name through ``alternates`` or ``X épouse Y``)
    share at least one key; pair them with :func:`given_keys` for the given name.

    Keys: the compact name as written, with ``St``/``Ste`` expanded, without leading particles;
    ``s:`` and the consonants of its transliteration key (:func:`translit_key`); with ``edits``,
    ``d:`` and each one-letter deletion of the name without particles (one edit anywhere, or two
    adjacent letters swapped, leaves one in common; names of 4+ letters). ``surname_part``
    (one part of a compound name) is left to a word key. Empty for a missing name.

    >>> surname_keys("Ste Beuve", edits=False)
    ('stebeuve', 'saintebeuve', 's:sntbv')
    """
    others = _alternates(alternates)
    name = _last(_text(last))
    if not others and not name.joined:  # the usual case: one name, its keys as they are
        return (
            _surname_keys(name.compact, name.expanded, name.core_compact, name.skeleton, edits) if name.tokens else ()
        )
    keys: list[str] = []
    for text in (_text(last), *others):
        name = _last(text)
        for form in (name, *(_last(j) for j in name.joined)):
            if form.tokens:
                keys += _surname_keys(form.compact, form.expanded, form.core_compact, form.skeleton, edits)
    return tuple(dict.fromkeys(keys))


@functools.lru_cache(maxsize=1 << 17)
def _surname_keys(compact: str, expanded: str, core: str, skeleton: str, edits: bool) -> tuple[str, ...]:
    keys = [compact, expanded, core, "s:" + skeleton]
    if edits and len(core) >= 4:
        keys += ["d:" + core[:k] + core[k + 1 :] for k in range(len(core))]
    return tuple(dict.fromkeys(keys))


def given_keys(first: Any) -> tuple[str, ...]:
    """Blocking keys of a given name: the first sound of each of its words (the first letter of
    its :func:`translit_key`, ``v`` for a vowel), so initials, a shortened compound name and
    another spelling (``Catherine`` / ``Katherine``, ``Elias`` / ``Ilyas``) share one with the
    full name. A one-letter typo in the first letter is left to the surname's keys with another
    rule. Empty for a missing name.

    >>> given_keys("Jean-Pierre"), given_keys("JP"), given_keys("Youssef")
    (('j', 'p'), ('j', 'p'), ('v',))
    """
    given = _given(_text(first))
    words = given.initials if given.initials is not None else given.tokens
    return tuple(dict.fromkeys(_first_sound(w) for w in words))


def _first_sound(word: str) -> str:
    key = translit_key(word)[:1]
    return "v" if key in _VOWELS or key == "o" else key


def _codes(a: Sequence[Any], b: Sequence[Any]) -> tuple[np.ndarray, list[str | None]]:
    """Codes (int64, ``a`` then ``b``) of the values of two sequences in one vocabulary, and the
    text of each code (:func:`_text`; the last one, ``None``, is the code of missing values)."""
    values = pd.Series([*a, *b], dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [_text(u) for u in uniques] + [None]
    return np.where(codes < 0, len(texts) - 1, codes).astype(np.int64), texts


def name_relations(
    first_a: Sequence[Any],
    last_a: Sequence[Any],
    first_b: Sequence[Any],
    last_b: Sequence[Any],
    *,
    alternates_a: Sequence[Iterable[Any] | Any] | None = None,
    alternates_b: Sequence[Iterable[Any] | Any] | None = None,
) -> list[NameRelation | None]:
    """:func:`name_relation` of each pair ``k`` of parallel sequences (one value per candidate pair).

    All sequences have one length; ``alternates_*`` hold one value or iterable per pair (or
    ``None``: no alternates). The given names are compared once per distinct pair, and only the
    pairs whose given names relate (or whose words are the same in other fields, or whose parts
    start alike crosswise: a swap) are compared further (a few microseconds a pair, see the module docstring). Raises ``ValueError`` when the
    lengths differ.
    """
    n = len(first_a)
    columns = [last_a, first_b, last_b] + [c for c in (alternates_a, alternates_b) if c is not None]
    if any(len(c) != n for c in columns):
        raise ValueError("name_relations: the sequences must have one length")
    given, given_texts = _codes(first_a, first_b)
    last, last_texts = _codes(last_a, last_b)
    g_a, g_b, l_a, l_b = given[:n], given[n:], last[:n], last[n:]
    # The given names' relation, once per distinct pair of given names.
    v = len(given_texts)
    pairs, inverse = np.unique(g_a * v + g_b, return_inverse=True)
    related = np.fromiter(
        (_given_rel(given_texts[p // v], given_texts[p % v]) is not None for p in pairs.tolist()),
        dtype=bool,
        count=len(pairs),
    )[inverse.reshape(-1)]
    # The same words in other fields ("Jean Pierre" / "Le Gall" vs "Jean" / "Pierre Le Gall"),
    # once per distinct (given, last) record.
    todo = related.copy()
    # Swapped parts written differently: the parts' first letters agree crosswise.
    g_first = np.array([_given(t).compact[:1] for t in given_texts], dtype=object)
    l_first = np.array([_last(t).compact[:1] for t in last_texts], dtype=object)
    todo |= (g_first[g_a] == l_first[l_b]) & (l_first[l_a] == g_first[g_b]) & (g_first[g_a] != "")
    rest = np.flatnonzero(~todo)
    if len(rest):
        # Only records with as many letters, of the same code sum, can have the same words.
        g_sum = np.array([_letter_sum(_given(t).compact) for t in given_texts], dtype=np.int64)
        l_sum = np.array([_letter_sum(_last(t).compact) for t in last_texts], dtype=np.int64)
        rest = rest[g_sum[g_a[rest]] + l_sum[l_a[rest]] == g_sum[g_b[rest]] + l_sum[l_b[rest]]]
    if len(rest):
        w = len(last_texts)
        records, rec_inverse = np.unique(
            np.concatenate([g_a[rest] * w + l_a[rest], g_b[rest] * w + l_b[rest]]), return_inverse=True
        )
        ids: dict[tuple[str, ...], int] = {}
        word_ids = np.fromiter(
            (ids.setdefault(_words(given_texts[r // w], last_texts[r % w]), len(ids)) for r in records.tolist()),
            dtype=np.int64,
            count=len(records),
        )[rec_inverse.reshape(-1)]
        todo[rest] = word_ids[: len(rest)] == word_ids[len(rest) :]
    fa, fb = [given_texts[c] for c in g_a.tolist()], [given_texts[c] for c in g_b.tolist()]
    la, lb = [last_texts[c] for c in l_a.tolist()], [last_texts[c] for c in l_b.tolist()]
    out: list[NameRelation | None] = [None] * n
    alts_a = None if alternates_a is None else list(alternates_a)
    alts_b = None if alternates_b is None else list(alternates_b)
    for k in np.flatnonzero(todo).tolist():
        xa = _alternates(alts_a[k]) if alts_a is not None else ()
        xb = _alternates(alts_b[k]) if alts_b is not None else ()
        out[k] = _relate(fa[k], la[k], xa, fb[k], lb[k], xb)
    return out
