"""Typed values that cross the library's boundaries (frozen dataclasses).

Field names are Equify's canonical names (``shared/domain.md`` §5). Payfit
column names are those of the flattened collaborator table
(:data:`reconcile.sources.payfit.PAYFIT_COLUMNS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd
import phonenumbers

from .exceptions import InputError

#: Equify account fields the workbench knows, in Equify's column order.
EQUIFY_FIELDS: tuple[str, ...] = (
    "firstName",
    "lastName",
    "email",
    "phoneNumber",
    "birthDate",
    "matricule",
    "nationality",
    "address",
    "postcode",
    "city",
    "country",
)
#: Fields that must be mapped before matching can run.
REQUIRED_FIELDS: tuple[str, ...] = ("firstName", "lastName")
#: Fields that are strongly recommended (a warning when unmapped).
RECOMMENDED_FIELDS: tuple[str, ...] = ("email",)

Category = Literal["new", "synced", "conflict", "excluded"]
Action = Literal["create", "link", "update", "none"]
CATEGORIES: tuple[str, ...] = ("new", "synced", "conflict", "excluded")
DecisionAction = Literal["link", "create", "exclude"]


@dataclass(frozen=True)
class MappingIssue:
    """One problem found in a field mapping; ``level`` is ``error`` or ``warning``."""

    level: Literal["error", "warning"]
    field: str
    message: str


#: Transforms a mapped value goes through before matching and the push (see :mod:`reconcile.sources.mapping`).
TRANSFORMS: tuple[str, ...] = ("none", "trim", "upper", "lower", "title", "phone_e164", "date_iso")


#: Fields a mapping may feed for matching only: alternate last names (the birth or maiden name,
#: a second last name), compared with the account's last name, never pushed to Equify.
MATCH_ONLY_FIELDS: tuple[str, ...] = ("birthName", "secondLastName")


@dataclass(frozen=True)
class FieldMapping:
    """Which Payfit column feeds each Equify field (``None``: not synced).

    ``pairs`` keeps Equify's field order: ``(("firstName", "firstName"), ...)``.
    """

    pairs: tuple[tuple[str, str | None], ...]
    #: ``((equify_field, transform), ...)`` for fields whose transform is not ``none``.
    transforms: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for f, t in self.transforms:
            if t not in TRANSFORMS:
                raise InputError(f"the transform of {f} is {t!r}, not one of {', '.join(TRANSFORMS)}")

    @classmethod
    def default(cls) -> FieldMapping:
        """The default mapping: each Equify field, and each match-only field
        (:data:`MATCH_ONLY_FIELDS`: Payfit's ``birthName`` and ``secondLastName``, compared
        with the account's last name, never pushed), from the Payfit column of the same name."""
        return cls(tuple((f, f) for f in (*EQUIFY_FIELDS, *MATCH_ONLY_FIELDS)))

    @classmethod
    def from_dict(cls, mapping: dict[str, str | None], transforms: dict[str, str] | None = None) -> FieldMapping:
        """Build from ``{equify_field: payfit_column_or_None}`` and ``{equify_field: transform}``,
        keeping Equify's order. Raises :class:`InputError` for an unknown transform."""
        known = [f for f in EQUIFY_FIELDS if f in mapping]
        extra = [f for f in mapping if f not in EQUIFY_FIELDS]
        order = known + extra
        kept = {f: t for f, t in (transforms or {}).items() if t and t != "none"}
        return cls(
            tuple((f, mapping[f] or None) for f in order),
            tuple((f, kept[f]) for f in sorted(kept, key=lambda f: order.index(f) if f in order else len(order))),
        )

    def transform(self, field: str) -> str:
        """The transform of ``field`` (``none`` when it has none)."""
        return dict(self.transforms).get(field, "none")

    def as_dict(self) -> dict[str, str | None]:
        """``{equify_field: payfit_column_or_None}``."""
        return dict(self.pairs)

    def mapped(self) -> dict[str, str]:
        """Only the mapped pairs ``{equify_field: payfit_column}``."""
        return {k: v for k, v in self.pairs if v}

    def issues(self, available: list[str] | tuple[str, ...] | None = None) -> list[MappingIssue]:
        """Errors (required field unmapped, unknown column) and warnings (email unmapped)."""
        out: list[MappingIssue] = []
        mapped = self.mapped()
        for f in REQUIRED_FIELDS:
            if f not in mapped:
                out.append(MappingIssue("error", f, f"{f} is required: choose the Payfit field that feeds it"))
        for f in RECOMMENDED_FIELDS:
            if f not in mapped:
                out.append(
                    MappingIssue(
                        "warning", f, f"{f} is not mapped: every match will fall back to names and end in review"
                    )
                )
        if available is not None:
            for f, col in mapped.items():
                if col not in available:
                    out.append(MappingIssue("error", f, f"{f} ← {col}: there is no Payfit field named {col!r}"))
        return out


@dataclass(frozen=True)
class Relation:
    """Which Payfit collaborators are synced (Equify's *relation* step).

    Active employees always; leavers (``terminationDate`` in the past) and
    people without any contract (typically admins) only when asked for.
    """

    include_leavers: bool = False
    include_without_contract: bool = False
    relation: str = "employee"

    def statuses(self) -> tuple[str, ...]:
        """Employment statuses in scope: subset of ``active``, ``leaver``, ``no_contract``."""
        out = ["active"]
        if self.include_leavers:
            out.append("leaver")
        if self.include_without_contract:
            out.append("no_contract")
        return tuple(out)


# MatchSettings fields that are scores (0-100), and those that are weights or points.
_SCORE_SETTINGS = (
    "name_threshold",
    "names_disagree_below",
    "first_name_agree",
    "proposal_threshold",
    "compound_surname_score",
    "doubt_name_score",
)
_POINT_SETTINGS = (
    "tie_margin",
    "name_weight",
    "birthdate_bonus",
    "birthdate_penalty",
    "birthdate_swapped_bonus",
    "phone_bonus",
    "matricule_penalty",
)


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the matcher (scores are 0-100).

    ``name_threshold``: a name score at or above it makes an Equify account a
    candidate (a *conflict*, never an automatic link). A pair's ``score`` (0-100,
    clipped) weighs all the evidence and ranks the candidates: ``name_weight`` ×
    the name score, then points: birth dates equal ``+birthdate_bonus``, equal but
    for a day/month swap ``+birthdate_swapped_bonus``, different ``-birthdate_penalty``;
    phones agreeing (E.164 and country) ``+phone_bonus``; two different matricules
    ``-matricule_penalty`` (a matricule is unique in a payroll). Empty values give no
    points. With the defaults the same name alone scores 80, with the same phone or
    birth date 90, with both 100. ``proposal_threshold``: a conflict's best candidate
    scoring at least this (and not tied) is presented as the likely match.
    ``compound_surname_score``: the name score of two names with the same first
    name where one compound last name contains the other (``Martin-Dupont`` / ``Dupont``).
    ``max_block_pairs``: a loose
    blocking key (a last name with an initial, a name word, prefix or suffix, initials
    with a birth date) whose block (records × accounts sharing it) would give more
    pairs than this is not used. ``max_exact_block_pairs``: the same for an exact key
    (email, phone, identifier, whole name) shared by very many records on both sides (a
    switchboard number, a placeholder matricule); records whose whole name is crowded out
    become conflicts saying so, never creates. ``names_disagree_below``:
    an email or matricule match whose name score is below it, or whose first names
    are less similar than ``first_name_agree`` (or differ by a feminine/masculine
    ending: Jean/Jeanne), is a conflict (shared or recycled mailbox); so is an email
    match whose birth dates or matricules differ. ``tie_margin``: candidates within it of the best score tie.

    Only clearly different values lose points: a *near* birth date or matricule (one digit
    changed, two adjacent digits swapped, other case or separators, leading zeros; see
    :func:`reconcile.matching.normalize.near_date`) gives 0 points, like a missing one.

    ``doubt`` (bool): the plausibility floor: a record is created only when no account is a
    plausible candidate; a record with one is a *conflict* (rule ``doubt``) whose reason says
    why in words ("possible match: given name shortened"). A pair below ``name_threshold`` is
    plausible when the names may be one person's (:func:`reconcile.matching.names.name_relation`), the
    emails are near-identical (:func:`reconcile.matching.normalize.email_near`), or its name score is at
    least ``doubt_name_score`` (0-100) and it has the same or a near birth date, the same usable
    phone or a near-identical matricule. ``False`` gives the policy without the floor (for
    comparisons).

    ``set_aside`` (bool): a pair that is clearly two people is never a candidate, not even
    of the same name (``docs/doubt_policy.md`` §4): nothing corroborates it (no equal or near
    email, agreeing phone, equal or near matricule), and its birth dates clearly differ (both
    real dates, not a typo or a day/month swap apart; placeholders such as ``1900-01-01`` are
    no evidence), or it has no same or near birth date and another record of the match claims
    the account by stronger evidence (its Payfit id, matricule, or the same email with
    agreeing names). A record left without candidates is created, and its reason names the
    namesake set aside. ``False`` makes such namesakes conflicts again. A namesake already
    linked to another record (by an earlier sync, its Payfit id or a decision) stays a conflict
    (``domain.md`` §5's reason "shares a name with an account already linked").
    """

    default_region: str = "FR"
    name_threshold: float = 88.0
    names_disagree_below: float = 60.0
    first_name_agree: float = 75.0
    tie_margin: float = 0.5
    name_weight: float = 0.8
    birthdate_bonus: float = 10.0
    birthdate_penalty: float = 30.0
    birthdate_swapped_bonus: float = 5.0
    phone_bonus: float = 10.0
    matricule_penalty: float = 30.0
    proposal_threshold: float = 70.0
    compound_surname_score: float = 90.0
    max_block_pairs: int = 100
    max_exact_block_pairs: int = 100_000
    doubt: bool = True
    doubt_name_score: float = 50.0
    set_aside: bool = True

    def __post_init__(self) -> None:
        for flag in ("doubt", "set_aside"):
            if not isinstance(getattr(self, flag), bool):
                raise InputError(f"MatchSettings.{flag} must be true or false, not {getattr(self, flag)!r}")
        for name in (*_SCORE_SETTINGS, *_POINT_SETTINGS):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError(f"MatchSettings.{name} must be a finite number, not {value!r}")
        for name in _SCORE_SETTINGS:
            if not 0 <= getattr(self, name) <= 100:
                raise InputError(f"MatchSettings.{name} is a score from 0 to 100, not {getattr(self, name)!r}")
        for name in _POINT_SETTINGS:  # a penalty is written as a positive number of points
            if getattr(self, name) < 0:
                raise InputError(f"MatchSettings.{name} must be ≥ 0, not {getattr(self, name)!r}")
        for name, least in (("max_block_pairs", 0), ("max_exact_block_pairs", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise InputError(f"MatchSettings.{name} must be a whole number ≥ {least}, not {value!r}")
        if not (isinstance(self.default_region, str) and self.default_region.upper() in phonenumbers.SUPPORTED_REGIONS):
            raise InputError(
                f"MatchSettings.default_region must be a country code such as 'FR', not {self.default_region!r}"
            )

    def with_(self, **changes: object) -> MatchSettings:
        """A copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Decision:
    """A person's decision about one Payfit record: link to ``target_id``, create, or exclude."""

    source_id: str
    action: DecisionAction
    target_id: str | None = None

    def __post_init__(self) -> None:
        if self.action not in ("link", "create", "exclude"):
            raise InputError(f"a decision is link, create or exclude, not {self.action!r}")
        if self.source_id is None or str(self.source_id).strip() == "":
            raise InputError("a decision needs the Payfit record's id")
        if self.action == "link" and (self.target_id is None or str(self.target_id).strip() == ""):
            raise InputError(f"the link decision for {self.source_id!r} names no Equify account")
        if self.action != "link" and self.target_id is not None:
            raise InputError(f"a {self.action} decision names no Equify account (got {self.target_id!r})")


@dataclass(frozen=True)
class MatchResult:
    """What :func:`reconcile.match` returns.

    * ``records``: one row per source record in scope: ``source_id`` (str),
      ``category`` (new|synced|conflict|excluded), ``action``
      (create|link|update|none), ``target_id`` (str or None), ``score``
      (float 0-100 or NaN), ``rule`` (str: ledger, decision, payfit_id,
      matricule, email, name, doubt, none), ``reason`` (words, empty when none; a *doubt*
      conflict's reason says what makes its account a plausible candidate, "possible match:
      given name shortened: Anne Petit (e12)", and names the other plausible accounts).
    * ``links``: the one-to-one links: ``source_id``, ``target_id``, ``score``, ``rule``.
    * ``candidates``: every scored candidate pair, best first within each record,
      with its per-field breakdown: ``source_id``, ``target_id``, ``score`` (float
      0-100), ``name_score`` (float 0-100, NaN when either name is empty),
      ``email_equal``, ``phone_agree``, ``birthdate_equal`` (True/False/None: None
      when either value is missing), ``birthdate_match`` (exact, swapped, near, differ or
      None), ``matricule_equal`` (True/False/None), ``matricule_match`` (exact, near, differ
      or None), ``email_near`` (why two different emails reach one mailbox, or None),
      ``name_relation`` (how the names may be one person's: a kind of
      :data:`reconcile.matching.names.NAME_RELATION_KINDS`, or None; computed only for the pairs
      below ``name_threshold`` of records no stronger rule speaks for), ``doubt`` (the words
      that make the pair a plausible candidate, or None), then what each field added to the
      score (float): ``name_points``, ``birthdate_points``, ``phone_points``,
      ``matricule_points``; ``rule`` (the strongest blocking rule that found the pair, see
      :data:`reconcile.matching.matcher.BLOCKING_RULES`).
    * ``blocking``: one row per blocking rule: ``rule``, ``description``,
      ``pairs`` (int: distinct pairs the rule produced), ``strongest`` (int: pairs
      it was the strongest rule for; they sum to ``len(candidates)``) and
      ``crowded_keys`` (int: loose keys dropped because their block would give over
      ``max_block_pairs`` pairs).
    """

    records: pd.DataFrame
    links: pd.DataFrame
    candidates: pd.DataFrame
    settings: MatchSettings = field(default_factory=MatchSettings)
    blocking: pd.DataFrame = field(default_factory=pd.DataFrame)

    def proposals(self, threshold: float | None = None) -> pd.DataFrame:
        """The pairs the matcher stands behind, one per source record at most.

        Every automatic link (``kind`` ``auto``) and, for each name conflict whose best
        candidate scores at least ``threshold`` (default ``settings.proposal_threshold``),
        is not tied with another candidate and is not linked to another record, that
        pair (``kind`` ``review``: a person still decides). Columns: ``source_id``,
        ``target_id`` (str), ``score`` (float), ``kind`` (str). Used by the benchmarks'
        precision and recall and to pre-select the likely match in review.
        """
        threshold = self.settings.proposal_threshold if threshold is None else threshold
        rec, cand = self.records, self.candidates
        auto = self.links.assign(kind="auto")[["source_id", "target_id", "score", "kind"]]
        review = rec[
            (rec["category"] == "conflict")
            & (rec["rule"] == "name")
            & rec["target_id"].notna()
            & (rec["score"] >= threshold)
            & ~rec["target_id"].isin(self.links["target_id"])
        ]
        if not review.empty:
            named = cand[
                cand["source_id"].isin(review["source_id"]) & (cand["name_score"] >= self.settings.name_threshold)
            ]
            best = named.groupby("source_id")["score"].transform("max")
            close = named[named["score"] >= best - self.settings.tie_margin].groupby("source_id").size()
            review = review[review["source_id"].map(close).fillna(0).eq(1)]
        review = review.assign(kind="review")[["source_id", "target_id", "score", "kind"]]
        return pd.concat([auto, review], ignore_index=True)

    def counts(self) -> dict[str, int]:
        """``{"new": n, "synced": n, "conflict": n, "excluded": n}``."""
        vc = self.records["category"].value_counts()
        return {c: int(vc.get(c, 0)) for c in CATEGORIES}

    def _repr_html_(self) -> str:
        """Jupyter's view: the counts per set and the first conflicts with their reasons."""
        from .display import match_result_html

        return match_result_html(self.records, len(self.links))


@dataclass(frozen=True)
class Move:
    """A record that changed set after an edit or decision, for the user's message."""

    source_id: str
    name: str
    before: str
    after: str


@dataclass(frozen=True)
class RejectedEdit:
    """An edit of an Equify account refused (nothing written for it): ``account_id``, ``field``
    (an Equify field name), the ``value`` typed, and ``message``, why in words."""

    account_id: str
    field: str
    value: str | None
    message: str
