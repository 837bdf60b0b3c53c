"""The built-in store's tables (SQLAlchemy Core): definitions, cases, events, timers, outbox, meta,
schedule runs; the organisation's are in ``org_tables``.

Plain ``Table`` objects, not SQLModel classes: the store only ever used their ``__table__``,
and building the classes (with SQLModel and SQLAlchemy's ORM imported for them) took longer
than everything else in opening a database, on the TUI's way to its first page (issue 13). The
``…Row`` names remain, each holding its table as ``__table__``. Columns, types, nullability,
indexes and Python-side defaults are those the SQLModel classes had (``tests/test_storage.py``
compares them with the migrations).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text,
    UniqueConstraint, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

class UTCDateTime(TypeDecorator):
    """Stores UTC (naive on SQLite, timestamptz on PostgreSQL); always reads back aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


JSONType = JSON().with_variant(JSONB(), "postgresql")
metadata = MetaData()
_NONE: Any = object()


def col(name: str, type_: Any, *args: Any, null: bool = False, default: Any = _NONE, **kw: Any) -> Column:
    """A column as SQLModel made it: NOT NULL unless ``null``, the Python default given."""
    if default is not _NONE:
        kw["default"] = default
    return Column(name, type_, *args, nullable=null, **kw)


def pk() -> Column:
    return Column("id", Integer, primary_key=True)


def s(n: int) -> String:
    return String(n)


def _row(name: str, table: Table, doc: str) -> type:
    """The old class name, holding the table as ``__table__`` (what the store reads)."""
    return type(name, (), {"__table__": table, "__doc__": doc})


DefinitionRow = _row("DefinitionRow", Table(
    "definitions", metadata,
    col("sha256", s(64), primary_key=True),
    col("workflow_id", s(100), index=True),
    col("version", Integer),
    Column("text", Text, nullable=False),
    col("file", s(500), default=""),
    col("loaded_at", UTCDateTime),
), "A workflow definition's exact text, kept so pinned cases run after the file changes.")

CaseRow = _row("CaseRow", Table(
    "cases", metadata,
    pk(),
    col("workflow_id", s(100), index=True),
    col("workflow_version", Integer),
    col("workflow_sha256", s(64), ForeignKey("definitions.sha256")),
    col("state", s(100)),
    col("subject", s(500), default=""),
    Column("data", JSONType, nullable=False),
    col("opened_by", s(200), default=""),
    col("opened_at", UTCDateTime),
    col("state_entered_at", UTCDateTime),
    col("updated_at", UTCDateTime),
    col("closed_at", UTCDateTime, null=True, default=None),
    col("due_at", UTCDateTime, null=True, default=None),
    col("act_roles", s(500), default=""),  # ",role,role," who may act now
    col("rev", Integer, default=1),
    col("last_seq", Integer, default=0),
    col("last_hash", s(64), default=""),
    col("unit_id", Integer, ForeignKey("org_units.id"), null=True, default=None, index=True),  # migration 0007
    # what the statistics count (yishi.stats.track; migration 0010)
    col("tier", Integer, null=True, default=None),
    col("resolved_tier", Integer, null=True, default=None),
    *[col(name, Integer, default=0, server_default="0") for name in (
        "deadlines_missed", "reopened", "extended", "evals_asked", "evals_given", "evals_satisfied")],
    # the case lists (migration 0006): open cases by urgency ("my actions": case_actors)
    Index("ix_cases_open_urgency", "closed_at", text("(due_at IS NULL)"), "due_at", text("id DESC")),
    # the statistics (migration 0010): open cases overdue now, by tier, unit and procedure
    # (the month figures come from the stats_months summary, not from scanning cases)
    Index("ix_cases_stats_overdue", "closed_at", "due_at", "workflow_id", "tier", "unit_id"),
), "One run of one workflow.")

StatsMonthRow = _row("StatsMonthRow", Table(
    "stats_months", metadata,
    col("month", s(7), primary_key=True),  # YYYY-MM
    col("unit_id", Integer, primary_key=True, default=0),  # 0: no unit
    col("workflow_id", s(100), primary_key=True),
    col("tier", Integer, primary_key=True, default=0),  # the resolving tier; 0: none
    col("received", Integer, default=0),
    col("closed", Integer, default=0),
    col("on_time", Integer, default=0),
    col("handling_seconds", Float, default=0.0),
    *[col(name, Integer, default=0) for name in ("reopened", "extended", "evals_asked", "evals_given",
                                                 "evals_satisfied")],
), "Counts per month (in the deployment's time zone) × unit × procedure × resolving tier, added to "
   "in the transaction of the step that opens or closes a case (yishi.stats.track).")

