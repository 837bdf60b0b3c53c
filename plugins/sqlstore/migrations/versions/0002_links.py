"""case links: one case started another (hand-over), referenced both ways

Revision ID: 0002_links
Revises: 0001_initial
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yishi.plugins.sqlstore.tables

revision = "0002_links"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_case", sa.Integer(), nullable=False),
        sa.Column("to_case", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("at", yishi.plugins.sqlstore.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["from_case"], ["cases.id"]),
        sa.ForeignKeyConstraint(["to_case"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("links") as batch_op:
        batch_op.create_index("ix_links_from_case", ["from_case"], unique=False)
        batch_op.create_index("ix_links_to_case", ["to_case"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("links") as batch_op:
        batch_op.drop_index("ix_links_to_case")
        batch_op.drop_index("ix_links_from_case")
    op.drop_table("links")
