"""The notebook front end's interactive part: :class:`ConflictReviewer`, one conflict at a time with
its candidates side by side and *Link* / *Create* / *Exclude* / *Skip*, writing the same decisions
to the workspace that the app and the CLI read (:func:`reconcile.workflow.decide_and_rematch`).

The reviewer's logic (the queue, the decisions) needs no widget library and is what the tests
drive; :meth:`ConflictReviewer.widget` builds the ipywidgets view on top of it (``pip install
ipywidgets``, in the ``notebook`` extra), whose buttons call the same methods.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import workflow
from .display import frame_table
from .exceptions import InputError
from .models import Decision, DecisionAction, MatchResult, MatchSettings, Move
from .store.workspace import Workspace

__all__ = ["ConflictReviewer", "Step"]


@dataclass(frozen=True)
class Step:
    """What one reviewer action did: ``source_id`` the record, ``action`` (link, create, exclude,
    skip), ``target_id`` (a link's account), ``moves`` who changed set after matching again."""

    source_id: str
    action: str
    target_id: str | None
    moves: tuple[Move, ...]


class ConflictReviewer:
    """Resolve a workspace's conflicts one after another (in a notebook).

    ``queue`` holds the conflicts' record ids as they were when the reviewer was made (a decision
    moves a record out of the conflict set, but it keeps its place, so *Previous* finds it);
    ``position`` the current one. ``link``, ``create`` and ``exclude`` record a decision for the
    current record and move to the next; ``skip`` moves on without one. Each decision is the one
    the app and the CLI record (``workspace.decisions()``, the activity log, undo), with who
    made it: ``operator`` (default :func:`reconcile.operator.default_operator`, the OS user).
    """

    def __init__(self, ws: Workspace, settings: MatchSettings | None = None, *, operator: str | None = None) -> None:
        self.ws = ws
        self.settings = settings
        self.operator = operator
        self.result: MatchResult = workflow.run_match(ws, settings)
        records = self.result.records
        self.queue: list[str] = records.loc[records["category"] == "conflict", "source_id"].astype(str).tolist()
        self.position = 0
        self.steps: list[Step] = []
        self._view: Any = None

    # The queue ----------------------------------------------------------------------------------
    @property
    def current(self) -> str | None:
        """The record under review, or ``None`` past the last conflict."""
        return self.queue[self.position] if self.position < len(self.queue) else None

    @property
    def resolved(self) -> int:
        """How many records of the queue are no longer in conflict."""
        records = self.result.records.set_index("source_id")["category"]
        return sum(1 for sid in self.queue if records.get(sid) != "conflict")

    def progress(self) -> str:
        """``"3 of 35 resolved"``."""
        return f"{self.resolved} of {len(self.queue)} resolved"

    def candidates(self) -> pd.DataFrame:
        """The current record's candidate accounts, best first (:func:`reconcile.workflow.candidates_for`);
        empty past the end."""
        sid = self.current
        if sid is None:
            return pd.DataFrame()
        return workflow.candidates_for(self.ws, self.result, sid)

    def record(self) -> pd.Series:
        """The current record's row of ``result.records`` (category, reason, best account).

        Raises:
            InputError: past the last conflict.
        """
        sid = self.current
        if sid is None:
            raise InputError("no conflict left to review")
        rows = self.result.records[self.result.records["source_id"] == sid]
        return rows.iloc[0]

    # Actions ------------------------------------------------------------------------------------
    def link(self, target_id: str | None = None) -> Step:
        """Link the current record to ``target_id`` (default: its best candidate) and move on.

        Raises:
            InputError: past the end, or when the record has no candidate to link to.
        """
        if target_id is None:
            cands = self.candidates()
            if cands.empty:
                raise InputError(f"{self.current} has no candidate account: create or exclude it")
            target_id = str(cands.iloc[0]["target_id"])
        return self._decide("link", target_id)

    def create(self) -> Step:
        """Decide to create an account for the current record, and move on."""
        return self._decide("create", None)

    def exclude(self) -> Step:
        """Leave the current record out of the sync, and move on."""
        return self._decide("exclude", None)

    def skip(self) -> Step:
        """Move to the next conflict without deciding."""
        sid = self._need_current()
        step = Step(sid, "skip", None, ())
        self.steps.append(step)
        self.position += 1
        self._refresh()
        return step

    def previous(self) -> None:
        """Back to the previous record of the queue (no decision is undone)."""
        self.position = max(self.position - 1, 0)
        self._refresh()

    def _need_current(self) -> str:
        sid = self.current
        if sid is None:
            raise InputError("no conflict left to review")
        return sid

    def _decide(self, action: DecisionAction, target_id: str | None) -> Step:
        sid = self._need_current()
        moves = workflow.decide_and_rematch(
            self.ws, [Decision(sid, action, target_id)], self.settings, operator=self.operator
        )
        self.result = workflow.run_match(self.ws, self.settings)
        step = Step(sid, action, target_id, tuple(moves))
        self.steps.append(step)
        self.position += 1
        self._refresh()
        return step

    # The widget ---------------------------------------------------------------------------------
    def card_html(self) -> str:
        """The current record and its best candidate side by side, its reason and its other
        candidates, as escaped HTML (what the widget shows)."""
        sid = self.current
        if sid is None:
            return f"<p><b>Done</b>: {html.escape(self.progress())}.</p>"
        row = self.record()
        parts = [
            f"<p><b>{html.escape(self.progress())}</b> · record {self.position + 1} of {len(self.queue)}: "
            f"<code>{html.escape(sid)}</code> is <b>{html.escape(str(row['category']))}</b></p>",
            f"<p>{html.escape(str(row['reason'] or ''))}</p>",
        ]
        cands = self.candidates()
        if not cands.empty:
            best = str(cands.iloc[0]["target_id"])
            parts.append(
                frame_table(workflow.side_by_side(self.ws, self.result, sid, best), f"Side by side with {best}")
            )
            parts.append(
                frame_table(cands, "Candidates", ["target_id", "firstName", "lastName", "email", "birthDate", "score"])
            )
        return "<div>" + "".join(parts) + "</div>"

    def widget(self) -> Any:
        """An ipywidgets box: the card (:meth:`card_html`), a picker of the candidates, and the
        buttons Link / Create / Exclude / Skip / Previous, each calling the method of the same name.

        Raises:
            InputError: when ipywidgets is not installed.
        """
        try:
            import ipywidgets as w
        except ImportError as exc:  # pragma: no cover - the notebook extra installs it
            raise InputError("the conflict reviewer needs ipywidgets: pip install ipywidgets") from exc
        card = w.HTML()
        picker = w.Dropdown(description="Account")
        message = w.HTML()
        buttons = {
            name: w.Button(description=name.capitalize()) for name in ("link", "create", "exclude", "skip", "previous")
        }

        def act(name: str) -> None:
            try:
                if name == "link":
                    self.link(picker.value or None)
                else:
                    getattr(self, name)()
                message.value = ""
            except InputError as exc:
                message.value = f"<p style='color:#b00'>{html.escape(str(exc))}</p>"

        for name, button in buttons.items():
            button.on_click(lambda _b, name=name: act(name))
        self._view = {"card": card, "picker": picker, "buttons": buttons, "message": message}
        self._refresh()
        return w.VBox([card, picker, w.HBox(list(buttons.values())), message])

    def _refresh(self) -> None:
        if self._view is None:
            return
        self._view["card"].value = self.card_html()
        cands = self.candidates()
        options = [
            (f"{r.firstName or ''} {r.lastName or ''} ({r.target_id})".strip(), r.target_id) for r in cands.itertuples()
        ]
        self._view["picker"].options = options
        self._view["picker"].value = options[0][1] if options else None
        for name in ("link", "create", "exclude", "skip"):
            self._view["buttons"][name].disabled = self.current is None
        self._view["buttons"]["link"].disabled = self.current is None or not options

    def _ipython_display_(self) -> None:  # pragma: no cover - exercised in Jupyter
        from IPython.display import display

        display(self.widget())
