"""The settings files (issue #14 items 11–12, issue #9 "one deployment, many clients"): validated
key by key with file:line and "did you mean"; rewritten keeping comments and 0600; secrets never
printed; deployment settings in one shared file; secrets needed only where messages are sent."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yishi.cli import app
from yishi.config import ConfigError, load_config, mask_url
from yishi.engine import Actor, Engine

FOUR = "four_discussions_two_disclosures"
PROPOSAL = {"subject": "修路", "matter_type": "other", "proposal": "修村道"}


@pytest.fixture
def personal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "me" / "config.toml"
    path.parent.mkdir()
    monkeypatch.setenv("YISHI_CONFIG", str(path))
    monkeypatch.delenv("YISHI_DEPLOYMENT", raising=False)
    return path


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(("text", "line", "expected"), [
    ('name = "x"\ndbb = "sqlite:///x.db"\n', 2, "unknown key 'dbb'; did you mean 'db'?"),
    ('name = "x"\n\n[notifier.webhook]\nurl = "https://example.org"\n', 3,
     "unknown key 'notifier'; did you mean 'notifiers'?"),
    ('lang = "fr"\n', 1, "lang should be 'zh' or 'en'"),
    ('roles = "secretary"\n', 1, "'roles' should be a list"),
])
def test_a_misspelt_or_wrong_key_is_an_error_with_file_and_line(personal: Path, text: str, line: int,
                                                                 expected: str, sqlite_url: str) -> None:
    personal.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert f"{personal}:{line}:" in str(err.value)
    assert expected in str(err.value)
    code, out = _cli("--lang", "en", "case", "list")  # no silent fall-back to another database
    assert code == 1 and expected in out


@pytest.mark.parametrize(("table", "expected"), [
    ('[notifiers.office]\nurl = "https://example.org"\n',
     "[notifiers.office] has no 'type', and no installed notifier reads channels named 'office'"),
    ('[notifiers.office]\ntype = "webhok"\nurl = "https://example.org"\n', "did you mean type = 'webhook'?"),
])
def test_a_channel_no_notifier_reads_is_an_error(personal: Path, table: str, expected: str,
                                                 sqlite_url: str) -> None:
    personal.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Engine.open(sqlite_url).close()
    assert expected in str(err.value) and f"{personal}:1:" in str(err.value)


def test_config_keeps_comments_layout_and_0600(personal: Path) -> None:
    personal.write_text('# my settings\nname = "马书记"  # that is me\n\n[keys]\n# remapped\nrecord = "f4"\n',
                        encoding="utf-8")
    os.chmod(personal, 0o600)
    code, out = _cli("config", "--lang", "en", "--db", "postgresql+psycopg://yishi:s3cret@db.example/yishi")
    assert code == 0, out
    text = personal.read_text(encoding="utf-8")
    assert text.startswith('# my settings\nname = "马书记"  # that is me\n')
    assert "# remapped\nrecord = \"f4\"" in text and 'lang = "en"' in text
    assert stat.S_IMODE(personal.stat().st_mode) == 0o600
    code, out = _cli("config", "--key", "fire=f5")
    assert stat.S_IMODE(personal.stat().st_mode) == 0o600
    code, out = _cli("config")
    assert code == 0 and "s3cret" not in out and "yishi:***@db.example" in out


def test_a_new_config_file_is_created_0600(personal: Path) -> None:
    assert _cli("config", "--name", "马书记")[0] == 0
    assert stat.S_IMODE(personal.stat().st_mode) == 0o600


def test_mask_url() -> None:
    assert mask_url("postgresql+psycopg://u:p%40ss@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"
    assert mask_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


# ---------------------------------------------------------------- one deployment, many clients
def test_the_deployment_file_is_shared_and_personal_files_hold_preferences_only(
        personal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = tmp_path / "deployment.toml"
    db = tmp_path / "office.db"
    deployment.write_text(f'db = "sqlite:///{db}"\ntz = "Asia/Shanghai"\n'
                          f'[params.{FOUR}]\nnotice_period = "5d"\n', encoding="utf-8")
    personal.write_text(f'lang = "en"\ndeployment = "{deployment}"\n', encoding="utf-8")
    cfg = load_config()
    assert (cfg.db, cfg.lang, cfg.deployment) == (f"sqlite:///{db}", "en", deployment)
    assert cfg.params[FOUR]["notice_period"] == "5d"
    # a personal file may not carry deployment settings while a deployment file is in use
    personal.write_text(f'lang = "en"\ndeployment = "{deployment}"\n[notifiers.email]\nhost = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert f"'notifiers' belongs in {deployment}" in str(err.value)
    # and the deployment file holds no personal preferences
    personal.write_text(f'deployment = "{deployment}"\n', encoding="utf-8")
    deployment.write_text('name = "马书记"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "'name' belongs in each person's own config" in str(err.value)
    monkeypatch.setenv("YISHI_DEPLOYMENT", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "does not exist" in str(err.value)


def test_secrets_are_needed_only_where_messages_are_sent(personal: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = tmp_path / "deployment.toml"
    db = tmp_path / "office.db"
    deployment.write_text(
        f'db = "sqlite:///{db}"\n[notifiers.office]\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\n'
        'secret_env = "OFFICE_HOOK_SECRET"\n', encoding="utf-8")
    monkeypatch.setenv("YISHI_DEPLOYMENT", str(deployment))
    monkeypatch.delenv("OFFICE_HOOK_SECRET", raising=False)
    # a secretary's client without the secret: steps are taken and the channel's rows are written
    code, out = _cli("case", "new", FOUR, "--as", "马书记", "--role", "secretary", "--set", "subject=修路",
                     "--set", "matter_type=other", "--set", "proposal=修村道")
    assert code == 0, out
    with Engine.open_configured() as engine:
        assert {n.channel for n in engine.notifications(case_id=1)} >= {"office"}
        channel = engine.registry.notifiers["office"]
        with pytest.raises(ConfigError) as err:  # only sending needs it: the worker's environment
            channel.secret  # noqa: B018
        assert "OFFICE_HOOK_SECRET" in str(err.value)
    monkeypatch.setenv("OFFICE_HOOK_SECRET", "k")
    with Engine.open_configured() as engine:
        assert engine.registry.notifiers["office"].secret == "k"
        engine.start(FOUR, Actor.of("马书记", "secretary"), PROPOSAL)


def test_workflows_show_prints_the_value_in_force_and_where_it_comes_from(personal: Path) -> None:
    personal.write_text(f'[params.{FOUR}]\nnotice_period = "5d"\n', encoding="utf-8")
    code, out = _cli("--json", "workflows", "show", FOUR)
    assert code == 0, out
    import json

    shown = json.loads(out)
    assert shown["params"]["notice_period"] == {"default": "7d", "value": "5d", "from": "deployment"}
    assert shown["params"]["results_notice_period"]["from"] == "default"
    assert shown["plugin"] == "yishi"
    wide = CliRunner().invoke(app, ["--lang", "en", "workflows", "show", FOUR], env={"COLUMNS": "200"})
    assert "5d (deployment settings)" in wide.output


def test_a_misspelt_param_override_is_an_error(personal: Path, sqlite_url: str) -> None:
    personal.write_text(f'[params.{FOUR}]\nnotice_periods = "5d"\n', encoding="utf-8")
    code, out = _cli("--lang", "en", "workflows", "show", FOUR)
    assert code == 1
    assert "sets 'notice_periods', which workflow" in out and "did you mean 'notice_period'?" in out
    with pytest.raises(ConfigError):
        with Engine.open_configured(sqlite_url) as engine:
            engine.start(FOUR, Actor.of("马书记", "secretary"), PROPOSAL)


def test_workflows_list_names_the_plugin_and_fits_80_columns(personal: Path) -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "workflows", "list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any("bench_meeting" in line and "yishi" in line for line in lines)
