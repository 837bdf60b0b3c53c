"""Who runs a CLI command: on a real database the authenticated login (``--as``/``--role``
refused); elsewhere ``--as``/``--role``, else the config file's name and roles."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.types import Actor


def _declared(ctx: typer.Context, name: str | None, roles: list[str] | None) -> tuple[str | None, list[str]]:
    opts = ctx.find_root().meta.get("yishi.tui", {})
    name = name or opts.get("as")
    raw = roles or opts.get("roles") or []
    return name, [r.strip() for item in raw for r in str(item).split(",") if r.strip()]


def is_real(engine: Engine) -> bool:
    from yishi.org.mode import mode_of

    return mode_of(engine) == "real"


def login(engine: Engine) -> Actor:
    """The authenticated person, by the deployment's method; ``password`` asks on the terminal
    for the password of ``$YISHI_LOGIN`` (else the operating-system login)."""
    from yishi.org import auth

    if auth.method(engine) == "password":
        who = auth.default_login()
        secret = typer.prompt(f"{who} 的密码 / password", hide_input=True, err=True)
        return auth.check_password(engine, who, secret)
    return auth.authenticate(engine)


def refuse_declared() -> None:
    from yishi.org.auth import AuthError

    raise AuthError("--as and --role are refused on a real database: you act as your own login, "
                    "with the roles your grants give you",
                    message_zh="正式数据库不接受 --as 和 --role：你以自己的登录身份办理，角色来自你的授权")


def acting(ctx: typer.Context, engine: Engine, name: str | None = None,
           roles: list[str] | None = None) -> Actor:
    """Who takes a step. Raises ``AuthError`` (declared identity on a real database, or a login
    that is no registered person)."""
    from yishi.engine.types import Actor

    name, declared = _declared(ctx, name, roles)
    if is_real(engine):
        if name or declared:
            refuse_declared()
        return login(engine)
    if name:
        return Actor.of(name, *declared)
    from yishi.config import load_config

    cfg = load_config()
    return Actor.of(cfg.name or os.environ.get("USER", ""), *(declared or cfg.roles))


def viewer(ctx: typer.Context, engine: Engine) -> Actor | None:
    """Whose view a listing takes: the login on a real database (its units only), else None (all)."""
    if not is_real(engine):
        return None
    name, declared = _declared(ctx, None, None)
    if name or declared:
        refuse_declared()
    return login(engine)
