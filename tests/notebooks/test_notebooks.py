"""The notebook front end (issue 15): both notebooks run from a clean kernel on the demo workspace,
the conflict reviewer's buttons write the app's decisions, and the rich displays escape what
they show."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from reconcile import Workspace, charts, workflow
from reconcile.exceptions import InputError
from reconcile.notebook import ConflictReviewer

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _execute(name: str, workspace: Path, **parameters: object) -> object:
    """Run a notebook from a clean kernel on ``workspace``, each of ``parameters`` set in a cell
    right after the one tagged ``parameters`` (papermill's convention)."""
    notebook = jupytext.read(NOTEBOOKS / name)
    if parameters:
        at = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
        source = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        notebook.cells.insert(at + 1, nbformat.v4.new_code_cell(source))
    before = os.environ.get("RECONCILE_WORKSPACE")
    os.environ["RECONCILE_WORKSPACE"] = str(workspace)  # the kernel inherits it
    try:
        NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workspace.parent)}}
        ).execute()
    finally:
        if before is None:
            os.environ.pop("RECONCILE_WORKSPACE", None)
        else:
            os.environ["RECONCILE_WORKSPACE"] = before
    return notebook


def _outputs(notebook: object) -> list[dict]:
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["audit_match_quality.py", "one_off_migration.py"])
def test_the_notebook_runs_from_a_clean_kernel_on_the_demo_workspace(name: str, tmp_path: Path) -> None:
    unattended = {"CONFIRMED_UP_FRONT": True, "DEMO_RULE_OF_THUMB": True} if name == "one_off_migration.py" else {}
    notebook = _execute(name, tmp_path / "ws.duckdb", **unattended)  # nbclient raises CellExecutionError on any error
    outputs = _outputs(notebook)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "Match:" in html and "conflict" in html  # MatchResult's rich display
    with Workspace.open(tmp_path / "ws.duckdb", create=False) as ws:
        assert ws.counts()["payfit_records"] > 0


def test_the_audit_notebook_shows_charts_and_quality(tmp_path: Path) -> None:
    outputs = _outputs(_execute("audit_match_quality.py", tmp_path / "ws.duckdb"))
    kinds = {k for o in outputs for k in o.get("data", {})}
    assert "image/svg+xml" in kinds  # the charts, drawn offline
    assert not any("cdn.jsdelivr" in str(o) for o in outputs)
    text = "".join(o.get("text", "") for o in outputs)
    assert "blocking recall: " in text


def test_left_as_it_is_the_migration_notebook_asks_for_the_typed_confirmation(tmp_path: Path) -> None:
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="CONFIRMED_UP_FRONT = True"):  # a headless kernel cannot be typed into
        _execute("one_off_migration.py", tmp_path / "ws.duckdb")
    with Workspace.open(tmp_path / "ws.duckdb", create=False) as ws:
        assert ws.push_runs().empty  # nothing pushed without the confirmation
        assert ws.decisions() == {}  # and no decision taken by code unless asked (DEMO_RULE_OF_THUMB)


def test_the_migration_notebook_pushes_once_and_a_second_run_creates_nothing_twice(tmp_path: Path) -> None:
    ws_path = tmp_path / "ws.duckdb"
    _execute("one_off_migration.py", ws_path, CONFIRMED_UP_FRONT=True, DEMO_RULE_OF_THUMB=True)
    with Workspace.open(ws_path, create=False) as ws:
        runs = ws.push_runs()
        accounts_after_first = ws.counts()["equify_accounts"]
        assert len(runs) == 1 and runs.iloc[0]["status"] == "done"
        decided = ws.decisions()
    assert decided, "the reviewer cells recorded no decision"
    _execute("one_off_migration.py", ws_path, CONFIRMED_UP_FRONT=True)  # again: no decision by code this time
    with Workspace.open(ws_path, create=False) as ws:
        assert ws.counts()["equify_accounts"] == accounts_after_first


@pytest.fixture
def demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Workspace.open(tmp_path / "ws.duckdb") as ws:
        workflow.load_demo(ws)
        yield ws


