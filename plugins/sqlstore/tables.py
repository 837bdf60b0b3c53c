"""SQLModel tables of the built-in store: definitions, cases, events, timers, outbox, meta, schedule runs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


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


def _utc() -> Any:
    return Field(sa_type=UTCDateTime)


class DefinitionRow(SQLModel, table=True):
    """A workflow definition's exact text, kept so pinned cases run after the file changes."""

    __tablename__ = "definitions"
    sha256: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(index=True, max_length=100)
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    file: str = Field(default="", max_length=500)
    loaded_at: datetime = _utc()


class CaseRow(SQLModel, table=True):
    """One run of one workflow."""

    __tablename__ = "cases"
    __table_args__ = (
        # the case lists (migration 0006): open cases by urgency ("my actions": case_actors)
        Index("ix_cases_open_urgency", "closed_at", text("(due_at IS NULL)"), "due_at", text("id DESC")),
        # the statistics (migration 0010): open cases overdue now, by tier, unit and procedure
        # (the month figures come from the stats_months summary, not from scanning cases)
        Index("ix_cases_stats_overdue", "closed_at", "due_at", "workflow_id", "tier", "unit_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(index=True, max_length=100)
    workflow_version: int
    workflow_sha256: str = Field(foreign_key="definitions.sha256", max_length=64)
    state: str = Field(max_length=100)
    subject: str = Field(default="", max_length=500)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    opened_by: str = Field(default="", max_length=200)
    opened_at: datetime = _utc()
    state_entered_at: datetime = _utc()
    updated_at: datetime = _utc()
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    act_roles: str = Field(default="", max_length=500)  # ",role,role," who may act now
    rev: int = 1
    last_seq: int = 0
    last_hash: str = Field(default="", max_length=64)
    unit_id: int | None = Field(default=None, foreign_key="org_units.id", index=True)  # migration 0007
    # what the statistics count (yishi.stats.track; migration 0010)
    tier: int | None = None
    resolved_tier: int | None = None
    deadlines_missed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reopened: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    extended: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    evals_asked: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    evals_given: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    evals_satisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class StatsMonthRow(SQLModel, table=True):
    """Counts per month (in the deployment's time zone) × unit × procedure × resolving tier, added
    to in the transaction of the step that opens or closes a case (yishi.stats.track)."""

    __tablename__ = "stats_months"
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    unit_id: int = Field(default=0, primary_key=True)  # 0: no unit
    workflow_id: str = Field(primary_key=True, max_length=100)
    tier: int = Field(default=0, primary_key=True)  # the tier that resolved the closed cases; 0: none
    received: int = 0
    closed: int = 0
    on_time: int = 0
    handling_seconds: float = 0.0
    reopened: int = 0
    extended: int = 0
    evals_asked: int = 0
    evals_given: int = 0
    evals_satisfied: int = 0


class CaseActorRow(SQLModel, table=True):
    """A role that may act on an open case now: "my actions" is an index lookup, not a LIKE scan."""

    __tablename__ = "case_actors"
    __table_args__ = (Index("ix_case_actors_role", "role", "roles", "case_id"),)
    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    role: str = Field(primary_key=True, max_length=100)
    roles: str = Field(default="", max_length=500)  # every role that may act on the case (",a,b,")


class CaseActorCountRow(SQLModel, table=True):
    """How many ``case_actors`` rows there are per (role, roles, unit), as insert-only deltas
    folded now and then (``yishi.plugins.sqlstore.actor_counts``): "my actions" sums a few rows."""

    __tablename__ = "case_actor_counts"
    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=100)
    roles: str = Field(max_length=500)
    unit: int = 0  # the case's unit_id; 0: none
    n: int


class EventRow(SQLModel, table=True):
    """An append-only, hash-chained record of one thing that happened to a case."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    seq: int
    at: datetime = _utc()
    kind: str = Field(max_length=20)
    actor: str = Field(max_length=200)
    role: str = Field(default="", max_length=100)
    trigger: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100)
    dest: str | None = Field(default=None, max_length=100)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    verdicts: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class TimerDbRow(SQLModel, table=True):
    """A deadline of a case's state: reminds roles or fires a trigger when due."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_pending_due", "due_at", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    state: str = Field(max_length=100)
    idx: int = 0
    due_at: datetime = _utc()
    kind: str = Field(max_length=10)
    target: str = Field(max_length=500)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False,
                                                                server_default="{}"))
    status: str = Field(default="pending", max_length=10)
    result: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxRow(SQLModel, table=True):
    """A notification waiting for (or done with) delivery by one notifier channel."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "next_attempt_at", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        # a row being sent: next_attempt_at is when its sender's lease runs out
        Index("ix_outbox_sending", "next_attempt_at", sqlite_where=text("status = 'sending'"),
              postgresql_where=text("status = 'sending'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    event_seq: int
    channel: str = Field(max_length=100)
    kind: str = Field(max_length=50)
    recipients: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    payload: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default="pending", max_length=10)  # pending | sending | delivered | failed
    attempts: int = 0
    created_at: datetime = _utc()
    next_attempt_at: datetime = _utc()
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class LinkRow(SQLModel, table=True):
    """A reference between two cases: one started the other (a hand-over), recorded both ways."""

    __tablename__ = "links"
    id: int | None = Field(default=None, primary_key=True)
    from_case: int = Field(foreign_key="cases.id", index=True)
    to_case: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(default="handover", max_length=50)
    at: datetime = _utc()
    actor: str = Field(default="", max_length=200)


class MetaRow(SQLModel, table=True):
    """The database's own settings: ``mode`` (real | simulation; absent: sandbox), ``sim_now``."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_column=Column(Text, nullable=False))


class ScheduleRunRow(SQLModel, table=True):
    """One period in which a schedule started its case; unique, so a period starts exactly once."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule", "period", name="uq_schedule_runs_period"),)
    id: int | None = Field(default=None, primary_key=True)
    schedule: str = Field(max_length=200)
    period: str = Field(max_length=50)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    at: datetime = _utc()


from yishi.plugins.sqlstore import org_tables  # noqa: E402,F401 - registers the organisation's tables

class MaintenanceRow(SQLModel, table=True):
    """A maintenance window: while one is open (``closed_at`` NULL) the append-only triggers on
    events and the administration log let UPDATE and DELETE through (see append_only.py)."""

    __tablename__ = "record_maintenance"
    id: int | None = Field(default=None, primary_key=True)
    opened_at: datetime = _utc()
    opened_by: str = Field(max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


metadata = SQLModel.metadata
