"""A misspelt role in a notifier channel's address table (or a webhook's ``roles``) is an error
naming the file, the line and the role it most likely means, once the workflows are known: when
an engine opens (issue #14, item 12). It used to be ignored, and nobody was told."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yishi.cli import app
from yishi.config import ConfigError
from yishi.engine import Actor, Engine

EMAIL = """\
lang = "en"

[notifiers.email]
host = "smtp.example.org"
sender = "yishi@example.org"

[notifiers.email.addresses]
secretary = "ma@example.org"
"王网格员" = "wang@example.org"
"*" = "archive@example.org"
{extra}
"""


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(path))
    monkeypatch.delenv("YISHI_DEPLOYMENT", raising=False)
    return path


def _line(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def test_roles_names_and_star_are_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config(tmp_path, monkeypatch, EMAIL.format(extra="grid_member = ['g@example.org']"))
    with Engine.open(f"sqlite:///{tmp_path / 'y.db'}") as engine:
        assert "email" in engine.registry.notifiers


def test_a_misspelt_role_in_an_address_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = EMAIL.format(extra='secretery = "ma2@example.org"')
    path = _config(tmp_path, monkeypatch, text)
    with pytest.raises(ConfigError) as info:
        Engine.open(f"sqlite:///{tmp_path / 'y.db'}")
    line = _line(text, "secretery =")
    assert info.value.message == (
        f"{path}:{line}: [notifiers.email.addresses] 'secretery' is not a role of any workflow, nor a person "
        "the organisation knows; did you mean 'secretary'?")
    assert info.value.localized("zh") == (
        f"{path}:{line}：[notifiers.email.addresses] 'secretery' 不是任何流程的角色，也不是组织中登记的人员；"
        "是不是 'secretary'？")


def test_a_name_like_no_role_lists_the_roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config(tmp_path, monkeypatch, EMAIL.format(extra='chairman = "c@example.org"'))
    with pytest.raises(ConfigError) as info:
        Engine.open(f"sqlite:///{tmp_path / 'y.db'}")
    assert "'chairman' is not a role of any workflow, nor a person the organisation knows; the roles are: " \
        in info.value.message
    assert ", grid_member, " in info.value.message
    assert info.value.message.endswith("; write a person by name or login, as 'yishi org person list' shows them")
    assert "的角色，也不是组织中登记的人员；角色有：admin, " in info.value.localized("zh")


def test_a_misspelt_role_in_a_webhooks_roles_and_mentions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = """\
[notifiers.grid3]
type = "webhook"
format = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
roles = [
  "grid_member",
  "grid_leadr",
]
mentions = {grid_leader = "li", grid_membr = "wang"}
"""
    path = _config(tmp_path, monkeypatch, text)
    with pytest.raises(ConfigError) as info:
        Engine.open(f"sqlite:///{tmp_path / 'y.db'}")
    lines = info.value.message.splitlines()
    assert lines[0].startswith(f"{path}:9: [notifiers.grid3.mentions] 'grid_membr' is not a role of any workflow")
    assert "did you mean 'grid_member'?" in lines[0]
    assert lines[1] == f"{path}:7: [notifiers.grid3] roles: 'grid_leadr' is not a role of any workflow; " \
                       "did you mean 'grid_leader'?"
    assert len(lines) == 2


def test_a_dotted_key_and_a_deployment_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = tmp_path / "deployment.toml"
    text = ('db = "sqlite:///' + str(tmp_path / "y.db") + '"\n\n[notifiers.office]\ntype = "email"\n'
            'host = "smtp.example.org"\nsender = "yishi@example.org"\naddresses.secretary = "ma@example.org"\n'
            'addresses.secretry = "c@example.org"\n')
    deployment.write_text(text, encoding="utf-8")
    _config(tmp_path, monkeypatch, f'lang = "zh"\ndeployment = "{deployment}"\n')
    with pytest.raises(ConfigError) as info:
        Engine.open_configured()
    assert info.value.message.startswith(f"{deployment}:8: [notifiers.office.addresses] 'secretry' is not a role")
    assert "did you mean 'secretary'?" in info.value.message


def test_a_disabled_channel_is_not_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config(tmp_path, monkeypatch, EMAIL.format(extra='secretery = "x@example.org"').replace(
        'host = "smtp', 'enabled = false\nhost = "smtp'))
    Engine.open(f"sqlite:///{tmp_path / 'y.db'}").close()


def test_a_login_the_organisation_knows_is_a_person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'y.db'}"
    _config(tmp_path, monkeypatch, EMAIL.format(extra=""))
    with Engine.open(url) as engine:  # no channel names an unknown role yet: set up the organisation
        engine.org.add_person("马书记", login="mashuji", by=Actor.of("管理员", "admin"))
    _config(tmp_path, monkeypatch, EMAIL.format(extra='mashuji = "ma@example.org"\nwangwu = "w@example.org"'))
    with pytest.raises(ConfigError) as info:
        Engine.open(url)
    assert "'wangwu' is not a role of any workflow, nor a person the organisation knows" in info.value.message
    assert "mashuji" not in info.value.message


def test_the_worker_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = EMAIL.format(extra='secretery = "ma2@example.org"')
    path = _config(tmp_path, monkeypatch, text)
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'y.db'}", "worker", "--once"])
    assert result.exit_code != 0
    output: Any = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert f"{path}:{_line(text, 'secretery =')}: [notifiers.email.addresses] 'secretery'" in output
    assert "did you mean 'secretary'?" in output
