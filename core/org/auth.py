"""Authentication, chosen per deployment (recorded in the administration log, kind ``auth``):

- ``os``: the operating-system login (a shared server reached by SSH; each account maps to one
  person by their ``login``);
- ``password``: an Argon2 hash (argon2-cffi) per person, a login screen in the TUI, lock-out
  after ``MAX_FAILURES`` failures in a row for ``LOCK_FOR``;
- ``database``: on PostgreSQL, the database login itself (``current_user``) maps to a person.
"""

from __future__ import annotations

import getpass
from datetime import timedelta
from typing import TYPE_CHECKING

from yishi.engine.types import Actor
from yishi.errors import YishiError
from yishi.org.model import Person

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

METHODS = {"os": ("操作系统登录", "operating-system login"), "password": ("密码", "password"),
           "database": ("数据库登录", "database login")}
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 8


class AuthError(YishiError):
    """Who you are could not be established; nothing was done."""


def method(engine: Engine) -> str:
    """The deployment's way of logging in (``os`` unless an administrator chose another)."""
    with engine.store.read() as tx:
        entry = tx.org().last_log("auth")
    return str(entry.data.get("method", "os")) if entry else "os"


def set_method(engine: Engine, name: str, *, by: Actor) -> None:
    """Choose how people log in. Raises ``AuthError`` for an unknown method or ``database``
    on SQLite, ``RefusedError`` for someone who is no administrator."""
    if name not in METHODS:
        raise AuthError(f"unknown login method {name!r}; use one of: {', '.join(METHODS)}",
                        message_zh=f"未知的登录方式“{name}”；可用：{'、'.join(METHODS)}")
    if name == "database" and getattr(engine.store, "dialect", "") != "postgresql":
        raise AuthError("the database login is only for PostgreSQL", message_zh="数据库登录方式仅适用于 PostgreSQL")
    now = engine.now()
    org = engine.org
    with engine.store.write() as tx:
        otx = tx.org()
        org._require_admin(otx, by, None, now)
        org._log(otx, now, "auth", by, {"method": name})


def _person_by_login(engine: Engine, login: str, how_zh: str, how_en: str) -> Person:
    with engine.store.read() as tx:
        people = [p for p in tx.org().person_by(login=login) if p.active]
    if not people:
        raise AuthError(f"your {how_en} {login!r} belongs to no person of this organisation; "
                        f"an administrator adds it with: yishi org person add NAME --login {login}",
                        message_zh=f"你的{how_zh}“{login}”未登记为本机构人员；请管理员执行："
                                   f"yishi org person add 姓名 --login {login}")
    return people[0]


def os_login() -> str:
    return getpass.getuser()


def default_login() -> str:
    """Whom a password prompt asks for: ``$YISHI_LOGIN``, else the config's ``login``, else
    the operating-system login."""
    import os

    from yishi.config import load_config

    try:
        configured = load_config().login
    except YishiError:
        configured = None
    return os.environ.get("YISHI_LOGIN") or configured or os_login()


def from_os(engine: Engine, login: str | None = None) -> Actor:
    """The person whose login is the operating-system user's."""
    person = _person_by_login(engine, login or os_login(), "系统登录名", "operating-system login")
    return Actor(name=person.name, person_id=person.id)


def from_database(engine: Engine) -> Actor:
    """The person whose login is the PostgreSQL user this connection logged in as."""
    from sqlalchemy import text

    with engine.store.read() as tx:
        user = tx.conn.execute(text("SELECT current_user")).scalar()  # type: ignore[attr-defined]
    person = _person_by_login(engine, str(user), "数据库登录名", "database login")
    return Actor(name=person.name, person_id=person.id)


def set_password(engine: Engine, person: Person | int | str, password: str, *, by: Actor | None = None) -> None:
    """Store an Argon2 hash of ``password`` (never the password; the log records only that it
    changed). ``by`` None: the person themselves. Raises ``AuthError`` for a short password."""
    from argon2 import PasswordHasher

    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"a password needs at least {MIN_PASSWORD} characters",
                        message_zh=f"密码至少 {MIN_PASSWORD} 个字符")
    digest = PasswordHasher().hash(password)
    now = engine.now()
    org = engine.org
    with engine.store.write() as tx:
        otx = tx.org()
        from yishi.org.admin import find_person

        who = find_person(otx, person)
        if by is not None:
            org._require_admin(otx, by, None, now)
        otx.set_auth(who.id, password_hash=digest, failed_logins=0, locked_until=None)
        org._log(otx, now, "password", by if by is not None else who.name, {"person": who.id})


def check_password(engine: Engine, login: str, password: str) -> Actor:
    """The person logging in as ``login`` with ``password``. Raises ``AuthError`` (the same
    words for an unknown login and a wrong password; a locked account says until when)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    wrong = AuthError("wrong login or password", message_zh="登录名或密码错误")
    now = engine.now()
    with engine.store.write() as tx:
        otx = tx.org()
        people = [p for p in otx.person_by(login=(login or "").strip()) if p.active]
        if not people:
            raise wrong
        person = people[0]
        if person.locked_until is not None and person.locked_until > now:
            local = person.locked_until.astimezone(engine.tz).strftime("%H:%M")
            raise AuthError(f"too many failed attempts: this login is locked until {local}",
                            message_zh=f"密码错误次数过多，此账号锁定至 {local}")
        try:
            if not person.password_hash:
                raise VerificationError("no password set")
            PasswordHasher().verify(person.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            failures = person.failed_logins + 1
            locked = now + LOCK_FOR if failures >= MAX_FAILURES else None
            otx.set_auth(person.id, failed_logins=0 if locked else failures, locked_until=locked)
            failed = wrong
        else:
            otx.set_auth(person.id, failed_logins=0, locked_until=None)
            failed = None
    if failed is not None:
        raise failed  # after the block, so the failure count is committed
    return Actor(name=person.name, person_id=person.id)


def authenticate(engine: Engine) -> Actor:
    """Who is using this program, by the deployment's method, when no password is needed
    (``os`` or ``database``). Raises ``AuthError``; for ``password`` the caller asks."""
    how = method(engine)
    if how == "database":
        return from_database(engine)
    if how == "os":
        return from_os(engine)
    raise AuthError("this deployment logs in with a password", message_zh="本部署使用密码登录")
