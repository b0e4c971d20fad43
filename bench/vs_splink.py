"""Benchmark: ``reconcile.match`` against Splink 4 (DuckDB backend) on the same synthetic data.

Both get the N × N records of :func:`bench.synth.generate`. Quality uses the truth pairs and the definitions of
``bench/match_scale.py``: for reconcile, the auto links plus each conflict's best candidate scoring at least
``name_threshold``; for Splink, the pairs predicted above ``--threshold`` match probability, made one-to-one
greedily by probability (best pair first, each record used once).

Splink model (link_only, source vs target; every column prepared as Splink's docs advise, prepared in the timed
section): first name and surname accent-free, lower case, hyphens as spaces; email through
``reconcile.matching.normalize.normalize_email``; phone as E.164 through ``reconcile.matching.normalize.normalize_phone`` (the
source's address country as hint); birth date as ISO (``dd/mm/yyyy`` read). Blocking rules for prediction:
email; surname; first name + birth date; phone. Comparisons: ``NameComparison`` (Jaro-Winkler 0.92/0.88/0.7,
term frequencies on the exact level) on first name and surname, exact email, exact phone,
``DateOfBirthComparison``. Training: λ by ``estimate_probability_two_random_records_match`` on the email rule
(recall 0.85), u by random sampling (``--max-pairs``), m by EM on an email block then on a first+last name block.
Splink's time covers preparation, training and prediction plus the one-to-one step.

Prints both times and F1s and the time ratio; the LAST line is one JSON object ``{"n", "reconcile_seconds",
"splink_seconds", "reconcile_f1", "splink_f1", "ratio"}`` (``ratio`` = splink_seconds / reconcile_seconds) with a
few extras (precision, recall, Splink's prediction-only seconds and pair count).

Needs Splink: ``pip install -r bench/requirements.txt`` on top of ``requirements.txt``.

Usage: ``python bench/vs_splink.py N [--seed 7] [--threshold 0.9] [--max-pairs 1e6]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import time
import unicodedata
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

import reconcile  # noqa: E402
from bench import synth  # noqa: E402
from bench.match_scale import pair_metrics, pairs, proposed_pairs  # noqa: E402
from reconcile.matching.normalize import normalize_email, normalize_phone  # noqa: E402

COLUMNS = ["unique_id", "first_name", "surname", "email", "phone", "dob"]


def _name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    text = " ".join(text.lower().replace("-", " ").replace("'", " ").split())
    return text or None


def _date(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _phone(value: object, hint: object) -> str | None:
    if not isinstance(value, str):
        return None
    result = normalize_phone(value, "FR", hint if isinstance(hint, str) else None)
    return result.e164 if result.usable else None


def prepare(frame: pd.DataFrame, *, hint_col: str | None) -> pd.DataFrame:
    """The common schema Splink links on: ``unique_id``, cleaned names, email, E.164 phone, ISO birth date."""
    hints = frame[hint_col] if hint_col else pd.Series([None] * len(frame), index=frame.index)
    out = pd.DataFrame(
        {
            "unique_id": frame["id"].astype(str),
            "first_name": [_name(v) for v in frame["firstName"]],
            "surname": [_name(v) for v in frame["lastName"]],
            "email": [normalize_email(v) for v in frame["email"]],
            "phone": [_phone(v, h) for v, h in zip(frame["phoneNumber"], hints, strict=True)],
            "dob": [_date(v) for v in frame["birthDate"]],
        }
    )
    return out[COLUMNS]


def one_to_one(pred: pd.DataFrame) -> pd.DataFrame:
    """Greedy one-to-one pairs, best probability first (ties: smaller ids first)."""
    pred = pred.sort_values(["match_probability", "source_id", "target_id"], ascending=[False, True, True])
    used_s: set[str] = set()
    used_t: set[str] = set()
    keep = []
    for s, t in zip(pred["source_id"], pred["target_id"], strict=True):
        if s not in used_s and t not in used_t:
            used_s.add(s)
            used_t.add(t)
            keep.append((s, t))
    return pd.DataFrame(keep, columns=["source_id", "target_id"])


def run_splink(
    source: pd.DataFrame, target: pd.DataFrame, *, threshold: float, max_pairs: float, seed: int, verbose: bool = False
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Prepare, train and predict with Splink; returns the one-to-one pairs and timings."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    left = prepare(source, hint_col="country")
    right = prepare(target, hint_col=None)
    times["prepare"] = time.perf_counter() - t0

    t = time.perf_counter()
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("surname"),
            block_on("first_name", "dob"),
            block_on("phone"),
        ],
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(
        [left, right],
        settings,
        db_api=DuckDBAPI(),
        input_table_aliases=["source", "target"],
        set_up_basic_logging=verbose,
    )
    linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.85)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    times["train"] = time.perf_counter() - t

    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    times["predict"] = time.perf_counter() - t
    times["scored_pairs"] = float(len(pred))

    t = time.perf_counter()
    left_is_source = pred["source_dataset_l"] == "source"
    oriented = pd.DataFrame(
        {
            "source_id": pred["unique_id_l"].where(left_is_source, pred["unique_id_r"]).astype(str),
            "target_id": pred["unique_id_r"].where(left_is_source, pred["unique_id_l"]).astype(str),
            "match_probability": pred["match_probability"],
        }
    )
    chosen = one_to_one(oriented)
    times["one_to_one"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    return chosen, times


def main() -> None:
    parser = argparse.ArgumentParser(description="reconcile.match vs Splink 4 (DuckDB) on N synthetic records.")
    parser.add_argument("n", type=int, help="records per side")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.9, help="Splink match probability threshold")
    parser.add_argument("--max-pairs", type=float, default=1e6, help="pairs sampled to estimate u")
    parser.add_argument("--verbose", action="store_true", help="show Splink's training log")
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.INFO if args.verbose else logging.ERROR)

    source, target, truth = synth.generate(args.n, args.seed)
    truth_pairs = pairs(truth)
    print(f"generated n={args.n} seed={args.seed}: {len(truth_pairs)} truth pairs")

    t0 = time.perf_counter()
    result = reconcile.match(source, target)
    rec_seconds = time.perf_counter() - t0
    rec_q = pair_metrics(proposed_pairs(result), truth_pairs)
    print(
        f"reconcile: {rec_seconds:.3f} s, precision {rec_q['precision']:.4f}, recall {rec_q['recall']:.4f}, "
        f"F1 {rec_q['f1']:.4f}"
    )

    chosen, times = run_splink(
        source, target, threshold=args.threshold, max_pairs=args.max_pairs, seed=args.seed, verbose=args.verbose
    )
    spl_q = pair_metrics(pairs(chosen), truth_pairs)
    print(
        f"splink:    {times['total']:.3f} s (prepare {times['prepare']:.2f}, train {times['train']:.2f}, "
        f"predict {times['predict']:.2f}, one-to-one {times['one_to_one']:.2f}; "
        f"{int(times['scored_pairs'])} pairs >= {args.threshold}), precision {spl_q['precision']:.4f}, "
        f"recall {spl_q['recall']:.4f}, F1 {spl_q['f1']:.4f}"
    )
    ratio = times["total"] / rec_seconds if rec_seconds else float("inf")
    print(f"time ratio splink / reconcile: {ratio:.2f}")
    print(
        json.dumps(
            {
                "n": args.n,
                "reconcile_seconds": round(rec_seconds, 3),
                "splink_seconds": round(times["total"], 3),
                "reconcile_f1": round(rec_q["f1"], 5),
                "splink_f1": round(spl_q["f1"], 5),
                "ratio": round(ratio, 3),
                "reconcile_precision": round(rec_q["precision"], 5),
                "reconcile_recall": round(rec_q["recall"], 5),
                "splink_precision": round(spl_q["precision"], 5),
                "splink_recall": round(spl_q["recall"], 5),
                "splink_predict_seconds": round(times["predict"], 3),
                "splink_scored_pairs": int(times["scored_pairs"]),
                "splink_threshold": args.threshold,
            }
        )
    )


if __name__ == "__main__":
    main()
