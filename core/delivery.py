"""Outbox delivery: claim due notifications, send them through their notifier, retry, give up.

A step writes its outbox rows in its own transaction (one per notifier channel); delivery runs
later and apart (``yishi worker``), so a notifier that is down never blocks or fails a step.

How one row is delivered, and what is guaranteed:

1. **Claim** (one short transaction): the due row is marked ``sending``, its attempt count goes
   up by one and its ``next_attempt_at`` becomes the end of a lease (``DeliveryPolicy.lease``).
   On PostgreSQL the row is selected ``FOR UPDATE SKIP LOCKED``; on SQLite writers queue. Either
   way two workers never claim the same row, and no database transaction stays open while a
   message is on the wire.
2. **Send**, outside any transaction, through the channel's notifier.
3. **Finish** (one short transaction): ``delivered``, or ``pending`` again with an exponential
   backoff capped at an hour for a transient failure (kept up for 7 days by default, see
   ``DeliveryPolicy``), or ``failed`` at once for a permanent one (a 4xx answer, a refused
   address or login) and when the attempts are used up. The error is kept on the row:
   ``yishi outbox list --failed``; ``yishi outbox retry ID`` or ``retry --failed [--channel C]``
   tries again. The finish is fenced by the attempt number: it changes the row only if it is
   still ``sending`` under this attempt.

So a row is **marked delivered exactly once**, and a worker that is stopped with SIGTERM/SIGINT
finishes its current row first. The **send itself is at least once**, as with any outbox: if
a worker dies (power cut, ``kill -9``) after the receiver accepted a message but before step
3, its lease runs out and another worker sends the message again. No sender can make that
exactly once without the receiver's help, so every message carries a stable id for receivers
to drop repeats: the ``X-Yishi-Delivery`` header of webhooks and the ``Message-ID`` of e-mail
are the outbox row id. A lease far longer than a send (5 minutes against a 10-second timeout)
makes a second send happen only after a crash.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from yishi.clock import as_utc
from yishi.durations import parse_duration
from yishi.engine.types import Notification
from yishi.errors import NotFoundError, RefusedError, YishiError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine


class DeliveryError(YishiError):
    """A notifier could not deliver a notification.

    ``retry=False`` says trying again cannot help (no address configured for the recipients,
    a message the receiver rejects as malformed): the row fails at once instead of backing off.
    """

    def __init__(self, message: str, *, message_zh: str | None = None, retry: bool = True) -> None:
        super().__init__(message, message_zh=message_zh)
        self.retry = retry


class Notifier(Protocol):
    """What a notifier channel registered with ``yishi_register_notifiers`` provides.

    ``deliver`` sends one notification or raises (``DeliveryError`` to say whether a retry can
    help; any other exception is recorded and retried). Optional attributes: ``policy`` (a
    ``DeliveryPolicy``) and ``accepts(recipients) -> bool`` (the engine writes no row for this
    channel when it returns False, e.g. no address is configured for those recipients).
    """

    def deliver(self, note: Notification) -> None: ...


@dataclass(frozen=True)
class DeliveryPolicy:
    """How a channel retries.

    A transient failure (the receiver is down, a timeout, HTTP 5xx/429, SMTP 4xx) is retried,
    waiting ``retry_after`` × 2^(n-1) after the n-th failure but never more than ``retry_max``,
    until the row is ``give_up_after`` old (default 7 days, so an outage of days loses nothing),
    or, when ``max_attempts`` is set, until that many attempts were made. A permanent failure
    (``DeliveryError(retry=False)``: a 4xx answer, a refused address or login) fails at once.
    A claimed row's sender holds it for ``lease``; a row whose sender died ``max_crashes`` times
    in a row (its lease ran out each time) is given up as a message that kills its sender.
    """

    max_attempts: int | None = None
    retry_after: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)
    give_up_after: timedelta = timedelta(days=7)
    max_crashes: int = 3

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after ``attempts`` failed attempts."""
        if attempts <= 0:
            return timedelta(0)
        factor = 2 ** min(attempts - 1, 30)
        return min(self.retry_after * factor, self.retry_max)

    @property
    def attempts(self) -> int:
        """How many attempts a row gets: ``max_attempts`` when set, else as many as the backoff
        fits into ``give_up_after`` (173 with the defaults: 7 days, then hourly). Counting
        attempts rather than hours means a worker that was down too gives the row its full
        share, and ``yishi outbox retry`` starts a fresh one."""
        if self.max_attempts is not None:
            return self.max_attempts
        waited, n = timedelta(0), 1
        while waited < self.give_up_after and n < 100_000:
            waited += max(self.backoff(n), timedelta(seconds=1))
            n += 1
        return n

    def attempts_left(self, attempts: int) -> bool:
        return attempts < self.attempts

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], where: str = "notifier") -> DeliveryPolicy:
        """The policy a channel's config table sets (``max_attempts``, ``retry_after``,
        ``retry_max``, ``lease``, ``give_up_after``; durations like ``30s``, ``6h``, ``7d``),
        defaults for the rest.

        Raises ``ConfigError`` naming the key for a value that is not valid.
        """
        from yishi.config import ConfigError

        values: dict[str, Any] = {}
        raw = settings.get("max_attempts")
        if raw is not None:
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
                raise ConfigError(f"{where}: max_attempts should be a whole number ≥ 1, not {raw!r}",
                                  message_zh=f"{where}：max_attempts 应为不小于 1 的整数，而不是 {raw!r}")
            values["max_attempts"] = raw
        for key in ("retry_after", "retry_max", "lease", "give_up_after"):
            if settings.get(key) is not None:
                try:
                    values[key] = parse_duration(settings[key])
                except ValueError as exc:
                    raise ConfigError(f"{where}: {key}: {exc}", message_zh=f"{where}：{key}：{exc}") from None
        return cls(**values)


