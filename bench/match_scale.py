"""Benchmark: ``reconcile.match`` on N synthetic Payfit records × N Equify accounts, with quality against the truth.

Generates the data with :func:`bench.synth.generate` (not timed), then times only ``reconcile.match(source,
target)`` and samples the process's resident memory during it. Quality, against the planted truth pairs:

* *auto links*: ``result.links`` (the automatic one-to-one links);
* *proposed*: ``MatchResult.proposals()``: the auto links plus, for each name conflict whose best candidate
  scores at least ``settings.proposal_threshold`` and is not tied, that pair (the one shown first for review);
* ``precision`` / ``recall`` / ``f1`` of *proposed*; ``auto_precision`` / ``auto_recall`` of the auto links;
  ``false_auto_links``: auto links that are not truth pairs.

Prints a summary (noise rates, candidates per blocking rule, counts per category, misses per noise kind, a few
false auto links and missed pairs), then ``TARGET MISSED: ...`` lines, and on its LAST line one JSON object:
``{"n", "seed", "seconds", "cpu_seconds", "peak_rss_mb", "peak_rss_match_mb", "precision", "recall", "f1",
"false_auto_links", "auto_precision", "auto_recall", "auto_links", "proposed", "truth_pairs",
"candidate_pairs", "counts", "generate_seconds", "rss_before_match_mb", "duplicate_creates",
"duplicate_create_rate", "review_recall", "blocking_recall", "needless_conflicts", "needless_conflict_count",
"needless_conflicts_by_rule", "truly_new"}``. ``peak_rss_mb`` is the process's peak (it includes generating the data); ``peak_rss_match_mb`` the
highest resident size seen while ``match`` ran; ``cpu_seconds`` the process's CPU time during ``match`` (every
thread: on a shared, loaded machine it varies less than the wall-clock ``seconds``). The issue-14 figures (:func:`doubt_figures`):

* ``duplicate_creates``: records planned as *create* whose true account exists (``duplicate_create_rate``: as a
  share of the truth pairs);
* ``review_recall``: share of truth pairs that are the automatic link, or, for a record in conflict, the account
  the conflict shows or its top-ranked candidate;
* ``blocking_recall``: share of truth pairs that blocking paired (a candidate pair or a link);
* ``needless_conflicts``: truly new records (absent from the truth) put in conflict, as a share of the truly new
  records (``needless_conflict_count``, ``truly_new``).

Targets: ``seconds <= 10`` at N >= 100,000, ``peak_rss_mb <= 2000``, ``f1 >= 0.99``, ``false_auto_links == 0``,
``duplicate_create_rate <= 0.0002``, ``review_recall >= 0.998``, ``blocking_recall >= 0.999``,
``needless_conflicts <= 0.02``.
The exit code is 0 even when a target is missed.

Usage: ``python bench/match_scale.py N [--seed 7] [--examples 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import threading
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

import reconcile  # noqa: E402
from bench import synth  # noqa: E402

SHOW_SOURCE = ["firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule", "country"]
SHOW_TARGET = ["firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule"]


class RssSampler:
    """Highest resident set size (MB) seen by a background thread while the ``with`` block runs."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def current_mb() -> float:
        """The process's resident size now, in MB (``/proc/self/statm``; 0 where there is none)."""
        try:
            with open("/proc/self/statm", encoding="ascii") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            return 0.0
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.current_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak_mb = self.current_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self.current_mb())


