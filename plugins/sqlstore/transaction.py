"""The store's unit of work as a plain context manager: ``SqlStore.write()`` and ``read()``.

One SQLAlchemy connection and transaction per unit (SQLite: ``BEGIN IMMEDIATE`` for a write so
writers queue instead of failing on a stale snapshot, ``BEGIN DEFERRED`` for a read); commit
when the block ends, rollback when it raises. Database errors become the engine's errors: a
unique or foreign-key violation while writing is a ``ConflictError`` (another step came first),
an outage or lock cycle a ``StorageError``, a value the database refuses (a NUL) a
``RefusedError``. A class rather than a generator-based ``@contextmanager``: every step pays
for this, and the generator's machinery was a third of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from yishi.errors import ConflictError

if TYPE_CHECKING:
    from yishi.plugins.sqlstore.store import SqlStore, SqlTx


class Transaction:
    """``with store.write() as tx:`` (``write=True``) or ``with store.read() as tx:``."""

    __slots__ = ("store", "write", "conn", "trans", "tx")

    def __init__(self, store: SqlStore, *, write: bool) -> None:
        self.store = store
        self.write = write

    def __enter__(self) -> SqlTx:
        from yishi.plugins.sqlstore.store import SqlTx, sqlite_begin

        store = self.store
        try:
            conn = self.conn = store.engine.connect()
            try:
                self.trans = conn.begin()
                if store.dialect == "sqlite":
                    sqlite_begin(conn, "IMMEDIATE" if self.write else "DEFERRED")
            except BaseException:
                conn.close()  # rolls back what was begun
                raise
        except DBAPIError as exc:
            mapped = self._mapped(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        tx = self.tx = SqlTx(conn, store.dialect, store.prepared, store.get_case)
        return tx

    def __exit__(self, kind: Any, error: Any, _tb: Any) -> bool:
        try:
            try:
                if kind is None:
                    self.trans.commit()
                else:
                    self.trans.rollback()
            finally:
                self.conn.close()
        except DBAPIError as exc:
            if error is None:
                mapped = self._mapped(exc)
                if mapped is exc:
                    raise
                raise mapped from exc
            # the rollback after an error failed too: the first error is the one to tell
        if error is not None:
            if isinstance(error, DBAPIError) and (mapped := self._mapped(error)) is not error:
                raise mapped from error
            return False
        if self.write and self.tx.added_due is not None:
            from yishi.plugins.sqlstore.timer_store import seen
            seen(self.store._watch_key, self.tx.added_due)  # noqa: SLF001
        return False

    def _mapped(self, exc: DBAPIError) -> BaseException:
        from yishi.plugins.sqlstore.store import _data_error, _operational

        if self.write and isinstance(exc, IntegrityError):
            return ConflictError(
                "the case changed meanwhile (another step was recorded first); nothing was saved — reload and try again",
                message_zh="案件已被他人更新（另一步骤已先记录），本次未保存；请刷新后重试")
        if isinstance(exc, OperationalError):
            return _operational(exc, self.store.safe_url)
        if isinstance(exc, DataError):
            return _data_error(exc, self.store.safe_url)
        return _operational(exc, self.store.safe_url) if self.write else exc