DEFAULT_POLICY = DeliveryPolicy()


def policy_of(notifier: Any) -> DeliveryPolicy:
    """The notifier's ``policy`` attribute, else the defaults."""
    policy = getattr(notifier, "policy", None)
    return policy if isinstance(policy, DeliveryPolicy) else DEFAULT_POLICY


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of one outbox row and how it ended.

    ``outcome``: ``delivered``; ``retry`` (pending again until ``next_attempt_at``); ``failed``
    (gave up: attempts used up, or a ``DeliveryError`` with ``retry=False``); ``lost`` (the
    lease ran out during the send and another worker took the row over: nothing recorded).
    """

    note: Notification  # as claimed: status sending, attempts counting this one
    outcome: str
    error: str = ""
    next_attempt_at: datetime | None = None


def worker_name() -> str:
    """``host:pid``, how a worker names itself in logs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver_one(engine: Engine, now: datetime | None = None, *,
                channels: list[str] | None = None) -> Attempt | None:
    """Claim the outbox row due first (of ``channels``, default every channel this engine has a
    notifier for), send it and record the outcome. None when nothing is due.

    ``now`` (default: the engine's clock) decides what is due and when a retry is due.
    Exceptions a notifier raises are recorded on the row, never raised here; raises
    ``StorageError`` when the database is unavailable (a claimed row is then sent again after
    its lease).
    """
    notifiers = engine.registry.notifiers
    names = [name for name in (channels if channels is not None else notifiers) if name in notifiers]
    if not names:
        return None
    at = as_utc(now) if now is not None else engine.now()
    leases = {name: at + policy_of(notifiers[name]).lease for name in names}  # each channel its own
    with engine.store.write() as tx:
        note = tx.claim_notification(at, lease_until=leases, channels=names)
    if note is None:
        return None
    assert note.id is not None
    notifier = notifiers[note.channel]
    policy = policy_of(notifier)
    error, retry = "", True
    if note.attempts > policy.attempts or lapses(note.error) >= policy.max_crashes:  # only after leases ran out: the sender kept dying
        error, retry = note.error, False
    else:
        try:
            notifier.deliver(note)
        except DeliveryError as exc:
            error, retry = exc.message, exc.retry
        except Exception as exc:  # noqa: BLE001 - a notifier is plugin code: its failure is recorded on the row and retried, never raised into the worker
            error = f"{type(exc).__name__}: {exc}"
    done = at if now is not None else engine.now()
    if not error:
        outcome, fields = "delivered", {"status": "delivered", "delivered_at": done, "next_attempt_at": None}
    elif retry and policy.attempts_left(note.attempts):
        retry_at = done + policy.backoff(note.attempts)
        outcome, fields = "retry", {"status": "pending", "delivered_at": None, "next_attempt_at": retry_at}
    else:
        outcome, fields = "failed", {"status": "failed", "delivered_at": None, "next_attempt_at": None}
    error = error[:2000]
    with engine.store.write() as tx:
        kept = tx.finish_notification(note.id, attempt=note.attempts, error=error, **fields)
    if not kept:
        outcome = "lost"
    return Attempt(note=note, outcome=outcome, error=error, next_attempt_at=fields["next_attempt_at"])


