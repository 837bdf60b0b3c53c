"""The storage interface the engine writes through; the built-in SQL plugin implements it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from yishi.engine.types import Case, CaseFilter, Corrupt, Event, Link, Notification, TimerRow

if TYPE_CHECKING:
    from yishi.org.store import OrgTx


class Tx(ABC):
    """One unit of work. Methods never commit: the ``Store.write()`` block does, or rolls back."""

    # definitions
    @abstractmethod
    def get_definition(self, sha256: str) -> tuple[str, str] | None:
        """(text, file) of the stored definition with this hash, or None."""

    @abstractmethod
    def put_definition(self, *, sha256: str, workflow_id: str, version: int, text: str,
                       file: str, at: datetime) -> None:
        """Store a definition text if no row has this hash yet."""

    @abstractmethod
    def definitions(self) -> list[tuple[str, int, str]]:
        """(workflow_id, version, sha256) of every stored definition."""

    # cases
    @abstractmethod
    def get_case(self, case_id: int, *, for_update: bool = False) -> Case | None:
        """The case row, locked for this transaction where the database can."""

    @abstractmethod
    def insert_case(self, case: Case) -> int:
        """Insert a new case (its ``id`` is ignored) and return the id it got."""

    @abstractmethod
    def update_case(self, case: Case, *, expected_rev: int) -> bool:
        """Write ``case`` if its row still has ``expected_rev``; False when it changed meanwhile."""

    def update_step(self, case: Case, *, expected_rev: int, data_changed: bool) -> bool:
        """Write what a step changed (the data only if ``data_changed``); like ``update_case``.

        Stores may narrow the write; this default writes the whole row.
        """
        return self.update_case(case, expected_rev=expected_rev)

    def set_actors(self, case_id: int, roles: tuple[str, ...]) -> None:
        """Record which roles may act on the case now (none once it is closed), so "my actions"
        is an index lookup. The engine calls it when they change; ``act_roles`` on the case
        row says the same, and a store that keeps no separate index may ignore this."""

    @abstractmethod
    def cases(self, filt: CaseFilter) -> list[Case]:
        """Cases matching ``filt``, most urgent first (earliest due, then newest)."""

    @abstractmethod
    def count_cases(self, filt: CaseFilter) -> int:
        """How many cases match ``filt`` (ignoring limit and offset)."""

    def count_values(self, filt: CaseFilter, paths: list[tuple[str, str]]) -> list[tuple[tuple[Any, ...], int]]:
        """Among cases matching ``filt`` (ignoring limit and offset), how many have each combination
        of the data values at ``paths`` (``(state, field)`` pairs; None where unrecorded).

        This default reads every matching case; a store should override it with one GROUP BY.
        """
        from collections import Counter
        from dataclasses import replace

        counts = Counter(tuple(_value(c.data, p) for p in paths)
                         for c in self.cases(replace(filt, limit=None, offset=0)))
        return list(counts.items())

    # events
    @abstractmethod
    def append_event(self, event: Event) -> None:
        """Append an event; raises ``ConflictError`` if its (case, seq) exists already."""

    @abstractmethod
    def events(self, case_id: int | None = None) -> Iterator[Event]:
        """Events of one case (or of all cases, by case then seq), in order."""

    # verify: every row read back, a row that cannot be read reported as ``Corrupt``
    # (these defaults read through the strict methods above; a store should override them)
    def audit_cases(self, after: int, limit: int) -> list[Case | Corrupt]:
        """Up to ``limit`` cases with ids above ``after``, by id."""
        return sorted((c for c in self.cases(CaseFilter()) if c.id > after), key=lambda c: c.id)[:limit]

    def audit_events(self, first: int, last: int) -> list[Event | Corrupt]:
        """Events of the cases ``first``..``last``, by case then seq."""
        return [e for e in self.events() if first <= e.case_id <= last]

    def audit_timers(self, first: int, last: int) -> list[TimerRow | Corrupt]:
        """Timers (any status) of the cases ``first``..``last``, by case."""
        return [t for case_id in range(first, last + 1) for t in self.timers(case_id)]

    def notified_up_to(self, first: int, last: int) -> dict[int, int]:
        """For the cases ``first``..``last``: the highest event seq any notification was made
        for. A store without an outbox returns {}."""
        return {}

    def maintenance_open(self) -> list[tuple[str, str, str]]:
        """(opened at, by, reason) of every maintenance window left open: while one is, the
        append-only tables accept UPDATE and DELETE. A store without such windows returns []."""
        return []

    def heads(self) -> dict[int, tuple[int, str]]:
        """(seq, hash) of the last event of every case."""
        out: dict[int, tuple[int, str]] = {}
        for e in self.events():
            out[e.case_id] = (e.seq, e.hash)
        return out

    def definition_texts(self) -> list[tuple[str, str, int, str, str]]:
        """(sha256, workflow_id, version, text, file) of every stored definition."""
        out = []
        for workflow_id, version, sha in self.definitions():
            found = self.get_definition(sha)
            if found is not None:
                out.append((sha, workflow_id, version, found[0], found[1]))
        return out

    # timers
    @abstractmethod
    def add_timers(self, timers: list[TimerRow]) -> None:
        """Insert pending timers (their ``id`` is ignored)."""

    @abstractmethod
    def cancel_timers(self, case_id: int) -> None:
        """Cancel every pending timer of the case."""

    @abstractmethod
    def claim_due_timer(self, now: datetime) -> TimerRow | None:
        """The earliest pending timer due at ``now``, locked so no other worker takes it."""

    def claim_due_timers(self, now: datetime, limit: int, *,
                         skip_cases: frozenset[int] = frozenset()) -> list[TimerRow]:
        """Up to ``limit`` pending timers due at ``now``, earliest first (due time, then id),
        their cases locked so no other worker takes them; none of the cases in ``skip_cases``.
        A store without a batch claim gives one at a time (``claim_due_timer``)."""
        timer = self.claim_due_timer(now)
        return [timer] if timer is not None and timer.case_id not in skip_cases else []

    def timer_pending(self, timer: TimerRow) -> bool:
        """Whether the timer is still pending (within a batch, an earlier step may have cancelled it)."""
        return any(t.id == timer.id and t.status == "pending" for t in self.timers(timer.case_id))

    #: whether ``savepoint()`` really undoes its block alone; if not, an error in one timer of a
    #: batch ends the whole transaction (nothing of the batch is saved)
    savepoints: bool = False

    def savepoint(self) -> AbstractContextManager[None]:
        """A block whose writes are undone alone if it raises (the transaction goes on)."""
        return nullcontext()

    @abstractmethod
    def finish_timer(self, timer_id: int, *, status: str, result: str, at: datetime) -> None:
        """Mark a timer fired, refused or cancelled."""

    @abstractmethod
    def timers(self, case_id: int) -> list[TimerRow]:
        """All timers of a case, by due time."""

    @abstractmethod
    def next_due(self) -> datetime | None:
        """When the earliest pending timer of all cases is due."""

    # outbox
    @abstractmethod
    def add_notifications(self, notes: list[Notification]) -> None:
        """Insert pending outbox rows."""

    @abstractmethod
    def claim_notification(self, now: datetime, *, lease_until: datetime | Mapping[str, datetime],
                           channels: list[str] | None = None) -> Notification | None:
        """Claim the outbox row due first and return it as claimed, or None when nothing is due.
        ``lease_until`` may map each channel to its own lease end.

        Due means ``pending`` with ``next_attempt_at <= now``, or ``sending`` whose lease ran
        out (``next_attempt_at <= now``: its sender crashed or hung). The row becomes
        ``sending`` with ``next_attempt_at = lease_until`` and one more attempt counted; the
        returned ``attempts`` is the fencing token for ``finish_notification``. On PostgreSQL
        the row is taken ``FOR UPDATE SKIP LOCKED``, so concurrent claimers never get the
        same row; the caller commits the claim before sending.
        """

    @abstractmethod
    def finish_notification(self, note_id: int, *, attempt: int, status: str, error: str,
                            next_attempt_at: datetime | None, delivered_at: datetime | None) -> bool:
        """Record how claimed attempt number ``attempt`` ended: ``delivered``, ``pending``
        (retry at ``next_attempt_at``) or ``failed``.

        Only a row still ``sending`` under that attempt changes; returns False when it does
        not (the lease ran out and another worker claimed it since), so a row is marked
        delivered at most once.
        """

    @abstractmethod
    def get_notification(self, note_id: int) -> Notification | None:
        """One outbox row, or None."""

    @abstractmethod
    def retry_notification(self, note_id: int, now: datetime) -> bool:
        """Make a ``failed`` or ``pending`` row due at ``now`` with its attempts reset to 0.

        Returns False (and changes nothing) for a row that is ``delivered`` or ``sending``.
        """

    @abstractmethod
    def notifications(self, *, case_id: int | None = None, status: str | None = None,
                      limit: int | None = None) -> list[Notification]:
        """Outbox rows, oldest first; with ``limit``, the newest ``limit`` of them."""

    @abstractmethod
    def count_notifications(self) -> dict[str, int]:
        """How many outbox rows have each status."""

    # links
    @abstractmethod
    def add_link(self, link: Link) -> None:
        """Record that ``link.from_case`` started ``link.to_case``."""

    @abstractmethod
    def links(self, case_id: int) -> list[Link]:
        """Links from or to the case, oldest first."""

    # the organisation (yishi.org)
    def org(self) -> OrgTx:
        """The organisation's units, people, grants and log in this transaction."""
        from yishi.errors import StorageError

        raise StorageError(f"{type(self).__name__} does not store an organisation",
                           message_zh="此存储不支持组织机构")

    # the database's own settings (yishi.time.mode) and schedule runs (yishi.time.schedules)
    @abstractmethod
    def get_meta(self, key: str, *, for_update: bool = False) -> str | None:
        """The value stored under ``key`` in the database's settings, or None."""

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (insert or replace)."""

    @abstractmethod
    def claim_schedule_run(self, schedule: str, period: str, at: datetime) -> bool:
        """Record that ``schedule`` runs for ``period``; False (and nothing written) when that
        period was claimed already, by this or another worker. The claim is the unique row
        (schedule, period): concurrent claimers cannot both succeed."""

    @abstractmethod
    def set_schedule_case(self, schedule: str, period: str, case_id: int) -> None:
        """Note the case a claimed schedule run started."""

    @abstractmethod
    def schedule_runs(self, schedule: str | None = None) -> list[tuple[str, str, int | None, datetime]]:
        """(schedule, period, case id, at) of the recorded runs, oldest first."""

    # statistics (yishi.stats)
    def add_month_figures(self, row: dict[str, Any]) -> None:
        """Add ``row``'s counts to the month summary row with its (month, unit_id, workflow_id,
        tier), creating it at zero first. A store without a summary may ignore this."""

    def stats(self) -> Any:
        """The statistics' grouped reads in this transaction (see the SQL store's ``SqlStatsTx``)."""
        from yishi.errors import StorageError

        raise StorageError(f"{type(self).__name__} keeps no statistics",
                           message_zh="此存储不支持统计")


class Store(ABC):
    """A database the engine keeps its cases in."""

    url: str

    @abstractmethod
    def write(self) -> AbstractContextManager[Tx]:
        """A write transaction: commits when the block ends, rolls back on any exception.

        Raises ``ConflictError`` when the database refuses the commit because of a concurrent
        change, and ``StorageError`` when it is unavailable.
        """

    @abstractmethod
    def read(self) -> AbstractContextManager[Tx]:
        """A read-only transaction."""

    def group(self) -> AbstractContextManager[Any]:
        """Run this thread's ``write()`` blocks inside the ``with`` block as one transaction,
        committed when it ends (a simulation's speed: one commit instead of one a step). A write
        that raises is still undone alone. Stores that cannot, run them one by one (the default)."""
        return nullcontext()

    def watch_timers(self, seen: Callable[[datetime], None]) -> Callable[[], None] | None:
        """Call ``seen(due)`` after every committed transaction that added timers (in this
        process, on this database), with the earliest of their due times; returns the function
        that stops it. None: this store cannot (then ask ``next_due``)."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def describe(self) -> dict[str, Any]:
        """What an operator should know about this store (URL without password, durability)."""
        return {"url": self.url}


def _value(data: dict[str, Any], path: tuple[str, str]) -> Any:
    values = data.get(path[0])
    return values.get(path[1]) if isinstance(values, dict) else None
