"""Issue 13: time-driven work in batches. ``tick`` claims the due timers with one query and fires
them a batch to a transaction, each exactly once and in due order (a timer that a step of the
batch adds comes before the later ones), each at its own due time when asked (``at_due``); a
timer whose step fails is undone alone (a savepoint) and stays pending."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from yishi.clock import FixedClock
from yishi.engine import Actor, Engine
from yishi.hookspecs import hookimpl
from yishi.testing import workflow_files

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
CLERK = Actor.of("王网格员", "clerk")
WORKFLOW = """
id: chain
version: 1
title: {zh: 连环, en: chain}
description: a reminder after 30 minutes, then a deadline after an hour in each of two states
roles: {clerk: {title: {zh: 办事员, en: clerk}}}
initial: a
states:
  a:
    title: {zh: 甲, en: a}
    form: [{name: subject, type: text, label: {zh: 事由, en: subject}}]
    timers: [{after: 30m, remind: [clerk]}, {after: 1h, fire: go}]
  b: {title: {zh: 乙, en: b}, timers: [{after: 1h, fire: go}]}
  c: {title: {zh: 丙, en: c}, final: true}
transitions:
  - {trigger: go, source: a, dest: b, title: {zh: 转乙, en: to b}, roles: [clerk], actions: [{boom: {}}]}
  - {trigger: go, source: b, dest: c, title: {zh: 办结, en: close}, roles: [clerk]}
"""


class Boom:
    """An action that fails on cases whose subject is ``bad`` while ``armed``."""

    armed = True

    @hookimpl
    def yishi_register_actions(self, register: Any) -> None:
        def boom(ctx: Any, _args: Any) -> None:
            if self.armed and ctx.case.data.get("a", {}).get("subject") == "bad":
                raise RuntimeError("the plugin's service is down")
        register("boom", boom)


@pytest.fixture
def wf(tmp_path: Path) -> Any:
    path = tmp_path / "chain.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    return workflow_files(path)


def open_engine(url: str, wf: Any, clock: Any, boom: Boom | None = None) -> Engine:
    return Engine.open(url, plugins=[wf, boom or Boom()], clock=clock)


def start(engine: Engine, clock: FixedClock, at: datetime, subject: str = "ok") -> int:
    clock.set(at)
    return engine.start("chain", CLERK, {"subject": subject}).id


@contextmanager
def counting_writes(engine: Engine) -> Iterator[list[int]]:
    """Count the engine's write transactions."""
    count = [0]
    write = engine.store.write

    @contextmanager
    def counted() -> Iterator[Any]:
        count[0] += 1
        with write() as tx:
            yield tx
    engine.store.write = counted  # type: ignore[method-assign]
    try:
        yield count
    finally:
        engine.store.write = write  # type: ignore[method-assign]


def test_a_backlog_fires_in_batches_each_timer_once_in_due_order(any_url: str, wf: Any) -> None:
    clock = FixedClock(T0)
    engine = open_engine(any_url, wf, clock)
    try:
        ids = [start(engine, clock, T0 + timedelta(seconds=i)) for i in range(120)]
        clock.set(T0 + timedelta(days=1))
        with counting_writes(engine) as writes:
            results = engine.tick()
        # 120 reminders and 120 steps to b (at the tick's now, so b's deadlines fall an hour
        # later): 240 timers in a handful of transactions, not one each
        assert [r.outcome for r in results].count("reminded") == 120
        assert [r.outcome for r in results].count("fired") == 120
        assert writes[0] <= 5, writes[0]
        keys = [(r.timer.due_at, r.timer.id) for r in results]
        assert keys == sorted(keys)
        assert len({r.timer.id for r in results}) == 240
        assert all(r.event is not None and r.event.at == T0 + timedelta(days=1) for r in results)
        assert {c.state for c in engine.cases()} == {"b"}
        assert engine.tick() == [] and engine.next_due() == T0 + timedelta(days=1, hours=1)
        clock.set(T0 + timedelta(days=2))
        assert [r.outcome for r in engine.tick()] == ["fired"] * 120
        assert {c.state for c in engine.cases()} == {"c"} and engine.next_due() is None
        for case_id in ids[:3]:
            assert [t.status for t in engine.timers(case_id)] == ["fired", "fired", "fired"]
        assert engine.verify().ok
    finally:
        engine.close()


