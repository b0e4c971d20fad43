"""The field mapping step: transforms, suggestions by column name, and mapping profiles.

* :func:`apply_transform` / :func:`transform_frame`: what a mapped value becomes before
  matching and the push (``trim``, ``upper``, ``lower``, ``title``, ``phone_e164``,
  ``date_iso``; see :data:`reconcile.models.TRANSFORMS`).
* :func:`suggest_mapping`: which source column feeds each Equify field, by name similarity
  in French and English (``prénom`` / ``firstName``, ``téléphone`` / ``phoneNumber``, ...).
* :func:`profile_json` / :func:`read_profile`: a mapping and relation saved as a JSON
  file, so a migration can reuse it.

Besides Equify's fields a mapping may name the *match-only* fields
(:data:`MATCH_ONLY_FIELDS`: Payfit's ``birthName`` and ``secondLastName``): read for
matching as alternate last names (a married name in ``lastName``, the maiden name in
``birthName``), never written to Equify as fields of their own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from ..exceptions import InputError
from ..matching.normalize import clean_text, normalize_date
from ..matching.values import sendable_phone
from ..models import EQUIFY_FIELDS, MATCH_ONLY_FIELDS, TRANSFORMS, FieldMapping, Relation
from .files import parse_error_text

__all__ = [
    "MAPPING_FIELDS",
    "MATCH_ONLY_FIELDS",
    "PROFILE_VERSION",
    "apply_transform",
    "profile_json",
    "read_profile",
    "suggest_mapping",
    "transform_frame",
]

#: The version written in mapping profiles; :func:`read_profile` reads this one.
PROFILE_VERSION = 1
#: Every field a mapping may name, in the order shown: Equify's, then the match-only ones.
MAPPING_FIELDS: tuple[str, ...] = (*EQUIFY_FIELDS, *MATCH_ONLY_FIELDS)

# What each Equify field is called in exports, French and English; the first names win ties.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "firstName": ("firstName", "prénom", "first name", "given name", "forename"),
    "lastName": ("lastName", "nom", "nom de famille", "last name", "surname", "family name", "nom d'usage"),
    "email": ("email", "personalEmail", "e-mail", "mail", "courriel", "adresse e-mail", "email personnel"),
    "phoneNumber": (
        "phoneNumber",
        "téléphone",
        "telephone",
        "tel",
        "phone",
        "mobile",
        "portable",
        "numéro de téléphone",
    ),
    "birthDate": ("birthDate", "date de naissance", "naissance", "birth date", "date of birth", "dob"),
    "matricule": ("matricule", "employee number", "employee id", "numéro de matricule", "registration number"),
    "nationality": ("nationality", "nationalité"),
    "address": ("address", "adresse", "street", "rue"),
    "postcode": ("postcode", "code postal", "postal code", "zip", "zip code", "cp"),
    "city": ("city", "ville", "commune"),
    "country": ("country", "pays"),
    "birthName": ("birthName", "nom de naissance", "nom de jeune fille", "birth name", "maiden name", "née"),
    "secondLastName": ("secondLastName", "second nom", "second nom de famille", "second last name", "deuxième nom"),
}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SUGGEST_AT_LEAST = 85  # rapidfuzz ratio (0-100) for a column name to count as a synonym


def _fold(text: str) -> str:
    """A column name as compared: accents and case removed, separators as spaces, camelCase split."""
    spaced = _CAMEL.sub(" ", text)  # firstName → first Name
    decomposed = unicodedata.normalize("NFKD", spaced.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").replace("-", " ").replace(".", " ").split())


def suggest_mapping(columns: Sequence[str]) -> FieldMapping:
    """The source column that best feeds each Equify field and each match-only field
    (:data:`MATCH_ONLY_FIELDS`), by name (French or English).

    A column whose folded name (no accents, case or separators) equals a synonym wins;
    otherwise the closest synonym at rapidfuzz ratio ≥ 85. Each column feeds one field at
    most; a field without a candidate is not synced (``None``).

    >>> suggest_mapping(["Prénom", "NOM", "E-mail", "Téléphone"]).mapped()
    {'firstName': 'Prénom', 'lastName': 'NOM', 'email': 'E-mail', 'phoneNumber': 'Téléphone'}
    """
    folded = {c: _fold(str(c)) for c in columns}
    scored: list[tuple[float, int, str, str]] = []  # (score, synonym rank, field, column)
    for field in MAPPING_FIELDS:
        for rank, synonym in enumerate(_SYNONYMS.get(field, (field,))):
            target = _fold(synonym)
            for column, name in folded.items():
                score = 100.0 if name == target else fuzz.ratio(name, target)
                if score >= _SUGGEST_AT_LEAST:
                    scored.append((score, -rank, field, column))
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for _score, _rank, field, column in sorted(scored, reverse=True):
        if field not in chosen and column not in used:
            chosen[field] = column
            used.add(column)
    return FieldMapping.from_dict({f: chosen.get(f) for f in MAPPING_FIELDS})


def apply_transform(transform: str, value: Any, *, default_region: str = "FR", hint: Any = None) -> Any:
    """``value`` after ``transform``; empty values stay empty (``None``).

    ``trim``: spaces and invisible characters removed; ``upper`` / ``lower`` / ``title``:
    trimmed, then the case changed (``jean-pierre le gall`` → ``Jean-Pierre Le Gall``);
    ``phone_e164``: E.164 (default region, or the record's country ``hint``) when the number is
    valid there, unchanged when it is only possible, valid only in another country, ambiguous
    or cannot be read (:func:`reconcile.matching.values.sendable_phone`; the mapping step names those); ``date_iso``: ``YYYY-MM-DD``,
    unchanged when it cannot be read. ``none`` returns ``value`` as it is.
    Raises :class:`InputError` for an unknown transform.
    """
    if transform not in TRANSFORMS:
        raise InputError(f"unknown transform {transform!r}: use one of {', '.join(TRANSFORMS)}")
    if transform == "none":
        return value
    text = clean_text(value)
    if text is None:
        return None
    if transform == "upper":
        return text.upper()
    if transform == "lower":
        return text.lower()
    if transform == "title":
        return text.title()
    if transform == "phone_e164":
        # The value itself, not its text: a spreadsheet's float 3.36123E+10 is corrupted, never read.
        return sendable_phone(value, default_region, hint) or text
    if transform == "date_iso":
        return normalize_date(text) or text
    return text  # trim


def transform_frame(frame: pd.DataFrame, mapping: FieldMapping, *, default_region: str = "FR") -> pd.DataFrame:
    """A copy of a canonical frame (Equify field names, ``_hint`` column) with each field's
    transform applied; fields without a transform are left as they are."""
    out = frame.copy()
    hints = out["_hint"] if "_hint" in out.columns else pd.Series([None] * len(out), index=out.index)
    for field, transform in mapping.transforms:
        if field in out.columns:
            out[field] = [
                apply_transform(transform, v, default_region=default_region, hint=h)
                for v, h in zip(out[field], hints, strict=True)
            ]
    return out


def profile_json(mapping: FieldMapping, relation: Relation) -> str:
    """A mapping profile: the mapping (source column and transform per Equify field) and the
    relation, as indented JSON text (UTF-8 when written to a file)."""
    profile = {
        "version": PROFILE_VERSION,
        "fields": {f: {"source": col, "transform": mapping.transform(f)} for f, col in mapping.pairs},
        "relation": {
            "include_leavers": relation.include_leavers,
            "include_without_contract": relation.include_without_contract,
        },
    }
    return json.dumps(profile, indent=2, ensure_ascii=False) + "\n"


def read_profile(source: str | bytes | Path, *, name: str = "the profile") -> tuple[FieldMapping, Relation]:
    """Read a profile written by :func:`profile_json` (a path, or the file's text or bytes).

    Raises :class:`InputError` naming the file (``name``, or the path) and the field for:
    text that is not JSON, another version, an unknown Equify field, a source that is not
    text, an unknown transform, or relation flags that are not true/false.
    """
    if isinstance(source, Path):
        name = str(source)
        try:
            source = source.read_bytes()
        except OSError as exc:
            raise InputError(f"{name}: cannot be read ({exc.strerror})") from exc
    try:
        data = json.loads(source)
    except RecursionError as exc:
        raise InputError(f"{name} is not a mapping profile: JSON nested too deeply") from exc
    except ValueError as exc:  # not JSON, not UTF-8, or an integer of over 4,300 digits
        raise InputError(f"{name} is not a mapping profile: not JSON ({parse_error_text(exc)})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise InputError(f"{name} is not a mapping profile: it has no 'fields' object")
    if data.get("version") != PROFILE_VERSION:
        raise InputError(f"{name}: profile version {data.get('version')!r}, this workbench reads {PROFILE_VERSION}")
    sources: dict[str, str | None] = {}
    transforms: dict[str, str] = {}
    for field, spec in data["fields"].items():
        if field not in MAPPING_FIELDS:
            raise InputError(f"{name}: {field!r} is not an Equify field ({', '.join(MAPPING_FIELDS)})")
        if not isinstance(spec, dict):
            raise InputError(f"{name}: field {field} must be an object with 'source' and 'transform'")
        col, transform = spec.get("source"), spec.get("transform", "none")
        if col is not None and not isinstance(col, str):
            raise InputError(f"{name}: the source of {field} must be a column name or null, not {col!r}")
        if transform not in TRANSFORMS:
            raise InputError(f"{name}: the transform of {field} is {transform!r}, not one of {', '.join(TRANSFORMS)}")
        sources[field] = col or None
        transforms[field] = transform
    rel = data.get("relation", {})
    flags = (
        {k: rel.get(k, False) for k in ("include_leavers", "include_without_contract")} if isinstance(rel, dict) else {}
    )
    if not isinstance(rel, dict) or not all(isinstance(v, bool) for v in flags.values()):
        raise InputError(f"{name}: 'relation' must hold include_leavers and include_without_contract as true/false")
    return FieldMapping.from_dict(sources, transforms), Relation(**flags)
