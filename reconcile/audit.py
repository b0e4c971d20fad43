"""Match-quality audit: how good the automatic links are, at what score the likely matches
would be accepted, and what each field added to a pair's score.

Pure functions over a :class:`~reconcile.models.MatchResult` and, where one exists, a *ground
truth*: the pairs known to be one person (``source_id``, ``target_id``), from an uploaded
two-column file (:func:`read_truth`) or from the decisions people took (:func:`truth_from_decisions`).
A record absent from a truth file, or paired with an empty ``target_id``, has no account: a link
of it, automatic or decided by a person, is a wrong link. The truth the decisions give is partial
(``truth.attrs["partial"]``): a record nobody decided on is not judged.

Automatic links (found by evidence) and people's decisions (rule ``decision``) are counted apart:
a wrong decision is a person's mistake to show, not the matcher's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import InputError
from .matching.normalize import clean_text
from .models import CATEGORIES, Decision, MatchResult

__all__ = [
    "EVIDENCE_RULES",
    "Metrics",
    "blocking_recall",
    "blocking_recall_rate",
    "confusion",
    "disagreements",
    "evaluate",
    "evidence_links",
    "explain_pair",
    "read_truth",
    "score_distribution",
    "threshold_sweep",
    "truth_from_decisions",
    "unscored",
]

TRUTH_COLUMNS = ["source_id", "target_id"]
#: The rules (``links.rule``) of a link made by evidence: an identifier (Payfit ID, matricule),
#: the email, or a person's decision. The other links are an earlier sync's (rule ``ledger``).
EVIDENCE_RULES = ("payfit_id", "matricule", "email", "decision")


@dataclass(frozen=True)
class Metrics:
    """Quality of a set of predicted links against the truth, counted in pairs.

    ``tp``: predicted pairs that are in the truth; ``fp``: predicted pairs that are not;
    ``fn``: true pairs not predicted. ``precision`` = tp / (tp + fp), ``recall`` = tp / (tp + fn),
    ``f1`` their harmonic mean; each 1.0 when its denominator is 0 (nothing to get wrong).
    """

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        """``tp``, ``fp``, ``fn``, ``precision``, ``recall``, ``f1`` (rounded to 4 places)."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }

    def _repr_html_(self) -> str:
        """Jupyter's view: the pair counts, precision, recall and F1."""
        from .display import metrics_html

        return metrics_html(self.as_dict())


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    out = set()
    for s, t in zip(frame["source_id"], frame["target_id"], strict=True):
        s, t = clean_text(s), clean_text(t)
        if s and t:
            out.add((s, t))
    return out


