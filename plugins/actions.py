"""Built-in actions: ``notify`` roles with a message, ``set`` fields to fixed values."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

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


def notify(ctx: ActionContext, args: NotifyArgs) -> None:
    ctx.notify(roles=args.roles, kind="notice", message=args.message)


def set_values(ctx: ActionContext, args: SetArgs) -> None:
    for name, value in args.values.items():
        ctx.set(name, value)


@hookimpl
def yishi_register_actions(register: Any) -> None:
    register("notify", notify, args=NotifyArgs,
             description=Text(zh="通知有关角色", en="notify roles"))
    register("set", set_values, args=SetArgs,
             description=Text(zh="记录固定值", en="record fixed values"))
