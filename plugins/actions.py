"""Built-in actions: ``notify`` roles with a message, ``set`` fields to fixed values."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from yishi.definition.models import Text
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


def notify(ctx: ActionContext, args: NotifyArgs) -> None:
    ctx.notify(roles=args.roles, kind="notice", message=args.message)


def set_values(ctx: ActionContext, args: SetArgs) -> None:
    for name, value in args.values.items():
        ctx.set(name, value)


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
