"""The database's mode and a simulation's stored clock.

A database is **real** (the system clock; time never runs backwards), a **simulation** (the demo,
training: its own clock, stored in the database as ``meta.sim_now``, moved only by ``advance``),
or a **sandbox** (no mode stored: a database opened by ``Engine.open`` before ``yishi init`` or
from before modes existed; it behaves as it always did, with the injected or system clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from yishi.errors import YishiError
from yishi.time.clock import Clock, SystemClock, as_utc

if TYPE_CHECKING:
    from yishi.engine.engine import Engine, TickResult
    from yishi.storage import Store

REAL, SIMULATION, SANDBOX = "real", "simulation", "sandbox"
MODES = (REAL, SIMULATION, SANDBOX)
MODE_TITLES = {REAL: {"zh": "正式", "en": "real"}, SIMULATION: {"zh": "模拟", "en": "simulation"},
               SANDBOX: {"zh": "试用", "en": "sandbox"}}


class TimeError(YishiError):
    """Time was asked to do what the database's mode forbids (run backwards, jump ahead in a
    real database, be advanced outside a simulation)."""


def read_mode(store: Store) -> str:
    """The mode stored in the database; ``sandbox`` when none is."""
    with store.read() as tx:
        value = tx.get_meta("mode")
    return value if value in (REAL, SIMULATION) else SANDBOX


def _stamp(moment: datetime) -> str:
    # fixed width UTC, so stored values also compare correctly as text
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _parse(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text))


class StoredClock:
    """A simulation's clock: ``meta.sim_now`` in its database, read on every ``now()`` so every
    program open on the database (TUI, CLI, worker) sees the same simulated moment."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def now(self) -> datetime:
        with self.store.read() as tx:
            value = tx.get_meta("sim_now")
        if value is None:
            raise TimeError("this simulation database has no stored clock (meta.sim_now)",
                            message_zh="此模拟数据库没有保存模拟时间（meta.sim_now）")
        return _parse(value)


