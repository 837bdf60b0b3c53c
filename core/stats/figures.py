"""The figures: per organisation unit × month × procedure, read from indexed columns.

``month_report(engine, "2026-11")`` is what ``yishi report`` writes; ``overview(engine, now)``
is what the statistics screen draws; ``community_share(engine)`` is the home screen's counter.
Every figure is defined in ``DEFINITIONS`` (the report's notes row says the same).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from yishi.errors import YishiError
from yishi.stats.track import COMMUNITY_TIERS

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

TIERS = (1, 2, 3, 4, 5)


class ReportError(YishiError):
    """A report cannot be made as asked (a malformed month, an unknown grouping)."""


@dataclass
class Figures:
    """The figures of one group of cases (one unit and procedure, or a total) for one month."""

    received: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue_now: int = 0
    handling_seconds: float = 0.0
    resolved: dict[int, int] = field(default_factory=dict)  # tier → closed cases it resolved
    reopened: int = 0
    extended: int = 0
    evals_asked: int = 0
    evals_given: int = 0
    evals_satisfied: int = 0

    # ---- derived
    @property
    def resolved_total(self) -> int:
        return sum(self.resolved.values())

    @property
    def resolved_in_community(self) -> int:
        return sum(n for t, n in self.resolved.items() if t <= COMMUNITY_TIERS)

    @property
    def community_share(self) -> float | None:
        return _ratio(self.resolved_in_community, self.resolved_total)

    @property
    def on_time_rate(self) -> float | None:
        return _ratio(self.closed_on_time, self.closed)

    @property
    def avg_handling_days(self) -> float | None:
        return self.handling_seconds / 86400 / self.closed if self.closed else None

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.evals_satisfied, self.evals_given)

    @property
    def participation_rate(self) -> float | None:
        return _ratio(self.evals_given, self.evals_asked)

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.name == "resolved":
                for tier, n in other.resolved.items():
                    self.resolved[tier] = self.resolved.get(tier, 0) + n
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "resolved"}
        out["resolved"] = {str(t): self.resolved.get(t, 0) for t in TIERS}
        for name in ("resolved_total", "resolved_in_community", "community_share", "on_time_rate",
                     "avg_handling_days", "satisfaction_rate", "participation_rate"):
            out[name] = getattr(self, name)
        return out


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class ReportRow:
    unit_id: int | None
    unit: str  # the unit's name ("" when cases have no unit)
    workflow_id: str
    procedure: dict[str, str]  # {"zh": …, "en": …}
    figures: Figures


@dataclass(frozen=True)
class MonthReport:
    month: str  # YYYY-MM
    start: datetime  # UTC, the first moment of the month in the deployment's time zone
    end: datetime
    made_at: datetime
    tz: str
    by: str | None
    rows: list[ReportRow]
    total: Figures


def parse_month(text: str | date) -> tuple[int, int]:
    """(year, month) from ``2026-11`` (or a date). Raises ``ReportError`` in the user's words."""
    if isinstance(text, date):
        return text.year, text.month
    found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(text))
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ReportError(f"the month must look like 2026-11 (year-month), not {text!r}",
                          message_zh=f"月份应写作 2026-11（年-月），而不是 {text!r}")
    return int(found.group(1)), int(found.group(2))


