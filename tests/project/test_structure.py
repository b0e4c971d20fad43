"""The project's own structure: README commands, CI, layering rules."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup, flags=re.S)


def test_readme_has_exactly_two_setup_commands_one_for_the_app_one_for_the_tests() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    app, tests = commands
    assert "streamlit run app.py" in app and "requirements.txt" in app
    assert "pytest" in tests and "requirements-dev.txt" in tests


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci.splitlines()


def test_library_never_imports_streamlit() -> None:
    for path in (ROOT / "reconcile").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+streamlit", source, flags=re.M), path


def test_pages_are_thin_adapters() -> None:
    for path in (ROOT / "pages").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        code = [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
        assert len(code) <= 120, f"{path.name} has {len(code)} lines of code"
        assert "duckdb" not in source and "SELECT " not in source, f"{path.name} talks to the database"
        assert "reconcile.matching" not in source and "rapidfuzz" not in source, path.name


def test_app_listens_on_loopback_by_default() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert re.search(r'^address = "127\.0\.0\.1"$', config, flags=re.M)


def test_workspace_file_is_git_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/workspace.duckdb" in ignored and "data/workspace.duckdb" in ignored


def test_requirements_are_pinned() -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-r") and line != "-e .":  # -e .: the project itself
                assert "==" in line or "~=" in line, f"{name}: {line} is not pinned"


def test_the_worked_example_runs_and_its_output_is_the_one_shown() -> None:
    """docs/worked_example.py runs on the demo, and docs/worked_example.md shows its output."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "docs" / "worked_example.py")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    assert "4. after giving" in done.stdout and "'conflict', 'new (link)'" in done.stdout
    shown = (root / "docs" / "worked_example.md").read_text(encoding="utf-8")
    assert done.stdout.strip() in shown


def test_the_browser_suite_says_why_it_is_skipped_without_chromium(tmp_path: Path) -> None:
    """Where Chromium cannot be installed the browser suite is skipped, not silently."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-q", "tests/e2e", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RECONCILE_CHROMIUM": str(tmp_path / "no-chromium")},
    )
    assert done.returncode in (0, 5), done.stdout + done.stderr  # 5: its only module was skipped whole
    assert (
        "SKIPPED" in done.stdout and "Chromium is not installed" in done.stdout and ".ci/run installs it" in done.stdout
    )


def _imports_of(path: Path) -> set[str]:
    """The reconcile modules a library file imports (relative imports resolved), at any depth."""
    import ast

    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            if not node.module:  # `from . import verdicts`: the modules themselves
                found.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {f for f in found if f.startswith("reconcile")}


def test_the_layers_only_depend_downwards() -> None:
    """sources and matching never reach the store or the sync; the store never reaches the sync;
    nothing in the library (but the CLI's help and the servers themselves) reaches reconcile.testing."""
    lower = {"reconcile.store", "reconcile.sync", "reconcile.testing", "reconcile.workflow", "reconcile.cli"}
    rules = {
        "sources": lower,
        "matching": lower,
        "store": {"reconcile.sync", "reconcile.testing", "reconcile.workflow", "reconcile.cli"},
        "sync": {"reconcile.testing", "reconcile.workflow", "reconcile.cli"},
    }
    for layer, forbidden in rules.items():
        for path in (ROOT / "reconcile" / layer).rglob("*.py"):
            bad = {m for m in _imports_of(path) if any(m == f or m.startswith(f + ".") for f in forbidden)}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_layer_check_sees_relative_imports() -> None:
    found = _imports_of(ROOT / "reconcile" / "sync" / "push.py")
    assert "reconcile.store.workspace" in found and "reconcile.sync.plan" in found


#: The stages of a match, in the order they run: each module imports only the ones before it.
MATCHING_STAGES = ("sides", "parallel", "blocking", "scoring", "verdicts", "prepare", "rematch", "policy", "matcher")


def test_the_matching_stages_only_depend_on_earlier_ones() -> None:
    """Blocking never reaches scoring, scoring never the policy, the policy never match() itself."""
    for at, stage in enumerate(MATCHING_STAGES):
        later = {f"reconcile.matching.{m}" for m in MATCHING_STAGES[at + 1 :]}
        bad = _imports_of(ROOT / "reconcile" / "matching" / f"{stage}.py") & later
        assert not bad, f"reconcile/matching/{stage}.py imports {sorted(bad)}"
    found = _imports_of(ROOT / "reconcile" / "matching" / "policy.py")
    assert "reconcile.matching.verdicts" in found  # `from . import verdicts as evidence` is seen


def test_tests_are_grouped_by_layer() -> None:
    """Every test module sits in the folder of the layer it tests (none loose in tests/)."""
    loose = sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    assert not loose, f"tests not in a layer folder: {loose}"
    layers = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    assert {"sources", "matching", "store", "sync", "steps", "cli", "app", "e2e", "notebooks", "project"} <= layers