CaseActorRow = _row("CaseActorRow", Table(
    "case_actors", metadata,
    col("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    col("role", s(100), primary_key=True),
    col("roles", s(500), default=""),  # every role that may act on the case (",a,b,")
    Index("ix_case_actors_role", "role", "roles", "case_id"),
), 'A role that may act on an open case now: "my actions" is an index lookup, not a LIKE scan.')

CaseActorCountRow = _row("CaseActorCountRow", Table(
    "case_actor_counts", metadata,
    pk(),
    col("role", s(100)),
    col("roles", s(500)),
    col("unit", Integer, default=0),  # the case's unit_id; 0: none
    col("n", Integer),
), "How many ``case_actors`` rows there are per (role, roles, unit), as insert-only deltas folded now "
   "and then (``yishi.plugins.sqlstore.actor_counts``): \"my actions\" sums a few rows.")

EventRow = _row("EventRow", Table(
    "events", metadata,
    pk(),
    col("case_id", Integer, ForeignKey("cases.id")),
    col("seq", Integer),
    col("at", UTCDateTime),
    col("kind", s(20)),
    col("actor", s(200)),
    col("role", s(100), default=""),
    col("trigger", s(100), null=True, default=None),
    col("source", s(100), null=True, default=None),
    col("dest", s(100), null=True, default=None),
    Column("data", JSONType, nullable=False),
    Column("verdicts", JSONType, nullable=False),
    col("prev_hash", s(64)),
    col("hash", s(64)),
    UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
), "An append-only, hash-chained record of one thing that happened to a case.")

TimerDbRow = _row("TimerDbRow", Table(
    "timers", metadata,
    pk(),
    col("case_id", Integer, ForeignKey("cases.id"), index=True),
    col("state", s(100)),
    col("idx", Integer, default=0),
    col("due_at", UTCDateTime),
    col("kind", s(10)),
    col("target", s(500)),
    Column("detail", JSONType, nullable=False, server_default="{}"),
    col("status", s(10), default="pending"),
    Column("result", Text, nullable=False, server_default=""),
    col("finished_at", UTCDateTime, null=True, default=None),
    Index("ix_timers_pending_due", "due_at", sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
), "A deadline of a case's state: reminds roles or fires a trigger when due.")

OutboxRow = _row("OutboxRow", Table(
    "outbox", metadata,
    pk(),
    col("case_id", Integer, ForeignKey("cases.id"), index=True),
    col("event_seq", Integer),
    col("channel", s(100)),
    col("kind", s(50)),
    Column("recipients", JSONType, nullable=False),
    Column("payload", JSONType, nullable=False),
    col("status", s(10), default="pending"),  # pending | sending | delivered | failed
    col("attempts", Integer, default=0),
    col("created_at", UTCDateTime),
    col("next_attempt_at", UTCDateTime),
    col("delivered_at", UTCDateTime, null=True, default=None),
    Column("error", Text, nullable=False, server_default=""),
    Index("ix_outbox_pending", "next_attempt_at", sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
    # a row being sent: next_attempt_at is when its sender's lease runs out
    Index("ix_outbox_sending", "next_attempt_at", sqlite_where=text("status = 'sending'"),
          postgresql_where=text("status = 'sending'")),
), "A notification waiting for (or done with) delivery by one notifier channel.")

LinkRow = _row("LinkRow", Table(
    "links", metadata,
    pk(),
    col("from_case", Integer, ForeignKey("cases.id"), index=True),
    col("to_case", Integer, ForeignKey("cases.id"), index=True),
    col("kind", s(50), default="handover"),
    col("at", UTCDateTime),
    col("actor", s(200), default=""),
), "A reference between two cases: one started the other (a hand-over), recorded both ways.")

MetaRow = _row("MetaRow", Table(
    "meta", metadata,
    col("key", s(100), primary_key=True),
    Column("value", Text, nullable=False),
), "The database's own settings: ``mode`` (real | simulation; absent: sandbox), ``sim_now``.")

ScheduleRunRow = _row("ScheduleRunRow", Table(
    "schedule_runs", metadata,
    pk(),
    col("schedule", s(200)),
    col("period", s(50)),
    col("case_id", Integer, ForeignKey("cases.id"), null=True, default=None),
    col("at", UTCDateTime),
    UniqueConstraint("schedule", "period", name="uq_schedule_runs_period"),
), "One period in which a schedule started its case; unique, so a period starts exactly once.")

from yishi.plugins.sqlstore import org_tables  # noqa: E402,F401 - registers the organisation's tables

MaintenanceRow = _row("MaintenanceRow", Table(
    "record_maintenance", metadata,
    pk(),
    col("opened_at", UTCDateTime),
    col("opened_by", s(200)),
    Column("reason", Text, nullable=False),
    col("closed_at", UTCDateTime, null=True, default=None),
), "A maintenance window: while one is open (``closed_at`` NULL) the append-only triggers on events and "
   "the administration log let UPDATE and DELETE through (see append_only.py).")