def month_bounds(year: int, month: int, tz: Any) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in ``tz``, as UTC."""
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def _titles(engine: Engine) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for loaded in engine.workflows():
        out[loaded.workflow.id] = {"zh": loaded.workflow.title.zh, "en": loaded.workflow.title.en}
    return out


def _add(f: Figures, row: dict[str, Any]) -> None:
    f.received += int(row["received"])
    f.closed += int(row["closed"])
    f.closed_on_time += int(row["on_time"])
    f.handling_seconds += float(row["handling_seconds"])
    f.reopened += int(row["reopened"])
    f.extended += int(row["extended"])
    f.evals_asked += int(row["evals_asked"])
    f.evals_given += int(row["evals_given"])
    f.evals_satisfied += int(row["evals_satisfied"])
    if row["tier"]:
        tier = int(row["tier"])
        f.resolved[tier] = f.resolved.get(tier, 0) + int(row["closed"])


def _read(engine: Engine, month: str, now: datetime | None) -> dict[tuple[Any, str], Figures]:
    """Figures per (unit_id, workflow_id) for ``month`` from the month summary; overdue as of
    ``now`` (from the open cases' index) when given."""
    groups: dict[tuple[Any, str], Figures] = {}

    def at(unit: Any, workflow: str) -> Figures:
        return groups.setdefault((unit or None, workflow), Figures())

    with engine.store.read() as tx:
        stats = tx.stats()
        for row in stats.months([month]):
            _add(at(row["unit_id"], row["workflow_id"]), row)
        if now is not None:
            for unit, workflow, _tier, n in stats.overdue(now):
                at(unit, workflow).overdue_now += n
    return groups


def recount(engine: Engine, month: str | date) -> dict[tuple[Any, str], Figures]:
    """The month's figures per (unit_id, workflow_id) counted again from the case rows (a scan
    of the month's cases, not the summary): what the summary must equal."""
    year, mon = parse_month(month)
    start, end = month_bounds(year, mon, engine.tz)
    groups: dict[tuple[Any, str], Figures] = {}
    with engine.store.read() as tx:
        stats = tx.stats()
        for unit, workflow, n in stats.received(start, end):
            groups.setdefault((unit, workflow), Figures()).received += n
        for row in stats.closed(start, end):
            _add(groups.setdefault((row["unit_id"], row["workflow_id"]), Figures()),
                 {**row, "received": 0, "tier": row["resolved_tier"],
                  "handling_seconds": row["seconds"] or 0})
    return groups


def month_report(engine: Engine, month: str | date, *, by: str | None = None,
                 now: datetime | None = None) -> MonthReport:
    """The figures of ``month`` (``2026-11``, in the engine's time zone) per unit and procedure.

    ``by`` rolls units up to their ``grid``, ``community`` or ``street`` (organisation units);
    None keeps the unit each case belongs to. ``overdue_now`` is as of ``now`` (default: the
    engine's clock). Raises ``ReportError`` for a malformed month or an unknown grouping.
    """
    if by is not None and by not in ("grid", "community", "street"):
        raise ReportError(f"--by must be grid, community or street, not {by!r}",
                          message_zh=f"--by 只能是 grid（网格）、community（社区）或 street（街道），而不是 {by!r}")
    year, mon = parse_month(month)
    start, end = month_bounds(year, mon, engine.tz)
    now = now or engine.now()
    groups = _read(engine, f"{year:04d}-{mon:02d}", now)
    units = _units(engine, by) if any(u is not None for u, _ in groups) or by else {}
    if by is not None:
        rolled: dict[tuple[Any, str], Figures] = {}
        for (unit, workflow), f in groups.items():
            key = (units.get(unit, (None, ""))[0] if unit is not None else None, workflow)
            rolled.setdefault(key, Figures()).add(f)
        groups = rolled
    titles = _titles(engine)
    rows = []
    total = Figures()
    for (unit, workflow), f in sorted(groups.items(), key=lambda kv: (_name(units, kv[0][0]), kv[0][1])):
        rows.append(ReportRow(unit_id=unit, unit=_name(units, unit), workflow_id=workflow,
                              procedure=titles.get(workflow, {"zh": workflow, "en": workflow}), figures=f))
        total.add(f)
    return MonthReport(month=f"{year:04d}-{mon:02d}", start=start, end=end, made_at=now,
                       tz=str(engine.tz), by=by, rows=rows, total=total)


def _name(units: dict[Any, tuple[Any, str]], unit: Any) -> str:
    """The name of ``unit`` (a target of the roll-up): units above the kind rolled to are ''."""
    if unit is None:
        return ""
    for target, name in units.values():
        if target == unit:
            return name
    return str(unit)


def _units(engine: Engine, by: str | None) -> dict[Any, tuple[Any, str]]:
    """unit id → (the id of the unit it rolls up to, that unit's name), from yishi.org.

    Raises ``ReportError`` when ``by`` is asked for and there are no organisation units."""
    try:
        with engine.store.read() as tx:
            units = {u.id: u for u in tx.org().units()}
    except YishiError:
        units = {}
    if by is not None and not units:
        raise ReportError("grouping by grid, community or street needs the organisation units "
                          "(yishi org); this database has none",
                          message_zh="按网格、社区或街道汇总需要先建立组织机构（yishi org），此数据库中还没有")
    out: dict[Any, tuple[Any, str]] = {}
    for uid, unit in units.items():
        target = unit
        if by is not None:
            while target is not None and target.kind != by:
                target = units.get(target.parent_id) if target.parent_id is not None else None
        out[uid] = (target.id, target.name) if target is not None else (None, "")
    return out


# ---------------------------------------------------------------- the screen and the counters
@dataclass(frozen=True)
class MonthPoint:
    month: str
    figures: Figures


@dataclass(frozen=True)
class Overview:
    """What the statistics screen draws."""

    month: str
    figures: Figures  # this month, all procedures
    trend: list[MonthPoint]  # oldest first, ending with this month
    overdue_by_tier: dict[int | None, int]  # None: open cases not at a tier (other procedures, intake)
    overdue_total: int


def overview(engine: Engine, now: datetime | None = None, *, months: int = 6) -> Overview:
    """This month's tier distribution, the trend of the last ``months`` months and the open
    cases overdue now by the tier they are at."""
    now = now or engine.now()
    here = now.astimezone(engine.tz)
    keys = [f"{y:04d}-{m:02d}" for y, m in (shift_month(here.year, here.month, -back)
                                            for back in range(months - 1, -1, -1))]
    totals = {key: Figures() for key in keys}
    with engine.store.read() as tx:
        for row in tx.stats().months(keys):
            _add(totals[row["month"]], row)
    trend = [MonthPoint(key, totals[key]) for key in keys]
    overdue: dict[int | None, int] = {}
    with engine.store.read() as tx:
        for _unit, _workflow, tier, n in tx.stats().overdue(now):
            overdue[tier] = overdue.get(tier, 0) + n
    return Overview(month=trend[-1].month, figures=trend[-1].figures, trend=trend,
                    overdue_by_tier=overdue, overdue_total=sum(overdue.values()))


def community_share(engine: Engine, workflow_id: str | None = None,
                    units: tuple[int, ...] | None = None) -> tuple[int, int] | None:
    """(resolved inside the community, resolved) over all closed cases of ``workflow_id`` (or of
    every procedure with tiers) in ``units`` (None: everywhere); None when none was resolved.
    Read from the month summary."""
    tiers: dict[int, int] = {}
    wanted = None if units is None else set(units)
    with engine.store.read() as tx:
        stats = tx.stats()
        if hasattr(stats, "closed_by_tier"):  # summed in the database (a store may not offer it)
            tiers = stats.closed_by_tier(workflow_id, None if units is None else tuple(units))
        else:
            for row in stats.months([], workflow_id=workflow_id):
                if row["tier"] and (wanted is None or row["unit_id"] in wanted):
                    tiers[int(row["tier"])] = tiers.get(int(row["tier"]), 0) + int(row["closed"])
    total = sum(tiers.values())
    if not total:
        return None
    return sum(n for t, n in tiers.items() if t <= COMMUNITY_TIERS), total


__all__ = ["Figures", "MonthReport", "Overview", "ReportError", "ReportRow", "community_share",
           "month_report", "overview", "parse_month"]
