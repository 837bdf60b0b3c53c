"""The organisation's tables (migration 0007): units, people, grants, the hash-chained
administration log and per-unit params (SQLAlchemy Core, as ``tables``)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, Table, Text, UniqueConstraint

from yishi.plugins.sqlstore.tables import JSONType, UTCDateTime, _row, col, metadata, pk, s

UnitRow = _row("UnitRow", Table(
    "org_units", metadata,
    pk(),
    col("parent_id", Integer, ForeignKey("org_units.id"), null=True, default=None, index=True),
    col("kind", s(20)),
    col("name", s(200)),
    col("code", s(50), default=""),
    col("path", s(500), default="", index=True),  # "/1/4/9/": ids from the root
    col("created_at", UTCDateTime),
), "An organisation unit: district → street → community → grid (→ building).")

PersonRow = _row("PersonRow", Table(
    "people", metadata,
    pk(),
    col("name", s(200)),
    col("login", s(200), null=True, default=None, unique=True),
    col("phone", s(50), default=""),
    col("wecom_id", s(100), default=""),
    col("dingtalk_id", s(100), default=""),
    Column("password_hash", Text, nullable=False, server_default=""),
    col("failed_logins", Integer, default=0),
    col("locked_until", UTCDateTime, null=True, default=None),
    col("active", Boolean, default=True),
    col("created_at", UTCDateTime),
), "A real person who may hold grants and log in.")

GrantRow = _row("GrantRow", Table(
    "grants", metadata,
    pk(),
    col("person_id", Integer, ForeignKey("people.id"), index=True),
    col("role", s(100)),
    col("unit_id", Integer, ForeignKey("org_units.id"), index=True),
    col("valid_from", UTCDateTime),
    col("valid_until", UTCDateTime, null=True, default=None),
    col("granted_by", s(200), default=""),
    col("granted_at", UTCDateTime),
    col("revoked_at", UTCDateTime, null=True, default=None),
    col("revoked_by", s(200), default=""),
), "A person holds a role in a unit from ``valid_from`` until ``valid_until`` (open-ended if None).")

OrgLogRow = _row("OrgLogRow", Table(
    "org_log", metadata,
    pk(),
    col("seq", Integer, unique=True),
    col("at", UTCDateTime),
    col("kind", s(30)),
    col("actor", s(200)),
    Column("data", JSONType, nullable=False),
    col("prev_hash", s(64)),
    col("hash", s(64)),
), "One administration event (a unit, person, grant, revocation or param); hash-chained.")

UnitParamRow = _row("UnitParamRow", Table(
    "unit_params", metadata,
    pk(),
    col("unit_id", Integer, ForeignKey("org_units.id")),
    col("workflow_id", s(100)),
    col("name", s(100)),
    Column("value", JSONType, nullable=True),
    UniqueConstraint("unit_id", "workflow_id", "name", name="uq_unit_params"),
), "A workflow param overridden for one unit (and everything under it).")
