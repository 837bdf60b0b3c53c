"""Built-in guards: quorum, majority, fields, equals, not_in, elapsed, items_done. Each verdict gives its reason in zh and en."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yishi.clock import as_utc
from yishi.definition.models import Text
from yishi.definition.operands import DurationArg, FieldName, FieldNames, FractionArg, Operand
from yishi.durations import format_duration
from yishi.engine.reasons import equals_verdict, shown, span
from yishi.engine.types import Verdict
from yishi.hookspecs import hookimpl
from yishi.rules import RuleContext, en_fraction, fmt_number, zh_fraction


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Threshold(_Args):
    at_least: FractionArg | None = None
    more_than: FractionArg | None = None
    who: Text | None = None

    @model_validator(mode="after")
    def _one_threshold(self) -> Any:
        if (self.at_least is None) == (self.more_than is None):
            raise ValueError("give exactly one of 'at_least' or 'more_than'")
        return self

    def passes(self, ctx: RuleContext, part: float, whole: float) -> tuple[bool, Fraction, bool]:
        strict = self.more_than is not None
        need = ctx.fraction(self.more_than if strict else self.at_least)
        lhs = Fraction(part).limit_denominator(10**6) * need.denominator
        rhs = Fraction(whole).limit_denominator(10**6) * need.numerator
        return (lhs > rhs if strict else lhs >= rhs), need, strict

    def who_text(self) -> Text:
        return self.who or Text(zh="成员", en="members")


class QuorumArgs(_Threshold):
    """``quorum: {present: attended, members: total, at_least: 2/3}``"""

    present: Operand
    members: Operand


class MajorityArgs(_Threshold):
    """``majority: {votes: votes_for, of: attended, more_than: 1/2}``"""

    votes: Operand
    of: Operand


class FieldsArgs(_Args):
    """``fields: {names: [minutes, attended]}``: these fields must be filled in."""

    names: FieldNames


class ElapsedArgs(_Args):
    """``elapsed: {at_least: $notice_period}``: time since entering the state (or opening the case),
    or since the date in a field (``from: notice_date``), until now or until the date in another
    field (``until: meeting_date``: e.g. 10 days' notice before the meeting's own date).
    ``at_least`` may be in calendar months or working days (``1mo``, ``3wd``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    at_least: DurationArg
    since: Literal["state", "case"] = "state"
    from_: FieldName[date | datetime] | None = Field(default=None, alias="from")
    until: FieldName[date | datetime] | None = None
    what: Text | None = None


class EqualsArgs(_Args):
    """``equals: {field: resolved_tier, value: 2}`` or ``{field: outcome, in: [a, b]}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    field: FieldName
    value: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _one(self) -> Any:
        if (self.value is None) == (self.in_ is None):
            raise ValueError("give exactly one of 'value' or 'in'")
        return self


class NotInArgs(_Args):
    """``not_in: {field: matter_type, in: [land_contracting, …], unless: villagers_delegation,
    why: {zh: …, en: …}}``: refuse this route for those values, unless field ``unless`` is filled
    (e.g. art. 24 matters go to the villagers' meeting unless it delegated them)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    field: FieldName
    in_: list[Any] = Field(alias="in", min_length=1)
    unless: FieldName | None = None
    why: Text | None = None


def _choice_label(ctx: RuleContext, name: str, value: Any) -> Text:
    for form in [s.form for s in ctx.workflow.states.values()] + [t.form for t in ctx.workflow.transitions]:
        for f in form:
            if f.name == name and f.choices:
                for c in f.choices:
                    if c.value == str(value):
                        return c.label
    return Text(zh=str(value), en=str(value))


def not_in(ctx: RuleContext, args: NotInArgs) -> Verdict:
    actual = ctx.field(args.field)
    label = ctx.label(args.field)
    shown = _choice_label(ctx, args.field, actual)
    if actual is None or str(actual) not in [str(v) for v in args.in_]:
        return Verdict("not_in", True, f"{label.zh}（{shown.zh}）可走此程序",
                       f"{label.en} ({shown.en}) may take this route")
    if args.unless is not None and ctx.field(args.unless) not in (None, "", False, []):
        other = ctx.label(args.unless)
        return Verdict("not_in", True, f"{shown.zh}：已记录{other.zh}",
                       f"{shown.en}: {other.en} is recorded")
    why = args.why or Text(zh="不能走此程序", en="may not take this route")
    return Verdict("not_in", False, f"{shown.zh}{why.zh}", f"{shown.en} {why.en}")


class BeforeDueArgs(_Args):
    """``before_due: {field: handling_due}``: the deadline recorded in the field has not passed
    yet (an extension is requested before expiry, not after)."""

    field: FieldName[date | datetime]
    what: Text | None = None


def before_due(ctx: RuleContext, args: BeforeDueArgs) -> Verdict:
    label = args.what or ctx.label(args.field)
    raw = ctx.field(args.field)
    if raw in (None, ""):
        return _missing(ctx, "before_due", [args.field])
    try:
        due = as_utc(datetime.fromisoformat(str(raw)))
    except ValueError:
        return _missing(ctx, "before_due", [args.field])
    shown = due.astimezone(ZoneInfo(os.environ.get("YISHI_TZ") or "Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    if ctx.now < due:
        return Verdict("before_due", True, f"{label.zh}（{shown}）尚未届满", f"the {label.en} ({shown}) has not passed")
    return Verdict("before_due", False, f"{label.zh}（{shown}）已届满，须在届满前提出",
                   f"the {label.en} ({shown}) has passed; this must be done before it")


class DuePassedArgs(_Args):
    """``due_passed: {field: tier_due}``: the deadline recorded in the field has come (an
    automatic escalation waits for it)."""

    field: FieldName[date | datetime]
    what: Text | None = None


def due_passed(ctx: RuleContext, args: DuePassedArgs) -> Verdict:
    label = args.what or ctx.label(args.field)
    raw = ctx.field(args.field)
    try:
        due = as_utc(datetime.fromisoformat(str(raw))) if raw not in (None, "") else None
    except ValueError:
        due = None
    if due is None:
        return _missing(ctx, "due_passed", [args.field])
    shown = due.astimezone(ZoneInfo(os.environ.get("YISHI_TZ") or "Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    if ctx.now < due:
        return Verdict("due_passed", False, f"{label.zh}（{shown}）未到", f"the {label.en} ({shown}) has not come yet")
    return Verdict("due_passed", True, f"{label.zh}（{shown}）已到", f"the {label.en} ({shown}) has come")


class ItemsDoneArgs(_Args):
    """``items_done: {items: action_items, field: done}``: every item of a list field is done."""

    items: FieldName[list[dict[str, Any]]]
    field: str = "done"
    title: str = "task"  # the item field that names an item in the reason


def items_done(ctx: RuleContext, args: ItemsDoneArgs) -> Verdict:
    items = [i for i in ctx.field(args.items) or [] if isinstance(i, dict)]
    label = ctx.label(args.items)
    open_ = [i for i in items if i.get(args.field) in (None, "", False)]
    if not open_:
        return Verdict("items_done", True, f"{label.zh}共 {len(items)} 项，均已完成",
                       f"all {len(items)} {label.en} are done")
    names = [str(i.get(args.title) or "?") for i in open_]
    return Verdict("items_done", False,
                   f"{label.zh}尚有 {len(open_)} / {len(items)} 项未完成：{'、'.join(names)}",
                   f"{len(open_)} of {len(items)} {label.en} not done yet: {', '.join(names)}")


def _missing(ctx: RuleContext, rule: str, names: list[str]) -> Verdict:
    zh = "、".join(ctx.label(n).zh for n in names)
    en = ", ".join(repr(ctx.label(n).en) for n in names)
    return Verdict(rule, False, f"尚未填写：{zh}", f"not filled in yet: {en}")


def quorum(ctx: RuleContext, args: QuorumArgs) -> Verdict:
    present, members = ctx.value(args.present), ctx.value(args.members)
    missing = [str(a) for a, v in ((args.present, present), (args.members, members))
               if v is None and isinstance(a, str)]
    if missing:
        return _missing(ctx, "quorum", missing)
    who = args.who_text()
    if present > members:  # numbers that cannot be true pass no quorum
        return Verdict("quorum", False,
                       f"实到 {fmt_number(present)} 人多于应到 {fmt_number(members)} 人，人数不可能成立",
                       f"{fmt_number(present)} present of {fmt_number(members)} {who.en} cannot be true")
    ok, need, strict = args.passes(ctx, present, members)
    counts_zh = f"实到 {fmt_number(present)} / 应到 {fmt_number(members)}"
    counts_en = f"{fmt_number(present)} of {fmt_number(members)}"
    if strict:
        rule_zh = f"需超过{zh_fraction(need)}{who.zh}到会"
        rule_en = f"needs more than {en_fraction(need)} of {who.en} present"
    else:
        rule_zh = f"需{zh_fraction(need)}以上{who.zh}到会"
        rule_en = f"needs {en_fraction(need)} of {who.en} present"
    return Verdict("quorum", ok, f"{rule_zh}：{counts_zh}", f"{rule_en}: {counts_en}")


def majority(ctx: RuleContext, args: MajorityArgs) -> Verdict:
    votes, whole = ctx.value(args.votes), ctx.value(args.of)
    missing = [str(a) for a, v in ((args.votes, votes), (args.of, whole))
               if v is None and isinstance(a, str)]
    if missing:
        return _missing(ctx, "majority", missing)
    if votes > whole:  # more votes than voters cannot be true
        return Verdict("majority", False,
                       f"赞成 {fmt_number(votes)} 票多于 {fmt_number(whole)} 人，票数不可能成立",
                       f"{fmt_number(votes)} in favour of {fmt_number(whole)} cannot be true")
    ok, need, strict = args.passes(ctx, votes, whole)
    who = args.who or Text(zh="到会人员", en="those present")
    if strict:
        rule_zh = f"需经{who.zh}的过{zh_fraction(need)}同意" if need == Fraction(1, 2) \
            else f"需超过{who.zh}的{zh_fraction(need)}同意"
        rule_en = f"needs more than {en_fraction(need)} of {who.en} in favour"
    else:
        rule_zh = f"需{who.zh}的{zh_fraction(need)}以上同意"
        rule_en = f"needs at least {en_fraction(need)} of {who.en} in favour"
    return Verdict("majority", ok, f"{rule_zh}：赞成 {fmt_number(votes)} / {fmt_number(whole)}",
                   f"{rule_en}: {fmt_number(votes)} of {fmt_number(whole)}")


def fields(ctx: RuleContext, args: FieldsArgs) -> Verdict:
    missing = [n for n in args.names if ctx.field(n) in (None, "", [])]
    if missing:
        return _missing(ctx, "fields", missing)
    return Verdict("fields", True, "所需内容已填写", "required fields are filled in")


def equals(ctx: RuleContext, args: EqualsArgs) -> Verdict:
    actual = ctx.field(args.field)
    wanted = args.in_ if args.in_ is not None else [args.value]
    label = ctx.label(args.field)
    ok = actual in wanted or str(actual) in [str(w) for w in wanted]
    spec = ctx.form_field(args.field)
    return equals_verdict(ok, (label.zh, label.en), [shown(w, spec) for w in wanted], shown(actual, spec),
                          args.field)


def elapsed(ctx: RuleContext, args: ElapsedArgs) -> Verdict:
    if args.from_ is not None or args.until is not None:
        return _elapsed_between(ctx, args)
    need = ctx.span(args.at_least)
    start = ctx.case.state_entered_at if args.since == "state" else ctx.case.opened_at
    what = args.what or Text(zh="期限", en="waiting period")
    if not isinstance(need, timedelta):  # months or working days: measured on the calendar
        due = ctx.deadline(start, need)
        if ctx.now >= due:
            return Verdict("elapsed", True, f"{what.zh}（{need.zh()}）已满", f"the {what.en} of {need.en()} has passed")
        return Verdict("elapsed", False, f"{what.zh}未满：需 {need.zh()}，{_local_day(ctx, due)} 期满",
                       f"the {what.en} of {need.en()} has not passed: it ends {_local_day(ctx, due)}")
    passed = ctx.now - start
    if passed >= need:
        return Verdict("elapsed", True, f"{what.zh}（{zh_duration(need)}）已满",
                       f"the {what.en} of {format_duration(need)} has passed")
    left_zh, left_en = span(need - passed)  # the countdown every front end shows
    return Verdict(
        "elapsed", False,
        f"{what.zh}未满：需 {zh_duration(need)}，还差 {left_zh}",
        f"the {what.en} of {format_duration(need)} has not passed: {left_en} to go",
    )


def _local_day(ctx: RuleContext, moment: Any) -> str:
    from zoneinfo import ZoneInfo

    tz = ctx.calendar.tz if ctx.calendar is not None else ZoneInfo("Asia/Shanghai")
    local = moment.astimezone(tz)
    if (local.hour, local.minute) == (0, 0):  # a period ending at 24:00 ends "on" the day before
        from datetime import timedelta as _td

        return f"{(local - _td(days=1)).date().isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def _elapsed_between(ctx: RuleContext, args: ElapsedArgs) -> Verdict:
    """From a date field (or entering the state) until a date field (or now)."""
    what = args.what or Text(zh="期限", en="waiting period")
    missing = [n for n in (args.from_, args.until) if n is not None and ctx.moment(n) is None]
    if missing:
        return _missing(ctx, "elapsed", missing)
    start = ctx.moment(args.from_) if args.from_ else (
        ctx.case.state_entered_at if args.since == "state" else ctx.case.opened_at)
    end = ctx.moment(args.until) if args.until else ctx.now
    need = ctx.span(args.at_least)
    due = ctx.deadline(start, need)
    need_zh = need.zh() if not isinstance(need, timedelta) else zh_duration(need)
    need_en = need.en() if not isinstance(need, timedelta) else format_duration(need)
    frm = ctx.label(args.from_) if args.from_ else Text(zh="进入本阶段", en="entering this step")
    until = ctx.label(args.until) if args.until else Text(zh="现在", en="now")
    if end is not None and start is not None and end >= due:
        return Verdict("elapsed", True, f"{what.zh}（{need_zh}）已满：{frm.zh}至{until.zh}",
                       f"the {what.en} of {need_en} is kept: from {frm.en} to {until.en}")
    gap = (end - start) if end is not None and start is not None else timedelta(0)
    gap_zh = f"{gap.days}天" if gap >= timedelta(0) else f"倒早 {-gap.days}天"
    return Verdict("elapsed", False,
                   f"{what.zh}不足：{frm.zh}至{until.zh}需满 {need_zh}（不早于 {_local_day(ctx, due)}），现为 {gap_zh}",
                   f"the {what.en} is too short: {need_en} needed from {frm.en} to {until.en} "
                   f"(not before {_local_day(ctx, due)}), it is {gap.days} days")


def _ceil_minute(delta: timedelta) -> timedelta:
    seconds = int(delta.total_seconds())
    return timedelta(seconds=seconds + (-seconds % 60))


def zh_duration(delta: timedelta) -> str:
    """``7d`` → 7天, ``1d12h`` → 1天12小时, ``90m`` → 1小时30分钟."""
    seconds = int(_ceil_minute(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "",
             f"{minutes}分钟" if minutes else ""]
    return "".join(parts) or "0分钟"


@hookimpl
def yishi_register_guards(register: Any) -> None:
    register("quorum", quorum, args=QuorumArgs,
             description=Text(zh="到会人数达到法定比例", en="enough members present"))
    register("majority", majority, args=MajorityArgs,
             description=Text(zh="赞成票达到规定比例", en="enough votes in favour"))
    register("fields", fields, args=FieldsArgs,
             description=Text(zh="所需内容已填写", en="required fields filled in"))
    register("equals", equals, args=EqualsArgs,
             description=Text(zh="某项记录等于给定值（用于分支）", en="a field has a given value (for branching)"))
    register("not_in", not_in, args=NotInArgs,
             description=Text(zh="某项记录不在给定值之中（除非另有记录，如村民会议授权）",
                              en="a field is not one of the given values (unless another is recorded, e.g. a delegation)"))
    register("before_due", before_due, args=BeforeDueArgs,
             description=Text(zh="记录的期限尚未届满（如期满前申请延期）", en="a recorded deadline has not passed (e.g. an extension asked in time)"))
    register("due_passed", due_passed, args=DuePassedArgs,
             description=Text(zh="记录的期限已到（如逾期自动上报）", en="a recorded deadline has come (e.g. an automatic escalation)"))
    register("items_done", items_done, args=ItemsDoneArgs,
             description=Text(zh="列表中每一项均已完成（如行动事项）", en="every item of a list is done (e.g. action items)"))
    register("elapsed", elapsed, args=ElapsedArgs,
             description=Text(zh="期限已满（如公示期）", en="a minimum time has passed (e.g. a notice period)"))
