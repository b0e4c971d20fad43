"""Typed values that cross the library's boundaries (frozen dataclasses).

Field names are Equify's canonical names (``shared/domain.md`` §5). Payfit
column names are those of the flattened collaborator table
(:data:`reconcile.payfit.PAYFIT_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

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


@dataclass(frozen=True)
class FieldMapping:
    """Which Payfit column feeds each Equify field (``None``: not synced).

    ``pairs`` keeps Equify's field order: ``(("firstName", "firstName"), ...)``.
    """

    pairs: tuple[tuple[str, str | None], ...]

    @classmethod
    def default(cls) -> FieldMapping:
        """The default mapping: each Equify field from the Payfit column of the same name."""
        return cls(tuple((f, f) for f in EQUIFY_FIELDS))

    @classmethod
    def from_dict(cls, mapping: dict[str, str | None]) -> FieldMapping:
        """Build from ``{equify_field: payfit_column_or_None}``, keeping Equify's order."""
        known = [f for f in EQUIFY_FIELDS if f in mapping]
        extra = [f for f in mapping if f not in EQUIFY_FIELDS]
        return cls(tuple((f, mapping[f] or None) for f in known + extra))

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


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the matcher (scores are 0-100).

    ``name_threshold``: a name score at or above it makes an Equify account a
    candidate (a *conflict*, never an automatic link); birth date and phone
    agreement (``birthdate_bonus``, ``birthdate_penalty``, ``phone_bonus``) only
    move the pair's score, which ranks candidates. ``max_block_size``: a loose
    name blocking key (a surname, its token, prefix or suffix) shared by more accounts
    than this is not used; exact name, email, phone and identifier keys always are. ``names_disagree_below``:
    an email match whose name score is below it is a conflict (shared or
    recycled mailbox). ``tie_margin``: candidates within it of the best score tie.
    """

    default_region: str = "FR"
    name_threshold: float = 88.0
    names_disagree_below: float = 60.0
    tie_margin: float = 0.5
    birthdate_bonus: float = 5.0
    birthdate_penalty: float = 20.0
    phone_bonus: float = 5.0
    max_block_size: int = 200

    def with_(self, **changes: object) -> MatchSettings:
        """A copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Decision:
    """A person's decision about one Payfit record: link to ``target_id``, create, or exclude."""

    source_id: str
    action: DecisionAction
    target_id: str | None = None


@dataclass(frozen=True)
class MatchResult:
    """What :func:`reconcile.match` returns.

    * ``records``: one row per source record in scope: ``source_id`` (str),
      ``category`` (new|synced|conflict|excluded), ``action``
      (create|link|update|none), ``target_id`` (str or None), ``score``
      (float 0-100 or NaN), ``rule`` (str: ledger, decision, payfit_id,
      matricule, email, name, none), ``reason`` (words, empty when none).
    * ``links``: the one-to-one links: ``source_id``, ``target_id``, ``score``, ``rule``.
    * ``candidates``: every scored candidate pair: ``source_id``, ``target_id``,
      ``score``, ``name_score``, ``email_equal``, ``phone_agree``,
      ``birthdate_equal``, ``rule`` (the blocking rule that found it).
    """

    records: pd.DataFrame
    links: pd.DataFrame
    candidates: pd.DataFrame
    settings: MatchSettings = field(default_factory=MatchSettings)

    def counts(self) -> dict[str, int]:
        """``{"new": n, "synced": n, "conflict": n, "excluded": n}``."""
        vc = self.records["category"].value_counts()
        return {c: int(vc.get(c, 0)) for c in CATEGORIES}


@dataclass(frozen=True)
class Move:
    """A record that changed set after an edit or decision, for the user's message."""

    source_id: str
    name: str
    before: str
    after: str
