""""My actions" counted from a handful of counter rows instead of the person's cases (issue 13).

``case_actor_counts`` holds, per (role, roles, unit), how many ``case_actors`` rows there are:
``role`` may act, ``roles`` is the case's whole ",a,b," list, ``unit`` its unit (0: none). It
is kept by triggers on ``case_actors`` in the very transaction that writes those rows (so the
engine's write path does not change, and every writer, a migration or a bulk load included, keeps
it), as **insert-only deltas**: each insert into ``case_actors`` adds a row ``n = +1``, each
delete a row ``n = -1``. Nothing ever updates a counter row, so concurrent steps on PostgreSQL
never wait for each other on a hot row nor deadlock over two of them. Every 512th delta
(by id) folds the rows up to it into one row per key (on PostgreSQL only when no other
transaction is folding: ``pg_try_advisory_xact_lock``, else it is left to the next 512th),
so the table stays a few hundred rows and the count reads all of them in well under a millisecond.

A case is counted once, under the first of the person's roles (sorted) that may act on it:
exactly what the old index range count over ``case_actors`` gave.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FOLD_EVERY = 512  # deltas between two folds (a power of two: the check is id % FOLD_EVERY)
_LOCK = 7415738  # pg_try_advisory_xact_lock key (7415736: migrations, 7415737: org_log)

_SQLITE = """
CREATE TRIGGER IF NOT EXISTS case_actors_count_{op} AFTER {OP} ON case_actors
BEGIN
  INSERT INTO case_actor_counts (role, roles, unit, n)
    SELECT {row}.role, {row}.roles, coalesce((SELECT unit_id FROM cases WHERE id = {row}.case_id), 0), {n};
END
"""
_SQLITE_FOLD = f"""
CREATE TRIGGER IF NOT EXISTS case_actor_counts_fold AFTER INSERT ON case_actor_counts
WHEN NEW.id % {FOLD_EVERY} = 0
BEGIN
  INSERT INTO case_actor_counts (role, roles, unit, n)
    SELECT role, roles, unit, sum(n) FROM case_actor_counts WHERE id <= NEW.id
    GROUP BY role, roles, unit HAVING sum(n) <> 0;
  DELETE FROM case_actor_counts WHERE id <= NEW.id;
END
"""
# SQLite runs no trigger from inside a trigger's own statements (recursive_triggers is off), so
# the folded rows do not fold again; and a writer is alone, so no fold races another.

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION yishi_case_actor_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO case_actor_counts (role, roles, unit, n)
      SELECT NEW.role, NEW.roles, coalesce((SELECT unit_id FROM cases WHERE id = NEW.case_id), 0), 1
      RETURNING id INTO delta;
  ELSE
    INSERT INTO case_actor_counts (role, roles, unit, n)
      SELECT OLD.role, OLD.roles, coalesce((SELECT unit_id FROM cases WHERE id = OLD.case_id), 0), -1
      RETURNING id INTO delta;
  END IF;
  IF delta % {FOLD_EVERY} = 0 AND pg_try_advisory_xact_lock({_LOCK}) THEN
    -- only committed rows (and our own) are seen, and only a folder deletes: no row is lost or
    -- counted twice, and a step never waits for a fold
    WITH gone AS (DELETE FROM case_actor_counts WHERE id <= delta RETURNING role, roles, unit, n)
    INSERT INTO case_actor_counts (role, roles, unit, n)
      SELECT role, roles, unit, sum(n) FROM gone GROUP BY role, roles, unit HAVING sum(n) <> 0;
  END IF;
  RETURN NULL;
END
$$
"""


def create_sql(dialect: str) -> list[str]:
    """The triggers that keep ``case_actor_counts`` on ``dialect``."""
    if dialect == "sqlite":
        return [_SQLITE.format(op="insert", OP="INSERT", row="NEW", n=1),
                _SQLITE.format(op="delete", OP="DELETE", row="OLD", n=-1), _SQLITE_FOLD]
    return [_PG_FUNCTION,
            "CREATE TRIGGER case_actors_count AFTER INSERT OR DELETE ON case_actors "
            "FOR EACH ROW EXECUTE FUNCTION yishi_case_actor_count()"]


def drop_sql(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return ["DROP TRIGGER IF EXISTS case_actors_count_insert", "DROP TRIGGER IF EXISTS case_actors_count_delete",
                "DROP TRIGGER IF EXISTS case_actor_counts_fold"]
    return ["DROP TRIGGER IF EXISTS case_actors_count ON case_actors",
            "DROP FUNCTION IF EXISTS yishi_case_actor_count()"]


FILL = ("INSERT INTO case_actor_counts (role, roles, unit, n) "
        "SELECT a.role, a.roles, coalesce(c.unit_id, 0), count(*) FROM case_actors a JOIN cases c ON c.id = a.case_id "
        "GROUP BY a.role, a.roles, coalesce(c.unit_id, 0)")


def count_mine(conn: Any, table: Any, roles: Iterable[str], units: tuple[int, ...] | None) -> int:
    """How many open cases one of ``roles`` may act on (in ``units``, when given): each case
    once, under the first of the roles (sorted) that may act on it."""
    from sqlalchemy import func, select

    mine = sorted(set(roles))
    if not mine or units == ():
        return 0
    stmt = (select(table.c.role, table.c.roles, func.sum(table.c.n))
            .where(table.c.role.in_(mine)).group_by(table.c.role, table.c.roles))
    if units is not None:
        stmt = stmt.where(table.c.unit.in_(units))
    total = 0
    for role, listed, n in conn.execute(stmt):
        acting = set(listed.split(","))
        if next(r for r in mine if r in acting or r == role) == role:
            total += int(n)
    return total
