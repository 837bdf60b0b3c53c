"""The ``yishi`` command line: global options, the error boundary, and the command groups."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from yishi.cli.context import Session
from yishi.cli.output import detect_lang, report_error
from yishi.errors import YishiError


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class _Boundary(TyperGroup):
    """The root group: global options may stand before or after the subcommand
    (``place_options``), and it is the one place a ``YishiError`` is caught: it is printed in
    the chosen language, exit 1."""

    def make_context(self, info_name: Any, args: list[str], parent: Any = None, **extra: Any) -> Any:
        from yishi.cli.argv import place_options

        if "--help" in args:  # typer's help renderer, without rich.markdown and rich.traceback
            from yishi.cli.helpfast import load_rich_utils

            load_rich_utils()
        return super().make_context(info_name, place_options(self, args), parent, **extra)

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except YishiError as exc:
            obj = ctx.obj
            report_error(exc, obj.lang if isinstance(obj, Session) else detect_lang())
            raise typer.Exit(exit_code(exc)) from None


EXIT_PLUGIN = 3


def exit_code(exc: YishiError) -> int:
    """1: refused, not found, conflict or storage; 3: a plugin failed (``PluginError``);
    (2 is click's usage error)."""
    from yishi.errors import PluginError

    return EXIT_PLUGIN if isinstance(exc, PluginError) else 1


app = typer.Typer(
    cls=_Boundary,
    name="yishi",
    help="议事 yishi — community deliberation workflows. 社区议事流程。",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL",
        help="Database URL (sqlite:///path or postgresql+psycopg://…); default: $YISHI_DB, "
             "else a SQLite file in the user data directory.")] = None,
    lang: Annotated[Lang | None, typer.Option(
        "--lang", help="Output language; default: $YISHI_LANG, else zh for a zh_* locale, else en.",
        case_sensitive=False)] = None,
    who: Annotated[str | None, typer.Option(
        "--as", metavar="NAME", help="Who you are in the TUI (default: the config file's name).")] = None,
    roles: Annotated[list[str] | None, typer.Option(
        "--role", metavar="ROLE", help="A role you act in, in the TUI; repeat for several "
                                       "(default: the config file's roles).")] = None,
) -> None:
    """议事 yishi: community deliberation procedures. Without a command, opens the TUI."""
    ctx.obj = Session(db=db, lang=lang.value if lang is not None else detect_lang())
    ctx.meta["yishi.tui"] = {"as": who, "roles": roles, "lang": lang.value if lang is not None else None}
    if ctx.invoked_subcommand is None:
        launch_tui(ctx)


def tui_settings(ctx: typer.Context, *, default_actor: Any = None) -> dict[str, Any]:
    """Who acts, in which language, with which keys, for the TUI: the root options
    first, then ``$YISHI_LANG``, then the config file, then the locale (and ``default_actor``).

    Raises ``ConfigError`` when the config file is broken.
    """
    import os

    from yishi.config import load_config
    from yishi.engine.types import Actor

    opts = ctx.find_root().meta.get("yishi.tui", {})
    cfg = load_config()
    name = opts.get("as") or cfg.name
    roles = [r.strip() for item in (opts.get("roles") or cfg.roles or []) for r in str(item).split(",") if r.strip()]
    if name is None and not roles and default_actor is not None:
        actor = default_actor
    else:
        actor = Actor.of(name or os.environ.get("USER", ""), *roles)
    lang = opts.get("lang") or (detect_lang() if os.environ.get("YISHI_LANG") else None) \
        or cfg.lang or detect_lang()
    return {"actor": actor, "lang": lang, "keys": dict(cfg.keys)}


def launch_tui(ctx: typer.Context) -> None:
    """``yishi`` alone: the TUI on --db, else $YISHI_DB, else the config's db, else the default file."""
    from yishi.tui import run

    settings = tui_settings(ctx)
    run(ctx.find_root().obj.db, settings["actor"], settings["lang"], keys=settings["keys"])


def _register() -> None:
    from yishi.cli import documents, org, report, serve, system, worker
    from yishi.cli.config import config
    from yishi.cli.lazy import GROUPS, lazy_typer

    for name in GROUPS:  # built when used: ``yishi --help`` needs only their names and help
        app.add_typer(lazy_typer(name), name=name)
    worker.register(app)
    system.register(app)
    report.register(app)
    org.register(app)
    serve.register(app)
    app.command(name="config")(config)
    documents.register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="yishi")


__all__ = ["app", "main"]
