"""Numbers and dates that cannot be true: constraints across a step's fields, enforced with reasons.

The definition language lets a field refer to other fields, params and moments:
``max: representatives`` (no more present than there are members), ``unique: name`` (nobody counted
twice in an attendance list), ``not_after: now`` (no minutes of a meeting not held yet),
``not_before: agreement_date`` (no performance date before the agreement), and a state's
``checks`` (``sum: [votes_for, votes_against, abstentions], at_most: attended``). A constraint whose
values are not all filled in yet is not checked (required-ness is checked on its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from yishi.clock import as_utc
from yishi.definition.models import Check, FormField, Text
from yishi.rules import RuleContext, fmt_number

Errors = dict[str, tuple[str, str]]
MOMENTS = {"now": Text(zh="今天", en="today"), "opened": Text(zh="案件受理之日", en="the day the case was opened"),
           "entered": Text(zh="进入本步骤之日", en="the day this step began")}


def check_form(form: list[FormField], checks: list[Check], values: Mapping[str, Any], ctx: RuleContext,
               tz: tzinfo) -> Errors:
    """Errors by field, as (zh, en), for the constraints of ``form`` and ``checks`` on ``values``
    (the step's values as they would be saved); other fields are looked up through ``ctx``."""
    errors: Errors = {}

    def lookup(name: str) -> Any:
        return values[name] if name in values else ctx.field(name)

    for f in form:
        value = values.get(f.name)
        if value in (None, ""):
            continue
        found = _bounds(f, value, lookup, ctx) or _unique(f, value) or _dates(f, value, lookup, ctx, tz)
        if found:
            errors[f.name] = found
    for check in checks:
        found = _sum(check, lookup, ctx)
        if found:
            errors.setdefault(check.sum[0], found)
    return errors


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _bounds(f: FormField, value: Any, lookup: Any, ctx: RuleContext) -> tuple[str, str] | None:
    # numbers and params are checked as the value is read (yishi.engine.forms); here: other fields
    refs = [(bound, more) for bound, more in ((f.max, True), (f.min, False))
            if isinstance(bound, str) and not bound.startswith("$")]
    if not refs:
        return None
    count = f.type == "list"
    amount = _number(len(value) if count and isinstance(value, list) else value)
    if amount is None:
        return None
    for bound, more in refs:
        limit = _number(lookup(bound))
        if limit is None:
            continue
        if (amount > limit) if more else (amount < limit):
            mine, other = ctx.label(f.name), ctx.label(bound)
            shown = fmt_number(amount)
            if more:
                return (f"{mine.zh}（{shown}）不能多于{other.zh}（{fmt_number(limit)}）",
                        f"{mine.en} ({shown}) cannot be more than {other.en} ({fmt_number(limit)})")
            return (f"{mine.zh}（{shown}）不能少于{other.zh}（{fmt_number(limit)}）",
                    f"{mine.en} ({shown}) cannot be less than {other.en} ({fmt_number(limit)})")
    return None


def _unique(f: FormField, value: Any) -> tuple[str, str] | None:
    if f.unique is None or not isinstance(value, list):
        return None
    seen: dict[str, int] = {}
    for i, item in enumerate(value, 1):
        key = item.get(f.unique) if isinstance(item, dict) else None
        if key in (None, ""):
            continue
        norm = " ".join(str(key).split()).casefold()
        if norm in seen:
            sub = next((x for x in f.fields or [] if x.name == f.unique), None)
            label = sub.label if sub else Text(zh=f.unique, en=f.unique)
            return (f"{label.zh}“{key}”重复出现（第 {seen[norm]} 项和第 {i} 项），同一人不能计算两次",
                    f"{label.en} {str(key)!r} appears twice (items {seen[norm]} and {i}); "
                    "nobody may be counted twice")
        seen[norm] = i
    return None


def _as_day_or_moment(value: Any, tz: tzinfo) -> date | datetime | None:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return value
    text = str(value or "")
    try:
        return as_utc(datetime.fromisoformat(text)) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def _comparable(a: date | datetime, b: date | datetime, tz: tzinfo) -> tuple[Any, Any]:
    """Two moments, or two days when either is a day (a datetime then counts by its local day)."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a, b
    day = [x.astimezone(tz).date() if isinstance(x, datetime) else x for x in (a, b)]
    return day[0], day[1]


def _shown(value: date | datetime, tz: tzinfo) -> str:
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _dates(f: FormField, value: Any, lookup: Any, ctx: RuleContext, tz: tzinfo) -> tuple[str, str] | None:
    if f.type not in ("date", "datetime") or (f.not_before is None and f.not_after is None):
        return None
    mine = _as_day_or_moment(value, tz)
    if mine is None:
        return None
    for ref, after in ((f.not_after, True), (f.not_before, False)):
        if ref is None:
            continue
        if ref in MOMENTS:
            moment = {"now": ctx.now, "opened": ctx.case.opened_at, "entered": ctx.case.state_entered_at}[ref]
            other: date | datetime | None = as_utc(moment)
            other_label = MOMENTS[ref]
            if ref == "now" and f.type == "datetime":
                other_label = Text(zh="现在", en="now")
        else:
            other = _as_day_or_moment(lookup(ref), tz)
            other_label = ctx.label(ref)
        if other is None:
            continue
        a, b = _comparable(mine, other, tz)
        if (a > b) if after else (a < b):
            label = ctx.label(f.name)
            when_zh, when_en = ("晚于", "after") if after else ("早于", "before")
            return (f"{label.zh}（{_shown(mine, tz)}）不能{when_zh}{other_label.zh}（{_shown(b, tz)}）",
                    f"{label.en} ({_shown(mine, tz)}) cannot be {when_en} {other_label.en} ({_shown(b, tz)})")
    return None


def _sum(check: Check, lookup: Any, ctx: RuleContext) -> tuple[str, str] | None:
    parts = [_number(lookup(name)) for name in check.sum]
    if all(p is None for p in parts):
        return None
    total = sum(p for p in parts if p is not None)
    labels = [ctx.label(n) for n in check.sum]
    for bound, more in ((check.at_most, True), (check.at_least, False)):
        if bound is None:
            continue
        resolved = ctx.resolve(bound)
        limit = _number(lookup(resolved)) if isinstance(resolved, str) else _number(resolved)
        if limit is None:
            continue
        shown = fmt_number(limit)
        if isinstance(resolved, str):
            named = ctx.label(resolved)
            limit_label = Text(zh=f"{named.zh}（{shown}）", en=f"{named.en} ({shown})")
        else:
            limit_label = Text(zh=shown, en=shown)
        if (total > limit) if more else (total < limit):
            if check.message is not None:
                return check.message.zh, check.message.en
            names_zh = "、".join(t.zh for t in labels)
            names_en = ", ".join(t.en for t in labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1].en
            word_zh, word_en = ("多于", "more than") if more else ("少于", "less than")
            return (f"{names_zh}合计 {fmt_number(total)}，不能{word_zh}{limit_label.zh}",
                    f"{names_en} add up to {fmt_number(total)}, {word_en} {limit_label.en}")
    return None
