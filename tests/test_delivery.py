"""Outbox delivery: a receiver that is down never blocks a step; failures (HTTP 500, connection
refused, timeout, 4xx, a notifier's own bug) are retried with exponential backoff and given up
after the limit with the error kept; a crashed sender's lease runs out and the row is sent again,
and the crashed sender can no longer mark it; ``yishi outbox list`` and ``retry``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import FOUR, PROPOSAL
from test_notify import Receiver, channel_plugin, free_port, receiver  # noqa: F401 - a fixture
from typer.testing import CliRunner

from yishi.cli import app
from yishi.clock import FixedClock
from yishi.delivery import DeliveryPolicy, deliver_one, deliver_pending, outbox_counts, retry
from yishi.engine import Actor, Engine
from yishi.errors import NotFoundError, RefusedError
from yishi.plugins.webhook import WebhookNotifier

SEC = Actor.of("马书记", "secretary")
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
FAST = {"retry_after": "30s", "retry_max": "10m", "max_attempts": 4, "timeout": 2}


@pytest.fixture(autouse=True)
def _no_personal_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the channels a test sets up: a developer's own config file is not read."""
    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "no-config.toml"))


def hook_engine(url: str, clock: FixedClock, **settings: Any) -> Engine:
    """An engine on ``url`` with a webhook channel ``hook`` (beside the built-in console)."""
    hook = WebhookNotifier({"url": settings.pop("hook_url"), **FAST, **settings}, name="hook")
    return Engine.open(url, plugins=[channel_plugin("hook", hook)], clock=clock)


def deliver(engine: Engine, now: datetime | None = None) -> list[Any]:
    return deliver_pending(engine, now, channels=["hook"])


