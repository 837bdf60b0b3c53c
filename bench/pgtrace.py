"""The raw psycopg baseline for bench/worker.py: trace what the engine sends to PostgreSQL and run
the same statements, with the same parameters and the same commits, on a raw psycopg connection
to a copy of the database as it was before (``CREATE DATABASE … TEMPLATE``).

Every statement goes through ``cursor.execute`` on the driver's connection (SQLAlchemy's and the
store's prepared ones alike): a cursor class that records ``(query, params)`` sees them all;
SQLAlchemy's ``commit``/``rollback`` events mark the transactions. psycopg prepares a statement
on the server after it has run a few times on a connection, on both sides alike.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from sqlalchemy import event

COMMIT, ROLLBACK = object(), object()


class Tracer:
    """Records the engine's statements and commits on its PostgreSQL connections."""

    def __init__(self, sa_engine: Any, store: Any = None) -> None:
        self.log: list[Any] = []
        log = self.log

        class Traced(psycopg.Cursor):
            def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
                log.append((query, params))
                return super().execute(query, params, **kwargs)

            def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> Any:
                params_seq = list(params_seq)
                for params in params_seq:
                    log.append((query, params))
                return super().executemany(query, params_seq, **kwargs)

        def checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            dbapi_conn.cursor_factory = Traced
        event.listen(sa_engine, "checkout", checkout)
        event.listen(sa_engine, "commit", lambda _conn: log.append(COMMIT))
        event.listen(sa_engine, "rollback", lambda _conn: log.append(ROLLBACK))
        # connections made from now on are traced from their first checkout: hand back the one
        # the store keeps between transactions (an older yishi keeps none), and empty the pool
        getattr(store, "release_connection", lambda: None)()
        sa_engine.dispose()

    def take(self) -> list[Any]:
        out = list(self.log)
        self.log.clear()
        return out


class Replayer:
    """A raw psycopg connection running traced statements on the copy."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn)
        self.cur = self.conn.cursor()

    def run(self, items: list[Any]) -> float:
        cur, conn = self.cur, self.conn
        t0 = time.perf_counter()
        for item in items:
            if item is COMMIT:
                conn.commit()
            elif item is ROLLBACK:
                conn.rollback()
            else:
                cur.execute(*item)
                if cur.description is not None:
                    cur.fetchall()
        conn.commit()
        return time.perf_counter() - t0

    def close(self) -> None:
        self.conn.close()