def read_truth(source: str | Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """A ground truth from a CSV or XLSX file (a path, or the file's bytes with its ``name``)
    of two columns, ``source_id`` (the Payfit id) and ``target_id`` (the Equify account id;
    empty: the record has no account). Read as text (:func:`reconcile.sources.files.read_table`:
    encodings, separators and title lines handled).

    Columns: ``source_id``, ``target_id`` (object, ``None`` when empty); a record may come with
    several accounts (one person with duplicate accounts: linking to any of them is right).
    Raises :class:`InputError` naming the file and the row for a missing column, an empty
    ``source_id``, or a record given both with and without an account.
    """
    from .sources.files import read_table

    read = read_table(
        source,
        name=name,
        expected={
            "source_id": ("payfit id", "source"),
            "target_id": ("equify id", "account id", "equify account id", "target"),
        },
        required=[("source_id", "target_id")],
    )
    label = read.name
    out = pd.DataFrame({c: [clean_text(v) for v in read.frame[c]] for c in TRUTH_COLUMNS}, dtype=object)
    if out.empty:
        raise InputError(f"{label}: the ground truth has no row")
    empty = out["source_id"].isna().to_numpy()
    if empty.any():
        raise InputError(f"{label} row {int(np.argmax(empty)) + 1}: source_id is empty")
    # A record may be one person with several accounts (duplicates in Equify): several rows.
    # But "no account" beside an account contradicts itself.
    has = out.groupby("source_id")["target_id"].agg(lambda v: (v.isna().any(), v.notna().any()))
    both = [sid for sid, (none, some) in has.items() if none and some]
    if both:
        k = int(np.flatnonzero(out["source_id"].eq(both[0]).to_numpy())[-1])
        raise InputError(f"{label} row {k + 1}: the record {both[0]} is given with no account and with an account")
    return out.drop_duplicates().reset_index(drop=True)


def truth_from_decisions(decisions: Mapping[str, Decision]) -> pd.DataFrame:
    """The truth people's decisions give: a *link* pairs the record with its account, a
    *create* says it has none; exclusions say nothing. Columns as :func:`read_truth`."""
    rows = [(sid, d.target_id if d.action == "link" else None) for sid, d in decisions.items() if d.action != "exclude"]
    truth = pd.DataFrame(rows, columns=TRUTH_COLUMNS, dtype=object)
    truth.attrs["partial"] = True  # records nobody decided on are not judged
    return truth


def _is_complete(truth: pd.DataFrame, complete: bool | None) -> bool:
    """Whether a record absent from ``truth`` has no account (a truth file) or is unknown (decisions)."""
    return not truth.attrs.get("partial", False) if complete is None else complete


def _judged(result: MatchResult, truth: pd.DataFrame, complete: bool | None) -> dict[str, set[str]]:
    """``{source_id: its true accounts}`` for every record of ``result`` the truth judges: those it
    lists and, when it is complete, every other record too (with no account)."""
    known = set(result.records["source_id"])
    truth_by = {s: a for s, a in _accounts_by_record(truth).items() if s in known}
    if _is_complete(truth, complete):
        for sid in known - truth_by.keys():
            truth_by[sid] = set()
    return truth_by


def _decided(result: MatchResult) -> set[str]:
    """The records whose link a person decided (rule ``decision``)."""
    rec = result.records
    return set(rec.loc[rec["rule"] == "decision", "source_id"])


def _accounts_by_record(truth: pd.DataFrame) -> dict[str, set[str]]:
    """``{source_id: {its true accounts}}`` (an empty set: the record has no account)."""
    out: dict[str, set[str]] = {}
    for s, t in zip(truth["source_id"], truth["target_id"], strict=True):
        sid, tid = clean_text(s), clean_text(t)
        if sid:
            out.setdefault(sid, set())
            if tid:
                out[sid].add(tid)
    return out


def evaluate(
    result: MatchResult, truth: pd.DataFrame, *, threshold: float | None = None, complete: bool | None = None
) -> dict[str, Metrics]:
    """:class:`Metrics` of the links, one per record, against the truth.

    ``auto``: the automatic links (found by evidence; people's decisions left out);
    ``decisions``: the links people decided; ``proposed``: the automatic links plus the
    accepted likely matches at ``threshold`` (see :meth:`MatchResult.proposals`), decisions
    left out. ``tp`` a record linked to one of its true accounts, ``fp`` a link to an account
    the truth does not give (or of a record a complete truth gives no account, absent from it
    included), ``fn`` a record with an account left unlinked or linked wrongly (among the
    records not decided by a person for ``auto`` and ``proposed``, among the decided ones for
    ``decisions``). ``complete``: whether a record absent from the truth has no account
    (default: true for a truth file, false for :func:`truth_from_decisions`). Records of the
    truth the match does not know are left out.
    """
    truth_by = _judged(result, truth, complete)
    decided = _decided(result)
    out = {}
    for name, predicted, scope in (
        ("auto", result.links, False),
        ("decisions", result.links, True),
        ("proposed", result.proposals(threshold), False),
    ):
        linked = {s: t for s, t in _pairs(predicted) if s in truth_by and (s in decided) == scope}
        tp = sum(1 for s, t in linked.items() if t in truth_by[s])
        fp = len(linked) - tp
        fn = sum(
            1
            for s, accounts in truth_by.items()
            if (s in decided) == scope and accounts and linked.get(s) not in accounts
        )
        out[name] = Metrics(tp, fp, fn)
    return out


def confusion(result: MatchResult, truth: pd.DataFrame, *, complete: bool | None = None) -> pd.DataFrame:
    """Records the truth speaks for (all records when it is complete, see :func:`evaluate`), by
    what was done (rows: ``linked right``, ``linked wrong`` for the automatic links, ``decided
    right``, ``decided wrong`` for the links people decided, then ``conflict``, ``create``,
    ``excluded``) and whether the truth has an account (columns ``has an account``, ``has none``);
    int counts."""
    truth_by = _judged(result, truth, complete)
    rec = result.records[result.records["source_id"].isin(truth_by)]
    rows = ["linked right", "linked wrong", "decided right", "decided wrong", "conflict", "create", "excluded"]
    table = pd.DataFrame(0, index=rows, columns=["has an account", "has none"])
    for r in rec.itertuples(index=False):
        expected = truth_by[r.source_id]
        column = "has an account" if expected else "has none"
        if r.category == "excluded":
            row = "excluded"
        elif r.category == "conflict":
            row = "conflict"
        elif r.action == "create":
            row = "create"
        else:
            verb = "decided" if r.rule == "decision" else "linked"
            row = f"{verb} right" if r.target_id in expected else f"{verb} wrong"
        table.loc[row, column] += 1
    return table


def disagreements(result: MatchResult, truth: pd.DataFrame, *, complete: bool | None = None) -> pd.DataFrame:
    """The records where what was done and the truth differ, to inspect: ``source_id``,
    ``category``, ``action``, ``predicted`` (the account linked, if any), ``expected`` (the
    truth's accounts, comma-separated, if any), ``by`` (``automatic`` or ``decision``),
    ``score``, ``reason``. Records judged as in :func:`evaluate`."""
    truth_by = _judged(result, truth, complete)
    rec = result.records[result.records["source_id"].isin(truth_by)].copy()
    linked = rec["action"].isin(["link", "update", "none"]) & rec["category"].isin(["new", "synced"])
    rec["predicted"] = rec["target_id"].where(linked, None)
    rec["expected"] = [", ".join(sorted(truth_by[s])) or None for s in rec["source_id"]]
    rec["by"] = np.where(rec["rule"] == "decision", "decision", "automatic")
    agree = [
        (p in truth_by[s]) if isinstance(p, str) else not truth_by[s]
        for s, p in zip(rec["source_id"], rec["predicted"], strict=True)
    ]
    out = rec[~np.asarray(agree, dtype=bool) & (rec["category"] != "excluded").to_numpy()]
    columns = ["source_id", "category", "action", "predicted", "expected", "by", "score", "reason"]
    return out[columns].reset_index(drop=True)


def threshold_sweep(result: MatchResult, thresholds: list[float] | None = None) -> pd.DataFrame:
    """For each score threshold: ``threshold``, ``auto_links`` (every link of the match,
    whatever the threshold: by evidence, by a person's decision or by an earlier sync;
    :func:`evidence_links` leaves out the last), ``accepted`` (name conflicts whose untied likely
    match scores at least the threshold: what *accept all above a score* would link),
    ``review`` (the other conflicts); counts are ints."""
    thresholds = list(range(50, 101, 5)) if thresholds is None else thresholds
    conflicts = int((result.records["category"] == "conflict").sum())
    rows = []
    for t in thresholds:
        proposals = result.proposals(float(t))
        accepted = int((proposals["kind"] == "review").sum())
        rows.append(
            {
                "threshold": float(t),
                "auto_links": len(result.links),
                "accepted": accepted,
                "review": conflicts - accepted,
            }
        )
    return pd.DataFrame(rows, columns=["threshold", "auto_links", "accepted", "review"])


def evidence_links(result: MatchResult) -> pd.DataFrame:
    """The links made by evidence: ``result.links`` whose ``rule`` is one of
    :data:`EVIDENCE_RULES` (a Payfit ID, a matricule, the email, a person's decision); an
    earlier sync's links (the synced set, rule ``ledger``) left out. Columns as ``result.links``."""
    links = result.links
    return links[links["rule"].isin(EVIDENCE_RULES)].reset_index(drop=True)


def score_distribution(result: MatchResult) -> pd.DataFrame:
    """One row per record with a score: ``set`` (new, synced, conflict, excluded), ``score``
    (float); for a chart of the scores per set. The records with no score are left out:
    :func:`unscored` counts them."""
    rec = result.records[result.records["score"].notna()]
    return pd.DataFrame({"set": rec["category"].to_numpy(), "score": rec["score"].astype(float).to_numpy()})


def unscored(result: MatchResult) -> dict[str, int]:
    """How many records have no score, per set: ``{set: n}`` for the sets that have some, in
    the sets' order (new, synced, conflict, excluded). A record has no score when no single
    candidate account is scored for it: a record to create (no account matched it), an
    excluded one, a conflict whose evidence points to several accounts (an email or identifier
    on several, an account the ledger gives to several records) or to an account gone, a link a
    person decided to an account blocking never paired with it. :func:`score_distribution`
    leaves them out."""
    vc = result.records.loc[result.records["score"].isna(), "category"].value_counts()
    return {c: int(vc[c]) for c in CATEGORIES if vc.get(c, 0)}


def explain_pair(result: MatchResult, source_id: str, target_id: str) -> pd.DataFrame:
    """What each field added to a pair's score: ``field`` (name, birth date, phone, matricule),
    ``points`` (float, negative when it counts against); the score is their sum, clipped to
    0-100. Raises :class:`InputError` when the pair was never a candidate."""
    cand = result.candidates
    pair = cand[(cand["source_id"] == source_id) & (cand["target_id"] == target_id)]
    if pair.empty:
        raise InputError(f"{source_id} and {target_id} were never compared (no blocking rule paired them)")
    p = pair.iloc[0]
    return pd.DataFrame(
        {
            "field": ["name", "birth date", "phone", "matricule"],
            "points": [
                float(p["name_points"]),
                float(p["birthdate_points"]),
                float(p["phone_points"]),
                float(p["matricule_points"]),
            ],
        }
    )


def blocking_recall(result: MatchResult, truth: pd.DataFrame | None = None) -> pd.DataFrame:
    """The blocking report (``MatchResult.blocking``) with, when ``truth`` is given,
    ``true_pairs``: how many true pairs each rule was the strongest to find, and a last row
    ``missed`` counting the true pairs no rule paired (they could never be linked)."""
    report = result.blocking.copy()
    if truth is None:
        return report
    true_pairs = _pairs(truth)
    cand = result.candidates
    found = cand[[p in true_pairs for p in zip(cand["source_id"], cand["target_id"], strict=True)]]
    per_rule = found["rule"].value_counts()
    report["true_pairs"] = report["rule"].map(per_rule).fillna(0).astype(int)
    missed = len(true_pairs) - len(found)
    extra = pd.DataFrame([{"rule": "missed", "description": "true pairs no rule paired", "true_pairs": missed}])
    return pd.concat([report, extra], ignore_index=True)


def blocking_recall_rate(result: MatchResult, truth: pd.DataFrame) -> float:
    """Blocking recall: the share (0.0-1.0) of the truth's pairs (``source_id``, ``target_id``,
    both set) that are among ``result.candidates``; 1.0 when the truth has no pair. Truth pairs
    of records or accounts the match does not know count as missed."""
    true_pairs = _pairs(truth)
    if not true_pairs:
        return 1.0
    cand = result.candidates
    found = true_pairs & set(zip(cand["source_id"], cand["target_id"], strict=True))
    return len(found) / len(true_pairs)
