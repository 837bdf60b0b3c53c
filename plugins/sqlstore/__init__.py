"""The built-in storage plugin: SQLAlchemy Core tables on SQLite (default) or PostgreSQL."""

from __future__ import annotations

from yishi.hookspecs import hookimpl
from yishi.storage import Store

SCHEMES = ("sqlite", "postgresql")


@hookimpl(trylast=True)
def yishi_storage(url: str) -> Store | None:
    """Serve ``sqlite:///path`` and ``postgresql+psycopg://…`` URLs."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in SCHEMES:
        return None
    from yishi.plugins.sqlstore.store import SqlStore

    return SqlStore(url)
