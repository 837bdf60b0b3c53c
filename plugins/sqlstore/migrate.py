"""Apply Alembic migrations on open; skip Alembic entirely when the schema is at head."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from yishi.errors import StorageError

if TYPE_CHECKING:
    from yishi.plugins.sqlstore.store import SqlStore

MIGRATIONS = Path(__file__).parent / "migrations"

HEAD = "0011_actor_counts"  # tests check this equals Alembic's head revision


def alembic_config(store: SqlStore, connection: object | None = None):  # noqa: ANN201
    """An Alembic ``Config`` for ``store`` (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(store: SqlStore) -> str | None:
    with store.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(store: SqlStore) -> None:
    """Bring the database to ``HEAD``. Raises ``StorageError`` if it cannot."""
    try:
        if current_revision(store) == HEAD:
            return
        from alembic import command

        with store.engine.connect() as conn:
            with conn.begin():
                if store.dialect == "sqlite":
                    from yishi.plugins.sqlstore.transaction import sqlite_begin
                    sqlite_begin(conn, "IMMEDIATE")
                if store.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(7415736)"))  # one migrator at a time
                command.upgrade(alembic_config(store, conn), "head")
    except DBAPIError as exc:
        raise StorageError(f"cannot open or migrate the database {store.safe_url}: {exc.orig}",
                           message_zh=f"无法打开或升级数据库 {store.safe_url}：{exc.orig}") from None
