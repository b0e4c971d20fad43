"""S1 with a real crash: a worker process pushing to the http target's reference server is
killed with SIGKILL mid-push, a second one resumes; nothing twice, nothing lost
(CI-sized; ``bench/push_crash.py`` runs 20 trials of 1,000)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench import push_crash
from reconcile.testing.equify_server import EquifyServer, _Store


def test_killed_push_resumes_without_duplicates_or_losses(tmp_path: Path) -> None:
    rng = random.Random(7)
    killed = 0
    for _ in range(2):
        with EquifyServer(push_crash.TOKEN) as server:
            outcome = push_crash.trial(server, 600, rng, tmp_path)
        assert (outcome["duplicates"], outcome["lost"]) == (0, 0), outcome
        killed += outcome["killed_mid_push"]
    assert killed >= 1  # at least one kill landed mid-push, or the test proved nothing


def test_the_trial_sees_duplicates_when_the_target_ignores_idempotency_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: a server that makes a new account for a repeated key duplicates the
    rows in flight at the kill, and the trial counts them."""
    original = _Store.create
    seen: list[int] = []

    def forgetful(self: _Store, key: str, fields: dict) -> tuple[dict, bool]:
        seen.append(1)
        return original(self, f"{key}#{len(seen)}", fields)

    monkeypatch.setattr(_Store, "create", forgetful)
    rng = random.Random(3)
    duplicates = 0
    for _ in range(3):
        with EquifyServer(push_crash.TOKEN) as server:
            outcome = push_crash.trial(server, 600, rng, tmp_path)
        duplicates += outcome["duplicates"]
        if duplicates:
            break
    assert duplicates > 0
