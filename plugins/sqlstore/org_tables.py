"""SQLModel tables of the organisation (migration 0007): units, people, grants, the
hash-chained administration log and per-unit params."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from yishi.plugins.sqlstore.tables import JSONType, UTCDateTime


class UnitRow(SQLModel, table=True):
    """An organisation unit: district → street → community → grid (→ building)."""

    __tablename__ = "org_units"
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="org_units.id", index=True)
    kind: str = Field(max_length=20)
    name: str = Field(max_length=200)
    code: str = Field(default="", max_length=50)
    path: str = Field(default="", max_length=500, index=True)  # "/1/4/9/": ids from the root
    created_at: datetime = Field(sa_type=UTCDateTime)


class PersonRow(SQLModel, table=True):
    """A real person who may hold grants and log in."""

    __tablename__ = "people"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    login: str | None = Field(default=None, max_length=200, unique=True)
    phone: str = Field(default="", max_length=50)
    wecom_id: str = Field(default="", max_length=100)
    dingtalk_id: str = Field(default="", max_length=100)
    password_hash: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class GrantRow(SQLModel, table=True):
    """A person holds a role in a unit from ``valid_from`` until ``valid_until`` (open-ended if None)."""

    __tablename__ = "grants"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    role: str = Field(max_length=100)
    unit_id: int = Field(foreign_key="org_units.id", index=True)
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    granted_by: str = Field(default="", max_length=200)
    granted_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str = Field(default="", max_length=200)


class OrgLogRow(SQLModel, table=True):
    """One administration event (a unit, person, grant, revocation or param); hash-chained."""

    __tablename__ = "org_log"
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=30)
    actor: str = Field(max_length=200)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class UnitParamRow(SQLModel, table=True):
    """A workflow param overridden for one unit (and everything under it)."""

    __tablename__ = "unit_params"
    __table_args__ = (UniqueConstraint("unit_id", "workflow_id", "name", name="uq_unit_params"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_units.id")
    workflow_id: str = Field(max_length=100)
    name: str = Field(max_length=100)
    value: Any = Field(default=None, sa_column=Column(JSONType, nullable=True))



