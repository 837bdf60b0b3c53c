"""Schedules (issue #12 item 12): cases started on a calendar, exactly once per period across
workers. Organic Law of Villagers' Committees (domain.md): the villagers' representatives'
meeting is held each quarter; 三务公开 (party, village and financial affairs) is disclosed each
quarter."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from yishi.config import ConfigError
from yishi.engine import CaseFilter, Engine
from yishi.testing import SimClock, workflow_files
from yishi.time.schedules import runs

SH = ZoneInfo("Asia/Shanghai")

QUARTERLY = """
id: quarterly_representatives
version: 1
title: {zh: 村民代表会议（季度）, en: quarterly representatives' meeting}
description: {zh: 每季度召开一次村民代表会议, en: the representatives meet each quarter}
subject: subject
roles:
  secretary: {title: {zh: 书记, en: secretary}}
schedules:
  - id: each_quarter
    every: quarter
    day: 1
    at: "09:00"
    data: {subject: "{period}村民代表会议"}
states:
  preparing:
    initial: true
    title: {zh: 筹备, en: preparing}
    form:
      - {name: subject, type: text, required: true, label: {zh: 事由, en: subject}}
  held:
    title: {zh: 已召开, en: held}
    final: true
transitions:
  - {trigger: hold, source: preparing, dest: held, title: {zh: 召开, en: hold}, roles: [secretary]}
"""


@pytest.fixture
def quarterly(tmp_path: Path) -> object:
    path = tmp_path / "quarterly.yaml"
    path.write_text(QUARTERLY, encoding="utf-8")
    return workflow_files(path)


def _subjects(engine: Engine) -> list[str]:
    return sorted(c.subject for c in engine.cases(CaseFilter(workflow_id="quarterly_representatives")))


def test_a_simulation_starts_one_case_each_quarter_at_its_time(tmp_path: Path, quarterly: object) -> None:
    with Engine.open(f"sqlite:///{tmp_path / 'sim.db'}", plugins=[quarterly]) as engine:
        engine.set_mode("simulation", now=datetime(2026, 3, 15, 2, 0, tzinfo=timezone.utc))
        engine.tick()  # the first quarter's meeting was due on 1 January and has not been started
        engine.advance(datetime(2026, 10, 15, 2, 0, tzinfo=timezone.utc))
        engine.tick()
        engine.advance_by("1d")
        assert _subjects(engine) == ["2026年第1季度村民代表会议", "2026年第2季度村民代表会议",
                                     "2026年第3季度村民代表会议", "2026年第4季度村民代表会议"]
        opened = sorted(c.opened_at.astimezone(SH).strftime("%Y-%m-%d %H:%M")
                        for c in engine.cases(CaseFilter(workflow_id="quarterly_representatives")))
        assert opened == ["2026-03-15 10:00", "2026-04-01 09:00", "2026-07-01 09:00", "2026-10-01 09:00"]
        assert [(p, c is not None) for _, p, c, _ in runs(engine)] == [
            ("2026-Q1", True), ("2026-Q2", True), ("2026-Q3", True), ("2026-Q4", True)]
        start = engine.history(engine.cases(CaseFilter(workflow_id="quarterly_representatives"))[0].id)[0]
        assert start.kind == "start" and start.actor == "system"


def test_a_period_is_started_once_by_a_fresh_engine_too(tmp_path: Path, quarterly: object) -> None:
    url = f"sqlite:///{tmp_path / 'sched.db'}"
    with SimClock(datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc)):
        for _ in range(3):  # three programs in turn, each ticking twice
            with Engine.open(url, plugins=[quarterly]) as engine:
                engine.tick()
                engine.tick()
        with Engine.open(url, plugins=[quarterly]) as engine:
            assert _subjects(engine) == ["2026年第2季度村民代表会议"]


@pytest.mark.postgres
def test_two_workers_on_postgresql_start_each_period_exactly_once(pg_url: str, quarterly: object) -> None:
    engines = [Engine.open(pg_url, plugins=[quarterly]) for _ in range(4)]
    try:
        for moment in (datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc),
                       datetime(2026, 7, 1, 1, 0, tzinfo=timezone.utc)):
            barrier = threading.Barrier(len(engines))
            errors: list[BaseException] = []

            def work(engine: Engine) -> None:
                try:
                    barrier.wait()
                    engine.tick(moment)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(e,)) for e in engines]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
        assert _subjects(engines[0]) == ["2026年第2季度村民代表会议", "2026年第3季度村民代表会议"]
        assert [p for _, p, _, _ in runs(engines[0])] == ["2026-Q2", "2026-Q3"]
    finally:
        for engine in engines:
            engine.close()


def test_a_deployment_schedules_a_workflow(tmp_path: Path, quarterly: object) -> None:
    settings = {"three_affairs": {"workflow": "quarterly_representatives", "every": "month", "day": 5,
                                  "data": {"subject": "{period}三务公开"}}}
    with SimClock(datetime(2026, 5, 5, 1, 0, tzinfo=timezone.utc)), \
            Engine.open(f"sqlite:///{tmp_path / 'd.db'}", plugins=[quarterly], schedules=settings) as engine:
        engine.tick()
        assert "2026年5月三务公开" in _subjects(engine)
        assert {k for k, _, _, _ in runs(engine)} == {"deployment:three_affairs", "quarterly_representatives:each_quarter"}
    with pytest.raises(ConfigError) as err:
        Engine.open(f"sqlite:///{tmp_path / 'e.db'}", schedules={"x": {"every": "month"}})
    assert "workflow" in err.value.message and "流程" in err.value.message_zh
    with pytest.raises(ConfigError) as err:
        Engine.open(f"sqlite:///{tmp_path / 'e.db'}", schedules={"x": {"workflow": "w", "every": "fortnight"}})
    assert "[schedules.x] every" in err.value.message
