"""cases.act_roles: the roles that may take a step now, for "my actions" lists

Revision ID: 0004_act_roles
Revises: 0003_timer_detail
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_act_roles"
down_revision = "0003_timer_detail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("act_roles", sa.String(length=500), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("act_roles")
