"""Payfit exports as flat files (CSV or XLSX): one collaborator a row.

The API dump (:mod:`reconcile.sources.payfit`) is the primary source; this reads the
spreadsheet a payroll admin exports instead, into the same table
(:data:`~reconcile.sources.payfit.PAYFIT_COLUMNS`), so matching and the workspace
treat both alike. Files are read by :func:`reconcile.sources.files.read_table`
(encodings, delimiters, title lines, French and English headers, text only).

What a flat file cannot say, and what is done about it:

* **ids**: the ``id`` column when there is one (an empty or repeated id is an
  error naming its line). Without it, each row's id is its matricule, else
  ``email:<normalised email>``, else ``row-<line>``: stable across re-imports
  of the same file, and the matricule and the email stay stable when rows are
  added or moved. Two rows sharing an email (a shared mailbox, case E2) both get
  ``row-<line>`` ids, so that the matcher reports the duplicate email as a
  conflict instead of the file being refused; a repeated matricule is an error.
* **names**: ``firstName`` and ``lastName`` columns, or one full-name column
  (``nom complet``, ``full name``, ``salarié``...). Which words of a full name
  are the first name is ambiguous (``DUPONT Jean``, ``Jean DUPONT``), so it is
  kept whole in ``lastName`` with ``firstName`` empty: the matcher compares
  names in any word order (case N2), and a warning says so.
* **status**: ``leaver`` when the termination date is before ``today``, else
  ``active``. A file has no contracts, so ``isAdminWithoutContract`` is false
  and ``contractStatus`` comes from a column only if there is one.
* **email**: the personal email column, else a generic email column, else the
  professional one (Payfit collects the personal email in France); ``emailType``
  says which (``None`` for a generic column).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections import defaultdict
from typing import Any

import pandas as pd

from ..matching.normalize import clean_text, normalize_date, normalize_email
from .files import FileRead, Source, check_unique, read_table
from .payfit import PAYFIT_COLUMNS

__all__ = ["PAYFIT_HEADERS", "read_payfit_export", "read_payfit_file"]

log = logging.getLogger(__name__)

_EMAILS = ("e-mail", "mail", "courriel", "adresse email", "adresse e-mail", "email address")
_PHONES = ("téléphone", "tel", "phone", "phone number", "portable", "mobile", "numéro de téléphone")
#: Header aliases of each field of a flat Payfit export (its own name always matches), compared by
#: :func:`reconcile.sources.files.header_key`. ``fullName`` is read into ``lastName`` (see the module docstring).
PAYFIT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "payfit id", "id payfit", "collaborator id", "id collaborateur"),
    "matricule": ("matricule", "employee id", "employee number", "numéro de matricule", "n° matricule"),
    "firstName": ("prénom", "first name", "given name"),
    "lastName": ("nom", "last name", "name", "nom de famille", "surname", "family name", "nom d'usage"),
    "fullName": (
        "nom complet",
        "full name",
        "salarié",
        "collaborateur",
        "employé",
        "nom prénom",
        "nom et prénom",
        "prénom nom",
        "prénom et nom",
        "employee",
        "employee name",
    ),
    "birthName": ("nom de naissance", "birth name", "nom de jeune fille", "maiden name"),
    "secondLastName": ("second nom", "second nom de famille", "second last name", "deuxième nom"),
    "birthDate": ("date de naissance", "birth date", "date of birth"),
    "gender": ("genre", "sexe", "gender", "sex"),
    "nationality": ("nationalité", "nationality"),
    "countryOfBirth": ("pays de naissance", "country of birth"),
    "teamName": ("équipe", "team", "team name", "service"),
    "managerId": ("manager id", "id manager"),
    "email": ("email", *_EMAILS),
    "personalEmail": ("email personnel", "e-mail personnel", "personal email", "email perso", "mail personnel"),
    "professionalEmail": (
        "email professionnel",
        "e-mail professionnel",
        "professional email",
        "work email",
        "email pro",
        "mail professionnel",
    ),
    "phoneNumber": _PHONES,
    "address": ("adresse", "address", "adresse postale"),
    "postcode": ("code postal", "postcode", "postal code", "cp", "zip", "zip code"),
    "city": ("ville", "city", "commune"),
    "country": ("pays", "country"),
    "contractStatus": ("statut du contrat", "contract status"),
    "jobName": ("poste", "intitulé du poste", "intitulé de poste", "job title", "job name", "fonction"),
    "contractStartDate": (
        "date d'entrée",
        "date d'embauche",
        "date de début",
        "date de début de contrat",
        "start date",
        "hire date",
        "contract start date",
    ),
    "terminationDate": (
        "date de sortie",
        "date de fin",
        "date de départ",
        "date de fin de contrat",
        "termination date",
        "end date",
    ),
}
_REQUIRED = (("firstName", "lastName"), ("fullName",))
_BOOLS = ("isLeaver", "isAdminWithoutContract")


def _text(row: dict[str, Any], column: str) -> str | None:
    """A cell of a row cleaned once by :func:`read_payfit_file` (``None`` when missing)."""
    value: str | None = row.get(column)
    return value


def _ids(read: FileRead, rows: list[dict[str, Any]], emails: list[str | None]) -> tuple[list[str], list[str]]:
    """The id of each row (see the module docstring) and the warnings about them."""
    where = read.where
    unit = "row" if read.format == "xlsx" else "line"
    if "id" in read.columns:
        given = [_text(row, "id") for row in rows]
        check_unique(given, read.lines, where=where, unit=unit, what="collaborator id")
        return [str(i) for i in given], []
    check_unique(
        [_text(row, "matricule") for row in rows],
        read.lines,
        where=where,
        unit=unit,
        what="matricule",
        required=False,
        hint="; without an id column the matricule is the collaborator's id",
    )
    by_email: dict[str, list[int]] = defaultdict(list)
    for i, (row, email) in enumerate(zip(rows, emails, strict=True)):
        if _text(row, "matricule") is None and email is not None:
            by_email[email].append(i)
    ids = []
    kinds: dict[str, int] = defaultdict(int)
    shared = {i for rows_ in by_email.values() if len(rows_) > 1 for i in rows_}
    for i, (line, row, email) in enumerate(zip(read.lines, rows, emails, strict=True)):
        matricule = _text(row, "matricule")
        if matricule is not None:
            ids.append(matricule)
            kinds["the matricule"] += 1
        elif email is not None and i not in shared:
            ids.append(f"email:{email}")
            kinds["email:<email>"] += 1
        else:
            ids.append(f"row-{line}")
            kinds["row-<line>"] += 1
    check_unique(ids, read.lines, where=where, unit=unit, what="id")  # a matricule written like a generated id
    warnings = []
    if rows:
        sources = ", ".join(f"{kind} for {n} row(s)" for kind, n in kinds.items())
        warnings.append(
            f"{read.name}: no id column: ids are {sources}; row-<line> ids stay stable only while the rows keep their order"
        )
    for email, positions in by_email.items():
        if len(positions) > 1:
            lines = ", ".join(str(read.lines[p]) for p in positions)
            warnings.append(f"{read.name}: {unit}s {lines} share the email {email}: their ids are row-<line>")
    return ids, warnings


def read_payfit_file(source: Source, *, name: str | None = None, today: dt.date | None = None) -> FileRead:
    """Read a flat Payfit export (CSV or XLSX); ``frame`` has exactly :data:`PAYFIT_COLUMNS`.

    Every column is text (``None`` when missing) except ``isLeaver`` and
    ``isAdminWithoutContract`` (bool); ``raw`` is the row as JSON, keyed by the
    file's own headers. Required: first and last name columns, or one full-name
    column. ids, names, status and email follow the module docstring.

    Raises :class:`InputError` naming the file, and the line for a bad row.
    """
    today = today or dt.date.today()
    read = read_table(source, name=name, expected=PAYFIT_HEADERS, required=_REQUIRED)
    warnings = list(read.warnings)
    headers = {c: read.columns.get(c, c) for c in read.frame.columns}  # field → header as written
    raw_rows: list[dict[str, Any]] = read.frame.to_dict("records")
    rows = [{c: clean_text(v) for c, v in row.items()} for row in raw_rows]  # each cell cleaned once
    full_name_only = not ("firstName" in read.columns and "lastName" in read.columns)
    if full_name_only:
        warnings.append(
            f"{read.name}: the names come from the full-name column {read.columns['fullName']!r}, kept whole as the "
            "last name (which words are the first name is ambiguous); matching compares them in any word order"
        )
    emails: list[str | None] = []
    email_types: list[str | None] = []
    for row in rows:
        for column, kind in (("personalEmail", "personal"), ("email", None), ("professionalEmail", "professional")):
            value = _text(row, column)
            if value is not None:
                emails.append(value)
                email_types.append(kind)
                break
        else:
            emails.append(None)
            email_types.append(None)
    ids, id_warnings = _ids(read, rows, [normalize_email(e) for e in emails])
    warnings.extend(id_warnings)
    out: list[dict[str, Any]] = []
    for line, row, raw_row, id_, email, email_type in zip(
        read.lines, rows, raw_rows, ids, emails, email_types, strict=True
    ):
        termination_text = _text(row, "terminationDate")
        termination = normalize_date(termination_text)
        if termination_text is not None and termination is None:
            warnings.append(
                f"{read.where(line)}: termination date {termination_text!r} is not a date (ISO or dd/mm/yyyy); "
                "the collaborator is counted as active"
            )
        is_leaver = bool(termination and termination < today.isoformat())
        record: dict[str, Any] = {c: _text(row, c) for c in PAYFIT_COLUMNS if c in read.columns}
        record.update(
            id=id_,
            firstName=None if full_name_only else _text(row, "firstName"),
            lastName=_text(row, "fullName") if full_name_only else _text(row, "lastName"),
            birthDate=normalize_date(row.get("birthDate")) or _text(row, "birthDate"),
            email=email,
            emailType=email_type,
            contractStartDate=normalize_date(row.get("contractStartDate")) or _text(row, "contractStartDate"),
            terminationDate=termination or termination_text,
            status="leaver" if is_leaver else "active",
            isLeaver=is_leaver,
            isAdminWithoutContract=False,
            raw=json.dumps({headers[c]: raw_row[c] for c in read.frame.columns}, ensure_ascii=False),
        )
        out.append(record)
    frame = pd.DataFrame(out, columns=list(PAYFIT_COLUMNS))
    text_columns = [c for c in PAYFIT_COLUMNS if c not in _BOOLS]
    frame[text_columns] = frame[text_columns].astype(object)
    frame = frame.where(frame.notna(), None)
    frame[list(_BOOLS)] = frame[list(_BOOLS)].astype(bool)
    return dataclasses.replace(read, frame=frame, warnings=tuple(warnings))


def read_payfit_export(source: Source, *, name: str | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """:func:`read_payfit_file`'s table only (its warnings are logged)."""
    read = read_payfit_file(source, name=name, today=today)
    for warning in read.warnings:
        log.warning("%s", warning)
    return read.frame
