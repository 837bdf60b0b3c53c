"""The working calendar: China's statutory holidays and make-up working days (调休) from the
``holidays`` package, with a deployment's own extra holidays and working days, globally and per
organisation unit; calendar months (Civil Code arts. 201–203), working days and working hours.

Where the rules count time (Civil Code of the PRC, 2020):
- art. 201: a period counted in years, months or days starts on the day after the starting day;
- art. 202: a period in months ends on the corresponding day of the last month, or on its last
  day when it has no such day (a month from 31 January ends on 28/29 February);
- art. 203: a period whose last day is a statutory day off ends on the day after the days off;
  the last day ends at 24:00.

The State Council publishes each year's holiday arrangement (国务院办公厅关于…部分节假日安排的通知)
around November of the year before. A year the ``holidays`` package has no arrangement for is
*unpublished*: its working days are guessed from weekends and the statutory festivals only, and
every deadline computed into it raises a loud ``UnpublishedCalendarWarning`` (and is logged).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger("yishi.time")

DEFAULT_HOURS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


class UnpublishedCalendarWarning(UserWarning):
    """A deadline falls in a year whose official holiday arrangement is not published yet."""


@lru_cache(maxsize=64)
def _china(year: int) -> Any:
    import holidays

    return holidays.China(years=year)


def official_published(year: int) -> bool:
    """Whether the ``holidays`` package carries the State Council's arrangement for ``year``
    (it lists that year's substituted days off and make-up working days)."""
    cn = _china(year)
    return any(d.year == year for d in cn.weekend_workdays) or \
        any("substitut" in name.lower() for d, name in cn.items() if d.year == year)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days, in which hours, in the deployment's time zone."""

    tz: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    hours: tuple[tuple[time, time], ...] = DEFAULT_HOURS
    published: frozenset[int] = frozenset()  # years the deployment vouches for itself

    # ------------------------------------------------------------ days
    def is_working_day(self, day: date) -> bool:
        """A weekday that is no holiday, or a make-up working day; a deployment's own lists win."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return bool(_china(day.year).is_working_day(day))

    def is_published(self, year: int) -> bool:
        return year in self.published or official_published(year)

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra_holidays:
            return "local holiday"
        return _china(day.year).get(day)

    def _check_published(self, *days: date) -> None:
        for year in sorted({d.year for d in days}):
            if not self.is_published(year):
                message = (f"deadline in {year}: the official holiday arrangement for {year} is not published "
                           f"yet, so its working days are estimated (weekends and statutory festivals only); "
                           f"re-check when the State Council publishes it, or list {year}'s days under "
                           f"[calendar] in the deployment file / 期限落在 {year} 年，该年节假日安排尚未公布，"
                           f"工作日按周末和法定节日估算，公布后请复核")
                log.warning(message)
                warnings.warn(message, UnpublishedCalendarWarning, stacklevel=4)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def _end_of(self, day: date) -> datetime:
        """24:00 of ``day`` in the calendar's zone, as UTC (art. 203: the last day ends at 24:00)."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(timezone.utc)

    def _roll_off_days(self, day: date) -> date:
        """Art. 203: a last day that is a day off moves to the first working day after."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    # ------------------------------------------------------------ arithmetic
    def add_months(self, start: datetime, months: int, *, roll: bool = True) -> datetime:
        """The end (24:00, local) of the period of ``months`` calendar months from ``start``:
        the corresponding day (art. 202), the month's last day when there is none, moved past
        days off (art. 203) when ``roll``."""
        local = self._local(start).date()
        last = add_months_to_date(local, months)
        if roll:
            last = self._roll_off_days(last)
        self._check_published(last)
        return self._end_of(last)

    def end_of_day_after(self, start: datetime, days: int) -> datetime:
        """24:00 (local) of the ``days``-th day after the day of ``start``; ``0``: of that same
        day (arts. 201, 203: the starting day is not counted, the last day ends at 24:00)."""
        return self._end_of(self._local(start).date() + timedelta(days=days))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end (24:00, local) of the ``days``-th working day after the day of ``start``
        (art. 201: the starting day is not counted); ``0`` is the end of the starting day, or
        of the next working day when it is a day off."""
        first = self._local(start).date()
        day = self._roll_off_days(first) if days == 0 else self.working_day_after(first, days)
        self._check_published(first, day)
        return self._end_of(day)

    def working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (before it, for a negative ``n``)."""
        step, count = (1 if n >= 0 else -1), 0
        while count < abs(n):
            day += timedelta(days=step)
            if self.is_working_day(day):
                count += 1
        return day

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when ``hours`` of working time (working days, within ``self.hours``) have
        passed since ``start``."""
        left = timedelta(hours=hours)
        local = self._local(start)
        day = local.date()
        first = day
        for _ in range(3660):  # ten years of days: far beyond any working-hours limit
            if self.is_working_day(day):
                for begin, end in self.hours:
                    a = datetime.combine(day, begin, tzinfo=self.tz)
                    b = datetime.combine(day, end, tzinfo=self.tz)
                    a = max(a, local)
                    if a >= b:
                        continue
                    if b - a >= left:
                        self._check_published(first, day)
                        return (a + left).astimezone(timezone.utc)
                    left -= b - a
            day += timedelta(days=1)
        raise ValueError(f"{hours} working hours do not end within ten years")


def calendar_for(engine: Any, case: Any = None) -> WorkCalendar:
    """``engine.calendar`` with the ``[calendar.units]`` overrides of the case's unit and the units
    above it (organisation units: ``yishi.org``); cached per unit."""
    base: WorkCalendar = engine.calendar
    unit_id = getattr(case, "unit_id", None)
    if unit_id is None or not engine.calendar_settings.get("units"):
        return base
    cache = engine.__dict__.setdefault("_unit_calendars", {})
    if unit_id not in cache:
        with engine.store.read() as tx:
            units = {u.id: u for u in tx.org().units()}
        chain, seen = [], set()
        unit = units.get(unit_id)
        while unit is not None and unit.id not in seen:
            chain.append(unit)
            seen.add(unit.id)
            unit = units.get(unit.parent_id)
        cache[unit_id] = for_unit(base, engine.calendar_settings, chain)
    return cache[unit_id]


def field_moment(value: Any, calendar: WorkCalendar | None) -> datetime | None:
    """A date field's value as the start of that day in the calendar's zone (a datetime field:
    that moment), in UTC; None when empty or not a date."""
    if not value:
        return None
    tz = calendar.tz if calendar is not None else ZoneInfo("Asia/Shanghai")
    text = str(value)
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text)
            return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(timezone.utc)
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def add_months_to_date(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (art. 202)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no such month: {year}-{month}")  # pragma: no cover - every month has a 28th


def _dates(values: Iterable[Any], where: str) -> frozenset[date]:
    out = set()
    for value in values or ():
        try:
            out.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            from yishi.config import ConfigError

            raise ConfigError(f"[calendar] {where}: {value!r} is not a date; write e.g. \"2026-12-24\"",
                              message_zh=f"[calendar] {where}：{value!r} 不是日期；例如 \"2026-12-24\"") from None
    return frozenset(out)


def _hours(values: Iterable[Any] | None) -> tuple[tuple[time, time], ...]:
    if not values:
        return DEFAULT_HOURS
    out = []
    for value in values:
        try:
            a, b = str(value).split("-")
            begin, end = time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
            if begin >= end:
                raise ValueError
        except ValueError:
            from yishi.config import ConfigError

            raise ConfigError(f"[calendar] hours: {value!r} is not a span of the day; write e.g. \"08:30-12:00\"",
                              message_zh=f"[calendar] hours：{value!r} 不是时段；例如 \"08:30-12:00\"") from None
        out.append((begin, end))
    return tuple(sorted(out))


def calendar_from_config(settings: Mapping[str, Any] | None, tz: tzinfo) -> WorkCalendar:
    """The deployment-wide calendar from the ``[calendar]`` table::

        [calendar]
        holidays = ["2026-12-24"]        # extra days off
        workdays = ["2026-12-26"]        # extra working days
        hours = ["08:30-12:00", "13:30-17:30"]
        published = [2027]               # years whose days the deployment has listed itself
        [calendar.units."和平社区"]       # one organisation unit (id, code or name) and those under it
        holidays = ["2026-11-30"]
    """
    settings = settings or {}
    return WorkCalendar(tz=tz, extra_holidays=_dates(settings.get("holidays", ()), "holidays"),
                        extra_workdays=_dates(settings.get("workdays", ()), "workdays"),
                        hours=_hours(settings.get("hours")),
                        published=frozenset(int(y) for y in settings.get("published", ())))


def for_unit(base: WorkCalendar, settings: Mapping[str, Any] | None, chain: list[Any]) -> WorkCalendar:
    """``base`` with the overrides of the units in ``chain`` (a unit and its ancestors, any
    order: each is matched by id, ``#id``, code or name under ``[calendar.units]``)."""
    units = dict((settings or {}).get("units", {}) or {})
    if not units or not chain:
        return base
    holidays, workdays = set(base.extra_holidays), set(base.extra_workdays)
    for unit in reversed(chain):  # the top first, so a unit's own lists win over its parent's
        keys = {str(unit.id), f"#{unit.id}", getattr(unit, "code", "") or "", unit.name}
        for key, table in units.items():
            if key in keys:
                extra_h = _dates(table.get("holidays", ()), f"units.{key}.holidays")
                extra_w = _dates(table.get("workdays", ()), f"units.{key}.workdays")
                holidays = (holidays - extra_w) | extra_h
                workdays = (workdays - extra_h) | extra_w
    return WorkCalendar(tz=base.tz, extra_holidays=frozenset(holidays), extra_workdays=frozenset(workdays),
                        hours=base.hours, published=base.published)