def deliver_pending(engine: Engine, now: datetime | None = None, limit: int | None = None, *,
                    channels: list[str] | None = None,
                    stop: Callable[[], bool] | None = None) -> list[Attempt]:
    """Deliver due outbox rows one at a time until none is due, ``limit`` were attempted, or
    ``stop()`` says so (checked between rows, so the current one always finishes).

    Each row is claimed, sent and recorded as ``deliver_one`` describes; several processes may
    run this on one database at once. Raises ``StorageError`` when the database is unavailable.
    """
    attempts: list[Attempt] = []
    while limit is None or len(attempts) < limit:
        if stop is not None and stop():
            break
        attempt = deliver_one(engine, now, channels=channels)
        if attempt is None:
            break
        attempts.append(attempt)
    return attempts


LAPSE = "did not finish before its lease ran out"


def lapses(error: str) -> int:
    """How many times in a row a row's sender died mid-send, from the error the claim wrote
    (``attempt 3 did not finish before its lease ran out (the sender stopped; 2 in a row)``)."""
    if LAPSE not in error:
        return 0
    marker = error.rpartition("; ")[2]
    count = marker.split(" in a row")[0]
    return int(count) if " in a row" in marker and count.isdigit() else 1


def outbox(engine: Engine, *, status: str | None = None, case_id: int | None = None,
           limit: int | None = None) -> list[Notification]:
    """Outbox rows, oldest first (with ``limit``, the newest ``limit``)."""
    with engine.store.read() as tx:
        return tx.notifications(case_id=case_id, status=status, limit=limit)


def outbox_counts(engine: Engine) -> dict[str, int]:
    """How many outbox rows are pending, sending, delivered and failed."""
    with engine.store.read() as tx:
        counts = tx.count_notifications()
    return {status: counts.get(status, 0) for status in ("pending", "sending", "delivered", "failed")}


def failed_count(engine: Engine) -> int:
    """How many notifications were given up on (for a front end's warning: ``yishi outbox list
    --failed`` shows them, ``yishi outbox retry --failed`` sends them again)."""
    return outbox_counts(engine)["failed"]


def retry_failed(engine: Engine, *, channel: str | None = None, now: datetime | None = None) -> list[Notification]:
    """Make every failed outbox row (of ``channel``, default all) due again now with a fresh set of
    attempts, after the cause was fixed. Returns the rows made due, oldest first."""
    at = as_utc(now) if now is not None else engine.now()
    done: list[Notification] = []
    with engine.store.write() as tx:
        for note in tx.notifications(status="failed"):
            if channel is not None and note.channel != channel:
                continue
            assert note.id is not None
            if tx.retry_notification(note.id, at):
                found = tx.get_notification(note.id)
                assert found is not None
                done.append(found)
    return done


def retry(engine: Engine, note_id: int, now: datetime | None = None) -> Notification:
    """Make outbox row ``note_id`` due again now with a fresh set of attempts (after a failure
    was fixed, e.g. a wrong address in the config). Returns the row as it is now.

    Raises ``NotFoundError`` (no such row) or ``RefusedError`` (it was delivered, or is being
    sent right now).
    """
    at = as_utc(now) if now is not None else engine.now()
    with engine.store.write() as tx:
        note = tx.get_notification(note_id)
        if note is None:
            raise NotFoundError(f"no outbox row #{note_id}", message_zh=f"没有通知 #{note_id}")
        if not tx.retry_notification(note_id, at):
            raise RefusedError(
                f"outbox row #{note_id} is {note.status}; only failed or pending rows can be retried",
                message_zh=f"通知 #{note_id} 状态为 {note.status}；只能重试失败或待发送的通知")
        found = tx.get_notification(note_id)
    assert found is not None
    return found


__all__ = ["Attempt", "DEFAULT_POLICY", "DeliveryError", "DeliveryPolicy", "Notifier", "deliver_one",
           "deliver_pending", "failed_count", "lapses", "outbox", "outbox_counts", "policy_of", "retry",
           "retry_failed", "worker_name"]
