""""my actions" from counter rows: case_actor_counts, kept by triggers on case_actors (insert-only
deltas, folded every 512), filled here from the existing case_actors rows
(see yishi.plugins.sqlstore.actor_counts).

Revision ID: 0011_actor_counts
Revises: 0010_stats
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yishi.plugins.sqlstore.actor_counts import FILL, create_sql, drop_sql

revision = "0011_actor_counts"
down_revision = "0010_stats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_actor_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.String(length=500), nullable=False),
        sa.Column("unit", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.execute(FILL)
    for statement in create_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_sql(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("case_actor_counts")
