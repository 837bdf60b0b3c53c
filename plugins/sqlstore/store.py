"""The SQL store: SQLite (WAL, synchronous=FULL) or PostgreSQL through SQLAlchemy Core."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from operator import attrgetter
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection, and_, bindparam, create_engine, event, false, func, insert, or_, select, update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool

from yishi.engine.types import (
    Case, CaseFigures, CaseFilter, Corrupt, Event, Link, Notification, TimerRow, Verdict,
)
from yishi.errors import RefusedError, StorageError
from yishi.storage import Store, Tx
from yishi.plugins.sqlstore.binds import compact_json
from yishi.plugins.sqlstore.prepared import Query
from yishi.plugins.sqlstore.transaction import Group, Transaction
from yishi.plugins.sqlstore.tables import (
    CaseActorRow, CaseRow, DefinitionRow, EventRow, LinkRow, MetaRow, OutboxRow, ScheduleRunRow,
    StatsMonthRow, TimerDbRow,
)

cases_t = CaseRow.__table__
events_t = EventRow.__table__
timers_t = TimerDbRow.__table__
outbox_t = OutboxRow.__table__
defs_t = DefinitionRow.__table__
links_t = LinkRow.__table__
meta_t = MetaRow.__table__
runs_t = ScheduleRunRow.__table__
actors_t = CaseActorRow.__table__
FIGURES = tuple(f.name for f in fields(CaseFigures))  # one column each
_FIGURES_OF = attrgetter(*FIGURES)

# The hot path's statements, built once with bind parameters: SQLAlchemy then finds the compiled
# form in its cache by identity instead of rebuilding and re-keying a statement on every call.
_CASE_COLUMNS = [c.name for c in cases_t.columns if c.name != "id"]
_GET_CASE = select(cases_t).where(cases_t.c.id == bindparam("case_id"))
_GET_CASE_LOCKED = _GET_CASE.with_for_update()
_INSERT_CASE = insert(cases_t).values({n: bindparam(n) for n in _CASE_COLUMNS}).returning(cases_t.c.id)
_UPDATE_CASE = (update(cases_t)
                .where(cases_t.c.id == bindparam("b_case_id"), cases_t.c.rev == bindparam("b_expected_rev"))
                .values({n: bindparam(n) for n in _CASE_COLUMNS}))
_STEP_COLUMNS = ("state", "state_entered_at", "updated_at", "closed_at", "due_at", "act_roles", "rev",
                 "last_seq", "last_hash", *FIGURES)
_UPDATE_STEP = (update(cases_t)
                .where(cases_t.c.id == bindparam("b_case_id"), cases_t.c.rev == bindparam("b_expected_rev"))
                .values({n: bindparam(n) for n in _STEP_COLUMNS}))
_UPDATE_STEP_DATA = (update(cases_t)
                     .where(cases_t.c.id == bindparam("b_case_id"), cases_t.c.rev == bindparam("b_expected_rev"))
                     .values({n: bindparam(n) for n in (*_STEP_COLUMNS, "data")}))
_EVENT_COLUMNS = [c.name for c in events_t.columns if c.name != "id"]
_INSERT_EVENT = insert(events_t).values({n: bindparam(n) for n in _EVENT_COLUMNS})
_TIMER_KEYS = ("case_id", "state", "idx", "due_at", "kind", "target", "detail", "status", "result")
_INSERT_TIMER = insert(timers_t).values({n: bindparam(n) for n in _TIMER_KEYS})
_OUTBOX_KEYS = ("case_id", "event_seq", "channel", "kind", "recipients", "payload", "status",
                "attempts", "created_at", "next_attempt_at", "error")
_INSERT_OUTBOX = insert(outbox_t).values({n: bindparam(n) for n in _OUTBOX_KEYS})
_DELETE_ACTORS = actors_t.delete().where(actors_t.c.case_id == bindparam("b_case_id"))
_INSERT_ACTOR = insert(actors_t).values(case_id=bindparam("case_id"), role=bindparam("role"),
                                        roles=bindparam("roles"))
_CANCEL_TIMERS = (update(timers_t)
                  .where(timers_t.c.case_id == bindparam("b_case_id"), timers_t.c.status == "pending")
                  .values(status="cancelled"))


# The hot path's statements run on the raw DBAPI cursor, compiled once (yishi.plugins.sqlstore.prepared)
_Prepared = Query
_PreparedRow = Query


_dumps = compact_json  # the JSON columns' text: compact, UTF-8 kept as it is


class SqlStore(Store):
    """A store on any SQLAlchemy URL this plugin knows (``sqlite``, ``postgresql+psycopg``).

    Opening applies pending Alembic migrations. Raises ``StorageError`` when the database
    cannot be reached or migrated.
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        memory = False
        synchronous = "FULL"
        kwargs: dict[str, Any] = {"json_serializer": _dumps}
        if self.dialect == "sqlite":
            # ?synchronous=NORMAL: a simulation's speed for its durability (README, "Testing your procedure")
            synchronous = _synchronous(parsed.query.get("synchronous"))
            parsed = parsed.difference_update_query(["synchronous"])
            url = parsed.render_as_string(hide_password=False)
            memory = parsed.database in (None, "", ":memory:")
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if memory:
                kwargs["poolclass"] = StaticPool
        try:
            self.engine = create_engine(url, **kwargs)
        except ModuleNotFoundError as exc:  # the driver's extra is not installed
            extra = "postgres" if self.dialect == "postgresql" else None
            how = (f"install it with: pip install 'yishi[{extra}]'" if extra
                   else f"install the Python package {exc.name!r}")
            raise StorageError(f"cannot use database {self.safe_url}: its driver {exc.name!r} is not "
                               f"installed; {how}",
                               message_zh=f"无法使用数据库 {self.safe_url}：未安装驱动 {exc.name!r}；"
                                          + (f"请运行 pip install 'yishi[{extra}]' 安装" if extra
                                             else f"请安装 Python 包 {exc.name!r}")) from None
        except Exception as exc:  # noqa: BLE001 - any driver/URL error becomes a clear StorageError
            raise StorageError(f"cannot use database {self.safe_url}: {exc}",
                               message_zh=f"无法使用数据库 {self.safe_url}：{exc}") from None
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine, synchronous)
        # the connection the last transaction left for the next (yishi.plugins.sqlstore.transaction)
        self._idle: list[Connection] = []
        self._pid = os.getpid()
        # engines on one database in this process share who watches its timers (the testing kit)
        self._watch_key = f"memory:{id(self)}" if self.dialect == "sqlite" and memory else url
        dialect = self.engine.dialect
        self.prepared = {name: _Prepared(stmt, dialect) for name, stmt in (
            ("insert_case", _INSERT_CASE), ("update_case", _UPDATE_CASE), ("insert_event", _INSERT_EVENT),
            ("cancel_timers", _CANCEL_TIMERS), ("insert_timer", _INSERT_TIMER),
            ("insert_outbox", _INSERT_OUTBOX), ("update_step", _UPDATE_STEP),
            ("update_step_data", _UPDATE_STEP_DATA), ("delete_actors", _DELETE_ACTORS),
            ("insert_actor", _INSERT_ACTOR))}
        self.get_case = _PreparedRow(_GET_CASE if self.dialect == "sqlite" else _GET_CASE_LOCKED, dialect)
        self.get_case.make_case = _case_maker(self.get_case)  # type: ignore[attr-defined]
        from yishi.plugins.sqlstore.stats_store import month_upsert
        from yishi.plugins.sqlstore.timer_store import TimerQueries
        from yishi.plugins.sqlstore.outbox_store import OutboxQueries
        self.prepared["timers"] = TimerQueries(dialect)  # type: ignore[assignment]
        self.prepared["outbox"] = OutboxQueries(dialect)  # type: ignore[assignment]
        self.prepared["case_read"] = Query(_GET_CASE, dialect)  # type: ignore[assignment]
        self.prepared["case_read"].make_case = _case_maker(self.prepared["case_read"])  # type: ignore[attr-defined]
        self.prepared["month_upsert"] = Query(month_upsert(self.dialect), dialect)  # type: ignore[assignment]
        if migrate:
            from yishi.plugins.sqlstore.migrate import ensure_schema
            ensure_schema(self)

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"url": self.safe_url, "dialect": self.dialect}
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                info["journal_mode"] = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                info["synchronous"] = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                    conn.exec_driver_sql("PRAGMA synchronous").scalar(), "?")
        return info

    def write(self) -> Transaction:
        """``with store.write() as tx:`` one transaction that writes (yishi.plugins.sqlstore.transaction)."""
        return Transaction(self, write=True)

    def read(self) -> Transaction:
        """``with store.read() as tx:`` one transaction that reads."""
        return Transaction(self, write=False)

    def new_tx(self, conn: Connection) -> SqlTx:
        """The unit of work on ``conn`` (a ``Transaction`` makes one per block)."""
        return SqlTx(conn, self.dialect, self.prepared, self.get_case)

    _group: Group | None = None  # the thread's open group of transactions (yishi.plugins.sqlstore.transaction)

    def group(self) -> Group:
        """``with store.group():`` this thread's transactions as savepoints of one, committed at
        the end (a simulation's speed; a crash loses the whole block)."""
        return Group(self)

    def watch_timers(self, seen: Any) -> Any:
        from yishi.plugins.sqlstore.timer_store import watch
        return watch(self._watch_key, seen)

    def release_connection(self) -> None:
        """Hand the connection kept between transactions back to the pool: the next transaction
        checks one out (what a tracer listening for checkouts needs to see it)."""
        while self._idle:
            self._idle.pop().close()

    def close(self) -> None:
        self.release_connection()
        self.engine.dispose()


