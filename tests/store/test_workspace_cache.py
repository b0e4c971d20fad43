"""The workspace's own caches (issue 15): bounded, per workspace object, safe across threads."""

from __future__ import annotations

import threading
from pathlib import Path

from reconcile import Workspace, workflow
from reconcile.store.cache import SIZES, WorkspaceCache


def test_each_cache_keeps_its_most_recent_entries() -> None:
    cache = WorkspaceCache()
    for k in range(SIZES["matches"] + 3):
        cache.put("matches", k, f"result {k}")
    kept = [k for k in range(SIZES["matches"] + 3) if cache.get("matches", k) is not None]
    assert kept == list(range(3, SIZES["matches"] + 3))
    assert cache.get("scoped", 0) is None  # the caches are apart
    cache.clear()
    assert len(cache) == 0


def test_two_workspaces_do_not_share_their_caches(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "a.duckdb") as a, Workspace.open(tmp_path / "b.duckdb") as b:
        workflow.load_demo(a)
        workflow.load_demo(b)
        ra = workflow.run_match(a)
        assert workflow.run_match(a) is ra  # the same revision: matched once
        assert len(b.cache) == 0 and len(a.cache) > 0
        rb = workflow.run_match(b)
        assert rb is not ra and rb.counts() == ra.counts()


def test_a_write_is_never_served_a_stale_match(demo_workspace: Workspace) -> None:
    before = workflow.run_match(demo_workspace)
    conflict = before.records[before.records["category"] == "conflict"].iloc[0]["source_id"]
    from reconcile import Decision

    workflow.decide_and_rematch(demo_workspace, [Decision(conflict, "exclude")])
    after = workflow.run_match(demo_workspace)
    assert after is not before
    assert after.records.set_index("source_id").loc[conflict, "category"] == "excluded"


def test_threads_matching_and_reviewing_one_workspace_at_once_agree(demo_workspace: Workspace) -> None:
    """The app's sessions share one workspace object: eight threads match and build the review
    table at once, with tiny caches that evict all the time; every answer is the single-thread one."""
    expected_counts = workflow.run_match(demo_workspace).counts()
    expected_rows = workflow.review_table(demo_workspace, workflow.run_match(demo_workspace))
    demo_workspace.cache.clear()
    errors: list[BaseException] = []
    results: list[tuple[dict[str, int], int]] = []

    def work() -> None:
        try:
            for _ in range(5):
                result = workflow.run_match(demo_workspace)
                rows = workflow.review_table(demo_workspace, result)
                results.append((result.counts(), len(rows)))
                assert rows["name"].tolist() == expected_rows["name"].tolist()
                demo_workspace.cache.clear()  # evictions in the middle of the others' reads
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert len(results) == 40 and all(r == (expected_counts, len(expected_rows)) for r in results)
