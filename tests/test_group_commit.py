"""Issue 13: a simulation commits in groups. Inside ``engine.group()`` every write is a savepoint
of one transaction: nothing is visible to another connection (nor on disk) until the block
ends, a step that fails is still undone alone, and an error escaping the block undoes all of
it. A real database refuses it."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from yishi.engine import Actor, Engine
from yishi.errors import ConflictError, RefusedError
from yishi.testing import SimClock

WORKFLOW = "four_discussions_two_disclosures"
SECRETARY = Actor.of("王书记", "secretary")
PROPOSAL = {"subject": "闲置厂房出租", "matter_type": "collective_assets", "proposal": "出租给幼儿园。"}


def _events(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT count(*) FROM events").fetchone()[0]


def test_a_group_commits_once_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    with Engine.open(f"sqlite:///{path}") as engine:
        before = _events(path)
        with engine.group():
            ids = [engine.start(WORKFLOW, SECRETARY, dict(PROPOSAL)).id for _ in range(5)]
            for case_id in ids:
                engine.fire(case_id, "submit_to_committees", SECRETARY)
            # the engine reads its own writes inside the group ...
            assert {engine.case(i).state for i in ids} == {"committees_discussion"}
            # ... another connection sees none of them until the block ends
            assert _events(path) == before
        assert _events(path) == before + 10
        assert engine.verify().ok


def test_a_failing_step_in_a_group_is_undone_alone(any_url: str) -> None:
    with Engine.open(any_url) as engine:
        with engine.group():
            first = engine.start(WORKFLOW, SECRETARY, dict(PROPOSAL))
            engine.fire(first.id, "submit_to_committees", SECRETARY)
            with pytest.raises(ConflictError):  # a stale revision: refused, nothing of it written
                engine.fire(first.id, "send_back", SECRETARY, {"reason": "材料不全"}, expected_rev=first.rev)
            with pytest.raises(RefusedError):
                engine.fire(first.id, "no_such_step", SECRETARY)
            second = engine.start(WORKFLOW, SECRETARY, dict(PROPOSAL))
        assert engine.case(first.id).state == "committees_discussion"
        assert [e.kind for e in engine.history(first.id)] == ["start", "fire"]
        assert engine.case(second.id).state == "proposal"
        assert engine.verify().ok


def test_an_error_leaving_the_group_undoes_the_whole_block(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        kept = engine.start(WORKFLOW, SECRETARY, dict(PROPOSAL))
        with pytest.raises(KeyboardInterrupt), engine.group():
            engine.fire(kept.id, "submit_to_committees", SECRETARY)
            engine.start(WORKFLOW, SECRETARY, dict(PROPOSAL))
            raise KeyboardInterrupt  # as a crash would: nothing of the block was committed
        assert [c.id for c in engine.cases()] == [kept.id]
        assert engine.case(kept.id).state == "proposal"
        with engine.group(), engine.group():  # a group inside a group is part of it
            engine.fire(kept.id, "submit_to_committees", SECRETARY)
        assert engine.case(kept.id).state == "committees_discussion"
        assert engine.verify().ok


def test_timers_fire_inside_a_group(sqlite_url: str) -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    clock = SimClock(start, freeze=False)
    with clock, Engine.open(sqlite_url, clock=clock) as engine:
        with engine.group():
            case = engine.start("grid_escalation", Actor.of("网格员小李", "grid_member"), {
                "subject": "路灯不亮", "reporter": "居民", "place": "小区", "category": "facilities",
                "urgency": "normal", "description": "三号楼前路灯不亮"})
            results = clock.run_until(engine, timedelta(days=90))
        assert results and all(r.outcome != "failed" for r in results)
        assert [e.kind for e in engine.history(case.id)][-len(results):] == \
            [("remind" if r.outcome == "reminded" else "timer") for r in results if r.event is not None]
        assert engine.verify().ok


def test_a_real_database_refuses_a_group(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        engine.org.init("张主任", "zhang", root="东街街道")
        with pytest.raises(RefusedError, match="real database"):
            engine.group()
