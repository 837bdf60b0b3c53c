"""organisation: units, people, grants, the administration log, per-unit params; cases.unit_id

Revision ID: 0007_org
Revises: 0006_case_list_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from yishi.plugins.sqlstore.tables import UTCDateTime

revision = "0007_org"
down_revision = "0006_case_list_indexes"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "org_units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_org_units_parent_id", "org_units", ["parent_id"])
    op.create_index("ix_org_units_path", "org_units", ["path"])
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=True, unique=True),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("wecom_id", sa.String(length=100), nullable=False),
        sa.Column("dingtalk_id", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.Text(), server_default="", nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=True),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=False),
    )
    op.create_index("ix_grants_person_id", "grants", ["person_id"])
    op.create_index("ix_grants_unit_id", "grants", ["unit_id"])
    op.create_table(
        "org_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False, unique=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
    )
    op.create_table(
        "unit_params",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("workflow_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.UniqueConstraint("unit_id", "workflow_id", "name", name="uq_unit_params"),
    )
    # a plain ADD COLUMN, not batch mode: batch mode on SQLite rebuilds the table from its
    # reflection, which cannot see expression indexes and so dropped ix_cases_open_urgency
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cases ADD COLUMN unit_id INTEGER "
                   "CONSTRAINT fk_cases_unit_id REFERENCES org_units (id)")
    else:
        op.add_column("cases", sa.Column("unit_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_cases_unit_id", "cases", "org_units", ["unit_id"], ["id"])
    op.create_index("ix_cases_unit_id", "cases", ["unit_id"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_unit_id")
        batch_op.drop_constraint("fk_cases_unit_id", type_="foreignkey")
        batch_op.drop_column("unit_id")
    op.drop_table("unit_params")
    op.drop_table("org_log")
    op.drop_index("ix_grants_unit_id", table_name="grants")
    op.drop_index("ix_grants_person_id", table_name="grants")
    op.drop_table("grants")
    op.drop_table("people")
    op.drop_index("ix_org_units_path", table_name="org_units")
    op.drop_index("ix_org_units_parent_id", table_name="org_units")
    op.drop_table("org_units")
