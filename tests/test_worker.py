"""The worker: catches up on overdue timers in due order, stops cleanly on SIGTERM after finishing
the current item, and two worker processes on one PostgreSQL database fire every timer and send
every notification exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_notify import Receiver, receiver  # noqa: F401 - a fixture

from yishi.clock import FixedClock
from yishi.delivery import outbox_counts
from yishi.engine import Actor, Engine
from yishi.testing import workflow_files
from yishi.worker import Worker

OVERDUE = """
id: overdue
version: 1
title: {zh: 逾期测试, en: overdue test}
description: test
roles:
  clerk: {title: {zh: 办事员, en: clerk}}
  leader: {title: {zh: 网格长, en: grid leader}}
initial: a
states:
  a: {title: {zh: 办理, en: handling}, timers: [{after: 1h, remind: [clerk]}, {after: 2h, fire: escalate}]}
  b: {title: {zh: 上报, en: escalated}}
  c: {title: {zh: 办结, en: closed}, final: true}
transitions:
  - {trigger: escalate, source: a, dest: b, title: {zh: 上报, en: escalate}, roles: [clerk]}
  - {trigger: close, source: b, dest: c, title: {zh: 办结, en: close}, roles: [leader]}
"""
CLERK = Actor.of("王网格员", "clerk")


def seed(url: str, tmp_path: Path, cases: int, start: datetime) -> None:
    """``cases`` cases of the ``overdue`` workflow, case i opened ``i`` minutes after ``start``.

    The workers never see the YAML file: they run each case on the definition stored with it."""
    path = tmp_path / "overdue.yaml"
    path.write_text(OVERDUE, encoding="utf-8")
    clock = FixedClock(start)
    engine = Engine.open(url, plugins=[workflow_files(path)], clock=clock)
    try:
        for i in range(cases):
            clock.set(start + timedelta(minutes=i))
            engine.start("overdue", CLERK, {})
    finally:
        engine.close()


def test_a_worker_catches_up_firing_overdue_timers_in_due_order(sqlite_url: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "none.toml"))  # the console channel only
    start = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
    seed(sqlite_url, tmp_path, 5, start)
    # the worker was down for a month
    engine = Engine.open(sqlite_url, clock=FixedClock(start + timedelta(days=30)))
    seen: list[Any] = []
    try:
        totals = Worker(engine, report=seen.append).run(once=True)
        ticks = [r for r in seen if hasattr(r, "timer")]
        dues = [r.timer.due_at for r in ticks]
        assert dues == sorted(dues) and len(ticks) == 10
        assert [(r.timer.case_id, r.timer.kind) for r in ticks[:6]] == [
            (1, "remind"), (2, "remind"), (3, "remind"), (4, "remind"), (5, "remind"), (1, "fire")]
        assert totals.timers == {"reminded": 5, "fired": 5}
        assert totals.deliveries == {"delivered": 15}  # console: 5 starts, 5 reminders, 5 escalations
        assert {c.state for c in engine.cases()} == {"b"}
    finally:
        engine.close()


# ---------------------------------------------------------------- real worker processes
def worker_env(url: str, tmp_path: Path, hook_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a worker process: its database and a config file with a webhook
    channel (this process uses the same config, so the cases it opens write webhook rows too)."""
    config = tmp_path / "config.toml"
    config.write_text(f"""
[notifiers.console]
log = "{tmp_path / 'console.log'}"
[notifiers.webhook]
url = "{hook_url}"
""", encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(config))
    return {**os.environ, "YISHI_DB": url, "YISHI_CONFIG": str(config), "YISHI_LANG": "en",
            "PYTHONIOENCODING": "utf-8"}


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "yishi.cli", "worker", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigterm_finishes_the_current_item_and_exits_cleanly(sqlite_url: str, tmp_path: Path,
                                                             receiver: Receiver,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    env = worker_env(sqlite_url, tmp_path, receiver.url, monkeypatch)
    seed(sqlite_url, tmp_path, 3, datetime.now(timezone.utc))  # 3 start notices, nothing due yet
    receiver.delay = 1.0  # each POST takes a second: SIGTERM arrives in the middle of one
    proc = spawn(env, "--interval", "0.2", "--channel", "webhook")
    try:
        wait_for(lambda: len(receiver.requests) >= 1, 30, "the first POST")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "worker stopped" in err
    engine = Engine.open(sqlite_url)
    try:
        hooks = [n for n in engine.notifications() if n.channel == "webhook"]
        assert [n.status for n in hooks] == ["delivered", "pending", "pending"]
        assert len(receiver.requests) == 1
    finally:
        engine.close()


@pytest.mark.postgres
def test_two_workers_on_postgresql_fire_and_send_each_exactly_once(pg_url: str, tmp_path: Path,
                                                                   receiver: Receiver,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cases = 40
    env = worker_env(pg_url, tmp_path, receiver.url, monkeypatch)
    seed(pg_url, tmp_path, cases, datetime.now(timezone.utc) - timedelta(days=3))  # all overdue
    receiver.delay = 0.01
    workers = [spawn(env, "--interval", "0.2", "--json") for _ in range(2)]
    engine = Engine.open(pg_url)
    try:
        def settled() -> bool:
            counts = outbox_counts(engine)
            return (engine.next_due() is None and counts["pending"] == 0 and counts["sending"] == 0
                    and counts["delivered"] == 2 * 3 * cases)  # 2 channels × (start, remind, escalation)
        wait_for(settled, 120, "both workers to finish")
        outputs = []
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            outputs.append([json.loads(line) for line in out.splitlines() if line.strip()])
        # every notification arrived exactly once
        hook_ids = {str(n.id) for n in engine.notifications() if n.channel == "webhook"}
        assert receiver.deliveries() == {i: 1 for i in hook_ids}
        assert all(n.attempts == 1 for n in engine.notifications())
        # every timer fired exactly once: one reminder and one escalation event per case
        for case in engine.cases():
            kinds = Counter(e.kind for e in engine.history(case.id))
            assert (case.state, kinds["remind"], kinds["timer"]) == ("b", 1, 1)
            assert {t.status for t in engine.timers(case.id)} == {"fired"}
        # both workers took part, and no item was reported by both
        items = [[(k, line[k]) for line in out for k in ("timer", "notification") if k in line] for out in outputs]
        assert all(items), "each worker handled some items"
        assert not set(items[0]) & set(items[1])
        assert len(items[0]) + len(items[1]) == 2 * cases + 2 * 3 * cases
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        engine.close()


def test_a_timer_that_cannot_fire_does_not_stop_delivery(sqlite_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from yishi.errors import StorageError

    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "none.toml"))  # the console channel only
    start = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
    seed(sqlite_url, tmp_path, 1, start)
    engine = Engine.open(sqlite_url, clock=FixedClock(start + timedelta(days=1)))

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise StorageError("the database is unavailable")

    monkeypatch.setattr(engine, "tick", down)
    seen: list[Any] = []
    try:
        totals = Worker(engine, report=seen.append).run(once=True)
    finally:
        engine.close()
    assert totals.errors == ["the database is unavailable"]
    assert totals.deliveries == {"delivered": 1}  # the start notice still went out
