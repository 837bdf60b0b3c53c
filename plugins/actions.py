"""Built-in actions: ``notify`` roles, ``set`` fields to fixed values, ``set_due`` a computed deadline, ``start_case``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yishi.clock import as_utc
from yishi.definition.models import Text
from yishi.definition.operands import DurationArg, FieldName, FractionArg, TableArg
from yishi.hookspecs import hookimpl
from yishi.rules import ActionContext


class NotifyArgs(BaseModel):
    """``notify: {roles: [secretary], message: {zh: …, en: …}}``"""

    model_config = ConfigDict(extra="forbid")
    roles: list[str]
    message: Text | None = None


class SetArgs(BaseModel):
    """``set: {values: {outcome: consensus}}``: record fixed values in the current step's data."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any]
    into: Literal["source", "dest"] = "source"  # dest: the record of the state being entered


class StartCaseArgs(BaseModel):
    """``start_case: {workflow: people_mediation, copy: {subject: subject}, kind: handover}``.

    ``copy`` maps a field of the new case's first form to a field of this case; ``values``
    gives fixed values. The new case is linked to this one both ways.
    """

    model_config = ConfigDict(extra="forbid")
    workflow: str
    copy_: dict[str, str] = Field(default_factory=dict, alias="copy")
    values: dict[str, Any] = Field(default_factory=dict)
    kind: str = "handover"


class DueCase(BaseModel):
    """One alternative of ``set_due``: ``{field: urgency, value: urgent, after: $urgent_limit}``
    (this duration when the field has this value) or ``{field: category, table: $category_limits}``
    (the table's duration for the field's value, when the table has one)."""

    model_config = ConfigDict(extra="forbid")
    field: FieldName
    value: Any = None
    after: DurationArg | None = None
    table: TableArg | None = None


class SetDueArgs(BaseModel):
    """``set_due: {field: mediation_due, after: $time_limit}``: record a deadline (a datetime).

    The moment is ``after`` from now, or from the datetime in field ``since`` when it is filled
    (an extension counts from the old deadline), less ``before`` (to remind ahead of a deadline).
    It survives re-entering a state, so a timer ``at`` it keeps its date across repeated steps.
    """

    model_config = ConfigDict(extra="forbid")
    field: FieldName[datetime]
    after: DurationArg
    before: DurationArg | None = None
    since: FieldName[date | datetime] | None = None
    into: Literal["source", "dest"] = "source"  # dest: the record of the state being entered
    cases: list[DueCase] = Field(default_factory=list)  # the first that applies replaces ``after``
    share: FractionArg | None = None  # only this share of the time, e.g. 7/10 for an early warning


def set_due(ctx: ActionContext, args: SetDueArgs) -> None:
    base = ctx.now
    if args.since is not None and ctx.field(args.since):
        base = as_utc(datetime.fromisoformat(str(ctx.field(args.since))))
    # on the case's calendar: 3wd counts working days, 1mo ends on the corresponding day
    due = base + _share(ctx, args, ctx.deadline(base, _duration_of(ctx, args)) - base)
    if args.before is not None:
        due -= ctx.deadline(due, args.before) - due
    ctx.set(args.field, due.isoformat(), into=args.into)


def _duration_of(ctx: ActionContext, args: SetDueArgs) -> Any:
    """The ``DurationArg`` that applies (a literal or ``$param``, resolved by ``ctx.deadline``)."""
    for case in args.cases:
        actual = ctx.field(case.field)
        if case.table is not None:
            table = ctx.resolve(case.table)
            if isinstance(table, dict) and actual is not None and str(actual) in table:
                return table[str(actual)]
        elif case.after is not None and actual is not None and str(actual) == str(case.value):
            return case.after
    return args.after


def _share(ctx: ActionContext, args: SetDueArgs, delta: timedelta) -> timedelta:
    if args.share is None:
        return delta
    return timedelta(seconds=round(delta.total_seconds() * float(ctx.fraction(args.share))))


def notify(ctx: ActionContext, args: NotifyArgs) -> None:
    ctx.notify(roles=args.roles, kind="notice", message=args.message)


def set_values(ctx: ActionContext, args: SetArgs) -> None:
    for name, value in args.values.items():
        ctx.set(name, value, into=args.into)


def start_case(ctx: ActionContext, args: StartCaseArgs) -> None:
    data = {new: ctx.field(old) for new, old in args.copy_.items() if ctx.field(old) is not None}
    ctx.start_case(args.workflow, {**data, **args.values}, kind=args.kind)


@hookimpl
def yishi_register_actions(register: Any) -> None:
    register("notify", notify, args=NotifyArgs,
             description=Text(zh="通知有关角色", en="notify roles"))
    register("start_case", start_case, args=StartCaseArgs,
             description=Text(zh="转办：发起关联的新案件", en="hand over: start a linked case"))
    register("set", set_values, args=SetArgs,
             description=Text(zh="记录固定值", en="record fixed values"))
    register("set_due", set_due, args=SetDueArgs,
             description=Text(zh="记录计算出的期限（如调解期限）", en="record a computed deadline (e.g. a mediation's)"))
