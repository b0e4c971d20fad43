"""The Audit page through Streamlit's AppTest (issue 16): the charts it shows count records on
whole-number ticks, and the score histogram says how many records have no score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from reconcile import Workspace, charts, workflow

ROOT = Path(__file__).resolve().parents[2]


def _audit_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/audit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _ws() -> Workspace:
    """The app's own connection to its workspace."""
    from ui import state

    return state.workspace()


def _shown_charts(at: AppTest) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specs the page sent, by chart: ``scores`` (the histogram, titled "Records
    per score") and ``thresholds`` (the sweep: a line over ``threshold`` and its rule)."""
    out: dict[str, dict[str, Any]] = {}
    for element in at.get("arrow_vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("title", {}).get("text") == "Records per score":
            out["scores"] = spec
        elif "layer" in spec and spec["layer"][0]["encoding"]["x"]["field"] == "threshold":
            out["thresholds"] = spec
    assert out.keys() == {"scores", "thresholds"}, f"charts shown: {list(out)}"
    return out


def _count_axis(spec: dict[str, Any]) -> dict[str, Any]:
    encoding = spec["encoding"] if "encoding" in spec else spec["layer"][0]["encoding"]
    y = encoding["y"]
    assert y["title"] == "Records"
    return y["axis"]


def _assert_whole(axis: dict[str, Any]) -> None:
    assert axis["format"] == "d" and axis["tickMinStep"] == 1
    values = axis["values"]
    assert values[0] == 0 and all(isinstance(v, int) for v in values), values


def _per_set(records: Any) -> dict[str, int]:
    counts = records["category"].value_counts()
    return {s: int(counts[s]) for s in ("new", "synced", "conflict", "excluded") if s in counts}


def test_the_audit_page_counts_records_in_whole_numbers_and_tells_the_unscored(app_workspace: Path) -> None:
    at = _audit_page()
    result = workflow.run_match(_ws())
    missing = result.records[result.records["score"].isna()]
    assert len(missing) > 0  # the demo's creates
    shown = _shown_charts(at)
    subtitle = shown["scores"]["title"]["subtitle"]
    assert subtitle == [charts.unscored_note(result)]
    assert subtitle[0].startswith(f"{len(missing)} records have no score (no single candidate account")
    assert subtitle[0].endswith("not shown: " + ", ".join(f"{n} {s}" for s, n in _per_set(missing).items()))
    for spec in shown.values():
        _assert_whole(_count_axis(spec))


def test_a_small_workspace_never_shows_half_a_record(app_workspace: Path) -> None:
    """Three records (one linked by its email, one name conflict, one to create): every bar and
    point counts 0 or 1 record, and the axes' ticks are 0, 1 (and 2 past the top, dropped)."""
    at = _audit_page()
    ws = _ws()
    rec = workflow.run_match(ws).records
    linked = rec[(rec["category"] == "new") & (rec["rule"] == "email")].iloc[0]
    conflict = rec[(rec["category"] == "conflict") & (rec["rule"] == "name") & rec["target_id"].notna()].iloc[0]
    create = rec[rec["action"] == "create"].iloc[0]
    keep = [linked["source_id"], conflict["source_id"], create["source_id"]]
    payfit, accounts = ws.payfit_records(), ws.equify_accounts()
    ws.load_payfit(payfit[payfit["id"].isin(keep)].reset_index(drop=True))
    ws.load_equify(accounts[accounts["id"].isin([linked["target_id"], conflict["target_id"]])].reset_index(drop=True))
    small = workflow.run_match(ws)
    assert sorted(small.records["category"]) == ["conflict", "new", "new"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _shown_charts(at)
    assert shown["scores"]["title"]["subtitle"] == [
        "1 record has no score (no single candidate account to score it against), not shown: 1 new"
    ]
    for spec in shown.values():
        axis = _count_axis(spec)
        _assert_whole(axis)
        assert axis["values"] == [0, 1, 2]
