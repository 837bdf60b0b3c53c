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
    """The one place a ``YishiError`` is caught: it is printed in the chosen language, exit 1."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except YishiError as exc:
            obj = ctx.obj
            report_error(exc, obj.lang if isinstance(obj, Session) else detect_lang())
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Boundary,
    name="yishi",
    help="议事 yishi — community deliberation workflows. 社区议事流程。",
    no_args_is_help=True,
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
) -> None:
    """议事 yishi: run community deliberation procedures from the command line."""
    ctx.obj = Session(db=db, lang=lang.value if lang is not None else detect_lang())


def _register() -> None:
    from yishi.cli import cases, outbox, system, worker, workflows

    app.add_typer(workflows.app, name="workflows")
    app.add_typer(cases.app, name="case")
    app.add_typer(outbox.app, name="outbox")
    worker.register(app)
    system.register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="yishi")


__all__ = ["app", "main"]
