"""The statistics' queries on the SQL store (``yishi.stats``).

Month figures come from ``stats_months`` (a summary row per month × unit × procedure × tier,
added to by the steps that open and close cases); what is overdue now from the index
``ix_cases_stats_overdue`` over the open cases. ``received``/``closed`` count the same month
from the case rows themselves (a scan, for checking the summary). No JSON is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functools import cache

from sqlalchemy import Connection, bindparam, case, func, literal, select

from yishi.plugins.sqlstore.store import cases_t
from yishi.plugins.sqlstore.tables import StatsMonthRow

months_t = StatsMonthRow.__table__
MONTH_KEYS = ("month", "unit_id", "workflow_id", "tier")
MONTH_COUNTS = ("received", "closed", "on_time", "handling_seconds", "reopened", "extended",
                "evals_asked", "evals_given", "evals_satisfied")


@cache
def month_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (month, unit, procedure, tier) DO UPDATE adding the counts."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(months_t).values({c: bindparam(c) for c in (*MONTH_KEYS, *MONTH_COUNTS)})
    return stmt.on_conflict_do_update(index_elements=list(MONTH_KEYS),
                                      set_={c: months_t.c[c] + stmt.excluded[c] for c in MONTH_COUNTS})

_COUNTS = ("deadlines_missed", "reopened", "extended", "evals_asked", "evals_given", "evals_satisfied")


class SqlStatsTx:
    """The statistics' reads in one transaction."""

    def __init__(self, conn: Connection, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self.unit = cases_t.c.unit_id if "unit_id" in cases_t.c else literal(None)

    def months(self, months: list[str], *, workflow_id: str | None = None) -> list[dict[str, Any]]:
        """The summary rows of ``months`` (YYYY-MM), or of all months when empty."""
        stmt = select(months_t)
        if months:
            stmt = stmt.where(months_t.c.month.in_(months))
        if workflow_id is not None:
            stmt = stmt.where(months_t.c.workflow_id == workflow_id)
        return [dict(row._mapping) for row in self.conn.execute(stmt)]

    def closed_by_tier(self, workflow_id: str | None = None,
                       units: tuple[int, ...] | None = None) -> dict[int, int]:
        """Cases closed per resolving tier (1…), over every month, summed in the database (the
        home screen's share resolved within the community reads this, not thousands of rows)."""
        stmt = (select(months_t.c.tier, func.sum(months_t.c.closed)).where(months_t.c.tier > 0)
                .group_by(months_t.c.tier))
        if workflow_id is not None:
            stmt = stmt.where(months_t.c.workflow_id == workflow_id)
        if units is not None:
            stmt = stmt.where(months_t.c.unit_id.in_(units))
        return {int(t): int(n) for t, n in self.conn.execute(stmt) if n}

    def received(self, start: datetime, end: datetime) -> list[tuple[Any, str, int]]:
        """(unit_id, workflow_id, cases opened in [start, end))."""
        c = cases_t.c
        stmt = (select(self.unit, c.workflow_id, func.count())
                .where(c.opened_at >= start, c.opened_at < end).group_by(self.unit, c.workflow_id))
        return [(u, w, int(n)) for u, w, n in self.conn.execute(stmt)]

    def closed(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Per unit, procedure and resolved tier, the cases closed in [start, end): how many,
        how many without a missed deadline, their handling time in seconds (summed), how many
        were reopened or extended at least once, and the evaluations asked, given and satisfied."""
        c = cases_t.c
        if self.dialect == "sqlite":
            seconds = (func.julianday(c.closed_at) - func.julianday(c.opened_at)) * 86400.0
        else:
            seconds = func.extract("epoch", c.closed_at - c.opened_at)
        stmt = (select(self.unit.label("unit_id"), c.workflow_id, c.resolved_tier,
                       func.count().label("closed"),
                       func.sum(case((c.deadlines_missed == 0, 1), else_=0)).label("on_time"),
                       func.sum(seconds).label("seconds"),
                       func.sum(case((c.reopened > 0, 1), else_=0)).label("reopened"),
                       func.sum(case((c.extended > 0, 1), else_=0)).label("extended"),
                       func.sum(c.evals_asked).label("evals_asked"),
                       func.sum(c.evals_given).label("evals_given"),
                       func.sum(c.evals_satisfied).label("evals_satisfied"))
                .select_from(cases_t)
                .where(c.closed_at >= start, c.closed_at < end)
                .group_by(self.unit, c.workflow_id, c.resolved_tier))
        return [dict(row._mapping) for row in self.conn.execute(stmt)]

    def overdue(self, now: datetime) -> list[tuple[Any, str, int | None, int]]:
        """(unit_id, workflow_id, tier, open cases whose due time has passed at ``now``)."""
        c = cases_t.c
        stmt = (select(self.unit, c.workflow_id, c.tier, func.count())
                .where(c.closed_at.is_(None), c.due_at <= now)
                .group_by(self.unit, c.workflow_id, c.tier))
        return [(u, w, t, int(n)) for u, w, t, n in self.conn.execute(stmt)]
