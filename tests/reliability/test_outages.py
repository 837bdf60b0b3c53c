"""Outages (issue #10, findings 11 and 13): a receiver down for 3 days loses nothing; permanent
failures fail at once and are retried in bulk by hand; each channel's lease is its own; a worker
whose database is unreachable says so once, backs off and says once that it recovered.

Real loopback servers: an HTTP receiver, and a TCP proxy in front of PostgreSQL that the test
cuts and restores. ``YISHI_RELIABILITY_NOTES`` (default 10) sets how many notifications wait
out the outage.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import FOUR, PROPOSAL
from test_notify import Receiver, channel_plugin, free_port, receiver  # noqa: F401 - a fixture
from typer.testing import CliRunner

from yishi.cli import app
from yishi.clock import FixedClock
from yishi.delivery import DeliveryPolicy, deliver_one, deliver_pending, failed_count
from yishi.engine import Actor, Engine
from yishi.plugins.webhook import WebhookNotifier

SEC = Actor.of("马书记", "secretary")
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
NOTES = int(os.environ.get("YISHI_RELIABILITY_NOTES", "10"))


@pytest.fixture(autouse=True)
def _no_personal_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "no-config.toml"))


def test_a_three_day_receiver_outage_loses_nothing(sqlite_url: str) -> None:
    """The default policy, a receiver that refuses connections for 3 days, the simulated clock
    moving in 5-minute steps: every notification arrives, once, soon after it comes back."""
    port = free_port()
    clock = FixedClock(T0)
    hook = WebhookNotifier({"url": f"http://127.0.0.1:{port}/hook", "timeout": 2}, name="hook")
    engine = Engine.open(sqlite_url, plugins=[channel_plugin("hook", hook)], clock=clock)
    step = timedelta(minutes=5)
    try:
        for i in range(NOTES):
            engine.start(FOUR, SEC, {**PROPOSAL, "subject": f"议题 {i}"})
        attempts = 0
        while clock.now() < T0 + timedelta(days=3):
            tried = deliver_pending(engine, channels=["hook"])
            assert all(a.outcome == "retry" for a in tried), [a.error for a in tried if a.outcome != "retry"]
            attempts += len(tried)
            clock.advance(step)
        back_at = clock.now()
        assert failed_count(engine) == 0
        with Receiver(port) as back:
            while any(n.status != "delivered" for n in engine.notifications() if n.channel == "hook"):
                assert clock.now() < back_at + timedelta(hours=3), "not delivered 3 hours after the receiver came back"
                deliver_pending(engine, channels=["hook"])
                clock.advance(step)
            counts = back.deliveries()
        rows = [n for n in engine.notifications() if n.channel == "hook"]
        latest = max(n.delivered_at for n in rows if n.delivered_at is not None)
    finally:
        engine.close()
    assert len(rows) == NOTES and all(n.status == "delivered" for n in rows)
    assert sorted(counts.values()) == [1] * NOTES  # each exactly once
    print(f"\n3-day outage: {NOTES}/{NOTES} notifications delivered once each, the last "
          f"{(latest - back_at).total_seconds() / 60:.0f} min after the receiver came back; "
          f"{attempts} failed attempts during the outage ({attempts / NOTES:.0f} per notification, "
          f"at most hourly)")


def test_permanent_robot_errors_fail_at_once_busy_ones_are_retried(make_engine: Any,
                                                                   receiver: Receiver) -> None:  # noqa: F811
    ding = WebhookNotifier({"url": receiver.url, "format": "dingtalk"}, name="ding")
    engine = make_engine(channel_plugin("ding", ding))
    engine.start(FOUR, SEC, PROPOSAL)
    engine.start(FOUR, SEC, PROPOSAL)
    receiver.replies += [(200, '{"errcode":130101,"errmsg":"send too fast"}'),
                         (200, '{"errcode":310000,"errmsg":"keywords not in content"}')]
    outcomes = [a.outcome for a in deliver_pending(engine, channels=["ding"])]
    assert outcomes == ["retry", "failed"]
    assert failed_count(engine) == 1


def test_each_channel_holds_its_rows_for_its_own_lease(make_engine: Any) -> None:
    leases: dict[str, timedelta] = {}

    class Recorder:
        def __init__(self, name: str, lease: str) -> None:
            self.name = name
            self.policy = DeliveryPolicy.from_settings({"lease": lease})

        def deliver(self, note: Any) -> None:
            leases[self.name] = note.next_attempt_at - T0  # the claim's lease end

    clock = FixedClock(T0)
    engine = make_engine(channel_plugin("quick", Recorder("quick", "1m")),
                         channel_plugin("slow", Recorder("slow", "2h")))
    engine.clock = clock
    engine.start(FOUR, SEC, PROPOSAL)
    while deliver_one(engine, T0, channels=["quick", "slow"]) is not None:
        pass
    assert leases == {"quick": timedelta(minutes=1), "slow": timedelta(hours=2)}


def test_outbox_retry_failed_in_bulk_by_channel(sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f'[notifiers.a]\ntype = "webhook"\nurl = "http://127.0.0.1:{port}/a"\nmax_attempts = 1\n'
                      f'[notifiers.b]\ntype = "webhook"\nurl = "http://127.0.0.1:{port}/b"\nmax_attempts = 1\n',
                      encoding="utf-8")
    env = {"YISHI_CONFIG": str(config), "COLUMNS": "200", "YISHI_NOTIFY_LOG": str(tmp_path / "log")}
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return runner.invoke(app, ["--db", sqlite_url, "--lang", "en", *args], env=env)

    for _ in range(2):
        assert cli("case", "new", FOUR, "--as", "马书记", "--role", "secretary",
                   *[x for k, v in PROPOSAL.items() for x in ("--set", f"{k}={v}")]).exit_code == 0
    assert cli("worker", "--once").exit_code == 0
    failed = json.loads(cli("outbox", "list", "--failed", "--json").stdout)["notifications"]
    assert sorted(n["channel"] for n in failed) == ["a", "a", "b", "b"]
    result = cli("outbox", "retry", "--failed", "--channel", "a")
    assert result.exit_code == 0 and "2 failed notifications (a) will be sent again now" in result.stdout
    left = json.loads(cli("outbox", "list", "--failed", "--json").stdout)["notifications"]
    assert sorted(n["channel"] for n in left) == ["b", "b"]
    pending = json.loads(cli("outbox", "list", "--status", "pending", "--json").stdout)["notifications"]
    assert sorted(n["channel"] for n in pending) == ["a", "a"] and {n["attempts"] for n in pending} == {0}
    assert cli("outbox", "retry", "--failed").exit_code == 0
    assert json.loads(cli("outbox", "list", "--failed", "--json").stdout)["notifications"] == []
    usage = cli("outbox", "retry")
    assert usage.exit_code == 2 and "--failed" in usage.output


# ---------------------------------------------------------------- the database goes away
class Proxy:
    """A TCP forwarder on loopback in front of PostgreSQL; ``down()`` refuses and cuts every
    connection, ``up()`` serves again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self.listener is not None:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def test_a_worker_waits_quietly_for_the_database_and_says_when_it_is_back(pg_url: str, tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.up()
    via = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    Engine.open(via).close()  # migrated while the database is reachable
    env = {**os.environ, "YISHI_CONFIG": str(tmp_path / "none.toml"), "YISHI_LANG": "en", "COLUMNS": "300"}
    worker = subprocess.Popen([sys.executable, "-m", "yishi.cli", "--db", via, "worker", "--interval", "0.05"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []

    def read() -> None:
        assert worker.stderr is not None
        for line in worker.stderr:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("worker started" in line for line in lines):
            assert time.monotonic() < deadline and worker.poll() is None, lines
            time.sleep(0.05)
        time.sleep(0.3)
        proxy.down()
        time.sleep(4)  # 80 passes at --interval 0.05; two lines a pass before the fix
        during = list(lines)
        proxy.up()
        deadline = time.monotonic() + 30
        while not any("back" in line for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(30)
        reader.join(5)
        proxy.down()
    outage = [line for line in during[1:] if line.strip()]
    waiting = [line for line in lines if "unreachable" in line]
    print(f"\ndatabase unreachable for 4 s (worker --interval 0.05): {len(outage)} line(s) printed meanwhile, "
          f"{sum('back' in line for line in lines)} on recovery")
    assert len(waiting) == 1, lines
    assert len(outage) == 1, outage  # the one 'waiting' line
    assert sum("the database is back" in line for line in lines) == 1, lines
    assert not any("trouble" in line for line in lines), lines


def test_the_cases_screen_shows_how_many_notifications_failed(demo_url: str) -> None:
    """The home screen's counters line warns about notifications given up on (and is silent
    when there are none)."""
    import asyncio

    from test_tui_app import NOW, make_app, running, text_of

    from yishi.delivery import failed_count

    class Refusing:
        policy = DeliveryPolicy(max_attempts=1)

        def deliver(self, note: Any) -> None:
            raise RuntimeError("the receiver said no")

    engine = Engine.open(demo_url, clock=FixedClock(NOW), plugins=[channel_plugin("refusing", Refusing())])
    try:
        async def counters() -> str:
            async with running(make_app(engine)) as pilot:
                return text_of(pilot.app, "#counters")

        assert "通知发送失败" not in asyncio.run(counters())
        engine.start(FOUR, SEC, PROPOSAL)
        deliver_pending(engine, channels=["refusing"])
        assert failed_count(engine) == 1
        assert "通知发送失败 1 条" in asyncio.run(counters())
    finally:
        engine.close()
