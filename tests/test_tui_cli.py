"""The command line around the TUI: ``yishi`` alone opens it, ``yishi demo`` builds and opens it
(``--no-tui`` prints), ``yishi config`` shows and sets who I am; --as/--role and the language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yishi.cli import app
from yishi.config import load_config
from yishi.demo import DEMO_ACTOR
from yishi.engine import Actor


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("YISHI_CONFIG", str(path))
    monkeypatch.delenv("YISHI_LANG", raising=False)
    monkeypatch.delenv("YISHI_DB", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    return path


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the TUI's run() with a recorder: what would have been opened, for whom."""
    calls: list[dict[str, Any]] = []

    def run(engine_or_url: Any, actor: Actor, lang: str, *, keys: Any = None) -> None:
        calls.append({"target": engine_or_url, "actor": actor, "lang": lang, "keys": keys})

    monkeypatch.setattr("yishi.tui.run", run)
    return calls


def test_no_arguments_opens_the_tui_on_the_default_database(config_file: Path,
                                                              launched: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0, result.output
    (call,) = launched
    assert call["target"] is None  # Engine.open(None): $YISHI_DB, else the user data directory
    assert call["lang"] == "en"


def test_who_and_language_come_from_the_options_then_the_config(config_file: Path,
                                                                 launched: list[dict[str, Any]]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["config", "--name", "马书记", "--role", "secretary", "--role",
                               "convener", "--lang", "zh", "--key", "record=f4"]).exit_code == 0
    cfg = load_config(config_file)
    assert (cfg.name, cfg.roles, cfg.lang, cfg.keys) == ("马书记", ["secretary", "convener"], "zh", {"record": "f4"})
    assert runner.invoke(app, []).exit_code == 0
    assert runner.invoke(app, ["--as", "王小燕", "--role", "grid_member", "--lang", "en"]).exit_code == 0
    assert runner.invoke(app, ["--db", "sqlite:///elsewhere.db"]).exit_code == 0
    from_config, from_options, with_db = launched
    assert from_config["actor"] == Actor.of("马书记", "secretary", "convener")
    assert (from_config["lang"], from_config["keys"]) == ("zh", {"record": "f4"})
    assert from_options["actor"] == Actor.of("王小燕", "grid_member")
    assert from_options["lang"] == "en"
    assert with_db["target"] == "sqlite:///elsewhere.db"


def test_config_shows_the_file_and_the_binding_ids(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert str(config_file) in result.output and "(not created yet)" in result.output
    assert "record" in result.output and "ctrl+s" in result.output  # remappable binding ids
    assert "yishi config --name" in result.output
    bad = CliRunner().invoke(app, ["config", "--key", "record"])
    assert bad.exit_code == 2


def test_help_still_works(config_file: Path, launched: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "--as" in result.output and "demo" in result.output and "config" in result.output
    assert launched == []


def test_demo_opens_the_tui_as_the_demo_secretary(config_file: Path, tmp_path: Path,
                                                  launched: list[dict[str, Any]],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("yishi.cli.demo.interactive", lambda: True)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(app, ["--db", url, "demo"])
    assert result.exit_code == 0, result.output
    (call,) = launched
    assert call["actor"] == DEMO_ACTOR
    assert call["target"].count() >= 15  # the engine on the demo database


def test_demo_no_tui_prints_the_cases(config_file: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run([sys.executable, "-m", "yishi.cli", "--db", url, "--lang", "zh", "demo", "--no-tui"],
                            env={**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"},
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 0, result.stderr
    for subject in ("闲置厂房出租给幼儿园举办者", "夜间摩托车飙车扰民", "3 号楼污水管破损返味",
                    "单元门前乱停车", "楼上漏水殃及楼下"):
        assert subject in result.stdout

