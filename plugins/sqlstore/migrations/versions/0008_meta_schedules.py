"""meta: the database's own settings (its mode, a simulation's clock); schedule_runs: calendar starts

``meta`` is a key/value table: ``mode`` is ``real`` or ``simulation`` (absent: a sandbox), and a
simulation keeps its simulated now in ``sim_now``. ``schedule_runs`` records each period a
schedule started its case in; its unique (schedule, period) makes a period start exactly once
however many workers tick at the same moment.

Revision ID: 0008_meta_schedules
Revises: 0007_org
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yishi.plugins.sqlstore.tables import UTCDateTime

revision = "0008_meta_schedules"
down_revision = "0007_org"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=50), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule", "period", name="uq_schedule_runs_period"),
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("meta")