def peak_rss_mb() -> float:
    """The process's peak resident size in MB so far (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pairs(frame: pd.DataFrame, source_col: str = "source_id", target_col: str = "target_id") -> pd.MultiIndex:
    """The distinct (source_id, target_id) pairs of a frame."""
    return pd.MultiIndex.from_arrays(
        [frame[source_col].astype(str).to_numpy(), frame[target_col].astype(str).to_numpy()],
        names=["source_id", "target_id"],
    ).unique()


def proposed_pairs(result: reconcile.MatchResult) -> pd.MultiIndex:
    """Auto links plus the untied best candidate of each name conflict (``MatchResult.proposals``)."""
    return pairs(result.proposals())


def pair_metrics(predicted: pd.MultiIndex, truth: pd.MultiIndex) -> dict[str, float | int]:
    """precision, recall, f1 of predicted pairs against truth pairs (1.0 for an empty denominator)."""
    hit = len(predicted.intersection(truth))
    precision = hit / len(predicted) if len(predicted) else 1.0
    recall = hit / len(truth) if len(truth) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": hit}


def _truth_frame(truth: pd.DataFrame) -> pd.DataFrame:
    """``source_id``, ``target_id`` of the truth as text, one row per distinct pair."""
    return truth[["source_id", "target_id"]].astype(str).drop_duplicates()


def duplicate_creates(result: reconcile.MatchResult, truth: pd.DataFrame) -> pd.Index:
    """Source ids planned as *create* (category ``new``, action ``create``) although the truth gives them an
    account: each would be a duplicate account in the cap table."""
    rec = result.records
    created = rec.loc[(rec["category"] == "new") & (rec["action"] == "create"), "source_id"].astype(str)
    return pd.Index(created[created.isin(set(_truth_frame(truth)["source_id"]))].unique())


def top_candidates(result: reconcile.MatchResult) -> pd.MultiIndex:
    """The top-ranked candidate pair of each record: the highest score; among equal scores the matcher's
    order (``candidates`` lists each record's pairs best first)."""
    cand = result.candidates
    if cand.empty:
        return pairs(pd.DataFrame({"source_id": [], "target_id": []}))
    order = cand[["source_id", "target_id", "score"]].astype({"source_id": str, "target_id": str})
    order = order.assign(_pos=range(len(order))).sort_values(
        ["source_id", "score", "_pos"], ascending=[True, False, True], kind="stable"
    )
    return pairs(order.drop_duplicates("source_id"))


def review_recalled(result: reconcile.MatchResult, truth: pd.DataFrame) -> pd.MultiIndex:
    """Truth pairs a person sees right away: the automatic link, or, for a record in *conflict*, the
    account the conflict shows (``records.target_id``) or its top-ranked candidate."""
    truth_pairs = pairs(_truth_frame(truth))
    rec = result.records
    conflicts = rec[rec["category"] == "conflict"]
    shown = pairs(conflicts.dropna(subset=["target_id"]))
    conflict_ids = set(conflicts["source_id"].astype(str))
    top = top_candidates(result)
    top = top[top.get_level_values(0).isin(conflict_ids)]
    seen = pairs(result.links).union(shown).union(top)
    return truth_pairs.intersection(seen)


def review_recall(result: reconcile.MatchResult, truth: pd.DataFrame) -> float:
    """Share of truth pairs that are the automatic link or the conflict's shown / top-ranked candidate
    (:func:`review_recalled`); 1.0 for an empty truth."""
    n = len(pairs(_truth_frame(truth)))
    return len(review_recalled(result, truth)) / n if n else 1.0


def blocking_missed(result: reconcile.MatchResult, truth: pd.DataFrame) -> pd.MultiIndex:
    """Truth pairs that are neither a scored candidate pair nor a link (no blocking rule paired them)."""
    found = pairs(result.candidates).union(pairs(result.links))
    return pairs(_truth_frame(truth)).difference(found)


def blocking_recall(result: reconcile.MatchResult, truth: pd.DataFrame) -> float:
    """Share of truth pairs that blocking paired (a candidate pair or a link); 1.0 for an empty truth."""
    n = len(pairs(_truth_frame(truth)))
    return 1 - len(blocking_missed(result, truth)) / n if n else 1.0


def needless_conflicts(result: reconcile.MatchResult, truth: pd.DataFrame) -> pd.Index:
    """Truly new records (source ids absent from the truth) that the matcher put in *conflict*."""
    rec = result.records
    new = rec.loc[~rec["source_id"].astype(str).isin(set(_truth_frame(truth)["source_id"]))]
    return pd.Index(new.loc[new["category"] == "conflict", "source_id"].astype(str).unique())


def doubt_figures(result: reconcile.MatchResult, truth: pd.DataFrame) -> dict[str, float | int]:
    """The issue-14 figures of one match against its truth:

    * ``duplicate_creates`` (int): :func:`duplicate_creates`; ``duplicate_create_rate``: as a share of
      truth pairs (target <= 0.0002);
    * ``review_recall`` (share, target >= 0.998), ``blocking_recall`` (share, target >= 0.999);
    * ``needless_conflicts`` (share of truly new records, target <= 0.02), ``needless_conflict_count``,
      ``needless_conflicts_by_rule`` (``{rule: count}``: ``name`` for namesakes, ``doubt`` for the doubt
      step, ...), ``truly_new`` (records of the match absent from the truth).
    """
    truth_pairs = pairs(_truth_frame(truth))
    in_truth = set(_truth_frame(truth)["source_id"])
    truly_new = int((~result.records["source_id"].astype(str).isin(in_truth)).sum())
    dup = duplicate_creates(result, truth)
    needless = needless_conflicts(result, truth)
    rules = result.records.assign(source_id=result.records["source_id"].astype(str)).set_index("source_id")["rule"]
    by_rule = rules.reindex(needless).value_counts()
    return {
        "duplicate_creates": len(dup),
        "duplicate_create_rate": round(len(dup) / len(truth_pairs), 6) if len(truth_pairs) else 0.0,
        "review_recall": round(review_recall(result, truth), 5),
        "blocking_recall": round(blocking_recall(result, truth), 5),
        "needless_conflicts": round(len(needless) / truly_new, 5) if truly_new else 0.0,
        "needless_conflict_count": len(needless),
        "needless_conflicts_by_rule": {str(k): int(v) for k, v in by_rule.items()},
        "truly_new": truly_new,
    }


def show_pairs(title: str, sel: pd.MultiIndex, source: pd.DataFrame, target: pd.DataFrame, k: int) -> None:
    """Print up to ``k`` pairs with the fields that matter (fictitious data)."""
    if not len(sel) or k <= 0:
        return
    print(f"{title} (first {min(k, len(sel))} of {len(sel)}):")
    src, tgt = source.set_index("id"), target.set_index("id")
    for sid, tid in list(sel[:k]):
        s, t = src.loc[sid, SHOW_SOURCE].to_dict(), tgt.loc[tid, SHOW_TARGET].to_dict()
        print(f"  {sid}: {s!r}")
        print(f"  {tid}: {t!r}")


def observed_noise(truth: pd.DataFrame) -> dict[str, float]:
    """Share of truth pairs carrying each planted noise kind."""
    tags = truth["noise"].str.split(";").explode()
    tags = tags[tags != ""]
    return {k: round(v / len(truth), 4) for k, v in tags.value_counts().sort_index().items()}


def misses_by_noise(missed: pd.MultiIndex, truth: pd.DataFrame) -> dict[str, int]:
    """How many missed truth pairs carry each noise kind (``clean``: none)."""
    idx = truth.set_index(["source_id", "target_id"])["noise"]
    tags = idx.reindex(missed).fillna("").replace("", "clean").str.split(";").explode()
    return {str(k): int(v) for k, v in tags.value_counts().items()}


def targets_missed(out: dict[str, object]) -> list[str]:
    """The ``TARGET MISSED`` lines of a run's figures."""
    lines = []
    if int(out["n"]) >= 100_000 and float(out["seconds"]) > 10:  # type: ignore[arg-type]
        lines.append(f"TARGET MISSED: seconds {out['seconds']} > 10 at n={out['n']}")
    if float(out["peak_rss_mb"]) > 2000:  # type: ignore[arg-type]
        lines.append(f"TARGET MISSED: peak_rss_mb {out['peak_rss_mb']} > 2000")
    if float(out["f1"]) < 0.99:  # type: ignore[arg-type]
        lines.append(f"TARGET MISSED: f1 {out['f1']} < 0.99")
    if int(out["false_auto_links"]) > 0:  # type: ignore[call-overload]
        lines.append(f"TARGET MISSED: false_auto_links {out['false_auto_links']} > 0")
    if "duplicate_create_rate" in out and float(out["duplicate_create_rate"]) > 0.0002:  # type: ignore[arg-type]
        lines.append(f"TARGET MISSED: duplicate_creates {out['duplicate_creates']} > 0.02 % of truth pairs")
    if "review_recall" in out and float(out["review_recall"]) < 0.998:  # type: ignore[arg-type]
        lines.append(f"TARGET MISSED: review_recall {out['review_recall']} < 0.998")
    if "blocking_recall" in out and float(out["blocking_recall"]) < 0.999:  # type: ignore[arg-type]
        lines.append(f"TARGET MISSED: blocking_recall {out['blocking_recall']} < 0.999")
    if "needless_conflicts" in out and float(out["needless_conflicts"]) > 0.02:  # type: ignore[arg-type]
        lines.append(f"TARGET MISSED: needless_conflicts {out['needless_conflicts']} > 0.02")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Time reconcile.match on N synthetic records per side.")
    parser.add_argument("n", type=int, help="records per side")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", type=int, default=5, help="false links and misses to print")
    args = parser.parse_args()

    t0 = time.perf_counter()
    source, target, truth = synth.generate(args.n, args.seed)
    generate_seconds = time.perf_counter() - t0
    rss_before = RssSampler.current_mb()
    print(f"generated n={args.n} seed={args.seed} in {generate_seconds:.2f} s; RSS {rss_before:.0f} MB")
    print("noise rates: " + ", ".join(f"{k}={v:g}" for k, v in synth.NOISE.items()))
    print("truth pairs by noise kind (share of all truth pairs): " + json.dumps(observed_noise(truth)))

    with RssSampler() as sampler:
        t0, c0 = time.perf_counter(), time.process_time()
        result = reconcile.match(source, target)
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"match: {seconds:.3f} s ({cpu_seconds:.3f} s of CPU, all threads), peak RSS during match {sampler.peak_mb:.0f} MB"
    )
    rules = result.candidates["rule"].value_counts() if "rule" in result.candidates else pd.Series(dtype=int)
    print("candidate pairs per rule: " + json.dumps({str(k): int(v) for k, v in rules.items()}))
    counts = result.counts()
    print("records per category: " + json.dumps(counts))

    truth_pairs = pairs(truth)
    auto = pairs(result.links)
    proposed = proposed_pairs(result)
    quality = pair_metrics(proposed, truth_pairs)
    auto_quality = pair_metrics(auto, truth_pairs)
    false_auto = auto.difference(truth_pairs)
    missed = truth_pairs.difference(proposed)
    false_proposed = proposed.difference(truth_pairs).difference(false_auto)
    print(
        f"auto links {len(auto)} (false {len(false_auto)}), proposed {len(proposed)} "
        f"(false {len(false_auto) + len(false_proposed)}), truth {len(truth_pairs)}, missed {len(missed)}"
    )
    print(
        "missed truth pairs by noise kind (counts; one pair may carry several kinds): "
        + json.dumps(misses_by_noise(missed, truth))
    )
    figures = doubt_figures(result, truth)
    truth_by_source = _truth_frame(truth).set_index("source_id")["target_id"]
    dup = duplicate_creates(result, truth)
    dup_pairs = pairs(pd.DataFrame({"source_id": dup, "target_id": truth_by_source.reindex(dup).to_numpy()}))
    review_missed = truth_pairs.difference(review_recalled(result, truth))
    block_missed = blocking_missed(result, truth)
    print("issue-14 figures: " + json.dumps(figures))
    print("records per rule: " + json.dumps({str(k): int(v) for k, v in result.records["rule"].value_counts().items()}))
    print("duplicate creates by noise kind: " + json.dumps(misses_by_noise(dup_pairs, truth)))
    print("review misses by noise kind: " + json.dumps(misses_by_noise(review_missed, truth)))
    print("blocking misses by noise kind: " + json.dumps(misses_by_noise(block_missed, truth)))
    needless = needless_conflicts(result, truth)
    rec = result.records.set_index("source_id")
    reasons = rec.loc[needless, "reason"].astype(str).str.split(":").str[0].str.slice(0, 60) if len(needless) else []
    print(
        "needless conflicts by reason (first words): "
        + json.dumps(pd.Series(reasons).value_counts().head(10).to_dict())
    )
    show_pairs("false auto links", false_auto, source, target, args.examples)
    show_pairs("false review proposals", false_proposed, source, target, args.examples)
    show_pairs("missed truth pairs", missed, source, target, args.examples)
    show_pairs("duplicate creates", dup_pairs, source, target, args.examples)

    out: dict[str, object] = {
        "n": args.n,
        "seed": args.seed,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "peak_rss_mb": round(max(peak_rss_mb(), sampler.peak_mb), 1),
        "peak_rss_match_mb": round(sampler.peak_mb, 1),
        "precision": round(quality["precision"], 5),
        "recall": round(quality["recall"], 5),
        "f1": round(quality["f1"], 5),
        "false_auto_links": len(false_auto),
        "auto_precision": round(auto_quality["precision"], 5),
        "auto_recall": round(auto_quality["recall"], 5),
        "auto_links": len(auto),
        "proposed": len(proposed),
        "truth_pairs": len(truth_pairs),
        "candidate_pairs": len(result.candidates),
        "counts": counts,
        "generate_seconds": round(generate_seconds, 2),
        "rss_before_match_mb": round(rss_before, 1),
        **figures,
    }
    for line in targets_missed(out):
        print(line)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
