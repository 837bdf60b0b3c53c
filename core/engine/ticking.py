"""Firing due timers in batches: one query for the due timers, one transaction per batch.

Each timer still fires exactly once and in due order (due time, then id). Inside a batch every
timer runs in its own savepoint, so a timer whose step fails (a rule's code raises) is undone
alone: it stays pending and is reported as ``failed``, the others of the batch are kept, and the
case's later timers wait for it (they are not fired before it in this tick).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from yishi.engine.types import SYSTEM, FireResult, TimerRow
from yishi.errors import RefusedError, StorageError, YishiError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine, TickResult
    from yishi.storage import Tx

BATCH = 100  # timers a transaction: one commit (one fsync) for up to this many


def fire_due(engine: Engine, now: datetime, *, limit: int | None = None, at_due: bool = False,
             batch: int = BATCH) -> list[TickResult]:
    """Fire the timers due at ``now``, earliest first, ``batch`` to a transaction.

    ``at_due``: each timer's step happens at its own due time (never earlier than the one
    before it), and an injected clock with ``set`` is moved there; else at ``now``. A
    simulation fires a span of time this way in one call.
    """
    from yishi.engine.engine import TickResult

    results: list[TickResult] = []
    held: set[int] = set()  # cases with a failed timer: their later timers wait for it
    floor = engine.now() if at_due else now
    # an injected clock follows the timers, so the steps' code reads each one's own time
    move = getattr(engine.clock, "set", None) if at_due and engine._clock_injected else None  # noqa: SLF001
    while limit is None or len(results) < limit:
        want = batch if limit is None else min(batch, limit - len(results))
        done: list[FireResult] = []
        with engine.store.write() as tx:
            timers = tx.claim_due_timers(now, want, skip_cases=frozenset(held))
            if not timers:
                break
            touched: set[int] = set()
            created: datetime | None = None  # the earliest due time of timers this batch added
            for timer in timers:
                if created is not None and created < timer.due_at:
                    break  # a timer added in this batch comes first: the next batch takes it in order
                if timer.case_id in held:
                    continue
                if timer.case_id in touched and not tx.timer_pending(timer):
                    continue  # an earlier step of this batch cancelled it
                touched.add(timer.case_id)
                moment = max(timer.due_at, floor) if at_due else now
                floor = moment if at_due else floor
                if move is not None:
                    move(moment)
                try:
                    with tx.savepoint():
                        result, fired = _fire_one(engine, tx, timer, moment)
                except (StorageError, OperationalError):
                    raise  # the database itself: the whole batch is undone, every timer still pending
                except Exception as exc:  # noqa: BLE001 - a rule's code failed: this timer alone is undone
                    if not tx.savepoints:
                        raise
                    held.add(timer.case_id)
                    results.append(_failed(timer, exc))
                    continue
                results.append(result)
                if fired is not None:
                    done.append(fired)
                    for due in _added(fired):
                        if due <= now and (created is None or due < created):
                            created = due
        for fired in done:  # observers hear of steps once they are committed
            engine._committed(fired)  # noqa: SLF001
        if len(timers) < want and created is None:
            break  # the claim found every due timer and none of their steps added another due now
    return results


def _fire_one(engine: Engine, tx: Tx, timer: TimerRow, now: datetime) -> tuple[TickResult, FireResult | None]:
    """Remind, fire the timer's trigger, or note why not; the timer is finished in any case."""
    from yishi.engine.engine import TickResult

    case = engine._get(tx, timer.case_id, for_update=True)  # noqa: SLF001
    if not case.is_open or case.state != timer.state:
        tx.finish_timer(timer.id, status="cancelled", result="the case had moved on", at=now)
        return TickResult(timer, "skipped"), None
    if timer.kind == "remind":
        fired = engine._remind(tx, case, timer, now)  # noqa: SLF001
        if fired is None:
            tx.finish_timer(timer.id, status="skipped", result="done meanwhile", at=now)
            return TickResult(timer, "skipped"), None
        tx.finish_timer(timer.id, status="fired", result="", at=now)
        return TickResult(timer, "reminded", fired.event), fired
    try:
        fired = engine._step(tx, case, timer.target, SYSTEM, {}, now, kind="timer", timer=timer)  # noqa: SLF001
    except RefusedError as exc:
        tx.finish_timer(timer.id, status="refused", result=str(exc), at=now)
        return TickResult(timer, "refused", reason=exc.message, reason_zh=exc.message_zh), None
    tx.finish_timer(timer.id, status="fired", result="", at=now)
    return TickResult(timer, "fired", fired.event), fired


def _added(fired: FireResult) -> list[datetime]:
    """The earliest due time of the timers a timer's step added, and of the cases it started."""
    cases = ([fired.case] if fired.event.kind == "timer" else []) + [r.case for r in fired.started]
    return [c.due_at for c in cases if c.due_at is not None]


def _failed(timer: TimerRow, exc: Exception) -> TickResult:
    from yishi.engine.engine import TickResult

    if isinstance(exc, YishiError):
        en, zh = exc.message, exc.message_zh or exc.message
    else:
        en = f"{type(exc).__name__}: {exc}"
        zh = f"执行出错（{en}）；此定时事项未执行，将在下次重试"
    return TickResult(timer, "failed", reason=f"{en} (the timer stays pending and is tried again)",
                      reason_zh=zh)
