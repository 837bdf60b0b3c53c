"""Timers in the SQL store: the batch claim of due timers, the re-check, the finish and the next
due time, as statements prepared once (``prepared.Query``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from yishi.engine.types import TimerRow
from yishi.plugins.sqlstore.prepared import Query
from yishi.plugins.sqlstore.tables import CaseRow, TimerDbRow

cases_t = CaseRow.__table__
timers_t = TimerDbRow.__table__

_DUE = (timers_t.c.status == "pending", timers_t.c.due_at <= bindparam("now"))
_ORDER = (timers_t.c.due_at, timers_t.c.id)


def _due_rows(skip: frozenset[int] = frozenset()) -> Any:
    stmt = select(timers_t).where(*_DUE)
    if skip:
        stmt = stmt.where(timers_t.c.case_id.not_in(sorted(skip)))
    return stmt.order_by(*_ORDER).limit(bindparam("n"))


def _due_cases(skip: frozenset[int] = frozenset()) -> Any:
    """PostgreSQL: the ids of the earliest due timers whose cases nobody holds, locking those cases."""
    stmt = select(timers_t.c.id).join(cases_t, cases_t.c.id == timers_t.c.case_id).where(*_DUE)
    if skip:
        stmt = stmt.where(timers_t.c.case_id.not_in(sorted(skip)))
    return stmt.order_by(*_ORDER).limit(bindparam("n")).with_for_update(of=cases_t, skip_locked=True)


_LOCK_PENDING = (select(timers_t).where(timers_t.c.id.in_(bindparam("ids", expanding=True)),
                                        timers_t.c.status == "pending")
                 .order_by(*_ORDER).with_for_update())
_STATUS = select(timers_t.c.status).where(timers_t.c.id == bindparam("timer_id"))
_FINISH = (update(timers_t).where(timers_t.c.id == bindparam("b_timer_id"))
           .values(status=bindparam("status"), result=bindparam("result"), finished_at=bindparam("at")))
_OF_CASE = select(timers_t).where(timers_t.c.case_id == bindparam("case_id")).order_by(*_ORDER)
_NEXT_DUE = select(func.min(timers_t.c.due_at).label("due")).where(timers_t.c.status == "pending")


class TimerQueries:
    """The timer statements of one store, compiled for its dialect."""

    def __init__(self, dialect: Any) -> None:
        self.postgres = dialect.name == "postgresql"
        self.due = Query(_due_cases() if self.postgres else _due_rows(), dialect)
        self.status = Query(_STATUS, dialect)
        self.finish = Query(_FINISH, dialect)
        self.next_due = Query(_NEXT_DUE, dialect)
        self.case_timers = Query(_OF_CASE, dialect)

    def claim(self, conn: Connection, now: datetime, limit: int,
              skip_cases: frozenset[int] = frozenset()) -> list[TimerRow]:
        """Up to ``limit`` due timers, earliest first, with their cases locked.

        SQLite: writers are serialised by BEGIN IMMEDIATE, a plain read is the claim.
        PostgreSQL: every writer locks a case before its timers (a step locks the case, then
        cancels and adds its timers), so the claim does too: it locks the cases of the earliest
        due timers that nobody holds (``SKIP LOCKED``: a case being stepped is left for the next
        pass), then those timers, keeping the ones still pending (whoever held a case before
        may have fired or cancelled them).
        """
        values = {"now": now, "n": limit}
        if not self.postgres:
            rows = (self.due.all(conn, values) if not skip_cases
                    else list(conn.execute(_due_rows(skip_cases), values)))
            return [timer_row(r) for r in rows]
        while True:
            ids = [r.id for r in (self.due.all(conn, values) if not skip_cases
                                  else conn.execute(_due_cases(skip_cases), values))]
            if not ids:
                return []
            rows = list(conn.execute(_LOCK_PENDING, {"ids": ids}))
            if rows:
                return [timer_row(r) for r in rows]
            # every one was fired or cancelled by whoever held its case: those are no longer
            # pending, so the next query finds the next ones

    def pending(self, conn: Connection, timer_id: int) -> bool:
        return self.status.scalar(conn, {"timer_id": timer_id}) == "pending"

    def finish_timer(self, conn: Connection, timer_id: int, *, status: str, result: str, at: datetime) -> None:
        self.finish.execute(conn, {"b_timer_id": timer_id, "status": status, "result": result, "at": at})

    def of_case(self, conn: Connection, case_id: int) -> list[TimerRow]:
        return [timer_row(r) for r in self.case_timers.all(conn, {"case_id": case_id})]

    def earliest(self, conn: Connection) -> datetime | None:
        return self.next_due.scalar(conn, {})


def timer_row(row: Any) -> TimerRow:
    return TimerRow(id=row.id, case_id=row.case_id, state=row.state, index=row.idx, due_at=row.due_at,
                    kind=row.kind, target=row.target, status=row.status, result=row.result,
                    detail=row.detail, finished_at=row.finished_at)


# who is told of the timers added on each database of this process (``Store.watch_timers``)
_WATCHERS: dict[str, list[Callable[[datetime], None]]] = {}


def watch(key: str, callback: Callable[[datetime], None]) -> Callable[[], None]:
    _WATCHERS.setdefault(key, []).append(callback)

    def stop() -> None:
        callbacks = _WATCHERS.get(key, [])
        if callback in callbacks:
            callbacks.remove(callback)
        if not callbacks:
            _WATCHERS.pop(key, None)
    return stop


def seen(key: str, due: datetime) -> None:
    for callback in _WATCHERS.get(key, ()):
        callback(due)
