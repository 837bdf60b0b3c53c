"""The outbox's claim and finish in the SQL store, as statements prepared once per dialect (and
per number of channels asked for), run on the raw DBAPI cursor (``prepared.Query``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from yishi.plugins.sqlstore.prepared import Query
from yishi.plugins.sqlstore.tables import OutboxRow

outbox_t = OutboxRow.__table__


class OutboxQueries:
    """The outbox statements of one store, compiled for its dialect."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.postgres = dialect.name == "postgresql"
        self._probes: dict[tuple[str, int | None], Query] = {}
        self.take = Query(update(outbox_t).where(outbox_t.c.id == bindparam("b_id")).values(
            status="sending", attempts=bindparam("attempts"), next_attempt_at=bindparam("lease"),
            error=bindparam("error")), dialect)
        fence = (outbox_t.c.id == bindparam("b_id"), outbox_t.c.status == "sending",
                 outbox_t.c.attempts == bindparam("b_attempt"))
        done = {"status": bindparam("status"), "error": bindparam("error"),
                "delivered_at": bindparam("delivered_at")}
        self.finish_keep = Query(update(outbox_t).where(*fence).values(done), dialect)
        self.finish_next = Query(update(outbox_t).where(*fence).values(
            {**done, "next_attempt_at": bindparam("next_attempt_at")}), dialect)

    def _probe(self, status: str, channels: int | None) -> Query:
        """The earliest due row of ``status`` (of ``channels`` channels ch0…, or any)."""
        key = (status, channels)
        if key not in self._probes:
            stmt = (select(outbox_t).where(outbox_t.c.status == status,
                                           outbox_t.c.next_attempt_at <= bindparam("now"))
                    .order_by(outbox_t.c.next_attempt_at, outbox_t.c.id).limit(1))
            if channels is not None:
                stmt = stmt.where(outbox_t.c.channel.in_([bindparam(f"ch{i}") for i in range(channels)]))
            if self.postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            self._probes[key] = Query(stmt, self.dialect)
        return self._probes[key]

    def claim(self, conn: Connection, now: datetime, lease_until: datetime | Mapping[str, datetime],
              channels: list[str] | None) -> tuple[Any, datetime, str] | None:
        """The row due first, marked ``sending`` under a new attempt: (row, lease, error)."""
        # Two indexed probes (partial indexes on status = 'pending' and on 'sending'), the
        # earlier due of the two wins; a lapsed lease is rare, so the second probe is cheap.
        values: dict[str, Any] = {"now": now}
        if channels is not None:
            if not channels:
                return None
            values.update({f"ch{i}": name for i, name in enumerate(channels)})
        found = [row for status in ("pending", "sending")
                 if (row := self._probe(status, None if channels is None else len(channels))
                     .first(conn, values)) is not None]
        if not found:
            return None
        row = min(found, key=lambda r: (r.next_attempt_at, r.id))
        lease = lease_until[row.channel] if isinstance(lease_until, Mapping) else lease_until
        error = row.error
        if row.status == "sending":
            from yishi.delivery import LAPSE, lapses

            error = f"attempt {row.attempts} {LAPSE} (the sender stopped; {lapses(row.error) + 1} in a row)"
        self.take.execute(conn, {"b_id": row.id, "attempts": row.attempts + 1, "lease": lease, "error": error})
        return row, lease, error

    def finish(self, conn: Connection, note_id: int, *, attempt: int, status: str, error: str,
               next_attempt_at: datetime | None, delivered_at: datetime | None) -> bool:
        values = {"b_id": note_id, "b_attempt": attempt, "status": status, "error": error,
                  "delivered_at": delivered_at}
        if next_attempt_at is None:
            return self.finish_keep.execute(conn, values) == 1
        return self.finish_next.execute(conn, {**values, "next_attempt_at": next_attempt_at}) == 1
