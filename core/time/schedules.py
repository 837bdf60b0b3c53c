"""Schedules: cases started on a calendar (the representatives' meeting each quarter, 三务公开 each
quarter), exactly once per period however many workers tick at the same moment.

A workflow declares them (``schedules:`` in its YAML), or a deployment does (``[schedules.NAME]`` in
the deployment file, with ``workflow = "…"``). ``Engine.tick`` (so ``yishi tick``, the worker and a
simulation's ``advance``) starts the case of every period that is due: the period is claimed by a
unique row (schedule, period) in ``schedule_runs`` in the same transaction that opens the case, so
a second worker's claim fails and nothing is started twice. Only the current period is started: a
period that passed entirely while nothing ran is not made up for.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from yishi.definition.models import Schedule

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.types import Case

log = logging.getLogger("yishi.time")


@dataclass(frozen=True)
class Planned:
    """One schedule: the key its runs are recorded under, the workflow it starts, its spec."""

    key: str
    workflow_id: str
    spec: Schedule


def schedules(engine: Engine) -> list[Planned]:
    """The workflows' schedules and the deployment's (``engine.schedule_settings``), cached."""
    cached = engine.__dict__.get("_schedules")
    if cached is not None:
        return cached
    out = [Planned(f"{loaded.workflow.id}:{spec.id}", loaded.workflow.id, spec)
           for loaded in engine.workflows() for spec in loaded.workflow.schedules]
    for name, table in (getattr(engine, "schedule_settings", None) or {}).items():
        table = dict(table)
        workflow_id = str(table.pop("workflow", ""))
        out.append(Planned(f"deployment:{name}", workflow_id, Schedule(id=name, **table)))
    engine.__dict__["_schedules"] = out
    return out


def check_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The deployment's ``[schedules]`` tables, each checked; raises ``ConfigError``."""
    from pydantic import ValidationError

    from yishi.config import ConfigError

    out: dict[str, Any] = {}
    for name, table in (settings or {}).items():
        if not isinstance(table, Mapping) or not table.get("workflow"):
            raise ConfigError(f"[schedules.{name}] needs workflow = \"<workflow id>\"",
                              message_zh=f"[schedules.{name}] 需要写明 workflow = \"流程编号\"")
        rest = {k: v for k, v in table.items() if k != "workflow"}
        try:
            Schedule(id=name, **rest)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"[schedules.{name}] {where}: {first['msg']}",
                              message_zh=f"[schedules.{name}] {where}：{first['msg']}") from None
        out[name] = dict(table)
    return out


# ---------------------------------------------------------------- periods
def _first_day(spec: Schedule, day: date) -> date:
    """The first day of the period that contains ``day``."""
    if spec.every == "week":
        return day - timedelta(days=day.weekday())
    if spec.every == "month":
        return day.replace(day=1)
    if spec.every == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def _next_first_day(spec: Schedule, first: date) -> date:
    if spec.every == "week":
        return first + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[spec.every]
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


def period_key(spec: Schedule, first: date) -> str:
    if spec.every == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if spec.every == "month":
        return f"{first.year}-{first.month:02d}"
    if spec.every == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return f"{first.year}"


def period_label(spec: Schedule, first: date) -> str:
    """How a period is named in the text of the case it starts: 2026年第1季度, 2026年3月."""
    if spec.every == "week":
        year, week, _ = first.isocalendar()
        return f"{year}年第{week}周"
    if spec.every == "month":
        return f"{first.year}年{first.month}月"
    if spec.every == "quarter":
        return f"{first.year}年第{(first.month - 1) // 3 + 1}季度"
    return f"{first.year}年"


def _due(spec: Schedule, first: date, tz: tzinfo) -> datetime:
    hour, minute = (int(x) for x in spec.at.split(":"))
    return datetime.combine(first + timedelta(days=spec.day - 1), time(hour, minute), tzinfo=tz)


def current(spec: Schedule, now: datetime, tz: tzinfo) -> tuple[date, datetime]:
    """The first day of the period containing ``now`` and when its case is due."""
    first = _first_day(spec, now.astimezone(tz).date())
    return first, _due(spec, first, tz)


def next_due(engine: Engine, after: datetime) -> datetime | None:
    """The earliest moment later than ``after`` at which a schedule falls due."""
    found = []
    for planned in schedules(engine):
        first, due = current(planned.spec, after, engine.tz)
        if due <= after:
            due = _due(planned.spec, _next_first_day(planned.spec, first), engine.tz)
        found.append(due)
    return min(found, default=None)


# ---------------------------------------------------------------- running
def run_schedules(engine: Engine, now: datetime) -> list[Case]:
    """Start the case of every schedule whose current period is due at ``now`` and not started yet;
    the cases started (by this engine) are returned."""
    from yishi.engine.types import SYSTEM
    from yishi.errors import YishiError

    planned = schedules(engine)
    if not planned:
        return []
    seen: set[tuple[str, str]] = engine.__dict__.setdefault("_schedule_seen", set())
    started: list[Any] = []
    due_now = []
    for item in planned:
        first, due = current(item.spec, now, engine.tz)
        if now >= due:
            due_now.append((item, first))
    if not due_now:
        return []
    units = _units(engine) if any(item.spec.units for item, _first in due_now) else []
    for item, first in due_now:
        period = period_key(item.spec, first)
        label = period_label(item.spec, first)
        data = {k: (v.replace("{period}", label) if isinstance(v, str) else v) for k, v in item.spec.data.items()}
        for key, unit_id in _targets(item, units):
            if (key, period) in seen:
                continue
            result = None
            try:
                with engine.store.write() as tx:
                    if tx.claim_schedule_run(key, period, now):
                        result = engine._open_case(tx, item.workflow_id, None, SYSTEM, data, now,  # noqa: SLF001
                                                   unit_id=unit_id)
                        tx.set_schedule_case(key, period, result[0].id)
            except YishiError as exc:
                log.error("schedule %s could not start its case for %s: %s", key, period, exc)
            seen.add((key, period))
            if result is not None:
                case, event, notes = result
                engine._stored.add(case.workflow_sha256)  # noqa: SLF001
                engine.pm.hook.yishi_event_committed(engine=engine, case=case, event=event, notifications=notes)
                log.info("schedule %s started case #%s for %s", key, case.id, period)
                started.append(case)
    return started


def _units(engine: Engine) -> list[Any]:
    """The organisation's units, read once for every schedule due at this tick."""
    with engine.store.read() as tx:
        return tx.org().units()


def _targets(item: Planned, units: list[Any]) -> list[tuple[str, int | None]]:
    """(run key, unit) of each case a due period starts: one per unit of the schedule's kinds
    (key ``schedule@unit id``; none while the organisation has no such unit), or, for a schedule
    without ``units``, the one case without a unit."""
    if not item.spec.units:
        return [(item.key, None)]
    from yishi.org.model import KIND_WORDS

    kinds = {KIND_WORDS.get(k.strip().lower(), KIND_WORDS.get(k.strip(), k)) for k in item.spec.units}
    return [(f"{item.key}@{u.id}", u.id) for u in units if u.kind in kinds]


def runs(engine: Engine, schedule: str | None = None) -> list[tuple[str, str, int | None, datetime]]:
    """(schedule, period, case id, when) of every period a schedule has started, oldest first."""
    with engine.store.read() as tx:
        return tx.schedule_runs(schedule)
