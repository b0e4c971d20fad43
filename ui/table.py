"""The review table's view-model on the app side: the rows of one page, and the edits and ticks
``st.data_editor`` reports (its ``edited_rows``: positions in the frame it was given) read back
as account edits and ticked ids. Pure pandas; the library's steps do the writing
(:func:`reconcile.workflow.edit_accounts_and_rematch`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reconcile import workflow
from reconcile.exceptions import InputError
from reconcile.matching.normalize import clean_text
from reconcile.models import MatchSettings, Move
from reconcile.store.workspace import Workspace
from reconcile.workflow import EDITABLE_REVIEW_COLUMNS

__all__ = ["TICK_COLUMN", "TableEdited", "edit_table_and_rematch", "page_of", "table_edits", "table_ticks"]


def page_of(rows: pd.DataFrame, page: int, size: int = 100) -> tuple[pd.DataFrame, int]:
    """Page ``page`` (1-based, clamped) of ``size`` rows, and the number of pages (at least 1)."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, int(page)), pages)
    return rows.iloc[(page - 1) * size : page * size], pages


#: The review table's tick box column: ticked rows are what the bulk actions act on.
TICK_COLUMN = "tick"


def table_edits(shown: pd.DataFrame, edited_rows: Mapping[Any, Mapping[str, Any]]) -> list[tuple[str, str, str | None]]:
    """The account edits typed in a review table: ``(account_id, field, value)`` per edited cell.

    ``shown`` is the frame exactly as it was displayed (after filtering and paging);
    ``edited_rows`` maps a row's position in it to ``{column: new value}`` (the
    ``st.data_editor`` state, whose positions are those of the data it was given, whatever
    the sorting on screen). Each row is identified by its ``target_id``, so an edit never
    lands on another account. Raises :class:`InputError` for a column that cannot be edited,
    a position outside ``shown`` or a row without an Equify account.
    """
    return [_cell_edit(shown, position, column, value) for position, column, value in _cells(edited_rows)]


def _cells(edited_rows: Mapping[Any, Mapping[str, Any]]) -> list[tuple[int, str, Any]]:
    """``(position, column, value)`` of each edited cell, ticks left out (see :func:`table_ticks`)."""
    return [
        (int(position), str(column), value)
        for position, changes in edited_rows.items()
        for column, value in changes.items()
        if column != TICK_COLUMN
    ]


def _cell_edit(shown: pd.DataFrame, k: int, column: str, value: Any) -> tuple[str, str, str | None]:
    """The account edit ``(account_id, field, value)`` of one edited cell (see :func:`table_edits`)."""
    if not 0 <= k < len(shown):
        raise InputError(f"row {k + 1} is not in the table any more: edit it again")
    row = shown.iloc[k]
    field = EDITABLE_REVIEW_COLUMNS.get(column)
    if field is None:
        raise InputError(f"the column {column!r} cannot be edited")
    if not clean_text(row["target_id"]):
        raise InputError(f"{row['name']} has no Equify account to edit")
    return str(row["target_id"]), field, None if value is None else str(value)


def table_ticks(shown: pd.DataFrame, edited_rows: Mapping[Any, Mapping[str, Any]], ticked: Iterable[str]) -> list[str]:
    """The source ids ticked once the tick boxes changed in a review table were applied.

    ``shown`` and ``edited_rows`` are as for :func:`table_edits` (positions in ``shown``,
    whatever the sorting on screen); ``ticked`` the ids ticked before. Returns the ticked
    ids in ``shown``'s order (a tick outside ``shown`` is dropped: ticks belong to the rows
    on screen). Raises :class:`InputError` for a position outside ``shown``.
    """
    ids = shown["source_id"].astype(str).tolist()
    now = set(ticked) & set(ids)
    for position, changes in edited_rows.items():
        k = int(position)
        if not 0 <= k < len(shown):
            raise InputError(f"row {k + 1} is not in the table any more: tick it again")
        if TICK_COLUMN in changes:
            (now.add if changes[TICK_COLUMN] else now.discard)(ids[k])
    return [i for i in ids if i in now]


@dataclass(frozen=True)
class TableEdited:
    """What the edits typed in a review table did: ``moves`` (who changed set), ``saved`` (how
    many cells were written) and ``rejected``: ``{position in the table: why}`` for each row with
    a refused cell, in words that name the field (nothing written for that cell)."""

    moves: list[Move]
    saved: int
    rejected: dict[int, str]


def edit_table_and_rematch(
    ws: Workspace,
    shown: pd.DataFrame,
    edited_rows: Mapping[Any, Mapping[str, Any]],
    settings: MatchSettings | None = None,
) -> TableEdited:
    """Apply the edits typed in a review table, each cell on its own
    (:func:`reconcile.workflow.edit_each_and_rematch`): every valid cell is saved, every refused
    one is said on its row, and a refused cell never holds back the others. Matches again."""
    edits: list[tuple[str, str, str | None]] = []
    positions: list[int] = []
    rejected: dict[int, str] = {}
    for position, column, value in _cells(edited_rows):
        try:
            edits.append(_cell_edit(shown, position, column, value))
        except InputError as exc:
            rejected[position] = str(exc)
        else:
            positions.append(position)
    moves, refused = workflow.edit_each_and_rematch(ws, edits, settings)
    why = {(r.account_id, r.field, r.value): f"{r.field}: {r.message}" for r in refused}
    for position, edit in zip(positions, edits, strict=True):
        if edit in why:
            rejected[position] = "; ".join(filter(None, (rejected.get(position), why[edit])))
    return TableEdited(moves, len(edits) - len(refused), rejected)
