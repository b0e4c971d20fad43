"""Workspaces for the push benchmarks and tests: N Payfit records that all become creates.

``creates_workspace(path, n)`` writes a workspace file holding ``n`` generated Payfit records
(``bench/synth.py``, fictitious) and one unrelated Equify account, so a push plans ``n`` creates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

from bench.synth import generate  # noqa: E402
from reconcile import Workspace  # noqa: E402
from reconcile.sources.equify import ACCOUNT_COLUMNS  # noqa: E402
from reconcile.sources.payfit import PAYFIT_COLUMNS  # noqa: E402


def creates_workspace(path: Path, n: int, *, seed: int = 5) -> Path:
    """Write the workspace file ``path`` (made anew) with ``n`` records to create; returns ``path``."""
    source, _target, _truth = generate(2 * n + 10, seed=seed)
    # One person per name (the generator plants namesakes): each create stays apart from the others.
    folded = source["firstName"].fillna("").str.lower() + "|" + source["lastName"].fillna("").str.lower()
    source = source[~folded.duplicated()].head(n).reset_index(drop=True)
    if len(source) < n:
        raise ValueError(f"could not draw {n} distinct names")
    payfit = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in PAYFIT_COLUMNS})
    for col in ("id", "firstName", "lastName", "email", "phoneNumber", "birthDate", "matricule", "country"):
        payfit[col] = source[col].astype(object).where(source[col].notna(), None).to_numpy()
    payfit["id"] = [f"pf-{i:06d}" for i in range(n)]
    # Unique emails and names: every record is one create, and stays apart from the others.
    payfit["email"] = [f"person.{i}@example.org" for i in range(n)]
    payfit["teamName"] = "Bench"
    payfit["status"] = "active"
    payfit["isLeaver"] = False
    payfit["isAdminWithoutContract"] = False
    payfit["contractStatus"] = "ACTIVE"
    equify = pd.DataFrame({c: [None] for c in ACCOUNT_COLUMNS}, dtype=object)
    equify.loc[0, ["id", "firstName", "lastName", "email", "relation", "kind"]] = [
        "eq-founder",
        "Zélie",
        "Fondatrice",
        "zelie.fondatrice@example.org",
        "founder",
        "person",
    ]
    if path.exists():
        path.unlink()
    with Workspace.open(path, create=True) as ws:
        ws.replace_all(payfit, equify)
    return path
