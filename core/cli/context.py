"""What every CLI command shares: the session (lazily opened engine) and the option parsers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import typer

from yishi.cli.output import t

if TYPE_CHECKING:  # the engine loads on a command's first use, not with ``import yishi.cli``
    from yishi.engine.engine import Engine
    from yishi.engine.library import Library
    from yishi.engine.types import Actor


@dataclass
class Session:
    """The global options of one invocation. The engine (and so the database) opens on first use."""

    db: str | None
    lang: str
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, ctx: typer.Context) -> Engine:
        """The engine on ``--db`` (else ``YISHI_DB``, else the default file), closed with ``ctx``.

        Raises ``StorageError`` or ``PluginError`` when it cannot be opened.
        """
        if self._engine is None:
            from yishi.engine.engine import Engine

            self._engine = Engine.open_configured(self.db)
            ctx.find_root().call_on_close(self._close)
        return self._engine

    def library(self) -> Library:
        """The installed workflows and rules, without opening the database."""
        if self._engine is not None:
            return self._engine.library
        from yishi.config import load_config
        from yishi.engine.library import open_library

        return open_library(params=load_config().params or None)

    def _close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def session(ctx: typer.Context) -> Session:
    obj = ctx.find_root().obj
    assert isinstance(obj, Session), "the root callback sets the session"
    return obj


def parse_value(raw: str) -> Any:
    """A JSON number, list, object or boolean when ``raw`` is one; otherwise the text itself."""
    try:
        value = json.loads(raw, parse_constant=_reject)
    except ValueError:
        return raw
    if isinstance(value, (bool, int, float, list, dict)):
        return value
    return raw


def _reject(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity stay text


def parse_sets(values: Iterable[str] | None, lang: str) -> dict[str, Any]:
    """``["attended=14", "subject=修路"]`` → ``{"attended": 14, "subject": "修路"}``.

    Raises ``typer.BadParameter`` (a usage error, exit 2) for an item without ``=`` or a name.
    """
    out: dict[str, Any] = {}
    for item in values or ():
        name, eq, raw = item.partition("=")
        if not eq:
            raise typer.BadParameter(t("set_without_eq", lang, value=item), param_hint="'--set'")
        name = name.strip()
        if not name:
            raise typer.BadParameter(t("set_empty_name", lang, value=item), param_hint="'--set'")
        out[name] = parse_value(raw)
    return out


def actor_of(name: str, roles: list[str]) -> Actor:
    from yishi.engine.types import Actor

    return Actor.of(name, *[r.strip() for r in roles if r.strip()])


def parse_when(raw: str | None, lang: str) -> datetime | None:
    """An ISO 8601 time; one without a zone is local time. Raises ``typer.BadParameter``."""
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise typer.BadParameter(t("bad_time", lang, value=raw), param_hint="'--now'") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive: the user's local time
    return moment.astimezone(timezone.utc)