class RealClock:
    """The system clock, never running backwards within this program (a clock stepped back by
    the operating system holds still until it catches up)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._last: datetime | None = None

    def now(self) -> datetime:
        moment = as_utc(self.clock.now())
        if self._last is not None and moment < self._last:
            return self._last
        self._last = moment
        return moment


def clock_for(mode: str, store: Store, injected: Clock | None) -> Clock:
    """The clock an engine reads: an injected one (tests, the TUI's tests) wins; else a
    simulation's stored clock, a real database's monotonic system clock, or the system clock."""
    if injected is not None:
        return injected
    if mode == SIMULATION:
        return StoredClock(store)
    if mode == REAL:
        return RealClock()
    return SystemClock()


def set_mode(engine: Engine, mode: str, *, now: datetime | None = None) -> None:
    """Make the engine's database ``real`` or a ``simulation`` (starting its clock at ``now``,
    default the engine's present). A real database stays real; a simulation cannot become real
    (its history was made up). Setting the mode it already has changes nothing.

    Raises ``TimeError`` for a mode that is not allowed.
    """
    if mode not in (REAL, SIMULATION):
        raise TimeError(f"unknown database mode {mode!r}; use 'real' or 'simulation'",
                        message_zh=f"未知的数据库模式 {mode!r}；可用 real（正式）或 simulation（模拟）")
    start = as_utc(now) if now is not None else engine.now()
    with engine.store.write() as tx:
        current = tx.get_meta("mode", for_update=True) or SANDBOX
        if current == mode:
            return
        if current == REAL:
            raise TimeError("this is a real database; it cannot become a simulation",
                            message_zh="这是正式数据库，不能改为模拟数据库")
        if current == SIMULATION:
            raise TimeError("this is a simulation database (its history is made up); it cannot become real — "
                            "create a new database with `yishi init`",
                            message_zh="这是模拟数据库（其中的记录是虚构的），不能改为正式数据库；请用 `yishi init` 新建")
        tx.set_meta("mode", mode)
        if mode == SIMULATION:
            tx.set_meta("sim_now", _stamp(start))
    engine._mode = mode  # noqa: SLF001 - the engine's cached mode
    if not engine._clock_injected:  # noqa: SLF001
        engine.clock = clock_for(mode, engine.store, None)


def tick_moment(engine: Engine, now: datetime | None) -> datetime:
    """The moment ``tick(now)`` may act at. In a sandbox, ``now`` as given. In a real database or
    a simulation, time never runs backwards and never jumps ahead: ``now`` later than the present
    is refused (a simulation moves with ``advance``), an earlier one means the present."""
    present = engine.now()
    if now is None or engine.mode == SANDBOX:
        return present if now is None else as_utc(now)
    now = as_utc(now)
    if now > present:
        if engine.mode == REAL:
            raise TimeError(
                f"this is a real database: timers fire when they are due, not ahead of time "
                f"({_show(now)} is later than the present, {_show(present)}); "
                "to try what happens later, use a simulation database (yishi demo) and `yishi advance`",
                message_zh=f"这是正式数据库：定时事项到期才执行，不能提前（{_show(now)} 晚于当前时间 "
                           f"{_show(present)}）；如需演练，请使用模拟数据库（yishi demo）和 `yishi advance`")
        raise TimeError(
            f"this simulation's clock is at {_show(present)}; move it with `yishi advance` "
            f"(e.g. --to {as_utc(now).date().isoformat()}), which fires every timer due on the way in order",
            message_zh=f"此模拟数据库的时间为 {_show(present)}；请用 `yishi advance` 推进时间"
                       f"（如 --to {as_utc(now).date().isoformat()}），途中到期的定时事项会依次执行")
    return present


def _show(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def advance(engine: Engine, to: datetime) -> list[TickResult]:
    """Move a simulation's clock to ``to``, firing every timer due on the way at its own due
    time, earliest first — exactly as the testing kit's ``SimClock.run_until`` does.

    Raises ``TimeError`` outside a simulation, or when ``to`` is before the simulated now.
    """
    if engine.mode != SIMULATION:
        raise TimeError(
            f"only a simulation database's time can be advanced; this one is {engine.mode}",
            message_zh=f"只有模拟数据库可以推进时间；此数据库为{MODE_TITLES[engine.mode]['zh']}数据库")
    to = as_utc(to)
    start = engine.now()
    if to < start:
        raise TimeError(f"time only moves forward: {_show(to)} is before the simulated now, {_show(start)}",
                        message_zh=f"时间只能向前推进：{_show(to)} 早于模拟当前时间 {_show(start)}")
    from yishi.time.schedules import next_due as next_schedule

    results: list[TickResult] = []
    while True:
        # the next timer, or the next moment a schedule starts a case (yishi.time.schedules)
        due = min((d for d in (engine.next_due(), next_schedule(engine, engine.now())) if d is not None),
                  default=None)
        if due is None or due > to:
            break
        moment = max(due, engine.now())
        _move(engine, moment)
        results.extend(engine.tick(moment))
    _move(engine, to)
    return results


def advance_by(engine: Engine, delta: timedelta | str) -> list[TickResult]:
    """``advance`` by a span: a ``timedelta`` or a duration text (``7d``, ``1mo``, ``3wd``)."""
    from yishi.time.durations import add_duration

    return advance(engine, add_duration(engine.now(), delta, calendar=getattr(engine, "calendar", None)))


def advance_to_next(engine: Engine) -> list[TickResult]:
    """``advance`` to the next pending timer (nothing happens when none is pending)."""
    due = engine.next_due()
    if due is None:
        if engine.mode != SIMULATION:
            return advance(engine, engine.now())  # raises the clear error
        return []
    return advance(engine, max(due, engine.now()))


def _move(engine: Engine, moment: datetime) -> None:
    """Store ``moment`` as the simulated now (never earlier than what is stored), and move an
    injected clock along."""
    with engine.store.write() as tx:
        stored = tx.get_meta("sim_now", for_update=True)
        if stored is None or _parse(stored) < moment:
            tx.set_meta("sim_now", _stamp(moment))
    setter: Any = getattr(engine.clock, "set", None)
    if engine._clock_injected and callable(setter):  # noqa: SLF001
        setter(moment)
