"""``yishi plugin new NAME`` writes a plugin package whose own tests pass as generated (issue #14, item 5).
CI also installs one and runs mypy --strict on it (.ci/typecheck)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yishi.cli import app
from yishi.scaffold import ScaffoldError, names


def test_names() -> None:
    assert names("repair") == ("yishi-repair", "yishi_repair", "repair")
    assert names("yishi-road-works") == ("yishi-road-works", "yishi_road_works", "road_works")
    for bad in ("", "Repair!", "1abc", "yishi-", "a b"):
        with pytest.raises(ScaffoldError):
            names(bad)


def test_the_generated_plugin_passes_its_own_tests(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "plugin", "new", "repair", "--into", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "yishi-repair"
    meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["entry-points"]["yishi"] == {"repair": "yishi_repair"}
    assert (root / "yishi_repair" / "py.typed").exists()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "4 passed" in run.stdout


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "yishi-repair").mkdir()
    result = CliRunner().invoke(app, ["--lang", "zh", "plugin", "new", "repair", "--into", str(tmp_path)])
    assert result.exit_code == 1
    assert "已存在" in result.output