def test_at_due_each_timer_fires_at_its_own_time_in_order_with_those_added_on_the_way(
        sqlite_url: str, wf: Any) -> None:
    clock = FixedClock(T0)
    engine = open_engine(sqlite_url, wf, clock)
    try:
        one = start(engine, clock, T0)
        two = start(engine, clock, T0 + timedelta(minutes=90))
        clock.set(T0 + timedelta(minutes=10))  # a sandbox's injected clock: back before both are due
        results = engine.tick(T0 + timedelta(hours=5), at_due=True)
        got = [(r.timer.case_id, r.outcome, r.event.at - T0) for r in results if r.event]
        # case one's deadline in b (added by its first step, due at 2h) fires before case two's
        # reminder (2h) and deadline (2.5h), which were already due when the tick began
        assert got == [(one, "reminded", timedelta(minutes=30)), (one, "fired", timedelta(hours=1)),
                       (two, "reminded", timedelta(hours=2)), (one, "fired", timedelta(hours=2)),
                       (two, "fired", timedelta(hours=2, minutes=30)),
                       (two, "fired", timedelta(hours=3, minutes=30))]
        assert all(r.event.at == r.timer.due_at for r in results if r.event)
        # the injected clock followed the timers
        assert clock.now() == T0 + timedelta(hours=3, minutes=30)
        assert engine.verify().ok
    finally:
        engine.close()


def test_a_failing_timer_is_undone_alone_and_stays_pending(any_url: str, wf: Any) -> None:
    clock, boom = FixedClock(T0), Boom()
    engine = open_engine(any_url, wf, clock, boom)
    try:
        good = start(engine, clock, T0)
        bad = start(engine, clock, T0 + timedelta(minutes=1), "bad")
        later = start(engine, clock, T0 + timedelta(minutes=2))
        clock.set(T0 + timedelta(hours=4))
        results = engine.tick()
        outcomes = [(r.timer.case_id, r.outcome) for r in results]
        assert (bad, "failed") in outcomes
        failed = next(r for r in results if r.outcome == "failed")
        assert "service is down" in failed.reason and failed.reason_zh
        # the others of the batch are kept, the bad case's reminder too (a timer of its own)
        assert engine.case(good).state == "b" and engine.case(later).state == "b"
        history = [e.kind for e in engine.history(bad)]
        assert history == ["start", "remind"]
        assert engine.case(bad).state == "a"
        assert [t.status for t in engine.timers(bad)] == ["fired", "pending"]
        assert [r.outcome for r in engine.tick()] == ["failed"]  # tried again on each tick
        # the plugin's service is back: the next tick fires it, once
        boom.armed = False
        again = engine.tick()
        assert [(r.timer.case_id, r.outcome) for r in again] == [(bad, "fired")]
        assert engine.case(bad).state == "b" and engine.tick() == []
        clock.set(T0 + timedelta(hours=6))
        assert sorted(r.timer.case_id for r in engine.tick()) == [good, bad, later]
        assert {c.state for c in engine.cases()} == {"c"}
        assert engine.verify().ok
    finally:
        engine.close()


def test_a_savepoint_undoes_its_block_alone(any_url: str) -> None:
    engine = Engine.open(any_url)
    try:
        with engine.store.write() as tx:
            tx.set_meta("kept", "1")
            with pytest.raises(ValueError):
                with tx.savepoint():
                    tx.set_meta("undone", "2")
                    raise ValueError("no")
            tx.set_meta("after", "3")
        with engine.store.read() as tx:
            assert (tx.get_meta("kept"), tx.get_meta("undone"), tx.get_meta("after")) == ("1", None, "3")
    finally:
        engine.close()


def test_a_worker_pass_ends_when_only_a_failing_timer_is_left(sqlite_url: str, wf: Any) -> None:
    from yishi.worker import Worker

    clock = FixedClock(T0)
    engine = open_engine(sqlite_url, wf, clock)
    try:
        start(engine, clock, T0, "bad")
        start(engine, clock, T0)
        clock.set(T0 + timedelta(hours=4))
        totals = Worker(engine, batch=2).run(once=True)  # returns: the pass does not spin on it
        assert (totals.timers["reminded"], totals.timers["fired"]) == (2, 1)
        assert 1 <= totals.timers["failed"] <= 2
    finally:
        engine.close()


def test_a_tick_that_claims_every_due_timer_ends_in_one_transaction(any_url: str, wf: Any) -> None:
    """A claim that comes back short of a batch has found every due timer: when their steps add
    nothing due now, the tick ends there instead of opening another transaction to learn that
    nothing is left (one BEGIN IMMEDIATE, one claim and one commit less a tick)."""
    clock = FixedClock(T0)
    engine = open_engine(any_url, wf, clock)
    try:
        for i in range(3):
            start(engine, clock, T0 + timedelta(seconds=i))
        clock.set(T0 + timedelta(minutes=45))  # the three reminders are due, the deadlines not yet
        with counting_writes(engine) as writes:
            results = engine.tick()
        assert [r.outcome for r in results] == ["reminded"] * 3
        assert writes[0] == 1
        clock.set(T0 + timedelta(hours=1, minutes=30))  # the deadlines: their steps add b's, due later
        with counting_writes(engine) as writes:
            assert [r.outcome for r in engine.tick()] == ["fired"] * 3
        assert writes[0] == 1
    finally:
        engine.close()
