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
