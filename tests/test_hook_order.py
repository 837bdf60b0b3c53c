"""Every hook call of one full case, in order, and the ``YISHI_TRACE_PLUGINS`` switch."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from yishi.delivery import deliver_pending
from yishi.engine import Actor
from yishi.hookspecs import hookimpl
from yishi.testing import SimClock, workflow_files

LITTLE = """
id: little
version: 1
title: {zh: 小事, en: a small matter}
description: one reminder, one automatic escalation, one step by hand
roles:
  clerk: {title: {zh: 网格员, en: grid member}}
  leader: {title: {zh: 网格长, en: grid leader}}
start_roles: [clerk]
initial: handling
states:
  handling: {title: {zh: 办理, en: handling}, timers: [{after: 1d, remind: [clerk]}, {after: 3d, fire: escalate}]}
  escalated: {title: {zh: 上报网格长, en: with the grid leader}}
  closed: {title: {zh: 办结, en: closed}, final: true}
transitions:
  - {trigger: escalate, source: handling, dest: escalated, title: {zh: 上报, en: escalate}, roles: [clerk]}
  - {trigger: close, source: escalated, dest: closed, title: {zh: 办结, en: close}, roles: [leader]}
"""


class Recorder:
    """Implements every hook and writes down each call (storage returns None: not served here)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def yishi_workflow_files(self) -> list[Path]:
        self.calls.append("yishi_workflow_files")
        return []

    @hookimpl
    def yishi_register_guards(self, register: Any) -> None:
        self.calls.append("yishi_register_guards")

    @hookimpl
    def yishi_register_actions(self, register: Any) -> None:
        self.calls.append("yishi_register_actions")

    @hookimpl
    def yishi_register_notifiers(self, register: Any) -> None:
        self.calls.append("yishi_register_notifiers")

    @hookimpl
    def yishi_storage(self, url: str) -> None:
        self.calls.append("yishi_storage")

    @hookimpl
    def yishi_engine_opened(self, engine: Any) -> None:
        self.calls.append("yishi_engine_opened")

    @hookimpl
    def yishi_event_committed(self, engine: Any, case: Any, event: Any, notifications: list[Any]) -> None:
        what = event.trigger or event.kind
        self.calls.append(f"yishi_event_committed {event.seq}:{what}→{event.dest} ({len(notifications)} notes)")


def test_every_hook_call_of_one_full_case_in_order(tmp_path: Path, sim_clock: SimClock,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from yishi.engine import Engine

    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "none.toml"))  # the console channel only

    (tmp_path / "little.yaml").write_text(LITTLE, encoding="utf-8")
    recorder = Recorder()
    engine = Engine.open(f"sqlite:///{tmp_path / 'y.db'}", plugins=[workflow_files(tmp_path / "little.yaml"),
                                                                      recorder])
    try:
        case = engine.start("little", Actor.of("王网格员", "clerk"))
        sim_clock.run_until(engine, timedelta(days=4))
        engine.fire(case.id, "close", Actor.of("李网格长", "leader"))
        deliver_pending(engine)  # delivery calls no hook
        assert engine.case(case.id).state == "closed"
    finally:
        engine.close()
    assert recorder.calls == [
        "yishi_storage",
        "yishi_register_guards",
        "yishi_register_actions",
        "yishi_register_notifiers",
        "yishi_engine_opened",
        "yishi_workflow_files",
        "yishi_event_committed 1:start→handling (1 notes)",
        "yishi_event_committed 2:remind→handling (1 notes)",
        "yishi_event_committed 3:escalate→escalated (1 notes)",
        "yishi_event_committed 4:close→closed (0 notes)",
    ]


def test_trace_switch_prints_every_hook_call_and_result(tmp_path: Path) -> None:
    env = {**os.environ, "YISHI_TRACE_PLUGINS": "1", "YISHI_DB": f"sqlite:///{tmp_path / 'y.db'}",
           "YISHI_LANG": "en", "YISHI_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run([sys.executable, "-m", "yishi.cli", "tick"], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("[yishi plugins]")]
    calls = [line.split()[2].split("(")[0] for line in lines if "->" in line]
    assert calls[:6] == ["yishi_storage", "yishi_register_guards", "yishi_register_actions",
                         "yishi_register_notifiers", "yishi_register_documents", "yishi_engine_opened"]
    assert "[yishi plugins] yishi_storage(url) -> [yishi.plugins.sqlstore]" in lines
    assert any(line.startswith("[yishi plugins] yishi_storage returned <yishi.plugins.sqlstore.store.SqlStore")
               for line in lines)
    assert "[yishi plugins] yishi_register_notifiers returned []" in lines
    quiet = subprocess.run([sys.executable, "-m", "yishi.cli", "tick"], capture_output=True, text=True,
                           env={**env, "YISHI_TRACE_PLUGINS": "0"}, encoding="utf-8", timeout=120)
    assert "[yishi plugins]" not in quiet.stderr


GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def _guide_blocks() -> list[str]:
    import re

    return re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.parametrize("index", range(len(_guide_blocks())))
def test_the_plugin_guide_examples_run(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "none.toml"))
    code = _guide_blocks()[index]
    exec(compile(code, f"{GUIDE}:block{index}", "exec", dont_inherit=True),  # noqa: S102 - our own docs
         {"__name__": f"guide_{index}"})
