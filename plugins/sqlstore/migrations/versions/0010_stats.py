"""cases: the statistics' columns (tier, resolution, deadlines missed, reopens, extensions,
evaluations); stats_months, the month summary the reports read; case_actors ("who may act"
without LIKE scans)

Existing cases are backfilled from their events with the same fold the engine applies step by
step (``yishi.stats.track.fold``), the month summary from those columns, and "who may act" from
``act_roles`` of the open cases.
``ix_cases_stats_overdue`` (closed_at, due_at, workflow_id, tier) replaces ``ix_cases_open_due``;
``ix_case_actors_role`` replaces ``ix_cases_open_roles`` (the LIKE scan it served is gone).

Revision ID: 0010_stats
Revises: 0009_append_only
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0010_stats"
down_revision = "0009_append_only"
branch_labels = None
depends_on = None

COUNTS = ("deadlines_missed", "reopened", "extended", "evals_asked", "evals_given", "evals_satisfied")
FIGURES = ("tier", "resolved_tier", *COUNTS)


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy of the table: on SQLite that loses expression indexes)
    op.add_column("cases", sa.Column("tier", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("resolved_tier", sa.Integer(), nullable=True))
    for name in COUNTS:
        op.add_column("cases", sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    op.drop_index("ix_cases_open_due", table_name="cases")
    op.drop_index("ix_cases_open_roles", table_name="cases")
    op.create_table(
        "case_actors",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("role", sa.String(length=100), primary_key=True),
        sa.Column("roles", sa.String(length=500), nullable=False),
    )
    _backfill(op.get_bind())
    op.create_index("ix_case_actors_role", "case_actors", ["role", "roles", "case_id"])
    op.create_index("ix_cases_stats_overdue", "cases", ["closed_at", "due_at", "workflow_id", "tier", "unit_id"])
    op.create_table(
        "stats_months",
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("unit_id", sa.Integer(), primary_key=True),
        sa.Column("workflow_id", sa.String(length=100), primary_key=True),
        sa.Column("tier", sa.Integer(), primary_key=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in ("received", "closed", "on_time")],
        sa.Column("handling_seconds", sa.Float(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in ("reopened", "extended", "evals_asked",
                                                                     "evals_given", "evals_satisfied")],
    )
    _summarise(op.get_bind())
    if op.get_bind().dialect.name == "sqlite":
        # 0007 as first landed copied the cases table in batch mode and lost this expression
        # index (SQLAlchemy cannot reflect it): databases migrated by that version get it back
        op.execute("CREATE INDEX IF NOT EXISTS ix_cases_open_urgency "
                   "ON cases (closed_at, (due_at IS NULL), due_at, id DESC)")


def _backfill(conn: sa.Connection) -> None:
    from yishi.stats.track import SATISFACTION_FIELD, fold

    asks: dict[str, dict[str, bool]] = {}
    for sha, text in conn.execute(sa.text("SELECT sha256, text FROM definitions")):
        try:
            states = (yaml.safe_load(text) or {}).get("states") or {}
        except yaml.YAMLError:
            states = {}
        asks[sha] = {name: any(isinstance(f, dict) and f.get("name") == SATISFACTION_FIELD
                               for f in (spec or {}).get("form") or [])
                     for name, spec in states.items() if isinstance(spec, dict)}
    shas = dict(conn.execute(sa.text("SELECT id, workflow_sha256 FROM cases")).all())
    dues: dict[int, list[tuple[str, datetime]]] = {}
    for case_id, state, due in conn.execute(sa.text("SELECT case_id, state, due_at FROM timers")):
        dues.setdefault(case_id, []).append((state, _when(due)))
    update = sa.text("UPDATE cases SET " + ", ".join(f"{n} = :{n}" for n in FIGURES) + " WHERE id = :case_id")
    batch: list[dict] = []
    events = conn.execute(sa.text("SELECT case_id, at, kind, trigger, source, dest, data FROM events "
                                  "ORDER BY case_id, seq")).mappings()
    current, mine = None, []

    def flush_case() -> None:
        if current is None:
            return
        figures = fold(mine, asks.get(shas.get(current, ""), {}), dues.get(current, ()))
        batch.append({"case_id": current, **{n: getattr(figures, n) for n in FIGURES}})
        if len(batch) >= 5000:
            conn.execute(update, batch)
            batch.clear()

    import json

    for row in events:
        if row["case_id"] != current:
            flush_case()
            current, mine = row["case_id"], []
        data = row["data"]
        mine.append({**row, "at": _when(row["at"]), "data": json.loads(data) if isinstance(data, str) else data})
    flush_case()
    if batch:
        conn.execute(update, batch)
    rows = conn.execute(sa.text("SELECT id, act_roles FROM cases WHERE closed_at IS NULL AND act_roles <> ''"))
    pairs = [{"case_id": case_id, "role": role, "roles": roles} for case_id, roles in rows
             for role in dict.fromkeys(r for r in roles.split(",") if r)]
    if pairs:
        conn.execute(sa.text("INSERT INTO case_actors (case_id, role, roles) VALUES (:case_id, :role, :roles)"),
                     pairs)


def _summarise(conn: sa.Connection) -> None:
    """The month summary of the existing cases, months cut in ``$YISHI_TZ`` (else Asia/Shanghai,
    the engine's default: a deployment with another zone in its config file sets YISHI_TZ)."""
    import os
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(os.environ.get("YISHI_TZ") or "Asia/Shanghai")
    sums: dict[tuple, dict[str, float]] = {}

    def add(key: tuple, **counts: float) -> None:
        row = sums.setdefault(key, dict.fromkeys(SUMMARY, 0))
        for name, n in counts.items():
            row[name] += n

    rows = conn.execute(sa.text(
        "SELECT workflow_id, COALESCE(unit_id, 0), opened_at, closed_at, resolved_tier, deadlines_missed, "
        "reopened, extended, evals_asked, evals_given, evals_satisfied FROM cases"))
    for wf, unit, opened, closed, tier, missed, reopened, extended, asked, given, satisfied in rows:
        opened = _when(opened)
        add((opened.astimezone(tz).strftime("%Y-%m"), unit, wf, 0), received=1)
        if closed is not None:
            closed = _when(closed)
            add((closed.astimezone(tz).strftime("%Y-%m"), unit, wf, tier or 0), closed=1,
                on_time=1 if missed == 0 else 0, handling_seconds=(closed - opened).total_seconds(),
                reopened=1 if reopened else 0, extended=1 if extended else 0, evals_asked=asked,
                evals_given=given, evals_satisfied=satisfied)
    if sums:
        conn.execute(sa.text("INSERT INTO stats_months (month, unit_id, workflow_id, tier, " + ", ".join(SUMMARY)
                             + ") VALUES (:month, :unit_id, :workflow_id, :tier, "
                             + ", ".join(f":{n}" for n in SUMMARY) + ")"),
                     [{"month": m, "unit_id": u, "workflow_id": w, "tier": t, **row}
                      for (m, u, w, t), row in sums.items()])


SUMMARY = ("received", "closed", "on_time", "handling_seconds", "reopened", "extended", "evals_asked",
           "evals_given", "evals_satisfied")


def _when(value: object) -> datetime:
    """A stored time as aware UTC (SQLite keeps naive UTC text, PostgreSQL timestamptz)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def downgrade() -> None:
    op.drop_table("stats_months")
    op.drop_index("ix_cases_stats_overdue", table_name="cases")
    op.drop_index("ix_case_actors_role", table_name="case_actors")
    op.drop_table("case_actors")
    op.create_index("ix_cases_open_due", "cases", ["closed_at", "due_at"])
    op.create_index("ix_cases_open_roles", "cases", ["closed_at", "act_roles"])
    with op.batch_alter_table("cases") as batch:
        for name in reversed(FIGURES):
            batch.drop_column(name)
