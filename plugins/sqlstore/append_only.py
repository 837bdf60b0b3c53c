"""Append-only in the schema: triggers refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of
the hash-chained tables (``events``, ``org_log``) unless a maintenance window is open.

The maintenance escape: a row in ``record_maintenance`` with ``closed_at`` NULL lets the triggers
pass. Open it, change what must change and close it *in one transaction*, so nobody else ever
sees the record unlocked and the window stays on file::

    BEGIN;
    INSERT INTO record_maintenance (opened_at, opened_by, reason) VALUES (CURRENT_TIMESTAMP, 'dba', 'why');
    -- the repair
    UPDATE record_maintenance SET closed_at = CURRENT_TIMESTAMP WHERE closed_at IS NULL;
    COMMIT;

``maintenance_window(conn, by, reason)`` does the same from Python. ``yishi verify`` says so when
a window was left open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

TABLES = ("events", "org_log")  # add a new hash-chained table here and in a migration

_SQLITE = """
CREATE TRIGGER IF NOT EXISTS {table}_append_only_{op} BEFORE {OP} ON {table}
WHEN NOT EXISTS (SELECT 1 FROM record_maintenance WHERE closed_at IS NULL)
BEGIN
  SELECT RAISE(ABORT, '{table} is append-only: {OP} refused (open a maintenance window: see README, "Maintenance")');
END
"""

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION yishi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM record_maintenance WHERE closed_at IS NULL) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused (open a maintenance window: see README, "Maintenance")',
    TG_TABLE_NAME, TG_OP USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""


def create_sql(dialect: str) -> list[str]:
    """The statements that make ``TABLES`` append-only on ``dialect``."""
    if dialect == "sqlite":
        return [_SQLITE.format(table=t, op=op.lower(), OP=op) for t in TABLES for op in ("UPDATE", "DELETE")]
    out = [_PG_FUNCTION]
    for t in TABLES:
        out.append(f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                   "FOR EACH ROW EXECUTE FUNCTION yishi_append_only()")
        out.append(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION yishi_append_only()")
    return out


def drop_sql(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only_{op}" for t in TABLES for op in ("update", "delete")]
    out = []
    for t in TABLES:
        out += [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}", f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}"]
    return out + ["DROP FUNCTION IF EXISTS yishi_append_only()"]


@contextmanager
def maintenance_window(conn: Any, by: str, reason: str) -> Iterator[Any]:
    """Inside an open transaction on ``conn`` (a SQLAlchemy Connection or a DBAPI connection):
    record a maintenance window, yield, then close it. Whatever the block changes in the
    append-only tables is allowed; the window stays on file in ``record_maintenance``."""
    qmark = _qmark(conn)
    now: Any = datetime.now(timezone.utc)
    if qmark:  # SQLite keeps UTC as naive text, the way the store writes it
        now = now.replace(tzinfo=None).isoformat(sep=" ")
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    style = "?" if qmark else "%s"
    run(f"INSERT INTO record_maintenance (opened_at, opened_by, reason) VALUES ({style}, {style}, {style})",
        (now, by, reason))
    yield conn
    run(f"UPDATE record_maintenance SET closed_at = {style} WHERE closed_at IS NULL", (now,))


def _qmark(conn: Any) -> bool:
    module = type(getattr(conn, "connection", conn)).__module__
    if hasattr(conn, "dialect"):
        return conn.dialect.paramstyle == "qmark"
    return "sqlite" in module
