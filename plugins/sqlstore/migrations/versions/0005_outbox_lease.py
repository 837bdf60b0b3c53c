"""outbox: an index on the leases of rows being sent, so a crashed sender's rows are found fast

A row being delivered has status 'sending' and its next_attempt_at is when the sender's lease
runs out; after that another worker may claim it again.

Revision ID: 0005_outbox_lease
Revises: 0004_act_roles
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_outbox_lease"
down_revision = "0004_act_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_index("ix_outbox_sending", ["next_attempt_at"], unique=False,
                              sqlite_where=sa.text("status = 'sending'"),
                              postgresql_where=sa.text("status = 'sending'"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_sending")
