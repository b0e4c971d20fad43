"""The audit's charts as people see them (issue 16): drawn with vl-convert (as the notebooks
draw them), an axis that counts records has whole-number ticks only, whatever the workspace's
size, and the score histogram says how many records it leaves out for having no score."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pandas as pd
import pytest
import vl_convert as vlc
from hypothesis import given
from hypothesis import strategies as st

from reconcile import Decision, Workspace, audit, charts, match, workflow
from reconcile.models import MatchResult


def _people(n: int) -> pd.DataFrame:
    names = ["Jean Dupont", "Marie Curie", "Paul Martin", "Luc Besson", "Anne Roy", "Hugo Blanc"][:n]
    return pd.DataFrame(
        {
            "id": [f"P{i + 1}" for i in range(n)],
            "firstName": [x.split()[0] for x in names],
            "lastName": [x.split()[1] for x in names],
            "email": [f"{x.replace(' ', '.').lower()}@x.fr" for x in names],
        }
    )


def _result(links: int, conflicts: int, creates: int) -> MatchResult:
    """``links`` records linked by their email (score 100), ``conflicts`` name conflicts (same
    name, another email: score 80), ``creates`` records with no account (no score)."""
    people = _people(links + conflicts + creates)
    accounts = people.iloc[: links + conflicts].assign(id=lambda f: "A" + f["id"].str[1:])
    accounts.loc[accounts.index[links:], "email"] = [f"other{i}@y.fr" for i in range(conflicts)]
    result = match(people, accounts)
    got = Counter(zip(result.records["category"], result.records["action"], strict=True))
    assert got == Counter({("new", "link"): links, ("conflict", "none"): conflicts, ("new", "create"): creates})
    return result


def _svg(chart: Any) -> str:
    return vlc.vegalite_to_svg(chart.to_json())


def _y_labels(svg: str) -> list[str]:
    """The tick labels of the chart's y axis, bottom to top."""
    axis = svg[svg.index('aria-label="Y-axis') :]
    group = re.search(r'role-axis-label"[^>]*>(.*?)</g>', axis)
    assert group, "the y axis has no labels"
    return re.findall(r"<text[^>]*>([^<]*)</text>", group.group(1))


def _tallest_bar(svg: str) -> int:
    """The histogram's tallest bar: its stacked bars' records summed per bin."""
    per_bin: Counter[str] = Counter()
    for score, records in re.findall(r'aria-label="Score: ([^;]+); Records: (\d+);', svg):
        per_bin[score] += int(records)
    assert per_bin, "the histogram drew no bar"
    return max(per_bin.values())


def _highest_point(result: MatchResult) -> int:
    """The threshold sweep's highest point: the most records accepted or left for review."""
    return int(audit.threshold_sweep(result)[["accepted", "review"]].to_numpy().max())


def _assert_whole_ticks(labels: list[str], tallest: int) -> None:
    assert labels, "no tick"
    assert all(re.fullmatch(r"\d+", x) for x in labels), f"a tick is not a whole number: {labels}"
    values = [int(x) for x in labels]
    # a tick at 0.5 labelled as an integer would read 0 or 1 twice
    assert len(set(values)) == len(values), f"two ticks read the same number: {labels}"
    assert values == sorted(values) and values[0] == 0 and len(values) >= 2
    step = values[1] - values[0]
    # the ticks go up to the tallest mark, or to less than a step below it
    assert values[-1] + step > tallest, f"the ticks stop at {values[-1]}, far below the tallest mark ({tallest})"


# (links, conflicts, creates): the tallest histogram bar and the sweep reach 1, then 2 records
# (where Vega's own ticks, even with tickMinStep=1, fall on 0.5), then a few more.
SMALL = [(1, 1, 1), (2, 2, 1), (1, 2, 0), (5, 1, 0)]


