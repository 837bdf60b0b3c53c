"""The SQL store on a SQLite file and on a real PostgreSQL server (YISHI_TEST_PG)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.clock import FixedClock
from yishi.engine import Actor, CaseFilter, Engine
from yishi.errors import ConflictError, RefusedError, StorageError, YishiError
from yishi.hookspecs import hookimpl
from yishi.testing import workflow_files

T0 = datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)


def test_schema_is_migrated_to_head(any_url: str) -> None:
    from alembic.script import ScriptDirectory

    from yishi.plugins.sqlstore.migrate import HEAD, alembic_config, current_revision
    from yishi.plugins.sqlstore.store import SqlStore

    store = SqlStore(any_url)
    try:
        assert current_revision(store) == HEAD
        assert ScriptDirectory.from_config(alembic_config(store)).get_current_head() == HEAD
        SqlStore(any_url).close()  # opening again at head is a no-op
    finally:
        store.close()


def test_sqlite_is_wal_with_full_sync(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        info = engine.store.describe()
    assert info["journal_mode"] == "wal" and info["synchronous"] == "FULL"


def test_round_trip_keeps_chinese_and_utc(any_url: str, secretary: Actor) -> None:
    clock = FixedClock(T0)
    with Engine.open(any_url, clock=clock) as engine:
        case = engine.start(FOUR, secretary, PROPOSAL)
        clock.advance(timedelta(hours=3))
        engine.fire(case.id, "submit_to_committees", secretary)
    with Engine.open(any_url, clock=clock) as engine:
        again = engine.case(case.id)
        assert again.subject == "闲置厂房出租给幼儿园"
        assert again.data["proposal"]["proposal"].startswith("将村集体闲置厂房")
        assert again.opened_at == T0 and again.opened_at.tzinfo is not None
        assert again.state_entered_at == T0 + timedelta(hours=3)
        events = engine.history(case.id)
        assert [e.at for e in events] == [T0, T0 + timedelta(hours=3)]
        assert events[0].actor == "王书记"
        assert engine.verify().ok


def test_full_flow_and_filters(any_url: str, secretary: Actor) -> None:
    clock = FixedClock(T0)
    with Engine.open(any_url, clock=clock) as engine:
        ids = [engine.start(FOUR, secretary, {**PROPOSAL, "subject": f"议题{i}"}).id for i in range(5)]
        for case_id in ids[:3]:
            engine.fire(case_id, "submit_to_committees", secretary)
        engine.fire(ids[4], "withdraw", secretary, {"reason": "重复"})
        assert engine.count(CaseFilter(open=True)) == 4
        assert engine.count(CaseFilter(open=False)) == 1
        assert engine.count(CaseFilter(state="committees_discussion")) == 3
        assert [c.subject for c in engine.cases(CaseFilter(search="议题3"))] == ["议题3"]
        page = engine.cases(CaseFilter(limit=2, offset=1))
        assert len(page) == 2
        assert engine.verify().ok


def _race(url: str, clock: FixedClock, case_id: int, rev: int, trigger: str, data: dict[str, Any],
          n: int = 2) -> list[str]:
    engines = [Engine.open(url, clock=clock) for _ in range(n)]
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def run(engine: Engine) -> None:
        barrier.wait()
        try:
            engine.fire(case_id, trigger, Actor.of("某书记", "secretary"), data, expected_rev=rev)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.close()
    return sorted(outcomes)


def test_concurrent_fires_one_wins_one_conflicts(any_url: str, secretary: Actor) -> None:
    clock = FixedClock(T0)
    with Engine.open(any_url, clock=clock) as engine:
        case = engine.start(FOUR, secretary, PROPOSAL)
    assert _race(any_url, clock, case.id, case.rev, "submit_to_committees", {}) == ["conflict", "ok"]
    with Engine.open(any_url, clock=clock) as engine:
        assert engine.case(case.id).state == "committees_discussion"
        assert len(engine.history(case.id)) == 2
        assert engine.verify().ok


def test_two_engines_tick_each_timer_once(any_url: str, secretary: Actor) -> None:
    clock = FixedClock(T0)
    with Engine.open(any_url, clock=clock) as engine:  # 12 cases waiting out their notice period
        for _ in range(12):
            case = engine.start(FOUR, secretary, PROPOSAL)
            for trigger, data in (("submit_to_committees", {}), ("submit_to_party_members", COMMITTEES),
                                  ("submit_to_representatives", PARTY),
                                  ("pass_resolution", representatives(15, 9))):
                engine.fire(case.id, trigger, secretary, data)
        assert engine.next_due() == T0 + timedelta(days=7)
    later = T0 + timedelta(days=8)
    engines = [Engine.open(any_url, clock=FixedClock(later)) for _ in range(2)]
    results: list[list[Any]] = [[], []]
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = engines[i].tick()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fired = [r.timer.id for rs in results for r in rs]
    assert len(fired) == 12 and len(set(fired)) == 12
    with engines[0] as engine:
        reminders = [e for c in engine.cases() for e in engine.history(c.id) if e.kind == "remind"]
        assert len(reminders) == 12
        assert engine.verify().ok
    engines[1].close()


class Exploding(BaseModel):
    pass


class ExplodingPlugin:
    """An action that fails after the guards passed: the step must leave no trace."""

    @hookimpl
    def yishi_register_actions(self, register: Any) -> None:
        def explode(ctx: Any, args: Any) -> None:
            raise YishiError("the archive service refused the file")
        register("explode", explode, args=Exploding)


def test_failure_inside_a_step_rolls_everything_back(any_url: str, tmp_path, secretary: Actor) -> None:  # noqa: ANN001
    from yishi.definition import load_file

    loaded = load_file(__import__("yishi.workflows", fromlist=["x"]).__path__[0]
                       + "/four_discussions_two_disclosures.yaml")
    text = loaded.text.replace("id: four_discussions_two_disclosures", "id: exploding").replace(
        "    dest: committees_discussion\n", "    dest: committees_discussion\n    actions: [explode]\n", 1)
    (tmp_path / "exploding.yaml").write_text(text, encoding="utf-8")
    with Engine.open(any_url, plugins=[ExplodingPlugin(), workflow_files(tmp_path / "exploding.yaml")]) as engine:
        assert engine.workflow_problems == []
        case = engine.start("exploding", secretary, PROPOSAL)
        with pytest.raises(YishiError, match="archive service refused"):
            engine.fire(case.id, "submit_to_committees", secretary)
        after = engine.case(case.id)
        assert (after.state, after.rev, after.last_seq) == (case.state, case.rev, case.last_seq)
        assert len(engine.history(case.id)) == 1
        assert len(engine.notifications(case_id=case.id)) == 1  # the start notice only
        assert engine.verify().ok
        with pytest.raises(RefusedError):
            engine.fire(case.id, "submit_to_party_members", secretary)


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="unavailable|cannot open"):
        Engine.open("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(StorageError, match="no storage plugin serves"):
        Engine.open("mongodb://localhost/x")


def test_migrations_match_the_models(any_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from yishi.plugins.sqlstore.store import SqlStore
    from yishi.plugins.sqlstore.tables import metadata

    store = SqlStore(any_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == []
    finally:
        store.close()


def test_times_stored_by_a_step_compare_exactly(any_url: str, secretary: Actor) -> None:
    """A step's writes (the fast path) store times exactly as SQLAlchemy does, to the microsecond,
    so filters at an exact second agree with what was written."""
    clock = FixedClock(T0)  # 01:00:00.000000 — zero microseconds is the case that once differed
    with Engine.open(any_url, clock=clock) as engine:
        case = engine.start(FOUR, secretary, PROPOSAL)
        engine.fire(case.id, "withdraw", secretary, {"reason": "重复"})
        assert [c.id for c in engine.cases(CaseFilter(closed_since=T0))] == [case.id]
        assert engine.cases(CaseFilter(closed_since=T0 + timedelta(microseconds=1))) == []
        assert engine.case(case.id).closed_at == T0
    if any_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(any_url.removeprefix("sqlite:///"))
        stored = {row[0] for row in conn.execute("SELECT closed_at FROM cases UNION SELECT at FROM events")}
        conn.close()
        assert stored == {"2026-11-01 01:00:00.000000"}
