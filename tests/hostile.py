"""Hostile names, and the demo workspace with them on both sides (used by the export, CLI and
browser tests): Markdown that would fetch a beacon or draw a link, HTML and script, Streamlit
directives, LaTeX, spreadsheet formulas, terminal escape sequences and control characters.

:func:`hostile_workspace` gives every name to Payfit records of the new set, and keeps a
conflict whose two sides (the Payfit record and the Equify account without email) share a
hostile last name, so names also reach the conflict panel, its reason and its candidates.
"""

from __future__ import annotations

from pathlib import Path

from reconcile import Workspace, workflow

#: Where a rendered Markdown image would send the browser: a loopback address that is not the
#: app's, and an outside host (the browser test blocks and records both).
BEACON_LOOPBACK = "http://127.0.0.2:9/beacon.png"
BEACON_OUTSIDE = "http://beacon.invalid/b.png"

#: Names a browser must show as text.
MARKDOWN_NAMES = [
    f"![x]({BEACON_LOOPBACK})",
    f"![y]({BEACON_OUTSIDE})",
    "[click](javascript:alert(1))",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    ":red[x] $x$ :material/warning:",
]
#: Names a spreadsheet would run as a formula.
FORMULA_NAMES = ['=HYPERLINK("http://beacon.invalid","x")', "+cmd", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
#: Names that act on a terminal, or that XLSX cannot hold.
CONTROL_NAMES = ["Esc\x1b[31mRed", "Osc\x1b]0;title\x07", "Nul\x00Byte", "Rtl\u202eevil", "Cr\rReturn", "Bell\x07x"]

HOSTILE_NAMES = MARKDOWN_NAMES + FORMULA_NAMES + CONTROL_NAMES
#: The last name shared by both sides of one conflict.
CONFLICT_NAME = f"![c]({BEACON_LOOPBACK})<img src=x onerror=alert(2)>"


def make_hostile(ws: Workspace) -> dict[str, str]:
    """Load the demo into ``ws`` and give hostile names to it; returns ``{"conflict_id":
    source id, "conflict_account": target id}`` of the conflict with :data:`CONFLICT_NAME`."""
    workflow.load_demo(ws)
    result = workflow.run_match(ws)
    records = result.records
    conflict = records[(records["category"] == "conflict") & records["reason"].str.contains("which has no email")].iloc[
        0
    ]
    sid, tid = str(conflict["source_id"]), str(conflict["target_id"])
    new = records[records["category"] == "new"]
    # every name on a record to create; and again on a record linked by email (whose names then
    # disagree: a conflict whose reason quotes both names)
    creates = new.loc[new["action"] == "create", "source_id"].tolist()[: len(HOSTILE_NAMES)]
    links = new.loc[new["action"] == "link", "source_id"].tolist()[: len(HOSTILE_NAMES)]
    payfit = ws.payfit_records()
    by_id = payfit.set_index("id")
    for i, name in [*zip(creates, HOSTILE_NAMES, strict=True), *zip(links, HOSTILE_NAMES, strict=False)]:
        row = payfit.index[payfit["id"] == i][0]
        payfit.loc[row, "firstName"] = name  # first: the record's name then starts with it
        payfit.loc[row, "teamName"] = name
    row = payfit.index[payfit["id"] == sid][0]
    payfit.loc[row, "lastName"] = CONFLICT_NAME
    ws.load_payfit(payfit)
    accounts = ws.equify_accounts()
    arow = accounts.index[accounts["id"] == tid][0]
    accounts.loc[arow, "lastName"] = CONFLICT_NAME
    accounts.loc[arow, "firstName"] = by_id.loc[sid, "firstName"]
    others = accounts.index[accounts["id"] != tid][: len(HOSTILE_NAMES)]
    for arow, name in zip(others, HOSTILE_NAMES, strict=True):
        accounts.loc[arow, "firstName"] = name
    ws.load_equify(accounts)
    return {"conflict_id": sid, "conflict_account": tid}


def hostile_workspace(path: Path) -> dict[str, str]:
    """:func:`make_hostile` into a new workspace file ``path`` (closed after)."""
    with Workspace.open(path, create=True) as ws:
        return make_hostile(ws)