@pytest.mark.parametrize(("links", "conflicts", "creates"), SMALL)
def test_the_score_histogram_counts_records_on_whole_numbers(links: int, conflicts: int, creates: int) -> None:
    chart = charts.score_chart(_result(links, conflicts, creates))
    y = chart.to_dict()["encoding"]["y"]
    assert y["axis"]["format"] == "d" and y["axis"]["tickMinStep"] == 1
    svg = _svg(chart)
    _assert_whole_ticks(_y_labels(svg), _tallest_bar(svg))


@pytest.mark.parametrize(("links", "conflicts", "creates"), SMALL)
def test_the_threshold_sweep_counts_records_on_whole_numbers(links: int, conflicts: int, creates: int) -> None:
    result = _result(links, conflicts, creates)
    chart = charts.threshold_chart(result)
    line = chart.to_dict()["layer"][0]["encoding"]["y"]
    assert line["title"] == "Records" and line["axis"]["format"] == "d"
    _assert_whole_ticks(_y_labels(_svg(chart)), _highest_point(result))


def test_the_demo_charts_count_on_whole_numbers_too(demo_workspace: Workspace) -> None:
    result = workflow.run_match(demo_workspace)
    svg = _svg(charts.score_chart(result))
    _assert_whole_ticks(_y_labels(svg), _tallest_bar(svg))
    _assert_whole_ticks(_y_labels(_svg(charts.threshold_chart(result))), _highest_point(result))


@given(st.integers(min_value=0, max_value=10**7))
def test_a_count_axis_has_a_few_whole_ticks_from_0_past_the_top(most: int) -> None:
    values = charts.count_axis(most).to_dict()["values"]
    assert all(isinstance(v, int) for v in values) and values[0] == 0
    steps = {b - a for a, b in zip(values, values[1:], strict=False)}
    assert len(steps) == 1
    step = steps.pop()
    assert re.fullmatch(r"[125]0*", str(step)), step
    assert values[-1] >= max(most, 1) and len(values) <= 10


def test_the_histogram_says_how_many_records_have_no_score() -> None:
    result = _result(2, 1, 3)
    assert audit.unscored(result) == {"new": 3}
    note = "3 records have no score (no single candidate account to score them against), not shown: 3 new"
    assert charts.unscored_note(result) == note
    chart = charts.score_chart(result)
    assert chart.to_dict()["title"]["subtitle"] == [note]
    svg = _svg(chart)
    assert note in svg  # drawn, not only in the spec
    # the bars hold the records with a score, the note the others: every record is told of
    assert sum(int(n) for n in re.findall(r"; Records: (\d+);", svg)) + 3 == len(result.records)


def test_the_note_counts_every_set_and_one_record_reads_in_the_singular() -> None:
    people = _people(4)
    accounts = people.iloc[:2].assign(id=["A1", "A2"])
    result = match(people, accounts, decisions=[Decision("P4", "exclude")])
    assert audit.unscored(result) == {"new": 1, "excluded": 1}
    assert charts.unscored_note(result) == (
        "2 records have no score (no single candidate account to score them against), not shown: 1 new, 1 excluded"
    )
    one = _result(1, 0, 1)
    assert charts.unscored_note(one) == (
        "1 record has no score (no single candidate account to score it against), not shown: 1 new"
    )


def test_no_note_when_every_record_has_a_score() -> None:
    result = _result(2, 1, 0)
    assert audit.unscored(result) == {} and charts.unscored_note(result) is None
    chart = charts.score_chart(result)
    assert chart.to_dict()["title"]["subtitle"] == []
    assert "no score" not in _svg(chart)


def test_the_demo_note_counts_the_records_without_a_score(demo_workspace: Workspace) -> None:
    result = workflow.run_match(demo_workspace)
    rec = result.records
    missing = rec[rec["score"].isna()]
    assert len(missing) > 0
    assert audit.unscored(result) == missing["category"].value_counts().to_dict()
    note = charts.unscored_note(result)
    assert note is not None and note.startswith(f"{len(missing)} records have no score")
    assert len(audit.score_distribution(result)) + len(missing) == len(rec)
