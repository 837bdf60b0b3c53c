"""Tampering with a database the way someone with write access to it could: through SQL, past
the append-only triggers (a maintenance window), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, create_engine, delete, select, update

from yishi.engine.chain import event_hash
from yishi.engine.engine import Engine
from yishi.engine.replay import replay
from yishi.engine.types import Case, Event
from yishi.plugins.sqlstore.append_only import maintenance_window
from yishi.plugins.sqlstore.store import _case_values
from yishi.plugins.sqlstore.tables import (
    CaseActorRow, CaseRow, DefinitionRow, EventRow, LinkRow, OutboxRow, TimerDbRow,
)

cases_t = CaseRow.__table__
events_t = EventRow.__table__
timers_t = TimerDbRow.__table__
defs_t = DefinitionRow.__table__


@contextmanager
def raw(url: str) -> Iterator[Connection]:
    """One transaction on ``url`` with a maintenance window open (the triggers let it through)."""
    eng = create_engine(url)
    try:
        with eng.begin() as conn, maintenance_window(conn, "tamper test", "tampering on purpose"):
            yield conn
    finally:
        eng.dispose()


def set_row(url: str, case_id: int, **values: Any) -> None:
    with raw(url) as conn:
        conn.execute(update(cases_t).where(cases_t.c.id == case_id).values(**values))


def edit_data(url: str, case_id: int, change: Callable[[dict[str, Any]], None]) -> None:
    with raw(url) as conn:
        data = conn.execute(select(cases_t.c.data).where(cases_t.c.id == case_id)).scalar_one()
        change(data)
        conn.execute(update(cases_t).where(cases_t.c.id == case_id).values(data=data))


def write_row(conn: Connection, case: Case) -> None:
    values = _case_values(case)
    values.pop("id")
    conn.execute(update(cases_t).where(cases_t.c.id == case.id).values(**values))


def delete_events(url: str, case_id: int, seqs: list[int]) -> None:
    with raw(url) as conn:
        conn.execute(delete(events_t).where(events_t.c.case_id == case_id, events_t.c.seq.in_(seqs)))


def rewrite_events(conn: Connection, events: list[Event]) -> str:
    """Store ``events`` (their content changed) with the hash chain recomputed from the first;
    return the new last hash."""
    prev = events[0].prev_hash
    for ev in events:
        ev = replace(ev, prev_hash=prev)
        digest = event_hash(case_id=ev.case_id, seq=ev.seq, at=ev.at, kind=ev.kind, actor=ev.actor, role=ev.role,
                            trigger=ev.trigger, source=ev.source, dest=ev.dest, data=ev.data,
                            verdicts=ev.verdicts, prev_hash=prev)
        conn.execute(update(events_t).where(events_t.c.case_id == ev.case_id, events_t.c.seq == ev.seq).values(
            source=ev.source, dest=ev.dest, data=ev.data, prev_hash=prev, hash=digest))
        prev = digest
    return prev


def consistent_row(engine: Engine, case_id: int, events: list[Event]) -> Case:
    """The row a careful forger writes: exactly what ``events`` replay to (timers left as they are)."""
    row = engine.case(case_id)
    compiled = engine.library.compiled(engine.library.by_hash(row.workflow_sha256))  # type: ignore[arg-type]
    made = replay(compiled, events, case_id=case_id, sha256=row.workflow_sha256).case
    assert made is not None
    return replace(made, due_at=row.due_at, unit_id=row.unit_id)


def remove_case(url: str, case_id: int) -> None:
    with raw(url) as conn:
        for table, column in ((timers_t, "case_id"), (OutboxRow.__table__, "case_id"), (events_t, "case_id"),
                              (CaseActorRow.__table__, "case_id")):
            conn.execute(delete(table).where(table.c[column] == case_id))
        links = LinkRow.__table__
        conn.execute(delete(links).where((links.c.from_case == case_id) | (links.c.to_case == case_id)))
        conn.execute(delete(cases_t).where(cases_t.c.id == case_id))
