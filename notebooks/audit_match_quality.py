# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Audit match quality
#
# For an analyst checking how good the matches of one customer are, before anyone pushes: load,
# match, look at the scores per set, sweep the threshold, measure precision and recall against a
# ground truth, explain one pair, and read the blocking report.
#
# The notebook works on the workspace named by `RECONCILE_WORKSPACE` (a DuckDB file; the app and the
# CLI read the same file). When that workspace is empty, or when the variable is not set (a
# temporary workspace then), it loads the **demo company**: fictitious people, with a ground truth.
# Open it in Jupyter as a notebook (`jupytext` keeps this text file and the notebook in step).

# %%
import os
import tempfile
from pathlib import Path

import altair as alt
import pandas as pd

from reconcile import Workspace, audit, charts, workflow

# Charts drawn here as SVG (vl-convert): the notebook fetches no script from a CDN, and the
# charts stay in the saved notebook.
alt.renderers.enable("svg")

path = os.environ.get("RECONCILE_WORKSPACE") or str(Path(tempfile.mkdtemp()) / "audit.duckdb")
ws = Workspace.open(path)
if ws.is_empty():
    workflow.load_demo(ws)
ws

# %% [markdown]
# ## Match
# The same step as the app's Review page and `reconcile match`: one row per Payfit record, in one
# of four sets (new, synced, conflict, excluded), with the automatic links and their evidence.

# %%
result = workflow.run_match(ws)
result

# %%
result.links["rule"].value_counts().rename("automatic links by evidence").to_frame()

# %% [markdown]
# ## Scores per set
# A record's score is its best candidate's (0-100). New records with a high score and conflicts with
# a low one are worth a look.

# %%
charts.score_chart(result)

# %%
audit.score_distribution(result).groupby("set")["score"].describe().round(1)

# %% [markdown]
# ## Threshold sweep
# How many name conflicts *accept all likely matches* would link at each threshold, and how many
# would stay for a person (the dashed line: the threshold in the settings).

# %%
charts.threshold_chart(result)

# %%
audit.threshold_sweep(result)

# %% [markdown]
# ## Precision and recall against a ground truth
# A truth file has two columns, `source_id,target_id` (or Payfit's and Equify's names for them);
# the demo ships one. `auto` judges the automatic links, `proposed` adds the likely matches accepted
# at the threshold, `decisions` the links people decided.

# %%
demo_truth = Path(workflow.DEMO_DIR) / "ground_truth.csv"
truth = audit.read_truth(demo_truth) if demo_truth.is_file() else audit.truth_from_decisions(ws.decisions())
metrics = audit.evaluate(result, truth)
pd.DataFrame({name: m.as_dict() for name, m in metrics.items()}).T

# %%
metrics["auto"]

# %%
charts.quality_chart(result, truth)

# %% [markdown]
# Where the match and the truth disagree, and how (each row: what was predicted, what was expected):

# %%
audit.confusion(result, truth)

# %%
audit.disagreements(result, truth).head(10)

# %% [markdown]
# ## Why this score: one pair explained
# Take the first conflict and its best candidate: each field's points, and the two records side by
# side as the matcher saw them.

# %%
conflicts = result.records[result.records["category"] == "conflict"]
pair = conflicts[conflicts["target_id"].notna()].iloc[0]
source_id, target_id = pair["source_id"], pair["target_id"]
print(source_id, "→", target_id, ":", pair["reason"])
workflow.side_by_side(ws, result, source_id, target_id)

# %%
charts.points_chart(result, source_id, target_id)

# %% [markdown]
# ## Blocking report
# Which rule paired how many records with accounts (blocking chooses the pairs that are scored at
# all); with the truth, how many true pairs each rule found first, and the true pairs no rule
# paired (never linkable).

# %%
audit.blocking_recall(result, truth)

# %%
print(f"blocking recall: {audit.blocking_recall_rate(result, truth):.4f}")
ws.close()
