"""Statements of the hot paths compiled once per dialect and run on the raw DBAPI cursor.

SQLAlchemy's own bind and result processors (UTC datetimes, JSON), or a shorter road to the
same result (``binds``), convert the values, so what is stored and read back is exactly what a
Core ``execute`` would store and read; only its per-call machinery (building the statement,
its cache key, the execution context: 50-300 µs a statement) is skipped. On PostgreSQL, psycopg prepares a statement on the server once it has
run a few times on a connection, so the same SQL text is also planned once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from yishi.plugins.sqlstore.binds import fast_bind, fast_result, params_function, row_function


class Query:
    """One statement (a SELECT, or a write with ``execute``) with named bind parameters."""

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items()
                         if not bind.required}
        self.bind_procs = {name: proc for name, bind in compiled.binds.items()
                           if (proc := fast_bind(bind.type, dialect)) is not None}
        self.order = list(compiled.positiontup or []) if compiled.positional else None
        cols = list(getattr(stmt, "selected_columns", None) or getattr(stmt, "exported_columns", None) or [])
        self.names = [c.name for c in cols]
        self.result_procs = [fast_result(c.type, dialect) for c in cols]
        self.dbapi = dialect.dbapi
        self._params = params_function(self.order, list(compiled.binds), self.defaults, self.bind_procs)
        self._row = row_function(self.names, self.result_procs, Row)

    def _run(self, conn: Connection, values: dict[str, Any], fetch: bool) -> tuple[int, list[Any]]:
        params = self._params(values)
        cursor = _cursor(conn)
        try:
            cursor.execute(self.sql, params)
            # every row is read, so no statement stays open on the kept cursor
            return cursor.rowcount, (cursor.fetchall() if fetch else [])
        except self.dbapi.IntegrityError as exc:
            raise IntegrityError(self.sql, params, exc) from exc
        except self.dbapi.OperationalError as exc:
            raise OperationalError(self.sql, params, exc) from exc
        except self.dbapi.DataError as exc:
            raise DataError(self.sql, params, exc) from exc

    def execute(self, conn: Connection, values: dict[str, Any]) -> int:
        """Run a write; the number of rows it changed."""
        return self._run(conn, values, False)[0]

    def all(self, conn: Connection, values: dict[str, Any]) -> list[Row]:
        return [self._row(raw) for raw in self._run(conn, values, True)[1]]

    def raw(self, conn: Connection, values: dict[str, Any]) -> list[Any]:
        """The driver's rows as read, unconverted (for a caller that builds its own objects)."""
        return self._run(conn, values, True)[1]

    def first(self, conn: Connection, values: dict[str, Any]) -> Row | None:
        rows = self._run(conn, values, True)[1]  # the statements read at most a row or a few
        return self._row(rows[0]) if rows else None

    def scalar(self, conn: Connection, values: dict[str, Any]) -> Any:
        row = self.first(conn, values)
        return None if row is None else row[self.names[0]]


def _cursor(conn: Connection) -> Any:
    """One driver cursor kept per database connection (made once, not per statement)."""
    info = conn.connection.info
    cursor = info.get("yishi.cursor")
    if cursor is None:
        cursor = info["yishi.cursor"] = conn.connection.driver_connection.cursor()
    return cursor


class Row(dict):
    """A result row read by column name: ``row.due_at`` or ``row["due_at"]``."""

    __getattr__ = dict.__getitem__


_names = count(1)


def savepoint_name() -> str:
    """A savepoint name not used before in this process."""
    return f"yishi_sp{next(_names)}"


def run_driver(conn: Connection, sql: str) -> None:
    """Run ``sql`` (a SAVEPOINT statement) on the connection's kept driver cursor; a driver
    error comes back as SQLAlchemy's ``OperationalError``, as from any other statement."""
    try:
        _cursor(conn).execute(sql)
    except conn.dialect.dbapi.OperationalError as exc:
        raise OperationalError(sql, (), exc) from exc


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """A SAVEPOINT on the driver connection: the block's writes are undone alone if it raises
    (then the error goes on), and the transaction stays usable (PostgreSQL too)."""
    name = savepoint_name()
    run_driver(conn, f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        run_driver(conn, f"ROLLBACK TO SAVEPOINT {name}")
        run_driver(conn, f"RELEASE SAVEPOINT {name}")
        raise
    run_driver(conn, f"RELEASE SAVEPOINT {name}")
