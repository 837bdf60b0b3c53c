"""Plugin authors' and operators' mistakes get a clear message (issue #14, items 4 and 13)."""

from __future__ import annotations

import sys

import pytest

from yishi.engine import Engine
from yishi.errors import PluginError, StorageError
from yishi.hookspecs import hookimpl
from yishi.plugin_manager import make_manager


class Misspelt:
    @hookimpl
    def yishi_register_gaurds(self, register):  # noqa: ANN001, ANN201 - the typo is the test
        pass


def test_a_misspelt_hook_gets_a_did_you_mean() -> None:
    with pytest.raises(PluginError) as err:
        make_manager([Misspelt()], entry_points=False)
    message = str(err.value)
    assert "'yishi_register_gaurds'" in message
    assert "did you mean 'yishi_register_guards'?" in message


def test_postgres_url_without_the_driver_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "psycopg" or m.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    with pytest.raises(StorageError) as err:
        Engine.open("postgresql+psycopg://someone:secret@127.0.0.1:1/nowhere", entry_points=False)
    assert "pip install 'yishi[postgres]'" in str(err.value)
    assert "yishi[postgres]" in err.value.message_zh
    assert "secret" not in str(err.value) and "secret" not in err.value.message_zh
    assert "No module named" not in str(err.value)


# ---------------------------------------------------------------- a guard or action that raises
FAULTY = """
id: faulty
version: 1
title: {zh: 故障测试, en: faulty}
description: a guard and an action that raise
roles:
  clerk: {title: {zh: 办事员, en: clerk}}
initial: open
states:
  open: {title: {zh: 受理, en: open}}
  done: {title: {zh: 办结, en: done}, final: true}
transitions:
  - {trigger: close, source: open, dest: done, title: {zh: 办结, en: close}, roles: [clerk],
     guards: [{explodes: {}}]}
  - {trigger: act, source: open, dest: done, title: {zh: 执行, en: act}, roles: [clerk],
     actions: [{breaks: {}}]}
"""


def explodes(ctx, args):  # noqa: ANN001, ANN201
    raise ZeroDivisionError("division by zero")


def breaks(ctx, args):  # noqa: ANN001, ANN201
    raise KeyError("missing")


class Faulty:
    def __init__(self, folder) -> None:  # noqa: ANN001
        self.folder = folder

    @hookimpl
    def yishi_register_guards(self, register):  # noqa: ANN001, ANN201
        register("explodes", explodes)

    @hookimpl
    def yishi_register_actions(self, register):  # noqa: ANN001, ANN201
        register("breaks", breaks)

    @hookimpl
    def yishi_workflow_files(self):  # noqa: ANN201
        return [self.folder / "faulty.yaml"]


def test_a_raising_guard_or_action_names_plugin_rule_and_case_and_writes_nothing(tmp_path, sqlite_url) -> None:  # noqa: ANN001
    from yishi.engine import Actor
    from yishi.errors import PluginFailure

    (tmp_path / "faulty.yaml").write_text(FAULTY, encoding="utf-8")
    clerk = Actor.of("李四", "clerk")
    with Engine.open(sqlite_url, plugins=[Faulty(tmp_path)], entry_points=False) as engine:
        case = engine.start("faulty", clerk)
        for trigger, rule, cause in (("close", "explodes", ZeroDivisionError), ("act", "breaks", KeyError)):
            with pytest.raises(PluginFailure) as err:
                engine.fire(case.id, trigger, clerk)
            assert err.value.rule == rule and err.value.plugin == __name__ and err.value.case_id == case.id
            assert f"{rule!r}" in str(err.value) and f"#{case.id}" in str(err.value)
            assert isinstance(err.value.__cause__, cause)
            assert "插件" in err.value.message_zh
        after = engine.case(case.id)
        assert (after.state, after.rev) == ("open", case.rev)
        assert [e.kind for e in engine.history(case.id)] == ["start"]
        assert engine.verify().ok
