"""A worked example of the library API on the demo data: load, match, inspect a conflict,
decide, plan. Run it from the repository root:

    .venv/bin/python docs/worked_example.py

It works in a temporary workspace file (the demo company, fictitious people) and prints what
a notebook would show; ``docs/worked_example.md`` holds its output. Every name used here is
public: ``reconcile.Workspace``, ``reconcile.workflow``, ``reconcile.audit``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd  # noqa: E402

from reconcile import Decision, Workspace, audit, workflow  # noqa: E402

pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 70)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Workspace.open(Path(tmp) / "example.duckdb", create=True) as ws:
        # 1. Load: the demo's Payfit collaborator pages and Equify accounts export.
        loaded = workflow.load_demo(ws)
        print("1. loaded:", loaded)

        # 2. Match with the stored mapping (the default one here): one row per record.
        result = workflow.run_match(ws)
        print("\n2. sets:", result.counts())
        print("   automatic links by evidence:", result.links["rule"].value_counts().to_dict())

        # 3. Inspect a conflict: the reason in words, its candidates, and why the best one scores what it does.
        conflict = result.records[
            (result.records["category"] == "conflict") & result.records["reason"].str.contains("which has no email")
        ].iloc[0]
        sid, tid = conflict["source_id"], conflict["target_id"]
        print(f"\n3. conflict {sid}: {conflict['reason']}")
        print(workflow.side_by_side(ws, result, sid, tid).to_string(index=False))
        print("   points:", audit.explain_pair(result, sid, tid).set_index("field")["points"].to_dict())

        # 4. Decide: the Equify account lacks the email; add it, and matching links the person.
        email = ws.payfit_records().set_index("id").loc[sid, "email"]
        moves = workflow.edit_and_rematch(ws, tid, "email", email)
        print(f"\n4. after giving {tid} the email {email}:", [(m.name, m.before, m.after) for m in moves])
        # and create the next conflict's person anyway, by decision
        result = workflow.run_match(ws)
        other = result.records[result.records["category"] == "conflict"].iloc[0]["source_id"]
        moves = workflow.decide_and_rematch(ws, [Decision(other, "create")])
        print("   a create decided:", [(m.name, m.before, m.after) for m in moves])

        # 5. Plan: what a push would do (a dry run), with the conflicts left skipped.
        plan = workflow.plan_workspace(ws)
        print("\n5. plan:", plan.totals())
        print(plan.to_frame().query("op != 'skip'").head(3)[["name", "op", "changes"]].to_string(index=False))

        # The decisions taken make a small ground truth for the audit.
        truth = audit.truth_from_decisions(ws.decisions())
        print(
            "\n   truth from decisions:",
            len(truth),
            "records;",
            {k: m.as_dict()["precision"] for k, m in audit.evaluate(workflow.run_match(ws), truth).items()},
        )


if __name__ == "__main__":
    main()
