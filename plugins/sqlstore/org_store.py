"""The organisation's rows on the SQL store: ``SqlTx.org()`` returns one of these on the same
connection, so grants are read in the step's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from yishi.org.model import Grant, LogEntry, Person, Unit
from yishi.org.store import OrgTx
from yishi.plugins.sqlstore.prepared import Query
from yishi.plugins.sqlstore.org_tables import GrantRow, OrgLogRow, PersonRow, UnitParamRow, UnitRow

units_t = UnitRow.__table__
people_t = PersonRow.__table__
grants_t = GrantRow.__table__
log_t = OrgLogRow.__table__
params_t = UnitParamRow.__table__
_ALL_UNITS = select(units_t).order_by(units_t.c.path)


class SqlOrgTx(OrgTx):
    def __init__(self, conn: Connection, dialect: str, prepared: dict[str, Any] | None = None) -> None:
        self.conn = conn
        self.dialect = dialect
        self.prepared = {} if prepared is None else prepared  # the store's statements compiled once

    # ---- units
    def units(self) -> list[Unit]:
        # every tick asks (schedules by unit kind): a statement compiled once per store, not per call
        query = self.prepared.get("org_units")
        if query is None:
            query = self.prepared["org_units"] = Query(_ALL_UNITS, self.conn.dialect)
        return [_unit(r) for r in query.all(self.conn, {})]

    def unit(self, unit_id: int) -> Unit | None:
        row = self.conn.execute(select(units_t).where(units_t.c.id == unit_id)).first()
        return _unit(row) if row else None

    def add_unit(self, *, kind: str, name: str, parent: Unit | None, code: str, at: datetime) -> Unit:
        new_id = self.conn.execute(insert(units_t).values(
            parent_id=parent.id if parent else None, kind=kind, name=name, code=code, path="",
            created_at=at).returning(units_t.c.id)).scalar_one()
        path = f"{parent.path if parent else '/'}{new_id}/"
        self.conn.execute(update(units_t).where(units_t.c.id == new_id).values(path=path))
        return Unit(id=new_id, kind=kind, name=name, parent_id=parent.id if parent else None,
                    code=code, path=path)

    def descendants(self, units: list[Unit]) -> list[int]:
        if not units:
            return []
        rows = self.conn.execute(select(units_t.c.id).where(
            or_(*[units_t.c.path.like(f"{u.path}%") for u in units])))
        return sorted(r.id for r in rows)

    # ---- people
    def people(self) -> list[Person]:
        return [_person(r) for r in self.conn.execute(select(people_t).order_by(people_t.c.id))]

    def person(self, person_id: int) -> Person | None:
        row = self.conn.execute(select(people_t).where(people_t.c.id == person_id)).first()
        return _person(row) if row else None

    def person_by(self, *, login: str | None = None, name: str | None = None) -> list[Person]:
        stmt = select(people_t).order_by(people_t.c.id)
        if login is not None:
            stmt = stmt.where(people_t.c.login == login)
        if name is not None:
            stmt = stmt.where(people_t.c.name == name)
        return [_person(r) for r in self.conn.execute(stmt)]

    def add_person(self, *, name: str, login: str | None, phone: str, wecom_id: str,
                   dingtalk_id: str, at: datetime) -> Person:
        new_id = self.conn.execute(insert(people_t).values(
            name=name, login=login, phone=phone, wecom_id=wecom_id, dingtalk_id=dingtalk_id,
            password_hash="", failed_logins=0, active=True, created_at=at,
        ).returning(people_t.c.id)).scalar_one()
        return Person(id=new_id, name=name, login=login, phone=phone, wecom_id=wecom_id,
                      dingtalk_id=dingtalk_id)

    def set_auth(self, person_id: int, **values: Any) -> None:
        allowed = {"password_hash", "failed_logins", "locked_until", "active", "phone", "wecom_id",
                   "dingtalk_id", "login"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown person columns: {sorted(unknown)}")
        self.conn.execute(update(people_t).where(people_t.c.id == person_id).values(**values))

    # ---- grants
    def grants(self, *, person_id: int | None = None, unit_ids: list[int] | None = None,
               role: str | None = None) -> list[Grant]:
        stmt = select(grants_t).order_by(grants_t.c.id)
        if person_id is not None:
            stmt = stmt.where(grants_t.c.person_id == person_id)
        if unit_ids is not None:
            stmt = stmt.where(grants_t.c.unit_id.in_(unit_ids))
        if role is not None:
            stmt = stmt.where(grants_t.c.role == role)
        return [_grant(r) for r in self.conn.execute(stmt)]

    def add_grant(self, grant: Grant) -> Grant:
        new_id = self.conn.execute(insert(grants_t).values(
            person_id=grant.person_id, role=grant.role, unit_id=grant.unit_id,
            valid_from=grant.valid_from, valid_until=grant.valid_until, granted_by=grant.granted_by,
            granted_at=grant.granted_at, revoked_at=None, revoked_by="",
        ).returning(grants_t.c.id)).scalar_one()
        return Grant(**{**grant.__dict__, "id": new_id})

    def revoke_grant(self, grant_id: int, *, at: datetime, by: str) -> None:
        self.conn.execute(update(grants_t).where(grants_t.c.id == grant_id, grants_t.c.revoked_at.is_(None))
                          .values(revoked_at=at, revoked_by=by))

    # ---- log
    def log(self, *, limit: int | None = None) -> list[LogEntry]:
        stmt = select(log_t).order_by(log_t.c.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [LogEntry(seq=r.seq, at=r.at, kind=r.kind, actor=r.actor, data=r.data,
                         prev_hash=r.prev_hash, hash=r.hash)
                for r in self.conn.execute(stmt)]

    def last_log(self, kind: str) -> LogEntry | None:
        r = self.conn.execute(select(log_t).where(log_t.c.kind == kind).order_by(log_t.c.seq.desc()).limit(1)).first()
        return LogEntry(seq=r.seq, at=r.at, kind=r.kind, actor=r.actor, data=r.data, prev_hash=r.prev_hash,
                        hash=r.hash) if r else None

    def log_tail(self, *, lock: bool) -> tuple[int, str]:
        if lock and self.dialect == "postgresql":
            self.conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7415737)")  # one appender at a time
        row = self.conn.execute(select(log_t.c.seq, log_t.c.hash).order_by(log_t.c.seq.desc()).limit(1)).first()
        return (row.seq, row.hash) if row else (0, "")

    def append_log(self, entry: LogEntry) -> None:
        self.conn.execute(insert(log_t).values(seq=entry.seq, at=entry.at, kind=entry.kind,
                                               actor=entry.actor, data=entry.data,
                                               prev_hash=entry.prev_hash, hash=entry.hash))

    # ---- params
    def unit_params(self, workflow_id: str | None = None) -> list[tuple[int, str, str, Any]]:
        stmt = select(params_t).order_by(params_t.c.id)
        if workflow_id is not None:
            stmt = stmt.where(params_t.c.workflow_id == workflow_id)
        return [(r.unit_id, r.workflow_id, r.name, r.value) for r in self.conn.execute(stmt)]

    def set_unit_param(self, unit_id: int, workflow_id: str, name: str, value: Any) -> None:
        where = (params_t.c.unit_id == unit_id, params_t.c.workflow_id == workflow_id, params_t.c.name == name)
        exists = self.conn.execute(select(func.count()).select_from(params_t).where(*where)).scalar_one()
        if exists:
            self.conn.execute(update(params_t).where(*where).values(value=value))
        else:
            self.conn.execute(insert(params_t).values(unit_id=unit_id, workflow_id=workflow_id,
                                                      name=name, value=value))


def _unit(r: Any) -> Unit:
    m = r if isinstance(r, dict) else r._mapping
    return Unit(id=m["id"], kind=m["kind"], name=m["name"], parent_id=m["parent_id"], code=m["code"], path=m["path"])


def _person(r: Any) -> Person:
    return Person(id=r.id, name=r.name, login=r.login, phone=r.phone, wecom_id=r.wecom_id,
                  dingtalk_id=r.dingtalk_id, active=r.active, password_hash=r.password_hash,
                  failed_logins=r.failed_logins, locked_until=r.locked_until)


def _grant(r: Any) -> Grant:
    return Grant(id=r.id, person_id=r.person_id, role=r.role, unit_id=r.unit_id,
                 valid_from=r.valid_from, valid_until=r.valid_until, granted_by=r.granted_by,
                 granted_at=r.granted_at, revoked_at=r.revoked_at, revoked_by=r.revoked_by)
