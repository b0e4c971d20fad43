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
# # One-off migration: Payfit → Equify
#
# For a person moving one company's employees into its Equify space once, from a notebook: load
# (or fetch), map, match, resolve the conflicts, look at the dry run, push through the same gate as
# the app and the CLI, and read the history. Every step writes to the workspace file named by
# `RECONCILE_WORKSPACE` (a temporary one when it is not set), which the app and `reconcile` read too.
#
# Here it runs on the **demo company** (fictitious people) and pushes to the *embedded* target (an
# Equify space kept inside the workspace file), so nothing leaves this machine. For a real
# customer, fetch from Payfit with its API key and push with an `HttpTarget` instead (see the
# commented cells).

# %%
import os
import tempfile
from pathlib import Path

from reconcile import Workspace, workflow
from reconcile.notebook import ConflictReviewer
from reconcile.sync.gate import push_gate

path = os.environ.get("RECONCILE_WORKSPACE") or str(Path(tempfile.mkdtemp()) / "migration.duckdb")
ws = Workspace.open(path)

# %% tags=["parameters"]
# True only for an unattended run (as `reconcile push --yes`): the push then asks for no typed
# confirmation. Left False, step 6 asks you to type the number of accounts to create.
CONFIRMED_UP_FRONT = False
# True only on the demo company: step 4 then links, by code, up to three conflicts whose best
# candidate alone scores 90 or more (to show the reviewer's methods). On a customer's data a person
# decides, with the buttons.
DEMO_RULE_OF_THUMB = False

# %% [markdown]
# ## 1. Fetch or load
# The demo's Payfit pages and Equify export. For a real company:
#
# ```python
# from reconcile.sources.payfit_api import PayfitClient
# client = PayfitClient(os.environ["PAYFIT_API_KEY"])           # never typed into the notebook
# workflow.check_payfit_connection(client)                     # the company the key opens
# workflow.fetch_payfit(ws, client)
# workflow.load_path(ws, "equify", Path("equify_accounts.xlsx"))
# ```

# %%
if ws.is_empty():
    print(workflow.load_demo(ws))
ws

# %% [markdown]
# ## 2. Map
# Which Payfit field feeds each Equify field (the stored mapping, or the default one), and what
# the first records would look like in Equify. The issues a mapping has (unreadable phones, mostly
# empty fields) are listed with the people concerned.

# %%
mapping = ws.mapping()
workflow.mapping_preview(ws, mapping, rows=5)

# %%
[issue for issue in workflow.mapping_issues(ws, mapping)]

# %% [markdown]
# ## 3. Match

# %%
result = workflow.run_match(ws)
result

# %% [markdown]
# ## 4. Review the conflicts
# One conflict at a time, with its candidates side by side. In Jupyter, `reviewer` shows the
# buttons *Link* / *Create* / *Exclude* / *Skip* / *Previous*; each click records the same decision
# the app's Review page records (it shows in the app's Activity, and can be undone there).
# With `DEMO_RULE_OF_THUMB = True` (the demo only; see the parameters cell), the cell below also
# decides a few conflicts by code, through the same methods the buttons call.

# %%
reviewer = ConflictReviewer(ws)
print(reviewer.progress())
reviewer

# %%
decided = 0
while DEMO_RULE_OF_THUMB and reviewer.current is not None and decided < 3:
    candidates = reviewer.candidates()
    # A demo rule of thumb: link when one candidate alone scores 90 or more; leave the rest for a person.
    clear = not candidates.empty and candidates.iloc[0]["score"] >= 90 and (candidates["score"] >= 80).sum() == 1
    step = reviewer.link() if clear else reviewer.skip()
    decided += step.action == "link"
    if step.action == "link":
        print(step.source_id, "→", step.target_id, [(m.name, m.before, m.after) for m in step.moves])
print(reviewer.progress())

# %% [markdown]
# ## 5. Dry run
# The plan: what a push would send (creates, links, updates) and what it leaves out, with why.

# %%
plan = workflow.plan_workspace(ws)
plan

# %%
plan.unsendable()

# %% [markdown]
# ## 6. Push, through the gate
# The same gate as the app's Sync page and `reconcile push` (`reconcile.sync.gate.push_gate`): unresolved
# conflicts are skipped only when asked; the person types the number of accounts to create; the
# push consumes exactly the plan confirmed (its digest), once: running the notebook again pushes
# nothing twice.

# %%
totals = plan.totals()
digest = workflow.plan_digest(ws, plan)  # the push consumes this very plan, once
asked = push_gate(plan, skip_conflicts=True)  # the conflicts left unresolved stay out of this push
print(f"{totals['create']} to create, {totals['link']} to link, {totals['skip_conflict']} conflicts skipped")
typed = None
if not CONFIRMED_UP_FRONT:
    try:
        typed = input(asked.prompt + ": ")
    except Exception as exc:  # a kernel no one can type into (nbclient, papermill)
        raise SystemExit(
            "nobody can type the confirmation here: set CONFIRMED_UP_FRONT = True in the parameters cell "
            "for an unattended run"
        ) from exc
gate = push_gate(plan, skip_conflicts=True, typed=typed, confirmed=CONFIRMED_UP_FRONT)
if not gate.open:
    raise SystemExit("; ".join(gate.reasons))
pushed = workflow.push_workspace(ws, skip_conflicts=True, expected_creates=gate.creates, confirmed=digest)
pushed

# %% [markdown]
# ## 7. History
# Every push run, and one run's journal (each operation, its idempotency key and outcome).

# %%
runs = workflow.push_runs(ws)
runs[["run_id", "started_at", "status", "target", "totals"]]

# %%
workflow.run_journal(ws, pushed.run_id).head(10)

# %%
again = workflow.run_match(ws)
print("after the push:", again.counts())
ws.close()
