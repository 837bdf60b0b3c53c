"""Checks, once an engine is open, that the notifier channels name roles its workflows have.

A channel's ``addresses`` and ``mentions`` tables are keyed by role or person, and its ``roles``
list (webhooks) names roles; a misspelt role there silently leaves people untold, because no
notification is ever for it. So every entry of ``roles``, and every table key written like a
role id (lower-case letters, digits and ``_``), must be a role of a workflow the engine loads (or
``admin``, as for grants); a table key may also be a person the organisation knows (by login or
name). Names written
otherwise (``"王网格员"``) and ``*`` are taken as they are. The config file is read before any
workflow is, so this runs when an engine opens, and only when some channel has such a key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from yishi.config import Config, ConfigError, line_of, load_config
from yishi.errors import StorageError
from yishi.hookspecs import hookimpl

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

ROLE_LIKE = re.compile(r"^[a-z_][a-z0-9_]*$")
TABLES = ("addresses", "mentions")  # role or person → address(es) (Channel, webhook)
LISTS = ("roles",)                  # roles only (webhook: only notifications for these)


@hookimpl
def yishi_engine_opened(engine: Engine) -> None:
    """Refuse to run with a channel that names a role no workflow has (``ConfigError``)."""
    try:
        check_channel_roles(engine, load_config())
    except ConfigError:
        engine.close()
        raise


def entries(cfg: Config) -> Iterator[tuple[str, str, str, bool]]:
    """(channel, table or list, name, is a table key) of every role-like name the channels use."""
    for name, settings in cfg.notifiers.items():
        if not isinstance(settings, Mapping) or not settings.get("enabled", True):
            continue
        for table in TABLES:
            raw = settings.get(table)
            if isinstance(raw, Mapping):
                yield from ((name, table, str(key), True) for key in raw if ROLE_LIKE.match(str(key)))
        for listed in LISTS:
            raw = settings.get(listed)
            if isinstance(raw, list):
                yield from ((name, listed, str(item), False) for item in raw if isinstance(item, str))


def check_channel_roles(engine: Engine, cfg: Config) -> None:
    """Raise ``ConfigError`` listing, with file:line and a "did you mean", every channel entry
    that names a role no workflow of ``engine`` has (nor, for a table key, a person it knows)."""
    found = list(entries(cfg))
    if not found:
        return
    from yishi.org.model import ADMIN_ROLE

    roles = sorted({role for loaded in engine.library.every_version() for role in loaded.workflow.roles}
                   | {ADMIN_ROLE})
    unknown = [entry for entry in found if entry[2] not in roles]
    people = _people(engine) if any(is_key for *_, is_key in unknown) else set()
    unknown = [entry for entry in unknown if not (entry[3] and entry[2] in people)]
    if not unknown:
        return
    where = cfg.deployment or cfg.path
    text = where.read_text(encoding="utf-8") if where is not None and where.exists() else ""
    en: list[str] = []
    zh: list[str] = []
    for channel, table, name, is_key in unknown:
        line = _line(text, channel, table, name, is_key)
        guess = difflib.get_close_matches(name, roles, n=1, cutoff=0.6)
        shown = ", ".join(roles) or "none"
        what_en = "is not a role of any workflow" + (", nor a person the organisation knows" if is_key else "")
        what_zh = "不是任何流程的角色" + ("，也不是组织中登记的人员" if is_key else "")
        fix_en = f"did you mean {guess[0]!r}?" if guess else f"the roles are: {shown}" + (
            "; write a person by name or login, as 'yishi org person list' shows them" if is_key else "")
        fix_zh = f"是不是 {guess[0]!r}？" if guess else f"角色有：{shown}" + (
            "；人员请写姓名或登录名（见 yishi org person list）" if is_key else "")
        at = f"[notifiers.{channel}.{table}]" if is_key else f"[notifiers.{channel}] {table}:"
        en.append(f"{where}:{line}: {at} {name!r} {what_en}; {fix_en}")
        zh.append(f"{where}:{line}：{at} {name!r} {what_zh}；{fix_zh}")
    raise ConfigError("\n".join(en), message_zh="\n".join(zh))


def _people(engine: Engine) -> set[str]:
    """The logins and names of the organisation's people (none when the store keeps no organisation)."""
    try:
        return {key for p in engine.org.people() for key in (p.login, p.name) if key}
    except StorageError:
        return set()


def _line(text: str, channel: str, table: str, name: str, is_key: bool) -> int:
    """The line where ``name`` is written in ``[notifiers.CHANNEL.TABLE]``, or in the
    ``TABLE = …`` of ``[notifiers.CHANNEL]``; else the channel's own line."""
    lines = text.splitlines()
    quoted = rf"(?:\"{re.escape(channel)}\"|'{re.escape(channel)}'|{re.escape(channel)})"
    own = re.compile(rf"^\s*\[\s*notifiers\s*\.\s*{quoted}\s*\.\s*{re.escape(table)}\s*\]")
    parent = re.compile(rf"^\s*\[\s*notifiers\s*\.\s*{quoted}\s*\]")
    entry = re.compile(rf"(?:^|[\s{{,.])[\"']?{re.escape(name)}[\"']?\s*=" if is_key
                       else rf"[\"']{re.escape(name)}[\"']")
    starts = re.compile(rf"^\s*{re.escape(table)}\s*[=.]")
    for header, need_start in ((own, False), (parent, True)):
        begin = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if begin is None:
            continue
        started = not need_start
        for i in range(begin + 1, len(lines)):
            if re.match(r"^\s*\[", lines[i]):
                break
            started = started or bool(starts.match(lines[i]))
            if started and entry.search(lines[i]):
                return i + 1
    return line_of(text, f"notifiers.{channel}")

