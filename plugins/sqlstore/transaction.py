"""The store's unit of work as a plain context manager: ``SqlStore.write()``, ``read()`` and ``group()``.

One SQLAlchemy connection and transaction per unit (SQLite: ``BEGIN IMMEDIATE`` for a write so
writers queue instead of failing on a stale snapshot, ``BEGIN DEFERRED`` for a read); commit
when the block ends, rollback when it raises. Database errors become the engine's errors: a
unique or foreign-key violation while writing is a ``ConflictError`` (another step came first),
an outage or lock cycle a ``StorageError``, a value the database refuses (a NUL) a
``RefusedError``. A class rather than a generator-based ``@contextmanager``: every step pays
for this, and the generator's machinery was a third of it.

``group()`` (a simulation's speed): the thread's writes inside the block become savepoints of
one transaction, committed when the block ends. A write that fails is still undone alone (its
savepoint), and the engine's errors are the same; what is given up is durability — nothing in
the block is on disk until it ends, a crash loses all of it — and other connections wait for
the block (SQLite) or do not see its steps until it ends (PostgreSQL).
"""

from __future__ import annotations

from os import getpid
from threading import get_ident
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from yishi.errors import ConflictError
from yishi.plugins.sqlstore.prepared import run_driver, savepoint_name

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from yishi.plugins.sqlstore.store import SqlStore, SqlTx


class Transaction:
    """``with store.write() as tx:`` (``write=True``) or ``with store.read() as tx:``."""

    __slots__ = ("store", "write", "conn", "trans", "tx", "savepoint")

    def __init__(self, store: SqlStore, *, write: bool) -> None:
        self.store = store
        self.write = write

    def __enter__(self) -> SqlTx:
        store = self.store
        group = store._group  # noqa: SLF001
        self.savepoint = None
        try:
            if group is not None and group.thread == get_ident():
                conn = self.conn = group.conn
                self.trans = None
                if self.write:  # a read inside the group sees its writes and undoes nothing
                    self.savepoint = savepoint_name()
                    run_driver(conn, f"SAVEPOINT {self.savepoint}")
            else:
                conn = self.conn = _connection(store)
                self.trans = _begin(store, conn, write=self.write)
        except DBAPIError as exc:
            _raise_mapped(store, exc, write=self.write)
        tx = self.tx = store.new_tx(conn)
        return tx

    def __exit__(self, kind: Any, error: Any, _tb: Any) -> bool:
        try:
            if self.trans is None:  # inside a group: its savepoint, or nothing for a read
                if self.savepoint is not None:
                    if kind is not None:
                        run_driver(self.conn, f"ROLLBACK TO SAVEPOINT {self.savepoint}")
                    run_driver(self.conn, f"RELEASE SAVEPOINT {self.savepoint}")
            else:
                done = False
                try:
                    if kind is None:
                        self.trans.commit()
                        done = True
                    else:
                        self.trans.rollback()
                finally:
                    _release(self.store, self.conn, keep=done)
        except DBAPIError as exc:
            if error is None:
                _raise_mapped(self.store, exc, write=self.write)
            # the rollback after an error failed too: the first error is the one to tell
        if error is not None:
            if isinstance(error, DBAPIError) and (mapped := _mapped(self.store, error, write=self.write)) is not error:
                raise mapped from error
            return False
        if self.write and self.tx.added_due is not None:
            from yishi.plugins.sqlstore.timer_store import seen
            seen(self.store._watch_key, self.tx.added_due)  # noqa: SLF001
        return False


class Group:
    """``with store.group():`` this thread's transactions as savepoints of one (see the module)."""

    __slots__ = ("store", "thread", "conn", "trans", "depth")

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.depth = 0

    def __enter__(self) -> Group:
        store = self.store
        outer = store._group  # noqa: SLF001
        if outer is not None and outer.thread == get_ident():
            outer.depth += 1  # a group inside a group is part of it
            return outer
        if outer is not None:
            from yishi.errors import StorageError
            raise StorageError("another thread holds this store's group of transactions",
                               message_zh="另一线程正以成组事务使用此数据库")
        self.thread = get_ident()
        try:
            conn = self.conn = store.engine.connect()
            self.trans = _begin(store, conn, write=True)
        except DBAPIError as exc:
            _raise_mapped(store, exc, write=True)
        self.depth = 1
        store._group = self  # noqa: SLF001
        return self

    def __exit__(self, kind: Any, error: Any, _tb: Any) -> bool:
        group = self.store._group  # noqa: SLF001
        if group is not None and group is not self:  # joined an outer group
            group.depth -= 1
            return False
        self.depth -= 1
        self.store._group = None  # noqa: SLF001
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
                _raise_mapped(self.store, exc, write=True)
        return False


def _connection(store: SqlStore) -> Connection:
    """A connection for one transaction: the one the last transaction left idle (taking it and
    handing it back skips the pool's checkout, checkin and reset: a fifth of a step), else the
    pool's."""
    idle = store._idle  # noqa: SLF001
    while idle:
        try:
            conn = idle.pop()
        except IndexError:  # another thread took it first
            break
        if store._pid == getpid() and not conn.invalidated and not conn.closed:  # noqa: SLF001
            return conn
    return store.engine.connect()


def _release(store: SqlStore, conn: Connection, *, keep: bool) -> None:
    """After a transaction: keep one connection idle for the next (only after a clean commit,
    in the process that opened it); any other goes back to the pool, which resets it."""
    if keep and not store._idle and store._pid == getpid() and not conn.in_transaction() \
            and not conn.invalidated:  # noqa: SLF001
        store._idle.append(conn)  # noqa: SLF001
    else:
        conn.close()


def sqlite_begin(conn: Connection, mode: str) -> None:
    """BEGIN on the driver: IMMEDIATE for writes (writers queue instead of failing on a stale
    snapshot), DEFERRED for reads. Issued here rather than from a "begin" event listener, whose
    mere presence makes SQLAlchemy dispatch events around every statement."""
    dbapi_conn = conn.connection.driver_connection
    try:
        dbapi_conn.execute(f"BEGIN {mode}")
    except conn.dialect.dbapi.OperationalError as exc:
        raise OperationalError(f"BEGIN {mode}", (), exc) from exc


def _begin(store: SqlStore, conn: Connection, *, write: bool) -> Any:
    """Begin a transaction on ``conn`` (SQLite: BEGIN IMMEDIATE to write, DEFERRED to read);
    the connection is closed, rolling back what was begun, if that fails."""
    try:
        trans = conn.begin()
        if store.dialect == "sqlite":
            sqlite_begin(conn, "IMMEDIATE" if write else "DEFERRED")
    except BaseException:
        conn.close()
        raise
    return trans


def _raise_mapped(store: SqlStore, exc: DBAPIError, *, write: bool) -> None:
    """Raise the engine's error for ``exc`` (from it), or ``exc`` itself when it has none."""
    mapped = _mapped(store, exc, write=write)
    if mapped is exc:
        raise exc
    raise mapped from exc


def _mapped(store: SqlStore, exc: DBAPIError, *, write: bool) -> BaseException:
    from yishi.plugins.sqlstore.store import _data_error, _operational

    if write and isinstance(exc, IntegrityError):
        return ConflictError(
            "the case changed meanwhile (another step was recorded first); nothing was saved — reload and try again",
            message_zh="案件已被他人更新（另一步骤已先记录），本次未保存；请刷新后重试")
    if isinstance(exc, OperationalError):
        return _operational(exc, store.safe_url)
    if isinstance(exc, DataError):
        return _data_error(exc, store.safe_url)
    return _operational(exc, store.safe_url) if write else exc
