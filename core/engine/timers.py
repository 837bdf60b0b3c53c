"""Plan the timers of a case's current state from its definition and its data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from yishi.time.clock import as_utc
from yishi.time.durations import add_duration, parse_span
from yishi.engine.machine import Compiled
from yishi.engine.types import SYSTEM, Case, TimerRow
from yishi.rules import GuardSpec, RuleContext, run_guard


def plan_timers(compiled: Compiled, case: Case, now: datetime, *, guards: Mapping[str, GuardSpec],
                tz: tzinfo, calendar: Any = None) -> list[TimerRow]:
    """The timers of the case's current state, computed from its data as it is now.

    ``after`` counts from entering the state (or from the date in the field ``from``), in fixed
    spans or on ``calendar`` (months, working days); ``at`` reads a date field (``each``: one timer per
    list item); a ``when`` guard that refuses leaves its timer out.
    """
    if calendar is None:
        from yishi.time.calendar import WorkCalendar

        calendar = WorkCalendar(tz=tz)
    out = []
    ctx = RuleContext(workflow=compiled.workflow, case=case, submitted={}, actor=SYSTEM,
                      now=now, params=compiled.params, calendar=calendar)
    for index, spec in enumerate(compiled.workflow.states[case.state].timers):
        if spec.when is not None:
            if not run_guard(guards[spec.when.name], ctx, spec.when.args).ok:
                continue
        kind = "fire" if spec.fire else "remind"
        target = spec.fire or ",".join(spec.remind or [])
        if spec.after is not None:
            after = spec.after
            delay = compiled.params[after[1:]] if after.startswith("$") else parse_span(after)
            start = ctx.moment(spec.from_) if spec.from_ else case.state_entered_at
            moments = [(add_duration(start, delay, calendar=calendar), None, ctx.field)] if start else []
        elif spec.each is not None:
            items = ctx.field(spec.each) or []
            moments = [(due_of(item.get(spec.at), tz), k, item.get) for k, item in enumerate(items)
                       if isinstance(item, dict)]
        else:
            moments = [(due_of(ctx.field(spec.at or ""), tz), None, ctx.field)]
        for due, item, lookup in moments:
            if due is None:
                continue
            people = [str(p) for n in spec.remind_people or [] if (p := lookup(n))]
            detail: dict[str, Any] = {"people": people} if people else {}
            if item is not None:
                detail["item"] = item
            out.append(TimerRow(id=0, case_id=case.id, state=case.state, index=index, due_at=due,
                                kind=kind, target=target, detail=detail))
    return out


def due_of(value: Any, tz: tzinfo) -> datetime | None:
    """A date field means the end of that day in ``tz``; a datetime field, that moment."""
    if not value:
        return None
    text = str(value)
    try:
        if "T" in text:
            return as_utc(datetime.fromisoformat(text))
        day = date.fromisoformat(text) + timedelta(days=1)
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)
