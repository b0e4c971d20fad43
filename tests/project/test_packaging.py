"""The installable package (issue 15): pins within pyproject's ranges, and the wheel installed in a
fresh venv outside the checkout runs ``reconcile --help``, ``demo``, ``match --json`` and ``app``."""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from reconcile.testing.processes import running_app

ROOT = Path(__file__).resolve().parents[2]


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            package, version = line.split("==")
            pins[package.lower()] = version
    return pins


def _ranges(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = [*project["dependencies"]] if "" in extras else []
    for extra in extras:
        listed += project["optional-dependencies"].get(extra, [])
    return [Requirement(r) for r in listed]


def test_every_pin_lies_in_its_pyproject_range_and_nothing_is_pinned_twice_or_left_out() -> None:
    """requirements.txt pins exactly the dependencies and the app extra; requirements-dev.txt
    pins the notebook extra's others; each pin within its range."""
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    ranges = _ranges("", "app")
    assert {r.name.lower() for r in ranges} == set(runtime), "requirements.txt and pyproject.toml list other packages"
    assert not set(runtime) & set(dev), "a package pinned in both requirements files"
    for requirement in [*ranges, *_ranges("notebook")]:
        version = {**runtime, **dev}.get(requirement.name.lower())
        assert version is not None, f"{requirement.name} is not pinned"
        assert requirement.specifier.contains(version), f"{requirement.name}=={version} is outside {requirement}"


def test_the_range_check_would_catch_a_drift() -> None:
    requirement = Requirement("duckdb>=1.4,<2")
    assert requirement.specifier.contains("1.4.4") and not requirement.specifier.contains("2.0.0")


def _run(venv: Path, cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"RECONCILE_WORKSPACE", "PYTHONPATH"}}
    return subprocess.run(
        [str(venv / "bin" / "reconcile"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the checkout, installed in a fresh venv (its dependencies seen through a
    ``.pth`` to this venv's site-packages, so nothing is downloaded); returns the venv."""
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    fresh_site = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"], check=True, capture_output=True, text=True
    ).stdout.strip()
    # A plain path line: the checkout's own editable .pth in that folder is not read.
    (Path(fresh_site) / "deps.pth").write_text(site.getsitepackages()[0] + "\n", encoding="utf-8")
    (wheel,) = wheels.glob("*.whl")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return venv


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import reconcile, ui; print(reconcile.__file__); print(ui.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(str(installed) in w for w in where), where
    demo = Path(where[0]).parent / "demo"
    assert (demo / "equify_accounts.csv").is_file() and len(list((demo / "payfit").glob("*.json"))) == 5
    assert (Path(where[0]).parent / "py.typed").is_file()
    assert (Path(where[1]).parent / "app.py").is_file() and (Path(where[1]).parent / "pages" / "review.py").is_file()


def test_reconcile_help_demo_and_match_from_outside_the_checkout(
    installed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _run(installed, tmp_path, "--help")
    assert shown.returncode == 0 and shown.stdout.startswith("usage: reconcile ")
    for command in ("app", "demo", "match", "push"):
        assert re.search(rf"^\s+{command}\s", shown.stdout, flags=re.M), command
    loaded = _run(installed, tmp_path, "--workspace", "W.duckdb", "demo")
    assert loaded.returncode == 0, loaded.stderr
    matched = _run(installed, tmp_path, "--workspace", "W.duckdb", "match", "--json")
    assert matched.returncode == 0, matched.stderr
    counts = json.loads(matched.stdout.strip().splitlines()[-1])
    assert counts["conflict"] > 0 and counts["new"] > 0
    # The same counts as the checkout's own CLI, run here.
    from reconcile import cli

    here = tmp_path / "here"
    here.mkdir()
    assert cli.main(["--workspace", str(here / "W.duckdb"), "demo"]) == 0
    capsys.readouterr()
    assert cli.main(["--workspace", str(here / "W.duckdb"), "match", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == counts
    assert (tmp_path / "W.duckdb").is_file()


def test_the_default_workspace_is_in_the_current_directory(installed: Path, tmp_path: Path) -> None:
    loaded = _run(installed, tmp_path, "demo")
    assert loaded.returncode == 0, loaded.stderr
    assert (tmp_path / "workspace.duckdb").is_file()
    assert not list((installed / "lib").rglob("workspace.duckdb")), "a workspace next to the installed code"


def test_reconcile_app_answers_its_health_check_on_loopback(installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"RECONCILE_WORKSPACE", "PYTHONPATH"}}
    log = tmp_path / "app.log"

    def command(port: int) -> list[str]:  # the installed command, its workspace named on the line
        return [str(installed / "bin" / "reconcile"), "--workspace", "A.duckdb", "app", "--port", str(port)]

    with running_app(tmp_path / "ignored.duckdb", log, command=command, cwd=tmp_path, env=env, wait=60) as started:
        port = started.port
        text = log.read_text()
        assert f"http://127.0.0.1:{port}" in text and str(tmp_path / "A.duckdb") in text
    # The command is the app itself: stopping it stops the app (no server left behind).
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)


def test_reconcile_app_says_what_to_install_when_streamlit_is_missing(tmp_path: Path) -> None:
    from reconcile import cli
    from reconcile.exceptions import InputError

    real = cli.importlib.util.find_spec

    def without_streamlit(name: str, *args: object) -> object:
        return None if name == "streamlit" else real(name, *args)  # type: ignore[arg-type]

    cli.importlib.util.find_spec = without_streamlit  # type: ignore[assignment]
    try:
        with pytest.raises(InputError, match=r"pip install 'reconcile-workbench\[app\]'"):
            cli.app_entry()
        assert cli.main(["--workspace", str(tmp_path / "w.duckdb"), "app"]) == cli.EXIT_INPUT
    finally:
        cli.importlib.util.find_spec = real
    assert not (tmp_path / "w.duckdb").exists()
