"""The worker: fires due timers and delivers the outbox in a loop until it is told to stop.

Several workers may run on one PostgreSQL database: timers and outbox rows are claimed with
``FOR UPDATE SKIP LOCKED``, so no timer fires twice and no notification is sent twice (see
``yishi.delivery`` for the one case of a repeat: a worker killed in mid-send). A worker that was
down catches up when it starts: overdue timers fire earliest due first.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yishi.delivery import Attempt, deliver_one
from yishi.errors import StorageError, YishiError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine, TickResult


@dataclass
class Totals:
    """What a worker did: timers by outcome, deliveries by outcome, errors it rode out."""

    timers: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    passes: int = 0

    def count(self, table: dict[str, int], outcome: str) -> None:
        table[outcome] = table.get(outcome, 0) + 1


@dataclass(frozen=True)
class Outage:
    """Reported once when the database stops answering (``recovered=False``, with the error and
    the first wait in seconds) and once when it answers again (``recovered=True``)."""

    recovered: bool
    message: str = ""
    message_zh: str = ""
    wait: float = 0.0


Report = Callable[["TickResult | Attempt | YishiError | Outage"], None]


class Worker:
    """Runs ``engine.tick`` (``batch`` timers a transaction) and outbox delivery (one
    notification at a time) until ``stop()``.

    ``interval``: seconds to sleep when nothing is due. ``channels``: deliver only these
    notifier channels (default: every channel this engine has). ``report(item)`` is called with
    each ``TickResult``, each ``Attempt`` and each ``YishiError`` the worker rode out (a database
    that went away, a case changed by someone else meanwhile): the worker keeps going after one.
    """

    def __init__(self, engine: Engine, *, interval: float = 5.0, channels: list[str] | None = None,
                 report: Report | None = None, max_wait: float = 60.0, batch: int = 50) -> None:
        self.engine = engine
        self.batch = batch  # timers a transaction (one commit for all of them)
        self.interval = interval
        self.max_wait = max(max_wait, interval)
        self.outage: StorageError | None = None  # the database is unreachable since this error
        self._wait = interval
        self._pass_errors: list[StorageError] = []
        self.channels = channels
        self.report = report or (lambda _item: None)
        self.stopping = False
        self.totals = Totals()

    def stop(self) -> None:
        """Finish the current item, then return from ``run`` (safe to call from a signal handler)."""
        self.stopping = True

    def run_once(self) -> int:
        """One pass: fire every due timer, then deliver every due notification. Returns how many
        items it handled. Stops early, between items, once ``stop()`` was called. A timer that
        cannot be fired (the database went away, a case changed meanwhile) ends the timer part of
        the pass, not the delivery part, and is tried again on the next pass."""
        self.totals.passes += 1
        self._pass_errors = []
        done = self._phase(self._tick_one) + self._phase(self._deliver_one)
        self._track_outage()
        return done

    def _phase(self, step: Callable[[], int]) -> int:
        done = 0
        try:
            while not self.stopping:
                handled = step()
                if not handled:
                    break
                done += handled
        except StorageError as exc:  # reported by _track_outage: once per outage, not per pass
            self._pass_errors.append(exc)
        except YishiError as exc:  # the database answered (a case changed meanwhile, …)
            self.totals.errors.append(exc.message)
            self.report(exc)
        return done

    def _track_outage(self) -> None:
        """A pass that hit a ``StorageError`` means the database is unreachable (or broke off a
        change): say so once and back off (doubling, up to ``max_wait``); the first pass that
        gets through again says it recovered."""
        if self._pass_errors:
            if self.outage is None:
                exc = self.outage = self._pass_errors[0]
                self._wait = self.interval
                self.totals.errors.append(exc.message)
                self.report(Outage(False, exc.message, exc.message_zh or exc.message, self._wait))
        elif self.outage is not None:
            self.outage = None
            self._wait = self.interval
            self.report(Outage(True))

    def _tick_one(self) -> int:
        ticked = self.engine.tick(limit=self.batch)  # one batch: one transaction
        for result in ticked:
            self.totals.count(self.totals.timers, result.outcome)
            self.report(result)
        # a timer whose step failed stays pending: it is tried again on the next pass, not now
        return sum(r.outcome != "failed" for r in ticked)

    def _deliver_one(self) -> int:
        attempt = deliver_one(self.engine, channels=self.channels)
        if attempt is None:
            return 0
        self.totals.count(self.totals.deliveries, attempt.outcome)
        self.report(attempt)
        return 1

    def run(self, *, once: bool = False) -> Totals:
        """Pass after pass, sleeping ``interval`` seconds when a pass found nothing to do, until
        ``stop()`` (with ``once``: a single pass). Returns the totals."""
        while not self.stopping:
            busy = self.run_once()
            if once:
                break
            if self.outage is not None:
                self._sleep(self._wait)
                self._wait = min(self._wait * 2, self.max_wait)
            elif not busy:
                self._sleep(self.interval)
        return self.totals

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping:
            left = end - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, 0.1))

    @contextmanager
    def signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT call ``stop()`` (a second SIGINT interrupts at once) while the block
        runs; the previous handlers come back afterwards. Main thread only."""
        def _stop(signum: int, _frame: Any) -> None:
            if signum == signal.SIGINT and self.stopping:
                raise KeyboardInterrupt
            self.stop()

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


__all__ = ["Outage", "Totals", "Worker"]
