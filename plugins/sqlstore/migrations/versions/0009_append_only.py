"""events and org_log are append-only in the schema: triggers refuse UPDATE and DELETE (and
TRUNCATE on PostgreSQL) unless a maintenance window is open in ``record_maintenance``
(see yishi.plugins.sqlstore.append_only and the README's "Maintenance").

Revision ID: 0009_append_only
Revises: 0008_meta_schedules
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yishi.plugins.sqlstore.append_only import create_sql, drop_sql
from yishi.plugins.sqlstore.tables import UTCDateTime

revision = "0009_append_only"
down_revision = "0008_meta_schedules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_maintenance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
    )
    dialect = op.get_bind().dialect.name
    for statement in create_sql(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_sql(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("record_maintenance")