def test_the_reviewer_walks_the_conflicts_and_each_action_is_the_apps_decision(demo: Workspace) -> None:
    reviewer = ConflictReviewer(demo)
    assert len(reviewer.queue) == reviewer.result.counts()["conflict"] > 0
    first = reviewer.current
    assert first is not None and reviewer.progress() == f"0 of {len(reviewer.queue)} resolved"
    step = reviewer.exclude()
    assert step.source_id == first and demo.decisions()[first].action == "exclude"
    assert reviewer.current == reviewer.queue[1] and reviewer.progress().startswith("1 of")
    second = reviewer.current
    reviewer.skip()
    assert second not in demo.decisions() and reviewer.current == reviewer.queue[2]
    reviewer.previous()
    assert reviewer.current == second
    step = reviewer.create()
    assert demo.decisions()[second].action == "create" and step.action == "create"
    # the activity log the app shows (and undoes) has both decisions
    assert {first, second} <= set(demo.activity()["subject"])


def test_the_widget_buttons_call_the_same_methods_headless(demo: Workspace) -> None:
    reviewer = ConflictReviewer(demo)
    box = reviewer.widget()
    buttons = reviewer._view["buttons"]
    picker = reviewer._view["picker"]
    # move to a conflict that has a candidate to link to
    while reviewer.current is not None and not picker.options:
        buttons["skip"].click()
    sid, target = reviewer.current, picker.value
    assert sid is not None and target
    buttons["link"].click()
    decision = demo.decisions()[sid]
    assert (decision.action, decision.target_id) == ("link", target)
    assert box.children[0].value == reviewer.card_html() and "resolved" in box.children[0].value
    buttons["exclude"].click()
    assert demo.decisions()[reviewer.queue[reviewer.position - 1]].action == "exclude"


def test_past_the_end_the_reviewer_says_done_and_refuses_actions(demo: Workspace) -> None:
    reviewer = ConflictReviewer(demo)
    reviewer.position = len(reviewer.queue)
    assert reviewer.current is None and "Done" in reviewer.card_html()
    with pytest.raises(InputError, match="no conflict left"):
        reviewer.create()
    box = reviewer.widget()
    assert reviewer._view["buttons"]["link"].disabled and reviewer._view["buttons"]["create"].disabled
    reviewer._view["buttons"]["create"].click()  # a click past the end shows the message, never raises
    assert "no conflict left" in box.children[-1].value


def test_rich_displays_escape_what_comes_from_the_data(demo: Workspace) -> None:
    demo.edit_account(str(demo.equify_accounts().iloc[0]["id"]), "lastName", "<script>alert(1)</script>")
    result = workflow.run_match(demo)
    hostile = result.records.assign(reason="<img src=x onerror=alert(1)>")
    from reconcile.display import frame_table, match_result_html

    html = match_result_html(hostile.assign(category="conflict"), 0)
    assert "<img" not in html and "&lt;img src=x" in html
    table = frame_table(demo.equify_accounts(), "accounts", ["lastName"], rows=500)
    assert "<script>" not in table and "&lt;script&gt;" in table
    for shown in (result, workflow.plan_workspace(demo), demo):
        assert shown._repr_html_().startswith("<div>")  # type: ignore[attr-defined]


def test_charts_are_altair_charts_built_from_the_audit_data(demo: Workspace) -> None:
    import altair as alt

    result = workflow.run_match(demo)
    truth = workflow.DEMO_DIR / "ground_truth.csv"
    from reconcile import audit

    for chart in (
        charts.score_chart(result),
        charts.threshold_chart(result),
        charts.quality_chart(result, audit.read_truth(truth)),
    ):
        assert isinstance(chart, alt.TopLevelMixin) and chart.to_dict()["$schema"].startswith("https://vega.github.io")
    sweep = charts.quality_sweep(result, audit.read_truth(truth), [50.0, 100.0])
    assert list(sweep["threshold"]) == [50.0, 100.0]
    assert sweep["precision"].between(0, 1).all() and sweep["recall"].between(0, 1).all()
    # at 100 no likely match is accepted: the proposed links are the automatic ones
    assert sweep.iloc[1]["recall"] == pytest.approx(
        audit.evaluate(result, audit.read_truth(truth), threshold=100.0)["proposed"].recall
    )
