"""Issue 10, finding 3: events and the administration log are append-only in the schema, on SQLite
and PostgreSQL; the maintenance window is the documented escape, and ``verify`` says when one was
left open. (The whole suite runs with these triggers in place: nothing in yishi updates or deletes
an event or a log entry.)"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, delete, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from conftest import FOUR, PROPOSAL
from tamper import events_t, raw
from yishi.cli import app
from yishi.engine import Actor, Engine
from yishi.plugins.sqlstore.org_tables import OrgLogRow

SEC = Actor.of("王书记", "secretary")
ADMIN = Actor.of("管理员")
log_t = OrgLogRow.__table__


def refused(url: str, statement) -> str:  # noqa: ANN001
    eng = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, eng.begin() as conn:
            conn.execute(statement)
        return str(caught.value.orig)
    finally:
        eng.dispose()


def test_events_and_the_log_refuse_update_and_delete(any_url: str) -> None:
    with Engine.open(any_url) as engine:
        case = engine.start(FOUR, SEC, PROPOSAL)
        engine.fire(case.id, "submit_to_committees", SEC)
        engine.org.add_unit("区", "城关区", by=ADMIN)
        assert engine.org.log()
    attempts = {
        "UPDATE events": update(events_t).where(events_t.c.case_id == case.id).values(actor="李四"),
        "DELETE events": delete(events_t).where(events_t.c.case_id == case.id, events_t.c.seq == 2),
        "UPDATE org_log": update(log_t).values(actor="李四"),
        "DELETE org_log": delete(log_t),
    }
    if any_url.startswith("postgresql"):
        attempts["TRUNCATE events"] = text("TRUNCATE events CASCADE")
    reasons = {what: refused(any_url, stmt) for what, stmt in attempts.items()}
    print(f"\nappend-only on {any_url.split(':')[0]}: {len(reasons)}/{len(attempts)} changes refused")
    for what, reason in reasons.items():
        table = what.split()[1]
        assert f"{table} is append-only" in reason and "maintenance window" in reason, reason
    with Engine.open(any_url) as engine:
        assert len(engine.history(case.id)) == 2 and engine.verify().ok
        # the escape: a maintenance window, opened and closed in the transaction that repairs
        with raw(any_url) as conn:
            conn.execute(update(events_t).where(events_t.c.case_id == case.id, events_t.c.seq == 2)
                         .values(actor="李四"))
        report = engine.verify()
        assert [b.code for b in report.broken] == ["chain.content"] and report.unlocked == []
        with raw(any_url) as conn:
            conn.execute(update(log_t).where(log_t.c.seq == 1).values(actor="李四"))
        report = engine.verify()
        assert report.log_broken and report.log_broken[0][0] == 1 and not report.ok


def test_verify_says_when_a_maintenance_window_was_left_open(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        engine.start(FOUR, SEC, PROPOSAL)
    eng = create_engine(sqlite_url)
    with eng.begin() as conn:  # opened, never closed
        conn.exec_driver_sql("INSERT INTO record_maintenance (opened_at, opened_by, reason) "
                             "VALUES ('2026-12-01 08:00:00.000000', '张工', '修复导入错误')")
    with eng.begin() as conn:  # while it is open, anyone may change an event
        conn.execute(update(events_t).values(actor="李四"))
    eng.dispose()
    result = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", "zh", "verify"])
    assert result.exit_code == 1 and "维护窗口未关闭（张工" in result.stderr and "修复导入错误" in result.stderr
    with Engine.open(sqlite_url) as engine:
        assert engine.verify().unlocked == [("2026-12-01T08:00:00+00:00", "张工", "修复导入错误")]
