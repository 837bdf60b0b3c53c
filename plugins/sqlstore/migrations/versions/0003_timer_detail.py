"""timers.detail: the list item and the people a data-driven timer reminds

Revision ID: 0003_timer_detail
Revises: 0002_links
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_timer_detail"
down_revision = "0002_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timers") as batch_op:
        batch_op.add_column(sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("timers") as batch_op:
        batch_op.drop_column("detail")