def _operational(exc: DBAPIError, url: str) -> Exception:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    lowered = text.lower()
    if "could not serialize" in lowered or "deadlock" in lowered:
        # Not a conflict (the user's revision may be right): the database broke a lock cycle or
        # could not order two transactions. Nothing was saved; the same request may simply be sent again.
        return StorageError("the database stopped this change to break a lock cycle with another one; "
                            f"nothing was saved — try again ({text.splitlines()[0] if text else ''})",
                            message_zh="数据库为解除与另一操作的锁等待而中止了本次修改，未保存任何内容；请重试")
    return StorageError(f"the database {url} is unavailable: {text}",
                        message_zh=f"数据库 {url} 不可用：{text}")


def _data_error(exc: DBAPIError, url: str) -> Exception:
    """A value the database refuses (a NUL in a name, …) is the input's fault, not an outage."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if "NUL" in text or "0x00" in text or "\\u0000" in text:
        return RefusedError("a text contains a NUL character (\\0), which cannot be stored; remove it and try again",
                            message_zh="文字中含有空字符（NUL，\\0），无法保存；请删去后重试")
    return _operational(exc, url)


def _synchronous(value: Any) -> str:
    value = (value[-1] if isinstance(value, tuple) else value or "FULL").upper()
    if value not in ("FULL", "NORMAL", "EXTRA"):
        raise StorageError(f"synchronous={value} is not offered; use FULL (the default) or NORMAL "
                           "(a simulation: the last steps may be lost in a power cut)",
                           message_zh=f"不支持 synchronous={value}；可用 FULL（默认）或 NORMAL（模拟用：断电时可能丢失最后几步）")
    return value


def _sqlite_setup(engine: Any, synchronous: str = "FULL") -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


class SqlTx(Tx):
    """The SQL unit of work: Core statements on one connection inside one transaction."""

    def __init__(self, conn: Connection, dialect: str, prepared: dict[str, _Prepared],
                 get_case: _PreparedRow | None = None) -> None:
        self._get_case = get_case
        self.conn = conn
        self.dialect = dialect
        self.prepared = prepared

    # ---- definitions
    def get_definition(self, sha256: str) -> tuple[str, str] | None:
        row = self.conn.execute(select(defs_t.c.text, defs_t.c.file).where(defs_t.c.sha256 == sha256)).first()
        return (row.text, row.file) if row else None

    def put_definition(self, *, sha256: str, workflow_id: str, version: int, text: str,
                       file: str, at: datetime) -> None:
        # Idempotent: several first starts of one workflow may store its text at the same moment;
        # the first insert wins and the others do nothing (no unique violation, no conflict).
        dialect_insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        self.conn.execute(dialect_insert(defs_t).values(
            sha256=sha256, workflow_id=workflow_id, version=version, text=text, file=file, loaded_at=at,
        ).on_conflict_do_nothing(index_elements=[defs_t.c.sha256]))

    def definitions(self) -> list[tuple[str, int, str]]:
        rows = self.conn.execute(select(defs_t.c.workflow_id, defs_t.c.version, defs_t.c.sha256)
                                 .order_by(defs_t.c.workflow_id, defs_t.c.version))
        return [(r.workflow_id, r.version, r.sha256) for r in rows]

    # ---- cases
    def get_case(self, case_id: int, *, for_update: bool = False) -> Case | None:
        if for_update and self._get_case is not None:  # the hot path: fire, record
            rows = self._get_case.raw(self.conn, {"case_id": case_id})
            return self._get_case.make_case(rows[0]) if rows else None  # type: ignore[attr-defined]
        if not for_update:
            read = self.prepared["case_read"]
            rows = read.raw(self.conn, {"case_id": case_id})  # type: ignore[attr-defined]
            return read.make_case(rows[0]) if rows else None  # type: ignore[attr-defined]
        row = self.conn.execute(_GET_CASE_LOCKED, {"case_id": case_id}).first()
        return _case(row) if row else None

    def insert_case(self, case: Case) -> int:
        values = _case_values(case)
        values.pop("id")
        return self.prepared["insert_case"].scalar(self.conn, values)

    def update_step(self, case: Case, *, expected_rev: int, data_changed: bool) -> bool:
        values = {"state": case.state, "state_entered_at": case.state_entered_at,
                  "updated_at": case.updated_at, "closed_at": case.closed_at, "due_at": case.due_at,
                  "act_roles": f",{','.join(case.act_roles)}," if case.act_roles else "", "rev": case.rev,
                  "last_seq": case.last_seq, "last_hash": case.last_hash,
                  "b_case_id": case.id, "b_expected_rev": expected_rev, **_figure_values(case.figures)}
        if data_changed:
            values["data"] = case.data
        return self.prepared["update_step_data" if data_changed else "update_step"].execute(self.conn, values) == 1

    def update_case(self, case: Case, *, expected_rev: int) -> bool:
        values = _case_values(case)
        values["b_case_id"] = values.pop("id")
        values["b_expected_rev"] = expected_rev
        return self.prepared["update_case"].execute(self.conn, values) == 1

    def set_actors(self, case_id: int, roles: tuple[str, ...]) -> None:
        self.prepared["delete_actors"].execute(self.conn, {"b_case_id": case_id})
        listed = f",{','.join(roles)}," if roles else ""
        for role in dict.fromkeys(roles):
            self.prepared["insert_actor"].execute(self.conn, {"case_id": case_id, "role": role, "roles": listed})

    def _where(self, filt: CaseFilter) -> list[Any]:
        conds: list[Any] = []
        if filt.open is True:
            conds.append(cases_t.c.closed_at.is_(None))
        elif filt.open is False:
            conds.append(cases_t.c.closed_at.is_not(None))
        if filt.overdue_at is not None:
            conds += [cases_t.c.closed_at.is_(None), cases_t.c.due_at <= filt.overdue_at]
        if filt.closed_since is not None:
            conds.append(cases_t.c.closed_at >= filt.closed_since)
        if filt.workflow_id:
            conds.append(cases_t.c.workflow_id == filt.workflow_id)
        if (filt.search and "\x00" in filt.search) or any("\x00" in r for r in filt.roles or ()):
            conds.append(false())  # no stored text holds a NUL (PostgreSQL cannot even compare one)
        if filt.roles is not None:  # case_actors holds open cases only: the index (role, case_id)
            conds.append(select(actors_t.c.case_id).where(actors_t.c.case_id == cases_t.c.id,
                                                          actors_t.c.role.in_(filt.roles)).exists()
                         if filt.roles else false())
        if filt.state:
            conds.append(cases_t.c.state == filt.state)
        if filt.units is not None:
            conds.append(cases_t.c.unit_id.in_(filt.units) if filt.units else False)
        if filt.search:
            term = [cases_t.c.subject.contains(filt.search, autoescape=True),
                    cases_t.c.opened_by.contains(filt.search, autoescape=True)]
            if filt.search.lstrip("#").isdigit():
                term.append(cases_t.c.id == int(filt.search.lstrip("#")))
            conds.append(or_(*term))
        return conds

    def cases(self, filt: CaseFilter) -> list[Case]:
        stmt = select(cases_t).where(and_(True, *self._where(filt))).order_by(
            cases_t.c.due_at.is_(None), cases_t.c.due_at, cases_t.c.id.desc())
        if filt.limit is not None:
            stmt = stmt.limit(filt.limit)
        if filt.offset:
            stmt = stmt.offset(filt.offset)
        return [_case(row) for row in self.conn.execute(stmt)]

    def count_cases(self, filt: CaseFilter) -> int:
        if filt.roles is not None and filt.open is True and not (
                filt.overdue_at or filt.closed_since or filt.workflow_id or filt.state or filt.search
                or any("\x00" in r for r in filt.roles)):
            # "my actions" (in the actor's units, when scoped): a sum of a few counter rows
            # per (role, roles, unit) kept by triggers on case_actors, not a count of the cases
            from yishi.plugins.sqlstore.actor_counts import count_mine
            from yishi.plugins.sqlstore.tables import CaseActorCountRow

            return count_mine(self.conn, CaseActorCountRow.__table__, filt.roles, filt.units)
        stmt = select(func.count()).select_from(cases_t).where(and_(True, *self._where(filt)))
        return int(self.conn.execute(stmt).scalar_one())

    def count_values(self, filt: CaseFilter, paths: list[tuple[str, str]]) -> list[tuple[tuple[Any, ...], int]]:
        cols = [cases_t.c.data[(state, name)].as_string() for state, name in paths]
        stmt = (select(*cols, func.count()).select_from(cases_t).where(and_(True, *self._where(filt)))
                .group_by(*cols))
        return [(tuple(row[:-1]), int(row[-1])) for row in self.conn.execute(stmt)]

    # ---- events
    def append_event(self, ev: Event) -> None:
        self.prepared["insert_event"].execute(self.conn, {
            "case_id": ev.case_id, "seq": ev.seq, "at": ev.at, "kind": ev.kind, "actor": ev.actor,
            "role": ev.role, "trigger": ev.trigger, "source": ev.source, "dest": ev.dest,
            "data": ev.data, "verdicts": [v.as_dict() for v in ev.verdicts],
            "prev_hash": ev.prev_hash, "hash": ev.hash})

    def events(self, case_id: int | None = None) -> Iterator[Event]:
        stmt = select(events_t)
        if case_id is not None:
            stmt = stmt.where(events_t.c.case_id == case_id).order_by(events_t.c.seq)
        else:
            stmt = stmt.order_by(events_t.c.case_id, events_t.c.seq)
        for row in self.conn.execute(stmt):
            yield Event(case_id=row.case_id, seq=row.seq, at=row.at, kind=row.kind, actor=row.actor,
                        role=row.role, trigger=row.trigger, source=row.source, dest=row.dest,
                        data=row.data, verdicts=tuple(Verdict.from_dict(v) for v in row.verdicts),
                        prev_hash=row.prev_hash, hash=row.hash)

    # ---- verify: rows read column by column, a corrupt row reported instead of raised
    def audit_cases(self, after: int, limit: int) -> list[Case | Corrupt]:
        from yishi.plugins.sqlstore.audit import audit_cases
        return audit_cases(self.conn, cases_t, after, limit, _case)

    def audit_events(self, first: int, last: int) -> list[Event | Corrupt]:
        from yishi.plugins.sqlstore.audit import audit_events
        return audit_events(self.conn, events_t, first, last)

    def audit_timers(self, first: int, last: int) -> list[TimerRow | Corrupt]:
        from yishi.plugins.sqlstore.audit import audit_timers
        return audit_timers(self.conn, timers_t, first, last, _timer)

    def notified_up_to(self, first: int, last: int) -> dict[int, int]:
        rows = self.conn.execute(select(outbox_t.c.case_id, func.max(outbox_t.c.event_seq))
                                 .where(outbox_t.c.case_id.between(first, last)).group_by(outbox_t.c.case_id))
        return {case_id: int(seq) for case_id, seq in rows}

    def maintenance_open(self) -> list[tuple[str, str, str]]:
        from yishi.plugins.sqlstore.tables import MaintenanceRow

        m = MaintenanceRow.__table__
        rows = self.conn.execute(select(m.c.opened_at, m.c.opened_by, m.c.reason)
                                 .where(m.c.closed_at.is_(None)).order_by(m.c.id))
        return [(r.opened_at.isoformat(timespec="seconds"), r.opened_by, r.reason) for r in rows]

    def heads(self) -> dict[int, tuple[int, str]]:
        last = (select(events_t.c.case_id, func.max(events_t.c.seq).label("seq"))
                .group_by(events_t.c.case_id).subquery())
        rows = self.conn.execute(select(events_t.c.case_id, events_t.c.seq, events_t.c.hash).join(
            last, and_(events_t.c.case_id == last.c.case_id, events_t.c.seq == last.c.seq)))
        return {r.case_id: (r.seq, r.hash) for r in rows}

    def definition_texts(self) -> list[tuple[str, str, int, str, str]]:
        rows = self.conn.execute(select(defs_t.c.sha256, defs_t.c.workflow_id, defs_t.c.version,
                                        defs_t.c.text, defs_t.c.file).order_by(defs_t.c.sha256))
        return [(r.sha256, r.workflow_id, r.version, r.text, r.file) for r in rows]

    # ---- timers
    added_due: datetime | None = None  # the earliest due time of the timers this transaction added

    def add_timers(self, timers: list[TimerRow]) -> None:
        if timers:
            due = min(t.due_at for t in timers)
            self.added_due = due if self.added_due is None else min(self.added_due, due)
        for t in timers:
            self.prepared["insert_timer"].execute(self.conn, {
                "case_id": t.case_id, "state": t.state, "idx": t.index, "due_at": t.due_at,
                "kind": t.kind, "target": t.target, "detail": t.detail, "status": "pending",
                "result": ""})

    def cancel_timers(self, case_id: int) -> None:
        self.prepared["cancel_timers"].execute(self.conn, {"b_case_id": case_id})

    def claim_due_timer(self, now: datetime) -> TimerRow | None:
        """The pending timer due first, with its case locked (see ``claim_due_timers``)."""
        claimed = self.claim_due_timers(now, 1)
        return claimed[0] if claimed else None

    def claim_due_timers(self, now: datetime, limit: int, *,
                         skip_cases: frozenset[int] = frozenset()) -> list[TimerRow]:
        return self.prepared["timers"].claim(self.conn, now, limit, skip_cases)  # type: ignore[attr-defined]

    def timer_pending(self, timer: TimerRow) -> bool:
        return self.prepared["timers"].pending(self.conn, timer.id)  # type: ignore[attr-defined]

    savepoints = True

    def savepoint(self) -> Any:
        from yishi.plugins.sqlstore.prepared import savepoint
        return savepoint(self.conn)

    def finish_timer(self, timer_id: int, *, status: str, result: str, at: datetime) -> None:
        self.prepared["timers"].finish_timer(self.conn, timer_id, status=status, result=result, at=at)  # type: ignore[attr-defined]

    def timers(self, case_id: int) -> list[TimerRow]:
        return self.prepared["timers"].of_case(self.conn, case_id)  # type: ignore[attr-defined]

    def next_due(self) -> datetime | None:
        return self.prepared["timers"].earliest(self.conn)  # type: ignore[attr-defined]

    # ---- outbox
    def add_notifications(self, notes: list[Notification]) -> None:
        for n in notes:
            self.prepared["insert_outbox"].execute(self.conn, {
                "case_id": n.case_id, "event_seq": n.event_seq, "channel": n.channel, "kind": n.kind,
                "recipients": n.recipients, "payload": n.payload, "status": "pending",
                "attempts": 0, "created_at": n.created_at, "next_attempt_at": n.created_at,
                "error": ""})

    def claim_notification(self, now: datetime, *, lease_until: datetime | Mapping[str, datetime],
                           channels: list[str] | None = None) -> Notification | None:
        claimed = self.prepared["outbox"].claim(self.conn, now, lease_until, channels)  # type: ignore[attr-defined]
        if claimed is None:
            return None
        row, lease, error = claimed
        return replace(_note(row), status="sending", attempts=row.attempts + 1, next_attempt_at=lease, error=error)

    def finish_notification(self, note_id: int, *, attempt: int, status: str, error: str,
                            next_attempt_at: datetime | None, delivered_at: datetime | None) -> bool:
        return self.prepared["outbox"].finish(  # type: ignore[attr-defined]
            self.conn, note_id, attempt=attempt, status=status, error=error,
            next_attempt_at=next_attempt_at, delivered_at=delivered_at)

    def get_notification(self, note_id: int) -> Notification | None:
        row = self.conn.execute(select(outbox_t).where(outbox_t.c.id == note_id)).first()
        return _note(row) if row else None

    def retry_notification(self, note_id: int, now: datetime) -> bool:
        result = self.conn.execute(update(outbox_t).where(
            outbox_t.c.id == note_id, outbox_t.c.status.in_(("failed", "pending")),
        ).values(status="pending", attempts=0, next_attempt_at=now))
        return result.rowcount == 1

    def notifications(self, *, case_id: int | None = None, status: str | None = None,
                      limit: int | None = None) -> list[Notification]:
        stmt = select(outbox_t).order_by(outbox_t.c.id.desc() if limit is not None else outbox_t.c.id)
        if case_id is not None:
            stmt = stmt.where(outbox_t.c.case_id == case_id)
        if status is not None:
            stmt = stmt.where(outbox_t.c.status == status)
        if limit is not None:
            stmt = stmt.limit(limit)
        notes = [_note(r) for r in self.conn.execute(stmt)]
        return notes[::-1] if limit is not None else notes

    def count_notifications(self) -> dict[str, int]:
        rows = self.conn.execute(select(outbox_t.c.status, func.count()).group_by(outbox_t.c.status))
        return {status: int(n) for status, n in rows}

    # ---- links
    def add_link(self, link: Link) -> None:
        self.conn.execute(insert(links_t).values(from_case=link.from_case, to_case=link.to_case,
                                                 kind=link.kind, at=link.at, actor=link.actor))

    def links(self, case_id: int) -> list[Link]:
        rows = self.conn.execute(select(links_t).where(or_(links_t.c.from_case == case_id,
                                                           links_t.c.to_case == case_id))
                                 .order_by(links_t.c.id))
        return [Link(from_case=r.from_case, to_case=r.to_case, kind=r.kind, at=r.at, actor=r.actor)
                for r in rows]

    # ---- the organisation
    def org(self) -> Any:
        from yishi.plugins.sqlstore.org_store import SqlOrgTx

        return SqlOrgTx(self.conn, self.dialect, self.prepared)

    # ---- meta and schedule runs
    def get_meta(self, key: str, *, for_update: bool = False) -> str | None:
        stmt = select(meta_t.c.value).where(meta_t.c.key == key)
        if for_update and self.dialect != "sqlite":
            stmt = stmt.with_for_update()
        return self.conn.execute(stmt).scalar()

    def set_meta(self, key: str, value: str) -> None:
        done = self.conn.execute(update(meta_t).where(meta_t.c.key == key).values(value=value))
        if done.rowcount == 0:
            self.conn.execute(insert(meta_t).values(key=key, value=value))

    def claim_schedule_run(self, schedule: str, period: str, at: datetime) -> bool:
        # a savepoint, so a lost race (the unique constraint) leaves the transaction usable
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(runs_t).values(schedule=schedule, period=period, at=at))
        except IntegrityError:
            return False
        return True

    def set_schedule_case(self, schedule: str, period: str, case_id: int) -> None:
        self.conn.execute(update(runs_t).where(runs_t.c.schedule == schedule, runs_t.c.period == period)
                          .values(case_id=case_id))

    def schedule_runs(self, schedule: str | None = None) -> list[tuple[str, str, int | None, datetime]]:
        stmt = select(runs_t).order_by(runs_t.c.id)
        if schedule is not None:
            stmt = stmt.where(runs_t.c.schedule == schedule)
        return [(r.schedule, r.period, r.case_id, r.at) for r in self.conn.execute(stmt)]


    # ---- statistics
    def add_month_figures(self, row: dict[str, Any]) -> None:
        self.prepared["month_upsert"].execute(self.conn, row)  # type: ignore[attr-defined]

    def stats(self) -> Any:
        from yishi.plugins.sqlstore.stats_store import SqlStatsTx

        return SqlStatsTx(self.conn, self.dialect)


def _case_values(case: Case) -> dict[str, Any]:
    return {
        "id": case.id, "workflow_id": case.workflow_id, "workflow_version": case.workflow_version,
        "workflow_sha256": case.workflow_sha256, "state": case.state, "subject": case.subject,
        "data": case.data, "opened_by": case.opened_by, "opened_at": case.opened_at,
        "state_entered_at": case.state_entered_at, "updated_at": case.updated_at,
        "closed_at": case.closed_at, "due_at": case.due_at,
        "act_roles": f",{','.join(case.act_roles)}," if case.act_roles else "", "rev": case.rev, "last_seq": case.last_seq,
        "last_hash": case.last_hash, "unit_id": case.unit_id, **_figure_values(case.figures),
    }


def _figure_values(figures: CaseFigures) -> dict[str, Any]:
    return dict(zip(FIGURES, _FIGURES_OF(figures)))


def _case_maker(query: Query) -> Any:
    """``f(driver row)``: the Case of a row of ``query`` (a SELECT of every column of ``cases``)
    built in one generated call, without the intermediate ``Row`` (the step's hot path)."""
    from yishi.plugins.sqlstore.binds import _compile

    env: dict[str, Any] = {"Case": Case, "CaseFigures": CaseFigures}
    where = {name: i for i, name in enumerate(query.names)}

    def col(name: str) -> str:
        i = where[name]
        proc = query.result_procs[i]
        if proc is None:
            return f"r[{i}]"
        env[f"p{i}"] = proc
        return f"p{i}(r[{i}])"
    plain = [f.name for f in fields(Case) if f.name not in ("act_roles", "figures")]
    roles = col("act_roles")
    source = ("def case(r):\n"
              f"    roles = {roles}\n"
              "    return Case(" + ", ".join(f"{name}={col(name)}" for name in plain)
              + ", act_roles=tuple(x for x in roles.split(',') if x) if roles else ()"
              + ", figures=CaseFigures(" + ", ".join(col(name) for name in FIGURES) + "))\n")
    return _compile(source, "case", env)


def _case(row: Any) -> Case:
    """The case of a row: a prepared statement's ``Row`` (a dict) or a Core row."""
    m = row if isinstance(row, dict) else row._mapping
    roles = m["act_roles"]
    return Case(id=m["id"], workflow_id=m["workflow_id"], workflow_version=m["workflow_version"],
                workflow_sha256=m["workflow_sha256"], state=m["state"], subject=m["subject"],
                data=m["data"], opened_by=m["opened_by"], opened_at=m["opened_at"],
                state_entered_at=m["state_entered_at"], updated_at=m["updated_at"],
                closed_at=m["closed_at"], due_at=m["due_at"],
                act_roles=tuple(r for r in roles.split(",") if r) if roles else (), rev=m["rev"],
                last_seq=m["last_seq"], last_hash=m["last_hash"], unit_id=m["unit_id"],
                figures=CaseFigures(*[m[name] for name in FIGURES]))


def _note(r: Any) -> Notification:
    return Notification(id=r.id, case_id=r.case_id, event_seq=r.event_seq, channel=r.channel,
                        kind=r.kind, recipients=r.recipients, payload=r.payload, status=r.status,
                        attempts=r.attempts, created_at=r.created_at, delivered_at=r.delivered_at,
                        error=r.error, next_attempt_at=r.next_attempt_at)


def _timer(row: Any) -> TimerRow:
    return TimerRow(id=row.id, case_id=row.case_id, state=row.state, index=row.idx, due_at=row.due_at,
                    kind=row.kind, target=row.target, status=row.status, result=row.result,
                    detail=row.detail, finished_at=row.finished_at)
