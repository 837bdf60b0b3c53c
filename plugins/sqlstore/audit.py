"""Read rows for ``verify`` one column at a time, so a corrupt row is reported, not raised.

Each column is read raw and then passed through the same SQLAlchemy result processor a normal
read uses (UTC datetimes, JSON); a value that will not convert makes the row a ``Corrupt``
naming the column, and the scan goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, select, type_coerce
from sqlalchemy.types import NullType

from yishi.engine.types import Case, Corrupt, Event, TimerRow, Verdict


def _rows(conn: Connection, table: Table, where: Any, order: list[Any]) -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
    dialect = conn.dialect
    cols = list(table.columns)
    procs = {c.name: c.type.dialect_impl(dialect).result_processor(dialect, None) for c in cols}
    stmt = select(*[type_coerce(c, NullType()).label(c.name) for c in cols]).where(where).order_by(*order)
    out = []
    for raw in conn.execute(stmt):
        values: dict[str, Any] = {}
        bad: list[tuple[str, str]] = []
        for c in cols:
            value, proc = raw._mapping[c.name], procs[c.name]
            try:
                values[c.name] = proc(value) if proc is not None and value is not None else value
            except Exception as exc:  # noqa: BLE001 - any conversion failure is what we report
                values[c.name] = None
                bad.append((c.name, f"{type(exc).__name__}: {exc}"))
        out.append((values, bad))
    return out


class _Attr(dict):
    __getattr__ = dict.__getitem__


def _build(table: str, case_id: int, key: int, values: dict[str, Any], bad: list[tuple[str, str]],
           make: Callable[[Any], Any], objects: tuple[str, ...]) -> Any:
    if not bad:
        for name in objects:
            if not isinstance(values[name], dict if name != "verdicts" else list):
                bad.append((name, f"not a JSON {'object' if name != 'verdicts' else 'array'}: "
                                  f"{str(values[name])[:40]}"))
    if not bad:
        try:
            return make(_Attr(values))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            bad.append(("?", f"{type(exc).__name__}: {exc}"))
    column, error = bad[0]
    return Corrupt(table, case_id, key, column, error)


def audit_cases(conn: Connection, table: Table, after: int, limit: int,
                make: Callable[[Any], Case]) -> list[Case | Corrupt]:
    rows = conn.execute(select(table.c.id).where(table.c.id > after).order_by(table.c.id).limit(limit)).scalars().all()
    if not rows:
        return []
    found = _rows(conn, table, table.c.id.between(rows[0], rows[-1]), [table.c.id])
    return [_build("cases", v["id"], v["id"], v, bad, make, ("data",)) for v, bad in found]


def audit_events(conn: Connection, table: Table, first: int, last: int) -> list[Event | Corrupt]:
    found = _rows(conn, table, table.c.case_id.between(first, last), [table.c.case_id, table.c.seq])

    def make(r: Any) -> Event:
        return Event(case_id=r.case_id, seq=r.seq, at=r.at, kind=r.kind, actor=r.actor, role=r.role,
                     trigger=r.trigger, source=r.source, dest=r.dest, data=r.data,
                     verdicts=tuple(Verdict.from_dict(v) for v in r.verdicts),
                     prev_hash=r.prev_hash, hash=r.hash)

    return [_build("events", v["case_id"], v["seq"], v, bad, make, ("data", "verdicts")) for v, bad in found]


def audit_timers(conn: Connection, table: Table, first: int, last: int,
                 make: Callable[[Any], TimerRow]) -> list[TimerRow | Corrupt]:
    found = _rows(conn, table, table.c.case_id.between(first, last), [table.c.case_id, table.c.id])
    return [_build("timers", v["case_id"], v["id"], v, bad, make, ("detail",)) for v, bad in found]