def hook_rows(engine: Engine, status: str | None = None) -> list[Any]:
    return [n for n in engine.notifications(status=status) if n.channel == "hook"]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def test_policy_backoff_doubles_up_to_the_cap() -> None:
    policy = DeliveryPolicy.from_settings({"retry_after": "30s", "retry_max": "5m", "max_attempts": 3})
    assert [policy.backoff(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 300]
    assert policy.max_attempts == 3 and policy.lease == timedelta(minutes=5)


def test_a_receiver_that_is_down_never_blocks_a_step(sqlite_url: str, clock: FixedClock) -> None:
    engine = hook_engine(sqlite_url, clock, hook_url=f"http://127.0.0.1:{free_port()}/down")
    try:
        case = engine.start(FOUR, SEC, PROPOSAL)
        engine.fire(case.id, "submit_to_committees", SEC)  # no delivery happens in a step
        assert engine.case(case.id).state == "committees_discussion"
        attempts = deliver(engine)
        assert [a.outcome for a in attempts] == ["retry", "retry"]
        assert "ConnectError" in attempts[0].error
        assert engine.case(case.id).state == "committees_discussion"
    finally:
        engine.close()


def test_http_500_is_retried_with_backoff_then_delivered_once(sqlite_url: str, clock: FixedClock,
                                                               receiver: Receiver) -> None:
    receiver.replies += [(500, "busy"), (503, "busy")]
    engine = hook_engine(sqlite_url, clock, hook_url=receiver.url)
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        first = deliver(engine)
        assert [(a.outcome, a.next_attempt_at) for a in first] == [("retry", T0 + timedelta(seconds=30))]
        assert first[0].error == "hook: HTTP 500 busy"
        assert deliver(engine, T0 + timedelta(seconds=29)) == []  # not due yet
        second = deliver(engine, T0 + timedelta(seconds=30))
        assert [(a.outcome, a.next_attempt_at) for a in second] == [("retry", T0 + timedelta(seconds=90))]
        third = deliver(engine, T0 + timedelta(seconds=90))
        assert [a.outcome for a in third] == ["delivered"]
        assert deliver(engine, T0 + timedelta(days=1)) == []
        (row,) = hook_rows(engine)
        assert (row.status, row.attempts, row.error) == ("delivered", 3, "")
        assert row.delivered_at == T0 + timedelta(seconds=90)
        assert receiver.deliveries() == {str(row.id): 3}
    finally:
        engine.close()


def test_connection_refused_gives_up_then_retry_by_hand(sqlite_url: str, clock: FixedClock) -> None:
    port = free_port()
    engine = hook_engine(sqlite_url, clock, hook_url=f"http://127.0.0.1:{port}/hook")
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        outcomes = []
        at = T0
        for _ in range(6):
            outcomes += [a.outcome for a in deliver(engine, at)]
            at += timedelta(hours=1)
        assert outcomes == ["retry", "retry", "retry", "failed"]  # max_attempts = 4
        (row,) = hook_rows(engine, "failed")
        assert row.attempts == 4 and "ConnectError" in row.error
        with Receiver(port) as back:   # the receiver is back up; an operator retries the row
            again = retry(engine, row.id)
            assert (again.status, again.attempts) == ("pending", 0)
            assert [a.outcome for a in deliver(engine)] == ["delivered"]
            assert back.deliveries() == {str(row.id): 1}
        with pytest.raises(RefusedError, match="is delivered"):
            retry(engine, row.id)
        with pytest.raises(NotFoundError):
            retry(engine, 999)
    finally:
        engine.close()


def test_timeout_is_retried(sqlite_url: str, clock: FixedClock, receiver: Receiver) -> None:
    receiver.delay = 1.5
    engine = hook_engine(sqlite_url, clock, hook_url=receiver.url, timeout=0.3)
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        (attempt,) = deliver(engine)
        assert attempt.outcome == "retry" and attempt.error == "hook: no answer within 0.3s (ReadTimeout)"
    finally:
        engine.close()


def test_a_4xx_answer_gives_up_at_once(sqlite_url: str, clock: FixedClock, receiver: Receiver) -> None:
    receiver.replies.append((400, '{"error":"bad payload"}'))
    engine = hook_engine(sqlite_url, clock, hook_url=receiver.url)
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        (attempt,) = deliver(engine)
        assert attempt.outcome == "failed" and attempt.note.attempts == 1
        assert outbox_counts(engine) == {"pending": 1, "sending": 0, "delivered": 0, "failed": 1}
    finally:
        engine.close()


def test_a_notifier_that_raises_is_recorded_not_raised(make_engine: Any) -> None:
    class Broken:
        policy = DeliveryPolicy(max_attempts=2, retry_after=timedelta(0))

        def deliver(self, note: Any) -> None:
            raise RuntimeError("boom")

    engine = make_engine(channel_plugin("broken", Broken()))
    engine.start(FOUR, SEC, PROPOSAL)
    attempts = deliver_pending(engine, channels=["broken"])
    assert [(a.outcome, a.error) for a in attempts] == [("retry", "RuntimeError: boom"),
                                                        ("failed", "RuntimeError: boom")]


def test_a_crashed_senders_lease_runs_out_and_it_cannot_finish(any_url: str, clock: FixedClock,
                                                              receiver: Receiver) -> None:
    engine = hook_engine(any_url, clock, hook_url=receiver.url, lease="2m")
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        with engine.store.write() as tx:  # a worker claims the row, then dies before sending
            crashed = tx.claim_notification(T0, lease_until=T0 + timedelta(minutes=2), channels=["hook"])
        assert crashed is not None and (crashed.status, crashed.attempts) == ("sending", 1)
        assert deliver(engine, T0 + timedelta(minutes=1)) == []  # still leased
        (attempt,) = deliver(engine, T0 + timedelta(minutes=2))
        assert (attempt.outcome, attempt.note.attempts) == ("delivered", 2)
        assert attempt.note.error.startswith("attempt 1 did not finish before its lease ran out")
        with engine.store.write() as tx:  # the first worker wakes up: its finish changes nothing
            assert not tx.finish_notification(crashed.id, attempt=1, status="delivered", error="",
                                              next_attempt_at=None, delivered_at=T0)
        (row,) = hook_rows(engine)
        assert (row.status, row.attempts, row.delivered_at) == ("delivered", 2, T0 + timedelta(minutes=2))
        assert receiver.deliveries() == {str(row.id): 1}
    finally:
        engine.close()


def test_a_sender_that_keeps_crashing_is_given_up(sqlite_url: str, clock: FixedClock, receiver: Receiver) -> None:
    engine = hook_engine(sqlite_url, clock, hook_url=receiver.url, lease="1m", max_attempts=2)
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        for minute in (0, 1):
            with engine.store.write() as tx:
                tx.claim_notification(T0 + timedelta(minutes=minute),
                                      lease_until=T0 + timedelta(minutes=minute + 1), channels=["hook"])
        (attempt,) = deliver(engine, T0 + timedelta(minutes=2))
        assert attempt.outcome == "failed" and "lease ran out" in attempt.error
        assert receiver.requests == []
    finally:
        engine.close()


def test_only_channels_this_worker_knows_are_claimed(sqlite_url: str, clock: FixedClock, receiver: Receiver) -> None:
    engine = hook_engine(sqlite_url, clock, hook_url=receiver.url)
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        assert deliver_one(engine, channels=["nonexistent"]) is None
        assert deliver_one(engine, channels=["hook"]).outcome == "delivered"
    finally:
        engine.close()


# ---------------------------------------------------------------- the CLI
def test_outbox_list_failed_and_retry_on_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f'[notifiers.webhook]\nurl = "http://127.0.0.1:{port}/h"\nmax_attempts = 1\n', encoding="utf-8")
    env = {"YISHI_CONFIG": str(config), "COLUMNS": "200", "YISHI_NOTIFY_LOG": str(tmp_path / "log")}
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return runner.invoke(app, ["--db", sqlite_url, "--lang", "en", *args], env=env)

    assert cli("case", "new", FOUR, "--as", "马书记", "--role", "secretary",
               *[x for k, v in PROPOSAL.items() for x in ("--set", f"{k}={v}")]).exit_code == 0
    result = cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "failed, gave up" in result.output and "notification #" in result.output
    listed = json.loads(cli("outbox", "list", "--failed", "--json").stdout)
    (failed,) = listed["notifications"]
    assert failed["channel"] == "webhook" and "ConnectError" in failed["error"]
    assert listed["counts"] == {"pending": 0, "sending": 0, "delivered": 1, "failed": 1}
    table = cli("outbox", "list").stdout
    assert "webhook" in table and "failed" in table and "delivered 1" in table
    again = cli("outbox", "retry", str(failed["id"]))
    assert again.exit_code == 0 and f"notification #{failed['id']} (webhook) will be sent again now" in again.stdout
    delivered = json.loads(cli("outbox", "list", "--status", "delivered", "--json").stdout)["notifications"]
    refused = cli("outbox", "retry", str(delivered[0]["id"]))
    assert refused.exit_code == 1 and "only failed or pending rows can be retried" in refused.output
    assert json.loads(cli("outbox", "list", "--status", "pending", "--json").stdout)["notifications"][0]["attempts"] == 0
