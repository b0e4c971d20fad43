"""The benchmarks' synthetic data generator (``bench/synth.py``) and ``bench/match_scale.py``'s output."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from rapidfuzz.distance import Levenshtein

from bench import match_scale, synth
from reconcile import MatchResult

N = 2000
SOURCE_COLUMNS = [
    "id",
    "firstName",
    "lastName",
    "email",
    "phoneNumber",
    "birthDate",
    "matricule",
    "country",
    "birthName",
]
TARGET_COLUMNS = ["id", "firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule", "payfitId"]
INVISIBLE = ("\u00a0", "\u200b")


def _plain(text: object) -> str:
    """Accent-free, case-free, hyphens as spaces (only to look at the data, not the engine's rules)."""
    if not isinstance(text, str):
        return ""
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(text.lower().replace("-", " ").split())


def _email(text: object) -> str | None:
    return text.strip("".join(INVISIBLE) + " ").lower() if isinstance(text, str) else None


def _digest(frames: tuple[pd.DataFrame, ...]) -> str:
    h = hashlib.sha256()
    for frame in frames:
        h.update(frame.to_csv(index=False).encode("utf-8"))
    return h.hexdigest()


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return synth.generate(N, seed=7)


@pytest.fixture(scope="module")
def pairs(data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Truth pairs with the source's fields (``_s``) and the target's (``_t``)."""
    source, target, truth = data
    merged = truth.merge(source, left_on="source_id", right_on="id").merge(
        target, left_on="target_id", right_on="id", suffixes=("_s", "_t")
    )
    assert len(merged) == len(truth)
    return merged


def test_shapes_columns_and_value_forms(data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    source, target, truth = data
    assert list(source.columns) == SOURCE_COLUMNS and list(target.columns) == TARGET_COLUMNS
    assert len(source) == len(target) == N
    assert source["id"].str.fullmatch(r"pf-\d{7}").all() and source["id"].is_unique
    assert target["id"].str.fullmatch(r"eq-\d{7}").all() and target["id"].is_unique
    assert target["payfitId"].isna().all()
    births = source["birthDate"].dropna()
    assert births.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all() and len(births) > 0.9 * N
    target_births = target["birthDate"].dropna()
    assert target_births.str.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}").all()
    assert target_births.str.contains("/").any() and target_births.str.contains("-").any()
    countries = source["country"].value_counts(normalize=True)
    assert countries["FR"] > 0.8 and countries.get("BE", 0) > 0
    assert source["matricule"].dropna().map(type).eq(str).all() and source["matricule"].dropna().is_unique
    assert 0 < target["matricule"].notna().mean() < 0.2
    assert list(truth.columns[:2]) == ["source_id", "target_id"]


def test_truth_is_one_to_one_between_existing_ids(data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    source, target, truth = data
    assert truth["source_id"].is_unique and truth["target_id"].is_unique
    assert truth["source_id"].isin(source["id"]).all() and truth["target_id"].isin(target["id"]).all()
    assert 0.70 * N <= len(truth) <= 0.80 * N


def test_same_seed_same_data_other_seed_other_data(data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    for a, b in zip(data, synth.generate(N, seed=7), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not data[0].equals(synth.generate(N, seed=8)[0])


def test_same_data_in_another_process_whatever_the_hash_seed(
    data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], repo_root: Path
) -> None:
    code = (
        "import hashlib, sys\n"
        "from bench import synth\n"
        "h = hashlib.sha256()\n"
        f"for f in synth.generate({N}, seed=7):\n"
        "    h.update(f.to_csv(index=False).encode('utf-8'))\n"
        "sys.stdout.write(h.hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(repo_root)}
    out = subprocess.run([sys.executable, "-c", code], cwd=repo_root, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == _digest(data)


def test_planted_name_noise_appears(data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], pairs: pd.DataFrame) -> None:
    source, target, _ = data
    first_s, last_s = pairs["firstName_s"].map(_plain), pairs["lastName_s"].map(_plain)
    first_t, last_t = pairs["firstName_t"].map(_plain), pairs["lastName_t"].map(_plain)
    swapped = (first_s == last_t) & (last_s == first_t) & (first_s != last_s)
    assert swapped.sum() >= 5
    one_typo = [
        Levenshtein.distance(a, b) == 1 or Levenshtein.distance(c, d) == 1
        for a, b, c, d in zip(first_s, first_t, last_s, last_t, strict=True)
    ]
    assert sum(one_typo) >= 0.01 * len(pairs)
    stripped = pairs["firstName_s"].map(lambda x: unicodedata.normalize("NFD", x).encode("ascii", "ignore").decode())
    assert ((pairs["firstName_s"] != stripped) & (pairs["firstName_t"] == stripped)).sum() >= 5  # Éric / Eric
    assert target["lastName"].str.isupper().mean() > 0.05 and source["lastName"].str.isupper().mean() > 0.05
    assert (pairs["firstName_s"].str.contains("-") & pairs["firstName_t"].str.contains(" ")).any()
    joined = last_s.str.contains(" ") & ~last_t.str.contains(" ") & (last_s.str.replace(" ", "") == last_t)
    assert joined.any()  # Le Gall / Legall
    # Homonyms: different people (different birth dates) with the same first and last name.
    key = source["firstName"].map(_plain) + "|" + source["lastName"].map(_plain)
    same_name = source[key.duplicated(keep=False)]
    assert same_name.groupby(key[same_name.index])["birthDate"].nunique().gt(1).any()
    # A large surname space: the commonest surname is rare.
    assert source["lastName"].map(_plain).value_counts(normalize=True).iloc[0] < 0.01


def test_planted_email_noise_appears(
    data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], pairs: pd.DataFrame
) -> None:
    source, target, _ = data
    e_s, e_t = pairs["email_s"].map(_email), pairs["email_t"].map(_email)
    both = e_s.notna() & e_t.notna()
    different = both & (e_s != e_t)
    assert 0.02 < different.mean() < 0.10
    work_vs_personal = different & (e_s.str.endswith("@acme-demo.fr") != e_t.str.endswith("@acme-demo.fr"))
    assert work_vs_personal.sum() >= 0.5 * different.sum()
    one_missing = e_s.isna() != e_t.isna()
    assert 0.04 < one_missing.mean() < 0.12
    raw = pd.concat([source["email"], target["email"]]).dropna()
    assert raw.str.contains("\u00a0").any() and raw.str.contains("\u200b").any()
    decorated = both & (pairs["email_s"] != pairs["email_t"]) & (e_s == e_t)
    assert decorated.sum() >= 5
    # Unique per side, except the planted shared mailboxes on the Payfit side.
    assert target["email"].dropna().map(_email).is_unique
    dup = source["email"].dropna().map(_email)
    dup = dup[dup.duplicated(keep=False)]
    assert len(dup) >= 2 and dup.str.startswith("accueil-").all()
    domains = pd.concat([source["email"], target["email"]]).dropna().map(_email).str.split("@").str[1].unique()
    assert set(domains) <= {"example.fr", "example.com", "acme-demo.fr", "gmail.com"}


def test_planted_phone_and_date_noise_appears(
    data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], pairs: pd.DataFrame
) -> None:
    source, _, truth = data
    both = pairs["phoneNumber_s"].notna() & pairs["phoneNumber_t"].notna()
    digits_s = pairs["phoneNumber_s"].str.replace(r"\D", "", regex=True).str[-9:]
    digits_t = pairs["phoneNumber_t"].str.replace(r"\D", "", regex=True).str[-9:]
    same_number = both & (digits_s == digits_t)
    assert same_number.mean() > 0.3
    assert (same_number & (pairs["phoneNumber_s"] != pairs["phoneNumber_t"])).sum() > 0.5 * same_number.sum()
    phones = source["phoneNumber"].dropna()
    for pattern in (
        r"0[67]( \d\d){4}",
        r"\+33 [67]( \d\d){4}",
        r"\+33[67]\d{8}",
        r"0033[67]\d{8}",
        r"0[67](\.\d\d){4}",
    ):
        assert phones.str.fullmatch(pattern).any(), pattern
    assert source["phoneNumber"].isna().any()
    belgian = source[(source["country"] == "BE") & source["phoneNumber"].notna()]
    assert belgian["phoneNumber"].str.fullmatch(r"04\d\d \d\d \d\d \d\d").any()
    assert pairs["birthDate_s"].isna().any() and pairs["birthDate_t"].isna().any()
    assert truth["noise"].str.contains("day_month_swap").any()
    assert truth["noise"].str.contains("homonym").any()


def _tagged(pairs: pd.DataFrame, tag: str) -> pd.DataFrame:
    return pairs[pairs["noise"].str.split(";").map(lambda tags: tag in tags)]


def _iso(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    return f"{text[6:]}-{text[3:5]}-{text[:2]}" if "/" in text else text


def _one_swap(a: str, b: str) -> bool:
    """``b`` is ``a`` with two adjacent different characters swapped."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y] if len(a) == len(b) else []
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _mailbox(email: object) -> str | None:
    """An email without its +tag, and without dots in a Gmail local part (only to look at the data)."""
    e = _email(email)
    if e is None:
        return None
    local, _, domain = e.partition("@")
    local = local.split("+", 1)[0]
    return (local.replace(".", "") if domain == "gmail.com" else local) + "@" + domain


# One row per issue-14 noise kind: (truth tag, check that a tagged pair shows that kind).
ISSUE_14_KINDS: list[tuple[str, object]] = [
    (
        "given_shortened",  # Anne-Laure / Anne, either side (Equify may also write Anne Laure)
        lambda r: (
            len(_plain(r.firstName_s).split()) > 1
            and _plain(r.firstName_t) == _plain(r.firstName_s).split()[0]
            or len(_plain(r.firstName_t).split()) > 1
            and _plain(r.firstName_s) == _plain(r.firstName_t).split()[0]
        ),
    ),
    ("initials", lambda r: bool(re.fullmatch(r"[A-Z](\.-[A-Z]\.|[A-Z]|\.[A-Z]\.|-[A-Z])|[A-Z]\.", r.firstName_t))),
    (
        "particle_abbreviated",  # Sainte-Beuve / Ste Beuve
        lambda r: bool(re.match(r"(?i)ste?[ -]", r.lastName_s)) != bool(re.match(r"(?i)ste?[ -]", r.lastName_t))
        and _plain(r.lastName_s).split()[-1] == _plain(r.lastName_t).split()[-1],
    ),
    (
        "transliteration",  # Youssef / Yousef, Haddad / Hadad
        lambda r: (_plain(r.firstName_s), _plain(r.lastName_s)) != (_plain(r.firstName_t), _plain(r.lastName_t)),
    ),
    (
        "married_name",  # Payfit lastName married, birthName = the Equify lastName
        lambda r: _plain(r.birthName) in (_plain(r.lastName_t), _plain(r.firstName_t))  # or first/last swapped
        and _plain(r.lastName_s) != _plain(r.birthName),
    ),
    (
        "plus_tag",  # claire+rh@ / claire@
        lambda r: ("+" in r.email_s) != ("+" in r.email_t) and _mailbox(r.email_s) == _mailbox(r.email_t),
    ),
    (
        "gmail_dots",  # jean.martin@gmail.com / jeanmartin@gmail.com
        lambda r: _email(r.email_s) != _email(r.email_t)
        and _email(r.email_t).endswith("@gmail.com")
        and _mailbox(r.email_s) == _mailbox(r.email_t),
    ),
    ("near_email_name_typo", lambda r: Levenshtein.distance(_plain(r.firstName_s), _plain(r.firstName_t)) == 1),
    ("birth_digit_swap", lambda r: _one_swap(_iso(r.birthDate_s), _iso(r.birthDate_t))),
    ("matricule_digit_swap", lambda r: _one_swap(r.matricule_s, r.matricule_t)),
]


@pytest.mark.parametrize(("tag", "shows"), ISSUE_14_KINDS, ids=[k for k, _ in ISSUE_14_KINDS])
def test_issue_14_noise_kinds_are_planted_and_tagged(tag: str, shows, pairs: pd.DataFrame) -> None:
    tagged = _tagged(pairs, tag)
    assert len(tagged) >= 1, tag
    wrong = [r.source_id for r in tagged.itertuples() if not shows(r)]
    assert not wrong, (tag, wrong[:5])


def test_issue_14_noise_kinds_each_have_a_stated_rate() -> None:
    for key in (
        "given_name_shortened",
        "target_given_name_initials",
        "saint_surname",
        "particle_abbreviated",
        "transliteration",
        "source_married_name",
        "email_plus_tag",
        "gmail_dots",
        "target_birthdate_digit_swap",
        "target_matricule_digit_swap",
    ):
        assert 0 < synth.NOISE[key] < 1, key


def test_birth_name_is_empty_a_repeat_or_the_birth_name_of_a_married_person(
    data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    source = data[0]
    birth = source["birthName"]
    assert birth.isna().mean() > 0.5
    repeated = birth.notna() & (birth == source["lastName"])
    married = birth.notna() & (birth.map(_plain) != source["lastName"].map(_plain))
    assert repeated.sum() > 0.05 * len(source) and married.sum() > 0.01 * len(source)
    assert (repeated | married | birth.isna()).all()


def test_saint_and_north_african_surnames_and_spellings_are_drawn(
    data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    source, target, _ = data
    last = pd.concat([source["lastName"], target["lastName"]]).map(_plain)
    assert last.str.match("sainte? ").sum() >= 5 and last.str.match("ste? ").sum() >= 1
    north = {_plain(x) for x in synth.maghreb_surnames()}
    assert last.isin(north).sum() >= 20
    first = pd.concat([source["firstName"], target["firstName"]])
    assert first.isin(["Mohammed", "Mohamad", "Muhammad", "Yousef", "Youcef", "Yusuf", "Rashid", "Mehdi"]).any()


# ---- the issue-14 figures of bench/match_scale.py on a hand-made match (no matcher involved)
def _result(records: list[tuple], links: list[tuple], candidates: list[tuple]) -> MatchResult:
    rec = pd.DataFrame(records, columns=["source_id", "category", "action", "target_id", "score", "rule", "reason"])
    lnk = pd.DataFrame(links, columns=["source_id", "target_id", "score", "rule"])
    cand = pd.DataFrame(candidates, columns=["source_id", "target_id", "score"])
    return MatchResult(records=rec, links=lnk, candidates=cand)


# s1 linked to its account (a link only: not among the candidates); s2 created though its account is a
# candidate; s3 a conflict showing t9 whose top-ranked candidate is its own t3; s4 a conflict whose own
# account ranks second; s5 created, never paired. n1-n3 are truly new: n1 in conflict, n2 created, n3 linked
# (wrongly) to t7.
HAND_MADE = _result(
    records=[
        ("s1", "new", "link", "t1", 100.0, "email", ""),
        ("s2", "new", "create", None, float("nan"), "none", ""),
        ("s3", "conflict", "none", "t9", 70.0, "name", ""),
        ("s4", "conflict", "none", None, 90.0, "name", ""),
        ("s5", "new", "create", None, float("nan"), "none", ""),
        ("n1", "conflict", "none", "t6", 60.0, "doubt", ""),
        ("n2", "new", "create", None, float("nan"), "none", ""),
        ("n3", "new", "link", "t7", 100.0, "email", ""),
    ],
    links=[("s1", "t1", 100.0, "email"), ("n3", "t7", 100.0, "email")],
    candidates=[
        ("s2", "t2", 40.0),
        ("s3", "t9", 80.0),  # listed first, but t3 scores higher
        ("s3", "t3", 85.0),
        ("s4", "t8", 90.0),
        ("s4", "t4", 60.0),
        ("n1", "t6", 60.0),
        ("n3", "t7", 100.0),
    ],
)
HAND_TRUTH = pd.DataFrame({"source_id": [f"s{i}" for i in range(1, 6)], "target_id": [f"t{i}" for i in range(1, 6)]})

FIGURE_ROWS = [
    ("duplicate_creates", 2),  # s2, s5
    ("duplicate_create_rate", 0.4),
    ("review_recall", 0.4),  # s1 (link), s3 (top-ranked)
    ("blocking_recall", 0.8),  # all but s5
    ("needless_conflicts", round(1 / 3, 5)),  # n1 of n1-n3
    ("needless_conflict_count", 1),
    ("needless_conflicts_by_rule", {"doubt": 1}),
    ("truly_new", 3),
]


@pytest.mark.parametrize(("figure", "expected"), FIGURE_ROWS, ids=[f for f, _ in FIGURE_ROWS])
def test_doubt_figures_on_a_hand_made_match(figure: str, expected: object) -> None:
    assert match_scale.doubt_figures(HAND_MADE, HAND_TRUTH)[figure] == expected


def test_doubt_figures_name_the_records() -> None:
    assert sorted(match_scale.duplicate_creates(HAND_MADE, HAND_TRUTH)) == ["s2", "s5"]
    assert sorted(match_scale.review_recalled(HAND_MADE, HAND_TRUTH)) == [("s1", "t1"), ("s3", "t3")]
    assert list(match_scale.blocking_missed(HAND_MADE, HAND_TRUTH)) == [("s5", "t5")]
    assert list(match_scale.needless_conflicts(HAND_MADE, HAND_TRUTH)) == ["n1"]
    # Equal scores: the matcher's order decides the top-ranked candidate.
    tied = _result([], [], [("a", "x", 50.0), ("a", "y", 50.0), ("b", "z", 10.0)])
    assert sorted(match_scale.top_candidates(tied)) == [("a", "x"), ("b", "z")]


def test_doubt_figures_of_a_perfect_match_and_an_empty_truth() -> None:
    perfect = _result(
        [(f"s{i}", "new", "link", f"t{i}", 100.0, "email", "") for i in range(1, 6)],
        [(f"s{i}", f"t{i}", 100.0, "email") for i in range(1, 6)],
        [(f"s{i}", f"t{i}", 100.0) for i in range(1, 6)],
    )
    figures = match_scale.doubt_figures(perfect, HAND_TRUTH)
    assert (figures["duplicate_creates"], figures["review_recall"], figures["blocking_recall"]) == (0, 1.0, 1.0)
    assert (figures["needless_conflicts"], figures["truly_new"]) == (0.0, 0)
    empty = match_scale.doubt_figures(HAND_MADE, HAND_TRUTH.iloc[:0])
    assert (empty["review_recall"], empty["blocking_recall"], empty["duplicate_create_rate"]) == (1.0, 1.0, 0.0)
    assert empty["needless_conflict_count"] == 3  # with no truth, every record is truly new


def test_noise_rates_are_stated_and_the_surname_space_is_large() -> None:
    assert synth.NOISE and all(0 < v < 1 for v in synth.NOISE.values())
    assert 0.70 <= synth.NOISE["overlap"] <= 0.80
    names, probs = synth.surname_distribution()
    assert len(names) > 100_000 and len(set(names)) == len(names)
    assert probs.max() < 0.005 and abs(probs.sum() - 1) < 1e-9


def _last_json_line(repo_root: Path, script: str, *args: str) -> dict:
    """Run a benchmark script; it must succeed and print one JSON object on its last line."""
    out = subprocess.run([sys.executable, script, *args], cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_match_scale_prints_its_figures_as_json_on_the_last_line(repo_root: Path) -> None:
    figures = _last_json_line(repo_root, "bench/match_scale.py", str(N), "--examples", "1")
    for key in (
        "n",
        "seconds",
        "cpu_seconds",
        "peak_rss_mb",
        "peak_rss_match_mb",
        "precision",
        "recall",
        "f1",
        "false_auto_links",
    ):
        assert key in figures, key
    for key in ("auto_precision", "auto_recall", "candidate_pairs", "counts"):
        assert key in figures, key
    for key in ("review_recall", "blocking_recall", "needless_conflicts", "duplicate_create_rate"):
        assert 0 <= figures[key] <= 1, key
    assert 0 <= figures["duplicate_creates"] <= figures["truth_pairs"]
    assert figures["needless_conflict_count"] == sum(figures["needless_conflicts_by_rule"].values())
    assert figures["truly_new"] == N - figures["truth_pairs"]
    assert figures["n"] == N and figures["seconds"] > 0 and figures["peak_rss_mb"] > 0
    for key in ("precision", "recall", "f1", "auto_precision", "auto_recall"):
        assert 0 <= figures[key] <= 1, key
    assert sum(figures["counts"].values()) == N


def test_review_rerun_prints_its_figures_as_json_on_the_last_line(repo_root: Path) -> None:
    figures = _last_json_line(repo_root, "bench/review_rerun.py", "400", "--repeat", "1")
    assert figures["n"] == 400
    assert figures["rerun_median_s"] > 0 and figures["edit_median_s"] > 0 and figures["first_open_s"] > 0
